//! `demarc scan`: plan tenants × targets, run them in sandboxes, write the report, print the
//! summary, and decide the exit code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use demarc_core::attestation::{CustomerAttestation, ProviderAttestation};
use demarc_core::report::{
    CheckRecord, InputRecord, PluginRecord, ProducerRecord, Resolver, Run, TargetRecord, TenantInfo,
};
use demarc_core::rollup::{CheckCitations, Rollup, TenantScope};
use demarc_core::summary::Summary;
use demarc_core::{
    Basis, BasisKind, CheckRef, DataError, DataErrors, Evidence, Finding, Gap, GapKind, MustAct,
    Owner, Party, ResourceRef, Responsibility, ServiceModel, Severity, Source,
};
use demarc_runtime::schedule::{Job, scan_all_with};
use demarc_runtime::{Runtime, RuntimeOptions, ScanContext, TargetSpec};
use sha2::{Digest, Sha256};

use crate::config::{self, Config};
use crate::output::{self, Tail};
use crate::{ExitCode, data, plugins, table};

/// Options of `demarc scan`, resolved from the command line.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Formats to write besides report.json.
    pub formats: Vec<demarc_report::Format>,
    /// Configuration file.
    pub config: PathBuf,
    /// Output directory.
    pub out: PathBuf,
    /// Exit 1 when a failing finding is at least this severe.
    pub fail_on: Option<Severity>,
    /// Only these tenants.
    pub tenants: Vec<String>,
    /// Only tenants of these groups.
    pub groups: Vec<String>,
    /// Only tenants with every one of these labels (key, value).
    pub labels: Vec<(String, String)>,
    /// `(index, count)`, 1-based index.
    pub shard: Option<(u32, u32)>,
    /// Record the run in this history database.
    pub history: Option<PathBuf>,
    /// Directory overriding the built-in `schemas/` data.
    pub schemas: Option<PathBuf>,
    /// Compile cache directory.
    pub cache_dir: Option<PathBuf>,
    /// Pin run timestamps to this time and zero timings, for reproducible output.
    pub pin_time: Option<String>,
    /// Load `[[plugin]]` entries without a `sha256` (with a warning).
    pub allow_unpinned: bool,
    /// The lock file the plugins must match.
    pub lock: crate::trust::Lock,
    /// Refuse `[[plugin]]` files without a valid signature by a trusted key.
    pub require_signed: bool,
    /// Print the summary table.
    pub print_summary: bool,
    /// How scan progress is shown on standard error.
    pub progress: crate::progress::Mode,
    /// A previous report.json: with `fail_on_new`, only failures it did not have count.
    pub baseline: Option<PathBuf>,
    /// Exit 1 when a failure not in the baseline is at least this severe.
    pub fail_on_new: Option<Severity>,
    /// Validate the configuration, its files, plugins and attestations, print what it holds,
    /// and stop: nothing is scanned and no output directory is made.
    pub check_only: bool,
}

