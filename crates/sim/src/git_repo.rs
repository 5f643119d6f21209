//! Reads an Argo CD Application's source from a git repository on the local disk, as Argo CD's
//! repo-server does for a Directory source: the manifests directly under `path` in the *committed* tree
//! at a revision. The git command-line client does the reading (blocking: call it off the async runtime).

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// One git command may take this long before it is killed.
const GIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Manifest files read from one directory at most (Argo CD bounds its manifest generation too).
pub const MAX_FILES: usize = 200;
/// Bytes one manifest file may have.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Objects one directory may declare.
pub const MAX_OBJECTS: usize = 1000;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RepoError {
    #[error("repository not found: {0}")]
    NotFound(String),
    #[error("the sim reads only git repositories on the local disk (file:///path or /path), not {0}")]
    NotLocal(String),
    #[error("Unable to resolve '{0}' to a commit SHA")]
    BadRevision(String),
    #[error("{0}: app path does not exist")]
    NoPath(String),
    #[error("app path {0:?} is outside the repository")]
    PathOutside(String),
    #[error("{file}: {message}")]
    BadManifest { file: String, message: String },
    #[error("{0}")]
    TooLarge(String),
    #[error("git {args}: {message}")]
    Git { args: String, message: String },
}

/// The local directory a `repoURL` names (`file:///abs/path` or an absolute path).
pub fn local_path(repo_url: &str) -> Result<PathBuf, RepoError> {
    let path = repo_url.strip_prefix("file://").unwrap_or(repo_url);
    if path.starts_with('/') {
        Ok(PathBuf::from(path))
    } else {
        Err(RepoError::NotLocal(repo_url.to_string()))
    }
}

/// Whether a `repoURL` names a repository on the local disk.
pub fn is_local(repo_url: &str) -> bool {
    local_path(repo_url).is_ok()
}

/// Runs git in `repo`, killing it after the timeout; returns its standard output.
fn git(repo: &Path, args: &[&str]) -> Result<Vec<u8>, RepoError> {
    git_with_input(repo, args, Vec::new(), MAX_FILE_BYTES * 4)
}

/// Runs git with `input` on its standard input; its output may have at most `limit` bytes.
fn git_with_input(repo: &Path, args: &[&str], input: Vec<u8>, limit: u64) -> Result<Vec<u8>, RepoError> {
    let failed = |message: String| RepoError::Git { args: args.join(" "), message };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        // Reading must never take the index lock a concurrent `git commit` needs.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .stdin(if input.is_empty() { Stdio::null() } else { Stdio::piped() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run git: {e}")))?;
    // Readers on their own threads, so a full pipe cannot stall the child. Standard output reaches its
    // end when git exits: waiting for it (with the timeout) needs no polling.
    if let Some(mut stdin) = child.stdin.take() {
        // Dropping stdin at the end closes it: git then finishes its batch.
        std::thread::spawn(move || {
            let _ = std::io::Write::write_all(&mut stdin, &input);
        });
    }
    let (done, finished) = std::sync::mpsc::channel();
    if let Some(mut out) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut out).take(limit + 1).read_to_end(&mut buf);
            // Drain the rest, so an over-long output ends the child rather than blocking it.
            let _ = std::io::copy(&mut out, &mut std::io::sink());
            let _ = done.send(buf);
        });
    }
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = err.take(64 * 1024).read_to_string(&mut buf);
            buf
        })
    });
    let Ok(out) = finished.recv_timeout(GIT_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(failed(format!("timed out after {GIT_TIMEOUT:?}")));
    };
    let status = child.wait().map_err(|e| failed(e.to_string()))?;
    let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if !status.success() {
        return Err(failed(err.trim().to_string()));
    }
    if out.len() as u64 > limit {
        return Err(RepoError::TooLarge(format!("git {} printed more than {limit} bytes", args.join(" "))));
    }
    Ok(out)
}

/// The commit sha a revision (branch, tag, sha or `HEAD`; empty means `HEAD`) names.
pub fn resolve(repo: &Path, revision: &str) -> Result<String, RepoError> {
    if !repo.is_dir() {
        return Err(RepoError::NotFound(repo.display().to_string()));
    }
    let revision = if revision.is_empty() { "HEAD" } else { revision };
    if revision.starts_with('-') {
        return Err(RepoError::BadRevision(revision.to_string()));
    }
    let spec = format!("{revision}^{{commit}}");
    match git(repo, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]) {
        Ok(out) => Ok(String::from_utf8_lossy(&out).trim().to_string()),
        Err(RepoError::Git { message, .. }) if message.contains("not a git repository") => {
            Err(RepoError::NotFound(repo.display().to_string()))
        }
        Err(RepoError::Git { .. }) => Err(RepoError::BadRevision(revision.to_string())),
        Err(other) => Err(other),
    }
}

