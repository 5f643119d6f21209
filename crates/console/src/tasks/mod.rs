//! Provisioning and validation: suites of tasks (data, templated from the config) run by a concurrent
//! engine, in the TUI and headless.

pub mod duration;
pub mod engine;
pub mod env;
pub mod kinds;
pub mod suite;
pub mod template;

pub use engine::{Outcome, Plan, RunHandle, RunSnapshot, Status, TaskIo, TaskSpec, Work};
pub use env::Env;
pub use suite::{Suite, SuiteError, SuiteSource};

/// Tasks run at once unless a suite says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;
