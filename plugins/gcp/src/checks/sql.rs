//! Cloud SQL instances: customer-managed keys, internet exposure, TLS, automated backups.
//!
//! The resource data is the Cloud SQL Admin API's `DatabaseInstance`: `settings.ipConfiguration
//! {ipv4Enabled, authorizedNetworks[{value}], requireSsl, sslMode}`,
//! `settings.backupConfiguration{enabled, backupRetentionSettings{retainedBackups,
//! retentionUnit}}`, `settings.userLabels`, `diskEncryptionConfiguration.kmsKeyName`,
//! `instanceType`, `ipAddresses[{type, ipAddress}]` (`PRIMARY` is the public address). A setting
//! the asset does not record leaves its check to a person (manual), never a pass.
//!
//! Two checks judge exposure: `gcp-sql-instance-public-access` fails an instance whose
//! authorized networks admit the whole internet (a `/0`, or blocks that together cover every
//! address), and `gcp-sql-instance-public-ip` (CIS Google Cloud 5.0 6.7) fails every instance with a
//! public IP address at all, however narrow its authorized networks.

use demarc_sdk::{Finding, FindingBuilder};
use serde::Deserialize;

use super::governance;
use crate::asset::{Asset, Kind, Subject};
use crate::json::{FieldError, Flag, Int, Labels, List, Text, parse_part};

const DESCRIBE: &str = "`gcloud sql instances describe`";

demarc_sdk::include_checks!("sql");

/// Fewest automated backups kept (Cloud SQL takes one a day).
pub const MIN_RETAINED_BACKUPS: i64 = 7;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SqlData<'a> {
    #[serde(borrow, default)]
    database_version: Text<'a>,
    #[serde(borrow, default)]
    ip_addresses: List<IpMapping<'a>>,
    #[serde(borrow, default)]
    instance_type: Text<'a>,
    #[serde(borrow, default)]
    settings: Option<Settings<'a>>,
    #[serde(borrow, default)]
    disk_encryption_configuration: Option<DiskEncryption<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Settings<'a> {
    #[serde(borrow, default)]
    ip_configuration: Option<IpConfiguration<'a>>,
    #[serde(default)]
    backup_configuration: Option<BackupConfiguration>,
    #[serde(borrow, default)]
    user_labels: Labels<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IpConfiguration<'a> {
    #[serde(default)]
    ipv4_enabled: Flag,
    #[serde(borrow, default)]
    authorized_networks: List<AclEntry<'a>>,
    #[serde(default)]
    require_ssl: Flag,
    #[serde(borrow, default)]
    ssl_mode: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IpMapping<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Text<'a>,
    #[serde(borrow, default)]
    ip_address: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct AclEntry<'a> {
    #[serde(borrow, default)]
    value: Text<'a>,
    #[serde(borrow, default)]
    name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackupConfiguration {
    #[serde(default)]
    enabled: Flag,
    #[serde(default)]
    backup_retention_settings: Option<RetentionSettings>,
    #[serde(default)]
    point_in_time_recovery_enabled: Flag,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetentionSettings {
    #[serde(default)]
    retained_backups: Int,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiskEncryption<'a> {
    #[serde(borrow, default)]
    kms_key_name: Text<'a>,
}

/// Evaluate a `sqladmin.googleapis.com/Instance` resource line.
pub fn evaluate<'a>(asset: &Asset<'a>) -> Result<Vec<Finding>, FieldError<'a>> {
    let data: SqlData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let labels = data
        .settings
        .as_ref()
        .map(|s| s.user_labels.clone())
        .unwrap_or_default();
    let subject = asset.subject(Kind::SqlInstance, labels);
    Ok(vec![
        cmek(&subject, &data),
        public_access(&subject, &data),
        public_ip(&subject, &data),
        ssl_required(&subject, &data),
        backups(&subject, &data),
        governance::owner_label(&subject),
    ])
}

fn not_recorded(builder: FindingBuilder, label: &str, field: &str) -> Finding {
    builder.manual(format!(
        "The asset of Cloud SQL instance {label} does not record `{field}`; check it with {DESCRIBE}."
    ))
}

fn cmek(subject: &Subject<'_>, data: &SqlData<'_>) -> Finding {
    let label = subject.label();
    match data
        .disk_encryption_configuration
        .as_ref()
        .and_then(|d| d.kms_key_name.non_empty())
    {
        Some(key) => subject
            .finding(&CMEK)
            .evidence("diskEncryptionConfiguration.kmsKeyName", key)
            .pass(format!(
                "Cloud SQL instance {label} encrypts its storage with the customer-managed key {key}."
            )),
        None => subject
            .finding(&CMEK)
            .evidence("diskEncryptionConfiguration.kmsKeyName", "(absent)")
            .fail(format!(
                "Cloud SQL instance {label} is encrypted only with Google-managed keys: customer-managed encryption is off."
            )),
    }
}

