//! The committed JSON Schema of report.json is the one generated from the types, and reports
//! validate against it.

use crate::{demarc, root};

#[test]
fn committed_report_schema_matches_the_types() {
    let generated = schemars::schema_for!(demarc_core::Report);
    let generated = serde_json::to_value(&generated).unwrap();
    let path = root().join("schemas/json/report.schema.json");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).expect("schemas/json/report.schema.json exists"),
    )
    .unwrap();
    assert!(
        generated == committed,
        "schemas/json/report.schema.json is stale: regenerate it with `cargo run -p demarc -- schema > schemas/json/report.schema.json`"
    );
}

#[test]
fn committed_evaluation_schema_matches_the_types_and_the_schema_command() {
    let generated = schemars::schema_for!(demarc_core::evaluate::Evaluation);
    let generated = serde_json::to_value(&generated).unwrap();
    let path = root().join("schemas/json/evaluation.schema.json");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).expect("schemas/json/evaluation.schema.json exists"),
    )
    .unwrap();
    assert!(
        generated == committed,
        "schemas/json/evaluation.schema.json is stale: regenerate it with `cargo run -p demarc -- schema evaluation > schemas/json/evaluation.schema.json`"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = demarc(&["schema", "evaluation"], tmp.path());
    assert!(out.status.success(), "{}", crate::describe(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, committed);
    let bad = demarc(&["schema", "nonsense"], tmp.path());
    assert_eq!(bad.status.code(), Some(2), "{}", crate::describe(&bad));
}

#[test]
fn the_schema_command_prints_the_committed_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let out = demarc(&["schema"], tmp.path());
    assert!(out.status.success(), "{}", crate::describe(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/json/report.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, committed);
}

/// Validate a report against the committed schema; panics with every error.
pub fn assert_valid(report: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/json/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json does not validate:\n{}",
        errors.join("\n")
    );
    // And the report reads back into the model.
    let _: demarc_core::Report =
        serde_json::from_value(report.clone()).expect("report reads back into the model");
}

#[test]
fn the_parity_table_in_the_docs_is_current() {
    let tmp = tempfile::tempdir().unwrap();
    let out = demarc(&["plugin", "parity"], tmp.path());
    assert!(out.status.success(), "{}", crate::describe(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let path = root().join("docs/parity.md");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).unwrap_or_default() == text,
        "docs/parity.md is stale: regenerate it with `demarc plugin parity > docs/parity.md` (or BLESS=1)"
    );
    // Every failure class of DESIGN.md has a check on every cloud.
    let mut covered: std::collections::BTreeMap<(String, usize), bool> = Default::default();
    for line in text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        for (col, cell) in cells.iter().enumerate().skip(3) {
            let hit = covered.entry((cells[0].to_string(), col)).or_default();
            *hit |= *cell != "—";
        }
    }
    let missing: Vec<_> = covered
        .iter()
        .filter(|(_, hit)| !**hit)
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty(),
        "failure classes without a check on some cloud (class, column): {missing:?}"
    );
    assert_eq!(
        covered
            .keys()
            .map(|(c, _)| c.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        12
    );
}

/// A reader that goes away (`demarc plugin parity | head -1`) ends the output quietly: the
/// process is ended by SIGPIPE like any Unix filter, with no panic on stderr.
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"))
        .args(["plugin", "parity"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed long before the process has loaded its catalog and written its first line.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    const SIGPIPE: i32 = 13;
    assert_eq!(
        out.status.signal(),
        Some(SIGPIPE),
        "exit: {:?}, stderr: {stderr}",
        out.status
    );
}

/// The SDK is a dependency for plugin authors outside this repository: its package carries the
/// contract's WIT files, which its bindings are generated from.
#[test]
fn the_sdk_package_carries_the_contract() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "package",
            "-p",
            "demarc-sdk",
            "--list",
            "--allow-dirty",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("run cargo package");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = String::from_utf8_lossy(&out.stdout);
    assert!(
        files.lines().any(|l| l == "wit/provider.wit"),
        "the SDK package lacks its WIT:\n{files}"
    );
}
