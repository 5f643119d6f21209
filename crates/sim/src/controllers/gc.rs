//! The garbage collector: objects whose controlling owner is gone are deleted (pods terminate gracefully).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::clock::now_rfc3339;
use crate::resources::{self, EVENTS, PODS, ResourceKind};
use crate::state::Shared;
use crate::world::{Changes, EventType, World, meta_str};

/// The collector's pass, run only when an orphan can have appeared: an object was deleted, or one was
/// created with owners (which may already be gone). Events expire on their own clock, checked each minute.
#[derive(Default)]
pub struct GarbageCollector {
    seen: std::sync::Mutex<Option<(u64, std::time::Instant)>>,
}

const EVENT_EXPIRY_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl GarbageCollector {
    pub fn reconcile(&self, state: &Shared) {
        let world = &state.world;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let current = world.current_rv();
        let (orphans_possible, expiry_due) = match *seen {
            None => (true, true),
            Some((rv, at)) => (orphans_possible(world, rv), at.elapsed() >= EVENT_EXPIRY_EVERY),
        };
        if orphans_possible {
            collect_orphans(world);
        }
        if expiry_due {
            expire_events(world, jiff::Timestamp::now());
        }
        let at = match *seen {
            Some((_, at)) if !expiry_due => at,
            _ => std::time::Instant::now(),
        };
        *seen = Some((current, at));
    }
}

fn orphans_possible(world: &World, rv: u64) -> bool {
    resources::stored().any(|kind| match world.changes_since(kind, rv) {
        Changes::Expired => true,
        Changes::Events(events) => events.iter().any(|e| {
            e.kind == EventType::Deleted
                || (e.kind == EventType::Added && e.object.pointer("/metadata/ownerReferences").is_some())
        }),
    })
}

/// Events older than this are removed, as the apiserver's event TTL (1 h by default) does: without it a
/// long demo with pods coming and going would keep every event ever recorded.
const EVENT_TTL_SECONDS: i64 = 3600;

/// One full pass: orphans collected and old events expired.
pub fn collect(world: &World) {
    collect_orphans(world);
    expire_events(world, jiff::Timestamp::now());
}

fn collect_orphans(world: &World) {
    // One listing per kind, borrowed for the uid set: no per-object string copies.
    let lists: Vec<_> = resources::stored().map(|kind| (kind, world.list(kind, None).1)).collect();
    let uids: HashSet<&str> =
        lists.iter().flat_map(|(_, objs)| objs.iter().map(|o| meta_str(o, "uid"))).collect();
    for (kind, objs) in &lists {
        for obj in objs {
            let Some(owners) = obj.pointer("/metadata/ownerReferences").and_then(Value::as_array) else {
                continue;
            };
            let orphaned =
                !owners.is_empty() && owners.iter().all(|o| !uids.contains(o["uid"].as_str().unwrap_or("")));
            if orphaned {
                remove(world, kind, obj);
            }
        }
    }
}

fn expire_events(world: &World, now: jiff::Timestamp) {
    for event in world.list(&EVENTS, None).1 {
        let last = event
            .get("lastTimestamp")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        if last.is_some_and(|t| now.as_second() - t.as_second() > EVENT_TTL_SECONDS) {
            let _ = world.delete(&EVENTS, meta_str(&event, "namespace"), meta_str(&event, "name"), false);
        }
    }
}

fn remove(world: &World, kind: &ResourceKind, obj: &Value) {
    let (ns, name) = (meta_str(obj, "namespace"), meta_str(obj, "name"));
    let result = if kind.kind == "Pod" {
        world.modify(&PODS, ns, name, |p| {
            if p.pointer("/metadata/deletionTimestamp").is_none() {
                p["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
            }
            Ok(())
        })
    } else {
        world.delete(kind, ns, name, false)
    };
    if let Err(err) = result {
        tracing::debug!(%err, "garbage collection skipped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{NAMESPACES, REPLICASETS};

    #[test]
    fn old_events_expire() {
        let w = World::default();
        w.create(&NAMESPACES, json!({"metadata": {"name": "dev"}}), false).unwrap();
        for (name, last) in [("old", "2020-01-01T00:00:00Z"), ("new", "2026-01-01T00:00:00Z")] {
            w.create(
                &EVENTS,
                json!({"metadata": {"name": name, "namespace": "dev"}, "lastTimestamp": last}),
                false,
            )
            .unwrap();
        }
        expire_events(&w, "2026-01-01T00:30:00Z".parse().unwrap());
        assert!(w.get(&EVENTS, "dev", "old").is_none());
        assert!(w.get(&EVENTS, "dev", "new").is_some());
    }

    #[test]
    fn orphans_are_collected() {
        let w = World::default();
        w.create(&NAMESPACES, json!({"metadata": {"name": "dev"}}), false).unwrap();
        let rs = w
            .create(&REPLICASETS, json!({"metadata": {"name": "rs", "namespace": "dev"}, "spec": {}}), false)
            .unwrap();
        let owner = json!([{"uid": meta_str(&rs, "uid"), "kind": "ReplicaSet", "name": "rs", "apiVersion": "apps/v1"}]);
        w.create(
            &PODS,
            json!({"metadata": {"name": "p", "namespace": "dev", "ownerReferences": owner}}),
            false,
        )
        .unwrap();
        collect(&w);
        assert!(w.get(&PODS, "dev", "p").unwrap().pointer("/metadata/deletionTimestamp").is_none());
        w.delete(&REPLICASETS, "dev", "rs", false).unwrap();
        collect(&w);
        assert!(w.get(&PODS, "dev", "p").unwrap().pointer("/metadata/deletionTimestamp").is_some());
    }
}
