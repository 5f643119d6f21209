//! `update`: the only place UI state changes. Pure: no I/O, no clock; effects describe the I/O wanted,
//! and the runtime answers each with an action. Keys are looked up in the active key context.

use super::action::{Action, Effect, MouseKind};
use super::keymap::{Command, KeyContext};
use super::state::{Mode, Notice, State, View};
use crate::actions::Strategy;
use crate::config::{KeyName, KeySpec};

/// Applies one action, then derives again whatever it invalidated (rows, visible log lines).
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let effects = apply(state, action);
    state.refresh();
    effects
}

fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Scoped { session, action } => {
            // An answer for a connection the UI has left: its view, run or progress is gone.
            if session == state.session {
                apply(state, *action)
            } else {
                tracing::debug!(?session, current = ?state.session, "answer from a closed session ignored");
                Vec::new()
            }
        }
        Action::Tick(now) => {
            state.now = now;
            if state.tasks.running() {
                state.tasks.frame += 1;
            }
            Vec::new()
        }
        Action::TasksStarted { .. }
        | Action::TaskSnapshot(_)
        | Action::TasksConfirm { .. }
        | Action::TasksFailed(_) => super::tasks_update::on_action(state, action),
        Action::Resize { width, height } => {
            state.width = width;
            state.height = height;
            Vec::new()
        }
        Action::Snapshot(snapshot) => {
            state.set_snapshot(snapshot);
            Vec::new()
        }
        Action::Logs { lines, dropped_overflow, dropped_upstream, status } => {
            if let Some(pane) = state.logs.as_mut() {
                // Scrolled back: keep the same lines in view as new ones arrive below.
                if pane.scroll > 0 {
                    pane.scroll += lines.len().saturating_sub(pane.lines.len());
                }
                pane.set_lines(lines);
                pane.dropped_overflow = dropped_overflow;
                pane.dropped_upstream = dropped_upstream;
                pane.status = status;
            }
            Vec::new()
        }
        Action::MutationDone { mutation, result } => {
            state.in_flight.retain(|m| *m != mutation);
            state.notice = Some(match result {
                Ok(text) => Notice { text: format!("{text} — watching progress"), error: false },
                Err(err) => {
                    Notice { text: format!("{} failed: {err}", mutation.strategy.verb()), error: true }
                }
            });
            Vec::new()
        }
        Action::ScaffoldPlanned(result) => {
            if let Some(form) = state.scaffold.as_mut() {
                form.planned(result);
            }
            Vec::new()
        }
        Action::ScaffoldDone(result) => {
            state.notice = Some(match result {
                Ok(text) => Notice { text, error: false },
                Err(err) => Notice { text: format!("scaffold failed: {err}"), error: true },
            });
            Vec::new()
        }
        Action::Mouse { kind, row, .. } => {
            on_mouse(state, kind, row);
            Vec::new()
        }
        Action::LogQueryChecked { query, error } => super::logs_keys::on_query_checked(state, query, error),
        Action::Notice { text, error } => {
            state.notice = Some(Notice { text, error });
            Vec::new()
        }
        Action::ContextSwitched { session, context, readonly } => {
            switched(state, session, context, readonly);
            Vec::new()
        }
        Action::ContextFailed { context, error } => {
            if state.switching.as_deref() == Some(context.as_str()) {
                state.switching = None;
            }
            state.notice = Some(Notice { text: format!("context {context}: {error}"), error: true });
            Vec::new()
        }
        Action::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::Key(key) => on_key(state, key),
    }
}

/// A new connection is up: what belonged to the old one (its data, log view, task run, mutation
/// progress, open dialogs) is gone; the runtime has closed its sources.
fn switched(state: &mut State, session: super::state::SessionId, context: String, readonly: bool) {
    state.session = session;
    state.switching = None;
    state.notice = Some(Notice { text: format!("switched to context {context}"), error: false });
    state.context = context;
    state.readonly = readonly;
    state.logs = None;
    state.tasks = Default::default();
    state.in_flight.clear();
    state.scaffold = None;
    state.mode = Mode::Normal;
    state.detail = false;
    state.reset_cursors();
    state.set_snapshot(std::sync::Arc::new(Default::default()));
}

