//! Writing the report without holding it: each target's findings are spilled to a file as
//! they arrive, with a small record per finding (id key and the parts the summary needs); at
//! the end the findings are copied, in plan order and without duplicates, into `report.json`
//! between the head and the tail, which are serialized from the report model's own types.
//!
//! Memory is bounded by those records (about 32 bytes a finding), not by the findings.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use demarc_core::report::{REPORT_SCHEMA, Run, TenantInfo};
use demarc_core::summary::Summary;
use demarc_core::{Finding, Gap, Owner, Severity, Status};
use demarc_runtime::FindingSink;

/// What the summary needs of one spilled finding.
#[derive(Debug, Clone, Copy)]
struct Record {
    key: u128,
    owner: Owner,
    status: Status,
    severity: Severity,
}

/// One target's spill file and records.
pub struct Spill {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    records: Vec<Record>,
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
        spill.records.push(Record {
            key,
            owner: finding.responsibility.owner,
            status: finding.status,
            severity: finding.check.severity,
        });
        spill
            .writer
            .as_mut()
            .ok_or("spill already closed")?
            .write_all(&spill.buf)
            .map_err(|e| format!("cannot write {}: {e}", spill.path.display()))
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

/// Write `report.json` into `out` from the spills in plan order; returns the summary.
pub fn write_report(
    out: &Path,
    head: &Head,
    spills: &[Arc<Mutex<Spill>>],
) -> anyhow::Result<Summary> {
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
            w.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            w.write_all(&line[..line.len() - 1])?;
        }
        drop(reader);
        let _ = std::fs::remove_file(&spill.path);
        spill.records = Vec::new();
    }
    write!(w, "\n],\n\"gaps\":")?;
    serde_json::to_writer(&mut w, &head.gaps)?;
    write!(w, ",\n\"summary\":")?;
    serde_json::to_writer(&mut w, &summary)?;
    writeln!(w, "}}")?;
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(summary)
}
