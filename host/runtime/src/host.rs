//! Implementations of the contract's host interfaces, one file per WIT interface.

mod emit;
mod log;

pub use emit::EmitState;
pub(crate) use emit::{truncate as truncate_id, truncate_long};
