//! The sim's log store: what the kubelet keeps per container (for `kubectl logs`) and what Loki keeps per
//! stream (for LogQL queries and tails). Both sides share each line's allocation and both are bounded.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::broadcast;

/// A Loki stream's label set.
pub type Labels = BTreeMap<String, String>;

/// One container of one pod, as `kubectl logs` addresses it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodLogKey {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// One log line with its Unix-nanosecond timestamp.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub ts_ns: i64,
    pub line: Arc<str>,
}

/// Caps that keep the store's memory bounded whatever the scenario does.
#[derive(Clone, Debug)]
pub struct LogLimits {
    /// Lines kept per pod container (the kubelet's log file, oldest dropped first).
    pub lines_per_pod: usize,
    /// Lines kept per Loki stream (oldest dropped first).
    pub lines_per_stream: usize,
    /// Loki streams kept; the least recently written stream is forgotten first.
    pub max_streams: usize,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self { lines_per_pod: 2000, lines_per_stream: 20_000, max_streams: 50_000 }
    }
}

/// Read order of a Loki query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Oldest first.
    Forward,
    /// Newest first (Loki's default).
    Backward,
}

/// A line as a Loki tail sees it: with its stream's labels.
#[derive(Clone, Debug)]
pub struct TailEntry {
    pub labels: Arc<Labels>,
    pub entry: LogEntry,
}

/// Followers of one container are few and short-lived, so their channel is created on demand.
const FOLLOW_CAPACITY: usize = 1024;
/// Every tail sees every stored line (it filters itself), so this channel must absorb bursts.
const TAIL_CAPACITY: usize = 65_536;

#[derive(Default)]
struct PodRing {
    entries: VecDeque<LogEntry>,
    followers: Option<broadcast::Sender<LogEntry>>,
}

struct Stream {
    labels: Arc<Labels>,
    /// Sorted by timestamp; equal timestamps keep arrival order.
    entries: VecDeque<LogEntry>,
    /// Write sequence number of the last write, the key of this stream in `Loki::recency`.
    touched: u64,
}

struct Loki {
    streams: HashMap<Arc<Labels>, Stream>,
    /// Streams by last write, to forget the least recently written one when over `max_streams`.
    recency: BTreeMap<u64, Arc<Labels>>,
    next_seq: u64,
    /// Sent while the write lock is held, so a subscriber taken under the lock misses and doubles nothing.
    tail: broadcast::Sender<TailEntry>,
}

/// Thread-safe, bounded log storage shared by the kubelet, Loki and the log generators.
pub struct LogStore {
    limits: LogLimits,
    pods: Mutex<HashMap<PodLogKey, PodRing>>,
    loki: RwLock<Loki>,
}

impl Default for LogStore {
    fn default() -> Self {
        Self::new(LogLimits::default())
    }
}

impl LogStore {
    pub fn new(limits: LogLimits) -> Self {
        let limits = LogLimits {
            lines_per_pod: limits.lines_per_pod.max(1),
            lines_per_stream: limits.lines_per_stream.max(1),
            max_streams: limits.max_streams.max(1),
        };
        let (tail, _) = broadcast::channel(TAIL_CAPACITY);
        let loki = Loki { streams: HashMap::new(), recency: BTreeMap::new(), next_seq: 0, tail };
        Self { limits, pods: Mutex::new(HashMap::new()), loki: RwLock::new(loki) }
    }

    /// A container wrote `line` (kubelet side) and promtail ships it to Loki with `stream_labels`
    /// (e.g. namespace, pod, container, app_kubernetes_io_name, job). Stores in the per-pod ring AND the Loki
    /// stream; notifies followers and tails.
    pub fn append_pod_line(&self, key: &PodLogKey, stream_labels: &Labels, ts_ns: i64, line: &str) {
        let entry = LogEntry { ts_ns, line: Arc::from(line) };
        {
            let mut pods = self.pods();
            let ring = pods.entry(key.clone()).or_default();
            ring.entries.push_back(entry.clone());
            while ring.entries.len() > self.limits.lines_per_pod {
                ring.entries.pop_front();
            }
            if let Some(tx) = &ring.followers {
                // Sent under the lock so `pod_follow`'s snapshot and subscription stay atomic.
                if tx.send(entry.clone()).is_err() {
                    ring.followers = None;
                }
            }
        }
        self.push(stream_labels, vec![entry]);
    }

