//! The Prowler JSON-OCSF importer, natively: well-formed exports of each cloud, and malformed
//! ones (truncated, another tool's format, an unknown status, a missing resource id), each a
//! problem at its file and position with nothing else lost.

use demarc_plugin_import::{Cloud, check_id};
use demarc_sdk::testing::evidence;
use demarc_sdk::{Finding, ProblemKind, ScanError, ScanSummary, Severity, Status};

demarc_plugin_import::export_importer!(Aws, "aws", "import-aws");
demarc_plugin_import::export_importer!(Azure, "azure", "import-azure");
demarc_plugin_import::export_importer!(Gcp, "gcp", "import-gcp");

mod common;
use common::Run;

impl Run {
    fn summary(&self) -> &ScanSummary {
        self.result.as_ref().expect("the scan ran to its end")
    }
    fn of(&self, id: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.check_id == id).collect()
    }
}

/// Import `files` as Prowler JSON-OCSF.
fn run<C: Cloud>(files: &[(&str, &str)]) -> Run {
    common::run::<C>(files, Some("prowler-ocsf"))
}

const AWS_FILE: &str = include_str!("fixtures/prowler-aws.ocsf.json");
const AZURE_FILE: &str = include_str!("fixtures/prowler-azure.ocsf.json");
const GCP_FILE: &str = include_str!("fixtures/prowler-gcp.ocsf.json");

#[test]
fn aws_findings_are_imported_with_their_tool_and_mapped_by_citation_then_by_table() {
    let r = run::<Aws>(&[("prowler.ocsf.json", AWS_FILE)]);
    let s = r.summary();
    // Six aws findings, three of mapped checks and three of unmapped ones; the gcp finding is
    // another target's.
    assert_eq!(r.findings.len(), 3, "{:#?}", r.findings);
    assert_eq!(r.unmapped.len(), 3, "{:#?}", r.unmapped);
    assert_eq!(s.resources, 6);
    assert_eq!(s.skipped, 1);

    // Cited CIS-7.0 3.1.1 (held: through the crosswalk) and CIS-3.0 (not held: ignored); the
    // table agrees on the control.
    let transport = r.declared("prowler-s3-bucket-secure-transport-policy");
    assert_eq!(transport.controls, ["enc-in-transit"]);
    assert_eq!(transport.requirements.len(), 1);
    assert_eq!(transport.requirements[0].benchmark, "cis-aws-7.0");
    assert_eq!(transport.requirements[0].id, "3.1.1");
    assert_eq!(transport.severity, Severity::Medium);
    assert_eq!(transport.resource_types, ["AwsS3Bucket"]);
    let f = r.of("prowler-s3-bucket-secure-transport-policy")[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.resource.id, "arn:aws:s3:::nw-prod-assets-482913650271");
    assert_eq!(f.account, "482913650271");
    assert_eq!(f.region, "eu-west-1");
    assert_eq!(f.observed_at.as_deref(), Some("2026-11-01T08:00:00Z"));
    assert_eq!(evidence(f, "tool"), Some("prowler"));
    assert_eq!(evidence(f, "tool.version"), Some("5.14.1"));
    assert_eq!(
        evidence(f, "tool.check"),
        Some("s3_bucket_secure_transport_policy")
    );

    // Cited only CIS-7.0 2.11: mapped through the crosswalk alone.
    let unused = r.declared("prowler-iam-user-accesskey-unused");
    assert_eq!(unused.controls, ["stale-credentials"]);
    assert_eq!(
        r.of("prowler-iam-user-accesskey-unused")[0].status,
        Status::Pass
    );

    // Cited an older CIS version only: mapped by the table.
    let ssh = r.declared("prowler-ec2-securitygroup-allow-ingress-from-internet-to-tcp-port-22");
    assert_eq!(ssh.controls, ["mgmt-port-exposure"]);
    assert!(ssh.requirements.is_empty());
    assert_eq!(ssh.severity, Severity::High);

    // Checks that map to nothing are declared with no control, their findings kept (the
    // report lists them as unmapped), and no problem is raised.
    assert!(
        r.declared("prowler-guardduty-is-enabled")
            .controls
            .is_empty()
    );
    assert_eq!(r.unmapped_of("prowler-guardduty-is-enabled"), (2, 1));
    let contact = "prowler-account-maintain-current-contact-details";
    assert!(r.declared(contact).controls.is_empty());
    assert_eq!(r.unmapped_of(contact), (1, 0));
    let g = r
        .unmapped
        .iter()
        .find(|f| f.check_id == "prowler-guardduty-is-enabled")
        .unwrap();
    assert_eq!(evidence(g, "tool.check"), Some("guardduty_is_enabled"));
    assert!(s.problems.is_empty(), "{:#?}", s.problems);
}

