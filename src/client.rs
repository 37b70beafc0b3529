//! The HTTP transport: auth, headers, gzip, timeouts, retries with backoff and
//! `Retry-After`, and the mapping of answers to outcomes. Knows nothing of
//! what is inside the body beyond the `sentAt` it is given at each attempt.
//! Trust roots come from `tls.rs`, the proxy from `proxy.rs`; this module turns
//! their failures into one line that names the host and the fix.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;

use crate::error::{Error, Result};
use crate::output::{sanitize, Reporter};
use crate::proxy::{self, Route};
use crate::secret::{basic_auth_token, WriteKey};
use crate::settings::Settings;
use crate::{timestamp, tls};

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
const USER_AGENT: &str = concat!("cio/", env!("CARGO_PKG_VERSION"));
/// The most of an answer's body that is read: the API's answers (`{}`, or an
/// error list) take a few hundred bytes; whatever a server sends past this is
/// left unread and its connection dropped, so no server can grow cio's memory.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How much of a body that is not the API's an error message quotes.
const QUOTED_BODY_CHARS: usize = 100;

pub struct Client {
    http: reqwest::Client,
    base: String,
    key: WriteKey,
    retries: u32,
    report: Reporter,
    /// Once true, no new attempt starts (the first Ctrl-C of a replay).
    halt: Option<tokio::sync::watch::Receiver<bool>>,
    /// The headers every request carries, for `-vv` (shown with the key redacted).
    headers: HeaderMap,
    /// `host[:port]` of the endpoint, for error messages.
    host: String,
    /// The endpoint's host alone, as NO_PROXY would name it.
    host_name: String,
    /// The proxy in use, credentials hidden, and the setting that named it.
    proxy: Option<(String, String)>,
}

/// How a request body goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    /// `head`, shared by every attempt, then what the body's writer adds (a
    /// batch holds its calls once, gzipped or not, and each attempt adds its
    /// `sentAt`); sent in parts, so a request holds no copy of its calls.
    Shared {
        head: Vec<Bytes>,
        gzipped: bool,
    },
}

/// A request body in parts, the first ones shared with the other attempts.
struct Parts(std::collections::VecDeque<Bytes>);

impl http_body::Body for Parts {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<http_body::Frame<Bytes>, Self::Error>>> {
        let part = self.0.pop_front();
        std::task::Poll::Ready(part.map(|b| Ok(http_body::Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    /// Exact (what is left to send), so the request carries a Content-Length.
    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.0.iter().map(|b| b.len() as u64).sum())
    }
}

/// A delivered request.
#[derive(Debug, Clone, Copy)]
pub struct Delivered {
    pub status: u16,
    pub attempts: u32,
    /// From sending the last attempt to its answer: the network and the
    /// server, without the time spent building and compressing the body.
    pub round_trip: Duration,
}

/// A request that was not delivered, and why.
#[derive(Debug, Clone)]
pub enum SendError {
    /// 400 and the other 4xx that retrying cannot fix: the content is at fault.
    Rejected {
        status: u16,
        message: String,
    },
    Unauthorized {
        message: String,
    },
    Forbidden {
        message: String,
    },
    /// Network failures and retryable answers that outlasted the retries, and
    /// answers no retry can fix that are not the content's fault (501, 3xx).
    Undelivered {
        reason: String,
        attempts: u32,
    },
    /// A 2xx whose body is not the API's JSON object (a web server's page, a
    /// captive portal): not an acknowledgement, and no retry will make it one.
    /// `answer` says what came: status, content type and the body's first bytes.
    NotTheApi {
        answer: String,
    },
    Interrupted,
}

impl SendError {
    /// A short reason, for summaries and rejects files.
    pub fn reason(&self) -> String {
        match self {
            SendError::Rejected { status, message } => {
                format!("server refused ({status}): {message}")
            }
            SendError::Unauthorized { message } => format!("unauthorized (401): {message}"),
            SendError::Forbidden { message } => format!("forbidden (403): {message}"),
            SendError::Undelivered { reason, .. } => reason.clone(),
            SendError::NotTheApi { answer } => {
                format!("not the Pipelines API: it answered {answer}")
            }
            SendError::Interrupted => "interrupted".into(),
        }
    }
}

/// What a retry looked like, for callers that adapt (batch slows down on 429).
#[derive(Debug, Clone)]
pub struct RetryNotice {
    pub status: Option<u16>,
    /// How long this request waits before its next attempt.
    pub wait: Duration,
    /// What the server asked for (`Retry-After`), if anything.
    pub retry_after: Option<Duration>,
    /// Why the attempt failed, when no answer came (`cannot connect: ...`).
    pub reason: Option<String>,
}

impl Client {
    pub fn new(settings: &Settings, report: Reporter) -> Result<Client> {
        let key = settings.require_write_key()?.clone();
        let base = settings.endpoint_url()?;
        let mut auth = HeaderValue::from_str(&format!("Basic {}", basic_auth_token(&key)))
            .map_err(|_| Error::usage("the write key has characters that cannot go in a header"))?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert("X-Strict-Mode", HeaderValue::from_static("1"));
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers.clone())
            // A redirect could carry the key elsewhere, and turns POST into GET: never follow.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .timeout(settings.timeout)
            // The proxy is chosen below from the settings, not by reqwest from the environment.
            .no_proxy();

