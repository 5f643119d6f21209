//! Rows 0–1: where the console points and whether it can be trusted. Row 0 names the context,
//! the namespace scope, the READ-ONLY badge and any narrowing; row 1 tells, per source, whether
//! its data is live, stale (and for how long), forbidden, or not installed.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::age::human_duration;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use platdeck_core::platform::SourceHealth;
use platdeck_core::sanitize::clean;

/// Longest error message shown for a failing source; the rest is noise in a header.
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
        spans.push(Span::styled("…connecting", theme.muted));
        return Line::from(spans);
    }
    let mut shown: Vec<String> = Vec::new();
    for (name, health) in &state.snapshot.sources {
        let label = source_label(name, health, state.now);
        // Kyverno's two resources are one product: "Kyverno not installed" once is enough.
        if shown.contains(&label) {
            continue;
        }
        if !shown.is_empty() {
            spans.push(Span::styled("  ", theme.muted));
        }
        spans.push(Span::styled(label.clone(), theme.source(health)));
        shown.push(label);
    }
    Line::from(spans)
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
        SourceHealth::Error { message } => {
            let message = clean(message);
            let short: String = message.chars().take(MAX_ERROR).collect();
            let more = if message.chars().count() > MAX_ERROR { "…" } else { "" };
            format!("{name} error: {short}{more}")
        }
    }
}
