//! IAM policies as Cloud Asset Inventory records them, and what their members are.
//!
//! An `iam_policy` is a `google.iam.v1.Policy`: `bindings[{role, members[], condition?}]`,
//! `auditConfigs[{service, auditLogConfigs[{logType, exemptedMembers[]}]}]`, `etag`,
//! `version`. The export writes proto field names in places (`audit_configs`,
//! `audit_log_configs`, `log_type`, `exempted_members`) and log types either by name
//! (`DATA_READ`) or by number (`3`); every spelling is read. Members are `user:`, `group:`,
//! `serviceAccount:`, `domain:`, `deleted:…`, workforce/workload identity `principal://…`, and
//! the public principals `allUsers` and `allAuthenticatedUsers`.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{List, Text};

demarc_sdk::spelled_struct! {
    /// An IAM policy.
    #[derive(Debug)]
    pub struct Policy<'a> {
        /// Role bindings.
        pub bindings: List<Binding<'a>> = ["bindings"],
        /// Audit logging configuration (projects, folders, organizations).
        pub audit_configs: List<AuditConfig<'a>> = ["auditConfigs", "audit_configs"],
    }
}

/// One binding of a role to members.
#[derive(Debug, Default, Deserialize)]
pub struct Binding<'a> {
    /// `roles/owner`, `roles/storage.objectViewer`, `projects/p/roles/custom`, …
    #[serde(borrow, default)]
    pub role: Text<'a>,
    /// Members.
    #[serde(borrow, default)]
    pub members: List<Text<'a>>,
    /// An IAM condition, when the binding is conditional.
    #[serde(borrow, default)]
    pub condition: Option<&'a RawValue>,
}

demarc_sdk::spelled_struct! {
    /// Audit logging for one service (`allServices` for every service).
    #[derive(Debug)]
    pub struct AuditConfig<'a> {
        /// `allServices` or a service name such as `storage.googleapis.com`.
        pub service: Text<'a> = ["service"],
        /// Log types turned on.
        pub configs: List<AuditLogConfig<'a>> = ["auditLogConfigs", "audit_log_configs"],
    }
}

demarc_sdk::spelled_struct! {
    /// One log type turned on for a service.
    #[derive(Debug)]
    pub struct AuditLogConfig<'a> {
        /// `ADMIN_READ`, `DATA_WRITE`, `DATA_READ` (or 1, 2, 3).
        pub log_type: Text<'a> = ["logType", "log_type"],
        /// Principals whose access is not logged.
        pub exempted: List<Text<'a>> = ["exemptedMembers", "exempted_members"],
    }
}

/// The Data Access and Admin Read log types of Cloud Audit Logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogType {
    /// `ADMIN_READ` (1).
    AdminRead,
    /// `DATA_WRITE` (2).
    DataWrite,
    /// `DATA_READ` (3).
    DataRead,
}

impl LogType {
    /// All three, in order.
    pub const ALL: [LogType; 3] = [LogType::AdminRead, LogType::DataWrite, LogType::DataRead];

    /// Parse a log type by name or number.
    pub fn parse(s: &str) -> Option<LogType> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ADMIN_READ" | "1" => Some(LogType::AdminRead),
            "DATA_WRITE" | "2" => Some(LogType::DataWrite),
            "DATA_READ" | "3" => Some(LogType::DataRead),
            _ => None,
        }
    }

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogType::AdminRead => "ADMIN_READ",
            LogType::DataWrite => "DATA_WRITE",
            LogType::DataRead => "DATA_READ",
        }
    }
}

/// What the `allServices` audit configuration of one policy turns on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditCoverage {
    /// Log types on for all services.
    pub types: Vec<LogType>,
    /// Members exempted from any of them.
    pub exempted: Vec<String>,
}

impl AuditCoverage {
    /// The coverage of `policy`'s `allServices` configuration.
    pub fn of(policy: &Policy<'_>) -> AuditCoverage {
        let mut out = AuditCoverage::default();
        for config in policy.audit_configs.iter() {
            if !config.service.eq_ignore_case("allServices") {
                continue;
            }
            for log in config.configs.iter() {
                if let Some(t) = log.log_type.get().and_then(LogType::parse) {
                    out.add_type(t);
                }
                for member in log.exempted.iter().filter_map(|m| m.non_empty()) {
                    if !out.exempted.iter().any(|e| e == member) {
                        out.exempted.push(member.to_string());
                    }
                }
            }
        }
        out
    }

    fn add_type(&mut self, t: LogType) {
        if !self.types.contains(&t) {
            self.types.push(t);
            self.types.sort();
        }
    }

    /// Merge another level's coverage into this one (audit configs are inherited and add up).
    pub fn merge(&mut self, other: &AuditCoverage) {
        for t in &other.types {
            self.add_type(*t);
        }
        for e in &other.exempted {
            if !self.exempted.contains(e) {
                self.exempted.push(e.clone());
            }
        }
    }

