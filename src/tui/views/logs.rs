//! The log view: a service's Loki lines, newest at the bottom, parsed into columns (time, level, pod,
//! message, request) — every cluster-sourced string sanitised. Only the rows on screen are formatted.
//! The `/` filter takes words, `level:error` (or `level:warn+`), `pod:NAME` and `~REGEX`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

use crate::tui::logs::LogsPane;
use crate::tui::sanitize::clean;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane::pane;

fn time_of(ts_ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ts_ns))
        .map(|t| t.strftime("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|_| "-".into())
}

pub fn draw(state: &State, logs: &LogsPane, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.height < 2 || area.width < 10 {
        return;
    }
    let title = format!(
        " logs {} · {} · {} · dropped {} (buffer) {} (Loki) ",
        clean(&logs.service.to_string()),
        clean(&logs.query),
        clean(&logs.status),
        logs.dropped_overflow,
        logs.dropped_upstream
    );
    let block = pane(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible: Vec<_> = logs.visible(&state.scope.filter).collect();
    if let Some(err) = LogsPane::filter_error(&state.scope.filter) {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(clean(&err).into_owned(), theme.error))),
            inner,
        );
        return;
    }
    if visible.is_empty() {
        let text = if logs.lines.is_empty() { "waiting for lines…" } else { "no line matches the filter" };
        frame.render_widget(Paragraph::new(Line::from(Span::styled(text, theme.muted))), inner);
        return;
    }
    let rows_fit = usize::from(inner.height.saturating_sub(1));
    let end = visible.len().saturating_sub(logs.scroll.min(visible.len().saturating_sub(1)));
    let start = end.saturating_sub(rows_fit);
    let rows = visible[start..end].iter().map(|l| {
        let level_style = match l.level.as_str() {
            "error" | "fatal" => theme.error,
            "warn" | "warning" => theme.warn,
            "debug" => theme.muted,
            _ => theme.text,
        };
        let message = if l.json { clean(&l.msg).into_owned() } else { clean(&l.raw).into_owned() };
        Row::new(vec![
            Span::styled(time_of(l.ts_ns), theme.muted),
            Span::styled(clean(&l.level).into_owned(), level_style),
            Span::styled(clean(&l.pod).into_owned(), theme.text),
            Span::styled(message, theme.text),
            Span::styled(clean(&l.request).into_owned(), theme.info),
        ])
    });
    let widths = [
        Constraint::Length(12),
        Constraint::Length(5),
        Constraint::Length(30),
        Constraint::Fill(2),
        Constraint::Fill(2),
    ];
    let header = Row::new(["TIME", "LEVEL", "POD", "MESSAGE", "REQUEST"]).style(theme.table_header);
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), inner);
}
