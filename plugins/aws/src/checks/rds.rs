//! RDS database instances and clusters: encryption, default administrator names, internet
//! exposure, minor version upgrades, automated backups.
//!
//! An `AWS::RDS::DBCluster` item (Aurora, and Multi-AZ DB clusters) is `DescribeDBClusters`'s
//! cluster: storage encryption, the master user name and backup retention are the cluster's and
//! are judged on it. An Aurora cluster's public accessibility and minor-version upgrades are set
//! on its member instances (each its own `AWS::RDS::DBInstance` item, judged there), so on the
//! cluster those two checks are not applicable; a Multi-AZ DB cluster records them itself.
//!
//! The configuration is the `DescribeDBInstances` output in lowerCamelCase
//! (`publiclyAccessible`, `storageEncrypted`, `masterUsername`, `backupRetentionPeriod`,
//! `autoMinorVersionUpgrade`, `tagList`), with booleans and numbers sometimes as strings. A field
//! the item does not record leaves its check to a person (`manual`), never a pass.

use demarc_sdk::{CheckDef, Finding, FindingBuilder};

use super::{Evaluated, governance};
use crate::config_item::{ConfigItem, Subject, TagSet};
use demarc_sdk::json::{Flag, Int, Text};

demarc_sdk::include_checks!("rds");

/// Master user names that attackers try first (compared ignoring ASCII case).
pub const DEFAULT_ADMIN_NAMES: [&str; 9] = [
    "admin",
    "administrator",
    "root",
    "postgres",
    "sa",
    "master",
    "mysql",
    "user",
    "dbadmin",
];

/// The resource types the RDS checks judge.
pub const DATABASE_TYPES: &[&str] = &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];

/// Minimum automated backup retention, in days.
pub const MIN_RETENTION_DAYS: i64 = 7;

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct DbInstance<'a> {
        publicly_accessible: Flag = ["publiclyAccessible", "PubliclyAccessible"],
        storage_encrypted: Flag = ["storageEncrypted", "StorageEncrypted"],
        kms_key_id: Text<'a> = ["kmsKeyId", "KmsKeyId"],
        master_username: Text<'a> = ["masterUsername", "MasterUsername"],
        backup_retention: Int = ["backupRetentionPeriod", "BackupRetentionPeriod"],
        auto_minor_upgrade: Flag = ["autoMinorVersionUpgrade", "AutoMinorVersionUpgrade"],
        engine: Text<'a> = ["engine", "Engine"],
        tags: TagSet<'a> = ["tagList", "TagList"],
    }
}

const DESCRIBE: &str = "`aws rds describe-db-instances`";

/// Evaluate an `AWS::RDS::DBInstance` or `AWS::RDS::DBCluster` item.
pub fn evaluate<'a>(item: &ConfigItem<'a>) -> Evaluated<'a> {
    let mut buf = None;
    let db: DbInstance<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let subject = item.subject().with_fallback_tags(db.tags.clone());
    let aurora = item.kind() == "AWS::RDS::DBCluster"
        && db
            .engine
            .non_empty()
            .is_some_and(|e| e.to_ascii_lowercase().starts_with("aurora"));
    let per_instance = |check: &CheckDef| {
        let label = subject.label();
        subject.finding(check).not_applicable(format!(
            "Aurora cluster {label} sets this on each of its DB instances, which are judged as AWS::RDS::DBInstance items."
        ))
    };
    Ok(vec![
        storage_encrypted(&subject, &db),
        default_admin(&subject, &db),
        if aurora && db.publicly_accessible.0.is_none() {
            per_instance(&PUBLICLY_ACCESSIBLE)
        } else {
            publicly_accessible(&subject, &db)
        },
        if aurora && db.auto_minor_upgrade.0.is_none() {
            per_instance(&AUTO_MINOR_VERSION_UPGRADE)
        } else {
            auto_minor_upgrade(&subject, &db)
        },
        backup_retention(&subject, &db),
        governance::owner_tag(&subject),
    ])
}

fn not_recorded(builder: FindingBuilder, label: &str, field: &str) -> Finding {
    builder.manual(format!(
        "The configuration item of database {label} does not record `{field}`; check it with {DESCRIBE}."
    ))
}

fn storage_encrypted(subject: &Subject<'_, '_>, db: &DbInstance<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&STORAGE_ENCRYPTED).evidence(
        "configuration.storageEncrypted",
        db.storage_encrypted.describe(),
    );
    match db.storage_encrypted.0 {
        Some(true) => {
            let key = db.kms_key_id.non_empty();
            builder
                .evidence("configuration.kmsKeyId", key.unwrap_or("(absent)"))
                .pass(format!("Database {label} encrypts its storage."))
        }
        Some(false) => builder.fail(format!(
            "Database {label} stores its data, backups and snapshots unencrypted."
        )),
        None => not_recorded(builder, &label, "storageEncrypted"),
    }
}

