//! The log view's own keys: its prompts (edit the query, save to a file), the Explore-link popup, the
//! backfill window and the display toggles. Pure, like the rest of `update`: files, Loki, the clipboard
//! and the browser are effects.

use super::action::Effect;
use super::keymap::Command;
use super::logs::LogPrompt;
use super::state::{Notice, State};
use crate::config::KeySpec;
use platdeck_core::platform::explore::explore_url;

/// Handles a key while a log-view prompt (Prompt keys) or the Explore popup (Confirm keys) is open;
/// `None` when none is. `command` is the key's command in that context.
pub fn on_prompt_key(state: &mut State, key: &KeySpec, command: Option<Command>) -> Option<Vec<Effect>> {
    let pane = state.logs.as_mut()?;
    if let Some(url) = pane.explore.clone() {
        return Some(match command {
            Some(Command::Confirm) => {
                pane.explore = None;
                vec![Effect::OpenUrl(url)]
            }
            Some(Command::Cancel) => {
                pane.explore = None;
                Vec::new()
            }
            _ => Vec::new(),
        });
    }
    let prompt = pane.prompt.as_mut()?;
    let text = match prompt {
        LogPrompt::EditQuery(text) | LogPrompt::SavePath(text) => text,
    };
    match super::update::edit_line(text, key, command) {
        super::update::LineEdit::Editing => {}
        super::update::LineEdit::Close => pane.prompt = None,
        super::update::LineEdit::Submit => {
            let done = pane.prompt.take()?;
            return Some(submit(state, done));
        }
    }
    Some(Vec::new())
}

fn submit(state: &mut State, prompt: LogPrompt) -> Vec<Effect> {
    match prompt {
        LogPrompt::EditQuery(query) => {
            let query = query.trim().to_string();
            if query.is_empty() {
                state.notice =
                    Some(Notice { text: "the query is empty: nothing changed".into(), error: true });
                return Vec::new();
            }
            if let Some(pane) = state.logs.as_mut() {
                pane.status = "checking the query with Loki…".into();
            }
            vec![Effect::CheckLogQuery { query }]
        }
        LogPrompt::SavePath(path) => {
            let path = path.trim().to_string();
            if path.is_empty() {
                state.notice = Some(Notice { text: "no file name: nothing saved".into(), error: true });
                return Vec::new();
            }
            vec![Effect::SaveLogs { path, filter: state.scope.filter.clone() }]
        }
    }
}

/// Loki's answer to an edited query: accepted restarts the source with it; refused shows Loki's message
/// and reopens the editor with what was typed, so nothing is lost.
pub fn on_query_checked(state: &mut State, query: String, error: Option<String>) -> Vec<Effect> {
    let Some(pane) = state.logs.as_mut() else { return Vec::new() };
    match error {
        None => {
            pane.query = query.clone();
            pane.restart();
            state.notice = None;
            vec![Effect::OpenLogs { query }]
        }
        Some(error) => {
            pane.status = "the previous query keeps running".into();
            pane.prompt = Some(LogPrompt::EditQuery(query));
            state.notice = Some(Notice { text: format!("Loki refused the query: {error}"), error: true });
            Vec::new()
        }
    }
}

/// `./platdeck-logs-<service>-<UTC time>.log`, with only file-name-safe characters from the service.
pub fn default_save_path(state: &State, service: &str) -> String {
    let safe: String = service
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
        .collect();
    format!("./platdeck-logs-{safe}-{}.log", state.now.strftime("%Y%m%dT%H%M%SZ"))
}

