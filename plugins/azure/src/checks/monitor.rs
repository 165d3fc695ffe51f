//! Logging: the subscription activity log exported by a diagnostic setting, and how long logs
//! are kept.
//!
//! Diagnostic settings (`Microsoft.Insights/diagnosticSettings`, as `az monitor
//! diagnostic-settings subscription list` and `… list --resource` print them) carry
//! `properties{workspaceId, storageAccountId, eventHubAuthorizationRuleId, marketplacePartnerId,
//! logs[{category | categoryGroup, enabled, retentionPolicy{enabled, days}}]}`. A setting whose id
//! is `/subscriptions/{id}/providers/microsoft.insights/diagnosticSettings/{name}` exports that
//! subscription's activity log; Azure itself keeps the activity log for only 90 days. Log
//! Analytics workspaces (`Microsoft.OperationalInsights/workspaces`) keep data for
//! `properties.retentionInDays`.
//!
//! A subscription setting that archives the activity log in a storage account
//! (`storageAccountId`) protects it from tampering only if that account's blobs cannot be
//! changed or deleted — a locked account-level immutability policy — or if it is encrypted with
//! a customer-managed key, which CIS asks for so that reading the archive needs the key owner's
//! consent too. The account is joined by id, ignoring case, at the end of the scan
//! ([`archive_finding`]).

use demarc_sdk::Finding;
use serde::Deserialize;

use super::storage::ArchiveProtection;
use super::{Evaluated, and_list};
use crate::json::{Flag, Int, List, Obj, Text, id_key, last_segment};
use crate::resource::{Resource, Subject};
use demarc_sdk::json::FieldError;

demarc_sdk::include_checks!("monitor");

/// Activity log categories a subscription export must include.
pub const REQUIRED_CATEGORIES: [&str; 4] = ["Administrative", "Security", "Alert", "Policy"];
/// Least retention, in days.
pub const MIN_RETENTION_DAYS: i64 = 365;

#[derive(Debug, Default, Deserialize)]
struct DiagnosticProperties<'a> {
    #[serde(rename = "workspaceId", borrow, default)]
    workspace: Text<'a>,
    #[serde(rename = "storageAccountId", borrow, default)]
    storage: Text<'a>,
    #[serde(rename = "eventHubAuthorizationRuleId", borrow, default)]
    event_hub: Text<'a>,
    #[serde(rename = "marketplacePartnerId", borrow, default)]
    partner: Text<'a>,
    #[serde(borrow, default)]
    logs: List<LogSetting<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct LogSetting<'a> {
    #[serde(borrow, default)]
    category: Text<'a>,
    #[serde(rename = "categoryGroup", borrow, default)]
    group: Text<'a>,
    #[serde(default)]
    enabled: Flag,
    #[serde(rename = "retentionPolicy", default)]
    retention: Obj<RetentionPolicy>,
}

#[derive(Debug, Default, Deserialize)]
struct RetentionPolicy {
    #[serde(default)]
    enabled: Flag,
    #[serde(default)]
    days: Int,
}

impl DiagnosticProperties<'_> {
    fn destinations(&self) -> Vec<String> {
        [
            ("workspace", &self.workspace),
            ("storage account", &self.storage),
            ("event hub", &self.event_hub),
            ("partner solution", &self.partner),
        ]
        .iter()
        .filter_map(|(what, t)| {
            t.non_empty()
                .map(|id| format!("{what} {}", last_segment(id)))
        })
        .collect()
    }

    fn enabled(&self) -> impl Iterator<Item = &LogSetting<'_>> {
        self.logs.iter().filter(|l| l.enabled.is_true())
    }
}

impl LogSetting<'_> {
    fn name(&self) -> &str {
        self.category
            .non_empty()
            .or_else(|| self.group.non_empty())
            .unwrap_or("?")
    }
}

/// One diagnostic setting as the logging checks need it: its name, where it sends logs and which
/// categories it enables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosticSummary {
    /// Setting name.
    pub name: String,
    /// Where it sends logs.
    pub destinations: Vec<String>,
    /// Enabled categories (and category groups).
    pub categories: Vec<String>,
}

