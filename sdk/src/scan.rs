//! The scan driver every plugin configures: it opens the inputs, settles their formats, streams
//! them, turns every problem into a positioned [`Problem`] and flushes the findings.
//!
//! A plugin implements [`Driver`]: its name and the [`Format`]s it reads (declared names and a
//! sniffing rule), a `read` for one opened input of one of its formats, and a `finish` for the
//! findings that need every input (its cross-item joins). [`run`] does the rest:
//!
//! - **Inputs.** Each input is opened under the snapshot root; one that does not exist or cannot
//!   be opened is a `missing-input` problem. Its first 64 KiB are buffered and sniffed after a
//!   UTF-8 byte order mark and blanks: compressed files are refused whatever they declare (with
//!   a note the plugin may add), a declared format must be one of the plugin's, and otherwise the
//!   plugin's sniffing rule decides.
//! - **The single-input rule.** A problem with a whole file ([`Scan::file_problem`]) stops the
//!   scan when the target has exactly one input, and is recorded otherwise while the other
//!   inputs are read (an `incomplete-input` is always recorded: what was read stands).
//! - **Items.** [`Scan::json_items`] streams a JSON input through [`JsonItems`] (a wrapper
//!   object's array, a bare array or NDJSON, in chunks, never a whole-file parse), checks each
//!   item's UTF-8 once, and hands the plugin the item's text to parse with borrowed strings; a
//!   damaged item is a `malformed-input` problem at its line and column and the scan moves on.
//!   [`field_error`] points into an item at the document that did not have the expected shape.
//! - **Foreign files.** [`Scan::foreign_json`] names what the first item of a JSON file that is
//!   not the plugin's export looks like, from the one registry in [`crate::formats`].
//! - **Findings** go out through the [`Emitter`] as they are made; when the scan stops with an
//!   error, those made before it are still handed to the host.
//!
//! The driver is generic over the plugin ([`run::<D>`](run)): no dynamic dispatch per item.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::formats::{self, Format, Own, Sniffed};
use crate::json::FieldError;
use crate::stream::{Item, JsonItems, StreamError, StreamErrorKind};
use crate::time::Timestamp;
use crate::{Emitter, Finding, Input, InputError, Problem, ScanError, ScanRequest, ScanSummary};

/// Bytes buffered to sniff an input's format (and the reader's buffer size).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The kinds of problem the contract names (its enum `problem-kind`): an input that does not
/// exist, cannot be opened, or (an oversized notification) does not carry what was to be read;
/// an input or item that is not what its format says; an input of a format the plugin does not
/// read; an export that says it is incomplete (truncated, paged), whose content was scanned.
pub use crate::ProblemKind;

impl ProblemKind {
    /// The contract's name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::MissingInput => "missing-input",
            ProblemKind::MalformedInput => "malformed-input",
            ProblemKind::UnsupportedFormat => "unsupported-format",
            ProblemKind::IncompleteInput => "incomplete-input",
        }
    }

    /// The error that stops a scan whose only input has this problem.
    pub fn into_error(self, error: InputError) -> ScanError {
        match self {
            ProblemKind::MissingInput => ScanError::MissingInput(error),
            ProblemKind::MalformedInput | ProblemKind::IncompleteInput => {
                ScanError::MalformedInput(error)
            }
            ProblemKind::UnsupportedFormat => ScanError::UnsupportedFormat(error),
        }
    }
}

impl Problem {
    /// A problem of `kind`.
    pub fn new(kind: ProblemKind, error: InputError) -> Self {
        Problem { error, kind }
    }
}

impl InputError {
    /// An error at a 1-based line and column of `file`.
    pub fn at(file: &str, line: u64, column: u64, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_string(),
            line: Some(clamp(line)),
            column: Some(clamp(column)),
            message: message.into(),
        }
    }
}

/// A plugin's scan: what it reads and how. See the [module](self) for what the driver does.
pub trait Driver: Sized {
    /// The formats the plugin reads.
    type Format: Copy + 'static;
    /// How the plugin names what it reads, for messages about files that are not.
    const OWN: Own;
    /// The formats with the names a configuration may declare for them.
    const FORMATS: &'static [Format<Self::Format>];
    /// The start of the message for a file of another format, e.g. "not an AWS export this
    /// plugin reads: "; the driver appends what the file is.
    const NOT_OURS: &'static str;
    /// A note for gzip files, e.g. "AWS Config delivers snapshots gzipped".
    const GZIP_NOTE: Option<&'static str> = None;

