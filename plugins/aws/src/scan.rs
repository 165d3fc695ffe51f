//! The scan driver: read each input, evaluate each item, keep what spans inputs, report problems.
//!
//! For each input the driver settles its format (declared, else sniffed; see [`crate::format`]),
//! then streams it: configuration items one at a time through
//! [`demarc_sdk::stream::JsonItems`] (a `{"configurationItems": [...]}` snapshot, a bare array
//! or NDJSON), or the credential report's rows. Each item is dispatched on its resource type to
//! the check module of that type; items of other types are read no further than their envelope.
//! Findings go out as they are made; the ones that need every input are emitted by
//! [`Estate::finish`] at the end.
//!
//! Problems never panic and never silently drop coverage. A problem with a whole file (missing,
//! not JSON, truncated, not AWS Config) stops the scan when that file is the target's only input
//! and is otherwise recorded in the summary while the other inputs are read; a single item that
//! cannot be read is recorded with its position and the scan moves on. Findings already emitted
//! stay emitted.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use demarc_sdk::stream::{Item, JsonItems, StreamError, StreamErrorKind};
use demarc_sdk::{
    Emitter, Finding, Input, InputError, Problem, ScanError, ScanRequest, ScanSummary,
};

use crate::checks::{
    Context, cloudtrail, credentials, ec2, iam, kms, lambda, rds, s3, security_group,
};
use crate::config_item::ConfigItem;
use crate::credential_report;
use crate::estate::Estate;
use crate::format::{self, Format, Sniffed};
use crate::json::FieldError;
use crate::time::Timestamp;

/// The array key of a delivered AWS Config snapshot.
const ITEMS_KEY: &str = "configurationItems";
/// Bytes read to sniff an input's format.
const SNIFF_BYTES: usize = 64 * 1024;
/// Largest credential report read (a report of 10,000 users is about 3 MB).
const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// The kinds of problem the contract names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Missing,
    Malformed,
    Unsupported,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Missing => "missing-input",
            Kind::Malformed => "malformed-input",
            Kind::Unsupported => "unsupported-format",
        }
    }

    fn into_error(self, error: InputError) -> ScanError {
        match self {
            Kind::Missing => ScanError::MissingInput(error),
            Kind::Malformed => ScanError::MalformedInput(error),
            Kind::Unsupported => ScanError::UnsupportedFormat(error),
        }
    }
}

/// Scan one target.
pub fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
    let now = Timestamp::parse(&request.now).ok_or_else(|| {
        ScanError::Internal(format!(
            "the scan request's `now` ({}) is not an RFC 3339 time",
            request.now
        ))
    })?;
    let mut scan = Scan {
        ctx: Context { now },
        estate: Estate::default(),
        summary: ScanSummary {
            resources: 0,
            skipped: 0,
            problems: Vec::new(),
        },
        single: request.inputs.len() == 1,
        out,
    };
    let root = Path::new(&request.snapshot_root);
    for input in &request.inputs {
        scan.input(root, input)?;
    }
    let Scan {
        estate,
        out,
        summary,
        ..
    } = scan;
    estate.finish(|finding| out.emit(finding))?;
    Ok(summary)
}

struct Scan<'o, 'e> {
    ctx: Context,
    estate: Estate,
    summary: ScanSummary,
    /// The target has exactly one input: a problem with it stops the scan.
    single: bool,
    out: &'o mut Emitter<'e>,
}

impl Scan<'_, '_> {
    fn emit(&mut self, findings: Vec<Finding>) -> Result<(), ScanError> {
        for finding in findings {
            self.out.emit(finding)?;
        }
        Ok(())
    }

    /// A problem with a whole file: fatal when it is the only input, recorded otherwise.
    fn file_problem(&mut self, kind: Kind, error: InputError) -> Result<(), ScanError> {
        if self.single {
            return Err(kind.into_error(error));
        }
        demarc_sdk::log::warn(&format!("{}: {error}", kind.as_str()));
        self.summary.problems.push(Problem {
            error,
            kind: kind.as_str().to_string(),
        });
        Ok(())
    }

    /// A problem with one item or row: always recorded, never fatal.
    fn item_problem(&mut self, error: InputError) {
        self.summary.problems.push(Problem {
            error,
            kind: Kind::Malformed.as_str().to_string(),
        });
    }

