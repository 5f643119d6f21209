//! Rows 0–1: where the console points and whether it can be trusted. Row 0 names the context,
//! the namespace scope, the READ-ONLY badge and any narrowing; row 1 tells, per source, whether
//! its data is live, stale (and for how long), forbidden, or not installed.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::age::human_duration;
use crate::tui::keymap::Command;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use platdeck_core::platform::SourceHealth;
use platdeck_core::sanitize::clean;

/// Longest error message shown for a failing source; the diagnostics panel holds the whole text.
const MAX_ERROR: usize = 40;

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let top = Rect { height: 1, ..area };
    frame.render_widget(Paragraph::new(scope_line(state, theme)), top);
    if area.height > 1 {
        let bottom = Rect { y: area.y + 1, height: 1, ..area };
        frame.render_widget(Paragraph::new(sources_line(state, theme)), bottom);
    }
}

fn scope_line<'a>(state: &'a State, theme: &Theme) -> Line<'a> {
    let sep = Span::styled(" · ", theme.muted);
    let mut spans = vec![
        Span::styled(" platdeck", theme.title),
        sep.clone(),
        Span::styled("context ", theme.muted),
        Span::styled(clean(&state.context), theme.accent),
        sep.clone(),
    ];
    match &state.scope.namespace {
        Some(ns) => {
            spans.push(Span::styled("namespace ", theme.muted));
            spans.push(Span::styled(clean(ns), theme.accent));
        }
        None => spans.push(Span::styled("all namespaces", theme.accent)),
    }
    if state.readonly {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(" READ-ONLY ", theme.readonly));
    }
    if let Some(service) = &state.scope.service {
        spans.push(sep.clone());
        spans.push(Span::styled("service: ", theme.scope));
        spans.push(Span::styled(clean(&service.namespace), theme.scope));
        spans.push(Span::styled("/", theme.scope));
        spans.push(Span::styled(clean(&service.name), theme.scope));
    }
    if !state.scope.filter.is_empty() {
        spans.push(sep);
        spans.push(Span::styled("filter: ", theme.scope));
        spans.push(Span::styled(clean(&state.scope.filter), theme.scope));
    }
    Line::from(spans)
}

fn sources_line<'a>(state: &'a State, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(" sources ", theme.muted)];
    if state.snapshot.sources.is_empty() {
        let text = match &state.switching {
            Some(context) => format!("…connecting to context {}", clean(context)),
            None => "…connecting".to_string(),
        };
        spans.push(Span::styled(text, theme.muted));
        return Line::from(spans);
    }
    let mut shown: Vec<String> = Vec::new();
    let mut unhealthy = false;
    let sources = &state.snapshot.sources;
    for (i, (name, health)) in sources.iter().enumerate() {
        unhealthy |= is_unhealthy(health);
        // Sources failing with the same error are named together, the error once.
        if let SourceHealth::Error { message } = health {
            if sources[..i]
                .iter()
                .any(|(_, h)| matches!(h, SourceHealth::Error { message: m } if m == message))
            {
                continue;
            }
            let names: Vec<String> = sources[i..]
                .iter()
                .filter(|(_, h)| matches!(h, SourceHealth::Error { message: m } if m == message))
                .map(|(n, _)| clean(n).into_owned())
                .collect();
            let label = format!("{} error: {}", names.join(" "), brief_error(message));
            push_label(&mut spans, &mut shown, label, theme.source(health), theme);
            continue;
        }
        let label = source_label(name, health, state.now);
        // Kyverno's two resources are one product: "Kyverno not installed" once is enough.
        if shown.contains(&label) {
            continue;
        }
        push_label(&mut spans, &mut shown, label, theme.source(health), theme);
    }
    if unhealthy && let Some(key) = super::footer::short_key(&state.keymap, Command::Diagnostics) {
        spans.push(Span::styled("  · ", theme.muted));
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(" full errors", theme.muted));
    }
    Line::from(spans)
}

fn push_label<'a>(
    spans: &mut Vec<Span<'a>>,
    shown: &mut Vec<String>,
    label: String,
    style: ratatui::style::Style,
    theme: &Theme,
) {
    if !shown.is_empty() {
        spans.push(Span::styled("  ", theme.muted));
    }
    spans.push(Span::styled(label.clone(), style));
    shown.push(label);
}

/// Whether the diagnostics panel has something to say about this source.
fn is_unhealthy(health: &SourceHealth) -> bool {
    matches!(health, SourceHealth::Error { .. } | SourceHealth::Stale { .. } | SourceHealth::Forbidden { .. })
}

/// A long error cut to what matters: the root cause, which error chains put last
/// (`failed to list: client error (Connect): tcp connect error: Connection refused`).
pub fn brief_error(message: &str) -> String {
    let message = clean(message);
    if message.chars().count() <= MAX_ERROR {
        return message.into_owned();
    }
    let cause = message.rsplit(": ").find(|part| !part.trim().is_empty()).unwrap_or(&message);
    let cut: String = cause.chars().take(MAX_ERROR).collect();
    let more = if cause.chars().count() > MAX_ERROR { "…" } else { "" };
    format!("…{cut}{more}")
}

/// `applications ✓`, `pods stale 12s`, `policyreports forbidden`, `Argo CD not installed` …
pub fn source_label(name: &str, health: &SourceHealth, now: Timestamp) -> String {
    let name = clean(name);
    match health {
        SourceHealth::Connected => format!("{name} ✓"),
        SourceHealth::Connecting => format!("{name} …connecting"),
        SourceHealth::Stale { since, .. } => {
            let seconds = now.as_second().saturating_sub(since.as_second());
            format!("{name} stale {}", human_duration(seconds))
        }
        SourceHealth::Forbidden { .. } => format!("{name} forbidden"),
        SourceHealth::NotInstalled => match name.as_ref() {
            "applications" => "Argo CD not installed".to_string(),
            "policyreports" | "policies" | "clusterpolicies" => "Kyverno not installed".to_string(),
            _ => format!("{name} not installed"),
        },
        SourceHealth::Error { message } => format!("{name} error: {}", brief_error(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_keep_their_root_cause() {
        let long = "failed to perform initial object list: HyperError: client error (Connect): tcp connect error: Connection refused (os error 111)";
        assert_eq!(brief_error(long), "…Connection refused (os error 111)");
        assert_eq!(brief_error("short"), "short");
        assert!(brief_error(&"x".repeat(100)).ends_with('…'));
    }
}