        let url = reqwest::Url::parse(&base)
            .map_err(|e| Error::usage(format!("endpoint '{base}': {e}")))?;
        let host_name = url.host_str().unwrap_or_default().to_string();
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let route = settings.proxy.route(&url)?;
        if let Some(line) = route.describe() {
            report.detail(line);
        }
        let mut proxy = None;
        let mut needs_tls = url.scheme() == "https";
        if let Route::Via {
            url: proxy_url,
            from,
        } = &route
        {
            needs_tls |= proxy_url.scheme() == "https";
            builder = builder.proxy(
                reqwest::Proxy::all(proxy_url.as_str())
                    .map_err(|e| Error::usage(format!("{from}: {e}")))?,
            );
            proxy = Some((proxy::redact(proxy_url), from.clone()));
        }
        // Loading the roots costs a few milliseconds: only when something speaks TLS.
        if needs_tls {
            let trust = tls::build(&settings.trust)?;
            report.detail(format_args!("trusting {}", trust.description));
            builder = builder.use_preconfigured_tls(trust.config);
        }
        let http = builder
            .build()
            .map_err(|e| Error::Internal(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            http,
            base,
            key,
            retries: settings.retries,
            report,
            halt: None,
            headers,
            host,
            host_name,
            proxy,
        })
    }

    /// Makes `send` start no new attempt (and stop waiting to retry) once `halt` is true;
    /// the attempt under way, if any, is waited for.
    pub fn halt_on(&mut self, halt: tokio::sync::watch::Receiver<bool>) {
        self.halt = Some(halt);
    }

    fn halted(&self) -> bool {
        self.halt.as_ref().is_some_and(|h| *h.borrow())
    }

    /// Waits `wait` before a retry; false when halted meanwhile.
    async fn pause(&self, wait: Duration) -> bool {
        let Some(halt) = &self.halt else {
            tokio::time::sleep(wait).await;
            return true;
        };
        let mut halt = halt.clone();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = halt.wait_for(|h| *h) => {}
        }
        !self.halted()
    }

    /// `-vv`: the request about to go to `path`, its size (`what`) and headers,
    /// the key never shown; `-vvv` also what `body` gives (single calls: the
    /// body; batches: their first calls).
    pub fn show_request(&self, path: &str, what: &str, gzip: bool, body: impl FnOnce() -> String) {
        if self.report.verbose < 2 || self.report.quiet {
            return;
        }
        self.report
            .detail(format_args!("POST {} ({what})", self.url(path)));
        for line in self.shown_headers(gzip) {
            self.report.detail(format_args!("  {line}"));
        }
        if self.report.verbose >= 3 {
            // The key has no business in a body, but if it got there it is not shown.
            self.report
                .detail(format_args!("  body: {}", self.key.redact(&body())));
        }
    }

