//! How far back the log view starts: the newest N lines (the default), or every line of a time window.

/// The backfill a log source starts with before following live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogWindow {
    /// The newest [`LAST_LINES`] lines of the last hour.
    #[default]
    LastLines,
    Minutes5,
    Minutes15,
    Hour1,
    Hours6,
    Hours24,
}

/// Lines the default window backfills.
pub const LAST_LINES: usize = 500;

impl LogWindow {
    const CYCLE: [LogWindow; 6] = [
        LogWindow::LastLines,
        LogWindow::Minutes5,
        LogWindow::Minutes15,
        LogWindow::Hour1,
        LogWindow::Hours6,
        LogWindow::Hours24,
    ];

    /// The window's length in seconds; `None` for the newest-lines backfill.
    pub fn seconds(self) -> Option<u64> {
        match self {
            LogWindow::LastLines => None,
            LogWindow::Minutes5 => Some(300),
            LogWindow::Minutes15 => Some(900),
            LogWindow::Hour1 => Some(3_600),
            LogWindow::Hours6 => Some(21_600),
            LogWindow::Hours24 => Some(86_400),
        }
    }

    /// `last 500 lines`, `last 15m`: as the view's title says it.
    pub fn label(self) -> String {
        match self {
            LogWindow::LastLines => format!("last {LAST_LINES} lines"),
            other => format!("last {}", other.short()),
        }
    }

    /// `5m`, `1h` — also Grafana's relative range (`now-5m`); the newest-lines window reads as `1h`.
    pub fn short(self) -> &'static str {
        match self {
            LogWindow::LastLines | LogWindow::Hour1 => "1h",
            LogWindow::Minutes5 => "5m",
            LogWindow::Minutes15 => "15m",
            LogWindow::Hours6 => "6h",
            LogWindow::Hours24 => "24h",
        }
    }

    /// The next window in the cycle (after 24h comes the newest-lines default again).
    pub fn next(self) -> LogWindow {
        let at = Self::CYCLE.iter().position(|w| *w == self).unwrap_or(0);
        Self::CYCLE[(at + 1) % Self::CYCLE.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cycle_and_name_themselves() {
        let mut w = LogWindow::default();
        let mut seen = vec![w.label()];
        for _ in 0..6 {
            w = w.next();
            seen.push(w.label());
        }
        assert_eq!(
            seen,
            ["last 500 lines", "last 5m", "last 15m", "last 1h", "last 6h", "last 24h", "last 500 lines"]
        );
        assert_eq!(LogWindow::Hours6.seconds(), Some(21_600));
        assert_eq!(LogWindow::LastLines.seconds(), None);
    }
}
