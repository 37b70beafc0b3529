//! Packs calls into batch requests by serialized bytes and by count.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::gzipped::Gzipped;

/// One call ready to send, with where it came from.
#[derive(Debug, Clone)]
pub struct Record {
    pub seq: u64,
    pub source: usize,
    pub line: u64,
    /// Whose call it is (`prepare::order_key`).
    pub key: u64,
    /// Where the serialized call is: which of its chunk's buffers, and where
    /// in it. It goes into the batch as it is (and into the rejects output if
    /// it is not delivered: the input line is not kept, which halves the
    /// memory of the calls in flight).
    part: usize,
    json: Range<usize>,
}

/// Calls handed to the senders together, their JSON in the buffers the
/// workers wrote them to (a run's calls share one): no string per call to
/// allocate on one thread and free on another, and no copy on the way.
#[derive(Debug, Default)]
pub struct Chunk {
    pub records: Vec<Record>,
    parts: Vec<Arc<String>>,
    bytes: usize,
}

impl Chunk {
    pub fn with_capacity(calls: usize) -> Self {
        Chunk {
            records: Vec::with_capacity(calls),
            ..Chunk::default()
        }
    }

    /// Adds the call at `json` in `calls`, whose `order_key` is `key`.
    pub fn push(
        &mut self,
        (seq, source, line, key): (u64, usize, u64, u64),
        calls: &Arc<String>,
        json: Range<usize>,
    ) {
        if !self.parts.last().is_some_and(|p| Arc::ptr_eq(p, calls)) {
            self.parts.push(Arc::clone(calls));
        }
        self.bytes += json.len();
        self.records.push(Record {
            seq,
            source,
            line,
            key,
            part: self.parts.len() - 1,
            json,
        });
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Bytes of the calls' JSON.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Each call with its JSON.
    pub fn calls(&self) -> impl Iterator<Item = (&Record, &str)> {
        (self.records.iter()).map(|r| {
            let part = self.parts.get(r.part).map_or("", |p| p.as_str());
            (r, part.get(r.json.clone()).unwrap_or_default())
        })
    }
}

const BODY_START: &str = r#"{"batch":["#;
const BODY_END_LEN: usize = r#"],"sentAt":"2026-11-28T15:01:30.212Z"}"#.len();

/// Calls packed for one request: their bytes joined in one buffer (commas
/// between), and where each came from. One buffer of a fixed size, not a
/// string per call, and reused: glibc's heap fragments under a long replay's
/// churn of calls and requests in flight (peak RSS grew past 64 MB over
/// 2,000,000 calls at 200 ms with a string per call, and further with
/// buffers shrunk to fit), while buffers reused whole keep memory what the
/// requests in flight hold.
#[derive(Debug, Default)]
pub struct Batch {
    joined: Vec<u8>,
    calls: Vec<Call>,
    /// Once sealed for sending (`seal`), how the calls are held: every
    /// attempt sends them as they are, not a copy.
    sealed: Option<Sealed>,
}

#[derive(Debug)]
enum Sealed {
    /// About a sixth of their size; the buffer went to the next batch.
    Gzipped(Gzipped),
    /// The buffer itself, shared with the requests, and its capacity.
    Plain(Bytes, usize),
}

/// One call of a batch.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub seq: u64,
    pub source: usize,
    pub line: u64,
    /// Where its bytes are in the batch's buffer.
    start: usize,
    end: usize,
}

