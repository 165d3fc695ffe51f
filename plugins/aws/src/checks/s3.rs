//! S3 buckets: customer-managed keys, public access, transport security, logging, versioning.
//!
//! Everything these checks decide on lives in the item's `supplementaryConfiguration`:
//! `ServerSideEncryptionConfiguration`, `PublicAccessBlockConfiguration`, `BucketPolicy`
//! (`policyText` is a JSON string, `null` without a policy), `BucketVersioningConfiguration`,
//! `BucketLoggingConfiguration` and `AccessControlList` — a JSON *string* even in delivered
//! snapshots: `{"grantSet":null,"grantList":[{"grantee":{"id":"…","displayName":…},
//! "permission":"FullControl"},{"grantee":"AllUsers","permission":"Read"}],"owner":{…}}`.
//! AWS Config omits an entry when the bucket has no such configuration, so absence means "not
//! configured". Since January 2023 every new bucket is encrypted with SSE-S3: the question is
//! whether the customer manages the key.

use std::borrow::Cow;
use std::fmt;

use demarc_sdk::{Finding, Status};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Evaluated, and_list, governance};
use crate::config_item::{ConfigItem, Subject, TagSet};
use crate::policy::{self, PolicyDocument};
use demarc_sdk::json::{Embedded, Flag, List, Text};

demarc_sdk::include_checks!("s3");

const SSE_PATH: &str = "supplementaryConfiguration.ServerSideEncryptionConfiguration";
const PAB_PATH: &str = "supplementaryConfiguration.PublicAccessBlockConfiguration";
const POLICY_PATH: &str = "supplementaryConfiguration.BucketPolicy.policyText";
const ACL_PATH: &str = "supplementaryConfiguration.AccessControlList";
const VERSIONING_PATH: &str = "supplementaryConfiguration.BucketVersioningConfiguration.status";
const LOGGING_PATH: &str =
    "supplementaryConfiguration.BucketLoggingConfiguration.destinationBucketName";

