//! Cloud Logging sinks: whether the Cloud Storage bucket a sink archives logs in is locked.
//!
//! A sink (`logging.googleapis.com/LogSink`) routes log entries to a `destination`:
//! `storage.googleapis.com/BUCKET` (a Cloud Storage bucket), `bigquery.googleapis.com/…`,
//! `pubsub.googleapis.com/…` or `logging.googleapis.com/…` (a Logging bucket, as the `_Default`
//! and `_Required` sinks do). Only a Cloud Storage destination is judged here: logs archived in
//! a bucket can be deleted or overwritten by anyone with write access to it unless the bucket
//! has a retention policy that is **locked** (Bucket Lock); an unlocked policy can be removed by
//! the same administrators whose actions the logs record.
//!
//! The destination bucket is another asset, joined by bucket name at the end of the scan
//! ([`crate::estate`]): the sink's own line hands back a [`SinkRecord`], every bucket line a
//! [`BucketRetention`], and [`sink_finding`] decides. A bucket that is not in the export (it
//! often lives in a separate logging project) makes the finding manual, naming the bucket.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::RESOURCE_EXPORT;
use crate::asset::{Asset, Kind, Subject};
use crate::json::{FieldError, Flag, Labels, Text, parse_part};
use crate::time::DAY;

demarc_sdk::include_checks!("logging");

/// The destination prefix of a Cloud Storage sink.
const STORAGE_PREFIX: &str = "storage.googleapis.com/";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SinkData<'a> {
    #[serde(borrow, default)]
    destination: Text<'a>,
    #[serde(default)]
    disabled: Flag,
}

/// What a bucket's retention policy says, for the sinks that write to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketRetention {
    /// `retentionPolicy.retentionPeriod`, in seconds (`None` when there is no policy).
    pub period: Option<i64>,
    /// `retentionPolicy.isLocked`.
    pub locked: Option<bool>,
}

/// A sink that writes to a Cloud Storage bucket, waiting for that bucket's retention policy.
#[derive(Debug, Clone)]
pub struct SinkRecord {
    /// The sink.
    pub subject: Subject<'static>,
    /// `destination`, as written.
    pub destination: String,
    /// The destination bucket's name.
    pub bucket: String,
}

/// The service of a sink destination that is not Cloud Storage, in words.
fn destination_kind(destination: &str) -> &'static str {
    let d = destination.trim().to_ascii_lowercase();
    if d.starts_with("bigquery.googleapis.com/") {
        "a BigQuery dataset"
    } else if d.starts_with("pubsub.googleapis.com/") {
        "a Pub/Sub topic"
    } else if d.starts_with("logging.googleapis.com/") {
        "a Cloud Logging bucket or project"
    } else {
        "a destination other than Cloud Storage"
    }
}

/// The bucket name of a Cloud Storage destination (`storage.googleapis.com/BUCKET`), ignoring
/// the case of the prefix.
pub fn storage_bucket(destination: &str) -> Option<&str> {
    let d = destination.trim();
    let head = d.get(..STORAGE_PREFIX.len())?;
    if !head.eq_ignore_ascii_case(STORAGE_PREFIX) {
        return None;
    }
    let bucket = d[STORAGE_PREFIX.len()..].trim_matches('/');
    (!bucket.is_empty() && !bucket.contains('/')).then_some(bucket)
}

/// The join key of a bucket name (bucket names are lowercase; an export may not be).
pub fn bucket_key(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// The integrity finding of a sink: decided now (not applicable, or manual when the sink names
/// no destination) unless it writes to a Cloud Storage bucket, which waits for that bucket.
pub fn sink<'a>(asset: &Asset<'a>) -> Result<Result<Finding, SinkRecord>, FieldError<'a>> {
    let data: SinkData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let subject = asset.subject(Kind::LogSink, Labels::default());
    let label = subject.label();
    let builder = subject.finding(&SINK_BUCKET_LOCKED);
    let Some(destination) = data.destination.non_empty() else {
        return Ok(Ok(builder.evidence("destination", "(absent)").manual(format!(
            "Log sink {label} records no destination; decide it from {RESOURCE_EXPORT} or `gcloud logging sinks describe {label}`."
        ))));
    };
    let builder = builder.evidence("destination", destination);
    if data.disabled.is_true() {
        return Ok(Ok(builder.evidence("disabled", "true").not_applicable(
            format!("Log sink {label} is disabled: it writes nothing to {destination}."),
        )));
    }
    match storage_bucket(destination) {
        Some(bucket) => Ok(Err(SinkRecord {
            bucket: bucket.to_string(),
            destination: destination.to_string(),
            subject: subject.into_owned(),
        })),
        None => Ok(Ok(builder.not_applicable(format!(
            "Log sink {label} writes to {}, not to a Cloud Storage bucket.",
            destination_kind(destination)
        )))),
    }
}

