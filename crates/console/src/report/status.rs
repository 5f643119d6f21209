//! `platdeck status`: the same model the dashboard shows, printed once.

use std::fmt::Write;

use jiff::Timestamp;
use serde_json::{Value, json};

use platdeck_core::platform::attention::Urgency;
use platdeck_core::platform::overview::Overview;
use platdeck_core::platform::project::{health_name as health, sync_name as sync};
use platdeck_core::platform::services::ServiceView;
use platdeck_core::platform::{Snapshot, SourceHealth};

fn health_text(h: &SourceHealth, now: Timestamp) -> String {
    match h {
        SourceHealth::Connecting => "connecting".into(),
        SourceHealth::Connected => "connected".into(),
        SourceHealth::Stale { since, error } => {
            format!("stale for {}s ({error})", (now.as_second() - since.as_second()).max(0))
        }
        SourceHealth::Forbidden { message } => format!("forbidden ({message})"),
        SourceHealth::NotInstalled => "not installed".into(),
        SourceHealth::Error { message } => format!("error ({message})"),
    }
}

fn urgency(u: Urgency) -> &'static str {
    match u {
        Urgency::Critical => "critical",
        Urgency::Warning => "warning",
        Urgency::Notice => "notice",
    }
}

pub fn to_json(
    context: &str,
    snapshot: &Snapshot,
    services: &[ServiceView],
    overview: &Overview,
    now: Timestamp,
) -> Value {
    let sources: serde_json::Map<String, Value> =
        snapshot.sources.iter().map(|(name, h)| (name.clone(), json!(health_text(h, now)))).collect();
    let attention: Vec<Value> = overview
        .needs_attention
        .iter()
        .map(|f| {
            json!({"service": f.service.to_string(), "app": f.app, "urgency": urgency(f.urgency), "score": f.score,
                "headline": f.headline, "reasons": f.reasons})
        })
        .collect();
    let apps: Vec<Value> = snapshot
        .apps
        .iter()
        .map(|a| {
            json!({"name": a.name, "namespace": a.namespace, "project": a.project, "sync": sync(a.sync),
                "health": health(a.health), "revision": a.revision, "auto_sync": a.auto_sync,
                "last_operation": a.last_operation.as_ref().map(|o| json!({"phase": o.phase, "message": o.message}))})
        })
        .collect();
    let service_rows: Vec<Value> = services
        .iter()
        .map(|s| {
            let ready = s.pods.iter().filter(|p| p.ready).count();
            let live = s.pods.iter().filter(|p| !p.terminating).count();
            json!({"service": s.key.to_string(), "app": s.app.as_ref().map(|a| a.name.clone()),
                "sync": s.app.as_ref().map(|a| sync(a.sync)), "health": s.app.as_ref().map(|a| health(a.health)),
                "pods_ready": ready, "pods": live, "policy_failures": s.results.len(), "warning_events": s.events.len()})
        })
        .collect();
    json!({
        "context": context,
        "generated_at": now.to_string(),
        "sources": sources,
        "summary": {
            "apps": overview.apps_total,
            "apps_by_sync": overview.apps_by_sync.iter().map(|(s, n)| (sync(*s).to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "apps_by_health": overview.apps_by_health.iter().map(|(h, n)| (health(*h).to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "pods": overview.pods_total,
            "pods_not_ready": overview.pods_not_ready,
            "pods_crashlooping": overview.pods_crashlooping,
            "policy_failures": overview.policy_failures,
            "warning_events_15m": overview.warning_events_15m,
        },
        "needs_attention": attention,
        "applications": apps,
        "services": service_rows,
    })
}

pub fn to_table(
    context: &str,
    snapshot: &Snapshot,
    services: &[ServiceView],
    overview: &Overview,
    now: Timestamp,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "context: {context}");
    let sources: Vec<String> =
        snapshot.sources.iter().map(|(name, h)| format!("{name} {}", health_text(h, now))).collect();
    let _ = writeln!(out, "sources: {}", sources.join(", "));
    let by_health: Vec<String> =
        overview.apps_by_health.iter().map(|(h, n)| format!("{n} {}", health(*h))).collect();
    let by_sync: Vec<String> =
        overview.apps_by_sync.iter().map(|(s, n)| format!("{n} {}", sync(*s))).collect();
    let _ = writeln!(
        out,
        "apps: {} ({}; {})  pods: {} ({} not ready, {} crash-looping)  kyverno failures: {}  warning events (15m): {}",
        overview.apps_total,
        by_sync.join(", "),
        by_health.join(", "),
        overview.pods_total,
        overview.pods_not_ready,
        overview.pods_crashlooping,
        overview.policy_failures,
        overview.warning_events_15m
    );
    let _ = writeln!(out);
    if overview.needs_attention.is_empty() {
        let _ = writeln!(out, "NEEDS ATTENTION: nothing");
    } else {
        let _ = writeln!(out, "NEEDS ATTENTION");
        for f in &overview.needs_attention {
            let _ = writeln!(out, "  [{:<8}] {}", urgency(f.urgency), f.headline);
            for r in &f.reasons {
                let _ = writeln!(out, "             - {r}");
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<44} {:<28} {:<10} {:<12} {:>6} {:>7} {:>7}",
        "SERVICE", "APP", "SYNC", "HEALTH", "READY", "POLICY", "EVENTS"
    );
    for s in services {
        let ready = s.pods.iter().filter(|p| p.ready).count();
        let live = s.pods.iter().filter(|p| !p.terminating).count();
        let _ = writeln!(
            out,
            "{:<44} {:<28} {:<10} {:<12} {:>6} {:>7} {:>7}",
            s.key.to_string(),
            s.app.as_ref().map_or("-".to_string(), |a| a.name.clone()),
            s.app.as_ref().map_or("-", |a| sync(a.sync)),
            s.app.as_ref().map_or("-", |a| health(a.health)),
            format!("{ready}/{live}"),
            s.results.len(),
            s.events.len()
        );
    }
    out
}
