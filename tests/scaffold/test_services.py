"""For each built-in template: render it with the real binary, install its dependencies with its own
toolchain, start it, and check what the platform relies on — /health, /ready, /metrics, and one JSON log
line per request with the seed's fields."""

from __future__ import annotations

import re

import pytest

from harness import wait_until
from scaffolded import TEMPLATES, get, install, json_lines, start


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_scaffolded_service_runs_as_the_platform_expects(template: str, rendered: dict) -> None:
    service = rendered[template]
    running = start(install(template, service), service)
    try:
        wait_until(lambda: get(running.url("/health"))[0] == 200, timeout=60, message=f"{template} /health")
        for path, status_word in (("/health", "healthy"), ("/ready", "ready")):
            status, content_type, body = get(running.url(path))
            assert status == 200 and "application/json" in content_type, (path, status, content_type)
            assert f'"status":"{status_word}"' in body.replace(" ", ""), body

        status, content_type, body = get(running.url("/metrics"))
        assert status == 200 and content_type.startswith("text/plain"), content_type
        assert "# TYPE http_requests_total counter" in body, body[:2000]
        assert "# TYPE http_request_duration_seconds histogram" in body
        counted = re.search(r'^http_requests_total\{[^}]*path="/health"[^}]*\} (\d+(\.\d+)?)', body, re.M)
        assert counted and float(counted.group(1)) >= 1, "the /health requests are counted"

        # One request, then a second one as a marker: once the marker's line is out, every line the first
        # request produced is out too (stdout is written in order).
        before = len(running.snapshot())
        assert get(running.url("/?probe=one"), user_agent="probe-agent")[0] == 200
        assert get(running.url("/ready"))[0] == 200

        def marker_logged():
            entries = json_lines(running.snapshot()[before:])
            return entries if any(e.get("path") == "/ready" for e in entries) else None

        entries = wait_until(marker_logged, timeout=20, message=f"{template} logs the marker request")
        probe = [e for e in entries if e.get("path") == "/"]
        assert len(probe) == 1, f"one request, one log line: {entries}"
        line = probe[0]
        assert line["method"] == "GET" and line["status"] == 200, line
        assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0, line
        assert line["user_agent"] == "probe-agent", line
        for key in ("level", "msg", "timestamp", "hostname", "service"):
            assert key in line, f"{key} missing: {line}"
        assert line["service"] == service.name and line["level"] == "info", line
        json_lines(running.snapshot())  # every line the service wrote is JSON
    finally:
        running.stop()
