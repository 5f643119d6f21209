//! The pure parts both worlds share: the console's domain model, Kyverno's pattern semantics, the one glob
//! matcher and the sanitiser every cluster-supplied text passes before it reaches a terminal.
//!
//! No I/O and no knowledge of either the console or the simulated platform.

pub mod assets;
pub mod glob;
pub mod kyverno;
pub mod platform;
pub mod sanitize;
