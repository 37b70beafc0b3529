//! The offline spool: single calls that could not be delivered, kept on disk
//! (one NDJSON line each, exactly as they would have been sent, messageId and
//! timestamp included) until `cio flush` delivers them.
//!
//! One directory per destination (endpoint + write key), so a flush never
//! sends calls to a workspace other than the one they were meant for:
//!
//! ```text
//! SPOOL_DIR/<destination id>/
//!   destination            the endpoint, for people (never the key)
//!   spool.lock             held briefly by writers and by a flush claiming
//!   active.ndjson          where writers append (fsynced before cio exits)
//!   claimed-<ns>-<pid>.ndjson   taken by a flush; .ckpt/.rejects beside it
//!   flush.lock             held by the one flush running
//!   rejected.ndjson        calls the server refused on their merits (400)
//!   peers/                 the `cio batch` replays running (`batch::peers`)
//! ```
//!
//! A flush renames `active.ndjson` away under the spool lock, so writers keep
//! appending to a fresh file while it sends; a claimed file is removed only
//! once everything in it is accounted for.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::files::{self, Lock};
use crate::settings::Settings;

const ACTIVE: &str = "active.ndjson";
const CLAIMED_PREFIX: &str = "claimed-";
const REJECTED: &str = "rejected.ndjson";

// Namespace of the destination ids (a one-way digest: the key cannot be read back).
const NAMESPACE: Uuid = Uuid::from_u128(0x3b0c_58d1_7e2a_4c6f_a1d4_0f9e_8b7c_6d5e);

/// The state directory of the destination the settings point at: the spool,
/// and the replays sharing its quota (`batch::peers`).
pub fn destination_dir(settings: &Settings) -> Result<PathBuf> {
    let root = settings.spool_dir.clone().ok_or_else(|| {
        Error::usage(
            "cannot find a state directory for the spool: pass --spool-dir or set CIO_SPOOL_DIR",
        )
    })?;
    let endpoint = settings.endpoint_url()?;
    let key = settings.require_write_key()?;
    let id = Uuid::new_v5(
        &NAMESPACE,
        format!("{endpoint}\n{}", key.expose()).as_bytes(),
    );
    let dir = root.join(&id.simple().to_string()[..16]);
    Ok(std::path::absolute(&dir).unwrap_or(dir))
}

pub struct Spool {
    dir: PathBuf,
    endpoint: String,
    max_bytes: u64,
}

/// Why a call could not be appended.
#[derive(Debug)]
pub enum AppendError {
    Full { used: u64, max: u64 },
    Failed(Error),
}

/// What `cio spool status` shows.
#[derive(Debug, Default, PartialEq)]
pub struct Status {
    pub calls: u64,
    pub bytes: u64,
    /// The `timestamp` of the call spooled first.
    pub oldest: Option<String>,
    /// Calls the server refused during a flush, kept in `rejected.ndjson`.
    pub rejected: u64,
}

