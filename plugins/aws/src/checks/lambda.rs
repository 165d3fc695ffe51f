//! Lambda functions: runtimes past AWS's deprecation date.
//!
//! A runtime is deprecated on the date AWS stops applying security patches to it (phase 1 of
//! the Lambda runtime support policy). [`DEPRECATIONS`] keeps those dates; a function fails when
//! its runtime's date is on or before the scan's `now`. Container-image functions have no
//! `runtime` (their image decides) and are not applicable.

use demarc_sdk::Finding;

use super::{Context, Evaluated, governance};
use crate::config_item::{ConfigItem, Subject};
use demarc_sdk::json::Text;
use demarc_sdk::time::Timestamp;

demarc_sdk::include_checks!("lambda");

/// The runtimes and their deprecation dates (`data/lambda-runtimes.txt`, a table of
/// [`demarc_sdk::words::entries`]).
pub const DEPRECATIONS: &str = include_str!("../../data/lambda-runtimes.txt");

/// The deprecation date of `runtime`, if it has one.
pub fn deprecation_date(runtime: &str) -> Option<&'static str> {
    demarc_sdk::words::lookup(DEPRECATIONS, runtime)
}

demarc_sdk::spelled_struct! {
    #[derive(Debug)]
    struct Function<'a> {
        runtime: Text<'a> = ["runtime", "Runtime"],
        package_type: Text<'a> = ["packageType", "PackageType"],
    }
}

/// Evaluate an `AWS::Lambda::Function` item.
pub fn evaluate<'a>(item: &ConfigItem<'a>, ctx: &Context) -> Evaluated<'a> {
    let mut buf = None;
    let function: Function<'_> = item.configuration(&mut buf)?.unwrap_or_default();
    let subject = item.subject();
    Ok(vec![
        runtime(&subject, &function, ctx),
        governance::owner_tag(&subject),
    ])
}

fn runtime(subject: &Subject<'_, '_>, function: &Function<'_>, ctx: &Context) -> Finding {
    let label = subject.label();
    let package = function.package_type.non_empty();
    let Some(runtime) = function.runtime.non_empty() else {
        let builder = subject
            .finding(&RUNTIME_SUPPORTED)
            .evidence("configuration.runtime", "(absent)")
            .evidence("configuration.packageType", package.unwrap_or("(absent)"));
        return if package.is_some_and(|p| p.eq_ignore_ascii_case("Image")) {
            builder.not_applicable(format!(
                "Function {label} is a container image; its runtime is whatever the image ships."
            ))
        } else {
            builder.manual(format!(
                "The configuration item of function {label} records no runtime; check it with `aws lambda get-function-configuration`."
            ))
        };
    };
    let builder = subject
        .finding(&RUNTIME_SUPPORTED)
        .evidence("configuration.runtime", runtime);
    match deprecation_date(runtime) {
        Some(date) => {
            let builder = builder.evidence("deprecation date", date);
            match Timestamp::parse(date) {
                Some(deprecated) if deprecated <= ctx.now => builder.fail(format!(
                    "Function {label} runs on {runtime}, which AWS deprecated on {date}: it no longer receives security patches."
                )),
                _ => builder.pass(format!(
                    "Function {label} runs on {runtime}, supported until its deprecation on {date}."
                )),
            }
        }
        None => builder.pass(format!(
            "Function {label} runs on {runtime}, which has no deprecation date on or before now."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, evidence, item, only};
    use demarc_sdk::Status;

    fn run(config: &str) -> Vec<Finding> {
        let json = format!(
            r#"{{"resourceType":"AWS::Lambda::Function","resourceId":"fn","resourceName":"fn","awsAccountId":"1","awsRegion":"us-east-1",
            "ARN":"arn:aws:lambda:us-east-1:1:function:fn","tags":{{"owner":"a"}},"configuration":{config}}}"#
        );
        let i = item(&json);
        evaluate(&i, &ctx()).unwrap()
    }

    #[test]
    fn deprecated_runtimes_fail_with_their_date() {
        for runtime in [
            "python3.8",
            "nodejs16.x",
            "go1.x",
            "java8",
            "dotnetcore3.1",
            "python2.7",
        ] {
            let findings = run(&format!(r#"{{"runtime":"{runtime}","packageType":"Zip"}}"#));
            let f = only(&findings, RUNTIME_SUPPORTED.id);
            assert_eq!(f.status, Status::Fail, "{runtime}");
            assert!(evidence(f, "deprecation date").is_some());
        }
    }

    #[test]
    fn runtimes_deprecated_after_now_or_never_pass() {
        // NOW is 2025-06-30: python3.9 (2025-12-15) and nodejs18.x (2025-09-01) are still supported.
        for runtime in [
            "python3.9",
            "nodejs18.x",
            "python3.13",
            "nodejs22.x",
            "provided.al2023",
        ] {
            let findings = run(&format!(r#"{{"runtime":"{runtime}"}}"#));
            assert_eq!(
                only(&findings, RUNTIME_SUPPORTED.id).status,
                Status::Pass,
                "{runtime}"
            );
        }
    }

    #[test]
    fn container_images_are_not_applicable_and_missing_runtime_is_manual() {
        let image = run(r#"{"packageType":"Image"}"#);
        assert_eq!(
            only(&image, RUNTIME_SUPPORTED.id).status,
            Status::NotApplicable
        );
        let unknown = run("{}");
        assert_eq!(only(&unknown, RUNTIME_SUPPORTED.id).status, Status::Manual);
    }

    #[test]
    fn every_deprecation_date_parses() {
        for (runtime, date) in demarc_sdk::words::entries(DEPRECATIONS) {
            assert!(Timestamp::parse(date).is_some(), "{runtime}");
        }
    }

    #[test]
    fn every_spelling_of_a_function_at_once() {
        demarc_sdk::assert_every_spelling!(
            Function<'_>,
            r#"{"runtime":"python3.8","packageType":"Zip"}"#
        );
    }
}
