//! Writing the report in one pass without holding it.
//!
//! `report.json` is written while the targets are scanned. Targets are numbered in plan order,
//! and the findings array must list them in that order, so one target at a time — the
//! *frontier*, the first target not yet finished — writes its findings straight into the
//! report. Every later target spills its findings to a file of its own, with a small record per
//! finding (its id key and the parts the summary needs). When the frontier finishes, the next
//! target becomes the frontier: its spill so far is copied into the report and it goes on
//! writing directly. On a machine that scans two targets at a time most findings are written
//! once, and nothing is left to copy when the last target finishes.
//!
//! Duplicates (a finding whose id was already written) are dropped at the moment they would be
//! written, so the first in plan order is the one in the report. Since an id includes the
//! tenant, this never crosses tenants. A duplicate with a different status (two targets of one
//! tenant, or one target twice, disagreeing on one check of one resource) is not settled
//! silently: it is a `conflict` gap naming both targets, the resource, the check and both
//! statuses. To tell, the set of ids written keeps, in the low bits of each 128-bit key, the
//! target that wrote it and its status (see [`Slot`]); spilled findings are checked when their
//! spill is copied, so a conflict is found whichever target finishes first.
//!
//! Memory is bounded by the spilled records (36 bytes a finding) and the set of ids written
//! (about 32 bytes a finding), not by the findings. Other tools' findings that map to no
//! control are spilled too, and written after the gaps once every target is over. The summary
//! and the control roll-up are counted per target and check, not per finding.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use demarc_core::report::{REPORT_SCHEMA, Resolver, Run, TenantInfo};
use demarc_core::rollup::{ControlRow, ControlTally};
use demarc_core::summary::{Parts, Summary};
use demarc_core::{
    Finding, Gap, GapKind, Owner, Party, ServiceModel, Severity, Status, UnmappedFinding,
};
use demarc_runtime::FindingSink;
// The per-finding maps and the set of ids written: foldhash, seeded per process, is several
// times cheaper than SipHash on these small keys and still keeps hostile keys from choosing
// their buckets.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::writeback::Writeback;

/// What the summary and the roll-up need of one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Tally {
    /// Index into the lane's check table.
    check: u32,
    /// Index into the lane's account table (a target holds at most 65,536 accounts).
    account: u16,
    owner: Owner,
    must_act: Party,
    status: Status,
    severity: Severity,
    model: ServiceModel,
    /// The suppression that matched it, numbered from 1 (0: none).
    suppression: u16,
}

impl Tally {
    fn of(finding: &Finding, check: u32, account: u16, suppression: u16) -> Tally {
        Tally {
            check,
            account,
            owner: finding.responsibility.owner,
            must_act: finding.must_act.party,
            status: finding.status,
            severity: finding.check.severity,
            model: finding.responsibility.service_model,
            suppression,
        }
    }
}

/// One spilled finding: its id key (as four quarters, to keep the record at 36 bytes), tally
/// and length in the spill.
#[derive(Debug, Clone, Copy)]
struct Record {
    key: [u32; 4],
    tally: Tally,
    /// Bytes of the finding in the spill, its leading separator (`SEPARATOR`) included.
    len: u32,
}

/// What comes before every finding of the report but the first, and before every finding of a
/// spill: runs of spilled findings are copied into the report as they are.
const SEPARATOR: &[u8] = b",\n";

impl Record {
    fn new(key: u128, tally: Tally, len: u32) -> Record {
        Record {
            key: [
                (key >> 96) as u32,
                (key >> 64) as u32,
                (key >> 32) as u32,
                key as u32,
            ],
            tally,
            len,
        }
    }

    fn key(&self) -> u128 {
        self.key
            .iter()
            .fold(0u128, |k, q| (k << 32) | u128::from(*q))
    }
}

/// A finding in the set of those written: its 128-bit id key with the low [`TAG_BITS`] bits
/// replaced by the lane (target) that wrote it and its status. Equality and hashing look at the
/// remaining 104 bits of the id only, which keeps the chance of two different findings being
/// taken for one below 10^-15 even at 10^8 findings.
#[derive(Debug, Clone, Copy)]
struct Slot(u128);

const STATUS_BITS: u32 = 3;
const LANE_BITS: u32 = 21;
const TAG_BITS: u32 = STATUS_BITS + LANE_BITS;
/// The lane of findings the host makes itself, and of lanes past what [`LANE_BITS`] can count.
const NO_LANE: u128 = (1 << LANE_BITS) - 1;

impl Slot {
    fn new(key: u128, lane: Option<usize>, status: Status) -> Slot {
        let lane = lane.map_or(NO_LANE, |l| (l as u128).min(NO_LANE));
        let status = Status::ALL.iter().position(|s| *s == status).unwrap_or(0) as u128;
        Slot(((key >> TAG_BITS) << TAG_BITS) | (lane << STATUS_BITS) | status)
    }

    fn lane(self) -> Option<usize> {
        let lane = (self.0 >> STATUS_BITS) & NO_LANE;
        (lane != NO_LANE).then_some(lane as usize)
    }

    fn status(self) -> Status {
        Status::ALL[(self.0 & ((1 << STATUS_BITS) - 1)) as usize % Status::ALL.len()]
    }
}

impl PartialEq for Slot {
    fn eq(&self, other: &Slot) -> bool {
        self.0 >> TAG_BITS == other.0 >> TAG_BITS
    }
}

impl Eq for Slot {}

impl Hash for Slot {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0 >> TAG_BITS).hash(state);
    }
}

/// What became of a finding offered to the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Written.
    New,
    /// Dropped: the same id with the same status was written before.
    Duplicate,
    /// Dropped: the same id was written before with another status, by the lane in the slot.
    Conflict(Slot),
}

/// Findings of two lanes (or one lane twice) that disagree, with a few examples.
#[derive(Debug, Default)]
struct Disagreement {
    count: u64,
    /// (resource id, check id, earlier status, later status).
    examples: Vec<(String, String, Status, Status)>,
}

/// Examples of disagreeing findings named in one conflict gap.
const CONFLICT_EXAMPLES: usize = 3;

/// A target's spill file: serialized findings one after another, and a record `R` of each.
struct Spill<R> {
    path: PathBuf,
    writer: BufWriter<File>,
    records: Vec<R>,
}

impl<R> Spill<R> {
    fn create(path: PathBuf, buffer: usize) -> Result<Self, String> {
        let file =
            File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Spill {
            path,
            writer: BufWriter::with_capacity(buffer, file),
            records: Vec::new(),
        })
    }

    /// Append `parts` (one finding) and its record.
    fn push(&mut self, parts: &[&[u8]], record: R) -> Result<(), String> {
        for part in parts {
            self.writer
                .write_all(part)
                .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        }
        self.records.push(record);
        Ok(())
    }
}

/// The findings of a target that is not the frontier, each after a `SEPARATOR`.
type SpillFile = Spill<Record>;

/// Findings of other tools that map to no control, of one target, spilled as they come (they
/// are written after the gaps, once every target is over).
type UnmappedSpill = Spill<UnmappedRecord>;

/// One spilled unmapped finding: its id key, what the summary counts of it, and its length.
#[derive(Debug, Clone, Copy)]
struct UnmappedRecord {
    key: u128,
    status: Status,
    severity: Severity,
    len: u32,
}

/// One target's side of the report.
struct Lane {
    tenant: String,
    target: String,
    provider: String,
    /// Whether this target is the frontier and writes straight into the report.
    direct: bool,
    spill: Option<SpillFile>,
    /// Check id → (index, controls).
    checks: Vec<(String, Vec<String>)>,
    check_index: HashMap<String, u32>,
    /// Accounts of the findings, by index.
    accounts: Vec<String>,
    account_index: HashMap<String, u16>,
    /// Findings written to the report, counted by what the summary needs.
    counts: HashMap<Tally, u64>,
    /// When the target's tenant is assessed by more than one tool: its findings (with their
    /// suppression numbers), held until every target is over and fused across tools.
    held: Option<Vec<(Finding, u16)>>,
    /// Other tools' findings that map to no control, in the order they came.
    unmapped: Option<UnmappedSpill>,
}

