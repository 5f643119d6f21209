//! The REST verbs on objects and collections: list, get, create, replace, patch, delete.

use std::io::Write;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::json_response;
use super::request::{self, ListOptions, MatchRule, Params};
use super::tables;
use crate::clock::now_rfc3339;
use crate::patch::{self, PatchType};
use crate::resources::ResourceKind;
use crate::state::Shared;
use crate::status::ApiError;
use crate::world::{Obj, Snapshot, meta_str};

/// Where the next page of a list starts, and the resourceVersion all its pages share.
#[derive(Debug, PartialEq)]
struct ContinueToken {
    rv: u64,
    namespace: String,
    name: String,
    /// Items the list had left after this page, when it was counted (no selector), so that later pages
    /// report `remainingItemCount` without counting again.
    left: Option<u64>,
}

fn encode_continue(token: &ContinueToken) -> String {
    let mut raw = json!({"rv": token.rv, "ns": token.namespace, "name": token.name});
    if let Some(left) = token.left {
        raw["left"] = json!(left);
    }
    let raw = raw.to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(text: &str) -> Result<ContinueToken, ApiError> {
    let bad =
        || ApiError::bad_request(format!("invalid continue token: continue key is not valid: {text:?}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    Ok(ContinueToken {
        rv: v["rv"].as_u64().ok_or_else(bad)?,
        namespace: v["ns"].as_str().ok_or_else(bad)?.to_string(),
        name: v["name"].as_str().ok_or_else(bad)?.to_string(),
        left: v["left"].as_u64(),
    })
}

/// A stored object as a served version presents it: another version of a custom resource shows the
/// same object under its own apiVersion (CRD conversion `None`).
pub(crate) fn present(kind: &ResourceKind, object: &Obj) -> Obj {
    if kind.storage.is_none() {
        return object.clone();
    }
    let mut copy = (**object).clone();
    copy["apiVersion"] = json!(kind.api_version());
    Obj::new(copy)
}

/// The snapshot a list reads, by its resourceVersion semantics (api-concepts "Semantics for get and list").
fn list_snapshot(
    state: &Shared,
    kind: &ResourceKind,
    options: &ListOptions,
    token: Option<&ContinueToken>,
    paged: bool,
) -> Result<Snapshot, ApiError> {
    if let Some(token) = token {
        if !options.resource_version.is_empty() {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        return state.world.kept_snapshot(kind, token.rv).ok_or_else(|| {
            ApiError::expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
            )
        });
    }
    let now = state.world.snapshot(kind);
    let Some(rv) = options.rv_number()? else { return Ok(now) };
    if rv > now.rv {
        let mut err =
            ApiError::new(504, "Timeout", format!("Too large resource version: {rv}, current: {}", now.rv));
        err.details = Some(
            json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1}),
        );
        return Err(err);
    }
    // Exact (or the legacy meaning of a resourceVersion with a limit): that very state, while it is kept.
    let exact = options.match_rule == MatchRule::Exact || (options.match_rule == MatchRule::Legacy && paged);
    if !exact || rv == now.rv {
        return Ok(now);
    }
    state
        .world
        .kept_snapshot(kind, rv)
        .ok_or_else(|| ApiError::expired("The resourceVersion for the provided list is too old."))
}

pub fn list(
    state: &Shared,
    kind: &ResourceKind,
    namespace: Option<&str>,
    params: &Params,
    table: bool,
) -> Result<Response, ApiError> {
    let options = ListOptions::parse(params, false)?;
    let labels = params.label_selector()?;
    let fields = params.field_selector()?;
    // `resourceVersion=0` is answered from the watch cache, whole: the limit is ignored.
    let limit =
        params.number("limit")?.filter(|l| *l > 0 && options.resource_version != "0").map(|l| l as usize);
    let token = params.get("continue").map(decode_continue).transpose()?;
    let snapshot = list_snapshot(state, kind, &options, token.as_ref(), limit.is_some())?;
    let after = token.as_ref().map(|t| (t.namespace.clone(), t.name.clone()));
    let mut matching =
        snapshot.iter(namespace, after.as_ref()).filter(|(_, o)| labels.matches(o) && fields.matches(o));
    let items: Vec<Obj> =
        matching.by_ref().take(limit.unwrap_or(usize::MAX)).map(|(_, o)| present(kind, o)).collect();
    let mut next = None;
    let mut remaining = None;
    if limit.is_some()
        && matching.next().is_some()
        && let Some(last) = items.last()
    {
        // The apiserver counts what is left only when no selector filters it. The first page counts
        // once; the token carries the count on, so every later page costs only its own items.
        let unfiltered = labels.is_empty() && fields.is_empty();
        let left = match (token.as_ref().and_then(|t| t.left), namespace) {
            (_, _) if !unfiltered => None,
            (Some(before), _) => Some(before.saturating_sub(items.len() as u64)),
            (None, None) if token.is_none() => Some((snapshot.objects.len() - items.len()) as u64),
            _ => Some(1 + matching.count() as u64),
        };
        remaining = left.map(|n| n as usize);
        next = Some(encode_continue(&ContinueToken {
            rv: snapshot.rv,
            namespace: meta_str(last, "namespace").to_string(),
            name: meta_str(last, "name").to_string(),
            left,
        }));
        state.world.keep_snapshot(kind, &snapshot);
    }
    let page = ListPage { rv: snapshot.rv, next: next.as_deref(), remaining };
    if table {
        return Ok(json_response(tables::table(kind, &items, page.rv, page.next, page.remaining)));
    }
    Ok(list_body(kind, &items, &page))
}

