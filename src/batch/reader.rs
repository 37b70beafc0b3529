//! Reads input line by line with a bound on memory: a line longer than the
//! limit is cut (the rest skipped, its length still counted), so a 100 MB line
//! without a newline costs at most the limit.

use std::io::{self, BufRead};

/// A line as read: its number, its bytes (at most the reader's limit, newline
/// removed) and its full length on input.
#[derive(Debug, PartialEq, Eq)]
pub struct Line {
    pub number: u64,
    pub full_len: usize,
    /// Where it is in the input, when the reader knows.
    pub span: Option<Span>,
}

/// Where a line or call is in its input: its last line (its first is its
/// number) and its bytes, `start..end`. A call too long to be held whole can
/// still be cut out of the input by these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub last_line: u64,
    pub start: u64,
    pub end: u64,
}

pub struct LineReader<R> {
    inner: R,
    limit: usize,
    number: u64,
    /// The last line read ended at the end of input, without a newline.
    unterminated: bool,
    /// Bytes taken from `inner` so far.
    offset: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        LineReader {
            inner,
            limit,
            number: 0,
            unterminated: false,
            offset: 0,
        }
    }

    /// Reads the next line into `buf` (cleared first). `None` at the end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let start = self.offset;
        let mut full_len = 0usize;
        // The line's last byte was a '\r' (its span leaves it out even when the line is cut).
        let mut ends_cr = false;
        let mut saw_any = false;
        self.unterminated = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                self.unterminated = saw_any;
                break;
            }
            saw_any = true;
            let (chunk, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            full_len += chunk.len();
            if let Some(&last) = chunk.last() {
                ends_cr = last == b'\r';
            }
            let room = self.limit.saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let consumed = done.unwrap_or(chunk.len());
            self.inner.consume(consumed);
            self.offset += consumed as u64;
            if done.is_some() {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        let end = start + full_len as u64 - u64::from(ends_cr);
        if buf.last() == Some(&b'\r') && full_len <= self.limit {
            buf.pop();
            full_len -= 1;
        }
        self.number += 1;
        Ok(Some(Line {
            number: self.number,
            full_len,
            span: Some(Span {
                last_line: self.number,
                start,
                end,
            }),
        }))
    }

    /// Skips `n` lines quickly (resuming from a checkpoint). Returns how many were there.
    pub fn skip_lines(&mut self, n: u64) -> io::Result<u64> {
        let mut skipped = 0;
        while skipped < n {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                // A last line without a newline counts as a line.
                break;
            }
            match memchr::memchr(b'\n', available) {
                Some(i) => {
                    self.inner.consume(i + 1);
                    self.offset += i as u64 + 1;
                    skipped += 1;
                    self.number += 1;
                }
                None => {
                    let len = available.len();
                    self.inner.consume(len);
                    self.offset += len as u64;
                    if self.inner.fill_buf()?.is_empty() {
                        skipped += 1;
                        self.number += 1;
                    }
                }
            }
        }
        Ok(skipped)
    }

    /// Whether the line just read ended at the end of input without a
    /// newline: a writer may still be halfway through it.
    pub fn unterminated(&self) -> bool {
        self.unterminated
    }

    /// Bytes read or skipped so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// Lines read or skipped so far: the last one's number.
    pub fn lines_read(&self) -> u64 {
        self.number
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<T: io::Read> LineReader<io::BufReader<T>> {
    /// Whether input is already buffered, so the next line needs no (possibly blocking) read.
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }
}

/// Splits a stream of concatenated JSON values, pretty-printed or not (`jq .`
/// output), into values, each numbered by the line it starts on. Whitespace
/// outside strings is dropped, so a pretty-printed call is sent as compact as
/// one from NDJSON. Like `LineReader`, a value longer than the limit is cut,
/// its length still counted. Anything between values that does not start one
/// is handed over up to the end of its line, to be refused as a bad line.
///
/// Resynchronising: a call whose closing brace is missing would otherwise
/// swallow every call after it. Calls that start in column 1 (as `jq .`
/// writes them, their nested values indented) are taken to start each other
/// call in column 1 too, so a line whose first byte is `{` while such a call
/// is still open, inside an object, ends it there, unfinished (see `cut_at`),
/// and starts the next. Inside an array a `{` in column 1 is an item (a
/// `{"batch": [...]}` document written so), not a call.
/// A call that starts indented, or on a line after other text, is read to its
/// matching brace as before: no rule is safe for those.
pub struct ValueReader<R> {
    inner: R,
    limit: usize,
    /// The line being read, 1-based.
    line: u64,
    /// The next byte is the first of its line.
    line_start: bool,
    /// The last value was cut off unfinished where another call starts on this line.
    cut_at: Option<u64>,
    /// Bytes taken from `inner` so far.
    offset: u64,
    /// The last value as written, whitespace and all (up to `RAW_LIMIT`), so
    /// that an error in it is placed at its line and column in the input.
    raw: Vec<u8>,
    /// The last value was longer than `RAW_LIMIT`: `raw` holds only its start.
    raw_cut: bool,
    /// The column (1-based, in bytes) the last value started in.
    column: u64,
    /// The column of the next byte.
    next_column: u64,
}

