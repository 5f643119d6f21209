//! The triage screen: "what is wrong right now?". Services ranked by urgency on the left (their
//! table header on the body's first row, so clicks map), the selected finding's reasons below it,
//! and the platform's counters in a band on the right.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph, Row};

use crate::tui::keymap::Command;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::views::ViewDef;
use crate::tui::widgets::age::age;
use crate::tui::widgets::footer::short_key;
use crate::tui::widgets::pane::pane;
use crate::tui::widgets::table::{self, TableSpec};
use platdeck_core::platform::EventInfo;
use platdeck_core::platform::ServiceKey;
use platdeck_core::platform::attention::{Finding, Urgency};
use platdeck_core::platform::overview::Overview;
use platdeck_core::platform::project::{health_name, sync_name};
use platdeck_core::sanitize::clean;

/// The counters band: wide enough for "Argo CD applications" and a 6-digit count.
const BAND_WIDTH: u16 = 34;
/// Below this body width the counters collapse to one line at the bottom.
const BAND_MIN_BODY: u16 = 90;
/// Below this height the findings table has the left column to itself.
const PANES_MIN_HEIGHT: u16 = 12;
const REASONS_MAX: u16 = 14;
/// The latest-warnings pane appears only with room for its title, header and three events.
const WARNINGS_MIN: u16 = 5;

struct Panes {
    table: Rect,
    reasons: Rect,
    warnings: Rect,
    band: Rect,
    /// The one-line counters when the band does not fit.
    strip: Rect,
}

/// Left column, top to bottom: findings (as tall as they are, up to 3/5), the reasons pane (as
/// tall as the longest reason list, so it does not jump while the cursor moves), then the latest
/// warning events in what is left. The counters band runs down the right side.
fn panes(body: Rect, findings: &[&Finding]) -> Panes {
    let none = Rect { height: 0, width: 0, ..body };
    let (left, band, strip) = if body.width >= BAND_MIN_BODY {
        let left = Rect { width: body.width - BAND_WIDTH, ..body };
        let band = Rect { x: body.x + left.width, width: BAND_WIDTH, ..body };
        (left, band, none)
    } else if body.height >= 8 {
        let left = Rect { height: body.height - 1, ..body };
        (left, none, Rect { y: body.bottom() - 1, height: 1, ..body })
    } else {
        (body, none, none)
    };
    if left.height < PANES_MIN_HEIGHT {
        return Panes { table: left, reasons: none, warnings: none, band, strip };
    }
    let most_reasons = findings.iter().map(|f| f.reasons.len()).max().unwrap_or(0);
    let reasons_height =
        u16::try_from(most_reasons + 2).unwrap_or(u16::MAX).clamp(4, REASONS_MAX).min(left.height / 3);
    let wanted = u16::try_from(findings.len() + 1).unwrap_or(u16::MAX).max(4);
    let mut table_height = wanted.min((left.height * 3 / 5).max(4)).min(left.height - reasons_height);
    let mut rest = left.height - reasons_height - table_height;
    if rest < WARNINGS_MIN {
        table_height += rest;
        rest = 0;
    }
    let table = Rect { height: table_height, ..left };
    let reasons = Rect { y: table.bottom(), height: reasons_height, ..left };
    let warnings = Rect { y: reasons.bottom(), height: rest, ..left };
    Panes { table, reasons, warnings, band, strip }
}

pub fn table_area(state: &State, body: Rect) -> Rect {
    panes(body, &state.attention()).table
}

/// The headline without the service name the SERVICE column already shows.
fn headline(f: &Finding) -> &str {
    f.headline
        .strip_prefix(f.service.name.as_str())
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&f.headline)
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let findings = state.attention();
    let panes = panes(body, &findings);
    let shown = table::window(panes.table, findings.len(), Some(state.cursor()));
    let service_widths =
        findings.get(shown).unwrap_or_default().iter().map(|f| f.service.to_string().chars().count());
    let columns = [
        ("URGENCY", Constraint::Length(8)),
        ("SCORE", Constraint::Length(5)),
        ("SERVICE", table::fit("SERVICE", service_widths, 12, 44)),
        ("HEADLINE", Constraint::Fill(1)),
    ];
    let spec = TableSpec {
        columns: &columns,
        len: findings.len(),
        cursor: Some(state.cursor()),
        empty: if state.scope.is_empty() {
            "nothing needs attention ✓"
        } else {
            "nothing needs attention in this scope ✓"
        },
    };
    table::draw(frame, panes.table, theme, &spec, |i| {
        let Some(f) = findings.get(i) else { return Row::default() };
        Row::new([
            table::owned(urgency_name(f.urgency), urgency_style(theme, f.urgency)),
            table::owned(f.score.to_string(), theme.muted),
            table::owned(clean(&f.service.to_string()).into_owned(), theme.text),
            table::text(headline(f), theme.text),
        ])
    });
    draw_reasons(state, theme, frame, panes.reasons, findings.get(state.cursor()).copied());
    draw_warnings(state, theme, frame, panes.warnings);
    draw_band(&state.overview, theme, frame, panes.band);
    draw_strip(&state.overview, theme, frame, panes.strip);
}