/// Which shard a target belongs to: a stable hash of its tenant and id.
pub fn shard_of(tenant: &str, target: &str, count: u32) -> u32 {
    let digest = Sha256::digest(format!("{tenant}/{target}").as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    n % count + 1
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The async runtime of a scan, shut down without waiting for its blocking threads: a plugin
/// stopped at its deadline may leave one blocked in a read that never ends, and the process
/// must still exit.
struct DetachOnDrop(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for DetachOnDrop {
    type Target = tokio::runtime::Runtime;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("taken only on drop")
    }
}

impl Drop for DetachOnDrop {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Run `demarc scan`.
pub fn run(opts: &ScanOptions) -> anyhow::Result<ExitCode> {
    let started = opts.pin_time.clone().unwrap_or_else(now_rfc3339);
    let clock = Instant::now();

    let data = match data::load(opts.schemas.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: invalid data files: {e}");
            return Ok(ExitCode::Usage);
        }
    };
    let file = opts.config.display().to_string();
    let raw = match config::read(&opts.config, std::env::vars()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return Ok(ExitCode::Usage);
        }
    };
    // `[data]`: matrices, attestations and controls added on top of the loaded set, before the
    // plugins (which cite controls) are loaded.
    let additions = raw.additions(opts.config.parent().unwrap_or(Path::new(".")));
    let mut data = match data::extend(data, &additions) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return Ok(ExitCode::Usage);
        }
    };
    if let Some(b) = &opts.baseline {
        let readable = std::fs::File::open(b)
            .map_err(|e| e.to_string())
            .and_then(|f| {
                demarc_report::stream::read_frame(std::io::BufReader::new(f))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = readable {
            eprintln!("error: --baseline {}: {e}", b.display());
            return Ok(ExitCode::Usage);
        }
    }
    if !opts.check_only
        && let Err(e) = check_out(&opts.out)
    {
        eprintln!("error: --out {}: {e}", opts.out.display());
        return Ok(ExitCode::Usage);
    }
    let base = opts
        .config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    // A plugin with a bad or (without --allow-unpinned) missing pin is never loaded; nor is any
    // plugin when one is missing, refused by the lock file or by its signature.
    let mut pin_errors = raw.pin_errors(&file, opts.allow_unpinned);
    let trust = match crate::trust::check(&raw, &file, &base, &opts.lock, opts.require_signed) {
        Ok(t) => t,
        Err(e) => {
            pin_errors.extend(e);
            crate::trust::Trust::default()
        }
    };
    let configured: Vec<plugins::Configured> = if pin_errors.is_empty() {
        raw.plugin
            .iter()
            .zip(&trust.configured)
            .map(|(p, c)| plugins::Configured {
                path: c.path.clone(),
                pinned: p.sha256.clone(),
                checked: c.sha256.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };

    // A worker per target scanned at once (and at least one per core): a plugin reading a
    // snapshot on a local file system does so on its own thread and never yields it between
    // reads, so targets beyond the workers would wait instead of sharing the cores.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = DetachOnDrop(Some(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(raw.concurrency().max(cores))
            .enable_all()
            .build()
            .context("cannot start the async runtime")?,
    ));
    let runtime = match Runtime::new(RuntimeOptions {
        cache_dir: opts.cache_dir.clone(),
        ..Default::default()
    }) {
        Ok(r) => Arc::new(r),
        Err(e) if e.downcast_ref::<demarc_runtime::CacheError>().is_some() => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::Usage);
        }
        Err(e) => anyhow::bail!("cannot start the WebAssembly runtime: {e:#}"),
    };
    let loaded = rt.block_on(plugins::load_all(&runtime, &configured, &data.catalog));
    let providers: BTreeSet<String> = loaded.plugins.iter().map(|p| p.provider.clone()).collect();
    let strict = loaded.failed.is_empty() && pin_errors.is_empty();
    // Suppressions are validated with the rest: every problem of every file at once.
    let (mutes, mute_errors) = load_suppressions(&raw, &base, &file, &data, &loaded, strict);
    let additions = raw.additions(&base);
    let config = match raw.validate(&file, &base, &data.catalog, strict.then_some(&providers)) {
        Ok(c) if pin_errors.is_empty() && mute_errors.is_empty() => c,
        Ok(_) => {
            let mut e = pin_errors;
            e.extend(mute_errors);
            eprintln!("error: invalid configuration: {}", DataErrors(e));
            return Ok(ExitCode::Usage);
        }
        Err(DataErrors(mut e)) => {
            e.splice(0..0, pin_errors);
            e.extend(mute_errors);
            eprintln!("error: invalid configuration: {}", DataErrors(e));
            return Ok(ExitCode::Usage);
        }
    };
    // The providers are those of the loaded data and plugins.
    let known: BTreeSet<String> = data
        .attributor
        .matrices()
        .map(|m| m.provider.clone())
        .chain(providers.iter().cloned())
        .collect();
    if strict && let Err(e) = data.catalog.check_providers(&known) {
        eprintln!("error: invalid data files: {e}");
        return Ok(ExitCode::Usage);
    }
    if !config.assumed.is_empty() {
        let mut attributor = (*data.attributor).clone();
        for (provider, model) in &config.assumed {
            attributor = attributor.accept_assumed(provider, *model);
        }
        data.attributor = Arc::new(attributor);
    }
    let mut files: Vec<(&'static str, PathBuf)> = Vec::new();
    files.extend(
        additions
            .controls
            .iter()
            .map(|f| ("control file", f.clone())),
    );
    files.extend(
        additions
            .responsibility
            .iter()
            .map(|f| ("responsibility matrix", f.clone())),
    );
    files.extend(
        additions
            .attestations
            .iter()
            .map(|f| ("attestation file", f.clone())),
    );
    files.extend(
        config
            .provider_attestations
            .iter()
            .map(|f| ("attestation file", f.clone())),
    );
    files.extend(
        config
            .tenants
            .iter()
            .filter_map(|t| t.attestations.clone())
            .map(|f| ("attestation file", f)),
    );
    files.extend(
        mutes
            .iter()
            .map(|m| ("suppression file", PathBuf::from(&m.file))),
    );
    files.extend(configured.iter().map(|p| ("plugin", p.path.clone())));
    match &opts.lock {
        crate::trust::Lock::File(p) => files.push(("lock file", p.clone())),
        crate::trust::Lock::Beside => files.push(("lock file", base.join(crate::trust::LOCK_FILE))),
        crate::trust::Lock::Ignore => {}
    }
    let run_paths = config::RunPaths {
        config: &opts.config,
        out: &opts.out,
        cache: opts.cache_dir.as_deref(),
        files,
    };
    if let Err(e) = config::check_paths(&config, &run_paths) {
        eprintln!("error: invalid configuration: {e}");
        return Ok(ExitCode::Usage);
    }
    if opts.check_only {
        if !mutes.is_empty() {
            println!("{file}: {} suppression(s)", mutes.len());
        }
        return check_summary(&config, &file, &data);
    }
    // The output directory was checked (without creating it) before any plugin loaded; it is
    // created and locked once the configuration is known not to put it inside a snapshot, and
    // before any target is scanned: a second run into it is refused at once (exit 2).
    let out = match crate::publish::OutputDir::open(&opts.out) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::Usage);
        }
    };
    for t in &opts.tenants {
        if !config.tenants.iter().any(|x| &x.id == t) {
            eprintln!("error: --tenant {t}: no such tenant in {file}");
            return Ok(ExitCode::Usage);
        }
    }
    // `--group` and `--label` narrow the run to the tenants that match all of them.
    let narrowed;
    let opts = if opts.groups.is_empty() && opts.labels.is_empty() {
        opts
    } else {
        let selected: Vec<String> = config
            .tenants
            .iter()
            .filter(|t| opts.tenants.is_empty() || opts.tenants.contains(&t.id))
            .filter(|t| {
                opts.groups.is_empty() || t.group.as_ref().is_some_and(|g| opts.groups.contains(g))
            })
            .filter(|t| {
                opts.labels
                    .iter()
                    .all(|(k, v)| t.labels.get(k).is_some_and(|x| x == v))
            })
            .map(|t| t.id.clone())
            .collect();
        if selected.is_empty() {
            eprintln!("error: no tenant of {file} matches the --group and --label selection");
            return Ok(ExitCode::Usage);
        }
        narrowed = ScanOptions {
            tenants: selected,
            ..opts.clone()
        };
        &narrowed
    };
    let now = config.now.clone().unwrap_or_else(|| started.clone());
    // Suppressions expire by the run's reference day (the configuration's `now`, or the pinned
    // or actual start), never by the wall clock of a later reader.
    let mutes = crate::suppress::Suppressions::new(
        mutes,
        demarc_core::attestation::day_of(&now).context("the reference time has no date")?,
    );
    let attestations = match load_attestations(&config, &data) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: invalid attestations: {e}");
            return Ok(ExitCode::Usage);
        }
    };

    let mut gaps: Vec<Gap> = loaded
        .failed
        .iter()
        .map(|(origin, e)| Gap {
            kind: GapKind::PluginLoad,
            tenant: String::new(),
            target: String::new(),
            plugin: Some(origin.clone()),
            file: None,
            line: None,
            column: None,
            message: e.to_string(),
        })
        .collect();

    let mut inputs = Vec::new();
    let plan = plan(
        &config,
        opts,
        &loaded.plugins,
        &data,
        &now,
        &mut gaps,
        &mut inputs,
    )?;
    let tenants = tenant_infos(&config, opts);
    // What findings refer to by id rather than repeat: known before the first finding.
    let tables = Tables {
        // A built-in importer is recorded when a target of the run names it: the report of a
        // run without imports is the same whether importers are built in or not.
        plugins: loaded
            .plugins
            .iter()
            .filter(|p| {
                p.producer.is_none()
                    || !crate::plugins::builtin_names().any(|n| n == p.name)
                    || plan.iter().any(|(_, ctx)| ctx.plugin.name == p.name)
            })
            .map(|p| plugin_record(p, trust.signer(&p.sha256)))
            .collect(),
        bases: data.attributor.bases(
            config
                .tenants
                .iter()
                .map(|t| (t.id.as_str(), t.contracts.as_slice())),
        ),
        notes: data.attributor.notes(),
    };
    // Every file of the run is written into its staging directory and published together.
    let assembly = output::Assembly::begin_with(
        out.staging(),
        &tenants,
        tables.resolver(),
        &plan
            .iter()
            .map(|(spec, ctx)| {
                (
                    spec.tenant.clone(),
                    spec.target.clone(),
                    ctx.provider.clone(),
                )
            })
            .collect::<Vec<_>>(),
        mutes,
    )?;
    assembly.fuse_tenants(&multi_tool_tenants(plan.iter().map(|(spec, ctx)| {
        (
            spec.tenant.as_str(),
            ctx.provider.as_str(),
            ctx.plugin.producer.as_ref().map(|p| p.name.as_str()),
        )
    })));
    let mut jobs = Vec::new();
    for (i, (spec, ctx)) in plan.into_iter().enumerate() {
        jobs.push(Job {
            spec,
            ctx,
            sink: Box::new(assembly.sink(i)),
        });
    }
    let job_meta: Vec<(String, String, String, String)> = jobs
        .iter()
        .map(|j| {
            (
                j.spec.tenant.clone(),
                j.spec.target.clone(),
                j.ctx.provider.clone(),
                j.ctx.plugin.name.clone(),
            )
        })
        .collect();
    let job_plugins: Vec<String> = jobs.iter().map(|j| j.ctx.plugin.sha256.clone()).collect();

    // Digest the inputs on a blocking thread while the plugins scan them.
    let hashing = rt.spawn_blocking(move || hash_inputs(inputs, &base));
    let counters = Arc::new(crate::progress::Counters::new(jobs.len() as u64));
    let reporter = crate::progress::Reporter::start(counters.clone(), opts.progress);
    let outcomes = rt.block_on(scan_all_with(
        runtime.clone(),
        jobs,
        config.concurrency,
        move |o| counters.finished(o),
    ));
    reporter.finish();
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "targets scanned"
    );
    let input_records = rt.block_on(hashing).context("input hashing failed")?;
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "inputs digested"
    );

    let pinned = opts.pin_time.is_some();
    // Inputs the host refused lost coverage of a target the plugin otherwise completed.
    let refused: BTreeSet<(String, String)> = gaps
        .iter()
        .map(|g| (g.tenant.clone(), g.target.clone()))
        .collect();
    // The endpoints each live target was granted, and where the credentials of a live AWS
    // target came from, by (tenant, target).
    let live_endpoints: BTreeMap<(String, String), (Vec<String>, Option<String>)> = config
        .tenants
        .iter()
        .flat_map(|t| t.targets.iter().map(move |g| (t, g)))
        .filter_map(|(t, g)| {
            let endpoints = g.endpoints.as_ref()?;
            Some((
                (t.id.clone(), g.id.clone()),
                (
                    endpoints.iter().map(|e| e.url()).collect(),
                    g.aws_credentials.as_ref().map(|c| c.describe()),
                ),
            ))
        })
        .collect();
    let mut targets = Vec::new();
    let mut plugin_records = tables.plugins;
    for ((outcome, (tenant, target, provider, plugin)), sha256) in
        outcomes.into_iter().zip(job_meta).zip(job_plugins)
    {
        // Checks the plugin declared during this target's scan join its table of checks.
        if let Some(record) = plugin_records.iter_mut().find(|r| r.sha256 == sha256) {
            for c in &outcome.declared {
                if let Some(message) = add_declared_check(record, c, &target) {
                    gaps.push(Gap {
                        kind: GapKind::PluginLoad,
                        tenant: tenant.clone(),
                        target: target.clone(),
                        plugin: Some(plugin.clone()),
                        file: None,
                        line: None,
                        column: None,
                        message,
                    });
                }
            }
        }
        let outcome_word = if !outcome.completed {
            "failed"
        } else if outcome.gaps.is_empty() && !refused.contains(&(tenant.clone(), target.clone())) {
            "complete"
        } else {
            "partial"
        };
        let live = live_endpoints.get(&(tenant.clone(), target.clone())).map(
            |(endpoints, credentials)| demarc_core::report::LiveRecord {
                endpoints: endpoints.clone(),
                credentials: credentials.clone(),
                requests: outcome.egress.sent,
                refused: outcome.egress.refused(),
                calls: outcome
                    .egress
                    .calls
                    .iter()
                    .map(|c| demarc_core::report::ApiCall {
                        request: c.request.clone(),
                        action: c.action.clone(),
                        status: c.status,
                        millis: if pinned { 0 } else { c.millis },
                    })
                    .collect(),
            },
        );
        targets.push(TargetRecord {
            tenant,
            target,
            provider,
            plugin,
            outcome: outcome_word.to_string(),
            resources: outcome.resources,
            skipped: outcome.skipped,
            findings: outcome.findings,
            accounts: outcome.accounts,
            millis: if pinned {
                0
            } else {
                outcome.elapsed.as_millis() as u64
            },
            live,
        });
        gaps.extend(outcome.gaps);
    }
    let declared: BTreeMap<&str, &[String]> = config
        .tenants
        .iter()
        .flat_map(|t| &t.targets)
        .filter_map(|g| Some((g.id.as_str(), g.accounts.as_deref()?)))
        .collect();
    account_clashes(&mut targets, &declared, &mut gaps);

    let finished = opts.pin_time.clone().unwrap_or_else(now_rfc3339);
    let mut tail = Tail {
        run: Run {
            tool: format!("demarc {}", env!("CARGO_PKG_VERSION")),
            estate: config.name.clone(),
            started,
            finished,
            now,
            shard: opts.shard.map(|(i, n)| format!("{i}/{n}")),
            plugins: plugin_records,
            inputs: input_records,
            targets,
            bases: tables.bases,
            notes: tables.notes,
            provider_attestations: run_attestations(&config, opts, &attestations.provider),
            // Filled in with what each matched when the report is completed.
            suppressions: Vec::new(),
            assumed_service_models: config.assumed.clone(),
        },
        gaps,
    };
    let day = demarc_core::attestation::day_of(&tail.run.now)
        .context("the reference time has no date")?;
    let extra = overdue_findings(&config, opts, &attestations, day);
    let in_scope: Vec<&config::Tenant> = config
        .tenants
        .iter()
        .filter(|t| opts.tenants.is_empty() || opts.tenants.contains(&t.id))
        .collect();
    let checks = check_citations(&tail.run);
    let (summary, _controls) = assembly.complete(&mut tail, &extra, |tallies| {
        rollup_rows(tallies, &checks, &data, &attestations, day, &in_scope)
    })?;
    tracing::debug!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "report.json written"
    );
    let staged = out.staging().join("report.json");
    // Recorded before the other formats are rendered, so that the HTML shows this run's point
    // of the trend.
    let trend = match &opts.history {
        Some(db) => {
            let mut history = crate::history::History::open(db)?;
            let recorded = history.record(&staged)?;
            match recorded {
                crate::history::Recorded::New(n) => {
                    tracing::info!(run = n, db = %db.display(), "run recorded")
                }
                crate::history::Recorded::Already(n) => tracing::warn!(
                    run = n,
                    db = %db.display(),
                    "this report was already recorded; nothing added"
                ),
            }
            let tenants: Vec<String> = tenants.iter().map(|t| t.id.clone()).collect();
            Some(history.trend(&tenants, None)?)
        }
        None => None,
    };
    crate::render::write_formats(&staged, &data.catalog, &opts.formats, out.staging(), trend)?;
    let mut names = vec!["report.json"];
    names.extend(
        opts.formats
            .iter()
            .filter(|f| **f != demarc_report::Format::Json)
            .map(|f| f.file_name()),
    );
    let files = out.publish(&names, true)?;
    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "scan finished"
    );

    if opts.print_summary {
        print!("{}", table::render(&tail, &tenants, &summary, &files));
    }
    let mut code = exit_code(&tail.gaps, &summary, opts.fail_on);
    if let Some(baseline) = &opts.baseline {
        let d = crate::diff::diff(baseline, &opts.out.join("report.json"))?;
        let threshold = opts.fail_on_new.unwrap_or(Severity::Info);
        let new = crate::diff::new_failures(&d, threshold);
        if opts.print_summary {
            println!(
                "baseline {}: {new} new failing finding(s) at or above {}",
                baseline.display(),
                threshold.as_str()
            );
        }
        if opts.fail_on_new.is_some() && new > 0 && code == ExitCode::Clean {
            code = ExitCode::Findings;
        }
    }
    Ok(code)
}

