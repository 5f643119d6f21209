//! The sim's Prometheus HTTP API (wire-formats §5): instant and range queries in a PromQL subset over the
//! sim's own metrics, targets, series, label names and values, build info, and the readiness and health
//! probes.
//! Served on the exposition listener, so the one base URL is both scrape endpoint and Prometheus.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use super::prometheus::inject_faults;
use super::prometheus_targets;
use crate::promql::{self, Expr, PromqlError, Series, Storage, Value, ValueType};
use crate::scrape::{SimStorage, now_secs, scrape};
use crate::state::Shared;

/// Prometheus refuses range queries of more points than this per series.
const MAX_POINTS: f64 = 11_000.0;

pub fn router(state: Shared) -> Router {
    let faults = state.faults.clone();
    Router::new()
        .route("/api/v1/query", get(query).post(query))
        .route("/api/v1/query_range", get(query_range).post(query_range))
        .route("/api/v1/targets", get(prometheus_targets::targets))
        .route("/api/v1/series", get(series).post(series))
        .route("/api/v1/labels", get(labels).post(labels))
        .route("/api/v1/label/{name}/values", get(label_values))
        .route("/api/v1/status/buildinfo", get(buildinfo))
        .route("/-/ready", get(|| async { "Prometheus Server is Ready.\n" }))
        .route("/-/healthy", get(|| async { "Prometheus Server is Healthy.\n" }))
        .layer(middleware::from_fn_with_state(faults, inject_faults))
        .with_state(state)
}

/// Query parameters, from the query string (GET) or a form body (POST).
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    query: Option<String>,
    time: Option<String>,
    start: Option<String>,
    end: Option<String>,
    step: Option<String>,
}

/// `{"status":"success","data":...}`.
pub fn success(data: JsonValue) -> Response {
    Json(json!({"status": "success", "data": data})).into_response()
}

/// A request Prometheus refuses: `{"status":"error","errorType":"bad_data","error":...}` with 400.
pub struct BadData(String);

impl IntoResponse for BadData {
    fn into_response(self) -> Response {
        let body = json!({"status": "error", "errorType": "bad_data", "error": self.0});
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }
}

fn invalid_parameter(name: &str, message: impl std::fmt::Display) -> BadData {
    BadData(format!("invalid parameter {name:?}: {message}"))
}

/// A sample value as Prometheus writes it: a string, so NaN and infinities survive JSON.
pub fn format_value(v: f64) -> String {
    match v {
        v if v.is_nan() => "NaN".into(),
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v => format!("{v}"),
    }
}

/// A timestamp as Prometheus writes it: unix seconds, a whole number when it is one.
fn format_time(t: f64) -> JsonValue {
    if t.fract() == 0.0 && t.abs() < 9.0e15 { json!(t as i64) } else { json!(t) }
}

fn point(t: f64, v: f64) -> JsonValue {
    json!([format_time(t), format_value(v)])
}

/// Unix seconds (float) or RFC 3339, rounded to milliseconds.
fn parse_time(text: &str) -> Option<f64> {
    let seconds = match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() => seconds,
        Ok(_) => return None,
        Err(_) => text.parse::<jiff::Timestamp>().ok()?.as_millisecond() as f64 / 1000.0,
    };
    Some((seconds * 1000.0).round() / 1000.0)
}

fn time_param(name: &str, value: Option<&str>, default: Option<f64>) -> Result<f64, BadData> {
    match (value.filter(|v| !v.is_empty()), default) {
        (None, Some(default)) => Ok(default),
        (value, _) => {
            let text = value.unwrap_or("");
            parse_time(text)
                .ok_or_else(|| invalid_parameter(name, format!("cannot parse {text:?} to a valid timestamp")))
        }
    }
}

fn parse_query(params: &Params) -> Result<Expr, BadData> {
    let text = params.query.as_deref().unwrap_or("");
    promql::parse(text).map_err(|err: PromqlError| invalid_parameter("query", err))
}

fn vector_json(samples: Vec<(promql::Labels, f64)>, t: f64) -> JsonValue {
    samples.into_iter().map(|(metric, v)| json!({"metric": metric, "value": point(t, v)})).collect()
}

fn matrix_json(series: Vec<Series>) -> JsonValue {
    series
        .into_iter()
        .map(|s| {
            let values: Vec<JsonValue> = s.samples.into_iter().map(|(t, v)| point(t, v)).collect();
            json!({"metric": s.labels, "values": values})
        })
        .collect()
}

