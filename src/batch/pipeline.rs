//! Prepares lines on several threads without changing their order.
//!
//! The reader hands over runs of raw lines; worker threads turn each line into
//! a call or a reject (parsing and validation are most of a replay's CPU); one
//! sequencer thread takes the results back in input order and passes them on:
//! stats, the ledger, the rejects output, and chunks for the senders. So the
//! ledger sees lines exactly as if one thread did it all, and a checkpoint
//! never covers a line that is still being prepared.
//!
//! reader ─runs─▶ workers (N) ─results─┐
//!    └──────── order of runs ─────────┴▶ sequencer ─chunks─▶ senders

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::mpsc as async_mpsc;

use super::ledger::Position;
use super::packer::Chunk;
use super::prepare::{self, Defaults, LineError, LineId, Ready};
use super::reader::{Line, Span};
use super::rejects::{Entry, Held, Kind};
use super::{Shared, Stats};
use crate::envelope::MAX_CALL_BYTES;
use crate::error::{Error, Result};
use crate::lint::{self, Finding, Hook, Severity};
use crate::output::sanitize;
use crate::schema::Schema;
use crate::timestamp;

/// The longest line kept in memory; longer lines are refused without parsing.
/// Larger than the 32 KB call limit, since a pretty or padded line can shrink.
pub const LINE_LIMIT: usize = 1024 * 1024;
/// Calls per hand-over to the senders, and lines per run handed to a worker.
pub const CHUNK: usize = 256;
/// A chunk is handed over early once its calls hold this many bytes, so that
/// the chunks queued for the senders stay small however large the calls are.
const CHUNK_BYTES: usize = 1024 * 1024;
/// A run is handed over early once its lines hold this many bytes.
const RUN_BYTES: usize = 1024 * 1024;
/// The most a run holds: just under `RUN_BYTES`, and one more line.
const MAX_RUN_BYTES: usize = RUN_BYTES + LINE_LIMIT;
/// Workers beyond this gain nothing: the senders and the sequencer are single streams.
const MAX_WORKERS: usize = 4;
/// The messageIds remembered to find duplicates within a run (about 10 MB a
/// million); ids after that are checked but not remembered. One million keep
/// a replay of any length under 64 MB with the most calls in flight: at two
/// million, a replay of 2,000,000 calls at 200 ms peaked at 72 MB.
pub const MAX_REMEMBERED_IDS: usize = 1_000_000;
/// The duplicates named by `file:line` in the summary.
pub const DUPLICATE_EXAMPLES: usize = 5;

/// One input line (or array item) as read: its 1-based number, its length
/// before any cut at `LINE_LIMIT`, and where its bytes are in its run's buffer.
pub struct RawLine {
    pub number: u64,
    pub full_len: usize,
    bytes: std::ops::Range<usize>,
    /// Where it is in the input, when the reader knows.
    pub span: Option<Span>,
    /// Refused already by the reader, for this reason.
    pub refused: Option<std::borrow::Cow<'static, str>>,
}

/// Lines of one source, handed to the workers as a unit.
pub struct Run {
    pub source: usize,
    lines: Vec<RawLine>,
    /// The lines' bytes one after another: one buffer a run, not one a line.
    data: Vec<u8>,
}

impl Run {
    /// `capacity`: bytes the run is likely to hold (the last run's).
    pub fn new(source: usize, capacity: usize) -> Self {
        Run {
            source,
            lines: Vec::with_capacity(CHUNK),
            data: Vec::with_capacity(capacity.min(MAX_RUN_BYTES)),
        }
    }

