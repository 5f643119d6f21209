//! A new service delivered through GitOps: its manifests committed to a git repository on the local disk,
//! an Argo CD Application created through the Kubernetes API — and the sim syncs it like Argo CD, rolls it
//! out, runs and logs it, answers its probes, follows new commits, reports bad sources and cascades
//! deletion.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use platdeck_core::platform::{HealthStatus, SyncStatus};
use platdeck_sim::SimServer;
use platdeck_sim::resources::{DEPLOYMENTS, NAMESPACES, PODS, POLICY_REPORTS, SERVICES};
use platdeck_sim::world::meta_str;

use super::harness::{console_caches, start_sim, wait_for};

const NS: &str = "shop";
const NAME: &str = "hello-api";
const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=Platform", "-c", "user.email=platform@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The deployment and service a scaffold commits, per the GitOps contract.
fn write_service(repo: &Path, tag: &str) {
    let dir = repo.join("apps").join(NAME);
    std::fs::create_dir_all(&dir).unwrap();
    let labels = format!(
        "app.kubernetes.io/name: {NAME}\n    app.kubernetes.io/component: backend\n    \
         app.kubernetes.io/part-of: platform-services\n    app.kubernetes.io/version: 0.1.0\n    \
         app.kubernetes.io/managed-by: platdeck"
    );
    let metadata = format!("metadata:\n  name: {NAME}\n  namespace: {NS}\n  labels:\n    {labels}\n");
    let deployment = format!(
        "apiVersion: apps/v1
kind: Deployment
{metadata}spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: {NAME}
  template:
    metadata:
      labels:
        {pod_labels}
      annotations:
        prometheus.io/scrape: \"true\"
        prometheus.io/port: \"3000\"
        prometheus.io/path: /metrics
    spec:
      containers:
        - name: {NAME}
          image: {REGISTRY}/{NAME}:{tag}
          ports:
            - {{name: http, containerPort: 3000}}
          livenessProbe:
            httpGet: {{path: /health, port: http}}
          readinessProbe:
            httpGet: {{path: /ready, port: http}}
",
        pod_labels = labels.replace("\n    ", "\n        ")
    );
    let service = format!(
        "apiVersion: v1
kind: Service
{metadata}spec:
  selector:
    app.kubernetes.io/name: {NAME}
  ports:
    - {{name: http, port: 80, targetPort: http}}
"
    );
    std::fs::write(dir.join("deployment.yaml"), deployment).unwrap();
    std::fs::write(dir.join("service.yaml"), service).unwrap();
}

fn commit(repo: &Path, message: &str) -> String {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

fn application(name: &str, repo: &Path, revision: &str, path: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd",
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "platform-services"}},
        "spec": {
            "project": "default",
            "source": {"repoURL": format!("file://{}", repo.display()), "targetRevision": revision, "path": path},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": NS},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]},
        },
    })
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    fn apps(&self) -> String {
        format!("{}/apis/argoproj.io/v1alpha1/namespaces/argocd/applications", self.base)
    }

    async fn create_app(&self, app: &Value) {
        let resp = self.client.post(self.apps()).json(app).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 201, "{}", resp.text().await.unwrap());
    }

    async fn app(&self, name: &str) -> Option<Value> {
        let resp = self.client.get(format!("{}/{name}", self.apps())).send().await.ok()?;
        resp.status().is_success().then_some(())?;
        resp.json().await.ok()
    }

    async fn merge_patch_app(&self, name: &str, patch: Value) {
        let resp = self
            .client
            .patch(format!("{}/{name}", self.apps()))
            .header("content-type", "application/merge-patch+json")
            .body(patch.to_string())
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }

    /// Waits until the app is Synced and Healthy at `sha`.
    async fn wait_synced_healthy(&self, name: &str, sha: &str) -> Value {
        wait_for(&format!("{name} Synced + Healthy at {sha}"), Duration::from_secs(60), || async {
            let app = self.app(name).await?;
            let ok = app["status"]["sync"]["status"] == "Synced"
                && app["status"]["health"]["status"] == "Healthy"
                && app["status"]["sync"]["revision"] == sha;
            ok.then_some(app)
        })
        .await
    }
}

/// Percent-encodes a query parameter value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ready_pods(sim: &SimServer, image: &str) -> usize {
    sim.state
        .world
        .list(&PODS, Some(NS))
        .1
        .iter()
        .filter(|p| p["spec"]["containers"][0]["image"] == image)
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .filter(|p| {
            p["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
        })
        .count()
}

