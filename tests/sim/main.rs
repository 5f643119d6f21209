//! Integration tests of the simulated platform, driven through real clients (kube-rs, reqwest) over
//! loopback, with the sim started in-process.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod api_errors;
mod console_sources;
mod gitops;
mod harness;
mod kube_watcher;
mod loki_tail;
mod pod_logs_fallback;
mod prometheus_api;
mod readonly;
mod watch_protocol;
