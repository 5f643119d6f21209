//! Per-service request metrics of the simulated services, rendered in the Prometheus text exposition
//! format 0.0.4 (wire-formats §5.1) as each service's `/metrics` would serve them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};

/// Upper bounds of `http_request_duration_seconds` (the `+Inf` bucket is implicit).
pub const DURATION_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// Distinct (method, path, status) series kept per service; further ones are counted under path `other`,
/// so a generator inventing paths cannot grow memory without bound.
const MAX_SERIES_PER_SERVICE: usize = 1000;
const OVERFLOW_PATH: &str = "other";

type ServiceKey = (String, String);
type RequestKey = (String, String, u16);

struct ServiceMetrics {
    start_time_secs: f64,
    requests: BTreeMap<RequestKey, u64>,
    /// Observations per bucket (not cumulative); index `DURATION_BUCKETS.len()` is the `+Inf`-only bucket.
    buckets: [u64; DURATION_BUCKETS.len() + 1],
    count: u64,
    sum: f64,
}

impl ServiceMetrics {
    fn new() -> Self {
        Self {
            start_time_secs: now_secs(),
            requests: BTreeMap::new(),
            buckets: [0; DURATION_BUCKETS.len() + 1],
            count: 0,
            sum: 0.0,
        }
    }
}

/// Thread-safe request metrics of every simulated service.
pub struct MetricsStore {
    services: Mutex<BTreeMap<ServiceKey, ServiceMetrics>>,
}

impl Default for MetricsStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsStore {
    pub fn new() -> Self {
        Self { services: Mutex::new(BTreeMap::new()) }
    }

    /// Makes a service known (so it is scrapeable) before it serves any request; a no-op if already known.
    pub fn register_service(&self, namespace: &str, service: &str) {
        self.lock().entry((namespace.to_string(), service.to_string())).or_insert_with(ServiceMetrics::new);
    }

    /// One request served by `service` in `namespace` (the sim's traffic generator calls this for every
    /// request log line it writes).
    pub fn record_request(
        &self,
        namespace: &str,
        service: &str,
        method: &str,
        path: &str,
        status: u16,
        duration_secs: f64,
    ) {
        let duration = if duration_secs.is_finite() && duration_secs > 0.0 { duration_secs } else { 0.0 };
        let mut services = self.lock();
        let metrics =
            services.entry((namespace.to_string(), service.to_string())).or_insert_with(ServiceMetrics::new);
        let key = (method.to_string(), path.to_string(), status);
        let key = if metrics.requests.contains_key(&key) || metrics.requests.len() < MAX_SERIES_PER_SERVICE {
            key
        } else {
            (method.to_string(), OVERFLOW_PATH.to_string(), status)
        };
        *metrics.requests.entry(key).or_insert(0) += 1;
        let bucket = DURATION_BUCKETS.iter().position(|le| duration <= *le).unwrap_or(DURATION_BUCKETS.len());
        metrics.buckets[bucket] += 1;
        metrics.count += 1;
        metrics.sum += duration;
    }

    /// Prometheus text exposition (format 0.0.4) for one service, None if unknown.
    pub fn render_service(&self, namespace: &str, service: &str) -> Option<String> {
        let services = self.lock();
        let (key, metrics) = services.get_key_value(&(namespace.to_string(), service.to_string()))?;
        Some(render(std::iter::once((key, metrics)), false))
    }

    /// Exposition for all services, each series labelled namespace and service.
    pub fn render_all(&self) -> String {
        render(self.lock().iter(), true)
    }

