"""The official Python `kubernetes` client against `platdeck sim`, unmodified.

The client deserialises every response into its typed models, so a missing required field or a wrong type
in the sim's objects fails here even where kubectl would be lenient.
"""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from harness import SERVICES_NAMESPACE, wait_until

PLATFORM_APPS = {"loki", "promtail", "kube-prometheus-stack", "kyverno", "kyverno-policies"}


@pytest.fixture(scope="module")
def api(sim):
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(sim.kubeconfig), client_configuration=configuration)
    assert configuration.host.rstrip("/") == sim.url("kubernetes")
    with client.ApiClient(configuration) as api_client:
        yield api_client


@pytest.fixture(scope="module")
def core(api):
    return client.CoreV1Api(api)


def test_list_pods_in_all_namespaces(core):
    pods = core.list_pod_for_all_namespaces(_request_timeout=30)
    assert pods.items, "no pods"
    assert pods.metadata.resource_version, "list without metadata.resourceVersion"
    namespaces = {p.metadata.namespace for p in pods.items}
    assert SERVICES_NAMESPACE in namespaces and "argocd" in namespaces, namespaces
    for pod in pods.items:
        assert pod.metadata.name and pod.metadata.uid and pod.metadata.resource_version
        assert pod.spec.containers, pod.metadata.name
        assert pod.status.phase in {"Pending", "Running", "Succeeded", "Failed", "Unknown"}


def test_list_deployments_of_the_services(api):
    apps = client.AppsV1Api(api)
    deps = apps.list_namespaced_deployment(SERVICES_NAMESPACE, _request_timeout=30)
    assert len(deps.items) >= 5, [d.metadata.name for d in deps.items]
    for dep in deps.items:
        assert dep.metadata.namespace == SERVICES_NAMESPACE
        assert dep.spec.selector.match_labels, dep.metadata.name
        assert "app.kubernetes.io/name" in (dep.metadata.labels or {}), dep.metadata.name
        container = dep.spec.template.spec.containers[0]
        assert container.image, dep.metadata.name
    one = apps.read_namespaced_deployment(deps.items[0].metadata.name, SERVICES_NAMESPACE, _request_timeout=30)
    assert one.metadata.uid == deps.items[0].metadata.uid


def test_list_argo_cd_applications_as_custom_objects(api):
    custom = client.CustomObjectsApi(api)
    apps = custom.list_cluster_custom_object("argoproj.io", "v1alpha1", "applications", _request_timeout=30)
    assert apps["kind"] == "ApplicationList"
    names = {a["metadata"]["name"] for a in apps["items"]}
    assert PLATFORM_APPS <= names, names
    for app in apps["items"]:
        assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
        assert app["status"]["sync"]["status"] and app["status"]["health"]["status"]
    loki = custom.get_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "applications", "loki")
    assert loki["metadata"]["name"] == "loki"


def test_list_policy_reports_as_custom_objects(api):
    custom = client.CustomObjectsApi(api)
    reports = custom.list_namespaced_custom_object(
        "wgpolicyk8s.io", "v1alpha2", SERVICES_NAMESPACE, "policyreports", _request_timeout=30
    )
    results = [r for report in reports["items"] for r in report.get("results", [])]
    assert any(r["policy"] == "require-observability-labels" and r["result"] == "fail" for r in results)


def test_paginated_listing_returns_every_pod_exactly_once(core):
    everything = core.list_pod_for_all_namespaces(_request_timeout=30)
    expected = sorted(p.metadata.uid for p in everything.items)
    assert len(expected) > 3, "too few pods to page through"
    seen = []
    token = None
    pages = 0
    while True:
        page = core.list_pod_for_all_namespaces(limit=3, _continue=token, _request_timeout=30)
        pages += 1
        assert len(page.items) <= 3, f"page of {len(page.items)} items for limit=3"
        seen.extend(p.metadata.uid for p in page.items)
        token = page.metadata._continue
        if not token:
            break
        assert page.items, "empty page with a continue token"
        assert pages < 10_000, "pagination does not end"
    assert pages >= 2
    assert len(seen) == len(set(seen)), "a pod appeared on two pages"
    assert sorted(seen) == expected


