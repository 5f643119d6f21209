//! Task runs for the console: the suite is loaded (and its environment connected) in a spawned task;
//! the engine then works in the background while the user looks at other views, and the loop pulls a
//! snapshot when the run's `watch` version changes (never a list pushed through a channel).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use crate::actions::guard::ReadOnly;
use crate::config::Config;
use crate::tasks::Env;
use crate::tasks::engine::RunHandle;
use crate::tasks::suite::{Suite, SuiteSource};
use crate::tui::tasks::RunKind;

/// A running (or finished) suite.
pub struct TaskRun {
    pub kind: RunKind,
    pub handle: RunHandle,
    pub changes: watch::Receiver<u64>,
    /// Its end was told (logged) already.
    pub reported: bool,
}

/// Connects the suite's environment and loads the built-in suite of `kind`: slow (a kubeconfig, maybe
/// an exec plugin), so only ever run in a spawned task.
pub async fn prepare(
    config: Config,
    kubeconfig: Option<PathBuf>,
    readonly: ReadOnly,
    kind: RunKind,
    context: String,
) -> Result<(Arc<Env>, Suite), String> {
    let env = Arc::new(Env::connect(config, kubeconfig.as_deref(), Some(&context), readonly).await);
    let suite =
        Suite::load(&SuiteSource::Builtin(kind.name().to_string()), &env).map_err(|e| e.to_string())?;
    Ok((env, suite))
}
