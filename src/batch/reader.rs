//! Reads input line by line with a bound on memory: a line longer than the
//! limit is cut (the rest skipped, its length still counted), so a 100 MB line
//! without a newline costs at most the limit.

use std::io::{self, BufRead};

/// A line as read: its number, its bytes (at most the reader's limit, newline
/// removed) and its full length on input.
#[derive(Debug, PartialEq, Eq)]
pub struct Line {
    pub number: u64,
    pub full_len: usize,
}

pub struct LineReader<R> {
    inner: R,
    limit: usize,
    number: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        LineReader {
            inner,
            limit,
            number: 0,
        }
    }

    /// Reads the next line into `buf` (cleared first). `None` at the end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let mut full_len = 0usize;
        let mut saw_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            full_len += chunk.len();
            let room = self.limit.saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let consumed = done.unwrap_or(chunk.len());
            self.inner.consume(consumed);
            if done.is_some() {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        if buf.last() == Some(&b'\r') && full_len <= self.limit {
            buf.pop();
            full_len -= 1;
        }
        self.number += 1;
        Ok(Some(Line {
            number: self.number,
            full_len,
        }))
    }

    /// Skips `n` lines quickly (resuming from a checkpoint). Returns how many were there.
    pub fn skip_lines(&mut self, n: u64) -> io::Result<u64> {
        let mut skipped = 0;
        while skipped < n {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                // A last line without a newline counts as a line.
                break;
            }
            match memchr::memchr(b'\n', available) {
                Some(i) => {
                    self.inner.consume(i + 1);
                    skipped += 1;
                    self.number += 1;
                }
                None => {
                    let len = available.len();
                    self.inner.consume(len);
                    if self.inner.fill_buf()?.is_empty() {
                        skipped += 1;
                        self.number += 1;
                    }
                }
            }
        }
        Ok(skipped)
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<T: io::Read> LineReader<io::BufReader<T>> {
    /// Whether input is already buffered, so the next line needs no (possibly blocking) read.
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<(u64, Vec<u8>, usize)> {
        // A tiny buffer makes lines span many fill_buf calls.
        let mut r = LineReader::new(io::BufReader::with_capacity(3, input), limit);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = r.next_line(&mut buf).unwrap() {
            out.push((line.number, buf.clone(), line.full_len));
        }
        out
    }

    #[test]
    fn splits_lines_numbers_them_and_handles_crlf_and_no_final_newline() {
        let got = lines(b"{\"a\":1}\r\n\nlast", 100);
        assert_eq!(
            got,
            vec![
                (1, b"{\"a\":1}".to_vec(), 7),
                (2, vec![], 0),
                (3, b"last".to_vec(), 4)
            ]
        );
    }

    #[test]
    fn long_lines_are_cut_but_measured_and_the_next_line_is_intact() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nok\n");
        let got = lines(&input, 10);
        assert_eq!(got[0], (1, vec![b'x'; 10], 1000));
        assert_eq!(got[1], (2, b"ok".to_vec(), 2));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn skip_lines_then_read_on() {
        let mut r = LineReader::new(io::BufReader::with_capacity(2, &b"a\nbb\nccc\nd"[..]), 100);
        assert_eq!(r.skip_lines(2).unwrap(), 2);
        let mut buf = Vec::new();
        let line = r.next_line(&mut buf).unwrap().unwrap();
        assert_eq!((line.number, buf.as_slice()), (3, &b"ccc"[..]));
        assert_eq!(r.skip_lines(5).unwrap(), 1);
        assert!(r.next_line(&mut buf).unwrap().is_none());
    }
}
