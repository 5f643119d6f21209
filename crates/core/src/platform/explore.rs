//! Grafana Explore deep links for a LogQL query (Grafana ≥ 10's `schemaVersion=1` format): the pane state
//! (datasource, query, time range) as URL-encoded JSON in `panes`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;

use super::logwindow::LogWindow;

/// Everything but the characters a query component may carry as they are (RFC 3986 unreserved).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Grafana pane ids are three characters of its id alphabet, not all digits.
const PANE_ID: &str = "pdk";

/// Where Explore lives and which Loki datasource it queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExploreTarget {
    /// Grafana's base URL, without a trailing slash.
    pub grafana_url: String,
    /// The Loki datasource's uid in that Grafana.
    pub datasource: String,
}

/// `{grafana}/explore?schemaVersion=1&orgId=1&panes=…` showing `query` over the window (relative to now).
pub fn explore_url(target: &ExploreTarget, query: &str, window: LogWindow) -> String {
    let panes = json!({
        PANE_ID: {
            "datasource": target.datasource,
            "queries": [{
                "refId": "A",
                "expr": query,
                "queryType": "range",
                "datasource": {"type": "loki", "uid": target.datasource},
            }],
            "range": {"from": format!("now-{}", window.short()), "to": "now"},
        }
    });
    format!(
        "{}/explore?schemaVersion=1&orgId=1&panes={}",
        target.grafana_url.trim_end_matches('/'),
        utf8_percent_encode(&panes.to_string(), COMPONENT)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_carries_datasource_query_and_range() {
        let target = ExploreTarget {
            grafana_url: "https://grafana.example.com/".into(),
            datasource: "P8E80F9AEF21F6940".into(),
        };
        let query = r#"{namespace="payments", app_kubernetes_io_name="api"} |= "error & 50%""#;
        let url = explore_url(&target, query, LogWindow::Minutes15);
        let (base, panes) = url.split_once("&panes=").unwrap();
        assert_eq!(base, "https://grafana.example.com/explore?schemaVersion=1&orgId=1");
        assert!(!panes.contains(['"', '{', ' ', '&', '#']), "{panes}");
        let decoded = percent_encoding::percent_decode_str(panes).decode_utf8().unwrap();
        let v: serde_json::Value = serde_json::from_str(&decoded).unwrap();
        let pane = &v[PANE_ID];
        assert_eq!(pane["datasource"], "P8E80F9AEF21F6940");
        assert_eq!(pane["queries"][0]["expr"], query);
        assert_eq!(pane["queries"][0]["datasource"]["type"], "loki");
        assert_eq!(pane["range"]["from"], "now-15m");
        assert_eq!(pane["range"]["to"], "now");
    }
}
