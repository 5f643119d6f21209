//! tracing to log files and to the diagnostics panel: the terminal belongs to the UI (or to stdout's
//! JSON, for `sim`). The console's events go to `platdeck.log`; the embedded simulated platform's (its
//! crate's targets, when `demo` runs it in-process) to `platdeck-sim.log` beside it, so the two are never
//! mixed. The console's events also feed the in-app diagnostics panel (tui-logger), sanitised.

use std::path::PathBuf;

use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, filter};

/// Events whose target starts with this are the simulated platform's.
pub const SIM_TARGET_PREFIX: &str = "platdeck_sim";

/// Where the log file goes: `$XDG_STATE_HOME/platdeck/platdeck.log` (or the platform's state/data dir).
pub fn log_file_path() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::state_dir)
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir);
    base.join("platdeck").join("platdeck.log")
}

/// The simulated platform's log file, beside the console's.
pub fn sim_log_file_path() -> PathBuf {
    log_file_path().with_file_name("platdeck-sim.log")
}

fn is_sim(target: &str) -> bool {
    target.starts_with(SIM_TARGET_PREFIX)
}

fn level_filter() -> EnvFilter {
    EnvFilter::try_from_env("PLATDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"))
}

fn open_append(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new().create(true).append(true).open(path)
}

/// Flushes the log files when dropped.
pub struct LogGuards {
    _console: tracing_appender::non_blocking::WorkerGuard,
    _sim: tracing_appender::non_blocking::WorkerGuard,
}

/// Installs the file loggers and the diagnostics panel's feed; level from `PLATDECK_LOG` (default
/// `info`). Returns the guards that flush the files.
pub fn init() -> std::io::Result<LogGuards> {
    let (console_writer, console_guard) = tracing_appender::non_blocking(open_append(&log_file_path())?);
    let (sim_writer, sim_guard) = tracing_appender::non_blocking(open_append(&sim_log_file_path())?);
    let console_file = tracing_subscriber::fmt::layer()
        .with_writer(console_writer)
        .with_ansi(false)
        .with_filter(level_filter().and(filter::filter_fn(|m| !is_sim(m.target()))));
    let sim_file = tracing_subscriber::fmt::layer()
        .with_writer(sim_writer)
        .with_ansi(false)
        .with_filter(level_filter().and(filter::filter_fn(|m| is_sim(m.target()))));
    crate::tui::diagnostics::init_panel();
    let panel = crate::tui::diagnostics::PanelLayer
        .with_filter(level_filter().and(filter::filter_fn(|m| !is_sim(m.target()))));
    let _ = tracing_subscriber::registry().with(console_file).with(sim_file).with(panel).try_init();
    Ok(LogGuards { _console: console_guard, _sim: sim_guard })
}
