//! The config files users write: `config.example.yaml` must load and round-trip, and each
//! kind of mistake must be reported as `file:line:column: key: message`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use platdeck_console::config::{
    Config, ConfigError, ConfigSource, LokiAuth, Secret, load, load_from, parse_str,
};

/// A file of the repository (the workspace root is two levels above this crate).
fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config").join(name)
}

/// Loads a fixture that must fail, and returns the error's one line.
fn load_error(name: &str) -> String {
    let path = fixture(name);
    match load(Some(&path)) {
        Ok(_) => panic!("{} loaded, but it holds a mistake", path.display()),
        Err(err) => err.to_string(),
    }
}

/// Asserts the message starts with `<path>:<line>:<column>: <key>: ` and contains `says`.
fn assert_reported(name: &str, line: usize, column: usize, key: &str, says: &str) {
    let message = load_error(name);
    let prefix = format!("{}:{line}:{column}: {key}: ", fixture(name).display());
    assert!(message.starts_with(&prefix), "expected the prefix\n  {prefix}\ngot\n  {message}");
    assert!(message.contains(says), "expected {says:?} in\n  {message}");
    assert!(!message.contains('\n'), "one line, got\n{message}");
}

#[test]
fn example_config_loads_and_documents_the_defaults() -> Result<(), Box<dyn std::error::Error>> {
    let path = repo_file("config.example.yaml");
    let loaded = load(Some(&path))?;
    assert_eq!(loaded.source, ConfigSource::File(path.clone()));

    // The example's values are the built-in defaults (its comments say so), except that it
    // shows how to name the Grafana token's source. Parsed without the environment's
    // PLATDECK_* overrides.
    let mut config = parse_str(&std::fs::read_to_string(&path)?, &path)?;
    assert_eq!(config.grafana.token, Some(Secret::Env("GRAFANA_TOKEN".into())));
    assert_eq!(config.github.org, "darede-labs");
    assert!(config.github.enable_oidc);
    assert!(config.ecr.repositories.is_empty());
    config.grafana.token = None;
    assert_eq!(config, Config::default());
    Ok(())
}

#[test]
fn example_config_round_trips() -> Result<(), Box<dyn std::error::Error>> {
    let path = repo_file("config.example.yaml");
    let config = parse_str(&std::fs::read_to_string(&path)?, &path)?;
    let yaml = config.to_yaml()?;
    assert_eq!(parse_str(&yaml, &path)?, config);
    Ok(())
}

/// Every mapping key of a fully populated config, as its last path segment.
fn key_names(value: &serde_json::Value, into: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                into.insert(key.clone());
                key_names(child, into);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| key_names(item, into)),
        _ => {}
    }
}

#[test]
fn example_config_mentions_every_key() -> Result<(), Box<dyn std::error::Error>> {
    let mut full = Config::default();
    full.cluster.context = Some("dev".into());
    full.cluster.kubeconfig = Some("/kube".into());
    full.ecr.account_id = Some("123456789012".into());
    full.ecr.endpoint_url = Some("http://127.0.0.1:4510".into());
    full.ecr.kms_key = Some("alias/ecr".into());
    full.ecr.lifecycle_policy.rules[0].tag_prefix_list = vec!["v".into()];
    full.loki.url = Some("http://loki:3100".into());
    full.loki.tenant = Some("platform".into());
    full.loki.auth = LokiAuth::Basic { username: "loki".into(), password: Secret::Env("P".into()) };
    full.prometheus.url = Some("http://prometheus:9090".into());
    full.grafana.url = Some("http://grafana:3000".into());
    full.grafana.token = Some(Secret::Env("T".into()));
    full.gitops.repo = Some("https://example.com/gitops.git".into());
    full.terraform.dir = Some("/tf".into());
    full.services = vec![platdeck_console::config::ServiceEntry {
        name: "api".into(),
        namespace: "payments".into(),
        argocd_app: Some("payments-api".into()),
    }];
    full.audit_log = Some("/audit.jsonl".into());
    full.theme.no_color = Some(true);

    let mut keys = BTreeSet::new();
    key_names(&serde_json::to_value(&full)?, &mut keys);
    // Secret sources and auth kinds are documented in the comments' examples.
    for extra in ["bearer", "token", "value", "file", "env"] {
        keys.insert(extra.to_owned());
    }
    let example = std::fs::read_to_string(repo_file("config.example.yaml"))?;
    let missing: Vec<_> = keys.iter().filter(|key| !example.contains(&format!("{key}:"))).collect();
    assert!(missing.is_empty(), "config.example.yaml does not document {missing:?}");
    Ok(())
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let message = load_error("syntax_error.yaml");
    let prefix = format!("{}:4:14: ", fixture("syntax_error.yaml").display());
    assert!(message.starts_with(&prefix), "{message}");
    assert!(message.contains("mapping values are not allowed"), "{message}");
}

