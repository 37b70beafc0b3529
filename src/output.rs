//! Everything cio says on stderr (messages for people, human and `--json`
//! runs alike) goes through this module, and so does what it writes on
//! stdout, so that output that could not be written is reported once, at the
//! end, whichever command wrote it. It knows whether a progress bar is drawn and
//! suspends it to print, so no line is ever drawn over the bar. Also the
//! helpers that keep text from outside safe to print, and the small wording
//! helpers ("1 request", "an alias call") every message uses.

use std::fmt::Display;
use std::io::Write;
use std::sync::Mutex;

use indicatif::ProgressBar;

use crate::error::{Error, ExitCode};

/// The progress bar drawn on stderr now, if any.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// From now on, lines go out through `bar` (suspended, then redrawn).
pub fn show_progress(bar: &ProgressBar) {
    *BAR.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
}

/// Clears the bar from the terminal; lines go straight to stderr again.
pub fn end_progress() {
    if let Some(bar) = BAR.lock().unwrap_or_else(|e| e.into_inner()).take() {
        bar.finish_and_clear();
    }
}

/// Writes `text` (one line or several) to stderr, above the progress bar when
/// one is drawn. A stderr that went away is no reason to fail.
fn stderr_text(text: &str) {
    let bar = BAR.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let write = || {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
    };
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

fn stderr_line(text: impl Display) {
    stderr_text(&format!("{text}\n"));
}

/// A line about the work in hand that prints whatever the verbosity (a
/// rejected line, a dry run's schema finding): `cio: MSG`.
pub fn note(msg: impl Display) {
    stderr_line(format_args!("cio: {msg}"));
}

/// clap's usage errors, already laid out over several lines.
pub fn usage_text(text: &str) {
    stderr_text(text);
}

/// The user's choice of verbosity, shared by every part that talks to stderr.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reporter {
    pub quiet: bool,
    pub verbose: u8,
    pub json: bool,
}

impl Reporter {
    /// `-v` detail: requests, timings, retries.
    pub fn detail(&self, msg: impl Display) {
        if self.verbose > 0 && !self.quiet {
            note(msg);
        }
    }

    /// Something the user should know that does not stop the work.
    pub fn warn(&self, msg: impl Display) {
        if !self.quiet {
            stderr_line(format_args!("cio: warning: {msg}"));
        }
    }

    /// Plain information for people (summaries); silent under `-q`.
    pub fn info(&self, msg: impl Display) {
        if !self.quiet {
            stderr_line(msg);
        }
    }

    /// Errors always print, one line.
    pub fn error(&self, msg: impl Display) {
        stderr_line(format_args!(
            "cio: error: {}",
            strip_to_one_line(&msg.to_string())
        ));
    }

    /// The error that ends the run: its line on stderr and, with `--json`, the
    /// same message as an object on stdout for scripts.
    pub fn failure(&self, err: &Error, code: ExitCode) {
        self.error(err);
        if self.json {
            stdout_line(serde_json::json!({
                "ok": false,
                "error": strip_to_one_line(&err.to_string()),
                "exit_code": code.code(),
            }));
        }
    }
}

/// "1 request", "2 requests": a count and its noun, made plural by an `s`.
pub fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// "a track", "an alias": the indefinite article a word takes (by its first
/// letter, which is right for every word cio puts after it).
pub fn a(word: impl Display) -> String {
    let word = word.to_string();
    let vowel = word
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {word}", if vowel { "an" } else { "a" })
}

/// Writes one line of machine output to stdout (see [`stdout_bytes`]).
pub fn stdout_line(text: impl Display) {
    stdout_bytes(format!("{text}\n").as_bytes());
}

/// Writes machine output to stdout, flushed. A reader that went away (`cio
/// ... | head -1`) is not an error worth a message, let alone a panic; any
/// other failure (a full disk, `> /dev/full`) means output is lost, and is
/// kept for [`stdout_outcome`] to report once the work is done.
pub fn stdout_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    stdout_written(out.write_all(bytes).and_then(|_| out.flush()));
}

