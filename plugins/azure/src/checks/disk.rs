//! Managed disks: customer-managed keys.
//!
//! `properties.encryption.type` is `EncryptionAtRestWithPlatformKey` (the default: keys
//! Microsoft manages), `EncryptionAtRestWithCustomerKey` or
//! `EncryptionAtRestWithPlatformAndCustomerKeys` (a disk encryption set holding a Key Vault
//! key, `encryption.diskEncryptionSetId`). Azure Disk Encryption (BitLocker / dm-crypt with a
//! key in the customer's vault) shows as `encryptionSettingsCollection.enabled`.

use serde::Deserialize;

use super::Evaluated;
use crate::json::{Flag, Obj, Text};
use crate::resource::Resource;

demarc_sdk::include_checks!("disk");

#[derive(Debug, Default, Deserialize)]
struct DiskProperties<'a> {
    #[serde(borrow, default)]
    encryption: Obj<DiskEncryption<'a>>,
    #[serde(rename = "encryptionSettingsCollection", default)]
    ade: Obj<EncryptionSettings>,
    #[serde(rename = "diskState", borrow, default)]
    state: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct DiskEncryption<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Text<'a>,
    #[serde(rename = "diskEncryptionSetId", borrow, default)]
    set_id: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct EncryptionSettings {
    #[serde(default)]
    enabled: Flag,
}

/// Encryption types that use a customer-managed key.
const CUSTOMER_KEY_TYPES: [&str; 2] = [
    "EncryptionAtRestWithCustomerKey",
    "EncryptionAtRestWithPlatformAndCustomerKeys",
];

/// Evaluate a managed disk.
pub fn evaluate<'a>(resource: &Resource<'a>) -> Evaluated<'a> {
    let props: DiskProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let encryption = props.encryption.get();
    let kind = encryption.map_or("(absent)", |e| e.kind.shown());
    let mut builder = subject
        .finding(&CMK_ENCRYPTION)
        .evidence("properties.encryption.type", kind);
    if let Some(state) = props.state.non_empty() {
        builder = builder.evidence("properties.diskState", state);
    }
    let customer =
        encryption.is_some_and(|e| CUSTOMER_KEY_TYPES.iter().any(|t| e.kind.eq_ignore_case(t)));
    let ade = props.ade.get().is_some_and(|s| s.enabled.is_true());
    let finding = if customer {
        let set = encryption.and_then(|e| e.set_id.non_empty()).unwrap_or("?");
        builder
            .evidence("properties.encryption.diskEncryptionSetId", set)
            .pass(format!(
                "Disk {label} is encrypted with a customer-managed key through disk encryption set {}.",
                crate::json::last_segment(set)
            ))
    } else if ade {
        builder
            .evidence("properties.encryptionSettingsCollection.enabled", "true")
            .pass(format!(
                "Disk {label} is encrypted by Azure Disk Encryption with keys in the customer's Key Vault."
            ))
    } else {
        builder.fail(format!(
            "Disk {label} is encrypted only with platform-managed keys ({kind}): Azure encrypts every disk by default, but customer-managed keys are off."
        ))
    };
    Ok(vec![finding])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, resource, status};
    use demarc_sdk::Status;

    #[test]
    fn customer_keys_or_ade_pass() {
        let cmk = resource(
            r#"{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1","type":"microsoft.compute/disks","properties":{"diskState":"Attached","encryption":{"type":"EncryptionAtRestWithCustomerKey","diskEncryptionSetId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/des1"}}}"#,
        );
        let f = evaluate(&cmk).unwrap();
        assert_eq!(status(&f, CMK_ENCRYPTION.id), Status::Pass);
        assert!(f[0].message.contains("des1"));
        let ade = resource(
            r#"{"id":"/subscriptions/s/x/d2","type":"microsoft.compute/disks","properties":{"encryption":{"type":"EncryptionAtRestWithPlatformKey"},"encryptionSettingsCollection":{"enabled":true,"encryptionSettings":[]}}}"#,
        );
        assert_eq!(
            status(&evaluate(&ade).unwrap(), CMK_ENCRYPTION.id),
            Status::Pass
        );
    }

    #[test]
    fn platform_keys_fail() {
        let r = resource(
            r#"{"id":"/subscriptions/s/x/d3","type":"Microsoft.Compute/disks","properties":{"diskState":"Unattached","encryption":{"type":"EncryptionAtRestWithPlatformKey"}}}"#,
        );
        let f = evaluate(&r).unwrap();
        assert_eq!(status(&f, CMK_ENCRYPTION.id), Status::Fail);
        assert_eq!(evidence(&f[0], "properties.diskState"), Some("Unattached"));
        let bare = resource(r#"{"id":"/subscriptions/s/x/d4","type":"microsoft.compute/disks"}"#);
        assert_eq!(
            status(&evaluate(&bare).unwrap(), CMK_ENCRYPTION.id),
            Status::Fail
        );
    }
}
