//! The last row: what the keyboard does right now. Key hints come from the keymap (a remapped key
//! shows its new binding); while typing it is the filter or palette line; otherwise the latest
//! notice (red when it is an error). Mutations in flight get a spinner ahead of everything.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::keymap::{Command, Keymap};
use crate::tui::state::{Mode, State, View};
use crate::tui::theme::Theme;
use platdeck_core::sanitize::clean;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/// Shows where typed text goes.
const CARET: &str = "▌";

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let km = &state.keymap;
    let mut spans = vec![Span::raw(" ")];
    if let Some(first) = state.in_flight.first() {
        // The spinner turns with the clock the app hands in (Tick), never by reading it here.
        let frame_no = usize::try_from((state.now.as_millisecond() / 100).rem_euclid(10)).unwrap_or(0);
        let spinner = SPINNER.get(frame_no).copied().unwrap_or("*");
        let more = state.in_flight.len() - 1;
        let text = if more > 0 {
            format!("{spinner} {} {} (+{more} more)", first.strategy.verb(), first.objects().join(", "))
        } else {
            format!("{spinner} {} {}", first.strategy.verb(), first.objects().join(", "))
        };
        spans.push(Span::styled(clean(&text).into_owned(), theme.warn));
        spans.push(Span::styled("  │  ", theme.muted));
    }
    match &state.mode {
        Mode::Filter => {
            spans.push(Span::styled("/", theme.key));
            spans.push(Span::styled(clean(&state.scope.filter), theme.text));
            spans.push(Span::styled(CARET, theme.key));
            spans.push(Span::raw("   "));
            spans.extend(modal(km, theme, &[(Command::Submit, "keep"), (Command::ClosePrompt, "clear")]));
        }
        Mode::Palette(input) => {
            spans.push(Span::styled(":", theme.key));
            spans.push(Span::styled(clean(input), theme.text));
            spans.push(Span::styled(CARET, theme.key));
            spans.push(Span::raw("   "));
            spans.extend(modal(km, theme, &[(Command::Submit, "run"), (Command::ClosePrompt, "cancel")]));
        }
        Mode::Confirm(_) | Mode::ConfirmTasks { .. } => {
            spans.extend(modal(km, theme, &[(Command::Confirm, "confirm"), (Command::Cancel, "cancel")]));
        }
        Mode::Help => spans.extend(modal(km, theme, &[(Command::CloseHelp, "close help")])),
        Mode::Normal => match &state.notice {
            Some(notice) => {
                let style = if notice.error { theme.error } else { theme.info };
                spans.push(Span::styled(clean(&notice.text), style));
            }
            None => {
                let room = usize::from(area.width).saturating_sub(Line::from(spans.clone()).width());
                spans.extend(hints(state, theme, room));
            }
        },
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A modal context's hints, each command named by its first key (`y confirm · n cancel`).
pub fn modal<'a>(km: &Keymap, theme: &Theme, pairs: &[(Command, &str)]) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (command, what) in pairs {
        let Some(key) = km.first_key(*command) else { continue };
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(format!(" {what}"), theme.muted));
    }
    spans
}

/// The shortest spelling among a command's keys (`j` rather than `down`), for compact hints.
pub fn short_key(keymap: &Keymap, command: Command) -> Option<String> {
    keymap.keys_for(command).iter().map(ToString::to_string).min_by_key(|k| k.chars().count())
}

