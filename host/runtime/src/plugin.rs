//! Loading a plugin: digest, compile (or take from the cache), instantiate once in a sandbox to
//! call `describe`, check the contract version and validate the declared checks against the
//! catalog.

use std::collections::BTreeMap;

use demarc_core::catalog::is_kebab_id;
use demarc_core::{Actor, Catalog, Severity, Source};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Store, Trap};

use crate::Runtime;
use crate::contract::{self, CheckDecl, Detected, Pre, Producer, SUPPORTED_CONTRACTS, Version};
use crate::host::EmitState;
use crate::sandbox::{self, HostState, Limits};

/// Memory cap of a `describe` call.
const DESCRIBE_MEMORY: usize = 64 << 20;

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a valid component, or compilation failed.
    #[error("`{origin}` is not a loadable WebAssembly component: {message}")]
    Compile {
        /// Where the bytes came from.
        origin: String,
        /// The compiler's message.
        message: String,
    },
    /// The sha256 of the bytes differs from the one pinned in the configuration.
    #[error("`{origin}` has sha256 {actual}, but the configuration pins {expected}")]
    Digest {
        /// Where the bytes came from.
        origin: String,
        /// Pinned digest.
        expected: String,
        /// Actual digest.
        actual: String,
    },
    /// Instantiation or `describe` failed.
    #[error("`{origin}` failed to describe itself: {message}")]
    Describe {
        /// Where the bytes came from.
        origin: String,
        /// What happened.
        message: String,
    },
    /// The plugin was built against a contract version this host does not run.
    #[error("plugin `{name}` uses contract {found}; this host supports {} (rebuild the plugin with the matching demarc-sdk)", SUPPORTED_CONTRACTS.join(", "))]
    Contract {
        /// Plugin name.
        name: String,
        /// Its contract version.
        found: String,
    },
    /// The component exports no `demarc:provider` contract at all.
    #[error("`{origin}` is not a demarc plugin: it neither exports nor imports any `demarc:provider` interface; this host supports contract {}", SUPPORTED_CONTRACTS.join(", "))]
    NotAPlugin {
        /// Where the bytes came from.
        origin: String,
    },
    /// The contract version `describe` states is not the one the component is built against.
    #[error("plugin `{name}` says it uses contract {said}, but its component is built against {built}; this host supports {}", SUPPORTED_CONTRACTS.join(", "))]
    ContractMismatch {
        /// Plugin name.
        name: String,
        /// What `describe` says.
        said: String,
        /// What the component's interfaces say.
        built: String,
    },
    /// The plugin's description is unusable as a whole (no valid check, bad name).
    #[error("plugin `{name}` is invalid: {}", problems.join("; "))]
    Invalid {
        /// Plugin name.
        name: String,
        /// Every problem.
        problems: Vec<String>,
    },
}

/// A check's metadata as the host keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckMeta {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
    /// Who controls the setting it decides on.
    pub actor: Actor,
    /// Why it matters.
    pub rationale: String,
    /// How to fix.
    pub remediation: String,
    /// Catalog controls; the first is primary.
    pub controls: Vec<String>,
    /// Native types evaluated.
    pub resource_types: Vec<String>,
    /// Benchmark id → the requirement ids of it the check tests, each verified against the
    /// catalog's benchmark data.
    pub requirements: BTreeMap<String, Vec<String>>,
}

/// A loaded, described and validated plugin, ready to scan.
pub struct Plugin {
    /// Plugin name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Provider id it scans.
    pub provider: String,
    /// Contract version.
    pub contract: String,
    /// sha256 of its WebAssembly, hex.
    pub sha256: String,
    /// Valid checks by id.
    pub checks: BTreeMap<String, CheckMeta>,
    /// Problems with individual checks, which were dropped (each becomes a gap).
    pub warnings: Vec<String>,
    /// The tool that produced the data the plugin reads (an importer of another scanner's
    /// output), when it names one.
    pub producer: Option<Producer>,
    pub(crate) pre: Pre,
}

impl Plugin {
    /// The source record stamped on every finding of this plugin.
    pub fn source(&self) -> Source {
        Source {
            plugin: self.name.clone(),
            version: self.version.clone(),
            sha256: self.sha256.clone(),
        }
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("sha256", &self.sha256)
            .field("checks", &self.checks.len())
            .finish()
    }
}