/// The newest warning events in scope: what the cluster has been saying while things broke.
fn draw_warnings(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let mut events = state.events();
    let total = events.len();
    let events_key = short_key(&state.keymap, Command::Events)
        .map(|k| format!(" · {k}: all in Events"))
        .unwrap_or_default();
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(format!(" latest warning events · {total} in scope{events_key} "), theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Newest first; only the rows that fit are selected and sorted (O(n), not O(n log n)).
    let newest = |a: &&Arc<EventInfo>, b: &&Arc<EventInfo>| b.last_seen.cmp(&a.last_seen);
    let k = table::visible_rows(inner).min(events.len());
    if k == 0 {
        events.clear();
    } else if k < events.len() {
        events.select_nth_unstable_by(k - 1, newest);
        events.truncate(k);
    }
    events.sort_by(newest);
    let columns = [
        ("LAST SEEN", Constraint::Length(9)),
        ("REASON", table::fit("REASON", events.iter().map(|e| e.reason.chars().count()), 8, 24)),
        (
            "OBJECT",
            table::fit(
                "OBJECT",
                events.iter().map(|e| e.object_kind.chars().count() + 1 + e.object_name.chars().count()),
                12,
                56,
            ),
        ),
        ("MESSAGE", Constraint::Fill(1)),
    ];
    let spec =
        TableSpec { columns: &columns, len: events.len(), cursor: None, empty: "no warning events ✓" };
    table::draw(frame, inner, theme, &spec, |i| {
        let Some(e) = events.get(i) else { return Row::default() };
        Row::new([
            table::owned(age(state.now, e.last_seen), theme.muted),
            table::text(&e.reason, theme.warn),
            table::owned(
                clean(&format!("{}/{}", e.object_kind.to_lowercase(), e.object_name)).into_owned(),
                theme.text,
            ),
            table::text(&e.message, theme.muted),
        ])
    });
}

fn urgency_name(u: Urgency) -> &'static str {
    match u {
        Urgency::Critical => "critical",
        Urgency::Warning => "warning",
        Urgency::Notice => "notice",
    }
}

fn urgency_style(theme: &Theme, u: Urgency) -> Style {
    match u {
        Urgency::Critical => theme.error,
        Urgency::Warning => theme.warn,
        Urgency::Notice => theme.info,
    }
}

