//! Environment variables that override secrets from the file, so a token can come from a CI
//! secret or a password manager without editing the config:
//!
//! | variable | effect |
//! |---|---|
//! | `PLATDECK_GRAFANA_TOKEN` | `grafana.token` |
//! | `PLATDECK_LOKI_TOKEN` | Loki uses bearer auth with this token (wins over `loki.auth`) |
//! | `PLATDECK_LOKI_PASSWORD` | the password of `loki.auth.basic` (needs basic auth's username) |
//!
//! The override turns the secret into an `{env: VAR}` reference; the value itself is read
//! only when the secret is resolved.

use super::loki::LokiAuth;
use super::model::Config;
use super::secret::{ENV_GRAFANA_TOKEN, ENV_LOKI_PASSWORD, ENV_LOKI_TOKEN, Secret};

/// Applies the overrides whose variable `is_set` (non-empty) in the environment.
pub(crate) fn apply_secret_overrides(config: &mut Config, is_set: &dyn Fn(&str) -> bool) {
    if is_set(ENV_GRAFANA_TOKEN) {
        config.grafana.token = Some(Secret::Env(ENV_GRAFANA_TOKEN.into()));
    }
    if is_set(ENV_LOKI_TOKEN) {
        config.loki.auth = LokiAuth::Bearer { token: Secret::Env(ENV_LOKI_TOKEN.into()) };
    } else if is_set(ENV_LOKI_PASSWORD) {
        match &mut config.loki.auth {
            LokiAuth::Basic { password, .. } => *password = Secret::Env(ENV_LOKI_PASSWORD.into()),
            _ => tracing::warn!(
                "{ENV_LOKI_PASSWORD} is set but loki.auth is not basic auth \
                 (a username is needed); ignoring it"
            ),
        }
    }
}

/// Whether an environment variable is set to something non-empty.
pub(crate) fn env_is_set(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(vars: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |var| vars.contains(&var)
    }

    #[test]
    fn grafana_token_override_wins_over_the_file() {
        let mut config = Config::default();
        config.grafana.token = Some(Secret::File("/from/file".into()));
        apply_secret_overrides(&mut config, &only(&[ENV_GRAFANA_TOKEN]));
        assert_eq!(config.grafana.token, Some(Secret::Env(ENV_GRAFANA_TOKEN.into())));
    }

    #[test]
    fn loki_token_override_switches_to_bearer() {
        let mut config = Config::default();
        apply_secret_overrides(&mut config, &only(&[ENV_LOKI_TOKEN, ENV_LOKI_PASSWORD]));
        assert_eq!(config.loki.auth, LokiAuth::Bearer { token: Secret::Env(ENV_LOKI_TOKEN.into()) });
    }

    #[test]
    fn loki_password_override_needs_basic_auth() {
        let mut config = Config::default();
        apply_secret_overrides(&mut config, &only(&[ENV_LOKI_PASSWORD]));
        assert_eq!(config.loki.auth, LokiAuth::None);

        config.loki.auth =
            LokiAuth::Basic { username: "loki".into(), password: Secret::Value("from-file".into()) };
        apply_secret_overrides(&mut config, &only(&[ENV_LOKI_PASSWORD]));
        assert_eq!(
            config.loki.auth,
            LokiAuth::Basic { username: "loki".into(), password: Secret::Env(ENV_LOKI_PASSWORD.into()) }
        );
    }

    #[test]
    fn nothing_set_changes_nothing() {
        let mut config = Config::default();
        apply_secret_overrides(&mut config, &only(&[]));
        assert_eq!(config, Config::default());
    }
}
