//! The frame scheduler: wait for the first thing that happens, take everything else that is due
//! without waiting (input first, then a bounded number of queued answers, then the sources'
//! notifications), apply it all through `update`, then draw once. What the user did is drawn at once;
//! what the sources did waits for the next frame slot (at most ~30 frames per second), so a source
//! that changes every millisecond costs one frame per slot and never starves input.

use std::collections::VecDeque;
use std::time::Duration;

use crossterm::event::Event;
use futures::{FutureExt as _, Stream, StreamExt as _};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::effects::{Due, Runtime};
use super::outbox::Message;
use crate::tui::action::Action;
use crate::tui::diagnostics;
use crate::tui::input::to_action;
use crate::tui::render::render;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;

/// The shortest time between two frames drawn for the sources.
pub const FRAME: Duration = Duration::from_millis(33);
/// How often time-derived text (ages, staleness, spinners) refreshes.
pub const TICK: Duration = Duration::from_secs(1);
/// How often the open diagnostics panel takes in new events.
pub const PANEL_REFRESH: Duration = Duration::from_millis(250);
/// At most this many input events, and queued answers, are taken per turn.
const INPUT_PER_TURN: usize = 64;
const MESSAGES_PER_TURN: usize = 64;
/// How long quitting waits for spawned work to end.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// What a run of the loop did (for tests and benchmarks).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoopReport {
    pub frames: u64,
    pub actions: u64,
}

/// One thing to apply: an action, or an answer the runtime takes in first (in arrival order, so an
/// answer is never applied ahead of what came before it).
enum Step {
    Action(Action),
    Message(Message),
}

/// Runs the console until `state.quit`: `events` is the terminal's input, `inbox` the effects' answers,
/// `quit` a signal (SIGINT/SIGTERM) that quits like `q`.
pub async fn run_loop<B, E>(
    terminal: &mut Terminal<B>,
    mut events: E,
    mut state: State,
    theme: &Theme,
    mut runtime: Runtime,
    mut inbox: mpsc::Receiver<Message>,
    quit: impl Future<Output = ()>,
) -> color_eyre::Result<LoopReport>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let mut report = LoopReport::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut panel = tokio::time::interval(PANEL_REFRESH);
    panel.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut quit = std::pin::pin!(quit.fuse());
    let mut next_frame = Instant::now();
    let mut dirty = true;
    let mut due = Due { caches: true, ..Due::default() };
    let mut input_ended = false;

    while !state.quit {
        let mut steps: VecDeque<Step> = VecDeque::new();
        let mut from_user = false;
        let panel_open = state.diagnostics.is_some();
        tokio::select! {
            biased;
            () = &mut quit => steps.push_back(Step::Action(Action::Quit)),
            event = events.next(), if !input_ended => match event {
                Some(Ok(event)) => {
                    if let Some(action) = to_action(event) {
                        from_user = true;
                        steps.push_back(Step::Action(action));
                    }
                }
                Some(Err(err)) => tracing::error!(%err, "terminal input failed"),
                None => input_ended = true,
            },
            message = inbox.recv() => if let Some(message) = message {
                steps.push_back(Step::Message(message));
            },
            change = runtime.changed() => due.mark(change),
            _ = tick.tick() => {
                diagnostics::collect();
                steps.push_back(Step::Action(Action::Tick(jiff::Timestamp::now())));
            }
            _ = panel.tick(), if panel_open => dirty = true,
            () = tokio::time::sleep_until(next_frame), if dirty => {}
        }
        if input_ended && !state.quit {
            // The terminal is gone: nothing can be shown or asked any more.
            break;
        }
        // Everything else that is already there, input first.
        for _ in 0..INPUT_PER_TURN {
            // Polled with this task's own waker: a stream that remembers the waker of its first pending
            // poll (crossterm's) must not be handed a no-op one.
            match std::future::poll_fn(|cx| std::task::Poll::Ready(events.poll_next_unpin(cx))).await {
                std::task::Poll::Ready(item) => match item {
                    Some(Ok(event)) => {
                        if let Some(action) = to_action(event) {
                            from_user = true;
                            steps.push_back(Step::Action(action));
                        }
                    }
                    Some(Err(err)) => tracing::error!(%err, "terminal input failed"),
                    None => {
                        input_ended = true;
                        break;
                    }
                },
                std::task::Poll::Pending => break,
            }
        }
        for _ in 0..MESSAGES_PER_TURN {
            match inbox.try_recv() {
                Ok(message) => steps.push_back(Step::Message(message)),
                Err(_) => break,
            }
        }
        runtime.changes_ready(&mut due);
        if std::mem::take(&mut due.logs)
            && let Some(action) = runtime.poll_logs()
        {
            steps.push_back(Step::Action(action));
        }
        if std::mem::take(&mut due.tasks)
            && let Some(action) = runtime.poll_tasks()
        {
            steps.push_back(Step::Action(action));
        }
        // The snapshot is built off the loop; it arrives as a queued answer.
        if due.caches && runtime.request_snapshot() {
            due.caches = false;
        }

        while let Some(step) = steps.pop_front() {
            let action = match step {
                Step::Action(action) => action,
                Step::Message(Message::Action(action)) => action,
                Step::Message(Message::Runtime(completion)) => match runtime.complete(completion) {
                    Some(action) => action,
                    None => continue,
                },
            };
            report.actions += 1;
            dirty = true;
            for effect in update(&mut state, action) {
                if let Some(answer) = runtime.execute(effect, &state) {
                    steps.push_back(Step::Action(answer));
                }
            }
        }

        let now = Instant::now();
        if dirty && !state.quit && (from_user || now >= next_frame) {
            if state.diagnostics.is_some() {
                diagnostics::collect();
            }
            terminal.draw(|f| render(&state, theme, f))?;
            report.frames += 1;
            dirty = false;
            next_frame = now + FRAME;
        }
    }
    runtime.shutdown(SHUTDOWN_GRACE).await;
    Ok(report)
}
