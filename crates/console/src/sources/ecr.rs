//! ECR client (aws-sdk-ecr): the standard credential chain and region, with the config's endpoint
//! override (a VPC endpoint, an emulator). A repository's settings read back in one shape.

use aws_config::BehaviorVersion;
use aws_sdk_ecr::Client;
use aws_sdk_ecr::config::{Credentials, Region};

use crate::config::EcrConfig;

#[derive(Debug, thiserror::Error)]
pub enum EcrError {
    #[error("ECR {operation} failed: {message}")]
    Call { operation: &'static str, message: String },
}

/// What platdeck provisions on a repository, as ECR reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositorySettings {
    pub uri: String,
    pub scan_on_push: bool,
    pub encryption: String,
    pub tag_mutability: String,
    /// The lifecycle policy document, normalised JSON; `None` when the repository has none.
    pub lifecycle_policy: Option<serde_json::Value>,
}

/// The message of an SDK error: the service's code and message, never request details.
pub fn describe<E: aws_sdk_ecr::error::ProvideErrorMetadata + std::fmt::Debug>(
    error: &aws_sdk_ecr::error::SdkError<E>,
) -> String {
    match error.as_service_error() {
        Some(service) => {
            format!("{}: {}", service.code().unwrap_or("error"), service.message().unwrap_or("no message"))
        }
        None => match error {
            aws_sdk_ecr::error::SdkError::DispatchFailure(f) => format!("cannot reach ECR: {f:?}"),
            aws_sdk_ecr::error::SdkError::TimeoutError(_) => "ECR did not answer in time".into(),
            other => format!("{other}"),
        },
    }
}

fn call_error<E: aws_sdk_ecr::error::ProvideErrorMetadata + std::fmt::Debug>(
    operation: &'static str,
    error: &aws_sdk_ecr::error::SdkError<E>,
) -> EcrError {
    EcrError::Call { operation, message: describe(error) }
}

fn error_code<E: aws_sdk_ecr::error::ProvideErrorMetadata>(
    error: &aws_sdk_ecr::error::SdkError<E>,
) -> Option<&str> {
    error.as_service_error().and_then(aws_sdk_ecr::error::ProvideErrorMetadata::code)
}

/// The client for the config's region and endpoint.
pub async fn client(config: &EcrConfig) -> Client {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(config.region.clone()));
    if let Some(url) = &config.endpoint_url {
        loader = loader.endpoint_url(url);
        // A local emulator (moto, the embedded platform) needs no real credentials; the SDK still
        // signs, so it gets placeholders when the chain has none.
        if is_loopback(url)
            && std::env::var_os("AWS_ACCESS_KEY_ID").is_none()
            && std::env::var_os("AWS_PROFILE").is_none()
        {
            loader =
                loader.credentials_provider(Credentials::new("local", "local", None, None, "platdeck-local"));
        }
    }
    Client::new(&loader.load().await)
}

fn is_loopback(url: &str) -> bool {
    url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).is_some_and(|h| {
        h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) || h == "[::1]"
    })
}

/// The repository's settings, or `None` when it does not exist.
pub async fn read(
    client: &Client,
    config: &EcrConfig,
    name: &str,
) -> Result<Option<RepositorySettings>, EcrError> {
    let described = client
        .describe_repositories()
        .set_registry_id(config.account_id.clone())
        .repository_names(name)
        .send()
        .await;
    let repositories = match described {
        Ok(out) => out.repositories.unwrap_or_default(),
        Err(e) if error_code(&e) == Some("RepositoryNotFoundException") => return Ok(None),
        Err(e) => return Err(call_error("DescribeRepositories", &e)),
    };
    let Some(repo) = repositories.into_iter().next() else { return Ok(None) };
    let policy = client
        .get_lifecycle_policy()
        .set_registry_id(config.account_id.clone())
        .repository_name(name)
        .send()
        .await;
    let lifecycle_policy = match policy {
        Ok(out) => out.lifecycle_policy_text.and_then(|t| serde_json::from_str(&t).ok()),
        Err(e) if error_code(&e) == Some("LifecyclePolicyNotFoundException") => None,
        Err(e) => return Err(call_error("GetLifecyclePolicy", &e)),
    };
    Ok(Some(RepositorySettings {
        uri: repo.repository_uri.unwrap_or_default(),
        scan_on_push: repo.image_scanning_configuration.is_some_and(|c| c.scan_on_push),
        encryption: repo
            .encryption_configuration
            .map(|e| e.encryption_type.as_str().to_string())
            .unwrap_or_default(),
        tag_mutability: repo.image_tag_mutability.map(|m| m.as_str().to_string()).unwrap_or_default(),
        lifecycle_policy,
    }))
}

