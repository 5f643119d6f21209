//! Suites and manifests are templates over the config (minijinja, strict: an undefined value is an
//! error naming it, never an empty string). Secrets are not part of the context.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct TemplateError {
    pub name: String,
    pub message: String,
}

/// The values templates see: every config key except secrets, plus `grafana_url` (resolved).
pub fn context(config: &Config) -> Value {
    let mut value = serde_json::to_value(config).unwrap_or(Value::Null);
    if let Some(grafana) = value.get_mut("grafana").and_then(Value::as_object_mut) {
        grafana.remove("token");
    }
    if let Some(loki) = value.get_mut("loki").and_then(Value::as_object_mut) {
        loki.remove("auth");
    }
    if let Some(root) = value.as_object_mut() {
        root.remove("keymap");
        root.remove("theme");
        root.insert("grafana_url".into(), Value::String(config.grafana_url()));
    }
    value
}

/// Renders `text` (named `name` in errors) with the config's values.
pub fn render(name: &str, text: &str, config: &Config) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let error = |e: minijinja::Error| TemplateError { name: name.to_string(), message: describe(&e) };
    env.add_template(name, text).map_err(error)?;
    let template = env.get_template(name).map_err(error)?;
    template.render(minijinja::value::Serde(context(config))).map_err(error)
}

/// The error with its line, as minijinja reports it.
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.to_string();
    if let Some(line) = error.line() {
        text = format!("line {line}: {text}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn config_values_are_rendered() {
        let mut config = Config::default();
        config.ecr.repositories = vec!["a/b".into(), "c".into()];
        let out =
            render("t", "{{ argocd.namespace }} {{ ecr.repositories | tojson }} {{ grafana_url }}", &config)
                .unwrap();
        assert_eq!(out, r#"argocd ["a/b", "c"] https://grafana.example.com"#);
    }

    #[test]
    fn undefined_values_are_errors() {
        let err = render("suite.yaml", "x\n{{ argocd.nope }}", &Config::default()).unwrap_err();
        assert!(err.to_string().starts_with("suite.yaml: line 2:"), "{err}");
        assert!(err.to_string().contains("undefined"), "{err}");
        // Testing for a value and defaulting it are allowed.
        let out = render(
            "t",
            "{{ terraform.dir | default('none') }}{% if terraform.dir is defined %}!{% endif %}",
            &Config::default(),
        )
        .unwrap();
        assert_eq!(out, "none");
    }

    #[test]
    fn secrets_are_not_in_the_context() {
        let mut config = Config::default();
        config.grafana.token = Some(Secret::Value("glsa_secret".into()));
        assert!(!context(&config).to_string().contains("glsa_secret"));
        assert!(render("t", "{{ grafana.token }}", &config).is_err());
    }
}
