//! The diagnostics panel over the body: tui-logger's smart widget (targets with their levels on the
//! left, the console's own events on the right), titled with the level and the log file it mirrors.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Clear;
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerSmartWidget};

use crate::tui::diagnostics::DiagnosticsPane;
use crate::tui::keymap::Command;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::widgets::footer::short_key;

pub fn draw(state: &State, pane: &DiagnosticsPane, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.height < 3 || area.width < 20 {
        return;
    }
    frame.render_widget(Clear, area);
    let km = &state.keymap;
    let keys =
        [(Command::FewerLevels, "fewer"), (Command::MoreLevels, "more levels"), (Command::Back, "close")]
            .iter()
            .filter_map(|(c, what)| short_key(km, *c).map(|k| format!("{k} {what}")))
            .collect::<Vec<_>>()
            .join(" · ");
    let log_file = crate::logging::log_file_path();
    let widget = TuiLoggerSmartWidget::default()
        .title_target(Span::styled(" targets ", theme.title))
        .title_log(Span::styled(
            format!(" diagnostics · the console's own log (also in {}) · {keys} ", log_file.display()),
            theme.title,
        ))
        .border_style(theme.border)
        .style(theme.text)
        .style_error(theme.error)
        .style_warn(theme.warn)
        .style_info(theme.info)
        .style_debug(theme.muted)
        .style_trace(theme.muted)
        .highlight_style(theme.selected)
        .output_separator(' ')
        .output_timestamp(Some("%H:%M:%S".to_string()))
        .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
        .output_target(true)
        .output_file(false)
        .output_line(false)
        .state(&pane.widget);
    frame.render_widget(widget, area);
}
