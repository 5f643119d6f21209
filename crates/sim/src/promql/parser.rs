//! Recursive-descent parser of the supported PromQL subset, with PromQL's type checks
//! (a range vector only where a function takes one, scalar-only comparisons need `bool`).

use super::lexer::{Token, tokenize};
use super::{AggregateOp, CompareOp, Expr, Function, Grouping, MatchOp, Matcher, PromqlError, ValueType};

/// Aggregations PromQL has that the sim does not evaluate.
const OTHER_AGGREGATIONS: &[&str] =
    &["topk", "bottomk", "quantile", "count_values", "stddev", "stdvar", "group", "limitk", "limit_ratio"];

/// Functions PromQL has that the sim does not evaluate (an unknown name is a parse error instead).
const OTHER_FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "absent_over_time",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "count_over_time",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_quantile",
    "histogram_sum",
    "holt_winters",
    "hour",
    "idelta",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sort",
    "sort_by_label",
    "sort_by_label_desc",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "time",
    "timestamp",
    "vector",
    "year",
];

/// Parses a PromQL expression of the supported subset.
pub fn parse(text: &str) -> Result<Expr, PromqlError> {
    let tokens = tokenize(text).map_err(|(at, message)| position_error(text, at, message))?;
    let mut parser = Parser { text, tokens, pos: 0 };
    if parser.peek() == &Token::Eof {
        return Err(position_error(text, 0, "no expression found in input".into()));
    }
    let expr = parser.expr()?;
    if parser.peek() != &Token::Eof {
        return Err(parser.unexpected(""));
    }
    Ok(expr)
}

