//! The resource kinds the simulated API server serves, with what discovery says about them.

/// How the server answers for a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Serving {
    /// Objects kept in the world: every REST verb, watch included.
    Stored,
    /// A review answered at once and never stored (`create` only), like SelfSubjectAccessReview.
    Review,
    /// Computed on each read (`get` and `list` only), like metrics.k8s.io.
    Metrics,
}

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
    pub categories: &'static [&'static str],
    /// Built-in types accept strategic-merge patches; custom resources answer 415.
    pub builtin: bool,
    /// Subresources served (`status`, `log`, `scale`...).
    pub subresources: &'static [&'static str],
    pub serving: Serving,
    /// Another served version of a custom resource whose objects are stored as `storage`'s: a CRD with
    /// conversion strategy `None` serves the same objects under each version's apiVersion.
    pub storage: Option<&'static ResourceKind>,
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
        match self.serving {
            Serving::Stored => {
                &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
            }
            Serving::Review => &["create"],
            Serving::Metrics => &["get", "list"],
        }
    }

    /// The kind whose collection holds this one's objects (itself, unless another version stores them).
    pub fn stored(&self) -> &ResourceKind {
        self.storage.unwrap_or(self)
    }
}

/// A built-in resource with every verb.
const fn builtin(
    group: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
) -> ResourceKind {
    ResourceKind {
        group,
        version: "v1",
        plural,
        singular,
        kind,
        namespaced,
        short_names,
        categories: &[],
        builtin: true,
        subresources,
        serving: Serving::Stored,
        storage: None,
    }
}

/// A custom resource (defined by one of the CRDs in `assets/crds`).
const fn custom(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> ResourceKind {
    ResourceKind {
        group,
        version,
        plural,
        singular,
        kind,
        namespaced,
        short_names,
        categories: &[],
        builtin: false,
        subresources: &[],
        serving: Serving::Stored,
        storage: None,
    }
}

const STATUS: &[&str] = &["status"];
const ALL_CATEGORY: &[&str] = &["all"];

// ------------------------------------------------------------------------------------------ core/v1
pub const NAMESPACES: ResourceKind =
    builtin("", "namespaces", "namespace", "Namespace", false, &["ns"], STATUS);
pub const NODES: ResourceKind = builtin("", "nodes", "node", "Node", false, &["no"], STATUS);
pub const PODS: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin("", "pods", "pod", "Pod", true, &["po"], &["status", "log"])
};
pub const EVENTS: ResourceKind = builtin("", "events", "event", "Event", true, &["ev"], &[]);
pub const SERVICES: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin("", "services", "service", "Service", true, &["svc"], &["status", "proxy"])
};
pub const CONFIG_MAPS: ResourceKind = builtin("", "configmaps", "configmap", "ConfigMap", true, &["cm"], &[]);
pub const SECRETS: ResourceKind = builtin("", "secrets", "secret", "Secret", true, &[], &[]);
pub const SERVICE_ACCOUNTS: ResourceKind =
    builtin("", "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"], &[]);
pub const PERSISTENT_VOLUME_CLAIMS: ResourceKind = builtin(
    "",
    "persistentvolumeclaims",
    "persistentvolumeclaim",
    "PersistentVolumeClaim",
    true,
    &["pvc"],
    STATUS,
);
pub const PERSISTENT_VOLUMES: ResourceKind =
    builtin("", "persistentvolumes", "persistentvolume", "PersistentVolume", false, &["pv"], STATUS);
pub const REPLICATION_CONTROLLERS: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin(
        "",
        "replicationcontrollers",
        "replicationcontroller",
        "ReplicationController",
        true,
        &["rc"],
        &["status", "scale"],
    )
};
// ------------------------------------------------------------------------------------------ apps/v1
pub const DEPLOYMENTS: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin("apps", "deployments", "deployment", "Deployment", true, &["deploy"], &["status", "scale"])
};
pub const REPLICASETS: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin("apps", "replicasets", "replicaset", "ReplicaSet", true, &["rs"], &["status", "scale"])
};
pub const STATEFUL_SETS: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin("apps", "statefulsets", "statefulset", "StatefulSet", true, &["sts"], &["status", "scale"])
};
pub const DAEMON_SETS: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin("apps", "daemonsets", "daemonset", "DaemonSet", true, &["ds"], STATUS)
};
// ----------------------------------------------------------------------------------------- batch/v1
pub const JOBS: ResourceKind =
    ResourceKind { categories: ALL_CATEGORY, ..builtin("batch", "jobs", "job", "Job", true, &[], STATUS) };