/// The (tenant, provider) pairs whose targets are read by more than one tool: demarc's own
/// plugins (no producer) and an importer, or importers of two tools, on the same cloud. Their
/// findings are fused across tools; findings of different clouds never name the same resource,
/// so every other tenant's and cloud's findings stream through untouched, and a run without
/// imports pays one pass over its plan for it.
pub(crate) fn multi_tool_tenants<'a>(
    plan: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> BTreeSet<(String, String)> {
    let mut tools: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for (tenant, provider, producer) in plan {
        tools
            .entry((tenant, provider))
            .or_default()
            .insert(producer.unwrap_or(demarc_core::fuse::DEMARC));
    }
    tools
        .into_iter()
        .filter(|(_, t)| t.len() > 1)
        .map(|((tenant, provider), _)| (tenant.to_string(), provider.to_string()))
        .collect()
}

/// What each check of the run's plugins cites: its controls and benchmark requirements.
pub(crate) fn check_citations(run: &Run) -> BTreeMap<String, CheckCitations> {
    run.plugins
        .iter()
        .flat_map(|p| &p.checks)
        .map(|c| {
            (
                c.id.clone(),
                CheckCitations {
                    controls: c.controls.clone(),
                    requirements: c.requirements.clone(),
                },
            )
        })
        .collect()
}

