//! The sim's ECR registry state: repositories (settings, tags, lifecycle policy) and their images (tags, scan
//! findings), with the validation rules of wire-formats §7.1 and ECR's error codes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

/// ECR's error codes (the `__type` of an error body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcrErrorKind {
    RepositoryNotFound,
    RepositoryAlreadyExists,
    RepositoryNotEmpty,
    LifecyclePolicyNotFound,
    ImageNotFound,
    ScanNotFound,
    InvalidParameter,
    InvalidTagParameter,
    TooManyTags,
    Server,
}

impl EcrErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            EcrErrorKind::RepositoryNotFound => "RepositoryNotFoundException",
            EcrErrorKind::RepositoryAlreadyExists => "RepositoryAlreadyExistsException",
            EcrErrorKind::RepositoryNotEmpty => "RepositoryNotEmptyException",
            EcrErrorKind::LifecyclePolicyNotFound => "LifecyclePolicyNotFoundException",
            EcrErrorKind::ImageNotFound => "ImageNotFoundException",
            EcrErrorKind::ScanNotFound => "ScanNotFoundException",
            EcrErrorKind::InvalidParameter => "InvalidParameterException",
            EcrErrorKind::InvalidTagParameter => "InvalidTagParameterException",
            EcrErrorKind::TooManyTags => "TooManyTagsException",
            EcrErrorKind::Server => "ServerException",
        }
    }
}

/// An ECR error: its code and a message in ECR's wording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.code())]
pub struct EcrError {
    pub kind: EcrErrorKind,
    pub message: String,
}

