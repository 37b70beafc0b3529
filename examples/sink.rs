//! Local sink for the benchmarks in `bench/`: a stand-in for the Data Pipelines
//! API that answers `200 {}` to every POST as fast as it can, and counts what
//! it was sent.
//!
//! ```text
//! cargo build --release --example sink
//! target/release/examples/sink [--port 0] [--tls DIR]
//! ```
//!
//! It binds 127.0.0.1 only and prints `listening http://127.0.0.1:PORT` as the
//! first line on stdout. With `--tls DIR` it speaks HTTPS instead (HTTP/1.1),
//! with a certificate for 127.0.0.1 and localhost signed by a CA it makes at
//! start and writes to `DIR/ca.pem` (give that to cio and curl), and prints
//! `listening https://127.0.0.1:PORT`. Then:
//!
//! - `POST <any path>`: a single call (`/v1/track`, ...) or a batch
//!   (`{"batch": [...]}`), plain or `Content-Encoding: gzip`. Each item of
//!   `batch` counts as one call, any other body as one. The `messageId`s are
//!   collected into a set. A body that is not gzip or JSON gets a 400 and is
//!   counted in `bad_requests` only.
//! - `GET /stats`: `{"requests":N,"calls":N,"unique_message_ids":N,"bad_requests":N,"connections":N,"wire_bytes":N,"plain_bytes":N}`;
//!   `connections` counts accepted connections (TLS handshakes, with `--tls`),
//!   `wire_bytes` the request bodies as sent (gzipped or not), `plain_bytes` decompressed.
//! - `POST /reset`: zeroes all of it.
//!
//! For network benchmarks it can play a distant, rate-limited API:
//!
//! - `--delay-ms N`: every POST is answered N ms after it arrived (a round trip).
//! - `--slow-ms N --slow-after A --slow-until B`: requests A..B (in order of
//!   arrival) take N ms instead, a server that slows down and recovers.
//! - `--quota N`: at most N POSTs are taken per one-second window; the rest get
//!   `429` with `Retry-After` (whole seconds to the next window), like the API.
//!   Refusals are counted in `/stats` as `throttled`.
//!
//! `sink --capacity FILE` serves nothing: it times its own decoding and
//! counting of FILE's lines packed into batches (see `capacity`).
//!
//! Only the `messageId`s are picked out of the JSON (everything else is
//! skipped without being built), so it keeps up with a few hundred thousand
//! gzipped events per second on two cores.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

/// One call of a batch: only its messageId matters here.
#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow, rename = "messageId")]
    message_id: Option<Cow<'a, str>>,
}

/// A request body: either `{"batch": [...], ...}` or a single call.
#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    batch: Option<Vec<Item<'a>>>,
    #[serde(borrow, rename = "messageId")]
    message_id: Option<Cow<'a, str>>,
}

#[derive(Default)]
struct Stats {
    requests: u64,
    calls: u64,
    bad_requests: u64,
    throttled: u64,
    /// POSTs seen, in order of arrival (for --slow-after).
    arrivals: u64,
    /// The current quota window (whole seconds since start) and the POSTs taken in it.
    window: u64,
    taken_in_window: u64,
    connections: u64,
    /// Bytes of the POST bodies as they came (compressed or not), and decompressed.
    wire_bytes: u64,
    plain_bytes: u64,
    ids: HashSet<Box<str>>,
}

/// How the sink behaves, from its flags.
#[derive(Default, Clone, Copy)]
struct Behaviour {
    delay_ms: u64,
    slow_ms: u64,
    slow_after: u64,
    slow_until: u64,
    quota: Option<u64>,
}

type Shared = Arc<Mutex<Stats>>;

fn usage() -> ! {
    eprintln!(
        "usage: sink [--port PORT] [--tls DIR] [--delay-ms N] [--quota N] [--slow-ms N --slow-after A --slow-until B]\n\
         (binds 127.0.0.1; PORT 0 picks a free one)"
    );
    std::process::exit(2);
}

