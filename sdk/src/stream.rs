//! Streaming reader for large JSON exports.
//!
//! Cloud exports are often one huge JSON document (`{"configurationItems": [ ... ]}`), a bare
//! array, or one JSON value per line (NDJSON). [`JsonItems`] yields the items of any of these
//! layouts one at a time as byte slices, reading the input in fixed-size chunks, so a 1 GB
//! snapshot never sits whole in guest memory: memory is bounded by the largest single item.
//!
//! The reader only finds item boundaries (strings, escapes and nesting); each item is then
//! parsed with `serde_json::from_slice` by [`Item::parse`], which reports errors at their
//! position in the file (line and column), not in the item.

use std::io::{self, Read};

use serde::Deserialize;

const CHUNK: u64 = 256 * 1024;
/// Top-level fields of a wrapper object larger than this are skipped, not kept.
const MAX_FIELD: usize = 64 * 1024;

/// How the items were laid out in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// An object whose named key holds the array of items.
    Wrapped,
    /// A bare top-level array of items.
    Array,
    /// One value after another (NDJSON, or concatenated JSON).
    Values,
}

/// What went wrong while finding items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamErrorKind {
    /// The input has no JSON value at all.
    Empty,
    /// The input ends inside a value or before its closing bracket.
    Truncated,
    /// The input is not JSON where the reader expected structure.
    Syntax,
    /// An item is JSON but does not fit the type it was parsed as.
    Item,
    /// Reading failed.
    Io,
}

/// An error with its position in the input (1-based line and byte column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// What kind of problem.
    pub kind: StreamErrorKind,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in bytes.
    pub column: u64,
    /// What is wrong, in words.
    pub message: String,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for StreamError {}

/// One item found by [`JsonItems`].
#[derive(Debug)]
pub struct Item<'a> {
    /// The item's JSON text.
    pub bytes: &'a [u8],
    /// 0-based index of the item in the input.
    pub index: u64,
    /// 1-based line where the item starts.
    pub line: u64,
    /// 1-based column where the item starts.
    pub column: u64,
}

impl<'a> Item<'a> {
    /// Parse the item as `T`, mapping a parse error to its position in the whole input.
    pub fn parse<T: Deserialize<'a>>(&self) -> Result<T, StreamError> {
        serde_json::from_slice(self.bytes).map_err(|e| self.error_at(&e))
    }

    /// Map a `serde_json` error raised while parsing this item to its position in the input.
    pub fn error_at(&self, e: &serde_json::Error) -> StreamError {
        let (line, column) = if e.line() <= 1 {
            (self.line, self.column + e.column().saturating_sub(1) as u64)
        } else {
            (self.line + e.line() as u64 - 1, e.column() as u64)
        };
        StreamError {
            kind: StreamErrorKind::Item,
            line,
            column,
            message: format!("item {}: {}", self.index, strip_position(&e.to_string())),
        }
    }
}

/// serde_json appends " at line L column C" (relative to the item); drop it since the caller
/// reports the absolute position.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    ArrayItem { first: bool, wrapped: bool },
    WrapperRest,
    Values,
    Done,
}

/// Yields the items of a JSON export one at a time; see the module documentation.
pub struct JsonItems<R> {
    reader: R,
    array_key: String,
    buf: Vec<u8>,
    pos: usize,
    /// Absolute offset of the first byte that must stay in the buffer.
    keep: u64,
    base: u64,
    eof: bool,
    line: u64,
    line_start: u64,
    state: State,
    index: u64,
    layout: Option<Layout>,
    fields: Vec<(String, String)>,
    chunk: u64,
}

impl<R: Read> JsonItems<R> {
    /// Read `reader`; in an object, the items are the elements of the array under `array_key`.
    pub fn new(reader: R, array_key: &str) -> Self {
        JsonItems {
            reader,
            array_key: array_key.to_string(),
            buf: Vec::with_capacity(CHUNK as usize),
            pos: 0,
            keep: 0,
            base: 0,
            eof: false,
            line: 1,
            line_start: 0,
            state: State::Start,
            index: 0,
            layout: None,
            fields: Vec::new(),
            chunk: CHUNK,
        }
    }

