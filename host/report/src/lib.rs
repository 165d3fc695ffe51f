//! Renderers of the demarc report model: one [`Report`] in, one file out per [`Format`].
//!
//! `report.json` is the canonical form; every other format is a view of it for a particular
//! reader:
//!
//! | format | file | for |
//! |---|---|---|
//! | [`Format::Json`] | `report.json` | the canonical report (the layout `demarc scan` writes) |
//! | [`Format::Html`] | `report.html` | a self-contained page an MSSP can hand to a client |
//! | [`Format::Sarif`] | `report.sarif` | SARIF 2.1.0 viewers and code-scanning dashboards |
//! | [`Format::Ocsf`] | `report.ocsf.json` | SIEMs and data lakes speaking OCSF 1.8.0 (Compliance Finding) |
//! | [`Format::Oscal`] | `report.oscal.json` | auditors' tooling: OSCAL assessment results |
//! | [`Format::Csv`] | `report.csv` | spreadsheets, one row per finding |
//! | [`Format::Md`] | `report.md` | a ticket or pull-request comment |
//! | [`Format::Jsonl`] | `findings.jsonl` | line-oriented ingestion, one finding per line |
//!
//! Every format streams: a [`Renderer`] takes the report without its findings (the frame: schema,
//! tenants, run, gaps, roll-up and summary, see [`stream::read_frame`]), then the findings one at
//! a time, and feeds every requested format from that one pass, so no format holds the report
//! whole. Formats that list findings write each as it arrives (JSON, JSON Lines, CSV, OCSF);
//! formats that group findings set each group aside (in memory or in temporary files of the
//! caller's directory, see [`Spill`]) and copy the groups out at the end (SARIF: one run per
//! plugin); formats that summarize keep counts and bounded rankings (HTML, Markdown).
//!
//! Every renderer is deterministic: the same report gives byte-identical output (no clock, no
//! hash-map iteration order, no randomness; identifiers that other formats need, such as OSCAL
//! UUIDs, are derived from the report's content). Renderers write to any [`std::io::Write`] and
//! hold at most one format's view of the report in memory.
//!
//! What this crate does not do: read or write files, pick output directories, or decide which
//! formats a run produces. That is the CLI's job; see [`Format::file_name`] for the names it
//! writes. It also never changes the report: counts are recomputed from the findings so that
//! every view agrees with the findings it lists.

use std::io::Write;
use std::path::PathBuf;

use demarc_core::{Catalog, Finding, Report};

mod csv;
pub mod evaluation;
mod html;
mod json;
mod jsonl;
mod labels;
mod markdown;
mod ocsf;
mod oscal;
mod sarif;
mod spill;
pub mod stream;
mod timestamp;
mod view;

pub use html::esc as html_escape;
pub use json::{unmapped as write_unmapped, write_finding};
pub use view::to_fix_sentence;

#[cfg(test)]
mod fixture;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// The canonical report, `report.json`.
    Json,
    /// A self-contained HTML page, `report.html`.
    Html,
    /// SARIF 2.1.0, `report.sarif`.
    Sarif,
    /// OCSF 1.8.0 Compliance Finding events, `report.ocsf.json`.
    Ocsf,
    /// OSCAL assessment results (JSON), `report.oscal.json`.
    Oscal,
    /// One row per finding, `report.csv`.
    Csv,
    /// Markdown for a ticket or pull-request comment, `report.md`.
    Md,
    /// JSON Lines, one finding per line, `findings.jsonl`.
    Jsonl,
}

impl Format {
    /// Every format, in the order of the `--format` documentation.
    pub const ALL: [Format; 8] = [
        Format::Json,
        Format::Html,
        Format::Sarif,
        Format::Ocsf,
        Format::Oscal,
        Format::Csv,
        Format::Md,
        Format::Jsonl,
    ];