    /// Every current sample of every service, in the exposition's order, under the lock (keep `visit` short).
    pub fn visit_samples(&self, visit: impl FnMut(SampleRef<'_>)) {
        for_each_sample(self.lock().iter(), visit);
    }

    /// Known services as (namespace, service), sorted.
    pub fn services(&self) -> Vec<(String, String)> {
        self.lock().keys().cloned().collect()
    }

    // A poisoned lock only means a panic elsewhere mid-update; counters are still worth serving.
    fn lock(&self) -> MutexGuard<'_, BTreeMap<ServiceKey, ServiceMetrics>> {
        self.services.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn now_secs() -> f64 {
    let ms = jiff::Timestamp::now().as_millisecond();
    ms as f64 / 1000.0
}

/// A metric family: its name, type and help text.
pub struct Family {
    pub name: &'static str,
    pub kind: &'static str,
    pub help: &'static str,
}

pub const FAMILIES: [Family; 3] = [
    Family { name: "http_requests_total", kind: "counter", help: "Total number of HTTP requests served." },
    Family {
        name: "http_request_duration_seconds",
        kind: "histogram",
        help: "Duration of HTTP requests in seconds.",
    },
    Family {
        name: "process_start_time_seconds",
        kind: "gauge",
        help: "Start time of the process since unix epoch in seconds.",
    },
];

/// One sample as a scrape sees it: family index, sample name, the service it belongs to, its own labels
/// (without namespace and service) and its value.
pub struct SampleRef<'a> {
    pub family: usize,
    pub name: &'a str,
    pub namespace: &'a str,
    pub service: &'a str,
    pub labels: &'a [(&'a str, &'a str)],
    pub value: f64,
}

/// Calls `visit` for every sample of the given services, family by family (the exposition's order).
fn for_each_sample<'a>(
    services: impl Iterator<Item = (&'a ServiceKey, &'a ServiceMetrics)> + Clone,
    mut visit: impl FnMut(SampleRef<'_>),
) {
    for family in 0..FAMILIES.len() {
        for ((namespace, service), m) in services.clone() {
            let mut emit = |name: &str, labels: &[(&str, &str)], value: f64| {
                visit(SampleRef { family, name, namespace, service, labels, value });
            };
            match family {
                0 => {
                    for ((method, path, status), count) in &m.requests {
                        let status = status.to_string();
                        let labels =
                            [("method", method.as_str()), ("path", path.as_str()), ("status", &status)];
                        emit("http_requests_total", &labels, *count as f64);
                    }
                }
                1 => {
                    let bucket = "http_request_duration_seconds_bucket";
                    let mut cumulative = 0u64;
                    for (i, le) in DURATION_BUCKETS.iter().enumerate() {
                        cumulative += m.buckets[i];
                        emit(bucket, &[("le", &format!("{le}"))], cumulative as f64);
                    }
                    emit(bucket, &[("le", "+Inf")], m.count as f64);
                    emit("http_request_duration_seconds_sum", &[], m.sum);
                    emit("http_request_duration_seconds_count", &[], m.count as f64);
                }
                _ => emit("process_start_time_seconds", &[], m.start_time_secs),
            }
        }
    }
}

/// Renders the three families, each with its HELP and TYPE once; `with_service` adds the namespace and
/// service labels (the all-services exposition).
fn render<'a>(
    services: impl Iterator<Item = (&'a ServiceKey, &'a ServiceMetrics)> + Clone,
    with_service: bool,
) -> String {
    let mut out = String::new();
    let mut next_family = 0;
    let mut header_until = |out: &mut String, family: usize| {
        while next_family <= family {
            let f = &FAMILIES[next_family];
            family_header(out, f.name, f.kind, f.help);
            next_family += 1;
        }
    };
    for_each_sample(services, |s| {
        header_until(&mut out, s.family);
        let base = [("namespace", s.namespace), ("service", s.service)];
        let base: &[(&str, &str)] = if with_service { &base } else { &[] };
        sample(&mut out, s.name, &[base, s.labels].concat(), &format!("{}", s.value));
    });
    header_until(&mut out, FAMILIES.len() - 1);
    out
}

