//! The kube-rs watcher, as the console uses it, converges on the sim's state through dropped watches,
//! 410 Expired and 5xx errors injected with `--faults`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, Client};
use serde_json::json;

use platdeck_sim::resources::{DEPLOYMENTS, PODS};
use platdeck_sim::world::meta_str;

use super::harness::{start_sim, wait_for};

fn client(url: &str) -> Client {
    let config = kube::Config::new(url.parse().expect("sim URL"));
    Client::try_from(config).expect("kube client")
}

/// name → resourceVersion of every pod, as the sim holds them.
fn sim_pods(sim: &platdeck_sim::SimServer) -> BTreeMap<String, String> {
    sim.state
        .world
        .list(&PODS, None)
        .1
        .iter()
        .map(|p| {
            (
                format!("{}/{}", meta_str(p, "namespace"), meta_str(p, "name")),
                meta_str(p, "resourceVersion").to_string(),
            )
        })
        .collect()
}

fn store_pods(store: &reflector::Store<Pod>) -> BTreeMap<String, String> {
    store
        .state()
        .iter()
        .map(|p| {
            let m = &p.metadata;
            (
                format!("{}/{}", m.namespace.clone().unwrap_or_default(), m.name.clone().unwrap_or_default()),
                m.resource_version.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn restart(sim: &platdeck_sim::SimServer, name: &str, stamp: u32) {
    sim.state
        .world
        .modify(&DEPLOYMENTS, "platform-services", name, |d| {
            d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] =
                json!(format!("t{stamp}"));
            Ok(())
        })
        .expect("restart");
}

async fn converges_under(faults: &str) -> platdeck_sim::faults::FaultCounts {
    let sim = start_sim(faults).await;
    let api: Api<Pod> = Api::all(client(&sim.endpoints.kubernetes));
    let (store, writer) = reflector::store();
    let stream =
        reflector(writer, watcher(api, watcher::Config::default()).default_backoff()).applied_objects();
    let driver = tokio::spawn(stream.for_each(|_| async {}));

    // Churn while the faults bite: rollouts replace every pod of three services, twice.
    for round in 0..2u32 {
        for name in ["orders-api", "catalog-api", "users-api"] {
            restart(&sim, name, round);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    // Converged: the store holds exactly the sim's pods at their current resourceVersions, once the sim is at rest.
    wait_for("the reflector to converge on the sim's pods", Duration::from_secs(90), || async {
        let want = sim_pods(&sim);
        let rolled_out = sim.state.world.list(&DEPLOYMENTS, Some("platform-services")).1.iter().all(|d| {
            d["status"]["updatedReplicas"] == d["spec"]["replicas"]
                && d["status"]["replicas"] == d["spec"]["replicas"]
        });
        (rolled_out && store_pods(&store) == want).then_some(())
    })
    .await;
    driver.abort();
    let counts = sim.state.faults.counts();
    sim.shutdown().await;
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_converges_through_dropped_watches_and_expired_versions() {
    let bit = converges_under("watch-drop=0.3,watch-drop-after=7,expire=0.4,seed=11").await;
    assert!(bit.watch_drops > 0 && bit.expired > 0, "the faults must have bitten: {bit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_converges_through_server_errors_and_latency() {
    let bit = converges_under("error-rate=0.3,latency=1ms..30ms,watch-drop=0.2,seed=5").await;
    assert!(bit.errors > 0 && bit.watch_drops > 0, "the faults must have bitten: {bit:?}");
}
