//! IAM policies, roles, users and groups: administrator wildcards and public role trust.
//!
//! The documents are URL-encoded JSON strings in AWS Config items: a managed policy's versions
//! (`policyVersionList[].document`, the one with `isDefaultVersion` is in force), a role's trust
//! policy (`assumeRolePolicyDocument`) and the inline policies of roles, users and groups
//! (`rolePolicyList`, `userPolicyList`, `groupPolicyList`, each `{policyName, policyDocument}`).
//! AWS-managed policies (`arn:aws:iam::aws:policy/…`) are AWS's to write and are not assessed.

use demarc_sdk::{CheckDef, Finding, FindingBuilder, Status};
use serde_json::value::RawValue;

use super::{Evaluated, and_list};
use crate::config_item::{ConfigItem, Subject};
use crate::policy::{self, PolicyDocument, PolicyError, Statement};
use demarc_sdk::json::{Flag, List, Text};

demarc_sdk::include_checks!("iam");

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Identity<'a> {
        arn: Text<'a> = ["arn", "Arn"],
        default_version: Text<'a> = ["defaultVersionId", "DefaultVersionId"],
        versions: List<PolicyVersion<'a>> = ["policyVersionList", "PolicyVersionList"],
        trust: Option<&'a RawValue> = ["assumeRolePolicyDocument", "AssumeRolePolicyDocument"],
        role_policies: List<InlinePolicy<'a>> = ["rolePolicyList", "RolePolicyList"],
        user_policies: List<InlinePolicy<'a>> = ["userPolicyList", "UserPolicyList"],
        group_policies: List<InlinePolicy<'a>> = ["groupPolicyList", "GroupPolicyList"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct PolicyVersion<'a> {
        document: Option<&'a RawValue> = ["document", "Document"],
        version_id: Text<'a> = ["versionId", "VersionId"],
        is_default: Flag = ["isDefaultVersion", "IsDefaultVersion"],
    }
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct InlinePolicy<'a> {
        name: Text<'a> = ["policyName", "PolicyName"],
        document: Option<&'a RawValue> = ["policyDocument", "PolicyDocument"],
    }
}

/// Whether `arn` is an AWS-managed policy (`arn:<partition>:iam::aws:policy/…`).
pub fn is_aws_managed(arn: &str) -> bool {
    let parts: Vec<&str> = arn.trim().splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "iam", "", "aws", rest] if rest.starts_with("policy/"))
}

/// Evaluate an `AWS::IAM::Policy`, `Role`, `User` or `Group` item.
pub fn evaluate<'a>(item: &ConfigItem<'a>) -> Evaluated<'a> {
    let mut buf = None;
    let identity: Identity<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let subject = item.subject();
    if !super::recorded(item) {
        let describe = "aws iam get-account-authorization-details";
        let checks: &[(&CheckDef, &str)] = match item.kind() {
            "AWS::IAM::Role" => &[
                (&POLICY_ADMIN_WILDCARD, describe),
                (&ROLE_PUBLIC_TRUST, describe),
            ],
            _ => &[(&POLICY_ADMIN_WILDCARD, describe)],
        };
        return Ok(super::unrecorded(&subject, checks, "configuration"));
    }
    let mut findings = Vec::with_capacity(2);
    match item.kind() {
        "AWS::IAM::Policy" => findings.push(managed_policy(&subject, &identity)),
        "AWS::IAM::Role" => {
            findings.push(inline_policies(
                &subject,
                "role",
                "rolePolicyList",
                &identity.role_policies,
            ));
            findings.push(public_trust(&subject, identity.trust));
        }
        "AWS::IAM::User" => findings.push(inline_policies(
            &subject,
            "user",
            "userPolicyList",
            &identity.user_policies,
        )),
        _ => findings.push(inline_policies(
            &subject,
            "group",
            "groupPolicyList",
            &identity.group_policies,
        )),
    }
    Ok(findings)
}

/// The outcome of scanning documents for admin wildcards.
#[derive(Default)]
struct WildcardScan {
    /// Offending statements: evidence key, evidence value, message fragment.
    hits: Vec<(String, String, String)>,
    /// Documents that could not be read: evidence key and reason.
    unreadable: Vec<(String, String)>,
    /// Documents read: evidence key and a summary, the evidence of a pass.
    read: Vec<(String, String)>,
}

