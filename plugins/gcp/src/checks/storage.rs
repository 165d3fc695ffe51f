//! Cloud Storage buckets: customer-managed keys, public access, uniform access, usage logs,
//! object versioning and retention.
//!
//! The resource data is the JSON API's bucket (`iamConfiguration`, `encryption`, `versioning`,
//! `logging`, `retentionPolicy`, `softDeletePolicy`, `labels`, and `acl` / `defaultObjectAcl`
//! when fine-grained access is on). Whether a bucket is public depends on its IAM policy, which
//! an export records on a separate line (often in a separate file): [`evaluate`] returns the
//! part of the data the join needs ([`BucketAccess`]) and [`public_access`] decides once both
//! lines have been read, or at the end of the scan with whatever is known.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::logging::BucketRetention;
use super::{IAM_EXPORT, RESOURCE_EXPORT, governance};
use crate::asset::{Asset, Kind, Subject};
use crate::iam::{Policy, Principal};
use crate::json::{FieldError, Flag, Int, Labels, List, Text, parse_part};
use crate::time::DAY;

demarc_sdk::include_checks!("storage");

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketData<'a> {
    #[serde(borrow, default)]
    iam_configuration: IamConfiguration<'a>,
    #[serde(borrow, default)]
    encryption: Option<Encryption<'a>>,
    #[serde(default)]
    versioning: Option<Versioning>,
    #[serde(borrow, default)]
    logging: Option<Logging<'a>>,
    #[serde(default)]
    retention_policy: Option<Retention>,
    #[serde(default)]
    soft_delete_policy: Option<SoftDelete>,
    #[serde(borrow, default)]
    labels: Labels<'a>,
    #[serde(borrow, default)]
    acl: List<AclEntry<'a>>,
    #[serde(borrow, default)]
    default_object_acl: List<AclEntry<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IamConfiguration<'a> {
    #[serde(default)]
    uniform_bucket_level_access: Option<Enabled>,
    #[serde(default)]
    bucket_policy_only: Option<Enabled>,
    #[serde(borrow, default)]
    public_access_prevention: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Enabled {
    #[serde(default)]
    enabled: Flag,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Encryption<'a> {
    #[serde(borrow, default)]
    default_kms_key_name: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Versioning {
    #[serde(default)]
    enabled: Flag,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Logging<'a> {
    #[serde(borrow, default)]
    log_bucket: Text<'a>,
    #[serde(borrow, default)]
    log_object_prefix: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Retention {
    #[serde(default)]
    retention_period: Int,
    #[serde(default)]
    is_locked: Flag,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SoftDelete {
    #[serde(default)]
    retention_duration_seconds: Int,
}

#[derive(Debug, Default, Deserialize)]
struct AclEntry<'a> {
    #[serde(borrow, default)]
    entity: Text<'a>,
    #[serde(borrow, default)]
    role: Text<'a>,
}

/// What the public-access decision needs from a bucket's resource data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketAccess {
    /// `iamConfiguration.publicAccessPrevention` (`enforced`, `inherited`, `unspecified`).
    pub prevention: Option<String>,
    /// Uniform bucket-level access (legacy name: bucket policy only).
    pub uniform: Option<bool>,
    /// ACL entries for allUsers / allAuthenticatedUsers, as `acl: allUsers READER`.
    pub public_acl: Vec<String>,
}

impl BucketAccess {
    fn prevention_enforced(&self) -> bool {
        self.prevention
            .as_deref()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("enforced"))
    }
}

/// The findings of a bucket's resource line, its subject, and what the public-access join needs.
pub struct Evaluated<'a> {
    /// Findings decided by the resource data alone.
    pub findings: Vec<Finding>,
    /// The bucket as findings describe it.
    pub subject: Subject<'a>,
    /// Input to [`public_access`].
    pub access: BucketAccess,
    /// Its retention policy, for the log sinks that write to it.
    pub retention: BucketRetention,
}

/// Evaluate the resource line of a bucket.
pub fn evaluate<'a>(asset: &Asset<'a>) -> Result<Evaluated<'a>, FieldError<'a>> {
    let data: BucketData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let subject = asset.subject(Kind::Bucket, data.labels.clone());
    let uniform = data
        .iam_configuration
        .uniform_bucket_level_access
        .as_ref()
        .and_then(|u| u.enabled.0)
        .or_else(|| {
            data.iam_configuration
                .bucket_policy_only
                .as_ref()
                .and_then(|b| b.enabled.0)
        });
    let mut public_acl = Vec::new();
    for (list, entries) in [
        ("acl", &data.acl),
        ("defaultObjectAcl", &data.default_object_acl),
    ] {
        for entry in entries.iter() {
            if let Some(entity) = entry.entity.non_empty()
                && Principal::of(entity).is_public()
            {
                public_acl.push(format!("{list}: {entity} {}", entry.role.shown()));
            }
        }
    }
    let access = BucketAccess {
        prevention: data
            .iam_configuration
            .public_access_prevention
            .non_empty()
            .map(str::to_string),
        uniform,
        public_acl,
    };
    let retention = BucketRetention {
        period: data
            .retention_policy
            .as_ref()
            .and_then(|r| r.retention_period.0),
        locked: data.retention_policy.as_ref().and_then(|r| r.is_locked.0),
    };
    let findings = vec![
        cmek(&subject, &data),
        uniform_access(&subject, uniform),
        access_logging(&subject, &data),
        versioning(&subject, &data),
        governance::owner_label(&subject),
    ];
    Ok(Evaluated {
        findings,
        subject,
        access,
        retention,
    })
}

