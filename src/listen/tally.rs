//! What the listener counts, for the summary it prints when it stops and for
//! its exit code: calls per type and per event, invalid calls, refused requests.

use std::collections::BTreeMap;

use serde_json::{json, Value};

#[derive(Debug, Default)]
pub struct Tally {
    pub requests: u64,
    /// Calls received, valid or not (what `--exit-after` counts).
    pub calls: u64,
    pub invalid: u64,
    pub recorded: u64,
    /// Calls the upstream took (`--forward`).
    pub forwarded: u64,
    /// Requests refused whole, by status (401, 408, 413, 400 malformed, ...).
    pub refused: BTreeMap<u16, u64>,
    /// Requests answered with an injected fault.
    pub faults: u64,
    pub by_type: BTreeMap<String, u64>,
    /// Lint findings on valid calls (`--lint`).
    pub lint_errors: u64,
    pub lint_warnings: u64,
    /// `--strict`: lint errors fail the run as invalid calls do.
    pub lint_strict: bool,
    /// `track` events and `page`/`screen` names, by type.
    pub by_name: BTreeMap<(String, String), u64>,
}

impl Tally {
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }

    /// Whether anything the listener saw would have been lost or refused by the API.
    pub fn failed(&self) -> bool {
        self.invalid > 0 || self.refused_total() > 0 || (self.lint_strict && self.lint_errors > 0)
    }

    pub fn count(&mut self, call_type: &str, name: Option<&str>) {
        self.calls += 1;
        *self.by_type.entry(call_type.to_string()).or_default() += 1;
        if let Some(name) = name {
            *self
                .by_name
                .entry((call_type.to_string(), name.to_string()))
                .or_default() += 1;
        }
    }

    /// The summary for people, a few lines.
    pub fn lines(&self, recording: Option<&str>) -> Vec<String> {
        let types: Vec<String> = self
            .by_type
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        let mut lines = vec![format!(
            "{} call{} in {} request{}{}; {} invalid; {} request{} refused{}",
            self.calls,
            plural(self.calls),
            self.requests,
            plural(self.requests),
            if types.is_empty() {
                String::new()
            } else {
                format!(" ({})", types.join(", "))
            },
            self.invalid,
            self.refused_total(),
            plural(self.refused_total()),
            if self.refused.is_empty() {
                String::new()
            } else {
                let by: Vec<String> = self
                    .refused
                    .iter()
                    .map(|(s, n)| format!("{s}: {n}"))
                    .collect();
                format!(" ({})", by.join(", "))
            },
        )];
        let mut current = "";
        let mut names = Vec::new();
        let flush = |t: &str, names: &mut Vec<String>, lines: &mut Vec<String>| {
            if !names.is_empty() {
                lines.push(format!("  {t}: {}", names.join(", ")));
                names.clear();
            }
        };
        for ((t, name), n) in &self.by_name {
            if t != current {
                flush(current, &mut names, &mut lines);
                current = t;
            }
            names.push(format!("{} {n}", crate::output::sanitize(name, 60)));
        }
        flush(current, &mut names, &mut lines);
        if self.lint_errors + self.lint_warnings > 0 {
            lines.push(format!(
                "lint: {} error{}, {} warning{}",
                self.lint_errors,
                plural(self.lint_errors),
                self.lint_warnings,
                plural(self.lint_warnings)
            ));
        }
        if self.faults > 0 {
            lines.push(format!(
                "{} request{} answered with an injected fault",
                self.faults,
                plural(self.faults)
            ));
        }
        if self.forwarded > 0 {
            lines.push(format!(
                "forwarded {} call{}",
                self.forwarded,
                plural(self.forwarded)
            ));
        }
        if let Some(file) = recording {
            lines.push(format!(
                "recorded {} call{} to {file}",
                self.recorded,
                plural(self.recorded)
            ));
        }
        lines
    }

    pub fn to_json(&self) -> Value {
        let mut names: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        for ((t, name), n) in &self.by_name {
            names.entry(t).or_default().insert(name, *n);
        }
        json!({
            "ok": !self.failed(),
            "requests": self.requests,
            "calls": self.calls,
            "invalid": self.invalid,
            "recorded": self.recorded,
            "forwarded": self.forwarded,
            "refused": self.refused.iter().map(|(s, n)| (s.to_string(), *n)).collect::<BTreeMap<_, _>>(),
            "faults": self.faults,
            "lint_errors": self.lint_errors,
            "lint_warnings": self.lint_warnings,
            "types": self.by_type,
            "names": names,
        })
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines() {
        let mut t = Tally {
            requests: 2,
            ..Tally::default()
        };
        t.count("track", Some("login"));
        t.count("track", Some("login"));
        t.count("identify", None);
        t.invalid = 1;
        *t.refused.entry(401).or_default() += 1;
        t.recorded = 2;
        let lines = t.lines(Some("out.ndjson"));
        assert_eq!(
            lines,
            vec![
                "3 calls in 2 requests (identify 1, track 2); 1 invalid; 1 request refused (401: 1)",
                "  track: login 2",
                "recorded 2 calls to out.ndjson",
            ]
        );
        assert!(t.failed());
        assert_eq!(t.to_json()["names"]["track"]["login"], 2);
    }
}
