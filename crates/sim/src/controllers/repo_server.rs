//! The repo-server: reads the desired state of Applications whose source is a git repository on the
//! local disk. It polls their revisions every few seconds (Argo CD's default is 3 minutes; demos want
//! quick), at once when an Application appears or changes or carries the refresh annotation, and caches
//! manifests by resolved commit. Git runs on the blocking pool, never on the async runtime.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::git_repo::{self, RepoError};
use crate::resources::APPLICATIONS;
use crate::seed::ARGOCD_NAMESPACE;
use crate::state::Shared;
use crate::world::meta_str;

/// How often every local-repo Application's revision is re-resolved.
pub const POLL: Duration = Duration::from_secs(3);
pub const REFRESH_ANNOTATION: &str = "argocd.argoproj.io/refresh";
/// Manifest sets kept (by repository, commit and path).
const CACHE_ENTRIES: usize = 256;

/// An Application's source as the repo-server reads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    pub repo_url: String,
    pub revision: String,
    pub path: String,
}

impl Source {
    pub fn of(app: &Value) -> Self {
        let s = |p: &str| app.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
        Self {
            repo_url: s("/spec/source/repoURL"),
            revision: s("/spec/source/targetRevision"),
            path: s("/spec/source/path"),
        }
    }
}

/// What the repo-server last read for one Application.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub source: Source,
    /// The commit the revision resolved to, if it did.
    pub sha: Option<String>,
    /// The objects declared at that commit, or why they could not be read (Argo CD's ComparisonError).
    pub objects: Result<Arc<Vec<Value>>, String>,
}

impl Fetched {
    fn failed(source: Source, sha: Option<String>, err: RepoError) -> Self {
        let message = format!(
            "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = {err}"
        );
        Self { source, sha, objects: Err(message) }
    }
}

type CacheKey = (PathBuf, String, String);

#[derive(Default)]
struct ManifestCache {
    entries: HashMap<CacheKey, Arc<Vec<Value>>>,
    order: VecDeque<CacheKey>,
}

impl ManifestCache {
    fn insert(&mut self, key: CacheKey, objects: Arc<Vec<Value>>) {
        if self.entries.insert(key.clone(), objects).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > CACHE_ENTRIES {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
    }

    /// Forgets one entry (a hard refresh), from the eviction order too.
    fn remove(&mut self, key: &CacheKey) {
        if self.entries.remove(key).is_some() {
            self.order.retain(|k| k != key);
        }
    }
}

/// The repo-server's results, shared with the application controller.
#[derive(Default)]
pub struct RepoServer {
    fetched: Mutex<HashMap<String, Fetched>>,
    /// Applications whose refresh annotation has been served by a fresh read.
    refreshed: Mutex<HashSet<String>>,
    /// Bumped whenever a result changes, so the application controller takes a pass.
    generation: AtomicU64,
    cache: Mutex<ManifestCache>,
}

impl RepoServer {
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// The last read of an Application's source, if it is for the source the Application now has.
    pub fn fetched(&self, app: &str, source: &Source) -> Option<Fetched> {
        let all = self.fetched.lock().unwrap_or_else(|p| p.into_inner());
        all.get(app).filter(|f| &f.source == source).cloned()
    }

    /// Whether a refresh of `app` was served (and forgets it: the annotation is removed once).
    pub fn take_refreshed(&self, app: &str) -> bool {
        self.refreshed.lock().unwrap_or_else(|p| p.into_inner()).remove(app)
    }

