//! "Needs attention": every signal of a service scored together, so the service whose app is Degraded
//! because its new pods crash-loop — with its stalled rollout, policy failures and warning events — rises
//! above a service with one flapping probe. One finding per troubled service, worst first.

use std::collections::HashMap;

use jiff::Timestamp;

use super::model::{HealthStatus, PodInfo, PolicyResult, RolloutState, ServiceKey, Severity, SyncStatus};
use super::project::{health_name, result_name, severity_name};
use super::services::ServiceView;

/// How soon someone should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Urgency {
    /// The service is (or is about to be) down: fix now.
    Critical,
    /// Something is wrong but serving continues.
    Warning,
    /// Hygiene: policy findings, unknown states.
    Notice,
}

/// One troubled service, with a headline and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub service: ServiceKey,
    /// The Argo CD app deploying the service.
    pub app: Option<String>,
    pub urgency: Urgency,
    pub score: u32,
    /// One line an on-call engineer understands.
    pub headline: String,
    /// The evidence, worst first.
    pub reasons: Vec<String>,
}

// The scoring table. A service's score is the sum of its signals; the weights make a broken deployment
// (app Degraded + crash-looping pods + stalled rollout) outrank anything a single symptom can reach.

/// Argo CD says the app is Degraded: users are likely affected.
pub const SCORE_APP_DEGRADED: u32 = 400;
/// Argo CD says resources of the app do not exist.
pub const SCORE_APP_MISSING: u32 = 300;
/// Argo CD cannot assess health: often a controller or comparison problem.
pub const SCORE_APP_UNKNOWN: u32 = 20;
/// Each pod crash-looping or failing to pull its image (or to create its container).
pub const SCORE_POD_FAILING: u32 = 150;
/// Each restart of a failing pod: a longer loop is a louder one.
pub const SCORE_RESTART: u32 = 10;
/// Cap on restart points per service, so a week-old loop does not drown everything else.
pub const CAP_RESTARTS: u32 = 100;
/// A rollout past its progress deadline: the new version will not come up by itself.
pub const SCORE_ROLLOUT_STALLED: u32 = 200;
/// Each pod that is not ready for another reason (probe failing, starting).
pub const SCORE_POD_UNREADY: u32 = 40;
/// Cap on unready-pod points per service.
pub const CAP_UNREADY: u32 = 160;
/// Extra when no pod of the service is ready at all: the service is down.
pub const SCORE_NONE_READY: u32 = 150;
/// Git and cluster disagree: a change is not applied (or a manual edit drifted).
pub const SCORE_OUT_OF_SYNC: u32 = 60;
/// The last sync failed: what Git says is not what runs.
pub const SCORE_OPERATION_FAILED: u32 = 120;
/// An app condition of the Error kind (ComparisonError, SyncError ...).
pub const SCORE_APP_CONDITION_ERROR: u32 = 80;
/// Each failing policy result, by severity (critical, high, medium, low, info, unknown).
pub const SCORE_POLICY: [u32; 6] = [80, 40, 15, 5, 1, 10];
/// Cap on policy points per service: a hygiene backlog must not outrank an outage.
pub const CAP_POLICY: u32 = 150;
/// Each occurrence of a recent warning event.
pub const SCORE_WARNING_EVENT: u32 = 3;
/// Cap on warning-event points per service.
pub const CAP_EVENTS: u32 = 30;
/// Events seen within this many seconds of now count as recent.
pub const RECENT_SECONDS: i64 = 15 * 60;
/// At most this many evidence lines per finding.
pub const MAX_REASONS: usize = 12;

/// How a pod fails to run, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodFailure {
    /// Restarting over and over (CrashLoopBackOff, or an Error/OOMKilled termination being restarted).
    CrashLoop,
    /// The image cannot be pulled.
    ImagePull,
    /// The container cannot be created (bad config, missing secret ...).
    CreateContainer,
}

