//! Building the Kubernetes client from the kubeconfig and context the user chose.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
    #[error("kubeconfig: {0}")]
    Config(String),
    #[error("cannot build the Kubernetes client: {0}")]
    Client(String),
}

/// A client and the context it talks to.
pub struct Connection {
    pub client: kube::Client,
    pub context: String,
}

/// Connects with an explicit kubeconfig file (else `$KUBECONFIG` / `~/.kube/config`) and context
/// (else the kubeconfig's current context).
pub async fn connect(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<Connection, ClientError> {
    let kc = match kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| ClientError::Kubeconfig {
            path: path.display().to_string(),
            message: e.to_string(),
        })?,
        None => Kubeconfig::read().map_err(|e| ClientError::Config(e.to_string()))?,
    };
    let context_name = context.map(str::to_string).or_else(|| kc.current_context.clone()).unwrap_or_default();
    let options = KubeConfigOptions { context: context.map(str::to_string), ..KubeConfigOptions::default() };
    let config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| ClientError::Config(e.to_string()))?;
    let client = kube::Client::try_from(config).map_err(|e| ClientError::Client(e.to_string()))?;
    Ok(Connection { client, context: context_name })
}