fn parse_args() -> (u16, Option<std::path::PathBuf>, Behaviour) {
    let mut port = 0u16;
    let mut tls = None;
    let mut b = Behaviour::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--tls" {
            tls = Some(args.next().unwrap_or_else(|| usage()).into());
            continue;
        }
        let (name, value) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg, args.next()),
        };
        let number = value
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| usage());
        match name.as_str() {
            "--port" => port = u16::try_from(number).unwrap_or_else(|_| usage()),
            "--delay-ms" => b.delay_ms = number,
            "--slow-ms" => b.slow_ms = number,
            "--slow-after" => b.slow_after = number,
            "--slow-until" => b.slow_until = number,
            "--quota" => b.quota = Some(number),
            _ => usage(),
        }
    }
    (port, tls, b)
}

/// Makes a CA (written to `dir/ca.pem`) and a leaf for 127.0.0.1 and localhost.
fn tls_acceptor(dir: &std::path::Path) -> tokio_rustls::TlsAcceptor {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "cio bench sink CA");
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("leaf params");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    let path = dir.join("ca.pem");
    if let Err(e) = std::fs::write(&path, ca_cert.pem()) {
        eprintln!("sink: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
        .expect("server certificate");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

fn main() {
    if let [_, flag, file] = &std::env::args().collect::<Vec<_>>()[..] {
        if flag == "--capacity" {
            capacity(file);
            return;
        }
    }
    let (port, tls, behaviour) = parse_args();
    let tls = tls.map(|dir| tls_acceptor(&dir));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(serve(port, tls, behaviour));
}

async fn serve(port: u16, tls: Option<tokio_rustls::TlsAcceptor>, behaviour: Behaviour) {
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sink: cannot bind 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("local address");
    {
        let mut out = std::io::stdout().lock();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let _ = writeln!(out, "listening {scheme}://{addr}");
        let _ = out.flush();
    }
    let shared: Shared = Arc::default();
    let started = std::time::Instant::now();
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: wait a little, go on.
                eprintln!("sink: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        shared.lock().unwrap().connections += 1;
        let shared = Arc::clone(&shared);
        let tls = tls.clone();
        tokio::spawn(async move {
            let service =
                service_fn(move |req| handle(req, Arc::clone(&shared), behaviour, started));
            let http = http1::Builder::new().keep_alive(true).clone();
            match tls {
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
            }
        });
    }
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .expect("response")
}

/// For a POST: how long to wait before answering, or a 429 with its Retry-After.
fn admit(shared: &Shared, b: Behaviour, started: std::time::Instant) -> Result<u64, u64> {
    let mut s = shared.lock().unwrap();
    s.arrivals += 1;
    if let Some(quota) = b.quota {
        let elapsed = started.elapsed();
        let window = elapsed.as_secs();
        if window != s.window {
            (s.window, s.taken_in_window) = (window, 0);
        }
        if s.taken_in_window >= quota {
            s.throttled += 1;
            return Err(1);
        }
        s.taken_in_window += 1;
    }
    let slow = b.slow_ms > 0 && (b.slow_after..b.slow_until).contains(&s.arrivals);
    Ok(if slow { b.slow_ms } else { b.delay_ms })
}

async fn handle(
    req: Request<Incoming>,
    shared: Shared,
    behaviour: Behaviour,
    started: std::time::Instant,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let method = req.method().clone();
    match (method, req.uri().path()) {
        (Method::GET, "/stats") => {
            let s = shared.lock().unwrap();
            let body = format!(
                "{{\"requests\":{},\"calls\":{},\"unique_message_ids\":{},\"bad_requests\":{},\"throttled\":{},\"connections\":{},\"wire_bytes\":{},\"plain_bytes\":{}}}",
                s.requests,
                s.calls,
                s.ids.len(),
                s.bad_requests,
                s.throttled,
                s.connections,
                s.wire_bytes,
                s.plain_bytes
            );
            Ok(reply(StatusCode::OK, body))
        }
        (Method::POST, "/reset") => {
            let _ = req.into_body().collect().await?;
            let old = std::mem::take(&mut *shared.lock().unwrap());
            drop(old); // free the id set outside the lock
            Ok(reply(StatusCode::OK, "{}"))
        }
        (Method::POST, _) => {
            let gzip = req
                .headers()
                .get("content-encoding")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
            let raw = req.into_body().collect().await?.to_bytes();
            let wait = match admit(&shared, behaviour, started) {
                Ok(wait) => wait,
                Err(retry_after) => {
                    let mut response =
                        reply(StatusCode::TOO_MANY_REQUESTS, "{\"error\":\"quota\"}");
                    response
                        .headers_mut()
                        .insert("retry-after", retry_after.into());
                    return Ok(response);
                }
            };
            if wait > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
            // Decompress and parse outside the lock; take it only to count.
            let result = if gzip {
                let mut plain = Vec::with_capacity(raw.len().saturating_mul(8));
                match flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut plain) {
                    Ok(_) => record(&plain, raw.len(), &shared),
                    Err(_) => Err("body is not valid gzip"),
                }
            } else {
                record(&raw, raw.len(), &shared)
            };
            match result {
                Ok(()) => Ok(reply(StatusCode::OK, "{}")),
                Err(why) => {
                    shared.lock().unwrap().bad_requests += 1;
                    Ok(reply(
                        StatusCode::BAD_REQUEST,
                        format!("{{\"error\":\"{why}\"}}"),
                    ))
                }
            }
        }
        _ => Ok(reply(StatusCode::NOT_FOUND, "{\"error\":\"not found\"}")),
    }
}

fn record(json: &[u8], wire: usize, shared: &Shared) -> Result<(), &'static str> {
    let body: Body = serde_json::from_slice(json).map_err(|_| "body is not a JSON object")?;
    let (calls, ids): (u64, Vec<Cow<str>>) = match body.batch {
        Some(items) => (
            items.len() as u64,
            items.into_iter().filter_map(|i| i.message_id).collect(),
        ),
        None => (1, body.message_id.into_iter().collect()),
    };
    let mut s = shared.lock().unwrap();
    s.requests += 1;
    s.calls += calls;
    s.wire_bytes += wire as u64;
    s.plain_bytes += json.len() as u64;
    for id in ids {
        if !s.ids.contains(id.as_ref()) {
            s.ids.insert(id.into());
        }
    }
    Ok(())
}

