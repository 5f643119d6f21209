//! Watch streams: a chunked body of `WatchEvent` JSON lines, with bookmarks, `timeoutSeconds`,
//! 410 `Expired` delivered as an `ERROR` event, and injected drops.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::request::{ListOptions, Params};
use crate::resources::ResourceKind;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::state::Shared;
use crate::status::ApiError;
use crate::world::{EventType, WatchEvent};

/// How often a stream with `allowWatchBookmarks` gets a bookmark.
const BOOKMARK_EVERY: Duration = Duration::from_secs(5);
/// The server-side watch timeout when the client gives none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// Chunks buffered towards one slow client before the producer waits.
const CHUNKS_IN_FLIGHT: usize = 256;

/// A chunk of the body; `Err` aborts the connection mid-stream (a dropped watch).
type Chunk = Result<Bytes, std::io::Error>;

struct Filter {
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, object: &Value) -> bool {
        let ns_ok = self
            .namespace
            .as_deref()
            .is_none_or(|ns| object.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns));
        ns_ok && self.labels.matches(object) && self.fields.matches(object)
    }
}

pub fn serve(
    state: &Shared,
    kind: ResourceKind,
    namespace: Option<&str>,
    params: &Params,
    table: bool,
) -> Result<Response, ApiError> {
    let filter = Filter {
        namespace: namespace.map(str::to_string),
        labels: params.label_selector()?,
        fields: params.field_selector()?,
    };
    let timeout = params.number("timeoutSeconds")?.map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    let bookmarks = params.flag("allowWatchBookmarks");
    let options = ListOptions::parse(params, true)?;
    let rv = options.rv_number()?;
    // Where the stream starts (api-concepts "Semantics for watch" and "Streaming lists"):
    // - sendInitialEvents=true: the current state as ADDED events, then (with bookmarks) a BOOKMARK
    //   annotated `k8s.io/initial-events-end`, whatever resourceVersion asked for (it is not older);
    // - sendInitialEvents=false: changes only, after the resourceVersion or from now;
    // - neither: a resourceVersion resumes after it; none (or "0") starts with the state as ADDED events.
    let (start, initial_events) = match options.send_initial_events {
        Some(true) => (Start::State, true),
        Some(false) => (rv.map_or(Start::Now, Start::After), false),
        None => (rv.map_or(Start::State, Start::After), false),
    };
    let (tx, rx) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let state = state.clone();
    tokio::spawn(async move {
        let job = Stream { state: state.clone(), kind, filter, tx, bookmarks, table, sent: 0 };
        tokio::select! {
            _ = job.run(start, initial_events, timeout) => {}
            _ = state.shutdown.cancelled() => {}
        }
    });
    let body = Body::from_stream(ReceiverStream::new(rx));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Start {
    /// The current state as synthetic ADDED events, then the changes after it.
    State,
    /// Changes after this resourceVersion.
    After(u64),
    /// Changes from now on.
    Now,
}

struct Stream {
    state: Shared,
    kind: ResourceKind,
    filter: Filter,
    tx: mpsc::Sender<Chunk>,
    bookmarks: bool,
    /// kubectl asked for server-side printing: each event carries a one-row Table.
    table: bool,
    sent: u64,
}

/// Why a stream stopped early.
enum Stop {
    ClientGone,
    Dropped,
}

impl Stream {
    async fn run(mut self, start: Start, initial_events: bool, timeout: Duration) {
        let world = self.state.world.clone();
        // A resumed watch may be told its resourceVersion is too old (really, or by injected fault).
        if let Start::After(rv) = start
            && self.state.faults.expire_watch()
        {
            let current = world.current_rv();
            let err = ApiError::expired(format!("too old resource version: {rv} ({current})"));
            let _ = self.send_error(&err).await;
            return;
        }
        // `initial` counts the synthetic ADDED events at the head of the backlog, all at `list_rv`.
        let (start, initial, list_rv) = match start {
            Start::State => {
                // Synthetic ADDED events for the current state, then changes after it.
                let snapshot = world.snapshot(&self.kind);
                let rv = snapshot.rv;
                let mut start = match world.watch(&self.kind, Some(rv)) {
                    Ok(s) => s,
                    Err(err) => {
                        let _ = self.send_error(&err).await;
                        return;
                    }
                };
                let synthetic: Vec<Arc<WatchEvent>> = snapshot
                    .iter(self.filter.namespace.as_deref(), None)
                    .filter(|(_, o)| self.filter.matches(o))
                    .map(|(_, object)| {
                        Arc::new(WatchEvent { rv, kind: EventType::Added, object: object.clone() })
                    })
                    .collect();
                let count = synthetic.len();
                start.backlog.splice(0..0, synthetic);
                (start, count, rv)
            }
            Start::After(_) | Start::Now => {
                let from = if let Start::After(rv) = start { rv } else { world.current_rv() };
                match world.watch(&self.kind, Some(from)) {
                    Ok(start) => (start, 0, from),
                    Err(err) => {
                        let _ = self.send_error(&err).await;
                        return;
                    }
                }
            }
        };
        for (i, event) in start.backlog.iter().enumerate() {
            if initial_events && i == initial && self.send_initial_end(list_rv).await.is_err() {
                return;
            }
            if self.send_event(event).await.is_err() {
                return;
            }
        }
        if initial_events && initial == start.backlog.len() && self.send_initial_end(list_rv).await.is_err() {
            return;
        }
        let _ = tokio::time::timeout(timeout, self.follow(start.live)).await;
    }

    async fn follow(&mut self, mut live: broadcast::Receiver<Arc<WatchEvent>>) -> Stop {
        let mut bookmark = tokio::time::interval(BOOKMARK_EVERY);
        bookmark.tick().await;
        let mut fault_check = tokio::time::interval(Duration::from_secs(1));
        fault_check.tick().await;
        let client = self.tx.clone();
        loop {
            tokio::select! {
                received = live.recv() => match received {
                    Ok(event) => {
                        if let Err(stop) = self.send_event(&event).await {
                            return stop;
                        }
                    }
                    // A watcher that fell behind the fan-out buffer is ended cleanly; it resumes from its last RV.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => {
                        return Stop::ClientGone;
                    }
                },
                _ = bookmark.tick(), if self.bookmarks => {
                    // Read the RV before checking the queue is empty: a write racing us lands in the queue first.
                    let rv = self.state.world.current_rv();
                    if live.is_empty() {
                        let object = json!({"kind": self.kind.kind, "apiVersion": self.kind.api_version(),
                            "metadata": {"resourceVersion": rv.to_string()}});
                        if self.send_line(&json!({"type": "BOOKMARK", "object": object})).await.is_err() {
                            return Stop::ClientGone;
                        }
                    }
                }
                _ = fault_check.tick() => {
                    if self.state.faults.drop_watch_now() {
                        self.cut().await;
                        return Stop::Dropped;
                    }
                }
                _ = client.closed() => return Stop::ClientGone,
            }
        }
    }

    async fn send_event(&mut self, event: &WatchEvent) -> Result<(), Stop> {
        if !self.filter.matches(&event.object) {
            return Ok(());
        }
        let object = super::rest::present(&self.kind, &event.object);
        let line = if self.table {
            let table = super::tables::table(&self.kind, std::slice::from_ref(&object), event.rv, None, None);
            json!({"type": event.kind.as_str(), "object": table})
        } else {
            json!({"type": event.kind.as_str(), "object": object.as_ref()})
        };
        self.send_line(&line).await?;
        self.sent += 1;
        if self.state.faults.spec.watch_drop_after.is_some_and(|n| n > 0 && self.sent.is_multiple_of(n)) {
            self.state.faults.note_watch_drop();
            self.cut().await;
            return Err(Stop::Dropped);
        }
        Ok(())
    }

    /// Cuts the connection mid-stream (no clean end of the chunked body), after giving what was
    /// already sent time to reach the client — a connection that dies, not one that loses data.
    async fn cut(&mut self) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = self.tx.send(Err(std::io::Error::other("simulated dropped watch"))).await;
    }

    /// The bookmark that tells a streaming-list client its initial events are complete (sent only to
    /// clients that allow bookmarks, as the apiserver does).
    async fn send_initial_end(&mut self, rv: u64) -> Result<(), Stop> {
        if !self.bookmarks {
            return Ok(());
        }
        let object = json!({"kind": self.kind.kind, "apiVersion": self.kind.api_version(),
            "metadata": {"resourceVersion": rv.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}});
        self.send_line(&json!({"type": "BOOKMARK", "object": object})).await
    }

    async fn send_error(&mut self, err: &ApiError) -> Result<(), Stop> {
        self.send_line(&json!({"type": "ERROR", "object": err.to_status()})).await
    }

    async fn send_line(&mut self, line: &Value) -> Result<(), Stop> {
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        self.tx.send(Ok(Bytes::from(bytes))).await.map_err(|_| Stop::ClientGone)
    }
}
