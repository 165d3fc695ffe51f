//! KMS keys: automatic rotation of customer-managed keys.
//!
//! The configuration is `DescribeKey`'s key metadata (`keyManager` `AWS` | `CUSTOMER`,
//! `keyState`, `keySpec`, `origin`). AWS Config records the rotation status as
//! `supplementaryConfiguration.KeyRotationStatus` (a boolean, sometimes a string); some
//! re-exports put `keyRotationEnabled` in the configuration. When neither is recorded the check is
//! left to `aws kms get-key-rotation-status`.

use demarc_sdk::Finding;

use super::Evaluated;
use crate::config_item::ConfigItem;
use demarc_sdk::json::{Flag, Text};

demarc_sdk::include_checks!("kms");

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Key<'a> {
        manager: Text<'a> = ["keyManager", "KeyManager"],
        state: Text<'a> = ["keyState", "KeyState"],
        spec: Text<'a> = ["keySpec", "KeySpec"],
        /// The deprecated name of `keySpec`; AWS Config records both.
        legacy_spec: Text<'a> = ["customerMasterKeySpec", "CustomerMasterKeySpec"],
        origin: Text<'a> = ["origin", "Origin"],
        rotation: Flag = ["keyRotationEnabled", "KeyRotationEnabled", "keyRotationStatus"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Supplementary {
        rotation: Flag = ["KeyRotationStatus", "keyRotationStatus", "KeyRotationEnabled"],
    }
}

const ROTATION_PATH: &str = "supplementaryConfiguration.KeyRotationStatus";

/// Evaluate an `AWS::KMS::Key` item.
pub fn evaluate<'a>(item: &ConfigItem<'a>) -> Evaluated<'a> {
    let mut buf = None;
    let key: Key<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let mut supp_buf = None;
    let supp: Supplementary = item.supplementary(&mut supp_buf)?.unwrap_or_default();
    if !super::recorded(item) {
        return Ok(super::unrecorded(
            &item.subject(),
            &[(
                &KEY_ROTATION,
                "aws kms describe-key and aws kms get-key-rotation-status",
            )],
            "configuration",
        ));
    }
    Ok(vec![rotation(item, &key, supp.rotation)])
}

