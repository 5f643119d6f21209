//! The domain model, pure: what the console knows about the platform, derived from raw objects by
//! pure functions that are unit-tested without I/O. Sources fill it; the TUI and headless commands read it.

pub mod attention;
pub mod explore;
pub mod fixtures;
pub mod logfilter;
pub mod logline;
pub mod logwindow;
pub mod model;
pub mod overview;
pub mod project;
pub mod scope;
pub mod services;

pub use model::*;