impl DiagnosticSummary {
    /// The required categories this setting does not export.
    fn missing(&self) -> Vec<&'static str> {
        if self
            .categories
            .iter()
            .any(|c| c.eq_ignore_ascii_case("allLogs") || c.eq_ignore_ascii_case("audit"))
        {
            return Vec::new();
        }
        REQUIRED_CATEGORIES
            .iter()
            .copied()
            .filter(|r| !self.categories.iter().any(|c| c.eq_ignore_ascii_case(r)))
            .collect()
    }

    fn complete(&self) -> bool {
        !self.destinations.is_empty() && self.missing().is_empty()
    }

    /// Whether the setting sends a resource's audit logs somewhere: the `AuditEvent` category,
    /// or the `audit` or `allLogs` category group, to at least one destination.
    pub fn exports_audit(&self) -> bool {
        !self.destinations.is_empty()
            && self.categories.iter().any(|c| {
                ["AuditEvent", "audit", "allLogs"]
                    .iter()
                    .any(|a| c.eq_ignore_ascii_case(a))
            })
    }

    /// The setting as evidence shows it: `categories -> destinations`.
    pub fn describe(&self) -> String {
        format!(
            "{} -> {}",
            if self.categories.is_empty() {
                "(no category enabled)".to_string()
            } else {
                self.categories.join(", ")
            },
            if self.destinations.is_empty() {
                "(no destination)".to_string()
            } else {
                self.destinations.join(", ")
            }
        )
    }
}

/// The resource whose logs a resource-level diagnostic setting exports
/// (`{resource id}/providers/microsoft.insights/diagnosticSettings/{name}`), as a join key, with
/// the setting; `None` for subscription-level settings and ids of any other shape.
pub fn resource_setting<'a>(
    resource: &Resource<'a>,
) -> Result<Option<(String, DiagnosticSummary)>, FieldError<'a>> {
    let key = id_key(resource.id());
    let Some(at) = key.rfind("/providers/microsoft.insights/diagnosticsettings/") else {
        return Ok(None);
    };
    let parent = &key[..at];
    // `/subscriptions/{id}` alone is the subscription's own (activity log) setting.
    if parent.is_empty() || parent.split('/').filter(|p| !p.is_empty()).count() <= 2 {
        return Ok(None);
    }
    let props: DiagnosticProperties<'_> = resource.properties()?.unwrap_or_default();
    Ok(Some((
        parent.to_string(),
        DiagnosticSummary {
            name: resource.label().to_string(),
            destinations: props.destinations(),
            categories: props.enabled().map(|l| l.name().to_string()).collect(),
        },
    )))
}

/// The subscription whose activity log a diagnostic setting exports, when it is a
/// subscription-level setting.
pub fn subscription_setting<'a>(
    resource: &Resource<'a>,
) -> Result<Option<(String, DiagnosticSummary)>, FieldError<'a>> {
    let parts: Vec<&str> = resource.id().split('/').filter(|p| !p.is_empty()).collect();
    let sub = match parts.as_slice() {
        [s, sub, p, ns, kind, _]
            if s.eq_ignore_ascii_case("subscriptions")
                && p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("microsoft.insights")
                && kind.eq_ignore_ascii_case("diagnosticSettings") =>
        {
            sub.to_string()
        }
        _ => return Ok(None),
    };
    let props: DiagnosticProperties<'_> = resource.properties()?.unwrap_or_default();
    Ok(Some((
        sub,
        DiagnosticSummary {
            name: resource.label().to_string(),
            destinations: props.destinations(),
            categories: props.enabled().map(|l| l.name().to_string()).collect(),
        },
    )))
}