fn position_error(text: &str, at: usize, message: String) -> PromqlError {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    PromqlError::Parse { line, column, message }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(usize, Token)>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).map_or(&Token::Eof, |(_, t)| t)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        self.tokens.get(self.pos + ahead).map_or(&Token::Eof, |(_, t)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.text.len(), |(at, _)| *at)
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        self.pos += 1;
        token
    }

    fn error(&self, message: String) -> PromqlError {
        position_error(self.text, self.offset(), message)
    }

    fn unexpected(&self, context: &str) -> PromqlError {
        let what = match self.peek() {
            Token::Eof => "unexpected end of input".to_string(),
            Token::Duration(_) => {
                let rest = &self.text[self.offset()..];
                let word = &rest
                    [..rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '.').unwrap_or(rest.len())];
                format!("unexpected duration {word:?}")
            }
            other => format!("unexpected {}", other.describe()),
        };
        self.error(format!("{what}{context}"))
    }

    fn expect(&mut self, want: &Token, context: &str) -> Result<(), PromqlError> {
        if self.peek() == want {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(context))
        }
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Token::Ident(word) if word.eq_ignore_ascii_case(keyword))
    }

    /// comparison := operand (op [bool] operand)*
    fn expr(&mut self) -> Result<Expr, PromqlError> {
        let start = self.offset();
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Op("==") => CompareOp::Eq,
                Token::Op("!=") => CompareOp::Ne,
                Token::Op(">") => CompareOp::Gt,
                Token::Op("<") => CompareOp::Lt,
                Token::Op(">=") => CompareOp::Ge,
                Token::Op("<=") => CompareOp::Le,
                Token::Op(op @ ("+" | "-" | "*" | "/" | "%" | "^")) => {
                    return Err(PromqlError::Unsupported(format!("arithmetic operator {op:?}")));
                }
                Token::Ident(word)
                    if ["and", "or", "unless", "atan2"].contains(&word.to_ascii_lowercase().as_str()) =>
                {
                    return Err(PromqlError::Unsupported(format!("binary operator {word:?}")));
                }
                _ => return Ok(lhs),
            };
            let operator_at = self.offset();
            self.pos += 1;
            let returns_bool = self.peek_keyword("bool");
            if returns_bool {
                self.pos += 1;
            }
            if self.peek_keyword("on") || self.peek_keyword("ignoring") {
                return Err(PromqlError::Unsupported("vector matching (on/ignoring)".into()));
            }
            let rhs = self.unary()?;
            lhs = self.comparison(op, returns_bool, lhs, rhs, (start, operator_at))?;
        }
    }

    fn comparison(
        &self,
        op: CompareOp,
        returns_bool: bool,
        lhs: Expr,
        rhs: Expr,
        (start, operator_at): (usize, usize),
    ) -> Result<Expr, PromqlError> {
        use ValueType::{Matrix, Scalar, Vector};
        match (lhs.value_type(), rhs.value_type()) {
            (Matrix, _) | (_, Matrix) => Err(position_error(
                self.text,
                start,
                "binary expression must contain only scalar and instant vector types".into(),
            )),
            (Scalar, Scalar) if !returns_bool => Err(position_error(
                self.text,
                operator_at,
                "comparisons between scalars must use BOOL modifier".into(),
            )),
            (Scalar, Scalar) => Ok(Expr::CompareScalars { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }),
            (Vector, Vector) => {
                Err(PromqlError::Unsupported("comparison between two vectors (vector matching)".into()))
            }
            (Vector, Scalar) => Ok(Expr::Compare {
                op,
                returns_bool,
                vector: Box::new(lhs),
                number: Box::new(rhs),
                number_on_left: false,
            }),
            (Scalar, Vector) => Ok(Expr::Compare {
                op,
                returns_bool,
                vector: Box::new(rhs),
                number: Box::new(lhs),
                number_on_left: true,
            }),
        }
    }

    /// unary := ('-' | '+') unary | postfix
    fn unary(&mut self) -> Result<Expr, PromqlError> {
        match self.peek() {
            Token::Op("-") => {
                self.pos += 1;
                match self.unary()? {
                    Expr::Number(n) => Ok(Expr::Number(-n)),
                    _ => Err(PromqlError::Unsupported("unary minus on a vector".into())),
                }
            }
            Token::Op("+") => {
                self.pos += 1;
                self.unary()
            }
            _ => self.postfix(),
        }
    }

    /// postfix := primary ['[' duration ']'] — a range only after a plain selector; no modifiers.
    fn postfix(&mut self) -> Result<Expr, PromqlError> {
        let parenthesized = self.peek() == &Token::LParen;
        let expr = self.primary()?;
        let expr = if self.peek() == &Token::LBracket {
            let (Expr::Selector { matchers, range: None }, false) = (expr, parenthesized) else {
                if matches!(self.peek_at(2), Token::Colon) || matches!(self.peek_at(1), Token::Colon) {
                    return Err(PromqlError::Unsupported("subquery".into()));
                }
                return Err(self.error("ranges only allowed for vector selectors".into()));
            };
            self.pos += 1;
            let range = match self.next() {
                Token::Duration(seconds) if seconds > 0.0 => seconds,
                Token::Duration(_) => return Err(self.error("range must be positive".into())),
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected(" in range, expected a duration"));
                }
            };
            if self.peek() == &Token::Colon {
                return Err(PromqlError::Unsupported("subquery".into()));
            }
            self.expect(&Token::RBracket, " in range, expected \"]\"")?;
            Expr::Selector { matchers, range: Some(range) }
        } else {
            expr
        };
        if self.peek_keyword("offset") {
            return Err(PromqlError::Unsupported("offset modifier".into()));
        }
        if self.peek() == &Token::At {
            return Err(PromqlError::Unsupported("@ modifier".into()));
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, PromqlError> {
        match self.peek().clone() {
            Token::Number(n) => {
                self.pos += 1;
                Ok(Expr::Number(n))
            }
            Token::Str(_) => Err(PromqlError::Unsupported("string literal".into())),
            Token::LParen => {
                self.pos += 1;
                let inner = self.expr()?;
                self.expect(&Token::RParen, " in paren expression")?;
                Ok(inner)
            }
            Token::LBrace => self.selector(None),
            Token::Ident(word) => self.identifier(&word),
            _ => Err(self.unexpected("")),
        }
    }

    fn identifier(&mut self, word: &str) -> Result<Expr, PromqlError> {
        let start = self.offset();
        let lower = word.to_ascii_lowercase();
        let opens_call = matches!(self.peek_at(1), Token::LParen);
        let grouping_follows = matches!(self.peek_at(1), Token::Ident(w)
            if w.eq_ignore_ascii_case("by") || w.eq_ignore_ascii_case("without"));
        let aggregate = match lower.as_str() {
            "sum" => Some(AggregateOp::Sum),
            "count" => Some(AggregateOp::Count),
            "avg" => Some(AggregateOp::Avg),
            "max" => Some(AggregateOp::Max),
            "min" => Some(AggregateOp::Min),
            _ => None,
        };
        if opens_call || grouping_follows {
            if let Some(op) = aggregate {
                self.pos += 1;
                return self.aggregate(op, &lower, start);
            }
            if OTHER_AGGREGATIONS.contains(&lower.as_str()) {
                return Err(PromqlError::Unsupported(format!("aggregation {lower:?}")));
            }
        }
        if opens_call {
            let function = match word {
                "rate" => Function::Rate,
                "increase" => Function::Increase,
                other if OTHER_FUNCTIONS.contains(&other) => {
                    return Err(PromqlError::Unsupported(format!("function {other:?}")));
                }
                other => return Err(self.error(format!("unknown function with name {other:?}"))),
            };
            self.pos += 1;
            return self.call(function, word, start);
        }
        self.pos += 1;
        self.selector(Some(word.to_string()))
    }

    /// A call of `name`, which starts at byte `start`; the cursor is after the name.
    fn call(&mut self, function: Function, name: &str, start: usize) -> Result<Expr, PromqlError> {
        let wrong_count = |got: usize| {
            position_error(self.text, start, format!("expected 1 argument(s) in call to {name:?}, got {got}"))
        };
        self.expect(&Token::LParen, "")?;
        if self.peek() == &Token::RParen {
            return Err(wrong_count(0));
        }
        let at = self.offset();
        let arg = self.expr()?;
        if self.peek() == &Token::Comma {
            return Err(wrong_count(2));
        }
        self.expect(&Token::RParen, &format!(" in call to {name:?}"))?;
        if arg.value_type() != ValueType::Matrix {
            return Err(position_error(
                self.text,
                at,
                format!(
                    "expected type range vector in call to function {name:?}, got {}",
                    arg.value_type().describe()
                ),
            ));
        }
        Ok(Expr::Call { function, arg: Box::new(arg) })
    }

    /// An aggregation, which starts at byte `start`; the cursor is after its operator.
    fn aggregate(&mut self, op: AggregateOp, name: &str, start: usize) -> Result<Expr, PromqlError> {
        let mut grouping = self.grouping()?;
        self.expect(&Token::LParen, &format!(" in aggregation {name:?}"))?;
        let at = self.offset();
        if self.peek() == &Token::RParen {
            return Err(position_error(
                self.text,
                start,
                "no arguments for aggregate expression provided".into(),
            ));
        }
        let arg = self.expr()?;
        if self.peek() == &Token::Comma {
            return Err(position_error(
                self.text,
                start,
                "wrong number of arguments for aggregate expression provided, expected 1, got 2".into(),
            ));
        }
        self.expect(&Token::RParen, " in aggregation")?;
        let trailing = self.grouping()?;
        match (&grouping, trailing) {
            (_, Grouping::All) => {}
            (Grouping::All, trailing) => grouping = trailing,
            _ => return Err(self.error("aggregation has two grouping clauses".into())),
        }
        if arg.value_type() != ValueType::Vector {
            return Err(position_error(
                self.text,
                at,
                format!(
                    "expected type instant vector in aggregation expression, got {}",
                    arg.value_type().describe()
                ),
            ));
        }
        Ok(Expr::Aggregate { op, grouping, arg: Box::new(arg) })
    }

    /// `by (a, b)` or `without (a)`, or nothing.
    fn grouping(&mut self) -> Result<Grouping, PromqlError> {
        let by = self.peek_keyword("by");
        if !by && !self.peek_keyword("without") {
            return Ok(Grouping::All);
        }
        self.pos += 1;
        self.expect(&Token::LParen, " in grouping opts")?;
        let mut labels = Vec::new();
        loop {
            match self.next() {
                Token::RParen => break,
                Token::Ident(label) => labels.push(label),
                Token::Str(label) => labels.push(label),
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected(" in grouping opts, expected label"));
                }
            }
            match self.next() {
                Token::Comma => {}
                Token::RParen => break,
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected(" in grouping opts, expected \",\" or \")\""));
                }
            }
        }
        Ok(if by { Grouping::By(labels) } else { Grouping::Without(labels) })
    }

    /// `name`, `name{...}` or `{...}`; the cursor is after the name (if any).
    fn selector(&mut self, name: Option<String>) -> Result<Expr, PromqlError> {
        let start = self.offset();
        let mut matchers = Vec::new();
        if let Some(name) = &name {
            let name_matcher = Matcher::new(super::METRIC_NAME.into(), MatchOp::Equal, name.clone());
            matchers.push(name_matcher.map_err(|m| self.error(m))?);
        }
        if self.peek() == &Token::LBrace {
            self.pos += 1;
            loop {
                let label_at = self.offset();
                let label = match self.next() {
                    Token::RBrace => break,
                    Token::Ident(label) | Token::Str(label) => label,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected(" in label matching, expected label"));
                    }
                };
                let op = match self.next() {
                    Token::Op("=") => MatchOp::Equal,
                    Token::Op("!=") => MatchOp::NotEqual,
                    Token::Op("=~") => MatchOp::Regex,
                    Token::Op("!~") => MatchOp::NotRegex,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected(
                            " in label matching, expected one of \"=\", \"!=\", \"=~\", \"!~\"",
                        ));
                    }
                };
                let Token::Str(value) = self.next() else {
                    self.pos -= 1;
                    return Err(self.unexpected(" in label matching, expected string"));
                };
                let matcher = Matcher::new(label, op, value.clone())
                    .map_err(|_| position_error(self.text, label_at, regex_error(&value)))?;
                matchers.push(matcher);
                match self.next() {
                    Token::Comma => {}
                    Token::RBrace => break,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected(" in label matching, expected \",\" or \"}\""));
                    }
                }
            }
        }
        if name.is_some() && matchers.iter().filter(|m| m.name == super::METRIC_NAME).count() > 1 {
            return Err(position_error(self.text, start, "metric name must not be set twice".into()));
        }
        if matchers.iter().all(|m| m.matches_value("")) {
            return Err(position_error(
                self.text,
                start,
                "vector selector must contain at least one non-empty matcher".into(),
            ));
        }
        Ok(Expr::Selector { matchers, range: None })
    }
}

