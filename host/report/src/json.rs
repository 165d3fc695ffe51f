//! `report.json`, the canonical form: the report model serialized with serde, in the layout
//! `demarc scan` streams it (one top-level member per line and one finding per line; the
//! findings before the run, gaps, roll-up and summary, which are known only at the end), so that
//! `demarc report --in report.json --format json` reproduces a scan's file byte for byte and
//! line-oriented tools (`grep`, `diff`) work on it. It validates against
//! `schemas/json/report.schema.json`.

use std::io::Write;

use demarc_core::{Finding, Report, UnmappedFinding};

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
    let mut buf = Vec::with_capacity(1024);
    write_finding(&mut buf, f)?;
    out.write_all(&buf).map_err(serde_json::Error::io)
}

/// Append `f` to `buf` exactly as `serde_json::to_writer` writes it, faster: the strings of a
/// finding, nearly all without a character to escape, are copied whole, and only the nested
/// values with rules of their own (the responsibility and who must act) go through serde.
pub fn write_finding(buf: &mut Vec<u8>, f: &Finding) -> serde_json::Result<()> {
    buf.extend_from_slice(b"{\"id\":");
    string(buf, &f.id)?;
    field(buf, "tenant", &f.tenant)?;
    field(buf, "target", &f.target)?;
    field(buf, "provider", &f.provider)?;
    field(buf, "account", &f.account)?;
    field(buf, "region", &f.region)?;
    buf.extend_from_slice(b",\"resource\":{\"id\":");
    string(buf, &f.resource.id)?;
    field(buf, "type", &f.resource.native_type)?;
    if let Some(name) = &f.resource.name {
        field(buf, "name", name)?;
    }
    if !f.resource.tags.is_empty() {
        buf.extend_from_slice(b",\"tags\":[");
        for (i, (k, v)) in f.resource.tags.iter().enumerate() {
            pair(buf, i, k, v)?;
        }
        buf.push(b']');
    }
    buf.extend_from_slice(b"},\"check\":{\"id\":");
    string(buf, &f.check.id)?;
    if !f.check.title.is_empty() {
        field(buf, "title", &f.check.title)?;
    }
    buf.extend_from_slice(b",\"severity\":");
    serde_json::to_writer(&mut *buf, &f.check.severity)?;
    buf.extend_from_slice(b"},\"status\":");
    serde_json::to_writer(&mut *buf, &f.status)?;
    field(buf, "message", &f.message)?;
    buf.extend_from_slice(b",\"controls\":[");
    for (i, c) in f.controls.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, c)?;
    }
    buf.extend_from_slice(b"],\"evidence\":[");
    for (i, e) in f.evidence.iter().enumerate() {
        pair(buf, i, &e.key, &e.value)?;
    }
    buf.push(b']');
    if !f.remediation.is_empty() {
        field(buf, "remediation", &f.remediation)?;
    }
    if let Some(t) = &f.observed_at {
        field(buf, "observed_at", t)?;
    }
    buf.extend_from_slice(b",\"source\":{\"plugin\":");
    string(buf, &f.source.plugin)?;
    if !f.source.version.is_empty() {
        field(buf, "version", &f.source.version)?;
    }
    if !f.source.sha256.is_empty() {
        field(buf, "sha256", &f.source.sha256)?;
    }
    buf.extend_from_slice(b"},\"responsibility\":");
    serde_json::to_writer(&mut *buf, &f.responsibility)?;
    buf.extend_from_slice(b",\"must_act\":");
    serde_json::to_writer(&mut *buf, &f.must_act)?;
    if let Some(s) = &f.suppression {
        buf.extend_from_slice(b",\"suppression\":");
        serde_json::to_writer(&mut *buf, s)?;
    }
    if !f.verdicts.is_empty() {
        buf.extend_from_slice(b",\"verdicts\":");
        serde_json::to_writer(&mut *buf, &f.verdicts)?;
    }
    if f.contradiction {
        buf.extend_from_slice(b",\"contradiction\":true");
    }
    buf.push(b'}');
    Ok(())
}

/// `,"name":` and the string `value`.
fn field(buf: &mut Vec<u8>, name: &str, value: &str) -> serde_json::Result<()> {
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
    string(buf, value)
}

/// The `i`th `[a, b]` of an array.
fn pair(buf: &mut Vec<u8>, i: usize, a: &str, b: &str) -> serde_json::Result<()> {
    buf.extend_from_slice(if i == 0 { b"[" } else { b",[" });
    string(buf, a)?;
    buf.push(b',');
    string(buf, b)?;
    buf.push(b']');
    Ok(())
}

