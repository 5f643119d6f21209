//! The Kubernetes pod log API as a log source, for when Loki cannot be reached: like `stern`, one follow
//! stream per container of the service's pods, pods joining and leaving tracked with a watcher on the
//! service's label selector. Each line is labelled with its pod; a stream that ends is reopened from its
//! last timestamp (`sinceTime`), and the overlap is de-duplicated, so nothing shows twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncBufReadExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::log_buffer::{LogBuffer, LogEntry};
use platdeck_core::platform::logwindow::{LAST_LINES, LogWindow};

const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// A line longer than this is cut (the view shows a bounded line anyway).
const MAX_LINE_BYTES: usize = 64 * 1024;

/// What the pod log source is doing, for the view's title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodLogsState {
    /// `pod/container` followed right now, sorted.
    pub streams: Vec<String>,
    /// The last error of the pod watcher or a stream, if any.
    pub error: Option<String>,
}

/// Which pods: those of one service (`app.kubernetes.io/name=<app>`) in its namespace.
#[derive(Debug, Clone)]
pub struct PodLogTarget {
    pub namespace: String,
    pub app: String,
}

/// A running follow of a service's pod logs into a buffer.
pub struct PodLogs {
    state: watch::Receiver<PodLogsState>,
    token: CancellationToken,
    task: JoinHandle<()>,
}

impl PodLogs {
    /// Starts watching the service's pods and following each one's logs, backfilled by `window`.
    pub fn start(
        client: kube::Client,
        target: PodLogTarget,
        window: LogWindow,
        buffer: Arc<LogBuffer>,
        token: CancellationToken,
    ) -> Self {
        let (state_tx, state) = watch::channel(PodLogsState::default());
        let pods = Pods {
            api: Api::namespaced(client, &target.namespace),
            target,
            window,
            buffer,
            state: Arc::new(state_tx),
            token: token.clone(),
            tracker: TaskTracker::new(),
            followed: HashMap::new(),
        };
        let task = tokio::spawn(pods.run());
        Self { state, token, task }
    }

    pub fn state(&self) -> PodLogsState {
        self.state.borrow().clone()
    }

    /// Cancels every stream and waits for them to end.
    pub async fn stop(self) {
        super::stop::stop_task(&self.token, self.task).await;
    }
}

/// The watcher side: which containers are followed, each by its own task.
struct Pods {
    api: Api<Pod>,
    target: PodLogTarget,
    window: LogWindow,
    buffer: Arc<LogBuffer>,
    state: Arc<watch::Sender<PodLogsState>>,
    token: CancellationToken,
    tracker: TaskTracker,
    /// `pod/container` → the token that ends its stream.
    followed: HashMap<String, CancellationToken>,
}

