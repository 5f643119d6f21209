"""kubetui 1.14.0, unmodified, against `platdeck sim`: its pods view across all namespaces, then its
ConfigMap/Secret and Network tabs (kinds the sim did not serve before), each filled from the sim."""

from __future__ import annotations

import re

import requests

from harness import SERVICES_NAMESPACE


def test_kubetui_shows_pods_of_every_namespace_configs_and_network(sim, peer):
    pods = requests.get(f"{sim.url('kubernetes')}/api/v1/pods", timeout=10).json()["items"]
    kubetui = peer("kubetui", "--all-namespaces", "--kubeconfig", str(sim.kubeconfig))
    screen = kubetui.wait_for(lambda s: re.search(r"Pod \[\d+/\d+\]", s) and "Running" in s, timeout=90,
                              what="the pods table")
    total = int(re.search(r"Pod \[\d+/(\d+)\]", screen).group(1))
    assert total == len(pods), (total, len(pods))
    for ns in ("argocd", "observability", SERVICES_NAMESPACE):
        assert ns in screen, screen

    kubetui.keys("2")
    kubetui.wait_for_text("Config [", "kube-root-ca.crt", "catalog-api-config", timeout=60)

    kubetui.keys("3")
    kubetui.wait_for_text("grafana", timeout=60)