/// Hints that matter in this view, most useful first, as many as fit in `room` columns.
fn hints<'a>(state: &State, theme: &Theme, room: usize) -> Vec<Span<'a>> {
    let km = &state.keymap;
    let mut wanted: Vec<(Option<String>, &str)> = Vec::new();
    // What covers the body decides (a log-view prompt keeps the log view's hints).
    if state.diagnostics.is_some() {
        return fit(diagnostics_hints(km), theme, room);
    }
    if state.logs.is_some() {
        return fit(log_hints(km), theme, room);
    }
    let nav = match (short_key(km, Command::Down), short_key(km, Command::Up)) {
        (Some(d), Some(u)) => Some(format!("{d}/{u}")),
        (d, u) => d.or(u),
    };
    wanted.push((nav, "move"));
    if state.detail {
        wanted.push((short_key(km, Command::Back), "close"));
    }
    let details = if state.view == View::Overview { "narrow to service" } else { "details" };
    wanted.push((short_key(km, Command::Details), details));
    if state.scope.service.is_some() || !state.scope.filter.is_empty() {
        wanted.push((short_key(km, Command::ClearScope), "clear scope"));
    } else if state.view != View::Overview {
        wanted.push((short_key(km, Command::SelectService), "service"));
    }
    wanted.push((short_key(km, Command::Filter), "filter"));
    wanted.push((short_key(km, Command::Palette), "command"));
    // Read-only blocks mutations before they exist: no point advertising them.
    // The Tasks view has no selected service, and there `R` re-runs what failed instead of refreshing.
    if !state.readonly && state.view != View::Tasks {
        wanted.push((short_key(km, Command::Restart), "restart"));
        wanted.push((short_key(km, Command::Sync), "sync"));
        wanted.push((short_key(km, Command::Refresh), "refresh"));
        wanted.push((short_key(km, Command::Scaffold), "new service"));
    }
    if state.view == View::Tasks {
        wanted.insert(0, (short_key(km, Command::Validate), "validate"));
        if !state.readonly {
            wanted.insert(1, (short_key(km, Command::Provision), "provision"));
        }
        wanted.insert(2.min(wanted.len()), (short_key(km, Command::CancelTasks), "cancel"));
        wanted.insert(3.min(wanted.len()), (short_key(km, Command::RerunFailed), "re-run failed"));
    }
    wanted.push((short_key(km, Command::Help), "help"));
    wanted.push((short_key(km, Command::Quit), "quit"));
    fit(wanted, theme, room)
}

/// The log view's keys, most useful first.
fn log_hints(km: &Keymap) -> Vec<(Option<String>, &'static str)> {
    [
        (Command::Filter, "filter"),
        (Command::EditQuery, "query"),
        (Command::LogWindow, "window"),
        (Command::ToggleFields, "fields"),
        (Command::ToggleTimestamps, "time"),
        (Command::ToggleWrap, "wrap"),
        (Command::SaveLogs, "save"),
        (Command::ExploreLink, "explore"),
        (Command::Bottom, "newest"),
        (Command::Back, "close"),
    ]
    .into_iter()
    .map(|(c, what)| (short_key(km, c), what))
    .collect()
}

/// The diagnostics panel's keys, most useful first.
fn diagnostics_hints(km: &Keymap) -> Vec<(Option<String>, &'static str)> {
    [
        (Command::FewerLevels, "fewer levels"),
        (Command::MoreLevels, "more levels"),
        (Command::PageUp, "scroll back"),
        (Command::Bottom, "newest"),
        (Command::Down, "next target"),
        (Command::ToggleTargets, "targets"),
        (Command::FocusTarget, "focus"),
        (Command::Back, "close"),
    ]
    .into_iter()
    .map(|(c, what)| (short_key(km, c), what))
    .collect()
}

/// As many hints as fit in `room` columns.
fn fit<'a>(wanted: Vec<(Option<String>, &str)>, theme: &Theme, room: usize) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, what) in wanted {
        let Some(key) = key else { continue };
        let sep = if spans.is_empty() { "" } else { " · " };
        let width = sep.chars().count() + key.chars().count() + 1 + what.chars().count();
        if used + width > room {
            break;
        }
        used += width;
        if !sep.is_empty() {
            spans.push(Span::styled(sep, theme.muted));
        }
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(format!(" {what}"), theme.muted));
    }
    spans
}
