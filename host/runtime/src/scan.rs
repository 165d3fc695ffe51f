//! Scanning one target: a fresh store with the target's limits, the snapshot directory
//! preopened read-only, one call of the plugin's `scan`, and the classification of whatever
//! happened into gaps.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use demarc_core::{Attributor, Catalog, Contract, Finding, Gap, GapKind};
use wasmtime::{Store, Trap};

use crate::bindings::wit;
use crate::host::EmitState;
use crate::sandbox::{self, HostState, Limits, MemoryLimiter, SNAPSHOT_ROOT};
use crate::{Plugin, Runtime};

/// Where accepted findings of one target go (a spill file, a vector in tests).
pub trait FindingSink: Send {
    /// Take one attributed finding. An error stops the plugin and becomes a gap.
    fn accept(&mut self, finding: Finding) -> Result<(), String>;

    /// The target is over: no finding follows. Called once, whether the scan succeeded or not.
    fn finish(&mut self) {}
}

impl FindingSink for Vec<Finding> {
    fn accept(&mut self, finding: Finding) -> Result<(), String> {
        self.push(finding);
        Ok(())
    }
}

/// What to scan.
#[derive(Debug, Clone)]
pub struct TargetSpec {
    /// Tenant id.
    pub tenant: String,
    /// Target id.
    pub target: String,
    /// Host directory preopened read-only as the snapshot.
    pub snapshot: PathBuf,
    /// Input paths relative to `snapshot`, with their declared format.
    pub inputs: Vec<(String, Option<String>)>,
    /// Reference time (RFC 3339) for age-based checks.
    pub now: String,
    /// Sandbox limits.
    pub limits: Limits,
    /// The accounts (subscriptions, projects) the target holds, as plugins name them in
    /// `finding.account`. When set, findings for any other account are rejected and become one
    /// `foreign-account` gap; when `None`, the accounts reported are learned.
    pub accounts: Option<Vec<String>>,
}

/// What attribution of one target's findings needs.
pub struct ScanContext {
    /// Tenant id.
    pub tenant: String,
    /// Target id.
    pub target: String,
    /// Provider id (the plugin's).
    pub provider: String,
    /// The plugin.
    pub plugin: Arc<Plugin>,
    /// The control catalog.
    pub catalog: Arc<Catalog>,
    /// The responsibility matrices.
    pub attributor: Arc<Attributor>,
    /// The tenant's contract clauses.
    pub contracts: Vec<Contract>,
}

/// How one target's scan ended.
pub struct TargetOutcome {
    /// The plugin's `scan` returned a summary (possibly with problems).
    pub completed: bool,
    /// Resources the plugin evaluated.
    pub resources: u64,
    /// Items skipped as deleted or unrecorded.
    pub skipped: u64,
    /// Findings accepted.
    pub findings: u64,
    /// The accounts of the findings accepted, sorted.
    pub accounts: Vec<String>,
    /// Every loss of coverage.
    pub gaps: Vec<Gap>,
    /// Wall time.
    pub elapsed: Duration,
    /// The sink, handed back.
    pub sink: Box<dyn FindingSink>,
}

