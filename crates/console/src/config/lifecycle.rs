//! The ECR lifecycle policy (`ecr.lifecycle_policy`): its YAML model, the rules ECR enforces
//! on it (checked at load time so a bad policy fails here, not at `PutLifecyclePolicy`), and
//! the JSON document ECR takes as `lifecyclePolicyText`.

use serde::{Deserialize, Serialize};

use super::key_path::KeyPath;

/// ECR refuses policy documents longer than this.
const MAX_POLICY_CHARS: usize = 30_720;
/// ECR allows up to four `*` wildcards in a tag pattern.
const MAX_PATTERN_WILDCARDS: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecyclePolicy {
    pub rules: Vec<LifecycleRule>,
}

/// One rule; field names are the snake_case forms of ECR's `rulePriority`, `tagStatus` ...
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleRule {
    /// Unique; rules are evaluated from the lowest number up.
    pub rule_priority: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub tag_status: TagStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_prefix_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_pattern_list: Vec<String>,
    pub count_type: CountType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_unit: Option<CountUnit>,
    pub count_number: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CountType {
    /// Keep at most `count_number` images.
    ImageCountMoreThan,
    /// Expire images pushed more than `count_number` days ago.
    SinceImagePushed,
    /// Expire images last pulled more than `count_number` days ago.
    SinceImagePulled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountUnit {
    Days,
}

impl Default for LifecyclePolicy {
    /// The seed's policy: untagged images go after 14 days, the last 30 tagged images stay.
    fn default() -> Self {
        Self {
            rules: vec![
                LifecycleRule {
                    rule_priority: 1,
                    description: Some("Expire untagged images after 14 days".into()),
                    tag_status: TagStatus::Untagged,
                    tag_prefix_list: Vec::new(),
                    tag_pattern_list: Vec::new(),
                    count_type: CountType::SinceImagePushed,
                    count_unit: Some(CountUnit::Days),
                    count_number: 14,
                },
                LifecycleRule {
                    rule_priority: 2,
                    description: Some("Keep the last 30 tagged images".into()),
                    tag_status: TagStatus::Tagged,
                    tag_prefix_list: Vec::new(),
                    // ECR wants a list for `tagged`; `*` matches every tag.
                    tag_pattern_list: vec!["*".into()],
                    count_type: CountType::ImageCountMoreThan,
                    count_unit: None,
                    count_number: 30,
                },
            ],
        }
    }
}

// The wire shape (wire-formats.md §7.1); structs rather than `json!` keep the key order.
#[derive(Serialize)]
struct WirePolicy<'a> {
    rules: Vec<WireRule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRule<'a> {
    rule_priority: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    selection: WireSelection<'a>,
    action: WireAction,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireSelection<'a> {
    tag_status: TagStatus,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tag_prefix_list: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tag_pattern_list: &'a [String],
    count_type: CountType,
    #[serde(skip_serializing_if = "Option::is_none")]
    count_unit: Option<CountUnit>,
    count_number: u32,
}

#[derive(Serialize)]
struct WireAction {
    #[serde(rename = "type")]
    kind: &'static str,
}

impl LifecyclePolicy {
    /// The policy document for `PutLifecyclePolicy`'s `lifecyclePolicyText`.
    pub fn to_json(&self) -> String {
        let wire = WirePolicy {
            rules: self
                .rules
                .iter()
                .map(|rule| WireRule {
                    rule_priority: rule.rule_priority,
                    description: rule.description.as_deref(),
                    selection: WireSelection {
                        tag_status: rule.tag_status,
                        tag_prefix_list: &rule.tag_prefix_list,
                        tag_pattern_list: &rule.tag_pattern_list,
                        count_type: rule.count_type,
                        count_unit: rule.count_unit,
                        count_number: rule.count_number,
                    },
                    action: WireAction { kind: "expire" },
                })
                .collect(),
        };
        // Plain structs of strings and integers: serde_json cannot fail on them.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// The first rule ECR would reject, as (path relative to the policy, reason).
    pub fn check(&self) -> Result<(), (KeyPath, String)> {
        let rules_path = KeyPath::root().key("rules");
        if self.rules.is_empty() {
            return Err((rules_path, "at least one rule is required".into()));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let at = |field: &str| rules_path.clone().index(i).key(field);
            check_rule(rule).map_err(|(field, why)| (at(field), why))?;
            if let Some(j) =
                self.rules[..i].iter().position(|earlier| earlier.rule_priority == rule.rule_priority)
            {
                return Err((
                    at("rule_priority"),
                    format!(
                        "rule_priority {} is already used by rules[{j}]; priorities must be unique",
                        rule.rule_priority
                    ),
                ));
            }
        }
        // ECR evaluates `any` last, so it must hold the highest priority number.
        let highest = self.rules.iter().map(|r| r.rule_priority).max().unwrap_or(0);
        if let Some(i) =
            self.rules.iter().position(|r| r.tag_status == TagStatus::Any && r.rule_priority != highest)
        {
            return Err((
                rules_path.index(i).key("rule_priority"),
                format!(
                    "a rule with tag_status `any` must have the highest rule_priority \
                     (it is evaluated last), but {highest} is higher than {}",
                    self.rules[i].rule_priority
                ),
            ));
        }
        let length = self.to_json().chars().count();
        if length > MAX_POLICY_CHARS {
            return Err((
                rules_path,
                format!("the policy document is {length} characters; ECR allows {MAX_POLICY_CHARS}"),
            ));
        }
        Ok(())
    }
}

/// Checks one rule on its own; the error names the field (relative to the rule).
fn check_rule(rule: &LifecycleRule) -> Result<(), (&'static str, String)> {
    if rule.rule_priority == 0 {
        return Err(("rule_priority", "rule_priority starts at 1".into()));
    }
    if rule.count_number == 0 {
        return Err(("count_number", "count_number must be 1 or more".into()));
    }
    let has_prefixes = !rule.tag_prefix_list.is_empty();
    let has_patterns = !rule.tag_pattern_list.is_empty();
    match rule.tag_status {
        TagStatus::Tagged if !has_prefixes && !has_patterns => {
            return Err((
                "tag_status",
                "a `tagged` rule needs tag_prefix_list or tag_pattern_list (`[\"*\"]` for every tag)".into(),
            ));
        }
        TagStatus::Tagged if has_prefixes && has_patterns => {
            return Err(("tag_pattern_list", "give tag_prefix_list or tag_pattern_list, not both".into()));
        }
        TagStatus::Untagged | TagStatus::Any if has_prefixes || has_patterns => {
            let field = if has_prefixes { "tag_prefix_list" } else { "tag_pattern_list" };
            return Err((field, "only `tagged` rules take a tag list".into()));
        }
        _ => {}
    }
    for (field, list) in
        [("tag_prefix_list", &rule.tag_prefix_list), ("tag_pattern_list", &rule.tag_pattern_list)]
    {
        if list.iter().any(String::is_empty) {
            return Err((field, "tags in the list must not be empty".into()));
        }
    }
    if let Some(pattern) =
        rule.tag_pattern_list.iter().find(|p| p.matches('*').count() > MAX_PATTERN_WILDCARDS)
    {
        return Err((
            "tag_pattern_list",
            format!("`{pattern}` has more than {MAX_PATTERN_WILDCARDS} `*` wildcards"),
        ));
    }
    match (rule.count_type, rule.count_unit) {
        (CountType::ImageCountMoreThan, Some(_)) => {
            Err(("count_unit", "count_unit is only used with sinceImagePushed and sinceImagePulled".into()))
        }
        (CountType::SinceImagePushed | CountType::SinceImagePulled, None) => Err((
            "count_unit",
            "count_unit `days` is required with sinceImagePushed and sinceImagePulled".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(priority: u32, status: TagStatus) -> LifecycleRule {
        LifecycleRule {
            rule_priority: priority,
            description: None,
            tag_status: status,
            tag_prefix_list: Vec::new(),
            tag_pattern_list: if status == TagStatus::Tagged { vec!["v*".into()] } else { Vec::new() },
            count_type: CountType::ImageCountMoreThan,
            count_unit: None,
            count_number: 10,
        }
    }

    fn problem(policy: &LifecyclePolicy) -> String {
        match policy.check() {
            Ok(()) => String::new(),
            Err((path, why)) => format!("{path}: {why}"),
        }
    }

    #[test]
    fn default_policy_is_valid_and_matches_the_wire_shape() -> Result<(), serde_json::Error> {
        let policy = LifecyclePolicy::default();
        assert_eq!(policy.check(), Ok(()));
        let json: serde_json::Value = serde_json::from_str(&policy.to_json())?;
        let expected = serde_json::json!({"rules": [
            {"rulePriority": 1, "description": "Expire untagged images after 14 days",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                           "countUnit": "days", "countNumber": 14},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": "Keep the last 30 tagged images",
             "selection": {"tagStatus": "tagged", "tagPatternList": ["*"],
                           "countType": "imageCountMoreThan", "countNumber": 30},
             "action": {"type": "expire"}}
        ]});
        assert_eq!(json, expected);
        assert!(policy.to_json().starts_with("{\"rules\":[{\"rulePriority\":1,"));
        assert!(policy.to_json().len() >= 100, "ECR wants at least 100 characters");
        Ok(())
    }

    #[test]
    fn rejects_duplicate_priorities() {
        let policy =
            LifecyclePolicy { rules: vec![rule(1, TagStatus::Untagged), rule(1, TagStatus::Tagged)] };
        let message = problem(&policy);
        assert!(message.starts_with("rules[1].rule_priority: "), "{message}");
        assert!(message.contains("already used by rules[0]"), "{message}");
    }

    #[test]
    fn any_rule_must_be_last() {
        let policy = LifecyclePolicy { rules: vec![rule(1, TagStatus::Any), rule(2, TagStatus::Tagged)] };
        assert!(problem(&policy).starts_with("rules[0].rule_priority: a rule with tag_status `any`"));
        let fine = LifecyclePolicy { rules: vec![rule(1, TagStatus::Tagged), rule(5, TagStatus::Any)] };
        assert_eq!(fine.check(), Ok(()));
    }

    #[test]
    fn tag_lists_follow_the_tag_status() {
        let mut tagged = rule(1, TagStatus::Tagged);
        tagged.tag_pattern_list.clear();
        let policy = LifecyclePolicy { rules: vec![tagged.clone()] };
        assert!(problem(&policy).starts_with("rules[0].tag_status: a `tagged` rule needs"));

        tagged.tag_prefix_list = vec!["release-".into()];
        tagged.tag_pattern_list = vec!["v*".into()];
        let both = LifecyclePolicy { rules: vec![tagged] };
        assert!(problem(&both).contains("not both"));

        let mut untagged = rule(1, TagStatus::Untagged);
        untagged.tag_prefix_list = vec!["v".into()];
        let policy = LifecyclePolicy { rules: vec![untagged] };
        assert!(problem(&policy).starts_with("rules[0].tag_prefix_list: only `tagged`"));
    }

    #[test]
    fn count_unit_follows_the_count_type() {
        let mut since = rule(1, TagStatus::Untagged);
        since.count_type = CountType::SinceImagePushed;
        let policy = LifecyclePolicy { rules: vec![since.clone()] };
        assert!(problem(&policy).starts_with("rules[0].count_unit: count_unit `days` is required"));
        since.count_unit = Some(CountUnit::Days);
        assert_eq!(LifecyclePolicy { rules: vec![since] }.check(), Ok(()));

        let mut count = rule(1, TagStatus::Untagged);
        count.count_unit = Some(CountUnit::Days);
        assert!(problem(&LifecyclePolicy { rules: vec![count] }).contains("only used with"));
    }

    #[test]
    fn rejects_empty_policies_and_zero_counts() {
        assert!(problem(&LifecyclePolicy { rules: vec![] }).starts_with("rules: at least one"));
        let mut zero = rule(1, TagStatus::Untagged);
        zero.count_number = 0;
        assert!(problem(&LifecyclePolicy { rules: vec![zero] }).starts_with("rules[0].count_number"));
    }

    #[test]
    fn yaml_uses_snake_case_keys_and_ecr_enum_spellings() -> Result<(), serde_norway::Error> {
        let yaml = "rules:\n  - rule_priority: 1\n    tag_status: tagged\n    tag_prefix_list: [v]\n    count_type: imageCountMoreThan\n    count_number: 5\n";
        let policy: LifecyclePolicy = serde_norway::from_str(yaml)?;
        assert_eq!(policy.rules[0].tag_prefix_list, vec!["v".to_string()]);
        assert_eq!(policy.check(), Ok(()));
        Ok(())
    }
}
