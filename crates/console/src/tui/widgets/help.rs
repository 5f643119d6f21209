//! The help overlay, generated from the merged keymap (a user's remapped key shows here as it is
//! bound), plus the palette commands and the mouse. Lines flow into two columns when the
//! terminal is too short for one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};

use super::popup;
use crate::tui::keymap::{KeyContext, Keymap};
use crate::tui::theme::Theme;
use platdeck_core::sanitize::clean;

const KEYS_WIDTH: usize = 21;
const COLUMN_WIDTH: u16 = 64;

const PALETTE: &[(&str, &str)] = &[
    (":VIEW", "switch view (:apps :pods :polr :ev …)"),
    (":ns NAME | :ns all", "namespace scope"),
    (":svc NAME", "narrow every view to one service"),
    (":ctx NAME", "switch kube context"),
    (":log", "the console's own log (diagnostics)"),
    (":q", "quit"),
];

/// Help for `context`, the one under the overlay: its own keys first, then those that work everywhere.
pub fn draw(keymap: &Keymap, context: KeyContext, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let entry = |keys: String, what: &'static str| {
        Line::from(vec![
            Span::styled(format!("{:<KEYS_WIDTH$}", clean(&keys)), theme.key),
            Span::styled(what, theme.text),
        ])
    };
    let mut lines = Vec::new();
    for (title, keys) in keymap.help(context) {
        lines.push(Line::styled(title, theme.table_header));
        lines.extend(keys.into_iter().map(|(keys, what)| entry(keys, what)));
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Command palette", theme.table_header));
    lines.extend(PALETTE.iter().map(|(keys, what)| entry((*keys).to_string(), what)));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Mouse", theme.table_header));
    lines.push(entry("click".into(), "select a row"));
    lines.push(entry("wheel".into(), "scroll"));

    let needed = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2);
    let two_columns = needed > area.height && area.width >= COLUMN_WIDTH * 2 + 4;
    let (width, height) =
        if two_columns { (COLUMN_WIDTH * 2 + 4, needed.div_ceil(2) + 2) } else { (COLUMN_WIDTH + 4, needed) };
    let rect = popup::centered(area, width, height);
    popup::clear(frame, rect);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .padding(Padding::horizontal(1))
        .title(Span::styled(" Help ", theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if two_columns {
        let half = lines.len().div_ceil(2);
        let right = lines.split_off(half);
        let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).spacing(2).areas(inner);
        frame.render_widget(Paragraph::new(lines), l);
        frame.render_widget(Paragraph::new(right), r);
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