/// sha256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Runtime {
    /// Verify, compile and describe a plugin. `origin` names it in errors (a path or
    /// `builtin:aws`); `pinned` is the sha256 the configuration requires, if any.
    pub async fn load(
        &self,
        bytes: &[u8],
        origin: &str,
        pinned: Option<&str>,
        catalog: &Catalog,
    ) -> Result<Plugin, LoadError> {
        let sha256 = sha256_hex(bytes);
        if let Some(expected) = pinned
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(LoadError::Digest {
                origin: origin.to_string(),
                expected: expected.to_string(),
                actual: sha256,
            });
        }
        let component = match self
            .cache
            .as_ref()
            .and_then(|c| c.get(&self.engine, &sha256))
        {
            Some(c) => c,
            None => {
                let c = Component::new(&self.engine, bytes).map_err(|e| LoadError::Compile {
                    origin: origin.to_string(),
                    message: format!("{e:#}"),
                })?;
                if let Some(cache) = &self.cache {
                    cache.put(&sha256, &c);
                }
                c
            }
        };
        let describe_err = |message: String| LoadError::Describe {
            origin: origin.to_string(),
            message,
        };
        // A plugin built against another contract imports and exports interfaces of another
        // package version: say so, rather than report the missing imports it leads to.
        let version = match contract::detect(&component, &self.engine) {
            Detected::Served(v) => v,
            Detected::Unsupported(found) => {
                return Err(LoadError::Contract {
                    name: origin.to_string(),
                    found: if found.is_empty() {
                        "`demarc:provider` without a version".to_string()
                    } else {
                        crate::host::truncate_id(&found)
                    },
                });
            }
            Detected::NotAPlugin => {
                return Err(LoadError::NotAPlugin {
                    origin: origin.to_string(),
                });
            }
        };
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| describe_err(format!("it imports what the host does not grant: {e:#}")))?;
        let pre = Pre::new(version, pre).map_err(|e| {
            describe_err(format!(
                "it does not export what contract {} requires: {e:#}",
                version.as_str()
            ))
        })?;

        let info = {
            let wasi =
                sandbox::wasi_ctx(None, &sandbox::GuestWorld::for_target("", "describe", ""))
                    .map_err(|e| describe_err(format!("{e:#}")))?;
            let limits = Limits {
                deadline: self.describe_deadline,
                memory: DESCRIBE_MEMORY,
                ..Limits::default()
            };
            let mut store = Store::new(
                &self.engine,
                HostState::new(wasi, &limits, EmitState::new(origin, "describe")),
            );
            store.limiter(|s| &mut s.limiter);
            store.set_epoch_deadline(self.ticks(limits.deadline));
            store.epoch_deadline_trap();
            let started = std::time::Instant::now();
            // The epoch stops guest code; the timeout also stops a guest blocked in WASI.
            let call = pre.describe(&mut store);
            match tokio::time::timeout(limits.deadline, call).await {
                Ok(Ok(info)) => info,
                Ok(Err(e)) if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) => {
                    return Err(describe_err(crate::scan::deadline_message(
                        limits.deadline,
                        started.elapsed(),
                    )));
                }
                Ok(Err(e)) => return Err(describe_err(format!("{e:#}"))),
                Err(_) => {
                    return Err(describe_err(crate::scan::deadline_message(
                        limits.deadline,
                        started.elapsed(),
                    )));
                }
            }
        };

        if Version::parse(&info.contract_version) != Some(version) {
            return Err(LoadError::ContractMismatch {
                name: crate::host::truncate_id(&info.name),
                said: crate::host::truncate_id(&info.contract_version),
                built: version.as_str().to_string(),
            });
        }
        let mut problems = Vec::new();
        if !is_kebab_id(&info.name) {
            problems.push(format!(
                "name `{}` is not a kebab-case id",
                crate::host::truncate_id(&info.name)
            ));
        }
        if !is_kebab_id(&info.provider) {
            problems.push(format!(
                "provider `{}` is not a kebab-case id",
                crate::host::truncate_id(&info.provider)
            ));
        }
        if let Some(p) = &info.producer {
            if p.name.trim().is_empty() {
                problems.push("its producer has no name".to_string());
            }
            for (what, value) in [("name", &p.name), ("version", &p.version)] {
                if value.len() > MAX_PRODUCER || value.chars().any(char::is_control) {
                    problems.push(format!(
                        "its producer {what} `{}` is longer than {MAX_PRODUCER} bytes or holds control characters",
                        crate::host::truncate_id(value)
                    ));
                }
            }
        }
        let mut checks = BTreeMap::new();
        let mut warnings = Vec::new();
        let declares_none = info.checks.is_empty();
        let importer = info.producer.is_some();
        for c in info.checks {
            match validate_check(
                c,
                (&info.name, importer),
                &info.provider,
                catalog,
                &checks,
                &mut warnings,
            ) {
                Ok(meta) => {
                    checks.insert(meta.id.clone(), meta);
                }
                Err(dropped) => warnings.push(dropped),
            }
        }
        // An importer (a plugin with a producer) may learn every check from its input and
        // declare it during the scan; any other plugin must declare its checks up front.
        if checks.is_empty() && !(info.producer.is_some() && declares_none) {
            problems.push("it declares no valid check".to_string());
        }
        if !problems.is_empty() {
            problems.extend(warnings);
            return Err(LoadError::Invalid {
                name: crate::host::truncate_id(&info.name),
                problems,
            });
        }
        Ok(Plugin {
            name: info.name,
            version: info.version,
            provider: info.provider,
            contract: info.contract_version,
            sha256,
            checks,
            warnings,
            producer: info.producer,
            pre,
        })
    }
}

