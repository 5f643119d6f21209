"""Drive the real platdeck binary in tmux, the way a user meets it: send keys, read the screen.

Tests wait for text to appear (polling capture-pane with a deadline); they never sleep blindly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]


def platdeck_bin() -> str:
    path = os.environ.get("PLATDECK_BIN") or str(REPO_ROOT / "target" / "debug" / "platdeck")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is not built: run scripts/test (it builds it)")
    return path


class Tmux:
    """One detached tmux session with a shell, on its own socket so tests never touch a user's tmux."""

    def __init__(self, workdir: Path, width: int = 160, height: int = 50):
        if shutil.which("tmux") is None:
            raise AssertionError("tmux is missing: run scripts/test, which installs it")
        self.socket = f"platdeck-test-{uuid.uuid4().hex[:8]}"
        self.session = "e2e"
        env = dict(os.environ)
        env["XDG_STATE_HOME"] = str(workdir / "state")
        env["XDG_CONFIG_HOME"] = str(workdir / "config")
        env.pop("TMUX", None)
        self.env = env
        self._tmux("new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height), "bash --norc --noprofile")
        self.send_line("PS1='$ '")

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    def send_line(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.session, "-l", text)
        self._tmux("send-keys", "-t", self.session, "Enter")

    def keys(self, *keys: str) -> None:
        """tmux key names: `Enter`, `Escape`, `Tab`, `q`, `3`..."""
        for key in keys:
            self._tmux("send-keys", "-t", self.session, key)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def alternate_screen_on(self) -> bool:
        return self._tmux("display-message", "-p", "-t", self.session, "#{alternate_on}").strip() == "1"

    def wait_for(self, predicate: Callable[[str], object], timeout: float = 30.0, what: str = "text") -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; screen was:\n{screen}")

    def wait_for_text(self, text: str, timeout: float = 30.0) -> str:
        return self.wait_for(lambda s: text in s, timeout, repr(text))

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True, timeout=10)


def lines_with(screen: str, needle: str) -> list[str]:
    return [line for line in screen.splitlines() if needle in line]


def first_row(screen: str) -> Optional[str]:
    """The selected table row (the console marks it with ▸)."""
    rows = [line for line in screen.splitlines() if line.startswith("▸")]
    return rows[0] if rows else None
