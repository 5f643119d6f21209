//! Benchmarks of the log path (issue 4's budgets, as far as it is built): lines ingested into the
//! bounded ring, parsed and filtered (level and regex) for the view, the log view's frame cost, and the ring's memory
//! at 50,000 lines.

// Benchmark set-up failing is a bug in the benchmark: panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use platdeck::platform::ServiceKey;
use platdeck::platform::logfilter::LogFilter;
use platdeck::platform::logline::parse;
use platdeck::sources::log_buffer::{LogBuffer, LogEntry};
use platdeck::tui::keymap::Keymap;
use platdeck::tui::logs::LogsPane;
use platdeck::tui::render::render;
use platdeck::tui::state::State;
use platdeck::tui::theme::Theme;

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
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        group.bench_with_input(BenchmarkId::new("filtered_frame_200x60_ring", ring), &ring, |b, _| {
            b.iter(|| {
                terminal.draw(|f| render(&state, &theme, f)).unwrap();
            })
        });
    }
    group.finish();

    let before = rss_mb();
    let buffer = LogBuffer::new(50_000);
    for e in entries(50_000) {
        buffer.insert(e);
    }
    println!("log ring with {} lines: +{:.1} MB resident", buffer.len(), rss_mb() - before);
}

criterion_group!(logs, ingest);
criterion_main!(logs);
