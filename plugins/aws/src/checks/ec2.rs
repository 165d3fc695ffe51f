//! EC2 instances and volumes: instance metadata, forgotten public dev servers, guest patching,
//! volume encryption.
//!
//! Patch compliance is a join. AWS Config records Systems Manager Patch Manager results as
//! `AWS::SSM::PatchCompliance` items whose `resourceId` ends with the managed instance id
//! (`…/i-0abc…`) and whose configuration is the `AWS:ComplianceItem` inventory type:
//! `{"AWS:ComplianceItem": {"ComplianceType": "Patch", "Content": {"Patch": {"ComplianceSummary":
//! {"Status": "COMPLIANT" | "NON_COMPLIANT", …}, "<patch id>": {"Id", "Title", "Severity",
//! "Status", …}}}}}`. [`patch_record`] reads such an item into a [`PatchRecord`];
//! [`evaluate_instance`] hands back a [`RunningInstance`] for each running instance, and
//! [`patch_finding`] decides the check once the scan has seen every item.

use std::borrow::Cow;
use std::fmt;

use demarc_sdk::{Finding, FindingBuilder, Status};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Context, Evaluated, governance};
use crate::config_item::{ConfigItem, Relationship, Subject, TagSet};
use demarc_sdk::json::{FieldError, Flag, List, Text};
use demarc_sdk::time::Timestamp;

demarc_sdk::include_checks!("ec2");

/// Tag keys naming an instance's environment.
const ENVIRONMENT_KEYS: [&str; 3] = ["environment", "env", "stage"];
/// Environments that should not run on the internet for months.
const NON_PRODUCTION: [&str; 8] = [
    "dev",
    "development",
    "test",
    "testing",
    "staging",
    "sandbox",
    "qa",
    "demo",
];
/// Age after which a public non-production instance is stale.
const STALE_DAYS: i64 = 90;

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Volume<'a> {
        encrypted: Flag = ["encrypted", "Encrypted"],
        kms_key_id: Text<'a> = ["kmsKeyId", "KmsKeyId"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Instance<'a> {
        instance_id: Text<'a> = ["instanceId", "InstanceId"],
        state: StateName<'a> = ["state", "State"],
        public_ip: Text<'a> = ["publicIpAddress", "PublicIpAddress"],
        launch_time: Text<'a> = ["launchTime", "LaunchTime"],
        metadata: Option<MetadataOptions<'a>> = ["metadataOptions", "MetadataOptions"],
        tags: TagSet<'a> = ["tags", "Tags", "tagList"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct MetadataOptions<'a> {
        http_tokens: Text<'a> = ["httpTokens", "HttpTokens"],
        /// `enabled` | `disabled`: with the endpoint off there is no metadata service to reach.
        http_endpoint: Text<'a> = ["httpEndpoint", "HttpEndpoint"],
    }
}

/// `state`: `{"code": 16, "name": "running"}`, or the name alone.
#[derive(Debug, Default)]
struct StateName<'a>(Text<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for StateName<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StateName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an instance state")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StateName(Text(Some(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StateName(Text(Some(Cow::Owned(v.to_string())))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut name = Text::default();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    if key.is_some_and(|k| k.eq_ignore_ascii_case("name")) && name.0.is_none() {
                        name = map.next_value()?;
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(StateName(name))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(StateName::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StateName::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StateName::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// Evaluate an `AWS::EC2::Volume` item.
pub fn evaluate_volume<'a>(item: &ConfigItem<'a>) -> Evaluated<'a> {
    let mut buf = None;
    let volume: Volume<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let subject = item.subject();
    let label = subject.label();
    let builder = subject
        .finding(&EBS_ENCRYPTED)
        .evidence("configuration.encrypted", volume.encrypted.describe());
    let finding = match volume.encrypted.0 {
        Some(true) => {
            let key = volume.kms_key_id.non_empty();
            builder
                .evidence("configuration.kmsKeyId", key.unwrap_or("(absent)"))
                .pass(match key {
                    Some(k) => format!("Volume {label} is encrypted with KMS key {k}."),
                    None => format!("Volume {label} is encrypted."),
                })
        }
        Some(false) => builder.fail(format!(
            "Volume {label} is not encrypted, nor are its snapshots."
        )),
        None => builder.manual(format!(
            "The configuration item of volume {label} does not record `encrypted`; check it with `aws ec2 describe-volumes`."
        )),
    };
    Ok(vec![finding])
}

