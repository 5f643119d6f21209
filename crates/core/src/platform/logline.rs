//! A log line as the log view shows it: the seed's structured JSON (`level`, `msg`, `timestamp`, and per
//! request `method`, `path`, `status`, `duration_ms`) parsed into columns; any other line kept raw.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub ts_ns: i64,
    pub pod: String,
    pub level: String,
    pub msg: String,
    /// `GET /api/orders 200 12.5ms` for request lines, else empty.
    pub request: String,
    /// The line as it arrived (shown for lines that are not JSON).
    pub raw: String,
    pub json: bool,
}

/// Parses one line; `pod` comes from the stream labels.
pub fn parse(ts_ns: i64, pod: &str, line: &str) -> LogLine {
    let mut out = LogLine {
        ts_ns,
        pod: pod.to_string(),
        level: String::new(),
        msg: String::new(),
        request: String::new(),
        raw: line.to_string(),
        json: false,
    };
    let Ok(Value::Object(v)) = serde_json::from_str::<Value>(line) else { return out };
    let text = |k: &str| match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    out.json = true;
    out.level = text("level").to_lowercase();
    out.msg = text("msg");
    if out.msg.is_empty() {
        out.msg = text("message");
    }
    let (method, path, status, duration) =
        (text("method"), text("path"), text("status"), text("duration_ms"));
    if !method.is_empty() || !path.is_empty() {
        out.request = format!(
            "{method} {path} {status} {}",
            if duration.is_empty() { String::new() } else { format!("{duration}ms") }
        )
        .trim()
        .to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_json_lines_become_columns() {
        let l = parse(
            1,
            "orders-api-x",
            r#"{"level":"ERROR","msg":"Request failed","method":"POST","path":"/api/orders","status":502,"duration_ms":812.5}"#,
        );
        assert!(l.json);
        assert_eq!(l.level, "error");
        assert_eq!(l.msg, "Request failed");
        assert_eq!(l.request, "POST /api/orders 502 812.5ms");
    }

    #[test]
    fn other_lines_stay_raw() {
        let l = parse(1, "p", "plain text line");
        assert!(!l.json && l.level.is_empty() && l.request.is_empty());
        assert_eq!(l.raw, "plain text line");
        assert!(!parse(1, "p", "[1,2]").json);
    }
}
