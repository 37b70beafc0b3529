//! Hostile servers: what answers is not always the API, nor even HTTP. Each
//! server here is a raw TCP listener on 127.0.0.1 that writes what no proper
//! server would (an endless body, a trickle, a megabyte of headers, a web
//! page, a reset, a status line that is not HTTP). cio must end within its
//! timeout with one clear line and the right exit code, read no more than a
//! bounded part of any answer, and count nothing delivered that the API did
//! not acknowledge with its JSON object.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;

/// What an "endless" body writes before giving up: 2,000 times what cio reads
/// of an answer, and bounded so that a cio without the cap fails the memory
/// assertion instead of taking the machine.
const ENDLESS_BYTES: usize = 128 << 20;

/// A listener that reads each request (head and Content-Length body) and then
/// lets `answer` write whatever it likes on the connection.
struct RawServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    fn start(answer: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> RawServer {
        RawServer::start_reading(true, answer)
    }

    /// `read_body: false` leaves the request body unread, so that closing the
    /// connection resets it (Linux sends RST over unread data).
    fn start_reading(
        read_body: bool,
        answer: impl Fn(&mut TcpStream) + Send + Sync + 'static,
    ) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let answer = Arc::new(answer);
        let (count, stopped) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let (answer, count) = (answer.clone(), count.clone());
                std::thread::spawn(move || {
                    if read_request(&mut stream, read_body) {
                        count.fetch_add(1, Ordering::SeqCst);
                        answer(&mut stream);
                    }
                });
            }
        });
        RawServer {
            addr,
            requests,
            stop,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/v1{path}", self.addr)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads a request's head, and its body when `read_body`; false if the client left first.
fn read_request(stream: &mut TcpStream, read_body: bool) -> bool {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => return false,
        }
    }
    if !read_body {
        return true;
    }
    let head = String::from_utf8_lossy(&seen).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).is_ok()
}

/// Writes `head`, then `ENDLESS_BYTES` of `x` (until cio hangs up).
fn endless(head: &'static str) -> impl Fn(&mut TcpStream) + Send + Sync + 'static {
    move |stream| {
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let block = vec![b'x'; 64 * 1024];
        for _ in 0..ENDLESS_BYTES / block.len() {
            if stream.write_all(&block).is_err() {
                return;
            }
        }
    }
}

/// A page as a web server's default site gives it.
const NGINX_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and working.</p>\n</body>\n</html>\n";

/// 200 with the nginx welcome page.
fn nginx(stream: &mut TcpStream) {
    let answer = format!(
        "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{NGINX_PAGE}",
        NGINX_PAGE.len()
    );
    let _ = stream.write_all(answer.as_bytes());
}

/// What the messages quote of the nginx page: its first 100 characters, on one line.
const NGINX_QUOTED: &str = "<!DOCTYPE html> <html> <head> <title>Welcome to nginx!</title> </head> <body> <h1>Welcome to nginx!<…";

/// `cio` with the test key, pointed at `endpoint`.
fn cio(env: &CioEnv, endpoint: &str) -> std::process::Command {
    let mut cmd = env.std_cmd();
    cmd.env("CIO_ENDPOINT", endpoint)
        .env("CIO_WRITE_KEY", TEST_KEY);
    cmd
}

/// One track call, one attempt.
fn track(env: &CioEnv, endpoint: &str) -> std::process::Command {
    let mut cmd = cio(env, endpoint);
    cmd.args(["track", "e", "--user-id", "u", "--retries", "0"]);
    cmd
}

/// Runs `cmd` to its end, sampling its peak RSS; its output and the peak in KB.
fn run_measured(mut cmd: std::process::Command) -> (Output, u64) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let peak_kb = peak_rss_kb(&mut child);
    (child.wait_with_output().unwrap(), peak_kb)
}

/// Exit `code` and `cio: error: {message}` alone on stderr, the key nowhere.
fn assert_failed(out: &Output, code: i32, message: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr_of(out));
    assert_eq!(stderr_of(out), format!("cio: error: {message}\n"));
    assert_no_key(&stdout_of(out));
}

