//! The confirmation every mutation passes through: it names what will happen, the context, the
//! namespace and each object touched, so a restart on the wrong cluster is caught before `y`.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph, Wrap};

use super::popup;
use crate::actions::Mutation;
use crate::tui::keymap::{Command, Keymap};
use crate::tui::theme::Theme;
use platdeck_core::sanitize::clean;

const MAX_WIDTH: u16 = 80;
const LABEL_WIDTH: usize = 11;

pub fn draw(mutation: &Mutation, keymap: &Keymap, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let width = MAX_WIDTH.min(area.width.saturating_sub(4)).max(area.width.min(20));
    let inner = usize::from(width.saturating_sub(4)).max(1);

    let summary = clean(&mutation.to_string()).into_owned();
    let mut lines = vec![Line::raw(""), Line::styled(summary.clone(), theme.text), Line::raw("")];
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<LABEL_WIDTH$}"), theme.muted),
            Span::styled(clean(&value).into_owned(), theme.accent),
        ])
    };
    lines.push(field("context", mutation.context.clone()));
    lines.push(field("namespace", mutation.namespace().to_string()));
    let objects = mutation.objects();
    for (i, object) in objects.iter().enumerate() {
        lines.push(field(if i == 0 { "objects" } else { "" }, object.clone()));
    }
    lines.push(field("service", mutation.service.to_string()));
    lines.push(Line::raw(""));
    lines.push(yes_no(keymap, theme));

    // The summary wraps; every other line is one row.
    let summary_rows = summary.chars().count().div_ceil(inner).max(1);
    let rows = lines.len() - 1 + summary_rows + 2;
    let height = u16::try_from(rows).unwrap_or(u16::MAX);
    let rect = popup::centered(area, width, height);
    popup::clear(frame, rect);
    let title = format!(" Confirm: {} ", mutation.strategy.verb());
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.dialog)
        .padding(Padding::horizontal(1))
        .title(Span::styled(title, theme.dialog));
    let paragraph = Paragraph::new(lines).block(block).wrap(Wrap { trim: true });
    frame.render_widget(paragraph, rect);
}

/// The `y confirm · n cancel` line every confirmation ends with (its keys from the keymap).
pub fn yes_no(keymap: &Keymap, theme: &Theme) -> Line<'static> {
    let pairs = [(Command::Confirm, "confirm"), (Command::Cancel, "cancel")];
    Line::from(super::footer::modal(keymap, theme, &pairs)).alignment(Alignment::Center)
}
