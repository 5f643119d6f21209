//! Files both worlds embed: the Kyverno policy is one file, whether the sim seeds it, provisioning applies
//! it or the scaffold checks a new service against it.

/// A built-in Kyverno policy's YAML by name.
pub fn policy(name: &str) -> Option<&'static str> {
    match name {
        "require-observability-labels" => {
            Some(include_str!("../../../assets/policies/require-observability-labels.yaml"))
        }
        _ => None,
    }
}