impl Runtime {
    /// Scan one target with `ctx.plugin`, sending accepted findings to `sink`.
    pub async fn scan(
        &self,
        spec: &TargetSpec,
        ctx: Arc<ScanContext>,
        sink: Box<dyn FindingSink>,
    ) -> TargetOutcome {
        let started = Instant::now();
        let plugin = ctx.plugin.clone();
        let gap = |kind: GapKind, message: String| Gap {
            kind,
            tenant: spec.tenant.clone(),
            target: spec.target.clone(),
            plugin: Some(plugin.name.clone()),
            file: None,
            line: None,
            column: None,
            message,
        };
        let mut emit = EmitState::new(&plugin.name, &spec.target);
        emit.ctx = Some(ctx.clone());
        emit.sink = Some(sink);
        emit.max_findings = spec.limits.max_findings;
        emit.max_bytes = spec.limits.max_emit_bytes;
        emit.declared = spec.accounts.as_ref().map(|a| a.iter().cloned().collect());

        let wasi = match sandbox::wasi_ctx(Some(&spec.snapshot)) {
            Ok(w) => w,
            Err(e) => {
                let sink = emit.sink.take().expect("sink set above");
                return TargetOutcome {
                    completed: false,
                    resources: 0,
                    skipped: 0,
                    findings: 0,
                    accounts: Vec::new(),
                    gaps: vec![Gap {
                        file: Some(spec.snapshot.display().to_string()),
                        ..gap(
                            GapKind::MissingInput,
                            format!(
                                "cannot open the snapshot directory {}: {e:#}",
                                spec.snapshot.display()
                            ),
                        )
                    }],
                    elapsed: started.elapsed(),
                    sink,
                };
            }
        };
        let mut store = Store::new(
            &self.engine,
            HostState {
                wasi,
                table: Default::default(),
                limiter: MemoryLimiter {
                    cap: spec.limits.memory,
                    refused: None,
                    peak: 0,
                },
                emit,
            },
        );
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(self.ticks(spec.limits.deadline));
        store.epoch_deadline_trap();

        let request = wit::ScanRequest {
            tenant: spec.tenant.clone(),
            target: spec.target.clone(),
            snapshot_root: SNAPSHOT_ROOT.to_string(),
            inputs: spec
                .inputs
                .iter()
                .map(|(path, format)| wit::Input {
                    path: path.clone(),
                    format: format.clone(),
                })
                .collect(),
            now: spec.now.clone(),
        };
        let result = match plugin.pre.instantiate_async(&mut store).await {
            Ok(instance) => instance.call_scan(&mut store, &request).await,
            Err(e) => Err(e),
        };
        let elapsed = started.elapsed();
        let state = store.into_data();
        let mut emit = state.emit;
        let mut gaps = Vec::new();
        let mut outcome = (false, 0, 0);
        match result {
            Ok(Ok(summary)) => {
                outcome = (true, summary.resources, summary.skipped);
                for p in summary.problems {
                    let kind = GapKind::parse(&p.kind).unwrap_or(GapKind::PluginError);
                    gaps.push(input_gap(gap(kind, String::new()), &p.error));
                }
            }
            Ok(Err(err)) => gaps.push(scan_error_gap(
                gap(GapKind::PluginError, String::new()),
                err,
                &emit,
            )),
            Err(err) => {
                let (kind, message) =
                    classify_trap(&err, &state.limiter, &emit, spec.limits, elapsed);
                gaps.push(gap(kind, message));
            }
        }
        if emit.invalid > 0 {
            gaps.push(gap(
                GapKind::InvalidFinding,
                format!(
                    "{} finding(s) rejected by the host: {}",
                    emit.invalid,
                    emit.invalid_examples.join("; ")
                ),
            ));
        }
        if let Some(message) = emit.foreign_message() {
            gaps.push(gap(GapKind::ForeignAccount, message));
        }
        if let Some(reason) = &emit.refused
            && !gaps.iter().any(|g| g.kind == GapKind::EmitCap)
        {
            gaps.push(gap(
                GapKind::EmitCap,
                format!("findings past the cap were refused ({reason}); the target is only partly covered"),
            ));
        }
        for w in &plugin.warnings {
            gaps.push(gap(GapKind::PluginLoad, w.clone()));
        }
        tracing::debug!(
            tenant = %spec.tenant,
            target = %spec.target,
            elapsed_ms = elapsed.as_millis() as u64,
            findings = emit.accepted,
            peak_memory_mib = state.limiter.peak >> 20,
            "target scanned"
        );
        TargetOutcome {
            completed: outcome.0,
            resources: outcome.1,
            skipped: outcome.2,
            findings: emit.accepted,
            accounts: std::mem::take(&mut emit.accounts).into_iter().collect(),
            gaps,
            elapsed,
            sink: emit.sink.take().expect("sink is only taken here"),
        }
    }
}

fn input_gap(mut g: Gap, e: &wit::InputError) -> Gap {
    g.file = Some(e.file.clone());
    g.line = e.line;
    g.column = e.column;
    g.message = match (e.line, e.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}: {}", e.file, e.message),
        (Some(l), None) => format!("{}:{l}: {}", e.file, e.message),
        _ => format!("{}: {}", e.file, e.message),
    };
    g
}

fn scan_error_gap(g: Gap, err: wit::ScanError, emit: &EmitState) -> Gap {
    match err {
        wit::ScanError::MalformedInput(e) => input_gap(
            Gap {
                kind: GapKind::MalformedInput,
                ..g
            },
            &e,
        ),
        wit::ScanError::UnsupportedFormat(e) => input_gap(
            Gap {
                kind: GapKind::UnsupportedFormat,
                ..g
            },
            &e,
        ),
        wit::ScanError::MissingInput(e) => input_gap(
            Gap {
                kind: GapKind::MissingInput,
                ..g
            },
            &e,
        ),
        wit::ScanError::EmitRefused(m) => Gap {
            kind: GapKind::EmitCap,
            message: format!(
                "the plugin stopped after the host refused further findings ({}); {} findings were kept",
                emit.refused.as_deref().unwrap_or(&m),
                emit.accepted
            ),
            ..g
        },
        wit::ScanError::Internal(m) => Gap {
            kind: GapKind::PluginError,
            message: format!("the plugin failed: {}", crate::host::truncate_long(&m)),
            ..g
        },
    }
}

/// Turn a trap into a gap kind and message by its root cause.
fn classify_trap(
    err: &wasmtime::Error,
    limiter: &MemoryLimiter,
    emit: &EmitState,
    limits: Limits,
    elapsed: Duration,
) -> (GapKind, String) {
    if let Some((current, desired)) = limiter.refused {
        return (
            GapKind::MemoryCap,
            format!(
                "stopped at the memory cap of {} MiB (it asked to grow from {} to {} MiB)",
                limits.memory >> 20,
                current >> 20,
                desired >> 20
            ),
        );
    }
    if matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
        return (
            GapKind::Deadline,
            format!(
                "stopped at the deadline of {:.1} s after {:.3} s",
                limits.deadline.as_secs_f64(),
                elapsed.as_secs_f64()
            ),
        );
    }
    if let Some(msg) = &emit.sink_error {
        return (GapKind::PluginError, msg.clone());
    }
    if let Some(msg) = &emit.trap {
        let kind = if emit.refused.is_some() {
            GapKind::EmitCap
        } else {
            GapKind::PluginTrap
        };
        return (kind, format!("the plugin was stopped: {msg}"));
    }
    let root = err.root_cause().to_string();
    let trap = err
        .downcast_ref::<Trap>()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    (
        GapKind::PluginTrap,
        format!(
            "the plugin trapped{trap}: {}",
            crate::host::truncate_long(&root)
        ),
    )
}
