//! Kyverno `validate.pattern` matching over JSON values, with Kyverno's semantics (Kyverno 1.10+ engine).
//!
//! A pattern is an overlay of the resource: every field it names must be satisfied, fields it does not name
//! are free. What each pattern element means:
//!
//! - **Maps**: every key must be present in the resource and its value must match (a missing key fails,
//!   except under anchors, below). Keys are evaluated anchors first, then keys whose sub-pattern holds
//!   anchors, then the rest — each group in key order, so the reported path is deterministic.
//! - **Anchors** (map keys):
//!   - `(key)` conditional: if the key is absent or its value does not match, the enclosing map's pattern
//!     does not apply — inside an array of maps that element is left out; at the top the rule is skipped
//!     ([`MismatchKind::Skip`]).
//!   - `<(key)` global: if present and not matching, the whole rule is skipped; absent is fine.
//!   - `=(key)` equality: if present, it must match; absent is fine.
//!   - `X(key)` negation: the key must be absent (its pattern value is not looked at).
//!   - `^(key)` existence: the resource's list must contain, for each map in the pattern list, at least one
//!     element matching it; an absent key is fine.
//!   - `+(key)` (add-if-not-present) belongs to mutation; here it is an ordinary key, as in Kyverno.
//!   - Under `metadata.labels` and `metadata.annotations`, wildcard keys (`app.kubernetes.io/*`) stand for
//!     every matching key of the resource.
//! - **Arrays**: only the pattern's first element is used.
//!   - A map: every element of the resource array must match it. An **empty resource array passes**
//!     (Kyverno checks each element and there are none); a missing or non-array field fails. Elements
//!     left out by a conditional anchor do not count; if every element is left out, the mismatch is a skip.
//!   - A scalar: every element of the resource array must match the scalar.
//!   - A nested array: elements are matched by position; the resource needs at least as many.
//! - **Scalars** (a scalar pattern against an array checks every element):
//!   - strings: `a | b` alternatives, `a & b` conjunctions, a leading operator `!` (not), `>`, `>=`, `<`,
//!     `<=`, and ranges `1-10` / `1!-10`. Comparisons use Kubernetes quantities (`500m`, `1Gi`, `3000`),
//!     where a missing value counts as `0` (a Kyverno quirk). Equality and negation otherwise compare the
//!     value's text — numbers and booleans included (`"3000"`, `"true"`) — with `*` (any run of characters)
//!     and `?` (one character) wildcards: `"?*"` is any non-empty value, and `"*"` any present value. A
//!     missing value never matches a string pattern, not even `"!x"`.
//!   - a `"*"` map value is special-cased: the key only has to be present (with any type of value); when it
//!     is missing the failure is reported at the enclosing map's path, as Kyverno does.
//!   - integers and floats: numeric equality (a numeric string is parsed); booleans: equality with a boolean;
//!     `null`: the value must be absent or a zero value (`0`, `""`, `false`).
//!
//! Paths are written as Kyverno writes them in policy reports: `/spec/template/spec/containers/0/livenessProbe/`.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use crate::glob::{self, Wildcards, glob_match};

/// Whether a mismatch fails the rule or means the rule does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchKind {
    /// The resource does not satisfy the pattern: the rule fails.
    Fail,
    /// A conditional `(key)` or global `<(key)` anchor did not hold: Kyverno reports the rule as `skip`.
    Skip,
}

/// Where and why a resource does not match a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MismatchPath {
    /// Path of the first failing element, Kyverno style: `/metadata/labels/app.kubernetes.io/name/`.
    pub path: String,
    pub kind: MismatchKind,
    /// What went wrong, as Kyverno logs it (not part of the report message for failures).
    pub detail: String,
}

impl fmt::Display for MismatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.detail, self.path)
    }
}

impl std::error::Error for MismatchPath {}

/// Matches a resource against a `validate.pattern`. `Ok` when the resource satisfies it.
pub fn match_pattern(resource: &Value, pattern: &Value) -> Result<(), MismatchPath> {
    match_element(Some(resource), pattern, "/").map_err(|f| MismatchPath {
        kind: if f.skips() { MismatchKind::Skip } else { MismatchKind::Fail },
        path: f.path,
        detail: f.detail,
    })
}

/// Why an element failed, which decides how the failure travels up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Value,
    Negation,
    Condition,
    Global,
}

#[derive(Debug)]
struct Failure {
    path: String,
    cause: Cause,
    detail: String,
}

impl Failure {
    fn value(path: &str, detail: impl Into<String>) -> Self {
        Self { path: path.to_string(), cause: Cause::Value, detail: detail.into() }
    }

