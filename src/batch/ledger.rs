//! Which input has been dealt with, and the checkpoint file that records it.
//!
//! Only what is settled for good counts as done: calls the server acknowledged,
//! lines cio's own checks refused, and calls the server refused on their own
//! merits. A call that was not delivered (network, 5xx, a run-stopping answer,
//! an interrupt) stays pending, that is owed: a rerun of the same command
//! sends it again, with the same messageId.
//!
//! Calls finish out of order (several requests are in flight), so progress is a
//! watermark: every line at or before it is done. Calls done beyond the
//! watermark (a later batch that finished while an earlier one was still out,
//! or is owed) are kept as ranges beside it, so a resume re-sends only what is
//! owed, plus what was in flight at a crash.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// The run's id, which the messageIds of lines without a timestamp derive
    /// from: a resume sends them again with the ids they were first sent with.
    /// (Absent in version 1 files.)
    #[serde(default)]
    run: Option<Uuid>,
    /// Every line up to here is done: sources before `source` entirely, and
    /// lines 1..=line of `source`.
    done: Position,
    /// Ranges of lines after `done`, first and last included, that are done too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    also_done: Vec<(Position, Position)>,
    /// Each input's first line, as `first_line_crc` has it (`None`: not read
    /// yet), to refuse a resume over an input that was written anew since.
    /// (Absent in files of cio before it.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    first_lines: Vec<Option<u32>>,
    /// The line at `done`, as `first_line_crc` has it, when it is the last
    /// line the reader took of its input (the run ended with nothing owed):
    /// with the first line, it tells an input that grew from one written
    /// anew that starts with the same call. (Absent in files of cio before it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    done_line: Option<u32>,
    /// Each plain input's length in bytes when the run read it to its end
    /// (`None`: not yet, or not a plain file): an input before the last, or a
    /// JSON document, is done as a whole, so one that changed since is refused,
    /// not passed over.
    /// (Absent in files of cio before it.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lengths: Vec<Option<u64>>,
}

/// What tells an input's content apart cheaply: the CRC-32 of its first line
/// (its first 4 KiB at most). An export written again (another day, another
/// query) starts with another call; one that only grew keeps its first line,
/// and a resume rightly sends just what was added.
pub fn first_line_crc(line: &[u8]) -> u32 {
    crc32fast::hash(&line[..line.len().min(4096)])
}

/// Where a previous run stopped: what a resume passes over.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resume {
    pub run: Uuid,
    pub done: Position,
    /// Sorted ranges after `done`, first and last line included.
    pub also_done: Vec<(Position, Position)>,
    /// Each input's `first_line_crc`, where known.
    pub first_lines: Vec<Option<u32>>,
    /// The `first_line_crc` of the line at `done`, where known.
    pub done_line: Option<u32>,
    /// Each plain input's length when a run read it to its end, where known.
    pub lengths: Vec<Option<u64>>,
}

impl Resume {
    /// Lines of input `source` that are done (blank lines included).
    pub fn settled_lines(&self, source: usize) -> u64 {
        let whole = match self.done.source.cmp(&source) {
            std::cmp::Ordering::Greater => return u64::MAX,
            std::cmp::Ordering::Equal => self.done.line,
            std::cmp::Ordering::Less => 0,
        };
        whole
            + self
                .also_done
                .iter()
                .filter(|(first, last)| first.source == source && last.source == source)
                .map(|(first, last)| last.line - first.line + 1)
                .sum::<u64>()
    }
}

pub struct Ledger {
    state: Mutex<State>,
    checkpoint: Option<PathBuf>,
    /// False for a dry run, which reads a checkpoint but never writes it.
    writable: bool,
    sources: Vec<String>,
    /// One writer at a time: senders finish concurrently and share the temp file name.
    writing: Mutex<()>,
    /// The checkpoint's lock, held from `resume_point` on: one run per checkpoint.
    held: Mutex<Option<crate::files::Lock>>,
}

/// What became of a sequence number handed to the ledger.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    /// Handed on for sending and not yet done.
    Pending,
    /// Done while an older call is still pending (so beyond the watermark).
    Acked,
    /// No call has this number (numbers are dense; this only fills a gap).
    Absent,
}

