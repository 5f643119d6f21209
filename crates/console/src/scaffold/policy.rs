//! The platform's Kyverno rules, checked on generated manifests before anything is written: the real
//! ClusterPolicy (`assets/policies/require-observability-labels.yaml`), its rules matched by kind and
//! their `validate.pattern` evaluated with Kyverno's semantics. A violation stops the scaffold with the
//! rule's own message — even though the policy audits, a golden-path service starts compliant.

use serde_json::Value;

use super::ScaffoldError;
use platdeck_core::kyverno::pattern::{MismatchKind, match_pattern};

/// One rule of a ClusterPolicy that validates with a pattern.
#[derive(Debug, Clone)]
pub struct Rule {
    pub policy: String,
    pub name: String,
    pub kinds: Vec<String>,
    pub message: String,
    pub pattern: Value,
}

/// The rules of a ClusterPolicy's YAML (rules without `validate.pattern` are not checked here).
pub fn rules(policy_yaml: &str) -> Result<Vec<Rule>, String> {
    let policy: Value = serde_norway::from_str(policy_yaml).map_err(|e| e.to_string())?;
    let name = policy.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("policy").to_string();
    let mut out = Vec::new();
    for rule in policy.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten() {
        let Some(pattern) = rule.pointer("/validate/pattern") else { continue };
        let kinds = ["any", "all"]
            .iter()
            .filter_map(|k| rule.pointer(&format!("/match/{k}")).and_then(Value::as_array))
            .flatten()
            .chain(rule.get("match"))
            .filter_map(|m| m.pointer("/resources/kinds").and_then(Value::as_array))
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        out.push(Rule {
            policy: name.clone(),
            name: rule.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            kinds,
            message: rule
                .pointer("/validate/message")
                .and_then(Value::as_str)
                .unwrap_or("validation failed")
                .trim()
                .to_string(),
            pattern: pattern.clone(),
        });
    }
    Ok(out)
}

/// The platform's rules (the embedded ClusterPolicy).
pub fn platform_rules() -> Vec<Rule> {
    crate::assets::policy("require-observability-labels").and_then(|y| rules(y).ok()).unwrap_or_default()
}

/// Parses a manifest file (one or more YAML documents) into objects.
pub fn objects(file: &str, text: &str) -> Result<Vec<Value>, ScaffoldError> {
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value: Value = serde::Deserialize::deserialize(document).map_err(|e| ScaffoldError::Render {
            file: file.to_string(),
            message: format!("not YAML: {e}"),
        })?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

/// Checks every object against every rule whose kinds include its kind.
pub fn check(file: &str, objects: &[Value], rules: &[Rule]) -> Result<(), ScaffoldError> {
    for object in objects {
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
        for rule in rules.iter().filter(|r| r.kinds.iter().any(|k| k == kind || k == "*")) {
            if let Err(mismatch) = match_pattern(object, &rule.pattern)
                && mismatch.kind == MismatchKind::Fail
            {
                let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?");
                return Err(ScaffoldError::Policy {
                    policy: rule.policy.clone(),
                    rule: rule.name.clone(),
                    object: format!("{file}: {kind}/{name}"),
                    message: rule.message.clone(),
                    path: mismatch.path,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  labels: {app.kubernetes.io/name: orders, app.kubernetes.io/component: backend,
           app.kubernetes.io/part-of: platform-services, app.kubernetes.io/version: "1.0.0"}
spec:
  template:
    metadata:
      labels: {app.kubernetes.io/name: orders}
    spec:
      containers:
        - name: orders
          livenessProbe: {httpGet: {path: /health, port: 3000}}
          readinessProbe: {httpGet: {path: /ready, port: 3000}}
---
apiVersion: v1
kind: Service
metadata: {name: orders}
"#;

    #[test]
    fn the_platform_policy_has_its_four_rules() {
        let names: Vec<String> = platform_rules().into_iter().map(|r| r.name).collect();
        assert_eq!(
            names,
            [
                "check-required-labels",
                "check-recommended-labels",
                "require-liveness-probe",
                "require-readiness-probe"
            ]
        );
    }

    #[test]
    fn a_compliant_deployment_passes() {
        let objects = objects("k8s/all.yaml", DEPLOYMENT).unwrap();
        assert_eq!(objects.len(), 2);
        check("k8s/all.yaml", &objects, &platform_rules()).unwrap();
    }

    #[test]
    fn a_missing_label_fails_with_the_rules_message() {
        let text = DEPLOYMENT.replacen("labels: {app.kubernetes.io/name: orders}", "labels: {tier: web}", 1);
        let err = check("k8s/deployment.yaml", &objects("f", &text).unwrap(), &platform_rules()).unwrap_err();
        let ScaffoldError::Policy { rule, message, path, .. } = &err else { panic!("{err}") };
        assert_eq!(rule, "check-required-labels");
        assert!(message.contains("`app.kubernetes.io/name` is required"), "{message}");
        assert!(path.contains("/spec/template/metadata/labels/"), "{path}");
        assert!(err.to_string().contains("k8s/deployment.yaml"), "{err}");
    }

    #[test]
    fn a_probe_that_is_not_httpget_fails() {
        let text = DEPLOYMENT.replace(
            "readinessProbe: {httpGet: {path: /ready, port: 3000}}",
            "readinessProbe: {tcpSocket: {port: 3000}}",
        );
        let err = check("d", &objects("d", &text).unwrap(), &platform_rules()).unwrap_err();
        assert!(
            matches!(&err, ScaffoldError::Policy { rule, .. } if rule == "require-readiness-probe"),
            "{err}"
        );
        let text = DEPLOYMENT.replace("livenessProbe: {httpGet: {path: /health, port: 3000}}", "image: x");
        let err = check("d", &objects("d", &text).unwrap(), &platform_rules()).unwrap_err();
        assert!(err.to_string().contains("httpGet liveness probe"), "{err}");
    }
}
