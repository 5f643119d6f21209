//! Suites are data: YAML files of phases and tasks, templated from the config, embedded in the binary
//! (`assets/tasks/validate.yaml`, `provision.yaml`) or the user's own (`--suite FILE`).
//!
//! ```yaml
//! name: validate
//! phases:
//!   - {id: preflight, title: "Phase 0 — preflight"}
//! tasks:
//!   - id: kube-context
//!     name: Kubernetes context reachable
//!     phase: preflight
//!     kind: kube-context          # then the kind's parameters
//!     needs: []                   # task ids that must pass first
//!     timeout: 30s                # default 2m
//!     retries: 2                  # only for kinds where a retry makes sense; backoff: 1s (doubling)
//!     requires: [terraform.dir]   # config keys; unset = skipped with that reason
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::Value;

use super::engine::{Outcome, Plan, PlanError, Retry, TaskIo, TaskSpec, Work};
use super::env::Env;
use super::kinds::KindSpec;
use super::template::{TemplateError, context, render};
use crate::config::Config;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteSource {
    /// `validate` or `provision`, embedded in the binary.
    Builtin(String),
    File(PathBuf),
}

impl SuiteSource {
    pub fn name(&self) -> String {
        match self {
            SuiteSource::Builtin(name) => format!("{name}.yaml (built in)"),
            SuiteSource::File(path) => path.display().to_string(),
        }
    }

    fn text(&self) -> Result<String, SuiteError> {
        match self {
            SuiteSource::Builtin(name) => {
                crate::assets::task_suite(name).map(str::to_string).ok_or_else(|| SuiteError::Read {
                    name: self.name(),
                    message: "no such built-in suite".into(),
                })
            }
            SuiteSource::File(path) => std::fs::read_to_string(path)
                .map_err(|e| SuiteError::Read { name: self.name(), message: e.to_string() }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("cannot read suite {name}: {message}")]
    Read { name: String, message: String },
    #[error("suite {0}")]
    Template(#[from] TemplateError),
    #[error("suite {name}: {message}")]
    Parse { name: String, message: String },
    #[error("suite {name}: {source}")]
    Plan { name: String, source: PlanError },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    concurrency: Option<usize>,
    #[serde(default)]
    phases: Vec<Phase>,
    tasks: Vec<TaskDef>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub id: String,
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Deserialize)]
struct TaskDef {
    id: String,
    name: Option<String>,
    phase: String,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default, deserialize_with = "super::duration::deserialize_opt")]
    timeout: Option<Duration>,
    #[serde(default)]
    retries: Option<u32>,
    #[serde(default, deserialize_with = "super::duration::deserialize_opt")]
    backoff: Option<Duration>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(flatten)]
    kind: KindSpec,
}

/// A loaded suite: its phases and the plan of its tasks.
#[derive(Debug)]
pub struct Suite {
    pub name: String,
    pub description: String,
    pub concurrency: usize,
    pub phases: Vec<Phase>,
    pub plan: Plan,
}

/// Work that only reports a missing prerequisite.
struct NotConfigured(String);

impl Work for NotConfigured {
    fn run<'a>(&'a self, _io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
        Box::pin(async move { Outcome::Skipped(self.0.clone()) })
    }
}

/// The first of `keys` (dotted config paths) that is unset or empty.
fn missing_key(config: &Config, keys: &[String]) -> Option<String> {
    let ctx = context(config);
    keys.iter()
        .find(|key| {
            let value = key.split('.').try_fold(&ctx, |v, part| v.get(part));
            match value {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.is_empty(),
                Some(Value::Array(a)) => a.is_empty(),
                Some(_) => false,
            }
        })
        .cloned()
}

impl Suite {
    pub fn load(source: &SuiteSource, env: &Arc<Env>) -> Result<Self, SuiteError> {
        let name = source.name();
        let text = source.text()?;
        Self::parse(&name, &text, env)
    }

    pub fn parse(name: &str, text: &str, env: &Arc<Env>) -> Result<Self, SuiteError> {
        let rendered = render(name, text, &env.config)?;
        let file: SuiteFile = serde_norway::from_str(&rendered)
            .map_err(|e| SuiteError::Parse { name: name.to_string(), message: e.to_string() })?;
        let mut tasks = Vec::with_capacity(file.tasks.len());
        for def in file.tasks {
            if !file.phases.is_empty() && !file.phases.iter().any(|p| p.id == def.phase) {
                return Err(SuiteError::Parse {
                    name: name.to_string(),
                    message: format!(
                        "task `{}` is in phase `{}`, which the suite does not list",
                        def.id, def.phase
                    ),
                });
            }
            let mut built = def.kind.build(env);
            if let Some(key) = missing_key(&env.config, &def.requires) {
                let reason = format!("{key} is not configured");
                built.plan = format!("nothing: skipped, {reason}");
                built.mutating = false;
                built.work = Arc::new(NotConfigured(reason));
            }
            let work = built.work;
            let retry = if built.retryable {
                Retry { retries: def.retries.unwrap_or(0), backoff: def.backoff.unwrap_or(DEFAULT_BACKOFF) }
            } else {
                Retry::NONE
            };
            tasks.push(TaskSpec {
                name: def.name.unwrap_or_else(|| def.id.clone()),
                id: def.id,
                phase: def.phase,
                needs: def.needs,
                timeout: def.timeout.unwrap_or(DEFAULT_TIMEOUT),
                retry,
                mutating: built.mutating,
                plan: built.plan,
                work,
            });
        }
        let mut phases = file.phases;
        for t in &tasks {
            if !phases.iter().any(|p| p.id == t.phase) {
                phases.push(Phase { id: t.phase.clone(), title: t.phase.clone() });
            }
        }
        let plan = Plan::new(tasks).map_err(|source| SuiteError::Plan { name: name.to_string(), source })?;
        Ok(Self {
            name: file.name,
            description: file.description,
            concurrency: file.concurrency.unwrap_or(super::DEFAULT_CONCURRENCY),
            phases,
            plan,
        })
    }

