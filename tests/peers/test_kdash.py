"""kdash 2.1.1, unmodified, against `platdeck sim`: its pods view across all namespaces, with every
resource it polls answered (kdash prints a failed call at the foot of its screen)."""

from __future__ import annotations

import re

import requests

from harness import SERVICES_NAMESPACE


def test_kdash_shows_the_pods_of_every_namespace_and_every_poll_succeeds(sim, peer):
    pods = requests.get(f"{sim.url('kubernetes')}/api/v1/pods", timeout=10).json()["items"]
    kdash = peer("kdash", "--poll-rate", "1000")
    screen = kdash.wait_for(lambda s: re.search(r"Pods \(ns: all\) \[\d+\]", s) and "orders-api-" in s,
                            timeout=90, what="the pods of all namespaces")
    assert int(re.search(r"Pods \(ns: all\) \[(\d+)\]", screen).group(1)) == len(pods)
    assert SERVICES_NAMESPACE in screen and "Running" in screen, screen
    # Several polls of every resource tab later, none has failed.
    for tab in ("StatefulSets", "DaemonSets", "Jobs", "ConfigMaps"):
        assert tab in screen, screen
    kdash.wait_for(lambda s: re.search(r"Jobs \[\d+\]", s) and re.search(r"ConfigMaps \[\d+\]", s), timeout=30,
                   what="the resource tabs' counts")
    for _ in range(3):
        before = kdash.screen()
        kdash.wait_for(lambda s: s != before, timeout=10, what="a redraw")
    screen = kdash.screen()
    assert "Failed to get" not in screen, screen
