//! The embedded simulated platform: a separate world that serves the real wire protocols on loopback.
//!
//! The compiler keeps the wall: this crate depends only on `platdeck-core`, and the console's crate does
//! not depend on this one. Only the binary's command-line wiring (`platdeck sim`, `platdeck demo`,
//! `--demo`) starts it and hands its endpoints over, exactly as a user would point the console at a real
//! cluster.

pub mod assets;
pub mod clock;
pub mod controllers;
pub mod crds;
pub mod ecr;
pub mod endpoints;
pub mod faults;
pub mod git_repo;
pub mod jsonpath;
pub mod logql;
pub mod logs;
pub mod manifests;
pub mod metrics;
pub mod patch;
pub mod promql;
pub mod resources;
pub mod scenario;
pub mod scrape;
pub mod seed;
pub mod seed_core;
pub mod selectors;
pub mod series_history;
pub mod server;
pub mod state;
pub mod status;
pub mod world;

pub use endpoints::Endpoints;
pub use server::{SimOptions, SimServer, start};
