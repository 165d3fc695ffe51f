//! Cloud Functions (Cloud Run functions): supported runtimes and HTTPS-only triggers.
//!
//! 1st gen functions (`cloudfunctions.googleapis.com/CloudFunction`, API v1) record `runtime`,
//! `httpsTrigger{url, securityLevel}` or `eventTrigger`, and `labels`; 2nd gen functions
//! (`cloudfunctions.googleapis.com/Function`, API v2) record `buildConfig.runtime`,
//! `serviceConfig`, `eventTrigger` and `labels`. Functions are FaaS: Google runs and patches
//! the execution environment, so nothing here is a guest-OS finding; choosing a runtime that
//! still gets patches is the customer's part.

use demarc_sdk::Finding;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Context, governance};
use crate::asset::{Asset, Kind, Subject};
use crate::json::{FieldError, Labels, Text, parse_part};
use crate::time::Timestamp;

demarc_sdk::include_checks!("functions");

/// The runtimes and their deprecation dates (`data/function-runtimes.txt`, a table of
/// [`demarc_sdk::words::entries`]).
pub const DEPRECATIONS: &str = include_str!("../../data/function-runtimes.txt");

/// The deprecation date of `runtime`, if it has one.
pub fn deprecation_date(runtime: &str) -> Option<&'static str> {
    demarc_sdk::words::lookup(DEPRECATIONS, runtime)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionData<'a> {
    #[serde(borrow, default)]
    runtime: Text<'a>,
    #[serde(borrow, default)]
    build_config: Option<BuildConfig<'a>>,
    #[serde(borrow, default)]
    https_trigger: Option<HttpsTrigger<'a>>,
    #[serde(borrow, default)]
    event_trigger: Option<&'a RawValue>,
    #[serde(borrow, default)]
    labels: Labels<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct BuildConfig<'a> {
    #[serde(borrow, default)]
    runtime: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpsTrigger<'a> {
    #[serde(borrow, default)]
    security_level: Text<'a>,
}

/// Evaluate a Cloud Functions resource line of `kind` (1st or 2nd gen).
pub fn evaluate<'a>(
    asset: &Asset<'a>,
    kind: Kind,
    ctx: &Context,
) -> Result<Vec<Finding>, FieldError<'a>> {
    let data: FunctionData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let subject = asset.subject(kind, data.labels.clone());
    Ok(vec![
        runtime(&subject, &data, kind, ctx),
        https_only(&subject, &data, kind),
        governance::owner_label(&subject),
    ])
}