async fn query(State(state): State<Shared>, Form(params): Form<Params>) -> Result<Response, BadData> {
    let now = now_secs();
    let expr = parse_query(&params)?;
    let t = time_param("time", params.time.as_deref(), Some(now)).map_err(|BadData(message)| {
        // The instant query says which value it could not read once more, as Prometheus does.
        BadData(message.replacen(": ", ": Invalid time value for 'time': ", 1))
    })?;
    let storage = SimStorage { state: &state, now };
    let data = match promql::evaluate(&expr, &storage, t) {
        Value::Scalar(v) => json!({"resultType": "scalar", "result": point(t, v)}),
        Value::Vector(samples) => json!({"resultType": "vector", "result": vector_json(samples, t)}),
        Value::Matrix(series) => json!({"resultType": "matrix", "result": matrix_json(series)}),
    };
    Ok(success(data))
}

/// A step: float seconds (negative ones are refused later, with their own message) or a duration (`15s`).
fn parse_step(text: &str) -> Option<f64> {
    match text.parse::<f64>() {
        Ok(seconds) => seconds.is_finite().then_some(seconds),
        Err(_) => crate::promql::parse_duration(text),
    }
}

async fn query_range(State(state): State<Shared>, Form(params): Form<Params>) -> Result<Response, BadData> {
    let now = now_secs();
    let start = time_param("start", params.start.as_deref(), None)?;
    let end = time_param("end", params.end.as_deref(), None)?;
    if end < start {
        return Err(invalid_parameter("end", "end timestamp must not be before start time"));
    }
    let step_text = params.step.as_deref().unwrap_or("");
    let Some(step) = parse_step(step_text) else {
        return Err(invalid_parameter("step", format!("cannot parse {step_text:?} to a valid duration")));
    };
    if step <= 0.0 {
        return Err(invalid_parameter(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if (end - start) / step > MAX_POINTS {
        return Err(BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
                .into(),
        ));
    }
    let expr = parse_query(&params)?;
    if expr.value_type() == ValueType::Matrix {
        return Err(BadData(
            "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"
                .into(),
        ));
    }
    let storage = SimStorage { state: &state, now };
    let series = promql::evaluate_range(&expr, &storage, start, end, step);
    Ok(success(json!({"resultType": "matrix", "result": matrix_json(series)})))
}

/// The series matching any `match[]` selector within `start`..`end` (default: the last five minutes).
async fn series(
    State(state): State<Shared>,
    Form(params): Form<Vec<(String, String)>>,
) -> Result<Response, BadData> {
    let now = now_secs();
    let param = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let start = time_param("start", param("start"), Some(now - promql::LOOKBACK_SECS))?;
    let end = time_param("end", param("end"), Some(now))?;
    let selectors: Vec<&str> =
        params.iter().filter(|(k, _)| k == "match[]").map(|(_, v)| v.as_str()).collect();
    if selectors.is_empty() {
        return Err(BadData("no match[] parameter provided".into()));
    }
    let storage = SimStorage { state: &state, now };
    let mut found = BTreeSet::new();
    for text in selectors {
        let expr = promql::parse(text).map_err(|err| invalid_parameter("match[]", err))?;
        let Expr::Selector { matchers, range: None } = expr else {
            return Err(invalid_parameter("match[]", format!("{text:?} is not a series selector")));
        };
        for s in storage.select(&matchers, start, end) {
            if s.samples.iter().any(|(_, v)| !v.is_nan()) {
                found.insert(s.labels);
            }
        }
    }
    Ok(success(json!(found)))
}

/// Label names over every series the sim serves now.
async fn labels(State(state): State<Shared>) -> Response {
    let names: BTreeSet<String> =
        scrape(&state, |_| true).into_iter().flat_map(|(l, _)| l.into_keys()).collect();
    success(json!(names))
}

async fn label_values(State(state): State<Shared>, Path(name): Path<String>) -> Response {
    let values: BTreeSet<String> =
        scrape(&state, |_| true).into_iter().filter_map(|(mut l, _)| l.remove(&name)).collect();
    success(json!(values))
}

async fn buildinfo() -> Response {
    success(json!({
        "version": "3.5.0",
        "revision": "platdeck-sim",
        "branch": "HEAD",
        "buildUser": "platdeck",
        "buildDate": "20260101-00:00:00",
        "goVersion": "go1.24.4",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_times_are_written_as_prometheus_does() {
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_time(1767261600.0), json!(1767261600));
        assert_eq!(format_time(1767261600.781), json!(1767261600.781));
    }

    #[test]
    fn times_parse_as_unix_seconds_or_rfc3339() {
        assert_eq!(parse_time("1767261600.7812"), Some(1767261600.781));
        assert_eq!(parse_time("2026-01-01T10:00:00.5Z"), Some(1767261600.5));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("NaN"), None);
        assert_eq!(parse_step("15s"), Some(15.0));
        assert_eq!(parse_step("2.5"), Some(2.5));
        assert_eq!(parse_step("often"), None);
    }
}
