//! Where calls that are not delivered are recorded: the `--rejects` NDJSON
//! file, and stderr. Nothing handed to cio disappears without a record.
//!
//! Each record says its kind, so a user can tell "fix your data" (`invalid`,
//! `refused`) from "try again" (`undeliverable`), and holds the call as it was
//! sent (or, for an invalid line, the line as read), so the file can be
//! replayed as it is: `cio batch rejects.ndjson` recognises its own records
//! (see [`replayable`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::packer::Batch;
use super::reader::Span;
use crate::error::{Error, Result};
use crate::output::{count, note, sanitize};
use crate::secret::WriteKey;

/// Lines shown one by one on stderr before the rest are only counted.
const SHOWN_LINES: u64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// cio's own checks refused the line: it can never be sent as it is.
    Invalid,
    /// The server refused the call on its own merits (a 400 isolated to it).
    Refused,
    /// Not delivered (network, 5xx, 429, or an answer that stopped the run):
    /// still owed, and sent again by a resume or a replay of the rejects file.
    Undeliverable,
    /// Left out on purpose: a call of a known type the API has no endpoint
    /// for (Segment's `delete`).
    Skipped,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Invalid,
        Kind::Refused,
        Kind::Undeliverable,
        Kind::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invalid => "invalid",
            Kind::Refused => "refused",
            Kind::Undeliverable => "undeliverable",
            Kind::Skipped => "skipped",
        }
    }
}

/// One line that was not delivered.
pub struct Entry<'a> {
    pub kind: Kind,
    pub source: &'a str,
    pub line: u64,
    pub reason: &'a str,
    pub field: Option<&'a str>,
    pub held: Held<'a>,
}

/// What a record keeps of the line, to be fixed or replayed.
pub enum Held<'a> {
    /// The input line as read (cut at the line limit), its full length and
    /// where it is in the input: a line that never became a call.
    Line(&'a [u8], usize, Option<Span>),
    /// The call as it was sent, with its messageId and timestamp.
    Call(&'a str),
}

/// The rejects file, opened for this run alone, and the file it replaced.
struct Opened {
    file: File,
    /// Held for its lock until the run ends (see `open_locked`).
    replaced: Option<File>,
}

/// Opens the rejects file for this run alone: emptied only once the lock is
/// held, so a run refused the file never empties it. Devices and pipes
/// (`/dev/stderr`, a FIFO) are shared by nature and not locked.
fn open_locked(path: &Path, append: bool) -> Result<Opened> {
    let cannot_open =
        |e: &std::io::Error| Error::io(format!("cannot open rejects file {}", path.display()), e);
    let mut options = OpenOptions::new();
    options.create(true).write(true).append(append);
    // The records hold whole calls (e-mail addresses, IPs): the owner's alone.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let alone = |file| Opened {
        file,
        replaced: None,
    };
    let file = match crate::files::open_no_follow(&mut options, path) {
        Ok(file) => file,
        Err(_) if crate::files::is_symlink(path) => return Ok(alone(through_link(path)?)),
        Err(e) => return Err(cannot_open(&e)),
    };
    let meta = file.metadata().map_err(|e| cannot_open(&e))?;
    if !meta.is_file() {
        return Ok(alone(file));
    }
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(Error::file(
                path.display(),
                "rejects file in use by another cio batch; give each run its own --rejects",
            ))
        }
        Err(TryLockError::Error(e)) => return Err(cannot_open(&e)),
    }
    if append || meta.len() == 0 {
        return Ok(alone(file));
    }
    // A new empty file in its place rather than this one emptied: a reader
    // that has it open, such as `jq -c … rejects.ndjson | cio batch -
    // --rejects rejects.ndjson` fixing last run's records, still reads them
    // all. This one stays locked for the run, for a second run that opened it
    // before the swap.
    match replace_with_empty(path, &meta) {
        Ok(new) => Ok(Opened {
            file: new,
            replaced: Some(file),
        }),
        // A directory cio may not write to: emptied in place, as it must be.
        Err(_) => {
            file.set_len(0).map_err(|e| cannot_open(&e))?;
            Ok(alone(file))
        }
    }
}

