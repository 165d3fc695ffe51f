//! Role assignments: privileged built-in roles held by users at subscription scope or above,
//! and access held by identities from other tenants.
//!
//! Resource Graph's `authorizationresources` table holds `microsoft.authorization/
//! roleassignments` with `properties{roleDefinitionId, principalId, principalType (User | Group
//! | ServicePrincipal | ForeignGroup | Device), scope}`. Built-in roles are known by the GUID
//! that ends `roleDefinitionId`, never by name: names are not in the assignment, and custom
//! roles may reuse them.

use serde::Deserialize;

use super::Evaluated;
use crate::json::{Text, last_segment};
use crate::resource::Resource;

demarc_sdk::include_checks!("rbac");

/// Built-in role definition GUIDs and names.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// User Access Administrator.
pub const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
/// Reader.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// The privileged built-in roles.
const PRIVILEGED: [(&str, &str); 3] = [
    (OWNER, "Owner"),
    (CONTRIBUTOR, "Contributor"),
    (USER_ACCESS_ADMINISTRATOR, "User Access Administrator"),
];

#[derive(Debug, Default, Deserialize)]
struct AssignmentProperties<'a> {
    #[serde(rename = "roleDefinitionId", borrow, default)]
    role: Text<'a>,
    #[serde(rename = "principalId", borrow, default)]
    principal: Text<'a>,
    #[serde(rename = "principalType", borrow, default)]
    principal_type: Text<'a>,
    #[serde(borrow, default)]
    scope: Text<'a>,
}

/// How wide an assignment's scope is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// `/`: every subscription of the tenant.
    Root,
    /// A management group.
    ManagementGroup,
    /// A whole subscription.
    Subscription,
    /// A resource group or a resource.
    Narrower,
}

impl Scope {
    fn of(scope: &str) -> Scope {
        let s = scope.trim().trim_end_matches('/');
        let parts: Vec<&str> = s.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] => Scope::Root,
            [sub, _] if sub.eq_ignore_ascii_case("subscriptions") => Scope::Subscription,
            [p, ns, mg, _]
                if p.eq_ignore_ascii_case("providers")
                    && ns.eq_ignore_ascii_case("Microsoft.Management")
                    && mg.eq_ignore_ascii_case("managementGroups") =>
            {
                Scope::ManagementGroup
            }
            _ => Scope::Narrower,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Scope::Root => "the tenant root (every subscription)",
            Scope::ManagementGroup => "a management group (every subscription under it)",
            Scope::Subscription => "the whole subscription",
            Scope::Narrower => "a resource group or resource",
        }
    }
}

/// The scope of an assignment without `properties.scope`: its id up to
/// `/providers/Microsoft.Authorization/roleAssignments/`.
fn scope_from_id(id: &str) -> &str {
    let lower = id.to_ascii_lowercase();
    match lower.find("/providers/microsoft.authorization/roleassignments/") {
        Some(i) => &id[..i],
        None => "",
    }
}

/// The name of a built-in role GUID, when it is one of the well-known ones.
pub fn role_name(guid: &str) -> Option<&'static str> {
    PRIVILEGED
        .iter()
        .chain(std::iter::once(&(READER, "Reader")))
        .find(|(g, _)| g.eq_ignore_ascii_case(guid))
        .map(|(_, n)| *n)
}

