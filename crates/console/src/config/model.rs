//! The configuration model: every key of `config.yaml`, with built-in defaults taken from the
//! seed platform. Unknown keys are errors (`deny_unknown_fields`), so a typo is reported with
//! its key path instead of being silently ignored. `config.example.yaml` documents each key.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ecr::EcrConfig;
use super::http_url;
use super::keymap::{self, Keymap};
use super::loki::LokiConfig;
use super::paths;
use super::secret::Secret;
use super::theme::Theme;
use platdeck_core::glob::{Wildcards, glob_match};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub cluster: ClusterConfig,
    /// The platform's base domain: Grafana lives at `https://grafana.<base_domain>`.
    pub base_domain: String,
    pub github: GithubConfig,
    pub ecr: EcrConfig,
    pub argocd: ArgocdConfig,
    pub loki: LokiConfig,
    pub prometheus: PrometheusConfig,
    pub grafana: GrafanaConfig,
    pub gitops: GitopsConfig,
    pub terraform: TerraformConfig,
    /// Services declared explicitly, in addition to those discovered by their labels.
    pub services: Vec<ServiceEntry>,
    /// Where mutations are recorded (JSON lines); see [`Config::audit_log_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<PathBuf>,
    /// Action → keys, merged over the embedded default keymap by the TUI.
    #[serde(deserialize_with = "keymap::deserialize")]
    pub keymap: Keymap,
    pub theme: Theme,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// Kubeconfig context; `None` = the kubeconfig's current context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Kubeconfig file; `None` = `$KUBECONFIG`, else `~/.kube/config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespaces that hold the platform's services.
    pub namespaces: Vec<String>,
    /// Context name patterns (`*` globs) where every mutation is refused, as with `--readonly`.
    pub readonly_contexts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubConfig {
    pub org: String,
    /// CI authenticates to AWS through GitHub's OIDC provider (no static credentials).
    pub enable_oidc: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArgocdConfig {
    /// Namespace of Argo CD and its `Application` objects.
    pub namespace: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusConfig {
    #[serde(
        deserialize_with = "http_url::deserialize_opt",
        serialize_with = "http_url::serialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrafanaConfig {
    /// `None` = `https://grafana.<base_domain>` (see [`Config::grafana_url`]).
    #[serde(
        deserialize_with = "http_url::deserialize_opt",
        serialize_with = "http_url::serialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<String>,
    /// Service-account token, sent as `Authorization: Bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    /// The uid of Grafana's Loki datasource, for Explore links (`None` = `loki`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loki_datasource: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitopsConfig {
    /// The GitOps repository: a clone URL or a local checkout's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Directory inside the repository holding one directory per service.
    pub path: String,
    pub branch: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerraformConfig {
    /// Directory of the platform's Terraform (for its outputs); `None` = not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

/// A service declared in the config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEntry {
    pub name: String,
    pub namespace: String,
    /// The Argo CD application deploying it; `None` = the service's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd_app: Option<String>,
}

impl ServiceEntry {
    /// The Argo CD application name, defaulting to the service name.
    pub fn argocd_app_name(&self) -> &str {
        self.argocd_app.as_deref().unwrap_or(&self.name)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            cluster: ClusterConfig::default(),
            base_domain: "example.com".into(),
            github: GithubConfig::default(),
            ecr: EcrConfig::default(),
            argocd: ArgocdConfig::default(),
            loki: LokiConfig::default(),
            prometheus: PrometheusConfig::default(),
            grafana: GrafanaConfig::default(),
            gitops: GitopsConfig::default(),
            terraform: TerraformConfig::default(),
            services: Vec::new(),
            audit_log: None,
            keymap: Keymap::new(),
            theme: Theme::default(),
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            context: None,
            kubeconfig: None,
            namespaces: vec!["platform-services".into()],
            readonly_contexts: Vec::new(),
        }
    }
}

impl Default for GithubConfig {
    fn default() -> Self {
        Self { org: "darede-labs".into(), enable_oidc: true }
    }
}

impl Default for ArgocdConfig {
    fn default() -> Self {
        Self { namespace: "argocd".into() }
    }
}

impl Default for GitopsConfig {
    fn default() -> Self {
        Self { repo: None, path: "apps".into(), branch: "main".into() }
    }
}

impl Config {
    /// Whether `context` matches one of `cluster.readonly_contexts` (`*` globs), in which case
    /// every mutation is refused as with `--readonly`.
    pub fn is_readonly_context(&self, context: &str) -> bool {
        self.cluster.readonly_contexts.iter().any(|pattern| glob_match(pattern, context, Wildcards::Star))
    }

    /// The audit log: `audit_log` if set, else `$XDG_STATE_HOME/platdeck/audit.jsonl`
    /// (`~/.local/state/platdeck/audit.jsonl`), else — no home directory at all — a file in
    /// the temporary directory, so mutations are still recorded somewhere.
    pub fn audit_log_path(&self) -> PathBuf {
        self.audit_log
            .clone()
            .or_else(paths::default_audit_log)
            .unwrap_or_else(|| std::env::temp_dir().join("platdeck-audit.jsonl"))
    }

    /// The uid of Grafana's Loki datasource for Explore links: `grafana.loki_datasource`, else `loki`.
    pub fn grafana_loki_datasource(&self) -> String {
        self.grafana.loki_datasource.clone().unwrap_or_else(|| "loki".to_owned())
    }

    /// Grafana's base URL: `grafana.url`, else `https://grafana.<base_domain>` as in the seed.
    pub fn grafana_url(&self) -> String {
        match &self.grafana.url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("https://grafana.{}", self.base_domain),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::loki::LokiAuth;

    #[test]
    fn defaults_follow_the_seed() {
        let config = Config::default();
        assert_eq!(config.cluster.namespaces, vec!["platform-services".to_string()]);
        assert_eq!(config.base_domain, "example.com");
        assert_eq!(config.github.org, "darede-labs");
        assert!(config.github.enable_oidc);
        assert_eq!(config.argocd.namespace, "argocd");
        assert_eq!(config.gitops.path, "apps");
        assert_eq!(config.gitops.branch, "main");
        assert_eq!(config.loki.auth, LokiAuth::None);
        assert_eq!(config.grafana_url(), "https://grafana.example.com");
    }

    #[test]
    fn readonly_contexts_are_globs() {
        let mut config = Config::default();
        assert!(!config.is_readonly_context("prod-eu"));
        config.cluster.readonly_contexts = vec!["prod-*".into(), "*-production".into()];
        assert!(config.is_readonly_context("prod-eu"));
        assert!(config.is_readonly_context("eks-production"));
        assert!(!config.is_readonly_context("staging"));
        assert!(!config.is_readonly_context("preprod-eu"));
    }

    #[test]
    fn argocd_app_defaults_to_the_service_name() {
        let mut service = ServiceEntry { name: "api".into(), namespace: "payments".into(), argocd_app: None };
        assert_eq!(service.argocd_app_name(), "api");
        service.argocd_app = Some("payments-api".into());
        assert_eq!(service.argocd_app_name(), "payments-api");
    }

    #[test]
    fn audit_log_path_prefers_the_configured_file() {
        let mut config =
            Config { audit_log: Some(PathBuf::from("/var/log/platdeck.jsonl")), ..Config::default() };
        assert_eq!(config.audit_log_path(), PathBuf::from("/var/log/platdeck.jsonl"));
        config.audit_log = None;
        assert!(
            config.audit_log_path().ends_with("audit.jsonl")
                || config.audit_log_path().ends_with("platdeck-audit.jsonl")
        );
    }

    #[test]
    fn debug_never_shows_secret_values() {
        let mut config = Config::default();
        config.grafana.token = Some(Secret::Value("glsa_topsecret_grafana".into()));
        config.loki.auth =
            LokiAuth::Basic { username: "loki".into(), password: Secret::Value("topsecret-password".into()) };
        let debug = format!("{config:?}");
        let pretty = format!("{config:#?}");
        for shown in [&debug, &pretty] {
            assert!(!shown.contains("topsecret"), "{shown}");
            assert!(shown.contains("[redacted]"));
        }
        config.loki.auth = LokiAuth::Bearer { token: Secret::Value("topsecret-token".into()) };
        assert!(!format!("{config:?}").contains("topsecret"));
    }
}