/// A JSON string: copied between quotes when nothing in it needs escaping (a control
/// character, `"` or `\`), serde's escaping otherwise.
fn string(buf: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    // Branch-free over 16-byte chunks, so that it compiles to vector compares.
    let plain = s.as_bytes().chunks(16).all(|chunk| {
        !chunk.iter().fold(false, |acc, &b| {
            acc | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    });
    if plain {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(&mut *buf, s)
    }
}

/// The `unmapped` member, one finding per line, when there are any (it follows `gaps`).
pub fn unmapped(unmapped: &[UnmappedFinding], out: &mut dyn Write) -> serde_json::Result<()> {
    if unmapped.is_empty() {
        return Ok(());
    }
    let io = serde_json::Error::io;
    write!(out, ",\n\"unmapped\":[").map_err(io)?;
    for (i, f) in unmapped.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })
            .map_err(io)?;
        serde_json::to_writer(&mut *out, f)?;
    }
    write!(out, "\n]").map_err(io)
}

/// Everything after the last finding.
pub fn tail(report: &Report, out: &mut dyn Write) -> serde_json::Result<()> {
    let io = serde_json::Error::io;
    write!(out, "\n],\n\"run\":").map_err(io)?;
    serde_json::to_writer(&mut *out, &report.run)?;
    write!(out, ",\n\"gaps\":").map_err(io)?;
    serde_json::to_writer(&mut *out, &report.gaps)?;
    unmapped(&report.unmapped, out)?;
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

    /// Other tools' findings that map to no control follow the gaps, one per line, read back
    /// (also by the streaming reader) and render again byte for byte.
    #[test]
    fn unmapped_findings_read_back_and_render_identically() {
        let r = fixture::unmapped_report();
        let bytes = rendered(&r);
        let mut back: Report = serde_json::from_slice(&bytes).unwrap();
        back.resolve();
        assert_eq!(back, r);
        assert_eq!(rendered(&back), bytes);
        let (frame, n) = crate::stream::read_frame(&bytes[..]).unwrap();
        assert_eq!(n as usize, r.findings.len());
        assert_eq!(frame.unmapped, r.unmapped);
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let open = lines.iter().position(|l| *l == "\"unmapped\":[").unwrap();
        assert!(lines[open - 1].starts_with("\"gaps\":"));
        assert_eq!(lines[open + r.unmapped.len() + 1], "],");
        assert_eq!(back.summary.unmapped.total, 3);
        assert_eq!(back.summary.unmapped.fail, 2);
        assert_eq!(back.summary.unmapped_failing_by_severity["high"], 1);
        // Left out when there are none.
        assert!(
            !String::from_utf8(rendered(&fixture::report()))
                .unwrap()
                .contains("\"unmapped\":[")
        );
    }

    #[test]
    fn validates_against_the_committed_report_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/json/report.schema.json")).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for r in [
            fixture::report(),
            fixture::empty_report(),
            fixture::unmapped_report(),
        ] {
            let value: serde_json::Value = serde_json::from_slice(&rendered(&r)).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
        }
    }

    /// The fast writer writes every finding byte for byte as serde does: the fixture's and the
    /// demo report's, and findings whose every string needs escaping somewhere (controls,
    /// quotes, backslashes, non-ASCII) or has optional parts left out.
    #[test]
    fn the_fast_finding_writer_is_byte_identical_to_serde() {
        let same = |f: &Finding| {
            let mut fast = Vec::new();
            write_finding(&mut fast, f).unwrap();
            let slow = serde_json::to_vec(f).unwrap();
            assert!(
                fast == slow,
                "{}\n{}",
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&slow)
            );
        };
        let demo: Report =
            serde_json::from_slice(&std::fs::read(crate::fixture::SAMPLE).unwrap()).unwrap();
        let mut all = fixture::report().findings;
        all.extend(demo.findings);
        assert!(all.len() > 200);
        for f in &all {
            same(f);
            let mut whole = f.clone();
            demarc_core::report::Resolver::new(&demo.run).fill(&mut whole);
            same(&whole);
        }
        let nasty = [
            "",
            "plain",
            "a \"quoted\" word",
            "back\\slash",
            "tab\tnew\nline\r\u{0}\u{1f}\u{7f}",
            "überlänge — ✓ 😀",
            "exactly sixteen!",
            "sixteen bytes + \"",
        ];
        let mut f = all[0].clone();
        for s in nasty {
            for t in nasty {
                f.id = s.into();
                f.message = format!("{s}{t}");
                f.resource.name = (!s.is_empty()).then(|| t.to_string());
                f.resource.tags = vec![(s.into(), t.into()), (t.into(), s.into())];
                f.evidence = vec![demarc_core::Evidence {
                    key: t.into(),
                    value: s.into(),
                }];
                f.controls = vec![s.into(), t.into()];
                f.check.title = t.into();
                f.remediation = s.into();
                f.observed_at = (!t.is_empty()).then(|| s.to_string());
                f.source.version = t.into();
                f.source.sha256 = s.into();
                same(&f);
            }
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
