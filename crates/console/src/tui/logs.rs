//! The log view's state: the Loki query of one service, the newest lines the source delivered, how they
//! are shown (columns, timestamps, wrap), the backfill window, and the log view's own prompts.

use std::sync::Arc;

use platdeck_core::platform::ServiceKey;
use platdeck_core::platform::logfilter::LogFilter;
use platdeck_core::platform::logline::LogLine;
use platdeck_core::platform::logwindow::LogWindow;

/// A line being typed in the log view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogPrompt {
    /// The LogQL query, prefilled with the current one; Enter checks it with Loki and restarts the source.
    EditQuery(String),
    /// Where to save the visible lines (`.json`/`.jsonl` for JSON lines, anything else plain text).
    SavePath(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogsPane {
    pub service: ServiceKey,
    pub query: String,
    /// The newest lines, oldest first (the source keeps the full ring; the UI holds what it shows).
    pub lines: Vec<Arc<LogLine>>,
    /// Lines the bounded buffer evicted, and lines Loki said it dropped.
    pub dropped_overflow: u64,
    pub dropped_upstream: u64,
    /// Backfilling, live, reconnecting (attempt, error), pod logs (and why) — or why there is no source.
    pub status: String,
    /// Rows scrolled up from the newest; 0 follows the tail.
    pub scroll: usize,
    /// How far back the source started.
    pub window: LogWindow,
    /// Show the request columns (method, path, status, duration).
    pub show_fields: bool,
    pub show_time: bool,
    /// Wrap long messages over several rows instead of cutting them.
    pub wrap: bool,
    pub prompt: Option<LogPrompt>,
    /// The Grafana Explore link on show (a popup), when asked for.
    pub explore: Option<String>,
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
            window: LogWindow::default(),
            show_fields: true,
            show_time: true,
            wrap: false,
            prompt: None,
            explore: None,
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

    /// Forgets the lines of the previous source (a new query or window starts afresh).
    pub fn restart(&mut self) {
        self.lines.clear();
        self.scroll = 0;
        self.dropped_overflow = 0;
        self.dropped_upstream = 0;
        self.status = "connecting".into();
    }
}