    /// The name used on the command line: `json`, `html`, `sarif`, `ocsf`, `oscal`, `csv`,
    /// `md`, `jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Html => "html",
            Format::Sarif => "sarif",
            Format::Ocsf => "ocsf",
            Format::Oscal => "oscal",
            Format::Csv => "csv",
            Format::Md => "md",
            Format::Jsonl => "jsonl",
        }
    }

    /// Parse a command-line name. Case-insensitive; surrounding whitespace is ignored and
    /// `markdown` is accepted for `md`.
    pub fn parse(name: &str) -> Result<Format> {
        let wanted = name.trim().to_ascii_lowercase();
        let wanted = if wanted == "markdown" { "md" } else { &wanted };
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| Error::UnknownFormat {
                name: name.to_string(),
            })
    }

    /// Parse a comma-separated list such as `json,html,sarif`, keeping the first occurrence of
    /// each format in the order given. Every unknown name is reported at once.
    pub fn parse_list(list: &str) -> Result<Vec<Format>> {
        let mut formats = Vec::new();
        let mut unknown = Vec::new();
        for name in list.split(',').filter(|n| !n.trim().is_empty()) {
            match Format::parse(name) {
                Ok(f) if !formats.contains(&f) => formats.push(f),
                Ok(_) => {}
                Err(_) => unknown.push(name.trim().to_string()),
            }
        }
        if !unknown.is_empty() {
            return Err(Error::UnknownFormat {
                name: unknown.join(", "),
            });
        }
        if formats.is_empty() {
            return Err(Error::UnknownFormat {
                name: list.to_string(),
            });
        }
        Ok(formats)
    }

    /// The file a run writes this format to, inside its output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Html => "report.html",
            Format::Sarif => "report.sarif",
            Format::Ocsf => "report.ocsf.json",
            Format::Oscal => "report.oscal.json",
            Format::Csv => "report.csv",
            Format::Md => "report.md",
            Format::Jsonl => "findings.jsonl",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Format> {
        Format::parse(s)
    }
}

