//! The sending side of `batch`: packs calls into requests, keeps as many in
//! flight as the limiter allows, paces to `--rate` and to the pace a quota showed
//! (`quota`, shared with the other replays to the destination: `peers`),
//! pauses everyone on 429, splits a
//! batch the server refuses until only the refused calls are left, and records
//! every outcome: acknowledged and refused calls are done in the ledger;
//! undeliverable ones go to the rejects output and stay owed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::lanes::{Lanes, Outgoing, LANES};
use super::limiter::{Control, Limiter, Permit, ADAPTIVE_MAX};
use super::packer::{Batch, Chunk};
use super::peers::{self, Peers};
use super::quota::Quota;
use super::rejects::{Entry, Held, Kind};
use super::summary::Pace;
use super::{Options, Shared, Stats};
use crate::client::{Client, Encoding, SendError};
use crate::error::Error;
use crate::output;
use crate::settings::Settings;
use crate::signals::{self, interrupts};

/// Shared by the packer and every request in flight.
pub struct Deliverer {
    /// None for a dry run.
    pub client: Option<Client>,
    pub options: Options,
    /// The run's names, stats, ledger, rejects and stop flag.
    pub shared: Arc<Shared>,
    /// Where the key and the endpoint came from, for the message of an answer that stops the run.
    settings: Settings,
    /// How many interrupts (SIGINT, SIGTERM) have come.
    signals: watch::Receiver<u32>,
    /// Set on the first interrupt: the client then starts no new attempt.
    halt: watch::Sender<bool>,
    /// How many requests may be in flight: adaptive, or fixed by --concurrency.
    limiter: Arc<Limiter>,
    /// Set when the run must stop early (auth failure, the server gone).
    fatal: Mutex<Option<Error>>,
    /// The pace of request starts and the `Retry-After` pause, learned from 429s.
    quota: Quota,
    /// The destination's state directory, where the replays sharing its
    /// quota meet; None for a dry run or without a state directory.
    peers_dir: Option<PathBuf>,
    failures_in_a_row: AtomicU32,
    /// Writes the checkpoint for the requests answered.
    saver: Saver,
}

/// The checkpoint's one writer. A request answered asks for a write and
/// waits, holding its slot, until a write that began after it is on disk:
/// one write covers every request answered before it began, so a replay
/// writes as often as a write takes (with each user's calls in a lane of
/// its own, the ranges done past the watermark are many, and a write for
/// every request cost a third more CPU), while what a crash can make a rerun
/// send twice stays what was in flight. The write runs on a blocking thread,
/// so that waiting requests hold no runtime thread.
#[derive(Default)]
struct Saver {
    /// Writes asked for so far.
    asked: AtomicU64,
    /// The writes asked for that a finished write covers.
    covered: watch::Sender<u64>,
    /// Wakes the writer.
    wake: tokio::sync::Notify,
}

/// How the sending ended.
pub enum DeliverEnd {
    /// Every call read was handled (delivered, refused, or owed).
    InputDone,
    /// Ctrl-C, SIGTERM or SIGHUP.
    Interrupted,
    /// An answer that stops the run (401, 403, 404, the server gone).
    Fatal(Error),
}

impl Deliverer {
    /// Must be called inside the runtime: it starts listening for interrupts.
    pub fn new(
        mut client: Option<Client>,
        options: Options,
        shared: Arc<Shared>,
        settings: &Settings,
    ) -> Self {
        let control = match options.concurrency {
            Some(n) => Control::fixed(n),
            None => Control::adaptive(ADAPTIVE_MAX),
        };
        let (halt, halted) = watch::channel(false);
        if let Some(client) = client.as_mut() {
            client.halt_on(halted);
        }
        let peers_dir = client
            .as_ref()
            .and_then(|_| crate::spool::destination_dir(settings).ok());
        Deliverer {
            limiter: Limiter::new(control, options.max_bytes_in_flight),
            peers_dir,
            client,
            options,
            shared,
            settings: settings.clone(),
            signals: signals::listen(),
            halt,
            fatal: Mutex::new(None),
            quota: Quota::default(),
            failures_in_a_row: AtomicU32::new(0),
            saver: Saver::default(),
        }
    }