struct State {
    /// The calls from the oldest pending one on, by sequence number from
    /// `first` (sequence numbers are given in order and without gaps, so a
    /// ring does what a sorted map would, for far less work a call).
    calls: VecDeque<(Mark, Position)>,
    /// The sequence number of `calls[0]`.
    first: u64,
    /// How many of `calls` are pending.
    pending: usize,
    /// Ranges a resumed checkpoint had beyond its watermark; the reader passes over them.
    carried: Vec<(Position, Position)>,
    /// The reader has taken every line up to here.
    read: Position,
    run: Uuid,
    /// Each input's `first_line_crc`: the checkpoint's until the reader
    /// checks it against the input as it is.
    first_lines: Vec<Option<u32>>,
    /// The last line the reader took of an input of lines (or the
    /// checkpoint's line at `done`), and its `first_line_crc`.
    end_line: Option<(Position, u32)>,
    /// Each plain input's length once read to its end (the checkpoint's before).
    lengths: Vec<Option<u64>>,
    saved: Option<Resume>,
}

impl Ledger {
    pub fn new(sources: Vec<String>, checkpoint: Option<PathBuf>, writable: bool) -> Ledger {
        Ledger {
            state: Mutex::new(State {
                calls: VecDeque::new(),
                first: 0,
                pending: 0,
                carried: Vec::new(),
                read: Position::default(),
                run: Uuid::new_v4(),
                first_lines: vec![None; sources.len()],
                end_line: None,
                lengths: vec![None; sources.len()],
                saved: None,
            }),
            checkpoint,
            writable,
            sources,
            writing: Mutex::new(()),
            held: Mutex::new(None),
        }
    }

    pub fn has_checkpoint(&self) -> bool {
        self.checkpoint.is_some()
    }

    /// This run's id and, when a checkpoint of the same inputs says where a
    /// previous run stopped, what to pass over. The checkpoint is written at
    /// once, so the run's id is on disk before anything is sent.
    pub fn start(&self) -> Result<(Uuid, Option<Resume>)> {
        let resume = self.read_checkpoint()?;
        self.save()?;
        Ok((self.lock().run, resume))
    }

