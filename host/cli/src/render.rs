//! Writing the report in the other formats people and tools read (HTML, SARIF, OCSF, OSCAL,
//! CSV, Markdown, JSON Lines), from the canonical `report.json`.
//!
//! `report.json` is streamed by the scan; the other renderers work on the report model, so the
//! report is read back once here. Each file is written beside a temporary name and renamed, so
//! a reader never sees half a file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use demarc_core::{Catalog, Report};
use demarc_report::Format;

/// Render `formats` (other than JSON, which the scan already wrote) of the report at
/// `report_path` into `out`; returns the files written.
pub fn write_formats(
    report_path: &Path,
    catalog: &Catalog,
    formats: &[Format],
    out: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let others: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| *f != Format::Json)
        .collect();
    let mut written = Vec::new();
    if others.is_empty() {
        return Ok(written);
    }
    let text = std::fs::read_to_string(report_path)
        .with_context(|| format!("cannot read {}", report_path.display()))?;
    let report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a demarc report", report_path.display()))?;
    drop(text);
    for format in others {
        written.push(write_one(&report, catalog, format, out)?);
    }
    Ok(written)
}

/// Render one format of `report` into `out`.
pub fn write_one(
    report: &Report,
    catalog: &Catalog,
    format: Format,
    out: &Path,
) -> anyhow::Result<PathBuf> {
    let path = out.join(format.file_name());
    let tmp = out.join(format!(".{}.tmp", format.file_name()));
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    demarc_report::render(report, catalog, format, &mut file)
        .with_context(|| format!("cannot write {}", path.display()))?;
    drop(file);
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
