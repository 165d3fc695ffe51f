//! Cloud KMS keys: automatic rotation.
//!
//! The resource data is the Cloud KMS API's `CryptoKey`: `purpose`, `rotationPeriod` (a
//! protobuf duration, `"7776000s"`; absent means the key is never rotated), `nextRotationTime`,
//! `primary{state}` and `versionTemplate{protectionLevel}`. Only symmetric encryption keys can
//! rotate automatically; asymmetric and external keys are not applicable.
//!
//! A key passes when it rotates at least every 90 days **and** its next rotation is due within
//! 90 days of the scan (CIS Google Cloud 5.0 1.11): a short period is no rotation if the next one
//! has been pushed years ahead. The API sets `nextRotationTime` whenever `rotationPeriod` is set,
//! so an asset with a period but no next rotation time is manual, not a pass.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::Context;
use crate::asset::{Asset, Kind, Subject};
use crate::json::{FieldError, Labels, Text, parse_part};
use crate::time::{DAY, Timestamp, parse_duration};

demarc_sdk::include_checks!("kms");

/// Longest rotation period that passes, in days.
pub const MAX_ROTATION_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyData<'a> {
    #[serde(borrow, default)]
    purpose: Text<'a>,
    #[serde(borrow, default)]
    rotation_period: Text<'a>,
    #[serde(borrow, default)]
    next_rotation_time: Text<'a>,
    #[serde(borrow, default)]
    primary: Option<Version<'a>>,
    #[serde(borrow, default)]
    version_template: Option<Template<'a>>,
    #[serde(borrow, default)]
    labels: Labels<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct Version<'a> {
    #[serde(borrow, default)]
    state: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Template<'a> {
    #[serde(borrow, default)]
    protection_level: Text<'a>,
}

/// Evaluate a `cloudkms.googleapis.com/CryptoKey` resource line.
pub fn evaluate<'a>(asset: &Asset<'a>, ctx: &Context) -> Result<Vec<Finding>, FieldError<'a>> {
    let data: KeyData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let subject = asset.subject(Kind::CryptoKey, data.labels.clone());
    Ok(vec![rotation(&subject, &data, ctx)])
}

