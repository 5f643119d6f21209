//! Discovery documents: `/version`, `/api`, `/apis`, and one resource list per group-version.
//! Served as plain (legacy) `application/json`, which kubectl, client-go and kube-rs all accept.

use serde_json::{Value, json};

use crate::resources::{self, ResourceKind};

pub fn version() -> Value {
    json!({
        "major": "1", "minor": "34", "gitVersion": "v1.34.0-platdeck-sim", "gitCommit": "0000000",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24",
        "compiler": "gc", "platform": "linux/amd64"
    })
}

pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_entry(group: &str, versions: &[&str]) -> Value {
    let gvs: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v})).collect();
    json!({"name": group, "versions": gvs, "preferredVersion": gvs[0]})
}

pub fn api_group_list() -> Value {
    let groups: Vec<Value> =
        resources::groups().iter().map(|(group, versions)| group_entry(group, versions)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub fn api_group(group: &str) -> Option<Value> {
    let (name, versions) = resources::groups().into_iter().find(|(g, _)| *g == group)?;
    let mut entry = group_entry(name, &versions);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    Some(entry)
}

/// `APIResourceList` for a group-version, with subresources listed as `pods/log` etc.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let kinds: Vec<&ResourceKind> =
        resources::ALL.iter().filter(|k| k.group == group && k.version == version).collect();
    if kinds.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for k in kinds {
        let mut entry = json!({
            "name": k.plural, "singularName": k.singular, "namespaced": k.namespaced, "kind": k.kind,
            "verbs": k.verbs(),
        });
        if !k.short_names.is_empty() {
            entry["shortNames"] = json!(k.short_names);
        }
        if !k.categories.is_empty() {
            entry["categories"] = json!(k.categories);
        }
        list.push(entry);
        for sub in k.subresources {
            let verbs: &[&str] = match *sub {
                "log" => &["get"],
                "proxy" => &["create", "delete", "get", "patch", "update"],
                _ => &["get", "patch", "update"],
            };
            let sub_kind = match *sub {
                "scale" => "Scale",
                "proxy" => "ServiceProxyOptions",
                "log" => "Pod",
                _ => k.kind,
            };
            list.push(json!({
                "name": format!("{}/{sub}", k.plural), "singularName": "", "namespaced": k.namespaced,
                "kind": sub_kind, "verbs": verbs,
            }));
        }
    }
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": list}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argocd_resource_list_has_short_names() {
        let list = resource_list("argoproj.io", "v1alpha1").unwrap();
        assert_eq!(list["groupVersion"], "argoproj.io/v1alpha1");
        assert_eq!(list["resources"][0]["name"], "applications");
        assert_eq!(list["resources"][0]["shortNames"], json!(["app", "apps"]));
    }

    #[test]
    fn core_lists_pod_log_subresource() {
        let list = resource_list("", "v1").unwrap();
        let names: Vec<&str> =
            list["resources"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
        assert!(names.contains(&"pods") && names.contains(&"pods/log") && names.contains(&"namespaces"));
        assert!(resource_list("nope.io", "v1").is_none());
    }

    #[test]
    fn group_list_names_every_group_once() {
        let groups = api_group_list();
        let names: Vec<&str> =
            groups["groups"].as_array().unwrap().iter().filter_map(|g| g["name"].as_str()).collect();
        for group in ["apps", "batch", "argoproj.io", "kyverno.io", "wgpolicyk8s.io", "metrics.k8s.io"] {
            assert_eq!(names.iter().filter(|n| **n == group).count(), 1, "{group} in {names:?}");
        }
        let kyverno =
            groups["groups"].as_array().unwrap().iter().find(|g| g["name"] == "kyverno.io").unwrap();
        assert_eq!(kyverno["preferredVersion"]["version"], "v1");
        assert_eq!(kyverno["versions"].as_array().unwrap().len(), 2);
    }
}
