//! Read-only mode: no mutating request reaches the cluster — the guard speaks first.

use std::sync::atomic::Ordering;
use std::time::Duration;

use platdeck_console::actions::audit::AuditLog;
use platdeck_console::actions::guard::{Blocked, ReadOnly};
use platdeck_console::actions::redeploy::{RedeployError, execute};
use platdeck_console::actions::{Mutation, Strategy};
use platdeck_core::platform::ServiceKey;
use platdeck_sim::resources::{APPLICATIONS, DEPLOYMENTS};
use platdeck_sim::world::meta_str;

use super::harness::{start_sim, wait_for};

fn mutation(strategy: Strategy) -> Mutation {
    Mutation {
        strategy,
        context: "platdeck-sim".into(),
        service: ServiceKey { namespace: "platform-services".into(), name: "orders-api".into() },
        deployments: vec!["orders-api".into()],
        app: Some(("argocd".into(), "orders-api".into())),
    }
}

#[tokio::test]
async fn readonly_sends_no_mutating_request_and_audits_the_block() {
    let sim = start_sim("").await;
    let client =
        kube::Client::try_from(kube::Config::new(sim.endpoints.kubernetes.parse().unwrap())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let before_deploy = sim.state.world.get(&DEPLOYMENTS, "platform-services", "orders-api").unwrap();
    let before_app = sim.state.world.get(&APPLICATIONS, "argocd", "orders-api").unwrap();

    for (guard, expect) in [
        (ReadOnly { flag: true, contexts: vec![] }, "flag"),
        (ReadOnly { flag: false, contexts: vec!["platdeck-*".into()] }, "context"),
    ] {
        for strategy in [Strategy::Restart, Strategy::Sync, Strategy::Refresh] {
            let err = execute(&client, &guard, &audit, &mutation(strategy)).await.unwrap_err();
            match (expect, err) {
                ("flag", RedeployError::Blocked(Blocked::ReadonlyFlag(_))) => {}
                ("context", RedeployError::Blocked(Blocked::ReadonlyContext { .. })) => {}
                (_, other) => panic!("expected a read-only block, got {other}"),
            }
        }
    }
    assert_eq!(
        sim.state.mutating_requests.load(Ordering::Relaxed),
        0,
        "no mutating request may reach the cluster"
    );
    let after_deploy = sim.state.world.get(&DEPLOYMENTS, "platform-services", "orders-api").unwrap();
    let after_app = sim.state.world.get(&APPLICATIONS, "argocd", "orders-api").unwrap();
    assert_eq!(meta_str(&after_deploy, "resourceVersion"), meta_str(&before_deploy, "resourceVersion"));
    assert_eq!(after_app.get("operation"), before_app.get("operation"));
    let audit_text = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(audit_text.lines().count(), 6);
    assert!(audit_text.lines().all(|l| l.contains("\"result\":\"blocked: read-only")), "{audit_text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn without_readonly_the_same_mutations_reach_the_cluster() {
    let sim = start_sim("").await;
    let client =
        kube::Client::try_from(kube::Config::new(sim.endpoints.kubernetes.parse().unwrap())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::new(dir.path().join("audit.jsonl"));
    let open = ReadOnly::default();
    let before = sim.state.world.get(&DEPLOYMENTS, "platform-services", "orders-api").unwrap();
    execute(&client, &open, &audit, &mutation(Strategy::Restart)).await.unwrap();
    let after = sim.state.world.get(&DEPLOYMENTS, "platform-services", "orders-api").unwrap();
    assert!(
        after["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_string()
    );
    assert_ne!(after["metadata"]["generation"], before["metadata"]["generation"]);
    execute(&client, &open, &audit, &mutation(Strategy::Sync)).await.unwrap();
    let phase = wait_for("the sync to finish", Duration::from_secs(20), || async {
        let app = sim.state.world.get(&APPLICATIONS, "argocd", "orders-api")?;
        let phase = app.pointer("/status/operationState/phase")?.as_str()?.to_string();
        (app.get("operation").is_none() && phase != "Running").then_some(phase)
    })
    .await;
    assert_eq!(phase, "Succeeded");
    execute(&client, &open, &audit, &mutation(Strategy::Refresh)).await.unwrap();
    assert!(sim.state.mutating_requests.load(Ordering::Relaxed) >= 3);
    let entries = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(entries.lines().filter(|l| l.contains("\"result\":\"ok\"")).count(), 3);
    sim.shutdown().await;
}
