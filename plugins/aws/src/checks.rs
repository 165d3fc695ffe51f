//! The checks: their definitions and the pure functions that evaluate them.
//!
//! One module per service. Each check is a `static` [`CheckDef`] (ids, severities and controls
//! are fixed by `aws-checks.md`) and each module exposes an `evaluate` function over a
//! [`ConfigItem`](crate::config_item::ConfigItem) of its resource type that returns every
//! finding for that item: one per check the type is subject to, pass or fail (or manual /
//! not-applicable / error), so clean resources show up as passes. Checks that need more than
//! one item (the account-level CloudTrail finding, the patch-compliance join, the credential
//! report fallbacks) are evaluated by [`crate::estate`] at the end of the scan from state the
//! modules hand it.

use demarc_sdk::{CheckDef, Finding};

use crate::config_item::{ConfigItem, Subject};
use crate::json::FieldError;
use crate::time::Timestamp;

pub mod cloudtrail;
pub mod credentials;
pub mod ec2;
pub mod governance;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod rds;
pub mod resource_policy;
pub mod s3;
pub mod security_group;

/// What every evaluation may consult besides the item.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The scan's reference time (`ScanRequest.now`).
    pub now: Timestamp,
}

/// The findings of one item, or the field of the item that could not be read.
pub type Evaluated<'a> = Result<Vec<Finding>, FieldError<'a>>;

/// Every check this plugin can emit, in a stable order.
pub static ALL: [&CheckDef; 31] = [
    &s3::CMK_ENCRYPTION,
    &ec2::EBS_ENCRYPTED,
    &rds::STORAGE_ENCRYPTED,
    &kms::KEY_ROTATION,
    &rds::DEFAULT_ADMIN_USERNAME,
    &ec2::IMDSV2_REQUIRED,
    &rds::PUBLICLY_ACCESSIBLE,
    &iam::POLICY_ADMIN_WILDCARD,
    &iam::ROLE_PUBLIC_TRUST,
    &s3::PUBLIC_ACCESS_BLOCK,
    &s3::PUBLIC_POLICY,
    &ec2::STALE_PUBLIC_INSTANCE,
    &ec2::PATCH_COMPLIANCE,
    &lambda::RUNTIME_SUPPORTED,
    &rds::AUTO_MINOR_VERSION_UPGRADE,
    &security_group::ADMIN_PORT_OPEN,
    &security_group::ALL_PORTS_OPEN,
    &credentials::CONSOLE_MFA,
    &credentials::ROOT_MFA,
    &credentials::ROOT_ACCESS_KEYS,
    &credentials::ACCESS_KEY_ROTATION,
    &credentials::UNUSED_CREDENTIALS,
    &cloudtrail::MULTI_REGION,
    &cloudtrail::LOG_VALIDATION,
    &cloudtrail::KMS_ENCRYPTION,
    &s3::ACCESS_LOGGING,
    &rds::BACKUP_RETENTION,
    &s3::VERSIONING,
    &s3::SECURE_TRANSPORT,
    &governance::OWNER_TAG,
    &resource_policy::PUBLIC_RESOURCE_POLICY,
];

/// Resource type of account-level findings.
pub const ACCOUNT_TYPE: &str = "AWS::::Account";

/// The resource id of an account-level finding.
pub fn account_resource_id(account: &str) -> String {
    format!("arn:aws::::account/{account}")
}

/// Whether AWS Config recorded the item's `configuration` (absent and `null` are not recorded).
pub fn recorded(item: &ConfigItem<'_>) -> bool {
    item.configuration
        .is_some_and(|raw| raw.get().trim() != "null")
}

/// The findings of an item that AWS Config recorded without its `configuration`: each of
/// `checks` is manual, naming the command whose output decides it. An item recorded by its
/// identity alone says nothing about the resource's settings, so it neither passes nor fails.
pub fn unrecorded(
    subject: &Subject<'_, '_>,
    checks: &[(&CheckDef, &str)],
    part: &str,
) -> Vec<Finding> {
    let item = subject.item;
    let label = subject.label();
    checks
        .iter()
        .map(|(check, describe)| {
            subject
                .finding(check)
                .evidence(part, "(absent)")
                .manual(format!(
                    "AWS Config recorded {} {label} without its {part}, so the snapshot cannot decide this check; `{describe}` (or a snapshot that records it) decides it.",
                    item.kind()
                ))
        })
        .collect()
}

/// `1 rule`, `2 rules`: a count with its noun, singular or plural.
pub fn count(n: impl Into<i128>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A list for messages: `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the check modules' tests.

    use demarc_sdk::{Finding, Status};

    use super::Context;
    use crate::config_item::ConfigItem;
    use crate::time::Timestamp;

    /// The reference time of the tests.
    pub const NOW: &str = "2025-06-30T00:00:00Z";

    pub fn ctx() -> Context {
        Context {
            now: Timestamp::parse(NOW).unwrap(),
        }
    }

    pub fn item(json: &str) -> ConfigItem<'_> {
        serde_json::from_str(json).expect("test item parses")
    }

    /// The single finding of `check` among `findings`.
    pub fn only<'f>(findings: &'f [Finding], check: &str) -> &'f Finding {
        let mut of = findings.iter().filter(|f| f.check_id == check);
        let first = of
            .next()
            .unwrap_or_else(|| panic!("no finding of {check}: {findings:#?}"));
        assert!(of.next().is_none(), "more than one finding of {check}");
        first
    }

    pub fn status(findings: &[Finding], check: &str) -> Status {
        only(findings, check).status
    }

    pub fn evidence<'f>(finding: &'f Finding, key: &str) -> Option<&'f str> {
        finding
            .evidence
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn check_ids_are_unique_kebab_case_and_controls_are_catalog_ids() {
        let catalog = include_str!("../../../schemas/catalog/controls.toml");
        let mut seen = BTreeSet::new();
        for check in ALL {
            assert!(seen.insert(check.id), "duplicate {}", check.id);
            assert!(check.id.starts_with("aws-"));
            assert!(
                check
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert!(!check.controls.is_empty() && !check.resource_types.is_empty());
            for control in check.controls {
                assert!(
                    catalog.contains(&format!("id = \"{control}\"")),
                    "{}: unknown control {control}",
                    check.id
                );
            }
        }
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(0u32, "item", "items"), "0 items");
        assert_eq!(count(1u32, "item", "items"), "1 item");
        assert_eq!(count(2u64, "policy", "policies"), "2 policies");
    }

    #[test]
    fn and_lists() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