    /// Decide an undeclared input's format from its first bytes (byte order mark, leading blanks
    /// and compressed files already taken care of).
    fn sniff(body: &[u8]) -> Sniffed<Self::Format>;

    /// A fresh scan at the request's reference time.
    fn start(now: Timestamp) -> Self;

    /// Read one input of `format`, emitting findings and recording problems through `scan`.
    fn read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        format: Self::Format,
    ) -> Result<(), ScanError>;

    /// A live target (see [`crate::http::live`]): read the cloud's APIs through `grant`, before
    /// any input of the snapshot. A plugin without a live mode keeps this default, which records
    /// that the target's APIs were not read (`missing-input`), so that the report says what was
    /// not covered instead of passing over it.
    fn live(
        &mut self,
        scan: &mut Scan<'_, '_>,
        grant: &crate::http::Live,
    ) -> Result<(), ScanError> {
        scan.record(
            ProblemKind::MissingInput,
            InputError::file(
                LIVE_INPUT,
                format!(
                    "the target is live (granted {}), but this plugin has no live mode: it reads exports only, and read just the target's snapshot",
                    grant.endpoints.join(", ")
                ),
            ),
        );
        Ok(())
    }

    /// After every input: the findings of the cross-item joins (estate state decided at the end).
    fn finish(self, scan: &mut Scan<'_, '_>) -> Result<(), ScanError>;
}

/// The input name of problems about a live target's API reads as a whole.
pub const LIVE_INPUT: &str = "(live)";

/// An input, open and with its first bytes buffered.
pub struct Opened<'a> {
    /// The input's path as the request names it (messages use it).
    pub name: &'a str,
    /// Where it is.
    pub path: PathBuf,
    /// Its contents.
    pub reader: BufReader<File>,
}

impl Opened<'_> {
    /// The whole input, for formats that are read whole (small reports); more than `max` bytes
    /// is an error whose message is `too_large`.
    pub fn read_all(self, max: u64, too_large: &str) -> Result<Vec<u8>, InputError> {
        let mut bytes = Vec::new();
        if let Err(e) = self.reader.take(max + 1).read_to_end(&mut bytes) {
            return Err(InputError::file(
                self.name,
                format!("the input cannot be read: {e}"),
            ));
        }
        if bytes.len() as u64 > max {
            return Err(InputError::file(self.name, too_large));
        }
        Ok(bytes)
    }
}

/// Scan one target with driver `D`.
///
/// When the scan stops with an error, the findings made before it are still handed to the host:
/// the emitter is flushed before the error is returned.
pub fn run<D: Driver>(
    request: &ScanRequest,
    out: &mut Emitter<'_>,
) -> Result<ScanSummary, ScanError> {
    let result = drive::<D>(request, out);
    if result.is_err() {
        // The scan's own error is the one to report; a refused flush adds nothing to it.
        let _ = out.flush();
    }
    result
}

fn drive<D: Driver>(
    request: &ScanRequest,
    out: &mut Emitter<'_>,
) -> Result<ScanSummary, ScanError> {
    let now = Timestamp::parse(&request.now).ok_or_else(|| {
        ScanError::Internal(format!(
            "the scan request's `now` ({}) is not an RFC 3339 time",
            request.now
        ))
    })?;
    let mut scan = Scan {
        now,
        summary: ScanSummary {
            resources: 0,
            skipped: 0,
            problems: Vec::new(),
        },
        single: request.inputs.len() == 1,
        out,
    };
    let mut driver = D::start(now);
    if let Some(grant) = crate::http::live() {
        driver.live(&mut scan, &grant)?;
    }
    let root = Path::new(&request.snapshot_root);
    for input in &request.inputs {
        if let Some((opened, format)) = scan.open::<D>(root, input)? {
            driver.read(&mut scan, opened, format)?;
        }
    }
    driver.finish(&mut scan)?;
    Ok(scan.summary)
}

