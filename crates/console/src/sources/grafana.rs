//! Grafana HTTP API client (wire-formats §6): the datasources, with the service-account token.

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum GrafanaError {
    #[error("Grafana request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Grafana refused the token (401): check grafana.token")]
    Unauthorized,
    #[error("Grafana answered {status}: {body}")]
    Status { status: u16, body: String },
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Datasource {
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
}

/// `GET /api/datasources` with `Authorization: Bearer`.
pub async fn datasources(
    http: &reqwest::Client,
    base: &str,
    token: &str,
) -> Result<Vec<Datasource>, GrafanaError> {
    let response =
        http.get(format!("{}/api/datasources", base.trim_end_matches('/'))).bearer_auth(token).send().await?;
    let status = response.status().as_u16();
    if status == 401 {
        return Err(GrafanaError::Unauthorized);
    }
    if !(200..300).contains(&status) {
        let body: String = response.text().await.unwrap_or_default().chars().take(200).collect();
        return Err(GrafanaError::Status { status, body });
    }
    Ok(response.json().await?)
}
