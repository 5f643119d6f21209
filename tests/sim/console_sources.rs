//! The console's own sources (kube-rs watchers projected into caches) against the sim: they converge
//! through injected faults, and a forbidden resource shows as forbidden — not as empty.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use platdeck_console::sources::cache::Caches;
use platdeck_console::tui::keymap::Keymap;
use platdeck_console::tui::state::{State, View};
use platdeck_core::platform::SourceHealth;
use platdeck_sim::SimServer;
use platdeck_sim::resources::{DEPLOYMENTS, PODS};
use platdeck_sim::world::meta_str;

use super::harness::{console_caches, start_sim, wait_for};

/// pod name → (status, ready) as the sim holds it, in the console's words.
fn sim_pods(sim: &SimServer) -> BTreeMap<String, (String, bool)> {
    sim.state
        .world
        .list(&PODS, None)
        .1
        .iter()
        .map(|p| {
            let info = platdeck_core::platform::project::pod_info(p);
            (format!("{}/{}", meta_str(p, "namespace"), meta_str(p, "name")), (info.status, info.ready))
        })
        .collect()
}

fn cached_pods(caches: &Caches) -> BTreeMap<String, (String, bool)> {
    caches
        .snapshot()
        .pods
        .iter()
        .map(|p| (format!("{}/{}", p.namespace, p.name), (p.status.clone(), p.ready)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caches_converge_through_faults() {
    let sim =
        start_sim("watch-drop=0.3,watch-drop-after=9,expire=0.3,error-rate=0.2,latency=1ms..20ms,seed=3")
            .await;
    let (caches, token) = console_caches(&sim);
    for round in 0..2 {
        for name in ["orders-api", "payments-api"] {
            sim.state
                .world
                .modify(&DEPLOYMENTS, "platform-services", name, |d| {
                    d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] =
                        json!(format!("r{round}"));
                    Ok(())
                })
                .unwrap();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    wait_for("the console's caches to match the sim", Duration::from_secs(90), || async {
        let settled = sim.state.world.list(&DEPLOYMENTS, None).1.iter().all(|d| {
            d["status"]["updatedReplicas"] == d["spec"]["replicas"]
                && d["status"]["replicas"] == d["spec"]["replicas"]
        });
        (settled && cached_pods(&caches) == sim_pods(&sim)).then_some(())
    })
    .await;
    let counts = sim.state.faults.counts();
    assert!(counts.watch_drops > 0 && counts.errors > 0, "faults must have bitten: {counts:?}");
    let snapshot = caches.snapshot();
    assert_eq!(snapshot.apps.len(), 10);
    assert!(
        snapshot
            .sources
            .iter()
            .all(|(_, h)| matches!(h, SourceHealth::Connected | SourceHealth::Stale { .. }))
    );
    token.cancel();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_resource_shows_as_forbidden_not_empty() {
    let sim = start_sim("forbid=policyreports").await;
    let (caches, token) = console_caches(&sim);
    let health = wait_for("policyreports to be reported forbidden", Duration::from_secs(20), || async {
        match caches.health("policyreports") {
            Some(h @ SourceHealth::Forbidden { .. }) => Some(h),
            _ => None,
        }
    })
    .await;
    let SourceHealth::Forbidden { message } = health else { unreachable!() };
    assert!(message.contains("forbidden"), "{message}");
    wait_for("the other sources to connect", Duration::from_secs(20), || async {
        (caches.health("pods") == Some(SourceHealth::Connected)).then_some(())
    })
    .await;

    // On screen: the Policies view and the header say forbidden.
    let mut state = State::new(
        "platdeck-sim".into(),
        false,
        None,
        Keymap::default_map().unwrap(),
        jiff::Timestamp::now(),
    );
    state.set_snapshot(Arc::new(caches.snapshot()));
    state.view = View::Policies;
    let theme = platdeck_console::tui::theme::Theme::new(false);
    let mut terminal = Terminal::new(TestBackend::new(160, 40)).unwrap();
    terminal.draw(|f| platdeck_console::tui::render::render(&state, &theme, f)).unwrap();
    let text: String = terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("forbidden"), "the screen must say forbidden:\n{text}");
    token.cancel();
    sim.shutdown().await;
}
