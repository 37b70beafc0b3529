//! Keeps each user's calls in input order at the server.
//!
//! Calls are spread over lanes by whose they are (`Record::key`: the userId,
//! else the anonymousId). A lane has at most one request out at a time, and
//! its batches go in the order they were packed: one user's calls never
//! travel in two requests at once, so they reach the server as the input
//! has them whatever the concurrency, the retries and the splits (a refused
//! batch's halves go one after the other, in its own request's turn).
//! Requests of different lanes go side by side, up to the limiter's limit.
//!
//! A lane's batch closes when it is full, or once its first call has waited
//! the flush interval. Due partial batches of lanes with nothing out are
//! packed together, whole, into as few requests as fit: a small input, or a
//! slow stream, is still one request at a time, with its calls in input order.

use std::collections::VecDeque;

use tokio::time::{Duration, Instant};

use super::packer::{Batch, Packer, Record};

/// Lanes of a replay that sends (a set of them fits in a `u64`), and so the
/// most requests it has out at once. Each lane packs a batch of its own, and
/// what they hold is memory: at 64 lanes a replay of 1,000,000 calls peaked
/// at 62-67 MB with full batches (against 35 MB before lanes), or at 51 MB
/// with batches closed half full to keep to 8 MB (twice the requests, and
/// half the calls a quota of requests lets through); at 32, 52-56 MB with
/// full batches. The price: at most 32 requests out, where the adaptive
/// limit would go to 64 against a distant API.
pub const LANES: usize = 32;

/// A batch ready to go, and the lanes it holds until it is answered.
pub struct Outgoing {
    pub batch: Batch,
    pub lanes: u64,
}

struct Lane {
    packer: Packer,
    /// When the partial batch took its first call.
    opened: Option<Instant>,
    /// Batches closed while the lane had one out: they go after it, in order.
    waiting: VecDeque<Batch>,
    /// One of the lane's batches is ready or out.
    busy: bool,
}

pub struct Lanes {
    lanes: Vec<Lane>,
    /// Batches whose lanes are theirs, in the order they became ready.
    ready: VecDeque<Outgoing>,
    max_bytes: usize,
    max_calls: usize,
    /// Whether batches waiting for their lane are held gzipped (`Some(true)`),
    /// plain, or not sealed at all (a dry run sends nothing).
    seal: Option<bool>,
    /// Bytes of the partial batches.
    open_bytes: usize,
    /// Bytes of the batches waiting for their lane.
    waiting_bytes: usize,
}

impl Lanes {
    /// `count` lanes (1 to `LANES`) of batches up to `max_bytes` and `max_calls`.
    pub fn new(count: usize, max_bytes: usize, max_calls: usize, seal: Option<bool>) -> Lanes {
        let count = count.clamp(1, LANES);
        Lanes {
            lanes: (0..count)
                .map(|_| Lane {
                    packer: Packer::new(max_bytes, max_calls),
                    opened: None,
                    waiting: VecDeque::new(),
                    busy: false,
                })
                .collect(),
            ready: VecDeque::new(),
            max_bytes,
            max_calls,
            seal,
            open_bytes: 0,
            waiting_bytes: 0,
        }
    }

    /// The lane of calls with this key: its top bits pick it.
    fn lane_of(&self, key: u64) -> usize {
        ((u128::from(key) * self.lanes.len() as u128) >> 64) as usize
    }

    /// Adds a call (`json` is what is sent for it) to its lane's batch.
    pub fn push(&mut self, record: &Record, json: &str, now: Instant) {
        let i = self.lane_of(record.key);
        let lane = &mut self.lanes[i];
        let before = lane.packer.bytes();
        let closed = lane.packer.push(record, json);
        if closed.is_some() || lane.opened.is_none() {
            lane.opened = Some(now);
        }
        // What the lane held before includes the batch it closed, if any.
        self.open_bytes = self.open_bytes - before + lane.packer.bytes();
        if let Some(full) = closed {
            self.close(i, full);
        }
    }

    /// Lane `i`'s batch goes now if the lane is free, or after what it has out.
    fn close(&mut self, i: usize, mut batch: Batch) {
        let lane = &mut self.lanes[i];
        if !lane.busy && lane.waiting.is_empty() {
            lane.busy = true;
            self.ready.push_back(Outgoing {
                batch,
                lanes: 1 << i,
            });
        } else {
            if let Some(gzip) = self.seal {
                batch.seal(gzip);
            }
            self.waiting_bytes += batch.bytes();
            lane.waiting.push_back(batch);
        }
    }

    /// Takes lane `i`'s partial batch.
    fn take_open(&mut self, i: usize) -> Batch {
        let lane = &mut self.lanes[i];
        lane.opened = None;
        self.open_bytes -= lane.packer.bytes();
        lane.packer.take()
    }

    /// When the oldest partial batch is due.
    pub fn deadline(&self, interval: Duration) -> Option<Instant> {
        (self.lanes.iter())
            .filter_map(|l| l.opened)
            .min()
            .map(|opened| opened + interval)
    }