/// A sim, its API, and a GitOps repository whose first commit (returned) holds the service.
async fn sim_and_repo() -> (SimServer, Api, tempfile::TempDir, String) {
    let sim = start_sim("").await;
    let api = Api { client: reqwest::Client::new(), base: sim.endpoints.kubernetes.clone() };
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write_service(dir.path(), "latest");
    let first = commit(dir.path(), "Add hello-api");
    (sim, api, dir, first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_committed_to_a_local_gitops_repo_syncs_runs_and_logs() {
    let (sim, api, dir, first) = sim_and_repo().await;
    let repo = dir.path();

    api.create_app(&application(NAME, repo, "main", &format!("apps/{NAME}"))).await;
    let app = api.wait_synced_healthy(NAME, &first).await;
    assert!(sim.state.world.get(&NAMESPACES, "", NS).is_some(), "CreateNamespace=true made the namespace");
    let kinds: Vec<&str> =
        app["status"]["resources"].as_array().unwrap().iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(kinds, ["Deployment", "Service"]);
    assert_eq!(app["status"]["operationState"]["phase"], "Succeeded");
    assert_eq!(app["status"]["history"][0]["revision"], first.as_str());
    assert_eq!(app["status"]["summary"]["images"][0], format!("{REGISTRY}/{NAME}:latest"));
    let deployment = sim.state.world.get(&DEPLOYMENTS, NS, NAME).unwrap();
    assert_eq!(deployment["metadata"]["labels"]["app.kubernetes.io/instance"], NAME);
    let image = format!("{REGISTRY}/{NAME}:latest");
    assert_eq!(ready_pods(&sim, &image), 2);

    // The console, watching the API as against a real cluster, shows the new app Synced and Healthy.
    let (caches, token) = console_caches(&sim);
    wait_for("the console to show the new app", Duration::from_secs(30), || async {
        let snapshot = caches.snapshot();
        let app = snapshot.apps.iter().find(|a| a.name == NAME)?;
        (app.sync == SyncStatus::Synced && app.health == HealthStatus::Healthy && app.revision == first)
            .then_some(())
    })
    .await;
    token.cancel();

    // Kyverno's background scan reports on it, by the deployment's uid.
    let uid = meta_str(&deployment, "uid").to_string();
    wait_for("a policy report on the new deployment", Duration::from_secs(30), || async {
        let report = sim.state.world.get(&POLICY_REPORTS, NS, &uid)?;
        (report["scope"]["name"] == NAME && report["summary"]["pass"].as_u64()? > 0).then_some(())
    })
    .await;

    // Self-heal: a hand edit of the live deployment is put back to what git says.
    sim.state
        .world
        .modify(&DEPLOYMENTS, NS, NAME, |d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:tampered");
            Ok(())
        })
        .unwrap();
    wait_for("self-heal to restore the image", Duration::from_secs(30), || async {
        let d = sim.state.world.get(&DEPLOYMENTS, NS, NAME)?;
        (d["spec"]["template"]["spec"]["containers"][0]["image"] == image.as_str()).then_some(())
    })
    .await;

    // Its pods log the seed's JSON lines, shipped to Loki under the pod's labels.
    let loki = reqwest::Client::new();
    let query = format!("{{namespace=\"{NS}\",app_kubernetes_io_name=\"{NAME}\"}}");
    let line = wait_for("the new service's request logs in Loki", Duration::from_secs(30), || async {
        let body: Value = loki
            .get(format!("{}/loki/api/v1/query_range?limit=100&query={}", sim.endpoints.loki, encode(&query)))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let streams = body["data"]["result"].as_array()?;
        streams.iter().find_map(|s| {
            s["values"].as_array()?.iter().find_map(|v| {
                let line: Value = serde_json::from_str(v[1].as_str()?).ok()?;
                line.get("method").is_some().then(|| (s["stream"].clone(), line))
            })
        })
    })
    .await;
    let (stream, entry) = line;
    assert_eq!(stream["namespace"], NS);
    assert!(stream["pod"].as_str().unwrap().starts_with(NAME));
    for key in ["level", "msg", "timestamp", "hostname", "service", "path", "status", "duration_ms"] {
        assert!(entry.get(key).is_some(), "{key} in {entry}");
    }
    assert_eq!(entry["service"], NAME);

    // The service proxy answers its probes, and its metrics are scrapeable.
    let health = reqwest::get(format!("{}/api/v1/namespaces/{NS}/services/{NAME}:80/proxy/health", api.base))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let metrics = reqwest::get(format!("{}/metrics/{NS}/{NAME}", sim.endpoints.metrics)).await.unwrap();
    assert_eq!(metrics.status().as_u16(), 200);

    // A new commit moves the image tag; the refresh annotation makes the sim see it at once.
    write_service(repo, "abc1234");
    let second = commit(repo, "hello-api: abc1234");
    api.merge_patch_app(NAME, json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}}))
        .await;
    let app = api.wait_synced_healthy(NAME, &second).await;
    assert!(app.pointer("/metadata/annotations/argocd.argoproj.io~1refresh").is_none());
    let new_image = format!("{REGISTRY}/{NAME}:abc1234");
    wait_for("the rollout to the new image", Duration::from_secs(60), || async {
        (ready_pods(&sim, &new_image) == 2 && ready_pods(&sim, &image) == 0).then_some(())
    })
    .await;

    // Another commit, no annotation: the poll finds it. The service leaves git and is pruned.
    std::fs::remove_file(repo.join("apps").join(NAME).join("service.yaml")).unwrap();
    let third = commit(repo, "hello-api: no service");
    let app = api.wait_synced_healthy(NAME, &third).await;
    // History: the first sync, the self-heal, the refresh, this one.
    let revisions: Vec<&str> =
        app["status"]["history"].as_array().unwrap().iter().filter_map(|h| h["revision"].as_str()).collect();
    assert_eq!(revisions, [first.as_str(), &first, &second, &third]);
    assert!(sim.state.world.get(&SERVICES, NS, NAME).is_none(), "pruned");

    // Deleting the Application (automated prune) deletes what it managed.
    let resp = api.client.delete(format!("{}/{NAME}", api.apps())).send().await.unwrap();
    assert!(resp.status().is_success());
    wait_for("the deployment to go with its application", Duration::from_secs(30), || async {
        sim.state.world.get(&DEPLOYMENTS, NS, NAME).is_none().then_some(())
    })
    .await;
    wait_for("its pods to terminate", Duration::from_secs(30), || async {
        sim.state.world.list(&PODS, Some(NS)).1.is_empty().then_some(())
    })
    .await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sources_become_comparison_errors() {
    let (sim, api, dir, _) = sim_and_repo().await;
    let repo = dir.path();
    std::fs::create_dir_all(repo.join("apps/broken")).unwrap();
    std::fs::write(repo.join("apps/broken/deployment.yaml"), "kind: [Deployment\n").unwrap();
    let sha = commit(repo, "A broken manifest");
    let missing = dir.path().join("no-such-repo");
    let mut not_a_repo = application("not-a-repo", &missing, "main", "apps/x");
    not_a_repo["spec"]["syncPolicy"] = json!({});
    let cases = [
        (application("bad-path", repo, "main", "apps/nope"), "apps/nope: app path does not exist"),
        (application("bad-revision", repo, "v9.9.9", &format!("apps/{NAME}")), "Unable to resolve 'v9.9.9'"),
        (not_a_repo, "repository not found"),
        (application("bad-yaml", repo, "main", "apps/broken"), "apps/broken/deployment.yaml: "),
    ];
    for (app, _) in &cases {
        api.create_app(app).await;
    }
    for (app, message) in &cases {
        let name = meta_str(app, "name");
        let status = wait_for(&format!("{name}: ComparisonError"), Duration::from_secs(30), || async {
            let app = api.app(name).await?;
            let condition = app["status"]["conditions"].as_array()?.first()?.clone();
            (condition["type"] == "ComparisonError").then_some((app, condition))
        })
        .await;
        let (app, condition) = status;
        assert!(condition["message"].as_str().unwrap().contains(message), "{name}: {condition}");
        assert_eq!(app["status"]["sync"]["status"], "Unknown", "{name}");
        assert!(app.get("operation").is_none(), "{name}: no automated sync of an unknown state");
    }
    assert!(sim.state.world.get(&DEPLOYMENTS, NS, NAME).is_none());

    // Fixing the source clears the error and the app syncs.
    api.merge_patch_app("bad-path", json!({"spec": {"source": {"path": format!("apps/{NAME}")}}})).await;
    let app = api.wait_synced_healthy("bad-path", &sha).await;
    assert!(app["status"].get("conditions").is_none());
    sim.shutdown().await;
}
