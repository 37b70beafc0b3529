//! The reader thread: walks the inputs in order, splits them into lines (or
//! the items of a JSON document) and hands them, in runs, to the pipeline that
//! prepares them and passes them on to the senders. Every hand-over is
//! bounded, so memory stays bounded however large the input.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use super::ledger::{Ledger, Position, Resume};
use super::packer::Record;
use super::pipeline::{Outlets, Pipeline, RawLine, Run, LINE_LIMIT};
use super::prepare::Defaults;
use super::reader::{Line, LineReader};
use super::rejects::Rejects;
use super::Stats;
use crate::error::{describe_io, Error, Result};
use crate::input::{self, Input};

/// The largest JSON array / `{"batch": [...]}` document read whole.
const DOCUMENT_LIMIT: u64 = 256 * 1024 * 1024;

pub struct Reader {
    pub sources: Vec<PathBuf>,
    pub names: Vec<String>,
    pub defaults: Defaults,
    /// This run's id (see `prepare::derived_message_id`).
    pub run: uuid::Uuid,
    pub resume: Option<Resume>,
    pub stats: Arc<Stats>,
    pub ledger: Arc<Ledger>,
    pub rejects: Arc<Rejects>,
    pub stop: Arc<AtomicBool>,
}

impl Reader {
    /// Reads every input in turn; stops early, without error, when the senders stop.
    pub fn run(self, tx: mpsc::Sender<Vec<Record>>) -> Result<()> {
        let names = Arc::new(self.names);
        let pipeline = Pipeline::start(
            self.defaults,
            self.run,
            Outlets {
                names: Arc::clone(&names),
                stats: Arc::clone(&self.stats),
                ledger: self.ledger,
                rejects: self.rejects,
                tx,
            },
        );
        let reading = Sources {
            paths: &self.sources,
            names: &names,
            resume: self.resume.unwrap_or_default(),
            stats: &self.stats,
            stop: &self.stop,
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
    pipeline: &'a Pipeline,
}

impl Sources<'_> {
    fn read_all(&self) -> Result<()> {
        for (index, path) in self.paths.iter().enumerate() {
            let done = self.resume.done;
            let skip = match done.source.cmp(&index) {
                std::cmp::Ordering::Greater => {
                    Stats::add(&self.stats.resumed_inputs, 1);
                    continue;
                }
                std::cmp::Ordering::Equal => done.line,
                std::cmp::Ordering::Less => 0,
            };
            let (reader, _) = input::open(path)?;
            let mut ctx = SourceCtx {
                sources: self,
                index,
                run: Run::new(index),
                also_done: &self.resume.also_done,
            };
            if !ctx.read_source(reader, skip)? || !self.pipeline.end_source(index) {
                return Ok(());
            }
        }
        Ok(())
    }
}

struct SourceCtx<'a> {
    sources: &'a Sources<'a>,
    index: usize,
    /// Lines not yet handed over.
    run: Run,
    /// The ranges a resumed checkpoint says are done, from the next one on.
    also_done: &'a [(Position, Position)],
}

impl SourceCtx<'_> {
    fn name(&self) -> &str {
        &self.sources.names[self.index]
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
                return Ok(self.read_document(items, skip));
            }
            ahead.push_front((first, std::mem::take(&mut buf)));
        }
        // Resuming: the lines a checkpoint says are done are passed over.
        let mut skip = skip;
        while skip > 0 && ahead.pop_front().is_some() {
            skip -= 1;
            Stats::add(&self.sources.stats.resumed, 1);
        }
        if skip > 0 {
            let skipped = lines.skip_lines(skip).map_err(|e| self.io_error(e))?;
            Stats::add(&self.sources.stats.resumed, skipped);
        }
        while let Some((line, bytes)) = ahead.pop_front() {
            if !self.take(line, bytes) {
                return Ok(false);
            }
        }
        loop {
            // A slow pipe must not hold lines back: hand them over before waiting for more.
            if !lines.has_buffered() && !self.hand_over() {
                return Ok(false);
            }
            let Some(line) = lines.next_line(&mut buf).map_err(|e| self.io_error(e))? else {
                break;
            };
            // A copy of exactly the line's size, which the call keeps for the rejects output.
            if !self.take(line, buf.clone()) {
                return Ok(false);
            }
        }
        Ok(self.hand_over())
    }

    /// Adds a line to the run; `false` when the sending side stopped.
    fn take(&mut self, line: Line, bytes: Vec<u8>) -> bool {
        if self.sources.stop.load(Ordering::Relaxed) {
            return false;
        }
        if self.already_done(line.number) {
            Stats::add(&self.sources.stats.resumed, 1);
            return true;
        }
        self.run.push(RawLine {
            number: line.number,
            full_len: line.full_len,
            bytes,
        });
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
        let run = std::mem::replace(&mut self.run, Run::new(self.index));
        self.sources.pipeline.submit(run)
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

    /// The items of a document, prepared like lines; their number is their 1-based index.
    fn read_document(&mut self, items: Vec<Value>, skip: u64) -> bool {
        Stats::add(&self.sources.stats.resumed, skip.min(items.len() as u64));
        for (i, item) in items.into_iter().enumerate().skip(skip as usize) {
            let bytes = serde_json::to_vec(&item).unwrap_or_default();
            let line = Line {
                number: i as u64 + 1,
                full_len: bytes.len(),
            };
            if !self.take(line, bytes) {
                return false;
            }
        }
        self.hand_over()
    }
}
