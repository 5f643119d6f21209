//! Semantic checks that types alone cannot express (names Kubernetes or ECR would refuse,
//! cross-field rules, the lifecycle policy). Run on every parsed file and available for
//! configs built in code via [`Config::validate`].

use super::ecr::{Encryption, check_region, check_repository_name};
use super::error::ConfigError;
use super::http_url::check_http_url;
use super::key_path::KeyPath;
use super::keymap::check_action_name;
use super::loki::LokiAuth;
use super::model::Config;
use super::theme::check_slot_name;

/// One broken rule: the key it is about and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub path: KeyPath,
    pub message: String,
}

type Check = Result<(), Problem>;

fn fail(path: KeyPath, message: impl Into<String>) -> Check {
    Err(Problem { path, message: message.into() })
}

fn key(dotted: &[&str]) -> KeyPath {
    dotted.iter().fold(KeyPath::root(), |path, k| path.key(k))
}

fn at(path: KeyPath, result: Result<(), String>) -> Check {
    result.map_err(|message| Problem { path, message })
}

/// A Kubernetes namespace name (RFC 1123 label).
fn check_dns_label(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let valid = (1..=63).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid Kubernetes name (lowercase letters, digits and `-`, \
             at most 63 characters, starting and ending with a letter or digit)"
        ))
    }
}

/// A bare domain such as `example.com` — no scheme, no path.
fn check_domain(domain: &str) -> Result<(), String> {
    if domain.contains("://") || domain.contains('/') {
        return Err(format!("`{domain}` should be a bare domain such as example.com (no scheme or path)"));
    }
    let valid = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if valid { Ok(()) } else { Err(format!("`{domain}` is not a valid domain name")) }
}

fn non_empty(path: KeyPath, value: &str) -> Check {
    if value.trim().is_empty() {
        return fail(path, "must not be empty");
    }
    Ok(())
}

fn check_cluster(config: &Config) -> Check {
    let cluster = &config.cluster;
    if let Some(context) = &cluster.context {
        non_empty(key(&["cluster", "context"]), context)?;
    }
    for (i, namespace) in cluster.namespaces.iter().enumerate() {
        let path = key(&["cluster", "namespaces"]).index(i);
        at(path.clone(), check_dns_label(namespace))?;
        if cluster.namespaces[..i].contains(namespace) {
            return fail(path, format!("namespace `{namespace}` is listed twice"));
        }
    }
    for (i, pattern) in cluster.readonly_contexts.iter().enumerate() {
        non_empty(key(&["cluster", "readonly_contexts"]).index(i), pattern)?;
    }
    Ok(())
}

fn check_base_domain(config: &Config) -> Check {
    at(key(&["base_domain"]), check_domain(&config.base_domain))
}

fn check_github(config: &Config) -> Check {
    let org = &config.github.org;
    let valid = !org.is_empty()
        && org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !org.starts_with('-');
    if !valid {
        return fail(
            key(&["github", "org"]),
            format!("`{org}` is not a GitHub organisation name (letters, digits and `-`)"),
        );
    }
    Ok(())
}

fn check_ecr(config: &Config) -> Check {
    let ecr = &config.ecr;
    at(key(&["ecr", "region"]), check_region(&ecr.region))?;
    if let Some(account) = &ecr.account_id
        && (account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()))
    {
        return fail(key(&["ecr", "account_id"]), format!("`{account}` is not a 12-digit AWS account id"));
    }
    if let Some(url) = &ecr.endpoint_url {
        at(key(&["ecr", "endpoint_url"]), check_http_url(url))?;
    }
    for (i, name) in ecr.repositories.iter().enumerate() {
        let path = key(&["ecr", "repositories"]).index(i);
        at(path.clone(), check_repository_name(name))?;
        if ecr.repositories[..i].contains(name) {
            return fail(path, format!("repository `{name}` is listed twice"));
        }
    }
    if let Some(kms_key) = &ecr.kms_key {
        non_empty(key(&["ecr", "kms_key"]), kms_key)?;
        if ecr.encryption != Encryption::Kms {
            return fail(key(&["ecr", "kms_key"]), "kms_key is only used with `encryption: KMS`");
        }
    }
    ecr.lifecycle_policy
        .check()
        .map_err(|(path, message)| Problem { path: key(&["ecr", "lifecycle_policy"]).join(&path), message })
}

fn check_endpoints(config: &Config) -> Check {
    let loki = &config.loki;
    for (path, url) in [
        (key(&["loki", "url"]), &loki.url),
        (key(&["prometheus", "url"]), &config.prometheus.url),
        (key(&["grafana", "url"]), &config.grafana.url),
    ] {
        if let Some(url) = url {
            at(path, check_http_url(url))?;
        }
    }
    if let Some(tenant) = &loki.tenant {
        non_empty(key(&["loki", "tenant"]), tenant)?;
    }
    if let LokiAuth::Basic { username, .. } = &loki.auth {
        non_empty(key(&["loki", "auth", "basic", "username"]), username)?;
    }
    if !loki.query_template.contains("<app>") {
        return fail(
            key(&["loki", "query_template"]),
            "the template needs the `<app>` placeholder (and usually `<ns>`)",
        );
    }
    Ok(())
}

