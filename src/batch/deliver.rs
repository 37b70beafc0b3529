//! The sending side of `batch`: packs calls into requests, keeps up to
//! `concurrency` in flight, paces to `--rate`, pauses everyone on 429, splits a
//! batch the server refuses until only the refused calls are left, and records
//! every outcome in the ledger (acks) or the rejects output.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::ledger::Ledger;
use super::packer::{self, Packer, Record};
use super::rejects::Rejects;
use super::{Options, Stats};
use crate::client::{Client, SendError};
use crate::error::Error;

/// Shared by the packer and every request in flight.
pub struct Deliverer {
    pub client: Option<Client>,
    pub options: Options,
    pub stats: Arc<Stats>,
    pub ledger: Arc<Ledger>,
    pub rejects: Arc<Rejects>,
    pub names: Vec<String>,
    /// Set when the run must stop early (auth failure, the server gone).
    pub fatal: Mutex<Option<Error>>,
    pub stop: Arc<AtomicBool>,
    /// No request starts before this instant (set by 429 answers).
    pause_until: Mutex<Option<Instant>>,
    failures_in_a_row: AtomicU32,
}

/// How the packer loop ended.
pub enum DeliverEnd {
    InputDone,
    Interrupted,
    Fatal,
}

impl Deliverer {
    pub fn new(
        client: Option<Client>,
        options: Options,
        stats: Arc<Stats>,
        ledger: Arc<Ledger>,
        rejects: Arc<Rejects>,
        names: Vec<String>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        Deliverer {
            client,
            options,
            stats,
            ledger,
            rejects,
            names,
            fatal: Mutex::new(None),
            stop,
            pause_until: Mutex::new(None),
            failures_in_a_row: AtomicU32::new(0),
        }
    }

    /// Takes calls from the reader until it is done, the user interrupts, or a fatal error.
    pub async fn run(self: Arc<Self>, mut rx: mpsc::Receiver<Vec<Record>>) -> DeliverEnd {
        let mut packer = Packer::new(self.options.max_batch_bytes, self.options.max_batch_calls);
        let in_flight = Arc::new(Semaphore::new(self.options.concurrency));
        let mut tasks = JoinSet::new();
        let mut deadline: Option<Instant> = None;
        let mut next_slot = Instant::now();
        let interrupt = tokio::signal::ctrl_c();
        tokio::pin!(interrupt);
        let end = loop {
            if self.is_fatal() {
                break DeliverEnd::Fatal;
            }
            let full = tokio::select! {
                biased;
                _ = &mut interrupt => break DeliverEnd::Interrupted,
                chunk = rx.recv() => match chunk {
                    Some(chunk) => {
                        let mut full = Vec::new();
                        for record in chunk {
                            let was_empty = packer.is_empty();
                            if let Some(closed) = packer.push(record) {
                                full.push(closed);
                                deadline = Some(Instant::now() + self.options.flush_interval);
                            } else if was_empty {
                                deadline = Some(Instant::now() + self.options.flush_interval);
                            }
                        }
                        full
                    }
                    None => break DeliverEnd::InputDone,
                },
                _ = sleep_until(deadline) => {
                    deadline = None;
                    vec![packer.take()]
                }
            };
            for batch in full.into_iter().filter(|b| !b.is_empty()) {
                self.pace(&mut next_slot, batch.len()).await;
                self.dispatch(batch, &in_flight, &mut tasks).await;
            }
            // Reap finished requests so the set does not grow.
            while tasks.try_join_next().is_some() {}
        };
        // Stop the reader first, then send what was already packed (unless a fatal error).
        self.stop.store(true, Ordering::Relaxed);
        rx.close();
        if !matches!(end, DeliverEnd::Fatal) && !packer.is_empty() {
            let batch = packer.take();
            self.pace(&mut next_slot, batch.len()).await;
            self.dispatch(batch, &in_flight, &mut tasks).await;
        }
        let finish = async { while tasks.join_next().await.is_some() {} };
        if matches!(end, DeliverEnd::Interrupted) {
            // A second Ctrl-C stops waiting for the requests in flight.
            tokio::select! { _ = finish => {}, _ = tokio::signal::ctrl_c() => {} }
        } else {
            finish.await;
        }
        if matches!(end, DeliverEnd::InputDone) && self.is_fatal() {
            return DeliverEnd::Fatal;
        }
        end
    }

    fn is_fatal(&self) -> bool {
        self.fatal.lock().map(|f| f.is_some()).unwrap_or(true)
    }

    /// Holds back a batch so that calls per second stay under `--rate`.
    async fn pace(&self, next_slot: &mut Instant, calls: usize) {
        let Some(rate) = self.options.rate else {
            return;
        };
        let now = Instant::now();
        if *next_slot > now {
            tokio::time::sleep_until(*next_slot).await;
        }
        *next_slot = (*next_slot).max(now) + Duration::from_secs_f64(calls as f64 / rate);
    }

