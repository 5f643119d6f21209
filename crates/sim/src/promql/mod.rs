//! A small PromQL subset, enough for the sim's Prometheus HTTP API: instant and range vector selectors
//! with label matchers, `rate`/`increase`, the aggregations `sum`/`count`/`avg`/`max`/`min` with
//! `by`/`without`, comparisons against a number (filters, or `bool`), and number literals.
//! Anything else is refused with an error naming the construct, so a client never gets a silently
//! wrong answer.

mod eval;
mod lexer;
mod parser;

use std::collections::BTreeMap;

pub use eval::{Series, Storage, Value, evaluate, evaluate_range};
pub use lexer::parse_duration;
pub use parser::parse;

// Label matchers, aggregation operators and grouping clauses are LogQL's, which took them from PromQL.
pub use crate::logql::{AggOp as AggregateOp, Grouping, MatchOp, Matcher};

/// A series' labels, `__name__` included; sorted, which also puts `__name__` first.
pub type Labels = BTreeMap<String, String>;

pub const METRIC_NAME: &str = "__name__";

/// How far back an instant selector looks for a series' latest sample (Prometheus' default).
pub const LOOKBACK_SECS: f64 = 300.0;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    /// `name{matchers}`, with `range` seconds for `name{...}[5m]`.
    Selector {
        matchers: Vec<Matcher>,
        range: Option<f64>,
    },
    Call {
        function: Function,
        arg: Box<Expr>,
    },
    Aggregate {
        op: AggregateOp,
        grouping: Grouping,
        arg: Box<Expr>,
    },
    /// A comparison with a number on one side; `number_on_left` for `1 < up`.
    Compare {
        op: CompareOp,
        returns_bool: bool,
        vector: Box<Expr>,
        number: Box<Expr>,
        number_on_left: bool,
    },
    /// `scalar op scalar bool`.
    CompareScalars {
        op: CompareOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

/// The type of an expression's result, as PromQL's type checker names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Scalar,
    Vector,
    Matrix,
}

impl ValueType {
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
        }
    }
}

impl Expr {
    pub fn value_type(&self) -> ValueType {
        match self {
            Expr::Number(_) | Expr::CompareScalars { .. } => ValueType::Scalar,
            Expr::Selector { range: Some(_), .. } => ValueType::Matrix,
            _ => ValueType::Vector,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Rate,
    Increase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl CompareOp {
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            CompareOp::Eq => lhs == rhs,
            CompareOp::Ne => lhs != rhs,
            CompareOp::Gt => lhs > rhs,
            CompareOp::Lt => lhs < rhs,
            CompareOp::Ge => lhs >= rhs,
            CompareOp::Le => lhs <= rhs,
        }
    }
}

/// A query the sim refuses: malformed (as Prometheus would say) or outside the supported subset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromqlError {
    #[error("{line}:{column}: parse error: {message}")]
    Parse { line: usize, column: usize, message: String },
    #[error("not supported by the simulated Prometheus: {0}")]
    Unsupported(String),
}
