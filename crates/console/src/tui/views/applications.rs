//! Argo CD applications: what `argocd app list` shows, coloured by status, and on `details` the
//! selected app's resources, conditions, last operation and history (newest first) — what an
//! SRE opens the Argo CD UI for during an incident.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::with_detail;
use crate::tui::keymap::Command;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::views::ViewDef;
use crate::tui::widgets::age::age;
use crate::tui::widgets::pane::pane;
use crate::tui::widgets::table::{self, TableSpec};
use platdeck_core::platform::ServiceKey;
use platdeck_core::platform::project::{health_name, sync_name};
use platdeck_core::platform::{AppInfo, OperationInfo};
use platdeck_core::sanitize::clean;

const NAME_MIN: u16 = 16;
const NAME_MAX: u16 = 40;
const RESOURCES_WIDTH: u16 = 70;

pub fn table_area(state: &State, body: Rect) -> Rect {
    with_detail(state.detail, body, state.row_count(state.view)).0
}

/// The first seven characters of a git SHA, as Argo CD and GitHub print them.
pub fn short_revision(revision: &str) -> String {
    let short: String = revision.chars().take(7).collect();
    if short.is_empty() { "-".into() } else { short }
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let apps = state.apps();
    let (area, pane) = with_detail(state.detail, body, apps.len());
    let shown = table::window(area, apps.len(), Some(state.cursor()));
    let on_screen = || apps.get(shown.clone()).unwrap_or_default().iter();
    let columns = [
        ("NAME", table::fit("NAME", on_screen().map(|a| a.name.chars().count()), NAME_MIN, NAME_MAX)),
        ("PROJECT", table::fit("PROJECT", on_screen().map(|a| a.project.chars().count()), 7, 20)),
        ("SYNC", Constraint::Length(10)),
        ("HEALTH", Constraint::Length(11)),
        ("REVISION", Constraint::Length(8)),
        ("AUTO", Constraint::Length(4)),
        ("AGE", Constraint::Length(6)),
        ("LAST OP", Constraint::Fill(1)),
    ];
    let spec = TableSpec {
        columns: &columns,
        len: apps.len(),
        cursor: Some(state.cursor()),
        empty: "no Argo CD applications in this scope",
    };
    table::draw(frame, area, theme, &spec, |i| {
        let Some(app) = apps.get(i) else { return Row::default() };
        let (op, op_style) = last_op(app, theme);
        Row::new([
            table::text(&app.name, theme.text),
            table::text(&app.project, theme.muted),
            table::owned(sync_name(app.sync), theme.sync(app.sync)),
            table::owned(health_name(app.health), theme.health(app.health)),
            table::owned(clean(&short_revision(&app.revision)).into_owned(), theme.muted),
            table::owned(if app.auto_sync { "on" } else { "off" }, theme.muted),
            table::owned(age(state.now, app.created), theme.muted),
            table::owned(op, op_style),
        ])
    });
    if let Some(pane) = pane {
        draw_detail(state, theme, frame, pane, apps.get(state.cursor()).map(|a| &***a));
    }
}

/// `Succeeded: successfully synced`, or `Requested` while an operation waits to start.
fn last_op(app: &AppInfo, theme: &Theme) -> (String, ratatui::style::Style) {
    match &app.last_operation {
        Some(op) if !(app.operation_pending && op.finished_at.is_some()) => {
            let text = if op.message.is_empty() {
                op.phase.clone()
            } else {
                format!("{}: {}", op.phase, op.message)
            };
            (clean(&text).into_owned(), theme.operation(&op.phase))
        }
        _ if app.operation_pending => ("Requested".into(), theme.warn),
        _ => ("-".into(), theme.muted),
    }
}

