//! `platdeck redeploy SERVICE --strategy restart|sync|refresh [--yes]`: the TUI's redeploy, headless,
//! through the same guard, confirmation and audit log, then following its progress.

use std::time::Duration;

use color_eyre::eyre::{Result, bail, eyre};

use super::headless::{Live, confirm, print_clean};
use super::target::Target;
use platdeck_console::actions::audit::{AuditEntry, AuditLog};
use platdeck_console::actions::guard::ReadOnly;
use platdeck_console::actions::{Mutation, Strategy, redeploy};
use platdeck_console::config::Config;
use platdeck_core::platform::project::{health_name, sync_name};
use platdeck_core::platform::services::{ServiceView, services};
use platdeck_core::platform::{HealthStatus, RolloutState, ServiceKey};

/// How long progress is followed after the request was accepted.
const FOLLOW_FOR: Duration = Duration::from_secs(180);

pub struct Request<'a> {
    pub service: &'a str,
    pub strategy: Strategy,
    pub yes: bool,
    pub readonly: bool,
    pub namespace: Option<&'a str>,
}

fn find<'a>(all: &'a [ServiceView], wanted: &str) -> Result<&'a ServiceView> {
    let matches: Vec<&ServiceView> =
        all.iter().filter(|s| s.key.name == wanted || s.key.to_string() == wanted).collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            let known: Vec<String> = all.iter().map(|s| s.key.to_string()).collect();
            Err(eyre!("no service named `{wanted}`; known services: {}", known.join(", ")))
        }
        many => {
            let names: Vec<String> = many.iter().map(|s| s.key.to_string()).collect();
            Err(eyre!("`{wanted}` is ambiguous: {}; name it as namespace/name", names.join(", ")))
        }
    }
}

pub async fn run(config: &Config, target: Target, request: Request<'_>) -> Result<()> {
    let result = redeploy_with(config, &target, &request).await;
    target.close().await;
    result
}

async fn redeploy_with(config: &Config, target: &Target, request: &Request<'_>) -> Result<()> {
    let live = Live::start(config, target, request.namespace).await?;
    let outcome = act(config, &live, request).await;
    live.stop().await;
    outcome
}

async fn act(config: &Config, live: &Live, request: &Request<'_>) -> Result<()> {
    let all = services(&live.caches.snapshot());
    let service = find(&all, request.service)?;
    let mutation = Mutation::for_service(request.strategy, &live.connection.context, service);
    let readonly = ReadOnly { flag: request.readonly, contexts: config.cluster.readonly_contexts.clone() };
    let audit = AuditLog::new(config.audit_log_path());
    // The guard speaks before the prompt: a blocked mutation is never offered.
    if let Err(blocked) = readonly.check(&mutation) {
        let _ = audit.append(&AuditEntry::new(&mutation, format!("blocked: {blocked}")));
        bail!(blocked);
    }
    print_clean(&format!("{mutation}"));
    if !request.yes && !confirm("redeploy")? {
        let _ = audit.append(&AuditEntry::new(&mutation, "cancelled"));
        bail!("not confirmed; nothing was sent");
    }
    let done = redeploy::execute(&live.connection.client, &readonly, &audit, &mutation).await?;
    print_clean(&done);
    follow(live, &service.key, request.strategy).await
}

/// Prints progress until the restart rolled out or the sync finished.
async fn follow(live: &Live, key: &ServiceKey, strategy: Strategy) -> Result<()> {
    if strategy == Strategy::Refresh {
        return Ok(());
    }
    let mut changed = live.changed.clone();
    let deadline = tokio::time::Instant::now() + FOLLOW_FOR;
    let started = jiff::Timestamp::now();
    let mut last = String::new();
    loop {
        let all = services(&live.caches.snapshot());
        let Some(service) = all.iter().find(|s| s.key == *key) else { bail!("service {key} disappeared") };
        let (line, finished) = progress(service, strategy, started);
        if line != last {
            print_clean(&line);
            last = line;
        }
        match finished {
            Some(Ok(())) => return Ok(()),
            Some(Err(message)) => bail!(message),
            None => {}
        }
        if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
            bail!("still not finished after {FOLLOW_FOR:?}: {last}");
        }
    }
}

/// Objects created from this moment on count as the redeploy's (a little before the request, for clock
/// granularity).
fn after_request(started: jiff::Timestamp) -> jiff::Timestamp {
    started.checked_sub(jiff::SignedDuration::from_secs(2)).unwrap_or(started)
}

type Outcome = Option<std::result::Result<(), String>>;

/// One progress line and, when done, the outcome.
fn progress(service: &ServiceView, strategy: Strategy, started: jiff::Timestamp) -> (String, Outcome) {
    match strategy {
        Strategy::Restart => restart_progress(service, after_request(started)),
        Strategy::Sync | Strategy::Refresh => sync_progress(service, after_request(started)),
    }
}

/// Done when every deployment rolled out and as many ready pods as desired were created since.
fn restart_progress(service: &ServiceView, since: jiff::Timestamp) -> (String, Outcome) {
    let line = service
        .deployments
        .iter()
        .map(|d| {
            format!(
                "deployment/{}: {} ({}/{} updated, {} available)",
                d.name, d.rollout_message, d.updated, d.desired, d.available
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    if let Some(d) = service.deployments.iter().find(|d| d.rollout == RolloutState::Stalled) {
        return (line, Some(Err(format!("deployment/{} rollout stalled: {}", d.name, d.rollout_message))));
    }
    let rolled_out =
        service.deployments.iter().all(|d| d.rollout == RolloutState::Complete && d.updated == d.desired);
    let desired: u32 = service.deployments.iter().map(|d| d.desired).sum();
    let fresh_ready =
        service.pods.iter().filter(|p| p.ready && p.created.is_some_and(|c| c >= since)).count();
    let done = rolled_out && fresh_ready >= desired as usize;
    (line, done.then_some(Ok(())))
}

/// Done when an operation started since the request has finished.
fn sync_progress(service: &ServiceView, since: jiff::Timestamp) -> (String, Outcome) {
    let Some(app) = &service.app else {
        return ("no application".into(), Some(Err("no application".into())));
    };
    let op = app.last_operation.as_ref();
    let phase = op.map_or("", |o| o.phase.as_str());
    let message = op.map_or("", |o| o.message.as_str());
    let line = format!(
        "application/{}: operation {} — {message}; sync {}, health {}",
        app.name,
        if phase.is_empty() { "pending" } else { phase },
        sync_name(app.sync),
        health_name(app.health)
    );
    let fresh = op.and_then(|o| o.started_at).is_some_and(|t| t >= since);
    let outcome = match (app.operation_pending, fresh, phase) {
        (false, true, "Succeeded") if app.health == HealthStatus::Degraded => {
            Some(Err(format!("synced, but {} is Degraded: {}", app.name, app.health_message)))
        }
        (false, true, "Succeeded") => Some(Ok(())),
        (false, true, "Failed" | "Error") => Some(Err(format!("sync failed: {message}"))),
        _ => None,
    };
    (line, outcome)
}
