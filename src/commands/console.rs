//! The dashboard: `platdeck` (a real cluster) and `platdeck demo` (the embedded simulated platform).

use std::path::PathBuf;

use color_eyre::eyre::Result;

use super::target::Target;
use crate::actions::audit::AuditLog;
use crate::actions::guard::ReadOnly;
use crate::config::{Config, LokiAuth};
use crate::platform::explore::ExploreTarget;
use crate::scaffold::Platform;
use crate::sources::loki::LokiClientConfig;
use crate::tui::app::{ConsoleOptions, run};
use crate::tui::keymap::Keymap;
use crate::tui::scaffold_runner::ScaffoldSettings;
use crate::tui::theme::Theme;

pub struct Flags<'a> {
    pub namespace: Option<&'a str>,
    pub readonly: bool,
}

pub async fn console(config: &Config, target: Target, flags: Flags<'_>) -> Result<()> {
    let keymap = Keymap::new(&config.keymap)?;
    // NO_COLOR (any non-empty value) unless the config says otherwise.
    let env_no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // With `demo`, every endpoint (Grafana, Prometheus, ECR …) pointed at the sim.
    let effective = target.effective_config(config);
    let options = ConsoleOptions {
        kubeconfig: target.kubeconfig.clone(),
        context: target.context.clone(),
        namespace: flags.namespace.map(str::to_string),
        argocd_namespace: config.argocd.namespace.clone(),
        readonly: ReadOnly { flag: flags.readonly, contexts: config.cluster.readonly_contexts.clone() },
        audit: AuditLog::new(config.audit_log_path()),
        keymap,
        theme: Theme::configured(&config.theme, env_no_color),
        loki: loki_client(config, target.loki_url.as_deref())?,
        log_query_template: config.loki.query_template.clone(),
        scaffold: ScaffoldSettings {
            platform: Platform::from_config(&effective),
            gitops: target.gitops_dir(config),
            out: PathBuf::from("."),
        },
        explore: Some(ExploreTarget {
            grafana_url: effective.grafana_url(),
            datasource: effective.grafana_loki_datasource(),
        }),
        tasks_config: effective,
    };
    let result = run(options).await;
    target.close().await;
    result
}

/// The Loki client settings: the target's own Loki (the sim) or the config's, with its tenant and auth.
fn loki_client(config: &Config, target_url: Option<&str>) -> Result<Option<LokiClientConfig>> {
    let Some(url) = target_url.map(str::to_string).or_else(|| config.loki.url.clone()) else {
        return Ok(None);
    };
    let (mut bearer, mut basic) = (None, None);
    match &config.loki.auth {
        LokiAuth::None => {}
        LokiAuth::Bearer { token } => bearer = token.resolve()?,
        LokiAuth::Basic { username, password } => {
            basic = password.resolve()?.map(|p| (username.clone(), p));
        }
    }
    Ok(Some(LokiClientConfig { url, tenant: config.loki.tenant.clone(), bearer, basic }))
}
