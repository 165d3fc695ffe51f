//! Posture over time: `demarc scan --history FILE` records each run in an embedded SQLite
//! database, `demarc history` lists the runs, diffs any two and prints each tenant's trend, and
//! the HTML report shows that trend.
//!
//! The database holds, per run, its metadata (estate, tool, start, end, reference time, shard,
//! the sha256 of its `report.json`), its tenants and targets with their outcomes, and per
//! finding id its tenant, target, check, resource, status, owner, severity and whether a
//! suppression accepted it. A run is recorded in one transaction from the written
//! `report.json`, streamed: a report that cannot be read whole leaves nothing behind. Recording the same `report.json` twice (same digest) records it
//! once and says so. The database carries its format in `meta`; a file that is not a demarc
//! history, or one of a newer format, is refused with its path.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use demarc_core::trend::{TenantPoint, Trend, TrendRun};
use demarc_core::{Owner, Severity, Status};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::diff::{Diff, Differ, Entry};

/// The format of the database this build writes and reads.
pub const FORMAT: &str = "demarc.history/1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id            INTEGER PRIMARY KEY,
    estate        TEXT NOT NULL,
    tool          TEXT NOT NULL,
    started       TEXT NOT NULL,
    finished      TEXT NOT NULL,
    now           TEXT NOT NULL,
    shard         TEXT,
    report_sha256 TEXT NOT NULL UNIQUE,
    findings      INTEGER NOT NULL,
    gaps          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS run_tenants (
    run    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tenant TEXT NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (run, tenant)
);
CREATE TABLE IF NOT EXISTS run_targets (
    run       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tenant    TEXT NOT NULL,
    target    TEXT NOT NULL,
    provider  TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    resources INTEGER NOT NULL,
    findings  INTEGER NOT NULL,
    PRIMARY KEY (run, tenant, target)
);
CREATE TABLE IF NOT EXISTS findings (
    run      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    tenant   TEXT NOT NULL,
    target   TEXT NOT NULL,
    check_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    status   TEXT NOT NULL,
    owner    TEXT NOT NULL,
    severity TEXT NOT NULL,
    suppressed INTEGER NOT NULL,
    PRIMARY KEY (run, id)
) WITHOUT ROWID;
";

/// A history database.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

/// One recorded run, as `demarc history list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRow {
    /// The run's number in this database.
    pub run: i64,
    /// Estate name.
    pub estate: String,
    /// demarc version that ran it.
    pub tool: String,
    /// When it started and finished (RFC 3339).
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// The shard it covered, if sharded.
    pub shard: Option<String>,
    /// Tenants it covered.
    pub tenants: Vec<String>,
    /// Findings it reported.
    pub findings: u64,
    /// Failing findings.
    pub failing: u64,
    /// Gaps (losses of coverage).
    pub gaps: u64,
    /// sha256 of its report.json.
    pub report_sha256: String,
}

/// What recording a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded as this run.
    New(i64),
    /// The same report.json was already recorded as this run; nothing was added.
    Already(i64),
}

fn parse_word<T: serde::de::DeserializeOwned>(word: &str, what: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(word.to_string()))
        .with_context(|| format!("`{word}` is not a {what}"))
}

