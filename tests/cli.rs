//! The headless commands as a script or a chat-op meets them: the real binary, its exit code, its output.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn platdeck(args: &[&str], state_dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_platdeck"))
        .args(args)
        .env("XDG_STATE_HOME", state_dir)
        .env("XDG_CONFIG_HOME", state_dir.join("config"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("platdeck runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn status_json_reports_the_dashboard_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = platdeck(&["status", "--demo", "--format", "json"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["context"], "platdeck-sim");
    assert!(v["sources"].as_object().unwrap().values().all(|h| h == "connected"), "{}", v["sources"]);
    assert_eq!(v["summary"]["apps"], 10);
    assert!(v["summary"]["pods"].as_u64().unwrap() >= 20);
    let attention = v["needs_attention"].as_array().unwrap();
    assert_eq!(attention[0]["service"], "platform-services/notifications-worker");
    assert!(v["services"].as_array().unwrap().iter().any(|s| s["service"] == "platform-services/orders-api"));
}

#[test]
fn status_table_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let out = platdeck(&["status", "--demo"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("NEEDS ATTENTION"), "{stdout}");
    assert!(stdout.contains("platform-services/payments-api"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no escape sequences in table output");
}

#[test]
fn redeploy_restart_rolls_out_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let out = platdeck(
        &["redeploy", "orders-api", "--strategy", "restart", "--yes", "--demo", "--speed", "4"],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{}", text(&out.stderr));
    assert!(stdout.contains(
        "rollout restart deployment/orders-api in namespace platform-services on context platdeck-sim"
    ));
    assert!(stdout.contains("successfully progressed"), "{stdout}");
    let audit = std::fs::read_to_string(dir.path().join("platdeck/audit.jsonl")).unwrap();
    let entry: Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!((entry["action"].as_str(), entry["result"].as_str()), (Some("restart"), Some("ok")));
}

#[test]
fn redeploy_sync_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let out = platdeck(
        &["redeploy", "platform-services/users-api", "--strategy", "sync", "--yes", "--demo"],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{}", text(&out.stderr));
    assert!(stdout.contains("operation Succeeded"), "{stdout}");
}

#[test]
fn redeploy_is_refused_when_readonly_and_without_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let out = platdeck(&["--readonly", "redeploy", "orders-api", "--yes", "--demo"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("read-only"), "{}", text(&out.stderr));
    let audit = std::fs::read_to_string(dir.path().join("platdeck/audit.jsonl")).unwrap();
    assert!(audit.contains("blocked: read-only"));

    let out = platdeck(&["redeploy", "orders-api", "--demo"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("pass --yes"), "{}", text(&out.stderr));

    let out = platdeck(&["redeploy", "no-such-service", "--yes", "--demo"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no service named `no-such-service`"), "{}", text(&out.stderr));
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.yaml");
    std::fs::write(&config, "ecr:\n  scan_on_push: \"yes please\"\n").unwrap();
    let out = platdeck(&["--config", config.to_str().unwrap(), "status", "--demo"], dir.path());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.yaml:2:") && err.contains("ecr.scan_on_push"), "{err}");

    let out = platdeck(&["sim", "--scenario", "nope"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown scenario `nope`"), "{}", text(&out.stderr));

    let out = platdeck(&["status", "--context", "missing"], dir.path());
    assert!(!out.status.success(), "no kubeconfig context `missing` exists");
}
