//! Key specs as written in the keymap (`j`, `ctrl-c`, `shift-tab`, `f5`): parsed and checked
//! here, without a terminal library, so config stays independent of crossterm. The TUI maps a
//! [`KeySpec`] to its key events.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The key itself, without modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyName {
    /// A printable character; `' '` is written `space`.
    Char(char),
    /// Function key F1–F24.
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
}

/// A key with its modifiers, in canonical form: `shift-x` is stored as `X` and `shift-tab`
/// as `backtab`, because that is what terminals report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec {
    pub code: KeyName,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl KeySpec {
    /// A key without modifiers.
    pub fn plain(code: KeyName) -> Self {
        Self { code, ctrl: false, alt: false, shift: false }
    }

    /// Ctrl plus a character, the commonest chord.
    pub fn ctrl(c: char) -> Self {
        Self { ctrl: true, ..Self::plain(KeyName::Char(c)) }
    }
}

/// Named keys: (spelling, key). The first spelling of a key is its canonical one.
const NAMED: &[(&str, KeyName)] = &[
    ("space", KeyName::Char(' ')),
    ("enter", KeyName::Enter),
    ("return", KeyName::Enter),
    ("esc", KeyName::Esc),
    ("escape", KeyName::Esc),
    ("tab", KeyName::Tab),
    ("backtab", KeyName::BackTab),
    ("backspace", KeyName::Backspace),
    ("delete", KeyName::Delete),
    ("del", KeyName::Delete),
    ("insert", KeyName::Insert),
    ("ins", KeyName::Insert),
    ("home", KeyName::Home),
    ("end", KeyName::End),
    ("pageup", KeyName::PageUp),
    ("pgup", KeyName::PageUp),
    ("pagedown", KeyName::PageDown),
    ("pgdn", KeyName::PageDown),
    ("up", KeyName::Up),
    ("down", KeyName::Down),
    ("left", KeyName::Left),
    ("right", KeyName::Right),
];

#[derive(Clone, Copy)]
enum Modifier {
    Ctrl,
    Alt,
    Shift,
}

const MODIFIERS: &[(&str, Modifier)] = &[
    ("ctrl", Modifier::Ctrl),
    ("control", Modifier::Ctrl),
    ("alt", Modifier::Alt),
    ("meta", Modifier::Alt),
    ("shift", Modifier::Shift),
];

/// Splits a leading `ctrl-`/`ctrl+` (any modifier spelling, any case) off `spec`, as long as
/// something is left for the key, so `ctrl--` is ctrl plus `-`.
fn strip_modifier(spec: &str) -> Option<(Modifier, &str)> {
    MODIFIERS.iter().find_map(|&(name, modifier)| {
        let head = spec.get(..name.len())?;
        let rest = spec.get(name.len()..)?;
        let key = rest.strip_prefix(['-', '+'])?;
        (head.eq_ignore_ascii_case(name) && !key.is_empty()).then_some((modifier, key))
    })
}

fn parse_name(name: &str) -> Result<KeyName, String> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyName::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if let Some(&(_, key)) = NAMED.iter().find(|(spelling, _)| *spelling == lower) {
        return Ok(key);
    }
    if let Some(number) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
        return if (1..=24).contains(&number) {
            Ok(KeyName::F(number))
        } else {
            Err(format!("no function key `{name}` (f1 to f24)"))
        };
    }
    Err(format!(
        "unknown key `{name}` (a single character, f1-f24, or one of: space, enter, esc, tab, \
         backtab, backspace, delete, insert, home, end, pageup, pagedown, up, down, left, right)"
    ))
}

/// Parses a key spec such as `j`, `G`, `ctrl-c`, `alt+enter`, `shift-tab` or `f5`.
pub fn parse_key_spec(spec: &str) -> Result<KeySpec, String> {
    if spec.is_empty() {
        return Err("empty key spec".into());
    }
    if spec.chars().any(char::is_whitespace) {
        return Err(format!("`{spec}`: key specs contain no spaces (write `space` for the space bar)"));
    }
    let (mut ctrl, mut alt, mut shift) = (false, false, false);
    let mut rest = spec;
    while let Some((modifier, key)) = strip_modifier(rest) {
        let flag = match modifier {
            Modifier::Ctrl => &mut ctrl,
            Modifier::Alt => &mut alt,
            Modifier::Shift => &mut shift,
        };
        if *flag {
            return Err(format!("`{spec}`: a modifier is given twice"));
        }
        *flag = true;
        rest = key;
    }
    let mut code = parse_name(rest).map_err(|why| format!("`{spec}`: {why}"))?;
    if shift {
        match code {
            KeyName::Char(c) if c.is_ascii_alphabetic() => {
                code = KeyName::Char(c.to_ascii_uppercase());
                shift = false;
            }
            KeyName::Tab | KeyName::BackTab => {
                code = KeyName::BackTab;
                shift = false;
            }
            // Terminals send the shifted character itself, so `shift-/` would never match.
            KeyName::Char(_) => {
                return Err(format!(
                    "`{spec}`: write the shifted character itself (`?` rather than `shift-/`)"
                ));
            }
            _ => {}
        }
    }
    Ok(KeySpec { code, ctrl, alt, shift })
}

