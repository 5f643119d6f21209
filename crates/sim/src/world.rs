//! The simulated API server's object store: objects by kind, one global resourceVersion counter,
//! a bounded event history per kind, and watch fan-out.
//!
//! Each kind's objects are a persistent ordered map, so a snapshot of a whole collection is an O(1)
//! clone that later writes never touch: paged lists read every page from the snapshot of their first
//! (as the apiserver serves a consistent list), and controllers walk a snapshot without holding the lock.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::clock::now_rfc3339;
use super::resources::{self, ResourceKind};
use super::status::ApiError;

/// A stored object. Shared, never mutated in place: every write stores a new one.
pub type Obj = Arc<Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as delivered to watchers.
#[derive(Debug)]
pub struct WatchEvent {
    pub rv: u64,
    pub kind: EventType,
    pub object: Obj,
}

/// What a watch starts from: missed events still in history, then the live feed.
pub struct WatchStart {
    pub backlog: Vec<Arc<WatchEvent>>,
    pub live: broadcast::Receiver<Arc<WatchEvent>>,
    pub rv: u64,
}

/// Tuning of the store.
#[derive(Debug, Clone, Copy)]
pub struct WorldLimits {
    /// Events kept per kind for watches that resume from an older resourceVersion.
    pub history: usize,
    /// Events buffered per kind for live watchers before a slow one is cut off.
    pub fanout: usize,
}

impl Default for WorldLimits {
    fn default() -> Self {
        Self { history: 10_000, fanout: 65_536 }
    }
}

pub type Key = (String, String);

/// A collection's objects at one resourceVersion, ordered by namespace and name.
pub type Objects = imbl::OrdMap<Key, Obj>;

/// How long a list's snapshot stays available to its `continue` tokens (etcd compacts after 5 minutes).
const SNAPSHOT_TTL: Duration = Duration::from_secs(300);
/// Snapshots kept at most; the oldest go first.
const SNAPSHOTS_KEPT: usize = 256;

/// A kind's objects as they were at `rv`.
#[derive(Clone)]
pub struct Snapshot {
    pub rv: u64,
    pub objects: Objects,
}

