//! `http`: an HTTP endpoint answers with the expected status and JSON body — a URL, or an in-cluster
//! service (one, or every service matching a selector) through the Kubernetes service proxy
//! (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`), as its probes would see it.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, ListParams};
use serde::Deserialize;
use serde_json::Value;

use super::{Built, built, list_some};
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// A URL reached directly.
    pub url: Option<String>,
    /// One in-cluster service.
    pub service: Option<ServiceRef>,
    /// Every service of a namespace matching a label selector.
    pub services: Option<ServiceSelector>,
    /// Path on the service (`/health`); ignored with `url`.
    #[serde(default = "root")]
    pub path: String,
    #[serde(default = "ok")]
    pub expect_status: u16,
    /// Expected JSON values by key or JSON pointer (`status: healthy`, `/checks/db: ok`).
    #[serde(default)]
    pub expect_json: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRef {
    pub namespace: String,
    pub name: String,
    /// Port name or number; default: the service's first port.
    pub port: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSelector {
    pub namespace: String,
    #[serde(default)]
    pub selector: String,
}

fn root() -> String {
    "/".into()
}

fn ok() -> u16 {
    200
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let target = match (&p.url, &p.service, &p.services) {
        (Some(url), _, _) => url.clone(),
        (None, Some(s), _) => format!("service {}/{} {}", s.namespace, s.name, p.path),
        (None, None, Some(s)) => {
            format!("{} on every service in {} matching {}", p.path, s.namespace, s.selector)
        }
        (None, None, None) => "nothing (give url, service or services)".into(),
    };
    let plan = format!("GET {target}, expect {}", p.expect_status);
    built(p, env, run, plan, false, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        if let Some(url) = &p.url {
            let result = match env.http.get(url).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                    check(p, status, &body)
                }
                Err(e) => Err(format!("no answer: {e}")),
            };
            return match result {
                Ok(m) => Outcome::Passed(format!("{url}: {m}")),
                Err(e) => Outcome::Failed(format!("{url}: {e}")),
            };
        }
        let client = match env.kube() {
            Ok(c) => c.clone(),
            Err(e) => return Outcome::Failed(e),
        };
        let targets = match (&p.service, &p.services) {
            (Some(s), _) => vec![(s.namespace.clone(), s.name.clone(), s.port.clone())],
            (None, Some(sel)) => match selected(&client, sel).await {
                Ok(t) if t.is_empty() => {
                    return Outcome::Failed(format!(
                        "no service in {} matches {}",
                        sel.namespace, sel.selector
                    ));
                }
                Ok(t) => t,
                Err(e) => return Outcome::Failed(e),
            },
            (None, None) => {
                return Outcome::Failed("the task gives neither url, service nor services".into());
            }
        };
        let mut failed = Vec::new();
        let mut passed = Vec::new();
        for (namespace, name, port) in &targets {
            match through_proxy(&client, p, namespace, name, port.as_deref()).await {
                Ok(m) => {
                    io.line(format!("{name}{}: {m}", p.path));
                    passed.push(name.clone());
                }
                Err(e) => {
                    io.line(format!("{name}{}: {e}", p.path));
                    failed.push(format!("{name}{}: {e}", p.path));
                }
            }
        }
        if failed.is_empty() {
            Outcome::Passed(format!("{} answered {} on {}", list_some(&passed, 6), p.expect_status, p.path))
        } else {
            Outcome::Failed(failed.join("; "))
        }
    })
}

/// The services matching the selector, with their first port.
async fn selected(
    client: &kube::Client,
    sel: &ServiceSelector,
) -> Result<Vec<(String, String, Option<String>)>, String> {
    let api: Api<Service> = Api::namespaced(client.clone(), &sel.namespace);
    let list = api
        .list(&ListParams::default().labels(&sel.selector))
        .await
        .map_err(|e| format!("cannot list services in {}: {e}", sel.namespace))?;
    Ok(list
        .items
        .into_iter()
        .map(|s| {
            let port = s
                .spec
                .as_ref()
                .and_then(|spec| spec.ports.as_ref())
                .and_then(|ports| ports.first())
                .map(|port| port.port.to_string());
            (sel.namespace.clone(), s.metadata.name.unwrap_or_default(), port)
        })
        .collect())
}

async fn through_proxy(
    client: &kube::Client,
    p: &Params,
    namespace: &str,
    name: &str,
    port: Option<&str>,
) -> Result<String, String> {
    let target = match port {
        Some(port) => format!("{name}:{port}"),
        None => name.to_string(),
    };
    let path =
        format!("/api/v1/namespaces/{namespace}/services/{target}/proxy/{}", p.path.trim_start_matches('/'));
    let request = http::Request::get(&path).body(kube::client::Body::empty()).map_err(|e| e.to_string())?;
    let response =
        client.send(request).await.map_err(|e| format!("no answer through the service proxy: {e}"))?;
    let status = response.status().as_u16();
    let body = response.into_body().collect_bytes().await.map_err(|e| e.to_string())?;
    check(p, status, &body)
}

/// Compares status and JSON body with the expectations; the reason names what differs.
fn check(p: &Params, status: u16, body: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.chars().take(160).collect();
    if status != p.expect_status {
        return Err(format!("answered {status}, expected {} — body: {}", p.expect_status, excerpt.trim()));
    }
    if p.expect_json.is_empty() {
        return Ok(format!("{status}"));
    }
    let json: Value = serde_json::from_slice(body)
        .map_err(|_| format!("answered {status} but not JSON: {}", excerpt.trim()))?;
    for (key, want) in &p.expect_json {
        let got = if key.starts_with('/') { json.pointer(key) } else { json.get(key) };
        if got != Some(want) {
            let got = got.map_or("nothing".to_string(), Value::to_string);
            return Err(format!("`{key}` is {got}, expected {want}"));
        }
    }
    Ok(format!("{status} {}", excerpt.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(expect: &[(&str, Value)]) -> Params {
        Params {
            url: None,
            service: None,
            services: None,
            path: "/ready".into(),
            expect_status: 200,
            expect_json: expect.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }

    #[test]
    fn status_and_body_expectations() {
        let p = params(&[("status", json!("ready"))]);
        assert!(check(&p, 200, br#"{"status":"ready"}"#).is_ok());
        assert_eq!(
            check(&p, 503, br#"{"status":"not ready"}"#).unwrap_err(),
            r#"answered 503, expected 200 — body: {"status":"not ready"}"#
        );
        assert_eq!(
            check(&p, 200, br#"{"status":"starting"}"#).unwrap_err(),
            r#"`status` is "starting", expected "ready""#
        );
        assert!(check(&params(&[("/a/b", json!(1))]), 200, br#"{"a":{"b":1}}"#).is_ok());
        assert!(check(&p, 200, b"plain").unwrap_err().contains("not JSON"));
    }
}
