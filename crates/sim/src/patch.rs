//! Patch application: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes strategic merge patch.

use serde_json::{Map, Value};

/// The patch types the API server accepts, chosen by the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media {
            "application/json-patch+json" => Some(Self::Json),
            "application/merge-patch+json" => Some(Self::Merge),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// Applies an RFC 6902 JSON patch.
pub fn apply_json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let patch: json_patch::Patch = serde_json::from_value(patch.clone()).map_err(|e| e.to_string())?;
    json_patch::patch(target, &patch).map_err(|e| e.to_string())
}

/// Applies an RFC 7386 JSON merge patch.
pub fn apply_merge_patch(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

/// The merge key of a list field in built-in types, from the Kubernetes Go struct tags
/// (`patchMergeKey`). Lists not named here are replaced whole, as with `patchStrategy` unset.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "containerStatuses"
        | "initContainerStatuses" => Some("name"),
        "volumeMounts" | "volumeDevices" => Some("mountPath"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "ports" => Some("containerPort"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        _ => None,
    }
}

/// Lists of scalars that strategic merge unions instead of replacing.
fn merges_primitives(field: &str) -> bool {
    matches!(field, "finalizers")
}

/// Applies a Kubernetes strategic merge patch to a built-in object.
pub fn apply_strategic_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    strategic_merge(target, patch, "")
}

fn strategic_merge(target: &mut Value, patch: &Value, field: &str) -> Result<(), String> {
    match patch {
        Value::Object(patch_map) => {
            match patch_map.get("$patch").and_then(Value::as_str) {
                Some("replace") => {
                    let mut replaced = patch_map.clone();
                    replaced.remove("$patch");
                    *target = Value::Object(replaced);
                    return Ok(());
                }
                Some("delete") => {
                    *target = Value::Null;
                    return Ok(());
                }
                Some(other) if other != "merge" => {
                    return Err(format!("unknown patch directive $patch: {other}"));
                }
                _ => {}
            }
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let Some(target_map) = target.as_object_mut() else { return Ok(()) };
            for (key, value) in patch_map {
                if key.starts_with('$') {
                    if let Some(list_field) = key.strip_prefix("$deleteFromPrimitiveList/") {
                        delete_from_primitive_list(target_map, list_field, value);
                    }
                    // `$setElementOrder/...` and `$retainKeys` only affect ordering/pruning; ignored here.
                    continue;
                }
                if value.is_null() {
                    target_map.remove(key);
                    continue;
                }
                let slot = target_map.entry(key.clone()).or_insert(Value::Null);
                strategic_merge(slot, value, key)?;
            }
            Ok(())
        }
        Value::Array(patch_list) => {
            if let Some(key) = merge_key(field)
                && patch_list.iter().all(Value::is_object)
            {
                merge_list_by_key(target, patch_list, key)
            } else if merges_primitives(field) {
                let mut list = target.as_array().cloned().unwrap_or_default();
                for v in patch_list {
                    if !list.contains(v) {
                        list.push(v.clone());
                    }
                }
                *target = Value::Array(list);
                Ok(())
            } else {
                *target = patch.clone();
                Ok(())
            }
        }
        _ => {
            *target = patch.clone();
            Ok(())
        }
    }
}

fn merge_list_by_key(target: &mut Value, patch_list: &[Value], key: &str) -> Result<(), String> {
    let mut list = target.as_array().cloned().unwrap_or_default();
    for item in patch_list {
        let id = item.get(key).cloned().unwrap_or(Value::Null);
        let directive = item.get("$patch").and_then(Value::as_str);
        let pos = list.iter().position(|existing| existing.get(key) == Some(&id) && !id.is_null());
        match (pos, directive) {
            (Some(i), Some("delete")) => {
                list.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => strategic_merge(&mut list[i], item, "")?,
            (None, _) => {
                let mut fresh = Value::Null;
                strategic_merge(&mut fresh, item, "")?;
                list.push(fresh);
            }
        }
    }
    *target = Value::Array(list);
    Ok(())
}

fn delete_from_primitive_list(map: &mut Map<String, Value>, field: &str, values: &Value) {
    let (Some(list), Some(remove)) = (map.get_mut(field).and_then(Value::as_array_mut), values.as_array())
    else {
        return;
    };
    list.retain(|v| !remove.contains(v));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_types() {
        assert_eq!(PatchType::from_content_type("application/merge-patch+json"), Some(PatchType::Merge));
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json; charset=utf-8"),
            Some(PatchType::Strategic)
        );
        assert_eq!(PatchType::from_content_type("text/plain"), None);
    }

    #[test]
    fn rollout_restart_patch_adds_an_annotation() {
        let mut d = json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "app", "image": "x:1"}]}}}});
        let p = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}});
        apply_strategic_patch(&mut d, &p).unwrap();
        assert_eq!(d["spec"]["template"]["metadata"]["labels"]["a"], "b");
        assert_eq!(
            d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "x:1");
    }

    #[test]
    fn containers_merge_by_name() {
        let mut d =
            json!({"containers": [{"name": "app", "image": "x:1"}, {"name": "side", "image": "s:1"}]});
        apply_strategic_patch(&mut d, &json!({"containers": [{"name": "app", "image": "x:2"}]})).unwrap();
        assert_eq!(d["containers"].as_array().unwrap().len(), 2);
        assert_eq!(d["containers"][0]["image"], "x:2");
        apply_strategic_patch(&mut d, &json!({"containers": [{"name": "side", "$patch": "delete"}]}))
            .unwrap();
        assert_eq!(d["containers"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn null_deletes_and_plain_lists_replace() {
        let mut d = json!({"a": 1, "args": ["x", "y"], "finalizers": ["f1"]});
        apply_strategic_patch(&mut d, &json!({"a": null, "args": ["z"], "finalizers": ["f2"]})).unwrap();
        assert_eq!(d, json!({"args": ["z"], "finalizers": ["f1", "f2"]}));
        apply_strategic_patch(&mut d, &json!({"$deleteFromPrimitiveList/finalizers": ["f1"]})).unwrap();
        assert_eq!(d["finalizers"], json!(["f2"]));
    }

    #[test]
    fn replace_directive() {
        let mut d = json!({"m": {"a": 1, "b": 2}});
        apply_strategic_patch(&mut d, &json!({"m": {"$patch": "replace", "c": 3}})).unwrap();
        assert_eq!(d, json!({"m": {"c": 3}}));
        assert!(apply_strategic_patch(&mut d, &json!({"m": {"$patch": "bogus"}})).is_err());
    }

    #[test]
    fn merge_and_json_patches() {
        let mut d = json!({"operation": null, "spec": {"x": 1}});
        apply_merge_patch(&mut d, &json!({"operation": {"sync": {}}, "spec": {"x": null}}));
        assert_eq!(d, json!({"operation": {"sync": {}}, "spec": {}}));
        apply_json_patch(&mut d, &json!([{"op": "add", "path": "/spec/y", "value": 2}])).unwrap();
        assert_eq!(d["spec"]["y"], 2);
        assert!(apply_json_patch(&mut d, &json!([{"op": "remove", "path": "/nope"}])).is_err());
        assert!(apply_json_patch(&mut d, &json!({"not": "a list"})).is_err());
    }
}
