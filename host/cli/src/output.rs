//! Writing the report without holding it: each target's findings are spilled to a file as
//! they arrive, with a small record per finding (id key and the parts the summary needs); at
//! the end the findings are copied, in plan order and without duplicates, into `report.json`
//! between the head and the tail, which are serialized from the report model's own types.
//!
//! Memory is bounded by those records (about 32 bytes a finding), not by the findings.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use demarc_core::report::{REPORT_SCHEMA, Run, TenantInfo};
use demarc_core::rollup::{ControlRow, ControlTally};
use demarc_core::summary::Summary;
use demarc_core::{Finding, Gap, Owner, ServiceModel, Severity, Status};
use demarc_runtime::FindingSink;

/// What the summary and the roll-up need of one spilled finding.
#[derive(Debug, Clone, Copy)]
struct Record {
    key: u128,
    owner: Owner,
    status: Status,
    severity: Severity,
    model: ServiceModel,
    /// Index into the spill's check table.
    check: u32,
}

/// One target's spill file and records.
pub struct Spill {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    records: Vec<Record>,
    checks: Vec<(String, Vec<String>)>,
    check_index: HashMap<String, u32>,
    buf: Vec<u8>,
    /// Tenant of the target.
    pub tenant: String,
    /// Provider of the target.
    pub provider: String,
}

impl Spill {
    /// A spill file at `path` for a target of `tenant` on `provider`.
    pub fn create(
        path: PathBuf,
        tenant: &str,
        provider: &str,
    ) -> anyhow::Result<Arc<Mutex<Spill>>> {
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Arc::new(Mutex::new(Spill {
            path,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
            records: Vec::new(),
            checks: Vec::new(),
            check_index: HashMap::new(),
            buf: Vec::with_capacity(4096),
            tenant: tenant.to_string(),
            provider: provider.to_string(),
        })))
    }
}

/// The runtime's view of a spill: a sink that writes each finding as one JSON line.
pub struct SpillSink(pub Arc<Mutex<Spill>>);

impl FindingSink for SpillSink {
    fn accept(&mut self, finding: Finding) -> Result<(), String> {
        let mut spill = self
            .0
            .lock()
            .map_err(|_| "spill lock poisoned".to_string())?;
        let spill = &mut *spill;
        spill.buf.clear();
        serde_json::to_writer(&mut spill.buf, &finding).map_err(|e| e.to_string())?;
        spill.buf.push(b'\n');
        let key = demarc_core::id::parse_key(&finding.id).ok_or("finding id is not a key")?;
        let check = match spill.check_index.get(&finding.check.id) {
            Some(i) => *i,
            None => {
                let i = spill.checks.len() as u32;
                spill
                    .checks
                    .push((finding.check.id.clone(), finding.controls.clone()));
                spill.check_index.insert(finding.check.id.clone(), i);
                i
            }
        };
        spill.records.push(Record {
            key,
            owner: finding.responsibility.owner,
            status: finding.status,
            severity: finding.check.severity,
            model: finding.responsibility.service_model,
            check,
        });
        spill
            .writer
            .as_mut()
            .ok_or("spill already closed")?
            .write_all(&spill.buf)
            .map_err(|e| format!("cannot write {}: {e}", spill.path.display()))
    }
}

/// Per tenant: findings by control, and the (provider, service model) pairs they touch.
#[derive(Debug, Default)]
pub struct Tallies {
    /// Tenant → control → tally.
    pub controls: BTreeMap<String, BTreeMap<String, ControlTally>>,
    /// Tenant → footprint.
    pub footprint: BTreeMap<String, BTreeSet<(String, ServiceModel)>>,
}

impl Tallies {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        tenant: &str,
        provider: &str,
        model: ServiceModel,
        check: &str,
        controls: &[String],
        owner: Owner,
        status: Status,
    ) {
        let by_control = self.controls.entry(tenant.to_string()).or_default();
        for c in controls {
            by_control
                .entry(c.clone())
                .or_default()
                .add(check, owner, status);
        }
        self.footprint
            .entry(tenant.to_string())
            .or_default()
            .insert((provider.to_string(), model));
    }
}

/// Everything of the report but its findings and summary.
pub struct Head {
    /// Run metadata.
    pub run: Run,
    /// Tenants.
    pub tenants: Vec<TenantInfo>,
    /// Gaps.
    pub gaps: Vec<Gap>,
}

/// Write `report.json` into `out`: the findings of the spills in plan order, then `extra`
/// findings (made by the host, e.g. overdue attestations), then the control roll-up that
/// `rollup` computes from the tallies of those findings. Returns the summary and the roll-up.
pub fn write_report(
    out: &Path,
    head: &Head,
    spills: &[Arc<Mutex<Spill>>],
    extra: &[Finding],
    rollup: impl FnOnce(&Tallies) -> Vec<ControlRow>,
) -> anyhow::Result<(Summary, Vec<ControlRow>)> {
    let mut tallies = Tallies::default();
    let mut summary = Summary::default();
    for g in &head.gaps {
        summary.add_gap(g);
    }
    let path = out.join("report.json");
    let tmp = out.join(".report.json.tmp");
    let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write!(w, "{{\"schema\":")?;
    serde_json::to_writer(&mut w, REPORT_SCHEMA)?;
    write!(w, ",\n\"run\":")?;
    serde_json::to_writer(&mut w, &head.run)?;
    write!(w, ",\n\"tenants\":")?;
    serde_json::to_writer(&mut w, &head.tenants)?;
    write!(w, ",\n\"findings\":[")?;
    let mut seen: HashSet<u128> = HashSet::new();
    let mut first = true;
    let mut line = Vec::with_capacity(4096);
    for spill in spills {
        let mut spill = spill
            .lock()
            .map_err(|_| anyhow::anyhow!("spill lock poisoned"))?;
        if let Some(mut wr) = spill.writer.take() {
            wr.flush()
                .with_context(|| format!("cannot write {}", spill.path.display()))?;
        }
        let file = File::open(&spill.path)
            .with_context(|| format!("cannot read {}", spill.path.display()))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        for rec in &spill.records {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            anyhow::ensure!(
                n > 0,
                "spill {} is shorter than its records",
                spill.path.display()
            );
            if !seen.insert(rec.key) {
                summary.duplicates += 1;
                continue;
            }
            summary.add_parts(
                &spill.tenant,
                &spill.provider,
                rec.owner,
                rec.status,
                rec.severity,
            );
            let (check, controls) = &spill.checks[rec.check as usize];
            tallies.add(
                &spill.tenant,
                &spill.provider,
                rec.model,
                check,
                controls,
                rec.owner,
                rec.status,
            );
            w.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            w.write_all(&line[..line.len() - 1])?;
        }
        drop(reader);
        let _ = std::fs::remove_file(&spill.path);
        spill.records = Vec::new();
    }
    for f in extra {
        let key = demarc_core::id::parse_key(&f.id).unwrap_or_default();
        if !seen.insert(key) {
            summary.duplicates += 1;
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
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        serde_json::to_writer(&mut w, f)?;
    }
    let controls = rollup(&tallies);
    write!(w, "\n],\n\"gaps\":")?;
    serde_json::to_writer(&mut w, &head.gaps)?;
    write!(w, ",\n\"controls\":[")?;
    for (i, row) in controls.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut w, row)?;
    }
    write!(w, "\n]")?;
    write!(w, ",\n\"summary\":")?;
    serde_json::to_writer(&mut w, &summary)?;
    writeln!(w, "}}")?;
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok((summary, controls))
}