    /// The plan: tasks in dependency order, with what each would read or change.
    pub fn plan_text(&self, context: &str) -> String {
        let mut out = vec![format!("Plan of {} on context {context}:", self.name)];
        for (i, t) in self.plan.tasks().iter().enumerate() {
            let needs =
                if t.needs.is_empty() { String::new() } else { format!(" (after {})", t.needs.join(", ")) };
            let change = if t.mutating { "changes" } else { "reads" };
            out.push(format!("{:>3}. [{}] {} — {}{needs}", i + 1, t.phase, t.name, t.id));
            out.push(format!("       {change}: {}", t.plan));
        }
        out.join("\n")
    }

    /// The confirmation of a run that changes something: names the context and each change with
    /// its namespace.
    pub fn confirmation(&self, context: &str) -> String {
        let changes: Vec<String> =
            self.plan.tasks().iter().filter(|t| t.mutating).map(|t| format!("  - {}", t.plan)).collect();
        format!("{} on context {context}:\n{}", self.name, changes.join("\n"))
    }

    /// Keeps only the tasks of these phases; an unknown phase is an error listing the known ones.
    pub fn only_phases(mut self, wanted: &[String]) -> Result<Self, String> {
        if wanted.is_empty() {
            return Ok(self);
        }
        if let Some(unknown) = wanted.iter().find(|w| !self.phases.iter().any(|p| p.id == **w)) {
            let known: Vec<&str> = self.phases.iter().map(|p| p.id.as_str()).collect();
            return Err(format!("no phase `{unknown}` in suite {}; phases: {}", self.name, known.join(", ")));
        }
        self.plan = self.plan.only_phases(wanted);
        self.phases.retain(|p| wanted.contains(&p.id));
        Ok(self)
    }
}

/// A suite source from a command-line value: a built-in name or a path.
pub fn source_from_arg(arg: Option<&Path>, builtin: &str) -> SuiteSource {
    match arg {
        Some(path) => SuiteSource::File(path.to_path_buf()),
        None => SuiteSource::Builtin(builtin.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::guard::ReadOnly;

    fn env(config: Config) -> Arc<Env> {
        Arc::new(Env::with_client(config, "test".into(), Err("no cluster".into()), ReadOnly::default()))
    }

    #[test]
    fn the_built_in_suites_load() {
        for (name, phases) in [
            ("validate", vec!["preflight", "observability", "governance", "developer-experience"]),
            ("provision", vec!["preflight", "infrastructure", "platform", "verify"]),
        ] {
            let suite = Suite::load(&SuiteSource::Builtin(name.into()), &env(Config::default())).unwrap();
            let ids: Vec<&str> = suite.phases.iter().map(|p| p.id.as_str()).collect();
            assert_eq!(ids, phases, "{name}");
            assert!(suite.plan.tasks().len() >= 5);
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let e = env(Config::default());
        let err =
            Suite::parse("s.yaml", "name: s\ntasks:\n  - {id: a, phase: p, kind: nope}\n", &e).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err = Suite::parse(
            "s.yaml",
            "name: s\ntasks:\n  - {id: a, phase: p, kind: kube-context, needs: [b]}\n",
            &e,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "suite s.yaml: task `a` needs `b`, which is not a task of this suite");
        let err = Suite::parse("s.yaml", "name: {{ nothing.here }}\ntasks: []\n", &e).unwrap_err();
        assert!(err.to_string().contains("undefined"), "{err}");
        let suite = Suite::parse("s.yaml", "name: s\ntasks: []\n", &e).unwrap();
        assert!(suite.only_phases(&["x".into()]).unwrap_err().contains("no phase `x`"));
    }

    #[tokio::test]
    async fn unconfigured_prerequisites_skip_with_the_reason() {
        let e = env(Config::default());
        let text = "name: s\ntasks:\n  - {id: tf, phase: p, kind: command, program: terraform, requires: [terraform.dir]}\n";
        let suite = Suite::parse("s.yaml", text, &e).unwrap();
        let run =
            super::super::engine::start(&suite.plan, 1, &tokio_util::sync::CancellationToken::new(), None);
        let s = run.wait().await;
        assert_eq!(s.tasks[0].message, "terraform.dir is not configured");
        assert!(s.all_passed());
    }
}
