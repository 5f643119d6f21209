//! Benchmarks of the dashboard against DESIGN.md's budgets:
//! - first full frame: connect to a sim with 10,000 pods and 500 apps, list every source, derive the
//!   model and draw the first frame (≤ 1.0 s);
//! - one frame render with 10,000 pods in the table at 200×60 (≤ 4 ms; cost follows visible rows);
//! - watch events applied to the caches: projection + insert (≥ 100k events/s);
//! - snapshot + derivation of services/overview at 10,000 pods (what each coalesced update costs);
//! - key press to frame in the log view while its source delivers 2,000 lines/s (each turn of the loop
//!   takes the newest lines when the ring changed, then the key, then draws once).
//!
//! Idle CPU under churn and resident memory are measured on the real binary by `scripts/bench-console`.

// Benchmark set-up failing is a bug in the benchmark: panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

use platdeck_console::config::{KeyName, KeySpec};
use platdeck_console::sources::cache::{Caches, ResourceCache};
use platdeck_console::sources::kube::{WatchScope, spawn_watchers};
use platdeck_console::sources::kube_client::connect;
use platdeck_console::tui::action::Action;
use platdeck_console::tui::keymap::Keymap;
use platdeck_console::tui::render::render;
use platdeck_console::tui::state::{State, View};
use platdeck_console::tui::theme::Theme;
use platdeck_console::tui::update::update;
use platdeck_core::platform::fixtures::{fixture_dir, snapshot_from_dir};
use platdeck_core::platform::{PodInfo, Snapshot, project};
use platdeck_sim::scenario::ScenarioSource;
use platdeck_sim::{SimOptions, SimServer};

const PODS: usize = 10_000;

fn fixture_pod() -> Value {
    let list: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir("incident").join("workloads.json")).unwrap(),
    )
    .unwrap();
    list["items"].as_array().unwrap().iter().find(|i| i["kind"] == "Pod").cloned().unwrap()
}

/// A snapshot with `pods` pods spread over 500 deployments and apps, built from real fixture objects.
fn big_snapshot(pods: usize) -> Snapshot {
    let base = snapshot_from_dir(&fixture_dir("incident")).unwrap();
    let template = base.pods.iter().find(|p| p.owner.is_some()).cloned().unwrap();
    let dep_template = base.deployments[0].clone();
    let app_template = base.apps[0].clone();
    let mut snapshot = base.clone();
    snapshot.pods.clear();
    snapshot.deployments.clear();
    snapshot.apps.clear();
    for d in 0..500 {
        let name = format!("svc-{d:05}");
        let mut dep = (*dep_template).clone();
        dep.name = name.clone();
        dep.namespace = format!("scale-{:03}", d / 50);
        dep.service = Some(name.clone());
        snapshot.deployments.push(Arc::new(dep));
        let mut app = (*app_template).clone();
        app.name = name.clone();
        app.destination_namespace = format!("scale-{:03}", d / 50);
        snapshot.apps.push(Arc::new(app));
    }
    for i in 0..pods {
        let d = i % 500;
        let mut pod: PodInfo = (*template).clone();
        pod.name = format!("svc-{d:05}-7d9f8b6c5d-{i:05}");
        pod.namespace = format!("scale-{:03}", d / 50);
        pod.service = Some(format!("svc-{d:05}"));
        pod.owner = Some(format!("svc-{d:05}-7d9f8b6c5d"));
        pod.restarts = (i % 7) as u32;
        snapshot.pods.push(Arc::new(pod));
    }
    snapshot
}

fn state_with(snapshot: Snapshot) -> State {
    let now =
        platdeck_core::platform::fixtures::snapshot_time(&snapshot).unwrap_or_else(jiff::Timestamp::now);
    let mut state = State::new("bench".into(), false, None, Keymap::default_map().unwrap(), now);
    state.width = 200;
    state.height = 60;
    state.set_snapshot(Arc::new(snapshot));
    state
}

fn render_frames(c: &mut Criterion) {
    let theme = Theme::new(false);
    let mut group = c.benchmark_group("render");
    for pods in [1_000usize, PODS] {
        let mut state = state_with(big_snapshot(pods));
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        for view in [View::Workloads, View::Overview, View::Applications] {
            state.view = view;
            state.set_cursor_of(view, 250);
            group.bench_with_input(BenchmarkId::new(format!("{view:?}_200x60"), pods), &pods, |b, _| {
                b.iter(|| {
                    terminal.draw(|f| render(&state, &theme, f)).unwrap();
                })
            });
        }
    }
    // Key press to next frame: `update` for the key, then the frame the loop draws at once.
    let mut state = state_with(big_snapshot(PODS));
    state.view = View::Workloads;
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let down = Action::Key(KeySpec::plain(KeyName::Char('j')));
    let up = Action::Key(KeySpec::plain(KeyName::Char('k')));
    let mut flip = false;
    group.bench_function("key_to_frame_workloads_200x60/10000", |b| {
        b.iter(|| {
            flip = !flip;
            update(&mut state, if flip { down.clone() } else { up.clone() });
            terminal.draw(|f| render(&state, &theme, f)).unwrap();
        })
    });
    key_to_frame_under_log_flood(&mut group, &theme);
    group.finish();
}

