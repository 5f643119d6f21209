//! `command`: runs a program (e.g. `terraform apply`), streaming its stdout and stderr lines into the
//! task's output; fails with its exit status and last error line.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{Built, built};
use crate::tasks::engine::{Outcome, TaskIo};
use crate::tasks::env::Env;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub program: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// Working directory.
    pub dir: Option<String>,
    /// Whether it changes something (then it is guarded and audited); default true.
    #[serde(default = "yes")]
    pub mutating: bool,
}

fn yes() -> bool {
    true
}

fn command_line(p: &Params) -> String {
    let mut line = std::iter::once(p.program.as_str())
        .chain(p.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(dir) = &p.dir {
        line = format!("{line} (in {dir})");
    }
    line
}

pub fn build(p: Params, env: Arc<Env>) -> Built {
    let plan = format!("run `{}`", command_line(&p));
    let mutating = p.mutating;
    built(p, env, run, plan, mutating, false)
}

fn run<'a>(p: &'a Params, env: &'a Env, io: &'a TaskIo) -> BoxFuture<'a, Outcome> {
    Box::pin(async move {
        let line = command_line(p);
        let object = format!("command/{}", p.program);
        if p.mutating
            && let Err(blocked) = env.allow("run", p.dir.as_deref().unwrap_or(""), &object)
        {
            return Outcome::Failed(blocked);
        }
        let mut command = tokio::process::Command::new(&p.program);
        command
            .args(&p.args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &p.dir {
            command.current_dir(dir);
        }
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(format!("cannot start `{line}`: {e}")),
        };
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Outcome::Failed(format!("`{line}`: no output pipes"));
        };
        let mut out = BufReader::new(stdout).lines();
        let mut err = BufReader::new(stderr).lines();
        let (mut out_open, mut err_open) = (true, true);
        let mut last_error = String::new();
        while out_open || err_open {
            tokio::select! {
                l = out.next_line(), if out_open => match l {
                    Ok(Some(l)) => io.line(l),
                    _ => out_open = false,
                },
                l = err.next_line(), if err_open => match l {
                    Ok(Some(l)) => {
                        if !l.trim().is_empty() {
                            last_error = l.trim().to_string();
                        }
                        io.line(l);
                    }
                    _ => err_open = false,
                },
            }
        }
        let status = match child.wait().await {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(format!("`{line}`: {e}")),
        };
        if p.mutating {
            let result = if status.success() { "ok".to_string() } else { format!("error: {status}") };
            env.record("run", p.dir.as_deref().unwrap_or(""), &object, result);
        }
        if status.success() {
            Outcome::Passed(format!("`{line}` succeeded"))
        } else {
            let detail = if last_error.is_empty() { String::new() } else { format!(": {last_error}") };
            Outcome::Failed(format!("`{line}` exited with {status}{detail}"))
        }
    })
}