/// The settings the config asks for.
pub fn wanted(config: &EcrConfig) -> RepositorySettings {
    RepositorySettings {
        uri: String::new(),
        scan_on_push: config.scan_on_push,
        encryption: config.encryption.as_str().to_string(),
        tag_mutability: config.tag_mutability.as_str().to_string(),
        lifecycle_policy: serde_json::from_str(&config.lifecycle_policy_json()).ok(),
    }
}

/// How `actual` differs from what the config asks for (empty when it matches).
pub fn differences(config: &EcrConfig, actual: &RepositorySettings) -> Vec<String> {
    let want = wanted(config);
    let mut out = Vec::new();
    if actual.scan_on_push != want.scan_on_push {
        out.push(format!("scan on push is {}, config wants {}", actual.scan_on_push, want.scan_on_push));
    }
    if actual.encryption != want.encryption {
        out.push(format!("encryption is {}, config wants {}", actual.encryption, want.encryption));
    }
    if actual.tag_mutability != want.tag_mutability {
        out.push(format!(
            "tag mutability is {}, config wants {}",
            actual.tag_mutability, want.tag_mutability
        ));
    }
    if actual.lifecycle_policy != want.lifecycle_policy {
        out.push(match actual.lifecycle_policy {
            None => "no lifecycle policy".to_string(),
            Some(_) => "the lifecycle policy differs from ecr.lifecycle_policy".to_string(),
        });
    }
    out
}

/// Creates the repository if missing and brings its settings to the config's; returns what it did.
/// Encryption cannot change after creation: a difference there is reported, not "fixed".
pub async fn ensure(client: &Client, config: &EcrConfig, name: &str) -> Result<Vec<String>, EcrError> {
    use aws_sdk_ecr::types::{
        EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    };
    let mut done = Vec::new();
    let existing = read(client, config, name).await?;
    let mutability = ImageTagMutability::from(config.tag_mutability.as_str());
    let scanning = ImageScanningConfiguration::builder().scan_on_push(config.scan_on_push).build();
    let current = match existing {
        Some(current) => current,
        None => {
            let encryption = EncryptionConfiguration::builder()
                .encryption_type(EncryptionType::from(config.encryption.as_str()))
                .set_kms_key(config.kms_key.clone())
                .build()
                .map_err(|e| EcrError::Call { operation: "CreateRepository", message: e.to_string() })?;
            client
                .create_repository()
                .set_registry_id(config.account_id.clone())
                .repository_name(name)
                .image_tag_mutability(mutability.clone())
                .image_scanning_configuration(scanning.clone())
                .encryption_configuration(encryption)
                .send()
                .await
                .map_err(|e| call_error("CreateRepository", &e))?;
            done.push("created".to_string());
            read(client, config, name).await?.ok_or_else(|| EcrError::Call {
                operation: "DescribeRepositories",
                message: format!("{name} is missing right after it was created"),
            })?
        }
    };
    let want = wanted(config);
    if current.scan_on_push != want.scan_on_push {
        client
            .put_image_scanning_configuration()
            .set_registry_id(config.account_id.clone())
            .repository_name(name)
            .image_scanning_configuration(scanning)
            .send()
            .await
            .map_err(|e| call_error("PutImageScanningConfiguration", &e))?;
        done.push(format!("scan on push set to {}", want.scan_on_push));
    }
    if current.tag_mutability != want.tag_mutability {
        client
            .put_image_tag_mutability()
            .set_registry_id(config.account_id.clone())
            .repository_name(name)
            .image_tag_mutability(mutability)
            .send()
            .await
            .map_err(|e| call_error("PutImageTagMutability", &e))?;
        done.push(format!("tag mutability set to {}", want.tag_mutability));
    }
    if current.lifecycle_policy != want.lifecycle_policy {
        client
            .put_lifecycle_policy()
            .set_registry_id(config.account_id.clone())
            .repository_name(name)
            .lifecycle_policy_text(config.lifecycle_policy_json())
            .send()
            .await
            .map_err(|e| call_error("PutLifecyclePolicy", &e))?;
        done.push("lifecycle policy put".to_string());
    }
    if current.encryption != want.encryption {
        return Err(EcrError::Call {
            operation: "CreateRepository",
            message: format!(
                "{name} is encrypted with {} but the config wants {}; encryption cannot change after creation — recreate the repository",
                current.encryption, want.encryption
            ),
        });
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints() {
        assert!(is_loopback("http://127.0.0.1:5000"));
        assert!(is_loopback("http://localhost:5000"));
        assert!(!is_loopback("https://api.ecr.us-east-1.amazonaws.com"));
    }

    #[test]
    fn differences_name_each_setting() {
        let config = EcrConfig::default();
        let mut actual = wanted(&config);
        assert!(differences(&config, &actual).is_empty());
        actual.scan_on_push = false;
        actual.lifecycle_policy = None;
        assert_eq!(
            differences(&config, &actual),
            ["scan on push is false, config wants true", "no lifecycle policy"]
        );
    }
}
