//! Fault injection knobs (`--faults`), for reliability tests of the console against the sim.
//!
//! Spec: comma-separated `key=value` pairs, for example
//! `watch-drop=0.2,expire=0.1,latency=20ms..200ms,error-rate=0.05,ws-drop-after=10,seed=7`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What `--faults` asked for. Probabilities are in `0.0..=1.0`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// Probability, checked once per second of each watch stream, that the connection is cut without a clean end.
    pub watch_drop: f64,
    /// Cut every watch stream after this many events (deterministic drops).
    pub watch_drop_after: Option<u64>,
    /// Probability that a watch from a given resourceVersion is answered with a 410 `Expired` ERROR event.
    pub expire: f64,
    /// Added latency for every request: a fixed duration or a uniform range.
    pub latency: Option<(Duration, Duration)>,
    /// Probability that a request (list, get, watch, write) fails with a 5xx before it is served.
    pub error_rate: f64,
    /// Probability, checked once per second of each Loki tail websocket, that it is closed.
    pub ws_drop: f64,
    /// Close every Loki tail websocket after this many frames (deterministic drops).
    pub ws_drop_after: Option<u64>,
    /// Seed for the random choices, so a failing run can be replayed.
    pub seed: Option<u64>,
    /// Resources (plural names) every client is forbidden to read, as RBAC would deny them (403).
    pub forbid: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultSpecError {
    #[error("fault `{0}` is not key=value")]
    NotKeyValue(String),
    #[error(
        "unknown fault `{0}` (known: watch-drop, watch-drop-after, expire, latency, error-rate, ws-drop, ws-drop-after, seed, forbid)"
    )]
    UnknownKey(String),
    #[error("fault `{key}`: `{value}` is not a probability between 0 and 1")]
    BadProbability { key: String, value: String },
    #[error("fault `{key}`: `{value}` is not a whole number")]
    BadCount { key: String, value: String },
    #[error("fault `latency`: `{0}` is not a duration like 50ms, 1s or 10ms..200ms")]
    BadLatency(String),
}

impl FaultSpec {
    pub fn parse(spec: &str) -> Result<Self, FaultSpecError> {
        let mut out = FaultSpec::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) =
                part.split_once('=').ok_or_else(|| FaultSpecError::NotKeyValue(part.to_string()))?;
            let (key, value) = (key.trim(), value.trim());
            match key {
                "watch-drop" => out.watch_drop = probability(key, value)?,
                "watch-drop-after" => out.watch_drop_after = Some(count(key, value)?),
                "expire" => out.expire = probability(key, value)?,
                "latency" => out.latency = Some(latency(value)?),
                "error-rate" => out.error_rate = probability(key, value)?,
                "ws-drop" => out.ws_drop = probability(key, value)?,
                "ws-drop-after" => out.ws_drop_after = Some(count(key, value)?),
                "seed" => out.seed = Some(count(key, value)?),
                // `forbid=policyreports+events`: `+` separates, since `,` separates knobs.
                "forbid" => {
                    out.forbid =
                        value.split('+').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect()
                }
                other => return Err(FaultSpecError::UnknownKey(other.to_string())),
            }
        }
        Ok(out)
    }

    pub fn is_quiet(&self) -> bool {
        *self == FaultSpec { seed: self.seed, ..FaultSpec::default() }
    }
}

fn probability(key: &str, value: &str) -> Result<f64, FaultSpecError> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(FaultSpecError::BadProbability { key: key.to_string(), value: value.to_string() }),
    }
}

fn count(key: &str, value: &str) -> Result<u64, FaultSpecError> {
    value
        .parse::<u64>()
        .map_err(|_| FaultSpecError::BadCount { key: key.to_string(), value: value.to_string() })
}

fn latency(value: &str) -> Result<(Duration, Duration), FaultSpecError> {
    let bad = || FaultSpecError::BadLatency(value.to_string());
    let (low, high) = match value.split_once("..") {
        Some((a, b)) => (parse_duration(a).ok_or_else(bad)?, parse_duration(b).ok_or_else(bad)?),
        None => {
            let d = parse_duration(value).ok_or_else(bad)?;
            (d, d)
        }
    };
    if low > high {
        return Err(bad());
    }
    Ok((low, high))
}

/// Parses `250ms`, `2s`, `1m`; a bare number is milliseconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "" | "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// The live fault injector shared by every server of the sim.
#[derive(Debug)]
pub struct Faults {
    pub spec: FaultSpec,
    rng: Mutex<StdRng>,
    counts: [AtomicU64; 4],
}

/// How many faults were injected so far, by kind (tests check their faults really bit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub watch_drops: u64,
    pub expired: u64,
    pub errors: u64,
    pub ws_drops: u64,
}

