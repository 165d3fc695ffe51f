//! Key Vault: vaults that can be recovered, keys that rotate, and audit events that are kept.
//!
//! Vault `properties`: `enableSoftDelete`, `enablePurgeProtection` (`null` when off),
//! `softDeleteRetentionInDays`. Key (`Microsoft.KeyVault/vaults/keys`) `properties`:
//! `attributes{enabled, exp}` and, when one is set, `rotationPolicy{lifetimeActions[{trigger
//! {timeAfterCreate | timeBeforeExpiry}, action{type: Rotate | Notify}}], attributes
//! {expiryTime}}`. Resource Graph lists vaults but not their keys; a vault whose keys are not in
//! the export gets a manual key-rotation finding at the end of the scan (see
//! [`vault_without_keys`]).
//!
//! A vault's audit events (every get, sign, decrypt and change of its keys, secrets and
//! certificates: the `AuditEvent` category) leave the vault only through a diagnostic setting
//! whose id is under the vault's id (`{vault}/providers/microsoft.insights/diagnosticSettings/
//! {name}`). Resource Graph does not hold diagnostic settings; `az monitor diagnostic-settings
//! list --resource` does. [`audit_logging`] decides at the end of the scan: when the export holds
//! no diagnostic setting under the vault's id, its finding is manual rather than a fail (the
//! settings of other resources say nothing about this vault).

use demarc_sdk::Finding;
use serde::Deserialize;

use super::monitor::DiagnosticSummary;
use super::{Evaluated, and_list, governance};
use crate::json::{Flag, Int, List, Obj, Text};
use crate::resource::{Resource, Subject};

demarc_sdk::include_checks!("keyvault");

#[derive(Debug, Default, Deserialize)]
struct VaultProperties {
    #[serde(rename = "enableSoftDelete", default)]
    soft_delete: Flag,
    #[serde(rename = "enablePurgeProtection", default)]
    purge_protection: Flag,
    #[serde(rename = "softDeleteRetentionInDays", default)]
    retention_days: Int,
}

#[derive(Debug, Default, Deserialize)]
struct KeyProperties<'a> {
    #[serde(default)]
    attributes: Obj<KeyAttributes>,
    #[serde(rename = "rotationPolicy", borrow, default)]
    rotation: Obj<RotationPolicy<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct KeyAttributes {
    #[serde(default)]
    enabled: Flag,
}

#[derive(Debug, Default, Deserialize)]
struct RotationPolicy<'a> {
    #[serde(rename = "lifetimeActions", borrow, default)]
    actions: List<LifetimeAction<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct LifetimeAction<'a> {
    #[serde(borrow, default)]
    trigger: Obj<Trigger<'a>>,
    #[serde(borrow, default)]
    action: Obj<Action<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Trigger<'a> {
    #[serde(rename = "timeAfterCreate", borrow, default)]
    after_create: Text<'a>,
    #[serde(rename = "timeBeforeExpiry", borrow, default)]
    before_expiry: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Action<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Text<'a>,
}

/// Evaluate a key vault: purge protection and the owner tag now; key rotation at the end of the
/// scan when none of its keys is in the export.
pub fn evaluate_vault<'a>(resource: &Resource<'a>) -> Evaluated<'a> {
    let props: VaultProperties = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    Ok(vec![
        recoverable(&subject, &props),
        governance::owner_tag(&subject),
    ])
}

fn recoverable(subject: &Subject<'_>, props: &VaultProperties) -> Finding {
    let label = subject.label();
    let mut builder = subject
        .finding(&RECOVERABLE)
        .evidence("properties.enableSoftDelete", props.soft_delete.describe())
        .evidence(
            "properties.enablePurgeProtection",
            props.purge_protection.describe(),
        );
    if let Some(days) = props.retention_days.0 {
        builder = builder.evidence("properties.softDeleteRetentionInDays", days);
    }
    if props.soft_delete.is_false() {
        builder.fail(format!(
            "Key vault {label} has soft delete off: a deleted vault, key or secret is gone at once."
        ))
    } else if props.purge_protection.is_true() {
        builder.pass(format!(
            "Key vault {label} has soft delete and purge protection on."
        ))
    } else {
        builder.fail(format!(
            "Key vault {label} has no purge protection: a deleted vault or key can be purged immediately, losing every piece of data encrypted with it."
        ))
    }
}

