//! A real HTTP/1.1 server on 127.0.0.1 (plain, or HTTPS with a certificate
//! the test made) that records every request and answers as the test scripts it. It runs on its own thread with its own tokio
//! runtime, so plain `#[test]` functions can use it, and stops when dropped.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::faults::{Fault, FaultProfile};

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection without answering: the client sees a network error.
    Drop,
    /// Answer after a pause (to exceed a client's timeout, say).
    Delay(Duration, Box<Reply>),
    /// Count the calls as accepted, but answer 500, so a retry delivers them twice.
    AcceptThenFail,
}

impl Reply {
    /// 200 `{}`.
    pub fn ok() -> Reply {
        Reply::status(200, "{}")
    }

    pub fn status(code: u16, body: &str) -> Reply {
        Reply::status_with_headers(code, &[], body)
    }

    pub fn status_with_headers(code: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        Reply::Status {
            code,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        }
    }

    pub fn drop_connection() -> Reply {
        Reply::Drop
    }

    pub fn delay(pause: Duration, then: Reply) -> Reply {
        Reply::Delay(pause, Box::new(then))
    }

    pub fn accept_then_fail() -> Reply {
        Reply::AcceptThenFail
    }

    /// The status code finally sent, or None when the connection is dropped.
    pub fn code(&self) -> Option<u16> {
        match self {
            Reply::Status { code, .. } => Some(*code),
            Reply::AcceptThenFail => Some(500),
            Reply::Delay(_, inner) => inner.code(),
            Reply::Drop => None,
        }
    }

    /// The total pause before answering.
    pub fn pause(&self) -> Duration {
        match self {
            Reply::Delay(pause, inner) => *pause + inner.pause(),
            _ => Duration::ZERO,
        }
    }

    /// Whether the server takes the calls (counted by `message_ids`).
    pub fn accepts(&self) -> bool {
        match self {
            Reply::AcceptThenFail => true,
            Reply::Delay(_, inner) => inner.accepts(),
            _ => self.code().is_some_and(|c| (200..300).contains(&c)),
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Position in `requests()` (0-based; a handler sees 0, as it runs before this is known).
    pub index: usize,
    pub method: String,
    /// The full path, e.g. `/v1/track`.
    pub path: String,
    /// Lowercase names; repeated headers are joined with ", ".
    pub headers: HashMap<String, String>,
    /// The body, gunzipped when it came with `Content-Encoding: gzip` (left
    /// as sent if it does not gunzip).
    pub body: Bytes,
    /// Whether it came gzip-compressed, and its size on the wire.
    pub gzipped: bool,
    pub wire_len: usize,
    /// The status it was answered with (None: connection dropped). Set after
    /// the handler has chosen, so a handler sees None here. For a delayed reply
    /// this is the status meant, even if the client gave up before it came.
    pub status: Option<u16>,
    /// Whether its calls were taken (2xx, or accept-then-fail).
    pub accepted: bool,
    /// How long the server waited before answering (`Reply::delay`).
    pub delay: Duration,
    /// The fault injected by `with_faults`, if any.
    pub fault: Option<Fault>,
    /// Parsed on first use and shared between clones: parsing every large
    /// batch up front would slow the server down for tests that never look.
    json: Arc<OnceLock<Option<Value>>>,
}

impl Recorded {
    /// The body as JSON, or None if it does not parse.
    pub fn json_opt(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(&self.body).ok())
            .as_ref()
    }

    /// The body as JSON; panics with the body text if it does not parse.
    pub fn json(&self) -> &Value {
        self.json_opt()
            .unwrap_or_else(|| panic!("request body is not JSON: {}", self.body_text()))
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The user of `Authorization: Basic ...` (the write key), if the password is empty.
    pub fn basic_auth_user(&self) -> Option<String> {
        let (user, password) = self.basic_auth()?;
        password.is_empty().then_some(user)
    }

    /// User and password of `Authorization: Basic ...`.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let token = self.header("authorization")?.strip_prefix("Basic ")?;
        let text = String::from_utf8(super::base64_decode(token.trim())?).ok()?;
        let (user, password) = text.split_once(':')?;
        Some((user.to_string(), password.to_string()))
    }

    /// The calls in the request: for `/batch` the items of `batch`, otherwise the body itself.
    pub fn calls(&self) -> Vec<Value> {
        self.call_refs().to_vec()
    }

    /// The messageIds of the calls in the request (none if the body is not JSON).
    pub fn message_ids(&self) -> Vec<String> {
        // Fast path for big batches not parsed yet: read only the ids, which is
        // many times quicker than building a Value tree (and keeps no memory).
        if self.json.get().is_none() {
            let ids = if self.path.ends_with("/batch") {
                serde_json::from_slice::<BatchIds>(&self.body).map(|b| b.batch)
            } else {
                serde_json::from_slice::<CallId>(&self.body).map(|c| vec![c])
            };
            if let Ok(ids) = ids {
                return ids.into_iter().filter_map(CallId::into_id).collect();
            }
        }
        // Otherwise (or if the shape is unusual) go through the full parse.
        if self.json_opt().is_none() {
            return Vec::new();
        }
        self.call_refs()
            .iter()
            .filter_map(|c| c.get("messageId")?.as_str().map(str::to_string))
            .collect()
    }

    fn call_refs(&self) -> &[Value] {
        let json = self.json();
        if self.path.ends_with("/batch") {
            json.get("batch")
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice)
        } else {
            std::slice::from_ref(json)
        }
    }
}

