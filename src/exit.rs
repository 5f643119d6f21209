//! How a headless command ends: an exit code, and for a failure one readable line on stderr.
//!
//! A user mistake (an unknown service, a bad `--phase`, a missing `--yes`) is not a crash: it never shows a
//! backtrace, whatever `RUST_BACKTRACE` says, and carries no colour or escape sequence.

use std::process::ExitCode;

use color_eyre::eyre::Report;
use platdeck_core::sanitize::clean;

/// A failure that ends the process with its own exit code (each command documents its codes).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExitWith {
    pub code: u8,
    pub message: String,
}

/// The exit code of a failed command: its own where it set one, else 1.
pub fn code_of(err: &Report) -> u8 {
    err.chain().find_map(|cause| cause.downcast_ref::<ExitWith>()).map_or(1, |exit| exit.code)
}

/// The failure as one line: every cause, outermost first, joined by `: `, sanitised (cluster text may be
/// part of it) and with line breaks folded.
pub fn one_line(err: &Report) -> String {
    let causes: Vec<String> = err.chain().map(|cause| cause.to_string()).collect();
    let mut joined = String::new();
    for cause in causes {
        // A wrapper that repeats its source (`{0}`-style errors) adds nothing.
        if joined.ends_with(&cause) {
            continue;
        }
        if !joined.is_empty() {
            joined.push_str(": ");
        }
        joined.push_str(&cause);
    }
    let folded: Vec<&str> = joined.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    clean(&folded.join(" · ")).into_owned()
}

/// Prints the failure and gives the process's exit code.
pub fn report(err: &Report) -> ExitCode {
    eprintln!("platdeck: {}", one_line(err));
    ExitCode::from(code_of(err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use color_eyre::eyre::{WrapErr, eyre};

    #[test]
    fn chains_fold_into_one_line() {
        let err =
            Err::<(), _>(eyre!("connection refused\n(os error 111)")).wrap_err("cannot reach the cluster");
        let line = one_line(&err.unwrap_err());
        assert_eq!(line, "cannot reach the cluster: connection refused · (os error 111)");
    }

    #[test]
    fn exit_codes_travel_through_context() {
        let err = Report::new(ExitWith { code: 2, message: "cluster unreachable".into() }).wrap_err("status");
        assert_eq!(code_of(&err), 2);
        assert_eq!(code_of(&eyre!("plain")), 1);
    }

    #[test]
    fn escape_sequences_never_reach_stderr() {
        let line = one_line(&eyre!("no service named `\u{1b}]0;owned\u{7}x`"));
        assert!(!line.contains('\u{1b}') && !line.contains('\u{7}'), "{line:?}");
    }
}
