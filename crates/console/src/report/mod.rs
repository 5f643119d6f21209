//! Headless output of the dashboard model: JSON for scripts, a table for people and chat-ops.

pub mod status;
pub mod tasks;
