//! The reader thread: walks the inputs in order, splits them into lines (or
//! the items of a JSON document) and hands them, in runs, to the pipeline that
//! prepares them and passes them on to the senders. Every hand-over is
//! bounded, so memory stays bounded however large the input.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::document;
use super::ledger::{first_line_crc, Ledger, Position, Resume};
use super::packer::Chunk;
use super::pipeline::{Outlets, Pipeline, Run, LINE_LIMIT};
use super::prepare::Defaults;
use super::reader::{Line, LineReader, Span, ValueReader};
use super::{Shared, Stats};
use crate::error::{describe_io, Error, Result};
use crate::input::{self, Input};
use crate::schema::Schema;

/// The largest JSON array / `{"batch": [...]}` document read whole.
const DOCUMENT_LIMIT: u64 = 256 * 1024 * 1024;

/// Read ahead of a stream of pretty-printed calls: a run handed over whenever it
/// runs dry should hold many calls.
const STREAM_BUFFER: usize = 256 * 1024;

/// An item of a document: a call, or (a document that did not parse whole,
/// split by `document`) why it cannot be one, and its bytes as written.
type DocItem = std::result::Result<Value, (String, Vec<u8>)>;

/// What an input holds, told from its first line.
enum Shape {
    /// NDJSON: one call per line.
    Lines,
    /// The calls of a JSON array or `{"batch": [...]}` document, read whole.
    Document(Vec<DocItem>),
    /// Calls spread over lines (pretty-printed, `jq .` output): split by their braces.
    Stream,
}

pub struct Reader {
    pub sources: Vec<PathBuf>,
    pub defaults: Defaults,
    /// This run's id (see `prepare::derived_message_id`).
    pub run: uuid::Uuid,
    pub resume: Option<Resume>,
    pub shared: Arc<Shared>,
    /// Check every call against Customer.io's schema (dry runs).
    pub check_schema: bool,
}

impl Reader {
    /// Reads every input in turn; stops early, without error, when the senders stop.
    pub fn run(self, tx: mpsc::Sender<Chunk>) -> Result<()> {
        let schema = self.check_schema.then(Schema::load).flatten();
        let pipeline = Pipeline::start(
            self.defaults,
            self.run,
            schema,
            Outlets {
                shared: Arc::clone(&self.shared),
                tx,
            },
        );
        let reading = Sources {
            paths: &self.sources,
            names: &self.shared.names,
            resume: self.resume.unwrap_or_default(),
            stats: &self.shared.stats,
            stop: &self.shared.stop,
            ledger: &self.shared.ledger,
            pipeline: &pipeline,
        }
        .read_all();
        let passing_on = pipeline.finish();
        reading.and(passing_on)
    }
}

struct Sources<'a> {
    paths: &'a [PathBuf],
    names: &'a [String],
    /// Nothing to pass over unless resuming.
    resume: Resume,
    stats: &'a Stats,
    stop: &'a AtomicBool,
    ledger: &'a Ledger,
    pipeline: &'a Pipeline,
}

