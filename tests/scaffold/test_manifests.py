"""What the platform reads of a scaffolded service: its manifests, accepted by the Kubernetes API (kubectl
against `platdeck sim`, server-side dry run) and carrying the seed's labels, probes and scrape annotations;
its Backstage catalog entry; its CI/CD workflow."""

from __future__ import annotations

import pytest
import yaml

from scaffolded import TEMPLATES


def documents(path) -> list:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("template", TEMPLATES)
def test_kubectl_accepts_the_manifests(template: str, rendered: dict, sim) -> None:
    service = rendered[template]
    # Server-side dry run: the API server admits the objects without storing them (kubectl validates them
    # against the server's OpenAPI document first, as against a real cluster).
    out = sim.kubectl("apply", "--dry-run=server", "-f", str(service / "k8s")).stdout
    assert f"deployment.apps/{service.name} created (server dry run)" in out, out
    assert f"service/{service.name} created (server dry run)" in out, out
    assert service.name not in sim.kubectl("get", "deployments", "-n", "platform-services", "-o", "name").stdout


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_deployment_follows_the_platform_conventions(template: str, rendered: dict) -> None:
    service = rendered[template]
    (deployment,) = documents(service / "k8s" / "deployment.yaml")
    labels = deployment["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == service.name
    assert labels["app.kubernetes.io/part-of"] == "platform-services"
    for key in ("component", "version", "managed-by"):
        assert labels[f"app.kubernetes.io/{key}"], key
    template_meta = deployment["spec"]["template"]["metadata"]
    assert template_meta["labels"]["app.kubernetes.io/name"] == service.name
    assert deployment["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": service.name}
    assert template_meta["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "3000",
        "prometheus.io/path": "/metrics",
    }
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["ports"][0] == {"name": "http", "containerPort": 3000, "protocol": "TCP"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": 3000}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 3000}
    assert container["image"].endswith(f".dkr.ecr.us-east-1.amazonaws.com/{service.name}:latest")
    (svc,) = documents(service / "k8s" / "service.yaml")
    assert svc["spec"]["selector"] == {"app.kubernetes.io/name": service.name}
    assert svc["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_catalog_entry_is_a_backstage_component(template: str, rendered: dict) -> None:
    service = rendered[template]
    (entity,) = documents(service / "catalog-info.yaml")
    assert entity["apiVersion"] == "backstage.io/v1alpha1" and entity["kind"] == "Component"
    assert entity["metadata"]["name"] == service.name
    spec = entity["spec"]
    # Backstage's Component schema requires type, lifecycle and owner.
    assert spec["type"] == "service" and spec["lifecycle"] and spec["owner"] == "team-orders"
    annotations = entity["metadata"]["annotations"]
    loki = annotations["grafana.io/loki-query-url"]
    assert f'app_kubernetes_io_name=\\"{service.name}\\"' in loki and "platform-services" in loki, loki
    assert annotations["grafana.io/dashboard-url"].endswith(
        f"/d/service-overview?var-namespace=platform-services&var-app={service.name}"
    )
    assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_workflow_builds_pushes_with_oidc_and_bumps_gitops(template: str, rendered: dict) -> None:
    workflow = yaml.safe_load((rendered[template] / ".github" / "workflows" / "ci-cd.yaml").read_text())
    assert workflow["permissions"]["id-token"] == "write"
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    assert any(u.startswith("aws-actions/amazon-ecr-login@") for u in uses)
    oidc = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert oidc["with"]["role-to-assume"] == "${{ secrets.AWS_ROLE_ARN }}"
    push = next(s for s in steps if s.get("uses", "").startswith("docker/build-push-action@"))
    tags = push["with"]["tags"]
    assert "${{ github.sha }}" in tags and ":latest" in tags and push["with"]["push"] is True
    bump = next(s for s in steps if "GITOPS_PATH" in s.get("run", ""))
    assert "git push" in bump["run"]
    assert workflow["env"]["GITOPS_PATH"] == f"apps/{rendered[template].name}"