fn family_header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label_value(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and newline.
fn escape_label_value(v: &str) -> String {
    v.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

/// HELP text escapes backslash and newline.
fn escape_help(v: &str) -> String {
    v.replace('\\', r"\\").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    type Parsed = Vec<(String, BTreeMap<String, String>, f64)>;

    /// A small parser of the text format: samples, plus the HELP/TYPE lines per family (checked for repeats).
    fn parse_exposition(text: &str) -> (Parsed, HashMap<String, String>) {
        assert!(text.ends_with('\n'), "exposition must end with a newline");
        let mut samples = Vec::new();
        let mut types = HashMap::new();
        let mut helps = BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap().to_string();
                assert!(helps.insert(name.clone()), "HELP for {name} repeated");
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut parts = rest.split(' ');
                let name = parts.next().unwrap().to_string();
                let kind = parts.next().unwrap().to_string();
                assert!(types.insert(name.clone(), kind).is_none(), "TYPE for {name} repeated");
                continue;
            }
            let (name, rest) = match line.find(['{', ' ']) {
                Some(i) => line.split_at(i),
                None => panic!("bad line {line:?}"),
            };
            let mut labels = BTreeMap::new();
            let mut rest = rest;
            if let Some(mut body) = rest.strip_prefix('{') {
                loop {
                    if let Some(after) = body.strip_prefix('}') {
                        rest = after;
                        break;
                    }
                    let (k, v, consumed) = parse_label(body);
                    labels.insert(k, v);
                    body = &body[consumed..];
                    body = body.strip_prefix(',').unwrap_or(body);
                }
            }
            let value: f64 = rest.trim().parse().unwrap_or_else(|_| panic!("bad value in {line:?}"));
            samples.push((name.to_string(), labels, value));
        }
        (samples, types)
    }

    /// Parses `key="value"` at the start of `text`; returns key, unescaped value and bytes consumed.
    fn parse_label(text: &str) -> (String, String, usize) {
        let eq = text.find('=').unwrap();
        let key = text[..eq].to_string();
        assert_eq!(&text[eq + 1..eq + 2], "\"", "label value must be quoted: {text}");
        let mut value = String::new();
        let mut iter = text[eq + 2..].char_indices();
        loop {
            let (i, c) = iter.next().unwrap();
            match c {
                '\\' => match iter.next().unwrap().1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                '"' => return (key, value, eq + 2 + i + 1),
                c => value.push(c),
            }
        }
    }

    fn find<'a>(
        samples: &'a Parsed,
        name: &str,
        want: &[(&str, &str)],
    ) -> Vec<&'a (String, BTreeMap<String, String>, f64)> {
        samples
            .iter()
            .filter(|(n, labels, _)| {
                n == name && want.iter().all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect()
    }

    #[test]
    fn one_service_round_trips() {
        let store = MetricsStore::new();
        store.record_request("payments", "api", "GET", "/orders", 200, 0.004);
        store.record_request("payments", "api", "GET", "/orders", 200, 0.2);
        store.record_request("payments", "api", "POST", "/orders", 500, 7.0);
        store.record_request("payments", "api", "GET", "/weird\"path\\x\ny", 404, 0.05);
        assert!(store.render_service("payments", "nope").is_none());
        let text = store.render_service("payments", "api").unwrap();
        let (samples, types) = parse_exposition(&text);

        assert_eq!(types["http_requests_total"], "counter");
        assert_eq!(types["http_request_duration_seconds"], "histogram");
        assert_eq!(types["process_start_time_seconds"], "gauge");
        let get = find(
            &samples,
            "http_requests_total",
            &[("method", "GET"), ("path", "/orders"), ("status", "200")],
        );
        assert_eq!(get.len(), 1);
        assert_eq!(get[0].2, 2.0);
        let weird = find(&samples, "http_requests_total", &[("path", "/weird\"path\\x\ny")]);
        assert_eq!(weird.len(), 1, "escaped label values parse back: {text}");
        assert!(samples.iter().all(|(_, l, _)| !l.contains_key("namespace")));

        let buckets = find(&samples, "http_request_duration_seconds_bucket", &[]);
        assert_eq!(buckets.len(), DURATION_BUCKETS.len() + 1);
        let values: Vec<f64> = buckets.iter().map(|b| b.2).collect();
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "cumulative: {values:?}");
        assert_eq!(find(&samples, "http_request_duration_seconds_bucket", &[("le", "0.005")])[0].2, 1.0);
        assert_eq!(find(&samples, "http_request_duration_seconds_bucket", &[("le", "0.05")])[0].2, 2.0);
        assert_eq!(find(&samples, "http_request_duration_seconds_bucket", &[("le", "5")])[0].2, 3.0);
        assert_eq!(find(&samples, "http_request_duration_seconds_bucket", &[("le", "+Inf")])[0].2, 4.0);
        assert_eq!(find(&samples, "http_request_duration_seconds_count", &[])[0].2, 4.0);
        let sum = find(&samples, "http_request_duration_seconds_sum", &[])[0].2;
        assert!((sum - 7.254).abs() < 1e-9, "{sum}");
        let start = find(&samples, "process_start_time_seconds", &[])[0].2;
        assert!(start > 1.7e9, "{start}");
    }

    #[test]
    fn all_services_share_families_and_carry_their_labels() {
        let store = MetricsStore::new();
        store.record_request("payments", "api", "GET", "/", 200, 0.01);
        store.record_request("billing", "worker", "POST", "/jobs", 201, 0.3);
        store.register_service("billing", "idle");
        assert_eq!(
            store.services(),
            vec![
                ("billing".to_string(), "idle".to_string()),
                ("billing".to_string(), "worker".to_string()),
                ("payments".to_string(), "api".to_string())
            ]
        );
        let text = store.render_all();
        let (samples, types) = parse_exposition(&text);
        assert_eq!(types.len(), 3);
        let api = find(&samples, "http_requests_total", &[("namespace", "payments"), ("service", "api")]);
        assert_eq!(api.len(), 1);
        let worker = find(&samples, "http_request_duration_seconds_count", &[("service", "worker")]);
        assert_eq!(worker[0].2, 1.0);
        let idle = find(&samples, "http_request_duration_seconds_count", &[("service", "idle")]);
        assert_eq!(idle[0].2, 0.0);
        assert_eq!(find(&samples, "process_start_time_seconds", &[]).len(), 3);
        // Families are contiguous: once a family's samples end, they never reappear.
        let mut seen_families: Vec<&str> = Vec::new();
        for (name, ..) in &samples {
            let family = name
                .strip_suffix("_bucket")
                .or_else(|| name.strip_suffix("_sum"))
                .or_else(|| name.strip_suffix("_count"))
                .unwrap_or(name);
            if seen_families.last() != Some(&family) {
                assert!(!seen_families.contains(&family), "{family} is split");
                seen_families.push(family);
            }
        }
        assert!(MetricsStore::default().render_all().ends_with('\n'));
    }

    #[test]
    fn invented_paths_are_capped() {
        let store = MetricsStore::new();
        for i in 0..(MAX_SERIES_PER_SERVICE + 50) {
            store.record_request("ns", "svc", "GET", &format!("/items/{i}"), 200, f64::NAN);
        }
        let text = store.render_service("ns", "svc").unwrap();
        let (samples, _) = parse_exposition(&text);
        let series = find(&samples, "http_requests_total", &[]);
        assert_eq!(series.len(), MAX_SERIES_PER_SERVICE + 1);
        assert_eq!(find(&samples, "http_requests_total", &[("path", OVERFLOW_PATH)])[0].2, 50.0);
        assert_eq!(find(&samples, "http_request_duration_seconds_sum", &[])[0].2, 0.0);
    }
}
