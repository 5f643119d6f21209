//! The LogQL subset the sim's Loki serves: stream selectors, line filters, `| json` / `| logfmt` with label
//! filters, and the metric forms `count_over_time`, `rate`, `bytes_over_time`, `bytes_rate` under
//! `sum|count|avg|min|max [by|without (..)]`. Parsing, matching, and evaluation over fetched entries.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use regex::Regex;

use super::logs::Labels;

/// A LogQL parse error, displayed as Loki writes it: `parse error at line 1, col 5: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parse error at line {line}, col {col}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// A parsed query: either a log query (streams) or a metric query (samples).
#[derive(Debug, Clone)]
pub enum Query {
    Log(LogQuery),
    Metric(MetricExpr),
}

/// `{selector} <stages>`.
#[derive(Debug, Clone)]
pub struct LogQuery {
    pub selector: Selector,
    pub stages: Vec<Stage>,
}

/// `{a="b", c!="d", e=~"re", f!~"re"}`.
#[derive(Debug, Clone)]
pub struct Selector {
    pub matchers: Vec<Matcher>,
}

#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// Anchored (`^(?:value)$`) for the regex operators, as Prometheus and Loki match labels.
    regex: Option<Regex>,
}

// The compiled regex follows from the value, so equality need not (and cannot) compare it.
impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

/// One pipeline stage after the selector.
#[derive(Debug, Clone)]
pub enum Stage {
    /// `|= "x"`, `!= "x"`, `|~ "re"`, `!~ "re"` (regexes unanchored, as in Loki).
    LineContains(String),
    LineNotContains(String),
    LineMatches(Regex),
    LineNotMatches(Regex),
    /// `| json`: top-level and nested keys (joined with `_`) become labels.
    Json,
    /// `| logfmt`: `key=value` pairs become labels.
    Logfmt,
    /// `| level="error"` and friends, against stream plus extracted labels.
    LabelMatch(Matcher),
    /// `| duration > 500ms`, `| status >= 500`.
    LabelCompare {
        name: String,
        op: CompareOp,
        value: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A metric expression.
#[derive(Debug, Clone)]
pub enum MetricExpr {
    /// `count_over_time(<log query> [5m])` and the other range functions.
    Range { func: RangeFunc, query: LogQuery, range_ns: i64 },
    /// `sum by (pod) (<metric expr>)`.
    Aggregate { op: AggOp, grouping: Grouping, inner: Box<MetricExpr> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeFunc {
    CountOverTime,
    Rate,
    BytesOverTime,
    BytesRate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggOp {
    Sum,
    Count,
    Avg,
    Min,
    Max,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// No clause: everything in one group with no labels.
    All,
    By(Vec<String>),
    Without(Vec<String>),
}

/// One entry that passed a log query's pipeline, fed to metric evaluation.
#[derive(Debug, Clone)]
pub struct Sample {
    pub labels: Arc<Labels>,
    pub ts_ns: i64,
    pub bytes: usize,
}

/// A metric result series; `points` are (step timestamp in ns, value), ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub metric: Labels,
    pub points: Vec<(i64, f64)>,
}

/// Parses a full LogQL query.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    let mut p = Parser::new(input)?;
    let query =
        if p.peek_is(&Tok::LBrace) { Query::Log(p.log_query()?) } else { Query::Metric(p.metric_expr()?) };
    p.expect_end()?;
    Ok(query)
}

/// Parses a bare stream selector, as `/series` `match[]` and `/labels` `query` take.
pub fn parse_selector(input: &str) -> Result<Selector, ParseError> {
    let mut p = Parser::new(input)?;
    let selector = p.selector()?;
    p.expect_end()?;
    Ok(selector)
}

/// Parses a Prometheus-style duration (`5m`, `1h30m`, `250ms`, `1.5s`) or plain float seconds, into ns.
pub fn parse_duration_ns(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return secs_to_ns(secs);
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit_secs = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "y" => 31_536_000.0,
            _ => return None,
        };
        total += number * unit_secs;
        rest = &rest[unit_len..];
    }
    secs_to_ns(total)
}

fn secs_to_ns(secs: f64) -> Option<i64> {
    let ns = (secs * 1e9).round();
    (ns.is_finite() && ns >= 0.0 && ns < i64::MAX as f64).then_some(ns as i64)
}

impl Query {
    /// The log query at the leaf of a metric query, or the log query itself.
    pub fn log_queries(&self) -> Vec<&LogQuery> {
        match self {
            Query::Log(q) => vec![q],
            Query::Metric(m) => vec![m.log_query()],
        }
    }
}

impl Selector {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }
}

impl Matcher {
    pub fn new(name: String, op: MatchOp, value: String) -> Result<Self, String> {
        let regex = match op {
            MatchOp::Regex | MatchOp::NotRegex => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|err| format!("invalid regex {value:?}: {}", first_line(&err.to_string())))?,
            ),
            MatchOp::Equal | MatchOp::NotEqual => None,
        };
        Ok(Self { name, op, value, regex })
    }

    /// Whether the label (empty when missing) satisfies this matcher.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.get(&self.name).map_or("", String::as_str))
    }

    pub fn matches_value(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }
}

