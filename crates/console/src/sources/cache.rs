//! Caches of projected objects, filled by watchers, read by the UI as snapshots.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use platdeck_core::platform::{
    AppInfo, DeploymentInfo, EventInfo, PodInfo, PolicyInfo, PolicyResultInfo, Snapshot, SourceHealth,
};

/// One resource's projected objects, keyed by namespace/name.
#[derive(Debug)]
pub struct ResourceCache<T> {
    items: Mutex<HashMap<String, Arc<T>>>,
    /// Objects received during a (re)list, swapped in whole when the list completes.
    relisting: Mutex<Option<HashMap<String, Arc<T>>>>,
}

impl<T> Default for ResourceCache<T> {
    fn default() -> Self {
        Self { items: Mutex::new(HashMap::new()), relisting: Mutex::new(None) }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T: PartialEq> ResourceCache<T> {
    /// Stores a projection; returns whether anything the console shows changed. Most watch events
    /// (status heartbeats, annotations) change nothing in the projection and wake nobody.
    pub fn apply(&self, key: String, value: T) -> bool {
        let mut items = lock(&self.items);
        if items.get(&key).is_some_and(|old| **old == value) {
            return false;
        }
        items.insert(key, Arc::new(value));
        true
    }
}

impl<T> ResourceCache<T> {
    pub fn delete(&self, key: &str) {
        lock(&self.items).remove(key);
    }

    /// A (re)list starts: until it completes, the old contents stay visible.
    pub fn begin_relist(&self) {
        *lock(&self.relisting) = Some(HashMap::new());
    }

    pub fn relist_apply(&self, key: String, value: T) {
        if let Some(buffer) = lock(&self.relisting).as_mut() {
            buffer.insert(key, Arc::new(value));
        }
    }

    /// The relist completed: its objects replace the cache (objects deleted meanwhile disappear).
    pub fn end_relist(&self) {
        if let Some(buffer) = lock(&self.relisting).take() {
            *lock(&self.items) = buffer;
        }
    }

    pub fn len(&self) -> usize {
        lock(&self.items).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn values(&self) -> Vec<Arc<T>> {
        lock(&self.items).values().cloned().collect()
    }
}

/// Every cache the console keeps, its sources' health, and a change counter the UI watches.
#[derive(Debug)]
pub struct Caches {
    pub apps: ResourceCache<AppInfo>,
    pub deployments: ResourceCache<DeploymentInfo>,
    pub pods: ResourceCache<PodInfo>,
    /// Results per PolicyReport (keyed by report), flattened in snapshots.
    pub reports: ResourceCache<Vec<Arc<PolicyResultInfo>>>,
    pub policies: ResourceCache<PolicyInfo>,
    pub events: ResourceCache<EventInfo>,
    health: Mutex<Vec<(String, SourceHealth)>>,
    changed: watch::Sender<u64>,
}

/// Source names, in header order.
pub const SOURCES: &[&str] =
    &["applications", "deployments", "pods", "policyreports", "clusterpolicies", "events"];

impl Caches {
    pub fn new() -> (Arc<Self>, watch::Receiver<u64>) {
        let (changed, rx) = watch::channel(0);
        let health = SOURCES.iter().map(|s| (s.to_string(), SourceHealth::Connecting)).collect();
        let caches = Self {
            apps: ResourceCache::default(),
            deployments: ResourceCache::default(),
            pods: ResourceCache::default(),
            reports: ResourceCache::default(),
            policies: ResourceCache::default(),
            events: ResourceCache::default(),
            health: Mutex::new(health),
            changed,
        };
        (Arc::new(caches), rx)
    }

    /// Tells readers something changed. Bursts coalesce: readers see only the latest counter.
    pub fn notify(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub fn set_health(&self, source: &str, health: SourceHealth) {
        let mut all = lock(&self.health);
        if let Some(slot) = all.iter_mut().find(|(s, _)| s == source)
            && slot.1 != health
        {
            // Each change of a source's state is in the log (and the diagnostics panel), once.
            match &health {
                SourceHealth::Connected | SourceHealth::Connecting | SourceHealth::NotInstalled => {
                    tracing::info!(source, state = ?health, "source state changed")
                }
                _ => tracing::warn!(source, state = ?health, "source state changed"),
            }
            slot.1 = health;
            drop(all);
            self.notify();
        }
    }

    pub fn health(&self, source: &str) -> Option<SourceHealth> {
        lock(&self.health).iter().find(|(s, _)| s == source).map(|(_, h)| h.clone())
    }

    /// A consistent-enough view of everything, sorted for stable rendering.
    pub fn snapshot(&self) -> Snapshot {
        let mut apps = self.apps.values();
        apps.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut deployments = self.deployments.values();
        deployments.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut pods = self.pods.values();
        pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut policy_results: Vec<Arc<PolicyResultInfo>> =
            self.reports.values().iter().flat_map(|r| r.iter().cloned()).collect();
        policy_results.sort_by(|a, b| {
            (&a.namespace, &a.resource_name, &a.policy, &a.rule).cmp(&(
                &b.namespace,
                &b.resource_name,
                &b.policy,
                &b.rule,
            ))
        });
        let mut policies = self.policies.values();
        policies.sort_by(|a, b| a.name.cmp(&b.name));
        let mut events = self.events.values();
        events.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then_with(|| a.name.cmp(&b.name)));
        Snapshot {
            apps,
            deployments,
            pods,
            policy_results,
            policies,
            events,
            sources: lock(&self.health).clone(),
        }
    }
}

impl Caches {
    /// Waits until every source has finished its first list (or failed definitively), or `timeout`.
    /// Returns the sources still connecting when time ran out.
    pub async fn wait_until_synced(
        &self,
        mut changed: watch::Receiver<u64>,
        timeout: std::time::Duration,
    ) -> Vec<String> {
        let pending = |c: &Caches| -> Vec<String> {
            lock(&c.health)
                .iter()
                .filter(|(_, h)| *h == SourceHealth::Connecting)
                .map(|(s, _)| s.clone())
                .collect()
        };
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let waiting = pending(self);
            if waiting.is_empty() {
                return waiting;
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => continue,
                _ => return pending(self),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relists_replace_contents_only_when_complete() {
        let c: ResourceCache<u32> = ResourceCache::default();
        assert!(c.apply("a".into(), 1));
        assert!(c.apply("b".into(), 2));
        assert!(!c.apply("b".into(), 2), "an unchanged projection is not a change");
        c.begin_relist();
        c.relist_apply("a".into(), 10);
        assert_eq!(c.len(), 2, "old contents stay visible during a relist");
        c.end_relist();
        assert_eq!(c.len(), 1, "b was deleted while we were not watching");
        assert_eq!(*c.values()[0], 10);
    }

    #[test]
    fn health_changes_notify() {
        let (caches, mut rx) = Caches::new();
        caches.set_health("pods", SourceHealth::Connected);
        assert!(rx.has_changed().unwrap());
        rx.mark_unchanged();
        caches.set_health("pods", SourceHealth::Connected);
        assert!(!rx.has_changed().unwrap(), "no change, no wake-up");
        assert_eq!(caches.snapshot().sources.len(), SOURCES.len());
    }
}
