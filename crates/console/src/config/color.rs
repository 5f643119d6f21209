//! Theme colours as written in the config: a name (`red`, `light_blue`, `dark_gray`), a
//! 256-colour index (`208`) or `#rrggbb`. Modelled here without a terminal library; the TUI
//! converts (the canonical spellings are also accepted by ratatui's `Color::from_str`).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Color {
    /// The terminal's default colour.
    Reset,
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
    /// An entry of the 256-colour palette.
    Indexed(u8),
    /// A 24-bit colour, `#rrggbb`.
    Rgb(u8, u8, u8),
}

/// Canonical names, in the form shown by `Display`.
const NAMES: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark_gray", Color::DarkGray),
    ("light_red", Color::LightRed),
    ("light_green", Color::LightGreen),
    ("light_yellow", Color::LightYellow),
    ("light_blue", Color::LightBlue),
    ("light_magenta", Color::LightMagenta),
    ("light_cyan", Color::LightCyan),
    ("white", Color::White),
];

/// `Light Blue`, `light-blue`, `lightblue`, `bright_blue` and `light_blue` are one colour;
/// `grey` is `gray`.
fn normalise(name: &str) -> String {
    name.to_ascii_lowercase().replace([' ', '-', '_'], "").replace("bright", "light").replace("grey", "gray")
}

fn parse_hex(text: &str) -> Option<Color> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |at: usize| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok();
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

/// Parses a colour: a name, a palette index 0–255, or `#rrggbb`.
pub fn parse_color(text: &str) -> Result<Color, String> {
    if text.starts_with('#') {
        return parse_hex(text).ok_or_else(|| format!("`{text}` is not a #rrggbb colour"));
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| format!("colour index `{text}` is out of range (0-255)"));
    }
    let wanted = normalise(text);
    NAMES.iter().find(|(name, _)| normalise(name) == wanted).map(|&(_, color)| color).ok_or_else(|| {
        format!(
            "unknown colour `{text}` (a name such as red, light_blue or dark_gray, \
                 a palette index 0-255, or #rrggbb)"
        )
    })
}

impl FromStr for Color {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_color(s)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Color::Indexed(index) => write!(f, "{index}"),
            Color::Rgb(r, g, b) => write!(f, "#{r:02x}{g:02x}{b:02x}"),
            named => {
                let name = NAMES.iter().find(|(_, c)| c == named).map(|(n, _)| *n);
                f.write_str(name.unwrap_or("reset"))
            }
        }
    }
}

impl Serialize for Color {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ColorVisitor;
        impl Visitor<'_> for ColorVisitor {
            type Value = Color;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a colour name, a palette index 0-255 or #rrggbb")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Color, E> {
                // Checked inside the visitor so the YAML parser pins the error to this value.
                parse_color(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(ColorVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_in_any_spelling() {
        for text in ["light_blue", "Light Blue", "light-blue", "lightblue", "bright_blue"] {
            assert_eq!(parse_color(text), Ok(Color::LightBlue), "{text}");
        }
        assert_eq!(parse_color("grey"), Ok(Color::Gray));
        assert_eq!(parse_color("dark_grey"), Ok(Color::DarkGray));
    }

    #[test]
    fn parses_indices_and_hex() {
        assert_eq!(parse_color("208"), Ok(Color::Indexed(208)));
        assert_eq!(parse_color("#1e90FF"), Ok(Color::Rgb(0x1e, 0x90, 0xff)));
    }

    #[test]
    fn rejects_bad_colours() {
        for bad in ["purpel", "#12345", "#12345g", "#1234567", "256", "", "#"] {
            assert!(parse_color(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["red", "dark_gray", "light_magenta", "reset", "17", "#00ff7f"] {
            let shown = parse_color(text).map(|c| c.to_string());
            assert_eq!(shown.as_deref(), Ok(text));
        }
    }
}
