//! CloudTrail: audit logging in every region, log integrity, log encryption.
//!
//! Each `AWS::CloudTrail::Trail` item is evaluated on its own (`isMultiRegionTrail`,
//! `includeGlobalServiceEvents`, `logFileValidationEnabled`, `kmsKeyId`). Whether an account
//! has a trail at all is only known once every input is read: [`account_finding`] decides it per
//! account seen, from the [`TrailTally`] the scan keeps.

use demarc_sdk::{Finding, FindingBuilder};

use super::{ACCOUNT_TYPE, account_resource_id};
use crate::config_item::{ConfigItem, Subject};
use demarc_sdk::json::{FieldError, Flag, Text};

demarc_sdk::include_checks!("cloudtrail");

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Trail<'a> {
        multi_region: Flag = ["isMultiRegionTrail", "IsMultiRegionTrail"],
        global_events: Flag = ["includeGlobalServiceEvents", "IncludeGlobalServiceEvents"],
        log_validation: Flag = ["logFileValidationEnabled", "LogFileValidationEnabled"],
        kms_key_id: Text<'a> = ["kmsKeyId", "KmsKeyId"],
    }
}

/// The trails of one account seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrailTally {
    /// Trail items seen.
    pub trails: u32,
    /// Of those, trails that are multi-region and include global service events.
    pub multi_region: u32,
    /// Of those, trails whose item does not record whether they are.
    pub undecided: u32,
}

/// The findings of one trail, and whether it is a compliant multi-region trail (`None` when its
/// item does not record it).
pub fn evaluate<'a>(item: &ConfigItem<'a>) -> Result<(Vec<Finding>, Option<bool>), FieldError<'a>> {
    let mut buf = None;
    let trail: Trail<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let subject = item.subject();
    if !super::recorded(item) {
        let describe = "aws cloudtrail describe-trails";
        let findings = super::unrecorded(
            &subject,
            &[
                (&MULTI_REGION, describe),
                (&LOG_VALIDATION, describe),
                (&KMS_ENCRYPTION, describe),
            ],
            "configuration",
        );
        return Ok((findings, None));
    }
    let (multi, compliant) = multi_region(&subject, &trail);
    Ok((
        vec![
            multi,
            log_validation(&subject, &trail),
            kms(&subject, &trail),
        ],
        compliant,
    ))
}

fn multi_region(subject: &Subject<'_, '_>, trail: &Trail<'_>) -> (Finding, Option<bool>) {
    let label = subject.label();
    let builder = subject
        .finding(&MULTI_REGION)
        .evidence(
            "configuration.isMultiRegionTrail",
            trail.multi_region.describe(),
        )
        .evidence(
            "configuration.includeGlobalServiceEvents",
            trail.global_events.describe(),
        );
    match (trail.multi_region.0, trail.global_events.0) {
        (Some(true), Some(true)) => (
            builder.pass(format!(
                "Trail {label} records every region and global service events."
            )),
            Some(true),
        ),
        (Some(false), _) | (_, Some(false)) => {
            let mut gaps = Vec::new();
            if trail.multi_region.0 == Some(false) {
                gaps.push("covers only its home region");
            }
            if trail.global_events.0 == Some(false) {
                gaps.push("excludes global service events (IAM, STS)");
            }
            (
                builder.fail(format!("Trail {label} {}.", gaps.join(" and "))),
                Some(false),
            )
        }
        _ => (
            builder.manual(format!(
                "The configuration item of trail {label} does not record isMultiRegionTrail and includeGlobalServiceEvents; check them with `aws cloudtrail describe-trails`."
            )),
            None,
        ),
    }
}

fn log_validation(subject: &Subject<'_, '_>, trail: &Trail<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&LOG_VALIDATION).evidence(
        "configuration.logFileValidationEnabled",
        trail.log_validation.describe(),
    );
    match trail.log_validation.0 {
        Some(true) => builder.pass(format!("Trail {label} writes signed digest files.")),
        Some(false) => builder.fail(format!(
            "Trail {label} does not validate log files, so altered or deleted logs go unnoticed."
        )),
        None => builder.manual(format!(
            "The configuration item of trail {label} does not record logFileValidationEnabled; check it with `aws cloudtrail describe-trails`."
        )),
    }
}

fn kms(subject: &Subject<'_, '_>, trail: &Trail<'_>) -> Finding {
    let label = subject.label();
    match trail.kms_key_id.non_empty() {
        Some(key) => subject
            .finding(&KMS_ENCRYPTION)
            .evidence("configuration.kmsKeyId", key)
            .pass(format!(
                "Trail {label} encrypts its logs with KMS key {key}."
            )),
        None => subject
            .finding(&KMS_ENCRYPTION)
            .evidence("configuration.kmsKeyId", "(absent)")
            .fail(format!(
                "Trail {label} does not encrypt its logs with a customer-managed KMS key."
            )),
    }
}

