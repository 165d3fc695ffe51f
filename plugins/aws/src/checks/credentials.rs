//! IAM credentials: console MFA, the root account, access key age, unused credentials.
//!
//! These checks read the IAM credential report ([`crate::credential_report`]), because AWS
//! Config records neither MFA, nor password use, nor key age. Each report row yields its
//! findings ([`row_findings`]). For an account without a report, the scan falls back to one
//! `manual` finding per IAM user seen in AWS Config ([`user_fallback`]) and per account for
//! the root checks ([`root_fallback`]), naming the report that would decide them.

use demarc_sdk::{CheckDef, Finding, FindingBuilder};

use super::{ACCOUNT_TYPE, account_resource_id};
use crate::config_item::Subject;
use crate::credential_report::{Row, Value};
use demarc_sdk::time::Timestamp;

demarc_sdk::include_checks!("credentials");

/// Maximum age of an active access key, in days.
pub const ROTATION_DAYS: i64 = 90;
/// Maximum time a credential may go unused, in days.
pub const UNUSED_DAYS: i64 = 45;

const REPORT: &str = "the IAM credential report (`aws iam generate-credential-report`, then `aws iam get-credential-report`)";

fn row_finding(check: &CheckDef, row: &Row) -> FindingBuilder {
    let native_type = if row.is_root() {
        ACCOUNT_TYPE
    } else {
        "AWS::IAM::User"
    };
    FindingBuilder::new(check, row.account(), "global", native_type, row.arn.trim())
        .name(Some(row.user.trim()))
}

/// Every finding of one credential report row.
pub fn row_findings(row: &Row, now: Timestamp) -> Vec<Finding> {
    if row.is_root() {
        vec![root_mfa(row), root_keys(row), key_rotation(row, now)]
    } else {
        vec![console_mfa(row), key_rotation(row, now), unused(row, now)]
    }
}

fn console_mfa(row: &Row) -> Finding {
    let user = row.user.trim();
    let builder = row_finding(&CONSOLE_MFA, row)
        .evidence("password_enabled", &row.password_enabled)
        .evidence("mfa_active", &row.mfa_active);
    match (Value::of(&row.password_enabled), Value::of(&row.mfa_active)) {
        (Value::False, _) => builder.not_applicable(format!("IAM user {user} has no console password.")),
        (Value::True, Value::True) => builder.pass(format!("IAM user {user} signs in to the console with MFA.")),
        (Value::True, Value::False) => builder.fail(format!(
            "IAM user {user} can sign in to the console with a password alone: no MFA device is active."
        )),
        _ => builder.manual(format!(
            "The credential report row of IAM user {user} has unexpected values for password_enabled/mfa_active; review the user's MFA in IAM."
        )),
    }
}

fn root_mfa(row: &Row) -> Finding {
    let builder = row_finding(&ROOT_MFA, row).evidence("mfa_active", &row.mfa_active);
    let account = row.account();
    match Value::of(&row.mfa_active) {
        Value::True => builder.pass(format!("The root user of account {account} has MFA.")),
        Value::False => builder.fail(format!(
            "The root user of account {account} has no MFA: its password alone controls the whole account."
        )),
        _ => builder.manual(format!(
            "The credential report does not say whether the root user of account {account} has MFA; check it as root in the console."
        )),
    }
}

fn root_keys(row: &Row) -> Finding {
    let account = row.account();
    let builder = row_finding(&ROOT_ACCESS_KEYS, row)
        .evidence("access_key_1_active", &row.keys[0].active)
        .evidence("access_key_2_active", &row.keys[1].active);
    let active: Vec<String> = (1..=2)
        .filter(|n| row.keys[n - 1].is_active())
        .map(|n| format!("access key {n}"))
        .collect();
    if active.is_empty() {
        builder.pass(format!(
            "The root user of account {account} has no active access key."
        ))
    } else {
        builder.fail(format!(
            "The root user of account {account} has an active {}: an unrestricted credential for the whole account.",
            super::and_list(&active)
        ))
    }
}

