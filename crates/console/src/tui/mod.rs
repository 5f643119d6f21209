//! The terminal UI in the Elm shape: `Action` → `update(&mut State, Action) -> Vec<Effect>` (no I/O) →
//! `render(&State, frame)` (draws only). `runtime/` turns effects into I/O off the loop; `app.rs` owns
//! the terminal.

pub mod action;
pub mod app;
pub mod diagnostics;
pub mod input;
pub mod keymap;
pub mod log_effects;
pub mod log_source;
pub mod logs;
pub mod logs_keys;
pub mod render;
pub mod runtime;
pub mod scaffold_form;
pub mod scaffold_runner;
pub mod state;
pub mod tasks;
pub mod tasks_update;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod views;
pub mod widgets;
