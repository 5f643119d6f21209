//! How the runtime reaches a cluster: connecting to a kube context and starting the watchers that
//! fill a session's caches. `KubeCluster` is the real one; tests inject their own (a connection that
//! never answers, caches they fill by hand).

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::sources::cache::Caches;
use crate::sources::kube::{WatchScope, spawn_watchers};
use crate::sources::kube_client::{Connection, connect};

pub trait Cluster: Send + Sync + 'static {
    /// Connects to `context` (reading the kubeconfig, maybe running an exec credential plugin): may
    /// take long or never answer, so the runtime only ever awaits it in a task of its own.
    fn connect(&self, context: Option<String>) -> BoxFuture<'static, Result<Connection, String>>;
    /// Starts filling `caches` from the connection until `token` is cancelled.
    fn watch(
        &self,
        connection: &Connection,
        caches: &Arc<Caches>,
        tracker: &TaskTracker,
        token: &CancellationToken,
    );
}

/// The kubeconfig's clusters, watched with kube-rs.
pub struct KubeCluster {
    pub kubeconfig: Option<PathBuf>,
    pub scope: WatchScope,
}

impl Cluster for KubeCluster {
    fn connect(&self, context: Option<String>) -> BoxFuture<'static, Result<Connection, String>> {
        let kubeconfig = self.kubeconfig.clone();
        Box::pin(async move {
            connect(kubeconfig.as_deref(), context.as_deref()).await.map_err(|e| e.to_string())
        })
    }

    fn watch(
        &self,
        connection: &Connection,
        caches: &Arc<Caches>,
        tracker: &TaskTracker,
        token: &CancellationToken,
    ) {
        spawn_watchers(&connection.client, &self.scope, caches, tracker, token);
    }
}