    async fn dispatch(
        self: &Arc<Self>,
        batch: Vec<Record>,
        in_flight: &Arc<Semaphore>,
        tasks: &mut JoinSet<()>,
    ) {
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let this = Arc::clone(self);
        tasks.spawn(async move {
            this.deliver(batch).await;
            drop(permit);
        });
    }

    /// Sends one batch, splitting it on a refusal until the refused calls stand alone.
    async fn deliver(&self, batch: Vec<Record>) {
        Stats::add(&self.stats.batches, 1);
        let mut work = vec![batch];
        while let Some(records) = work.pop() {
            Stats::add(&self.stats.bytes, packer::body_len(&records) as u64);
            let Some(client) = &self.client else {
                // Dry run: everything valid counts as what would be delivered.
                Stats::add(&self.stats.delivered, records.len() as u64);
                self.ledger.done(records.iter().map(|r| r.seq));
                continue;
            };
            if self.is_fatal() {
                let n = self.reject(&records, "not sent: the run stopped after a fatal error");
                Stats::add(&self.stats.undeliverable, n);
                continue;
            }
            self.wait_for_pause().await;
            let make_body = |sent_at: &str| packer::body(&records, sent_at);
            let on_retry = |notice: crate::client::RetryNotice| {
                Stats::add(&self.stats.retries, 1);
                Stats::add(&self.stats.requests, 1);
                if notice.status == Some(429) {
                    let until = Instant::now() + notice.wait;
                    let mut pause = self.pause_until.lock().unwrap_or_else(|e| e.into_inner());
                    *pause = Some(pause.map_or(until, |p| p.max(until)));
                }
            };
            let result = client
                .send("/batch", &make_body, self.options.gzip, &on_retry)
                .await;
            Stats::add(&self.stats.requests, 1);
            match result {
                Ok(_) => {
                    self.failures_in_a_row.store(0, Ordering::Relaxed);
                    Stats::add(&self.stats.delivered, records.len() as u64);
                    self.ledger.done(records.iter().map(|r| r.seq));
                }
                // 400 (and 413) blame the content: split to find the calls at fault.
                Err(SendError::Rejected {
                    status: 400 | 413, ..
                }) if records.len() > 1 => {
                    let mut first = records;
                    let second = first.split_off(first.len() / 2);
                    // Popped last-in first-out: push the second half first to keep order.
                    work.push(second);
                    work.push(first);
                }
                Err(
                    e @ SendError::Rejected {
                        status: 400 | 413, ..
                    },
                ) => {
                    let n = self.reject(&records, &e.reason());
                    Stats::add(&self.stats.refused, n);
                }
                // Another 4xx (404: a wrong endpoint) would refuse every batch alike.
                Err(e @ SendError::Rejected { .. }) => {
                    let n = self.reject(&records, &e.reason());
                    Stats::add(&self.stats.refused, n);
                    let mut slot = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
                    slot.get_or_insert(e.into_error());
                }
                Err(e) => {
                    let n = self.reject(&records, &e.reason());
                    Stats::add(&self.stats.undeliverable, n);
                    self.note_failure(e);
                }
            }
            self.save_progress();
        }
    }

    /// Auth errors end the run; so do undeliverable batches in a row, one per request slot
    /// and at least three, since the server is then evidently gone.
    fn note_failure(&self, e: SendError) {
        let fatal = match e {
            SendError::Unauthorized { .. } | SendError::Forbidden { .. } => Some(e.into_error()),
            SendError::Interrupted => Some(Error::Interrupted),
            _ => {
                let in_a_row = self.failures_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                let limit = (self.options.concurrency as u32).max(3);
                (in_a_row >= limit).then(|| {
                    Error::Undelivered(format!(
                        "{in_a_row} batches in a row could not be delivered; stopping ({})",
                        e.reason()
                    ))
                })
            }
        };
        if let Some(err) = fatal {
            let mut slot = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert(err);
        }
    }

    /// Records calls that will not be delivered; returns how many.
    fn reject(&self, records: &[Record], reason: &str) -> u64 {
        for r in records {
            self.rejects.record(
                &self.names[r.source],
                r.line,
                reason,
                None,
                &r.original,
                r.original.len(),
            );
        }
        self.ledger.done(records.iter().map(|r| r.seq));
        records.len() as u64
    }

    /// Rejects reach the disk before the checkpoint moves past them.
    fn save_progress(&self) {
        let saved = self.rejects.flush().and_then(|_| self.ledger.save());
        if let Err(e) = saved {
            let mut slot = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert(e);
        }
    }

    async fn wait_for_pause(&self) {
        let until = *self.pause_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