/// The state of one scan a plugin reads into: the findings' way out, the summary, the problems.
pub struct Scan<'o, 'e> {
    now: Timestamp,
    summary: ScanSummary,
    /// The target has exactly one input: a problem with it stops the scan.
    single: bool,
    out: &'o mut Emitter<'e>,
}

/// What to do after an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next item.
    Next,
    /// Stop reading this input (a problem with it was recorded, or it is read another way).
    Stop,
}

/// How to stream one JSON input.
#[derive(Debug, Clone, Copy)]
pub struct Stream<'k> {
    /// The array key of the export's wrapper object (`configurationItems`, `data`).
    pub key: &'k str,
    /// What an empty input lacks, in "the input is empty: …" (`no AWS Config items`).
    pub empty: &'k str,
    /// When the wrapper's `key` is not an array: the message of the `unsupported-format`
    /// problem (otherwise it is malformed).
    pub not_an_array: Option<&'k str>,
}

impl Scan<'_, '_> {
    /// The scan request's reference time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Hand findings to the host (in batches).
    pub fn emit(&mut self, findings: impl IntoIterator<Item = Finding>) -> Result<(), ScanError> {
        for finding in findings {
            self.out.emit(finding)?;
        }
        Ok(())
    }

    /// Declare checks learned from the input before their findings (an importer's rules); see
    /// [`Emitter::declare`].
    pub fn declare(&mut self, checks: &[crate::Check]) -> Result<(), ScanError> {
        self.out.declare(checks)
    }

    /// Count `n` evaluated resources.
    pub fn resources(&mut self, n: u64) {
        self.summary.resources += n;
    }

    /// Count one resource skipped (deleted, or not meant to be judged).
    pub fn skipped(&mut self) {
        self.summary.skipped += 1;
    }

    /// A problem with a whole file: fatal when it is the target's only input (unless it says the
    /// input is incomplete), recorded otherwise.
    pub fn file_problem(&mut self, kind: ProblemKind, error: InputError) -> Result<(), ScanError> {
        if self.single && kind != ProblemKind::IncompleteInput {
            return Err(kind.into_error(error));
        }
        crate::log::warn(&format!("{}: {error}", kind.as_str()));
        self.record(kind, error);
        Ok(())
    }

    /// A problem with one item or row: a `malformed-input` always recorded, never fatal.
    pub fn item_problem(&mut self, error: InputError) {
        self.record(ProblemKind::MalformedInput, error);
    }

    /// Record a problem of any kind; never fatal.
    pub fn record(&mut self, kind: ProblemKind, error: InputError) {
        self.summary.problems.push(Problem::new(kind, error));
    }

    /// An item that is not JSON of the expected shape, at its position.
    pub fn item_parse_error(&mut self, file: &str, item: &Item<'_>, e: &serde_json::Error) {
        let e = item.error_at(e);
        self.item_problem(InputError::at(file, e.line, e.column, e.message));
    }

    /// A JSON file whose first item is not the plugin's: `unsupported-format`, saying what it
    /// looks like. `export` names what the plugin expected ("an AWS Config snapshot").
    pub fn foreign_json(
        &mut self,
        file: &str,
        first_item: &[u8],
        own: &Own,
        export: &str,
    ) -> Result<(), ScanError> {
        let what = formats::describe_foreign(first_item, own);
        self.unsupported(
            file,
            format!("valid JSON but not {export}: it looks like {what}"),
        )
    }

    /// An `unsupported-format` file problem.
    pub fn unsupported(&mut self, file: &str, message: String) -> Result<(), ScanError> {
        self.file_problem(
            ProblemKind::UnsupportedFormat,
            InputError::file(file, message),
        )
    }

