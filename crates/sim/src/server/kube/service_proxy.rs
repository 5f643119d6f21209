//! The service proxy (`/api/v1/namespaces/{ns}/services/{name}[:port]/proxy/{path}`): the sim answers for
//! its simulated services as their probes would — `/health`, `/ready` and `/metrics`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::clock::now_micro_rfc3339;
use crate::resources::{PODS, SERVICES};
use crate::state::Shared;
use crate::status::ApiError;

pub fn serve(state: &Shared, namespace: &str, name_and_port: &str, path: &str) -> Result<Response, ApiError> {
    let name = name_and_port.split(':').next().unwrap_or(name_and_port);
    let service =
        state.world.get(&SERVICES, namespace, name).ok_or_else(|| ApiError::not_found(&SERVICES, name))?;
    let (running, ready) = backing_pods(state, &service, namespace);
    if running == 0 {
        return Err(ApiError::unavailable(format!("no endpoints available for service \"{name}\"")));
    }
    let now = now_micro_rfc3339();
    let response = match path.trim_matches('/') {
        "health" => json_reply(StatusCode::OK, json!({"status": "healthy", "timestamp": now})),
        "ready" if ready > 0 => json_reply(StatusCode::OK, json!({"status": "ready", "timestamp": now})),
        "ready" => {
            json_reply(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "not ready", "timestamp": now}))
        }
        "metrics" => {
            let service_name = service
                .pointer("/metadata/labels/app.kubernetes.io~1name")
                .and_then(Value::as_str)
                .unwrap_or(name);
            let text = state.metrics.render_service(namespace, service_name).unwrap_or_default();
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
        }
        "" => json_reply(StatusCode::OK, json!({"service": name, "status": "ok"})),
        other => json_reply(StatusCode::NOT_FOUND, json!({"error": format!("Cannot GET /{other}")})),
    };
    Ok(response)
}

fn json_reply(code: StatusCode, body: Value) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Running and ready pods selected by the service.
fn backing_pods(state: &Shared, service: &Value, namespace: &str) -> (usize, usize) {
    let Some(selector) = service.pointer("/spec/selector").and_then(Value::as_object) else { return (0, 0) };
    if selector.is_empty() {
        return (0, 0);
    }
    let (_, pods) = state.world.list_from(&PODS, Some(namespace), None, usize::MAX, |pod| {
        selector.iter().all(|(k, v)| pod.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
            && pod.pointer("/metadata/deletionTimestamp").is_none()
    });
    let running =
        pods.iter().filter(|p| p.pointer("/status/phase").and_then(Value::as_str) == Some("Running")).count();
    let ready = pods.iter().filter(|p| is_ready(p)).count();
    (running, ready)
}

fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}
