//! Benchmarks of the sim's GitOps path (issue 6): what the repo-server pays per Application — a cold read
//! of a service's manifests from a local git repository (a new commit, or a hard refresh) and the warm
//! poll that only re-resolves the branch — and what the application controller pays per local-repo
//! Application and pass (compare and health) among the 500 services of a `--scale` world.

// Benchmark set-up failing is a bug in the benchmark: panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

use platdeck_sim::controllers::argocd::Target;
use platdeck_sim::controllers::argocd_git::GitTarget;
use platdeck_sim::controllers::repo_server::{RepoServer, Source};
use platdeck_sim::resources::{DEPLOYMENTS, NAMESPACES, SERVICES};
use platdeck_sim::world::World;

const SERVICE: &str = r#"apiVersion: v1
kind: Service
metadata: {name: web, labels: {app.kubernetes.io/name: web}}
spec:
  selector: {app.kubernetes.io/name: web}
  ports: [{name: http, port: 80, targetPort: http}]
"#;
const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app.kubernetes.io/name: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app.kubernetes.io/name: web}}
  template:
    metadata: {labels: {app.kubernetes.io/name: web}}
    spec: {containers: [{name: web, image: "registry.example.com/web:1", ports: [{name: http, containerPort: 3000}]}]}
"#;

/// Services of other apps in the world (the size of `--scale pods=20000,apps=500`).
const OTHER_SERVICES: usize = 500;

fn git(repo: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=b", "-c", "user.email=b@example.com"])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let app = dir.path().join("apps/web");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("deployment.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(app.join("service.yaml"), SERVICE).unwrap();
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "web"]);
    dir
}

fn benches(c: &mut Criterion) {
    let dir = repo();
    let source = Source {
        repo_url: format!("file://{}", dir.path().display()),
        revision: "main".into(),
        path: "apps/web".into(),
    };
    let server = RepoServer::default();
    let mut group = c.benchmark_group("gitops");
    group.sample_size(30).measurement_time(Duration::from_secs(10));
    group.bench_function("repo_read_cold_2_files", |b| {
        b.iter(|| server.read(&source, true).objects.expect("manifests read"))
    });
    group.bench_function("repo_poll_warm", |b| {
        b.iter(|| assert!(server.read(&source, false).objects.is_ok()))
    });

    // The controller's per-pass cost for one local-repo app grows with what it scans: the tracked kinds.
    let world = World::default();
    world.create(&NAMESPACES, json!({"metadata": {"name": "scale"}}), false).unwrap();
    for i in 0..OTHER_SERVICES {
        let name = format!("svc-{i:05}");
        let labels = json!({"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name});
        let meta = json!({"name": name, "namespace": "scale", "labels": labels});
        world.create(&SERVICES, json!({"metadata": meta, "spec": {}}), false).unwrap();
        world.create(&DEPLOYMENTS, json!({"metadata": meta, "spec": {"replicas": 40}}), false).unwrap();
    }
    let app = json!({"metadata": {"name": "web", "namespace": "argocd"},
        "spec": {"source": {"repoURL": source.repo_url, "path": source.path, "targetRevision": source.revision},
            "destination": {"namespace": "shop"}, "syncPolicy": {"syncOptions": ["CreateNamespace=true"]}}});
    let target = GitTarget::new(&app, server.read(&source, false), true);
    target.apply(&world, false);
    group.bench_function("git_app_compare_and_health_among_500_services", |b| {
        b.iter(|| {
            assert_eq!(target.compare(&world).status, "Synced");
            target.health(&world)
        })
    });
    group.finish();
}

criterion_group!(gitops_benches, benches);
criterion_main!(gitops_benches);
