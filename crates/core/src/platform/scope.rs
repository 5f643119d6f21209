//! The narrowing every view applies: one service, one namespace, and a free-text filter over what the
//! row shows. Matching allocates nothing for ASCII text, so filtering 10k rows per frame stays cheap.

use super::model::{AppInfo, DeploymentInfo, EventInfo, PodInfo, PolicyResultInfo, ServiceKey};
use super::project::{health_name, result_name, rollout_name, severity_name, sync_name};
use super::services::{ServiceView, deployment_of_pod_name, deployment_of_replicaset};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub namespace: Option<String>,
    pub service: Option<ServiceKey>,
    /// Case-insensitive substring over the row's visible text; empty matches everything.
    pub filter: String,
}

impl Scope {
    /// Nothing narrowed.
    pub fn is_empty(&self) -> bool {
        self.namespace.is_none() && self.service.is_none() && self.filter.trim().is_empty()
    }

    fn in_namespace(&self, namespace: &str) -> bool {
        self.namespace.as_deref().is_none_or(|n| n == namespace)
    }

    /// Whether any of `texts` contains the filter.
    fn text_matches<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> bool {
        let needle = self.filter.trim();
        needle.is_empty() || texts.into_iter().any(|t| contains_ci(t, needle))
    }

    pub fn matches_pod(&self, p: &PodInfo) -> bool {
        let service_ok = self.service.as_ref().is_none_or(|k| {
            k.namespace == p.namespace
                && match (&p.service, &p.owner) {
                    (Some(s), _) => *s == k.name,
                    (None, Some(rs)) => deployment_of_replicaset(rs) == Some(k.name.as_str()),
                    (None, None) => false,
                }
        });
        service_ok
            && self.in_namespace(&p.namespace)
            && self.text_matches(
                [p.name.as_str(), &p.namespace, &p.status]
                    .into_iter()
                    .chain(p.service.as_deref())
                    .chain(p.node.as_deref())
                    .chain(p.last_termination.as_deref())
                    .chain(p.images.iter().map(String::as_str)),
            )
    }

    pub fn matches_deployment(&self, d: &DeploymentInfo) -> bool {
        let service_ok = self
            .service
            .as_ref()
            .is_none_or(|k| k.namespace == d.namespace && d.service.as_deref().unwrap_or(&d.name) == k.name);
        service_ok
            && self.in_namespace(&d.namespace)
            && self.text_matches(
                [d.name.as_str(), &d.namespace, rollout_name(d.rollout), &d.rollout_message]
                    .into_iter()
                    .chain(d.service.as_deref())
                    .chain(d.images.iter().map(String::as_str)),
            )
    }

    /// `services` is the sorted output of `services()`: an app belongs to a service when the join put it
    /// there, and to a namespace when it deploys into it.
    pub fn matches_app(&self, a: &AppInfo, services: &[ServiceView]) -> bool {
        let is_this =
            |v: &ServiceView| v.app.as_ref().is_some_and(|x| x.namespace == a.namespace && x.name == a.name);
        let service_ok = self.service.as_ref().is_none_or(|k| view(services, k).is_some_and(is_this));
        let namespace_ok = self.namespace.as_deref().is_none_or(|ns| {
            a.destination_namespace == ns || {
                // Services are sorted by key, namespace first: look only at that namespace's range.
                let start = services.partition_point(|v| v.key.namespace.as_str() < ns);
                services.iter().skip(start).take_while(|v| v.key.namespace == ns).any(is_this)
            }
        });
        service_ok
            && namespace_ok
            && self.text_matches(
                [
                    a.name.as_str(),
                    &a.project,
                    sync_name(a.sync),
                    health_name(a.health),
                    &a.health_message,
                    &a.revision,
                    &a.repo_url,
                    &a.path,
                    &a.destination_namespace,
                ]
                .into_iter()
                .chain(a.last_operation.iter().flat_map(|o| [o.phase.as_str(), &o.message]))
                .chain(a.conditions.iter().map(|c| c.message.as_str())),
            )
    }

