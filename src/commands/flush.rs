//! `cio flush` and `cio spool status`: deliver what `--spool` kept, through the
//! batch engine (packing, gzip, retries, splitting of refused batches), with a
//! checkpoint per claimed spool file so that a flush killed halfway re-sends
//! at most what was in flight, with the same messageIds.
//!
//! Each claimed file goes through `cio batch FILE --checkpoint FILE.ckpt
//! --rejects FILE.rejects`. When every line of it is accounted for, its
//! rejects are sorted out: calls that were not delivered (the server still
//! unreachable) go back into the spool, calls the server refused on their
//! merits go to `rejected.ndjson`; then the file is removed. A flush that
//! stops early (a 401, Ctrl-C, kill) leaves the file and its checkpoint for the
//! next flush to resume.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde_json::{json, Value};

use crate::batch::ledger::{Ledger, Position};
use crate::cli::{Cli, Command, FlushArgs};
use crate::error::{Error, ExitCode, Result};
use crate::output::{stdout_line, Reporter};
use crate::spool::{self, Spool};
use crate::{input, Context};

/// Passes over the spool in one flush (see `flush`).
const MAX_PASSES: usize = 3;

/// What a flush did with the calls it took.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    delivered: u64,
    /// Not delivered this time: back in the spool.
    kept: u64,
    /// Refused by the server on their merits: in rejected.ndjson.
    refused: u64,
}

pub fn flush(ctx: &Context, args: &FlushArgs) -> Result<()> {
    let spool = Spool::for_settings(&ctx.settings)?;
    // Nothing was ever spooled for this destination: nothing to lock or claim.
    let flushing = if spool.dir().is_dir() {
        Some(spool.flush_lock(&ctx.report)?)
    } else {
        None
    };
    let mut tally = Tally::default();
    let mut stopped = None;
    // Calls a resumed file had kept (the server was away then) go back into the
    // spool; when the server takes calls now, one more pass delivers them too.
    for _pass in 0..MAX_PASSES {
        if flushing.is_none() {
            break;
        }
        let before = Tally { kept: 0, ..tally };
        tally.kept = 0;
        for file in spool.claim()? {
            if let Err(e) = flush_file(ctx, args, &spool, &file, &mut tally) {
                stopped = Some(e);
                break;
            }
        }
        let delivered_now = tally.delivered > before.delivered;
        if stopped.is_some() || tally.kept == 0 || !delivered_now {
            break;
        }
    }
    let code = match &stopped {
        Some(e) => e.exit_code(),
        None if tally.refused > 0 => ExitCode::Partial,
        None if tally.kept > 0 => ExitCode::Spooled,
        None => ExitCode::Ok,
    };
    let waiting = spool.status()?.calls;
    if ctx.report.json {
        stdout_line(json!({
            "delivered": tally.delivered,
            "kept": tally.kept,
            "refused": tally.refused,
            "waiting": waiting,
            "spool": spool.dir().display().to_string(),
            "exit_code": code.code(),
            "error": stopped.as_ref().map(|e| e.to_string()),
        }));
    } else {
        let mut line = format!(
            "flush: {} delivered, {} kept in the spool (not delivered), {} refused by the server",
            tally.delivered, tally.kept, tally.refused
        );
        if tally.refused > 0 {
            line += &format!(" (in {})", spool.rejected_path().display());
        }
        line += &format!("; {waiting} calls waiting in {}", spool.dir().display());
        ctx.report.info(line);
    }
    // An error the batch run did not report is shown here, once, after the summary.
    if let Some(e) = stopped.filter(|e| !matches!(e, Error::Reported(_))) {
        ctx.report.error(&e);
    }
    match code {
        ExitCode::Ok => Ok(()),
        code => Err(Error::Reported(code)),
    }
}