#[test]
fn azure_and_gcp_findings_are_imported_by_their_clouds_importers() {
    let r = run::<Azure>(&[("az.json", AZURE_FILE)]);
    assert!(
        r.summary().problems.is_empty(),
        "{:#?}",
        r.summary().problems
    );
    assert_eq!(r.findings.len(), 2);
    let https = r.declared("prowler-storage-secure-transfer-required-is-enabled");
    assert_eq!(https.controls, ["enc-in-transit"]);
    assert_eq!(https.requirements[0].benchmark, "cis-azure-6.0");
    let nsg = r.of("prowler-network-ssh-internet-access-restricted");
    assert_eq!(nsg[0].status, Status::Pass);
    assert!(nsg[0].resource.id.starts_with("/subscriptions/5f1c3a8e"));

    let r = run::<Gcp>(&[("gcp.json", GCP_FILE)]);
    assert!(
        r.summary().problems.is_empty(),
        "{:#?}",
        r.summary().problems
    );
    assert_eq!(r.findings.len(), 2);
    let fw = r.of("prowler-compute-firewall-ssh-access-from-the-internet-allowed")[0];
    assert_eq!(fw.status, Status::Fail);
    assert_eq!(fw.region, "global");
    assert_eq!(fw.account, "nw-retail-prod");
    let kms = r.declared("prowler-kms-key-rotation-enabled");
    assert_eq!(kms.controls, ["key-rotation"]);
    assert_eq!(kms.requirements[0].id, "1.11");
    assert_eq!(
        r.declared("prowler-compute-firewall-ssh-access-from-the-internet-allowed")
            .severity,
        Severity::Critical
    );

    // The gcp finding of the aws file, imported by the gcp importer; the aws ones skipped.
    let r = run::<Gcp>(&[("mixed.json", AWS_FILE)]);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.summary().skipped, 6);
}

#[test]
fn a_file_of_only_another_clouds_findings_says_which_target_imports_it() {
    let r = run::<Azure>(&[("gcp.json", GCP_FILE)]);
    let Err(ScanError::UnsupportedFormat(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert!(
        e.message.contains("no azure findings (2 of gcp)"),
        "{}",
        e.message
    );
}

/// The aws file with its items replaced: `edit` gets the parsed array.
fn edited(edit: impl FnOnce(&mut Vec<serde_json::Value>)) -> String {
    let mut items: Vec<serde_json::Value> = serde_json::from_str(AWS_FILE).unwrap();
    edit(&mut items);
    serde_json::to_string_pretty(&items).unwrap()
}

#[test]
fn an_unknown_status_is_a_problem_at_its_item_and_the_rest_is_imported() {
    let text = edited(|items| items[2]["status_code"] = "WARNING".into());
    let r = run::<Aws>(&[("p.json", &text), ("q.json", AWS_FILE)]);
    let s = r.summary();
    let bad: Vec<_> = s
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::MalformedInput)
        .collect();
    assert_eq!(bad.len(), 1, "{:#?}", s.problems);
    assert_eq!(bad[0].error.file, "p.json");
    assert!(
        bad[0]
            .error
            .message
            .contains("item 2: unknown `status_code` `WARNING`")
    );
    // Line of the third item in the pretty-printed file.
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "  {")
        .nth(2)
        .map(|(i, _)| i as u32 + 1);
    assert_eq!(bad[0].error.line, line);
    // Two from p.json (its sg finding lost), three from q.json.
    assert_eq!(r.findings.len(), 5);
}

