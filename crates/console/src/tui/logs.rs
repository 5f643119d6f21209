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

#[derive(Debug, Clone)]
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
    /// Lines passing the filter (indices into `lines`, oldest first), derived by `refresh`.
    pub visible: Vec<usize>,
    /// Why the filter does not parse (every line is then shown).
    pub filter_error: Option<String>,
    /// The compiled filter and the text it was compiled from.
    filter: Arc<LogFilter>,
    filter_text: Option<String>,
    /// Counts deliveries of lines, so `refresh` knows `visible` is stale.
    lines_revision: u64,
    visible_for: Option<u64>,
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
            visible: Vec::new(),
            filter_error: None,
            filter: Arc::new(LogFilter::default()),
            filter_text: None,
            lines_revision: 0,
            visible_for: None,
        }
    }

    /// Takes the newest lines the source delivered.
    pub fn set_lines(&mut self, lines: Vec<Arc<LogLine>>) {
        self.lines = lines;
        self.lines_revision += 1;
    }

    /// Compiles the filter when its text changed and derives the visible lines when the filter or the
    /// lines changed (see `LogFilter` for its language). A filter that does not parse (a bad regex)
    /// keeps every line; `filter_error` says why.
    pub fn refresh(&mut self, filter: &str) {
        if self.filter_text.as_deref() != Some(filter) {
            let (compiled, error) = match LogFilter::parse(filter) {
                Ok(f) => (f, None),
                Err(e) => (LogFilter::default(), Some(e)),
            };
            self.filter = Arc::new(compiled);
            self.filter_error = error;
            self.filter_text = Some(filter.to_string());
            self.visible_for = None;
        }
        if self.visible_for != Some(self.lines_revision) {
            let filter = &self.filter;
            self.visible =
                self.lines.iter().enumerate().filter(|(_, l)| filter.matches(l)).map(|(i, _)| i).collect();
            self.visible_for = Some(self.lines_revision);
        }
    }

    /// The visible lines, oldest first.
    pub fn visible_lines(&self) -> impl Iterator<Item = &Arc<LogLine>> + '_ {
        self.visible.iter().filter_map(|&i| self.lines.get(i))
    }

    /// Forgets the lines of the previous source (a new query or window starts afresh).
    pub fn restart(&mut self) {
        self.set_lines(Vec::new());
        self.scroll = 0;
        self.dropped_overflow = 0;
        self.dropped_upstream = 0;
        self.status = "connecting".into();
    }
}
