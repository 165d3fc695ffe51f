//! `demarc merge`: combine the `report.json`s of the shards of one run (`demarc scan --shard
//! I/N`) into the report a single run makes.
//!
//! The reports must be of one run: the same schema, tool, estate, reference time (`now`),
//! plugins, tables, tenants and shard count. A shard records the checks its plugins declared
//! during its scan (an importer's tool checks) and a built-in importer only when one of its
//! targets imports: the merged run's plugins are their union. A target held by two of them must be the same
//! there (its record but its timing, its inputs, its gaps). Each target is taken from one
//! report, and its findings are written again in plan order through the scan's own writer, so
//! that a finding two targets of one tenant report is kept once, as the first in plan order
//! (the duplicate or conflict a single run would have found is found here). The configuration
//! gives the plan order, the control roll-up (contracts, attestations, frameworks), the
//! overdue-attestation findings and the suppressions; the summary and portfolio are counted
//! again. A shard that is not in the merge is named in `run.shard` (`1,3/4`: shards 1 and 3 of
//! 4) and each of its targets, and each tenant's attestations it holds, is a gap. Merging
//! merged reports, in any order and with repeats, gives the same report.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::Context;
use demarc_core::report::{InputRecord, PluginRecord, Report, Resolver, TargetRecord};
use demarc_core::{DataErrors, Gap, GapKind, Severity};

use crate::output::{self, Tail};
use crate::scan::{self, ScanOptions};
use crate::{ExitCode, config, data, plugins, table};

/// Options of `demarc merge`.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// The reports to merge.
    pub inputs: Vec<PathBuf>,
    /// The configuration the shards were scanned with.
    pub config: PathBuf,
    /// Output directory.
    pub out: PathBuf,
    /// Formats to write besides report.json.
    pub formats: Vec<demarc_report::Format>,
    /// Exit 1 when a failing finding is at least this severe.
    pub fail_on: Option<Severity>,
    /// Directory overriding the built-in `schemas/` data.
    pub schemas: Option<PathBuf>,
    /// Print the summary table.
    pub print_summary: bool,
}

/// Which shards of a run a report holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every target (an unsharded run, or every shard merged).
    All,
    /// These shards (1-based) of `count`.
    Some { count: u32, present: BTreeSet<u32> },
}

impl Coverage {
    /// Read `run.shard`: absent, `I/N`, or `I,J,.../N`.
    pub fn parse(shard: Option<&str>) -> Result<Coverage, String> {
        let Some(s) = shard else {
            return Ok(Coverage::All);
        };
        let bad = || format!("run.shard `{s}` is not `I/N` or `I,J,.../N` with 1 <= I <= N");
        let (list, n) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = n.parse().map_err(|_| bad())?;
        let mut present = BTreeSet::new();
        for i in list.split(',') {
            let i: u32 = i.parse().map_err(|_| bad())?;
            if i == 0 || i > count || !present.insert(i) {
                return Err(bad());
            }
        }
        Ok(Coverage::Some { count, present }.normalized())
    }

    fn normalized(self) -> Coverage {
        match self {
            Coverage::Some { count, present } if present.len() as u64 == u64::from(count) => {
                Coverage::All
            }
            c => c,
        }
    }

