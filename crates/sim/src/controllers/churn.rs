//! Background churn (`--churn N`): N pod updates per second spread over all pods, as a busy cluster's
//! status heartbeats would cause. Load for benchmarks of the console's watchers and idle CPU.
//!
//! Its cost follows the updates it makes, not the number of pods: it keeps the pods' keys and follows
//! their additions and deletions through the world's change feed instead of listing every pod per tick.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use serde_json::json;

use crate::resources::PODS;
use crate::state::Shared;
use crate::world::{Changes, EventType, Key, World, meta_str};

const PERIOD: Duration = Duration::from_millis(50);

/// The pods' keys, kept current from the change feed (a full relist only when history has moved on).
#[derive(Default)]
pub struct PodKeys {
    keys: Vec<Key>,
    index: HashMap<Key, usize>,
    seen_rv: u64,
    loaded: bool,
}

impl PodKeys {
    pub fn refresh(&mut self, world: &World) {
        let now = world.current_rv();
        let changes = if self.loaded { world.changes_since(&PODS, self.seen_rv) } else { Changes::Expired };
        match changes {
            Changes::Expired => {
                let snapshot = world.snapshot(&PODS);
                self.keys = snapshot.objects.keys().cloned().collect();
                self.index = self.keys.iter().cloned().enumerate().map(|(i, k)| (k, i)).collect();
                self.seen_rv = snapshot.rv;
                self.loaded = true;
                return;
            }
            Changes::Events(events) => {
                for e in events {
                    let key = (
                        meta_str(&e.object, "namespace").to_string(),
                        meta_str(&e.object, "name").to_string(),
                    );
                    match e.kind {
                        EventType::Deleted => self.remove(&key),
                        _ => self.insert(key),
                    }
                }
            }
        }
        self.seen_rv = now;
    }

    fn insert(&mut self, key: Key) {
        if !self.index.contains_key(&key) {
            self.index.insert(key.clone(), self.keys.len());
            self.keys.push(key);
        }
    }

    fn remove(&mut self, key: &Key) {
        if let Some(i) = self.index.remove(key) {
            self.keys.swap_remove(i);
            if let Some(moved) = self.keys.get(i) {
                self.index.insert(moved.clone(), i);
            }
        }
    }

    pub fn random(&self, rng: &mut impl Rng) -> Option<&Key> {
        (!self.keys.is_empty()).then(|| &self.keys[rng.random_range(0..self.keys.len())])
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

pub async fn run(state: Shared, per_second: f64) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut owed = 0.0;
    let mut beat: u64 = 0;
    let mut pods = PodKeys::default();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.shutdown.cancelled() => return,
        }
        owed += per_second * PERIOD.as_secs_f64();
        if owed < 1.0 {
            continue;
        }
        pods.refresh(&state.world);
        let mut rng = rand::rng();
        while owed >= 1.0 {
            owed -= 1.0;
            beat += 1;
            let Some((ns, name)) = pods.random(&mut rng) else { break };
            let _ = state.world.modify(&PODS, ns, name, |p| {
                p["metadata"]["annotations"]["sim.platdeck.io/heartbeat"] = json!(beat.to_string());
                Ok(())
            });
        }
        owed = owed.min(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::NAMESPACES;

    #[test]
    fn keys_follow_additions_and_deletions() {
        let w = World::default();
        w.create(&NAMESPACES, json!({"metadata": {"name": "dev"}}), false).unwrap();
        let pod = |n: &str| json!({"metadata": {"name": n, "namespace": "dev"}, "spec": {}});
        w.create(&PODS, pod("a"), false).unwrap();
        let mut keys = PodKeys::default();
        keys.refresh(&w);
        assert_eq!(keys.len(), 1);
        w.create(&PODS, pod("b"), false).unwrap();
        w.create(&PODS, pod("c"), false).unwrap();
        w.delete(&PODS, "dev", "a", false).unwrap();
        keys.refresh(&w);
        assert_eq!(keys.len(), 2);
        let mut rng = rand::rng();
        for _ in 0..20 {
            assert_ne!(keys.random(&mut rng).unwrap().1, "a");
        }
    }
}
