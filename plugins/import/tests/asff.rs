//! The AWS Security Hub (ASFF) importer, natively: `aws securityhub get-findings` output (a
//! `Findings` wrapper, one page or the last), Prowler's `-M json-asff` (a bare array), and
//! malformed input (truncated, another tool's format, an unknown status, a missing resource or
//! check id), each a problem at its file and position with nothing else lost.

mod common;
use common::{Run, run};
use demarc_plugin_import::asff::{control_of_generator, requirement};
use demarc_sdk::testing::evidence;
use demarc_sdk::{Finding, ProblemKind, ScanError, ScanSummary, Severity, Status};

demarc_plugin_import::export_importer!(Aws, "aws", "import-aws");
demarc_plugin_import::export_importer!(Azure, "azure", "import-azure");

const SECURITY_HUB: &str = include_str!("fixtures/securityhub.asff.json");
const PROWLER: &str = include_str!("fixtures/prowler.asff.json");
const PROWLER_OCSF: &str = include_str!("fixtures/prowler-aws.ocsf.json");

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

/// Import `files`, declared as `format` (`None`: sniffed).
#[test]
fn security_hub_control_findings_are_imported_by_control_id() {
    let r = run::<Aws>(&[("sh.json", SECURITY_HUB)], Some("asff"));
    let s = r.summary();
    // Nine findings: six imported, one archived (skipped), one of an unmapped control (kept
    // as unmapped), one GuardDuty detection that is no control result.
    assert_eq!(r.findings.len(), 6, "{:#?}", r.findings);
    assert_eq!(r.unmapped.len(), 1, "{:#?}", r.unmapped);
    assert_eq!(s.resources, 7);
    assert_eq!(s.skipped, 1);

    // Consolidated control finding: `Compliance.SecurityControlId`.
    let s38 = r.one("securityhub-s3.8");
    assert_eq!(s38.status, Status::Fail);
    assert_eq!(s38.resource.id, "arn:aws:s3:::nw-prod-assets-482913650271");
    assert_eq!(s38.resource.native_type, "AwsS3Bucket");
    assert_eq!(s38.account, "482913650271");
    assert_eq!(s38.region, "eu-west-1");
    assert_eq!(s38.observed_at.as_deref(), Some("2026-11-01T07:41:02.113Z"));
    assert_eq!(evidence(s38, "tool"), Some("securityhub"));
    assert_eq!(evidence(s38, "tool.check"), Some("S3.8"));
    assert_eq!(evidence(s38, "compliance.status"), Some("FAILED"));
    assert_eq!(evidence(s38, "tool.workflow"), Some("NEW"));
    let check = r.declared("securityhub-s3.8");
    assert_eq!(check.controls, ["public-resource-access"]);
    assert_eq!(check.severity, Severity::High);
    // Its CIS citation is of a version demarc does not hold: mapped by the table alone.
    assert!(check.requirements.is_empty());

    // Per-standard finding without a security control id: the control id from `GeneratorId`.
    let iam4 = r.one("securityhub-iam.4");
    assert_eq!(iam4.status, Status::Pass);
    assert_eq!(iam4.resource.id, "AWS::::Account:482913650271");
    assert_eq!(
        r.declared("securityhub-iam.4").controls,
        ["root-account-protection"]
    );
    assert_eq!(r.declared("securityhub-iam.4").severity, Severity::Critical);
    // A CIS ruleset's finding, by its security control id.
    assert_eq!(r.one("securityhub-iam.3").status, Status::Fail);

    // Suppressed in Security Hub: kept with its result, the suppression in its evidence.
    let kms = r.one("securityhub-kms.4");
    assert_eq!(kms.status, Status::Fail);
    assert_eq!(evidence(kms, "tool.workflow"), Some("SUPPRESSED"));
    assert!(
        kms.message.contains("suppressed in securityhub"),
        "{}",
        kms.message
    );

    // WARNING: a person decides; NOT_AVAILABLE: not evaluated.
    assert_eq!(r.one("securityhub-ec2.8").status, Status::Manual);
    assert_eq!(r.one("securityhub-rds.2").status, Status::Error);
    assert_eq!(
        evidence(r.one("securityhub-rds.2"), "compliance.status"),
        Some("NOT_AVAILABLE")
    );

    // Never silently lost: the unmapped control is declared with no control and its finding
    // kept; the detections that are no control results are a problem.
    assert!(r.declared("securityhub-guardduty.1").controls.is_empty());
    assert_eq!(r.unmapped_of("securityhub-guardduty.1"), (1, 1));
    assert_eq!(evidence(&r.unmapped[0], "tool.check"), Some("GuardDuty.1"));
    let unsupported = r.problems(ProblemKind::UnsupportedFormat);
    assert_eq!(unsupported.len(), 1, "{:#?}", s.problems);
    assert!(
        unsupported
            .iter()
            .any(|m| m.contains("1 finding(s) of GuardDuty have no `Compliance.Status`")),
        "{unsupported:#?}"
    );
    assert!(
        s.problems
            .iter()
            .all(|p| p.error.file == "sh.json" && p.error.line.is_some())
    );
}

