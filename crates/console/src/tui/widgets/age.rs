//! Ages the way `kubectl get` prints them (`45s`, `5m30s`, `3h`, `2d4h`, `400d`), so SREs read the
//! console and kubectl output with the same eye. Computed from `state.now`, never the clock.

use jiff::Timestamp;

/// The age of `then` at `now`; `-` when unknown. A timestamp slightly in the future (clock skew
/// between cluster and laptop) reads `0s`.
pub fn age(now: Timestamp, then: Option<Timestamp>) -> String {
    match then {
        Some(then) => human_duration(now.as_second().saturating_sub(then.as_second())),
        None => "-".to_string(),
    }
}

/// kubectl's human duration: two units while the smaller one still matters, one unit after.
pub fn human_duration(seconds: i64) -> String {
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_rest(minutes, "m", seconds % 60, "s");
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return with_rest(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if days < 8 {
        return with_rest(days, "d", hours % 24, "h");
    }
    if days < 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if years < 8 {
        return with_rest(years, "y", days % 365, "d");
    }
    format!("{years}y")
}

fn with_rest(big: i64, big_unit: &str, rest: i64, rest_unit: &str) -> String {
    if rest == 0 { format!("{big}{big_unit}") } else { format!("{big}{big_unit}{rest}{rest_unit}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_kubectl() {
        let cases = [
            (-5, "0s"),
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (330, "5m30s"),
            (600, "10m"),
            (179 * 60, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 25 * 60, "3h25m"),
            (30 * 3600, "30h"),
            (2 * 86400, "2d"),
            (2 * 86400 + 4 * 3600, "2d4h"),
            (400 * 86400, "400d"),
            (3 * 365 * 86400 + 10 * 86400, "3y10d"),
            (9 * 365 * 86400, "9y"),
        ];
        for (seconds, want) in cases {
            assert_eq!(human_duration(seconds), want, "{seconds}s");
        }
    }

    #[test]
    fn unknown_and_future() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        assert_eq!(age(now, None), "-");
        assert_eq!(age(now, Some(Timestamp::from_second(1_000_045).unwrap())), "0s");
        assert_eq!(age(now, Some(Timestamp::from_second(999_700).unwrap())), "5m");
    }
}