    /// Adds `line` with its `bytes` (cut at `LINE_LIMIT`).
    pub fn push(
        &mut self,
        line: &Line,
        bytes: &[u8],
        refused: Option<std::borrow::Cow<'static, str>>,
    ) {
        let start = self.data.len();
        if self.data.capacity() - start < bytes.len() {
            // Grown to where the run is handed over (or to fit the line), never
            // doubled past what a run can hold: the bound on memory stays.
            self.data
                .reserve_exact(bytes.len().max(RUN_BYTES.saturating_sub(start)));
        }
        self.data.extend_from_slice(bytes);
        self.lines.push(RawLine {
            number: line.number,
            full_len: line.full_len,
            span: line.span,
            bytes: start..self.data.len(),
            refused,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes of the lines in the run.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    /// Whether the run should be handed over now.
    pub fn is_full(&self) -> bool {
        self.lines.len() >= CHUNK || self.data.len() >= RUN_BYTES
    }
}

/// What became of one line: the call, or why it cannot go; `None` for a blank line.
type Outcome = Option<std::result::Result<Ready, LineError>>;

/// A run prepared: each line, what became of it, and what the linter (if on)
/// found to say; the run's buffer, which the lines' bytes are in; and the
/// calls' JSON, one after another (`Call::json` says where).
struct Prepared {
    lines: Vec<(RawLine, Outcome, Vec<Finding>)>,
    data: Vec<u8>,
    calls: String,
}

struct Job {
    run: Run,
    done: SyncSender<Prepared>,
}

/// What the sequencer takes, in input order.
enum Step {
    Run {
        source: usize,
        done: Receiver<Prepared>,
    },
    /// Every line of this source has been handed over: the last line's
    /// number, for lines (a checkpoint then says where a file that grows
    /// goes on), or `None` for the items of a document (done as a whole).
    SourceEnd(usize, Option<u64>),
}

/// What the sequencer needs to pass results on: the run's shared handles
/// (read through it as `out.shared.stats`, `out.shared.ledger`...) and the senders' queue.
pub struct Outlets {
    pub shared: Arc<Shared>,
    pub tx: async_mpsc::Sender<Chunk>,
}

pub struct Pipeline {
    jobs: SyncSender<Job>,
    steps: SyncSender<Step>,
    workers: Vec<JoinHandle<()>>,
    sequencer: JoinHandle<Result<()>>,
}

impl Pipeline {
    /// `run` is this run's id, which derived messageIds depend on; `schema`,
    /// when given (dry runs), checks every call against Customer.io's schema.
    pub fn start(
        defaults: Defaults,
        run: uuid::Uuid,
        schema: Option<Schema>,
        outlets: Outlets,
    ) -> Pipeline {
        let count = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS);
        let defaults = Arc::new(defaults);
        let schema = Arc::new(schema);
        let (jobs, queue) = mpsc::sync_channel::<Job>(count);
        let queue = Arc::new(Mutex::new(queue));
        let workers = (0..count)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let defaults = Arc::clone(&defaults);
                let schema = Arc::clone(&schema);
                std::thread::spawn(move || work(&queue, &defaults, run, schema.as_ref().as_ref()))
            })
            .collect();
        // Bounds the runs between reader and sequencer, and so the memory they hold.
        let (steps, order) = mpsc::sync_channel(2 * count);
        let lint = defaults.lint.clone();
        let sequencer = std::thread::spawn(move || {
            Sequencer {
                outlets,
                lint,
                seq: 0,
                chunk: Chunk::default(),
                registered: 0,
                seen_ids: SeenIds::default(),
                counts: Counts::default(),
            }
            .run(order)
        });
        Pipeline {
            jobs,
            steps,
            workers,
            sequencer,
        }
    }

    /// Hands a run to the workers; `false` when the sending side has stopped.
    pub fn submit(&self, run: Run) -> bool {
        if run.is_empty() {
            return true;
        }
        let (done, result) = mpsc::sync_channel(1);
        let source = run.source;
        // The job goes first: the sequencer may be waiting for its result.
        self.jobs.send(Job { run, done }).is_ok()
            && self.step(Step::Run {
                source,
                done: result,
            })
    }

    /// Marks the end of a source, once its lines are all passed on.
    pub fn end_source(&self, source: usize, last_line: Option<u64>) -> bool {
        self.step(Step::SourceEnd(source, last_line))
    }

    fn step(&self, step: Step) -> bool {
        self.steps.send(step).is_ok()
    }

    /// Waits until everything handed over is passed on; the sequencer's error, if any.
    pub fn finish(self) -> Result<()> {
        let Pipeline {
            jobs,
            steps,
            workers,
            sequencer,
        } = self;
        // Closing both queues lets the workers and then the sequencer run dry and stop.
        drop((jobs, steps));
        for worker in workers {
            let _ = worker.join();
        }
        sequencer
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("the sequencing thread failed".into())))
    }
}

