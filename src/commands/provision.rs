//! `platdeck provision [--demo] [--dry-run] [--yes] [--suite FILE]`: the provisioning suite headless.
//! `--dry-run` prints the plan in dependency order; otherwise the read-only guard speaks first, then a
//! confirmation naming the context and what changes where, then the run (each change audited).

use std::path::PathBuf;

use color_eyre::eyre::{Result, bail};

use super::headless::confirm;
use super::target::Target;
use super::tasks_run::{emit, env_for, exit_failed, load_suite, run};
use platdeck_console::config::Config;
use platdeck_console::report::tasks;

pub struct Request {
    pub dry_run: bool,
    pub yes: bool,
    pub suite: Option<PathBuf>,
    pub readonly: bool,
}

pub async fn run_provision(config: &Config, target: Target, request: Request) -> Result<()> {
    let result = provision(config, &target, &request).await;
    target.close().await;
    match result? {
        Some(failed) => exit_failed(&failed),
        None => Ok(()),
    }
}

/// `Some(summary)` when the run did not pass.
async fn provision(config: &Config, target: &Target, request: &Request) -> Result<Option<String>> {
    let env = env_for(config, target, request.readonly).await;
    let suite = load_suite(&env, request.suite.as_deref(), "provision", &[])?;
    if request.dry_run {
        emit(&suite.plan_text(&env.context), None)?;
        return Ok(None);
    }
    // The guard speaks before the prompt: a blocked provisioning is never offered.
    if env.readonly.is_readonly(&env.context) {
        let why =
            if env.readonly.flag { "started with --readonly" } else { "the context is read-only in config" };
        env.record("provision", "", &format!("suite/{}", suite.name), format!("blocked: {why}"));
        bail!("read-only: provisioning on context {} was not started ({why})", env.context);
    }
    emit(&suite.confirmation(&env.context), None)?;
    if !request.yes && !confirm("provision")? {
        env.record("provision", "", &format!("suite/{}", suite.name), "cancelled");
        bail!("not confirmed; nothing was changed");
    }
    let snapshot = run(&suite).await;
    emit(&tasks::text(&suite.name, &suite.phases, &snapshot), None)?;
    Ok((!snapshot.all_passed()).then(|| tasks::summary(&suite.name, &snapshot)))
}
