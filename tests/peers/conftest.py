"""Fixtures of the peer-console lane: `platdeck sim` (the third-party lane's harness) and peers in tmux."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "thirdparty"))

from harness import start_sim  # noqa: E402
from peers import PeerSession  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("pytest-timeout is not installed: run scripts/test, which installs it")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    running = start_sim(tmp_path_factory.mktemp("sim"))
    yield running
    code = running.stop()
    assert code == 0, f"platdeck sim exited with {code}\n{running.stderr_tail()}"


@pytest.fixture
def peer(tmp_path: Path, sim):
    """Starts a peer console in tmux against the sim, in a home of its own; kills it afterwards."""
    sessions: list = []

    def start(name: str, *args: str) -> PeerSession:
        session = PeerSession(name, tmp_path / name, sim.kubeconfig, args)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.kill()
