//! The IAM credential report: CSV rows of users and their credentials.
//!
//! `aws iam generate-credential-report` then `get-credential-report` returns the report
//! base64-encoded (`{"Content": "...", "ReportFormat": "text/csv", "GeneratedTime": ...}`);
//! [`decode`] accepts that JSON, the bare base64 text, or the decoded CSV. The CSV has one row
//! per IAM user plus the root account (`<root_account>`); values are `true`/`false`, ISO-8601
//! times, `N/A`, `no_information` and, for the root's password, `not_supported`. Columns are
//! found by name, so a report with reordered or additional columns still reads. AWS Config does
//! not record MFA, password use or key age: only this report does.

use std::borrow::Cow;
use std::fmt;

use demarc_sdk::time::Timestamp;

/// The user name of the root account's row.
pub const ROOT_USER: &str = "<root_account>";

/// The columns the checks read; a report missing any of them is malformed.
const REQUIRED: [&str; 5] = [
    "user",
    "arn",
    "password_enabled",
    "mfa_active",
    "access_key_1_active",
];

/// One credential report value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// `true`.
    True,
    /// `false`.
    False,
    /// An ISO-8601 time.
    Time(Timestamp),
    /// `N/A`: the credential does not exist or was never used.
    NotApplicable,
    /// `no_information`: used before IAM tracked use (October 2014), or never.
    NoInformation,
    /// `not_supported`: e.g. the root account's `password_enabled`.
    NotSupported,
    /// Empty or anything else.
    Other,
}

impl Value {
    /// Interpret one cell.
    pub fn of(cell: &str) -> Value {
        let cell = cell.trim();
        if cell.eq_ignore_ascii_case("true") {
            Value::True
        } else if cell.eq_ignore_ascii_case("false") {
            Value::False
        } else if cell.eq_ignore_ascii_case("N/A") {
            Value::NotApplicable
        } else if cell.eq_ignore_ascii_case("no_information") {
            Value::NoInformation
        } else if cell.eq_ignore_ascii_case("not_supported") {
            Value::NotSupported
        } else if let Some(t) = Timestamp::parse(cell) {
            Value::Time(t)
        } else {
            Value::Other
        }
    }

    /// The time, if the value is one.
    pub fn time(self) -> Option<Timestamp> {
        match self {
            Value::Time(t) => Some(t),
            _ => None,
        }
    }
}

/// One access key's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessKey {
    /// `access_key_N_active`.
    pub active: String,
    /// `access_key_N_last_rotated`.
    pub last_rotated: String,
    /// `access_key_N_last_used_date`.
    pub last_used_date: String,
}

impl AccessKey {
    /// Whether the key is active.
    pub fn is_active(&self) -> bool {
        Value::of(&self.active) == Value::True
    }
}

/// One row of the report: a user or the root account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based line of the row in the CSV.
    pub line: u64,
    /// `user`.
    pub user: String,
    /// `arn`.
    pub arn: String,
    /// `user_creation_time`.
    pub user_creation_time: String,
    /// `password_enabled`.
    pub password_enabled: String,
    /// `password_last_used`.
    pub password_last_used: String,
    /// `password_last_changed` (empty when the report has no such column).
    pub password_last_changed: String,
    /// `mfa_active`.
    pub mfa_active: String,
    /// Access keys 1 and 2.
    pub keys: [AccessKey; 2],
}

impl Row {
    /// Whether this is the root account's row.
    pub fn is_root(&self) -> bool {
        self.user.trim() == ROOT_USER || self.arn.trim_end().ends_with(":root")
    }

    /// The account id, from the ARN (`arn:aws:iam::123456789012:user/alice`).
    pub fn account(&self) -> &str {
        self.arn
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .unwrap_or("unknown")
    }
}

/// What is wrong with a report or one of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A parsed report: its rows, and the rows that could not be read.
#[derive(Debug, Default)]
pub struct Report {
    /// Rows read.
    pub rows: Vec<Row>,
    /// Rows skipped, each with its line.
    pub bad_rows: Vec<ReportError>,
}

