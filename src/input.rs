//! Opening what the user points at: a file or `-` for stdin, gzip and zstd
//! recognised by their magic bytes (not the name) and decompressed on the fly;
//! and JSON errors phrased the way cio reports them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use crate::error::{describe_io, Error, Result};
use crate::files::FileId;

/// A name for messages: `-` reads as `<stdin>`.
pub fn display_name(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The path that names the file behind an input, to compare inputs and
/// output files: `/dev/stdin` for `-` (a file when stdin is redirected from one).
pub fn file_behind(path: &Path) -> &Path {
    if is_stdin(path) {
        Path::new("/dev/stdin")
    } else {
        path
    }
}

/// Whether `path` is one of `inputs` under any name (another path, a hard
/// link, stdin redirected from it): a file cio writes must not be one. A
/// file not there yet, or a device, is none of them.
pub fn is_one_of(path: &Path, inputs: &[PathBuf]) -> bool {
    let file = FileId::of(path);
    file.is_regular()
        && inputs
            .iter()
            .any(|input| FileId::of(file_behind(input)) == file)
}

/// A buffered input of any kind. Concrete, so that callers can see whether
/// data is already buffered (and the next read might block on a pipe).
pub type Input = BufReader<Box<dyn Read + Send>>;

const BUFFER: usize = 256 * 1024;

/// Opens `path` for buffered reading; `-` is stdin. Compressed input is
/// recognised by its first bytes and decompressed, whatever its name.
/// Also returns the size on disk when it is what will be read: a regular
/// file, not compressed (a FIFO or a device has no size to go by).
pub fn open(path: &Path) -> Result<(Input, Option<u64>)> {
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = if is_stdin(path) {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(path).map_err(|e| Error::unreadable(path.display(), &e))?;
        let meta = file.metadata().ok();
        if meta.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(Error::file(path.display(), "is a directory"));
        }
        (
            Box::new(file),
            meta.filter(|m| m.is_file()).map(|m| m.len()),
        )
    };
    let mut raw = BufReader::with_capacity(BUFFER, raw);
    let compression = match sniff(&mut raw) {
        Ok(c) => c,
        Err(e) => return Err(Error::unreadable(display_name(path), &e)),
    };
    let Some(compression) = compression else {
        return Ok((BufReader::with_capacity(BUFFER, Box::new(raw)), size));
    };
    let counted = Counted {
        inner: raw,
        consumed: Arc::new(AtomicU64::new(0)),
    };
    let consumed = Arc::clone(&counted.consumed);
    let decoder: Box<dyn Read + Send> = match compression {
        Compression::Gzip => Box::new(MultiGzDecoder::new(counted)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(counted)
                .and_then(|mut d| {
                    // Exports compressed with --long use windows past the default limit.
                    d.window_log_max(31)?;
                    Ok(d)
                })
                .map_err(|e| Error::file(display_name(path), e))?,
        ),
    };
    let reader = Decompressed {
        inner: decoder,
        compression,
        consumed,
    };
    Ok((BufReader::with_capacity(BUFFER, Box::new(reader)), None))
}

/// Opens every input but stdin (so a typo fails before anything is sent) and
/// adds up their sizes: `None` unless every input is a plain file, since a
/// compressed file's size on disk says nothing of how much it holds.
pub fn total_size(paths: &[impl AsRef<Path>]) -> Result<Option<u64>> {
    let mut total = Some(0u64);
    for path in paths.iter().map(AsRef::as_ref) {
        let size = if is_stdin(path) { None } else { open(path)?.1 };
        total = total.zip(size).map(|(t, s)| t + s);
    }
    Ok(total)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Which compression the input starts with, by its magic bytes; `None` for plain input.
fn sniff(input: &mut impl BufRead) -> io::Result<Option<Compression>> {
    // A pipe may hand over fewer bytes than a magic number in its first read.
    let head = loop {
        match input.fill_buf() {
            Ok(b) => break b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else {
        None
    })
}

/// Counts the compressed bytes the decoder has used, so that an error in the
/// stream can say where it is.
struct Counted<R> {
    inner: R,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed.fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// A decoder whose errors name the compression and the byte offset in the
/// compressed input where it went wrong.
struct Decompressed {
    inner: Box<dyn Read + Send>,
    compression: Compression,
    consumed: Arc<AtomicU64>,
}

impl Read for Decompressed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            let at = self.consumed.load(Ordering::Relaxed);
            let name = self.compression.name();
            let message = if e.kind() == io::ErrorKind::UnexpectedEof {
                format!("{name} stream truncated: the compressed input ends at byte {at}")
            } else {
                format!(
                    "{name} stream corrupt at byte {at} of the compressed input ({})",
                    describe_io(&e)
                )
            };
            io::Error::new(io::ErrorKind::InvalidData, message)
        })
    }
}

/// Reads a whole (small) JSON document: `--file` of a single call. At most
/// `limit` bytes are read: past them the file is refused, so that /dev/zero
/// or an endless pipe is not read into memory.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String> {
    let (reader, _) = open(path)?;
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::unreadable(display_name(path), &e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::file(
            display_name(path),
            format_args!("larger than {limit} bytes, too large for a single call"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| Error::file(display_name(path), "not valid UTF-8"))
}

/// serde_json's message without its "at line L column C" tail (cio puts the
/// position first, as `file:line:column`).
pub fn json_error_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A JSON error in a named input, as cio says it everywhere:
/// `NAME:LINE:COLUMN: WHAT MESSAGE` (`what` is a prefix such as "invalid JSON: ").
pub fn json_error_at(name: &str, e: &serde_json::Error, what: &str) -> String {
    format!(
        "{name}:{}:{}: {what}{}",
        e.line(),
        e.column(),
        json_error_message(e)
    )
}

/// The JSON type of a value, for messages like "expected an object, found an array".
pub fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_one_of_the_inputs_under_any_name() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("out.ndjson");
        std::fs::write(&file, "").unwrap();
        let other_name = tmp.path().join(".").join("out.ndjson");
        assert!(is_one_of(&file, &[other_name]));
        assert!(!is_one_of(&file, &[tmp.path().join("in.ndjson")]));
        // Another name for the same file: truncating one empties the other.
        let link = tmp.path().join("link.ndjson");
        std::fs::hard_link(&file, &link).unwrap();
        assert!(is_one_of(&link, std::slice::from_ref(&file)));
        let other = tmp.path().join("other.ndjson");
        std::fs::write(&other, "").unwrap();
        assert!(!is_one_of(&other, std::slice::from_ref(&file)));
        // Not there yet: none of the inputs, which are there.
        assert!(!is_one_of(&tmp.path().join("new.ndjson"), &[file]));
        // A device is never truncated: reading and writing it is the user's call.
        let null = PathBuf::from("/dev/null");
        assert!(!is_one_of(&null, std::slice::from_ref(&null)));
    }
}
