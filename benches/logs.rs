//! Benchmarks of the log path (issue 4's budgets): lines ingested into the bounded ring (parsed on
//! arrival), filtered (level and regex) for the view, the log view's frame cost at 2k and 50k buffered
//! lines, the ring's heap bytes per line at 50,000 lines — and end to end against the sim's Loki
//! (in-process): lines pushed to Loki, through the websocket tail into the ring, with the view polling,
//! filtering with a regex and drawing frames as the app loop does; ingest lines/s and the on-screen lag
//! (push → first drawn frame that shows the line), as medians.

// Benchmark set-up failing is a bug in the benchmark: panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::alloc::System;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cap::Cap;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use platdeck_console::sources::log_buffer::{LogBuffer, LogEntry};
use platdeck_console::sources::loki::{Follow, LokiClientConfig};
use platdeck_console::tui::action::Action;
use platdeck_console::tui::keymap::Keymap;
use platdeck_console::tui::logs::LogsPane;
use platdeck_console::tui::render::render;
use platdeck_console::tui::state::State;
use platdeck_console::tui::theme::Theme;
use platdeck_console::tui::update::update;
use platdeck_core::platform::ServiceKey;
use platdeck_core::platform::logfilter::LogFilter;
use platdeck_core::platform::logline::parse;
use platdeck_core::platform::logwindow::LogWindow;

/// Counts live heap bytes, so the ring's memory is measured exactly rather than through RSS.
#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

fn entries(n: usize) -> Vec<LogEntry> {
    let labels = Arc::new(BTreeMap::from([
        ("namespace".to_string(), "platform-services".to_string()),
        ("pod".to_string(), "payments-api-7d9f8b6c5d-x2abc".to_string()),
    ]));
    (0..n)
        .map(|i| LogEntry {
            ts_ns: 1_767_261_600_000_000_000 + i as i64 * 1_000,
            labels: labels.clone(),
            line: format!(
                r#"{{"level":"{}","msg":"Request completed","timestamp":"2026-01-01T10:00:00Z","hostname":"payments-api-7d9f8b6c5d-x2abc","service":"payments-api","method":"GET","path":"/api/payments/{i}","status":{},"duration_ms":{}.5,"user_agent":"okhttp/4.12.0"}}"#,
                if i % 50 == 0 { "error" } else { "info" },
                if i % 50 == 0 { 502 } else { 200 },
                i % 300
            ),
        })
        .collect()
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn ingest(c: &mut Criterion) {
    let batch = entries(20_000);
    let mut group = c.benchmark_group("logs");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("ingest_20k_lines_into_the_50k_ring", |b| {
        let buffer = LogBuffer::new(50_000);
        b.iter(|| {
            for e in &batch {
                buffer.insert(e.clone());
            }
        })
    });
    let filter = LogFilter::parse("level:error ~/api/payments/\\d+").unwrap();
    group.bench_function("parse_and_filter_20k_lines", |b| {
        b.iter(|| {
            batch
                .iter()
                .map(|e| parse(e.ts_ns, "payments-api-7d9f8b6c5d-x2abc", &e.line))
                .filter(|l| filter.matches(l))
                .count()
        })
    });
    group.finish();

    // The view's frame cost with the source's ring at 2k and at 50k lines: the view holds the newest 2,000.
    let theme = Theme::new(false);
    let mut group = c.benchmark_group("logs_render");
    for ring in [2_000usize, 50_000] {
        let buffer = LogBuffer::new(50_000);
        for e in entries(ring) {
            buffer.insert(e);
        }
        let shown: Vec<_> = buffer
            .snapshot_tail(2_000)
            .iter()
            .map(|e| Arc::new(parse(e.ts_ns, "payments-api", &e.line)))
            .collect();
        let mut state =
            State::new("bench".into(), false, None, Keymap::default_map().unwrap(), jiff::Timestamp::now());
        let service = ServiceKey { namespace: "platform-services".into(), name: "payments-api".into() };
        let mut pane = LogsPane::new(service.clone(), state.log_query(&service));
        pane.lines = shown;
        state.logs = Some(pane);
        state.scope.filter = "error".into();
        // The visible lines are derived when lines or filter change (as `update` does), not per frame.
        state.refresh();
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        group.bench_with_input(BenchmarkId::new("filtered_frame_200x60_ring", ring), &ring, |b, _| {
            b.iter(|| {
                terminal.draw(|f| render(&state, &theme, f)).unwrap();
            })
        });
    }
    group.finish();

    let before_rss = rss_mb();
    let before = ALLOC.allocated() as isize;
    let buffer = LogBuffer::new(50_000);
    for e in entries(50_000) {
        buffer.insert(e);
    }
    let heap = ALLOC.allocated() as isize - before;
    println!(
        "log ring with {} lines: {:.1} MB heap, {} bytes per line (+{:.1} MB resident)",
        buffer.len(),
        heap as f64 / 1e6,
        heap / buffer.len() as isize,
        rss_mb() - before_rss
    );
}

fn median(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[0], samples[samples.len() - 1])
}

/// A seed-format request line; every 50th an error on `/api/payments/<n>` (what the regex filter keeps).
fn seed_line(i: usize, msg: &str) -> String {
    let error = i.is_multiple_of(50);
    format!(
        r#"{{"level":"{}","msg":"{msg}","service":"payments-api","method":"GET","path":"/api/payments/{i}","status":{},"duration_ms":{}.5}}"#,
        if error { "error" } else { "info" },
        if error { 502 } else { 200 },
        i % 300
    )
}

