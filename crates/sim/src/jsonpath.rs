//! The JSONPath subset of CRD `additionalPrinterColumns`: `.a.b.c` and list filters such as
//! `.status.conditions[?(@.type == "Ready")].status` (the first match, as the apiserver's printer takes it).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
    /// `[?(@.key == "value")]`
    Filter {
        key: String,
        value: String,
    },
}

/// A parsed path; `None` for syntax outside the subset (such columns print nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath(Vec<Step>);

impl JsonPath {
    pub fn parse(text: &str) -> Option<JsonPath> {
        let mut steps = Vec::new();
        let mut rest = text.trim().trim_start_matches('{').trim_end_matches('}');
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                if end == 0 {
                    return None;
                }
                steps.push(Step::Field(after[..end].to_string()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']')?;
                let inner = after[..end].trim();
                rest = &after[end + 1..];
                if let Ok(i) = inner.parse::<usize>() {
                    steps.push(Step::Index(i));
                    continue;
                }
                let cond = inner.strip_prefix("?(")?.strip_suffix(')')?;
                let (left, right) = cond.split_once("==")?;
                let key = left.trim().strip_prefix("@.")?.to_string();
                let value = right.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
                steps.push(Step::Filter { key, value });
            } else {
                return None;
            }
        }
        Some(JsonPath(steps))
    }

    /// The value the path selects in `object`, if any.
    pub fn find<'a>(&self, object: &'a Value) -> Option<&'a Value> {
        let mut at = object;
        for step in &self.0 {
            at = match step {
                Step::Field(name) => at.get(name)?,
                Step::Index(i) => at.get(*i)?,
                Step::Filter { key, value } => at.as_array()?.iter().find(|item| {
                    item.get(key)
                        .is_some_and(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string) == *value)
                })?,
            };
        }
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_and_filters() {
        let o = json!({"status": {"sync": {"status": "Synced"},
            "conditions": [{"type": "Other", "status": "False"}, {"type": "Ready", "status": "True", "message": "ok"}]}});
        assert_eq!(JsonPath::parse(".status.sync.status").unwrap().find(&o), Some(&json!("Synced")));
        let ready = JsonPath::parse(r#".status.conditions[?(@.type == "Ready")].status"#).unwrap();
        assert_eq!(ready.find(&o), Some(&json!("True")));
        assert_eq!(JsonPath::parse(".status.conditions[0].type").unwrap().find(&o), Some(&json!("Other")));
        assert_eq!(JsonPath::parse(".spec.missing").unwrap().find(&o), None);
        assert!(JsonPath::parse("status").is_none());
        assert!(JsonPath::parse(".a[?(@.x > 1)]").is_none());
    }
}
