"""Helpers of the scaffold lane: run `platdeck scaffold`, install a scaffolded service's dependencies with
its own toolchain, start it on a free port and read its JSON logs.

Package downloads are cached across runs (npm, pip and Go caches under $PLATDECK_TEST_CACHE, default
~/.cache/platdeck-tests), so the lane stays within a few minutes once warm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from harness import free_port, platdeck_bin, wait_until

TEMPLATES = ("node-express", "python-fastapi", "go-http")
CACHE = Path(os.environ.get("PLATDECK_TEST_CACHE", Path.home() / ".cache" / "platdeck-tests"))
INSTALL_HINT = "run scripts/test, which installs it"


def scaffold(*args: str, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, RUST_BACKTRACE="0", NO_COLOR="1")
    return subprocess.run(
        [platdeck_bin(), "scaffold", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} not found: {INSTALL_HINT}"
    return path


def run(cmd: list, cwd: Path, env: Optional[dict] = None, timeout: float = 400) -> None:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def go_env() -> dict:
    return dict(
        os.environ,
        GOMODCACHE=str(CACHE / "go-mod"),
        GOCACHE=str(CACHE / "go-build"),
        GOFLAGS="-mod=mod",
        GOTOOLCHAIN="local",
    )


def install(template: str, service: Path) -> list:
    """Installs the service's dependencies; returns the command that starts it."""
    if template == "node-express":
        # The skeleton ships a lock file: `npm ci` installs exactly what it pins.
        run([tool("npm"), "ci", "--no-audit", "--no-fund", "--cache", str(CACHE / "npm")], service)
        return [tool("node"), "src/index.js"]
    if template == "python-fastapi":
        run([sys.executable, "-m", "venv", ".venv"], service)
        python = str(service / ".venv" / "bin" / "python")
        pip = [python, "-m", "pip", "install", "-q", "--cache-dir", str(CACHE / "pip"), "-r", "requirements.txt"]
        run(pip, service, env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
        return [python, "-m", "app.main"]
    if template == "go-http":
        run([tool("go"), "mod", "download"], service, env=go_env())
        run([tool("go"), "build", "-o", "service", "."], service, env=go_env())
        return [str(service / "service")]
    raise AssertionError(f"unknown template {template}")


@dataclass
class Running:
    proc: subprocess.Popen
    port: int
    lines: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def snapshot(self) -> list:
        with self.lock:
            return list(self.lines)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def start(command: list, service: Path) -> Running:
    port = free_port()
    env = dict(os.environ, PORT=str(port), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        command, cwd=service, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    running = Running(proc=proc, port=port)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with running.lock:
                running.lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return running


def get(url: str, user_agent: str = "scaffold-test") -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


def json_lines(lines: list) -> list:
    """Every line parsed as JSON; a line that is not JSON fails (the logs are structured, all of them)."""
    parsed = []
    for line in lines:
        if not line.strip():
            continue
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise AssertionError(f"log line is not JSON: {line!r} ({exc})") from exc
    return parsed
