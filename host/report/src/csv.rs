//! `report.csv`: one row per finding, in report order, for spreadsheets and quick filtering.
//!
//! RFC 4180 through the `csv` crate: comma-separated, CRLF line ends, a header row, fields quoted
//! when they hold a comma, quote or line break, quotes doubled. The column order is stable and
//! documented in [`COLUMNS`]; new columns are only ever appended. Empty cells mean "absent".
//! Multi-valued cells: `controls` joins catalog ids with `;` (ids never contain it); `evidence`
//! and `tags` are JSON arrays of `[key, value]` pairs, which keep order, duplicates and any
//! character unambiguous; `verdicts`, of a finding fused across tools, is a JSON array of
//! `[tool, status]` pairs, and `contradiction` is `true` when those disagree (pass and fail).
//!
//! Other tools' findings whose check maps to no catalog control (`report.json`'s `unmapped`)
//! follow the findings, one row each, with `unmapped` `true`: they have no owner, controls or
//! must-act party (those cells are empty), since an owner is a control's.
//!
//! Formula injection: resource names, tags and messages come from the scanned cloud, so a cell
//! that would start with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` (the
//! OWASP recommendation) so spreadsheets show it as text instead of evaluating it. Machine
//! consumers that need the exact value should read `findings.jsonl`.

use std::io::Write;

#[cfg(test)]
use demarc_core::Report;
use demarc_core::{Finding, UnmappedFinding};

/// The columns, in order.
pub const COLUMNS: [&str; 41] = [
    "finding_id",
    "tenant",
    "target",
    "provider",
    "account",
    "region",
    "resource_id",
    "resource_type",
    "resource_name",
    "check_id",
    "check_title",
    "severity",
    "status",
    "owner",
    "party",
    "sharing",
    "service_model",
    "layer",
    "basis_kind",
    "basis_entry",
    "basis_source",
    "controls",
    "message",
    "remediation",
    "evidence",
    "tags",
    "note",
    "observed_at",
    "plugin",
    "plugin_version",
    "plugin_sha256",
    "must_act",
    "must_act_name",
    "must_act_basis",
    "suppression",
    "suppression_status",
    "suppression_approved_by",
    "suppression_expires",
    "verdicts",
    "contradiction",
    "unmapped",
];

/// Write the header and one row per finding.
#[cfg(test)]
pub fn render(report: &Report, out: &mut dyn Write) -> Result<(), ::csv::Error> {
    let mut w = writer(out)?;
    for f in &report.findings {
        record(&mut w, f)?;
    }
    unmapped(&mut w, &report.unmapped)?;
    w.flush()?;
    Ok(())
}

/// A CSV writer that has written the header row.
pub fn writer<W: Write>(out: W) -> Result<::csv::Writer<W>, ::csv::Error> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(COLUMNS)?;
    Ok(w)
}

/// Write the row of one finding.
pub fn record<W: Write>(w: &mut ::csv::Writer<W>, f: &Finding) -> Result<(), ::csv::Error> {
    w.write_record(row(f).iter().map(|c| neutralize(c).into_owned()))
}

/// Write the rows of other tools' findings that map to no control.
pub fn unmapped<W: Write>(
    w: &mut ::csv::Writer<W>,
    unmapped: &[UnmappedFinding],
) -> Result<(), ::csv::Error> {
    for f in unmapped {
        // Cell by column name: the attribution's columns (owner, controls, must-act, basis,
        // suppression, verdicts) stay empty.
        let cells = COLUMNS.map(|column| match column {
            "finding_id" => f.id.clone(),
            "tenant" => f.tenant.clone(),
            "target" => f.target.clone(),
            "provider" => f.provider.clone(),
            "account" => f.account.clone(),
            "region" => f.region.clone(),
            "resource_id" => f.resource.id.clone(),
            "resource_type" => f.resource.native_type.clone(),
            "resource_name" => f.resource.name.clone().unwrap_or_default(),
            "check_id" => f.check.id.clone(),
            "check_title" => f.check.title.clone(),
            "severity" => f.check.severity.as_str().to_string(),
            "status" => f.status.as_str().to_string(),
            "message" => f.message.clone(),
            "evidence" => pairs(
                f.evidence
                    .iter()
                    .map(|e| (e.key.as_str(), e.value.as_str())),
            ),
            "tags" => pairs(
                f.resource
                    .tags
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            ),
            "observed_at" => f.observed_at.clone().unwrap_or_default(),
            "plugin" => f.source.plugin.clone(),
            "plugin_version" => f.source.version.clone(),
            "unmapped" => "true".to_string(),
            _ => String::new(),
        });
        w.write_record(cells.iter().map(|c| neutralize(c).into_owned()))?;
    }
    Ok(())
}

