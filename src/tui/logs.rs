//! The log view's state: the Loki query of one service and the newest lines the source delivered.

use std::sync::Arc;

use crate::platform::ServiceKey;
use crate::platform::logfilter::LogFilter;
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

    /// Lines passing the filter (see `LogFilter` for its language), oldest first. A filter that does
    /// not parse (a bad regex) keeps every line; `filter_error` says why.
    pub fn visible<'a>(&'a self, filter: &str) -> impl Iterator<Item = &'a Arc<LogLine>> + 'a {
        let filter = LogFilter::parse(filter).unwrap_or_default();
        self.lines.iter().filter(move |l| filter.matches(l))
    }

    pub fn filter_error(filter: &str) -> Option<String> {
        LogFilter::parse(filter).err()
    }
}