fn default_admin(subject: &Subject<'_, '_>, db: &DbInstance<'_>) -> Finding {
    let label = subject.label();
    let Some(user) = db.master_username.non_empty() else {
        return not_recorded(
            subject.finding(&DEFAULT_ADMIN_USERNAME),
            &label,
            "masterUsername",
        );
    };
    let builder = subject
        .finding(&DEFAULT_ADMIN_USERNAME)
        .evidence("configuration.masterUsername", user);
    if DEFAULT_ADMIN_NAMES
        .iter()
        .any(|d| user.eq_ignore_ascii_case(d))
    {
        builder.fail(format!(
            "Database {label} uses the well-known master user name `{user}`, leaving only the password to guess."
        ))
    } else {
        builder.pass(format!(
            "Database {label} uses a master user name that is not a well-known default."
        ))
    }
}

fn publicly_accessible(subject: &Subject<'_, '_>, db: &DbInstance<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&PUBLICLY_ACCESSIBLE).evidence(
        "configuration.publiclyAccessible",
        db.publicly_accessible.describe(),
    );
    match db.publicly_accessible.0 {
        Some(true) => builder.fail(format!(
            "Database {label}{} is publicly accessible: it resolves to a public address reachable from the internet.",
            db.engine.non_empty().map(|e| format!(" ({e})")).unwrap_or_default()
        )),
        Some(false) => builder.pass(format!("Database {label} is not publicly accessible.")),
        None => not_recorded(builder, &label, "publiclyAccessible"),
    }
}

fn auto_minor_upgrade(subject: &Subject<'_, '_>, db: &DbInstance<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&AUTO_MINOR_VERSION_UPGRADE).evidence(
        "configuration.autoMinorVersionUpgrade",
        db.auto_minor_upgrade.describe(),
    );
    match db.auto_minor_upgrade.0 {
        Some(true) => builder.pass(format!(
            "Database {label} applies minor engine upgrades automatically."
        )),
        Some(false) => builder.fail(format!(
            "Database {label} does not apply minor engine upgrades automatically, so engine security fixes wait for someone to act."
        )),
        None => not_recorded(builder, &label, "autoMinorVersionUpgrade"),
    }
}

