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

/// The long flags a `--help` lists (`--help` and `--version` themselves aside). A flag's own line is
/// indented a little; wrapped help text (which may start with a flag's name) is indented to the help column.
fn listed_flags(help: &str) -> Vec<String> {
    let mut flags: Vec<String> = help
        .lines()
        .filter(|line| line.len() - line.trim_start().len() < 10)
        .map(str::trim_start)
        .filter(|line| line.starts_with('-'))
        .filter_map(|line| {
            line.split([' ', ',', '<', '=']).find(|word| word.starts_with("--")).map(str::to_string)
        })
        .filter(|flag| flag != "--help" && flag != "--version")
        .collect();
    flags.sort();
    flags
}

/// Every subcommand's `--help` lists exactly the flags the command uses: a flag added to a command that
/// ignores it (or a sim-only knob leaking onto a headless command) fails here.
#[test]
fn each_help_lists_only_the_flags_its_command_uses() {
    let demo = ["--demo", "--scenario", "--scale", "--speed"];
    let sim = ["--scenario", "--scale", "--speed", "--faults", "--churn"];
    let cases: Vec<(&[&str], Vec<&str>)> = vec![
        (&[], vec!["--config", "--context", "--namespace", "--readonly"]),
        (&["demo"], [&sim[..], &["--config", "--namespace", "--readonly"]].concat()),
        (
            &["sim"],
            [
                &sim[..],
                &[
                    "--endpoints-out",
                    "--kubeconfig-out",
                    "--config-out",
                    "--kube-port",
                    "--loki-port",
                    "--grafana-port",
                    "--metrics-port",
                    "--ecr-port",
                ],
            ]
            .concat(),
        ),
        (&["status"], [&demo[..], &["--config", "--context", "--namespace", "--format"]].concat()),
        (
            &["redeploy"],
            [&demo[..], &["--strategy", "--yes", "--config", "--context", "--namespace", "--readonly"]]
                .concat(),
        ),
        (
            &["validate"],
            [
                &demo[..],
                &["--phase", "--format", "--output", "--suite", "--config", "--context", "--readonly"],
            ]
            .concat(),
        ),
        (
            &["provision"],
            [&demo[..], &["--dry-run", "--yes", "--suite", "--config", "--context", "--readonly"]].concat(),
        ),
        (
            &["scaffold"],
            [
                &demo[..],
                &[
                    "--template",
                    "--namespace",
                    "--owner",
                    "--description",
                    "--port",
                    "--out",
                    "--gitops",
                    "--apply",
                    "--list",
                    "--yes",
                    "--config",
                    "--context",
                    "--readonly",
                ],
            ]
            .concat(),
        ),
        (&["completions"], vec![]),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (command, expected) in cases {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let out = platdeck(&args, dir.path());
        assert!(out.status.success(), "{command:?}: {}", text(&out.stderr));
        let mut expected: Vec<String> = expected.iter().map(|f| f.to_string()).collect();
        expected.sort();
        assert_eq!(listed_flags(&text(&out.stdout)), expected, "platdeck {command:?} --help");
    }
}

#[test]
fn scaffold_help_says_namespace_is_the_new_services() {
    let dir = tempfile::tempdir().unwrap();
    let help = text(&platdeck(&["scaffold", "--help"], dir.path()).stdout);
    assert!(help.contains("The new service's namespace"), "{help}");
}

#[test]
fn a_flag_before_a_command_that_ignores_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = platdeck(&["--readonly", "sim"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "platdeck: --readonly does nothing for `platdeck sim`; see `platdeck sim --help`"
    );
}

/// What the shell gets when it asks for completions the way `platdeck completions bash` registers it.
fn complete_bash(words: &[&str], env: &[(&str, &std::path::Path)]) -> Vec<String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_platdeck"));
    command
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("platdeck runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn completion_offers_the_kubeconfigs_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: prod-eu\nclusters: []\nusers: []\ncontexts:\n\
         - name: prod-eu\n  context: {cluster: a, user: a}\n- name: prod-us\n  context: {cluster: b, user: b}\n\
         - name: dev\n  context: {cluster: c, user: c}\n",
    )
    .unwrap();
    let found = complete_bash(&["platdeck", "status", "--context", "prod"], &[("KUBECONFIG", &kubeconfig)]);
    assert_eq!(found, ["prod-eu", "prod-us"]);
}

#[test]
fn completion_offers_scenarios_and_templates() {
    let dir = tempfile::tempdir().unwrap();
    let found = complete_bash(&["platdeck", "demo", "--scenario", "inc"], &[("HOME", dir.path())]);
    assert_eq!(found.first().map(String::as_str), Some("incident"), "{found:?}");
    let found = complete_bash(&["platdeck", "scaffold", "x", "--template", ""], &[("HOME", dir.path())]);
    for template in ["go-http", "node-express", "python-fastapi"] {
        assert!(found.iter().any(|f| f == template), "{template} in {found:?}");
    }
}

#[test]
fn completions_prints_a_registration_that_calls_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = platdeck(&["completions", "bash"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    assert!(script.contains("COMPLETE=\"bash\"") && script.contains("complete "), "{script}");
}
