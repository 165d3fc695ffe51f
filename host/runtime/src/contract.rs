//! The contract versions the host serves, and the one model they are normalised into.
//!
//! A component's version is read from the package of the `demarc:provider` interface it
//! exports (`demarc:provider/plugin@0.4.0`); a 0.3.0 component exports `describe` and `scan` as
//! bare functions, so its version is read from the package of the contract interfaces it
//! imports. Everything the plugin hands over (its description, findings, checks declared during
//! a scan, the scan's summary or error, log lines) is converted into the types of this module
//! at the boundary; nothing after loading depends on the version.

use demarc_core::{Actor, Evidence, GapKind, ResourceRef, Severity, Status};
use wasmtime::Store;
use wasmtime::component::{Component, InstancePre};

use crate::bindings::{v0_3, v0_4};
use crate::sandbox::HostState;

/// The contract versions this host serves, oldest first.
pub const SUPPORTED_CONTRACTS: &[&str] = &["0.3.0", "0.4.0"];

/// The package whose interfaces make up the contract.
const PACKAGE: &str = "demarc:provider/";

/// A contract version the host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// `demarc:provider@0.3.0`, frozen.
    V0_3,
    /// `demarc:provider@0.4.0`, current.
    V0_4,
}

impl Version {
    pub(crate) fn parse(s: &str) -> Option<Version> {
        match s {
            "0.3.0" => Some(Version::V0_3),
            "0.4.0" => Some(Version::V0_4),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Version::V0_3 => "0.3.0",
            Version::V0_4 => "0.4.0",
        }
    }
}

/// What a component's imports and exports say of its contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Detected {
    /// A version the host serves.
    Served(Version),
    /// A `demarc:provider` package of another version (or none: `found` is then empty).
    Unsupported(String),
    /// No `demarc:provider` interface at all.
    NotAPlugin,
}

/// The version of the `demarc:provider` package in an interface name
/// (`demarc:provider/host@0.3.0` → `0.3.0`; `demarc:provider/host` → empty).
fn package_version(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(PACKAGE)?;
    Some(rest.split_once('@').map_or("", |(_, v)| v))
}

/// Detect the contract of a component: the package of its exported `demarc:provider`
/// interface, else (0.3.0 exports bare functions) the package of the ones it imports. Two
/// versions in one component are refused as unsupported.
pub(crate) fn detect(component: &Component, engine: &wasmtime::Engine) -> Detected {
    let ty = component.component_type();
    let exported: Vec<String> = ty
        .exports(engine)
        .filter_map(|(n, _)| package_version(n).map(str::to_string))
        .collect();
    let imported: Vec<String> = ty
        .imports(engine)
        .filter_map(|(n, _)| package_version(n).map(str::to_string))
        .collect();
    let named = if exported.is_empty() {
        imported
    } else {
        exported.into_iter().chain(imported).collect()
    };
    let Some(first) = named.first() else {
        return Detected::NotAPlugin;
    };
    if let Some(other) = named.iter().find(|v| *v != first) {
        return Detected::Unsupported(format!("{first} and {other} at once"));
    }
    match Version::parse(first) {
        Some(v) => Detected::Served(v),
        None => Detected::Unsupported(first.clone()),
    }
}

/// A plugin instantiated ahead of time, for the version it was built against.
pub(crate) enum Pre {
    V0_3(v0_3::ProviderPre<HostState>),
    V0_4(v0_4::ProviderPre<HostState>),
}

impl Pre {
    pub(crate) fn new(version: Version, pre: InstancePre<HostState>) -> wasmtime::Result<Pre> {
        Ok(match version {
            Version::V0_3 => Pre::V0_3(v0_3::ProviderPre::new(pre)?),
            Version::V0_4 => Pre::V0_4(v0_4::ProviderPre::new(pre)?),
        })
    }