    /// Takes calls from the reader until it is done, the user interrupts, or a fatal error.
    pub async fn run(self: Arc<Self>, mut rx: mpsc::Receiver<Chunk>) -> DeliverEnd {
        // A dry run sends nothing, so one lane keeps `--print` in input order.
        let (count, seal) = match self.client {
            Some(_) => (LANES, Some(self.options.gzip)),
            None => (1, None),
        };
        let (max_bytes, max_calls) = (self.options.max_batch_bytes, self.options.max_batch_calls);
        let mut lanes = Lanes::new(count, max_bytes, max_calls, seal);
        // Partial batches and batches waiting for their lane hold at most
        // this much; the limiter bounds what is out.
        let hold = self.options.max_bytes_in_flight;
        let interval = self.options.flush_interval;
        let (answered, mut released) = mpsc::unbounded_channel::<u64>();
        let mut tasks = JoinSet::new();
        let mut next_slot = Instant::now();
        let mut input_done = false;
        // Without a place to meet (a read-only state directory) the replay goes on alone.
        let peers = (self.peers_dir.as_deref())
            .and_then(|dir| Peers::join(dir).ok())
            .map(Arc::new);
        let sharing =
            (peers.clone()).map(|peers| tokio::spawn(Arc::clone(&self).share_quota(peers)));
        let saving = tokio::spawn(Arc::clone(&self).write_checkpoints());
        let mut interrupted = loop {
            if self.is_fatal() {
                break false;
            }
            while let Some(out) = lanes.next_ready() {
                if !self
                    .dispatch(out, &answered, &mut next_slot, &mut tasks)
                    .await
                {
                    break;
                }
            }
            if self.interrupt_count() > 0 {
                break true;
            }
            if self.is_fatal() || (input_done && lanes.is_drained()) {
                break false;
            }
            if lanes.held() >= hold {
                lanes.make_room();
            }
            let reading = !input_done && lanes.held() < hold;
            tokio::select! {
                biased;
                _ = interrupts(&self.signals, 1) => break true,
                Some(answered) = released.recv() => lanes.release(answered),
                chunk = rx.recv(), if reading => match chunk {
                    Some(chunk) => {
                        let now = Instant::now();
                        for (record, json) in chunk.calls() {
                            lanes.push(record, json, now);
                        }
                    }
                    None => {
                        // The input is done: what is packed goes too.
                        input_done = true;
                        lanes.close_all();
                    }
                },
                _ = sleep_until_or_never(lanes.deadline(interval)) => {
                    lanes.close_due(Instant::now(), interval);
                }
            }
            // Reap finished requests so the set does not grow.
            while tasks.try_join_next().is_some() {}
        };
        // Stop the reader. What is still packed or queued is owed: it stays
        // pending in the ledger, and a resume sends it.
        self.shared.stop.store(true, Ordering::Relaxed);
        rx.close();

        // Wait for the requests in flight; the first interrupt (now or while
        // waiting) starts no new attempt, the second stops waiting.
        if interrupted {
            self.finish_in_flight();
        }
        loop {
            if interrupted && self.interrupt_count() >= 2 {
                tasks.abort_all();
                break;
            }
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { break },
                _ = interrupts(&self.signals, if interrupted { 2 } else { 1 }) => {
                    if !interrupted {
                        interrupted = true;
                        self.finish_in_flight();
                    }
                }
            }
        }
        saving.abort();
        if let Some(sharing) = sharing {
            sharing.abort();
        }
        // Now, not when the runtime gets round to dropping the task (which a
        // busy machine can delay past the process's exit): the others take up
        // this replay's part at their next beat.
        if let Some(peers) = peers {
            peers.leave();
        }
        if interrupted {
            return DeliverEnd::Interrupted;
        }
        match self.fatal.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(e) => DeliverEnd::Fatal(e),
            None => DeliverEnd::InputDone,
        }
    }

    /// Tells the other replays to the destination how this one fares and
    /// takes in what they say, a few times a second, until aborted.
    async fn share_quota(self: Arc<Self>, peers: Arc<Peers>) {
        let mut tick = tokio::time::interval(peers::BEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let beat = self.quota.beat(Instant::now(), SystemTime::now());
            let member = Arc::clone(&peers);
            let Ok(Ok(group)) = tokio::task::spawn_blocking(move || member.beat(&beat)).await
            else {
                return;
            };
            self.quota
                .observe(&group, Instant::now(), SystemTime::now());
        }
    }

    /// The first interrupt: no new attempt starts, and the user is told how to stop now.
    fn finish_in_flight(&self) {
        let _ = self.halt.send(true);
        // The bar goes now, not with the summary: the note comes first.
        output::end_progress();
        // Requests out, not tasks: a task that is done may not be reaped yet.
        let in_flight = self.limiter.in_flight();
        if in_flight > 0 {
            output::note(format_args!(
                "finishing {} in flight; Ctrl-C again to stop now",
                output::count(in_flight as u64, "request")
            ));
        }
    }

    /// Requests out now.
    pub fn in_flight(&self) -> usize {
        self.limiter.in_flight()
    }

    fn interrupt_count(&self) -> u32 {
        *self.signals.borrow()
    }

    fn is_fatal(&self) -> bool {
        self.fatal.lock().map(|f| f.is_some()).unwrap_or(true)
    }

    fn set_fatal(&self, e: Error) {
        let mut slot = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(e);
    }

    /// When the next request (or retry) may start at the pace a quota
    /// showed: its turn, taken now.
    fn quota_turn(&self) -> Instant {
        let (_, _, latency) = self.limiter.snapshot();
        self.quota.next_start(Instant::now(), latency)
    }

    /// Starts sending a batch once `--rate`, a request slot and the pace a
    /// quota showed (with any `Retry-After` pause) allow; `false`
    /// (and the batch left owed) when an interrupt or a fatal error comes first.
    async fn dispatch(
        self: &Arc<Self>,
        out: Outgoing,
        answered: &mpsc::UnboundedSender<u64>,
        next_slot: &mut Instant,
        tasks: &mut JoinSet<()>,
    ) -> bool {
        let Outgoing { mut batch, lanes } = out;
        if self.options.print {
            print_calls(&batch);
        }
        if self.client.is_some() {
            // Sealed here, one batch at a time, so that the calls waiting for
            // a request slot or in flight are held once (compressed, and the
            // buffer goes straight to the next batch, unless --no-gzip).
            batch.seal(self.options.gzip);
        }
        let bytes = batch.bytes();
        let permit = tokio::select! {
            biased;
            _ = interrupts(&self.signals, 1) => return false,
            permit = async {
                self.hold_to_rate(next_slot, batch.len()).await;
                let permit = self.limiter.acquire(bytes).await;
                wait_until(self.quota_turn()).await;
                permit
            } => permit,
        };
        if self.is_fatal() {
            return false;
        }
        let this = Arc::clone(self);
        let release = Release {
            lanes,
            answered: answered.clone(),
        };
        tasks.spawn(async move {
            this.deliver(batch, permit).await;
            drop(release);
        });
        true
    }

    /// The limit now, the most requests out at once, and the smoothed round trip.
    pub fn concurrency(&self) -> (usize, usize, Option<Duration>) {
        self.limiter.snapshot()
    }

    /// Requests per second the replay keeps to, once 429s have shown a
    /// quota, and how many replays on this machine share it.
    pub fn quota_pace(&self) -> Option<(f64, usize)> {
        Some((self.quota.pace()?, self.quota.replays()))
    }

    /// How the run went on the wire, for the summary.
    pub fn pace(&self, elapsed: Duration) -> Pace {
        let (_, concurrency_peak, latency) = self.limiter.snapshot();
        Pace {
            elapsed,
            concurrency_peak,
            latency,
            quota_pace: self.quota.pace(),
        }
    }

    /// Holds back a batch so that calls per second stay under `--rate`.
    async fn hold_to_rate(&self, next_slot: &mut Instant, calls: usize) {
        let Some(rate) = self.options.rate else {
            return;
        };
        let now = Instant::now();
        wait_until(*next_slot).await;
        *next_slot = (*next_slot).max(now) + Duration::from_secs_f64(calls as f64 / rate);
    }

    /// Sends one batch, splitting it on a refusal until the refused calls stand alone.
    async fn deliver(&self, batch: Batch, permit: Permit) {
        Stats::add(&self.shared.stats.batches, 1);
        let mut work = vec![batch];
        while let Some(mut batch) = work.pop() {
            Stats::add(&self.shared.stats.bytes, batch.body_len() as u64);
            let Some(client) = &self.client else {
                // Dry run: everything valid counts as what would be delivered.
                Stats::add(&self.shared.stats.delivered, batch.len() as u64);
                self.shared.ledger.done(batch.calls().iter().map(|c| c.seq));
                continue;
            };
            // After a fatal error, or a split half after an interrupt: owed, not sent.
            if self.is_fatal() {
                continue;
            }
            // The halves of a refused batch (the whole one was sealed in `dispatch`).
            batch.seal(self.options.gzip);
            self.wait_for_pause().await;
            let on_retry = |notice: crate::client::RetryNotice| {
                Stats::add(&self.shared.stats.retries, 1);
                Stats::add(&self.shared.stats.requests, 1);
                // A 503, a timeout or a network error says the server or the path is overloaded.
                if matches!(notice.status, None | Some(429 | 503)) {
                    self.limiter.on_backpressure();
                }
                if notice.status == Some(429) {
                    // Everyone waits what the server asked; this request may wait longer.
                    let pause = notice.retry_after.unwrap_or(notice.wait);
                    let windowed = notice.retry_after >= Some(Duration::from_secs(1));
                    self.quota.refused(Instant::now(), pause, windowed);
                }
                // A retry takes its turn at the pace like a new request: the
                // requests refused together must not go back together, into
                // the next window of the quota.
                Some(self.quota_turn().saturating_duration_since(Instant::now()))
            };
            client.show_request(
                "/batch",
                &format!(
                    "{}, {} bytes before gzip",
                    output::count(batch.len() as u64, "call"),
                    batch.body_len()
                ),
                self.options.gzip,
                || first_calls(&batch),
            );
            let encoding = match batch.shared_head() {
                Some((head, gzipped)) => Encoding::Shared { head, gzipped },
                None => Encoding::Identity,
            };
            let make_body = |sent_at: &str, out: &mut Vec<u8>| batch.write_body(sent_at, out);
            let result = client.send("/batch", &make_body, encoding, &on_retry).await;
            // Every outcome but a halt before the first attempt made a request.
            if !matches!(result, Err(SendError::Interrupted)) {
                Stats::add(&self.shared.stats.requests, 1);
            }
            match result {
                Ok(delivered) => {
                    self.quota.accepted(Instant::now() - delivered.round_trip);
                    if delivered.attempts == 1 {
                        self.limiter.on_success(delivered.round_trip, permit.busy);
                    }
                    self.failures_in_a_row.store(0, Ordering::Relaxed);
                    Stats::add(&self.shared.stats.delivered, batch.len() as u64);
                    self.shared.ledger.done(batch.calls().iter().map(|c| c.seq));
                }
                // Halted before an attempt: nothing was sent, the calls stay owed.
                Err(SendError::Interrupted) => {}
                // 400 (and 413) blame the content: split to find the calls at fault.
                Err(SendError::Rejected {
                    status: 400 | 413, ..
                }) if batch.len() > 1 => {
                    batch.gunzip();
                    let (first, second) = batch.halves();
                    // Popped last-in first-out: push the second half first to keep order.
                    work.push(second);
                    work.push(first);
                }
                Err(
                    e @ SendError::Rejected {
                        status: 400 | 413, ..
                    },
                ) => {
                    batch.gunzip();
                    self.refused(&batch, &e.reason());
                }
                Err(e) => {
                    batch.gunzip();
                    Stats::add(&self.shared.stats.undeliverable, batch.len() as u64);
                    self.shared.rejects.batch(
                        Kind::Undeliverable,
                        &batch,
                        &self.shared.names,
                        &e.reason(),
                    );
                    self.note_failure(e);
                }
            }
            self.save_progress().await;
        }
        drop(permit);
    }

    /// Any other 4xx (404: a wrong endpoint), 401, 403 and an endpoint that
    /// is not the API would refuse every batch alike, so they end the run; so do undeliverable batches in a row,
    /// one per request slot and at least three, since the server is then evidently gone.
    fn note_failure(&self, e: SendError) {
        let fatal = match e {
            SendError::Undelivered { .. } => {
                self.limiter.on_backpressure();
                let in_a_row = self.failures_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                let limit = (self.limiter.snapshot().0 as u32).max(3);
                (in_a_row >= limit).then(|| {
                    Error::Undelivered(format!(
                        "{in_a_row} batches in a row could not be delivered; stopping ({})",
                        e.reason()
                    ))
                })
            }
            e => {
                let url = self
                    .client
                    .as_ref()
                    .map_or(String::new(), |c| c.url("/batch"));
                Some(crate::explain::send_error(e, &url, &self.settings))
            }
        };
        if let Some(err) = fatal {
            self.set_fatal(err);
        }
    }

    /// A call the server refused on its own merits: settled, and recorded with its reason.
    fn refused(&self, batch: &Batch, reason: &str) {
        for (call, json) in batch.iter() {
            self.shared.rejects.line(Entry {
                kind: Kind::Refused,
                source: &self.shared.names[call.source],
                line: call.line,
                reason,
                field: None,
                held: Held::Call(json),
            });
        }
        Stats::add(&self.shared.stats.refused, batch.len() as u64);
        self.shared.ledger.done(batch.calls().iter().map(|c| c.seq));
    }

    /// Returns once the checkpoint on disk covers what this request settled
    /// (its rejects first: see `Saver`).
    async fn save_progress(&self) {
        let mine = self.saver.asked.fetch_add(1, Ordering::SeqCst) + 1;
        self.saver.wake.notify_one();
        let mut covered = self.saver.covered.subscribe();
        let _ = covered.wait_for(|&covered| covered >= mine).await;
    }

    /// The checkpoint's writer, until aborted.
    async fn write_checkpoints(self: Arc<Self>) {
        loop {
            let covering = self.saver.asked.load(Ordering::SeqCst);
            if covering == *self.saver.covered.borrow() {
                self.saver.wake.notified().await;
                continue;
            }
            let shared = Arc::clone(&self.shared);
            let write = move || shared.ledger.save_with(|| shared.rejects.flush());
            match tokio::task::spawn_blocking(write).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => self.set_fatal(e),
                Err(e) => self.set_fatal(Error::Internal(format!("writing the checkpoint: {e}"))),
            }
            self.saver.covered.send_replace(covering);
        }
    }

    /// Waits out a 429 pause, unless an interrupt comes first.
    async fn wait_for_pause(&self) {
        if let Some(until) = self.quota.paused_until() {
            tokio::select! {
                _ = wait_until(until) => {},
                _ = interrupts(&self.signals, 1) => {},
            }
        }
    }
}