/// kubectl STATUS words meaning the container keeps dying.
const CRASH_STATUSES: &[&str] =
    &["CrashLoopBackOff", "Error", "OOMKilled", "ContainerCannotRun", "RunContainerError"];
const PULL_STATUSES: &[&str] = &["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"];
const CREATE_STATUSES: &[&str] = &["CreateContainerConfigError", "CreateContainerError"];

/// Whether (and how) a pod fails to run. A pod shown Running but unready after restarts that ended in an
/// error is crash-looping too: it is between two crashes.
pub fn pod_failure(p: &PodInfo) -> Option<PodFailure> {
    if p.terminating {
        return None;
    }
    let status = p.status.as_str();
    let exit = status.starts_with("ExitCode:") || status.starts_with("Signal:");
    if status == "CrashLoopBackOff" || (p.restarts > 0 && (CRASH_STATUSES.contains(&status) || exit)) {
        Some(PodFailure::CrashLoop)
    } else if PULL_STATUSES.contains(&status) {
        Some(PodFailure::ImagePull)
    } else if CREATE_STATUSES.contains(&status) {
        Some(PodFailure::CreateContainer)
    } else if !p.ready
        && p.restarts > 0
        && p.phase == "Running"
        && p.last_termination.as_deref().is_some_and(|t| t != "Completed")
    {
        Some(PodFailure::CrashLoop)
    } else {
        None
    }
}

/// Crash-looping, as the overview counts it.
pub fn is_crashlooping(p: &PodInfo) -> bool {
    pod_failure(p) == Some(PodFailure::CrashLoop)
}

/// Not ready for a reason other than a failure, and expected to be ready (not terminating, not done).
fn is_unready(p: &PodInfo) -> bool {
    !p.ready && !p.terminating && p.phase != "Succeeded" && pod_failure(p).is_none()
}

/// Whether an event was seen within [`RECENT_SECONDS`] of `now` (a clock-skewed future one counts).
pub fn is_recent(last_seen: Option<Timestamp>, now: Timestamp) -> bool {
    last_seen.is_some_and(|t| now.as_second() - t.as_second() <= RECENT_SECONDS)
}

fn severity_points(s: Severity) -> u32 {
    let i = match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
        Severity::Unknown => 5,
    };
    SCORE_POLICY.get(i).copied().unwrap_or(0)
}

/// Findings for every service with something wrong, highest score first, ties by key.
pub fn rank(services: &[ServiceView], now: Timestamp) -> Vec<Finding> {
    let mut findings: Vec<Finding> = services.iter().filter_map(|s| assess(s, now)).collect();
    findings.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.service.cmp(&b.service)));
    findings
}

/// Accumulates one service's signals.
struct Assessment {
    score: u32,
    urgency: Option<Urgency>,
    reasons: Vec<String>,
}

impl Assessment {
    fn add(&mut self, points: u32, urgency: Urgency, reason: String) {
        self.bump(points, urgency);
        self.reasons.push(reason);
    }

    /// Points and urgency whose evidence lines were pushed already.
    fn bump(&mut self, points: u32, urgency: Urgency) {
        self.score = self.score.saturating_add(points);
        // Critical < Warning < Notice: the smallest is the most urgent.
        self.urgency = Some(self.urgency.map_or(urgency, |u| u.min(urgency)));
    }
}