fn draw_detail(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, app: Option<&AppInfo>) {
    if area.is_empty() {
        return;
    }
    let Some(app) = app else {
        frame.render_widget(Paragraph::new(Span::styled(" no application selected", theme.muted)), area);
        return;
    };
    let title = format!(
        " {} · {} {} → {} ",
        clean(&app.name),
        clean(&app.repo_url),
        clean(&app.path),
        clean(&app.destination_namespace)
    );
    let block = pane(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [resources, facts] = if inner.width >= RESOURCES_WIDTH * 2 {
        Layout::horizontal([Constraint::Length(RESOURCES_WIDTH), Constraint::Fill(1)]).spacing(2).areas(inner)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(inner)
    };

    let columns = [
        ("RESOURCE", Constraint::Fill(1)),
        ("SYNC", Constraint::Length(10)),
        ("HEALTH", Constraint::Length(11)),
    ];
    let spec = TableSpec { columns: &columns, len: app.resources.len(), cursor: None, empty: "no resources" };
    table::draw(frame, resources, theme, &spec, |i| {
        let Some(r) = app.resources.get(i) else { return Row::default() };
        // Argo CD 3 no longer records health for most resources: "-", not a guess.
        let (health, style) = match r.health {
            Some(h) => (health_name(h), theme.health(h)),
            None => ("-", theme.muted),
        };
        Row::new([
            table::owned(clean(&format!("{}/{}", r.kind, r.name)).into_owned(), theme.text),
            table::owned(sync_name(r.sync), theme.sync(r.sync)),
            table::owned(health, style),
        ])
    });
    frame.render_widget(Paragraph::new(facts_lines(state, theme, app)).wrap(Wrap { trim: false }), facts);
}

fn facts_lines<'a>(state: &State, theme: &Theme, app: &'a AppInfo) -> Vec<Line<'a>> {
    let heading = |s: &'static str| Line::styled(s, theme.table_header);
    let mut lines = Vec::new();
    lines.push(Line::from(vec![
        Span::styled("HEALTH ", theme.table_header),
        Span::styled(health_name(app.health), theme.health(app.health)),
        Span::styled(
            if app.health_message.is_empty() {
                String::new()
            } else {
                format!("  {}", clean(&app.health_message))
            },
            theme.text,
        ),
    ]));
    lines.push(heading("OPERATION"));
    match &app.last_operation {
        Some(op) => lines.extend(operation_lines(state, theme, op, app.operation_pending)),
        None if app.operation_pending => lines.push(Line::styled("  requested, not started", theme.warn)),
        None => lines.push(Line::styled("  none yet", theme.muted)),
    }
    lines.push(heading("CONDITIONS"));
    if app.conditions.is_empty() {
        lines.push(Line::styled("  none", theme.muted));
    }
    for c in &app.conditions {
        let style = if c.kind.contains("Error") { theme.error } else { theme.warn };
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", clean(&c.kind)), style),
            Span::styled(format!("  {}", clean(&c.message)), theme.text),
        ]));
    }
    lines.push(heading("HISTORY (newest first)"));
    if app.history.is_empty() {
        lines.push(Line::styled("  none", theme.muted));
    }
    for h in app.history.iter().rev() {
        lines.push(Line::from(vec![
            Span::styled(format!("  #{:<4}", h.id), theme.muted),
            Span::styled(format!("{:<9}", clean(&short_revision(&h.revision))), theme.text),
            Span::styled(format!("{:>7} ago  ", age(state.now, h.deployed_at)), theme.muted),
            Span::styled(clean(&h.initiated_by).into_owned(), theme.muted),
        ]));
    }
    if !app.images.is_empty() {
        lines.push(heading("IMAGES"));
        lines.extend(app.images.iter().map(|i| Line::styled(format!("  {}", clean(i)), theme.text)));
    }
    lines
}

fn operation_lines<'a>(state: &State, theme: &Theme, op: &OperationInfo, pending: bool) -> Vec<Line<'a>> {
    let when = match (op.finished_at, op.started_at) {
        (Some(t), _) => format!("finished {} ago", age(state.now, Some(t))),
        (None, Some(t)) => format!("started {} ago", age(state.now, Some(t))),
        (None, None) => String::new(),
    };
    let by =
        if op.initiated_by.is_empty() { String::new() } else { format!(" by {}", clean(&op.initiated_by)) };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("  {}", clean(&op.phase)), theme.operation(&op.phase)),
        Span::styled(format!("{by}  {when}"), theme.muted),
    ])];
    if !op.message.is_empty() {
        lines.push(Line::styled(format!("  {}", clean(&op.message)), theme.text));
    }
    if pending && op.finished_at.is_some() {
        lines.push(Line::styled("  a new operation is requested", theme.warn));
    }
    lines
}

/// The Applications view in the views table.
pub struct ApplicationsView;

impl ViewDef for ApplicationsView {
    fn title(&self) -> &'static str {
        "Applications"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["app", "apps", "application", "argocd"]
    }
    fn command(&self) -> Command {
        Command::Applications
    }
    fn derive(&self, state: &State) -> Vec<usize> {
        let apps = state.snapshot.apps.iter().enumerate();
        apps.filter(|(_, a)| state.scope.matches_app(a, &state.services)).map(|(i, _)| i).collect()
    }
    fn selected_service(&self, state: &State, row: usize) -> Option<ServiceKey> {
        let app = state.apps().get(row).map(|a| (*a).clone())?;
        state
            .services
            .iter()
            .find(|s| s.app.as_ref().is_some_and(|x| x.name == app.name))
            .map(|s| s.key.clone())
    }
    fn table_area(&self, state: &State, body: Rect) -> Rect {
        table_area(state, body)
    }
    fn draw(&self, state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
        draw(state, theme, frame, body)
    }
}