impl Spool {
    /// The spool of the destination the settings point at.
    pub fn for_settings(settings: &Settings) -> Result<Spool> {
        Ok(Spool {
            dir: destination_dir(settings)?,
            endpoint: settings.endpoint_url()?,
            max_bytes: settings.spool_max_bytes,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn rejected_path(&self) -> PathBuf {
        self.dir.join(REJECTED)
    }

    fn spool_lock(&self) -> Result<Lock> {
        Lock::acquire(&self.dir.join("spool.lock"))
    }

    /// Appends one call (a JSON object on one line), synced to disk before it
    /// returns, unless the spool would pass its size limit.
    pub fn append(&self, call: &[u8]) -> std::result::Result<(), AppendError> {
        let _lock = self.spool_lock().map_err(AppendError::Failed)?;
        // The endpoint beside the calls, for people looking at the directory.
        let destination = self.dir.join("destination");
        if !destination.exists() {
            files::write_atomic(&destination, self.endpoint.as_bytes()).map_err(|e| {
                AppendError::Failed(Error::io(
                    format!("cannot write {}", destination.display()),
                    &e,
                ))
            })?;
        }
        let used = self.used_bytes().map_err(AppendError::Failed)?;
        let needed = call.len() as u64 + 2;
        if used + needed > self.max_bytes {
            return Err(AppendError::Full {
                used,
                max: self.max_bytes,
            });
        }
        self.append_locked(&[call]).map_err(AppendError::Failed)
    }

    fn append_locked(&self, calls: &[&[u8]]) -> Result<()> {
        let path = self.dir.join(ACTIVE);
        let failed = |e: std::io::Error| {
            Error::io(format!("cannot write to the spool {}", path.display()), &e)
        };
        let mut file = files::open_private(&path, true).map_err(failed)?;
        let len = file.metadata().map_err(failed)?.len();
        let mut buf = Vec::with_capacity(calls.iter().map(|c| c.len() + 1).sum::<usize>() + 1);
        // A writer killed mid-line left a torn tail: end it, so it stays one bad line.
        if len > 0 && last_byte(&file, len) != Some(b'\n') {
            buf.push(b'\n');
        }
        for call in calls {
            buf.extend_from_slice(call);
            buf.push(b'\n');
        }
        if let Err(e) = file.write_all(&buf).and_then(|_| file.sync_data()) {
            // A full disk (or a file-size limit) wrote part of the line: cut the
            // file back to its last whole line, or a flush would find it torn.
            let _ = file.set_len(len).and_then(|_| file.sync_data());
            return Err(failed(e));
        }
        if len == 0 {
            files::sync_dir(&self.dir).map_err(failed)?;
        }
        Ok(())
    }

    /// Bytes of calls waiting: the active file and every claimed one.
    fn used_bytes(&self) -> Result<u64> {
        Ok(self
            .waiting_files()?
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum())
    }

    /// Claimed files (oldest first), then the active file.
    fn waiting_files(&self) -> Result<Vec<PathBuf>> {
        let mut files = self.claimed_files()?;
        files.push(self.dir.join(ACTIVE));
        Ok(files)
    }

    fn claimed_files(&self) -> Result<Vec<PathBuf>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::io(
                    format!("cannot read the spool {}", self.dir.display()),
                    &e,
                ))
            }
        };
        let mut claimed: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(CLAIMED_PREFIX) && n.ends_with(".ndjson"))
            })
            .collect();
        // The names start with a fixed-width time: sorting them sorts by age.
        claimed.sort();
        Ok(claimed)
    }

    /// Holds the flush lock (one flush at a time); waits for a running flush.
    pub fn flush_lock(&self, report: &crate::output::Reporter) -> Result<Lock> {
        let path = self.dir.join("flush.lock");
        match Lock::try_acquire(&path)? {
            Ok(lock) => Ok(lock),
            Err(pid) => {
                let who = pid.map_or("another process".into(), |p| format!("process {p}"));
                report.info(format!("waiting for the flush of {who} to finish"));
                Lock::acquire(&path)
            }
        }
    }

    /// Takes what writers appended so far (they go on with a fresh file) and
    /// returns every claimed file, oldest first, including those of a flush
    /// that was killed. Call with the flush lock held.
    pub fn claim(&self) -> Result<Vec<PathBuf>> {
        {
            let _lock = self.spool_lock()?;
            let active = self.dir.join(ACTIVE);
            if fs::metadata(&active).is_ok_and(|m| m.len() > 0) {
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                let name = format!("{CLAIMED_PREFIX}{nanos:020}-{}.ndjson", std::process::id());
                fs::rename(&active, self.dir.join(name))
                    .and_then(|_| files::sync_dir(&self.dir))
                    .map_err(|e| Error::io(format!("cannot claim {}", active.display()), &e))?;
            }
        }
        self.remove_leftovers();
        self.claimed_files()
    }

    /// A flush killed while removing a finished file can leave its checkpoint
    /// or rejects behind without it; they hold nothing still to send.
    fn remove_leftovers(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(stem) = name
                .strip_prefix(CLAIMED_PREFIX)
                .and_then(|n| n.split('.').next())
            else {
                continue;
            };
            if !name.ends_with(".ndjson")
                && !self
                    .dir
                    .join(format!("{CLAIMED_PREFIX}{stem}.ndjson"))
                    .exists()
            {
                let _ = fs::remove_file(&path);
            }
        }
    }

    /// Appends records of refused calls to `rejected.ndjson`, synced.
    pub fn keep_rejected(&self, records: &[Vec<u8>]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let path = self.rejected_path();
        let failed = |e: std::io::Error| Error::io(format!("cannot write {}", path.display()), &e);
        let mut file = files::open_private(&path, true).map_err(failed)?;
        let mut buf = Vec::new();
        for r in records {
            buf.extend_from_slice(r);
            buf.push(b'\n');
        }
        file.write_all(&buf)
            .and_then(|_| file.sync_data())
            .map_err(failed)
    }

    pub fn status(&self) -> Result<Status> {
        let mut status = Status::default();
        for path in self.waiting_files()? {
            let Ok(file) = File::open(&path) else {
                continue; // claimed or removed meanwhile
            };
            status.bytes += file.metadata().map_or(0, |m| m.len());
            let mut lines = BufReader::new(file).split(b'\n');
            if status.oldest.is_none() {
                if let Some(Ok(first)) = lines.next() {
                    status.calls += 1;
                    status.oldest = serde_json::from_slice::<serde_json::Value>(&first)
                        .ok()
                        .and_then(|v| v.get("timestamp")?.as_str().map(str::to_string));
                }
            }
            status.calls += lines
                .filter(|l| l.as_ref().is_ok_and(|l| !l.is_empty()))
                .count() as u64;
        }
        if let Ok(file) = File::open(self.rejected_path()) {
            status.rejected = BufReader::new(file).split(b'\n').count() as u64;
        }
        Ok(status)
    }
}

