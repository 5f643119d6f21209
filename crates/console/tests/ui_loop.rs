//! The UI loop driven without a terminal, in paused time: a `TestBackend`, an injected input stream and
//! an injected cluster. A source that notifies every millisecond still lets keys and frames through
//! (and frames stay at most ~30 per second); a `:ctx` whose connection never answers leaves the UI
//! responsive, and `q` quits at once.

// Test helpers may panic: a broken fixture should fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use futures::future::BoxFuture;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use platdeck_console::actions::audit::AuditLog;
use platdeck_console::actions::guard::ReadOnly;
use platdeck_console::config::Config;
use platdeck_console::scaffold::Platform;
use platdeck_console::sources::cache::Caches;
use platdeck_console::sources::kube_client::Connection;
use platdeck_console::tui::keymap::Keymap;
use platdeck_console::tui::runtime::{Cluster, LoopReport, Outbox, Runtime, Settings, run_loop};
use platdeck_console::tui::scaffold_runner::ScaffoldSettings;
use platdeck_console::tui::state::State;
use platdeck_console::tui::theme::Theme;
use platdeck_core::platform::SourceHealth;

/// A cluster that never needs a server: connecting to `hung` never answers; every session's caches
/// are touched every millisecond (a pod flapping), counted in `notifications`.
struct FakeCluster {
    notifications: Arc<AtomicU64>,
    /// Touch the caches every millisecond (else never).
    noisy: bool,
}

fn connection(context: &str) -> Connection {
    let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
    Connection { client: kube::Client::try_from(config).unwrap(), context: context.to_string() }
}

impl Cluster for FakeCluster {
    fn connect(&self, context: Option<String>) -> BoxFuture<'static, Result<Connection, String>> {
        match context.as_deref() {
            Some("hung") => Box::pin(std::future::pending()),
            other => {
                let name = other.unwrap_or("fake").to_string();
                Box::pin(async move { Ok(connection(&name)) })
            }
        }
    }

    fn watch(&self, _: &Connection, caches: &Arc<Caches>, tracker: &TaskTracker, token: &CancellationToken) {
        let (caches, token, count) = (caches.clone(), token.clone(), self.notifications.clone());
        for source in platdeck_console::sources::cache::SOURCES {
            caches.set_health(source, SourceHealth::Connected);
        }
        if !self.noisy {
            return;
        }
        tracker.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(1));
            loop {
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = every.tick() => {
                        caches.notify();
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
}

fn settings() -> Settings {
    let config = Config::default();
    Settings {
        kubeconfig: None,
        readonly: ReadOnly { flag: false, contexts: vec![] },
        audit: AuditLog::new(PathBuf::from("/nonexistent/audit.jsonl")),
        loki: None,
        scaffold: ScaffoldSettings {
            platform: Platform::from_config(&config),
            gitops: None,
            out: PathBuf::from("."),
        },
        tasks_config: config,
    }
}

fn key(c: char) -> std::io::Result<Event> {
    let code = if c == '\n' { KeyCode::Enter } else { KeyCode::Char(c) };
    Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(input: &UnboundedSender<std::io::Result<Event>>, text: &str) {
    for c in text.chars() {
        input.unbounded_send(key(c)).unwrap();
    }
}

struct Run {
    report: LoopReport,
    screen: String,
    elapsed: Duration,
    notifications: u64,
}

/// Runs the loop against the fake cluster while `drive` sends keys; returns what it drew last.
async fn run_with(drive: impl AsyncFnOnce(UnboundedSender<std::io::Result<Event>>)) -> Run {
    run_on(true, drive).await
}

/// Like crossterm's `EventStream`: the waker of the first pending poll is the one woken when input
/// arrives, whatever wakers later polls bring.
struct FirstWaker<S> {
    inner: S,
    waker: Option<std::task::Waker>,
}

impl<S: futures::Stream + Unpin> futures::Stream for FirstWaker<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        let this = &mut *self;
        let waker = this.waker.get_or_insert_with(|| cx.waker().clone()).clone();
        let polled =
            std::pin::Pin::new(&mut this.inner).poll_next(&mut std::task::Context::from_waker(&waker));
        if polled.is_ready() {
            this.waker = None;
        }
        polled
    }
}