/// The supplementary entries the checks read; each may be inline or a JSON string.
#[derive(Debug, Default, Deserialize)]
struct Supplementary<'a> {
    #[serde(rename = "ServerSideEncryptionConfiguration", borrow, default)]
    sse: Option<&'a RawValue>,
    #[serde(rename = "PublicAccessBlockConfiguration", borrow, default)]
    public_access_block: Option<&'a RawValue>,
    #[serde(rename = "BucketPolicy", borrow, default)]
    policy: Option<&'a RawValue>,
    #[serde(rename = "AccessControlList", borrow, default)]
    acl: Option<&'a RawValue>,
    #[serde(rename = "BucketVersioningConfiguration", borrow, default)]
    versioning: Option<&'a RawValue>,
    #[serde(rename = "BucketLoggingConfiguration", borrow, default)]
    logging: Option<&'a RawValue>,
    #[serde(rename = "BucketTaggingConfiguration", borrow, default)]
    tagging: Option<&'a RawValue>,
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct SseConfiguration<'a> {
        rules: List<SseRule<'a>> = ["rules", "Rules"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct SseRule<'a> {
        default: Option<SseDefault<'a>> = ["applyServerSideEncryptionByDefault", "ApplyServerSideEncryptionByDefault"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct SseDefault<'a> {
        algorithm: Text<'a> = ["sseAlgorithm", "SSEAlgorithm"],
        key: Text<'a> = ["kmsMasterKeyID", "kmsMasterKeyId", "KMSMasterKeyID"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct PublicAccessBlock {
        block_public_acls: Flag = ["blockPublicAcls", "BlockPublicAcls"],
        ignore_public_acls: Flag = ["ignorePublicAcls", "IgnorePublicAcls"],
        block_public_policy: Flag = ["blockPublicPolicy", "BlockPublicPolicy"],
        restrict_public_buckets: Flag = ["restrictPublicBuckets", "RestrictPublicBuckets"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct BucketPolicy<'a> {
        text: Option<&'a RawValue> = ["policyText", "PolicyText"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Versioning<'a> {
        status: Text<'a> = ["status", "Status"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Logging<'a> {
        destination: Text<'a> = ["destinationBucketName", "DestinationBucketName", "targetBucket", "TargetBucket"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Tagging<'a> {
        sets: List<TagSetEntry<'a>> = ["tagSets", "TagSets"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct TagSetEntry<'a> {
        tags: TagSet<'a> = ["tags", "Tags", "TagSet"],
    }
}

demarc_sdk::spelled_struct! {
    /// The S3 `AccessControlList`: AWS Config's Java-serialised `grantList`, or the S3 API's `Grants`.
    #[derive(Debug)]
    struct AccessControlList<'a> {
        grants: List<Grant<'a>> = ["grantList", "Grants", "grants"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Grant<'a> {
        grantee: Grantee<'a> = ["grantee", "Grantee"],
        permission: Text<'a> = ["permission", "Permission"],
    }
}

/// Every identifying string of a grantee: `"AllUsers"` (Config's group grantee), or the
/// scalar values of an object grantee (`id`, `URI`, `identifier`, …).
#[derive(Debug, Default)]
struct Grantee<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Grantee<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Grantee<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a grantee")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Grantee(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Grantee(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((_, Text(v))) =
                    map.next_entry::<serde::de::IgnoredAny, Text<'de>>()?
                {
                    out.extend(v);
                }
                Ok(Grantee(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Grantee::default())
            }
        }
        d.deserialize_any(V)
    }
}

const PUBLIC_GROUPS: [(&str, &str); 2] = [
    (
        "AllUsers",
        "http://acs.amazonaws.com/groups/global/AllUsers",
    ),
    (
        "AuthenticatedUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    ),
];

impl Grantee<'_> {
    /// The public group this grantee is, if any.
    fn public_group(&self) -> Option<&'static str> {
        self.0.iter().find_map(|id| {
            let id = id.trim();
            PUBLIC_GROUPS.iter().find_map(|(name, uri)| {
                (id.eq_ignore_ascii_case(name)
                    || id.eq_ignore_ascii_case(uri)
                    || id.ends_with(&format!("/groups/global/{name}")))
                .then_some(*name)
            })
        })
    }
}

/// Parse an entry of the supplementary configuration; `Ok(None)` when absent or `null`.
fn entry<'b, T: Deserialize<'b>>(
    raw: Option<&'b RawValue>,
    buf: &'b mut Option<String>,
) -> Result<Option<T>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let text = Embedded(raw).text().map_err(|e| e.to_string())?;
    let text: &'b str = match text {
        None => return Ok(None),
        Some(Cow::Borrowed(s)) => s,
        Some(Cow::Owned(s)) => buf.insert(s).as_str(),
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Evaluate an `AWS::S3::Bucket` item.
pub fn evaluate<'a>(item: &ConfigItem<'a>) -> Evaluated<'a> {
    let mut buf = None;
    let supp: Supplementary<'_> = item.supplementary(&mut buf)?.unwrap_or_default();
    let mut tag_buf = None;
    let fallback_tags = entry::<Tagging<'_>>(supp.tagging, &mut tag_buf)
        .ok()
        .flatten()
        .map(|t| TagSet(t.sets.0.into_iter().flat_map(|s| s.tags.0).collect()))
        .unwrap_or_default();
    let subject = item.subject().with_fallback_tags(fallback_tags);
    if [
        supp.sse,
        supp.public_access_block,
        supp.policy,
        supp.acl,
        supp.versioning,
        supp.logging,
    ]
    .iter()
    .all(Option::is_none)
    {
        // AWS Config records every bucket's policy, ACL, logging and versioning entries (null
        // when unset); with none of them the item says nothing about the bucket's settings.
        let mut findings = super::unrecorded(
            &subject,
            &[
                (&CMK_ENCRYPTION, "aws s3api get-bucket-encryption"),
                (&PUBLIC_ACCESS_BLOCK, "aws s3api get-public-access-block"),
                (
                    &PUBLIC_POLICY,
                    "aws s3api get-bucket-policy and get-bucket-acl",
                ),
                (&ACCESS_LOGGING, "aws s3api get-bucket-logging"),
                (&VERSIONING, "aws s3api get-bucket-versioning"),
                (&SECURE_TRANSPORT, "aws s3api get-bucket-policy"),
            ],
            "supplementaryConfiguration",
        );
        findings.push(governance::owner_tag(&subject));
        return Ok(findings);
    }

    let (mut entry_buf, mut text_buf) = (None, None);
    let policy = read_policy(supp.policy, &mut entry_buf, &mut text_buf);

    Ok(vec![
        cmk_encryption(&subject, supp.sse),
        public_access_block(&subject, supp.public_access_block),
        public_policy(&subject, &policy, supp.acl),
        access_logging(&subject, supp.logging),
        versioning(&subject, supp.versioning),
        secure_transport(&subject, &policy),
        governance::owner_tag(&subject),
    ])
}