fn key_rotation(row: &Row, now: Timestamp) -> Finding {
    let user = if row.is_root() {
        format!("The root user of account {}", row.account())
    } else {
        format!("IAM user {}", row.user.trim())
    };
    let mut builder = row_finding(&ACCESS_KEY_ROTATION, row);
    let mut old = Vec::new();
    let mut unknown = Vec::new();
    let mut active = 0;
    for (i, key) in row.keys.iter().enumerate() {
        if !key.is_active() {
            continue;
        }
        active += 1;
        let n = i + 1;
        builder = builder
            .evidence(format!("access_key_{n}_active"), &key.active)
            .evidence(format!("access_key_{n}_last_rotated"), &key.last_rotated);
        match Value::of(&key.last_rotated).time() {
            Some(t) if t.older_than(ROTATION_DAYS, now) => {
                old.push(format!("access key {n} ({} days old)", t.days_until(now)));
            }
            Some(_) => {}
            None => unknown.push(format!("access key {n}")),
        }
    }
    if active == 0 {
        builder
            .evidence("access_key_1_active", &row.keys[0].active)
            .evidence("access_key_2_active", &row.keys[1].active)
            .not_applicable(format!("{user} has no active access key."))
    } else if !old.is_empty() {
        builder.fail(format!(
            "{user} has {} not rotated in over {ROTATION_DAYS} days.",
            super::and_list(&old)
        ))
    } else if !unknown.is_empty() {
        builder.manual(format!(
            "The credential report does not say when {} last rotated its {}; review it in IAM.",
            user,
            super::and_list(&unknown)
        ))
    } else {
        builder.pass(format!(
            "{user} rotated its active access keys within {ROTATION_DAYS} days."
        ))
    }
}

/// Whether a credential last used at `used` (or, if never used, existing since `since`) has
/// gone unused for longer than [`UNUSED_DAYS`]: `Ok(Some(days))` when stale, `Ok(None)` when
/// used recently enough, `Err(())` when the report does not say.
fn staleness(used: &str, since: &str, now: Timestamp) -> Result<Option<i64>, ()> {
    let reference = match Value::of(used) {
        Value::Time(t) => t,
        Value::NotApplicable | Value::NoInformation => Value::of(since).time().ok_or(())?,
        _ => return Err(()),
    };
    Ok(reference
        .older_than(UNUSED_DAYS, now)
        .then(|| reference.days_until(now)))
}

fn unused(row: &Row, now: Timestamp) -> Finding {
    let user = row.user.trim();
    let mut builder = row_finding(&UNUSED_CREDENTIALS, row);
    let mut stale = Vec::new();
    let mut unknown = Vec::new();
    let mut credentials = 0;
    if Value::of(&row.password_enabled) == Value::True {
        credentials += 1;
        builder = builder
            .evidence("password_enabled", &row.password_enabled)
            .evidence("password_last_used", &row.password_last_used)
            .evidence("user_creation_time", &row.user_creation_time);
        // A password never used is as old as its last change (a password set on an old user is
        // new); the user's creation time stands in only when the report does not say.
        let used = Value::of(&row.password_last_used).time().is_some();
        let changed = !used && Value::of(&row.password_last_changed).time().is_some();
        let since = if changed {
            builder = builder.evidence("password_last_changed", &row.password_last_changed);
            &row.password_last_changed
        } else {
            &row.user_creation_time
        };
        match staleness(&row.password_last_used, since, now) {
            Ok(Some(days)) => stale.push(if used {
                format!("its console password (last used {days} days ago)")
            } else if changed {
                format!("its console password (never used, set {days} days ago)")
            } else {
                format!("its console password (never used, created {days} days ago)")
            }),
            Ok(None) => {}
            Err(()) => unknown.push("console password".to_string()),
        }
    }
    for (i, key) in row.keys.iter().enumerate() {
        if !key.is_active() {
            continue;
        }
        credentials += 1;
        let n = i + 1;
        builder = builder
            .evidence(format!("access_key_{n}_active"), &key.active)
            .evidence(
                format!("access_key_{n}_last_used_date"),
                &key.last_used_date,
            )
            .evidence(format!("access_key_{n}_last_rotated"), &key.last_rotated);
        match staleness(&key.last_used_date, &key.last_rotated, now) {
            Ok(Some(days)) => stale.push(if Value::of(&key.last_used_date).time().is_some() {
                format!("access key {n} (last used {days} days ago)")
            } else {
                format!("access key {n} (never used, issued {days} days ago)")
            }),
            Ok(None) => {}
            Err(()) => unknown.push(format!("access key {n}")),
        }
    }
    if credentials == 0 {
        builder.not_applicable(format!(
            "IAM user {user} has no console password and no active access key."
        ))
    } else if !stale.is_empty() {
        builder.fail(format!(
            "IAM user {user} keeps {} unused for over {UNUSED_DAYS} days.",
            super::and_list(&stale)
        ))
    } else if !unknown.is_empty() {
        builder.manual(format!(
            "The credential report does not say when IAM user {user}'s {} was last used; review it in IAM.",
            super::and_list(&unknown)
        ))
    } else {
        builder.pass(format!(
            "IAM user {user}'s credentials were all used within {UNUSED_DAYS} days."
        ))
    }
}

