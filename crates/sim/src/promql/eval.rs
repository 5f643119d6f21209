//! Evaluates a parsed expression at one instant or at every step of a range, over series a `Storage`
//! hands out. Each selector's series are fetched once per query, then every step works in memory.

use std::collections::{BTreeMap, HashMap};

use super::{AggregateOp, Expr, Function, Grouping, LOOKBACK_SECS, Labels, METRIC_NAME, Matcher};

/// A series and its samples `(unix seconds, value)`, oldest first. A NaN value is a staleness marker:
/// the series had vanished from its target's scrape at that time.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub samples: Vec<(f64, f64)>,
}

/// Where the samples come from.
pub trait Storage {
    /// Every series satisfying all `matchers`, with its samples whose time is within `[from, to]`.
    fn select(&self, matchers: &[Matcher], from: f64, to: f64) -> Vec<Series>;
}

/// A query result: PromQL's `scalar`, `vector` and `matrix` result types.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(f64),
    Vector(Vec<(Labels, f64)>),
    Matrix(Vec<Series>),
}

/// The expression's value at `time`.
pub fn evaluate(expr: &Expr, storage: &dyn Storage, time: f64) -> Value {
    let data = fetch(expr, storage, time, time);
    sorted(eval_at(expr, &data, time))
}

/// The expression evaluated at `start`, `start + step`, ... up to `end`, as a matrix (series sorted by
/// labels). `expr` must not be a range vector and `step` must be positive (the API checks both).
pub fn evaluate_range(expr: &Expr, storage: &dyn Storage, start: f64, end: f64, step: f64) -> Vec<Series> {
    let data = fetch(expr, storage, start, end);
    let mut by_labels: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    let steps = if step > 0.0 && end >= start { ((end - start) / step).floor() as u64 } else { 0 };
    for i in 0..=steps {
        let t = start + i as f64 * step;
        match eval_at(expr, &data, t) {
            Value::Scalar(v) => by_labels.entry(Labels::new()).or_default().push((t, v)),
            Value::Vector(samples) => {
                for (labels, v) in samples {
                    by_labels.entry(labels).or_default().push((t, v));
                }
            }
            Value::Matrix(_) => {}
        }
    }
    by_labels.into_iter().map(|(labels, samples)| Series { labels, samples }).collect()
}

/// Series per selector node, keyed by the node's address within the expression.
type Fetched = HashMap<usize, Vec<Series>>;

fn key(expr: &Expr) -> usize {
    std::ptr::from_ref(expr) as usize
}

fn fetch(expr: &Expr, storage: &dyn Storage, start: f64, end: f64) -> Fetched {
    fn walk(expr: &Expr, storage: &dyn Storage, start: f64, end: f64, out: &mut Fetched) {
        match expr {
            Expr::Number(_) => {}
            Expr::Selector { matchers, range } => {
                let from = start - range.unwrap_or(LOOKBACK_SECS);
                out.insert(key(expr), storage.select(matchers, from, end));
            }
            Expr::Call { arg, .. } | Expr::Aggregate { arg, .. } => walk(arg, storage, start, end, out),
            Expr::Compare { vector, number, .. } => {
                walk(vector, storage, start, end, out);
                walk(number, storage, start, end, out);
            }
            Expr::CompareScalars { lhs, rhs, .. } => {
                walk(lhs, storage, start, end, out);
                walk(rhs, storage, start, end, out);
            }
        }
    }
    let mut out = Fetched::new();
    walk(expr, storage, start, end, &mut out);
    out
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Vector(mut samples) => {
            samples.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Vector(samples)
        }
        Value::Matrix(mut series) => {
            series.sort_by(|a, b| a.labels.cmp(&b.labels));
            Value::Matrix(series)
        }
        scalar => scalar,
    }
}

