//! Absent data is never a failure (nor a pass): every check, run over AWS Config exports that
//! lack what decides it, says `manual` and names the export that would decide it.
//!
//! The exports are built from the checks' own declarations (`checks::CATALOG.defs()` and each check's
//! `resource_types`), so a new check is driven the day it is added, or the test fails until it
//! is listed in `EXCUSED` with the reason it cannot be.

use demarc_plugin_aws::{Aws, checks};
use demarc_sdk::testing::{self, AbsentCase, NativeScan};

const NOW: &str = "2025-06-30T00:00:00Z";
const ACCOUNT: &str = "111122223333";

/// Checks that no absent export can drive, with the reason.
const EXCUSED: &[(&str, &str)] = &[];

fn scan(files: &[(&str, String)]) -> NativeScan {
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    testing::scan_files::<Aws>(&files, NOW)
}

/// A configuration item that records a resource by its identity only: AWS Config holds the
/// resource but none of its configuration, supplementary configuration, tags or relationships.
fn envelope(resource_type: &str) -> String {
    let service = resource_type
        .split("::")
        .nth(1)
        .unwrap_or("x")
        .to_ascii_lowercase();
    format!(
        r#"{{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2025-06-29T12:00:00.000Z","configurationItemStatus":"OK","awsAccountId":"{ACCOUNT}","resourceType":"{resource_type}","resourceId":"r-1","resourceName":"r-1","ARN":"arn:aws:{service}:eu-west-1:{ACCOUNT}:r-1","awsRegion":"eu-west-1"}}"#
    )
}

fn snapshot(items: &[String]) -> String {
    format!(
        r#"{{"fileVersion":"1.0","configSnapshotId":"absent","configurationItems":[{}]}}"#,
        items.join(",")
    )
}

/// An envelope-only export of every resource type each check declares; for the account-level
/// type, an export whose only item is of a type without checks (a VPC), so the account holds no
/// trail and no credential report covers it.
fn envelope_cases() -> Vec<AbsentCase> {
    let mut types: Vec<&str> = checks::CATALOG
        .defs()
        .iter()
        .flat_map(|c| c.resource_types.iter().copied())
        .collect();
    types.sort_unstable();
    types.dedup();
    types
        .into_iter()
        .map(|t| {
            let item = if t == "AWS::::Account" {
                envelope("AWS::EC2::VPC")
            } else {
                envelope(t)
            };
            AbsentCase {
                name: format!("{t} by identity only"),
                checks: None,
                scan: scan(&[("config.json", snapshot(&[item]))]),
            }
        })
        .collect()
}

/// Resources recorded in full whose deciding related resources the export lacks.
fn related_cases() -> Vec<AbsentCase> {
    let instance = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::EC2::Instance","resourceId":"i-0abc","awsRegion":"eu-west-1","tags":{"owner":"ops"},"configuration":{"instanceId":"i-0abc","state":{"code":16,"name":"running"},"metadataOptions":{"httpTokens":"required","httpEndpoint":"enabled"}}}"#;
    let bucket = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::S3::Bucket","resourceId":"b1","resourceName":"b1","ARN":"arn:aws:s3:::b1","awsRegion":"eu-west-1","tags":{"owner":"ops"},"configuration":{"name":"b1","creationDate":"2024-01-01T00:00:00.000Z"},"supplementaryConfiguration":{}}"#;
    vec![
        AbsentCase {
            name: "a running instance without AWS::SSM::PatchCompliance items".into(),
            checks: Some(vec![checks::ec2::PATCH_COMPLIANCE.id]),
            scan: scan(&[("config.json", snapshot(&[instance.to_string()]))]),
        },
        AbsentCase {
            name: "an account whose snapshot holds no AWS::CloudTrail::Trail".into(),
            checks: Some(vec![checks::cloudtrail::MULTI_REGION.id]),
            scan: scan(&[("config.json", snapshot(&[instance.to_string()]))]),
        },
        AbsentCase {
            name: "an IAM user and an account without a credential report".into(),
            checks: Some(vec![
                checks::credentials::CONSOLE_MFA.id,
                checks::credentials::ROOT_MFA.id,
                checks::credentials::ROOT_ACCESS_KEYS.id,
                checks::credentials::ACCESS_KEY_ROTATION.id,
                checks::credentials::UNUSED_CREDENTIALS.id,
            ]),
            scan: scan(&[(
                "config.json",
                snapshot(&[r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::IAM::User","resourceId":"AIDA1","resourceName":"alice","ARN":"arn:aws:iam::111122223333:user/alice","awsRegion":"global","configuration":{"userName":"alice","userPolicyList":[],"attachedManagedPolicies":[]}}"#.to_string()]),
            )]),
        },
        AbsentCase {
            name: "a bucket whose supplementary configuration records none of its settings".into(),
            checks: Some(vec![
                checks::s3::CMK_ENCRYPTION.id,
                checks::s3::PUBLIC_ACCESS_BLOCK.id,
                checks::s3::PUBLIC_POLICY.id,
                checks::s3::ACCESS_LOGGING.id,
                checks::s3::VERSIONING.id,
                checks::s3::SECURE_TRANSPORT.id,
            ]),
            scan: scan(&[("config.json", snapshot(&[bucket.to_string()]))]),
        },
    ]
}

#[test]
fn absent_data_never_decides_a_check() {
    let mut cases = envelope_cases();
    cases.extend(related_cases());
    testing::assert_absence_undecided(&checks::CATALOG.defs(), &cases, EXCUSED);
}