/// Why `value` is not a regex, in the words Prometheus uses.
fn regex_error(value: &str) -> String {
    let reason = match regex::Regex::new(&format!("^(?:{value})$")) {
        Err(err) => err.to_string().lines().last().unwrap_or("").trim_start_matches("error: ").to_string(),
        Ok(_) => "invalid".to_string(),
    };
    format!("error parsing regexp: {reason}: `^(?:{value})$`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(name: &str) -> Expr {
        Expr::Selector {
            matchers: vec![Matcher::new("__name__".into(), MatchOp::Equal, name.into()).unwrap()],
            range: None,
        }
    }

    #[test]
    fn plain_selector_and_matchers() {
        assert_eq!(parse("up").unwrap(), selector("up"));
        let Expr::Selector { matchers, range } =
            parse(r#"http_requests_total{job="api", status!="200", path=~"/o.*", method!~"P.*",}"#).unwrap()
        else {
            panic!("not a selector");
        };
        assert_eq!(range, None);
        let ops: Vec<MatchOp> = matchers.iter().map(|m| m.op).collect();
        assert_eq!(
            ops,
            [MatchOp::Equal, MatchOp::Equal, MatchOp::NotEqual, MatchOp::Regex, MatchOp::NotRegex]
        );
        assert!(matchers[3].matches_value("/orders") && !matchers[3].matches_value("x/orders"), "anchored");
        assert!(parse(r#"{job="api"}"#).is_ok());
    }

    #[test]
    fn aggregations_with_grouping_either_side() {
        let expected = Expr::Aggregate {
            op: AggregateOp::Sum,
            grouping: Grouping::By(vec!["service".into()]),
            arg: Box::new(selector("up")),
        };
        assert_eq!(parse("sum by (service) (up)").unwrap(), expected);
        assert_eq!(parse("sum(up) by (service)").unwrap(), expected);
        assert_eq!(parse("SUM BY (service) (up)").unwrap(), expected);
        let Expr::Aggregate { op, grouping, .. } = parse("avg without (instance, job) (up)").unwrap() else {
            panic!()
        };
        assert_eq!(
            (op, grouping),
            (AggregateOp::Avg, Grouping::Without(vec!["instance".into(), "job".into()]))
        );
        assert!(matches!(parse("count(up)").unwrap(), Expr::Aggregate { grouping: Grouping::All, .. }));
    }

    #[test]
    fn rate_comparisons_and_numbers() {
        let Expr::Call { function, arg } = parse("rate(http_requests_total[5m])").unwrap() else { panic!() };
        assert_eq!(function, Function::Rate);
        assert!(matches!(*arg, Expr::Selector { range: Some(r), .. } if r == 300.0));
        let Expr::Compare { op, returns_bool, number, number_on_left, .. } =
            parse("sum(rate(x[1m])) > 0").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (op, returns_bool, *number, number_on_left),
            (CompareOp::Gt, false, Expr::Number(0.0), false)
        );
        assert!(matches!(
            parse("1 <= bool up").unwrap(),
            Expr::Compare { number_on_left: true, returns_bool: true, .. }
        ));
        assert_eq!(parse("-2.5").unwrap(), Expr::Number(-2.5));
        assert!(matches!(parse("1 == bool 1").unwrap(), Expr::CompareScalars { .. }));
        assert!(matches!(parse("(up == 1)").unwrap(), Expr::Compare { .. }));
        assert!(matches!(parse("x[30s]").unwrap(), Expr::Selector { range: Some(r), .. } if r == 30.0));
    }

    fn parse_error(text: &str) -> String {
        match parse(text) {
            Err(err @ PromqlError::Parse { .. }) => err.to_string(),
            other => panic!("{text}: expected a parse error, got {other:?}"),
        }
    }

    fn unsupported(text: &str) -> String {
        match parse(text) {
            Err(PromqlError::Unsupported(what)) => what,
            other => panic!("{text}: expected unsupported, got {other:?}"),
        }
    }

    #[test]
    fn malformed_queries_are_parse_errors_with_a_position() {
        // The messages and positions are Prometheus' own (checked against the real server).
        assert_eq!(parse_error("sum(up"), "1:7: parse error: unclosed left parenthesis");
        assert_eq!(parse_error("up{"), "1:4: parse error: unexpected end of input inside braces");
        assert_eq!(parse_error("up)"), "1:3: parse error: unexpected right parenthesis ')'");
        assert_eq!(
            parse_error("1 > 2"),
            "1:3: parse error: comparisons between scalars must use BOOL modifier"
        );
        assert_eq!(
            parse_error("x[5m] > 1"),
            "1:1: parse error: binary expression must contain only scalar and instant vector types"
        );
        assert_eq!(parse_error("(up)[5m]"), "1:5: parse error: ranges only allowed for vector selectors");
        assert_eq!(parse_error("5m"), "1:1: parse error: unexpected duration \"5m\"");
        assert_eq!(
            parse_error("sum(up,up)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2"
        );
        assert_eq!(
            parse_error("rate()"),
            "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 0"
        );
        assert_eq!(
            parse_error(r#"up{job=~"("}"#),
            "1:4: parse error: error parsing regexp: unclosed group: `^(?:()$`"
        );
        assert!(parse_error("up{job=}").contains("expected string"));
        assert!(parse_error("").contains("no expression"));
        assert!(parse_error("rate(up)").contains("expected type range vector in call to function \"rate\""));
        assert!(parse_error("sum(x[5m])").contains("expected type instant vector in aggregation"));
        assert!(parse_error("1 > 2").contains("BOOL modifier"));
        assert!(parse_error(r#"{job=~".*"}"#).contains("non-empty matcher"));
        assert!(parse_error("nosuchfn(up)").contains("unknown function with name \"nosuchfn\""));
        assert!(parse_error("up up").contains("unexpected identifier"));
        assert!(parse_error(r#"up{job=~"("}"#).contains("error parsing regexp: "));
        assert!(
            parse_error("x[5m] > 1")
                .contains("binary expression must contain only scalar and instant vector")
        );
        assert!(parse_error("up{a=\"b\"\n  ,,}").starts_with("2:4: parse error"));
    }

    #[test]
    fn valid_promql_outside_the_subset_names_the_construct() {
        assert_eq!(unsupported("histogram_quantile(0.9, x)"), "function \"histogram_quantile\"");
        assert_eq!(unsupported("topk(3, up)"), "aggregation \"topk\"");
        assert_eq!(unsupported("up + 1"), "arithmetic operator \"+\"");
        assert_eq!(unsupported("up and up"), "binary operator \"and\"");
        assert_eq!(unsupported("up > on(job) up"), "vector matching (on/ignoring)");
        assert_eq!(unsupported("up == up"), "comparison between two vectors (vector matching)");
        assert_eq!(unsupported("up offset 5m"), "offset modifier");
        assert_eq!(unsupported("up @ 100"), "@ modifier");
        assert_eq!(unsupported("rate(x[5m])[10m:1m]"), "subquery");
        assert_eq!(unsupported("x[10m:1m]"), "subquery");
        assert_eq!(unsupported("\"text\""), "string literal");
        assert_eq!(unsupported("-up"), "unary minus on a vector");
    }
}
