//! The platform's custom resources, named once for every client of the API (watchers, tasks, mutations).

use kube::core::{ApiResource, GroupVersionKind};

/// Any resource by group, version, kind and plural.
pub fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Argo CD's `Application`.
pub fn application() -> ApiResource {
    resource("argoproj.io", "v1alpha1", "Application", "applications")
}

/// The policy working group's namespaced `PolicyReport` (what Kyverno writes per resource).
pub fn policy_report() -> ApiResource {
    resource("wgpolicyk8s.io", "v1alpha2", "PolicyReport", "policyreports")
}

/// Kyverno's `ClusterPolicy`.
pub fn cluster_policy() -> ApiResource {
    resource("kyverno.io", "v1", "ClusterPolicy", "clusterpolicies")
}
