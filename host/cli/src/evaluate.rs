//! `demarc evaluate REPORT.json...`: compare the tools of one estate (demarc's own plugins and
//! imported scanners, fused in one report or in several reports of the same estate) control by
//! control, and write `evaluation.json`, `evaluation.md` and `evaluation.html`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use demarc_core::evaluate::{Evaluation, Evaluator};
use demarc_core::report::Resolver;

use crate::ExitCode;

/// What `demarc evaluate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `evaluation.json`.
    Json,
    /// `evaluation.md`.
    Markdown,
    /// `evaluation.html`.
    Html,
}

impl Output {
    /// Parse `json,md,html`.
    pub fn parse_list(list: &str) -> Result<Vec<Output>, String> {
        let mut out = Vec::new();
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let o = match word {
                "json" => Output::Json,
                "md" | "markdown" => Output::Markdown,
                "html" => Output::Html,
                other => {
                    return Err(format!(
                        "--format: unknown format `{other}` (known: json, md, html)"
                    ));
                }
            };
            if !out.contains(&o) {
                out.push(o);
            }
        }
        if out.is_empty() {
            return Err("--format: no format named".into());
        }
        Ok(out)
    }

    fn file_name(self) -> &'static str {
        match self {
            Output::Json => "evaluation.json",
            Output::Markdown => "evaluation.md",
            Output::Html => "evaluation.html",
        }
    }
}

/// Read every report into one evaluation; an unreadable file, one that is not a demarc report
/// or of another report format names the file.
pub fn evaluate(reports: &[PathBuf]) -> Result<Evaluation, String> {
    let mut e = Evaluator::new();
    for path in reports {
        let name = path.display().to_string();
        let open = || {
            File::open(path)
                .map(|f| BufReader::with_capacity(1 << 20, f))
                .map_err(|err| format!("{name}: cannot read: {err}"))
        };
        let (frame, _) =
            demarc_report::stream::read_frame(open()?).map_err(|err| format!("{name}: {err}"))?;
        e.frame(&name, &frame.controls, &frame.unmapped);
        let resolver = Resolver::new(&frame.run);
        demarc_report::stream::for_each_finding(open()?, |mut f| {
            resolver.fill(&mut f);
            e.finding(&f);
            Ok(())
        })
        .map_err(|err| format!("{name}: {err}"))?;
    }
    Ok(e.finish())
}

/// Run `demarc evaluate`.
pub fn run(reports: &[PathBuf], out: &Path, formats: &str) -> ExitCode {
    let formats = match Output::parse_list(formats) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::Usage;
        }
    };
    if reports.is_empty() {
        eprintln!("error: name at least one report.json to evaluate");
        return ExitCode::Usage;
    }
    let ev = match evaluate(reports) {
        Ok(ev) => ev,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::Usage;
        }
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: --out {}: {e}", out.display());
        return ExitCode::Usage;
    }
    for f in &formats {
        let body = match f {
            Output::Json => match serde_json::to_string_pretty(&ev) {
                Ok(s) => s + "\n",
                Err(e) => {
                    eprintln!("error: cannot write evaluation.json: {e}");
                    return ExitCode::Usage;
                }
            },
            Output::Markdown => demarc_report::evaluation::markdown(&ev),
            Output::Html => demarc_report::evaluation::html(&ev),
        };
        let path = out.join(f.file_name());
        if let Err(e) = std::fs::write(&path, body) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::Usage;
        }
    }
    let s = &ev.summary;
    println!(
        "{} contradiction(s), {} agreement(s), {} differing, {} single-tool, {} control(s) in scope no tool assessed, {} unmapped tool check(s)",
        s.contradictions,
        s.agreements,
        s.differing,
        s.single_tool.values().sum::<u64>(),
        s.uncovered_controls,
        s.unmapped_checks
    );
    for a in ev.contradictions.iter().take(10) {
        let verdicts: Vec<String> = a
            .verdicts
            .iter()
            .map(|v| format!("{} {} {}", v.tool, v.check, v.status.as_str()))
            .collect();
        println!(
            "  contradiction: {} {} {}: {}",
            a.tenant,
            a.control,
            a.resource,
            verdicts.join(" / ")
        );
    }
    println!("wrote {}", out.display());
    ExitCode::Clean
}