impl LogQuery {
    /// Runs the pipeline on one line: `None` drops it; otherwise the labels of the result stream (the
    /// stream's own unless a parser stage extracted more).
    pub fn process<'a>(&self, labels: &'a Labels, line: &str) -> Option<Cow<'a, Labels>> {
        let mut out = Cow::Borrowed(labels);
        for stage in &self.stages {
            match stage {
                Stage::LineContains(s) if !line.contains(s.as_str()) => return None,
                Stage::LineNotContains(s) if line.contains(s.as_str()) => return None,
                Stage::LineMatches(re) if !re.is_match(line) => return None,
                Stage::LineNotMatches(re) if re.is_match(line) => return None,
                Stage::Json => extract(out.to_mut(), json_fields(line)),
                Stage::Logfmt => extract(out.to_mut(), logfmt_fields(line)),
                Stage::LabelMatch(m) if !m.matches(&out) => return None,
                Stage::LabelCompare { name, op, value } => {
                    let actual = out.get(name).map_or("", String::as_str);
                    match parse_number(actual) {
                        Some(actual) if !op.holds(actual, *value) => return None,
                        Some(_) => {}
                        // Loki keeps lines whose label does not convert, flagged for `__error__=""` filters.
                        None => {
                            out.to_mut().insert("__error__".into(), "LabelFilterErr".into());
                        }
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }

    /// Whether the pipeline can change labels (so results must be regrouped by the labels it returns).
    pub fn extracts_labels(&self) -> bool {
        self.stages.iter().any(|s| matches!(s, Stage::Json | Stage::Logfmt | Stage::LabelCompare { .. }))
    }
}

impl CompareOp {
    fn holds(self, actual: f64, wanted: f64) -> bool {
        match self {
            CompareOp::Eq => actual == wanted,
            CompareOp::Ne => actual != wanted,
            CompareOp::Gt => actual > wanted,
            CompareOp::Ge => actual >= wanted,
            CompareOp::Lt => actual < wanted,
            CompareOp::Le => actual <= wanted,
        }
    }
}

/// A label value as a number: plain, or a duration (in seconds) such as `250ms`.
fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse::<f64>().ok().or_else(|| parse_duration_ns(text).map(|ns| ns as f64 / 1e9))
}

/// Adds extracted labels; a name already used by the stream gets `_extracted`, as Loki does.
fn extract(labels: &mut Labels, fields: Result<Vec<(String, String)>, &'static str>) {
    match fields {
        Ok(fields) => {
            for (name, value) in fields {
                let name = if labels.contains_key(&name) { format!("{name}_extracted") } else { name };
                labels.insert(name, value);
            }
        }
        Err(kind) => {
            labels.insert("__error__".into(), kind.into());
        }
    }
}

fn json_fields(line: &str) -> Result<Vec<(String, String)>, &'static str> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(line) else {
        return Err("JSONParserErr");
    };
    let mut out = Vec::new();
    flatten_json("", &map, &mut out);
    Ok(out)
}

fn flatten_json(
    prefix: &str,
    map: &serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<(String, String)>,
) {
    for (key, value) in map {
        let name = if prefix.is_empty() { sanitize(key) } else { format!("{prefix}_{}", sanitize(key)) };
        match value {
            serde_json::Value::Object(inner) => flatten_json(&name, inner, out),
            // Loki's json parser does not extract arrays.
            serde_json::Value::Array(_) => {}
            serde_json::Value::String(s) => out.push((name, s.clone())),
            serde_json::Value::Null => out.push((name, String::new())),
            other => out.push((name, other.to_string())),
        }
    }
}

fn logfmt_fields(line: &str) -> Result<Vec<(String, String)>, &'static str> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let key_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let key = &rest[..key_end];
        rest = &rest[key_end..];
        let value = if let Some(after_eq) = rest.strip_prefix('=') {
            if let Some(quoted) = after_eq.strip_prefix('"') {
                let (value, consumed) = logfmt_quoted(quoted).ok_or("LogfmtParserErr")?;
                rest = &quoted[consumed..];
                value
            } else {
                let end = after_eq.find(char::is_whitespace).unwrap_or(after_eq.len());
                rest = &after_eq[end..];
                after_eq[..end].to_string()
            }
        } else {
            String::new()
        };
        if key.is_empty() {
            return Err("LogfmtParserErr");
        }
        out.push((sanitize(key), value));
        rest = rest.trim_start();
    }
    Ok(out)
}

/// A logfmt quoted value (after the opening quote): the value and the bytes consumed with the closing quote.
fn logfmt_quoted(text: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, i + 1)),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}