    fn input(&mut self, root: &Path, input: &Input) -> Result<(), ScanError> {
        let name = input.path.as_str();
        let path: PathBuf = root.join(name.trim_start_matches('/'));
        let declared = match input.format.as_deref().map(format::declared) {
            Some(Ok(f)) => Some(f),
            Some(Err(message)) => {
                return self.file_problem(Kind::Unsupported, InputError::file(name, message));
            }
            None => None,
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                let message = if e.kind() == std::io::ErrorKind::NotFound {
                    "the input does not exist in the snapshot directory".to_string()
                } else {
                    format!("the input cannot be opened: {e}")
                };
                return self.file_problem(Kind::Missing, InputError::file(name, message));
            }
        };
        let mut reader = BufReader::with_capacity(SNIFF_BYTES, file);
        let format = match declared {
            Some(f) => f,
            None => {
                let head = match reader.fill_buf() {
                    Ok(head) => head,
                    Err(e) => {
                        return self.file_problem(
                            Kind::Malformed,
                            InputError::file(name, format!("the input cannot be read: {e}")),
                        );
                    }
                };
                match format::sniff(head) {
                    Sniffed::Format(f) => f,
                    Sniffed::Unsupported(what) => {
                        return self.file_problem(
                            Kind::Unsupported,
                            InputError::file(
                                name,
                                format!("not an AWS export this plugin reads: {what}"),
                            ),
                        );
                    }
                }
            }
        };
        match format {
            Format::ConfigSnapshot => self.config(name, reader),
            Format::CredentialReport => {
                let mut bytes = Vec::new();
                if let Err(e) = reader.take(MAX_REPORT_BYTES + 1).read_to_end(&mut bytes) {
                    return self.file_problem(
                        Kind::Malformed,
                        InputError::file(name, format!("the input cannot be read: {e}")),
                    );
                }
                if bytes.len() as u64 > MAX_REPORT_BYTES {
                    return self.file_problem(
                        Kind::Malformed,
                        InputError::file(name, "larger than any IAM credential report (256 MiB)"),
                    );
                }
                self.report(name, &bytes)
            }
        }
    }

    /// Stream the configuration items of one input.
    fn config(&mut self, file: &str, reader: impl Read) -> Result<(), ScanError> {
        let mut items = JsonItems::new(reader, ITEMS_KEY);
        let mut recognised = false;
        while let Some(next) = items.next() {
            let item = match next {
                Ok(item) => item,
                Err(e) => return self.stream_problem(file, &e),
            };
            let parsed: ConfigItem<'_> = match item.parse() {
                Ok(parsed) => parsed,
                Err(e) => {
                    if !recognised && item.bytes.trim_ascii_start().first() != Some(&b'{') {
                        return self.unsupported(file, item.bytes);
                    }
                    self.item_problem(at(file, &e));
                    continue;
                }
            };
            if parsed.resource_type.non_empty().is_none() {
                if !recognised {
                    return self.unsupported(file, item.bytes);
                }
                self.item_problem(InputError {
                    file: file.to_string(),
                    line: Some(clamp(item.line)),
                    column: Some(clamp(item.column)),
                    message: format!(
                        "item {}: a configuration item without `resourceType`",
                        item.index
                    ),
                });
                continue;
            }
            recognised = true;
            match self.evaluate(&parsed) {
                Ok(Some(findings)) => {
                    self.summary.resources += 1;
                    self.emit(findings)?;
                }
                Ok(None) => {}
                Err(e) => {
                    let error = field_error(file, &item, &parsed, &e);
                    self.item_problem(error);
                }
            }
        }
        demarc_sdk::log::debug(&format!(
            "{file}: read {} configuration items ({:?} layout)",
            items.count(),
            items.layout()
        ));
        Ok(())
    }

    fn stream_problem(&mut self, file: &str, e: &StreamError) -> Result<(), ScanError> {
        let message = match e.kind {
            StreamErrorKind::Empty => "the input is empty: no AWS Config items".to_string(),
            _ => e.message.clone(),
        };
        self.file_problem(
            Kind::Malformed,
            InputError {
                file: file.to_string(),
                line: Some(clamp(e.line)),
                column: Some(clamp(e.column)),
                message,
            },
        )
    }

    fn unsupported(&mut self, file: &str, first_item: &[u8]) -> Result<(), ScanError> {
        let what = format::describe_foreign(first_item);
        self.file_problem(
            Kind::Unsupported,
            InputError::file(
                file,
                format!("valid JSON but not an AWS Config snapshot: it looks like {what}"),
            ),
        )
    }

    /// The findings of one configuration item; `None` for items that are skipped, of a type
    /// without checks, or (patch compliance) only kept for the join.
    fn evaluate<'a>(
        &mut self,
        item: &ConfigItem<'a>,
    ) -> Result<Option<Vec<Finding>>, FieldError<'a>> {
        self.estate.saw_account(item.account());
        if item.is_skipped() {
            self.summary.skipped += 1;
            return Ok(None);
        }
        let ctx = self.ctx;
        let findings = match item.kind() {
            "AWS::S3::Bucket" => s3::evaluate(item)?,
            "AWS::EC2::SecurityGroup" => security_group::evaluate(item)?,
            "AWS::EC2::Volume" => ec2::evaluate_volume(item)?,
            "AWS::EC2::Instance" => {
                let outcome = ec2::evaluate_instance(item, &ctx)?;
                if let Some(running) = outcome.running {
                    self.estate.running_instance(running);
                }
                outcome.findings
            }
            "AWS::RDS::DBInstance" => rds::evaluate(item)?,
            "AWS::IAM::User" => {
                let findings = iam::evaluate(item)?;
                self.estate
                    .config_user(item.id(), credentials::ConfigUser::new(&item.subject()));
                findings
            }
            "AWS::IAM::Policy" | "AWS::IAM::Role" | "AWS::IAM::Group" => iam::evaluate(item)?,
            "AWS::KMS::Key" => kms::evaluate(item)?,
            "AWS::CloudTrail::Trail" => {
                let (findings, multi_region) = cloudtrail::evaluate(item)?;
                self.estate.trail(item.account(), multi_region);
                findings
            }
            "AWS::Lambda::Function" => lambda::evaluate(item, &ctx)?,
            "AWS::SSM::PatchCompliance" => {
                let (instance, record) = ec2::patch_record(item)?;
                self.estate.patch(instance, record);
                return Ok(None);
            }
            _ => return Ok(None),
        };
        Ok(Some(findings))
    }

    /// Read a credential report and emit the findings of its rows.
    fn report(&mut self, file: &str, bytes: &[u8]) -> Result<(), ScanError> {
        let text = match credential_report::decode(bytes) {
            Ok(text) => text,
            Err(e) => {
                return self.file_problem(
                    Kind::Malformed,
                    InputError::file(file, format!("not a readable IAM credential report: {e}")),
                );
            }
        };
        let report = match credential_report::parse(&text) {
            Ok(report) => report,
            Err(e) => {
                return self.file_problem(
                    Kind::Malformed,
                    InputError {
                        file: file.to_string(),
                        line: e.line.map(clamp),
                        column: None,
                        message: format!("not a readable IAM credential report: {}", e.message),
                    },
                );
            }
        };
        for bad in report.bad_rows {
            self.item_problem(InputError {
                file: file.to_string(),
                line: bad.line.map(clamp),
                column: None,
                message: format!("credential report row skipped: {}", bad.message),
            });
        }
        for row in &report.rows {
            self.estate.reported(row.account());
            self.summary.resources += 1;
            self.emit(credentials::row_findings(row, self.ctx.now))?;
        }
        Ok(())
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An item that failed to parse, at its position in the file.
fn at(file: &str, e: &StreamError) -> InputError {
    InputError {
        file: file.to_string(),
        line: Some(clamp(e.line)),
        column: Some(clamp(e.column)),
        message: e.message.clone(),
    }
}

/// A field of an item that does not fit the shape its checks read, at its position in the file.
fn field_error(
    file: &str,
    item: &Item<'_>,
    parsed: &ConfigItem<'_>,
    e: &FieldError<'_>,
) -> InputError {
    let base = item.bytes.as_ptr() as usize;
    let start = (e.at.as_ptr() as usize)
        .checked_sub(base)
        .filter(|offset| offset + e.at.len() <= item.bytes.len());
    let offset = match start {
        // Inline documents: point at the error inside them.
        Some(start) if !e.at.starts_with('"') => {
            start + offset_of(e.at, e.error.line(), e.error.column())
        }
        // Documents held in strings (or copied): point at the field.
        Some(start) => start,
        None => 0,
    };
    let (line, column) = position(item, offset);
    let error = e.error.to_string();
    let error = error
        .rfind(" at line ")
        .map_or(error.as_str(), |i| &error[..i]);
    InputError {
        file: file.to_string(),
        line: Some(clamp(line)),
        column: Some(clamp(column)),
        message: format!(
            "item {} ({} {}): `{}` does not have the shape AWS Config records: {error}",
            item.index,
            parsed.kind(),
            parsed.id(),
            e.field
        ),
    }
}

/// Byte offset in `text` of 1-based `line` and `column` (as serde_json reports them).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match text[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return text.len(),
        }
    }
    (offset + column.saturating_sub(1)).min(text.len())
}

/// The 1-based line and column in the file of byte `offset` of `item`.
fn position(item: &Item<'_>, offset: usize) -> (u64, u64) {
    let prefix = &item.bytes[..offset.min(item.bytes.len())];
    let newlines = prefix.iter().filter(|b| **b == b'\n').count() as u64;
    match prefix.iter().rposition(|b| *b == b'\n') {
        None => (item.line, item.column + offset as u64),
        Some(nl) => (item.line + newlines, (offset - nl) as u64),
    }
}
