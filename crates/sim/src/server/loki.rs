//! The sim's Loki HTTP API: queries (streams, matrices, vectors), labels, series, push, and the websocket
//! tail. Shapes follow wire-formats §4; errors are plain text, as Loki writes them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::clock::now_unix_nanos;
use crate::faults::Faults;
use crate::logql::{self, LogQuery, MetricExpr, Query, Sample, Selector, Series};
use crate::logs::{Direction, Labels, LogEntry, LogStore};
use crate::server::websocket::{ServerSocket, WebSocketUpgrade};

/// What the Loki server needs from the sim.
#[derive(Clone)]
pub struct LokiState {
    pub logs: Arc<LogStore>,
    pub faults: Arc<Faults>,
}

const HOUR_NS: i64 = 3_600_000_000_000;
const SECOND_NS: i64 = 1_000_000_000;
/// Loki's default `max_entries_limit_per_query`.
const MAX_ENTRIES: usize = 5000;
/// Loki refuses range queries with more points per series than this.
const MAX_POINTS: i64 = 11_000;
/// Tail frames are batched for this long.
const TAIL_BATCH: Duration = Duration::from_millis(100);

pub fn router(state: LokiState) -> Router {
    Router::new()
        .route("/ready", get(|| async { "ready\n" }))
        .route("/loki/api/v1/query_range", get(query_range).post(query_range))
        .route("/loki/api/v1/query", get(instant_query).post(instant_query))
        .route("/loki/api/v1/labels", get(label_names).post(label_names))
        .route("/loki/api/v1/label/{name}/values", get(label_values).post(label_values))
        .route("/loki/api/v1/series", get(series).post(series))
        .route("/loki/api/v1/push", post(push))
        .route("/loki/api/v1/tail", get(tail))
        .route("/loki/api/v1/status/buildinfo", get(buildinfo))
        .layer(middleware::from_fn_with_state(state.faults.clone(), inject_faults))
        .with_state(state)
}

/// Latency and error-rate faults for every request, the tail's upgrade included.
async fn inject_faults(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    faults.delay().await;
    if faults.inject_error() {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "simulated fault: internal server error");
    }
    next.run(request).await
}

/// A plain-text error body, as Go's `http.Error` writes it.
fn plain(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{message}\n")).into_response()
}

/// A 400 with a plain-text message: how Loki answers bad parameters and queries.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        plain(StatusCode::BAD_REQUEST, &self.0)
    }
}

fn bad_request(message: impl Into<String>) -> BadRequest {
    BadRequest(message.into())
}

fn too_many_entries(limit: usize) -> BadRequest {
    bad_request(format!(
        "max entries limit per query exceeded, limit > max_entries_limit ({limit} > {MAX_ENTRIES})"
    ))
}

fn success(data: Value) -> Response {
    Json(json!({"status": "success", "data": data})).into_response()
}

/// Query-string parameters plus, for POST, form-body parameters; repeated keys (`match[]`) are kept.
struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut pairs: Vec<(String, String)> = request
            .uri()
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if request.method() == Method::POST && is_form {
            let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
            pairs.extend(url::form_urlencoded::parse(&body).into_owned());
        }
        Ok(Params(pairs))
    }
}

impl Params {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn time(&self, key: &str) -> Result<Option<i64>, BadRequest> {
        self.get(key)
            .map(|v| {
                parse_time(v).ok_or_else(|| {
                    bad_request(format!(
                        "invalid parameter \"{key}\": cannot parse \"{v}\" to a valid timestamp"
                    ))
                })
            })
            .transpose()
    }

    fn duration(&self, key: &str) -> Result<Option<i64>, BadRequest> {
        self.get(key)
            .map(|v| {
                logql::parse_duration_ns(v).ok_or_else(|| {
                    bad_request(format!(
                        "invalid parameter \"{key}\": cannot parse \"{v}\" to a valid duration"
                    ))
                })
            })
            .transpose()
    }

    fn count(&self, key: &str, default: usize) -> Result<usize, BadRequest> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n > 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
                Ok(_) => Err(bad_request(format!("{key} must be a positive value"))),
                Err(_) => {
                    Err(bad_request(format!("invalid parameter \"{key}\": cannot parse \"{v}\" to a number")))
                }
            },
        }
    }

    /// `start`/`end`/`since` as Loki resolves them: end defaults to now, start to end − since, else
    /// end − `default_ns`.
    fn window(&self, default_ns: i64) -> Result<(i64, i64), BadRequest> {
        let end = self.time("end")?.unwrap_or_else(now_unix_nanos);
        let since = self.duration("since")?.unwrap_or(default_ns);
        let start = self.time("start")?.unwrap_or(end.saturating_sub(since));
        if end < start {
            return Err(bad_request("end timestamp must not be before or equal to start time"));
        }
        Ok((start, end))
    }

    fn direction(&self) -> Result<Direction, BadRequest> {
        match self.get("direction").map(str::to_ascii_lowercase).as_deref() {
            None | Some("backward") => Ok(Direction::Backward),
            Some("forward") => Ok(Direction::Forward),
            Some(other) => {
                Err(bad_request(format!("invalid direction \"{other}\": use forward or backward")))
            }
        }
    }

    fn query(&self) -> Result<Query, BadRequest> {
        let text = self.get("query").ok_or_else(|| bad_request("query parameter is required"))?;
        logql::parse(text).map_err(|e| bad_request(e.to_string()))
    }
}