/// Why the selected service is listed, and what can be done about it from here.
fn draw_reasons(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, finding: Option<&Finding>) {
    if area.is_empty() {
        return;
    }
    let title = match finding {
        Some(f) => {
            let app = f.app.as_deref().map(|a| format!(" · Argo CD app {}", clean(a))).unwrap_or_default();
            format!(" why {}{app} ", clean(&f.service.to_string()))
        }
        None => " why ".to_string(),
    };
    let block = pane(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(f) = finding else {
        frame.render_widget(Paragraph::new(Span::styled("no finding selected", theme.muted)), inner);
        return;
    };
    // Reasons first; the action hint takes the last row when there is room for both.
    let room = usize::from(inner.height).saturating_sub(1).max(1);
    let mut lines: Vec<Line> = f
        .reasons
        .iter()
        .take(room)
        .map(|r| Line::from(vec![Span::styled("• ", theme.muted), Span::styled(clean(r), theme.text)]))
        .collect();
    if f.reasons.len() > room
        && let Some(last) = lines.last_mut()
    {
        *last = Line::styled(format!("… and {} more", f.reasons.len() - room + 1), theme.muted);
    }
    if usize::from(inner.height) > lines.len() {
        lines.push(actions_hint(state, theme));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn actions_hint<'a>(state: &State, theme: &Theme) -> Line<'a> {
    let km = &state.keymap;
    let mut actions = vec![(short_key(km, Command::Details), "narrow every view to this service")];
    if !state.readonly {
        actions.push((short_key(km, Command::Restart), "rollout restart"));
        actions.push((short_key(km, Command::Sync), "Argo CD sync"));
    }
    let mut spans = Vec::new();
    for (key, what) in actions {
        let Some(key) = key else { continue };
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(format!(" {what}"), theme.muted));
    }
    Line::from(spans)
}

/// The counters, one per line, label left and count right; zero breakdowns are left out.
fn draw_band(o: &Overview, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let block =
        Block::new().borders(Borders::LEFT).border_style(theme.border).padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let counter = |label: &str, n: usize, style: Style, indent: bool| {
        let label = if indent { format!("  {label}") } else { label.to_string() };
        let n = n.to_string();
        let pad = width.saturating_sub(label.chars().count() + n.len());
        Line::from(vec![
            Span::styled(label, if indent { theme.text } else { theme.table_header }),
            Span::raw(" ".repeat(pad)),
            Span::styled(n, style),
        ])
    };
    let alarm = |n: usize, style: Style| if n == 0 { theme.muted } else { style };
    let mut lines = vec![
        Line::styled("cluster-wide", theme.muted),
        counter("Argo CD applications", o.apps_total, theme.text, false),
    ];
    lines.extend(
        o.apps_by_sync
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| counter(sync_name(*s), *n, theme.sync(*s), true)),
    );
    lines.extend(
        o.apps_by_health
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(h, n)| counter(health_name(*h), *n, theme.health(*h), true)),
    );
    lines.push(Line::raw(""));
    lines.push(counter("Pods", o.pods_total, theme.text, false));
    lines.push(counter("not ready", o.pods_not_ready, alarm(o.pods_not_ready, theme.warn), true));
    lines.push(counter("crash-looping", o.pods_crashlooping, alarm(o.pods_crashlooping, theme.error), true));
    lines.push(Line::raw(""));
    lines.push(counter("Kyverno", o.policy_failures + o.policy_warnings, theme.text, false));
    lines.push(counter("failures", o.policy_failures, alarm(o.policy_failures, theme.error), true));
    lines.push(counter("warnings", o.policy_warnings, alarm(o.policy_warnings, theme.warn), true));
    lines.push(Line::raw(""));
    lines.push(counter("Warning events", o.warning_events_15m, theme.text, false));
    lines.push(counter("last 15 min", o.warning_events_15m, alarm(o.warning_events_15m, theme.warn), true));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The counters squeezed into one line for narrow terminals.
fn draw_strip(o: &Overview, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let count = |s: platdeck_core::platform::SyncStatus| {
        o.apps_by_sync.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n)
    };
    let out_of_sync = count(platdeck_core::platform::SyncStatus::OutOfSync);
    let degraded = o
        .apps_by_health
        .iter()
        .filter(|(h, _)| {
            matches!(
                h,
                platdeck_core::platform::HealthStatus::Degraded
                    | platdeck_core::platform::HealthStatus::Missing
            )
        })
        .map(|(_, n)| n)
        .sum::<usize>();
    let text = format!(
        " apps {} ({out_of_sync} OutOfSync, {degraded} Degraded/Missing) · pods {} ({} not ready, {} crash-looping) · \
         Kyverno {} fail {} warn · {} warning events/15m",
        o.apps_total,
        o.pods_total,
        o.pods_not_ready,
        o.pods_crashlooping,
        o.policy_failures,
        o.policy_warnings,
        o.warning_events_15m
    );
    frame.render_widget(Paragraph::new(Span::styled(text, theme.muted)), area);
}

/// The overview in the views table.
pub struct OverviewView;

impl ViewDef for OverviewView {
    fn title(&self) -> &'static str {
        "Overview"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["home"]
    }
    fn command(&self) -> Command {
        Command::Overview
    }
    /// The ranked findings narrowed by scope and filter.
    fn derive(&self, state: &State) -> Vec<usize> {
        let needle = state.scope.filter.to_lowercase();
        state
            .overview
            .needs_attention
            .iter()
            .enumerate()
            .filter(|(_, f)| state.scope.service.as_ref().is_none_or(|s| *s == f.service))
            .filter(|(_, f)| state.scope.namespace.as_ref().is_none_or(|ns| *ns == f.service.namespace))
            .filter(|(_, f)| {
                needle.is_empty()
                    || f.headline.to_lowercase().contains(&needle)
                    || f.reasons.iter().any(|r| r.to_lowercase().contains(&needle))
            })
            .map(|(i, _)| i)
            .collect()
    }
    fn selected_service(&self, state: &State, row: usize) -> Option<ServiceKey> {
        state.attention().get(row).map(|f| f.service.clone())
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
