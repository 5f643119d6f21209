//! Scaffolding a new service on the golden path: a Backstage-shaped template is validated, rendered in
//! memory, checked against the platform's Kyverno rules, and only then written — as a new git repository
//! with a first commit and, with a GitOps repository, the service's manifests and its Argo CD Application
//! committed there. Writing is all-or-nothing: on any error what was written is removed.
//!
//! This module is pure planning plus local files and git; the cluster side (creating the Application)
//! lives in `actions::scaffold`, behind the read-only guard.

pub mod git;
pub mod gitops;
pub mod params;
pub mod policy;
pub mod render;
pub mod template;
pub mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

pub use write::{Written, write};

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("unknown template `{name}`; available: {}", available.join(", "))]
    UnknownTemplate { name: String, available: Vec<String> },
    #[error("template {template}: {message}")]
    InvalidTemplate { template: String, message: String },
    #[error("invalid {field}: {message}")]
    InvalidParameter { field: String, message: String },
    #[error("{file}: missing value `{variable}` (the template uses it and nothing defines it)")]
    MissingValue { file: String, variable: String },
    #[error("{file}: {message}")]
    Render { file: String, message: String },
    #[error("{object} violates {policy}/{rule}: {message} (at {path})")]
    Policy { policy: String, rule: String, object: String, message: String, path: String },
    #[error("{0} already exists; choose another name or --out directory")]
    TargetExists(PathBuf),
    #[error("a service named `{name}` already exists: {what}")]
    ServiceExists { name: String, what: String },
    #[error("GitOps repository {repo}: {message}")]
    Gitops { repo: PathBuf, message: String },
    #[error("{command}: {message}")]
    Git { command: String, message: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// What the platform contributes to every template (`${{ platform.x }}` in `template.yaml`'s values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub ecr_registry: String,
    pub aws_region: String,
    pub base_domain: String,
    pub github_org: String,
    /// The GitOps repository as Argo CD and CI reach it (a clone URL or `file:///…`).
    pub gitops_repo_url: String,
    pub gitops_path: String,
    pub gitops_branch: String,
    pub argocd_namespace: String,
}

impl Platform {
    /// The platform's settings from the config; `ecr_account` (the sim's, in demo) wins over the config's.
    pub fn from_config(config: &crate::config::Config) -> Self {
        let account = config.ecr.account_id.clone().unwrap_or_else(|| "ACCOUNT_ID".into());
        let region = config.ecr.region.clone();
        Self {
            ecr_registry: format!("{account}.dkr.ecr.{region}.amazonaws.com"),
            aws_region: region,
            base_domain: config.base_domain.clone(),
            github_org: config.github.org.clone(),
            gitops_repo_url: config
                .gitops
                .repo
                .clone()
                .unwrap_or_else(|| format!("https://github.com/{}/gitops.git", config.github.org)),
            gitops_path: config.gitops.path.clone(),
            gitops_branch: config.gitops.branch.clone(),
            argocd_namespace: config.argocd.namespace.clone(),
        }
    }

    fn context(&self) -> Value {
        json!({
            "ecrRegistry": self.ecr_registry,
            "awsRegion": self.aws_region,
            "baseDomain": self.base_domain,
            "githubOrg": self.github_org,
            "gitopsRepo": self.gitops_repo_url,
            "gitopsPath": self.gitops_path,
            "gitopsBranch": self.gitops_branch,
            "argocdNamespace": self.argocd_namespace,
        })
    }
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// A built-in template's name or a template directory.
    pub template: String,
    /// Parameter inputs as typed (`name`, `owner`, `namespace`, `description`, `port`, …).
    pub inputs: BTreeMap<String, String>,
    /// The parent directory: the service is written to `<out>/<name>`.
    pub out: PathBuf,
    /// A local GitOps repository to commit the deployment and Application to.
    pub gitops: Option<PathBuf>,
}

/// A file to write, relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// The GitOps half of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct GitopsPlan {
    pub repo: PathBuf,
    pub branch: String,
    pub files: Vec<PlannedFile>,
    /// The Argo CD Application (also written to `applications/<name>.yaml`).
    pub application: Value,
}

/// Everything a scaffold will write, rendered and checked, before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: String,
    pub namespace: String,
    pub template: String,
    pub dir: PathBuf,
    pub files: Vec<PlannedFile>,
    pub gitops: Option<GitopsPlan>,
}

impl Plan {
    /// Every path the plan writes, absolute where the roots are: the service's files, then the GitOps ones.
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self.files.iter().map(|f| self.dir.join(&f.path)).collect();
        if let Some(g) = &self.gitops {
            out.extend(g.files.iter().map(|f| g.repo.join(&f.path)));
        }
        out
    }
}

/// The built-in templates: name, title and description.
pub fn builtin_templates() -> Vec<(String, String, String)> {
    crate::assets::template_names()
        .into_iter()
        .filter_map(|name| template::load(name).ok())
        .map(|t| (t.name, t.title, t.description))
        .collect()
}

