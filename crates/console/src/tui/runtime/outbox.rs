//! The bounded queue effects answer into. A spawned effect waits for room (back-pressure on the
//! effect, never on the loop); the loop drains a bounded number of messages per turn, so input is
//! never starved by a flood of answers.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::sources::kube_client::Connection;
use crate::tasks::Env;
use crate::tasks::suite::Suite;
use crate::tui::action::Action;
use crate::tui::log_source::LogSource;
use crate::tui::state::SessionId;
use crate::tui::tasks::RunKind;
use platdeck_core::platform::Snapshot;

/// How many answers may wait for the loop.
pub const QUEUE_CAPACITY: usize = 256;

/// What arrives in the queue.
pub enum Message {
    /// For `update`.
    Action(Action),
    /// A result the runtime takes in first: it holds I/O handles (clients, sources, runs) that the
    /// state never does, and answers with an action.
    Runtime(Completion),
}

pub enum Completion {
    /// A `:ctx` connection was made (or not).
    Connected { session: SessionId, context: String, result: Result<Connection, String> },
    /// A log source is open for the log view the `generation` counter names.
    LogsOpened { session: SessionId, generation: u64, source: LogSource },
    /// A suite is loaded (and its environment connected): to plan or to start.
    TasksReady {
        session: SessionId,
        kind: RunKind,
        rerun: bool,
        start: bool,
        result: Result<(Arc<Env>, Suite), String>,
    },
    /// A snapshot of the session's caches, built off the loop.
    Snapshot { session: SessionId, snapshot: Arc<Snapshot> },
}

/// The sending side, cloned into every spawned effect.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Message>,
}

impl Outbox {
    pub fn channel() -> (Self, mpsc::Receiver<Message>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        (Self { tx }, rx)
    }

    /// Queues an action; after the loop has gone, the answer has nobody to tell and is dropped.
    pub async fn send(&self, action: Action) {
        let _ = self.tx.send(Message::Action(action)).await;
    }

    /// Queues an action for `session`'s state only.
    pub async fn send_scoped(&self, session: SessionId, action: Action) {
        self.send(Action::Scoped { session, action: Box::new(action) }).await;
    }

    pub async fn complete(&self, completion: Completion) {
        let _ = self.tx.send(Message::Runtime(completion)).await;
    }
}
