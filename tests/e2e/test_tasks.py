"""The Tasks view end to end: validation run from the TUI on `platdeck demo`, provisioning confirmed and
blocked in read-only, in tmux, driven by keys."""

from __future__ import annotations

import json
import re

from tmux import platdeck_bin

PHASES = ("preflight", "observability", "governance", "developer-experience")


def finished(screen: str) -> bool:
    """The run's summary is in the footer and no task row is still pending or running."""
    return re.search(r"validate: \d+ passed, \d+ failed", screen) is not None and not re.search(
        r"\b(pending|running)\b", screen
    )


def test_validation_runs_from_the_tui_and_every_phase_completes(tmux):
    tmux.send_line(f"{platdeck_bin()} demo; echo EXITED:$?")
    tmux.wait_for_text("1 Overview", timeout=60)
    tmux.keys("6")
    tmux.wait_for_text("no task run yet")
    tmux.keys("v")
    # While it runs, the user may look elsewhere; the tab keeps a progress indicator.
    tmux.wait_for(lambda s: "6 Tasks" in s and ("running" in s or "passed" in s), what="the run to start")
    tmux.keys("1")
    tmux.wait_for_text("1 Overview")
    tmux.keys("6")
    screen = tmux.wait_for(finished, timeout=90, what="the validation run to finish")
    for phase in PHASES:
        assert phase in screen, f"phase {phase} missing:\n{screen}"
    summary = re.search(r"validate: (\d+) passed, (\d+) failed, (\d+) skipped", screen)
    assert summary, screen
    passed = int(summary.group(1))
    assert passed >= 14, screen
    # Kubernetes-side checks all pass on the healthy platform.
    for row in [line for line in screen.splitlines() if "Kubernetes context reachable" in line]:
        assert "passed" in row, row
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0")


def test_provisioning_asks_naming_the_context_and_is_audited(tmux, tmp_path):
    tmux.send_line(f"{platdeck_bin()} demo; echo EXITED:$?")
    tmux.wait_for_text("1 Overview", timeout=60)
    tmux.keys("p")
    screen = tmux.wait_for_text("Confirm: provision")
    assert "on context platdeck-sim" in screen, screen
    assert "application/loki in argocd" in screen, screen
    tmux.keys("y")
    tmux.wait_for(lambda s: re.search(r"provision: \d+ passed, 0 failed", s), timeout=90, what="provisioning to pass")
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0")
    audit = tmp_path / "state" / "platdeck" / "audit.jsonl"
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    applied = {e["object"] for e in entries if e["action"] == "apply" and e["result"] == "ok"}
    assert "applications/loki" in applied and "clusterpolicies/require-observability-labels" in applied, entries
    assert all(e["context"] == "platdeck-sim" for e in entries)


def test_readonly_blocks_provisioning_before_any_request(tmux, tmp_path):
    tmux.send_line(f"{platdeck_bin()} demo --readonly; echo EXITED:$?")
    tmux.wait_for_text("READ-ONLY", timeout=60)
    tmux.keys("p")
    tmux.wait_for_text("read-only: provisioning on context platdeck-sim blocked")
    assert "Confirm: provision" not in tmux.screen()
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0")
    audit = tmp_path / "state" / "platdeck" / "audit.jsonl"
    assert not audit.exists() or "apply" not in audit.read_text()
