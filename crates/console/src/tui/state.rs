//! The UI's whole state. Derived data (services, overview, each view's rows, the visible log lines) is
//! recomputed in `update` when what it derives from changes (`State::refresh`), so rendering only reads.

use std::sync::Arc;

use jiff::Timestamp;

use super::keymap::{KeyContext, Keymap};
use crate::actions::{Mutation, Strategy};
use crate::tasks::engine::TaskState;
use platdeck_core::platform::attention::Finding;
use platdeck_core::platform::overview::{Overview, overview};
use platdeck_core::platform::scope::Scope;
use platdeck_core::platform::services::{ServiceView, services};
use platdeck_core::platform::{
    AppInfo, DeploymentInfo, EventInfo, PodInfo, PolicyResultInfo, ServiceKey, Snapshot,
};

pub use super::views::View;

/// Which connection (kube context) the UI is looking at: answers from an earlier one are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// A view's cursor and the rows it derived.
#[derive(Debug, Clone, Default)]
pub struct ViewState {
    pub cursor: usize,
    /// Indices into what the view lists (see `ViewDef::derive`).
    pub rows: Vec<usize>,
    /// A second list that follows the cursor (the Workloads view's pods), and the cursor it followed.
    pub secondary: Vec<usize>,
    secondary_for: Option<usize>,
}

/// What the views' rows were derived from: when any of it changes, they are derived again.
#[derive(Debug, Clone, PartialEq)]
struct DeriveKey {
    snapshot: u64,
    scope: Scope,
    tasks: u64,
}

/// What keys do right now.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a filter (applies as you type).
    Filter,
    /// Typing a `:` command.
    Palette(String),
    /// A mutation waits for y/n.
    Confirm(Mutation),
    Help,
    /// A task run that changes something (provisioning) waits for y/n; the text names the context and
    /// each change.
    ConfirmTasks {
        kind: super::tasks::RunKind,
        rerun: bool,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone)]
pub struct State {
    pub context: String,
    pub readonly: bool,
    pub keymap: Keymap,
    pub view: View,
    pub mode: Mode,
    pub snapshot: Arc<Snapshot>,
    pub services: Vec<ServiceView>,
    pub overview: Overview,
    pub scope: Scope,
    /// Per view (in `View::ALL` order): the cursor and the derived rows.
    pub views: Vec<ViewState>,
    derived: Option<DeriveKey>,
    /// Counts snapshots taken, so derived rows know theirs is stale.
    snapshot_revision: u64,
    /// The connection the state shows; answers tagged with another one are stale.
    pub session: SessionId,
    /// A `:ctx` switch waits for its connection (the context asked for).
    pub switching: Option<String>,
    /// The console's own log, when open (it covers the current view until closed).
    pub diagnostics: Option<super::diagnostics::DiagnosticsPane>,
    /// The detail pane (Applications, Workloads) is open.
    pub detail: bool,
    pub notice: Option<Notice>,
    /// Mutations sent and not yet answered.
    pub in_flight: Vec<Mutation>,
    pub now: Timestamp,
    pub width: u16,
    pub height: u16,
    pub quit: bool,
    /// The log view, when open (it covers the current view until closed).
    pub logs: Option<super::logs::LogsPane>,
    /// LogQL for a service's logs; `<ns>` and `<app>` are filled in (config `loki.query_template`).
    pub log_query_template: String,
    /// The Tasks view: the current (or last) validation or provisioning run.
    pub tasks: super::tasks::TasksPane,
    /// The scaffold form, when open (it floats over the current view).
    pub scaffold: Option<super::scaffold_form::ScaffoldForm>,
    /// Templates the scaffold form cycles through.
    pub scaffold_templates: Vec<String>,
    /// Grafana Explore and its Loki datasource, for the log view's link; None when unknown.
    pub explore: Option<platdeck_core::platform::explore::ExploreTarget>,
}

