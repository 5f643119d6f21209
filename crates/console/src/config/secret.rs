//! A secret (token, password) named in the config by its source, never printed.
//!
//! In YAML a secret is one of:
//! - `{env: GRAFANA_TOKEN}`: read from an environment variable when needed;
//! - `{file: ~/.config/platdeck/grafana-token}`: read from a file (trailing newline dropped;
//!   a relative path is relative to the config file's directory);
//! - `{value: "glsa_..."}`: inline. Discouraged; it exists because `platdeck sim` writes its
//!   own throwaway token into the config it generates.
//!
//! `Debug` and `Display` print `[redacted]`, and deserialisation errors never echo the value.

use std::fmt;
use std::path::PathBuf;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::ConfigError;

/// Overrides `grafana.token`, whatever the file says.
pub const ENV_GRAFANA_TOKEN: &str = "PLATDECK_GRAFANA_TOKEN";
/// Overrides the password of `loki.auth.basic` (ignored unless Loki uses basic auth).
pub const ENV_LOKI_PASSWORD: &str = "PLATDECK_LOKI_PASSWORD";
/// Makes Loki use bearer auth with this token, whatever `loki.auth` says.
pub const ENV_LOKI_TOKEN: &str = "PLATDECK_LOKI_TOKEN";

const REDACTED: &str = "[redacted]";
const SOURCES: &[&str] = &["value", "env", "file"];

/// Where a secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// Inline in the config file.
    Value(String),
    /// The named environment variable.
    Env(String),
    /// The content of a file.
    File(PathBuf),
}