impl History {
    /// Open the database at `path`, creating it (and its tables) when it does not exist.
    pub fn open(path: &Path) -> anyhow::Result<History> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the history database {}", path.display()))?;
        let h = History {
            conn,
            path: path.to_path_buf(),
        };
        h.init()
            .with_context(|| format!("{} is not a demarc history database", path.display()))?;
        Ok(h)
    }

    /// Open an existing database; a missing file is an error (reading never creates one).
    pub fn open_existing(path: &Path) -> anyhow::Result<History> {
        if !path.is_file() {
            bail!("no history database at {}", path.display());
        }
        History::open(path)
    }

    fn init(&self) -> anyhow::Result<()> {
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.busy_timeout(std::time::Duration::from_secs(30))?;
        self.conn.execute_batch(SCHEMA)?;
        let format: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match format {
            None => {
                self.conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('format', ?1)",
                    params![FORMAT],
                )?;
            }
            Some(f) if f == FORMAT => {}
            Some(f) => bail!("its format is `{f}`; this demarc reads `{FORMAT}`"),
        }
        Ok(())
    }

    /// Record the run of the `report.json` at `report`.
    pub fn record(&mut self, report: &Path) -> anyhow::Result<Recorded> {
        let digest = file_sha256(report)?;
        if let Some(n) = self
            .conn
            .query_row(
                "SELECT id FROM runs WHERE report_sha256 = ?1",
                params![digest],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(Recorded::Already(n));
        }
        let open = || -> anyhow::Result<_> {
            let f = std::fs::File::open(report)
                .with_context(|| format!("cannot open {}", report.display()))?;
            Ok(std::io::BufReader::with_capacity(1 << 20, f))
        };
        let (frame, count) = demarc_report::stream::read_frame(open()?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", report.display()))?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO runs (estate, tool, started, finished, now, shard, report_sha256, findings, gaps)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                frame.run.estate,
                frame.run.tool,
                frame.run.started,
                frame.run.finished,
                frame.run.now,
                frame.run.shard,
                digest,
                count as i64,
                frame.gaps.len() as i64
            ],
        )?;
        let run = tx.last_insert_rowid();
        {
            let mut tenant =
                tx.prepare("INSERT INTO run_tenants (run, tenant, name) VALUES (?1, ?2, ?3)")?;
            for t in &frame.tenants {
                tenant.execute(params![run, t.id, t.name])?;
            }
            let mut target = tx.prepare(
                "INSERT OR REPLACE INTO run_targets (run, tenant, target, provider, outcome, resources, findings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for t in &frame.run.targets {
                target.execute(params![
                    run,
                    t.tenant,
                    t.target,
                    t.provider,
                    t.outcome,
                    t.resources as i64,
                    t.findings as i64
                ])?;
            }
            let mut finding = tx.prepare(
                "INSERT OR REPLACE INTO findings (run, id, tenant, target, check_id, resource, status, owner, severity, suppressed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            // A database error stops the stream; it is reported as itself, not as a read error.
            let mut failed: Option<rusqlite::Error> = None;
            let read = demarc_report::stream::for_each_finding(open()?, |f| {
                let row = finding.execute(params![
                    run,
                    f.id,
                    f.tenant,
                    f.target,
                    f.check.id,
                    f.resource.id,
                    f.status.as_str(),
                    f.responsibility.owner.as_str(),
                    f.check.severity.as_str(),
                    f.is_suppressed()
                ]);
                match row {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        failed = Some(e);
                        Err(demarc_report::Error::Io {
                            format: demarc_report::Format::Json,
                            source: std::io::Error::other("the history database refused a row"),
                        })
                    }
                }
            });
            if let Some(e) = failed {
                return Err(e).with_context(|| format!("cannot write {}", self.path.display()));
            }
            read.map_err(|e| anyhow::anyhow!("{}: {e}", report.display()))?;
        }
        tx.commit()
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(Recorded::New(run))
    }

    /// Every recorded run, oldest first.
    pub fn runs(&self) -> anyhow::Result<Vec<RunRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.estate, r.tool, r.started, r.finished, r.shard, r.findings, r.gaps,
                    r.report_sha256,
                    (SELECT COUNT(*) FROM findings f WHERE f.run = r.id AND f.status = 'fail')
             FROM runs r ORDER BY r.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(RunRow {
                run: r.get(0)?,
                estate: r.get(1)?,
                tool: r.get(2)?,
                started: r.get(3)?,
                finished: r.get(4)?,
                shard: r.get(5)?,
                findings: r.get::<_, i64>(6)? as u64,
                gaps: r.get::<_, i64>(7)? as u64,
                report_sha256: r.get(8)?,
                failing: r.get::<_, i64>(9)? as u64,
                tenants: Vec::new(),
            })
        })?;
        let mut out = rows.collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self
            .conn
            .prepare("SELECT tenant FROM run_tenants WHERE run = ?1 ORDER BY tenant")?;
        for row in &mut out {
            row.tenants = stmt
                .query_map(params![row.run], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
        }
        Ok(out)
    }

    /// The run numbered `n`, or an error naming the runs there are.
    fn run(&self, n: i64) -> anyhow::Result<RunRow> {
        let runs = self.runs()?;
        let known: Vec<String> = runs.iter().map(|r| r.run.to_string()).collect();
        runs.into_iter().find(|r| r.run == n).ok_or_else(|| {
            anyhow::anyhow!(
                "{} has no run {n} (recorded: {})",
                self.path.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
    }

    /// A run given as a number, `last`, or `last-K` (K runs before the last).
    pub fn resolve(&self, spec: &str) -> anyhow::Result<i64> {
        let runs = self.runs()?;
        let back = match spec.strip_prefix("last") {
            Some("") => Some(0),
            Some(rest) => Some(
                rest.strip_prefix('-')
                    .and_then(|k| k.parse::<usize>().ok())
                    .with_context(|| {
                        format!("`{spec}`: expected a run number, `last` or `last-K`")
                    })?,
            ),
            None => None,
        };
        match back {
            Some(k) => runs
                .len()
                .checked_sub(k + 1)
                .map(|i| runs[i].run)
                .with_context(|| {
                    format!(
                        "`{spec}`: {} holds {} run(s)",
                        self.path.display(),
                        runs.len()
                    )
                }),
            None => {
                let n: i64 = spec.parse().with_context(|| {
                    format!("`{spec}`: expected a run number, `last` or `last-K`")
                })?;
                Ok(self.run(n)?.run)
            }
        }
    }

    fn entries(&self, run: i64) -> anyhow::Result<Vec<Entry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, tenant, target, check_id, resource, status, owner, severity, suppressed
             FROM findings WHERE run = ?1",
        )?;
        let rows = stmt.query_map(params![run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, bool>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, tenant, target, check, resource, status, owner, severity, suppressed) = row?;
            out.push(Entry {
                status: parse_word::<Status>(&status, "status")?,
                owner: parse_word::<Owner>(&owner, "owner")?,
                severity: Severity::parse(&severity)
                    .with_context(|| format!("`{severity}` is not a severity"))?,
                id,
                tenant,
                target,
                check,
                resource,
                suppressed,
            });
        }
        Ok(out)
    }

    /// What changed from run `old` to run `new`, as `demarc diff` says it of two reports.
    pub fn diff(&self, old: i64, new: i64) -> anyhow::Result<Diff> {
        let (old_row, new_row) = (self.run(old)?, self.run(new)?);
        let before: HashMap<String, Entry> = self
            .entries(old)?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        let mut differ = Differ::new(old_row.finished, new_row.finished, before);
        for e in self.entries(new)? {
            differ.add(e);
        }
        let mut stmt = self.conn.prepare(
            "SELECT tenant, target FROM run_targets WHERE run = ?1 AND outcome = 'complete'",
        )?;
        let complete: BTreeSet<(String, String)> = stmt
            .query_map(params![new], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(differ.finish(&complete))
    }

    /// Each tenant's figures in every recorded run, oldest first; only `tenants` when not
    /// empty, and only the last `last` runs when given.
    pub fn trend(&self, tenants: &[String], last: Option<usize>) -> anyhow::Result<Trend> {
        let mut runs: Vec<TrendRun> = self
            .runs()?
            .into_iter()
            .map(|r| TrendRun {
                run: r.run,
                finished: r.finished,
                tenants: r
                    .tenants
                    .into_iter()
                    .filter(|t| tenants.is_empty() || tenants.contains(t))
                    .map(|t| (t, TenantPoint::default()))
                    .collect(),
            })
            .collect();
        if let Some(k) = last {
            let skip = runs.len().saturating_sub(k);
            runs.drain(..skip);
        }
        let mut stmt = self.conn.prepare(
            "SELECT tenant, status, owner, severity, COUNT(*) FROM findings WHERE run = ?1
             GROUP BY tenant, status, owner, severity",
        )?;
        for run in &mut runs {
            let rows = stmt.query_map(params![run.run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)? as u64,
                ))
            })?;
            for row in rows {
                let (tenant, status, owner, severity, n) = row?;
                let Some(p) = run.tenants.get_mut(&tenant) else {
                    continue;
                };
                match status.as_str() {
                    "pass" => p.pass += n,
                    "fail" => {
                        p.fail += n;
                        *p.failing_by_owner.entry(owner).or_default() += n;
                        *p.failing_by_severity.entry(severity).or_default() += n;
                    }
                    _ => p.other += n,
                }
            }
        }
        Ok(Trend { runs })
    }
}

fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The runs as a text table.
pub fn runs_text(runs: &[RunRow]) -> String {
    let mut s = String::new();
    if runs.is_empty() {
        s.push_str("no run recorded\n");
        return s;
    }
    let _ = writeln!(
        s,
        "{:>4}  {:<25}  {:>8}  {:>7}  {:>4}  tenants",
        "run", "finished", "findings", "failing", "gaps"
    );
    for r in runs {
        let _ = writeln!(
            s,
            "{:>4}  {:<25}  {:>8}  {:>7}  {:>4}  {}{}",
            r.run,
            r.finished,
            r.findings,
            r.failing,
            r.gaps,
            r.tenants.join(", "),
            r.shard
                .as_ref()
                .map(|x| format!(" (shard {x})"))
                .unwrap_or_default()
        );
    }
    s
}

/// The trend as Markdown: per tenant, one row per run.
pub fn trend_markdown(t: &Trend) -> String {
    let mut s = String::from("# Posture over time\n");
    if t.runs.is_empty() {
        s.push_str("\nNo run recorded.\n");
        return s;
    }
    for tenant in t.tenants() {
        let _ = writeln!(
            s,
            "\n## {tenant}\n\n| run | finished | pass rate | failing | by owner | by severity |\n|---|---|---|---|---|---|"
        );
        for r in &t.runs {
            let Some(p) = r.tenants.get(tenant) else {
                let _ = writeln!(s, "| {} | {} | not scanned | | | |", r.run, r.finished);
                continue;
            };
            let rate = p
                .pass_rate()
                .map_or("–".to_string(), |x| format!("{:.0}%", x * 100.0));
            let join = |m: &BTreeMap<String, u64>| {
                let mut parts: Vec<(&String, &u64)> = m.iter().collect();
                // Severities worst first; owners in their own order.
                parts.sort_by_key(|(k, _)| std::cmp::Reverse(Severity::parse(k)));
                parts
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                s,
                "| {} | {} | {rate} | {} | {} | {} |",
                r.run,
                r.finished,
                p.fail,
                join(&p.failing_by_owner),
                join(&p.failing_by_severity)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_history_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("notes.db");
        std::fs::write(
            &p,
            "this is not SQLite, it is a text file of forty bytes or more",
        )
        .unwrap();
        let e = History::open(&p).err().expect("refused");
        assert!(format!("{e:#}").contains("notes.db"), "{e:#}");
    }

    #[test]
    fn a_newer_format_is_refused_and_reading_never_creates_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.db");
        assert!(History::open_existing(&p).is_err());
        assert!(!p.exists());
        History::open(&p).unwrap();
        let c = Connection::open(&p).unwrap();
        c.execute(
            "UPDATE meta SET value = 'demarc.history/9' WHERE key = 'format'",
            [],
        )
        .unwrap();
        drop(c);
        let e = History::open_existing(&p).err().expect("refused");
        assert!(format!("{e:#}").contains("demarc.history/9"), "{e:#}");
    }

    #[test]
    fn run_specs_resolve_against_the_recorded_runs() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open(&dir.path().join("h.db")).unwrap();
        assert!(h.resolve("last").is_err());
        for (i, digest) in ["a", "b", "c"].iter().enumerate() {
            h.conn
                .execute(
                    "INSERT INTO runs (estate, tool, started, finished, now, report_sha256, findings, gaps)
                     VALUES ('e', 't', 's', ?1, 'n', ?2, 0, 0)",
                    params![format!("f{i}"), digest],
                )
                .unwrap();
        }
        assert_eq!(h.resolve("last").unwrap(), 3);
        assert_eq!(h.resolve("last-2").unwrap(), 1);
        assert!(h.resolve("last-3").is_err());
        assert_eq!(h.resolve("2").unwrap(), 2);
        let e = h.resolve("7").unwrap_err();
        assert!(format!("{e:#}").contains("recorded: 1, 2, 3"), "{e:#}");
        assert!(h.resolve("latest").is_err());
    }
}
