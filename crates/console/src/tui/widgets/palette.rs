//! Suggestions under the `:` palette: what the typed text can become (views, namespaces and
//! services that exist right now), so the SRE need not remember names. Drawn just above the
//! footer, where the palette line is typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::popup;
use crate::tui::state::{State, View};
use crate::tui::theme::Theme;
use platdeck_core::sanitize::clean;

const MAX_SUGGESTIONS: usize = 8;
const WIDTH: u16 = 72;

/// (what to type, what it does), best matches first.
pub fn suggestions(state: &State, input: &str) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> =
        View::ALL.iter().map(|v| (v.title().to_lowercase(), format!("show {}", v.title()))).collect();
    all.push(("ns all".into(), "all namespaces".into()));
    let mut namespaces: Vec<&str> = state.services.iter().map(|s| s.key.namespace.as_str()).collect();
    namespaces.dedup(); // services are sorted by key, so namespaces come grouped
    all.extend(namespaces.into_iter().map(|ns| (format!("ns {ns}"), "namespace scope".to_string())));
    all.extend(
        state.services.iter().map(|s| (format!("svc {}", s.key), "narrow to this service".to_string())),
    );
    all.push(("ctx NAME".into(), "switch kube context".into()));
    all.push(("q".into(), "quit".into()));

    let needle = input.trim_start().to_lowercase();
    let mut prefix = Vec::new();
    let mut inside = Vec::new();
    for (cmd, what) in all {
        match matches(&cmd.to_lowercase(), &needle) {
            Some(true) => prefix.push((cmd, what)),
            Some(false) => inside.push((cmd, what)),
            None => {}
        }
        if prefix.len() >= MAX_SUGGESTIONS {
            break;
        }
    }
    prefix.extend(inside);
    prefix.truncate(MAX_SUGGESTIONS);
    prefix
}

/// Whether `candidate` (`svc platform-services/payments-api`) answers `typed` (`svc pay`): the
/// command word as typed so far, then the argument anywhere in the candidate's argument.
/// `Some(true)` for a prefix match, which ranks first.
fn matches(candidate: &str, typed: &str) -> Option<bool> {
    if candidate.starts_with(typed) {
        return Some(true);
    }
    match (candidate.split_once(' '), typed.split_once(' ')) {
        (Some((cmd, arg)), Some((typed_cmd, typed_arg))) if cmd.starts_with(typed_cmd) => {
            let typed_arg = typed_arg.trim();
            arg.contains(typed_arg).then_some(arg.starts_with(typed_arg))
        }
        (_, None) if !typed.is_empty() && candidate.contains(typed) => Some(false),
        _ => None,
    }
}

/// Draws the suggestions at the bottom-left of `area` (the body, just above the footer).
pub fn draw(state: &State, input: &str, theme: &Theme, frame: &mut Frame, area: Rect) {
    let found = suggestions(state, input);
    if area.height < 3 || found.is_empty() {
        return;
    }
    let height = u16::try_from(found.len() + 2).unwrap_or(u16::MAX).min(area.height);
    let width = WIDTH.min(area.width);
    let rect = Rect { x: area.x, y: area.bottom() - height, width, height };
    popup::clear(frame, rect);
    let lines: Vec<Line> = found
        .into_iter()
        .map(|(cmd, what)| {
            Line::from(vec![
                Span::styled(format!(":{:<40} ", clean(&cmd)), theme.key),
                Span::styled(what, theme.muted),
            ])
        })
        .collect();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" command ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn command_then_argument() {
        assert_eq!(matches("svc platform-services/payments-api", "svc pay"), Some(false));
        assert_eq!(matches("svc platform-services/payments-api", "svc platform"), Some(true));
        assert_eq!(matches("svc platform-services/payments-api", "s pay"), Some(false));
        assert_eq!(matches("svc platform-services/payments-api", "ns pay"), None);
        assert_eq!(matches("applications", "app"), Some(true));
        assert_eq!(matches("ns observability", "obs"), Some(false));
        assert_eq!(matches("workloads", ""), Some(true));
    }
}
