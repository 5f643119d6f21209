//! The parts of an API request the handlers read: query parameters, media types and the body.

use std::collections::HashMap;

use axum::http::HeaderMap;
use serde_json::Value;

use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::{ApiError, FieldError};

/// Decoded query parameters (last one wins for repeated keys).
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        Self(url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A boolean parameter, spelled any way Go's strconv.ParseBool accepts (the Python client sends `True`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("1" | "t" | "T" | "true" | "TRUE" | "True"))
    }

    pub fn number(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value for {key}: {v:?} is not a non-negative integer"))
            }),
        }
    }

    pub fn dry_run(&self) -> bool {
        self.get("dryRun") == Some("All")
    }

    pub fn label_selector(&self) -> Result<LabelSelector, ApiError> {
        LabelSelector::parse(self.get("labelSelector").unwrap_or("")).map_err(ApiError::bad_request)
    }

    pub fn field_selector(&self) -> Result<FieldSelector, ApiError> {
        FieldSelector::parse(self.get("fieldSelector").unwrap_or("")).map_err(ApiError::bad_request)
    }
}

/// What a list or watch asked of resourceVersions, checked as the apiserver validates `ListOptions`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListOptions {
    /// `resourceVersion`, as given ("" when absent).
    pub resource_version: String,
    pub match_rule: MatchRule,
    /// `sendInitialEvents`, when given (watches only).
    pub send_initial_events: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchRule {
    /// No `resourceVersionMatch`: the legacy meaning of `resourceVersion`.
    Legacy,
    Exact,
    NotOlderThan,
}