/// What can go wrong while rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A format name that is not one of [`Format::ALL`].
    #[error(
        "unknown report format `{name}` (known: json, html, sarif, ocsf, oscal, csv, md, jsonl)"
    )]
    UnknownFormat {
        /// The name (or names, comma-separated) as given.
        name: String,
    },
    /// Writing the output failed.
    #[error("cannot write the {format} report: {source}")]
    Io {
        /// The format being written.
        format: Format,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Serializing a JSON document failed.
    #[error("cannot serialize the {format} report: {source}")]
    Json {
        /// The format being written.
        format: Format,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// Writing a CSV record failed.
    #[error("cannot write the csv report: {0}")]
    Csv(#[source] ::csv::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where formats that group findings keep their groups until the end of the report.
#[derive(Debug, Clone)]
pub enum Spill {
    /// In memory: for reports already in memory.
    Memory,
    /// In temporary files of `dir` whose names start with `prefix`, removed when rendering ends
    /// (successfully or not).
    Dir {
        /// The directory.
        dir: PathBuf,
        /// The start of every file name.
        prefix: String,
    },
}

type Out<'a> = std::io::BufWriter<Box<dyn Write + 'a>>;

/// One format being written.
enum Sink<'a> {
    Json(Out<'a>, bool, Box<demarc_core::report::Resolver>),
    Jsonl(Out<'a>),
    Csv(Box<::csv::Writer<Out<'a>>>),
    Ocsf(ocsf::Sink<Out<'a>>),
    Sarif(Box<sarif::Sink<'a, Out<'a>>>),
    Summary(Format, Out<'a>),
    Oscal(Box<oscal::Sink<'a, Out<'a>>>),
}

/// Renders any number of formats of one report in one pass over its findings: create it with
/// the report's frame (the report without its findings), pass every finding in order to
/// [`Renderer::finding`], then call [`Renderer::finish`]. Dropping it unfinished (after an
/// error) removes its temporary files.
pub struct Renderer<'a> {
    frame: &'a Report,
    catalog: &'a Catalog,
    sinks: Vec<(Format, Sink<'a>)>,
    stats: Option<view::Stats>,
}

fn io_error(format: Format) -> impl Fn(std::io::Error) -> Error {
    move |source| Error::Io { format, source }
}

fn json_error(format: Format) -> impl Fn(serde_json::Error) -> Error {
    move |source| {
        if source.is_io() {
            Error::Io {
                format,
                source: source.into(),
            }
        } else {
            Error::Json { format, source }
        }
    }
}

impl<'a> Renderer<'a> {
    /// Start rendering `frame` (whose `findings` are ignored) as each format into its writer.
    pub fn new(
        frame: &'a Report,
        catalog: &'a Catalog,
        outputs: Vec<(Format, Box<dyn Write + 'a>)>,
        spill: &Spill,
    ) -> Result<Renderer<'a>> {
        let mut sinks = Vec::new();
        let mut stats = None;
        for (format, out) in outputs {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
            let sink = match format {
                Format::Json => {
                    json::head(frame, &mut out).map_err(json_error(format))?;
                    Sink::Json(
                        out,
                        true,
                        Box::new(demarc_core::report::Resolver::new(&frame.run)),
                    )
                }
                Format::Jsonl => Sink::Jsonl(out),
                Format::Csv => Sink::Csv(Box::new(self::csv::writer(out).map_err(Error::Csv)?)),
                Format::Ocsf => {
                    Sink::Ocsf(ocsf::Sink::new(frame, out).map_err(json_error(format))?)
                }
                Format::Sarif => {
                    Sink::Sarif(Box::new(sarif::Sink::new(frame, catalog, out, spill)))
                }
                Format::Html | Format::Md => {
                    stats.get_or_insert_with(view::Stats::default);
                    Sink::Summary(format, out)
                }
                Format::Oscal => {
                    stats.get_or_insert_with(view::Stats::default);
                    Sink::Oscal(Box::new(
                        oscal::Sink::new(frame, catalog, out, spill).map_err(json_error(format))?,
                    ))
                }
            };
            sinks.push((format, sink));
        }
        Ok(Renderer {
            frame,
            catalog,
            sinks,
            stats,
        })
    }

    /// Take the next finding of the report, with what it refers to by id filled in from the
    /// run's tables ([`demarc_core::report::Resolver::fill`]).
    pub fn finding(&mut self, f: &Finding) -> Result<()> {
        if let Some(s) = &mut self.stats {
            s.add(f);
        }
        for (format, sink) in &mut self.sinks {
            let format = *format;
            match sink {
                Sink::Json(out, first, resolver) => {
                    let mut lean = f.clone();
                    resolver.strip(&mut lean);
                    json::finding(*first, &lean, out).map_err(json_error(format))?;
                    *first = false;
                }
                Sink::Jsonl(out) => jsonl::line(f, out).map_err(json_error(format))?,
                Sink::Csv(w) => self::csv::record(w, f).map_err(Error::Csv)?,
                Sink::Ocsf(s) => s.finding(f, self.catalog).map_err(json_error(format))?,
                Sink::Sarif(s) => s.finding(f).map_err(json_error(format))?,
                Sink::Summary(..) => {}
                Sink::Oscal(s) => s.finding(f).map_err(json_error(format))?,
            }
        }
        Ok(())
    }

    /// Write what follows the last finding and flush every format.
    pub fn finish(mut self) -> Result<()> {
        if let Some(s) = &mut self.stats {
            s.finish();
        }
        for (format, sink) in std::mem::take(&mut self.sinks) {
            let io = io_error(format);
            match sink {
                Sink::Json(mut out, _, _) => {
                    json::tail(self.frame, &mut out).map_err(json_error(format))?;
                    out.flush().map_err(io)?;
                }
                Sink::Jsonl(mut out) => out.flush().map_err(io)?,
                Sink::Csv(mut w) => {
                    self::csv::unmapped(&mut w, &self.frame.unmapped).map_err(Error::Csv)?;
                    w.flush().map_err(io)?
                }
                Sink::Ocsf(s) => s.finish(&self.frame.unmapped).map_err(json_error(format))?,
                Sink::Sarif(s) => s.finish().map_err(json_error(format))?,
                Sink::Summary(format, mut out) => {
                    let stats = self.stats.as_ref().expect("stats are kept for summaries");
                    match format {
                        Format::Html => {
                            html::render_stats(self.frame, stats, self.catalog, &mut out)
                        }
                        _ => markdown::render_stats(self.frame, stats, self.catalog, &mut out),
                    }
                    .map_err(&io)?;
                    out.flush().map_err(io)?;
                }
                Sink::Oscal(s) => {
                    let stats = self.stats.as_ref().expect("stats are kept for OSCAL");
                    s.finish(stats).map_err(json_error(format))?;
                }
            }
        }
        Ok(())
    }
}

/// Render `report` as `format` into `out`.
///
/// `catalog` supplies control titles, layers and the framework crosswalk that SARIF rules,
/// OCSF compliance objects, OSCAL findings and the HTML report show; controls missing from it
/// are rendered by id alone. Output is buffered internally where a format writes many small
/// pieces; `out` is flushed before returning.
pub fn render(
    report: &Report,
    catalog: &Catalog,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let frame = Report {
        findings: Vec::new(),
        ..report.clone()
    };
    let mut r = Renderer::new(
        &frame,
        catalog,
        vec![(format, Box::new(out))],
        &Spill::Memory,
    )?;
    for f in &report.findings {
        r.finding(f)?;
    }
    r.finish()
}

/// Render `report` as `format` into a byte vector.
pub fn render_to_vec(report: &Report, catalog: &Catalog, format: Format) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    render(report, catalog, format, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_names() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()).unwrap(), f);
            assert_eq!(f.to_string().parse::<Format>().unwrap(), f);
        }
        assert_eq!(Format::parse(" Markdown ").unwrap(), Format::Md);
        let err = Format::parse("pdf").unwrap_err().to_string();
        assert!(
            err.contains("`pdf`") && err.contains("known: json, html"),
            "{err}"
        );
    }

    #[test]
    fn file_names_are_distinct_and_documented() {
        let names: std::collections::BTreeSet<_> =
            Format::ALL.iter().map(|f| f.file_name()).collect();
        assert_eq!(names.len(), Format::ALL.len());
        assert_eq!(Format::Ocsf.file_name(), "report.ocsf.json");
        assert_eq!(Format::Jsonl.file_name(), "findings.jsonl");
    }

    #[test]
    fn lists_keep_order_drop_repeats_and_report_every_unknown_name() {
        assert_eq!(
            Format::parse_list("html, json,html,,sarif").unwrap(),
            vec![Format::Html, Format::Json, Format::Sarif]
        );
        let err = Format::parse_list("json,pdf,docx").unwrap_err().to_string();
        assert!(err.contains("`pdf, docx`"), "{err}");
        assert!(Format::parse_list(" , ").is_err());
    }

    #[test]
    fn every_format_is_deterministic() {
        let report = fixture::report();
        let catalog = fixture::catalog();
        for f in Format::ALL {
            let a = render_to_vec(&report, &catalog, f).unwrap();
            let b = render_to_vec(&report.clone(), &catalog, f).unwrap();
            assert!(!a.is_empty(), "{f} rendered nothing");
            assert!(a == b, "{f} is not byte-identical across two renders");
        }
    }

    #[test]
    fn every_format_renders_an_empty_report() {
        let report = fixture::empty_report();
        let catalog = fixture::catalog();
        for f in Format::ALL {
            render_to_vec(&report, &catalog, f).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    /// Every format of the fixture (and of the sample scan, when present) under
    /// `target/test-artifacts/`, for people and CI to look at.
    #[test]
    fn writes_every_format_for_inspection() {
        let root = fixture::artifacts_dir();
        let catalog = fixture::catalog();
        let mut reports = vec![("fixture", fixture::report())];
        reports.extend(fixture::sample_report().map(|r| ("sample", r)));
        for (name, report) in reports {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for f in Format::ALL {
                let mut file = std::fs::File::create(dir.join(f.file_name())).unwrap();
                render(&report, &catalog, f, &mut file).unwrap();
            }
        }
    }

    #[test]
    fn write_errors_name_the_format() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::Error::other("disk full"))
            }
        }
        let report = fixture::report();
        let err = render(&report, &fixture::catalog(), Format::Html, &mut Broken).unwrap_err();
        assert!(err.to_string().contains("html report: disk full"), "{err}");
    }

    /// Render every format of `report` at once through the streaming path: `report.json` bytes
    /// read back as a frame and a stream of findings, the groups spilled to files in `dir`.
    fn streamed(report: &Report, dir: &std::path::Path) -> Vec<(Format, Vec<u8>)> {
        let catalog = fixture::catalog();
        let json = render_to_vec(report, &catalog, Format::Json).unwrap();
        let (frame, n) = stream::read_frame(&json[..]).unwrap();
        let mut bufs: Vec<(Format, std::rc::Rc<std::cell::RefCell<Vec<u8>>>)> = Format::ALL
            .iter()
            .map(|f| (*f, Default::default()))
            .collect();
        struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.borrow_mut().write(b)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let outputs = bufs
            .iter()
            .map(|(f, b)| (*f, Box::new(Shared(b.clone())) as Box<dyn Write>))
            .collect();
        let spill = Spill::Dir {
            dir: dir.to_path_buf(),
            prefix: ".render-".into(),
        };
        let mut r = Renderer::new(&frame, &catalog, outputs, &spill).unwrap();
        let resolver = demarc_core::report::Resolver::new(&frame.run);
        let seen = stream::for_each_finding(&json[..], |mut f| {
            resolver.fill(&mut f);
            r.finding(&f)
        })
        .unwrap();
        assert_eq!(seen, n);
        r.finish().unwrap();
        bufs.drain(..)
            .map(|(f, b)| (f, b.borrow().clone()))
            .collect()
    }

    fn hex(bytes: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `src/expected.sha256` holds the digest of every format of the fixture, the empty report
    /// and the golden demo report as the whole-report renderers wrote them before rendering
    /// streamed; the streaming path reproduces each byte for byte. `BLESS=1` rewrites it (for a
    /// deliberate change of a format or of the golden report; review the rendered files).
    #[test]
    fn streaming_reproduces_the_whole_report_output_byte_for_byte() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/expected.sha256");
        let dir = tempfile::tempdir().unwrap();
        let mut reports = vec![
            ("fixture", fixture::report()),
            ("empty", fixture::empty_report()),
            ("suppressed", fixture::suppressed_report()),
            ("unmapped", fixture::unmapped_report()),
        ];
        reports.extend(fixture::sample_report().map(|r| ("sample", r)));
        let mut got = String::new();
        for (name, report) in &reports {
            for (f, bytes) in streamed(report, dir.path()) {
                got.push_str(&format!("{name} {f} {}\n", hex(&bytes)));
                // The in-memory path agrees with the streaming one.
                let direct = render_to_vec(report, &fixture::catalog(), f).unwrap();
                assert!(
                    direct == bytes,
                    "{name} {f}: in-memory and streamed output differ"
                );
            }
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temporary files left"
        );
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(path, &got).unwrap();
        }
        let want = std::fs::read_to_string(path).unwrap();
        for (g, w) in got.lines().zip(want.lines()) {
            assert_eq!(g, w, "output changed; rerun with BLESS=1 if deliberate");
        }
        assert_eq!(got.lines().count(), want.lines().count());
    }
}
