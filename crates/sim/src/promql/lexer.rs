//! PromQL tokens, with the byte offset each starts at (for `line:column` in errors).

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Ident(String),
    Number(f64),
    Str(String),
    /// A duration inside `[...]`, in seconds.
    Duration(f64),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    At,
    /// `=`, `!=`, `=~`, `!~`, `==`, `>`, `<`, `>=`, `<=`, `+`, `-`, `*`, `/`, `%`, `^`.
    Op(&'static str),
    Eof,
}

impl Token {
    pub fn describe(&self) -> String {
        match self {
            Token::Ident(name) => format!("identifier {name:?}"),
            Token::Number(n) => format!("number {n}"),
            Token::Str(s) => format!("string {s:?}"),
            Token::Duration(_) => "duration".to_string(),
            Token::LParen => "\"(\"".into(),
            Token::RParen => "\")\"".into(),
            Token::LBrace => "\"{\"".into(),
            Token::RBrace => "\"}\"".into(),
            Token::LBracket => "\"[\"".into(),
            Token::RBracket => "\"]\"".into(),
            Token::Comma => "\",\"".into(),
            Token::Colon => "\":\"".into(),
            Token::At => "\"@\"".into(),
            Token::Op(op) => format!("{op:?}"),
            Token::Eof => "end of input".into(),
        }
    }
}

/// Splits `text` into tokens; an error carries the byte offset and a message.
pub fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, (usize, String)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut in_brackets = false;
    let mut open_parens: Vec<usize> = Vec::new();
    let mut open_brace = false;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' {
            // A comment runs to the end of the line.
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if in_brackets && c.is_ascii_digit() {
            let end = scan_while(bytes, i, |b| b.is_ascii_alphanumeric() || b == b'.');
            let word = &text[i..end];
            let seconds = parse_duration(word).ok_or((i, format!("bad duration {word:?}")))?;
            tokens.push((start, Token::Duration(seconds)));
            i = end;
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let end = scan_number(bytes, i);
            let word = &text[i..end];
            let token = match (parse_number(word), parse_duration(word)) {
                (Some(number), _) => Token::Number(number),
                (None, Some(seconds)) => Token::Duration(seconds),
                (None, None) => return Err((i, format!("bad number or duration syntax: {word:?}"))),
            };
            tokens.push((start, token));
            i = end;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c == b':' && !in_brackets {
            let end = scan_while(bytes, i, |b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
            let word = &text[i..end];
            let token = match word.to_ascii_lowercase().as_str() {
                "inf" => Token::Number(f64::INFINITY),
                "nan" => Token::Number(f64::NAN),
                _ => Token::Ident(word.to_string()),
            };
            tokens.push((start, token));
            i = end;
            continue;
        }
        if c == b'"' || c == b'\'' || c == b'`' {
            let (value, end) = scan_string(text, i)?;
            tokens.push((start, Token::Str(value)));
            i = end;
            continue;
        }
        let two = text.get(i..i + 2).unwrap_or("");
        let (token, len) = match two {
            "!=" => (Token::Op("!="), 2),
            "=~" => (Token::Op("=~"), 2),
            "!~" => (Token::Op("!~"), 2),
            "==" => (Token::Op("=="), 2),
            ">=" => (Token::Op(">="), 2),
            "<=" => (Token::Op("<="), 2),
            _ => match c {
                b'(' => {
                    open_parens.push(i);
                    (Token::LParen, 1)
                }
                b')' => {
                    if open_parens.pop().is_none() {
                        return Err((i, "unexpected right parenthesis ')'".into()));
                    }
                    (Token::RParen, 1)
                }
                b'{' => {
                    open_brace = true;
                    (Token::LBrace, 1)
                }
                b'}' => {
                    open_brace = false;
                    (Token::RBrace, 1)
                }
                b'[' => {
                    in_brackets = true;
                    (Token::LBracket, 1)
                }
                b']' => {
                    in_brackets = false;
                    (Token::RBracket, 1)
                }
                b',' => (Token::Comma, 1),
                b':' => (Token::Colon, 1),
                b'@' => (Token::At, 1),
                b'=' => (Token::Op("="), 1),
                b'>' => (Token::Op(">"), 1),
                b'<' => (Token::Op("<"), 1),
                b'+' => (Token::Op("+"), 1),
                b'-' => (Token::Op("-"), 1),
                b'*' => (Token::Op("*"), 1),
                b'/' => (Token::Op("/"), 1),
                b'%' => (Token::Op("%"), 1),
                b'^' => (Token::Op("^"), 1),
                _ => {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    return Err((i, format!("unexpected character: {ch:?}")));
                }
            },
        };
        tokens.push((start, token));
        i += len;
    }
    if open_brace {
        return Err((text.len(), "unexpected end of input inside braces".into()));
    }
    if !open_parens.is_empty() {
        return Err((text.len(), "unclosed left parenthesis".into()));
    }
    tokens.push((text.len(), Token::Eof));
    Ok(tokens)
}

