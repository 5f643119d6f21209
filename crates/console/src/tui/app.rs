//! The console's entry: connect, take the terminal, and run the loop (`runtime/scheduler.rs`) with the
//! terminal's real event stream, the kube cluster and the effect runtime.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::EventStream;

use super::keymap::Keymap;
use super::runtime::{Cluster, KubeCluster, Outbox, Runtime, Settings, run_loop};
use super::state::State;
use super::terminal::TerminalGuard;
use super::theme::Theme;
use super::update::update;
use crate::actions::audit::AuditLog;
use crate::actions::guard::ReadOnly;
use crate::sources::kube::WatchScope;
use crate::sources::loki::LokiClientConfig;

pub struct ConsoleOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub argocd_namespace: String,
    pub readonly: ReadOnly,
    pub audit: AuditLog,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Where logs come from; None when Loki is not configured.
    pub loki: Option<LokiClientConfig>,
    pub log_query_template: String,
    /// The config task suites are rendered from (with `demo`, pointed at the sim's endpoints).
    pub tasks_config: crate::config::Config,
    /// What the scaffold form scaffolds with.
    pub scaffold: super::scaffold_runner::ScaffoldSettings,
    /// Grafana Explore for the log view's link; None when Grafana is unknown.
    pub explore: Option<platdeck_core::platform::explore::ExploreTarget>,
}

pub async fn run(options: ConsoleOptions) -> color_eyre::Result<()> {
    let scope = WatchScope {
        namespace: options.namespace.clone(),
        argocd_namespace: options.argocd_namespace.clone(),
    };
    let cluster = Arc::new(KubeCluster { kubeconfig: options.kubeconfig.clone(), scope });
    // Connect before touching the terminal, so a bad kubeconfig is a plain error message.
    let connection =
        cluster.connect(options.context.clone()).await.map_err(|e| color_eyre::eyre::eyre!(e))?;
    let readonly = options.readonly.is_readonly(&connection.context);
    tracing::info!(
        context = %connection.context,
        namespace = options.namespace.as_deref().unwrap_or("all"),
        readonly,
        kubeconfig = ?options.kubeconfig,
        "session started"
    );
    let mut state = State::new(
        connection.context.clone(),
        readonly,
        options.namespace.clone(),
        options.keymap.clone(),
        jiff::Timestamp::now(),
    );
    state.log_query_template = options.log_query_template.clone();
    state.explore = options.explore.clone();
    let settings = Settings {
        kubeconfig: options.kubeconfig.clone(),
        readonly: options.readonly.clone(),
        audit: options.audit.clone(),
        loki: options.loki.clone(),
        tasks_config: options.tasks_config.clone(),
        scaffold: options.scaffold.clone(),
    };
    let (outbox, inbox) = Outbox::channel();
    let runtime = Runtime::new(settings, cluster, connection, outbox, Box::new(std::io::stdout()));

    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    update(&mut state, super::action::Action::Resize { width: size.width, height: size.height });
    // SIGTERM/SIGINT quit like `q`: the terminal is restored on the way out.
    let mut signals = crate::signals::ShutdownSignals::register();
    let report = run_loop(
        &mut guard.terminal,
        EventStream::new(),
        state,
        &options.theme,
        runtime,
        inbox,
        async move { signals.recv().await },
    )
    .await;
    drop(guard);
    let report = report?;
    tracing::info!(frames = report.frames, actions = report.actions, "session ended");
    Ok(())
}