#[test]
fn wrong_type_names_the_key() {
    assert_reported(
        "wrong_type.yaml",
        12,
        17,
        "ecr.scan_on_push",
        "invalid type: string \"yes please\", expected a boolean",
    );
}

#[test]
fn unknown_key_names_the_key() {
    assert_reported("unknown_key.yaml", 4, 3, "cluster.namspaces", "unknown field `namspaces`");
}

#[test]
fn bad_enum_value_lists_the_choices() {
    assert_reported(
        "bad_enum.yaml",
        4,
        15,
        "ecr.encryption",
        "unknown variant `AES`, expected `AES256` or `KMS`",
    );
}

#[test]
fn bad_lifecycle_policy_names_the_rule() {
    assert_reported(
        "bad_lifecycle.yaml",
        10,
        24,
        "ecr.lifecycle_policy.rules[1].rule_priority",
        "already used by rules[0]",
    );
}

#[test]
fn bad_url_names_the_key() {
    assert_reported("bad_url.yaml", 4, 8, "loki.url", "is not an http(s) URL");
}

#[test]
fn bad_key_spec_names_the_binding() {
    assert_reported("bad_keyspec.yaml", 4, 17, "keymap.refresh[1]", "unknown key `refresh`");
}

#[test]
fn bad_colour_names_the_slot() {
    assert_reported("bad_colour.yaml", 5, 10, "theme.error", "unknown colour `purpel`");
}

#[test]
fn plain_secret_is_rejected_without_echoing_it() {
    assert_reported("plain_secret.yaml", 4, 10, "grafana.token", "not as a plain value");
    assert!(!load_error("plain_secret.yaml").contains("glsa_do_not_print_me"));
}

#[test]
fn missing_file_is_named() {
    let path = fixture("does-not-exist.yaml");
    let message = load(Some(&path)).err().map(|e| e.to_string());
    assert_eq!(message, Some(format!("{}: config file not found", path.display())));
}

#[test]
fn debug_of_a_loaded_config_hides_secrets() -> Result<(), ConfigError> {
    let text = "\
grafana:
  token: {value: glsa_inline_secret_value}
loki:
  auth:
    basic:
      username: loki
      password: {value: inline-loki-password}
";
    let config = parse_str(text, Path::new("inline.yaml"))?;
    let debug = format!("{config:?} {config:#?}");
    assert!(!debug.contains("glsa_inline_secret_value"), "{debug}");
    assert!(!debug.contains("inline-loki-password"), "{debug}");
    assert!(debug.contains("[redacted]"));
    // The simulator relies on an inline token surviving a write and a load.
    let yaml = config.to_yaml()?;
    assert!(yaml.contains("glsa_inline_secret_value"));
    assert_eq!(parse_str(&yaml, Path::new("inline.yaml"))?, config);
    Ok(())
}

#[test]
fn load_order_explicit_then_xdg_then_defaults() -> Result<(), Box<dyn std::error::Error>> {
    // The default location is a parameter here, so no environment variable is changed.
    let xdg = tempfile::tempdir()?;
    let default_path = xdg.path().join("platdeck/config.yaml");

    let loaded = load_from(None, Some(&default_path))?;
    assert_eq!(loaded.source, ConfigSource::Defaults);

    std::fs::create_dir_all(xdg.path().join("platdeck"))?;
    std::fs::write(&default_path, "argocd:\n  namespace: gitops\n")?;
    let loaded = load_from(None, Some(&default_path))?;
    assert_eq!(loaded.source, ConfigSource::File(default_path.clone()));
    assert_eq!(loaded.config.argocd.namespace, "gitops");

    let explicit = xdg.path().join("other.yaml");
    std::fs::write(&explicit, "argocd:\n  namespace: argo\n")?;
    let loaded = load_from(Some(&explicit), Some(&default_path))?;
    assert_eq!(loaded.source, ConfigSource::File(explicit));
    assert_eq!(loaded.config.argocd.namespace, "argo");

    let missing = xdg.path().join("missing.yaml");
    assert!(matches!(
        load_from(Some(&missing), Some(&default_path)),
        Err(ConfigError::NotFound { path }) if path == missing
    ));
    Ok(())
}

#[test]
fn written_config_loads_back() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sim/config.yaml");
    let mut config = Config::default();
    config.loki.url = Some("http://127.0.0.1:3100".into());
    config.prometheus.url = Some("http://127.0.0.1:9090".into());
    config.grafana.url = Some("http://127.0.0.1:3000".into());
    config.grafana.token = Some(Secret::Value("sim-throwaway-token".into()));
    config.ecr.endpoint_url = Some("http://127.0.0.1:4510".into());
    config.write(&path)?;
    let loaded = load_from(Some(&path), None)?;
    assert_eq!(loaded.config.loki.url, config.loki.url);
    assert_eq!(loaded.config.ecr.endpoint_url, config.ecr.endpoint_url);
    assert_eq!(loaded.config.ecr.lifecycle_policy_json(), Config::default().ecr.lifecycle_policy_json());
    Ok(())
}
