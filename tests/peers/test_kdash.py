"""kdash 2.1.1, unmodified, against `platdeck sim`: its pods view across all namespaces, and the other
resource tabs it polls, each answered (not 404)."""

from __future__ import annotations

from harness import SERVICES_NAMESPACE

SERVICE = "orders-api"


def test_kdash_shows_the_pods_of_every_namespace(sim, peer):
    kdash = peer("kdash")
    screen = kdash.wait_for_text(f"{SERVICE}-", timeout=90)
    assert SERVICES_NAMESPACE in screen or "all" in screen, screen
    assert "Running" in screen, screen