    /// Closes the partial batches whose first call has waited `interval`.
    pub fn close_due(&mut self, now: Instant, interval: Duration) {
        let due: Vec<usize> = (0..self.lanes.len())
            .filter(|&i| self.lanes[i].opened.is_some_and(|o| o + interval <= now))
            .collect();
        self.close_together(due);
    }

    /// Closes every partial batch: the input is done.
    pub fn close_all(&mut self) {
        let open = (0..self.lanes.len())
            .filter(|&i| !self.lanes[i].packer.is_empty())
            .collect();
        self.close_together(open);
    }

    /// Closes the partial batches of lanes `which`: those of lanes with
    /// nothing out are packed together, whole, into as few requests as fit
    /// (first fit, largest first); the others wait for their lane.
    fn close_together(&mut self, which: Vec<usize>) {
        let mut free: Vec<(usize, Batch)> = Vec::new();
        for i in which {
            let batch = self.take_open(i);
            let lane = &self.lanes[i];
            if batch.is_empty() {
                continue;
            } else if lane.busy || !lane.waiting.is_empty() {
                self.close(i, batch);
            } else {
                free.push((i, batch));
            }
        }
        free.sort_by_key(|(_, b)| std::cmp::Reverse(b.body_len()));
        // Each request: its lanes, its bytes and calls, and their batches.
        let mut requests: Vec<(u64, usize, usize, Vec<Batch>)> = Vec::new();
        for (i, batch) in free {
            self.lanes[i].busy = true;
            let (bytes, calls) = (batch.body_len(), batch.len());
            let fits = |r: &&mut (u64, usize, usize, Vec<Batch>)| {
                r.1 + bytes <= self.max_bytes && r.2 + calls <= self.max_calls
            };
            match requests.iter_mut().find(fits) {
                Some(r) => {
                    (r.0, r.1, r.2) = (r.0 | 1 << i, r.1 + bytes, r.2 + calls);
                    r.3.push(batch);
                }
                None => requests.push((1 << i, bytes, calls, vec![batch])),
            }
        }
        for (lanes, _, _, mut group) in requests {
            let batch = if group.len() == 1 {
                group.pop().unwrap_or_default()
            } else {
                Batch::merge(group)
            };
            self.ready.push_back(Outgoing { batch, lanes });
        }
    }

    /// The lanes of an answered request are free: their next batches are ready.
    pub fn release(&mut self, lanes: u64) {
        for i in (0..self.lanes.len()).filter(|i| lanes & (1 << i) != 0) {
            let lane = &mut self.lanes[i];
            lane.busy = false;
            if let Some(next) = lane.waiting.pop_front() {
                self.waiting_bytes -= next.bytes();
                lane.busy = true;
                self.ready.push_back(Outgoing {
                    batch: next,
                    lanes: 1 << i,
                });
            }
        }
    }

    /// The next batch to send, in the order they became ready.
    pub fn next_ready(&mut self) -> Option<Outgoing> {
        self.ready.pop_front()
    }

    /// Bytes the lanes hold: partial batches and batches waiting for their lane.
    pub fn held(&self) -> usize {
        self.open_bytes + self.waiting_bytes
    }

    /// Over the bound on what lanes hold: sends the fullest partial batch of
    /// a lane with nothing out, if any (else the answers to come free some).
    pub fn make_room(&mut self) {
        let fullest = (0..self.lanes.len())
            .filter(|&i| !self.lanes[i].busy && !self.lanes[i].packer.is_empty())
            .max_by_key(|&i| self.lanes[i].packer.bytes());
        if let Some(i) = fullest {
            let batch = self.take_open(i);
            self.close(i, batch);
        }
    }

