//! 2-Step Verification of the people who sign in to Google Cloud.
//!
//! Sign-in is governed by Cloud Identity / Google Workspace, not by Google Cloud resources, so
//! Cloud Asset Inventory records nothing about it. The export that does is the Admin SDK
//! Directory API user list (`GET https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer`,
//! or `gam print users` as JSON): each user carries `isEnrolledIn2Sv`, `isEnforcedIn2Sv`,
//! `suspended`, `archived` and `isAdmin`, and `lastLoginTime` with `creationTime`. When a target
//! includes it, each user gets a 2-Step Verification finding and a stale-account finding; when it
//! does not, each project of the target gets a manual 2SV finding naming it.

use demarc_sdk::{Finding, FindingBuilder};
use serde::Deserialize;

use crate::asset::Subject;
use crate::json::{Flag, Labels, Text};
use crate::time::Timestamp;

/// Native type of a Cloud Identity / Workspace user.
pub const USER_TYPE: &str = "admin.googleapis.com/User";

demarc_sdk::include_checks!("identity");

/// Days an active account may go without a sign-in.
pub const UNUSED_DAYS: i64 = 45;

/// One user of the Admin SDK Directory API.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser<'a> {
    /// The user's immutable id.
    #[serde(borrow, default)]
    pub id: Text<'a>,
    /// Primary email address.
    #[serde(borrow, default)]
    pub primary_email: Text<'a>,
    /// The Workspace / Cloud Identity customer.
    #[serde(borrow, default)]
    pub customer_id: Text<'a>,
    /// Suspended users cannot sign in.
    #[serde(default)]
    pub suspended: Flag,
    /// Archived users cannot sign in.
    #[serde(default)]
    pub archived: Flag,
    /// Super administrator.
    #[serde(default)]
    pub is_admin: Flag,
    /// Enrolled in 2-Step Verification.
    #[serde(rename = "isEnrolledIn2Sv", default)]
    pub enrolled: Flag,
    /// 2-Step Verification enforced for the user.
    #[serde(rename = "isEnforcedIn2Sv", default)]
    pub enforced: Flag,
    /// Last sign-in (`1970-01-01T00:00:00.000Z` for never).
    #[serde(borrow, default)]
    pub last_login_time: Text<'a>,
    /// When the account was created.
    #[serde(borrow, default)]
    pub creation_time: Text<'a>,
    /// `admin#directory#user`.
    #[serde(borrow, default)]
    pub kind: Text<'a>,
}

impl DirectoryUser<'_> {
    /// Whether the item is a directory user at all.
    pub fn is_user(&self) -> bool {
        self.primary_email.non_empty().is_some()
    }
}

/// The subject of one directory user.
fn user_subject<'a>(user: &'a DirectoryUser<'_>, observed_at: Option<&str>) -> Subject<'a> {
    let email = user.primary_email.non_empty().unwrap_or("(no email)");
    let id = format!(
        "//admin.googleapis.com/users/{}",
        user.id.non_empty().unwrap_or(email)
    );
    Subject {
        id: id.into(),
        native_type: USER_TYPE,
        account: user
            .customer_id
            .non_empty()
            .unwrap_or("unknown")
            .to_string()
            .into(),
        region: "global".into(),
        name: Some(email.to_string().into()),
        labels: Labels::default(),
        observed_at: observed_at.map(|t| t.to_string().into()),
    }
}

/// The 2-Step Verification finding of one directory user.
pub fn user_finding(user: &DirectoryUser<'_>, observed_at: Option<&str>) -> Finding {
    let email = user.primary_email.non_empty().unwrap_or("(no email)");
    let builder = user_subject(user, observed_at)
        .finding(&TWO_STEP_VERIFICATION)
        .evidence("isEnrolledIn2Sv", user.enrolled.describe())
        .evidence("isEnforcedIn2Sv", user.enforced.describe());
    decide(builder, user, email)
}

