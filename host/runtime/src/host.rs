//! Implementations of the contract's host interfaces, one file per WIT interface.

mod emit;
mod log;

pub use emit::EmitState;
pub(crate) use emit::{count, truncate as truncate_id, truncate_long};
