//! The log view's source, as the app loop runs it: Loki (backfill, then the websocket tail) when it is
//! configured and answers; otherwise — not configured, or its first backfill could not reach it — the
//! Kubernetes pod log API for the service's pods, said so in the view's title. Both fill one bounded
//! buffer whose lines were parsed on arrival, so the UI only clones the newest `Arc`s.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::action::Action;
use crate::sources::log_buffer::{DEFAULT_CAPACITY, LogBuffer};
use crate::sources::loki::{Follow, LokiClientConfig, TailState};
use crate::sources::pod_logs::{PodLogTarget, PodLogs};
use platdeck_core::platform::logwindow::LogWindow;

/// How many of the newest lines the log view receives per update (the source keeps the whole ring).
pub const LOG_LINES_SHOWN: usize = 2_000;

/// What the log view asked to follow.
#[derive(Debug, Clone)]
pub struct LogRequest {
    pub query: String,
    pub window: LogWindow,
    pub pods: PodLogTarget,
}

enum Running {
    Loki(Follow),
    /// The pod log API, and why Loki is not used.
    Pods {
        pods: PodLogs,
        reason: String,
    },
}

/// A running log source and its buffer.
pub struct LogSource {
    running: Running,
    request: LogRequest,
    client: kube::Client,
    buffer: Arc<LogBuffer>,
    token: CancellationToken,
    /// Changes whenever the buffer or the source's state does.
    pub changed: watch::Receiver<u64>,
}

impl LogSource {
    /// Starts following: Loki if configured, else the pod log API at once.
    pub async fn open(
        loki: Option<LokiClientConfig>,
        client: kube::Client,
        request: LogRequest,
        token: CancellationToken,
    ) -> Self {
        let buffer = Arc::new(LogBuffer::new(DEFAULT_CAPACITY));
        let changed = buffer.subscribe();
        let running = match loki {
            None => pods(&client, &request, &buffer, &token, "loki.url is not set".into()),
            Some(config) => {
                match Follow::start(
                    config,
                    request.query.clone(),
                    request.window,
                    buffer.clone(),
                    token.child_token(),
                )
                .await
                {
                    Ok(follow) => Running::Loki(follow),
                    Err(err) => pods(&client, &request, &buffer, &token, err.brief()),
                }
            }
        };
        Self { running, request, client, buffer, token, changed }
    }

    pub fn buffer(&self) -> &Arc<LogBuffer> {
        &self.buffer
    }

    /// The newest lines and the source's state for the view — falling back to the pod log API the moment
    /// Loki turns out to be unreachable.
    pub fn poll(&mut self) -> Action {
        if let Running::Loki(follow) = &self.running
            && let TailState::Unreachable(reason) = follow.state()
        {
            tracing::warn!(%reason, "Loki unreachable; following the pod log API instead");
            self.running = pods(&self.client, &self.request, &self.buffer, &self.token, reason);
        }
        let status = match &self.running {
            Running::Loki(follow) => match follow.state() {
                TailState::Backfilling => "backfilling".to_string(),
                TailState::Live => "live".to_string(),
                TailState::Reconnecting { attempt, error } => {
                    format!("reconnecting (attempt {attempt}): {error}")
                }
                TailState::Unreachable(error) => format!("Loki unreachable: {error}"),
                TailState::Rejected(error) => format!("Loki refused the query: {error}"),
            },
            Running::Pods { pods, reason } => {
                let state = pods.state();
                let mut text =
                    format!("pod logs (Loki unreachable: {reason}) · {} streams", state.streams.len());
                if let Some(error) = state.error {
                    text.push_str(&format!(" · last error: {error}"));
                }
                text
            }
        };
        Action::Logs {
            lines: self.buffer.lines_tail(LOG_LINES_SHOWN),
            dropped_overflow: self.buffer.dropped_overflow(),
            dropped_upstream: self.buffer.dropped_upstream(),
            status,
        }
    }

    /// Ends the source and waits for its tasks.
    pub async fn stop(self) {
        self.token.cancel();
        match self.running {
            Running::Loki(follow) => follow.stop().await,
            Running::Pods { pods, .. } => pods.stop().await,
        }
    }
}

fn pods(
    client: &kube::Client,
    request: &LogRequest,
    buffer: &Arc<LogBuffer>,
    token: &CancellationToken,
    reason: String,
) -> Running {
    let pods = PodLogs::start(
        client.clone(),
        request.pods.clone(),
        request.window,
        buffer.clone(),
        token.child_token(),
    );
    Running::Pods { pods, reason }
}