/// Evaluate a role assignment.
pub fn evaluate<'a>(resource: &Resource<'a>) -> Evaluated<'a> {
    let props: AssignmentProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label().to_string();
    let guid = last_segment(props.role.get().unwrap_or(""));
    let role = role_name(guid);
    let privileged = PRIVILEGED.iter().any(|(g, _)| g.eq_ignore_ascii_case(guid));
    let role_shown = role.map_or_else(|| format!("role {guid}"), str::to_string);
    let scope_text = props
        .scope
        .non_empty()
        .unwrap_or_else(|| scope_from_id(resource.id()));
    let scope = Scope::of(scope_text);
    let principal = props.principal.non_empty().unwrap_or("?");
    let kind = props.principal_type.non_empty().unwrap_or("(absent)");
    let base = |check| {
        subject
            .finding(check)
            .evidence("properties.roleDefinitionId", props.role.shown())
            .evidence("properties.principalType", kind)
            .evidence("properties.principalId", principal)
            .evidence(
                "properties.scope",
                if scope_text.is_empty() {
                    "/"
                } else {
                    scope_text
                },
            )
    };

    let broad = matches!(
        scope,
        Scope::Root | Scope::ManagementGroup | Scope::Subscription
    );
    let is_user = props.principal_type.eq_ignore_case("User");
    let privileged_finding = if privileged && broad && is_user {
        base(&PRIVILEGED_ROLE_USER).fail(format!(
            "User {principal} holds {role_shown} on {} through standing assignment {label}.",
            scope.describe()
        ))
    } else if privileged && broad {
        base(&PRIVILEGED_ROLE_USER).pass(format!(
            "{role_shown} on {} is held by a {kind}, not an individual user.",
            scope.describe()
        ))
    } else if privileged {
        base(&PRIVILEGED_ROLE_USER).pass(format!(
            "{role_shown} is assigned on {}, not a whole subscription.",
            scope.describe()
        ))
    } else {
        base(&PRIVILEGED_ROLE_USER).pass(format!(
            "Assignment {label} grants {role_shown}, not Owner, Contributor or User Access Administrator."
        ))
    };

    let external = if props.principal_type.eq_ignore_case("ForeignGroup") {
        base(&EXTERNAL_PRINCIPAL).fail(format!(
            "A group from another tenant ({principal}) holds {role_shown} on {}.",
            scope.describe()
        ))
    } else if is_user && privileged {
        base(&EXTERNAL_PRINCIPAL).manual(format!(
            "User {principal} holds {role_shown}; whether it is a guest (userType Guest) is recorded in Microsoft Entra ID, not Resource Graph: the Entra ID users export (Microsoft Graph `GET /users/{principal}?$select=userType`) decides it."
        ))
    } else {
        base(&EXTERNAL_PRINCIPAL).pass(format!(
            "Assignment {label} is held by a {kind} of this tenant{}.",
            if privileged {
                ""
            } else {
                " and grants no privileged role"
            }
        ))
    };
    Ok(vec![privileged_finding, external])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, only, resource, status};
    use demarc_sdk::{Finding, Status};

    fn assignment(role: &str, principal_type: &str, scope: &str) -> String {
        format!(
            r#"{{"id":"{scope}/providers/Microsoft.Authorization/roleAssignments/0b7f3a52-4b1e-4c41-a7fd-3b6a8c5d9e01","name":"0b7f3a52-4b1e-4c41-a7fd-3b6a8c5d9e01","type":"microsoft.authorization/roleassignments","tenantId":"t1","location":"","subscriptionId":"s1",
            "properties":{{"roleDefinitionId":"/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/{role}","principalId":"6a1d2c3b-0000-4000-8000-000000000001","principalType":"{principal_type}","scope":"{scope}","createdOn":"2025-01-01T00:00:00Z"}}}}"#
        )
    }

    fn eval(json: &str) -> Vec<Finding> {
        let r = resource(json);
        evaluate(&r).unwrap()
    }

    #[test]
    fn a_user_owner_of_the_subscription_fails() {
        let f = eval(&assignment(OWNER, "User", "/subscriptions/s1"));
        let p = only(&f, PRIVILEGED_ROLE_USER.id);
        assert_eq!(p.status, Status::Fail);
        assert!(p.message.contains("Owner"));
        assert_eq!(p.region, "global");
        assert_eq!(p.account, "s1");
        assert_eq!(evidence(p, "properties.scope"), Some("/subscriptions/s1"));
        assert_eq!(status(&f, EXTERNAL_PRINCIPAL.id), Status::Manual);
        // Upper-case GUIDs and management-group scope.
        let mg = assignment(
            &USER_ACCESS_ADMINISTRATOR.to_uppercase(),
            "User",
            "/providers/Microsoft.Management/managementGroups/contoso",
        );
        assert_eq!(status(&eval(&mg), PRIVILEGED_ROLE_USER.id), Status::Fail);
        let root = assignment(CONTRIBUTOR, "User", "/");
        assert_eq!(status(&eval(&root), PRIVILEGED_ROLE_USER.id), Status::Fail);
    }

    #[test]
    fn groups_narrow_scopes_and_readers_pass() {
        for (role, kind, scope) in [
            (OWNER, "Group", "/subscriptions/s1"),
            (CONTRIBUTOR, "ServicePrincipal", "/subscriptions/s1"),
            (OWNER, "User", "/subscriptions/s1/resourceGroups/rg-app"),
            (READER, "User", "/subscriptions/s1"),
            (
                "4d97b98b-1d4f-4787-a291-c67834d212e7",
                "User",
                "/subscriptions/s1",
            ),
        ] {
            let f = eval(&assignment(role, kind, scope));
            assert_eq!(
                status(&f, PRIVILEGED_ROLE_USER.id),
                Status::Pass,
                "{role} {kind} {scope}"
            );
        }
        let reader = eval(&assignment(READER, "User", "/subscriptions/s1"));
        assert_eq!(status(&reader, EXTERNAL_PRINCIPAL.id), Status::Pass);
        let group = eval(&assignment(OWNER, "Group", "/subscriptions/s1"));
        assert_eq!(status(&group, EXTERNAL_PRINCIPAL.id), Status::Pass);
    }

    #[test]
    fn foreign_groups_fail() {
        let f = eval(&assignment(
            READER,
            "ForeignGroup",
            "/subscriptions/s1/resourceGroups/rg",
        ));
        assert_eq!(status(&f, EXTERNAL_PRINCIPAL.id), Status::Fail);
        assert_eq!(status(&f, PRIVILEGED_ROLE_USER.id), Status::Pass);
    }

    #[test]
    fn scope_from_the_id_when_properties_omit_it() {
        let json = format!(
            r#"{{"id":"/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/x","type":"Microsoft.Authorization/roleAssignments","properties":{{"roleDefinitionId":"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}","principalType":"User","principalId":"p"}}}}"#
        );
        assert_eq!(status(&eval(&json), PRIVILEGED_ROLE_USER.id), Status::Fail);
        assert_eq!(Scope::of("/subscriptions/s1/"), Scope::Subscription);
        assert_eq!(Scope::of(""), Scope::Root);
    }
}