    fn read_checkpoint(&self) -> Result<Option<Resume>> {
        let Some(path) = &self.checkpoint else {
            return Ok(None);
        };
        self.hold(path)?;
        let text = match read_no_follow(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) if crate::files::is_symlink(path) => {
                return Err(Error::file(
                    path.display(),
                    format_args!(
                        "{}; give --checkpoint the path of the file itself",
                        crate::files::SYMLINK_REFUSED
                    ),
                ))
            }
            Err(e) => {
                return Err(Error::io(
                    format!("cannot read checkpoint {}", path.display()),
                    &e,
                ))
            }
        };
        let file: CheckpointFile = serde_json::from_str(&text).map_err(|e| {
            Error::file(
                path.display(),
                format_args!("not a cio checkpoint ({e}); give --checkpoint a file of its own, or remove this one if it is a damaged checkpoint"),
            )
        })?;
        if !same_inputs(&file.sources, &self.sources) {
            return Err(Error::file(
                path.display(),
                format_args!(
                    "checkpoint of other inputs ({}); remove it to start over",
                    file.sources.join(", ")
                ),
            ));
        }
        let mut state = self.lock();
        // A version 1 checkpoint has no run id: lines without a timestamp get new ids.
        let mut first_lines = file.first_lines;
        first_lines.resize(self.sources.len(), None);
        let mut lengths = file.lengths;
        lengths.resize(self.sources.len(), None);
        let resume = Resume {
            run: file.run.unwrap_or(state.run),
            done: file.done,
            also_done: file.also_done,
            first_lines,
            done_line: file.done_line,
            lengths,
        };
        state.run = resume.run;
        state.first_lines = resume.first_lines.clone();
        state.end_line = file.done_line.map(|crc| (file.done, crc));
        state.lengths = resume.lengths.clone();
        state.read = resume.done;
        state.carried = resume.also_done.clone();
        state.saved = Some(resume.clone());
        Ok(Some(resume))
    }

    /// Takes the checkpoint's lock (`FILE.lock` beside it) for the rest of the run,
    /// or refuses with the pid of the run that has it. The operating system drops
    /// the lock when its holder dies, so a killed run never blocks the next one.
    fn hold(&self, path: &Path) -> Result<()> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.is_some() {
            return Ok(());
        }
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        match crate::files::Lock::try_acquire(Path::new(&name))? {
            Ok(lock) => *held = Some(lock),
            Err(pid) => {
                let who = pid.map_or("another process".into(), |p| format!("process {p}"));
                return Err(Error::file(
                    path.display(),
                    format_args!("checkpoint in use by {who} (another cio batch with the same --checkpoint); wait for it to finish"),
                ));
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere must not stop progress from being recorded.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reader handed call `seq` (at `at`) on for sending.
    pub fn pending(&self, seq: u64, at: Position) {
        self.pending_many([(seq, at)]);
    }

    /// `pending` for several calls in input order, under one lock: the
    /// sequencer hands calls on by the chunk.
    pub fn pending_many(&self, calls: impl IntoIterator<Item = (u64, Position)>) {
        let mut state = self.lock();
        for (seq, at) in calls {
            state.insert(seq, at);
            state.read = at;
        }
    }

    /// The reader is done with everything up to `at` (blank and rejected lines included).
    pub fn read_through(&self, at: Position) {
        self.lock().read = at;
    }

    /// Call or line `seq` (at `at`) is settled as soon as it is read (cio's own checks refused it).
    pub fn settled(&self, seq: u64, at: Position) {
        let mut state = self.lock();
        state.insert(seq, at);
        state.read = at;
        state.done([seq]);
    }

    /// Calls settled for good: acknowledged, or refused by the server on their merits.
    pub fn done(&self, seqs: impl IntoIterator<Item = u64>) {
        self.lock().done(seqs);
    }

    /// How many calls handed on for sending are not done (owed, or in flight),
    /// and where the first of them is.
    pub fn owed(&self) -> (u64, Option<Position>) {
        let state = self.lock();
        (state.pending as u64, state.oldest_pending())
    }
}

impl State {
    /// Call `seq` (at `at`) is pending.
    fn insert(&mut self, seq: u64, at: Position) {
        if self.calls.is_empty() {
            self.first = seq;
        }
        let Some(index) = seq
            .checked_sub(self.first)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return; // Older than every call kept: settled already.
        };
        while self.calls.len() < index {
            self.calls.push_back((Mark::Absent, at));
        }
        match self.calls.get_mut(index) {
            Some(call) => {
                if call.0 != Mark::Pending {
                    self.pending += 1;
                }
                *call = (Mark::Pending, at);
            }
            None => {
                self.calls.push_back((Mark::Pending, at));
                self.pending += 1;
            }
        }
    }

    fn done(&mut self, seqs: impl IntoIterator<Item = u64>) {
        for seq in seqs {
            let index = seq.wrapping_sub(self.first);
            let call = usize::try_from(index)
                .ok()
                .and_then(|i| self.calls.get_mut(i));
            if let Some(call) = call.filter(|c| c.0 == Mark::Pending) {
                call.0 = Mark::Acked;
                self.pending -= 1;
            }
        }
        // What is older than every pending call is covered by the watermark.
        while self.calls.front().is_some_and(|c| c.0 != Mark::Pending) {
            self.calls.pop_front();
            self.first += 1;
        }
    }

    fn oldest_pending(&self) -> Option<Position> {
        // `done` leaves a pending call first, or nothing.
        self.calls.front().map(|&(_, at)| at)
    }
}

impl Ledger {
    pub fn watermark(&self) -> Position {
        self.lock().watermark()
    }

    /// The watermark and the ranges done beyond it: what a checkpoint holds.
    pub fn progress(&self) -> Resume {
        let state = self.lock();
        let done = state.watermark();
        let mut also_done: Vec<(Position, Position)> = state
            .carried
            .iter()
            .filter(|(_, last)| *last > done)
            .copied()
            .collect();
        // Calls with consecutive sequence numbers have no pending call between
        // them, so the lines from the first to the last are all done.
        let mut previous = Mark::Absent;
        let mut ranges: Vec<(Position, Position)> = Vec::new();
        for &(mark, at) in &state.calls {
            if mark == Mark::Acked {
                match ranges.last_mut() {
                    Some(range) if previous == Mark::Acked => range.1 = at,
                    _ => ranges.push((at, at)),
                }
            }
            previous = mark;
        }
        also_done.extend(ranges);
        also_done.sort();
        Resume {
            run: state.run,
            done,
            also_done,
            first_lines: state.first_lines.clone(),
            done_line: (state.end_line)
                .filter(|&(at, _)| at == done)
                .map(|(_, crc)| crc),
            lengths: state.lengths.clone(),
        }
    }