/// Whether `text` starts like a credential report CSV (a header beginning `user,arn`).
pub fn looks_like_report(text: &[u8]) -> bool {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    text.len() >= 8 && text[..8].eq_ignore_ascii_case(b"user,arn")
}

/// The report's CSV text from any of the shapes `get-credential-report` output takes: the
/// decoded CSV, the base64 `Content`, or the whole JSON response.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ReportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if looks_like_report(bytes) {
        return std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|e| whole(format!("the report is not UTF-8: {e}")));
    }
    let trimmed = bytes.trim_ascii_start();
    let content: Cow<'_, [u8]> = if trimmed.first() == Some(&b'{') {
        demarc_sdk::spelled_struct! {
            struct Response<'a> {
                content: Option<Cow<'a, str>> = ["Content", "content"],
            }
        }
        let response: Response<'_> = serde_json::from_slice(trimmed)
            .map_err(|e| whole(format!("not a get-credential-report response: {e}")))?;
        match response.content {
            Some(c) => Cow::Owned(c.into_owned().into_bytes()),
            None => {
                return Err(whole(
                    "JSON without a `Content` field is not a get-credential-report response",
                ));
            }
        }
    } else {
        Cow::Borrowed(trimmed)
    };
    if looks_like_report(&content) {
        return String::from_utf8(content.into_owned())
            .map(Cow::Owned)
            .map_err(|e| whole(format!("the report is not UTF-8: {e}")));
    }
    let decoded = base64(&content)
        .ok_or_else(|| whole("neither a credential report CSV nor base64 of one"))?;
    if !looks_like_report(&decoded) {
        return Err(whole(
            "the decoded content does not start with the credential report header `user,arn`",
        ));
    }
    String::from_utf8(decoded)
        .map(Cow::Owned)
        .map_err(|e| whole(format!("the decoded report is not UTF-8: {e}")))
}

fn whole(message: impl Into<String>) -> ReportError {
    ReportError {
        line: None,
        message: message.into(),
    }
}

/// Decode standard base64 (whitespace ignored, padding optional); `None` on any other byte.
fn base64(input: &[u8]) -> Option<Vec<u8>> {
    fn sextet(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    let mut seen = 0usize;
    for &b in input {
        if b.is_ascii_whitespace() || b == b'=' {
            continue;
        }
        acc = (acc << 6) | sextet(b)?;
        bits += 6;
        seen += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (seen > 0).then_some(out)
}

/// Parse the decoded CSV text of a report.
pub fn parse(text: &str) -> Result<Report, ReportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| whole(format!("cannot read the header: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| column(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ReportError {
            line: Some(1),
            message: format!(
                "the header lacks the {} {}",
                if missing.len() == 1 {
                    "column"
                } else {
                    "columns"
                },
                missing.join(", ")
            ),
        });
    }
    let index = |name: &str| column(name);
    let cols = Columns {
        user: index("user"),
        arn: index("arn"),
        user_creation_time: index("user_creation_time"),
        password_enabled: index("password_enabled"),
        password_last_used: index("password_last_used"),
        password_last_changed: index("password_last_changed"),
        mfa_active: index("mfa_active"),
        keys: [1, 2].map(|n| {
            [
                index(&format!("access_key_{n}_active")),
                index(&format!("access_key_{n}_last_rotated")),
                index(&format!("access_key_{n}_last_used_date")),
            ]
        }),
    };
    let mut report = Report::default();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line());
                if record.iter().all(str::is_empty) {
                    continue;
                }
                let row = cols.row(&record, line);
                if row.arn.is_empty() {
                    report.bad_rows.push(ReportError {
                        line: Some(line),
                        message: format!("the row of user `{}` has no arn", row.user),
                    });
                    continue;
                }
                report.rows.push(row);
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                report.bad_rows.push(ReportError {
                    line: Some(line),
                    message: strip_csv_position(&e.to_string()),
                });
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    Ok(report)
}