fn check_gitops(config: &Config) -> Check {
    let gitops = &config.gitops;
    if let Some(repo) = &gitops.repo {
        non_empty(key(&["gitops", "repo"]), repo)?;
    }
    let path = &gitops.path;
    if path.starts_with('/') || path.split('/').any(|part| part == "..") {
        return fail(
            key(&["gitops", "path"]),
            format!("`{path}` must be a path inside the repository (relative, no `..`)"),
        );
    }
    let branch = &gitops.branch;
    if branch.is_empty() || branch.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail(key(&["gitops", "branch"]), format!("`{branch}` is not a branch name"));
    }
    Ok(())
}

fn check_services(config: &Config) -> Check {
    for (i, service) in config.services.iter().enumerate() {
        let entry = KeyPath::root().key("services").index(i);
        at(entry.clone().key("name"), check_dns_label(&service.name))?;
        at(entry.clone().key("namespace"), check_dns_label(&service.namespace))?;
        if let Some(app) = &service.argocd_app {
            non_empty(entry.clone().key("argocd_app"), app)?;
        }
        let duplicate =
            config.services[..i].iter().any(|s| s.name == service.name && s.namespace == service.namespace);
        if duplicate {
            return fail(
                entry.key("name"),
                format!("service `{}/{}` is listed twice", service.namespace, service.name),
            );
        }
    }
    Ok(())
}

fn check_ui(config: &Config) -> Check {
    for action in config.keymap.keys() {
        at(key(&["keymap", action]), check_action_name(action))?;
    }
    for slot in config.theme.styles.keys() {
        at(key(&["theme", slot]), check_slot_name(slot))?;
    }
    Ok(())
}

/// The first broken rule, in document order of the sections.
pub(crate) fn first_problem(config: &Config) -> Option<Problem> {
    let checks: [fn(&Config) -> Check; 8] = [
        check_cluster,
        check_base_domain,
        check_github,
        check_ecr,
        check_endpoints,
        check_gitops,
        check_services,
        check_ui,
    ];
    checks.iter().find_map(|check| check(config).err())
}

impl Config {
    /// Checks the rules a parsed file is held to, for configs built in code (the simulator's,
    /// tests'). The error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match first_problem(self) {
            None => Ok(()),
            Some(problem) => Err(ConfigError::Invalid {
                location: None,
                key: problem.path.to_string(),
                message: problem.message,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::ServiceEntry;

    fn problem_key(config: &Config) -> String {
        first_problem(config).map(|p| p.path.to_string()).unwrap_or_default()
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(first_problem(&Config::default()), None);
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn names_the_offending_key() {
        let mut config = Config::default();
        config.cluster.namespaces.push("Bad_NS".into());
        assert_eq!(problem_key(&config), "cluster.namespaces[1]");

        let config = Config { base_domain: "https://example.com".into(), ..Config::default() };
        assert_eq!(problem_key(&config), "base_domain");

        let mut config = Config::default();
        config.ecr.kms_key = Some("alias/ecr".into());
        assert_eq!(problem_key(&config), "ecr.kms_key");
        config.ecr.encryption = Encryption::Kms;
        assert_eq!(problem_key(&config), "");

        let mut config = Config::default();
        config.ecr.account_id = Some("12345".into());
        assert_eq!(problem_key(&config), "ecr.account_id");

        let mut config = Config::default();
        config.ecr.lifecycle_policy.rules[1].rule_priority = 1;
        assert_eq!(problem_key(&config), "ecr.lifecycle_policy.rules[1].rule_priority");

        let mut config = Config::default();
        config.loki.url = Some("loki:3100".into());
        assert_eq!(problem_key(&config), "loki.url");

        let mut config = Config::default();
        config.loki.query_template = "{namespace=\"<ns>\"}".into();
        assert_eq!(problem_key(&config), "loki.query_template");

        let mut config = Config::default();
        config.gitops.path = "../elsewhere".into();
        assert_eq!(problem_key(&config), "gitops.path");
    }

    #[test]
    fn rejects_duplicate_services() {
        let mut config = Config::default();
        let service = ServiceEntry { name: "api".into(), namespace: "payments".into(), argocd_app: None };
        config.services = vec![service.clone(), service];
        assert_eq!(problem_key(&config), "services[1].name");
        let message = config.validate().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.starts_with("services[1].name: service `payments/api` is listed twice"));
    }
}
