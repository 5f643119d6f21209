//! An error with its causes, as one line: `failed to list: client error (Connect): tcp connect error:
//! Connection refused (os error 111)`. Client libraries put the part that explains a failure (refused,
//! timed out, certificate) in the source chain, which `to_string()` alone drops.

/// The error and each of its sources, joined with `: `; a cause whose text the line already holds is
/// left out.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(next) = cause {
        let text = next.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = next.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapped(&'static str, Option<Box<Wrapped>>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn causes_follow_and_repeats_are_left_out() {
        let refused = Wrapped("Connection refused (os error 111)", None);
        let connect = Wrapped("tcp connect error", Some(Box::new(refused)));
        let top = Wrapped("failed to list: tcp connect error", Some(Box::new(connect)));
        assert_eq!(error_chain(&top), "failed to list: tcp connect error: Connection refused (os error 111)");
    }
}