fn backup_retention(subject: &Subject<'_, '_>, db: &DbInstance<'_>) -> Finding {
    let label = subject.label();
    let Some(days) = db.backup_retention.0 else {
        return not_recorded(
            subject.finding(&BACKUP_RETENTION),
            &label,
            "backupRetentionPeriod",
        );
    };
    let builder = subject
        .finding(&BACKUP_RETENTION)
        .evidence("configuration.backupRetentionPeriod", days);
    if days >= MIN_RETENTION_DAYS {
        builder.pass(format!(
            "Database {label} keeps automated backups for {days} days."
        ))
    } else if days <= 0 {
        builder.fail(format!(
            "Database {label} has automated backups turned off (retention period 0)."
        ))
    } else {
        builder.fail(format!(
            "Database {label} keeps automated backups for only {}, fewer than {MIN_RETENTION_DAYS}.",
            super::count(days, "day", "days")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, item, only, status};
    use demarc_sdk::Status;

    fn run(config: &str) -> Vec<Finding> {
        let json = format!(
            r#"{{"configurationItemStatus":"ResourceDiscovered","awsAccountId":"111122223333","awsRegion":"eu-central-1",
            "resourceType":"AWS::RDS::DBInstance","resourceId":"db-ABC","resourceName":"orders",
            "ARN":"arn:aws:rds:eu-central-1:111122223333:db:orders","tags":{{}},"configuration":{config}}}"#
        );
        let i = item(&json);
        evaluate(&i).unwrap()
    }

    #[test]
    fn a_hardened_database_passes() {
        let findings = run(
            r#"{"dBInstanceIdentifier":"orders","engine":"postgres","masterUsername":"orders_owner","publiclyAccessible":false,
            "storageEncrypted":true,"kmsKeyId":"arn:aws:kms:k","backupRetentionPeriod":14,"autoMinorVersionUpgrade":true,
            "tagList":[{"key":"team","value":"orders"}]}"#,
        );
        assert_eq!(findings.len(), 6);
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{}: {}", f.check_id, f.message);
        }
    }

    #[test]
    fn an_exposed_database_fails_each_check() {
        let findings = run(
            r#"{"engine":"mysql","masterUsername":"Admin","publiclyAccessible":"true","storageEncrypted":"false",
            "backupRetentionPeriod":"0","autoMinorVersionUpgrade":false}"#,
        );
        for check in [
            &STORAGE_ENCRYPTED,
            &DEFAULT_ADMIN_USERNAME,
            &PUBLICLY_ACCESSIBLE,
            &AUTO_MINOR_VERSION_UPGRADE,
            &BACKUP_RETENTION,
            &governance::OWNER_TAG,
        ] {
            assert_eq!(status(&findings, check.id), Status::Fail, "{}", check.id);
        }
        let public = only(&findings, PUBLICLY_ACCESSIBLE.id);
        assert_eq!(
            evidence(public, "configuration.publiclyAccessible"),
            Some("true")
        );
        assert!(
            only(&findings, BACKUP_RETENTION.id)
                .message
                .contains("turned off")
        );
    }

    #[test]
    fn short_retention_fails_and_seven_days_pass() {
        assert_eq!(
            status(&run(r#"{"backupRetentionPeriod":3}"#), BACKUP_RETENTION.id),
            Status::Fail
        );
        assert_eq!(
            status(
                &run(r#"{"backupRetentionPeriod":"7"}"#),
                BACKUP_RETENTION.id
            ),
            Status::Pass
        );
    }

    #[test]
    fn unrecorded_fields_are_manual_never_pass() {
        let findings = run("{}");
        for check in [
            &STORAGE_ENCRYPTED,
            &DEFAULT_ADMIN_USERNAME,
            &PUBLICLY_ACCESSIBLE,
            &AUTO_MINOR_VERSION_UPGRADE,
            &BACKUP_RETENTION,
        ] {
            let f = only(&findings, check.id);
            assert_eq!(f.status, Status::Manual, "{}", check.id);
            assert!(f.message.contains("describe-db-instances"));
        }
    }

    #[test]
    fn every_spelling_of_an_instance_at_once() {
        demarc_sdk::assert_every_spelling!(
            DbInstance<'_>,
            r#"{"publiclyAccessible":true,"storageEncrypted":false,"kmsKeyId":"k","masterUsername":"admin","backupRetentionPeriod":0,"autoMinorVersionUpgrade":false,"engine":"mysql","tagList":[{"key":"owner","value":"db"}]}"#
        );
    }

    fn cluster(config: &str) -> Vec<Finding> {
        let json = format!(
            r#"{{"configurationItemVersion":"1.3","configurationItemStatus":"OK","awsAccountId":"111122223333","awsRegion":"eu-central-1",
            "resourceType":"AWS::RDS::DBCluster","resourceId":"cluster-ABCDEFGHIJKL","resourceName":"ledger",
            "ARN":"arn:aws:rds:eu-central-1:111122223333:cluster:ledger","tags":{{"owner":"ledger-team"}},"configuration":{config}}}"#
        );
        let i = item(&json);
        evaluate(&i).unwrap()
    }

    #[test]
    fn aurora_clusters_are_judged_on_what_the_cluster_sets() {
        let findings = cluster(
            r#"{"dbclusterIdentifier":"ledger","engine":"aurora-postgresql","engineMode":"provisioned","masterUsername":"postgres",
            "storageEncrypted":false,"backupRetentionPeriod":1,"multiAZ":true,"deletionProtection":false,
            "dbclusterMembers":[{"dbinstanceIdentifier":"ledger-1","isClusterWriter":true}]}"#,
        );
        assert_eq!(status(&findings, STORAGE_ENCRYPTED.id), Status::Fail);
        assert_eq!(status(&findings, DEFAULT_ADMIN_USERNAME.id), Status::Fail);
        assert_eq!(status(&findings, BACKUP_RETENTION.id), Status::Fail);
        let public = only(&findings, PUBLICLY_ACCESSIBLE.id);
        assert_eq!(public.status, Status::NotApplicable);
        assert!(
            public.message.contains("DB instances"),
            "{}",
            public.message
        );
        assert_eq!(
            status(&findings, AUTO_MINOR_VERSION_UPGRADE.id),
            Status::NotApplicable
        );
        assert_eq!(
            only(&findings, STORAGE_ENCRYPTED.id).resource.native_type,
            "AWS::RDS::DBCluster"
        );
    }

    #[test]
    fn multi_az_db_clusters_record_public_access_themselves() {
        let findings = cluster(
            r#"{"dbclusterIdentifier":"ledger","engine":"postgres","masterUsername":"ledger_admin","storageEncrypted":true,
            "kmsKeyId":"arn:aws:kms:eu-central-1:111122223333:key/k","backupRetentionPeriod":7,"publiclyAccessible":true,"autoMinorVersionUpgrade":true}"#,
        );
        assert_eq!(status(&findings, PUBLICLY_ACCESSIBLE.id), Status::Fail);
        assert_eq!(
            status(&findings, AUTO_MINOR_VERSION_UPGRADE.id),
            Status::Pass
        );
        assert_eq!(status(&findings, STORAGE_ENCRYPTED.id), Status::Pass);
        // Not recorded on a non-Aurora cluster: decided by a person, never passed.
        let findings = cluster(r#"{"engine":"mysql","storageEncrypted":true}"#);
        assert_eq!(status(&findings, PUBLICLY_ACCESSIBLE.id), Status::Manual);
    }
}
