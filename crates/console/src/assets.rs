//! Files embedded in the binary, so an installed `platdeck` works from any directory.

pub use platdeck_core::assets::policy;

/// A built-in manifest (templated from the config before it is applied) by name.
pub fn manifest(name: &str) -> Option<&'static str> {
    match name {
        "platform-apps" => Some(include_str!("../../../assets/manifests/platform-apps.yaml")),
        // The Kyverno policy is one file, whether the sim seeds it or provisioning applies it.
        other => policy(other),
    }
}

/// A built-in task suite by name.
pub fn task_suite(name: &str) -> Option<&'static str> {
    match name {
        "validate" => Some(include_str!("../../../assets/tasks/validate.yaml")),
        "provision" => Some(include_str!("../../../assets/tasks/provision.yaml")),
        _ => None,
    }
}

/// The built-in service templates (`assets/templates/<name>/`: `template.yaml` and its skeleton).
pub static TEMPLATES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../assets/templates");

/// A built-in template's directory by name.
pub fn template(name: &str) -> Option<&'static include_dir::Dir<'static>> {
    TEMPLATES.get_dir(name)
}

/// The built-in templates' names, sorted.
pub fn template_names() -> Vec<&'static str> {
    let mut names: Vec<&str> =
        TEMPLATES.dirs().filter_map(|d| d.path().file_name().and_then(|n| n.to_str())).collect();
    names.sort_unstable();
    names
}