    /// A result belongs to a service when its resource is one of the service's workloads (as the join
    /// decides, so pass results follow too): its Deployments, their ReplicaSets, its pods.
    pub fn matches_result(&self, r: &PolicyResultInfo, services: &[ServiceView]) -> bool {
        let service_ok = self.service.as_ref().is_none_or(|k| {
            view(services, k).is_some_and(|v| owns(v, &r.namespace, &r.resource_kind, &r.resource_name))
        });
        service_ok
            && self.in_namespace(&r.namespace)
            && self.text_matches([
                r.policy.as_str(),
                &r.rule,
                result_name(r.result),
                severity_name(r.severity),
                &r.category,
                &r.message,
                &r.resource_kind,
                &r.resource_name,
            ])
    }

    /// An event belongs to a service through its involved object: one of its workloads, or its Argo CD
    /// Application (whose events live in Argo CD's namespace).
    pub fn matches_event(&self, e: &EventInfo, services: &[ServiceView]) -> bool {
        let service_ok = self.service.as_ref().is_none_or(|k| {
            view(services, k).is_some_and(|v| {
                if e.object_kind == "Application" {
                    v.app.as_ref().is_some_and(|a| a.namespace == e.namespace && a.name == e.object_name)
                } else {
                    owns(v, &e.namespace, &e.object_kind, &e.object_name)
                }
            })
        });
        service_ok
            && self.in_namespace(&e.namespace)
            && self.text_matches([
                e.reason.as_str(),
                &e.message,
                &e.object_kind,
                &e.object_name,
                &e.namespace,
            ])
    }
}

/// The view of `key` in the sorted output of `services()`.
fn view<'a>(services: &'a [ServiceView], key: &ServiceKey) -> Option<&'a ServiceView> {
    services.binary_search_by(|v| v.key.cmp(key)).ok().and_then(|i| services.get(i))
}

/// Whether the object (kind, name) in `namespace` is one of the service's workloads. A pod that is gone
/// still belongs through its name `<deployment>-<hash>-<suffix>`.
fn owns(v: &ServiceView, namespace: &str, kind: &str, name: &str) -> bool {
    if v.key.namespace != namespace {
        return false;
    }
    let deployment = |d: Option<&str>| d.is_some_and(|d| v.deployments.iter().any(|x| x.name == d));
    match kind {
        "Deployment" => deployment(Some(name)),
        "ReplicaSet" => deployment(deployment_of_replicaset(name)),
        "Pod" => v.pods.iter().any(|p| p.name == name) || deployment(deployment_of_pod_name(name)),
        _ => false,
    }
}

