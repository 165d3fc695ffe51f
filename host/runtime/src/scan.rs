//! Scanning one target: a fresh store with the target's limits, the snapshot directory
//! preopened read-only, one call of the plugin's `scan`, and the classification of whatever
//! happened into gaps.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use demarc_core::{Attributor, Catalog, Contract, Finding, Gap, GapKind, UnmappedFinding};
use wasmtime::{Store, Trap};

use crate::contract::{InputError, Request, ScanError};
use crate::host::EmitState;
use crate::sandbox::{self, FsGuard, HostState, Limits, MemoryLimiter, SNAPSHOT_ROOT};
use crate::{CheckMeta, Plugin, Runtime};

/// Where accepted findings of one target go (a spill file, a vector in tests).
pub trait FindingSink: Send {
    /// Take one attributed finding. An error stops the plugin and becomes a gap.
    fn accept(&mut self, finding: Finding) -> Result<(), String>;

    /// Take one finding of another tool whose check maps to no catalog control (an importer's):
    /// kept as reported, not attributed. An error stops the plugin and becomes a gap.
    fn accept_unmapped(&mut self, finding: UnmappedFinding) -> Result<(), String>;

    /// The target is over: no finding follows. Called once, whether the scan succeeded or not.
    fn finish(&mut self) {}
}

/// Attributed findings only: another tool's unmapped finding is refused (the plugin stops, and
/// the target has a gap), never dropped silently.
impl FindingSink for Vec<Finding> {
    fn accept(&mut self, finding: Finding) -> Result<(), String> {
        self.push(finding);
        Ok(())
    }

    fn accept_unmapped(&mut self, _: UnmappedFinding) -> Result<(), String> {
        Err("this sink keeps attributed findings only".to_string())
    }
}

/// Attributed findings, and unmapped ones, in the order they came.
impl FindingSink for (Vec<Finding>, Vec<UnmappedFinding>) {
    fn accept(&mut self, finding: Finding) -> Result<(), String> {
        self.0.push(finding);
        Ok(())
    }