impl Sources<'_> {
    fn read_all(&self) -> Result<()> {
        for (index, path) in self.paths.iter().enumerate() {
            let done = self.resume.done;
            let skip = match done.source.cmp(&index) {
                std::cmp::Ordering::Greater => {
                    self.check_done_input(index, path)?;
                    Stats::add(&self.stats.resumed_inputs, 1);
                    continue;
                }
                std::cmp::Ordering::Equal => done.line,
                std::cmp::Ordering::Less => 0,
            };
            let (reader, plain_length) = input::open(path)?;
            let mut ctx = SourceCtx {
                sources: self,
                index,
                run: Run::new(index, 0),
                also_done: &self.resume.also_done,
                last_line: None,
                plain_length,
                // A plain file (stdin and compressed input do not grow), the
                // last input, and a next run that reads on from where this ends.
                may_grow: plain_length.is_some()
                    && index + 1 == self.paths.len()
                    && self.ledger.has_checkpoint(),
            };
            if !ctx.read_source(reader, skip)? || !self.pipeline.end_source(index, ctx.last_line) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// An error reading input `index`, named.
    fn io_error(&self, index: usize, e: std::io::Error) -> Error {
        Error::Io(format!("{}: {}", self.names[index], describe_io(&e)))
    }

    /// An input the checkpoint has entirely done is still the one it was:
    /// its first line says so (a file gone since has nothing to send).
    fn check_done_input(&self, index: usize, path: &Path) -> Result<()> {
        if self.ledger.first_line_known(index).is_none() {
            return Ok(());
        }
        let (reader, plain_length) = match input::open(path) {
            Ok(opened) => opened,
            Err(_) if !input::is_stdin(path) && !path.exists() => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut first = Vec::new();
        LineReader::new(reader, LINE_LIMIT)
            .next_line(&mut first)
            .map_err(|e| self.io_error(index, e))?;
        self.ledger
            .check_first_line(index, first_line_crc(&first))?;
        match plain_length {
            Some(length) => self.ledger.check_length(index, length),
            None => Ok(()),
        }
    }
}

struct SourceCtx<'a> {
    sources: &'a Sources<'a>,
    index: usize,
    /// Lines not yet handed over.
    run: Run,
    /// The ranges a resumed checkpoint says are done, from the next one on.
    also_done: &'a [(Position, Position)],
    /// The number of an input of lines' last line, once it is read to the end.
    last_line: Option<u64>,
    /// Its length on disk when opened, for a plain file (not stdin, a pipe
    /// or compressed input).
    plain_length: Option<u64>,
    /// The last input of a run with a checkpoint, a plain file: one that may
    /// still be being written, and whose next run starts where this one ends.
    may_grow: bool,
}

impl SourceCtx<'_> {
    fn name(&self) -> &str {
        &self.sources.names[self.index]
    }

    fn io_error(&self, e: std::io::Error) -> Error {
        self.sources.io_error(self.index, e)
    }

    /// Reads one input; `false` when the sending side stopped.
    fn read_source(&mut self, reader: Input, skip: u64) -> Result<bool> {
        let mut lines = LineReader::new(reader, LINE_LIMIT);
        // Lines read ahead while finding out what kind of input this is.
        let mut ahead: VecDeque<(Line, Vec<u8>)> = VecDeque::new();
        let mut buf = Vec::new();
        let first = lines.next_line(&mut buf).map_err(|e| self.io_error(e))?;
        let unfinished = skip == 0 && first.is_some() && self.unfinished(&lines, &buf);
        // Before a line of it goes: the lines a checkpoint says are done must
        // be these (a first line still being written is not known yet).
        let ledger = self.sources.ledger;
        if !unfinished || ledger.first_line_known(self.index).is_some() {
            ledger.check_first_line(self.index, first_line_crc(&buf))?;
        }
        if let Some(first) = first {
            if unfinished {
                return Ok(self.hold_back(first, &[], &lines));
            }
            if buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
            match self.shape(&buf, &first, &mut lines, &mut ahead)? {
                // Done as a whole: its length tells next time whether it changed.
                Shape::Document(items) => {
                    self.note_whole_length();
                    return Ok(self.read_document(items, skip));
                }
                Shape::Stream => {
                    self.note_whole_length();
                    return self.read_stream(buf, lines, skip);
                }
                Shape::Lines => {}
            }
            ahead.push_front((first, std::mem::take(&mut buf)));
        }
        // The last line read (for the checkpoint), from the lines passed over on.
        let mut last = self.pass_over(skip, &mut ahead, &mut lines)?;
        while let Some((line, bytes)) = ahead.pop_front() {
            if ahead.is_empty() && self.unfinished(&lines, &bytes) {
                return Ok(self.hold_back(line, &last, &lines));
            }
            if !self.take(line, &bytes) {
                return Ok(false);
            }
            last = bytes;
        }
        loop {
            // A slow pipe must not hold lines back: hand them over before waiting for more.
            if !lines.has_buffered() && !self.hand_over() {
                return Ok(false);
            }
            let Some(line) = self.complete_or_fail(lines.next_line(&mut buf))? else {
                break;
            };
            if self.unfinished(&lines, &buf) {
                return Ok(self.hold_back(line, &last, &lines));
            }
            if !self.take(line, &buf) {
                return Ok(false);
            }
            std::mem::swap(&mut buf, &mut last);
        }
        Ok(self.end_at(lines.lines_read(), &last, lines.bytes_read()))
    }

    /// Passes over the `skip` lines a resumed checkpoint says are done (those
    /// read ahead first), refusing the input when the last of them is not the
    /// line the checkpoint ended on; returns that line's bytes.
    fn pass_over(
        &mut self,
        skip: u64,
        ahead: &mut VecDeque<(Line, Vec<u8>)>,
        lines: &mut LineReader<Input>,
    ) -> Result<Vec<u8>> {
        if skip == 0 {
            return Ok(Vec::new());
        }
        let (mut passed, mut last) = (0, None);
        while passed < skip {
            let Some((_, bytes)) = ahead.pop_front() else {
                break;
            };
            passed += 1;
            last = Some(bytes);
        }
        if passed < skip {
            passed += lines
                .skip_lines(skip - passed - 1)
                .map_err(|e| self.io_error(e))?;
            let mut buf = Vec::new();
            if passed + 1 == skip
                && lines
                    .next_line(&mut buf)
                    .map_err(|e| self.io_error(e))?
                    .is_some()
            {
                passed += 1;
                last = Some(buf);
            }
        }
        Stats::add(&self.sources.stats.resumed, passed);
        let crc = last
            .as_deref()
            .filter(|_| passed == skip)
            .map(first_line_crc);
        let sources = self.sources;
        (sources.ledger).check_done_line(&sources.resume, self.index, skip, crc)?;
        Ok(last.unwrap_or_default())
    }

    /// The input of lines ends at line `line`, whose bytes are `last`, after
    /// `length` bytes: the checkpoint keeps them, to tell next time whether
    /// the input only grew (and, before the last input, that it did not).
    /// `false` when the sending side stopped.
    fn end_at(&mut self, line: u64, last: &[u8], length: u64) -> bool {
        self.last_line = Some(line);
        if self.plain_length.is_some() {
            self.sources.ledger.note_length(self.index, length);
        }
        if line > 0 {
            let at = Position {
                source: self.index,
                line,
            };
            self.sources.ledger.note_end_line(at, first_line_crc(last));
        }
        self.hand_over()
    }

    /// Whether the line just read is the end of an input that may grow, with
    /// no newline and not whole JSON: a writer may be halfway through it.
    fn unfinished(&self, lines: &LineReader<Input>, bytes: &[u8]) -> bool {
        if !(self.may_grow && lines.unterminated()) {
            return false;
        }
        let json = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        serde_json::from_slice::<serde::de::IgnoredAny>(json).is_err()
    }

    /// The length of a plain input read whole (a JSON document or stream of
    /// calls), whose first line alone (`[`) tells one export from another little.
    fn note_whole_length(&self) {
        if let Some(length) = self.plain_length {
            self.sources.ledger.note_length(self.index, length);
        }
    }

    /// Leaves an unfinished last line for the next run: the input ends before
    /// it (at `before`, the line before it), so the checkpoint does not count
    /// it done, and the summary names it. The length it notes counts the line
    /// held back: only the last input holds one back, and only inputs before
    /// the resumed one have their length checked. `false` when the sending
    /// side stopped.
    fn hold_back(&mut self, line: Line, before: &[u8], lines: &LineReader<Input>) -> bool {
        (self.sources.stats.unfinished).store(line.number, Ordering::Relaxed);
        self.end_at(line.number - 1, before, lines.bytes_read())
    }

    /// An input that fails halfway (a corrupt or truncated compressed stream)
    /// still has every complete line before the failure passed on.
    fn complete_or_fail<T>(&mut self, next: std::io::Result<T>) -> Result<T> {
        next.map_err(|e| {
            self.hand_over();
            self.io_error(e)
        })
    }

    /// Reads an input of calls spread over lines: the first value is a whole
    /// `{"batch": [...]}` document or the first call of a stream of them.
    fn read_stream(&mut self, first: Vec<u8>, lines: LineReader<Input>, skip: u64) -> Result<bool> {
        let mut head = first;
        head.push(b'\n');
        // The first line is read again from `head`, without a BOM or a '\r'
        // it had: offsets in it are shifted by the BOM, those after it by the
        // bytes `head` lacks.
        let head_len = head.len() as u64;
        let after_head = lines.bytes_read() - head_len;
        let bom = after_head.min(3);
        let in_file = move |span: Span| {
            let at = |offset: u64| offset + if offset < head_len { bom } else { after_head };
            Span {
                start: at(span.start),
                end: at(span.end),
                ..span
            }
        };
        let rest = Cursor::new(head).chain(lines.into_inner());
        let rest = BufReader::with_capacity(STREAM_BUFFER, rest);
        let mut values = ValueReader::new(rest, DOCUMENT_LIMIT as usize);
        let mut buf = Vec::new();
        let Some(line) = self.complete_or_fail(values.next_value(&mut buf))? else {
            return Ok(self.hand_over());
        };
        values.set_limit(LINE_LIMIT);
        let document = match serde_json::from_slice::<Value>(&buf) {
            Ok(Value::Object(map)) if is_batch_document(&map) => Some(
                batch_items(map)
                    .unwrap_or_default()
                    .into_iter()
                    .map(Ok)
                    .collect(),
            ),
            // A `{"batch": [...]}` document with a broken call: the others
            // go (as written, the lines and columns are the file's; a
            // document larger than that is refused whole, as one call).
            Err(_) => (values.raw())
                .and_then(|raw| document::split(raw, line.number))
                .filter(|split| split.rest.is_some())
                .and_then(|split| broken_items(values.raw().unwrap_or_default(), split)),
            _ => None,
        };
        if let Some(items) = document {
            let mut more_buf = Vec::new();
            if let Some(more) = self.complete_or_fail(values.next_value(&mut more_buf))? {
                return Err(Error::usage(format!(
                    "{}:{}: more input after a {{\"batch\": [...]}} document, which must be all there is",
                    self.name(),
                    more.number
                )));
            }
            return Ok(self.read_document(items, skip));
        }
        buf.truncate(LINE_LIMIT);
        // The first value may have been read up to the document limit: that memory goes.
        buf.shrink_to(LINE_LIMIT);
        let mut next = Some(line);
        let mut last_start = 0;
        while let Some(mut line) = next {
            line.span = line.span.map(in_file);
            let number = line.number;
            if number <= skip {
                Stats::add(&self.sources.stats.resumed, 1);
            } else {
                // Two calls may not share a number: progress and resume go by line.
                let refused = match values.cut_at() {
                    Some(at) => Some(Cow::Owned(unfinished_call(at))),
                    None if number == last_start => Some(Cow::Borrowed(SAME_LINE)),
                    None => invalid_over_lines(&line, &values).map(Cow::Owned),
                };
                if !self.take_refused(line, &buf, refused) {
                    return Ok(false);
                }
            }
            last_start = number;
            if !values.has_buffered() && !self.hand_over() {
                return Ok(false);
            }
            next = self.complete_or_fail(values.next_value(&mut buf))?;
        }
        Ok(self.hand_over())
    }

    /// Adds a line to the run; `false` when the sending side stopped.
    fn take(&mut self, line: Line, bytes: &[u8]) -> bool {
        self.take_refused(line, bytes, None)
    }

    /// Adds a line to the run, refused already for the reason given if any.
    fn take_refused(
        &mut self,
        line: Line,
        bytes: &[u8],
        refused: Option<Cow<'static, str>>,
    ) -> bool {
        if self.sources.stop.load(Ordering::Relaxed) {
            return false;
        }
        if self.already_done(line.number) {
            Stats::add(&self.sources.stats.resumed, 1);
            return true;
        }
        self.run.push(&line, bytes, refused);
        !self.run.is_full() || self.hand_over()
    }

    /// Whether a resumed checkpoint says this line is done (lines come in order).
    fn already_done(&mut self, line: u64) -> bool {
        let at = Position {
            source: self.index,
            line,
        };
        while let Some(&(first, last)) = self.also_done.first() {
            if last >= at {
                return first <= at;
            }
            self.also_done = &self.also_done[1..];
        }
        false
    }

    /// Hands the run over; `false` when the sending side stopped.
    fn hand_over(&mut self) -> bool {
        // The next run is likely the size of this one: room for a bit more spares it a reallocation.
        let capacity = self.run.bytes() + self.run.bytes() / 4;
        let run = std::mem::replace(&mut self.run, Run::new(self.index, capacity));
        self.sources.pipeline.submit(run)
    }

    /// What the input holds, from its first line: NDJSON; a JSON array or
    /// `{"batch": [...]}` document (a first line that starts an array and goes on
    /// over further lines, or a one-line document that is all the input there is);
    /// or a stream of calls spread over lines (a first line that starts an object
    /// and does not end it).
    fn shape(
        &self,
        first: &[u8],
        line: &Line,
        lines: &mut LineReader<Input>,
        ahead: &mut VecDeque<(Line, Vec<u8>)>,
    ) -> Result<Shape> {
        let start = first.trim_ascii_start().first();
        if !matches!(start, Some(b'[' | b'{')) {
            return Ok(Shape::Lines);
        }
        let items: Vec<DocItem> = match serde_json::from_slice::<Value>(first) {
            Ok(Value::Array(items)) => items.into_iter().map(Ok).collect(),
            Ok(Value::Object(map)) if is_batch_document(&map) => match batch_items(map) {
                Some(items) => items.into_iter().map(Ok).collect(),
                None => return Ok(Shape::Lines),
            },
            // An object opened and not closed on the first line starts a stream of
            // calls; an array, or a first line longer than the limit (a one-line
            // document of many calls), is a document read whole (a BOM aside).
            Err(e) if e.is_eof() => {
                return if start == Some(&b'{') && line.full_len <= LINE_LIMIT {
                    Ok(Shape::Stream)
                } else {
                    self.read_whole_document(first, lines).map(Shape::Document)
                };
            }
            _ => return Ok(Shape::Lines),
        };
        // A one-line array followed by more calls is NDJSON with a bad first line.
        let mut buf = Vec::new();
        while let Some(line) = lines.next_line(&mut buf).map_err(|e| self.io_error(e))? {
            let blank = buf.iter().all(u8::is_ascii_whitespace);
            ahead.push_back((line, std::mem::take(&mut buf)));
            if !blank {
                return Ok(Shape::Lines);
            }
        }
        Ok(Shape::Document(items))
    }

    fn read_whole_document(
        &self,
        first: &[u8],
        lines: &mut LineReader<Input>,
    ) -> Result<Vec<DocItem>> {
        let mut text = first.to_vec();
        text.push(b'\n');
        let mut inner = std::mem::replace(
            lines,
            LineReader::new(std::io::BufReader::new(Box::new(std::io::empty())), 0),
        )
        .into_inner();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut inner, DOCUMENT_LIMIT),
            &mut text,
        )
        .map_err(|e| self.io_error(e))?;
        let value: Value = match serde_json::from_slice(&text) {
            Ok(value) => value,
            // A broken call costs only itself: the others go.
            Err(e) => {
                return (document::split(&text, 1).and_then(|split| broken_items(&text, split)))
                    .ok_or_else(|| {
                        Error::usage(input::json_error_at(
                            self.name(),
                            &e,
                            "invalid JSON document: ",
                        ))
                    })
            }
        };
        let items = match value {
            Value::Array(items) => items,
            Value::Object(map) => match batch_items(map) {
                Some(items) => items,
                None => {
                    return Err(Error::file(
                        self.name(),
                        "a JSON document must be an array of calls or {\"batch\": [...]}",
                    ))
                }
            },
            _ => {
                return Err(Error::file(
                    self.name(),
                    "a JSON document must be an array of calls",
                ))
            }
        };
        Ok(items.into_iter().map(Ok).collect())
    }

    /// The items of a document, prepared like lines; their number is their 1-based index.
    fn read_document(&mut self, items: Vec<DocItem>, skip: u64) -> bool {
        Stats::add(&self.sources.stats.resumed, skip.min(items.len() as u64));
        for (i, item) in items.into_iter().enumerate().skip(skip as usize) {
            let number = i as u64 + 1;
            let taken = match item {
                Ok(call) => {
                    let bytes = serde_json::to_vec(&call).unwrap_or_default();
                    self.take(line_at(number, bytes.len()), &bytes)
                }
                Err((reason, bytes)) => {
                    let held = &bytes[..bytes.len().min(LINE_LIMIT)];
                    self.take_refused(line_at(number, bytes.len()), held, Some(reason.into()))
                }
            };
            if !taken {
                return false;
            }
        }
        self.hand_over()
    }
}

