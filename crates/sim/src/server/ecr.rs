//! The sim's ECR endpoint: the AWS JSON 1.1 protocol (`POST /`, `X-Amz-Target` dispatch, `__type` errors)
//! over the registry in `sim::ecr` (wire-formats §7). SigV4 signatures are accepted unchecked.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use crate::ecr::{
    CreateRepository, EcrError, EcrStore, ExclusionFilter, Image, ImageId, Repository, Tag, TagStatus,
};
use crate::faults::Faults;

/// What the ECR server needs from the sim.
#[derive(Clone)]
pub struct EcrState {
    pub store: Arc<EcrStore>,
    pub faults: Arc<Faults>,
}

pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const MAX_RESULTS: u64 = 1000;
const DEFAULT_PAGE: usize = 100;
/// Opaque pagination tokens are this prefix plus the next offset, base64-encoded.
const TOKEN_PREFIX: &str = "platdeck-sim-ecr:";

pub fn router(state: EcrState) -> Router {
    Router::new().route("/", post(dispatch)).with_state(state)
}

/// An error as the protocol reports it: code, message, HTTP status.
#[derive(Debug)]
struct ApiError {
    code: &'static str,
    message: String,
    status: StatusCode,
}

impl ApiError {
    fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), status: StatusCode::BAD_REQUEST }
    }

    fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    fn missing(field: &str) -> Self {
        EcrError::invalid(field, "Member must not be null").into()
    }
}

impl From<EcrError> for ApiError {
    fn from(err: EcrError) -> Self {
        let status = match err.kind {
            crate::ecr::EcrErrorKind::Server => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Self { code: err.kind.code(), message: err.message, status }
    }
}

fn respond(status: StatusCode, body: &Value, error_type: Option<&str>) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-amzn-RequestId", id);
    }
    if let Some(code) = error_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert("x-amzn-ErrorType", code);
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        respond(self.status, &json!({"__type": self.code, "message": self.message}), Some(self.code))
    }
}

async fn dispatch(State(state): State<EcrState>, headers: HeaderMap, body: Bytes) -> Response {
    state.faults.delay().await;
    if state.faults.inject_error() {
        return ApiError {
            code: "ServerException",
            message: "simulated fault: internal server error".into(),
            status: StatusCode::INTERNAL_SERVER_ERROR,
        }
        .into_response();
    }
    match handle(&state.store, &headers, &body) {
        Ok(value) => respond(StatusCode::OK, &value, None),
        Err(err) => err.into_response(),
    }
}

fn handle(store: &EcrStore, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let operation = target.strip_prefix(TARGET_PREFIX).unwrap_or("");
    let op: fn(&EcrStore, &Req) -> Result<Value, ApiError> = match operation {
        "DescribeRepositories" => describe_repositories,
        "CreateRepository" => create_repository,
        "DeleteRepository" => delete_repository,
        "PutLifecyclePolicy" => put_lifecycle_policy,
        "GetLifecyclePolicy" => get_lifecycle_policy,
        "DeleteLifecyclePolicy" => delete_lifecycle_policy,
        "DescribeImages" => describe_images,
        "ListImages" => list_images,
        "DescribeImageScanFindings" => describe_image_scan_findings,
        "PutImageScanningConfiguration" => put_image_scanning_configuration,
        "PutImageTagMutability" => put_image_tag_mutability,
        "ListTagsForResource" => list_tags_for_resource,
        "TagResource" => tag_resource,
        "UntagResource" => untag_resource,
        _ => {
            let shown = if target.is_empty() { "(no X-Amz-Target header)" } else { target };
            return Err(ApiError::client("UnknownOperationException", format!("Unknown operation {shown}")));
        }
    };
    let request = Req::parse(body)?;
    if let Some(registry) = request.str("registryId")?
        && registry != store.account_id()
    {
        return Err(EcrError::invalid(
            "registryId",
            format!("the simulated registry only serves registry id {}", store.account_id()),
        )
        .into());
    }
    op(store, &request)
}

/// A request body: a JSON object whose members are read with protocol-level type checks.
struct Req(Map<String, Value>);