fn strip_csv_position(message: &str) -> String {
    // csv errors read "CSV error: record 3 (line: 4, byte: 120): found record with 3 fields, but
    // the previous record has 22 fields"; the line is reported separately.
    match message.find("): ") {
        Some(i) => message[i + 3..].to_string(),
        None => message.to_string(),
    }
}

struct Columns {
    user: Option<usize>,
    arn: Option<usize>,
    user_creation_time: Option<usize>,
    password_enabled: Option<usize>,
    password_last_used: Option<usize>,
    password_last_changed: Option<usize>,
    mfa_active: Option<usize>,
    keys: [[Option<usize>; 3]; 2],
}

impl Columns {
    fn row(&self, record: &csv::StringRecord, line: u64) -> Row {
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_string();
        Row {
            line,
            user: cell(self.user),
            arn: cell(self.arn),
            user_creation_time: cell(self.user_creation_time),
            password_enabled: cell(self.password_enabled),
            password_last_used: cell(self.password_last_used),
            password_last_changed: cell(self.password_last_changed),
            mfa_active: cell(self.mfa_active),
            keys: self.keys.map(|[active, rotated, used]| AccessKey {
                active: cell(active),
                last_rotated: cell(rotated),
                last_used_date: cell(used),
            }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    pub(crate) fn sample() -> String {
        [
            HEADER,
            "<root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,2025-05-01T00:00:00+00:00,not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,2025-05-01T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            "alice,arn:aws:iam::111122223333:user/alice,2020-02-02T00:00:00+00:00,true,no_information,2020-02-02T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        ]
        .join("\n")
    }

    #[test]
    fn reads_rows_and_values() {
        let report = parse(&sample()).unwrap();
        assert!(report.bad_rows.is_empty());
        assert_eq!(report.rows.len(), 2);
        let root = &report.rows[0];
        assert!(root.is_root());
        assert_eq!(root.account(), "111122223333");
        assert_eq!(Value::of(&root.password_enabled), Value::NotSupported);
        assert!(root.keys[0].is_active());
        assert_eq!(root.line, 2);
        let alice = &report.rows[1];
        assert!(!alice.is_root());
        assert_eq!(Value::of(&alice.password_last_used), Value::NoInformation);
        assert_eq!(Value::of(&alice.keys[0].last_rotated), Value::NotApplicable);
        assert!(Value::of(&alice.user_creation_time).time().is_some());
        assert_eq!(alice.password_last_changed, "2020-02-02T00:00:00+00:00");
        assert_eq!(Value::of(&root.password_last_changed), Value::NotSupported);
    }

    #[test]
    fn decodes_base64_and_the_api_response() {
        let csv = sample();
        let b64 = encode(csv.as_bytes());
        assert_eq!(decode(b64.as_bytes()).unwrap(), csv);
        let response = format!(
            r#"{{"Content":"{b64}","ReportFormat":"text/csv","GeneratedTime":"2025-06-01T00:00:00Z"}}"#
        );
        assert_eq!(decode(response.as_bytes()).unwrap(), csv);
        // Both spellings of `Content` in one response (an SDK's and the CLI's field names).
        let both = format!(r#"{{"content":"{b64}","Content":"{b64}"}}"#);
        assert_eq!(decode(both.as_bytes()).unwrap(), csv);
        assert_eq!(decode(csv.as_bytes()).unwrap(), csv);
        assert!(decode(b"name,type\nx,y").is_err());
        assert!(decode(br#"{"data":[]}"#).is_err());
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_the_rest_read() {
        let text = format!(
            "{}\nbob,arn:aws:iam::1:user/bob,short\n{}",
            HEADER,
            sample().lines().nth(2).unwrap()
        );
        let report = parse(&text).unwrap();
        assert_eq!(report.rows.len(), 1);
        assert_eq!(report.bad_rows.len(), 1);
        assert_eq!(report.bad_rows[0].line, Some(2));
    }

    #[test]
    fn a_header_without_required_columns_is_malformed() {
        let err = parse("user,arn,foo\na,b,c").unwrap_err();
        assert!(err.message.contains("password_enabled"), "{err}");
    }

    fn encode(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                << (8 * (3 - chunk.len()));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