    /// Instantiate in `store` and call `describe`.
    pub(crate) async fn describe(&self, store: &mut Store<HostState>) -> wasmtime::Result<Info> {
        Ok(match self {
            Pre::V0_3(pre) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                v0_3::info(instance.call_describe(&mut *store).await?)
            }
            Pre::V0_4(pre) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                let info = instance
                    .demarc_provider_plugin()
                    .call_describe(&mut *store)
                    .await?;
                v0_4::info(info)
            }
        })
    }

    /// Instantiate in `store` and call `scan`.
    pub(crate) async fn scan(
        &self,
        store: &mut Store<HostState>,
        request: &Request,
    ) -> wasmtime::Result<Result<Summary, ScanError>> {
        Ok(match self {
            Pre::V0_3(pre) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                let r = instance
                    .call_scan(&mut *store, &v0_3::request(request))
                    .await?;
                r.map(v0_3::summary).map_err(v0_3::scan_error)
            }
            Pre::V0_4(pre) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                let r = instance
                    .demarc_provider_plugin()
                    .call_scan(&mut *store, &v0_4::request(request))
                    .await?;
                r.map(v0_4::summary).map_err(v0_4::scan_error)
            }
        })
    }
}

/// A plugin's description.
pub(crate) struct Info {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) provider: String,
    pub(crate) contract_version: String,
    pub(crate) checks: Vec<CheckDecl>,
    pub(crate) producer: Option<Producer>,
}

/// The tool that produced the data a plugin reads (0.4.0 and later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    /// Tool name.
    pub name: String,
    /// Tool version, as the data states it (may be empty).
    pub version: String,
}

/// A check as a plugin declares it, in `describe` or during a scan.
pub(crate) struct CheckDecl {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) severity: Severity,
    pub(crate) actor: Actor,
    pub(crate) rationale: String,
    pub(crate) remediation: String,
    pub(crate) controls: Vec<String>,
    pub(crate) resource_types: Vec<String>,
    /// (benchmark, requirement id).
    pub(crate) requirements: Vec<(String, String)>,
}

/// One finding as a plugin hands it over, before validation and attribution.
pub(crate) struct RawFinding {
    pub(crate) check_id: String,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) resource: ResourceRef,
    pub(crate) status: Status,
    pub(crate) message: String,
    pub(crate) evidence: Vec<Evidence>,
    pub(crate) extra_controls: Vec<String>,
    pub(crate) observed_at: Option<String>,
}

/// What to scan, as every version's request holds it.
pub(crate) struct Request {
    pub(crate) tenant: String,
    pub(crate) target: String,
    pub(crate) snapshot_root: String,
    pub(crate) inputs: Vec<(String, Option<String>)>,
    pub(crate) now: String,
}

/// Where in an input a problem is.
pub(crate) struct InputError {
    pub(crate) file: String,
    pub(crate) line: Option<u32>,
    pub(crate) column: Option<u32>,
    pub(crate) message: String,
}

/// A scan that ran to its end.
pub(crate) struct Summary {
    pub(crate) resources: u64,
    pub(crate) skipped: u64,
    pub(crate) problems: Vec<(GapKind, InputError)>,
}

/// Why a scan stopped.
pub(crate) enum ScanError {
    MalformedInput(InputError),
    UnsupportedFormat(InputError),
    MissingInput(InputError),
    EmitRefused(String),
    Internal(String),
}

/// Why the host refused (part of) a call of `emit` or `declare`.
pub(crate) enum Refusal {
    CapExceeded(String),
    Invalid(String),
}

