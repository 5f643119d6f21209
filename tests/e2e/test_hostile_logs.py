"""Hostile log lines at the terminal: a service's Loki stream carries escape sequences (cursor moves, screen
clears, OSC 0/2 titles, OSC 52 clipboard writes, DCS, BEL, 8-bit C1 controls, leaving the alternate screen,
a reset) and a 1 MB line; the real binary shows them in its log view inside tmux, and tmux's own state
proves none got through: the pane title is unchanged, no clipboard buffer appeared, the screen holds only
colour (SGR) sequences, and the layout is intact.

`platdeck sim` runs as a process; the console is pointed at it with the config the sim writes, exactly as
at a real cluster. The lines are pushed through Loki's push API, so they travel Loki's JSON (which cannot
carry invalid UTF-8: Loki's ingest replaces it, so the corpus carries the replacement character instead).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request

from tmux import platdeck_bin

NAMESPACE = "platform-services"
SERVICE = "orders-api"
TITLE = "e2e-title-unchanged"

HOSTILE = [
    "\x1b[2J\x1b[H screen cleared? CSI-CLEAR",
    "\x1b[10;10H cursor moved? \x1b[5A up CSI-MOVE",
    "\x1b]0;pwned-title\x07 OSC0-TITLE",
    "\x1b]2;pwned-title-2\x1b\\ OSC2-TITLE",
    "\x1b]52;c;cHduZWQtY2xpcGJvYXJk\x07 OSC52-CLIPBOARD",
    "\x1bP+q544e\x1b\\ DCS-QUERY",
    "\x07\x07\x07 BEL-RING",
    "\u009b2J\u009d0;c1-title\u009c C1-CONTROLS",
    "\x1b[?1049l\x1b[?25l ALT-SCREEN-LEFT",
    "\x1bc RIS-RESET",
    "\ufffd\ufffd INVALID-UTF8-REPLACED",
    "A" * 1_000_000 + "\x1b]0;late-title\x07 MEGA-LINE",
    "HOSTILE-END marker",
]


def start_sim(tmp_path):
    endpoints = tmp_path / "endpoints.json"
    config = tmp_path / "platdeck.yaml"
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [platdeck_bin(), "sim", "--endpoints-out", str(endpoints), "--config-out", str(config),
         "--kubeconfig-out", str(kubeconfig)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (config.exists() and endpoints.exists() and endpoints.read_text().strip()):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError("platdeck sim did not write its endpoints and config")
        time.sleep(0.1)
    return proc, json.loads(endpoints.read_text()), config


def push(loki: str, lines: list[str]) -> None:
    now = time.time_ns()
    values = [[str(now + i * 1000), line] for i, line in enumerate(lines)]
    labels = {"namespace": NAMESPACE, "app_kubernetes_io_name": SERVICE, "pod": f"{SERVICE}-hostile-0"}
    body = json.dumps({"streams": [{"stream": labels, "values": values}]}).encode()
    request = urllib.request.Request(
        f"{loki}/loki/api/v1/push", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 204), response.status


def escape_sequences(screen_with_escapes: str) -> list[str]:
    """Every ESC-introduced sequence capture-pane -e produced."""
    return re.findall(r"\x1b(?:\[[0-9;:?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)", screen_with_escapes)


def test_hostile_lines_never_reach_the_terminal(tmux, tmp_path):
    sim, endpoints, config = start_sim(tmp_path)
    try:
        tmux._tmux("set-option", "-g", "set-clipboard", "on")
        tmux._tmux("select-pane", "-t", tmux.session, "-T", TITLE)
        tmux.send_line(f"{platdeck_bin()} --config {config}; echo EXITED:$?")
        tmux.wait_for_text("Overview", timeout=30)
        tmux.keys(":")
        for ch in f"svc {SERVICE}":
            tmux.keys(ch if ch != " " else "Space")
        tmux.keys("Enter")
        tmux.wait_for_text(f"service: {NAMESPACE}/{SERVICE}")
        tmux.keys("l")
        tmux.wait_for_text(f"logs {NAMESPACE}/{SERVICE} · live", timeout=30)

        push(endpoints["loki"], HOSTILE)
        screen = tmux.wait_for_text("HOSTILE-END marker", timeout=30)
        # The hostile lines are shown — defused, as text.
        for tag in ("CSI-CLEAR", "OSC0-TITLE", "OSC52-CLIPBOARD", "DCS-QUERY", "BEL-RING", "C1-CONTROLS",
                    "ALT-SCREEN-LEFT", "RIS-RESET", "INVALID-UTF8-REPLACED"):
            assert tag in screen, f"{tag} missing:\n{screen}"

        # The terminal's state: title, clipboard, alternate screen, layout.
        title = tmux._tmux("display-message", "-p", "-t", tmux.session, "#{pane_title}").strip()
        assert title == TITLE, f"the pane title changed to {title!r}"
        buffers = tmux._tmux("list-buffers")
        assert buffers.strip() == "", f"a clipboard write reached tmux: {buffers!r}"
        assert tmux.alternate_screen_on(), "a line made the terminal leave the alternate screen"
        lines = screen.splitlines()
        assert lines[0].startswith(" platdeck · context"), f"the header moved:\n{screen}"
        assert "Overview" in lines[2], f"the tabs moved:\n{screen}"
        assert "pwned" not in screen and "late-title" not in screen and "c1-title" not in screen

        raw = tmux._tmux("capture-pane", "-p", "-e", "-t", tmux.session)
        stray = [s for s in escape_sequences(raw) if not re.fullmatch(r"\x1b\[[0-9;:]*m", s)]
        assert not stray, f"sequences beyond SGR colour on screen: {stray!r}"
        assert "\x07" not in raw and "\u009b" not in raw and "\u009d" not in raw

        # Esc closes the log view; q waits for that, since Esc and q sent together read as Alt-q.
        tmux.keys("Escape")
        tmux.wait_for(lambda s: f"logs {NAMESPACE}/{SERVICE}" not in s, what="the log view to close")
        tmux.keys("q")
        tmux.wait_for_text("EXITED:0", timeout=20)
    finally:
        sim.terminate()
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()
