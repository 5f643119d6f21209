//! Prometheus HTTP API client (wire-formats §5): instant queries and scrape targets.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    #[error("Prometheus request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Prometheus answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("cannot decode Prometheus response: {0}")]
    Decode(String),
}

/// One sample of an instant vector (or a scalar, with no labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: serde_json::Map<String, Value>,
    pub value: f64,
}

/// One active scrape target.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(default)]
    pub labels: serde_json::Map<String, Value>,
    #[serde(default)]
    pub scrape_pool: String,
    #[serde(default)]
    pub scrape_url: String,
    #[serde(default)]
    pub health: String,
    #[serde(default)]
    pub last_error: String,
}

pub struct PrometheusClient {
    http: reqwest::Client,
    base: String,
}

impl PrometheusClient {
    pub fn new(http: reqwest::Client, base: &str) -> Self {
        Self { http, base: base.trim_end_matches('/').to_string() }
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, PrometheusError> {
        let mut url = url::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| PrometheusError::Decode(format!("invalid prometheus.url: {e}")))?;
        url.query_pairs_mut().extend_pairs(query);
        let response = self.http.get(url).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let body: Value = serde_json::from_str(&text).map_err(|_| PrometheusError::Status {
            status,
            message: text.chars().take(200).collect::<String>().trim().to_string(),
        })?;
        if body["status"] != "success" {
            let message = format!(
                "{}: {}",
                body["errorType"].as_str().unwrap_or("error"),
                body["error"].as_str().unwrap_or("no error message")
            );
            return Err(PrometheusError::Status { status, message });
        }
        Ok(body["data"].clone())
    }

    /// `GET /api/v1/query`: the samples of an instant query.
    pub async fn query(&self, promql: &str) -> Result<Vec<Sample>, PrometheusError> {
        let data = self.get("/api/v1/query", &[("query", promql)]).await?;
        parse_samples(&data)
    }

    /// `GET /api/v1/targets?state=active`.
    pub async fn active_targets(&self) -> Result<Vec<Target>, PrometheusError> {
        let data = self.get("/api/v1/targets", &[("state", "active")]).await?;
        serde_json::from_value(data["activeTargets"].clone())
            .map_err(|e| PrometheusError::Decode(e.to_string()))
    }
}

fn number(v: &Value) -> Option<f64> {
    v.get(1).and_then(Value::as_str).and_then(|s| s.parse().ok())
}

pub fn parse_samples(data: &Value) -> Result<Vec<Sample>, PrometheusError> {
    let bad = || {
        PrometheusError::Decode(format!(
            "unexpected query result: {}",
            data.to_string().chars().take(200).collect::<String>()
        ))
    };
    match data["resultType"].as_str() {
        Some("vector") => data["result"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|r| {
                Ok(Sample {
                    labels: r["metric"].as_object().cloned().unwrap_or_default(),
                    value: number(&r["value"]).ok_or_else(bad)?,
                })
            })
            .collect(),
        Some("scalar") => {
            Ok(vec![Sample { labels: Default::default(), value: number(&data["result"]).ok_or_else(bad)? }])
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vectors_and_scalars() {
        let v = json!({"resultType": "vector", "result": [{"metric": {"job": "a"}, "value": [1.5, "1"]}, {"metric": {}, "value": [1.5, "NaN"]}]});
        let s = parse_samples(&v).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].value, 1.0);
        assert_eq!(s[0].labels["job"], "a");
        assert!(s[1].value.is_nan());
        assert_eq!(
            parse_samples(&json!({"resultType": "scalar", "result": [1, "2.5"]})).unwrap()[0].value,
            2.5
        );
        assert!(parse_samples(&json!({"resultType": "matrix", "result": []})).is_err());
    }
}
