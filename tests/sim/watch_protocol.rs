//! The watch stream's wire behaviour: 410 as an ERROR event, bookmarks, timeouts, streaming lists.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use super::harness::{start_sim, wait_for};

/// Reads newline-delimited watch events until `stop` says so or the stream ends.
async fn read_events(url: &str, mut stop: impl FnMut(&[Value]) -> bool) -> Vec<Value> {
    let resp = reqwest::get(url).await.expect("watch request");
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut buf = Vec::new();
    let mut events = Vec::new();
    let read = async {
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else { break };
            buf.extend_from_slice(&chunk);
            while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=pos).collect();
                events.push(serde_json::from_slice::<Value>(&line).expect("each line is a JSON event"));
                if stop(&events) {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read).await.expect("watch delivered in time");
    events
}

#[tokio::test]
async fn too_old_resource_versions_get_an_expired_error_event() {
    let sim = start_sim("").await;
    sim.state.world.compact();
    let url = format!(
        "{}/api/v1/namespaces/platform-services/pods?watch=true&resourceVersion=2",
        sim.endpoints.kubernetes
    );
    let events = read_events(&url, |_| false).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["object"]["kind"], "Status");
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_watch_from_a_resource_version_sees_only_later_changes_then_times_out() {
    let sim = start_sim("").await;
    let base = &sim.endpoints.kubernetes;
    let list: Value = reqwest::get(format!("{base}/api/v1/namespaces/platform-services/pods"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rv = list["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    let victim = list["items"][0]["metadata"]["name"].as_str().unwrap().to_string();
    let url = format!(
        "{base}/api/v1/namespaces/platform-services/pods?watch=true&resourceVersion={rv}&timeoutSeconds=3"
    );
    let reader = tokio::spawn(async move { read_events(&url, |_| false).await });
    reqwest::Client::new()
        .delete(format!("{base}/api/v1/namespaces/platform-services/pods/{victim}"))
        .send()
        .await
        .unwrap();
    let events = reader.await.unwrap();
    assert!(!events.is_empty(), "the change was delivered");
    assert!(events.iter().all(|e| e["type"] != "ADDED" || e["object"]["metadata"]["name"] != victim));
    let touched = events.iter().any(|e| e["type"] == "MODIFIED" && e["object"]["metadata"]["name"] == victim);
    assert!(touched, "deleting a pod first marks it terminating: {events:?}");
    let rvs: Vec<u64> = events
        .iter()
        .filter_map(|e| e["object"]["metadata"]["resourceVersion"].as_str()?.parse().ok())
        .collect();
    assert!(rvs.windows(2).all(|w| w[0] <= w[1]), "resourceVersions never go back: {rvs:?}");
    assert!(rvs.iter().all(|r| *r > rv.parse::<u64>().unwrap()));
    sim.shutdown().await;
}

#[tokio::test]
async fn streaming_lists_end_their_initial_events_with_a_bookmark() {
    let sim = start_sim("").await;
    let base = &sim.endpoints.kubernetes;
    let count =
        sim.state.world.list(&platdeck_sim::resources::DEPLOYMENTS, Some("platform-services")).1.len();
    let url = format!(
        "{base}/apis/apps/v1/namespaces/platform-services/deployments?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
    );
    let events = read_events(&url, |evs| evs.last().is_some_and(|e| e["type"] == "BOOKMARK")).await;
    assert_eq!(events.len(), count + 1, "{events:?}");
    assert!(events[..count].iter().all(|e| e["type"] == "ADDED"));
    let end = &events[count]["object"]["metadata"];
    assert_eq!(end["annotations"]["k8s.io/initial-events-end"], "true");
    sim.shutdown().await;
}

#[tokio::test]
async fn idle_watches_get_bookmarks() {
    let sim = start_sim("").await;
    let base = &sim.endpoints.kubernetes;
    let url = format!(
        "{base}/apis/kyverno.io/v1/clusterpolicies?watch=true&resourceVersion=1&allowWatchBookmarks=true"
    );
    let _ = wait_for("the policy to be written", Duration::from_secs(5), || async {
        (sim.state.world.count(&platdeck_sim::resources::CLUSTER_POLICIES) > 0).then_some(())
    })
    .await;
    let events = read_events(&url, |evs| evs.iter().any(|e| e["type"] == "BOOKMARK")).await;
    let bookmark = events.iter().find(|e| e["type"] == "BOOKMARK").unwrap();
    assert_eq!(bookmark["object"]["kind"], "ClusterPolicy");
    let rv: u64 = bookmark["object"]["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();
    assert!(rv > 1);
    sim.shutdown().await;
}
