//! One module per tab. Each draws into the body (row 3 to the row above the footer) with its
//! cursor table's header on the body's first row, and tells where that table is so a mouse
//! click maps to the row drawn there.
//!
//! `VIEWS` is the one table that describes the tabs: each entry says its title, the names the palette
//! takes, the command (key) that opens it, how its rows derive from the state, which service a row
//! belongs to, where its table sits and how it draws. Adding a view is a module with a `ViewDef` and
//! one variant plus one line here.

pub mod applications;
pub mod diagnostics;
pub mod events;
pub mod logs;
pub mod overview;
pub mod policies;
pub mod scaffold;
pub mod tasks;
pub mod workloads;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::keymap::Command;
use super::state::State;
use super::theme::Theme;
use super::widgets::table;
use platdeck_core::platform::ServiceKey;

/// The tabs, in tab order (the order of `VIEWS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Applications,
    Workloads,
    Policies,
    Events,
    Tasks,
}

/// Everything the console knows about a view.
pub trait ViewDef: Sync {
    fn title(&self) -> &'static str;
    /// What people type in the palette besides the title and its prefixes (`apps`, `pods`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// The command (its key) that opens the view.
    fn command(&self) -> Command;
    /// The view's rows: indices into what it lists, recomputed by `State::refresh` when the
    /// snapshot, the scope or the task run change — never per frame.
    fn derive(&self, state: &State) -> Vec<usize>;
    /// Rows of a second list that follows the cursor (the Workloads view's pods), recomputed when
    /// the cursor moves.
    fn derive_secondary(&self, _state: &State) -> Vec<usize> {
        Vec::new()
    }
    /// The service the row at `row` belongs to.
    fn selected_service(&self, state: &State, row: usize) -> Option<ServiceKey>;
    /// Whether `details` opens a pane (else, on the overview, it narrows to the service).
    fn has_detail(&self) -> bool {
        true
    }
    /// Where its cursor table sits inside `body`.
    fn table_area(&self, state: &State, body: Rect) -> Rect;
    fn draw(&self, state: &State, theme: &Theme, frame: &mut Frame, body: Rect);
}

/// The views, in tab order; `View as usize` indexes it.
pub static VIEWS: [&dyn ViewDef; 6] = [
    &overview::OverviewView,
    &applications::ApplicationsView,
    &workloads::WorkloadsView,
    &policies::PoliciesView,
    &events::EventsView,
    &tasks::TasksView,
];

impl View {
    pub const ALL: [View; 6] =
        [View::Overview, View::Applications, View::Workloads, View::Policies, View::Events, View::Tasks];

    pub fn def(self) -> &'static dyn ViewDef {
        VIEWS[self.index()]
    }

    pub fn title(self) -> &'static str {
        self.def().title()
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// A view by its title, a prefix of it (3+ letters), or the resource names people type (`apps`, `pods`).
    pub fn from_name(name: &str) -> Option<View> {
        let name = name.to_ascii_lowercase();
        let alias = View::ALL.into_iter().find(|v| v.def().aliases().contains(&name.as_str()));
        alias.or_else(|| {
            View::ALL.into_iter().find(|v| {
                let t = v.title().to_ascii_lowercase();
                t == name || (name.len() >= 3 && t.starts_with(&name))
            })
        })
    }

    /// The view a command opens, if it opens one.
    pub fn opened_by(command: Command) -> Option<View> {
        View::ALL.into_iter().find(|v| v.def().command() == command)
    }
}

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    if body.is_empty() {
        return;
    }
    state.view.def().draw(state, theme, frame, body);
}

/// Where the current view's cursor table sits inside `body`.
pub fn cursor_table(state: &State, body: Rect) -> Rect {
    state.view.def().table_area(state, body)
}

/// The row index shown at terminal row `y`, if a row of the cursor table is there.
pub fn row_at(state: &State, body: Rect, y: u16) -> Option<usize> {
    let area = cursor_table(state, body);
    table::row_at(area, state.row_count(state.view), state.cursor(), y)
}

/// The table and the detail pane when they share the body: the table as tall as its rows (at
/// least 4 rows, at most 2/5 of the body, to keep context), the pane gets the rest.
fn split_for_detail(body: Rect, len: usize) -> (Rect, Rect) {
    let most = (body.height * 2 / 5).max(4);
    let wanted = u16::try_from(len.saturating_add(1)).unwrap_or(u16::MAX);
    let table_height = wanted.clamp(4, most).min(body.height);
    let table = Rect { height: table_height, ..body };
    let pane = Rect { y: body.y + table_height, height: body.height - table_height, ..body };
    (table, pane)
}

/// The table's area and, when `detail` is on, the pane's.
fn with_detail(detail: bool, body: Rect, len: usize) -> (Rect, Option<Rect>) {
    if detail {
        let (table, pane) = split_for_detail(body, len);
        (table, Some(pane))
    } else {
        (body, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_enum() {
        for view in View::ALL {
            assert!(std::ptr::eq(VIEWS[view as usize], view.def()));
            assert_eq!(View::opened_by(view.def().command()), Some(view), "{view:?}");
        }
        assert_eq!(VIEWS.len(), View::ALL.len());
    }

    #[test]
    fn views_by_name() {
        assert_eq!(View::from_name("apps"), Some(View::Applications));
        assert_eq!(View::from_name("Events"), Some(View::Events));
        assert_eq!(View::from_name("po"), Some(View::Workloads));
        assert_eq!(View::from_name("xy"), None);
        assert_eq!(View::from_name("pol"), Some(View::Policies));
    }
}
