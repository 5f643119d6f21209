//! The GitOps side of a scaffold: the service's deployment and service at
//! `<repo>/<gitops.path>/<name>/` and its Argo CD Application at `<repo>/applications/<name>.yaml`,
//! committed on `gitops.branch` — the layout Argo CD (and the simulated one) reads.

use std::path::Path;

use serde_json::{Value, json};

use super::{GitopsPlan, PlannedFile, Platform, ScaffoldError, git};

/// The Argo CD Application that deploys `<gitops.path>/<name>` of the GitOps repository.
pub fn application(name: &str, namespace: &str, platform: &Platform) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": platform.argocd_namespace,
            "labels": {
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/part-of": "platform-services",
            },
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": platform.gitops_repo_url,
                "targetRevision": platform.gitops_branch,
                "path": format!("{}/{name}", platform.gitops_path),
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {
                "automated": {"prune": true, "selfHeal": true},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    })
}

fn refuse(repo: &Path, message: impl Into<String>) -> ScaffoldError {
    ScaffoldError::Gitops { repo: repo.to_path_buf(), message: message.into() }
}

/// What goes into the GitOps repository, after checking it can take it: a git work tree on the
/// configured branch, with no service of that name yet.
pub fn plan(
    repo: &Path,
    name: &str,
    namespace: &str,
    platform: &Platform,
    service_files: &[PlannedFile],
) -> Result<GitopsPlan, ScaffoldError> {
    if !git::is_repository(repo) {
        return Err(refuse(repo, "not the top of a git repository (git init it, or clone it)"));
    }
    let branch = git::current_branch(repo)?;
    if branch != platform.gitops_branch {
        return Err(refuse(
            repo,
            format!("checked out on branch `{branch}`, but gitops.branch is `{}`", platform.gitops_branch),
        ));
    }
    let service_dir = format!("{}/{name}", platform.gitops_path);
    let app_file = format!("applications/{name}.yaml");
    for taken in [&service_dir, &app_file] {
        if repo.join(taken).exists() {
            return Err(ScaffoldError::ServiceExists {
                name: name.to_string(),
                what: format!("{taken} is already in the GitOps repository {}", repo.display()),
            });
        }
    }
    let manifest = |file: &str| {
        service_files.iter().find(|f| f.path == format!("k8s/{file}")).ok_or_else(|| ScaffoldError::Render {
            file: format!("k8s/{file}"),
            message: "the template renders no such manifest, which the GitOps repository needs".into(),
        })
    };
    let application = application(name, namespace, platform);
    let application_yaml = serde_norway::to_string(&application)
        .map_err(|e| ScaffoldError::Render { file: app_file.clone(), message: e.to_string() })?;
    let files = vec![
        PlannedFile {
            path: format!("{service_dir}/deployment.yaml"),
            contents: manifest("deployment.yaml")?.contents.clone(),
        },
        PlannedFile {
            path: format!("{service_dir}/service.yaml"),
            contents: manifest("service.yaml")?.contents.clone(),
        },
        PlannedFile { path: app_file, contents: application_yaml.into_bytes() },
    ];
    Ok(GitopsPlan { repo: repo.to_path_buf(), branch, files, application })
}

/// A new, empty GitOps repository (`git init -b <branch>` in `dir`), as `platdeck demo` makes one.
pub fn init_repository(dir: &Path, branch: &str) -> Result<(), ScaffoldError> {
    std::fs::create_dir_all(dir).map_err(|source| ScaffoldError::Io { path: dir.to_path_buf(), source })?;
    git::init(dir, branch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::tests::platform;

    #[test]
    fn the_application_follows_the_contract() {
        let mut p = platform();
        p.gitops_repo_url = "file:///tmp/gitops".into();
        let app = application("orders", "shop", &p);
        assert_eq!(app["metadata"]["namespace"], "argocd");
        assert_eq!(app["metadata"]["labels"]["app.kubernetes.io/part-of"], "platform-services");
        assert_eq!(app["spec"]["source"]["repoURL"], "file:///tmp/gitops");
        assert_eq!(app["spec"]["source"]["targetRevision"], "main");
        assert_eq!(app["spec"]["source"]["path"], "apps/orders");
        assert_eq!(app["spec"]["destination"]["namespace"], "shop");
        assert_eq!(app["spec"]["syncPolicy"]["automated"]["selfHeal"], true);
        assert_eq!(app["spec"]["syncPolicy"]["syncOptions"][0], "CreateNamespace=true");
    }

    #[test]
    fn the_repository_must_be_a_git_work_tree_on_the_branch_without_the_service() {
        let files = vec![
            PlannedFile { path: "k8s/deployment.yaml".into(), contents: b"d".to_vec() },
            PlannedFile { path: "k8s/service.yaml".into(), contents: b"s".to_vec() },
        ];
        let dir = tempfile::tempdir().unwrap();
        let err = plan(dir.path(), "orders", "shop", &platform(), &files).unwrap_err();
        assert!(err.to_string().contains("not the top of a git repository"), "{err}");
        init_repository(dir.path(), "develop").unwrap();
        let err = plan(dir.path(), "orders", "shop", &platform(), &files).unwrap_err();
        assert!(err.to_string().contains("branch `develop`"), "{err}");
        git::git(dir.path(), &["symbolic-ref", "HEAD", "refs/heads/main"]).unwrap();
        let ok = plan(dir.path(), "orders", "shop", &platform(), &files).unwrap();
        let paths: Vec<&str> = ok.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["apps/orders/deployment.yaml", "apps/orders/service.yaml", "applications/orders.yaml"]
        );
        std::fs::create_dir_all(dir.path().join("apps/orders")).unwrap();
        let err = plan(dir.path(), "orders", "shop", &platform(), &files).unwrap_err();
        assert!(matches!(err, ScaffoldError::ServiceExists { .. }), "{err}");
    }
}
