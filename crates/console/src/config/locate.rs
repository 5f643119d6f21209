//! Finds the line and column of a key path in a YAML text, for errors found after parsing
//! (validation of the lifecycle policy, names, cross-field rules).
//!
//! It walks the document with serde_norway itself and raises a marker error at the target:
//! serde_norway stamps every error with the position of the node it was reading, so the
//! reported position is exactly the one a type error at that value would have had.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::key_path::{KeyPath, Segment};

const FOUND: &str = "platdeck-locate-found";

/// The 1-based (line, column) of the value at `path`, or of its deepest ancestor present in
/// the text (a key left out of the file shows where its section is).
pub(crate) fn locate(text: &str, path: &KeyPath) -> Option<(usize, usize)> {
    let segments = path.segments();
    (1..=segments.len()).rev().find_map(|depth| locate_exact(text, &segments[..depth]))
}

fn locate_exact(text: &str, segments: &[Segment]) -> Option<(usize, usize)> {
    let deserializer = serde_norway::Deserializer::from_str(text);
    match (Walk { rest: segments }).deserialize(deserializer) {
        Err(err) if err.to_string().contains(FOUND) => err.location().map(|loc| (loc.line(), loc.column())),
        _ => None,
    }
}

/// Descends along `rest`; at the end of the path, fails with the marker.
struct Walk<'a> {
    rest: &'a [Segment],
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let wanted = match self.rest.first() {
            None => return Err(de::Error::custom(FOUND)),
            Some(Segment::Key(key)) => Some(key.as_str()),
            Some(Segment::Index(_)) => None,
        };
        while let Some(key) = map.next_key::<AnyKey>()? {
            if wanted.is_some() && key.0.as_deref() == wanted {
                return map.next_value_seed(Walk { rest: &self.rest[1..] });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let wanted = match self.rest.first() {
            None => return Err(de::Error::custom(FOUND)),
            Some(Segment::Index(index)) => Some(*index),
            Some(Segment::Key(_)) => None,
        };
        let mut position = 0;
        loop {
            if Some(position) == wanted {
                let walk = Walk { rest: &self.rest[1..] };
                return seq.next_element_seed(walk).map(drop);
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
            position += 1;
        }
    }
}

impl Walk<'_> {
    /// A scalar is the target only if the path ends here.
    fn scalar<E: de::Error>(&self) -> Result<(), E> {
        if self.rest.is_empty() { Err(E::custom(FOUND)) } else { Ok(()) }
    }
}

/// A mapping key as text, or `None` for keys that are not scalars.
struct AnyKey(Option<String>);

impl<'de> Deserialize<'de> for AnyKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = AnyKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping key")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<AnyKey, E> {
                Ok(AnyKey(Some(v.to_owned())))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<AnyKey, E> {
                Ok(AnyKey(Some(v.to_string())))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AnyKey, E> {
                Ok(AnyKey(Some(v.to_string())))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AnyKey, E> {
                Ok(AnyKey(Some(v.to_string())))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<AnyKey, E> {
                Ok(AnyKey(Some(v.to_string())))
            }

            fn visit_unit<E: de::Error>(self) -> Result<AnyKey, E> {
                Ok(AnyKey(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyKey, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AnyKey(None))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyKey, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(AnyKey(None))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
cluster:
  namespaces: [a, b]
ecr:
  lifecycle_policy:
    rules:
      - rule_priority: 1
        tag_status: untagged
      - rule_priority: 1
        tag_status: any
loki:
  url: http://x
";

    fn path(keys: &[&str]) -> KeyPath {
        keys.iter().fold(KeyPath::root(), |p, k| match k.parse::<usize>() {
            Ok(i) => p.index(i),
            Err(_) => p.key(k),
        })
    }

    #[test]
    fn finds_scalars_in_nested_sequences() {
        let found = locate(DOC, &path(&["ecr", "lifecycle_policy", "rules", "1", "rule_priority"]));
        assert_eq!(found, Some((8, 24)));
        assert_eq!(locate(DOC, &path(&["loki", "url"])), Some((11, 8)));
        assert_eq!(locate(DOC, &path(&["cluster", "namespaces", "1"])), Some((2, 19)));
    }

    #[test]
    fn falls_back_to_the_deepest_present_ancestor() {
        let found = locate(DOC, &path(&["ecr", "lifecycle_policy", "rules", "1", "count_unit"]));
        assert_eq!(found.map(|(line, _)| line), Some(8));
        assert_eq!(locate(DOC, &path(&["gitops", "path"])), None);
    }
}
