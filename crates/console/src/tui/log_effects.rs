//! The I/O behind the log view's effects, run by the app loop: saving the visible lines to a new file,
//! the OSC 52 clipboard sequence, opening a URL in the desktop's browser.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use serde_json::json;

use platdeck_core::platform::logfilter::LogFilter;
use platdeck_core::platform::logline::LogLine;
use platdeck_core::sanitize::clean;

/// The file's format, by its extension: `.json`/`.jsonl`/`.ndjson` are JSON lines, the rest plain text.
fn json_lines(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "jsonl" | "ndjson"))
}

fn time_of(ts_ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ts_ns)).map(|t| t.to_string()).unwrap_or_default()
}

/// One line as the file holds it, sanitised like the screen (no escape sequence reaches a later `cat`).
fn render_line(line: &LogLine, json: bool) -> String {
    if json {
        return json!({
            "time": time_of(line.ts_ns),
            "pod": clean(&line.pod),
            "level": clean(&line.level),
            "line": clean(&line.raw),
        })
        .to_string();
    }
    let mut out = time_of(line.ts_ns);
    for part in [&line.level, &line.pod] {
        if !part.is_empty() {
            let _ = write!(out, " {}", clean(part));
        }
    }
    let _ = write!(out, " {}", clean(&line.raw));
    out
}

/// Writes the lines passing `filter`, oldest first, to a file that must not exist yet; returns how many.
pub fn save_lines(path: &Path, lines: &[std::sync::Arc<LogLine>], filter: &str) -> Result<usize, String> {
    let filter = LogFilter::parse(filter).map_err(|e| format!("the filter does not parse: {e}"))?;
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} exists: not overwritten", path.display())
        } else {
            format!("cannot create {}: {e}", path.display())
        }
    })?;
    let json = json_lines(path);
    let mut out = std::io::BufWriter::new(file);
    let mut count = 0;
    for line in lines.iter().filter(|l| filter.matches(l)) {
        writeln!(out, "{}", render_line(line, json))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        count += 1;
    }
    out.flush().map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(count)
}

/// The OSC 52 sequence that puts `text` (sanitised first) on the clipboard.
pub fn osc52(text: &str) -> String {
    let payload = base64::engine::general_purpose::STANDARD.encode(clean(text).as_bytes());
    format!("\u{1b}]52;c;{payload}\u{7}")
}

/// The desktop's opener: `open` on macOS, `xdg-open` elsewhere.
pub fn opener() -> &'static str {
    if cfg!(target_os = "macos") { "open" } else { "xdg-open" }
}

/// Runs the opener on the URL, detached from the terminal; an error says what went wrong.
pub async fn open_url(url: &str) -> Result<(), String> {
    let status = tokio::process::Command::new(opener())
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .map_err(|e| format!("cannot run {}: {e}", opener()))?;
    if status.success() { Ok(()) } else { Err(format!("{} exited with {status}", opener())) }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use platdeck_core::platform::logline::parse;

    fn lines() -> Vec<Arc<LogLine>> {
        [
            r#"{"level":"info","msg":"ok"}"#,
            r#"{"level":"error","msg":"boom"}"#,
            "evil \u{1b}]0;title\u{7}\u{1b}[2Jline",
        ]
        .iter()
        .enumerate()
        .map(|(i, l)| Arc::new(parse(1_767_261_600_000_000_000 + i as i64, "api-1", l)))
        .collect()
    }

    #[test]
    fn saves_what_passes_the_filter_sanitised_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.log");
        assert_eq!(save_lines(&path, &lines(), "").unwrap(), 3);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
        assert!(text.lines().nth(1).unwrap().starts_with("2026-01-01T10:00:00.000000001Z error api-1 {"));
        let err = save_lines(&path, &lines(), "").unwrap_err();
        assert!(err.contains("exists"), "{err}");

        let json = dir.path().join("errors.jsonl");
        assert_eq!(save_lines(&json, &lines(), "level:error").unwrap(), 1);
        let v: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(&json).unwrap().trim()).unwrap();
        assert_eq!((v["level"].as_str(), v["pod"].as_str()), (Some("error"), Some("api-1")));
    }

    #[test]
    fn clipboard_payload_is_base64_of_the_clean_text() {
        let seq = osc52("https://g/explore?x=1\u{1b}]0;t\u{7}");
        let payload = seq.strip_prefix("\u{1b}]52;c;").and_then(|s| s.strip_suffix('\u{7}')).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD.decode(payload).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "https://g/explore?x=1");
    }
}