fn kebab<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn pairs<'a>(it: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let v: Vec<[&str; 2]> = it.map(|(k, v)| [k, v]).collect();
    if v.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&v).unwrap_or_default()
    }
}

fn row(f: &Finding) -> [String; COLUMNS.len()] {
    let r = &f.responsibility;
    [
        f.id.clone(),
        f.tenant.clone(),
        f.target.clone(),
        f.provider.clone(),
        f.account.clone(),
        f.region.clone(),
        f.resource.id.clone(),
        f.resource.native_type.clone(),
        f.resource.name.clone().unwrap_or_default(),
        f.check.id.clone(),
        f.check.title.clone(),
        f.check.severity.as_str().to_string(),
        f.status.as_str().to_string(),
        r.owner.as_str().to_string(),
        r.party.clone().unwrap_or_default(),
        r.sharing.as_ref().map(kebab).unwrap_or_default(),
        r.service_model.as_str().to_string(),
        r.layer.as_str().to_string(),
        kebab(&r.basis.kind),
        r.basis.entry.clone(),
        r.basis.source.clone(),
        f.controls.join(";"),
        f.message.clone(),
        f.remediation.clone(),
        pairs(
            f.evidence
                .iter()
                .map(|e| (e.key.as_str(), e.value.as_str())),
        ),
        pairs(
            f.resource
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ),
        r.note.clone().unwrap_or_default(),
        f.observed_at.clone().unwrap_or_default(),
        f.source.plugin.clone(),
        f.source.version.clone(),
        f.source.sha256.clone(),
        f.must_act.party.as_str().to_string(),
        f.must_act.name.clone().unwrap_or_default(),
        f.must_act.basis.clone().unwrap_or_default(),
        f.suppression
            .as_ref()
            .map(|s| s.id.clone())
            .unwrap_or_default(),
        match &f.suppression {
            Some(s) if s.expired => "expired".to_string(),
            Some(_) => "suppressed".to_string(),
            None => String::new(),
        },
        f.suppression
            .as_ref()
            .map(|s| s.approved_by.clone())
            .unwrap_or_default(),
        f.suppression
            .as_ref()
            .map(|s| s.expires.clone())
            .unwrap_or_default(),
        pairs(
            f.verdicts
                .iter()
                .map(|v| (v.tool.as_str(), v.status.as_str())),
        ),
        if f.contradiction { "true" } else { "" }.to_string(),
        String::new(),
    ]
}

