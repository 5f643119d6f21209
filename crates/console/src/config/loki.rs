//! The `loki` section: where logs are queried, as which tenant, with which credentials, and
//! the LogQL selector used for one service.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::http_url;
use super::secret::Secret;

/// The seed's deep-link selector; `<ns>` and `<app>` are replaced per service.
pub const DEFAULT_QUERY_TEMPLATE: &str = r#"{namespace="<ns>", app_kubernetes_io_name="<app>"}"#;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LokiConfig {
    /// Loki's base URL (`None` = not configured: log panels say so).
    #[serde(
        deserialize_with = "http_url::deserialize_opt",
        serialize_with = "http_url::serialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<String>,
    /// Multi-tenant Loki: sent as `X-Scope-OrgID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub auth: LokiAuth,
    /// LogQL stream selector for one service, with `<ns>` and `<app>` placeholders.
    pub query_template: String,
}

impl Default for LokiConfig {
    fn default() -> Self {
        Self { url: None, tenant: None, auth: LokiAuth::None, query_template: DEFAULT_QUERY_TEMPLATE.into() }
    }
}

impl LokiConfig {
    /// The selector for one service, values escaped as LogQL string literals.
    pub fn query_for(&self, namespace: &str, app: &str) -> String {
        self.query_template.replace("<ns>", &escape_logql(namespace)).replace("<app>", &escape_logql(app))
    }
}

fn escape_logql(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// How platdeck authenticates to Loki.
///
/// ```yaml
/// auth: none
/// auth: {basic: {username: loki, password: {env: LOKI_PASSWORD}}}
/// auth: {bearer: {token: {file: /run/secrets/loki-token}}}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LokiAuth {
    #[default]
    None,
    Basic {
        username: String,
        password: Secret,
    },
    Bearer {
        token: Secret,
    },
}

const AUTH_KINDS: &[&str] = &["none", "basic", "bearer"];

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicFields {
    username: String,
    password: Secret,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BearerFields {
    token: Secret,
}

impl Serialize for LokiAuth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LokiAuth::None => serializer.serialize_str("none"),
            LokiAuth::Basic { username, password } => {
                let mut map = serializer.serialize_map(Some(1))?;
                let fields = BasicFields { username: username.clone(), password: password.clone() };
                map.serialize_entry("basic", &fields)?;
                map.end()
            }
            LokiAuth::Bearer { token } => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("bearer", &BearerFields { token: token.clone() })?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for LokiAuth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // By hand: serde's derived enums want YAML tags (`!basic`) from serde_norway, and a
        // single-key mapping reads better in a config file.
        deserializer.deserialize_any(AuthVisitor)
    }
}

struct AuthVisitor;

impl<'de> Visitor<'de> for AuthVisitor {
    type Value = LokiAuth;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`none`, {basic: {username, password}} or {bearer: {token}}")
    }

    fn visit_unit<E: de::Error>(self) -> Result<LokiAuth, E> {
        Ok(LokiAuth::None)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<LokiAuth, E> {
        match value {
            "none" => Ok(LokiAuth::None),
            "basic" => {
                Err(E::custom("basic auth needs credentials: {basic: {username: ..., password: {env: VAR}}}"))
            }
            "bearer" => Err(E::custom("bearer auth needs a token: {bearer: {token: {env: VAR}}}")),
            other => Err(E::unknown_variant(other, AUTH_KINDS)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LokiAuth, A::Error> {
        let Some(kind) = map.next_key::<String>()? else {
            return Ok(LokiAuth::None);
        };
        let auth = match kind.as_str() {
            "none" => {
                map.next_value::<IgnoredAny>()?;
                LokiAuth::None
            }
            "basic" => {
                let fields: BasicFields = map.next_value()?;
                LokiAuth::Basic { username: fields.username, password: fields.password }
            }
            "bearer" => LokiAuth::Bearer { token: map.next_value::<BearerFields>()?.token },
            other => return Err(de::Error::unknown_variant(other, AUTH_KINDS)),
        };
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("auth takes exactly one of `none`, `basic` or `bearer`"));
        }
        Ok(auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<LokiAuth, serde_norway::Error> {
        serde_norway::from_str(yaml)
    }

    #[test]
    fn parses_every_auth_kind() -> Result<(), serde_norway::Error> {
        assert_eq!(parse("none")?, LokiAuth::None);
        assert_eq!(
            parse("basic: {username: loki, password: {env: LOKI_PASSWORD}}")?,
            LokiAuth::Basic { username: "loki".into(), password: Secret::Env("LOKI_PASSWORD".into()) }
        );
        assert_eq!(
            parse("bearer:\n  token: {file: /run/token}\n")?,
            LokiAuth::Bearer { token: Secret::File("/run/token".into()) }
        );
        Ok(())
    }

    #[test]
    fn rejects_mistakes() {
        for yaml in [
            "basic",
            "oauth",
            "basic: {username: loki}",
            "basic: {username: loki, password: {env: X}, extra: 1}",
            "{basic: {username: a, password: {env: X}}, bearer: {token: {env: Y}}}",
        ] {
            assert!(parse(yaml).is_err(), "{yaml}");
        }
    }

    #[test]
    fn round_trips() -> Result<(), serde_norway::Error> {
        for auth in [
            LokiAuth::None,
            LokiAuth::Basic { username: "u".into(), password: Secret::Value("p".into()) },
            LokiAuth::Bearer { token: Secret::Env("T".into()) },
        ] {
            assert_eq!(parse(&serde_norway::to_string(&auth)?)?, auth);
        }
        Ok(())
    }

    #[test]
    fn query_for_fills_and_escapes() {
        let loki = LokiConfig::default();
        assert_eq!(
            loki.query_for("payments", "api"),
            r#"{namespace="payments", app_kubernetes_io_name="api"}"#
        );
        assert_eq!(loki.query_for("a\"b", "c"), r#"{namespace="a\"b", app_kubernetes_io_name="c"}"#);
    }
}
