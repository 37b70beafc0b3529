//! The reader thread: walks the inputs in order, turns each line into a call
//! or a reject, and hands calls to the sending side through a bounded channel
//! (so memory stays bounded however large the input).

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use super::ledger::{Ledger, Position};
use super::packer::Record;
use super::prepare::{self, Defaults, LineError};
use super::reader::LineReader;
use super::rejects::Rejects;
use super::Stats;
use crate::envelope::MAX_CALL_BYTES;
use crate::error::{describe_io, Error, Result};
use crate::input;
use crate::timestamp;

/// The longest line kept in memory; longer lines are refused without parsing.
/// Larger than the 32 KB call limit, since a pretty or padded line can shrink.
pub const LINE_LIMIT: usize = 1024 * 1024;
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

/// How a reader run ended.
pub enum ReadEnd {
    Complete,
    /// The sending side stopped taking calls (interrupt, auth failure, ...).
    Stopped,
}

impl Reader {
    pub fn run(self, tx: mpsc::Sender<Record>) -> Result<ReadEnd> {
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
            };
            if !ctx.read_source(reader, skip)? {
                return Ok(ReadEnd::Stopped);
            }
            self.ledger.read_through(Position {
                source: index + 1,
                line: 0,
            });
        }
        Ok(ReadEnd::Complete)
    }
}

struct SourceCtx<'a> {
    reader: &'a Reader,
    index: usize,
    tx: &'a mpsc::Sender<Record>,
    seq: &'a mut u64,
}

impl SourceCtx<'_> {
    fn name(&self) -> &str {
        &self.reader.names[self.index]
    }

    fn io_error(&self, e: std::io::Error) -> Error {
        Error::Io(format!("{}: {}", self.name(), describe_io(&e)))
    }

    /// Reads one input; `false` when the sending side stopped.
    fn read_source(&mut self, reader: Box<dyn BufRead + Send>, skip: u64) -> Result<bool> {
        let mut lines = LineReader::new(reader, LINE_LIMIT);
        if skip > 0 {
            let skipped = lines.skip_lines(skip).map_err(|e| self.io_error(e))?;
            Stats::add(&self.reader.stats.resumed, skipped);
        }
        let mut buf = Vec::new();
        let mut first = skip == 0;
        while let Some(line) = lines.next_line(&mut buf).map_err(|e| self.io_error(e))? {
            if self.reader.stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            Stats::add(&self.reader.stats.input_bytes, line.full_len as u64 + 1);
            let at = Position {
                source: self.index,
                line: line.number,
            };
            let mut bytes: &[u8] = &buf;
            if line.number == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                Stats::add(&self.reader.stats.blank, 1);
                self.reader.ledger.read_through(at);
                continue;
            }
            if first {
                first = false;
                if let Some(doc) = self.document_start(bytes, &mut lines)? {
                    return self.read_document(doc);
                }
            }
            Stats::add(&self.reader.stats.read, 1);
            let result = if line.full_len > LINE_LIMIT {
                Err(LineError {
                    reason: format!("the line is {} bytes, over the API's limit of {MAX_CALL_BYTES} bytes (32 KB)", line.full_len),
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
            if !self.hand_on(result, at, bytes, line.full_len) {
                return Ok(false);
            }
        }
        Ok(true)
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
                if self.tx.blocking_send(record).is_err() {
                    return false;
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

    /// A JSON array, or a `{"batch": [...]}` body, instead of NDJSON: read it whole.
    fn document_start(
        &self,
        first: &[u8],
        lines: &mut LineReader<Box<dyn BufRead + Send>>,
    ) -> Result<Option<Vec<Value>>> {
        let trimmed = first.trim_ascii_start();
        let starts_array = trimmed.first() == Some(&b'[');
        let starts_object = trimmed.first() == Some(&b'{');
        if !starts_array && !starts_object {
            return Ok(None);
        }
        let whole_line: std::result::Result<Value, _> = serde_json::from_slice(first);
        let mut text = match whole_line {
            Ok(Value::Object(map)) => {
                if !map.contains_key("type") {
                    if let Some(Value::Array(items)) = map.get("batch") {
                        return Ok(Some(items.clone()));
                    }
                }
                return Ok(None);
            }
            Ok(Value::Array(items)) => return Ok(Some(items)),
            Ok(_) => return Ok(None),
            // Only a document spread over several lines ends early; other errors are a bad line.
            Err(e) if e.is_eof() => first.to_vec(),
            Err(_) => return Ok(None),
        };
        let mut rest = Vec::new();
        let mut inner =
            std::mem::replace(lines, LineReader::new(Box::new(std::io::empty()), 0)).into_inner();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut inner, DOCUMENT_LIMIT),
            &mut rest,
        )
        .map_err(|e| self.io_error(e))?;
        text.push(b'\n');
        text.extend_from_slice(&rest);
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
            Value::Array(items) => Ok(Some(items)),
            Value::Object(mut map) => match map.remove("batch") {
                Some(Value::Array(items)) => Ok(Some(items)),
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
        Ok(true)
    }
}
