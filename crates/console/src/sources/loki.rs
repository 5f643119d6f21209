//! Loki log source: backfill with `query_range`, then follow the websocket tail, merged into one ordered,
//! de-duplicated stream in a [`LogBuffer`]. Survives websocket drops by reconnecting with backoff and
//! resuming from the last timestamp delivered.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use futures::StreamExt as _;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::CancellationToken;

pub use super::log_buffer::{LogBuffer, LogEntry};
use crate::config::{ConfigError, LokiAuth, LokiConfig};
use platdeck_core::platform::logwindow::{LAST_LINES, LogWindow};

const HOUR_NS: i64 = 3_600_000_000_000;
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Lines asked of each tail connection's lookback (Loki's default `max_entries_limit`).
const TAIL_LIMIT: usize = 5000;
const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// Keys remembered for de-duplication.
const DEDUP_CAPACITY: usize = 100_000;
/// Entries asked per `query_range` page when backfilling a time window (Loki's default `max_entries_limit`).
const PAGE_LIMIT: usize = 5000;

type Labels = BTreeMap<String, String>;

/// Where Loki is and how to authenticate. `Debug` redacts the secrets.
#[derive(Clone, Default)]
pub struct LokiClientConfig {
    pub url: String,
    pub tenant: Option<String>,
    pub bearer: Option<String>,
    pub basic: Option<(String, String)>,
}

impl fmt::Debug for LokiClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LokiClientConfig")
            .field("url", &self.url)
            .field("tenant", &self.tenant)
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("basic", &self.basic.as_ref().map(|(user, _)| (user.as_str(), "<redacted>")))
            .finish()
    }
}

impl LokiClientConfig {
    /// The client settings of the config's `loki` section for the Loki at `url`: tenant, and the
    /// credentials resolved from their secrets.
    pub fn from_config(url: String, loki: &LokiConfig) -> Result<Self, ConfigError> {
        let (bearer, basic) = match &loki.auth {
            LokiAuth::None => (None, None),
            LokiAuth::Bearer { token } => (token.resolve()?, None),
            LokiAuth::Basic { username, password } => {
                (None, password.resolve()?.map(|p| (username.clone(), p)))
            }
        };
        Ok(Self { url, tenant: loki.tenant.clone(), bearer, basic })
    }

    /// Header name/value pairs for every request (tenant and authorization); authorization values are
    /// marked sensitive.
    pub fn headers(&self) -> Result<Vec<(&'static str, reqwest::header::HeaderValue)>, LokiError> {
        use reqwest::header::HeaderValue;
        let mut out = Vec::new();
        if let Some(tenant) = &self.tenant {
            let value =
                HeaderValue::from_str(tenant).map_err(|_| LokiError::Config("invalid tenant id".into()))?;
            out.push(("X-Scope-OrgID", value));
        }
        let auth = if let Some(token) = &self.bearer {
            Some(format!("Bearer {token}"))
        } else {
            self.basic.as_ref().map(|(user, pass)| {
                let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
                format!("Basic {encoded}")
            })
        };
        if let Some(auth) = auth {
            let mut value = HeaderValue::from_str(&auth)
                .map_err(|_| LokiError::Config("credentials contain invalid header characters".into()))?;
            value.set_sensitive(true);
            out.push(("Authorization", value));
        }
        Ok(out)
    }