#[derive(serde::Deserialize)]
struct BatchIds {
    #[serde(default)]
    batch: Vec<CallId>,
}

#[derive(serde::Deserialize)]
struct CallId {
    /// A Value so that a non-string id skips the call instead of failing the parse.
    #[serde(rename = "messageId")]
    message_id: Option<Value>,
}

impl CallId {
    fn into_id(self) -> Option<String> {
        match self.message_id? {
            Value::String(id) => Some(id),
            _ => None,
        }
    }
}

/// A test's handler. It may be slow (parsing a big body, say), so it runs
/// before the lock is taken, and requests are handled in parallel.
type Handler = Box<dyn Fn(&Recorded) -> Reply + Send + Sync>;
/// The next reply of a script or fault draw, and the fault it injects if any.
/// It is cheap, and runs under the lock that records the request, so that the
/// i-th recorded request is the one that got the i-th reply.
type Sequence = Box<dyn FnMut() -> (Reply, Option<Fault>) + Send>;

/// How a server picks its replies: exactly one of the two is set.
struct Shared {
    handler: Option<Handler>,
    state: Mutex<State>,
}

struct State {
    requests: Vec<Recorded>,
    sequence: Option<Sequence>,
    /// Requests per fault name, plus "none".
    faults: HashMap<&'static str, u64>,
}