/// `path` as a repository-relative directory: no absolute paths, no `..`.
fn clean_path(path: &str) -> Result<String, RepoError> {
    let p = Path::new(path);
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().to_string()),
            Component::CurDir => {}
            _ => return Err(RepoError::PathOutside(path.to_string())),
        }
    }
    Ok(parts.join("/"))
}

/// One manifest file in the tree: its path and blob.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    path: String,
    blob: String,
    size: u64,
}

/// Parses `git ls-tree -l -z` output, keeping manifest blobs (`*.yaml`, `*.yml`, `*.json`).
fn manifest_entries(listing: &[u8]) -> Vec<Entry> {
    listing
        .split(|b| *b == 0)
        .filter_map(|record| {
            let record = String::from_utf8_lossy(record);
            let (meta, path) = record.split_once('\t')?;
            let mut fields = meta.split_whitespace();
            let (_mode, kind, blob, size) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
            let manifest = [".yaml", ".yml", ".json"].iter().any(|ext| path.ends_with(ext));
            (kind == "blob" && manifest).then(|| Entry {
                path: path.to_string(),
                blob: blob.to_string(),
                size: size.parse().unwrap_or(u64::MAX),
            })
        })
        .collect()
}

/// Every Kubernetes object declared directly under `path` at commit `sha`, files in name order.
pub fn manifests(repo: &Path, sha: &str, path: &str) -> Result<Vec<Value>, RepoError> {
    let dir = clean_path(path)?;
    let tree = if dir.is_empty() { sha.to_string() } else { format!("{sha}:{dir}") };
    let listing = match git(repo, &["ls-tree", "-l", "-z", &tree]) {
        Ok(listing) => listing,
        // No such path at this commit, or a file rather than a directory.
        Err(RepoError::Git { .. }) if !dir.is_empty() => return Err(RepoError::NoPath(path.to_string())),
        Err(err) => return Err(err),
    };
    let mut entries = manifest_entries(&listing);
    if entries.len() > MAX_FILES {
        return Err(RepoError::TooLarge(format!(
            "{} manifest files in {path:?}, at most {MAX_FILES}",
            entries.len()
        )));
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let file_of = |e: &Entry| if dir.is_empty() { e.path.clone() } else { format!("{dir}/{}", e.path) };
    if let Some(big) = entries.iter().find(|e| e.size > MAX_FILE_BYTES) {
        return Err(RepoError::TooLarge(format!(
            "{} has {} bytes, at most {MAX_FILE_BYTES}",
            file_of(big),
            big.size
        )));
    }
    let mut objects = Vec::new();
    for (entry, bytes) in entries.iter().zip(read_blobs(repo, &entries)?) {
        let file = file_of(entry);
        let text = String::from_utf8(bytes)
            .map_err(|_| RepoError::BadManifest { file: file.clone(), message: "not UTF-8 text".into() })?;
        objects.extend(parse(&text, &file)?);
        if objects.len() > MAX_OBJECTS {
            return Err(RepoError::TooLarge(format!("more than {MAX_OBJECTS} objects in {path:?}")));
        }
    }
    Ok(objects)
}

/// The contents of the entries' blobs, in order, from one `git cat-file --batch`.
fn read_blobs(repo: &Path, entries: &[Entry]) -> Result<Vec<Vec<u8>>, RepoError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let input: String = entries.iter().map(|e| format!("{}\n", e.blob)).collect();
    // Each answer is "<oid> blob <size>\n<content>\n".
    let limit = entries.iter().map(|e| e.size + 128).sum();
    let out = git_with_input(repo, &["cat-file", "--batch"], input.into_bytes(), limit)?;
    let broken = |what: &str| RepoError::Git { args: "cat-file --batch".into(), message: what.to_string() };
    let mut rest = out.as_slice();
    let mut blobs = Vec::with_capacity(entries.len());
    for _ in entries {
        let newline = rest.iter().position(|b| *b == b'\n').ok_or_else(|| broken("truncated answer"))?;
        let header = String::from_utf8_lossy(&rest[..newline]).to_string();
        let size: usize = match header.split(' ').collect::<Vec<_>>().as_slice() {
            [_, "blob", size] => size.parse().map_err(|_| broken(&header))?,
            _ => return Err(broken(&header)),
        };
        let body = rest.get(newline + 1..newline + 1 + size).ok_or_else(|| broken("truncated blob"))?;
        blobs.push(body.to_vec());
        rest = rest.get(newline + 2 + size..).unwrap_or_default();
    }
    Ok(blobs)
}