impl<R: BufRead> ValueReader<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        ValueReader {
            inner,
            limit,
            line: 1,
            line_start: true,
            cut_at: None,
            offset: 0,
            raw: Vec::new(),
            raw_cut: false,
            column: 1,
            next_column: 1,
        }
    }

    /// The last value as written, unless it was longer than `RAW_LIMIT`.
    pub fn raw(&self) -> Option<&[u8]> {
        (!self.raw_cut).then_some(&self.raw[..])
    }

    /// The column the last value started in.
    pub fn column(&self) -> u64 {
        self.column
    }

    /// The line at which the value last read was cut off unfinished, because a
    /// call starts there in column 1 before it was closed (see the type's doc).
    pub fn cut_at(&self) -> Option<u64> {
        self.cut_at
    }

    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Reads the next value into `buf` (cleared first). `None` at the end of input.
    pub fn next_value(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        self.raw.clear();
        self.raw_cut = false;
        self.cut_at = None;
        let mut state = Scan::default();
        let mut start = None;
        // Its first byte's offset, and the offset and line just past its last.
        let (mut first_byte, mut end, mut last_line) = (0, 0, 0);
        // The value began in column 1, so another may begin in column 1 (see the type's doc).
        let mut resyncs = false;
        let mut full_len = 0usize;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let mut used = 0;
            let mut done = false;
            for &b in available {
                let line_start = std::mem::replace(&mut self.line_start, b == b'\n');
                let column = self.next_column;
                self.next_column = if b == b'\n' { 1 } else { column + 1 };
                if start.is_none() {
                    if b.is_ascii_whitespace() {
                        used += 1;
                        if b == b'\n' {
                            self.line += 1;
                        }
                        continue;
                    }
                    start = Some(self.line);
                    self.column = column;
                    first_byte = self.offset + used as u64;
                    state.stray = !matches!(b, b'{' | b'[');
                    resyncs = line_start && b == b'{';
                } else if resyncs && line_start && b == b'{' && state.in_object() {
                    // A call opened before this one was closed: this one ends
                    // here, unfinished, and the `{` is left for the next.
                    (self.line_start, self.next_column) = (true, 1);
                    self.cut_at = Some(self.line);
                    done = true;
                    break;
                }
                if state.stray && b == b'\n' {
                    // The newline is left for the next value's line count.
                    (self.line_start, self.next_column) = (line_start, column);
                    done = true;
                    break;
                }
                used += 1;
                if b == b'\n' {
                    self.line += 1;
                }
                if self.raw.len() < RAW_LIMIT {
                    self.raw.push(b);
                } else {
                    self.raw_cut = true;
                }
                let (keep, ends) = state.step(b);
                if keep {
                    full_len += 1;
                    if buf.len() < self.limit {
                        buf.push(b);
                    }
                    end = self.offset + used as u64;
                    last_line = self.line;
                }
                if ends {
                    done = true;
                    break;
                }
            }
            self.inner.consume(used);
            self.offset += used as u64;
            if done {
                break;
            }
        }
        Ok(start.map(|number| Line {
            number,
            full_len,
            span: Some(Span {
                last_line,
                start: first_byte,
                end,
            }),
        }))
    }
}

impl<T: io::Read> ValueReader<io::BufReader<T>> {
    /// Whether input is already buffered, so the next value may need no (possibly blocking) read.
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }
}

/// The most of a value `ValueReader` keeps as written: twice the longest
/// call held (pipeline's `LINE_LIMIT`), indentation and all. Not the reader's
/// limit, which is a whole document's for the first value.
const RAW_LIMIT: usize = 2 * 1024 * 1024;

/// Where a scan of one JSON value is.
#[derive(Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Not a value's start: taken as-is up to the end of the line.
    stray: bool,
    /// Whether each open container is an object, outermost first, for the
    /// first `OPEN_KNOWN` levels (deeper ones are not told apart).
    objects: Vec<bool>,
}

/// How deep `Scan` tells objects from arrays: calls nest far less.
const OPEN_KNOWN: usize = 64;

impl Scan {
    /// Whether the innermost open container is an object (one known to be).
    fn in_object(&self) -> bool {
        self.depth <= OPEN_KNOWN && self.objects.last() == Some(&true)
    }
}

