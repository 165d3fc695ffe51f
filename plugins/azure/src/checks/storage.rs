//! Storage accounts: customer-managed keys, anonymous blob access, HTTPS-only, minimum TLS and
//! access-key rotation.
//!
//! `properties`: `encryption.keySource` (`Microsoft.Storage` = keys Microsoft manages,
//! `Microsoft.Keyvault` = a customer-managed key in Key Vault, with
//! `encryption.keyvaultproperties{keyname, keyvaulturi}`), `allowBlobPublicAccess`,
//! `supportsHttpsTrafficOnly`, `minimumTlsVersion` (`TLS1_0`, `TLS1_1`, `TLS1_2`, `TLS1_3`),
//! `keyCreationTime{key1, key2}` (when each shared access key was last generated; `null` on
//! accounts whose keys predate the field), `keyPolicy.keyExpirationPeriodInDays` (the rotation
//! reminder) and `allowSharedKeyAccess` (`false` makes the keys unusable). What protects an
//! account that archives logs — `immutableStorageWithVersioning{enabled, immutabilityPolicy{state,
//! immutabilityPeriodSinceCreationInDays}}` and the key source — is handed to the activity-log
//! integrity check as an [`ArchiveProtection`].

use demarc_sdk::Finding;
use serde::Deserialize;

use super::{Context, Evaluated, and_list, governance, tls_at_least_1_2};
use crate::json::{Flag, Int, Obj, Text};
use crate::resource::{Resource, Subject};
use demarc_sdk::time::Timestamp;

demarc_sdk::include_checks!("storage");

/// Days an access key may live.
pub const KEY_ROTATION_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize)]
struct StorageProperties<'a> {
    #[serde(rename = "keyCreationTime", borrow, default)]
    key_creation: Obj<KeyCreationTime<'a>>,
    #[serde(rename = "keyPolicy", default)]
    key_policy: Obj<KeyPolicy>,
    #[serde(rename = "allowSharedKeyAccess", default)]
    shared_key: Flag,
    #[serde(rename = "supportsHttpsTrafficOnly", default)]
    https_only: Flag,
    #[serde(rename = "minimumTlsVersion", borrow, default)]
    min_tls: Text<'a>,
    #[serde(rename = "allowBlobPublicAccess", default)]
    blob_public: Flag,
    #[serde(borrow, default)]
    encryption: Obj<Encryption<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct KeyCreationTime<'a> {
    #[serde(borrow, default)]
    key1: Text<'a>,
    #[serde(borrow, default)]
    key2: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct KeyPolicy {
    #[serde(rename = "keyExpirationPeriodInDays", default)]
    expiration_days: Int,
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Encryption<'a> {
        key_source: Text<'a> = ["keySource"],
        key_vault: Obj<KeyVaultProperties<'a>> = ["keyvaultproperties", "keyVaultProperties"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct KeyVaultProperties<'a> {
        key_name: Text<'a> = ["keyname", "keyName"],
        vault_uri: Text<'a> = ["keyvaulturi", "keyVaultUri"],
    }
}

/// What protects the blobs of a storage account against change and deletion, for the check of
/// the account that receives the activity log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveProtection {
    /// `immutableStorageWithVersioning.enabled`.
    pub immutable: Option<bool>,
    /// `immutableStorageWithVersioning.immutabilityPolicy.state` (`Locked`, `Unlocked`,
    /// `Disabled`).
    pub policy_state: Option<String>,
    /// `immutableStorageWithVersioning.immutabilityPolicy.immutabilityPeriodSinceCreationInDays`.
    pub policy_days: Option<i64>,
    /// `encryption.keySource`.
    pub key_source: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ProtectionProperties<'a> {
    #[serde(rename = "immutableStorageWithVersioning", borrow, default)]
    immutability: Obj<Immutability<'a>>,
    #[serde(borrow, default)]
    encryption: Obj<Encryption<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Immutability<'a> {
    #[serde(default)]
    enabled: Flag,
    #[serde(rename = "immutabilityPolicy", borrow, default)]
    policy: Obj<ImmutabilityPolicy<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct ImmutabilityPolicy<'a> {
    #[serde(borrow, default)]
    state: Text<'a>,
    #[serde(rename = "immutabilityPeriodSinceCreationInDays", default)]
    days: Int,
}