impl ListOptions {
    pub fn parse(params: &Params, watch: bool) -> Result<Self, ApiError> {
        let resource_version = params.get("resourceVersion").unwrap_or("").to_string();
        let raw_match = params.get("resourceVersionMatch").unwrap_or("");
        let send_initial_events = params.get("sendInitialEvents").map(|_| params.flag("sendInitialEvents"));
        let has_continue = params.get("continue").is_some();
        let mut errors = Vec::new();
        let field = "resourceVersionMatch";
        if watch {
            if send_initial_events.is_some() && raw_match != "NotOlderThan" {
                errors.push(FieldError::forbidden(
                    field,
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ));
            }
            if !raw_match.is_empty() {
                if send_initial_events.is_none() {
                    errors.push(FieldError::forbidden(
                        field,
                        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                    ));
                }
                if raw_match != "NotOlderThan" {
                    errors.push(FieldError::not_supported(field, raw_match, &["NotOlderThan"]));
                }
                if has_continue {
                    errors.push(FieldError::forbidden(
                        field,
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
            }
        } else {
            if !raw_match.is_empty() {
                if resource_version.is_empty() {
                    errors.push(FieldError::forbidden(
                        field,
                        "resourceVersionMatch is forbidden unless resourceVersion is provided",
                    ));
                }
                if has_continue {
                    errors.push(FieldError::forbidden(
                        field,
                        "resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
                if raw_match != "Exact" && raw_match != "NotOlderThan" {
                    errors.push(FieldError::not_supported(field, raw_match, &["Exact", "NotOlderThan", ""]));
                }
                if raw_match == "Exact" && resource_version == "0" {
                    errors.push(FieldError::forbidden(
                        field,
                        "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                    ));
                }
            }
            if send_initial_events.is_some() {
                errors.push(FieldError::forbidden(
                    "sendInitialEvents",
                    "sendInitialEvents is forbidden for list",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid_options(&errors));
        }
        let match_rule = match raw_match {
            "Exact" => MatchRule::Exact,
            "NotOlderThan" => MatchRule::NotOlderThan,
            _ => MatchRule::Legacy,
        };
        Ok(Self { resource_version, match_rule, send_initial_events })
    }

    /// The resourceVersion as a number; `None` when absent or "0".
    pub fn rv_number(&self) -> Result<Option<u64>, ApiError> {
        match self.resource_version.as_str() {
            "" | "0" => Ok(None),
            v => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {v:?}"))),
        }
    }
}

/// Whether the client accepts a server-side `Table` (kubectl's human-readable `get`).
pub fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get_all("accept")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|alt| alt.contains("as=Table") && alt.contains("g=meta.k8s.io")))
}

pub fn content_type(headers: &HeaderMap) -> String {
    headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// A request body as JSON (or YAML, which some clients send for create/replace).
pub fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    let ct = content_type(headers);
    // The sim decodes JSON and YAML only: a protobuf or CBOR body is refused as unsupported (client-go
    // then sends JSON), never misread.
    let media = ct.split(';').next().unwrap_or("").trim();
    if !(media.is_empty() || media.ends_with("json") || media.ends_with("yaml") || media == "*/*") {
        return Err(ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {media})"
        )));
    }
    let parsed: Result<Value, String> = if ct.contains("yaml") {
        serde_norway::from_slice(body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    };
    let value =
        parsed.map_err(|e| ApiError::bad_request(format!("the request body could not be decoded: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the request body must be an object"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn params_decode_and_validate() {
        let p = Params::parse(Some("watch=true&limit=500&labelSelector=app%3Dweb&dryRun=All&x="));
        assert!(p.flag("watch"));
        assert_eq!(p.number("limit").unwrap(), Some(500));
        assert!(
            p.label_selector().unwrap().matches(&serde_json::json!({"metadata": {"labels": {"app": "web"}}}))
        );
        assert!(p.dry_run());
        assert_eq!(p.get("x"), None);
        assert_eq!(Params::parse(Some("limit=-1")).number("limit").unwrap_err().code, 400);
        assert_eq!(Params::parse(Some("labelSelector=a%20in%20(")).label_selector().unwrap_err().code, 400);
    }

    #[test]
    fn list_options_are_checked_as_the_apiserver_does() {
        let list = |q: &str| ListOptions::parse(&Params::parse(Some(q)), false);
        let watch = |q: &str| ListOptions::parse(&Params::parse(Some(q)), true);
        assert_eq!(list("resourceVersion=0").unwrap().match_rule, MatchRule::Legacy);
        let err = list("resourceVersionMatch=NotOlderThan").unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
        );
        assert!(
            list("resourceVersion=0&resourceVersionMatch=Exact")
                .unwrap_err()
                .message
                .contains("\"exact\" is forbidden")
        );
        assert!(
            list("resourceVersion=0&resourceVersionMatch=Foo")
                .unwrap_err()
                .message
                .contains("Unsupported value: \"Foo\"")
        );
        assert!(
            list("sendInitialEvents=true")
                .unwrap_err()
                .message
                .contains("sendInitialEvents is forbidden for list")
        );
        assert!(
            watch("sendInitialEvents=true")
                .unwrap_err()
                .message
                .contains("requires setting resourceVersionMatch to NotOlderThan")
        );
        assert!(
            watch("resourceVersionMatch=NotOlderThan")
                .unwrap_err()
                .message
                .contains("unless sendInitialEvents is provided")
        );
        let both = watch("sendInitialEvents=true&resourceVersionMatch=Exact").unwrap_err();
        assert!(both.message.contains("[resourceVersionMatch: Forbidden"), "{}", both.message);
        let ok = watch("sendInitialEvents=true&resourceVersionMatch=NotOlderThan").unwrap();
        assert_eq!(ok.send_initial_events, Some(true));
    }

    #[test]
    fn kubectl_table_accept_header() {
        let mut h = HeaderMap::new();
        h.insert(
            "accept",
            HeaderValue::from_static("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
        );
        assert!(wants_table(&h));
        assert!(!wants_table(&HeaderMap::new()));
    }

    #[test]
    fn bodies() {
        let h = HeaderMap::new();
        assert!(json_body(&h, b"{\"a\":1}").is_ok());
        assert_eq!(json_body(&h, b"{oops").unwrap_err().code, 400);
        assert_eq!(json_body(&h, b"[1]").unwrap_err().code, 400);
        assert_eq!(json_body(&h, b"").unwrap_err().code, 400);
        let mut pb = HeaderMap::new();
        pb.insert("content-type", HeaderValue::from_static("application/vnd.kubernetes.protobuf"));
        assert_eq!(json_body(&pb, b"k8s\x00").unwrap_err().code, 415);
        let mut y = HeaderMap::new();
        y.insert("content-type", HeaderValue::from_static("application/yaml"));
        assert_eq!(json_body(&y, b"a: 1\n").unwrap()["a"], 1);
    }
}