/// The control roll-up of the tenants `in_scope` from the tallies of the findings written.
pub(crate) fn rollup_rows(
    tallies: &output::Tallies,
    checks: &BTreeMap<String, CheckCitations>,
    data: &data::Data,
    attestations: &Attestations,
    day: time::Date,
    in_scope: &[&config::Tenant],
) -> Vec<demarc_core::rollup::ControlRow> {
    let rollup = Rollup {
        checks,
        catalog: &data.catalog,
        attributor: &data.attributor,
        provider_attestations: &attestations.provider,
        day,
    };
    let empty = BTreeMap::new();
    let mut rows = Vec::new();
    for t in in_scope {
        let mut footprint = tallies.footprint.get(&t.id).cloned().unwrap_or_default();
        if footprint.is_empty() {
            // Nothing scanned for this tenant: its providers, as infrastructure.
            footprint = t
                .targets
                .iter()
                .map(|g| (g.provider.clone(), ServiceModel::Iaas))
                .collect();
        }
        let customer: Vec<CustomerAttestation> = attestations
            .customer
            .iter()
            .filter(|a| a.tenant == t.id)
            .cloned()
            .collect();
        rows.extend(rollup.tenant(&TenantScope {
            tenant: &t.id,
            clouds: t.targets.iter().map(|g| g.provider.clone()).collect(),
            footprint,
            contracts: &t.contracts,
            attestations: &customer,
            frameworks: &t.frameworks,
            tallies: tallies.controls.get(&t.id).unwrap_or(&empty),
        }));
    }
    rows
}

