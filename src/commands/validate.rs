//! `platdeck validate [--demo] [--phase P] [--format text|json|junit] [--output FILE] [--suite FILE]`:
//! the validation suite headless; exits 0 only when every task passed (or was skipped for want of
//! configuration, which is listed with its reason).

use std::path::PathBuf;

use color_eyre::eyre::Result;

use super::target::Target;
use super::tasks_run::{emit, env_for, exit_failed, load_suite, run};
use crate::cli::TaskFormat;
use platdeck_console::config::Config;
use platdeck_console::report::tasks;

pub struct Request {
    pub phases: Vec<String>,
    pub format: TaskFormat,
    pub output: Option<PathBuf>,
    pub suite: Option<PathBuf>,
    pub readonly: bool,
}

pub async fn run_validate(config: &Config, target: Target, request: Request) -> Result<()> {
    let result = validate(config, &target, &request).await;
    target.close().await;
    match result? {
        Some(failed) => exit_failed(&failed),
        None => Ok(()),
    }
}

/// `Some(summary)` when the run did not pass.
async fn validate(config: &Config, target: &Target, request: &Request) -> Result<Option<String>> {
    let env = env_for(config, target, request.readonly).await;
    let suite = load_suite(&env, request.suite.as_deref(), "validate", &request.phases)?;
    let snapshot = run(&suite).await;
    let text = match request.format {
        TaskFormat::Text => tasks::text(&suite.name, &suite.phases, &snapshot),
        TaskFormat::Json => serde_json::to_string_pretty(&tasks::json(&suite.name, &snapshot))?,
        TaskFormat::Junit => tasks::junit(&suite.name, &suite.phases, &snapshot),
    };
    emit(&text, request.output.as_deref())?;
    Ok((!snapshot.all_passed()).then(|| tasks::summary(&suite.name, &snapshot)))
}