impl Lane {
    /// What the summary and the roll-up count of `finding`.
    fn tally(&mut self, finding: &Finding, suppression: u16) -> Tally {
        let (check, account) = (self.check(finding), self.account(finding));
        Tally::of(finding, check, account, suppression)
    }

    fn check(&mut self, finding: &Finding) -> u32 {
        if let Some(i) = self.check_index.get(&finding.check.id) {
            return *i;
        }
        let i = self.checks.len() as u32;
        self.checks
            .push((finding.check.id.clone(), finding.controls.clone()));
        self.check_index.insert(finding.check.id.clone(), i);
        i
    }

    fn account(&mut self, finding: &Finding) -> u16 {
        if let Some(i) = self.account_index.get(&finding.account) {
            return *i;
        }
        // The runtime accepts at most 65,536 accounts per target; past that (never), the last
        // index is shared rather than wrapped.
        let i = u16::try_from(self.accounts.len()).unwrap_or(u16::MAX);
        if usize::from(i) == self.accounts.len() {
            self.accounts.push(finding.account.clone());
            self.account_index.insert(finding.account.clone(), i);
        }
        i
    }
}

/// The report file and what is shared by every target.
struct Body {
    writer: BufWriter<Writeback>,
    /// No finding written yet (so the next one needs no comma).
    first: bool,
    seen: HashSet<Slot>,
    duplicates: u64,
    /// (earlier lane, later lane) → their disagreements.
    conflicts: BTreeMap<(Option<usize>, usize), Disagreement>,
    /// The target writing directly; every target before it has finished.
    frontier: usize,
    finished: Vec<bool>,
    /// The first write error; the report is not completed when there is one.
    error: Option<String>,
}

impl Body {
    /// Write one serialized finding of `lane` unless its key was written before.
    fn write(
        &mut self,
        key: u128,
        lane: Option<usize>,
        status: Status,
        json: &[u8],
    ) -> std::io::Result<Written> {
        let slot = Slot::new(key, lane, status);
        if let Some(earlier) = self.seen.get(&slot) {
            if earlier.status() == status {
                self.duplicates += 1;
                return Ok(Written::Duplicate);
            }
            return Ok(Written::Conflict(*earlier));
        }
        self.seen.insert(slot);
        self.append(json)?;
        Ok(Written::New)
    }

    /// Write one serialized finding whose id was claimed before.
    fn append(&mut self, json: &[u8]) -> std::io::Result<()> {
        self.writer
            .write_all(if self.first { b"\n" } else { SEPARATOR })?;
        self.first = false;
        self.writer.write_all(json)
    }

    /// Claim the id of a finding of `lane` without writing it (a held finding, written once its
    /// tenant's findings are fused): what [`Body::write`] would have said.
    fn claim(&mut self, key: u128, lane: usize, status: Status) -> Written {
        let slot = Slot::new(key, Some(lane), status);
        if let Some(earlier) = self.seen.get(&slot) {
            if earlier.status() == status {
                self.duplicates += 1;
                return Written::Duplicate;
            }
            return Written::Conflict(*earlier);
        }
        self.seen.insert(slot);
        Written::New
    }

    /// Record that `lane`'s finding with `status` disagrees with the one written earlier;
    /// `what` gives its resource and check ids, asked for only while examples are wanted.
    fn disagree(
        &mut self,
        earlier: Slot,
        lane: usize,
        status: Status,
        what: impl FnOnce() -> Option<(String, String)>,
    ) {
        let d = self.conflicts.entry((earlier.lane(), lane)).or_default();
        d.count += 1;
        if d.examples.len() < CONFLICT_EXAMPLES
            && let Some((resource, check)) = what()
        {
            d.examples.push((resource, check, earlier.status(), status));
        }
    }
}

/// Copies runs of a spill's findings into the report.
struct Copier<'a> {
    from: &'a File,
    spill: &'a Path,
    report: &'a Path,
    /// The run of the spill not yet copied.
    run: std::ops::Range<u64>,
}

impl Copier<'_> {
    /// Add `range` of the spill to the run to copy; a run that does not continue is copied
    /// first.
    fn extend(&mut self, body: &mut Body, range: std::ops::Range<u64>) -> anyhow::Result<()> {
        if self.run.end != range.start {
            self.flush(body)?;
            self.run = range.start..range.start;
        }
        self.run.end = range.end;
        Ok(())
    }

    /// Copy the run into the report.
    fn flush(&mut self, body: &mut Body) -> anyhow::Result<()> {
        if self.run.is_empty() {
            return Ok(());
        }
        body.writer
            .flush()
            .with_context(|| format!("cannot write {}", self.report.display()))?;
        body.writer
            .get_mut()
            .append_from(self.from, self.run.start, self.run.end - self.run.start)
            .with_context(|| {
                format!(
                    "cannot copy {} into {}",
                    self.spill.display(),
                    self.report.display()
                )
            })?;
        body.first = false;
        self.run = self.run.end..self.run.end;
        Ok(())
    }

    /// The bytes of `range` of the spill.
    fn read(&self, range: std::ops::Range<u64>) -> anyhow::Result<Vec<u8>> {
        let mut from = self.from;
        let mut buf = vec![0; (range.end - range.start) as usize];
        from.seek(std::io::SeekFrom::Start(range.start))
            .and_then(|_| from.read_exact(&mut buf))
            .with_context(|| {
                format!(
                    "cannot read {}: it is shorter than its records",
                    self.spill.display()
                )
            })?;
        Ok(buf)
    }
}

/// At most 80 characters of `s`, control characters escaped: input content quoted in a gap.
fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(80).flat_map(char::escape_debug).collect();
    if s.chars().nth(80).is_some() {
        out.push('…');
    }
    out
}

/// The report being written: `report.json`'s head, its findings as they arrive, and the rest
/// once the scan is over (see [`Assembly::complete`]).
pub struct Assembly {
    /// Leaves out of each finding what the run's tables hold.
    resolver: Resolver,
    out: PathBuf,
    tmp: PathBuf,
    spill_dir: PathBuf,
    body: Mutex<Body>,
    lanes: Vec<Mutex<Lane>>,
    /// The run's suppressions, applied to each finding before it is written.
    suppressions: crate::suppress::Suppressions,
    /// Set by a merge: findings its targets accepted, and findings dropped as conflicts
    /// inherited from the merged reports; the duplicates are then counted from those.
    recount: Mutex<Option<(u64, u64)>>,
}

/// Everything of the report that is known only when the scan is over, but its findings and
/// summary.
pub struct Tail {
    /// Run metadata.
    pub run: Run,
    /// Gaps.
    pub gaps: Vec<Gap>,
}

/// Per tenant: findings by control, and the (provider, service model) pairs they touch.
#[derive(Debug, Default)]
pub struct Tallies {
    /// Tenant → control → tally.
    pub controls: BTreeMap<String, BTreeMap<String, ControlTally>>,
    /// Tenant → footprint.
    pub footprint: BTreeMap<String, BTreeSet<(String, ServiceModel)>>,
}

/// The key of an unmapped finding's id, to keep it once: its hex key, or a hash of an id that
/// is not one (a report merged from elsewhere may carry any id).
fn unmapped_key(id: &str) -> u128 {
    demarc_core::id::parse_key(id)
        .unwrap_or_else(|| demarc_core::id::finding_key("", "", "", "", id, "unmapped"))
}

/// The `unmapped` member of the report, when any finding is kept: each spill's kept findings
/// copied as they were serialized, in the layout of [`demarc_report::write_unmapped`].
fn copy_unmapped(
    spills: &[(UnmappedSpill, Vec<bool>)],
    kept: u64,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if kept == 0 {
        return Ok(());
    }
    out.write_all(b",\n\"unmapped\":[")?;
    let mut first = true;
    let mut buf = Vec::new();
    for (spill, keep) in spills {
        let file = File::open(&spill.path)
            .with_context(|| format!("cannot read {}", spill.path.display()))?;
        let mut file = std::io::BufReader::with_capacity(1 << 16, file);
        for (r, keep) in spill.records.iter().zip(keep) {
            buf.resize(r.len as usize, 0);
            file.read_exact(&mut buf)
                .with_context(|| format!("cannot read {}", spill.path.display()))?;
            if *keep {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                out.write_all(&buf)?;
            }
        }
    }
    out.write_all(b"\n]")?;
    Ok(())
}