/// The integrity finding of a sink that writes to a bucket, given the bucket's retention policy
/// (`None` when the bucket is not in the export).
pub fn sink_finding(record: &SinkRecord, bucket: Option<&BucketRetention>) -> Finding {
    let label = record.subject.label();
    let name = &record.bucket;
    let builder = record
        .subject
        .finding(&SINK_BUCKET_LOCKED)
        .evidence("destination", &record.destination);
    let Some(bucket) = bucket else {
        return builder.manual(format!(
            "Log sink {label} archives logs in bucket {name}, which is not in the export (it may belong to another project); decide it from the bucket's storage.googleapis.com/Bucket asset in {RESOURCE_EXPORT} of its project, or `gcloud storage buckets describe gs://{name}` (retentionPolicy.isLocked)."
        ));
    };
    let period = bucket.period.filter(|s| *s > 0);
    let builder = builder
        .evidence(
            "bucket.retentionPolicy.retentionPeriod",
            period.map_or("(absent)".to_string(), |s| s.to_string()),
        )
        .evidence(
            "bucket.retentionPolicy.isLocked",
            match bucket.locked {
                Some(true) => "true",
                Some(false) => "false",
                None => "(absent)",
            },
        );
    match (period, bucket.locked) {
        (Some(seconds), Some(true)) => builder.pass(format!(
            "Log sink {label} archives logs in bucket {name}, whose locked retention policy keeps every object for {}.",
            super::count(seconds / DAY, "day", "days")
        )),
        (Some(seconds), _) => builder.fail(format!(
            "Log sink {label} archives logs in bucket {name}, whose retention policy of {} is not locked: an administrator can remove it and then delete the logs.",
            super::count(seconds / DAY, "day", "days")
        )),
        (None, _) => builder.fail(format!(
            "Log sink {label} archives logs in bucket {name}, which has no retention policy: anyone who can write to the bucket can delete or overwrite the logs."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, evidence};
    use demarc_sdk::Status;

    const NAME: &str = "//logging.googleapis.com/projects/111/sinks/audit-archive";

    fn sink_line(asset_type: &str, data: &str) -> String {
        format!(
            r#"{{"name":"{NAME}","asset_type":"{asset_type}","resource":{{"version":"v2","discovery_document_uri":"https://logging.googleapis.com/$discovery/rest","discovery_name":"LogSink","parent":"//cloudresourcemanager.googleapis.com/projects/111","data":{data},"location":"global"}},"ancestors":["projects/111","organizations/9"],"update_time":"2026-10-30T00:00:00Z"}}"#
        )
    }

    fn record(destination: &str) -> SinkRecord {
        let json = sink_line(
            "logging.googleapis.com/LogSink",
            &format!(
                r#"{{"name":"audit-archive","destination":"{destination}","filter":"logName:\"cloudaudit.googleapis.com\"","writerIdentity":"serviceAccount:service-111@gcp-sa-logging.iam.gserviceaccount.com"}}"#
            ),
        );
        let a = asset(&json);
        sink(&a).unwrap().unwrap_err()
    }

    fn retention(period: Option<i64>, locked: Option<bool>) -> BucketRetention {
        BucketRetention { period, locked }
    }

    #[test]
    fn a_locked_destination_passes_and_anything_less_fails() {
        let r = record("storage.googleapis.com/audit-logs-111");
        assert_eq!(r.bucket, "audit-logs-111");
        assert_eq!(r.subject.native_type, "logging.googleapis.com/LogSink");
        assert_eq!(r.subject.label(), "audit-archive");
        let f = sink_finding(&r, Some(&retention(Some(31_536_000), Some(true))));
        assert_eq!(f.status, Status::Pass, "{}", f.message);
        assert!(f.message.contains("365 days"), "{}", f.message);
        let day = sink_finding(&r, Some(&retention(Some(86_400), Some(false))));
        assert!(
            day.message.contains("policy of 1 day is"),
            "{}",
            day.message
        );
        assert_eq!(
            evidence(&f, "bucket.retentionPolicy.isLocked"),
            Some("true")
        );
        let f = sink_finding(&r, Some(&retention(Some(2_592_000), Some(false))));
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("30 days is not locked"), "{}", f.message);
        let f = sink_finding(&r, Some(&retention(Some(2_592_000), None)));
        assert_eq!(f.status, Status::Fail, "isLocked absent means unlocked");
        let f = sink_finding(&r, Some(&BucketRetention::default()));
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("no retention policy"), "{}", f.message);
        // A lock without a period protects nothing.
        let f = sink_finding(&r, Some(&retention(Some(0), Some(true))));
        assert_eq!(f.status, Status::Fail);
    }

    #[test]
    fn a_destination_bucket_missing_from_the_export_is_manual_and_named() {
        let r = record("storage.googleapis.com/central-audit-archive/");
        assert_eq!(r.bucket, "central-audit-archive");
        let f = sink_finding(&r, None);
        assert_eq!(f.status, Status::Manual);
        assert!(
            f.message
                .contains("bucket central-audit-archive, which is not in the export"),
            "{}",
            f.message
        );
    }

    #[test]
    fn other_destinations_and_disabled_sinks_are_not_applicable() {
        for (destination, kind) in [
            (
                "bigquery.googleapis.com/projects/p/datasets/audit",
                "BigQuery",
            ),
            ("pubsub.googleapis.com/projects/p/topics/siem", "Pub/Sub"),
            (
                "logging.googleapis.com/projects/p/locations/global/buckets/_Default",
                "Cloud Logging",
            ),
        ] {
            let json = sink_line(
                "logging.googleapis.com/LogSink",
                &format!(r#"{{"name":"s","destination":"{destination}"}}"#),
            );
            let a = asset(&json);
            let f = sink(&a).unwrap().unwrap();
            assert_eq!(f.status, Status::NotApplicable, "{destination}");
            assert!(f.message.contains(kind), "{}", f.message);
        }
        let json = sink_line(
            "logging.googleapis.com/LogSink",
            r#"{"name":"s","destination":"storage.googleapis.com/b","disabled":"true"}"#,
        );
        let a = asset(&json);
        let f = sink(&a).unwrap().unwrap();
        assert_eq!(f.status, Status::NotApplicable);
        assert!(f.message.contains("disabled"));
        let json = sink_line("logging.googleapis.com/LogSink", r#"{"name":"s"}"#);
        let a = asset(&json);
        assert_eq!(sink(&a).unwrap().unwrap().status, Status::Manual);
    }

    #[test]
    fn destinations_are_read_in_any_case_and_shape() {
        assert_eq!(storage_bucket("Storage.GoogleAPIs.com/b1"), Some("b1"));
        assert_eq!(storage_bucket(" storage.googleapis.com/b1/ "), Some("b1"));
        assert_eq!(storage_bucket("storage.googleapis.com/"), None);
        assert_eq!(storage_bucket("storage.googleapis.com/b/o"), None);
        assert_eq!(storage_bucket("bigquery.googleapis.com/x"), None);
        assert_eq!(bucket_key(" Audit-Logs "), "audit-logs");
    }

    #[test]
    fn damaged_sink_data_is_a_field_error() {
        let json = sink_line(
            "logging.googleapis.com/LogSink",
            r#""storage.googleapis.com/b""#,
        );
        let a = asset(&json);
        assert_eq!(sink(&a).err().unwrap().field, "resource.data");
        // A destination of the wrong shape is no destination: manual, not a guess.
        let json = sink_line(
            "logging.googleapis.com/LogSink",
            r#"{"destination":{"bucket":"b"}}"#,
        );
        let a = asset(&json);
        assert_eq!(sink(&a).unwrap().unwrap().status, Status::Manual);
    }
}