/// Why a call that starts on the line another one started on is refused.
const SAME_LINE: &str =
    "another call starts on this line; in a stream of pretty-printed calls, start each on a line of its own";

/// Why a call of a stream is refused when the next call starts, at line
/// `at`, before it is closed (see `ValueReader`).
fn unfinished_call(at: u64) -> String {
    format!("unfinished call: line {at} column 1 starts the next call before this one is closed (a missing '}}' or ']'?)")
}

/// A call written over lines that is not valid JSON, placed at the line and
/// column of the input where the error is (the call is sent compacted, so the
/// column of its compact form would point nowhere in the file).
fn invalid_over_lines(line: &Line, values: &ValueReader<impl std::io::BufRead>) -> Option<String> {
    let span = line.span?;
    if span.last_line == line.number || line.full_len > LINE_LIMIT {
        return None;
    }
    let e = serde_json::from_slice::<serde::de::IgnoredAny>(values.raw()?).err()?;
    let at_line = line.number + e.line() as u64 - 1;
    let column = match e.line() {
        1 => values.column() - 1 + e.column() as u64,
        _ => e.column() as u64,
    };
    Some(format!(
        "invalid JSON at line {at_line} column {column}: {}",
        input::json_error_message(&e)
    ))
}

fn line_at(number: u64, full_len: usize) -> Line {
    Line {
        number,
        full_len,
        span: None,
    }
}