/// 3 when coverage was lost, else 1 when a failing finding reaches `fail_on`, else 0.
pub fn exit_code(gaps: &[Gap], summary: &Summary, fail_on: Option<Severity>) -> ExitCode {
    if !gaps.is_empty() {
        return ExitCode::Incomplete;
    }
    // Failures a suppression in force covers are accepted: they do not count.
    if let Some(threshold) = fail_on
        && summary.unsuppressed_failing_at_least(threshold) > 0
    {
        return ExitCode::Findings;
    }
    ExitCode::Clean
}

/// The configuration's suppressions, read and validated against its tenants and targets, the
/// catalog's controls and (when every plugin loaded) the plugins' checks; and every problem.
pub(crate) fn load_suppressions(
    raw: &config::RawConfig,
    base: &Path,
    file: &str,
    data: &data::Data,
    loaded: &plugins::Loaded,
    strict: bool,
) -> (Vec<crate::suppress::Suppression>, Vec<DataError>) {
    if raw.suppressions.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let (entries, mut errors) = crate::suppress::read(base, &raw.suppressions, file);
    let mut targets = BTreeMap::new();
    for t in &raw.tenant {
        for g in &t.target {
            targets.insert(g.id.clone(), t.id.clone());
        }
    }
    let known = crate::suppress::Known {
        tenants: raw.tenant.iter().map(|t| t.id.clone()).collect(),
        targets,
        checks: strict.then(|| {
            loaded
                .plugins
                .iter()
                .flat_map(|p| p.checks.keys().cloned())
                .collect()
        }),
        catalog: &data.catalog,
    };
    match crate::suppress::validate(entries, &known) {
        Ok(list) if errors.is_empty() => (list, errors),
        Ok(_) => (Vec::new(), errors),
        Err(e) => {
            errors.extend(e);
            (Vec::new(), errors)
        }
    }
}

/// The provider attestations of the clouds of the tenants in scope, each once, for the report's
/// `run.provider_attestations` (the roll-up's rows refer to them by id).
pub(crate) fn run_attestations(
    config: &config::Config,
    opts: &ScanOptions,
    provider: &[ProviderAttestation],
) -> Vec<demarc_core::rollup::AttestationRecord> {
    let clouds: BTreeSet<&str> = config
        .tenants
        .iter()
        .filter(|t| opts.tenants.is_empty() || opts.tenants.contains(&t.id))
        .flat_map(|t| &t.targets)
        .map(|g| g.provider.as_str())
        .collect();
    provider
        .iter()
        .filter(|a| clouds.contains(a.provider.as_str()))
        .map(Into::into)
        .collect()
}

/// Provider attestations (built-in, overridden by the configuration) and customer attestations.
pub struct Attestations {
    /// Provider attestations after overrides.
    pub provider: Vec<ProviderAttestation>,
    /// Every tenant's attestations.
    pub customer: Vec<CustomerAttestation>,
}

