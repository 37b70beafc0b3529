//! Test support: a real HTTP server on 127.0.0.1 that records what it receives
//! and answers as a test scripts it (including faults), and a builder that runs
//! the real `cio` binary in a private environment.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// The write key every test uses, so outputs can be searched for it.
pub const TEST_KEY: &str = "wk_test_9f8e7d6c5b4a3210SECRET";

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection without answering.
    Drop,
    /// Answer after a pause (past a client's timeout, say).
    Delay(Duration, Box<Reply>),
    /// Take the calls (they count as received) but answer 500, so a retry sends them twice.
    AcceptThenFail,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::status(200, "{}")
    }
    pub fn status(code: u16, body: &str) -> Reply {
        Reply::Status {
            code,
            headers: vec![],
            body: body.to_string(),
        }
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
    /// The status this reply answers with; `None` when the connection is dropped.
    fn answer_status(&self) -> Option<u16> {
        match self {
            Reply::Status { code, .. } => Some(*code),
            Reply::AcceptThenFail => Some(500),
            Reply::Delay(_, inner) => inner.answer_status(),
            Reply::Drop => None,
        }
    }
    fn pause(&self) -> Duration {
        match self {
            Reply::Delay(pause, inner) => *pause + inner.pause(),
            _ => Duration::ZERO,
        }
    }
    fn accepts(&self) -> bool {
        match self {
            Reply::Status { code, .. } => (200..300).contains(code),
            Reply::AcceptThenFail => true,
            Reply::Delay(_, inner) => inner.accepts(),
            Reply::Drop => false,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    /// The body, gunzipped when it came with `Content-Encoding: gzip`.
    pub body: Vec<u8>,
    pub body_json: Option<Value>,
    pub received: Instant,
    /// Whether the server took its calls (a 2xx answer, or accept-then-fail).
    pub accepted: bool,
    /// The status it was answered with; `None` for a dropped connection.
    pub status: Option<u16>,
    /// How long the server waited before answering.
    pub delay: Duration,
}

impl Recorded {
    pub fn json(&self) -> &Value {
        self.body_json
            .as_ref()
            .unwrap_or_else(|| panic!("body is not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
    /// The user name of `Authorization: Basic ...` (the write key).
    pub fn basic_auth_user(&self) -> Option<String> {
        use base64::Engine;
        let token = self.header("authorization")?.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        text.strip_suffix(':').map(str::to_string)
    }
    /// The calls in the request: the items of a batch, or the single call.
    pub fn calls(&self) -> Vec<Value> {
        let json = self.json();
        match json.get("batch").and_then(Value::as_array) {
            Some(items) => items.clone(),
            None => vec![json.clone()],
        }
    }
}

/// Seeded fault probabilities, one draw per request.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultProfile {
    pub p_500: f64,
    pub p_429: f64,
    pub p_429_retry_after: f64,
    pub p_drop: f64,
    pub p_slow: f64,
    pub slow_for: Duration,
    pub p_accept_then_500: f64,
}

impl FaultProfile {
    pub fn none() -> Self {
        Self::default()
    }
    pub fn errors_500(p: f64) -> Self {
        FaultProfile {
            p_500: p,
            ..Self::default()
        }
    }
    pub fn rate_limited(p: f64) -> Self {
        FaultProfile {
            p_429: p / 2.0,
            p_429_retry_after: p / 2.0,
            ..Self::default()
        }
    }
    pub fn drops(p: f64) -> Self {
        FaultProfile {
            p_drop: p,
            ..Self::default()
        }
    }
    pub fn slow(p: f64, slow_for: Duration) -> Self {
        FaultProfile {
            p_slow: p,
            slow_for,
            ..Self::default()
        }
    }
    pub fn accept_then_500(p: f64) -> Self {
        FaultProfile {
            p_accept_then_500: p,
            ..Self::default()
        }
    }
    pub fn mixed() -> Self {
        FaultProfile {
            p_500: 0.08,
            p_429: 0.04,
            p_429_retry_after: 0.04,
            p_drop: 0.06,
            p_slow: 0.03,
            slow_for: Duration::from_millis(1500),
            p_accept_then_500: 0.05,
        }
    }
}

type Handler = Box<dyn Fn(&Recorded) -> Reply + Send + Sync>;
/// Picks a reply and names the fault it injects.
type Chooser = Box<dyn Fn(&Recorded) -> (&'static str, Reply) + Send + Sync>;

struct Shared {
    requests: Mutex<Vec<Recorded>>,
    handler: Handler,
}

/// A real HTTP/1.1 server on 127.0.0.1, on its own thread; stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    faults: Arc<Mutex<HashMap<&'static str, u64>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::with_handler(|_| Reply::ok())
    }

    /// The i-th request gets `replies[i]`; 200 after the list runs out.
    pub fn with_replies(replies: Vec<Reply>) -> TestServer {
        let queue = Mutex::new(std::collections::VecDeque::from(replies));
        Self::with_handler(move |_| queue.lock().unwrap().pop_front().unwrap_or_else(Reply::ok))
    }

    /// Faults drawn per request from a seeded generator: the same seed and order give the same faults.
    pub fn with_faults(profile: FaultProfile, seed: u64) -> TestServer {
        let rng = Mutex::new(fastrand::Rng::with_seed(seed));
        Self::build(Box::new(move |_| {
            let roll = rng.lock().unwrap().f64();
            let mut edge = 0.0;
            let mut pick = |p: f64| {
                edge += p;
                roll < edge
            };
            if pick(profile.p_500) {
                ("500", Reply::status(500, "injected"))
            } else if pick(profile.p_429) {
                ("429", Reply::status(429, "slow down"))
            } else if pick(profile.p_429_retry_after) {
                (
                    "429+retry-after",
                    Reply::status_with_headers(429, &[("Retry-After", "1")], ""),
                )
            } else if pick(profile.p_drop) {
                ("drop", Reply::Drop)
            } else if pick(profile.p_slow) {
                ("slow", Reply::delay(profile.slow_for, Reply::ok()))
            } else if pick(profile.p_accept_then_500) {
                ("accept-then-500", Reply::AcceptThenFail)
            } else {
                ("none", Reply::ok())
            }
        }))
    }

    pub fn with_handler(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        Self::build(Box::new(move |r| ("none", handler(r))))
    }

    fn build(choose: Chooser) -> TestServer {
        let faults = Arc::new(Mutex::new(HashMap::new()));
        let counts = Arc::clone(&faults);
        let handler: Handler = Box::new(move |r| {
            let (fault, reply) = choose(r);
            *counts.lock().unwrap().entry(fault).or_insert(0) += 1;
            reply
        });
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            handler,
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(serve(listener, for_thread, rx));
        });
        TestServer {
            addr,
            shared,
            faults,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Every messageId the server took, in order, duplicates kept.
    pub fn message_ids(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r.accepted && r.body_json.is_some())
            .flat_map(|r| r.calls())
            .filter_map(|c| c["messageId"].as_str().map(str::to_string))
            .collect()
    }

    /// Every call the server took, in order.
    pub fn accepted_calls(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|r| r.accepted && r.body_json.is_some())
            .flat_map(|r| r.calls())
            .collect()
    }

    /// How many times each fault was injected ("none" for plain answers).
    pub fn fault_counts(&self) -> HashMap<&'static str, u64> {
        self.faults.lock().unwrap().clone()
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

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(req, Arc::clone(&shared)));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
}

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
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let headers: HashMap<String, String> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let raw = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Err(Dropped),
    };
    let body = if headers.get("content-encoding").map(String::as_str) == Some("gzip") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map(|_| out)
            .unwrap_or(raw)
    } else {
        raw
    };
    let mut recorded = Recorded {
        method,
        path,
        headers,
        body_json: serde_json::from_slice(&body).ok(),
        body,
        received: Instant::now(),
        accepted: false,
        status: None,
        delay: Duration::ZERO,
    };
    let reply = (shared.handler)(&recorded);
    recorded.accepted = reply.accepts();
    recorded.status = reply.answer_status();
    recorded.delay = reply.pause();
    shared.requests.lock().unwrap().push(recorded);
    respond(reply).await
}

