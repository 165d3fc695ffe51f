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
//! written, so the first in plan order wins, as in a whole-report merge.
//!
//! Memory is bounded by the spilled records (24 bytes a finding) and the set of ids written
//! (about 32 bytes a finding), not by the findings. The summary and the control roll-up are
//! counted per target and check, not per finding.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use demarc_core::report::{REPORT_SCHEMA, Run, TenantInfo};
use demarc_core::rollup::{ControlRow, ControlTally};
use demarc_core::summary::Summary;
use demarc_core::{Finding, Gap, Owner, ServiceModel, Severity, Status};
use demarc_runtime::FindingSink;

/// What the summary and the roll-up need of one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Tally {
    /// Index into the lane's check table.
    check: u32,
    owner: Owner,
    status: Status,
    severity: Severity,
    model: ServiceModel,
}

/// One spilled finding: its id key (as two halves, to keep the record at 24 bytes) and tally.
#[derive(Debug, Clone, Copy)]
struct Record {
    key: [u64; 2],
    tally: Tally,
}

impl Record {
    fn key(&self) -> u128 {
        (u128::from(self.key[0]) << 64) | u128::from(self.key[1])
    }
}

/// A target's spill file: one JSON finding per line, and a record per line.
struct SpillFile {
    path: PathBuf,
    writer: BufWriter<File>,
    records: Vec<Record>,
}

/// One target's side of the report.
struct Lane {
    tenant: String,
    provider: String,
    /// Whether this target is the frontier and writes straight into the report.
    direct: bool,
    spill: Option<SpillFile>,
    /// Check id → (index, controls).
    checks: Vec<(String, Vec<String>)>,
    check_index: HashMap<String, u32>,
    /// Findings written to the report, counted by what the summary needs.
    counts: HashMap<Tally, u64>,
}

impl Lane {
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
}

/// The report file and what is shared by every target.
struct Body {
    writer: BufWriter<File>,
    /// No finding written yet (so the next one needs no comma).
    first: bool,
    seen: HashSet<u128>,
    duplicates: u64,
    /// The target writing directly; every target before it has finished.
    frontier: usize,
    finished: Vec<bool>,
    /// The first write error; the report is not completed when there is one.
    error: Option<String>,
}

impl Body {
    /// Write one serialized finding unless its key was written before; whether it was written.
    fn write(&mut self, key: u128, json: &[u8]) -> std::io::Result<bool> {
        if !self.seen.insert(key) {
            self.duplicates += 1;
            return Ok(false);
        }
        self.writer
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        self.writer.write_all(json)?;
        Ok(true)
    }
}

