//! What cio prints on stderr (messages for people) and the helpers that keep
//! text from outside safe to print. Machine output goes to stdout elsewhere.

use std::fmt::Display;

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
            eprintln!("cio: {msg}");
        }
    }

    /// Something the user should know that does not stop the work.
    pub fn warn(&self, msg: impl Display) {
        if !self.quiet {
            eprintln!("cio: warning: {msg}");
        }
    }

    /// Plain information for people (summaries); silent under `-q`.
    pub fn info(&self, msg: impl Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// Errors always print, one line.
    pub fn error(&self, msg: impl Display) {
        eprintln!("cio: error: {}", strip_to_one_line(&msg.to_string()));
    }
}

/// Writes one line of machine output to stdout. A reader that went away
/// (`cio ... | head -1`) is not an error worth a message, let alone a panic.
pub fn stdout_line(text: impl Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|_| out.flush());
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
}
