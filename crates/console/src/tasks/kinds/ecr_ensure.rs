//! `ecr-ensure`: ECR repositories exist with the config's scan on push, encryption, tag mutability
//! and lifecycle policy — created once, corrected when they drift, untouched when they match.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Built, built};
use crate::sources::ecr;
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Repositories; empty = `ecr.repositories`.
    #[serde(default)]
    pub repositories: Vec<String>,
}

pub fn repositories<'a>(p: &'a [String], env: &'a Env) -> &'a [String] {
    if p.is_empty() { &env.config.ecr.repositories } else { p }
}

/// The reason to skip when there is nothing to provision.
pub fn nothing_configured() -> Outcome {
    Outcome::Skipped(
        "ecr.repositories is empty: no repositories to provision (CI creates them on demand)".into(),
    )
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let ecr = &env.config.ecr;
    let repos = repositories(&p.repositories, &env).join(", ");
    if repos.is_empty() {
        return built(p, env, run, "nothing: ecr.repositories is empty".into(), false, false);
    }
    let plan = format!(
        "ensure ECR repositories [{repos}] in {} (scan on push {}, {}, {}, lifecycle policy of {} rules)",
        ecr.region,
        ecr.scan_on_push,
        ecr.encryption.as_str(),
        ecr.tag_mutability.as_str(),
        ecr.lifecycle_policy.rules.len()
    );
    built(p, env, run, plan, true, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let repos = repositories(&p.repositories, env);
        if repos.is_empty() {
            return nothing_configured();
        }
        let config = &env.config.ecr;
        let client = ecr::client(config).await;
        let region = &config.region;
        let mut changed = 0;
        for name in repos {
            let object = format!("ecr-repository/{name}");
            if let Err(blocked) = env.allow("ecr-ensure", region, &object) {
                return Outcome::Failed(blocked);
            }
            match ecr::ensure(&client, config, name).await {
                Ok(done) if done.is_empty() => io.line(format!("{name}: already as configured")),
                Ok(done) => {
                    changed += 1;
                    env.record("ecr-ensure", region, &object, format!("ok: {}", done.join(", ")));
                    io.line(format!("{name}: {}", done.join(", ")));
                }
                Err(e) => {
                    env.record("ecr-ensure", region, &object, format!("error: {e}"));
                    return Outcome::Failed(format!("{name}: {e}"));
                }
            }
        }
        Outcome::Passed(format!("{} repositories as configured ({changed} changed)", repos.len()))
    })
}
