//! The `ecr` section: where images live and how repositories are created (scan on push,
//! encryption, tag mutability, lifecycle policy), with the seed's values as defaults.

use serde::{Deserialize, Serialize};

use super::http_url;
use super::lifecycle::LifecyclePolicy;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EcrConfig {
    pub region: String,
    /// The registry's AWS account; `None` = the account of the credentials in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Overrides the ECR API endpoint (a simulator, moto_server, a VPC endpoint).
    #[serde(
        deserialize_with = "http_url::deserialize_opt",
        serialize_with = "http_url::serialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoint_url: Option<String>,
    /// Repositories to provision; empty = created on demand by CI (the seed's choice).
    pub repositories: Vec<String>,
    pub scan_on_push: bool,
    pub encryption: Encryption,
    /// KMS key ARN or alias, only with `encryption: KMS` (`None` = the AWS-managed key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<String>,
    pub tag_mutability: TagMutability,
    pub lifecycle_policy: LifecyclePolicy,
}

/// `encryptionConfiguration.encryptionType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encryption {
    #[default]
    #[serde(rename = "AES256")]
    Aes256,
    #[serde(rename = "KMS")]
    Kms,
}

/// `imageTagMutability`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TagMutability {
    #[default]
    #[serde(rename = "MUTABLE")]
    Mutable,
    #[serde(rename = "IMMUTABLE")]
    Immutable,
}

impl Encryption {
    /// The value ECR's API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Encryption::Aes256 => "AES256",
            Encryption::Kms => "KMS",
        }
    }
}

impl TagMutability {
    /// The value ECR's API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            TagMutability::Mutable => "MUTABLE",
            TagMutability::Immutable => "IMMUTABLE",
        }
    }
}

impl Default for EcrConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: None,
            endpoint_url: None,
            repositories: Vec::new(),
            scan_on_push: true,
            encryption: Encryption::Aes256,
            kms_key: None,
            tag_mutability: TagMutability::Mutable,
            lifecycle_policy: LifecyclePolicy::default(),
        }
    }
}

impl EcrConfig {
    /// The lifecycle policy as the JSON document `PutLifecyclePolicy` takes.
    pub fn lifecycle_policy_json(&self) -> String {
        self.lifecycle_policy.to_json()
    }
}

/// ECR repository names: 2–256 characters, lowercase path segments separated by `/`, each
/// made of alphanumerics joined by single `.`, `_` or `-`.
pub(crate) fn check_repository_name(name: &str) -> Result<(), String> {
    let segment_ok = |segment: &str| {
        let bytes = segment.as_bytes();
        !bytes.is_empty()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
            && !bytes.windows(2).any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric())
    };
    if (2..=256).contains(&name.len()) && name.split('/').all(segment_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid ECR repository name (2-256 characters: lowercase \
             letters, digits, `.`, `_`, `-`, `/`-separated segments)"
        ))
    }
}

/// A region name such as `us-east-1` or `eu-west-3`.
pub(crate) fn check_region(region: &str) -> Result<(), String> {
    let valid = !region.is_empty()
        && region.contains('-')
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid { Ok(()) } else { Err(format!("`{region}` is not an AWS region name such as us-east-1")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_seed() {
        let ecr = EcrConfig::default();
        assert_eq!(ecr.region, "us-east-1");
        assert!(ecr.repositories.is_empty());
        assert!(ecr.scan_on_push);
        assert_eq!(ecr.encryption.as_str(), "AES256");
        assert_eq!(ecr.tag_mutability.as_str(), "MUTABLE");
        assert!(ecr.lifecycle_policy_json().contains("\"countNumber\":14"));
    }

    #[test]
    fn repository_names() {
        for good in ["payments/api", "hello-world", "a.b_c-d/e2"] {
            assert_eq!(check_repository_name(good), Ok(()), "{good}");
        }
        for bad in ["a", "Payments/api", "api/", "/api", "a--b", "-ab", "api/../x"] {
            assert!(check_repository_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions() {
        assert_eq!(check_region("eu-west-1"), Ok(()));
        assert!(check_region("US East").is_err());
        assert!(check_region("").is_err());
    }
}