    /// The headers of a request, as `-vv` shows them: the Authorization value
    /// is never shown, whatever the verbosity.
    pub fn shown_headers(&self, gzip: bool) -> Vec<String> {
        let mut shown = vec![format!("user-agent: {USER_AGENT}")];
        for (name, value) in &self.headers {
            let value = if value.is_sensitive() || name == header::AUTHORIZATION {
                "Basic REDACTED".to_string()
            } else {
                sanitize(&self.key.redact(value.to_str().unwrap_or("?")), 200)
            };
            shown.push(format!("{name}: {value}"));
        }
        if gzip {
            shown.push("content-encoding: gzip".into());
        }
        shown
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs the body `make_body(sentAt, buffer)` writes to `path`, retrying
    /// what is worth retrying. The body is made again at each attempt so
    /// that `sentAt` is fresh. `on_retry` hears of each retry before its
    /// wait, and may make the wait longer (a replay's pace).
    pub async fn send(
        &self,
        path: &str,
        make_body: &(dyn Fn(&str, &mut Vec<u8>) + Sync),
        encoding: Encoding,
        on_retry: &(dyn Fn(RetryNotice) -> Option<Duration> + Sync),
    ) -> Result<Delivered, SendError> {
        self.send_with(HeaderMap::new(), path, make_body, encoding, on_retry)
            .await
    }

    /// `send`, every attempt carrying `headers` too (`cio listen --forward`
    /// marks what it forwards, to find a loop).
    pub async fn send_with(
        &self,
        headers: HeaderMap,
        path: &str,
        make_body: &(dyn Fn(&str, &mut Vec<u8>) + Sync),
        encoding: Encoding,
        on_retry: &(dyn Fn(RetryNotice) -> Option<Duration> + Sync),
    ) -> Result<Delivered, SendError> {
        let url = self.url(path);
        let mut attempt = 0;
        loop {
            if self.halted() {
                return Err(SendError::Interrupted);
            }
            attempt += 1;
            let mut request = self.http.post(&url).headers(headers.clone());
            let sent_at = timestamp::now();
            if matches!(encoding, Encoding::Shared { gzipped: true, .. }) {
                request = request.header(header::CONTENT_ENCODING, "gzip");
            }
            let mut body = Vec::new();
            make_body(&sent_at, &mut body);
            let body = match &encoding {
                Encoding::Identity => reqwest::Body::from(body),
                Encoding::Shared { head, .. } => {
                    let parts = head.iter().cloned().chain([body.into()]);
                    reqwest::Body::wrap(Parts(parts.collect()))
                }
            };
            let started = Instant::now();
            // A body that fails to arrive whole (a reset, the timeout) fails the attempt like the request would.
            let answer = match request.body(body).send().await {
                Ok(response) => Answer::read(response).await,
                Err(e) => Err(e),
            };
            let elapsed = started.elapsed();
            // Only retryable failures get past this match: (status, Retry-After, reason).
            let (status, wait_hint, reason) = match answer {
                Ok(Answer {
                    status,
                    headers,
                    body,
                }) => {
                    self.report.detail(format_args!(
                        "POST {url} -> {} in {:.1} ms (attempt {attempt})",
                        status.as_u16(),
                        elapsed.as_secs_f64() * 1000.0
                    ));
                    if status.is_success() {
                        if !is_api_acknowledgement(&body) {
                            return Err(SendError::NotTheApi {
                                answer: self.describe_answer(status, &headers, &body),
                            });
                        }
                        return Ok(Delivered {
                            status: status.as_u16(),
                            attempts: attempt,
                            round_trip: elapsed,
                        });
                    }
                    let retry_after = parse_retry_after(&headers);
                    let redirect = status
                        .is_redirection()
                        .then(|| self.refused_redirect(status, &headers, path));
                    let message = self.server_message(status, &body);
                    match classify(status) {
                        Class::Retry => (
                            Some(status.as_u16()),
                            retry_after,
                            format!("{} {message}", status.as_u16()),
                        ),
                        Class::Rejected => {
                            return Err(SendError::Rejected {
                                status: status.as_u16(),
                                message,
                            })
                        }
                        Class::Unauthorized => return Err(SendError::Unauthorized { message }),
                        Class::Forbidden => return Err(SendError::Forbidden { message }),
                        Class::GiveUp => {
                            return Err(SendError::Undelivered {
                                reason: redirect.unwrap_or_else(|| {
                                    format!("the server answered {}: {message}", status.as_u16())
                                }),
                                attempts: attempt,
                            })
                        }
                    }
                }
                Err(e) => {
                    let (reason, retry) = self.describe_network_error(&e);
                    self.report.detail(format_args!(
                        "POST {url} -> {reason} after {:.1} ms (attempt {attempt})",
                        elapsed.as_secs_f64() * 1000.0
                    ));
                    if !retry {
                        return Err(SendError::Undelivered {
                            reason,
                            attempts: attempt,
                        });
                    }
                    (None, None, reason)
                }
            };
            if attempt > self.retries {
                return Err(SendError::Undelivered {
                    reason,
                    attempts: attempt,
                });
            }
            // A `Retry-After` is honoured, but one shorter than the backoff
            // (`0`, "now") does not send the retry back into the same overload
            // before the caller could slow down.
            let wait = backoff(attempt).max(wait_hint.unwrap_or_default());
            let at_least = on_retry(RetryNotice {
                status,
                wait,
                retry_after: wait_hint,
                reason: status.is_none().then(|| reason.clone()),
            });
            let wait = wait.max(at_least.unwrap_or_default());
            self.report
                .detail(format_args!("retrying in {:.1} s", wait.as_secs_f64()));
            if !self.pause(wait).await {
                return Err(SendError::Interrupted);
            }
        }
    }

    /// A redirect is never followed (it could take the key elsewhere): say so,
    /// and where it pointed, which is often the endpoint the user meant.
    fn refused_redirect(&self, status: StatusCode, headers: &HeaderMap, path: &str) -> String {
        let code = status.as_u16();
        let Some(location) = headers.get(header::LOCATION).and_then(|l| l.to_str().ok()) else {
            return format!(
                "the server answered {code} (a redirect, not followed) without a Location"
            );
        };
        let location = sanitize(&self.key.redact(location), 300);
        let fix = match location.strip_suffix(path) {
            Some(base) if base.starts_with("https://") || base.starts_with("http://") => {
                format!("; if that is the right place, use --endpoint {base}")
            }
            _ => String::new(),
        };
        format!("the server answered {code} with a redirect to {location}, which cio does not follow (the write key never follows a redirect){fix}")
    }

    /// The server's error text, sanitised and without the key.
    fn server_message(&self, status: StatusCode, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let message = extract_message(&text).unwrap_or_else(|| text.into_owned());
        let message = sanitize(&self.key.redact(&message), 300);
        if message.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("no message")
                .to_string()
        } else {
            message
        }
    }

