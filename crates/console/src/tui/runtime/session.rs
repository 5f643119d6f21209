//! A session: one connection (kube context) and everything opened in it — its caches and watchers,
//! the log view's source, the task run. Its token is a child of the root; cancelling it (a `:ctx`
//! switch, quitting) ends all of them. Mutations are not cancelled with it: once confirmed and sent
//! they finish and are audited, and their late answer is ignored by the state.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::cluster::Cluster;
use super::task_run::TaskRun;
use crate::sources::cache::Caches;
use crate::sources::kube_client::Connection;
use crate::tui::log_source::LogSource;
use crate::tui::state::SessionId;

pub struct Session {
    pub id: SessionId,
    pub connection: Connection,
    pub caches: Arc<Caches>,
    pub changed: watch::Receiver<u64>,
    pub token: CancellationToken,
    /// The log view's source, when the log view is open and its source has opened.
    pub logs: Option<LogSource>,
    /// Counts log views opened and closed: a source that opens for an older one is stopped.
    pub log_generation: u64,
    /// The current (or last) task run, kept for re-runs.
    pub tasks: Option<TaskRun>,
    /// A snapshot is being built off the loop.
    pub snapshot_in_flight: bool,
}

impl Session {
    pub fn open(
        id: SessionId,
        connection: Connection,
        cluster: &dyn Cluster,
        tracker: &TaskTracker,
        root: &CancellationToken,
    ) -> Self {
        let (caches, changed) = Caches::new();
        let token = root.child_token();
        cluster.watch(&connection, &caches, tracker, &token);
        Self {
            id,
            connection,
            caches,
            changed,
            token,
            logs: None,
            log_generation: 0,
            tasks: None,
            snapshot_in_flight: false,
        }
    }

    /// Ends everything opened in the session; the log source stops in the background.
    pub fn close(mut self, tracker: &TaskTracker) {
        self.token.cancel();
        if let Some(source) = self.logs.take() {
            tracker.spawn(source.stop());
        }
    }
}
