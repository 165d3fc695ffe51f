//! 2-Step Verification of the people who sign in to Google Cloud.
//!
//! Sign-in is governed by Cloud Identity / Google Workspace, not by Google Cloud resources, so
//! Cloud Asset Inventory records nothing about it. The export that does is the Admin SDK
//! Directory API user list (`GET https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer`,
//! or `gam print users` as JSON): each user carries `isEnrolledIn2Sv`, `isEnforcedIn2Sv`,
//! `suspended`, `archived` and `isAdmin`. When a target includes it, each user gets a finding;
//! when it does not, each project of the target gets a manual finding naming it.

use demarc_sdk::{CheckDef, Finding, FindingBuilder, Severity};
use serde::Deserialize;

use crate::asset::Subject;
use crate::json::{Flag, Labels, Text};

/// Native type of a Cloud Identity / Workspace user.
pub const USER_TYPE: &str = "admin.googleapis.com/User";

/// `gcp-identity-user-2sv`.
pub static TWO_STEP_VERIFICATION: CheckDef = CheckDef {
    id: "gcp-identity-user-2sv",
    title: "Every active user signs in with 2-Step Verification",
    severity: Severity::High,
    rationale: "A Google account protected only by a password falls to phishing or password reuse, and with it every Google Cloud role the account holds.",
    remediation: "Enforce 2-Step Verification for every organizational unit in the Admin console (Security > 2-Step Verification > Enforcement), prefer security keys for administrators, and follow up on users not yet enrolled.",
    controls: &["mfa"],
    resource_types: &[USER_TYPE, "cloudresourcemanager.googleapis.com/Project"],
};

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

/// The finding of one directory user.
pub fn user_finding(user: &DirectoryUser<'_>, observed_at: Option<&str>) -> Finding {
    let email = user.primary_email.non_empty().unwrap_or("(no email)");
    let id = format!(
        "//admin.googleapis.com/users/{}",
        user.id.non_empty().unwrap_or(email)
    );
    let subject = Subject {
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
    };
    let builder = subject
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
