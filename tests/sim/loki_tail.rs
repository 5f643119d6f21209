//! The console's Loki follow (backfill + websocket tail) against the sim's Loki with forced websocket drops:
//! every line arrives exactly once, in order.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use platdeck_console::sources::log_buffer::LogBuffer;
use platdeck_console::sources::loki::{Follow, LokiClientConfig};
use platdeck_core::platform::logwindow::LogWindow;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::harness::{start_sim, wait_for};

const MIN_LINES: usize = 1000;
const MIN_DROPS: u64 = 100;
const MAX_LINES: usize = 19_000;
const BATCH: usize = 10;

async fn push(client: &reqwest::Client, loki: &str, base_ns: i64, from: usize, to: usize) {
    let values: Vec<_> = (from..to)
        .map(|i| json!([(base_ns + i64::try_from(i).unwrap() * 1000).to_string(), format!("line-{i:05}")]))
        .collect();
    let body = json!({"streams": [{"stream": {"job": "tailtest", "namespace": "t"}, "values": values}]});
    let response = client.post(format!("{loki}/loki/api/v1/push")).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "push failed: {}", response.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follow_delivers_every_line_once_in_order_across_forced_ws_drops() {
    let sim = start_sim("ws-drop-after=3,seed=1").await;
    let loki = sim.endpoints.loki.clone();
    let client = reqwest::Client::new();
    let base_ns = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()).unwrap();

    let buffer = Arc::new(LogBuffer::default());
    let token = CancellationToken::new();
    let config = LokiClientConfig { url: loki.clone(), ..LokiClientConfig::default() };
    let follow = Follow::start(
        config,
        r#"{job="tailtest"}"#.to_string(),
        LogWindow::LastLines,
        buffer.clone(),
        token.clone(),
    )
    .await
    .unwrap();

    // Push until at least 1000 lines are in and the sim has dropped the tail at least 100 times.
    let mut pushed = 0;
    while pushed < MIN_LINES || sim.state.faults.counts().ws_drops < MIN_DROPS {
        assert!(
            pushed < MAX_LINES,
            "only {} ws drops after {pushed} lines",
            sim.state.faults.counts().ws_drops
        );
        push(&client, &loki, base_ns, pushed, pushed + BATCH).await;
        pushed += BATCH;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }

    let b = buffer.clone();
    wait_for("every pushed line in the buffer", Duration::from_secs(20), || {
        let b = b.clone();
        async move { (b.len() >= pushed).then_some(()) }
    })
    .await;
    let entries = buffer.all();
    assert_eq!(entries.len(), pushed, "exactly the pushed lines");
    let lines: Vec<&str> = entries.iter().map(|e| e.line.as_str()).collect();
    let expected: Vec<String> = (0..pushed).map(|i| format!("line-{i:05}")).collect();
    assert!(lines.iter().copied().eq(expected.iter().map(String::as_str)), "lines out of order or missing");
    let unique: HashSet<(i64, &str)> = entries.iter().map(|e| (e.ts_ns, e.line.as_str())).collect();
    assert_eq!(unique.len(), pushed, "no duplicates");
    assert!(entries.windows(2).all(|w| w[0].ts_ns < w[1].ts_ns));
    assert_eq!(entries[0].labels.get("job").map(String::as_str), Some("tailtest"));
    assert_eq!(buffer.dropped_overflow(), 0);
    let drops = sim.state.faults.counts().ws_drops;
    assert!(drops >= MIN_DROPS, "only {drops} forced websocket drops");

    follow.stop().await;
    sim.shutdown().await;
}

/// A time window larger than one `query_range` answer (Loki caps each at 5,000) is paged newest first
/// until the window is covered: every line of the window arrives once, in order, and nothing older.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_backfill_pages_past_lokis_limit() {
    let sim = start_sim("").await;
    let loki = sim.endpoints.loki.clone();
    let client = reqwest::Client::new();
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()).unwrap();
    // 12,000 lines over the last four minutes, and some from ten minutes ago that a 5m window leaves out.
    let old = now - 600 * 1_000_000_000;
    push(&client, &loki, old, 0, 100).await;
    let recent = now - 240 * 1_000_000_000;
    for from in (100..12_100).step_by(2_000) {
        let values: Vec<_> = (from..from + 2_000)
            .map(|i| json!([(recent + i64::from(i) * 10_000_000).to_string(), format!("line-{i:05}")]))
            .collect();
        let body = json!({"streams": [{"stream": {"job": "tailtest", "namespace": "t"}, "values": values}]});
        let response = client.post(format!("{loki}/loki/api/v1/push")).json(&body).send().await.unwrap();
        assert!(response.status().is_success());
    }

    let buffer = Arc::new(LogBuffer::default());
    let config = LokiClientConfig { url: loki.clone(), ..LokiClientConfig::default() };
    let follow = Follow::start(
        config,
        r#"{job="tailtest"}"#.to_string(),
        LogWindow::Minutes5,
        buffer.clone(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let b = buffer.clone();
    wait_for("the window's 12,000 lines", Duration::from_secs(30), || {
        let b = b.clone();
        async move { (b.len() >= 12_000).then_some(()) }
    })
    .await;
    let lines: Vec<String> = buffer.all().into_iter().map(|e| e.line).collect();
    let expected: Vec<String> = (100..12_100).map(|i| format!("line-{i:05}")).collect();
    assert_eq!(lines, expected, "every line of the window once, in order, none older");
    follow.stop().await;
    sim.shutdown().await;
}

/// Loki's verdict on an edited query: a LogQL syntax error comes back as Loki's own message (not as
/// "unreachable"), a good query passes, and a dead Loki is told apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_checked_with_loki() {
    use platdeck_console::sources::loki::check_query;
    let sim = start_sim("").await;
    let config = LokiClientConfig { url: sim.endpoints.loki.clone(), ..LokiClientConfig::default() };
    check_query(&config, r#"{namespace="platform-services"} |= "error""#).await.unwrap();
    let err = check_query(&config, r#"{namespace="platform-services""#).await.unwrap_err();
    assert!(!err.is_unreachable(), "{err}");
    assert!(err.to_string().contains("400"), "{err}");
    let dead = LokiClientConfig { url: "http://127.0.0.1:9".into(), ..LokiClientConfig::default() };
    assert!(check_query(&dead, "{a=\"b\"}").await.unwrap_err().is_unreachable());
    sim.shutdown().await;
}