impl FromStr for KeySpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_key_spec(s)
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let KeyName::F(n) = self {
            return write!(f, "f{n}");
        }
        if let Some((spelling, _)) = NAMED.iter().find(|(_, key)| key == self) {
            return f.write_str(spelling);
        }
        match self {
            KeyName::Char(c) => write!(f, "{c}"),
            // Every other key has a spelling in NAMED.
            _ => write!(f, "{self:?}"),
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        write!(f, "{}", self.code)
    }
}

impl Serialize for KeySpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeySpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl Visitor<'_> for SpecVisitor {
            type Value = KeySpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key spec such as `j`, `ctrl-c` or `f5`")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<KeySpec, E> {
                // Checked inside the visitor so the YAML parser pins the error to this value.
                parse_key_spec(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(SpecVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(code: KeyName, ctrl: bool, alt: bool, shift: bool) -> KeySpec {
        KeySpec { code, ctrl, alt, shift }
    }

    #[test]
    fn parses_plain_keys() {
        assert_eq!(parse_key_spec("j"), Ok(KeySpec::plain(KeyName::Char('j'))));
        assert_eq!(parse_key_spec("G"), Ok(KeySpec::plain(KeyName::Char('G'))));
        assert_eq!(parse_key_spec("?"), Ok(KeySpec::plain(KeyName::Char('?'))));
        assert_eq!(parse_key_spec("-"), Ok(KeySpec::plain(KeyName::Char('-'))));
        assert_eq!(parse_key_spec("F5"), Ok(KeySpec::plain(KeyName::F(5))));
        assert_eq!(parse_key_spec("Enter"), Ok(KeySpec::plain(KeyName::Enter)));
        assert_eq!(parse_key_spec("pgdn"), Ok(KeySpec::plain(KeyName::PageDown)));
        assert_eq!(parse_key_spec("space"), Ok(KeySpec::plain(KeyName::Char(' '))));
    }

    #[test]
    fn parses_modifiers() {
        assert_eq!(parse_key_spec("ctrl-c"), Ok(KeySpec::ctrl('c')));
        assert_eq!(parse_key_spec("Ctrl+c"), Ok(KeySpec::ctrl('c')));
        assert_eq!(parse_key_spec("ctrl-alt-delete"), Ok(spec(KeyName::Delete, true, true, false)));
        assert_eq!(parse_key_spec("ctrl--"), Ok(KeySpec::ctrl('-')));
        assert_eq!(parse_key_spec("alt-+"), Ok(spec(KeyName::Char('+'), false, true, false)));
        assert_eq!(parse_key_spec("shift-up"), Ok(spec(KeyName::Up, false, false, true)));
    }

    #[test]
    fn canonicalises_shift() {
        assert_eq!(parse_key_spec("shift-g"), Ok(KeySpec::plain(KeyName::Char('G'))));
        assert_eq!(parse_key_spec("shift-tab"), Ok(KeySpec::plain(KeyName::BackTab)));
        assert!(parse_key_spec("shift-/").is_err());
    }

    #[test]
    fn rejects_mistakes() {
        for bad in ["", "ctrl-", "ctrl-ctrl-c", "ctl-c", "f0", "f25", "enterr", "a b", " "] {
            assert!(parse_key_spec(bad).is_err(), "{bad:?} should be rejected");
        }
        let message = parse_key_spec("ctrl-foo").err().unwrap_or_default();
        assert!(message.contains("unknown key `foo`"), "{message}");
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "j",
            "G",
            "ctrl-c",
            "alt-enter",
            "ctrl-alt-shift-f12",
            "space",
            "backtab",
            "ctrl--",
            "pageup",
            "shift-home",
        ] {
            let parsed = parse_key_spec(text);
            let shown = parsed.as_ref().map(ToString::to_string);
            assert_eq!(shown.as_deref(), Ok(text));
        }
    }
}
