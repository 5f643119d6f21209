"""kubetui 1.14.0, unmodified, against `platdeck sim`: its pods view across all namespaces."""

from __future__ import annotations

SERVICE = "orders-api"


def test_kubetui_shows_the_pods_of_every_namespace(sim, peer):
    kubetui = peer("kubetui", "--all-namespaces")
    screen = kubetui.wait_for_text(f"{SERVICE}-", timeout=90)
    assert "Running" in screen, screen
