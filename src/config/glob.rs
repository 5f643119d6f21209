//! `*` glob matching for `cluster.readonly_contexts` (`prod-*`, `*-production`, `arn:*:prod`).
//! Only `*` is special; everything else matches itself.

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it currently absorbs up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
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

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn matches_literals_and_stars() {
        assert!(glob_match("prod", "prod"));
        assert!(!glob_match("prod", "prod-1"));
        assert!(glob_match("prod-*", "prod-eu"));
        assert!(glob_match("prod-*", "prod-"));
        assert!(!glob_match("prod-*", "staging-eu"));
        assert!(glob_match("*-prod", "eu-prod"));
        assert!(glob_match("*prod*", "my-production-cluster"));
        assert!(glob_match("arn:aws:eks:*:*:cluster/prod-*", "arn:aws:eks:us-east-1:1234:cluster/prod-a"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(!glob_match("", "x"));
        assert!(glob_match("", ""));
    }

    #[test]
    fn other_glob_characters_are_literal() {
        assert!(!glob_match("prod-?", "prod-1"));
        assert!(glob_match("prod-?", "prod-?"));
    }
}