/// Lines in a file (a last line without a newline counts).
pub fn count_lines(path: &Path) -> Result<u64> {
    let bytes =
        fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), &e))?;
    let newlines = memchr::memchr_iter(b'\n', &bytes).count() as u64;
    Ok(newlines + u64::from(bytes.last().is_some_and(|&b| b != b'\n')))
}

#[cfg(unix)]
fn last_byte(file: &File, len: u64) -> Option<u8> {
    use std::os::unix::fs::FileExt;
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, len - 1).ok().map(|_| byte[0])
}

#[cfg(not(unix))]
fn last_byte(_file: &File, _len: u64) -> Option<u8> {
    Some(b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool(dir: &Path, max_bytes: u64) -> Spool {
        Spool {
            dir: dir.join("dest"),
            endpoint: "http://127.0.0.1:9/v1".into(),
            max_bytes,
        }
    }

    #[test]
    fn a_torn_last_line_stays_one_bad_line() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = spool(tmp.path(), 1 << 20);
        spool.append(br#"{"a":1}"#).unwrap();
        // A writer killed halfway through its line.
        let mut f = files::open_private(&spool.dir.join(ACTIVE), true).unwrap();
        f.write_all(br#"{"b":"#).unwrap();
        spool.append(br#"{"c":3}"#).unwrap();
        let text = fs::read_to_string(spool.dir.join(ACTIVE)).unwrap();
        assert_eq!(text, "{\"a\":1}\n{\"b\":\n{\"c\":3}\n");
    }

    #[test]
    fn the_limit_counts_claimed_files_and_writers_go_on_after_a_claim() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = spool(tmp.path(), 40);
        spool.append(br#"{"timestamp":"T1"}"#).unwrap();
        let claimed = spool.claim().unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(!spool.dir.join(ACTIVE).exists());
        spool.append(br#"{"n":2}"#).unwrap();
        // 19 + 8 bytes waiting: another 19 would pass 40.
        match spool.append(br#"{"timestamp":"T3"}"#) {
            Err(AppendError::Full { used: 27, max: 40 }) => {}
            other => panic!("{other:?}"),
        }
        let status = spool.status().unwrap();
        assert_eq!(status.calls, 2);
        assert_eq!(status.bytes, 27);
        assert_eq!(status.oldest.as_deref(), Some("T1"));
    }
}