/// Whether an authorized network is the whole internet (a `/0` prefix).
fn is_everyone(cidr: &str) -> bool {
    let c = cidr.trim();
    c.ends_with("/0") || c == "0.0.0.0"
}

fn public_access(subject: &Subject<'_>, data: &SqlData<'_>) -> Finding {
    let label = subject.label();
    let Some(ip) = data
        .settings
        .as_ref()
        .and_then(|s| s.ip_configuration.as_ref())
    else {
        return not_recorded(
            subject.finding(&PUBLIC_ACCESS),
            label,
            "settings.ipConfiguration",
        );
    };
    let networks: Vec<&str> = ip
        .authorized_networks
        .iter()
        .filter_map(|n| n.value.non_empty())
        .collect();
    let builder = subject
        .finding(&PUBLIC_ACCESS)
        .evidence(
            "settings.ipConfiguration.ipv4Enabled",
            ip.ipv4_enabled.describe(),
        )
        .evidence(
            "settings.ipConfiguration.authorizedNetworks",
            if networks.is_empty() {
                "(none)".to_string()
            } else {
                networks.join(", ")
            },
        );
    if ip.ipv4_enabled.0 == Some(false) {
        return builder.pass(format!(
            "Cloud SQL instance {label} has no public IP address."
        ));
    }
    let shown = |n: &&AclEntry<'_>| match n.name.non_empty() {
        Some(name) => format!("{} (`{name}`)", n.value.shown()),
        None => n.value.shown().to_string(),
    };
    let mut open: Vec<String> = ip
        .authorized_networks
        .iter()
        .filter(|n| n.value.non_empty().is_some_and(is_everyone))
        .map(|n| shown(&n))
        .collect();
    if open.is_empty() && demarc_sdk::cidr::covers_everything(networks.iter().copied()) {
        // Networks that only together admit every address (`0.0.0.0/1` and `128.0.0.0/1`).
        let all: Vec<String> = ip.authorized_networks.iter().map(|n| shown(&n)).collect();
        open.push(format!(
            "{} (together every address)",
            super::and_list(&all)
        ));
    }
    match (ip.ipv4_enabled.0, open.is_empty()) {
        (Some(true), false) => builder.fail(format!(
            "Cloud SQL instance {label}{} has a public IP address that accepts connections from {}: the whole internet reaches its login prompt.",
            data.database_version
                .non_empty()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default(),
            super::and_list(&open)
        )),
        (Some(true), true) => builder.pass(format!(
            "Cloud SQL instance {label} has a public IP address but accepts connections only from {}.",
            if networks.is_empty() {
                "the Cloud SQL Auth Proxy and connectors (no authorized networks)".to_string()
            } else {
                super::and_list(&networks)
            }
        )),
        _ => not_recorded(builder, label, "settings.ipConfiguration.ipv4Enabled"),
    }
}

fn public_ip(subject: &Subject<'_>, data: &SqlData<'_>) -> Finding {
    let label = subject.label();
    let primary: Vec<&str> = data
        .ip_addresses
        .iter()
        .filter(|a| a.kind.eq_ignore_case("PRIMARY"))
        .filter_map(|a| a.ip_address.non_empty())
        .collect();
    let enabled = data
        .settings
        .as_ref()
        .and_then(|s| s.ip_configuration.as_ref())
        .map(|ip| ip.ipv4_enabled);
    let mut builder = subject.finding(&PUBLIC_IP).evidence(
        "settings.ipConfiguration.ipv4Enabled",
        enabled.map_or("(absent)", Flag::describe),
    );
    if !primary.is_empty() {
        builder = builder.evidence("ipAddresses[type=PRIMARY]", primary.join(", "));
    }
    match (enabled.and_then(|e| e.0), primary.is_empty()) {
        (Some(true), _) | (None, false) => builder.fail(format!(
            "Cloud SQL instance {label} has a public IP address{}.",
            if primary.is_empty() {
                String::new()
            } else {
                format!(" ({})", primary.join(", "))
            }
        )),
        (Some(false), _) => builder.pass(format!(
            "Cloud SQL instance {label} has no public IP address."
        )),
        (None, true) => not_recorded(builder, label, "settings.ipConfiguration.ipv4Enabled"),
    }
}