/// The resource and check of a serialized finding, to name a conflict.
fn named(json: &[u8]) -> Option<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    #[derive(serde::Deserialize)]
    struct Named {
        resource: Id,
        check: Id,
    }
    let n: Named = serde_json::from_slice(json).ok()?;
    Some((n.resource.id, n.check.id))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock is a host bug; the data under it (counters and a file
    // writer) stays usable, and the write error, if any, is recorded separately.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Assembly {
    /// Start `report.json` in `out` (as a temporary file until [`Assembly::complete`]) for the
    /// targets `lanes` — (tenant, target, provider) in plan order — with the report's schema and
    /// tenants.
    #[cfg(test)]
    pub fn begin(
        out: &Path,
        tenants: &[TenantInfo],
        resolver: Resolver,
        lanes: &[(String, String, String)],
    ) -> anyhow::Result<Arc<Assembly>> {
        Self::begin_with(out, tenants, resolver, lanes, Default::default())
    }

    /// [`Assembly::begin`], with the run's suppressions: each finding is marked with the one
    /// that matches it before it is written.
    pub fn begin_with(
        out: &Path,
        tenants: &[TenantInfo],
        resolver: Resolver,
        lanes: &[(String, String, String)],
        suppressions: crate::suppress::Suppressions,
    ) -> anyhow::Result<Arc<Assembly>> {
        let tmp = out.join(".report.json.tmp");
        let spill_dir = out.join(format!(".spill-{}", std::process::id()));
        std::fs::create_dir_all(&spill_dir)
            .with_context(|| format!("cannot create {}", spill_dir.display()))?;
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut writer = BufWriter::with_capacity(1 << 20, Writeback::new(file));
        (|| -> std::io::Result<()> {
            write!(writer, "{{\"schema\":")?;
            serde_json::to_writer(&mut writer, REPORT_SCHEMA)?;
            write!(writer, ",\n\"tenants\":")?;
            serde_json::to_writer(&mut writer, tenants)?;
            write!(writer, ",\n\"findings\":[")
        })()
        .with_context(|| format!("cannot write {}", tmp.display()))?;
        Ok(Arc::new(Assembly {
            suppressions,
            recount: Mutex::new(None),
            resolver,
            out: out.to_path_buf(),
            tmp,
            spill_dir,
            body: Mutex::new(Body {
                writer,
                first: true,
                seen: HashSet::new(),
                duplicates: 0,
                conflicts: BTreeMap::new(),
                frontier: 0,
                finished: vec![false; lanes.len()],
                error: None,
            }),
            lanes: lanes
                .iter()
                .enumerate()
                .map(|(i, (tenant, target, provider))| {
                    Mutex::new(Lane {
                        tenant: tenant.clone(),
                        target: target.clone(),
                        provider: provider.clone(),
                        direct: i == 0,
                        spill: None,
                        checks: Vec::new(),
                        check_index: HashMap::new(),
                        accounts: Vec::new(),
                        account_index: HashMap::new(),
                        counts: HashMap::new(),
                        held: None,
                        unmapped: None,
                    })
                })
                .collect(),
        }))
    }

    /// Hold the findings of every target of `tenants` (tenant, provider) until the scan is
    /// over, and fuse them across tools then ([`demarc_core::fuse`]). Called before any finding
    /// arrives, for the tenants' clouds assessed by more than one tool; the others' findings
    /// stream as before.
    pub fn fuse_tenants(&self, tenants: &BTreeSet<(String, String)>) {
        if tenants.is_empty() {
            return;
        }
        for lane in &self.lanes {
            let mut lane = lock(lane);
            if tenants.contains(&(lane.tenant.clone(), lane.provider.clone())) {
                lane.held = Some(Vec::new());
            }
        }
    }

    /// The sink of target `lane`.
    pub fn sink(self: &Arc<Self>, lane: usize) -> LaneSink {
        LaneSink {
            assembly: self.clone(),
            lane,
            writer: None,
            held: None,
            batch: Batch::default(),
            checks: HashMap::new(),
            accounts: HashMap::new(),
        }
    }

    /// Take one finding of target `lane`, serialized as `json`.
    fn accept(
        &self,
        lane_no: usize,
        finding: &Finding,
        suppression: u16,
        json: &[u8],
    ) -> Result<(), String> {
        let key = demarc_core::id::parse_key(&finding.id).ok_or("finding id is not a key")?;
        let mut lane = lock(&self.lanes[lane_no]);
        if let Some(held) = lane.held.as_mut() {
            held.push((finding.clone(), suppression));
            return Ok(());
        }
        let tally = lane.tally(finding, suppression);
        let mut body = lane.direct.then(|| lock(&self.body));
        self.commit(lane_no, &mut lane, body.as_deref_mut(), key, tally, json)
    }

    /// Write one finding of target `lane_no`, serialized as `json`, into the report (`body`,
    /// locked by the caller, when the lane writes directly) or into the lane's spill.
    fn commit(
        &self,
        lane_no: usize,
        lane: &mut Lane,
        body: Option<&mut Body>,
        key: u128,
        tally: Tally,
        json: &[u8],
    ) -> Result<(), String> {
        if lane.direct {
            let body = body.ok_or("the report is not locked for a direct write")?;
            match body.write(key, Some(lane_no), tally.status, json) {
                Ok(Written::New) => *lane.counts.entry(tally).or_default() += 1,
                Ok(Written::Duplicate) => {}
                Ok(Written::Conflict(earlier)) => {
                    body.disagree(earlier, lane_no, tally.status, || named(json))
                }
                Err(e) => {
                    let msg = format!("cannot write {}: {e}", self.tmp.display());
                    body.error.get_or_insert_with(|| msg.clone());
                    return Err(msg);
                }
            }
            return Ok(());
        }
        let len = u32::try_from(SEPARATOR.len() + json.len()).map_err(|_| {
            format!(
                "a finding of {} bytes is past what a spill records",
                json.len()
            )
        })?;
        let spill = match &mut lane.spill {
            Some(spill) => spill,
            None => lane.spill.insert(Spill::create(
                self.spill_dir.join(format!("{lane_no}.jsonl")),
                1 << 20,
            )?),
        };
        spill.push(&[SEPARATOR, json], Record::new(key, tally, len))
    }

    /// Take one finding of target `lane` that maps to no control: spilled, in order, until the
    /// report is completed (memory keeps 32 bytes of it).
    pub fn accept_unmapped(&self, lane_no: usize, finding: UnmappedFinding) -> Result<(), String> {
        let lane = self
            .lanes
            .get(lane_no)
            .ok_or_else(|| format!("no target numbered {lane_no}"))?;
        let json = serde_json::to_vec(&finding).map_err(|e| e.to_string())?;
        let len = u32::try_from(json.len())
            .map_err(|_| format!("an unmapped finding of {} bytes is too large", json.len()))?;
        let record = UnmappedRecord {
            key: unmapped_key(&finding.id),
            status: finding.status,
            severity: finding.check.severity,
            len,
        };
        let mut lane = lock(lane);
        let spill = match &mut lane.unmapped {
            Some(spill) => spill,
            None => lane.unmapped.insert(Spill::create(
                self.spill_dir.join(format!("{lane_no}.unmapped.jsonl")),
                1 << 16,
            )?),
        };
        spill.push(&[&json], record)
    }

    /// Take one finding of target `lane` as a report already holds it (the run's tables left
    /// out, its suppression marked): the merge of reports feeds them in this way.
    pub fn feed_written(&self, lane: usize, finding: &Finding) -> anyhow::Result<()> {
        anyhow::ensure!(lane < self.lanes.len(), "no target numbered {lane}");
        let suppression = self.suppressions.number_of(finding);
        let mut buf = Vec::with_capacity(1024);
        demarc_report::write_finding(&mut buf, finding)?;
        self.accept(lane, finding, suppression, &buf)
            .map_err(|e| anyhow::anyhow!(e))
    }

    /// Every finding of target `lane` has been fed ([`Assembly::feed_written`]).
    pub fn lane_done(&self, lane: usize) {
        self.finish(lane);
    }

    /// Count the duplicates from what the targets accepted rather than from what was dropped
    /// here: merged reports dropped theirs before the merge. `conflicts` is how many findings
    /// the merged reports dropped as conflicts.
    pub fn recount_duplicates(&self, accepted: u64, conflicts: u64) {
        *lock(&self.recount) = Some((accepted, conflicts));
    }

    /// Target `lane` is over: if it was the frontier, the frontier moves on.
    fn finish(&self, lane: usize) {
        let mut body = lock(&self.body);
        if let Some(f) = body.finished.get_mut(lane) {
            *f = true;
        }
        self.advance(&mut body);
    }

    /// Move the frontier past every finished target, copying the spill of each target it
    /// reaches into the report.
    fn advance(&self, body: &mut Body) {
        while body.frontier < self.lanes.len() && body.finished[body.frontier] {
            body.frontier += 1;
            if let Some(next) = self.lanes.get(body.frontier) {
                // Lock order is lane then body in `accept`, but only for the frontier, which
                // `next` is not yet: its producer never waits for the body while we hold it.
                let mut lane = lock(next);
                let at = body.frontier;
                if let Err(e) = self.catch_up(body, at, &mut lane) {
                    body.error.get_or_insert_with(|| format!("{e:#}"));
                }
                lane.direct = true;
            }
        }
    }

    /// Copy the spill of lane `lane_no` into the report, in order and without duplicates: each
    /// run of findings not written before is copied as it lies in the spill.
    fn catch_up(&self, body: &mut Body, lane_no: usize, lane: &mut Lane) -> anyhow::Result<()> {
        let Some(mut spill) = lane.spill.take() else {
            return Ok(());
        };
        spill
            .writer
            .flush()
            .with_context(|| format!("cannot write {}", spill.path.display()))?;
        let file = File::open(&spill.path)
            .with_context(|| format!("cannot read {}", spill.path.display()))?;
        let mut copier = Copier {
            from: &file,
            spill: &spill.path,
            report: &self.tmp,
            run: 0..0,
        };
        let mut at = 0u64;
        for rec in &spill.records {
            let range = at..at + u64::from(rec.len);
            at = range.end;
            match body.claim(rec.key(), lane_no, rec.tally.status) {
                Written::New if body.first => {
                    // The report's first finding has no separator before it.
                    copier.flush(body)?;
                    let json = copier.read(range)?;
                    body.append(&json[SEPARATOR.len()..])
                        .with_context(|| format!("cannot write {}", self.tmp.display()))?;
                    *lane.counts.entry(rec.tally).or_default() += 1;
                }
                Written::New => {
                    copier.extend(body, range)?;
                    *lane.counts.entry(rec.tally).or_default() += 1;
                }
                Written::Duplicate => {}
                Written::Conflict(earlier) => {
                    body.disagree(earlier, lane_no, rec.tally.status, || {
                        let json = copier.read(range).ok()?;
                        named(json.get(SEPARATOR.len()..)?)
                    })
                }
            }
        }
        copier.flush(body)?;
        drop(file);
        let _ = std::fs::remove_file(&spill.path);
        Ok(())
    }

    /// Finish `report.json`: `extra` findings (made by the host, e.g. overdue attestations),
    /// then the run, gaps (with a `conflict` gap added to `tail` for every pair of targets
    /// that disagree, and their targets marked `partial`), the control roll-up that `rollup`
    /// computes from the tallies of the findings written, and the summary. Returns the summary
    /// and the roll-up.
    pub fn complete(
        &self,
        tail: &mut Tail,
        extra: &[Finding],
        rollup: impl FnOnce(&Tallies) -> Vec<ControlRow>,
    ) -> anyhow::Result<(Summary, Vec<ControlRow>)> {
        let result = self.complete_inner(tail, extra, rollup);
        let _ = std::fs::remove_dir_all(&self.spill_dir);
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result
    }

    fn complete_inner(
        &self,
        tail: &mut Tail,
        extra: &[Finding],
        rollup: impl FnOnce(&Tallies) -> Vec<ControlRow>,
    ) -> anyhow::Result<(Summary, Vec<ControlRow>)> {
        let mut body = lock(&self.body);
        // Targets whose scan never reported back (a host bug) still have their spills copied.
        body.finished.iter_mut().for_each(|f| *f = true);
        self.advance(&mut body);
        if let Some(e) = body.error.take() {
            anyhow::bail!("{e}");
        }
        let (folded, contradictions) = self.write_fused(&mut body)?;
        self.conflict_gaps(&body, tail);

        let mut summary = Summary::default();
        for g in &tail.gaps {
            summary.add_gap(g);
        }
        let mut tallies = Tallies::default();
        // Per suppression: failing findings it matched, per tenant.
        let mut matched: Vec<BTreeMap<String, u64>> =
            vec![BTreeMap::new(); self.suppressions.len()];
        for lane in &self.lanes {
            let lane = lock(lane);
            let by_control = tallies.controls.entry(lane.tenant.clone()).or_default();
            let footprint = tallies.footprint.entry(lane.tenant.clone()).or_default();
            for (t, n) in &lane.counts {
                summary.add_n(
                    Parts {
                        tenant: &lane.tenant,
                        provider: &lane.provider,
                        owner: t.owner,
                        must_act: t.must_act,
                        status: t.status,
                        severity: t.severity,
                        suppressed: t.suppression != 0
                            && !self.suppressions.is_expired(t.suppression),
                    },
                    *n,
                );
                if let Some(m) = matched.get_mut(usize::from(t.suppression).wrapping_sub(1)) {
                    *m.entry(lane.tenant.clone()).or_default() += n;
                }
                let (check, controls) = &lane.checks[t.check as usize];
                let account = lane
                    .accounts
                    .get(usize::from(t.account))
                    .map_or("", String::as_str);
                for c in controls {
                    by_control.entry(c.clone()).or_default().add_in(
                        &lane.provider,
                        account,
                        check,
                        t.owner,
                        t.status,
                        *n,
                    );
                }
                footprint.insert((lane.provider.clone(), t.model));
            }
        }
        tallies.footprint.retain(|_, f| !f.is_empty());
        tallies.controls.retain(|_, c| !c.is_empty());

        let body = &mut *body;
        let w = &mut body.writer;
        for f in extra {
            let key = demarc_core::id::parse_key(&f.id).unwrap_or_default();
            let slot = Slot::new(key, None, f.status);
            let mut f = f.clone();
            let suppression = self.suppressions.apply(&mut f);
            let f = &f;
            let mut lean = f.clone();
            self.resolver.strip(&mut lean);
            let json = serde_json::to_vec(&lean)?;
            if !body.seen.insert(slot) {
                body.duplicates += 1;
                continue;
            }
            if let Some(m) = matched.get_mut(usize::from(suppression).wrapping_sub(1)) {
                *m.entry(f.tenant.clone()).or_default() += 1;
            }
            summary.add(f);
            tallies
                .controls
                .entry(f.tenant.clone())
                .or_default()
                .entry(f.controls[0].clone())
                .or_default()
                .add_in(
                    &f.provider,
                    &f.account,
                    &f.check.id,
                    f.responsibility.owner,
                    f.status,
                    1,
                );
            w.write_all(if body.first { b"\n" } else { b",\n" })?;
            body.first = false;
            w.write_all(&json)?;
        }
        // Unmapped findings, target by target in plan order; a finding reported twice (the
        // same tool check on the same resource) is kept once.
        let mut unmapped: Vec<(UnmappedSpill, Vec<bool>)> = Vec::new();
        let mut unmapped_seen: HashSet<u128> = HashSet::new();
        let (mut unmapped_fed, mut unmapped_written) = (0u64, 0u64);
        for lane in &self.lanes {
            let Some(mut spill) = lock(lane).unmapped.take() else {
                continue;
            };
            spill
                .writer
                .flush()
                .with_context(|| format!("cannot write {}", spill.path.display()))?;
            let mut kept = Vec::with_capacity(spill.records.len());
            for r in &spill.records {
                unmapped_fed += 1;
                let new = unmapped_seen.insert(r.key);
                if new {
                    unmapped_written += 1;
                    summary.add_unmapped_verdict(r.status, r.severity);
                }
                kept.push(new);
            }
            unmapped.push((spill, kept));
        }
        summary.fused = folded;
        summary.contradictions = contradictions;
        summary.duplicates = match *lock(&self.recount) {
            Some((accepted, inherited)) => {
                let written: u64 = self
                    .lanes
                    .iter()
                    .map(|l| lock(l).counts.values().sum::<u64>())
                    .sum();
                let conflicts: u64 = body.conflicts.values().map(|d| d.count).sum();
                // Findings folded into another tool's finding were accepted, and are no
                // duplicates.
                accepted.saturating_sub(written + unmapped_written + conflicts + inherited + folded)
            }
            None => body.duplicates + (unmapped_fed - unmapped_written),
        };
        tail.run.suppressions = self.suppressions.records(&matched);
        summary.stale_suppressions = tail
            .run
            .suppressions
            .iter()
            .filter(|s| s.is_stale())
            .map(|s| s.id.clone())
            .collect();
        let controls = rollup(&tallies);
        let failing: BTreeMap<String, BTreeMap<String, u64>> = tallies
            .controls
            .iter()
            .map(|(tenant, by_control)| {
                let fails = by_control
                    .iter()
                    .map(|(c, t)| (c.clone(), t.checks.values().map(|k| k.fail).sum()))
                    .collect();
                (tenant.clone(), fails)
            })
            .collect();
        summary.portfolio = demarc_core::summary::Portfolio::build(
            &summary,
            &failing,
            tail.run
                .targets
                .iter()
                .map(|t| (t.tenant.as_str(), t.outcome.as_str())),
            tail.gaps.iter().map(|g| g.tenant.as_str()),
        );
        let path = self.out.join("report.json");
        (|| -> anyhow::Result<()> {
            write!(w, "\n],\n\"run\":")?;
            serde_json::to_writer(&mut *w, &tail.run)?;
            write!(w, ",\n\"gaps\":")?;
            serde_json::to_writer(&mut *w, &tail.gaps)?;
            copy_unmapped(&unmapped, unmapped_written, &mut *w)?;
            write!(w, ",\n\"controls\":[")?;
            for (i, row) in controls.iter().enumerate() {
                w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *w, row)?;
            }
            write!(w, "\n]")?;
            write!(w, ",\n\"summary\":")?;
            serde_json::to_writer(&mut *w, &summary)?;
            writeln!(w, "}}")?;
            w.flush()?;
            Ok(())
        })()
        .with_context(|| format!("cannot write {}", self.tmp.display()))?;
        std::fs::rename(&self.tmp, &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok((summary, controls))
    }
}