fn scan_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

fn scan_number(bytes: &[u8], i: usize) -> usize {
    if bytes[i..].starts_with(b"0x") || bytes[i..].starts_with(b"0X") {
        return scan_while(bytes, i + 2, |b| b.is_ascii_hexdigit());
    }
    let mut end = scan_while(bytes, i, |b| b.is_ascii_digit() || b == b'.');
    if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
        let mut exp = end + 1;
        if exp < bytes.len() && (bytes[exp] == b'+' || bytes[exp] == b'-') {
            exp += 1;
        }
        if exp < bytes.len() && bytes[exp].is_ascii_digit() {
            end = scan_while(bytes, exp, |b| b.is_ascii_digit());
        }
    }
    // Letters glued to a number (`5m` outside brackets) make it malformed.
    scan_while(bytes, end, |b| b.is_ascii_alphanumeric() || b == b'_')
}

fn parse_number(word: &str) -> Option<f64> {
    if let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    word.parse().ok()
}

/// A Prometheus duration (`5m`, `1h30m`, `250ms`, or plain seconds) in seconds (LogQL's durations are
/// the same).
pub fn parse_duration(word: &str) -> Option<f64> {
    crate::logql::parse_duration_ns(word).map(|ns| ns as f64 / 1e9)
}

/// A quoted string starting at `start`; returns its unescaped value and the offset after it.
fn scan_string(text: &str, start: usize) -> Result<(String, usize), (usize, String)> {
    let quote = text[start..].chars().next().unwrap_or('"');
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        let at = start + 1 + offset;
        match c {
            c if c == quote => return Ok((value, at + 1)),
            '\\' if quote != '`' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, other)) => value.push(other),
                None => break,
            },
            '\n' if quote != '`' => return Err((at, "unterminated quoted string".into())),
            c => value.push(c),
        }
    }
    Err((start, "unterminated quoted string".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Token> {
        tokenize(text).unwrap().into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn selectors_ranges_and_comparisons() {
        assert_eq!(
            kinds(r#"rate(x{a=~"b.*"}[5m]) >= 0.5"#),
            vec![
                Token::Ident("rate".into()),
                Token::LParen,
                Token::Ident("x".into()),
                Token::LBrace,
                Token::Ident("a".into()),
                Token::Op("=~"),
                Token::Str("b.*".into()),
                Token::RBrace,
                Token::LBracket,
                Token::Duration(300.0),
                Token::RBracket,
                Token::RParen,
                Token::Op(">="),
                Token::Number(0.5),
                Token::Eof,
            ]
        );
    }

    #[test]
    fn durations_numbers_and_strings() {
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("250ms"), Some(0.25));
        assert_eq!(parse_duration("90"), Some(90.0));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(
            kinds("0x1F 1e3 .5"),
            vec![Token::Number(31.0), Token::Number(1000.0), Token::Number(0.5), Token::Eof]
        );
        assert_eq!(
            kinds(r#"'a\'b' `c\d`"#),
            vec![Token::Str("a'b".into()), Token::Str(r"c\d".into()), Token::Eof]
        );
        assert!(tokenize("\"open").is_err());
        assert_eq!(kinds("5m"), vec![Token::Duration(300.0), Token::Eof], "the parser decides where it fits");
        assert!(tokenize("5mx").is_err());
        assert!(tokenize("up $").is_err());
    }
}
