//! Running a provider natively, outside the sandbox, for unit tests of plugins.
//!
//! [`scan_dir`] runs a provider's real `scan` over a directory of the host's file system and
//! collects what it emits, so that a plugin's tests exercise the same code path as the sandbox
//! (file reading, streaming, emitting) without a WebAssembly runtime, and
//! [`validate_declarations`] checks what a plugin declares and emits against the control catalog
//! and the host's rules before it ever runs in the host.

use crate::bindings::demarc::provider::types::EmitError;
pub use crate::declarations::{Controls, DeclarationProblems, is_kebab_id, validate_declarations};
use crate::{Finding, Input, Provider, ScanError, ScanRequest, ScanSummary};

/// What a native scan produced.
#[derive(Debug)]
pub struct NativeScan {
    /// Every finding emitted, in order.
    pub findings: Vec<Finding>,
    /// The scan's result.
    pub result: Result<ScanSummary, ScanError>,
}

impl NativeScan {
    /// Findings of one check.
    pub fn of_check<'a>(&'a self, check_id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.check_id == check_id)
    }
}

/// A scan request for `inputs` under `root`, with a pinned reference time.
pub fn request(root: &str, inputs: &[&str], now: &str) -> ScanRequest {
    ScanRequest {
        tenant: "test".into(),
        target: "test".into(),
        snapshot_root: root.to_string(),
        inputs: inputs
            .iter()
            .map(|p| Input {
                path: p.to_string(),
                format: None,
            })
            .collect(),
        now: now.to_string(),
    }
}

/// Run `P::scan` natively over `request`, collecting findings.
pub fn scan<P: Provider>(request: &ScanRequest) -> NativeScan {
    let mut findings = Vec::new();
    let result = {
        let mut sink = |batch: &[Finding]| -> Result<(), EmitError> {
            findings.extend_from_slice(batch);
            Ok(())
        };
        crate::emit::run::<P>(request, &mut sink)
    };
    NativeScan { findings, result }
}

/// Run `P::scan` over files in `dir` (a path on the host), with `now` as reference time.
pub fn scan_dir<P: Provider>(dir: &std::path::Path, inputs: &[&str], now: &str) -> NativeScan {
    scan::<P>(&request(&dir.to_string_lossy(), inputs, now))
}

/// A fresh temporary directory holding `files` (name and text); the caller removes it.
pub fn temp_dir(files: &[(&str, &str)]) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "demarc-sdk-scan-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write a temporary file");
    }
    dir
}

/// Run `P::scan` over `files` (name and text), written to a fresh temporary directory that is
/// removed afterwards, with `inputs` as the request's inputs (they may name files that do not
/// exist).
pub fn scan_inputs<P: Provider>(files: &[(&str, &str)], inputs: &[&str], now: &str) -> NativeScan {
    let dir = temp_dir(files);
    let scan = scan_dir::<P>(&dir, inputs, now);
    let _ = std::fs::remove_dir_all(&dir);
    scan
}

/// Run `P::scan` over `files` (name and text), written to a fresh temporary directory that is
/// removed afterwards; every file is an input, in the order given.
pub fn scan_files<P: Provider>(files: &[(&str, &str)], now: &str) -> NativeScan {
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    scan_inputs::<P>(files, &names, now)
}

/// The findings of a native scan of every snapshot directory `root/<tenant>/<target>` whose
/// target name starts with `prefix` (`aws-`), each scanned with all its files as inputs (sorted
/// by name), at `now`; for [`validate_declarations`] over a plugin's sample estate. Panics when
/// no directory matches or a scan fails.
pub fn scan_snapshots<P: Provider>(
    root: &std::path::Path,
    prefix: &str,
    now: &str,
) -> Vec<Finding> {
    let dirs = |p: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut out: Vec<_> = std::fs::read_dir(p)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        out.sort();
        out
    };
    let mut findings = Vec::new();
    let mut scanned = 0;
    for tenant in dirs(root).into_iter().filter(|p| p.is_dir()) {
        for target in dirs(&tenant) {
            let named = target
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix));
            if !named || !target.is_dir() {
                continue;
            }
            let files: Vec<String> = dirs(&target)
                .iter()
                .filter(|p| p.is_file())
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            let inputs: Vec<&str> = files.iter().map(String::as_str).collect();
            let scan = scan_dir::<P>(&target, &inputs, now);
            if let Err(e) = &scan.result {
                panic!("the scan of {} failed: {e:?}", target.display());
            }
            findings.extend(scan.findings);
            scanned += 1;
        }
    }
    assert!(
        scanned > 0,
        "no snapshot `{prefix}*` under {}",
        root.display()
    );
    findings
}

