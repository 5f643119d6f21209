//! Where a running sim listens, and the kubeconfig that points a client at it.

use serde::{Deserialize, Serialize};

/// The sim's endpoints, printed as JSON on stdout and written with `--endpoints-out`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoints {
    /// Kubernetes API server base URL (plain HTTP, no authentication).
    pub kubernetes: String,
    /// Loki base URL (`/loki/api/v1/...`).
    pub loki: String,
    /// Grafana base URL (`/api/health`, `/api/datasources`).
    pub grafana: String,
    /// Bearer token Grafana's API accepts.
    pub grafana_token: String,
    /// Prometheus exposition server: `/metrics` for all services, `/metrics/{namespace}/{service}` for one.
    pub metrics: String,
    /// ECR JSON 1.1 endpoint (`POST /` with `X-Amz-Target`).
    pub ecr: String,
    pub ecr_region: String,
    pub ecr_account_id: String,
    /// Name of the cluster, user and context in the written kubeconfig.
    pub kube_context: String,
    /// Prometheus HTTP API base URL (`/api/v1/query`, `/api/v1/targets`, ...); it shares the exposition
    /// server's listener.
    pub prometheus: String,
}

impl Endpoints {
    /// A kubeconfig with one cluster, user and context for this sim.
    pub fn kubeconfig_yaml(&self) -> String {
        let ctx = &self.kube_context;
        format!(
            "apiVersion: v1\nkind: Config\npreferences: {{}}\nclusters:\n- name: {ctx}\n  cluster:\n    server: {server}\nusers:\n- name: {ctx}\n  user: {{}}\ncontexts:\n- name: {ctx}\n  context:\n    cluster: {ctx}\n    user: {ctx}\n    namespace: platform-services\ncurrent-context: {ctx}\n",
            server = self.kubernetes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_names_the_server_and_context() {
        let e = Endpoints {
            kubernetes: "http://127.0.0.1:1234".into(),
            loki: String::new(),
            grafana: String::new(),
            grafana_token: String::new(),
            metrics: String::new(),
            ecr: String::new(),
            ecr_region: "us-east-1".into(),
            ecr_account_id: "123456789012".into(),
            kube_context: "platdeck-sim".into(),
            prometheus: String::new(),
        };
        let y: serde_json::Value = serde_norway::from_str(&e.kubeconfig_yaml()).unwrap();
        assert_eq!(y["clusters"][0]["cluster"]["server"], "http://127.0.0.1:1234");
        assert_eq!(y["current-context"], "platdeck-sim");
    }
}
