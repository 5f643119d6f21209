//! `tools`: the command-line tools a suite relies on are on `PATH`.

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Built, built};
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub tools: Vec<String>,
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!("look for {} on PATH", p.tools.join(", "));
    built(p, env, run, plan, false, false)
}

fn run<'a>(p: &'a Params, _env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut missing = Vec::new();
        for tool in &p.tools {
            match find(tool, &path) {
                Some(found) => io.line(format!("{tool}: {}", found.display())),
                None => missing.push(tool.clone()),
            }
        }
        if missing.is_empty() {
            Outcome::Passed(format!("{} on PATH", p.tools.join(", ")))
        } else {
            Outcome::Failed(format!(
                "not on PATH: {} — install it or add its directory to PATH",
                missing.join(", ")
            ))
        }
    })
}

/// The first executable file named `tool` in the `PATH` directories.
fn find(tool: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::split_paths(path).map(|dir| dir.join(tool)).find(|candidate| {
        std::fs::metadata(candidate).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_executables_only() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("mytool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("plain"), "").unwrap();
        let path = dir.path().as_os_str();
        assert_eq!(find("mytool", path), Some(exe));
        assert_eq!(find("plain", path), None);
        assert_eq!(find("absent", path), None);
    }
}
