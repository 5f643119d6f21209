//! The console's event loop: terminal events, source notifications, ticks and mutation results
//! become actions; `update` turns them into state and effects; frames are drawn only when something
//! changed, at most ~30 per second.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::action::{Action, Effect};
use super::keymap::Keymap;
use super::log_effects;
use super::log_source::{LogRequest, LogSource};
use super::render;
use super::state::{Notice, State};
use super::terminal::TerminalGuard;
use super::theme::Theme;
use super::update::update;
use crate::actions::audit::AuditLog;
use crate::actions::guard::ReadOnly;
use crate::actions::redeploy;
use crate::sources::cache::Caches;
use crate::sources::kube::{WatchScope, spawn_watchers};
use crate::sources::kube_client::{Connection, connect};
use crate::sources::loki::{LokiClientConfig, check_query};
use crate::sources::pod_logs::PodLogTarget;

/// The shortest time between two frames.
const FRAME: Duration = Duration::from_millis(33);
/// How often time-derived text (ages, staleness) refreshes.
const TICK: Duration = Duration::from_secs(1);

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

/// A connection with its running watchers.
struct Session {
    connection: Connection,
    caches: Arc<Caches>,
    changed: watch::Receiver<u64>,
    token: CancellationToken,
}

fn open_session(
    connection: Connection,
    scope: &WatchScope,
    tracker: &TaskTracker,
    root: &CancellationToken,
) -> Session {
    let (caches, changed) = Caches::new();
    let token = root.child_token();
    spawn_watchers(&connection.client, scope, &caches, tracker, &token);
    Session { connection, caches, changed, token }
}