/// Label names allow `[a-zA-Z_][a-zA-Z0-9_]*`; anything else becomes `_`.
fn sanitize(key: &str) -> String {
    let mut out: String =
        key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

impl MetricExpr {
    /// The log query every sample of this expression comes from.
    pub fn log_query(&self) -> &LogQuery {
        match self {
            MetricExpr::Range { query, .. } => query,
            MetricExpr::Aggregate { inner, .. } => inner.log_query(),
        }
    }

    /// The range (ns) of the range function at the leaf.
    pub fn range_ns(&self) -> i64 {
        match self {
            MetricExpr::Range { range_ns, .. } => *range_ns,
            MetricExpr::Aggregate { inner, .. } => inner.range_ns(),
        }
    }

    /// Evaluates at each of `steps` (ns, ascending). `samples` are the entries that passed the log query's
    /// pipeline with `steps[0] - range < ts <= steps[last]`. Steps without data produce no point, as in Loki.
    pub fn evaluate(&self, steps: &[i64], samples: &[Sample]) -> Vec<Series> {
        let mut series = match self {
            MetricExpr::Range { func, range_ns, .. } => evaluate_range(*func, *range_ns, steps, samples),
            MetricExpr::Aggregate { op, grouping, inner } => {
                aggregate(*op, grouping, inner.evaluate(steps, samples))
            }
        };
        series.sort_by(|a, b| a.metric.cmp(&b.metric));
        series
    }
}

fn evaluate_range(func: RangeFunc, range_ns: i64, steps: &[i64], samples: &[Sample]) -> Vec<Series> {
    let mut by_labels: HashMap<&Labels, Vec<(i64, usize)>> = HashMap::new();
    for s in samples {
        by_labels.entry(&*s.labels).or_default().push((s.ts_ns, s.bytes));
    }
    let range_secs = range_ns as f64 / 1e9;
    let mut out = Vec::new();
    for (labels, mut entries) in by_labels {
        entries.sort_unstable();
        // prefix[i] = bytes of entries[..i], for byte sums over any window.
        let mut prefix = Vec::with_capacity(entries.len() + 1);
        prefix.push(0usize);
        for (_, bytes) in &entries {
            prefix.push(prefix.last().copied().unwrap_or(0) + bytes);
        }
        let mut points = Vec::new();
        for &t in steps {
            // The window is (t - range, t].
            let from = entries.partition_point(|(ts, _)| *ts <= t - range_ns);
            let to = entries.partition_point(|(ts, _)| *ts <= t);
            if to <= from {
                continue;
            }
            let count = (to - from) as f64;
            let bytes = (prefix[to] - prefix[from]) as f64;
            let value = match func {
                RangeFunc::CountOverTime => count,
                RangeFunc::Rate => count / range_secs,
                RangeFunc::BytesOverTime => bytes,
                RangeFunc::BytesRate => bytes / range_secs,
            };
            points.push((t, value));
        }
        if !points.is_empty() {
            let mut metric = labels.clone();
            metric.remove("__error_details__");
            out.push(Series { metric, points });
        }
    }
    out
}

fn aggregate(op: AggOp, grouping: &Grouping, input: Vec<Series>) -> Vec<Series> {
    let mut groups: BTreeMap<Labels, BTreeMap<i64, Vec<f64>>> = BTreeMap::new();
    for series in input {
        let key: Labels = match grouping {
            Grouping::All => Labels::new(),
            Grouping::By(names) => series.metric.into_iter().filter(|(k, _)| names.contains(k)).collect(),
            Grouping::Without(names) => {
                series.metric.into_iter().filter(|(k, _)| !names.contains(k)).collect()
            }
        };
        let group = groups.entry(key).or_default();
        for (t, v) in series.points {
            group.entry(t).or_default().push(v);
        }
    }
    groups
        .into_iter()
        .map(|(metric, points)| {
            let points = points
                .into_iter()
                .map(|(t, values)| {
                    let n = values.len() as f64;
                    let value = match op {
                        AggOp::Sum => values.iter().sum(),
                        AggOp::Count => n,
                        AggOp::Avg => values.iter().sum::<f64>() / n,
                        AggOp::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                        AggOp::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    };
                    (t, value)
                })
                .collect();
            Series { metric, points }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eq,
    EqEq,
    Ne,
    Re,
    Nre,
    PipeEq,
    PipeRe,
    Pipe,
    Gt,
    Ge,
    Lt,
    Le,
    Ident(String),
    Str(String),
    /// A number, possibly with duration units (`5m`), kept as written.
    Number(String),
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::LBrace => f.write_str("{"),
            Tok::RBrace => f.write_str("}"),
            Tok::LParen => f.write_str("("),
            Tok::RParen => f.write_str(")"),
            Tok::LBracket => f.write_str("["),
            Tok::RBracket => f.write_str("]"),
            Tok::Comma => f.write_str(","),
            Tok::Eq => f.write_str("="),
            Tok::EqEq => f.write_str("=="),
            Tok::Ne => f.write_str("!="),
            Tok::Re => f.write_str("=~"),
            Tok::Nre => f.write_str("!~"),
            Tok::PipeEq => f.write_str("|="),
            Tok::PipeRe => f.write_str("|~"),
            Tok::Pipe => f.write_str("|"),
            Tok::Gt => f.write_str(">"),
            Tok::Ge => f.write_str(">="),
            Tok::Lt => f.write_str("<"),
            Tok::Le => f.write_str("<="),
            Tok::Ident(s) => write!(f, "IDENTIFIER {s}"),
            Tok::Str(s) => write!(f, "STRING {s:?}"),
            Tok::Number(s) => write!(f, "NUMBER {s}"),
            Tok::End => f.write_str("end of input"),
        }
    }
}

/// A token and the (line, col) where it starts, both 1-based.
type Spanned = (Tok, usize, usize);

fn lex(input: &str) -> Result<Vec<Spanned>, ParseError> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let err = |line, col, message: String| ParseError { line, col, message };
    while i < chars.len() {
        let c = chars[i];
        let (start_line, start_col) = (line, col);
        if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let two = |tok: Tok| (tok, 2usize);
        let (tok, width) = match (c, next) {
            ('{', _) => (Tok::LBrace, 1),
            ('}', _) => (Tok::RBrace, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            (',', _) => (Tok::Comma, 1),
            ('=', Some('~')) => two(Tok::Re),
            ('=', Some('=')) => two(Tok::EqEq),
            ('=', _) => (Tok::Eq, 1),
            ('!', Some('=')) => two(Tok::Ne),
            ('!', Some('~')) => two(Tok::Nre),
            ('|', Some('=')) => two(Tok::PipeEq),
            ('|', Some('~')) => two(Tok::PipeRe),
            ('|', _) => (Tok::Pipe, 1),
            ('>', Some('=')) => two(Tok::Ge),
            ('>', _) => (Tok::Gt, 1),
            ('<', Some('=')) => two(Tok::Le),
            ('<', _) => (Tok::Lt, 1),
            ('"', _) => {
                let (value, consumed) =
                    lex_quoted(&chars[i + 1..]).map_err(|message| err(start_line, start_col, message))?;
                (Tok::Str(value), consumed + 1)
            }
            ('`', _) => {
                let Some(len) = chars[i + 1..].iter().position(|&c| c == '`') else {
                    return Err(err(start_line, start_col, "unterminated raw string".into()));
                };
                let value: String = chars[i + 1..i + 1 + len].iter().collect();
                // Raw strings may span lines; keep line/col right afterwards.
                let newlines = value.matches('\n').count();
                out.push((Tok::Str(value.clone()), start_line, start_col));
                i += len + 2;
                if newlines > 0 {
                    line += newlines;
                    col = value.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 2;
                } else {
                    col += len + 2;
                }
                continue;
            }
            (c, _) if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').count();
                (Tok::Ident(chars[i..i + len].iter().collect()), len)
            }
            (c, _) if c.is_ascii_digit() || c == '.' => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '.').count();
                (Tok::Number(chars[i..i + len].iter().collect()), len)
            }
            (c, _) => {
                return Err(err(start_line, start_col, format!("syntax error: unexpected character {c:?}")));
            }
        };
        out.push((tok, start_line, start_col));
        i += width;
        col += width;
    }
    out.push((Tok::End, line, col));
    Ok(out)
}

