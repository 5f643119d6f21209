//! Deployments (what `kubectl get deploy` and `kubectl rollout status` say) with, below them, the
//! pods of the selected deployment, broken pods first. `details` adds the deployment's images,
//! labels and generation between the two.

use std::cmp::Ordering;
use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Wrap};

use crate::tui::keymap::Command;
use crate::tui::state::{State, View};
use crate::tui::theme::Theme;
use crate::tui::views::ViewDef;
use crate::tui::widgets::age::age;
use crate::tui::widgets::pane::pane;
use crate::tui::widgets::table::{self, TableSpec};
use platdeck_core::platform::ServiceKey;
use platdeck_core::platform::attention::pod_failure;
use platdeck_core::platform::project::rollout_name;
use platdeck_core::platform::services::service_of_deployment;
use platdeck_core::platform::{DeploymentInfo, PodInfo, RolloutState};
use platdeck_core::sanitize::clean;

const NAME_MIN: u16 = 16;
const NAME_MAX: u16 = 44;
const DETAIL_HEIGHT: u16 = 7;
/// The pods pane keeps at least its title, header and a few pods.
const PODS_MIN: u16 = 6;

struct Panes {
    deployments: Rect,
    detail: Rect,
    pods: Rect,
}

fn panes(detail: bool, deployments: usize, body: Rect) -> Panes {
    let count = u16::try_from(deployments).unwrap_or(u16::MAX);
    let detail_height = if detail { DETAIL_HEIGHT.min(body.height / 4) } else { 0 };
    // Deployments take what they need (up to half), pods get the rest, at least a few rows.
    let wanted = count.saturating_add(1).max(2);
    let deployments_height = if body.height > PODS_MIN + detail_height + 2 {
        wanted.min(body.height / 2).min(body.height - PODS_MIN - detail_height)
    } else {
        body.height
    };
    let deployments = Rect { height: deployments_height, ..body };
    let rest = body.height - deployments_height;
    let detail = Rect { y: deployments.bottom(), height: detail_height.min(rest), ..body };
    let pods = Rect { y: detail.bottom(), height: rest - detail.height, ..body };
    Panes { deployments, detail, pods }
}

pub fn table_area(state: &State, body: Rect) -> Rect {
    panes(state.detail, state.row_count(View::Workloads), body).deployments
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let deployments = state.deployments();
    let panes = panes(state.detail, deployments.len(), body);
    let all_namespaces = state.scope.namespace.is_none();
    let shown = table::window(panes.deployments, deployments.len(), Some(state.cursor()));
    let on_screen = || deployments.get(shown.clone()).unwrap_or_default().iter();
    let mut columns = Vec::with_capacity(8);
    if all_namespaces {
        let widths = on_screen().map(|d| d.namespace.chars().count());
        columns.push(("NAMESPACE", table::fit("NAMESPACE", widths, 9, 30)));
    }
    columns.extend([
        ("NAME", table::fit("NAME", on_screen().map(|d| d.name.chars().count()), NAME_MIN, NAME_MAX)),
        ("READY", Constraint::Length(7)),
        ("UP-TO-DATE", Constraint::Length(10)),
        ("AVAILABLE", Constraint::Length(9)),
        ("AGE", Constraint::Length(6)),
        ("ROLLOUT", Constraint::Fill(1)),
    ]);
    let spec = TableSpec {
        columns: &columns,
        len: deployments.len(),
        cursor: Some(state.cursor()),
        empty: "no deployments in this scope",
    };
    table::draw(frame, panes.deployments, theme, &spec, |i| {
        let Some(d) = deployments.get(i) else { return Row::default() };
        let ready_style = if d.ready >= d.desired { theme.text } else { theme.warn };
        let mut cells = Vec::with_capacity(7);
        if all_namespaces {
            cells.push(table::text(&d.namespace, theme.muted));
        }
        cells.extend([
            table::text(&d.name, theme.text),
            table::owned(format!("{}/{}", d.ready, d.desired), ready_style),
            table::owned(d.updated.to_string(), theme.text),
            table::owned(d.available.to_string(), theme.text),
            table::owned(age(state.now, d.created), theme.muted),
            rollout_cell(theme, d),
        ]);
        Row::new(cells)
    });

    let selected = deployments.get(state.cursor()).map(|d| &***d);
    draw_detail(state, theme, frame, panes.detail, selected);
    draw_pods(state, theme, frame, panes.pods, selected);
}