async fn run_on(noisy: bool, drive: impl AsyncFnOnce(UnboundedSender<std::io::Result<Event>>)) -> Run {
    let notifications = Arc::new(AtomicU64::new(0));
    let cluster = Arc::new(FakeCluster { notifications: notifications.clone(), noisy });
    let (outbox, inbox) = Outbox::channel();
    let runtime = Runtime::new(settings(), cluster, connection("fake"), outbox, Box::new(std::io::sink()));
    let mut state =
        State::new("fake".into(), false, None, Keymap::default_map().unwrap(), jiff::Timestamp::UNIX_EPOCH);
    state.width = 120;
    state.height = 30;
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let (input, events) = unbounded();
    let events = FirstWaker { inner: events, waker: None };
    let theme = Theme::new(false);
    let started = Instant::now();
    let (report, ()) = tokio::join!(
        run_loop(&mut terminal, events, state, &theme, runtime, inbox, std::future::pending()),
        drive(input),
    );
    let elapsed = started.elapsed();
    let buffer = terminal.backend().buffer().clone();
    let width = usize::from(buffer.area.width);
    let screen = buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    Run { report: report.unwrap(), screen, elapsed, notifications: notifications.load(Ordering::Relaxed) }
}

#[tokio::test(start_paused = true)]
async fn a_source_notifying_every_millisecond_lets_keys_and_frames_through() {
    let run = run_with(async |input| {
        tokio::time::sleep(Duration::from_millis(300)).await;
        type_text(&input, "2");
        tokio::time::sleep(Duration::from_millis(300)).await;
        type_text(&input, "q");
    })
    .await;
    assert!(run.notifications >= 500, "the source flooded: {} notifications", run.notifications);
    // `q` got through within a few frames of being sent, under the flood.
    assert!(run.elapsed < Duration::from_millis(700), "quit took until {:?}", run.elapsed);
    // The key landed: the Applications view is what was drawn last.
    assert!(run.screen.contains("no Argo CD applications in this scope"), "{}", run.screen);
    // Frames kept coming for the source's changes, but at most ~30 per second (plus one per key).
    let slots = run.elapsed.as_millis() as u64 / 33 + 1;
    assert!(run.report.frames >= slots / 2, "only {} frames in {:?}", run.report.frames, run.elapsed);
    assert!(run.report.frames <= slots + 3, "{} frames in {:?}", run.report.frames, run.elapsed);
}

#[tokio::test(start_paused = true)]
async fn a_hung_connect_leaves_the_ui_responsive_and_q_quits() {
    let run = run_with(async |input| {
        tokio::time::sleep(Duration::from_millis(100)).await;
        type_text(&input, ":ctx hung\n");
        tokio::time::sleep(Duration::from_secs(5)).await;
        // Still answering keys while the connection hangs.
        type_text(&input, "3");
        tokio::time::sleep(Duration::from_millis(100)).await;
        type_text(&input, "q");
    })
    .await;
    assert!(run.elapsed < Duration::from_millis(5_300), "quit took until {:?}", run.elapsed);
    assert!(run.screen.contains("no deployments in this scope"), "the key was handled:\n{}", run.screen);
    assert!(
        run.screen.contains("context fake"),
        "the old context stays until the new one answers:\n{}",
        run.screen
    );
    assert!(run.screen.contains("connecting to context hung"), "{}", run.screen);
}

#[tokio::test(start_paused = true)]
async fn a_context_switch_shows_the_new_context_once_it_is_connected() {
    let run = run_with(async |input| {
        tokio::time::sleep(Duration::from_millis(100)).await;
        type_text(&input, ":ctx other\n");
        tokio::time::sleep(Duration::from_millis(300)).await;
        type_text(&input, "q");
    })
    .await;
    assert!(run.screen.contains("context other"), "{}", run.screen);
    assert!(run.screen.contains("switched to context other"), "{}", run.screen);
}

#[tokio::test(start_paused = true)]
async fn keys_are_handled_when_they_arrive_not_at_the_next_tick() {
    let run = run_on(false, async |input| {
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        type_text(&input, "5");
        tokio::time::sleep(Duration::from_millis(50)).await;
        type_text(&input, "4");
        tokio::time::sleep(Duration::from_millis(50)).await;
        type_text(&input, "q");
    })
    .await;
    assert!(run.elapsed < Duration::from_millis(1_500), "keys waited for a tick: {:?}", run.elapsed);
    assert!(run.screen.contains("no failing policy results"), "{}", run.screen);
}