/// The finding for one service, or None when nothing is wrong.
pub fn assess(s: &ServiceView, now: Timestamp) -> Option<Finding> {
    let mut a = Assessment { score: 0, urgency: None, reasons: Vec::new() };
    // Headline parts: what Argo CD says, what the pods do, what the rollout does.
    let mut app_part = None;
    let mut pods_part = None;
    let mut rollout_part = None;

    if let Some(app) = &s.app {
        let with_message = |m: &str| if m.is_empty() { String::new() } else { format!(": {m}") };
        match app.health {
            HealthStatus::Degraded | HealthStatus::Missing => {
                let points =
                    if app.health == HealthStatus::Degraded { SCORE_APP_DEGRADED } else { SCORE_APP_MISSING };
                let health = health_name(app.health);
                a.add(
                    points,
                    Urgency::Critical,
                    format!("Argo CD app {} is {health}{}", app.name, with_message(&app.health_message)),
                );
                app_part = Some(format!("Argo CD {health}"));
            }
            HealthStatus::Unknown => {
                a.add(
                    SCORE_APP_UNKNOWN,
                    Urgency::Notice,
                    format!("Argo CD app {} health is Unknown", app.name),
                );
            }
            _ => {}
        }
        if let Some(op) = &app.last_operation
            && (op.phase == "Failed" || op.phase == "Error")
        {
            a.add(
                SCORE_OPERATION_FAILED,
                Urgency::Warning,
                format!("last Argo CD sync {}{}", op.phase, with_message(&op.message)),
            );
            app_part.get_or_insert_with(|| format!("Argo CD sync {}", op.phase));
        }
        if app.sync == SyncStatus::OutOfSync {
            let revision = short_revision(&app.revision);
            let at = if revision.is_empty() { String::new() } else { format!(" (Git at {revision})") };
            a.add(SCORE_OUT_OF_SYNC, Urgency::Warning, format!("Argo CD app {} is OutOfSync{at}", app.name));
            app_part.get_or_insert_with(|| "Argo CD OutOfSync".to_owned());
        }
        for c in app.conditions.iter().filter(|c| c.kind.ends_with("Error")) {
            a.add(SCORE_APP_CONDITION_ERROR, Urgency::Warning, format!("Argo CD {}: {}", c.kind, c.message));
        }
    }

    // Pods: failing ones (with their restarts), then the otherwise unready.
    let live: Vec<&PodInfo> = s.pods.iter().map(|p| &**p).filter(|p| !p.terminating).collect();
    let failing: Vec<(&PodInfo, PodFailure)> =
        live.iter().filter_map(|p| Some((*p, pod_failure(p)?))).collect();
    let mut restart_points = 0u32;
    for (p, _) in &failing {
        restart_points = restart_points.saturating_add(p.restarts.saturating_mul(SCORE_RESTART));
        let last = p.last_termination.as_deref().map(|t| format!(", last exit {t}")).unwrap_or_default();
        a.add(
            SCORE_POD_FAILING,
            Urgency::Critical,
            format!("{}: {} in pod {}{last}", failure_word(p), plural(p.restarts, "restart"), p.name),
        );
    }
    if !failing.is_empty() {
        a.bump(restart_points.min(CAP_RESTARTS), Urgency::Critical);
    }
    if let Some((word, n)) = dominant(failing.iter().map(|(p, _)| failure_word(p))) {
        let image = failing
            .iter()
            .find(|(p, _)| failure_word(p) == word)
            .and_then(|(p, _)| p.images.first())
            .map(|i| format!(" on image {}", short_image(i)))
            .unwrap_or_default();
        let others = if n < failing.len() { " …" } else { "" };
        pods_part = Some(format!("{n}/{} pods {word}{image}{others}", live.len()));
    }

    let unready: Vec<&PodInfo> = live.iter().copied().filter(|p| is_unready(p)).collect();
    if !unready.is_empty() {
        let points = SCORE_POD_UNREADY.saturating_mul(u32::try_from(unready.len()).unwrap_or(u32::MAX));
        let names: Vec<&str> = unready.iter().take(3).map(|p| p.name.as_str()).collect();
        let more = if unready.len() > names.len() { " …" } else { "" };
        a.add(
            points.min(CAP_UNREADY),
            Urgency::Warning,
            format!("{} not ready: {}{more}", plural_n(unready.len(), "pod"), names.join(", ")),
        );
        pods_part.get_or_insert_with(|| format!("{}/{} pods not ready", unready.len(), live.len()));
    }
    let serving = live.iter().filter(|p| p.ready).count();
    let expected = s.deployments.iter().any(|d| d.desired > 0) || !live.is_empty();
    if serving == 0 && expected && (!failing.is_empty() || !unready.is_empty()) {
        a.add(SCORE_NONE_READY, Urgency::Critical, "no pod is ready: the service is down".to_owned());
        pods_part = pods_part.map(|p| format!("{p} (none ready)"));
    }

    for d in s.deployments.iter().filter(|d| d.rollout == RolloutState::Stalled) {
        let message =
            if d.rollout_message.is_empty() { String::new() } else { format!(": {}", d.rollout_message) };
        a.add(
            SCORE_ROLLOUT_STALLED,
            Urgency::Critical,
            format!(
                "rollout of deployment {} stalled ({}/{} updated){message}",
                d.name, d.updated, d.desired
            ),
        );
        rollout_part = Some("rollout stalled");
    }

    // Policy results: each by severity, capped as a whole.
    let failing_results: Vec<_> =
        s.results.iter().filter(|r| matches!(r.result, PolicyResult::Fail | PolicyResult::Error)).collect();
    let mut policy_points = 0u32;
    let mut policy_urgency = Urgency::Notice;
    for r in &s.results {
        let points = match r.result {
            PolicyResult::Fail | PolicyResult::Error => severity_points(r.severity),
            // A warn is the policy's own way to say "not blocking": half weight.
            PolicyResult::Warn => severity_points(r.severity) / 2,
            PolicyResult::Pass | PolicyResult::Skip => continue,
        };
        policy_points = policy_points.saturating_add(points);
        if matches!(r.severity, Severity::Critical | Severity::High) {
            policy_urgency = Urgency::Warning;
        }
        a.reasons.push(format!(
            "policy {}/{}: {} ({}) on {} {}",
            r.policy,
            r.rule,
            result_name(r.result),
            severity_name(r.severity),
            r.resource_kind,
            r.resource_name
        ));
    }
    if policy_points > 0 {
        a.bump(policy_points.min(CAP_POLICY), policy_urgency);
    }

    // Recent warning events, by reason. Kyverno's PolicyViolation events repeat the report results
    // already counted above, so they are not counted twice.
    let mut by_reason: HashMap<&str, u32> = HashMap::new();
    for e in
        s.events.iter().filter(|e| e.warning && is_recent(e.last_seen, now) && e.reason != "PolicyViolation")
    {
        *by_reason.entry(e.reason.as_str()).or_default() += e.count;
    }
    let occurrences: u32 = by_reason.values().sum();
    if occurrences > 0 {
        let mut reasons: Vec<(&str, u32)> = by_reason.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let listed: Vec<String> = if reasons.len() == 1 {
            reasons.iter().map(|(r, _)| (*r).to_owned()).collect()
        } else {
            reasons.iter().map(|(r, n)| format!("{r} ×{n}")).collect()
        };
        a.add(
            occurrences.saturating_mul(SCORE_WARNING_EVENT).min(CAP_EVENTS),
            Urgency::Warning,
            format!("{}: {}", plural(occurrences, "warning event"), listed.join(", ")),
        );
    }

    let urgency = a.urgency?;
    let mut parts: Vec<String> = app_part.into_iter().chain(pods_part).collect();
    if parts.is_empty() && !failing_results.is_empty() {
        let mut policies: Vec<&str> = failing_results.iter().map(|r| r.policy.as_str()).collect();
        policies.sort_unstable();
        policies.dedup();
        parts.push(format!(
            "{} ({})",
            plural_n(failing_results.len(), "failing policy check"),
            policies.join(", ")
        ));
    }
    if parts.is_empty() {
        // Whatever evidence came first (events, warn results, unknown health) is the headline.
        parts.extend(a.reasons.first().cloned());
    }
    let mut headline = format!("{}: {}", s.key.name, parts.join(" — "));
    if let Some(r) = rollout_part {
        headline.push_str(&format!(" ({r})"));
    }
    a.reasons.truncate(MAX_REASONS);
    Some(Finding {
        service: s.key.clone(),
        app: s.app.as_ref().map(|app| app.name.clone()),
        urgency,
        score: a.score,
        headline,
        reasons: a.reasons,
    })
}

