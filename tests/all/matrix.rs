//! `demarc matrix` on the demo estate: golden files of the customer responsibility matrix for
//! two tenants and two frameworks each, in which inherited, satisfied, failing, partial,
//! attested, overdue and not-assessed requirements all occur. Set `BLESS=1` to rewrite them
//! after an intended change, and review the diff.

use std::collections::BTreeSet;

use crate::{demarc, describe, root};

const CASES: &[(&str, &str)] = &[
    ("northwind", "pci-dss-4.0"),
    ("northwind", "hipaa-security"),
    ("contoso-health", "hipaa-security"),
    ("contoso-health", "iso-27001-2022"),
];

#[test]
fn the_customer_responsibility_matrix_matches_its_golden_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let config = root().join("examples/demo/demarc.toml");
    let out = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--pin-time",
            "2026-11-02T00:00:00Z",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report = out_dir.join("report.json");
    let mut statuses = BTreeSet::new();
    for (tenant, framework) in CASES {
        let out = demarc(
            &[
                "matrix",
                "--in",
                report.to_str().unwrap(),
                "--tenant",
                tenant,
                "--framework",
                framework,
            ],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        let golden = root().join(format!("tests/golden/matrix-{tenant}-{framework}.txt"));
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&golden, &text).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        assert!(
            text == want,
            "{} differs from the output; rerun with BLESS=1 and review the diff.\n--- output\n{text}",
            golden.display()
        );

        let json = demarc(
            &[
                "matrix",
                "--in",
                report.to_str().unwrap(),
                "--tenant",
                tenant,
                "--framework",
                framework,
                "--format",
                "json",
            ],
            tmp.path(),
        );
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let rows = v["requirements"].as_array().unwrap();
        assert!(!rows.is_empty());
        for r in rows {
            statuses.insert(r["status"].as_str().unwrap().to_string());
            // Every requirement has an owner, and evidence or a named gap.
            assert!(r["owner"].is_string());
            assert!(
                !r["evidence"].as_array().unwrap().is_empty() || r["gap"].is_string(),
                "{r:#}"
            );
        }
        let csv = demarc(
            &[
                "matrix",
                "--in",
                report.to_str().unwrap(),
                "--tenant",
                tenant,
                "--framework",
                framework,
                "--format",
                "csv",
            ],
            tmp.path(),
        );
        let csv = String::from_utf8(csv.stdout).unwrap();
        assert!(csv.starts_with("requirement,controls,owner,parties,status,evidence,gap\n"));
        assert_eq!(csv.lines().count(), rows.len() + 1);
    }
    for want in [
        "inherited",
        "satisfied",
        "failing",
        "partial",
        "attested",
        "overdue",
        "not-assessed",
    ] {
        assert!(
            statuses.contains(want),
            "no `{want}` requirement in the golden cases: {statuses:?}"
        );
    }
}

#[test]
fn the_matrix_names_unknown_tenants_and_frameworks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = demarc(
        &[
            "matrix",
            "--tenant",
            "x",
            "--framework",
            "y",
            "--in",
            "nope.json",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.json"));
}
