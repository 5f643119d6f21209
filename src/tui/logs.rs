//! The log view's state: the Loki query of one service and the newest lines the source delivered.

use std::sync::Arc;

use crate::platform::ServiceKey;
use crate::platform::logline::LogLine;

#[derive(Debug, Clone, PartialEq)]
pub struct LogsPane {
    pub service: ServiceKey,
    pub query: String,
    /// The newest lines, oldest first (the source keeps the full ring; the UI holds what it shows).
    pub lines: Vec<Arc<LogLine>>,
    /// Lines the bounded buffer evicted, and lines Loki said it dropped.
    pub dropped_overflow: u64,
    pub dropped_upstream: u64,
    /// Backfilling, live, reconnecting (attempt, error) — or why there is no source.
    pub status: String,
    /// Rows scrolled up from the newest; 0 follows the tail.
    pub scroll: usize,
}

impl LogsPane {
    pub fn new(service: ServiceKey, query: String) -> Self {
        Self {
            service,
            query,
            lines: Vec::new(),
            dropped_overflow: 0,
            dropped_upstream: 0,
            status: "connecting".into(),
            scroll: 0,
        }
    }

    /// Lines passing the filter, oldest first.
    pub fn visible<'a>(&'a self, filter: &'a str) -> impl Iterator<Item = &'a Arc<LogLine>> + 'a {
        self.lines.iter().filter(move |l| l.matches(filter))
    }
}