    fn accept_unmapped(&mut self, finding: UnmappedFinding) -> Result<(), String> {
        self.1.push(finding);
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
    /// What the plugin may reach over HTTP (`wasi:http`); `None` refuses every request.
    pub egress: Option<crate::Grant>,
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
    /// Checks the plugin declared during this scan and the host accepted, by id: the report's
    /// table of the plugin's checks needs them beside those of `describe`.
    pub declared: Vec<CheckMeta>,
    /// The plugin's outbound HTTP: requests sent with their timings, and refusals.
    pub egress: crate::EgressRecord,
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

        let mut world = sandbox::GuestWorld::for_target(&spec.tenant, &spec.target, &spec.now);
        if let Some(grant) = &spec.egress {
            world.env = sandbox::live_env(grant);
        }
        let wasi = match sandbox::wasi_ctx(Some(&spec.snapshot), &world) {
            Ok(w) => w,
            Err(e) => {
                let sink = emit.sink.take().expect("sink set above");
                return TargetOutcome {
                    completed: false,
                    resources: 0,
                    skipped: 0,
                    findings: 0,
                    accounts: Vec::new(),
                    declared: Vec::new(),
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
                    egress: crate::EgressRecord::default(),
                    elapsed: started.elapsed(),
                    sink,
                };
            }
        };
        let mut state = HostState::new(wasi, &spec.limits, emit);
        state.egress = crate::egress::Egress::new(spec.egress.clone());
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_hostcall_fuel(MAX_CALL_BYTES);
        store.set_epoch_deadline(self.ticks(spec.limits.deadline));
        store.epoch_deadline_trap();

        let request = Request {
            tenant: spec.tenant.clone(),
            target: spec.target.clone(),
            snapshot_root: SNAPSHOT_ROOT.to_string(),
            inputs: spec.inputs.clone(),
            now: spec.now.clone(),
        };
        // The epoch deadline stops guest code; the wall-clock timeout also stops a guest blocked
        // in WASI (sleeping, polling, waiting on a read). Either way the store is dropped with it.
        let call = plugin.pre.scan(&mut store, &request);
        let result = match tokio::time::timeout(spec.limits.deadline, call).await {
            Ok(r) => r,
            Err(_) => Err(wasmtime::Error::new(WallClockDeadline)),
        };
        let elapsed = started.elapsed();
        let state = store.into_data();
        let mut emit = state.emit;
        let mut gaps = Vec::new();
        let mut outcome = (false, 0, 0);
        match result {
            Ok(Ok(summary)) => {
                outcome = (true, summary.resources, summary.skipped);
                for (kind, error) in summary.problems {
                    gaps.push(input_gap(gap(kind, String::new()), &error));
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
        fs_gaps(&state.fs, &mut gaps, &gap);
        let egress = std::mem::take(
            &mut *state
                .egress
                .record
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        if let Some(message) = egress.refusal_message() {
            gaps.push(gap(GapKind::PluginError, message));
        }
        if emit.invalid > 0 {
            gaps.push(gap(
                GapKind::InvalidFinding,
                format!(
                    "{} rejected by the host: {}",
                    crate::host::count(emit.invalid, "finding", "findings"),
                    emit.invalid_examples.join("; ")
                ),
            ));
        }
        if let Some(message) = emit.foreign_message() {
            gaps.push(gap(GapKind::ForeignAccount, message));
        }
        if let Some(message) = emit.unattributed_message(&ctx) {
            gaps.push(gap(GapKind::Unattributed, message));
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
        // Checks declared during the scan that were refused, or lost a citation.
        for w in std::mem::take(&mut emit.declare_problems) {
            gaps.push(gap(GapKind::PluginLoad, crate::host::truncate_long(&w)));
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
            declared: std::mem::take(&mut emit.declared_checks)
                .into_values()
                .collect(),
            gaps,
            egress,
            elapsed,
            sink: emit.sink.take().expect("sink is only taken here"),
        }
    }
}

/// A gap from a plugin's input error; the plugin's strings are cut to length and their control
/// characters escaped, so that they cannot forge lines of a text report or log. The position is
/// stated once, in `file`, `line` and `column`: the message says what is wrong there.
fn input_gap(mut g: Gap, e: &InputError) -> Gap {
    g.line = e.line;
    g.column = e.column;
    g.message = crate::host::truncate_long(&e.message);
    g.file = Some(crate::host::truncate_long(&e.file));
    g
}

fn scan_error_gap(g: Gap, err: ScanError, emit: &EmitState) -> Gap {
    match err {
        ScanError::MalformedInput(e) => input_gap(
            Gap {
                kind: GapKind::MalformedInput,
                ..g
            },
            &e,
        ),
        ScanError::UnsupportedFormat(e) => input_gap(
            Gap {
                kind: GapKind::UnsupportedFormat,
                ..g
            },
            &e,
        ),
        ScanError::MissingInput(e) => input_gap(
            Gap {
                kind: GapKind::MissingInput,
                ..g
            },
            &e,
        ),
        ScanError::EmitRefused(m) => Gap {
            kind: GapKind::EmitCap,
            message: format!(
                "the plugin stopped after the host refused further findings ({}); {} findings were kept",
                emit.refused
                    .clone()
                    .unwrap_or_else(|| crate::host::truncate_long(&m)),
                emit.accepted
            ),
            ..g
        },
        ScanError::Internal(m) => Gap {
            kind: GapKind::PluginError,
            message: format!("the plugin failed: {}", crate::host::truncate_long(&m)),
            ..g
        },
    }
}

/// Most bytes a plugin may hand the host in one call (a batch of findings, a log line): a
/// string or list past it is never copied into the host; the plugin is stopped instead.
const MAX_CALL_BYTES: usize = 128 << 20;

/// The guest call outlived its deadline while blocked outside guest code.
#[derive(Debug)]
struct WallClockDeadline;

impl std::fmt::Display for WallClockDeadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("wall-clock deadline reached")
    }
}

impl std::error::Error for WallClockDeadline {}

/// The message of a `deadline` gap, whichever mechanism stopped the plugin.
pub(crate) fn deadline_message(deadline: Duration, elapsed: Duration) -> String {
    format!(
        "stopped at the deadline of {:.1} s after {:.3} s",
        deadline.as_secs_f64(),
        elapsed.as_secs_f64()
    )
}

/// Gaps for what the filesystem guard refused.
fn fs_gaps(fs: &FsGuard, gaps: &mut Vec<Gap>, gap: &impl Fn(GapKind, String) -> Gap) {
    if fs.refused_at_cap > 0 {
        gaps.push(gap(
            GapKind::PluginError,
            format!(
                "the plugin reached the cap of {} open descriptors; {} past it {} refused",
                fs.max_descriptors,
                crate::host::count(fs.refused_at_cap, "open", "opens"),
                if fs.refused_at_cap == 1 {
                    "was"
                } else {
                    "were"
                }
            ),
        ));
    }
    for (refusals, what) in [
        (&fs.writes, "to change its read-only snapshot"),
        (&fs.outside, "to open a file outside its snapshot"),
        (
            &fs.network,
            "to use the network (no sockets or name lookups are granted)",
        ),
    ] {
        if let Some(first) = &refusals.first {
            gaps.push(gap(
                GapKind::PluginError,
                format!(
                    "the sandbox refused {} by the plugin {what}; the first: {first}",
                    crate::host::count(refusals.count, "attempt", "attempts"),
                ),
            ));
        }
    }
    if let Some((path, kind)) = &fs.refused_kind {
        let path = crate::host::truncate_id(path);
        gaps.push(Gap {
            file: Some(path.clone()),
            ..gap(
                GapKind::MissingInput,
                format!(
                    "`{path}` in the snapshot is {kind}, not a regular file: the sandbox refused to open it"
                ),
            )
        });
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
    if matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) || err.is::<WallClockDeadline>()
    {
        return (
            GapKind::Deadline,
            deadline_message(limits.deadline, elapsed),
        );
    }
    if matches!(
        err.root_cause()
            .downcast_ref::<wasmtime::component::ResourceTableError>(),
        Some(wasmtime::component::ResourceTableError::Full)
    ) {
        return (
            GapKind::PluginTrap,
            format!(
                "stopped at the cap of {} host resources (open files, streams, pollables) held at once",
                limits.max_resources
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
    if matches!(err.downcast_ref::<Trap>(), Some(Trap::StackOverflow)) {
        return (
            GapKind::PluginTrap,
            "the plugin exhausted its call stack (runaway or too deep recursion) and was stopped"
                .into(),
        );
    }
    let root = err.root_cause().to_string();
    if root.contains("fuel allocated for hostcalls has been exhausted") {
        return (
            GapKind::PluginTrap,
            format!(
                "the plugin tried to hand the host more than {} MiB in one call (a finding with a \
                 huge field?) and was stopped; nothing of that call was kept",
                MAX_CALL_BYTES >> 20
            ),
        );
    }
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
