//! Sends a redeploy: the same requests `kubectl rollout restart` and Argo CD's documented
//! kubectl flows send, through the one guard and into the audit log.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::json;

use super::audit::{AuditEntry, AuditLog};
use super::cluster_call::{CallError, within_timeout};
use super::guard::{Blocked, ReadOnly};
use super::{Mutation, Strategy};
use crate::sources::custom_resources;

const FIELD_MANAGER: &str = "platdeck";

#[derive(Debug, thiserror::Error)]
pub enum RedeployError {
    #[error(transparent)]
    Blocked(#[from] Blocked),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("an Argo CD operation is already running on {0}; wait for it or terminate it first")]
    OperationInProgress(String),
}

/// Guards, sends and audits one mutation. The guard runs before any request is built.
pub async fn execute(
    client: &kube::Client,
    readonly: &ReadOnly,
    audit: &AuditLog,
    mutation: &Mutation,
) -> Result<String, RedeployError> {
    if let Err(blocked) = readonly.check(mutation) {
        record(audit, mutation, format!("blocked: {blocked}"));
        return Err(blocked.into());
    }
    let outcome = send(client, mutation).await;
    match &outcome {
        Ok(_) => record(audit, mutation, "ok".to_string()),
        Err(err) => record(audit, mutation, format!("error: {err}")),
    }
    outcome
}

fn record(audit: &AuditLog, mutation: &Mutation, result: String) {
    if let Err(err) = audit.append(&AuditEntry::new(mutation, result)) {
        tracing::error!(%err, path = %audit.path().display(), "audit log not written");
    }
}

async fn send(client: &kube::Client, mutation: &Mutation) -> Result<String, RedeployError> {
    let params = PatchParams::apply(FIELD_MANAGER);
    let params = PatchParams { force: false, ..params };
    match mutation.strategy {
        Strategy::Restart => {
            let api: Api<Deployment> = Api::namespaced(client.clone(), &mutation.service.namespace);
            let now = jiff::Zoned::now().strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
            let body = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}});
            for name in &mutation.deployments {
                let object = format!("deployment/{name}");
                within_timeout(&object, api.patch(name, &params, &Patch::Strategic(&body))).await?;
            }
            Ok(format!("restarted {}", mutation.objects().join(", ")))
        }
        Strategy::Sync | Strategy::Refresh => {
            let Some((ns, name)) = &mutation.app else {
                return Err(Blocked::Nothing("Argo CD application").into());
            };
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), ns, &custom_resources::application());
            let object = format!("application.argoproj.io/{name}");
            let body = if mutation.strategy == Strategy::Sync {
                let current = within_timeout(&object, api.get(name)).await?;
                if current.data.get("operation").is_some_and(|o| !o.is_null()) {
                    return Err(RedeployError::OperationInProgress(object));
                }
                let user = std::env::var("USER").unwrap_or_else(|_| "platdeck".into());
                json!({"operation": {"initiatedBy": {"username": user},
                    "sync": {"prune": true, "syncStrategy": {"hook": {}}}}})
            } else {
                json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}})
            };
            within_timeout(&object, api.patch(name, &params, &Patch::Merge(&body))).await?;
            Ok(format!("{} requested for {object}", mutation.strategy.verb()))
        }
    }
}
