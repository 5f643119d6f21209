//! The log view's filter language, typed after `/`: words are case-insensitive substrings, `level:error`
//! keeps a level (or `level:warn+` that level and worse), `pod:NAME` a pod (substring), and `~RE` a
//! regular expression over the whole line. All terms must hold.

use regex::Regex;

use super::logline::LogLine;

#[derive(Debug)]
enum Term {
    Substring(String),
    Level { name: String, or_worse: bool },
    Pod(String),
    Regex(Regex),
}

#[derive(Debug, Default)]
pub struct LogFilter {
    terms: Vec<Term>,
}

/// Severity order for `level:X+`.
fn rank(level: &str) -> u8 {
    match level {
        "trace" => 0,
        "debug" => 1,
        "info" => 2,
        "warn" | "warning" => 3,
        "error" => 4,
        "fatal" | "panic" | "critical" => 5,
        _ => 2,
    }
}

impl LogFilter {
    /// Parses the filter; a regex that does not compile is an error naming it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            if let Some(level) = word.strip_prefix("level:") {
                let (name, or_worse) = match level.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (level, false),
                };
                terms.push(Term::Level { name: name.to_lowercase(), or_worse });
            } else if let Some(pod) = word.strip_prefix("pod:") {
                terms.push(Term::Pod(pod.to_lowercase()));
            } else if let Some(re) = word.strip_prefix('~') {
                let regex = Regex::new(re).map_err(|e| format!("bad regex `{re}`: {e}"))?;
                terms.push(Term::Regex(regex));
            } else {
                terms.push(Term::Substring(word.to_lowercase()));
            }
        }
        Ok(Self { terms })
    }

    pub fn matches(&self, line: &LogLine) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Substring(s) => line.raw.to_lowercase().contains(s) || line.pod.to_lowercase().contains(s),
            Term::Level { name, or_worse: false } => line.level == *name,
            Term::Level { name, or_worse: true } => !line.level.is_empty() && rank(&line.level) >= rank(name),
            Term::Pod(p) => line.pod.to_lowercase().contains(p),
            Term::Regex(re) => re.is_match(&line.raw),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::logline::parse;

    fn line(level: &str, pod: &str, msg: &str) -> LogLine {
        parse(1, pod, &format!(r#"{{"level":"{level}","msg":"{msg}","status":502}}"#))
    }

    #[test]
    fn terms_combine() {
        let err = line("error", "payments-api-1", "Request failed");
        let warn = line("warn", "payments-api-2", "Slow request");
        let info = line("info", "orders-api-1", "Request completed");
        let f = |t: &str| LogFilter::parse(t).unwrap();
        assert!(f("").matches(&info));
        assert!(f("level:error").matches(&err) && !f("level:error").matches(&warn));
        assert!(
            f("level:warn+").matches(&err)
                && f("level:warn+").matches(&warn)
                && !f("level:warn+").matches(&info)
        );
        assert!(f("pod:payments").matches(&warn) && !f("pod:payments").matches(&info));
        assert!(f("~status\":5\\d\\d").matches(&err));
        assert!(f("request FAILED").matches(&err) && !f("request failed").matches(&info));
        assert!(f("level:error pod:orders").terms.len() == 2 && !f("level:error pod:orders").matches(&err));
    }

    #[test]
    fn bad_regexes_are_reported() {
        assert!(LogFilter::parse("~(").unwrap_err().contains("bad regex"));
    }
}
