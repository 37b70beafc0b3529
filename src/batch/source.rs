//! The reader thread: walks the inputs in order, turns each line into a call
//! or a reject, and hands calls to the sending side through a bounded channel
//! (so memory stays bounded however large the input).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use super::ledger::{Ledger, Position};
use super::packer::Record;
use super::prepare::{self, Defaults, LineError};
use super::reader::{Line, LineReader};
use super::rejects::Rejects;
use super::Stats;
use crate::envelope::MAX_CALL_BYTES;
use crate::error::{describe_io, Error, Result};
use crate::input::{self, Input};
use crate::timestamp;

/// The longest line kept in memory; longer lines are refused without parsing.
/// Larger than the 32 KB call limit, since a pretty or padded line can shrink.
pub const LINE_LIMIT: usize = 1024 * 1024;
/// Calls per hand-over to the sending side.
pub const CHUNK: usize = 256;
/// The largest JSON array / `{"batch": [...]}` document read whole.
const DOCUMENT_LIMIT: u64 = 256 * 1024 * 1024;

pub struct Reader {
    pub sources: Vec<PathBuf>,
    pub names: Vec<String>,
    pub defaults: Defaults,
    pub resume: Option<Position>,
    pub stats: Arc<Stats>,
    pub ledger: Arc<Ledger>,
    pub rejects: Arc<Rejects>,
    pub stop: Arc<AtomicBool>,
}

impl Reader {
    /// Reads every input in turn; stops early, without error, when the senders stop.
    pub fn run(self, tx: mpsc::Sender<Vec<Record>>) -> Result<()> {
        let mut seq = 0u64;
        for (index, path) in self.sources.iter().enumerate() {
            let skip = match self.resume {
                Some(at) if at.source > index => {
                    continue;
                }
                Some(at) if at.source == index => at.line,
                _ => 0,
            };
            let (reader, _) = input::open(path)?;
            let mut ctx = SourceCtx {
                reader: &self,
                index,
                tx: &tx,
                seq: &mut seq,
                chunk: Vec::with_capacity(CHUNK),
            };
            if !ctx.read_source(reader, skip)? {
                return Ok(());
            }
            self.ledger.read_through(Position {
                source: index + 1,
                line: 0,
            });
        }
        Ok(())
    }
}

struct SourceCtx<'a> {
    reader: &'a Reader,
    index: usize,
    tx: &'a mpsc::Sender<Vec<Record>>,
    seq: &'a mut u64,
    /// Calls not yet handed on: sent in chunks, to wake the sending side once per chunk.
    chunk: Vec<Record>,
}