impl Assembly {
    /// Write the held findings, tenant by tenant in plan order, fused across tools: the
    /// duplicates and conflicts among them are found as for streamed findings (the first in
    /// plan order is kept), then each fused finding is counted on the target of the finding it
    /// was built on. Returns how many findings were folded into others, and how many fused
    /// findings contradict themselves.
    fn write_fused(&self, body: &mut Body) -> anyhow::Result<(u64, u64)> {
        let mut tenants: Vec<String> = Vec::new();
        for lane in &self.lanes {
            let lane = lock(lane);
            if lane.held.is_some() && !tenants.contains(&lane.tenant) {
                tenants.push(lane.tenant.clone());
            }
        }
        let (mut folded, mut contradictions) = (0, 0);
        let mut buf = Vec::with_capacity(4096);
        for tenant in tenants {
            let mut members: Vec<((usize, u16), Finding)> = Vec::new();
            for (lane_no, lane) in self.lanes.iter().enumerate() {
                let mut lane = lock(lane);
                if lane.tenant != tenant {
                    continue;
                }
                for (f, suppression) in lane.held.take().unwrap_or_default() {
                    let key = demarc_core::id::parse_key(&f.id).unwrap_or_default();
                    match body.claim(key, lane_no, f.status) {
                        Written::New => members.push(((lane_no, suppression), f)),
                        Written::Duplicate => {}
                        Written::Conflict(earlier) => {
                            body.disagree(earlier, lane_no, f.status, || {
                                Some((f.resource.id.clone(), f.check.id.clone()))
                            })
                        }
                    }
                }
            }
            let fused = demarc_core::fuse::fuse(members);
            folded += fused.folded;
            contradictions += fused.contradictions;
            for ((lane_no, suppression), f) in fused.findings {
                buf.clear();
                demarc_report::write_finding(&mut buf, &f)?;
                body.append(&buf)
                    .with_context(|| format!("cannot write {}", self.tmp.display()))?;
                let mut lane = lock(&self.lanes[lane_no]);
                let tally = lane.tally(&f, suppression);
                *lane.counts.entry(tally).or_default() += 1;
            }
        }
        Ok((folded, contradictions))
    }