#[test]
fn prowler_asff_is_prowlers_and_maps_like_its_ocsf_output() {
    let r = run::<Aws>(&[("prowler.asff.json", PROWLER)], Some("asff"));
    assert_eq!(r.findings.len(), 2, "{:#?}", r.findings);
    // The same demarc check as Prowler's JSON-OCSF output of the same check.
    let t = r.one("prowler-s3-bucket-secure-transport-policy");
    assert_eq!(t.status, Status::Fail);
    assert_eq!(evidence(t, "tool"), Some("prowler"));
    assert_eq!(evidence(t, "tool.version"), Some("5.14.1"));
    assert_eq!(
        evidence(t, "tool.check"),
        Some("s3_bucket_secure_transport_policy")
    );
    // `CIS-7.0 3.1.1` maps through the crosswalk and is kept as the check's requirement.
    let check = r.declared("prowler-s3-bucket-secure-transport-policy");
    assert_eq!(check.controls, ["enc-in-transit"]);
    assert_eq!(check.requirements.len(), 1);
    assert_eq!(check.requirements[0].benchmark, "cis-aws-7.0");
    assert_eq!(check.requirements[0].id, "3.1.1");
    // Cites an older CIS only: Prowler's table.
    let ssh = "prowler-ec2-securitygroup-allow-ingress-from-internet-to-tcp-port-22";
    assert_eq!(r.one(ssh).status, Status::Pass);
    assert_eq!(r.declared(ssh).controls, ["mgmt-port-exposure"]);
    assert!(r.problems(ProblemKind::UnsupportedFormat).is_empty());
    assert_eq!(
        r.unmapped_of("prowler-account-maintain-current-contact-details"),
        (1, 1)
    );

    // Sniffed when no format is declared, either layout.
    let r = run::<Aws>(&[("a.json", PROWLER), ("b.json", SECURITY_HUB)], None);
    assert_eq!(r.findings.len(), 2 + 6);
}