impl EcrError {
    pub fn new(kind: EcrErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// `Invalid parameter at '<field>' failed to satisfy constraint: '<constraint>'`.
    pub fn invalid(field: &str, constraint: impl AsRef<str>) -> Self {
        Self::new(
            EcrErrorKind::InvalidParameter,
            format!("Invalid parameter at '{field}' failed to satisfy constraint: '{}'", constraint.as_ref()),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An entry of `imageTagMutabilityExclusionFilters`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExclusionFilter {
    pub filter_type: String,
    pub filter: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LifecyclePolicy {
    pub text: String,
    /// None until the policy has been evaluated.
    pub last_evaluated_at: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Repository {
    pub name: String,
    pub arn: String,
    pub uri: String,
    pub registry_id: String,
    /// Epoch seconds.
    pub created_at: f64,
    pub image_tag_mutability: String,
    pub mutability_exclusion_filters: Vec<ExclusionFilter>,
    pub scan_on_push: bool,
    pub encryption_type: String,
    pub kms_key: Option<String>,
    pub tags: Vec<Tag>,
    pub lifecycle_policy: Option<LifecyclePolicy>,
}

/// A basic scan's result.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageScan {
    pub status: String,
    pub description: String,
    pub completed_at: Option<f64>,
    pub vulnerability_source_updated_at: Option<f64>,
    /// CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED → count.
    pub severity_counts: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub digest: String,
    pub tags: Vec<String>,
    pub size_bytes: u64,
    /// Epoch seconds.
    pub pushed_at: f64,
    pub manifest_media_type: String,
    /// None when the image was never scanned (scan on push off).
    pub scan: Option<ImageScan>,
}

/// One vulnerability of a basic scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub name: String,
    pub description: String,
    pub uri: String,
    pub severity: String,
    pub attributes: Vec<(String, String)>,
}

/// `{imageDigest?, imageTag?}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageId {
    pub digest: Option<String>,
    pub tag: Option<String>,
}

/// `filter.tagStatus` of DescribeImages and ListImages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

impl TagStatus {
    pub fn parse(text: &str) -> Result<Self, EcrError> {
        match text {
            "TAGGED" => Ok(TagStatus::Tagged),
            "UNTAGGED" => Ok(TagStatus::Untagged),
            "ANY" => Ok(TagStatus::Any),
            _ => Err(EcrError::invalid(
                "filter.tagStatus",
                "Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]",
            )),
        }
    }

    fn admits(self, image: &Image) -> bool {
        match self {
            TagStatus::Tagged => !image.tags.is_empty(),
            TagStatus::Untagged => image.tags.is_empty(),
            TagStatus::Any => true,
        }
    }
}

/// CreateRepository's parameters; `None` means ECR's default.
#[derive(Clone, Debug, Default)]
pub struct CreateRepository {
    pub name: String,
    pub image_tag_mutability: Option<String>,
    pub mutability_exclusion_filters: Vec<ExclusionFilter>,
    pub scan_on_push: Option<bool>,
    pub encryption_type: Option<String>,
    pub kms_key: Option<String>,
    pub tags: Vec<Tag>,
}

/// A scan's findings, as DescribeImageScanFindings returns them.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanFindings {
    pub image: Image,
    pub scan: ImageScan,
    pub findings: Vec<Finding>,
}

pub const MUTABILITIES: [&str; 4] =
    ["MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"];
pub const ENCRYPTION_TYPES: [&str; 3] = ["AES256", "KMS", "KMS_DSSE"];
pub const SEVERITIES: [&str; 6] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"];
const NAME_PATTERN: &str = "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";
const MAX_TAGS: usize = 50;
/// Findings listed per scan at most, whatever the seeded counts say, to bound memory.
const MAX_FINDINGS: usize = 5000;

struct RepoEntry {
    repo: Repository,
    images: Vec<Image>,
}

/// Thread-safe ECR registry of one account in one region.
pub struct EcrStore {
    region: String,
    account_id: String,
    repos: Mutex<BTreeMap<String, RepoEntry>>,
}

impl EcrStore {
    pub fn new(region: &str, account_id: &str) -> Self {
        Self {
            region: region.to_string(),
            account_id: account_id.to_string(),
            repos: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Puts an image in place as a CI push would (scenario seeding): creates the repository with defaults
    /// (MUTABLE, scan on push, AES256) if missing, and points `tag` at the image with `digest` (moving it
    /// from any other image). With scan on push, the image gets a completed scan with `findings` per
    /// severity.
    pub fn seed_image(
        &self,
        repository: &str,
        tag: &str,
        digest: &str,
        size: u64,
        findings: BTreeMap<String, u32>,
    ) {
        let mut repos = self.lock();
        let entry = repos.entry(repository.to_string()).or_insert_with(|| RepoEntry {
            repo: self.new_repository(CreateRepository {
                name: repository.to_string(),
                // The platform's repositories are created with scan on push (the seed's Terraform).
                scan_on_push: Some(true),
                ..Default::default()
            }),
            images: Vec::new(),
        });
        for image in entry.images.iter_mut().filter(|i| i.digest != digest) {
            image.tags.retain(|t| t != tag);
        }
        let now = now_secs();
        let scan_on_push = entry.repo.scan_on_push;
        match entry.images.iter_mut().find(|i| i.digest == digest) {
            Some(image) => {
                if !image.tags.iter().any(|t| t == tag) {
                    image.tags.push(tag.to_string());
                }
                // Re-tagging keeps the image's scan unless new findings are given.
                if scan_on_push && (image.scan.is_none() || !findings.is_empty()) {
                    image.scan = Some(completed_scan(now, findings));
                }
            }
            None => entry.images.push(Image {
                digest: digest.to_string(),
                tags: vec![tag.to_string()],
                size_bytes: size,
                pushed_at: now,
                manifest_media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                scan: scan_on_push.then(|| completed_scan(now, findings)),
            }),
        }
    }

    pub fn create_repository(&self, request: CreateRepository) -> Result<Repository, EcrError> {
        validate_repository_name(&request.name)?;
        if request.image_tag_mutability.as_deref().is_some_and(|m| !MUTABILITIES.contains(&m)) {
            return Err(EcrError::invalid(
                "imageTagMutability",
                format!("Member must satisfy enum value set: {MUTABILITIES:?}"),
            ));
        }
        validate_exclusion_filters(
            request.image_tag_mutability.as_deref().unwrap_or("MUTABLE"),
            &request.mutability_exclusion_filters,
        )?;
        if request.encryption_type.as_deref().is_some_and(|e| !ENCRYPTION_TYPES.contains(&e)) {
            return Err(EcrError::invalid(
                "encryptionConfiguration.encryptionType",
                format!("Member must satisfy enum value set: {ENCRYPTION_TYPES:?}"),
            ));
        }
        if request.kms_key.is_some() && request.encryption_type.as_deref().unwrap_or("AES256") == "AES256" {
            return Err(EcrError::new(
                EcrErrorKind::InvalidParameter,
                "Invalid parameter: kmsKey can only be specified when encryptionType is KMS or KMS_DSSE",
            ));
        }
        validate_tags(&request.tags)?;
        let mut repos = self.lock();
        if repos.contains_key(&request.name) {
            return Err(EcrError::new(
                EcrErrorKind::RepositoryAlreadyExists,
                format!(
                    "The repository with name '{}' already exists in the registry with id '{}'",
                    request.name, self.account_id
                ),
            ));
        }
        let repo = self.new_repository(request);
        repos.insert(repo.name.clone(), RepoEntry { repo: repo.clone(), images: Vec::new() });
        Ok(repo)
    }

    /// All repositories, or exactly the named ones (each must exist), sorted by name.
    pub fn describe_repositories(&self, names: Option<&[String]>) -> Result<Vec<Repository>, EcrError> {
        let repos = self.lock();
        match names {
            None => Ok(repos.values().map(|e| e.repo.clone()).collect()),
            Some(names) => {
                let mut out = Vec::new();
                for name in names.iter().collect::<BTreeSet<_>>() {
                    validate_repository_name(name)?;
                    let entry = repos.get(name.as_str()).ok_or_else(|| self.repository_not_found(name))?;
                    out.push(entry.repo.clone());
                }
                Ok(out)
            }
        }
    }

    /// Deletes a repository; one that still holds images needs `force`.
    pub fn delete_repository(&self, name: &str, force: bool) -> Result<Repository, EcrError> {
        validate_repository_name(name)?;
        let mut repos = self.lock();
        let entry = repos.get(name).ok_or_else(|| self.repository_not_found(name))?;
        if !entry.images.is_empty() && !force {
            return Err(EcrError::new(
                EcrErrorKind::RepositoryNotEmpty,
                format!(
                    "The repository with name '{name}' in registry with id '{}' cannot be deleted because it \
                     still contains images",
                    self.account_id
                ),
            ));
        }
        repos.remove(name).map(|e| e.repo).ok_or_else(|| self.repository_not_found(name))
    }

    pub fn put_lifecycle_policy(&self, name: &str, text: &str) -> Result<(), EcrError> {
        validate_lifecycle_policy(text)?;
        self.with_repo(name, |entry| {
            entry.repo.lifecycle_policy =
                Some(LifecyclePolicy { text: text.to_string(), last_evaluated_at: None });
            Ok(())
        })
    }

    pub fn get_lifecycle_policy(&self, name: &str) -> Result<LifecyclePolicy, EcrError> {
        self.with_repo(name, |entry| entry.repo.lifecycle_policy.clone().ok_or_else(|| self.no_policy(name)))
    }

    pub fn delete_lifecycle_policy(&self, name: &str) -> Result<LifecyclePolicy, EcrError> {
        self.with_repo(name, |entry| entry.repo.lifecycle_policy.take().ok_or_else(|| self.no_policy(name)))
    }

    /// Images of a repository: the ones named by `ids` (each must exist; duplicates collapse), else all
    /// admitted by `status`.
    pub fn describe_images(
        &self,
        name: &str,
        ids: Option<&[ImageId]>,
        status: TagStatus,
    ) -> Result<Vec<Image>, EcrError> {
        self.with_repo(name, |entry| match ids {
            None => Ok(entry.images.iter().filter(|i| status.admits(i)).cloned().collect()),
            Some(ids) => {
                let mut out: Vec<Image> = Vec::new();
                for id in ids {
                    let image = self.find_image(name, &entry.images, id)?;
                    if !out.iter().any(|i| i.digest == image.digest) {
                        out.push(image.clone());
                    }
                }
                Ok(out)
            }
        })
    }

    /// ListImages: one id per tag (an untagged image is listed by digest alone).
    pub fn list_images(&self, name: &str, status: TagStatus) -> Result<Vec<ImageId>, EcrError> {
        self.with_repo(name, |entry| {
            let mut out = Vec::new();
            for image in entry.images.iter().filter(|i| status.admits(i)) {
                if image.tags.is_empty() {
                    out.push(ImageId { digest: Some(image.digest.clone()), tag: None });
                }
                for tag in &image.tags {
                    out.push(ImageId { digest: Some(image.digest.clone()), tag: Some(tag.clone()) });
                }
            }
            Ok(out)
        })
    }

    pub fn describe_image_scan_findings(&self, name: &str, id: &ImageId) -> Result<ScanFindings, EcrError> {
        self.with_repo(name, |entry| {
            let image = self.find_image(name, &entry.images, id)?;
            let scan = image.scan.clone().ok_or_else(|| {
                EcrError::new(
                    EcrErrorKind::ScanNotFound,
                    format!(
                        "Image scan does not exist for the image with '{}' in the repository with name \
                         '{name}' in the registry with id '{}'",
                        describe_id(id),
                        self.account_id
                    ),
                )
            })?;
            let findings = synthetic_findings(&image.digest, &scan.severity_counts);
            Ok(ScanFindings { image: image.clone(), scan, findings })
        })
    }

    pub fn put_image_scanning_configuration(
        &self,
        name: &str,
        scan_on_push: bool,
    ) -> Result<Repository, EcrError> {
        self.with_repo(name, |entry| {
            entry.repo.scan_on_push = scan_on_push;
            Ok(entry.repo.clone())
        })
    }

    pub fn put_image_tag_mutability(
        &self,
        name: &str,
        mutability: &str,
        filters: Vec<ExclusionFilter>,
    ) -> Result<Repository, EcrError> {
        if !MUTABILITIES.contains(&mutability) {
            return Err(EcrError::invalid(
                "imageTagMutability",
                format!("Member must satisfy enum value set: {MUTABILITIES:?}"),
            ));
        }
        validate_exclusion_filters(mutability, &filters)?;
        self.with_repo(name, |entry| {
            entry.repo.image_tag_mutability = mutability.to_string();
            entry.repo.mutability_exclusion_filters = filters;
            Ok(entry.repo.clone())
        })
    }

    pub fn list_tags_for_resource(&self, arn: &str) -> Result<Vec<Tag>, EcrError> {
        let name = self.name_from_arn(arn)?;
        self.with_repo(&name, |entry| Ok(entry.repo.tags.clone()))
    }

    /// Adds tags, replacing the value of keys already present.
    pub fn tag_resource(&self, arn: &str, tags: Vec<Tag>) -> Result<(), EcrError> {
        validate_tags(&tags)?;
        let name = self.name_from_arn(arn)?;
        self.with_repo(&name, |entry| {
            let mut merged = entry.repo.tags.clone();
            for tag in tags {
                match merged.iter_mut().find(|t| t.key == tag.key) {
                    Some(existing) => existing.value = tag.value,
                    None => merged.push(tag),
                }
            }
            if merged.len() > MAX_TAGS {
                return Err(EcrError::new(
                    EcrErrorKind::TooManyTags,
                    format!("A resource can have at most {MAX_TAGS} tags"),
                ));
            }
            entry.repo.tags = merged;
            Ok(())
        })
    }

    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), EcrError> {
        let name = self.name_from_arn(arn)?;
        self.with_repo(&name, |entry| {
            entry.repo.tags.retain(|t| !keys.contains(&t.key));
            Ok(())
        })
    }

    fn new_repository(&self, request: CreateRepository) -> Repository {
        let encryption_type = request.encryption_type.unwrap_or_else(|| "AES256".into());
        // KMS without a key uses the AWS managed key for ECR.
        let kms_key = match (encryption_type.as_str(), request.kms_key) {
            ("AES256", _) => None,
            (_, Some(key)) => Some(key),
            (_, None) => Some(format!("arn:aws:kms:{}:{}:alias/aws/ecr", self.region, self.account_id)),
        };
        Repository {
            arn: format!("arn:aws:ecr:{}:{}:repository/{}", self.region, self.account_id, request.name),
            uri: format!("{}.dkr.ecr.{}.amazonaws.com/{}", self.account_id, self.region, request.name),
            registry_id: self.account_id.clone(),
            created_at: now_secs(),
            image_tag_mutability: request.image_tag_mutability.unwrap_or_else(|| "MUTABLE".into()),
            mutability_exclusion_filters: request.mutability_exclusion_filters,
            // ECR's default, as moto and the real service answer: no scanning unless asked for.
            scan_on_push: request.scan_on_push.unwrap_or(false),
            encryption_type,
            kms_key,
            tags: request.tags,
            lifecycle_policy: None,
            name: request.name,
        }
    }

    fn with_repo<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut RepoEntry) -> Result<T, EcrError>,
    ) -> Result<T, EcrError> {
        validate_repository_name(name)?;
        let mut repos = self.lock();
        let entry = repos.get_mut(name).ok_or_else(|| self.repository_not_found(name))?;
        f(entry)
    }

    fn find_image<'a>(&self, name: &str, images: &'a [Image], id: &ImageId) -> Result<&'a Image, EcrError> {
        if id.digest.is_none() && id.tag.is_none() {
            return Err(EcrError::invalid("imageId", "imageDigest or imageTag must be specified"));
        }
        images
            .iter()
            .find(|i| {
                id.digest.as_ref().is_none_or(|d| *d == i.digest)
                    && id.tag.as_ref().is_none_or(|t| i.tags.contains(t))
            })
            .ok_or_else(|| {
                EcrError::new(
                    EcrErrorKind::ImageNotFound,
                    format!(
                        "The image with imageId {} does not exist within the repository with name '{name}' \
                         in the registry with id '{}'",
                        describe_id(id),
                        self.account_id
                    ),
                )
            })
    }

    fn name_from_arn(&self, arn: &str) -> Result<String, EcrError> {
        let prefix = format!("arn:aws:ecr:{}:{}:repository/", self.region, self.account_id);
        match arn.strip_prefix(&prefix) {
            Some(name) if !name.is_empty() => Ok(name.to_string()),
            _ => Err(EcrError::invalid(
                "resourceArn",
                format!("Must be a repository ARN of this registry, like {prefix}<name>"),
            )),
        }
    }

    fn repository_not_found(&self, name: &str) -> EcrError {
        EcrError::new(
            EcrErrorKind::RepositoryNotFound,
            format!(
                "The repository with name '{name}' does not exist in the registry with id '{}'",
                self.account_id
            ),
        )
    }

    fn no_policy(&self, name: &str) -> EcrError {
        EcrError::new(
            EcrErrorKind::LifecyclePolicyNotFound,
            format!(
                "Lifecycle policy does not exist for the repository with name '{name}' in the registry \
                 with id '{}'",
                self.account_id
            ),
        )
    }

    // A poisoned lock only means a panic elsewhere mid-update; the registry is still usable.
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, RepoEntry>> {
        self.repos.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn now_secs() -> f64 {
    jiff::Timestamp::now().as_millisecond() as f64 / 1000.0
}

fn completed_scan(now: f64, counts: BTreeMap<String, u32>) -> ImageScan {
    ImageScan {
        status: "COMPLETE".into(),
        description: "The scan was completed successfully.".into(),
        completed_at: Some(now),
        vulnerability_source_updated_at: Some(now - 86_400.0),
        severity_counts: counts.into_iter().filter(|(_, n)| *n > 0).collect(),
    }
}

fn describe_id(id: &ImageId) -> String {
    format!(
        "{{imageDigest:'{}', imageTag:'{}'}}",
        id.digest.as_deref().unwrap_or("null"),
        id.tag.as_deref().unwrap_or("null")
    )
}

/// Stable, made-up findings matching the severity counts (the same digest always gets the same CVEs).
fn synthetic_findings(digest: &str, counts: &BTreeMap<String, u32>) -> Vec<Finding> {
    // FNV-1a of the digest, so findings differ between images.
    let seed = digest
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let mut out = Vec::new();
    let ordered = SEVERITIES.iter().filter_map(|s| counts.get(*s).map(|n| (s.to_string(), *n)));
    let others =
        counts.iter().filter(|(s, _)| !SEVERITIES.contains(&s.as_str())).map(|(s, n)| (s.clone(), *n));
    for (severity, count) in ordered.chain(others) {
        for _ in 0..count {
            if out.len() >= MAX_FINDINGS {
                return out;
            }
            let n = out.len() as u64;
            let cve = format!(
                "CVE-{}-{}",
                2020 + (seed.wrapping_add(n) % 6),
                10_000 + (seed.wrapping_mul(n + 1) >> 40) % 90_000
            );
            out.push(Finding {
                description: format!("Simulated {} vulnerability in libsim{n}.", severity.to_lowercase()),
                uri: format!("https://security-tracker.debian.org/tracker/{cve}"),
                severity: severity.clone(),
                attributes: vec![
                    ("package_name".into(), format!("libsim{n}")),
                    ("package_version".into(), format!("1.{}.{}", n % 10, seed % 7)),
                ],
                name: cve,
            });
        }
    }
    out
}

/// Repository names: 2–256 chars of lowercase path segments, as ECR's model pattern says.
pub fn validate_repository_name(name: &str) -> Result<(), EcrError> {
    if name.len() < 2 {
        return Err(EcrError::invalid(
            "repositoryName",
            "Member must have length greater than or equal to 2",
        ));
    }
    if name.len() > 256 {
        return Err(EcrError::invalid("repositoryName", "Member must have length less than or equal to 256"));
    }
    let segment_ok = |segment: &str| {
        let bytes = segment.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let separator = |b: &u8| matches!(b, b'.' | b'_' | b'-');
        bytes.first().is_some_and(alnum)
            && bytes.last().is_some_and(alnum)
            && bytes.iter().all(|b| alnum(b) || separator(b))
            && !bytes.windows(2).any(|w| separator(&w[0]) && separator(&w[1]))
    };
    if name.split('/').all(segment_ok) {
        Ok(())
    } else {
        Err(EcrError::invalid("repositoryName", format!("must satisfy regular expression '{NAME_PATTERN}'")))
    }
}

fn validate_exclusion_filters(mutability: &str, filters: &[ExclusionFilter]) -> Result<(), EcrError> {
    let field = "imageTagMutabilityExclusionFilters";
    if mutability.ends_with("_WITH_EXCLUSION") {
        if filters.is_empty() {
            return Err(EcrError::invalid(
                field,
                format!("must be specified when imageTagMutability is {mutability}"),
            ));
        }
    } else if !filters.is_empty() {
        return Err(EcrError::invalid(
            field,
            format!("must not be specified when imageTagMutability is {mutability}"),
        ));
    }
    if filters.iter().any(|f| f.filter_type != "WILDCARD" || f.filter.is_empty() || f.filter.len() > 128) {
        return Err(EcrError::invalid(
            field,
            "each filter needs filterType WILDCARD and a filter of 1-128 characters",
        ));
    }
    Ok(())
}

fn validate_tags(tags: &[Tag]) -> Result<(), EcrError> {
    let bad = |m: String| Err(EcrError::new(EcrErrorKind::InvalidTagParameter, m));
    if tags.len() > MAX_TAGS {
        return Err(EcrError::new(
            EcrErrorKind::TooManyTags,
            format!("A resource can have at most {MAX_TAGS} tags"),
        ));
    }
    let mut seen = BTreeSet::new();
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 128 {
            return bad(format!("Tag key '{}' must be 1-128 characters long", tag.key));
        }
        if tag.value.chars().count() > 256 {
            return bad(format!("The value of tag '{}' must be at most 256 characters long", tag.key));
        }
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return bad(format!("Tag key '{}' uses the reserved prefix aws:", tag.key));
        }
        if !seen.insert(tag.key.as_str()) {
            return bad(format!("Tag key '{}' is repeated", tag.key));
        }
    }
    Ok(())
}