    fn endpoint(
        &self,
        path: &str,
        params: &[(&str, String)],
        websocket: bool,
    ) -> Result<url::Url, LokiError> {
        let mut url = url::Url::parse(self.url.trim_end_matches('/'))
            .map_err(|e| LokiError::Config(format!("invalid Loki url: {e}")))?;
        if websocket {
            let scheme = match url.scheme() {
                "https" | "wss" => "wss",
                _ => "ws",
            };
            url.set_scheme(scheme).map_err(|()| LokiError::Config("cannot make a websocket url".into()))?;
        }
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        url.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        Ok(url)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LokiError {
    #[error("{0}")]
    Config(String),
    #[error("Loki request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Loki answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("Loki tail websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    #[error("Loki tail connect timed out")]
    ConnectTimeout,
    #[error("Loki tail closed: {0}")]
    Closed(String),
    #[error("cannot decode Loki response: {0}")]
    Decode(String),
}

/// Connection state for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailState {
    Backfilling,
    Live,
    Reconnecting {
        attempt: u32,
        error: String,
    },
    /// The first backfill could not reach Loki (connection, timeout, 5xx): the follow has ended.
    Unreachable(String),
    /// Loki refused the query (4xx, e.g. a LogQL parse error): the follow has ended.
    Rejected(String),
}

impl LokiError {
    /// The error in a few words for a status line: the root cause, without the request's URL and query.
    pub fn brief(&self) -> String {
        match self {
            LokiError::Http(e) => {
                let mut cause: &dyn std::error::Error = e;
                while let Some(next) = cause.source() {
                    cause = next;
                }
                let what = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "cannot connect"
                } else {
                    "request failed"
                };
                if std::ptr::addr_eq(cause, e as &dyn std::error::Error) {
                    what.to_string()
                } else {
                    format!("{what}: {cause}")
                }
            }
            other => other.to_string(),
        }
    }

    /// Whether the error says Loki cannot be reached, as opposed to Loki refusing the request.
    pub fn is_unreachable(&self) -> bool {
        match self {
            LokiError::Http(e) => e.is_connect() || e.is_timeout() || e.is_request(),
            LokiError::Status { status, .. } => *status >= 500,
            LokiError::Ws(_) | LokiError::ConnectTimeout | LokiError::Closed(_) => true,
            LokiError::Config(_) | LokiError::Decode(_) => false,
        }
    }
}

#[derive(Deserialize)]
struct StreamJson {
    #[serde(default)]
    stream: Labels,
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
struct QueryData {
    #[serde(default)]
    result: Vec<StreamJson>,
}

#[derive(Deserialize)]
struct QueryResponse {
    data: QueryData,
}

#[derive(Deserialize)]
struct TailFrame {
    #[serde(default)]
    streams: Option<Vec<StreamJson>>,
    #[serde(default)]
    dropped_entries: Option<Vec<Value>>,
}

fn entries_of(streams: Vec<StreamJson>) -> Result<Vec<LogEntry>, LokiError> {
    let mut out = Vec::new();
    for stream in streams {
        let labels = Arc::new(stream.stream);
        for value in stream.values {
            let ts = value.first().and_then(Value::as_str).and_then(|s| s.parse::<i64>().ok());
            let line = value.get(1).and_then(Value::as_str);
            let (Some(ts_ns), Some(line)) = (ts, line) else {
                return Err(LokiError::Decode("a value is not [\"<ns>\", \"<line>\"]".into()));
            };
            out.push(LogEntry { ts_ns, labels: labels.clone(), line: line.to_string() });
        }
    }
    out.sort_by_key(|e| e.ts_ns);
    Ok(out)
}

fn now_ns() -> i64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

/// Keys `(ts, labels, line)` already delivered, bounded; oldest timestamps are forgotten first.
#[derive(Default)]
struct Delivered {
    by_ts: BTreeMap<i64, HashSet<(Arc<Labels>, String)>>,
    count: usize,
}

impl Delivered {
    /// Records the entry; false when it was already delivered.
    fn admit(&mut self, entry: &LogEntry) -> bool {
        let set = self.by_ts.entry(entry.ts_ns).or_default();
        if !set.insert((entry.labels.clone(), entry.line.clone())) {
            return false;
        }
        self.count += 1;
        while self.count > DEDUP_CAPACITY && self.by_ts.len() > 1 {
            if let Some((_, oldest)) = self.by_ts.pop_first() {
                self.count -= oldest.len();
            }
        }
        true
    }

