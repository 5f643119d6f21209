//! Integration tests of the simulated platform, driven through real clients (kube-rs, reqwest) over
//! loopback, with the sim started in-process.

mod api_errors;
mod harness;
mod kube_watcher;
mod watch_protocol;