fn assert_bounded(peak_kb: u64) {
    assert!(peak_kb < 64 * 1024, "peak RSS {peak_kb} KB");
}

/// What cio says of a 2xx that is not the API's answer.
fn not_the_api(url: &str, answer: &str) -> String {
    format!("not delivered: {url} answered like something other than the Customer.io Pipelines API, which answers a JSON object: {answer}; check the endpoint (from CIO_ENDPOINT)")
}

#[test]
fn an_endless_body_with_200_is_not_a_delivery_and_is_read_only_in_part() {
    let env = CioEnv::new();
    let server = RawServer::start(endless(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
    ));
    let (out, peak_kb) = run_measured(track(&env, &server.endpoint()));
    let quoted = format!("{}…", "x".repeat(100));
    assert_failed(
        &out,
        5,
        &not_the_api(
            &server.url("/track"),
            &format!("200 (application/json), body: {quoted}"),
        ),
    );
    assert_bounded(peak_kb);
}

#[test]
fn an_endless_body_with_400_is_read_only_in_part() {
    let env = CioEnv::new();
    let server = RawServer::start(endless(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
    ));
    let (out, peak_kb) = run_measured(track(&env, &server.endpoint()));
    let quoted = format!("{}…", "x".repeat(300));
    assert_failed(
        &out,
        2,
        &format!(
            "the server at {} refused the call (400): {quoted}",
            server.url("/track")
        ),
    );
    assert_bounded(peak_kb);
}

#[test]
fn an_endless_body_with_500_stops_a_replay_in_bounded_memory() {
    let env = CioEnv::new();
    let server = RawServer::start(endless(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
    ));
    let input = env.path().join("in.ndjson");
    let lines: String = (0..30)
        .map(|i| format!("{{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u{i}\"}}\n"))
        .collect();
    std::fs::write(&input, lines).unwrap();
    let mut cmd = cio(&env, &server.endpoint());
    cmd.args([
        "batch",
        "--json",
        "--concurrency",
        "1",
        "--retries",
        "1",
        "--max-batch-calls",
        "10",
    ])
    .arg(&input);
    let (out, peak_kb) = run_measured(cmd);
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let summary = summary(&out);
    assert_counts(&summary, &[("delivered", 0)]);
    let error = summary["error"].as_str().unwrap_or_default();
    let quoted = format!("500 {}…", "x".repeat(300));
    assert!(
        error.starts_with("3 batches in a row could not be delivered; stopping (")
            && error.ends_with(&format!("{quoted})")),
        "{summary}"
    );
    assert_no_key(&stderr_of(&out));
    assert_bounded(peak_kb);
}

