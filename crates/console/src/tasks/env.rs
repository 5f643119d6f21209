//! What every task kind works with: the config, the cluster connection, an HTTP client, and — for
//! the kinds that change something — the read-only guard and the audit log.

use std::path::Path;
use std::time::Duration;

use crate::actions::audit::{AuditEntry, AuditLog};
use crate::actions::guard::ReadOnly;
use crate::config::Config;
use crate::sources::kube_client::connect;

/// Timeout of one HTTP request made by a task.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Env {
    pub config: Config,
    /// The kube context tasks run against (named in confirmations and audit entries).
    pub context: String,
    /// The cluster client, or why there is none (the kube-context task reports it).
    pub kube: Result<kube::Client, String>,
    pub http: reqwest::Client,
    pub readonly: ReadOnly,
    pub audit: AuditLog,
}

impl Env {
    /// Connects to the cluster named by kubeconfig and context; a failure is kept, not raised, so the
    /// preflight tasks can report it.
    pub async fn connect(
        config: Config,
        kubeconfig: Option<&Path>,
        context: Option<&str>,
        readonly: ReadOnly,
    ) -> Self {
        let (kube, context) = match connect(kubeconfig, context).await {
            Ok(c) => (Ok(c.client), c.context),
            Err(e) => (Err(e.to_string()), context.unwrap_or_default().to_string()),
        };
        Self::with_client(config, context, kube, readonly)
    }

    pub fn with_client(
        config: Config,
        context: String,
        kube: Result<kube::Client, String>,
        readonly: ReadOnly,
    ) -> Self {
        let http = reqwest::Client::builder().timeout(HTTP_TIMEOUT).build().unwrap_or_default();
        let audit = AuditLog::new(config.audit_log_path());
        Self { config, context, kube, http, readonly, audit }
    }

    pub fn kube(&self) -> Result<&kube::Client, String> {
        self.kube.as_ref().map_err(|e| format!("no cluster connection: {e}"))
    }

    /// The read-only guard for one mutation, before anything is sent.
    pub fn allow(&self, action: &str, namespace: &str, object: &str) -> Result<(), String> {
        if !self.readonly.is_readonly(&self.context) {
            return Ok(());
        }
        let why = if self.readonly.flag {
            "started with --readonly".to_string()
        } else {
            format!("context `{}` is read-only in config", self.context)
        };
        let message = format!("read-only: {action} {object} was not sent ({why})");
        self.record(action, namespace, object, format!("blocked: {message}"));
        Err(message)
    }

    /// Appends one mutation to the audit log (a failure to write is logged, never fatal).
    pub fn record(&self, action: &str, namespace: &str, object: &str, result: impl Into<String>) {
        let entry = AuditEntry::of(&self.context, action, namespace, object, result);
        if let Err(err) = self.audit.append(&entry) {
            tracing::warn!(%err, path = %self.audit.path().display(), "audit log not written");
        }
    }
}
