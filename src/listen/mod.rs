//! `cio listen`: a local endpoint that speaks the Pipelines API. It answers
//! like the API (strict mode, size limits, auth), shows every call, records
//! what it accepts, and stops by itself for CI.
//!
//! accept loop ─▶ one task per connection (hyper, http1) ─▶ `server::handle`
//!   (at most --max-connections)   │ auth from the headers, then the body read
//!                                 │ (bounded, timed, within --max-buffered-mb
//!                                 │ across all connections) ─▶ `answer::parse` ─▶ record ─▶ answer
//!                                 └▶ `display` (a line per call) and `tally` (the summary)
//!
//! Whatever a client does, the listener's memory stays bounded: a connection
//! past the limit is answered 503 at once, a request without the key is
//! refused before its body is read, and a body that would pass the shared
//! budget is answered 503 with Retry-After.

pub mod answer;
pub mod display;
pub mod forward;
pub mod record;
pub mod server;
pub mod tally;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::secret::WriteKey;
use display::Display;
use record::Recorder;
use tally::Tally;

/// Answers that stand in for an unwell server, to test a client's retries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// The status of a faulty answer (503 unless given).
    pub status: Option<u16>,
    /// The share of requests answered with it (every one when only `status` is given).
    pub rate: f64,
    /// A pause before every answer.
    pub delay: Duration,
}

impl Faults {
    /// The status to answer instead of the real one, if this request gets a fault.
    fn pick(&self) -> Option<u16> {
        let rate = match (self.status, self.rate) {
            (Some(_), r) if r <= 0.0 => 1.0,
            (_, r) => r,
        };
        (rate > 0.0 && fastrand::f64() < rate).then(|| self.status.unwrap_or(503))
    }
}

pub struct Options {
    pub addr: SocketAddr,
    /// The key clients must send, when one is given.
    pub key: Option<WriteKey>,
    pub recorder: Option<Recorder>,
    /// `--forward`: the upstream that must take a request's calls before it is answered.
    pub forward: Option<crate::client::Client>,
    pub exit_after: Option<u64>,
    pub idle_exit: Option<Duration>,
    /// How long a client may take to send a request's headers, and its body.
    pub read_timeout: Duration,
    pub faults: Faults,
    pub display: Display,
    /// `--lint`: the semantic-event linter, whose findings show beside each call.
    pub lint: Option<crate::lint::Linter>,
    /// `--grace`: how long a stop waits for the requests in flight.
    pub grace: Duration,
    /// `--max-connections`.
    pub max_connections: usize,
    /// `--max-buffered-mb`, in bytes.
    pub max_buffered: usize,
    /// This listener's value of the `MARKER` header (its forwarded requests carry it).
    pub instance: String,
}

/// The header a forwarded request carries, naming the listener that sent it,
/// so that a listener reached again through a loop refuses it.
pub const MARKER: &str = "x-cio-listen";

/// What the connection tasks share.
pub struct Shared {
    pub options: Options,
    pub tally: Mutex<Tally>,
    stop: watch::Sender<bool>,
    in_flight: AtomicUsize,
    last_activity: Mutex<Instant>,
    /// Bytes of request bodies held, across all connections (`--max-buffered-mb`).
    pub buffered: Arc<Semaphore>,
}

impl Shared {
    /// Marks a request under way until the guard is dropped (for `--idle-exit`).
    fn begin(self: &Arc<Self>) -> Activity {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.touch();
        Activity(self.clone())
    }

    fn touch(&self) {
        if let Ok(mut last) = self.last_activity.lock() {
            *last = Instant::now();
        }
    }

    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Duration::ZERO;
        }
        self.last_activity
            .lock()
            .map(|l| l.elapsed())
            .unwrap_or_default()
    }

    /// Counts calls under the lock and stops the listener once `--exit-after` is reached.
    pub fn with_tally<T>(&self, f: impl FnOnce(&mut Tally) -> T) -> T {
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        let out = f(&mut tally);
        if self.options.exit_after.is_some_and(|n| tally.calls >= n) {
            self.stop.send_replace(true);
        }
        out
    }
}

struct Activity(Arc<Shared>);

impl Drop for Activity {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Why the listener stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    ExitAfter,
    Idle,
    Signal,
}