    /// A 2xx that is not the API's, for the person to recognise what answered:
    /// `200 (text/html), body: <html>…`, sanitised and without the key.
    fn describe_answer(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> String {
        let clean = |text: &str, max| sanitize(&self.key.redact(text), max);
        let content_type = match headers.get(header::CONTENT_TYPE) {
            Some(value) => clean(&String::from_utf8_lossy(value.as_bytes()), 100),
            None => "no content type".into(),
        };
        // A few bytes more than are quoted, so a multi-byte character is not cut in two.
        let start = &body[..body.len().min(QUOTED_BODY_CHARS * 4)];
        let first = clean(&String::from_utf8_lossy(start), QUOTED_BODY_CHARS);
        let body = if first.is_empty() {
            "an empty body".to_string()
        } else {
            format!("body: {first}")
        };
        format!("{} ({content_type}), {body}", status.as_u16())
    }
}

/// An answer, its body read up to `MAX_ANSWER_BYTES`.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    /// Reads at most `MAX_ANSWER_BYTES` of the body, then drops the response
    /// (and with it the connection) rather than read an endless body. The
    /// client's timeout covers the body too, so a body that trickles ends with it.
    async fn read(mut response: reqwest::Response) -> Result<Answer, reqwest::Error> {
        let mut body = Vec::new();
        while body.len() < MAX_ANSWER_BYTES {
            match response.chunk().await? {
                Some(chunk) => body.extend_from_slice(&chunk),
                None => break,
            }
        }
        body.truncate(MAX_ANSWER_BYTES);
        Ok(Answer {
            status: response.status(),
            headers: std::mem::take(response.headers_mut()),
            body,
        })
    }
}

/// The API acknowledges with a JSON object (`{}`); anything else, a web page
/// or a body cut at the limit, did not come from it.
fn is_api_acknowledgement(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body).is_ok()
}

enum Class {
    Retry,
    Rejected,
    Unauthorized,
    Forbidden,
    GiveUp,
}

/// Segment's retry policy: 408, 410, 429, 460 and 5xx but 501 and 505 are worth another try.
fn classify(status: StatusCode) -> Class {
    match status.as_u16() {
        408 | 410 | 429 | 460 => Class::Retry,
        401 => Class::Unauthorized,
        403 => Class::Forbidden,
        501 | 505 => Class::GiveUp,
        500..=599 => Class::Retry,
        400..=499 => Class::Rejected,
        _ => Class::GiveUp,
    }
}

/// 500 ms, doubling, capped at 60 s, with jitter in [d/2, d] so that many
/// clients retrying at once spread out.
pub fn backoff(attempt: u32) -> Duration {
    let exp = FIRST_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let full = exp.min(MAX_BACKOFF);
    full.mul_f64(0.5 + fastrand::f64() * 0.5)
}