/// Check natively what the host checks when it loads `P` and takes its findings: its declared
/// checks against `controls`, and every finding of its snapshots under `root` (see
/// [`scan_snapshots`]) against those checks and the host's limits. Panics naming every problem.
pub fn assert_sample_estate_valid<P: Provider>(
    root: &std::path::Path,
    prefix: &str,
    now: &str,
    controls: &Controls,
) {
    let findings = scan_snapshots::<P>(root, prefix, now);
    assert!(!findings.is_empty(), "no findings under {}", root.display());
    if let Err(problems) = validate_declarations(&P::info(), controls, &findings) {
        panic!("{problems:?}");
    }
}

/// One resource of a plugin's export format and the check it always yields, for
/// [`assert_input_policy`].
#[derive(Debug, Clone, Copy)]
pub struct PolicyCase<'a> {
    /// One complete input file holding a single resource.
    pub file: &'a str,
    /// A check that file yields exactly one finding of.
    pub check: &'a str,
    /// A file cut off after its first resource, so that the reader fails on its third line.
    pub truncated: &'a str,
}

/// The SDK's input policy, as a plugin meets it with its own format: a missing input is fatal
/// when it is the only one and a `missing-input` problem beside others; a truncated input is
/// `malformed-input` at its line after the resources before the cut were emitted; empty and
/// garbage files are malformed at line 1, column 1; a malformed input beside a good one is a
/// problem and the good one is scanned. Panics on the first departure.
pub fn assert_input_policy<P: Provider>(case: PolicyCase<'_>, now: &str) {
    let s = scan_inputs::<P>(&[], &["nope.json"], now);
    match &s.result {
        Err(ScanError::MissingInput(e)) => assert_eq!(e.file, "nope.json"),
        other => panic!("a missing only input: {other:?}"),
    }
    let s = scan_inputs::<P>(&[("a.json", case.file)], &["nope.json", "a.json"], now);
    let summary = s.result.as_ref().expect("one missing input of two");
    assert_eq!(summary.problems.len(), 1, "{:?}", summary.problems);
    assert_eq!(summary.problems[0].kind.as_str(), "missing-input");
    assert_eq!(summary.problems[0].error.file, "nope.json");
    assert_eq!(s.of_check(case.check).count(), 1);

    let s = scan_inputs::<P>(&[("t.json", case.truncated)], &["t.json"], now);
    match &s.result {
        Err(ScanError::MalformedInput(e)) => {
            assert_eq!(e.file, "t.json");
            assert_eq!(e.line, Some(3), "{e:?}");
        }
        other => panic!("a truncated only input: {other:?}"),
    }
    // The resource before the cut was still evaluated and emitted.
    assert_eq!(s.of_check(case.check).count(), 1);
    for (name, text) in [("empty.json", ""), ("garbage.json", "this is not json")] {
        let s = scan_inputs::<P>(&[(name, text)], &[name], now);
        match &s.result {
            Err(ScanError::MalformedInput(e)) => {
                assert_eq!(e.file, name);
                assert_eq!((e.line, e.column), (Some(1), Some(1)), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    let s = scan_inputs::<P>(
        &[("t.json", case.truncated), ("ok.json", case.file)],
        &["t.json", "ok.json"],
        now,
    );
    let summary = s.result.as_ref().expect("one malformed input of two");
    assert_eq!(summary.problems[0].kind.as_str(), "malformed-input");
    assert_eq!(summary.problems[0].error.file, "t.json");
    assert_eq!(s.of_check(case.check).count(), 2);
}

/// The single finding of `check` among `findings`; panics when there is none or more than one.
pub fn only<'f>(findings: &'f [Finding], check: &str) -> &'f Finding {
    let mut of = findings.iter().filter(|f| f.check_id == check);
    let first = of
        .next()
        .unwrap_or_else(|| panic!("no finding of {check}: {findings:#?}"));
    assert!(of.next().is_none(), "more than one finding of {check}");
    first
}

/// The status of the single finding of `check` among `findings`.
pub fn status(findings: &[Finding], check: &str) -> crate::Status {
    only(findings, check).status
}

/// The value of a finding's evidence `key`, if it has one.
pub fn evidence<'f>(finding: &'f Finding, key: &str) -> Option<&'f str> {
    finding
        .evidence
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.as_str())
}