fn on_mouse(state: &mut State, kind: MouseKind, row: u16) {
    if state.mode != Mode::Normal
        || state.scaffold.is_some()
        || state.logs.is_some()
        || state.diagnostics.is_some()
    {
        return;
    }
    let cursor = state.cursor();
    match kind {
        MouseKind::ScrollUp => state.set_cursor(cursor.saturating_sub(3)),
        MouseKind::ScrollDown => state.set_cursor(cursor + 3),
        // The renderer's own layout and scroll offset say which row is drawn at that line.
        MouseKind::Click => {
            if let Some(i) = super::render::row_at(state, row) {
                state.set_cursor(i);
            }
        }
    }
}

fn on_key(state: &mut State, key: KeySpec) -> Vec<Effect> {
    if state.scaffold.is_some() {
        return super::scaffold_form::on_key(state, key);
    }
    let command = state.keymap.lookup(state.key_context(), &key);
    match state.mode.clone() {
        Mode::Filter => {
            match edit_line(&mut state.scope.filter, &key, command) {
                LineEdit::Submit => state.mode = Mode::Normal,
                LineEdit::Close => {
                    state.scope.filter.clear();
                    state.mode = Mode::Normal;
                }
                LineEdit::Editing => {}
            }
            Vec::new()
        }
        Mode::Palette(mut input) => {
            match edit_line(&mut input, &key, command) {
                LineEdit::Close => state.mode = Mode::Normal,
                LineEdit::Submit => {
                    state.mode = Mode::Normal;
                    return run_palette(state, input.trim());
                }
                LineEdit::Editing => state.mode = Mode::Palette(input),
            }
            Vec::new()
        }
        Mode::Confirm(mutation) => match command {
            Some(Command::Confirm) => {
                state.mode = Mode::Normal;
                state.notice = Some(Notice { text: format!("sending: {mutation}"), error: false });
                state.in_flight.push(mutation.clone());
                vec![Effect::Mutate(mutation)]
            }
            Some(Command::Cancel) => {
                state.mode = Mode::Normal;
                state.notice = Some(Notice { text: "cancelled".into(), error: false });
                Vec::new()
            }
            _ => Vec::new(),
        },
        Mode::ConfirmTasks { kind, rerun, .. } => {
            super::tasks_update::on_confirm(state, command, kind, rerun)
        }
        Mode::Help => {
            if command == Some(Command::CloseHelp) {
                state.mode = Mode::Normal;
            }
            Vec::new()
        }
        Mode::Normal => {
            if let Some(effects) = super::logs_keys::on_prompt_key(state, &key, command) {
                return effects;
            }
            match command {
                Some(command) => on_command(state, command),
                // A log-view key elsewhere only says where it works.
                None => match state.keymap.command_in(KeyContext::Logs, &key) {
                    Some(log_command) => on_command(state, log_command),
                    None => Vec::new(),
                },
            }
        }
    }
}

/// What a key did to a line being typed.
pub(super) enum LineEdit {
    Editing,
    Submit,
    Close,
}

/// Line editing with the Prompt keys: submit, close, erase, clear; plain characters are typed.
pub(super) fn edit_line(line: &mut String, key: &KeySpec, command: Option<Command>) -> LineEdit {
    match command {
        Some(Command::Submit) => return LineEdit::Submit,
        Some(Command::ClosePrompt) => return LineEdit::Close,
        Some(Command::Erase) => {
            line.pop();
        }
        Some(Command::ClearLine) => line.clear(),
        Some(_) => {}
        None => {
            if let KeyName::Char(c) = key.code
                && !key.ctrl
                && !key.alt
            {
                line.push(c);
            }
        }
    }
    LineEdit::Editing
}

fn page(state: &State) -> usize {
    usize::from(state.height.saturating_sub(8)).max(1)
}

