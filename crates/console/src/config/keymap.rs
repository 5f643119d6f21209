//! The `keymap` section: action name → one key spec or a list of them.
//!
//! ```yaml
//! keymap:
//!   quit: [q, ctrl-c]
//!   refresh: f5
//!   redeploy: []      # an empty list unbinds the action
//! ```
//! Only the key syntax is checked here; the TUI merges these overrides over its embedded
//! default keymap and knows which action names exist.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::keyspec::{KeySpec, parse_key_spec};

/// Action → keys, as stored in [`Config::keymap`](super::Config::keymap).
pub type Keymap = BTreeMap<String, Vec<KeySpec>>;

/// Action names are identifiers such as `quit` or `logs.follow`.
pub(crate) fn check_action_name(name: &str) -> Result<(), String> {
    let valid =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(())
    } else {
        Err(format!("`{name}` is not an action name (letters, digits, `_`, `-`, `.`)"))
    }
}

/// `deserialize_with` for the keymap: each value is one key spec or a list of them.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Keymap, D::Error> {
    deserializer.deserialize_map(KeymapVisitor)
}

struct KeymapVisitor;

impl<'de> Visitor<'de> for KeymapVisitor {
    type Value = Keymap;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of action names to a key or a list of keys")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Keymap, E> {
        Ok(Keymap::new())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keymap, A::Error> {
        let mut keymap = Keymap::new();
        while let Some(action) = map.next_key::<String>()? {
            check_action_name(&action).map_err(de::Error::custom)?;
            let keys: OneOrMany = map.next_value()?;
            if keymap.insert(action.clone(), keys.0).is_some() {
                return Err(de::Error::custom(format!("duplicate action `{action}`")));
            }
        }
        Ok(keymap)
    }
}

/// `q` or `[q, ctrl-c]`.
struct OneOrMany(Vec<KeySpec>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = OneOrMany;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key spec such as `ctrl-c`, or a list of them")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                parse_key_spec(value).map(|key| OneOrMany(vec![key])).map_err(E::custom)
            }

            // YAML reads `1` or `true` as numbers and booleans; as keys they are characters.
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<OneOrMany, E> {
                self.visit_str(&value.to_string())
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<OneOrMany, E> {
                self.visit_str(&value.to_string())
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<KeySpec>()? {
                    keys.push(key);
                }
                Ok(OneOrMany(keys))
            }
        }
        deserializer.deserialize_any(KeysVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keyspec::KeyName;

    #[derive(Debug, Deserialize)]
    struct Wrapper {
        #[serde(deserialize_with = "deserialize")]
        keymap: Keymap,
    }

    fn parse(yaml: &str) -> Result<Keymap, serde_norway::Error> {
        serde_norway::from_str::<Wrapper>(yaml).map(|w| w.keymap)
    }

    #[test]
    fn accepts_one_key_or_a_list() -> Result<(), serde_norway::Error> {
        let keymap = parse("keymap:\n  quit: [q, ctrl-c]\n  refresh: f5\n  top: 1\n  none: []\n")?;
        assert_eq!(keymap.get("quit"), Some(&vec![KeySpec::plain(KeyName::Char('q')), KeySpec::ctrl('c')]));
        assert_eq!(keymap.get("refresh"), Some(&vec![KeySpec::plain(KeyName::F(5))]));
        assert_eq!(keymap.get("top"), Some(&vec![KeySpec::plain(KeyName::Char('1'))]));
        assert_eq!(keymap.get("none"), Some(&vec![]));
        Ok(())
    }

    #[test]
    fn rejects_bad_key_specs() {
        for yaml in ["keymap:\n  quit: ctrl-foo\n", "keymap:\n  quit: [q, shift-/]\n"] {
            assert!(parse(yaml).is_err(), "{yaml}");
        }
    }
}