/// The activity-log finding of a subscription, from its diagnostic settings in the export.
pub fn subscription_finding(subscription: &Subject<'_>, settings: &[DiagnosticSummary]) -> Finding {
    let label = subscription.label();
    let mut builder = subscription.finding(&ACTIVITY_LOG_EXPORTED);
    for s in settings {
        builder = builder.evidence(format!("diagnosticSettings/{}", s.name), s.describe());
    }
    if let Some(good) = settings.iter().find(|s| s.complete()) {
        return builder.pass(format!(
            "Subscription {label} exports its activity log through diagnostic setting {} to {}.",
            good.name,
            and_list(&good.destinations)
        ));
    }
    match settings.first() {
        // Resource Graph does not hold subscription diagnostic settings: their absence from
        // an export is no evidence that there are none.
        None => builder.evidence("diagnosticSettings", "(none)").manual(format!(
            "The export holds no subscription diagnostic setting of subscription {label}, and Resource Graph does not record them: `az monitor diagnostic-settings subscription list --subscription {}` decides whether its activity log is exported (without one, Azure keeps it 90 days and exports it nowhere).",
            subscription.account
        )),
        Some(_) => {
            let gaps: Vec<String> = settings
                .iter()
                .map(|s| {
                    if s.destinations.is_empty() {
                        format!("{} has no destination", s.name)
                    } else {
                        format!("{} omits {}", s.name, and_list(&s.missing()))
                    }
                })
                .collect();
            builder.fail(format!(
                "Subscription {label} does not export the full activity log: {}.",
                gaps.join("; ")
            ))
        }
    }
}

/// A subscription diagnostic setting that archives the activity log in a storage account, waiting
/// for that account's protection.
#[derive(Debug, Clone)]
pub struct ArchiveRecord {
    /// The diagnostic setting.
    pub subject: Subject<'static>,
    /// `properties.storageAccountId`, as written.
    pub storage: String,
}

/// The integrity finding of a diagnostic setting: decided now (not applicable) unless it is a
/// subscription setting that writes the activity log to a storage account, which waits for that
/// account.
pub fn archive<'a>(
    resource: &Resource<'a>,
) -> Result<Result<Finding, ArchiveRecord>, FieldError<'a>> {
    let props: DiagnosticProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let builder = subject.finding(&LOG_STORAGE_PROTECTED);
    if subscription_setting(resource)?.is_none() {
        return Ok(Ok(builder.not_applicable(format!(
            "Diagnostic setting {label} exports a resource's logs, not a subscription's activity log."
        ))));
    }
    match props.storage.non_empty() {
        Some(storage) => Ok(Err(ArchiveRecord {
            subject: subject.clone().into_owned(),
            storage: storage.to_string(),
        })),
        None => Ok(Ok(builder
            .evidence("properties.storageAccountId", "(absent)")
            .not_applicable(format!(
                "Diagnostic setting {label} archives the activity log in no storage account."
            )))),
    }
}

/// The integrity finding of an activity-log archive, given what protects its storage account
/// (`None` when the account is not in the export).
pub fn archive_finding(record: &ArchiveRecord, account: Option<&ArchiveProtection>) -> Finding {
    let label = record.subject.label();
    let name = last_segment(&record.storage);
    let builder = record
        .subject
        .finding(&LOG_STORAGE_PROTECTED)
        .evidence("properties.storageAccountId", &record.storage);
    let Some(account) = account else {
        return builder.manual(format!(
            "Diagnostic setting {label} archives the activity log in storage account {name}, which is not in the export; `az storage account show` on it (immutableStorageWithVersioning, encryption.keySource) decides whether the archive is protected."
        ));
    };
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_string());
    let builder = builder
        .evidence(
            "storageAccount.immutableStorageWithVersioning.enabled",
            match account.immutable {
                Some(true) => "true",
                Some(false) => "false",
                None => "(absent)",
            },
        )
        .evidence(
            "storageAccount.immutableStorageWithVersioning.immutabilityPolicy.state",
            shown(&account.policy_state),
        )
        .evidence(
            "storageAccount.encryption.keySource",
            shown(&account.key_source),
        );
    let locked = account.immutable == Some(true)
        && account
            .policy_state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("Locked"));
    let cmk = account
        .key_source
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case("Microsoft.Keyvault"));
    let days = account.policy_days.map_or(String::new(), |d| {
        format!(" of {}", super::count(d, "day", "days"))
    });
    match (locked, cmk) {
        (true, true) => builder.pass(format!(
            "Diagnostic setting {label} archives the activity log in storage account {name}, which has a locked immutability policy{days} and a customer-managed key."
        )),
        (true, false) => builder.pass(format!(
            "Diagnostic setting {label} archives the activity log in storage account {name}, whose locked immutability policy{days} makes the archive write-once."
        )),
        (false, true) => builder.pass(format!(
            "Diagnostic setting {label} archives the activity log in storage account {name}, encrypted with a customer-managed key."
        )),
        (false, false) => {
            let unlocked = account.immutable == Some(true)
                && account
                    .policy_state
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("Unlocked"));
            builder.fail(format!(
                "Diagnostic setting {label} archives the activity log in storage account {name}, which has {} and Microsoft-managed keys: anyone who can write to the account can delete or rewrite the record.",
                if unlocked {
                    "only an unlocked immutability policy (an administrator can remove it)"
                } else {
                    "no locked immutability policy"
                }
            ))
        }
    }
}

