//! `--output FILE`: every accepted call appended as one NDJSON line with the
//! `receivedAt` the listener gave it. Each request's lines go out in one write
//! before the client is answered, so a killed listener has recorded every call
//! it answered 200 for. A write that fails part way (a full disk) is cut back
//! to the last whole line, and the request answered 500: the file holds only
//! whole lines, each one answered 200. `cio batch FILE` replays the file with
//! the same messageIds.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::input::display_name;

pub struct Recorder {
    path: PathBuf,
    file: Mutex<Recording>,
}

struct Recording {
    file: File,
    /// The last line could not be cut back after a failed write: the next
    /// write starts with a newline, so that it begins a line of its own.
    ragged: bool,
}

impl Recorder {
    pub fn open(path: &Path) -> Result<Recorder> {
        // Read too, where allowed: to see whether the file ends with a whole line.
        let append = |read: bool| {
            OpenOptions::new()
                .create(true)
                .read(read)
                .append(true)
                .open(path)
        };
        let file = append(true)
            .or_else(|_| append(false))
            .map_err(|e| Error::io(display_name(path), &e))?;
        // A recording cut off by a crash or an older cio's failed write
        // goes on from a line of its own.
        let ragged = last_byte(&file).is_some_and(|b| b != b'\n');
        Ok(Recorder {
            path: path.to_path_buf(),
            file: Mutex::new(Recording { file, ragged }),
        })
    }

    pub fn name(&self) -> String {
        display_name(&self.path)
    }

    /// Appends the calls of one request, each with `receivedAt`, in one write.
    /// An error here means the client must not be told the calls were taken.
    pub fn append<'a>(
        &self,
        calls: impl Iterator<Item = &'a Map<String, Value>>,
        received_at: &str,
    ) -> std::io::Result<usize> {
        let mut text = String::new();
        let mut count = 0;
        let stamp = format!(",\"receivedAt\":\"{received_at}\"}}\n");
        for call in calls {
            if call.contains_key("receivedAt") || call.is_empty() {
                // A replayed recording: this listener's time replaces the old one.
                let mut line = call.clone();
                line.insert("receivedAt".into(), Value::String(received_at.into()));
                text.push_str(&serde_json::to_string(&line).map_err(std::io::Error::other)?);
                text.push('\n');
            } else {
                let json = serde_json::to_string(call).map_err(std::io::Error::other)?;
                text.push_str(&json[..json.len() - 1]);
                text.push_str(&stamp);
            }
            count += 1;
        }
        if count == 0 {
            return Ok(0);
        }
        let mut recording = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("the recording's lock is poisoned"))?;
        if recording.ragged {
            text.insert(0, '\n');
        }
        let Recording { file, ragged } = &mut *recording;
        let whole = file.metadata()?.len();
        // The file is unbuffered: once write_all returns, the lines are the kernel's,
        // and a kill -9 of this process cannot lose them.
        if let Err(e) = file.write_all(text.as_bytes()) {
            // Whatever part went out is taken back; if it cannot be, the next
            // write starts a new line (its client is answered 500 and retries).
            *ragged = file.set_len(whole).is_err() || last_byte(file).is_some_and(|b| b != b'\n');
            return Err(e);
        }
        *ragged = false;
        Ok(count)
    }
}

/// The file's last byte, if it has one and it can be read.
fn last_byte(file: &File) -> Option<u8> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata().ok()?.len();
    let mut byte = [0];
    file.read_at(&mut byte, len.checked_sub(1)?).ok()?;
    Some(byte[0])
}