#[test]
fn a_body_that_trickles_a_byte_a_second_ends_with_the_timeout() {
    let env = CioEnv::new();
    let server = RawServer::start(|stream| {
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        for _ in 0..100 {
            if stream.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let started = Instant::now();
    let out = track(&env, &server.endpoint())
        .args(["--timeout", "2"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_failed(
        &out,
        5,
        &format!(
            "not delivered to {} after 1 attempt: timed out talking to {}: operation timed out; each attempt may take 2 s (--timeout)",
            server.url("/track"),
            server.addr
        ),
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_megabyte_of_headers_is_a_failed_attempt() {
    let env = CioEnv::new();
    let server = RawServer::start(|stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n");
        let header = format!("X-Filler: {}\r\n", "a".repeat(1000));
        for _ in 0..1000 {
            if stream.write_all(header.as_bytes()).is_err() {
                return;
            }
        }
        let _ = stream.write_all(b"Content-Length: 2\r\n\r\n{}");
    });
    let (out, peak_kb) = run_measured(track(&env, &server.endpoint()));
    assert_failed(
        &out,
        5,
        &format!(
            "not delivered to {} after 1 attempt: connection failed: message head is too large",
            server.url("/track")
        ),
    );
    assert_bounded(peak_kb);
}

#[test]
fn a_web_page_with_200_is_not_a_delivery_and_a_single_call_can_be_spooled() {
    let env = CioEnv::new();
    let server = RawServer::start(nginx);
    let message = not_the_api(
        &server.url("/track"),
        &format!("200 (text/html), body: {NGINX_QUOTED}"),
    );
    let out = track(&env, &server.endpoint()).output().unwrap();
    assert_failed(&out, 5, &message);

    // Kept for later, as an outage's call is.
    let out = track(&env, &server.endpoint())
        .arg("--spool")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with(&format!("cio: warning: {message}; kept in the spool ")),
        "{stderr}"
    );
    let spooled = || -> serde_json::Value {
        let out = cio(&env, &server.endpoint())
            .args(["spool", "status", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(spooled()["calls"], 1);

    // A flush to the same page delivers nothing, and keeps the call.
    let out = cio(&env, &server.endpoint())
        .args(["flush", "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains(&not_the_api(
            &server.url("/batch"),
            &format!("200 (text/html), body: {NGINX_QUOTED}")
        )),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(spooled()["calls"], 1);
    assert_eq!(server.requests(), 3);
}

#[test]
fn ping_fails_against_a_web_page() {
    let env = CioEnv::new();
    let server = RawServer::start(nginx);
    let out = cio(&env, &server.endpoint())
        .args(["ping", "-q"])
        .output()
        .unwrap();
    assert_failed(
        &out,
        5,
        &not_the_api(
            &server.url("/batch"),
            &format!("200 (text/html), body: {NGINX_QUOTED}"),
        ),
    );
}

#[test]
fn a_replay_against_a_web_page_stops_and_keeps_every_call_owed() {
    let env = CioEnv::new();
    let server = RawServer::start(nginx);
    let input = env.path().join("in.ndjson");
    let checkpoint = env.path().join("in.checkpoint");
    let lines: String = (0..50)
        .map(|i| format!("{{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u{i}\"}}\n"))
        .collect();
    std::fs::write(&input, lines).unwrap();
    let replay = |endpoint: &str| {
        let mut cmd = cio(&env, endpoint);
        cmd.args(["batch", "--json", "--concurrency", "1", "--checkpoint"])
            .arg(&checkpoint)
            .arg(&input);
        cmd.output().unwrap()
    };
    let out = replay(&server.endpoint());
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let summary = summary(&out);
    assert_counts(&summary, &[("delivered", 0)]);
    assert_eq!(
        summary["error"].as_str(),
        Some(
            not_the_api(
                &server.url("/batch"),
                &format!("200 (text/html), body: {NGINX_QUOTED}")
            )
            .as_str()
        ),
        "{summary}"
    );
    // One request, and the run stopped: no retry makes a web page the API.
    assert_eq!(server.requests(), 1);

    // The calls were owed: the same command against the API delivers them all.
    let good = TestServer::start();
    let out = replay(&good.endpoint());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(good.accepted_calls().len(), 50);
}

#[test]
fn a_reset_after_200_is_not_a_delivery() {
    let env = CioEnv::new();
    // The request body is left unread, so the close after the first byte of the answer's body is a reset.
    let server = RawServer::start_reading(false, |stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{",
        );
        std::thread::sleep(Duration::from_millis(300));
    });
    let out = track(&env, &server.endpoint()).output().unwrap();
    assert_failed(
        &out,
        5,
        &format!(
            "not delivered to {} after 1 attempt: connection failed: Connection reset by peer (os error 104)",
            server.url("/track")
        ),
    );
}

#[test]
fn a_status_line_that_is_not_http_is_a_failed_attempt() {
    let env = CioEnv::new();
    let server = RawServer::start(|stream| {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n");
    });
    let out = track(&env, &server.endpoint()).output().unwrap();
    assert_failed(
        &out,
        5,
        &format!(
            "not delivered to {} after 1 attempt: connection failed: invalid HTTP version parsed",
            server.url("/track")
        ),
    );
}
