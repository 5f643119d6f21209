//! The resource kinds the simulated API server serves, with what discovery says about them.

/// One served resource (a REST collection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResourceKind {
    /// API group, "" for core.
    pub group: &'static str,
    pub version: &'static str,
    /// Plural resource name used in URLs.
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Built-in types accept strategic-merge patches; custom resources answer 415.
    pub builtin: bool,
    /// Subresources served (`status`, `log`, `scale`...).
    pub subresources: &'static [&'static str],
}

impl ResourceKind {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// `pods` or `deployments.apps`, as Kubernetes names a resource in error messages.
    pub fn qualified_name(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn verbs(&self) -> &'static [&'static str] {
        &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }
}

const ALL_VERBS_SUBRESOURCES: &[&str] = &["status"];

pub const NAMESPACES: ResourceKind = ResourceKind {
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    namespaced: false,
    short_names: &["ns"],
    builtin: true,
    subresources: ALL_VERBS_SUBRESOURCES,
};
pub const NODES: ResourceKind = ResourceKind {
    group: "",
    version: "v1",
    plural: "nodes",
    singular: "node",
    kind: "Node",
    namespaced: false,
    short_names: &["no"],
    builtin: true,
    subresources: ALL_VERBS_SUBRESOURCES,
};
pub const PODS: ResourceKind = ResourceKind {
    group: "",
    version: "v1",
    plural: "pods",
    singular: "pod",
    kind: "Pod",
    namespaced: true,
    short_names: &["po"],
    builtin: true,
    subresources: &["status", "log"],
};
pub const EVENTS: ResourceKind = ResourceKind {
    group: "",
    version: "v1",
    plural: "events",
    singular: "event",
    kind: "Event",
    namespaced: true,
    short_names: &["ev"],
    builtin: true,
    subresources: &[],
};
pub const SERVICES: ResourceKind = ResourceKind {
    group: "",
    version: "v1",
    plural: "services",
    singular: "service",
    kind: "Service",
    namespaced: true,
    short_names: &["svc"],
    builtin: true,
    subresources: &["status", "proxy"],
};
pub const DEPLOYMENTS: ResourceKind = ResourceKind {
    group: "apps",
    version: "v1",
    plural: "deployments",
    singular: "deployment",
    kind: "Deployment",
    namespaced: true,
    short_names: &["deploy"],
    builtin: true,
    subresources: &["status", "scale"],
};
pub const REPLICASETS: ResourceKind = ResourceKind {
    group: "apps",
    version: "v1",
    plural: "replicasets",
    singular: "replicaset",
    kind: "ReplicaSet",
    namespaced: true,
    short_names: &["rs"],
    builtin: true,
    subresources: &["status", "scale"],
};
pub const APPLICATIONS: ResourceKind = ResourceKind {
    group: "argoproj.io",
    version: "v1alpha1",
    plural: "applications",
    singular: "application",
    kind: "Application",
    namespaced: true,
    short_names: &["app", "apps"],
    builtin: false,
    subresources: &[],
};
pub const CLUSTER_POLICIES: ResourceKind = ResourceKind {
    group: "kyverno.io",
    version: "v1",
    plural: "clusterpolicies",
    singular: "clusterpolicy",
    kind: "ClusterPolicy",
    namespaced: false,
    short_names: &["cpol"],
    builtin: false,
    subresources: &["status"],
};
pub const POLICY_REPORTS: ResourceKind = ResourceKind {
    group: "wgpolicyk8s.io",
    version: "v1alpha2",
    plural: "policyreports",
    singular: "policyreport",
    kind: "PolicyReport",
    namespaced: true,
    short_names: &["polr"],
    builtin: false,
    subresources: &[],
};
pub const CLUSTER_POLICY_REPORTS: ResourceKind = ResourceKind {
    group: "wgpolicyk8s.io",
    version: "v1alpha2",
    plural: "clusterpolicyreports",
    singular: "clusterpolicyreport",
    kind: "ClusterPolicyReport",
    namespaced: false,
    short_names: &["cpolr"],
    builtin: false,
    subresources: &[],
};

/// Every kind the sim serves, in discovery order.
pub const ALL: &[ResourceKind] = &[
    NAMESPACES,
    NODES,
    PODS,
    EVENTS,
    SERVICES,
    DEPLOYMENTS,
    REPLICASETS,
    APPLICATIONS,
    CLUSTER_POLICIES,
    POLICY_REPORTS,
    CLUSTER_POLICY_REPORTS,
];

/// The served kind for a group, version and plural name.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<ResourceKind> {
    ALL.iter().copied().find(|k| k.group == group && k.version == version && k.plural == plural)
}

/// The served kind for an apiVersion and Kind, as found in an object body.
pub fn lookup_kind(api_version: &str, kind: &str) -> Option<ResourceKind> {
    ALL.iter().copied().find(|k| k.api_version() == api_version && k.kind == kind)
}

/// Distinct API groups with their versions, core excluded, in discovery order.
pub fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for k in ALL.iter().filter(|k| !k.group.is_empty()) {
        if !out.iter().any(|(g, _)| *g == k.group) {
            out.push((k.group, k.version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(lookup("apps", "v1", "deployments"), Some(DEPLOYMENTS));
        assert_eq!(lookup("", "v1", "deployments"), None);
        assert_eq!(lookup_kind("argoproj.io/v1alpha1", "Application"), Some(APPLICATIONS));
        assert_eq!(DEPLOYMENTS.qualified_name(), "deployments.apps");
        assert_eq!(PODS.api_version(), "v1");
        assert_eq!(POLICY_REPORTS.list_kind(), "PolicyReportList");
    }

    #[test]
    fn groups_are_distinct() {
        let g = groups();
        assert_eq!(g.iter().filter(|(name, _)| *name == "apps").count(), 1);
        assert!(g.contains(&("wgpolicyk8s.io", "v1alpha2")));
    }
}