/// Containers of a pod whose logs exist (the pod got past Pending).
fn loggable_containers(pod: &Pod) -> Vec<String> {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
    if !matches!(phase, "Running" | "Succeeded" | "Failed") || pod.metadata.deletion_timestamp.is_some() {
        return Vec::new();
    }
    pod.spec.as_ref().map(|s| s.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default()
}

impl Pods {
    async fn run(mut self) {
        let selector = format!("app.kubernetes.io/name={}", self.target.app);
        let config = watcher::Config::default().labels(&selector);
        let mut events = watcher::watcher(self.api.clone(), config).default_backoff().boxed();
        let mut listed: HashSet<String> = HashSet::new();
        loop {
            let event = tokio::select! {
                _ = self.token.cancelled() => break,
                event = events.next() => event,
            };
            match event {
                None => break,
                Some(Err(e)) => self.set_error(format!("pod watch: {e}")),
                Some(Ok(Event::Init)) => listed.clear(),
                Some(Ok(Event::InitApply(pod))) => {
                    listed.insert(pod.metadata.name.clone().unwrap_or_default());
                    self.apply(&pod);
                }
                Some(Ok(Event::InitDone)) => {
                    // After a relist, pods that are gone stop being followed.
                    let gone: Vec<String> = self
                        .followed
                        .keys()
                        .filter(|k| !listed.contains(k.split('/').next().unwrap_or("")))
                        .cloned()
                        .collect();
                    for key in gone {
                        self.unfollow(&key);
                    }
                    self.publish();
                }
                Some(Ok(Event::Apply(pod))) => self.apply(&pod),
                Some(Ok(Event::Delete(pod))) => {
                    let name = pod.metadata.name.clone().unwrap_or_default();
                    let keys: Vec<String> = self
                        .followed
                        .keys()
                        .filter(|k| k.starts_with(&format!("{name}/")))
                        .cloned()
                        .collect();
                    for key in keys {
                        self.unfollow(&key);
                    }
                    self.publish();
                }
            }
        }
        self.token.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }

    fn apply(&mut self, pod: &Pod) {
        let Some(name) = pod.metadata.name.clone() else { return };
        let mut changed = false;
        for container in loggable_containers(pod) {
            let key = format!("{name}/{container}");
            if self.followed.contains_key(&key) {
                continue;
            }
            let token = self.token.child_token();
            let labels = Arc::new(BTreeMap::from([
                ("namespace".to_string(), self.target.namespace.clone()),
                ("app_kubernetes_io_name".to_string(), self.target.app.clone()),
                ("pod".to_string(), name.clone()),
                ("container".to_string(), container.clone()),
            ]));
            let stream = ContainerStream {
                api: self.api.clone(),
                pod: name.clone(),
                container,
                labels,
                window: self.window,
                buffer: self.buffer.clone(),
                state: self.state.clone(),
                token: token.clone(),
                dedup: ResumePoint::default(),
            };
            self.tracker.spawn(stream.run());
            self.followed.insert(key, token);
            changed = true;
        }
        if changed {
            self.publish();
        }
    }

    fn unfollow(&mut self, key: &str) {
        if let Some(token) = self.followed.remove(key) {
            token.cancel();
        }
    }

    fn publish(&self) {
        let mut streams: Vec<String> = self.followed.keys().cloned().collect();
        streams.sort();
        self.state.send_modify(|s| s.streams = streams);
        self.buffer.notify();
    }

    fn set_error(&self, error: String) {
        self.state.send_modify(|s| s.error = Some(error));
        self.buffer.notify();
    }
}

/// The newest timestamp delivered and the lines delivered at it: a stream reopened with `sinceTime` (whole
/// seconds) repeats what came after that second, and this tells the repeats apart.
#[derive(Debug, Default)]
struct ResumePoint {
    last_ns: Option<i64>,
    at_last: HashSet<String>,
}

impl ResumePoint {
    /// Records the line; false when it was delivered before.
    fn admit(&mut self, ts_ns: i64, line: &str) -> bool {
        match self.last_ns {
            Some(last) if ts_ns < last => false,
            Some(last) if ts_ns == last => self.at_last.insert(line.to_string()),
            _ => {
                self.last_ns = Some(ts_ns);
                self.at_last.clear();
                self.at_last.insert(line.to_string());
                true
            }
        }
    }

    /// `sinceTime` for a reopened stream: the second of the newest line, rounded down.
    fn since(&self) -> Option<jiff::Timestamp> {
        let last = self.last_ns?;
        jiff::Timestamp::from_second(last.div_euclid(1_000_000_000)).ok()
    }
}

/// Splits `2026-01-01T10:00:00.123456789Z message` (the API's `timestamps=true` prefix).
fn split_timestamp(line: &str) -> Option<(i64, &str)> {
    let (ts, rest) = line.split_once(' ').unwrap_or((line, ""));
    let ts: jiff::Timestamp = ts.parse().ok()?;
    Some((i64::try_from(ts.as_nanosecond()).ok()?, rest))
}

/// One container's log stream, reopened until its pod leaves.
struct ContainerStream {
    api: Api<Pod>,
    pod: String,
    container: String,
    labels: Arc<BTreeMap<String, String>>,
    window: LogWindow,
    buffer: Arc<LogBuffer>,
    state: Arc<watch::Sender<PodLogsState>>,
    token: CancellationToken,
    dedup: ResumePoint,
}

impl ContainerStream {
    fn params(&self) -> LogParams {
        let mut params = LogParams {
            container: Some(self.container.clone()),
            follow: true,
            timestamps: true,
            ..LogParams::default()
        };
        match (self.dedup.since(), self.window.seconds()) {
            (Some(since), _) => params.since_time = Some(since),
            (None, Some(seconds)) => params.since_seconds = i64::try_from(seconds).ok(),
            (None, None) => params.tail_lines = i64::try_from(LAST_LINES).ok(),
        }
        params
    }

    async fn run(mut self) {
        let mut backoff = BACKOFF_START;
        let token = self.token.clone();
        loop {
            let error = tokio::select! {
                _ = token.cancelled() => return,
                result = self.follow_once(&mut backoff) => result,
            };
            if let Err(error) = error {
                let text = format!("{}/{}: {error}", self.pod, self.container);
                self.state.send_modify(|s| s.error = Some(text));
                self.buffer.notify();
            }
            tokio::select! {
                _ = self.token.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(BACKOFF_CAP);
        }
    }

    /// One stream until it ends (`Ok`) or fails.
    async fn follow_once(&mut self, backoff: &mut Duration) -> Result<(), kube::Error> {
        let reader = self.api.log_stream(&self.pod, &self.params()).await?;
        let mut reader = Box::pin(reader);
        let mut raw = Vec::new();
        let mut first = true;
        loop {
            raw.clear();
            let read = reader.read_until(b'\n', &mut raw).await.map_err(kube::Error::ReadEvents)?;
            if read == 0 {
                return Ok(());
            }
            if first {
                // The stream works again: an error it reported before is no longer news.
                first = false;
                *backoff = BACKOFF_START;
                let mine = format!("{}/{}: ", self.pod, self.container);
                self.state.send_if_modified(|s| {
                    let stale = s.error.as_ref().is_some_and(|e| e.starts_with(&mine));
                    if stale {
                        s.error = None;
                    }
                    stale
                });
            }
            raw.truncate(MAX_LINE_BYTES);
            // Invalid UTF-8 from a container is replaced, not a reason to drop the stream.
            let text = String::from_utf8_lossy(&raw);
            let text = text.trim_end_matches(['\n', '\r']);
            let Some((ts_ns, line)) = split_timestamp(text) else { continue };
            if self.dedup.admit(ts_ns, line) {
                self.buffer.insert(LogEntry { ts_ns, labels: self.labels.clone(), line: line.to_string() });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_split_off() {
        let (ts, line) = split_timestamp("2026-01-01T10:00:00.123456789Z hello world").unwrap();
        assert_eq!(ts, 1_767_261_600_123_456_789);
        assert_eq!(line, "hello world");
        assert!(split_timestamp("no timestamp here").is_none());
    }

    #[test]
    fn a_reopened_stream_repeats_nothing() {
        let mut dedup = ResumePoint::default();
        assert!(dedup.admit(1_500_000_000, "a"));
        assert!(dedup.admit(2_700_000_000, "b"));
        assert!(dedup.admit(2_700_000_000, "c"));
        assert_eq!(dedup.since().unwrap().as_second(), 2, "resume from the second, rounded down");
        // The reopened stream sends the whole second again, then new lines.
        assert!(!dedup.admit(2_100_000_000, "older"));
        assert!(!dedup.admit(2_700_000_000, "b"));
        assert!(!dedup.admit(2_700_000_000, "c"));
        assert!(dedup.admit(2_700_000_000, "d"), "a new line at the same instant");
        assert!(dedup.admit(3_000_000_000, "e"));
    }

    #[test]
    fn only_started_pods_have_logs() {
        let pod = |phase: &str| -> Pod {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "api-1"},
                "spec": {"containers": [{"name": "app"}, {"name": "proxy"}]},
                "status": {"phase": phase}
            }))
            .unwrap()
        };
        assert!(loggable_containers(&pod("Pending")).is_empty());
        assert_eq!(loggable_containers(&pod("Running")), ["app", "proxy"]);
    }
}
