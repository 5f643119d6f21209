//! Mutations (redeploy: rollout restart, Argo CD sync and refresh) behind one read-only guard, a
//! confirmation that names context, namespace and object, and an append-only audit log.

pub mod audit;
pub mod cluster_call;
pub mod guard;
pub mod mutation;
pub mod redeploy;
pub mod scaffold;

pub use mutation::{Mutation, Strategy};