/// Prefix a cell that a spreadsheet would evaluate as a formula.
fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    fn rendered(r: &Report) -> String {
        let mut v = Vec::new();
        render(r, &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    fn records(text: &str) -> Vec<::csv::StringRecord> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn header_then_one_row_per_finding_in_the_documented_order() {
        let r = fixture::report();
        let text = rendered(&r);
        assert!(text.starts_with("finding_id,tenant,target,provider,account,region,resource_id,"));
        assert!(text.ends_with("\r\n"));
        let recs = records(&text);
        assert_eq!(recs.len(), r.findings.len() + 1);
        assert_eq!(recs[0].iter().collect::<Vec<_>>(), COLUMNS);
        for (rec, f) in recs[1..].iter().zip(&r.findings) {
            assert_eq!(rec.len(), COLUMNS.len());
            assert_eq!(&rec[0], f.id);
            assert_eq!(&rec[12], f.status.as_str());
            assert_eq!(&rec[13], f.responsibility.owner.as_str());
            assert_eq!(&rec[31], f.must_act.party.as_str());
            assert_eq!(&rec[32], f.must_act.name.as_deref().unwrap_or(""));
        }
        // A failing customer setting on a shared control: the control is shared, the customer
        // must act.
        assert!(
            recs[1..]
                .iter()
                .any(|rec| &rec[12] == "fail" && &rec[13] == "shared" && &rec[31] == "customer")
        );
    }

    #[test]
    fn quoting_round_trips_hostile_text() {
        let r = fixture::report();
        let recs = records(&rendered(&r));
        let bucket = recs
            .iter()
            .find(|rec| &rec[6] == "arn:aws:s3:::nw-public-assets")
            .unwrap();
        assert_eq!(&bucket[8], fixture::HOSTILE_NAME);
        assert!(bucket[22].contains("Principal \"*\" & public"));
        let tags: Vec<[String; 2]> = serde_json::from_str(&bucket[25]).unwrap();
        assert_eq!(tags[0], ["env".to_string(), "prod".to_string()]);
        // A multi-line message stays one field.
        let dev = recs
            .iter()
            .find(|rec| rec[6].ends_with("instances/dev-7"))
            .unwrap();
        assert!(dev[22].contains('\n'));
        let third = recs.iter().find(|rec| &rec[13] == "third-party").unwrap();
        assert_eq!(&third[14], "Bluefin Managed Security");
        assert_eq!(&third[18], "contract");
    }

    /// Other tools' findings that map to no control follow the findings, marked `unmapped`,
    /// with no owner, controls or must-act party; their text is neutralized like any other.
    #[test]
    fn unmapped_findings_follow_as_marked_rows_without_attribution() {
        let r = fixture::unmapped_report();
        let rows = records(&rendered(&r));
        assert_eq!(rows.len(), 1 + r.findings.len() + r.unmapped.len());
        let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
        for row in &rows[1..=r.findings.len()] {
            assert_eq!(&row[col("unmapped")], "");
            assert!(!row[col("owner")].is_empty());
        }
        let tail = &rows[1 + r.findings.len()..];
        for (row, f) in tail.iter().zip(&r.unmapped) {
            assert_eq!(&row[col("finding_id")], f.id);
            assert_eq!(&row[col("check_id")], f.check.id);
            assert_eq!(&row[col("status")], f.status.as_str());
            assert_eq!(&row[col("severity")], f.check.severity.as_str());
            assert_eq!(&row[col("plugin")], "import-aws");
            assert_eq!(&row[col("plugin_version")], "0.1.0");
            assert_eq!(&row[col("check_title")], f.check.title);
            assert_eq!(&row[col("resource_type")], "AwsGuardDutyDetector");
            assert_eq!(&row[col("observed_at")], "2026-11-01T08:00:00Z");
            assert_eq!(&row[col("tenant")], "northwind");
            assert_eq!(&row[col("unmapped")], "true");
            for empty in ["owner", "controls", "must_act", "layer", "basis_entry"] {
                assert_eq!(&row[col(empty)], "", "{empty}");
            }
            assert!(row[col("evidence")].contains("tool.check"));
        }
        assert_eq!(&tail[2][col("resource_id")], "'=cmd|' /C calc'!A0 <b>");
    }

    #[test]
    fn formulas_are_neutralized() {
        let recs = records(&rendered(&fixture::report()));
        let lambda = recs
            .iter()
            .find(|rec| rec[6].contains("function:"))
            .unwrap();
        assert!(lambda[22].starts_with("'=cmd|"), "{}", &lambda[22]);
        assert_eq!(neutralize("-1"), "'-1");
        assert_eq!(neutralize("a=b"), "a=b");
        assert_eq!(neutralize(""), "");
    }
}
