//! The demarc domain: what a finding is, who owns it, and what a report says.
//!
//! This crate holds the control catalog ([`catalog`]), the responsibility matrix and the
//! attribution of every finding to its owner ([`responsibility`]), deterministic finding ids
//! ([`id`]), the report model ([`report`]) and the roll-ups over it ([`summary`]).
//!
//! It is pure on purpose: no file system, no network, no wasmtime, no async runtime. Data files
//! are handed in as text with their names so that every problem can name its file and key; the
//! binaries do the reading.
#![deny(missing_docs)]

pub mod attestation;
pub mod benchmark;
pub mod catalog;
pub mod equivalence;
pub mod evaluate;
pub mod fuse;
pub mod id;
pub mod identity;
pub mod model;
pub mod report;
pub mod responsibility;
pub mod rollup;
pub mod summary;
pub mod trend;

pub use catalog::Catalog;
pub use model::{
    Actor, Basis, BasisKind, CheckRef, Evidence, Finding, Gap, GapKind, Layer, MustAct, Owner,
    Party, ResourceRef, Responsibility, ServiceModel, Severity, Sharing, Source, Status,
    SuppressionMark, UnmappedFinding,
};
pub use report::Report;
pub use responsibility::{Attributor, Contract, Matrix};

/// A problem found in a data or configuration file: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct DataError {
    /// The file (as named by the caller).
    pub file: String,
    /// Dotted key path inside the file, or `-` for the whole file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl DataError {
    /// A problem at `key` in `file`.
    pub fn new(file: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Every problem found while validating data; validation never stops at the first one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s):\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct DataErrors(pub Vec<DataError>);
