//! Kubernetes, Argo CD and Kyverno objects, watched with kube-rs watchers (list once, then watch;
//! relist on 410; reconnect with backoff) and projected into the caches at the edge.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::ApiResource;

use super::custom_resources::{self, resource};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::cache::{Caches, ResourceCache};
use platdeck_core::platform::{SourceHealth, project};

/// What to watch.
#[derive(Debug, Clone)]
pub struct WatchScope {
    /// Restrict namespaced resources to one namespace (`--namespace`); None = all.
    pub namespace: Option<String>,
    /// Where Argo CD Applications live.
    pub argocd_namespace: String,
}

/// The full object as the API server sent it (metadata back in place), for the pure projections.
fn as_value(obj: DynamicObject) -> Value {
    let mut data = obj.data;
    if !data.is_object() {
        data = Value::Object(serde_json::Map::new());
    }
    data["metadata"] = serde_json::to_value(&obj.metadata).unwrap_or(Value::Null);
    data
}

fn key_of(obj: &DynamicObject) -> String {
    format!(
        "{}/{}",
        obj.metadata.namespace.as_deref().unwrap_or(""),
        obj.metadata.name.as_deref().unwrap_or("")
    )
}

/// Starts one watcher per resource; they run until `token` is cancelled.
pub fn spawn_watchers(
    client: &kube::Client,
    scope: &WatchScope,
    caches: &Arc<Caches>,
    tracker: &TaskTracker,
    token: &CancellationToken,
) {
    let ns_api = |ar: &ApiResource| -> Api<DynamicObject> {
        match &scope.namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
            None => Api::all_with(client.clone(), ar),
        }
    };
    let apps_ar = custom_resources::application();
    let apps = Api::namespaced_with(client.clone(), &scope.argocd_namespace, &apps_ar);
    let deploy_api = ns_api(&resource("apps", "v1", "Deployment", "deployments"));
    let pod_api = ns_api(&resource("", "v1", "Pod", "pods"));
    let report_api = ns_api(&custom_resources::policy_report());
    let policy_api = Api::all_with(client.clone(), &custom_resources::cluster_policy());
    let event_api = ns_api(&resource("", "v1", "Event", "events"));
    let warnings = watcher::Config::default().fields("type=Warning");

    let c = caches.clone();
    spawn(
        tracker,
        token,
        watch_into(
            apps,
            watcher::Config::default(),
            c.clone(),
            "applications",
            |o| &o.apps,
            project::app_info,
        ),
    );
    spawn(
        tracker,
        token,
        watch_into(
            deploy_api,
            watcher::Config::default(),
            c.clone(),
            "deployments",
            |o| &o.deployments,
            project::deployment_info,
        ),
    );
    spawn(
        tracker,
        token,
        watch_into(pod_api, watcher::Config::default(), c.clone(), "pods", |o| &o.pods, project::pod_info),
    );
    spawn(
        tracker,
        token,
        watch_into(
            report_api,
            watcher::Config::default(),
            c.clone(),
            "policyreports",
            |o| &o.reports,
            |v| project::policy_results(v).into_iter().map(Arc::new).collect(),
        ),
    );
    spawn(
        tracker,
        token,
        watch_into(
            policy_api,
            watcher::Config::default(),
            c.clone(),
            "clusterpolicies",
            |o| &o.policies,
            project::policy_info,
        ),
    );
    spawn(tracker, token, watch_into(event_api, warnings, c, "events", |o| &o.events, project::event_info));
}

fn spawn(tracker: &TaskTracker, token: &CancellationToken, job: impl Future<Output = ()> + Send + 'static) {
    let token = token.clone();
    tracker.spawn(async move {
        tokio::select! {
            _ = job => {}
            _ = token.cancelled() => {}
        }
    });
}

/// Watches one resource and keeps its cache and health current.
async fn watch_into<T: PartialEq + Send + Sync + 'static>(
    api: Api<DynamicObject>,
    config: watcher::Config,
    caches: Arc<Caches>,
    source: &'static str,
    cache_of: impl Fn(&Caches) -> &ResourceCache<T> + Send + 'static,
    project: impl Fn(&Value) -> T + Send + 'static,
) {
    let mut stream = watcher::watcher(api, config).default_backoff().boxed();
    let mut last_ok: Option<jiff::Timestamp> = None;
    while let Some(item) = stream.next().await {
        let cache = cache_of(&caches);
        match item {
            Ok(Event::Init) => cache.begin_relist(),
            Ok(Event::InitApply(obj)) => {
                let key = key_of(&obj);
                cache.relist_apply(key, project(&as_value(obj)));
            }
            Ok(Event::InitDone) => {
                cache.end_relist();
                last_ok = Some(jiff::Timestamp::now());
                caches.set_health(source, SourceHealth::Connected);
                caches.notify();
            }
            Ok(Event::Apply(obj)) => {
                let key = key_of(&obj);
                last_ok = Some(jiff::Timestamp::now());
                if cache.apply(key, project(&as_value(obj))) {
                    caches.notify();
                }
            }
            Ok(Event::Delete(obj)) => {
                cache.delete(&key_of(&obj));
                caches.notify();
            }
            Err(err) => {
                // The whole chain: the panel and the log file hold the reason the header can only cut.
                let error = super::error_chain::error_chain(&err);
                tracing::warn!(source, %error, "watch failed; retrying with backoff");
                caches.set_health(source, health_for(&err, &error, last_ok));
            }
        }
    }
}

/// How a watch error shows in the header: forbidden and not-installed are not "empty".
fn health_for(err: &watcher::Error, text: &str, last_ok: Option<jiff::Timestamp>) -> SourceHealth {
    let api_status = match err {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some((s.code, s.message.clone())),
        watcher::Error::WatchError(s) => Some((s.code, s.message.clone())),
        _ => None,
    };
    match api_status {
        Some((403, message)) => SourceHealth::Forbidden { message },
        Some((404, _)) => SourceHealth::NotInstalled,
        _ => match last_ok {
            Some(since) => SourceHealth::Stale { since, error: text.to_string() },
            None => SourceHealth::Error { message: text.to_string() },
        },
    }
}