    /// A `conflict` gap for every pair of targets (or target with itself) whose findings
    /// disagree, on the later target in plan order, which is marked `partial`.
    fn conflict_gaps(&self, body: &Body, tail: &mut Tail) {
        let name = |lane: Option<usize>| match lane.and_then(|l| self.lanes.get(l)) {
            Some(l) => lock(l).target.clone(),
            None => "(unknown)".to_string(),
        };
        for ((earlier, later), d) in &body.conflicts {
            let (tenant, target) = {
                let l = lock(&self.lanes[*later]);
                (l.tenant.clone(), l.target.clone())
            };
            let first = name(*earlier);
            let examples: Vec<String> = d
                .examples
                .iter()
                .map(|(resource, check, a, b)| {
                    format!(
                        "resource `{}`, check `{}`: `{}` in `{first}`, `{}` in `{target}`",
                        excerpt(resource),
                        excerpt(check),
                        a.as_str(),
                        b.as_str()
                    )
                })
                .collect();
            let whom = if first == target {
                format!(
                    "target `{target}` reports {} twice",
                    crate::table::count(d.count, "finding", "findings")
                )
            } else {
                format!(
                    "targets `{first}` and `{target}` of tenant `{tenant}` report {}",
                    crate::table::count(d.count, "finding", "findings")
                )
            };
            tail.gaps.push(Gap {
                kind: GapKind::Conflict,
                tenant: tenant.clone(),
                target: target.clone(),
                plugin: None,
                file: None,
                line: None,
                column: None,
                message: format!(
                    "{whom} with different statuses for the same check on the same resource; \
                     the report keeps the one from `{first}` (first in plan order): {}",
                    examples.join("; ")
                ),
            });
            for t in &mut tail.run.targets {
                if t.tenant == tenant && t.target == target && t.outcome == "complete" {
                    t.outcome = "partial".to_string();
                }
            }
        }
    }
}

/// The runtime's view of one target's side of the report.
///
/// Each finding is serialized on the plugin's own thread, where its strings were just lifted out
/// of the sandbox: they are still in that core's cache, and they are freed by the thread that
/// allocated them, which costs an allocator far less than a free from another thread. The
/// serialized findings go in batches, through a short bounded queue, to a writer thread of the
/// target's own that writes them into the report or the target's spill, so that the plugin goes
/// on scanning while its previous findings are written.
pub struct LaneSink {
    assembly: Arc<Assembly>,
    lane: usize,
    writer: Option<LaneWriter>,
    /// Whether the target's findings are held for fusing (known at its first finding).
    held: Option<bool>,
    /// Findings serialized but not yet handed to the writer: waking the writer for each finding
    /// would cost more than writing it.
    batch: Batch,
    /// The lane's check and account tables, as far as this sink has seen them: a finding is
    /// tallied without locking the lane unless its check or account is new.
    checks: HashMap<String, u32>,
    accounts: HashMap<String, u16>,
}