/// Replays one claimed file; Err when the replay stopped before the end of it
/// (the file stays, with its checkpoint, for the next flush).
fn flush_file(
    ctx: &Context,
    options: &FlushArgs,
    spool: &Spool,
    file: &Path,
    tally: &mut Tally,
) -> Result<()> {
    let checkpoint = beside(file, "ckpt");
    let rejects = beside(file, "rejects");
    let concurrency = options.concurrency.to_string();
    let max_batch_calls = options.max_batch_calls.to_string();
    let args = [
        "cio".as_ref(),
        "batch".as_ref(),
        "--concurrency".as_ref(),
        concurrency.as_ref(),
        "--max-batch-calls".as_ref(),
        max_batch_calls.as_ref(),
        "--checkpoint".as_ref(),
        checkpoint.as_os_str(),
        "--rejects".as_ref(),
        rejects.as_os_str(),
        "--".as_ref(),
        file.as_os_str(),
    ];
    let Command::Batch(batch_args) = Cli::try_parse_from(args)
        .map_err(|e| Error::Internal(e.to_string()))?
        .command
    else {
        return Err(Error::Internal("not a batch command".into()));
    };
    // The batch summary is replaced by the flush's own (it shows with -v).
    let quiet = Context {
        settings: ctx.settings.clone(),
        report: Reporter {
            quiet: ctx.report.quiet || ctx.report.verbose == 0,
            verbose: ctx.report.verbose,
            json: false,
        },
        stdout_is_terminal: false,
    };
    let ran = crate::commands::batch::run(&quiet, &batch_args);
    let code = match ran {
        Ok(()) => ExitCode::Ok,
        Err(Error::Reported(code)) => code,
        // Refused before sending anything (cannot read the file, checkpoint in use).
        Err(e) => return Err(e),
    };
    let lines = spool::count_lines(file)?;
    if code == ExitCode::Interrupted || !all_done(file, &checkpoint, lines)? {
        ctx.report.info(format!(
            "{} is kept with its checkpoint: the next `cio flush` resumes it",
            file.display()
        ));
        // Stopped by the network (the server gone): the calls are still spooled, as exit 7 says.
        return Err(Error::Reported(match code {
            ExitCode::Ok | ExitCode::Partial | ExitCode::Undelivered => ExitCode::Spooled,
            code => code,
        }));
    }
    let (kept, refused) = sort_rejects(&rejects)?;
    // Back into the spool first: a crash now leaves duplicates (same messageIds), never a loss.
    spool.put_back(&kept)?;
    spool.keep_rejected(&refused)?;
    let done = lines.saturating_sub((kept.len() + refused.len()) as u64);
    tally.delivered += done;
    tally.kept += kept.len() as u64;
    tally.refused += refused.len() as u64;
    let mut lock = checkpoint.clone().into_os_string();
    lock.push(".lock");
    for path in [file, &rejects, &checkpoint, Path::new(&lock)] {
        if let Err(e) = std::fs::remove_file(path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::io(format!("cannot remove {}", path.display()), &e));
            }
        }
    }
    crate::files::sync_dir(spool.dir())
        .map_err(|e| Error::io(format!("cannot sync {}", spool.dir().display()), &e))?;
    // A wrong key or endpoint stops the flush, with the calls back in the spool.
    match code {
        ExitCode::Auth | ExitCode::Forbidden | ExitCode::Usage | ExitCode::Failure => {
            Err(Error::Reported(code))
        }
        _ => Ok(()),
    }
}

fn beside(file: &Path, extension: &str) -> PathBuf {
    file.with_extension(extension)
}

/// Whether the checkpoint says every line of `file` was acknowledged or rejected.
fn all_done(file: &Path, checkpoint: &Path, lines: u64) -> Result<bool> {
    let end = Position {
        source: 0,
        line: lines,
    };
    // The replay's reader may take a moment to let go of the checkpoint after a fatal stop.
    let mut tries = 0;
    loop {
        let ledger = Ledger::new(vec![input::display_name(file)], Some(checkpoint.into()));
        match ledger.resume_point() {
            Ok(resume) => return Ok(resume.is_some_and(|r| r.done >= end) || lines == 0),
            Err(e) if tries < 100 && e.to_string().contains("in use") => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whole lines, without their newline.
type Lines = Vec<Vec<u8>>;

/// The flush's rejects, split into calls to keep in the spool (not delivered:
/// the server unreachable, 5xx, 429, a wrong endpoint or key) and records of
/// calls refused on their merits (400, 413, or invalid).
fn sort_rejects(path: &Path) -> Result<(Lines, Lines)> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), &e)),
    };
    let (mut kept, mut refused) = (Vec::new(), Vec::new());
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let record: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
        let reason = record["reason"].as_str().unwrap_or("");
        let original = record["original"].as_str();
        let on_merits = ["invalid", "refused"].contains(&record["kind"].as_str().unwrap_or(""))
            || reason.starts_with("server refused (400)")
            || reason.starts_with("server refused (413)")
            || !(reason.starts_with("not delivered")
                || reason.starts_with("not sent")
                || reason.starts_with("unauthorized")
                || reason.starts_with("forbidden")
                || reason.starts_with("interrupted")
                || reason.starts_with("server refused ("));
        match original {
            Some(call) if !on_merits && record.get("original_truncated_from_bytes").is_none() => {
                kept.push(call.as_bytes().to_vec())
            }
            _ => refused.push(line.to_vec()),
        }
    }
    Ok((kept, refused))
}

pub fn status(ctx: &Context) -> Result<()> {
    let spool = Spool::for_settings(&ctx.settings)?;
    let status = spool.status()?;
    if ctx.report.json {
        stdout_line(json!({
            "calls": status.calls,
            "bytes": status.bytes,
            "oldest": status.oldest,
            "rejected": status.rejected,
            "max_bytes": ctx.settings.spool_max_bytes,
            "spool": spool.dir().display().to_string(),
        }));
        return Ok(());
    }
    stdout_line(format_args!(
        "{} calls waiting, {} bytes of {}{}",
        status.calls,
        status.bytes,
        ctx.settings.spool_max_bytes,
        status
            .oldest
            .as_deref()
            .map(|t| format!(", oldest {t}"))
            .unwrap_or_default()
    ));
    if status.rejected > 0 {
        stdout_line(format_args!(
            "{} calls refused by the server in {}",
            status.rejected,
            spool.rejected_path().display()
        ));
    }
    stdout_line(format_args!("spool: {}", spool.dir().display()));
    Ok(())
}