    /// Snapshot of a pod container's buffered lines (oldest first), optionally only the last `tail` lines and
    /// only lines with ts >= since_ns, AND a receiver for lines appended after the snapshot — taken
    /// atomically so nothing is missed or doubled (for `kubectl logs -f`).
    pub fn pod_follow(
        &self,
        key: &PodLogKey,
        tail: Option<usize>,
        since_ns: Option<i64>,
    ) -> (Vec<LogEntry>, broadcast::Receiver<LogEntry>) {
        let mut pods = self.pods();
        let ring = pods.entry(key.clone()).or_default();
        let snapshot = select_pod_lines(&ring.entries, tail, since_ns);
        let rx = match &ring.followers {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(FOLLOW_CAPACITY);
                ring.followers = Some(tx);
                rx
            }
        };
        (snapshot, rx)
    }

    pub fn pod_lines(&self, key: &PodLogKey, tail: Option<usize>, since_ns: Option<i64>) -> Vec<LogEntry> {
        self.pods().get(key).map(|ring| select_pod_lines(&ring.entries, tail, since_ns)).unwrap_or_default()
    }

    /// Forget a deleted pod's container logs (Loki keeps its streams). Followers see their channel close.
    pub fn forget_pod(&self, namespace: &str, pod: &str) {
        self.pods().retain(|key, _| !(key.namespace == namespace && key.pod == pod));
    }

    /// Loki push API ingestion. Keeps the stream sorted by timestamp and stores an identical
    /// (timestamp, line) pair only once, as Loki does.
    pub fn push(&self, labels: &Labels, entries: Vec<LogEntry>) {
        if entries.is_empty() {
            return;
        }
        let mut loki = self.loki_write();
        let loki = &mut *loki;
        let seq = loki.next_seq;
        loki.next_seq += 1;
        if !loki.streams.contains_key(labels) {
            let labels = Arc::new(labels.clone());
            let stream = Stream { labels: labels.clone(), entries: VecDeque::new(), touched: seq };
            loki.streams.insert(labels, stream);
        }
        let Some(stream) = loki.streams.get_mut(labels) else { return };
        loki.recency.remove(&stream.touched);
        stream.touched = seq;
        loki.recency.insert(seq, stream.labels.clone());
        for entry in entries {
            if insert_sorted(&mut stream.entries, &entry) && loki.tail.receiver_count() > 0 {
                let _ = loki.tail.send(TailEntry { labels: stream.labels.clone(), entry });
            }
        }
        while stream.entries.len() > self.limits.lines_per_stream {
            stream.entries.pop_front();
        }
        while loki.streams.len() > self.limits.max_streams {
            let Some((_, oldest)) = loki.recency.pop_first() else { break };
            loki.streams.remove(&oldest);
        }
    }

    /// Visits, stream by stream, the entries with `start_ns <= ts < end_ns` of every stream whose labels
    /// satisfy `select`, in `direction` order within each stream. `visit` returns false to skip the rest of
    /// that stream.
    /// Runs under the store's read lock: keep `visit` quick and never await in it.
    pub fn for_each_in_window(
        &self,
        select: impl Fn(&Labels) -> bool,
        start_ns: i64,
        end_ns: i64,
        direction: Direction,
        mut visit: impl FnMut(&Arc<Labels>, &LogEntry) -> bool,
    ) {
        let loki = self.loki_read();
        for stream in loki.streams.values().filter(|s| select(&s.labels)) {
            visit_window(stream, start_ns, end_ns, direction, &mut visit);
        }
    }

    /// The label sets of the streams that satisfy `select` and hold an entry in `start_ns..end_ns`, sorted.
    pub fn series(&self, select: impl Fn(&Labels) -> bool, start_ns: i64, end_ns: i64) -> Vec<Labels> {
        let loki = self.loki_read();
        let mut out: Vec<Labels> = loki
            .streams
            .values()
            .filter(|s| overlaps(s, start_ns, end_ns) && select(&s.labels))
            .map(|s| (*s.labels).clone())
            .collect();
        out.sort();
        out
    }

    /// Label names of the streams that satisfy `select` and hold an entry in `start_ns..end_ns`, sorted.
    pub fn label_names(&self, select: impl Fn(&Labels) -> bool, start_ns: i64, end_ns: i64) -> Vec<String> {
        let loki = self.loki_read();
        let mut names: Vec<String> = loki
            .streams
            .values()
            .filter(|s| overlaps(s, start_ns, end_ns) && select(&s.labels))
            .flat_map(|s| s.labels.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Values of label `name` among the streams that satisfy `select` and hold an entry in
    /// `start_ns..end_ns`, sorted.
    pub fn label_values(
        &self,
        name: &str,
        select: impl Fn(&Labels) -> bool,
        start_ns: i64,
        end_ns: i64,
    ) -> Vec<String> {
        let loki = self.loki_read();
        let mut values: Vec<String> = loki
            .streams
            .values()
            .filter(|s| overlaps(s, start_ns, end_ns) && select(&s.labels))
            .filter_map(|s| s.labels.get(name).cloned())
            .collect();
        values.sort();
        values.dedup();
        values
    }

    /// Starts a tail: visits (newest first, stream by stream, like `for_each_in_window` backward) the stored
    /// entries with ts >= `start_ns` of the streams that satisfy `select`, and returns a receiver of every
    /// line stored afterwards (of every stream: the tail filters). Both happen under one lock, so nothing is
    /// missed or doubled.
    pub fn tail_from(
        &self,
        select: impl Fn(&Labels) -> bool,
        start_ns: i64,
        visit: impl FnMut(&Arc<Labels>, &LogEntry) -> bool,
    ) -> broadcast::Receiver<TailEntry> {
        let loki = self.loki_read();
        let mut visit = visit;
        for stream in loki.streams.values().filter(|s| select(&s.labels)) {
            visit_window(stream, start_ns, i64::MAX, Direction::Backward, &mut visit);
        }
        loki.tail.subscribe()
    }

    /// Number of Loki streams held.
    pub fn stream_count(&self) -> usize {
        self.loki_read().streams.len()
    }

    // A poisoned lock only means another thread panicked mid-update; the data is still usable logs.
    fn pods(&self) -> MutexGuard<'_, HashMap<PodLogKey, PodRing>> {
        self.pods.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn loki_read(&self) -> RwLockReadGuard<'_, Loki> {
        self.loki.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn loki_write(&self) -> RwLockWriteGuard<'_, Loki> {
        self.loki.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `kubectl logs` semantics: first drop lines before `since_ns`, then keep the last `tail`.
fn select_pod_lines(
    entries: &VecDeque<LogEntry>,
    tail: Option<usize>,
    since_ns: Option<i64>,
) -> Vec<LogEntry> {
    let since: Vec<&LogEntry> = entries.iter().filter(|e| since_ns.is_none_or(|s| e.ts_ns >= s)).collect();
    let skip = tail.map_or(0, |t| since.len().saturating_sub(t));
    since.into_iter().skip(skip).cloned().collect()
}

/// Inserts keeping timestamp order; false if the same (timestamp, line) is already there.
fn insert_sorted(entries: &mut VecDeque<LogEntry>, entry: &LogEntry) -> bool {
    // Fast path: lines almost always arrive in order.
    if entries.back().is_none_or(|last| last.ts_ns < entry.ts_ns) {
        entries.push_back(entry.clone());
        return true;
    }
    let first_equal = entries.partition_point(|e| e.ts_ns < entry.ts_ns);
    let after_equal = entries.partition_point(|e| e.ts_ns <= entry.ts_ns);
    if entries.range(first_equal..after_equal).any(|e| e.line == entry.line) {
        return false;
    }
    entries.insert(after_equal, entry.clone());
    true
}

fn overlaps(stream: &Stream, start_ns: i64, end_ns: i64) -> bool {
    match (stream.entries.front(), stream.entries.back()) {
        (Some(first), Some(last)) => first.ts_ns < end_ns && last.ts_ns >= start_ns,
        _ => false,
    }
}

fn visit_window(
    stream: &Stream,
    start_ns: i64,
    end_ns: i64,
    direction: Direction,
    visit: &mut impl FnMut(&Arc<Labels>, &LogEntry) -> bool,
) {
    let from = stream.entries.partition_point(|e| e.ts_ns < start_ns);
    let to = stream.entries.partition_point(|e| e.ts_ns < end_ns);
    if from >= to {
        return;
    }
    let window = stream.entries.range(from..to);
    match direction {
        Direction::Forward => {
            for entry in window {
                if !visit(&stream.labels, entry) {
                    return;
                }
            }
        }
        Direction::Backward => {
            for entry in window.rev() {
                if !visit(&stream.labels, entry) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn key(pod: &str) -> PodLogKey {
        PodLogKey { namespace: "payments".into(), pod: pod.into(), container: "api".into() }
    }

    fn entry(ts_ns: i64, line: &str) -> LogEntry {
        LogEntry { ts_ns, line: Arc::from(line) }
    }

    fn window(
        store: &LogStore,
        select: impl Fn(&Labels) -> bool,
        direction: Direction,
    ) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        store.for_each_in_window(select, i64::MIN, i64::MAX, direction, |_, e| {
            out.push((e.ts_ns, e.line.to_string()));
            true
        });
        out
    }

    #[test]
    fn pod_lines_honour_since_then_tail() {
        let store = LogStore::default();
        let l = labels(&[("namespace", "payments"), ("pod", "a")]);
        for i in 0..10 {
            store.append_pod_line(&key("a"), &l, 100 + i, &format!("line {i}"));
        }
        let all = store.pod_lines(&key("a"), None, None);
        assert_eq!(all.len(), 10);
        assert_eq!(&*all[0].line, "line 0");
        let last3 = store.pod_lines(&key("a"), Some(3), None);
        assert_eq!(last3.iter().map(|e| e.ts_ns).collect::<Vec<_>>(), vec![107, 108, 109]);
        let since = store.pod_lines(&key("a"), Some(100), Some(108));
        assert_eq!(since.iter().map(|e| e.ts_ns).collect::<Vec<_>>(), vec![108, 109]);
        assert!(store.pod_lines(&key("other"), None, None).is_empty());
    }

    #[test]
    fn pod_ring_and_streams_are_bounded() {
        let store = LogStore::new(LogLimits { lines_per_pod: 3, lines_per_stream: 4, max_streams: 2 });
        let l = labels(&[("pod", "a")]);
        for i in 0..10 {
            store.append_pod_line(&key("a"), &l, i, &format!("{i}"));
        }
        let kept: Vec<i64> = store.pod_lines(&key("a"), None, None).iter().map(|e| e.ts_ns).collect();
        assert_eq!(kept, vec![7, 8, 9]);
        let stream: Vec<i64> = window(&store, |_| true, Direction::Forward).iter().map(|e| e.0).collect();
        assert_eq!(stream, vec![6, 7, 8, 9]);

        // A third stream pushes out the least recently written one (`b`, since `a` was written after it).
        store.push(&labels(&[("pod", "b")]), vec![entry(1, "b")]);
        store.push(&l, vec![entry(20, "a again")]);
        store.push(&labels(&[("pod", "c")]), vec![entry(1, "c")]);
        assert_eq!(store.stream_count(), 2);
        let pods = store.label_values("pod", |_| true, i64::MIN, i64::MAX);
        assert_eq!(pods, vec!["a", "c"]);
    }

    #[test]
    fn streams_stay_sorted_and_deduplicated() {
        let store = LogStore::default();
        let l = labels(&[("app", "api")]);
        store.push(&l, vec![entry(30, "c"), entry(10, "a"), entry(20, "b")]);
        store.push(&l, vec![entry(20, "b"), entry(20, "b2"), entry(10, "a")]);
        let forward = window(&store, |_| true, Direction::Forward);
        let expected: Vec<(i64, String)> =
            vec![(10, "a".into()), (20, "b".into()), (20, "b2".into()), (30, "c".into())];
        assert_eq!(forward, expected);
        let backward = window(&store, |_| true, Direction::Backward);
        assert_eq!(backward.first(), Some(&(30, "c".to_string())));
    }

    #[test]
    fn windows_are_start_inclusive_end_exclusive() {
        let store = LogStore::default();
        let l = labels(&[("app", "api")]);
        store.push(&l, (0..10).map(|i| entry(i * 10, "x")).collect());
        let mut seen = Vec::new();
        store.for_each_in_window(
            |_| true,
            20,
            50,
            Direction::Forward,
            |_, e| {
                seen.push(e.ts_ns);
                true
            },
        );
        assert_eq!(seen, vec![20, 30, 40]);
        assert_eq!(store.series(|_| true, 95, 200), Vec::<Labels>::new());
        assert_eq!(store.series(|_| true, 90, 200), vec![l.clone()]);
        assert_eq!(store.label_names(|_| true, 0, 1), vec!["app"]);
    }

    #[test]
    fn visiting_can_stop_a_stream_early() {
        let store = LogStore::default();
        store.push(&labels(&[("app", "a")]), (0..5).map(|i| entry(i, "a")).collect());
        store.push(&labels(&[("app", "b")]), (0..5).map(|i| entry(i, "b")).collect());
        let mut seen = 0;
        store.for_each_in_window(
            |_| true,
            0,
            100,
            Direction::Backward,
            |_, _| {
                seen += 1;
                seen % 2 != 0
            },
        );
        assert_eq!(seen, 4, "two entries from each stream");
    }

    #[test]
    fn label_queries_respect_the_selector() {
        let store = LogStore::default();
        store.push(&labels(&[("namespace", "payments"), ("app", "api")]), vec![entry(1, "x")]);
        store.push(&labels(&[("namespace", "billing"), ("job", "billing/worker")]), vec![entry(1, "y")]);
        let payments = |l: &Labels| l.get("namespace").is_some_and(|v| v == "payments");
        assert_eq!(store.label_names(payments, 0, 10), vec!["app", "namespace"]);
        assert_eq!(store.label_names(|_| true, 0, 10), vec!["app", "job", "namespace"]);
        assert_eq!(store.label_values("namespace", |_| true, 0, 10), vec!["billing", "payments"]);
        assert!(store.label_values("nope", |_| true, 0, 10).is_empty());
    }

    #[tokio::test]
    async fn follow_snapshot_and_live_lines_neither_miss_nor_double() {
        let store = Arc::new(LogStore::default());
        let l = labels(&[("pod", "a")]);
        let writer = {
            let store = store.clone();
            let l = l.clone();
            tokio::task::spawn_blocking(move || {
                for i in 0..500 {
                    store.append_pod_line(&key("a"), &l, i, &format!("{i}"));
                }
            })
        };
        // Subscribe while the writer runs: the snapshot plus the live lines must be exactly 0..500.
        tokio::task::yield_now().await;
        let (snapshot, mut rx) = store.pod_follow(&key("a"), None, None);
        let mut seen: Vec<i64> = snapshot.iter().map(|e| e.ts_ns).collect();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while seen.len() < 500 {
            let got = tokio::time::timeout_at(deadline, rx.recv()).await;
            match got {
                Ok(Ok(e)) => seen.push(e.ts_ns),
                other => panic!("follow stopped early: {other:?}"),
            }
        }
        writer.await.unwrap();
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn forgetting_a_pod_closes_its_followers_but_keeps_loki_streams() {
        let store = LogStore::default();
        let l = labels(&[("pod", "a")]);
        store.append_pod_line(&key("a"), &l, 1, "hello");
        let (_, mut rx) = store.pod_follow(&key("a"), None, None);
        store.forget_pod("payments", "a");
        assert!(matches!(rx.recv().await, Err(broadcast::error::RecvError::Closed)));
        assert!(store.pod_lines(&key("a"), None, None).is_empty());
        assert_eq!(window(&store, |_| true, Direction::Forward).len(), 1);
    }

    #[tokio::test]
    async fn tail_gets_history_then_only_new_lines() {
        let store = LogStore::default();
        let api = labels(&[("app", "api")]);
        store.push(&api, vec![entry(5, "old"), entry(10, "recent"), entry(12, "newest")]);
        let mut history = Vec::new();
        let mut rx = store.tail_from(
            |l| l.get("app").is_some_and(|v| v == "api"),
            10,
            |_, e| {
                history.push(e.line.to_string());
                true
            },
        );
        assert_eq!(history, vec!["newest", "recent"], "newest first, nothing before start");
        store.push(&api, vec![entry(10, "recent")]); // a duplicate: not stored, not tailed
        store.push(&api, vec![entry(11, "late but new")]);
        let got = rx.recv().await.unwrap();
        assert_eq!(&*got.entry.line, "late but new");
        assert_eq!(got.labels.get("app").map(String::as_str), Some("api"));
        assert!(rx.try_recv().is_err());
    }
}
