//! `cio batch`: set up the replay from flags, run the reader thread and the
//! sending pipeline, show progress, and end with a summary and an exit code.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Map};
use tokio::sync::{mpsc, watch};

use crate::batch::deliver::{DeliverEnd, Deliverer};
use crate::batch::ledger::Ledger;
use crate::batch::rejects::Rejects;
use crate::batch::signals;
use crate::batch::source::Reader;

/// Chunks of calls between the reader and the packer.
const QUEUED_CHUNKS: usize = 4;
use crate::batch::{Defaults, Options, Stats};
use crate::cli::{BatchArgs, ExtrasArgs, IdentityArgs};
use crate::client::Client;
use crate::commands::call::apply_extras;
use crate::envelope::{CallType, FOREIGN_FIELDS};
use crate::error::{Error, ExitCode, Result};
use crate::input;
use crate::lint::{Finding, Hook, Linter, Sink};
use crate::output::{sanitize, Reporter};
use crate::Context;

pub fn run(ctx: &Context, args: &BatchArgs) -> Result<()> {
    let sources = input_sources(&args.files)?;
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
                return Err(Error::usage(format!(
                    "--rate: expected calls per second > 0, found {r}"
                )))
            }
            r => r,
        },
        flush_interval: Duration::from_millis(args.flush_interval.max(1)),
        max_batch_bytes: args.max_batch_bytes as usize,
        max_batch_calls: args.max_batch_calls as usize,
        max_bytes_in_flight: args.max_bytes_in_flight as usize,
        gzip: !args.no_gzip,
    };
    // Open every input before sending anything: a typo fails fast, with nothing half done.
    for path in sources.iter().filter(|p| !input::is_stdin(p)) {
        input::open(path)?;
    }
    let mut client = if args.dry_run {
        None
    } else {
        Some(Client::new(&ctx.settings, ctx.report)?)
    };

    let ledger = Arc::new(Ledger::new(
        names.clone(),
        args.checkpoint.clone(),
        !args.dry_run,
    ));
    let (run, resume) = ledger.start()?;
    let rejects = Arc::new(Rejects::open(args.rejects.as_deref(), resume.is_some())?);
    let stats = Arc::new(Stats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let total_bytes = known_size(&sources);
    let names = Arc::new(names);

    let reader = Reader {
        sources,
        names: names.to_vec(),
        defaults,
        run,
        resume,
        stats: Arc::clone(&stats),
        ledger: Arc::clone(&ledger),
        rejects: Arc::clone(&rejects),
        stop: Arc::clone(&stop),
        check_schema: args.dry_run,
    };

    let started = Instant::now();
    let progress = progress_bar(ctx, total_bytes);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the runtime", &e))?;
    // A few chunks queued keep the packer fed; more would only hold memory.
    let (tx, rx) = mpsc::channel(QUEUED_CHUNKS);
    let reader_thread = std::thread::spawn(move || reader.run(tx));
    let (end, (_, peak, latency)) = runtime.block_on(async {
        let signals = signals::listen();
        let (halt, halted) = watch::channel(false);
        if let Some(client) = client.as_mut() {
            client.halt_on(halted);
        }
        let bar = progress.clone();
        let say = Box::new(move |line: &str| bar.suspend(|| eprintln!("cio: {line}")));
        let deliverer = Arc::new(Deliverer::new(
            client,
            options,
            Arc::clone(&stats),
            Arc::clone(&ledger),
            Arc::clone(&rejects),
            Arc::clone(&names),
            Arc::clone(&stop),
            signals,
            halt,
            say,
        ));
        let ticker = tokio::spawn(tick_progress(
            progress.clone(),
            Arc::clone(&stats),
            Arc::clone(&deliverer),
            ctx.report.verbose > 0 && !ctx.report.quiet,
            total_bytes,
        ));
        let end = Arc::clone(&deliverer).run(rx).await;
        ticker.abort();
        (end, deliverer.concurrency())
    });
    progress.finish_and_clear();

    // The reader stops at once after an interrupt; it may be blocked on a pipe, so don't wait for it then.
    let read_end = match end {
        DeliverEnd::InputDone => reader_thread
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("the reader thread failed".into()))),
        _ => Ok(()),
    };
    let finished = rejects.flush().and_then(|_| ledger.save());
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
    let code = exit_code(&stats, error.as_ref(), interrupted);
    let hidden = rejects.hidden();
    if hidden > 0 {
        ctx.report.warn(format!(
            "{hidden} more rejected line{} not shown; add --rejects FILE to keep every one",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    let pace = Pace {
        elapsed,
        concurrency_peak: peak,
        latency,
    };
    report(
        ctx,
        &stats,
        args.dry_run,
        &pace,
        code,
        error.as_ref(),
        &ledger,
        &names,
    );
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

/// The inputs named, or stdin when it is piped; shared with `cio lint`.
pub fn input_sources(files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !files.is_empty() {
        if files.iter().filter(|p| input::is_stdin(p)).count() > 1 {
            return Err(Error::usage("stdin (-) can be read only once"));
        }
        return Ok(files.to_vec());
    }
    if std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "no input: name NDJSON files, or pipe calls on stdin (cio batch -)",
        ));
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
    apply_extras(&mut extras, extras_args)?;
    Ok(Defaults {
        call_type: call_type.map(str::to_string),
        user_id: identity.user_id.clone(),
        anonymous_id: identity.anonymous_id.clone(),
        extras,
        allow_old_timestamps: false,
        lint: None,
    })
}

/// Total bytes when every input is a plain file (progress can then show an ETA).
fn known_size(sources: &[PathBuf]) -> Option<u64> {
    sources.iter().try_fold(0u64, |total, p| {
        if input::is_stdin(p) {
            return None;
        }
        // A compressed file's size on disk says nothing of how much it holds.
        input::open(p).ok()?.1.map(|size| total + size)
    })
}

fn progress_bar(ctx: &Context, total_bytes: Option<u64>) -> ProgressBar {
    if ctx.report.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    // The position is calls delivered; the length, when the input's size is
    // known, the calls it holds as estimated from what was read so far. So the
    // bar and its ETA follow delivery, not reading.
    let template = if total_bytes.is_some() {
        "{bar:30} {pos}/~{len} delivered {msg} ETA {eta}"
    } else {
        "{spinner} {pos} delivered {msg}"
    };
    ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

async fn tick_progress(
    bar: ProgressBar,
    stats: Arc<Stats>,
    deliverer: Arc<Deliverer>,
    verbose: bool,
    total_bytes: Option<u64>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(150));
    let (mut then, mut delivered_then, mut rate) = (Instant::now(), 0u64, None::<f64>);
    let mut last_said = Instant::now();
    loop {
        tick.tick().await;
        let delivered = Stats::get(&stats.delivered);
        let read = Stats::get(&stats.read);
        let read_bytes = Stats::get(&stats.input_bytes);
        let now = Instant::now();
        let pace = (delivered - delivered_then) as f64 / (now - then).as_secs_f64().max(0.001);
        // Smoothed over about a second: the pace now, not the run's average,
        // which would hide a stalled pipe or a server slowing down.
        let smoothed = rate.map_or(pace, |r| r + 0.2 * (pace - r));
        (then, delivered_then, rate) = (now, delivered, Some(smoothed));
        if let (Some(total), true) = (total_bytes, read_bytes > 0) {
            let estimate = (read as f64 * total as f64 / read_bytes as f64).round() as u64;
            bar.set_length(estimate.max(read));
        }
        bar.set_position(delivered);
        let (limit, _, latency) = deliverer.concurrency();
        bar.set_message(format!(
            "({} MB read, {} rejected, {smoothed:.0} events/s, {limit} in flight)",
            read_bytes / 1_000_000,
            stats.rejected(),
        ));
        if verbose && now - last_said >= Duration::from_secs(2) {
            last_said = now;
            let latency =
                latency.map_or("-".into(), |l| format!("{:.0} ms", l.as_secs_f64() * 1e3));
            bar.suspend(|| {
                eprintln!(
                    "cio: {delivered} delivered, {smoothed:.0} events/s, up to {limit} requests in flight, latency {latency}"
                )
            });
        }
    }
}

/// How the run went on the wire, for the summary.
struct Pace {
    elapsed: Duration,
    /// The most requests in flight the limit allowed.
    concurrency_peak: usize,
    /// The smoothed round trip of requests answered at the first attempt.
    latency: Option<Duration>,
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

#[allow(clippy::too_many_arguments)]
fn report(
    ctx: &Context,
    stats: &Stats,
    dry_run: bool,
    pace: &Pace,
    code: ExitCode,
    error: Option<&Error>,
    ledger: &Ledger,
    names: &[String],
) {
    let g = Stats::get;
    let secs = pace.elapsed.as_secs_f64();
    let latency_ms = pace.latency.map(|l| (l.as_secs_f64() * 1e4).round() / 10.0);
    let delivered = g(&stats.delivered);
    let per_sec = delivered as f64 / secs.max(1e-9);
    // Calls read and not settled: undeliverable, in flight at a stop, or never sent.
    let (owed, _) = ledger.owed();
    let stopped = code == ExitCode::Interrupted || error.is_some();
    // Where a rerun starts: everything before it is done for good.
    let resume_from = (owed > 0 || stopped)
        .then(|| ledger.watermark())
        .and_then(|at| {
            names
                .get(at.source)
                .map(|name| format!("{name}:{}", at.line + 1))
        });
    let skipped = g(&stats.skipped);
    let stripped: Map<String, serde_json::Value> = FOREIGN_FIELDS
        .iter()
        .zip(&stats.stripped)
        .map(|(field, n)| (field.to_string(), json!(g(n))))
        .collect();
    let duplicates = g(&stats.duplicate_ids);
    let duplicate_at = stats
        .duplicate_examples
        .lock()
        .map(|e| e.clone())
        .unwrap_or_default();
    if duplicates > 0 {
        let more = if duplicates > duplicate_at.len() as u64 {
            ", ..."
        } else {
            ""
        };
        ctx.report.warn(format!(
            "{duplicates} {} a messageId of an earlier call in this run, and the server keeps only one of each: {}{more}",
            if duplicates == 1 { "call repeats" } else { "calls repeat" },
            duplicate_at.join(", ")
        ));
    }
    if ctx.report.json {
        let summary = json!({
            "dry_run": dry_run,
            "read": g(&stats.read),
            "delivered": delivered,
            "rejected": stats.rejected(),
            "invalid": g(&stats.invalid),
            "refused": g(&stats.refused),
            "undeliverable": g(&stats.undeliverable),
            "owed": owed,
            "resume_from": resume_from,
            "complete": resume_from.is_none(),
            "blank": g(&stats.blank),
            "skipped": skipped,
            "stripped": stripped,
            "duplicate_message_ids": duplicates,
            "duplicate_message_ids_at": duplicate_at,
            "schema_problems": g(&stats.schema_problems),
            "resumed_past": g(&stats.resumed),
            "resumed_inputs": g(&stats.resumed_inputs),
            "retried": g(&stats.retries),
            "requests": g(&stats.requests),
            "batches": g(&stats.batches),
            "bytes": g(&stats.bytes),
            "elapsed_s": (secs * 1000.0).round() / 1000.0,
            "concurrency_peak": pace.concurrency_peak,
            "latency_ms": latency_ms,
            "events_per_s": per_sec.round(),
            "exit_code": code.code(),
            "error": error.map(|e| e.to_string()),
        });
        crate::output::stdout_line(&summary);
        return;
    }
    let verb = if dry_run {
        "would deliver"
    } else {
        "delivered"
    };
    let mut line = format!(
        "{} read, {delivered} {verb}, {} rejected ({} invalid, {} refused by the server, {} undeliverable)",
        g(&stats.read),
        stats.rejected(),
        g(&stats.invalid),
        g(&stats.refused),
        g(&stats.undeliverable),
    );
    if dry_run {
        let batches = g(&stats.batches);
        let noun = if batches == 1 { "batch" } else { "batches" };
        line += &format!(" in {batches} {noun}, {} bytes", g(&stats.bytes));
    } else {
        line += &format!(
            ", {} retried, {} requests, {secs:.2} s, {per_sec:.0} events/s",
            g(&stats.retries),
            g(&stats.requests)
        );
        if let Some(ms) = latency_ms {
            line += &format!(
                ", up to {} in flight, latency {ms} ms",
                pace.concurrency_peak
            );
        }
    }
    let (lines, inputs) = (g(&stats.resumed), g(&stats.resumed_inputs));
    if lines + inputs > 0 {
        let whole = match inputs {
            0 => String::new(),
            1 => " and 1 whole input".into(),
            n => format!(" and {n} whole inputs"),
        };
        line += &format!(", {lines} lines{whole} skipped as done by the checkpoint");
    }
    if owed > 0 {
        line += &format!(", {owed} owed");
    }
    ctx.report.info(line);
    if g(&stats.schema_problems) > 0 {
        ctx.report.info(format!(
            "{} would not satisfy Customer.io's published schema (each named above)",
            match g(&stats.schema_problems) {
                1 => "1 call".to_string(),
                n => format!("{n} calls"),
            }
        ));
    }
    if skipped > 0 {
        ctx.report.info(format!(
            "{skipped} skipped: delete calls (user deletion), which the batch API has no endpoint for"
        ));
    }
    let stripped: Vec<String> = stripped
        .iter()
        .filter(|(_, n)| n.as_u64() > Some(0))
        .map(|(field, n)| format!("{field} from {n}"))
        .collect();
    if !stripped.is_empty() {
        ctx.report.info(format!(
            "stripped fields of the system the calls came from: {}",
            stripped.join(", ")
        ));
    }
    match resume_from {
        Some(at) => {
            let how = if !ledger.has_checkpoint() {
                "add --checkpoint FILE to be able to resume"
            } else if dry_run {
                "a dry run leaves the checkpoint as it was"
            } else {
                "run the same command again to resume"
            };
            let stop = if stopped { "stopped; " } else { "" };
            ctx.report.info(format!(
                "{stop}everything from {at} on is not yet delivered ({how})"
            ));
        }
        None if g(&stats.read) == 0 && lines + inputs > 0 => ctx
            .report
            .info("nothing left to send: the checkpoint says every line is done"),
        None => {}
    }
}
