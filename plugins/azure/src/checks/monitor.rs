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

use demarc_sdk::{CheckDef, Finding, Severity};
use serde::Deserialize;

use super::{Evaluated, and_list, types};
use crate::json::{Flag, Int, List, Obj, Text, id_key, last_segment};
use crate::resource::{FieldError, Resource, Subject};

/// `azure-activity-log-exported`.
pub static ACTIVITY_LOG_EXPORTED: CheckDef = CheckDef {
    id: "azure-activity-log-exported",
    title: "Each subscription exports its activity log with a diagnostic setting",
    severity: Severity::High,
    rationale: "Azure keeps the activity log — who changed what in the subscription — for 90 days only and nowhere tamper-evident; without a diagnostic setting there is no durable audit trail and no alerting on it.",
    remediation: "Create a subscription diagnostic setting that sends the Administrative, Security, Alert and Policy categories to a Log Analytics workspace (or a storage account with immutability), e.g. with the built-in policy `Configure Azure Activity logs to stream to specified Log Analytics workspace`.",
    controls: &["audit-logging"],
    resource_types: &[types::SUBSCRIPTION],
};

/// `azure-log-retention`.
pub static LOG_RETENTION: CheckDef = CheckDef {
    id: "azure-log-retention",
    title: "Audit logs are kept for at least a year",
    severity: Severity::Medium,
    rationale: "Breaches are found months after they start; logs deleted after 30 or 90 days leave nothing to investigate, and PCI DSS and most audits ask for a year.",
    remediation: "Set the Log Analytics workspace's retention (or the table's total retention) to 365 days or more; for storage destinations, use a lifecycle or immutability policy of at least a year instead of a short diagnostic-setting retention.",
    controls: &["audit-logging"],
    resource_types: &[types::WORKSPACE, types::DIAGNOSTIC_SETTING],
};

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
        None => builder.evidence("diagnosticSettings", "(none)").fail(format!(
            "Subscription {label} has no subscription diagnostic setting in the export: its activity log is kept 90 days by Azure and exported nowhere. (If the export simply left them out, add `az monitor diagnostic-settings subscription list`.)"
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
            short.push(format!("{} ({days} days)", log.name()));
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
    fn no_or_partial_exports_fail() {
        let f = subscription_finding(&sub_subject(), &[]);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "diagnosticSettings"), Some("(none)"));
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