def test_missing_pod_raises_not_found_with_status_body(core):
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod("no-such-pod", SERVICES_NAMESPACE, _request_timeout=30)
    assert caught.value.status == 404
    body = json.loads(caught.value.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1"
    assert body["status"] == "Failure" and body["reason"] == "NotFound" and body["code"] == 404
    assert body["details"]["name"] == "no-such-pod" and body["details"]["kind"] == "pods"
    assert body["message"] == 'pods "no-such-pod" not found'


def test_missing_namespace_resource_is_not_found(api):
    apps = client.AppsV1Api(api)
    with pytest.raises(ApiException) as caught:
        apps.read_namespaced_deployment("no-such-deployment", SERVICES_NAMESPACE, _request_timeout=30)
    assert caught.value.status == 404
    body = json.loads(caught.value.body)
    assert body["reason"] == "NotFound"
    assert body["details"].get("group") == "apps" and body["details"]["kind"] == "deployments"


def test_watch_streams_existing_pods_then_a_change(core):
    existing = {p.metadata.name for p in core.list_namespaced_pod(SERVICES_NAMESPACE, _request_timeout=30).items}
    assert existing
    victim = sorted(existing)[0]
    added = set()
    after_delete = []
    deleted = False
    w = watch.Watch()
    for event in w.stream(
        core.list_namespaced_pod, SERVICES_NAMESPACE, timeout_seconds=45, _request_timeout=90
    ):
        kind, pod = event["type"], event["object"]
        if kind == "BOOKMARK":
            continue
        assert kind in {"ADDED", "MODIFIED", "DELETED"}, event
        if not deleted:
            if kind == "ADDED":
                added.add(pod.metadata.name)
            if existing <= added:
                core.delete_namespaced_pod(victim, SERVICES_NAMESPACE, _request_timeout=30)
                deleted = True
        else:
            after_delete.append((kind, pod.metadata.name))
            if any(k in {"MODIFIED", "ADDED", "DELETED"} for k, _ in after_delete):
                if any(n == victim or n not in existing for _, n in after_delete):
                    w.stop()
    assert existing <= added, f"watch did not start with ADDED for every pod; missing {existing - added}"
    assert deleted
    assert any(
        (k in {"MODIFIED", "DELETED"} and n == victim) or (k == "ADDED" and n not in existing)
        for k, n in after_delete
    ), f"no event about the deleted pod {victim} or its replacement; saw {after_delete}"

    def replacement_ready():
        pods = core.list_namespaced_pod(SERVICES_NAMESPACE, _request_timeout=30).items
        names = {p.metadata.name for p in pods}
        return victim not in names and len(names) >= len(existing)

    wait_until(replacement_ready, timeout=90, interval=1, message=f"{victim} to be replaced")


def test_watch_from_a_resource_version_sees_only_later_changes(core):
    listing = core.list_namespaced_pod(SERVICES_NAMESPACE, _request_timeout=30)
    rv = listing.metadata.resource_version
    victim = sorted(p.metadata.name for p in listing.items)[-1]
    core.delete_namespaced_pod(victim, SERVICES_NAMESPACE, _request_timeout=30)
    events = []
    w = watch.Watch()
    for event in w.stream(
        core.list_namespaced_pod, SERVICES_NAMESPACE, resource_version=rv, timeout_seconds=30, _request_timeout=60
    ):
        if event["type"] == "BOOKMARK":
            continue
        events.append((event["type"], event["object"].metadata.name))
        if any(n == victim for _, n in events):
            w.stop()
    assert any(n == victim for _, n in events), f"no event for {victim} after resourceVersion {rv}: {events}"
    initial_added = [n for k, n in events if k == "ADDED" and n in {p.metadata.name for p in listing.items}]
    assert not initial_added, f"watch from resourceVersion {rv} replayed existing pods as ADDED: {initial_added}"


def test_version_api(api):
    info = client.VersionApi(api).get_code(_request_timeout=30)
    assert info.git_version.startswith("v") and info.major
