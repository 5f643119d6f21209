//! Scenarios are data (`assets/scenarios/*.yaml` or a user's file): the platform the sim starts with,
//! what breaks, and a timeline of changes for demos. `--scale` adds generated services on top.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::faults::parse_duration;

#[derive(Debug, Clone, PartialEq)]
pub enum ScenarioSource {
    Builtin(String),
    File(PathBuf),
}

impl ScenarioSource {
    /// A built-in name, or else a path to a file.
    pub fn from_arg(arg: &str) -> Self {
        if crate::assets::scenario(arg).is_some() {
            Self::Builtin(arg.to_string())
        } else {
            Self::File(PathBuf::from(arg))
        }
    }
}

/// `--scale pods=N,apps=M`: M generated services sharing N pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub pods: u32,
    pub apps: u32,
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let mut scale = Scale { pods: 0, apps: 0 };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("`{part}` is not key=value"))?;
            let n: u32 = value.trim().parse().map_err(|_| format!("`{value}` is not a whole number"))?;
            match key.trim() {
                "pods" => scale.pods = n,
                "apps" => scale.apps = n,
                other => return Err(format!("unknown scale key `{other}` (known: pods, apps)")),
            }
        }
        if scale.pods == 0 {
            return Err("scale needs pods=N with N > 0".into());
        }
        if scale.apps == 0 {
            scale.apps = scale.pods.div_ceil(40).max(1);
        }
        if scale.apps > scale.pods {
            return Err(format!("apps={} cannot exceed pods={}", scale.apps, scale.pods));
        }
        Ok(scale)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("unknown scenario `{0}` (built-in: platform, incident; or a path to a scenario file)")]
    Unknown(String),
    #[error("cannot read scenario file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{origin}:{line}:{column}: {key}: {message}")]
    Parse { origin: String, line: usize, column: usize, key: String, message: String },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A built-in scenario this one starts from: its namespaces, apps and policies come first.
    #[serde(default)]
    pub extends: Option<String>,
    #[serde(default = "default_nodes")]
    pub nodes: u32,
    #[serde(default)]
    pub gitops_repo: String,
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Kyverno ClusterPolicies installed, by built-in name.
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub apps: Vec<AppSpec>,
    /// Workloads that run without an Argo CD Application (Argo CD itself, for one).
    #[serde(default)]
    pub system: Vec<SystemWorkloads>,
    /// Image tags that fail when a pod runs them, and how.
    #[serde(default)]
    pub broken_images: Vec<BrokenImage>,
    #[serde(default)]
    pub timeline: Vec<Step>,
    /// Log lines per second the whole sim writes at most (keeps `--scale` runs cheap).
    #[serde(default = "default_log_budget")]
    pub log_lines_per_second: f64,
}

fn default_nodes() -> u32 {
    3
}
fn default_log_budget() -> f64 {
    40.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemWorkloads {
    pub namespace: String,
    pub workloads: Vec<WorkloadSpec>,
}

/// An Argo CD Application and the workloads its GitOps path declares.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    pub name: String,
    #[serde(default = "default_project")]
    pub project: String,
    /// Destination namespace.
    pub namespace: String,
    /// Path in the GitOps repository.
    pub path: String,
    #[serde(default = "yes")]
    pub auto_sync: bool,
    #[serde(default = "yes")]
    pub self_heal: bool,
    /// A platform component (its workloads log plain platform lines, not request logs).
    #[serde(default)]
    pub platform: bool,
    /// The app also manages the scenario's Kyverno policies.
    #[serde(default)]
    pub manages_policies: bool,
    #[serde(default)]
    pub workloads: Vec<WorkloadSpec>,
}