/// The list metadata of one page.
pub(crate) struct ListPage<'a> {
    pub rv: u64,
    pub next: Option<&'a str>,
    pub remaining: Option<usize>,
}

/// Writes a `<Kind>List` straight to bytes: large lists are the hot path of `kubectl get -A`.
fn list_body(kind: &ResourceKind, items: &[Obj], page: &ListPage<'_>) -> Response {
    let mut out = Vec::with_capacity(items.len() * 2048 + 256);
    let mut meta = json!({"resourceVersion": page.rv.to_string()});
    if let Some(c) = page.next {
        meta["continue"] = json!(c);
    }
    if let Some(n) = page.remaining {
        meta["remainingItemCount"] = json!(n);
    }
    let _ = write!(
        out,
        "{{\"kind\":{},\"apiVersion\":{},\"metadata\":{},\"items\":[",
        json!(kind.list_kind()),
        json!(kind.api_version()),
        meta
    );
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, item.as_ref());
    }
    out.extend_from_slice(b"]}");
    ([(header::CONTENT_TYPE, "application/json")], out).into_response()
}

pub fn get(
    state: &Shared,
    kind: &ResourceKind,
    namespace: &str,
    name: &str,
    table: bool,
) -> Result<Response, ApiError> {
    let obj = state.world.get(kind, namespace, name).ok_or_else(|| ApiError::not_found(kind, name))?;
    let obj = present(kind, &obj);
    if table {
        return Ok(json_response(tables::table(
            kind,
            std::slice::from_ref(&obj),
            state.world.current_rv(),
            None,
            None,
        )));
    }
    Ok(json_response((*obj).clone()))
}

/// Checks that a body's apiVersion/kind (when given) name this resource.
pub(crate) fn check_type(kind: &ResourceKind, body: &Value) -> Result<(), ApiError> {
    let api_version = body.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let body_kind = body.get("kind").and_then(Value::as_str).unwrap_or("");
    if (!api_version.is_empty() && api_version != kind.api_version())
        || (!body_kind.is_empty() && body_kind != kind.kind)
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({}) or kind {body_kind} is not {}",
            kind.api_version(),
            kind.kind
        )));
    }
    Ok(())
}

/// Puts the URL's namespace into the body, refusing a body that names another one.
fn place_in_namespace(
    kind: &ResourceKind,
    body: &mut Value,
    namespace: Option<&str>,
) -> Result<(), ApiError> {
    if !kind.namespaced {
        return Ok(());
    }
    let Some(ns) = namespace else {
        return Err(ApiError::bad_request("a namespaced resource must be created in a namespace path"));
    };
    let given = meta_str(body, "namespace");
    if !given.is_empty() && given != ns {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if !body.get("metadata").is_some_and(Value::is_object) {
        body["metadata"] = json!({});
    }
    body["metadata"]["namespace"] = json!(ns);
    Ok(())
}

pub fn create(
    state: &Shared,
    kind: &ResourceKind,
    namespace: Option<&str>,
    params: &Params,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let mut object = request::json_body(headers, body)?;
    check_type(kind, &object)?;
    place_in_namespace(kind, &mut object, namespace)?;
    let created = present(kind, &state.world.create(kind, object, params.dry_run())?);
    Ok((StatusCode::CREATED, json_response((*created).clone())).into_response())
}

pub fn replace(
    state: &Shared,
    kind: &ResourceKind,
    namespace: &str,
    name: &str,
    params: &Params,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let mut object = request::json_body(headers, body)?;
    check_type(kind, &object)?;
    let body_name = meta_str(&object, "name");
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    place_in_namespace(kind, &mut object, kind.namespaced.then_some(namespace))?;
    let updated = present(kind, &state.world.update(kind, object, params.dry_run())?);
    Ok(json_response((*updated).clone()))
}

const ACCEPTED_PATCHES: &str =
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

pub fn patch(
    state: &Shared,
    kind: &ResourceKind,
    namespace: &str,
    name: &str,
    params: &Params,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let ct = request::content_type(headers);
    let patch_type = PatchType::from_content_type(&ct).ok_or_else(|| {
        ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: {ACCEPTED_PATCHES}, application/strategic-merge-patch+json"
        ))
    })?;
    if patch_type == PatchType::Strategic && !kind.builtin {
        return Err(ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: {ACCEPTED_PATCHES}"
        )));
    }
    let patch_doc: Value = match patch_type {
        PatchType::Apply => serde_norway::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        _ => serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("the request body could not be decoded as JSON: {e}"))
        })?,
    };
    let dry_run = params.dry_run();
    if patch_type == PatchType::Apply && state.world.get(kind, namespace, name).is_none() {
        // Server-side apply creates what does not exist yet.
        let mut object = patch_doc;
        place_in_namespace(kind, &mut object, kind.namespaced.then_some(namespace))?;
        let created = present(kind, &state.world.create(kind, object, dry_run)?);
        return Ok((StatusCode::CREATED, json_response((*created).clone())).into_response());
    }
    let updated = state.world.modify_with(kind, namespace, name, dry_run, |object| match patch_type {
        PatchType::Json => patch::apply_json_patch(object, &patch_doc).map_err(|e| {
            ApiError::new(
                422,
                "Invalid",
                format!("the server rejected our request due to an error in our request: {e}"),
            )
        }),
        PatchType::Merge | PatchType::Apply => {
            if !patch_doc.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            patch::apply_merge_patch(object, &patch_doc);
            Ok(())
        }
        PatchType::Strategic => {
            if !patch_doc.is_object() {
                return Err(ApiError::bad_request("a strategic merge patch must be a JSON object"));
            }
            patch::apply_strategic_patch(object, &patch_doc).map_err(ApiError::bad_request)
        }
    })?;
    Ok(json_response((*present(kind, &updated)).clone()))
}