/// Assert what every plugin's checks must be: unique kebab-case ids starting with `prefix`
/// (`aws-`), a title, rationale and remediation, at least one control and resource type, and
/// only controls the catalog (`controls_toml`, the text of `schemas/catalog/controls.toml`)
/// defines. Panics naming the first check that is not.
pub fn assert_check_defs(defs: &[&crate::CheckDef], prefix: &str, controls_toml: &str) {
    let mut seen = std::collections::BTreeSet::new();
    for check in defs {
        assert!(seen.insert(check.id), "duplicate {}", check.id);
        assert!(check.id.starts_with(prefix), "{} lacks {prefix}", check.id);
        assert!(
            check
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{} is not kebab-case",
            check.id
        );
        assert!(!check.controls.is_empty() && !check.resource_types.is_empty());
        assert!(!check.title.is_empty() && !check.rationale.is_empty());
        assert!(!check.remediation.is_empty(), "{}", check.id);
        for control in check.controls {
            assert!(
                controls_toml.contains(&format!("id = \"{control}\"")),
                "{}: unknown control {control}",
                check.id
            );
        }
    }
}

/// One export that lacks the resources deciding some checks, and what scanning it produced.
///
/// Used with [`assert_absence_undecided`]: a check must never pass or fail because the export
/// does not hold what would decide it.
#[derive(Debug)]
pub struct AbsentCase {
    /// What the export holds and lacks, for messages.
    pub name: String,
    /// The checks whose deciding resources the export lacks; `None` for every check (an export
    /// that holds resources only by their identity, and nothing related to them).
    pub checks: Option<Vec<&'static str>>,
    /// The native scan of the export.
    pub scan: NativeScan,
}

impl AbsentCase {
    fn concerns(&self, check_id: &str) -> bool {
        self.checks
            .as_ref()
            .is_none_or(|ids| ids.contains(&check_id))
    }
}

