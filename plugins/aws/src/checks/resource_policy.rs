//! Resource-based policies that grant access to everyone: SQS queues, SNS topics, Lambda
//! functions, KMS keys, ECR repositories and Secrets Manager secrets.
//!
//! Where AWS Config keeps each policy:
//! - `AWS::SQS::Queue`: `configuration.Policy`, the queue's `Policy` attribute, a JSON string
//!   (absent when the queue has no policy: then only the owning account has access).
//! - `AWS::SNS::Topic`: `configuration.Policy`, the topic's `Policy` attribute, a JSON string.
//! - `AWS::Lambda::Function`: `supplementaryConfiguration.Policy`, the function's resource
//!   policy (`GetPolicy`), a JSON string (absent from a recorded `supplementaryConfiguration`
//!   when the function has none).
//! - `AWS::KMS::Key`: the key policy, when a re-export records it (`supplementaryConfiguration.
//!   KeyPolicy` or `Policy`, `configuration.keyPolicy`); Config's own items usually do not.
//! - `AWS::ECR::Repository`: `configuration.RepositoryPolicyText`, an object or a JSON string.
//! - `AWS::SecretsManager::Secret`: the resource policy, when recorded
//!   (`supplementaryConfiguration.ResourcePolicy`, `configuration.ResourcePolicy`).
//!
//! Any of them may also be an inline object or URL-encoded. A statement that allows a public
//! principal (`"*"`, `{"AWS": "*"}`) without a condition makes the resource public, as for S3
//! bucket policies. A policy the item does not record is decided by the API that returns it
//! (`manual`), never assumed absent, except where the item records the whole map the policy would
//! be in (the queue's attributes, the function's supplementary configuration).

use serde_json::value::RawValue;

use super::Evaluated;
use crate::config_item::ConfigItem;
use crate::policy::{self, PolicyDocument};

/// The resource types whose resource-based policies are judged.
pub const TYPES: &[&str] = &[
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::Lambda::Function",
    "AWS::KMS::Key",
    "AWS::ECR::Repository",
    "AWS::SecretsManager::Secret",
];

demarc_sdk::include_checks!("resource_policy");

demarc_sdk::spelled_struct! {
    struct Configuration<'a> {
        policy: Option<&'a RawValue> = ["Policy", "policy", "KeyPolicy", "keyPolicy", "RepositoryPolicyText", "repositoryPolicyText", "ResourcePolicy", "resourcePolicy"],
        queue_arn: Option<&'a RawValue> = ["QueueArn", "queueArn", "QueueUrl", "queueUrl"],
    }
}

demarc_sdk::spelled_struct! {
    struct Supplementary<'a> {
        policy: Option<&'a RawValue> = ["Policy", "policy", "KeyPolicy", "keyPolicy", "ResourcePolicy", "resourcePolicy"],
    }
}

/// The field, the service word and the API that returns the policy, per type.
fn describe(kind: &str) -> (&'static str, &'static str, &'static str) {
    match kind {
        "AWS::SQS::Queue" => (
            "configuration.Policy",
            "Queue",
            "`aws sqs get-queue-attributes --attribute-names Policy`",
        ),
        "AWS::SNS::Topic" => (
            "configuration.Policy",
            "Topic",
            "`aws sns get-topic-attributes`",
        ),
        "AWS::Lambda::Function" => (
            "supplementaryConfiguration.Policy",
            "Function",
            "`aws lambda get-policy`",
        ),
        "AWS::KMS::Key" => (
            "supplementaryConfiguration.KeyPolicy",
            "Key",
            "`aws kms get-key-policy`",
        ),
        "AWS::ECR::Repository" => (
            "configuration.RepositoryPolicyText",
            "Repository",
            "`aws ecr get-repository-policy`",
        ),
        _ => (
            "supplementaryConfiguration.ResourcePolicy",
            "Secret",
            "`aws secretsmanager get-resource-policy`",
        ),
    }
}

