//! The CustomResourceDefinitions of the kinds the sim serves as custom resources: the real ones from Argo CD
//! and Kyverno (`assets/crds`, written by `scripts/crds/generate`), so that `kubectl get crd`, k9s and the
//! Table columns of custom resources see what a real cluster with those releases installed would show.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::resources::ResourceKind;

const ASSETS: &[&str] = &[
    include_str!("../assets/crds/applications.argoproj.io.json"),
    include_str!("../assets/crds/appprojects.argoproj.io.json"),
    include_str!("../assets/crds/clusterpolicies.kyverno.io.json"),
    include_str!("../assets/crds/policies.kyverno.io.json"),
    include_str!("../assets/crds/validatingpolicies.policies.kyverno.io.json"),
    include_str!("../assets/crds/policyreports.wgpolicyk8s.io.json"),
    include_str!("../assets/crds/clusterpolicyreports.wgpolicyk8s.io.json"),
];

/// Every definition, parsed once. An asset that does not parse is left out (and fails the tests below).
pub fn definitions() -> &'static [Value] {
    static PARSED: OnceLock<Vec<Value>> = OnceLock::new();
    PARSED.get_or_init(|| ASSETS.iter().filter_map(|text| serde_json::from_str(text).ok()).collect())
}

/// The definition of a kind's group and plural, if it is a custom resource.
pub fn definition(kind: &ResourceKind) -> Option<&'static Value> {
    definitions().iter().find(|d| {
        d.pointer("/spec/group").and_then(Value::as_str) == Some(kind.group)
            && d.pointer("/spec/names/plural").and_then(Value::as_str) == Some(kind.plural)
    })
}

/// The definition's entry for the kind's version.
pub fn version(kind: &ResourceKind) -> Option<&'static Value> {
    definition(kind)?
        .pointer("/spec/versions")?
        .as_array()?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(kind.version))
}

/// The `Warning` a deprecated version carries on every response, as the apiserver sends it.
pub fn deprecation_warning(kind: &ResourceKind) -> Option<String> {
    let v = version(kind)?;
    if v.get("deprecated").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let text = match v.get("deprecationWarning").and_then(Value::as_str) {
        Some(text) => text.to_string(),
        None => format!("{} {} is deprecated", kind.api_version(), kind.kind),
    };
    Some(format!("299 - {}", json!(text)))
}

/// The stored object: the definition with what the apiserver adds once it has accepted it.
pub fn stored_object(definition: &Value, accepted_at: &str) -> Value {
    let mut object = definition.clone();
    let storage: Vec<Value> = definition
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| vs.iter().filter(|v| v["storage"] == true).map(|v| v["name"].clone()).collect())
        .unwrap_or_default();
    object["status"] = json!({
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": accepted_at,
                "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": accepted_at,
                "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ],
        "acceptedNames": definition.pointer("/spec/names").cloned().unwrap_or_else(|| json!({})),
        "storedVersions": storage,
    });
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{ALL, Serving};

    fn strings(v: Option<&Value>) -> Vec<&str> {
        v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
    }

    #[test]
    fn every_asset_parses() {
        assert_eq!(definitions().len(), ASSETS.len());
    }

    /// The served kinds and their CRDs agree: names, scope, short names, categories, served versions,
    /// the storage version and the status subresource.
    #[test]
    fn custom_resources_match_their_definitions() {
        let custom: Vec<&ResourceKind> =
            ALL.iter().filter(|k| !k.builtin && k.serving == Serving::Stored).collect();
        for k in &custom {
            let d = definition(k).unwrap_or_else(|| panic!("no CRD for {}", k.qualified_name()));
            let names = &d["spec"]["names"];
            assert_eq!(names["kind"], k.kind);
            assert_eq!(names["singular"], k.singular);
            assert_eq!(strings(names.get("shortNames")), k.short_names, "{}", k.plural);
            assert_eq!(strings(names.get("categories")), k.categories, "{}", k.plural);
            assert_eq!(d["spec"]["scope"] == "Namespaced", k.namespaced);
            let v = version(k).unwrap_or_else(|| panic!("{} {} not in its CRD", k.plural, k.version));
            assert_eq!(v["served"], true);
            assert_eq!(v["storage"] == true, k.storage.is_none(), "{} {}", k.plural, k.version);
            let has_status = v.pointer("/subresources/status").is_some();
            assert_eq!(has_status, k.subresources.contains(&"status"), "{} {}", k.plural, k.version);
        }
        for d in definitions() {
            for v in d["spec"]["versions"].as_array().unwrap().iter().filter(|v| v["served"] == true) {
                let served = custom.iter().any(|k| {
                    d["spec"]["group"] == k.group
                        && d["spec"]["names"]["plural"] == k.plural
                        && v["name"] == k.version
                });
                assert!(
                    served,
                    "{} {} is served by its CRD but not by the sim",
                    d["metadata"]["name"], v["name"]
                );
            }
        }
    }

    #[test]
    fn deprecated_versions_warn() {
        let w = deprecation_warning(&crate::resources::CLUSTER_POLICIES).unwrap();
        assert!(w.starts_with("299 - \"kyverno.io/v1 ClusterPolicy is deprecated"), "{w}");
        assert!(deprecation_warning(&crate::resources::APPLICATIONS).is_none());
    }

    #[test]
    fn stored_objects_are_established() {
        let d = definition(&crate::resources::POLICY_REPORTS).unwrap();
        let o = stored_object(d, "2026-01-01T00:00:00Z");
        assert_eq!(o["status"]["storedVersions"], json!(["v1alpha2"]));
        assert_eq!(o["status"]["acceptedNames"]["kind"], "PolicyReport");
        assert_eq!(o["status"]["conditions"][1]["type"], "Established");
    }
}