    /// How `run.shard` says it (absent when every target is held).
    pub fn shard(&self) -> Option<String> {
        match self {
            Coverage::All => None,
            Coverage::Some { count, present } => Some(format!(
                "{}/{count}",
                present
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        }
    }

    /// Whether shard `i` of `count` is held.
    pub fn holds(&self, i: u32) -> bool {
        match self {
            Coverage::All => true,
            Coverage::Some { present, .. } => present.contains(&i),
        }
    }

    /// The shard count, unless every target is held.
    pub fn count(&self) -> Option<u32> {
        match self {
            Coverage::All => None,
            Coverage::Some { count, .. } => Some(*count),
        }
    }

    /// Both together.
    pub fn union(self, other: Coverage) -> Coverage {
        match (self, other) {
            (Coverage::Some { count, mut present }, Coverage::Some { present: p, .. }) => {
                present.extend(p);
                Coverage::Some { count, present }.normalized()
            }
            _ => Coverage::All,
        }
    }
}

/// Whether a gap is one a merge made for a shard it did not have (and a later merge that has
/// the shard drops).
fn is_missing_shard_gap(g: &Gap) -> bool {
    g.kind == GapKind::MissingInput
        && g.plugin.is_none()
        && g.file.is_none()
        && g.message.starts_with("shard ")
        && g.message.contains(" is not in this merge")
}

/// Gaps a merge works out again over all the targets: account clashes and the missing shards.
/// (Conflicts between targets are kept: the finding a merged report dropped is not there to
/// find them again.)
fn is_derived(g: &Gap) -> bool {
    g.kind == GapKind::AccountClash || is_missing_shard_gap(g)
}

/// How many findings a `conflict` gap says were dropped ("... report N findings ...").
fn conflict_count(g: &Gap) -> u64 {
    for pat in [" report ", " reports "] {
        if let Some(at) = g.message.find(pat) {
            let digits: String = g.message[at + pat.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                return n;
            }
        }
    }
    0
}

/// One target as a report holds it.
#[derive(Debug, Clone)]
struct Held {
    /// Index of the report it is taken from.
    from: usize,
    record: Option<TargetRecord>,
    inputs: Vec<InputRecord>,
    /// Its gaps found before the scan (in the plan) and after, and its conflicts.
    planned: Vec<Gap>,
    scanned: Vec<Gap>,
    conflicts: Vec<Gap>,
}

impl Held {
    /// What must be equal wherever the target is held: the record but its timing and the
    /// outcome the clashes and conflicts of other targets decide, its inputs, its own gaps.
    fn content(&self) -> (Option<TargetRecord>, &[InputRecord], &[Gap], &[Gap]) {
        let record = self.record.clone().map(|mut r| {
            r.millis = 0;
            r.outcome = String::new();
            r
        });
        (record, &self.inputs, &self.planned, &self.scanned)
    }
}

/// The target numbered `at` of report `from`, made empty when first met.
fn entry(mine: &mut BTreeMap<usize, Held>, at: usize, from: usize) -> &mut Held {
    mine.entry(at).or_insert_with(|| Held {
        from,
        record: None,
        inputs: Vec::new(),
        planned: Vec::new(),
        scanned: Vec::new(),
        conflicts: Vec::new(),
    })
}

/// A gap of a planned target found before the scan: an input the host refused to read (named
/// in the gap, and recorded without a digest).
fn refused_in_plan(g: &Gap, inputs: &[InputRecord]) -> bool {
    let Some(file) = &g.file else {
        return false;
    };
    g.kind == GapKind::MissingInput
        && g.plugin.is_some()
        && g.message.starts_with(&format!("{file}: "))
        && inputs
            .iter()
            .any(|i| i.sha256.is_none() && i.path.ends_with(file.as_str()))
}

/// The error that stops the pass over a report's findings (the cause is kept aside).
fn stop(why: &str) -> demarc_report::Error {
    demarc_report::Error::Io {
        format: demarc_report::Format::Json,
        source: std::io::Error::other(why.to_string()),
    }
}

fn read_frame(path: &Path) -> anyhow::Result<Report> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (frame, _) = demarc_report::stream::read_frame(BufReader::with_capacity(1 << 20, file))
        .with_context(|| format!("{}", path.display()))?;
    Ok(frame)
}

/// Refuse `b` unless its `what` is the same as `a`'s.
fn same<T: PartialEq>(what: &str, a: &T, b: &T, first: &Path, other: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        a == b,
        "{}: {what} differs from {}'s: these are reports of different runs or configurations, which do not merge",
        other.display(),
        first.display()
    );
    Ok(())
}