/// `sink --capacity FILE`: how many events a second this sink takes on one
/// core, with no network in the way. The first 200,000 NDJSON lines of FILE are packed into
/// batch bodies of up to 475,000 bytes (cio's default), gzipped at level 1
/// beforehand, then decompressed and counted exactly as a request would be.
/// Prints one JSON line: events, and events/s for gzipped and plain bodies.
fn capacity(file: &str) {
    let input = std::fs::File::open(file).unwrap_or_else(|e| {
        eprintln!("sink: cannot read {file}: {e}");
        std::process::exit(1);
    });
    let mut bodies = Vec::new();
    let mut body = b"{\"batch\":[".to_vec();
    let end = b"],\"sentAt\":\"2026-11-28T15:01:30.212Z\"}";
    let mut events = 0u64;
    for line in std::io::BufRead::split(std::io::BufReader::new(input), b'\n')
        .map(|l| l.expect("a line"))
        .filter(|l| !l.is_empty())
        .take(200_000)
    {
        if body.len() + line.len() + end.len() + 1 > 475_000 {
            body.extend_from_slice(end);
            bodies.push(std::mem::replace(&mut body, b"{\"batch\":[".to_vec()));
        }
        if body.last() != Some(&b'[') {
            body.push(b',');
        }
        body.extend_from_slice(&line);
        events += 1;
    }
    body.extend_from_slice(end);
    bodies.push(body);
    let gzipped: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(b).expect("gzip");
            enc.finish().expect("gzip")
        })
        .collect();
    let time = |gzip: bool| {
        let shared: Shared = Arc::default();
        let start = std::time::Instant::now();
        for (plain, packed) in bodies.iter().zip(&gzipped) {
            if gzip {
                let mut out = Vec::with_capacity(packed.len().saturating_mul(8));
                flate2::read::GzDecoder::new(&packed[..])
                    .read_to_end(&mut out)
                    .expect("gunzip");
                record(&out, packed.len(), &shared).expect("a batch");
            } else {
                record(plain, plain.len(), &shared).expect("a batch");
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(shared.lock().unwrap().calls, events);
        events as f64 / seconds
    };
    println!(
        "{{\"events\":{events},\"gzip_events_per_s\":{:.0},\"plain_events_per_s\":{:.0}}}",
        time(true),
        time(false)
    );
}
