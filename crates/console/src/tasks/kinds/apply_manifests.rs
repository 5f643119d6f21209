//! `apply-manifests`: objects from manifests (embedded or files, templated from the config) are created
//! or updated with server-side apply through the dynamic API — any kind the cluster serves.

use std::sync::Arc;

use futures::future::BoxFuture;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use serde::Deserialize;
use serde_json::Value;

use super::{Built, built};
use crate::config::Config;
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

/// The field manager named in server-side apply.
const FIELD_MANAGER: &str = "platdeck";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Embedded manifest names (`platform-apps`, `require-observability-labels`) or file paths.
    pub manifests: Vec<String>,
}

/// The rendered objects, or why there are none.
struct Rendered {
    objects: Result<Vec<Value>, String>,
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let objects = load(&p.manifests, &env.config);
    let plan = match &objects {
        Ok(objects) => {
            let names: Vec<String> = objects.iter().map(describe).collect();
            format!("create or update (server-side apply) {}", names.join(", "))
        }
        Err(e) => format!("cannot render the manifests: {e}"),
    };
    built(Rendered { objects }, env, run, plan, true, true)
}

/// Reads, renders and splits the manifests into objects.
fn load(manifests: &[String], config: &Config) -> Result<Vec<Value>, String> {
    let mut objects = Vec::new();
    for name in manifests {
        let text = match crate::assets::manifest(name) {
            Some(text) => text.to_string(),
            None => std::fs::read_to_string(name)
                .map_err(|e| format!("`{name}` is neither a built-in manifest nor a readable file: {e}"))?,
        };
        let rendered = crate::tasks::template::render(name, &text, config).map_err(|e| e.to_string())?;
        for document in serde_norway::Deserializer::from_str(&rendered) {
            let value = Value::deserialize(document).map_err(|e| format!("{name}: {e}"))?;
            if value.is_object() {
                objects.push(value);
            }
        }
    }
    Ok(objects)
}

/// `kind/name in namespace`.
fn describe(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or("?").to_lowercase();
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?");
    match object.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) => format!("{kind}/{name} in {ns}"),
        None => format!("{kind}/{name}"),
    }
}

fn run<'a>(p: &'a Rendered, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let objects = match &p.objects {
            Ok(o) => o,
            Err(e) => return Outcome::Failed(e.clone()),
        };
        let client = match env.kube() {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(e),
        };
        for object in objects {
            match apply(client, env, object).await {
                Ok(line) => io.line(line),
                Err(e) => return Outcome::Failed(e),
            }
        }
        Outcome::Passed(format!("{} objects applied", objects.len()))
    })
}

async fn apply(client: &kube::Client, env: &Env, object: &Value) -> Result<String, String> {
    let what = describe(object);
    let api_version = object["apiVersion"].as_str().ok_or_else(|| format!("{what}: no apiVersion"))?;
    let kind = object["kind"].as_str().ok_or_else(|| format!("{what}: no kind"))?;
    let name =
        object.pointer("/metadata/name").and_then(Value::as_str).ok_or_else(|| format!("{what}: no name"))?;
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let (resource, caps) = kube::discovery::pinned_kind(client, &gvk).await.map_err(|e| {
        format!("{what}: the cluster does not serve {api_version} {kind} ({e}) — is its CRD installed?")
    })?;
    let namespaced = caps.scope == kube::discovery::Scope::Namespaced;
    let namespace = object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
    let object_name = format!("{}/{name}", resource.plural);
    env.allow("apply", if namespaced { namespace } else { "" }, &object_name)?;
    let api: Api<DynamicObject> = if namespaced {
        Api::namespaced_with(client.clone(), namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    };
    let params = PatchParams::apply(FIELD_MANAGER).force();
    match api.patch(name, &params, &Patch::Apply(object)).await {
        Ok(applied) => {
            env.record("apply", if namespaced { namespace } else { "" }, &object_name, "ok");
            let rv = applied.metadata.resource_version.unwrap_or_default();
            Ok(format!("applied {what} (resourceVersion {rv})"))
        }
        Err(e) => {
            env.record("apply", if namespaced { namespace } else { "" }, &object_name, format!("error: {e}"));
            Err(format!("{what} was not applied: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_manifests_render_from_the_config() {
        let mut config = Config::default();
        config.argocd.namespace = "gitops".into();
        let objects =
            load(&["platform-apps".into(), "require-observability-labels".into()], &config).unwrap();
        let names: Vec<String> = objects.iter().map(describe).collect();
        assert_eq!(
            names,
            [
                "application/loki in gitops",
                "application/promtail in gitops",
                "application/kube-prometheus-stack in gitops",
                "application/kyverno in gitops",
                "application/kyverno-policies in gitops",
                "clusterpolicy/require-observability-labels"
            ]
        );
        let grafana = objects[2].to_string();
        assert!(grafana.contains("grafana.example.com"), "{grafana}");
    }

    #[test]
    fn unknown_manifests_are_named() {
        let err = load(&["nope.yaml".into()], &Config::default()).unwrap_err();
        assert!(err.contains("`nope.yaml` is neither a built-in manifest nor a readable file"), "{err}");
    }
}