/// A `{"batch": [...]}` document rather than a call.
fn is_batch_document(map: &Map<String, Value>) -> bool {
    !map.contains_key("type") && map.get("batch").is_some_and(Value::is_array)
}

/// The calls of a `{"batch": [...]}` document. Its own `context` and
/// `integrations` apply to every call, as the batch API applies them: merged
/// key by key, the call's own values winning. Nothing else at its top level
/// goes anywhere (its `writeKey` least of all).
fn batch_items(mut map: Map<String, Value>) -> Option<Vec<Value>> {
    let Some(Value::Array(mut items)) = map.remove("batch") else {
        return None;
    };
    share_document_fields(map, &mut items);
    Some(items)
}

/// Merges a `{"batch": [...]}` document's own `context` and `integrations`
/// (`document`, less its calls) into each of `items`.
fn share_document_fields(mut map: Map<String, Value>, items: &mut [Value]) {
    for field in ["context", "integrations"] {
        let Some(Value::Object(shared)) = map.remove(field) else {
            continue;
        };
        for item in items.iter_mut() {
            let Value::Object(call) = item else { continue };
            match call.get_mut(field) {
                None | Some(Value::Null) => {
                    call.insert(field.to_string(), Value::Object(shared.clone()));
                }
                Some(Value::Object(own)) => {
                    for (key, value) in &shared {
                        if own.get(key).is_none_or(Value::is_null) {
                            own.insert(key.clone(), value.clone());
                        }
                    }
                }
                // Not an object: the call is refused for it, as it stands.
                Some(_) => {}
            }
        }
    }
}

/// The items of a document that did not parse whole (`document::split`):
/// the calls, with what a `{"batch": ...}` document says of all of them,
/// and the broken ones with why and their bytes; `None` when a batch
/// document's own top level cannot be read (its calls cannot go without it).
fn broken_items(text: &[u8], split: document::Split) -> Option<Vec<DocItem>> {
    let mut calls: Vec<Value> = Vec::new();
    let mut items: Vec<DocItem> = Vec::new();
    // Calls are merged together, then put back in their places.
    let mut places = Vec::new();
    for item in split.items {
        match item.parsed {
            Ok(call) => {
                places.push(Ok(calls.len()));
                calls.push(call);
            }
            Err(reason) => places.push(Err((reason, text[item.text].to_vec()))),
        }
    }
    match split.rest {
        None => {}
        Some(Some(Value::Object(rest))) => share_document_fields(rest, &mut calls),
        Some(_) => return None,
    }
    let mut calls = calls.into_iter();
    for place in places {
        items.push(match place {
            Ok(_) => Ok(calls.next().unwrap_or_default()),
            Err(broken) => Err(broken),
        });
    }
    Some(items)
}
