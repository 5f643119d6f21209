//! `update` for the Tasks view and task runs: pure, like the rest of `update`; running, cancelling
//! and planning are effects the app loop carries out.

use super::action::{Action, Effect};
use super::keymap::Command;
use super::state::{Mode, Notice, State, View};
use super::tasks::RunKind;
use crate::report::tasks::summary;

fn notice(state: &mut State, text: impl Into<String>, error: bool) {
    state.notice = Some(Notice { text: text.into(), error });
}

/// The task keys; `None` for every other command. `rerun_failed` belongs to the Tasks view's key
/// context, so its key (`R`) is Argo CD refresh elsewhere.
pub fn on_command(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    let effects = match command {
        Command::Tasks => {
            super::update::switch(state, View::Tasks);
            Vec::new()
        }
        Command::Validate => start(state, RunKind::Validate, false),
        Command::Provision => start(state, RunKind::Provision, false),
        Command::CancelTasks => {
            if state.tasks.running() {
                notice(state, "cancelling the task run…", false);
                vec![Effect::CancelTasks]
            } else {
                notice(state, "no task run in progress", true);
                Vec::new()
            }
        }
        Command::RerunFailed => match state.tasks.kind {
            None => {
                notice(state, "nothing to re-run yet (v validates)", true);
                Vec::new()
            }
            Some(_) if !state.tasks.snapshot.any_to_rerun() => {
                notice(state, "nothing failed: nothing to re-run", false);
                Vec::new()
            }
            Some(kind) => start(state, kind, true),
        },
        _ => return None,
    };
    Some(effects)
}

/// Starts a run — provisioning only after the read-only guard and a confirmation.
fn start(state: &mut State, kind: RunKind, rerun: bool) -> Vec<Effect> {
    if state.tasks.running() {
        notice(state, "a task run is in progress (x cancels it)", true);
        return Vec::new();
    }
    super::update::switch(state, View::Tasks);
    match kind {
        RunKind::Validate => vec![Effect::RunTasks { kind, rerun }],
        // Read-only blocks provisioning before any request or plan exists.
        RunKind::Provision if state.readonly => {
            notice(state, format!("read-only: provisioning on context {} blocked", state.context), true);
            Vec::new()
        }
        RunKind::Provision => vec![Effect::PlanTasks { kind, rerun }],
    }
}

pub fn on_confirm(state: &mut State, command: Option<Command>, kind: RunKind, rerun: bool) -> Vec<Effect> {
    match command {
        Some(Command::Confirm) => {
            state.mode = Mode::Normal;
            notice(state, format!("{} started", kind.name()), false);
            vec![Effect::RunTasks { kind, rerun }]
        }
        Some(Command::Cancel) => {
            state.mode = Mode::Normal;
            notice(state, "cancelled: nothing was changed", false);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::TasksStarted { kind, phases } => {
            state.tasks.kind = Some(kind);
            state.tasks.phases = phases;
            state.tasks.error = None;
            state.tasks.snapshot = Default::default();
            state.tasks.revision += 1;
            notice(state, format!("{} running", kind.name()), false);
        }
        Action::TaskSnapshot(snapshot) => {
            let finished_now = snapshot.finished && !state.tasks.snapshot.finished;
            state.tasks.snapshot = *snapshot;
            state.tasks.revision += 1;
            state.tasks.frame += 1;
            state.clamp_cursors();
            if finished_now && let Some(kind) = state.tasks.kind {
                let passed = state.tasks.snapshot.all_passed();
                notice(state, summary(kind.name(), &state.tasks.snapshot), !passed);
            }
        }
        Action::TasksConfirm { kind, rerun, text } => {
            if state.readonly {
                notice(state, format!("read-only: provisioning on context {} blocked", state.context), true);
            } else {
                state.mode = Mode::ConfirmTasks { kind, rerun, text };
            }
        }
        Action::TasksFailed(error) => {
            notice(state, format!("task run not started: {error}"), true);
            state.tasks.error = Some(error);
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::engine::{RunSnapshot, Status, TaskState};
    use crate::tui::keymap::Keymap;

    fn state(readonly: bool) -> State {
        State::new("prod".into(), readonly, None, Keymap::default_map().unwrap(), jiff::Timestamp::UNIX_EPOCH)
    }

    fn task(id: &str, status: Status) -> TaskState {
        TaskState {
            id: id.into(),
            name: id.into(),
            phase: "p".into(),
            needs: vec![],
            mutating: false,
            status,
            message: String::new(),
            attempts: 1,
            started: None,
            duration: None,
            output: Default::default(),
            dropped_output: 0,
        }
    }

    #[test]
    fn validate_runs_and_provision_asks_first() {
        let mut s = state(false);
        assert_eq!(
            on_command(&mut s, Command::Validate),
            Some(vec![Effect::RunTasks { kind: RunKind::Validate, rerun: false }])
        );
        assert_eq!(s.view, View::Tasks);
        assert_eq!(
            on_command(&mut s, Command::Provision),
            Some(vec![Effect::PlanTasks { kind: RunKind::Provision, rerun: false }])
        );
        on_action(
            &mut s,
            Action::TasksConfirm {
                kind: RunKind::Provision,
                rerun: false,
                text: "Provision on context prod".into(),
            },
        );
        assert!(matches!(s.mode, Mode::ConfirmTasks { .. }));
        let effects = on_confirm(&mut s, Some(Command::Confirm), RunKind::Provision, false);
        assert_eq!(effects, vec![Effect::RunTasks { kind: RunKind::Provision, rerun: false }]);
    }

    #[test]
    fn readonly_blocks_provisioning_before_any_effect() {
        let mut s = state(true);
        assert_eq!(on_command(&mut s, Command::Provision), Some(vec![]));
        assert!(s.notice.as_ref().unwrap().text.contains("read-only"));
        assert!(s.notice.as_ref().unwrap().error);
    }

    #[test]
    fn rerun_is_r_in_the_tasks_view_only() {
        let mut s = state(false);
        assert_eq!(on_command(&mut s, Command::Refresh), None, "refresh is Argo CD's, not a re-run");
        s.view = View::Tasks;
        on_action(&mut s, Action::TasksStarted { kind: RunKind::Validate, phases: vec![] });
        let snapshot =
            RunSnapshot { tasks: vec![task("a", Status::Failed)], finished: true, ..Default::default() };
        on_action(&mut s, Action::TaskSnapshot(Box::new(snapshot)));
        assert!(s.notice.as_ref().unwrap().error);
        assert_eq!(
            on_command(&mut s, Command::RerunFailed),
            Some(vec![Effect::RunTasks { kind: RunKind::Validate, rerun: true }])
        );
        // While running, nothing else starts, and x cancels.
        let running = RunSnapshot { tasks: vec![task("a", Status::Running)], ..Default::default() };
        on_action(&mut s, Action::TaskSnapshot(Box::new(running)));
        assert_eq!(on_command(&mut s, Command::Validate), Some(vec![]));
        assert_eq!(on_command(&mut s, Command::CancelTasks), Some(vec![Effect::CancelTasks]));
    }
}
