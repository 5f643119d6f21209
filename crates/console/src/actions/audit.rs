//! The audit log: one JSON line per mutation attempt (time, user, context, action, object, result).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Mutation;

#[derive(Debug, Serialize, PartialEq)]
pub struct AuditEntry {
    pub time: String,
    pub user: String,
    pub context: String,
    pub action: String,
    pub namespace: String,
    pub object: String,
    /// `ok`, `blocked: ...`, `cancelled` or `error: ...`.
    pub result: String,
}

impl AuditEntry {
    pub fn new(mutation: &Mutation, result: impl Into<String>) -> Self {
        Self {
            time: jiff::Timestamp::now().to_string(),
            user: current_user(),
            context: mutation.context.clone(),
            action: mutation.strategy.name().to_string(),
            namespace: mutation.namespace().to_string(),
            object: mutation.objects().join(","),
            result: result.into(),
        }
    }

    /// An entry for a mutation that is not a redeploy (provisioning: applied manifests, ECR
    /// repositories, commands).
    pub fn of(context: &str, action: &str, namespace: &str, object: &str, result: impl Into<String>) -> Self {
        Self {
            time: jiff::Timestamp::now().to_string(),
            user: current_user(),
            context: context.to_string(),
            action: action.to_string(),
            namespace: namespace.to_string(),
            object: object.to_string(),
            result: result.into(),
        }
    }
}

fn current_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Appends to a JSON-lines file, creating it (and its directory) on first use.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&self, entry: &AuditEntry) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        // One write per line: concurrent writers never interleave within a line.
        file.write_all(line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Strategy;
    use platdeck_core::platform::ServiceKey;

    #[test]
    fn entries_are_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("sub/audit.jsonl"));
        let m = Mutation {
            strategy: Strategy::Sync,
            context: "ctx".into(),
            service: ServiceKey { namespace: "ns".into(), name: "svc".into() },
            deployments: vec![],
            app: Some(("argocd".into(), "svc".into())),
        };
        log.append(&AuditEntry::new(&m, "ok")).unwrap();
        log.append(&AuditEntry::new(&m, "error: boom")).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["action"], "sync");
        assert_eq!(lines[0]["object"], "application.argoproj.io/svc");
        assert_eq!(lines[0]["namespace"], "argocd");
        assert_eq!(lines[1]["result"], "error: boom");
        assert!(lines[0]["time"].as_str().unwrap().contains('T'));
    }
}
