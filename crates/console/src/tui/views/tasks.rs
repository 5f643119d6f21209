//! The Tasks view: the validation or provisioning run, grouped by phase — spinners for running tasks,
//! status symbols, durations, a progress gauge, and the selected task's message and output lines.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Padding, Paragraph, Row, Wrap};

use crate::tasks::engine::{Status, TaskState, human_duration};
use crate::tui::keymap::Command;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::views::ViewDef;
use crate::tui::widgets::pane::pane;
use crate::tui::widgets::popup;
use crate::tui::widgets::table::{self, TableSpec};
use platdeck_core::platform::ServiceKey;
use platdeck_core::sanitize::clean;

/// The table takes this share of the body; the selected task's pane the rest.
fn split(body: Rect, len: usize) -> (Rect, Rect) {
    let most = (body.height * 3 / 5).max(4);
    let wanted = u16::try_from(len.saturating_add(1)).unwrap_or(u16::MAX);
    let height = wanted.clamp(4, most).min(body.height);
    (Rect { height, ..body }, Rect { y: body.y + height, height: body.height - height, ..body })
}

pub fn table_area(state: &State, body: Rect) -> Rect {
    split(body, state.row_count(state.view)).0
}

fn status_style(status: &Status, theme: &Theme) -> ratatui::style::Style {
    match status {
        Status::Passed => theme.ok,
        Status::Failed | Status::Cancelled => theme.error,
        Status::Running => theme.info,
        Status::Skipped(_) => theme.warn,
        Status::Pending => theme.muted,
    }
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let tasks = &state.tasks;
    let rows = state.task_rows();
    let (area, detail) = split(body, rows.len());
    let shown = table::window(area, rows.len(), Some(state.cursor()));
    let on_screen = || rows.get(shown.clone()).unwrap_or_default().iter();
    let columns = [
        ("PHASE", table::fit("PHASE", on_screen().map(|t| t.phase.chars().count()), 6, 22)),
        ("", Constraint::Length(1)),
        ("TASK", table::fit("TASK", on_screen().map(|t| t.name.chars().count()), 10, 60)),
        ("STATUS", Constraint::Length(9)),
        ("TIME", Constraint::Length(8)),
        ("MESSAGE", Constraint::Fill(1)),
    ];
    let empty = match &tasks.error {
        Some(_) => "the run did not start — see the message below",
        None => "no task run yet — v validates the platform, p provisions it (after confirmation)",
    };
    let spec = TableSpec { columns: &columns, len: rows.len(), cursor: Some(state.cursor()), empty };
    table::draw(frame, area, theme, &spec, |i| {
        let Some(t) = rows.get(i) else { return Row::default() };
        // The phase is named on its first task only: the rows read as groups.
        let first_of_phase = i == 0 || rows.get(i - 1).is_some_and(|p| p.phase != t.phase);
        let style = status_style(&t.status, theme);
        Row::new(vec![
            table::text(if first_of_phase { &t.phase } else { "" }, theme.accent),
            table::owned(tasks.symbol(&t.status), style),
            table::text(&t.name, theme.text),
            table::owned(t.status.name(), style),
            table::owned(t.elapsed().map(human_duration).unwrap_or_default(), theme.muted),
            table::text(&t.message, theme.text),
        ])
    });
    draw_detail(state, theme, frame, detail, rows.get(state.cursor()).copied());
}

/// The gauge, then the selected task: its phase, status, message and output.
fn draw_detail(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, task: Option<&TaskState>) {
    if area.is_empty() {
        return;
    }
    let tasks = &state.tasks;
    let (done, total) = tasks.progress();
    let gauge_area = Rect { height: 1, ..area };
    let ratio = if total == 0 { 0.0 } else { done as f64 / total as f64 };
    let label = match tasks.kind {
        Some(kind) => format!("{} {done}/{total}", kind.name()),
        None => "no run".to_string(),
    };
    frame.render_widget(
        Gauge::default().gauge_style(theme.ok).ratio(ratio.clamp(0.0, 1.0)).label(label),
        gauge_area,
    );
    let rest = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
    if rest.is_empty() {
        return;
    }
    if let (None, Some(error)) = (task, &tasks.error) {
        frame.render_widget(
            Paragraph::new(clean(error).into_owned()).style(theme.error).wrap(Wrap { trim: false }),
            rest,
        );
        return;
    }
    let Some(t) = task else { return };
    let title = format!(" {} · {} ", clean(&tasks.phase_title(&t.phase)), clean(&t.name));
    let block = pane(title, theme);
    let inner = block.inner(rest);
    frame.render_widget(block, rest);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} {}", tasks.symbol(&t.status), t.status.name()),
            status_style(&t.status, theme),
        ),
        Span::styled(
            format!(
                "   {}{}",
                t.elapsed().map(human_duration).unwrap_or_default(),
                if t.attempts > 1 { format!(" · attempt {}", t.attempts) } else { String::new() }
            ),
            theme.muted,
        ),
    ])];
    if !t.message.is_empty() {
        lines.push(Line::styled(clean(&t.message).into_owned(), theme.text));
    }
    let room = usize::from(inner.height).saturating_sub(lines.len() + 1);
    if t.dropped_output > 0 {
        lines.push(Line::styled(format!("… {} earlier lines dropped", t.dropped_output), theme.muted));
    }
    // The newest output lines that fit.
    let skip = t.output.len().saturating_sub(room);
    lines.extend(t.output.iter().skip(skip).map(|l| Line::styled(clean(l).into_owned(), theme.muted)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The provisioning confirmation: the context and each change, then y/n.
pub fn draw_confirm(
    text: &str,
    keymap: &crate::tui::keymap::Keymap,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    if area.is_empty() {
        return;
    }
    let width = 100.min(area.width.saturating_sub(4)).max(area.width.min(20));
    let mut lines: Vec<Line> = vec![Line::raw("")];
    lines.extend(text.lines().map(|l| Line::styled(clean(l).into_owned(), theme.text)));
    lines.push(Line::raw(""));
    lines.push(crate::tui::widgets::confirm::yes_no(keymap, theme));
    let inner = usize::from(width.saturating_sub(4)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum::<usize>() + 2;
    let rect = popup::centered(area, width, u16::try_from(rows).unwrap_or(u16::MAX));
    popup::clear(frame, rect);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.dialog)
        .padding(Padding::horizontal(1))
        .title(Span::styled(" Confirm: provision ", theme.dialog));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: true }), rect);
}

/// The Tasks view in the views table.
pub struct TasksView;

impl ViewDef for TasksView {
    fn title(&self) -> &'static str {
        "Tasks"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["task", "validate", "provision", "run"]
    }
    fn command(&self) -> Command {
        Command::Tasks
    }
    /// The run's tasks in display order: by phase (in the suite's order), then in dependency order.
    fn derive(&self, state: &State) -> Vec<usize> {
        let tasks = &state.tasks;
        let rank = |i: &usize| {
            let phase = &tasks.snapshot.tasks[*i].phase;
            tasks.phases.iter().position(|p| p.id == *phase).unwrap_or(usize::MAX)
        };
        let mut rows: Vec<usize> = (0..tasks.snapshot.tasks.len()).collect();
        rows.sort_by_key(rank);
        rows
    }
    fn selected_service(&self, _state: &State, _row: usize) -> Option<ServiceKey> {
        None
    }
    fn has_detail(&self) -> bool {
        false
    }
    fn table_area(&self, state: &State, body: Rect) -> Rect {
        table_area(state, body)
    }
    fn draw(&self, state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
        draw(state, theme, frame, body)
    }
}
