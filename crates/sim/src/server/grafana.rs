//! The sim's Grafana: health, and the Loki and Prometheus datasources (wire-formats §6), behind a
//! bearer token.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::faults::Faults;

/// What the Grafana server needs from the sim.
#[derive(Clone)]
pub struct GrafanaState {
    /// The service-account token every `/api/datasources*` request must bear.
    pub token: String,
    pub loki_url: String,
    pub prometheus_url: String,
    pub faults: Arc<Faults>,
}

pub const VERSION: &str = "11.4.0";
pub const COMMIT: &str = "b58701869e";
pub const LOKI_UID: &str = "P8E80F9AEF21F6940";
pub const PROMETHEUS_UID: &str = "prometheus";

/// How long a datasource health check waits for its backend.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router(state: GrafanaState) -> Router {
    let api = Router::new()
        .route("/api/datasources", get(list))
        .route("/api/datasources/uid/{uid}", get(by_uid))
        .route("/api/datasources/uid/{uid}/health", get(health_by_uid))
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/api/health", get(api_health))
        .route("/healthz", get(|| async { "Ok" }))
        .merge(api)
        .layer(middleware::from_fn_with_state(state.faults.clone(), inject_faults))
        .with_state(state)
}

async fn inject_faults(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    faults.delay().await;
    if request.uri().path() != "/healthz" && faults.inject_error() {
        if request.uri().path() == "/api/health" {
            let body = json!({"commit": COMMIT, "database": "failing", "version": VERSION});
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
        }
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"message": "Internal Server Error"})))
            .into_response();
    }
    next.run(request).await
}

async fn require_token(State(state): State<GrafanaState>, request: Request, next: Next) -> Response {
    if bearer_matches(request.headers(), &state.token) {
        next.run(request).await
    } else {
        (StatusCode::UNAUTHORIZED, Json(json!({"message": "Unauthorized"}))).into_response()
    }
}

fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
    let Some((scheme, presented)) = value.trim().split_once(' ') else { return false };
    scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && constant_time_eq(presented.trim(), token)
}

/// Compares without an early exit, so response timing does not reveal how much of a token was right.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

async fn api_health() -> Json<Value> {
    Json(json!({"commit": COMMIT, "database": "ok", "version": VERSION}))
}

/// The two provisioned datasources, as `GET /api/datasources` lists them.
fn datasources(state: &GrafanaState) -> [Value; 2] {
    [
        json!({
            "id": 1, "uid": LOKI_UID, "orgId": 1, "name": "Loki", "type": "loki", "typeName": "Loki",
            "typeLogoUrl": "public/app/plugins/datasource/loki/img/loki_icon.svg", "access": "proxy",
            "url": state.loki_url, "user": "", "database": "", "basicAuth": false, "isDefault": false,
            "jsonData": {"maxLines": 1000}, "readOnly": false
        }),
        json!({
            "id": 2, "uid": PROMETHEUS_UID, "orgId": 1, "name": "Prometheus", "type": "prometheus",
            "typeName": "Prometheus",
            "typeLogoUrl": "public/app/plugins/datasource/prometheus/img/prometheus_logo.svg",
            "access": "proxy", "url": state.prometheus_url, "user": "", "database": "", "basicAuth": false,
            "isDefault": true, "jsonData": {"httpMethod": "POST"}, "readOnly": false
        }),
    ]
}

fn find(state: &GrafanaState, uid: &str) -> Option<Value> {
    datasources(state).into_iter().find(|ds| ds["uid"] == uid)
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Data source not found"}))).into_response()
}

async fn list(State(state): State<GrafanaState>) -> Json<Value> {
    Json(Value::Array(datasources(&state).to_vec()))
}

async fn by_uid(State(state): State<GrafanaState>, Path(uid): Path<String>) -> Response {
    let Some(mut ds) = find(&state, &uid) else { return not_found() };
    // The single-datasource view has a few more fields than the list.
    if let Some(obj) = ds.as_object_mut() {
        obj.remove("typeName");
        obj.insert("basicAuthUser".into(), json!(""));
        obj.insert("withCredentials".into(), json!(false));
        obj.insert("secureJsonFields".into(), json!({}));
        obj.insert("version".into(), json!(1));
    }
    Json(ds).into_response()
}

