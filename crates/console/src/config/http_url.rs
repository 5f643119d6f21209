//! Checks for the HTTP base URLs in the config (Loki, Prometheus, Grafana, the ECR endpoint),
//! done with the `url` crate while parsing so a bad URL is reported at its line and column.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// An `http`/`https` URL with a host and no credentials in it.
pub(crate) fn check_http_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|err| format!("`{text}` is not a URL: {err}"))?;
    // Credentials in a URL leak into logs and error messages; they belong in the secret keys.
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not allowed; use the section's auth/token keys".into());
    }
    // `loki:3100` parses as scheme `loki`: say what is expected rather than name the scheme.
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{text}` is not an http(s) URL (expected http://host[:port][/path])"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}` has no host"));
    }
    Ok(())
}

/// `deserialize_with` for `Option<String>` URL fields.
pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_option(OptUrlVisitor)
}

/// `serialize_with` twin of [`deserialize_opt`] (skipped when `None`).
pub(crate) fn serialize_opt<S: Serializer>(value: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(url) => serializer.serialize_str(url),
        None => serializer.serialize_none(),
    }
}

struct OptUrlVisitor;

impl<'de> Visitor<'de> for OptUrlVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an http(s) URL")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(UrlVisitor).map(Some)
    }
}

struct UrlVisitor;

impl Visitor<'_> for UrlVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an http(s) URL")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        // Checked inside the visitor so the YAML parser pins the error to this value.
        check_http_url(value).map_err(E::custom)?;
        Ok(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_urls() {
        for good in [
            "http://127.0.0.1:3100",
            "https://loki.example.com/loki",
            "http://prometheus-operated.observability:9090",
        ] {
            assert_eq!(check_http_url(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn rejects_non_urls_other_schemes_and_credentials() {
        for bad in [
            "loki.example.com",
            "ftp://loki",
            "http://",
            "https://admin:admin@grafana.example.com",
            "not a url",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
    }
}