/// Keys while the log view is open: scroll through the buffer, jump to the newest, close.
fn on_logs_command(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    let page = page(state);
    let pane = state.logs.as_mut()?;
    let max = pane.visible.len().saturating_sub(1);
    match command {
        Command::Up => pane.scroll = (pane.scroll + 1).min(max),
        Command::Down => pane.scroll = pane.scroll.saturating_sub(1),
        Command::PageUp => pane.scroll = (pane.scroll + page).min(max),
        Command::PageDown => pane.scroll = pane.scroll.saturating_sub(page),
        Command::Top => pane.scroll = max,
        Command::Bottom => pane.scroll = 0,
        Command::Back | Command::Logs => {
            state.logs = None;
            return Some(vec![Effect::CloseLogs]);
        }
        // Filter, help, palette, diagnostics and quit work as everywhere; other keys close the log view first.
        Command::Filter | Command::Help | Command::Palette | Command::Quit | Command::Diagnostics => {
            return None;
        }
        c if super::logs_keys::is_log_command(c) => return super::logs_keys::on_command(state, c),
        _ => {
            state.logs = None;
            let mut effects = vec![Effect::CloseLogs];
            effects.extend(on_command(state, command));
            return Some(effects);
        }
    }
    Some(Vec::new())
}

fn on_command(state: &mut State, command: Command) -> Vec<Effect> {
    if let Some(effects) = super::diagnostics::on_command(state, command) {
        return effects;
    }
    if let Some(effects) = on_logs_command(state, command) {
        return effects;
    }
    if let Some(effects) = super::tasks_update::on_command(state, command) {
        return effects;
    }
    if let Some(view) = View::opened_by(command) {
        switch(state, view);
        return Vec::new();
    }
    let cursor = state.cursor();
    match command {
        Command::Up => state.set_cursor(cursor.saturating_sub(1)),
        Command::Down => state.set_cursor(cursor + 1),
        Command::PageUp => state.set_cursor(cursor.saturating_sub(page(state))),
        Command::PageDown => state.set_cursor(cursor + page(state)),
        Command::Top => state.set_cursor(0),
        Command::Bottom => state.set_cursor(usize::MAX),
        Command::NextView => switch(state, View::ALL[(state.view.index() + 1) % View::ALL.len()]),
        Command::PrevView => {
            switch(state, View::ALL[(state.view.index() + View::ALL.len() - 1) % View::ALL.len()])
        }
        Command::Details => {
            if state.view.def().has_detail() {
                state.detail = !state.detail;
            } else if state.view == View::Overview {
                narrow_to_selected(state);
            }
        }
        Command::Back => {
            if state.detail {
                state.detail = false;
            } else if state.scope.service.is_some() || !state.scope.filter.is_empty() {
                clear_scope(state);
            } else {
                state.notice = None;
            }
        }
        Command::Filter => state.mode = Mode::Filter,
        Command::Palette => state.mode = Mode::Palette(String::new()),
        Command::Help => state.mode = Mode::Help,
        Command::SelectService => narrow_to_selected(state),
        Command::ClearScope => clear_scope(state),
        Command::Restart => ask(state, Strategy::Restart),
        Command::Sync => ask(state, Strategy::Sync),
        Command::Refresh => ask(state, Strategy::Refresh),
        Command::Logs => match state.selected_service() {
            Some(service) => {
                let query = state.log_query(&service);
                state.logs = Some(super::logs::LogsPane::new(service, query.clone()));
                return vec![Effect::OpenLogs { query }];
            }
            None => state.notice = Some(Notice { text: "select a service first".into(), error: true }),
        },
        Command::Diagnostics => super::diagnostics::open(state),
        Command::Quit => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        Command::Scaffold => super::scaffold_form::open(state),
        c if super::logs_keys::is_log_command(c) => {
            let logs = state.keymap.label(Command::Logs);
            state.notice =
                Some(Notice { text: format!("open a service's logs first ({logs})"), error: true });
        }
        // The other contexts' commands reach here only if a context is not where it should be.
        _ => {}
    }
    Vec::new()
}

pub(super) fn switch(state: &mut State, view: View) {
    state.view = view;
    state.detail = false;
}

fn narrow_to_selected(state: &mut State) {
    match state.selected_service() {
        Some(key) => {
            state.notice =
                Some(Notice { text: format!("narrowed to service {key} (c clears)"), error: false });
            state.scope.service = Some(key);
            state.reset_cursors();
        }
        None => state.notice = Some(Notice { text: "no service selected".into(), error: true }),
    }
}

fn clear_scope(state: &mut State) {
    state.scope.service = None;
    state.scope.filter.clear();
    state.notice = None;
    state.clamp_cursors();
}