impl Req {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Req(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Req(map)),
            Ok(_) => Err(ApiError::serialization("Start of structure or map found where not expected")),
            Err(e) => Err(ApiError::serialization(format!("Malformed JSON request body: {e}"))),
        }
    }

    fn field(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Result<Option<String>, ApiError> {
        str_member(self.field(key), key)
    }

    fn required_str(&self, key: &str) -> Result<String, ApiError> {
        self.str(key)?.ok_or_else(|| ApiError::missing(key))
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::serialization(format!("Expected a boolean for '{key}'"))),
        }
    }

    fn object(&self, key: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(ApiError::serialization(format!("Expected a structure for '{key}'"))),
        }
    }

    fn array(&self, key: &str) -> Result<Option<&Vec<Value>>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(ApiError::serialization(format!("Expected a list for '{key}'"))),
        }
    }

    fn repository_name(&self) -> Result<String, ApiError> {
        self.required_str("repositoryName")
    }

    /// `maxResults` (1–1000) if given.
    fn max_results(&self) -> Result<Option<usize>, ApiError> {
        match self.field("maxResults") {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(m) if (1..=MAX_RESULTS).contains(&m) => Ok(usize::try_from(m).ok()),
                _ => Err(EcrError::invalid(
                    "maxResults",
                    "Member must have value greater than or equal to 1 and less than or equal to 1000",
                )
                .into()),
            },
            Some(_) => Err(ApiError::serialization("Expected a number for 'maxResults'")),
        }
    }

    /// One page of `items` per `maxResults`/`nextToken`, and the token of the next page.
    fn paginate<T>(&self, items: Vec<T>) -> Result<(Vec<T>, Option<String>), ApiError> {
        let size = self.max_results()?.unwrap_or(DEFAULT_PAGE);
        let offset = match self.str("nextToken")? {
            None => 0,
            Some(token) => {
                decode_token(&token).ok_or_else(|| EcrError::invalid("nextToken", "Invalid NextToken"))?
            }
        };
        let total = items.len();
        let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
        let next = (offset + size < total).then(|| BASE64.encode(format!("{TOKEN_PREFIX}{}", offset + size)));
        Ok((page, next))
    }

    fn tag_status(&self) -> Result<TagStatus, ApiError> {
        let Some(filter) = self.object("filter")? else { return Ok(TagStatus::Any) };
        match str_member(filter.get("tagStatus").filter(|v| !v.is_null()), "filter.tagStatus")? {
            None => Ok(TagStatus::Any),
            Some(status) => Ok(TagStatus::parse(&status)?),
        }
    }
}

fn str_member(value: Option<&Value>, key: &str) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::serialization(format!("Expected a string for '{key}'"))),
    }
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = BASE64.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix(TOKEN_PREFIX)?.parse().ok()
}

fn with_next_token(mut body: Value, next: Option<String>) -> Value {
    if let (Some(next), Some(obj)) = (next, body.as_object_mut()) {
        obj.insert("nextToken".into(), Value::String(next));
    }
    body
}

fn image_id(value: &Value) -> Result<ImageId, ApiError> {
    let obj =
        value.as_object().ok_or_else(|| ApiError::serialization("Expected a structure for an imageId"))?;
    Ok(ImageId {
        digest: str_member(obj.get("imageDigest").filter(|v| !v.is_null()), "imageDigest")?,
        tag: str_member(obj.get("imageTag").filter(|v| !v.is_null()), "imageTag")?,
    })
}

fn image_id_json(id: &ImageId) -> Value {
    let mut out = Map::new();
    if let Some(d) = &id.digest {
        out.insert("imageDigest".into(), json!(d));
    }
    if let Some(t) = &id.tag {
        out.insert("imageTag".into(), json!(t));
    }
    Value::Object(out)
}

fn tags_from(items: &[Value]) -> Result<Vec<Tag>, ApiError> {
    items
        .iter()
        .map(|item| {
            let obj =
                item.as_object().ok_or_else(|| ApiError::serialization("Expected a structure for a tag"))?;
            let key =
                str_member(obj.get("Key"), "Key")?.ok_or_else(|| ApiError::missing("tags.member.Key"))?;
            let value = str_member(obj.get("Value"), "Value")?
                .ok_or_else(|| ApiError::missing("tags.member.Value"))?;
            Ok(Tag { key, value })
        })
        .collect()
}

fn tags_json(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect())
}

fn exclusion_filters(request: &Req) -> Result<Vec<ExclusionFilter>, ApiError> {
    let Some(items) = request.array("imageTagMutabilityExclusionFilters")? else { return Ok(Vec::new()) };
    items
        .iter()
        .map(|item| {
            let obj = item
                .as_object()
                .ok_or_else(|| ApiError::serialization("Expected a structure for a filter"))?;
            Ok(ExclusionFilter {
                filter_type: str_member(obj.get("filterType"), "filterType")?.unwrap_or_default(),
                filter: str_member(obj.get("filter"), "filter")?.unwrap_or_default(),
            })
        })
        .collect()
}

