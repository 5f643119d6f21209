//! A bounded, timestamp-ordered ring of log entries shared between a log source and the UI. Each line is
//! parsed once, by the source's task as it arrives (outside the lock); the UI only clones `Arc`s.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use platdeck_core::platform::logline::{self, LogLine};

/// Default number of entries a [`LogBuffer`] keeps.
pub const DEFAULT_CAPACITY: usize = 50_000;

/// One log line with its stream labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogEntry {
    pub ts_ns: i64,
    pub labels: Arc<BTreeMap<String, String>>,
    pub line: String,
}

/// What the ring holds per line: the labels and the parsed line (which keeps the raw text).
#[derive(Debug)]
struct Stored {
    labels: Arc<BTreeMap<String, String>>,
    line: Arc<LogLine>,
}

impl Stored {
    fn new(entry: LogEntry) -> Self {
        let pod = entry.labels.get("pod").map_or("", String::as_str);
        let line = Arc::new(logline::parse(entry.ts_ns, pod, &entry.line));
        Self { labels: entry.labels, line }
    }

    fn ts_ns(&self) -> i64 {
        self.line.ts_ns
    }

    fn entry(&self) -> LogEntry {
        LogEntry { ts_ns: self.line.ts_ns, labels: self.labels.clone(), line: self.line.raw.clone() }
    }
}

#[derive(Debug, Default)]
struct Inner {
    entries: VecDeque<Stored>,
    dropped_overflow: u64,
    dropped_upstream: u64,
}

/// Bounded ring kept in timestamp order; readers subscribe to a version counter.
#[derive(Debug)]
pub struct LogBuffer {
    capacity: usize,
    inner: Mutex<Inner>,
    version: watch::Sender<u64>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    /// A buffer holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), inner: Mutex::new(Inner::default()), version: watch::channel(0).0 }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Inserts entries, each at its place in timestamp order (after equal timestamps), evicting the oldest
    /// entries beyond the capacity.
    pub fn insert_many(&self, entries: impl IntoIterator<Item = LogEntry>) {
        // Parse before taking the lock, so the UI never waits on parsing.
        let parsed: Vec<Stored> = entries.into_iter().map(Stored::new).collect();
        let changed = !parsed.is_empty();
        {
            let mut inner = self.lock();
            for entry in parsed {
                let at = match inner.entries.back() {
                    Some(last) if last.ts_ns() > entry.ts_ns() => {
                        inner.entries.partition_point(|e| e.ts_ns() <= entry.ts_ns())
                    }
                    _ => inner.entries.len(),
                };
                inner.entries.insert(at, entry);
                while inner.entries.len() > self.capacity {
                    inner.entries.pop_front();
                    inner.dropped_overflow += 1;
                }
            }
        }
        if changed {
            self.bump();
        }
    }

    /// Inserts one entry in timestamp order.
    pub fn insert(&self, entry: LogEntry) {
        self.insert_many(std::iter::once(entry));
    }

    /// Adds to the count of entries the upstream reported as dropped.
    pub fn add_dropped_upstream(&self, n: u64) {
        if n > 0 {
            self.lock().dropped_upstream += n;
            self.bump();
        }
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().entries.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries evicted by the capacity.
    pub fn dropped_overflow(&self) -> u64 {
        self.lock().dropped_overflow
    }

    /// Entries the upstream reported as dropped (Loki's `dropped_entries`).
    pub fn dropped_upstream(&self) -> u64 {
        self.lock().dropped_upstream
    }

    /// The newest `n` entries, oldest first.
    pub fn snapshot_tail(&self, n: usize) -> Vec<LogEntry> {
        let inner = self.lock();
        let skip = inner.entries.len().saturating_sub(n);
        inner.entries.iter().skip(skip).map(Stored::entry).collect()
    }

    /// Every entry held, oldest first.
    pub fn all(&self) -> Vec<LogEntry> {
        self.lock().entries.iter().map(Stored::entry).collect()
    }

    /// The newest `n` parsed lines, oldest first (parsed when they arrived; only `Arc`s are cloned).
    pub fn lines_tail(&self, n: usize) -> Vec<Arc<LogLine>> {
        let inner = self.lock();
        let skip = inner.entries.len().saturating_sub(n);
        inner.entries.iter().skip(skip).map(|s| s.line.clone()).collect()
    }

    /// Tells readers to look again without a new line (the source's state changed).
    pub fn notify(&self) {
        self.bump();
    }

    /// A receiver whose value changes whenever the buffer does.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// The current version.
    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts: i64, line: &str) -> LogEntry {
        LogEntry { ts_ns: ts, labels: Arc::new(BTreeMap::new()), line: line.to_string() }
    }

    fn lines(buffer: &LogBuffer) -> Vec<String> {
        buffer.all().into_iter().map(|e| e.line).collect()
    }

    #[test]
    fn keeps_timestamp_order() {
        let buffer = LogBuffer::new(10);
        buffer.insert_many([entry(1, "a"), entry(2, "b"), entry(3, "c")]);
        assert_eq!(lines(&buffer), ["a", "b", "c"]);
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.snapshot_tail(2).into_iter().map(|e| e.line).collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(buffer.snapshot_tail(99).len(), 3);
    }

    #[test]
    fn inserts_out_of_order_entries_in_place() {
        let buffer = LogBuffer::new(10);
        buffer.insert_many([entry(10, "x"), entry(30, "z")]);
        buffer.insert(entry(20, "y"));
        buffer.insert(entry(5, "w"));
        buffer.insert(entry(20, "y2"));
        assert_eq!(lines(&buffer), ["w", "x", "y", "y2", "z"]);
    }

    #[test]
    fn evicts_oldest_and_counts() {
        let buffer = LogBuffer::new(3);
        let before = buffer.version();
        buffer.insert_many((0..5).map(|i| entry(i, &format!("l{i}"))));
        assert_eq!(lines(&buffer), ["l2", "l3", "l4"]);
        assert_eq!(buffer.dropped_overflow(), 2);
        assert!(buffer.version() > before);
        // An entry older than everything held is inserted then evicted at once.
        buffer.insert(entry(-1, "old"));
        assert_eq!(lines(&buffer), ["l2", "l3", "l4"]);
        assert_eq!(buffer.dropped_overflow(), 3);
        buffer.add_dropped_upstream(4);
        assert_eq!(buffer.dropped_upstream(), 4);
    }

    #[test]
    fn lines_are_parsed_once_on_arrival() {
        let buffer = LogBuffer::new(10);
        let labels = Arc::new(BTreeMap::from([("pod".to_string(), "api-1".to_string())]));
        buffer.insert(LogEntry { ts_ns: 7, labels, line: r#"{"level":"ERROR","msg":"boom"}"#.into() });
        let first = buffer.lines_tail(5);
        assert_eq!(
            (first[0].level.as_str(), first[0].pod.as_str(), first[0].msg.as_str()),
            ("error", "api-1", "boom")
        );
        assert!(Arc::ptr_eq(&first[0], &buffer.lines_tail(1)[0]), "the same parsed line, not a re-parse");
        assert_eq!(buffer.all()[0].line, r#"{"level":"ERROR","msg":"boom"}"#);
    }
}
