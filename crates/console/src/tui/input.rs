//! Terminal events to actions: crossterm's key and mouse events become the UI's own terminal-neutral
//! `KeySpec`s and mouse actions.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind};

use super::action::{Action, MouseKind};
use crate::config::{KeyName, KeySpec};

pub fn to_action(event: Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => key_spec(key).map(Action::Key),
        Event::Mouse(m) => {
            let kind = match m.kind {
                MouseEventKind::Down(MouseButton::Left) => MouseKind::Click,
                MouseEventKind::ScrollUp => MouseKind::ScrollUp,
                MouseEventKind::ScrollDown => MouseKind::ScrollDown,
                _ => return None,
            };
            Some(Action::Mouse { kind, column: m.column, row: m.row })
        }
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        _ => None,
    }
}

pub fn key_spec(key: KeyEvent) -> Option<KeySpec> {
    let code = match key.code {
        KeyCode::Char(c) => KeyName::Char(c),
        KeyCode::F(n) => KeyName::F(n),
        KeyCode::Enter => KeyName::Enter,
        KeyCode::Esc => KeyName::Esc,
        KeyCode::Tab => KeyName::Tab,
        KeyCode::BackTab => KeyName::BackTab,
        KeyCode::Backspace => KeyName::Backspace,
        KeyCode::Delete => KeyName::Delete,
        KeyCode::Insert => KeyName::Insert,
        KeyCode::Home => KeyName::Home,
        KeyCode::End => KeyName::End,
        KeyCode::PageUp => KeyName::PageUp,
        KeyCode::PageDown => KeyName::PageDown,
        KeyCode::Up => KeyName::Up,
        KeyCode::Down => KeyName::Down,
        KeyCode::Left => KeyName::Left,
        KeyCode::Right => KeyName::Right,
        _ => return None,
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    // Terminals report shift on characters as the shifted character itself.
    let shift =
        key.modifiers.contains(KeyModifiers::SHIFT) && !matches!(code, KeyName::Char(_) | KeyName::BackTab);
    let code = match code {
        KeyName::Char(c) if ctrl => KeyName::Char(c.to_ascii_lowercase()),
        other => other,
    };
    Some(KeySpec { code, ctrl, alt, shift })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_specs() {
        let k = |code, mods| key_spec(KeyEvent::new(code, mods)).unwrap();
        assert_eq!(k(KeyCode::Char('j'), KeyModifiers::NONE), KeySpec::plain(KeyName::Char('j')));
        assert_eq!(k(KeyCode::Char('G'), KeyModifiers::SHIFT), KeySpec::plain(KeyName::Char('G')));
        assert_eq!(k(KeyCode::Char('c'), KeyModifiers::CONTROL), KeySpec::ctrl('c'));
        assert_eq!(k(KeyCode::BackTab, KeyModifiers::SHIFT), KeySpec::plain(KeyName::BackTab));
    }
}