impl Batch {
    /// Adds call `seq` of line `line` of input `source`, whose JSON is `json`.
    fn push(&mut self, seq: u64, source: usize, line: u64, json: &str) {
        if !self.calls.is_empty() {
            self.joined.push(b',');
        }
        let start = self.joined.len();
        self.joined.extend_from_slice(json.as_bytes());
        self.calls.push(Call {
            seq,
            source,
            line,
            start,
            end: self.joined.len(),
        });
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// The calls' bytes, plain (empty while the batch is gzipped).
    fn plain(&self) -> &[u8] {
        match &self.sealed {
            Some(Sealed::Plain(calls, _)) => calls,
            _ => &self.joined,
        }
    }

    /// The call as it is sent (empty while the batch is gzipped: `gunzip` first).
    pub fn json(&self, call: &Call) -> &str {
        let bytes = self.plain().get(call.start..call.end).unwrap_or_default();
        // Only whole calls (valid UTF-8) go into the buffer.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Each call with what is sent for it (plain batches: `gunzip` first).
    pub fn iter(&self) -> impl Iterator<Item = (&Call, &str)> {
        self.calls.iter().map(|c| (c, self.json(c)))
    }

    /// The first `n` calls as sent, gzipped or not, for `-vvv`.
    pub fn first_calls(&self, n: usize) -> Vec<String> {
        let joined = match &self.sealed {
            Some(Sealed::Gzipped(g)) => std::borrow::Cow::Owned(plain_calls(g)),
            _ => std::borrow::Cow::Borrowed(self.plain()),
        };
        let json = |c: &Call| joined.get(c.start..c.end).unwrap_or_default();
        let text = |c: &Call| String::from_utf8_lossy(json(c)).into_owned();
        self.calls.iter().take(n).map(text).collect()
    }

    /// The memory the batch holds, which bounds that of requests in flight.
    pub fn bytes(&self) -> usize {
        match &self.sealed {
            Some(Sealed::Gzipped(g)) => g.held(),
            Some(Sealed::Plain(_, capacity)) => *capacity,
            None => self.joined.capacity(),
        }
    }

    /// The size of the request body before any gzip, without building it.
    pub fn body_len(&self) -> usize {
        let joined = match &self.sealed {
            Some(Sealed::Gzipped(g)) => g.head_len() - BODY_START.len(),
            _ => self.plain().len(),
        };
        BODY_START.len() + joined + BODY_END_LEN
    }

    /// Appends the request body, with this attempt's `sentAt`, to `out`; of
    /// a sealed batch, what follows the parts it shares (`shared_head`).
    pub fn write_body(&self, sent_at: &str, out: &mut Vec<u8>) {
        let end = body_end(sent_at);
        match &self.sealed {
            Some(Sealed::Gzipped(g)) => g.write_tail(end.as_bytes(), out),
            Some(Sealed::Plain(..)) => out.extend_from_slice(end.as_bytes()),
            None => {
                out.reserve(self.body_len());
                out.extend_from_slice(BODY_START.as_bytes());
                out.extend_from_slice(&self.joined);
                out.extend_from_slice(end.as_bytes());
            }
        }
    }

    /// What every attempt of a sealed batch sends first, and whether it is
    /// gzipped.
    pub fn shared_head(&self) -> Option<(Vec<Bytes>, bool)> {
        match self.sealed.as_ref()? {
            Sealed::Gzipped(g) => Some((vec![g.head()], true)),
            Sealed::Plain(calls, _) => {
                let start = Bytes::from_static(BODY_START.as_bytes());
                Some((vec![start, calls.clone()], false))
            }
        }
    }

    /// Holds the calls for sending, once for every attempt: gzipped (their
    /// buffer goes to the next batch), or plain as shared bytes.
    pub fn seal(&mut self, gzip: bool) {
        if self.sealed.is_some() {
            return;
        }
        let joined = std::mem::take(&mut self.joined);
        self.sealed = Some(if gzip {
            let gzipped = Gzipped::new(&[BODY_START.as_bytes(), &joined]);
            give_back(joined);
            Sealed::Gzipped(gzipped)
        } else {
            let capacity = joined.capacity();
            Sealed::Plain(Bytes::from(joined), capacity)
        });
    }

    /// The calls as plain bytes again, for the paths that look at them one by
    /// one (a refusal to split, rejects): decoded from the body itself.
    pub fn gunzip(&mut self) {
        if let Some(Sealed::Gzipped(gzipped)) = &self.sealed {
            self.joined = plain_calls(gzipped);
            self.sealed = None;
        }
    }

    /// The calls of `parts` in one batch, in input order (each part's calls
    /// are in order already); their buffers go back for the next batches.
    pub fn merge(parts: Vec<Batch>) -> Batch {
        let mut calls: Vec<(&Batch, &Call)> = (parts.iter())
            .flat_map(|b| b.calls.iter().map(move |c| (b, c)))
            .collect();
        calls.sort_unstable_by_key(|(_, c)| c.seq);
        let mut merged = Batch::default();
        merged.joined = spare_buffer();
        merged
            .joined
            .reserve(parts.iter().map(|b| b.joined.len() + 1).sum());
        for (part, c) in calls {
            merged.push(c.seq, c.source, c.line, part.json(c));
        }
        merged
    }

    /// The first half of the calls and the second, for finding the calls a
    /// server refuses (rare: copying them is fine).
    pub fn halves(self) -> (Batch, Batch) {
        let mid = self.calls.len() / 2;
        let part = |calls: &[Call]| {
            let mut half = Batch::default();
            for c in calls {
                half.push(c.seq, c.source, c.line, self.json(c));
            }
            half
        };
        (part(&self.calls[..mid]), part(&self.calls[mid..]))
    }
}

/// Buffers of batches that are sent or gzipped, for the next ones. A few
/// are enough for the packer, which fills one at a time; a burst's are not
/// all kept.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
const MAX_SPARE: usize = 4;

fn spare_buffer() -> Vec<u8> {
    let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
    spare.pop().unwrap_or_default()
}

/// What follows the calls in a body.
fn body_end(sent_at: &str) -> String {
    format!("],\"sentAt\":\"{sent_at}\"}}")
}

/// The calls of a gzipped batch, decoded from its body.
fn plain_calls(gzipped: &Gzipped) -> Vec<u8> {
    let body = gzipped.decode(body_end("").as_bytes());
    let end = body.len().saturating_sub(body_end("").len());
    body.get(BODY_START.len()..end).unwrap_or_default().to_vec()
}

/// A batch's buffer, for the next batch.
fn give_back(mut buffer: Vec<u8>) {
    if buffer.capacity() == 0 {
        return;
    }
    buffer.clear();
    let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
    if spare.len() < MAX_SPARE {
        spare.push(buffer);
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.joined));
        // Sent and answered, the plain calls are this batch's alone again.
        if let Some(Sealed::Plain(calls, _)) = self.sealed.take() {
            if let Ok(calls) = calls.try_into_mut() {
                give_back(calls.into());
            }
        }
    }
}

