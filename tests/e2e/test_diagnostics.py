"""The diagnostics panel end to end: `platdeck demo` in tmux, a context added to the demo's kubeconfig
whose API server is a closed port on loopback, `:ctx` to it, and the panel (`L`) shows the whole
connection error that the header can only cut. The log files say what happened, the console's and the
sim's apart."""

from __future__ import annotations

import glob
import socket
import time

import yaml

from tmux import platdeck_bin


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_dead_context(kubeconfig: str, port: int) -> None:
    with open(kubeconfig) as f:
        config = yaml.safe_load(f)
    user = config["contexts"][0]["context"]["user"]
    config["clusters"].append({"name": "dead", "cluster": {"server": f"http://127.0.0.1:{port}"}})
    config["contexts"].append({"name": "dead", "context": {"cluster": "dead", "user": user}})
    with open(kubeconfig, "w") as f:
        yaml.safe_dump(config, f)


def body(screen: str) -> str:
    """The screen below the header and tabs, above the footer."""
    return "\n".join(screen.splitlines()[3:-1])


def test_a_dead_context_shows_its_full_error_in_the_diagnostics_panel(tmux, tmp_path):
    tmux.send_line(f"TMPDIR={tmp_path} {platdeck_bin()} demo; echo EXITED:$?")
    tmux.wait_for_text("1 Overview", timeout=60)
    deadline = time.monotonic() + 30
    kubeconfigs: list[str] = []
    while not kubeconfigs and time.monotonic() < deadline:
        kubeconfigs = glob.glob(str(tmp_path / "platdeck-demo-*" / "kubeconfig"))
        time.sleep(0.1)
    assert kubeconfigs, "the demo wrote no kubeconfig under TMPDIR"
    add_dead_context(kubeconfigs[0], closed_port())

    tmux.keys(":")
    for ch in "ctx dead":
        tmux.keys(ch if ch != " " else "Space")
    tmux.keys("Enter")
    tmux.wait_for_text("switched to context dead")
    # The header says the sources fail, cut to the cause, and names the key of the whole story.
    header = tmux.wait_for(
        lambda s: "error:" in s.splitlines()[1] and "L full errors" in s.splitlines()[1],
        timeout=60,
        what="the sources failing in the header",
    ).splitlines()[1]
    assert "Connection refused" in header, header

    tmux.keys("L")
    screen = tmux.wait_for(
        lambda s: "diagnostics" in s and "watch failed" in body(s) and "Connection refused" in body(s),
        timeout=30,
        what="the watch failures in the diagnostics panel",
    )
    panel = body(screen)
    # The whole chain, not the header's cut: what failed, and why.
    assert "initial object list" in panel or "watch" in panel, panel
    assert "tcp connect error" in panel or "error trying to connect" in panel, panel
    assert "context switched" in panel, panel

    tmux.keys("Escape")
    tmux.wait_for(lambda s: "watch failed" not in body(s), what="the panel to close")
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0", timeout=20)

    log = (tmp_path / "state" / "platdeck" / "platdeck.log").read_text()
    for line in ("session started", "switching context", "context switched", "source state changed"):
        assert line in log, f"{line!r} not in the log file:\n{log[-3000:]}"
    assert "platdeck_sim" not in log, "the sim's lines are in the console's log file"
    sim_log = tmp_path / "state" / "platdeck" / "platdeck-sim.log"
    assert sim_log.exists(), "the sim's log file is missing"
