//! Bad input — truncated JSON, the wrong cloud's export, an empty file, a missing file, a
//! malformed item — gives an error naming the file (and the position where the parser knows
//! it), is recorded as a gap, the scan exits 3, and every other target keeps its findings.

use crate::{demarc, describe, gaps, report, root, write_config};

/// A configuration with a good target first (findings are deduplicated by id in plan order,
/// and some fixtures repeat its resources) and then one target per fixture.
fn config(dir: &std::path::Path, fixtures: &[(&str, &str)]) -> std::path::PathBuf {
    let fx = root().join("tests/fixtures/aws");
    let mut text = format!(
        "now = \"2026-11-01T00:00:00Z\"\n\n[[tenant]]\nid = \"good\"\n\n[[tenant.target]]\nid = \"good-aws\"\nprovider = \"aws\"\nsnapshot = \"{}\"\ninputs = [\"minimal.json\", \"credential-report.csv\"]\n\n[[tenant]]\nid = \"acme\"\n",
        fx.display()
    );
    for (id, file) in fixtures {
        text.push_str(&format!(
            "\n[[tenant.target]]\nid = \"{id}\"\nprovider = \"aws\"\nsnapshot = \"{}\"\ninputs = [\"{file}\"]\n",
            fx.display()
        ));
    }
    write_config(dir, &text)
}

fn scan(fixtures: &[(&str, &str)]) -> (std::process::Output, serde_json::Value) {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), fixtures);
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let r = report(&out_dir);
    crate::schema::assert_valid(&r);
    (out, r)
}

/// The gap of `target` about its input. Every fixture is in the good target's account, under
/// another tenant, so a target that reports findings also has an `account-clash` gap: that one
/// is left out here.
fn gap_of<'a>(gaps: &'a [serde_json::Value], target: &str) -> &'a serde_json::Value {
    let mine: Vec<_> = gaps
        .iter()
        .filter(|g| g["target"] == target && g["kind"] != "account-clash")
        .collect();
    assert_eq!(mine.len(), 1, "gaps of {target}: {mine:#?}");
    mine[0]
}

fn assert_good_target_intact(r: &serde_json::Value) {
    let good: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["target"] == "good-aws")
        .collect();
    assert!(
        good.iter().any(|f| f["status"] == "fail"
            && f["check"]["id"] == "aws-ec2-sg-admin-port-open"
            && f["resource"]["id"]
                == "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0d3297cc5de50b97e"),
        "the good target lost its findings"
    );
    assert!(
        good.iter()
            .any(|f| f["check"]["id"] == "aws-iam-user-console-mfa" && f["status"] == "fail")
    );
}

#[test]
fn every_bad_input_is_a_named_gap_and_the_rest_of_the_scan_goes_on() {
    let (out, r) = scan(&[
        ("truncated", "truncated.json"),
        ("azure", "azure-resource-graph.json"),
        ("empty", "empty.json"),
        ("missing", "no-such-export.json"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("coverage: INCOMPLETE"), "{stdout}");
    let gaps = gaps(&r);
    // The fixtures share the good tenant's account: a clash the report names.
    assert!(
        gaps.iter()
            .any(|g| g["kind"] == "account-clash" && g["tenant"] == "acme"),
        "{gaps:#?}"
    );

    let g = gap_of(&gaps, "truncated");
    assert_eq!(g["kind"], "malformed-input", "{g:#}");
    assert_eq!(g["file"], "truncated.json");
    assert!(g["line"].as_u64().unwrap() > 1, "{g:#}");
    assert!(
        g["message"]
            .as_str()
            .unwrap()
            .starts_with("truncated.json:"),
        "{g:#}"
    );

    let g = gap_of(&gaps, "azure");
    assert_eq!(g["kind"], "unsupported-format", "{g:#}");
    assert_eq!(g["file"], "azure-resource-graph.json");
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["target"] != "azure")
    );

    let g = gap_of(&gaps, "empty");
    assert_eq!(g["kind"], "malformed-input", "{g:#}");
    assert_eq!(g["file"], "empty.json");
    assert!(g["message"].as_str().unwrap().contains("empty"), "{g:#}");

    let g = gap_of(&gaps, "missing");
    assert_eq!(g["kind"], "missing-input", "{g:#}");
    assert_eq!(g["file"], "no-such-export.json");

    assert_good_target_intact(&r);
    // The run records what it read, with digests, and what it could not.
    let inputs = r["run"]["inputs"].as_array().unwrap();
    let missing = inputs
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("no-such-export.json"))
        .unwrap();
    assert!(missing.get("sha256").is_none());
    let minimal = inputs
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("minimal.json"))
        .unwrap();
    assert_eq!(minimal["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn a_malformed_item_is_a_gap_at_its_line_and_its_neighbours_still_scan() {
    let (out, r) = scan(&[("bad-item", "bad-item.ndjson")]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let gaps = gaps(&r);
    let g = gap_of(&gaps, "bad-item");
    assert_eq!(g["kind"], "malformed-input", "{g:#}");
    assert_eq!(g["file"], "bad-item.ndjson");
    assert_eq!(g["line"], 2, "{g:#}");
    let findings: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["target"] == "bad-item")
        .collect();
    let failing = |check: &str, id: &str| {
        findings.iter().any(|f| {
            f["check"]["id"] == check && f["resource"]["id"] == id && f["status"] == "fail"
        })
    };
    assert!(failing(
        "aws-ec2-sg-admin-port-open",
        "arn:aws:ec2:us-east-1:123456789012:security-group/sg-07bd0a5b248c47f07"
    ));
    assert!(failing(
        "aws-ebs-volume-encrypted",
        "arn:aws:ec2:us-east-1:123456789012:volume/vol-0e65c89a09a8b1f8c"
    ));
    assert!(!findings.iter().any(|f| {
        f["resource"]["id"]
            .as_str()
            .unwrap()
            .contains("sg-0903d9541735b249b")
    }));
    assert_good_target_intact(&r);
}

#[test]
fn a_missing_snapshot_directory_is_a_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        "[[tenant]]\nid = \"acme\"\n[[tenant.target]]\nid = \"gone\"\nprovider = \"aws\"\nsnapshot = \"nowhere\"\n",
    );
    let out_dir = tmp.path().join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let gaps = gaps(&r);
    let g = gap_of(&gaps, "gone");
    assert_eq!(g["kind"], "missing-input", "{g:#}");
    assert!(g["message"].as_str().unwrap().contains("nowhere"), "{g:#}");
}