fn work(
    queue: &Mutex<Receiver<Job>>,
    defaults: &Defaults,
    run: uuid::Uuid,
    schema: Option<&Schema>,
) {
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(Job { run: job_run, done }) = job else {
            return;
        };
        let now = timestamp::now();
        let Run {
            source,
            lines,
            data,
        } = job_run;
        // Calls are about their line and what cio adds.
        let mut calls = String::with_capacity(data.len() + lines.len() * 256);
        let lines = lines
            .into_iter()
            .map(|line| {
                let at = LineId {
                    run,
                    source,
                    line: line.number,
                };
                let bytes = &data[line.bytes.clone()];
                let mut result = prepare_line(&line, bytes, at, defaults, &now, &mut calls);
                if let (Some(schema), Some(Ok(Ready::Call(call)))) = (schema, &mut result) {
                    call.schema_problem = schema_problem(schema, &calls[call.json.clone()], &now);
                }
                let (result, findings) = match &defaults.lint {
                    Some(hook) => apply_lint(hook, result, &calls),
                    None => (result, Vec::new()),
                };
                (line, result, findings)
            })
            .collect();
        // The sequencer may have stopped; then nobody wants the result.
        let _ = done.send(Prepared { lines, data, calls });
    }
}

/// What the schema refuses in a call as it would be sent (with its batch's `sentAt`).
fn schema_problem(schema: &Schema, json: &str, now: &str) -> Option<String> {
    let mut call: serde_json::Value = serde_json::from_str(json).ok()?;
    call["sentAt"] = serde_json::Value::String(now.to_string());
    schema.check(&call)
}

fn prepare_line(
    line: &RawLine,
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
    calls: &mut String,
) -> Outcome {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if let Some(reason) = &line.refused {
        return Some(Err(LineError {
            reason: reason.to_string(),
            field: None,
        }));
    }
    if line.full_len > LINE_LIMIT {
        return Some(Err(LineError {
            reason: format!(
                "the line is {} bytes, over the API's limit of {MAX_CALL_BYTES} bytes (32 KB)",
                line.full_len
            ),
            field: None,
        }));
    }
    Some(prepare::prepare_line(bytes, at, defaults, now, calls))
}

/// Lints a prepared call. With `reject_errors`, a lint error makes the line
/// a reject (its first error is the reason) and only the rest are reported.
fn apply_lint(hook: &Hook, result: Outcome, calls: &str) -> (Outcome, Vec<Finding>) {
    let Some(Ok(Ready::Call(call))) = &result else {
        return (result, Vec::new());
    };
    let mut findings = hook.linter.check_json(&calls[call.json.clone()]);
    if hook.reject_errors {
        if let Some(i) = findings
            .iter()
            .position(|f| f.severity() == Severity::Error)
        {
            let first = findings.remove(i);
            let error = LineError {
                reason: lint::reject_reason(&first),
                field: first.field,
            };
            findings.retain(|f| f.severity() != Severity::Error);
            return (Some(Err(error)), findings);
        }
    }
    (result, findings)
}

struct Sequencer {
    outlets: Outlets,
    /// Where lint findings go, in input order.
    lint: Option<Arc<Hook>>,
    seq: u64,
    /// Calls not yet handed on: sent in chunks, to wake the senders once per chunk.
    chunk: Chunk,
    /// The calls of `chunk` already recorded as pending in the ledger: the
    /// rest are recorded together, before the chunk goes and before anything
    /// else moves the ledger's read position past them.
    registered: usize,
    seen_ids: SeenIds,
    /// Counts not yet added to the shared stats: added once a run, since
    /// other threads write the stats too and each add waits for the cache line.
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    input_bytes: u64,
    read: u64,
}

