//! The scaffold form's effects, run off the UI loop: planning for the preview (render and check, nothing
//! written) and the confirmed scaffold (guarded, written all or nothing, committed to GitOps, the Argo CD
//! Application created in the connected cluster, audited). Each answers with one action.

use std::path::PathBuf;

use super::action::Action;
use super::scaffold_form::{Preview, ScaffoldInput};
use crate::actions::audit::AuditLog;
use crate::actions::guard::ReadOnly;
use crate::actions::scaffold::{ScaffoldMutation, execute, existing_in_cluster};
use crate::scaffold::{Plan, Platform, Request, ScaffoldError, plan};

/// What the console scaffolds with.
#[derive(Debug, Clone)]
pub struct ScaffoldSettings {
    pub platform: Platform,
    /// The GitOps repository to commit to (the config's local `gitops.repo`, or the demo's).
    pub gitops: Option<PathBuf>,
    /// Where new services' repositories go.
    pub out: PathBuf,
}

fn request(settings: &ScaffoldSettings, input: ScaffoldInput) -> Request {
    Request {
        template: input.template,
        inputs: input.inputs,
        out: settings.out.clone(),
        gitops: settings.gitops.clone(),
    }
}

async fn planned(settings: &ScaffoldSettings, input: ScaffoldInput) -> Result<Plan, String> {
    let request = request(settings, input);
    let platform = settings.platform.clone();
    tokio::task::spawn_blocking(move || plan(&request, &platform))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Renders and checks the form's inputs: the preview, or why not.
pub async fn preview(settings: ScaffoldSettings, input: ScaffoldInput, context: String) -> Action {
    let result = planned(&settings, input).await.map(|plan| Preview {
        dir: plan.dir.display().to_string(),
        files: plan.files.iter().map(|f| f.path.clone()).collect(),
        gitops: plan
            .gitops
            .as_ref()
            .map(|g| (g.repo.display().to_string(), g.files.iter().map(|f| f.path.clone()).collect())),
        mutation: ScaffoldMutation::for_plan(&plan, &context, true),
    });
    Action::ScaffoldPlanned(result)
}

/// The confirmed scaffold, planned afresh (the disk or the cluster may have changed since the preview).
pub async fn run(
    settings: ScaffoldSettings,
    client: kube::Client,
    readonly: ReadOnly,
    audit: AuditLog,
    context: String,
    input: ScaffoldInput,
) -> Action {
    let result = async {
        let plan = planned(&settings, input).await?;
        let argocd = &settings.platform.argocd_namespace;
        if let Some(what) = existing_in_cluster(&client, &plan.name, &plan.namespace, argocd)
            .await
            .map_err(|e| e.to_string())?
        {
            let err = ScaffoldError::ServiceExists {
                name: plan.name.clone(),
                what: format!("{what} in the cluster"),
            };
            return Err(err.to_string());
        }
        let mutation = ScaffoldMutation::for_plan(&plan, &context, true);
        let outcome =
            execute(Some(&client), &readonly, &audit, &mutation, plan).await.map_err(|e| e.to_string())?;
        Ok(outcome.summary())
    }
    .await;
    Action::ScaffoldDone(result)
}