/// A running instance waiting for the patch-compliance join at the end of the scan.
///
/// A scan may hold hundreds of thousands of these until its last input is read, so the resource
/// is kept packed: one string holding every field, and their end offsets.
#[derive(Debug, Clone)]
pub struct RunningInstance {
    text: Box<str>,
    ends: Box<[u32]>,
}

/// Field positions in a [`RunningInstance`]; tags follow as key/value pairs.
const ACCOUNT: usize = 0;
const REGION: usize = 1;
const ID: usize = 2;
const NAME: usize = 3;
const OBSERVED: usize = 4;
const LABEL: usize = 5;
const INSTANCE_ID: usize = 6;
const STATE: usize = 7;
const TAGS: usize = 8;

impl RunningInstance {
    fn new(subject: &Subject<'_, '_>, label: &str, instance_id: &str, state: &str) -> Self {
        let item = subject.item;
        let fields = [
            item.account(),
            item.region(),
            item.id(),
            item.resource_name.non_empty().unwrap_or(""),
            item.capture_time.non_empty().unwrap_or(""),
            label,
            instance_id,
            state,
        ];
        let mut text = String::new();
        let mut ends = Vec::with_capacity(TAGS + 2 * subject.tags.0.len());
        for field in fields
            .into_iter()
            .chain(subject.tags.iter().flat_map(|(k, v)| [k, v]))
        {
            text.push_str(field);
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        RunningInstance {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends[i] as usize;
        self.text.get(start..end).unwrap_or("")
    }

    /// The instance id (`i-…`).
    pub fn instance_id(&self) -> &str {
        self.field(INSTANCE_ID)
    }

    /// A readable label for messages.
    pub fn label(&self) -> &str {
        self.field(LABEL)
    }

    /// The patch-compliance finding about this instance, resource filled in.
    fn finding(&self) -> FindingBuilder {
        let tags = (TAGS..self.ends.len())
            .step_by(2)
            .filter(|i| i + 1 < self.ends.len())
            .map(|i| (self.field(i), self.field(i + 1)));
        FindingBuilder::new(
            &PATCH_COMPLIANCE,
            self.field(ACCOUNT),
            self.field(REGION),
            "AWS::EC2::Instance",
            self.field(ID),
        )
        .name(Some(self.field(NAME)))
        .tags(tags)
        .observed_at(Some(self.field(OBSERVED)).filter(|t| !t.is_empty()))
        .evidence("configuration.state.name", self.field(STATE))
    }
}

/// The findings of one instance, and the instance itself when it awaits the patch join.
#[derive(Debug)]
pub struct InstanceOutcome {
    /// Findings decided from the item alone.
    pub findings: Vec<Finding>,
    /// Set when the instance is running: its patch-compliance finding is decided later.
    pub running: Option<RunningInstance>,
}

/// Evaluate an `AWS::EC2::Instance` item.
pub fn evaluate_instance<'a>(
    item: &ConfigItem<'a>,
    ctx: &Context,
) -> Result<InstanceOutcome, FieldError<'a>> {
    let mut buf = None;
    let instance: Instance<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let subject = item.subject().with_fallback_tags(instance.tags.clone());
    if !super::recorded(item) {
        let describe = "aws ec2 describe-instances";
        let mut findings = super::unrecorded(
            &subject,
            &[
                (&IMDSV2_REQUIRED, describe),
                (&STALE_PUBLIC_INSTANCE, describe),
                (&PATCH_COMPLIANCE, describe),
            ],
            "configuration",
        );
        findings.push(governance::owner_tag(&subject));
        return Ok(InstanceOutcome {
            findings,
            running: None,
        });
    }
    let label = subject.label().into_owned();
    let state = instance.state.0.non_empty().unwrap_or("(absent)");
    let running = state.eq_ignore_ascii_case("running");
    let state_evidence = ("configuration.state.name", state);

