//! `GET .../pods/{name}/log`: a container's output as `text/plain`, optionally followed.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::request::Params;
use crate::logs::{LogEntry, PodLogKey};
use crate::resources::PODS;
use crate::state::Shared;
use crate::status::ApiError;

pub fn serve(state: &Shared, namespace: &str, name: &str, params: &Params) -> Result<Response, ApiError> {
    let pod = state.world.get(&PODS, namespace, name).ok_or_else(|| ApiError::not_found(&PODS, name))?;
    let container = pick_container(&pod, name, params.get("container"))?;
    let tail = params.number("tailLines")?.map(|n| n as usize);
    let since_ns = since(params)?;
    let limit_bytes = params.number("limitBytes")?.map(|n| n as usize);
    let timestamps = params.flag("timestamps");
    if params.flag("previous") && restart_count(&pod, &container) == 0 {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        )));
    }
    let key = PodLogKey { namespace: namespace.to_string(), pod: name.to_string(), container };
    let render = move |e: &LogEntry| format_line(e, timestamps);
    if !params.flag("follow") {
        let mut text: String = state.logs.pod_lines(&key, tail, since_ns).iter().map(&render).collect();
        if let Some(limit) = limit_bytes {
            truncate_at_char(&mut text, limit);
        }
        return Ok(([(header::CONTENT_TYPE, "text/plain")], text).into_response());
    }
    let (backlog, live) = state.logs.pod_follow(&key, tail, since_ns);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let state = state.clone();
    tokio::spawn(async move {
        let initial: String = backlog.iter().map(&render).collect();
        if !initial.is_empty() && tx.send(Ok(Bytes::from(initial))).await.is_err() {
            return;
        }
        tokio::select! {
            _ = follow(&state, &key, live, &tx, &render) => {}
            _ = state.shutdown.cancelled() => {}
        }
    });
    Ok(([(header::CONTENT_TYPE, "text/plain")], Body::from_stream(ReceiverStream::new(rx))).into_response())
}

/// Streams new lines until the pod is gone or the client leaves.
async fn follow(
    state: &Shared,
    key: &PodLogKey,
    mut live: broadcast::Receiver<LogEntry>,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    render: &impl Fn(&LogEntry) -> String,
) {
    let mut still_there = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(entry) => {
                    if tx.send(Ok(Bytes::from(render(&entry)))).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = still_there.tick() => {
                if state.world.get(&PODS, &key.namespace, &key.pod).is_none() {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}

fn format_line(entry: &LogEntry, timestamps: bool) -> String {
    let mut out = String::with_capacity(entry.line.len() + 32);
    if timestamps && let Ok(ts) = jiff::Timestamp::from_nanosecond(i128::from(entry.ts_ns)) {
        out.push_str(&format!("{ts:.9} "));
    }
    out.push_str(&entry.line);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn truncate_at_char(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

fn container_names(pod: &Value) -> Vec<String> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn pick_container(pod: &Value, pod_name: &str, asked: Option<&str>) -> Result<String, ApiError> {
    let names = container_names(pod);
    match asked {
        Some(c) if names.iter().any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(ApiError::bad_request(format!("container {c} is not valid for pod {pod_name}"))),
        None if names.len() == 1 => Ok(names[0].clone()),
        None if names.is_empty() => Err(ApiError::bad_request(format!("pod {pod_name} has no containers"))),
        None => Err(ApiError::bad_request(format!(
            "a container name must be specified for pod {pod_name}, choose one of: [{}]",
            names.join(" ")
        ))),
    }
}

fn restart_count(pod: &Value, container: &str) -> u64 {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == container))
        .and_then(|c| c["restartCount"].as_u64())
        .unwrap_or(0)
}

fn since(params: &Params) -> Result<Option<i64>, ApiError> {
    match (params.get("sinceSeconds"), params.get("sinceTime")) {
        (Some(_), Some(_)) => {
            Err(ApiError::bad_request("at most one of sinceTime or sinceSeconds may be specified"))
        }
        (Some(_), None) => {
            let secs = params.number("sinceSeconds")?.unwrap_or(0) as i64;
            Ok(Some(crate::clock::now_unix_nanos() - secs.saturating_mul(1_000_000_000)))
        }
        (None, Some(t)) => {
            let ts: jiff::Timestamp =
                t.parse().map_err(|_| ApiError::bad_request(format!("sinceTime {t:?} is not RFC 3339")))?;
            Ok(Some(i64::try_from(ts.as_nanosecond()).unwrap_or(0)))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn container_choice() {
        let one = json!({"spec": {"containers": [{"name": "app"}]}});
        assert_eq!(pick_container(&one, "p", None).unwrap(), "app");
        assert_eq!(pick_container(&one, "p", Some("nope")).unwrap_err().code, 400);
        let two = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let err = pick_container(&two, "p", None).unwrap_err();
        assert!(err.message.contains("choose one of: [a b]"), "{}", err.message);
    }

    #[test]
    fn lines_with_timestamps() {
        let e = LogEntry { ts_ns: 1_767_261_600_123_456_789, line: "hello".into() };
        assert_eq!(format_line(&e, false), "hello\n");
        assert_eq!(format_line(&e, true), "2026-01-01T10:00:00.123456789Z hello\n");
    }

    #[test]
    fn byte_limits_respect_characters() {
        let mut s = "héllo".to_string();
        truncate_at_char(&mut s, 2);
        assert_eq!(s, "h");
    }
}
