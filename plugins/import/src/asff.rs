//! AWS Security Hub findings in the AWS Security Finding Format (ASFF): what
//! `aws securityhub get-findings` writes (`{"Findings": [...]}`, with a `NextToken` when the
//! page is not the last), and what Prowler's `-M json-asff` writes (a bare array).
//!
//! The fields read: `SchemaVersion`, `ProductArn`, `ProductName`, `CompanyName`,
//! `ProductFields` (`ControlId`, `ProviderName`, `ProviderVersion`), `GeneratorId`,
//! `AwsAccountId`, `Region`, `Title`, `Description`, `Severity.Label`, `Resources[]` (`Id`,
//! `Type`, `Region`), `Compliance` (`Status`, `SecurityControlId`, `RelatedRequirements`),
//! `Workflow.Status`, `RecordState`, `Remediation.Recommendation.Text`, `UpdatedAt`.
//! Everything else is skipped unread.
//!
//! What a finding's state means for its verdict: `Compliance.Status` is the control's last
//! evaluation, and it is the verdict. A finding whose `RecordState` is ARCHIVED is not current
//! (Security Hub archives a control finding when its resource is deleted or the control is
//! disabled): no verdict, skipped and counted in the target's `skipped`. `Workflow.Status` is
//! what people did with a finding, not a result: SUPPRESSED (reviewed, no action thought
//! needed) keeps its verdict with the suppression in its message and evidence
//! (`tool.workflow`), since another tool's suppression is not a demarc suppression (those have
//! an owner, a reason and an expiry); RESOLVED keeps its verdict too (Security Hub sets it when a
//! control passes; a failing finding marked RESOLVED by hand says so in its message).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

/// One ASFF finding, with the strings borrowed from the input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding<'a> {
    /// `2018-10-08`.
    #[serde(borrow, default)]
    pub schema_version: Option<Cow<'a, str>>,
    /// The product that sent it (`arn:aws:securityhub:REGION::product/aws/securityhub`).
    #[serde(borrow, default)]
    pub product_arn: Option<Cow<'a, str>>,
    /// `Security Hub`, `GuardDuty`, ...
    #[serde(borrow, default)]
    pub product_name: Option<Cow<'a, str>>,
    /// `AWS`, ...
    #[serde(borrow, default)]
    pub company_name: Option<Cow<'a, str>>,
    /// The product's own fields (all strings).
    #[serde(borrow, default)]
    pub product_fields: Option<BTreeMap<Cow<'a, str>, Cow<'a, str>>>,
    /// The rule that produced it (`security-control/S3.8`, `prowler-s3_bucket_public_access`).
    #[serde(borrow, default)]
    pub generator_id: Option<Cow<'a, str>>,
    /// The account of the resources.
    #[serde(borrow, default)]
    pub aws_account_id: Option<Cow<'a, str>>,
    /// The region the finding was made in.
    #[serde(borrow, default)]
    pub region: Option<Cow<'a, str>>,
    /// The control's title.
    #[serde(borrow, default)]
    pub title: Option<Cow<'a, str>>,
    /// What it checks.
    #[serde(borrow, default)]
    pub description: Option<Cow<'a, str>>,
    /// `Severity.Label`.
    #[serde(borrow, default)]
    pub severity: Option<AsffSeverity<'a>>,
    /// The resources it is about.
    #[serde(borrow, default)]
    pub resources: Option<Vec<AsffResource<'a>>>,
    /// The control result.
    #[serde(borrow, default)]
    pub compliance: Option<Compliance<'a>>,
    /// What the account's people did with it.
    #[serde(borrow, default)]
    pub workflow: Option<Workflow<'a>>,
    /// `ACTIVE` or `ARCHIVED`.
    #[serde(borrow, default)]
    pub record_state: Option<Cow<'a, str>>,
    /// How to fix it.
    #[serde(borrow, default)]
    pub remediation: Option<AsffRemediation<'a>>,
    /// When it was last updated (RFC 3339).
    #[serde(borrow, default)]
    pub updated_at: Option<Cow<'a, str>>,
}

/// `Severity`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffSeverity<'a> {
    /// `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    #[serde(borrow, default)]
    pub label: Option<Cow<'a, str>>,
}

/// One of `Resources[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource<'a> {
    /// An ARN, or the service's id.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// `AwsS3Bucket`, `AwsEc2SecurityGroup`, `AwsAccount`, ...
    #[serde(borrow, default, rename = "Type")]
    pub kind: Option<Cow<'a, str>>,
    /// Its region.
    #[serde(borrow, default)]
    pub region: Option<Cow<'a, str>>,
}

