//! Kyverno's semantics, pure and shared: the `validate.pattern` matcher the simulated Kyverno scans with
//! and the scaffold checks generated manifests with before writing them.

pub mod pattern;