    /// Stream the JSON items of one input, calling `each` with every item and its text (UTF-8
    /// checked once for the whole item). Returns the reader when every item was read (for its
    /// count, layout and wrapper fields), `None` when reading stopped.
    pub fn json_items<R: Read>(
        &mut self,
        file: &str,
        reader: R,
        how: Stream<'_>,
        mut each: impl FnMut(&mut Self, &Item<'_>, &str) -> Result<Flow, ScanError>,
    ) -> Result<Option<JsonItems<R>>, ScanError> {
        let mut items = JsonItems::new(reader, how.key);
        while let Some(next) = items.next() {
            let item = match next {
                Ok(item) => item,
                Err(e) => {
                    self.stream_problem(file, &e, &how)?;
                    return Ok(None);
                }
            };
            let text = match std::str::from_utf8(item.bytes) {
                Ok(text) => text,
                Err(e) => {
                    let (line, column) = position(&item, e.valid_up_to());
                    self.item_problem(InputError::at(
                        file,
                        line,
                        column,
                        format!("item {}: not UTF-8 text", item.index),
                    ));
                    continue;
                }
            };
            if each(self, &item, text)? == Flow::Stop {
                return Ok(None);
            }
        }
        Ok(Some(items))
    }

    fn stream_problem(
        &mut self,
        file: &str,
        e: &StreamError,
        how: &Stream<'_>,
    ) -> Result<(), ScanError> {
        if let Some(message) = how.not_an_array
            && e.kind == StreamErrorKind::Syntax
            && e.message
                .contains(&format!("`{}` is not an array", how.key))
        {
            return self.file_problem(
                ProblemKind::UnsupportedFormat,
                InputError::at(file, e.line, e.column, message),
            );
        }
        let message = match e.kind {
            StreamErrorKind::Empty => format!("the input is empty: {}", how.empty),
            _ => e.message.clone(),
        };
        self.file_problem(
            ProblemKind::MalformedInput,
            InputError::at(file, e.line, e.column, message),
        )
    }

    /// Open an input and settle its format; `None` when a problem with it was recorded.
    fn open<'i, D: Driver>(
        &mut self,
        root: &Path,
        input: &'i Input,
    ) -> Result<Option<(Opened<'i>, D::Format)>, ScanError> {
        let name = input.path.as_str();
        let path: PathBuf = root.join(name.trim_start_matches('/'));
        let declared = match input
            .format
            .as_deref()
            .map(|f| formats::declared(D::OWN.plugin, D::FORMATS, f))
        {
            Some(Ok(f)) => Some(f),
            Some(Err(message)) => return self.unsupported(name, message).map(|()| None),
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
                return self
                    .file_problem(ProblemKind::MissingInput, InputError::file(name, message))
                    .map(|()| None);
            }
        };
        let mut reader = BufReader::with_capacity(SNIFF_BYTES, file);
        let head = match reader.fill_buf() {
            Ok(head) => head,
            Err(e) => {
                return self
                    .file_problem(
                        ProblemKind::MalformedInput,
                        InputError::file(name, format!("the input cannot be read: {e}")),
                    )
                    .map(|()| None);
            }
        };
        let body = formats::body(head);
        let sniffed = match (formats::archive(body, D::GZIP_NOTE), declared) {
            (Some(what), _) => Sniffed::Unsupported(what),
            (None, Some(f)) => Sniffed::Format(f),
            (None, None) => D::sniff(body),
        };
        match sniffed {
            Sniffed::Format(format) => Ok(Some((Opened { name, path, reader }, format))),
            Sniffed::Unsupported(what) => self
                .unsupported(name, format!("{}{what}", D::NOT_OURS))
                .map(|()| None),
        }
    }
}

/// A 64-bit count or position as the contract's 32-bit one (saturating).
pub fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A document of an item that does not have the shape its checks read, at its position in the
/// file; `what` names the item (`AWS::EC2::SecurityGroup sg-1`) and `records` who wrote it
/// ("AWS Config").
pub fn field_error(
    file: &str,
    item: &Item<'_>,
    e: &FieldError<'_>,
    what: std::fmt::Arguments<'_>,
    records: &str,
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
    InputError::at(
        file,
        line,
        column,
        format!(
            "item {} ({what}): `{}` does not have the shape {records} records: {error}",
            item.index, e.field
        ),
    )
}