/// `Compliance`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance<'a> {
    /// `PASSED`, `FAILED`, `WARNING`, `NOT_AVAILABLE`.
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// The control id across standards (`S3.8`).
    #[serde(borrow, default)]
    pub security_control_id: Option<Cow<'a, str>>,
    /// The requirements it is cited for (`CIS AWS Foundations Benchmark v1.4.0/2.1.5`).
    #[serde(default)]
    pub related_requirements: Option<Vec<String>>,
}

/// `Workflow`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Workflow<'a> {
    /// `NEW`, `NOTIFIED`, `SUPPRESSED`, `RESOLVED`.
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
}

/// `Remediation`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRemediation<'a> {
    /// `Recommendation`.
    #[serde(borrow, default)]
    pub recommendation: Option<Recommendation<'a>>,
}

/// `Remediation.Recommendation`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation<'a> {
    /// What to do.
    #[serde(borrow, default)]
    pub text: Option<Cow<'a, str>>,
}

impl AsffFinding<'_> {
    /// A field of `ProductFields`.
    pub fn product_field(&self, key: &str) -> Option<&str> {
        self.product_fields
            .as_ref()
            .and_then(|f| f.get(key))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Which tool wrote an ASFF finding, and its check id and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin<'f> {
    /// `prowler`, `securityhub`, or the product's name in kebab case.
    pub tool: Cow<'f, str>,
    /// The tool's check id (`S3.8`, `s3_bucket_public_access`), when the finding names one.
    pub check: Option<&'f str>,
    /// The tool's version, when the finding names it.
    pub version: Option<&'f str>,
}

/// The tool, check and version of an ASFF finding: Prowler's (`GeneratorId` `prowler-<check>`,
/// or its product fields), Security Hub's control findings (the control id from
/// `Compliance.SecurityControlId`, `ProductFields.ControlId` or the `GeneratorId`), or another
/// product's (named by `ProductName`, `CompanyName` or its product ARN; its check is the
/// `GeneratorId`).
pub fn origin<'f>(f: &'f AsffFinding<'_>) -> Origin<'f> {
    let generator = text(&f.generator_id);
    let product_arn = text(&f.product_arn).unwrap_or_default();
    let prowler = generator.is_some_and(|g| g.starts_with("prowler-"))
        || f.product_field("ProviderName")
            .is_some_and(|n| n.eq_ignore_ascii_case("prowler"))
        || product_arn.ends_with("/prowler/prowler");
    if prowler {
        return Origin {
            tool: Cow::Borrowed("prowler"),
            check: generator.map(|g| g.strip_prefix("prowler-").unwrap_or(g)),
            version: f.product_field("ProviderVersion"),
        };
    }
    let control = f
        .compliance
        .as_ref()
        .and_then(|c| text(&c.security_control_id))
        .or_else(|| f.product_field("ControlId"));
    let security_hub = control.is_some()
        || product_arn.ends_with("/aws/securityhub")
        || text(&f.product_name).is_some_and(|n| n.eq_ignore_ascii_case("Security Hub"));
    if security_hub {
        return Origin {
            tool: Cow::Borrowed("securityhub"),
            check: control.or_else(|| generator.map(control_of_generator)),
            version: None,
        };
    }
    let name = text(&f.product_name)
        .or_else(|| text(&f.company_name))
        .or_else(|| product_arn.rsplit('/').next().filter(|s| !s.is_empty()))
        .unwrap_or("asff");
    Origin {
        tool: Cow::Owned(kebab(name)),
        check: generator,
        version: None,
    }
}

/// The Security Hub control id in a `GeneratorId`: `security-control/S3.8` and
/// `aws-foundational-security-best-practices/v/1.0.0/S3.1` name one; any other generator (a CIS
/// ruleset's rule ARN) is its own id.
pub fn control_of_generator(generator: &str) -> &str {
    if let Some(id) = generator.strip_prefix("security-control/") {
        return id;
    }
    if generator.starts_with("aws-foundational-security-best-practices/")
        && let Some((_, id)) = generator.rsplit_once('/')
    {
        return id;
    }
    generator
}

/// A related requirement as (framework, requirement ids): `"CIS AWS Foundations Benchmark
/// v1.4.0/2.1.5"` (the framework before the last `/`), `"NIST.800-53.r5 AC-3"` and Prowler's
/// `"CIS-7.0 3.1.1 3.1.2"` (the framework before the first blank), or `"CIS-7.0: 3.1.1, 3.1.2"`.
pub fn requirement(cited: &str) -> Option<(String, Vec<String>)> {
    let cited = cited.trim();
    let (framework, ids) = if let Some((framework, ids)) = cited.split_once(": ") {
        (framework, ids)
    } else if let Some((framework, id)) = cited.rsplit_once('/') {
        (framework, id)
    } else {
        cited.split_once(char::is_whitespace)?
    };
    let ids: Vec<String> = ids
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|id| id.trim_matches(|c| c == '\'' || c == '[' || c == ']'))
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect();
    let framework = framework.trim();
    (!framework.is_empty() && !ids.is_empty()).then(|| (framework.to_string(), ids))
}

fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "asff".to_string()
    } else {
        out.to_string()
    }
}

/// The non-empty text of an optional field.
fn text<'s>(v: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    crate::prowler::text(v)
}

use demarc_sdk::scan::{Flow, Opened, Scan, Stream};
use demarc_sdk::stream::Item;
use demarc_sdk::time::Timestamp;
use demarc_sdk::{Finding, InputError, ProblemKind, Resource, ScanError, Status};

use crate::{Cloud, Described, ImportFormat, ImportScan, at, ev, excerpt, severity};

/// What one ASFF input held besides the findings imported.
#[derive(Default)]
struct Tally {
    archived: u64,
    /// Product → (findings without a control result, where the first was).
    not_controls: BTreeMap<String, (u64, u64, u64)>,
}

impl<C: Cloud> ImportScan<C> {
    /// Read one ASFF input.
    pub(crate) fn read_asff(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
    ) -> Result<(), ScanError> {
        let file = input.name;
        let mut tally = Tally::default();
        let how = Stream {
            key: "Findings",
            empty: "no Security Hub findings",
            not_an_array: None,
        };
        let read = scan.json_items(file, input.reader, how, |scan, item, _text| {
            let finding: AsffFinding<'_> = match item.parse() {
                Ok(f) => f,
                Err(e) => {
                    scan.item_problem(InputError::at(file, e.line, e.column, e.message));
                    return Ok(Flow::Next);
                }
            };
            if finding.schema_version.is_none()
                && finding.generator_id.is_none()
                && finding.product_arn.is_none()
            {
                if item.index == 0 {
                    // Not ASFF at all: say what it is, once, for the whole file.
                    let message = crate::tools::another_tools(item.bytes, ImportFormat::Asff)
                        .unwrap_or_else(|| {
                            format!(
                                "valid JSON but not AWS Security Hub findings (ASFF): it looks like {}",
                                demarc_sdk::formats::describe_foreign(item.bytes, &OWN)
                            )
                        });
                    scan.unsupported(file, message)?;
                    return Ok(Flow::Stop);
                }
                scan.item_problem(at(
                    file,
                    item,
                    "not an ASFF finding: no `SchemaVersion`, `GeneratorId` or `ProductArn`".into(),
                ));
                return Ok(Flow::Next);
            }
            self.asff_item(scan, file, item, &finding, &mut tally)?;
            Ok(Flow::Next)
        })?;
        if let Some(items) = &read
            && let Some((_, token)) = items.fields().iter().find(|(k, _)| k == "NextToken")
            && !matches!(token.trim(), "null" | "\"\"")
        {
            scan.record(
                ProblemKind::IncompleteInput,
                InputError::file(
                    file,
                    "one page of `aws securityhub get-findings`: it ends with a `NextToken`, so \
                     Security Hub holds more findings than it (what it holds was imported); fetch \
                     every page (the AWS CLI does unless `--max-items` is given) and list each \
                     page as an input",
                ),
            );
        }
        if tally.archived > 0 {
            demarc_sdk::log::info(&format!(
                "{file}: {} archived finding(s) (`RecordState` ARCHIVED) skipped: not current",
                tally.archived
            ));
        }
        for (product, (n, line, column)) in tally.not_controls {
            scan.record(
                ProblemKind::UnsupportedFormat,
                InputError::at(
                    file,
                    line,
                    column,
                    format!(
                        "{n} finding(s) of {product} have no `Compliance.Status`: they are not \
                         control results (threat detections, vulnerabilities), not imported"
                    ),
                ),
            );
        }
        Ok(())
    }

    fn asff_item(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        item: &Item<'_>,
        f: &AsffFinding<'_>,
        tally: &mut Tally,
    ) -> Result<(), ScanError> {
        if text(&f.record_state).is_some_and(|s| s.eq_ignore_ascii_case("ARCHIVED")) {
            tally.archived += 1;
            scan.skipped();
            return Ok(());
        }
        let origin = origin(f);
        let raw_status = f.compliance.as_ref().and_then(|c| text(&c.status));
        let Some(raw_status) = raw_status else {
            let product = text(&f.product_name)
                .map(str::to_string)
                .unwrap_or_else(|| origin.tool.to_string());
            tally
                .not_controls
                .entry(product)
                .or_insert((0, item.line, item.column))
                .0 += 1;
            return Ok(());
        };
        let status = match raw_status.to_ascii_uppercase().as_str() {
            "PASSED" => Status::Pass,
            "FAILED" => Status::Fail,
            // The control ran but cannot say: a person decides.
            "WARNING" => Status::Manual,
            // The control could not be evaluated (service outage, API error, no Config data).
            "NOT_AVAILABLE" => Status::Error,
            _ => {
                scan.item_problem(at(
                    file,
                    item,
                    format!(
                        "unknown `Compliance.Status` `{}` (Security Hub writes PASSED, FAILED, \
                         WARNING or NOT_AVAILABLE)",
                        excerpt(raw_status)
                    ),
                ));
                return Ok(());
            }
        };
        let Some(tool_check) = origin.check else {
            scan.item_problem(at(
                file,
                item,
                "no check id: neither `Compliance.SecurityControlId`, `ProductFields.ControlId` \
                 nor `GeneratorId`"
                    .into(),
            ));
            return Ok(());
        };
        let resources: Vec<&AsffResource<'_>> = f
            .resources
            .iter()
            .flatten()
            .filter(|r| text(&r.id).is_some())
            .collect();
        if resources.is_empty() {
            scan.item_problem(at(
                file,
                item,
                format!(
                    "{} check `{}`: no resource id (`Resources[].Id`)",
                    origin.tool,
                    excerpt(tool_check)
                ),
            ));
            return Ok(());
        }
        let tool = origin.tool.as_ref();
        let check_id = self.learn(scan, tool, tool_check, || Described {
            title: text(&f.title).unwrap_or(tool_check).to_string(),
            severity: severity(f.severity.as_ref().and_then(|s| text(&s.label))),
            rationale: text(&f.description).unwrap_or_default().to_string(),
            remediation: f
                .remediation
                .as_ref()
                .and_then(|r| r.recommendation.as_ref())
                .and_then(|r| text(&r.text))
                .unwrap_or_default()
                .to_string(),
            resource_types: resources
                .iter()
                .filter_map(|r| text(&r.kind))
                .map(str::to_string)
                .collect(),
            citations: f
                .compliance
                .as_ref()
                .and_then(|c| c.related_requirements.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|r| requirement(r))
                .collect(),
        })?;
        let account = text(&f.aws_account_id).unwrap_or_default();
        let observed_at = text(&f.updated_at)
            .filter(|t| Timestamp::parse(t).is_some())
            .map(str::to_string);
        let workflow = f.workflow.as_ref().and_then(|w| text(&w.status));
        let title = text(&f.title).unwrap_or(tool_check);
        let message = match workflow.map(str::to_ascii_uppercase).as_deref() {
            // Reviewed and set aside in the tool: the result stands, the suppression is said.
            Some("SUPPRESSED") => {
                format!("{title} (suppressed in {tool}: `Workflow.Status` SUPPRESSED)")
            }
            // Marked resolved by a person, yet the control's last evaluation still fails: the
            // evaluation is the verdict.
            Some("RESOLVED") if status != Status::Pass => format!(
                "{title} (marked resolved in {tool}: `Workflow.Status` RESOLVED, but its last \
                 evaluation is {raw_status})"
            ),
            _ => title.to_string(),
        };
        for r in resources {
            let region = text(&r.region)
                .or_else(|| text(&f.region))
                .unwrap_or("global");
            let mut evidence = vec![ev("tool", tool)];
            if let Some(version) = origin.version {
                evidence.push(ev("tool.version", version));
            }
            evidence.push(ev("tool.check", tool_check));
            evidence.push(ev("compliance.status", raw_status));
            if let Some(w) = workflow {
                evidence.push(ev("tool.workflow", w));
            }
            scan.emit([Finding {
                check_id: check_id.clone(),
                account: account.to_string(),
                region: region.to_string(),
                resource: Resource {
                    id: text(&r.id).unwrap_or_default().to_string(),
                    native_type: text(&r.kind).unwrap_or_default().to_string(),
                    name: None,
                    tags: Vec::new(),
                },
                status,
                message: message.clone(),
                evidence,
                extra_controls: Vec::new(),
                observed_at: observed_at.clone(),
            }])?;
            scan.resources(1);
        }
        Ok(())
    }
}

const OWN: demarc_sdk::formats::Own = demarc_sdk::formats::Own {
    plugin: "importer",
    items: "AWS Security Hub findings",
    required: "`SchemaVersion`, `GeneratorId` or `ProductArn`",
    advice: "; `aws securityhub get-findings` writes them",
};
