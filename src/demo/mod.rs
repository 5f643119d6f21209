//! The embedded simulated platform, wired in only with the `demo` feature: `platdeck sim`, `platdeck demo`
//! and `--demo`. The console is handed its kubeconfig and endpoints exactly as for a real cluster.

pub mod cli;
pub mod embedded;
pub mod sim_command;

/// How long the sim's shutdown may take before the process exits anyway.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
