//! A request body gzipped once for every attempt: a batch's, and the body
//! `cio listen` forwards (with an empty tail).
//!
//! Every attempt has its own `sentAt`, at the very end of the body, so a
//! retry would otherwise compress the whole body again, and a request waiting
//! or in flight would hold its calls uncompressed. Instead the body up to the
//! end of the calls (the head) is deflated once, ending on a byte boundary,
//! after the gzip header; each attempt sends it as it is (shared, not copied)
//! followed by its tail as a last, stored block and the gzip trailer
//! (RFC 1951, RFC 1952), with the CRC of head and tail.

use std::io::Read;

use bytes::Bytes;
use crc32fast::Hasher as Crc;
use flate2::{Compress, FlushCompress};

thread_local! {
    /// One deflate state a thread, reset for each body: made anew, its
    /// 400 KB came and went with every batch, and the allocator's heaps
    /// kept the holes (peak RSS at 64 requests in flight moved by 15 MB
    /// with the timing of unrelated changes).
    static DEFLATE: std::cell::RefCell<Compress> =
        std::cell::RefCell::new(Compress::new(flate2::Compression::fast(), false));
}

#[derive(Debug)]
pub struct Gzipped {
    /// The gzip header and the deflated head.
    deflated: Bytes,
    /// CRC and length of the head, uncompressed.
    crc: Crc,
    head_len: usize,
}

impl Gzipped {
    /// The head, given in parts, deflated at zlib-rs level 1 (the least CPU
    /// per event: README, Benchmarks).
    pub fn new(head: &[&[u8]]) -> Gzipped {
        DEFLATE.with_borrow_mut(|deflate| {
            deflate.reset();
            Gzipped::with(deflate, head)
        })
    }

    /// `new` with a thread's deflate state, reset.
    fn with(deflate: &mut Compress, head: &[&[u8]]) -> Gzipped {
        let head_len = head.iter().map(|p| p.len()).sum::<usize>();
        let mut deflated = Vec::with_capacity(head_len / 4 + 64);
        // RFC 1952: magic, deflate, no flags, no time, no extra flags, unknown OS.
        deflated.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        let mut crc = Crc::new();
        for (i, part) in head.iter().enumerate() {
            crc.update(part);
            // A sync flush after the last part ends the deflate data on a byte boundary.
            let flush = if i + 1 == head.len() {
                FlushCompress::Sync
            } else {
                FlushCompress::None
            };
            let mut input: &[u8] = part;
            loop {
                deflated.reserve(input.len() / 4 + 64);
                let before = deflate.total_in();
                // Deflating into a Vec has no way to fail but a bug.
                let status = deflate.compress_vec(input, &mut deflated, flush);
                input = &input[(deflate.total_in() - before) as usize..];
                let room_left = deflated.len() < deflated.capacity();
                if status.is_err() || (input.is_empty() && room_left) {
                    break;
                }
            }
        }
        deflated.shrink_to_fit();
        Gzipped {
            deflated: deflated.into(),
            crc,
            head_len,
        }
    }

    /// The memory the batch holds while it waits or is in flight (its
    /// requests share it).
    pub fn held(&self) -> usize {
        self.deflated.len()
    }

    /// The length of the head before compression.
    pub fn head_len(&self) -> usize {
        self.head_len
    }

    /// What every attempt sends first: the gzip header and the deflated head.
    pub fn head(&self) -> Bytes {
        self.deflated.clone()
    }

    /// Appends what follows the head for `tail`: a last, stored block with
    /// it, and the gzip trailer.
    pub fn write_tail(&self, tail: &[u8], out: &mut Vec<u8>) {
        out.reserve_exact(5 + tail.len() + 8);
        // RFC 1951: a last block, stored: its length, the length's complement, the bytes.
        let len = tail.len() as u16;
        out.push(0x01);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(tail);
        let mut crc = self.crc.clone();
        crc.update(tail);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        // The length modulo 2^32, as RFC 1952 has it.
        out.extend_from_slice(&((self.head_len + tail.len()) as u32).to_le_bytes());
    }

    /// The whole body with `tail`, uncompressed again (for the rare paths
    /// that look at the calls one by one).
    pub fn decode(&self, tail: &[u8]) -> Vec<u8> {
        let mut zipped = self.deflated.to_vec();
        self.write_tail(tail, &mut zipped);
        let mut body = Vec::new();
        // Decoding what `write_tail` completed has no way to fail but a bug.
        let _ = flate2::read::GzDecoder::new(&zipped[..]).read_to_end(&mut body);
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_gzip_to_head_and_tail() {
        let head: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let gzipped = Gzipped::new(&[b"start:", &head]);
        for tail in [
            &b""[..],
            b"tail one",
            b"a longer tail, for the second attempt",
        ] {
            let mut whole = b"start:".to_vec();
            whole.extend_from_slice(&head);
            whole.extend_from_slice(tail);
            assert_eq!(gzipped.decode(tail), whole);
        }
        assert_eq!(gzipped.head_len(), 6 + head.len());
    }

    #[test]
    fn a_body_after_another_on_the_same_thread_owes_it_nothing() {
        // The thread's deflate state is reused: nothing of the last body may
        // stay in it (a match into its window would decode to other bytes).
        let a = b"{\"type\":\"track\",\"event\":\"a\"}".repeat(2_000);
        let b = b"{\"type\":\"identify\",\"userId\":\"b\"}".repeat(3_000);
        let first = Gzipped::new(&[&a]);
        assert_eq!(Gzipped::new(&[&b]).decode(b""), b);
        let again = Gzipped::new(&[&a]);
        assert_eq!(again.decode(b""), a);
        assert_eq!(
            again.head(),
            first.head(),
            "the same bytes, as from a new state"
        );
    }

    #[test]
    fn any_body_alone_decodes_to_itself() {
        let mut rng = fastrand::Rng::with_seed(3);
        for len in [0, 1, 100, 70_000, 500_000] {
            let body: Vec<u8> = (0..len)
                .map(|i| b"{}\"ab,:0"[rng.usize(..8)] ^ (i % 3) as u8)
                .collect();
            assert_eq!(Gzipped::new(&[&body]).decode(b""), body, "{len} bytes");
        }
    }
}