/// The word for how a failing pod fails: its STATUS, or "CrashLoopBackOff" for one caught running
/// between two crashes.
fn failure_word(p: &PodInfo) -> &str {
    match pod_failure(p) {
        Some(PodFailure::CrashLoop) if p.status == "Running" => "CrashLoopBackOff",
        _ => p.status.as_str(),
    }
}

/// The most frequent word, and how often (ties: first seen).
fn dominant<'a>(words: impl Iterator<Item = &'a str>) -> Option<(&'a str, usize)> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for w in words {
        match counts.iter_mut().find(|(c, _)| *c == w) {
            Some((_, n)) => *n += 1,
            None => counts.push((w, 1)),
        }
    }
    counts.into_iter().fold(None, |best, (w, n)| match best {
        Some((_, bn)) if bn >= n => best,
        _ => Some((w, n)),
    })
}

/// `…:7e1d9c4` for `123.dkr.ecr.../payments-api:7e1d9c4`; a digest shortened to 12 hex digits.
pub fn short_image(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        let short: String = digest.chars().take("sha256:".len() + 12).collect();
        return format!("…@{short}");
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => format!("…:{tag}"),
        None => image.to_owned(),
    }
}

/// A Git SHA shortened to 7 characters, other revisions kept.
fn short_revision(r: &str) -> &str {
    if r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()) { r.get(..7).unwrap_or(r) } else { r }
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn plural_n(n: usize, word: &str) -> String {
    plural(u32::try_from(n).unwrap_or(u32::MAX), word)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::platform::fixtures::{INCIDENT, PLATFORM, fixture_snapshot, snapshot_time};
    use crate::platform::model::{AppInfo, DeploymentInfo, EventInfo, OperationInfo, PolicyResultInfo};
    use crate::platform::services::services;

    fn ranked(fixture: &str) -> Vec<Finding> {
        let snapshot = fixture_snapshot(fixture).unwrap();
        let now = snapshot_time(&snapshot).unwrap();
        rank(&services(&snapshot), now)
    }

    #[test]
    fn incident_payments_first_and_critical() {
        let findings = ranked(INCIDENT);
        let top = &findings[0];
        assert_eq!(top.service.to_string(), "platform-services/payments-api");
        assert_eq!(top.app.as_deref(), Some("payments-api"));
        assert_eq!(top.urgency, Urgency::Critical);
        assert_eq!(
            top.headline,
            "payments-api: Argo CD Degraded — 1/3 pods CrashLoopBackOff on image …:7e1d9c4 (rollout stalled)"
        );
        let reasons = top.reasons.join("\n");
        assert!(
            reasons.contains("Argo CD app payments-api is Degraded: Deployment \"payments-api\" exceeded")
        );
        assert!(
            reasons.contains(
                "CrashLoopBackOff: 3 restarts in pod payments-api-kmbb2c5zmj-b2slw, last exit Error"
            )
        );
        assert!(reasons.contains("rollout of deployment payments-api stalled (1/2 updated)"));
        assert!(reasons.contains("warning events: BackOff"), "{reasons}");
        // Nothing else comes close.
        assert!(findings.iter().skip(1).all(|f| f.urgency != Urgency::Critical && f.score * 4 < top.score));
        // The others: the policy violations and the readiness flap, each for its own reason.
        let names: Vec<&str> = findings.iter().map(|f| f.service.name.as_str()).collect();
        assert!(names.contains(&"notifications-worker") && names.contains(&"users-api"), "{names:?}");
        let users = findings.iter().find(|f| f.service.name == "users-api").unwrap();
        assert_eq!(users.headline, "users-api: 1 failing policy check (require-observability-labels)");
        let catalog = findings.iter().find(|f| f.service.name == "catalog-api").unwrap();
        assert_eq!(catalog.urgency, Urgency::Warning);
        assert!(catalog.headline.contains("warning events: Unhealthy"), "{}", catalog.headline);
        assert!(findings.windows(2).all(|w| w[0].score > w[1].score
            || (w[0].score == w[1].score && w[0].service < w[1].service)));
    }

    /// `cargo test --lib print_fixture_findings -- --nocapture --ignored` shows what the ranking says.
    #[test]
    #[ignore]
    fn print_fixture_findings() {
        for fixture in [INCIDENT, PLATFORM] {
            println!("== {fixture}");
            for f in ranked(fixture) {
                println!("[{:?} {}] {}", f.urgency, f.score, f.headline);
                for r in &f.reasons {
                    println!("    {r}");
                }
            }
        }
    }

    #[test]
    fn platform_only_the_policy_violator() {
        let findings = ranked(PLATFORM);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.service.to_string(), "platform-services/notifications-worker");
        assert_ne!(f.urgency, Urgency::Critical);
        assert_eq!(
            f.headline,
            "notifications-worker: 3 failing policy checks (require-observability-labels)"
        );
        assert!(f.reasons.iter().any(|r| r.starts_with(
            "policy require-observability-labels/check-recommended-labels: fail (medium) on Deployment notifications-worker"
        )));
        assert!(f.reasons.iter().all(|r| !r.contains("PolicyViolation")), "not counted twice");
    }

    // Hand-written services.

    fn now() -> Timestamp {
        "2026-03-01T10:00:00Z".parse().unwrap()
    }

    fn pod(name: &str, status: &str, ready: bool, restarts: u32) -> Arc<PodInfo> {
        Arc::new(PodInfo {
            namespace: "ns".into(),
            name: name.into(),
            uid: String::new(),
            service: Some("svc".into()),
            owner: None,
            phase: "Running".into(),
            status: status.into(),
            ready,
            ready_containers: u32::from(ready),
            total_containers: 1,
            restarts,
            last_termination: None,
            node: None,
            images: vec!["registry.example.com/team/svc@sha256:0123456789abcdef0123".into()],
            created: None,
            terminating: false,
        })
    }

    fn view(pods: Vec<Arc<PodInfo>>) -> ServiceView {
        ServiceView {
            key: ServiceKey { namespace: "ns".into(), name: "svc".into() },
            app: None,
            deployments: Vec::new(),
            pods,
            results: Vec::new(),
            events: Vec::new(),
        }
    }

    fn event(reason: &str, count: u32, minutes_ago: i64) -> Arc<EventInfo> {
        Arc::new(EventInfo {
            namespace: "ns".into(),
            name: format!("{reason}.{minutes_ago}"),
            warning: true,
            reason: reason.into(),
            message: String::new(),
            object_kind: "Pod".into(),
            object_name: "svc-1".into(),
            count,
            last_seen: Some(now() - jiff::SignedDuration::from_mins(minutes_ago)),
        })
    }

    fn app(health: HealthStatus, sync: SyncStatus, op_phase: Option<&str>) -> Arc<AppInfo> {
        Arc::new(AppInfo {
            namespace: "argocd".into(),
            name: "svc".into(),
            project: "default".into(),
            sync,
            health,
            health_message: String::new(),
            revision: "0123456789abcdef0123456789abcdef01234567".into(),
            auto_sync: true,
            repo_url: String::new(),
            path: String::new(),
            destination_namespace: "ns".into(),
            operation_pending: false,
            last_operation: op_phase.map(|phase| OperationInfo {
                phase: phase.into(),
                message: "one or more objects failed to apply".into(),
                started_at: None,
                finished_at: None,
                initiated_by: "automated".into(),
            }),
            resources: Vec::new(),
            conditions: Vec::new(),
            history: Vec::new(),
            images: Vec::new(),
            created: None,
        })
    }

    #[test]
    fn healthy_service_is_omitted() {
        let mut v = view(vec![pod("svc-1", "Running", true, 0)]);
        v.app = Some(app(HealthStatus::Healthy, SyncStatus::Synced, Some("Succeeded")));
        v.events = vec![event("BackOff", 3, 60)];
        assert_eq!(assess(&v, now()), None, "old events are not news");
        assert!(rank(&[v], now()).is_empty());
    }

    #[test]
    fn image_pull_failure_is_critical_and_service_down() {
        let v = view(vec![pod("svc-1", "ImagePullBackOff", false, 0)]);
        let f = assess(&v, now()).unwrap();
        assert_eq!(f.urgency, Urgency::Critical);
        assert_eq!(f.headline, "svc: 1/1 pods ImagePullBackOff on image …@sha256:0123456789ab (none ready)");
        assert!(f.reasons.iter().any(|r| r.contains("no pod is ready")));
        assert_eq!(f.score, SCORE_POD_FAILING + SCORE_NONE_READY);
    }

    #[test]
    fn restarts_raise_the_score_up_to_a_cap() {
        let few = assess(&view(vec![pod("svc-1", "CrashLoopBackOff", false, 2)]), now()).unwrap();
        let many = assess(&view(vec![pod("svc-1", "CrashLoopBackOff", false, 9)]), now()).unwrap();
        let endless = assess(&view(vec![pod("svc-1", "CrashLoopBackOff", false, 9000)]), now()).unwrap();
        assert!(few.score < many.score && many.score < endless.score);
        assert_eq!(endless.score - few.score, CAP_RESTARTS - 2 * SCORE_RESTART);
        assert!(few.reasons[0].starts_with("CrashLoopBackOff: 2 restarts in pod svc-1"));
    }

    #[test]
    fn unready_out_of_sync_failed_sync_are_warnings() {
        let mut v = view(vec![pod("svc-1", "Running", true, 0), pod("svc-2", "Running", false, 0)]);
        v.app = Some(app(HealthStatus::Healthy, SyncStatus::OutOfSync, Some("Failed")));
        let f = assess(&v, now()).unwrap();
        assert_eq!(f.urgency, Urgency::Warning);
        assert_eq!(f.score, SCORE_POD_UNREADY + SCORE_OUT_OF_SYNC + SCORE_OPERATION_FAILED);
        assert_eq!(f.headline, "svc: Argo CD sync Failed — 1/2 pods not ready");
        assert!(f.reasons.iter().any(|r| r == "Argo CD app svc is OutOfSync (Git at 0123456)"));
        assert!(f.reasons.iter().any(|r| r.starts_with("last Argo CD sync Failed: one or more")));
    }

    #[test]
    fn missing_app_without_pods() {
        let mut v = view(Vec::new());
        v.app = Some(app(HealthStatus::Missing, SyncStatus::OutOfSync, None));
        let f = assess(&v, now()).unwrap();
        assert_eq!(f.urgency, Urgency::Critical);
        assert_eq!(f.headline, "svc: Argo CD Missing");
    }

    #[test]
    fn events_are_capped_and_grouped() {
        let mut v = view(vec![pod("svc-1", "Running", true, 0)]);
        v.events = vec![event("Unhealthy", 40, 1), event("BackOff", 2, 5), event("FailedMount", 1, 20)];
        let f = assess(&v, now()).unwrap();
        assert_eq!(f.score, CAP_EVENTS);
        assert_eq!(f.urgency, Urgency::Warning);
        assert_eq!(f.headline, "svc: 42 warning events: Unhealthy ×40, BackOff ×2");
    }

    #[test]
    fn policy_severity_and_cap() {
        let result = |severity: Severity, result: PolicyResult| {
            Arc::new(PolicyResultInfo {
                namespace: "ns".into(),
                report: String::new(),
                resource_kind: "Deployment".into(),
                resource_name: "svc".into(),
                resource_uid: String::new(),
                policy: "p".into(),
                rule: format!("{severity:?}"),
                result,
                severity,
                category: String::new(),
                message: String::new(),
                timestamp: None,
            })
        };
        let mut low = view(Vec::new());
        low.results = vec![result(Severity::Low, PolicyResult::Fail)];
        let low = assess(&low, now()).unwrap();
        assert_eq!((low.score, low.urgency), (5, Urgency::Notice));

        let mut high = view(Vec::new());
        high.results =
            vec![result(Severity::High, PolicyResult::Fail), result(Severity::Medium, PolicyResult::Warn)];
        let high = assess(&high, now()).unwrap();
        assert_eq!((high.score, high.urgency), (40 + 7, Urgency::Warning));
        assert!(high.reasons.iter().any(|r| r == "policy p/Medium: warn (medium) on Deployment svc"));

        let mut many = view(Vec::new());
        many.results = (0..10).map(|_| result(Severity::Critical, PolicyResult::Error)).collect();
        assert_eq!(assess(&many, now()).unwrap().score, CAP_POLICY);
    }

    #[test]
    fn stalled_rollout_alone_is_critical() {
        let mut v = view(vec![pod("svc-1", "Running", true, 0)]);
        v.deployments = vec![Arc::new(DeploymentInfo {
            namespace: "ns".into(),
            name: "svc".into(),
            uid: String::new(),
            service: Some("svc".into()),
            desired: 2,
            current: 2,
            updated: 1,
            ready: 1,
            available: 1,
            generation: 2,
            observed_generation: 2,
            rollout: RolloutState::Stalled,
            rollout_message: "timed out".into(),
            images: Vec::new(),
            labels: Vec::new(),
            created: None,
        })];
        let f = assess(&v, now()).unwrap();
        assert_eq!((f.urgency, f.score), (Urgency::Critical, SCORE_ROLLOUT_STALLED));
        assert_eq!(f.reasons, ["rollout of deployment svc stalled (1/2 updated): timed out"]);
    }

    #[test]
    fn pod_failures() {
        let mut p = (*pod("p", "Running", false, 2)).clone();
        assert_eq!(pod_failure(&p), None, "unready with restarts but no error termination");
        p.last_termination = Some("Error".into());
        assert_eq!(pod_failure(&p), Some(PodFailure::CrashLoop), "between two crashes");
        p.last_termination = Some("Completed".into());
        assert_eq!(pod_failure(&p), None);
        p.status = "OOMKilled".into();
        assert!(is_crashlooping(&p));
        p.status = "ExitCode:1".into();
        assert!(is_crashlooping(&p));
        p.restarts = 0;
        assert_eq!(pod_failure(&p), None, "a first failure is not a loop");
        p.status = "CreateContainerConfigError".into();
        assert_eq!(pod_failure(&p), Some(PodFailure::CreateContainer));
        p.status = "ErrImagePull".into();
        assert_eq!(pod_failure(&p), Some(PodFailure::ImagePull));
        p.terminating = true;
        assert_eq!(pod_failure(&p), None, "a terminating pod is going away");
    }

    #[test]
    fn recent_window() {
        let at = |m: i64| Some(now() - jiff::SignedDuration::from_mins(m));
        assert!(is_recent(at(0), now()));
        assert!(is_recent(at(15), now()));
        assert!(!is_recent(at(16), now()));
        assert!(is_recent(at(-5), now()), "clock skew: a future event is recent");
        assert!(!is_recent(None, now()));
    }

    #[test]
    fn image_shortening() {
        assert_eq!(short_image("123.dkr.ecr.us-east-1.amazonaws.com/payments-api:7e1d9c4"), "…:7e1d9c4");
        assert_eq!(short_image("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(short_image("redis"), "redis");
        assert_eq!(short_image("app@sha256:abc"), "…@sha256:abc");
    }
}