/// The objects of one manifest file: YAML (multi-document) or JSON, `kind: List` flattened.
pub fn parse(text: &str, file: &str) -> Result<Vec<Value>, RepoError> {
    let bad = |message: String| RepoError::BadManifest { file: file.to_string(), message };
    let documents: Vec<Value> = if file.ends_with(".json") {
        vec![serde_json::from_str(text).map_err(|e| bad(e.to_string()))?]
    } else {
        serde_norway::Deserializer::from_str(text)
            .map(|doc| Value::deserialize(doc).map_err(|e| bad(e.to_string())))
            .collect::<Result<_, _>>()?
    };
    let mut objects = Vec::new();
    for doc in documents {
        match doc {
            Value::Null => {}
            Value::Object(_) if doc["kind"] == "List" => {
                let items = doc["items"].as_array().cloned().unwrap_or_default();
                objects.extend(items.into_iter().filter(|i| !i.is_null()));
            }
            Value::Object(_) => objects.push(doc),
            _ => return Err(bad("a document is not a Kubernetes object".into())),
        }
    }
    for o in &objects {
        for field in ["apiVersion", "kind"] {
            if o.get(field).and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(bad(format!("Object '{field}' is missing")));
            }
        }
        if o.pointer("/metadata/name").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(bad("Object 'metadata.name' is missing".into()));
        }
    }
    Ok(objects)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn repo_urls_must_be_local() {
        assert_eq!(local_path("file:///srv/gitops").unwrap(), PathBuf::from("/srv/gitops"));
        assert_eq!(local_path("/srv/gitops").unwrap(), PathBuf::from("/srv/gitops"));
        assert!(matches!(local_path("https://github.com/acme/gitops.git"), Err(RepoError::NotLocal(_))));
        assert!(!is_local("gitops"));
    }

    #[test]
    fn paths_stay_inside_the_repository() {
        assert_eq!(clean_path("./apps/orders/").unwrap(), "apps/orders");
        assert_eq!(clean_path("").unwrap(), "");
        assert!(clean_path("../etc").is_err());
        assert!(clean_path("/etc").is_err());
    }

    #[test]
    fn listings_keep_manifest_blobs() {
        let records = [
            "100644 blob aaa     120\tdeployment.yaml",
            "100644 blob bbb       9\tREADME.md",
            "040000 tree ccc       -\tsub.yaml",
            "100644 blob ddd      40\tlist.json",
        ];
        let listing = records.join("\0").into_bytes();
        let entries = manifest_entries(&listing);
        let names: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(names, ["deployment.yaml", "list.json"]);
        assert_eq!(entries[0].size, 120);
    }

    #[test]
    fn documents_and_lists_become_objects() {
        let yaml = "---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: List\n\
items:\n- {apiVersion: v1, kind: Service, metadata: {name: b}}\n";
        let objects = parse(yaml, "x.yaml").unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[1]["metadata"]["name"], "b");
        let json = r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "c"}}"#;
        assert_eq!(parse(json, "x.json").unwrap().len(), 1);
        let err = parse("kind: Service\nmetadata: {name: a}\n", "bad.yaml").unwrap_err().to_string();
        assert!(err.starts_with("bad.yaml: Object 'apiVersion' is missing"), "{err}");
        assert!(parse("a: [1,\n", "broken.yaml").unwrap_err().to_string().starts_with("broken.yaml: "));
        assert!(parse("- 1\n", "seq.yaml").is_err());
    }

    /// Runs git in a test repository with a committer identity, failing the test if git fails.
    pub fn run_git(repo: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    fn commit_all(dir: &Path, message: &str) {
        run_git(dir, &["add", "-A"]);
        run_git(dir, &["commit", "-q", "-m", message]);
    }

    #[test]
    fn reads_the_committed_tree_at_a_revision() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        run_git(repo, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(repo.join("apps/web")).unwrap();
        std::fs::write(
            repo.join("apps/web/svc.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
        )
        .unwrap();
        commit_all(repo, "first");
        let first = resolve(repo, "main").unwrap();
        assert_eq!(first.len(), 40);
        assert_eq!(resolve(repo, "HEAD").unwrap(), first);
        // Uncommitted files are not part of the source.
        std::fs::write(
            repo.join("apps/web/extra.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n",
        )
        .unwrap();
        assert_eq!(manifests(repo, &first, "apps/web").unwrap().len(), 1);
        commit_all(repo, "second");
        let second = resolve(repo, "main").unwrap();
        assert_ne!(first, second);
        assert_eq!(manifests(repo, &second, "apps/web").unwrap().len(), 2);
        assert_eq!(manifests(repo, &first, "apps/web").unwrap().len(), 1);
        assert_eq!(manifests(repo, &second, "apps/nope"), Err(RepoError::NoPath("apps/nope".into())));
        let file = "apps/web/svc.yaml";
        assert_eq!(manifests(repo, &second, file), Err(RepoError::NoPath(file.into())));
        assert_eq!(resolve(repo, "nope"), Err(RepoError::BadRevision("nope".into())));
        assert!(matches!(resolve(&repo.join("missing"), "main"), Err(RepoError::NotFound(_))));
        let plain = tempfile::tempdir().unwrap();
        assert!(matches!(resolve(plain.path(), "main"), Err(RepoError::NotFound(_))));
    }
}