pub struct Packer {
    max_bytes: usize,
    max_calls: usize,
    batch: Batch,
}

impl Packer {
    pub fn new(max_bytes: usize, max_calls: usize) -> Self {
        Packer {
            max_bytes,
            max_calls,
            batch: Batch::default(),
        }
    }

    /// Adds a call (`json` is what is sent for it); returns the batch it
    /// closed when it did not fit.
    pub fn push(&mut self, record: &Record, json: &str) -> Option<Batch> {
        let cost = json.len() + 1;
        let full = !self.batch.is_empty()
            && (self.batch.body_len() + cost > self.max_bytes
                || self.batch.len() >= self.max_calls);
        let closed = if full { Some(self.take()) } else { None };
        if self.batch.joined.capacity() == 0 {
            // A sixteenth of a full batch, grown as calls come: a replay's 64
            // lanes each pack a batch at once, and a buffer used whole stays
            // in memory, so room for a full batch each held 30 MB.
            self.batch.joined.reserve_exact(self.max_bytes / 16);
        }
        self.batch
            .push(record.seq, record.source, record.line, json);
        closed
    }

    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Bytes of the calls in the batch being packed.
    pub fn bytes(&self) -> usize {
        self.batch.joined.len()
    }

    pub fn take(&mut self) -> Batch {
        // The next batch is likely as long: room for its calls at once, not grown call by call.
        let mut room = Batch::default();
        room.calls.reserve_exact(self.batch.len());
        std::mem::replace(&mut self.batch, room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Call `seq`, `size` bytes of JSON, pushed onto `p`.
    fn push(p: &mut Packer, seq: u64, size: usize) -> Option<Batch> {
        let json = format!("{{\"x\":\"{}\"}}", "a".repeat(size - 8));
        assert_eq!(json.len(), size);
        let mut chunk = Chunk::default();
        chunk.push((seq, 0, seq, seq), &Arc::new(json), 0..size);
        let (record, json) = chunk.calls().next().unwrap();
        p.push(record, json)
    }

    #[test]
    fn packs_by_bytes_and_count_and_bodies_fit() {
        let max = 900;
        let mut p = Packer::new(max, 3);
        let mut batches = Vec::new();
        for seq in 0..10 {
            if let Some(b) = push(&mut p, seq, 300) {
                batches.push(b);
            }
        }
        batches.push(p.take());
        let sizes: Vec<usize> = batches.iter().map(Batch::len).collect();
        assert_eq!(
            sizes,
            vec![2, 2, 2, 2, 2],
            "two 300-byte calls and the envelope fit in 900 bytes, three do not"
        );
        for b in &batches {
            // Appended after what the buffer held.
            let mut body = b"held".to_vec();
            b.write_body("2026-11-28T15:01:30.212Z", &mut body);
            let body = body.strip_prefix(b"held").unwrap();
            assert!(body.len() <= max, "{}", body.len());
            assert_eq!(b.body_len(), body.len());
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            let calls = v["batch"].as_array().unwrap();
            assert_eq!(calls.len(), b.len());
            for (call, (_, json)) in calls.iter().zip(b.iter()) {
                assert_eq!(
                    call,
                    &serde_json::from_str::<serde_json::Value>(json).unwrap()
                );
            }
        }
        let mut p = Packer::new(100_000, 3);
        let closed: Vec<_> = (0..7).filter_map(|s| push(&mut p, s, 20)).collect();
        assert_eq!(
            closed.iter().map(Batch::len).collect::<Vec<_>>(),
            vec![3, 3]
        );
    }

    #[test]
    fn halves_keep_the_calls_in_order() {
        let mut p = Packer::new(100_000, 100);
        for seq in 0..5 {
            push(&mut p, seq, 20 + seq as usize);
        }
        let batch = p.take();
        let whole = calls_of(&batch);
        let (first, second) = batch.halves();
        let halves = [calls_of(&first), calls_of(&second)].concat();
        assert_eq!((first.len(), second.len()), (2, 3));
        assert_eq!(halves, whole);
        let mut body = Vec::new();
        second.write_body("t", &mut body);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["batch"].as_array().unwrap().len(), 3);
    }

    /// One batch of `calls` calls of 40 to 339 bytes.
    fn batch_of(calls: u64) -> Batch {
        let mut p = Packer::new(500_000, 5_000);
        for seq in 0..calls {
            push(&mut p, seq, 40 + (seq as usize * 7) % 300);
        }
        p.take()
    }

    /// Each call of `b` as its sequence number and JSON.
    fn calls_of(b: &Batch) -> Vec<(u64, String)> {
        b.iter().map(|(c, j)| (c.seq, j.to_string())).collect()
    }

    /// What goes on the wire: the parts a sealed batch shares, then the rest.
    fn wire_body(b: &Batch, sent_at: &str) -> Vec<u8> {
        let mut out: Vec<u8> = (b.shared_head().into_iter())
            .flat_map(|(parts, _)| parts)
            .flat_map(|part| part.to_vec())
            .collect();
        b.write_body(sent_at, &mut out);
        out
    }

    #[test]
    fn a_gzipped_batch_is_the_plain_body_gzipped_for_any_sent_at() {
        use std::io::Read;
        let mut batch = batch_of(3_000);
        let plain = wire_body(&batch, "2026-11-29T10:00:00.000Z");
        let whole = calls_of(&batch);
        let (len, bytes) = (batch.body_len(), batch.bytes());
        batch.seal(true);
        assert!(batch.shared_head().is_some_and(|(_, gzipped)| gzipped));
        assert_eq!(
            batch.body_len(),
            len,
            "the size before gzip stays what it was"
        );
        assert!(
            batch.bytes() * 3 < bytes,
            "held compressed: {} of {bytes}",
            batch.bytes()
        );
        for sent_at in ["2026-11-29T10:00:00.000Z", "2026-11-29T10:00:01.500Z"] {
            let zipped = wire_body(&batch, sent_at);
            let mut body = Vec::new();
            flate2::read::GzDecoder::new(&zipped[..])
                .read_to_end(&mut body)
                .unwrap();
            let expected = String::from_utf8(plain.clone())
                .unwrap()
                .replace("2026-11-29T10:00:00.000Z", sent_at);
            assert_eq!(String::from_utf8(body).unwrap(), expected);
        }
        // Back to plain for the paths that look at each call.
        batch.gunzip();
        assert!(batch.shared_head().is_none());
        let again = calls_of(&batch);
        assert_eq!(again, whole);
        assert_eq!(wire_body(&batch, "2026-11-29T10:00:00.000Z"), plain);
    }

    #[test]
    fn a_sealed_plain_batch_sends_its_calls_as_held_with_each_sent_at() {
        let mut batch = batch_of(1_000);
        let whole = calls_of(&batch);
        let plain = wire_body(&batch, "2026-11-29T10:00:00.000Z");
        let capacity = batch.bytes();
        batch.seal(false);
        let (parts, gzipped) = batch.shared_head().unwrap();
        assert!(!gzipped && parts.len() == 2);
        assert_eq!(batch.bytes(), capacity, "held once, not once per attempt");
        let mut tail = Vec::new();
        batch.write_body("2026-11-29T10:00:00.000Z", &mut tail);
        assert!(tail.len() < 64, "an attempt adds only its sentAt");
        assert_eq!(wire_body(&batch, "2026-11-29T10:00:00.000Z"), plain);
        let again = calls_of(&batch);
        assert_eq!(again, whole, "each call still readable (splits, rejects)");
    }
}