#[test]
fn a_missing_resource_id_or_check_id_is_a_problem_and_nothing_else_is_lost() {
    let text = edited(|items| {
        items[0]["resources"][0]["uid"] = "".into();
        items[1]["resources"] = serde_json::json!([]);
        items[2]["metadata"]["event_code"] = serde_json::Value::Null;
    });
    let r = run::<Aws>(&[("p.json", &text)]);
    let s = r.summary();
    let bad: Vec<&str> = s
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::MalformedInput)
        .map(|p| p.error.message.as_str())
        .collect();
    assert_eq!(bad.len(), 3, "{bad:#?}");
    assert!(bad[0].contains("item 0: Prowler check `s3_bucket_secure_transport_policy`: no resource id (`resources[].uid`)"));
    assert!(bad[1].contains("item 1:"));
    assert!(bad[2].contains("item 2: `metadata.event_code`"));
    assert!(r.findings.is_empty());
    // The unmapped checks' findings after them are still kept.
    assert_eq!(r.unmapped.len(), 3);
    assert_eq!(s.problems.len(), 3);
}

#[test]
fn a_truncated_export_keeps_what_came_before_and_says_where_it_ends() {
    let cut = &AWS_FILE[..AWS_FILE.find("ec2_securitygroup").unwrap() + 200];
    let r = run::<Aws>(&[("cut.json", cut)]);
    let Err(ScanError::MalformedInput(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert_eq!(e.file, "cut.json");
    assert!(e.line.is_some() && e.column.is_some());
    // The two items before the cut are imported.
    assert_eq!(r.findings.len(), 2);

    // Beside a good input, the truncation is a problem and the good one is imported.
    let r = run::<Aws>(&[("cut.json", cut), ("good.json", AWS_FILE)]);
    let s = r.summary();
    assert!(
        s.problems
            .iter()
            .any(|p| p.kind == ProblemKind::MalformedInput && p.error.file == "cut.json"),
        "{:#?}",
        s.problems
    );
    assert_eq!(r.findings.len(), 5);
}

#[test]
fn another_tools_format_is_named() {
    // demarc's own OCSF output: Compliance Findings, class 2003.
    let ocsf = r#"[{"class_uid":2003,"class_name":"Compliance Finding","metadata":{"product":{"name":"demarc"}}}]"#;
    let r = run::<Aws>(&[("demarc.ocsf.json", ocsf)]);
    let Err(ScanError::UnsupportedFormat(e)) = &r.result else {
        panic!("{:?}", r.result)
    };
    assert!(
        e.message
            .contains("OCSF class 2003 (Compliance Finding), not Detection Finding (2004)"),
        "{}",
        e.message
    );
    // A Security Hub export declared as Prowler's.
    let asff = r#"{"Findings":[{"SchemaVersion":"2018-10-08","GeneratorId":"aws-foundational-security-best-practices/v/1.0.0/S3.5","Resources":[{"Id":"arn:aws:s3:::b"}]}]}"#;
    let r = run::<Aws>(&[("asff.json", asff)]);
    let Err(e) = &r.result else {
        panic!("{:?}", r.result)
    };
    let text = format!("{e:?}");
    assert!(text.contains("asff.json"), "{text}");
    assert!(r.findings.is_empty());
}

#[test]
fn check_ids_are_kebab_case() {
    assert_eq!(
        check_id("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"),
        "prowler-ec2-securitygroup-allow-ingress-from-internet-to-tcp-port-22"
    );
    assert_eq!(check_id("IAM__Root_MFA_"), "prowler-iam-root-mfa");
    assert!(demarc_sdk::testing::is_kebab_id(&check_id("a.b_c 1")));
}
