//! IAM policies of the resource hierarchy (organizations, folders, projects) and of Cloud KMS:
//! basic roles held by people, administrative roles held by service accounts, public
//! principals, and Cloud Audit Logs configuration.
//!
//! Public principals are judged on the IAM policy of every asset type Cloud Asset Inventory
//! records one for (BigQuery datasets, Pub/Sub topics, Cloud Run services, secrets, service
//! accounts, ...), not only on the hierarchy and keys: `allUsers` is the world on any of them.
//! Buckets are the exception: their public access is judged with the bucket's own settings by
//! `gcp-storage-bucket-public-access`.
//!
//! The binding checks read one IAM-policy line on its own. Audit logging is decided per project
//! at the end of the scan, because audit configurations are inherited: a project is covered
//! when its own policy together with those of its folders and organization (its `ancestors`)
//! turn on ADMIN_READ, DATA_READ and DATA_WRITE for `allServices` with no exempted members.

use demarc_sdk::{CheckDef, Finding, FindingBuilder};

use super::{IAM_EXPORT, and_list};
use crate::asset::{Asset, Kind, Subject};
use crate::iam::{AuditCoverage, Policy, Principal, grants, is_admin_role, is_owner_or_editor};

demarc_sdk::include_checks!("iam");

/// Asset types whose IAM policies `gcp-iam-public-principal` judges, with the word messages use.
/// A policy on a type not listed here is judged too, under the type its line names.
pub const POLICY_TYPE_WORDS: &[(&str, &str)] = &[
    ("cloudresourcemanager.googleapis.com/Project", "Project"),
    ("cloudresourcemanager.googleapis.com/Folder", "Folder"),
    (
        "cloudresourcemanager.googleapis.com/Organization",
        "Organization",
    ),
    ("cloudkms.googleapis.com/CryptoKey", "Key"),
    ("cloudkms.googleapis.com/KeyRing", "Key ring"),
    ("bigquery.googleapis.com/Dataset", "BigQuery dataset"),
    ("bigquery.googleapis.com/Table", "BigQuery table"),
    ("pubsub.googleapis.com/Topic", "Pub/Sub topic"),
    ("pubsub.googleapis.com/Subscription", "Pub/Sub subscription"),
    (
        "cloudfunctions.googleapis.com/CloudFunction",
        "Cloud Function",
    ),
    ("cloudfunctions.googleapis.com/Function", "Cloud Function"),
    ("run.googleapis.com/Service", "Cloud Run service"),
    ("secretmanager.googleapis.com/Secret", "Secret"),
    ("iam.googleapis.com/ServiceAccount", "Service account"),
    (
        "artifactregistry.googleapis.com/Repository",
        "Artifact Registry repository",
    ),
    ("compute.googleapis.com/Image", "Image"),
    ("compute.googleapis.com/Instance", "Instance"),
];

/// The asset types of [`POLICY_TYPE_WORDS`].
pub const POLICY_TYPES: &[&str] = &[
    "cloudresourcemanager.googleapis.com/Project",
    "cloudresourcemanager.googleapis.com/Folder",
    "cloudresourcemanager.googleapis.com/Organization",
    "cloudkms.googleapis.com/CryptoKey",
    "cloudkms.googleapis.com/KeyRing",
    "bigquery.googleapis.com/Dataset",
    "bigquery.googleapis.com/Table",
    "pubsub.googleapis.com/Topic",
    "pubsub.googleapis.com/Subscription",
    "cloudfunctions.googleapis.com/CloudFunction",
    "cloudfunctions.googleapis.com/Function",
    "run.googleapis.com/Service",
    "secretmanager.googleapis.com/Secret",
    "iam.googleapis.com/ServiceAccount",
    "artifactregistry.googleapis.com/Repository",
    "compute.googleapis.com/Image",
    "compute.googleapis.com/Instance",
];

/// The findings of one IAM-policy line of `kind`.
pub fn evaluate_policy(subject: &Subject<'_>, kind: Kind, policy: &Policy<'_>) -> Vec<Finding> {
    match kind {
        Kind::Project | Kind::Folder | Kind::Organization => vec![
            primitive_roles(subject, policy),
            service_account_admin(subject, policy),
            public_principal(subject, policy),
        ],
        Kind::CryptoKey | Kind::KeyRing => vec![public_principal(subject, policy)],
        _ => Vec::new(),
    }
}