/// The public members of a bucket's IAM policy, as `role member`.
pub fn public_members(policy: &Policy<'_>) -> Vec<String> {
    crate::iam::grants(policy, |_, who| who.is_public())
        .into_iter()
        .map(|(role, member)| format!("{role} {member}"))
        .collect()
}

fn cmek(subject: &Subject<'_>, data: &BucketData<'_>) -> Finding {
    let label = subject.label();
    match data
        .encryption
        .as_ref()
        .and_then(|e| e.default_kms_key_name.non_empty())
    {
        Some(key) => subject
            .finding(&CMEK)
            .evidence("encryption.defaultKmsKeyName", key)
            .pass(format!(
                "Bucket {label} encrypts new objects with the customer-managed key {key}."
            )),
        None => subject
            .finding(&CMEK)
            .evidence("encryption.defaultKmsKeyName", "(absent)")
            .fail(format!(
                "Bucket {label} has no default Cloud KMS key: Google encrypts its objects at rest with Google-managed keys, but customer-managed keys (control over who can decrypt, revocation, key-use logs) are off."
            )),
    }
}

fn uniform_access(subject: &Subject<'_>, uniform: Option<bool>) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&UNIFORM_ACCESS).evidence(
        "iamConfiguration.uniformBucketLevelAccess.enabled",
        match uniform {
            Some(true) => "true",
            Some(false) => "false",
            None => "(absent)",
        },
    );
    match uniform {
        Some(true) => builder.pass(format!(
            "Bucket {label} uses uniform bucket-level access: IAM is the only gate."
        )),
        _ => builder.fail(format!(
            "Bucket {label} uses fine-grained access: object ACLs can grant access that the bucket's IAM policy does not show."
        )),
    }
}

fn access_logging(subject: &Subject<'_>, data: &BucketData<'_>) -> Finding {
    let label = subject.label();
    let logging = data.logging.as_ref();
    match logging.and_then(|l| l.log_bucket.non_empty()) {
        Some(target) => {
            let prefix = logging.and_then(|l| l.log_object_prefix.non_empty());
            subject
                .finding(&ACCESS_LOGGING)
                .evidence("logging.logBucket", target)
                .evidence("logging.logObjectPrefix", prefix.unwrap_or("(absent)"))
                .pass(format!("Bucket {label} writes usage logs to bucket {target}."))
        }
        None => subject
            .finding(&ACCESS_LOGGING)
            .evidence("logging.logBucket", "(absent)")
            .fail(format!(
                "Bucket {label} records no usage logs: reads of its objects leave no trace unless Data Access audit logs are on for Cloud Storage."
            )),
    }
}

fn versioning(subject: &Subject<'_>, data: &BucketData<'_>) -> Finding {
    let label = subject.label();
    let versioned = data
        .versioning
        .as_ref()
        .map(|v| v.enabled)
        .unwrap_or_default();
    let retention = data
        .retention_policy
        .as_ref()
        .and_then(|r| r.retention_period.0)
        .filter(|s| *s > 0);
    let soft_delete = data
        .soft_delete_policy
        .as_ref()
        .and_then(|s| s.retention_duration_seconds.0);
    let builder = subject
        .finding(&VERSIONING)
        .evidence("versioning.enabled", versioned.describe())
        .evidence(
            "retentionPolicy.retentionPeriod",
            retention.map_or("(absent)".to_string(), |s| s.to_string()),
        )
        .evidence(
            "softDeletePolicy.retentionDurationSeconds",
            soft_delete.map_or("(absent)".to_string(), |s| s.to_string()),
        );
    if versioned.is_true() {
        return builder.pass(format!(
            "Bucket {label} keeps noncurrent versions of overwritten and deleted objects."
        ));
    }
    if let Some(seconds) = retention {
        let locked = data
            .retention_policy
            .as_ref()
            .is_some_and(|r| r.is_locked.is_true());
        return builder.pass(format!(
            "Bucket {label} has a {}retention policy of {}: objects cannot be deleted or overwritten before then.",
            if locked { "locked " } else { "" },
            super::count(seconds / DAY, "day", "days")
        ));
    }
    match soft_delete {
        Some(seconds) if seconds > 0 => builder.pass(format!(
            "Bucket {label} keeps deleted and overwritten objects recoverable for {} (soft delete), though it does not version them.",
            super::count(seconds / DAY, "day", "days")
        )),
        Some(_) => builder.fail(format!(
            "Bucket {label} has versioning off, no retention policy and soft delete turned off: an overwrite or deletion destroys the only copy."
        )),
        None => builder.fail(format!(
            "Bucket {label} has versioning off, no retention policy and records no soft-delete policy: an overwrite or deletion destroys the only copy."
        )),
    }
}