    let mut findings = Vec::with_capacity(4);

    // IMDSv2.
    let tokens = instance
        .metadata
        .as_ref()
        .and_then(|m| m.http_tokens.non_empty());
    let imds = subject
        .finding(&IMDSV2_REQUIRED)
        .evidence(state_evidence.0, state_evidence.1)
        .evidence(
            "configuration.metadataOptions.httpTokens",
            tokens.unwrap_or("(absent)"),
        );
    let endpoint_off = instance
        .metadata
        .as_ref()
        .is_some_and(|m| m.http_endpoint.eq_ignore_case("disabled"));
    findings.push(if state.eq_ignore_ascii_case("terminated") {
        imds.not_applicable(format!("Instance {label} is terminated."))
    } else if endpoint_off {
        imds.evidence("configuration.metadataOptions.httpEndpoint", "disabled")
            .pass(format!(
                "Instance {label} has its instance metadata endpoint disabled: neither IMDSv1 nor IMDSv2 answers."
            ))
    } else if tokens.is_some_and(|t| t.eq_ignore_ascii_case("required")) {
        imds.pass(format!("Instance {label} requires IMDSv2 session tokens."))
    } else {
        imds.fail(format!(
            "Instance {label} allows IMDSv1 (httpTokens {}), so a server-side request forgery can read its role credentials.",
            tokens.unwrap_or("not set")
        ))
    });

    // Forgotten public dev server.
    findings.push(stale_public(
        &subject, &instance, &label, state, running, ctx,
    ));

    // Patch compliance: decided at the end of the scan for running instances.
    let running_instance = if running {
        let instance_id = instance
            .instance_id
            .non_empty()
            .or_else(|| item.resource_id.non_empty())
            .unwrap_or("");
        Some(RunningInstance::new(&subject, &label, instance_id, state))
    } else {
        let patch = subject
            .finding(&PATCH_COMPLIANCE)
            .evidence(state_evidence.0, state_evidence.1);
        findings.push(patch.not_applicable(format!(
            "Instance {label} is not running (state {state}); its patch compliance is not assessed."
        )));
        None
    };

    findings.push(governance::owner_tag(&subject));
    Ok(InstanceOutcome {
        findings,
        running: running_instance,
    })
}

fn stale_public(
    subject: &Subject<'_, '_>,
    instance: &Instance<'_>,
    label: &str,
    state: &str,
    running: bool,
    ctx: &Context,
) -> Finding {
    let public_ip = instance.public_ip.non_empty();
    let builder = subject
        .finding(&STALE_PUBLIC_INSTANCE)
        .evidence("configuration.state.name", state)
        .evidence(
            "configuration.publicIpAddress",
            public_ip.unwrap_or("(none)"),
        );
    let Some(ip) = public_ip.filter(|_| running) else {
        return builder.not_applicable(if running {
            format!("Instance {label} has no public IP address.")
        } else {
            format!("Instance {label} is not running (state {state}).")
        });
    };
    let environment = subject.tags.find_any(&ENVIRONMENT_KEYS).filter(|(_, v)| {
        NON_PRODUCTION
            .iter()
            .any(|n| v.trim().eq_ignore_ascii_case(n))
    });
    let Some((env_key, env_value)) = environment else {
        return builder.pass(format!(
            "Instance {label} is public at {ip} but is not tagged as a dev, test or demo environment."
        ));
    };
    let builder = builder.evidence(format!("tags.{env_key}"), env_value);
    let launch = instance.launch_time.non_empty();
    let builder = builder.evidence("configuration.launchTime", launch.unwrap_or("(absent)"));
    match launch.and_then(Timestamp::parse) {
        Some(t) if t.older_than(STALE_DAYS, ctx.now) => builder.fail(format!(
            "Instance {label} ({env_key}={env_value}) has been running on the internet at {ip} since {} ({} days).",
            t.date(),
            t.days_until(ctx.now)
        )),
        Some(t) => builder.pass(format!(
            "Instance {label} ({env_key}={env_value}) is public at {ip} but was launched {} ago, within {STALE_DAYS} days.",
            super::count(t.days_until(ctx.now), "day", "days")
        )),
        None => builder.manual(format!(
            "Instance {label} ({env_key}={env_value}) is public at {ip} but its configuration item records no readable launchTime; check it with `aws ec2 describe-instances`."
        )),
    }
}