fn eval_at(expr: &Expr, data: &Fetched, t: f64) -> Value {
    match expr {
        Expr::Number(n) => Value::Scalar(*n),
        Expr::Selector { range: None, .. } => {
            let series = data.get(&key(expr)).map(Vec::as_slice).unwrap_or_default();
            Value::Vector(series.iter().filter_map(|s| latest(s, t).map(|v| (s.labels.clone(), v))).collect())
        }
        Expr::Selector { range: Some(range), .. } => {
            let series = data.get(&key(expr)).map(Vec::as_slice).unwrap_or_default();
            Value::Matrix(series.iter().filter_map(|s| window(s, t, *range)).collect())
        }
        Expr::Call { function, arg } => {
            let (Value::Matrix(series), Expr::Selector { range: Some(range), .. }) =
                (eval_at(arg, data, t), arg.as_ref())
            else {
                return Value::Vector(Vec::new());
            };
            let rate = *function == Function::Rate;
            Value::Vector(
                series
                    .into_iter()
                    .filter_map(|s| {
                        let v = extrapolated_delta(&s.samples, t - range, t, rate)?;
                        Some((without_name(s.labels), v))
                    })
                    .collect(),
            )
        }
        Expr::Aggregate { op, grouping, arg } => match eval_at(arg, data, t) {
            Value::Vector(samples) => Value::Vector(aggregate(*op, grouping, samples)),
            _ => Value::Vector(Vec::new()),
        },
        Expr::Compare { op, returns_bool, vector, number, number_on_left } => {
            let (Value::Vector(samples), Value::Scalar(n)) =
                (eval_at(vector, data, t), eval_at(number, data, t))
            else {
                return Value::Vector(Vec::new());
            };
            let holds = |v: f64| if *number_on_left { op.holds(n, v) } else { op.holds(v, n) };
            Value::Vector(
                samples
                    .into_iter()
                    .filter_map(|(labels, v)| match returns_bool {
                        true => Some((without_name(labels), if holds(v) { 1.0 } else { 0.0 })),
                        false => holds(v).then_some((labels, v)),
                    })
                    .collect(),
            )
        }
        Expr::CompareScalars { op, lhs, rhs } => match (eval_at(lhs, data, t), eval_at(rhs, data, t)) {
            (Value::Scalar(l), Value::Scalar(r)) => Value::Scalar(if op.holds(l, r) { 1.0 } else { 0.0 }),
            _ => Value::Scalar(f64::NAN),
        },
    }
}

/// The latest sample at or before `t` within the lookback window, unless the series went stale.
fn latest(series: &Series, t: f64) -> Option<f64> {
    let upto = series.samples.partition_point(|(ts, _)| *ts <= t);
    let (ts, v) = *series.samples[..upto].last()?;
    (ts > t - LOOKBACK_SECS && !v.is_nan()).then_some(v)
}

/// The samples in `(t - range, t]`, staleness markers left out; None if there are none.
fn window(series: &Series, t: f64, range: f64) -> Option<Series> {
    let samples: Vec<(f64, f64)> =
        series.samples.iter().copied().filter(|(ts, v)| *ts > t - range && *ts <= t && !v.is_nan()).collect();
    (!samples.is_empty()).then(|| Series { labels: series.labels.clone(), samples })
}

fn without_name(mut labels: Labels) -> Labels {
    labels.remove(METRIC_NAME);
    labels
}

/// `increase` (or `rate` when `per_second`) of a counter over `(range_start, range_end]`, as Prometheus
/// computes it: counter resets corrected, then extrapolated towards the window's edges (but not past
/// where the counter would have been zero). Needs two samples.
fn extrapolated_delta(
    samples: &[(f64, f64)],
    range_start: f64,
    range_end: f64,
    per_second: bool,
) -> Option<f64> {
    let (&(first_t, first_v), &(last_t, last_v)) = (samples.first()?, samples.last()?);
    if samples.len() < 2 || last_t <= first_t {
        return None;
    }
    let mut delta = last_v - first_v;
    for pair in samples.windows(2) {
        if pair[1].1 < pair[0].1 {
            delta += pair[0].1; // a reset: the counter restarted from zero
        }
    }
    let sampled = last_t - first_t;
    let average_gap = sampled / (samples.len() - 1) as f64;
    let threshold = average_gap * 1.1;
    let mut to_start = first_t - range_start;
    let to_end = range_end - last_t;
    if delta > 0.0 && first_v >= 0.0 {
        to_start = to_start.min(sampled * (first_v / delta));
    }
    let mut interval = sampled;
    interval += if to_start < threshold { to_start } else { average_gap / 2.0 };
    interval += if to_end < threshold { to_end } else { average_gap / 2.0 };
    let mut value = delta * (interval / sampled);
    if per_second {
        value /= range_end - range_start;
    }
    Some(value)
}