    fn max_ts(&self) -> Option<i64> {
        self.by_ts.last_key_value().map(|(ts, _)| *ts)
    }
}

struct Backoff {
    delay: Duration,
    attempt: u32,
}

impl Backoff {
    fn reset(&mut self) {
        self.delay = BACKOFF_START;
        self.attempt = 0;
    }
}

struct Follower {
    config: LokiClientConfig,
    query: String,
    buffer: Arc<LogBuffer>,
    state: watch::Sender<TailState>,
    token: CancellationToken,
    delivered: Delivered,
    backoff: Backoff,
}

impl Follower {
    /// Hands the entries not delivered before to the buffer; returns how many that was.
    fn deliver(&mut self, entries: Vec<LogEntry>) -> usize {
        let fresh: Vec<LogEntry> = entries.into_iter().filter(|e| self.delivered.admit(e)).collect();
        let count = fresh.len();
        self.buffer.insert_many(fresh);
        count
    }

    /// One `query_range` request; entries oldest first.
    async fn fetch(
        config: &LokiClientConfig,
        client: &reqwest::Client,
        query: &str,
        limit: usize,
        start: i64,
        end: Option<i64>,
    ) -> Result<Vec<LogEntry>, LokiError> {
        let mut params = vec![
            ("query", query.to_string()),
            ("limit", limit.to_string()),
            ("direction", "backward".to_string()),
            ("start", start.to_string()),
        ];
        if let Some(end) = end {
            params.push(("end", end.to_string()));
        }
        let url = config.endpoint("/loki/api/v1/query_range", &params, false)?;
        let mut request = client.get(url);
        for (name, value) in config.headers()? {
            request = request.header(name, value);
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(LokiError::Status {
                status: status.as_u16(),
                body: body.trim().chars().take(500).collect(),
            });
        }
        let body: QueryResponse = response.json().await?;
        entries_of(body.data.result)
    }

    /// Backfills the window: the newest lines, or every line of a time window fetched newest first in
    /// pages (Loki caps each answer) until the window or the buffer's capacity is covered.
    async fn backfill(&mut self, client: &reqwest::Client, window: LogWindow) -> Result<i64, LokiError> {
        let now = now_ns();
        let Some(seconds) = window.seconds() else {
            let start = now.saturating_sub(HOUR_NS);
            let entries = Self::fetch(&self.config, client, &self.query, LAST_LINES, start, None).await?;
            self.deliver(entries);
            return Ok(start);
        };
        let start = now.saturating_sub(i64::try_from(seconds).unwrap_or(0).saturating_mul(1_000_000_000));
        let mut end = None;
        let mut total = 0usize;
        loop {
            let page = Self::fetch(&self.config, client, &self.query, PAGE_LIMIT, start, end).await?;
            let full = page.len() >= PAGE_LIMIT;
            let Some(oldest) = page.first().map(|e| e.ts_ns) else { break };
            total += self.deliver(page);
            // `end` is exclusive: the next page ends just after the oldest timestamp seen, so lines sharing
            // it are asked again and de-duplicated rather than skipped.
            let next_end = oldest.saturating_add(1);
            if !full || total >= self.buffer.capacity() || end == Some(next_end) {
                break;
            }
            end = Some(next_end);
        }
        Ok(start)
    }