/// The patch state of one managed instance, from an `AWS::SSM::PatchCompliance` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchRecord {
    /// `COMPLIANT`, `NON_COMPLIANT`, or whatever else the item says (e.g. `UNSPECIFIED_DATA`);
    /// `None` when the item records no status.
    pub status: Option<String>,
    /// The configuration values that decided it.
    pub evidence: Vec<(String, String)>,
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct PatchComplianceConfiguration<'a> {
        compliance_item: Option<ComplianceItem<'a>> = ["AWS:ComplianceItem"],
        /// Simplified re-exports put the status at the top.
        status: Text<'a> = ["status", "Status", "complianceStatus", "ComplianceStatus"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct ComplianceItem<'a> {
        content: Option<ComplianceContent<'a>> = ["Content", "content"],
        status: Text<'a> = ["Status", "status"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct ComplianceContent<'a> {
        patch: PatchEntries<'a> = ["Patch", "patch"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct PatchEntry<'a> {
        id: Text<'a> = ["Id", "id"],
        status: Text<'a> = ["Status", "status"],
        severity: Text<'a> = ["Severity", "severity"],
        compliance_type: Text<'a> = ["ComplianceType"],
        baseline: Text<'a> = ["PatchBaselineId"],
    }
}

/// `Content.Patch`: an object of `ComplianceSummary` plus patch id → entry, or (in re-exports
/// that flatten it) a list of entries.
#[derive(Debug, Default)]
struct PatchEntries<'a> {
    summary: Option<PatchEntry<'a>>,
    patches: Vec<(Cow<'a, str>, PatchEntry<'a>)>,
}

impl<'de: 'a, 'a> Deserialize<'de> for PatchEntries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PatchEntries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("patch compliance entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = PatchEntries::default();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    let entry: PatchEntry<'de> = map.next_value()?;
                    match key {
                        Some(k) if k.eq_ignore_ascii_case("ComplianceSummary") => {
                            out.summary = Some(entry)
                        }
                        Some(k) => out.patches.push((k, entry)),
                        None => {}
                    }
                }
                Ok(out)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = PatchEntries::default();
                while let Some(entry) = seq.next_element::<PatchEntry<'de>>()? {
                    if entry.id.0.is_none() && entry.compliance_type.0.is_some() {
                        out.summary = Some(entry);
                    } else {
                        let id = entry.id.0.clone().unwrap_or(Cow::Borrowed("(no id)"));
                        out.patches.push((id, entry));
                    }
                }
                Ok(out)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(PatchEntries::default())
            }
        }
        d.deserialize_any(V)
    }
}

const SUMMARY_STATUS: &str =
    "configuration.AWS:ComplianceItem.Content.Patch.ComplianceSummary.Status";

