//! What the headless commands share: connect, start the watchers, wait for the first full sync.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{Result, bail};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::target::Target;
use platdeck_console::config::Config;
use platdeck_console::sources::cache::Caches;
use platdeck_console::sources::kube::{WatchScope, spawn_watchers};
use platdeck_console::sources::kube_client::{Connection, connect};

/// How long a headless command waits for the sources' first lists.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Live {
    pub connection: Connection,
    pub caches: Arc<Caches>,
    pub changed: watch::Receiver<u64>,
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Live {
    pub async fn start(config: &Config, target: &Target, namespace: Option<&str>) -> Result<Self> {
        let connection = connect(target.kubeconfig.as_deref(), target.context.as_deref()).await?;
        let (caches, changed) = Caches::new();
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        let scope = WatchScope {
            namespace: namespace.map(str::to_string),
            argocd_namespace: config.argocd.namespace.clone(),
        };
        spawn_watchers(&connection.client, &scope, &caches, &tracker, &token);
        let pending = caches.wait_until_synced(changed.clone(), SYNC_TIMEOUT).await;
        if !pending.is_empty() {
            tracing::warn!(?pending, "sources still connecting when the wait ended");
        }
        Ok(Self { connection, caches, changed, token, tracker })
    }

    pub async fn stop(self) {
        self.token.cancel();
        self.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.tracker.wait()).await;
    }
}

/// Terminal-safe text: cluster-sourced strings may carry escape sequences.
pub fn print_clean(text: &str) {
    for line in text.lines() {
        println!("{}", platdeck_core::sanitize::clean(line));
    }
}

/// Asks on the terminal; without one, `--yes` is required (`verb` says what it would do without a prompt).
pub fn confirm(verb: &str) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("no terminal to confirm on: pass --yes to {verb} without a prompt");
    }
    print!("Proceed? [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
