//! One module per tab. Each draws into the body (row 3 to the row above the footer) with its
//! cursor table's header on the body's first row, and tells where that table is so a mouse
//! click maps to the row drawn there.

pub mod applications;
pub mod events;
pub mod logs;
pub mod overview;
pub mod policies;
pub mod scaffold;
pub mod tasks;
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
        View::Tasks => tasks::draw(state, theme, frame, body),
    }
}

/// Where the current view's cursor table sits inside `body`.
pub fn cursor_table(state: &State, body: Rect) -> Rect {
    match state.view {
        View::Overview => overview::table_area(state, body),
        View::Applications => applications::table_area(state, body),
        View::Workloads => workloads::table_area(state, body),
        View::Policies => policies::table_area(state, body),
        View::Events => events::table_area(state, body),
        View::Tasks => tasks::table_area(state, body),
    }
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