/// Serialized findings of one target, in order, and what the report needs of each.
#[derive(Default)]
struct Batch {
    json: Vec<u8>,
    /// Each finding's id key, tally and end in `json` (its start is the previous one's end).
    findings: Vec<(u128, Tally, usize)>,
}

impl Batch {
    fn with_capacity() -> Self {
        Batch {
            json: Vec::with_capacity(BATCH * 1024),
            findings: Vec::with_capacity(BATCH),
        }
    }

    fn clear(&mut self) {
        self.json.clear();
        self.findings.clear();
    }
}

struct LaneWriter {
    queue: std::sync::mpsc::SyncSender<Batch>,
    /// Batches the writer is done with, for the sink to fill again.
    spent: std::sync::mpsc::Receiver<Batch>,
    thread: std::thread::JoinHandle<()>,
    /// The writer's first error; the plugin is stopped at its next finding.
    error: Arc<Mutex<Option<String>>>,
}

/// Findings per batch handed to the writer, and batches queued per target: enough to keep both
/// sides busy, bounded for memory.
const BATCH: usize = 256;
const QUEUE: usize = 4;

impl LaneSink {
    /// Hand the batch to the writer (started on the first batch).
    fn hand_over(&mut self) -> Result<(), String> {
        if self.batch.findings.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            self.writer = Some(self.spawn_writer()?);
        }
        let writer = self.writer.as_ref().ok_or("no report writer")?;
        let next = match writer.spent.try_recv() {
            Ok(mut spent) => {
                spent.clear();
                spent
            }
            Err(_) => Batch::with_capacity(),
        };
        let batch = std::mem::replace(&mut self.batch, next);
        if writer.queue.send(batch).is_err() {
            return Err(lock(&writer.error)
                .clone()
                .unwrap_or_else(|| "the report writer stopped".to_string()));
        }
        Ok(())
    }

    fn spawn_writer(&self) -> Result<LaneWriter, String> {
        let (queue, rx) = std::sync::mpsc::sync_channel::<Batch>(QUEUE);
        let (give_back, spent) = std::sync::mpsc::channel::<Batch>();
        let error = Arc::new(Mutex::new(None));
        let (assembly, lane_no, err) = (self.assembly.clone(), self.lane, error.clone());
        let thread = std::thread::Builder::new()
            .name(format!("report-writer-{lane_no}"))
            .spawn(move || {
                for batch in rx {
                    if let Err(e) = assembly.commit_batch(lane_no, &batch) {
                        lock(&err).get_or_insert(e);
                        // Dropping the receiver makes the sink's next send fail.
                        return;
                    }
                    // The sink may be gone already; then the batch is simply dropped.
                    let _ = give_back.send(batch);
                }
            })
            .map_err(|e| format!("cannot start the report writer: {e}"))?;
        Ok(LaneWriter {
            queue,
            spent,
            thread,
            error,
        })
    }

    /// What the summary counts of `finding`, from this sink's copy of the lane's tables.
    fn tally(&mut self, finding: &Finding, suppression: u16) -> Tally {
        let known = (
            self.checks.get(&finding.check.id).copied(),
            self.accounts.get(&finding.account).copied(),
        );
        let (check, account) = match known {
            (Some(check), Some(account)) => (check, account),
            _ => {
                let mut lane = lock(&self.assembly.lanes[self.lane]);
                let (check, account) = (lane.check(finding), lane.account(finding));
                self.checks.insert(finding.check.id.clone(), check);
                self.accounts.insert(finding.account.clone(), account);
                (check, account)
            }
        };
        Tally::of(finding, check, account, suppression)
    }
}

impl Assembly {
    /// Write a batch of serialized findings of target `lane_no` (on its writer thread).
    fn commit_batch(&self, lane_no: usize, batch: &Batch) -> Result<(), String> {
        let mut lane = lock(&self.lanes[lane_no]);
        // The lane cannot become direct while it is locked, and a direct lane is the frontier,
        // whose writer alone writes to the report: the report is locked once for the batch.
        let mut body = lane.direct.then(|| lock(&self.body));
        let mut start = 0;
        for &(key, tally, end) in &batch.findings {
            let json = batch
                .json
                .get(start..end)
                .ok_or("a batch of findings is cut short")?;
            self.commit(lane_no, &mut lane, body.as_deref_mut(), key, tally, json)?;
            start = end;
        }
        Ok(())
    }
}

impl FindingSink for LaneSink {
    fn accept(&mut self, mut finding: Finding) -> Result<(), String> {
        // Findings come from the runtime without what the run's tables hold (see
        // `Attributor::attribute_by_reference`) but their plugin's version, which the tables
        // hold when the run has one version of it.
        self.assembly.resolver.strip_version(&mut finding);
        let suppression = self.assembly.suppressions.apply(&mut finding);
        let held = *self
            .held
            .get_or_insert_with(|| lock(&self.assembly.lanes[self.lane]).held.is_some());
        if held {
            let mut lane = lock(&self.assembly.lanes[self.lane]);
            lane.held
                .as_mut()
                .ok_or("a held target's findings are no longer held")?
                .push((finding, suppression));
            return Ok(());
        }
        let key = demarc_core::id::parse_key(&finding.id).ok_or("finding id is not a key")?;
        let tally = self.tally(&finding, suppression);
        demarc_report::write_finding(&mut self.batch.json, &finding).map_err(|e| e.to_string())?;
        self.batch
            .findings
            .push((key, tally, self.batch.json.len()));
        if self.batch.findings.len() >= BATCH {
            self.hand_over()?;
        }
        Ok(())
    }

    fn accept_unmapped(&mut self, finding: UnmappedFinding) -> Result<(), String> {
        self.assembly.accept_unmapped(self.lane, finding)
    }

