//! Writing the report in the other formats people and tools read (HTML, SARIF, OCSF, OSCAL,
//! CSV, Markdown, JSON Lines), from the canonical `report.json`.
//!
//! The report is never read whole: its frame (everything but the findings) is read first, with
//! a fast skip over the findings, then one pass over the findings feeds every requested format
//! at once (see `demarc_report::Renderer`). Formats that group findings set the groups aside in
//! temporary files of the output directory, removed when rendering ends. Each file is written
//! beside a temporary name and renamed, so a reader never sees half a file; on error the
//! temporary files are removed.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use demarc_core::Catalog;
use demarc_report::{Format, Renderer, Spill, stream};

/// Render `formats` (other than JSON, which the scan already wrote) of the report at
/// `report_path` into `out`, with each tenant's `trend` from a history database in the HTML;
/// returns the files written.
pub fn write_formats(
    report_path: &Path,
    catalog: &Catalog,
    formats: &[Format],
    out: &Path,
    trend: Option<demarc_core::trend::Trend>,
) -> anyhow::Result<Vec<PathBuf>> {
    let others: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| *f != Format::Json)
        .collect();
    write_all(report_path, catalog, &others, out, trend)
}

/// Temporary output files, removed unless renamed into place.
struct Pending(Vec<(PathBuf, PathBuf)>);

impl Drop for Pending {
    fn drop(&mut self) {
        for (tmp, _) in &self.0 {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Render every format in `formats` of the report at `report_path` into `out`, in one pass over
/// its findings, with each tenant's `trend` from a history database in the HTML; returns the
/// files written, in the order of `formats`.
pub fn write_all(
    report_path: &Path,
    catalog: &Catalog,
    formats: &[Format],
    out: &Path,
    trend: Option<demarc_core::trend::Trend>,
) -> anyhow::Result<Vec<PathBuf>> {
    if formats.is_empty() {
        return Ok(Vec::new());
    }
    let open = || {
        File::open(report_path)
            .map(|f| BufReader::with_capacity(1 << 20, f))
            .with_context(|| format!("cannot read {}", report_path.display()))
    };
    let (mut frame, _) = stream::read_frame(open()?)
        .with_context(|| format!("cannot read {}", report_path.display()))?;
    frame.trend = trend;

    let mut pending = Pending(Vec::new());
    let mut outputs: Vec<(Format, Box<dyn Write>)> = Vec::new();
    for &format in formats {
        let path = out.join(format.file_name());
        let tmp = out.join(format!(".{}.tmp", format.file_name()));
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        pending.0.push((tmp, path));
        outputs.push((format, Box::new(file)));
    }
    let spill = Spill::Dir {
        dir: out.to_path_buf(),
        prefix: format!(".demarc-render-{}-", std::process::id()),
    };
    let mut renderer = Renderer::new(&frame, catalog, outputs, &spill)
        .with_context(|| format!("cannot write the reports into {}", out.display()))?;
    // Findings name their check's remediation, basis document and note by id: fill them in from
    // the run's tables so that every format shows them.
    let resolver = demarc_core::report::Resolver::new(&frame.run);
    stream::for_each_finding(open()?, |mut f| {
        resolver.fill(&mut f);
        renderer.finding(&f)
    })
    .with_context(|| {
        format!(
            "cannot render {} into {}",
            report_path.display(),
            out.display()
        )
    })?;
    renderer
        .finish()
        .with_context(|| format!("cannot write the reports into {}", out.display()))?;

    let mut written = Vec::new();
    for (tmp, path) in std::mem::take(&mut pending.0) {
        if let Err(e) = std::fs::rename(&tmp, &path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
        written.push(path);
    }
    Ok(written)
}