/// A real HTTP/1.1 server on 127.0.0.1; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    /// "http", or "https" when it speaks TLS.
    scheme: &'static str,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Answers every request 200 `{}`.
    pub fn start() -> TestServer {
        Self::with_handler(|_| Reply::ok())
    }

    /// Answers the i-th request with `replies[i]`, and 200 `{}` after the list runs out.
    pub fn with_replies(replies: Vec<Reply>) -> TestServer {
        let mut queue = VecDeque::from(replies);
        Self::build(
            None,
            Some(Box::new(move || {
                (queue.pop_front().unwrap_or_else(Reply::ok), None)
            })),
            None,
        )
    }

    /// Answers each request with what `handler` returns for it.
    pub fn with_handler(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        Self::build(Some(Box::new(handler)), None, None)
    }

    /// An HTTPS server presenting `tls`'s certificate, answering with `handler`.
    pub fn https(
        tls: Arc<rustls::ServerConfig>,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        Self::build(Some(Box::new(handler)), None, Some(tls))
    }

    /// An HTTPS server answering the i-th request with `replies[i]`, then 200 `{}`.
    pub fn https_with_replies(tls: Arc<rustls::ServerConfig>, replies: Vec<Reply>) -> TestServer {
        let mut queue = VecDeque::from(replies);
        Self::build(
            None,
            Some(Box::new(move || {
                (queue.pop_front().unwrap_or_else(Reply::ok), None)
            })),
            Some(tls),
        )
    }

    /// Draws a fault (or none) per request from a generator seeded with
    /// `seed`: the same seed and request order give the same replies.
    pub fn with_faults(profile: FaultProfile, seed: u64) -> TestServer {
        profile.validate();
        let mut rng = fastrand::Rng::with_seed(seed);
        Self::build(
            None,
            Some(Box::new(move || {
                // Exactly one draw per request, so request i always gets draw i.
                match profile.pick(rng.f64()) {
                    Some(fault) => (fault.reply(&profile), Some(fault)),
                    None => (Reply::ok(), None),
                }
            })),
            None,
        )
    }

    fn build(
        handler: Option<Handler>,
        sequence: Option<Sequence>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> TestServer {
        let shared = Arc::new(Shared {
            handler,
            state: Mutex::new(State {
                requests: Vec::new(),
                sequence,
                // Every kind starts at 0, so `counts["drop"]` never panics.
                faults: Fault::ALL
                    .iter()
                    .map(|f| (f.name(), 0))
                    .chain([("none", 0)])
                    .collect(),
            }),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let for_thread = Arc::clone(&shared);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let thread = std::thread::Builder::new()
            .name(format!("test-server-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(serve(listener, for_thread, rx, tls));
                // Dropping the runtime here cancels open connections and pending delays.
            })
            .unwrap();
        TestServer {
            addr,
            scheme,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL the client appends `/track`, `/batch`, ... to: `http://127.0.0.1:PORT/v1`
    /// (`https://` for a TLS server).
    pub fn endpoint(&self) -> String {
        format!("{}://{}/v1", self.scheme, self.addr)
    }

    /// `http://127.0.0.1:PORT` (or `https://`) followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// Every messageId of every call the server accepted, in order, duplicates kept.
    pub fn message_ids(&self) -> Vec<String> {
        let requests = self.requests(); // parse outside the lock
        requests
            .iter()
            .filter(|r| r.accepted)
            .flat_map(Recorded::message_ids)
            .collect()
    }

    /// Every call the server accepted, in order.
    pub fn accepted_calls(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|r| r.accepted && r.json_opt().is_some())
            .flat_map(|r| r.calls())
            .collect()
    }

    /// Requests per injected fault, keyed by `Fault::name` ("500", "429",
    /// "429+retry-after", "drop", "slow", "accept-then-500"), and "none" for
    /// the rest; only `with_faults` injects any.
    pub fn fault_counts(&self) -> HashMap<&'static str, u64> {
        self.lock().faults.clone()
    }

    /// Waits until at least `n` requests have arrived; false on timeout.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.request_count() < n {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under the lock would poison it; the records are still good.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(req, Arc::clone(&shared)));
                    match acceptor {
                        // A client that refuses the certificate ends here, unrecorded.
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(stream).await else { return };
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                        None => {
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                });
            }
        }
    }
}

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

async fn answer(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = req.into_parts();
    // A client that hangs up mid-body is not recorded.
    let wire = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let mut headers: HashMap<String, String> = HashMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_string()) // hyper's names are already lowercase
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let gzipped = headers
        .get("content-encoding")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let body = if gzipped {
        gunzip(&wire).map_or_else(|| wire.clone(), Bytes::from)
    } else {
        wire.clone()
    };
    let mut recorded = Recorded {
        index: 0,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers,
        body,
        gzipped,
        wire_len: wire.len(),
        status: None,
        accepted: false,
        delay: Duration::ZERO,
        fault: None,
        json: Arc::default(),
    };
    let handled = shared.handler.as_ref().map(|h| (h(&recorded), None));
    let reply = {
        let mut guard = shared.lock();
        let state = &mut *guard;
        recorded.index = state.requests.len();
        let (reply, fault) = match (handled, state.sequence.as_mut()) {
            (Some(handled), _) => handled,
            (None, Some(next)) => next(),
            (None, None) => unreachable!("a server has a handler or a sequence"),
        };
        recorded.status = reply.code();
        recorded.accepted = reply.accepts();
        recorded.delay = reply.pause();
        recorded.fault = fault;
        *state
            .faults
            .entry(fault.map_or("none", Fault::name))
            .or_insert(0) += 1;
        state.requests.push(recorded);
        reply
    };
    respond(reply).await
}

fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 4);
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

async fn respond(mut reply: Reply) -> Result<Response<Full<Bytes>>, Dropped> {
    while let Reply::Delay(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    let (code, headers, body) = match reply {
        Reply::Status {
            code,
            headers,
            body,
        } => (code, headers, body),
        Reply::AcceptThenFail => (
            500,
            Vec::new(),
            r#"{"error":"accepted, then failed"}"#.to_string(),
        ),
        Reply::Drop => return Err(Dropped),
        Reply::Delay(..) => unreachable!("delays were unwrapped above"),
    };
    let mut response = Response::builder().status(code);
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        response = response.header("content-type", "application/json");
    }
    for (name, value) in headers {
        response = response.header(name, value);
    }
    Ok(response
        .body(Full::new(Bytes::from(body)))
        .expect("valid test reply"))
}
