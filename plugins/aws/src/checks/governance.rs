//! Governance: every workload resource names who owns it.
//!
//! "If it's not documented, it didn't happen": a resource without an owner is the forgotten dev
//! server of tomorrow. The check reads the item's tags (or, for older items, the tag list inside
//! `configuration`) and is evaluated for instances, buckets, databases and functions by their
//! service modules.

use demarc_sdk::Finding;

use crate::config_item::Subject;

demarc_sdk::include_checks!("governance");

/// Tag keys that document ownership (compared ignoring ASCII case).
pub const OWNER_KEYS: [&str; 4] = ["owner", "owner-email", "team", "contact"];

/// Evaluate the owner tag of a resource.
pub fn owner_tag(subject: &Subject<'_, '_>) -> Finding {
    let label = subject.label();
    let kind = subject.item.kind();
    match subject.tags.find_any(&OWNER_KEYS) {
        Some((key, value)) => subject
            .finding(&OWNER_TAG)
            .evidence(format!("tags.{key}"), value)
            .pass(format!("{kind} {label} is owned by {value} (tag `{key}`).")),
        None if subject.tags.0.is_empty()
            && subject
                .item
                .tags
                .is_none_or(|raw| raw.get().trim() == "null") =>
        {
            subject
                .finding(&OWNER_TAG)
                .evidence("tags", "(absent)")
                .manual(format!(
                    "AWS Config recorded {kind} {label} without its tags, so the snapshot cannot say who owns it; `aws resourcegroupstaggingapi get-resources` (or a snapshot that records tags) decides it."
                ))
        }
        None => {
            let keys: Vec<&str> = subject.tags.iter().map(|(k, _)| k).collect();
            let empty = subject
                .tags
                .iter()
                .find(|(k, _)| OWNER_KEYS.iter().any(|o| k.trim().eq_ignore_ascii_case(o)));
            let builder = subject.finding(&OWNER_TAG).evidence(
                "tags",
                if keys.is_empty() {
                    "(none)".to_string()
                } else {
                    keys.join(", ")
                },
            );
            match empty {
                Some((key, _)) => builder.evidence(format!("tags.{key}"), "(empty)").fail(format!(
                    "{kind} {label} has an empty `{key}` tag, so nobody is accountable for it."
                )),
                None => builder.fail(format!(
                    "{kind} {label} has no owner, owner-email, team or contact tag, so nobody is accountable for it."
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, item};
    use demarc_sdk::Status;

    #[test]
    fn owner_tag_in_any_case_passes() {
        let i =
            item(r#"{"resourceType":"AWS::S3::Bucket","resourceName":"b","tags":{"Team":"data"}}"#);
        let f = owner_tag(&i.subject());
        assert_eq!(f.status, Status::Pass);
        assert_eq!(evidence(&f, "tags.Team"), Some("data"));
    }

    #[test]
    fn missing_or_empty_owner_fails() {
        let i = item(
            r#"{"resourceType":"AWS::S3::Bucket","resourceName":"b","tags":{"owner":" ","Name":"b"}}"#,
        );
        let f = owner_tag(&i.subject());
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "tags"), Some("owner, Name"));
        let untagged = item(r#"{"resourceType":"AWS::S3::Bucket","tags":{}}"#);
        assert_eq!(owner_tag(&untagged.subject()).status, Status::Fail);
    }

    #[test]
    fn tags_not_recorded_are_manual() {
        for json in [
            r#"{"resourceType":"AWS::S3::Bucket","resourceName":"b"}"#,
            r#"{"resourceType":"AWS::S3::Bucket","resourceName":"b","tags":null}"#,
        ] {
            let f = owner_tag(&item(json).subject());
            assert_eq!(f.status, Status::Manual, "{json}");
            assert!(f.message.contains("without its tags"), "{}", f.message);
        }
    }

    #[test]
    fn legacy_tag_lists_are_a_fallback() {
        let i = item(r#"{"resourceType":"AWS::EC2::Instance","tags":{}}"#);
        let fallback =
            serde_json::from_str(r#"[{"key":"contact","value":"ops@example.com"}]"#).unwrap();
        let f = owner_tag(&i.subject().with_fallback_tags(fallback));
        assert_eq!(f.status, Status::Pass);
    }
}
