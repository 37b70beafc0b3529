//! One request, start to answer: route, auth (from the headers, before any
//! body is read), the body read within its size limit, its time and the
//! listener's shared budget, injected faults, the calls checked, recorded and
//! shown, and the answer the API would give.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::answer::{self, Received, Route};
use super::display::{Finding, Level};
use super::Shared;
use crate::timestamp;

type Answer = Response<Full<Bytes>>;

pub async fn handle(request: Request<Incoming>, shared: Arc<Shared>) -> Answer {
    let _activity = shared.begin();
    if request.method() == hyper::Method::OPTIONS {
        return preflight();
    }
    let options = &shared.options;
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let refuse = |status: u16, reason: &str| {
        let time = clock();
        shared.with_tally(|t| {
            t.requests += 1;
            *t.refused.entry(status).or_default() += 1;
        });
        options
            .display
            .refused(&time, status, &method, &path, reason);
        error(status, reason)
    };

    // Refused from its headers alone: the body is not kept. A little of it is
    // read and dropped, so that a small request's client sees the answer
    // rather than a reset; the connection then closes.
    let refuse_unread = |status: u16, reason: &str, body: Incoming| {
        let answer = refuse(status, reason);
        async move {
            discard(body, options.read_timeout).await;
            let mut answer = answer;
            close(&mut answer);
            answer
        }
    };
    let Some(route) = Route::from_path(&path) else {
        return refuse_unread(404, &format!("no such path: {path} (the API serves /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias and /v1/batch)"), body).await;
    };
    if parts.method != hyper::Method::POST {
        return refuse_unread(405, &format!("{path} takes POST, not {method}"), body).await;
    }
    if let Err(reason) = check_auth(&parts.headers, options.key.as_ref()) {
        return refuse_unread(401, reason, body).await;
    }
    // The listeners a request went through, this one's last, for its forward.
    let marks = super::forward::marks(&parts.headers, &options.instance);
    if marks.passed_here {
        return refuse_unread(508, "this request was forwarded by this listener and came back to it: --forward goes round in a loop", body).await;
    }
    let limit = route.limit();
    let body = read_body(
        body,
        &parts.headers,
        limit,
        options.read_timeout,
        &shared.buffered,
    )
    .await;
    let (body, _held) = match body {
        Ok(body) => body,
        Err(BodyError::Busy) => {
            let mut answer = refuse(
                503,
                "the listener holds as many request bodies as --max-buffered-mb allows; retry shortly",
            );
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            close(&mut answer);
            return answer;
        }
        Err(BodyError::TooLarge) => {
            let what = match route {
                Route::Batch => "a batch request",
                Route::Single(_) => "a single call",
            };
            let mut answer = refuse(
                413,
                &format!("{what} is limited to {limit} bytes; this one is larger"),
            );
            close(&mut answer);
            return answer;
        }
        Err(BodyError::TimedOut) => {
            let mut answer = refuse(
                408,
                &format!(
                    "the body did not arrive within {} s",
                    options.read_timeout.as_secs_f64()
                ),
            );
            close(&mut answer);
            return answer;
        }
        Err(BodyError::Broken(reason)) => return refuse(400, &reason),
    };

    if !options.faults.delay.is_zero() {
        tokio::time::sleep(options.faults.delay).await;
    }
    if let Some(status) = options.faults.pick() {
        shared.with_tally(|t| {
            t.requests += 1;
            t.faults += 1;
        });
        options
            .display
            .refused(&clock(), status, &method, &path, "injected fault");
        return error(status, "injected fault (cio listen --status/--fail-rate)");
    }

    let strict = parts
        .headers
        .get("x-strict-mode")
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
    let mut calls = match answer::parse(route, &body) {
        Ok(calls) => calls,
        Err(reason) if strict => return refuse(400, &reason),
        Err(reason) => {
            // Without strict mode the API answers 200 and drops what it cannot read.
            shared.with_tally(|t| {
                t.requests += 1;
                *t.refused.entry(400).or_default() += 1;
            });
            options.display.refused(
                &clock(),
                200,
                &method,
                &path,
                &format!("{reason} (answered 200 as the API does without X-Strict-Mode: 1; its calls are lost)"),
            );
            return ok();
        }
    };

    // A call's own writeKey (some SDKs put it in the body) is the key: it is
    // neither shown, nor recorded, nor sent on (the upstream gets its own key).
    for call in &mut calls {
        call.call.remove("writeKey");
    }
    let errors: Vec<String> = calls.iter().filter_map(Received::error_text).collect();
    let time = clock();
    // In strict mode one bad call refuses the request; without it, the API
    // takes the good calls and silently drops the bad ones.
    let refused_whole = strict && !errors.is_empty();
    let answer = if refused_whole {
        error_list(400, &errors)
    } else {
        ok()
    };
    if !refused_whole {
        if let Some(upstream) = &options.forward {
            let accepted: Vec<_> = calls.iter().filter(|c| c.problem.is_none()).collect();
            match super::forward::send(upstream, route, &accepted, marks.header).await {
                Ok(n) => shared.with_tally(|t| t.forwarded += n),
                Err((status, reason)) => return refuse(status, &reason),
            }
        }
        if let Some(recorder) = &options.recorder {
            let accepted = calls
                .iter()
                .filter(|c| c.problem.is_none())
                .map(|c| &c.call);
            match recorder.append(accepted, &timestamp::now()) {
                Ok(n) => shared.with_tally(|t| t.recorded += n as u64),
                Err(e) => {
                    // The client must not believe calls were kept that were not: it will retry.
                    let reason = format!(
                        "cannot record to {}: {}",
                        recorder.name(),
                        crate::error::describe_io(&e)
                    );
                    crate::output::Reporter::default().error(&reason);
                    return refuse(500, &reason);
                }
            }
        }
    }
    for call in &calls {
        let mut findings = Vec::new();
        if let Some(problem) = &call.problem {
            let consequence = if strict {
                "refused with 400"
            } else {
                "answered 200 without X-Strict-Mode, dropped by the API"
            };
            findings.push(Finding {
                level: Level::Error,
                text: format!(
                    "invalid: {} ({consequence})",
                    call.error_text().unwrap_or_else(|| problem.message.clone())
                ),
            });
        } else if refused_whole {
            // It will come again once its client has taken the bad calls out.
            findings.push(Finding {
                level: Level::Warning,
                text: "not taken: its batch was refused for the invalid calls in it".into(),
            });
        }
        let (mut lint_errors, mut lint_warnings) = (0, 0);
        if let (Some(linter), None) = (&options.lint, &call.problem) {
            for finding in linter.check(&call.call) {
                let level = match finding.severity() {
                    crate::lint::Severity::Error => {
                        lint_errors += 1;
                        Level::Error
                    }
                    crate::lint::Severity::Warning => {
                        lint_warnings += 1;
                        Level::Warning
                    }
                };
                findings.push(Finding {
                    level,
                    text: format!("lint {}", finding.text_without_severity()),
                });
            }
        }
        shared.with_tally(|t| {
            t.lint_errors += lint_errors;
            t.lint_warnings += lint_warnings;
        });
        options
            .display
            .call(&time, &call.call, call.bytes, &findings);
    }
    shared.with_tally(|t| {
        t.requests += 1;
        // The good calls of a refused batch are not counted: they will come again.
        for call in calls
            .iter()
            .filter(|c| !refused_whole || c.problem.is_some())
        {
            let name = match call.call_type() {
                "track" => call.call.get("event"),
                "page" | "screen" => call.call.get("name"),
                _ => None,
            };
            t.count(call.call_type(), name.and_then(|v| v.as_str()));
            if call.problem.is_some() {
                t.invalid += 1;
            }
        }
    });
    answer
}