    fn publish(&self, results: Vec<(String, Fetched, bool)>) {
        let mut all = self.fetched.lock().unwrap_or_else(|p| p.into_inner());
        let mut refreshed = self.refreshed.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = false;
        for (app, fetched, refresh) in results {
            if refresh {
                refreshed.insert(app.clone());
                changed = true;
            }
            if all.get(&app) != Some(&fetched) {
                all.insert(app, fetched);
                changed = true;
            }
        }
        if changed {
            self.generation.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn forget_except(&self, apps: &HashMap<String, Source>) {
        self.fetched.lock().unwrap_or_else(|p| p.into_inner()).retain(|name, _| apps.contains_key(name));
        self.refreshed.lock().unwrap_or_else(|p| p.into_inner()).retain(|name| apps.contains_key(name));
    }

    /// Reads one source (blocking): resolve the revision, then the manifests at that commit (cached).
    pub fn read(&self, source: &Source, hard: bool) -> Fetched {
        self.read_with(source, hard, &mut Resolutions::new())
    }

    /// Like `read`, resolving each repository and revision once per `resolutions` (one poll of many
    /// Applications on the same branch runs git once, not once per Application).
    fn read_with(&self, source: &Source, hard: bool, resolutions: &mut Resolutions) -> Fetched {
        let repo = match git_repo::local_path(&source.repo_url) {
            Ok(repo) => repo,
            Err(err) => return Fetched::failed(source.clone(), None, err),
        };
        let resolved = resolutions
            .entry((repo.clone(), source.revision.clone()))
            .or_insert_with(|| git_repo::resolve(&repo, &source.revision))
            .clone();
        let sha = match resolved {
            Ok(sha) => sha,
            Err(err) => return Fetched::failed(source.clone(), None, err),
        };
        let key = (repo, sha.clone(), source.path.clone());
        let cached = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if hard {
                cache.remove(&key);
            }
            cache.entries.get(&key).cloned()
        };
        let objects = match cached {
            Some(objects) => objects,
            None => match git_repo::manifests(&key.0, &sha, &source.path) {
                Ok(objects) => {
                    let objects = Arc::new(objects);
                    self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, objects.clone());
                    objects
                }
                Err(err) => return Fetched::failed(source.clone(), Some(sha), err),
            },
        };
        Fetched { source: source.clone(), sha: Some(sha), objects: Ok(objects) }
    }
}

/// Revisions resolved during one batch of reads, by repository and revision.
type Resolutions = HashMap<(PathBuf, String), Result<String, RepoError>>;

/// One read the loop owes: the app, its source, whether it answers a refresh and whether a hard one.
type Due = (String, Source, bool, bool);

/// Runs the repo-server until shutdown.
pub async fn run(state: Shared, server: Arc<RepoServer>) {
    let mut tick = tokio::time::interval(super::TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut apps_rv = u64::MAX;
    let mut sources: HashMap<String, Source> = HashMap::new();
    // Refreshes already served while their annotation is still on the Application.
    let mut served: HashSet<String> = HashSet::new();
    let mut last_poll = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.shutdown.cancelled() => return,
        }
        let mut due: Vec<Due> = Vec::new();
        let rv = state.world.kind_rv(&APPLICATIONS);
        if rv != apps_rv {
            apps_rv = rv;
            let (_, apps) = state.world.list(&APPLICATIONS, Some(ARGOCD_NAMESPACE));
            let mut next = HashMap::new();
            let mut annotated = HashSet::new();
            for app in &apps {
                let source = Source::of(app);
                if !git_repo::is_local(&source.repo_url) {
                    continue;
                }
                let name = meta_str(app, "name").to_string();
                let refresh = app
                    .pointer("/metadata/annotations")
                    .and_then(|a| a.get(REFRESH_ANNOTATION))
                    .and_then(Value::as_str);
                if let Some(kind) = refresh {
                    annotated.insert(name.clone());
                    if !served.contains(&name) {
                        due.push((name.clone(), source.clone(), true, kind == "hard"));
                    }
                } else if sources.get(&name) != Some(&source) {
                    due.push((name.clone(), source.clone(), false, false));
                }
                next.insert(name, source);
            }
            served.retain(|name| annotated.contains(name));
            server.forget_except(&next);
            sources = next;
        }
        if last_poll.elapsed() >= POLL {
            last_poll = Instant::now();
            for (name, source) in &sources {
                if !due.iter().any(|d| &d.0 == name) {
                    due.push((name.clone(), source.clone(), false, false));
                }
            }
        }
        if due.is_empty() {
            continue;
        }
        served.extend(due.iter().filter(|d| d.2).map(|d| d.0.clone()));
        let reader = server.clone();
        let read = tokio::task::spawn_blocking(move || {
            let mut resolutions = Resolutions::new();
            due.into_iter()
                .map(|(name, source, refresh, hard)| {
                    let fetched = reader.read_with(&source, hard, &mut resolutions);
                    (name, fetched, refresh)
                })
                .collect::<Vec<_>>()
        });
        match read.await {
            Ok(results) => server.publish(results),
            Err(err) => tracing::warn!(%err, "repo-server read failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git_repo::tests::run_git as git;

    fn commit_service(repo: &std::path::Path, name: &str) {
        std::fs::create_dir_all(repo.join("apps")).unwrap();
        let text = format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n");
        std::fs::write(repo.join("apps/svc.yaml"), text).unwrap();
        git(repo, &["add", "-A"]);
        git(repo, &["commit", "-q", "-m", name]);
    }

    #[test]
    fn reads_follow_commits_and_results_publish_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        commit_service(dir.path(), "one");
        let source = Source {
            repo_url: format!("file://{}", dir.path().display()),
            revision: "main".into(),
            path: "apps".into(),
        };
        let server = RepoServer::default();
        let first = server.read(&source, false);
        let objects = first.objects.clone().unwrap();
        assert_eq!(objects[0]["metadata"]["name"], "one");
        // The same commit comes from the cache: the very same objects.
        assert!(Arc::ptr_eq(&objects, server.read(&source, false).objects.as_ref().unwrap()));

        server.publish(vec![("app".into(), first.clone(), false)]);
        assert_eq!(server.generation(), 1);
        server.publish(vec![("app".into(), first.clone(), false)]);
        assert_eq!(server.generation(), 1, "an unchanged read is no news");
        assert_eq!(server.fetched("app", &source), Some(first.clone()));
        let moved = Source { path: "elsewhere".into(), ..source.clone() };
        assert_eq!(server.fetched("app", &moved), None, "a read of another source does not count");

        commit_service(dir.path(), "two");
        let second = server.read(&source, false);
        assert_ne!(second.sha, first.sha);
        server.publish(vec![("app".into(), second, true)]);
        assert_eq!(server.generation(), 2);
        assert!(server.take_refreshed("app"));
        assert!(!server.take_refreshed("app"));

        // Hard refreshes re-read without ever evicting the entry they renew.
        for _ in 0..CACHE_ENTRIES + 1 {
            let mut cache = server.cache.lock().unwrap();
            let key = cache.entries.keys().next().cloned().unwrap();
            cache.remove(&key);
            cache.insert(key, Arc::new(Vec::new()));
        }
        assert_eq!(server.cache.lock().unwrap().entries.len(), 2);
        let missing = server.read(&moved, false);
        let message = missing.objects.unwrap_err();
        assert!(message.ends_with("elsewhere: app path does not exist"), "{message}");
        assert!(missing.sha.is_some());
        server.forget_except(&HashMap::new());
        assert_eq!(server.fetched("app", &source), None);
    }
}