/// A rejects path that is a symbolic link: opened through it, to append to
/// and never to empty or lock, only when it leads to a device or a pipe, or
/// is one of the system's own links in `/dev` (`/dev/stderr`, which leads to
/// whatever stderr is, a log file included). A link to a regular file, or to
/// nothing yet, may have been planted for cio to empty or create the file it
/// points at: refused, before anything is written to it.
fn through_link(path: &Path) -> Result<File> {
    let refused = || {
        Error::file(
            path.display(),
            format_args!(
                "{}; give --rejects the path of the file itself",
                crate::files::SYMLINK_REFUSED
            ),
        )
    };
    // Without `create`: a link to nothing is not followed to make its target.
    let file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|_| refused())?;
    let system_link = path.starts_with("/dev/");
    match file.metadata() {
        Ok(meta) if !meta.is_dir() && (system_link || !meta.is_file()) => Ok(file),
        _ => Err(refused()),
    }
}

/// An empty file, locked, renamed over the file `path` names (its directory
/// reached through any links on the way, the file itself not a link), with
/// the same permissions.
fn replace_with_empty(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<File> {
    let name = path.file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
    let target = std::fs::canonicalize(crate::files::parent_dir(path))?.join(name);
    let empty = crate::files::temp_beside(&target, Some(meta.permissions()))?;
    empty.as_file().try_lock().map_err(std::io::Error::from)?;
    empty.persist(&target).map_err(|e| e.error)
}

/// The rejects file as written: its buffer, and the first write that failed.
struct Writer {
    out: BufWriter<File>,
    /// Kept until the run ends: a record that failed to go in (a full disk)
    /// is missing for good, even when later writes get through.
    failed: Option<std::io::Error>,
}

pub struct Rejects {
    file: Option<Mutex<Writer>>,
    /// The file the rejects file replaced, locked until the run ends.
    _replaced: Option<File>,
    /// Lines reported on stderr (without a rejects file), to stop after a few.
    shown: AtomicU64,
    /// cio's own key, kept out of the records even when the data carries it.
    key: Option<WriteKey>,
}

impl Rejects {
    /// `append` keeps the records of the run a checkpoint resumes. A regular
    /// file is locked for the run (an operating-system lock on the file
    /// itself, dropped with the process however it ends): a second run given
    /// the same file would truncate the records of the first, or mix its own
    /// into them, whether or not a checkpoint is shared.
    pub fn open(path: Option<&Path>, append: bool) -> Result<Rejects> {
        let (file, replaced) = match path {
            None => (None, None),
            Some(path) => {
                let opened = open_locked(path, append)?;
                let writer = Writer {
                    out: BufWriter::new(opened.file),
                    failed: None,
                };
                (Some(Mutex::new(writer)), opened.replaced)
            }
        };
        Ok(Rejects {
            file,
            _replaced: replaced,
            shown: AtomicU64::new(0),
            key: None,
        })
    }

    /// Redacts `key` (cio's own write key) wherever it stands in a record.
    pub fn hiding(self, key: Option<&WriteKey>) -> Rejects {
        Rejects {
            key: key.cloned(),
            ..self
        }
    }

    /// Records one line with a reason of its own: to the rejects file, or
    /// (without one) on stderr, the first few only.
    pub fn line(&self, entry: Entry) {
        if self.file.is_some() {
            self.write(&entry);
        } else if self.shown.fetch_add(1, Ordering::Relaxed) < SHOWN_LINES {
            note(format_args!(
                "{}:{}: {}",
                sanitize(entry.source, 200),
                entry.line,
                sanitize(entry.reason, 500)
            ));
        }
    }

    /// Records calls that failed together for one reason: one line on stderr
    /// with the count and the lines, and one record per call in the rejects file.
    pub fn batch(&self, kind: Kind, batch: &Batch, names: &[String], reason: &str) {
        let lines: Vec<(usize, u64)> = batch.calls().iter().map(|c| (c.source, c.line)).collect();
        note(format_args!(
            "{}: {} not delivered: {}",
            line_ranges(&lines, names),
            count(batch.len() as u64, "call"),
            sanitize(reason, 500)
        ));
        if self.file.is_some() {
            for (call, json) in batch.iter() {
                self.write(&Entry {
                    kind,
                    source: &names[call.source],
                    line: call.line,
                    reason,
                    field: None,
                    held: Held::Call(json),
                });
            }
        }
    }

    /// Lines that were not shown on stderr because there were too many.
    pub fn hidden(&self) -> u64 {
        self.shown
            .load(Ordering::Relaxed)
            .saturating_sub(SHOWN_LINES)
    }

    fn write(&self, entry: &Entry) {
        let Some(file) = &self.file else {
            return;
        };
        let mut record = json!({
            "kind": entry.kind.as_str(),
            "source": entry.source,
            "line": entry.line,
            "reason": entry.reason,
            "field": entry.field,
        });
        match entry.held {
            Held::Line(bytes, full_len, span) => {
                let line = String::from_utf8_lossy(bytes);
                record["original"] =
                    json!(without_write_key(&line).unwrap_or_else(|| line.into_owned()));
                if full_len > bytes.len() {
                    record["original_truncated_from_bytes"] = json!(full_len);
                    // Too long to hold: where to cut it out of the input instead.
                    if let Some(span) = span {
                        record["lines"] = json!([entry.line, span.last_line]);
                        record["bytes"] = json!([span.start, span.end]);
                        record["original_cut"] = json!(format!(
                            "too long to hold here: 'original' is its first {} bytes; the whole of it is bytes {}..{} of {} (lines {}-{})",
                            bytes.len(), span.start, span.end, entry.source, entry.line, span.last_line
                        ));
                    }
                }
            }
            Held::Call(call) => {
                let mut call = serde_json::from_str::<Value>(call).unwrap_or(Value::Null);
                if let Some(fields) = call.as_object_mut() {
                    fields.shift_remove(WRITE_KEY);
                }
                record["call"] = call;
            }
        }
        let mut text = record.to_string();
        // A key anywhere else (a line that is not JSON, a nested field).
        if let Some(key) = &self.key {
            text = key.redact(&text);
        }
        text.push('\n');
        let mut writer = file.lock().unwrap_or_else(|e| e.into_inner());
        let written = writer.out.write_all(text.as_bytes());
        // Reported by the next flush (after each request, and at the end): the run stops.
        if let Err(e) = written {
            writer.failed.get_or_insert(e);
        }
    }

    pub fn flush(&self) -> Result<()> {
        if let Some(file) = &self.file {
            let mut writer = file.lock().unwrap_or_else(|e| e.into_inner());
            let flushed = writer.out.flush();
            if let Some(e) = writer.failed.as_ref().or(flushed.as_ref().err()) {
                return Err(Error::io("cannot write the rejects file", e));
            }
        }
        Ok(())
    }
}

/// The credential field of a call in an SDK's own form, dropped from records
/// as it is from calls sent (`envelope::FOREIGN_FIELDS`).
const WRITE_KEY: &str = "writeKey";

/// A line that is a JSON object with a `writeKey`, written again without it
/// (its other fields in their order); `None` for any other line, kept as read.
fn without_write_key(line: &str) -> Option<String> {
    let mut fields = serde_json::from_str::<serde_json::Map<String, Value>>(line).ok()?;
    fields.shift_remove(WRITE_KEY)?;
    serde_json::to_string(&fields).ok()
}

/// `in.ndjson:1-1203`, or `a.ndjson:900-1000, b.ndjson:1-42` when the calls
/// come from several inputs (`lines`: the calls' input and line, in input order).
fn line_ranges(lines: &[(usize, u64)], names: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (source, first) = lines[i];
        let mut last = first;
        while i < lines.len() && lines[i].0 == source {
            last = lines[i].1;
            i += 1;
        }
        let name = sanitize(&names[source], 200);
        parts.push(if first == last {
            format!("{name}:{first}")
        } else {
            format!("{name}:{first}-{last}")
        });
    }
    parts.join(", ")
}

