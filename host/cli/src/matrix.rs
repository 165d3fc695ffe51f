//! `demarc matrix`: the customer responsibility matrix (CRM) of one tenant for one framework,
//! read from a report's control roll-up: every requirement, its owner, its status and the
//! evidence, then every requirement with no owner or no evidence listed as a gap. The provider
//! attestations the rows rely on are listed once, numbered, and the rows cite them by number.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use demarc_core::Report;
use demarc_core::rollup::{AttestationRecord, ControlRow, RollupStatus};

/// Output format of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MatrixFormat {
    /// An aligned terminal table.
    Table,
    /// RFC 4180 CSV, one row per requirement.
    Csv,
    /// A JSON object with the rows and the gaps.
    Json,
}

/// Order requirement ids the way people read them: `A.5.9` before `A.5.15`, `1.4` before `1.10`.
fn natural_key(s: &str) -> Vec<(u8, u64, String)> {
    let mut out = Vec::new();
    let mut num = String::new();
    let mut text = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            if !text.is_empty() {
                out.push((1, 0, std::mem::take(&mut text)));
            }
            num.push(ch);
        } else {
            if !num.is_empty() {
                out.push((0, num.parse().unwrap_or(u64::MAX), String::new()));
                num.clear();
            }
            text.push(ch);
        }
    }
    if !num.is_empty() {
        out.push((0, num.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !text.is_empty() {
        out.push((1, 0, text));
    }
    out
}

/// The rows of `tenant` × `framework`, in requirement order.
pub fn rows<'a>(report: &'a Report, tenant: &str, framework: &str) -> Vec<&'a ControlRow> {
    let mut rows: Vec<&ControlRow> = report
        .controls
        .iter()
        .filter(|r| r.tenant == tenant && r.framework == framework)
        .collect();
    rows.sort_by_key(|r| natural_key(&r.requirement));
    rows
}

fn owner_text(r: &ControlRow) -> String {
    if r.parties.is_empty() {
        r.owner.as_str().to_string()
    } else {
        format!("{} ({})", r.owner.as_str(), r.parties.join(", "))
    }
}

/// The provider attestations cited by `rows`, in id order, numbered from 1, with their record
/// in the report (absent for a report that does not describe them).
fn cited<'a>(
    report: &'a Report,
    rows: &[&ControlRow],
) -> Vec<(String, Option<&'a AttestationRecord>)> {
    let ids: std::collections::BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.attestations.iter().map(String::as_str))
        .collect();
    ids.into_iter()
        .map(|id| {
            let rec = report.run.provider_attestations.iter().find(|a| a.id == id);
            (id.to_string(), rec)
        })
        .collect()
}

fn describe(id: &str, rec: Option<&AttestationRecord>) -> String {
    match rec {
        Some(a) => format!(
            "{id} — {}: {}; period {} to {}; valid until {}; {}",
            a.provider, a.title, a.period_start, a.period_end, a.expires, a.source
        ),
        None => format!("{id} (not described in this report)"),
    }
}

