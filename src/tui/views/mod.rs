//! One module per tab. Each draws into the body (row 3 to the row above the footer) with its
//! cursor table's header on the body's first row, and tells where that table is so a mouse
//! click maps to the row drawn there.

pub mod applications;
pub mod events;
pub mod overview;
pub mod policies;
pub mod workloads;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::state::{State, View};
use super::theme::Theme;
use super::widgets::table;

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, body: Rect) {
    if body.is_empty() {
        return;
    }
    match state.view {
        View::Overview => overview::draw(state, theme, frame, body),
        View::Applications => applications::draw(state, theme, frame, body),
        View::Workloads => workloads::draw(state, theme, frame, body),
        View::Policies => policies::draw(state, theme, frame, body),
        View::Events => events::draw(state, theme, frame, body),
    }
}

/// Where the current view's cursor table sits inside `body`.
pub fn cursor_table(state: &State, body: Rect) -> Rect {
    match state.view {
        View::Overview => overview::table_area(body),
        View::Applications => applications::table_area(state, body),
        View::Workloads => workloads::table_area(state, body),
        View::Policies => policies::table_area(state, body),
        View::Events => events::table_area(state, body),
    }
}

/// The row index shown at terminal row `y`, if a row of the cursor table is there.
pub fn row_at(state: &State, body: Rect, y: u16) -> Option<usize> {
    let area = cursor_table(state, body);
    table::row_at(area, state.row_count(state.view), state.cursor(), y)
}

/// Height of the table when a detail pane shares the body: enough rows to keep context, the rest
/// for the pane.
fn split_for_detail(body: Rect) -> (Rect, Rect) {
    let table_height = (body.height * 2 / 5).max(4).min(body.height);
    let table = Rect { height: table_height, ..body };
    let pane = Rect { y: body.y + table_height, height: body.height - table_height, ..body };
    (table, pane)
}
