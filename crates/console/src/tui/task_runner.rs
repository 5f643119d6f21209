//! Runs task suites for the console, in the app loop's runtime: the engine works in the background
//! while the user looks at other views; the loop is notified through the run's `watch` version and
//! pulls a snapshot (never a list pushed through a channel).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::action::Action;
use super::tasks::RunKind;
use crate::actions::guard::ReadOnly;
use crate::config::Config;
use crate::tasks::engine::{self, RunHandle, RunSnapshot};
use crate::tasks::suite::{Suite, SuiteSource};
use crate::tasks::{Env, SuiteError};

struct Current {
    kind: RunKind,
    handle: RunHandle,
    changes: watch::Receiver<u64>,
}

pub struct TaskRunner {
    config: Config,
    kubeconfig: Option<PathBuf>,
    readonly: ReadOnly,
    current: Option<Current>,
}

impl TaskRunner {
    pub fn new(config: Config, kubeconfig: Option<PathBuf>, readonly: ReadOnly) -> Self {
        Self { config, kubeconfig, readonly, current: None }
    }

    async fn suite(&self, kind: RunKind, context: &str) -> Result<(Arc<Env>, Suite), SuiteError> {
        let env = Arc::new(
            Env::connect(
                self.config.clone(),
                self.kubeconfig.as_deref(),
                Some(context),
                self.readonly.clone(),
            )
            .await,
        );
        let suite = Suite::load(&SuiteSource::Builtin(kind.name().to_string()), &env)?;
        Ok((env, suite))
    }

    /// The confirmation a provisioning run needs (or why it cannot start).
    pub async fn plan(&self, kind: RunKind, rerun: bool, context: &str) -> Action {
        match self.suite(kind, context).await {
            Ok((env, suite)) => Action::TasksConfirm { kind, rerun, text: suite.confirmation(&env.context) },
            Err(e) => Action::TasksFailed(e.to_string()),
        }
    }

    /// Starts a run under `root`; with `rerun`, what passed in the last run of the same kind keeps
    /// its result.
    pub async fn start(
        &mut self,
        kind: RunKind,
        rerun: bool,
        context: &str,
        root: &CancellationToken,
    ) -> Action {
        if kind == RunKind::Provision && self.readonly.is_readonly(context) {
            return Action::TasksFailed(format!("read-only: provisioning on context {context} blocked"));
        }
        let (_, suite) = match self.suite(kind, context).await {
            Ok(s) => s,
            Err(e) => return Action::TasksFailed(e.to_string()),
        };
        let previous: Option<RunSnapshot> = match &self.current {
            Some(c) if rerun && c.kind == kind => Some(c.handle.snapshot()),
            _ => None,
        };
        let handle = engine::start(&suite.plan, suite.concurrency, root, previous.as_ref());
        let changes = handle.changes();
        self.current = Some(Current { kind, handle, changes });
        Action::TasksStarted { kind, phases: suite.phases }
    }

    pub fn cancel(&self) {
        if let Some(c) = &self.current {
            c.handle.cancel();
        }
    }

    /// Resolves when the current run changed; never without a run.
    pub async fn changed(&mut self) -> bool {
        match self.current.as_mut() {
            Some(c) => c.changes.changed().await.is_ok(),
            None => std::future::pending().await,
        }
    }

    /// The current run's snapshot, for the view.
    pub fn snapshot(&self) -> Option<Action> {
        self.current.as_ref().map(|c| Action::TaskSnapshot(Box::new(c.handle.snapshot())))
    }
}
