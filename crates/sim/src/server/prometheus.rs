//! The simulated services' Prometheus scrape endpoints: `/metrics` for all of them, and
//! `/metrics/{namespace}/{service}` for one, in the text exposition format 0.0.4.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::faults::Faults;
use crate::metrics::MetricsStore;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn router(metrics: Arc<MetricsStore>, faults: Arc<Faults>) -> Router {
    Router::new()
        .route("/metrics", get(all))
        .route("/metrics/{namespace}/{service}", get(one))
        .layer(middleware::from_fn_with_state(faults, inject_faults))
        .with_state(metrics)
}

pub async fn inject_faults(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    faults.delay().await;
    if faults.inject_error() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "simulated fault: internal server error\n")
            .into_response();
    }
    next.run(request).await
}

fn exposition(text: String) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

async fn all(State(metrics): State<Arc<MetricsStore>>) -> Response {
    exposition(metrics.render_all())
}

async fn one(
    State(metrics): State<Arc<MetricsStore>>,
    Path((namespace, service)): Path<(String, String)>,
) -> Response {
    match metrics.render_service(&namespace, &service) {
        Some(text) => exposition(text),
        None => (StatusCode::NOT_FOUND, format!("no service {service} in namespace {namespace}\n"))
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultSpec;

    async fn serve(metrics: Arc<MetricsStore>, faults: FaultSpec) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(metrics, Arc::new(Faults::new(faults)));
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn serves_all_and_one_with_the_exposition_content_type() {
        let metrics = Arc::new(MetricsStore::new());
        metrics.record_request("payments", "api", "GET", "/orders", 200, 0.1);
        metrics.record_request("billing", "worker", "POST", "/jobs", 500, 1.0);
        let base = serve(metrics, FaultSpec::default()).await;

        let response = reqwest::get(format!("{base}/metrics")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        let text = response.text().await.unwrap();
        let series = r#"{namespace="payments",service="api",method="GET",path="/orders",status="200"} 1"#;
        assert!(text.contains(&format!("http_requests_total{series}")));
        assert!(text.contains(r#"service="worker""#));

        let response = reqwest::get(format!("{base}/metrics/payments/api")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        let text = response.text().await.unwrap();
        assert!(text.contains(r#"http_requests_total{method="GET",path="/orders",status="200"} 1"#));
        assert!(!text.contains("worker"));
        assert!(text.ends_with('\n'));

        let response = reqwest::get(format!("{base}/metrics/payments/nope")).await.unwrap();
        assert_eq!(response.status(), 404);
    }

    #[tokio::test]
    async fn error_fault_answers_500() {
        let base =
            serve(Arc::new(MetricsStore::new()), FaultSpec { error_rate: 1.0, ..FaultSpec::default() }).await;
        let response = reqwest::get(format!("{base}/metrics")).await.unwrap();
        assert_eq!(response.status(), 500);
    }
}
