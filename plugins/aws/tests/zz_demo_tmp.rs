use demarc_plugin_aws::Aws;
use demarc_sdk::{Status, testing};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn demo() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
    let targets: [(&str, &[&str]); 4] = [
        (
            "northwind/aws-prod",
            &[
                "config-snapshot.json",
                "config-snapshot-eu-west-1.json",
                "credential-report.csv",
            ],
        ),
        ("northwind/aws-dev", &["config-items.ndjson"]),
        (
            "contoso-health/aws-prod",
            &["config-snapshot.json", "credential-report.csv"],
        ),
        (
            "fabrikam/aws-prod",
            &["config-snapshot.json", "credential-report.csv"],
        ),
    ];
    let now = std::env::var("DEMO_NOW").unwrap_or("2026-11-02T00:00:00Z".into());
    let mut actual = BTreeSet::new();
    let mut all = Vec::new();
    for (dir, inputs) in targets {
        let s = testing::scan_dir::<Aws>(&root.join(dir), inputs, &now);
        let summary = s.result.as_ref().unwrap();
        println!(
            "{dir}: resources {} skipped {} problems {:?} findings {}",
            summary.resources,
            summary.skipped,
            summary.problems,
            s.findings.len()
        );
        for f in &s.findings {
            if f.status == Status::Fail {
                actual.insert((f.check_id.clone(), f.resource.id.clone()));
            }
            all.push(f.clone());
        }
    }
    let expected: BTreeMap<String, Vec<String>> = serde_json::from_str(
        &std::fs::read_to_string(root.join("expected-failures.json")).unwrap(),
    )
    .unwrap();
    let expected: BTreeSet<(String, String)> = expected
        .into_iter()
        .flat_map(|(c, ids)| ids.into_iter().map(move |i| (c.clone(), i)))
        .collect();
    for m in expected.difference(&actual) {
        println!("MISSED {m:?}");
        for f in all
            .iter()
            .filter(|f| f.check_id == m.0 && f.resource.id == m.1)
        {
            println!("   got {:?}: {} {:?}", f.status, f.message, f.evidence);
        }
    }
    for m in actual.difference(&expected) {
        println!("EXTRA {m:?}");
        for f in all
            .iter()
            .filter(|f| f.check_id == m.0 && f.resource.id == m.1)
        {
            println!("   got {:?}: {} {:?}", f.status, f.message, f.evidence);
        }
    }
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for f in &all {
        *counts
            .entry(f.check_id.clone())
            .or_default()
            .entry(format!("{:?}", f.status))
            .or_default() += 1;
    }
    for (c, m) in &counts {
        println!("{c}: {m:?}");
    }
    for f in all
        .iter()
        .filter(|f| matches!(f.status, Status::Error | Status::Manual))
    {
        println!(
            "{:?} {} {}: {}",
            f.status, f.check_id, f.resource.id, f.message
        );
    }
}
