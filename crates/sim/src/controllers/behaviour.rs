//! Scripted misbehaviour the timeline switches on and the kubelet and log generator obey.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

type WorkloadKey = (String, String);

#[derive(Debug, Default)]
pub struct Behaviour {
    /// Until when (scenario time) a workload's readiness probe fails.
    flaps: Mutex<HashMap<WorkloadKey, Duration>>,
    /// A raised error rate for a workload's requests, until a scenario time.
    error_bursts: Mutex<HashMap<WorkloadKey, (f64, Duration)>>,
}

fn key(namespace: &str, workload: &str) -> WorkloadKey {
    (namespace.to_string(), workload.to_string())
}

impl Behaviour {
    pub fn flap(&self, namespace: &str, workload: &str, until: Duration) {
        self.flaps.lock().unwrap_or_else(|p| p.into_inner()).insert(key(namespace, workload), until);
    }

    pub fn readiness_failing(&self, namespace: &str, workload: &str, now: Duration) -> bool {
        self.flaps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key(namespace, workload))
            .is_some_and(|until| now < *until)
    }

    /// Whether any workload's readiness is scripted to fail now.
    pub fn any_flap(&self, now: Duration) -> bool {
        self.flaps.lock().unwrap_or_else(|p| p.into_inner()).values().any(|until| now < *until)
    }

    pub fn error_burst(&self, namespace: &str, workload: &str, rate: f64, until: Duration) {
        self.error_bursts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key(namespace, workload), (rate, until));
    }

    /// The error rate in force for a workload now, if a burst is on.
    pub fn burst_error_rate(&self, namespace: &str, workload: &str, now: Duration) -> Option<f64> {
        self.error_bursts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key(namespace, workload))
            .filter(|(_, until)| now < *until)
            .map(|(rate, _)| *rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_end() {
        let b = Behaviour::default();
        b.flap("ns", "w", Duration::from_secs(10));
        assert!(b.readiness_failing("ns", "w", Duration::from_secs(5)));
        assert!(!b.readiness_failing("ns", "w", Duration::from_secs(10)));
        assert!(!b.readiness_failing("ns", "other", Duration::from_secs(5)));
        b.error_burst("ns", "w", 0.5, Duration::from_secs(3));
        assert_eq!(b.burst_error_rate("ns", "w", Duration::from_secs(1)), Some(0.5));
        assert_eq!(b.burst_error_rate("ns", "w", Duration::from_secs(4)), None);
    }
}