/// Assert that absent data never decides a check, over every check of a plugin.
///
/// - No finding of a check a case concerns is `pass` or `fail`.
/// - Every check of `checks` that is not `excused` is covered: some case gives it a `manual`
///   finding, so a new check is tested the day it is added or the test fails.
/// - Every excused check names its reason, is a check of `checks`, and is not also covered (an
///   excuse that is no longer needed must go).
///
/// Panics with every violation listed.
pub fn assert_absence_undecided(
    checks: &[&crate::CheckDef],
    cases: &[AbsentCase],
    excused: &[(&str, &str)],
) {
    use crate::Status;
    let mut problems = Vec::new();
    for case in cases {
        if let Err(e) = &case.scan.result {
            problems.push(format!("{}: the scan failed: {e:?}", case.name));
        }
        for f in &case.scan.findings {
            if case.concerns(&f.check_id) && matches!(f.status, Status::Pass | Status::Fail) {
                problems.push(format!(
                    "{}: {} decided {} on {} from absent data: {}",
                    case.name,
                    f.check_id,
                    if f.status == Status::Pass {
                        "pass"
                    } else {
                        "fail"
                    },
                    f.resource.id,
                    f.message
                ));
            }
        }
    }
    for (id, reason) in excused {
        if !checks.iter().any(|c| c.id == *id) {
            problems.push(format!("excused check {id} is not a check of the plugin"));
        }
        if reason.trim().is_empty() {
            problems.push(format!("excused check {id} gives no reason"));
        }
    }
    for check in checks {
        let covered = cases.iter().any(|case| {
            case.concerns(check.id)
                && case
                    .scan
                    .of_check(check.id)
                    .any(|f| f.status == Status::Manual && !f.message.is_empty())
        });
        let excuse = excused.iter().find(|(id, _)| *id == check.id);
        match (covered, excuse) {
            (true, Some(_)) => problems.push(format!(
                "{} is excused but covered: remove it from the excused list",
                check.id
            )),
            (false, None) => problems.push(format!(
                "{} is neither covered (no case gives it a manual finding) nor excused with a reason",
                check.id
            )),
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "absent data decided checks:\n  {}",
        problems.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, CheckDef, FindingBuilder, Severity};

    static A: CheckDef = CheckDef {
        id: "t-a",
        title: "a",
        severity: Severity::Low,
        actor: Actor::Customer,
        rationale: "r",
        remediation: "r",
        controls: &["c"],
        resource_types: &["T"],
        requirements: &[],
    };
    static B: CheckDef = CheckDef { id: "t-b", ..A };

    fn case(checks: Option<Vec<&'static str>>, findings: Vec<Finding>) -> AbsentCase {
        AbsentCase {
            name: "case".into(),
            checks,
            scan: NativeScan {
                findings,
                result: Ok(ScanSummary {
                    resources: 0,
                    skipped: 0,
                    problems: Vec::new(),
                }),
            },
        }
    }

    fn finding(check: &CheckDef, status: crate::Status) -> Finding {
        FindingBuilder::new(check, "1", "r", "T", "x").status(status, "why")
    }

    fn panics(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let e = std::panic::catch_unwind(f).expect_err("the assertion should fail");
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn manual_everywhere_passes() {
        use crate::Status::*;
        let cases = [case(
            None,
            vec![
                finding(&A, Manual),
                finding(&B, Manual),
                finding(&B, NotApplicable),
            ],
        )];
        assert_absence_undecided(&[&A, &B], &cases, &[]);
    }

    #[test]
    fn a_decision_from_absence_fails() {
        use crate::Status::*;
        let m = panics(|| {
            let cases = [case(None, vec![finding(&A, Manual), finding(&B, Fail)])];
            assert_absence_undecided(&[&A], &cases, &[("t-b", "reason")]);
        });
        assert!(m.contains("t-b decided fail"), "{m}");
        // A case scoped to other checks does not judge this one.
        let cases = [
            case(
                Some(vec!["t-a"]),
                vec![finding(&A, Manual), finding(&B, Pass)],
            ),
            case(None, vec![finding(&B, Manual)]),
        ];
        assert_absence_undecided(&[&A, &B], &cases, &[]);
    }

    #[test]
    fn a_check_neither_covered_nor_excused_fails_and_excuses_stay_honest() {
        use crate::Status::*;
        let cases = [case(
            None,
            vec![finding(&A, Manual), finding(&B, NotApplicable)],
        )];
        let m = panics(|| assert_absence_undecided(&[&A, &B], &cases, &[]));
        assert!(m.contains("t-b is neither covered"), "{m}");
        assert_absence_undecided(&[&A, &B], &cases, &[("t-b", "needs two exports")]);
        let m = panics(|| assert_absence_undecided(&[&A, &B], &cases, &[("t-a", "x")]));
        assert!(m.contains("t-a is excused but covered"), "{m}");
        let m = panics(|| assert_absence_undecided(&[&A, &B], &cases, &[("t-b", " ")]));
        assert!(m.contains("gives no reason"), "{m}");
        let m =
            panics(|| assert_absence_undecided(&[&A, &B], &cases, &[("t-b", "r"), ("t-z", "r")]));
        assert!(m.contains("t-z is not a check"), "{m}");
    }
}
