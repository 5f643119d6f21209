//! `render(state, theme, frame)`: draws the whole screen from the state, and nothing else — no I/O,
//! no clock (ages use `state.now`). The layout is fixed so mouse rows map to table rows: header on
//! rows 0–1, tabs on row 2, the view's table header on row 3 and its rows from row 4, the footer on the
//! last row; `row_at` answers which row a clicked line shows.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::state::{Mode, State, View};
use super::theme::Theme;
use super::views;
use super::widgets::{confirm, footer, header, help, palette, tabs};

const HEADER_ROWS: u16 = 2;
const TABS_ROW: u16 = 2;
const BODY_FIRST_ROW: u16 = 3;

/// The four bands of the screen. Tiny terminals lose the body first, then the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub footer: Rect,
}

pub fn areas(area: Rect) -> Areas {
    let row = |y: u16, height: u16| {
        let top = area.y.saturating_add(y).min(area.bottom());
        Rect { x: area.x, y: top, width: area.width, height: height.min(area.bottom() - top) }
    };
    let header = row(0, HEADER_ROWS);
    let tabs = row(TABS_ROW, 1);
    // The footer needs a row of its own below the tabs; otherwise it is dropped.
    let footer = if area.height > BODY_FIRST_ROW { row(area.height - 1, 1) } else { row(area.height, 0) };
    let body = row(BODY_FIRST_ROW, area.height.saturating_sub(BODY_FIRST_ROW + 1));
    Areas { header, tabs, body, footer }
}

pub fn render(state: &State, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    if area.is_empty() {
        return;
    }
    let areas = areas(area);
    let counts = View::ALL.map(|v| state.row_count(v));
    header::draw(state, theme, frame, areas.header);
    tabs::draw(state, theme, frame, areas.tabs, &counts);
    match (&state.diagnostics, &state.logs) {
        (Some(pane), _) => views::diagnostics::draw(state, pane, theme, frame, areas.body),
        (None, Some(logs)) => views::logs::draw(state, logs, theme, frame, areas.body),
        (None, None) => views::draw(state, theme, frame, areas.body),
    }
    match &state.mode {
        Mode::Palette(input) => palette::draw(state, input, theme, frame, areas.body),
        Mode::Confirm(mutation) => confirm::draw(mutation, &state.keymap, theme, frame, areas.body),
        Mode::Help => help::draw(&state.keymap, state.view_context(), theme, frame, areas.body),
        Mode::ConfirmTasks { text, .. } => {
            views::tasks::draw_confirm(text, &state.keymap, theme, frame, areas.body)
        }
        Mode::Normal | Mode::Filter => {}
    }
    if let Some(form) = &state.scaffold {
        views::scaffold::draw(state, form, theme, frame, areas.body);
    }
    footer::draw(state, theme, frame, areas.footer);
}

/// The row of the current view's cursor table at terminal row `y` (for mouse clicks), using the
/// same layout and scroll offset as `render` at the state's terminal size. `update` should map
/// clicks through this, so scrolling and panes are accounted for.
pub fn row_at(state: &State, y: u16) -> Option<usize> {
    let areas = areas(Rect::new(0, 0, state.width, state.height));
    views::row_at(state, areas.body, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_keep_their_rows() {
        let a = areas(Rect::new(0, 0, 160, 50));
        assert_eq!(a.header, Rect::new(0, 0, 160, 2));
        assert_eq!(a.tabs, Rect::new(0, 2, 160, 1));
        assert_eq!(a.body, Rect::new(0, 3, 160, 46));
        assert_eq!(a.footer, Rect::new(0, 49, 160, 1));
    }

    #[test]
    fn tiny_areas_shrink_without_overlap() {
        for (w, h) in [(0, 0), (1, 1), (10, 3), (10, 4), (3, 2)] {
            let area = Rect::new(0, 0, w, h);
            let a = areas(area);
            for r in [a.header, a.tabs, a.body, a.footer] {
                assert!(area.union(r) == area || r.is_empty(), "{r:?} outside {area:?}");
            }
            assert!(a.body.is_empty() || a.body.bottom() <= a.footer.y);
        }
    }
}