/// The report being written: `report.json`'s head, its findings as they arrive, and the rest
/// once the scan is over (see [`Assembly::complete`]).
pub struct Assembly {
    out: PathBuf,
    tmp: PathBuf,
    spill_dir: PathBuf,
    body: Mutex<Body>,
    lanes: Vec<Mutex<Lane>>,
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock is a host bug; the data under it (counters and a file
    // writer) stays usable, and the write error, if any, is recorded separately.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Assembly {
    /// Start `report.json` in `out` (as a temporary file until [`Assembly::complete`]) for the
    /// targets `lanes` — (tenant, provider) in plan order — with the report's schema and tenants.
    pub fn begin(
        out: &Path,
        tenants: &[TenantInfo],
        lanes: &[(String, String)],
    ) -> anyhow::Result<Arc<Assembly>> {
        let tmp = out.join(".report.json.tmp");
        let spill_dir = out.join(format!(".spill-{}", std::process::id()));
        std::fs::create_dir_all(&spill_dir)
            .with_context(|| format!("cannot create {}", spill_dir.display()))?;
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        (|| -> std::io::Result<()> {
            write!(writer, "{{\"schema\":")?;
            serde_json::to_writer(&mut writer, REPORT_SCHEMA)?;
            write!(writer, ",\n\"tenants\":")?;
            serde_json::to_writer(&mut writer, tenants)?;
            write!(writer, ",\n\"findings\":[")
        })()
        .with_context(|| format!("cannot write {}", tmp.display()))?;
        Ok(Arc::new(Assembly {
            out: out.to_path_buf(),
            tmp,
            spill_dir,
            body: Mutex::new(Body {
                writer,
                first: true,
                seen: HashSet::new(),
                duplicates: 0,
                frontier: 0,
                finished: vec![false; lanes.len()],
                error: None,
            }),
            lanes: lanes
                .iter()
                .enumerate()
                .map(|(i, (tenant, provider))| {
                    Mutex::new(Lane {
                        tenant: tenant.clone(),
                        provider: provider.clone(),
                        direct: i == 0,
                        spill: None,
                        checks: Vec::new(),
                        check_index: HashMap::new(),
                        counts: HashMap::new(),
                    })
                })
                .collect(),
        }))
    }

    /// The sink of target `lane`.
    pub fn sink(self: &Arc<Self>, lane: usize) -> LaneSink {
        LaneSink {
            assembly: self.clone(),
            lane,
            writer: None,
            batch: Vec::new(),
        }
    }

    /// Take one finding of target `lane`, serialized as `json`.
    fn accept(&self, lane_no: usize, finding: &Finding, json: &[u8]) -> Result<(), String> {
        let key = demarc_core::id::parse_key(&finding.id).ok_or("finding id is not a key")?;
        let mut lane = lock(&self.lanes[lane_no]);
        let check = lane.check(finding);
        let tally = Tally {
            check,
            owner: finding.responsibility.owner,
            status: finding.status,
            severity: finding.check.severity,
            model: finding.responsibility.service_model,
        };
        if lane.direct {
            let mut body = lock(&self.body);
            match body.write(key, json) {
                Ok(true) => *lane.counts.entry(tally).or_default() += 1,
                Ok(false) => {}
                Err(e) => {
                    let msg = format!("cannot write {}: {e}", self.tmp.display());
                    body.error.get_or_insert_with(|| msg.clone());
                    return Err(msg);
                }
            }
            return Ok(());
        }
        if lane.spill.is_none() {
            let path = self.spill_dir.join(format!("{lane_no}.jsonl"));
            let file = File::create(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            lane.spill = Some(SpillFile {
                path,
                writer: BufWriter::with_capacity(1 << 20, file),
                records: Vec::new(),
            });
        }
        let spill = lane.spill.as_mut().ok_or("spill vanished")?;
        spill
            .writer
            .write_all(json)
            .and_then(|()| spill.writer.write_all(b"\n"))
            .map_err(|e| format!("cannot write {}: {e}", spill.path.display()))?;
        spill.records.push(Record {
            key: [(key >> 64) as u64, key as u64],
            tally,
        });
        Ok(())
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
                if let Err(e) = self.catch_up(body, &mut lane) {
                    body.error.get_or_insert_with(|| format!("{e:#}"));
                }
                lane.direct = true;
            }
        }
    }

    /// Copy a lane's spill into the report, in order and without duplicates.
    fn catch_up(&self, body: &mut Body, lane: &mut Lane) -> anyhow::Result<()> {
        let Some(mut spill) = lane.spill.take() else {
            return Ok(());
        };
        spill
            .writer
            .flush()
            .with_context(|| format!("cannot write {}", spill.path.display()))?;
        let file = File::open(&spill.path)
            .with_context(|| format!("cannot read {}", spill.path.display()))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::with_capacity(4096);
        for rec in &spill.records {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .with_context(|| format!("cannot read {}", spill.path.display()))?;
            anyhow::ensure!(
                n > 1,
                "spill {} is shorter than its records",
                spill.path.display()
            );
            if body
                .write(rec.key(), &line[..n - 1])
                .with_context(|| format!("cannot write {}", self.tmp.display()))?
            {
                *lane.counts.entry(rec.tally).or_default() += 1;
            }
        }
        drop(reader);
        let _ = std::fs::remove_file(&spill.path);
        Ok(())
    }

