//! tracing to a log file: the terminal belongs to the UI (or to stdout's JSON, for `sim`).

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

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

/// Installs the file logger; level from `PLATDECK_LOG` (default `info`). Returns the guard that flushes it.
pub fn init() -> std::io::Result<tracing_appender::non_blocking::WorkerGuard> {
    let path = log_file_path();
    let dir = path.parent().map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir)?;
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("PLATDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).try_init();
    Ok(guard)
}