/// Evaluate a Key Vault key's rotation policy.
pub fn evaluate_key<'a>(resource: &Resource<'a>) -> Evaluated<'a> {
    let props: KeyProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let builder = subject.finding(&KEY_ROTATION);
    if props.attributes.get().is_some_and(|a| a.enabled.is_false()) {
        return Ok(vec![
            builder
                .evidence("properties.attributes.enabled", "false")
                .not_applicable(format!("Key {label} is disabled.")),
        ]);
    }
    let Some(policy) = props.rotation.get() else {
        return Ok(vec![builder.evidence("properties.rotationPolicy", "(absent)").manual(format!(
            "The export does not record a rotation policy for key {label}; `az keyvault key rotation-policy show` (Key Vault data plane) decides whether it rotates."
        ))]);
    };
    let rotate = policy.actions.iter().enumerate().find(|(_, a)| {
        a.action
            .get()
            .is_some_and(|action| action.kind.eq_ignore_case("Rotate"))
    });
    let finding = match rotate {
        Some((i, action)) => {
            let trigger = action.trigger.get();
            let when = trigger.and_then(|t| {
                t.after_create
                    .non_empty()
                    .map(|d| format!("timeAfterCreate {d}"))
                    .or_else(|| {
                        t.before_expiry
                            .non_empty()
                            .map(|d| format!("timeBeforeExpiry {d}"))
                    })
            });
            let at = format!("properties.rotationPolicy.lifetimeActions[{i}]");
            match when {
                Some(when) => builder
                    .evidence(at, format!("Rotate at {when}"))
                    .pass(format!("Key {label} rotates automatically ({when}).")),
                // Key Vault fires a lifetime action only at its trigger: a Rotate action with
                // neither timeAfterCreate nor timeBeforeExpiry never rotates the key.
                None => builder.evidence(at, "Rotate, with no trigger").fail(format!(
                    "Key {label} has a Rotate action with no trigger (neither timeAfterCreate nor timeBeforeExpiry), so it is never rotated."
                )),
            }
        }
        None => {
            let kinds: Vec<&str> = policy
                .actions
                .iter()
                .filter_map(|a| a.action.get().and_then(|x| x.kind.non_empty()))
                .collect();
            builder
                .evidence(
                    "properties.rotationPolicy.lifetimeActions",
                    if kinds.is_empty() {
                        "(none)".to_string()
                    } else {
                        kinds.join(", ")
                    },
                )
                .fail(format!(
                    "Key {label} has a rotation policy with no Rotate action, so it is never rotated."
                ))
        }
    };
    Ok(vec![finding])
}

/// The key-rotation finding of a vault none of whose keys is in the export.
pub fn vault_without_keys(vault: &Subject<'_>) -> Finding {
    vault.finding(&KEY_ROTATION).manual(format!(
        "The keys of key vault {} are not in the export (Resource Graph lists vaults, not keys); `az keyvault key list` and `az keyvault key rotation-policy show`, or ARM Microsoft.KeyVault/vaults/keys objects, decide whether they rotate.",
        vault.label()
    ))
}

