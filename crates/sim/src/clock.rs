//! Simulated time: wall-clock timestamps for objects, and a scenario clock scaled by `--speed`.

use std::time::{Duration, Instant};

/// The scenario clock. `speed` 2.0 makes the timeline and every controller delay run twice as fast.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: Instant,
    speed: f64,
}

impl Clock {
    pub fn new(speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 { speed } else { 1.0 };
        Self { started: Instant::now(), speed }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Scenario time elapsed since the sim started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed().mul_f64(self.speed)
    }

    /// A scenario duration converted to the real time it takes at this speed.
    pub fn real(&self, scenario: Duration) -> Duration {
        scenario.div_f64(self.speed)
    }
}

/// Current wall-clock time as an RFC 3339 string with second precision, as Kubernetes writes `Time`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

/// Current wall-clock time as an RFC 3339 string with microseconds, as Kubernetes writes `MicroTime`.
pub fn now_micro_rfc3339() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Microsecond).map(|t| t.to_string()).unwrap_or_default()
}

/// Current wall-clock time in Unix nanoseconds, as Loki timestamps are written.
pub fn now_unix_nanos() -> i64 {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_scales_real_durations() {
        let clock = Clock::new(4.0);
        assert_eq!(clock.real(Duration::from_secs(8)), Duration::from_secs(2));
    }

    #[test]
    fn nonsense_speed_falls_back_to_real_time() {
        assert_eq!(Clock::new(0.0).speed(), 1.0);
        assert_eq!(Clock::new(f64::NAN).speed(), 1.0);
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let t = now_rfc3339();
        assert!(t.ends_with('Z') && t.contains('T'), "{t}");
        assert!(now_unix_nanos() > 1_700_000_000_000_000_000);
    }
}