fn filters_json(filters: &[ExclusionFilter]) -> Value {
    Value::Array(filters.iter().map(|f| json!({"filterType": f.filter_type, "filter": f.filter})).collect())
}

fn repository_json(repo: &Repository) -> Value {
    let mut encryption = json!({"encryptionType": repo.encryption_type});
    if let (Some(key), Some(obj)) = (&repo.kms_key, encryption.as_object_mut()) {
        obj.insert("kmsKey".into(), json!(key));
    }
    let mut out = json!({
        "repositoryArn": repo.arn,
        "registryId": repo.registry_id,
        "repositoryName": repo.name,
        "repositoryUri": repo.uri,
        "createdAt": repo.created_at,
        "imageTagMutability": repo.image_tag_mutability,
        "imageScanningConfiguration": {"scanOnPush": repo.scan_on_push},
        "encryptionConfiguration": encryption,
    });
    if let (false, Some(obj)) = (repo.mutability_exclusion_filters.is_empty(), out.as_object_mut()) {
        obj.insert(
            "imageTagMutabilityExclusionFilters".into(),
            filters_json(&repo.mutability_exclusion_filters),
        );
    }
    out
}

fn image_json(store: &EcrStore, repository: &str, image: &Image) -> Value {
    let mut out = Map::new();
    out.insert("registryId".into(), json!(store.account_id()));
    out.insert("repositoryName".into(), json!(repository));
    out.insert("imageDigest".into(), json!(image.digest));
    if !image.tags.is_empty() {
        out.insert("imageTags".into(), json!(image.tags));
    }
    out.insert("imageSizeInBytes".into(), json!(image.size_bytes));
    out.insert("imagePushedAt".into(), json!(image.pushed_at));
    out.insert("imageManifestMediaType".into(), json!(image.manifest_media_type));
    out.insert("artifactMediaType".into(), json!("application/vnd.oci.image.config.v1+json"));
    if let Some(scan) = &image.scan {
        out.insert("imageScanStatus".into(), json!({"status": scan.status, "description": scan.description}));
        out.insert(
            "imageScanFindingsSummary".into(),
            json!({
                "imageScanCompletedAt": scan.completed_at,
                "vulnerabilitySourceUpdatedAt": scan.vulnerability_source_updated_at,
                "findingSeverityCounts": scan.severity_counts,
            }),
        );
    }
    out.insert("imageStatus".into(), json!("ACTIVE"));
    Value::Object(out)
}

fn policy_json(store: &EcrStore, repository: &str, text: &str, last_evaluated_at: Option<f64>) -> Value {
    json!({
        "registryId": store.account_id(),
        "repositoryName": repository,
        "lifecyclePolicyText": text,
        // ECR reports the epoch for a policy that has not run yet.
        "lastEvaluatedAt": last_evaluated_at.unwrap_or(0.0),
    })
}

fn describe_repositories(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let names = match request.array("repositoryNames")? {
        None => None,
        Some(items) => Some(
            items
                .iter()
                .map(|v| {
                    str_member(Some(v), "repositoryNames")?
                        .ok_or_else(|| ApiError::missing("repositoryNames"))
                })
                .collect::<Result<Vec<String>, _>>()?,
        ),
    };
    if names.is_some() && request.field("maxResults").is_some() {
        return Err(EcrError::invalid("maxResults", "cannot be used together with repositoryNames").into());
    }
    let repos = store.describe_repositories(names.as_deref())?;
    let (page, next) = request.paginate(repos)?;
    let body = json!({"repositories": page.iter().map(repository_json).collect::<Vec<_>>()});
    Ok(with_next_token(body, next))
}