/// Evaluate a diagnostic setting's retention (only settings that write to a storage account keep
/// a retention of their own).
pub fn evaluate_setting<'a>(resource: &Resource<'a>) -> Evaluated<'a> {
    let props: DiagnosticProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let builder = subject.finding(&LOG_RETENTION);
    let Some(storage) = props.storage.non_empty() else {
        let to = props.destinations();
        return Ok(vec![
            builder
                .evidence("properties.storageAccountId", "(absent)")
                .not_applicable(format!(
                    "Diagnostic setting {label} writes to {}; retention is decided there (workspaces are checked on their own).",
                    if to.is_empty() { "no destination".to_string() } else { and_list(&to) }
                )),
        ]);
    };
    let mut builder = builder.evidence("properties.storageAccountId", storage);
    let mut short: Vec<String> = Vec::new();
    for (i, log) in props.logs.iter().enumerate() {
        let Some(policy) = log.retention.get() else {
            continue;
        };
        if !log.enabled.is_true() || !policy.enabled.is_true() {
            continue;
        }
        if let Some(days) = policy.days.0.filter(|d| *d > 0 && *d < MIN_RETENTION_DAYS) {
            builder = builder.evidence(format!("properties.logs[{i}].retentionPolicy.days"), days);
            short.push(format!(
                "{} ({})",
                log.name(),
                super::count(days, "day", "days")
            ));
        }
    }
    Ok(vec![if short.is_empty() {
        builder.pass(format!(
            "Diagnostic setting {label} keeps its logs in storage account {} without a retention shorter than a year.",
            last_segment(storage)
        ))
    } else {
        builder.fail(format!(
            "Diagnostic setting {label} deletes logs after less than a year: {}.",
            and_list(&short)
        ))
    }])
}

#[derive(Debug, Default, Deserialize)]
struct WorkspaceProperties {
    #[serde(rename = "retentionInDays", default)]
    retention_days: Int,
}