/// Read an `AWS::SSM::PatchCompliance` item: the instance it is about and its patch state.
pub fn patch_record<'a>(item: &ConfigItem<'a>) -> Result<(String, PatchRecord), FieldError<'a>> {
    let mut buf = None;
    let config: PatchComplianceConfiguration<'_> =
        item.configuration(&mut buf)?.unwrap_or_default();
    let mut evidence = vec![(
        "AWS::SSM::PatchCompliance".to_string(),
        item.resource_id.get().unwrap_or(item.id()).to_string(),
    )];
    let mut status = None;
    if let Some(ci) = &config.compliance_item {
        let entries = ci.content.as_ref().map(|c| &c.patch);
        if let Some(summary) = entries.and_then(|e| e.summary.as_ref()) {
            if let Some(s) = summary.status.non_empty() {
                evidence.push((SUMMARY_STATUS.to_string(), s.to_string()));
                status = Some(s.to_string());
            }
            if let Some(baseline) = summary.baseline.non_empty() {
                evidence.push((
                    "configuration.AWS:ComplianceItem.Content.Patch.ComplianceSummary.PatchBaselineId".to_string(),
                    baseline.to_string(),
                ));
            }
        }
        if let Some(entries) = entries {
            let missing: Vec<String> = entries
                .patches
                .iter()
                .filter(|(_, e)| e.status.eq_ignore_case("NON_COMPLIANT"))
                .map(|(id, e)| match e.severity.non_empty() {
                    Some(sev) => format!("{id} ({sev})"),
                    None => id.to_string(),
                })
                .collect();
            if !missing.is_empty() {
                let shown: Vec<&str> = missing.iter().take(10).map(String::as_str).collect();
                let more = missing.len().saturating_sub(shown.len());
                evidence.push((
                    "configuration.AWS:ComplianceItem.Content.Patch (NON_COMPLIANT)".to_string(),
                    if more > 0 {
                        format!("{} and {more} more", shown.join(", "))
                    } else {
                        shown.join(", ")
                    },
                ));
            }
            if status.is_none() && !entries.patches.is_empty() {
                status = Some(
                    if missing.is_empty() {
                        "COMPLIANT"
                    } else {
                        "NON_COMPLIANT"
                    }
                    .to_string(),
                );
            }
        }
        if status.is_none()
            && let Some(s) = ci.status.non_empty()
        {
            evidence.push((
                "configuration.AWS:ComplianceItem.Status".to_string(),
                s.to_string(),
            ));
            status = Some(s.to_string());
        }
    }
    if status.is_none()
        && let Some(s) = config.status.non_empty()
    {
        evidence.push(("configuration.status".to_string(), s.to_string()));
        status = Some(s.to_string());
    }
    Ok((instance_of(item), PatchRecord { status, evidence }))
}

/// The instance a patch-compliance item is about: the last segment of its resource id, else an
/// instance among its relationships.
fn instance_of(item: &ConfigItem<'_>) -> String {
    let last = |s: &str| s.rsplit('/').next().unwrap_or(s).trim().to_string();
    let own = item.resource_id.non_empty().map(last);
    if let Some(id) = own
        .as_deref()
        .filter(|id| id.starts_with("i-") || id.starts_with("mi-"))
    {
        return id.to_string();
    }
    let related = item.relationships.and_then(|raw| {
        serde_json::from_str::<List<Relationship<'_>>>(raw.get())
            .ok()?
            .0
            .into_iter()
            .find(|r| {
                r.resource_type.eq_ignore_case("AWS::EC2::Instance")
                    || r.resource_type
                        .eq_ignore_case("AWS::SSM::ManagedInstanceInventory")
            })
            .and_then(|r| r.resource_id.non_empty().map(last))
    });
    related.or(own).unwrap_or_default()
}