    fn skips(&self) -> bool {
        matches!(self.cause, Cause::Condition | Cause::Global)
    }

    /// Re-labels a failure under a conditional or global anchor, with Kyverno's message prefix.
    fn because(mut self, cause: Cause) -> Self {
        let prefix = match cause {
            Cause::Condition => "conditional anchor mismatch: ",
            Cause::Global => "global anchor mismatch: ",
            Cause::Value | Cause::Negation => "",
        };
        if !self.detail.starts_with(prefix) {
            self.detail = format!("{prefix}{}", self.detail);
        }
        self.cause = cause;
        self
    }
}

type Outcome = Result<(), Failure>;

fn child(path: &str, key: &str) -> String {
    format!("{path}{key}/")
}

fn describe(value: Option<&Value>) -> &'static str {
    match value {
        None | Some(Value::Null) => "nothing",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Number(_)) => "a number",
        Some(Value::String(_)) => "a string",
        Some(Value::Array(_)) => "an array",
        Some(Value::Object(_)) => "an object",
    }
}

fn brief(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "<nil>".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn match_element(resource: Option<&Value>, pattern: &Value, path: &str) -> Outcome {
    let resource = resource.filter(|v| !v.is_null());
    match pattern {
        Value::Object(p) => match resource {
            Some(Value::Object(r)) => match_map(r, p, path),
            other => Err(Failure::value(
                path,
                format!(
                    "pattern and resource have different structures: expected an object, found {}",
                    describe(other)
                ),
            )),
        },
        Value::Array(p) => match resource {
            Some(Value::Array(r)) => match_array(r, p, path),
            other => Err(Failure::value(
                path,
                format!(
                    "pattern and resource have different structures: expected an array, found {}",
                    describe(other)
                ),
            )),
        },
        scalar => {
            let ok = match resource {
                Some(Value::Array(items)) => items.iter().all(|item| value_matches(Some(item), scalar)),
                other => value_matches(other, scalar),
            };
            if ok {
                Ok(())
            } else {
                Err(Failure::value(
                    path,
                    format!(
                        "resource value '{}' does not match '{}' at path {path}",
                        brief(resource),
                        brief(Some(scalar))
                    ),
                ))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Anchor {
    // Order of evaluation: anchors that make the rule not apply come first.
    Condition,
    Global,
    Negation,
    Equality,
    Existence,
}

/// `(key)`, `<(key)`, `=(key)`, `X(key)`, `^(key)` → the anchor and the bare key.
fn parse_anchor(key: &str) -> Option<(Anchor, &str)> {
    let (anchor, rest) = match key.chars().next()? {
        '(' => (Anchor::Condition, key),
        '<' => (Anchor::Global, &key[1..]),
        '=' => (Anchor::Equality, &key[1..]),
        'X' => (Anchor::Negation, &key[1..]),
        '^' => (Anchor::Existence, &key[1..]),
        _ => return None,
    };
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    if inner.is_empty() { None } else { Some((anchor, inner)) }
}

/// Whether a sub-pattern holds an anchor anywhere.
fn contains_anchor(pattern: &Value) -> bool {
    match pattern {
        Value::Object(m) => m.iter().any(|(k, v)| parse_anchor(k).is_some() || contains_anchor(v)),
        Value::Array(items) => items.iter().any(contains_anchor),
        _ => false,
    }
}

fn has_wildcard(s: &str) -> bool {
    glob::has_wildcard(s, Wildcards::StarAndQuestion)
}

/// Pattern entries of a map, with wildcard label/annotation keys expanded against the resource's keys.
fn entries<'a>(
    resource: &Map<String, Value>,
    pattern: &'a Map<String, Value>,
    path: &str,
) -> Vec<(Cow<'a, str>, &'a Value)> {
    let expand = path.ends_with("metadata/labels/") || path.ends_with("metadata/annotations/");
    let mut out = Vec::with_capacity(pattern.len());
    for (key, value) in pattern {
        if expand {
            let (prefix, inner, suffix) = match parse_anchor(key) {
                Some((_, inner)) => {
                    let start = key.len() - inner.len() - 1;
                    (&key[..start], inner, ")")
                }
                None => ("", key.as_str(), ""),
            };
            if has_wildcard(inner) {
                let matching: Vec<&String> = resource.keys().filter(|k| wildcard_match(inner, k)).collect();
                if !matching.is_empty() {
                    out.extend(
                        matching.into_iter().map(|k| (Cow::Owned(format!("{prefix}{k}{suffix}")), value)),
                    );
                    continue;
                }
            }
        }
        out.push((Cow::Borrowed(key.as_str()), value));
    }
    out
}

fn match_map(resource: &Map<String, Value>, pattern: &Map<String, Value>, path: &str) -> Outcome {
    let entries = entries(resource, pattern, path);
    let mut anchors = Vec::new();
    let mut plain = Vec::new();
    for (key, value) in &entries {
        match parse_anchor(key) {
            Some((anchor, bare)) => anchors.push((anchor, bare, *value)),
            None => plain.push((key.as_ref(), *value)),
        }
    }
    anchors.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (anchor, key, value) in anchors {
        match_anchor(resource, anchor, key, value, path)?;
    }
    plain.sort_by(|a, b| (!contains_anchor(a.1), a.0).cmp(&(!contains_anchor(b.1), b.0)));
    for (key, value) in plain {
        let found = resource.get(key).filter(|v| !v.is_null());
        if value.as_str() == Some("*") {
            // Kyverno's default handler: presence only, reported at the enclosing map.
            if found.is_none() {
                return Err(Failure::value(path, format!("{path}{key} not found")));
            }
            continue;
        }
        match_element(found, value, &child(path, key))?;
    }
    Ok(())
}

fn match_anchor(
    resource: &Map<String, Value>,
    anchor: Anchor,
    key: &str,
    pattern: &Value,
    path: &str,
) -> Outcome {
    let path = child(path, key);
    let present = resource.get(key);
    match anchor {
        Anchor::Condition => match present {
            Some(value) => {
                match_element(Some(value), pattern, &path).map_err(|f| f.because(Cause::Condition))
            }
            None => Err(Failure {
                detail: format!(
                    "conditional anchor mismatch: conditional anchor key {key} doesn't exist in the resource"
                ),
                path,
                cause: Cause::Condition,
            }),
        },
        Anchor::Global => match present {
            Some(value) => match_element(Some(value), pattern, &path).map_err(|f| f.because(Cause::Global)),
            None => Ok(()),
        },
        Anchor::Equality => match present {
            Some(value) => match_element(Some(value), pattern, &path),
            None => Ok(()),
        },
        Anchor::Negation => match present {
            Some(_) => Err(Failure {
                detail: format!("negation anchor matched in resource: {path} is not allowed"),
                path,
                cause: Cause::Negation,
            }),
            None => Ok(()),
        },
        Anchor::Existence => match present {
            None => Ok(()),
            Some(Value::Array(items)) => {
                let Value::Array(wanted) = pattern else {
                    return Err(Failure::value(
                        &path,
                        "invalid pattern: an existence anchor needs a list of maps",
                    ));
                };
                for want in wanted {
                    if !want.is_object() {
                        return Err(Failure::value(
                            &path,
                            "invalid pattern: an existence anchor needs a list of maps",
                        ));
                    }
                    let found = items.iter().enumerate().any(|(i, item)| {
                        match_element(Some(item), want, &child(&path, &i.to_string())).is_ok()
                    });
                    if !found {
                        return Err(Failure::value(
                            &path,
                            format!("existence anchor validation failed at path {path}"),
                        ));
                    }
                }
                Ok(())
            }
            Some(_) => Err(Failure::value(&path, "an existence anchor ^() can be used only on a list")),
        },
    }
}

fn match_array(resource: &[Value], pattern: &[Value], path: &str) -> Outcome {
    let Some(first) = pattern.first() else {
        return Err(Failure::value(path, "pattern array is empty"));
    };
    match first {
        Value::Object(_) => match_each(resource.iter().enumerate().map(|(i, item)| (i, item, first)), path),
        Value::Array(_) => {
            if resource.len() < pattern.len() {
                return Err(Failure::value(
                    path,
                    format!(
                        "array length mismatch: the resource has {} elements and the pattern {}",
                        resource.len(),
                        pattern.len()
                    ),
                ));
            }
            match_each(pattern.iter().enumerate().map(|(i, p)| (i, &resource[i], p)), path)
        }
        scalar => {
            if resource.iter().all(|item| value_matches(Some(item), scalar)) {
                Ok(())
            } else {
                Err(Failure::value(
                    path,
                    format!("resource values do not match '{}' at path {path}", brief(Some(scalar))),
                ))
            }
        }
    }
}

/// Matches (index, element, pattern) triples; elements skipped by conditional anchors do not count,
/// and if all were skipped the array is a skip.
fn match_each<'a>(pairs: impl Iterator<Item = (usize, &'a Value, &'a Value)>, path: &str) -> Outcome {
    let mut applied = 0usize;
    let mut first_skip: Option<Failure> = None;
    for (i, item, pattern) in pairs {
        match match_element(Some(item), pattern, &child(path, &i.to_string())) {
            Ok(()) => applied += 1,
            Err(f) if f.skips() => {
                first_skip.get_or_insert(f);
            }
            Err(f) => return Err(f),
        }
    }
    match first_skip {
        Some(skip) if applied == 0 => {
            Err(Failure { path: path.to_string(), cause: skip.cause, detail: skip.detail })
        }
        _ => Ok(()),
    }
}

/// Whether one value satisfies a scalar pattern (Kyverno's `pattern.Validate`). `None` is a missing value.
pub fn value_matches(value: Option<&Value>, pattern: &Value) -> bool {
    let value = value.filter(|v| !v.is_null());
    match pattern {
        Value::Bool(want) => value.and_then(Value::as_bool) == Some(*want),
        Value::Number(n) if is_integer(n) => {
            let want = n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)).unwrap_or_default();
            match value {
                Some(Value::Number(v)) if is_integer(v) => int_of(v) == Some(want),
                Some(Value::Number(v)) => {
                    v.as_f64().is_some_and(|f| f.fract() == 0.0 && f.is_finite() && f as i128 == want)
                }
                Some(Value::String(s)) => s.parse::<i64>().is_ok_and(|v| i128::from(v) == want),
                _ => false,
            }
        }
        Value::Number(n) => {
            let want = n.as_f64().unwrap_or(f64::NAN);
            match value {
                Some(Value::Number(v)) if is_integer(v) => {
                    want.fract() == 0.0 && int_of(v).is_some_and(|i| i as f64 == want)
                }
                Some(Value::Number(v)) => v.as_f64() == Some(want),
                Some(Value::String(s)) => s.parse::<f64>().is_ok_and(|v| v == want),
                _ => false,
            }
        }
        Value::Null => match value {
            None => true,
            Some(Value::Number(v)) => v.as_f64() == Some(0.0),
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Bool(b)) => !b,
            _ => false,
        },
        Value::String(p) => string_patterns(value, p),
        Value::Object(_) => value.is_some_and(Value::is_object),
        Value::Array(_) => false,
    }
}