#[derive(Clone, Copy)]
enum Kind {
    WatchDrop = 0,
    Expired = 1,
    Error = 2,
    WsDrop = 3,
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Self {
        let rng = match spec.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self { spec, rng: Mutex::new(rng), counts: Default::default() }
    }

    pub fn none() -> Self {
        Self::new(FaultSpec::default())
    }

    /// True with probability `p`.
    pub fn chance(&self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        rng.random_bool(p)
    }

    /// The latency to add to one request, if any.
    pub fn latency(&self) -> Option<Duration> {
        let (low, high) = self.spec.latency?;
        if low == high {
            return Some(low);
        }
        let mut rng = self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Some(rng.random_range(low..=high))
    }

    /// Sleeps for the configured latency (if any); call at the start of every request.
    pub async fn delay(&self) {
        if let Some(d) = self.latency() {
            tokio::time::sleep(d).await;
        }
    }

    fn counted(&self, kind: Kind, happened: bool) -> bool {
        if happened {
            self.counts[kind as usize].fetch_add(1, Ordering::Relaxed);
        }
        happened
    }

    /// Whether this request should fail with a 5xx.
    pub fn inject_error(&self) -> bool {
        self.counted(Kind::Error, self.chance(self.spec.error_rate))
    }

    /// Whether a watch starting from a resourceVersion should be answered with 410 Expired.
    pub fn expire_watch(&self) -> bool {
        self.counted(Kind::Expired, self.chance(self.spec.expire))
    }

    /// Whether a watch stream should be cut now (checked once per second per stream).
    pub fn drop_watch_now(&self) -> bool {
        self.counted(Kind::WatchDrop, self.chance(self.spec.watch_drop))
    }

    /// Records a deterministic watch cut (`watch-drop-after`).
    pub fn note_watch_drop(&self) {
        self.counted(Kind::WatchDrop, true);
    }

    /// Whether a Loki tail websocket should be closed now (checked once per second per socket).
    pub fn drop_ws_now(&self) -> bool {
        self.counted(Kind::WsDrop, self.chance(self.spec.ws_drop))
    }

    /// Records a deterministic websocket close (`ws-drop-after`).
    pub fn note_ws_drop(&self) {
        self.counted(Kind::WsDrop, true);
    }

    pub fn counts(&self) -> FaultCounts {
        let get = |k: Kind| self.counts[k as usize].load(Ordering::Relaxed);
        FaultCounts {
            watch_drops: get(Kind::WatchDrop),
            expired: get(Kind::Expired),
            errors: get(Kind::Error),
            ws_drops: get(Kind::WsDrop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_knob() {
        let spec = FaultSpec::parse(
            "watch-drop=0.2, watch-drop-after=5,expire=0.1,latency=10ms..200ms,error-rate=0.05,ws-drop=1,ws-drop-after=3,seed=7",
        )
        .unwrap();
        assert_eq!(spec.watch_drop, 0.2);
        assert_eq!(spec.watch_drop_after, Some(5));
        assert_eq!(spec.expire, 0.1);
        assert_eq!(spec.latency, Some((Duration::from_millis(10), Duration::from_millis(200))));
        assert_eq!(spec.error_rate, 0.05);
        assert_eq!(spec.ws_drop, 1.0);
        assert_eq!(spec.ws_drop_after, Some(3));
        assert_eq!(spec.seed, Some(7));
        assert_eq!(
            FaultSpec::parse("forbid=policyreports+events").unwrap().forbid,
            ["policyreports", "events"]
        );
        assert!(!spec.is_quiet());
        assert!(FaultSpec::parse("").unwrap().is_quiet());
    }

    #[test]
    fn rejects_bad_specs_with_a_reason() {
        assert_eq!(FaultSpec::parse("nope").unwrap_err(), FaultSpecError::NotKeyValue("nope".into()));
        assert!(matches!(FaultSpec::parse("bogus=1"), Err(FaultSpecError::UnknownKey(k)) if k == "bogus"));
        assert!(matches!(FaultSpec::parse("expire=1.5"), Err(FaultSpecError::BadProbability { .. })));
        assert!(matches!(FaultSpec::parse("seed=-1"), Err(FaultSpecError::BadCount { .. })));
        assert!(matches!(FaultSpec::parse("latency=9x"), Err(FaultSpecError::BadLatency(_))));
        assert!(matches!(FaultSpec::parse("latency=2s..1s"), Err(FaultSpecError::BadLatency(_))));
    }

    #[test]
    fn certain_and_impossible_chances() {
        let faults = Faults::new(FaultSpec { seed: Some(1), ..FaultSpec::default() });
        assert!(!faults.chance(0.0));
        assert!(faults.chance(1.0));
        assert!(faults.latency().is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("40"), Some(Duration::from_millis(40)));
        assert_eq!(parse_duration("x"), None);
    }
}
