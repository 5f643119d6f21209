//! The diagnostics panel: the console's own `tracing` events (watch failures with their full reason,
//! reconnects, context switches, mutations and their outcome, task runs) in a tui-logger panel with
//! level filtering and scroll. `PanelLayer` feeds tui-logger's buffer, sanitised (an error can quote
//! the cluster); the panel's widget state is the only part of it the UI state holds.

use std::fmt::Write as _;
use std::sync::Arc;

use tui_logger::{TuiWidgetEvent, TuiWidgetState};

use super::action::Effect;
use super::keymap::Command;
use super::state::State;
use platdeck_core::sanitize::clean;

/// The panel's widget state (which target is selected, the levels shown, the scroll position).
#[derive(Clone)]
pub struct DiagnosticsPane {
    pub widget: Arc<TuiWidgetState>,
}

impl std::fmt::Debug for DiagnosticsPane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DiagnosticsPane")
    }
}

impl DiagnosticsPane {
    pub fn new() -> Self {
        Self { widget: Arc::new(TuiWidgetState::new().set_default_display_level(log::LevelFilter::Trace)) }
    }

    fn send(&self, event: TuiWidgetEvent) {
        self.widget.transition(event);
    }
}

impl Default for DiagnosticsPane {
    fn default() -> Self {
        Self::new()
    }
}

/// Sets tui-logger up to keep whatever the layer's filter let through (the level is `PLATDECK_LOG`'s).
pub fn init_panel() {
    tui_logger::set_default_level(log::LevelFilter::Trace);
}

/// Moves new events from tui-logger's intake into the buffer the panel draws (the loop calls this on
/// ticks and before drawing the open panel, so no background thread is needed).
pub fn collect() {
    tui_logger::move_events();
}

/// `:log` and its key: opens the panel (over the current view).
pub fn open(state: &mut State) {
    if state.diagnostics.is_none() {
        state.diagnostics = Some(DiagnosticsPane::new());
    }
}

/// The panel's keys while it is open; `None` when it is closed or the command is not its own (the
/// command then closes it first, like the log view, unless it works everywhere).
pub fn on_command(state: &mut State, command: Command) -> Option<Vec<Effect>> {
    let pane = state.diagnostics.as_ref()?;
    let event = match command {
        Command::Up => TuiWidgetEvent::UpKey,
        Command::Down => TuiWidgetEvent::DownKey,
        Command::PageUp => TuiWidgetEvent::PrevPageKey,
        Command::PageDown => TuiWidgetEvent::NextPageKey,
        Command::Bottom => TuiWidgetEvent::EscapeKey,
        Command::MoreLevels => TuiWidgetEvent::RightKey,
        Command::FewerLevels => TuiWidgetEvent::LeftKey,
        Command::ToggleTargets => TuiWidgetEvent::HideKey,
        Command::FocusTarget => TuiWidgetEvent::FocusKey,
        Command::Back | Command::Diagnostics => {
            state.diagnostics = None;
            return Some(Vec::new());
        }
        Command::Filter | Command::Help | Command::Palette | Command::Quit => return None,
        _ => {
            state.diagnostics = None;
            return None;
        }
    };
    pane.send(event);
    Some(Vec::new())
}

/// The event's fields as one line: the message, then `key: value` for each other field; sanitised.
#[derive(Default)]
struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

/// The target as the panel lists it: the console's modules without the crate prefix.
fn short_target(target: &str) -> &str {
    target.strip_prefix("platdeck_console::").unwrap_or(target)
}

/// A tracing layer that hands each event to tui-logger, its text sanitised first.
pub struct PanelLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PanelLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let text = clean(&fields.0).into_owned();
        let metadata = event.metadata();
        let level = match *metadata.level() {
            tracing::Level::ERROR => log::Level::Error,
            tracing::Level::WARN => log::Level::Warn,
            tracing::Level::INFO => log::Level::Info,
            tracing::Level::DEBUG => log::Level::Debug,
            tracing::Level::TRACE => log::Level::Trace,
        };
        tui_logger::Drain::new().log(
            &log::Record::builder()
                .args(format_args!("{text}"))
                .level(level)
                .target(short_target(metadata.target()))
                .module_path(metadata.module_path())
                .file(metadata.file())
                .line(metadata.line())
                .build(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::Keymap;

    #[test]
    fn opens_scrolls_and_closes_and_other_views_close_it() {
        let mut s = State::new(
            "ctx".into(),
            false,
            None,
            Keymap::default_map().unwrap(),
            jiff::Timestamp::UNIX_EPOCH,
        );
        assert!(on_command(&mut s, Command::Up).is_none(), "closed: not its key");
        open(&mut s);
        assert_eq!(on_command(&mut s, Command::PageUp), Some(vec![]));
        assert_eq!(on_command(&mut s, Command::Quit), None, "quit works as everywhere");
        assert!(s.diagnostics.is_some());
        assert_eq!(on_command(&mut s, Command::Back), Some(vec![]));
        assert!(s.diagnostics.is_none());
        open(&mut s);
        assert_eq!(on_command(&mut s, Command::Applications), None);
        assert!(s.diagnostics.is_none(), "another view closes the panel");
    }

    #[test]
    fn the_panel_shows_the_events_sanitised() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let subscriber = tracing_subscriber::registry().with(PanelLayer);
        tracing::subscriber::with_default(subscriber, || {
            let error = "tcp connect error: \x1b]0;pwned\x07Connection refused (os error 111)";
            tracing::warn!(source = "pods", %error, "watch failed; retrying with backoff");
        });
        collect();
        let mut s = State::new(
            "ctx".into(),
            false,
            None,
            Keymap::default_map().unwrap(),
            jiff::Timestamp::UNIX_EPOCH,
        );
        open(&mut s);
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 20)).unwrap();
        let theme = crate::tui::theme::Theme::new(false);
        terminal.draw(|f| crate::tui::render::render(&s, &theme, f)).unwrap();
        let cells = terminal.backend().buffer().content.iter().map(|c| c.symbol()).collect::<String>();
        assert!(
            cells.contains("watch failed") && cells.contains("Connection refused (os error 111)"),
            "{cells}"
        );
        assert!(!cells.contains('\u{1b}') && !cells.contains("pwned"), "{cells}");
        assert!(cells.contains("diagnostics"), "{cells}");
    }

    #[test]
    fn targets_lose_the_crate_prefix() {
        assert_eq!(short_target("platdeck_console::sources::kube"), "sources::kube");
        assert_eq!(short_target("kube_runtime::watcher"), "kube_runtime::watcher");
    }
}
