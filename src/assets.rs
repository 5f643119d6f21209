//! Files embedded in the binary, so an installed `platdeck` works from any directory.

/// A built-in scenario's YAML by name.
pub fn scenario(name: &str) -> Option<&'static str> {
    match name {
        "platform" => Some(include_str!("../assets/scenarios/platform.yaml")),
        "incident" => Some(include_str!("../assets/scenarios/incident.yaml")),
        _ => None,
    }
}

pub const SCENARIO_NAMES: &[&str] = &["platform", "incident"];

/// A built-in Kyverno policy's YAML by name.
pub fn policy(name: &str) -> Option<&'static str> {
    match name {
        "require-observability-labels" => {
            Some(include_str!("../assets/policies/require-observability-labels.yaml"))
        }
        _ => None,
    }
}