fn create_repository(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let scanning = request.object("imageScanningConfiguration")?;
    let scan_on_push = match scanning.and_then(|s| s.get("scanOnPush")) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(ApiError::serialization("Expected a boolean for 'scanOnPush'")),
    };
    let encryption = request.object("encryptionConfiguration")?;
    let encryption_type = match encryption {
        None => None,
        Some(e) => Some(
            str_member(e.get("encryptionType"), "encryptionType")?
                .ok_or_else(|| ApiError::missing("encryptionConfiguration.encryptionType"))?,
        ),
    };
    let kms_key = match encryption {
        None => None,
        Some(e) => str_member(e.get("kmsKey").filter(|v| !v.is_null()), "kmsKey")?,
    };
    let tags = match request.array("tags")? {
        Some(items) => tags_from(items)?,
        None => Vec::new(),
    };
    let repo = store.create_repository(CreateRepository {
        name: request.repository_name()?,
        image_tag_mutability: request.str("imageTagMutability")?,
        mutability_exclusion_filters: exclusion_filters(request)?,
        scan_on_push,
        encryption_type,
        kms_key,
        tags,
    })?;
    Ok(json!({"repository": repository_json(&repo)}))
}

fn delete_repository(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let force = request.bool("force")?.unwrap_or(false);
    let repo = store.delete_repository(&request.repository_name()?, force)?;
    Ok(json!({"repository": repository_json(&repo)}))
}

fn put_lifecycle_policy(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let name = request.repository_name()?;
    let text = request.required_str("lifecyclePolicyText")?;
    store.put_lifecycle_policy(&name, &text)?;
    Ok(json!({"registryId": store.account_id(), "repositoryName": name, "lifecyclePolicyText": text}))
}

fn get_lifecycle_policy(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let name = request.repository_name()?;
    let policy = store.get_lifecycle_policy(&name)?;
    Ok(policy_json(store, &name, &policy.text, policy.last_evaluated_at))
}

fn delete_lifecycle_policy(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let name = request.repository_name()?;
    let policy = store.delete_lifecycle_policy(&name)?;
    Ok(policy_json(store, &name, &policy.text, policy.last_evaluated_at))
}

fn describe_images(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let name = request.repository_name()?;
    let ids = match request.array("imageIds")? {
        None => None,
        Some(items) => Some(items.iter().map(image_id).collect::<Result<Vec<_>, _>>()?),
    };
    if ids.is_some() && request.field("maxResults").is_some() {
        return Err(EcrError::invalid("maxResults", "cannot be used together with imageIds").into());
    }
    let images = store.describe_images(&name, ids.as_deref(), request.tag_status()?)?;
    let (page, next) = request.paginate(images)?;
    let details: Vec<Value> = page.iter().map(|i| image_json(store, &name, i)).collect();
    Ok(with_next_token(json!({"imageDetails": details}), next))
}

fn list_images(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let ids = store.list_images(&request.repository_name()?, request.tag_status()?)?;
    let (page, next) = request.paginate(ids)?;
    let ids: Vec<Value> = page.iter().map(image_id_json).collect();
    Ok(with_next_token(json!({"imageIds": ids}), next))
}

fn describe_image_scan_findings(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let name = request.repository_name()?;
    let id = image_id(request.field("imageId").ok_or_else(|| ApiError::missing("imageId"))?)?;
    let result = store.describe_image_scan_findings(&name, &id)?;
    let (page, next) = request.paginate(result.findings)?;
    let findings: Vec<Value> = page
        .iter()
        .map(|f| {
            let attributes: Vec<Value> =
                f.attributes.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
            json!({
                "name": f.name,
                "description": f.description,
                "uri": f.uri,
                "severity": f.severity,
                "attributes": attributes,
            })
        })
        .collect();
    let echoed = ImageId { digest: Some(result.image.digest.clone()), tag: id.tag };
    let body = json!({
        "registryId": store.account_id(),
        "repositoryName": name,
        "imageId": image_id_json(&echoed),
        "imageScanStatus": {"status": result.scan.status, "description": result.scan.description},
        "imageScanFindings": {
            "imageScanCompletedAt": result.scan.completed_at,
            "vulnerabilitySourceUpdatedAt": result.scan.vulnerability_source_updated_at,
            "findingSeverityCounts": result.scan.severity_counts,
            "findings": findings,
        },
    });
    Ok(with_next_token(body, next))
}

fn put_image_scanning_configuration(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let name = request.repository_name()?;
    let config = request
        .object("imageScanningConfiguration")?
        .ok_or_else(|| ApiError::missing("imageScanningConfiguration"))?;
    let scan_on_push = match config.get("scanOnPush") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::serialization("Expected a boolean for 'scanOnPush'")),
    };
    let repo = store.put_image_scanning_configuration(&name, scan_on_push)?;
    Ok(json!({
        "registryId": repo.registry_id,
        "repositoryName": repo.name,
        "imageScanningConfiguration": {"scanOnPush": repo.scan_on_push},
    }))
}