fn is_integer(n: &serde_json::Number) -> bool {
    n.is_i64() || n.is_u64()
}

fn int_of(n: &serde_json::Number) -> Option<i128> {
    n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
}

fn string_patterns(value: Option<&Value>, pattern: &str) -> bool {
    if value.and_then(Value::as_str) == Some(pattern) {
        return true;
    }
    pattern
        .split('|')
        .any(|alternative| alternative.trim().split('&').all(|cond| string_pattern(value, cond.trim())))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

fn string_pattern(value: Option<&Value>, pattern: &str) -> bool {
    if let Some((negated, low, high)) = range(pattern) {
        let Some(v) = value_quantity(value) else { return false };
        return if negated { v < low || v > high } else { v >= low && v <= high };
    }
    let (op, operand) = split_operator(pattern);
    compare_quantity(value, operand, op) || compare_text(value, operand, op)
}

/// `1-10` (in range) or `1!-10` (not in range), both ends quantities starting with a digit.
fn range(pattern: &str) -> Option<(bool, f64, f64)> {
    let (negated, low, high) = match pattern.split_once("!-") {
        Some((low, high)) => (true, low, high),
        None => {
            let (low, high) = pattern.split_once('-')?;
            (false, low, high)
        }
    };
    if !low.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((negated, parse_quantity(low.trim())?, parse_quantity(high.trim())?))
}

fn split_operator(pattern: &str) -> (Op, &str) {
    if pattern.len() < 2 {
        return (Op::Eq, pattern);
    }
    for (prefix, op) in [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt), ("!", Op::Ne)] {
        if let Some(rest) = pattern.strip_prefix(prefix) {
            return (op, rest.trim());
        }
    }
    (Op::Eq, pattern)
}