fn rotation(subject: &Subject<'_>, data: &KeyData<'_>, ctx: &Context) -> Finding {
    let label = subject.label();
    let builder = subject
        .finding(&KEY_ROTATION)
        .evidence("purpose", data.purpose.shown())
        .evidence("rotationPeriod", data.rotation_period.shown());
    if let Some(purpose) = data.purpose.non_empty()
        && !purpose.eq_ignore_ascii_case("ENCRYPT_DECRYPT")
    {
        return builder.not_applicable(format!(
            "Key {label} has purpose {purpose}: only symmetric encryption keys rotate automatically."
        ));
    }
    let level = data
        .version_template
        .as_ref()
        .and_then(|t| t.protection_level.non_empty());
    if let Some(level) = level.filter(|l| l.to_ascii_uppercase().starts_with("EXTERNAL")) {
        return builder
            .evidence("versionTemplate.protectionLevel", level)
            .not_applicable(format!(
                "Key {label} is an external key ({level}): its rotation is managed in the external key manager."
            ));
    }
    if let Some(state) = data.primary.as_ref().and_then(|p| p.state.non_empty())
        && !state.eq_ignore_ascii_case("ENABLED")
    {
        return builder
            .evidence("primary.state", state)
            .not_applicable(format!(
                "Key {label} has no enabled primary version ({state}): it encrypts nothing new."
            ));
    }
    match data.rotation_period.non_empty() {
        None => builder.fail(format!(
            "Key {label} has no rotation period: it is never rotated automatically."
        )),
        Some(text) => match parse_duration(text) {
            Some(seconds) if seconds <= MAX_ROTATION_DAYS * DAY => {
                let every = super::count(seconds / DAY, "day", "days");
                let next = data.next_rotation_time.non_empty();
                let builder = builder.evidence("nextRotationTime", next.unwrap_or("(absent)"));
                match next.map(|t| (t, Timestamp::parse(t))) {
                    None => builder.manual(format!(
                        "Key {label} rotates every {every}, but its asset records no next rotation time, so when it next rotates is unknown; check it with `gcloud kms keys describe`."
                    )),
                    Some((text, None)) => builder.manual(format!(
                        "Key {label} records a next rotation time ({text}) that cannot be read; check it with `gcloud kms keys describe`."
                    )),
                    Some((_, Some(at))) if at.0 > ctx.now.0 + MAX_ROTATION_DAYS * DAY => {
                        builder.fail(format!(
                            "Key {label} rotates every {every}, but its next rotation is not due until {} ({} days away, more than {MAX_ROTATION_DAYS}).",
                            at.date(),
                            ctx.now.days_until(at)
                        ))
                    }
                    Some(_) => builder.pass(format!("Key {label} rotates every {every}.")),
                }
            }
            Some(seconds) => builder.fail(format!(
                "Key {label} rotates only every {} days, more than {MAX_ROTATION_DAYS}.",
                seconds / DAY
            )),
            None => builder.manual(format!(
                "Key {label} records a rotation period ({text}) that cannot be read; check it with `gcloud kms keys describe`."
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, ctx, evidence, line, only};
    use demarc_sdk::Status;

    fn run(data: &str) -> Finding {
        let json = line(
            "cloudkms.googleapis.com/CryptoKey",
            "//cloudkms.googleapis.com/projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
            data,
        );
        let a = asset(&json);
        let findings = evaluate(&a, &ctx()).unwrap();
        only(&findings, KEY_ROTATION.id).clone()
    }

    /// A symmetric key rotating every `period` whose next rotation is `next`.
    fn key(period: &str, next: &str) -> String {
        format!(
            r#"{{"purpose":"ENCRYPT_DECRYPT","rotationPeriod":"{period}","nextRotationTime":"{next}","primary":{{"state":"ENABLED"}}}}"#
        )
    }

    #[test]
    fn ninety_days_or_less_with_the_next_rotation_due_passes() {
        let f = run(&key("7776000s", "2026-12-01T00:00:00Z"));
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.message, "Key k rotates every 90 days.");
        assert_eq!(
            evidence(&f, "nextRotationTime"),
            Some("2026-12-01T00:00:00Z")
        );
        assert_eq!(
            run(&key("2592000s", "2026-11-15T16:58:02.019Z")).status,
            Status::Pass
        );
        // Due exactly 90 days after the scan's reference time (2026-11-01): still within.
        assert_eq!(
            run(&key("7776000s", "2027-01-30T00:00:00Z")).status,
            Status::Pass
        );
        // A next rotation in the past is overdue, not postponed: the period decides.
        assert_eq!(
            run(&key("7776000s", "2026-10-01T00:00:00Z")).status,
            Status::Pass
        );
    }

    #[test]
    fn a_next_rotation_pushed_beyond_ninety_days_fails() {
        // A 30-day period whose next rotation was set two years ahead rotates nothing until then.
        let f = run(&key("2592000s", "2028-11-01T00:00:00Z"));
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message
                .contains("not due until 2028-11-01 (731 days away, more than 90)"),
            "{}",
            f.message
        );
        assert_eq!(
            evidence(&f, "nextRotationTime"),
            Some("2028-11-01T00:00:00Z")
        );
        // One second past the 90-day bound.
        assert_eq!(
            run(&key("7776000s", "2027-01-30T00:00:01Z")).status,
            Status::Fail
        );
    }

    #[test]
    fn a_missing_or_unreadable_next_rotation_is_manual() {
        let f = run(r#"{"purpose":"ENCRYPT_DECRYPT","rotationPeriod":"2592000s"}"#);
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("no next rotation time"), "{}", f.message);
        assert_eq!(evidence(&f, "nextRotationTime"), Some("(absent)"));
        let f = run(&key("2592000s", "next month"));
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("(next month) that cannot be read"));
    }

    #[test]
    fn no_or_long_rotation_fails() {
        let f = run(r#"{"purpose":"ENCRYPT_DECRYPT","primary":{"state":"ENABLED"}}"#);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("never rotated"));
        let f = run(r#"{"purpose":"ENCRYPT_DECRYPT","rotationPeriod":"31536000s"}"#);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("365 days"));
        // A long period fails whatever the next rotation time says.
        assert_eq!(
            run(&key("31536000s", "2026-11-15T00:00:00Z")).status,
            Status::Fail
        );
    }

    #[test]
    fn keys_that_cannot_rotate_are_not_applicable() {
        for data in [
            r#"{"purpose":"ASYMMETRIC_SIGN"}"#,
            r#"{"purpose":"ENCRYPT_DECRYPT","versionTemplate":{"protectionLevel":"EXTERNAL_VPC"}}"#,
            r#"{"purpose":"ENCRYPT_DECRYPT","primary":{"state":"DESTROYED"}}"#,
        ] {
            assert_eq!(run(data).status, Status::NotApplicable, "{data}");
        }
        assert_eq!(
            run(r#"{"purpose":"ENCRYPT_DECRYPT","rotationPeriod":"ninety days"}"#).status,
            Status::Manual
        );
    }
}
