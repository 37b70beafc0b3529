//! `cio ping`: which profile, endpoint and key are in use, and whether they
//! work, step by step, before the first real call. It sends the least that
//! proves the key: a batch of zero calls, which records nothing. Only with
//! `--send-event` does it send a real (tagged) track call.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{Client, Encoding};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::stdout_line;

/// The body of the check: a valid batch with nothing in it.
pub const EMPTY_BATCH: &str = r#"{"batch":[]}"#;

/// One line of the report.
struct Step {
    name: &'static str,
    ok: bool,
    /// How long it took, for the checks that are timed.
    ms: Option<f64>,
    text: String,
}

struct Report<'a> {
    ctx: &'a Context,
    steps: Vec<Step>,
    /// The check under way: the one an error belongs to.
    now: &'static str,
}

impl Report<'_> {
    fn step(&mut self, name: &'static str, text: String) {
        self.record(name, None, text, "");
    }

    /// A timed check: shown as `{text} (N ms){then}`; its message is both.
    fn timed(&mut self, name: &'static str, took: Duration, text: String, then: &str) {
        self.record(name, Some(took), text, then);
    }

    fn record(&mut self, name: &'static str, took: Option<Duration>, text: String, then: &str) {
        let ms = took.map(|d| d.as_secs_f64() * 1000.0);
        if !self.ctx.report.json && !self.ctx.report.quiet {
            let took = ms.map_or(String::new(), |ms| format!(" ({ms:.1} ms)"));
            stdout_line(format_args!("{name:<9} {text}{took}{then}"));
        }
        self.steps.push(Step {
            name,
            ok: true,
            ms,
            text: format!("{text}{then}"),
        });
    }

    /// Ends the report: with `--json`, every check done, the failed one last
    /// (`"ok": false` and its message), as one object; returns `result`.
    fn finish(mut self, result: Result<()>) -> Result<()> {
        if !self.ctx.report.json {
            return result;
        }
        let mut report = json!({"ok": result.is_ok()});
        if let Err(e) = &result {
            self.steps.push(Step {
                name: self.now,
                ok: false,
                ms: None,
                text: e.to_string(),
            });
            report["error"] = json!(e.to_string());
            report["exit_code"] = json!(e.exit_code().code());
        }
        let checks: serde_json::Map<String, Value> = (self.steps.iter())
            .map(|s| {
                let check = json!({"ok": s.ok, "ms": s.ms, "message": s.text});
                (s.name.to_string(), check)
            })
            .collect();
        report["checks"] = Value::Object(checks);
        stdout_line(report);
        // One object on stdout: the error is said on stderr alone.
        result.map_err(|e| {
            self.ctx.report.error(&e);
            Error::Reported(e.exit_code())
        })
    }
}

pub fn run(ctx: &Context, send_event: bool) -> Result<()> {
    let settings = &ctx.settings;
    let mut report = Report {
        ctx,
        steps: Vec::new(),
        now: "endpoint",
    };
    let config_note = if settings.config_path.exists() {
        ""
    } else {
        " (not created yet)"
    };
    report.step(
        "profile",
        format!(
            "{} in {}{config_note}",
            settings.profile_name,
            settings.config_path.display()
        ),
    );
    report.step(
        "endpoint",
        format!("{} (from {})", settings.endpoint, settings.endpoint_source),
    );
    report.step(
        "key",
        match (&settings.write_key, &settings.key_source) {
            (Some(key), Some(source)) => format!("{} (from {source})", key.masked()),
            _ => "none".to_string(),
        },
    );
    let result = check(ctx, &mut report, send_event);
    report.finish(result)
}