/// `Stalled  ReplicaSet "x" has timed out progressing.`: the state, then what kubectl would say —
/// except for a complete rollout, where the message is noise.
fn rollout_cell<'a>(theme: &Theme, d: &'a DeploymentInfo) -> ratatui::widgets::Cell<'a> {
    let mut spans = vec![Span::styled(rollout_name(d.rollout), theme.rollout(d.rollout))];
    if d.rollout != RolloutState::Complete && !d.rollout_message.is_empty() {
        spans.push(Span::styled("  ", theme.muted));
        spans.push(Span::styled(clean(&d.rollout_message), theme.muted));
    }
    ratatui::widgets::Cell::from(Line::from(spans))
}

fn draw_detail(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, d: Option<&DeploymentInfo>) {
    if area.is_empty() {
        return;
    }
    let Some(d) = d else { return };
    let block = pane(format!(" deployment {}/{} ", clean(&d.namespace), clean(&d.name)), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label = |s: &'static str| Span::styled(format!("{s:<12}"), theme.table_header);
    let service =
        d.service.as_deref().map_or_else(|| "(no app.kubernetes.io/name label)".into(), |s| clean(s));
    let app = state
        .service(&service_of_deployment(d))
        .and_then(|s| s.app.as_ref())
        .map_or_else(|| "-".to_string(), |a| clean(&a.name).into_owned());
    let generation_style = if d.observed_generation < d.generation { theme.warn } else { theme.text };
    let labels =
        d.labels.iter().map(|(k, v)| format!("{}={}", clean(k), clean(v))).collect::<Vec<_>>().join("  ");
    let lines = vec![
        Line::from(vec![
            label("service"),
            Span::styled(service, theme.text),
            Span::styled("   Argo CD app ", theme.muted),
            Span::styled(app, theme.text),
            Span::styled("   generation ", theme.muted),
            Span::styled(format!("{} (observed {})", d.generation, d.observed_generation), generation_style),
        ]),
        Line::from(vec![label("images"), Span::styled(clean(&d.images.join("  ")).into_owned(), theme.text)]),
        Line::from(vec![label("labels"), Span::styled(labels, theme.muted)]),
        Line::from(vec![
            label("rollout"),
            Span::styled(rollout_name(d.rollout), theme.rollout(d.rollout)),
            Span::styled(format!("  {}", clean(&d.rollout_message)), theme.text),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// Worst first: failing (crash loop, image pull), then not ready, then terminating, then fine.
fn pod_rank(p: &PodInfo) -> u8 {
    if pod_failure(p).is_some() {
        0
    } else if p.terminating {
        2
    } else if !p.ready && p.phase != "Succeeded" {
        1
    } else {
        3
    }
}

fn pod_order(a: &&Arc<PodInfo>, b: &&Arc<PodInfo>) -> Ordering {
    pod_rank(a).cmp(&pod_rank(b)).then_with(|| a.name.cmp(&b.name))
}

fn draw_pods(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, d: Option<&DeploymentInfo>) {
    if area.is_empty() {
        return;
    }
    let mut pods = state.pods();
    let total = pods.len();
    let not_ready = pods.iter().filter(|p| !p.ready && !p.terminating && p.phase != "Succeeded").count();
    let whose = match d {
        Some(d) => format!("pods of {}/{}", clean(&d.namespace), clean(&d.name)),
        None => "pods in scope".to_string(),
    };
    let title = format!(" {whose} · {total} pods · {not_ready} not ready ");
    let block =
        Block::new().borders(Borders::TOP).border_style(theme.border).title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // Only the rows on screen need ordering: select them in O(n), then sort just those.
    let visible = table::visible_rows(inner).min(pods.len());
    if visible == 0 {
        pods.clear();
    } else if visible < pods.len() {
        pods.select_nth_unstable_by(visible - 1, pod_order);
        pods.truncate(visible);
    }
    pods.sort_by(pod_order);

    let columns = [
        ("NAME", table::fit("NAME", pods.iter().map(|p| p.name.chars().count()), NAME_MIN, NAME_MAX + 20)),
        ("READY", Constraint::Length(5)),
        ("STATUS", table::fit("STATUS", pods.iter().map(|p| p.status.chars().count()), 8, 26)),
        ("RESTARTS", Constraint::Length(8)),
        (
            "LAST EXIT",
            table::fit(
                "LAST EXIT",
                pods.iter().filter_map(|p| p.last_termination.as_ref()).map(|t| t.chars().count()),
                9,
                20,
            ),
        ),
        ("AGE", Constraint::Length(6)),
        ("NODE", Constraint::Fill(1)),
    ];
    let spec = TableSpec {
        columns: &columns,
        len: pods.len(),
        cursor: None,
        empty: if d.is_some() { "no pods" } else { "no pods in this scope" },
    };
    table::draw(frame, inner, theme, &spec, |i| {
        let Some(p) = pods.get(i) else { return Row::default() };
        let restarts_style = if p.restarts > 0 { theme.warn } else { theme.text };
        Row::new([
            table::text(&p.name, theme.text),
            table::owned(
                format!("{}/{}", p.ready_containers, p.total_containers),
                if p.ready { theme.text } else { theme.warn },
            ),
            table::text(&p.status, theme.pod_status(&p.status, p.ready)),
            table::owned(p.restarts.to_string(), restarts_style),
            table::text(p.last_termination.as_deref().unwrap_or("-"), theme.muted),
            table::owned(age(state.now, p.created), theme.muted),
            table::text(p.node.as_deref().unwrap_or("-"), theme.muted),
        ])
    });
}

/// The Workloads view in the views table.
pub struct WorkloadsView;

/// A ReplicaSet `<deployment>-<hash>` belongs to its deployment.
pub fn owned_by(replicaset: &str, deployment: &str) -> bool {
    replicaset.strip_prefix(deployment).is_some_and(|rest| rest.starts_with('-') && !rest[1..].contains('-'))
}

impl ViewDef for WorkloadsView {
    fn title(&self) -> &'static str {
        "Workloads"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["deploy", "deployments", "pods", "po", "pod"]
    }
    fn command(&self) -> Command {
        Command::Workloads
    }
    fn derive(&self, state: &State) -> Vec<usize> {
        let deployments = state.snapshot.deployments.iter().enumerate();
        deployments.filter(|(_, d)| state.scope.matches_deployment(d)).map(|(i, _)| i).collect()
    }
    /// Pods of the selected deployment, or of the scope when none is selected.
    fn derive_secondary(&self, state: &State) -> Vec<usize> {
        let deployments = state.deployments();
        let selected = deployments.get(state.cursor_of(View::Workloads));
        state
            .snapshot
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| state.scope.matches_pod(p))
            .filter(|(_, p)| match selected {
                Some(d) => {
                    p.namespace == d.namespace && p.owner.as_deref().is_some_and(|o| owned_by(o, &d.name))
                }
                None => true,
            })
            .map(|(i, _)| i)
            .collect()
    }
    fn selected_service(&self, state: &State, row: usize) -> Option<ServiceKey> {
        let d = state.deployments().get(row).map(|d| (*d).clone())?;
        Some(ServiceKey { namespace: d.namespace.clone(), name: d.service.clone().unwrap_or(d.name.clone()) })
    }
    fn table_area(&self, state: &State, body: Rect) -> Rect {
        table_area(state, body)
    }
    fn draw(&self, state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
        draw(state, theme, frame, body)
    }
}
