//! `ecr-check`: the configured ECR repositories exist with the settings the config asks for.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::ecr_ensure::{nothing_configured, repositories};
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

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan =
        format!("read the settings of ECR repositories [{}]", repositories(&p.repositories, &env).join(", "));
    built(p, env, run, plan, false, true)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let repos = repositories(&p.repositories, env);
        if repos.is_empty() {
            return nothing_configured();
        }
        let config = &env.config.ecr;
        let client = ecr::client(config).await;
        let mut problems = Vec::new();
        for name in repos {
            match ecr::read(&client, config, name).await {
                Ok(None) => problems.push(format!("{name}: missing — run `platdeck provision`")),
                Ok(Some(actual)) => {
                    let diff = ecr::differences(config, &actual);
                    if diff.is_empty() {
                        io.line(format!("{name}: {} as configured", actual.uri));
                    } else {
                        problems.push(format!("{name}: {}", diff.join(", ")));
                    }
                }
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
        if problems.is_empty() {
            Outcome::Passed(format!("{} repositories as configured", repos.len()))
        } else {
            Outcome::Failed(problems.join("; "))
        }
    })
}
