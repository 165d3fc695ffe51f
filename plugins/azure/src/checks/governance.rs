//! Governance: every workload resource names who owns it.
//!
//! "If it's not documented, it didn't happen": a resource without an owner is the forgotten dev
//! server of tomorrow. The check reads the resource's `tags` and is evaluated for virtual
//! machines, storage accounts, database servers, App Service and function apps and key vaults
//! by their service modules.

use demarc_sdk::Finding;

use crate::resource::Subject;

demarc_sdk::include_checks!("governance");

/// Tag keys that document ownership (compared ignoring ASCII case).
pub const OWNER_KEYS: [&str; 4] = ["owner", "owner-email", "team", "contact"];

/// Evaluate the owner tag of a resource.
pub fn owner_tag(subject: &Subject<'_>) -> Finding {
    let label = subject.label();
    let kind = &subject.native_type;
    if let Some((key, value)) = subject.tags.find_any(&OWNER_KEYS) {
        return subject
            .finding(&OWNER_TAG)
            .evidence(format!("tags.{key}"), value)
            .pass(format!(
                "{label} ({kind}) is owned by {value} (tag `{key}`)."
            ));
    }
    let keys: Vec<&str> = subject.tags.iter().map(|(k, _)| k).collect();
    let builder = subject.finding(&OWNER_TAG).evidence(
        "tags",
        if keys.is_empty() {
            "(none)".to_string()
        } else {
            keys.join(", ")
        },
    );
    let empty = keys
        .iter()
        .find(|k| OWNER_KEYS.iter().any(|o| k.trim().eq_ignore_ascii_case(o)));
    match empty {
        Some(key) => builder.evidence(format!("tags.{key}"), "(empty)").fail(format!(
            "{label} ({kind}) has an empty `{key}` tag, so nobody is accountable for it."
        )),
        None => builder.fail(format!(
            "{label} ({kind}) has no owner, owner-email, team or contact tag, so nobody is accountable for it."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, resource};
    use demarc_sdk::Status;

    #[test]
    fn owner_tag_in_any_case_passes() {
        let r = resource(
            r#"{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a","type":"microsoft.storage/storageaccounts","tags":{"Team":"data"}}"#,
        );
        let f = owner_tag(&r.subject());
        assert_eq!(f.status, Status::Pass);
        assert_eq!(evidence(&f, "tags.Team"), Some("data"));
    }

    #[test]
    fn missing_or_empty_owner_fails() {
        let r = resource(
            r#"{"id":"/subscriptions/s/x/a","type":"microsoft.compute/virtualmachines","tags":{"Owner":" ","env":"dev"}}"#,
        );
        let f = owner_tag(&r.subject());
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "tags"), Some("Owner, env"));
        assert_eq!(evidence(&f, "tags.Owner"), Some("(empty)"));
        let bare = resource(r#"{"id":"/subscriptions/s/x/b","type":"t","tags":null}"#);
        let f = owner_tag(&bare.subject());
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "tags"), Some("(none)"));
    }
}