fn decide(builder: FindingBuilder, user: &DirectoryUser<'_>, email: &str) -> Finding {
    if user.suspended.is_true() || user.archived.is_true() {
        return builder
            .evidence("suspended", user.suspended.describe())
            .not_applicable(format!(
                "User {email} is suspended or archived and cannot sign in."
            ));
    }
    let who = if user.is_admin.is_true() {
        format!("Super administrator {email}")
    } else {
        format!("User {email}")
    };
    match (user.enrolled.0, user.enforced.0) {
        (Some(true), enforced) => builder.pass(format!(
            "{who} is enrolled in 2-Step Verification{}.",
            if enforced == Some(true) {
                " and it is enforced"
            } else {
                " (not enforced: they could turn it off)"
            }
        )),
        (_, Some(true)) => builder.pass(format!(
            "{who} is not enrolled yet, but 2-Step Verification is enforced: they must enroll to sign in."
        )),
        (Some(false), _) => builder.fail(format!(
            "{who} signs in with a password alone: not enrolled in 2-Step Verification and it is not enforced."
        )),
        (None, _) => builder.manual(format!(
            "The directory export does not record isEnrolledIn2Sv for {email}; export users with the Admin SDK Directory API (users.list) or check the Admin console."
        )),
    }
}

/// The stale-account finding of one directory user, as of `now`.
///
/// The Directory API reports a user who never signed in with `lastLoginTime` at the Unix epoch;
/// such an account is judged by its age instead, so that a new hire is not flagged on day one.
pub fn stale_finding(
    user: &DirectoryUser<'_>,
    now: Timestamp,
    observed_at: Option<&str>,
) -> Finding {
    let email = user.primary_email.non_empty().unwrap_or("(no email)");
    let last = user.last_login_time.non_empty();
    let created = user.creation_time.non_empty();
    let builder = user_subject(user, observed_at)
        .finding(&STALE_USER)
        .evidence("lastLoginTime", last.unwrap_or("(absent)"))
        .evidence("creationTime", created.unwrap_or("(absent)"));
    if user.suspended.is_true() || user.archived.is_true() {
        return builder
            .evidence("suspended", user.suspended.describe())
            .not_applicable(format!(
                "User {email} is suspended or archived and cannot sign in."
            ));
    }
    let Some(last) = last.map(|t| (t, Timestamp::parse(t))) else {
        return builder.manual(format!(
            "The directory export does not record lastLoginTime for {email}; export users with the Admin SDK Directory API (users.list) or check the Admin console's user list."
        ));
    };
    let (text, Some(at)) = last else {
        return builder.manual(format!(
            "lastLoginTime `{}` of {email} is not a time the export would write; check the user in the Admin console.",
            last.0
        ));
    };
    if at.date() == "1970-01-01" {
        return match created.and_then(Timestamp::parse) {
            Some(c) if c.older_than(UNUSED_DAYS, now) => builder.fail(format!(
                "User {email} has never signed in since the account was created {} days ago.",
                c.days_until(now)
            )),
            Some(c) => builder.pass(format!(
                "User {email} has not signed in yet; the account is {} old.",
                super::count(c.days_until(now), "day", "days")
            )),
            None => builder.manual(format!(
                "User {email} has never signed in and the export does not say when the account was created; check it in the Admin console."
            )),
        };
    }
    if at.older_than(UNUSED_DAYS, now) {
        builder.fail(format!(
            "User {email} last signed in {} days ago ({text}), more than {UNUSED_DAYS} days, and is still active.",
            at.days_until(now)
        ))
    } else {
        builder.pass(format!(
            "User {email} signed in {} ago.",
            super::count(at.days_until(now), "day", "days")
        ))
    }
}