/// Checks a lifecycle policy document as ECR does before storing it (wire-formats §7.1).
pub fn validate_lifecycle_policy(text: &str) -> Result<(), EcrError> {
    let chars = text.chars().count();
    if chars < 100 {
        return Err(EcrError::invalid(
            "lifecyclePolicyText",
            "Member must have length greater than or equal to 100",
        ));
    }
    if chars > 30_720 {
        return Err(EcrError::invalid(
            "lifecyclePolicyText",
            "Member must have length less than or equal to 30720",
        ));
    }
    let fail = |detail: String| {
        EcrError::invalid("lifecyclePolicyText", format!("Lifecycle policy validation failure: {detail}"))
    };
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Err(fail("Could not map policyString into LifecyclePolicy.".into()));
    };
    let Some(doc) = doc.as_object() else { return Err(fail("the policy must be a JSON object".into())) };
    if let Some(key) = doc.keys().find(|k| *k != "rules") {
        return Err(fail(format!(
            "object instance has properties which are not allowed by the schema: [\"{key}\"]"
        )));
    }
    let Some(rules) = doc.get("rules").and_then(Value::as_array) else {
        return Err(fail("object has missing required properties ([\"rules\"])".into()));
    };
    if rules.is_empty() {
        return Err(fail("the rules array must contain at least one rule".into()));
    }
    let mut priorities = BTreeSet::new();
    let mut any_priority = None;
    for (i, rule) in rules.iter().enumerate() {
        let priority = validate_rule(rule).map_err(|detail| fail(format!("rules[{i}]: {detail}")))?;
        if !priorities.insert(priority.0) {
            return Err(fail(format!(
                "The rulePriority {} is used by more than one rule. Each rule must have a unique \
                 rulePriority.",
                priority.0
            )));
        }
        if priority.1 {
            if any_priority.is_some() {
                return Err(fail("only one rule may have tagStatus any".into()));
            }
            any_priority = Some(priority.0);
        }
    }
    if let Some(any) = any_priority.filter(|any| priorities.last() != Some(any)) {
        return Err(fail(format!(
            "The rule with tagStatus any (rulePriority {any}) must have the highest rulePriority of all \
             rules."
        )));
    }
    Ok(())
}

