//! The views' titled panes (details, reasons): a rule on top with the title, padded inside.

use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Padding};

use crate::tui::theme::Theme;

pub fn pane<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .padding(Padding::horizontal(1))
        .title(Span::styled(title, theme.title))
}
