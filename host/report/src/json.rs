//! `report.json`, the canonical form: the report model serialized with serde, in the layout
//! `demarc scan` streams it (one top-level member per line and one finding per line; the
//! findings before the run, gaps, roll-up and summary, which are known only at the end), so that
//! `demarc report --in report.json --format json` reproduces a scan's file byte for byte and
//! line-oriented tools (`grep`, `diff`) work on it. It validates against
//! `schemas/json/report.schema.json`.

use std::io::Write;

use demarc_core::{Finding, Report};

/// Write `report` as `report.json`.
#[cfg(test)]
pub fn render(report: &Report, out: &mut dyn Write) -> serde_json::Result<()> {
    head(report, out)?;
    let resolver = demarc_core::report::Resolver::new(&report.run);
    for (i, f) in report.findings.iter().enumerate() {
        let mut lean = f.clone();
        resolver.strip(&mut lean);
        finding(i == 0, &lean, out)?;
    }
    tail(report, out)
}

/// Everything before the first finding.
pub fn head(report: &Report, out: &mut dyn Write) -> serde_json::Result<()> {
    let io = serde_json::Error::io;
    write!(out, "{{\"schema\":").map_err(io)?;
    serde_json::to_writer(&mut *out, &report.schema)?;
    write!(out, ",\n\"tenants\":").map_err(io)?;
    serde_json::to_writer(&mut *out, &report.tenants)?;
    write!(out, ",\n\"findings\":[").map_err(io)
}

/// One finding (`first`: the first of the report).
pub fn finding(first: bool, f: &Finding, out: &mut dyn Write) -> serde_json::Result<()> {
    out.write_all(if first { b"\n" } else { b",\n" })
        .map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut *out, f)
}

/// Everything after the last finding.
pub fn tail(report: &Report, out: &mut dyn Write) -> serde_json::Result<()> {
    let io = serde_json::Error::io;
    write!(out, "\n],\n\"run\":").map_err(io)?;
    serde_json::to_writer(&mut *out, &report.run)?;
    write!(out, ",\n\"gaps\":").map_err(io)?;
    serde_json::to_writer(&mut *out, &report.gaps)?;
    write!(out, ",\n\"controls\":[").map_err(io)?;
    for (i, row) in report.controls.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })
            .map_err(io)?;
        serde_json::to_writer(&mut *out, row)?;
    }
    write!(out, "\n]").map_err(io)?;
    write!(out, ",\n\"summary\":").map_err(io)?;
    serde_json::to_writer(&mut *out, &report.summary)?;
    writeln!(out, "}}").map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    fn rendered(r: &Report) -> Vec<u8> {
        let mut v = Vec::new();
        render(r, &mut v).unwrap();
        v
    }

    #[test]
    fn reads_back_into_the_same_report_and_renders_identically() {
        let r = fixture::report();
        let bytes = rendered(&r);
        let mut back: Report = serde_json::from_slice(&bytes).unwrap();
        back.resolve();
        assert_eq!(back, r);
        assert_eq!(rendered(&back), bytes);
        // One finding per line, between the `findings` line and the closing bracket.
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let open = lines.iter().position(|l| *l == "\"findings\":[").unwrap();
        assert_eq!(lines[open + r.findings.len() + 1], "],");
    }

    #[test]
    fn validates_against_the_committed_report_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/json/report.schema.json")).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for r in [fixture::report(), fixture::empty_report()] {
            let value: serde_json::Value = serde_json::from_slice(&rendered(&r)).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
        }
    }

    #[test]
    fn reproduces_a_scan_written_report_byte_for_byte() {
        // The golden demo report is what the CLI's streaming writer produced.
        let original = std::fs::read(crate::fixture::SAMPLE).unwrap();
        let r: Report = serde_json::from_slice(&original).unwrap();
        assert!(rendered(&r) == original, "layout differs from the CLI's");
    }
}