    /// Input `source`'s `first_line_crc`, where the checkpoint or this run knows it.
    pub fn first_line_known(&self, source: usize) -> Option<u32> {
        self.lock().first_lines.get(source).copied().flatten()
    }

    /// Notes input `source`'s `first_line_crc`; refuses the input when the
    /// checkpoint knew another one: lines it says are done would be other
    /// lines now, passed over unsent.
    pub fn check_first_line(&self, source: usize, crc: u32) -> Result<()> {
        let mut state = self.lock();
        let Some(known) = state.first_lines.get_mut(source) else {
            return Ok(());
        };
        if known.is_some_and(|known| known != crc) {
            return Err(self.written_anew(source, "its first line differs"));
        }
        *known = Some(crc);
        Ok(())
    }

    /// Refuses input `source` when the line the checkpoint's `done` is at,
    /// line `line` of it, is another now (`None`: the input has no such line):
    /// it was written anew though its first line is the same.
    pub fn check_done_line(
        &self,
        resume: &Resume,
        source: usize,
        line: u64,
        crc: Option<u32>,
    ) -> Result<()> {
        let at = Position { source, line };
        match resume.done_line {
            Some(known) if resume.done == at && crc != Some(known) => {
                Err(self.written_anew(source, &format!("its line {line} differs")))
            }
            _ => Ok(()),
        }
    }

    /// The reader took every line of an input of lines up to `at`, the last
    /// of them with this `first_line_crc`.
    pub fn note_end_line(&self, at: Position, crc: u32) {
        self.lock().end_line = Some((at, crc));
    }

    /// Input `source`, a plain file, was read to its end at `length` bytes.
    pub fn note_length(&self, source: usize, length: u64) {
        if let Some(known) = self.lock().lengths.get_mut(source) {
            *known = Some(length);
        }
    }

    /// Refuses input `source`, done as a whole, when it is now `length`
    /// bytes long and was another length when a run read it to its end:
    /// what it gained would be passed over unsent, or it is another input.
    pub fn check_length(&self, source: usize, length: u64) -> Result<()> {
        match self.lock().lengths.get(source).copied().flatten() {
            Some(known) if known < length => Err(Error::file(
                &self.sources[source],
                format_args!(
                    "grew since checkpoint {} was written ({known} bytes then, {length} now); only the last input of lines is read on from where it ended: give it a run of its own, or remove the checkpoint to send everything anew",
                    self.checkpoint.as_deref().unwrap_or(Path::new("")).display()
                ),
            )),
            Some(known) if known > length => {
                Err(self.written_anew(source, "it is shorter"))
            }
            _ => Ok(()),
        }
    }

    fn written_anew(&self, source: usize, why: &str) -> Error {
        let checkpoint = self.checkpoint.as_deref().unwrap_or(Path::new(""));
        Error::file(
            &self.sources[source],
            format_args!(
                "not the input checkpoint {} was written for ({why}); remove the checkpoint to send it anew",
                checkpoint.display()
            ),
        )
    }

    /// Writes the checkpoint when the watermark moved. Rejects must be flushed first.
    pub fn save(&self) -> Result<()> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        self.write(|| Ok(()))
    }

    /// Writes the checkpoint after `flush` (the rejects), which runs between
    /// the snapshot of what is done and the write: the rejects reach the disk
    /// before the checkpoint counts their calls done. A replay writes through
    /// one writer that covers every request answered before it began
    /// (`deliver`'s `Saver`), not once a request each.
    pub fn save_with(&self, flush: impl Fn() -> Result<()>) -> Result<()> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        self.write(flush)
    }

    /// Writes what is done now; `flush` runs between the snapshot and the
    /// write. The caller holds `writing`.
    fn write(&self, flush: impl Fn() -> Result<()>) -> Result<()> {
        let Some(path) = self.checkpoint.as_ref().filter(|_| self.writable) else {
            return flush();
        };
        let progress = self.progress();
        {
            let mut state = self.lock();
            if state.saved.as_ref() == Some(&progress) {
                return flush();
            }
            state.saved = Some(progress.clone());
        }
        flush()?;
        let file = CheckpointFile {
            version: 2,
            sources: self.sources.clone(),
            run: Some(progress.run),
            done: progress.done,
            also_done: progress.also_done,
            first_lines: progress.first_lines,
            done_line: progress.done_line,
            lengths: progress.lengths,
        };
        let text = serde_json::to_vec(&file).map_err(|e| Error::Internal(e.to_string()))?;
        write_atomically(path, &text)
    }
}

