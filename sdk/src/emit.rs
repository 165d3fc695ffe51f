//! Streaming findings to the host in batches.
//!
//! [`Emitter`] buffers findings and hands them to a sink in batches of [`BATCH`], so neither the
//! plugin nor the host ever holds a whole estate's findings for the sake of the boundary. In a
//! plugin the sink is the host's `emit` import; in native tests it is a `Vec`.

use crate::bindings::demarc::provider::types::EmitError;
use crate::{Check, Finding, Provider, ScanError, ScanRequest, ScanSummary};

/// Findings per batch handed to the host.
pub const BATCH: usize = 512;

type Sink<'a> = dyn FnMut(&[Finding]) -> Result<(), EmitError> + 'a;

/// Buffers findings and passes them to the host in batches.
pub struct Emitter<'a> {
    buffer: Vec<Finding>,
    sink: &'a mut Sink<'a>,
    emitted: u64,
    rejected_batches: u64,
    declared: Vec<Check>,
}

impl<'a> Emitter<'a> {
    /// An emitter that hands batches to `sink`.
    pub fn new(sink: &'a mut Sink<'a>) -> Self {
        Emitter {
            buffer: Vec::with_capacity(BATCH),
            sink,
            emitted: 0,
            rejected_batches: 0,
            declared: Vec::new(),
        }
    }

    /// Queue one finding. Fails only when the host refuses more findings; the plugin must then
    /// stop scanning and return the error.
    pub fn emit(&mut self, finding: Finding) -> Result<(), ScanError> {
        self.buffer.push(finding);
        if self.buffer.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Hand the buffered findings to the host now.
    pub fn flush(&mut self) -> Result<(), ScanError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let result = (self.sink)(&self.buffer);
        self.emitted += self.buffer.len() as u64;
        self.buffer.clear();
        match result {
            Ok(()) => Ok(()),
            Err(EmitError::CapExceeded(message)) => Err(ScanError::EmitRefused(message)),
            Err(EmitError::Invalid(message)) => {
                // The host accepted the valid part of the batch and records the rest as a gap.
                self.rejected_batches += 1;
                crate::log::warn(&format!("host rejected part of a batch: {message}"));
                Ok(())
            }
        }
    }

    /// Declare checks learned from the input (an importer learns the rules of the tool whose
    /// output it reads only there), before emitting any finding of them. The host validates
    /// them as it validates the checks of [`Provider::info`]: one it refuses (an id already
    /// declared, an unknown control) is reported as a gap and its findings are rejected; the
    /// others are accepted. Fails only when the host refuses more, like [`Emitter::emit`].
    pub fn declare(&mut self, checks: &[Check]) -> Result<(), ScanError> {
        if checks.is_empty() {
            return Ok(());
        }
        self.declared.extend_from_slice(checks);
        #[cfg(target_arch = "wasm32")]
        let result = crate::bindings::demarc::provider::host::declare(checks);
        #[cfg(not(target_arch = "wasm32"))]
        let result: Result<(), EmitError> = Ok(());
        match result {
            Ok(()) => Ok(()),
            Err(EmitError::CapExceeded(message)) => Err(ScanError::EmitRefused(message)),
            Err(EmitError::Invalid(message)) => {
                crate::log::warn(&format!("host refused a declared check: {message}"));
                Ok(())
            }
        }
    }

    /// The checks declared during this scan with [`Emitter::declare`].
    pub fn declared(&self) -> &[Check] {
        &self.declared
    }

    /// Findings handed to the host so far (including any it rejected).
    pub fn emitted(&self) -> u64 {
        self.emitted
    }
}

/// Run a provider's scan with the host's `emit` import as the sink. Used by [`crate::export_provider!`].
#[doc(hidden)]
pub fn run_with_host<P: Provider>(request: &ScanRequest) -> Result<ScanSummary, ScanError> {
    #[cfg(target_arch = "wasm32")]
    let mut sink = |batch: &[Finding]| crate::bindings::demarc::provider::host::emit(batch);
    #[cfg(not(target_arch = "wasm32"))]
    let mut sink = |_: &[Finding]| -> Result<(), EmitError> {
        Err(EmitError::CapExceeded(
            "no host: run_with_host is only meaningful inside a plugin".into(),
        ))
    };
    run::<P>(request, &mut sink)
}

/// Run a provider's scan with any sink, flushing at the end.
pub(crate) fn run<'a, P: Provider>(
    request: &ScanRequest,
    sink: &'a mut Sink<'a>,
) -> Result<ScanSummary, ScanError> {
    let mut out = Emitter::new(sink);
    match P::scan(request, &mut out) {
        Ok(summary) => {
            out.flush()?;
            Ok(summary)
        }
        Err(e) => {
            // Findings made before the error stand; a refusal from the host wins.
            out.flush()?;
            Err(e)
        }
    }
}
