"""Fixtures of the third-party lane: a running `platdeck sim` per test module, and a factory for more."""

from __future__ import annotations

import pytest

import subprocess

import requests

from harness import Sim, free_port, python_script, start_sim, wait_until


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("pytest-timeout is not installed: run scripts/test, which installs it")


def _stop_and_check(sim: Sim) -> None:
    code = sim.stop()
    assert code == 0, (
        f"platdeck sim exited with code {code} after SIGTERM (expected 0)\nstderr (tail):\n{sim.stderr_tail()}"
    )


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    """`platdeck sim` on its default (platform) scenario, shared by the tests of one module."""
    running = start_sim(tmp_path_factory.mktemp("sim"))
    yield running
    _stop_and_check(running)


@pytest.fixture
def sim_factory(tmp_path_factory: pytest.TempPathFactory):
    """Starts further sims with extra arguments (`--faults`, `--scenario`, `--scale`, ...); stops them all."""
    started: list = []

    def start(*args: str, startup_timeout: float = 90) -> Sim:
        running = start_sim(tmp_path_factory.mktemp("sim"), *args, startup_timeout=startup_timeout)
        started.append(running)
        return running

    yield start
    problems = []
    for running in started:
        try:
            code = running.stop()
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        if code != 0:
            problems.append(f"sim {running.args} exited with code {code}\n{running.stderr_tail()}")
    assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory):
    """`moto_server` (an independent ECR implementation) on a free port; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [python_script("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"

    def ready():
        assert proc.poll() is None, f"moto_server exited with {proc.returncode}: {log.read_text()[-2000:]}"
        return requests.get(f"{url}/moto-api/", timeout=2).status_code < 500

    try:
        wait_until(ready, timeout=60, interval=0.3, message="moto_server to answer")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