enum BodyError {
    TooLarge,
    TimedOut,
    /// The listener's budget for bodies held (`--max-buffered-mb`) is spent.
    Busy,
    Broken(String),
}

/// The most of a refused request's body read (and dropped) before its answer.
const DISCARDED: usize = 64 * 1024;

/// Reads and drops up to `DISCARDED` bytes of a body, within `timeout`.
async fn discard(mut body: Incoming, timeout: Duration) {
    let drain = async {
        let mut seen = 0;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > DISCARDED {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(timeout.min(Duration::from_secs(1)), drain).await;
}

/// Reads the body, decompressing gzip, refusing it as soon as it passes
/// `limit` (compressed or not): a 10 GB upload never reaches memory. Every
/// byte held is first taken from `budget`, and given back when the request
/// is done (the permit returned beside the body).
async fn read_body(
    mut body: Incoming,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
    budget: &Arc<Semaphore>,
) -> Result<(Vec<u8>, Option<OwnedSemaphorePermit>), BodyError> {
    let mut held: Option<OwnedSemaphorePermit> = None;
    let mut take = |n: usize| -> Result<(), BodyError> {
        let more = u32::try_from(n)
            .ok()
            .and_then(|n| budget.clone().try_acquire_many_owned(n).ok())
            .ok_or(BodyError::Busy)?;
        match &mut held {
            Some(permit) => permit.merge(more),
            None => held = Some(more),
        }
        Ok(())
    };
    let gzip = match headers
        .get(header::CONTENT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        None | Some(b"identity") => false,
        Some(b"gzip") | Some(b"x-gzip") => true,
        Some(other) => {
            return Err(BodyError::Broken(format!(
                "unsupported Content-Encoding '{}' (gzip or none)",
                String::from_utf8_lossy(other)
            )))
        }
    };
    // A gzip body can be a little larger than what it holds.
    let wire_limit = if gzip { limit + limit / 64 + 64 } else { limit };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > wire_limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let read = async {
        // The budget counts what is allocated: the declared length at once,
        // else the buffer's growth (doubling, up to the limit).
        let mut bytes = Vec::new();
        if let Some(n) = declared {
            take(n as usize)?;
            bytes.reserve_exact(n as usize);
        }
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| BodyError::Broken(format!("the body broke off: {e}")))?;
            if let Ok(data) = frame.into_data() {
                let needed = bytes.len() + data.len();
                if needed > wire_limit {
                    return Err(BodyError::TooLarge);
                }
                if needed > bytes.capacity() {
                    let grown = needed.max(bytes.capacity() * 2).min(wire_limit);
                    take(grown - bytes.capacity())?;
                    bytes.reserve_exact(grown - bytes.len());
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(bytes)
    };
    let bytes = tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::TimedOut))?;
    if !gzip {
        return Ok((bytes, held));
    }
    // Room for what it holds, before it is inflated.
    take(limit)?;
    let mut plain = Vec::new();
    // Every member, as `cio batch` reads a gzip file; bytes after the last
    // member that are not another member are an error, not ignored.
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|_| BodyError::Broken("the body is not valid gzip".into()))?;
    if plain.len() > limit {
        return Err(BodyError::TooLarge);
    }
    Ok((plain, held))
}

