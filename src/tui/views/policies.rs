//! Kyverno results that are not passing, by service: which rule each resource breaks, how bad
//! it is, and whether the policy blocks admissions (Enforce) or only reports (Audit). `details`
//! shows the full message of the selected result, which the table has to cut.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph, Row, Wrap};

use super::split_for_detail;
use crate::platform::project::{mode_name, result_name, severity_name};
use crate::platform::{PolicyMode, PolicyResultInfo, ServiceKey};
use crate::tui::sanitize::clean;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::widgets::age::age;
use crate::tui::widgets::table::{self, TableSpec};

pub fn table_area(state: &State, body: Rect) -> Rect {
    if state.detail { split_for_detail(body).0 } else { body }
}

/// Which service each result belongs to, by identity: built per frame from the service join, in
/// one pass over the failing results (not per row).
fn owners(state: &State) -> HashMap<*const PolicyResultInfo, &ServiceKey> {
    state
        .services
        .iter()
        .flat_map(|s| s.results.iter().map(move |r| (std::sync::Arc::as_ptr(r), &s.key)))
        .collect()
}

fn mode_of(state: &State, policy: &str) -> PolicyMode {
    state.snapshot.policies.iter().find(|p| p.name == policy).map_or(PolicyMode::Unknown, |p| p.mode)
}

/// The service column: `ns/name`, or the namespace for a resource no service owns.
fn service_label(owner: Option<&ServiceKey>, r: &PolicyResultInfo) -> String {
    match owner {
        Some(key) => key.to_string(),
        None if r.namespace.is_empty() => "(cluster)".to_string(),
        None => format!("{} (no service)", r.namespace),
    }
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let results = state.results();
    let owners = owners(state);
    let area = table_area(state, body);
    let columns = [
        ("SERVICE", Constraint::Length(32)),
        ("RESULT", Constraint::Length(6)),
        ("SEVERITY", Constraint::Length(8)),
        ("POLICY/RULE", Constraint::Length(48)),
        ("RESOURCE", Constraint::Length(36)),
        ("MODE", Constraint::Length(7)),
        ("MESSAGE", Constraint::Fill(1)),
    ];
    let spec = TableSpec {
        columns: &columns,
        len: results.len(),
        cursor: Some(state.cursor()),
        empty: "no failing policy results in this scope ✓",
    };
    let visible = table::visible_rows(area);
    let first = table::scroll_offset(state.cursor(), visible);
    table::draw(frame, area, theme, &spec, |i| {
        let Some(r) = results.get(i) else { return Row::default() };
        let service = service_label(owners.get(&std::sync::Arc::as_ptr(r)).copied(), r);
        // Grouped: a service is named on its first row (and at the top of the screen) only.
        let same_as_above = i > first
            && results.get(i - 1).is_some_and(|above| {
                service_label(owners.get(&std::sync::Arc::as_ptr(above)).copied(), above) == service
            });
        let service_cell = if same_as_above {
            table::owned("", theme.muted)
        } else {
            table::owned(clean(&service).into_owned(), theme.text)
        };
        let mode = mode_of(state, &r.policy);
        Row::new([
            service_cell,
            table::owned(result_name(r.result), theme.policy_result(r.result)),
            table::owned(severity_name(r.severity), theme.severity(r.severity)),
            table::owned(clean(&format!("{}/{}", r.policy, r.rule)).into_owned(), theme.text),
            table::owned(clean(&format!("{}/{}", r.resource_kind, r.resource_name)).into_owned(), theme.text),
            table::owned(mode_name(mode), theme.policy_mode(mode)),
            table::text(&r.message, theme.muted),
        ])
    });
    if state.detail {
        let pane = split_for_detail(body).1;
        let selected = results.get(state.cursor()).map(|r| &***r);
        let owner = selected.and_then(|r| owners.get(&(r as *const PolicyResultInfo)).copied());
        draw_detail(state, theme, frame, pane, selected, owner);
    }
}

fn draw_detail(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    r: Option<&PolicyResultInfo>,
    owner: Option<&ServiceKey>,
) {
    if area.is_empty() {
        return;
    }
    let Some(r) = r else { return };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .padding(Padding::horizontal(1))
        .title(Span::styled(format!(" {}/{} ", clean(&r.policy), clean(&r.rule)), theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label = |s: &'static str| Span::styled(format!("{s:<11}"), theme.table_header);
    let policy = state.snapshot.policies.iter().find(|p| p.name == r.policy);
    let mode = policy.map_or(PolicyMode::Unknown, |p| p.mode);
    let title = policy.map(|p| clean(&p.title).into_owned()).unwrap_or_default();
    let lines = vec![
        Line::from(vec![
            label("resource"),
            Span::styled(
                clean(&format!("{}/{} in {}", r.resource_kind, r.resource_name, r.namespace)).into_owned(),
                theme.text,
            ),
            Span::styled(format!("   service {}", clean(&service_label(owner, r))), theme.muted),
        ]),
        Line::from(vec![
            label("result"),
            Span::styled(result_name(r.result), theme.policy_result(r.result)),
            Span::styled("  severity ", theme.muted),
            Span::styled(severity_name(r.severity), theme.severity(r.severity)),
            Span::styled("  mode ", theme.muted),
            Span::styled(mode_name(mode), theme.policy_mode(mode)),
            Span::styled(format!("  category {}", clean(&r.category)), theme.muted),
            Span::styled(format!("  reported {} ago", age(state.now, r.timestamp)), theme.muted),
        ]),
        Line::from(vec![label("policy"), Span::styled(title, theme.text)]),
        Line::from(vec![label("message"), Span::styled(clean(&r.message).into_owned(), theme.text)]),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