impl Snapshot {
    /// Objects in one namespace (or all), after `after` (exclusive), in key order.
    pub fn iter<'a>(
        &'a self,
        namespace: Option<&'a str>,
        after: Option<&Key>,
    ) -> Box<dyn Iterator<Item = (&'a Key, &'a Obj)> + 'a> {
        use std::ops::Bound;
        let start = match (namespace, after) {
            (_, Some(after)) => Bound::Excluded(after.clone()),
            (Some(ns), None) => Bound::Included((ns.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        Box::new(
            self.objects
                .range((start, Bound::Unbounded))
                .take_while(move |((ns, _), _)| namespace.is_none_or(|want| ns == want)),
        )
    }
}

struct Collection {
    objects: Objects,
    history: VecDeque<Arc<WatchEvent>>,
    /// Watches from a resourceVersion below this may have missed dropped events: they get 410.
    compacted_rv: u64,
    /// The resourceVersion of this collection's latest change.
    last_change: u64,
    tx: broadcast::Sender<Arc<WatchEvent>>,
}

struct Inner {
    rv: u64,
    collections: HashMap<ResourceKind, Collection>,
}

pub struct World {
    inner: RwLock<Inner>,
    limits: WorldLimits,
    /// Snapshots that `continue` tokens still refer to, by kind and resourceVersion.
    snapshots: Mutex<VecDeque<(ResourceKind, Snapshot, Instant)>>,
}

/// What happened to a kind since a resourceVersion: the events, or the news that history no longer
/// reaches back that far (the caller relists).
pub enum Changes {
    Events(Vec<Arc<WatchEvent>>),
    Expired,
}

impl Default for World {
    fn default() -> Self {
        Self::new(WorldLimits::default())
    }
}

impl World {
    pub fn new(limits: WorldLimits) -> Self {
        let collections = resources::stored()
            .map(|k| {
                let (tx, _) = broadcast::channel(limits.fanout);
                (
                    *k,
                    Collection {
                        objects: Objects::new(),
                        history: VecDeque::new(),
                        compacted_rv: 0,
                        last_change: 0,
                        tx,
                    },
                )
            })
            .collect();
        Self {
            inner: RwLock::new(Inner { rv: 1, collections }),
            limits,
            snapshots: Mutex::new(VecDeque::new()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn current_rv(&self) -> u64 {
        self.read().rv
    }

    pub fn get(&self, kind: &ResourceKind, namespace: &str, name: &str) -> Option<Obj> {
        let kind = kind.stored();
        let inner = self.read();
        inner.collections.get(kind)?.objects.get(&(namespace.to_string(), name.to_string())).cloned()
    }

    /// Objects of a kind (in one namespace or all), ordered by namespace and name, with the list's resourceVersion.
    pub fn list(&self, kind: &ResourceKind, namespace: Option<&str>) -> (u64, Vec<Obj>) {
        self.list_from(kind, namespace, None, usize::MAX, |_| true)
    }

    /// Like `list`, but starting after `after` (namespace, name), keeping only objects that pass `keep`,
    /// and at most `limit` of them. Returns the resourceVersion and the page.
    pub fn list_from(
        &self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        after: Option<&Key>,
        limit: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> (u64, Vec<Obj>) {
        let snapshot = self.snapshot(kind);
        let items = snapshot
            .iter(namespace, after)
            .filter(|(_, o)| keep(o))
            .take(limit)
            .map(|(_, o)| o.clone())
            .collect();
        (snapshot.rv, items)
    }

    /// The kind's objects now: an O(1) clone, read without holding the store's lock.
    pub fn snapshot(&self, kind: &ResourceKind) -> Snapshot {
        let kind = kind.stored();
        let inner = self.read();
        let objects = inner.collections.get(kind).map(|c| c.objects.clone()).unwrap_or_default();
        Snapshot { rv: inner.rv, objects }
    }

    /// Keeps a snapshot for the `continue` tokens of a paged list (at most a few minutes).
    pub fn keep_snapshot(&self, kind: &ResourceKind, snapshot: &Snapshot) {
        let kind = *kind.stored();
        let mut kept = self.snapshots.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        kept.retain(|(_, _, at)| now.duration_since(*at) < SNAPSHOT_TTL);
        if kept.iter().any(|(k, s, _)| *k == kind && s.rv == snapshot.rv) {
            return;
        }
        if kept.len() >= SNAPSHOTS_KEPT {
            kept.pop_front();
        }
        kept.push_back((kind, snapshot.clone(), now));
    }

    /// The snapshot a `continue` token's list was taken at, while it is kept.
    pub fn kept_snapshot(&self, kind: &ResourceKind, rv: u64) -> Option<Snapshot> {
        let kind = *kind.stored();
        let kept = self.snapshots.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|(k, s, at)| *k == kind && s.rv == rv && at.elapsed() < SNAPSHOT_TTL)
            .map(|(_, s, _)| s.clone())
    }

    /// Events of a kind after `rv`, from history, for controllers that act on what changed.
    pub fn changes_since(&self, kind: &ResourceKind, rv: u64) -> Changes {
        let kind = kind.stored();
        let inner = self.read();
        let Some(col) = inner.collections.get(kind) else { return Changes::Events(Vec::new()) };
        if rv < col.compacted_rv {
            return Changes::Expired;
        }
        if col.last_change <= rv {
            return Changes::Events(Vec::new());
        }
        // History is in resourceVersion order: walk back from the newest to the first one after `rv`.
        let newer = col.history.iter().rev().take_while(|e| e.rv > rv).count();
        Changes::Events(col.history.iter().skip(col.history.len() - newer).cloned().collect())
    }

    /// Whether the namespace exists (objects may only be created in existing namespaces).
    pub fn namespace_exists(&self, name: &str) -> bool {
        self.get(&resources::NAMESPACES, "", name).is_some()
    }

    /// Creates an object: fills uid, creationTimestamp, resourceVersion, generation and `generateName`.
    pub fn create(&self, kind: &ResourceKind, mut object: Value, dry_run: bool) -> Result<Obj, ApiError> {
        let kind = kind.stored();
        let namespace =
            if kind.namespaced { meta_str(&object, "namespace").to_string() } else { String::new() };
        if kind.namespaced {
            if namespace.is_empty() {
                return Err(ApiError::bad_request("the namespace of the provided object is missing"));
            }
            if !self.namespace_exists(&namespace) {
                return Err(ApiError::not_found(&resources::NAMESPACES, &namespace));
            }
        }
        let mut name = meta_str(&object, "name").to_string();
        if name.is_empty() {
            let prefix = meta_str(&object, "generateName");
            if prefix.is_empty() {
                return Err(ApiError::invalid(
                    kind,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            }
            name = format!("{prefix}{}", random_suffix(5));
        }
        validate_name(kind, &name)?;
        let mut inner = self.write();
        let rv = inner.rv + 1;
        let key = (namespace.clone(), name.clone());
        let col = collection(&mut inner, kind)?;
        if col.objects.contains_key(&key) {
            return Err(ApiError::already_exists(kind, &name));
        }
        object["apiVersion"] = json!(kind.api_version());
        object["kind"] = json!(kind.kind);
        let meta = ensure_metadata(&mut object);
        meta.insert("name".into(), json!(name));
        if kind.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        } else {
            meta.remove("namespace");
        }
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        meta.remove("deletionTimestamp");
        if object.get("spec").is_some() && kind.kind != "Pod" {
            ensure_metadata(&mut object).insert("generation".into(), json!(1));
        }
        let obj = Arc::new(object);
        if dry_run {
            return Ok(obj);
        }
        inner.rv = rv;
        self.record(&mut inner, kind, key, EventType::Added, obj.clone());
        Ok(obj)
    }

    /// Replaces an object (PUT). A resourceVersion in the body must match the stored one.
    pub fn update(&self, kind: &ResourceKind, object: Value, dry_run: bool) -> Result<Obj, ApiError> {
        let namespace =
            if kind.namespaced { meta_str(&object, "namespace").to_string() } else { String::new() };
        let name = meta_str(&object, "name").to_string();
        let want_rv = meta_str(&object, "resourceVersion").to_string();
        self.modify_with(kind, &namespace, &name, dry_run, |current| {
            if !want_rv.is_empty() && meta_str(current, "resourceVersion") != want_rv {
                return Err(ApiError::conflict(kind, &name));
            }
            let mut replacement = object;
            // Server-owned metadata survives a replace.
            for field in ["uid", "creationTimestamp", "generation", "deletionTimestamp"] {
                match current.pointer(&format!("/metadata/{field}")) {
                    Some(v) => {
                        ensure_metadata(&mut replacement).insert(field.into(), v.clone());
                    }
                    None => {
                        ensure_metadata(&mut replacement).remove(field);
                    }
                }
            }
            *current = replacement;
            Ok(())
        })
    }

    /// Read-modify-write of one object under the store's lock. A change that leaves the object
    /// equal is a no-op: no new resourceVersion, no event (as the apiserver does).
    pub fn modify(
        &self,
        kind: &ResourceKind,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut Value) -> Result<(), ApiError>,
    ) -> Result<Obj, ApiError> {
        self.modify_with(kind, namespace, name, false, change)
    }

    pub fn modify_with(
        &self,
        kind: &ResourceKind,
        namespace: &str,
        name: &str,
        dry_run: bool,
        change: impl FnOnce(&mut Value) -> Result<(), ApiError>,
    ) -> Result<Obj, ApiError> {
        let kind = kind.stored();
        let mut inner = self.write();
        let key = (namespace.to_string(), name.to_string());
        let col = collection(&mut inner, kind)?;
        let current = col.objects.get(&key).cloned().ok_or_else(|| ApiError::not_found(kind, name))?;
        let mut next = (*current).clone();
        change(&mut next)?;
        // Identity is not the caller's to change.
        next["apiVersion"] = json!(kind.api_version());
        next["kind"] = json!(kind.kind);
        let meta = ensure_metadata(&mut next);
        meta.insert("name".into(), json!(name));
        if kind.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        }
        meta.insert(
            "resourceVersion".into(),
            current.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null),
        );
        if next == *current {
            return Ok(current);
        }
        if kind.kind != "Pod" && next.get("spec") != current.get("spec") {
            let generation = current.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0) + 1;
            ensure_metadata(&mut next).insert("generation".into(), json!(generation));
        }
        if dry_run {
            return Ok(Arc::new(next));
        }
        inner.rv += 1;
        let rv = inner.rv;
        ensure_metadata(&mut next).insert("resourceVersion".into(), json!(rv.to_string()));
        let obj = Arc::new(next);
        self.record(&mut inner, kind, key, EventType::Modified, obj.clone());
        Ok(obj)
    }

    /// Removes an object and returns its last state.
    pub fn delete(
        &self,
        kind: &ResourceKind,
        namespace: &str,
        name: &str,
        dry_run: bool,
    ) -> Result<Obj, ApiError> {
        let kind = kind.stored();
        let mut inner = self.write();
        let key = (namespace.to_string(), name.to_string());
        let col = collection(&mut inner, kind)?;
        let current = col.objects.get(&key).cloned().ok_or_else(|| ApiError::not_found(kind, name))?;
        if dry_run {
            return Ok(current);
        }
        inner.rv += 1;
        let rv = inner.rv;
        let mut last = (*current).clone();
        ensure_metadata(&mut last).insert("resourceVersion".into(), json!(rv.to_string()));
        let obj = Arc::new(last);
        self.record(&mut inner, kind, key, EventType::Deleted, obj.clone());
        Ok(obj)
    }

    /// Starts a watch: events after `from_rv` still in history plus a live receiver, taken under one lock
    /// so nothing falls between them. `None` means "from now". An RV older than the history floor is 410.
    pub fn watch(&self, kind: &ResourceKind, from_rv: Option<u64>) -> Result<WatchStart, ApiError> {
        let kind = kind.stored();
        let inner = self.read();
        let col = inner.collections.get(kind).ok_or_else(|| ApiError::internal("unknown collection"))?;
        let live = col.tx.subscribe();
        let backlog = match from_rv {
            None => Vec::new(),
            Some(rv) if rv < col.compacted_rv => {
                return Err(ApiError::expired(format!(
                    "too old resource version: {rv} ({})",
                    col.compacted_rv
                )));
            }
            Some(rv) => {
                let newer = col.history.iter().rev().take_while(|e| e.rv > rv).count();
                col.history.iter().skip(col.history.len() - newer).cloned().collect()
            }
        };
        Ok(WatchStart { backlog, live, rv: inner.rv })
    }

    fn record(&self, inner: &mut Inner, kind: &ResourceKind, key: Key, event: EventType, obj: Obj) {
        let kind = kind.stored();
        let rv = inner.rv;
        let Some(col) = inner.collections.get_mut(kind) else { return };
        match event {
            EventType::Deleted => {
                col.objects.remove(&key);
            }
            _ => {
                col.objects.insert(key, obj.clone());
            }
        }
        col.last_change = rv;
        let ev = Arc::new(WatchEvent { rv, kind: event, object: obj });
        col.history.push_back(ev.clone());
        while col.history.len() > self.limits.history {
            if let Some(old) = col.history.pop_front() {
                col.compacted_rv = col.compacted_rv.max(old.rv);
            }
        }
        // No receivers is fine: nobody is watching this kind.
        let _ = col.tx.send(ev);
    }

    /// Forgets history so that every watch from an older resourceVersion gets 410 (a compaction, for tests).
    pub fn compact(&self) {
        let mut inner = self.write();
        let rv = inner.rv;
        for col in inner.collections.values_mut() {
            col.history.clear();
            col.compacted_rv = rv;
        }
    }

    /// The resourceVersion of the latest change to a kind (controllers skip passes when it has not moved).
    pub fn kind_rv(&self, kind: &ResourceKind) -> u64 {
        let kind = kind.stored();
        self.read().collections.get(kind).map_or(0, |c| c.last_change)
    }

    /// How many objects of a kind are stored.
    pub fn count(&self, kind: &ResourceKind) -> usize {
        let kind = kind.stored();
        self.read().collections.get(kind).map_or(0, |c| c.objects.len())
    }
}

fn collection<'a>(inner: &'a mut Inner, kind: &ResourceKind) -> Result<&'a mut Collection, ApiError> {
    inner
        .collections
        .get_mut(kind)
        .ok_or_else(|| ApiError::internal(format!("unknown collection {}", kind.plural)))
}