/// How a listener ended.
pub struct Ended {
    pub tally: Tally,
    pub why: Stopped,
    /// Requests still unanswered when `--grace` ran out (or a second signal came).
    pub abandoned: usize,
}

/// Binds, prints `listening on http://ADDR/v1` as the first line of stdout,
/// serves until a stop condition, lets the requests in flight finish within
/// `--grace`, and returns what it counted. `forward_to`, the addresses the
/// forward endpoint resolves to, must not include the listener's own.
pub fn run(options: Options, forward_to: &[SocketAddr]) -> Result<Ended> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the runtime", &e))?;
    runtime.block_on(serve(options, forward_to))
}

/// Whether a connection to `target` would reach a listener bound to `local`.
fn reaches(target: SocketAddr, local: SocketAddr) -> bool {
    if target.port() != local.port() {
        return false;
    }
    let ip = target.ip();
    ip == local.ip() || (local.ip().is_unspecified() && (ip.is_loopback() || ip.is_unspecified()))
}

async fn serve(options: Options, forward_to: &[SocketAddr]) -> Result<Ended> {
    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|e| Error::io(format!("cannot listen on {}", options.addr), &e))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("cannot listen", &e))?;
    if let Some(target) = forward_to.iter().find(|t| reaches(**t, local)) {
        return Err(Error::usage(format!(
            "--forward would send every call back to this listener ({target} is its own address): point the endpoint (CIO_ENDPOINT, --endpoint, the profile) at the upstream"
        )));
    }
    // The handlers are in place before the first line says the listener is up:
    // a signal sent as soon as it is read stops the listener with its summary.
    let signals = crate::signals::listen();
    crate::output::stdout_line(format_args!("listening on http://{local}/v1"));
    let (stop, mut stopped) = watch::channel(false);
    let idle_exit = options.idle_exit;
    let read_timeout = options.read_timeout;
    let grace = options.grace;
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let buffered = Arc::new(Semaphore::new(options.max_buffered));
    let shared = Arc::new(Shared {
        options,
        tally: Mutex::new(Tally::default()),
        stop,
        in_flight: AtomicUsize::new(0),
        last_activity: Mutex::new(Instant::now()),
        buffered,
    });
    let mut connections = JoinSet::new();
    let why = loop {
        tokio::select! {
            accepted = listener.accept() => {
                // A failed accept (too many open files, a reset) is the client's
                // loss, not a reason to stop serving the others.
                if let Ok((stream, _)) = accepted {
                    match slots.clone().try_acquire_owned() {
                        Ok(slot) => {
                            connections.spawn(connection(stream, shared.clone(), shared.stop.subscribe(), read_timeout, slot));
                        }
                        Err(_) => turn_away(stream),
                    }
                }
            }
            _ = stopped.wait_for(|s| *s) => break Stopped::ExitAfter,
            _ = crate::signals::interrupts(&signals, 1) => break Stopped::Signal,
            _ = tokio::time::sleep(Duration::from_millis(100)), if idle_exit.is_some() => {
                if idle_exit.is_some_and(|idle| shared.idle_for() >= idle) {
                    break Stopped::Idle;
                }
            }
        }
        while connections.try_join_next().is_some() {}
    };
    drop(listener);
    // Every connection finishes the request it is serving, then closes.
    shared.stop.send_replace(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    let second = crate::signals::interrupts(&signals, 2);
    tokio::select! {
        _ = tokio::time::timeout(grace, drained) => {}
        _ = second => {}
    }
    let abandoned = shared.in_flight.load(Ordering::SeqCst);
    let tally = std::mem::take(&mut *shared.tally.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(Ended {
        tally,
        why,
        abandoned,
    })
}

/// A connection past `--max-connections`: a 503 written if the socket takes it
/// at once (never waited for), then closed.
fn turn_away(stream: tokio::net::TcpStream) {
    const BODY: &str =
        r#"{"meta":{"errors":["too many connections at once (cio listen --max-connections)"]}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.try_write(answer.as_bytes());
}

async fn connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    read_timeout: Duration,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, std::convert::Infallible>(server::handle(request, shared).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        // hyper's read buffer, per connection: headers fit, and a body arrives in frames of this.
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
