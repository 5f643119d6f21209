//! Malformed requests get the right `Status` code and reason — never a panic or a hung connection.

use std::time::Duration;

use serde_json::{Value, json};

use super::harness::start_sim;

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    ct: &str,
    body: &str,
) -> (u16, Value) {
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        client.request(method, url).header("content-type", ct).body(body.to_string()).send(),
    )
    .await
    .expect("the sim answers (no hung connection)")
    .expect("request");
    let code = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (code, body)
}

#[tokio::test]
async fn malformed_requests_get_status_bodies() {
    let sim = start_sim("").await;
    let base = sim.endpoints.kubernetes.clone();
    let c = reqwest::Client::new();
    let pods = format!("{base}/api/v1/namespaces/platform-services/pods");
    let app = format!("{base}/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/orders-api");
    let deploy = format!("{base}/apis/apps/v1/namespaces/platform-services/deployments/orders-api");
    let json_ct = "application/json";
    let get = reqwest::Method::GET;

    let cases: Vec<(&str, reqwest::Method, String, &str, &str, u16, &str)> = vec![
        ("bad JSON body", reqwest::Method::POST, pods.clone(), json_ct, "{not json", 400, "BadRequest"),
        (
            "body that is not an object",
            reqwest::Method::POST,
            pods.clone(),
            json_ct,
            "[1,2]",
            400,
            "BadRequest",
        ),
        (
            "unknown resource",
            get.clone(),
            format!("{base}/api/v1/nosuchthings"),
            json_ct,
            "",
            404,
            "NotFound",
        ),
        (
            "unknown group",
            get.clone(),
            format!("{base}/apis/nope.io/v1/things"),
            json_ct,
            "",
            404,
            "NotFound",
        ),
        ("missing object", get.clone(), format!("{pods}/nope"), json_ct, "", 404, "NotFound"),
        (
            "bad label selector",
            get.clone(),
            format!("{pods}?labelSelector=a%20in%20(b"),
            json_ct,
            "",
            400,
            "BadRequest",
        ),
        (
            "bad field selector",
            get.clone(),
            format!("{pods}?fieldSelector=nonsense"),
            json_ct,
            "",
            400,
            "BadRequest",
        ),
        ("bad limit", get.clone(), format!("{pods}?limit=abc"), json_ct, "", 400, "BadRequest"),
        (
            "bad continue token",
            get.clone(),
            format!("{pods}?limit=1&continue=%21%21"),
            json_ct,
            "",
            400,
            "BadRequest",
        ),
        (
            "bad watch resourceVersion",
            get.clone(),
            format!("{pods}?watch=true&resourceVersion=abc"),
            json_ct,
            "",
            400,
            "BadRequest",
        ),
        (
            "unknown patch type",
            reqwest::Method::PATCH,
            deploy.clone(),
            "text/plain",
            "{}",
            415,
            "UnsupportedMediaType",
        ),
        (
            "strategic patch on a custom resource",
            reqwest::Method::PATCH,
            app.clone(),
            "application/strategic-merge-patch+json",
            "{}",
            415,
            "UnsupportedMediaType",
        ),
        (
            "JSON patch that does not apply",
            reqwest::Method::PATCH,
            deploy.clone(),
            "application/json-patch+json",
            r#"[{"op":"remove","path":"/nope"}]"#,
            422,
            "Invalid",
        ),
        (
            "JSON patch that is not a list",
            reqwest::Method::PATCH,
            deploy.clone(),
            "application/json-patch+json",
            r#"{"a":1}"#,
            422,
            "Invalid",
        ),
        (
            "merge patch that is not JSON",
            reqwest::Method::PATCH,
            deploy.clone(),
            "application/merge-patch+json",
            "{oops",
            400,
            "BadRequest",
        ),
        (
            "duplicate create",
            reqwest::Method::POST,
            format!("{base}/apis/apps/v1/namespaces/platform-services/deployments"),
            json_ct,
            r#"{"metadata":{"name":"orders-api"},"spec":{}}"#,
            409,
            "AlreadyExists",
        ),
        (
            "create in a missing namespace",
            reqwest::Method::POST,
            format!("{base}/api/v1/namespaces/ghost/pods"),
            json_ct,
            r#"{"metadata":{"name":"x"}}"#,
            404,
            "NotFound",
        ),
        (
            "invalid name",
            reqwest::Method::POST,
            pods.clone(),
            json_ct,
            r#"{"metadata":{"name":"Bad_Name"}}"#,
            422,
            "Invalid",
        ),
        (
            "wrong kind for the URL",
            reqwest::Method::POST,
            pods.clone(),
            json_ct,
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}"#,
            400,
            "BadRequest",
        ),
        (
            "stale resourceVersion on update",
            reqwest::Method::PUT,
            deploy.clone(),
            json_ct,
            r#"{"metadata":{"name":"orders-api","namespace":"platform-services","resourceVersion":"1"},"spec":{}}"#,
            409,
            "Conflict",
        ),
        (
            "name mismatch on update",
            reqwest::Method::PUT,
            deploy.clone(),
            json_ct,
            r#"{"metadata":{"name":"other"}}"#,
            400,
            "BadRequest",
        ),
        ("logs of a missing pod", get.clone(), format!("{pods}/nope/log"), json_ct, "", 404, "NotFound"),
        (
            "verb not allowed on discovery",
            reqwest::Method::POST,
            format!("{base}/api/v1"),
            json_ct,
            "{}",
            405,
            "MethodNotAllowed",
        ),
    ];
    for (what, method, url, ct, body, code, reason) in cases {
        let (got, status) = call(&c, method, &url, ct, body).await;
        assert_eq!(got, code, "{what}: {status}");
        assert_eq!(status["kind"], "Status", "{what}: {status}");
        assert_eq!(status["reason"], reason, "{what}: {status}");
        assert_eq!(status["code"], json!(code), "{what}: {status}");
    }
    // And the server still serves afterwards.
    let (code, list) = call(&c, get, &pods, json_ct, "").await;
    assert_eq!(code, 200);
    assert_eq!(list["kind"], "PodList");
    sim.shutdown().await;
}

#[tokio::test]
async fn pagination_returns_every_object_once_at_one_resource_version() {
    let sim = start_sim("").await;
    let c = reqwest::Client::new();
    let url = format!("{}/api/v1/pods", sim.endpoints.kubernetes);
    let (_, all) = call(&c, reqwest::Method::GET, &url, "application/json", "").await;
    let expected: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut rvs = std::collections::BTreeSet::new();
    loop {
        let page_url = match &token {
            Some(t) => format!("{url}?limit=4&continue={t}"),
            None => format!("{url}?limit=4"),
        };
        let (code, page) = call(&c, reqwest::Method::GET, &page_url, "application/json", "").await;
        assert_eq!(code, 200, "{page}");
        rvs.insert(page["metadata"]["resourceVersion"].as_str().unwrap().to_string());
        for p in page["items"].as_array().unwrap() {
            seen.push(p["metadata"]["name"].as_str().unwrap().to_string());
        }
        match page["metadata"]["continue"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no object twice");
    let mut want = expected.clone();
    want.sort();
    let mut got = seen.clone();
    got.sort();
    // Pods may come and go between pages only if the sim churns; the platform scenario at rest does not.
    assert_eq!(got, want);
    assert_eq!(rvs.len(), 1, "all pages share the first page's resourceVersion: {rvs:?}");
    sim.shutdown().await;
}
