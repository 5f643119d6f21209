//! `kube-context`: the configured kube context reaches an API server.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Built, built};
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!("ask the API server of context `{}` for its version", env.context);
    built(p, env, run, plan, false, true)
}

fn run<'a>(_p: &'a Params, env: &'a Env, _io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let client = match env.kube() {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(format!("{e} — check the kubeconfig and cluster.context")),
        };
        match client.apiserver_version().await {
            Ok(info) => Outcome::Passed(format!(
                "context `{}` reaches Kubernetes {} ({})",
                env.context, info.git_version, info.platform
            )),
            Err(e) => Outcome::Failed(format!(
                "context `{}` does not answer: {e} — is the cluster up and the VPN/credentials valid?",
                env.context
            )),
        }
    })
}
