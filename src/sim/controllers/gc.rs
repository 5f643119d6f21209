//! The garbage collector: objects whose controlling owner is gone are deleted (pods terminate gracefully).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::sim::clock::now_rfc3339;
use crate::sim::resources::{self, PODS, ResourceKind};
use crate::sim::state::Shared;
use crate::sim::world::{World, meta_str};

pub fn reconcile(state: &Shared) {
    collect(&state.world);
}

pub fn collect(world: &World) {
    let mut uids = HashSet::new();
    for kind in resources::ALL {
        for obj in world.list(kind, None).1 {
            uids.insert(meta_str(&obj, "uid").to_string());
        }
    }
    for kind in resources::ALL {
        for obj in world.list(kind, None).1 {
            let Some(owners) = obj.pointer("/metadata/ownerReferences").and_then(Value::as_array) else {
                continue;
            };
            let orphaned =
                !owners.is_empty() && owners.iter().all(|o| !uids.contains(o["uid"].as_str().unwrap_or("")));
            if orphaned {
                remove(world, kind, &obj);
            }
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
    use crate::sim::resources::{NAMESPACES, REPLICASETS};

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
