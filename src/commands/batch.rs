//! `cio batch`: set up the replay from flags, run the reader thread and the
//! sending pipeline, and end with the exit code. The wiring only: the progress
//! bar is `batch::progress`, the summary `batch::summary`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Map;
use tokio::sync::mpsc;

use crate::batch::deliver::{DeliverEnd, Deliverer};
use crate::batch::ledger::Ledger;
use crate::batch::progress::{progress_bar, tick_progress};
use crate::batch::rejects::Rejects;
use crate::batch::source::Reader;
use crate::batch::summary::Summary;
use crate::batch::{Defaults, Options, Shared, Stats};
use crate::cli::{BatchArgs, ExtrasArgs, IdentityArgs};
use crate::client::Client;
use crate::context::Context;
use crate::envelope::CallType;
use crate::error::{Error, ExitCode, Result};
use crate::files::{self, FileId};
use crate::input;
use crate::items::apply_extras;
use crate::lint::{Finding, Hook, Linter, Sink};
use crate::output::{self, sanitize, Reporter};

/// Chunks of calls between the reader and the packer.
const QUEUED_CHUNKS: usize = 4;

pub fn run(ctx: &Context, args: &BatchArgs) -> Result<()> {
    let sources = input_sources(&args.files, "batch")?;
    if let Some(path) = args.checkpoint.as_deref() {
        refuse_as_input(path, &sources, "the checkpoint", "--checkpoint")?;
    }
    if let Some(path) = &args.rejects {
        refuse_as_input(path, &sources, "the rejects file", "--rejects")?;
        // Each would overwrite the other's records.
        if args
            .checkpoint
            .as_deref()
            .is_some_and(|c| files::same_file(c, path))
        {
            return Err(Error::usage(
                "--rejects and --checkpoint name the same file; give each its own",
            ));
        }
    }
    let names: Vec<String> = sources.iter().map(|p| input::display_name(p)).collect();
    let mut defaults = defaults(args.call_type.as_deref(), &args.identity, &args.extras)?;
    defaults.allow_old_timestamps = args.allow_old_timestamps;
    if args.strict {
        defaults.lint = Some(strict_hook(ctx.report));
    }
    let options = Options {
        concurrency: args.concurrency.map(|n| n as usize),
        rate: match args.rate {
            Some(r) if !(r.is_finite() && r > 0.0) => {
                return Err(Error::invalid("--rate", "calls per second > 0", r))
            }
            r => r,
        },
        flush_interval: Duration::from_millis(args.flush_interval.max(1)),
        max_batch_bytes: args.max_batch_bytes as usize,
        max_batch_calls: args.max_batch_calls as usize,
        max_bytes_in_flight: args.max_bytes_in_flight as usize,
        gzip: !args.no_gzip,
        print: args.print,
    };
    // Open every input before sending anything: a typo fails fast, with nothing half done.
    let total_bytes = input::total_size(&sources)?;
    // Stdin a terminal: until the first line, the bar says how to end the input.
    let typing = sources.iter().any(|p| input::is_stdin(p)) && std::io::stdin().is_terminal();
    let client = if args.dry_run {
        None
    } else {
        Some(Client::new(&ctx.settings, ctx.report)?)
    };

    let ledger = Ledger::new(names.clone(), args.checkpoint.clone(), !args.dry_run);
    let (run, resume) = ledger.start()?;
    let rejects = Rejects::open(args.rejects.as_deref(), resume.is_some())?
        .hiding(ctx.settings.write_key.as_ref());
    let shared = Arc::new(Shared::new(names, ledger, rejects));

    let reader = Reader {
        sources,
        defaults,
        run,
        resume,
        shared: Arc::clone(&shared),
        check_schema: args.dry_run,
    };

    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the runtime", &e))?;
    let progress = progress_bar(ctx.report);
    // A few chunks queued keep the packer fed; more would only hold memory.
    let (tx, rx) = mpsc::channel(QUEUED_CHUNKS);
    let reader_thread = std::thread::spawn(move || reader.run(tx));
    let (end, deliverer) = runtime.block_on(async {
        let deliverer = Arc::new(Deliverer::new(
            client,
            options,
            Arc::clone(&shared),
            &ctx.settings,
        ));
        let ticker = tokio::spawn(tick_progress(
            progress.clone(),
            Arc::clone(&deliverer),
            ctx.report.verbose > 0 && !ctx.report.quiet,
            total_bytes,
            typing,
        ));
        let end = Arc::clone(&deliverer).run(rx).await;
        ticker.abort();
        // Stopped for good before the bar is cleared: a tick on the other
        // worker thread would draw it again, left on screen after the summary.
        let _ = ticker.await;
        (end, deliverer)
    });
    output::end_progress();

    // After a stop the reader ends within a run of lines, and the summary must
    // count what it passed on meanwhile; but it may be blocked on a pipe, so
    // it gets half a second and no more.
    if !matches!(end, DeliverEnd::InputDone) {
        let waited = Instant::now();
        while !reader_thread.is_finished() && waited.elapsed() < Duration::from_millis(500) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let read_end = if reader_thread.is_finished() || matches!(end, DeliverEnd::InputDone) {
        reader_thread
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("the reader thread failed".into())))
    } else {
        Ok(())
    };
    let finished = shared.rejects.flush().and_then(|_| shared.ledger.save());
    let elapsed = started.elapsed();
    // Requests aborted by a second interrupt may leave blocking work behind: don't wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));

    let interrupted = matches!(end, DeliverEnd::Interrupted);
    let fatal = match end {
        DeliverEnd::Fatal(e) => Some(e),
        _ => None,
    };
    // Input errors (a file unreadable halfway) and fatal send errors are reported after the summary.
    let error = match (read_end, fatal, finished) {
        (Err(e), _, _) | (_, Some(e), _) | (_, _, Err(e)) => Some(e),
        _ => None,
    };
    let code = exit_code(&shared.stats, error.as_ref(), interrupted);
    let hidden = shared.rejects.hidden();
    if hidden > 0 {
        ctx.report.warn(format!(
            "{} not shown; add --rejects FILE to keep every one",
            output::count(hidden, "more rejected line")
        ));
    }
    let pace = deliverer.pace(elapsed);
    let summary = Summary::new(
        &shared.stats,
        &shared.ledger,
        &shared.names,
        args.dry_run,
        &pace,
        code,
        error.as_ref(),
    );
    // Stopped before anything was read or sent (an input the checkpoint was
    // not written for, one that cannot be opened): the error alone says it.
    let nothing_to_tell = error.is_some() && summary.read == 0 && summary.requests == 0;
    if !nothing_to_tell || ctx.report.json {
        report(ctx, &summary);
    }
    if let Some(e) = error {
        ctx.report.error(&e);
    }
    match code {
        ExitCode::Ok => Ok(()),
        code => Err(Error::Reported(code)),
    }
}