    /// Finish `report.json`: `extra` findings (made by the host, e.g. overdue attestations),
    /// then the run, gaps, the control roll-up that `rollup` computes from the tallies of the
    /// findings written, and the summary. Returns the summary and the roll-up.
    pub fn complete(
        &self,
        tail: &Tail,
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
        tail: &Tail,
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

        let mut summary = Summary::default();
        for g in &tail.gaps {
            summary.add_gap(g);
        }
        let mut tallies = Tallies::default();
        for lane in &self.lanes {
            let lane = lock(lane);
            let by_control = tallies.controls.entry(lane.tenant.clone()).or_default();
            let footprint = tallies.footprint.entry(lane.tenant.clone()).or_default();
            for (t, n) in &lane.counts {
                summary.add_parts_n(
                    &lane.tenant,
                    &lane.provider,
                    t.owner,
                    t.status,
                    t.severity,
                    *n,
                );
                let (check, controls) = &lane.checks[t.check as usize];
                for c in controls {
                    by_control
                        .entry(c.clone())
                        .or_default()
                        .add_n(check, t.owner, t.status, *n);
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
            let json = serde_json::to_vec(f)?;
            if !body.seen.insert(key) {
                body.duplicates += 1;
                continue;
            }
            summary.add(f);
            tallies
                .controls
                .entry(f.tenant.clone())
                .or_default()
                .entry(f.controls[0].clone())
                .or_default()
                .add(&f.check.id, f.responsibility.owner, f.status);
            w.write_all(if body.first { b"\n" } else { b",\n" })?;
            body.first = false;
            w.write_all(&json)?;
        }
        summary.duplicates = body.duplicates;
        let controls = rollup(&tallies);
        let path = self.out.join("report.json");
        (|| -> anyhow::Result<()> {
            write!(w, "\n],\n\"run\":")?;
            serde_json::to_writer(&mut *w, &tail.run)?;
            write!(w, ",\n\"gaps\":")?;
            serde_json::to_writer(&mut *w, &tail.gaps)?;
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

/// The runtime's view of one target's side of the report.
///
/// Findings are serialized and written on a thread of the target's own, fed through a short
/// bounded queue, so that the plugin goes on scanning while its previous findings are written:
/// a target that runs alone (the last one, often) keeps two cores busy.
pub struct LaneSink {
    assembly: Arc<Assembly>,
    lane: usize,
    writer: Option<LaneWriter>,
    /// Findings not yet handed to the writer: they go in batches, since waking the writer for
    /// each finding would cost more than writing it.
    batch: Vec<Finding>,
}

struct LaneWriter {
    queue: std::sync::mpsc::SyncSender<Vec<Finding>>,
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
        if self.batch.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            self.writer = Some(self.spawn_writer()?);
        }
        let writer = self.writer.as_ref().ok_or("no report writer")?;
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if writer.queue.send(batch).is_err() {
            return Err(lock(&writer.error)
                .clone()
                .unwrap_or_else(|| "the report writer stopped".to_string()));
        }
        Ok(())
    }

    fn spawn_writer(&self) -> Result<LaneWriter, String> {
        let (queue, rx) = std::sync::mpsc::sync_channel::<Vec<Finding>>(QUEUE);
        let error = Arc::new(Mutex::new(None));
        let (assembly, lane, err) = (self.assembly.clone(), self.lane, error.clone());
        let thread = std::thread::Builder::new()
            .name(format!("report-writer-{lane}"))
            .spawn(move || {
                let mut buf = Vec::with_capacity(4096);
                for batch in rx {
                    for finding in batch {
                        buf.clear();
                        let written = serde_json::to_writer(&mut buf, &finding)
                            .map_err(|e| e.to_string())
                            .and_then(|()| assembly.accept(lane, &finding, &buf));
                        if let Err(e) = written {
                            lock(&err).get_or_insert(e);
                            // Dropping the receiver makes the sink's next send fail.
                            return;
                        }
                    }
                }
            })
            .map_err(|e| format!("cannot start the report writer: {e}"))?;
        Ok(LaneWriter {
            queue,
            thread,
            error,
        })
    }
}

impl FindingSink for LaneSink {
    fn accept(&mut self, finding: Finding) -> Result<(), String> {
        self.batch.push(finding);
        if self.batch.len() >= BATCH {
            self.hand_over()?;
        }
        Ok(())
    }

    fn finish(&mut self) {
        if let Err(e) = self.hand_over() {
            lock(&self.assembly.body).error.get_or_insert(e);
        }
        if let Some(w) = self.writer.take() {
            drop(w.queue);
            if w.thread.join().is_err() {
                lock(&self.assembly.body)
                    .error
                    .get_or_insert_with(|| "the report writer panicked".to_string());
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
        let id = demarc_core::id::finding_id("aws", "111122223333", "us-east-1", resource, check);
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
                "source": "s"}}
        }))
        .expect("a valid finding")
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
        let lanes =
            [("a", "aws"), ("b", "aws"), ("c", "aws")].map(|(t, p)| (t.to_string(), p.to_string()));
        let asm = Assembly::begin(dir.path(), &[], &lanes).unwrap();
        let (mut s0, mut s1, mut s2) = (asm.sink(0), asm.sink(1), asm.sink(2));
        s2.accept(finding("c", "c1", "k1", "fail")).unwrap();
        s1.accept(finding("b", "b1", "k1", "pass")).unwrap();
        s0.accept(finding("a", "a1", "k1", "fail")).unwrap();
        // The same id as a1: dropped, because target a comes first in plan order.
        s2.accept(finding("a", "a1", "k1", "fail")).unwrap();
        s2.finish();
        s1.accept(finding("b", "b2", "k2", "fail")).unwrap();
        s0.accept(finding("a", "a2", "k1", "pass")).unwrap();
        s0.finish();
        // b is now the frontier and writes directly.
        s1.accept(finding("b", "b3", "k2", "manual")).unwrap();
        s1.accept(finding("b", "b3", "k2", "manual")).unwrap();
        s1.finish();
        let tail = Tail {
            run: run(),
            gaps: Vec::new(),
        };
        let (summary, _) = asm
            .complete(&tail, &[], |t| {
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
}
