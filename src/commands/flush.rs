//! `cio flush` and `cio spool status`: deliver what `--spool` kept, through the
//! batch engine (packing, gzip, retries, splitting of refused batches), with a
//! checkpoint per claimed spool file so that a flush killed halfway re-sends
//! at most what was in flight, with the same messageIds.
//!
//! Each claimed file goes through `cio batch FILE --checkpoint FILE.ckpt
//! --rejects FILE.rejects`. The checkpoint records only what is settled:
//! delivered, or refused on its merits. When it covers every line, the calls
//! the server refused go to `rejected.ndjson` and the file is removed. Until
//! then (the server still unreachable, a 401, Ctrl-C, kill) the file stays
//! with its checkpoint, and the next flush sends exactly what it still owes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde_json::{json, Value};

use crate::batch::ledger::Ledger;
use crate::cli::{Cli, Command, FlushArgs};
use crate::error::{Error, ExitCode, Result};
use crate::output::{count, stdout_line, Reporter};
use crate::spool::{self, Spool};
use crate::{input, Context};

/// What a flush did with the calls it took.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    delivered: u64,
    /// Not delivered this time: still in the spool.
    kept: u64,
    /// Refused by the server on their merits: in rejected.ndjson.
    refused: u64,
    /// Lines cio itself cannot send (damaged, not a call): in rejected.ndjson.
    damaged: u64,
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
    if flushing.is_some() {
        for file in spool.claim()? {
            if let Err(e) = flush_file(ctx, args, &spool, &file, &mut tally) {
                stopped = Some(e);
                break;
            }
        }
    }
    let code = match &stopped {
        Some(e) => e.exit_code(),
        None if tally.refused + tally.damaged > 0 => ExitCode::Partial,
        None if tally.kept > 0 => ExitCode::Spooled,
        None => ExitCode::Ok,
    };
    let waiting = spool.status()?.calls;
    if ctx.report.json {
        stdout_line(json!({
            "delivered": tally.delivered,
            "kept": tally.kept,
            "refused": tally.refused,
            "damaged": tally.damaged,
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
        if tally.damaged > 0 {
            line += &format!(", {} damaged (not sendable)", tally.damaged);
        }
        if tally.refused + tally.damaged > 0 {
            line += &format!(" (in {})", spool.rejected_path().display());
        }
        line += &format!(
            "; {} waiting in {}",
            count(waiting, "call"),
            spool.dir().display()
        );
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
    let file = &spelled_as_checkpointed(file, &checkpoint);
    let mut args: Vec<std::ffi::OsString> = vec!["cio".into(), "batch".into()];
    if let Some(n) = options.concurrency {
        args.extend(["--concurrency".into(), n.to_string().into()]);
    }
    args.extend([
        // Each call's timestamp was checked when it was spooled, with or without
        // the allowance; checked again here, an allowed old one would be refused.
        // (A call spooled without it stays in the window: its time is in the past.)
        "--allow-old-timestamps".into(),
        "--max-batch-calls".into(),
        options.max_batch_calls.to_string().into(),
        "--checkpoint".into(),
        checkpoint.clone().into(),
        "--rejects".into(),
        rejects.clone().into(),
        "--".into(),
        file.into(),
    ]);
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
    // What earlier flushes settled is not counted again: the figures are this run's.
    let lines = spool::count_lines(file)?;
    let owed_before = owed(file, &checkpoint, lines)?;
    let earlier = Settled::read(&rejects)?;
    let ran = crate::commands::batch::run(&quiet, &batch_args);
    let code = match ran {
        Ok(()) => ExitCode::Ok,
        Err(Error::Reported(code)) => code,
        // Refused before sending anything (cannot read the file, checkpoint in use).
        Err(e) => return Err(e),
    };
    let still_owed = owed(file, &checkpoint, lines)?;
    let settled = Settled::read(&rejects)?;
    let refused = settled.refused - earlier.refused;
    let damaged = settled.damaged - earlier.damaged;
    tally.refused += refused;
    tally.damaged += damaged;
    tally.delivered += owed_before
        .saturating_sub(still_owed)
        .saturating_sub(refused + damaged);
    if code == ExitCode::Interrupted || still_owed > 0 {
        tally.kept += still_owed;
        ctx.report.info(format!(
            "{} is kept with its checkpoint: the next `cio flush` sends the {} it still owes",
            file.display(),
            count(still_owed, "call")
        ));
        // Stopped by the network (the server gone): the calls are still spooled, as exit 7 says.
        return Err(Error::Reported(match code {
            ExitCode::Ok | ExitCode::Partial | ExitCode::Undelivered => ExitCode::Spooled,
            code => code,
        }));
    }
    spool.keep_rejected(&settled.records)?;
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

/// The path to give the replay for `file`: the one its checkpoint names when
/// that is the same file spelled another way (a flush that was killed reached
/// the spool through a symbolic link), since the replay refuses a checkpoint
/// of other inputs by name.
fn spelled_as_checkpointed(file: &Path, checkpoint: &Path) -> PathBuf {
    let named = std::fs::read(checkpoint)
        .ok()
        .and_then(|text| serde_json::from_slice::<Value>(&text).ok())
        .and_then(|c| Some(PathBuf::from(c["sources"].get(0)?.as_str()?)));
    match named {
        Some(named) if named != file && crate::files::same_file(&named, file) => named,
        _ => file.to_path_buf(),
    }
}

fn beside(file: &Path, extension: &str) -> PathBuf {
    file.with_extension(extension)
}

/// How many lines of `file` the checkpoint does not count as settled
/// (delivered, or refused on their merits).
fn owed(file: &Path, checkpoint: &Path, lines: u64) -> Result<u64> {
    // The replay's reader may take a moment to let go of the checkpoint after a fatal stop.
    let mut tries = 0;
    loop {
        // Read only: a ledger that may not write never changes the checkpoint.
        let ledger = Ledger::new(
            vec![input::display_name(file)],
            Some(checkpoint.into()),
            false,
        );
        match ledger.start() {
            Ok((_, None)) => return Ok(lines),
            Ok((_, Some(resume))) => return Ok(lines.saturating_sub(resume.settled_lines(0))),
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

/// The calls of a claimed file settled without being delivered, from its
/// rejects file: refused by the server on their merits (kind `refused`), or
/// lines cio cannot send (kind `invalid`: damaged, not a call). Their records
/// go to `rejected.ndjson`. Undeliverable records are left out: the checkpoint
/// still owes those calls, or a resumed flush delivered them.
#[derive(Default)]
struct Settled {
    records: Lines,
    refused: u64,
    damaged: u64,
}

impl Settled {
    fn read(path: &Path) -> Result<Settled> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settled::default()),
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), &e)),
        };
        let mut settled = Settled::default();
        for line in text.split(|&b| b == b'\n') {
            let record: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
            match record["kind"].as_str() {
                Some("refused") => settled.refused += 1,
                Some("invalid") => settled.damaged += 1,
                _ => continue,
            }
            settled.records.push(line.to_vec());
        }
        Ok(settled)
    }
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
        "{} waiting, {} bytes of {}{}",
        count(status.calls, "call"),
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
            "{} refused by the server in {}",
            count(status.rejected, "call"),
            spool.rejected_path().display()
        ));
    }
    stdout_line(format_args!("spool: {}", spool.dir().display()));
    Ok(())
}
