//! The log view: a service's Loki lines, newest at the bottom, parsed into columns (time, level, pod,
//! message, request) — every cluster-sourced string sanitised. Only the rows on screen are formatted.
//! The `/` filter takes words, `level:error` (or `level:warn+`), `pod:NAME` and `~REGEX`. The title
//! names the source (Loki or the pod-log fallback), the backfill window and what is toggled off; the last
//! row is the query editor or the save prompt while one is open; the Explore link shows in a popup.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Wrap};

use crate::tui::logs::{LogPrompt, LogsPane};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::widgets::pane::pane;
use crate::tui::widgets::popup;
use platdeck_core::platform::logline::LogLine;
use platdeck_core::sanitize::clean;

/// A wrapped message shows at most this many rows (a 1 MB line must not fill the screen).
const MAX_WRAP_ROWS: usize = 8;
const CARET: &str = "▌";
/// No row shows more than this much of a line; the rest is never even sanitised for the screen.
const MAX_SHOWN_BYTES: usize = 8 * 1024;

/// The start of `text`, at most `MAX_SHOWN_BYTES`, cut at a character boundary.
fn head(text: &str) -> &str {
    let mut cut = text.len().min(MAX_SHOWN_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

fn time_of(ts_ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ts_ns))
        .map(|t| t.strftime("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|_| "-".into())
}

fn title(logs: &LogsPane) -> String {
    let mut off = Vec::new();
    if !logs.show_fields {
        off.push("fields");
    }
    if !logs.show_time {
        off.push("time");
    }
    // What matters most comes first: a narrow terminal cuts the title from the right.
    let mut title = format!(
        " logs {} · {} · {} · dropped {} (buffer) {} (Loki)",
        clean(&logs.service.to_string()),
        clean(&logs.status),
        logs.window.label(),
        logs.dropped_overflow,
        logs.dropped_upstream
    );
    if !off.is_empty() {
        title.push_str(&format!(" · {} off", off.join(", ")));
    }
    if logs.wrap {
        title.push_str(" · wrap");
    }
    title.push_str(&format!(" · {}", clean(&logs.query)));
    title.push(' ');
    title
}

/// Cuts `text` into rows of `width` characters, at most `MAX_WRAP_ROWS` (the last one marked as cut).
fn wrap_rows(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = text.chars().take(width * MAX_WRAP_ROWS + 1).collect();
    let mut rows: Vec<String> = chars.chunks(width).take(MAX_WRAP_ROWS).map(|c| c.iter().collect()).collect();
    if chars.len() > width * MAX_WRAP_ROWS
        && let Some(last) = rows.last_mut()
    {
        last.pop();
        last.push('…');
    }
    if rows.is_empty() {
        rows.push(String::new());
    }
    rows
}

pub fn draw(_state: &State, logs: &LogsPane, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.height < 2 || area.width < 10 {
        return;
    }
    let block = pane(title(logs), theme);
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(prompt) = &logs.prompt
        && inner.height > 1
    {
        let line_area = Rect { y: inner.bottom() - 1, height: 1, ..inner };
        inner.height -= 1;
        draw_prompt(prompt, theme, frame, line_area);
    }
    draw_lines(logs, theme, frame, inner);
    if let Some(url) = &logs.explore {
        draw_explore(url, theme, frame, area);
    }
}

fn draw_prompt(prompt: &LogPrompt, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (label, text, help) = match prompt {
        LogPrompt::EditQuery(text) => ("query: ", text, "   enter run · esc cancel"),
        LogPrompt::SavePath(text) => ("save to: ", text, "   enter save · esc cancel"),
    };
    let line = Line::from(vec![
        Span::styled(label, theme.key),
        Span::styled(clean(text).into_owned(), theme.text),
        Span::styled(CARET, theme.key),
        Span::styled(help, theme.muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_explore(url: &str, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(4).min(100);
    // The URL wraps inside the borders; the box grows to hold it and the four other lines.
    let url_rows = clean(url).chars().count().div_ceil(usize::from(width.saturating_sub(2)).max(1));
    let height = u16::try_from(url_rows + 6).unwrap_or(u16::MAX);
    let box_area = popup::centered(area, width, height);
    popup::clear(frame, box_area);
    let text = Text::from(vec![
        Line::from(Span::styled("Grafana Explore for this query (copied to the clipboard):", theme.text)),
        Line::from(""),
        Line::from(Span::styled(clean(url).into_owned(), theme.info)),
        Line::from(""),
        Line::from(vec![
            Span::styled("enter", theme.key),
            Span::styled(" open in the browser · ", theme.muted),
            Span::styled("esc", theme.key),
            Span::styled(" close", theme.muted),
        ]),
    ]);
    let block = Block::default().borders(Borders::ALL).title(" Explore link ").border_style(theme.key);
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).block(block), box_area);
}

fn draw_lines(logs: &LogsPane, theme: &Theme, frame: &mut Frame, inner: Rect) {
    if inner.height == 0 {
        return;
    }
    let visible = &logs.visible;
    if let Some(err) = &logs.filter_error {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(clean(err).into_owned(), theme.error))),
            inner,
        );
        return;
    }
    if visible.is_empty() {
        let text = if logs.lines.is_empty() { "waiting for lines…" } else { "no line matches the filter" };
        frame.render_widget(Paragraph::new(Line::from(Span::styled(text, theme.muted))), inner);
        return;
    }
    let mut widths = Vec::new();
    let mut header = Vec::new();
    if logs.show_time {
        widths.push(Constraint::Length(12));
        header.push("TIME");
    }
    widths.extend([Constraint::Length(5), Constraint::Length(30), Constraint::Fill(2)]);
    header.extend(["LEVEL", "POD", "MESSAGE"]);
    if logs.show_fields {
        widths.push(Constraint::Fill(2));
        header.push("REQUEST");
    }
    // The message column's width, as the table will lay it out, for wrapping.
    let columns = ratatui::layout::Layout::horizontal(widths.clone()).spacing(1).split(inner);
    let message_width = usize::from(columns[if logs.show_time { 3 } else { 2 }].width);

    let rows_fit = usize::from(inner.height.saturating_sub(1));
    let end = visible.len().saturating_sub(logs.scroll.min(visible.len().saturating_sub(1)));
    // Newest last: walk back from `end` until the rows (wrapped ones are taller) fill the view.
    let mut rows = Vec::new();
    let mut used = 0;
    for line in visible[..end].iter().rev().filter_map(|&i| logs.lines.get(i)) {
        let row = row_of(line, logs, theme, message_width);
        let height = usize::from(row.1);
        if used + height > rows_fit && !rows.is_empty() {
            break;
        }
        used += height;
        rows.push(row.0.height(row.1));
        if used >= rows_fit {
            break;
        }
    }
    rows.reverse();
    let header = Row::new(header).style(theme.table_header);
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), inner);
}