/// The bucket policy as read: absent, its document, or why it could not be read.
enum BucketPolicyState<'a> {
    None,
    Document(PolicyDocument<'a>),
    Unreadable(String),
}

fn read_policy<'b>(
    raw: Option<&'b RawValue>,
    entry_buf: &'b mut Option<String>,
    text_buf: &'b mut Option<String>,
) -> BucketPolicyState<'b> {
    let policy = match entry::<BucketPolicy<'b>>(raw, entry_buf) {
        Ok(Some(p)) => p,
        Ok(None) => return BucketPolicyState::None,
        Err(e) => return BucketPolicyState::Unreadable(e),
    };
    let Some(raw_text) = policy.text else {
        return BucketPolicyState::None;
    };
    let text: &'b str = match policy::decode(raw_text) {
        Ok(None) => return BucketPolicyState::None,
        Err(e) => return BucketPolicyState::Unreadable(e.to_string()),
        Ok(Some(Cow::Borrowed(s))) => s,
        Ok(Some(Cow::Owned(s))) => text_buf.insert(s).as_str(),
    };
    match PolicyDocument::parse(text) {
        Ok(doc) => BucketPolicyState::Document(doc),
        Err(e) => BucketPolicyState::Unreadable(e.to_string()),
    }
}

fn cmk_encryption(subject: &Subject<'_, '_>, raw: Option<&RawValue>) -> Finding {
    let label = subject.label();
    let default_note =
        "AWS encrypts new buckets with SSE-S3 by default, but customer-managed keys are off";
    let mut buf = None;
    let config = match entry::<SseConfiguration<'_>>(raw, &mut buf) {
        Ok(c) => c,
        Err(e) => {
            return subject
                .finding(&CMK_ENCRYPTION)
                .evidence(SSE_PATH, &e)
                .status(
                    Status::Error,
                    format!(
                        "Bucket {label}: the default encryption configuration cannot be read ({e})."
                    ),
                );
        }
    };
    let rules: Vec<(usize, &SseDefault<'_>)> = config
        .as_ref()
        .map(|c| {
            c.rules
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.default.as_ref().map(|d| (i, d)))
                .collect()
        })
        .unwrap_or_default();
    if rules.is_empty() {
        return subject
            .finding(&CMK_ENCRYPTION)
            .evidence(SSE_PATH, "(absent)")
            .fail(format!(
                "Bucket {label} records no default encryption rule: {default_note}."
            ));
    }
    let mut builder = subject.finding(&CMK_ENCRYPTION);
    let mut verdict = None;
    for (i, rule) in &rules {
        let path = format!("{SSE_PATH}.rules[{i}].applyServerSideEncryptionByDefault");
        let algorithm = rule.algorithm.get().unwrap_or("").trim();
        let key = rule.key.non_empty();
        builder = builder.evidence(
            format!("{path}.sseAlgorithm"),
            if algorithm.is_empty() {
                "(absent)"
            } else {
                algorithm
            },
        );
        builder = builder.evidence(format!("{path}.kmsMasterKeyID"), key.unwrap_or("(absent)"));
        let kms = algorithm.eq_ignore_ascii_case("aws:kms")
            || algorithm.eq_ignore_ascii_case("aws:kms:dsse");
        let customer_key = key.filter(|k| !k.ends_with("alias/aws/s3"));
        verdict = Some(match (kms, customer_key, key) {
            (true, Some(k), _) => Ok(format!(
                "Bucket {label} is encrypted by default with {algorithm} using the customer-managed key {k}."
            )),
            (true, None, Some(_)) => Err(format!(
                "Bucket {label} uses {algorithm} with the AWS-managed key alias/aws/s3: {default_note}."
            )),
            (true, None, None) => Err(format!(
                "Bucket {label} uses {algorithm} without a key id, i.e. the AWS-managed key aws/s3: {default_note}."
            )),
            (false, _, _) => Err(format!(
                "Bucket {label} uses {} encryption: {default_note}.",
                if algorithm.eq_ignore_ascii_case("AES256") {
                    "SSE-S3 (AES256)"
                } else {
                    algorithm
                }
            )),
        });
        if matches!(verdict, Some(Ok(_))) {
            break;
        }
    }
    match verdict {
        Some(Ok(message)) => builder.pass(message),
        Some(Err(message)) => builder.fail(message),
        None => builder.fail(format!("Bucket {label}: {default_note}.")),
    }
}

