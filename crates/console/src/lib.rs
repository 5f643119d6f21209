//! The console: configuration, one adapter per platform system, the task engine, mutations behind the
//! read-only guard and the audit log, scaffolding, reports and the terminal UI.
//!
//! It never depends on the simulated platform: it talks to whatever cluster and endpoints it is given.

pub mod actions;
pub mod assets;
pub mod config;
pub mod logging;
pub mod report;
pub mod scaffold;
pub mod signals;
pub mod sources;
pub mod tasks;
pub mod tui;
