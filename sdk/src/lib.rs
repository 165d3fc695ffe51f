//! The guest SDK for demarc provider plugins.
//!
//! A plugin author implements [`Provider`] and calls [`export_provider!`] once; the SDK owns the
//! generated bindings of the `demarc:provider@0.4.0` contract (`sdk/wit`, shipped inside this package; the frozen 0.3.0 file beside it is for plugins that still target it), batches findings
//! through the host's `emit` import, and turns the plugin's return value into the contract's
//! types. Check logic should be plain functions over serde types so that it can be unit-tested
//! natively with [`testing`].
//!
//! What the SDK deliberately does not do: know any cloud (cloud knowledge lives in the
//! plugins), or reach the network on its own: [`http`] sends a live target's requests, which
//! the host checks against the target's grant.
//!
//! ```ignore
//! struct Mine;
//! impl demarc_sdk::Provider for Mine {
//!     fn info() -> demarc_sdk::PluginInfo { /* name, version, checks */ }
//!     fn scan(req: &demarc_sdk::ScanRequest, out: &mut demarc_sdk::Emitter<'_>)
//!         -> Result<demarc_sdk::ScanSummary, demarc_sdk::ScanError> { /* read, check, emit */ }
//! }
//! demarc_sdk::export_provider!(Mine);
//! ```
#![deny(missing_docs)]

pub mod alloc;
#[cfg(any(test, feature = "proptest"))]
pub mod arbitrary;
pub mod build;
pub mod cidr;
#[cfg(any(feature = "codegen", test))]
pub mod codegen;
mod declarations;
pub mod dispatch;
pub mod emit;
pub mod formats;
pub mod http;
pub mod json;
/// The host's limits on the fields of one finding (the host enforces the same file).
pub mod limits;
pub mod log;
pub mod scan;
pub mod spelling;
pub mod stream;
pub mod testing;
pub mod time;
pub mod words;

#[doc(hidden)]
pub mod bindings {
    //! Generated bindings of the contract. Plugin authors use the re-exports at the crate root.
    #![allow(missing_docs, clippy::too_many_arguments)]
    wit_bindgen::generate!({
        path: "wit/provider.wit",
        world: "provider",
        pub_export_macro: true,
        export_macro_name: "__export_provider_world",
        default_bindings_module: "demarc_sdk::bindings",
    });
}

pub use bindings::demarc::provider::types::{
    Actor, Check, Evidence, Finding, Input, InputError, PluginInfo, Problem, ProblemKind, Producer,
    Requirement, Resource, ScanError, ScanRequest, ScanSummary, Severity, Status, Tag,
};
pub use build::{CheckDef, FindingBuilder};
pub use emit::Emitter;

/// The contract version this SDK implements; plugins report it in [`PluginInfo`].
pub const CONTRACT_VERSION: &str = "0.4.0";

/// The [`PluginInfo`] of a provider plugin that reads its cloud's own exports: `name` is also
/// the provider id, the contract version is this SDK's, and no other tool produced the input.
/// `version` is usually `env!("CARGO_PKG_VERSION")`.
pub fn provider_info(name: &str, version: &str, checks: Vec<Check>) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        provider: name.to_string(),
        contract_version: CONTRACT_VERSION.to_string(),
        checks,
        producer: None,
    }
}

/// What a provider plugin implements.
pub trait Provider {
    /// Describe the plugin: name, version, provider id, every check it knows before reading its
    /// input and, for a plugin that reads another tool's output, that tool (`producer`).
    fn info() -> PluginInfo;

    /// Scan one target: read `request.inputs` under `request.snapshot_root` and emit one finding
    /// per check and resource through `out`. Problems that lose only part of the coverage go in
    /// the returned summary's `problems`; an error stops the scan of this target. Checks learned
    /// from the input are declared with [`Emitter::declare`] before their findings.
    fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError>;
}

/// Include the checks a build script generated from `checks/NAME.toml` with
/// `codegen::checks` (feature `codegen`): `demarc_sdk::include_checks!("s3");` in the module
/// that judges them.
#[macro_export]
macro_rules! include_checks {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/checks/", $name, ".rs"));
    };
}

/// Export a [`Provider`] implementation as the plugin's component exports.
///
/// Call it once, at the crate root of a `cdylib` built for `wasm32-wasip2`. It also installs
/// [`alloc::Pooled`] as the plugin's global allocator (when built for WebAssembly), which keeps
/// small blocks for reuse: a scan allocates a few for every finding. A plugin with a global
/// allocator of its own says so: `export_provider!(MyProvider, own_allocator)`.
#[macro_export]
macro_rules! export_provider {
    ($provider:ty) => {
        #[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
        #[global_allocator]
        static DEMARC_SDK_ALLOCATOR: $crate::alloc::Pooled = $crate::alloc::Pooled::new();
        $crate::export_provider!($provider, own_allocator);
    };
    ($provider:ty, own_allocator) => {
        const _: () = {
            struct DemarcExportedProvider;
            impl $crate::bindings::exports::demarc::provider::plugin::Guest
                for DemarcExportedProvider
            {
                fn describe() -> $crate::PluginInfo {
                    <$provider as $crate::Provider>::info()
                }
                fn scan(
                    request: $crate::ScanRequest,
                ) -> ::core::result::Result<$crate::ScanSummary, $crate::ScanError> {
                    $crate::emit::run_with_host::<$provider>(&request)
                }
            }
            $crate::bindings::__export_provider_world!(
                DemarcExportedProvider with_types_in $crate::bindings
            );
        };
    };
}

impl InputError {
    /// An error about a whole file, with no position.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}