fn public_access_block(subject: &Subject<'_, '_>, raw: Option<&RawValue>) -> Finding {
    let label = subject.label();
    let mut buf = None;
    let pab = match entry::<PublicAccessBlock>(raw, &mut buf) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return subject
                .finding(&PUBLIC_ACCESS_BLOCK)
                .evidence(PAB_PATH, "(absent)")
                .fail(format!(
                    "Bucket {label} has no Block Public Access configuration, so an ACL or policy can make it public."
                ));
        }
        Err(e) => {
            return subject.finding(&PUBLIC_ACCESS_BLOCK).evidence(PAB_PATH, &e).status(
                Status::Error,
                format!("Bucket {label}: the Block Public Access configuration cannot be read ({e})."),
            );
        }
    };
    let settings = [
        ("blockPublicAcls", pab.block_public_acls),
        ("ignorePublicAcls", pab.ignore_public_acls),
        ("blockPublicPolicy", pab.block_public_policy),
        ("restrictPublicBuckets", pab.restrict_public_buckets),
    ];
    let mut builder = subject.finding(&PUBLIC_ACCESS_BLOCK);
    for (name, flag) in settings {
        builder = builder.evidence(format!("{PAB_PATH}.{name}"), flag.describe());
    }
    let off: Vec<&str> = settings
        .iter()
        .filter(|(_, flag)| !flag.is_true())
        .map(|(name, _)| *name)
        .collect();
    if off.is_empty() {
        builder.pass(format!("Bucket {label} blocks all public access."))
    } else {
        builder.fail(format!(
            "Bucket {label} does not enable {} of Block Public Access.",
            and_list(&off)
        ))
    }
}

fn public_policy(
    subject: &Subject<'_, '_>,
    policy: &BucketPolicyState<'_>,
    acl_raw: Option<&RawValue>,
) -> Finding {
    let label = subject.label();
    let mut builder = subject.finding(&PUBLIC_POLICY);
    let mut reasons = Vec::new();
    let mut unreadable = Vec::new();
    match policy {
        BucketPolicyState::Document(doc) => {
            let before = reasons.len();
            for (i, s) in doc.statements.0.iter().enumerate() {
                if s.is_allow() && s.principal_is_public() && !s.has_condition() {
                    let principal = s
                        .principal
                        .as_ref()
                        .map(|p| p.describe())
                        .unwrap_or_default();
                    builder = builder.evidence(
                        format!("{POLICY_PATH}.Statement[{i}]"),
                        format!(
                            "Effect=Allow Principal={principal} Action={} (no Condition)",
                            s.action.joined()
                        ),
                    );
                    reasons.push(format!(
                        "its policy allows {} to everyone (statement {i})",
                        s.action.joined()
                    ));
                }
            }
            if reasons.len() == before {
                builder = builder.evidence(
                    POLICY_PATH,
                    format!(
                        "{}, none allows everyone without a condition",
                        super::count(doc.statements.0.len() as u64, "statement", "statements")
                    ),
                );
            }
        }
        BucketPolicyState::None => builder = builder.evidence(POLICY_PATH, "(none)"),
        BucketPolicyState::Unreadable(e) => {
            builder = builder.evidence(POLICY_PATH, e);
            unreadable.push(format!("the bucket policy ({e})"));
        }
    }
    let mut buf = None;
    match entry::<AccessControlList<'_>>(acl_raw, &mut buf) {
        Ok(Some(acl)) => {
            let before = reasons.len();
            for (i, grant) in acl.grants.iter().enumerate() {
                if let Some(group) = grant.grantee.public_group() {
                    let permission = grant.permission.get().unwrap_or("(unspecified)");
                    builder = builder.evidence(
                        format!("{ACL_PATH}.grantList[{i}]"),
                        format!("grantee={group} permission={permission}"),
                    );
                    reasons.push(format!("its ACL grants {permission} to {group}"));
                }
            }
            if reasons.len() == before {
                builder = builder.evidence(
                    ACL_PATH,
                    format!(
                        "{}, none to AllUsers or AuthenticatedUsers",
                        super::count(acl.grants.0.len() as u64, "grant", "grants")
                    ),
                );
            }
        }
        Ok(None) => builder = builder.evidence(ACL_PATH, "(absent)"),
        Err(e) => {
            builder = builder.evidence(ACL_PATH, &e);
            unreadable.push(format!("the access control list ({e})"));
        }
    }
    if !reasons.is_empty() {
        builder.fail(format!("Bucket {label} is public: {}.", and_list(&reasons)))
    } else if !unreadable.is_empty() {
        builder.status(
            Status::Error,
            format!("Bucket {label}: cannot read {}.", and_list(&unreadable)),
        )
    } else {
        builder.pass(format!(
            "Bucket {label} has no policy statement or ACL grant open to everyone."
        ))
    }
}