/// The `aws-resource-policy-public` finding of an item of one of [`TYPES`].
pub fn evaluate<'a>(item: &ConfigItem<'a>) -> Evaluated<'a> {
    let mut buf = None;
    let config: Option<Configuration<'_>> = item.configuration(&mut buf)?;
    let mut supp_buf = None;
    let supp: Supplementary<'_> = item.supplementary(&mut supp_buf)?.unwrap_or_default();
    let kind = item.kind();
    let (mut path, what, api) = describe(kind);
    let raw = match supp.policy {
        Some(raw) => Some(raw),
        None => {
            let found = config.as_ref().and_then(|c| c.policy);
            if found.is_some() {
                path = match kind {
                    "AWS::KMS::Key" => "configuration.keyPolicy",
                    "AWS::SecretsManager::Secret" => "configuration.ResourcePolicy",
                    _ => path,
                };
            }
            found
        }
    };
    let subject = item.subject();
    let label = subject.label();
    let builder = subject.finding(&PUBLIC_RESOURCE_POLICY);
    let text = match raw.map(policy::decode) {
        Some(Ok(Some(text))) => text,
        Some(Err(e)) => {
            return Ok(vec![builder.evidence(path, e.to_string()).manual(format!(
                "{what} {label}: the policy in `{path}` cannot be read ({e}); check it with {api}."
            ))]);
        }
        Some(Ok(None)) | None => {
            // Where the item records the whole map the policy would be in, its absence is no
            // policy: the queue's attribute map, the function's supplementary configuration.
            let recorded = match kind {
                "AWS::SQS::Queue" => config.as_ref().is_some_and(|c| c.queue_arn.is_some()),
                "AWS::Lambda::Function" => item.supplementary.is_some(),
                _ => false,
            };
            return Ok(vec![if recorded {
                builder.evidence(path, "(no policy)").pass(format!(
                    "{what} {label} has no resource-based policy: only its own account has access."
                ))
            } else {
                builder.evidence(path, "(absent)").manual(format!(
                    "The configuration item of {} {label} does not record its resource-based policy; check it with {api}.",
                    what.to_ascii_lowercase()
                ))
            }]);
        }
    };
    let doc = match PolicyDocument::parse(&text) {
        Ok(doc) => doc,
        Err(e) => {
            return Ok(vec![builder.evidence(path, e.to_string()).manual(format!(
                "{what} {label}: the policy in `{path}` cannot be read ({e}); check it with {api}."
            ))]);
        }
    };
    let mut builder = builder;
    let mut public = Vec::new();
    for (i, s) in doc.statements.0.iter().enumerate() {
        if s.is_allow() && s.principal_is_public() && !s.has_condition() {
            let principal = s
                .principal
                .as_ref()
                .map(|p| p.describe())
                .unwrap_or_default();
            builder = builder.evidence(
                format!("{path}.Statement[{i}]"),
                format!(
                    "Effect=Allow Principal={principal} Action={} (no Condition)",
                    s.action.joined()
                ),
            );
            public.push(format!("{} (statement {i})", s.action.joined()));
        }
    }
    if public.is_empty() {
        return Ok(vec![
            builder
                .evidence(path, "(no unconditioned public statement)")
                .pass(format!(
                    "{what} {label}'s policy grants nothing to everyone without a condition."
                )),
        ]);
    }
    Ok(vec![builder.fail(format!(
        "{what} {label}'s policy allows {} to everyone.",
        super::and_list(&public)
    ))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{evidence, item, only};
    use demarc_sdk::{Finding, Status};

    const PUBLIC: &str = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"ACTION\",\"Resource\":\"*\"}]}"#;
    const SCOPED: &str = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"ACTION\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"111122223333\"}}}]}"#;

    fn config_item(kind: &str, id: &str, configuration: &str, supplementary: &str) -> String {
        format!(
            r#"{{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2026-10-30T08:00:00.000Z","configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"{kind}","resourceId":"{id}","resourceName":"{id}","awsRegion":"eu-west-1","tags":{{}},"relationships":[],"configuration":{configuration},"supplementaryConfiguration":{supplementary}}}"#
        )
    }

    /// Each type in the shape AWS Config records it, with `policy` as a JSON string.
    fn shaped(kind: &str, policy: &str) -> String {
        let p = |action: &str| policy.replace("ACTION", action);
        match kind {
            "AWS::SQS::Queue" => config_item(
                kind,
                "orders",
                &format!(
                    r#"{{"QueueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/orders","QueueArn":"arn:aws:sqs:eu-west-1:111122223333:orders","Policy":"{}"}}"#,
                    p("sqs:SendMessage")
                ),
                "{}",
            ),
            "AWS::SNS::Topic" => config_item(
                kind,
                "alerts",
                &format!(
                    r#"{{"TopicArn":"arn:aws:sns:eu-west-1:111122223333:alerts","Policy":"{}"}}"#,
                    p("SNS:Publish")
                ),
                "{}",
            ),
            "AWS::Lambda::Function" => config_item(
                kind,
                "hook",
                r#"{"functionName":"hook","runtime":"python3.12"}"#,
                &format!(r#"{{"Policy":"{}"}}"#, p("lambda:InvokeFunction")),
            ),
            "AWS::KMS::Key" => config_item(
                kind,
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                r#"{"keyManager":"CUSTOMER","keyState":"Enabled"}"#,
                &format!(
                    r#"{{"KeyRotationStatus":true,"KeyPolicy":"{}"}}"#,
                    p("kms:Decrypt")
                ),
            ),
            "AWS::ECR::Repository" => config_item(
                kind,
                "images",
                &format!(
                    r#"{{"RepositoryName":"images","RepositoryPolicyText":"{}"}}"#,
                    p("ecr:BatchGetImage")
                ),
                "{}",
            ),
            _ => config_item(
                kind,
                "db-password",
                r#"{"Name":"db-password","RotationEnabled":true}"#,
                &format!(
                    r#"{{"ResourcePolicy":"{}"}}"#,
                    p("secretsmanager:GetSecretValue")
                ),
            ),
        }
    }

    fn run(json: &str) -> Finding {
        let i = item(json);
        let f = evaluate(&i).unwrap();
        only(&f, PUBLIC_RESOURCE_POLICY.id).clone()
    }

    #[test]
    fn a_public_statement_fails_on_every_type() {
        for kind in TYPES {
            let f = run(&shaped(kind, PUBLIC));
            assert_eq!(f.status, Status::Fail, "{kind}: {}", f.message);
            assert!(f.message.contains("to everyone"), "{}", f.message);
            assert_eq!(f.resource.native_type, *kind);
        }
    }

    #[test]
    fn a_condition_scopes_the_public_principal() {
        for kind in TYPES {
            let f = run(&shaped(kind, SCOPED));
            assert_eq!(f.status, Status::Pass, "{kind}: {}", f.message);
        }
    }

    #[test]
    fn an_inline_or_url_encoded_document_is_read() {
        let inline = config_item(
            "AWS::ECR::Repository",
            "images",
            r#"{"RepositoryName":"images","RepositoryPolicyText":{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["ecr:BatchGetImage"]}]}}"#,
            "{}",
        );
        assert_eq!(run(&inline).status, Status::Fail);
        let encoded = config_item(
            "AWS::SNS::Topic",
            "alerts",
            r#"{"TopicArn":"arn:aws:sns:eu-west-1:111122223333:alerts","Policy":"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22*%22%2C%22Action%22%3A%22SNS%3APublish%22%7D%5D%7D"}"#,
            "{}",
        );
        assert_eq!(run(&encoded).status, Status::Fail);
    }

    #[test]
    fn a_policy_not_recorded_is_manual_and_names_the_api() {
        let f = run(&config_item(
            "AWS::KMS::Key",
            "k",
            r#"{"keyManager":"CUSTOMER","keyState":"Enabled"}"#,
            r#"{"KeyRotationStatus":true}"#,
        ));
        assert_eq!(f.status, Status::Manual);
        assert!(
            f.message.contains("aws kms get-key-policy"),
            "{}",
            f.message
        );
        // A function whose supplementary configuration is recorded without `Policy` has none.
        let f = run(&config_item(
            "AWS::Lambda::Function",
            "hook",
            r#"{"functionName":"hook"}"#,
            "{}",
        ));
        assert_eq!(f.status, Status::Pass);
        let f = run(&config_item(
            "AWS::Lambda::Function",
            "hook",
            r#"{"functionName":"hook"}"#,
            "null",
        ));
        assert_eq!(f.status, Status::Manual);
        // A queue's attribute map without `Policy`: the queue has none.
        let f = run(&config_item(
            "AWS::SQS::Queue",
            "orders",
            r#"{"QueueArn":"arn:aws:sqs:eu-west-1:111122223333:orders"}"#,
            "{}",
        ));
        assert_eq!(f.status, Status::Pass);
        assert_eq!(evidence(&f, "configuration.Policy"), Some("(no policy)"));
        // But a queue item without its configuration decides nothing.
        let f = run(&config_item("AWS::SQS::Queue", "orders", "null", "{}"));
        assert_eq!(f.status, Status::Manual);
    }

    #[test]
    fn an_unreadable_policy_says_why() {
        let f = run(&config_item(
            "AWS::SNS::Topic",
            "alerts",
            r#"{"Policy":"not a policy"}"#,
            "{}",
        ));
        assert_eq!(f.status, Status::Manual);
        assert!(
            f.message.contains("neither JSON nor URL-encoded JSON"),
            "{}",
            f.message
        );
    }
}