/// The account-level multi-region finding for `account`, given the trails seen for it: manual
/// when the snapshot holds no trail of the account (a recorder may exclude trails, and an
/// organization trail is recorded in the management account), or only trails whose items do not
/// record their coverage. When it holds trails, each trail's own finding judges its coverage and
/// the account passes the existence test.
pub fn account_finding(account: &str, tally: Option<TrailTally>) -> Finding {
    let id = account_resource_id(account);
    let builder = FindingBuilder::new(&MULTI_REGION, account, "global", ACCOUNT_TYPE, &id);
    match tally {
        // A snapshot holds trails only if the recorder records `AWS::CloudTrail::Trail` (and
        // an organization trail lives in the management account): no item is no evidence.
        None | Some(TrailTally { trails: 0, .. }) => builder
            .evidence("AWS::CloudTrail::Trail", "0 items")
            .manual(format!(
                "The snapshot holds no CloudTrail trail of account {account}; AWS Config records trails only when its recorder includes AWS::CloudTrail::Trail, and an organization trail is recorded in the management account. `aws cloudtrail describe-trails --include-shadow-trails` in the account (or a snapshot that records its trails) decides it."
            )),
        Some(TrailTally {
            trails,
            multi_region: 0,
            undecided,
        }) if undecided == trails => builder
            .evidence(
                "AWS::CloudTrail::Trail",
                format!(
                    "{}, none recording whether it is multi-region",
                    super::count(trails, "item", "items")
                ),
            )
            .manual(format!(
                "Account {account} has {} whose configuration item does not record its coverage; `aws cloudtrail describe-trails` decides it.",
                super::count(trails, "CloudTrail trail", "CloudTrail trails")
            )),
        Some(TrailTally {
            trails,
            multi_region,
            ..
        }) => builder
            .evidence(
                "AWS::CloudTrail::Trail",
                format!(
                    "{}, {multi_region} multi-region with global service events",
                    super::count(trails, "item", "items")
                ),
            )
            .pass(if multi_region > 0 {
                format!("Account {account} has a multi-region trail with global service events.")
            } else {
                format!(
                    "Account {account} has {}; none covers every region, as the trail findings say.",
                    super::count(trails, "CloudTrail trail", "CloudTrail trails")
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{item, status};
    use demarc_sdk::Status;

    fn run(config: &str) -> (Vec<Finding>, Option<bool>) {
        let json = format!(
            r#"{{"resourceType":"AWS::CloudTrail::Trail","resourceId":"main","resourceName":"main","awsAccountId":"1","awsRegion":"us-east-1",
            "ARN":"arn:aws:cloudtrail:us-east-1:1:trail/main","configuration":{config}}}"#
        );
        let i = item(&json);
        evaluate(&i).unwrap()
    }

    #[test]
    fn a_complete_trail_passes() {
        let (findings, compliant) = run(
            r#"{"name":"main","isMultiRegionTrail":true,"includeGlobalServiceEvents":"true","logFileValidationEnabled":true,"kmsKeyId":"arn:aws:kms:us-east-1:1:key/k"}"#,
        );
        assert_eq!(compliant, Some(true));
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{}", f.check_id);
        }
    }

    #[test]
    fn a_single_region_unvalidated_unencrypted_trail_fails() {
        let (findings, compliant) = run(
            r#"{"isMultiRegionTrail":false,"includeGlobalServiceEvents":true,"logFileValidationEnabled":false}"#,
        );
        assert_eq!(compliant, Some(false));
        assert_eq!(status(&findings, MULTI_REGION.id), Status::Fail);
        assert_eq!(status(&findings, LOG_VALIDATION.id), Status::Fail);
        assert_eq!(status(&findings, KMS_ENCRYPTION.id), Status::Fail);
        let (findings, _) =
            run(r#"{"isMultiRegionTrail":true,"includeGlobalServiceEvents":false}"#);
        assert_eq!(status(&findings, MULTI_REGION.id), Status::Fail);
    }

    #[test]
    fn unrecorded_flags_are_manual() {
        let (findings, compliant) = run("{}");
        assert_eq!(compliant, None);
        assert_eq!(status(&findings, MULTI_REGION.id), Status::Manual);
        assert_eq!(status(&findings, LOG_VALIDATION.id), Status::Manual);
    }

    #[test]
    fn account_level_findings() {
        let none = account_finding("111122223333", None);
        assert_eq!(none.status, Status::Manual, "no trail item is no evidence");
        assert!(none.message.contains("describe-trails"), "{}", none.message);
        assert_eq!(none.resource.id, "arn:aws::::account/111122223333");
        assert_eq!(none.resource.native_type, "AWS::::Account");
        assert_eq!(none.region, "global");
        let regional = account_finding(
            "1",
            Some(TrailTally {
                trails: 2,
                multi_region: 0,
                undecided: 1,
            }),
        );
        // The account has trails: their own findings judge coverage.
        assert_eq!(regional.status, Status::Pass);
        assert!(regional.message.contains("none covers every region"));
        let good = account_finding(
            "1",
            Some(TrailTally {
                trails: 2,
                multi_region: 1,
                undecided: 1,
            }),
        );
        assert_eq!(good.status, Status::Pass);
        let unknown = account_finding(
            "1",
            Some(TrailTally {
                trails: 1,
                multi_region: 0,
                undecided: 1,
            }),
        );
        assert_eq!(unknown.status, Status::Manual);
        assert!(
            unknown.message.contains("has 1 CloudTrail trail whose"),
            "{}",
            unknown.message
        );
    }

    #[test]
    fn every_spelling_of_a_trail_at_once() {
        demarc_sdk::assert_every_spelling!(
            Trail<'_>,
            r#"{"isMultiRegionTrail":true,"includeGlobalServiceEvents":true,"logFileValidationEnabled":false,"kmsKeyId":"k"}"#
        );
    }
}