/// The Security Hub export with its findings edited.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(SECURITY_HUB).unwrap();
    edit(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

/// `Workflow.Status` is what people did, `Compliance.Status` the result: a failing finding
/// marked RESOLVED by hand still fails and says so; a passing one resolved by Security Hub is a
/// plain pass; an archived one is no verdict whatever its workflow says.
#[test]
fn a_resolved_workflow_keeps_the_evaluation_and_archived_findings_are_no_verdict() {
    let text = edited(|v| {
        v["Findings"][0]["Workflow"]["Status"] = "RESOLVED".into();
        v["Findings"][1]["Workflow"]["Status"] = "RESOLVED".into();
        v["Findings"][6]["Workflow"]["Status"] = "SUPPRESSED".into();
    });
    let r = run::<Aws>(&[("sh.json", &text)], Some("asff"));
    assert_eq!(r.findings.len(), 6, "{:#?}", r.findings);
    assert_eq!(r.summary().skipped, 1);
    let s38 = r.one("securityhub-s3.8");
    assert_eq!(s38.status, Status::Fail);
    assert_eq!(evidence(s38, "tool.workflow"), Some("RESOLVED"));
    assert!(
        s38.message
            .contains("marked resolved in securityhub: `Workflow.Status` RESOLVED, but its last evaluation is FAILED"),
        "{}",
        s38.message
    );
    let iam4 = r.one("securityhub-iam.4");
    assert_eq!(iam4.status, Status::Pass);
    assert!(!iam4.message.contains("resolved"), "{}", iam4.message);
    // The archived S3.8 finding (another bucket) left no finding behind.
    assert!(
        r.findings
            .iter()
            .all(|f| f.resource.id == s38.resource.id || f.check_id != "securityhub-s3.8")
    );
}

#[test]
fn a_page_with_a_next_token_is_imported_and_said_to_be_incomplete() {
    let page = edited(|v| v["NextToken"] = "eyJOZXh0VG9rZW4iOiAiQUJDIn0=".into());
    let r = run::<Aws>(&[("page1.json", &page)], Some("asff"));
    assert_eq!(r.findings.len(), 6);
    let incomplete = r.problems(ProblemKind::IncompleteInput);
    assert_eq!(incomplete.len(), 1, "{:#?}", r.summary().problems);
    assert!(incomplete[0].contains("ends with a `NextToken`"));
    // The last page says `null` (or nothing): complete.
    let last = edited(|v| v["NextToken"] = serde_json::Value::Null);
    let r = run::<Aws>(&[("last.json", &last)], Some("asff"));
    assert!(r.problems(ProblemKind::IncompleteInput).is_empty());
}

#[test]
fn unknown_status_missing_resource_or_check_id_are_problems_and_nothing_else_is_lost() {
    let text = edited(|v| {
        let f = &mut v["Findings"];
        f[0]["Compliance"]["Status"] = "ERROR".into();
        f[1]["Resources"] = serde_json::json!([{"Type": "AwsAccount", "Id": ""}]);
        f[2]["Compliance"]
            .as_object_mut()
            .unwrap()
            .remove("SecurityControlId");
        f[2].as_object_mut().unwrap().remove("GeneratorId");
        f[2]["ProductFields"] = serde_json::json!({});
        f[2]["ProductArn"] = "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into();
    });
    let r = run::<Aws>(&[("e.json", &text)], Some("asff"));
    let bad = r.problems(ProblemKind::MalformedInput);
    assert_eq!(bad.len(), 3, "{bad:#?}");
    assert!(bad[0].contains("item 0: unknown `Compliance.Status` `ERROR` (Security Hub writes PASSED, FAILED, WARNING or NOT_AVAILABLE)"), "{}", bad[0]);
    assert!(
        bad[1].contains("item 1: securityhub check `IAM.4`: no resource id (`Resources[].Id`)"),
        "{}",
        bad[1]
    );
    assert!(bad[2].contains("item 2: no check id"), "{}", bad[2]);
    // The line of the first item in the pretty-printed file.
    let line = text
        .lines()
        .position(|l| l == "    {")
        .map(|i| i as u32 + 1);
    assert_eq!(r.summary().problems[0].error.line, line);
    // The other three imported.
    assert_eq!(r.findings.len(), 3);
}

#[test]
fn a_truncated_export_keeps_what_came_before_and_says_where_it_ends() {
    let cut = &SECURITY_HUB[..SECURITY_HUB.find("security-control/KMS.4").unwrap()];
    let r = run::<Aws>(&[("cut.json", cut)], Some("asff"));
    let Err(ScanError::MalformedInput(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert_eq!(e.file, "cut.json");
    assert!(e.line.is_some() && e.column.is_some());
    assert_eq!(r.findings.len(), 3);
    // Beside a good input: a problem, and the good one imported.
    let r = run::<Aws>(
        &[("cut.json", cut), ("good.json", SECURITY_HUB)],
        Some("asff"),
    );
    assert!(
        r.summary()
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::MalformedInput && p.error.file == "cut.json")
    );
    assert_eq!(r.findings.len(), 3 + 6);
}

#[test]
fn another_tools_format_is_named() {
    let unsupported = |r: &Run| -> String {
        match &r.result {
            Err(ScanError::UnsupportedFormat(e)) => e.message.clone(),
            other => panic!("{other:?}"),
        }
    };
    let sarif = r#"{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"name":"checkov"}},"results":[]}]}"#;
    let r = run::<Aws>(&[("c.sarif", sarif)], Some("asff"));
    assert!(
        unsupported(&r)
            .contains("this is a SARIF log, not ASFF; import it with `importer = \"sarif\"`"),
        "{}",
        unsupported(&r)
    );
    let r = run::<Aws>(&[("p.json", PROWLER_OCSF)], Some("asff"));
    assert!(unsupported(&r).contains(
        "this is OCSF findings (Prowler's JSON-OCSF output), not ASFF; import it with `importer = \"prowler-ocsf\"`"
    ), "{}", unsupported(&r));
    // ASFF declared as Prowler's OCSF.
    let r = run::<Aws>(&[("sh.json", SECURITY_HUB)], Some("prowler-ocsf"));
    assert!(unsupported(&r).contains(
        "this is AWS Security Hub findings (ASFF), not Prowler JSON-OCSF; import it with `importer = \"asff\"`"
    ), "{}", unsupported(&r));
    // Sniffed, a SARIF log is read as SARIF (its one run holds no results).
    let r = run::<Aws>(&[("c.sarif", sarif)], None);
    assert!(r.result.is_ok(), "{:?}", r.result);
    assert!(r.findings.is_empty());
    // ASFF on an azure target.
    let r = run::<Azure>(&[("sh.json", SECURITY_HUB)], Some("asff"));
    assert!(
        unsupported(&r)
            .contains("are aws findings: import them in a target whose provider is `aws`"),
        "{}",
        unsupported(&r)
    );
    assert!(r.findings.is_empty());
}

#[test]
fn requirements_and_generator_ids_are_read_in_each_spelling() {
    assert_eq!(
        requirement("CIS AWS Foundations Benchmark v1.2.0/1.4"),
        Some((
            "CIS AWS Foundations Benchmark v1.2.0".into(),
            vec!["1.4".into()]
        ))
    );
    assert_eq!(
        requirement("NIST.800-53.r5 AC-3"),
        Some(("NIST.800-53.r5".into(), vec!["AC-3".into()]))
    );
    assert_eq!(
        requirement("PCI DSS v3.2.1/1.2.1"),
        Some(("PCI DSS v3.2.1".into(), vec!["1.2.1".into()]))
    );
    assert_eq!(
        requirement("CIS-7.0 3.1.1 3.1.2"),
        Some(("CIS-7.0".into(), vec!["3.1.1".into(), "3.1.2".into()]))
    );
    assert_eq!(
        requirement("CIS-7.0: ['3.1.1', '3.1.2']"),
        Some(("CIS-7.0".into(), vec!["3.1.1".into(), "3.1.2".into()]))
    );
    assert_eq!(requirement("lonely"), None);
    assert_eq!(control_of_generator("security-control/S3.8"), "S3.8");
    assert_eq!(
        control_of_generator("aws-foundational-security-best-practices/v/1.0.0/S3.1"),
        "S3.1"
    );
    let cis = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.4";
    assert_eq!(control_of_generator(cis), cis);
}