/// `Retry-After` as seconds or an HTTP date, capped.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::from_secs_f64(secs),
        Ok(_) => return None,
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Pulls the human part out of `{"meta":{"errors":[...]}}` or `{"message": ...}`.
fn extract_message(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let as_text = |e: &serde_json::Value| match e {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => ["message", "detail", "error"]
            .iter()
            .find_map(|k| o.get(*k).and_then(|m| m.as_str()).map(str::to_string))
            .or_else(|| Some(e.to_string())),
        _ => None,
    };
    if let Some(errors) = v.pointer("/meta/errors").and_then(|e| e.as_array()) {
        let texts: Vec<String> = errors.iter().filter_map(as_text).collect();
        if !texts.is_empty() {
            return Some(texts.join("; "));
        }
    }
    ["message", "error", "detail"]
        .iter()
        .find_map(|k| v.get(*k).and_then(as_text))
}

impl Client {
    /// One line for a failed attempt, and whether another attempt can help:
    /// a refused certificate or proxy credentials stay refused.
    fn describe_network_error(&self, e: &reqwest::Error) -> (String, bool) {
        let host = &self.host;
        if let Some(tls) = find_rustls_error(e) {
            let failure = tls::describe(tls, host);
            return (
                sanitize(&self.key.redact(&failure.message), 400),
                failure.retry,
            );
        }
        if let Some((proxy, from)) = &self.proxy {
            let name = &self.host_name;
            let chain = chain_text(e);
            let (line, retry) = if chain.contains("proxy authorization required") {
                (format!("proxy {proxy} asks for credentials (407); put them in the proxy URL ({from}: http://user:password@host:port)"), false)
            } else if chain.contains("tunnel error: unsuccessful") {
                (format!("proxy {proxy} refused to open a tunnel (CONNECT) to {host}; ask its administrator to allow {host}, or list {name} in NO_PROXY to go direct"), true)
            } else if e.is_connect() && !e.is_timeout() {
                let (_, cause) = describe_network_error(e, &self.key);
                // "Connection refused", without std's "(os error 111)".
                let cause = match cause.find(" (os error") {
                    Some(i) => cause[..i].to_string(),
                    None => cause,
                };
                (format!("cannot connect to proxy {proxy} (from {from}): {cause}; check {from}, or list {name} in NO_PROXY to go direct"), true)
            } else {
                let (what, cause) = describe_network_error(e, &self.key);
                (format!("{what} via proxy {proxy}: {cause}"), true)
            };
            return (sanitize(&self.key.redact(&line), 400), retry);
        }
        let (what, cause) = describe_network_error(e, &self.key);
        (sanitize(&format!("{what}: {cause}"), 300), true)
    }
}

/// The rustls error behind a failed request, if TLS is what failed. It hides
/// inside an `io::Error`, whose `source()` skips it, so look inside those too.
fn find_rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(tls) = find_rustls_error(inner) {
                return Some(tls);
            }
        }
        next = err.source();
    }
    None
}

/// Every message of the error's chain, for recognising failures that have no type of their own.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(err) = next {
        text.push_str(": ");
        text.push_str(&err.to_string());
        next = err.source();
    }
    text
}

/// What kind of failure ("timed out", "cannot connect") and its innermost cause.
fn describe_network_error(e: &reqwest::Error, key: &WriteKey) -> (&'static str, String) {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "connection failed"
    };
    // The innermost cause says the most ("connection reset by peer"); the URL holds no key,
    // but redact anyway: this text comes from outside.
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    (what, key.redact(&source.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        for attempt in 1..20 {
            let d = backoff(attempt);
            let full = FIRST_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("100000"));
        assert_eq!(parse_retry_after(&h), Some(MAX_RETRY_AFTER));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&soon).unwrap());
        let d = parse_retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(28) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn only_a_json_object_acknowledges() {
        for body in [&b"{}"[..], b" {}\n", br#"{"ok":true}"#] {
            assert!(is_api_acknowledgement(body), "{body:?}");
        }
        for body in [
            &b""[..],
            b"[]",
            b"null",
            b"\"ok\"",
            b"{",
            b"<html>{}</html>",
            b"{}{}",
        ] {
            assert!(!is_api_acknowledgement(body), "{body:?}");
        }
    }

    #[test]
    fn server_messages_are_extracted() {
        assert_eq!(
            extract_message(r#"{"meta":{"errors":["bad userId",{"message":"bad event"}]}}"#)
                .unwrap(),
            "bad userId; bad event"
        );
        assert_eq!(extract_message(r#"{"message":"nope"}"#).unwrap(), "nope");
        assert_eq!(extract_message("<html>"), None);
    }
}
