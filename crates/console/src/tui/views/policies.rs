//! Kyverno results that are not passing, by service: which rule each resource breaks, how bad
//! it is, and whether the policy blocks admissions (Enforce) or only reports (Audit). `details`
//! shows the full message of the selected result, which the table has to cut.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
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
use platdeck_core::platform::PolicyResult;
use platdeck_core::platform::project::{mode_name, result_name, severity_name};
use platdeck_core::platform::{PolicyMode, PolicyResultInfo, ServiceKey};
use platdeck_core::sanitize::clean;

pub fn table_area(state: &State, body: Rect) -> Rect {
    with_detail(state.detail, body, state.row_count(state.view)).0
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

/// The service column: `ns/name` (or just `name` when every row on screen shares the namespace,
/// which the detail pane still names), or the namespace for a resource no service owns.
fn service_label(owner: Option<&ServiceKey>, r: &PolicyResultInfo, with_namespace: bool) -> String {
    match owner {
        Some(key) if with_namespace => key.to_string(),
        Some(key) => key.name.clone(),
        None if r.namespace.is_empty() => "(cluster)".to_string(),
        None => format!("{} (no service)", r.namespace),
    }
}

/// `kind/name`, lower-case kind as kubectl writes it.
fn resource(r: &PolicyResultInfo) -> String {
    clean(&format!("{}/{}", r.resource_kind.to_lowercase(), r.resource_name)).into_owned()
}

/// The message keeps at least this many columns; names give way first.
const MESSAGE_MIN: u16 = 20;

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let results = state.results();
    let owners = owners(state);
    let owner = |r: &PolicyResultInfo| owners.get(&(r as *const PolicyResultInfo)).copied();
    let (area, pane) = with_detail(state.detail, body, results.len());
    let shown = table::window(area, results.len(), Some(state.cursor()));
    let first = shown.start;
    let on_screen = || results.get(shown.clone()).unwrap_or_default().iter();
    let mut namespaces = on_screen().map(|r| r.namespace.as_str());
    let one_namespace = namespaces.next().is_none_or(|ns| namespaces.all(|x| x == ns));
    let with_namespace = state.scope.namespace.is_none() && !one_namespace;
    let label = |r: &PolicyResultInfo| service_label(owner(r), r, with_namespace);

    let natural = |title: &str, widths: Vec<usize>| {
        let widest = widths.into_iter().chain([title.chars().count()]).max().unwrap_or(0);
        u16::try_from(widest).unwrap_or(u16::MAX)
    };
    let mut widths = [
        natural("SERVICE", on_screen().map(|r| label(r).chars().count()).collect()),
        natural(
            "POLICY/RULE",
            on_screen().map(|r| r.policy.chars().count() + 1 + r.rule.chars().count()).collect(),
        ),
        natural("RESOURCE", on_screen().map(|r| resource(r).chars().count()).collect()),
    ];
    let fixed = 6 + 8 + 7; // RESULT, SEVERITY, MODE
    table::shrink(&mut widths, &[16, 32, 20], table::room(area, fixed + MESSAGE_MIN, 7));
    let [service_w, rule_w, resource_w] = widths;
    let columns = [
        ("SERVICE", Constraint::Length(service_w)),
        ("RESULT", Constraint::Length(6)),
        ("SEVERITY", Constraint::Length(8)),
        ("POLICY/RULE", Constraint::Length(rule_w)),
        ("RESOURCE", Constraint::Length(resource_w)),
        ("MODE", Constraint::Length(7)),
        ("MESSAGE", Constraint::Fill(1)),
    ];
    let spec = TableSpec {
        columns: &columns,
        len: results.len(),
        cursor: Some(state.cursor()),
        empty: "no failing policy results in this scope ✓",
    };
    table::draw(frame, area, theme, &spec, |i| {
        let Some(r) = results.get(i) else { return Row::default() };
        let service = label(r);
        // Grouped: a service is named on its first row (and at the top of the screen) only.
        let same_as_above = i > first && results.get(i - 1).is_some_and(|above| label(above) == service);
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
            table::owned(resource(r), theme.text),
            table::owned(mode_name(mode), theme.policy_mode(mode)),
            table::text(&r.message, theme.muted),
        ])
    });
    if let Some(pane) = pane {
        let selected = results.get(state.cursor()).map(|r| &***r);
        draw_detail(state, theme, frame, pane, selected, selected.and_then(owner));
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
    let block = pane(format!(" {}/{} ", clean(&r.policy), clean(&r.rule)), theme);
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
            Span::styled(format!("   service {}", clean(&service_label(owner, r, true))), theme.muted),
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

/// The Policies view in the views table.
pub struct PoliciesView;

impl ViewDef for PoliciesView {
    fn title(&self) -> &'static str {
        "Policies"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["polr", "policy", "kyverno", "violations"]
    }
    fn command(&self) -> Command {
        Command::Policies
    }
    /// Non-passing policy results, narrowed by scope.
    fn derive(&self, state: &State) -> Vec<usize> {
        let results = state.snapshot.policy_results.iter().enumerate();
        results
            .filter(|(_, r)| r.result != PolicyResult::Pass && r.result != PolicyResult::Skip)
            .filter(|(_, r)| state.scope.matches_result(r, &state.services))
            .map(|(i, _)| i)
            .collect()
    }
    fn selected_service(&self, state: &State, row: usize) -> Option<ServiceKey> {
        let r = state.results().get(row).map(|r| (*r).clone())?;
        state
            .services
            .iter()
            .find(|s| s.results.iter().any(|x| x.resource_uid == r.resource_uid && x.rule == r.rule))
            .map(|s| s.key.clone())
    }
    fn table_area(&self, state: &State, body: Rect) -> Rect {
        table_area(state, body)
    }
    fn draw(&self, state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
        draw(state, theme, frame, body)
    }
}
