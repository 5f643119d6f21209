//! Kubernetes events, as controllers and the kubelet record them: repeated ones are aggregated
//! (`count` and `lastTimestamp` grow) instead of piling up.

use serde_json::{Value, json};

use crate::clock::{now_micro_rfc3339, now_rfc3339};
use crate::resources::EVENTS;
use crate::world::{World, meta_str};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Normal,
    Warning,
}

/// Records an event about `object` (any stored object with kind and metadata).
pub fn record(world: &World, object: &Value, kind: EventKind, reason: &str, message: &str, component: &str) {
    let namespace = match meta_str(object, "namespace") {
        "" => "default",
        ns => ns,
    };
    let uid = meta_str(object, "uid");
    let name = format!("{}.{:x}", meta_str(object, "name"), fnv(&[uid, reason, message]));
    let now = now_rfc3339();
    let bumped = world.modify(&EVENTS, namespace, &name, |ev| {
        let count = ev["count"].as_u64().unwrap_or(1) + 1;
        ev["count"] = json!(count);
        ev["lastTimestamp"] = json!(now);
        Ok(())
    });
    if bumped.is_ok() {
        return;
    }
    let event = json!({
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {
            "kind": object["kind"], "apiVersion": object["apiVersion"], "namespace": meta_str(object, "namespace"),
            "name": meta_str(object, "name"), "uid": uid, "resourceVersion": meta_str(object, "resourceVersion"),
        },
        "reason": reason,
        "message": message,
        "type": match kind { EventKind::Normal => "Normal", EventKind::Warning => "Warning" },
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": component,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "eventTime": now_micro_rfc3339(),
        "count": 1,
    });
    if let Err(err) = world.create(&EVENTS, event, false) {
        tracing::debug!(%err, "event not recorded");
    }
}

/// FNV-1a over the parts: a stable, cheap name suffix for aggregation.
pub fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{NAMESPACES, PODS};

    #[test]
    fn repeated_events_are_aggregated() {
        let world = World::default();
        world.create(&NAMESPACES, json!({"metadata": {"name": "dev"}}), false).unwrap();
        let pod = world
            .create(&PODS, json!({"metadata": {"name": "p", "namespace": "dev"}, "spec": {}}), false)
            .unwrap();
        record(
            &world,
            &pod,
            EventKind::Warning,
            "BackOff",
            "Back-off restarting failed container",
            "kubelet",
        );
        record(
            &world,
            &pod,
            EventKind::Warning,
            "BackOff",
            "Back-off restarting failed container",
            "kubelet",
        );
        record(&world, &pod, EventKind::Normal, "Pulled", "pulled", "kubelet");
        let (_, events) = world.list(&EVENTS, Some("dev"));
        assert_eq!(events.len(), 2);
        let backoff = events.iter().find(|e| e["reason"] == "BackOff").unwrap();
        assert_eq!(backoff["count"], 2);
        assert_eq!(backoff["type"], "Warning");
        assert_eq!(backoff["involvedObject"]["name"], "p");
    }
}