    fn finish(&mut self) {
        if let Err(e) = self.hand_over() {
            lock(&self.assembly.body).error.get_or_insert(e);
        }
        if let Some(w) = self.writer.take() {
            drop(w.queue);
            let failed = match w.thread.join() {
                // A write that failed after the last batch was handed over stopped no plugin:
                // it fails the report here, so that a finding is never lost unsaid.
                Ok(()) => lock(&w.error).take(),
                Err(_) => Some("the report writer panicked".to_string()),
            };
            if let Some(e) = failed {
                lock(&self.assembly.body).error.get_or_insert(e);
            }
        }
        self.assembly.finish(self.lane);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finding of `check` on `resource` for `tenant`, as a plugin would have it attributed.
    fn finding(tenant: &str, resource: &str, check: &str, status: &str) -> Finding {
        let id = demarc_core::id::finding_id(
            tenant,
            "aws",
            "111122223333",
            "us-east-1",
            resource,
            check,
        );
        serde_json::from_value(serde_json::json!({
            "id": id, "tenant": tenant, "target": format!("{tenant}-aws"), "provider": "aws",
            "account": "111122223333", "region": "us-east-1",
            "resource": {"id": resource, "type": "AWS::S3::Bucket"},
            "check": {"id": check, "title": "A check", "severity": "high"},
            "status": status, "message": "m", "controls": ["enc-at-rest", "backup-retention"],
            "evidence": [], "remediation": "r",
            "source": {"plugin": "aws", "version": "0.1.0", "sha256": "00"},
            "responsibility": {"owner": "customer", "service_model": "abstracted",
                "layer": "data", "basis": {"kind": "matrix", "entry": "aws/abstracted/data",
                "source": "s"}},
            "must_act": {"party": "customer"}
        }))
        .expect("a valid finding")
    }

    /// One lane per tenant id, its target `<tenant>-aws`.
    fn lanes(tenants: &[&str]) -> Vec<(String, String, String)> {
        tenants
            .iter()
            .map(|t| (t.to_string(), format!("{t}-aws"), "aws".to_string()))
            .collect()
    }

    /// `finding`, as reported by target `target`.
    fn from(target: &str, mut f: Finding) -> Finding {
        f.target = target.to_string();
        f
    }

    /// Complete the report; its tail and the report as written.
    fn complete(asm: &Assembly, dir: &Path) -> (Tail, demarc_core::report::Report) {
        let mut tail = Tail {
            run: run(),
            gaps: Vec::new(),
        };
        let (summary, _) = asm.complete(&mut tail, &[], |_| Vec::new()).unwrap();
        let report: demarc_core::report::Report =
            serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
        assert_eq!(report.summary, summary);
        assert_eq!(report.gaps, tail.gaps);
        (tail, report)
    }

    /// Other tools' unmapped findings are spilled as they come and written after the gaps,
    /// target by target in plan order, each id once (a non-hex id too), with the summary's
    /// counts of the kept ones only.
    #[test]
    fn unmapped_findings_are_spilled_and_written_in_plan_order_once_each() {
        let unmapped = |tenant: &str, id: &str, status: &str, severity: &str| -> UnmappedFinding {
            serde_json::from_value(serde_json::json!({
                "id": id, "tenant": tenant, "target": format!("{tenant}-aws"), "provider": "aws",
                "account": "111122223333", "region": "us-east-1",
                "resource": {"id": format!("arn:aws:s3:::{id}"), "type": "AwsS3Bucket"},
                "check": {"id": "prowler-s3_bucket_default_encryption", "title": "Encryption",
                          "severity": severity},
                "status": status, "message": "Bucket \"x\" has\nno default encryption.",
                "evidence": [{"key": "tool", "value": "prowler"}],
                "source": {"plugin": "import-aws"}
            }))
            .unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let asm =
            Assembly::begin(dir.path(), &[], Resolver::default(), &lanes(&["a", "a"])).unwrap();
        let one = unmapped("a", "0123456789abcdef0123456789abcdef", "fail", "high");
        let two = unmapped("a", "fedcba9876543210fedcba9876543210", "pass", "low");
        let odd = unmapped("a", "not-a-hex-id", "fail", "critical");
        // The later target reports first; its copy of `two` and `odd` are the duplicates.
        asm.accept_unmapped(1, two.clone()).unwrap();
        asm.accept_unmapped(1, odd.clone()).unwrap();
        asm.accept_unmapped(0, one.clone()).unwrap();
        asm.accept_unmapped(0, odd.clone()).unwrap();
        asm.accept_unmapped(0, two.clone()).unwrap();
        assert!(asm.accept_unmapped(2, one.clone()).is_err());
        for lane in 0..2 {
            asm.sink(lane).finish();
        }
        let (_, report) = complete(&asm, dir.path());
        assert_eq!(report.unmapped, [one, odd, two]);
        assert_eq!(report.summary.unmapped.total, 3);
        assert_eq!(report.summary.unmapped.fail, 2);
        assert_eq!(report.summary.duplicates, 2);
        let by_severity: Vec<(&str, u64)> = report
            .summary
            .unmapped_failing_by_severity
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(by_severity, [("critical", 1), ("high", 1)]);
        // The report is the one `write_unmapped` would write from the same findings.
        let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
        let mut expected = Vec::new();
        demarc_report::write_unmapped(&report.unmapped, &mut expected).unwrap();
        assert!(text.contains(std::str::from_utf8(&expected).unwrap()));
    }

    /// A spill that cannot be written, on the last batch of a target: the plugin is not stopped
    /// (it has no finding left to emit), so the report fails, naming the spill.
    #[test]
    fn a_spill_that_cannot_be_written_fails_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let asm =
            Assembly::begin(dir.path(), &[], Resolver::default(), &lanes(&["a", "b"])).unwrap();
        std::fs::remove_dir_all(&asm.spill_dir).unwrap();
        let mut later = asm.sink(1);
        later.accept(finding("b", "sg-1", "k1", "fail")).unwrap();
        later.finish();
        let mut first = asm.sink(0);
        first.accept(finding("a", "sg-1", "k1", "fail")).unwrap();
        first.finish();
        let mut tail = Tail {
            run: run(),
            gaps: Vec::new(),
        };
        let err = asm
            .complete(&mut tail, &[], |_| Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot create") && err.contains("1.jsonl"),
            "{err}"
        );
        assert!(!dir.path().join("report.json").exists());
    }

    /// The attack: tenant b's export carries a copy of tenant a's resource that passes where
    /// a's fails. Both findings are in the report, each under its tenant; nothing is dropped.
    #[test]
    fn the_same_resource_under_two_tenants_is_never_deduplicated() {
        for order in [[0, 1], [1, 0]] {
            let dir = tempfile::tempdir().unwrap();
            let asm =
                Assembly::begin(dir.path(), &[], Resolver::default(), &lanes(&["a", "b"])).unwrap();
            let mut sinks = [asm.sink(0), asm.sink(1)];
            let statuses = ["fail", "pass"];
            for i in order {
                let tenant = ["a", "b"][i];
                sinks[i]
                    .accept(finding(tenant, "sg-1", "k1", statuses[i]))
                    .unwrap();
                sinks[i].finish();
            }
            let (tail, report) = complete(&asm, dir.path());
            let got: Vec<(&str, Status)> = report
                .findings
                .iter()
                .map(|f| (f.tenant.as_str(), f.status))
                .collect();
            assert_eq!(got, [("a", Status::Fail), ("b", Status::Pass)]);
            assert_eq!(report.summary.duplicates, 0);
            assert!(tail.gaps.is_empty(), "{:?}", tail.gaps);
        }
    }

    /// Two targets of one tenant disagree on one check of one resource: whether the later
    /// target writes directly or spills (it finishes first), the first in plan order is kept
    /// and a `conflict` gap names both targets, the resource, the check and both statuses.
    /// The same status is a plain duplicate.
    #[test]
    fn disagreeing_targets_of_one_tenant_are_a_conflict_whichever_finishes_first() {
        for later_finishes_first in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let lanes = vec![
                ("t".to_string(), "t-one".to_string(), "aws".to_string()),
                ("t".to_string(), "t-two".to_string(), "aws".to_string()),
            ];
            let asm = Assembly::begin(dir.path(), &[], Resolver::default(), &lanes).unwrap();
            let (mut s0, mut s1) = (asm.sink(0), asm.sink(1));
            let mut first = || {
                s0.accept(from("t-one", finding("t", "sg-1", "open", "fail")))
                    .unwrap();
                s0.accept(from("t-one", finding("t", "b-1", "enc", "pass")))
                    .unwrap();
                s0.finish();
            };
            let mut second = || {
                s1.accept(from("t-two", finding("t", "sg-1", "open", "pass")))
                    .unwrap();
                s1.accept(from("t-two", finding("t", "b-1", "enc", "pass")))
                    .unwrap();
                s1.finish();
            };
            if later_finishes_first {
                second();
                first();
            } else {
                first();
                second();
            }
            let mut tail = Tail {
                run: run(),
                gaps: Vec::new(),
            };
            tail.run.targets = serde_json::from_value(serde_json::json!([
                {"tenant": "t", "target": "t-one", "provider": "aws", "plugin": "aws",
                 "outcome": "complete", "resources": 2, "skipped": 0, "findings": 2, "millis": 0},
                {"tenant": "t", "target": "t-two", "provider": "aws", "plugin": "aws",
                 "outcome": "complete", "resources": 2, "skipped": 0, "findings": 2, "millis": 0}
            ]))
            .unwrap();
            let (summary, _) = asm.complete(&mut tail, &[], |_| Vec::new()).unwrap();
            let report: demarc_core::report::Report =
                serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap())
                    .unwrap();
            let got: Vec<(&str, &str, Status)> = report
                .findings
                .iter()
                .map(|f| (f.target.as_str(), f.resource.id.as_str(), f.status))
                .collect();
            assert_eq!(
                got,
                [
                    ("t-one", "sg-1", Status::Fail),
                    ("t-one", "b-1", Status::Pass)
                ],
                "later finishes first: {later_finishes_first}"
            );
            assert_eq!(summary.duplicates, 1, "b-1 is a plain duplicate");
            assert_eq!(tail.gaps.len(), 1, "{:?}", tail.gaps);
            let g = &tail.gaps[0];
            assert_eq!(g.kind, GapKind::Conflict);
            assert_eq!((g.tenant.as_str(), g.target.as_str()), ("t", "t-two"));
            assert_eq!(
                g.message,
                "targets `t-one` and `t-two` of tenant `t` report 1 finding with different \
                 statuses for the same check on the same resource; the report keeps the one \
                 from `t-one` (first in plan order): resource `sg-1`, check `open`: `fail` in \
                 `t-one`, `pass` in `t-two`"
            );
            assert_eq!(report.gaps, tail.gaps);
            assert_eq!(summary.gaps.get("conflict"), Some(&1));
            assert_eq!(tail.run.targets[0].outcome, "complete");
            assert_eq!(tail.run.targets[1].outcome, "partial");
        }
    }

    /// The set of ids keeps the lane and status of each finding in bits the identity does not
    /// use: ids that differ only there are one finding; the lane and status come back.
    #[test]
    fn a_slot_keeps_lane_and_status_beside_the_id() {
        let key = demarc_core::id::finding_key("t", "aws", "1", "r", "x", "k");
        let a = Slot::new(key, Some(5), Status::Fail);
        let b = Slot::new(key ^ 0xff_ffff, None, Status::NotApplicable);
        assert_eq!(a, b);
        assert_eq!((a.lane(), a.status()), (Some(5), Status::Fail));
        assert_eq!((b.lane(), b.status()), (None, Status::NotApplicable));
        assert_ne!(a, Slot::new(key ^ (1 << 24), Some(5), Status::Fail));
        let mut set = HashSet::new();
        assert!(set.insert(a));
        assert!(!set.insert(b));
        assert_eq!(set.get(&b).map(|s| s.status()), Some(Status::Fail));
        assert_eq!(excerpt("a\nb"), "a\\nb");
        assert_eq!(excerpt(&"x".repeat(100)), format!("{}…", "x".repeat(80)));
    }

    fn run() -> Run {
        serde_json::from_value(serde_json::json!({
            "tool": "demarc", "estate": "e", "started": "2026-11-01T00:00:00Z",
            "finished": "2026-11-01T00:00:00Z", "now": "2026-11-01T00:00:00Z",
            "plugins": [], "inputs": [], "targets": []
        }))
        .expect("a valid run")
    }

    /// Targets finishing out of plan order, spilling, catching up and writing directly, with
    /// a duplicate across targets: the report lists the findings in plan order, each once.
    #[test]
    fn findings_are_written_in_plan_order_whatever_order_targets_finish_in() {
        let dir = tempfile::tempdir().unwrap();
        let lanes = lanes(&["a", "b", "c"]);
        let asm = Assembly::begin(dir.path(), &[], Resolver::default(), &lanes).unwrap();
        let (mut s0, mut s1, mut s2) = (asm.sink(0), asm.sink(1), asm.sink(2));
        s2.accept(finding("c", "c1", "k1", "fail")).unwrap();
        s1.accept(finding("b", "b1", "k1", "pass")).unwrap();
        s0.accept(finding("a", "a1", "k1", "fail")).unwrap();
        // The same id as a1 (a finding of tenant a from the lane of c): dropped, because
        // target a comes first in plan order.
        s2.accept(finding("a", "a1", "k1", "fail")).unwrap();
        s2.finish();
        s1.accept(finding("b", "b2", "k2", "fail")).unwrap();
        s0.accept(finding("a", "a2", "k1", "pass")).unwrap();
        s0.finish();
        // b is now the frontier and writes directly.
        s1.accept(finding("b", "b3", "k2", "manual")).unwrap();
        s1.accept(finding("b", "b3", "k2", "manual")).unwrap();
        s1.finish();
        let mut tail = Tail {
            run: run(),
            gaps: Vec::new(),
        };
        let (summary, _) = asm
            .complete(&mut tail, &[], |t| {
                assert_eq!(t.controls["b"]["enc-at-rest"].checks["k2"].total, 2);
                assert_eq!(t.controls["a"]["backup-retention"].checks["k1"].fail, 1);
                Vec::new()
            })
            .unwrap();
        let report: demarc_core::report::Report =
            serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap())
                .unwrap();
        let order: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.resource.id.as_str())
            .collect();
        assert_eq!(order, ["a1", "a2", "b1", "b2", "b3", "c1"]);
        assert_eq!(summary.duplicates, 2);
        assert_eq!(summary.findings.total, 6);
        assert_eq!(summary.findings.fail, 3);
        assert_eq!(summary.by_tenant["b"].manual, 1);
        assert_eq!(report.summary, summary);
        assert!(
            !dir.path()
                .join(format!(".spill-{}", std::process::id()))
                .exists(),
            "spills are removed"
        );
    }

    /// A spill is copied in runs: the findings written before (duplicates) split the runs and
    /// are left out, and when no finding was written before the spill's, its first one opens
    /// the report without a separator.
    #[test]
    fn a_spill_is_copied_in_runs_around_its_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let lanes = lanes(&["a", "b"]);
        let asm = Assembly::begin(dir.path(), &[], Resolver::default(), &lanes).unwrap();
        let (mut s0, mut s1) = (asm.sink(0), asm.sink(1));
        // Lane 1 spills everything while lane 0, the frontier, writes nothing.
        let spilled = [
            ("b", "b1", "pass"),
            ("b", "b2", "fail"),
            ("a", "a1", "fail"),
            ("b", "b3", "pass"),
            ("b", "b3", "pass"),
            ("a", "a1", "pass"),
            ("b", "b4", "manual"),
            ("b", "b5", "fail"),
        ];
        for (tenant, resource, status) in spilled {
            s1.accept(finding(tenant, resource, "k1", status)).unwrap();
        }
        s1.finish();
        // Lane 0 writes a1 when the spill is still waiting: the spill's a1 is then a duplicate
        // and the spill's second a1 a conflict.
        s0.accept(finding("a", "a1", "k1", "fail")).unwrap();
        s0.finish();
        let mut tail = Tail {
            run: run(),
            gaps: Vec::new(),
        };
        let (summary, _) = asm.complete(&mut tail, &[], |_| Vec::new()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
        let report: demarc_core::report::Report = serde_json::from_str(&text).unwrap();
        let order: Vec<(&str, Status)> = report
            .findings
            .iter()
            .map(|f| (f.resource.id.as_str(), f.status))
            .collect();
        assert_eq!(
            order,
            [
                ("a1", Status::Fail),
                ("b1", Status::Pass),
                ("b2", Status::Fail),
                ("b3", Status::Pass),
                ("b4", Status::Manual),
                ("b5", Status::Fail),
            ]
        );
        assert_eq!(summary.duplicates, 2);
        assert_eq!(summary.findings.total, 6);
        let conflict = tail
            .gaps
            .iter()
            .find(|g| g.message.contains("a1"))
            .expect("the disagreeing a1 is a conflict gap naming it");
        assert_eq!(conflict.target, "b-aws");
        // One finding per line, each after its separator, and none before the first.
        assert!(text.contains("\"findings\":[\n{"), "{text}");
        assert_eq!(text.matches(",\n{\"id\"").count(), 5);

        // The spill opens the report when its lane comes first.
        let dir = tempfile::tempdir().unwrap();
        let asm = Assembly::begin(dir.path(), &[], Resolver::default(), &lanes).unwrap();
        let (mut s0, mut s1) = (asm.sink(0), asm.sink(1));
        s1.accept(finding("b", "b1", "k1", "pass")).unwrap();
        s1.accept(finding("b", "b2", "k1", "fail")).unwrap();
        s1.finish();
        s0.finish();
        let mut tail = Tail {
            run: run(),
            gaps: Vec::new(),
        };
        asm.complete(&mut tail, &[], |_| Vec::new()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
        let report: demarc_core::report::Report = serde_json::from_str(&text).unwrap();
        let order: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.resource.id.as_str())
            .collect();
        assert_eq!(order, ["b1", "b2"]);
        assert!(text.contains("\"findings\":[\n{"), "{text}");
    }
}