/// `--strict`: lint errors make a line a reject; warnings are printed on stderr.
fn strict_hook(report: Reporter) -> Arc<Hook> {
    struct Warnings(Reporter);
    impl Sink for Warnings {
        fn report(&self, source: &str, line: u64, findings: &[Finding]) {
            for f in findings {
                self.0.warn(format!(
                    "{}:{line}: {}",
                    sanitize(source, 200),
                    sanitize(&f.text_without_severity(), 500)
                ));
            }
        }
    }
    Arc::new(Hook {
        linter: Linter::new(&[]),
        reject_errors: true,
        invalid_as_findings: false,
        sink: Arc::new(Warnings(report)),
    })
}

/// The inputs named, or stdin when it is piped; shared with `cio lint`,
/// whose name (`command`) the hint for no input gives.
pub fn input_sources(files: &[PathBuf], command: &str) -> Result<Vec<PathBuf>> {
    if !files.is_empty() {
        if files.iter().filter(|p| input::is_stdin(p)).count() > 1 {
            return Err(Error::usage("stdin (-) can be read only once"));
        }
        // Read twice, its lines without a timestamp would go twice, as other
        // events. One look at each (an export may have thousands of parts).
        let mut seen = HashMap::new();
        for file in files {
            if let Some(earlier) = seen.insert(FileId::of(input::file_behind(file)), file) {
                return Err(Error::usage(format!(
                    "{} and {} are the same input; name each input once",
                    input::display_name(earlier),
                    input::display_name(file)
                )));
            }
        }
        return Ok(files.to_vec());
    }
    if std::io::stdin().is_terminal() {
        return Err(Error::usage(format!(
            "no input: name NDJSON files, or pipe calls on stdin (cio {command} -)"
        )));
    }
    Ok(vec![PathBuf::from("-")])
}

/// What `--type`, the identity flags, `--context` and `--integration` give each line; shared with `cio lint`.
pub fn defaults(
    call_type: Option<&str>,
    identity: &IdentityArgs,
    extras_args: &ExtrasArgs,
) -> Result<Defaults> {
    if let Some(t) = call_type {
        t.parse::<CallType>()
            .map_err(|e| Error::usage(format!("--type: {}", e.message)))?;
    }
    let mut extras = Map::new();
    apply_extras(&mut extras, &extras_args.context, &extras_args.integrations)?;
    Ok(Defaults {
        call_type: call_type.map(str::to_string),
        user_id: identity.user_id.clone(),
        anonymous_id: identity.anonymous_id.clone(),
        extras,
        allow_old_timestamps: false,
        lint: None,
    })
}

fn exit_code(stats: &Stats, error: Option<&Error>, interrupted: bool) -> ExitCode {
    if interrupted {
        return ExitCode::Interrupted;
    }
    match error.map(Error::exit_code) {
        Some(
            code @ (ExitCode::Auth | ExitCode::Forbidden | ExitCode::Usage | ExitCode::Failure),
        ) => return code,
        Some(_) if Stats::get(&stats.delivered) == 0 => return ExitCode::Undelivered,
        _ => {}
    }
    let delivered = Stats::get(&stats.delivered);
    let undeliverable = Stats::get(&stats.undeliverable);
    if stats.rejected() == 0 && error.is_none() {
        ExitCode::Ok
    } else if delivered == 0 && undeliverable > 0 {
        ExitCode::Undelivered
    } else {
        ExitCode::Partial
    }
}

/// Refuses a file this run writes (`what`, named by `flag`) that is one of
/// its inputs under any name (another path, a hard link, stdin redirected
/// from it): the rejects file would empty it before it is read, and the
/// checkpoint would be read from it and overwrite it. Devices and pipes
/// (`/dev/stderr`) are never truncated and may well be both.
fn refuse_as_input(path: &Path, sources: &[PathBuf], what: &str, flag: &str) -> Result<()> {
    if input::is_one_of(path, sources) {
        return Err(Error::file(
            path.display(),
            format_args!("{what} is also an input; give {flag} another file"),
        ));
    }
    Ok(())
}

/// The summary on stdout (`--json`) or stderr, after the warnings.
fn report(ctx: &Context, summary: &Summary) {
    for warning in [summary.duplicate_warning(), summary.unfinished_warning()]
        .into_iter()
        .flatten()
    {
        ctx.report.warn(warning);
    }
    if ctx.report.json {
        match serde_json::to_string(summary) {
            Ok(json) => crate::output::stdout_line(json),
            Err(e) => ctx.report.error(Error::Internal(e.to_string())),
        }
        return;
    }
    for line in summary.human_lines() {
        ctx.report.info(line);
    }
}
