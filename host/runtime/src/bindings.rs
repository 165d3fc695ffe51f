//! Host bindings of every contract version the host serves, each generated from its WIT file in
//! `sdk/wit` and kept in a module of its own with its conversions into [`crate::contract`], the
//! one model the rest of the runtime works with, and its host interface, which hands every call
//! to the version-independent implementation in [`crate::host`].

/// `demarc:provider@0.3.0` (frozen): `describe` and `scan` exported as bare functions, a
/// problem's kind a string.
pub(crate) mod v0_3 {
    wasmtime::component::bindgen!({
        path: "../../sdk/wit/0.3.0/provider.wit",
        world: "provider",
        imports: { default: async | trappable },
        exports: { default: async },
    });

    use demarc::provider::host;
    use demarc::provider::types as wit;
    use demarc_core::GapKind;

    use crate::contract::{Info, Summary};
    use crate::sandbox::HostState;

    crate::contract::common_conversions!();

    pub(crate) fn info(i: wit::PluginInfo) -> Info {
        Info {
            name: i.name,
            version: i.version,
            provider: i.provider,
            contract_version: i.contract_version,
            checks: i.checks.into_iter().map(check).collect(),
            producer: None,
        }
    }

    pub(crate) fn summary(s: wit::ScanSummary) -> Summary {
        Summary {
            resources: s.resources,
            skipped: s.skipped,
            problems: s
                .problems
                .into_iter()
                .map(|p| {
                    // A kind this version's strings do not name is the plugin's own error.
                    let kind = match GapKind::parse(&p.kind) {
                        Some(
                            k @ (GapKind::MissingInput
                            | GapKind::MalformedInput
                            | GapKind::UnsupportedFormat
                            | GapKind::IncompleteInput),
                        ) => k,
                        _ => GapKind::PluginError,
                    };
                    (kind, input_error(p.error))
                })
                .collect(),
        }
    }

    impl wit::Host for HostState {}

    impl host::Host for HostState {
        async fn log(&mut self, l: host::Level, message: String) -> wasmtime::Result<()> {
            self.log_line(level(l), &message);
            Ok(())
        }

        async fn emit(
            &mut self,
            batch: Vec<wit::Finding>,
        ) -> wasmtime::Result<Result<(), wit::EmitError>> {
            Ok(self
                .emit_findings(batch.into_iter().map(finding))?
                .map_err(refusal))
        }
    }
}

/// `demarc:provider@0.4.0` (current): the problem kind an enum, the producer of the data read,
/// checks declared during the scan, and the exports in the interface `plugin`.
pub(crate) mod v0_4 {
    wasmtime::component::bindgen!({
        path: "../../sdk/wit/provider.wit",
        world: "provider",
        imports: { default: async | trappable },
        exports: { default: async },
    });

    use demarc::provider::host;
    use demarc::provider::types as wit;
    use demarc_core::GapKind;

    use crate::contract::{Info, Producer, Summary};
    use crate::sandbox::HostState;

    crate::contract::common_conversions!();

    pub(crate) fn info(i: wit::PluginInfo) -> Info {
        Info {
            name: i.name,
            version: i.version,
            provider: i.provider,
            contract_version: i.contract_version,
            checks: i.checks.into_iter().map(check).collect(),
            producer: i.producer.map(|p| Producer {
                name: p.name,
                version: p.version,
            }),
        }
    }

    pub(crate) fn summary(s: wit::ScanSummary) -> Summary {
        Summary {
            resources: s.resources,
            skipped: s.skipped,
            problems: s
                .problems
                .into_iter()
                .map(|p| {
                    let kind = match p.kind {
                        wit::ProblemKind::MissingInput => GapKind::MissingInput,
                        wit::ProblemKind::MalformedInput => GapKind::MalformedInput,
                        wit::ProblemKind::UnsupportedFormat => GapKind::UnsupportedFormat,
                        wit::ProblemKind::IncompleteInput => GapKind::IncompleteInput,
                    };
                    (kind, input_error(p.error))
                })
                .collect(),
        }
    }

    impl wit::Host for HostState {}

    impl host::Host for HostState {
        async fn log(&mut self, l: host::Level, message: String) -> wasmtime::Result<()> {
            self.log_line(level(l), &message);
            Ok(())
        }

        async fn emit(
            &mut self,
            batch: Vec<wit::Finding>,
        ) -> wasmtime::Result<Result<(), wit::EmitError>> {
            Ok(self
                .emit_findings(batch.into_iter().map(finding))?
                .map_err(refusal))
        }

        async fn declare(
            &mut self,
            checks: Vec<wit::Check>,
        ) -> wasmtime::Result<Result<(), wit::EmitError>> {
            Ok(self
                .declare_checks(checks.into_iter().map(check))?
                .map_err(refusal))
        }
    }
}