/// The value as a quantity; a missing value is 0, as Kyverno converts it.
fn value_quantity(value: Option<&Value>) -> Option<f64> {
    match value {
        None => Some(0.0),
        Some(Value::String(s)) => parse_quantity(s),
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => None,
    }
}

fn compare_quantity(value: Option<&Value>, operand: &str, op: Op) -> bool {
    let (Some(want), Some(have)) = (parse_quantity(operand), value_quantity(value)) else { return false };
    match op {
        Op::Eq => have == want,
        Op::Ne => have != want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Lt => have < want,
        Op::Le => have <= want,
    }
}

fn compare_text(value: Option<&Value>, operand: &str, op: Op) -> bool {
    if !matches!(op, Op::Eq | Op::Ne) {
        return false;
    }
    let text: Cow<'_, str> = match value {
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(Value::Number(n)) if is_integer(n) => Cow::Owned(n.to_string()),
        Some(Value::Number(n)) => Cow::Owned(go_exponent_format(n.as_f64().unwrap_or_default())),
        Some(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        _ => return false,
    };
    wildcard_match(operand, &text) == (op == Op::Eq)
}

/// A float as Go's `strconv.FormatFloat(v, 'E', -1, 64)` writes it (`1.5E+00`), which is what Kyverno
/// compares string patterns against.
fn go_exponent_format(v: f64) -> String {
    let text = format!("{v:E}");
    match text.split_once('E') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or_default();
            format!("{mantissa}E{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
        }
        None => text,
    }
}