/// Longest producer name or version (bytes).
const MAX_PRODUCER: usize = 256;

/// Validate one declared check of plugin `plugin` (scanning `provider`) against the catalog:
/// a kebab-case id that `known` does not hold yet, a title, at least one control, every control
/// in the catalog. An importer (`importer`: a plugin with a producer) may declare another
/// tool's check with no control: its findings are kept as unmapped, neither attributed nor
/// rolled up. A benchmark citation the host cannot verify is dropped with a warning (the check
/// still runs). `Err` is the message of a check dropped as a whole.
pub(crate) fn validate_check(
    c: CheckDecl,
    (plugin, importer): (&str, bool),
    provider: &str,
    catalog: &Catalog,
    known: &BTreeMap<String, CheckMeta>,
    warnings: &mut Vec<String>,
) -> Result<CheckMeta, String> {
    let mut bad = Vec::new();
    if !is_kebab_id(&c.id) {
        bad.push("its id is not kebab-case".to_string());
    }
    if known.contains_key(&c.id) {
        bad.push("it is declared twice".to_string());
    }
    if c.title.trim().is_empty() {
        bad.push("it has no title".to_string());
    }
    if c.controls.is_empty() && !importer {
        bad.push("it names no control".to_string());
    }
    for ctl in &c.controls {
        if catalog.control(ctl).is_none() {
            bad.push(format!(
                "it names unknown control `{}`",
                crate::host::truncate_id(ctl)
            ));
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "plugin `{}` check `{}` dropped: {}",
            crate::host::truncate_id(plugin),
            crate::host::truncate_id(&c.id),
            bad.join("; ")
        ));
    }
    // Citations of benchmark requirements: a citation the host cannot verify is dropped (the
    // check still runs), and said, so no finding claims an unverified requirement.
    let mut requirements: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (benchmark, id) in c.requirements {
        let why = match catalog.benchmark(&benchmark) {
            None => Some(format!(
                "cites unknown benchmark `{}`",
                crate::host::truncate_id(&benchmark)
            )),
            Some(b) if b.provider != provider => Some(format!(
                "cites `{}`, a benchmark for {}, not for this plugin's provider",
                b.id, b.provider
            )),
            Some(b) if b.requirement(&id).is_none() => Some(format!(
                "cites `{} {}`, which that benchmark version does not have",
                b.id,
                crate::host::truncate_id(&id)
            )),
            Some(_) => None,
        };
        match why {
            Some(why) => warnings.push(format!(
                "plugin `{}` check `{}` {why}: the citation is dropped",
                crate::host::truncate_id(plugin),
                crate::host::truncate_id(&c.id),
            )),
            None => {
                let ids = requirements.entry(benchmark).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    Ok(CheckMeta {
        id: c.id,
        title: c.title,
        severity: c.severity,
        actor: c.actor,
        rationale: c.rationale,
        remediation: c.remediation,
        controls: c.controls,
        resource_types: c.resource_types,
        requirements,
    })
}