/// Byte offset in `text` of 1-based `line` and `column` (as serde_json reports them).
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
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
pub fn position(item: &Item<'_>, offset: usize) -> (u64, u64) {
    let prefix = &item.bytes[..offset.min(item.bytes.len())];
    let newlines = prefix.iter().filter(|b| **b == b'\n').count() as u64;
    match prefix.iter().rposition(|b| *b == b'\n') {
        None => (item.line, item.column + offset as u64),
        Some(nl) => (item.line + newlines, (offset - nl) as u64),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    use serde::Deserialize;
    use serde_json::value::RawValue;

    use super::*;
    use crate::json::{Flag, Text};
    use crate::testing::{self, NativeScan};
    use crate::{PluginInfo, Provider};

    /// A plugin of one made-up export: `{"things": [{"kind", "name", "doc"}]}`, or a CSV of
    /// `kind,name` rows that it refuses.
    struct Toy {
        seen: Vec<String>,
    }

    #[derive(Deserialize)]
    struct Thing<'a> {
        #[serde(borrow, default)]
        kind: Text<'a>,
        #[serde(borrow, default)]
        name: Text<'a>,
        #[serde(borrow, default)]
        doc: Option<&'a RawValue>,
    }

    #[derive(Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        on: Flag,
    }

    const TOY: Own = Own {
        plugin: "toy",
        items: "toy things",
        required: "`kind`",
        advice: "",
    };

    impl Driver for Toy {
        type Format = ();
        const OWN: Own = TOY;
        const FORMATS: &'static [Format<()>] = &[Format {
            names: &["toy-things"],
            format: (),
        }];
        const NOT_OURS: &'static str = "not a toy export: ";
        const GZIP_NOTE: Option<&'static str> = Some("toys ship gzipped");

        fn sniff(body: &[u8]) -> Sniffed<()> {
            match formats::csv_header(body) {
                Some(header) => Sniffed::Unsupported(format!("a CSV file (`{header}`)")),
                None => Sniffed::Format(()),
            }
        }

        fn start(_: Timestamp) -> Self {
            Toy { seen: Vec::new() }
        }

        fn read(
            &mut self,
            scan: &mut Scan<'_, '_>,
            input: Opened<'_>,
            (): (),
        ) -> Result<(), ScanError> {
            let file = input.name;
            let how = Stream {
                key: "things",
                empty: "no toy things",
                not_an_array: Some("`things` must be a list"),
            };
            let mut first = true;
            let items = scan.json_items(file, input.reader, how, |scan, item, text| {
                let thing: Thing<'_> = match serde_json::from_str(text) {
                    Ok(thing) => thing,
                    Err(e) => {
                        scan.item_parse_error(file, item, &e);
                        return Ok(Flow::Next);
                    }
                };
                if first && thing.kind.non_empty().is_none() {
                    scan.foreign_json(file, item.bytes, &TOY, "a toy export")?;
                    return Ok(Flow::Stop);
                }
                first = false;
                let doc = crate::json::parse_embedded::<Doc>(thing.doc, "doc", &mut None);
                if let Err(e) = doc {
                    let what = format_args!("{}", thing.name.shown());
                    scan.item_problem(field_error(file, item, &e, what, "a toy"));
                    return Ok(Flow::Next);
                }
                scan.resources(1);
                self.seen.push(thing.name.shown().to_string());
                Ok(Flow::Next)
            })?;
            if let Some(items) = items
                && items.count() > 2
            {
                scan.file_problem(
                    ProblemKind::IncompleteInput,
                    InputError::file(file, "more than two things: a toy export holds two"),
                )?;
            }
            Ok(())
        }

        fn finish(self, scan: &mut Scan<'_, '_>) -> Result<(), ScanError> {
            // The join: the number of things, as skipped resources (there are no findings).
            for _ in &self.seen {
                scan.skipped();
            }
            Ok(())
        }
    }

    impl Provider for Toy {
        fn info() -> PluginInfo {
            PluginInfo {
                name: "toy".into(),
                version: "0".into(),
                provider: "toy".into(),
                contract_version: crate::CONTRACT_VERSION.into(),
                checks: Vec::new(),
                producer: None,
            }
        }
        fn scan(request: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
            run::<Toy>(request, out)
        }
    }

    const NOW: &str = "2025-06-30T00:00:00Z";

    fn dir(files: &[(&str, &[u8])]) -> PathBuf {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "demarc-sdk-driver-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        dir
    }

    fn scan(files: &[(&str, &[u8])], inputs: &[(&str, Option<&str>)]) -> NativeScan {
        let d = dir(files);
        let mut request = testing::request(&d.to_string_lossy(), &[], NOW);
        request.inputs = inputs
            .iter()
            .map(|(path, format)| Input {
                path: path.to_string(),
                format: format.map(str::to_string),
            })
            .collect();
        let s = testing::scan::<Toy>(&request);
        let _ = std::fs::remove_dir_all(&d);
        s
    }

    const TWO: &[u8] = br#"{"things":[{"kind":"k","name":"a"},{"kind":"k","name":"b"}]}"#;

    fn problems(s: &NativeScan) -> &[Problem] {
        &s.result.as_ref().expect("the scan completes").problems
    }

    #[test]
    fn a_missing_only_input_stops_the_scan_and_one_of_several_is_recorded() {
        let s = scan(&[], &[("nope.json", None)]);
        match &s.result {
            Err(ScanError::MissingInput(e)) => {
                assert_eq!(e.file, "nope.json");
                assert!(e.message.contains("does not exist"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let s = scan(&[("t.json", TWO)], &[("nope.json", None), ("t.json", None)]);
        assert_eq!(problems(&s).len(), 1);
        assert_eq!(problems(&s)[0].kind.as_str(), "missing-input");
        let summary = s.result.as_ref().unwrap();
        assert_eq!(
            (summary.resources, summary.skipped),
            (2, 2),
            "read, then joined"
        );
    }

    #[test]
    fn compressed_files_are_refused_whatever_they_declare() {
        let gz: &[u8] = &[0x1f, 0x8b, 8, 0, 0];
        for declared in [None, Some("toy-things")] {
            let s = scan(&[("t.gz", gz)], &[("t.gz", declared)]);
            match &s.result {
                Err(ScanError::UnsupportedFormat(e)) => assert_eq!(
                    e.message,
                    "not a toy export: a gzip-compressed file; toys ship gzipped, decompress it first"
                ),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_declared_format_must_be_the_plugins_and_a_sniffed_one_may_refuse() {
        let s = scan(&[("t.json", TWO)], &[("t.json", Some(" TOY-THINGS "))]);
        assert_eq!(s.result.as_ref().unwrap().resources, 2);
        let s = scan(&[("t.json", TWO)], &[("t.json", Some("aws-config"))]);
        match &s.result {
            Err(ScanError::UnsupportedFormat(e)) => assert_eq!(
                e.message,
                "declared format `aws-config` is not one the toy plugin reads (toy-things)"
            ),
            other => panic!("{other:?}"),
        }
        let s = scan(&[("t.csv", b"kind,name\nk,a\n")], &[("t.csv", None)]);
        assert!(
            matches!(&s.result, Err(ScanError::UnsupportedFormat(e)) if e.message == "not a toy export: a CSV file (`kind,name`)")
        );
    }

    #[test]
    fn an_empty_or_truncated_input_is_malformed_at_its_position() {
        let s = scan(&[("e.json", b"  \n")], &[("e.json", None)]);
        assert!(
            matches!(&s.result, Err(ScanError::MalformedInput(e)) if e.message == "the input is empty: no toy things"),
            "{:?}",
            s.result
        );
        let truncated: &[u8] = b"{\"things\":[\n{\"kind\":\"k\",\"name\":\"a\"},\n{\"kind\":";
        let s = scan(
            &[("t.json", truncated), ("ok.json", TWO)],
            &[("t.json", None), ("ok.json", None)],
        );
        let p = &problems(&s)[0];
        assert_eq!(
            (p.kind.as_str(), p.error.line),
            ("malformed-input", Some(3))
        );
        assert_eq!(
            s.result.as_ref().unwrap().resources,
            3,
            "one before the break, two after"
        );
        let s = scan(&[("w.json", br#"{"things":7}"#)], &[("w.json", None)]);
        assert!(
            matches!(&s.result, Err(ScanError::UnsupportedFormat(e)) if e.message == "`things` must be a list")
        );
    }

    #[test]
    fn a_damaged_item_is_a_positioned_problem_and_the_scan_moves_on() {
        let text: &[u8] = b"{\"kind\":\"k\",\"name\":\"a\"}\n{\"kind\":\"k\",\"name\":\"\xff\"}\n{\"kind\":\"k\",\"name\":tru}\n{\"kind\":\"k\",\"name\":\"d\"}\n";
        let s = scan(&[("n.json", text)], &[("n.json", None)]);
        let p = problems(&s);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(
            p[2].kind.as_str(),
            "incomplete-input",
            "four items: the toy's own rule"
        );
        assert_eq!(p[0].error.line, Some(2));
        assert_eq!(p[0].error.column, Some(21), "at the byte that is not UTF-8");
        assert!(p[0].error.message.contains("not UTF-8"));
        assert_eq!(p[1].error.line, Some(3));
        assert!(
            p[1].error.message.starts_with("item 2: "),
            "{}",
            p[1].error.message
        );
        assert_eq!(s.result.as_ref().unwrap().resources, 2);
    }

    #[test]
    fn a_document_of_the_wrong_shape_points_into_the_item() {
        let text: &[u8] = b"{\"kind\":\"k\",\"name\":\"a\",\n \"doc\":{\n  \"on\":true,\"off\":1,\n  \"on\":false}}\n{\"kind\":\"k\",\"name\":\"b\"}";
        let s = scan(&[("d.json", text)], &[("d.json", None)]);
        let p = &problems(&s)[0];
        assert_eq!(p.error.line, Some(4), "{}", p.error);
        assert!(
            p.error.message.starts_with(
                "item 0 (a): `doc` does not have the shape a toy records: duplicate field `on`"
            ),
            "{}",
            p.error.message
        );
        // A document held in a string points at the field.
        let text: &[u8] = b"{\"kind\":\"k\",\"name\":\"a\",\"doc\":\"{\\\"on\\\":[}\"}";
        let s = scan(&[("d.json", text)], &[("d.json", None)]);
        let p = &problems(&s)[0];
        assert_eq!((p.error.line, p.error.column), (Some(1), Some(30)));
    }

    #[test]
    fn a_foreign_export_names_the_plugin_that_reads_it() {
        let azure: &[u8] = br#"{"totalRecords":1,"count":1,"data":[],"facets":[]}"#;
        let s = scan(&[("rg.json", azure)], &[("rg.json", None)]);
        match &s.result {
            Err(ScanError::UnsupportedFormat(e)) => assert_eq!(
                e.message,
                "valid JSON but not a toy export: it looks like an Azure Resource Graph export (`totalRecords`/`count`/`data`), which the azure plugin reads"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_incomplete_input_is_recorded_even_alone() {
        let three: &[u8] =
            br#"[{"kind":"k","name":"a"},{"kind":"k","name":"b"},{"kind":"k","name":"c"}]"#;
        let s = scan(&[("t.json", three)], &[("t.json", None)]);
        let p = problems(&s);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::IncompleteInput);
        assert_eq!(s.result.as_ref().unwrap().resources, 3);
    }

    #[test]
    fn an_unreadable_now_is_an_internal_error() {
        let d = dir(&[]);
        let s = testing::scan_dir::<Toy>(&d, &[], "yesterday");
        assert!(matches!(s.result, Err(ScanError::Internal(_))));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn problem_kinds_are_the_contracts_strings_and_errors() {
        let e = || InputError::file("f", "m");
        for (kind, name) in [
            (ProblemKind::MissingInput, "missing-input"),
            (ProblemKind::MalformedInput, "malformed-input"),
            (ProblemKind::UnsupportedFormat, "unsupported-format"),
            (ProblemKind::IncompleteInput, "incomplete-input"),
        ] {
            assert_eq!(kind.as_str(), name);
            assert_eq!(Problem::new(kind, e()).kind.as_str(), name);
        }
        assert!(matches!(
            ProblemKind::MissingInput.into_error(e()),
            ScanError::MissingInput(_)
        ));
        assert!(matches!(
            ProblemKind::IncompleteInput.into_error(e()),
            ScanError::MalformedInput(_)
        ));
        assert!(matches!(
            ProblemKind::UnsupportedFormat.into_error(e()),
            ScanError::UnsupportedFormat(_)
        ));
    }
}
