//! Values the shell completes by asking platdeck itself (`platdeck completions SHELL` registers it):
//! the kubeconfig's contexts, the built-in scenarios and the built-in templates (and paths where a
//! file or directory is taken instead).

use std::ffi::OsStr;

use clap_complete::engine::{CompletionCandidate, PathCompleter, ValueCompleter};

/// The contexts of the kubeconfig kubectl would read (`$KUBECONFIG`, else `~/.kube/config`).
pub fn kube_contexts(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = kube::config::Kubeconfig::read()
        .map(|config| config.contexts.into_iter().map(|c| c.name).collect())
        .unwrap_or_default();
    matching(names, current)
}

/// The built-in scenarios, then scenario files.
#[cfg(feature = "demo")]
pub fn scenarios(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = platdeck_sim::assets::SCENARIO_NAMES.iter().map(|n| n.to_string()).collect();
    let mut candidates = matching(names, current);
    candidates.extend(PathCompleter::file().complete(current));
    candidates
}

/// The built-in templates, then template directories.
pub fn templates(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = platdeck_console::assets::template_names().into_iter().map(str::to_string).collect();
    let mut candidates = matching(names, current);
    candidates.extend(PathCompleter::dir().complete(current));
    candidates
}

/// The names that start with what was typed so far, sorted.
fn matching(mut names: Vec<String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    names.retain(|name| name.starts_with(typed.as_ref()));
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// Writes the shell's registration script: it calls `platdeck` back with `COMPLETE=<shell>` set, so
/// completions always match the installed binary and the kubeconfig of the moment.
pub fn write_registration(shell: clap_complete::Shell, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let Some(completer) = shells.completer(&name) else {
        return Err(std::io::Error::other(format!("no completion support for {name}")));
    };
    completer.write_registration(COMPLETE_VAR, "platdeck", "platdeck", "platdeck", out)
}

/// The environment variable the registration sets when it asks for completions.
pub const COMPLETE_VAR: &str = "COMPLETE";

#[cfg(test)]
mod tests {
    use super::*;

    fn values(candidates: Vec<CompletionCandidate>) -> Vec<String> {
        candidates.iter().map(|c| c.get_value().to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn names_are_filtered_by_what_was_typed() {
        let names = vec!["prod-eu".to_string(), "dev".to_string(), "prod-us".to_string()];
        assert_eq!(values(matching(names, OsStr::new("prod"))), ["prod-eu", "prod-us"]);
    }

    #[test]
    fn templates_offer_the_built_in_ones() {
        let found = values(templates(OsStr::new("go")));
        assert!(found.contains(&"go-http".to_string()), "{found:?}");
        assert!(!found.contains(&"node-express".to_string()), "{found:?}");
    }

    #[cfg(feature = "demo")]
    #[test]
    fn scenarios_offer_the_built_in_ones() {
        let found = values(scenarios(OsStr::new("inc")));
        assert_eq!(found.first().map(String::as_str), Some("incident"), "{found:?}");
    }

    #[test]
    fn every_shell_has_a_registration() {
        use clap::ValueEnum;
        for shell in clap_complete::Shell::value_variants() {
            let mut out = Vec::new();
            write_registration(*shell, &mut out).unwrap();
            let script = String::from_utf8(out).unwrap();
            assert!(script.contains("COMPLETE"), "{shell}: {script}");
        }
    }
}