/// The log view's own commands; `None` for any other command.
pub fn on_command(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    let save_default = state.logs.as_ref().map(|p| default_save_path(state, &p.service.name));
    let pane = state.logs.as_mut()?;
    match command {
        Command::EditQuery => pane.prompt = Some(LogPrompt::EditQuery(pane.query.clone())),
        Command::SaveLogs => {
            pane.prompt = Some(LogPrompt::SavePath(save_default.unwrap_or_default()));
        }
        Command::LogWindow => {
            pane.window = pane.window.next();
            pane.restart();
            return Some(vec![Effect::OpenLogs { query: pane.query.clone() }]);
        }
        Command::ToggleFields => pane.show_fields = !pane.show_fields,
        Command::ToggleTimestamps => pane.show_time = !pane.show_time,
        Command::ToggleWrap => pane.wrap = !pane.wrap,
        Command::ExploreLink => {
            let Some(target) = state.explore.as_ref() else {
                state.notice = Some(Notice {
                    text: "Grafana is not configured (grafana.url in the config)".into(),
                    error: true,
                });
                return Some(Vec::new());
            };
            let url = explore_url(target, &pane.query, pane.window);
            pane.explore = Some(url.clone());
            return Some(vec![Effect::CopyToClipboard(url)]);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// Whether the command belongs to the log view (outside it, it only says so).
pub fn is_log_command(command: Command) -> bool {
    matches!(
        command,
        Command::EditQuery
            | Command::LogWindow
            | Command::ToggleFields
            | Command::ToggleTimestamps
            | Command::ToggleWrap
            | Command::SaveLogs
            | Command::ExploreLink
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::KeyName;
    use crate::tui::action::Action;
    use crate::tui::keymap::Keymap;
    use crate::tui::update::update;
    use platdeck_core::platform::explore::ExploreTarget;
    use platdeck_core::platform::fixtures::{fixture_snapshot, snapshot_time};
    use platdeck_core::platform::logwindow::LogWindow;

    /// Presses one key (a character or a named key) and returns the effects.
    fn press(s: &mut State, code: KeyName) -> Vec<Effect> {
        update(s, Action::Key(KeySpec::plain(code)))
    }

    fn type_text(s: &mut State, text: &str) {
        text.chars().for_each(|c| {
            press(s, KeyName::Char(c));
        });
    }

    /// The incident fixture with the log view of the selected service open.
    fn logs_open() -> State {
        let snapshot = fixture_snapshot("incident").unwrap();
        let now = snapshot_time(&snapshot).unwrap();
        let mut s = State::new("kind-dev".into(), false, None, Keymap::default_map().unwrap(), now);
        update(&mut s, Action::Resize { width: 160, height: 50 });
        update(&mut s, Action::Snapshot(Arc::new(snapshot)));
        press(&mut s, KeyName::Char('l'));
        assert!(s.logs.is_some());
        s
    }

    fn query(s: &State) -> String {
        s.logs.as_ref().unwrap().query.clone()
    }

    #[test]
    fn editing_the_query_checks_it_then_restarts_or_keeps_what_was_typed() {
        let mut s = logs_open();
        let before = query(&s);
        press(&mut s, KeyName::Char('e'));
        assert_eq!(s.logs.as_ref().unwrap().prompt, Some(LogPrompt::EditQuery(before.clone())));
        type_text(&mut s, " |= \"timeout\"");
        let typed = format!("{before} |= \"timeout\"");
        assert_eq!(press(&mut s, KeyName::Enter), vec![Effect::CheckLogQuery { query: typed.clone() }]);
        assert_eq!(query(&s), before, "nothing changes before Loki accepts it");

        let refused = Some("parse error at line 1, col 3: syntax error".to_string());
        assert!(update(&mut s, Action::LogQueryChecked { query: typed.clone(), error: refused }).is_empty());
        assert!(s.notice.as_ref().is_some_and(|n| n.error && n.text.contains("parse error at line 1")));
        assert_eq!(
            s.logs.as_ref().unwrap().prompt,
            Some(LogPrompt::EditQuery(typed.clone())),
            "nothing lost"
        );
        assert_eq!(query(&s), before);

        press(&mut s, KeyName::Enter);
        let effects = update(&mut s, Action::LogQueryChecked { query: typed.clone(), error: None });
        assert_eq!(effects, vec![Effect::OpenLogs { query: typed.clone() }]);
        assert_eq!(query(&s), typed);
    }

    #[test]
    fn esc_cancels_the_editor_without_closing_the_view() {
        let mut s = logs_open();
        let before = query(&s);
        press(&mut s, KeyName::Char('e'));
        type_text(&mut s, "junk");
        assert!(press(&mut s, KeyName::Esc).is_empty());
        assert!(s.logs.as_ref().is_some_and(|p| p.prompt.is_none()));
        assert_eq!(query(&s), before);
    }

    #[test]
    fn the_window_cycles_and_restarts_the_source() {
        let mut s = logs_open();
        let effects = press(&mut s, KeyName::Char('b'));
        assert_eq!(effects, vec![Effect::OpenLogs { query: query(&s) }]);
        assert_eq!(s.logs.as_ref().unwrap().window, LogWindow::Minutes5);
    }

    #[test]
    fn toggles_flip_and_typing_in_a_prompt_does_not_toggle() {
        let mut s = logs_open();
        press(&mut s, KeyName::Char('f'));
        press(&mut s, KeyName::Char('t'));
        press(&mut s, KeyName::Char('w'));
        let p = s.logs.as_ref().unwrap();
        assert!(!p.show_fields && !p.show_time && p.wrap);
        press(&mut s, KeyName::Char('e'));
        press(&mut s, KeyName::Char('f'));
        assert!(!s.logs.as_ref().unwrap().show_fields, "f typed into the query, not a toggle");
    }

    #[test]
    fn save_prompts_with_a_default_path_and_carries_the_filter() {
        let mut s = logs_open();
        s.scope.filter = "level:error".into();
        press(&mut s, KeyName::Char('W'));
        let Some(LogPrompt::SavePath(path)) = s.logs.as_ref().unwrap().prompt.clone() else {
            panic!("no prompt")
        };
        assert!(path.starts_with("./platdeck-logs-payments-api-") && path.ends_with("Z.log"), "{path}");
        let effects = press(&mut s, KeyName::Enter);
        assert_eq!(effects, vec![Effect::SaveLogs { path, filter: "level:error".into() }]);
    }

    #[test]
    fn explore_link_is_copied_shown_and_opened() {
        let mut s = logs_open();
        press(&mut s, KeyName::Char('o'));
        assert!(s.notice.as_ref().is_some_and(|n| n.error && n.text.contains("grafana.url")));
        s.explore =
            Some(ExploreTarget { grafana_url: "http://grafana:3000".into(), datasource: "loki-uid".into() });
        let effects = press(&mut s, KeyName::Char('o'));
        let [Effect::CopyToClipboard(url)] = effects.as_slice() else { panic!("{effects:?}") };
        assert!(url.starts_with("http://grafana:3000/explore?schemaVersion=1&orgId=1&panes="));
        assert_eq!(s.logs.as_ref().unwrap().explore.as_ref(), Some(url));
        assert_eq!(press(&mut s, KeyName::Enter), vec![Effect::OpenUrl(url.clone())]);
        assert!(s.logs.as_ref().unwrap().explore.is_none());
    }

    #[test]
    fn log_keys_outside_the_log_view_only_say_so() {
        let mut s = logs_open();
        press(&mut s, KeyName::Esc);
        assert!(s.logs.is_none());
        assert!(press(&mut s, KeyName::Char('e')).is_empty());
        assert!(s.notice.as_ref().is_some_and(|n| n.error && n.text.contains("logs first")));
    }
}
