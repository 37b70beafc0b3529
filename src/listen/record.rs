//! `--output FILE`: every accepted call appended as one NDJSON line with the
//! `receivedAt` the listener gave it. Each request's lines go out in one write
//! before the client is answered, so a killed listener has recorded every call
//! it answered 200 for. `cio batch FILE` replays the file with the same messageIds.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::input::display_name;

pub struct Recorder {
    path: PathBuf,
    file: Mutex<File>,
}

impl Recorder {
    pub fn open(path: &Path) -> Result<Recorder> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(display_name(path), &e))?;
        Ok(Recorder {
            path: path.to_path_buf(),
            file: Mutex::new(file),
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
        let mut file = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("the recording's lock is poisoned"))?;
        // The file is unbuffered: once write_all returns, the lines are the kernel's,
        // and a kill -9 of this process cannot lose them.
        file.write_all(text.as_bytes())?;
        Ok(count)
    }
}