pub const CRON_JOBS: ResourceKind = ResourceKind {
    categories: ALL_CATEGORY,
    ..builtin("batch", "cronjobs", "cronjob", "CronJob", true, &["cj"], STATUS)
};
// ------------------------------------------------------------------------------ networking.k8s.io/v1
pub const INGRESSES: ResourceKind =
    builtin("networking.k8s.io", "ingresses", "ingress", "Ingress", true, &["ing"], STATUS);
pub const NETWORK_POLICIES: ResourceKind =
    builtin("networking.k8s.io", "networkpolicies", "networkpolicy", "NetworkPolicy", true, &["netpol"], &[]);
// --------------------------------------------------------------------------------- storage.k8s.io/v1
pub const STORAGE_CLASSES: ResourceKind =
    builtin("storage.k8s.io", "storageclasses", "storageclass", "StorageClass", false, &["sc"], &[]);
// ------------------------------------------------------------------------ rbac.authorization.k8s.io/v1
const RBAC: &str = "rbac.authorization.k8s.io";
pub const ROLES: ResourceKind = builtin(RBAC, "roles", "role", "Role", true, &[], &[]);
pub const ROLE_BINDINGS: ResourceKind =
    builtin(RBAC, "rolebindings", "rolebinding", "RoleBinding", true, &[], &[]);
pub const CLUSTER_ROLES: ResourceKind =
    builtin(RBAC, "clusterroles", "clusterrole", "ClusterRole", false, &[], &[]);