    /// Read the input `bytes` at a time (at least 1) instead of the default 256 KiB. Smaller
    /// chunks cost more calls but no correctness: item boundaries may fall anywhere in a chunk,
    /// which is what the property tests and the fuzz target exercise with tiny chunks.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk = bytes.max(1);
        self
    }

    /// The layout detected so far (known after the first item).
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// Top-level fields of a wrapper object seen so far, as raw JSON text (e.g. `fileVersion`).
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// Items yielded so far.
    pub fn count(&self) -> u64 {
        self.index
    }

    /// The next item, `None` at the end, or an error after which the reader yields nothing.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Item<'_>, StreamError>> {
        self.keep = self.abs();
        match self.advance() {
            Ok(Some((start, line, column))) => {
                let index = self.index;
                self.index += 1;
                let start = (start - self.base) as usize;
                Some(Ok(Item {
                    bytes: &self.buf[start..self.pos],
                    index,
                    line,
                    column,
                }))
            }
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
        }
    }

    /// Find the next item; returns its absolute start offset and its position.
    fn advance(&mut self) -> Result<Option<(u64, u64, u64)>, StreamError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.skip_bom()?;
                    match self.skip_ws()? {
                        None => return Err(self.error(StreamErrorKind::Empty, "the file is empty")),
                        Some(b'[') => {
                            self.pos += 1;
                            self.layout = Some(Layout::Array);
                            self.state = State::ArrayItem {
                                first: true,
                                wrapped: false,
                            };
                        }
                        Some(b'{') => return self.open_object(),
                        Some(b) => {
                            return Err(self.error(
                                StreamErrorKind::Syntax,
                                &format!(
                                    "expected a JSON object or array, found {}",
                                    describe_byte(b)
                                ),
                            ));
                        }
                    }
                }
                State::ArrayItem { first, wrapped } => {
                    let mut b = self.skip_ws()?;
                    let mut after_comma = false;
                    if !first {
                        match b {
                            Some(b',') => {
                                self.pos += 1;
                                after_comma = true;
                                b = self.skip_ws()?;
                            }
                            Some(b']') | None => {}
                            Some(other) => {
                                return Err(self.error(
                                    StreamErrorKind::Syntax,
                                    &format!(
                                        "expected ',' or ']' after item {}, found {}",
                                        self.index - 1,
                                        describe_byte(other)
                                    ),
                                ));
                            }
                        }
                    }
                    match b {
                        None => {
                            return Err(self.error(
                                StreamErrorKind::Truncated,
                                &format!(
                                    "unexpected end of file: the array is not closed after {} item{}",
                                    self.index,
                                    if self.index == 1 { "" } else { "s" }
                                ),
                            ));
                        }
                        Some(b']') if after_comma => {
                            return Err(self.error(
                                StreamErrorKind::Syntax,
                                &format!("trailing ',' after item {}", self.index - 1),
                            ));
                        }
                        Some(b']') => {
                            self.pos += 1;
                            if wrapped {
                                self.state = State::WrapperRest;
                            } else {
                                self.expect_end("the array")?;
                                return Ok(None);
                            }
                        }
                        Some(_) => {
                            self.state = State::ArrayItem {
                                first: false,
                                wrapped,
                            };
                            return self.scan_item().map(Some);
                        }
                    }
                }
                State::WrapperRest => match self.skip_ws()? {
                    None => {
                        return Err(self.error(
                            StreamErrorKind::Truncated,
                            "unexpected end of file: the top-level object is not closed",
                        ));
                    }
                    Some(b',') => {
                        self.pos += 1;
                        self.expect_key()?;
                        self.field()?;
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        self.expect_end("the top-level object")?;
                        return Ok(None);
                    }
                    Some(b) => {
                        return Err(self.error(
                            StreamErrorKind::Syntax,
                            &format!("expected ',' or '}}', found {}", describe_byte(b)),
                        ));
                    }
                },
                State::Values => match self.skip_ws()? {
                    None => return Ok(None),
                    Some(_) => return self.scan_item().map(Some),
                },
            }
        }
    }

    /// At a top-level `{`: either a wrapper holding the item array, or the first of a sequence
    /// of values (NDJSON).
    fn open_object(&mut self) -> Result<Option<(u64, u64, u64)>, StreamError> {
        let start = self.abs();
        let (line, column) = (self.line, self.column());
        self.keep = start;
        self.pos += 1;
        let mut first = true;
        loop {
            match self.skip_ws()? {
                None => {
                    return Err(self.error(
                        StreamErrorKind::Truncated,
                        "unexpected end of file inside the top-level object",
                    ));
                }
                Some(b',') if !first => {
                    self.pos += 1;
                    self.expect_key()?;
                }
                Some(b'"') if first => {}
                Some(b'}') => {
                    // No item array in it: the object is itself the first item.
                    self.pos += 1;
                    self.layout = Some(Layout::Values);
                    self.state = State::Values;
                    self.fields.clear();
                    return Ok(Some((start, line, column)));
                }
                Some(b) => {
                    let expected = if first { "a key or '}'" } else { "',' or '}'" };
                    return Err(self.error(
                        StreamErrorKind::Syntax,
                        &format!("expected {expected}, found {}", describe_byte(b)),
                    ));
                }
            }
            first = false;
            let key = self.key()?;
            if key == self.array_key {
                match self.skip_ws()? {
                    Some(b'[') => {
                        self.pos += 1;
                        self.layout = Some(Layout::Wrapped);
                        self.state = State::ArrayItem {
                            first: true,
                            wrapped: true,
                        };
                        return self.advance();
                    }
                    _ => {
                        return Err(self.error(
                            StreamErrorKind::Syntax,
                            &format!("`{}` is not an array", self.array_key),
                        ));
                    }
                }
            }
            self.value_field(key)?;
        }
    }

    /// After a `,` in the top-level object: the next key must follow.
    fn expect_key(&mut self) -> Result<(), StreamError> {
        match self.skip_ws()? {
            Some(b'"') => Ok(()),
            None => Err(self.error(
                StreamErrorKind::Truncated,
                "unexpected end of file inside the top-level object",
            )),
            Some(b) => Err(self.error(
                StreamErrorKind::Syntax,
                &format!("expected a key after ',', found {}", describe_byte(b)),
            )),
        }
    }

    /// A `"key": value` pair of the wrapper object after the item array.
    fn field(&mut self) -> Result<(), StreamError> {
        self.keep = self.abs();
        let key = self.key()?;
        self.value_field(key)
    }

    /// Skip the value of a wrapper field at `pos`, keeping it when it is small.
    fn value_field(&mut self, key: String) -> Result<(), StreamError> {
        let start = self.abs();
        self.scan_value()?;
        let start = (start - self.base) as usize;
        if self.pos - start <= MAX_FIELD {
            // A kept field is checked whole, as the items are: a damaged wrapper is malformed
            // input, not metadata to pass on. (Larger fields are skipped by structure only.)
            let raw = &self.buf[start..self.pos];
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(raw) {
                return Err(self.error(
                    StreamErrorKind::Syntax,
                    &format!(
                        "field `{key}` of the top-level object is not valid JSON: {}",
                        strip_position(&e.to_string())
                    ),
                ));
            }
            let raw = String::from_utf8_lossy(raw).into_owned();
            self.fields.push((key, raw));
        }
        Ok(())
    }

    /// Read a key string and the `:` after it; leaves `pos` at the value. `keep` must not be
    /// after `pos`.
    fn key(&mut self) -> Result<String, StreamError> {
        let start = self.abs();
        self.scan_value()?;
        let start = (start - self.base) as usize;
        let key: String = serde_json::from_slice(&self.buf[start..self.pos]).map_err(|e| {
            self.error(
                StreamErrorKind::Syntax,
                &format!("bad key: {}", strip_position(&e.to_string())),
            )
        })?;
        match self.skip_ws()? {
            Some(b':') => {
                self.pos += 1;
                match self.skip_ws()? {
                    Some(_) => Ok(key),
                    None => Err(self.error(
                        StreamErrorKind::Truncated,
                        &format!("unexpected end of file after key `{key}`"),
                    )),
                }
            }
            Some(b) => Err(self.error(
                StreamErrorKind::Syntax,
                &format!("expected ':' after key `{key}`, found {}", describe_byte(b)),
            )),
            None => Err(self.error(
                StreamErrorKind::Truncated,
                &format!("unexpected end of file after key `{key}`"),
            )),
        }
    }

    /// Scan one item starting at `pos`; returns its start index and position.
    fn scan_item(&mut self) -> Result<(u64, u64, u64), StreamError> {
        let (line, column) = (self.line, self.column());
        let start = self.abs();
        self.keep = start;
        self.scan_value()?;
        Ok((start, line, column))
    }

    /// Advance `pos` past one JSON value. Bytes from `keep` on stay in the buffer.
    fn scan_value(&mut self) -> Result<(), StreamError> {
        let Some(first) = self.peek()? else {
            return Err(self.error(StreamErrorKind::Truncated, "unexpected end of file"));
        };
        match first {
            b'{' | b'[' | b'"' => {
                let mut depth: u32 = 0;
                let mut in_str = false;
                let mut escaped = false;
                let string_only = first == b'"';
                loop {
                    if self.pos >= self.buf.len() && !self.fill()? {
                        let what = if in_str {
                            "a string"
                        } else {
                            "an object or array"
                        };
                        return Err(self.error(
                            StreamErrorKind::Truncated,
                            &format!("unexpected end of file inside {what}"),
                        ));
                    }
                    let base = self.base;
                    let mut pos = self.pos;
                    let end = self.buf.len();
                    let buf = &self.buf;
                    let mut done = false;
                    while pos < end {
                        if in_str {
                            if escaped {
                                escaped = false;
                                pos += 1;
                                continue;
                            }
                            // Most of a document is string content: jump to its next quote
                            // or backslash eight bytes at a time.
                            pos = skip_string_content(&buf[..end], pos);
                            if pos >= end {
                                break;
                            }
                            let b = buf[pos];
                            pos += 1;
                            if b == b'\\' {
                                escaped = true;
                            } else {
                                in_str = false;
                                if string_only {
                                    done = true;
                                    break;
                                }
                            }
                        } else {
                            let b = buf[pos];
                            pos += 1;
                            match b {
                                b'"' => in_str = true,
                                b'{' | b'[' => depth += 1,
                                b'}' | b']' => {
                                    depth = depth.saturating_sub(1);
                                    if depth == 0 {
                                        done = true;
                                        break;
                                    }
                                }
                                b'\n' => {
                                    self.line += 1;
                                    self.line_start = base + pos as u64;
                                }
                                _ => {}
                            }
                        }
                    }
                    self.pos = pos;
                    if done {
                        return Ok(());
                    }
                }
            }
            _ => {
                // A scalar: runs to the next delimiter.
                loop {
                    match self.peek()? {
                        None => return Ok(()),
                        Some(b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') => return Ok(()),
                        Some(_) => self.pos += 1,
                    }
                }
            }
        }
    }

    fn expect_end(&mut self, what: &str) -> Result<(), StreamError> {
        match self.skip_ws()? {
            None => Ok(()),
            Some(b) => Err(self.error(
                StreamErrorKind::Syntax,
                &format!("unexpected {} after {what}", describe_byte(b)),
            )),
        }
    }

    fn skip_bom(&mut self) -> Result<(), StreamError> {
        while self.buf.len() < 3 && self.fill()? {}
        if self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.pos = 3;
        }
        Ok(())
    }

    fn skip_ws(&mut self) -> Result<Option<u8>, StreamError> {
        loop {
            match self.peek()? {
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.base + self.pos as u64;
                }
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                other => return Ok(other),
            }
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, StreamError> {
        while self.pos >= self.buf.len() {
            if !self.fill()? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// Read the next chunk, first dropping the bytes before `keep`. Returns false at the end.
    fn fill(&mut self) -> Result<bool, StreamError> {
        if self.eof {
            return Ok(false);
        }
        let drop = (self.keep - self.base) as usize;
        if drop > 0 {
            self.buf.drain(..drop);
            self.base += drop as u64;
            self.pos -= drop;
        }
        let n = (&mut self.reader)
            .take(self.chunk)
            .read_to_end(&mut self.buf)
            .map_err(|e| self.io_error(&e))?;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    fn abs(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn column(&self) -> u64 {
        self.abs() - self.line_start + 1
    }

    fn error(&self, kind: StreamErrorKind, message: &str) -> StreamError {
        StreamError {
            kind,
            line: self.line,
            column: self.column(),
            message: message.to_string(),
        }
    }

    fn io_error(&self, e: &io::Error) -> StreamError {
        self.error(StreamErrorKind::Io, &format!("read failed: {e}"))
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// The index of the first `"` or `\\` in `buf` at or after `pos`, or `buf.len()`.
///
/// Reads eight bytes at a time: a byte equal to the pattern becomes zero after the XOR, and
/// `(x - 0x01..) & !x & 0x80..` flags the lowest zero byte exactly (higher flags may be false
/// positives from the borrow, but only the lowest one is used).
#[inline]
fn skip_string_content(buf: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    while let Some(chunk) = buf.get(pos..pos + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let q = w ^ QUOTES;
        let b = w ^ BACKSLASHES;
        let hits = ((q.wrapping_sub(ONES) & !q) | (b.wrapping_sub(ONES) & !b)) & HIGHS;
        if hits != 0 {
            return pos + (hits.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while pos < buf.len() && buf[pos] != b'"' && buf[pos] != b'\\' {
        pos += 1;
    }
    pos
}

#[cfg(test)]
#[path = "stream_props.rs"]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &str, key: &str) -> (Vec<String>, Option<StreamError>, Option<Layout>) {
        let mut items = JsonItems::new(input.as_bytes(), key);
        let mut out = Vec::new();
        let mut err = None;
        while let Some(next) = items.next() {
            match next {
                Ok(item) => out.push(String::from_utf8(item.bytes.to_vec()).unwrap()),
                Err(e) => err = Some(e),
            }
        }
        (out, err, items.layout())
    }

    #[test]
    fn string_content_skip_finds_the_first_quote_or_backslash_at_every_offset() {
        let naive = |b: &[u8], p: usize| {
            (p..b.len())
                .find(|&i| b[i] == b'"' || b[i] == b'\\')
                .unwrap_or(b.len())
        };
        let texts: [&[u8]; 5] = [
            b"plain ascii text without any stop at all, long enough for chunks",
            "caf\u{e9} \u{2014} \u{1F600} then \\\" and \"".as_bytes(),
            b"\"\"\\\\x\"",
            &[
                0x80, 0xA2, 0x22, 0x5C, 0xDC, 0x21, 0x23, 0x5B, 0x5D, 0x00, 0x22,
            ],
            b"",
        ];
        for t in texts {
            for start in 0..=t.len() {
                for end in start..=t.len() {
                    assert_eq!(
                        skip_string_content(&t[..end], start),
                        naive(&t[..end], start),
                        "{t:?}[{start}..{end}]"
                    );
                }
            }
        }
    }

    #[test]
    fn wrapped_array_with_fields_before_and_after() {
        let input = r#"{"fileVersion":"1.0","items":[{"a":"]}"},{"b":[1,2]}],"tail":{"x":1}}"#;
        let mut items = JsonItems::new(input.as_bytes(), "items");
        let mut got = Vec::new();
        while let Some(item) = items.next() {
            got.push(String::from_utf8(item.unwrap().bytes.to_vec()).unwrap());
        }
        assert_eq!(got, vec![r#"{"a":"]}"}"#, r#"{"b":[1,2]}"#]);
        assert_eq!(items.layout(), Some(Layout::Wrapped));
        assert_eq!(items.fields()[0], ("fileVersion".into(), "\"1.0\"".into()));
        assert_eq!(items.fields()[1].0, "tail");
    }

    #[test]
    fn bare_array_and_ndjson() {
        let (a, e, l) = collect("[ {\"x\":1} , {\"x\":\"\\\"}\"} ]\n", "items");
        assert_eq!(a, vec!["{\"x\":1}", "{\"x\":\"\\\"}\"}"]);
        assert!(e.is_none());
        assert_eq!(l, Some(Layout::Array));

        let (v, e, l) = collect("{\"x\":1}\n{\"x\":2}\n\n{\"x\":3}\n", "items");
        assert_eq!(v.len(), 3);
        assert!(e.is_none());
        assert_eq!(l, Some(Layout::Values));
        assert_eq!(collect("[]", "items").0.len(), 0);
    }

    #[test]
    fn truncated_input_names_the_position() {
        let (items, err, _) = collect("{\"items\": [\n{\"a\":1},\n{\"a\":", "items");
        assert_eq!(items.len(), 1);
        let err = err.unwrap();
        assert_eq!(err.kind, StreamErrorKind::Truncated);
        assert_eq!(err.line, 3);

        let (_, err, _) = collect("{\"items\": [{\"a\":1}]", "items");
        assert_eq!(err.unwrap().kind, StreamErrorKind::Truncated);
    }

    #[test]
    fn messages_count_properly_and_leave_the_position_to_the_error() {
        let (_, err, _) = collect("[{\"a\":1}", "k");
        let err = err.unwrap();
        assert_eq!(err.kind, StreamErrorKind::Truncated);
        assert!(err.message.ends_with("after 1 item"), "{err}");
        let (_, err, _) = collect("[{\"a\":1},{\"b\":2}", "k");
        assert!(err.unwrap().message.ends_with("after 2 items"));
        // A key that is not a JSON string: the message says why, the error says where.
        let (_, err, _) = collect("{\"fileVersion\":\"1\",\"a\\qb\":1}", "k");
        let err = err.unwrap();
        assert!(err.message.starts_with("bad key: "), "{err}");
        assert!(!err.message.contains(" at line "), "{err}");
    }

    #[test]
    fn empty_and_garbage_inputs() {
        assert_eq!(collect("", "k").1.unwrap().kind, StreamErrorKind::Empty);
        assert_eq!(
            collect("  \n ", "k").1.unwrap().kind,
            StreamErrorKind::Empty
        );
        let err = collect("user,arn\n", "k").1.unwrap();
        assert_eq!(err.kind, StreamErrorKind::Syntax);
        assert_eq!((err.line, err.column), (1, 1));
        let err = collect("[{\"a\":1} x]", "k").1.unwrap();
        assert!(err.message.contains("after item 0"), "{err}");
    }

    #[test]
    fn items_straddling_chunks_survive_compaction() {
        let big = "y".repeat(CHUNK as usize + 17);
        let input = format!("{{\"pad\":\"{big}\",\"items\":[{{\"v\":\"{big}\"}},{{\"v\":2}}]}}");
        let (items, err, _) = collect(&input, "items");
        assert!(err.is_none(), "{err:?}");
        assert_eq!(items.len(), 2);
        assert!(items[0].ends_with(&format!("{big}\"}}")));
    }

    #[test]
    fn item_parse_errors_are_positioned_in_the_file() {
        let input = "{\"items\":[\n  {\"n\": 1},\n  {\"n\": \"x\"}\n]}";
        let mut items = JsonItems::new(input.as_bytes(), "items");
        let first = items.next().unwrap().unwrap();
        #[derive(Debug, Deserialize)]
        struct N {
            #[allow(dead_code)]
            n: u32,
        }
        assert!(first.parse::<N>().is_ok());
        let second = items.next().unwrap().unwrap();
        let err = second.parse::<N>().unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.column > 3, "{err}");
        assert!(err.message.starts_with("item 1:"), "{err}");
    }
}
