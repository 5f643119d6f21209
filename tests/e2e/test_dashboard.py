"""The dashboard end to end: `platdeck demo --scenario incident` in tmux, driven by keys.

The incident (at --speed 6): payments-api's bad image crash-loops and its Argo CD app turns Degraded
(~10 s), then the fix rolls out (~25 s).
"""

from __future__ import annotations

import json
import re

from tmux import first_row, lines_with, platdeck_bin

POD_ROW = re.compile(r"^(payments-api-\w+-\w+)\s+(\d+/\d+)\s+(\S+)")


def pod_rows(screen: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in screen.splitlines():
        m = POD_ROW.match(line.strip())
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def test_incident_triage_narrow_restart_and_quit(tmux, tmp_path):
    tmux.send_line(f"{platdeck_bin()} demo --scenario incident --speed 6; echo EXITED:$?")
    tmux.wait_for_text("Overview", timeout=30)

    # The degraded service rises to the top of the overview.
    screen = tmux.wait_for(
        lambda s: (row := first_row(s)) is not None and "payments-api" in row and "critical" in row,
        timeout=60,
        what="payments-api at the top of needs-attention, critical",
    )
    assert "CrashLoopBackOff" in first_row(screen) or "Degraded" in first_row(screen)

    # Selecting it narrows every view to it.
    tmux.keys("Enter")
    tmux.wait_for_text("service: platform-services/payments-api")
    tmux.keys("3")
    screen = tmux.wait_for(lambda s: "pods of platform-services/payments-api" in s, what="the workloads view")
    assert not lines_with(screen, "orders-api"), "other services are filtered out"
    tmux.keys("5")
    screen = tmux.wait_for_text("Events")
    assert not lines_with(screen, "catalog-api"), "events are narrowed too"
    tmux.keys("3")

    # Wait for the scripted fix to roll out, so a restart can produce ready pods.
    def settled(s: str):
        pods = pod_rows(s)
        return pods and all(ready == "1/1" and status == "Running" for ready, status in pods.values()) and len(pods) == 2

    screen = tmux.wait_for(settled, timeout=90, what="payments-api's fixed rollout to settle")
    before = set(pod_rows(screen))

    # A restart asks for confirmation naming context, namespace and object.
    tmux.keys("r")
    tmux.wait_for_text("rollout restart deployment/payments-api in namespace platform-services on")
    tmux.keys("y")
    tmux.wait_for_text("restarted deployment/payments-api")

    # New pods replace the old ones and become ready.
    def replaced(s: str):
        pods = pod_rows(s)
        return settled(s) and not (set(pods) & before)

    tmux.wait_for(replaced, timeout=90, what="new payments-api pods, all ready")

    audit = (tmp_path / "state" / "platdeck" / "audit.jsonl").read_text().splitlines()
    entry = json.loads(audit[-1])
    assert (entry["action"], entry["object"], entry["result"]) == ("restart", "deployment/payments-api", "ok")

    # q leaves a restored terminal: the shell is back, out of the alternate screen.
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0", timeout=20)
    assert not tmux.alternate_screen_on()


def test_readonly_demo_blocks_restart_before_any_request(tmux, tmp_path):
    tmux.send_line(f"{platdeck_bin()} demo --readonly; echo EXITED:$?")
    tmux.wait_for_text("READ-ONLY", timeout=30)
    tmux.wait_for(lambda s: first_row(s) is not None, what="a selectable row")
    tmux.keys("r")
    tmux.wait_for_text("read-only:")
    screen = tmux.screen()
    assert "y confirm" not in screen, "no confirmation is offered in read-only mode"
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0", timeout=20)
    assert not (tmp_path / "state" / "platdeck" / "audit.jsonl").exists() or "ok" not in (
        tmp_path / "state" / "platdeck" / "audit.jsonl"
    ).read_text()


def test_help_is_generated_from_the_keymap_and_filter_narrows(tmux):
    tmux.send_line(f"{platdeck_bin()} demo; echo EXITED:$?")
    tmux.wait_for_text("Overview", timeout=30)
    tmux.keys("?")
    screen = tmux.wait_for_text("rollout restart the service")
    assert "quit" in screen
    # Each key after Esc waits for Esc to land: sent together they read as Alt+key.
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "rollout restart the service" not in s, what="help to close")
    tmux.keys("2")
    tmux.wait_for_text("kube-prometheus-stack")
    tmux.keys("/")
    for ch in "kyverno":
        tmux.keys(ch)
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "kube-prometheus-stack" not in s and "kyverno-policies" in s, what="filtered apps")
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0", timeout=20)


def test_logs_of_the_degraded_service_filtered_to_errors(tmux):
    tmux.send_line(f"{platdeck_bin()} demo --scenario incident --speed 6; echo EXITED:$?")
    tmux.wait_for(
        lambda s: (row := first_row(s)) is not None and "payments-api" in row,
        timeout=60,
        what="payments-api at the top of needs-attention",
    )
    tmux.keys("l")
    tmux.wait_for_text("logs platform-services/payments-api")
    tmux.wait_for_text("Request completed", timeout=30)
    tmux.keys("/")
    for ch in "error":
        tmux.keys(ch)
    tmux.keys("Enter")
    screen = tmux.wait_for_text("Request failed", timeout=60)
    body = screen.splitlines()[4:-1]
    assert not any("Request completed" in line for line in body), screen
    assert any(" error " in line and "payments-api" in line for line in body), screen
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "logs platform-services/payments-api" not in s, what="the log view to close")
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0", timeout=20)