/// A double-quoted string body with Go escapes; returns the value and the chars consumed, closing quote
/// included.
fn lex_quoted(chars: &[char]) -> Result<(String, usize), String> {
    let mut value = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((value, i + 1)),
            '\n' => break,
            '\\' => {
                let escaped = chars.get(i + 1).ok_or_else(|| "unterminated string".to_string())?;
                match escaped {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    '\'' => value.push('\''),
                    other => return Err(format!("invalid escape sequence \\{other} in string")),
                }
                i += 2;
            }
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err("unterminated string".into())
}

// ---------------------------------------------------------------------------------------------------------
// Parser

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
}

const RANGE_FUNCS: &[(&str, RangeFunc)] = &[
    ("count_over_time", RangeFunc::CountOverTime),
    ("rate", RangeFunc::Rate),
    ("bytes_over_time", RangeFunc::BytesOverTime),
    ("bytes_rate", RangeFunc::BytesRate),
];

const AGG_OPS: &[(&str, AggOp)] = &[
    ("sum", AggOp::Sum),
    ("count", AggOp::Count),
    ("avg", AggOp::Avg),
    ("min", AggOp::Min),
    ("max", AggOp::Max),
];

impl Parser {
    fn new(input: &str) -> Result<Self, ParseError> {
        Ok(Self { tokens: lex(input)?, pos: 0 })
    }