fn default_project() -> String {
    "default".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub name: String,
    /// Image repository; `ecr:NAME` means NAME in the sim's ECR registry.
    pub image: String,
    pub tag: String,
    #[serde(default = "two")]
    pub replicas: u32,
    #[serde(default = "port")]
    pub port: u16,
    #[serde(default = "backend")]
    pub component: String,
    #[serde(default = "version")]
    pub version: String,
    /// Recommended labels this workload leaves out (a policy violation).
    #[serde(default)]
    pub omit_labels: Vec<String>,
    /// Whether it declares liveness and readiness httpGet probes.
    #[serde(default = "yes")]
    pub probes: bool,
    #[serde(default)]
    pub progress_deadline_seconds: Option<u32>,
    /// Request traffic, for services: requests per second per pod and the share that fails.
    #[serde(default)]
    pub traffic: Option<Traffic>,
}

fn two() -> u32 {
    2
}
fn port() -> u16 {
    3000
}
fn backend() -> String {
    "backend".into()
}
fn version() -> String {
    "1.0.0".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    #[serde(default = "one")]
    pub rps: f64,
    #[serde(default = "small_error_rate")]
    pub error_rate: f64,
    #[serde(default = "default_paths")]
    pub paths: Vec<String>,
}

impl Traffic {
    /// The traffic of a service the scenario does not describe (one deployed through GitOps while the
    /// sim runs): the scenario defaults.
    pub fn service_default() -> Self {
        Self { rps: one(), error_rate: small_error_rate(), paths: default_paths() }
    }
}