impl SourceCtx<'_> {
    fn name(&self) -> &str {
        &self.reader.names[self.index]
    }

    fn io_error(&self, e: std::io::Error) -> Error {
        Error::Io(format!("{}: {}", self.name(), describe_io(&e)))
    }

    /// Reads one input; `false` when the sending side stopped.
    fn read_source(&mut self, reader: Input, skip: u64) -> Result<bool> {
        let mut lines = LineReader::new(reader, LINE_LIMIT);
        // Lines read ahead while finding out what kind of input this is.
        let mut ahead: VecDeque<(Line, Vec<u8>)> = VecDeque::new();
        let mut buf = Vec::new();
        if let Some(first) = lines.next_line(&mut buf).map_err(|e| self.io_error(e))? {
            if buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
            if let Some(items) = self.document(&buf, &mut lines, &mut ahead)? {
                return self.read_document(items);
            }
            ahead.push_front((first, std::mem::take(&mut buf)));
        }
        // Resuming: the lines a checkpoint says are done are passed over.
        let mut skip = skip;
        while skip > 0 && ahead.pop_front().is_some() {
            skip -= 1;
            Stats::add(&self.reader.stats.resumed, 1);
        }
        if skip > 0 {
            let skipped = lines.skip_lines(skip).map_err(|e| self.io_error(e))?;
            Stats::add(&self.reader.stats.resumed, skipped);
        }
        while let Some((line, bytes)) = ahead.pop_front() {
            if !self.take_line(&line, &bytes) {
                return Ok(false);
            }
        }
        loop {
            // A slow pipe must not hold calls back: hand them on before waiting for more.
            if !lines.has_buffered() && !self.flush() {
                return Ok(false);
            }
            let Some(line) = lines.next_line(&mut buf).map_err(|e| self.io_error(e))? else {
                break;
            };
            if !self.take_line(&line, &buf) {
                return Ok(false);
            }
        }
        Ok(self.flush())
    }

    /// Hands the chunk on; `false` when the senders stopped.
    fn flush(&mut self) -> bool {
        self.chunk.is_empty()
            || self
                .tx
                .blocking_send(std::mem::replace(
                    &mut self.chunk,
                    Vec::with_capacity(CHUNK),
                ))
                .is_ok()
    }

    /// One NDJSON line: skipped when blank, else a call or a reject. `false` when the senders stopped.
    fn take_line(&mut self, line: &Line, bytes: &[u8]) -> bool {
        if self.reader.stop.load(Ordering::Relaxed) {
            return false;
        }
        Stats::add(&self.reader.stats.input_bytes, line.full_len as u64 + 1);
        let at = Position {
            source: self.index,
            line: line.number,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Stats::add(&self.reader.stats.blank, 1);
            self.reader.ledger.read_through(at);
            return true;
        }
        Stats::add(&self.reader.stats.read, 1);
        let result = if line.full_len > LINE_LIMIT {
            Err(LineError {
                reason: format!(
                    "the line is {} bytes, over the API's limit of {MAX_CALL_BYTES} bytes (32 KB)",
                    line.full_len
                ),
                field: None,
            })
        } else {
            prepare::prepare(
                bytes,
                self.name(),
                line.number,
                &self.reader.defaults,
                &timestamp::now(),
            )
        };
        self.hand_on(result, at, bytes, line.full_len)
    }

    /// Passes a call to the senders, or records why it cannot go. `false` when the senders stopped.
    fn hand_on(
        &mut self,
        result: Result<String, LineError>,
        at: Position,
        original: &[u8],
        full_len: usize,
    ) -> bool {
        match result {
            Ok(json) => {
                *self.seq += 1;
                self.reader.ledger.pending(*self.seq, at);
                let record = Record {
                    seq: *self.seq,
                    source: at.source,
                    line: at.line,
                    json,
                    original: original.into(),
                };
                self.chunk.push(record);
                if self.chunk.len() >= CHUNK {
                    return self.flush();
                }
            }
            Err(e) => {
                Stats::add(&self.reader.stats.invalid, 1);
                self.reader.rejects.record(
                    self.name(),
                    at.line,
                    &e.reason,
                    e.field.as_deref(),
                    original,
                    full_len,
                );
                self.reader.ledger.read_through(at);
            }
        }
        true
    }

    /// The calls of a JSON array or `{"batch": [...]}` document, when the input is one
    /// rather than NDJSON: a first line that starts such a document and goes on over
    /// further lines, or a one-line document that is all the input there is.
    fn document(
        &self,
        first: &[u8],
        lines: &mut LineReader<Input>,
        ahead: &mut VecDeque<(Line, Vec<u8>)>,
    ) -> Result<Option<Vec<Value>>> {
        if !matches!(first.trim_ascii_start().first(), Some(b'[' | b'{')) {
            return Ok(None);
        }
        let items = match serde_json::from_slice::<Value>(first) {
            Ok(Value::Array(items)) => items,
            Ok(Value::Object(mut map))
                if !map.contains_key("type") && map.get("batch").is_some_and(Value::is_array) =>
            {
                match map.remove("batch") {
                    Some(Value::Array(items)) => items,
                    _ => return Ok(None),
                }
            }
            Err(e) if e.is_eof() => return self.read_whole_document(first, lines).map(Some),
            _ => return Ok(None),
        };
        // A one-line array followed by more calls is NDJSON with a bad first line.
        let mut buf = Vec::new();
        while let Some(line) = lines.next_line(&mut buf).map_err(|e| self.io_error(e))? {
            let blank = buf.iter().all(u8::is_ascii_whitespace);
            ahead.push_back((line, std::mem::take(&mut buf)));
            if !blank {
                return Ok(None);
            }
        }
        Ok(Some(items))
    }

    fn read_whole_document(
        &self,
        first: &[u8],
        lines: &mut LineReader<Input>,
    ) -> Result<Vec<Value>> {
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
        let value: Value = serde_json::from_slice(&text).map_err(|e| {
            Error::usage(format!(
                "{}:{}:{}: invalid JSON document: {}",
                self.name(),
                e.line(),
                e.column(),
                input::json_error_message(&e)
            ))
        })?;
        match value {
            Value::Array(items) => Ok(items),
            Value::Object(mut map) => match map.remove("batch") {
                Some(Value::Array(items)) => Ok(items),
                _ => Err(Error::usage(format!(
                    "{}: a JSON document must be an array of calls or {{\"batch\": [...]}}",
                    self.name()
                ))),
            },
            _ => Err(Error::usage(format!(
                "{}: a JSON document must be an array of calls",
                self.name()
            ))),
        }
    }

    /// The items of a document; their position is their 1-based index.
    fn read_document(&mut self, items: Vec<Value>) -> Result<bool> {
        let skip = match self.reader.resume {
            Some(at) if at.source == self.index => at.line,
            _ => 0,
        };
        Stats::add(&self.reader.stats.resumed, skip.min(items.len() as u64));
        for (i, item) in items.into_iter().enumerate().skip(skip as usize) {
            let number = i as u64 + 1;
            let at = Position {
                source: self.index,
                line: number,
            };
            Stats::add(&self.reader.stats.read, 1);
            let original = serde_json::to_vec(&item).unwrap_or_default();
            let result = match item {
                Value::Object(call) => prepare::prepare_call(
                    call,
                    &original,
                    self.name(),
                    number,
                    &self.reader.defaults,
                    &timestamp::now(),
                ),
                other => Err(LineError {
                    reason: format!(
                        "expected a JSON object (one call), found {}",
                        input::json_kind(&other)
                    ),
                    field: None,
                }),
            };
            let len = original.len();
            if !self.hand_on(result, at, &original, len) {
                return Ok(false);
            }
        }
        Ok(self.flush())
    }
}