    /// Whether all three log types are on for all services with no exemption.
    pub fn complete(&self) -> bool {
        LogType::ALL.iter().all(|t| self.types.contains(t)) && self.exempted.is_empty()
    }

    /// The log types that are off.
    pub fn missing(&self) -> Vec<&'static str> {
        LogType::ALL
            .iter()
            .filter(|t| !self.types.contains(t))
            .map(|t| t.as_str())
            .collect()
    }

    /// The log types that are on, for evidence.
    pub fn describe(&self) -> String {
        if self.types.is_empty() {
            "(none)".to_string()
        } else {
            self.types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// What kind of principal a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// `allUsers`: anyone on the internet.
    AllUsers,
    /// `allAuthenticatedUsers`: anyone with a Google account.
    AllAuthenticatedUsers,
    /// `user:`.
    User,
    /// `group:`.
    Group,
    /// `domain:`.
    Domain,
    /// `serviceAccount:` created or used by the customer.
    ServiceAccount,
    /// `serviceAccount:` of a Google-managed service agent.
    ServiceAgent,
    /// Deleted principals, workforce/workload identities, project convenience values, …
    Other,
}

impl Principal {
    /// Classify a member string.
    pub fn of(member: &str) -> Principal {
        let m = member.trim();
        if m.eq_ignore_ascii_case("allUsers") {
            return Principal::AllUsers;
        }
        if m.eq_ignore_ascii_case("allAuthenticatedUsers") {
            return Principal::AllAuthenticatedUsers;
        }
        let Some((kind, rest)) = m.split_once(':') else {
            return Principal::Other;
        };
        match kind {
            "user" => Principal::User,
            "group" => Principal::Group,
            "domain" => Principal::Domain,
            "serviceAccount" => {
                if is_service_agent(rest) {
                    Principal::ServiceAgent
                } else {
                    Principal::ServiceAccount
                }
            }
            _ => Principal::Other,
        }
    }

    /// Whether the member is one of the two public principals.
    pub fn is_public(self) -> bool {
        matches!(self, Principal::AllUsers | Principal::AllAuthenticatedUsers)
    }

    /// Whether the member is a person or a set of people.
    pub fn is_human(self) -> bool {
        matches!(self, Principal::User | Principal::Group | Principal::Domain)
    }
}

/// Google-managed service agents: Google grants them roles (the Google APIs Service Agent
/// `N@cloudservices.gserviceaccount.com` holds `roles/editor` in every project) and the customer
/// cannot use them as identities, so they are not the customer's least-privilege problem.
pub fn is_service_agent(email: &str) -> bool {
    let Some((_, domain)) = email.trim().rsplit_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    domain == "cloudservices.gserviceaccount.com"
        || domain.starts_with("gcp-sa-")
        || domain.contains("-robot.")
        || domain.contains("robot-prod.")
        || domain == "compute-system.iam.gserviceaccount.com"
}

/// Whether `email` is the Compute Engine default service account (`N-compute@developer…`).
pub fn is_default_compute_sa(email: &str) -> bool {
    let email = email.trim();
    let Some(local) = email
        .strip_suffix("-compute@developer.gserviceaccount.com")
        .or_else(|| {
            let lower = email.to_ascii_lowercase();
            lower
                .ends_with("-compute@developer.gserviceaccount.com")
                .then(|| &email[..email.len() - "-compute@developer.gserviceaccount.com".len()])
        })
    else {
        return false;
    };
    !local.is_empty() && local.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `role` is a basic (primitive) role that grants write access project-wide.
pub fn is_owner_or_editor(role: &str) -> bool {
    let r = role.trim();
    r == "roles/owner" || r == "roles/editor"
}

/// Whether `role` is an administrative role, close to the sense of CIS Google Cloud 5.0 1.6:
/// owner, editor, or any predefined role whose name ends in `admin` (`roles/iam.securityAdmin`,
/// `roles/storage.admin`, `roles/resourcemanager.organizationAdmin`).
pub fn is_admin_role(role: &str) -> bool {
    let r = role.trim();
    if is_owner_or_editor(r) {
        return true;
    }
    r.starts_with("roles/") && r.to_ascii_lowercase().ends_with("admin")
}

/// The members of `policy` matching `keep`, each with its role, for evidence.
pub fn grants<'p>(
    policy: &'p Policy<'_>,
    mut keep: impl FnMut(&str, Principal) -> bool,
) -> Vec<(&'p str, &'p str)> {
    let mut out = Vec::new();
    for binding in policy.bindings.iter() {
        let role = binding.role.get().map(str::trim).unwrap_or("");
        for member in binding.members.iter().filter_map(|m| m.non_empty()) {
            if keep(role, Principal::of(member)) {
                out.push((role, member));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_in_both_spellings() {
        let json = r#"{"version":1,"etag":"BwYx","bindings":[{"role":"roles/owner","members":["user:a@x.com"]},
            {"role":"roles/viewer","members":["allUsers"],"condition":{"expression":"request.time < timestamp('2027-01-01T00:00:00Z')"}}],
            "auditConfigs":[{"service":"allServices","auditLogConfigs":[{"logType":"ADMIN_READ"},{"logType":"DATA_WRITE","exemptedMembers":["user:b@x.com"]}]},
            {"service":"storage.googleapis.com","auditLogConfigs":[{"logType":"DATA_READ"}]}]}"#;
        let p: Policy<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(p.bindings.len(), 2);
        assert!(p.bindings.0[1].condition.is_some());
        let c = AuditCoverage::of(&p);
        assert_eq!(c.types, vec![LogType::AdminRead, LogType::DataWrite]);
        assert_eq!(c.exempted, vec!["user:b@x.com"]);
        assert!(!c.complete());
        assert_eq!(c.missing(), vec!["DATA_READ"]);

        let proto = r#"{"bindings":[],"audit_configs":[{"service":"allServices","audit_log_configs":[{"log_type":1},{"log_type":2},{"log_type":"DATA_READ"}]}]}"#;
        let p: Policy<'_> = serde_json::from_str(proto).unwrap();
        let c = AuditCoverage::of(&p);
        assert!(c.complete(), "{c:?}");
        assert_eq!(c.describe(), "ADMIN_READ, DATA_WRITE, DATA_READ");
    }

    #[test]
    fn coverage_adds_up_across_levels() {
        let mut a = AuditCoverage {
            types: vec![LogType::AdminRead],
            exempted: vec![],
        };
        let b = AuditCoverage {
            types: vec![LogType::DataRead, LogType::DataWrite],
            exempted: vec![],
        };
        a.merge(&b);
        assert!(a.complete());
        assert_eq!(AuditCoverage::default().describe(), "(none)");
    }

    #[test]
    fn members_are_classified() {
        assert_eq!(Principal::of("allUsers"), Principal::AllUsers);
        assert_eq!(
            Principal::of("allAuthenticatedUsers"),
            Principal::AllAuthenticatedUsers
        );
        assert!(Principal::of("allUsers").is_public());
        assert_eq!(Principal::of("user:a@x.com"), Principal::User);
        assert!(Principal::of("group:g@x.com").is_human());
        assert!(Principal::of("domain:x.com").is_human());
        assert_eq!(
            Principal::of("serviceAccount:ci@p.iam.gserviceaccount.com"),
            Principal::ServiceAccount
        );
        assert_eq!(
            Principal::of("serviceAccount:123@cloudservices.gserviceaccount.com"),
            Principal::ServiceAgent
        );
        assert_eq!(
            Principal::of("serviceAccount:service-123@gcp-sa-cloudkms.iam.gserviceaccount.com"),
            Principal::ServiceAgent
        );
        assert_eq!(
            Principal::of(
                "serviceAccount:service-1@container-engine-robot.iam.gserviceaccount.com"
            ),
            Principal::ServiceAgent
        );
        assert_eq!(
            Principal::of("deleted:user:old@x.com?uid=123"),
            Principal::Other
        );
        assert_eq!(Principal::of("projectOwner:p"), Principal::Other);
    }

    #[test]
    fn default_compute_service_account_and_roles() {
        assert!(is_default_compute_sa(
            "418203957711-compute@developer.gserviceaccount.com"
        ));
        assert!(!is_default_compute_sa(
            "web-compute@developer.gserviceaccount.com"
        ));
        assert!(!is_default_compute_sa(
            "418203957711@cloudservices.gserviceaccount.com"
        ));
        assert!(is_owner_or_editor("roles/editor"));
        assert!(!is_owner_or_editor("roles/viewer"));
        assert!(is_admin_role("roles/iam.securityAdmin"));
        assert!(is_admin_role("roles/storage.admin"));
        assert!(!is_admin_role("roles/storage.objectViewer"));
        assert!(!is_admin_role("projects/p/roles/admin"));
    }

    #[test]
    fn grants_list_members_with_roles() {
        let p: Policy<'_> = serde_json::from_str(
            r#"{"bindings":[{"role":"roles/editor","members":["user:a@x.com","serviceAccount:1@cloudservices.gserviceaccount.com",null]}]}"#,
        )
        .unwrap();
        let humans = grants(&p, |role, who| is_owner_or_editor(role) && who.is_human());
        assert_eq!(humans, vec![("roles/editor", "user:a@x.com")]);
    }

    #[test]
    fn every_spelling_of_a_policy_at_once() {
        demarc_sdk::assert_every_spelling!(
            AuditLogConfig<'_>,
            r#"{"logType":"DATA_READ","exemptedMembers":["user:a@example.com"]}"#
        );
        demarc_sdk::assert_every_spelling!(
            AuditConfig<'_>,
            r#"{"service":"allServices","auditLogConfigs":[{"logType":"DATA_READ"}]}"#
        );
        demarc_sdk::assert_every_spelling!(
            Policy<'_>,
            r#"{"bindings":[{"role":"roles/viewer","members":["allUsers"]}],"auditConfigs":[{"service":"allServices"}]}"#
        );
    }
}
