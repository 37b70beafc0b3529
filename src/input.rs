//! Opening what the user points at: a file, `-` for stdin, `.gz` decompressed
//! on the fly; and JSON errors phrased the way cio reports them.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{describe_io, Error, Result};

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

/// A buffered input of any kind. Concrete, so that callers can see whether
/// data is already buffered (and the next read might block on a pipe).
pub type Input = BufReader<Box<dyn Read + Send>>;

const BUFFER: usize = 256 * 1024;

/// Opens `path` for buffered reading; `-` is stdin and a `.gz` name is gunzipped.
/// Also returns the size on disk when known (for progress).
pub fn open(path: &Path) -> Result<(Input, Option<u64>)> {
    if is_stdin(path) {
        let stdin: Box<dyn Read + Send> = Box::new(io::stdin());
        return Ok((BufReader::with_capacity(BUFFER, stdin), None));
    }
    let file = File::open(path)
        .map_err(|e| Error::usage(format!("{}: {}", path.display(), describe_io(&e))))?;
    let meta = file.metadata().ok();
    if meta.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(Error::usage(format!("{}: is a directory", path.display())));
    }
    let size = meta.map(|m| m.len());
    let reader: Box<dyn Read + Send> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    };
    Ok((BufReader::with_capacity(BUFFER, reader), size))
}

/// Reads a whole (small) JSON document: `--file` of a single call.
pub fn read_to_string(path: &Path) -> Result<String> {
    let (mut reader, _) = open(path)?;
    let mut text = String::new();
    reader.read_to_string(&mut text).map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidData {
            Error::usage(format!("{}: not valid UTF-8", display_name(path)))
        } else {
            Error::usage(format!("{}: {}", display_name(path), describe_io(&e)))
        }
    })?;
    Ok(text)
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