fn one() -> f64 {
    1.0
}
fn small_error_rate() -> f64 {
    0.01
}
fn default_paths() -> Vec<String> {
    vec!["/api/items".into(), "/health".into(), "/ready".into()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureMode {
    /// The container exits with an error soon after start: CrashLoopBackOff.
    Crash,
    /// The image cannot be pulled: ErrImagePull, then ImagePullBackOff.
    PullError,
    /// The container is OOMKilled soon after start.
    Oom,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokenImage {
    pub tag: String,
    pub mode: FailureMode,
}

/// One timeline entry: at a scenario time, something happens. (Unknown fields are caught by
/// `Action`: serde cannot deny them on a struct with a flattened member.)
#[derive(Debug, Clone, Deserialize)]
pub struct Step {
    /// Scenario time since start, like `30s` or `2m`.
    pub at: String,
    #[serde(flatten)]
    pub action: Action,
}

impl Step {
    pub fn at(&self) -> Duration {
        parse_duration(&self.at).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// CI pushed a new image tag to the GitOps repo for a workload (Argo CD then syncs it).
    GitPush { app: String, workload: String, tag: String },
    /// A commit to the GitOps repo drops labels from a workload.
    DropLabels { app: String, workload: String, labels: Vec<String> },
    /// A commit restores a workload's labels.
    RestoreLabels { app: String, workload: String },
    /// The workload's readiness probe fails for a while.
    ReadinessFlap {
        app: String,
        workload: String,
        #[serde(rename = "for")]
        duration: String,
    },
    /// The workload answers more requests with errors for a while.
    ErrorBurst {
        app: String,
        workload: String,
        error_rate: f64,
        #[serde(rename = "for")]
        duration: String,
    },
}

impl Scenario {
    pub fn app(&self, name: &str) -> Option<&AppSpec> {
        self.apps.iter().find(|a| a.name == name)
    }

    pub fn failure_for(&self, tag: &str) -> Option<FailureMode> {
        self.broken_images.iter().find(|b| b.tag == tag).map(|b| b.mode)
    }

    /// Puts this scenario on top of its base: the base's content first, this one's additions after.
    fn merge_onto(self, mut base: Scenario) -> Scenario {
        base.name = self.name;
        if !self.description.is_empty() {
            base.description = self.description;
        }
        if !self.gitops_repo.is_empty() {
            base.gitops_repo = self.gitops_repo;
        }
        for ns in self.namespaces {
            if !base.namespaces.contains(&ns) {
                base.namespaces.push(ns);
            }
        }
        base.policies
            .extend(self.policies.into_iter().filter(|p| !base.policies.contains(p)).collect::<Vec<_>>());
        base.apps.extend(self.apps);
        base.system.extend(self.system);
        base.broken_images.extend(self.broken_images);
        base.timeline.extend(self.timeline);
        base.extends = None;
        base
    }

    fn validate(&self, origin: &str) -> Result<(), ScenarioError> {
        let invalid = |message: String| ScenarioError::Invalid { origin: origin.to_string(), message };
        if self.gitops_repo.is_empty() {
            return Err(invalid("gitops_repo is required".into()));
        }
        for sys in &self.system {
            if !self.namespaces.contains(&sys.namespace) {
                return Err(invalid(format!("system workloads in undeclared namespace `{}`", sys.namespace)));
            }
        }
        for app in &self.apps {
            if !self.namespaces.contains(&app.namespace) {
                return Err(invalid(format!(
                    "app `{}` deploys to undeclared namespace `{}`",
                    app.name, app.namespace
                )));
            }
        }
        for policy in &self.policies {
            if platdeck_core::assets::policy(policy).is_none() {
                return Err(invalid(format!("unknown policy `{policy}`")));
            }
        }
        for (i, step) in self.timeline.iter().enumerate() {
            if parse_duration(&step.at).is_none() {
                return Err(invalid(format!("timeline[{i}].at: `{}` is not a duration", step.at)));
            }
            let (app, workload) = step.action.target();
            let known = self.app(app).is_some_and(|a| a.workloads.iter().any(|w| w.name == workload));
            if !known {
                return Err(invalid(format!("timeline[{i}]: no workload `{workload}` in app `{app}`")));
            }
            if let Action::ReadinessFlap { duration, .. } | Action::ErrorBurst { duration, .. } = &step.action
                && parse_duration(duration).is_none()
            {
                return Err(invalid(format!("timeline[{i}].for: `{duration}` is not a duration")));
            }
        }
        Ok(())
    }

    /// Adds `scale.apps` generated services with `scale.pods` pods between them.
    fn add_scale(&mut self, scale: Scale) {
        let per_namespace = 50;
        let namespaces = scale.apps.div_ceil(per_namespace);
        for n in 0..namespaces {
            self.namespaces.push(format!("scale-{n:03}"));
        }
        for i in 0..scale.apps {
            // Spread pods evenly; the first `pods % apps` apps take one more.
            let replicas = scale.pods / scale.apps + u32::from(i < scale.pods % scale.apps);
            let name = format!("svc-{i:05}");
            self.apps.push(AppSpec {
                name: name.clone(),
                project: "scale".into(),
                namespace: format!("scale-{:03}", i / per_namespace),
                path: format!("apps/scale/{name}"),
                auto_sync: true,
                self_heal: true,
                platform: false,
                manages_policies: false,
                workloads: vec![WorkloadSpec {
                    name,
                    image: "ecr:scale-service".into(),
                    tag: "1.0.0".into(),
                    replicas,
                    port: 3000,
                    component: "backend".into(),
                    version: "1.0.0".into(),
                    omit_labels: Vec::new(),
                    probes: true,
                    progress_deadline_seconds: None,
                    traffic: Some(Traffic { rps: 0.01, error_rate: 0.01, paths: default_paths() }),
                }],
            });
        }
    }
}

impl Action {
    pub fn target(&self) -> (&str, &str) {
        match self {
            Action::GitPush { app, workload, .. }
            | Action::DropLabels { app, workload, .. }
            | Action::RestoreLabels { app, workload }
            | Action::ReadinessFlap { app, workload, .. }
            | Action::ErrorBurst { app, workload, .. } => (app, workload),
        }
    }
}

/// Parses scenario YAML; errors name origin, line, column and key.
pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let de = serde_norway::Deserializer::from_str(text);
    let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|err| {
        let key = err.path().to_string();
        let inner = err.into_inner();
        let (line, column) = inner.location().map_or((0, 0), |l| (l.line(), l.column()));
        ScenarioError::Parse { origin: origin.to_string(), line, column, key, message: inner.to_string() }
    })?;
    let scenario = match scenario.extends.clone() {
        Some(base_name) => {
            let base_text = crate::assets::scenario(&base_name).ok_or_else(|| ScenarioError::Invalid {
                origin: origin.to_string(),
                message: format!("extends unknown built-in scenario `{base_name}`"),
            })?;
            let base = parse(base_text, &format!("{base_name} (built-in)"))?;
            scenario.merge_onto(base)
        }
        None => scenario,
    };
    scenario.validate(origin)?;
    Ok(scenario)
}

/// Loads a scenario and applies `--scale`.
pub fn load(source: &ScenarioSource, scale: Option<Scale>) -> Result<Scenario, ScenarioError> {
    let mut scenario = match source {
        ScenarioSource::Builtin(name) => {
            let text = crate::assets::scenario(name).ok_or_else(|| ScenarioError::Unknown(name.clone()))?;
            parse(text, &format!("{name} (built-in)"))?
        }
        ScenarioSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
                // A bare word that is no file was most likely meant as a built-in name.
                std::io::ErrorKind::NotFound if path.components().count() == 1 => {
                    ScenarioError::Unknown(path.display().to_string())
                }
                _ => ScenarioError::Read { path: path.clone(), source },
            })?;
            parse(&text, &path.display().to_string())?
        }
    };
    if let Some(scale) = scale {
        scenario.add_scale(scale);
    }
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenarios_parse() {
        for name in crate::assets::SCENARIO_NAMES {
            let s = load(&ScenarioSource::Builtin((*name).into()), None).unwrap();
            assert!(!s.apps.is_empty(), "{name}");
        }
    }

    #[test]
    fn platform_has_the_seed_apps_and_five_services() {
        let s = load(&ScenarioSource::Builtin("platform".into()), None).unwrap();
        for app in ["loki", "promtail", "kube-prometheus-stack", "kyverno", "kyverno-policies"] {
            assert!(s.app(app).is_some(), "{app}");
        }
        let services: Vec<_> = s.apps.iter().filter(|a| a.namespace == "platform-services").collect();
        assert!(services.len() >= 5);
        assert!(services.iter().any(|a| a.workloads.iter().any(|w| !w.omit_labels.is_empty() || !w.probes)));
    }

    #[test]
    fn scale_spreads_pods_over_apps() {
        let s = load(&ScenarioSource::Builtin("platform".into()), Some("pods=1001,apps=10".parse().unwrap()))
            .unwrap();
        let generated: u32 =
            s.apps.iter().filter(|a| a.project == "scale").map(|a| a.workloads[0].replicas).sum();
        assert_eq!(generated, 1001);
        assert_eq!("pods=100".parse::<Scale>().unwrap().apps, 3);
        assert!("pods=0".parse::<Scale>().is_err());
        assert!("pods=5,apps=9".parse::<Scale>().is_err());
        assert!("cats=5".parse::<Scale>().is_err());
    }

    #[test]
    fn errors_name_line_column_and_key() {
        let text = "name: x\ngitops_repo: r\nnamespaces: [a]\napps:\n  - name: a\n    namespace: a\n    path: p\n    auto_sync: maybe\n";
        let err = parse(text, "bad.yaml").unwrap_err().to_string();
        assert!(err.starts_with("bad.yaml:8:"), "{err}");
        assert!(err.contains("apps[0].auto_sync"), "{err}");
        let text =
            "name: x\ngitops_repo: r\nnamespaces: [a]\napps:\n  - name: a\n    namespace: b\n    path: p\n";
        assert!(parse(text, "bad.yaml").unwrap_err().to_string().contains("undeclared namespace"));
        assert!(matches!(
            load(&ScenarioSource::Builtin("nope".into()), None),
            Err(ScenarioError::Unknown(_))
        ));
    }
}