/// Read what protects a storage account's blobs.
pub fn archive_protection<'a>(
    resource: &Resource<'a>,
) -> Result<ArchiveProtection, demarc_sdk::json::FieldError<'a>> {
    let props: ProtectionProperties<'_> = resource.properties()?.unwrap_or_default();
    let immutability = props.immutability.get();
    let policy = immutability.and_then(|i| i.policy.get());
    Ok(ArchiveProtection {
        immutable: immutability.and_then(|i| i.enabled.0),
        policy_state: policy.and_then(|p| p.state.non_empty()).map(str::to_string),
        policy_days: policy.and_then(|p| p.days.0),
        key_source: props
            .encryption
            .get()
            .and_then(|e| e.key_source.non_empty())
            .map(str::to_string),
    })
}

/// Evaluate a storage account.
pub fn evaluate<'a>(resource: &Resource<'a>, ctx: &Context) -> Evaluated<'a> {
    let props: StorageProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    Ok(vec![
        cmk(&subject, &props),
        blob_public(&subject, &props),
        secure_transfer(&subject, &props),
        min_tls(&subject, &props),
        key_rotation(&subject, &props, ctx),
        governance::owner_tag(&subject),
    ])
}

fn key_rotation(subject: &Subject<'_>, props: &StorageProperties<'_>, ctx: &Context) -> Finding {
    let label = subject.label();
    let created = props.key_creation.get();
    let mut builder = subject.finding(&KEY_ROTATION);
    let mut old = Vec::new();
    let mut unknown = Vec::new();
    for (name, text) in [
        ("key1", created.map(|c| &c.key1)),
        ("key2", created.map(|c| &c.key2)),
    ] {
        let shown = text.map_or("(absent)", Text::shown);
        builder = builder.evidence(format!("properties.keyCreationTime.{name}"), shown);
        match text.and_then(Text::non_empty).and_then(Timestamp::parse) {
            Some(t) if t.older_than(KEY_ROTATION_DAYS, ctx.now) => old.push(format!(
                "{name} (generated {}, {} days ago)",
                t.date(),
                t.days_until(ctx.now)
            )),
            Some(_) => {}
            None => unknown.push(name),
        }
    }
    if let Some(days) = props.key_policy.get().and_then(|p| p.expiration_days.0) {
        builder = builder.evidence("properties.keyPolicy.keyExpirationPeriodInDays", days);
    }
    if props.shared_key.is_false() {
        return builder
            .evidence("properties.allowSharedKeyAccess", "false")
            .not_applicable(format!(
                "Storage account {label} disallows shared key access: its access keys cannot be used, so their age does not matter."
            ));
    }
    if !old.is_empty() {
        builder.fail(format!(
            "Storage account {label} has access keys not regenerated in over {KEY_ROTATION_DAYS} days: {}. Anyone holding a copy still has full control of the account's data.",
            and_list(&old)
        ))
    } else if !unknown.is_empty() {
        builder.manual(format!(
            "The export does not record when {} of storage account {label} {} generated (keyCreationTime is null for keys that predate the field); the account's activity log (`Regenerate Storage Account Keys` operations) or regenerating the keys decides it.",
            and_list(&unknown),
            if unknown.len() == 1 { "was" } else { "were" }
        ))
    } else {
        builder.pass(format!(
            "Storage account {label} regenerated both access keys within {KEY_ROTATION_DAYS} days."
        ))
    }
}