/// The call held by a record of cio's own rejects file, when `fields` (a
/// line's top-level fields) are such a record: its `call` as it was sent
/// (with its messageId and timestamp), or its `original` line (an invalid
/// line, perhaps fixed by hand since).
pub fn replayable(fields: &[(String, &RawValue)]) -> std::result::Result<Option<String>, String> {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    let is_record = get("type").is_none()
        && get("kind").is_some_and(|k| {
            Kind::ALL
                .iter()
                .any(|kind| k.get() == format!("\"{}\"", kind.as_str()))
        })
        && (get("call").is_some() || get("original").is_some());
    if !is_record {
        return Ok(None);
    }
    if let Some(call) = get("call").filter(|c| c.get().starts_with('{')) {
        return Ok(Some(call.get().to_string()));
    }
    match get("original").map(|o| serde_json::from_str::<String>(o.get())) {
        Some(Ok(original)) => Ok(Some(original)),
        _ => {
            Err("a cio rejects record with neither a 'call' object nor an 'original' string".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges_per_input() {
        let names = vec!["a.ndjson".to_string(), "b.ndjson".to_string()];
        assert_eq!(line_ranges(&[(0, 4)], &names), "a.ndjson:4");
        assert_eq!(
            line_ranges(&[(0, 1), (0, 2), (0, 1203)], &names),
            "a.ndjson:1-1203"
        );
        assert_eq!(
            line_ranges(&[(0, 900), (0, 1000), (1, 1), (1, 42)], &names),
            "a.ndjson:900-1000, b.ndjson:1-42"
        );
    }
}