/// Load the configured attestation files; every problem in every file is reported.
pub fn load_attestations(config: &Config, data: &data::Data) -> Result<Attestations, DataErrors> {
    let mut errors = Vec::new();
    let mut provider = data.provider_attestations.clone();
    for path in &config.provider_attestations {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                match demarc_core::attestation::load_provider(&name, &text, &data.catalog) {
                    Ok(list) => {
                        for a in list {
                            provider.retain(|p| p.id != a.id);
                            provider.push(a);
                        }
                    }
                    Err(e) => errors.extend(e.0),
                }
            }
            Err(e) => errors.push(DataError::new(&name, "-", format!("cannot read: {e}"))),
        }
    }
    let mut customer = Vec::new();
    for t in &config.tenants {
        let Some(path) = &t.attestations else {
            continue;
        };
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                match demarc_core::attestation::load_customer(&name, &text, &data.catalog) {
                    Ok(list) => {
                        if let Some(a) = list.iter().find(|a| a.tenant != t.id) {
                            errors.push(DataError::new(
                                &name,
                                "tenant",
                                format!(
                                    "the file is for tenant `{}`, but tenant `{}` names it",
                                    a.tenant, t.id
                                ),
                            ));
                        }
                        customer.extend(list);
                    }
                    Err(e) => errors.extend(e.0),
                }
            }
            Err(e) => errors.push(DataError::new(&name, "-", format!("cannot read: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(Attestations { provider, customer })
    } else {
        Err(DataErrors(errors))
    }
}

/// A failing finding for every customer attestation past its review interval, owned by whoever
/// the attestation names.
pub(crate) fn overdue_findings(
    config: &Config,
    opts: &ScanOptions,
    att: &Attestations,
    day: time::Date,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &config.tenants {
        if !opts.tenants.is_empty() && !opts.tenants.contains(&t.id) {
            continue;
        }
        // In a sharded run, a tenant's attestation findings belong to one shard.
        if let Some((i, n)) = opts.shard
            && shard_of(&t.id, "attestations", n) != i
        {
            continue;
        }
        for a in att
            .customer
            .iter()
            .filter(|a| a.tenant == t.id && a.overdue(day))
        {
            let check = "attestation-current";
            let resource = format!("attestation:{}/{}", t.id, a.control);
            let (owner, party) = match &a.party {
                Some(p) => (Owner::ThirdParty, Some(p.clone())),
                None => (Owner::Customer, None),
            };
            // Whoever attested the control must attest it again.
            let must_act = MustAct {
                party: match owner {
                    Owner::ThirdParty => Party::ThirdParty,
                    _ => Party::Customer,
                },
                name: party.clone(),
                basis: Some(format!("attestation:{}/{}", t.id, a.control)),
            };
            let layer = demarc_core::Layer::Governance;
            out.push(Finding {
                id: demarc_core::id::finding_id(&t.id, "demarc", &t.id, "global", &resource, check),
                tenant: t.id.clone(),
                target: String::new(),
                provider: "demarc".into(),
                account: t.id.clone(),
                region: "global".into(),
                resource: ResourceRef {
                    id: resource,
                    native_type: "demarc::Attestation".into(),
                    name: Some(a.control.clone()),
                    tags: vec![],
                },
                check: CheckRef {
                    id: check.into(),
                    title: "Manual controls are re-attested within their review interval".into(),
                    severity: Severity::Medium,
                },
                status: demarc_core::Status::Fail,
                message: format!(
                    "`{}` was last attested on {} by {}; it was due again on {} (every {} days)",
                    a.control,
                    a.date,
                    a.owner,
                    a.due(),
                    a.interval_days
                ),
                controls: vec![a.control.clone()],
                evidence: vec![
                    Evidence {
                        key: "date".into(),
                        value: a.date.to_string(),
                    },
                    Evidence {
                        key: "interval_days".into(),
                        value: a.interval_days.to_string(),
                    },
                    Evidence {
                        key: "due".into(),
                        value: a.due().to_string(),
                    },
                    Evidence {
                        key: "evidence".into(),
                        value: a.evidence.clone(),
                    },
                ],
                remediation: format!(
                    "Perform `{}` again and update the tenant's attestation file.",
                    a.control
                ),
                observed_at: None,
                source: Source {
                    plugin: "demarc-attestations".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    sha256: String::new(),
                },
                responsibility: Responsibility {
                    owner,
                    party,
                    sharing: None,
                    service_model: ServiceModel::Abstracted,
                    layer,
                    basis: Basis {
                        kind: BasisKind::Attestation,
                        entry: format!("attestation:{}/{}", t.id, a.control),
                        source: format!("attested by {}; evidence {}", a.owner, a.evidence),
                    },
                    note: None,
                },
                must_act,
                suppression: None,
                verdicts: Vec::new(),
                contradiction: false,
            });
        }
    }
    out
}

/// The run's tables: each plugin with its checks, the basis documents and the notes.
struct Tables {
    plugins: Vec<PluginRecord>,
    bases: BTreeMap<String, String>,
    notes: BTreeMap<String, BTreeMap<String, String>>,
}

impl Tables {
    fn resolver(&self) -> Resolver {
        Resolver::from_tables(&self.plugins, &self.bases, &self.notes)
    }
}

fn check_record(c: &demarc_runtime::CheckMeta) -> CheckRecord {
    CheckRecord {
        id: c.id.clone(),
        title: c.title.clone(),
        severity: c.severity,
        actor: c.actor,
        rationale: c.rationale.clone(),
        remediation: c.remediation.clone(),
        controls: c.controls.clone(),
        resource_types: c.resource_types.clone(),
        requirements: c.requirements.clone(),
    }
}

/// Add a check the plugin declared during the scan of `target` to its record. The same check
/// declared by several targets is recorded once; declared differently by two, the first stays
/// (findings refer to one record per id) and the message of a gap says so.
fn add_declared_check(
    record: &mut PluginRecord,
    c: &demarc_runtime::CheckMeta,
    target: &str,
) -> Option<String> {
    let new = check_record(c);
    match record.checks.iter().find(|r| r.id == new.id) {
        None => {
            let at = record.checks.partition_point(|r| r.id < new.id);
            record.checks.insert(at, new);
            None
        }
        Some(old) if *old == new => None,
        Some(_) => Some(format!(
            "plugin `{}` declared check `{}` during the scan of `{target}` differently than \
             during an earlier target's: the report's table keeps the first declaration",
            record.name, c.id
        )),
    }
}

fn plugin_record(p: &demarc_runtime::Plugin, signed_by: Option<&str>) -> PluginRecord {
    PluginRecord {
        name: p.name.clone(),
        version: p.version.clone(),
        provider: p.provider.clone(),
        sha256: p.sha256.clone(),
        contract: p.contract.clone(),
        signed_by: signed_by.map(str::to_string),
        producer: p.producer.as_ref().map(|d| ProducerRecord {
            name: d.name.clone(),
            version: d.version.clone(),
        }),
        checks: p.checks.values().map(check_record).collect(),
    }
}

/// An `account-clash` gap for every account of a provider that targets of two different
/// tenants hold: the accounts a target declares (by target id in `declared`), or else those it
/// reported findings for. An account belongs to one client (two tenants declaring one account
/// is a configuration error, found before this). The gap is on the later target in plan order,
/// which is marked `partial`.
pub(crate) fn account_clashes(
    targets: &mut [TargetRecord],
    declared: &BTreeMap<&str, &[String]>,
    gaps: &mut Vec<Gap>,
) {
    // (provider, account) → the first target (index) of each tenant that holds it.
    let mut holders: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        let held = declared
            .get(t.target.as_str())
            .copied()
            .unwrap_or(&t.accounts);
        for a in held.iter().filter(|a| !a.is_empty()) {
            let list = holders
                .entry((t.provider.as_str(), a.as_str()))
                .or_default();
            if !list.iter().any(|&j| targets[j].tenant == t.tenant) {
                list.push(i);
            }
        }
    }
    let mut clashed = BTreeSet::new();
    for ((provider, account), list) in &holders {
        let Some((&first, rest)) = list.split_first() else {
            continue;
        };
        let a = &targets[first];
        for &j in rest {
            let b = &targets[j];
            gaps.push(Gap {
                kind: GapKind::AccountClash,
                tenant: b.tenant.clone(),
                target: b.target.clone(),
                plugin: Some(b.plugin.clone()),
                file: None,
                line: None,
                column: None,
                message: format!(
                    "{provider} account `{}` is held by tenant `{}` (target `{}`) and by tenant `{}` (target `{}`); an account belongs to one tenant: check the exports, and declare each target's `accounts`",
                    account.chars().take(80).flat_map(char::escape_debug).collect::<String>(),
                    a.tenant,
                    a.target,
                    b.tenant,
                    b.target
                ),
            });
            clashed.insert(j);
        }
    }
    for j in clashed {
        if targets[j].outcome == "complete" {
            targets[j].outcome = "partial".to_string();
        }
    }
}

