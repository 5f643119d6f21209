//! Scaffolding as a mutation: when a scaffold commits to the GitOps repository or creates the service's
//! Argo CD Application in the cluster, it passes the read-only guard, is confirmed naming context and
//! namespace, and is appended to the audit log — like every other mutation.

use std::fmt;
use std::path::PathBuf;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::Value;

use super::audit::{AuditEntry, AuditLog};
use super::cluster_call::{CallError, within_timeout};
use super::guard::{Blocked, ReadOnly};
use crate::scaffold::{self, Plan, ScaffoldError, Written};
use crate::sources::custom_resources;

/// What a scaffold will touch beyond its own new directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldMutation {
    pub context: String,
    pub name: String,
    /// The service's namespace.
    pub namespace: String,
    /// The GitOps repository and branch committed to.
    pub gitops: Option<(PathBuf, String)>,
    /// The Argo CD Application (namespace, name) created in the cluster.
    pub application: Option<(String, String)>,
}

impl ScaffoldMutation {
    pub fn for_plan(plan: &Plan, context: &str, create_application: bool) -> Self {
        let application = plan
            .gitops
            .as_ref()
            .filter(|_| create_application)
            .and_then(|g| g.application.pointer("/metadata/namespace").and_then(Value::as_str))
            .map(|ns| (ns.to_string(), plan.name.clone()));
        Self {
            context: context.to_string(),
            name: plan.name.clone(),
            namespace: plan.namespace.clone(),
            gitops: plan.gitops.as_ref().map(|g| (g.repo.clone(), g.branch.clone())),
            application,
        }
    }

    /// Only local files are written: nothing shared is touched, nothing to guard.
    pub fn is_local(&self) -> bool {
        self.gitops.is_none() && self.application.is_none()
    }

    pub fn check(&self, readonly: &ReadOnly) -> Result<(), Blocked> {
        if readonly.flag {
            return Err(Blocked::ReadonlyFlag(self.to_string()));
        }
        if readonly.is_readonly(&self.context) {
            return Err(Blocked::ReadonlyContext {
                mutation: self.to_string(),
                context: self.context.clone(),
            });
        }
        Ok(())
    }

    pub fn audit_entry(&self, result: impl Into<String>) -> AuditEntry {
        let mut objects = vec![format!("service/{}", self.name)];
        if let Some((repo, branch)) = &self.gitops {
            objects.push(format!("gitops:{}@{branch}", repo.display()));
        }
        if let Some((_, name)) = &self.application {
            objects.push(format!("application.argoproj.io/{name}"));
        }
        AuditEntry {
            time: jiff::Timestamp::now().to_string(),
            user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            context: self.context.clone(),
            action: "scaffold".into(),
            namespace: self.namespace.clone(),
            object: objects.join(","),
            result: result.into(),
        }
    }
}

impl fmt::Display for ScaffoldMutation {
    /// The confirmation line: names context, namespace and what is touched.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scaffold service {} in namespace {}", self.name, self.namespace)?;
        if let Some((repo, branch)) = &self.gitops {
            write!(f, ", committing it to the GitOps repository {} (branch {branch})", repo.display())?;
        }
        if let Some((ns, name)) = &self.application {
            write!(f, ", creating application.argoproj.io/{name} in namespace {ns}")?;
        }
        write!(f, " on context {}", self.context)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldActionError {
    #[error(transparent)]
    Blocked(#[from] Blocked),
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("the Application manifest is not an object: {0}")]
    NotAnObject(String),
    #[error("the scaffold stopped unexpectedly: {0}")]
    Join(String),
}

/// What a finished scaffold did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaffoldOutcome {
    pub written: Written,
    /// `application.argoproj.io/<name>` when it was created.
    pub application: Option<String>,
}

impl ScaffoldOutcome {
    pub fn summary(&self) -> String {
        let mut text = format!("scaffolded {}", self.written.dir.display());
        if self.written.gitops_commit.is_some() {
            text.push_str(", committed to GitOps");
        }
        if let Some(app) = &self.application {
            text.push_str(&format!(", created {app}"));
        }
        text
    }
}

/// A deployment or an Argo CD Application of that name already in the cluster, described.
pub async fn existing_in_cluster(
    client: &kube::Client,
    name: &str,
    namespace: &str,
    argocd_namespace: &str,
) -> Result<Option<String>, ScaffoldActionError> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    if within_timeout("deployment", deployments.get_opt(name)).await?.is_some() {
        return Ok(Some(format!("deployment/{name} in namespace {namespace}")));
    }
    let apps: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), argocd_namespace, &custom_resources::application());
    if within_timeout("application", apps.get_opt(name)).await?.is_some() {
        return Ok(Some(format!("application.argoproj.io/{name} in namespace {argocd_namespace}")));
    }
    Ok(None)
}