    /// Nothing is left to send: no partial, waiting or ready batch (requests
    /// may still be out).
    pub fn is_drained(&self) -> bool {
        self.ready.is_empty()
            && (self.lanes.iter()).all(|l| l.packer.is_empty() && l.waiting.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::packer::Chunk;
    use std::sync::Arc;

    /// Pushes calls `(seq, user)` of `size` bytes each onto `lanes`.
    fn push(lanes: &mut Lanes, calls: &[(u64, u64)], size: usize, now: Instant) {
        let mut chunk = Chunk::default();
        let json = Arc::new(format!("{{\"x\":\"{}\"}}", "a".repeat(size - 8)));
        for &(seq, user) in calls {
            chunk.push((seq, 0, seq, user_key(user)), &json, 0..size);
        }
        for (record, json) in chunk.calls() {
            lanes.push(record, json, now);
        }
    }

    /// A key for user `n`, spread over the lanes as hashes are.
    fn user_key(n: u64) -> u64 {
        crate::batch::prepare::id_hash(&format!("user-{n}"))
    }

    fn seqs(b: &Batch) -> Vec<u64> {
        b.calls().iter().map(|c| c.seq).collect()
    }

    #[test]
    fn a_small_input_is_one_request_in_input_order() {
        let mut lanes = Lanes::new(LANES, 475_000, 2_500, Some(true));
        let calls: Vec<(u64, u64)> = (1..=100).map(|s| (s, s)).collect();
        push(&mut lanes, &calls, 100, Instant::now());
        assert!(lanes.next_ready().is_none(), "nothing is full");
        lanes.close_all();
        let out = lanes.next_ready().unwrap();
        assert_eq!(seqs(&out.batch), (1..=100).collect::<Vec<_>>());
        assert!(out.lanes.count_ones() > 20, "{:b}", out.lanes);
        assert!(lanes.next_ready().is_none() && lanes.is_drained());
    }

    #[test]
    fn a_users_next_batch_waits_until_the_one_out_is_answered() {
        // Two calls a batch: user 7's calls 1-2 close a batch, 3-4 another.
        let mut lanes = Lanes::new(LANES, 475_000, 2, Some(false));
        push(
            &mut lanes,
            &[(1, 7), (2, 7), (3, 7), (4, 7), (5, 7)],
            100,
            Instant::now(),
        );
        let first = lanes.next_ready().unwrap();
        assert_eq!(seqs(&first.batch), [1, 2]);
        assert!(lanes.next_ready().is_none(), "3-4 wait for 1-2");
        assert!(lanes.held() > 0);
        lanes.release(first.lanes);
        let second = lanes.next_ready().unwrap();
        assert_eq!(
            (seqs(&second.batch), second.lanes),
            (vec![3, 4], first.lanes)
        );
        lanes.close_all();
        assert!(lanes.next_ready().is_none(), "5 waits for 3-4");
        lanes.release(second.lanes);
        assert_eq!(seqs(&lanes.next_ready().unwrap().batch), [5]);
        assert!(lanes.is_drained());
        assert_eq!(lanes.held(), 0);
    }

    #[test]
    fn other_users_go_side_by_side_and_every_call_goes_once() {
        let mut lanes = Lanes::new(LANES, 475_000, 10, Some(true));
        let calls: Vec<(u64, u64)> = (1..=5_000).map(|s| (s, s % 300)).collect();
        push(&mut lanes, &calls, 120, Instant::now());
        lanes.close_all();
        let mut out: Vec<Outgoing> = std::iter::from_fn(|| lanes.next_ready()).collect();
        let mut sent: Vec<(u64, u64)> = Vec::new();
        // Answer everything out, in reverse, until all is sent.
        while !out.is_empty() {
            let masks: u64 = out.iter().fold(0, |m, o| {
                assert_eq!(m & o.lanes, 0, "two requests of one lane out at once");
                m | o.lanes
            });
            assert!(masks != 0);
            for o in out.drain(..).rev() {
                sent.extend(o.batch.calls().iter().map(|c| (c.seq, c.seq % 300)));
                lanes.release(o.lanes);
            }
            out.extend(std::iter::from_fn(|| lanes.next_ready()));
        }
        assert!(lanes.is_drained());
        let mut seen: Vec<u64> = sent.iter().map(|&(s, _)| s).collect();
        seen.sort_unstable();
        assert_eq!(seen, (1..=5_000).collect::<Vec<_>>(), "each call once");
        for user in 0..300 {
            let theirs: Vec<u64> = (sent.iter())
                .filter(|&&(_, u)| u == user)
                .map(|&(s, _)| s)
                .collect();
            assert!(theirs.is_sorted(), "user {user}: {theirs:?}");
        }
    }

    #[test]
    fn a_partial_batch_goes_when_its_first_call_has_waited() {
        let mut lanes = Lanes::new(LANES, 475_000, 2_500, Some(true));
        let start = Instant::now();
        let interval = Duration::from_millis(200);
        push(&mut lanes, &[(1, 1)], 100, start);
        push(
            &mut lanes,
            &[(2, 2)],
            100,
            start + Duration::from_millis(150),
        );
        assert_eq!(lanes.deadline(interval), Some(start + interval));
        lanes.close_due(start + interval, interval);
        assert_eq!(seqs(&lanes.next_ready().unwrap().batch), [1]);
        assert_eq!(
            lanes.deadline(interval),
            Some(start + Duration::from_millis(350))
        );
    }

    #[test]
    fn over_the_bound_the_fullest_free_partial_goes() {
        let mut lanes = Lanes::new(LANES, 475_000, 2_500, Some(true));
        let calls: Vec<(u64, u64)> = (1..=400).map(|s| (s, s % 50)).collect();
        push(&mut lanes, &calls, 1_000, Instant::now());
        let before = lanes.held();
        assert!(before >= 400_000, "{before}");
        lanes.make_room();
        let out = lanes.next_ready().unwrap();
        assert!(lanes.held() < before && out.batch.len() >= 400 / 50);
        assert_eq!(out.lanes.count_ones(), 1);
    }
}