impl State {
    fn watermark(&self) -> Position {
        match self.oldest_pending() {
            Some(at) => Position {
                source: at.source,
                line: at.line - 1,
            },
            None => self.read,
        }
    }
}

/// The checkpoint's text, read only if the file is not a symbolic link: one
/// planted at its path would have the run take, and then replace, a file that
/// is not its own.
fn read_no_follow(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    crate::files::open_no_follow(std::fs::OpenOptions::new().read(true), path)?
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Whether a checkpoint's inputs are this run's: the same files in the same
/// order, however each is spelled (`./x`, an absolute path, a symbolic link:
/// the file it is, by device and inode), or the same names.
fn same_inputs(checkpoint: &[String], run: &[String]) -> bool {
    checkpoint.len() == run.len()
        && (checkpoint.iter().zip(run))
            .all(|(a, b)| a == b || crate::files::same_file(Path::new(a), Path::new(b)))
}

/// Temp file + rename: a crash leaves the old checkpoint or the new one, never half.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::files::write_atomic(path, bytes)
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
        let ledger = Ledger::new(vec!["a".into()], None, true);
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

    /// A ledger over `sources` with its checkpoint at `path`, started: the
    /// checkpoint read, if there is one, and held until the ledger is dropped.
    fn started(sources: &[&str], path: &Path) -> (Ledger, Option<Resume>) {
        let names = sources.iter().map(|s| s.to_string()).collect();
        let ledger = Ledger::new(names, Some(path.to_path_buf()), true);
        let (_, resume) = ledger.start().unwrap();
        (ledger, resume)
    }

    #[test]
    fn the_rejects_are_flushed_before_the_checkpoint_counts_their_calls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let (ledger, _) = started(&["a"], &path);
        let done_line = || {
            let file: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            file["done"]["line"].as_u64().unwrap()
        };
        ledger.pending_many([(1, at(0, 1)), (2, at(0, 2))]);
        ledger.done([1, 2]);
        let at_flush = Mutex::new(None);
        let flush = || {
            *at_flush.lock().unwrap() = Some(done_line());
            Ok(())
        };
        ledger.save_with(flush).unwrap();
        assert_eq!(*at_flush.lock().unwrap(), Some(0), "flushed first");
        assert_eq!(done_line(), 2);
    }

    #[test]
    fn a_resume_checks_each_inputs_first_line_against_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let (ledger, _) = started(&["a", "b"], &path);
        ledger
            .check_first_line(0, first_line_crc(b"line one"))
            .unwrap();
        ledger.pending(1, at(0, 1));
        ledger.done([1]);
        ledger.save().unwrap();
        drop(ledger); // and its hold on the checkpoint

        let (again, _) = started(&["a", "b"], &path);
        assert_eq!(again.first_line_known(0), Some(first_line_crc(b"line one")));
        assert_eq!(again.first_line_known(1), None, "b was never read");
        let err = again.check_first_line(0, first_line_crc(b"another line"));
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("its first line differs"));
        again
            .check_first_line(0, first_line_crc(b"line one"))
            .unwrap();
        again.check_first_line(1, first_line_crc(b"")).unwrap();
        again.save().unwrap();
        drop(again);

        // A checkpoint of cio before first lines were kept checks nothing.
        let text = std::fs::read_to_string(&path).unwrap();
        let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
        file.as_object_mut().unwrap().remove("first_lines");
        std::fs::write(&path, file.to_string()).unwrap();
        let (old, _) = started(&["a", "b"], &path);
        old.check_first_line(0, first_line_crc(b"another line"))
            .unwrap();
        // Only the first 4 KiB of a line count.
        let long = [b'x'; 5000];
        assert_eq!(first_line_crc(&long), first_line_crc(&long[..4096]));
    }

    #[test]
    fn a_resume_checks_the_line_the_checkpoint_ended_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let (ledger, _) = started(&["a"], &path);
        let crc = first_line_crc(b"line two");
        ledger.note_end_line(at(0, 2), crc);
        ledger.pending_many([(1, at(0, 1)), (2, at(0, 2))]);
        ledger.done([1]);
        assert_eq!(
            ledger.progress().done_line,
            None,
            "not kept before done gets there"
        );
        ledger.done([2]);
        ledger.save().unwrap();
        drop(ledger);

        let (again, resume) = started(&["a"], &path);
        let resume = resume.unwrap();
        assert_eq!((resume.done, resume.done_line), (at(0, 2), Some(crc)));
        again.check_done_line(&resume, 0, 2, Some(crc)).unwrap();
        for other in [Some(first_line_crc(b"another")), None] {
            let err = again.check_done_line(&resume, 0, 2, other).unwrap_err();
            assert!(err.to_string().contains("its line 2 differs"), "{err}");
        }
        // Elsewhere than at `done` there is nothing to check.
        again.check_done_line(&resume, 0, 1, None).unwrap();
        // Kept while nothing moves `done`, so the next save still has it.
        assert_eq!(again.progress().done_line, Some(crc));
    }

    #[test]
    fn an_input_done_as_a_whole_keeps_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let (ledger, _) = started(&["a", "b"], &path);
        ledger.note_length(0, 600);
        ledger.save().unwrap();
        drop(ledger);

        let (again, _) = started(&["a", "b"], &path);
        again.check_length(0, 600).unwrap();
        let grew = again.check_length(0, 650).unwrap_err().to_string();
        assert!(grew.contains("a: grew since checkpoint"), "{grew}");
        assert!(grew.contains("(600 bytes then, 650 now)"), "{grew}");
        let shorter = again.check_length(0, 10).unwrap_err().to_string();
        assert!(shorter.contains("(it is shorter)"), "{shorter}");
        again.check_length(1, 10).unwrap();
    }

    #[test]
    fn calls_done_beyond_the_watermark_are_kept_as_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let ledger = Ledger::new(vec!["a".into()], Some(path.clone()), true);
        ledger.pending(1, at(0, 1));
        ledger.pending(2, at(0, 2));
        ledger.read_through(at(0, 3)); // a rejected line
        ledger.pending(3, at(0, 4));
        ledger.pending(4, at(0, 5));
        ledger.pending(5, at(0, 6));
        ledger.done([2, 3, 5]);
        let progress = ledger.progress();
        assert_eq!(progress.done, at(0, 0));
        assert_eq!(
            progress.also_done,
            vec![(at(0, 2), at(0, 4)), (at(0, 6), at(0, 6))]
        );
        ledger.save().unwrap();

        // A resumed run starts from the same picture...
        let again = Ledger::new(vec!["a".into()], Some(path), true);
        let (run, resume) = again.start().unwrap();
        let resume = resume.unwrap();
        assert_eq!(run, progress.run, "a resume keeps the run's id");
        assert_eq!(resume, progress);
        // ...and keeps the carried ranges until its own watermark passes them.
        again.pending(1, at(0, 1));
        again.done([1]);
        assert_eq!(again.progress().also_done, progress.also_done);
        again.pending(2, at(0, 5));
        assert_eq!(again.progress().done, at(0, 4));
        assert_eq!(again.progress().also_done, vec![(at(0, 6), at(0, 6))]);

        // Once the oldest call is done, the watermark covers what was acked after it.
        ledger.done([1]);
        assert_eq!(
            ledger.progress(),
            Resume {
                run: progress.run,
                done: at(0, 4),
                also_done: vec![(at(0, 6), at(0, 6))],
                first_lines: vec![None],
                done_line: None,
                lengths: vec![None],
            }
        );
        ledger.done([4]);
        assert_eq!(ledger.progress().done, at(0, 6));
        assert!(ledger.progress().also_done.is_empty());
    }

    /// The ledger against the sorted maps it replaced (pending and acked
    /// calls by sequence number), on random runs: calls and settled lines
    /// in order, acknowledgements in any order, some never.
    #[test]
    fn the_ring_tells_what_sorted_maps_would() {
        use std::collections::BTreeMap;
        let mut rng = fastrand::Rng::with_seed(12);
        for _ in 0..300 {
            let ledger = Ledger::new(vec!["a".into()], None, true);
            let (mut pending, mut acked) = (BTreeMap::new(), BTreeMap::new());
            let mut out: Vec<u64> = Vec::new();
            let (mut seq, mut line, mut read) = (0, 0, 0);
            for _ in 0..rng.usize(1..200) {
                line += rng.u64(1..3); // now and then a line the ledger never hears of
                match rng.u8(..10) {
                    0..=5 => {
                        seq += 1;
                        ledger.pending(seq, at(0, line));
                        pending.insert(seq, at(0, line));
                        read = line;
                        out.push(seq);
                    }
                    6 => {
                        seq += 1;
                        ledger.settled(seq, at(0, line));
                        acked.insert(seq, at(0, line));
                        read = line;
                    }
                    _ => {
                        let n = rng.usize(..=out.len().min(5));
                        let done: Vec<u64> = (0..n)
                            .map(|_| out.swap_remove(rng.usize(..out.len())))
                            .collect();
                        // Some calls are never delivered: they stay owed.
                        let done: Vec<u64> = done.into_iter().filter(|s| s % 7 != 0).collect();
                        ledger.done(done.iter().copied());
                        for s in done {
                            if let Some(p) = pending.remove(&s) {
                                acked.insert(s, p);
                            }
                        }
                    }
                }
                acked = match pending.first_key_value() {
                    Some((&oldest, _)) => acked.split_off(&oldest),
                    None => BTreeMap::new(),
                };
                let done = match pending.first_key_value() {
                    Some((_, p)) => at(0, p.line - 1),
                    None => at(0, read),
                };
                let mut ranges: Vec<(Position, Position)> = Vec::new();
                let mut previous = None;
                for (&s, &p) in &acked {
                    match ranges.last_mut() {
                        Some(r) if previous == Some(s - 1) => r.1 = p,
                        _ => ranges.push((p, p)),
                    }
                    previous = Some(s);
                }
                let progress = ledger.progress();
                assert_eq!((progress.done, progress.also_done), (done, ranges));
                let first = pending.first_key_value().map(|(_, p)| *p);
                assert_eq!(ledger.owed(), (pending.len() as u64, first));
            }
        }
    }

    #[test]
    fn checkpoint_round_trip_and_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let ledger = Ledger::new(vec!["a".into(), "b".into()], Some(path.clone()), true);
        let (run, resume) = ledger.start().unwrap();
        assert_eq!(resume, None);
        assert!(path.exists(), "written before anything is sent");
        ledger.pending(1, at(1, 7));
        ledger.save().unwrap();
        // One run per checkpoint: a second one is refused while the first holds it.
        let held = Ledger::new(vec!["a".into(), "b".into()], Some(path.clone()), true);
        let err = held.start().unwrap_err().to_string();
        assert!(err.contains("checkpoint in use by process"), "{err}");
        drop(ledger);
        let again = Ledger::new(vec!["a".into(), "b".into()], Some(path.clone()), true);
        let (again_run, resume) = again.start().unwrap();
        assert_eq!((again_run, resume.unwrap().done), (run, at(1, 6)));
        drop(again);
        let other = Ledger::new(vec!["c".into()], Some(path.clone()), true);
        assert!(other
            .start()
            .unwrap_err()
            .to_string()
            .contains("checkpoint of other inputs (a, b)"));
    }

    #[test]
    fn owed_calls_hold_the_watermark_and_a_dry_run_writes_nothing() {
        let ledger = Ledger::new(vec!["a".into()], None, true);
        ledger.pending(1, at(0, 1));
        ledger.settled(2, at(0, 2));
        ledger.pending(3, at(0, 3));
        ledger.done([3]);
        // Call 1 was not delivered: it stays owed, and what is done after it is kept as ranges.
        assert_eq!(ledger.owed(), (1, Some(at(0, 1))));
        let progress = ledger.progress();
        assert_eq!(progress.done, at(0, 0));
        assert_eq!(progress.also_done, vec![(at(0, 2), at(0, 3))]);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let dry = Ledger::new(vec!["a".into()], Some(path.clone()), false);
        dry.start().unwrap();
        dry.pending(1, at(0, 1));
        dry.done([1]);
        dry.save().unwrap();
        assert!(!path.exists());
    }
}
