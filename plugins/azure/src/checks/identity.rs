//! Identity: multi-factor authentication for the accounts that can change a subscription.
//!
//! MFA and Conditional Access live in Microsoft Entra ID, not in Resource Graph or ARM. The one
//! trace of them an Azure export can hold is Defender for Cloud's assessment of the
//! subscription (Resource Graph `securityresources`, type `microsoft.security/assessments`,
//! `name` = the assessment key, `properties.status.code` Healthy | Unhealthy | NotApplicable):
//! "Accounts with owner / write / read permissions on Azure resources should be MFA enabled"
//! (and their deprecated predecessors). When the export has such an assessment for a
//! subscription, it decides; otherwise the finding is manual and names the Entra ID export that
//! would decide it.

use demarc_sdk::Finding;
use serde::Deserialize;

use super::and_list;
use crate::json::{Obj, Text, last_segment};
use crate::resource::{Resource, Subject};
use demarc_sdk::json::FieldError;

demarc_sdk::include_checks!("identity");

/// Defender for Cloud assessment keys about MFA on accounts with access to Azure resources:
/// the current ones (owner, write, read) and their deprecated predecessors.
pub const MFA_ASSESSMENTS: [(&str, &str); 6] = [
    ("6240402e-f77c-46fa-9060-a7ce53997754", "owner"),
    ("c0cb17b2-0607-48a7-b0e0-903ed22de39b", "write"),
    ("dabc9bc4-b8a8-45bd-9a5a-43000df8aa1c", "read"),
    ("94290b00-4d0c-d7b4-7cea-064a9554e681", "owner"),
    ("57e98606-6b1e-6193-0e3d-fe621387c16b", "write"),
    ("151e82c5-5341-a74b-1eb0-bc38d2c84bb5", "read"),
];

#[derive(Debug, Default, Deserialize)]
struct AssessmentProperties<'a> {
    #[serde(rename = "displayName", borrow, default)]
    display: Text<'a>,
    #[serde(borrow, default)]
    status: Obj<AssessmentStatus<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct AssessmentStatus<'a> {
    #[serde(borrow, default)]
    code: Text<'a>,
}

/// One MFA assessment of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaAssessment {
    /// Which accounts it is about: owner, write or read.
    pub scope: &'static str,
    /// Its display name.
    pub name: String,
    /// `status.code`.
    pub status: String,
}

/// The subscription and MFA assessment a Defender assessment is, when it is one of the MFA ones.
pub fn mfa_assessment<'a>(
    resource: &Resource<'a>,
) -> Result<Option<(String, MfaAssessment)>, FieldError<'a>> {
    let key = resource
        .name
        .non_empty()
        .unwrap_or_else(|| last_segment(resource.id()));
    let Some((_, scope)) = MFA_ASSESSMENTS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
    else {
        return Ok(None);
    };
    let Some(sub) = resource.subscription() else {
        return Ok(None);
    };
    let props: AssessmentProperties<'_> = resource.properties()?.unwrap_or_default();
    Ok(Some((
        sub.to_string(),
        MfaAssessment {
            scope,
            name: props
                .display
                .non_empty()
                .unwrap_or("MFA assessment")
                .to_string(),
            status: props
                .status
                .get()
                .and_then(|s| s.code.non_empty())
                .unwrap_or("(absent)")
                .to_string(),
        },
    )))
}

/// The MFA finding of a subscription, from its Defender assessments in the export.
pub fn subscription_finding(subscription: &Subject<'_>, assessments: &[MfaAssessment]) -> Finding {
    let label = subscription.label();
    let mut builder = subscription.finding(&MFA_PRIVILEGED);
    for a in assessments {
        builder = builder.evidence(
            format!("assessments/{} ({} access)", a.name, a.scope),
            &a.status,
        );
    }
    let unhealthy: Vec<String> = assessments
        .iter()
        .filter(|a| a.status.eq_ignore_ascii_case("Unhealthy"))
        .map(|a| format!("{} access", a.scope))
        .collect();
    if !unhealthy.is_empty() {
        return builder.fail(format!(
            "Defender for Cloud finds accounts with {} to subscription {label} that sign in without MFA.",
            and_list(&unhealthy)
        ));
    }
    if assessments
        .iter()
        .any(|a| a.status.eq_ignore_ascii_case("Healthy"))
    {
        return builder.pass(format!(
            "Defender for Cloud finds MFA on every account with access to subscription {label}."
        ));
    }
    builder.manual(format!(
        "MFA and Conditional Access are recorded in Microsoft Entra ID, not in this export: the Entra ID Conditional Access policies (Microsoft Graph `/identity/conditionalAccess/policies`) and the users' MFA registration report (`/reports/authenticationMethods/userRegistrationDetails`) for the tenant of subscription {label} decide it, or Defender for Cloud's MFA assessments from Resource Graph `securityresources`."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::resource;
    use demarc_sdk::Status;

    fn assessment(key: &str, code: &str) -> String {
        format!(
            r#"{{"id":"/subscriptions/s1/providers/Microsoft.Security/assessments/{key}","name":"{key}","type":"microsoft.security/assessments","subscriptionId":"s1",
            "properties":{{"displayName":"Accounts with owner permissions on Azure resources should be MFA enabled","resourceDetails":{{"Source":"Azure","Id":"/subscriptions/s1"}},"status":{{"code":"{code}"}}}}}}"#
        )
    }

    fn sub() -> Subject<'static> {
        resource(r#"{"id":"/subscriptions/s1","type":"Microsoft.Resources/subscriptions"}"#)
            .subject()
            .into_owned()
    }

    #[test]
    fn unhealthy_fails_healthy_passes() {
        let json = assessment("6240402e-f77c-46fa-9060-a7ce53997754", "Unhealthy");
        let r = resource(&json);
        let (s, a) = mfa_assessment(&r).unwrap().unwrap();
        assert_eq!((s.as_str(), a.scope), ("s1", "owner"));
        let f = subscription_finding(&sub(), std::slice::from_ref(&a));
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("owner access"));
        let json = assessment("C0CB17B2-0607-48A7-B0E0-903ED22DE39B", "Healthy");
        let r = resource(&json);
        let (_, healthy) = mfa_assessment(&r).unwrap().unwrap();
        assert_eq!(
            subscription_finding(&sub(), &[healthy]).status,
            Status::Pass
        );
    }

    #[test]
    fn no_assessment_is_manual_and_other_assessments_are_ignored() {
        let f = subscription_finding(&sub(), &[]);
        assert_eq!(f.status, Status::Manual);
        assert!(
            f.message.contains("Microsoft Entra ID") && f.message.contains("conditionalAccess")
        );
        let other = assessment("1195afff-c881-495e-9bc5-1486211ae03f", "Unhealthy");
        assert!(mfa_assessment(&resource(&other)).unwrap().is_none());
        let na = MfaAssessment {
            scope: "read",
            name: "x".into(),
            status: "NotApplicable".into(),
        };
        assert_eq!(subscription_finding(&sub(), &[na]).status, Status::Manual);
    }
}