/// Renders and checks everything in memory. Reads only the template (when it is a directory), the target
/// directory's existence and the GitOps repository's state; writes nothing.
pub fn plan(request: &Request, platform: &Platform) -> Result<Plan, ScaffoldError> {
    let template = template::load(&request.template)?;
    let parameters = params::resolve(&template, &request.inputs)?;
    let text = |key: &str| parameters.get(key).and_then(Value::as_str).map(str::to_string);
    let name = text("name").ok_or_else(|| ScaffoldError::InvalidParameter {
        field: "name".into(),
        message: format!("template {} declares no `name` parameter", template.name),
    })?;
    let namespace = text("namespace").unwrap_or_else(|| "platform-services".into());
    let dir = request.out.join(&name);
    if dir.exists() {
        return Err(ScaffoldError::TargetExists(dir));
    }
    let gitops_url = request.gitops.as_deref().map(file_url);
    let platform = Platform {
        gitops_repo_url: gitops_url.unwrap_or_else(|| platform.gitops_repo_url.clone()),
        ..platform.clone()
    };
    let context = json!({ "parameters": parameters, "platform": platform.context() });
    let values = render::values(&template, &context)?;
    let rendered = render::skeleton(&template.skeleton, &values)?;
    let rules = policy::platform_rules();
    for file in rendered.iter().filter(|f| is_manifest(&f.path)) {
        let text = String::from_utf8_lossy(&file.contents);
        policy::check(&file.path, &policy::objects(&file.path, &text)?, &rules)?;
    }
    let files: Vec<PlannedFile> =
        rendered.into_iter().map(|f| PlannedFile { path: f.path, contents: f.contents }).collect();
    let gitops = match &request.gitops {
        Some(repo) => Some(gitops::plan(repo, &name, &namespace, &platform, &files)?),
        None => None,
    };
    Ok(Plan { name, namespace, template: template.name, dir, files, gitops })
}

/// Kubernetes manifests the policy check reads: YAML under `k8s/`.
fn is_manifest(path: &str) -> bool {
    path.starts_with("k8s/") && (path.ends_with(".yaml") || path.ends_with(".yml"))
}

/// `file:///absolute/path` for a local repository, as Argo CD's `repoURL` reads it.
pub fn file_url(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", absolute.display())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn platform() -> Platform {
        let mut config = crate::config::Config::default();
        config.ecr.account_id = Some("123456789012".into());
        config.ecr.region = "us-east-1".into();
        Platform::from_config(&config)
    }

    pub(crate) fn request(out: &Path, template: &str, name: &str) -> Request {
        Request {
            template: template.into(),
            inputs: [("name".to_string(), name.to_string())].into_iter().collect(),
            out: out.to_path_buf(),
            gitops: None,
        }
    }

    #[test]
    fn every_builtin_template_plans_and_passes_the_policy() {
        let out = tempfile::tempdir().unwrap();
        for name in crate::assets::template_names() {
            let plan = plan(&request(out.path(), name, "orders-api"), &platform()).unwrap();
            assert_eq!(plan.dir, out.path().join("orders-api"));
            let deployment = plan.files.iter().find(|f| f.path == "k8s/deployment.yaml").unwrap();
            let text = String::from_utf8(deployment.contents.clone()).unwrap();
            assert!(
                text.contains("image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api:latest"),
                "{text}"
            );
            assert!(text.contains("containerPort: 3000"));
            for f in &plan.files {
                let text = String::from_utf8_lossy(&f.contents);
                assert!(!text.contains("${{ values"), "{name}: {} kept a placeholder", f.path);
            }
        }
        assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "planning writes nothing");
    }

    #[test]
    fn an_existing_target_directory_is_refused() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir(out.path().join("orders")).unwrap();
        let err = plan(&request(out.path(), "go-http", "orders"), &platform()).unwrap_err();
        assert!(matches!(err, ScaffoldError::TargetExists(_)), "{err}");
    }

    #[test]
    fn a_template_whose_manifest_breaks_the_policy_is_stopped_before_writing() {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("tpl");
        std::fs::create_dir_all(dir.join("skeleton/k8s")).unwrap();
        std::fs::write(
            dir.join("template.yaml"),
            "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: bad}\nspec:\n  parameters:\n    - required: [name]\n      properties:\n        name: {type: string}\n  steps:\n    - action: fetch:template\n      input:\n        url: ./skeleton\n        values:\n          name: '${{ parameters.name }}'\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("skeleton/k8s/deployment.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${{ values.name }}\n  labels: {app: x}\nspec:\n  template:\n    metadata: {labels: {app: x}}\n    spec: {containers: [{name: x}]}\n",
        )
        .unwrap();
        let mut req = request(out.path(), dir.to_str().unwrap(), "svc");
        req.out = out.path().join("out");
        let err = plan(&req, &platform()).unwrap_err();
        assert!(
            matches!(&err, ScaffoldError::Policy { rule, .. } if rule == "check-required-labels"),
            "{err}"
        );
        assert!(!req.out.exists());
    }
}