/// Evaluate a Log Analytics workspace's retention.
pub fn evaluate_workspace<'a>(resource: &Resource<'a>) -> Evaluated<'a> {
    let props: WorkspaceProperties = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let days = props.retention_days.0;
    let builder = subject.finding(&LOG_RETENTION).evidence(
        "properties.retentionInDays",
        days.map_or("(absent)".to_string(), |d| d.to_string()),
    );
    Ok(vec![match days {
        Some(d) if d >= MIN_RETENTION_DAYS => {
            builder.pass(format!("Workspace {label} keeps logs for {d} days."))
        }
        Some(d) => builder.fail(format!(
            "Workspace {label} deletes logs after {d} days, less than a year."
        )),
        None => builder.manual(format!(
            "The export does not record the retention of workspace {label}; `az monitor log-analytics workspace show` (properties.retentionInDays) decides it."
        )),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, resource};
    use demarc_sdk::Status;

    fn sub_subject() -> Subject<'static> {
        let r = resource(
            r#"{"id":"/subscriptions/s1","name":"Contoso Prod","type":"microsoft.resources/subscriptions"}"#,
        );
        r.subject().into_owned()
    }

    const SUB_SETTING: &str = r#"{"id":"/subscriptions/s1/providers/microsoft.insights/diagnosticSettings/to-law","name":"to-law","type":"Microsoft.Insights/diagnosticSettings",
        "properties":{"workspaceId":"/subscriptions/s1/resourceGroups/mon/providers/Microsoft.OperationalInsights/workspaces/law1",
        "logs":[{"category":"Administrative","enabled":true},{"category":"Security","enabled":true},{"category":"ServiceHealth","enabled":false},
        {"category":"Alert","enabled":true},{"category":"Recommendation","enabled":false},{"category":"Policy","enabled":true}]}}"#;

    #[test]
    fn a_complete_subscription_export_passes() {
        let r = resource(SUB_SETTING);
        let (sub, setting) = subscription_setting(&r).unwrap().unwrap();
        assert_eq!(sub, "s1");
        assert_eq!(setting.destinations, vec!["workspace law1"]);
        let f = subscription_finding(&sub_subject(), &[setting]);
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.resource.id, "/subscriptions/s1");
        let f = evaluate_setting(&r).unwrap();
        assert_eq!(f[0].status, Status::NotApplicable);
    }

    #[test]
    fn no_setting_is_manual_and_partial_exports_fail() {
        let f = subscription_finding(&sub_subject(), &[]);
        assert_eq!(
            f.status,
            Status::Manual,
            "absent from the export is no evidence"
        );
        assert_eq!(evidence(&f, "diagnosticSettings"), Some("(none)"));
        assert!(
            f.message
                .contains("az monitor diagnostic-settings subscription list"),
            "{}",
            f.message
        );
        let partial = DiagnosticSummary {
            name: "admin-only".into(),
            destinations: vec!["storage account st1".into()],
            categories: vec!["Administrative".into()],
        };
        let f = subscription_finding(&sub_subject(), &[partial]);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("Security, Alert and Policy"),
            "{}",
            f.message
        );
        let all = DiagnosticSummary {
            name: "all".into(),
            destinations: vec![],
            categories: vec!["allLogs".into()],
        };
        assert_eq!(
            subscription_finding(&sub_subject(), &[all]).status,
            Status::Fail
        );
    }

    #[test]
    fn resource_settings_are_not_subscription_settings() {
        let r = resource(
            r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/microsoft.insights/diagnosticSettings/kv-logs","type":"microsoft.insights/diagnosticsettings",
            "properties":{"storageAccountId":"/subscriptions/s1/x/storageAccounts/logs","logs":[{"categoryGroup":"audit","enabled":true,"retentionPolicy":{"enabled":true,"days":30}}]}}"#,
        );
        assert!(subscription_setting(&r).unwrap().is_none());
        let f = evaluate_setting(&r).unwrap();
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(
            evidence(&f[0], "properties.logs[0].retentionPolicy.days"),
            Some("30")
        );
        let forever = resource(
            r#"{"id":"/subscriptions/s1/x/providers/microsoft.insights/diagnosticSettings/y","type":"microsoft.insights/diagnosticsettings",
            "properties":{"storageAccountId":"/subscriptions/s1/x/storageAccounts/logs","logs":[{"category":"AuditEvent","enabled":true,"retentionPolicy":{"enabled":true,"days":0}}]}}"#,
        );
        assert_eq!(evaluate_setting(&forever).unwrap()[0].status, Status::Pass);
    }

    #[test]
    fn resource_settings_name_their_resource() {
        let r = resource(
            r#"{"id":"/subscriptions/S1/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV/providers/Microsoft.Insights/diagnosticSettings/to-law","type":"microsoft.insights/diagnosticsettings",
            "properties":{"workspaceId":"/subscriptions/s1/x/workspaces/law","logs":[{"category":null,"categoryGroup":"audit","enabled":"true"},{"category":"AzurePolicyEvaluationDetails","enabled":false}]}}"#,
        );
        let (parent, setting) = resource_setting(&r).unwrap().unwrap();
        assert_eq!(
            parent,
            "/subscriptions/s1/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv"
        );
        assert_eq!(setting.categories, vec!["audit"]);
        assert!(setting.exports_audit());
        let sub = resource(SUB_SETTING);
        assert!(resource_setting(&sub).unwrap().is_none());
        let no_destination = DiagnosticSummary {
            name: "x".into(),
            destinations: vec![],
            categories: vec!["AuditEvent".into()],
        };
        assert!(!no_destination.exports_audit());
        let other = DiagnosticSummary {
            name: "x".into(),
            destinations: vec!["workspace law".into()],
            categories: vec!["AzurePolicyEvaluationDetails".into()],
        };
        assert!(!other.exports_audit());
    }

    fn archive_record(storage: &str) -> ArchiveRecord {
        let json = format!(
            r#"{{"id":"/subscriptions/s1/providers/microsoft.insights/diagnosticSettings/archive","name":"archive","type":"microsoft.insights/diagnosticsettings","properties":{{"storageAccountId":"{storage}","logs":[{{"category":"Administrative","enabled":true}}]}}}}"#
        );
        let r = resource(&json);
        let record = archive(&r).unwrap().unwrap_err();
        assert_eq!(record.storage, storage);
        ArchiveRecord {
            subject: record.subject.clone(),
            storage: record.storage,
        }
    }

    fn protection(immutable: Option<bool>, state: Option<&str>, key: &str) -> ArchiveProtection {
        ArchiveProtection {
            immutable,
            policy_state: state.map(str::to_string),
            policy_days: Some(365),
            key_source: Some(key.to_string()),
        }
    }

    #[test]
    fn activity_log_archives_must_be_locked_or_customer_keyed() {
        let record = archive_record(
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/audit",
        );
        let locked = protection(Some(true), Some("Locked"), "Microsoft.Storage");
        let f = archive_finding(&record, Some(&locked));
        assert_eq!(f.status, Status::Pass);
        assert!(
            f.message.contains("locked immutability policy of 365 days"),
            "{}",
            f.message
        );
        let cmk = protection(None, None, "Microsoft.Keyvault");
        assert_eq!(archive_finding(&record, Some(&cmk)).status, Status::Pass);
        let lower = protection(Some(true), Some("locked"), "microsoft.keyvault");
        assert_eq!(archive_finding(&record, Some(&lower)).status, Status::Pass);
        let unlocked = protection(Some(true), Some("Unlocked"), "Microsoft.Storage");
        let f = archive_finding(&record, Some(&unlocked));
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("unlocked immutability policy"),
            "{}",
            f.message
        );
        let off = protection(Some(false), Some("Locked"), "Microsoft.Storage");
        assert_eq!(archive_finding(&record, Some(&off)).status, Status::Fail);
        let bare = ArchiveProtection::default();
        let f = archive_finding(&record, Some(&bare));
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            evidence(&f, "storageAccount.encryption.keySource"),
            Some("(absent)")
        );
        let f = archive_finding(&record, None);
        assert_eq!(f.status, Status::Manual);
        assert!(
            f.message
                .contains("storage account audit, which is not in the export")
        );
    }

    #[test]
    fn settings_that_archive_no_activity_log_are_not_applicable() {
        let to_law = resource(SUB_SETTING);
        assert_eq!(
            archive(&to_law).unwrap().unwrap().status,
            Status::NotApplicable
        );
        let vault = resource(
            r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/microsoft.insights/diagnosticSettings/kv-logs","type":"microsoft.insights/diagnosticsettings",
            "properties":{"storageAccountId":"/subscriptions/s1/x/storageAccounts/logs","logs":[{"categoryGroup":"audit","enabled":true}]}}"#,
        );
        let f = archive(&vault).unwrap().unwrap();
        assert_eq!(f.status, Status::NotApplicable);
        assert!(f.message.contains("not a subscription's activity log"));
    }

    #[test]
    fn workspaces() {
        let ws = |days: &str| {
            format!(
                r#"{{"id":"/subscriptions/s1/x/workspaces/law","type":"microsoft.operationalinsights/workspaces","properties":{{"sku":{{"name":"PerGB2018"}},"retentionInDays":{days}}}}}"#
            )
        };
        let long = ws("730");
        assert_eq!(
            evaluate_workspace(&resource(&long)).unwrap()[0].status,
            Status::Pass
        );
        let short = ws("30");
        assert_eq!(
            evaluate_workspace(&resource(&short)).unwrap()[0].status,
            Status::Fail
        );
        let none = ws("null");
        assert_eq!(
            evaluate_workspace(&resource(&none)).unwrap()[0].status,
            Status::Manual
        );
    }
}