/// A Kubernetes quantity (`3000`, `1.5`, `500m`, `1Gi`, `1e3`) as a number.
fn parse_quantity(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut end = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    let digits_start = end;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    let mut digits = end - digits_start;
    if end < bytes.len() && bytes[end] == b'.' {
        end += 1;
        let fraction_start = end;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        digits += end - fraction_start;
    }
    if digits == 0 {
        return None;
    }
    let number: f64 = text[..end].parse().ok()?;
    let multiplier = match &text[end..] {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        suffix => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let unsigned = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            10f64.powi(exponent.parse::<i32>().ok()?)
        }
    };
    Some(number * multiplier)
}

/// Kyverno's wildcard match: `*` is any run of characters (also none), `?` exactly one character,
/// everything else literal. The empty pattern matches only the empty text.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    glob_match(pattern, text, Wildcards::StarAndQuestion)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fails_at(resource: Value, pattern: Value) -> String {
        let err = match_pattern(&resource, &pattern).unwrap_err();
        assert_eq!(err.kind, MismatchKind::Fail, "{err}");
        err.path
    }

    fn skips(resource: Value, pattern: Value) -> bool {
        match_pattern(&resource, &pattern).is_err_and(|e| e.kind == MismatchKind::Skip)
    }

    fn ok(resource: Value, pattern: Value) -> bool {
        match_pattern(&resource, &pattern).is_ok()
    }

    fn probe_pattern() -> Value {
        json!({"spec": {"template": {"spec": {"containers": [
            {"livenessProbe": {"httpGet": {"path": "?*", "port": "*"}}}
        ]}}}})
    }

    fn deployment(containers: Value) -> Value {
        json!({"spec": {"template": {"spec": {"containers": containers}}}})
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("?*", "x"));
        assert!(!wildcard_match("?*", ""));
        assert!(wildcard_match("nginx:*", "nginx:1.25"));
        assert!(!wildcard_match("nginx:*", "redis:7"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*.example.*", "api.example.com"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(wildcard_match("**", "anything"));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("ü?", "üß"));
    }

    #[test]
    fn non_empty_and_present() {
        let p = json!("?*");
        assert!(value_matches(Some(&json!("web")), &p));
        assert!(value_matches(Some(&json!(3000)), &p));
        assert!(value_matches(Some(&json!(true)), &p));
        assert!(!value_matches(Some(&json!("")), &p));
        assert!(!value_matches(None, &p));
        assert!(!value_matches(Some(&json!({"a": 1})), &p));
        let star = json!("*");
        assert!(value_matches(Some(&json!("")), &star));
        assert!(value_matches(Some(&json!(8080)), &star));
        assert!(!value_matches(None, &star));
    }

    #[test]
    fn negation_alternatives_and_conjunctions() {
        assert!(value_matches(Some(&json!("prod")), &json!("!dev")));
        assert!(!value_matches(Some(&json!("dev")), &json!("!dev")));
        assert!(!value_matches(Some(&json!("dev-1")), &json!("!dev*")));
        // A missing value fails even a negation, as in Kyverno.
        assert!(!value_matches(None, &json!("!dev")));
        assert!(value_matches(Some(&json!("IfNotPresent")), &json!("IfNotPresent | Never")));
        assert!(value_matches(Some(&json!("Never")), &json!("IfNotPresent | Never")));
        assert!(!value_matches(Some(&json!("Always")), &json!("IfNotPresent | Never")));
        assert!(value_matches(Some(&json!("registry.io/app")), &json!("registry.io/* & !*:latest")));
        assert!(!value_matches(Some(&json!("registry.io/app:latest")), &json!("registry.io/* & !*:latest")));
        // The literal text always matches itself, even with operator characters in it.
        assert!(value_matches(Some(&json!("a|b")), &json!("a|b")));
    }

    #[test]
    fn numbers_booleans_and_null() {
        assert!(value_matches(Some(&json!(3000)), &json!(3000)));
        assert!(value_matches(Some(&json!("3000")), &json!(3000)));
        assert!(value_matches(Some(&json!(3000.0)), &json!(3000)));
        assert!(!value_matches(Some(&json!(3000.5)), &json!(3000)));
        assert!(!value_matches(Some(&json!("http")), &json!(3000)));
        assert!(value_matches(Some(&json!(1.5)), &json!(1.5)));
        assert!(value_matches(Some(&json!("1.5")), &json!(1.5)));
        assert!(value_matches(Some(&json!(2)), &json!(2.0)));
        assert!(!value_matches(Some(&json!(2)), &json!(2.5)));
        assert!(value_matches(Some(&json!(false)), &json!(false)));
        assert!(!value_matches(Some(&json!("false")), &json!(false)));
        assert!(!value_matches(None, &json!(true)));
        assert!(value_matches(None, &Value::Null));
        assert!(value_matches(Some(&json!("")), &Value::Null));
        assert!(value_matches(Some(&json!(0)), &Value::Null));
        assert!(!value_matches(Some(&json!("x")), &Value::Null));
        // Numbers and booleans compare as text against string patterns.
        assert!(value_matches(Some(&json!(3000)), &json!("3000")));
        assert!(value_matches(Some(&json!(3000)), &json!("30*")));
        assert!(value_matches(Some(&json!(true)), &json!("true")));
        assert!(value_matches(Some(&json!(1.5)), &json!("1.5E+00")));
        assert!(value_matches(Some(&json!(80)), &json!("!443")));
    }

    #[test]
    fn comparisons_and_ranges() {
        assert!(value_matches(Some(&json!(3)), &json!(">2")));
        assert!(!value_matches(Some(&json!(2)), &json!(">2")));
        assert!(value_matches(Some(&json!(2)), &json!(">=2")));
        assert!(value_matches(Some(&json!("500m")), &json!("<1")));
        assert!(value_matches(Some(&json!("2Gi")), &json!(">1Gi")));
        assert!(value_matches(Some(&json!("1024Mi")), &json!("1Gi")));
        assert!(!value_matches(Some(&json!("abc")), &json!(">1")));
        // Kyverno counts a missing value as 0 in comparisons.
        assert!(value_matches(None, &json!("<5")));
        assert!(value_matches(Some(&json!(5)), &json!("1-10")));
        assert!(!value_matches(Some(&json!(11)), &json!("1-10")));
        assert!(value_matches(Some(&json!(11)), &json!("1!-10")));
        assert!(!value_matches(Some(&json!(5)), &json!("1!-10")));
        // Dates and names with dashes are not ranges.
        assert!(value_matches(Some(&json!("2021-01-01")), &json!("2021-01-01")));
        assert!(value_matches(Some(&json!("my-app")), &json!("my-*")));
        assert!(value_matches(Some(&json!(-5)), &json!("-5")));
        assert!(value_matches(Some(&json!("1e3")), &json!("1k")));
        assert_eq!(parse_quantity("inf"), None);
        assert_eq!(parse_quantity("."), None);
        assert_eq!(parse_quantity("1.5Ki"), Some(1536.0));
    }

    #[test]
    fn maps_require_every_key() {
        let pattern = json!({"metadata": {"labels": {"app.kubernetes.io/name": "?*"}}});
        assert!(ok(
            json!({"metadata": {"labels": {"app.kubernetes.io/name": "web", "x": "y"}}}),
            pattern.clone()
        ));
        assert_eq!(
            fails_at(json!({"metadata": {"labels": {"app.kubernetes.io/name": ""}}}), pattern.clone()),
            "/metadata/labels/app.kubernetes.io/name/"
        );
        assert_eq!(
            fails_at(json!({"metadata": {"labels": {}}}), pattern.clone()),
            "/metadata/labels/app.kubernetes.io/name/"
        );
        assert_eq!(fails_at(json!({"metadata": {}}), pattern.clone()), "/metadata/labels/");
        assert_eq!(fails_at(json!({"metadata": {"labels": null}}), pattern.clone()), "/metadata/labels/");
        assert_eq!(fails_at(json!({"metadata": "oops"}), pattern), "/metadata/");
    }

    #[test]
    fn first_failure_is_deterministic() {
        let pattern = json!({"metadata": {"labels": {
            "app.kubernetes.io/component": "?*", "app.kubernetes.io/part-of": "?*", "app.kubernetes.io/version": "?*"
        }}});
        let resource = json!({"metadata": {"labels": {"app.kubernetes.io/version": "1"}}});
        assert_eq!(
            fails_at(resource.clone(), pattern.clone()),
            "/metadata/labels/app.kubernetes.io/component/"
        );
        assert_eq!(fails_at(resource, pattern), "/metadata/labels/app.kubernetes.io/component/");
    }

    #[test]
    fn star_only_needs_presence() {
        let pattern = json!({"httpGet": {"port": "*"}});
        assert!(ok(json!({"httpGet": {"port": 3000}}), pattern.clone()));
        assert!(ok(json!({"httpGet": {"port": "http"}}), pattern.clone()));
        assert!(ok(json!({"httpGet": {"port": {"weird": true}}}), pattern.clone()));
        // Reported at the enclosing map, as Kyverno's default handler does.
        assert_eq!(fails_at(json!({"httpGet": {}}), pattern), "/httpGet/");
    }

    #[test]
    fn arrays_of_maps_check_every_element() {
        let good = json!({"livenessProbe": {"httpGet": {"path": "/health", "port": 3000}}});
        assert!(ok(deployment(json!([good.clone(), good.clone()])), probe_pattern()));
        assert_eq!(
            fails_at(deployment(json!([good.clone(), {"name": "sidecar"}])), probe_pattern()),
            "/spec/template/spec/containers/1/livenessProbe/"
        );
        assert_eq!(
            fails_at(
                deployment(json!([{"livenessProbe": {"exec": {"command": ["true"]}}}])),
                probe_pattern()
            ),
            "/spec/template/spec/containers/0/livenessProbe/httpGet/"
        );
        assert_eq!(
            fails_at(
                deployment(json!([{"livenessProbe": {"httpGet": {"path": "", "port": 3000}}}])),
                probe_pattern()
            ),
            "/spec/template/spec/containers/0/livenessProbe/httpGet/path/"
        );
        // Kyverno checks each element of an empty array: there are none, so it passes.
        assert!(ok(deployment(json!([])), probe_pattern()));
        // A missing array is a structure mismatch.
        assert_eq!(
            fails_at(json!({"spec": {"template": {"spec": {}}}}), probe_pattern()),
            "/spec/template/spec/containers/"
        );
        assert_eq!(fails_at(deployment(json!({"a": 1})), probe_pattern()), "/spec/template/spec/containers/");
    }

    #[test]
    fn scalar_arrays() {
        let pattern = json!({"args": ["--*"]});
        assert!(ok(json!({"args": ["--a", "--b"]}), pattern.clone()));
        assert_eq!(fails_at(json!({"args": ["--a", "b"]}), pattern.clone()), "/args/");
        assert!(ok(json!({"args": []}), pattern));
        // A scalar pattern against an array checks each element.
        assert!(ok(json!({"ports": [80, 8080]}), json!({"ports": "!22"})));
        assert!(!ok(json!({"ports": [80, 22]}), json!({"ports": "!22"})));
        // Nested arrays match by position (and an inner scalar pattern checks every inner element).
        assert!(ok(json!({"m": [[1], [2, 2], [7]]}), json!({"m": [[1], [2]]})));
        assert!(!ok(json!({"m": [[1], [2, 3]]}), json!({"m": [[1], [2]]})));
        assert!(!ok(json!({"m": [[1]]}), json!({"m": [[1], [2]]})));
        assert_eq!(fails_at(json!({"m": [[1], [5]]}), json!({"m": [[1], [2]]})), "/m/1/");
        assert_eq!(fails_at(json!({"m": []}), json!({"m": []})), "/m/");
    }

    #[test]
    fn conditional_anchor_limits_checks_to_matching_elements() {
        let pattern = json!({"spec": {"containers": [{"(name)": "app-*", "image": "registry.io/*"}]}});
        assert!(ok(
            json!({"spec": {"containers": [{"name": "app-1", "image": "registry.io/app"}, {"name": "istio", "image": "docker.io/istio"}]}}),
            pattern.clone()
        ));
        assert_eq!(
            fails_at(
                json!({"spec": {"containers": [{"name": "istio", "image": "x"}, {"name": "app-1", "image": "docker.io/app"}]}}),
                pattern.clone()
            ),
            "/spec/containers/1/image/"
        );
        // No element satisfies the condition: the rule does not apply.
        assert!(skips(json!({"spec": {"containers": [{"name": "istio", "image": "x"}]}}), pattern.clone()));
        // A missing conditional key also makes the map not apply.
        assert!(skips(json!({"spec": {"containers": [{"image": "x"}]}}), pattern));
        // At the top level a failed condition skips the rule.
        let top = json!({"metadata": {"labels": {"(tier)": "web"}}, "spec": {"replicas": ">1"}});
        assert!(skips(json!({"metadata": {"labels": {"tier": "db"}}, "spec": {"replicas": 1}}), top.clone()));
        assert!(!ok(json!({"metadata": {"labels": {"tier": "web"}}, "spec": {"replicas": 1}}), top.clone()));
        assert!(ok(json!({"metadata": {"labels": {"tier": "web"}}, "spec": {"replicas": 2}}), top));
    }

    #[test]
    fn equality_negation_global_and_existence_anchors() {
        let equality = json!({"spec": {"=(hostNetwork)": false}});
        assert!(ok(json!({"spec": {}}), equality.clone()));
        assert!(ok(json!({"spec": {"hostNetwork": false}}), equality.clone()));
        assert_eq!(fails_at(json!({"spec": {"hostNetwork": true}}), equality), "/spec/hostNetwork/");

        let negation = json!({"spec": {"X(hostPID)": "null"}});
        assert!(ok(json!({"spec": {}}), negation.clone()));
        assert_eq!(fails_at(json!({"spec": {"hostPID": false}}), negation), "/spec/hostPID/");

        let global =
            json!({"spec": {"<(serviceAccountName)": "builder", "automountServiceAccountToken": false}});
        assert!(skips(json!({"spec": {"serviceAccountName": "web"}}), global.clone()));
        assert!(!ok(json!({"spec": {"serviceAccountName": "builder"}}), global.clone()));
        assert!(ok(
            json!({"spec": {"serviceAccountName": "builder", "automountServiceAccountToken": false}}),
            global.clone()
        ));
        assert!(!ok(json!({"spec": {}}), global));

        let existence = json!({"spec": {"^(containers)": [{"image": "nginx:*"}]}});
        assert!(ok(
            json!({"spec": {"containers": [{"image": "redis"}, {"image": "nginx:1"}]}}),
            existence.clone()
        ));
        assert_eq!(
            fails_at(json!({"spec": {"containers": [{"image": "redis"}]}}), existence.clone()),
            "/spec/containers/"
        );
        assert!(ok(json!({"spec": {}}), existence));
    }

    #[test]
    fn wildcard_label_keys_expand_in_metadata() {
        let pattern = json!({"metadata": {"labels": {"app.kubernetes.io/*": "?*"}}});
        assert!(ok(
            json!({"metadata": {"labels": {"app.kubernetes.io/name": "a", "app.kubernetes.io/part-of": "b"}}}),
            pattern.clone()
        ));
        assert_eq!(
            fails_at(
                json!({"metadata": {"labels": {"app.kubernetes.io/name": "a", "app.kubernetes.io/part-of": ""}}}),
                pattern.clone()
            ),
            "/metadata/labels/app.kubernetes.io/part-of/"
        );
        // Nothing to expand to: the literal key is missing.
        assert!(!ok(json!({"metadata": {"labels": {"team": "x"}}}), pattern));
        // Outside metadata, wildcard keys are literal.
        assert!(!ok(json!({"data": {"key": "v"}}), json!({"data": {"k*": "v"}})));
    }

    #[test]
    fn the_seed_policy_patterns() {
        let required = json!({"metadata": {"labels": {"app.kubernetes.io/name": "?*"}},
            "spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "?*"}}}}});
        let good = json!({
            "metadata": {"labels": {"app.kubernetes.io/name": "orders-api"}},
            "spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "orders-api"}}}}
        });
        assert!(ok(good, required.clone()));
        let bad = json!({
            "metadata": {"labels": {"app.kubernetes.io/name": "orders-api"}},
            "spec": {"template": {"metadata": {"labels": {"app": "orders-api"}}}}
        });
        assert_eq!(fails_at(bad, required), "/spec/template/metadata/labels/app.kubernetes.io/name/");
    }

    #[test]
    fn display_names_the_path() {
        let err = match_pattern(&json!({}), &json!({"a": "?*"})).unwrap_err();
        assert_eq!(err.path, "/a/");
        assert!(err.to_string().contains("/a/"), "{err}");
    }
}
