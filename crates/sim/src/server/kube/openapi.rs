//! OpenAPI v3 discovery (`/openapi/v3` and one document per group-version), as far as kubectl needs it:
//! `kubectl apply` and `create` validate by asking the server for strict field validation when a
//! group-version's PATCH operations declare the `fieldValidation` query parameter (client-go's
//! `QueryParamVerifierV3`); without these documents kubectl refuses to validate at all. Schemas are not
//! served: the documents describe operations only.

use serde_json::{Map, Value, json};

use crate::resources::{ALL, ResourceKind};

/// `api/v1` or `apis/{group}/{version}`: how OpenAPI v3 discovery names a group-version.
fn gv_path(kind: &ResourceKind) -> String {
    if kind.group.is_empty() {
        format!("api/{}", kind.version)
    } else {
        format!("apis/{}/{}", kind.group, kind.version)
    }
}

/// The discovery root: every group-version and where its document is.
pub fn root() -> Value {
    let mut paths = Map::new();
    for kind in ALL {
        let gv = gv_path(kind);
        let url = format!("/openapi/v3/{gv}?hash={:016X}", crate::controllers::events::fnv(&[&gv]));
        paths.insert(gv, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

/// The document of one group-version (`api/v1`, `apis/apps/v1`), None if it is not served.
pub fn group_version(gv: &str) -> Option<Value> {
    let kinds: Vec<&ResourceKind> = ALL.iter().filter(|k| gv_path(k) == gv.trim_matches('/')).collect();
    if kinds.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for kind in kinds {
        let gvk = json!({"group": kind.group, "version": kind.version, "kind": kind.kind});
        let field_validation = json!({"name": "fieldValidation", "in": "query",
            "description": "Strict, Warn or Ignore: what the server does with unknown or duplicate fields.",
            "schema": {"type": "string", "uniqueItems": true}});
        let dry_run =
            json!({"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}});
        let operation = |verb: &str| {
            json!({"operationId": format!("{verb}{}", kind.kind), "x-kubernetes-action": verb,
                "x-kubernetes-group-version-kind": gvk, "parameters": [field_validation, dry_run],
                "responses": {"200": {"description": "OK"}}})
        };
        let base = format!("/{}", gv_path(kind));
        let collection = if kind.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", kind.plural)
        } else {
            format!("{base}/{}", kind.plural)
        };
        paths.insert(collection.clone(), json!({"post": operation("post")}));
        paths.insert(
            format!("{collection}/{{name}}"),
            json!({"put": operation("put"), "patch": operation("patch")}),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.34.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_version_has_a_document_with_field_validation() {
        let root = root();
        let paths = root["paths"].as_object().unwrap();
        assert!(paths.contains_key("api/v1") && paths.contains_key("apis/argoproj.io/v1alpha1"));
        for (gv, entry) in paths {
            assert!(
                entry["serverRelativeURL"].as_str().unwrap().starts_with(&format!("/openapi/v3/{gv}?hash="))
            );
            let doc = group_version(gv).unwrap();
            assert!(!doc["paths"].as_object().unwrap().is_empty());
        }
        let doc = group_version("apis/argoproj.io/v1alpha1").unwrap();
        let patch =
            &doc["paths"]["/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "Application");
        assert_eq!(patch["parameters"][0]["name"], "fieldValidation");
        assert!(group_version("apis/nope/v1").is_none());
    }
}