impl Sequencer {
    fn run(mut self, order: Receiver<Step>) -> Result<()> {
        loop {
            let step = match order.try_recv() {
                Ok(step) => step,
                // Caught up with the reader, which may be waiting on a slow pipe:
                // hand on what is here rather than hold it back.
                Err(TryRecvError::Empty) => {
                    if !self.flush() {
                        return Ok(());
                    }
                    match order.recv() {
                        Ok(step) => step,
                        Err(_) => return Ok(()),
                    }
                }
                Err(TryRecvError::Disconnected) => break,
            };
            match step {
                Step::Run { source, done } => {
                    let prepared = done.recv().map_err(|_| {
                        self.register();
                        Error::Internal("a thread preparing lines failed".into())
                    })?;
                    // Where each call's messageId would be, read for all the
                    // run's calls first: each read waits on memory, and waits
                    // side by side overlap.
                    self.seen_ids
                        .warm(prepared.lines.iter().filter_map(|(_, r, _)| match r {
                            Some(Ok(Ready::Call(call))) => Some(call.id_hash),
                            _ => None,
                        }));
                    let calls = Arc::new(prepared.calls);
                    for (line, result, findings) in prepared.lines {
                        if let Some(hook) = self.lint.as_ref().filter(|_| !findings.is_empty()) {
                            hook.sink.report(
                                &self.outlets.shared.names[source],
                                line.number,
                                &findings,
                            );
                        }
                        let bytes = &prepared.data[line.bytes.clone()];
                        if !self.pass_on(source, &line, bytes, result, &calls) {
                            self.add_counts();
                            return Ok(());
                        }
                    }
                    self.add_counts();
                }
                Step::SourceEnd(source, last_line) => {
                    self.register();
                    let end = match last_line {
                        Some(line) => Position { source, line },
                        None => Position {
                            source: source + 1,
                            line: 0,
                        },
                    };
                    self.outlets.shared.ledger.read_through(end);
                }
            }
        }
        self.flush();
        Ok(())
    }

    /// Passes one line on (`calls` holds its call's JSON); `false` when the
    /// senders have stopped.
    fn pass_on(
        &mut self,
        source: usize,
        line: &RawLine,
        bytes: &[u8],
        result: Outcome,
        calls: &Arc<String>,
    ) -> bool {
        if !matches!(result, Some(Ok(Ready::Call(_)))) {
            // The ledger's read position moves past this line: the calls before it go first.
            self.register();
        }
        let out = &self.outlets;
        self.counts.input_bytes += line.full_len as u64 + 1;
        let at = Position {
            source,
            line: line.number,
        };
        match result {
            None => {
                Stats::add(&out.shared.stats.blank, 1);
                out.shared.ledger.read_through(at);
            }
            Some(Ok(Ready::Skipped(reason))) => {
                self.counts.read += 1;
                Stats::add(&out.shared.stats.skipped, 1);
                out.shared.rejects.line(Entry {
                    kind: Kind::Skipped,
                    source: &out.shared.names[source],
                    line: line.number,
                    reason: &reason,
                    field: Some("type"),
                    held: Held::Line(bytes, line.full_len, line.span),
                });
                self.seq += 1;
                out.shared.ledger.settled(self.seq, at);
            }
            Some(Ok(Ready::Call(call))) => {
                self.counts.read += 1;
                for i in call.stripped.indices() {
                    Stats::add(&out.shared.stats.stripped[i], 1);
                }
                check_duplicate(&mut self.seen_ids, out, call.id_hash, source, line.number);
                if let Some(problem) = &call.schema_problem {
                    Stats::add(&out.shared.stats.schema_problems, 1);
                    crate::output::note(format_args!(
                        "{}:{}: would not satisfy Customer.io's schema: {}",
                        sanitize(&out.shared.names[source], 200),
                        line.number,
                        sanitize(problem, 500)
                    ));
                }
                self.seq += 1;
                self.chunk.push(
                    (self.seq, source, line.number, call.order_key),
                    calls,
                    call.json,
                );
                if self.chunk.len() >= CHUNK || self.chunk.bytes() >= CHUNK_BYTES {
                    return self.flush();
                }
            }
            Some(Err(e)) => {
                self.counts.read += 1;
                Stats::add(&out.shared.stats.invalid, 1);
                match self.lint.as_ref().filter(|h| h.invalid_as_findings) {
                    // `cio lint`: what batch would reject is a finding like any other.
                    Some(hook) => hook.sink.report(
                        &out.shared.names[source],
                        line.number,
                        &[Finding::invalid(&e.reason, e.field.as_deref())],
                    ),
                    None => out.shared.rejects.line(Entry {
                        kind: Kind::Invalid,
                        source: &out.shared.names[source],
                        line: line.number,
                        reason: &e.reason,
                        field: e.field.as_deref(),
                        held: Held::Line(bytes, line.full_len, line.span),
                    }),
                }
                // Settled for good: a resume passes over it, wherever it is.
                self.seq += 1;
                out.shared.ledger.settled(self.seq, at);
            }
        }
        true
    }

