//! Background churn (`--churn N`): N pod updates per second spread over all pods, as a busy cluster's
//! status heartbeats would cause. Load for benchmarks of the console's watchers and idle CPU.

use std::time::Duration;

use rand::Rng;
use serde_json::json;

use crate::resources::PODS;
use crate::state::Shared;
use crate::world::meta_str;

const PERIOD: Duration = Duration::from_millis(50);

pub async fn run(state: Shared, per_second: f64) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut owed = 0.0;
    let mut beat: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.shutdown.cancelled() => return,
        }
        owed += per_second * PERIOD.as_secs_f64();
        if owed < 1.0 {
            continue;
        }
        let (_, pods) = state.world.list(&PODS, None);
        if pods.is_empty() {
            continue;
        }
        let mut rng = rand::rng();
        while owed >= 1.0 {
            owed -= 1.0;
            beat += 1;
            let pod = &pods[rng.random_range(0..pods.len())];
            let _ = state.world.modify(&PODS, meta_str(pod, "namespace"), meta_str(pod, "name"), |p| {
                p["metadata"]["annotations"]["sim.platdeck.io/heartbeat"] = json!(beat.to_string());
                Ok(())
            });
        }
    }
}
