//! Warning events, the cluster's own account of what went wrong (BackOff, Unhealthy,
//! FailedScheduling …), as `kubectl get events --field-selector type=Warning` lists them.
//! `details` shows the full message of the selected event.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::with_detail;
use crate::tui::keymap::Command;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::views::ViewDef;
use crate::tui::widgets::age::age;
use crate::tui::widgets::pane::pane;
use crate::tui::widgets::table::{self, TableSpec};
use platdeck_core::platform::EventInfo;
use platdeck_core::platform::ServiceKey;
use platdeck_core::sanitize::clean;

pub fn table_area(state: &State, body: Rect) -> Rect {
    with_detail(state.detail, body, state.row_count(state.view)).0
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    let events = state.events();
    let (area, pane) = with_detail(state.detail, body, events.len());
    let all_namespaces = state.scope.namespace.is_none();
    let shown = table::window(area, events.len(), Some(state.cursor()));
    let on_screen = || events.get(shown.clone()).unwrap_or_default().iter();
    let mut columns = Vec::with_capacity(6);
    columns.push(("LAST SEEN", Constraint::Length(9)));
    if all_namespaces {
        columns.push((
            "NAMESPACE",
            table::fit("NAMESPACE", on_screen().map(|e| e.namespace.chars().count()), 9, 30),
        ));
    }
    let object_widths =
        on_screen().map(|e| e.object_kind.chars().count() + 1 + e.object_name.chars().count());
    columns.extend([
        ("REASON", table::fit("REASON", on_screen().map(|e| e.reason.chars().count()), 8, 28)),
        ("OBJECT", table::fit("OBJECT", object_widths, 12, 64)),
        ("COUNT", Constraint::Length(5)),
        ("MESSAGE", Constraint::Fill(1)),
    ]);
    let spec = TableSpec {
        columns: &columns,
        len: events.len(),
        cursor: Some(state.cursor()),
        empty: "no warning events in this scope ✓",
    };
    table::draw(frame, area, theme, &spec, |i| {
        let Some(e) = events.get(i) else { return Row::default() };
        let mut cells = Vec::with_capacity(6);
        cells.push(table::owned(age(state.now, e.last_seen), theme.muted));
        if all_namespaces {
            cells.push(table::text(&e.namespace, theme.muted));
        }
        cells.extend([
            table::text(&e.reason, theme.warn),
            table::owned(object(e), theme.text),
            table::owned(e.count.to_string(), if e.count > 1 { theme.warn } else { theme.text }),
            table::text(&e.message, theme.text),
        ]);
        Row::new(cells)
    });
    if let Some(pane) = pane {
        draw_detail(state, theme, frame, pane, events.get(state.cursor()).map(|e| &***e));
    }
}

/// `pod/payments-api-7d9f8b6c5d-x2x9z`, as kubectl names involved objects.
fn object(e: &EventInfo) -> String {
    clean(&format!("{}/{}", e.object_kind.to_lowercase(), e.object_name)).into_owned()
}

fn draw_detail(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, e: Option<&EventInfo>) {
    if area.is_empty() {
        return;
    }
    let Some(e) = e else { return };
    let block = pane(format!(" {} · {} ", clean(&e.reason), object(e)), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label = |s: &'static str| Span::styled(format!("{s:<11}"), theme.table_header);
    let lines = vec![
        Line::from(vec![
            label("namespace"),
            Span::styled(clean(&e.namespace).into_owned(), theme.text),
            Span::styled(
                format!(
                    "   seen {} time{}, last {} ago",
                    e.count,
                    if e.count == 1 { "" } else { "s" },
                    age(state.now, e.last_seen)
                ),
                theme.muted,
            ),
        ]),
        Line::from(vec![label("event"), Span::styled(clean(&e.name).into_owned(), theme.muted)]),
        Line::from(vec![label("message"), Span::styled(clean(&e.message).into_owned(), theme.text)]),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The Events view in the views table.
pub struct EventsView;

impl ViewDef for EventsView {
    fn title(&self) -> &'static str {
        "Events"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["ev", "event"]
    }
    fn command(&self) -> Command {
        Command::Events
    }
    fn derive(&self, state: &State) -> Vec<usize> {
        let events = state.snapshot.events.iter().enumerate();
        events
            .filter(|(_, e)| e.warning && state.scope.matches_event(e, &state.services))
            .map(|(i, _)| i)
            .collect()
    }
    fn selected_service(&self, state: &State, row: usize) -> Option<ServiceKey> {
        let e = state.events().get(row).map(|e| (*e).clone())?;
        state.services.iter().find(|s| s.events.iter().any(|x| x.name == e.name)).map(|s| s.key.clone())
    }
    fn table_area(&self, state: &State, body: Rect) -> Rect {
        table_area(state, body)
    }
    fn draw(&self, state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
        draw(state, theme, frame, body)
    }
}
