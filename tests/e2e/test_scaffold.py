"""Scaffolding in the dashboard: `s` in `platdeck demo` opens the form, validates as you type, previews
the files, confirms naming context and namespace, and the new service's Argo CD application appears in
the dashboard, syncs and turns Healthy."""

from __future__ import annotations

import json
import re
import subprocess

from tmux import lines_with, platdeck_bin


def type_text(tmux, text: str) -> None:
    for ch in text:
        tmux.keys(ch)


def test_scaffold_a_service_in_the_demo_and_see_it_appear(tmux, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    tmux.send_line(f"cd {work} && {platdeck_bin()} demo; echo EXITED:$?")
    tmux.wait_for(lambda s: re.search(r"2 Applications [1-9]", s), timeout=30, what="the applications listed")

    tmux.keys("s")
    tmux.wait_for_text("New service (golden path)")
    # Validated as you type: a service the dashboard shows cannot be taken again.
    type_text(tmux, "payments-api")
    tmux.wait_for_text("a service named payments-api already exists")
    for _ in "payments-api":
        tmux.keys("BSpace")
    type_text(tmux, "Shop")
    tmux.wait_for_text("may only hold lowercase letters")
    for _ in "Shop":
        tmux.keys("BSpace")
    type_text(tmux, "shop-web")
    tmux.wait_for(lambda s: "shop-web" in s and "already exists" not in s and "lowercase" not in s, what="a valid name")

    # To the template field; the right arrow cycles to the Python template.
    tmux.keys("Tab", "Tab", "Tab", "Right")
    tmux.wait_for_text("◂ python-fastapi ▸")
    # Enter walks the remaining fields; on the last one it shows the preview.
    tmux.keys("Enter", "Enter", "Enter")
    screen = tmux.wait_for_text("Preview: files to be written")
    for path in ("app/main.py", "k8s/deployment.yaml", "apps/shop-web/deployment.yaml", "applications/shop-web.yaml"):
        assert path in screen, f"{path} not previewed:\n{screen}"
    tmux.keys("Enter")
    screen = tmux.wait_for_text("Confirm: scaffold")
    assert lines_with(screen, "context      platdeck-sim") and lines_with(screen, "namespace    platform-services")
    tmux.keys("y")
    tmux.wait_for_text("created application.argoproj.io/shop-web", timeout=30)

    # The new service's application shows up in the dashboard, and Argo CD (the sim's, reading the demo's
    # GitOps repository) syncs it until its pods are ready.
    tmux.keys("2")
    tmux.wait_for(lambda s: lines_with(s, "shop-web"), timeout=30, what="shop-web in the Applications view")
    tmux.wait_for(
        lambda s: any("Synced" in line and "Healthy" in line for line in lines_with(s, "shop-web")),
        timeout=90,
        what="shop-web Synced and Healthy",
    )

    service = work / "shop-web"
    assert (service / "app" / "main.py").is_file() and (service / "catalog-info.yaml").is_file()
    count = subprocess.run(["git", "-C", str(service), "rev-list", "--count", "HEAD"], capture_output=True, text=True)
    assert count.stdout.strip() == "1"
    entry = json.loads((tmp_path / "state" / "platdeck" / "audit.jsonl").read_text().splitlines()[-1])
    assert (entry["action"], entry["result"]) == ("scaffold", "ok"), entry
    assert "application.argoproj.io/shop-web" in entry["object"]

    tmux.keys("q")
    tmux.wait_for_text("EXITED:0", timeout=20)


def test_scaffolding_is_blocked_in_read_only(tmux, tmp_path):
    tmux.send_line(f"cd {tmp_path} && {platdeck_bin()} demo --readonly; echo EXITED:$?")
    tmux.wait_for_text("READ-ONLY", timeout=30)
    tmux.keys("s")
    tmux.wait_for_text("read-only: scaffolding a service is blocked")
    assert "New service" not in tmux.screen()
    tmux.keys("q")
    tmux.wait_for_text("EXITED:0", timeout=20)
