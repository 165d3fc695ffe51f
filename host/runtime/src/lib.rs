//! The demarc plugin runtime: runs provider plugins in wasmtime sandboxes.
//!
//! A [`Runtime`] owns one wasmtime [`Engine`](wasmtime::Engine) configured for the sandbox
//! (epoch interruption, bounded memory, async calls), a thread that advances the epoch, and a
//! compile cache. [`Runtime::load`] verifies and compiles a plugin and asks it to describe
//! itself; [`Runtime::scan`] runs one target in a fresh store with its own limits; and
//! [`schedule::scan_all`] runs many targets concurrently, bounded by the number of cores.
//!
//! The runtime narrows wasmtime to what demarc needs and turns every plugin failure (a typed
//! error, a trap, a deadline, the memory cap, an emit cap, an invalid finding) into a
//! [`Gap`](demarc_core::Gap). It never panics because of a plugin. It does not read
//! configuration, render reports, or know any cloud.

mod bindings;
mod cache;
mod contract;
pub mod credentials;
pub mod egress;
mod engine;
pub mod host;
mod localfs;
mod plugin;
mod sandbox;
pub mod scan;
pub mod schedule;
pub mod sigv4;

pub use cache::CacheError;
pub use contract::{Producer, SUPPORTED_CONTRACTS};
pub use egress::{EgressLimits, EgressRecord, Endpoint, Grant};
pub use engine::{Runtime, RuntimeOptions};
pub use plugin::{CheckMeta, LoadError, Plugin};
pub use sandbox::Limits;
pub use scan::{FindingSink, ScanContext, TargetOutcome, TargetSpec};
