//! Headless output of a task run: text for people, JSON for scripts, JUnit XML for CI.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::{Value, json};

use crate::tasks::engine::{RunSnapshot, SkipReason, Status, TaskState, human_duration};
use crate::tasks::suite::Phase;

/// The symbol of a status, also used by the TUI.
pub fn symbol(status: &Status) -> &'static str {
    match status {
        Status::Pending => "·",
        Status::Running => "…",
        Status::Passed => "✓",
        Status::Failed => "✗",
        Status::Skipped(_) => "○",
        Status::Cancelled => "⊘",
    }
}

fn duration_text(t: &TaskState) -> String {
    t.elapsed().map(human_duration).unwrap_or_default()
}

/// One finished task as a progress line: `✓ observability/loki-shipping  Promtail ships logs (1.2s): …`.
pub fn line(t: &TaskState) -> String {
    let message = if t.message.is_empty() { String::new() } else { format!(": {}", t.message) };
    format!("{} {} {}/{} ({}){message}", symbol(&t.status), t.status.name(), t.phase, t.id, duration_text(t))
}

/// The whole run: per phase each task, then the failures with their reasons, then the totals.
pub fn text(suite: &str, phases: &[Phase], run: &RunSnapshot) -> String {
    let mut out = Vec::new();
    for phase in phases {
        let tasks: Vec<&TaskState> = run.tasks.iter().filter(|t| t.phase == phase.id).collect();
        if tasks.is_empty() {
            continue;
        }
        out.push(if phase.title.is_empty() { phase.id.clone() } else { phase.title.clone() });
        for t in tasks {
            let message = if t.message.is_empty() { String::new() } else { format!(" — {}", t.message) };
            out.push(format!(
                "  {} {:<9} {} ({}){message}",
                symbol(&t.status),
                t.status.name(),
                t.name,
                duration_text(t)
            ));
        }
    }
    let failed: Vec<&TaskState> =
        run.tasks.iter().filter(|t| matches!(t.status, Status::Failed | Status::Cancelled)).collect();
    if !failed.is_empty() {
        out.push(String::new());
        out.push("Failures:".into());
        for t in failed {
            out.push(format!("  {} ({}/{}): {}", t.name, t.phase, t.id, t.message));
        }
    }
    let skipped: Vec<&TaskState> =
        run.tasks.iter().filter(|t| matches!(t.status, Status::Skipped(_))).collect();
    if !skipped.is_empty() {
        out.push(String::new());
        out.push("Skipped:".into());
        for t in skipped {
            out.push(format!("  {} ({}/{}): {}", t.name, t.phase, t.id, t.message));
        }
    }
    out.push(String::new());
    out.push(summary(suite, run));
    out.join("\n")
}

/// `validate: 20 passed, 1 failed, 3 skipped, 0 cancelled in 4.2s`.
pub fn summary(suite: &str, run: &RunSnapshot) -> String {
    let n = |f: fn(&Status) -> bool| run.count(f);
    format!(
        "{suite}: {} passed, {} failed, {} skipped, {} cancelled in {}",
        n(|s| *s == Status::Passed),
        n(|s| *s == Status::Failed),
        n(|s| matches!(s, Status::Skipped(_))),
        n(|s| *s == Status::Cancelled),
        run.duration.map(human_duration).unwrap_or_default()
    )
}

fn skip_kind(status: &Status) -> Option<&'static str> {
    match status {
        Status::Skipped(SkipReason::Dependency(_)) => Some("dependency"),
        Status::Skipped(SkipReason::NotConfigured(_)) => Some("not-configured"),
        _ => None,
    }
}

pub fn json(suite: &str, run: &RunSnapshot) -> Value {
    let tasks: Vec<Value> = run
        .tasks
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name, "phase": t.phase, "status": t.status.name(),
                "skip_reason": skip_kind(&t.status), "message": t.message, "needs": t.needs,
                "mutating": t.mutating, "attempts": t.attempts,
                "duration_ms": t.duration.map(|d| d.as_millis() as u64),
                "output": t.output, "dropped_output": t.dropped_output,
            })
        })
        .collect();
    json!({
        "suite": suite,
        "passed": run.all_passed(),
        "cancelled": run.cancelled,
        "duration_ms": run.duration.map(|d| d.as_millis() as u64),
        "tasks": tasks,
    })
}

/// One test suite per phase, one test case per task (classname = phase).
pub fn junit(suite: &str, phases: &[Phase], run: &RunSnapshot) -> String {
    let mut report = Report::new(format!("platdeck {suite}"));
    if let Some(d) = run.duration {
        report.set_time(d);
    }
    for phase in phases {
        let mut ts = TestSuite::new(phase.id.clone());
        for t in run.tasks.iter().filter(|t| t.phase == phase.id) {
            let status = match &t.status {
                Status::Passed => TestCaseStatus::success(),
                Status::Skipped(_) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(t.message.clone());
                    s
                }
                Status::Failed | Status::Cancelled | Status::Pending | Status::Running => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(t.message.clone()).set_type(t.status.name());
                    s
                }
            };
            let mut case = TestCase::new(t.id.clone(), status);
            case.set_classname(format!("{suite}.{}", phase.id));
            if let Some(d) = t.duration {
                case.set_time(d);
            }
            if !t.output.is_empty() {
                let out: Vec<&str> = t.output.iter().map(String::as_str).collect();
                case.set_system_out(out.join("\n"));
            }
            ts.add_test_case(case);
        }
        report.add_test_suite(ts);
    }
    report.to_string().unwrap_or_default()
}