/// Integer = Unix nanoseconds; with a fraction = Unix seconds; otherwise RFC 3339.
fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ns) = text.parse::<i64>() {
        return Some(ns);
    }
    if let Ok(secs) = text.parse::<f64>() {
        let ns = (secs * 1e9).round();
        return (ns.is_finite() && ns.abs() < i64::MAX as f64).then_some(ns as i64);
    }
    let ts: jiff::Timestamp = text.parse().ok()?;
    i64::try_from(ts.as_nanosecond()).ok()
}

/// Unix seconds as a JSON number (integral when possible), as Loki writes sample timestamps.
fn seconds_json(ns: i64) -> Value {
    if ns % SECOND_NS == 0 {
        json!(ns / SECOND_NS)
    } else {
        serde_json::Number::from_f64(ns as f64 / 1e9).map_or(Value::Null, Value::Number)
    }
}

/// A sample value as Prometheus and Loki print it: `1`, `0.25`, `NaN`, `+Inf`.
fn value_string(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

fn labels_json(labels: &Labels) -> Value {
    Value::Object(labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

/// The labels of a processed line: the stream's own (shared) unless the pipeline extracted more.
fn result_labels(stream: &Arc<Labels>, processed: Cow<'_, Labels>) -> Arc<Labels> {
    match processed {
        Cow::Borrowed(_) => stream.clone(),
        Cow::Owned(labels) => Arc::new(labels),
    }
}

/// Counts entries kept from the stream being visited (the store visits stream by stream): the global first
/// `limit` entries can hold at most `limit` of any one stream, so a stream's visit stops there.
#[derive(Default)]
struct PerStream {
    current: Option<Arc<Labels>>,
    kept: usize,
}

impl PerStream {
    /// One more entry kept from `stream`; returns how many have been kept from it.
    fn count(&mut self, stream: &Arc<Labels>) -> usize {
        if !self.current.as_ref().is_some_and(|c| Arc::ptr_eq(c, stream)) {
            self.current = Some(stream.clone());
            self.kept = 0;
        }
        self.kept += 1;
        self.kept
    }
}

/// Lines in the window that pass `query`, at most `limit`, in `direction` order.
fn select_entries(
    logs: &LogStore,
    query: &LogQuery,
    start: i64,
    end: i64,
    limit: usize,
    direction: Direction,
    stats: &mut Stats,
) -> Vec<(Arc<Labels>, LogEntry)> {
    let mut hits = Vec::new();
    let mut kept = PerStream::default();
    logs.for_each_in_window(
        |labels| query.selector.matches(labels),
        start,
        end,
        direction,
        |labels, entry| {
            stats.lines += 1;
            stats.bytes += entry.line.len();
            if let Some(processed) = query.process(labels, &entry.line) {
                hits.push((result_labels(labels, processed), entry.clone()));
                return kept.count(labels) < limit;
            }
            true
        },
    );
    match direction {
        Direction::Forward => hits.sort_by_key(|(_, e)| e.ts_ns),
        Direction::Backward => hits.sort_by_key(|(_, e)| std::cmp::Reverse(e.ts_ns)),
    }
    hits.truncate(limit);
    hits
}

/// `[{"stream": {...}, "values": [["<ns>", "<line>"], ...]}, ...]`, entries kept in the given order.
fn streams_json(hits: Vec<(Arc<Labels>, LogEntry)>) -> Value {
    let mut streams: BTreeMap<Arc<Labels>, Vec<Value>> = BTreeMap::new();
    for (labels, entry) in hits {
        streams.entry(labels).or_default().push(json!([entry.ts_ns.to_string(), &*entry.line]));
    }
    Value::Array(
        streams
            .into_iter()
            .map(|(labels, values)| json!({"stream": labels_json(&labels), "values": values}))
            .collect(),
    )
}

/// Evaluates a metric expression at `steps` over the store.
fn evaluate(logs: &LogStore, expr: &MetricExpr, steps: &[i64], stats: &mut Stats) -> Vec<Series> {
    let (Some(first), Some(last)) = (steps.first(), steps.last()) else { return Vec::new() };
    let query = expr.log_query();
    let mut samples = Vec::new();
    // Range windows are (t − range, t]; the store's are [start, end).
    let from = first.saturating_sub(expr.range_ns()).saturating_add(1);
    logs.for_each_in_window(
        |labels| query.selector.matches(labels),
        from,
        last.saturating_add(1),
        Direction::Forward,
        |labels, entry| {
            stats.lines += 1;
            stats.bytes += entry.line.len();
            if let Some(processed) = query.process(labels, &entry.line) {
                samples.push(Sample {
                    labels: result_labels(labels, processed),
                    ts_ns: entry.ts_ns,
                    bytes: entry.line.len(),
                });
            }
            true
        },
    );
    expr.evaluate(steps, &samples)
}

/// Work done by one query, reported in `data.stats` like Loki's summary.
struct Stats {
    started: Instant,
    lines: usize,
    bytes: usize,
    returned: usize,
}

impl Stats {
    fn new() -> Self {
        Self { started: Instant::now(), lines: 0, bytes: 0, returned: 0 }
    }

    fn to_json(&self) -> Value {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        json!({
            "summary": {
                "bytesProcessedPerSecond": (self.bytes as f64 / secs) as u64,
                "linesProcessedPerSecond": (self.lines as f64 / secs) as u64,
                "totalBytesProcessed": self.bytes,
                "totalLinesProcessed": self.lines,
                "execTime": secs,
                "queueTime": 0,
                "subqueries": 0,
                "totalEntriesReturned": self.returned,
                "splits": 0,
                "shards": 0,
                "totalPostFilterLines": self.returned,
                "totalStructuredMetadataBytesProcessed": 0
            },
            "querier": {"store": {"totalChunksRef": 0, "totalChunksDownloaded": 0, "chunksDownloadTime": 0}},
            "ingester": {
                "totalReached": 1,
                "totalChunksMatched": 0,
                "totalBatches": 1,
                "totalLinesSent": self.returned,
                "store": {"totalChunksRef": 0, "totalChunksDownloaded": 0, "chunksDownloadTime": 0}
            }
        })
    }
}

fn matrix_json(series: Vec<Series>) -> Value {
    Value::Array(
        series
            .into_iter()
            .map(|s| {
                let values: Vec<Value> =
                    s.points.iter().map(|(t, v)| json!([seconds_json(*t), value_string(*v)])).collect();
                json!({"metric": labels_json(&s.metric), "values": values})
            })
            .collect(),
    )
}

async fn query_range(State(state): State<LokiState>, params: Params) -> Response {
    match query_range_inner(&state, &params) {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

fn query_range_inner(state: &LokiState, params: &Params) -> Result<Response, BadRequest> {
    let query = params.query()?;
    let (start, end) = params.window(HOUR_NS)?;
    let mut stats = Stats::new();
    match query {
        Query::Log(query) => {
            let limit = params.count("limit", 100)?;
            if limit > MAX_ENTRIES {
                return Err(too_many_entries(limit));
            }
            let direction = params.direction()?;
            let hits = select_entries(&state.logs, &query, start, end, limit, direction, &mut stats);
            stats.returned = hits.len();
            let result = streams_json(hits);
            Ok(success(json!({"resultType": "streams", "result": result, "stats": stats.to_json()})))
        }
        Query::Metric(expr) => {
            // Loki's default resolution: about 250 points over the range, at least 1s.
            let default_step = ((end - start) / SECOND_NS / 250).max(1) * SECOND_NS;
            let step = params.duration("step")?.unwrap_or(default_step);
            if step <= 0 {
                return Err(bad_request(
                    "zero or negative query resolution step widths are not accepted. Try a positive integer",
                ));
            }
            if (end - start) / step + 1 > MAX_POINTS {
                return Err(bad_request(
                    "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query \
                     resolution (?step=XX)",
                ));
            }
            let steps: Vec<i64> = std::iter::successors(Some(start), |t| t.checked_add(step))
                .take_while(|t| *t <= end)
                .collect();
            let series = evaluate(&state.logs, &expr, &steps, &mut stats);
            stats.returned = series.iter().map(|s| s.points.len()).sum();
            let result = matrix_json(series);
            Ok(success(json!({"resultType": "matrix", "result": result, "stats": stats.to_json()})))
        }
    }
}

async fn instant_query(State(state): State<LokiState>, params: Params) -> Response {
    let inner = || -> Result<Response, BadRequest> {
        let query = params.query()?;
        let time = params.time("time")?.unwrap_or_else(now_unix_nanos);
        let Query::Metric(expr) = query else {
            return Err(bad_request(
                "log queries are not supported as an instant query type, please change your query to a \
                 range query type",
            ));
        };
        let mut stats = Stats::new();
        let series = evaluate(&state.logs, &expr, &[time], &mut stats);
        stats.returned = series.len();
        let result: Vec<Value> = series
            .into_iter()
            .filter_map(|s| {
                let (t, v) = s.points.first().copied()?;
                Some(json!({"metric": labels_json(&s.metric), "value": [seconds_json(t), value_string(v)]}))
            })
            .collect();
        Ok(success(json!({"resultType": "vector", "result": result, "stats": stats.to_json()})))
    };
    match inner() {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

/// The optional `query` of `/labels` and `/label/{name}/values`: its stream selector.
fn optional_selector(params: &Params) -> Result<Option<Selector>, BadRequest> {
    let Some(text) = params.get("query") else { return Ok(None) };
    let query = logql::parse(text).map_err(|e| bad_request(e.to_string()))?;
    Ok(query.log_queries().first().map(|q| q.selector.clone()))
}

fn matches_optional(selector: &Option<Selector>, labels: &Labels) -> bool {
    selector.as_ref().is_none_or(|s| s.matches(labels))
}

async fn label_names(State(state): State<LokiState>, params: Params) -> Response {
    let inner = || -> Result<Response, BadRequest> {
        let (start, end) = params.window(6 * HOUR_NS)?;
        let selector = optional_selector(&params)?;
        let names = state.logs.label_names(|l| matches_optional(&selector, l), start, end.saturating_add(1));
        Ok(success(json!(names)))
    };
    match inner() {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn label_values(State(state): State<LokiState>, Path(name): Path<String>, params: Params) -> Response {
    let inner = || -> Result<Response, BadRequest> {
        let (start, end) = params.window(6 * HOUR_NS)?;
        let selector = optional_selector(&params)?;
        let values =
            state.logs.label_values(&name, |l| matches_optional(&selector, l), start, end.saturating_add(1));
        Ok(success(json!(values)))
    };
    match inner() {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn series(State(state): State<LokiState>, params: Params) -> Response {
    let inner = || -> Result<Response, BadRequest> {
        let (start, end) = params.window(6 * HOUR_NS)?;
        let selectors = params
            .all("match[]")
            .chain(params.all("match"))
            .map(|m| logql::parse_selector(m).map_err(|e| bad_request(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        if selectors.is_empty() {
            return Err(bad_request("at least one match[] argument is required"));
        }
        let found =
            state.logs.series(|l| selectors.iter().any(|s| s.matches(l)), start, end.saturating_add(1));
        Ok(success(Value::Array(found.iter().map(labels_json).collect())))
    };
    match inner() {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn buildinfo() -> Json<Value> {
    Json(json!({
        "version": "3.4.2",
        "revision": "platdeck-sim",
        "branch": "HEAD",
        "buildUser": "platdeck",
        "buildDate": "",
        "goVersion": ""
    }))
}

async fn push(State(state): State<LokiState>, headers: HeaderMap, body: Bytes) -> Response {
    let header_text =
        |name| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if header_text(header::CONTENT_ENCODING).contains("gzip")
        || header_text(header::CONTENT_ENCODING).contains("snappy")
    {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the simulated Loki accepts uncompressed JSON pushes only",
        );
    }
    if header_text(header::CONTENT_TYPE).starts_with("application/x-protobuf") {
        return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, "the simulated Loki accepts JSON pushes only");
    }
    match parse_push(&body) {
        Ok(streams) => {
            for (labels, entries) in streams {
                state.logs.push(&labels, entries);
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => bad_request(message).into_response(),
    }
}

/// `{"streams":[{"stream":{..},"values":[["<ns>","line"(,{metadata})],..]}]}` with string timestamps.
fn parse_push(body: &[u8]) -> Result<Vec<(Labels, Vec<LogEntry>)>, String> {
    let doc: Value = serde_json::from_slice(body).map_err(|e| format!("invalid push request body: {e}"))?;
    let streams =
        doc.get("streams").and_then(Value::as_array).ok_or("push request needs a \"streams\" array")?;
    let mut out = Vec::with_capacity(streams.len());
    for (i, stream) in streams.iter().enumerate() {
        let labels = stream
            .get("stream")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("streams[{i}]: \"stream\" must be an object of labels"))?;
        let labels = parse_push_labels(labels).map_err(|e| format!("streams[{i}]: {e}"))?;
        let values = stream
            .get("values")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("streams[{i}]: \"values\" must be an array"))?;
        let mut entries = Vec::with_capacity(values.len());
        for (j, value) in values.iter().enumerate() {
            let at = || format!("streams[{i}].values[{j}]");
            let pair = value.as_array().filter(|a| (2..=3).contains(&a.len())).ok_or_else(|| {
                format!("{}: an entry is [\"<unix ns>\", \"<line>\"] with optional metadata", at())
            })?;
            let ts_ns = match &pair[0] {
                Value::String(s) => s
                    .parse::<i64>()
                    .map_err(|_| format!("{}: timestamp {s:?} is not Unix nanoseconds", at()))?,
                other => {
                    return Err(format!(
                        "{}: timestamp must be a string of Unix nanoseconds, not {other}",
                        at()
                    ));
                }
            };
            let line = pair[1].as_str().ok_or_else(|| format!("{}: the log line must be a string", at()))?;
            if pair.get(2).is_some_and(|m| !m.is_object()) {
                return Err(format!("{}: structured metadata must be an object", at()));
            }
            entries.push(LogEntry { ts_ns, line: Arc::from(line) });
        }
        out.push((labels, entries));
    }
    Ok(out)
}

fn parse_push_labels(labels: &Map<String, Value>) -> Result<Labels, String> {
    if labels.is_empty() {
        return Err("error at least one label pair is required per stream".into());
    }
    labels
        .iter()
        .map(|(k, v)| {
            let valid_name = k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_name {
                return Err(format!("invalid label name {k:?}"));
            }
            let v = v.as_str().ok_or_else(|| format!("label {k:?} must have a string value"))?;
            Ok((k.clone(), v.to_string()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Tail

struct TailParams {
    query: LogQuery,
    start: i64,
    limit: usize,
    delay: Duration,
}

fn tail_params(params: &Params) -> Result<TailParams, BadRequest> {
    let Query::Log(query) = params.query()? else {
        return Err(bad_request("tail requires a log query, not a metric query"));
    };
    let delay_secs: u64 = match params.get("delay_for") {
        None => 0,
        Some(v) => v
            .parse()
            .map_err(|_| bad_request("invalid parameter \"delay_for\": must be a whole number of seconds"))?,
    };
    if delay_secs > 5 {
        return Err(bad_request("delay_for can't be greater than 5"));
    }
    let limit = params.count("limit", 100)?;
    if limit > MAX_ENTRIES {
        return Err(too_many_entries(limit));
    }
    let start = params.time("start")?.unwrap_or_else(|| now_unix_nanos().saturating_sub(HOUR_NS));
    Ok(TailParams { query, start, limit, delay: Duration::from_secs(delay_secs) })
}

async fn tail(State(state): State<LokiState>, ws: WebSocketUpgrade, params: Params) -> Response {
    match tail_params(&params) {
        Ok(tail) => ws.on_upgrade(move |socket| run_tail(socket, state, tail)),
        Err(err) => err.into_response(),
    }
}

/// One tail frame: `{"streams":[...],"dropped_entries":null|[...]}`.
fn tail_frame(entries: Vec<(Arc<Labels>, LogEntry)>, dropped: usize, dropped_at: i64) -> String {
    let dropped_entries = if dropped == 0 {
        Value::Null
    } else {
        // A lagging tail cannot know which streams it missed; report the count with empty labels.
        let one = json!({"labels": {}, "timestamp": dropped_at.to_string()});
        Value::Array(vec![one; dropped])
    };
    json!({"streams": streams_json(entries), "dropped_entries": dropped_entries}).to_string()
}

enum TailEnd {
    ClientGone,
    Fault,
    StoreClosed,
}

async fn run_tail(mut socket: ServerSocket, state: LokiState, tail: TailParams) {
    let end = tail_loop(&mut socket, &state, &tail).await;
    if let TailEnd::Fault | TailEnd::StoreClosed = end {
        // A real close (frame, then the connection drops) so the client notices and reconnects.
        let reason =
            if matches!(end, TailEnd::Fault) { "simulated fault: tail dropped" } else { "shutting down" };
        let frame = CloseFrame { code: CloseCode::Away, reason: reason.into() };
        let _ = socket.send(Message::Close(Some(frame))).await;
    }
}

async fn tail_loop(socket: &mut ServerSocket, state: &LokiState, tail: &TailParams) -> TailEnd {
    let query = &tail.query;
    let mut history = Vec::new();
    let mut kept = PerStream::default();
    let mut live = state.logs.tail_from(
        |labels| query.selector.matches(labels),
        tail.start,
        |labels, entry| {
            if let Some(processed) = query.process(labels, &entry.line) {
                history.push((result_labels(labels, processed), entry.clone()));
                return kept.count(labels) < tail.limit;
            }
            true
        },
    );
    // Loki reads the lookback backward with the limit: the newest `limit` lines, then sent oldest first.
    history.sort_by_key(|(_, e)| std::cmp::Reverse(e.ts_ns));
    history.truncate(tail.limit);
    history.reverse();

    let drop_after = state.faults.spec.ws_drop_after;
    let mut frames = 0u64;
    if !history.is_empty() {
        if socket.send(Message::Text(tail_frame(history, 0, 0).into())).await.is_err() {
            return TailEnd::ClientGone;
        }
        frames += 1;
        if drop_after.is_some_and(|n| frames >= n) {
            state.faults.note_ws_drop();
            return TailEnd::Fault;
        }
    }

    let mut pending: Vec<(Instant, Arc<Labels>, LogEntry)> = Vec::new();
    let mut dropped = 0usize;
    let mut batch = tokio::time::interval(TAIL_BATCH);
    let mut fault_check = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(item) => {
                    if query.selector.matches(&item.labels)
                        && let Some(processed) = query.process(&item.labels, &item.entry.line) {
                            let labels = result_labels(&item.labels, processed);
                            pending.push((Instant::now(), labels, item.entry));
                        }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    let missed = usize::try_from(n).unwrap_or(usize::MAX);
                    dropped = dropped.saturating_add(missed).min(tail.limit);
                }
                Err(broadcast::error::RecvError::Closed) => return TailEnd::StoreClosed,
            },
            _ = batch.tick() => {
                // `delay_for` holds lines back so late, out-of-order ones can still be sent in order.
                let ready_until = pending.partition_point(|(arrived, ..)| arrived.elapsed() >= tail.delay);
                if ready_until == 0 && dropped == 0 {
                    continue;
                }
                let mut ready: Vec<(Arc<Labels>, LogEntry)> =
                    pending.drain(..ready_until).map(|(_, labels, entry)| (labels, entry)).collect();
                ready.sort_by_key(|(_, e)| e.ts_ns);
                let frame = tail_frame(ready, dropped.min(tail.limit), now_unix_nanos());
                dropped = 0;
                if socket.send(Message::Text(frame.into())).await.is_err() {
                    return TailEnd::ClientGone;
                }
                frames += 1;
                if drop_after.is_some_and(|n| frames >= n) {
                    state.faults.note_ws_drop();
                    return TailEnd::Fault;
                }
            }
            _ = fault_check.tick() => {
                if state.faults.drop_ws_now() {
                    return TailEnd::Fault;
                }
            }
            incoming = socket.next() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return TailEnd::ClientGone,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultSpec;
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    async fn serve(faults: FaultSpec) -> (String, Arc<LogStore>) {
        let logs = Arc::new(LogStore::default());
        let state = LokiState { logs: logs.clone(), faults: Arc::new(Faults::new(faults)) };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        (format!("http://{addr}"), logs)
    }

    fn seed(logs: &LogStore, now: i64) {
        let api = labels(&[("namespace", "payments"), ("app_kubernetes_io_name", "api"), ("pod", "api-1")]);
        let db = labels(&[("namespace", "payments"), ("app_kubernetes_io_name", "db"), ("pod", "db-0")]);
        let billing = labels(&[("namespace", "billing"), ("app_kubernetes_io_name", "api"), ("pod", "b-1")]);
        let line = |level: &str, msg: &str| format!(r#"{{"level":"{level}","msg":"{msg}"}}"#);
        for i in 0..10i64 {
            let level = if i % 3 == 0 { "error" } else { "info" };
            logs.push(
                &api,
                vec![LogEntry {
                    ts_ns: now - (10 - i) * SECOND_NS,
                    line: line(level, &format!("api {i}")).into(),
                }],
            );
        }
        logs.push(&db, vec![LogEntry { ts_ns: now - 5 * SECOND_NS, line: "db ready".into() }]);
        logs.push(&billing, vec![LogEntry { ts_ns: now - 2 * HOUR_NS, line: "old billing line".into() }]);
    }

    async fn get_json(url: &str) -> (u16, Value) {
        let response = reqwest::get(url).await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn post_form(url: &str, pairs: &[(&str, String)]) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        reqwest::Client::new()
            .post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    fn enc(q: &str) -> String {
        url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
    }

    #[tokio::test]
    async fn query_range_returns_streams_with_string_timestamps() {
        let (base, logs) = serve(FaultSpec::default()).await;
        let now = now_unix_nanos();
        seed(&logs, now);
        let q = enc(r#"{namespace="payments"}"#);
        let (status, body) = get_json(&format!("{base}/loki/api/v1/query_range?query={q}&limit=5")).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "success");
        assert_eq!(body["data"]["resultType"], "streams");
        let result = body["data"]["result"].as_array().unwrap();
        let mut all: Vec<(i64, String)> = Vec::new();
        for stream in result {
            assert_eq!(stream["stream"]["namespace"], "payments");
            let values = stream["values"].as_array().unwrap();
            let ts: Vec<i64> = values.iter().map(|v| v[0].as_str().unwrap().parse().unwrap()).collect();
            assert!(ts.windows(2).all(|w| w[0] >= w[1]), "backward is newest first: {ts:?}");
            all.extend(
                values
                    .iter()
                    .map(|v| (v[0].as_str().unwrap().parse().unwrap(), v[1].as_str().unwrap().into())),
            );
        }
        // The five newest across both streams: api 9, 8, 7, 6, then one of db and api 5 (both now-5s).
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|(ts, _)| *ts >= now - 6 * SECOND_NS));
        assert!(body["data"]["stats"]["summary"]["totalLinesProcessed"].as_u64().unwrap() >= 5);

        // Forward, with a filter and the json parser; the old billing stream is outside the default hour.
        let q = enc(r#"{app_kubernetes_io_name="api"} |= "api" | json | level="error""#);
        let (_, body) =
            get_json(&format!("{base}/loki/api/v1/query_range?query={q}&direction=FORWARD")).await;
        let result = body["data"]["result"].as_array().unwrap();
        let lines: Vec<&str> = result
            .iter()
            .flat_map(|s| s["values"].as_array().unwrap())
            .map(|v| v[1].as_str().unwrap())
            .collect();
        assert_eq!(lines.len(), 4, "{body}");
        assert!(lines[0].contains("api 0") && lines[3].contains("api 9"));
        assert_eq!(result[0]["stream"]["level"], "error", "parsed labels join the stream labels");

        // Explicit start (RFC 3339) reaches the old line.
        let start = jiff::Timestamp::from_nanosecond(i128::from(now - 3 * HOUR_NS)).unwrap();
        let q = enc(r#"{namespace="billing"}"#);
        let (_, body) = get_json(&format!("{base}/loki/api/v1/query_range?query={q}&start={start}")).await;
        assert_eq!(body["data"]["result"][0]["values"][0][1], "old billing line");
    }

    #[tokio::test]
    async fn metric_queries_return_matrices_and_vectors() {
        let (base, logs) = serve(FaultSpec::default()).await;
        let now = (now_unix_nanos() / SECOND_NS) * SECOND_NS;
        seed(&logs, now);
        let q = enc(r#"sum by (app_kubernetes_io_name) (count_over_time({namespace="payments"}[1m]))"#);
        let url = format!(
            "{base}/loki/api/v1/query_range?query={q}&start={}&end={}&step=30s",
            now - 60 * SECOND_NS,
            now
        );
        let (status, body) = get_json(&url).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["resultType"], "matrix");
        let result = body["data"]["result"].as_array().unwrap();
        assert_eq!(result.len(), 2);
        assert_eq!(result[0]["metric"], json!({"app_kubernetes_io_name": "api"}));
        let last = result[0]["values"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last, json!([now / SECOND_NS, "10"]));

        let q = enc(r#"sum(count_over_time({namespace="payments"} | json | level="error" [1m]))"#);
        let (status, body) = get_json(&format!("{base}/loki/api/v1/query?query={q}&time={now}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["resultType"], "vector");
        assert_eq!(body["data"]["result"][0]["value"][1], "4");

        let q = enc(r#"{namespace="payments"}"#);
        let response = reqwest::get(format!("{base}/loki/api/v1/query?query={q}")).await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("not supported as an instant query"));

        // POST form bodies work too.
        let form = [("query", r#"rate({namespace="payments"}[1m])"#.to_string()), ("time", now.to_string())];
        let response = post_form(&format!("{base}/loki/api/v1/query"), &form).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["result"].as_array().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn bad_queries_get_plain_text_400s() {
        let (base, _) = serve(FaultSpec::default()).await;
        for (query, expected) in [
            (r#"{namespace="payments""#, "parse error at line 1, col 22"),
            (r#"{namespace=~".*"}"#, "at least one regexp or equality matcher"),
        ] {
            let response =
                reqwest::get(format!("{base}/loki/api/v1/query_range?query={}", enc(query))).await.unwrap();
            assert_eq!(response.status(), 400);
            let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap().to_string();
            assert!(content_type.starts_with("text/plain"));
            assert!(response.text().await.unwrap().contains(expected));
        }
        let q = enc(r#"{a="b"}"#);
        for bad in ["limit=0", "limit=6000", "direction=sideways", "start=yesterday", "start=20&end=10"] {
            let response =
                reqwest::get(format!("{base}/loki/api/v1/query_range?query={q}&{bad}")).await.unwrap();
            assert_eq!(response.status(), 400, "{bad}");
        }
        let q = enc(r#"rate({a="b"}[1m])"#);
        let response = reqwest::get(format!(
            "{base}/loki/api/v1/query_range?query={q}&start=0&end=100000000000000&step=1s"
        ))
        .await
        .unwrap();
        assert!(response.text().await.unwrap().contains("11,000 points"));
    }

    #[tokio::test]
    async fn labels_values_and_series() {
        let (base, logs) = serve(FaultSpec::default()).await;
        seed(&logs, now_unix_nanos());
        let (_, body) = get_json(&format!("{base}/loki/api/v1/labels")).await;
        assert_eq!(
            body,
            json!({"status": "success", "data": ["app_kubernetes_io_name", "namespace", "pod"]})
        );
        // Billing's only line is two hours old: inside the default six hours, outside the last hour.
        let (_, body) = get_json(&format!("{base}/loki/api/v1/label/namespace/values")).await;
        assert_eq!(body["data"], json!(["billing", "payments"]));
        let (_, body) = get_json(&format!("{base}/loki/api/v1/label/namespace/values?since=1h")).await;
        assert_eq!(body["data"], json!(["payments"]));
        let q = enc(r#"{app_kubernetes_io_name="db"}"#);
        let (_, body) = get_json(&format!("{base}/loki/api/v1/label/pod/values?query={q}")).await;
        assert_eq!(body["data"], json!(["db-0"]));
        let (_, body) = get_json(&format!("{base}/loki/api/v1/label/nope/values")).await;
        assert_eq!(body["data"], json!([]));

        let m1 = enc(r#"{app_kubernetes_io_name="db"}"#);
        let m2 = enc(r#"{pod=~"b-.*"}"#);
        let (_, body) =
            get_json(&format!("{base}/loki/api/v1/series?match[]={m1}&match[]={m2}&since=3h")).await;
        let series = body["data"].as_array().unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0]["pod"], "b-1");
        let form = [("match[]", r#"{namespace="payments"}"#.to_string())];
        let response = post_form(&format!("{base}/loki/api/v1/series"), &form).await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"].as_array().unwrap().len(), 2);
        let response = reqwest::get(format!("{base}/loki/api/v1/series")).await.unwrap();
        assert_eq!(response.status(), 400);
    }

    #[tokio::test]
    async fn push_stores_string_timestamps_and_rejects_numbers() {
        let (base, logs) = serve(FaultSpec::default()).await;
        let client = reqwest::Client::new();
        let now = now_unix_nanos();
        let values = json!([
            [now.to_string(), "first"],
            [(now + 1).to_string(), "second", {"trace_id": "abc"}],
            [now.to_string(), "first"]
        ]);
        let body = json!({"streams": [{"stream": {"job": "push-test"}, "values": values}]});
        let response = client
            .post(format!("{base}/loki/api/v1/push"))
            .header("X-Scope-OrgID", "tenant-a")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let selector = logql::parse_selector(r#"{job="push-test"}"#).unwrap();
        let mut lines = Vec::new();
        logs.for_each_in_window(
            |l| selector.matches(l),
            0,
            i64::MAX,
            Direction::Forward,
            |_, e| {
                lines.push(e.line.to_string());
                true
            },
        );
        assert_eq!(lines, vec!["first", "second"], "a duplicate entry is stored once");

        for bad in [
            json!({"streams": [{"stream": {"job": "x"}, "values": [[now, "numeric ts"]]}]}),
            json!({"streams": [{"stream": {}, "values": [[now.to_string(), "no labels"]]}]}),
            json!({"nope": []}),
        ] {
            let response = client.post(format!("{base}/loki/api/v1/push")).json(&bad).send().await.unwrap();
            assert_eq!(response.status(), 400, "{bad}");
        }
        let response =
            client.post(format!("{base}/loki/api/v1/push")).body("{not json").send().await.unwrap();
        assert_eq!(response.status(), 400);
        let response = client.get(format!("{base}/ready")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap().trim(), "ready");
    }

    #[tokio::test]
    async fn error_rate_fault_answers_500() {
        let (base, _) = serve(FaultSpec { error_rate: 1.0, ..FaultSpec::default() }).await;
        let response = reqwest::get(format!("{base}/loki/api/v1/labels")).await.unwrap();
        assert_eq!(response.status(), 500);
        assert!(response.text().await.unwrap().contains("simulated fault"));
    }

    type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

    async fn connect_tail(base: &str, query: &str, extra: &str) -> Ws {
        let url =
            format!("{}/loki/api/v1/tail?query={}{extra}", base.replace("http://", "ws://"), enc(query));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        ws
    }

    /// Next text frame's (timestamp, line) pairs, or None when the socket closes.
    async fn next_frame(ws: &mut Ws) -> Option<Vec<(i64, String)>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let message = tokio::time::timeout_at(deadline, ws.next()).await.expect("frame within 10s");
            match message {
                Some(Ok(tungstenite::Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    assert!(frame.get("dropped_entries").is_some());
                    let mut out = Vec::new();
                    for stream in frame["streams"].as_array().unwrap() {
                        for v in stream["values"].as_array().unwrap() {
                            out.push((
                                v[0].as_str().unwrap().parse().unwrap(),
                                v[1].as_str().unwrap().to_string(),
                            ));
                        }
                    }
                    return Some(out);
                }
                Some(Ok(tungstenite::Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    #[tokio::test]
    async fn tail_sends_history_then_live_lines() {
        let (base, logs) = serve(FaultSpec::default()).await;
        let now = now_unix_nanos();
        seed(&logs, now);
        let mut ws = connect_tail(&base, r#"{app_kubernetes_io_name="api"} |= "api""#, "&limit=3").await;
        let history = next_frame(&mut ws).await.unwrap();
        let lines: Vec<&str> = history.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].contains("api 7") && lines[2].contains("api 9"),
            "newest three, oldest first: {lines:?}"
        );

        let api = labels(&[("namespace", "payments"), ("app_kubernetes_io_name", "api"), ("pod", "api-1")]);
        let db = labels(&[("namespace", "payments"), ("app_kubernetes_io_name", "db"), ("pod", "db-0")]);
        logs.push(&db, vec![LogEntry { ts_ns: now + 1, line: "api? no, db".into() }]);
        logs.push(&api, vec![LogEntry { ts_ns: now + 2, line: "live api line".into() }]);
        let mut live = Vec::new();
        while live.is_empty() {
            live = next_frame(&mut ws).await.unwrap();
        }
        assert_eq!(live, vec![(now + 2, "live api line".to_string())]);
        ws.close(None).await.unwrap();
    }

    #[tokio::test]
    async fn tail_is_closed_after_ws_drop_after_frames() {
        let (base, logs) = serve(FaultSpec { ws_drop_after: Some(2), ..FaultSpec::default() }).await;
        let api = labels(&[("app", "api")]);
        logs.push(&api, vec![LogEntry { ts_ns: now_unix_nanos(), line: "history".into() }]);
        let mut ws = connect_tail(&base, r#"{app="api"}"#, "").await;
        assert_eq!(next_frame(&mut ws).await.unwrap().len(), 1);
        logs.push(&api, vec![LogEntry { ts_ns: now_unix_nanos(), line: "live".into() }]);
        let mut second = Vec::new();
        while second.is_empty() {
            second = next_frame(&mut ws).await.unwrap();
        }
        assert_eq!(second[0].1, "live");
        // The third frame never comes: the server closes the socket.
        logs.push(&api, vec![LogEntry { ts_ns: now_unix_nanos(), line: "too late".into() }]);
        assert!(next_frame(&mut ws).await.is_none());
    }

    #[tokio::test]
    async fn tail_is_closed_by_the_ws_drop_fault() {
        let (base, _) = serve(FaultSpec { ws_drop: 1.0, ..FaultSpec::default() }).await;
        let mut ws = connect_tail(&base, r#"{app="api"}"#, "").await;
        assert!(next_frame(&mut ws).await.is_none(), "closed within about a second");
    }

    #[tokio::test]
    async fn tail_rejects_bad_parameters_before_upgrading() {
        let (base, _) = serve(FaultSpec::default()).await;
        let url = format!("{}/loki/api/v1/tail?query={}", base.replace("http://", "ws://"), enc("{nope"));
        match tokio_tungstenite::connect_async(url).await {
            Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 400),
            other => panic!("expected a 400, got {other:?}"),
        }
        let url = format!(
            "{}/loki/api/v1/tail?query={}&delay_for=9",
            base.replace("http://", "ws://"),
            enc(r#"{a="b"}"#)
        );
        assert!(tokio_tungstenite::connect_async(url).await.is_err());
    }
}
