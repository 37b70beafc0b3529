//! Where rejected and undeliverable lines go: the `--rejects` NDJSON file, or
//! one line each on stderr. Nothing handed to cio disappears without a record.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use serde_json::json;

use crate::error::{Error, Result};
use crate::output::sanitize;

pub struct Rejects {
    file: Option<Mutex<BufWriter<File>>>,
}

impl Rejects {
    /// `append` keeps the records of the run a checkpoint resumes.
    pub fn open(path: Option<&Path>, append: bool) -> Result<Rejects> {
        let file = match path {
            None => None,
            Some(path) => {
                let file = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(path)
                    .map_err(|e| {
                        Error::io(format!("cannot open rejects file {}", path.display()), &e)
                    })?;
                Some(Mutex::new(BufWriter::new(file)))
            }
        };
        Ok(Rejects { file })
    }

    /// Records one line left out on purpose or refused, with its kind (`skipped`).
    #[allow(clippy::too_many_arguments)]
    pub fn record_as(
        &self,
        kind: &str,
        source: &str,
        line: u64,
        reason: &str,
        field: Option<&str>,
        original: &[u8],
        full_len: usize,
    ) {
        match &self.file {
            Some(file) => {
                let mut record = json!({
                    "kind": kind,
                    "source": source,
                    "line": line,
                    "reason": reason,
                    "field": field,
                    "original": String::from_utf8_lossy(original),
                });
                if full_len > original.len() {
                    record["original_truncated_from_bytes"] = json!(full_len);
                }
                let mut out = file.lock().unwrap_or_else(|e| e.into_inner());
                let _ = serde_json::to_writer(&mut *out, &record);
                let _ = out.write_all(b"\n");
            }
            None => eprintln!(
                "cio: {}:{line}: {kind}: {}",
                sanitize(source, 200),
                sanitize(reason, 500)
            ),
        }
    }

    /// Records one line that will not be delivered.
    pub fn record(
        &self,
        source: &str,
        line: u64,
        reason: &str,
        field: Option<&str>,
        original: &[u8],
        full_len: usize,
    ) {
        match &self.file {
            Some(file) => {
                let mut record = json!({
                    "source": source,
                    "line": line,
                    "reason": reason,
                    "field": field,
                    "original": String::from_utf8_lossy(original),
                });
                if full_len > original.len() {
                    record["original_truncated_from_bytes"] = json!(full_len);
                }
                let mut out = file.lock().unwrap_or_else(|e| e.into_inner());
                // A full disk here is reported by the flush that precedes each checkpoint.
                let _ = serde_json::to_writer(&mut *out, &record);
                let _ = out.write_all(b"\n");
            }
            None => eprintln!(
                "cio: {}:{line}: {}",
                sanitize(source, 200),
                sanitize(reason, 500)
            ),
        }
    }

    pub fn flush(&self) -> Result<()> {
        if let Some(file) = &self.file {
            let mut out = file.lock().unwrap_or_else(|e| e.into_inner());
            out.flush()
                .map_err(|e| Error::io("cannot write the rejects file", &e))?;
        }
        Ok(())
    }
}