/// An IAM user seen in AWS Config, kept until the scan knows whether its account has a report.
#[derive(Debug, Clone)]
pub struct ConfigUser {
    /// The account.
    pub account: String,
    /// The user's findings, resource filled in, one per credential check.
    pub findings: [FindingBuilder; 3],
    /// A readable label.
    pub label: String,
}

impl ConfigUser {
    /// Keep the user of an `AWS::IAM::User` item.
    pub fn new(subject: &Subject<'_, '_>) -> Self {
        ConfigUser {
            account: subject.item.account().to_string(),
            findings: [
                subject.finding(&CONSOLE_MFA),
                subject.finding(&ACCESS_KEY_ROTATION),
                subject.finding(&UNUSED_CREDENTIALS),
            ],
            label: subject.label().into_owned(),
        }
    }
}

/// The manual findings of an IAM user whose account has no credential report.
pub fn user_fallback(user: ConfigUser) -> Vec<Finding> {
    let label = user.label;
    let [mfa, rotation, unused] = user.findings;
    vec![
        mfa.evidence("credential report", "(none for this account)").manual(format!(
            "AWS Config does not record MFA: whether IAM user {label} has MFA for its console password is in {REPORT}."
        )),
        rotation.evidence("credential report", "(none for this account)").manual(format!(
            "AWS Config does not record access key age: when IAM user {label}'s keys were rotated is in {REPORT}."
        )),
        unused.evidence("credential report", "(none for this account)").manual(format!(
            "AWS Config does not record credential use: when IAM user {label} last used its password or keys is in {REPORT}."
        )),
    ]
}

