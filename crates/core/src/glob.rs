//! The one glob matcher: `cluster.readonly_contexts` (`prod-*`, `arn:*:prod`) and Kyverno's wildcards
//! (`nginx:*`, `a?c`) differ only in whether `?` is special.

/// Which characters are wildcards; everything else matches itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wildcards {
    /// Only `*` (any run of characters, also none); `?` is literal.
    Star,
    /// `*` and `?` (exactly one character), as Kyverno matches names, kinds and values.
    StarAndQuestion,
}

/// Whether `text` matches `pattern`. Linear in the common case: on a mismatch only the last `*` is
/// widened, never every earlier one.
pub fn glob_match(pattern: &str, text: &str, wildcards: Wildcards) -> bool {
    let question = wildcards == Wildcards::StarAndQuestion;
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it currently absorbs up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        let literal_or_one =
            pattern.get(p).is_some_and(|&c| c != '*' && ((question && c == '?') || c == text[t]));
        if literal_or_one {
            p += 1;
            t += 1;
        } else if pattern.get(p) == Some(&'*') {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star, absorbed)) = backtrack {
            // Let the last `*` swallow one more character and retry from there.
            p = star + 1;
            t = absorbed + 1;
            backtrack = Some((star, absorbed + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether `pattern` has a wildcard of `wildcards` at all (else it is compared for equality).
pub fn has_wildcard(pattern: &str, wildcards: Wildcards) -> bool {
    match wildcards {
        Wildcards::Star => pattern.contains('*'),
        Wildcards::StarAndQuestion => pattern.contains(['*', '?']),
    }
}

#[cfg(test)]
mod tests {
    use super::{Wildcards, glob_match};

    fn star(p: &str, t: &str) -> bool {
        glob_match(p, t, Wildcards::Star)
    }

    fn kyverno(p: &str, t: &str) -> bool {
        glob_match(p, t, Wildcards::StarAndQuestion)
    }

    #[test]
    fn stars_match_any_run() {
        assert!(star("prod", "prod"));
        assert!(!star("prod", "prod-1"));
        assert!(star("prod-*", "prod-eu"));
        assert!(star("prod-*", "prod-"));
        assert!(!star("prod-*", "staging-eu"));
        assert!(star("*-prod", "eu-prod"));
        assert!(star("*prod*", "my-production-cluster"));
        assert!(star("arn:aws:eks:*:*:cluster/prod-*", "arn:aws:eks:us-east-1:1234:cluster/prod-a"));
        assert!(star("*", ""));
        assert!(star("**", "anything"));
        assert!(star("a*b*c", "aXbYbZc"));
        assert!(!star("a*b*c", "aXbYbZ"));
        assert!(!star("", "x"));
        assert!(star("", ""));
    }

    #[test]
    fn question_mark_is_literal_for_contexts_and_one_character_for_kyverno() {
        assert!(!star("prod-?", "prod-1"));
        assert!(star("prod-?", "prod-?"));
        assert!(kyverno("prod-?", "prod-1"));
        assert!(kyverno("?*", "x"));
        assert!(!kyverno("?*", ""));
        assert!(kyverno("a?c", "abc"));
        assert!(!kyverno("a?c", "ac"));
        assert!(kyverno("ü?", "üß"));
        assert!(kyverno("nginx:*", "nginx:1.25"));
        assert!(!kyverno("nginx:*", "redis:7"));
        assert!(kyverno("*.example.*", "api.example.com"));
    }

    #[test]
    fn many_stars_do_not_explode() {
        let text = "a".repeat(2_000);
        assert!(!star(&format!("{}b", "*a".repeat(50)), &text));
    }
}