fn ensure_metadata(object: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata") {
        Some(Value::Object(m)) => m,
        // Unreachable: metadata was made an object just above.
        _ => unreachable!("metadata is an object"),
    }
}

/// A string field of `metadata`, or "".
pub fn meta_str<'a>(object: &'a Value, field: &str) -> &'a str {
    object.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str).unwrap_or("")
}

/// The resourceVersion of a stored object as a number.
pub fn object_rv(object: &Value) -> u64 {
    meta_str(object, "resourceVersion").parse().unwrap_or(0)
}

/// A DNS-1123 subdomain, as Kubernetes requires of most object names.
fn validate_name(kind: &ResourceKind, name: &str) -> Result<(), ApiError> {
    let ok = name.len() <= 253
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            kind,
            name,
            "metadata.name",
            &format!(
                "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        ))
    }
}

/// Random lowercase alphanumerics, as `generateName` and pod-template hashes use.
pub fn random_suffix(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..len).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{NAMESPACES, PODS};

    fn world_with_ns() -> World {
        let w = World::new(WorldLimits { history: 4, fanout: 16 });
        w.create(&NAMESPACES, json!({"metadata": {"name": "dev"}}), false).unwrap();
        w
    }

    fn pod(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "dev"}, "spec": {}})
    }

    #[test]
    fn create_fills_server_fields_and_rejects_duplicates() {
        let w = world_with_ns();
        let p = w.create(&PODS, pod("a"), false).unwrap();
        assert_eq!(p["kind"], "Pod");
        assert!(!meta_str(&p, "uid").is_empty());
        assert_eq!(object_rv(&p), w.current_rv());
        assert_eq!(w.create(&PODS, pod("a"), false).unwrap_err().code, 409);
        assert_eq!(
            w.create(&PODS, json!({"metadata": {"name": "x", "namespace": "nope"}}), false).unwrap_err().code,
            404
        );
        assert_eq!(w.create(&PODS, pod("Bad_Name"), false).unwrap_err().code, 422);
        let g = w
            .create(&PODS, json!({"metadata": {"generateName": "web-", "namespace": "dev"}}), false)
            .unwrap();
        assert!(meta_str(&g, "name").starts_with("web-"));
    }

    #[test]
    fn dry_run_changes_nothing() {
        let w = world_with_ns();
        let rv = w.current_rv();
        w.create(&PODS, pod("a"), true).unwrap();
        assert_eq!(w.current_rv(), rv);
        assert!(w.get(&PODS, "dev", "a").is_none());
    }

    #[test]
    fn modify_bumps_rv_only_on_change() {
        let w = world_with_ns();
        let p = w.create(&PODS, pod("a"), false).unwrap();
        let same = w.modify(&PODS, "dev", "a", |_| Ok(())).unwrap();
        assert_eq!(object_rv(&same), object_rv(&p));
        let changed = w
            .modify(&PODS, "dev", "a", |o| {
                o["status"] = json!({"phase": "Running"});
                Ok(())
            })
            .unwrap();
        assert!(object_rv(&changed) > object_rv(&p));
    }

    #[test]
    fn update_checks_resource_version() {
        let w = world_with_ns();
        let p = w.create(&PODS, pod("a"), false).unwrap();
        let mut stale = (*p).clone();
        stale["metadata"]["resourceVersion"] = json!("1");
        assert_eq!(w.update(&PODS, stale, false).unwrap_err().reason, "Conflict");
        let mut fresh = (*p).clone();
        fresh["spec"] = json!({"nodeName": "n1"});
        let updated = w.update(&PODS, fresh, false).unwrap();
        assert_eq!(meta_str(&updated, "uid"), meta_str(&p, "uid"));
    }

    #[test]
    fn watch_resumes_from_history_then_expires() {
        let w = world_with_ns();
        let start = w.current_rv();
        w.create(&PODS, pod("a"), false).unwrap();
        w.create(&PODS, pod("b"), false).unwrap();
        let resumed = w.watch(&PODS, Some(start)).unwrap();
        assert_eq!(resumed.backlog.len(), 2);
        for i in 0..6 {
            w.create(&PODS, pod(&format!("c{i}")), false).unwrap();
        }
        let err = w.watch(&PODS, Some(start)).err().unwrap();
        assert_eq!(err.code, 410);
        assert_eq!(err.reason, "Expired");
    }

    #[test]
    fn live_watch_sees_changes_in_order() {
        let w = world_with_ns();
        let mut start = w.watch(&PODS, None).unwrap();
        w.create(&PODS, pod("a"), false).unwrap();
        w.delete(&PODS, "dev", "a", false).unwrap();
        let first = start.live.try_recv().unwrap();
        let second = start.live.try_recv().unwrap();
        assert_eq!(first.kind, EventType::Added);
        assert_eq!(second.kind, EventType::Deleted);
        assert!(second.rv > first.rv);
    }

    #[test]
    fn change_feed_and_kept_snapshots() {
        let w = world_with_ns();
        let start = w.current_rv();
        w.create(&PODS, pod("a"), false).unwrap();
        let before = w.snapshot(&PODS);
        w.keep_snapshot(&PODS, &before);
        w.create(&PODS, pod("b"), false).unwrap();
        match w.changes_since(&PODS, start) {
            Changes::Events(events) => assert_eq!(events.len(), 2),
            Changes::Expired => panic!("history reaches back"),
        }
        match w.changes_since(&PODS, w.current_rv()) {
            Changes::Events(events) => assert!(events.is_empty()),
            Changes::Expired => panic!("nothing expired"),
        }
        let kept = w.kept_snapshot(&PODS, before.rv).unwrap();
        assert_eq!(kept.objects.len(), 1, "a kept snapshot does not see later writes");
        assert!(w.kept_snapshot(&PODS, before.rv + 100).is_none());
        w.compact();
        assert!(matches!(w.changes_since(&PODS, start), Changes::Expired));
    }

    #[test]
    fn list_pages_in_key_order() {
        let w = world_with_ns();
        for n in ["c", "a", "b"] {
            w.create(&PODS, pod(n), false).unwrap();
        }
        let (_, page) = w.list_from(&PODS, Some("dev"), None, 2, |_| true);
        let names: Vec<_> = page.iter().map(|o| meta_str(o, "name").to_string()).collect();
        assert_eq!(names, ["a", "b"]);
        let after = ("dev".to_string(), "b".to_string());
        let (_, rest) = w.list_from(&PODS, Some("dev"), Some(&after), 2, |_| true);
        assert_eq!(rest.len(), 1);
    }
}