type Planned = (TargetSpec, Arc<ScanContext>);

/// An input the run records in `run.inputs`: tenant, target, snapshot, name, and whether the
/// host found it readable (only those are digested and handed to the plugin).
pub struct InputToHash {
    tenant: String,
    target: String,
    snapshot: PathBuf,
    name: String,
    readable: bool,
}

/// The usage problem with an output directory, found before anything is scanned: it is not a
/// directory, cannot be created, or cannot be written.
fn check_out(out: &Path) -> Result<(), String> {
    let mut at = out;
    loop {
        match std::fs::metadata(at) {
            Ok(m) if !m.is_dir() => {
                return Err(if at == out {
                    "is not a directory".to_string()
                } else {
                    format!("cannot be created: {} is not a directory", at.display())
                });
            }
            Ok(_) => {
                let c =
                    std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(at.as_os_str()))
                        .map_err(|_| "the path holds a NUL character".to_string())?;
                // SAFETY: `c` is a NUL-terminated path alive for the call.
                if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
                    let e = std::io::Error::last_os_error();
                    return Err(if at == out {
                        format!("is not writable: {e}")
                    } else {
                        format!("cannot be created in {}: {e}", at.display())
                    });
                }
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match at.parent() {
                    Some(p) if !p.as_os_str().is_empty() => at = p,
                    // A relative path whose first component is missing: the current directory.
                    _ => at = Path::new("."),
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                return Err(format!(
                    "cannot be created: a directory on its path is a file ({e})"
                ));
            }
            Err(e) => return Err(format!("cannot be used: {}: {e}", at.display())),
        }
    }
}

/// The gap of an input the host refused to read.
fn refused_gap(tenant: &str, target: &str, plugin: &str, r: &crate::inputs::Refused) -> Gap {
    Gap {
        kind: GapKind::MissingInput,
        tenant: tenant.to_string(),
        target: target.to_string(),
        plugin: Some(plugin.to_string()),
        file: Some(r.file.clone()),
        line: None,
        column: None,
        message: format!("{}: {}", r.file, r.reason),
    }
}

#[allow(clippy::too_many_arguments)]
fn plan(
    config: &Config,
    opts: &ScanOptions,
    plugins: &[Arc<demarc_runtime::Plugin>],
    data: &data::Data,
    now: &str,
    gaps: &mut Vec<Gap>,
    records: &mut Vec<InputToHash>,
) -> anyhow::Result<Vec<Planned>> {
    let mut out = Vec::new();
    // The credentials of live AWS targets: one cache per credential source (a profile, a role
    // with its external id and session), shared by the targets that name the same source and
    // loaded once for the run on the first signed request.
    let mut credential_caches: BTreeMap<
        demarc_runtime::credentials::AwsCredentialSource,
        Arc<demarc_runtime::sigv4::CredentialCache>,
    > = BTreeMap::new();
    for tenant in &config.tenants {
        if !opts.tenants.is_empty() && !opts.tenants.contains(&tenant.id) {
            continue;
        }
        for target in &tenant.targets {
            if let Some((i, n)) = opts.shard
                && shard_of(&tenant.id, &target.id, n) != i
            {
                continue;
            }
            let plugin = plugins.iter().find(|p| match &target.plugin {
                Some(name) => &p.name == name,
                // A built-in importer scans only the targets that name it (`importer`).
                None => {
                    p.provider == target.provider
                        && !(p.producer.is_some()
                            && crate::plugins::builtin_names().any(|n| n == p.name))
                }
            });
            let Some(plugin) = plugin else {
                gaps.push(Gap {
                    kind: GapKind::NoPlugin,
                    tenant: tenant.id.clone(),
                    target: target.id.clone(),
                    plugin: target.plugin.clone(),
                    file: None,
                    line: None,
                    column: None,
                    message: format!(
                        "no loaded plugin scans provider `{}`; the target was not scanned",
                        target.provider
                    ),
                });
                continue;
            };
            let gap = |message: String| Gap {
                kind: GapKind::MissingInput,
                tenant: tenant.id.clone(),
                target: target.id.clone(),
                plugin: Some(plugin.name.clone()),
                file: Some(target.snapshot.display().to_string()),
                line: None,
                column: None,
                message,
            };
            let vetted = match crate::inputs::vet(&target.snapshot, target.inputs.as_deref()) {
                Ok(v) => v,
                Err(e) => {
                    gaps.push(gap(format!(
                        "cannot open the snapshot directory {}: {e}; target `{}` was not scanned",
                        target.snapshot.display(),
                        target.id
                    )));
                    continue;
                }
            };
            for (name, readable) in &vetted.all {
                records.push(InputToHash {
                    tenant: tenant.id.clone(),
                    target: target.id.clone(),
                    snapshot: target.snapshot.clone(),
                    name: name.clone(),
                    readable: *readable,
                });
            }
            for r in &vetted.refused {
                gaps.push(refused_gap(&tenant.id, &target.id, &plugin.name, r));
            }
            let inputs = vetted.readable();
            // A live target reads its cloud's APIs: an empty snapshot is no gap there.
            if inputs.is_empty() && target.endpoints.is_none() {
                let why = if target.inputs.as_ref().is_some_and(|l| l.is_empty()) {
                    "the configuration lists no input (`inputs = []`)".to_string()
                } else if !vetted.refused.is_empty() {
                    format!(
                        "every input was refused ({} of them, listed as gaps)",
                        vetted.refused.len()
                    )
                } else if vetted.hidden > 0 {
                    format!(
                        "the directory holds only hidden files ({}), which are not inputs",
                        vetted.hidden
                    )
                } else {
                    "the directory holds no file".to_string()
                };
                gaps.push(gap(format!(
                    "target `{}` has no readable input in snapshot {}: {why}; nothing was scanned",
                    target.id,
                    target.snapshot.display()
                )));
                continue;
            }
            out.push((
                TargetSpec {
                    tenant: tenant.id.clone(),
                    target: target.id.clone(),
                    snapshot: target.snapshot.clone(),
                    inputs: inputs
                        .into_iter()
                        .map(|p| (p, target.importer.clone()))
                        .collect(),
                    now: now.to_string(),
                    limits: config.limits,
                    accounts: target.accounts.clone(),
                    egress: target.endpoints.clone().map(|endpoints| {
                        // Every endpoint of a live AWS target is an AWS endpoint: the host
                        // signs its requests there.
                        let aws = target.aws_credentials.as_ref().map(|source| {
                            demarc_runtime::sigv4::AwsSigning {
                                endpoints: endpoints.clone(),
                                regions: target.regions.clone(),
                                credentials: credential_caches
                                    .entry(source.clone())
                                    .or_insert_with(|| source.cache())
                                    .clone(),
                            }
                        });
                        demarc_runtime::Grant {
                            limits: config.http_limits,
                            regions: target.regions.clone(),
                            aws,
                            ..demarc_runtime::Grant::new(endpoints)
                        }
                    }),
                },
                Arc::new(ScanContext {
                    tenant: tenant.id.clone(),
                    target: target.id.clone(),
                    provider: plugin.provider.clone(),
                    plugin: plugin.clone(),
                    catalog: data.catalog.clone(),
                    attributor: data.attributor.clone(),
                    contracts: tenant.contracts.clone(),
                }),
            ));
        }
    }
    Ok(out)
}

