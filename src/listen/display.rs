//! What the listener shows: one line per call (time, type, event or name,
//! identity, size, findings), the whole call with `-v`, one line per refused
//! request. Colour only on a terminal and never with `NO_COLOR`.
//!
//! Findings are a list so that other checks (a linter, say) can add theirs to
//! the same line without changing how it is drawn.

use std::io::Write;

use serde_json::{Map, Value};

use crate::output::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// Something to say about a call.
#[derive(Debug, Clone)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Display {
    pub color: bool,
    pub verbose: bool,
    pub quiet: bool,
}

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl Display {
    fn paint(&self, colour: &str, text: &str) -> String {
        if self.color {
            format!("{colour}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// `15:01:30.212  track     Product Added         user u1          412 B`
    pub fn call(&self, time: &str, call: &Map<String, Value>, bytes: usize, findings: &[Finding]) {
        if self.quiet {
            return;
        }
        let call_type = call.get("type").and_then(Value::as_str).unwrap_or("?");
        let mut line = format!(
            "{}  {}  {:<24}  {:<24}  {:>8}",
            self.paint(DIM, time),
            self.paint(CYAN, &format!("{:<8}", sanitize(call_type, 8))),
            label(call),
            identity(call),
            size(bytes),
        );
        for finding in findings {
            let (colour, tag) = match finding.level {
                Level::Error => (RED, "error"),
                Level::Warning => (YELLOW, "warning"),
            };
            line.push_str("  ");
            line.push_str(&self.paint(colour, &format!("{tag}: {}", sanitize(&finding.text, 200))));
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        if self.verbose {
            if let Ok(pretty) = serde_json::to_string_pretty(call) {
                for l in pretty.lines() {
                    let _ = writeln!(out, "    {}", strip_controls(l));
                }
            }
        }
        let _ = out.flush();
    }

    /// A request answered without taking its calls: `15:01:31.002  401  POST /v1/track  wrong write key`.
    pub fn refused(&self, time: &str, status: u16, method: &str, path: &str, reason: &str) {
        if self.quiet {
            return;
        }
        let colour = if status >= 500 || status == 200 {
            YELLOW
        } else {
            RED
        };
        let text = format!(
            "{}  {}  {} {}  {}",
            self.paint(DIM, time),
            self.paint(colour, &status.to_string()),
            sanitize(method, 10),
            sanitize(path, 80),
            self.paint(colour, &sanitize(reason, 300)),
        );
        crate::output::stdout_line(text);
    }
}

/// What the call is about: the event, the page or screen name, the group.
fn label(call: &Map<String, Value>) -> String {
    let text = |k: &str| call.get(k).and_then(Value::as_str).map(str::to_string);
    let shown = match call.get("type").and_then(Value::as_str) {
        Some("track") => text("event"),
        Some("page") | Some("screen") => text("name").or_else(|| {
            call.get("properties")
                .and_then(|p| p.get("url"))
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
        Some("group") => text("groupId").map(|g| format!("group {g}")),
        Some("alias") => text("previousId").map(|p| format!("from {p}")),
        _ => None,
    };
    sanitize(&shown.unwrap_or_else(|| "-".into()), 40)
}

/// Who: `user u1`, or `anon 23adfd82-…`.
fn identity(call: &Map<String, Value>) -> String {
    let text = |k: &str| call.get(k).and_then(Value::as_str);
    let shown = match (text("userId"), text("anonymousId")) {
        (Some(u), _) => format!("user {u}"),
        (None, Some(a)) => format!("anon {a}"),
        (None, None) => "-".into(),
    };
    sanitize(&shown, 40)
}

fn size(bytes: usize) -> String {
    if bytes < 10_000 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1000.0)
    }
}

/// JSON escapes control characters already; bidi overrides are not control characters.
fn strip_controls(line: &str) -> String {
    line.chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\x1b'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_and_identities() {
        let call = json!({"type":"track","event":"Product\x1b[31m Added","userId":"u1"});
        let call = call.as_object().unwrap();
        assert_eq!(label(call), "Product[31m Added");
        assert_eq!(identity(call), "user u1");
        let page = json!({"type":"page","anonymousId":"a","properties":{"url":"https://x/"}});
        assert_eq!(label(page.as_object().unwrap()), "https://x/");
        assert_eq!(identity(page.as_object().unwrap()), "anon a");
        assert_eq!(size(412), "412 B");
        let on = Display {
            color: true,
            verbose: false,
            quiet: false,
        };
        assert_eq!(on.paint(RED, "x"), "\x1b[31mx\x1b[0m");
        let off = Display { color: false, ..on };
        assert_eq!(off.paint(RED, "x"), "x");
        assert_eq!(size(31_500), "31.5 KB");
    }
}