impl State {
    pub fn new(
        context: String,
        readonly: bool,
        namespace: Option<String>,
        keymap: Keymap,
        now: Timestamp,
    ) -> Self {
        let snapshot = Arc::new(Snapshot::default());
        let services = services(&snapshot);
        let overview = overview(&snapshot, &services, now);
        let mut state = Self {
            context,
            readonly,
            keymap,
            view: View::Overview,
            mode: Mode::Normal,
            snapshot,
            services,
            overview,
            scope: Scope { namespace, service: None, filter: String::new() },
            views: vec![ViewState::default(); View::ALL.len()],
            derived: None,
            snapshot_revision: 0,
            session: SessionId::default(),
            switching: None,
            diagnostics: None,
            detail: false,
            notice: None,
            in_flight: Vec::new(),
            now,
            width: 0,
            height: 0,
            quit: false,
            logs: None,
            log_query_template: crate::config::DEFAULT_QUERY_TEMPLATE.to_string(),
            tasks: super::tasks::TasksPane::default(),
            scaffold: None,
            scaffold_templates: crate::assets::template_names().into_iter().map(str::to_string).collect(),
            explore: None,
        };
        state.refresh();
        state
    }

    /// Takes a new snapshot and recomputes what derives from it.
    pub fn set_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.services = services(&snapshot);
        self.overview = overview(&snapshot, &self.services, self.now);
        self.snapshot = snapshot;
        self.snapshot_revision += 1;
        self.refresh();
    }

    /// Derives again what changed inputs invalidate: every view's rows when the snapshot, the scope or
    /// the task run changed; the cursor-following lists when their cursor moved; the log view's
    /// visible lines when its lines or the filter changed. `update` calls it after every action; code
    /// that sets fields directly (tests, benchmarks) calls it before drawing.
    pub fn refresh(&mut self) {
        let key = DeriveKey {
            snapshot: self.snapshot_revision,
            scope: self.scope.clone(),
            tasks: self.tasks.revision,
        };
        if self.derived.as_ref() != Some(&key) {
            for view in View::ALL {
                let rows = view.def().derive(self);
                let slot = &mut self.views[view.index()];
                slot.rows = rows;
                slot.cursor = slot.cursor.min(slot.rows.len().saturating_sub(1));
                slot.secondary_for = None;
            }
            self.derived = Some(key);
        }
        for view in View::ALL {
            let cursor = self.views[view.index()].cursor;
            if self.views[view.index()].secondary_for != Some(cursor) {
                let secondary = view.def().derive_secondary(self);
                let slot = &mut self.views[view.index()];
                slot.secondary = secondary;
                slot.secondary_for = Some(cursor);
            }
        }
        let filter = self.scope.filter.clone();
        if let Some(pane) = self.logs.as_mut() {
            pane.refresh(&filter);
        }
    }

    /// Where keys are looked up now: the open overlay's context, else the view's.
    pub fn key_context(&self) -> KeyContext {
        if let Some(form) = &self.scaffold {
            return form.key_context();
        }
        match &self.mode {
            Mode::Filter | Mode::Palette(_) => return KeyContext::Prompt,
            Mode::Confirm(_) | Mode::ConfirmTasks { .. } => return KeyContext::Confirm,
            Mode::Help => return KeyContext::Help,
            Mode::Normal => {}
        }
        self.view_context()
    }

    /// The context of what covers the body (diagnostics, logs, a prompt in the log view) or of the view.
    pub fn view_context(&self) -> KeyContext {
        if self.diagnostics.is_some() {
            return KeyContext::Diagnostics;
        }
        if let Some(pane) = &self.logs {
            if pane.explore.is_some() {
                return KeyContext::Confirm;
            }
            if pane.prompt.is_some() {
                return KeyContext::Prompt;
            }
            return KeyContext::Logs;
        }
        if self.view == View::Tasks { KeyContext::Tasks } else { KeyContext::Global }
    }

    pub fn cursor(&self) -> usize {
        self.cursor_of(self.view)
    }

    pub fn cursor_of(&self, view: View) -> usize {
        self.views[view.index()].cursor
    }

    pub fn set_cursor(&mut self, row: usize) {
        self.set_cursor_of(self.view, row);
    }

    pub fn set_cursor_of(&mut self, view: View, row: usize) {
        let len = self.row_count(view);
        self.views[view.index()].cursor = row.min(len.saturating_sub(1));
        self.refresh();
    }

    /// Every view's cursor back to its first row.
    pub fn reset_cursors(&mut self) {
        for slot in &mut self.views {
            slot.cursor = 0;
        }
    }

    pub fn clamp_cursors(&mut self) {
        self.refresh();
        for slot in &mut self.views {
            slot.cursor = slot.cursor.min(slot.rows.len().saturating_sub(1));
        }
    }

    pub fn row_count(&self, view: View) -> usize {
        self.views[view.index()].rows.len()
    }

    fn rows(&self, view: View) -> &[usize] {
        &self.views[view.index()].rows
    }

    /// The overview's ranked findings, narrowed by scope.
    pub fn attention(&self) -> Vec<&Finding> {
        self.rows(View::Overview).iter().filter_map(|&i| self.overview.needs_attention.get(i)).collect()
    }

    pub fn apps(&self) -> Vec<&Arc<AppInfo>> {
        self.rows(View::Applications).iter().filter_map(|&i| self.snapshot.apps.get(i)).collect()
    }

    pub fn deployments(&self) -> Vec<&Arc<DeploymentInfo>> {
        self.rows(View::Workloads).iter().filter_map(|&i| self.snapshot.deployments.get(i)).collect()
    }

    /// Pods of the selected deployment (Workloads view), or of the scope when none is selected.
    pub fn pods(&self) -> Vec<&Arc<PodInfo>> {
        let rows = &self.views[View::Workloads.index()].secondary;
        rows.iter().filter_map(|&i| self.snapshot.pods.get(i)).collect()
    }

    /// Non-passing policy results, narrowed by scope.
    pub fn results(&self) -> Vec<&Arc<PolicyResultInfo>> {
        self.rows(View::Policies).iter().filter_map(|&i| self.snapshot.policy_results.get(i)).collect()
    }

    pub fn events(&self) -> Vec<&Arc<EventInfo>> {
        self.rows(View::Events).iter().filter_map(|&i| self.snapshot.events.get(i)).collect()
    }

    /// The run's tasks in display order.
    pub fn task_rows(&self) -> Vec<&TaskState> {
        self.rows(View::Tasks).iter().filter_map(|&i| self.tasks.snapshot.tasks.get(i)).collect()
    }

    /// The service the selected row belongs to, in any view.
    pub fn selected_service(&self) -> Option<ServiceKey> {
        self.view.def().selected_service(self, self.cursor()).or_else(|| self.scope.service.clone())
    }

    pub fn service(&self, key: &ServiceKey) -> Option<&ServiceView> {
        self.services.iter().find(|s| s.key == *key)
    }

    /// The mutation a redeploy key asks for on the selected service.
    pub fn mutation_for(&self, strategy: Strategy) -> Option<Mutation> {
        let key = self.selected_service()?;
        Some(match self.service(&key) {
            Some(service) => Mutation::for_service(strategy, &self.context, service),
            None => Mutation {
                strategy,
                context: self.context.clone(),
                service: key,
                deployments: vec![],
                app: None,
            },
        })
    }
}

impl State {
    /// The LogQL that selects a service's logs.
    pub fn log_query(&self, service: &ServiceKey) -> String {
        let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        self.log_query_template
            .replace("<ns>", &escape(&service.namespace))
            .replace("<app>", &escape(&service.name))
    }
}

#[cfg(test)]
mod tests {
    use super::super::views::workloads::owned_by;

    #[test]
    fn replicasets_belong_to_their_deployment() {
        assert!(owned_by("orders-api-7d9f8b6c5d", "orders-api"));
        assert!(!owned_by("orders-api-v2-7d9f8b6c5d", "orders-api"));
        assert!(!owned_by("orders", "orders-api"));
    }
}
