//! One adapter per external system. Adapters feed caches; the UI pulls snapshots of the caches when
//! notified (no whole lists through channels). Timeouts, backoff, reconnects and redaction live here.

pub mod cache;
pub mod custom_resources;
pub mod ecr;
pub mod error_chain;
pub mod grafana;
pub mod kube;
pub mod kube_client;
pub mod log_buffer;
pub mod loki;
pub mod pod_logs;
pub mod prometheus;
pub mod stop;
