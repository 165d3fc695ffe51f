//! The SARIF 2.1.0 importer, natively: a log of several tools' runs (Checkov, Trivy), results
//! kept at their file location or at the cloud resource a logical location names, and malformed
//! input (truncated, another tool's format, an unknown kind, a missing location), each a
//! problem at its file and position with nothing else lost.

mod common;
use common::{Run, run};
use demarc_plugin_import::Importer;
use demarc_sdk::testing::evidence;
use demarc_sdk::{Finding, ProblemKind, Provider, ScanError, ScanSummary, Severity, Status};

demarc_plugin_import::export_importer!(Aws, "aws", "import-aws");

const SARIF: &str = include_str!("fixtures/iac.sarif");
const SECURITY_HUB: &str = include_str!("fixtures/securityhub.asff.json");

impl Run {
    fn summary(&self) -> &ScanSummary {
        self.result.as_ref().expect("the scan ran to its end")
    }
    fn one(&self, id: &str) -> &Finding {
        let of: Vec<&Finding> = self.findings.iter().filter(|f| f.check_id == id).collect();
        assert_eq!(of.len(), 1, "{id}: {:#?}", self.findings);
        of[0]
    }
    fn problems(&self, kind: ProblemKind) -> Vec<&str> {
        self.summary()
            .problems
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.error.message.as_str())
            .collect()
    }
}

#[test]
fn checkov_and_trivy_runs_are_imported_by_rule_id() {
    let r = run::<Aws>(&[("iac.sarif", SARIF)], Some("sarif"));
    let s = r.summary();
    // Five results: three of mapped Checkov rules; one Checkov rule and Trivy's unmapped.
    assert_eq!(r.findings.len(), 3, "{:#?}", r.findings);
    let acl = r.one("checkov-ckv-aws-20");
    assert_eq!(acl.status, Status::Fail);
    // No cloud resource: the file location is the resource.
    assert_eq!(acl.resource.id, "infra/storage.tf:12");
    assert_eq!(evidence(acl, "tool"), Some("checkov"));
    assert_eq!(evidence(acl, "tool.version"), Some("3.2.334"));
    assert_eq!(evidence(acl, "tool.check"), Some("CKV_AWS_20"));
    assert_eq!(evidence(acl, "sarif.level"), Some("error"));
    let check = r
        .declared
        .iter()
        .find(|c| c.id == "checkov-ckv-aws-20")
        .unwrap();
    assert_eq!(check.controls, ["public-resource-access"]);
    assert_eq!(check.severity, Severity::High);
    // Suppressed in source: kept, said so.
    let imds = r.one("checkov-ckv-aws-79");
    assert_eq!(evidence(imds, "tool.suppressed"), Some("inSource"));
    assert!(imds.message.contains("suppressed in checkov"));

    // The Checkov rule no table names and Trivy's (demarc holds no mapping of Trivy's checks)
    // are declared with no control and their results kept as unmapped.
    for (check, tool_check) in [
        ("checkov-ckv-aws-144", "CKV_AWS_144"),
        ("trivy-avd-aws-0086", "AVD-AWS-0086"),
    ] {
        assert!(r.declared(check).controls.is_empty(), "{check}");
        assert_eq!(r.unmapped_of(check).0, 1, "{check}");
        let f = r.unmapped.iter().find(|f| f.check_id == check).unwrap();
        assert_eq!(evidence(f, "tool.check"), Some(tool_check));
    }
    assert!(
        r.problems(ProblemKind::UnsupportedFormat).is_empty(),
        "{:#?}",
        s.problems
    );
}

fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(SARIF).unwrap();
    edit(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn kinds_and_cloud_resources_in_logical_locations() {
    let text = edited(|v| {
        let results = &mut v["runs"][0]["results"];
        results[0]["kind"] = "pass".into();
        results[0]["locations"][0]["logicalLocations"] = serde_json::json!([
            {"fullyQualifiedName": "arn:aws:s3:::nw-prod-assets-482913650271", "kind": "resource"}
        ]);
        results[1]["locations"][0]["logicalLocations"] = serde_json::json!([{"fullyQualifiedName": "aws_security_group.ssh", "kind": "resource"}]);
        results[1]["kind"] = "review".into();
    });
    let r = run::<Aws>(&[("iac.sarif", &text)], None);
    let acl = r.one("checkov-ckv-aws-20");
    assert_eq!(acl.status, Status::Pass);
    assert_eq!(acl.resource.id, "arn:aws:s3:::nw-prod-assets-482913650271");
    let ssh = r.one("checkov-ckv-aws-24");
    assert_eq!(ssh.status, Status::Manual);
    assert_eq!(ssh.resource.id, "infra/network.tf#aws_security_group.ssh");
}

#[test]
fn unknown_kind_and_missing_location_are_problems_and_nothing_else_is_lost() {
    let text = edited(|v| {
        let results = &mut v["runs"][0]["results"];
        results[0]["kind"] = "broken".into();
        results[1].as_object_mut().unwrap().remove("locations");
    });
    let r = run::<Aws>(&[("e.sarif", &text)], Some("sarif"));
    let bad = r.problems(ProblemKind::MalformedInput);
    assert_eq!(bad.len(), 2, "{bad:#?}");
    assert!(
        bad[0].contains("item 0: checkov result 0 (rule `CKV_AWS_20`): unknown `kind` `broken`"),
        "{}",
        bad[0]
    );
    assert!(
        bad[1].contains("item 0: checkov result 1 (rule `CKV_AWS_24`): no location"),
        "{}",
        bad[1]
    );
    assert!(r.summary().problems.iter().all(|p| p.error.line.is_some()));
    assert_eq!(r.findings.len(), 1);
}

#[test]
fn a_truncated_log_keeps_the_runs_before_the_cut() {
    let cut = &SARIF[..SARIF.find("AVD-AWS-0086").unwrap()];
    let r = run::<Aws>(&[("cut.sarif", cut)], Some("sarif"));
    let Err(ScanError::MalformedInput(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert_eq!(e.file, "cut.sarif");
    assert!(e.line.is_some());
    assert_eq!(r.findings.len(), 3);
}

#[test]
fn another_tools_format_is_named() {
    let r = run::<Aws>(&[("sh.json", SECURITY_HUB)], Some("sarif"));
    let Err(ScanError::UnsupportedFormat(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert!(
        e.message.contains(
            "this is AWS Security Hub findings (ASFF), not SARIF; import it with `importer = \"asff\"`"
        ),
        "{}",
        e.message
    );
}

/// One component reads every format, so it names them all as its producer rather than one
/// tool; and the formats it reads are exactly those a target's `importer` may name.
#[test]
fn the_importer_names_every_format_it_reads_as_its_producer() {
    let producer = Importer::<Aws>::info()
        .producer
        .expect("an importer names its producer");
    let config = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../host/cli/src/config.rs"),
    )
    .unwrap();
    let line = config
        .lines()
        .find(|l| l.starts_with("pub const IMPORTERS"))
        .expect("the configuration's list of importers");
    for format in demarc_plugin_import::ImportFormat::ALL {
        assert!(producer.name.contains(format.name()), "{}", producer.name);
        assert!(line.contains(&format!("\"{}\"", format.name())), "{line}");
    }
    assert_eq!(
        line.matches('"').count(),
        2 * demarc_plugin_import::ImportFormat::ALL.len()
    );
}
