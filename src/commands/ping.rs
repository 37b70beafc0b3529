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
    text: String,
}

struct Report<'a> {
    ctx: &'a Context,
    steps: Vec<Step>,
}

impl Report<'_> {
    fn step(&mut self, name: &'static str, text: String) {
        if !self.ctx.report.json && !self.ctx.report.quiet {
            stdout_line(format_args!("{name:<9} {text}"));
        }
        self.steps.push(Step { name, text });
    }

    /// Ends the report with `ok` (JSON or text) and returns `result`.
    fn finish(self, result: Result<()>) -> Result<()> {
        if self.ctx.report.json && result.is_ok() {
            let steps: serde_json::Map<String, Value> = self
                .steps
                .into_iter()
                .map(|s| (s.name.to_string(), Value::String(s.text)))
                .collect();
            stdout_line(json!({"ok": true, "checks": steps}));
        }
        result
    }
}

pub fn run(ctx: &Context, send_event: bool) -> Result<()> {
    let settings = &ctx.settings;
    let mut report = Report {
        ctx,
        steps: Vec::new(),
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

fn check(ctx: &Context, report: &mut Report, send_event: bool) -> Result<()> {
    let settings = &ctx.settings;
    let base = settings.endpoint_url()?;
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
    report.step(
        "resolve",
        format!("{host} -> {} ({})", shown.join(", "), ms(took)),
    );

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
    report.step("connect", format!("{connected} ({})", ms(took)));

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
        Ok(delivered) => report.step(
            "answer",
            format!(
                "accepted: POST {} {EMPTY_BATCH} answered {} ({}); nothing was recorded",
                client.url(path),
                delivered.status,
                ms(took)
            ),
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
        report.step(
            "event",
            format!(
                "delivered: track 'cio ping' (anonymousId cio-ping, messageId {id}) answered {} ({})",
                delivered.status,
                ms(started.elapsed())
            ),
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

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
