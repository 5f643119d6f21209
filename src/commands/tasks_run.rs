//! What `validate` and `provision` share: the task environment for a target, the suite, and the run
//! with its progress (a live line on a terminal, one plain line per finished task when piped).

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use color_eyre::eyre::{Result, eyre};
use tokio_util::sync::CancellationToken;

use super::target::Target;
use platdeck_console::actions::guard::ReadOnly;
use platdeck_console::config::Config;
use platdeck_console::report::tasks::line;
use platdeck_console::tasks::engine::{self, RunSnapshot, Status};
use platdeck_console::tasks::suite::{Suite, source_from_arg};
use platdeck_console::tasks::{Env, engine::human_duration};
use platdeck_core::sanitize::clean;

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The environment tasks run in: the target's cluster, with `--demo` endpoints pointed at the sim.
pub async fn env_for(config: &Config, target: &Target, readonly: bool) -> Arc<Env> {
    let config = target.effective_config(config);
    let guard = ReadOnly { flag: readonly, contexts: config.cluster.readonly_contexts.clone() };
    Arc::new(Env::connect(config, target.kubeconfig.as_deref(), target.context.as_deref(), guard).await)
}

pub fn load_suite(env: &Arc<Env>, file: Option<&Path>, builtin: &str, phases: &[String]) -> Result<Suite> {
    let suite = Suite::load(&source_from_arg(file, builtin), env)?;
    suite.only_phases(phases).map_err(|e| eyre!(e))
}

/// Runs the suite, printing progress on stderr; Ctrl-C cancels the run (and is reported as such).
pub async fn run(suite: &Suite) -> RunSnapshot {
    let token = CancellationToken::new();
    let handle = engine::start(&suite.plan, suite.concurrency, &token, None);
    let mut signals = platdeck_console::signals::ShutdownSignals::register();
    let live = std::io::stderr().is_terminal();
    let mut changes = handle.changes();
    let mut printed: HashSet<String> = HashSet::new();
    let mut frame = 0usize;
    let mut ticker = tokio::time::interval(std::time::Duration::from_millis(120));
    loop {
        let snapshot = handle.snapshot();
        let mut err = std::io::stderr().lock();
        if live {
            let _ = write!(err, "\r\x1b[2K");
        }
        for t in snapshot.tasks.iter().filter(|t| t.status.is_finished()) {
            if printed.insert(t.id.clone()) {
                let _ = writeln!(err, "{}", clean(&line(t)));
            }
        }
        if snapshot.finished {
            break;
        }
        if live {
            let running: Vec<&str> = snapshot
                .tasks
                .iter()
                .filter(|t| t.status == Status::Running)
                .map(|t| t.id.as_str())
                .collect();
            let _ = write!(
                err,
                "{} {}/{} done · running: {}",
                SPINNER[frame % SPINNER.len()],
                snapshot.done(),
                snapshot.tasks.len(),
                running.join(", ")
            );
            let _ = err.flush();
        }
        drop(err);
        tokio::select! {
            _ = changes.changed() => {}
            _ = ticker.tick(), if live => frame += 1,
            _ = signals.recv() => {
                eprintln!("\ncancelling…");
                handle.cancel();
            }
        }
    }
    let done = handle.wait().await;
    if let Some(d) = done.duration {
        tracing::info!(duration = %human_duration(d), "task run finished");
    }
    done
}

/// Writes `text` to the file, or stdout (line by line through the sanitiser: cluster text may carry
/// escape sequences).
pub fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => std::fs::write(path, text).map_err(|e| eyre!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            for line in text.lines() {
                writeln!(out, "{}", clean(line))?;
            }
            Ok(())
        }
    }
}

/// Ends the process with status 1 after a run that did not pass, saying why on stderr (the report
/// itself is already out).
pub fn exit_failed(summary: &str) -> ! {
    eprintln!("{}", clean(summary));
    std::process::exit(1)
}
