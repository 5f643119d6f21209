//! The git CLI, as a user would run it: `git init -b main`, `git add`, `git commit`. The author is the
//! user's git configuration, else platdeck's own identity.

use std::path::Path;
use std::process::Command;

use super::ScaffoldError;

const DEFAULT_NAME: &str = "platdeck";
const DEFAULT_EMAIL: &str = "platdeck@localhost";

/// Runs `git -C dir args…` and returns its stdout; a failure names the command and git's message.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, ScaffoldError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // Never prompt (credentials, editors) from inside a console.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .output()
        .map_err(|e| ScaffoldError::Git {
            command: format!("git {}", args.join(" ")),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(ScaffoldError::Git { command: format!("git {}", args.join(" ")), message });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// `user.name`/`user.email` from the git configuration seen in `dir`, else platdeck's defaults.
fn author(dir: &Path) -> (String, String) {
    let get = |key: &str| git(dir, &["config", "--get", key]).ok().filter(|v| !v.is_empty());
    (
        get("user.name").unwrap_or_else(|| DEFAULT_NAME.into()),
        get("user.email").unwrap_or_else(|| DEFAULT_EMAIL.into()),
    )
}

/// `git init -b <branch>` in an existing directory.
pub fn init(dir: &Path, branch: &str) -> Result<(), ScaffoldError> {
    git(dir, &["init", "-q", "-b", branch]).map(|_| ())
}

/// Stages `paths` (all when empty) and commits them with `message`; returns the new commit's id.
pub fn commit(dir: &Path, paths: &[&str], message: &str) -> Result<String, ScaffoldError> {
    let mut add = vec!["add", "--"];
    if paths.is_empty() {
        add.push(".");
    } else {
        add.extend_from_slice(paths);
    }
    git(dir, &add)?;
    let (name, email) = author(dir);
    let name = format!("user.name={name}");
    let email = format!("user.email={email}");
    let mut args =
        vec!["-c", &name, "-c", &email, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message];
    if !paths.is_empty() {
        args.push("--");
        args.extend_from_slice(paths);
    }
    git(dir, &args)?;
    git(dir, &["rev-parse", "HEAD"])
}

/// Whether `dir` is the top of a git work tree.
pub fn is_repository(dir: &Path) -> bool {
    git(dir, &["rev-parse", "--show-toplevel"])
        .ok()
        .and_then(|top| std::fs::canonicalize(top).ok())
        .zip(std::fs::canonicalize(dir).ok())
        .is_some_and(|(top, dir)| top == dir)
}

/// The branch HEAD points at (also when it has no commit yet).
pub fn current_branch(dir: &Path) -> Result<String, ScaffoldError> {
    git(dir, &["symbolic-ref", "--short", "HEAD"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_and_commit_make_a_repository_with_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path(), "main").unwrap();
        assert!(is_repository(dir.path()));
        assert_eq!(current_branch(dir.path()).unwrap(), "main");
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        let id = commit(dir.path(), &[], "first").unwrap();
        assert_eq!(id.len(), 40);
        assert_eq!(git(dir.path(), &["log", "--format=%s"]).unwrap(), "first");
        assert_eq!(git(dir.path(), &["status", "--porcelain"]).unwrap(), "");
    }

    #[test]
    fn failures_name_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = current_branch(dir.path()).unwrap_err().to_string();
        assert!(err.contains("git symbolic-ref"), "{err}");
        assert!(!is_repository(dir.path()));
    }
}