fn ssl_required(subject: &Subject<'_>, data: &SqlData<'_>) -> Finding {
    let label = subject.label();
    let Some(ip) = data
        .settings
        .as_ref()
        .and_then(|s| s.ip_configuration.as_ref())
    else {
        return not_recorded(
            subject.finding(&SSL_REQUIRED),
            label,
            "settings.ipConfiguration",
        );
    };
    let builder = subject
        .finding(&SSL_REQUIRED)
        .evidence("settings.ipConfiguration.sslMode", ip.ssl_mode.shown())
        .evidence(
            "settings.ipConfiguration.requireSsl",
            ip.require_ssl.describe(),
        );
    match ip.ssl_mode.non_empty() {
        Some(mode)
            if mode.eq_ignore_ascii_case("ENCRYPTED_ONLY")
                || mode.eq_ignore_ascii_case("TRUSTED_CLIENT_CERTIFICATE_REQUIRED") =>
        {
            builder.pass(format!(
                "Cloud SQL instance {label} accepts only encrypted connections ({mode})."
            ))
        }
        Some(mode) if mode.eq_ignore_ascii_case("ALLOW_UNENCRYPTED_AND_ENCRYPTED") => {
            builder.fail(format!(
                "Cloud SQL instance {label} accepts unencrypted connections (sslMode {mode})."
            ))
        }
        _ => match ip.require_ssl.0 {
            Some(true) => builder.pass(format!(
                "Cloud SQL instance {label} requires SSL/TLS for every connection."
            )),
            _ => builder.fail(format!(
                "Cloud SQL instance {label} does not require SSL/TLS: clients may connect unencrypted."
            )),
        },
    }
}