async fn push(client: &reqwest::Client, loki: &str, job: &str, lines: &[String]) {
    let base = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64;
    let values: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| serde_json::json!([(base + i as i64).to_string(), l]))
        .collect();
    let body =
        serde_json::json!({"streams": [{"stream": {"job": job, "pod": "payments-api-0"}, "values": values}]});
    let response = client.post(format!("{loki}/loki/api/v1/push")).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "push: {}", response.status());
}

/// The app loop's log path, reduced to what costs: every frame (33 ms), when the ring changed, take the
/// newest lines, hand them to `update`, and draw the filtered view. Returns when `stop` is set.
async fn ui_loop(
    buffer: Arc<LogBuffer>,
    marker: Arc<std::sync::Mutex<Option<(String, Instant)>>>,
    lags: Arc<std::sync::Mutex<Vec<f64>>>,
    stop: Arc<AtomicBool>,
) {
    let theme = Theme::new(false);
    let mut state =
        State::new("bench".into(), false, None, Keymap::default_map().unwrap(), jiff::Timestamp::now());
    let service = ServiceKey { namespace: "platform-services".into(), name: "payments-api".into() };
    state.logs = Some(LogsPane::new(service.clone(), state.log_query(&service)));
    state.scope.filter = "level:error ~/api/payments/\\d+".into();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut changed = buffer.subscribe();
    let mut frame = tokio::time::interval(Duration::from_millis(33));
    while !stop.load(Ordering::Relaxed) {
        frame.tick().await;
        if !changed.has_changed().unwrap_or(false) {
            continue;
        }
        changed.borrow_and_update();
        let lines = buffer.lines_tail(2_000);
        update(
            &mut state,
            Action::Logs { lines, dropped_overflow: 0, dropped_upstream: 0, status: "live".into() },
        );
        terminal.draw(|f| render(&state, &theme, f)).unwrap();
        let mut waiting = marker.lock().unwrap();
        if let Some((text, pushed)) = waiting.as_ref() {
            let shown = terminal.backend().buffer().content.iter().map(|c| c.symbol()).collect::<String>();
            if shown.contains(text.as_str()) {
                lags.lock().unwrap().push(pushed.elapsed().as_secs_f64() * 1000.0);
                *waiting = None;
            }
        }
    }
}

fn end_to_end(_c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let sim = platdeck_sim::start(platdeck_sim::SimOptions::default()).await.unwrap();
        let loki = sim.endpoints.loki.clone();
        let client = reqwest::Client::new();
        const LINES: usize = 20_000;
        const BATCH: usize = 1_000;
        let mut rates = Vec::new();
        let mut lags_all = Vec::new();
        for run in 0..5 {
            let job = format!("bench-{run}");
            let buffer = Arc::new(LogBuffer::new(50_000));
            let config = LokiClientConfig { url: loki.clone(), ..LokiClientConfig::default() };
            let follow = Follow::start(
                config,
                format!(r#"{{job="{job}"}}"#),
                LogWindow::LastLines,
                buffer.clone(),
                tokio_util::sync::CancellationToken::new(),
            )
            .await
            .unwrap();
            // One line through first, so the follow is connected before the clock starts.
            push(&client, &loki, &job, &[seed_line(1, "warmup")]).await;
            while buffer.is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let marker = Arc::new(std::sync::Mutex::new(None));
            let lags = Arc::new(std::sync::Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let ui = tokio::spawn(ui_loop(buffer.clone(), marker.clone(), lags.clone(), stop.clone()));

            let lines: Vec<String> = (0..LINES).map(|i| seed_line(i, "Request completed")).collect();
            let start = Instant::now();
            let before = buffer.len();
            for chunk in lines.chunks(BATCH) {
                push(&client, &loki, &job, chunk).await;
            }
            while buffer.len() < before + LINES && start.elapsed() < Duration::from_secs(60) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let elapsed = start.elapsed().as_secs_f64();
            assert!(
                buffer.len() >= before + LINES,
                "only {} of {LINES} lines arrived",
                buffer.len() - before
            );
            rates.push(LINES as f64 / elapsed);

            // On-screen lag: one marker line at a time, pushed while nothing else is, until drawn.
            for i in 0..10 {
                let text = format!("lag-marker-{run}-{i}");
                *marker.lock().unwrap() = Some((text.clone(), Instant::now()));
                push(&client, &loki, &job, &[seed_line(0, &text)]).await;
                let deadline = Instant::now() + Duration::from_secs(10);
                while marker.lock().unwrap().is_some() && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                assert!(marker.lock().unwrap().is_none(), "{text} never reached the screen");
            }
            stop.store(true, Ordering::Relaxed);
            ui.await.unwrap();
            lags_all.extend(lags.lock().unwrap().iter().copied());
            follow.stop().await;
        }
        let (rate, rate_min, rate_max) = median(rates);
        let (lag, lag_min, lag_max) = median(lags_all.clone());
        println!(
            "end to end (sim Loki → ws tail → ring → regex-filtered view): ingest median {rate:.0} lines/s \
             (min {rate_min:.0}, max {rate_max:.0}, 5 runs of {LINES}); on-screen lag median {lag:.0} ms \
             (min {lag_min:.0}, max {lag_max:.0}, {} samples)",
            lags_all.len()
        );
        sim.shutdown().await;
    });
}

criterion_group!(logs, ingest, end_to_end);
criterion_main!(logs);
