//! The Tasks view's state: the latest snapshot of the current run (pulled by the app loop when the
//! engine signals a change), which suite it is, and what waits for confirmation.

use crate::report::tasks::symbol;
use crate::tasks::engine::{RunSnapshot, Status, TaskState};
use crate::tasks::suite::Phase;

/// Which built-in suite a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Validate,
    Provision,
}

impl RunKind {
    pub fn name(self) -> &'static str {
        match self {
            RunKind::Validate => "validate",
            RunKind::Provision => "provision",
        }
    }
}

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

#[derive(Debug, Clone, Default)]
pub struct TasksPane {
    pub kind: Option<RunKind>,
    pub phases: Vec<Phase>,
    pub snapshot: RunSnapshot,
    /// Advances on ticks while running (spinners).
    pub frame: usize,
    /// Counts changes of the run (started, a new snapshot), so the view's rows derive again.
    pub revision: u64,
    /// Why the last run could not start (suite or connection error).
    pub error: Option<String>,
}

impl TasksPane {
    pub fn running(&self) -> bool {
        self.kind.is_some() && !self.snapshot.finished && !self.snapshot.tasks.is_empty()
    }

    /// The tasks in display order: by phase (in the suite's order), then in dependency order.
    pub fn rows(&self) -> Vec<&TaskState> {
        let rank = |t: &TaskState| self.phases.iter().position(|p| p.id == t.phase).unwrap_or(usize::MAX);
        let mut rows: Vec<&TaskState> = self.snapshot.tasks.iter().collect();
        rows.sort_by_key(|t| rank(t));
        rows
    }

    pub fn phase_title(&self, id: &str) -> String {
        self.phases
            .iter()
            .find(|p| p.id == id)
            .map(|p| if p.title.is_empty() { p.id.clone() } else { p.title.clone() })
            .unwrap_or_else(|| id.to_string())
    }

    /// The symbol of a task: a spinner while it runs.
    pub fn symbol(&self, status: &Status) -> &'static str {
        match status {
            Status::Running => SPINNER[self.frame % SPINNER.len()],
            other => symbol(other),
        }
    }

    /// `3/24` done.
    pub fn progress(&self) -> (usize, usize) {
        (self.snapshot.done(), self.snapshot.tasks.len())
    }

    /// A short indicator for the tab while a run is going.
    pub fn indicator(&self) -> Option<String> {
        self.running().then(|| {
            let (done, total) = self.progress();
            format!("{} {done}/{total}", SPINNER[self.frame % SPINNER.len()])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_panes_have_no_indicator() {
        let pane = TasksPane::default();
        assert!(!pane.running());
        assert_eq!(pane.indicator(), None);
        assert_eq!(pane.progress(), (0, 0));
    }
}
