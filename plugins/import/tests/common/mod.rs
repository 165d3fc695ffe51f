//! What the importer tests share: run an importer natively over files, keeping its findings,
//! the checks it declared and how the scan ended.

use demarc_plugin_import::{Cloud, Importer};
use demarc_sdk::bindings::demarc::provider::types::EmitError;
use demarc_sdk::testing::{request, temp_dir};
use demarc_sdk::{Check, Emitter, Finding, Provider, ScanError, ScanSummary};

/// The clock of every importer test.
pub const NOW: &str = "2026-11-01T12:00:00Z";

/// One importer run.
pub struct Run {
    /// Findings of checks that map to catalog controls.
    pub findings: Vec<Finding>,
    /// Findings of checks declared with no control: the report keeps them as unmapped.
    pub unmapped: Vec<Finding>,
    pub declared: Vec<Check>,
    pub result: Result<ScanSummary, ScanError>,
}

/// Run the importer of cloud `C` over `files` (name, content), each declared as `format`.
pub fn run<C: Cloud>(files: &[(&str, &str)], format: Option<&str>) -> Run {
    let dir = temp_dir(files);
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    let mut req = request(&dir.to_string_lossy(), &names, NOW);
    for input in &mut req.inputs {
        input.format = format.map(str::to_string);
    }
    let mut findings = Vec::new();
    let mut sink = |batch: &[Finding]| -> Result<(), EmitError> {
        findings.extend_from_slice(batch);
        Ok(())
    };
    let (result, declared) = {
        let mut out = Emitter::new(&mut sink);
        let result = Importer::<C>::scan(&req, &mut out);
        let flushed = out.flush();
        (
            result.and_then(|s| flushed.map(|()| s)),
            out.declared().to_vec(),
        )
    };
    let _ = std::fs::remove_dir_all(&dir);
    let (unmapped, findings) = findings.into_iter().partition(|f: &Finding| {
        declared
            .iter()
            .any(|c| c.id == f.check_id && c.controls.is_empty())
    });
    Run {
        findings,
        unmapped,
        declared,
        result,
    }
}

impl Run {
    /// The check declared as `id`.
    #[allow(dead_code)]
    pub fn declared(&self, id: &str) -> &Check {
        self.declared
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{id} not declared: {:#?}", self.declared))
    }

    /// The unmapped findings of demarc check `check`, and of them the failing ones.
    #[allow(dead_code)]
    pub fn unmapped_of(&self, check: &str) -> (usize, usize) {
        let of: Vec<&Finding> = self
            .unmapped
            .iter()
            .filter(|f| f.check_id == check)
            .collect();
        let failing = of
            .iter()
            .filter(|f| f.status == demarc_sdk::Status::Fail)
            .count();
        (of.len(), failing)
    }
}