fn backups(subject: &Subject<'_>, data: &SqlData<'_>) -> Finding {
    let label = subject.label();
    let builder = subject
        .finding(&BACKUPS)
        .evidence("instanceType", data.instance_type.shown());
    if data.instance_type.eq_ignore_case("READ_REPLICA_INSTANCE") {
        return builder.not_applicable(format!(
            "Cloud SQL instance {label} is a read replica: automated backups are taken on its primary."
        ));
    }
    let Some(backup) = data
        .settings
        .as_ref()
        .and_then(|s| s.backup_configuration.as_ref())
    else {
        return not_recorded(builder, label, "settings.backupConfiguration");
    };
    let retained = backup
        .backup_retention_settings
        .as_ref()
        .and_then(|r| r.retained_backups.0);
    let builder = builder
        .evidence(
            "settings.backupConfiguration.enabled",
            backup.enabled.describe(),
        )
        .evidence(
            "settings.backupConfiguration.backupRetentionSettings.retainedBackups",
            retained.map_or("(absent: 7 by default)".to_string(), |n| n.to_string()),
        )
        .evidence(
            "settings.backupConfiguration.pointInTimeRecoveryEnabled",
            backup.point_in_time_recovery_enabled.describe(),
        );
    match (backup.enabled.0, retained) {
        (Some(true), Some(n)) if n < MIN_RETAINED_BACKUPS => builder.fail(format!(
            "Cloud SQL instance {label} keeps only {}, fewer than {MIN_RETAINED_BACKUPS}.",
            super::count(n, "automated backup", "automated backups")
        )),
        (Some(true), n) => builder.pass(format!(
            "Cloud SQL instance {label} takes automated backups and keeps {}.",
            n.unwrap_or(MIN_RETAINED_BACKUPS)
        )),
        _ => builder.fail(format!(
            "Cloud SQL instance {label} has automated backups turned off."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, evidence, line, only, status};
    use demarc_sdk::Status;

    fn run(data: &str) -> Vec<Finding> {
        let json = line(
            "sqladmin.googleapis.com/Instance",
            "//cloudsql.googleapis.com/projects/p/instances/orders",
            data,
        );
        let a = asset(&json);
        evaluate(&a).unwrap()
    }

    #[test]
    fn a_private_encrypted_backed_up_instance_passes() {
        let findings = run(
            r#"{"name":"orders","databaseVersion":"POSTGRES_15","instanceType":"CLOUD_SQL_INSTANCE",
            "settings":{"ipConfiguration":{"ipv4Enabled":false,"privateNetwork":"projects/p/global/networks/v","sslMode":"TRUSTED_CLIENT_CERTIFICATE_REQUIRED"},
            "backupConfiguration":{"enabled":true,"backupRetentionSettings":{"retainedBackups":14,"retentionUnit":"COUNT"},"pointInTimeRecoveryEnabled":true},
            "userLabels":{"owner":"orders-team"}},"diskEncryptionConfiguration":{"kmsKeyName":"projects/p/locations/europe-west1/keyRings/r/cryptoKeys/sql"}}"#,
        );
        assert_eq!(findings.len(), 6);
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{}: {}", f.check_id, f.message);
        }
    }

    #[test]
    fn an_open_instance_fails_each_check() {
        let findings = run(
            r#"{"databaseVersion":"MYSQL_8_0","settings":{"ipConfiguration":{"ipv4Enabled":true,
            "authorizedNetworks":[{"value":"203.0.113.0/24","name":"office"},{"value":"0.0.0.0/0","name":"temp-migration","kind":"sql#aclEntry"}],
            "requireSsl":false,"sslMode":"ALLOW_UNENCRYPTED_AND_ENCRYPTED"},"backupConfiguration":{"enabled":false}}}"#,
        );
        for check in [
            &CMEK,
            &PUBLIC_ACCESS,
            &SSL_REQUIRED,
            &BACKUPS,
            &governance::OWNER_LABEL,
        ] {
            assert_eq!(status(&findings, check.id), Status::Fail, "{}", check.id);
        }
        let public = only(&findings, PUBLIC_ACCESS.id);
        assert!(public.message.contains("0.0.0.0/0 (`temp-migration`)"));
        assert!(public.message.contains("MYSQL_8_0"));
        assert_eq!(
            evidence(public, "settings.ipConfiguration.authorizedNetworks"),
            Some("203.0.113.0/24, 0.0.0.0/0")
        );
    }

    #[test]
    fn restricted_networks_require_ssl_and_short_retention() {
        let findings = run(
            r#"{"settings":{"ipConfiguration":{"ipv4Enabled":"true","authorizedNetworks":[{"value":"198.51.100.7/32"}],"requireSsl":true},
            "backupConfiguration":{"enabled":true,"backupRetentionSettings":{"retainedBackups":"3"}}}}"#,
        );
        assert_eq!(status(&findings, PUBLIC_ACCESS.id), Status::Pass);
        assert_eq!(status(&findings, SSL_REQUIRED.id), Status::Pass);
        let b = only(&findings, BACKUPS.id);
        assert_eq!(b.status, Status::Fail);
        assert!(b.message.contains("only 3"));
        let findings = run(r#"{"settings":{"ipConfiguration":{"ipv4Enabled":true}}}"#);
        assert_eq!(status(&findings, PUBLIC_ACCESS.id), Status::Pass);
        // CIS Google Cloud 5.0 6.7: a public IP address is reported however narrow the networks.
        assert_eq!(status(&findings, PUBLIC_IP.id), Status::Fail);
        assert_eq!(status(&findings, SSL_REQUIRED.id), Status::Fail);
    }

    #[test]
    fn replicas_and_unrecorded_settings() {
        let findings = run(r#"{"instanceType":"READ_REPLICA_INSTANCE","settings":{}}"#);
        assert_eq!(status(&findings, BACKUPS.id), Status::NotApplicable);
        let findings = run("{}");
        for check in [&PUBLIC_ACCESS, &SSL_REQUIRED, &BACKUPS] {
            let f = only(&findings, check.id);
            assert_eq!(f.status, Status::Manual, "{}", check.id);
            assert!(f.message.contains("gcloud sql instances describe"));
        }
    }

    #[test]
    fn networks_that_together_cover_every_address_are_the_internet() {
        let findings = run(
            r#"{"settings":{"ipConfiguration":{"ipv4Enabled":true,"authorizedNetworks":[{"value":"0.0.0.0/1","name":"a"},{"value":"128.0.0.0/1","name":"b"}]}}}"#,
        );
        let f = only(&findings, PUBLIC_ACCESS.id);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("together every address"),
            "{}",
            f.message
        );
        let findings = run(
            r#"{"settings":{"ipConfiguration":{"ipv4Enabled":true,"authorizedNetworks":[{"value":"0.0.0.0/1"},{"value":"128.0.0.0/2"}]}}}"#,
        );
        assert_eq!(status(&findings, PUBLIC_ACCESS.id), Status::Pass);
    }

    #[test]
    fn a_public_ip_address_is_reported() {
        let public = run(
            r#"{"ipAddresses":[{"type":"PRIMARY","ipAddress":"34.78.1.2"},{"type":"OUTGOING","ipAddress":"34.78.9.9"}],"settings":{"ipConfiguration":{"ipv4Enabled":true,"authorizedNetworks":[]}}}"#,
        );
        let f = only(&public, PUBLIC_IP.id);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("34.78.1.2"), "{}", f.message);
        assert_eq!(status(&public, PUBLIC_ACCESS.id), Status::Pass);
        // Only the address list recorded: its PRIMARY address decides.
        let listed = run(r#"{"ipAddresses":[{"type":"PRIMARY","ipAddress":"34.78.1.2"}]}"#);
        assert_eq!(status(&listed, PUBLIC_IP.id), Status::Fail);
        let private = run(
            r#"{"ipAddresses":[{"type":"PRIVATE","ipAddress":"10.1.0.3"}],"settings":{"ipConfiguration":{"ipv4Enabled":false,"privateNetwork":"projects/p/global/networks/vpc"}}}"#,
        );
        assert_eq!(status(&private, PUBLIC_IP.id), Status::Pass);
        assert_eq!(status(&run("{}"), PUBLIC_IP.id), Status::Manual);
    }
}
