//! `Runtime::execute`: each effect becomes a task on the tracker that answers with a message; the loop
//! never awaits I/O. What answers through the runtime (`Completion`) is taken in by `complete`, which
//! keeps the handles and tells `update` what happened.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::cluster::Cluster;
use super::outbox::{Completion, Outbox};
use super::session::Session;
use super::task_run::{TaskRun, prepare};
use crate::actions::audit::AuditLog;
use crate::actions::guard::ReadOnly;
use crate::actions::redeploy;
use crate::report::tasks::summary;
use crate::sources::kube_client::Connection;
use crate::sources::loki::{LokiClientConfig, check_query};
use crate::sources::pod_logs::PodLogTarget;
use crate::tasks::engine::{self, RunSnapshot};
use crate::tui::action::{Action, Effect};
use crate::tui::log_effects;
use crate::tui::log_source::{LogRequest, LogSource};
use crate::tui::scaffold_runner::{self, ScaffoldSettings};
use crate::tui::state::{SessionId, State};
use crate::tui::tasks::RunKind;

/// What effects are carried out with.
#[derive(Clone)]
pub struct Settings {
    pub kubeconfig: Option<PathBuf>,
    pub readonly: ReadOnly,
    pub audit: AuditLog,
    /// Where logs come from; None when Loki is not configured.
    pub loki: Option<LokiClientConfig>,
    /// The config task suites are rendered from.
    pub tasks_config: crate::config::Config,
    pub scaffold: ScaffoldSettings,
}

pub struct Runtime {
    settings: Settings,
    cluster: Arc<dyn Cluster>,
    tracker: TaskTracker,
    root: CancellationToken,
    outbox: Outbox,
    pub session: Session,
    next_session: u64,
    /// The `:ctx` connection waited for, and the token that abandons it.
    pending_switch: Option<(SessionId, CancellationToken)>,
    /// Where terminal escape sequences (OSC 52) go: the terminal, or a sink in tests.
    terminal_out: Box<dyn std::io::Write + Send>,
    /// The last log source state told, so each change is logged once.
    last_log_status: String,
}

impl Runtime {
    pub fn new(
        settings: Settings,
        cluster: Arc<dyn Cluster>,
        connection: Connection,
        outbox: Outbox,
        terminal_out: Box<dyn std::io::Write + Send>,
    ) -> Self {
        let tracker = TaskTracker::new();
        let root = CancellationToken::new();
        let session = Session::open(SessionId(0), connection, cluster.as_ref(), &tracker, &root);
        Self {
            settings,
            cluster,
            tracker,
            root,
            outbox,
            session,
            next_session: 1,
            pending_switch: None,
            terminal_out,
            last_log_status: String::new(),
        }
    }

    pub fn readonly(&self, context: &str) -> bool {
        self.settings.readonly.is_readonly(context)
    }

    fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        self.tracker.spawn(job);
    }

    /// Starts the effect; an answer the loop can apply at once (no I/O) comes back directly.
    pub fn execute(&mut self, effect: Effect, state: &State) -> Option<Action> {
        let session = self.session.id;
        let outbox = self.outbox.clone();
        match effect {
            Effect::Quit => self.root.cancel(),
            Effect::Mutate(mutation) => {
                let client = self.session.connection.client.clone();
                let (readonly, audit) = (self.settings.readonly.clone(), self.settings.audit.clone());
                tracing::info!(context = %mutation.context, "mutation sent: {mutation}");
                // Not under the session's token: a sent mutation finishes and is audited.
                self.spawn(async move {
                    let result = redeploy::execute(&client, &readonly, &audit, &mutation)
                        .await
                        .map_err(|e| e.to_string());
                    match &result {
                        Ok(outcome) => {
                            tracing::info!(context = %mutation.context, "mutation done: {outcome}")
                        }
                        Err(err) => {
                            tracing::warn!(context = %mutation.context, "mutation failed: {mutation}: {err}")
                        }
                    }
                    outbox.send_scoped(session, Action::MutationDone { mutation, result }).await;
                });
            }
            Effect::SwitchContext(context) => self.switch_context(context),
            Effect::OpenLogs { query } => self.open_logs(query, state),
            Effect::CloseLogs => self.close_logs(),
            Effect::CheckLogQuery { query } => {
                let loki = self.settings.loki.clone();
                self.spawn(async move {
                    // Only Loki's refusal counts: an unreachable Loki falls back to pod logs anyway.
                    let error = match loki {
                        Some(config) => match check_query(&config, &query).await {
                            Err(e) if !e.is_unreachable() => Some(e.brief()),
                            _ => None,
                        },
                        None => None,
                    };
                    outbox.send_scoped(session, Action::LogQueryChecked { query, error }).await;
                });
            }
            Effect::SaveLogs { path, filter } => {
                let lines =
                    self.session.logs.as_ref().map(|s| s.buffer().lines_tail(usize::MAX)).unwrap_or_default();
                self.spawn(async move {
                    let shown = path.clone();
                    let result = tokio::task::spawn_blocking(move || {
                        log_effects::save_lines(std::path::Path::new(&path), &lines, &filter)
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                    let (text, error) = match result {
                        Ok(n) => (format!("saved {n} lines to {shown}"), false),
                        Err(e) => (format!("not saved: {e}"), true),
                    };
                    outbox.send(Action::Notice { text, error }).await;
                });
            }
            Effect::CopyToClipboard(text) => {
                // The loop owns the terminal: the sequence is written between frames, never from render.
                let out = &mut self.terminal_out;
                let written = out.write_all(log_effects::osc52(&text).as_bytes()).and_then(|()| out.flush());
                return Some(match written {
                    Ok(()) => Action::Notice {
                        text: "Explore link copied (OSC 52) · enter opens it in a browser".into(),
                        error: false,
                    },
                    Err(e) => Action::Notice { text: format!("cannot copy: {e}"), error: true },
                });
            }
            Effect::OpenUrl(url) => self.spawn(async move {
                let (text, error) = match log_effects::open_url(&url).await {
                    Ok(()) => ("opened in the browser".to_string(), false),
                    Err(e) => (format!("cannot open the browser: {e}"), true),
                };
                outbox.send(Action::Notice { text, error }).await;
            }),
            Effect::PlanTasks { kind, rerun } => self.prepare_tasks(kind, rerun, false, state),
            Effect::RunTasks { kind, rerun } => {
                if kind == RunKind::Provision && self.readonly(&state.context) {
                    let context = &state.context;
                    return Some(Action::TasksFailed(format!(
                        "read-only: provisioning on context {context} blocked"
                    )));
                }
                self.prepare_tasks(kind, rerun, true, state);
            }
            Effect::CancelTasks => {
                if let Some(run) = &self.session.tasks {
                    tracing::info!(kind = run.kind.name(), "task run cancelled");
                    run.handle.cancel();
                }
            }
            Effect::PlanScaffold(input) => {
                let (settings, context) = (self.settings.scaffold.clone(), state.context.clone());
                self.spawn(async move {
                    outbox
                        .send_scoped(session, scaffold_runner::preview(settings, input, context).await)
                        .await;
                });
            }
            Effect::Scaffold(input) => {
                let settings = self.settings.scaffold.clone();
                let client = self.session.connection.client.clone();
                let (readonly, audit) = (self.settings.readonly.clone(), self.settings.audit.clone());
                let context = state.context.clone();
                tracing::info!(%context, service = ?input.inputs.get("name"), "scaffold started");
                self.spawn(async move {
                    let done = scaffold_runner::run(settings, client, readonly, audit, context, input).await;
                    if let Action::ScaffoldDone(result) = &done {
                        match result {
                            Ok(text) => tracing::info!("scaffold done: {text}"),
                            Err(err) => tracing::warn!("scaffold failed: {err}"),
                        }
                    }
                    outbox.send_scoped(session, done).await;
                });
            }
        }
        None
    }

    /// Connects in a task of its own: a kubeconfig with an exec plugin that hangs leaves the UI as it
    /// is. A newer `:ctx` abandons an older one still connecting.
    fn switch_context(&mut self, context: String) {
        if let Some((_, token)) = self.pending_switch.take() {
            token.cancel();
        }
        let session = SessionId(self.next_session);
        self.next_session += 1;
        let token = self.root.child_token();
        self.pending_switch = Some((session, token.clone()));
        tracing::info!(%context, "switching context: connecting");
        let connecting = self.cluster.connect(Some(context.clone()));
        let outbox = self.outbox.clone();
        self.spawn(async move {
            tokio::select! {
                result = connecting => outbox.complete(Completion::Connected { session, context, result }).await,
                _ = token.cancelled() => {}
            }
        });
    }

    fn open_logs(&mut self, query: String, state: &State) {
        self.close_logs();
        let Some(pane) = state.logs.as_ref() else { return };
        let request = LogRequest {
            query,
            window: pane.window,
            pods: PodLogTarget { namespace: pane.service.namespace.clone(), app: pane.service.name.clone() },
        };
        let (session, generation) = (self.session.id, self.session.log_generation);
        let (loki, client) = (self.settings.loki.clone(), self.session.connection.client.clone());
        let token = self.session.token.child_token();
        let outbox = self.outbox.clone();
        tracing::info!(service = %pane.service, query = %request.query, "log view opened");
        self.spawn(async move {
            let source = LogSource::open(loki, client, request, token).await;
            outbox.complete(Completion::LogsOpened { session, generation, source }).await;
        });
    }

    /// Stops the log source in the background (it may take up to a second to heed cancellation).
    fn close_logs(&mut self) {
        self.session.log_generation += 1;
        self.last_log_status.clear();
        if let Some(source) = self.session.logs.take() {
            self.spawn(source.stop());
        }
    }

    fn prepare_tasks(&mut self, kind: RunKind, rerun: bool, start: bool, state: &State) {
        let session = self.session.id;
        let s = &self.settings;
        let job = prepare(
            s.tasks_config.clone(),
            s.kubeconfig.clone(),
            s.readonly.clone(),
            kind,
            state.context.clone(),
        );
        let token = self.session.token.clone();
        let outbox = self.outbox.clone();
        self.spawn(async move {
            tokio::select! {
                result = job => outbox.complete(Completion::TasksReady { session, kind, rerun, start, result }).await,
                _ = token.cancelled() => {}
            }
        });
    }

    /// Takes in what an effect answered through the runtime; returns what `update` should hear.
    pub fn complete(&mut self, completion: Completion) -> Option<Action> {
        match completion {
            Completion::Connected { session, context, result } => {
                if self.pending_switch.as_ref().is_none_or(|(id, _)| *id != session) {
                    return None; // a newer `:ctx` replaced it
                }
                self.pending_switch = None;
                match result {
                    Ok(connection) => {
                        let context = connection.context.clone();
                        let fresh = Session::open(
                            session,
                            connection,
                            self.cluster.as_ref(),
                            &self.tracker,
                            &self.root,
                        );
                        let old = std::mem::replace(&mut self.session, fresh);
                        old.close(&self.tracker);
                        self.last_log_status.clear();
                        let readonly = self.readonly(&context);
                        tracing::info!(%context, readonly, "context switched: new session");
                        Some(Action::ContextSwitched { session, context, readonly })
                    }
                    Err(error) => {
                        tracing::warn!(%context, %error, "context switch failed");
                        Some(Action::ContextFailed { context, error })
                    }
                }
            }
            Completion::LogsOpened { session, generation, source } => {
                if session != self.session.id || generation != self.session.log_generation {
                    self.spawn(source.stop());
                    return None;
                }
                self.session.logs = Some(source);
                self.poll_logs()
            }
            Completion::TasksReady { session, kind, rerun, start, result } => {
                if session != self.session.id {
                    return None;
                }
                let action = match (result, start) {
                    (Err(e), _) => {
                        tracing::warn!(kind = kind.name(), error = %e, "task run not started");
                        Action::TasksFailed(e)
                    }
                    (Ok((env, suite)), false) => {
                        Action::TasksConfirm { kind, rerun, text: suite.confirmation(&env.context) }
                    }
                    (Ok((env, suite)), true) => {
                        let previous: Option<RunSnapshot> = match &self.session.tasks {
                            Some(run) if rerun && run.kind == kind => Some(run.handle.snapshot()),
                            _ => None,
                        };
                        let handle = engine::start(
                            &suite.plan,
                            suite.concurrency,
                            &self.session.token,
                            previous.as_ref(),
                        );
                        let changes = handle.changes();
                        tracing::info!(kind = kind.name(), context = %env.context, rerun, "task run started");
                        self.session.tasks = Some(TaskRun { kind, handle, changes, reported: false });
                        Action::TasksStarted { kind, phases: suite.phases }
                    }
                };
                Some(Action::Scoped { session, action: Box::new(action) })
            }
            Completion::Snapshot { session, snapshot } => {
                if session != self.session.id {
                    return None;
                }
                self.session.snapshot_in_flight = false;
                Some(Action::Scoped { session, action: Box::new(Action::Snapshot(snapshot)) })
            }
        }
    }

    /// Builds a snapshot of the session's caches off the loop (one at a time; a change meanwhile asks
    /// for the next one).
    pub fn request_snapshot(&mut self) -> bool {
        if self.session.snapshot_in_flight {
            return false;
        }
        self.session.snapshot_in_flight = true;
        let (session, caches, outbox) = (self.session.id, self.session.caches.clone(), self.outbox.clone());
        self.spawn(async move {
            if let Ok(snapshot) = tokio::task::spawn_blocking(move || caches.snapshot()).await {
                outbox.complete(Completion::Snapshot { session, snapshot: Arc::new(snapshot) }).await;
            }
        });
        true
    }

    /// The log source's newest lines and state, for the view.
    pub fn poll_logs(&mut self) -> Option<Action> {
        let action = self.session.logs.as_mut()?.poll();
        if let Action::Logs { status, .. } = &action
            && *status != self.last_log_status
        {
            tracing::info!(%status, "log source state");
            self.last_log_status = status.clone();
        }
        Some(Action::Scoped { session: self.session.id, action: Box::new(action) })
    }

    /// The task run's snapshot, for the view; its end is logged once.
    pub fn poll_tasks(&mut self) -> Option<Action> {
        let run = self.session.tasks.as_mut()?;
        let snapshot = run.handle.snapshot();
        if snapshot.finished && !run.reported {
            run.reported = true;
            tracing::info!(
                kind = run.kind.name(),
                "task run finished: {}",
                summary(run.kind.name(), &snapshot)
            );
        }
        Some(Action::Scoped {
            session: self.session.id,
            action: Box::new(Action::TaskSnapshot(Box::new(snapshot))),
        })
    }

    /// Waits for the session's sources to change: the caches, the log source, the task run.
    pub async fn changed(&mut self) -> Change {
        let session = &mut self.session;
        // A closed channel never resolves: its source is gone, not changing.
        let logs = async {
            let changed = match session.logs.as_mut() {
                Some(source) => source.changed.changed().await.is_ok(),
                None => false,
            };
            if !changed {
                std::future::pending::<()>().await;
            }
        };
        let tasks = async {
            let changed = match session.tasks.as_mut() {
                Some(run) => run.changes.changed().await.is_ok(),
                None => false,
            };
            if !changed {
                std::future::pending::<()>().await;
            }
        };
        let caches = async {
            if session.changed.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = caches => Change::Caches,
            () = logs => Change::Logs,
            () = tasks => Change::Tasks,
        }
    }

    /// What changed without waiting (the notifications that came in while the loop was busy).
    pub fn changes_ready(&mut self, due: &mut Due) {
        let session = &mut self.session;
        if session.changed.has_changed().unwrap_or(false) {
            session.changed.mark_unchanged();
            due.caches = true;
        }
        if let Some(source) = session.logs.as_mut()
            && source.changed.has_changed().unwrap_or(false)
        {
            source.changed.mark_unchanged();
            due.logs = true;
        }
        if let Some(run) = session.tasks.as_mut()
            && run.changes.has_changed().unwrap_or(false)
        {
            run.changes.mark_unchanged();
            due.tasks = true;
        }
    }

    /// Cancels everything and waits (a bounded time) for the tasks to end.
    pub async fn shutdown(self, grace: std::time::Duration) {
        self.root.cancel();
        if let Some(source) = self.session.logs {
            self.tracker.spawn(source.stop());
        }
        self.tracker.close();
        let _ = tokio::time::timeout(grace, self.tracker.wait()).await;
    }
}

/// A source that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Caches,
    Logs,
    Tasks,
}

/// What the loop owes the sources this turn.
#[derive(Debug, Default)]
pub struct Due {
    pub caches: bool,
    pub logs: bool,
    pub tasks: bool,
}

impl Due {
    pub fn mark(&mut self, change: Change) {
        match change {
            Change::Caches => self.caches = true,
            Change::Logs => self.logs = true,
            Change::Tasks => self.tasks = true,
        }
    }
}
