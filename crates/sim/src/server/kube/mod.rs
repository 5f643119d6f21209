//! The simulated Kubernetes API server: discovery, REST verbs, watches, pod logs and the service proxy.

mod discovery;
mod openapi;
mod pod_logs;
mod protobuf;
mod request;
mod resource_metrics;
mod rest;
mod reviews;
mod route;
mod service_proxy;
mod tables;
mod watch;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::resources::Serving;
use crate::state::Shared;
use crate::status::ApiError;
use request::Params;
use route::Route;

/// Bodies larger than this are refused with 413, as the apiserver does (3 MiB there).
const MAX_BODY: usize = 3 * 1024 * 1024;

pub fn router(state: Shared) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(State(state): State<Shared>, request: Request) -> Response {
    state.faults.delay().await;
    let (parts, body) = request.into_parts();
    if parts.method != Method::GET && parts.method != Method::HEAD {
        state.mutating_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let params = Params::parse(parts.uri.query());
    // Watches fail too: a real apiserver answers 5xx to a watch request as readily as to a list.
    if state.faults.inject_error() {
        return ApiError::internal("simulated fault: internal error").into_response();
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(413, "RequestEntityTooLarge", "the request body is too large")
                .into_response();
        }
    };
    let host =
        parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    let mut response =
        match dispatch(&state, &parts.method, parts.uri.path(), &params, &parts.headers, body, &host).await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        };
    // A deprecated version of a custom resource says so on every response, as the apiserver does.
    if let Some(Route::Collection { kind, .. } | Route::Object { kind, .. }) = route::parse(parts.uri.path())
        && let Some(warning) = crate::crds::deprecation_warning(&kind)
        && let Ok(value) = header::HeaderValue::from_str(&warning)
    {
        response.headers_mut().append(header::WARNING, value);
    }
    response
}

async fn dispatch(
    state: &Shared,
    method: &Method,
    path: &str,
    params: &Params,
    headers: &HeaderMap,
    body: Bytes,
    host: &str,
) -> Result<Response, ApiError> {
    let route = route::parse(path).ok_or_else(|| ApiError::no_route(path))?;
    let read_only = |doc: Option<Value>| -> Result<Response, ApiError> {
        if method != Method::GET {
            return Err(ApiError::method_not_allowed(format!(
                "the server does not allow this method on {path}"
            )));
        }
        doc.map(json_response).ok_or_else(|| ApiError::no_route(path))
    };
    match route {
        Route::Version => read_only(Some(discovery::version())),
        Route::CoreVersions => read_only(Some(discovery::api_versions(host))),
        Route::Groups => read_only(Some(discovery::api_group_list())),
        Route::Group(group) => read_only(discovery::api_group(&group)),
        Route::ResourceList { group, version } => read_only(discovery::resource_list(&group, &version)),
        Route::OpenApiRoot => read_only(Some(openapi::root())),
        Route::OpenApi(gv) => read_only(openapi::group_version(&gv)),
        Route::Collection { kind, .. } | Route::Object { kind, .. }
            if !reviews::permitted(state, &kind, method) =>
        {
            Err(ApiError::forbidden(&kind, method, path))
        }
        Route::Collection { kind, namespace } if kind.serving == Serving::Review => match *method {
            Method::POST => reviews::serve(state, &kind, namespace.as_deref(), headers, &body),
            _ => Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            )),
        },
        Route::Collection { kind, namespace } if kind.serving == Serving::Metrics => match *method {
            Method::GET if !params.flag("watch") => {
                resource_metrics::list(state, &kind, namespace.as_deref(), params)
            }
            _ => Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            )),
        },
        Route::Object { kind, namespace, name, .. } if kind.serving == Serving::Metrics => match *method {
            Method::GET => resource_metrics::get(state, &kind, &namespace, &name),
            _ => Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            )),
        },
        Route::Object { kind, .. } if kind.serving == Serving::Review => Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )),
        Route::Collection { kind, namespace } => {
            let ns = namespace.as_deref();
            match *method {
                Method::GET if params.flag("watch") => {
                    watch::serve(state, kind, ns, params, tables::wanted(headers))
                }
                Method::GET => rest::list(state, &kind, ns, params, tables::wanted(headers)),
                Method::POST => rest::create(state, &kind, ns, params, headers, &body),
                Method::DELETE => rest::delete_collection(state, &kind, ns, params),
                _ => Err(ApiError::method_not_allowed(format!("{method} is not supported on a collection"))),
            }
        }
        Route::Object { kind, namespace, name, sub, rest } => match (sub.as_deref(), method.clone()) {
            (Some("log"), Method::GET) => pod_logs::serve(state, &namespace, &name, params),
            (Some("proxy"), _) => service_proxy::serve(state, &namespace, &name, &rest),
            (Some("log"), _) => Err(ApiError::method_not_allowed("pod logs only support GET")),
            (_, Method::GET) => rest::get(state, &kind, &namespace, &name, tables::wanted(headers)),
            (_, Method::PUT) => rest::replace(state, &kind, &namespace, &name, params, headers, &body),
            (_, Method::PATCH) => rest::patch(state, &kind, &namespace, &name, params, headers, &body),
            (None, Method::DELETE) => rest::delete(state, &kind, &namespace, &name, params, &body),
            _ => Err(ApiError::method_not_allowed(format!("{method} is not supported on {path}"))),
        },
    }
}

/// A JSON response with the apiserver's content type.
pub(crate) fn json_response(value: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}
