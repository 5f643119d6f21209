//! The virtualised table every view uses: it asks for rows by index and only for the rows on
//! screen, so a frame costs the same with 20 pods or 20 000. Scrolling is derived from the cursor
//! alone (no hidden scroll state), so the mouse mapping can compute the same offset.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use crate::tui::theme::Theme;
use platdeck_core::sanitize::clean;

/// Marks the cursor row (also readable without colour).
const CURSOR: &str = "▸ ";
const SPACING: u16 = 2;

/// What to draw: column titles and widths, how many rows exist, where the cursor is.
pub struct TableSpec<'t> {
    pub columns: &'t [(&'static str, Constraint)],
    pub len: usize,
    /// `None` for a table that only lists (no selection, starts at the top).
    pub cursor: Option<usize>,
    /// Shown in the first row when there are no rows.
    pub empty: &'t str,
}

/// Rows that fit under the header.
pub fn visible_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(1))
}

/// The first row on screen: the cursor stays on screen, pinned to the bottom edge once it has
/// moved past the first page.
pub fn scroll_offset(cursor: usize, visible: usize) -> usize {
    cursor.saturating_sub(visible.saturating_sub(1))
}

/// The indices on screen for a table in `area` with `len` rows and the cursor at `cursor`.
pub fn window(area: Rect, len: usize, cursor: Option<usize>) -> std::ops::Range<usize> {
    let visible = visible_rows(area);
    let offset = cursor.map_or(0, |c| scroll_offset(c.min(len.saturating_sub(1)), visible));
    offset.min(len)..len.min(offset.saturating_add(visible))
}

/// A column as wide as its widest value on screen (or its title), within `min..=max`: computed
/// from the visible rows only, like everything else per frame.
pub fn fit(title: &str, widths: impl Iterator<Item = usize>, min: u16, max: u16) -> Constraint {
    let widest = widths.chain([title.chars().count()]).max().unwrap_or(0);
    Constraint::Length(u16::try_from(widest).unwrap_or(u16::MAX).clamp(min, max))
}

/// Narrows the widest columns a cell at a time until `widths` fit in `budget`, never below
/// `mins`: a long name loses its tail before a short one loses anything.
pub fn shrink(widths: &mut [u16], mins: &[u16], budget: u16) {
    let mut total: u32 = widths.iter().map(|w| u32::from(*w)).sum();
    while total > u32::from(budget) {
        let widest = widths
            .iter()
            .zip(mins.iter().chain(std::iter::repeat(&0)))
            .enumerate()
            .filter(|(_, (w, min))| w > min)
            .max_by_key(|(_, (w, _))| **w)
            .map(|(i, _)| i);
        let Some(w) = widest.and_then(|i| widths.get_mut(i)) else { break };
        *w -= 1;
        total -= 1;
    }
}

/// Columns left for a `Fill` column after the cursor marker, `fixed` widths and the spacing
/// between `columns` columns.
pub fn room(area: Rect, fixed: u16, columns: u16) -> u16 {
    let marker = u16::try_from(CURSOR.chars().count()).unwrap_or(0);
    area.width.saturating_sub(marker + fixed + SPACING * columns.saturating_sub(1))
}

/// Which row index a terminal row shows, for mouse clicks: `None` on the header or past the end.
pub fn row_at(area: Rect, len: usize, cursor: usize, y: u16) -> Option<usize> {
    if y <= area.y || y >= area.bottom() {
        return None;
    }
    let index = window(area, len, Some(cursor)).start + usize::from(y - area.y - 1);
    (index < len).then_some(index)
}

/// Draws the header and the visible rows; `row(i)` is called only for those.
pub fn draw<'a>(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    spec: &TableSpec<'_>,
    mut row: impl FnMut(usize) -> Row<'a>,
) {
    if area.is_empty() {
        return;
    }
    let cursor = spec.cursor.map(|c| c.min(spec.len.saturating_sub(1)));
    let shown = window(area, spec.len, cursor);
    let offset = shown.start;
    let rows: Vec<Row<'a>> = shown.map(&mut row).collect();
    let header = Row::new(spec.columns.iter().map(|(title, _)| Cell::from(*title))).style(theme.table_header);
    // The cursor column is kept even without a cursor, so every table's columns line up.
    let table = Table::new(rows, spec.columns.iter().map(|(_, width)| *width))
        .header(header)
        .column_spacing(SPACING)
        .style(theme.text)
        .row_highlight_style(theme.selected)
        .highlight_symbol(CURSOR)
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::new();
    if let Some(c) = cursor.filter(|_| spec.len > 0) {
        state = state.with_selected(Some(c.saturating_sub(offset)));
    }
    frame.render_stateful_widget(table, area, &mut state);
    if spec.len == 0 && area.height > 1 {
        let indent = u16::try_from(CURSOR.chars().count()).unwrap_or(0).min(area.width);
        let line = Rect { x: area.x + indent, y: area.y + 1, height: 1, width: area.width - indent };
        frame.render_widget(Paragraph::new(Span::styled(spec.empty, theme.muted)), line);
    }
}

/// A cell of cluster text: sanitised, styled. Borrows when the text is clean.
pub fn text<'a>(value: &'a str, style: Style) -> Cell<'a> {
    Cell::from(Span::styled(clean(value), style))
}

/// A cell of text the console made itself (ages, counts): already safe.
pub fn owned<'a>(value: impl Into<Cow<'a, str>>, style: Style) -> Cell<'a> {
    Cell::from(Span::styled(value, style))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_stays_visible() {
        assert_eq!(scroll_offset(0, 10), 0);
        assert_eq!(scroll_offset(9, 10), 0);
        assert_eq!(scroll_offset(10, 10), 1);
        assert_eq!(scroll_offset(5000, 10), 4991);
        assert_eq!(scroll_offset(3, 0), 3);
    }

    #[test]
    fn window_follows_the_cursor() {
        let area = Rect::new(0, 0, 80, 11);
        assert_eq!(window(area, 100, Some(0)), 0..10);
        assert_eq!(window(area, 100, Some(50)), 41..51);
        assert_eq!(window(area, 5, Some(3)), 0..5);
        assert_eq!(window(area, 0, Some(3)), 0..0);
        assert_eq!(window(area, 100, None), 0..10);
        assert_eq!(window(Rect::new(0, 0, 80, 0), 100, Some(7)), 7..7);
    }

    #[test]
    fn widest_columns_give_way_first() {
        let mut widths = [38, 53, 31];
        shrink(&mut widths, &[16, 40, 20], 101);
        assert_eq!(widths.iter().sum::<u16>(), 101);
        assert_eq!(widths, [31, 40, 30]);
        let mut floor = [10, 10];
        shrink(&mut floor, &[8, 9], 5);
        assert_eq!(floor, [8, 9]);
    }

    #[test]
    fn clicks_map_through_the_offset() {
        let area = Rect::new(0, 3, 80, 11); // header on row 3, ten rows from row 4
        assert_eq!(row_at(area, 100, 0, 3), None);
        assert_eq!(row_at(area, 100, 0, 4), Some(0));
        assert_eq!(row_at(area, 100, 0, 13), Some(9));
        assert_eq!(row_at(area, 100, 0, 14), None);
        assert_eq!(row_at(area, 100, 50, 13), Some(50));
        assert_eq!(row_at(area, 100, 50, 4), Some(41));
        assert_eq!(row_at(area, 3, 0, 7), None);
    }
}
