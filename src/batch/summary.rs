//! The end of a batch run: one snapshot of the counters, which is both the
//! `--json` summary (its fields, in this order, are the object's keys) and the
//! source of the human lines, so the two cannot tell different stories.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::batch::ledger::Ledger;
use crate::batch::Stats;
use crate::envelope::FOREIGN_FIELDS;
use crate::error::{Error, ExitCode};
use crate::output::count;

/// How the run went on the wire, for the summary.
pub struct Pace {
    pub elapsed: Duration,
    /// The most requests in flight the limit allowed.
    pub concurrency_peak: usize,
    /// The smoothed round trip of requests answered at the first attempt.
    pub latency: Option<Duration>,
    /// Requests per second the replay kept to at the end, once 429s showed a quota.
    pub quota_pace: Option<f64>,
}

/// The run's outcome, taken once after it ended.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub dry_run: bool,
    pub read: u64,
    pub delivered: u64,
    pub rejected: u64,
    pub invalid: u64,
    pub refused: u64,
    pub undeliverable: u64,
    /// Calls read and not settled: undeliverable, in flight at a stop, or never sent.
    pub owed: u64,
    /// Where a rerun starts (`NAME:LINE`): everything before it is done for good.
    pub resume_from: Option<String>,
    pub complete: bool,
    /// The last input's last line (`NAME:LINE`), left for the next run: no
    /// newline and not whole JSON yet, so perhaps still being written.
    pub unfinished: Option<String>,
    pub blank: u64,
    pub skipped: u64,
    /// Calls each foreign field was stripped from, in `FOREIGN_FIELDS` order.
    pub stripped: Map<String, Value>,
    #[serde(rename = "duplicate_message_ids")]
    pub duplicates: u64,
    #[serde(rename = "duplicate_message_ids_at")]
    pub duplicates_at: Vec<String>,
    pub schema_problems: u64,
    pub resumed_past: u64,
    pub resumed_inputs: u64,
    pub retried: u64,
    pub requests: u64,
    pub batches: u64,
    pub bytes: u64,
    pub elapsed_s: f64,
    pub concurrency_peak: usize,
    pub latency_ms: Option<f64>,
    pub paced_requests_per_s: Option<f64>,
    pub events_per_s: f64,
    pub exit_code: i32,
    pub error: Option<String>,
    // Not in the JSON: what only the human lines need, unrounded.
    #[serde(skip)]
    secs: f64,
    #[serde(skip)]
    per_sec: f64,
    /// Interrupted, or ended by an error: the run did not get to the end.
    #[serde(skip)]
    stopped: bool,
    #[serde(skip)]
    has_checkpoint: bool,
}

impl Summary {
    pub fn new(
        stats: &Stats,
        ledger: &Ledger,
        names: &[String],
        dry_run: bool,
        pace: &Pace,
        code: ExitCode,
        error: Option<&Error>,
    ) -> Summary {
        let g = Stats::get;
        let secs = pace.elapsed.as_secs_f64();
        let delivered = g(&stats.delivered);
        let per_sec = delivered as f64 / secs.max(1e-9);
        let (owed, _) = ledger.owed();
        let stopped = code == ExitCode::Interrupted || error.is_some();
        let resume_from = (owed > 0 || stopped)
            .then(|| ledger.watermark())
            .and_then(|at| {
                names
                    .get(at.source)
                    .map(|name| format!("{name}:{}", at.line + 1))
            });
        Summary {
            dry_run,
            read: g(&stats.read),
            delivered,
            rejected: stats.rejected(),
            invalid: g(&stats.invalid),
            refused: g(&stats.refused),
            undeliverable: g(&stats.undeliverable),
            owed,
            complete: resume_from.is_none(),
            resume_from,
            unfinished: match g(&stats.unfinished) {
                0 => None,
                line => names.last().map(|name| format!("{name}:{line}")),
            },
            blank: g(&stats.blank),
            skipped: g(&stats.skipped),
            stripped: FOREIGN_FIELDS
                .iter()
                .zip(&stats.stripped)
                .map(|(field, n)| (field.to_string(), Value::from(g(n))))
                .collect(),
            duplicates: g(&stats.duplicate_ids),
            duplicates_at: stats
                .duplicate_examples
                .lock()
                .map(|e| e.clone())
                .unwrap_or_default(),
            schema_problems: g(&stats.schema_problems),
            resumed_past: g(&stats.resumed),
            resumed_inputs: g(&stats.resumed_inputs),
            retried: g(&stats.retries),
            requests: g(&stats.requests),
            batches: g(&stats.batches),
            bytes: g(&stats.bytes),
            elapsed_s: (secs * 1000.0).round() / 1000.0,
            concurrency_peak: pace.concurrency_peak,
            latency_ms: pace.latency.map(|l| (l.as_secs_f64() * 1e4).round() / 10.0),
            paced_requests_per_s: pace.quota_pace.map(|p| (p * 10.0).round() / 10.0),
            events_per_s: per_sec.round(),
            exit_code: code.code(),
            error: error.map(|e| e.to_string()),
            secs,
            per_sec,
            stopped,
            has_checkpoint: ledger.has_checkpoint(),
        }
    }

