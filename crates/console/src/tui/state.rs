//! The UI's whole state. Derived data (services, overview) is recomputed when a snapshot arrives,
//! so rendering only reads.

use std::sync::Arc;

use jiff::Timestamp;

use super::keymap::Keymap;
use crate::actions::{Mutation, Strategy};
use platdeck_core::platform::attention::Finding;
use platdeck_core::platform::overview::{Overview, overview};
use platdeck_core::platform::scope::Scope;
use platdeck_core::platform::services::{ServiceView, services};
use platdeck_core::platform::{
    AppInfo, DeploymentInfo, EventInfo, PodInfo, PolicyResult, PolicyResultInfo, ServiceKey, Snapshot,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Applications,
    Workloads,
    Policies,
    Events,
    Tasks,
}

impl View {
    pub const ALL: [View; 6] =
        [View::Overview, View::Applications, View::Workloads, View::Policies, View::Events, View::Tasks];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Applications => "Applications",
            View::Workloads => "Workloads",
            View::Policies => "Policies",
            View::Events => "Events",
            View::Tasks => "Tasks",
        }
    }

    pub fn index(self) -> usize {
        View::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    /// A view by its title, a prefix of it (3+ letters), or the resource names people type (`apps`, `pods`).
    pub fn from_name(name: &str) -> Option<View> {
        let name = name.to_ascii_lowercase();
        let alias = match name.as_str() {
            "app" | "apps" | "application" | "argocd" => Some(View::Applications),
            "deploy" | "deployments" | "pods" | "po" | "pod" => Some(View::Workloads),
            "polr" | "policy" | "kyverno" | "violations" => Some(View::Policies),
            "ev" | "event" => Some(View::Events),
            "task" | "validate" | "provision" | "run" => Some(View::Tasks),
            "home" => Some(View::Overview),
            _ => None,
        };
        alias.or_else(|| {
            View::ALL.into_iter().find(|v| {
                let t = v.title().to_ascii_lowercase();
                t == name || (name.len() >= 3 && t.starts_with(&name))
            })
        })
    }
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
    /// Selected row per view.
    pub cursor: [usize; 6],
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
        Self {
            context,
            readonly,
            keymap,
            view: View::Overview,
            mode: Mode::Normal,
            snapshot,
            services,
            overview,
            scope: Scope { namespace, service: None, filter: String::new() },
            cursor: [0; 6],
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
        }
    }

    /// Takes a new snapshot and recomputes what derives from it.
    pub fn set_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.services = services(&snapshot);
        self.overview = overview(&snapshot, &self.services, self.now);
        self.snapshot = snapshot;
        self.clamp_cursors();
    }

    pub fn cursor(&self) -> usize {
        self.cursor[self.view.index()]
    }

    pub fn set_cursor(&mut self, row: usize) {
        let len = self.row_count(self.view);
        self.cursor[self.view.index()] = row.min(len.saturating_sub(1));
    }

    pub fn clamp_cursors(&mut self) {
        for view in View::ALL {
            let len = self.row_count(view);
            let c = &mut self.cursor[view.index()];
            *c = (*c).min(len.saturating_sub(1));
        }
    }

    pub fn row_count(&self, view: View) -> usize {
        match view {
            View::Overview => self.attention().len(),
            View::Applications => self.apps().len(),
            View::Workloads => self.deployments().len(),
            View::Policies => self.results().len(),
            View::Events => self.events().len(),
            View::Tasks => self.tasks.snapshot.tasks.len(),
        }
    }

    /// The overview's ranked findings, narrowed by scope.
    pub fn attention(&self) -> Vec<&Finding> {
        self.overview
            .needs_attention
            .iter()
            .filter(|f| self.scope.service.as_ref().is_none_or(|s| *s == f.service))
            .filter(|f| self.scope.namespace.as_ref().is_none_or(|ns| *ns == f.service.namespace))
            .filter(|f| {
                let needle = self.scope.filter.to_lowercase();
                needle.is_empty()
                    || f.headline.to_lowercase().contains(&needle)
                    || f.reasons.iter().any(|r| r.to_lowercase().contains(&needle))
            })
            .collect()
    }

    pub fn apps(&self) -> Vec<&Arc<AppInfo>> {
        self.snapshot.apps.iter().filter(|a| self.scope.matches_app(a, &self.services)).collect()
    }

    pub fn deployments(&self) -> Vec<&Arc<DeploymentInfo>> {
        self.snapshot.deployments.iter().filter(|d| self.scope.matches_deployment(d)).collect()
    }

    /// Pods of the selected deployment (Workloads view), or of the scope when none is selected.
    pub fn pods(&self) -> Vec<&Arc<PodInfo>> {
        let deployments = self.deployments();
        let selected = deployments.get(self.cursor[View::Workloads.index()]);
        self.snapshot
            .pods
            .iter()
            .filter(|p| self.scope.matches_pod(p))
            .filter(|p| match selected {
                Some(d) => {
                    p.namespace == d.namespace && p.owner.as_deref().is_some_and(|o| owned_by(o, &d.name))
                }
                None => true,
            })
            .collect()
    }

    /// Non-passing policy results, narrowed by scope.
    pub fn results(&self) -> Vec<&Arc<PolicyResultInfo>> {
        self.snapshot
            .policy_results
            .iter()
            .filter(|r| r.result != PolicyResult::Pass && r.result != PolicyResult::Skip)
            .filter(|r| self.scope.matches_result(r, &self.services))
            .collect()
    }

    pub fn events(&self) -> Vec<&Arc<EventInfo>> {
        self.snapshot
            .events
            .iter()
            .filter(|e| e.warning && self.scope.matches_event(e, &self.services))
            .collect()
    }

    /// The service the selected row belongs to, in any view.
    pub fn selected_service(&self) -> Option<ServiceKey> {
        let row = self.cursor();
        match self.view {
            View::Overview => self.attention().get(row).map(|f| f.service.clone()),
            View::Applications => {
                let app = self.apps().get(row).map(|a| (*a).clone())?;
                self.services
                    .iter()
                    .find(|s| s.app.as_ref().is_some_and(|x| x.name == app.name))
                    .map(|s| s.key.clone())
            }
            View::Workloads => {
                let d = self.deployments().get(row).map(|d| (*d).clone())?;
                Some(ServiceKey {
                    namespace: d.namespace.clone(),
                    name: d.service.clone().unwrap_or(d.name.clone()),
                })
            }
            View::Policies => {
                let r = self.results().get(row).map(|r| (*r).clone())?;
                self.services
                    .iter()
                    .find(|s| s.results.iter().any(|x| x.resource_uid == r.resource_uid && x.rule == r.rule))
                    .map(|s| s.key.clone())
            }
            View::Events => {
                let e = self.events().get(row).map(|e| (*e).clone())?;
                self.services
                    .iter()
                    .find(|s| s.events.iter().any(|x| x.name == e.name))
                    .map(|s| s.key.clone())
            }
            View::Tasks => None,
        }
        .or_else(|| self.scope.service.clone())
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

/// A ReplicaSet `<deployment>-<hash>` belongs to its deployment.
fn owned_by(replicaset: &str, deployment: &str) -> bool {
    replicaset.strip_prefix(deployment).is_some_and(|rest| rest.starts_with('-') && !rest[1..].contains('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_by_name() {
        assert_eq!(View::from_name("apps"), Some(View::Applications));
        assert_eq!(View::from_name("Events"), Some(View::Events));
        assert_eq!(View::from_name("po"), Some(View::Workloads));
        assert_eq!(View::from_name("xy"), None);
        assert_eq!(View::from_name("pol"), Some(View::Policies));
    }

    #[test]
    fn replicasets_belong_to_their_deployment() {
        assert!(owned_by("orders-api-7d9f8b6c5d", "orders-api"));
        assert!(!owned_by("orders-api-v2-7d9f8b6c5d", "orders-api"));
        assert!(!owned_by("orders", "orders-api"));
    }
}