/// Asks for confirmation of a redeploy — unless read-only, which blocks it before any request exists.
fn ask(state: &mut State, strategy: Strategy) {
    let Some(mutation) = state.mutation_for(strategy) else {
        state.notice = Some(Notice { text: "select a service first".into(), error: true });
        return;
    };
    if state.readonly {
        state.notice = Some(Notice { text: format!("read-only: {mutation} blocked"), error: true });
        return;
    }
    if mutation.is_empty() {
        let what =
            if strategy == Strategy::Restart { "no deployment to restart" } else { "no Argo CD application" };
        state.notice = Some(Notice { text: format!("{}: {what}", mutation.service), error: true });
        return;
    }
    state.mode = Mode::Confirm(mutation);
}

/// `:apps`, `:ns payments`, `:ns all`, `:ctx prod`, `:svc payments-api`, `:log`, `:q`.
fn run_palette(state: &mut State, input: &str) -> Vec<Effect> {
    let (cmd, arg) = input.split_once(' ').map_or((input, ""), |(c, a)| (c, a.trim()));
    match cmd {
        "" => {}
        "q" | "quit" => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        "log" | "diagnostics" | "diag" => super::diagnostics::open(state),
        "ns" | "namespace" => {
            state.scope.namespace = match arg {
                "" | "all" | "-A" => None,
                ns => Some(ns.to_string()),
            };
            state.clamp_cursors();
        }
        "ctx" | "context" if !arg.is_empty() => {
            // The connection is made off the UI loop; until it answers, this context stays.
            state.switching = Some(arg.to_string());
            state.notice = Some(Notice { text: format!("connecting to context {arg} …"), error: false });
            return vec![Effect::SwitchContext(arg.to_string())];
        }
        "svc" | "service" if !arg.is_empty() => {
            match state.services.iter().find(|s| s.key.name == arg || s.key.to_string() == arg) {
                Some(s) => {
                    state.scope.service = Some(s.key.clone());
                    state.reset_cursors();
                }
                None => state.notice = Some(Notice { text: format!("no service named {arg}"), error: true }),
            }
        }
        view => match View::from_name(view) {
            Some(v) => switch(state, v),
            None => {
                state.notice = Some(Notice {
                    text: format!(
                        "unknown command :{input} (views, ns NAME|all, ctx NAME, svc NAME, log, q)"
                    ),
                    error: true,
                })
            }
        },
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::tui::keymap::Keymap;
    use platdeck_core::platform::fixtures::{fixture_snapshot, snapshot_time};

    fn key(c: char) -> Action {
        Action::Key(KeySpec::plain(KeyName::Char(c)))
    }

    fn named(k: KeyName) -> Action {
        Action::Key(KeySpec::plain(k))
    }

    fn incident(readonly: bool) -> State {
        let snapshot = fixture_snapshot("incident").unwrap();
        let now = snapshot_time(&snapshot).unwrap();
        let mut state = State::new("kind-dev".into(), readonly, None, Keymap::default_map().unwrap(), now);
        update(&mut state, Action::Resize { width: 160, height: 50 });
        update(&mut state, Action::Snapshot(Arc::new(snapshot)));
        state
    }

    #[test]
    fn the_degraded_service_is_first_and_enter_narrows_every_view() {
        let mut s = incident(false);
        assert_eq!(s.selected_service().unwrap().name, "payments-api");
        update(&mut s, named(KeyName::Enter));
        assert_eq!(s.scope.service.as_ref().unwrap().name, "payments-api");
        update(&mut s, key('3'));
        assert_eq!(s.view, View::Workloads);
        assert!(s.deployments().iter().all(|d| d.name == "payments-api"));
        assert!(s.pods().iter().all(|p| p.name.starts_with("payments-api-")));
        update(&mut s, key('2'));
        assert_eq!(s.apps().len(), 1);
        update(&mut s, named(KeyName::Esc));
        assert!(s.scope.service.is_none(), "Esc with nothing open clears the narrowing");
        assert!(s.apps().len() > 1);
    }

    #[test]
    fn restart_needs_confirmation_naming_context_namespace_and_object() {
        let mut s = incident(false);
        assert!(update(&mut s, key('r')).is_empty(), "nothing is sent before confirmation");
        let Mode::Confirm(m) = s.mode.clone() else { panic!("no confirmation: {:?}", s.mode) };
        let text = m.to_string();
        assert!(
            text.contains("deployment/payments-api")
                && text.contains("platform-services")
                && text.contains("kind-dev")
        );
        let effects = update(&mut s, key('y'));
        assert_eq!(effects, vec![Effect::Mutate(m.clone())]);
        assert_eq!(s.in_flight, vec![m.clone()]);
        update(&mut s, Action::MutationDone { mutation: m, result: Err("boom".into()) });
        assert!(s.in_flight.is_empty());
        assert!(s.notice.as_ref().is_some_and(|n| n.error && n.text.contains("boom")));
    }

    #[test]
    fn cancelling_sends_nothing() {
        let mut s = incident(false);
        update(&mut s, key('S'));
        assert!(matches!(s.mode, Mode::Confirm(_)));
        assert!(update(&mut s, key('n')).is_empty());
        assert_eq!(s.mode, Mode::Normal);
    }

    #[test]
    fn readonly_blocks_before_any_confirmation_or_effect() {
        let mut s = incident(true);
        for c in ['r', 'S', 'R'] {
            assert!(update(&mut s, key(c)).is_empty());
            assert_eq!(s.mode, Mode::Normal);
            assert!(s.notice.as_ref().is_some_and(|n| n.error && n.text.starts_with("read-only")));
        }
    }

    #[test]
    fn navigation_is_clamped() {
        let mut s = incident(false);
        update(&mut s, key('2'));
        update(&mut s, key('G'));
        let last = s.row_count(View::Applications) - 1;
        assert_eq!(s.cursor(), last);
        update(&mut s, key('j'));
        assert_eq!(s.cursor(), last);
        update(&mut s, key('g'));
        update(&mut s, key('k'));
        assert_eq!(s.cursor(), 0);
        update(&mut s, named(KeyName::Tab));
        assert_eq!(s.view, View::Workloads);
        update(&mut s, named(KeyName::BackTab));
        update(&mut s, named(KeyName::BackTab));
        assert_eq!(s.view, View::Overview);
    }

    #[test]
    fn filter_applies_as_you_type_and_esc_clears_it() {
        let mut s = incident(false);
        update(&mut s, key('2'));
        let all = s.apps().len();
        update(&mut s, key('/'));
        for c in "kyverno".chars() {
            update(&mut s, key(c));
        }
        assert_eq!(s.mode, Mode::Filter);
        assert!(s.apps().len() < all && s.apps().iter().all(|a| a.name.contains("kyverno")));
        update(&mut s, named(KeyName::Esc));
        assert_eq!(s.mode, Mode::Normal);
        assert_eq!(s.apps().len(), all);
    }

    #[test]
    fn palette_switches_views_namespaces_contexts_and_services() {
        let mut s = incident(false);
        let run = |s: &mut State, cmd: &str| {
            update(s, key(':'));
            for c in cmd.chars() {
                update(s, key(c));
            }
            update(s, named(KeyName::Enter))
        };
        run(&mut s, "events");
        assert_eq!(s.view, View::Events);
        run(&mut s, "ns kyverno");
        assert_eq!(s.scope.namespace.as_deref(), Some("kyverno"));
        run(&mut s, "ns all");
        assert_eq!(s.scope.namespace, None);
        assert_eq!(run(&mut s, "ctx prod"), vec![Effect::SwitchContext("prod".into())]);
        run(&mut s, "svc users-api");
        assert_eq!(s.scope.service.as_ref().unwrap().name, "users-api");
        run(&mut s, "bogus");
        assert!(s.notice.as_ref().is_some_and(|n| n.error));
        assert_eq!(run(&mut s, "q"), vec![Effect::Quit]);
        assert!(s.quit);
    }

    #[test]
    fn logs_open_for_the_selected_service_scroll_and_close() {
        let mut s = incident(false);
        let effects = update(&mut s, key('l'));
        let query = r#"{namespace="platform-services", app_kubernetes_io_name="payments-api"}"#.to_string();
        assert_eq!(effects, vec![Effect::OpenLogs { query: query.clone() }]);
        assert_eq!(s.logs.as_ref().unwrap().query, query);
        let lines: Vec<_> = (0..5)
            .map(|i| {
                Arc::new(platdeck_core::platform::logline::parse(
                    i,
                    "p",
                    &format!("{{\"level\":\"info\",\"msg\":\"m{i}\"}}"),
                ))
            })
            .collect();
        update(
            &mut s,
            Action::Logs { lines, dropped_overflow: 0, dropped_upstream: 2, status: "live".into() },
        );
        assert_eq!(s.logs.as_ref().unwrap().dropped_upstream, 2);
        update(&mut s, key('k'));
        update(&mut s, key('k'));
        assert_eq!(s.logs.as_ref().unwrap().scroll, 2);
        update(&mut s, key('G'));
        assert_eq!(s.logs.as_ref().unwrap().scroll, 0, "G jumps back to the newest");
        assert_eq!(update(&mut s, named(KeyName::Esc)), vec![Effect::CloseLogs]);
        assert!(s.logs.is_none());
    }

    #[test]
    fn answers_of_another_session_are_ignored_and_a_switch_closes_what_the_old_one_opened() {
        use crate::tui::state::SessionId;
        let mut s = incident(false);
        update(&mut s, key('l'));
        assert!(s.logs.is_some());
        let late = |text: &str| Action::Scoped {
            session: SessionId(7),
            action: Box::new(Action::Notice { text: text.into(), error: false }),
        };
        update(&mut s, late("from the future"));
        assert!(s.notice.as_ref().is_none_or(|n| n.text != "from the future"), "not this session's answer");
        let effects = update(
            &mut s,
            Action::ContextSwitched { session: SessionId(7), context: "prod".into(), readonly: true },
        );
        assert!(effects.is_empty());
        assert!(s.logs.is_none() && s.readonly && s.context == "prod" && s.snapshot.pods.is_empty());
        assert_eq!(s.session, SessionId(7));
        update(&mut s, late("now current"));
        assert_eq!(s.notice.as_ref().map(|n| n.text.as_str()), Some("now current"));
    }

    #[test]
    fn confirmation_keys_come_from_the_keymap() {
        let mut overrides = std::collections::BTreeMap::new();
        overrides.insert("confirm".to_string(), vec![crate::config::parse_key_spec("ctrl-y").unwrap()]);
        let mut s = incident(false);
        s.keymap = Keymap::new(&overrides).unwrap();
        update(&mut s, key('r'));
        assert!(matches!(s.mode, Mode::Confirm(_)));
        assert!(update(&mut s, key('y')).is_empty(), "y is no longer a confirmation");
        assert!(matches!(update(&mut s, Action::Key(KeySpec::ctrl('y'))).as_slice(), [Effect::Mutate(_)]));
    }

    #[test]
    fn the_filter_works_in_the_log_view() {
        let mut s = incident(false);
        update(&mut s, key('l'));
        update(&mut s, key('/'));
        assert_eq!(s.mode, Mode::Filter);
        for c in "error".chars() {
            update(&mut s, key(c));
        }
        update(&mut s, named(KeyName::Enter));
        assert_eq!((s.mode.clone(), s.scope.filter.as_str()), (Mode::Normal, "error"));
        assert!(s.logs.is_some());
    }

    #[test]
    fn help_opens_and_closes_and_quit_quits() {
        let mut s = incident(false);
        update(&mut s, key('?'));
        assert_eq!(s.mode, Mode::Help);
        update(&mut s, named(KeyName::Esc));
        assert_eq!(s.mode, Mode::Normal);
        assert_eq!(update(&mut s, Action::Key(KeySpec::ctrl('c'))), vec![Effect::Quit]);
    }

    #[test]
    fn mouse_scrolls_and_clicks_select() {
        let mut s = incident(false);
        update(&mut s, key('3'));
        update(&mut s, Action::Mouse { kind: MouseKind::ScrollDown, column: 0, row: 10 });
        assert_eq!(s.cursor(), 3.min(s.row_count(View::Workloads) - 1));
        // Line 4 is the first table row (header, source line, tabs and the table's header above it).
        update(&mut s, Action::Mouse { kind: MouseKind::Click, column: 0, row: 5 });
        assert_eq!(s.cursor(), 1);
    }
}
