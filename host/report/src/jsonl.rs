//! `findings.jsonl`, for SIEM and log-pipeline ingestion: JSON Lines with one finding per line,
//! in report order, each exactly the finding object of `report.json` (the `Finding` definition
//! of `schemas/json/report.schema.json`: tenant, resource, check, status, controls, evidence,
//! source and responsibility included). No header line, no run metadata; every line ends with
//! `\n` and JSON escaping guarantees no line holds a raw newline. An empty report gives an empty
//! file. Other tools' findings whose check maps to no catalog control are not attributed
//! findings and are not lines here: `report.json` holds them under `unmapped` (and the CSV,
//! SARIF and OCSF outputs carry them, marked).

use std::io::Write;

#[cfg(test)]
use demarc_core::Report;

/// Write one line per finding.
#[cfg(test)]
pub fn render(report: &Report, out: &mut dyn Write) -> serde_json::Result<()> {
    for f in &report.findings {
        line(f, out)?;
    }
    Ok(())
}

/// Write the line of one finding.
pub fn line(f: &demarc_core::Finding, out: &mut dyn Write) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, f)?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use demarc_core::Finding;

    #[test]
    fn one_finding_per_line_that_validates_against_the_finding_schema() {
        let r = fixture::report();
        let mut bytes = Vec::new();
        render(&r, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), r.findings.len());

        let mut schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/json/report.schema.json")).unwrap();
        // Validate each line against the schema's `Finding` definition.
        let defs = if schema.get("$defs").is_some() {
            "$defs"
        } else {
            "definitions"
        };
        schema["$ref"] = serde_json::json!(format!("#/{defs}/Finding"));
        if let Some(o) = schema.as_object_mut() {
            o.remove("properties");
            o.remove("required");
            o.remove("type");
            o.remove("additionalProperties");
        }
        let validator = jsonschema::validator_for(&schema).unwrap();
        for (line, f) in lines.iter().zip(&r.findings) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(validator.is_valid(&value), "{line}");
            let back: Finding = serde_json::from_value(value).unwrap();
            assert_eq!(&back, f);
        }
    }

    #[test]
    fn an_empty_report_gives_an_empty_file() {
        let mut bytes = Vec::new();
        render(&fixture::empty_report(), &mut bytes).unwrap();
        assert!(bytes.is_empty());
    }
}