fn cmk(subject: &Subject<'_>, props: &StorageProperties<'_>) -> Finding {
    let label = subject.label();
    let encryption = props.encryption.get();
    let source = encryption.map(|e| &e.key_source);
    let shown = source.map_or("(absent)", Text::shown);
    let builder = subject
        .finding(&CMK_ENCRYPTION)
        .evidence("properties.encryption.keySource", shown);
    if source.is_some_and(|s| s.eq_ignore_case("Microsoft.Keyvault")) {
        let vault = encryption.and_then(|e| e.key_vault.get());
        let key = vault.and_then(|v| v.key_name.non_empty()).unwrap_or("?");
        let uri = vault.and_then(|v| v.vault_uri.non_empty()).unwrap_or("?");
        builder
            .evidence("properties.encryption.keyvaultproperties.keyname", key)
            .evidence("properties.encryption.keyvaultproperties.keyvaulturi", uri)
            .pass(format!(
                "Storage account {label} is encrypted with the customer-managed key {key} in {uri}."
            ))
    } else {
        builder.fail(format!(
            "Storage account {label} is encrypted only with Microsoft-managed keys (keySource {shown}): Azure encrypts all storage by default, but customer-managed keys are off, so the customer cannot control, rotate or revoke the key."
        ))
    }
}

fn blob_public(subject: &Subject<'_>, props: &StorageProperties<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&BLOB_PUBLIC_ACCESS).evidence(
        "properties.allowBlobPublicAccess",
        props.blob_public.describe(),
    );
    match props.blob_public.0 {
        Some(false) => builder.pass(format!(
            "Storage account {label} disallows anonymous access to its blobs."
        )),
        Some(true) => builder.fail(format!(
            "Storage account {label} allows anonymous blob access: any of its containers can be made publicly readable."
        )),
        None => builder.fail(format!(
            "Storage account {label} does not set allowBlobPublicAccess; accounts created before November 2023 then allow anonymous blob access."
        )),
    }
}

fn secure_transfer(subject: &Subject<'_>, props: &StorageProperties<'_>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&SECURE_TRANSFER).evidence(
        "properties.supportsHttpsTrafficOnly",
        props.https_only.describe(),
    );
    match props.https_only.0 {
        Some(true) => builder.pass(format!(
            "Storage account {label} accepts only HTTPS (secure transfer required)."
        )),
        Some(false) => builder.fail(format!(
            "Storage account {label} accepts plain HTTP and unencrypted SMB: secure transfer is not required."
        )),
        None => builder.manual(format!(
            "The export does not record supportsHttpsTrafficOnly for storage account {label}; `az storage account show` (ARM Microsoft.Storage/storageAccounts) decides it."
        )),
    }
}

