//! What the sim's user may do, asked the way clients ask a real apiserver: SelfSubjectAccessReview,
//! SelfSubjectRulesReview (authorization.k8s.io/v1) and SelfSubjectReview (authentication.k8s.io/v1).
//!
//! The answers agree with the 403s the server returns: everything is allowed except the resources
//! `--faults forbid=…` names (every verb, every namespace) and writes to CustomResourceDefinitions, which
//! the sim serves from the real CRDs and does not let clients change.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::json_response;
use super::request;
use crate::resources::{self, CUSTOM_RESOURCE_DEFINITIONS, ResourceKind, Serving};
use crate::state::Shared;
use crate::status::ApiError;

/// The user every request runs as (the name the 403 messages give).
pub const USER: &str = "system:serviceaccount:platdeck:console";
const GROUPS: &[&str] =
    &["system:serviceaccounts", "system:serviceaccounts:platdeck", "system:authenticated"];
const ALLOWED_REASON: &str = "RBAC: allowed by ClusterRoleBinding \"platdeck-console\" of ClusterRole \"platdeck-console\" to ServiceAccount \"console/platdeck\"";
const READ_VERBS: &[&str] = &["get", "list", "watch"];

/// Whether a request with this method on this kind is allowed (otherwise it is answered 403).
pub fn permitted(state: &Shared, kind: &ResourceKind, method: &Method) -> bool {
    let read = *method == Method::GET || *method == Method::HEAD;
    let verb = if read { "get" } else { "update" };
    may(state, kind.group, kind.plural, verb)
}

fn forbidden_resources(state: &Shared) -> &[String] {
    &state.faults.spec.forbid
}

/// The authorizer: may the user do `verb` on `resource` of `group`? (`*` stands for any.)
fn may(state: &Shared, group: &str, resource: &str, verb: &str) -> bool {
    let forbid = forbidden_resources(state);
    if forbid.iter().any(|r| r == resource) || (resource == "*" && !forbid.is_empty()) {
        return false;
    }
    let crd_group = group == CUSTOM_RESOURCE_DEFINITIONS.group || group == "*";
    let crd_resource = resource == CUSTOM_RESOURCE_DEFINITIONS.plural || resource == "*";
    !(crd_group && crd_resource && !READ_VERBS.contains(&verb))
}

pub fn serve(
    state: &Shared,
    kind: &ResourceKind,
    _namespace: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let review = if super::protobuf::is_protobuf(&request::content_type(headers)) {
        super::protobuf::review(body)
            .ok_or_else(|| ApiError::bad_request("the request body could not be decoded as protobuf"))?
    } else {
        request::json_body(headers, body)?
    };
    super::rest::check_type(kind, &review)?;
    let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
    let (spec, status) = match kind.kind {
        "SelfSubjectAccessReview" => (spec.clone(), access_review(state, &spec)?),
        "SelfSubjectRulesReview" => {
            if spec.get("namespace").and_then(Value::as_str).unwrap_or("").is_empty() {
                return Err(ApiError::bad_request("no namespace on request"));
            }
            (json!({}), rules_review(state))
        }
        _ => (json!({}), json!({"userInfo": {"username": USER, "groups": GROUPS}})),
    };
    let answer = json!({"kind": kind.kind, "apiVersion": kind.api_version(), "metadata": {}, "spec": spec, "status": status});
    Ok((StatusCode::CREATED, json_response(answer)).into_response())
}

fn access_review(state: &Shared, spec: &Value) -> Result<Value, ApiError> {
    let resource = spec.get("resourceAttributes").filter(|v| v.is_object());
    let non_resource = spec.get("nonResourceAttributes").filter(|v| v.is_object());
    let allowed = match (resource, non_resource) {
        (Some(attrs), None) => {
            let field = |k: &str| attrs.get(k).and_then(Value::as_str).unwrap_or("");
            may(state, field("group"), field("resource"), field("verb"))
        }
        (None, Some(_)) => true,
        _ => {
            let message = "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified";
            let mut err = ApiError::new(
                422,
                "Invalid",
                format!(".authorization.k8s.io \"\" is invalid: spec.resourceAttributes: {message}"),
            );
            err.details = Some(json!({"group": "authorization.k8s.io",
                "causes": [{"reason": "FieldValueInvalid", "message": message, "field": "spec.resourceAttributes"}]}));
            return Err(err);
        }
    };
    Ok(if allowed { json!({"allowed": true, "reason": ALLOWED_REASON}) } else { json!({"allowed": false}) })
}

/// The user's rules, as RBAC would list them: every stored resource of every group, minus what is forbidden.
fn rules_review(state: &Shared) -> Value {
    let forbid = forbidden_resources(state);
    let mut rules = Vec::new();
    for (group, _) in std::iter::once(("", vec!["v1"])).chain(resources::groups()) {
        let served = resources::ALL.iter().filter(|k| k.group == group && k.serving != Serving::Review);
        let mut names: Vec<String> = Vec::new();
        for k in served.filter(|k| !forbid.iter().any(|f| f == k.plural)) {
            for name in std::iter::once(k.plural.to_string())
                .chain(k.subresources.iter().map(|s| format!("{}/{s}", k.plural)))
            {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        if names.is_empty() {
            continue;
        }
        let verbs: &[&str] = if group == CUSTOM_RESOURCE_DEFINITIONS.group { READ_VERBS } else { &["*"] };
        let resources: Vec<String> =
            if forbid.is_empty() && verbs == ["*"] { vec!["*".into()] } else { names };
        rules.push(json!({"verbs": verbs, "apiGroups": [group], "resources": resources}));
    }
    rules.push(json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}));
    rules.push(json!({"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]}));
    json!({
        "resourceRules": rules,
        "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz",
            "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]}],
        "incomplete": false,
    })
}
