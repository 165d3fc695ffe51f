//! Service account keys: user-managed keys rotated within 90 days.
//!
//! The resource data is the IAM API's `ServiceAccountKey`: `keyType` (`USER_MANAGED` or
//! `SYSTEM_MANAGED`), `keyOrigin`, `validAfterTime` (when the key was created),
//! `validBeforeTime` and `disabled`. Google rotates system-managed keys itself; user-managed
//! keys live until someone deletes them.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::Context;
use crate::asset::{Asset, Kind, Subject};
use crate::json::{FieldError, Flag, Text, parse_part};
use crate::time::Timestamp;

demarc_sdk::include_checks!("service_account");

/// Days a user-managed key may live.
pub const MAX_KEY_AGE_DAYS: i64 = 90;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyData<'a> {
    #[serde(borrow, default)]
    key_type: Text<'a>,
    #[serde(borrow, default)]
    key_origin: Text<'a>,
    #[serde(borrow, default)]
    valid_after_time: Text<'a>,
    #[serde(borrow, default)]
    valid_before_time: Text<'a>,
    #[serde(default)]
    disabled: Flag,
}

/// The service account email in a key's resource name
/// (`//iam.googleapis.com/projects/P/serviceAccounts/EMAIL/keys/ID`).
fn account_of(name: &str) -> Option<&str> {
    let rest = &name[name.find("/serviceAccounts/")? + "/serviceAccounts/".len()..];
    rest.split('/').next().filter(|s| !s.is_empty())
}

/// Evaluate an `iam.googleapis.com/ServiceAccountKey` resource line.
pub fn evaluate<'a>(asset: &Asset<'a>, ctx: &Context) -> Result<Vec<Finding>, FieldError<'a>> {
    let data: KeyData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let subject = asset.subject(Kind::ServiceAccountKey, Default::default());
    Ok(vec![rotation(&subject, &data, ctx)])
}

fn rotation(subject: &Subject<'_>, data: &KeyData<'_>, ctx: &Context) -> Finding {
    let key = subject.label();
    let owner = account_of(&subject.id).unwrap_or("its service account");
    let label = format!("{key} of {owner}");
    let builder = subject
        .finding(&KEY_ROTATION)
        .evidence("keyType", data.key_type.shown())
        .evidence("validAfterTime", data.valid_after_time.shown());
    if data.key_type.eq_ignore_case("SYSTEM_MANAGED") {
        return builder
            .not_applicable(format!("Key {label} is system-managed: Google rotates it."));
    }
    if data.disabled.is_true() {
        return builder
            .evidence("disabled", "true")
            .not_applicable(format!("Key {label} is disabled."));
    }
    if let Some(expiry) = data
        .valid_before_time
        .non_empty()
        .and_then(Timestamp::parse)
        && expiry <= ctx.now
    {
        return builder
            .evidence("validBeforeTime", data.valid_before_time.shown())
            .not_applicable(format!("Key {label} expired on {}.", expiry.date()));
    }
    if data.key_type.non_empty().is_none() {
        return builder.manual(format!(
            "The asset of key {label} does not record its type; check it with `gcloud iam service-accounts keys list`."
        ));
    }
    let origin = data.key_origin.non_empty().unwrap_or("(absent)");
    let builder = builder.evidence("keyOrigin", origin);
    match data.valid_after_time.non_empty().and_then(Timestamp::parse) {
        Some(created) if created.older_than(MAX_KEY_AGE_DAYS, ctx.now) => builder.fail(format!(
            "User-managed key {label} was created on {} and has not been rotated for {} days (more than {MAX_KEY_AGE_DAYS}).",
            created.date(),
            created.days_until(ctx.now)
        )),
        Some(created) => builder.pass(format!(
            "User-managed key {label} was created {} ago.",
            super::count(created.days_until(ctx.now), "day", "days")
        )),
        None => builder.manual(format!(
            "The asset of key {label} records no creation time; check it with `gcloud iam service-accounts keys list`."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, ctx, line, only};
    use demarc_sdk::Status;

    fn run(data: &str) -> Finding {
        let json = line(
            "iam.googleapis.com/ServiceAccountKey",
            "//iam.googleapis.com/projects/p/serviceAccounts/ci@p.iam.gserviceaccount.com/keys/3f1c9e0a",
            data,
        );
        let a = asset(&json);
        only(&evaluate(&a, &ctx()).unwrap(), KEY_ROTATION.id).clone()
    }

    #[test]
    fn old_user_managed_keys_fail_and_recent_ones_pass() {
        let f = run(
            r#"{"keyType":"USER_MANAGED","keyOrigin":"GOOGLE_PROVIDED","validAfterTime":"2025-12-01T10:00:00Z","validBeforeTime":"9999-12-31T23:59:59Z"}"#,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message
                .contains("3f1c9e0a of ci@p.iam.gserviceaccount.com")
        );
        assert!(f.message.contains("2025-12-01"));
        let f = run(r#"{"keyType":"USER_MANAGED","validAfterTime":"2026-09-20T00:00:00Z"}"#);
        assert_eq!(f.status, Status::Pass);
    }

    #[test]
    fn keys_that_need_no_rotation_or_lack_data() {
        for data in [
            r#"{"keyType":"SYSTEM_MANAGED","validAfterTime":"2020-01-01T00:00:00Z"}"#,
            r#"{"keyType":"USER_MANAGED","disabled":true,"validAfterTime":"2020-01-01T00:00:00Z"}"#,
            r#"{"keyType":"USER_MANAGED","validAfterTime":"2020-01-01T00:00:00Z","validBeforeTime":"2021-01-01T00:00:00Z"}"#,
        ] {
            assert_eq!(run(data).status, Status::NotApplicable, "{data}");
        }
        assert_eq!(run(r#"{"keyType":"USER_MANAGED"}"#).status, Status::Manual);
        assert_eq!(run("{}").status, Status::Manual);
    }
}