/// The checks, in order, each stopping at its failure with its exit code: no
/// key is exit 3 before anything goes on the network.
fn check(ctx: &Context, report: &mut Report, send_event: bool) -> Result<()> {
    let settings = &ctx.settings;
    let base = settings.endpoint_url()?;
    report.now = "key";
    settings.require_write_key()?;
    report.now = "resolve";
    let url = reqwest::Url::parse(&base).map_err(|e| Error::Internal(e.to_string()))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let limit = settings.timeout;

    let (addrs, took) =
        ctx.block_on_interruptible(timed(limit, format!("resolving {host}"), async {
            tokio::net::lookup_host((host.as_str(), port))
                .await
                .map(|a| a.collect::<Vec<_>>())
        }))??;
    let addrs = addrs.map_err(|e| {
        Error::Undelivered(format!(
            "cannot resolve {host}: {}; check the endpoint (from {})",
            crate::explain::plain(&e.to_string()),
            settings.endpoint_source
        ))
    })?;
    let first = *addrs
        .first()
        .ok_or_else(|| Error::Undelivered(format!("{host} resolves to no address")))?;
    let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    report.timed(
        "resolve",
        took,
        format!("{host} -> {}", shown.join(", ")),
        "",
    );
    report.now = "connect";

    // Each address in turn, as the HTTP client would (localhost is ::1 and 127.0.0.1).
    let (connected, took) =
        ctx.block_on_interruptible(timed(limit, format!("connecting to {first}"), async {
            let mut last = None;
            for addr in &addrs {
                match tokio::net::TcpStream::connect(addr).await {
                    Ok(_) => return Ok(*addr),
                    Err(e) => last = Some((*addr, e)),
                }
            }
            Err(last.unwrap_or_else(|| (first, std::io::Error::other("no address"))))
        }))??;
    let connected = connected.map_err(|(addr, e)| {
        Error::Undelivered(format!(
            "cannot connect to {addr}: {}; check the endpoint (from {}) and that the server is up",
            crate::explain::plain(&e.to_string()),
            settings.endpoint_source
        ))
    })?;
    report.timed("connect", took, connected.to_string(), "");
    report.now = "answer";

    // One attempt: this is a check, not a delivery.
    let mut once = settings.clone();
    once.retries = 0;
    let client = Client::new(&once, ctx.report)?;
    let started = Instant::now();
    let path = "/batch";
    let make_body = |_: &str, out: &mut Vec<u8>| out.extend_from_slice(EMPTY_BATCH.as_bytes());
    let answer =
        ctx.block_on_interruptible(client.send(path, &make_body, Encoding::Identity, &|_| None))?;
    let took = started.elapsed();
    match answer {
        Ok(delivered) => report.timed(
            "answer",
            took,
            format!(
                "accepted: POST {} {EMPTY_BATCH} answered {}",
                client.url(path),
                delivered.status,
            ),
            "; nothing was recorded",
        ),
        // An empty batch refused as invalid proves the server answers, not the key.
        Err(crate::client::SendError::Rejected { status, message }) if status != 404 => {
            return Err(Error::Usage(format!(
                "the server at {} answered {status} to an empty batch: {message}; it answers, but the key is not proven: `cio ping --send-event` proves it with one track call (that records an event)",
                client.url(path)
            )))
        }
        Err(e) => return Err(crate::explain::send_error(e, &client.url(path), settings)),
    }

    if send_event {
        report.now = "event";
        let id = uuid::Uuid::new_v4().to_string();
        let call = json!({
            "type": "track",
            "event": "cio ping",
            "anonymousId": "cio-ping",
            "messageId": id,
            "timestamp": crate::timestamp::now(),
            "context": {"library": {"name": "cio", "version": env!("CARGO_PKG_VERSION")}},
        });
        let make_body = |sent_at: &str, out: &mut Vec<u8>| {
            let mut call = call.clone();
            call["sentAt"] = Value::String(sent_at.to_string());
            out.extend(call.to_string().into_bytes());
        };
        let started = Instant::now();
        let answer = ctx.block_on_interruptible(client.send(
            "/track",
            &make_body,
            Encoding::Identity,
            &|_| None,
        ))?;
        let delivered =
            answer.map_err(|e| crate::explain::send_error(e, &client.url("/track"), settings))?;
        report.timed(
            "event",
            started.elapsed(),
            format!(
                "delivered: track 'cio ping' (anonymousId cio-ping, messageId {id}) answered {}",
                delivered.status,
            ),
            "",
        );
    }
    Ok(())
}

/// `work`, given at most `limit`, and how long it took.
async fn timed<T>(
    limit: Duration,
    what: String,
    work: impl std::future::Future<Output = T>,
) -> Result<(T, Duration)> {
    let started = Instant::now();
    match tokio::time::timeout(limit, work).await {
        Ok(out) => Ok((out, started.elapsed())),
        Err(_) => Err(Error::Undelivered(format!(
            "{what} timed out after {} s (--timeout)",
            limit.as_secs_f64()
        ))),
    }
}
