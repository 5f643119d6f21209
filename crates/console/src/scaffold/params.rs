//! Parameter validation: the platform's own rules (DNS-1123 names, port range) and each template's
//! declared JSON-schema style constraints (`required`, `type`, `pattern`, `enum`, `minimum`, `maximum`,
//! `maxLength`), with defaults filled in. Pure, so the TUI form validates as you type with it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ScaffoldError;
use super::template::{Parameter, Template};

/// The platform's rule for service names and namespaces: a DNS-1123 label.
pub fn dns_label(what: &str, text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("{what} is required"));
    }
    if text.len() > 63 {
        return Err(format!("{what} is {} characters long; at most 63", text.len()));
    }
    if let Some(c) = text.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!("{what} may only hold lowercase letters, digits and '-', not {c:?}"));
    }
    if text.starts_with('-') || text.ends_with('-') {
        return Err(format!("{what} must start and end with a letter or digit"));
    }
    Ok(())
}

pub fn check_name(name: &str) -> Result<(), String> {
    dns_label("the name", name)
}

pub fn check_namespace(namespace: &str) -> Result<(), String> {
    dns_label("the namespace", namespace)
}

/// Owners are catalog entity references (`team-a`, `group:default/team-a`).
pub fn check_owner(owner: &str) -> Result<(), String> {
    if owner.is_empty() {
        return Err("the owner is required".into());
    }
    match owner.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))) {
        Some(c) => Err(format!("the owner may not contain {c:?}")),
        None => Ok(()),
    }
}

pub fn check_port(port: &str) -> Result<u16, String> {
    match port.trim().parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        Ok(p) => Err(format!("port {p} is outside 1-65535")),
        Err(_) => Err(format!("port `{port}` is not a number")),
    }
}

fn bad(field: &str, message: impl Into<String>) -> ScaffoldError {
    ScaffoldError::InvalidParameter { field: field.to_string(), message: message.into() }
}

/// The template's parameters from the given text inputs: platform rules, then the template's own
/// constraints; defaults fill what was not given. An input the template does not declare is an error.
pub fn resolve(
    template: &Template,
    given: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, ScaffoldError> {
    for key in given.keys() {
        if !template.parameters.iter().any(|p| p.name == *key) {
            let declared: Vec<&str> = template.parameters.iter().map(|p| p.name.as_str()).collect();
            return Err(bad(
                key,
                format!(
                    "template {} has no parameter `{key}` (it has: {})",
                    template.name,
                    declared.join(", ")
                ),
            ));
        }
    }
    let platform_rule = |key: &str, text: &str| -> Result<(), String> {
        match key {
            "name" => check_name(text),
            "namespace" => check_namespace(text),
            "owner" => check_owner(text),
            "port" => check_port(text).map(|_| ()),
            _ => Ok(()),
        }
    };
    let mut out = Map::new();
    for parameter in &template.parameters {
        let key = parameter.name.as_str();
        let value = match given.get(key) {
            Some(text) => {
                platform_rule(key, text).map_err(|m| bad(key, m))?;
                typed(parameter, text)?
            }
            None => match &parameter.default {
                Some(default) => default.clone(),
                None if parameter.required => return Err(bad(key, format!("`{key}` is required"))),
                None => continue,
            },
        };
        if let Some(text) = value.as_str() {
            platform_rule(key, text).map_err(|m| bad(key, m))?;
        }
        constraints(parameter, &value)?;
        out.insert(key.to_string(), value);
    }
    Ok(out)
}

/// Text input to the parameter's declared type.
fn typed(parameter: &Parameter, text: &str) -> Result<Value, ScaffoldError> {
    let key = &parameter.name;
    match parameter.kind.as_deref() {
        Some("integer") => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad(key, format!("`{text}` is not an integer"))),
        Some("number") => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad(key, format!("`{text}` is not a number"))),
        Some("boolean") => match text.trim() {
            "true" | "yes" => Ok(Value::Bool(true)),
            "false" | "no" => Ok(Value::Bool(false)),
            _ => Err(bad(key, format!("`{text}` is not true or false"))),
        },
        _ => Ok(Value::String(text.to_string())),
    }
}