pub async fn run(options: ConsoleOptions) -> color_eyre::Result<()> {
    // Connect before touching the terminal, so a bad kubeconfig is a plain error message.
    let connection = connect(options.kubeconfig.as_deref(), options.context.as_deref()).await?;
    let root = CancellationToken::new();
    let tracker = TaskTracker::new();
    let scope = WatchScope {
        namespace: options.namespace.clone(),
        argocd_namespace: options.argocd_namespace.clone(),
    };
    let mut session = open_session(connection, &scope, &tracker, &root);
    let theme = options.theme.clone();
    let readonly_now = options.readonly.is_readonly(&session.connection.context);
    let mut state = State::new(
        session.connection.context.clone(),
        readonly_now,
        options.namespace.clone(),
        options.keymap.clone(),
        jiff::Timestamp::now(),
    );
    state.log_query_template = options.log_query_template.clone();
    state.explore = options.explore.clone();
    let (done_tx, mut done_rx) = mpsc::channel::<Action>(16);
    let mut logs: Option<LogSource> = None;
    let mut logs_due = false;
    let mut runner = super::task_runner::TaskRunner::new(
        options.tasks_config.clone(),
        options.kubeconfig.clone(),
        options.readonly.clone(),
    );
    let mut tasks_due = false;

    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    update(&mut state, Action::Resize { width: size.width, height: size.height });
    let mut events = EventStream::new();
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut tick = tokio::time::interval(TICK);
    let mut dirty = true;
    let mut snapshot_due = true;
    // SIGTERM/SIGINT quit like `q`: the terminal is restored on the way out.
    let mut signals = crate::signals::ShutdownSignals::register();

    while !state.quit {
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => super::input::to_action(event),
                Some(Err(err)) => { tracing::error!(%err, "terminal input failed"); None }
                None => break,
            },
            changed = session.changed.changed() => {
                if changed.is_ok() { snapshot_due = true; }
                None
            },
            _ = tick.tick() => Some(Action::Tick(jiff::Timestamp::now())),
            _ = signals.recv() => {
                state.quit = true;
                None
            },
            Some(done) = done_rx.recv() => Some(done),
            changed = async {
                match logs.as_mut() {
                    Some(source) => source.changed.changed().await,
                    None => std::future::pending().await,
                }
            } => {
                if changed.is_ok() { logs_due = true; }
                None
            },
            changed = runner.changed() => {
                if changed { tasks_due = true; }
                None
            },
            _ = frame.tick() => {
                // Bursts of source changes coalesce into one snapshot per frame.
                if tasks_due {
                    tasks_due = false;
                    runner.snapshot()
                } else if logs_due && let Some(source) = logs.as_mut() {
                    logs_due = false;
                    Some(source.poll())
                } else if snapshot_due {
                    snapshot_due = false;
                    Some(Action::Snapshot(Arc::new(session.caches.snapshot())))
                } else if dirty {
                    dirty = false;
                    guard.terminal.draw(|f| render::render(&state, &theme, f))?;
                    None
                } else {
                    None
                }
            }
        };
        let Some(action) = action else { continue };
        // What the user did is drawn at once (key to frame ≤ 16 ms); what the sources did waits
        // for the next frame tick, so bursts coalesce.
        let from_user = matches!(action, Action::Key(_) | Action::Mouse { .. } | Action::Resize { .. });
        dirty = true;
        for effect in update(&mut state, action) {
            match effect {
                Effect::Quit => state.quit = true,
                Effect::Mutate(mutation) => {
                    let client = session.connection.client.clone();
                    let readonly = options.readonly.clone();
                    let audit = options.audit.clone();
                    let tx = done_tx.clone();
                    tracker.spawn(async move {
                        let result = redeploy::execute(&client, &readonly, &audit, &mutation)
                            .await
                            .map_err(|e| e.to_string());
                        let _ = tx.send(Action::MutationDone { mutation, result }).await;
                    });
                }
                Effect::PlanTasks { kind, rerun } => {
                    let planned = runner.plan(kind, rerun, &state.context).await;
                    update(&mut state, planned);
                }
                Effect::RunTasks { kind, rerun } => {
                    let started = runner.start(kind, rerun, &state.context, &root).await;
                    update(&mut state, started);
                    tasks_due = true;
                }
                Effect::CancelTasks => runner.cancel(),
                Effect::PlanScaffold(input) => {
                    let (settings, context, tx) =
                        (options.scaffold.clone(), state.context.clone(), done_tx.clone());
                    tracker.spawn(async move {
                        let _ =
                            tx.send(super::scaffold_runner::preview(settings, input, context).await).await;
                    });
                }
                Effect::Scaffold(input) => {
                    let settings = options.scaffold.clone();
                    let client = session.connection.client.clone();
                    let (readonly, audit) = (options.readonly.clone(), options.audit.clone());
                    let (context, tx) = (state.context.clone(), done_tx.clone());
                    tracker.spawn(async move {
                        let done =
                            super::scaffold_runner::run(settings, client, readonly, audit, context, input);
                        let _ = tx.send(done.await).await;
                    });
                }
                Effect::CloseLogs => {
                    if let Some(source) = logs.take() {
                        source.stop().await;
                    }
                }
                Effect::OpenLogs { query } => {
                    if let Some(source) = logs.take() {
                        source.stop().await;
                    }
                    let Some(pane) = state.logs.as_ref() else { continue };
                    let request = LogRequest {
                        query,
                        window: pane.window,
                        pods: PodLogTarget {
                            namespace: pane.service.namespace.clone(),
                            app: pane.service.name.clone(),
                        },
                    };
                    let client = session.connection.client.clone();
                    logs = Some(
                        LogSource::open(options.loki.clone(), client, request, root.child_token()).await,
                    );
                    logs_due = true;
                }
                Effect::CheckLogQuery { query } => {
                    let loki = options.loki.clone();
                    let tx = done_tx.clone();
                    tracker.spawn(async move {
                        // Only Loki's refusal counts: an unreachable Loki falls back to pod logs anyway.
                        let error = match loki {
                            Some(config) => match check_query(&config, &query).await {
                                Err(e) if !e.is_unreachable() => Some(e.brief()),
                                _ => None,
                            },
                            None => None,
                        };
                        let _ = tx.send(Action::LogQueryChecked { query, error }).await;
                    });
                }
                Effect::SaveLogs { path, filter } => {
                    let lines = logs.as_ref().map(|s| s.buffer().lines_tail(usize::MAX)).unwrap_or_default();
                    let tx = done_tx.clone();
                    tracker.spawn(async move {
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
                        let _ = tx.send(Action::Notice { text, error }).await;
                    });
                }
                Effect::CopyToClipboard(text) => {
                    // Written between frames by the loop that owns the terminal, never from update/render.
                    use std::io::Write as _;
                    let mut out = std::io::stdout();
                    let written =
                        out.write_all(log_effects::osc52(&text).as_bytes()).and_then(|()| out.flush());
                    state.notice = Some(match written {
                        Ok(()) => Notice {
                            text: "Explore link copied (OSC 52) · enter opens it in a browser".into(),
                            error: false,
                        },
                        Err(e) => Notice { text: format!("cannot copy: {e}"), error: true },
                    });
                }
                Effect::OpenUrl(url) => {
                    let tx = done_tx.clone();
                    tracker.spawn(async move {
                        let (text, error) = match log_effects::open_url(&url).await {
                            Ok(()) => ("opened in the browser".to_string(), false),
                            Err(e) => (format!("cannot open the browser: {e}"), true),
                        };
                        let _ = tx.send(Action::Notice { text, error }).await;
                    });
                }
                Effect::SwitchContext(context) => {
                    match connect(options.kubeconfig.as_deref(), Some(&context)).await {
                        Ok(connection) => {
                            session.token.cancel();
                            session = open_session(connection, &scope, &tracker, &root);
                            state.context = session.connection.context.clone();
                            state.readonly = options.readonly.is_readonly(&state.context);
                            state.set_snapshot(Arc::new(session.caches.snapshot()));
                            state.notice =
                                Some(Notice { text: format!("switched to context {context}"), error: false });
                        }
                        Err(err) => state.notice = Some(Notice { text: err.to_string(), error: true }),
                    }
                }
            }
        }
        if from_user && !state.quit {
            dirty = false;
            guard.terminal.draw(|f| render::render(&state, &theme, f))?;
        }
    }
    drop(guard);
    root.cancel();
    tracker.close();
    let _ = tokio::time::timeout(Duration::from_secs(3), tracker.wait()).await;
    Ok(())
}