impl WildcardScan {
    fn document(&mut self, path: String, name: &str, raw: Option<&RawValue>) {
        let Some(raw) = raw else { return };
        match read(raw, |doc| {
            let hits = doc
                .statements
                .0
                .iter()
                .enumerate()
                .filter(|(_, s)| is_admin_wildcard(s))
                .map(|(i, s)| {
                    (
                        i,
                        format!(
                            "Effect=Allow Action={} Resource={}",
                            s.action.joined(),
                            s.resource.joined()
                        ),
                    )
                })
                .collect::<Vec<_>>();
            (doc.statements.0.len(), hits)
        }) {
            Ok(Some((statements, hits))) => {
                self.read.push((
                    path.clone(),
                    format!(
                        "policy {name}: {}, none allows Action * on Resource *",
                        super::count(statements as u64, "statement", "statements")
                    ),
                ));
                for (i, text) in hits {
                    self.hits.push((
                        format!("{path}.Statement[{i}]"),
                        format!("policy {name}: {text}"),
                        format!("{name} (statement {i})"),
                    ));
                }
            }
            Ok(None) => {}
            Err(e) => self.unreadable.push((path, format!("policy {name}: {e}"))),
        }
    }

    /// The finding: `fail` on a hit, else `error` (followed by why each unreadable document
    /// could not be read) when a document cannot be read, else `pass`.
    fn finish(self, builder: FindingBuilder, fail: String, error: String, pass: String) -> Finding {
        let mut builder = builder;
        if !self.hits.is_empty() {
            for (key, value, _) in self.hits {
                builder = builder.evidence(key, value);
            }
            return builder.fail(fail);
        }
        if !self.unreadable.is_empty() {
            let reasons: Vec<&str> = self.unreadable.iter().map(|(_, v)| v.as_str()).collect();
            let message = format!("{error} ({}).", reasons.join("; "));
            for (key, value) in self.unreadable {
                builder = builder.evidence(key, value);
            }
            return builder.status(Status::Error, message);
        }
        for (key, value) in self.read {
            builder = builder.evidence(key, value);
        }
        builder.pass(pass)
    }
}

/// Decode and parse a document, then apply `f`; `Ok(None)` for an empty document.
fn read<R>(
    raw: &RawValue,
    f: impl FnOnce(&PolicyDocument<'_>) -> R,
) -> Result<Option<R>, PolicyError> {
    let Some(text) = policy::decode(raw)? else {
        return Ok(None);
    };
    let doc = PolicyDocument::parse(&text)?;
    Ok(Some(f(&doc)))
}

fn is_admin_wildcard(s: &Statement<'_>) -> bool {
    s.is_allow() && s.allows_all_actions() && s.on_all_resources()
}

fn managed_policy(subject: &Subject<'_, '_>, identity: &Identity<'_>) -> Finding {
    let item = subject.item;
    let label = subject.label();
    let arn = identity.arn.non_empty().unwrap_or_else(|| item.id());
    let builder = subject.finding(&POLICY_ADMIN_WILDCARD);
    if is_aws_managed(arn) {
        return builder.evidence("ARN", arn).not_applicable(format!(
            "Policy {label} is AWS-managed; AWS writes and maintains it."
        ));
    }
    let versions = &identity.versions.0;
    let default = versions
        .iter()
        .position(|v| v.is_default.is_true())
        .or_else(|| {
            let wanted = identity.default_version.non_empty()?;
            versions
                .iter()
                .position(|v| v.version_id.non_empty() == Some(wanted))
        })
        .or_else(|| (versions.len() == 1).then_some(0));
    let Some(index) = default.filter(|i| versions[*i].document.is_some()) else {
        return builder
            .evidence("configuration.policyVersionList", format!("{}, no default document", super::count(versions.len() as u64, "version", "versions")))
            .manual(format!(
                "The configuration item of policy {label} does not record its default version's document; check it with `aws iam get-policy-version`."
            ));
    };
    let version = &versions[index];
    let version_id = version.version_id.non_empty().unwrap_or("default");
    let mut scan = WildcardScan::default();
    scan.document(
        format!("configuration.policyVersionList[{index}].document"),
        &format!("{label} ({version_id})"),
        version.document,
    );
    scan.finish(
        builder,
        format!(
            "Policy {label} ({version_id}) allows every action on every resource, making anyone it is attached to an administrator."
        ),
        format!("Policy {label} ({version_id}): the default version's document cannot be read"),
        format!("Policy {label} ({version_id}) does not allow every action on every resource."),
    )
}

fn inline_policies(
    subject: &Subject<'_, '_>,
    kind: &str,
    field: &str,
    policies: &List<InlinePolicy<'_>>,
) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&POLICY_ADMIN_WILDCARD);
    if policies.is_empty() {
        return builder
            .evidence(format!("configuration.{field}"), "(none)")
            .pass(format!(
                "IAM {kind} {label} has no inline policy; its managed policies are assessed as AWS::IAM::Policy items."
            ));
    }
    let mut scan = WildcardScan::default();
    for (i, p) in policies.iter().enumerate() {
        let name = p.name.non_empty().unwrap_or("(unnamed)");
        scan.document(
            format!("configuration.{field}[{i}].policyDocument"),
            name,
            p.document,
        );
    }
    let names: Vec<String> = scan.hits.iter().map(|(_, _, m)| m.clone()).collect();
    scan.finish(
        builder,
        format!(
            "IAM {kind} {label} has an inline policy allowing every action on every resource: {}.",
            and_list(&names)
        ),
        format!("IAM {kind} {label}: an inline policy document cannot be read"),
        if policies.0.len() == 1 {
            format!(
                "The inline policy of IAM {kind} {label} does not allow every action on every resource."
            )
        } else {
            format!(
                "None of the {} inline policies of IAM {kind} {label} allows every action on every resource.",
                policies.0.len()
            )
        },
    )
}