/// Decide the patch-compliance finding of a running instance from its patch record, if any.
pub fn patch_finding(instance: &RunningInstance, record: Option<&PatchRecord>) -> Finding {
    let label = instance.label();
    let mut finding = instance.finding();
    let Some(record) = record else {
        return finding.manual(format!(
            "No Systems Manager Patch Manager compliance data for running instance {label}: record AWS::SSM::PatchCompliance in AWS Config (or export `aws ssm describe-instance-patch-states`) to assess its patch level."
        ));
    };
    for (key, value) in &record.evidence {
        finding = finding.evidence(key.clone(), value);
    }
    match record.status.as_deref().map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("COMPLIANT") => finding.pass(format!(
            "Instance {label} is compliant with its patch baseline."
        )),
        Some(s) if s.eq_ignore_ascii_case("NON_COMPLIANT") => finding.fail(format!(
            "Instance {label} is missing patches required by its patch baseline."
        )),
        Some(other) => finding.manual(format!(
            "Patch Manager reports status {other} for instance {label}; review its patch state in Systems Manager Patch Manager."
        )),
        None => finding.status(
            Status::Manual,
            format!(
                "The AWS::SSM::PatchCompliance item of instance {label} records no compliance status; review it in Systems Manager Patch Manager."
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, evidence, item, only, status};

    fn instance(config: &str, tags: &str) -> String {
        format!(
            r#"{{"configurationItemStatus":"OK","awsAccountId":"111122223333","awsRegion":"eu-west-1",
            "resourceType":"AWS::EC2::Instance","resourceId":"i-0abc","ARN":"arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
            "tags":{tags},"configuration":{config}}}"#
        )
    }

    fn run(config: &str, tags: &str) -> InstanceOutcome {
        let json = instance(config, tags);
        let i = item(&json);
        evaluate_instance(&i, &ctx()).unwrap()
    }

    #[test]
    fn imdsv2_required_passes_optional_and_absent_fail_terminated_is_na() {
        let ok = run(
            r#"{"instanceId":"i-0abc","state":{"code":16,"name":"running"},"metadataOptions":{"httpTokens":"required"}}"#,
            "{}",
        );
        assert_eq!(status(&ok.findings, IMDSV2_REQUIRED.id), Status::Pass);
        let optional = run(
            r#"{"state":{"name":"running"},"metadataOptions":{"httpTokens":"optional"}}"#,
            "{}",
        );
        let f = only(&optional.findings, IMDSV2_REQUIRED.id);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            evidence(f, "configuration.metadataOptions.httpTokens"),
            Some("optional")
        );
        let absent = run(r#"{"state":{"name":"stopped"}}"#, "{}");
        assert_eq!(status(&absent.findings, IMDSV2_REQUIRED.id), Status::Fail);
        // The endpoint off: no metadata service, whatever httpTokens says.
        let off = run(
            r#"{"state":{"name":"running"},"metadataOptions":{"state":"applied","httpTokens":"optional","httpEndpoint":"disabled","httpPutResponseHopLimit":1}}"#,
            "{}",
        );
        let f = only(&off.findings, IMDSV2_REQUIRED.id);
        assert_eq!(f.status, Status::Pass, "{}", f.message);
        assert_eq!(
            evidence(f, "configuration.metadataOptions.httpEndpoint"),
            Some("disabled")
        );
        let gone = run(r#"{"state":{"name":"terminated"}}"#, "{}");
        assert_eq!(
            status(&gone.findings, IMDSV2_REQUIRED.id),
            Status::NotApplicable
        );
    }

    #[test]
    fn old_public_dev_instance_fails_and_recent_or_prod_passes() {
        let stale = run(
            r#"{"state":{"name":"running"},"publicIpAddress":"203.0.113.7","launchTime":"2024-11-01T08:00:00.000Z"}"#,
            r#"{"Environment":"Dev","owner":"alice"}"#,
        );
        let f = only(&stale.findings, STALE_PUBLIC_INSTANCE.id);
        assert_eq!(f.status, Status::Fail, "{}", f.message);
        assert_eq!(evidence(f, "tags.Environment"), Some("Dev"));
        assert!(f.message.contains("since 2024-11-01"));

        let recent = run(
            r#"{"state":{"name":"running"},"publicIpAddress":"203.0.113.7","launchTime":"2025-06-01T08:00:00Z"}"#,
            r#"{"env":"test"}"#,
        );
        assert_eq!(
            status(&recent.findings, STALE_PUBLIC_INSTANCE.id),
            Status::Pass
        );
        let prod = run(
            r#"{"state":{"name":"running"},"publicIpAddress":"203.0.113.7","launchTime":"2020-01-01T00:00:00Z"}"#,
            r#"{"Environment":"prod"}"#,
        );
        assert_eq!(
            status(&prod.findings, STALE_PUBLIC_INSTANCE.id),
            Status::Pass
        );
    }

    #[test]
    fn private_or_stopped_instances_are_not_applicable_for_staleness() {
        let private = run(r#"{"state":{"name":"running"}}"#, r#"{"stage":"dev"}"#);
        assert_eq!(
            status(&private.findings, STALE_PUBLIC_INSTANCE.id),
            Status::NotApplicable
        );
        let stopped = run(
            r#"{"state":{"name":"stopped"},"publicIpAddress":"203.0.113.7"}"#,
            r#"{"stage":"dev"}"#,
        );
        assert_eq!(
            status(&stopped.findings, STALE_PUBLIC_INSTANCE.id),
            Status::NotApplicable
        );
    }

    #[test]
    fn legacy_configuration_tag_lists_count() {
        let legacy = run(
            r#"{"state":{"name":"running"},"publicIpAddress":"203.0.113.7","launchTime":"2023-01-01T00:00:00Z","tags":[{"key":"Stage","value":"sandbox"},{"key":"Owner","value":"bob"}]}"#,
            "{}",
        );
        assert_eq!(
            status(&legacy.findings, STALE_PUBLIC_INSTANCE.id),
            Status::Fail
        );
        assert_eq!(
            status(&legacy.findings, governance::OWNER_TAG.id),
            Status::Pass
        );
    }

    #[test]
    fn a_deferred_patch_finding_describes_the_resource_like_the_others() {
        let json = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","awsRegion":"eu-west-1",
            "resourceType":"AWS::EC2::Instance","resourceId":"i-0abc","resourceName":"web","configurationItemCaptureTime":"2025-06-01T00:00:00Z",
            "ARN":"arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc","tags":{"Name":"web","team":"ops"},
            "configuration":{"instanceId":"i-0abc","state":{"name":"running"}}}"#;
        let i = item(json);
        let outcome = evaluate_instance(&i, &ctx()).unwrap();
        let imds = only(&outcome.findings, IMDSV2_REQUIRED.id);
        let patch = patch_finding(&outcome.running.unwrap(), None);
        assert_eq!(patch.account, imds.account);
        assert_eq!(patch.region, imds.region);
        assert_eq!(
            format!("{:?}", patch.resource),
            format!("{:?}", imds.resource)
        );
        assert_eq!(patch.observed_at, imds.observed_at);
        assert_eq!(
            evidence(&patch, "configuration.state.name"),
            Some("running")
        );
    }

    #[test]
    fn running_instances_wait_for_the_patch_join_others_are_not_applicable() {
        let running = run(
            r#"{"instanceId":"i-0abc","state":{"name":"running"}}"#,
            "{}",
        );
        assert!(
            running
                .findings
                .iter()
                .all(|f| f.check_id != PATCH_COMPLIANCE.id)
        );
        let r = running.running.unwrap();
        assert_eq!(r.instance_id(), "i-0abc");
        let manual = patch_finding(&r, None);
        assert_eq!(manual.status, Status::Manual);
        assert!(manual.message.contains("AWS::SSM::PatchCompliance"));
        assert!(manual.message.contains("Patch Manager"));

        let stopped = run(r#"{"state":{"name":"stopped"}}"#, "{}");
        assert!(stopped.running.is_none());
        assert_eq!(
            status(&stopped.findings, PATCH_COMPLIANCE.id),
            Status::NotApplicable
        );
    }

    const PATCH_ITEM: &str = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","awsRegion":"eu-west-1",
        "resourceType":"AWS::SSM::PatchCompliance","resourceId":"AWS::SSM::ManagedInstanceInventory/i-0abc",
        "configuration":{"AWS:ComplianceItem":{"SchemaVersion":"1.0","ComplianceType":"Patch","Content":{"Patch":{
            "ComplianceSummary":{"ComplianceType":"Patch","PatchBaselineId":"pb-0123","Status":"NON_COMPLIANT","OverallSeverity":"CRITICAL","NonCompliantCriticalCount":1},
            "KB5031361":{"Id":"KB5031361","Title":"2023-10 Cumulative Update","Severity":"Critical","Status":"NON_COMPLIANT","PatchState":"Missing"},
            "KB123":{"Id":"KB123","Status":"COMPLIANT","PatchState":"Installed"}}}}}}"#;

    #[test]
    fn patch_compliance_items_join_to_their_instance() {
        let i = item(PATCH_ITEM);
        let (instance_id, record) = patch_record(&i).unwrap();
        assert_eq!(instance_id, "i-0abc");
        assert_eq!(record.status.as_deref(), Some("NON_COMPLIANT"));
        let running = run(
            r#"{"instanceId":"i-0abc","state":{"name":"running"}}"#,
            "{}",
        )
        .running
        .unwrap();
        let f = patch_finding(&running, Some(&record));
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, SUMMARY_STATUS), Some("NON_COMPLIANT"));
        assert!(
            f.evidence
                .iter()
                .any(|e| e.value.contains("KB5031361 (Critical)"))
        );

        let compliant = PATCH_ITEM.replace(
            "\"Status\":\"NON_COMPLIANT\",\"OverallSeverity\"",
            "\"Status\":\"COMPLIANT\",\"OverallSeverity\"",
        );
        let i = item(&compliant);
        let (_, record) = patch_record(&i).unwrap();
        let running = run(
            r#"{"instanceId":"i-0abc","state":{"name":"running"}}"#,
            "{}",
        )
        .running
        .unwrap();
        assert_eq!(patch_finding(&running, Some(&record)).status, Status::Pass);
    }

    #[test]
    fn patch_status_without_a_summary_or_in_simplified_shapes() {
        let no_summary = r#"{"resourceType":"AWS::SSM::PatchCompliance","resourceId":"i-0def",
            "configuration":{"AWS:ComplianceItem":{"Content":{"Patch":[{"Id":"p1","Status":"COMPLIANT"}]}}}}"#;
        let (id, record) = patch_record(&item(no_summary)).unwrap();
        assert_eq!(id, "i-0def");
        assert_eq!(record.status.as_deref(), Some("COMPLIANT"));
        let simple = r#"{"resourceType":"AWS::SSM::PatchCompliance","resourceId":"pc-1",
            "relationships":[{"resourceType":"AWS::EC2::Instance","resourceId":"i-0fed"}],
            "configuration":{"status":"NON_COMPLIANT"}}"#;
        let (id, record) = patch_record(&item(simple)).unwrap();
        assert_eq!(id, "i-0fed");
        assert_eq!(record.status.as_deref(), Some("NON_COMPLIANT"));
        let running = run(
            r#"{"instanceId":"i-0fed","state":{"name":"running"}}"#,
            "{}",
        )
        .running
        .unwrap();
        let unspecified = PatchRecord {
            status: Some("UNSPECIFIED_DATA".into()),
            evidence: vec![],
        };
        assert_eq!(
            patch_finding(&running, Some(&unspecified)).status,
            Status::Manual
        );
    }

    #[test]
    fn volumes_encrypted_as_bool_or_string() {
        let volume = |config: &str| {
            let json = format!(
                r#"{{"resourceType":"AWS::EC2::Volume","resourceId":"vol-1","configuration":{config}}}"#
            );
            let i = item(&json);
            evaluate_volume(&i).unwrap().remove(0)
        };
        assert_eq!(
            volume(r#"{"encrypted":true,"kmsKeyId":"arn:aws:kms:k"}"#).status,
            Status::Pass
        );
        assert_eq!(volume(r#"{"encrypted":"true"}"#).status, Status::Pass);
        let f = volume(r#"{"encrypted":false}"#);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "configuration.encrypted"), Some("false"));
        assert_eq!(volume("{}").status, Status::Manual);
    }

    #[test]
    fn every_spelling_of_instances_volumes_and_patch_state_at_once() {
        demarc_sdk::assert_every_spelling!(Volume<'_>, r#"{"encrypted":false,"kmsKeyId":"k"}"#);
        demarc_sdk::assert_every_spelling!(
            MetadataOptions<'_>,
            r#"{"httpTokens":"optional","httpEndpoint":"enabled"}"#
        );
        demarc_sdk::assert_every_spelling!(
            Instance<'_>,
            r#"{"instanceId":"i-1","state":{"name":"running"},"publicIpAddress":"3.3.3.3","launchTime":"2026-01-01T00:00:00.000Z","metadataOptions":{"httpTokens":"required"},"tags":[{"key":"k","value":"v"}]}"#
        );
        demarc_sdk::assert_every_spelling!(
            PatchEntry<'_>,
            r#"{"Id":"KB1","Status":"MISSING","Severity":"Critical"}"#
        );
        demarc_sdk::assert_every_spelling!(ComplianceContent<'_>, r#"{"Patch":{}}"#);
        demarc_sdk::assert_every_spelling!(
            ComplianceItem<'_>,
            r#"{"Content":{"Patch":{}},"Status":"NON_COMPLIANT"}"#
        );
        demarc_sdk::assert_every_spelling!(
            PatchComplianceConfiguration<'_>,
            r#"{"status":"NON_COMPLIANT"}"#
        );
    }
}
