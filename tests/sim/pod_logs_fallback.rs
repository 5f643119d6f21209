//! The log view's fallback: with Loki unreachable, the console follows the service's pods through the
//! Kubernetes pod log API (like stern) — every line labelled with its pod, pods that appear later (a
//! rollout restart) followed too, and the view's status says where the lines come from.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use tokio_util::sync::CancellationToken;

use platdeck_console::sources::loki::LokiClientConfig;
use platdeck_console::sources::pod_logs::PodLogTarget;
use platdeck_console::tui::action::Action;
use platdeck_console::tui::log_source::{LogRequest, LogSource};
use platdeck_core::platform::logwindow::LogWindow;

use super::harness::{start_sim, wait_for};

const SERVICE: &str = "orders-api";
const NAMESPACE: &str = "platform-services";

/// The pods the source's lines came from, and its status.
fn pods_and_status(source: &mut LogSource) -> (BTreeSet<String>, String) {
    let Action::Logs { lines, status, .. } = source.poll() else {
        panic!("a log source answers Action::Logs")
    };
    (lines.iter().map(|l| l.pod.clone()).collect(), status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_loki_falls_back_to_pod_logs_and_follows_new_pods() {
    let sim = start_sim("").await;
    let client =
        kube::Client::try_from(kube::Config::new(sim.endpoints.kubernetes.parse().unwrap())).unwrap();
    // Nothing listens on port 9 of loopback: Loki's first backfill cannot connect.
    let dead_loki = LokiClientConfig { url: "http://127.0.0.1:9".into(), ..LokiClientConfig::default() };
    let request = LogRequest {
        query: format!(r#"{{namespace="{NAMESPACE}", app_kubernetes_io_name="{SERVICE}"}}"#),
        window: LogWindow::LastLines,
        pods: PodLogTarget { namespace: NAMESPACE.into(), app: SERVICE.into() },
    };
    let mut source =
        LogSource::open(Some(dead_loki), client.clone(), request, CancellationToken::new()).await;

    let first_pods = wait_for("lines from the service's pods", Duration::from_secs(30), || {
        let (pods, status) = pods_and_status(&mut source);
        let ready = !pods.is_empty() && status.starts_with("pod logs (Loki unreachable: ");
        async move { ready.then_some(pods) }
    })
    .await;
    assert!(
        first_pods.iter().all(|p| p.starts_with(&format!("{SERVICE}-"))),
        "only the service's pods: {first_pods:?}"
    );
    let lines = source.buffer().all();
    assert!(lines.iter().all(|e| e.labels.get("pod").is_some_and(|p| p.starts_with(SERVICE))));
    assert!(lines.iter().all(|e| e.labels.get("namespace").map(String::as_str) == Some(NAMESPACE)));
    let unique: BTreeSet<_> =
        lines.iter().map(|e| (e.ts_ns, e.labels.get("pod").cloned(), e.line.clone())).collect();
    assert_eq!(unique.len(), lines.len(), "no line twice");

    // A rollout restart through the API replaces the pods: the new ones are followed as they start.
    Api::<Deployment>::namespaced(client, NAMESPACE).restart(SERVICE).await.unwrap();
    let all_pods = wait_for("lines from a pod created by the rollout", Duration::from_secs(60), || {
        let (pods, _) = pods_and_status(&mut source);
        let fresh = pods.iter().any(|p| !first_pods.contains(p));
        async move { fresh.then_some(pods) }
    })
    .await;
    assert!(all_pods.len() > first_pods.len(), "{first_pods:?} then {all_pods:?}");
    let lines = source.buffer().all();
    let unique: BTreeSet<_> =
        lines.iter().map(|e| (e.ts_ns, e.labels.get("pod").cloned(), e.line.clone())).collect();
    assert_eq!(unique.len(), lines.len(), "no line twice across pods joining and leaving");
    assert!(lines.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns), "one ordered timeline");

    source.stop().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_loki_configured_goes_straight_to_pod_logs() {
    let sim = start_sim("").await;
    let client =
        kube::Client::try_from(kube::Config::new(sim.endpoints.kubernetes.parse().unwrap())).unwrap();
    let request = LogRequest {
        query: String::new(),
        window: LogWindow::Minutes5,
        pods: PodLogTarget { namespace: NAMESPACE.into(), app: SERVICE.into() },
    };
    let mut source = LogSource::open(None, client, request, CancellationToken::new()).await;
    let status = wait_for("pod lines", Duration::from_secs(30), || {
        let (pods, status) = pods_and_status(&mut source);
        async move { (!pods.is_empty()).then_some(status) }
    })
    .await;
    assert!(status.starts_with("pod logs (Loki unreachable: loki.url is not set)"), "{status}");
    source.stop().await;
    sim.shutdown().await;
}
