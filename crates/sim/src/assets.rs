//! The built-in scenarios, embedded so an installed `platdeck` runs its demo from any directory.

/// A built-in scenario's YAML by name.
pub fn scenario(name: &str) -> Option<&'static str> {
    match name {
        "platform" => Some(include_str!("../../../assets/scenarios/platform.yaml")),
        "incident" => Some(include_str!("../../../assets/scenarios/incident.yaml")),
        _ => None,
    }
}

/// The built-in scenarios' names.
pub const SCENARIO_NAMES: &[&str] = &["platform", "incident"];