fn access_logging(subject: &Subject<'_, '_>, raw: Option<&RawValue>) -> Finding {
    let label = subject.label();
    let mut buf = None;
    match entry::<Logging<'_>>(raw, &mut buf) {
        Ok(logging) => match logging.as_ref().and_then(|l| l.destination.non_empty()) {
            Some(dest) => subject
                .finding(&ACCESS_LOGGING)
                .evidence(LOGGING_PATH, dest)
                .pass(format!(
                    "Bucket {label} logs server access to bucket {dest}."
                )),
            None => subject
                .finding(&ACCESS_LOGGING)
                .evidence(LOGGING_PATH, "(absent)")
                .fail(format!("Bucket {label} does not log server access.")),
        },
        Err(e) => subject
            .finding(&ACCESS_LOGGING)
            .evidence(LOGGING_PATH, &e)
            .status(
                Status::Error,
                format!("Bucket {label}: the logging configuration cannot be read ({e})."),
            ),
    }
}

fn versioning(subject: &Subject<'_, '_>, raw: Option<&RawValue>) -> Finding {
    let label = subject.label();
    let mut buf = None;
    match entry::<Versioning<'_>>(raw, &mut buf) {
        Ok(v) => {
            let status = v.as_ref().and_then(|v| v.status.non_empty());
            let builder = subject
                .finding(&VERSIONING)
                .evidence(VERSIONING_PATH, status.unwrap_or("(absent)"));
            match status {
                Some(s) if s.eq_ignore_ascii_case("Enabled") => {
                    builder.pass(format!("Bucket {label} keeps object versions."))
                }
                Some(s) => builder.fail(format!(
                    "Bucket {label} has versioning {s}: overwritten or deleted objects cannot be recovered."
                )),
                None => builder.fail(format!(
                    "Bucket {label} has never enabled versioning: overwritten or deleted objects cannot be recovered."
                )),
            }
        }
        Err(e) => subject
            .finding(&VERSIONING)
            .evidence(VERSIONING_PATH, &e)
            .status(
                Status::Error,
                format!("Bucket {label}: the versioning configuration cannot be read ({e})."),
            ),
    }
}