/// The plugins of the merged run: every report's, each once, in the run's order (a plugin a
/// report lacks goes after the one it follows where it is). A plugin several reports hold must
/// be the same in each but for the checks it declared during their scans (an importer declares
/// the tool checks it meets in its input), which are united in id order, as a scan keeps them; a
/// check declared differently in two reports is refused. A plugin only some reports hold must be
/// an importer: a shard records a built-in importer only when one of its targets imports.
fn union_plugins<'a>(
    reports: impl Iterator<Item = (&'a Path, &'a [PluginRecord])>,
) -> Result<Vec<PluginRecord>, Refused> {
    // (plugin, the first report that holds it, how many reports hold it)
    let mut out: Vec<(PluginRecord, &Path, usize)> = Vec::new();
    let mut reports_read = 0;
    for (path, plugins) in reports {
        reports_read += 1;
        let mut after: Option<usize> = None;
        for p in plugins {
            let Some(i) = out
                .iter()
                .position(|(q, _, _)| q.name == p.name && q.sha256 == p.sha256)
            else {
                // Built-in plugins are loaded in their order: a built-in importer goes before
                // the first later built-in already placed, else after the last earlier one; any
                // other plugin after its predecessor here.
                let rank = |name: &str| plugins::builtin_names().position(|n| n == name);
                let at = match rank(&p.name) {
                    Some(r) => out
                        .iter()
                        .position(|(q, _, _)| rank(&q.name).is_some_and(|s| s > r))
                        .or_else(|| {
                            out.iter()
                                .rposition(|(q, _, _)| rank(&q.name).is_some_and(|s| s < r))
                                .map(|i| i + 1)
                        })
                        .unwrap_or(0),
                    None => after.map_or(0, |i| i + 1),
                };
                out.insert(at, (p.clone(), path, 1));
                after = Some(at);
                continue;
            };
            let (q, first, held) = &mut out[i];
            let frame = |r: &PluginRecord| PluginRecord {
                checks: Vec::new(),
                ..r.clone()
            };
            if frame(q) != frame(p) {
                return Err(refuse(format!(
                    "{}: plugin `{}` differs from {}'s: these are reports of different runs or configurations, which do not merge",
                    path.display(),
                    p.name,
                    first.display()
                )));
            }
            for c in &p.checks {
                match q.checks.iter().find(|x| x.id == c.id) {
                    Some(x) if x == c => {}
                    Some(_) => {
                        return Err(refuse(format!(
                            "{}: plugin `{}` declared check `{}` differently than in {}: these are reports of different runs or configurations, which do not merge",
                            path.display(),
                            p.name,
                            c.id,
                            first.display()
                        )));
                    }
                    None => {
                        let at = q.checks.partition_point(|x| x.id < c.id);
                        q.checks.insert(at, c.clone());
                    }
                }
            }
            *held += 1;
            after = Some(i);
        }
    }
    for (p, first, held) in &out {
        if *held < reports_read && p.producer.is_none() {
            return Err(refuse(format!(
                "{}: plugin `{}` is in its run.plugins but not in every report's: these are reports of different runs or configurations, which do not merge",
                first.display(),
                p.name
            )));
        }
    }
    Ok(out.into_iter().map(|(p, _, _)| p).collect())
}

/// Run `demarc merge`.
pub fn run(opts: &MergeOptions) -> anyhow::Result<ExitCode> {
    match merge(opts) {
        Ok(code) => Ok(code),
        Err(Refused(msg)) => {
            eprintln!("error: {msg}");
            Ok(ExitCode::Usage)
        }
    }
}

/// A usage or input error: exit 2.
struct Refused(String);

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Refused {
        Refused(format!("{e:#}"))
    }
}

fn refuse(msg: impl Into<String>) -> Refused {
    Refused(msg.into())
}

