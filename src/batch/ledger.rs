//! Which input has been dealt with, and the checkpoint file that records it.
//!
//! Calls finish out of order (several requests are in flight), so progress is a
//! watermark: every line at or before it was acknowledged by the server or
//! written to the rejects output. The checkpoint holds only that watermark, so
//! after a crash a resume re-sends at most what was in flight.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A place in the input: `line` of `source` (0 = before its first line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct Position {
    pub source: usize,
    pub line: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct CheckpointFile {
    version: u32,
    /// The inputs as named on the command line, to refuse a checkpoint of another run.
    sources: Vec<String>,
    /// Every line up to here is done: sources before `source` entirely, and
    /// lines 1..=line of `source`.
    done: Position,
}

pub struct Ledger {
    state: Mutex<State>,
    checkpoint: Option<PathBuf>,
    sources: Vec<String>,
    /// One writer at a time: senders finish concurrently and share the temp file name.
    writing: Mutex<()>,
}

struct State {
    /// Calls handed on for sending and not yet done, by sequence number.
    pending: BTreeMap<u64, Position>,
    /// The reader has taken every line up to here.
    read: Position,
    saved: Option<Position>,
}

impl Ledger {
    pub fn new(sources: Vec<String>, checkpoint: Option<PathBuf>) -> Ledger {
        Ledger {
            state: Mutex::new(State {
                pending: BTreeMap::new(),
                read: Position::default(),
                saved: None,
            }),
            checkpoint,
            sources,
            writing: Mutex::new(()),
        }
    }

    pub fn has_checkpoint(&self) -> bool {
        self.checkpoint.is_some()
    }

    /// Where a previous run of the same inputs stopped, if a checkpoint says so.
    pub fn resume_point(&self) -> Result<Option<Position>> {
        let Some(path) = &self.checkpoint else {
            return Ok(None);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::io(
                    format!("cannot read checkpoint {}", path.display()),
                    &e,
                ))
            }
        };
        let file: CheckpointFile = serde_json::from_str(&text).map_err(|e| {
            Error::usage(format!(
                "{}: not a cio checkpoint ({e}); remove it to start over",
                path.display()
            ))
        })?;
        if file.sources != self.sources {
            return Err(Error::usage(format!(
                "{}: checkpoint of other inputs ({}); remove it to start over",
                path.display(),
                file.sources.join(", ")
            )));
        }
        let mut state = self.lock();
        state.read = file.done;
        state.saved = Some(file.done);
        Ok(Some(file.done))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere must not stop progress from being recorded.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reader handed call `seq` (at `at`) on for sending.
    pub fn pending(&self, seq: u64, at: Position) {
        let mut state = self.lock();
        state.pending.insert(seq, at);
        state.read = at;
    }

    /// The reader is done with everything up to `at` (blank and rejected lines included).
    pub fn read_through(&self, at: Position) {
        self.lock().read = at;
    }

    /// Calls that the server acknowledged, or that went to the rejects output.
    pub fn done(&self, seqs: impl IntoIterator<Item = u64>) {
        let mut state = self.lock();
        for seq in seqs {
            state.pending.remove(&seq);
        }
    }

    pub fn watermark(&self) -> Position {
        let state = self.lock();
        match state.pending.first_key_value() {
            Some((_, at)) => Position {
                source: at.source,
                line: at.line - 1,
            },
            None => state.read,
        }
    }

    /// Writes the checkpoint when the watermark moved. Rejects must be flushed first.
    pub fn save(&self) -> Result<()> {
        let Some(path) = &self.checkpoint else {
            return Ok(());
        };
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let done = self.watermark();
        {
            let mut state = self.lock();
            if state.saved == Some(done) {
                return Ok(());
            }
            state.saved = Some(done);
        }
        let file = CheckpointFile {
            version: 1,
            sources: self.sources.clone(),
            done,
        };
        let text = serde_json::to_vec(&file).map_err(|e| Error::Internal(e.to_string()))?;
        write_atomically(path, &text)
    }
}

/// Temp file + rename: a crash leaves the old checkpoint or the new one, never half.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| Error::io(format!("cannot write checkpoint {}", path.display()), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: usize, line: u64) -> Position {
        Position { source, line }
    }

    #[test]
    fn watermark_waits_for_the_oldest_pending_call() {
        let ledger = Ledger::new(vec!["a".into()], None);
        ledger.pending(1, at(0, 1));
        ledger.pending(2, at(0, 2));
        ledger.read_through(at(0, 3)); // a blank line
        ledger.pending(3, at(0, 4));
        assert_eq!(ledger.watermark(), at(0, 0));
        ledger.done([2, 3]);
        assert_eq!(ledger.watermark(), at(0, 0));
        ledger.done([1]);
        assert_eq!(ledger.watermark(), at(0, 4));
    }

    #[test]
    fn checkpoint_round_trip_and_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let ledger = Ledger::new(vec!["a".into(), "b".into()], Some(path.clone()));
        assert_eq!(ledger.resume_point().unwrap(), None);
        ledger.pending(1, at(1, 7));
        ledger.save().unwrap();
        let again = Ledger::new(vec!["a".into(), "b".into()], Some(path.clone()));
        assert_eq!(again.resume_point().unwrap(), Some(at(1, 6)));
        let other = Ledger::new(vec!["c".into()], Some(path));
        assert!(other
            .resume_point()
            .unwrap_err()
            .to_string()
            .contains("checkpoint of other inputs (a, b)"));
    }
}
