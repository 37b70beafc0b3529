//! Packs calls into batch requests by serialized bytes and by count.

/// One call ready to send, with where it came from.
#[derive(Debug, Clone)]
pub struct Record {
    pub seq: u64,
    pub source: usize,
    pub line: u64,
    /// The serialized call, as it goes into the batch (and into the rejects
    /// output if it is not delivered: the input line is not kept, which halves
    /// the memory of the calls in flight).
    pub json: String,
}

const BODY_START: &str = r#"{"batch":["#;
const BODY_END_LEN: usize = r#"],"sentAt":"2026-11-28T15:01:30.212Z"}"#.len();

/// The request body for `records`, with this attempt's `sentAt`.
pub fn body(records: &[Record], sent_at: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body_len(records));
    out.extend_from_slice(BODY_START.as_bytes());
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(r.json.as_bytes());
    }
    out.extend_from_slice(b"],\"sentAt\":\"");
    out.extend_from_slice(sent_at.as_bytes());
    out.extend_from_slice(b"\"}");
    out
}

/// The size of `body(records, _)`, without building it.
pub fn body_len(records: &[Record]) -> usize {
    let commas = records.len().saturating_sub(1);
    BODY_START.len() + BODY_END_LEN + commas + records.iter().map(|r| r.json.len()).sum::<usize>()
}

pub struct Packer {
    max_bytes: usize,
    max_calls: usize,
    records: Vec<Record>,
    bytes: usize,
}

impl Packer {
    pub fn new(max_bytes: usize, max_calls: usize) -> Self {
        Packer {
            max_bytes,
            max_calls,
            records: Vec::new(),
            bytes: BODY_START.len() + BODY_END_LEN,
        }
    }

    /// Adds a call; returns the batch it closed when it did not fit.
    pub fn push(&mut self, record: Record) -> Option<Vec<Record>> {
        let cost = record.json.len() + 1;
        let full = !self.records.is_empty()
            && (self.bytes + cost > self.max_bytes || self.records.len() >= self.max_calls);
        let closed = if full { Some(self.take()) } else { None };
        self.bytes += cost;
        self.records.push(record);
        closed
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn take(&mut self) -> Vec<Record> {
        self.bytes = BODY_START.len() + BODY_END_LEN;
        // The next batch is likely as long: made room for at once, not grown call by call.
        let room = Vec::with_capacity(self.records.len());
        std::mem::replace(&mut self.records, room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, size: usize) -> Record {
        let json = format!("{{\"x\":\"{}\"}}", "a".repeat(size - 8));
        assert_eq!(json.len(), size);
        Record {
            seq,
            source: 0,
            line: seq,
            json,
        }
    }

    #[test]
    fn packs_by_bytes_and_count_and_bodies_fit() {
        let max = 900;
        let mut p = Packer::new(max, 3);
        let mut batches = Vec::new();
        for seq in 0..10 {
            if let Some(b) = p.push(rec(seq, 300)) {
                batches.push(b);
            }
        }
        batches.push(p.take());
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(
            sizes,
            vec![2, 2, 2, 2, 2],
            "two 300-byte calls and the envelope fit in 900 bytes, three do not"
        );
        for b in &batches {
            let body = body(b, "2026-11-28T15:01:30.212Z");
            assert!(body.len() <= max, "{}", body.len());
            assert_eq!(body_len(b), body.len());
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["batch"].as_array().unwrap().len(), b.len());
        }
        let mut p = Packer::new(100_000, 3);
        let closed: Vec<_> = (0..7).filter_map(|s| p.push(rec(s, 20))).collect();
        assert_eq!(closed.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3]);
    }
}