/// Render the matrix.
pub fn render(
    report: &Report,
    tenant: &str,
    framework: &str,
    format: MatrixFormat,
) -> anyhow::Result<String> {
    let rows = rows(report, tenant, framework);
    let gaps: Vec<&&ControlRow> = rows.iter().filter(|r| r.gap.is_some()).collect();
    let cited = cited(report, &rows);
    let number = |id: &str| cited.iter().position(|(c, _)| c == id).map_or(0, |i| i + 1);
    let refs = |r: &ControlRow| {
        r.attestations
            .iter()
            .map(|id| format!("[{}]", number(id)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match format {
        MatrixFormat::Json => {
            let value = serde_json::json!({
                "tenant": tenant,
                "framework": framework,
                "requirements": rows,
                "attestations": cited.iter().map(|(id, rec)| match rec {
                    Some(a) => serde_json::to_value(a).unwrap_or_default(),
                    None => serde_json::json!({ "id": id }),
                }).collect::<Vec<_>>(),
                "gaps": gaps.iter().map(|r| serde_json::json!({
                    "requirement": r.requirement,
                    "owner": r.owner,
                    "status": r.status,
                    "gap": r.gap,
                })).collect::<Vec<_>>(),
            });
            Ok(serde_json::to_string_pretty(&value)? + "\n")
        }
        MatrixFormat::Csv => {
            let mut out = String::from(
                "requirement,controls,owner,parties,status,evidence,attestations,gap,checks\n",
            );
            for r in &rows {
                let fields = [
                    r.requirement.clone(),
                    r.controls.join(" "),
                    r.owner.as_str().to_string(),
                    r.parties.join("; "),
                    r.status.as_str().to_string(),
                    r.evidence.join(" | "),
                    r.attestations.join("; "),
                    r.gap.clone().unwrap_or_default(),
                    r.checks.join(" "),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
            Ok(out)
        }
        MatrixFormat::Table => {
            let mut out = String::new();
            let title = report
                .tenants
                .iter()
                .find(|t| t.id == tenant)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| tenant.to_string());
            let _ = writeln!(
                out,
                "Customer responsibility matrix — {title} ({tenant}) — {framework}"
            );
            let _ = writeln!(
                out,
                "reference date {}; {} requirements",
                report.run.now,
                rows.len()
            );
            let _ = writeln!(out);
            if !cited.is_empty() {
                let _ = writeln!(
                    out,
                    "provider attestations (cited by number in the `provider` column; each covers the provider's side only):"
                );
                for (i, (id, rec)) in cited.iter().enumerate() {
                    let _ = writeln!(out, "  [{}] {}", i + 1, describe(id, *rec));
                }
                let _ = writeln!(out);
            }
            let wref = rows.iter().map(|r| refs(r).len()).max().unwrap_or(8).max(8);
            let wreq = rows
                .iter()
                .map(|r| r.requirement.len())
                .max()
                .unwrap_or(11)
                .max(11);
            let wown = rows
                .iter()
                .map(|r| owner_text(r).len())
                .max()
                .unwrap_or(5)
                .max(5);
            let _ = writeln!(
                out,
                "{:<wreq$}  {:<wown$}  {:<12}  {:<wref$}  evidence",
                "requirement", "owner", "status", "provider"
            );
            let _ = writeln!(out, "{}", "-".repeat(wreq + wown + 12 + wref + 8 + 40));
            for r in &rows {
                for (i, ev) in r.evidence.iter().enumerate() {
                    if i == 0 {
                        let _ = writeln!(
                            out,
                            "{:<wreq$}  {:<wown$}  {:<12}  {:<wref$}  {ev}",
                            r.requirement,
                            owner_text(r),
                            r.status.as_str(),
                            refs(r)
                        );
                    } else {
                        let _ = writeln!(
                            out,
                            "{:<wreq$}  {:<wown$}  {:<12}  {:<wref$}  {ev}",
                            "", "", "", ""
                        );
                    }
                }
            }
            let _ = writeln!(out);
            let mut counts: Vec<(RollupStatus, usize)> = Vec::new();
            for r in &rows {
                match counts.iter_mut().find(|(s, _)| *s == r.status) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((r.status, 1)),
                }
            }
            counts.sort();
            let _ = writeln!(
                out,
                "status: {}",
                counts
                    .iter()
                    .map(|(s, n)| format!("{n} {}", s.as_str()))
                    .collect::<Vec<_>>()
                    .join(" · ")
            );
            if gaps.is_empty() {
                let _ = writeln!(
                    out,
                    "gaps: none — every requirement has an owner and evidence"
                );
            } else {
                let _ = writeln!(out, "gaps: {} requirement(s) without evidence:", gaps.len());
                for r in &gaps {
                    let _ = writeln!(
                        out,
                        "  {} [{}] {}",
                        r.requirement,
                        r.status.as_str(),
                        r.gap.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(out)
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Read a report for the matrix.
pub fn read_report(path: &Path) -> anyhow::Result<Report> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a demarc report", path.display()))?;
    anyhow::ensure!(
        report.schema == demarc_core::report::REPORT_SCHEMA,
        "{}: its format is `{}`, and this demarc reads `{}`: scan again",
        path.display(),
        report.schema,
        demarc_core::report::REPORT_SCHEMA
    );
    report.resolve();
    Ok(report)
}