/// Case-insensitive substring test; allocation-free when both sides are ASCII.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::fixtures::{INCIDENT, fixture_snapshot};
    use crate::platform::model::Snapshot;
    use crate::platform::services::services;

    fn service(name: &str) -> Scope {
        Scope {
            service: Some(ServiceKey { namespace: "platform-services".into(), name: name.into() }),
            ..Scope::default()
        }
    }

    fn filter(text: &str) -> Scope {
        Scope { filter: text.into(), ..Scope::default() }
    }

    fn counts(scope: &Scope, s: &Snapshot, views: &[ServiceView]) -> [usize; 5] {
        [
            s.pods.iter().filter(|p| scope.matches_pod(p)).count(),
            s.deployments.iter().filter(|d| scope.matches_deployment(d)).count(),
            s.apps.iter().filter(|a| scope.matches_app(a, views)).count(),
            s.policy_results.iter().filter(|r| scope.matches_result(r, views)).count(),
            s.events.iter().filter(|e| scope.matches_event(e, views)).count(),
        ]
    }

    #[test]
    fn empty_scope_matches_everything() {
        let s = fixture_snapshot(INCIDENT).unwrap();
        let views = services(&s);
        let all = Scope::default();
        assert!(all.is_empty());
        assert_eq!(
            counts(&all, &s, &views),
            [s.pods.len(), s.deployments.len(), s.apps.len(), s.policy_results.len(), s.events.len()]
        );
        assert!(filter("  ").is_empty());
    }

    #[test]
    fn service_scope_narrows_to_the_join() {
        let s = fixture_snapshot(INCIDENT).unwrap();
        let views = services(&s);
        let payments = service("payments-api");
        let [pods, deployments, apps, results, _] = counts(&payments, &s, &views);
        assert_eq!((pods, deployments, apps), (3, 1, 1));
        assert_eq!(results, 4, "pass results of its deployment too");
        let events: Vec<_> = s.events.iter().filter(|e| payments.matches_event(e, &views)).collect();
        assert!(events.iter().any(|e| e.reason == "BackOff"));
        assert!(events.iter().any(|e| e.object_kind == "Application" && e.object_name == "payments-api"));
        assert!(events.iter().any(|e| e.object_kind == "ReplicaSet"));
        assert!(events.iter().all(|e| e.object_name.starts_with("payments-api")));

        let grafana = Scope {
            service: Some(ServiceKey { namespace: "observability".into(), name: "grafana".into() }),
            ..Scope::default()
        };
        let apps: Vec<_> = s.apps.iter().filter(|a| grafana.matches_app(a, &views)).collect();
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0].name, "kube-prometheus-stack");
        assert_eq!(counts(&service("no-such-service"), &s, &views), [0; 5]);
    }

    #[test]
    fn namespace_scope() {
        let s = fixture_snapshot(INCIDENT).unwrap();
        let views = services(&s);
        let observability = Scope { namespace: Some("observability".into()), ..Scope::default() };
        let [pods, deployments, _, _, _] = counts(&observability, &s, &views);
        assert!(pods > 0 && deployments == 7);
        assert!(
            s.pods.iter().filter(|p| observability.matches_pod(p)).all(|p| p.namespace == "observability")
        );
        let names: Vec<&str> =
            s.apps.iter().filter(|a| observability.matches_app(a, &views)).map(|a| a.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let argocd = Scope { namespace: Some("argocd".into()), ..Scope::default() };
        assert!(s.events.iter().filter(|e| argocd.matches_event(e, &views)).all(|e| e.namespace == "argocd"));
    }

    #[test]
    fn filter_is_case_insensitive_over_visible_text() {
        let s = fixture_snapshot(INCIDENT).unwrap();
        let views = services(&s);
        let crash: Vec<_> = s.pods.iter().filter(|p| filter("crashloop").matches_pod(p)).collect();
        assert_eq!(crash.len(), 1);
        assert_eq!(s.apps.iter().filter(|a| filter("DEGRADED").matches_app(a, &views)).count(), 1);
        assert_eq!(s.deployments.iter().filter(|d| filter("stalled").matches_deployment(d)).count(), 1);
        assert_eq!(s.policy_results.iter().filter(|r| filter("FAIL").matches_result(r, &views)).count(), 4);
        assert!(s.events.iter().filter(|e| filter("back-off").matches_event(e, &views)).count() >= 1);
        assert_eq!(s.pods.iter().filter(|p| filter("7e1d9c4").matches_pod(p)).count(), 1, "image tag");
        // Combined with a service; the phase is not shown (the STATUS column is), so it does not match.
        let both = Scope { filter: "running".into(), ..service("payments-api") };
        assert_eq!(s.pods.iter().filter(|p| both.matches_pod(p)).count(), 2);
    }

    #[test]
    fn contains_ci_cases() {
        assert!(contains_ci("CrashLoopBackOff", "loopback"));
        assert!(contains_ci("anything", ""));
        assert!(!contains_ci("ab", "abc"));
        assert!(contains_ci("Ärger im Süden", "SÜD"));
        assert!(!contains_ci("Ärger", "x"));
    }
}