/// Checks the datasource's backend for real, as Grafana does: OK only if it answers.
async fn health_by_uid(State(state): State<GrafanaState>, Path(uid): Path<String>) -> Response {
    let Some(ds) = find(&state, &uid) else { return not_found() };
    let (probe, ok_message) = if uid == LOKI_UID {
        (
            format!("{}/loki/api/v1/labels", state.loki_url.trim_end_matches('/')),
            "Data source successfully connected.",
        )
    } else {
        (
            format!("{}/metrics", state.prometheus_url.trim_end_matches('/')),
            "Successfully queried the Prometheus API.",
        )
    };
    let name = ds["name"].as_str().unwrap_or("datasource").to_string();
    let outcome = match reqwest::Client::builder().timeout(HEALTH_TIMEOUT).build() {
        Ok(client) => client.get(&probe).send().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match outcome {
        Ok(response) if response.status().is_success() => {
            Json(json!({"status": "OK", "message": ok_message})).into_response()
        }
        Ok(response) => {
            let message = format!("{name} health check failed: {} from {probe}", response.status());
            (StatusCode::BAD_REQUEST, Json(json!({"status": "ERROR", "message": message}))).into_response()
        }
        Err(err) => {
            let message = format!("{name} health check failed: {err}");
            (StatusCode::BAD_REQUEST, Json(json!({"status": "ERROR", "message": message}))).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultSpec;

    const TOKEN: &str = "glsa_test_token";

    async fn listen(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    /// Grafana in front of a stub Loki answering `/loki/api/v1/labels`, and a Prometheus URL nobody serves.
    async fn serve(faults: FaultSpec) -> String {
        let loki = listen(Router::new().route("/loki/api/v1/labels", get(|| async { "{}" }))).await;
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let prometheus_url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        listen(router(GrafanaState {
            token: TOKEN.into(),
            loki_url: loki,
            prometheus_url,
            faults: Arc::new(Faults::new(faults)),
        }))
        .await
    }

    async fn fetch(url: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = reqwest::Client::new().get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn health_needs_no_token() {
        let base = serve(FaultSpec::default()).await;
        let (status, body) = fetch(&format!("{base}/api/health"), None).await;
        assert_eq!(status, 200);
        assert_eq!(body["database"], "ok");
        assert_eq!(body["version"], VERSION);
        assert!(body["commit"].is_string());
        let text = reqwest::get(format!("{base}/healthz")).await.unwrap().text().await.unwrap();
        assert_eq!(text, "Ok");
    }

    #[tokio::test]
    async fn datasources_need_the_bearer_token() {
        let base = serve(FaultSpec::default()).await;
        for token in [None, Some("wrong"), Some("glsa_test_toke")] {
            let (status, body) = fetch(&format!("{base}/api/datasources"), token).await;
            assert_eq!(status, 401, "{token:?}");
            assert_eq!(body, json!({"message": "Unauthorized"}));
        }
        let (status, body) = fetch(&format!("{base}/api/datasources/uid/{LOKI_UID}"), None).await;
        assert_eq!((status, body["message"].as_str()), (401, Some("Unauthorized")));

        let (status, body) = fetch(&format!("{base}/api/datasources"), Some(TOKEN)).await;
        assert_eq!(status, 200);
        let list = body.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["type"], "loki");
        assert_eq!(list[0]["uid"], LOKI_UID);
        assert!(list[0]["url"].as_str().unwrap().starts_with("http://127.0.0.1:"));
        assert_eq!(list[1]["type"], "prometheus");
        assert_eq!(list[1]["isDefault"], true);
        for key in ["id", "orgId", "name", "access", "basicAuth", "jsonData", "readOnly"] {
            assert!(list[0].get(key).is_some(), "{key}");
        }
    }

    #[tokio::test]
    async fn datasource_by_uid_and_its_health() {
        let base = serve(FaultSpec::default()).await;
        let (status, body) =
            fetch(&format!("{base}/api/datasources/uid/{PROMETHEUS_UID}"), Some(TOKEN)).await;
        assert_eq!(status, 200);
        assert_eq!(body["name"], "Prometheus");
        assert_eq!(body["secureJsonFields"], json!({}));
        let (status, body) = fetch(&format!("{base}/api/datasources/uid/nope"), Some(TOKEN)).await;
        assert_eq!((status, body["message"].as_str()), (404, Some("Data source not found")));

        let (status, body) =
            fetch(&format!("{base}/api/datasources/uid/{LOKI_UID}/health"), Some(TOKEN)).await;
        assert_eq!(status, 200);
        assert_eq!(body["status"], "OK");
        // Nothing listens at the Prometheus URL: the check reports it.
        let (status, body) =
            fetch(&format!("{base}/api/datasources/uid/{PROMETHEUS_UID}/health"), Some(TOKEN)).await;
        assert_eq!(status, 400);
        assert_eq!(body["status"], "ERROR");
        let (status, _) = fetch(&format!("{base}/api/datasources/uid/nope/health"), Some(TOKEN)).await;
        assert_eq!(status, 404);
    }

    #[tokio::test]
    async fn error_fault_fails_health_and_api_but_not_liveness() {
        let base = serve(FaultSpec { error_rate: 1.0, ..FaultSpec::default() }).await;
        let (status, body) = fetch(&format!("{base}/api/health"), None).await;
        assert_eq!((status, body["database"].as_str()), (503, Some("failing")));
        let (status, _) = fetch(&format!("{base}/api/datasources"), Some(TOKEN)).await;
        assert_eq!(status, 500);
        let response = reqwest::get(format!("{base}/healthz")).await.unwrap();
        assert_eq!(response.status(), 200);
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(!constant_time_eq("", "a"));
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "bearer  tok ".parse().unwrap());
        assert!(bearer_matches(&headers, "tok"));
        headers.insert(header::AUTHORIZATION, "Basic dG9r".parse().unwrap());
        assert!(!bearer_matches(&headers, "tok"));
    }
}