#[allow(clippy::too_many_lines)]
fn merge(opts: &MergeOptions) -> Result<ExitCode, Refused> {
    if opts.inputs.is_empty() {
        return Err(refuse(
            "nothing to merge: name the shards' report.json files",
        ));
    }
    // Every report's frame (all but its findings), checked against the first's.
    let mut frames = Vec::new();
    let mut coverage: Option<Coverage> = None;
    let mut count: Option<(u32, &Path)> = None;
    for path in &opts.inputs {
        let frame = read_frame(path)?;
        let cov = Coverage::parse(frame.run.shard.as_deref())
            .map_err(|e| refuse(format!("{}: {e}", path.display())))?;
        if let Some(n) = cov.count() {
            match count {
                Some((m, first)) if m != n => {
                    return Err(refuse(format!(
                        "{}: a shard of {n}, and {} a shard of {m}: the shard counts do not add up",
                        path.display(),
                        first.display()
                    )));
                }
                _ => count = Some((n, path)),
            }
        }
        coverage = Some(match coverage {
            None => cov.clone(),
            Some(c) => c.union(cov.clone()),
        });
        frames.push((path.as_path(), frame, cov));
    }
    let coverage = coverage.unwrap_or(Coverage::All);
    let plugins = union_plugins(
        frames
            .iter()
            .map(|(p, f, _)| (*p, f.run.plugins.as_slice())),
    )?;
    let (first_path, first, _) = &frames[0];
    for (path, f, _) in &frames[1..] {
        let (a, b) = (&first.run, &f.run);
        same(
            "the reference time (run.now)",
            &a.now,
            &b.now,
            first_path,
            path,
        )?;
        same("the estate", &a.estate, &b.estate, first_path, path)?;
        same("the tool", &a.tool, &b.tool, first_path, path)?;
        same("the tenants", &first.tenants, &f.tenants, first_path, path)?;
        same("run.bases", &a.bases, &b.bases, first_path, path)?;
        same("run.notes", &a.notes, &b.notes, first_path, path)?;
        same(
            "run.provider_attestations",
            &a.provider_attestations,
            &b.provider_attestations,
            first_path,
            path,
        )?;
        same(
            "run.assumed_service_models",
            &a.assumed_service_models,
            &b.assumed_service_models,
            first_path,
            path,
        )?;
        let ids = |r: &demarc_core::report::Run| {
            r.suppressions
                .iter()
                .map(|s| (s.id.clone(), s.expired))
                .collect::<Vec<_>>()
        };
        same("the suppressions", &ids(a), &ids(b), first_path, path)?;
        let load = |r: &Report| {
            r.gaps
                .iter()
                .filter(|g| g.tenant.is_empty() && g.target.is_empty())
                .cloned()
                .collect::<Vec<_>>()
        };
        same(
            "the plugins that failed to load",
            &load(first),
            &load(f),
            first_path,
            path,
        )?;
    }

    // The configuration: plan order, roll-up, attestations, suppressions.
    let file = opts.config.display().to_string();
    let data = data::load(opts.schemas.as_deref())
        .map_err(|e| refuse(format!("invalid data files: {e}")))?;
    let raw = config::read(&opts.config, std::env::vars())
        .map_err(|e| refuse(format!("invalid configuration: {e}")))?;
    let base = opts
        .config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut data = data::extend(data, &raw.additions(&base))
        .map_err(|e| refuse(format!("invalid configuration: {e}")))?;
    let none = plugins::Loaded {
        plugins: Vec::new(),
        failed: Vec::new(),
    };
    let (mutes, mute_errors) = scan::load_suppressions(&raw, &base, &file, &data, &none, false);
    let config = match raw.validate(&file, &base, &data.catalog, None) {
        Ok(c) if mute_errors.is_empty() => c,
        Ok(_) => {
            return Err(refuse(format!(
                "invalid configuration: {}",
                DataErrors(mute_errors)
            )));
        }
        Err(DataErrors(mut e)) => {
            e.extend(mute_errors);
            return Err(refuse(format!("invalid configuration: {}", DataErrors(e))));
        }
    };
    if !config.assumed.is_empty() {
        let mut attributor = (*data.attributor).clone();
        for (provider, model) in &config.assumed {
            attributor = attributor.accept_assumed(provider, *model);
        }
        data.attributor = std::sync::Arc::new(attributor);
    }
    let run = &first.run;
    if config.name != run.estate {
        return Err(refuse(format!(
            "{}: the estate `{}` is not {file}'s (`{}`): merge with the configuration the shards were scanned with",
            first_path.display(),
            run.estate,
            config.name
        )));
    }
    if let Some(now) = &config.now
        && *now != run.now
    {
        return Err(refuse(format!(
            "{}: run.now `{}` is not {file}'s `now` (`{now}`)",
            first_path.display(),
            run.now
        )));
    }
    let scope = ScanOptions {
        formats: Vec::new(),
        config: opts.config.clone(),
        out: opts.out.clone(),
        fail_on: None,
        tenants: first.tenants.iter().map(|t| t.id.clone()).collect(),
        groups: Vec::new(),
        labels: Vec::new(),
        shard: None,
        history: None,
        schemas: None,
        cache_dir: None,
        pin_time: None,
        allow_unpinned: false,
        lock: crate::trust::Lock::Ignore,
        require_signed: false,
        print_summary: false,
        progress: crate::progress::Mode::Off,
        baseline: None,
        fail_on_new: None,
        check_only: false,
    };
    let tenants = scan::tenant_infos(&config, &scope);
    if tenants != first.tenants {
        return Err(refuse(format!(
            "{}: its tenants are not those of {file}: merge with the configuration the shards were scanned with",
            first_path.display()
        )));
    }
    // Plan order: the configuration's targets of the tenants in scope.
    let mut order: BTreeMap<(String, String), usize> = BTreeMap::new();
    for t in config
        .tenants
        .iter()
        .filter(|t| scope.tenants.contains(&t.id))
    {
        for g in &t.targets {
            let n = order.len();
            order.insert((t.id.clone(), g.id.clone()), n);
        }
    }

    // Each target once, from the first report holding it; the others must agree.
    let mut held: BTreeMap<usize, Held> = BTreeMap::new();
    let mut conflicts_inherited = 0u64;
    for (k, (path, frame, cov)) in frames.iter().enumerate() {
        let mut mine: BTreeMap<usize, Held> = BTreeMap::new();
        let locate = |tenant: &str, target: &str| -> Result<usize, Refused> {
            let at = *order
                .get(&(tenant.to_string(), target.to_string()))
                .ok_or_else(|| {
                    refuse(format!(
                        "{}: target `{target}` of tenant `{tenant}` is not in {file}",
                        path.display()
                    ))
                })?;
            if let Some(n) = cov.count() {
                let s = scan::shard_of(tenant, target, n);
                if !cov.holds(s) {
                    return Err(refuse(format!(
                        "{}: target `{target}` of tenant `{tenant}` belongs to shard {s}/{n}, which this report is not",
                        path.display()
                    )));
                }
            }
            Ok(at)
        };
        // Records first: a gap is classified by whether its target was planned.
        let mut records: Vec<(usize, TargetRecord)> = Vec::new();
        for r in &frame.run.targets {
            records.push((locate(&r.tenant, &r.target)?, r.clone()));
        }
        for (at, r) in records {
            let h = entry(&mut mine, at, k);
            if h.record.is_some() {
                return Err(refuse(format!(
                    "{}: target `{}` of tenant `{}` is listed twice in run.targets",
                    path.display(),
                    r.target,
                    r.tenant
                )));
            }
            h.record = Some(r);
        }
        for i in &frame.run.inputs {
            let at = locate(&i.tenant, &i.target)?;
            let h = entry(&mut mine, at, k);
            h.inputs.push(i.clone());
        }
        for g in &frame.gaps {
            if (g.tenant.is_empty() && g.target.is_empty()) || is_derived(g) {
                continue;
            }
            if g.target.is_empty() {
                // A scan makes none but those of plugins that failed to load.
                return Err(refuse(format!(
                    "{}: a `{}` gap of tenant `{}` names no target; this demarc cannot place it",
                    path.display(),
                    g.kind.as_str(),
                    g.tenant
                )));
            }
            let at = locate(&g.tenant, &g.target)?;
            let h = entry(&mut mine, at, k);
            if g.kind == GapKind::Conflict {
                h.conflicts.push(g.clone());
            } else if h.record.is_none() || refused_in_plan(g, &h.inputs) {
                h.planned.push(g.clone());
            } else {
                h.scanned.push(g.clone());
            }
        }
        for (at, h) in mine {
            match held.get(&at) {
                Some(earlier) => {
                    if earlier.content() != h.content() {
                        let (tenant, target) = order
                            .iter()
                            .find(|(_, v)| **v == at)
                            .map(|(k, _)| k.clone())
                            .unwrap_or_default();
                        return Err(refuse(format!(
                            "{}: target `{target}` of tenant `{tenant}` differs from {}'s (its record, inputs or gaps): the same target twice with different content",
                            path.display(),
                            frames[earlier.from].0.display()
                        )));
                    }
                }
                None => {
                    conflicts_inherited += h.conflicts.iter().map(conflict_count).sum::<u64>();
                    held.insert(at, h);
                }
            }
        }
    }

    // The run: targets in plan order, their inputs, the gaps in the order a run makes them.
    let mut gaps: Vec<Gap> = first
        .gaps
        .iter()
        .filter(|g| g.tenant.is_empty() && g.target.is_empty())
        .cloned()
        .collect();
    gaps.extend(held.values().flat_map(|h| h.planned.iter().cloned()));
    let mut targets = Vec::new();
    let mut inputs = Vec::new();
    let mut lanes = Vec::new();
    let mut lane_of: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut accepted = 0u64;
    for h in held.values() {
        inputs.extend(h.inputs.iter().cloned());
        gaps.extend(h.scanned.iter().cloned());
        if let Some(r) = &h.record {
            let mut r = r.clone();
            // The outcome again: partial only for its own gaps and conflicts (the clashes are
            // found again below).
            if r.outcome == "partial"
                && h.scanned.is_empty()
                && h.planned.is_empty()
                && h.conflicts.is_empty()
            {
                r.outcome = "complete".to_string();
            }
            accepted += r.findings;
            lane_of.insert((r.tenant.clone(), r.target.clone()), lanes.len());
            lanes.push((r.tenant.clone(), r.target.clone(), r.provider.clone()));
            targets.push(r);
        }
    }
    let declared: BTreeMap<&str, &[String]> = config
        .tenants
        .iter()
        .flat_map(|t| &t.targets)
        .filter_map(|g| Some((g.id.as_str(), g.accounts.as_deref()?)))
        .collect();
    scan::account_clashes(&mut targets, &declared, &mut gaps);
    gaps.extend(held.values().flat_map(|h| h.conflicts.iter().cloned()));
    // What the shards not in the merge would have scanned is lost coverage.
    if let Coverage::Some { count, present } = &coverage {
        let missing = |s: u32| !present.contains(&s);
        for t in config
            .tenants
            .iter()
            .filter(|t| scope.tenants.contains(&t.id))
        {
            for g in &t.targets {
                let s = scan::shard_of(&t.id, &g.id, *count);
                if missing(s) {
                    gaps.push(Gap {
                        kind: GapKind::MissingInput,
                        tenant: t.id.clone(),
                        target: g.id.clone(),
                        plugin: None,
                        file: None,
                        line: None,
                        column: None,
                        message: format!(
                            "shard {s}/{count} is not in this merge: target `{}` was not scanned",
                            g.id
                        ),
                    });
                }
            }
            let s = scan::shard_of(&t.id, "attestations", *count);
            if t.attestations.is_some() && missing(s) {
                gaps.push(Gap {
                    kind: GapKind::MissingInput,
                    tenant: t.id.clone(),
                    target: String::new(),
                    plugin: None,
                    file: None,
                    line: None,
                    column: None,
                    message: format!(
                        "shard {s}/{count} is not in this merge: tenant `{}`'s attestations were not judged",
                        t.id
                    ),
                });
            }
        }
    }

    let now = run.now.clone();
    let day = demarc_core::attestation::day_of(&now).context("the reference time has no date")?;
    let mutes = crate::suppress::Suppressions::new(mutes, day);
    let configured: Vec<String> = mutes.records(&[]).into_iter().map(|s| s.id).collect();
    let recorded: Vec<String> = run.suppressions.iter().map(|s| s.id.clone()).collect();
    if configured != recorded {
        return Err(refuse(format!(
            "{}: its suppressions ({}) are not {file}'s ({}): merge with the configuration the shards were scanned with",
            first_path.display(),
            recorded.join(", "),
            configured.join(", ")
        )));
    }
    let attestations = scan::load_attestations(&config, &data)
        .map_err(|e| refuse(format!("invalid attestations: {e}")))?;
    let started = frames
        .iter()
        .map(|(_, f, _)| f.run.started.clone())
        .min()
        .unwrap_or_default();
    let finished = frames
        .iter()
        .map(|(_, f, _)| f.run.finished.clone())
        .max()
        .unwrap_or_default();
    let mut tail = Tail {
        run: demarc_core::report::Run {
            tool: run.tool.clone(),
            estate: run.estate.clone(),
            started,
            finished,
            now,
            shard: coverage.shard(),
            plugins: plugins.clone(),
            inputs,
            targets,
            bases: run.bases.clone(),
            notes: run.notes.clone(),
            provider_attestations: run.provider_attestations.clone(),
            suppressions: Vec::new(),
            assumed_service_models: run.assumed_service_models.clone(),
        },
        gaps,
    };
    // Overdue attestations, made again for the tenants whose attestation shard is here.
    let extra: Vec<demarc_core::Finding> =
        scan::overdue_findings(&config, &scope, &attestations, day)
            .into_iter()
            .filter(|f| match coverage.count() {
                None => true,
                Some(n) => coverage.holds(scan::shard_of(&f.tenant, "attestations", n)),
            })
            .collect();

    let out = crate::publish::OutputDir::open(&opts.out).map_err(refuse)?;
    let resolver = Resolver::from_tables(&plugins, &run.bases, &run.notes);
    let assembly = output::Assembly::begin_with(out.staging(), &tenants, resolver, &lanes, mutes)?;
    assembly.recount_duplicates(accepted, conflicts_inherited);
    // The tenants read by more than one tool are fused as a single run fuses them, also when
    // their tools' targets were scanned in different shards.
    let producers: BTreeMap<&str, Option<&str>> = plugins
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.producer.as_ref().map(|x| x.name.as_str()),
            )
        })
        .collect();
    assembly.fuse_tenants(&scan::multi_tool_tenants(tail.run.targets.iter().map(
        |t| {
            (
                t.tenant.as_str(),
                t.provider.as_str(),
                producers.get(t.plugin.as_str()).copied().flatten(),
            )
        },
    )));
    // Each report's findings of the targets taken from it; the writer puts them in plan order.
    for (k, (path, frame, _)) in frames.iter().enumerate() {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut failed: Option<anyhow::Error> = None;
        demarc_report::stream::for_each_finding(BufReader::with_capacity(1 << 20, file), |f| {
            if f.target.is_empty() {
                // Made by the host (overdue attestations): made again above.
                return Ok(());
            }
            let Some(&lane) = lane_of.get(&(f.tenant.clone(), f.target.clone())) else {
                failed.get_or_insert_with(|| {
                    anyhow::anyhow!(
                        "{}: a finding of target `{}` of tenant `{}`, which run.targets does not list",
                        path.display(),
                        f.target,
                        f.tenant
                    )
                });
                return Err(stop("a finding of an unlisted target"));
            };
            let at = order[&(f.tenant.clone(), f.target.clone())];
            if held[&at].from != k {
                return Ok(());
            }
            if let Err(e) = assembly.feed_written(lane, &f) {
                failed.get_or_insert(e);
                return Err(stop("cannot write the report"));
            }
            Ok(())
        })
        .map_err(|e| match failed.take() {
            Some(f) => refuse(format!("{f:#}")),
            None => refuse(format!("{}: {e}", path.display())),
        })?;
        // Other tools' findings that map to no control, of the same targets.
        for u in &frame.unmapped {
            let key = (u.tenant.clone(), u.target.clone());
            let (Some(&lane), Some(at)) = (lane_of.get(&key), order.get(&key)) else {
                return Err(refuse(format!(
                    "{}: an unmapped finding of target `{}` of tenant `{}`, which run.targets does not list",
                    path.display(),
                    u.target,
                    u.tenant
                )));
            };
            if held[at].from == k {
                assembly
                    .accept_unmapped(lane, u.clone())
                    .map_err(|e| refuse(format!("{}: {e}", path.display())))?;
            }
        }
        for h in held.values().filter(|h| h.from == k) {
            if let Some(r) = &h.record {
                assembly.lane_done(lane_of[&(r.tenant.clone(), r.target.clone())]);
            }
        }
    }
    let in_scope: Vec<&config::Tenant> = config
        .tenants
        .iter()
        .filter(|t| scope.tenants.contains(&t.id))
        .collect();
    let checks = scan::check_citations(&tail.run);
    let (summary, _) = assembly.complete(&mut tail, &extra, |tallies| {
        scan::rollup_rows(tallies, &checks, &data, &attestations, day, &in_scope)
    })?;
    let staged = out.staging().join("report.json");
    crate::render::write_formats(&staged, &data.catalog, &opts.formats, out.staging(), None)?;
    let mut names = vec!["report.json"];
    names.extend(
        opts.formats
            .iter()
            .filter(|f| **f != demarc_report::Format::Json)
            .map(|f| f.file_name()),
    );
    let files = out.publish(&names, true)?;
    if opts.print_summary {
        print!("{}", table::render(&tail, &tenants, &summary, &files));
    }
    Ok(scan::exit_code(&tail.gaps, &summary, opts.fail_on))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn coverage() -> impl Strategy<Value = Coverage> {
        prop_oneof![
            Just(Coverage::All),
            proptest::collection::btree_set(1u32..=5, 1..=5)
                .prop_map(|present| { Coverage::Some { count: 5, present }.normalized() }),
        ]
    }

    proptest! {
        /// The shards a merge holds: union is associative, commutative and idempotent, and
        /// `run.shard` reads back as what it says.
        #[test]
        fn shard_sets_merge_like_sets(a in coverage(), b in coverage(), c in coverage()) {
            let u = |x: &Coverage, y: &Coverage| x.clone().union(y.clone());
            prop_assert_eq!(u(&u(&a, &b), &c), u(&a, &u(&b, &c)));
            prop_assert_eq!(u(&a, &b), u(&b, &a));
            prop_assert_eq!(u(&a, &a), a.clone());
            prop_assert_eq!(Coverage::parse(a.shard().as_deref()), Ok(a.clone()));
        }
    }

    #[test]
    fn run_shard_is_read_strictly() {
        assert_eq!(Coverage::parse(None), Ok(Coverage::All));
        assert_eq!(
            Coverage::parse(Some("4/4")).unwrap().shard().as_deref(),
            Some("4/4")
        );
        assert_eq!(
            Coverage::parse(Some("3,1/4")).unwrap().shard().as_deref(),
            Some("1,3/4")
        );
        assert_eq!(Coverage::parse(Some("2,1/2")), Ok(Coverage::All));
        for bad in ["", "1", "0/4", "5/4", "1,1/4", "a/4", "1/", "/4", "1/0"] {
            let e = Coverage::parse(Some(bad)).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn a_conflict_gap_says_how_many_findings_it_dropped() {
        let gap = |message: &str| Gap {
            kind: GapKind::Conflict,
            tenant: "t".into(),
            target: "b".into(),
            plugin: None,
            file: None,
            line: None,
            column: None,
            message: message.into(),
        };
        assert_eq!(
            conflict_count(&gap(
                "targets `a` and `b` of tenant `t` report 12 findings with different statuses"
            )),
            12
        );
        assert_eq!(
            conflict_count(&gap(
                "target `b` reports 1 finding twice with different statuses"
            )),
            1
        );
    }
}