/// The manual root findings of an account without a credential report.
pub fn root_fallback(account: &str) -> Vec<Finding> {
    let id = account_resource_id(account);
    let start = |check: &CheckDef| {
        FindingBuilder::new(check, account, "global", ACCOUNT_TYPE, &id)
            .evidence("credential report", "(none for this account)")
    };
    vec![
        start(&ROOT_MFA).manual(format!(
            "Whether the root user of account {account} has MFA is in {REPORT} (row <root_account>); AWS Config does not record it."
        )),
        start(&ROOT_ACCESS_KEYS).manual(format!(
            "Whether the root user of account {account} has access keys is in {REPORT} (row <root_account>); AWS Config does not record it."
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, evidence, item, only, status};
    use crate::credential_report::{AccessKey, ROOT_USER};
    use demarc_sdk::Status;

    fn key(active: &str, rotated: &str, used: &str) -> AccessKey {
        AccessKey {
            active: active.into(),
            last_rotated: rotated.into(),
            last_used_date: used.into(),
        }
    }

    fn no_key() -> AccessKey {
        key("false", "N/A", "N/A")
    }

    fn user(password: &str, last_used: &str, mfa: &str, keys: [AccessKey; 2]) -> Row {
        Row {
            line: 2,
            user: "alice".into(),
            arn: "arn:aws:iam::111122223333:user/alice".into(),
            user_creation_time: "2024-01-01T00:00:00+00:00".into(),
            password_enabled: password.into(),
            password_last_used: last_used.into(),
            password_last_changed: String::new(),
            mfa_active: mfa.into(),
            keys,
        }
    }

    fn root(mfa: &str, keys: [AccessKey; 2]) -> Row {
        Row {
            user: ROOT_USER.into(),
            arn: "arn:aws:iam::111122223333:root".into(),
            password_enabled: "not_supported".into(),
            password_last_used: "2025-06-01T00:00:00+00:00".into(),
            mfa_active: mfa.into(),
            ..user("x", "x", "x", keys)
        }
    }

    const RECENT: &str = "2025-06-20T00:00:00+00:00";
    const OLD: &str = "2025-01-01T00:00:00+00:00";

    #[test]
    fn console_mfa_pass_fail_and_not_applicable() {
        let now = ctx().now;
        let f = row_findings(&user("true", RECENT, "false", [no_key(), no_key()]), now);
        let mfa = only(&f, CONSOLE_MFA.id);
        assert_eq!(mfa.status, Status::Fail);
        assert_eq!(mfa.resource.native_type, "AWS::IAM::User");
        assert_eq!(mfa.resource.id, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(mfa.account, "111122223333");
        assert_eq!(evidence(mfa, "mfa_active"), Some("false"));
        assert_eq!(
            status(
                &row_findings(&user("true", RECENT, "true", [no_key(), no_key()]), now),
                CONSOLE_MFA.id
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                &row_findings(&user("false", "N/A", "false", [no_key(), no_key()]), now),
                CONSOLE_MFA.id
            ),
            Status::NotApplicable
        );
    }

    #[test]
    fn root_mfa_and_keys() {
        let now = ctx().now;
        let bad = row_findings(&root("false", [key("true", OLD, RECENT), no_key()]), now);
        assert_eq!(status(&bad, ROOT_MFA.id), Status::Fail);
        assert_eq!(status(&bad, ROOT_ACCESS_KEYS.id), Status::Fail);
        assert_eq!(
            only(&bad, ROOT_MFA.id).resource.native_type,
            "AWS::::Account"
        );
        assert_eq!(
            only(&bad, ROOT_MFA.id).resource.id,
            "arn:aws:iam::111122223333:root"
        );
        assert!(
            bad.iter()
                .all(|f| f.check_id != CONSOLE_MFA.id && f.check_id != UNUSED_CREDENTIALS.id)
        );
        let good = row_findings(&root("true", [no_key(), no_key()]), now);
        assert_eq!(status(&good, ROOT_MFA.id), Status::Pass);
        assert_eq!(status(&good, ROOT_ACCESS_KEYS.id), Status::Pass);
        assert_eq!(status(&good, ACCESS_KEY_ROTATION.id), Status::NotApplicable);
    }

    #[test]
    fn key_rotation_by_age_of_active_keys() {
        let now = ctx().now;
        let old = row_findings(
            &user(
                "false",
                "N/A",
                "false",
                [key("true", OLD, RECENT), key("false", OLD, OLD)],
            ),
            now,
        );
        let f = only(&old, ACCESS_KEY_ROTATION.id);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("access key 1 (180 days old)"),
            "{}",
            f.message
        );
        let fresh = row_findings(
            &user(
                "false",
                "N/A",
                "false",
                [no_key(), key("true", RECENT, RECENT)],
            ),
            now,
        );
        assert_eq!(status(&fresh, ACCESS_KEY_ROTATION.id), Status::Pass);
        let none = row_findings(&user("true", RECENT, "true", [no_key(), no_key()]), now);
        assert_eq!(status(&none, ACCESS_KEY_ROTATION.id), Status::NotApplicable);
    }

    #[test]
    fn unused_passwords_and_keys() {
        let now = ctx().now;
        let stale_password = row_findings(&user("true", OLD, "true", [no_key(), no_key()]), now);
        assert_eq!(status(&stale_password, UNUSED_CREDENTIALS.id), Status::Fail);
        // Never used, but the user was created long ago.
        let never = row_findings(
            &user("true", "no_information", "true", [no_key(), no_key()]),
            now,
        );
        let f = only(&never, UNUSED_CREDENTIALS.id);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("never used"));
        let unused_key = row_findings(
            &user("false", "N/A", "false", [key("true", OLD, "N/A"), no_key()]),
            now,
        );
        assert_eq!(status(&unused_key, UNUSED_CREDENTIALS.id), Status::Fail);
        let idle_key = row_findings(
            &user(
                "false",
                "N/A",
                "false",
                [key("true", RECENT, OLD), no_key()],
            ),
            now,
        );
        assert_eq!(status(&idle_key, UNUSED_CREDENTIALS.id), Status::Fail);
        let active = row_findings(
            &user(
                "true",
                RECENT,
                "true",
                [key("true", RECENT, RECENT), no_key()],
            ),
            now,
        );
        assert_eq!(status(&active, UNUSED_CREDENTIALS.id), Status::Pass);
        let nothing = row_findings(&user("false", "N/A", "false", [no_key(), no_key()]), now);
        assert_eq!(
            status(&nothing, UNUSED_CREDENTIALS.id),
            Status::NotApplicable
        );
    }

    /// CIS AWS 2.11 dates a never-used password from its last change: a password set ten days
    /// ago on a user created long ago is not stale (it used to fail, dated from the user's
    /// creation), and one set long ago still is.
    #[test]
    fn a_never_used_password_is_dated_from_its_last_change() {
        let now = ctx().now;
        let never_used = |changed: &str| Row {
            password_last_changed: changed.into(),
            ..user("true", "N/A", "true", [no_key(), no_key()])
        };
        let fresh = row_findings(&never_used(RECENT), now);
        let f = only(&fresh, UNUSED_CREDENTIALS.id);
        assert_eq!(f.status, Status::Pass, "{}", f.message);
        assert_eq!(evidence(f, "password_last_changed"), Some(RECENT));
        let old = row_findings(&never_used(OLD), now);
        let f = only(&old, UNUSED_CREDENTIALS.id);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("never used, set 180 days ago"),
            "{}",
            f.message
        );
        // Without the column (or with N/A), the user's creation time still dates it.
        let f = row_findings(&never_used("N/A"), now);
        let f = only(&f, UNUSED_CREDENTIALS.id);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("never used, created"), "{}", f.message);
        assert_eq!(evidence(f, "password_last_changed"), None);
        // A password in use is dated by its use, whenever it was set.
        let used = Row {
            password_last_changed: OLD.into(),
            ..user("true", RECENT, "true", [no_key(), no_key()])
        };
        let f = row_findings(&used, now);
        let f = only(&f, UNUSED_CREDENTIALS.id);
        assert_eq!(f.status, Status::Pass);
        assert_eq!(evidence(f, "password_last_changed"), None);
    }

    #[test]
    fn fallbacks_are_manual_and_name_the_report() {
        let i = item(
            r#"{"resourceType":"AWS::IAM::User","resourceName":"bob","awsAccountId":"1","awsRegion":"global","ARN":"arn:aws:iam::1:user/bob"}"#,
        );
        let findings = user_fallback(ConfigUser::new(&i.subject()));
        assert_eq!(findings.len(), 3);
        for f in &findings {
            assert_eq!(f.status, Status::Manual);
            assert!(f.message.contains("aws iam generate-credential-report"));
            assert_eq!(f.resource.id, "arn:aws:iam::1:user/bob");
        }
        let root = root_fallback("1");
        assert_eq!(root.len(), 2);
        assert!(
            root.iter()
                .all(|f| f.status == Status::Manual && f.resource.id == "arn:aws::::account/1")
        );
    }
}