    fn peek(&self) -> &Spanned {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.pos.min(last)]
    }

    fn peek_is(&self, tok: &Tok) -> bool {
        &self.peek().0 == tok
    }

    fn next(&mut self) -> Spanned {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn error_at(&self, spanned: &Spanned, message: String) -> ParseError {
        ParseError { line: spanned.1, col: spanned.2, message }
    }

    fn unexpected(&self, spanned: &Spanned, expecting: &str) -> ParseError {
        self.error_at(spanned, format!("syntax error: unexpected {}, expecting {expecting}", spanned.0))
    }

    fn expect(&mut self, tok: Tok) -> Result<(), ParseError> {
        let got = self.next();
        if got.0 == tok { Ok(()) } else { Err(self.unexpected(&got, &tok.to_string())) }
    }

    fn expect_end(&mut self) -> Result<(), ParseError> {
        let got = self.next();
        if got.0 == Tok::End { Ok(()) } else { Err(self.unexpected(&got, "end of input")) }
    }

    fn ident(&mut self, expecting: &str) -> Result<String, ParseError> {
        match self.next() {
            (Tok::Ident(name), ..) => Ok(name),
            other => Err(self.unexpected(&other, expecting)),
        }
    }

    fn string(&mut self) -> Result<(String, Spanned), ParseError> {
        match self.next() {
            (Tok::Str(value), line, col) => Ok((value.clone(), (Tok::Str(value), line, col))),
            other => Err(self.unexpected(&other, "STRING")),
        }
    }

    fn selector(&mut self) -> Result<Selector, ParseError> {
        let open = self.peek().clone();
        self.expect(Tok::LBrace)?;
        let mut matchers = Vec::new();
        while !self.peek_is(&Tok::RBrace) {
            let name = self.ident("IDENTIFIER")?;
            let op_tok = self.next();
            let op = match op_tok.0 {
                Tok::Eq => MatchOp::Equal,
                Tok::Ne => MatchOp::NotEqual,
                Tok::Re => MatchOp::Regex,
                Tok::Nre => MatchOp::NotRegex,
                _ => return Err(self.unexpected(&op_tok, "= or != or =~ or !~")),
            };
            let (value, at) = self.string()?;
            matchers.push(Matcher::new(name, op, value).map_err(|m| self.error_at(&at, m))?);
            if self.peek_is(&Tok::Comma) {
                self.next();
            } else if !self.peek_is(&Tok::RBrace) {
                let got = self.next();
                return Err(self.unexpected(&got, ", or }"));
            }
        }
        self.expect(Tok::RBrace)?;
        // Loki refuses selectors that would match every stream.
        let narrows =
            matchers.iter().any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Regex) && !m.matches_value(""));
        if !narrows {
            return Err(self.error_at(
                &open,
                "queries require at least one regexp or equality matcher that does not have an \
                 empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will"
                    .into(),
            ));
        }
        Ok(Selector { matchers })
    }

    fn log_query(&mut self) -> Result<LogQuery, ParseError> {
        let selector = self.selector()?;
        let mut stages = Vec::new();
        loop {
            let tok = self.peek().clone();
            match tok.0 {
                Tok::PipeEq | Tok::Ne | Tok::PipeRe | Tok::Nre => {
                    self.next();
                    let (value, at) = self.string()?;
                    let regex = |value: &str| {
                        Regex::new(value).map_err(|e| {
                            self.error_at(
                                &at,
                                format!("invalid regex {value:?}: {}", first_line(&e.to_string())),
                            )
                        })
                    };
                    stages.push(match tok.0 {
                        Tok::PipeEq => Stage::LineContains(value),
                        Tok::Ne => Stage::LineNotContains(value),
                        Tok::PipeRe => Stage::LineMatches(regex(&value)?),
                        _ => Stage::LineNotMatches(regex(&value)?),
                    });
                }
                Tok::Pipe => {
                    self.next();
                    stages.push(self.pipe_stage()?);
                }
                _ => break,
            }
        }
        Ok(LogQuery { selector, stages })
    }

    fn pipe_stage(&mut self) -> Result<Stage, ParseError> {
        let name_tok = self.peek().clone();
        let name = self.ident("json, logfmt or a label filter")?;
        match name.as_str() {
            "json" => return Ok(Stage::Json),
            "logfmt" => return Ok(Stage::Logfmt),
            "line_format" | "label_format" | "regexp" | "pattern" | "unpack" | "drop" | "keep"
            | "decolorize" => {
                return Err(
                    self.error_at(&name_tok, format!("{name} is not supported by the simulated Loki"))
                );
            }
            _ => {}
        }
        let op_tok = self.next();
        let compare = match op_tok.0 {
            Tok::Eq | Tok::Ne | Tok::Re | Tok::Nre if matches!(self.peek().0, Tok::Str(_)) => {
                let op = match op_tok.0 {
                    Tok::Eq => MatchOp::Equal,
                    Tok::Ne => MatchOp::NotEqual,
                    Tok::Re => MatchOp::Regex,
                    _ => MatchOp::NotRegex,
                };
                let (value, at) = self.string()?;
                return Ok(Stage::LabelMatch(
                    Matcher::new(name, op, value).map_err(|m| self.error_at(&at, m))?,
                ));
            }
            Tok::Eq | Tok::EqEq => CompareOp::Eq,
            Tok::Ne => CompareOp::Ne,
            Tok::Gt => CompareOp::Gt,
            Tok::Ge => CompareOp::Ge,
            Tok::Lt => CompareOp::Lt,
            Tok::Le => CompareOp::Le,
            _ => return Err(self.unexpected(&op_tok, "a comparison operator")),
        };
        match self.next() {
            (Tok::Number(text), line, col) => {
                let value = parse_number(&text).ok_or_else(|| {
                    self.error_at(&(Tok::Number(text.clone()), line, col), format!("invalid number {text}"))
                })?;
                Ok(Stage::LabelCompare { name, op: compare, value })
            }
            other => Err(self.unexpected(&other, "NUMBER or DURATION")),
        }
    }

    fn metric_expr(&mut self) -> Result<MetricExpr, ParseError> {
        let at = self.peek().clone();
        let name = self.ident("a metric function or {")?;
        if let Some((_, func)) = RANGE_FUNCS.iter().find(|(n, _)| *n == name) {
            self.expect(Tok::LParen)?;
            let query = self.log_query()?;
            self.expect(Tok::LBracket)?;
            let range_ns = match self.next() {
                (Tok::Number(text), line, col) => parse_duration_ns(&text)
                    .filter(|ns| *ns > 0 && text.ends_with(|c: char| c.is_ascii_alphabetic()))
                    .ok_or_else(|| ParseError { line, col, message: format!("invalid duration {text}") })?,
                other => return Err(self.unexpected(&other, "DURATION")),
            };
            self.expect(Tok::RBracket)?;
            self.expect(Tok::RParen)?;
            return Ok(MetricExpr::Range { func: *func, query, range_ns });
        }
        if let Some((_, op)) = AGG_OPS.iter().find(|(n, _)| *n == name) {
            let mut grouping = self.grouping()?;
            self.expect(Tok::LParen)?;
            let inner = self.metric_expr()?;
            self.expect(Tok::RParen)?;
            if grouping == Grouping::All {
                grouping = self.grouping()?;
            }
            return Ok(MetricExpr::Aggregate { op: *op, grouping, inner: Box::new(inner) });
        }
        Err(self.error_at(&at, format!("syntax error: unexpected IDENTIFIER {name}")))
    }

    /// An optional `by (a, b)` / `without (a)` clause.
    fn grouping(&mut self) -> Result<Grouping, ParseError> {
        let keyword = match &self.peek().0 {
            Tok::Ident(k) if k == "by" || k == "without" => k.clone(),
            _ => return Ok(Grouping::All),
        };
        self.next();
        self.expect(Tok::LParen)?;
        let mut names = Vec::new();
        while !self.peek_is(&Tok::RParen) {
            names.push(self.ident("IDENTIFIER")?);
            if self.peek_is(&Tok::Comma) {
                self.next();
            } else if !self.peek_is(&Tok::RParen) {
                let got = self.next();
                return Err(self.unexpected(&got, ", or )"));
            }
        }
        self.expect(Tok::RParen)?;
        Ok(if keyword == "by" { Grouping::By(names) } else { Grouping::Without(names) })
    }
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn log(query: &str) -> LogQuery {
        match parse(query) {
            Ok(Query::Log(q)) => q,
            other => panic!("{query}: {other:?}"),
        }
    }

    fn metric(query: &str) -> MetricExpr {
        match parse(query) {
            Ok(Query::Metric(m)) => m,
            other => panic!("{query}: {other:?}"),
        }
    }

    fn error(query: &str) -> ParseError {
        match parse(query) {
            Err(e) => e,
            Ok(q) => panic!("{query} parsed: {q:?}"),
        }
    }

    #[test]
    fn selectors_match_like_loki() {
        let q = log(r#"{namespace="payments", app!="db", pod=~"api-.*", container!~"istio.*"}"#);
        assert_eq!(q.selector.matchers.len(), 4);
        let yes = labels(&[("namespace", "payments"), ("pod", "api-7d9f"), ("container", "api")]);
        assert!(q.selector.matches(&yes));
        // Regexes are anchored.
        let partial = labels(&[("namespace", "payments"), ("pod", "x-api-7d9f")]);
        assert!(!q.selector.matches(&partial));
        let sidecar = labels(&[("namespace", "payments"), ("pod", "api-1"), ("container", "istio-proxy")]);
        assert!(!q.selector.matches(&sidecar));
        assert!(!q.selector.matches(&labels(&[("namespace", "payments"), ("pod", "api-1"), ("app", "db")])));
        // Trailing comma, backtick strings and escapes.
        let q = log(r#"{app=`a\b`, team="x\"y",}"#);
        assert!(q.selector.matches(&labels(&[("app", r"a\b"), ("team", "x\"y")])));
    }

    #[test]
    fn selectors_must_narrow() {
        let e = error(r#"{app=~".*"}"#);
        assert!(e.message.contains("at least one regexp or equality matcher"), "{e}");
        assert_eq!((e.line, e.col), (1, 1));
        assert!(parse(r#"{app!=""}"#).is_err());
        assert!(parse("{}").is_err());
        assert!(parse(r#"{app=~".+"}"#).is_ok());
        assert!(parse(r#"{app=""}"#).is_err());
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let e = error(r#"{app="api""#);
        assert_eq!(
            e.to_string(),
            "parse error at line 1, col 11: syntax error: unexpected end of input, expecting , or }"
        );
        let e = error(r#"{app "api"}"#);
        assert_eq!((e.line, e.col), (1, 6));
        assert!(e.to_string().starts_with("parse error at line 1, col 6: syntax error: unexpected STRING"));
        let e = error("{app=\"api\"}\n  |= 42");
        assert_eq!((e.line, e.col), (2, 6));
        let e = error(r#"{app="api"} |~ "(unclosed""#);
        assert!(e.message.contains("invalid regex"), "{e}");
        assert_eq!(error(r#"{app="api"} # comment"#).col, 13);
        assert!(error(r#"{app="unterminated}"#).message.contains("unterminated"));
        assert!(error("nonsense").message.contains("unexpected IDENTIFIER nonsense"));
        assert!(error(r#"{app="a"} | line_format "x""#).message.contains("not supported"));
    }

    #[test]
    fn line_filters_chain() {
        let q = log(r#"{app="api"} |= "error" != "healthz" |~ "db|cache" !~ "(?i)retry""#);
        let l = labels(&[("app", "api")]);
        assert!(q.process(&l, "error: db timeout").is_some());
        assert!(q.process(&l, "error: db timeout on GET /healthz").is_none());
        assert!(q.process(&l, "error: disk full").is_none());
        assert!(q.process(&l, "error: db timeout, RETRY").is_none());
        assert!(q.process(&l, "info: db ok").is_none());
        assert!(!q.extracts_labels());
        assert!(matches!(q.process(&l, "error: cache"), Some(Cow::Borrowed(_))));
    }

    #[test]
    fn json_extracts_and_filters_labels() {
        let q = log(r#"{app="api"} | json | level="error""#);
        let l = labels(&[("app", "api"), ("level", "stream-level")]);
        let line = r#"{"level":"error","msg":"db timeout","http":{"status":500},"tags":["a"],"app":"other"}"#;
        // `level` clashes with a stream label so it becomes `level_extracted`; the filter sees the stream's.
        assert!(q.process(&l, line).is_none());
        let l = labels(&[("app", "api")]);
        let out = q.process(&l, line).unwrap();
        assert_eq!(out.get("level").map(String::as_str), Some("error"));
        assert_eq!(out.get("http_status").map(String::as_str), Some("500"));
        assert_eq!(out.get("app_extracted").map(String::as_str), Some("other"));
        assert!(!out.contains_key("tags"));
        assert!(q.process(&l, r#"{"level":"info"}"#).is_none());

        // Lines that are not JSON carry __error__ and can be filtered out.
        let q = log(r#"{app="api"} | json | __error__="""#);
        assert!(q.process(&l, "plain text").is_none());
        let q = log(r#"{app="api"} | json"#);
        assert_eq!(
            q.process(&l, "plain").unwrap().get("__error__").map(String::as_str),
            Some("JSONParserErr")
        );
        let q = log(r#"{app="api"} | json | level=~"error|fatal""#);
        assert!(q.process(&l, r#"{"level":"fatal"}"#).is_some());
        assert!(q.process(&l, r#"{"level":"warn"}"#).is_none());
    }

    #[test]
    fn numeric_label_filters_and_logfmt() {
        let q = log(r#"{app="api"} | json | status >= 500 | duration_ms > 250"#);
        let l = labels(&[("app", "api")]);
        assert!(q.process(&l, r#"{"status":503,"duration_ms":300}"#).is_some());
        assert!(q.process(&l, r#"{"status":200,"duration_ms":300}"#).is_none());
        assert!(q.process(&l, r#"{"status":503,"duration_ms":12}"#).is_none());
        let q = log(r#"{app="api"} | logfmt | duration > 500ms"#);
        assert!(q.process(&l, r#"level=info msg="slow call" duration=1.2s"#).is_some());
        assert!(q.process(&l, "level=info duration=20ms").is_none());
        let out = q.process(&l, "level=info duration=oops").unwrap();
        assert_eq!(out.get("__error__").map(String::as_str), Some("LabelFilterErr"));
        let q = log(r#"{app="api"} | logfmt | msg="slow call""#);
        assert!(q.process(&l, r#"level=info msg="slow call""#).is_some());
    }

    #[test]
    fn metric_forms_parse() {
        let m = metric(r#"count_over_time({app="api"} |= "error" [5m])"#);
        let MetricExpr::Range { func, range_ns, .. } = &m else { panic!("{m:?}") };
        assert_eq!((*func, *range_ns), (RangeFunc::CountOverTime, 300_000_000_000));
        assert_eq!(m.log_query().stages.len(), 1);
        let m = metric(r#"sum by (pod) (count_over_time({namespace="payments"} |= "error" [5m]))"#);
        let MetricExpr::Aggregate { op, grouping, .. } = &m else { panic!("{m:?}") };
        assert_eq!((*op, grouping), (AggOp::Sum, &Grouping::By(vec!["pod".into()])));
        let m = metric(r#"sum(rate({app="api"}[1m])) by (namespace, app)"#);
        let MetricExpr::Aggregate { grouping, .. } = &m else { panic!("{m:?}") };
        assert_eq!(grouping, &Grouping::By(vec!["namespace".into(), "app".into()]));
        assert_eq!(m.range_ns(), 60_000_000_000);
        let m = metric(r#"max without (pod) (bytes_rate({app="api"} | json [30s]))"#);
        assert!(matches!(&m, MetricExpr::Aggregate { op: AggOp::Max, grouping: Grouping::Without(_), .. }));
        assert!(error(r#"rate({app="api"})"#).message.contains("expecting ["));
        assert!(error(r#"rate({app="api"}[5])"#).message.contains("invalid duration"));
        assert!(error(r#"sum(rate({app="api"}[1m])"#).message.contains("expecting )"));
    }

    fn sample(pairs: &[(&str, &str)], ts_ns: i64) -> Sample {
        Sample { labels: Arc::new(labels(pairs)), ts_ns, bytes: 10 }
    }

    #[test]
    fn range_functions_count_over_left_open_windows() {
        const S: i64 = 1_000_000_000;
        let m = metric(r#"count_over_time({app="api"}[10s])"#);
        let samples = vec![
            sample(&[("pod", "a")], 5 * S),
            sample(&[("pod", "a")], 10 * S),
            sample(&[("pod", "a")], 11 * S),
            sample(&[("pod", "b")], 25 * S),
        ];
        let out = m.evaluate(&[10 * S, 20 * S, 30 * S, 40 * S], &samples);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].metric, labels(&[("pod", "a")]));
        // (0,10] holds 5 and 10; (10,20] holds 11; nothing after that: no points.
        assert_eq!(out[0].points, vec![(10 * S, 2.0), (20 * S, 1.0)]);
        assert_eq!(out[1].points, vec![(30 * S, 1.0)]);

        let m = metric(r#"rate({app="api"}[10s])"#);
        assert_eq!(m.evaluate(&[10 * S], &samples)[0].points, vec![(10 * S, 0.2)]);
        let m = metric(r#"bytes_over_time({app="api"}[10s])"#);
        assert_eq!(m.evaluate(&[10 * S], &samples)[0].points, vec![(10 * S, 20.0)]);
    }

    #[test]
    fn aggregations_group_by_labels() {
        const S: i64 = 1_000_000_000;
        let samples = vec![
            sample(&[("namespace", "payments"), ("pod", "a")], 5 * S),
            sample(&[("namespace", "payments"), ("pod", "b")], 6 * S),
            sample(&[("namespace", "payments"), ("pod", "b")], 7 * S),
            sample(&[("namespace", "billing"), ("pod", "c")], 8 * S),
        ];
        let steps = [10 * S];
        let sum = metric(r#"sum by (namespace) (count_over_time({app="x"}[1m]))"#).evaluate(&steps, &samples);
        assert_eq!(sum.len(), 2);
        assert_eq!(sum[0].metric, labels(&[("namespace", "billing")]));
        assert_eq!(sum[1].points, vec![(10 * S, 3.0)]);
        let total = metric(r#"sum(count_over_time({app="x"}[1m]))"#).evaluate(&steps, &samples);
        assert_eq!(total, vec![Series { metric: Labels::new(), points: vec![(10 * S, 4.0)] }]);
        let count =
            metric(r#"count without (pod) (count_over_time({app="x"}[1m]))"#).evaluate(&steps, &samples);
        assert_eq!(count[1].points, vec![(10 * S, 2.0)]);
        let max = metric(r#"max(count_over_time({app="x"}[1m]))"#).evaluate(&steps, &samples);
        assert_eq!(max[0].points, vec![(10 * S, 2.0)]);
        let min = metric(r#"min(count_over_time({app="x"}[1m]))"#).evaluate(&steps, &samples);
        assert_eq!(min[0].points, vec![(10 * S, 1.0)]);
        let avg = metric(r#"avg(count_over_time({app="x"}[1m]))"#).evaluate(&steps, &samples);
        assert!((avg[0].points[0].1 - 4.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("5m"), Some(300_000_000_000));
        assert_eq!(parse_duration_ns("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_duration_ns("250ms"), Some(250_000_000));
        assert_eq!(parse_duration_ns("1.5"), Some(1_500_000_000));
        assert_eq!(parse_duration_ns("15"), Some(15_000_000_000));
        assert_eq!(parse_duration_ns("5x"), None);
        assert_eq!(parse_duration_ns(""), None);
        assert_eq!(parse_duration_ns("-1"), None);
    }

    #[test]
    fn bare_selectors_for_series() {
        let s = parse_selector(r#"{namespace="payments"}"#).unwrap();
        assert!(s.matches(&labels(&[("namespace", "payments")])));
        assert!(parse_selector(r#"{namespace="payments"} |= "x""#).is_err());
    }
}