    fn add_counts(&mut self) {
        let stats = &self.outlets.shared.stats;
        let counts = std::mem::take(&mut self.counts);
        Stats::add(&stats.input_bytes, counts.input_bytes);
        Stats::add(&stats.read, counts.read);
    }

    /// Records the calls of the chunk not yet recorded as pending, in one go.
    fn register(&mut self) {
        if self.registered == self.chunk.len() {
            return;
        }
        let calls = self.chunk.records[self.registered..].iter().map(|r| {
            let at = Position {
                source: r.source,
                line: r.line,
            };
            (r.seq, at)
        });
        self.outlets.shared.ledger.pending_many(calls);
        self.registered = self.chunk.len();
    }

    /// Hands the chunk on; `false` when the senders have stopped.
    fn flush(&mut self) -> bool {
        // Pending before it goes: a sender may finish it at once.
        self.register();
        self.registered = 0;
        if self.chunk.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.chunk, Chunk::with_capacity(CHUNK));
        self.outlets.tx.blocking_send(chunk).is_ok()
    }
}

/// Hashes of the messageIds seen in this run (`prepare::id_hash`), spread
/// over tables by the hash itself, so that an id is looked for in one table
/// only: with a million ids the tables are far larger than the CPU's caches,
/// and each look-up waits on memory. A table grows by doubling, up to its
/// share of `MAX_REMEMBERED_IDS` (about 10 MB in all, less than the old
/// fixed-size tables held), so none holds much twice while it grows.
#[derive(Default)]
struct SeenIds {
    /// `PARTS` tables, made at the first id.
    parts: Vec<Part>,
    len: usize,
}

/// Open addressing with linear probing; 0 marks an empty slot.
struct Part {
    slots: Vec<u64>,
    len: usize,
}

const PARTS: usize = 16;
/// The slots a table starts with, and the most it grows to: its share of
/// the remembered ids at 3/4 full.
const FIRST_SLOTS: usize = 1024;
const MAX_SLOTS: usize = MAX_REMEMBERED_IDS / PARTS * 4 / 3 + 1;

impl Part {
    /// Where `key` goes when nothing is in the way: its top bits pick the
    /// slot (the slot's share of 2^64).
    fn home(&self, key: u64) -> usize {
        ((u128::from(key) * self.slots.len() as u128) >> 64) as usize
    }

    /// The slot that holds `key`, or the empty one where it would go; and which.
    fn find(&self, key: u64) -> (usize, bool) {
        let n = self.slots.len();
        let mut i = self.home(key);
        loop {
            match self.slots[i] {
                0 => return (i, false),
                k if k == key => return (i, true),
                _ => i = if i + 1 == n { 0 } else { i + 1 },
            }
        }
    }

    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).min(MAX_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![0; slots]);
        for key in old.into_iter().filter(|&k| k != 0) {
            let (i, _) = self.find(key);
            self.slots[i] = key;
        }
    }
}

impl SeenIds {
    /// The table for `hash`, and its key there.
    fn split(hash: u64) -> (usize, u64) {
        // An odd multiplier is one-to-one, so distinct hashes stay distinct;
        // it spreads hashes that differ only in their low bits over the tables.
        let mixed = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // The top 4 bits pick the table; the rest, shifted up, are the key
        // (never 0: its low bits are free, and one of them is set).
        ((mixed >> 60) as usize, (mixed << 4) | 1)
    }