fn constraints(parameter: &Parameter, value: &Value) -> Result<(), ScaffoldError> {
    let key = &parameter.name;
    if let (Some(pattern), Some(text)) = (&parameter.pattern, value.as_str()) {
        // JSON schema patterns are unanchored searches, as in Backstage's form.
        let re = regex::Regex::new(pattern)
            .map_err(|e| bad(key, format!("the template's pattern `{pattern}` is invalid: {e}")))?;
        if !re.is_match(text) {
            return Err(bad(key, format!("`{text}` does not match the pattern {pattern}")));
        }
    }
    if let (Some(max), Some(text)) = (parameter.max_length, value.as_str())
        && text.chars().count() > max
    {
        return Err(bad(key, format!("at most {max} characters")));
    }
    if let Some(choices) = &parameter.choices
        && !choices.contains(value)
    {
        let list: Vec<String> = choices.iter().map(|c| c.to_string()).collect();
        return Err(bad(key, format!("{value} is not one of {}", list.join(", "))));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = parameter.minimum
            && n < min
        {
            return Err(bad(key, format!("{n} is below the minimum {min}")));
        }
        if let Some(max) = parameter.maximum
            && n > max
        {
            return Err(bad(key, format!("{n} is above the maximum {max}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::template::load;

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn names_are_dns_1123_labels() {
        assert!(check_name("orders-api").is_ok());
        assert!(check_name("a").is_ok());
        assert!(check_name(&"a".repeat(63)).is_ok());
        assert!(check_name(&"a".repeat(64)).unwrap_err().contains("at most 63"));
        assert!(check_name("Orders").unwrap_err().contains("lowercase"));
        assert!(check_name("orders_api").is_err());
        assert!(check_name("-orders").unwrap_err().contains("start and end"));
        assert!(check_name("orders-").is_err());
        assert!(check_name("").unwrap_err().contains("required"));
        assert!(check_namespace("platform-services").is_ok());
        assert!(check_namespace("Platform").is_err());
    }

    #[test]
    fn ports_are_in_range() {
        assert_eq!(check_port("3000"), Ok(3000));
        assert!(check_port("0").is_err());
        assert!(check_port("65536").unwrap_err().contains("outside"));
        assert!(check_port("http").unwrap_err().contains("not a number"));
    }

    #[test]
    fn owners_are_entity_references() {
        assert!(check_owner("group:default/team-a").is_ok());
        assert!(check_owner("team a").is_err());
        assert!(check_owner("").is_err());
    }

    #[test]
    fn defaults_fill_what_was_not_given_and_types_follow_the_template() {
        let t = load("node-express").unwrap();
        let p = resolve(&t, &given(&[("name", "orders-api"), ("port", "8080")])).unwrap();
        assert_eq!(p["name"], "orders-api");
        assert_eq!(p["port"], 8080, "integer parameters become numbers");
        assert_eq!(p["namespace"], "platform-services");
        assert_eq!(p["owner"], "platform-team");
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let t = load("node-express").unwrap();
        let err = |pairs: &[(&str, &str)]| resolve(&t, &given(pairs)).unwrap_err().to_string();
        assert!(err(&[("name", "Bad_Name")]).contains("name"));
        assert!(err(&[("name", "ok"), ("port", "80")]).contains("below the minimum 1024"));
        assert!(err(&[("name", "ok"), ("port", "99999")]).contains("outside 1-65535"));
        assert!(err(&[("name", "ok"), ("color", "red")]).contains("no parameter `color`"));
        assert!(err(&[]).contains("`name` is required"));
    }

    #[test]
    fn enums_and_patterns_of_user_templates_are_enforced() {
        let mut t = load("node-express").unwrap();
        t.parameters.push(Parameter {
            name: "tier".into(),
            choices: Some(vec!["gold".into(), "silver".into()]),
            ..Parameter::default()
        });
        assert!(resolve(&t, &given(&[("name", "ok"), ("tier", "gold")])).is_ok());
        let err = resolve(&t, &given(&[("name", "ok"), ("tier", "bronze")])).unwrap_err().to_string();
        assert!(err.contains("not one of"), "{err}");
    }
}