fn hash_inputs(inputs: Vec<InputToHash>, base: &Path) -> Vec<InputRecord> {
    inputs
        .into_iter()
        .map(|i| {
            let full = i.snapshot.join(&i.name);
            let shown = full
                .strip_prefix(base)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| full.clone())
                .display()
                .to_string();
            // Refused inputs are never opened; a readable one is opened again the same way.
            let digest = i
                .readable
                .then(|| crate::inputs::digest(&i.snapshot, &i.name).ok())
                .flatten();
            let (sha256, bytes) = match digest {
                Some((d, n)) => (Some(d), Some(n)),
                None => (None, None),
            };
            InputRecord {
                tenant: i.tenant,
                target: i.target,
                path: shown,
                sha256,
                bytes,
            }
        })
        .collect()
}

/// The tenants a scan covers, as the report lists them.
/// `demarc config check`: the attestation files load too; then what the configuration holds.
fn check_summary(config: &Config, file: &str, data: &data::Data) -> anyhow::Result<ExitCode> {
    if let Err(e) = load_attestations(config, data) {
        eprintln!("error: invalid attestations: {e}");
        return Ok(ExitCode::Usage);
    }
    let files: BTreeSet<&str> = config.tenants.iter().map(|t| t.file.as_str()).collect();
    let targets: usize = config.tenants.iter().map(|t| t.targets.len()).sum();
    let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &config.tenants {
        *groups
            .entry(t.group.as_deref().unwrap_or("(no group)"))
            .or_default() += 1;
    }
    println!(
        "{file}: valid — {} tenant(s), {targets} target(s), {} file(s)",
        config.tenants.len(),
        files.len().max(1)
    );
    for (g, n) in groups {
        println!("  group {g}: {n} tenant(s)");
    }
    Ok(ExitCode::Clean)
}

pub(crate) fn tenant_infos(config: &config::Config, opts: &ScanOptions) -> Vec<TenantInfo> {
    config
        .tenants
        .iter()
        .filter(|t| opts.tenants.is_empty() || opts.tenants.contains(&t.id))
        .map(|t| TenantInfo {
            id: t.id.clone(),
            name: t.name.clone(),
            providers: t
                .targets
                .iter()
                .map(|g| g.provider.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            targets: t.targets.iter().map(|g| g.id.clone()).collect(),
            third_parties: t
                .contracts
                .iter()
                .map(|c| c.party.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            group: t.group.clone(),
            labels: t.labels.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::multi_tool_tenants;

    /// Fusion holds findings only where two tools read the same cloud of the same tenant: an
    /// importer beside demarc's own plugin of that cloud, or two importers; a tool of another
    /// cloud (or a custom plugin naming its producer) makes nobody else's findings wait.
    #[test]
    fn only_clouds_read_by_two_tools_are_fused() {
        let plan = [
            ("acme", "aws", None),
            ("acme", "aws", Some("prowler")),
            ("acme", "gcp", None),
            ("globex", "aws", None),
            ("globex", "hostile", Some("hostile-scanner")),
            ("initech", "azure", Some("defender")),
            ("initech", "azure", Some("sarif")),
            ("initech", "azure", Some("sarif")),
        ];
        let got = multi_tool_tenants(plan.into_iter());
        let want: Vec<(String, String)> = [("acme", "aws"), ("initech", "azure")]
            .into_iter()
            .map(|(t, p)| (t.to_string(), p.to_string()))
            .collect();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), want);
    }
}