fn rotation(item: &ConfigItem<'_>, key: &Key<'_>, recorded: Flag) -> Finding {
    let subject = item.subject();
    let label = subject.label();
    let manager = key.manager.non_empty().unwrap_or("(absent)");
    let state = key.state.non_empty().unwrap_or("(absent)");
    let builder = subject
        .finding(&KEY_ROTATION)
        .evidence("configuration.keyManager", manager)
        .evidence("configuration.keyState", state);
    if !manager.eq_ignore_ascii_case("CUSTOMER") {
        return builder.not_applicable(format!(
            "Key {label} is managed by {manager}, not the customer; AWS rotates AWS-managed keys itself."
        ));
    }
    if !state.eq_ignore_ascii_case("Enabled") {
        return builder.not_applicable(format!("Key {label} is not enabled (state {state})."));
    }
    let spec = key.spec.non_empty().or_else(|| key.legacy_spec.non_empty());
    if let Some(spec) = spec.filter(|s| !s.eq_ignore_ascii_case("SYMMETRIC_DEFAULT")) {
        return builder
            .evidence("configuration.keySpec", spec)
            .not_applicable(format!(
                "Key {label} is a {spec} key; KMS rotates only symmetric encryption keys automatically."
            ));
    }
    if let Some(origin) = key
        .origin
        .non_empty()
        .filter(|o| !o.eq_ignore_ascii_case("AWS_KMS"))
    {
        return builder
            .evidence("configuration.origin", origin)
            .not_applicable(format!(
                "Key {label} has key material of origin {origin}, which KMS cannot rotate automatically."
            ));
    }
    let (path, status) = match (recorded.0, key.rotation.0) {
        (Some(s), _) => (ROTATION_PATH, Some(s)),
        (None, Some(s)) => ("configuration.keyRotationEnabled", Some(s)),
        (None, None) => (ROTATION_PATH, None),
    };
    match status {
        Some(true) => builder
            .evidence(path, "true")
            .pass(format!("Customer-managed key {label} rotates automatically.")),
        Some(false) => builder.evidence(path, "false").fail(format!(
            "Customer-managed key {label} does not rotate its key material automatically."
        )),
        None => builder.evidence(path, "(absent)").manual(format!(
            "The configuration item of customer-managed key {label} does not record its rotation status; check it with `aws kms get-key-rotation-status --key-id {}`.",
            item.resource_id.non_empty().unwrap_or(&label)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, item};
    use demarc_sdk::Status;

    fn run(config: &str, supplementary: &str) -> Finding {
        let json = format!(
            r#"{{"resourceType":"AWS::KMS::Key","resourceId":"1234abcd","awsAccountId":"1","awsRegion":"us-east-1",
            "ARN":"arn:aws:kms:us-east-1:1:key/1234abcd","configuration":{config},"supplementaryConfiguration":{supplementary}}}"#
        );
        let i = item(&json);
        evaluate(&i).unwrap().remove(0)
    }

    const CUSTOMER: &str = r#"{"keyId":"1234abcd","keyManager":"CUSTOMER","keyState":"Enabled","keySpec":"SYMMETRIC_DEFAULT","origin":"AWS_KMS"}"#;

    #[test]
    fn rotation_recorded_decides() {
        let on = run(CUSTOMER, r#"{"KeyRotationStatus":true}"#);
        assert_eq!(on.status, Status::Pass);
        assert_eq!(evidence(&on, ROTATION_PATH), Some("true"));
        assert_eq!(
            run(CUSTOMER, r#"{"KeyRotationStatus":"false"}"#).status,
            Status::Fail
        );
        assert_eq!(
            run(CUSTOMER, r#"{"KeyRotationStatus":"true"}"#).status,
            Status::Pass
        );
    }

    #[test]
    fn key_spec_and_its_deprecated_name_may_both_be_recorded() {
        let both = r#"{"keyManager":"CUSTOMER","keyState":"Enabled","keySpec":"SYMMETRIC_DEFAULT","customerMasterKeySpec":"SYMMETRIC_DEFAULT"}"#;
        assert_eq!(
            run(both, r#"{"KeyRotationStatus":false}"#).status,
            Status::Fail
        );
        let legacy = r#"{"keyManager":"CUSTOMER","keyState":"Enabled","customerMasterKeySpec":"ECC_NIST_P256"}"#;
        assert_eq!(run(legacy, "{}").status, Status::NotApplicable);
    }

    #[test]
    fn rotation_not_recorded_is_manual_naming_the_command() {
        let f = run(CUSTOMER, "{}");
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("aws kms get-key-rotation-status"));
        let configured = run(
            r#"{"keyManager":"CUSTOMER","keyState":"Enabled","keyRotationEnabled":true}"#,
            "{}",
        );
        assert_eq!(configured.status, Status::Pass);
    }

    #[test]
    fn aws_managed_disabled_and_asymmetric_keys_are_not_applicable() {
        assert_eq!(
            run(r#"{"keyManager":"AWS","keyState":"Enabled"}"#, "{}").status,
            Status::NotApplicable
        );
        assert_eq!(
            run(
                r#"{"keyManager":"CUSTOMER","keyState":"PendingDeletion"}"#,
                r#"{"KeyRotationStatus":false}"#
            )
            .status,
            Status::NotApplicable
        );
        assert_eq!(
            run(
                r#"{"keyManager":"CUSTOMER","keyState":"Enabled","keySpec":"RSA_2048"}"#,
                "{}"
            )
            .status,
            Status::NotApplicable
        );
        assert_eq!(
            run(
                r#"{"keyManager":"CUSTOMER","keyState":"Enabled","origin":"EXTERNAL"}"#,
                "{}"
            )
            .status,
            Status::NotApplicable
        );
    }

    #[test]
    fn every_spelling_of_a_key_at_once() {
        demarc_sdk::assert_every_spelling!(
            Key<'_>,
            r#"{"keyManager":"CUSTOMER","keyState":"Enabled","keySpec":"SYMMETRIC_DEFAULT","customerMasterKeySpec":"SYMMETRIC_DEFAULT","origin":"AWS_KMS","keyRotationEnabled":false}"#
        );
        demarc_sdk::assert_every_spelling!(Supplementary, r#"{"KeyRotationStatus":"true"}"#);
    }
}
