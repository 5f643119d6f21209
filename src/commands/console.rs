//! The dashboard: `platdeck` (a real cluster) and `platdeck demo` (the embedded simulated platform).

use std::path::PathBuf;

use color_eyre::eyre::Result;

use super::target::Target;
use platdeck_console::actions::audit::AuditLog;
use platdeck_console::actions::guard::ReadOnly;
use platdeck_console::config::Config;
use platdeck_console::scaffold::Platform;
use platdeck_console::sources::loki::LokiClientConfig;
use platdeck_console::tui::app::{ConsoleOptions, run};
use platdeck_console::tui::keymap::Keymap;
use platdeck_console::tui::scaffold_runner::ScaffoldSettings;
use platdeck_console::tui::theme::Theme;
use platdeck_core::platform::explore::ExploreTarget;

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
    Ok(Some(LokiClientConfig::from_config(url, &config.loki)?))
}