fn min_tls(subject: &Subject<'_>, props: &StorageProperties<'_>) -> Finding {
    let label = subject.label();
    let shown = props.min_tls.shown();
    let builder = subject
        .finding(&MIN_TLS)
        .evidence("properties.minimumTlsVersion", shown);
    match props.min_tls.get().and_then(tls_at_least_1_2) {
        Some(true) => builder.pass(format!(
            "Storage account {label} requires {shown} or newer."
        )),
        Some(false) => builder.fail(format!(
            "Storage account {label} still accepts {shown}, a deprecated TLS version."
        )),
        None => builder.fail(format!(
            "Storage account {label} sets no minimum TLS version, so it accepts TLS 1.0."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, evidence, only, resource, status};
    use demarc_sdk::Status;

    const GOOD: &str = r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/good","name":"good","type":"microsoft.storage/storageaccounts","location":"westeurope","tags":{"owner":"data"},
        "properties":{"supportsHttpsTrafficOnly":true,"minimumTlsVersion":"TLS1_2","allowBlobPublicAccess":false,
        "keyCreationTime":{"key1":"2026-09-14T08:00:00.1234567Z","key2":"2026-10-01T08:00:00Z"},"keyPolicy":{"keyExpirationPeriodInDays":90},
        "encryption":{"keySource":"Microsoft.Keyvault","keyvaultproperties":{"keyname":"cmk","keyvaulturi":"https://kv.vault.azure.net/"}}}}"#;
    const BAD: &str = r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/bad","name":"bad","type":"Microsoft.Storage/storageAccounts","location":"westeurope",
        "properties":{"supportsHttpsTrafficOnly":"false","minimumTlsVersion":"TLS1_0","allowBlobPublicAccess":true,
        "keyCreationTime":{"key1":"2023-02-14T11:20:31.8123456Z","key2":"2026-10-01T08:00:00Z"},
        "encryption":{"keySource":"Microsoft.Storage","services":{"blob":{"enabled":true}}}}}"#;

    #[test]
    fn a_hardened_account_passes_every_check() {
        let r = resource(GOOD);
        let f = evaluate(&r, &ctx()).unwrap();
        assert_eq!(f.len(), 6);
        for check in [
            &CMK_ENCRYPTION,
            &BLOB_PUBLIC_ACCESS,
            &SECURE_TRANSFER,
            &MIN_TLS,
            &KEY_ROTATION,
        ] {
            assert_eq!(status(&f, check.id), Status::Pass, "{}", check.id);
        }
        let cmk = only(&f, CMK_ENCRYPTION.id);
        assert_eq!(
            evidence(cmk, "properties.encryption.keyvaultproperties.keyname"),
            Some("cmk")
        );
    }

    #[test]
    fn a_default_account_fails_every_check() {
        let r = resource(BAD);
        let f = evaluate(&r, &ctx()).unwrap();
        for check in [
            &CMK_ENCRYPTION,
            &BLOB_PUBLIC_ACCESS,
            &SECURE_TRANSFER,
            &MIN_TLS,
            &KEY_ROTATION,
            &governance::OWNER_TAG,
        ] {
            assert_eq!(status(&f, check.id), Status::Fail, "{}", check.id);
        }
        let keys = only(&f, KEY_ROTATION.id);
        assert!(
            keys.message.contains("key1 (generated 2023-02-14") && !keys.message.contains("key2"),
            "{}",
            keys.message
        );
        let cmk = only(&f, CMK_ENCRYPTION.id);
        assert!(cmk.message.contains("Microsoft-managed"), "{}", cmk.message);
        assert_eq!(
            cmk.resource.native_type,
            "Microsoft.Storage/storageAccounts"
        );
    }

    #[test]
    fn absent_settings() {
        let r = resource(
            r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/old","type":"microsoft.storage/storageaccounts","properties":{}}"#,
        );
        let f = evaluate(&r, &ctx()).unwrap();
        assert_eq!(status(&f, CMK_ENCRYPTION.id), Status::Fail);
        assert_eq!(status(&f, BLOB_PUBLIC_ACCESS.id), Status::Fail);
        assert_eq!(status(&f, SECURE_TRANSFER.id), Status::Manual);
        assert_eq!(status(&f, MIN_TLS.id), Status::Fail);
        assert_eq!(status(&f, KEY_ROTATION.id), Status::Manual);
        let none = resource(
            r#"{"id":"/subscriptions/s1/x/y","type":"microsoft.storage/storageaccounts","properties":null}"#,
        );
        assert_eq!(evaluate(&none, &ctx()).unwrap().len(), 6);
    }

    fn rotation(props: &str) -> Finding {
        let json = format!(
            r#"{{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/k","type":"microsoft.storage/storageaccounts","properties":{props}}}"#
        );
        let r = resource(&json);
        only(&evaluate(&r, &ctx()).unwrap(), KEY_ROTATION.id).clone()
    }

    #[test]
    fn key_rotation_by_the_age_of_each_key() {
        // Exactly 90 days before the reference time is still within the limit; a day more is not.
        let f = rotation(
            r#"{"keyCreationTime":{"key1":"2026-08-03T00:00:00Z","key2":"2026-10-30T00:00:00+00:00"}}"#,
        );
        assert_eq!(f.status, Status::Pass, "{}", f.message);
        let f = rotation(
            r#"{"keyCreationTime":{"key1":"2026-10-30T00:00:00Z","key2":"2026-08-02T00:00:00Z"}}"#,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message
                .contains("key2 (generated 2026-08-02, 91 days ago)"),
            "{}",
            f.message
        );
        // An old key decides even when the other one's time is unknown.
        let f = rotation(r#"{"keyCreationTime":{"key1":"2021-01-01T00:00:00Z","key2":null}}"#);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            evidence(&f, "properties.keyCreationTime.key2"),
            Some("(absent)")
        );
    }

    #[test]
    fn unknown_key_times_are_manual_never_a_pass() {
        for props in [
            r#"{"keyCreationTime":{"key1":null,"key2":null}}"#,
            r#"{"keyCreationTime":{"key1":"2026-10-01T00:00:00Z","key2":null}}"#,
            r#"{"keyCreationTime":{"key1":"2026-10-01T00:00:00Z","key2":"not a time"}}"#,
            r#"{"keyCreationTime":null,"keyPolicy":{"keyExpirationPeriodInDays":"60"}}"#,
        ] {
            let f = rotation(props);
            assert_eq!(f.status, Status::Manual, "{props}: {}", f.message);
        }
        let f = rotation(r#"{"keyCreationTime":{"key1":null,"key2":null}}"#);
        assert!(f.message.contains("key1 and key2"), "{}", f.message);
        let f =
            rotation(r#"{"keyCreationTime":null,"keyPolicy":{"keyExpirationPeriodInDays":"60"}}"#);
        assert_eq!(
            evidence(&f, "properties.keyPolicy.keyExpirationPeriodInDays"),
            Some("60")
        );
    }

    #[test]
    fn accounts_without_shared_key_access_are_not_applicable() {
        for flag in ["false", r#""False""#] {
            let f = rotation(&format!(
                r#"{{"allowSharedKeyAccess":{flag},"keyCreationTime":{{"key1":"2020-01-01T00:00:00Z","key2":"2020-01-01T00:00:00Z"}}}}"#
            ));
            assert_eq!(f.status, Status::NotApplicable, "{flag}");
        }
        let f = rotation(
            r#"{"allowSharedKeyAccess":null,"keyCreationTime":{"key1":"2020-01-01T00:00:00Z","key2":"2020-01-01T00:00:00Z"}}"#,
        );
        assert_eq!(
            f.status,
            Status::Fail,
            "null means the default: shared keys allowed"
        );
    }

    #[test]
    fn archive_protection_is_read_in_any_spelling() {
        let r = resource(
            r#"{"id":"/subscriptions/s1/x/storageAccounts/a","type":"microsoft.storage/storageaccounts","properties":{
            "immutableStorageWithVersioning":{"enabled":"true","immutabilityPolicy":{"immutabilityPeriodSinceCreationInDays":"365","state":"Locked","allowProtectedAppendWrites":true}},
            "encryption":{"keySource":"Microsoft.Storage"}}}"#,
        );
        let p = archive_protection(&r).unwrap();
        assert_eq!(p.immutable, Some(true));
        assert_eq!(p.policy_state.as_deref(), Some("Locked"));
        assert_eq!(p.policy_days, Some(365));
        assert_eq!(p.key_source.as_deref(), Some("Microsoft.Storage"));
        let bare = resource(
            r#"{"id":"/subscriptions/s1/x/storageAccounts/b","type":"microsoft.storage/storageaccounts","properties":{"immutableStorageWithVersioning":null}}"#,
        );
        assert_eq!(
            archive_protection(&bare).unwrap(),
            ArchiveProtection::default()
        );
    }

    #[test]
    fn properties_of_the_wrong_shape_are_an_error() {
        let r = resource(
            r#"{"id":"x","type":"microsoft.storage/storageaccounts","properties":{"encryption":5}}"#,
        );
        assert!(evaluate(&r, &ctx()).is_err());
    }

    #[test]
    fn every_spelling_of_the_encryption_settings_at_once() {
        demarc_sdk::assert_every_spelling!(
            KeyVaultProperties<'_>,
            r#"{"keyname":"k","keyvaulturi":"https://v.vault.azure.net/"}"#
        );
        demarc_sdk::assert_every_spelling!(
            Encryption<'_>,
            r#"{"keySource":"Microsoft.Keyvault","keyvaultproperties":{"keyname":"k"}}"#
        );
    }
}