/// Checks one rule; returns its priority and whether it is the `tagStatus: any` rule.
fn validate_rule(rule: &Value) -> Result<(u64, bool), String> {
    let rule = rule.as_object().ok_or("a rule must be an object")?;
    let allowed = |obj: &serde_json::Map<String, Value>, keys: &[&str], what: &str| -> Result<(), String> {
        match obj.keys().find(|k| !keys.contains(&k.as_str())) {
            Some(k) => Err(format!("{what} has a property which is not allowed by the schema: \"{k}\"")),
            None => Ok(()),
        }
    };
    allowed(rule, &["rulePriority", "description", "selection", "action"], "rule")?;
    let priority = rule
        .get("rulePriority")
        .and_then(Value::as_u64)
        .filter(|p| *p >= 1)
        .ok_or("rulePriority must be an integer of at least 1")?;
    if rule.get("description").is_some_and(|d| !d.is_string()) {
        return Err("description must be a string".into());
    }
    let selection = rule.get("selection").and_then(Value::as_object).ok_or("selection is required")?;
    allowed(
        selection,
        &[
            "tagStatus",
            "tagPrefixList",
            "tagPatternList",
            "countType",
            "countUnit",
            "countNumber",
            "storageClass",
        ],
        "selection",
    )?;
    let tag_status =
        selection.get("tagStatus").and_then(Value::as_str).ok_or("selection.tagStatus is required")?;
    let list = |key: &str| -> Result<Option<usize>, String> {
        match selection.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) if items.iter().all(|v| v.as_str().is_some_and(|s| !s.is_empty())) => {
                Ok(Some(items.len()))
            }
            Some(_) => Err(format!("selection.{key} must be an array of non-empty strings")),
        }
    };
    let prefixes = list("tagPrefixList")?;
    let patterns = list("tagPatternList")?;
    let too_wild = selection
        .get("tagPatternList")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().filter_map(Value::as_str).any(|p| p.matches('*').count() > 4));
    if too_wild {
        return Err("a tagPatternList entry may contain at most 4 wildcards (*)".into());
    }
    match tag_status {
        "tagged" => match (prefixes, patterns) {
            (Some(_), Some(_)) => {
                return Err("specify either tagPrefixList or tagPatternList, not both".into());
            }
            (Some(n), None) | (None, Some(n)) if n > 0 => {}
            _ => return Err("tagStatus tagged requires a non-empty tagPrefixList or tagPatternList".into()),
        },
        "untagged" | "any" => {
            if prefixes.is_some() || patterns.is_some() {
                return Err(format!(
                    "tagPrefixList and tagPatternList are not allowed with tagStatus {tag_status}"
                ));
            }
        }
        other => return Err(format!("tagStatus \"{other}\" is not one of tagged, untagged, any")),
    }
    let count_type =
        selection.get("countType").and_then(Value::as_str).ok_or("selection.countType is required")?;
    let count_unit = selection.get("countUnit");
    match count_type {
        "imageCountMoreThan" => {
            if count_unit.is_some() {
                return Err("countUnit is not allowed with countType imageCountMoreThan".into());
            }
        }
        "sinceImagePushed" | "sinceImagePulled" | "sinceImageTransitioned" => {
            if count_unit.and_then(Value::as_str) != Some("days") {
                return Err(format!("countType {count_type} requires countUnit \"days\""));
            }
        }
        other => {
            return Err(format!(
                "countType \"{other}\" is not one of imageCountMoreThan, sinceImagePushed, \
                 sinceImagePulled, sinceImageTransitioned"
            ));
        }
    }
    if selection.get("countNumber").and_then(Value::as_u64).is_none_or(|n| n < 1) {
        return Err("selection.countNumber must be an integer of at least 1".into());
    }
    if selection.get("storageClass").is_some_and(|c| !matches!(c.as_str(), Some("standard" | "archive"))) {
        return Err("selection.storageClass must be standard or archive".into());
    }
    let action = rule.get("action").and_then(Value::as_object).ok_or("action is required")?;
    allowed(action, &["type", "targetStorageClass"], "action")?;
    match (action.get("type").and_then(Value::as_str), action.get("targetStorageClass")) {
        (Some("expire"), None) => {}
        (Some("expire"), Some(_)) => {
            return Err("targetStorageClass is only allowed with action type transition".into());
        }
        (Some("transition"), Some(Value::String(class))) if class == "archive" => {}
        (Some("transition"), _) => {
            return Err("action type transition requires targetStorageClass \"archive\"".into());
        }
        _ => return Err("action.type must be expire or transition".into()),
    }
    Ok((priority, tag_status == "any"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> EcrStore {
        EcrStore::new("eu-west-1", "123456789012")
    }

    fn counts(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn policy(rules: Value) -> String {
        let text = json!({"rules": rules}).to_string();
        assert!(text.len() >= 100, "test policies must be long enough: {text}");
        text
    }

    fn expire_untagged(priority: u64) -> Value {
        json!({
            "rulePriority": priority,
            "description": "Expire untagged after 14 days",
            "selection": {
                "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                "countNumber": 14
            },
            "action": {"type": "expire"}
        })
    }

    #[test]
    fn create_describe_and_delete_repositories() {
        let s = store();
        let repo = s
            .create_repository(CreateRepository {
                name: "payments/api".into(),
                image_tag_mutability: Some("IMMUTABLE".into()),
                tags: vec![Tag { key: "team".into(), value: "payments".into() }],
                ..Default::default()
            })
            .unwrap();
        assert_eq!(repo.arn, "arn:aws:ecr:eu-west-1:123456789012:repository/payments/api");
        assert_eq!(repo.uri, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api");
        assert_eq!(
            (repo.scan_on_push, repo.encryption_type.as_str(), repo.kms_key.as_ref()),
            (false, "AES256", None)
        );
        assert!(repo.created_at > 1.7e9);
        let again =
            s.create_repository(CreateRepository { name: "payments/api".into(), ..Default::default() });
        assert_eq!(again.unwrap_err().kind, EcrErrorKind::RepositoryAlreadyExists);

        s.create_repository(CreateRepository {
            name: "billing".into(),
            encryption_type: Some("KMS".into()),
            ..Default::default()
        })
        .unwrap();
        let all = s.describe_repositories(None).unwrap();
        assert_eq!(all.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), vec!["billing", "payments/api"]);
        assert!(all[0].kms_key.as_deref().is_some_and(|k| k.contains(":alias/aws/ecr")));
        let missing = s.describe_repositories(Some(&["billing".into(), "nope".into()])).unwrap_err();
        assert_eq!(missing.kind, EcrErrorKind::RepositoryNotFound);
        assert!(missing.message.contains("'nope'") && missing.message.contains("123456789012"));

        s.seed_image("billing", "v1", "sha256:aaa", 10, BTreeMap::new());
        assert_eq!(s.delete_repository("billing", false).unwrap_err().kind, EcrErrorKind::RepositoryNotEmpty);
        assert_eq!(s.delete_repository("billing", true).unwrap().name, "billing");
        assert_eq!(s.delete_repository("billing", true).unwrap_err().kind, EcrErrorKind::RepositoryNotFound);
    }

    #[test]
    fn repository_names_and_settings_are_validated() {
        for bad in
            ["a", "Upper", "-lead", "trail-", "dou..ble", "a//b", "/a", "a/", "sp ace", &"x".repeat(257)]
        {
            let err = validate_repository_name(bad).unwrap_err();
            assert_eq!(err.kind, EcrErrorKind::InvalidParameter, "{bad}");
            assert!(err.message.starts_with("Invalid parameter at 'repositoryName'"), "{}", err.message);
        }
        for good in ["ab", "payments/api", "a.b_c-d/e1/f2", "0x"] {
            validate_repository_name(good).unwrap();
        }
        let s = store();
        let create = |req: CreateRepository| s.create_repository(req).map(|_| ()).unwrap_err().kind;
        let base = || CreateRepository { name: "svc".into(), ..Default::default() };
        assert_eq!(
            create(CreateRepository { image_tag_mutability: Some("SOMETIMES".into()), ..base() }),
            EcrErrorKind::InvalidParameter
        );
        assert_eq!(
            create(CreateRepository { encryption_type: Some("ROT13".into()), ..base() }),
            EcrErrorKind::InvalidParameter
        );
        assert_eq!(
            create(CreateRepository { kms_key: Some("k".into()), ..base() }),
            EcrErrorKind::InvalidParameter
        );
        assert_eq!(
            create(CreateRepository {
                image_tag_mutability: Some("IMMUTABLE_WITH_EXCLUSION".into()),
                ..base()
            }),
            EcrErrorKind::InvalidParameter
        );
        let aws_tag = vec![Tag { key: "aws:owner".into(), value: "x".into() }];
        assert_eq!(create(CreateRepository { tags: aws_tag, ..base() }), EcrErrorKind::InvalidTagParameter);
        let many: Vec<Tag> = (0..51).map(|i| Tag { key: format!("k{i}"), value: String::new() }).collect();
        assert_eq!(create(CreateRepository { tags: many, ..base() }), EcrErrorKind::TooManyTags);
    }

    #[test]
    fn seeding_moves_tags_between_images() {
        let s = store();
        s.seed_image("payments/api", "latest", "sha256:one", 100, counts(&[("HIGH", 2), ("MEDIUM", 5)]));
        s.seed_image("payments/api", "abc123", "sha256:one", 100, BTreeMap::new());
        s.seed_image("payments/api", "latest", "sha256:two", 200, counts(&[("CRITICAL", 1)]));
        let repo = &s.describe_repositories(Some(&["payments/api".into()])).unwrap()[0];
        assert_eq!(
            (repo.image_tag_mutability.as_str(), repo.scan_on_push, repo.encryption_type.as_str()),
            ("MUTABLE", true, "AES256")
        );

        let images = s.describe_images("payments/api", None, TagStatus::Any).unwrap();
        assert_eq!(images.len(), 2);
        assert_eq!(images[0].tags, vec!["abc123"]);
        assert_eq!(images[1].tags, vec!["latest"]);
        assert_eq!(images[1].scan.as_ref().unwrap().severity_counts, counts(&[("CRITICAL", 1)]));

        // Moving the only tag off an image leaves it untagged.
        s.seed_image("payments/api", "abc123", "sha256:two", 200, BTreeMap::new());
        let untagged = s.describe_images("payments/api", None, TagStatus::Untagged).unwrap();
        assert_eq!(untagged.iter().map(|i| i.digest.as_str()).collect::<Vec<_>>(), vec!["sha256:one"]);
        let ids = s.list_images("payments/api", TagStatus::Any).unwrap();
        assert_eq!(ids.len(), 3, "one id per tag plus the untagged digest: {ids:?}");
        assert_eq!(ids[0], ImageId { digest: Some("sha256:one".into()), tag: None });
    }

    #[test]
    fn images_by_id_and_scan_findings() {
        let s = store();
        s.seed_image("svc", "v1", "sha256:aaa", 1, counts(&[("HIGH", 2), ("LOW", 1)]));
        let by_tag = ImageId { digest: None, tag: Some("v1".into()) };
        let by_digest = ImageId { digest: Some("sha256:aaa".into()), tag: None };
        let found = s.describe_images("svc", Some(&[by_tag.clone(), by_digest]), TagStatus::Any).unwrap();
        assert_eq!(found.len(), 1, "the same image twice collapses");
        let missing = ImageId { digest: None, tag: Some("v9".into()) };
        let err = s.describe_images("svc", Some(std::slice::from_ref(&missing)), TagStatus::Any).unwrap_err();
        assert_eq!(err.kind, EcrErrorKind::ImageNotFound);
        assert!(err.message.contains("imageTag:'v9'"), "{}", err.message);
        let mismatched = ImageId { digest: Some("sha256:bbb".into()), tag: Some("v1".into()) };
        assert!(s.describe_images("svc", Some(&[mismatched]), TagStatus::Any).is_err());

        let scan = s.describe_image_scan_findings("svc", &by_tag).unwrap();
        assert_eq!(scan.scan.status, "COMPLETE");
        assert_eq!(scan.findings.len(), 3);
        assert_eq!(scan.findings.iter().filter(|f| f.severity == "HIGH").count(), 2);
        assert!(scan.findings.iter().all(|f| f.name.starts_with("CVE-")));
        assert_eq!(scan.findings, s.describe_image_scan_findings("svc", &by_tag).unwrap().findings, "stable");
        assert_eq!(
            s.describe_image_scan_findings("svc", &missing).unwrap_err().kind,
            EcrErrorKind::ImageNotFound
        );

        // Without scan on push there is no scan to describe.
        s.put_image_scanning_configuration("svc", false).unwrap();
        s.seed_image("svc", "v2", "sha256:ccc", 1, counts(&[("HIGH", 1)]));
        let v2 = ImageId { digest: None, tag: Some("v2".into()) };
        assert_eq!(s.describe_image_scan_findings("svc", &v2).unwrap_err().kind, EcrErrorKind::ScanNotFound);
    }

    #[test]
    fn lifecycle_policies_are_validated_and_stored() {
        let s = store();
        s.create_repository(CreateRepository { name: "svc".into(), ..Default::default() }).unwrap();
        assert_eq!(s.get_lifecycle_policy("svc").unwrap_err().kind, EcrErrorKind::LifecyclePolicyNotFound);
        let good = policy(json!([
            expire_untagged(1),
            {
                "rulePriority": 2,
                "description": "Keep last 30 release images",
                "selection": {
                    "tagStatus": "tagged", "tagPatternList": ["v*"], "countType": "imageCountMoreThan",
                    "countNumber": 30
                },
                "action": {"type": "expire"}
            }
        ]));
        s.put_lifecycle_policy("svc", &good).unwrap();
        assert_eq!(s.get_lifecycle_policy("svc").unwrap().text, good);
        assert_eq!(s.delete_lifecycle_policy("svc").unwrap().text, good);
        assert_eq!(s.delete_lifecycle_policy("svc").unwrap_err().kind, EcrErrorKind::LifecyclePolicyNotFound);
        assert_eq!(s.put_lifecycle_policy("nope", &good).unwrap_err().kind, EcrErrorKind::RepositoryNotFound);
    }

    #[test]
    fn lifecycle_policy_rules() {
        let rejected = |text: String, why: &str| {
            let err = validate_lifecycle_policy(&text).unwrap_err();
            assert_eq!(err.kind, EcrErrorKind::InvalidParameter, "{why}");
            assert!(err.message.contains("lifecyclePolicyText"), "{why}: {}", err.message);
        };
        rejected("{}".into(), "too short");
        rejected("x".repeat(30_721), "too long");
        rejected(format!("{{\"rules\": [{}", " ".repeat(120)), "not JSON");
        rejected(format!("{{\"rules\": []{}}}", " ".repeat(100)), "no rules");
        rejected(format!("{{\"rules\": \"{}\"}}", "r".repeat(100)), "rules not an array");
        rejected(policy(json!([expire_untagged(1), expire_untagged(1)])), "duplicate priority");
        let mut tagged_without_list = expire_untagged(1);
        tagged_without_list["selection"]["tagStatus"] = json!("tagged");
        rejected(policy(json!([tagged_without_list])), "tagged needs a list");
        let mut untagged_with_list = expire_untagged(1);
        untagged_with_list["selection"]["tagPrefixList"] = json!(["v"]);
        rejected(policy(json!([untagged_with_list])), "untagged forbids lists");
        let mut any_first = expire_untagged(1);
        any_first["selection"]["tagStatus"] = json!("any");
        rejected(policy(json!([any_first.clone(), expire_untagged(2)])), "any must be last");
        let mut any_last = any_first.clone();
        any_last["rulePriority"] = json!(3);
        validate_lifecycle_policy(&policy(json!([expire_untagged(2), any_last]))).unwrap();
        let mut no_unit = expire_untagged(1);
        no_unit["selection"].as_object_mut().unwrap().remove("countUnit");
        rejected(policy(json!([no_unit])), "since* needs days");
        let mut count_with_unit = expire_untagged(1);
        count_with_unit["selection"]["countType"] = json!("imageCountMoreThan");
        rejected(policy(json!([count_with_unit])), "imageCountMoreThan forbids countUnit");
        let mut bad_action = expire_untagged(1);
        bad_action["action"] = json!({"type": "delete"});
        rejected(policy(json!([bad_action])), "unknown action");
        let mut transition = expire_untagged(1);
        transition["action"] = json!({"type": "transition", "targetStorageClass": "archive"});
        validate_lifecycle_policy(&policy(json!([transition]))).unwrap();
        let mut extra = expire_untagged(1);
        extra["surprise"] = json!(true);
        rejected(policy(json!([extra])), "unknown property");
        let mut zero = expire_untagged(1);
        zero["selection"]["countNumber"] = json!(0);
        rejected(policy(json!([zero])), "countNumber >= 1");
    }

    #[test]
    fn tags_and_settings_by_arn() {
        let s = store();
        let repo =
            s.create_repository(CreateRepository { name: "svc".into(), ..Default::default() }).unwrap();
        s.tag_resource(&repo.arn, vec![Tag { key: "team".into(), value: "a".into() }]).unwrap();
        s.tag_resource(
            &repo.arn,
            vec![
                Tag { key: "team".into(), value: "b".into() },
                Tag { key: "env".into(), value: "dev".into() },
            ],
        )
        .unwrap();
        let tags = s.list_tags_for_resource(&repo.arn).unwrap();
        assert_eq!(
            tags,
            vec![
                Tag { key: "team".into(), value: "b".into() },
                Tag { key: "env".into(), value: "dev".into() }
            ]
        );
        s.untag_resource(&repo.arn, &["team".into()]).unwrap();
        assert_eq!(s.list_tags_for_resource(&repo.arn).unwrap().len(), 1);
        assert_eq!(
            s.list_tags_for_resource("arn:aws:s3:::bucket").unwrap_err().kind,
            EcrErrorKind::InvalidParameter
        );
        let other = "arn:aws:ecr:eu-west-1:123456789012:repository/other";
        assert_eq!(s.list_tags_for_resource(other).unwrap_err().kind, EcrErrorKind::RepositoryNotFound);

        let updated = s.put_image_tag_mutability("svc", "IMMUTABLE", Vec::new()).unwrap();
        assert_eq!(updated.image_tag_mutability, "IMMUTABLE");
        let filters = vec![ExclusionFilter { filter_type: "WILDCARD".into(), filter: "latest".into() }];
        let updated = s.put_image_tag_mutability("svc", "IMMUTABLE_WITH_EXCLUSION", filters.clone()).unwrap();
        assert_eq!(updated.mutability_exclusion_filters, filters);
        assert!(s.put_image_tag_mutability("svc", "NEVER", Vec::new()).is_err());
        assert!(!s.put_image_scanning_configuration("svc", false).unwrap().scan_on_push);
    }
}
