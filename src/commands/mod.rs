//! The command-line wiring: each subcommand's entry point.

pub mod console;
pub mod headless;
pub mod provision;
pub mod redeploy;
pub mod scaffold;
pub mod status;
pub mod target;
pub mod tasks_run;
pub mod validate;
