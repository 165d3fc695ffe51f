//! Running a provider natively, outside the sandbox, for unit tests of plugins.
//!
//! [`scan_dir`] runs a provider's real `scan` over a directory of the host's file system and
//! collects what it emits, so that a plugin's tests exercise the same code path as the sandbox
//! (file reading, streaming, emitting) without a WebAssembly runtime.

use crate::bindings::demarc::provider::types::EmitError;
use crate::{Finding, Input, Provider, ScanError, ScanRequest, ScanSummary};

/// What a native scan produced.
#[derive(Debug)]
pub struct NativeScan {
    /// Every finding emitted, in order.
    pub findings: Vec<Finding>,
    /// The scan's result.
    pub result: Result<ScanSummary, ScanError>,
}

impl NativeScan {
    /// Findings of one check.
    pub fn of_check<'a>(&'a self, check_id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.check_id == check_id)
    }
}

/// A scan request for `inputs` under `root`, with a pinned reference time.
pub fn request(root: &str, inputs: &[&str], now: &str) -> ScanRequest {
    ScanRequest {
        tenant: "test".into(),
        target: "test".into(),
        snapshot_root: root.to_string(),
        inputs: inputs
            .iter()
            .map(|p| Input {
                path: p.to_string(),
                format: None,
            })
            .collect(),
        now: now.to_string(),
    }
}

/// Run `P::scan` natively over `request`, collecting findings.
pub fn scan<P: Provider>(request: &ScanRequest) -> NativeScan {
    let mut findings = Vec::new();
    let result = {
        let mut sink = |batch: &[Finding]| -> Result<(), EmitError> {
            findings.extend_from_slice(batch);
            Ok(())
        };
        crate::emit::run::<P>(request, &mut sink)
    };
    NativeScan { findings, result }
}

/// Run `P::scan` over files in `dir` (a path on the host), with `now` as reference time.
pub fn scan_dir<P: Provider>(dir: &std::path::Path, inputs: &[&str], now: &str) -> NativeScan {
    scan::<P>(&request(&dir.to_string_lossy(), inputs, now))
}
