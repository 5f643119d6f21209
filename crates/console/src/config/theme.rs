//! The `theme` section: style slots mapped to colours, plus `no_color`.
//!
//! ```yaml
//! theme:
//!   no_color: false
//!   header: cyan
//!   error: "#ff5f5f"
//! ```
//! Slot names are defined by the TUI's embedded default theme, which these entries override.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::color::Color;

const NO_COLOR: &str = "no_color";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Theme {
    /// `Some(true)` draws without colours, `Some(false)` forces them; `None` follows the
    /// `NO_COLOR` environment variable.
    pub no_color: Option<bool>,
    /// Style slot → colour, merged over the embedded default theme.
    pub styles: BTreeMap<String, Color>,
}

/// Slot names are identifiers; anything else is a mistake, not a slot.
pub(crate) fn check_slot_name(name: &str) -> Result<(), String> {
    let valid =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(())
    } else {
        Err(format!("`{name}` is not a style slot name (letters, digits, `_`, `-`, `.`)"))
    }
}

impl Serialize for Theme {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = self.styles.len() + usize::from(self.no_color.is_some());
        let mut map = serializer.serialize_map(Some(len))?;
        if let Some(no_color) = self.no_color {
            map.serialize_entry(NO_COLOR, &no_color)?;
        }
        for (slot, color) in &self.styles {
            map.serialize_entry(slot, color)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Theme {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ThemeVisitor)
    }
}

struct ThemeVisitor;

impl<'de> Visitor<'de> for ThemeVisitor {
    type Value = Theme;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of style slots to colours, and optionally `no_color`")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Theme, E> {
        Ok(Theme::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Theme, A::Error> {
        let mut theme = Theme::default();
        while let Some(key) = map.next_key::<String>()? {
            if key == NO_COLOR {
                theme.no_color = map.next_value()?;
                continue;
            }
            check_slot_name(&key).map_err(de::Error::custom)?;
            let color: Color = map.next_value()?;
            if theme.styles.insert(key.clone(), color).is_some() {
                return Err(de::Error::custom(format!("duplicate style slot `{key}`")));
            }
        }
        Ok(theme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_slots_and_no_color() -> Result<(), serde_norway::Error> {
        let theme: Theme = serde_norway::from_str("no_color: true\nheader: cyan\nerror: '#ff0000'\n")?;
        assert_eq!(theme.no_color, Some(true));
        assert_eq!(theme.styles.get("header"), Some(&Color::Cyan));
        assert_eq!(theme.styles.get("error"), Some(&Color::Rgb(255, 0, 0)));
        Ok(())
    }

    #[test]
    fn round_trips() -> Result<(), serde_norway::Error> {
        let theme: Theme = serde_norway::from_str("no_color: false\nheader: light_blue\n")?;
        let back: Theme = serde_norway::from_str(&serde_norway::to_string(&theme)?)?;
        assert_eq!(back, theme);
        Ok(())
    }

    #[test]
    fn rejects_bad_colour_and_bad_slot() {
        let bad_colour = serde_norway::from_str::<Theme>("header: purpel\n");
        let message = bad_colour.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("unknown colour `purpel`"), "{message}");
        assert!(serde_norway::from_str::<Theme>("'bad slot': red\n").is_err());
    }
}
