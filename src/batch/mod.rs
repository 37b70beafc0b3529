//! `cio batch`: stream calls from NDJSON (or JSON array) input into the batch
//! API. A reader thread splits the input into lines; worker threads parse and
//! validate them; a sequencer puts them back in input order; an async side
//! packs them into requests, sends several at once, and records progress.
//!
//! reader ─▶ workers ─▶ sequencer ──bounded channel──▶ packer ──▶ senders (N in flight)
//!                         │ bad lines ─▶ rejects                  │ acks ─▶ ledger ─▶ checkpoint

pub mod deliver;
mod document;
pub mod lanes;
pub mod ledger;
pub mod limiter;
pub mod packer;
pub mod peers;
pub mod pipeline;
pub mod prepare;
pub mod progress;
pub mod quota;
pub mod reader;
pub mod rejects;
mod scan;
pub mod source;
pub mod summary;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub use prepare::Defaults;

use ledger::Ledger;
use rejects::Rejects;

/// What every part of one run shares (reader, workers, sequencer, senders,
/// progress and summary), made once by the command and passed as one `Arc`.
pub struct Shared {
    /// The inputs' names for messages, by source index.
    pub names: Vec<String>,
    pub stats: Stats,
    /// What is done, for the checkpoint.
    pub ledger: Ledger,
    /// Where calls not delivered are recorded.
    pub rejects: Rejects,
    /// Set by the senders to stop the reader.
    pub stop: AtomicBool,
}

impl Shared {
    pub fn new(names: Vec<String>, ledger: Ledger, rejects: Rejects) -> Shared {
        Shared {
            names,
            stats: Stats::default(),
            ledger,
            rejects,
            stop: AtomicBool::new(false),
        }
    }
}

/// How the replay runs, resolved from flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight, fixed; None lets the limiter find it.
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    pub flush_interval: Duration,
    pub max_batch_bytes: usize,
    pub max_batch_calls: usize,
    /// Bytes of calls in requests in flight (see `limiter`).
    pub max_bytes_in_flight: usize,
    pub gzip: bool,
    /// `--dry-run --print`: the calls go to stdout, in input order, as they would be sent.
    pub print: bool,
}

/// Counters shared by the reader and the senders.
#[derive(Debug, Default)]
pub struct Stats {
    /// Non-blank lines (and array items) taken from the input.
    pub read: AtomicU64,
    pub blank: AtomicU64,
    /// Lines skipped because a checkpoint says they were done.
    pub resumed: AtomicU64,
    /// Inputs passed over whole, unread, because a checkpoint says they were done.
    pub resumed_inputs: AtomicU64,
    pub delivered: AtomicU64,
    /// Refused by cio's own checks.
    pub invalid: AtomicU64,
    /// Refused by the server (400 and other content errors).
    pub refused: AtomicU64,
    /// Sent and not delivered (network, retries exhausted, a run-stopping
    /// answer): recorded as rejects, and still owed.
    pub undeliverable: AtomicU64,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub batches: AtomicU64,
    /// Uncompressed request bytes (the first attempt of each request).
    pub bytes: AtomicU64,
    /// Input bytes read, for progress.
    pub input_bytes: AtomicU64,
    /// Calls left out on purpose: types the API has no endpoint for (`delete`).
    pub skipped: AtomicU64,
    /// Per field of `envelope::FOREIGN_FIELDS`, how many calls it was dropped from.
    pub stripped: [AtomicU64; crate::envelope::FOREIGN_FIELDS.len()],
    /// Calls whose messageId an earlier call of this run had.
    pub duplicate_ids: AtomicU64,
    /// Where the first few of those are, as `file:line`.
    pub duplicate_examples: Mutex<Vec<String>>,
    /// Calls a dry run found Customer.io's schema would refuse.
    pub schema_problems: AtomicU64,
    /// The last input's last line, left for the next run because it had no
    /// newline and was not whole JSON yet (0: none).
    pub unfinished: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn rejected(&self) -> u64 {
        Stats::get(&self.invalid) + Stats::get(&self.refused) + Stats::get(&self.undeliverable)
    }
}
