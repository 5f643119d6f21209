//! Row 2: the views, each with the key that opens it (from the keymap) and how many rows it holds
//! in the current scope, so "4 Policies 12" tells the SRE there is something there before opening
//! it. The current view is highlighted; the cursor position sits at the right edge.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::keymap::Command;
use crate::tui::state::{State, View};
use crate::tui::theme::Theme;

pub fn command_of(view: View) -> Command {
    view.def().command()
}

/// `counts` holds each view's row count, in `View::ALL` order.
pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, counts: &[usize; 6]) {
    if area.is_empty() {
        return;
    }
    let mut spans = vec![Span::raw(" ")];
    for (view, count) in View::ALL.into_iter().zip(counts) {
        let key = state.keymap.label(command_of(view));
        let label = if key.is_empty() {
            format!(" {} {count} ", view.title())
        } else {
            format!(" {key} {} {count} ", view.title())
        };
        let style = if view == state.view { theme.tab_active } else { theme.tab };
        spans.push(Span::styled(label, style));
        // A run goes on while the user looks elsewhere: the tab says so.
        if view == View::Tasks
            && let Some(running) = state.tasks.indicator()
        {
            spans.push(Span::styled(format!("{running} "), theme.info));
        }
        spans.push(Span::raw(" "));
    }
    let line = Line::from(spans);
    let used = line.width();
    frame.render_widget(Paragraph::new(line), area);

    let len = counts.get(state.view.index()).copied().unwrap_or(0);
    let position = format!("{}/{len} ", state.cursor().min(len.saturating_sub(1)) + 1);
    // Only where it fits: the tabs matter more than the position.
    if len > 0 && used + position.len() < usize::from(area.width) {
        frame.render_widget(
            Paragraph::new(Span::styled(position, theme.muted)).alignment(Alignment::Right),
            area,
        );
    }
}