/// The manual findings of a `kind` asset whose IAM policy is not in the export: no line of the
/// IAM-policy content type names it, so nothing says who holds which role on it.
pub fn policy_not_exported(subject: &Subject<'_>, kind: Kind) -> Vec<Finding> {
    let checks: &[&CheckDef] = match kind {
        Kind::Project | Kind::Folder | Kind::Organization => &[
            &PRIMITIVE_ROLE_HUMAN,
            &SERVICE_ACCOUNT_ADMIN,
            &PUBLIC_PRINCIPAL,
        ],
        _ => &[&PUBLIC_PRINCIPAL],
    };
    let scope = scope_word(subject);
    let label = subject.label();
    checks
        .iter()
        .map(|check| {
            subject
                .finding(check)
                .evidence("iam_policy", "(not in the export)")
                .manual(format!(
                    "The export holds no IAM policy of {} {label}, so who holds which role on it is unknown; {IAM_EXPORT} decides it.",
                    scope.to_ascii_lowercase()
                ))
        })
        .collect()
}

fn scope_word(subject: &Subject<'_>) -> &'static str {
    type_word(subject.native_type)
}

fn type_word(asset_type: &str) -> &'static str {
    POLICY_TYPE_WORDS
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(asset_type.trim()))
        .map_or("Resource", |(_, word)| word)
}

/// `gcp-iam-public-principal` on the IAM-policy line of any asset other than the hierarchy
/// (judged with [`evaluate_policy`]) and buckets (judged with their settings). The finding
/// carries the asset's current type, or the type as its line writes it when the plugin knows
/// no current name for it.
pub fn public_principal_of(asset: &Asset<'_>, kind: Kind, policy: &Policy<'_>) -> Finding {
    let subject = asset.subject(kind, Default::default());
    let written = asset.type_name();
    let native_type = match subject.native_type {
        "other" if !written.is_empty() => POLICY_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(written))
            .copied()
            .unwrap_or(written),
        known => known,
    };
    let start = || {
        FindingBuilder::new(
            &PUBLIC_PRINCIPAL,
            &subject.account,
            &subject.region,
            native_type,
            &subject.id,
        )
        .name(subject.name.as_deref())
        .observed_at(subject.observed_at.as_deref())
    };
    judge_public(type_word(native_type), subject.label(), start, policy)
}

