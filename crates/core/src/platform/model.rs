//! Compact projections of cluster objects. Sources project every object into one of these at the
//! edge (a few hundred bytes each instead of the whole object), so caches stay small at 10k pods.
//! Every field tolerates absence: unknown input becomes `Unknown`/`None`, never a crash.

use std::sync::Arc;

use jiff::Timestamp;

/// A service: the join key of the console. An Argo CD app, its namespace and `app.kubernetes.io/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceKey {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Argo CD sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
    Unknown,
}

/// Argo CD health, in Argo CD's order from healthiest to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HealthStatus {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

/// The last (or running) Argo CD operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationInfo {
    /// Running, Terminating, Failed, Error, Succeeded (as written by Argo CD).
    pub phase: String,
    pub message: String,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// `username`, or "automated".
    pub initiated_by: String,
}

/// One managed resource of an application. `health` is absent with Argo CD 3's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppResource {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub sync: SyncStatus,
    pub health: Option<HealthStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCondition {
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppHistoryEntry {
    pub id: i64,
    pub revision: String,
    pub deployed_at: Option<Timestamp>,
    pub initiated_by: String,
}

/// An Argo CD Application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    pub namespace: String,
    pub name: String,
    pub project: String,
    pub sync: SyncStatus,
    pub health: HealthStatus,
    pub health_message: String,
    /// The revision compared against (`status.sync.revision`).
    pub revision: String,
    pub auto_sync: bool,
    pub repo_url: String,
    pub path: String,
    pub destination_namespace: String,
    /// Set while an `operation` is requested and not finished.
    pub operation_pending: bool,
    pub last_operation: Option<OperationInfo>,
    pub resources: Vec<AppResource>,
    pub conditions: Vec<AppCondition>,
    /// Oldest first, as Argo CD keeps it.
    pub history: Vec<AppHistoryEntry>,
    pub images: Vec<String>,
    pub created: Option<Timestamp>,
}

/// Why a pod is not fine, in the words `kubectl get pods` uses in its STATUS column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `app.kubernetes.io/name`, the service it belongs to.
    pub service: Option<String>,
    /// Name of the owning ReplicaSet, if any.
    pub owner: Option<String>,
    pub phase: String,
    /// The STATUS column: phase, or a container's waiting/terminated reason, or Terminating.
    pub status: String,
    pub ready: bool,
    pub ready_containers: u32,
    pub total_containers: u32,
    pub restarts: u32,
    /// Reason of the last container termination (Error, OOMKilled ...).
    pub last_termination: Option<String>,
    pub node: Option<String>,
    pub images: Vec<String>,
    pub created: Option<Timestamp>,
    pub terminating: bool,
}

/// Where a deployment's rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RolloutState {
    /// Every replica updated and available.
    Complete,
    /// Moving: new replicas coming up or old ones going away.
    Progressing,
    /// `ProgressDeadlineExceeded`.
    Stalled,
    Paused,
    /// Not enough information to say.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub service: Option<String>,
    pub desired: u32,
    pub current: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
    pub generation: i64,
    pub observed_generation: i64,
    pub rollout: RolloutState,
    /// The Progressing condition's message (what `kubectl rollout status` would say).
    pub rollout_message: String,
    pub images: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub created: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyResult {
    Pass,
    Fail,
    Warn,
    Error,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
    Unknown,
}

/// Whether a policy blocks (Enforce) or only reports (Audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyMode {
    Audit,
    Enforce,
    Unknown,
}

/// One result of a PolicyReport (wgpolicyk8s.io/v1alpha2), for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyResultInfo {
    /// Namespace of the report ("" for a ClusterPolicyReport).
    pub namespace: String,
    pub report: String,
    pub resource_kind: String,
    pub resource_name: String,
    pub resource_uid: String,
    pub policy: String,
    pub rule: String,
    pub result: PolicyResult,
    pub severity: Severity,
    pub category: String,
    pub message: String,
    pub timestamp: Option<Timestamp>,
}

/// A Kyverno ClusterPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    pub name: String,
    pub mode: PolicyMode,
    pub background: bool,
    pub ready: bool,
    pub rules: Vec<String>,
    pub severity: Severity,
    pub title: String,
}

/// A Kubernetes event (the console watches Warning ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    pub namespace: String,
    pub name: String,
    pub warning: bool,
    pub reason: String,
    pub message: String,
    pub object_kind: String,
    pub object_name: String,
    pub count: u32,
    pub last_seen: Option<Timestamp>,
}

/// How a source is doing, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceHealth {
    /// Not connected yet.
    Connecting,
    Connected,
    /// The last sync was this long ago and the source is failing now (data kept, marked stale).
    Stale {
        since: Timestamp,
        error: String,
    },
    /// 403: the console may not read this resource.
    Forbidden {
        message: String,
    },
    /// The resource is not served (e.g. Argo CD not installed): 404 on its API.
    NotInstalled,
    Error {
        message: String,
    },
}

/// Everything the console knows at one moment, shared cheaply between the sources and the UI.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub apps: Vec<Arc<AppInfo>>,
    pub deployments: Vec<Arc<DeploymentInfo>>,
    pub pods: Vec<Arc<PodInfo>>,
    pub policy_results: Vec<Arc<PolicyResultInfo>>,
    pub policies: Vec<Arc<PolicyInfo>>,
    pub events: Vec<Arc<EventInfo>>,
    /// (source name, health), in a stable order: applications, deployments, pods, policyreports, policies, events.
    pub sources: Vec<(String, SourceHealth)>,
}
