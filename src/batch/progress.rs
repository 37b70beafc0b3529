//! The progress bar of `cio batch` on a terminal, and the ticker that feeds
//! it (and, with -v, prints the pace every two seconds).

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::batch::deliver::Deliverer;
use crate::batch::Stats;
use crate::output::{self, Reporter};

/// A bar on stderr when it is a terminal and not `--quiet`; hidden otherwise.
pub fn progress_bar(report: Reporter, total_bytes: Option<u64>) -> ProgressBar {
    if report.quiet || !std::io::stderr().is_terminal() {
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
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Every line cio prints from now on goes above the bar (see `output`).
    output::show_progress(&bar);
    bar
}

/// Updates the bar every 150 ms until aborted.
pub async fn tick_progress(
    bar: ProgressBar,
    deliverer: Arc<Deliverer>,
    verbose: bool,
    total_bytes: Option<u64>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(150));
    let (mut then, mut delivered_then, mut rate) = (Instant::now(), 0u64, None::<f64>);
    let mut last_said = Instant::now();
    let stats = &deliverer.shared.stats;
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
            let quota = match deliverer.quota_pace() {
                None => String::new(),
                Some((pace, 1)) => format!(", {pace:.0} requests/s (quota)"),
                Some((pace, replays)) => {
                    format!(", {pace:.0} requests/s (quota, shared by {replays} replays)")
                }
            };
            output::note(format_args!(
                "{delivered} delivered, {smoothed:.0} events/s, up to {} in flight, latency {latency}{quota}",
                output::count(limit as u64, "request")
            ));
        }
    }
}