    /// The warning about repeated messageIds, shown in both modes (the
    /// server keeps one call of each, so the others are lost silently).
    pub fn duplicate_warning(&self) -> Option<String> {
        let duplicates = self.duplicates;
        if duplicates == 0 {
            return None;
        }
        let more = if duplicates > self.duplicates_at.len() as u64 {
            ", ..."
        } else {
            ""
        };
        Some(format!(
            "{duplicates} {} a messageId of an earlier call in this run, and the server keeps only one of each: {}{more}",
            if duplicates == 1 { "call repeats" } else { "calls repeat" },
            self.duplicates_at.join(", ")
        ))
    }

    /// The warning about a last line left for the next run, shown in both
    /// modes: it is neither sent nor rejected by this run.
    pub fn unfinished_warning(&self) -> Option<String> {
        self.unfinished.as_ref().map(|at| {
            format!("{at}: no newline at its end and not whole JSON, so perhaps still being written: left for the next run, which reads it whole")
        })
    }

    /// The summary as people read it: the counts line, then what needs saying.
    pub fn human_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let verb = if self.dry_run {
            "would deliver"
        } else {
            "delivered"
        };
        let mut line = format!(
            "{} read, {} {verb}, {} rejected ({} invalid, {} refused by the server, {} undeliverable)",
            self.read, self.delivered, self.rejected, self.invalid, self.refused, self.undeliverable,
        );
        if self.dry_run {
            let batches = match self.batches {
                1 => "1 batch".to_string(),
                n => format!("{n} batches"),
            };
            line += &format!(" in {batches}, {} bytes", self.bytes);
        } else {
            line += &format!(
                ", {} retried, {}, {:.2} s, {:.0} events/s",
                self.retried,
                count(self.requests, "request"),
                self.secs,
                self.per_sec
            );
            if let Some(ms) = self.latency_ms {
                line += &format!(
                    ", up to {} in flight, latency {ms} ms",
                    self.concurrency_peak
                );
            }
            if let Some(pace) = self.paced_requests_per_s {
                line += &format!(", paced to {pace:.0} requests/s after 429s");
            }
        }
        let (resumed, inputs) = (self.resumed_past, self.resumed_inputs);
        if resumed + inputs > 0 {
            let whole = match inputs {
                0 => String::new(),
                n => format!(" and {}", count(n, "whole input")),
            };
            line += &format!(
                ", {}{whole} skipped as done by the checkpoint",
                count(resumed, "line")
            );
        }
        if self.owed > 0 {
            line += &format!(", {} owed", self.owed);
        }
        lines.push(line);
        if self.schema_problems > 0 {
            lines.push(format!(
                "{} would not satisfy Customer.io's published schema (each named above)",
                count(self.schema_problems, "call")
            ));
        }
        if self.skipped > 0 {
            lines.push(format!(
                "{} skipped: delete calls (user deletion), which the batch API has no endpoint for",
                self.skipped
            ));
        }
        let stripped: Vec<String> = self
            .stripped
            .iter()
            .filter(|(_, n)| n.as_u64() > Some(0))
            .map(|(field, n)| format!("{field} from {n}"))
            .collect();
        if !stripped.is_empty() {
            lines.push(format!(
                "stripped fields of the system the calls came from: {}",
                stripped.join(", ")
            ));
        }
        match &self.resume_from {
            Some(at) => {
                let how = if !self.has_checkpoint {
                    "add --checkpoint FILE to be able to resume"
                } else if self.dry_run {
                    "a dry run leaves the checkpoint as it was"
                } else {
                    "run the same command again to resume"
                };
                let stop = if self.stopped { "stopped; " } else { "" };
                lines.push(format!(
                    "{stop}everything from {at} on is not yet delivered ({how})"
                ));
            }
            None if self.unfinished.is_some() => {}
            None if self.read == 0 && resumed + inputs > 0 => {
                lines.push("nothing left to send: the checkpoint says every line is done".into())
            }
            None => {}
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    fn summary(stats: &Stats, dry_run: bool, code: ExitCode) -> Summary {
        paced_summary(stats, dry_run, code, None)
    }

    fn paced_summary(
        stats: &Stats,
        dry_run: bool,
        code: ExitCode,
        quota_pace: Option<f64>,
    ) -> Summary {
        let ledger = Ledger::new(vec!["in.ndjson".into()], None, false);
        let pace = Pace {
            elapsed: Duration::from_millis(1500),
            concurrency_peak: 4,
            latency: Some(Duration::from_micros(12_340)),
            quota_pace,
        };
        Summary::new(
            stats,
            &ledger,
            &["in.ndjson".to_string()],
            dry_run,
            &pace,
            code,
            None,
        )
    }

    #[test]
    fn json_keys_are_the_documented_ones_in_order() {
        let value = serde_json::to_value(summary(&Stats::default(), false, ExitCode::Ok)).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "dry_run",
                "read",
                "delivered",
                "rejected",
                "invalid",
                "refused",
                "undeliverable",
                "owed",
                "resume_from",
                "complete",
                "unfinished",
                "blank",
                "skipped",
                "stripped",
                "duplicate_message_ids",
                "duplicate_message_ids_at",
                "schema_problems",
                "resumed_past",
                "resumed_inputs",
                "retried",
                "requests",
                "batches",
                "bytes",
                "elapsed_s",
                "concurrency_peak",
                "latency_ms",
                "paced_requests_per_s",
                "events_per_s",
                "exit_code",
                "error",
            ]
        );
        assert_eq!(value["elapsed_s"], serde_json::json!(1.5));
        assert_eq!(value["latency_ms"], serde_json::json!(12.3));
        assert_eq!(value["complete"], serde_json::json!(true));
    }

    #[test]
    fn the_human_line_says_what_the_json_says() {
        let stats = Stats::default();
        stats.read.store(3, Ordering::Relaxed);
        stats.delivered.store(3, Ordering::Relaxed);
        stats.requests.store(1, Ordering::Relaxed);
        let lines = summary(&stats, false, ExitCode::Ok).human_lines();
        assert_eq!(
            lines,
            ["3 read, 3 delivered, 0 rejected (0 invalid, 0 refused by the server, 0 undeliverable), 0 retried, 1 request, 1.50 s, 2 events/s, up to 4 in flight, latency 12.3 ms"]
        );
        let paced = paced_summary(&stats, false, ExitCode::Ok, Some(97.96));
        assert!(
            paced.human_lines()[0].ends_with(", paced to 98 requests/s after 429s"),
            "{:?}",
            paced.human_lines()
        );
        assert_eq!(
            serde_json::to_value(&paced).unwrap()["paced_requests_per_s"],
            serde_json::json!(98.0)
        );
        stats.batches.store(1, Ordering::Relaxed);
        stats.bytes.store(99, Ordering::Relaxed);
        let lines = summary(&stats, true, ExitCode::Ok).human_lines();
        assert_eq!(
            lines,
            ["3 read, 3 would deliver, 0 rejected (0 invalid, 0 refused by the server, 0 undeliverable) in 1 batch, 99 bytes"]
        );
    }
}
