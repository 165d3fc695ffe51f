//! Governance: every workload resource names who owns it.
//!
//! "If it's not documented, it didn't happen": a resource nobody owns is the forgotten dev
//! server of tomorrow. Google Cloud records ownership in labels (keys lowercase; values may not
//! hold `@`, so owners are written as `jane_doe` or a team name). The check is evaluated for
//! instances, buckets, Cloud SQL instances, functions and Cloud Run services by their modules.

use demarc_sdk::Finding;

use crate::asset::Subject;

demarc_sdk::include_checks!("governance");

/// Label keys that document ownership (compared ignoring ASCII case).
pub const OWNER_KEYS: [&str; 5] = ["owner", "owner-email", "owner_email", "team", "contact"];

/// Evaluate the owner label of a resource.
pub fn owner_label(subject: &Subject<'_>) -> Finding {
    let label = subject.label();
    let kind = subject.native_type;
    if let Some((key, value)) = subject.labels.find_any(&OWNER_KEYS) {
        return subject
            .finding(&OWNER_LABEL)
            .evidence(format!("labels.{key}"), value)
            .pass(format!(
                "{kind} {label} is owned by {value} (label `{key}`)."
            ));
    }
    let keys: Vec<&str> = subject.labels.iter().map(|(k, _)| k).collect();
    let builder = subject.finding(&OWNER_LABEL).evidence(
        "labels",
        if keys.is_empty() {
            "(none)".to_string()
        } else {
            keys.join(", ")
        },
    );
    match keys
        .iter()
        .find(|k| OWNER_KEYS.iter().any(|o| k.trim().eq_ignore_ascii_case(o)))
    {
        Some(key) => builder
            .evidence(format!("labels.{key}"), "(empty)")
            .fail(format!(
                "{kind} {label} has an empty `{key}` label, so nobody is accountable for it."
            )),
        None => builder.fail(format!(
            "{kind} {label} has no owner, owner-email, team or contact label, so nobody is accountable for it."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::Kind;
    use crate::checks::test_support::{asset, evidence, line};
    use crate::json::Labels;
    use demarc_sdk::Status;

    fn subject_with(labels: &str) -> Finding {
        let json = line(
            "storage.googleapis.com/Bucket",
            "//storage.googleapis.com/b",
            "{}",
        );
        let a = asset(&json);
        let labels: Labels<'_> = serde_json::from_str(labels).unwrap();
        owner_label(&a.subject(Kind::Bucket, labels))
    }

    #[test]
    fn an_owner_or_team_label_passes() {
        let f = subject_with(r#"{"Team":"data-platform"}"#);
        assert_eq!(f.status, Status::Pass);
        assert_eq!(evidence(&f, "labels.Team"), Some("data-platform"));
    }

    #[test]
    fn a_missing_or_empty_owner_fails() {
        let f = subject_with(r#"{"owner":" ","env":"dev"}"#);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "labels"), Some("owner, env"));
        assert!(f.message.contains("empty `owner`"));
        let f = subject_with("{}");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "labels"), Some("(none)"));
    }
}