/// Key to frame in the log view while a pod-log source fills its ring with 2,000 lines/s: a thread
/// inserts 20 seed-format lines every 10 ms, as the follower does; each iteration is one turn of the
/// loop — the newest lines when the ring changed, the key, one frame.
fn key_to_frame_under_log_flood(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    theme: &Theme,
) {
    use platdeck_console::sources::log_buffer::{DEFAULT_CAPACITY, LogBuffer, LogEntry};
    use platdeck_console::tui::log_source::LOG_LINES_SHOWN;
    use std::sync::atomic::{AtomicBool, Ordering};

    let mut state = state_with(big_snapshot(PODS));
    state.view = View::Workloads;
    update(&mut state, Action::Key(KeySpec::plain(KeyName::Char('l'))));
    assert!(state.logs.is_some(), "the log view opened");
    let buffer = Arc::new(LogBuffer::new(DEFAULT_CAPACITY));
    let mut changed = buffer.subscribe();
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let (buffer, stop) = (buffer.clone(), stop.clone());
        std::thread::spawn(move || {
            let labels = Arc::new(std::collections::BTreeMap::from([(
                "pod".to_string(),
                "svc-00000-7d9f8b6c5d-00000".to_string(),
            )]));
            let mut i: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..20 {
                    i += 1;
                    buffer.insert(LogEntry {
                        ts_ns: 1_767_261_600_000_000_000 + i * 1_000_000,
                        labels: labels.clone(),
                        line: format!(
                            r#"{{"level":"info","msg":"Request completed","method":"GET","path":"/api/{i}","status":200,"duration_ms":3}}"#
                        ),
                    });
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let up = Action::Key(KeySpec::plain(KeyName::Char('k')));
    let down = Action::Key(KeySpec::plain(KeyName::Char('j')));
    let mut flip = false;
    group.bench_function("key_to_frame_logs_2000_lines_per_s_200x60", |b| {
        b.iter(|| {
            if changed.has_changed().unwrap_or(false) {
                changed.mark_unchanged();
                let lines = buffer.lines_tail(LOG_LINES_SHOWN);
                update(
                    &mut state,
                    Action::Logs { lines, dropped_overflow: 0, dropped_upstream: 0, status: "live".into() },
                );
            }
            flip = !flip;
            update(&mut state, if flip { up.clone() } else { down.clone() });
            terminal.draw(|f| render(&state, theme, f)).unwrap();
        })
    });
    stop.store(true, Ordering::Relaxed);
    let _ = feeder.join();
}

fn apply_events(c: &mut Criterion) {
    let pod = fixture_pod();
    let events: Vec<(String, Value)> = (0..PODS)
        .map(|i| {
            let mut p = pod.clone();
            p["metadata"]["name"] = json!(format!("pod-{i}"));
            p["metadata"]["resourceVersion"] = json!(i.to_string());
            (format!("ns/pod-{i}"), p)
        })
        .collect();
    let mut group = c.benchmark_group("caches");
    group.throughput(Throughput::Elements(PODS as u64));
    group.bench_function("apply_10k_pod_watch_events", |b| {
        let cache: ResourceCache<PodInfo> = ResourceCache::default();
        b.iter(|| {
            for (key, obj) in &events {
                cache.apply(key.clone(), project::pod_info(obj));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("derive");
    let snapshot = Arc::new(big_snapshot(PODS));
    let mut state = state_with((*snapshot).clone());
    group.bench_function("snapshot_to_services_and_overview_10k_pods", |b| {
        b.iter(|| state.set_snapshot(snapshot.clone()))
    });
    group.finish();
}

fn start_sim(rt: &tokio::runtime::Runtime) -> SimServer {
    rt.block_on(platdeck_sim::start(SimOptions {
        scenario: ScenarioSource::Builtin("platform".into()),
        scale: Some("pods=10000,apps=500".parse().unwrap()),
        ..SimOptions::default()
    }))
    .expect("sim starts")
}

fn first_frame(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = start_sim(&rt);
    let dir = std::env::temp_dir().join(format!("platdeck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sim.endpoints.kubeconfig_yaml()).unwrap();
    let theme = Theme::new(false);
    let mut group = c.benchmark_group("launch");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function("first_full_frame_10k_pods_500_apps", |b| {
        b.to_async(&rt).iter(|| async {
            let connection = connect(Some(&kubeconfig), Some("platdeck-sim")).await.unwrap();
            let (caches, changed) = Caches::new();
            let token = tokio_util::sync::CancellationToken::new();
            let tracker = tokio_util::task::TaskTracker::new();
            let scope = WatchScope { namespace: None, argocd_namespace: "argocd".into() };
            spawn_watchers(&connection.client, &scope, &caches, &tracker, &token);
            let pending = caches.wait_until_synced(changed, Duration::from_secs(30)).await;
            assert!(pending.is_empty(), "{pending:?}");
            let snapshot = caches.snapshot();
            assert!(snapshot.pods.len() >= PODS);
            let mut state = State::new(
                connection.context,
                false,
                None,
                Keymap::default_map().unwrap(),
                jiff::Timestamp::now(),
            );
            state.set_snapshot(Arc::new(snapshot));
            let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
            terminal.draw(|f| render(&state, &theme, f)).unwrap();
            token.cancel();
        })
    });
    group.finish();
    rt.block_on(sim.shutdown());
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(dashboard, render_frames, apply_events, first_frame);
criterion_main!(dashboard);