fn put_image_tag_mutability(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let name = request.repository_name()?;
    let mutability = request.required_str("imageTagMutability")?;
    let repo = store.put_image_tag_mutability(&name, &mutability, exclusion_filters(request)?)?;
    let mut out = json!({
        "registryId": repo.registry_id,
        "repositoryName": repo.name,
        "imageTagMutability": repo.image_tag_mutability,
    });
    if let (false, Some(obj)) = (repo.mutability_exclusion_filters.is_empty(), out.as_object_mut()) {
        obj.insert(
            "imageTagMutabilityExclusionFilters".into(),
            filters_json(&repo.mutability_exclusion_filters),
        );
    }
    Ok(out)
}

fn list_tags_for_resource(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let tags = store.list_tags_for_resource(&request.required_str("resourceArn")?)?;
    Ok(json!({"tags": tags_json(&tags)}))
}

fn tag_resource(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let arn = request.required_str("resourceArn")?;
    let tags = tags_from(request.array("tags")?.ok_or_else(|| ApiError::missing("tags"))?)?;
    store.tag_resource(&arn, tags)?;
    Ok(json!({}))
}

fn untag_resource(store: &EcrStore, request: &Req) -> Result<Value, ApiError> {
    let arn = request.required_str("resourceArn")?;
    let keys = request
        .array("tagKeys")?
        .ok_or_else(|| ApiError::missing("tagKeys"))?
        .iter()
        .map(|v| str_member(Some(v), "tagKeys")?.ok_or_else(|| ApiError::missing("tagKeys")))
        .collect::<Result<Vec<String>, _>>()?;
    store.untag_resource(&arn, &keys)?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultSpec;
    use std::collections::BTreeMap;

    const ACCOUNT: &str = "123456789012";

    async fn serve(faults: FaultSpec) -> (String, Arc<EcrStore>) {
        let store = Arc::new(EcrStore::new("eu-west-1", ACCOUNT));
        let state = EcrState { store: store.clone(), faults: Arc::new(Faults::new(faults)) };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        (format!("http://{addr}"), store)
    }

    struct Reply {
        status: u16,
        error_type: Option<String>,
        body: Value,
    }

    /// A made-up SigV4 header: the sim must not care.
    const SIGV4: &str = "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/ecr/aws4_request, \
                         SignedHeaders=host, Signature=00";

    async fn call_raw(base: &str, target: &str, body: &str) -> Reply {
        let response = reqwest::Client::new()
            .post(format!("{base}/"))
            .header("Content-Type", CONTENT_TYPE)
            .header("X-Amz-Target", target)
            .header("Authorization", SIGV4)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let status = response.status().as_u16();
        let error_type = response.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
        Reply { status, error_type, body: response.json().await.unwrap() }
    }

    async fn call(base: &str, op: &str, body: Value) -> Reply {
        call_raw(base, &format!("{TARGET_PREFIX}{op}"), &body.to_string()).await
    }

    fn assert_error(reply: &Reply, status: u16, code: &str) {
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(reply.body["__type"], code, "{}", reply.body);
        assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(reply.error_type.as_deref(), Some(code));
    }

    #[tokio::test]
    async fn repositories_create_describe_paginate_delete() {
        let (base, store) = serve(FaultSpec::default()).await;
        let created = call(
            &base,
            "CreateRepository",
            json!({"repositoryName": "payments/api", "imageTagMutability": "IMMUTABLE",
                   "imageScanningConfiguration": {"scanOnPush": true},
                   "encryptionConfiguration": {"encryptionType": "AES256"},
                   "tags": [{"Key": "team", "Value": "payments"}]}),
        )
        .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let repo = &created.body["repository"];
        assert_eq!(repo["repositoryArn"], "arn:aws:ecr:eu-west-1:123456789012:repository/payments/api");
        assert_eq!(repo["repositoryUri"], "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api");
        assert!(repo["createdAt"].as_f64().unwrap() > 1.7e9, "epoch seconds as a number");
        assert_eq!(repo["imageTagMutability"], "IMMUTABLE");
        assert_eq!(repo["encryptionConfiguration"], json!({"encryptionType": "AES256"}));

        let again = call(&base, "CreateRepository", json!({"repositoryName": "payments/api"})).await;
        assert_error(&again, 400, "RepositoryAlreadyExistsException");
        let bad = call(&base, "CreateRepository", json!({"repositoryName": "Bad_Name"})).await;
        assert_error(&bad, 400, "InvalidParameterException");

        for name in ["a1", "b2", "c3"] {
            call(&base, "CreateRepository", json!({"repositoryName": name})).await;
        }
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = json!({"maxResults": 3});
            if let Some(t) = &token {
                request["nextToken"] = json!(t);
            }
            let page = call(&base, "DescribeRepositories", request).await;
            assert_eq!(page.status, 200);
            names.extend(
                page.body["repositories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["repositoryName"].as_str().unwrap().to_string()),
            );
            match page.body.get("nextToken").and_then(Value::as_str) {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        assert_eq!(names, vec!["a1", "b2", "c3", "payments/api"]);
        let bad_token = call(&base, "DescribeRepositories", json!({"nextToken": "garbage"})).await;
        assert_error(&bad_token, 400, "InvalidParameterException");
        let too_many = call(&base, "DescribeRepositories", json!({"maxResults": 5000})).await;
        assert_error(&too_many, 400, "InvalidParameterException");

        let one = call(&base, "DescribeRepositories", json!({"repositoryNames": ["b2"]})).await;
        assert_eq!(one.body["repositories"].as_array().unwrap().len(), 1);
        let missing = call(&base, "DescribeRepositories", json!({"repositoryNames": ["b2", "nope"]})).await;
        assert_error(&missing, 400, "RepositoryNotFoundException");
        assert!(missing.body["message"].as_str().unwrap().contains("'nope'"));

        store.seed_image("b2", "v1", "sha256:abc", 42, BTreeMap::new());
        let not_empty = call(&base, "DeleteRepository", json!({"repositoryName": "b2"})).await;
        assert_error(&not_empty, 400, "RepositoryNotEmptyException");
        let forced = call(&base, "DeleteRepository", json!({"repositoryName": "b2", "force": true})).await;
        assert_eq!(forced.body["repository"]["repositoryName"], "b2");
        let gone = call(&base, "DeleteRepository", json!({"repositoryName": "b2"})).await;
        assert_error(&gone, 400, "RepositoryNotFoundException");
    }

    #[tokio::test]
    async fn protocol_errors() {
        let (base, _) = serve(FaultSpec::default()).await;
        let unknown = call(&base, "LaunchRockets", json!({})).await;
        assert_error(&unknown, 400, "UnknownOperationException");
        let no_prefix = call_raw(&base, "DescribeRepositories", "{}").await;
        assert_error(&no_prefix, 400, "UnknownOperationException");
        let malformed = call_raw(&base, &format!("{TARGET_PREFIX}DescribeRepositories"), "{not json").await;
        assert_error(&malformed, 400, "SerializationException");
        let wrong_type = call(&base, "DescribeRepositories", json!({"repositoryNames": "a1"})).await;
        assert_error(&wrong_type, 400, "SerializationException");
        let missing = call(&base, "DeleteRepository", json!({})).await;
        assert_error(&missing, 400, "InvalidParameterException");
        let empty = call_raw(&base, &format!("{TARGET_PREFIX}DescribeRepositories"), "").await;
        assert_eq!(empty.status, 200);
        let other_registry = call(&base, "DescribeRepositories", json!({"registryId": "999999999999"})).await;
        assert_error(&other_registry, 400, "InvalidParameterException");
    }

    #[tokio::test]
    async fn lifecycle_policies() {
        let (base, _) = serve(FaultSpec::default()).await;
        call(&base, "CreateRepository", json!({"repositoryName": "svc"})).await;
        let rule = json!({
            "rulePriority": 1,
            "description": "Expire untagged after 14 days",
            "selection": {
                "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                "countNumber": 14
            },
            "action": {"type": "expire"}
        });
        let text = json!({"rules": [rule]}).to_string();
        let none = call(&base, "GetLifecyclePolicy", json!({"repositoryName": "svc"})).await;
        assert_error(&none, 400, "LifecyclePolicyNotFoundException");
        let put =
            call(&base, "PutLifecyclePolicy", json!({"repositoryName": "svc", "lifecyclePolicyText": text}))
                .await;
        assert_eq!(put.status, 200);
        assert_eq!(
            put.body,
            json!({"registryId": ACCOUNT, "repositoryName": "svc", "lifecyclePolicyText": text})
        );
        let got = call(&base, "GetLifecyclePolicy", json!({"repositoryName": "svc"})).await;
        assert_eq!(got.body["lifecyclePolicyText"], text);
        assert!(got.body["lastEvaluatedAt"].is_number());
        let deleted = call(&base, "DeleteLifecyclePolicy", json!({"repositoryName": "svc"})).await;
        assert_eq!(deleted.body["lifecyclePolicyText"], text);
        let invalid = text.replace("\"untagged\"", "\"tagged\"");
        let rejected = call(
            &base,
            "PutLifecyclePolicy",
            json!({"repositoryName": "svc", "lifecyclePolicyText": invalid}),
        )
        .await;
        assert_error(&rejected, 400, "InvalidParameterException");
        let not_json = call(
            &base,
            "PutLifecyclePolicy",
            json!({"repositoryName": "svc", "lifecyclePolicyText": "x".repeat(120)}),
        )
        .await;
        assert_error(&not_json, 400, "InvalidParameterException");
    }

    #[tokio::test]
    async fn images_listing_and_scan_findings() {
        let (base, store) = serve(FaultSpec::default()).await;
        let counts: BTreeMap<String, u32> = [("HIGH".to_string(), 2), ("MEDIUM".to_string(), 150)].into();
        store.seed_image("svc", "abc123", "sha256:one", 1000, counts);
        store.seed_image("svc", "latest", "sha256:one", 1000, BTreeMap::new());
        store.seed_image("svc", "old", "sha256:zero", 500, BTreeMap::new());
        store.seed_image("svc", "old", "sha256:one", 1000, BTreeMap::new());

        let all = call(&base, "DescribeImages", json!({"repositoryName": "svc"})).await;
        let details = all.body["imageDetails"].as_array().unwrap();
        assert_eq!(details.len(), 2);
        let tagged = details.iter().find(|d| d["imageDigest"] == "sha256:one").unwrap();
        assert_eq!(tagged["imageTags"], json!(["abc123", "latest", "old"]));
        assert_eq!(tagged["imageScanStatus"]["status"], "COMPLETE");
        assert!(tagged["imagePushedAt"].is_number());
        let untagged = details.iter().find(|d| d["imageDigest"] == "sha256:zero").unwrap();
        assert!(untagged.get("imageTags").is_none(), "untagged images omit imageTags");

        let only_untagged = call(
            &base,
            "DescribeImages",
            json!({"repositoryName": "svc", "filter": {"tagStatus": "UNTAGGED"}}),
        )
        .await;
        assert_eq!(only_untagged.body["imageDetails"].as_array().unwrap().len(), 1);
        let bad_filter =
            call(&base, "DescribeImages", json!({"repositoryName": "svc", "filter": {"tagStatus": "MAYBE"}}))
                .await;
        assert_error(&bad_filter, 400, "InvalidParameterException");
        let by_tag = call(
            &base,
            "DescribeImages",
            json!({"repositoryName": "svc", "imageIds": [{"imageTag": "latest"}]}),
        )
        .await;
        assert_eq!(by_tag.body["imageDetails"][0]["imageDigest"], "sha256:one");
        let missing = call(
            &base,
            "DescribeImages",
            json!({"repositoryName": "svc", "imageIds": [{"imageTag": "nope"}]}),
        )
        .await;
        assert_error(&missing, 400, "ImageNotFoundException");
        let no_repo = call(&base, "DescribeImages", json!({"repositoryName": "nope"})).await;
        assert_error(&no_repo, 400, "RepositoryNotFoundException");

        let listed = call(&base, "ListImages", json!({"repositoryName": "svc", "maxResults": 2})).await;
        assert_eq!(listed.body["imageIds"].as_array().unwrap().len(), 2);
        let token = listed.body["nextToken"].as_str().unwrap().to_string();
        let rest = call(&base, "ListImages", json!({"repositoryName": "svc", "nextToken": token})).await;
        assert_eq!(rest.body["imageIds"].as_array().unwrap().len(), 2);
        assert!(rest.body.get("nextToken").is_none());

        let findings = call(
            &base,
            "DescribeImageScanFindings",
            json!({"repositoryName": "svc", "imageId": {"imageTag": "abc123"}}),
        )
        .await;
        assert_eq!(findings.status, 200, "{}", findings.body);
        assert_eq!(findings.body["imageId"], json!({"imageDigest": "sha256:one", "imageTag": "abc123"}));
        let scan = &findings.body["imageScanFindings"];
        assert_eq!(scan["findingSeverityCounts"], json!({"HIGH": 2, "MEDIUM": 150}));
        assert_eq!(scan["findings"].as_array().unwrap().len(), 100, "first page");
        assert!(findings.body["nextToken"].is_string());
        let no_image = call(
            &base,
            "DescribeImageScanFindings",
            json!({"repositoryName": "svc", "imageId": {"imageTag": "x"}}),
        )
        .await;
        assert_error(&no_image, 400, "ImageNotFoundException");
    }

    #[tokio::test]
    async fn settings_and_tags() {
        let (base, _) = serve(FaultSpec::default()).await;
        let created = call(&base, "CreateRepository", json!({"repositoryName": "svc"})).await;
        let arn = created.body["repository"]["repositoryArn"].as_str().unwrap().to_string();
        let scanning = call(
            &base,
            "PutImageScanningConfiguration",
            json!({"repositoryName": "svc", "imageScanningConfiguration": {"scanOnPush": false}}),
        )
        .await;
        assert_eq!(scanning.body["imageScanningConfiguration"], json!({"scanOnPush": false}));
        let mutability = call(
            &base,
            "PutImageTagMutability",
            json!({"repositoryName": "svc", "imageTagMutability": "IMMUTABLE"}),
        )
        .await;
        assert_eq!(mutability.body["imageTagMutability"], "IMMUTABLE");
        let described = call(&base, "DescribeRepositories", json!({"repositoryNames": ["svc"]})).await;
        let repo = &described.body["repositories"][0];
        assert_eq!(
            (repo["imageTagMutability"].as_str(), repo["imageScanningConfiguration"]["scanOnPush"].as_bool()),
            (Some("IMMUTABLE"), Some(false))
        );

        let tagged =
            call(&base, "TagResource", json!({"resourceArn": arn, "tags": [{"Key": "team", "Value": "a"}]}))
                .await;
        assert_eq!((tagged.status, &tagged.body), (200, &json!({})));
        let listed = call(&base, "ListTagsForResource", json!({"resourceArn": arn})).await;
        assert_eq!(listed.body, json!({"tags": [{"Key": "team", "Value": "a"}]}));
        let reserved =
            call(&base, "TagResource", json!({"resourceArn": arn, "tags": [{"Key": "aws:x", "Value": "a"}]}))
                .await;
        assert_error(&reserved, 400, "InvalidTagParameterException");
        call(&base, "UntagResource", json!({"resourceArn": arn, "tagKeys": ["team"]})).await;
        let listed = call(&base, "ListTagsForResource", json!({"resourceArn": arn})).await;
        assert_eq!(listed.body, json!({"tags": []}));
    }

    #[tokio::test]
    async fn error_fault_is_a_server_exception() {
        let (base, _) = serve(FaultSpec { error_rate: 1.0, ..FaultSpec::default() }).await;
        let reply = call(&base, "DescribeRepositories", json!({})).await;
        assert_error(&reply, 500, "ServerException");
    }

    /// The real AWS SDK, pointed at the sim, parses its responses and errors.
    #[tokio::test]
    async fn aws_sdk_round_trip() {
        let (base, store) = serve(FaultSpec::default()).await;
        store.seed_image("payments/api", "latest", "sha256:feed", 123, [("HIGH".to_string(), 1)].into());
        let config = aws_sdk_ecr::Config::builder()
            .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
            .region(aws_sdk_ecr::config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_ecr::config::Credentials::new("test", "test", None, None, "static"))
            .endpoint_url(&base)
            .build();
        let client = aws_sdk_ecr::Client::from_conf(config);
        let repos = client.describe_repositories().send().await.unwrap();
        let repo = &repos.repositories()[0];
        assert_eq!(repo.repository_name(), Some("payments/api"));
        assert!(repo.created_at().is_some_and(|t| t.secs() > 1_700_000_000));
        let images = client.describe_images().repository_name("payments/api").send().await.unwrap();
        let detail = &images.image_details()[0];
        assert_eq!(detail.image_tags(), ["latest".to_string()]);
        assert_eq!(
            detail
                .image_scan_findings_summary()
                .and_then(|s| s.finding_severity_counts())
                .and_then(|c| c.get(&aws_sdk_ecr::types::FindingSeverity::High)),
            Some(&1)
        );
        let err = client.describe_repositories().repository_names("nope").send().await.unwrap_err();
        let service_err = err.into_service_error();
        assert!(service_err.is_repository_not_found_exception(), "{service_err:?}");
    }
}
