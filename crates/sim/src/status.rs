//! Kubernetes `Status` error bodies (`metav1.Status`), as the apiserver writes them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::ResourceKind;

/// An API error answered with a `Status` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: None }
    }

    fn with_details(mut self, kind: &ResourceKind, name: &str) -> Self {
        let mut details = json!({ "kind": kind.plural });
        if !name.is_empty() {
            details["name"] = json!(name);
        }
        if !kind.group.is_empty() {
            details["group"] = json!(kind.group);
        }
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 422 for request parameters that contradict each other.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(422, "Invalid", message)
    }

    pub fn not_found(kind: &ResourceKind, name: &str) -> Self {
        Self::new(404, "NotFound", format!("{} \"{name}\" not found", kind.qualified_name()))
            .with_details(kind, name)
    }

    /// A path that names no served resource.
    pub fn no_route(path: &str) -> Self {
        Self::new(404, "NotFound", format!("the server could not find the requested resource ({path})"))
    }

    /// RBAC's answer to a request the user may not make.
    pub fn forbidden(kind: &ResourceKind, method: &axum::http::Method, path: &str) -> Self {
        let verb = match *method {
            axum::http::Method::GET => "list",
            axum::http::Method::POST => "create",
            axum::http::Method::PUT => "update",
            axum::http::Method::PATCH => "patch",
            axum::http::Method::DELETE => "delete",
            _ => "access",
        };
        let mut err = Self::new(
            403,
            "Forbidden",
            format!(
                "{} is forbidden: User \"system:serviceaccount:platdeck:console\" cannot {verb} resource \"{}\" in API group \"{}\" ({path})",
                kind.qualified_name(),
                kind.plural,
                kind.group
            ),
        );
        err.details = Some(serde_json::json!({"kind": kind.plural}));
        err
    }

    pub fn already_exists(kind: &ResourceKind, name: &str) -> Self {
        Self::new(409, "AlreadyExists", format!("{} \"{name}\" already exists", kind.qualified_name()))
            .with_details(kind, name)
    }

    pub fn conflict(kind: &ResourceKind, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                kind.qualified_name()
            ),
        )
        .with_details(kind, name)
    }

    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }

    pub fn invalid(kind: &ResourceKind, name: &str, field: &str, message: &str) -> Self {
        let mut err = Self::new(
            422,
            "Invalid",
            format!("{} {} \"{name}\" is invalid: {field}: {message}", kind.kind, kind.qualified_name()),
        )
        .with_details(kind, name);
        if let Some(details) = err.details.as_mut() {
            details["causes"] =
                json!([{ "reason": "FieldValueInvalid", "message": message, "field": field }]);
        }
        err
    }

    /// 422 for query options that contradict each other, worded as the apiserver's field validation:
    /// `ListOptions.meta.k8s.io "" is invalid: <field>: <message>` (several in brackets).
    pub fn invalid_options(errors: &[FieldError]) -> Self {
        let parts: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        let joined = if parts.len() == 1 { parts[0].clone() } else { format!("[{}]", parts.join(", ")) };
        let mut err = Self::new(422, "Invalid", format!("ListOptions.meta.k8s.io \"\" is invalid: {joined}"));
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.reason, "message": e.message, "field": e.field}))
            .collect();
        err.details = Some(json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": causes}));
        err
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "ServiceUnavailable", message)
    }

    /// The `Status` object itself (also used inside watch `ERROR` events).
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

/// One failed check of a request's fields (a `StatusCause`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub reason: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn forbidden(field: &'static str, why: &str) -> Self {
        Self { field, reason: "FieldValueForbidden", message: format!("Forbidden: {why}") }
    }

    pub fn not_supported(field: &'static str, value: &str, supported: &[&str]) -> Self {
        let list: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
        Self {
            field,
            reason: "FieldValueNotSupported",
            message: format!("Unsupported value: \"{value}\": supported values: {}", list.join(", ")),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code, self.reason, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, [("content-type", "application/json")], self.to_status().to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{DEPLOYMENTS, PODS};

    #[test]
    fn not_found_matches_the_apiserver() {
        let s = ApiError::not_found(&PODS, "web-1").to_status();
        assert_eq!(s["message"], "pods \"web-1\" not found");
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"], json!({"name": "web-1", "kind": "pods"}));
    }

    #[test]
    fn grouped_resources_name_their_group() {
        let s = ApiError::not_found(&DEPLOYMENTS, "x").to_status();
        assert_eq!(s["message"], "deployments.apps \"x\" not found");
        assert_eq!(s["details"]["group"], "apps");
    }

    #[test]
    fn invalid_lists_causes() {
        let s = ApiError::invalid(&PODS, "p", "metadata.name", "Required value").to_status();
        assert_eq!(s["code"], 422);
        assert_eq!(s["details"]["causes"][0]["field"], "metadata.name");
    }
}