/// The audit-logging finding of a vault, from the diagnostic settings under its id. `settings`
/// is `None` when the export holds none under its id: the settings of other resources say
/// nothing about this vault.
pub fn audit_logging(vault: &Subject<'_>, settings: Option<&[DiagnosticSummary]>) -> Finding {
    let label = vault.label();
    let mut builder = vault.finding(&AUDIT_LOGGING);
    let Some(settings) = settings else {
        return builder.evidence("diagnosticSettings", "(not in the export)").manual(format!(
            "The export holds no diagnostic setting of key vault {label} (Resource Graph does not list them); `az monitor diagnostic-settings list --resource {}` decides whether its audit events are kept.",
            vault.id
        ));
    };
    for s in settings {
        builder = builder.evidence(format!("diagnosticSettings/{}", s.name), s.describe());
    }
    if let Some(good) = settings.iter().find(|s| s.exports_audit()) {
        return builder.pass(format!(
            "Key vault {label} sends its audit events through diagnostic setting {} to {}.",
            good.name,
            and_list(&good.destinations)
        ));
    }
    if settings.is_empty() {
        return builder.evidence("diagnosticSettings", "(none)").fail(format!(
            "Key vault {label} has no diagnostic setting: reads of its secrets and uses of its keys are recorded nowhere."
        ));
    }
    let why: Vec<String> = settings
        .iter()
        .map(|s| {
            if s.destinations.is_empty() {
                format!("{} has no destination", s.name)
            } else {
                format!(
                    "{} does not enable AuditEvent (or the audit or allLogs group)",
                    s.name
                )
            }
        })
        .collect();
    builder.fail(format!(
        "Key vault {label} does not export its audit events: {}.",
        why.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, resource, status};
    use demarc_sdk::Status;

    const KEY: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/keys/";

    fn key(name: &str, props: &str) -> String {
        format!(
            r#"{{"id":"{KEY}{name}","name":"{name}","type":"Microsoft.KeyVault/vaults/keys","location":"westeurope","properties":{props}}}"#
        )
    }

    #[test]
    fn vaults_with_purge_protection_pass() {
        let r = resource(
            r#"{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1","name":"kv1","type":"microsoft.keyvault/vaults","tags":{"owner":"sec"},"properties":{"enableSoftDelete":true,"enablePurgeProtection":true,"softDeleteRetentionInDays":90}}"#,
        );
        let f = evaluate_vault(&r).unwrap();
        assert_eq!(status(&f, RECOVERABLE.id), Status::Pass);
        assert_eq!(status(&f, governance::OWNER_TAG.id), Status::Pass);
    }

    #[test]
    fn vaults_without_purge_protection_or_soft_delete_fail() {
        let off = resource(
            r#"{"id":"/subscriptions/s/x/kv2","type":"microsoft.keyvault/vaults","properties":{"enableSoftDelete":true,"enablePurgeProtection":null}}"#,
        );
        let f = evaluate_vault(&off).unwrap();
        assert_eq!(status(&f, RECOVERABLE.id), Status::Fail);
        assert_eq!(
            evidence(&f[0], "properties.enablePurgeProtection"),
            Some("(absent)")
        );
        let no_soft = resource(
            r#"{"id":"/subscriptions/s/x/kv3","type":"microsoft.keyvault/vaults","properties":{"enableSoftDelete":false,"enablePurgeProtection":true}}"#,
        );
        let f = evaluate_vault(&no_soft).unwrap();
        assert_eq!(status(&f, RECOVERABLE.id), Status::Fail);
        assert!(f[0].message.contains("soft delete off"));
    }

    #[test]
    fn key_rotation_from_the_policy() {
        let rotating = key(
            "k1",
            r#"{"kty":"RSA","attributes":{"enabled":true},"rotationPolicy":{"lifetimeActions":[{"trigger":{"timeBeforeExpiry":"P30D"},"action":{"type":"Notify"}},{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"rotate"}}],"attributes":{"expiryTime":"P1Y"}}}"#,
        );
        let r = resource(&rotating);
        let f = evaluate_key(&r).unwrap();
        assert_eq!(status(&f, KEY_ROTATION.id), Status::Pass);
        assert_eq!(
            evidence(&f[0], "properties.rotationPolicy.lifetimeActions[1]"),
            Some("Rotate at timeAfterCreate P90D")
        );

        let notify = key(
            "k2",
            r#"{"rotationPolicy":{"lifetimeActions":[{"trigger":{"timeBeforeExpiry":"P30D"},"action":{"type":"Notify"}}]}}"#,
        );
        let r = resource(&notify);
        let f = evaluate_key(&r).unwrap();
        assert_eq!(status(&f, KEY_ROTATION.id), Status::Fail);
        assert_eq!(
            evidence(&f[0], "properties.rotationPolicy.lifetimeActions"),
            Some("Notify")
        );
    }

    #[test]
    fn a_rotate_action_without_a_trigger_fails() {
        // It used to pass as "rotates automatically ((no trigger))"; a key rotates only when a
        // Rotate action fires, which is what CIS Azure 6.0 8.3.9 asks for.
        for trigger in [
            r#""#,
            r#""trigger":{},"#,
            r#""trigger":{"timeAfterCreate":""},"#,
        ] {
            let json = key(
                "k5",
                &format!(
                    r#"{{"rotationPolicy":{{"lifetimeActions":[{{{trigger}"action":{{"type":"Rotate"}}}}]}}}}"#
                ),
            );
            let r = resource(&json);
            let f = evaluate_key(&r).unwrap();
            assert_eq!(status(&f, KEY_ROTATION.id), Status::Fail, "{json}");
            assert_eq!(
                evidence(&f[0], "properties.rotationPolicy.lifetimeActions[0]"),
                Some("Rotate, with no trigger")
            );
            assert!(f[0].message.contains("never rotated"), "{}", f[0].message);
        }
        let before_expiry = key(
            "k6",
            r#"{"rotationPolicy":{"lifetimeActions":[{"trigger":{"timeBeforeExpiry":"P30D"},"action":{"type":"Rotate"}}]}}"#,
        );
        let r = resource(&before_expiry);
        let f = evaluate_key(&r).unwrap();
        assert_eq!(status(&f, KEY_ROTATION.id), Status::Pass);
        assert_eq!(
            evidence(&f[0], "properties.rotationPolicy.lifetimeActions[0]"),
            Some("Rotate at timeBeforeExpiry P30D")
        );
    }

    #[test]
    fn keys_without_policy_are_manual_and_disabled_keys_not_applicable() {
        let r_manual = key("k3", r#"{"kty":"RSA","attributes":{"enabled":true}}"#);
        let r = resource(&r_manual);
        let f = evaluate_key(&r).unwrap();
        assert_eq!(status(&f, KEY_ROTATION.id), Status::Manual);
        assert!(f[0].message.contains("rotation-policy show"));
        let disabled = key("k4", r#"{"attributes":{"enabled":"false"}}"#);
        let r = resource(&disabled);
        assert_eq!(
            status(&evaluate_key(&r).unwrap(), KEY_ROTATION.id),
            Status::NotApplicable
        );
    }

    fn summary(name: &str, categories: &[&str], destinations: &[&str]) -> DiagnosticSummary {
        DiagnosticSummary {
            name: name.into(),
            destinations: destinations.iter().map(|d| d.to_string()).collect(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn audit_logging_from_the_vaults_diagnostic_settings() {
        let r = resource(
            r#"{"id":"/subscriptions/s/x/kv5","name":"kv5","type":"Microsoft.KeyVault/vaults"}"#,
        );
        let vault = r.subject();
        for good in [
            summary("a", &["AuditEvent"], &["storage account st1"]),
            summary("b", &["audit"], &["workspace law"]),
            summary("c", &["allLogs"], &["event hub eh"]),
            summary("d", &["auditevent"], &["workspace law"]),
        ] {
            let f = audit_logging(&vault, Some(&[summary("x", &[], &[]), good.clone()]));
            assert_eq!(f.status, Status::Pass, "{good:?}");
            assert!(f.message.contains(&good.name), "{}", f.message);
        }
        let f = audit_logging(&vault, Some(&[]));
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "diagnosticSettings"), Some("(none)"));
        let f = audit_logging(
            &vault,
            Some(&[
                summary(
                    "policy-only",
                    &["AzurePolicyEvaluationDetails"],
                    &["workspace law"],
                ),
                summary("nowhere", &["AuditEvent"], &[]),
            ]),
        );
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("policy-only does not enable AuditEvent")
                && f.message.contains("nowhere has no destination"),
            "{}",
            f.message
        );
        assert_eq!(
            evidence(&f, "diagnosticSettings/nowhere"),
            Some("AuditEvent -> (no destination)")
        );
        let f = audit_logging(&vault, None);
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("diagnostic-settings list --resource"));
    }

    #[test]
    fn vaults_without_keys_in_the_export_are_manual() {
        let r = resource(
            r#"{"id":"/subscriptions/s/x/kv9","name":"kv9","type":"microsoft.keyvault/vaults"}"#,
        );
        let f = vault_without_keys(&r.subject());
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("az keyvault key list"));
    }
}
