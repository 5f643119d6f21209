//! Everything that can happen to the UI, and everything the UI asks the outside world to do.

use std::sync::Arc;

use jiff::Timestamp;

use crate::actions::Mutation;
use crate::config::KeySpec;
use platdeck_core::platform::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    Click,
    ScrollUp,
    ScrollDown,
}

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeySpec),
    /// An answer that belongs to one session (connection): applied only while the state shows it.
    Scoped {
        session: super::state::SessionId,
        action: Box<Action>,
    },
    /// A `:ctx` connection is up: the state now shows this session (the runtime closed the old one).
    ContextSwitched {
        session: super::state::SessionId,
        context: String,
        readonly: bool,
    },
    /// A `:ctx` connection could not be made; the current context stays.
    ContextFailed {
        context: String,
        error: String,
    },
    /// A signal (SIGINT, SIGTERM) asks to quit, like `q`.
    Quit,
    /// A mouse event at a terminal cell.
    Mouse {
        kind: MouseKind,
        column: u16,
        row: u16,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// Time moves (ages, staleness, spinners); carries the clock so update stays pure.
    Tick(Timestamp),
    /// The sources' caches changed: here is a fresh snapshot.
    Snapshot(Arc<Snapshot>),
    /// The log source delivered: the newest lines and its state.
    Logs {
        lines: Vec<Arc<platdeck_core::platform::logline::LogLine>>,
        dropped_overflow: u64,
        dropped_upstream: u64,
        status: String,
    },
    /// A task run started (validation or provisioning): its phases, in order.
    TasksStarted {
        kind: super::tasks::RunKind,
        phases: Vec<crate::tasks::suite::Phase>,
    },
    /// The task run changed: its latest snapshot (pulled by the loop on the engine's notification).
    TaskSnapshot(Box<crate::tasks::engine::RunSnapshot>),
    /// Provisioning is planned and waits for confirmation: the text names context and changes.
    TasksConfirm {
        kind: super::tasks::RunKind,
        rerun: bool,
        text: String,
    },
    /// A task run could not start (suite, template or connection error).
    TasksFailed(String),
    /// A mutation the UI asked for finished.
    MutationDone {
        mutation: Mutation,
        result: Result<String, String>,
    },
    /// The scaffold form's inputs were rendered and checked: the preview, or why not.
    ScaffoldPlanned(Result<super::scaffold_form::Preview, String>),
    /// A confirmed scaffold finished.
    ScaffoldDone(Result<String, String>),
    /// Loki's verdict on an edited log query: `None` accepted, else its message.
    LogQueryChecked {
        query: String,
        error: Option<String>,
    },
    /// Something the app loop did (a file saved, a browser that would not open) to tell the user.
    Notice {
        text: String,
        error: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The UI quits: cancel what runs.
    Quit,
    /// Send a confirmed mutation (guarded and audited by the executor too).
    Mutate(Mutation),
    /// Reconnect to another kube context.
    SwitchContext(String),
    /// Follow this LogQL query in Loki (replacing any log source running).
    OpenLogs {
        query: String,
    },
    CloseLogs,
    /// Load a suite and ask for confirmation of what it changes (provisioning).
    PlanTasks {
        kind: super::tasks::RunKind,
        rerun: bool,
    },
    /// Run a suite; with `rerun`, only what failed (and what it skipped) in the last run.
    RunTasks {
        kind: super::tasks::RunKind,
        rerun: bool,
    },
    CancelTasks,
    /// Render and check a scaffold (nothing written) for the form's preview.
    PlanScaffold(super::scaffold_form::ScaffoldInput),
    /// Scaffold for real (guarded and audited by the executor).
    Scaffold(super::scaffold_form::ScaffoldInput),
    /// Ask Loki whether it accepts this query (answered by `Action::LogQueryChecked`).
    CheckLogQuery {
        query: String,
    },
    /// Write the log lines passing `filter` to a new file at `path` (never overwriting one).
    SaveLogs {
        path: String,
        filter: String,
    },
    /// Put the text on the system clipboard (OSC 52, written between frames by the runtime).
    CopyToClipboard(String),
    /// Open the URL in the desktop's browser (`xdg-open` / `open`).
    OpenUrl(String),
}
