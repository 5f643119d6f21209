"""The peer consoles (k9s, kdash, kubetui), built by scripts/peers/build and run in tmux.

Each runs with a temporary HOME and XDG directories (nothing is written into the user's), with the sim's
kubeconfig only (so it reaches nothing but loopback), and with its update checks off. Tests wait for text
on the screen; they never sleep blindly.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "scripts" / "peers" / "build"

# k9s: no release check against the internet, no splash, no writing outside its XDG directories.
K9S_CONFIG = """k9s:
  skipLatestRevCheck: true
  refreshRate: 2
  ui:
    logoless: true
    splashless: true
    reactive: false
  logger:
    tail: 100
"""


def peer_bin(name: str) -> str:
    out = subprocess.run([str(BUILD), "--print-dir", name], capture_output=True, text=True, check=True)
    path = out.stdout.strip()
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{name} is not built at {path}: run scripts/test (it runs scripts/peers/build)")
    return path


class PeerSession:
    """One peer console in a detached tmux session on its own socket."""

    def __init__(self, name: str, home: Path, kubeconfig: Path, args: tuple, width: int = 200, height: int = 50):
        if shutil.which("tmux") is None:
            raise AssertionError("tmux is missing: run scripts/test, which installs it")
        self.name = name
        self.home = home
        for sub in ("config", "data", "state", "cache"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        if name == "k9s":
            (home / "config" / "k9s").mkdir(parents=True, exist_ok=True)
            (home / "config" / "k9s" / "config.yaml").write_text(K9S_CONFIG)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "KUBECONFIG": str(kubeconfig),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        self.env = env
        self.socket = f"platdeck-peer-{uuid.uuid4().hex[:8]}"
        command = " ".join(shlex.quote(p) for p in [peer_bin(name), *args])
        # The console's stderr goes to a file: what it complains about is in the failure message.
        self.stderr = home / "stderr.log"
        shell = f"exec {command} 2>{shlex.quote(str(self.stderr))}"
        self._tmux("new-session", "-d", "-s", "peer", "-x", str(width), "-y", str(height), shell)

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True,
                             timeout=10)
        if out.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", "peer", key)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "peer", "-l", text)

    def screen(self) -> str:
        try:
            return self._tmux("capture-pane", "-p", "-t", "peer")
        except AssertionError as exc:
            return f"<no screen: {exc}>"

    def alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", "peer"], env=self.env,
                              capture_output=True, timeout=10).returncode == 0

    def wait_for(self, predicate: Callable[[str], object], timeout: float = 60.0, what: str = "text") -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            if not self.alive():
                break
            time.sleep(0.25)
        raise AssertionError(f"{self.name}: timed out after {timeout:.0f}s waiting for {what}; screen was:\n{screen}\n"
                             f"stderr (tail): {self.stderr_tail()}")

    def wait_for_text(self, *texts: str, timeout: float = 60.0) -> str:
        return self.wait_for(lambda s: all(t in s for t in texts), timeout, " and ".join(repr(t) for t in texts))

    def stderr_tail(self, limit: int = 2000) -> str:
        try:
            return self.stderr.read_text(errors="replace")[-limit:]
        except OSError:
            return "<none>"

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True, timeout=10)