pub const CLUSTER_ROLE_BINDINGS: ResourceKind =
    builtin(RBAC, "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, &[], &[]);
// ---------------------------------------------------------------------------- apiextensions.k8s.io/v1
pub const CUSTOM_RESOURCE_DEFINITIONS: ResourceKind = ResourceKind {
    categories: &["api-extensions"],
    ..builtin(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        STATUS,
    )
};
// ------------------------------------------------------------- authorization and authentication reviews
const fn review(
    group: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
) -> ResourceKind {
    ResourceKind { serving: Serving::Review, ..builtin(group, plural, singular, kind, false, &[], &[]) }
}
pub const SELF_SUBJECT_ACCESS_REVIEWS: ResourceKind = review(
    "authorization.k8s.io",
    "selfsubjectaccessreviews",
    "selfsubjectaccessreview",
    "SelfSubjectAccessReview",
);
pub const SELF_SUBJECT_RULES_REVIEWS: ResourceKind = review(
    "authorization.k8s.io",
    "selfsubjectrulesreviews",
    "selfsubjectrulesreview",
    "SelfSubjectRulesReview",
);
pub const SELF_SUBJECT_REVIEWS: ResourceKind =
    review("authentication.k8s.io", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview");
// -------------------------------------------------------------------------------- metrics.k8s.io/v1beta1
const fn metrics(plural: &'static str, kind: &'static str, namespaced: bool) -> ResourceKind {
    ResourceKind {
        version: "v1beta1",
        singular: "",
        serving: Serving::Metrics,
        ..builtin("metrics.k8s.io", plural, "", kind, namespaced, &[], &[])
    }
}
pub const NODE_METRICS: ResourceKind = metrics("nodes", "NodeMetrics", false);
pub const POD_METRICS: ResourceKind = metrics("pods", "PodMetrics", true);
// ------------------------------------------------------------------------ custom resources (assets/crds)
pub const APPLICATIONS: ResourceKind =
    custom("argoproj.io", "v1alpha1", "applications", "application", "Application", true, &["app", "apps"]);
pub const APP_PROJECTS: ResourceKind = custom(
    "argoproj.io",
    "v1alpha1",
    "appprojects",
    "appproject",
    "AppProject",
    true,
    &["appproj", "appprojs"],
);
pub const CLUSTER_POLICIES: ResourceKind = ResourceKind {
    categories: &["kyverno"],
    subresources: STATUS,
    ..custom("kyverno.io", "v1", "clusterpolicies", "clusterpolicy", "ClusterPolicy", false, &["cpol"])
};
pub const CLUSTER_POLICIES_V2BETA1: ResourceKind =
    ResourceKind { version: "v2beta1", storage: Some(&CLUSTER_POLICIES), ..CLUSTER_POLICIES };
pub const POLICIES: ResourceKind = ResourceKind {
    categories: &["kyverno"],
    subresources: STATUS,
    ..custom("kyverno.io", "v1", "policies", "policy", "Policy", true, &["pol"])
};
pub const POLICIES_V2BETA1: ResourceKind =
    ResourceKind { version: "v2beta1", storage: Some(&POLICIES), ..POLICIES };
pub const VALIDATING_POLICIES: ResourceKind = ResourceKind {
    categories: &["kyverno"],
    subresources: STATUS,
    ..custom(
        "policies.kyverno.io",
        "v1beta1",
        "validatingpolicies",
        "validatingpolicy",
        "ValidatingPolicy",
        false,
        &["vpol"],
    )
};
pub const VALIDATING_POLICIES_V1: ResourceKind =
    ResourceKind { version: "v1", storage: Some(&VALIDATING_POLICIES), ..VALIDATING_POLICIES };
pub const VALIDATING_POLICIES_V1ALPHA1: ResourceKind =
    ResourceKind { version: "v1alpha1", storage: Some(&VALIDATING_POLICIES), ..VALIDATING_POLICIES };
pub const POLICY_REPORTS: ResourceKind =
    custom("wgpolicyk8s.io", "v1alpha2", "policyreports", "policyreport", "PolicyReport", true, &["polr"]);
pub const CLUSTER_POLICY_REPORTS: ResourceKind = custom(
    "wgpolicyk8s.io",
    "v1alpha2",
    "clusterpolicyreports",
    "clusterpolicyreport",
    "ClusterPolicyReport",
    false,
    &["cpolr"],
);

/// Every kind the sim serves, in discovery order (a group's preferred version first).
pub const ALL: &[ResourceKind] = &[
    NAMESPACES,
    NODES,
    PODS,
    EVENTS,
    SERVICES,
    CONFIG_MAPS,
    SECRETS,
    SERVICE_ACCOUNTS,
    PERSISTENT_VOLUME_CLAIMS,
    PERSISTENT_VOLUMES,
    REPLICATION_CONTROLLERS,
    DEPLOYMENTS,
    REPLICASETS,
    STATEFUL_SETS,
    DAEMON_SETS,
    JOBS,
    CRON_JOBS,
    INGRESSES,
    NETWORK_POLICIES,
    STORAGE_CLASSES,
    ROLES,
    ROLE_BINDINGS,
    CLUSTER_ROLES,
    CLUSTER_ROLE_BINDINGS,
    CUSTOM_RESOURCE_DEFINITIONS,
    SELF_SUBJECT_ACCESS_REVIEWS,
    SELF_SUBJECT_RULES_REVIEWS,
    SELF_SUBJECT_REVIEWS,
    NODE_METRICS,
    POD_METRICS,
    APPLICATIONS,
    APP_PROJECTS,
    CLUSTER_POLICIES,
    POLICIES,
    CLUSTER_POLICIES_V2BETA1,
    POLICIES_V2BETA1,
    VALIDATING_POLICIES_V1,
    VALIDATING_POLICIES,
    VALIDATING_POLICIES_V1ALPHA1,
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

/// Kinds whose objects the world stores (one collection each; other versions share their storage's).
pub fn stored() -> impl Iterator<Item = &'static ResourceKind> {
    ALL.iter().filter(|k| k.serving == Serving::Stored && k.storage.is_none())
}

/// Distinct API groups with their versions (preferred first), core excluded, in discovery order.
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for k in ALL.iter().filter(|k| !k.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == k.group) {
            Some((_, versions)) => {
                if !versions.contains(&k.version) {
                    versions.push(k.version);
                }
            }
            None => out.push((k.group, vec![k.version])),
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
        assert_eq!(lookup("metrics.k8s.io", "v1beta1", "pods"), Some(POD_METRICS));
        assert_eq!(CLUSTER_POLICIES_V2BETA1.stored(), &CLUSTER_POLICIES);
    }

    #[test]
    fn groups_are_distinct_with_preferred_versions_first() {
        let g = groups();
        assert_eq!(g.iter().filter(|(name, _)| *name == "apps").count(), 1);
        assert!(g.contains(&("wgpolicyk8s.io", vec!["v1alpha2"])));
        assert!(g.contains(&("kyverno.io", vec!["v1", "v2beta1"])));
        assert!(g.contains(&("policies.kyverno.io", vec!["v1", "v1beta1", "v1alpha1"])));
    }

    #[test]
    fn every_kind_is_served_once() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert!(
                    !(a.group == b.group && a.version == b.version && a.plural == b.plural),
                    "{} served twice",
                    a.qualified_name()
                );
            }
        }
    }
}
