//! The progress bar of `cio batch` on a terminal, and the ticker that feeds
//! it (and, with -v, prints the pace every two seconds).

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{
    HumanCount, HumanDuration, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike,
};

use crate::batch::deliver::Deliverer;
use crate::batch::Stats;
use crate::output::{self, Reporter};

/// A bar on stderr when it is a terminal and not `--quiet`; hidden otherwise.
/// Its whole line is `status_line`'s, made to fit the terminal each tick.
pub fn progress_bar(report: Reporter) -> ProgressBar {
    if report.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let target = ProgressDrawTarget::term_like_with_hz(Box::new(Stderr), 20);
    let bar = ProgressBar::with_draw_target(None, target).with_style(
        ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Every line cio prints from now on goes above the bar (see `output`).
    output::show_progress(&bar);
    bar
}

/// stderr as indicatif draws on it, less the spaces it pads the bar's line
/// with to leave the cursor past the terminal's edge: from there the
/// terminal's echo of `^C` wrapped to a line of its own, and the bar, no
/// longer under the cursor, stayed on screen above the summary. The line is
/// kept narrower than the terminal (`status_line`), so the cursor stays on it.
#[derive(Debug)]
struct Stderr;

impl Stderr {
    fn write(&self, text: &str) -> std::io::Result<()> {
        use std::io::Write;
        std::io::stderr().lock().write_all(text.as_bytes())
    }

    fn move_cursor(&self, n: usize, direction: char) -> std::io::Result<()> {
        match n {
            0 => Ok(()),
            n => self.write(&format!("\x1b[{n}{direction}")),
        }
    }
}

impl TermLike for Stderr {
    fn width(&self) -> u16 {
        terminal_width() as u16
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.move_cursor(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.move_cursor(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.move_cursor(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.move_cursor(n, 'D')
    }

    fn write_line(&self, line: &str) -> std::io::Result<()> {
        self.write(&format!("{line}\n"))
    }

    fn write_str(&self, text: &str) -> std::io::Result<()> {
        if !text.is_empty() && text.bytes().all(|b| b == b' ') {
            return Ok(()); // The padding to the terminal's edge.
        }
        self.write(text)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.write("\r\x1b[2K")
    }

    fn flush(&self) -> std::io::Result<()> {
        use std::io::Write;
        std::io::stderr().flush()
    }
}

/// The terminal's columns (80 when it does not say).
fn terminal_width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr()).map_or(80, |(w, _)| usize::from(w.0))
}

/// What the bar shows at one tick.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Status {
    pub delivered: u64,
    /// The calls the input holds, estimated from what was read so far, when
    /// its size is known: the bar and its ETA follow delivery, not reading.
    pub total: Option<u64>,
    pub rejected: u64,
    /// Events delivered per second lately, once there is a rate to tell.
    pub rate: Option<f64>,
    pub in_flight: usize,
    pub read_bytes: u64,
    /// Nothing read yet from stdin, which is a terminal: the user is to type.
    pub waiting_for_stdin: bool,
}

const BAR_WIDTH: usize = 20;

/// The bar's line, fields by importance (delivered, rejected, rate, ETA,
/// in flight, bytes read, the bar itself) as many as fit in `width` columns.
pub fn status_line(status: &Status, width: usize) -> String {
    if status.waiting_for_stdin {
        return "reading stdin (Ctrl-D to end)".into();
    }
    let delivered = match status.total {
        Some(total) => format!(
            "{}/~{} delivered",
            HumanCount(status.delivered),
            HumanCount(total)
        ),
        None => format!("{} delivered", HumanCount(status.delivered)),
    };
    let mut fields = vec![delivered];
    if status.rejected > 0 {
        fields.push(format!("{} rejected", HumanCount(status.rejected)));
    }
    if let Some(rate) = status.rate {
        fields.push(match rate {
            r if r < 10.0 => format!("{r:.1} events/s"),
            r => format!("{} events/s", HumanCount(r.round() as u64)),
        });
        if let (Some(total), true) = (status.total, rate > 0.0) {
            let left = total.saturating_sub(status.delivered) as f64 / rate;
            fields.push(format!(
                "ETA {:#}",
                HumanDuration(Duration::from_secs_f64(left.min(1e7)))
            ));
        }
    }
    fields.push(format!("{} in flight", status.in_flight));
    fields.push(format!("{} MB read", status.read_bytes / 1_000_000));
    // One column is left free: a line as wide as the terminal wraps in some.
    let room = width.saturating_sub(1);
    let mut line = String::new();
    for field in fields {
        let next = if line.is_empty() {
            field
        } else {
            format!("{line}, {field}")
        };
        if next.chars().count() > room && !line.is_empty() {
            break;
        }
        line = next;
    }
    if let Some(total) = status
        .total
        .filter(|_| line.chars().count() + BAR_WIDTH < room)
    {
        let done = (status.delivered as f64 / total.max(1) as f64).min(1.0);
        let filled = (done * BAR_WIDTH as f64).round() as usize;
        line = format!(
            "{}{} {line}",
            "█".repeat(filled),
            "░".repeat(BAR_WIDTH - filled)
        );
    }
    line
}

/// Events per second over the last few seconds: a stalled pipe or a server
/// slowing down shows at once, and a trickle shows as a trickle, not 0.
#[derive(Default)]
struct Rate {
    /// (when, delivered) samples, oldest first, over `RATE_WINDOW`.
    samples: std::collections::VecDeque<(Instant, u64)>,
}

const RATE_WINDOW: Duration = Duration::from_secs(5);

impl Rate {
    fn add(&mut self, now: Instant, delivered: u64) -> Option<f64> {
        self.samples.push_back((now, delivered));
        while self
            .samples
            .front()
            .is_some_and(|&(at, _)| now - at > RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        let &(first_at, first) = self.samples.front()?;
        let seconds = (now - first_at).as_secs_f64();
        // A rate exists once something was delivered over a measurable time.
        (delivered > 0 && seconds >= 0.1).then(|| (delivered - first) as f64 / seconds)
    }
}

/// Updates the bar every 150 ms until aborted.
pub async fn tick_progress(
    bar: ProgressBar,
    deliverer: Arc<Deliverer>,
    verbose: bool,
    total_bytes: Option<u64>,
    stdin_is_terminal: bool,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(150));
    let mut rate = Rate::default();
    let mut last_said = Instant::now();
    let stats = &deliverer.shared.stats;
    loop {
        tick.tick().await;
        let delivered = Stats::get(&stats.delivered);
        let read = Stats::get(&stats.read);
        let read_bytes = Stats::get(&stats.input_bytes);
        let now = Instant::now();
        let status = Status {
            delivered,
            total: total_bytes.filter(|_| read_bytes > 0).map(|total| {
                ((read as f64 * total as f64 / read_bytes as f64).round() as u64).max(read)
            }),
            rejected: stats.rejected(),
            rate: rate.add(now, delivered),
            in_flight: deliverer.in_flight(),
            read_bytes,
            waiting_for_stdin: stdin_is_terminal && read_bytes == 0,
        };
        bar.set_message(status_line(&status, terminal_width()));
        if verbose && now - last_said >= Duration::from_secs(2) {
            last_said = now;
            let (limit, _, latency) = deliverer.concurrency();
            let latency =
                latency.map_or("-".into(), |l| format!("{:.0} ms", l.as_secs_f64() * 1e3));
            let quota = match deliverer.quota_pace() {
                None => String::new(),
                Some((pace, 1)) => format!(", {pace:.0} requests/s (quota)"),
                Some((pace, replays)) => {
                    format!(", {pace:.0} requests/s (quota, shared by {replays} replays)")
                }
            };
            let rate = status.rate.map_or(0.0, |r| r);
            output::note(format_args!(
                "{delivered} delivered, {rate:.0} events/s, {} in flight (up to {limit}), latency {latency}{quota}",
                output::count(status.in_flight as u64, "request")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy() -> Status {
        Status {
            delivered: 123_456,
            total: Some(1_000_000),
            rejected: 12,
            rate: Some(345_678.4),
            in_flight: 31,
            read_bytes: 80_000_000,
            waiting_for_stdin: false,
        }
    }

    #[test]
    fn the_line_fits_the_terminal_dropping_the_least_important_first() {
        let wide = status_line(&busy(), 200);
        assert_eq!(
            wide,
            "██░░░░░░░░░░░░░░░░░░ 123,456/~1,000,000 delivered, 12 rejected, 345,678 events/s, ETA 3s, 31 in flight, 80 MB read"
        );
        let at_80 = status_line(&busy(), 80);
        assert_eq!(
            at_80,
            "123,456/~1,000,000 delivered, 12 rejected, 345,678 events/s, ETA 3s"
        );
        for width in [20, 40, 60, 80, 100, 120, 140] {
            let line = status_line(&busy(), width);
            assert!(line.chars().count() < width.max(31), "{width}: {line}");
            assert!(line.contains("delivered"), "{width}: {line}");
        }
    }

    #[test]
    fn a_trickle_has_a_rate_and_stdin_on_a_terminal_says_how_to_end() {
        let mut rate = Rate::default();
        let start = Instant::now();
        assert_eq!(rate.add(start, 0), None, "no rate before a delivery");
        assert_eq!(rate.add(start + Duration::from_secs(1), 0), None);
        let r = rate.add(start + Duration::from_secs(2), 1).unwrap();
        assert!((r - 0.5).abs() < 1e-9, "{r}");
        let trickle = Status {
            rate: Some(r),
            total: None,
            ..busy()
        };
        assert!(status_line(&trickle, 200).contains("0.5 events/s"));
        let waiting = Status {
            waiting_for_stdin: true,
            ..Status::default()
        };
        assert_eq!(status_line(&waiting, 80), "reading stdin (Ctrl-D to end)");
    }
}