impl Scan {
    /// Takes one byte: whether to keep it, and whether the value ends with it.
    fn step(&mut self, b: u8) -> (bool, bool) {
        if self.stray {
            return (true, false);
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return (true, false);
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth <= OPEN_KNOWN {
                    self.objects.push(b == b'{');
                }
            }
            b'}' | b']' => {
                if self.depth <= OPEN_KNOWN {
                    self.objects.pop();
                }
                self.depth = self.depth.saturating_sub(1);
                return (true, self.depth == 0);
            }
            b if b.is_ascii_whitespace() => return (false, false),
            _ => {}
        }
        (true, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<(u64, Vec<u8>, usize)> {
        // A tiny buffer makes lines span many fill_buf calls.
        let mut r = LineReader::new(io::BufReader::with_capacity(3, input), limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = r.next_line(&mut buf).unwrap() {
            out.push((line.number, buf.clone(), line.full_len));
        }
        out
    }

    #[test]
    fn splits_lines_numbers_them_and_handles_crlf_and_no_final_newline() {
        let got = lines(b"{\"a\":1}\r\n\nlast", 100);
        assert_eq!(
            got,
            vec![
                (1, b"{\"a\":1}".to_vec(), 7),
                (2, vec![], 0),
                (3, b"last".to_vec(), 4)
            ]
        );
    }

    #[test]
    fn only_a_last_line_without_a_newline_is_unterminated() {
        for (input, ends) in [
            (&b"a\nbc"[..], [false, true]),
            (b"a\nbc\n", [false, false]),
            (b"a\r\nbc\r", [false, true]),
        ] {
            let mut r = LineReader::new(io::BufReader::with_capacity(3, input), 100);
            let mut buf = Vec::new();
            for end in ends {
                r.next_line(&mut buf).unwrap().unwrap();
                assert_eq!(r.unterminated(), end, "{input:?} {buf:?}");
            }
            assert!(r.next_line(&mut buf).unwrap().is_none());
        }
    }

    #[test]
    fn long_lines_are_cut_but_measured_and_the_next_line_is_intact() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nok\n");
        let got = lines(&input, 10);
        assert_eq!(got[0], (1, vec![b'x'; 10], 1000));
        assert_eq!(got[1], (2, b"ok".to_vec(), 2));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn skip_lines_then_read_on() {
        let mut r = LineReader::new(io::BufReader::with_capacity(2, &b"a\nbb\nccc\nd"[..]), 100);
        assert_eq!(r.skip_lines(2).unwrap(), 2);
        let mut buf = Vec::new();
        let line = r.next_line(&mut buf).unwrap().unwrap();
        assert_eq!((line.number, buf.as_slice()), (3, &b"ccc"[..]));
        assert_eq!(r.skip_lines(5).unwrap(), 1);
        assert!(r.next_line(&mut buf).unwrap().is_none());
    }

    fn values(input: &[u8], limit: usize) -> Vec<(u64, String, usize)> {
        let mut r = ValueReader::new(io::BufReader::with_capacity(3, input), limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(v) = r.next_value(&mut buf).unwrap() {
            out.push((
                v.number,
                String::from_utf8(buf.clone()).unwrap(),
                v.full_len,
            ));
        }
        out
    }

    #[test]
    fn values_are_split_compacted_and_numbered_by_their_first_line() {
        let input = b"{\n  \"a\": \"x }\\\" y\",\n  \"b\": [1, {\"c\": 2}]\n}\n\n{\"d\":1}{\"e\":\n2}\n  oops here\n{\"f\":";
        let got = values(input, 100);
        assert_eq!(
            got,
            vec![
                (1, r#"{"a":"x }\" y","b":[1,{"c":2}]}"#.to_string(), 31),
                (6, r#"{"d":1}"#.to_string(), 7),
                (6, r#"{"e":2}"#.to_string(), 7),
                (8, "oops here".to_string(), 9),
                (9, r#"{"f":"#.to_string(), 5),
            ]
        );
        let cut = values(b"{\"a\": \"0123456789\"}\n{}", 5);
        assert_eq!(cut[0], (1, r#"{"a":"#.to_string(), 18));
        assert_eq!(cut[1], (2, "{}".to_string(), 2));
    }

    #[test]
    fn a_call_left_open_ends_where_the_next_starts_in_column_one() {
        let input = b"{\n  \"a\": {\n    \"b\": 1\n}\n{\"c\": 2}\n[\n{\"d\": 3},\n{\"e\": 4}\n]\n  {\"f\":\n{\"g\": 5}}\n";
        let mut r = ValueReader::new(io::BufReader::with_capacity(3, &input[..]), 100);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(v) = r.next_value(&mut buf).unwrap() {
            got.push((
                v.number,
                String::from_utf8(buf.clone()).unwrap(),
                r.cut_at(),
            ));
        }
        assert_eq!(
            got,
            vec![
                (1, r#"{"a":{"b":1}"#.to_string(), Some(5)),
                (5, r#"{"c":2}"#.to_string(), None),
                // Inside an array, a `{` in column 1 is an item.
                (6, r#"[{"d":3},{"e":4}]"#.to_string(), None),
                // A value that starts indented is read to its matching brace.
                (10, r#"{"f":{"g":5}}"#.to_string(), None),
            ]
        );
    }
}