fn aggregate(op: AggregateOp, grouping: &Grouping, samples: Vec<(Labels, f64)>) -> Vec<(Labels, f64)> {
    // (sum, count, max, min) per group.
    let mut groups: BTreeMap<Labels, (f64, f64, f64, f64)> = BTreeMap::new();
    for (labels, v) in samples {
        let group = match grouping {
            Grouping::All => Labels::new(),
            Grouping::By(names) => labels.into_iter().filter(|(k, _)| names.contains(k)).collect(),
            Grouping::Without(names) => {
                labels.into_iter().filter(|(k, _)| k != METRIC_NAME && !names.contains(k)).collect()
            }
        };
        let entry = groups.entry(group).or_insert((0.0, 0.0, f64::NAN, f64::NAN));
        entry.0 += v;
        entry.1 += 1.0;
        // NaN never wins against a number, as in Prometheus.
        if entry.2.is_nan() || v > entry.2 {
            entry.2 = v;
        }
        if entry.3.is_nan() || v < entry.3 {
            entry.3 = v;
        }
    }
    groups
        .into_iter()
        .map(|(labels, (sum, count, max, min))| {
            let value = match op {
                AggregateOp::Sum => sum,
                AggregateOp::Count => count,
                AggregateOp::Avg => sum / count,
                AggregateOp::Max => max,
                AggregateOp::Min => min,
            };
            (labels, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::parse;

    /// Series in memory; `select` applies the matchers and the time bounds like the sim's storage.
    struct Memory(Vec<Series>);

    impl Storage for Memory {
        fn select(&self, matchers: &[Matcher], from: f64, to: f64) -> Vec<Series> {
            self.0
                .iter()
                .filter(|s| matchers.iter().all(|m| m.matches(&s.labels)))
                .map(|s| Series {
                    labels: s.labels.clone(),
                    samples: s.samples.iter().copied().filter(|(t, _)| *t >= from && *t <= to).collect(),
                })
                .collect()
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn series(pairs: &[(&str, &str)], samples: &[(f64, f64)]) -> Series {
        Series { labels: labels(pairs), samples: samples.to_vec() }
    }

    const T: f64 = 1_000_000.0;

    /// Three `up` targets (one down, one stale), and a counter per service scraped every 15 s.
    fn storage() -> Memory {
        Memory(vec![
            series(&[("__name__", "up"), ("job", "api"), ("service", "api")], &[(T - 15.0, 1.0), (T, 1.0)]),
            series(&[("__name__", "up"), ("job", "web"), ("service", "web")], &[(T - 15.0, 1.0), (T, 0.0)]),
            series(
                &[("__name__", "up"), ("job", "old"), ("service", "old")],
                &[(T - 30.0, 1.0), (T - 15.0, f64::NAN)],
            ),
            series(
                &[("__name__", "reqs_total"), ("service", "api"), ("status", "200")],
                &[(T - 45.0, 10.0), (T - 30.0, 25.0), (T - 15.0, 40.0), (T, 55.0)],
            ),
            series(
                &[("__name__", "reqs_total"), ("service", "api"), ("status", "500")],
                // A counter reset between the second and third sample.
                &[(T - 45.0, 100.0), (T - 30.0, 130.0), (T - 15.0, 10.0), (T, 40.0)],
            ),
            series(&[("__name__", "reqs_total"), ("service", "web"), ("status", "200")], &[(T - 600.0, 5.0)]),
        ])
    }

    fn vector(query: &str) -> Vec<(Labels, f64)> {
        match evaluate(&parse(query).unwrap(), &storage(), T) {
            Value::Vector(v) => v,
            other => panic!("{query}: not a vector: {other:?}"),
        }
    }

    fn values(query: &str) -> Vec<(String, f64)> {
        vector(query)
            .into_iter()
            .map(|(l, v)| (l.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","), v))
            .collect()
    }

    #[test]
    fn instant_selectors_take_the_latest_fresh_sample() {
        assert_eq!(
            values("up"),
            vec![
                ("__name__=up,job=api,service=api".into(), 1.0),
                ("__name__=up,job=web,service=web".into(), 0.0)
            ],
            "the stale target and nothing older than the lookback"
        );
        assert_eq!(values(r#"up{job!="api"}"#).len(), 1);
        assert_eq!(values(r#"up{job=~"a.|we."}"#).len(), 1, "anchored: `a.` does not match `api`");
        assert_eq!(values(r#"up{job!~"w.*"}"#).len(), 1);
        assert_eq!(values(r#"{service="api"}"#).len(), 3);
        assert!(values("reqs_total{service=\"web\"}").is_empty(), "ten minutes old is past the lookback");
        assert_eq!(values("up{nosuch=\"\"}").len(), 2, "an absent label matches the empty string");
    }

    #[test]
    fn aggregations_group_by_and_without() {
        assert_eq!(
            values("sum by (service) (up)"),
            vec![("service=api".into(), 1.0), ("service=web".into(), 0.0)]
        );
        assert_eq!(values("count(up)"), vec![(String::new(), 2.0)]);
        assert_eq!(values("avg(up)"), vec![(String::new(), 0.5)]);
        assert_eq!(values("max(up)"), vec![(String::new(), 1.0)]);
        assert_eq!(values("min(up)"), vec![(String::new(), 0.0)]);
        assert_eq!(
            values("sum without (job) (up)"),
            vec![("service=api".into(), 1.0), ("service=web".into(), 0.0)]
        );
        assert_eq!(values("sum by (nosuch) (up)"), vec![(String::new(), 1.0)]);
        assert!(values("sum(nothing_here)").is_empty(), "no samples, no group");
    }

    #[test]
    fn comparisons_filter_or_answer_bool() {
        assert_eq!(values("up == 1"), vec![("__name__=up,job=api,service=api".into(), 1.0)]);
        assert_eq!(values("up > 0.5"), values("0.5 < up"));
        assert_eq!(values("up != 1"), vec![("__name__=up,job=web,service=web".into(), 0.0)]);
        assert_eq!(
            values("up >= bool 1"),
            vec![("job=api,service=api".into(), 1.0), ("job=web,service=web".into(), 0.0)]
        );
        assert_eq!(values("sum(up) > 0"), vec![(String::new(), 1.0)]);
        assert!(values("sum(up) > 5").is_empty());
        assert_eq!(evaluate(&parse("2 > bool 1").unwrap(), &storage(), T), Value::Scalar(1.0));
        assert_eq!(evaluate(&parse("42").unwrap(), &storage(), T), Value::Scalar(42.0));
    }

    #[test]
    fn rate_and_increase_extrapolate_and_correct_resets() {
        // 15 per 15 s, samples spanning 45 s of a 60 s window: extrapolated to the window start but not
        // before the counter's zero point (10 / 15 per s ≈ 10 s earlier).
        let rows = values("increase(reqs_total{status=\"200\"}[1m])");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "service=api,status=200", "the metric name is dropped");
        assert!((rows[0].1 - 55.0).abs() < 1e-9, "{rows:?}");
        let rate = values("rate(reqs_total{status=\"200\"}[1m])");
        assert!((rate[0].1 - 55.0 / 60.0).abs() < 1e-9, "{rate:?}");
        // The reset: 30 + 10 (after the reset, counted from zero) + 30 = 70 over 45 s, extrapolated to the
        // full 60 s (the first sample is within 1.1 average gaps of the window start).
        let reset = values("increase(reqs_total{status=\"500\"}[1m])");
        assert!((reset[0].1 - 70.0 * 60.0 / 45.0).abs() < 1e-9, "{reset:?}");
        assert!(values("rate(reqs_total{service=\"web\"}[1m])").is_empty(), "one sample is no rate");
        assert_eq!(values("sum(rate(reqs_total[1m])) > 0").len(), 1);
    }

    #[test]
    fn range_selectors_give_a_matrix_and_ranges_evaluate_each_step() {
        let Value::Matrix(m) = evaluate(&parse("up{job=\"web\"}[20s]").unwrap(), &storage(), T) else {
            panic!()
        };
        assert_eq!(m[0].samples, vec![(T - 15.0, 1.0), (T, 0.0)]);
        let matrix = evaluate_range(&parse("sum by (service) (up)").unwrap(), &storage(), T - 30.0, T, 15.0);
        let rows: Vec<(String, Vec<(f64, f64)>)> =
            matrix.into_iter().map(|s| (s.labels["service"].clone(), s.samples)).collect();
        assert_eq!(
            rows,
            vec![
                ("api".into(), vec![(T - 15.0, 1.0), (T, 1.0)]),
                ("old".into(), vec![(T - 30.0, 1.0)]),
                ("web".into(), vec![(T - 15.0, 1.0), (T, 0.0)]),
            ]
        );
        let scalar = evaluate_range(&parse("1").unwrap(), &storage(), T - 30.0, T, 10.0);
        assert_eq!(
            scalar,
            vec![Series {
                labels: Labels::new(),
                samples: vec![(T - 30.0, 1.0), (T - 20.0, 1.0), (T - 10.0, 1.0), (T, 1.0)]
            }]
        );
    }
}
