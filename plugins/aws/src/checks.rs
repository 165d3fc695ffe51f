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

use demarc_sdk::dispatch::{Catalog, Reader};
use demarc_sdk::json::FieldError;
use demarc_sdk::time::Timestamp;
use demarc_sdk::{CheckDef, Finding};

use crate::config_item::{ConfigItem, Subject};
use crate::estate::Estate;

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

/// How one reader evaluates a configuration item: its findings, after noting in the estate
/// what the joins at the end need.
pub type Evaluate = for<'a> fn(&ConfigItem<'a>, &mut Estate, &Context) -> Evaluated<'a>;

/// Every resource type this plugin reads, the checks of each and how it is evaluated; the
/// checks only the end of the scan or the credential report decide. Items are dispatched from
/// this table, and `describe` declares its checks. A type with two readers gets the findings of
/// both, in this order.
pub static CATALOG: Catalog<Evaluate> = Catalog {
    readers: &[
        Reader {
            types: &["AWS::S3::Bucket"],
            checks: &[
                &s3::CMK_ENCRYPTION,
                &s3::PUBLIC_ACCESS_BLOCK,
                &s3::PUBLIC_POLICY,
                &s3::ACCESS_LOGGING,
                &s3::VERSIONING,
                &s3::SECURE_TRANSPORT,
                &governance::OWNER_TAG,
            ],
            evaluate: |item, _, _| s3::evaluate(item),
        },
        Reader {
            types: &["AWS::EC2::SecurityGroup"],
            checks: &[
                &security_group::ADMIN_PORT_OPEN,
                &security_group::ALL_PORTS_OPEN,
            ],
            evaluate: |item, _, _| security_group::evaluate(item),
        },
        Reader {
            types: &["AWS::EC2::Volume"],
            checks: &[&ec2::EBS_ENCRYPTED],
            evaluate: |item, _, _| ec2::evaluate_volume(item),
        },
        Reader {
            types: &["AWS::EC2::Instance"],
            checks: &[
                &ec2::IMDSV2_REQUIRED,
                &ec2::STALE_PUBLIC_INSTANCE,
                &ec2::PATCH_COMPLIANCE,
                &governance::OWNER_TAG,
            ],
            evaluate: |item, estate, ctx| {
                let outcome = ec2::evaluate_instance(item, ctx)?;
                if let Some(running) = outcome.running {
                    estate.running_instance(running);
                }
                Ok(outcome.findings)
            },
        },
        Reader {
            types: rds::DATABASE_TYPES,
            checks: &[
                &rds::STORAGE_ENCRYPTED,
                &rds::DEFAULT_ADMIN_USERNAME,
                &rds::PUBLICLY_ACCESSIBLE,
                &rds::AUTO_MINOR_VERSION_UPGRADE,
                &rds::BACKUP_RETENTION,
                &governance::OWNER_TAG,
            ],
            evaluate: |item, _, _| rds::evaluate(item),
        },
        Reader {
            types: &["AWS::IAM::User"],
            checks: &[&iam::POLICY_ADMIN_WILDCARD],
            evaluate: |item, estate, _| {
                let findings = iam::evaluate(item)?;
                estate.config_user(item.id(), credentials::ConfigUser::new(&item.subject()));
                Ok(findings)
            },
        },
        Reader {
            types: &["AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::Group"],
            checks: &[&iam::POLICY_ADMIN_WILDCARD, &iam::ROLE_PUBLIC_TRUST],
            evaluate: |item, _, _| iam::evaluate(item),
        },
        Reader {
            types: &["AWS::KMS::Key"],
            checks: &[&kms::KEY_ROTATION],
            evaluate: |item, _, _| kms::evaluate(item),
        },
        Reader {
            types: &["AWS::CloudTrail::Trail"],
            checks: &[
                &cloudtrail::MULTI_REGION,
                &cloudtrail::LOG_VALIDATION,
                &cloudtrail::KMS_ENCRYPTION,
            ],
            evaluate: |item, estate, _| {
                let (findings, multi_region) = cloudtrail::evaluate(item)?;
                estate.trail(item.account(), multi_region);
                Ok(findings)
            },
        },
        Reader {
            types: &["AWS::Lambda::Function"],
            checks: &[&lambda::RUNTIME_SUPPORTED, &governance::OWNER_TAG],
            evaluate: |item, _, ctx| lambda::evaluate(item, ctx),
        },
        // After the KMS and Lambda readers: their policy findings follow their own.
        Reader {
            types: resource_policy::TYPES,
            checks: &[&resource_policy::PUBLIC_RESOURCE_POLICY],
            evaluate: |item, _, _| resource_policy::evaluate(item),
        },
        // Patch compliance is only joined into the findings of its instance.
        Reader {
            types: &["AWS::SSM::PatchCompliance"],
            checks: &[],
            evaluate: |item, estate, _| {
                let (instance, record) = ec2::patch_record(item)?;
                estate.patch(instance, record);
                Ok(Vec::new())
            },
        },
    ],
    joins: &[
        &credentials::CONSOLE_MFA,
        &credentials::ROOT_MFA,
        &credentials::ROOT_ACCESS_KEYS,
        &credentials::ACCESS_KEY_ROTATION,
        &credentials::UNUSED_CREDENTIALS,
    ],
};

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

pub use demarc_sdk::words::{and_list, count};

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the check modules' tests.

    use super::Context;
    use crate::config_item::ConfigItem;
    use demarc_sdk::time::Timestamp;

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

    pub use demarc_sdk::testing::{evidence, only, status};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_kebab_case_and_controls_are_catalog_ids() {
        let catalog = include_str!("../../../schemas/catalog/controls.toml");
        demarc_sdk::testing::assert_check_defs(&CATALOG.defs(), "aws-", catalog);
    }

    #[test]
    fn every_reader_reads_the_types_its_checks_declare() {
        // The metadata drives dispatch: each type a reader takes is declared by one of its
        // checks, each of its checks declares one of its types, and every type a check
        // declares is read by some reader (or is the account of a join).
        for reader in CATALOG.readers.iter().filter(|r| !r.checks.is_empty()) {
            for ty in reader.types {
                assert!(
                    reader.checks.iter().any(|c| c.resource_types.contains(ty)),
                    "no check of the reader of {ty} declares it"
                );
            }
            for check in reader.checks {
                assert!(
                    reader
                        .types
                        .iter()
                        .any(|ty| check.resource_types.contains(ty)),
                    "{} declares none of {:?}",
                    check.id,
                    reader.types
                );
            }
        }
        for check in CATALOG.defs() {
            for ty in check.resource_types {
                assert!(
                    *ty == ACCOUNT_TYPE || CATALOG.readers.iter().any(|r| r.types.contains(ty)),
                    "{}: no reader of {ty}",
                    check.id
                );
            }
        }
        assert_eq!(CATALOG.defs().len(), 31);
    }
}