    /// Reads the slots where `hashes` would be, so that `seen` finds them in
    /// the cache: reads with nothing between them wait for memory together.
    fn warm(&self, hashes: impl Iterator<Item = u64>) {
        let mut sum = 0u64;
        for hash in hashes {
            let (part, key) = Self::split(hash);
            if let Some(table) = self.parts.get(part) {
                sum = sum.wrapping_add(table.slots[table.home(key)]);
            }
        }
        std::hint::black_box(sum);
    }

    /// Whether `hash` was seen; remembers it if not (and there is room).
    fn seen(&mut self, hash: u64) -> bool {
        let (part, key) = Self::split(hash);
        if self.parts.is_empty() {
            self.parts = (0..PARTS)
                .map(|_| Part {
                    slots: vec![0; FIRST_SLOTS],
                    len: 0,
                })
                .collect();
        }
        let table = &mut self.parts[part];
        let (mut slot, found) = table.find(key);
        if found {
            return true;
        }
        if self.len >= MAX_REMEMBERED_IDS {
            return false;
        }
        if (table.len + 1) * 4 > table.slots.len() * 3 {
            if table.slots.len() < MAX_SLOTS {
                table.grow();
                slot = table.find(key).0;
            } else if (table.len + 1) * 8 > table.slots.len() * 7 {
                // A table given more than its share: the rest are not remembered.
                return false;
            }
        }
        table.slots[slot] = key;
        table.len += 1;
        self.len += 1;
        false
    }
}

/// Counts a call whose messageId an earlier call of this run had: the server
/// keeps only one of them.
fn check_duplicate(seen: &mut SeenIds, out: &Outlets, id_hash: u64, source: usize, line: u64) {
    if seen.seen(id_hash) {
        Stats::add(&out.shared.stats.duplicate_ids, 1);
        let mut examples = out
            .shared
            .stats
            .duplicate_examples
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if examples.len() < DUPLICATE_EXAMPLES {
            examples.push(format!("{}:{line}", out.shared.names[source]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_never_holds_more_room_than_its_lines_can_take() {
        for (hint, sizes) in [
            (0, vec![600; 300]),
            (100, vec![RUN_BYTES - 1, LINE_LIMIT]),
            (
                MAX_RUN_BYTES * 4,
                vec![RUN_BYTES / 2 + 1, RUN_BYTES / 2 + 1],
            ),
            (RUN_BYTES / 3, vec![RUN_BYTES / 4; 5]),
            // Doubling 1.5 MB of room for the last line would make 3 MB.
            (RUN_BYTES * 3 / 2, vec![RUN_BYTES * 9 / 10, LINE_LIMIT]),
        ] {
            let mut run = Run::new(0, hint);
            for (i, &size) in sizes.iter().enumerate() {
                if run.is_full() {
                    run = Run::new(0, run.bytes() + run.bytes() / 4);
                }
                let line = Line {
                    number: i as u64 + 1,
                    full_len: size,
                    span: None,
                };
                run.push(&line, &vec![b'x'; size], None);
                assert!(
                    run.data.capacity() <= MAX_RUN_BYTES,
                    "{}",
                    run.data.capacity()
                );
                let last = run.lines.last().unwrap();
                assert_eq!(run.data[last.bytes.clone()].len(), size);
            }
        }
    }

    #[test]
    fn seen_ids_remember_up_to_the_cap_in_bounded_tables() {
        let mut seen = SeenIds::default();
        // Hashes alike but for their low bits, and hashes alike but for their high bits.
        let ids = |n: u64| (0..n).flat_map(|i| [i, i << 40 | 1 << 20]);
        let n = MAX_REMEMBERED_IDS as u64 / 2;
        assert!(ids(n).all(|h| !seen.seen(h)), "new ids are new");
        assert!(ids(n).all(|h| seen.seen(h)), "every id is remembered");
        assert_eq!(seen.len, MAX_REMEMBERED_IDS);
        let slots: usize = seen.parts.iter().map(|p| p.slots.len()).sum();
        assert!(slots <= PARTS * MAX_SLOTS, "{slots}");
        assert!(!seen.seen(u64::MAX));
        assert!(!seen.seen(u64::MAX), "past the cap, ids are not remembered");
        assert!(seen.seen(0) && seen.seen(1 << 40 | 1 << 20));
    }
}