fn secure_transport(subject: &Subject<'_, '_>, policy: &BucketPolicyState<'_>) -> Finding {
    let label = subject.label();
    match policy {
        BucketPolicyState::None => subject
            .finding(&SECURE_TRANSPORT)
            .evidence(POLICY_PATH, "(none)")
            .fail(format!(
                "Bucket {label} has no bucket policy, so it accepts requests over plain HTTP."
            )),
        BucketPolicyState::Unreadable(e) => subject
            .finding(&SECURE_TRANSPORT)
            .evidence(POLICY_PATH, e)
            .status(
                Status::Error,
                format!("Bucket {label}: the bucket policy cannot be read ({e})."),
            ),
        BucketPolicyState::Document(doc) => {
            let found = doc.statements.0.iter().enumerate().find_map(|(i, s)| {
                if !s.is_deny() {
                    return None;
                }
                s.conditions().into_iter().find_map(|c| {
                    let op = c.operator.to_ascii_lowercase();
                    ((op == "bool" || op == "boolifexists")
                        && c.key.eq_ignore_ascii_case("aws:SecureTransport")
                        && c.values
                            .iter()
                            .any(|v| v.trim().eq_ignore_ascii_case("false")))
                    .then_some((i, c))
                })
            });
            match found {
                Some((i, c)) => subject
                    .finding(&SECURE_TRANSPORT)
                    .evidence(
                        format!("{POLICY_PATH}.Statement[{i}].Condition.{}.{}", c.operator, c.key),
                        c.values.join(", "),
                    )
                    .pass(format!(
                        "Bucket {label} denies requests that do not use TLS (statement {i})."
                    )),
                None => subject
                    .finding(&SECURE_TRANSPORT)
                    .evidence(POLICY_PATH, "no Deny statement with Bool aws:SecureTransport false")
                    .fail(format!(
                        "Bucket {label}'s policy does not deny requests where aws:SecureTransport is false, so it accepts plain HTTP."
                    )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, item, only, status};

    fn bucket(supplementary: &str) -> String {
        format!(
            r#"{{"configurationItemStatus":"OK","awsAccountId":"111122223333","awsRegion":"eu-west-1",
            "resourceType":"AWS::S3::Bucket","resourceId":"b1","resourceName":"b1","ARN":"arn:aws:s3:::b1",
            "configurationItemCaptureTime":"2025-06-01T00:00:00.000Z","tags":{{"owner":"data-team"}},
            "configuration":{{"name":"b1"}},"supplementaryConfiguration":{supplementary}}}"#
        )
    }

    fn run(supplementary: &str) -> Vec<Finding> {
        let json = bucket(supplementary);
        let i = item(&json);
        evaluate(&i).unwrap()
    }

    const GOOD: &str = r#"{
        "ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms","kmsMasterKeyID":"arn:aws:kms:eu-west-1:111122223333:key/1234"},"bucketKeyEnabled":true}]},
        "PublicAccessBlockConfiguration":{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":true,"restrictPublicBuckets":true},
        "BucketPolicy":{"policyText":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"tls\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::b1\",\"arn:aws:s3:::b1/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"},
        "BucketVersioningConfiguration":{"status":"Enabled","isMfaDeleteEnabled":null},
        "BucketLoggingConfiguration":{"destinationBucketName":"logs","logFilePrefix":"b1/"},
        "AccessControlList":"{\"grantSet\":null,\"grantList\":[{\"grantee\":{\"id\":\"abc\",\"displayName\":null},\"permission\":\"FullControl\"}],\"owner\":{\"displayName\":null,\"id\":\"abc\"},\"isRequesterCharged\":false}"
    }"#;

    #[test]
    fn a_well_configured_bucket_passes_every_check() {
        let findings = run(GOOD);
        assert_eq!(findings.len(), 7);
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{}: {}", f.check_id, f.message);
            assert_eq!(f.account, "111122223333");
            assert_eq!(f.region, "eu-west-1");
            assert_eq!(f.resource.id, "arn:aws:s3:::b1");
            assert_eq!(f.observed_at.as_deref(), Some("2025-06-01T00:00:00.000Z"));
        }
    }

    #[test]
    fn a_bucket_without_supplementary_configuration_is_manual() {
        for supplementary in ["{}", "null"] {
            let findings = run(supplementary);
            for check in [
                &CMK_ENCRYPTION,
                &PUBLIC_ACCESS_BLOCK,
                &PUBLIC_POLICY,
                &ACCESS_LOGGING,
                &VERSIONING,
                &SECURE_TRANSPORT,
            ] {
                let f = only(&findings, check.id);
                assert_eq!(f.status, Status::Manual, "{}", check.id);
                assert!(f.message.contains("aws s3api get-"), "{}", f.message);
            }
        }
    }

    /// The supplementary configuration AWS Config records for a bucket with nothing configured.
    const UNCONFIGURED: &str = r#"{
        "AccessControlList":"{\"grantSet\":null,\"grantList\":[{\"grantee\":{\"id\":\"abc\",\"displayName\":null},\"permission\":\"FullControl\"}],\"owner\":{\"displayName\":null,\"id\":\"abc\"},\"isRequesterCharged\":false}",
        "BucketAccelerateConfiguration":{"status":null},
        "BucketLoggingConfiguration":{"destinationBucketName":null,"logFilePrefix":null},
        "BucketNotificationConfiguration":{"configurations":{}},
        "BucketPolicy":{"policyText":null},
        "BucketVersioningConfiguration":{"status":"Off","isMfaDeleteEnabled":null},
        "IsRequesterPaysEnabled":false
    }"#;

    #[test]
    fn an_unconfigured_bucket_fails_and_says_sse_s3_is_default() {
        let findings = run(UNCONFIGURED);
        for id in [
            CMK_ENCRYPTION.id,
            PUBLIC_ACCESS_BLOCK.id,
            ACCESS_LOGGING.id,
            VERSIONING.id,
            SECURE_TRANSPORT.id,
        ] {
            assert_eq!(status(&findings, id), Status::Fail, "{id}");
        }
        assert_eq!(status(&findings, PUBLIC_POLICY.id), Status::Pass);
        let cmk = only(&findings, CMK_ENCRYPTION.id);
        assert!(cmk.message.contains("SSE-S3 by default"), "{}", cmk.message);
        assert!(cmk.message.contains("customer-managed keys are off"));
    }

    #[test]
    fn sse_s3_and_the_aws_managed_key_fail_cmk() {
        for sse in [
            r#"{"ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"AES256","kmsMasterKeyID":null}}]}}"#,
            r#"{"ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms","kmsMasterKeyID":"alias/aws/s3"}}]}}"#,
            r#"{"ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms","kmsMasterKeyID":"arn:aws:kms:eu-west-1:111122223333:alias/aws/s3"}}]}}"#,
            r#"{"ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms"}}]}}"#,
        ] {
            let findings = run(sse);
            let f = only(&findings, CMK_ENCRYPTION.id);
            assert_eq!(f.status, Status::Fail, "{sse}");
            assert!(f.message.contains("SSE-S3 by default"));
        }
        let dsse = run(
            r#"{"ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms:dsse","kmsMasterKeyID":"arn:aws:kms:eu-west-1:1:key/k"}}]}}"#,
        );
        assert_eq!(status(&dsse, CMK_ENCRYPTION.id), Status::Pass);
    }

    #[test]
    fn public_access_block_with_string_booleans_and_a_false() {
        let strings = run(
            r#"{"PublicAccessBlockConfiguration":{"blockPublicAcls":"true","ignorePublicAcls":"TRUE","blockPublicPolicy":"true","restrictPublicBuckets":"true"}}"#,
        );
        assert_eq!(status(&strings, PUBLIC_ACCESS_BLOCK.id), Status::Pass);
        let one_off = run(
            r#"{"PublicAccessBlockConfiguration":{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":false,"restrictPublicBuckets":true}}"#,
        );
        let f = only(&one_off, PUBLIC_ACCESS_BLOCK.id);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("blockPublicPolicy"));
        assert_eq!(
            evidence(
                f,
                "supplementaryConfiguration.PublicAccessBlockConfiguration.blockPublicPolicy"
            ),
            Some("false")
        );
    }

    #[test]
    fn a_public_policy_fails_and_a_conditioned_one_passes() {
        let public = run(
            r#"{"BucketPolicy":{"policyText":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b1/*\"}]}"}}"#,
        );
        let f = only(&public, PUBLIC_POLICY.id);
        assert_eq!(f.status, Status::Fail);
        assert!(f.evidence[0].key.ends_with("Statement[0]"));
        let conditioned = run(
            r#"{"BucketPolicy":{"policyText":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceVpce\":\"vpce-1\"}}}]}"}}"#,
        );
        assert_eq!(status(&conditioned, PUBLIC_POLICY.id), Status::Pass);
        let null_policy = run(r#"{"BucketPolicy":{"policyText":null}}"#);
        assert_eq!(status(&null_policy, PUBLIC_POLICY.id), Status::Pass);
        assert_eq!(status(&null_policy, SECURE_TRANSPORT.id), Status::Fail);
    }

    #[test]
    fn acl_grants_to_all_users_fail_in_string_and_object_shapes() {
        let string_acl = run(
            r#"{"AccessControlList":"{\"grantSet\":null,\"grantList\":[{\"grantee\":{\"id\":\"abc\",\"displayName\":null},\"permission\":\"FullControl\"},{\"grantee\":\"AllUsers\",\"permission\":\"Read\"}],\"owner\":{\"id\":\"abc\"}}"}"#,
        );
        let f = only(&string_acl, PUBLIC_POLICY.id);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("Read to AllUsers"), "{}", f.message);
        let object_acl = run(
            r#"{"AccessControlList":{"Grants":[{"Grantee":{"Type":"Group","URI":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},"Permission":"WRITE"}]}}"#,
        );
        assert_eq!(status(&object_acl, PUBLIC_POLICY.id), Status::Fail);
    }

    #[test]
    fn unreadable_documents_are_errors_not_passes() {
        let findings = run(r#"{"BucketPolicy":{"policyText":"{not json"}}"#);
        assert_eq!(status(&findings, PUBLIC_POLICY.id), Status::Error);
        assert_eq!(status(&findings, SECURE_TRANSPORT.id), Status::Error);
    }

    #[test]
    fn secure_transport_accepts_boolean_and_case_variants() {
        let findings = run(
            r#"{"BucketPolicy":{"policyText":"{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"AWS:SecureTransport\":false}}}}"}}"#,
        );
        assert_eq!(status(&findings, SECURE_TRANSPORT.id), Status::Pass);
        let allow_only = run(
            r#"{"BucketPolicy":{"policyText":"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::1:root\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}}"}}"#,
        );
        assert_eq!(status(&allow_only, SECURE_TRANSPORT.id), Status::Fail);
    }

    #[test]
    fn versioning_suspended_and_logging_absent_fail() {
        let findings = run(
            r#"{"BucketVersioningConfiguration":{"status":"Suspended"},"BucketLoggingConfiguration":{}}"#,
        );
        assert_eq!(status(&findings, VERSIONING.id), Status::Fail);
        assert_eq!(status(&findings, ACCESS_LOGGING.id), Status::Fail);
        let off = run(r#"{"BucketVersioningConfiguration":{"status":"Off"}}"#);
        assert!(only(&off, VERSIONING.id).message.contains("Off"));
    }

    #[test]
    fn api_form_supplementary_values_are_json_strings() {
        let findings = run(
            r#"{"BucketVersioningConfiguration":"{\"status\":\"Enabled\",\"isMfaDeleteEnabled\":null}","PublicAccessBlockConfiguration":"{\"blockPublicAcls\":true,\"ignorePublicAcls\":true,\"blockPublicPolicy\":true,\"restrictPublicBuckets\":true}","BucketPolicy":"{\"policyText\":null}"}"#,
        );
        assert_eq!(status(&findings, VERSIONING.id), Status::Pass);
        assert_eq!(status(&findings, PUBLIC_ACCESS_BLOCK.id), Status::Pass);
        assert_eq!(status(&findings, PUBLIC_POLICY.id), Status::Pass);
    }

    #[test]
    fn bucket_tagging_is_a_fallback_for_the_owner_tag() {
        let json = r#"{"resourceType":"AWS::S3::Bucket","resourceName":"b","supplementaryConfiguration":{"BucketTaggingConfiguration":{"tagSets":[{"tags":{"Contact":"ops"}}]}}}"#;
        let i = item(json);
        let findings = evaluate(&i).unwrap();
        assert_eq!(status(&findings, governance::OWNER_TAG.id), Status::Pass);
    }

    #[test]
    fn every_spelling_of_the_bucket_configuration_at_once() {
        demarc_sdk::assert_every_spelling!(
            SseDefault<'_>,
            r#"{"sseAlgorithm":"aws:kms","kmsMasterKeyID":"arn:aws:kms:eu-west-1:111122223333:key/k"}"#
        );
        demarc_sdk::assert_every_spelling!(
            SseRule<'_>,
            r#"{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"AES256"}}"#
        );
        demarc_sdk::assert_every_spelling!(SseConfiguration<'_>, r#"{"rules":[]}"#);
        demarc_sdk::assert_every_spelling!(
            PublicAccessBlock,
            r#"{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":false,"restrictPublicBuckets":true}"#
        );
        demarc_sdk::assert_every_spelling!(BucketPolicy<'_>, r#"{"policyText":"{}"}"#);
        demarc_sdk::assert_every_spelling!(Versioning<'_>, r#"{"status":"Enabled"}"#);
        demarc_sdk::assert_every_spelling!(Logging<'_>, r#"{"destinationBucketName":"logs"}"#);
        demarc_sdk::assert_every_spelling!(Tagging<'_>, r#"{"tagSets":[]}"#);
        demarc_sdk::assert_every_spelling!(TagSetEntry<'_>, r#"{"tags":{"owner":"data"}}"#);
        demarc_sdk::assert_every_spelling!(AccessControlList<'_>, r#"{"grantList":[]}"#);
        demarc_sdk::assert_every_spelling!(
            Grant<'_>,
            r#"{"grantee":"AllUsers","permission":"Read"}"#
        );
    }
}