/// Decide whether a bucket is public from its resource data (`access`, `None` when the export
/// has no resource line for it) and its IAM policy's public members (`iam`, `None` when the
/// export has no IAM line for it).
pub fn public_access(
    subject: &Subject<'_>,
    access: Option<&BucketAccess>,
    iam: Option<&[String]>,
) -> Finding {
    let label = subject.label();
    let mut builder = subject.finding(&PUBLIC_ACCESS);
    if let Some(access) = access {
        builder = builder.evidence(
            "iamConfiguration.publicAccessPrevention",
            access.prevention.as_deref().unwrap_or("(absent)"),
        );
    }
    if let Some(members) = iam {
        builder = builder.evidence(
            "iam_policy public members",
            if members.is_empty() {
                "(none)".to_string()
            } else {
                members.join("; ")
            },
        );
    }
    if access.is_some_and(BucketAccess::prevention_enforced) {
        return builder.pass(format!(
            "Bucket {label} enforces public access prevention: no allUsers or allAuthenticatedUsers grant can take effect."
        ));
    }
    let mut exposed: Vec<String> = iam.map(<[String]>::to_vec).unwrap_or_default();
    if let Some(access) = access
        && access.uniform != Some(true)
    {
        exposed.extend(access.public_acl.iter().cloned());
        if !access.public_acl.is_empty() {
            builder = builder.evidence("public ACL entries", access.public_acl.join("; "));
        }
    }
    if !exposed.is_empty() {
        return builder.fail(format!(
            "Bucket {label} is public: {} (and public access prevention is not enforced).",
            super::and_list(&exposed)
        ));
    }
    match (access, iam) {
        (_, Some(_)) => builder.pass(format!(
            "Bucket {label} grants nothing to allUsers or allAuthenticatedUsers."
        )),
        (Some(_), None) => builder.manual(format!(
            "The export has no IAM policy line for bucket {label} and public access prevention is not enforced; decide it from {IAM_EXPORT}."
        )),
        (None, None) => builder.manual(format!(
            "Nothing about bucket {label} is known; decide it from {RESOURCE_EXPORT} and {IAM_EXPORT}."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, evidence, line, only, status};
    use demarc_sdk::Status;

    #[test]
    fn the_retention_policy_is_kept_for_log_sinks_in_any_spelling() {
        let json = line(
            "google.cloud.storage.Bucket",
            "//storage.googleapis.com/audit",
            r#"{"retentionPolicy":{"retentionPeriod":"31536000","effectiveTime":"2023-03-21T10:05:40.000Z","isLocked":"true"}}"#,
        );
        let a = asset(&json);
        let r = evaluate(&a).unwrap().retention;
        assert_eq!(r.period, Some(31_536_000));
        assert_eq!(r.locked, Some(true));
        let json = line(
            "storage.googleapis.com/Bucket",
            "//storage.googleapis.com/audit",
            r#"{"retentionPolicy":{"retentionPeriod":86400}}"#,
        );
        let a = asset(&json);
        let r = evaluate(&a).unwrap().retention;
        assert_eq!((r.period, r.locked), (Some(86_400), None));
        assert_eq!(run("{}").0.len(), 5);
        let json = line(
            "storage.googleapis.com/Bucket",
            "//storage.googleapis.com/x",
            "{}",
        );
        let a = asset(&json);
        assert_eq!(evaluate(&a).unwrap().retention, BucketRetention::default());
    }

    fn run(data: &str) -> (Vec<Finding>, BucketAccess, Subject<'static>) {
        let json = line(
            "storage.googleapis.com/Bucket",
            "//storage.googleapis.com/nw-assets",
            data,
        );
        let a = asset(&json);
        let e = evaluate(&a).unwrap();
        (e.findings, e.access, e.subject.into_owned())
    }

    const HARDENED: &str = r#"{"name":"nw-assets","location":"EU","iamConfiguration":{"uniformBucketLevelAccess":{"enabled":true},"publicAccessPrevention":"enforced"},
        "encryption":{"defaultKmsKeyName":"projects/p/locations/europe/keyRings/r/cryptoKeys/k"},"versioning":{"enabled":true},
        "logging":{"logBucket":"nw-logs","logObjectPrefix":"nw-assets"},"labels":{"owner":"web"}}"#;

    #[test]
    fn a_hardened_bucket_passes_everything() {
        let (findings, access, subject) = run(HARDENED);
        assert_eq!(findings.len(), 5);
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{}: {}", f.check_id, f.message);
        }
        let public = public_access(&subject, Some(&access), Some(&[]));
        assert_eq!(public.status, Status::Pass);
        assert!(public.message.contains("prevention"));
    }

    #[test]
    fn a_neglected_bucket_fails_each_check() {
        let (findings, access, subject) = run(
            r#"{"name":"nw-assets","iamConfiguration":{"uniformBucketLevelAccess":{"enabled":false},"publicAccessPrevention":"inherited"},
            "versioning":{"enabled":false},"softDeletePolicy":{"retentionDurationSeconds":"0"},
            "acl":[{"entity":"allUsers","role":"READER"},{"entity":"project-owners-111","role":"OWNER"}]}"#,
        );
        for check in [
            &CMEK,
            &UNIFORM_ACCESS,
            &ACCESS_LOGGING,
            &VERSIONING,
            &governance::OWNER_LABEL,
        ] {
            assert_eq!(status(&findings, check.id), Status::Fail, "{}", check.id);
        }
        assert!(
            only(&findings, CMEK.id)
                .message
                .contains("Google-managed keys")
        );
        assert!(
            only(&findings, VERSIONING.id)
                .message
                .contains("soft delete turned off")
        );
        assert_eq!(access.public_acl, vec!["acl: allUsers READER"]);
        // The ACL alone makes it public, with or without an IAM line.
        let f = public_access(&subject, Some(&access), None);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            evidence(&f, "public ACL entries"),
            Some("acl: allUsers READER")
        );
    }

    #[test]
    fn public_iam_bindings_fail_unless_prevention_is_enforced() {
        let (_, mut access, subject) =
            run(r#"{"iamConfiguration":{"uniformBucketLevelAccess":{"enabled":true}}}"#);
        let p: Policy<'_> = serde_json::from_str(
            r#"{"bindings":[{"role":"roles/storage.objectViewer","members":["allUsers","projectViewer:p"]},{"role":"roles/storage.legacyBucketReader","members":["allAuthenticatedUsers"]}]}"#,
        )
        .unwrap();
        let members = public_members(&p);
        assert_eq!(members.len(), 2);
        let f = public_access(&subject, Some(&access), Some(&members));
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("roles/storage.objectViewer allUsers"));
        access.prevention = Some("enforced".into());
        assert_eq!(
            public_access(&subject, Some(&access), Some(&members)).status,
            Status::Pass
        );
        // IAM alone (no resource line): decided by the members.
        assert_eq!(
            public_access(&subject, None, Some(&members)).status,
            Status::Fail
        );
        assert_eq!(
            public_access(&subject, None, Some(&[])).status,
            Status::Pass
        );
    }

    #[test]
    fn acls_are_ignored_under_uniform_access_and_missing_iam_is_manual() {
        let (_, access, subject) = run(
            r#"{"iamConfiguration":{"bucketPolicyOnly":{"enabled":true}},"defaultObjectAcl":[{"entity":"allAuthenticatedUsers","role":"READER"}]}"#,
        );
        assert_eq!(access.uniform, Some(true));
        let f = public_access(&subject, Some(&access), None);
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("iam-policy"));
        assert_eq!(public_access(&subject, None, None).status, Status::Manual);
    }

    #[test]
    fn retention_or_soft_delete_count_as_keeping_prior_data() {
        let (f, ..) = run(r#"{"retentionPolicy":{"retentionPeriod":"2592000","isLocked":true}}"#);
        let v = only(&f, VERSIONING.id);
        assert_eq!(v.status, Status::Pass);
        assert!(v.message.contains("locked retention policy of 30 day"));
        let (f, ..) = run(r#"{"softDeletePolicy":{"retentionDurationSeconds":"604800"}}"#);
        assert_eq!(status(&f, VERSIONING.id), Status::Pass);
        let (f, ..) = run(r#"{"versioning":{"enabled":false}}"#);
        assert!(
            only(&f, VERSIONING.id)
                .message
                .contains("records no soft-delete")
        );
    }

    #[test]
    fn damaged_data_is_a_field_error() {
        let json = line(
            "storage.googleapis.com/Bucket",
            "//storage.googleapis.com/x",
            r#"{"acl":"allUsers"}"#,
        );
        let a = asset(&json);
        let err = evaluate(&a).err().unwrap();
        assert_eq!(err.field, "resource.data");
    }
}
