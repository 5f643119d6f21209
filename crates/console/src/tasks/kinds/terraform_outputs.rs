//! `terraform-outputs`: `terraform output -json` in `terraform.dir` has the outputs the platform needs
//! (the Loki bucket and role, the ECR account URL, the GitHub OIDC provider and push role).

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::Value;

use super::{Built, built};
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub outputs: Vec<String>,
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!("read `terraform output -json` for {}", p.outputs.join(", "));
    built(p, env, run, plan, false, false)
}

pub fn not_configured() -> Outcome {
    Outcome::Skipped("terraform.dir is not configured".into())
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let Some(dir) = &env.config.terraform.dir else { return not_configured() };
        let output = tokio::process::Command::new("terraform")
            .args(["output", "-json"])
            .current_dir(dir)
            .kill_on_drop(true)
            .output()
            .await;
        let output = match output {
            Ok(o) => o,
            Err(e) => return Outcome::Failed(format!("cannot run terraform in {}: {e}", dir.display())),
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
            return Outcome::Failed(format!("`terraform output -json` in {} failed: {last}", dir.display()));
        }
        match serde_json::from_slice::<Value>(&output.stdout) {
            Ok(outputs) => judge(p, &outputs, dir, io),
            Err(e) => Outcome::Failed(format!("terraform printed no JSON: {e}")),
        }
    })
}

fn judge(p: &Params, outputs: &Value, dir: &Path, io: &TaskIo) -> Outcome {
    let mut missing = Vec::new();
    for name in &p.outputs {
        match outputs.get(name) {
            Some(o) if !o["value"].is_null() && o["value"] != "" => {
                // Sensitive outputs are never shown.
                let shown =
                    if o["sensitive"] == true { "(sensitive)".to_string() } else { o["value"].to_string() };
                io.line(format!("{name} = {shown}"));
            }
            _ => missing.push(name.clone()),
        }
    }
    if missing.is_empty() {
        Outcome::Passed(format!("{} outputs present", p.outputs.len()))
    } else {
        Outcome::Failed(format!(
            "missing Terraform outputs in {}: {} — run `terraform apply` there",
            dir.display(),
            missing.join(", ")
        ))
    }
}
