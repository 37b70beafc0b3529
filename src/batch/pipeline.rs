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

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::mpsc as async_mpsc;

use super::ledger::Position;
use super::packer::Record;
use super::prepare::{self, Defaults, LineError, LineId, Ready};
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
    /// Refused already by the reader, for this reason.
    pub refused: Option<&'static str>,
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

    /// Adds line `number`, `full_len` bytes long on input, with `bytes` (cut at `LINE_LIMIT`).
    pub fn push(
        &mut self,
        number: u64,
        full_len: usize,
        bytes: &[u8],
        refused: Option<&'static str>,
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
            number,
            full_len,
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
/// found to say; and the run's buffer, which the lines' bytes are in.
struct Prepared {
    lines: Vec<(RawLine, Outcome, Vec<Finding>)>,
    data: Vec<u8>,
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
    /// Every line of this source has been handed over.
    SourceEnd(usize),
}

/// What the sequencer needs to pass results on: the run's shared handles
/// (read through it as `out.shared.stats`, `out.shared.ledger`...) and the senders' queue.
pub struct Outlets {
    pub shared: Arc<Shared>,
    pub tx: async_mpsc::Sender<Vec<Record>>,
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
                chunk: Vec::with_capacity(CHUNK),
                chunk_bytes: 0,
                registered: 0,
                seen_ids: SeenIds::default(),
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
    pub fn end_source(&self, source: usize) -> bool {
        self.step(Step::SourceEnd(source))
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
        let lines = lines
            .into_iter()
            .map(|line| {
                let at = LineId {
                    run,
                    source,
                    line: line.number,
                };
                let bytes = &data[line.bytes.clone()];
                let mut result = prepare_line(&line, bytes, at, defaults, &now);
                if let (Some(schema), Some(Ok(Ready::Call(call)))) = (schema, &mut result) {
                    call.schema_problem = schema_problem(schema, &call.json, &now);
                }
                let (result, findings) = match &defaults.lint {
                    Some(hook) => apply_lint(hook, result),
                    None => (result, Vec::new()),
                };
                (line, result, findings)
            })
            .collect();
        // The sequencer may have stopped; then nobody wants the result.
        let _ = done.send(Prepared { lines, data });
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
) -> Outcome {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    if let Some(reason) = line.refused {
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
    Some(prepare::prepare_line(bytes, at, defaults, now))
}

/// Lints a prepared call. With `reject_errors`, a lint error makes the line
/// a reject (its first error is the reason) and only the rest are reported.
fn apply_lint(hook: &Hook, result: Outcome) -> (Outcome, Vec<Finding>) {
    let Some(Ok(Ready::Call(call))) = &result else {
        return (result, Vec::new());
    };
    let mut findings = hook.linter.check_json(&call.json);
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
    chunk: Vec<Record>,
    /// Bytes of the calls in `chunk`.
    chunk_bytes: usize,
    /// The calls of `chunk` already recorded as pending in the ledger: the
    /// rest are recorded together, before the chunk goes and before anything
    /// else moves the ledger's read position past them.
    registered: usize,
    seen_ids: SeenIds,
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
                    for (line, result, findings) in prepared.lines {
                        if let Some(hook) = self.lint.as_ref().filter(|_| !findings.is_empty()) {
                            hook.sink.report(
                                &self.outlets.shared.names[source],
                                line.number,
                                &findings,
                            );
                        }
                        let bytes = &prepared.data[line.bytes.clone()];
                        if !self.pass_on(source, &line, bytes, result) {
                            return Ok(());
                        }
                    }
                }
                Step::SourceEnd(source) => {
                    self.register();
                    self.outlets.shared.ledger.read_through(Position {
                        source: source + 1,
                        line: 0,
                    });
                }
            }
        }
        self.flush();
        Ok(())
    }

    /// Passes one line on; `false` when the senders have stopped.
    fn pass_on(&mut self, source: usize, line: &RawLine, bytes: &[u8], result: Outcome) -> bool {
        if !matches!(result, Some(Ok(Ready::Call(_)))) {
            // The ledger's read position moves past this line: the calls before it go first.
            self.register();
        }
        let out = &self.outlets;
        Stats::add(&out.shared.stats.input_bytes, line.full_len as u64 + 1);
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
                Stats::add(&out.shared.stats.read, 1);
                Stats::add(&out.shared.stats.skipped, 1);
                out.shared.rejects.line(Entry {
                    kind: Kind::Skipped,
                    source: &out.shared.names[source],
                    line: line.number,
                    reason: &reason,
                    field: Some("type"),
                    held: Held::Line(bytes, line.full_len),
                });
                self.seq += 1;
                out.shared.ledger.settled(self.seq, at);
            }
            Some(Ok(Ready::Call(call))) => {
                Stats::add(&out.shared.stats.read, 1);
                for i in call.stripped.indices() {
                    Stats::add(&out.shared.stats.stripped[i], 1);
                }
                check_duplicate(
                    &mut self.seen_ids,
                    out,
                    &call.message_id,
                    source,
                    line.number,
                );
                if let Some(problem) = &call.schema_problem {
                    Stats::add(&out.shared.stats.schema_problems, 1);
                    crate::output::note(format_args!(
                        "{}:{}: would not satisfy Customer.io's schema: {}",
                        sanitize(&out.shared.names[source], 200),
                        line.number,
                        sanitize(problem, 500)
                    ));
                }
                let json = call.json;
                self.seq += 1;
                self.chunk_bytes += json.len();
                self.chunk.push(Record {
                    seq: self.seq,
                    source,
                    line: line.number,
                    json,
                });
                if self.chunk.len() >= CHUNK || self.chunk_bytes >= CHUNK_BYTES {
                    return self.flush();
                }
            }
            Some(Err(e)) => {
                Stats::add(&out.shared.stats.read, 1);
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
                        held: Held::Line(bytes, line.full_len),
                    }),
                }
                // Settled for good: a resume passes over it, wherever it is.
                self.seq += 1;
                out.shared.ledger.settled(self.seq, at);
            }
        }
        true
    }

    /// Records the calls of the chunk not yet recorded as pending, in one go.
    fn register(&mut self) {
        if self.registered == self.chunk.len() {
            return;
        }
        let calls = self.chunk[self.registered..].iter().map(|r| {
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
        self.chunk_bytes = 0;
        self.chunk.is_empty()
            || self
                .outlets
                .tx
                .blocking_send(std::mem::replace(
                    &mut self.chunk,
                    Vec::with_capacity(CHUNK),
                ))
                .is_ok()
    }
}

/// Hashes of the messageIds seen in this run (64 bits: a false match among
/// millions of ids is about one in a million), in tables of a fixed size: a
/// new one when one is full, rather than one table that doubles (and holds
/// old and new at once while it does).
#[derive(Default)]
struct SeenIds {
    tables: Vec<HashSet<u64, BuildHasherDefault<Prehashed>>>,
    len: usize,
}

/// The tables hold hashes already: hashing them again would be wasted work.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Ids per table: 7/8 of 2^18, what 2^18 slots (about 2.4 MB) hold.
const IDS_PER_TABLE: usize = (1 << 18) / 8 * 7;

impl SeenIds {
    /// Whether `hash` was seen; remembers it if not (and there is room).
    fn seen(&mut self, hash: u64) -> bool {
        if self.tables.iter().any(|t| t.contains(&hash)) {
            return true;
        }
        if self.len < MAX_REMEMBERED_IDS {
            if self.tables.last().is_none_or(|t| t.len() >= IDS_PER_TABLE) {
                self.tables.push(HashSet::with_capacity_and_hasher(
                    IDS_PER_TABLE,
                    BuildHasherDefault::default(),
                ));
            }
            if let Some(table) = self.tables.last_mut() {
                table.insert(hash);
                self.len += 1;
            }
        }
        false
    }
}

/// Counts a call whose messageId an earlier call of this run had: the server
/// keeps only one of them.
fn check_duplicate(seen: &mut SeenIds, out: &Outlets, id: &str, source: usize, line: u64) {
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    if seen.seen(hasher.finish()) {
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
                run.push(i as u64 + 1, size, &vec![b'x'; size], None);
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
    fn seen_ids_span_tables_and_stop_growing_at_the_cap() {
        let mut seen = SeenIds::default();
        let n = 2 * IDS_PER_TABLE as u64 + 5;
        assert!((0..n).all(|h| !seen.seen(h)), "new ids are new");
        assert_eq!(seen.tables.len(), 3);
        assert!((0..n).all(|h| seen.seen(h)), "every id is remembered");
        assert_eq!(seen.len, n as usize);
        seen.len = MAX_REMEMBERED_IDS;
        assert!(!seen.seen(u64::MAX));
        assert!(!seen.seen(u64::MAX), "past the cap, ids are not remembered");
    }
}