    /// One tail connection, until it closes or fails. `Ok` only when cancelled.
    async fn tail_once(&mut self, start: i64) -> Result<(), LokiError> {
        let params =
            [("query", self.query.clone()), ("start", start.to_string()), ("limit", TAIL_LIMIT.to_string())];
        let url = self.config.endpoint("/loki/api/v1/tail", &params, true)?;
        let mut request = url.as_str().into_client_request()?;
        for (name, value) in self.config.headers()? {
            let value = tungstenite::http::HeaderValue::from_bytes(value.as_bytes())
                .map_err(|_| LokiError::Config("invalid header value".into()))?;
            request.headers_mut().insert(name, value);
        }
        let connect = tokio_tungstenite::connect_async(request);
        let (mut ws, _) = tokio::select! {
            _ = self.token.cancelled() => return Ok(()),
            connected = tokio::time::timeout(HTTP_TIMEOUT, connect) => {
                connected.map_err(|_| LokiError::ConnectTimeout)??
            }
        };
        loop {
            let message = tokio::select! {
                _ = self.token.cancelled() => {
                    let _ = ws.close(None).await;
                    return Ok(());
                }
                message = ws.next() => message,
            };
            match message {
                None => return Err(LokiError::Closed("connection ended".into())),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Close(frame))) => {
                    let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                    return Err(LokiError::Closed(if reason.is_empty() {
                        "closed by Loki".into()
                    } else {
                        reason
                    }));
                }
                Some(Ok(Message::Text(text))) => {
                    let frame: TailFrame =
                        serde_json::from_str(text.as_str()).map_err(|e| LokiError::Decode(e.to_string()))?;
                    let dropped = frame.dropped_entries.map_or(0, |d| d.len());
                    self.buffer.add_dropped_upstream(u64::try_from(dropped).unwrap_or(u64::MAX));
                    let entries = entries_of(frame.streams.unwrap_or_default())?;
                    self.deliver(entries);
                    self.backoff.reset();
                    self.state.send_if_modified(|s| {
                        let changed = *s != TailState::Live;
                        *s = TailState::Live;
                        changed
                    });
                }
                Some(Ok(_)) => {}
            }
        }
    }

    async fn run(mut self, window: LogWindow) {
        let client = match reqwest::Client::builder().timeout(HTTP_TIMEOUT).build() {
            Ok(client) => client,
            Err(e) => {
                let _ = self.state.send(TailState::Unreachable(e.to_string()));
                self.buffer.notify();
                return;
            }
        };
        // The first backfill decides whether Loki is there at all: if not, the follow ends and says why,
        // so the caller can fall back to another source.
        let backfill_start = match self.backfill(&client, window).await {
            Ok(start) => start,
            Err(e) => {
                let _ = self.state.send(if e.is_unreachable() {
                    TailState::Unreachable(e.brief())
                } else {
                    TailState::Rejected(e.brief())
                });
                self.buffer.notify();
                return;
            }
        };
        loop {
            if self.token.is_cancelled() {
                return;
            }
            // Resume at the newest timestamp delivered, inclusive; duplicates there are filtered out.
            let start = self.delivered.max_ts().unwrap_or(backfill_start);
            let error = match self.tail_once(start).await {
                Ok(()) => return,
                Err(e) => e.brief(),
            };
            if self.token.is_cancelled() {
                return;
            }
            self.backoff.attempt = self.backoff.attempt.saturating_add(1);
            tracing::debug!(attempt = self.backoff.attempt, %error, "Loki tail reconnecting");
            let _ = self.state.send(TailState::Reconnecting { attempt: self.backoff.attempt, error });
            tokio::select! {
                _ = self.token.cancelled() => return,
                _ = tokio::time::sleep(self.backoff.delay) => {}
            }
            self.backoff.delay = (self.backoff.delay * 2).min(BACKOFF_CAP);
        }
    }
}

/// A running follow of one LogQL query into a buffer. Cancel the token (or call [`Follow::stop`]) to end it.
pub struct Follow {
    state: watch::Receiver<TailState>,
    buffer: Arc<LogBuffer>,
    token: CancellationToken,
    task: JoinHandle<()>,
}

impl Follow {
    /// Starts backfilling the window, then tails live.
    pub async fn start(
        config: LokiClientConfig,
        query: String,
        window: LogWindow,
        buffer: Arc<LogBuffer>,
        token: CancellationToken,
    ) -> Result<Self, LokiError> {
        // Validate the url and headers up front so configuration errors surface to the caller.
        config.endpoint("/loki/api/v1/tail", &[], true)?;
        config.headers()?;
        let (state_tx, state) = watch::channel(TailState::Backfilling);
        let follower = Follower {
            config,
            query,
            buffer: buffer.clone(),
            state: state_tx,
            token: token.clone(),
            delivered: Delivered::default(),
            backoff: Backoff { delay: BACKOFF_START, attempt: 0 },
        };
        let task = tokio::spawn(follower.run(window));
        Ok(Self { state, buffer, token, task })
    }

    /// The current connection state.
    pub fn state(&self) -> TailState {
        self.state.borrow().clone()
    }

    /// A receiver notified on every state change.
    pub fn subscribe_state(&self) -> watch::Receiver<TailState> {
        self.state.clone()
    }

    pub fn buffer(&self) -> &Arc<LogBuffer> {
        &self.buffer
    }