impl Secret {
    /// Reads the secret. `Ok(None)` when the source is empty or the environment variable is
    /// unset: the caller then talks to the service without that credential.
    pub fn resolve(&self) -> Result<Option<String>, ConfigError> {
        let text = match self {
            Secret::Value(value) => value.clone(),
            Secret::Env(var) => match std::env::var(var) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => return Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(ConfigError::Secret {
                        source_description: self.describe(),
                        message: "the value is not valid UTF-8".into(),
                    });
                }
            },
            Secret::File(path) => {
                std::fs::read_to_string(path).map_err(|err| ConfigError::Secret {
                    source_description: self.describe(),
                    // The io error names the failure (not found, permission), never the content.
                    message: err.to_string(),
                })?
            }
        };
        // `echo token > file` leaves a newline that would corrupt an Authorization header.
        let trimmed = text.trim_end_matches(['\n', '\r']);
        Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
    }

    /// Where the secret comes from, for messages: safe to show, never the value itself.
    pub fn describe(&self) -> String {
        match self {
            Secret::Value(_) => "an inline value".into(),
            Secret::Env(var) => format!("environment variable {var}"),
            Secret::File(path) => format!("file {}", path.display()),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Written back as its source, so a config round-trips without resolving anything.
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Secret::Value(value) => map.serialize_entry("value", value)?,
            Secret::Env(var) => map.serialize_entry("env", var)?,
            Secret::File(path) => map.serialize_entry("file", path)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

/// A scalar where a source mapping was expected is most likely the secret itself: reject it
/// without quoting it (serde's own "invalid type" message would).
fn plain_scalar<E: de::Error>() -> E {
    E::custom(
        "a secret is given as {env: VAR}, {file: PATH} or {value: ...}, \
         not as a plain value (value not shown)",
    )
}

struct SecretVisitor;

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a secret source: {env: VAR}, {file: PATH} or {value: ...}")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Secret, E> {
        Err(plain_scalar())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(plain_scalar())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(plain_scalar())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(plain_scalar())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Secret, E> {
        Err(plain_scalar())
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Secret, E> {
        Err(plain_scalar())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(plain_scalar())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Secret, A::Error> {
        let mut found: Option<Secret> = None;
        while let Some(key) = map.next_key::<String>()? {
            let secret = match key.as_str() {
                "value" => Secret::Value(map.next_value::<SecretText>()?.0),
                "env" => {
                    let var: String = map.next_value()?;
                    if var.is_empty() || var.contains(['=', '\0']) {
                        return Err(de::Error::custom(format!(
                            "`{var}` is not a valid environment variable name"
                        )));
                    }
                    Secret::Env(var)
                }
                "file" => {
                    let path: PathBuf = map.next_value()?;
                    if path.as_os_str().is_empty() {
                        return Err(de::Error::custom("the secret file path is empty"));
                    }
                    Secret::File(path)
                }
                other => return Err(de::Error::unknown_field(other, SOURCES)),
            };
            if found.replace(secret).is_some() {
                return Err(de::Error::custom("a secret takes exactly one of `env`, `file` or `value`"));
            }
        }
        found.ok_or_else(|| de::Error::custom("a secret needs one of `env`, `file` or `value`"))
    }
}

/// The inline value of a secret: any scalar, read as text, never echoed in an error.
struct SecretText(String);

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = SecretText;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the secret as a string")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<SecretText, E> {
                Ok(SecretText(value.to_owned()))
            }
        }
        // YAML reads any scalar as a string here, so `value: 12345` works and mistakes such
        // as a mapping get serde's "invalid type: map", which quotes nothing.
        deserializer.deserialize_str(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Secret, serde_norway::Error> {
        serde_norway::from_str(yaml)
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = Secret::Value("hunter2".into());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.to_string(), "[redacted]");
        assert_eq!(format!("{:?}", Some(secret)), "Some([redacted])");
    }

    #[test]
    fn parses_each_source() -> Result<(), serde_norway::Error> {
        assert_eq!(parse("{value: abc}")?, Secret::Value("abc".into()));
        assert_eq!(parse("{value: 12345}")?, Secret::Value("12345".into()));
        assert_eq!(parse("env: TOKEN")?, Secret::Env("TOKEN".into()));
        assert_eq!(parse("file: /run/token")?, Secret::File("/run/token".into()));
        Ok(())
    }

    #[test]
    fn rejects_plain_values_without_echoing_them() {
        for yaml in ["glsa_supersecret", "123456789", "true"] {
            let err = parse(yaml).map(|_| ()).err().map(|e| e.to_string());
            let message = err.unwrap_or_default();
            assert!(message.contains("not as a plain value"), "{message}");
            assert!(!message.contains(yaml), "{message}");
        }
    }

    #[test]
    fn rejects_two_sources_unknown_source_and_empty_mapping() {
        let two = parse("{env: A, value: b}").err().map(|e| e.to_string());
        assert!(two.unwrap_or_default().contains("exactly one"));
        let unknown = parse("{valeu: b}").err().map(|e| e.to_string());
        assert!(unknown.unwrap_or_default().contains("unknown field `valeu`"));
        let empty = parse("{}").err().map(|e| e.to_string());
        assert!(empty.unwrap_or_default().contains("needs one of"));
    }

    #[test]
    fn serialises_as_its_source() -> Result<(), serde_norway::Error> {
        for secret in [
            Secret::Env("GRAFANA_TOKEN".into()),
            Secret::File("/run/token".into()),
            Secret::Value("throwaway".into()),
        ] {
            let yaml = serde_norway::to_string(&secret)?;
            assert_eq!(parse(&yaml)?, secret);
        }
        Ok(())
    }

    #[test]
    fn resolves_values_files_and_env() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(Secret::Value("abc".into()).resolve()?, Some("abc".into()));
        assert_eq!(Secret::Value(String::new()).resolve()?, None);

        let dir = tempfile::tempdir()?;
        let path = dir.path().join("token");
        std::fs::write(&path, "from-file\n")?;
        assert_eq!(Secret::File(path).resolve()?, Some("from-file".into()));

        let missing = Secret::File(dir.path().join("missing"));
        let err = missing.resolve().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("missing"), "{err}");

        // PATH is set in every test environment; reading it does not mutate the process.
        assert!(Secret::Env("PATH".into()).resolve()?.is_some());
        let unset = Secret::Env("PLATDECK_TEST_SURELY_UNSET_9F2C".into());
        assert_eq!(unset.resolve()?, None);
        Ok(())
    }
}
