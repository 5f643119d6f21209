//! The effect runtime: the only place the UI does I/O, and never inside the loop's own task.
//!
//! `update` returns effects; `Runtime::execute` spawns each on the `TaskTracker` (it never awaits one),
//! and each answers with a `Message` into the bounded queue the loop drains (`outbox.rs`). Answers that
//! belong to a connection are tagged with its `SessionId` (`Action::Scoped`), so a late answer from a
//! context the user has left is ignored. What the runtime must hold itself — the kube client, the
//! caches, the log source, the task run — lives in the `Session` of the current context; a `:ctx`
//! switch cancels the old session's token, which ends its watchers, log source and task run.
//!
//! `scheduler.rs` is the loop: it takes everything that is due (input, queued answers, cache, log and
//! task notifications), applies it through `update`, and then draws once (at most ~30 frames/s for
//! what the sources did; at once for what the user did). The terminal, its event stream and the
//! cluster are injected, so the loop runs under tests with a `TestBackend` and paused time.

pub mod cluster;
pub mod effects;
pub mod outbox;
pub mod scheduler;
pub mod session;
pub mod task_run;

pub use cluster::{Cluster, KubeCluster};
pub use effects::{Runtime, Settings};
pub use outbox::{Completion, Message, Outbox};
pub use scheduler::{LoopReport, run_loop};