/// A line's cells and its height in rows.
fn row_of<'a>(l: &Arc<LogLine>, logs: &LogsPane, theme: &Theme, message_width: usize) -> (Row<'a>, u16) {
    let level_style = match l.level.as_str() {
        "error" | "fatal" => theme.error,
        "warn" | "warning" => theme.warn,
        "debug" => theme.muted,
        _ => theme.text,
    };
    let message = if l.json { clean(head(&l.msg)).into_owned() } else { clean(head(&l.raw)).into_owned() };
    let (message, height) = if logs.wrap {
        let rows = wrap_rows(&message, message_width);
        let height = u16::try_from(rows.len()).unwrap_or(1);
        (
            Text::from(rows.into_iter().map(|r| Line::from(Span::styled(r, theme.text))).collect::<Vec<_>>()),
            height,
        )
    } else {
        (Text::from(Span::styled(message, theme.text)), 1)
    };
    let mut cells: Vec<Text<'a>> = Vec::new();
    if logs.show_time {
        cells.push(Text::from(Span::styled(time_of(l.ts_ns), theme.muted)));
    }
    cells.push(Text::from(Span::styled(clean(&l.level).into_owned(), level_style)));
    cells.push(Text::from(Span::styled(clean(&l.pod).into_owned(), theme.text)));
    cells.push(message);
    if logs.show_fields {
        cells.push(Text::from(Span::styled(clean(&l.request).into_owned(), theme.info)));
    }
    (Row::new(cells), height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_is_bounded() {
        assert_eq!(wrap_rows("abcdefg", 3), ["abc", "def", "g"]);
        assert_eq!(wrap_rows("", 3), [""]);
        let long = "x".repeat(1_000_000);
        let rows = wrap_rows(&long, 50);
        assert_eq!(rows.len(), MAX_WRAP_ROWS);
        assert!(rows.last().unwrap().ends_with('…'));
    }
}