/// The first write to stdout that failed other than on a closed pipe.
static STDOUT_FAILED: Mutex<Option<std::io::Error>> = Mutex::new(None);

/// Keeps the outcome of a write to stdout made elsewhere (a buffered writer of
/// its own) for [`stdout_outcome`].
pub fn stdout_written(result: std::io::Result<()>) {
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            STDOUT_FAILED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
        }
    }
}

/// The exit code once stdout is accounted for. Output that could not be
/// written is an error of its own (`cannot write to stdout: …`): a run that
/// otherwise succeeded exits 1, as for any other I/O failure, so a script
/// never takes lost output for a result. A run that failed already keeps its
/// own code, which says what happened to the calls (owed, refused, ...).
pub fn stdout_outcome(report: &Reporter, code: ExitCode) -> ExitCode {
    stdout_written(std::io::stdout().lock().flush());
    let failed = STDOUT_FAILED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    match failed {
        None => code,
        Some(e) => {
            report.error(Error::io("cannot write to stdout", &e));
            match code {
                ExitCode::Ok => ExitCode::Failure,
                code => code,
            }
        }
    }
}

/// Makes server-sent or user-given text safe for a terminal: control characters
/// (escape sequences included) are dropped, whitespace runs become one space,
/// and the result is cut at `max` characters.
pub fn sanitize(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let mut out = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > max {
        out = out.chars().take(max).collect::<String>() + "…";
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Error messages are one line, whatever went into them: control characters are
/// dropped (the opposite of `items`, which shows them escaped in its own messages).
pub fn strip_to_one_line(text: &str) -> String {
    sanitize(text, 2000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_escapes_and_newlines() {
        assert_eq!(
            sanitize("bad\x1b[31m red\x1b[0m\nnext\tline", 100),
            "bad[31m red[0m next line"
        );
        assert_eq!(sanitize("abcdef", 3), "abc…");
        assert_eq!(sanitize("a\u{202E}b", 10), "ab");
    }

    /// A terminal that logs what the bar does to it.
    #[derive(Debug, Clone, Default)]
    struct Screen(std::sync::Arc<Mutex<Vec<String>>>);

    impl Screen {
        fn log(&self, op: String) -> std::io::Result<()> {
            self.0.lock().unwrap().push(op);
            Ok(())
        }
        fn ops(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("up {n}"))
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("down {n}"))
        }
        fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("right {n}"))
        }
        fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("left {n}"))
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.log(format!("line {s}"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.log(format!("str {s}"))
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.log("clear".into())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_go_above_a_drawn_bar_which_is_cleared_first_and_drawn_again() {
        let screen = Screen::default();
        let bar = ProgressBar::with_draw_target(
            Some(10),
            indicatif::ProgressDrawTarget::term_like(Box::new(screen.clone())),
        )
        .with_style(indicatif::ProgressStyle::with_template("{pos}/{len} delivered").unwrap());
        bar.set_position(3);
        bar.tick();
        let drawn = screen.ops().len();
        assert!(drawn > 0, "the bar is drawn");

        // Before the bar is shown to output, a line leaves it alone (and would tear it).
        note("a line before");
        assert_eq!(screen.ops().len(), drawn);

        show_progress(&bar);
        note("a rejected line");
        let ops = screen.ops()[drawn..].to_vec();
        let cleared = ops.iter().position(|op| op == "clear");
        let redrawn = ops.iter().rposition(|op| op.contains("3/10 delivered"));
        assert!(
            matches!((cleared, redrawn), (Some(c), Some(r)) if c < r),
            "the bar is cleared for the line, then drawn again: {ops:?}"
        );

        end_progress();
        let after = screen.ops().len();
        note("a line after");
        assert_eq!(screen.ops().len(), after, "the bar is gone from output");
    }

    #[test]
    fn counts_and_articles() {
        assert_eq!(count(1, "request"), "1 request");
        assert_eq!(count(0, "request"), "0 requests");
        assert_eq!(count(2, "call"), "2 calls");
        assert_eq!(a("alias"), "an alias");
        assert_eq!(a("identify"), "an identify");
        assert_eq!(a("track"), "a track");
    }
}
