//! What a mutation is, independent of how it is sent.

use std::fmt;

use platdeck_core::platform::ServiceKey;
use platdeck_core::platform::services::ServiceView;

/// How to redeploy a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Strategy {
    /// `kubectl rollout restart` of the service's deployments (strategic-merge patch of the template).
    Restart,
    /// Argo CD sync of the service's application (merge patch of `operation`).
    Sync,
    /// Argo CD refresh of the service's application (annotation).
    Refresh,
}

impl Strategy {
    pub fn verb(self) -> &'static str {
        match self {
            Strategy::Restart => "rollout restart",
            Strategy::Sync => "Argo CD sync",
            Strategy::Refresh => "Argo CD refresh",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Restart => "restart",
            Strategy::Sync => "sync",
            Strategy::Refresh => "refresh",
        }
    }
}

/// One requested mutation, fully resolved: which objects, in which context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    pub strategy: Strategy,
    pub context: String,
    pub service: ServiceKey,
    /// Deployments to restart (namespace = service namespace).
    pub deployments: Vec<String>,
    /// The Argo CD application (namespace, name) to sync or refresh.
    pub app: Option<(String, String)>,
}

impl Mutation {
    /// The mutation a redeploy of this service means: its deployments, or its Argo CD application.
    pub fn for_service(strategy: Strategy, context: &str, service: &ServiceView) -> Self {
        Self {
            strategy,
            context: context.to_string(),
            service: service.key.clone(),
            deployments: service.deployments.iter().map(|d| d.name.clone()).collect(),
            app: service.app.as_ref().map(|a| (a.namespace.clone(), a.name.clone())),
        }
    }

    /// The objects this mutation touches, as `kind/name in namespace` strings.
    pub fn objects(&self) -> Vec<String> {
        match self.strategy {
            Strategy::Restart => self.deployments.iter().map(|d| format!("deployment/{d}")).collect(),
            Strategy::Sync | Strategy::Refresh => {
                self.app.iter().map(|(_, name)| format!("application.argoproj.io/{name}")).collect()
            }
        }
    }

    /// The namespace the touched objects live in.
    pub fn namespace(&self) -> &str {
        match (self.strategy, &self.app) {
            (Strategy::Sync | Strategy::Refresh, Some((ns, _))) => ns,
            _ => &self.service.namespace,
        }
    }

    /// Nothing to act on (no deployment to restart, no app to sync).
    pub fn is_empty(&self) -> bool {
        self.objects().is_empty()
    }
}

impl fmt::Display for Mutation {
    /// The confirmation line: names context, namespace and object.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} in namespace {} on context {}",
            self.strategy.verb(),
            self.objects().join(", "),
            self.namespace(),
            self.context
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(strategy: Strategy) -> Mutation {
        Mutation {
            strategy,
            context: "prod".into(),
            service: ServiceKey { namespace: "shop".into(), name: "api".into() },
            deployments: vec!["api".into()],
            app: Some(("argocd".into(), "api".into())),
        }
    }

    #[test]
    fn confirmation_names_context_namespace_and_object() {
        assert_eq!(
            m(Strategy::Restart).to_string(),
            "rollout restart deployment/api in namespace shop on context prod"
        );
        assert_eq!(
            m(Strategy::Sync).to_string(),
            "Argo CD sync application.argoproj.io/api in namespace argocd on context prod"
        );
        let mut none = m(Strategy::Refresh);
        none.app = None;
        assert!(none.is_empty());
    }
}