fn public_trust(subject: &Subject<'_, '_>, raw: Option<&RawValue>) -> Finding {
    let label = subject.label();
    let path = "configuration.assumeRolePolicyDocument";
    let builder = subject.finding(&ROLE_PUBLIC_TRUST);
    let result = raw.map(|raw| {
        read(raw, |doc| {
            let principals: Vec<String> = doc
                .statements
                .0
                .iter()
                .filter(|s| s.is_allow())
                .map(|s| {
                    let who = s
                        .principal
                        .as_ref()
                        .map(|p| p.describe())
                        .unwrap_or_default();
                    if s.has_condition() {
                        format!("{who} (with Condition)")
                    } else {
                        who
                    }
                })
                .collect();
            let principals = format!("Allow principals: {}", principals.join("; "));
            let hits = doc
                .statements
                .0
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_allow() && s.principal_is_public() && !s.has_condition())
                .map(|(i, s)| {
                    (
                        format!("{path}.Statement[{i}]"),
                        format!(
                            "Effect=Allow Principal={} Action={} (no Condition)",
                            s.principal
                                .as_ref()
                                .map(|p| p.describe())
                                .unwrap_or_default(),
                            s.action.joined()
                        ),
                    )
                })
                .collect::<Vec<_>>();
            (principals, hits)
        })
    });
    match result {
        None | Some(Ok(None)) => builder.evidence(path, "(absent)").manual(format!(
            "The configuration item of role {label} does not record its trust policy; check it with `aws iam get-role`."
        )),
        Some(Err(e)) => builder
            .evidence(path, e.to_string())
            .status(Status::Error, format!("Role {label}: the trust policy cannot be read ({e}).")),
        Some(Ok(Some((principals, hits)))) if hits.is_empty() => builder
            .evidence(path, principals)
            .pass(format!(
                "Role {label} can be assumed only by the principals its trust policy names or conditions."
            )),
        Some(Ok(Some((_, hits)))) => {
            let mut builder = builder;
            for (key, value) in hits {
                builder = builder.evidence(key, value);
            }
            builder.fail(format!(
                "Role {label} trusts every AWS principal (\"*\") without a condition: anyone can assume it."
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, item, only, status};

    /// Percent-encode a document the way AWS Config does.
    fn encode(doc: &str) -> String {
        percent_encoding::utf8_percent_encode(doc, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    const ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":["*"],"Resource":"*"}]}"#;
    const READ_ONLY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#;

    fn run(kind: &str, arn: &str, config: &str) -> Vec<Finding> {
        let json = format!(
            r#"{{"resourceType":"{kind}","resourceId":"AIDA","resourceName":"thing","awsAccountId":"111122223333","awsRegion":"global","ARN":"{arn}","configuration":{config}}}"#
        );
        let i = item(&json);
        evaluate(&i).unwrap()
    }

    #[test]
    fn managed_policy_default_version_with_wildcard_fails() {
        let config = format!(
            r#"{{"policyName":"too-broad","arn":"arn:aws:iam::111122223333:policy/too-broad","defaultVersionId":"v2",
            "policyVersionList":[{{"document":"{}","versionId":"v1","isDefaultVersion":false}},{{"document":"{}","versionId":"v2","isDefaultVersion":true}}]}}"#,
            encode(READ_ONLY),
            encode(ADMIN)
        );
        let findings = run(
            "AWS::IAM::Policy",
            "arn:aws:iam::111122223333:policy/too-broad",
            &config,
        );
        let f = only(&findings, POLICY_ADMIN_WILDCARD.id);
        assert_eq!(f.status, Status::Fail, "{}", f.message);
        assert_eq!(
            evidence(
                f,
                "configuration.policyVersionList[1].document.Statement[1]"
            ),
            Some("policy thing (v2): Effect=Allow Action=* Resource=*")
        );
    }

    #[test]
    fn a_non_default_admin_version_does_not_count() {
        let config = format!(
            r#"{{"arn":"arn:aws:iam::1:policy/p","policyVersionList":[{{"document":"{}","versionId":"v1","isDefaultVersion":"false"}},{{"document":"{}","versionId":"v2","isDefaultVersion":"true"}}]}}"#,
            encode(ADMIN),
            encode(READ_ONLY)
        );
        assert_eq!(
            status(
                &run("AWS::IAM::Policy", "arn:aws:iam::1:policy/p", &config),
                POLICY_ADMIN_WILDCARD.id
            ),
            Status::Pass
        );
    }

    #[test]
    fn aws_managed_policies_are_not_applicable() {
        let config = format!(
            r#"{{"policyVersionList":[{{"document":"{}","isDefaultVersion":true}}]}}"#,
            encode(ADMIN)
        );
        let findings = run(
            "AWS::IAM::Policy",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            &config,
        );
        assert_eq!(
            status(&findings, POLICY_ADMIN_WILDCARD.id),
            Status::NotApplicable
        );
        assert!(is_aws_managed(
            "arn:aws-us-gov:iam::aws:policy/service-role/X"
        ));
        assert!(!is_aws_managed("arn:aws:iam::123456789012:policy/aws"));
    }

    #[test]
    fn a_policy_without_documents_is_manual() {
        let findings = run(
            "AWS::IAM::Policy",
            "arn:aws:iam::1:policy/p",
            r#"{"policyVersionList":[]}"#,
        );
        assert_eq!(status(&findings, POLICY_ADMIN_WILDCARD.id), Status::Manual);
    }

    #[test]
    fn inline_policies_of_users_groups_and_roles() {
        let user = format!(
            r#"{{"userName":"bob","userPolicyList":[{{"policyName":"god","policyDocument":"{}"}}]}}"#,
            encode(r#"{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":["*"]}]}"#)
        );
        let f = run("AWS::IAM::User", "arn:aws:iam::1:user/bob", &user);
        assert_eq!(status(&f, POLICY_ADMIN_WILDCARD.id), Status::Fail);
        assert!(
            only(&f, POLICY_ADMIN_WILDCARD.id)
                .message
                .contains("god (statement 0)")
        );

        let group = format!(
            r#"{{"groupPolicyList":[{{"policyName":"ro","policyDocument":"{}"}}]}}"#,
            encode(READ_ONLY)
        );
        assert_eq!(
            status(
                &run("AWS::IAM::Group", "arn:aws:iam::1:group/g", &group),
                POLICY_ADMIN_WILDCARD.id
            ),
            Status::Pass
        );

        let deny = r#"{"userPolicyList":[{"policyName":"deny","policyDocument":{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}}]}"#;
        assert_eq!(
            status(
                &run("AWS::IAM::User", "arn:aws:iam::1:user/c", deny),
                POLICY_ADMIN_WILDCARD.id
            ),
            Status::Pass
        );

        let none = run(
            "AWS::IAM::User",
            "arn:aws:iam::1:user/d",
            r#"{"userPolicyList":[]}"#,
        );
        assert_eq!(status(&none, POLICY_ADMIN_WILDCARD.id), Status::Pass);

        let broken = run(
            "AWS::IAM::User",
            "arn:aws:iam::1:user/e",
            r#"{"userPolicyList":[{"policyName":"x","policyDocument":"%7Bbroken"}]}"#,
        );
        let f = only(&broken, POLICY_ADMIN_WILDCARD.id);
        assert_eq!(f.status, Status::Error);
        // The message says why the document cannot be read, not only that it cannot.
        assert!(
            f.message.contains(
                ": an inline policy document cannot be read (policy x: not a policy document"
            ),
            "{}",
            f.message
        );
        let single = run(
            "AWS::IAM::User",
            "arn:aws:iam::1:user/f",
            &format!(
                r#"{{"userPolicyList":[{{"policyName":"ro","policyDocument":"{}"}}]}}"#,
                encode(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#
                )
            ),
        );
        let f = only(&single, POLICY_ADMIN_WILDCARD.id);
        assert_eq!(f.status, Status::Pass);
        assert!(
            f.message.starts_with("The inline policy of IAM user "),
            "{}",
            f.message
        );
        assert_eq!(
            evidence(f, "configuration.userPolicyList[0].policyDocument"),
            Some("policy ro: 1 statement, none allows Action * on Resource *")
        );
    }

    #[test]
    fn roles_trusting_everyone_without_condition_fail() {
        let public = format!(
            r#"{{"roleName":"open","assumeRolePolicyDocument":"{}","rolePolicyList":[]}}"#,
            encode(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#
            )
        );
        let findings = run("AWS::IAM::Role", "arn:aws:iam::1:role/open", &public);
        let f = only(&findings, ROLE_PUBLIC_TRUST.id);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            evidence(f, "configuration.assumeRolePolicyDocument.Statement[0]"),
            Some("Effect=Allow Principal=AWS: * Action=sts:AssumeRole (no Condition)")
        );
        assert_eq!(status(&findings, POLICY_ADMIN_WILDCARD.id), Status::Pass);

        let star = format!(
            r#"{{"assumeRolePolicyDocument":"{}"}}"#,
            encode(r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}"#)
        );
        assert_eq!(
            status(
                &run("AWS::IAM::Role", "arn:aws:iam::1:role/s", &star),
                ROLE_PUBLIC_TRUST.id
            ),
            Status::Fail
        );
    }

    #[test]
    fn conditioned_or_named_trust_passes_and_missing_trust_is_manual() {
        let conditioned = format!(
            r#"{{"assumeRolePolicyDocument":"{}"}}"#,
            encode(
                r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}}]}"#
            )
        );
        assert_eq!(
            status(
                &run("AWS::IAM::Role", "arn:aws:iam::1:role/c", &conditioned),
                ROLE_PUBLIC_TRUST.id
            ),
            Status::Pass
        );
        let service = format!(
            r#"{{"assumeRolePolicyDocument":"{}"}}"#,
            encode(
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            )
        );
        assert_eq!(
            status(
                &run("AWS::IAM::Role", "arn:aws:iam::1:role/l", &service),
                ROLE_PUBLIC_TRUST.id
            ),
            Status::Pass
        );
        assert_eq!(
            status(
                &run("AWS::IAM::Role", "arn:aws:iam::1:role/m", "{}"),
                ROLE_PUBLIC_TRUST.id
            ),
            Status::Manual
        );
    }

    #[test]
    fn already_decoded_json_strings_are_accepted() {
        let config = r#"{"rolePolicyList":[{"policyName":"p","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}],
            "assumeRolePolicyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"}"#;
        let findings = run("AWS::IAM::Role", "arn:aws:iam::1:role/r", config);
        assert_eq!(status(&findings, POLICY_ADMIN_WILDCARD.id), Status::Fail);
        assert_eq!(status(&findings, ROLE_PUBLIC_TRUST.id), Status::Pass);
    }

    #[test]
    fn every_spelling_of_an_identity_at_once() {
        demarc_sdk::assert_every_spelling!(
            PolicyVersion<'_>,
            r#"{"document":"%7B%7D","versionId":"v2","isDefaultVersion":true}"#
        );
        demarc_sdk::assert_every_spelling!(
            InlinePolicy<'_>,
            r#"{"policyName":"p","policyDocument":"%7B%7D"}"#
        );
        demarc_sdk::assert_every_spelling!(
            Identity<'_>,
            r#"{"arn":"arn:aws:iam::111122223333:role/r","defaultVersionId":"v1","policyVersionList":[],"assumeRolePolicyDocument":"%7B%7D","rolePolicyList":[],"userPolicyList":[],"groupPolicyList":[]}"#
        );
    }
}