/// The manual finding for a project whose target has no directory export.
pub fn project_fallback(subject: &Subject<'_>) -> Finding {
    subject
        .finding(&TWO_STEP_VERIFICATION)
        .evidence("directory export", "(none in this target)")
        .manual(format!(
            "Who may sign in to project {} without 2-Step Verification is a Cloud Identity / Google Workspace setting that Cloud Asset Inventory does not record; decide it from the Admin SDK Directory API user list (users.list with isEnrolledIn2Sv and isEnforcedIn2Sv) added to this target, or the Admin console's 2-Step Verification report.",
            subject.label()
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::evidence;
    use demarc_sdk::Status;

    fn user(json: &str) -> Finding {
        let u: DirectoryUser<'_> = serde_json::from_str(json).unwrap();
        assert!(u.is_user());
        user_finding(&u, Some("2026-10-31T00:00:00Z"))
    }

    #[test]
    fn enrolled_or_enforced_users_pass() {
        let f = user(
            r#"{"kind":"admin#directory#user","id":"1045","primaryEmail":"a.nguyen@contoso-health.org","customerId":"C02x8kq1m","isEnrolledIn2Sv":true,"isEnforcedIn2Sv":true}"#,
        );
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.resource.id, "//admin.googleapis.com/users/1045");
        assert_eq!(f.resource.native_type, USER_TYPE);
        assert_eq!(f.account, "C02x8kq1m");
        assert_eq!(
            f.resource.name.as_deref(),
            Some("a.nguyen@contoso-health.org")
        );
        let f =
            user(r#"{"primaryEmail":"b@x.org","isEnrolledIn2Sv":false,"isEnforcedIn2Sv":true}"#);
        assert_eq!(f.status, Status::Pass);
        assert!(f.message.contains("must enroll"));
    }

    #[test]
    fn users_without_2sv_fail() {
        let f = user(
            r#"{"id":"77","primaryEmail":"r.okafor@contoso-health.org","isAdmin":true,"isEnrolledIn2Sv":false,"isEnforcedIn2Sv":false}"#,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.starts_with("Super administrator r.okafor"));
        assert_eq!(evidence(&f, "isEnrolledIn2Sv"), Some("false"));
    }

    fn stale(json: &str) -> Finding {
        let u: DirectoryUser<'_> = serde_json::from_str(json).unwrap();
        stale_finding(&u, Timestamp::parse("2026-11-01T00:00:00Z").unwrap(), None)
    }

    #[test]
    fn users_signed_in_within_45_days_pass_and_older_sign_ins_fail() {
        let f = stale(
            r#"{"id":"1","primaryEmail":"k.ito@fabrikam.example","lastLoginTime":"2026-10-31T08:00:00.000Z","creationTime":"2020-01-09T09:00:00.000Z","suspended":false}"#,
        );
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.check_id, "gcp-identity-user-stale");
        assert_eq!(f.resource.id, "//admin.googleapis.com/users/1");
        let f = stale(
            r#"{"id":"2","primaryEmail":"m.berg@fabrikam.example","lastLoginTime":"2026-05-12T16:20:03.000Z","creationTime":"2021-02-01T09:00:00.000Z","suspended":"false"}"#,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("172 days ago"), "{}", f.message);
        assert_eq!(
            evidence(&f, "lastLoginTime"),
            Some("2026-05-12T16:20:03.000Z")
        );
    }

    #[test]
    fn never_signed_in_is_judged_by_the_account_age() {
        let never = r#""lastLoginTime":"1970-01-01T00:00:00.000Z""#;
        let f = stale(&format!(
            r#"{{"primaryEmail":"old@x.org",{never},"creationTime":"2025-06-02T10:00:00.000Z"}}"#
        ));
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("never signed in"));
        let f = stale(&format!(
            r#"{{"primaryEmail":"new@x.org",{never},"creationTime":"2026-10-27T10:00:00.000Z"}}"#
        ));
        assert_eq!(f.status, Status::Pass);
        let f = stale(&format!(r#"{{"primaryEmail":"new@x.org",{never}}}"#));
        assert_eq!(f.status, Status::Manual);
    }

    #[test]
    fn stale_check_skips_suspended_users_and_never_passes_without_data() {
        let f = stale(
            r#"{"primaryEmail":"gone@x.org","suspended":"true","lastLoginTime":"2024-01-01T00:00:00.000Z"}"#,
        );
        assert_eq!(f.status, Status::NotApplicable);
        assert_eq!(
            stale(r#"{"primaryEmail":"a@x.org"}"#).status,
            Status::Manual
        );
        assert_eq!(
            stale(r#"{"primaryEmail":"a@x.org","lastLoginTime":"yesterday"}"#).status,
            Status::Manual
        );
    }

    #[test]
    fn suspended_and_unrecorded_users() {
        let f = user(r#"{"primaryEmail":"old@x.org","suspended":true,"isEnrolledIn2Sv":false}"#);
        assert_eq!(f.status, Status::NotApplicable);
        let f = user(r#"{"primaryEmail":"c@x.org"}"#);
        assert_eq!(f.status, Status::Manual);
        let none: DirectoryUser<'_> =
            serde_json::from_str(r#"{"kind":"admin#directory#users"}"#).unwrap();
        assert!(!none.is_user());
    }
}
