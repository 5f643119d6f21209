"""Fixtures of the scaffold lane: services rendered by the real binary, and a running `platdeck sim`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The third-party lane's harness starts the sim and finds kubectl; this lane shares it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "thirdparty"))

from harness import start_sim  # noqa: E402

from scaffolded import TEMPLATES, scaffold  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("pytest-timeout is not installed: run scripts/test, which installs it")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each built-in template rendered once by `platdeck scaffold`, as `orders-<template>` on port 0."""
    out = tmp_path_factory.mktemp("services")
    services = {}
    for template in TEMPLATES:
        name = f"orders-{template}".replace("python-fastapi", "py").replace("node-express", "node")
        result = scaffold(name, "--template", template, "--out", str(out), "--owner", "team-orders")
        assert result.returncode == 0, f"scaffold {template} failed:\n{result.stdout}\n{result.stderr}"
        services[template] = out / name
    return services


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    running = start_sim(tmp_path_factory.mktemp("sim"))
    yield running
    assert running.stop() == 0, running.stderr_tail()
