//! `platdeck scaffold NAME --template T [--owner O] [--namespace N] [--out DIR] [--gitops DIR]`: a new
//! service on the golden path, headless. Everything is rendered and checked first; only then is anything
//! written, and — when the GitOps repository or the cluster is touched — only after the read-only guard
//! and a confirmation, with an audit entry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, bail};

use super::headless::{confirm, print_clean};
use super::target::Target;
use crate::cli::ScaffoldArgs;
use platdeck_console::actions::audit::AuditLog;
use platdeck_console::actions::guard::ReadOnly;
use platdeck_console::actions::scaffold::{ScaffoldMutation, ScaffoldOutcome, execute, existing_in_cluster};
use platdeck_console::config::Config;
use platdeck_console::scaffold::{Plan, Platform, Request, ScaffoldError, builtin_templates, plan};
use platdeck_console::sources::kube_client::{Connection, connect};

pub async fn run(config: &Config, args: ScaffoldArgs) -> Result<()> {
    let listing = args.list || (args.name.as_deref() == Some("templates") && args.template.is_none());
    if listing {
        print_templates();
        return Ok(());
    }
    let target = if args.demo.requested() || args.apply {
        Some(Target::resolve(config, args.context.as_deref(), &args.demo).await?)
    } else {
        None
    };
    let result = scaffold(config, &args, target.as_ref()).await;
    if let Some(target) = target {
        target.close().await;
    }
    result
}

fn print_templates() {
    println!("Templates (built in; --template also takes a directory holding a template.yaml):");
    for (name, title, description) in builtin_templates() {
        println!("  {name:<16} {title}");
        if !description.is_empty() {
            println!("  {:<16} {description}", "");
        }
    }
}

/// The parameter inputs given on the command line.
pub fn inputs(name: &str, args: &ScaffoldArgs, namespace: Option<&str>) -> BTreeMap<String, String> {
    let mut inputs = BTreeMap::from([("name".to_string(), name.to_string())]);
    let optional = [
        ("owner", args.owner.as_deref()),
        ("description", args.description.as_deref()),
        ("port", args.port.as_deref()),
        ("namespace", namespace),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            inputs.insert(key.to_string(), value.to_string());
        }
    }
    inputs
}

async fn scaffold(config: &Config, args: &ScaffoldArgs, target: Option<&Target>) -> Result<()> {
    let Some(name) = args.name.as_deref() else { bail!("name the new service (or --list the templates)") };
    let Some(template) = args.template.as_deref() else {
        let names: Vec<String> = builtin_templates().into_iter().map(|t| t.0).collect();
        bail!("--template is required; available: {}", names.join(", "));
    };
    let gitops = match (&args.gitops, target) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(target)) => target.gitops_dir(config),
        (None, None) => config.gitops.repo.as_deref().map(PathBuf::from).filter(|p| p.is_dir()),
    };
    let request = Request {
        template: template.to_string(),
        inputs: inputs(name, args, args.namespace.as_deref()),
        out: args.out.clone().unwrap_or_else(|| PathBuf::from(".")),
        gitops,
    };
    // With --demo, the sim's ECR account and region (as `platdeck sim --config-out` would write them).
    let platform =
        Platform::from_config(&target.map_or_else(|| config.clone(), |t| t.effective_config(config)));
    let plan = plan(&request, &platform)?;
    let connection = match target {
        Some(target) => Some(connect(target.kubeconfig.as_deref(), target.context.as_deref()).await?),
        None => None,
    };
    if let Some(connection) = &connection
        && let Some(what) =
            existing_in_cluster(&connection.client, &plan.name, &plan.namespace, &platform.argocd_namespace)
                .await?
    {
        return Err(ScaffoldError::ServiceExists {
            name: plan.name.clone(),
            what: format!("{what} in the cluster"),
        }
        .into());
    }
    print_plan(&plan);
    let context = connection
        .as_ref()
        .map(|c: &Connection| c.context.clone())
        .or_else(|| args.context.clone())
        .or_else(|| config.cluster.context.clone())
        .unwrap_or_else(|| "(no cluster)".into());
    let mutation = ScaffoldMutation::for_plan(&plan, &context, connection.is_some());
    let readonly = ReadOnly { flag: args.guard.readonly, contexts: config.cluster.readonly_contexts.clone() };
    let audit = AuditLog::new(config.audit_log_path());
    if !mutation.is_local() {
        if let Err(blocked) = mutation.check(&readonly) {
            let _ = audit.append(&mutation.audit_entry(format!("blocked: {blocked}")));
            bail!(blocked);
        }
        print_clean(&mutation.to_string());
        if !args.yes && !confirm("scaffold")? {
            let _ = audit.append(&mutation.audit_entry("cancelled"));
            bail!("not confirmed; nothing was written");
        }
    }
    let client = connection.as_ref().map(|c| &c.client);
    let outcome = execute(client, &readonly, &audit, &mutation, plan.clone()).await?;
    print_outcome(&plan, &outcome, config);
    Ok(())
}

fn print_plan(plan: &Plan) {
    print_clean(&format!(
        "Template {}: {} files for {} in {}",
        plan.template,
        plan.files.len(),
        plan.name,
        plan.dir.display()
    ));
    if let Some(g) = &plan.gitops {
        let paths: Vec<&str> = g.files.iter().map(|f| f.path.as_str()).collect();
        print_clean(&format!(
            "GitOps repository {} (branch {}): {}",
            g.repo.display(),
            g.branch,
            paths.join(", ")
        ));
    }
}

fn print_outcome(plan: &Plan, outcome: &ScaffoldOutcome, config: &Config) {
    let written = &outcome.written;
    print_clean(&format!(
        "Scaffolded {} from the {} template into {} (git repository, first commit {}):",
        plan.name,
        plan.template,
        written.dir.display(),
        short(&written.commit)
    ));
    for file in &written.files {
        print_clean(&format!("  {}", file.display()));
    }
    if let (Some(g), Some(commit)) = (&plan.gitops, &written.gitops_commit) {
        print_clean(&format!(
            "Committed to the GitOps repository {} on {} ({})",
            g.repo.display(),
            g.branch,
            short(commit)
        ));
    }
    if let Some(app) = &outcome.application {
        print_clean(&format!("Created {app}: Argo CD syncs {} into namespace {}", plan.name, plan.namespace));
    }
    println!();
    println!("Next steps:");
    let dir = relative_to_cwd(&written.dir);
    print_clean(&format!(
        "  1. cd {dir} && git remote add origin git@github.com:{}/{}.git && git push -u origin main",
        config.github.org, plan.name
    ));
    println!(
        "  2. set the repository secrets AWS_ROLE_ARN (the GitHub push role) and GITOPS_TOKEN: each push to"
    );
    println!(
        "     main builds, pushes to ECR with the sha and latest tags, and bumps the image in the GitOps repo"
    );
    match (&plan.gitops, &outcome.application) {
        (Some(_), Some(_)) => {
            println!("  3. watch it sync: platdeck (Applications view) or kubectl get applications -A")
        }
        (Some(g), None) => print_clean(&format!(
            "  3. push the GitOps repository and create the Application: kubectl apply -f {}",
            g.repo.join(format!("applications/{}.yaml", plan.name)).display()
        )),
        (None, _) => println!(
            "  3. add k8s/deployment.yaml and k8s/service.yaml to the GitOps repository (--gitops DIR does it)"
        ),
    }
    println!("  4. register catalog-info.yaml in Backstage's catalog");
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

fn relative_to_cwd(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    match cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()) {
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}