/// HTTP Basic with the write key as the user: always required (the API
/// answers 401 without it), and it must be the listener's key when one is set.
fn check_auth(
    headers: &HeaderMap,
    key: Option<&crate::secret::WriteKey>,
) -> Result<(), &'static str> {
    const MISSING: &str = "no write key: send HTTP Basic auth with the write key as the user name";
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(MISSING)?;
    // The scheme is case-insensitive (RFC 9110 11.1): `BASIC` is Basic.
    let (scheme, encoded) = value.trim_start().split_once(' ').ok_or(MISSING)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(MISSING);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "the Authorization header is not valid Basic auth")?;
    let decoded = String::from_utf8(decoded).map_err(|_| "the write key is not valid UTF-8")?;
    let user = decoded.split_once(':').map_or(&decoded[..], |(u, _)| u);
    if user.trim().is_empty() {
        return Err(MISSING);
    }
    match key {
        Some(key) if user != key.expose() => Err("wrong write key"),
        _ => Ok(()),
    }
}

/// A browser SDK asks before it posts; the key still guards the calls themselves.
fn preflight() -> Answer {
    let mut answer = respond(204, String::new());
    let headers = answer.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, Content-Encoding, X-Strict-Mode"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    answer
}

/// The time of day, UTC, to the millisecond.
fn clock() -> String {
    let now = timestamp::now();
    now.get(11..23).unwrap_or(&now).to_string()
}

fn ok() -> Answer {
    respond(200, "{}".into())
}

fn error(status: u16, reason: &str) -> Answer {
    error_list(status, &[reason.to_string()])
}

fn error_list(status: u16, errors: &[String]) -> Answer {
    respond(status, answer::error_body(errors))
}

fn respond(status: u16, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// After a body left unread, the connection cannot carry another request.
fn close(answer: &mut Answer) {
    answer
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}