async fn respond(reply: Reply) -> Result<Response<Full<Bytes>>, Dropped> {
    let mut reply = reply;
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
        Reply::AcceptThenFail => (500, vec![], "accepted, then failed".to_string()),
        Reply::Drop => return Err(Dropped),
        Reply::Delay(..) => unreachable!(),
    };
    let mut response = Response::builder()
        .status(code)
        .header("content-type", "application/json");
    for (k, v) in headers {
        response = response.header(k, v);
    }
    Ok(response.body(Full::new(Bytes::from(body))).unwrap())
}

/// A private environment for the binary: its own HOME and XDG_CONFIG_HOME, no inherited CIO_* variable.
pub struct CioEnv {
    dir: tempfile::TempDir,
}

impl Default for CioEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl CioEnv {
    pub fn new() -> CioEnv {
        CioEnv {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("xdg").join("cio")
    }

    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("cio").unwrap();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("NO_COLOR", "1");
        cmd
    }

    /// Like `cmd_for`, as a `std::process::Command` for tests that need the child process.
    pub fn std_cmd_for(&self, server: &TestServer) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cio"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("NO_COLOR", "1")
            .env("CIO_ENDPOINT", server.endpoint())
            .env("CIO_WRITE_KEY", TEST_KEY);
        cmd
    }

    /// `cmd()` pointed at `server` with the test key.
    pub fn cmd_for(&self, server: &TestServer) -> assert_cmd::Command {
        let mut cmd = self.cmd();
        cmd.env("CIO_ENDPOINT", server.endpoint())
            .env("CIO_WRITE_KEY", TEST_KEY);
        cmd
    }
}

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails if the test key, or its Basic-auth encoding, appears in `text`.
pub fn assert_no_key(text: &str) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{TEST_KEY}:"));
    assert!(!text.contains(TEST_KEY), "the write key leaked:\n{text}");
    assert!(
        !text.contains(&encoded),
        "the encoded write key leaked:\n{text}"
    );
    // Parts of the key are enough to leak it.
    assert!(
        !text.contains("9f8e7d6c5b4a3210"),
        "part of the write key leaked:\n{text}"
    );
}
