//! The read-only guard: every mutation passes here before any request leaves the process.

use platdeck_core::glob::{Wildcards, glob_match};

use super::Mutation;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Blocked {
    #[error("read-only: {0} was not sent (started with --readonly)")]
    ReadonlyFlag(String),
    #[error("read-only: {mutation} was not sent (context `{context}` is read-only in config)")]
    ReadonlyContext { mutation: String, context: String },
    #[error("nothing to do: the service has no {0}")]
    Nothing(&'static str),
}

/// What makes a session read-only.
#[derive(Debug, Clone, Default)]
pub struct ReadOnly {
    /// `--readonly` on the command line.
    pub flag: bool,
    /// Context patterns that are read-only (from config), matched with `*` globs.
    pub contexts: Vec<String>,
}

impl ReadOnly {
    pub fn is_readonly(&self, context: &str) -> bool {
        self.flag || self.contexts.iter().any(|p| glob_match(p, context, Wildcards::Star))
    }

    /// Allows or blocks a mutation.
    pub fn check(&self, mutation: &Mutation) -> Result<(), Blocked> {
        if mutation.is_empty() {
            return Err(Blocked::Nothing(match mutation.strategy {
                super::Strategy::Restart => "deployment to restart",
                _ => "Argo CD application",
            }));
        }
        if self.flag {
            return Err(Blocked::ReadonlyFlag(mutation.to_string()));
        }
        if self.contexts.iter().any(|p| glob_match(p, &mutation.context, Wildcards::Star)) {
            return Err(Blocked::ReadonlyContext {
                mutation: mutation.to_string(),
                context: mutation.context.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Strategy;
    use platdeck_core::platform::ServiceKey;

    fn restart(context: &str) -> Mutation {
        Mutation {
            strategy: Strategy::Restart,
            context: context.into(),
            service: ServiceKey { namespace: "ns".into(), name: "svc".into() },
            deployments: vec!["svc".into()],
            app: None,
        }
    }

    #[test]
    fn readonly_flag_blocks_everything() {
        let g = ReadOnly { flag: true, contexts: vec![] };
        assert!(matches!(g.check(&restart("dev")), Err(Blocked::ReadonlyFlag(_))));
    }

    #[test]
    fn readonly_contexts_block_by_pattern() {
        let g = ReadOnly { flag: false, contexts: vec!["prod-*".into(), "staging".into()] };
        assert!(matches!(g.check(&restart("prod-eu")), Err(Blocked::ReadonlyContext { .. })));
        assert!(g.check(&restart("staging")).is_err());
        assert!(g.check(&restart("dev")).is_ok());
        assert!(g.is_readonly("prod-us") && !g.is_readonly("production"));
    }

    #[test]
    fn empty_mutations_are_refused() {
        let mut m = restart("dev");
        m.deployments.clear();
        assert!(matches!(ReadOnly::default().check(&m), Err(Blocked::Nothing(_))));
    }
}
