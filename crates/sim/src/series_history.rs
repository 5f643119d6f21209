//! What the sim's Prometheus remembers: the last few scrapes of every series, so `rate`, `increase` and
//! range queries have history. Bounded: a fixed number of scrapes, a cap on series (new ones beyond it
//! are counted, not stored), and a series that vanished from every kept scrape is forgotten.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::promql::{Labels, Matcher, Series};

/// Scrape interval in scenario time (kube-prometheus-stack's default).
pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(15);
/// Scrapes kept: a little over five minutes, so `[5m]` windows are full.
pub const KEPT_SCRAPES: usize = 24;
/// Series remembered at most (about 1 KB each with their labels).
pub const MAX_SERIES: usize = 100_000;

#[derive(Default)]
struct Inner {
    /// Scrape times, oldest first.
    times: VecDeque<f64>,
    /// Per series, one value per kept scrape (aligned with `times`); NaN where the series was absent.
    series: HashMap<Labels, VecDeque<f64>>,
    dropped_series: u64,
}

#[derive(Default)]
pub struct SeriesHistory {
    inner: Mutex<Inner>,
}

impl SeriesHistory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one scrape of every series at `time` (unix seconds).
    pub fn record(&self, time: f64, samples: Vec<(Labels, f64)>) {
        let mut inner = self.lock();
        let Inner { times, series, dropped_series } = &mut *inner;
        times.push_back(time);
        let kept = times.len();
        let mut seen = std::collections::HashSet::with_capacity(samples.len());
        for (labels, value) in samples {
            if let Some(ring) = series.get_mut(&labels) {
                ring.push_back(value);
            } else if series.len() < MAX_SERIES {
                let mut ring = VecDeque::with_capacity(KEPT_SCRAPES + 1);
                ring.extend(std::iter::repeat_n(f64::NAN, kept - 1));
                ring.push_back(value);
                series.insert(labels.clone(), ring);
            } else {
                *dropped_series += 1;
                continue;
            }
            seen.insert(labels);
        }
        for (labels, ring) in series.iter_mut() {
            if ring.len() < kept && !seen.contains(labels) {
                ring.push_back(f64::NAN); // a staleness marker: the series is gone from this scrape
            }
        }
        if times.len() > KEPT_SCRAPES {
            times.pop_front();
            for ring in series.values_mut() {
                ring.pop_front();
            }
        }
        series.retain(|_, ring| ring.iter().any(|v| !v.is_nan()));
    }

    /// Time of the latest scrape, if any.
    pub fn last_scrape(&self) -> Option<f64> {
        self.lock().times.back().copied()
    }

    /// Series currently remembered, and new series refused because of the cap.
    pub fn stats(&self) -> (usize, u64) {
        let inner = self.lock();
        (inner.series.len(), inner.dropped_series)
    }

    /// Remembered series satisfying every matcher, with their samples in `[from, to]` (staleness markers
    /// after the series' first sample kept, earlier absence left out).
    pub fn select(&self, matchers: &[Matcher], from: f64, to: f64) -> Vec<Series> {
        let inner = self.lock();
        let first = inner.times.partition_point(|t| *t < from);
        let last = inner.times.partition_point(|t| *t <= to);
        inner
            .series
            .iter()
            .filter(|(labels, _)| matchers.iter().all(|m| m.matches(labels)))
            .filter_map(|(labels, ring)| {
                let samples: Vec<(f64, f64)> = (first..last)
                    .map(|i| (inner.times[i], ring[i]))
                    .skip_while(|(_, v)| v.is_nan())
                    .collect();
                (!samples.is_empty()).then(|| Series { labels: labels.clone(), samples })
            })
            .collect()
    }

    // A poisoned lock only means a panic elsewhere mid-update; the history is still worth serving.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::MatchOp;

    fn labels(name: &str, job: &str) -> Labels {
        [("__name__", name), ("job", job)].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn job(value: &str) -> Vec<Matcher> {
        vec![Matcher::new("job".into(), MatchOp::Equal, value.into()).unwrap()]
    }

    #[test]
    fn keeps_a_bounded_window_of_scrapes() {
        let history = SeriesHistory::new();
        for i in 0..(KEPT_SCRAPES + 10) {
            history
                .record(i as f64 * 15.0, vec![(labels("up", "api"), 1.0), (labels("reqs", "api"), i as f64)]);
        }
        let series = history.select(&job("api"), 0.0, f64::MAX);
        assert_eq!(series.len(), 2);
        for s in &series {
            assert_eq!(s.samples.len(), KEPT_SCRAPES);
            assert_eq!(s.samples[0].0, 10.0 * 15.0, "the oldest scrapes are gone");
        }
        assert_eq!(history.last_scrape(), Some((KEPT_SCRAPES + 9) as f64 * 15.0));
        let recent = history.select(&job("api"), 30.0 * 15.0, 31.0 * 15.0);
        assert!(recent.iter().all(|s| s.samples.len() == 2), "{recent:?}");
    }

    #[test]
    fn vanished_series_go_stale_then_are_forgotten() {
        let history = SeriesHistory::new();
        history.record(0.0, vec![(labels("up", "old"), 1.0)]);
        history.record(15.0, vec![(labels("up", "new"), 1.0)]);
        let old = history.select(&job("old"), 0.0, 100.0);
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].samples[0], (0.0, 1.0));
        assert!(old[0].samples[1].1.is_nan(), "a staleness marker once absent");
        let new = history.select(&job("new"), 0.0, 100.0);
        assert_eq!(new[0].samples, vec![(15.0, 1.0)], "no markers before a series first appears");
        for i in 2..(KEPT_SCRAPES + 2) {
            history.record(i as f64 * 15.0, vec![(labels("up", "new"), 1.0)]);
        }
        assert!(history.select(&job("old"), 0.0, f64::MAX).is_empty());
        assert_eq!(history.stats(), (1, 0));
    }

    #[test]
    fn series_beyond_the_cap_are_counted_not_kept() {
        let history = SeriesHistory::new();
        let many: Vec<(Labels, f64)> =
            (0..MAX_SERIES + 5).map(|i| (labels("x", &i.to_string()), 1.0)).collect();
        history.record(0.0, many);
        assert_eq!(history.stats(), (MAX_SERIES, 5));
    }
}