fn listed(grants: &[(&str, &str)]) -> String {
    grants
        .iter()
        .map(|(role, member)| format!("{role} {member}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn primitive_roles(subject: &Subject<'_>, policy: &Policy<'_>) -> Finding {
    let label = subject.label();
    let what = scope_word(subject);
    let found = grants(policy, |role, who| {
        is_owner_or_editor(role) && who.is_human()
    });
    if found.is_empty() {
        return subject
            .finding(&PRIMITIVE_ROLE_HUMAN)
            .evidence(
                "bindings",
                "(no owner or editor grant to a user, group or domain)",
            )
            .pass(format!(
                "{what} {label} grants no basic Owner or Editor role to users, groups or domains."
            ));
    }
    subject
        .finding(&PRIMITIVE_ROLE_HUMAN)
        .evidence("bindings", listed(&found))
        .fail(format!(
            "{what} {label} grants basic roles to people: {}.",
            and_list(
                &found
                    .iter()
                    .map(|(r, m)| format!("{r} to {m}"))
                    .collect::<Vec<_>>()
            )
        ))
}

fn service_account_admin(subject: &Subject<'_>, policy: &Policy<'_>) -> Finding {
    let label = subject.label();
    let what = scope_word(subject);
    let found = grants(policy, |role, who| {
        who == Principal::ServiceAccount && is_admin_role(role)
    });
    if found.is_empty() {
        return subject
            .finding(&SERVICE_ACCOUNT_ADMIN)
            .evidence("bindings", "(no administrative grant to a service account)")
            .pass(format!(
                "{what} {label} grants no Owner, Editor or administrator role to a service account (Google-managed service agents aside)."
            ));
    }
    subject
        .finding(&SERVICE_ACCOUNT_ADMIN)
        .evidence("bindings", listed(&found))
        .fail(format!(
            "{what} {label} grants administrative roles to service accounts: {}.",
            and_list(
                &found
                    .iter()
                    .map(|(r, m)| format!("{r} to {m}"))
                    .collect::<Vec<_>>()
            )
        ))
}

fn public_principal(subject: &Subject<'_>, policy: &Policy<'_>) -> Finding {
    let start = || subject.finding(&PUBLIC_PRINCIPAL);
    judge_public(scope_word(subject), subject.label(), start, policy)
}

fn judge_public(
    what: &str,
    label: &str,
    start: impl Fn() -> FindingBuilder,
    policy: &Policy<'_>,
) -> Finding {
    let found = grants(policy, |_, who| who.is_public());
    if found.is_empty() {
        return start()
            .evidence("bindings", "(no allUsers or allAuthenticatedUsers member)")
            .pass(format!(
                "{what} {label} grants nothing to allUsers or allAuthenticatedUsers."
            ));
    }
    start().evidence("bindings", listed(&found)).fail(format!(
        "{what} {label} grants roles to the public: {}.",
        and_list(
            &found
                .iter()
                .map(|(r, m)| format!("{r} to {m}"))
                .collect::<Vec<_>>()
        )
    ))
}

/// One level of a project's hierarchy and what its IAM policy says about audit logging
/// (`None` when the export holds no IAM policy for it).
pub type Level<'l> = (&'l str, Option<&'l AuditCoverage>);

/// Decide a project's audit logging from its own policy (`own`, `None` when the export holds
/// none) and its ancestors' (folders and organization, nearest first).
pub fn audit_logging(
    subject: &Subject<'_>,
    own: Option<&AuditCoverage>,
    ancestors: &[Level<'_>],
) -> Finding {
    let label = subject.label();
    let mut effective = AuditCoverage::default();
    let mut levels = Vec::new();
    if let Some(own) = own {
        effective.merge(own);
        levels.push(format!("project: {}", own.describe()));
    }
    let mut unknown = Vec::new();
    for (name, coverage) in ancestors {
        match coverage {
            Some(c) => {
                effective.merge(c);
                levels.push(format!("{name}: {}", c.describe()));
            }
            None => unknown.push(*name),
        }
    }
    let mut builder = subject
        .finding(&AUDIT_LOGGING)
        .evidence(
            "auditConfigs[allServices] by level",
            if levels.is_empty() {
                "(no IAM policy in the export)".to_string()
            } else {
                levels.join("; ")
            },
        )
        .evidence("effective log types", effective.describe());
    if !effective.exempted.is_empty() {
        builder = builder.evidence("exemptedMembers", effective.exempted.join(", "));
    }
    if effective.complete() {
        return builder.pass(format!(
            "Project {label} logs ADMIN_READ, DATA_READ and DATA_WRITE for all services{}.",
            if own.is_some_and(AuditCoverage::complete) {
                String::new()
            } else {
                " through the audit configuration it inherits".to_string()
            }
        ));
    }
    if own.is_none() {
        return builder.manual(format!(
            "The export holds no IAM policy for project {label}, so its audit configuration is unknown; decide it from {IAM_EXPORT}."
        ));
    }
    if !unknown.is_empty() {
        return builder.manual(format!(
            "Project {label} does not turn on all Data Access logs itself ({} off), and the export holds no IAM policy for {}, which may; decide it from an IAM policy export of the organization (`gcloud asset export --organization=ORG_ID --content-type=iam-policy`).",
            and_list(&effective.missing()),
            and_list(&unknown)
        ));
    }
    let mut gaps: Vec<String> = effective
        .missing()
        .into_iter()
        .map(|t| format!("{t} is off"))
        .collect();
    if !effective.exempted.is_empty() {
        gaps.push(format!("{} exempted", and_list(&effective.exempted)));
    }
    builder.fail(format!(
        "Project {label} does not log data access for all services: {} (Admin Activity logs alone cannot show who read or changed data).",
        and_list(&gaps)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, evidence, line, only, status};
    use crate::iam::LogType;
    use crate::json::Labels;
    use demarc_sdk::Status;

    fn subject(kind: Kind, name: &str) -> Subject<'static> {
        let asset_type = kind.native_type("");
        let json = line(asset_type, name, "{}");
        let a = asset(&json);
        a.subject(kind, Labels::default()).into_owned()
    }

    fn policy(json: &str) -> Policy<'_> {
        serde_json::from_str(json).unwrap()
    }

    const PROJECT: &str = "//cloudresourcemanager.googleapis.com/projects/111";

    #[test]
    fn a_least_privilege_policy_passes() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/compute.admin","members":["group:ops@x.com"]},
            {"role":"roles/editor","members":["serviceAccount:111@cloudservices.gserviceaccount.com"]},
            {"role":"roles/storage.objectViewer","members":["serviceAccount:web@p.iam.gserviceaccount.com"]},
            {"role":"roles/viewer","members":["user:a@x.com"]}]}"#,
        );
        let f = evaluate_policy(&subject(Kind::Project, PROJECT), Kind::Project, &p);
        assert_eq!(f.len(), 3);
        for finding in &f {
            assert_eq!(finding.status, Status::Pass, "{}", finding.message);
        }
    }

    #[test]
    fn broad_and_public_grants_fail() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/owner","members":["user:dana@x.com","group:admins@x.com"]},
            {"role":"roles/editor","members":["serviceAccount:111-compute@developer.gserviceaccount.com"]},
            {"role":"roles/iam.securityAdmin","members":["serviceAccount:tf@seed.iam.gserviceaccount.com"]},
            {"role":"roles/viewer","members":["allAuthenticatedUsers"]}]}"#,
        );
        let f = evaluate_policy(&subject(Kind::Project, PROJECT), Kind::Project, &p);
        let prim = only(&f, PRIMITIVE_ROLE_HUMAN.id);
        assert_eq!(prim.status, Status::Fail);
        assert_eq!(
            evidence(prim, "bindings"),
            Some("roles/owner user:dana@x.com; roles/owner group:admins@x.com")
        );
        let sa = only(&f, SERVICE_ACCOUNT_ADMIN.id);
        assert_eq!(sa.status, Status::Fail);
        assert!(sa.message.contains("111-compute@developer"));
        assert!(sa.message.contains("roles/iam.securityAdmin"));
        assert_eq!(status(&f, PUBLIC_PRINCIPAL.id), Status::Fail);
    }

    #[test]
    fn keys_get_only_the_public_check() {
        let p = policy(
            r#"{"bindings":[{"role":"roles/cloudkms.cryptoKeyEncrypterDecrypter","members":["allUsers"]}]}"#,
        );
        let key = subject(
            Kind::CryptoKey,
            "//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r/cryptoKeys/k",
        );
        let f = evaluate_policy(&key, Kind::CryptoKey, &p);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Fail);
        assert!(f[0].message.starts_with("Key k grants"));
        assert!(evaluate_policy(&key, Kind::Bucket, &p).is_empty());
    }

    fn coverage(types: &[LogType]) -> AuditCoverage {
        AuditCoverage {
            types: types.to_vec(),
            exempted: vec![],
        }
    }

    #[test]
    fn audit_logging_through_the_hierarchy() {
        let s = subject(Kind::Project, PROJECT);
        let full = coverage(&LogType::ALL);
        let admin = coverage(&[LogType::AdminRead]);
        let none = AuditCoverage::default();
        // Own policy complete.
        assert_eq!(audit_logging(&s, Some(&full), &[]).status, Status::Pass);
        // Inherited from the organization.
        let f = audit_logging(&s, Some(&none), &[("organizations/9", Some(&full))]);
        assert_eq!(f.status, Status::Pass);
        assert!(f.message.contains("inherits"));
        // Partly on, every level known: fail naming what is off.
        let f = audit_logging(
            &s,
            Some(&admin),
            &[("folders/3", Some(&none)), ("organizations/9", Some(&none))],
        );
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.message.contains("DATA_WRITE is off and DATA_READ is off"),
            "{}",
            f.message
        );
        // An ancestor not in the export: manual.
        let f = audit_logging(&s, Some(&admin), &[("organizations/9", None)]);
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("organizations/9"));
        // No IAM policy for the project at all: manual.
        let f = audit_logging(&s, None, &[]);
        assert_eq!(f.status, Status::Manual);
        assert!(f.message.contains("iam-policy"));
        // Exemptions fail even with every type on.
        let exempt = AuditCoverage {
            types: LogType::ALL.to_vec(),
            exempted: vec!["user:ci@x.com".into()],
        };
        let f = audit_logging(&s, Some(&exempt), &[]);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(evidence(&f, "exemptedMembers"), Some("user:ci@x.com"));
    }

    #[test]
    fn the_judged_policy_types_and_their_words_agree() {
        let words: Vec<&str> = POLICY_TYPE_WORDS.iter().map(|(t, _)| *t).collect();
        assert_eq!(words, POLICY_TYPES);
    }
}