fn runtime(subject: &Subject<'_>, data: &FunctionData<'_>, kind: Kind, ctx: &Context) -> Finding {
    let label = subject.label();
    let (field, text) = match kind {
        Kind::FunctionV2 => (
            "buildConfig.runtime",
            data.build_config.as_ref().map(|b| &b.runtime),
        ),
        _ => ("runtime", Some(&data.runtime)),
    };
    let Some(runtime) = text.and_then(Text::non_empty) else {
        return subject
            .finding(&RUNTIME_SUPPORTED)
            .evidence(field, "(absent)")
            .manual(format!(
                "The asset of function {label} records no runtime; check it with `gcloud functions describe`."
            ));
    };
    let builder = subject.finding(&RUNTIME_SUPPORTED).evidence(field, runtime);
    match deprecation_date(runtime) {
        Some(date) => {
            let builder = builder.evidence("deprecation date", date);
            match Timestamp::parse(date) {
                Some(deprecated) if deprecated <= ctx.now => builder.fail(format!(
                    "Function {label} runs on {runtime}, which Google deprecated on {date}: its language runtime and OS image get no more security patches."
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

fn https_only(subject: &Subject<'_>, data: &FunctionData<'_>, kind: Kind) -> Finding {
    let label = subject.label();
    let builder = subject.finding(&HTTPS_ONLY);
    if data.event_trigger.is_some() && data.https_trigger.is_none() {
        return builder
            .evidence("eventTrigger", "(present)")
            .not_applicable(format!(
                "Function {label} is triggered by events, not HTTP requests."
            ));
    }
    if kind == Kind::FunctionV2 {
        return builder.evidence("environment", "GEN_2").pass(format!(
            "Function {label} is a 2nd gen function, served over HTTPS only."
        ));
    }
    let Some(trigger) = &data.https_trigger else {
        return builder.manual(format!(
            "The asset of function {label} records neither an HTTPS nor an event trigger; check it with `gcloud functions describe`."
        ));
    };
    let level = trigger.security_level.non_empty();
    let builder = builder.evidence(
        "httpsTrigger.securityLevel",
        level.unwrap_or("(absent: SECURE_OPTIONAL)"),
    );
    match level {
        Some(l) if l.eq_ignore_ascii_case("SECURE_ALWAYS") => builder.pass(format!(
            "Function {label} redirects plain HTTP to HTTPS (SECURE_ALWAYS)."
        )),
        _ => builder.fail(format!(
            "Function {label} also answers plain HTTP (security level {}).",
            level.unwrap_or("SECURE_OPTIONAL, the default")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{asset, ctx, evidence, line, only, status};
    use demarc_sdk::Status;

    fn run(kind: Kind, data: &str) -> Vec<Finding> {
        let json = line(
            kind.native_type(""),
            "//cloudfunctions.googleapis.com/projects/p/locations/europe-west1/functions/fn",
            data,
        );
        let a = asset(&json);
        evaluate(&a, kind, &ctx()).unwrap()
    }

    #[test]
    fn a_current_https_function_passes() {
        let f = run(
            Kind::FunctionV1,
            r#"{"runtime":"python312","httpsTrigger":{"url":"https://x","securityLevel":"SECURE_ALWAYS"},"labels":{"owner":"pricing"}}"#,
        );
        for finding in &f {
            assert_eq!(finding.status, Status::Pass, "{}", finding.message);
        }
        let f = run(
            Kind::FunctionV2,
            r#"{"buildConfig":{"runtime":"nodejs22","entryPoint":"main"},"serviceConfig":{"uri":"https://fn-x.a.run.app"},"labels":{"team":"lab"}}"#,
        );
        for finding in &f {
            assert_eq!(finding.status, Status::Pass, "{}", finding.message);
        }
    }

    #[test]
    fn deprecated_runtimes_and_plain_http_fail() {
        let f = run(
            Kind::FunctionV1,
            r#"{"runtime":"python38","httpsTrigger":{"url":"http://x","securityLevel":"SECURE_OPTIONAL"}}"#,
        );
        let rt = only(&f, RUNTIME_SUPPORTED.id);
        assert_eq!(rt.status, Status::Fail);
        assert_eq!(evidence(rt, "deprecation date"), Some("2024-10-14"));
        assert_eq!(status(&f, HTTPS_ONLY.id), Status::Fail);
        assert_eq!(status(&f, governance::OWNER_LABEL.id), Status::Fail);
        // The default security level of 1st gen is SECURE_OPTIONAL.
        let f = run(
            Kind::FunctionV1,
            r#"{"runtime":"nodejs20","httpsTrigger":{}}"#,
        );
        assert_eq!(
            status(&f, RUNTIME_SUPPORTED.id),
            Status::Fail,
            "deprecated 2026-04-30"
        );
        assert_eq!(status(&f, HTTPS_ONLY.id), Status::Fail);
        // python310 was deprecated on 2026-10-04, four weeks before the reference time.
        let f = run(
            Kind::FunctionV2,
            r#"{"buildConfig":{"runtime":"python310"}}"#,
        );
        assert_eq!(status(&f, RUNTIME_SUPPORTED.id), Status::Fail);
    }

    #[test]
    fn event_functions_and_missing_runtimes() {
        let f = run(
            Kind::FunctionV2,
            r#"{"buildConfig":{},"eventTrigger":{"eventType":"google.cloud.storage.object.v1.finalized"}}"#,
        );
        assert_eq!(status(&f, HTTPS_ONLY.id), Status::NotApplicable);
        assert_eq!(status(&f, RUNTIME_SUPPORTED.id), Status::Manual);
        let f = run(Kind::FunctionV1, r#"{"runtime":"nodejs22"}"#);
        assert_eq!(status(&f, HTTPS_ONLY.id), Status::Manual);
        assert_eq!(deprecation_date("GO111"), Some("2020-08-05"));
        assert_eq!(deprecation_date("java21"), None);
    }
}