    /// Cancels the follow and waits for it to end.
    pub async fn stop(self) {
        super::stop::stop_task(&self.token, self.task).await;
    }
}

/// Asks Loki whether it accepts `query` (one line of the last minute): `Err` carries Loki's own message.
pub async fn check_query(config: &LokiClientConfig, query: &str) -> Result<(), LokiError> {
    let client = reqwest::Client::builder().timeout(HTTP_TIMEOUT).build()?;
    let start = now_ns().saturating_sub(60_000_000_000);
    Follower::fetch(config, &client, query, 1, start, None).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let config = LokiClientConfig {
            url: "http://loki".into(),
            tenant: Some("team".into()),
            bearer: Some("s3cret-token".into()),
            basic: Some(("user".into(), "hunter2".into())),
        };
        let text = format!("{config:?}");
        assert!(!text.contains("s3cret-token") && !text.contains("hunter2"), "{text}");
        assert!(text.contains("team") && text.contains("user"));
    }

    #[test]
    fn tail_url_and_headers() {
        let config = LokiClientConfig {
            url: "http://127.0.0.1:3100/".into(),
            tenant: Some("t1".into()),
            basic: Some(("u".into(), "p".into())),
            ..LokiClientConfig::default()
        };
        let url = config.endpoint("/loki/api/v1/tail", &[("query", "{job=\"x\"}".into())], true).unwrap();
        assert_eq!(url.scheme(), "ws");
        assert_eq!(url.path(), "/loki/api/v1/tail");
        assert_eq!(url.query_pairs().next().unwrap().1, "{job=\"x\"}");
        let headers = config.headers().unwrap();
        assert_eq!(headers[0].0, "X-Scope-OrgID");
        assert_eq!(headers[1].1.to_str().unwrap(), "Basic dTpw");
        assert!(headers[1].1.is_sensitive());
    }

    #[test]
    fn websocket_urls_follow_the_http_scheme() {
        let ws = |url: &str| {
            let config = LokiClientConfig { url: url.into(), ..LokiClientConfig::default() };
            config
                .endpoint("/loki/api/v1/tail", &[], true)
                .unwrap()
                .as_str()
                .trim_end_matches('?')
                .to_string()
        };
        assert_eq!(ws("http://loki:3100"), "ws://loki:3100/loki/api/v1/tail");
        assert_eq!(
            ws("https://logs.example.com/loki-gw/"),
            "wss://logs.example.com/loki-gw/loki/api/v1/tail"
        );
        let config =
            LokiClientConfig { url: "https://logs.example.com".into(), ..LokiClientConfig::default() };
        let http = config.endpoint("/loki/api/v1/query_range", &[], false).unwrap();
        assert_eq!(http.scheme(), "https");
    }

    #[tokio::test]
    async fn briefs_leave_out_the_url() {
        let config = LokiClientConfig { url: "http://127.0.0.1:9".into(), ..LokiClientConfig::default() };
        let err = check_query(&config, "{secret_query=\"x\"}").await.unwrap_err();
        let brief = err.brief();
        assert!(brief.starts_with("cannot connect"), "{brief}");
        assert!(!brief.contains("127.0.0.1:9/") && !brief.contains("secret_query"), "{brief}");
    }

    #[test]
    fn unreachable_is_told_from_refused() {
        let status = |status| LokiError::Status { status, body: String::new() };
        assert!(status(503).is_unreachable() && status(502).is_unreachable());
        assert!(!status(400).is_unreachable());
        assert!(LokiError::ConnectTimeout.is_unreachable());
        assert!(!LokiError::Config("x".into()).is_unreachable());
    }

    #[test]
    fn dedup_filters_repeats() {
        let mut delivered = Delivered::default();
        let labels = Arc::new(Labels::new());
        let e = |ts: i64, line: &str| LogEntry { ts_ns: ts, labels: labels.clone(), line: line.into() };
        assert!(delivered.admit(&e(5, "a")));
        assert!(delivered.admit(&e(5, "b")));
        assert!(!delivered.admit(&e(5, "a")));
        assert!(delivered.admit(&e(3, "older")));
        assert_eq!(delivered.max_ts(), Some(5));
    }
}