/// Creates the Argo CD Application, as `kubectl create -f applications/<name>.yaml` would.
pub async fn create_application(
    client: &kube::Client,
    application: &Value,
) -> Result<String, ScaffoldActionError> {
    let object: DynamicObject = serde_json::from_value(application.clone())
        .map_err(|e| ScaffoldActionError::NotAnObject(e.to_string()))?;
    let namespace = object.metadata.namespace.clone().unwrap_or_else(|| "argocd".into());
    let name = object.metadata.name.clone().unwrap_or_default();
    let label = format!("application.argoproj.io/{name}");
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &namespace, &custom_resources::application());
    let params = PostParams { field_manager: Some("platdeck".into()), ..PostParams::default() };
    within_timeout(&label, api.create(&params, &object)).await?;
    Ok(label)
}

/// Guards, writes (all or nothing), creates the Application when the mutation says so, and audits.
pub async fn execute(
    client: Option<&kube::Client>,
    readonly: &ReadOnly,
    audit: &AuditLog,
    mutation: &ScaffoldMutation,
    plan: Plan,
) -> Result<ScaffoldOutcome, ScaffoldActionError> {
    let record = |result: String| {
        if mutation.is_local() {
            return;
        }
        if let Err(err) = audit.append(&mutation.audit_entry(result)) {
            tracing::error!(%err, path = %audit.path().display(), "audit log not written");
        }
    };
    if !mutation.is_local()
        && let Err(blocked) = mutation.check(readonly)
    {
        record(format!("blocked: {blocked}"));
        return Err(blocked.into());
    }
    let outcome = run(client, mutation, plan).await;
    match &outcome {
        Ok(_) => record("ok".into()),
        Err(err) => record(format!("error: {err}")),
    }
    outcome
}

async fn run(
    client: Option<&kube::Client>,
    mutation: &ScaffoldMutation,
    plan: Plan,
) -> Result<ScaffoldOutcome, ScaffoldActionError> {
    let application = plan.gitops.as_ref().map(|g| g.application.clone());
    let written = tokio::task::spawn_blocking(move || scaffold::write(&plan))
        .await
        .map_err(|e| ScaffoldActionError::Join(e.to_string()))??;
    let created = match (client, &mutation.application, application) {
        (Some(client), Some(_), Some(app)) => Some(create_application(client, &app).await?),
        _ => None,
    };
    Ok(ScaffoldOutcome { written, application: created })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutation() -> ScaffoldMutation {
        ScaffoldMutation {
            context: "platdeck-sim".into(),
            name: "orders".into(),
            namespace: "shop".into(),
            gitops: Some((PathBuf::from("/tmp/gitops"), "main".into())),
            application: Some(("argocd".into(), "orders".into())),
        }
    }

    #[test]
    fn the_confirmation_names_context_namespace_and_objects() {
        let text = mutation().to_string();
        assert_eq!(
            text,
            "scaffold service orders in namespace shop, committing it to the GitOps repository /tmp/gitops \
             (branch main), creating application.argoproj.io/orders in namespace argocd on context platdeck-sim"
        );
    }

    #[test]
    fn read_only_blocks_before_anything_is_written() {
        let readonly = ReadOnly { flag: false, contexts: vec!["platdeck-*".into()] };
        assert!(matches!(mutation().check(&readonly), Err(Blocked::ReadonlyContext { .. })));
        assert!(matches!(
            mutation().check(&ReadOnly { flag: true, contexts: vec![] }),
            Err(Blocked::ReadonlyFlag(_))
        ));
        assert!(mutation().check(&ReadOnly::default()).is_ok());
    }

    #[tokio::test]
    async fn a_blocked_scaffold_is_audited_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let audit = AuditLog::new(dir.path().join("audit.jsonl"));
        let plan = crate::scaffold::plan(
            &crate::scaffold::tests::request(dir.path(), "node-express", "orders"),
            &crate::scaffold::tests::platform(),
        )
        .unwrap();
        let readonly = ReadOnly { flag: true, contexts: vec![] };
        let err = execute(None, &readonly, &audit, &mutation(), plan).await.unwrap_err();
        assert!(err.to_string().starts_with("read-only"), "{err}");
        assert!(!dir.path().join("orders").exists());
        let line: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(audit.path()).unwrap().trim()).unwrap();
        assert_eq!(line["action"], "scaffold");
        assert!(line["result"].as_str().unwrap().starts_with("blocked"));
        assert!(line["object"].as_str().unwrap().contains("application.argoproj.io/orders"));
    }
}
