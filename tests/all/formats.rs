//! Every report format, generated for the demo estate by the real binary and validated: SARIF
//! and OSCAL against their official JSON Schemas, OCSF events against the class they declare,
//! the HTML as a self-contained page, and all of it byte-identical across runs.

use crate::{demarc, describe, root, shared_cpu};

/// A file of the official reference data, found and checked by `tests/reference_data.rs`.
fn shared(path: &str) -> serde_json::Value {
    let p = crate::reference_data::find(&root(), path);
    serde_json::from_str(
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

fn validate(schema: &serde_json::Value, doc: &serde_json::Value, what: &str) {
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{what} schema: {e}"));
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate:\n{}",
        errors.join("\n")
    );
}

fn scan_all_formats(dir: &std::path::Path) {
    let config = root().join("examples/demo/demarc.toml");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
            "--format",
            "all",
            "--pin-time",
            "2026-11-02T00:00:00Z",
        ],
        dir.parent().unwrap(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

fn read_json(path: std::path::PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn every_format_is_written_valid_and_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    scan_all_formats(&a);
    scan_all_formats(&b);
    for name in [
        "report.json",
        "report.html",
        "report.sarif",
        "report.ocsf.json",
        "report.oscal.json",
        "report.csv",
        "report.md",
        "findings.jsonl",
    ] {
        let x = std::fs::read(a.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = std::fs::read(b.join(name)).unwrap();
        assert!(!x.is_empty(), "{name} is empty");
        assert!(x == y, "{name} differs between two runs of the same input");
    }
    let report = read_json(a.join("report.json"));
    let findings = report["findings"].as_array().unwrap().len();

    // SARIF 2.1.0. The published schema's `language` pattern has a stray `]` that no strict
    // regex engine accepts; demarc never writes `language`, so that one keyword is relaxed.
    let mut sarif_schema = shared("sarif/sarif-schema-2.1.0.json");
    relax_language(&mut sarif_schema);
    let sarif = read_json(a.join("report.sarif"));
    validate(&sarif_schema, &sarif, "report.sarif");
    let results: usize = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["results"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(results, findings, "one SARIF result per finding");

    // OSCAL assessment results 1.0.6.
    let oscal = read_json(a.join("report.oscal.json"));
    validate(
        &shared("oscal/oscal_assessment-results_schema-1.0.6.json"),
        &oscal,
        "report.oscal.json",
    );

    // OCSF: one Compliance Finding per finding, of the class and version the sources define.
    let class = shared("ocsf-1.8.0/events/findings/compliance_finding.json");
    let version = shared("ocsf-1.8.0/version.json");
    let ocsf = read_json(a.join("report.ocsf.json"));
    let events = ocsf.as_array().unwrap();
    assert_eq!(events.len(), findings);
    for e in events {
        assert_eq!(
            e["class_uid"],
            class["uid"].as_u64().unwrap() + 2000,
            "{e:#}"
        );
        assert_eq!(e["metadata"]["version"], version["version"]);
        assert!(
            e["unmapped"]["responsibility"]["owner"].is_string(),
            "{e:#}"
        );
    }

    // JSON Lines and CSV: one record per finding.
    let jsonl = std::fs::read_to_string(a.join("findings.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), findings);
    let csv = std::fs::read_to_string(a.join("report.csv")).unwrap();
    assert!(
        csv.lines().count() > findings,
        "csv has a header and a row per finding"
    );

    // HTML: self-contained.
    let html = std::fs::read_to_string(a.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    for external in [
        "src=\"http",
        "href=\"http://",
        "<link rel=\"stylesheet\" href",
        "@import",
    ] {
        assert!(
            !html.contains(external),
            "report.html loads something external: {external}"
        );
    }
    let md = std::fs::read_to_string(a.join("report.md")).unwrap();
    assert!(md.contains("northwind"));

    // `demarc report` renders the same files from report.json.
    let c = tmp.path().join("c");
    let out = demarc(
        &[
            "report",
            "--in",
            a.join("report.json").to_str().unwrap(),
            "--format",
            "sarif,md",
            "--out",
            c.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        std::fs::read(c.join("report.sarif")).unwrap()
            == std::fs::read(a.join("report.sarif")).unwrap()
    );
    let out = demarc(
        &[
            "report",
            "--in",
            a.join("report.json").to_str().unwrap(),
            "--format",
            "pdf",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

/// Validate a SARIF log against the official SARIF 2.1.0 schema.
pub fn validate_sarif(sarif: &serde_json::Value) {
    let mut schema = shared("sarif/sarif-schema-2.1.0.json");
    relax_language(&mut schema);
    validate(&schema, sarif, "report.sarif");
}

/// Validate an OSCAL assessment-results document against the official 1.0.6 schema.
pub fn validate_oscal(oscal: &serde_json::Value) {
    validate(
        &shared("oscal/oscal_assessment-results_schema-1.0.6.json"),
        oscal,
        "report.oscal.json",
    );
}

/// Remove the unparseable `language` pattern wherever the SARIF schema declares it.
fn relax_language(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(lang)) = map.get_mut("language")
                && lang.get("pattern").is_some()
            {
                lang.remove("pattern");
            }
            for (_, child) in map.iter_mut() {
                relax_language(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(relax_language),
        _ => {}
    }
}

/// The golden demo report with its findings repeated until it holds `n`, each with a fresh id,
/// written in the scan's layout (one finding per line).
fn synthetic_report(path: &std::path::Path, n: usize) {
    use std::io::Write;
    let text = std::fs::read_to_string(root().join("tests/golden/demo-report.json")).unwrap();
    let open = text.find("\n\"findings\":[\n").unwrap() + "\n\"findings\":[".len();
    let close = text.find("\n],\n\"run\":").unwrap();
    let lines: Vec<&str> = text[open + 1..close].split(",\n").collect();
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(&text.as_bytes()[..open]).unwrap();
    for i in 0..n {
        let mut f: serde_json::Value = serde_json::from_str(lines[i % lines.len()]).unwrap();
        f["id"] = format!("synthetic-{i}").into();
        f["resource"]["id"] = format!("{}-{i}", f["resource"]["id"].as_str().unwrap()).into();
        w.write_all(if i == 0 { b"\n" } else { b",\n" }).unwrap();
        serde_json::to_writer(&mut w, &f).unwrap();
    }
    w.write_all(&text.as_bytes()[close..]).unwrap();
    w.flush().unwrap();
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `demarc report` renders every format from the report as a stream: on success the output
/// directory holds the eight files and nothing else (no temporary output, no SARIF group file);
/// a report whose 3,000th finding is malformed fails with the position named and leaves nothing
/// behind, although every format had started and the groups had been spilled.
#[test]
fn rendering_leaves_no_temporary_file_on_success_or_error() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.json");
    synthetic_report(&good, 5_000);
    let out = tmp.path().join("out");
    let run = demarc(
        &[
            "report",
            "--in",
            good.to_str().unwrap(),
            "--format",
            "all",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(run.status.code(), Some(0), "{}", describe(&run));
    let mut want: Vec<String> = [
        "report.json",
        "report.html",
        "report.sarif",
        "report.ocsf.json",
        "report.oscal.json",
        "report.csv",
        "report.md",
        "findings.jsonl",
        // The run's lock, which stays (the kernel releases the lock itself).
        ".demarc.lock",
    ]
    .map(String::from)
    .to_vec();
    want.sort();
    assert_eq!(names(&out), want);
    // The JSON rendered from the stream is the input, byte for byte.
    assert!(std::fs::read(out.join("report.json")).unwrap() == std::fs::read(&good).unwrap());

    let text = std::fs::read_to_string(&good).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let first = lines.iter().position(|l| l == "\"findings\":[").unwrap() + 1;
    lines[first + 2_999] = lines[first + 2_999].replacen("\"status\":\"", "\"status\":\"x", 1);
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let failed = tmp.path().join("failed");
    std::fs::create_dir(&failed).unwrap();
    let run = demarc(
        &[
            "report",
            "--in",
            bad.to_str().unwrap(),
            "--format",
            "all",
            "--out",
            failed.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(0), "{}", describe(&run));
    assert!(
        err.contains("bad.json") && err.contains(&format!("line {}", first + 3000)),
        "{}",
        describe(&run)
    );
    // Nothing but the lock: no staged or temporary file of the failed run.
    assert_eq!(names(&failed), [".demarc.lock"], "left behind");
}

/// Every streaming format of a report of 200,000 findings is rendered in one pass whose peak
/// resident memory stays far below what holding the report would take (the whole-report
/// renderers needed several GiB for it), OSCAL included.
#[test]
fn every_format_of_a_large_report_renders_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.json");
    synthetic_report(&big, 200_000);
    let size = std::fs::metadata(&big).unwrap().len();
    let out = tmp.path().join("out");
    let _cpu = shared_cpu();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(["report", "--in"])
        .arg(&big)
        .args(["--format", "all", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let mut child = child;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    let peak_mib = peak_kib / 1024;
    assert!(
        peak_mib < 256,
        "peak RSS {peak_mib} MiB rendering every format of a {} MiB report",
        size / 1048576
    );
    let jsonl = std::fs::read_to_string(out.join("findings.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 200_000);
    drop(jsonl);
    // One OSCAL observation per finding, one risk per failing finding, every resource once.
    let oscal = std::fs::read_to_string(out.join("report.oscal.json")).unwrap();
    let count = |line: &str| oscal.lines().filter(|l| l.trim_start() == line).count();
    assert_eq!(count("\"methods\": ["), 200_000);
    assert!(count("\"status\": \"open\",") > 0);
    assert_eq!(count("\"name\": \"resource-id\","), 200_000);
    drop(oscal);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("the first 10000 are listed here"),
        "HTML table bounded"
    );
}