/// Frees a request's lanes once it is answered, or given up (its task
/// aborted or failed): dropped with the task, whatever ends it.
struct Release {
    lanes: u64,
    answered: mpsc::UnboundedSender<u64>,
}

impl Drop for Release {
    fn drop(&mut self) {
        let _ = self.answered.send(self.lanes);
    }
}

/// The first calls of a batch, for `-vvv`.
fn first_calls(batch: &Batch) -> String {
    const SHOWN: usize = 3;
    let mut shown = batch.first_calls(SHOWN);
    let more = batch.len().saturating_sub(SHOWN);
    if more > 0 {
        shown.push(format!("... and {more} more"));
    }
    shown.join(" ")
}

/// `--dry-run --print`: the calls of a batch on stdout, one per line, in input order
/// (batches are dispatched in order). A reader that went away is not an error;
/// a write that failed otherwise is reported when the run ends.
fn print_calls(batch: &Batch) {
    let mut lines = Vec::new();
    for (_, json) in batch.iter() {
        lines.extend_from_slice(json.as_bytes());
        lines.push(b'\n');
    }
    crate::output::stdout_bytes(&lines);
}

/// Waits until `start`, and not at all once it has come. tokio's timer rounds
/// a deadline up to its next millisecond tick, so a sleep until now would hold
/// the packer about half a millisecond for every batch: on loopback that was a
/// fifth of a replay's pace.
async fn wait_until(start: Instant) {
    if start > Instant::now() {
        tokio::time::sleep_until(start).await;
    }
}

/// Sleeps until `deadline`, or forever without one (a select branch that
/// never fires).
async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};

    fn ready_at_once(future: impl Future<Output = ()>) -> bool {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        future.as_mut().poll(&mut cx).is_ready()
    }

    #[tokio::test]
    async fn a_start_that_has_come_is_not_waited_for() {
        let now = Instant::now();
        // What `wait_until` is for: tokio's own sleep is not over at once.
        assert!(!ready_at_once(tokio::time::sleep_until(now)));
        assert!(ready_at_once(wait_until(now)));
        assert!(ready_at_once(wait_until(now - Duration::from_secs(1))));
        assert!(!ready_at_once(wait_until(now + Duration::from_secs(60))));
    }
}
