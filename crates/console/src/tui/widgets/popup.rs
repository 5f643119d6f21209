//! Overlays (confirmation, help, palette suggestions) float over the view: a box of the size they
//! need, shrunk to what the terminal has, with the view underneath cleared.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Clear;

/// A `width`×`height` box centred in `area`, never larger than it.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}

/// Blanks the box so the view underneath does not show through.
pub fn clear(frame: &mut Frame, area: Rect) {
    if !area.is_empty() {
        frame.render_widget(Clear, area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_inside() {
        assert_eq!(centered(Rect::new(0, 0, 100, 40), 50, 10), Rect::new(25, 15, 50, 10));
        assert_eq!(centered(Rect::new(0, 0, 10, 3), 50, 10), Rect::new(0, 0, 10, 3));
        assert_eq!(centered(Rect::new(5, 5, 0, 0), 50, 10), Rect::new(5, 5, 0, 0));
    }
}