/// The grace period a delete asks for (body DeleteOptions or query), if any.
fn grace_period(params: &Params, body: &[u8]) -> Option<u64> {
    let from_body = serde_json::from_slice::<Value>(body).ok().and_then(|b| b["gracePeriodSeconds"].as_u64());
    from_body.or_else(|| params.get("gracePeriodSeconds").and_then(|v| v.parse().ok()))
}

pub fn delete(
    state: &Shared,
    kind: &ResourceKind,
    namespace: &str,
    name: &str,
    params: &Params,
    body: &[u8],
) -> Result<Response, ApiError> {
    let dry_run = params.dry_run();
    // Pods terminate gracefully: marked now, removed by the kubelet once their containers stop.
    if kind.kind == "Pod" && grace_period(params, body) != Some(0) {
        let marked = state.world.modify_with(kind, namespace, name, dry_run, |pod| {
            if pod.pointer("/metadata/deletionTimestamp").is_none() {
                pod["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
                pod["metadata"]["deletionGracePeriodSeconds"] = json!(30);
            }
            Ok(())
        })?;
        return Ok(json_response((*marked).clone()));
    }
    let deleted = present(kind, &state.world.delete(kind, namespace, name, dry_run)?);
    Ok(json_response((*deleted).clone()))
}

pub fn delete_collection(
    state: &Shared,
    kind: &ResourceKind,
    namespace: Option<&str>,
    params: &Params,
) -> Result<Response, ApiError> {
    let labels = params.label_selector()?;
    let fields = params.field_selector()?;
    let (rv, items) =
        state.world.list_from(kind, namespace, None, usize::MAX, |o| labels.matches(o) && fields.matches(o));
    let mut deleted = Vec::new();
    for item in items {
        if let Ok(obj) =
            state.world.delete(kind, meta_str(&item, "namespace"), meta_str(&item, "name"), params.dry_run())
        {
            deleted.push(present(kind, &obj));
        }
    }
    Ok(list_body(kind, &deleted, &ListPage { rv, next: None, remaining: None }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let t = ContinueToken { rv: 42, namespace: "dev".into(), name: "web-1".into(), left: Some(7) };
        assert_eq!(decode_continue(&encode_continue(&t)).unwrap(), t);
        assert_eq!(decode_continue("!!!").unwrap_err().code, 400);
        let not_json = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("nope");
        assert_eq!(decode_continue(&not_json).unwrap_err().code, 400);
    }

    #[test]
    fn type_checks() {
        use crate::resources::PODS;
        assert!(check_type(&PODS, &json!({"apiVersion": "v1", "kind": "Pod"})).is_ok());
        assert!(check_type(&PODS, &json!({})).is_ok());
        assert_eq!(
            check_type(&PODS, &json!({"apiVersion": "apps/v1", "kind": "Pod"})).unwrap_err().code,
            400
        );
        let mut body = json!({"metadata": {"namespace": "a"}});
        assert!(place_in_namespace(&PODS, &mut body, Some("b")).is_err());
        let mut body = json!({});
        place_in_namespace(&PODS, &mut body, Some("b")).unwrap();
        assert_eq!(body["metadata"]["namespace"], "b");
    }
}
