//! Parses a Kubernetes API path into what it addresses.

use crate::resources::{self, ResourceKind};

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Version,
    /// `/api` — the core APIVersions.
    CoreVersions,
    /// `/apis` — the APIGroupList.
    Groups,
    /// `/apis/{group}`.
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}` — an APIResourceList.
    ResourceList {
        group: String,
        version: String,
    },
    /// A collection, in one namespace or across all.
    Collection {
        kind: ResourceKind,
        namespace: Option<String>,
    },
    /// `/openapi/v3`: the OpenAPI v3 discovery root.
    OpenApiRoot,
    /// `/openapi/v3/{api/v1 | apis/{group}/{version}}`: one group-version's OpenAPI document.
    OpenApi(String),
    /// One object, and optionally a subresource with the rest of the path (for `proxy`).
    Object {
        kind: ResourceKind,
        namespace: String,
        name: String,
        sub: Option<String>,
        rest: String,
    },
}

/// Parses a path; `None` is a 404.
pub fn parse(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["version"] => Some(Route::Version),
        ["openapi", "v3"] => Some(Route::OpenApiRoot),
        ["openapi", "v3", gv @ ..] => Some(Route::OpenApi(gv.join("/"))),
        ["api"] => Some(Route::CoreVersions),
        ["apis"] => Some(Route::Groups),
        ["apis", group] => Some(Route::Group(group.to_string())),
        ["api", version] => Some(Route::ResourceList { group: String::new(), version: version.to_string() }),
        ["apis", group, version] => {
            Some(Route::ResourceList { group: group.to_string(), version: version.to_string() })
        }
        ["api", version, rest @ ..] => resource_route("", version, rest),
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest),
        _ => None,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Option<Route> {
    // `namespaces/{ns}/{plural}/...` is a namespaced path when `{plural}` is a namespaced resource of
    // this group-version; otherwise `namespaces/{ns}[/{sub}]` addresses the Namespace object itself.
    if let ["namespaces", ns, plural, tail @ ..] = rest
        && let Some(kind) = resources::lookup(group, version, plural).filter(|k| k.namespaced)
    {
        return object_route(kind, Some(ns), tail);
    }
    let (plural, tail) = rest.split_first()?;
    let kind = resources::lookup(group, version, plural)?;
    if kind.namespaced {
        // A namespaced resource across all namespaces: only the collection is addressable.
        return tail.is_empty().then_some(Route::Collection { kind, namespace: None });
    }
    object_route(kind, None, tail)
}

fn object_route(kind: ResourceKind, namespace: Option<&str>, tail: &[&str]) -> Option<Route> {
    let namespace = namespace.map(str::to_string);
    match tail {
        [] => Some(Route::Collection { kind, namespace }),
        [name, more @ ..] if !name.is_empty() => {
            let (sub, rest) = match more {
                [] => (None, String::new()),
                [sub, rest @ ..] => (Some(sub.to_string()), rest.join("/")),
            };
            if let Some(s) = &sub
                && !kind.subresources.contains(&s.as_str())
            {
                return None;
            }
            Some(Route::Object {
                kind,
                namespace: namespace.unwrap_or_default(),
                name: name.to_string(),
                sub,
                rest,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{APPLICATIONS, CLUSTER_POLICIES, NAMESPACES, PODS, SERVICES};

    #[test]
    fn discovery_paths() {
        assert_eq!(parse("/version"), Some(Route::Version));
        assert_eq!(parse("/api"), Some(Route::CoreVersions));
        assert_eq!(parse("/apis"), Some(Route::Groups));
        assert_eq!(parse("/openapi/v3"), Some(Route::OpenApiRoot));
        assert_eq!(parse("/openapi/v3/apis/apps/v1"), Some(Route::OpenApi("apis/apps/v1".into())));
        assert_eq!(
            parse("/apis/apps/v1"),
            Some(Route::ResourceList { group: "apps".into(), version: "v1".into() })
        );
    }

    #[test]
    fn collections_and_objects() {
        assert_eq!(parse("/api/v1/pods"), Some(Route::Collection { kind: PODS, namespace: None }));
        assert_eq!(
            parse("/api/v1/namespaces/dev/pods"),
            Some(Route::Collection { kind: PODS, namespace: Some("dev".into()) })
        );
        assert_eq!(
            parse("/api/v1/namespaces/dev/pods/web-1/log"),
            Some(Route::Object {
                kind: PODS,
                namespace: "dev".into(),
                name: "web-1".into(),
                sub: Some("log".into()),
                rest: String::new()
            })
        );
        assert_eq!(
            parse("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/loki"),
            Some(Route::Object {
                kind: APPLICATIONS,
                namespace: "argocd".into(),
                name: "loki".into(),
                sub: None,
                rest: String::new()
            })
        );
        assert_eq!(
            parse("/apis/kyverno.io/v1/clusterpolicies/require-labels"),
            Some(Route::Object {
                kind: CLUSTER_POLICIES,
                namespace: String::new(),
                name: "require-labels".into(),
                sub: None,
                rest: String::new()
            })
        );
    }

    #[test]
    fn namespace_objects_and_proxies() {
        assert_eq!(
            parse("/api/v1/namespaces/dev"),
            Some(Route::Object {
                kind: NAMESPACES,
                namespace: String::new(),
                name: "dev".into(),
                sub: None,
                rest: String::new()
            })
        );
        assert_eq!(
            parse("/api/v1/namespaces/dev/services/web:3000/proxy/health"),
            Some(Route::Object {
                kind: SERVICES,
                namespace: "dev".into(),
                name: "web:3000".into(),
                sub: Some("proxy".into()),
                rest: "health".into()
            })
        );
    }

    #[test]
    fn unknown_paths() {
        assert_eq!(parse("/api/v1/nosuchthings"), None);
        assert_eq!(parse("/apis/apps/v1/pods"), None);
        assert_eq!(parse("/api/v1/pods/x"), None);
        assert_eq!(parse("/api/v1/namespaces/dev/pods/x/exec"), None);
        assert_eq!(parse("/healthz/x/y"), None);
    }
}