/// A plugin's log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// The conversions every version shares: the records whose shape did not change.
macro_rules! common_conversions {
    () => {
        pub(crate) fn check(c: wit::Check) -> crate::contract::CheckDecl {
            crate::contract::CheckDecl {
                id: c.id,
                title: c.title,
                severity: match c.severity {
                    wit::Severity::Info => demarc_core::Severity::Info,
                    wit::Severity::Low => demarc_core::Severity::Low,
                    wit::Severity::Medium => demarc_core::Severity::Medium,
                    wit::Severity::High => demarc_core::Severity::High,
                    wit::Severity::Critical => demarc_core::Severity::Critical,
                },
                actor: match c.actor {
                    wit::Actor::Customer => demarc_core::Actor::Customer,
                    wit::Actor::Provider => demarc_core::Actor::Provider,
                },
                rationale: c.rationale,
                remediation: c.remediation,
                controls: c.controls,
                resource_types: c.resource_types,
                requirements: c
                    .requirements
                    .into_iter()
                    .map(|r| (r.benchmark, r.id))
                    .collect(),
            }
        }

        pub(crate) fn finding(f: wit::Finding) -> crate::contract::RawFinding {
            crate::contract::RawFinding {
                check_id: f.check_id,
                account: f.account,
                region: f.region,
                resource: demarc_core::ResourceRef {
                    id: f.resource.id,
                    native_type: f.resource.native_type,
                    name: f.resource.name,
                    tags: f
                        .resource
                        .tags
                        .into_iter()
                        .map(|t| (t.key, t.value))
                        .collect(),
                },
                status: match f.status {
                    wit::Status::Pass => demarc_core::Status::Pass,
                    wit::Status::Fail => demarc_core::Status::Fail,
                    wit::Status::Error => demarc_core::Status::Error,
                    wit::Status::Manual => demarc_core::Status::Manual,
                    wit::Status::NotApplicable => demarc_core::Status::NotApplicable,
                },
                message: f.message,
                evidence: f
                    .evidence
                    .into_iter()
                    .map(|e| demarc_core::Evidence {
                        key: e.key,
                        value: e.value,
                    })
                    .collect(),
                extra_controls: f.extra_controls,
                observed_at: f.observed_at,
            }
        }

        pub(crate) fn request(r: &crate::contract::Request) -> wit::ScanRequest {
            wit::ScanRequest {
                tenant: r.tenant.clone(),
                target: r.target.clone(),
                snapshot_root: r.snapshot_root.clone(),
                inputs: r
                    .inputs
                    .iter()
                    .map(|(path, format)| wit::Input {
                        path: path.clone(),
                        format: format.clone(),
                    })
                    .collect(),
                now: r.now.clone(),
            }
        }

        pub(crate) fn input_error(e: wit::InputError) -> crate::contract::InputError {
            crate::contract::InputError {
                file: e.file,
                line: e.line,
                column: e.column,
                message: e.message,
            }
        }

        pub(crate) fn scan_error(e: wit::ScanError) -> crate::contract::ScanError {
            match e {
                wit::ScanError::MalformedInput(e) => {
                    crate::contract::ScanError::MalformedInput(input_error(e))
                }
                wit::ScanError::UnsupportedFormat(e) => {
                    crate::contract::ScanError::UnsupportedFormat(input_error(e))
                }
                wit::ScanError::MissingInput(e) => {
                    crate::contract::ScanError::MissingInput(input_error(e))
                }
                wit::ScanError::EmitRefused(m) => crate::contract::ScanError::EmitRefused(m),
                wit::ScanError::Internal(m) => crate::contract::ScanError::Internal(m),
            }
        }

        pub(crate) fn refusal(r: crate::contract::Refusal) -> wit::EmitError {
            match r {
                crate::contract::Refusal::CapExceeded(m) => wit::EmitError::CapExceeded(m),
                crate::contract::Refusal::Invalid(m) => wit::EmitError::Invalid(m),
            }
        }

        pub(crate) fn level(l: host::Level) -> crate::contract::Level {
            match l {
                host::Level::Debug => crate::contract::Level::Debug,
                host::Level::Info => crate::contract::Level::Info,
                host::Level::Warn => crate::contract::Level::Warn,
                host::Level::Error => crate::contract::Level::Error,
            }
        }
    };
}

pub(crate) use common_conversions;
