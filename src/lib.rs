//! platdeck: a terminal control console for a Kubernetes developer platform
//! (Argo CD, Loki, Prometheus, Grafana, Kyverno, ECR), and the simulated platform it is demoed and tested on.

pub mod actions;
pub mod assets;
pub mod cli;
pub mod commands;
pub mod config;
pub mod kyverno;
pub mod logging;
pub mod platform;
pub mod report;
pub mod scaffold;
pub mod signals;
pub mod sim;
pub mod sources;
pub mod tasks;
pub mod tui;
