//! `cio listen`: the real binary as a listener on 127.0.0.1, fed by cio's own
//! `track` and `batch` and by raw HTTP written byte by byte: every path, every
//! refusal, limits enforced mid-body, a body that never ends, the recording
//! replayed into a second listener, the exit conditions, and a kill -9.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

/// A running `cio listen`, its URL read from its first line of stdout.
pub(crate) struct Listener {
    child: Child,
    pub(crate) url: String,
    lines: mpsc::Receiver<String>,
    stderr: Option<thread::JoinHandle<String>>,
}

impl Listener {
    pub(crate) fn start(env: &CioEnv, args: &[&str]) -> Listener {
        Listener::start_with(env, args, &[])
    }

    pub(crate) fn start_with(env: &CioEnv, args: &[&str], vars: &[(&str, &str)]) -> Listener {
        Listener::spawn(Listener::command(env, args, vars))
    }

    /// `cio listen` on a free port (unless `args` name one).
    fn command(env: &CioEnv, args: &[&str], vars: &[(&str, &str)]) -> std::process::Command {
        let mut cmd = env.std_cmd();
        cmd.arg("listen");
        if !args.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd
    }

    fn spawn(mut cmd: std::process::Command) -> Listener {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cio listen");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let first = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the listener's first line");
        let url = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {first}"))
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/v1"),
            "{url}"
        );
        Listener {
            child,
            url,
            lines,
            stderr: Some(stderr),
        }
    }

    /// host:port
    pub(crate) fn addr(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .trim_end_matches("/v1")
            .to_string()
    }

    /// Waits for the listener to stop by itself; its exit status, stdout after the first line, stderr.
    pub(crate) fn wait(mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the listener did not stop by itself");
            }
            thread::sleep(Duration::from_millis(20));
        };
        let stdout: Vec<String> = self.lines.iter().collect();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, stdout.join("\n"), stderr)
    }

    /// SIGTERM, then wait.
    fn terminate(self) -> (ExitStatus, String, String) {
        self.signal("-TERM")
    }

    /// `signal` (as `kill` takes it), then wait.
    fn signal(self, signal: &str) -> (ExitStatus, String, String) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        self.wait()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One raw HTTP/1.1 request; the status and the body of the answer.
fn raw(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = head.replace('\n', "\r\n").into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).unwrap();
    read_answer(&mut stream)
}

fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn auth(key: &str) -> String {
    format!(
        "Authorization: Basic {}",
        base64_encode(format!("{key}:").as_bytes())
    )
}

/// POST `body` to `/v1/{path}` with the test key; strict mode when asked.
pub(crate) fn post(addr: &str, path: &str, body: &str, strict: bool) -> (u16, String) {
    let strict = if strict { "X-Strict-Mode: 1\n" } else { "" };
    let head = format!(
        "POST /v1/{path} HTTP/1.1\nHost: {addr}\n{}\nContent-Type: application/json\n{strict}Content-Length: {}\nConnection: close\n\n",
        auth(TEST_KEY),
        body.len()
    );
    raw(addr, &head, body.as_bytes())
}

pub(crate) fn errors_of(body: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["meta"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("not the API's error shape: {body}"))
        .iter()
        .map(|e| e.as_str().expect("errors are strings").to_string())
        .collect()
}

fn read_recording(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn ids(calls: &[Value]) -> BTreeSet<String> {
    calls
        .iter()
        .map(|c| c["messageId"].as_str().unwrap().to_string())
        .collect()
}

/// cio itself, pointed at a listener.
fn cio_to(env: &CioEnv, listener: &Listener) -> std::process::Command {
    let mut cmd = env.std_cmd();
    cmd.env("CIO_ENDPOINT", &listener.url)
        .env("CIO_WRITE_KEY", TEST_KEY);
    cmd
}

#[test]
fn cio_track_and_batch_are_shown_recorded_and_counted() {
    let env = CioEnv::new();
    let rec = env.path().join("rec.ndjson");
    let listener = Listener::start(&env, &["--exit-after", "7", "-o", rec.to_str().unwrap()]);

    let out = cio_to(&env, &listener)
        .args([
            "track",
            "Product Added",
            "--user-id",
            "u1",
            "--prop",
            "price=139.99",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let track_id = stdout_of(&out).trim().to_string();

    let input = env.path().join("in.ndjson");
    let lines: Vec<String> = (0..3)
        .map(|n| json!({"type": "track", "event": "login", "userId": format!("b{n}"), "messageId": format!("m-{n}")}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    // gzip (the default) and plain.
    for extra in [None, Some("--no-gzip")] {
        let out = cio_to(&env, &listener)
            .arg("batch")
            .arg(&input)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }

    let (status, stdout, stderr) = listener.wait();
    assert_eq!(status.code(), Some(0), "{stdout}\n{stderr}");
    // One line per call, with type, event, identity and size; no colour when piped.
    let shown: Vec<&str> = stdout.lines().collect();
    assert_eq!(shown.len(), 7, "{stdout}");
    assert!(
        shown[0].contains("track")
            && shown[0].contains("Product Added")
            && shown[0].contains("user u1")
            && shown[0].ends_with(" B"),
        "{}",
        shown[0]
    );
    assert!(
        shown[1].contains("login") && shown[1].contains("user b0"),
        "{}",
        shown[1]
    );
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(
        stderr.contains("7 calls in 3 requests (track 7); 0 invalid; 0 requests refused"),
        "{stderr}"
    );
    assert!(
        stderr.contains("track: Product Added 1, login 6"),
        "{stderr}"
    );
    assert!(stderr.contains("recorded 7 calls to"), "{stderr}");
    assert_no_key(&stdout);
    assert_no_key(&stderr);

    let recorded = read_recording(&rec);
    assert_eq!(recorded.len(), 7);
    assert_eq!(recorded[0]["messageId"], track_id.as_str());
    assert_eq!(recorded[0]["properties"]["price"], 139.99);
    for call in &recorded {
        assert!(call["receivedAt"].is_string(), "{call}");
        assert_eq!(call["type"], "track");
    }
    // Both batches delivered the same three ids.
    let batch_ids: Vec<&str> = recorded[1..]
        .iter()
        .map(|c| c["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(batch_ids, ["m-0", "m-1", "m-2", "m-0", "m-1", "m-2"]);
}

#[test]
fn every_path_answers_like_the_api() {
    let env = CioEnv::new();
    let rec = env.path().join("rec.ndjson");
    let listener = Listener::start(&env, &["-o", rec.to_str().unwrap(), "-v"]);
    let addr = listener.addr();
    let valid = [
        (
            "track",
            json!({"event": "e", "userId": "u", "messageId": "t1"}),
        ),
        (
            "identify",
            json!({"userId": "u", "traits": {"email": "a@b.c"}, "messageId": "i1"}),
        ),
        (
            "page",
            json!({"anonymousId": "a", "name": "Home", "messageId": "p1"}),
        ),
        (
            "screen",
            json!({"userId": "u", "name": "Settings", "messageId": "s1"}),
        ),
        (
            "group",
            json!({"userId": "u", "groupId": "acme", "messageId": "g1"}),
        ),
        (
            "alias",
            json!({"userId": "u", "previousId": "anon", "messageId": "a1"}),
        ),
        (
            "batch",
            json!({"batch": [{"type": "track", "event": "e", "userId": "u", "messageId": "b1"}, {"type": "identify", "anonymousId": "x", "messageId": "b2"}]}),
        ),
    ];
    for (path, body) in &valid {
        let (status, answer) = post(&addr, path, &body.to_string(), true);
        assert_eq!((status, answer.as_str()), (200, "{}"), "/v1/{path}");
    }

    // Strict mode: the API's 400 and error shape, naming what is wrong.
    let refused = [
        ("track", json!({"userId": "u"}), "'event' is required for a track call"),
        ("identify", json!({"traits": {}}), "an identify call needs 'userId' or 'anonymousId'"),
        ("group", json!({"userId": "u"}), "'groupId' is required for a group call"),
        ("alias", json!({"previousId": "p", "anonymousId": "a"}), "'userId' is required for an alias call"),
        ("page", json!({"userId": 5}), "'userId' must be a string"),
        ("screen", json!({"userId": "u", "properties": []}), "'properties' must be an object"),
        ("track", json!({"event": "e", "userId": "u", "timestamp": "yesterday"}), "'timestamp' is not RFC 3339: 'yesterday'"),
        ("track", json!({"type": "identify", "userId": "u"}), "'type' is \"identify\" but the call came to /v1/track"),
        ("batch", json!({"batch": [{"type": "track", "event": "e", "userId": "u", "messageId": "never"}, {"type": "track", "userId": "u"}]}), "batch[1]: 'event' is required for a track call"),
        ("batch", json!({"batch": [{"type": "login", "userId": "u"}]}), "batch[0]: unknown type 'login' (expected track, identify, page, screen, group or alias)"),
        ("batch", json!({"calls": []}), "'batch' must be an array of calls"),
    ];
    for (path, body, error) in &refused {
        let (status, answer) = post(&addr, path, &body.to_string(), true);
        assert_eq!(status, 400, "/v1/{path} {body}: {answer}");
        assert_eq!(errors_of(&answer), [error.to_string()], "/v1/{path} {body}");
    }
    let (status, answer) = post(&addr, "track", "{\"event\": \"e\",", true);
    assert_eq!(status, 400);
    assert!(
        errors_of(&answer)[0].starts_with("invalid JSON at line 1 column 14"),
        "{answer}"
    );
    let (status, answer) = post(&addr, "identify", "[1]", true);
    assert_eq!(
        (status, errors_of(&answer)),
        (
            400,
            vec!["expected a JSON object, found an array".to_string()]
        )
    );

    // Without strict mode the API says 200 and drops the call: so does the listener, and says so.
    let (status, answer) = post(
        &addr,
        "track",
        &json!({"userId": "u", "messageId": "lost"}).to_string(),
        false,
    );
    assert_eq!((status, answer.as_str()), (200, "{}"));

    // Wrong path and method.
    let (status, answer) = post(&addr, "nope", "{}", true);
    assert_eq!(status, 404);
    assert!(
        errors_of(&answer)[0].contains("no such path: /v1/nope"),
        "{answer}"
    );
    let (status, _) = raw(
        &addr,
        &format!(
            "GET /v1/track HTTP/1.1\nHost: x\n{}\nConnection: close\n\n",
            auth(TEST_KEY)
        ),
        b"",
    );
    assert_eq!(status, 405);

    // gzip bodies, and a gzip body that is not.
    let body = json!({"event": "zipped", "userId": "u", "messageId": "z1"}).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let head = |len: usize| {
        format!("POST /v1/track HTTP/1.1\nHost: x\n{}\nContent-Encoding: gzip\nX-Strict-Mode: 1\nContent-Length: {len}\nConnection: close\n\n", auth(TEST_KEY))
    };
    assert_eq!(raw(&addr, &head(gz.len()), &gz), (200, "{}".to_string()));
    let (status, answer) = raw(&addr, &head(body.len()), body.as_bytes());
    assert_eq!(
        (status, errors_of(&answer)),
        (400, vec!["the body is not valid gzip".to_string()])
    );

    // No Basic auth at all: the API answers 401, and so does the listener, key or no key.
    let (status, answer) = raw(
        &addr,
        &format!(
            "POST /v1/track HTTP/1.1\nHost: x\nContent-Length: {}\nConnection: close\n\n",
            body.len()
        ),
        body.as_bytes(),
    );
    assert_eq!(status, 401);
    assert!(
        errors_of(&answer)[0].starts_with("no write key"),
        "{answer}"
    );

    let (status, stdout, stderr) = listener.terminate();
    // Invalid calls and refused requests make the exit code say so.
    assert_eq!(status.code(), Some(12), "{stdout}\n{stderr}");
    assert!(stderr.contains("; 11 invalid; "), "{stderr}");
    assert!(stdout.contains("error: invalid: 'event' is required for a track call (answered 200 without X-Strict-Mode, dropped by the API)"), "{stdout}");
    // The good call of a refused batch is shown as not taken (and not recorded, below).
    assert!(stdout.contains("user u                        61 B  warning: not taken: its batch was refused for the invalid calls in it"), "{stdout}");
    // -v shows the whole call.
    assert!(stdout.contains("\"email\": \"a@b.c\""), "{stdout}");
    assert!(
        stdout.contains("  404  POST /v1/nope  no such path"),
        "{stdout}"
    );
    assert_no_key(&stdout);
    assert_no_key(&stderr);
    // Only what was accepted is recorded, with the type the path gave it.
    let recorded = read_recording(&rec);
    let got: Vec<(&str, &str)> = recorded
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap(),
                c["messageId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("track", "t1"),
            ("identify", "i1"),
            ("page", "p1"),
            ("screen", "s1"),
            ("group", "g1"),
            ("alias", "a1"),
            ("track", "b1"),
            ("identify", "b2"),
            ("track", "z1")
        ]
    );
}

#[test]
fn the_write_key_is_checked_when_given() {
    let env = CioEnv::new();
    let listener =
        Listener::start_with(&env, &["--exit-after", "1"], &[("CIO_WRITE_KEY", TEST_KEY)]);
    let addr = listener.addr();
    let body = json!({"event": "e", "userId": "u"}).to_string();
    let head = |auth: &str| {
        format!(
            "POST /v1/track HTTP/1.1\nHost: x\n{auth}\nContent-Length: {}\nConnection: close\n\n",
            body.len()
        )
    };
    let (status, answer) = raw(&addr, &head(&auth("wk_wrong")), body.as_bytes());
    assert_eq!(
        (status, errors_of(&answer)),
        (401, vec!["wrong write key".to_string()])
    );
    let (status, _) = raw(&addr, &head("Authorization: Bearer x"), body.as_bytes());
    assert_eq!(status, 401);

    // cio with the wrong key gets 401 and exit 3; with the right one, 200.
    let out = cio_to(&env, &listener)
        .env("CIO_WRITE_KEY", "wk_wrong")
        .args(["track", "e", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("refused (401) by http://127.0.0.1:")
            && stderr_of(&out).contains(": wrong write key;"),
        "{}",
        stderr_of(&out)
    );
    let out = cio_to(&env, &listener)
        .args(["track", "e", "--user-id", "u"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));

    let (status, stdout, stderr) = listener.wait();
    assert_eq!(status.code(), Some(12), "{stderr}");
    assert!(stderr.contains("3 requests refused (401: 3)"), "{stderr}");
    assert!(
        stdout.contains("401  POST /v1/track  wrong write key"),
        "{stdout}"
    );
    assert_no_key(&stdout);
    assert_no_key(&stderr);
}

#[test]
fn anything_but_loopback_needs_a_key() {
    let env = CioEnv::new();
    let out = env
        .cmd()
        .args(["listen", "--host", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: --host 0.0.0.0 is reachable from other machines: give a write key clients must send (CIO_WRITE_KEY or --write-key)\n"
    );
    assert_eq!(stdout_of(&out), "");
}

#[test]
fn sizes_are_enforced_while_reading() {
    let env = CioEnv::new();
    let listener = Listener::start(&env, &[]);
    let addr = listener.addr();

    // A single call over 32 KB, and a batch over 500 KB: 413 in the API's shape.
    let big =
        json!({"event": "e", "userId": "u", "properties": {"x": "a".repeat(33_000)}}).to_string();
    let (status, answer) = post(&addr, "track", &big, true);
    assert_eq!(status, 413);
    assert_eq!(
        errors_of(&answer),
        ["a single call is limited to 32768 bytes; this one is larger"]
    );
    let item = json!({"type": "track", "event": "e", "userId": "u", "properties": {"x": "a".repeat(20_000)}});
    let batch = json!({"batch": vec![item; 26]}).to_string();
    assert!(batch.len() > 500_000);
    let (status, answer) = post(&addr, "batch", &batch, true);
    assert_eq!(
        (status, errors_of(&answer)),
        (
            413,
            vec!["a batch request is limited to 500000 bytes; this one is larger".to_string()]
        )
    );
    // A call over 32 KB inside a batch that fits is refused on its own.
    let item = json!({"type": "track", "event": "e", "userId": "u", "properties": {"x": "a".repeat(40_000)}});
    let (status, answer) = post(&addr, "batch", &json!({"batch": [item]}).to_string(), true);
    assert_eq!(status, 400);
    assert!(
        errors_of(&answer)[0].starts_with("batch[0]: the call is 400"),
        "{answer}"
    );

    // A chunked upload of 200 MB with no declared length: refused mid-body,
    // long before the client is done.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(
            format!(
                "POST /v1/batch HTTP/1.1\r\nHost: x\r\n{}\r\nTransfer-Encoding: chunked\r\n\r\n",
                auth(TEST_KEY)
            )
            .as_bytes(),
        )
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0usize;
        for _ in 0..3200 {
            let head = format!("{:x}\r\n", chunk.len());
            if writer
                .write_all(head.as_bytes())
                .and_then(|_| writer.write_all(&chunk))
                .and_then(|_| writer.write_all(b"\r\n"))
                .is_err()
            {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    let (status, answer) = read_answer(&mut stream);
    assert_eq!(status, 413, "{answer}");
    let sent = sender.join().unwrap();
    assert!(
        sent < 100 * 1024 * 1024,
        "the listener read {sent} bytes before refusing"
    );

    // A gzip bomb: 40 KB of zeros that compress to almost nothing.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(
        format!(
            "{{\"userId\":\"u\",\"event\":\"{}\"}}",
            "0".repeat(10_000_000)
        )
        .as_bytes(),
    )
    .unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 32_768);
    let head = format!("POST /v1/track HTTP/1.1\nHost: x\n{}\nContent-Encoding: gzip\nContent-Length: {}\nConnection: close\n\n", auth(TEST_KEY), gz.len());
    assert_eq!(raw(&addr, &head, &gz).0, 413);
}

#[test]
fn a_body_that_never_ends_is_cut_off() {
    let env = CioEnv::new();
    let listener = Listener::start(&env, &["--read-timeout", "1"]);
    let addr = listener.addr();
    let started = Instant::now();
    let mut stream = TcpStream::connect(&addr).unwrap();
    // The client gives up after 10 s; the listener must answer well before.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(format!("POST /v1/track HTTP/1.1\r\nHost: x\r\n{}\r\nContent-Length: 1000\r\n\r\n{{\"event\":", auth(TEST_KEY)).as_bytes())
        .unwrap();
    let (status, answer) = read_answer(&mut stream);
    assert_eq!(status, 408, "{answer}");
    assert_eq!(errors_of(&answer), ["the body did not arrive within 1 s"]);
    assert!(started.elapsed() < Duration::from_secs(5));

    // Headers that never end: the connection is closed.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /v1/track HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut rest = Vec::new();
    let read = stream.read_to_end(&mut rest);
    assert!(
        read.is_ok(),
        "the listener kept a stalled connection open: {read:?}"
    );

    // Still serving.
    assert_eq!(
        post(&addr, "identify", &json!({"userId": "u"}).to_string(), true).0,
        200
    );
}

#[test]
fn a_recording_replays_with_the_same_message_ids() {
    let env = CioEnv::new();
    let first = env.path().join("first.ndjson");
    let listener = Listener::start(&env, &["--exit-after", "52", "-o", first.to_str().unwrap()]);
    // Calls with their own ids, calls without (cio derives them), and single calls.
    let input = env.path().join("in.ndjson");
    let mut lines = Vec::new();
    for n in 0..50 {
        let mut call = json!({"type": "track", "event": format!("e{}", n % 3), "userId": format!("u{n}"), "timestamp": "2026-11-28T15:01:30.212Z", "properties": {"n": n, "price": 1.5}});
        if n % 2 == 0 {
            call["messageId"] = json!(format!("own-{n}"));
        }
        lines.push(call.to_string());
    }
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = cio_to(&env, &listener)
        .arg("batch")
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    for args in [
        ["page", "Home", "--anonymous-id", "a1"],
        ["group", "--group-id", "acme", "--user-id"],
    ] {
        let mut cmd = cio_to(&env, &listener);
        cmd.args(args);
        if args[0] == "group" {
            cmd.arg("u1");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    let (status, _, stderr) = listener.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let recorded = read_recording(&first);
    assert_eq!(recorded.len(), 52);

    let second = env.path().join("second.ndjson");
    let replay = Listener::start(
        &env,
        &["--exit-after", "52", "-o", second.to_str().unwrap()],
    );
    let out = cio_to(&env, &replay)
        .arg("batch")
        .arg(&first)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("52 delivered"),
        "{}",
        stderr_of(&out)
    );
    let (status, _, stderr) = replay.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let replayed = read_recording(&second);
    // The second listener's receivedAt replaces the first's: one per line.
    for line in std::fs::read_to_string(&second).unwrap().lines() {
        assert_eq!(line.matches("\"receivedAt\"").count(), 1, "{line}");
    }
    for line in std::fs::read_to_string(&first).unwrap().lines() {
        assert_eq!(line.matches("\"receivedAt\"").count(), 1, "{line}");
        assert!(line.ends_with("Z\"}"), "{line}");
    }
    assert_eq!(ids(&replayed), ids(&recorded));
    assert_eq!(ids(&recorded).len(), 52);
    // And the same calls: type, event, identity, properties, timestamp.
    for (a, b) in recorded.iter().zip(&replayed) {
        for field in [
            "messageId",
            "type",
            "event",
            "name",
            "userId",
            "anonymousId",
            "groupId",
            "properties",
            "timestamp",
        ] {
            assert_eq!(a.get(field), b.get(field), "{field}: {a} / {b}");
        }
    }
}

#[test]
fn idle_exit_and_exit_after_stop_with_a_summary_and_an_exit_code() {
    let env = CioEnv::new();
    // Nothing arrives: stops after the idle time, exit 0.
    let started = Instant::now();
    let listener = Listener::start(&env, &["--idle-exit", "0.5"]);
    let (status, _, stderr) = listener.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        "0 calls in 0 requests; 0 invalid; 0 requests refused\n"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // An invalid call (answered 200 without strict mode): exit 12, and --json says why.
    let listener = Listener::start(&env, &["--idle-exit", "0.5", "--json"]);
    let (status, _) = post(
        &listener.addr(),
        "track",
        &json!({"userId": "u"}).to_string(),
        false,
    );
    assert_eq!(status, 200);
    let (status, stdout, _) = listener.wait();
    assert_eq!(status.code(), Some(12));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["ok"], false);
    assert_eq!(summary["invalid"], 1);
    assert_eq!(summary["types"]["track"], 1);

    // --exit-after counts calls, a batch's one by one, and stops once they are answered.
    let listener = Listener::start(&env, &["--exit-after", "3"]);
    let batch = json!({"batch": [{"type": "identify", "userId": "a"}, {"type": "identify", "userId": "b"}]}).to_string();
    assert_eq!(post(&listener.addr(), "batch", &batch, true).0, 200);
    assert_eq!(post(&listener.addr(), "batch", &batch, true).0, 200);
    let (status, _, stderr) = listener.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with("4 calls in 2 requests (identify 4)"),
        "{stderr}"
    );
}

#[test]
fn a_hangup_stops_it_with_its_summary() {
    // A closed terminal: the summary and exit code as for Ctrl-C or SIGTERM.
    let env = CioEnv::new();
    let listener = Listener::start(&env, &[]);
    let (status, _, stderr) = listener.signal("-HUP");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        "0 calls in 0 requests; 0 invalid; 0 requests refused\n"
    );
}

#[test]
fn kill_9_loses_nothing_that_was_answered_200() {
    let env = CioEnv::new();
    let rec = env.path().join("rec.ndjson");
    let mut listener = Listener::start(&env, &["-o", rec.to_str().unwrap(), "-q"]);
    let addr = listener.addr();
    // Four clients send batches as fast as they are answered.
    let (tx, acked) = mpsc::channel::<Vec<String>>();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let addr = addr.clone();
            let tx = tx.clone();
            thread::spawn(move || {
                for r in 0.. {
                    let ids: Vec<String> = (0..20).map(|i| format!("c{c}-r{r}-{i}")).collect();
                    let batch: Vec<Value> = ids.iter().map(|id| json!({"type": "track", "event": "e", "userId": "u", "messageId": id})).collect();
                    let body = json!({"batch": batch}).to_string();
                    let head = format!("POST /v1/batch HTTP/1.1\nHost: x\n{}\nX-Strict-Mode: 1\nContent-Length: {}\nConnection: close\n\n", auth(TEST_KEY), body.len());
                    let Ok(mut stream) = TcpStream::connect(&addr) else { break };
                    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let mut request = head.replace('\n', "\r\n").into_bytes();
                    request.extend_from_slice(body.as_bytes());
                    if stream.write_all(&request).is_err() {
                        break;
                    }
                    let mut answer = Vec::new();
                    let _ = stream.read_to_end(&mut answer);
                    if answer.starts_with(b"HTTP/1.1 200") {
                        let _ = tx.send(ids);
                    } else {
                        break;
                    }
                }
            })
        })
        .collect();
    drop(tx);
    // Kill once a good number of requests have been answered.
    let mut answered = BTreeSet::new();
    while answered.len() < 2_000 {
        let ids = acked
            .recv_timeout(Duration::from_secs(20))
            .expect("answers");
        answered.extend(ids);
    }
    listener.child.kill().unwrap();
    listener.child.wait().unwrap();
    for client in clients {
        client.join().unwrap();
    }
    answered.extend(acked.iter().flatten());
    let recorded = ids(&read_recording(&rec));
    let missing: Vec<_> = answered.difference(&recorded).collect();
    assert!(
        missing.is_empty(),
        "{} answered 200 but not recorded: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn injected_faults_are_retried_through_by_cio() {
    let env = CioEnv::new();
    let rec = env.path().join("rec.ndjson");
    let listener = Listener::start(
        &env,
        &[
            // Not more: each fault in a row doubles cio's wait (0.5 s, 1 s,
            // 2 s, ...), and at 0.5 a run of eight (one run in twelve) took minutes.
            "--fail-rate",
            "0.4",
            "--status",
            "503",
            "--exit-after",
            "200",
            "-o",
            rec.to_str().unwrap(),
        ],
    );
    let input = env.path().join("in.ndjson");
    let lines: Vec<String> = (0..200)
        .map(|n| {
            json!({"type": "track", "event": "e", "userId": "u", "messageId": format!("f{n}")})
                .to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = cio_to(&env, &listener)
        .args(["batch", "--max-batch-calls", "10", "--retries", "20"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (status, stdout, stderr) = listener.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(ids(&read_recording(&rec)).len(), 200);
    // 20 requests or more, 40 % of them faulted: some were (all but surely: 0.6^20 < 1e-4).
    assert!(
        stdout.contains("503  POST /v1/batch  injected fault"),
        "{stdout}"
    );
    assert!(
        stderr.contains("answered with an injected fault"),
        "{stderr}"
    );
}

#[test]
fn forward_answers_only_once_the_upstream_took_the_calls() {
    let env = CioEnv::new();
    let upstream_rec = env.path().join("upstream.ndjson");
    let front_rec = env.path().join("front.ndjson");
    // The upstream fails a third of its requests.
    let upstream = Listener::start(
        &env,
        &[
            "--fail-rate",
            "0.3",
            "--exit-after",
            "201",
            "-o",
            upstream_rec.to_str().unwrap(),
        ],
    );
    let front = Listener::start_with(
        &env,
        &[
            "--forward",
            "--exit-after",
            "201",
            "-o",
            front_rec.to_str().unwrap(),
        ],
        &[
            ("CIO_ENDPOINT", &upstream.url),
            ("CIO_WRITE_KEY", TEST_KEY),
            ("CIO_RETRIES", "10"),
        ],
    );
    let input = env.path().join("in.ndjson");
    let lines: Vec<String> = (0..200)
        .map(|n| json!({"type": "track", "event": "e", "userId": "u", "messageId": format!("fw{n}"), "properties": {"n": n}}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = cio_to(&env, &front)
        .args(["batch", "--max-batch-calls", "10"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = cio_to(&env, &front)
        .args([
            "track",
            "single",
            "--user-id",
            "u",
            "--message-id",
            "fw-single",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));

    let (status, _, stderr) = front.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("forwarded 201 calls"), "{stderr}");
    let (status, stdout, stderr) = upstream.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("injected fault"), "{stdout}");
    assert_no_key(&stdout);
    assert_no_key(&stderr);
    // Nothing lost, and the front recorded exactly what the upstream took.
    let mut expected: BTreeSet<String> = (0..200).map(|n| format!("fw{n}")).collect();
    expected.insert("fw-single".into());
    assert_eq!(ids(&read_recording(&upstream_rec)), expected);
    assert_eq!(ids(&read_recording(&front_rec)), expected);
    assert_eq!(read_recording(&front_rec).len(), 201);

    // The upstream's refusal is the client's answer, and nothing is recorded.
    let refusing = Listener::start(&env, &["--status", "400"]);
    let front_rec = env.path().join("front2.ndjson");
    let front = Listener::start_with(
        &env,
        &[
            "--forward",
            "--idle-exit",
            "1",
            "-o",
            front_rec.to_str().unwrap(),
        ],
        &[("CIO_ENDPOINT", &refusing.url), ("CIO_WRITE_KEY", TEST_KEY)],
    );
    let out = cio_to(&env, &front)
        .args(["track", "single", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains(
            "/v1/track refused the call (400): upstream: server refused (400): injected fault"
        ),
        "{}",
        stderr_of(&out)
    );
    let (status, _, _) = front.wait();
    assert_eq!(status.code(), Some(12));
    assert!(read_recording(&front_rec).is_empty());
    drop(refusing);
}

#[test]
fn lint_findings_show_beside_each_call_and_strict_fails_the_run() {
    let env = CioEnv::new();
    let revenue_as_text =
        json!({"event": "Order Completed", "userId": "u", "properties": {"order_id": "o1", "revenue": "139.99"}})
            .to_string();
    let custom = json!({"event": "deploy", "userId": "u"}).to_string();
    // --lint alone shows the finding and counts it; the run still exits 0.
    let listener = Listener::start(&env, &["--idle-exit", "0.5", "--lint"]);
    assert_eq!(
        post(&listener.addr(), "track", &revenue_as_text, true).0,
        200
    );
    assert_eq!(post(&listener.addr(), "track", &custom, true).0, 200);
    let (status, stdout, stderr) = listener.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let shown: Vec<&str> = stdout.lines().filter(|l| l.contains("lint ")).collect();
    assert_eq!(shown.len(), 1, "a custom event draws no finding: {stdout}");
    assert!(
        shown[0].contains("lint property-type: properties.revenue is the string \"139.99\""),
        "{stdout}"
    );
    assert!(stderr.contains("lint: 1 error, 0 warnings"), "{stderr}");
    // With --strict, a lint error fails the run as an invalid call does.
    let listener = Listener::start(
        &env,
        &["--idle-exit", "0.5", "--lint", "--strict", "--json"],
    );
    assert_eq!(
        post(&listener.addr(), "track", &revenue_as_text, true).0,
        200
    );
    let (status, stdout, _) = listener.wait();
    assert_eq!(status.code(), Some(12));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["lint_errors"], 1);
    assert_eq!(summary["ok"], false);
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `cmd` to its end, or kills it and fails after `limit`.
fn output_within(mut cmd: std::process::Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}: {}{}",
                stdout_of(&out),
                stderr_of(&out)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn forward_to_its_own_address_is_refused_at_startup() {
    let env = CioEnv::new();
    let port = free_port();
    for (host, endpoint) in [
        ("127.0.0.1", format!("http://127.0.0.1:{port}/v1")),
        ("0.0.0.0", format!("http://localhost:{port}/v1")),
    ] {
        let cmd = Listener::command(
            &env,
            &["--port", &port.to_string(), "--host", host, "--forward"],
            &[("CIO_ENDPOINT", &endpoint), ("CIO_WRITE_KEY", TEST_KEY)],
        );
        let out = output_within(cmd, Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert_eq!(stdout_of(&out), "");
        assert_eq!(
            stderr_of(&out),
            format!("forwarding accepted calls to {endpoint}\ncio: error: --forward would send every call back to this listener (127.0.0.1:{port} is its own address): point the endpoint (CIO_ENDPOINT, --endpoint, the profile) at the upstream\n")
        );
    }
}

#[test]
fn a_forward_loop_through_another_listener_is_refused() {
    let env = CioEnv::new();
    let port = free_port();
    let front_url = format!("http://127.0.0.1:{port}/v1");
    let vars = |endpoint: &str| {
        [
            ("CIO_ENDPOINT", endpoint.to_string()),
            ("CIO_WRITE_KEY", TEST_KEY.to_string()),
            ("CIO_RETRIES", "0".to_string()),
        ]
    };
    let back_vars = vars(&front_url);
    let back_vars: Vec<(&str, &str)> = back_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let back = Listener::start_with(&env, &["--forward"], &back_vars);
    let front_vars = vars(&back.url);
    let front_vars: Vec<(&str, &str)> = front_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let front = Listener::start_with(
        &env,
        &["--forward", "--port", &port.to_string()],
        &front_vars,
    );
    let out = output_within(
        {
            let mut cmd = cio_to(&env, &front);
            cmd.env("CIO_RETRIES", "0")
                .args(["track", "looped", "--user-id", "u"]);
            cmd
        },
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let (_, front_out, _) = front.terminate();
    let (_, back_out, _) = back.terminate();
    // The front refused what came back to it, once, and the back passed the refusal on.
    let looped: Vec<&str> = front_out
        .lines()
        .filter(|l| l.contains("508  POST /v1/track  this request was forwarded by this listener and came back to it: --forward goes round in a loop"))
        .collect();
    assert_eq!(looped.len(), 1, "{front_out}");
    assert!(
        back_out.contains("502  POST /v1/track  upstream:"),
        "{back_out}"
    );
}

#[test]
fn the_key_is_checked_before_the_body_is_read() {
    let env = CioEnv::new();
    let listener = Listener::start(&env, &["--read-timeout", "8"]);
    // Promises 500,000 bytes, sends 1,000 and stalls: refused from its headers.
    let mut stream = TcpStream::connect(listener.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b' '; 1000]).unwrap();
    let started = Instant::now();
    let (status, body) = read_answer(&mut stream);
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        errors_of(&body),
        ["no write key: send HTTP Basic auth with the write key as the user name"]
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // The scheme is case-insensitive.
    let call = r#"{"userId":"u","event":"e"}"#;
    let value = base64_encode(format!("{TEST_KEY}:").as_bytes());
    let head = format!("POST /v1/track HTTP/1.1\nHost: x\nAuthorization: BASIC {value}\nContent-Length: {}\nConnection: close\n\n", call.len());
    assert_eq!(
        raw(&listener.addr(), &head, call.as_bytes()),
        (200, "{}".into())
    );
}

/// The peak resident set of a running process, in kB.
fn vm_hwm_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_flood_of_stalled_uploads_leaves_it_bounded_and_serving() {
    let env = CioEnv::new();
    let listener = Listener::start(&env, &["--read-timeout", "20"]);
    let addr = listener.addr();
    // 300 connections, past --max-connections (256): each promises a batch of
    // 500,000 bytes, sends 450,000 and stalls; half of them without the key.
    let upload = vec![b' '; 450_000];
    let mut streams = Vec::new();
    let started = Instant::now();
    for n in 0..300 {
        let Ok(mut stream) = TcpStream::connect(&addr) else {
            continue;
        };
        stream
            .set_write_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let auth = if n % 2 == 0 {
            auth(TEST_KEY)
        } else {
            String::new()
        };
        let head = format!(
            "POST /v1/batch HTTP/1.1\r\nHost: x\r\n{auth}\r\nContent-Length: 500000\r\n\r\n"
        );
        let _ = stream
            .write_all(head.as_bytes())
            .and_then(|_| stream.write_all(&upload));
        streams.push(stream);
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    thread::sleep(Duration::from_millis(500));
    let peak = vm_hwm_kb(listener.child.id());
    // What the refused ones were told.
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    let mut retry_after = 0;
    for stream in &mut streams {
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut answer = vec![0; 4096];
        let n = stream.read(&mut answer).unwrap_or(0);
        let text = String::from_utf8_lossy(&answer[..n]);
        if let Some(status) = text.split(' ').nth(1).and_then(|s| s.parse().ok()) {
            *statuses.entry(status).or_default() += 1;
            retry_after += u32::from(status == 503 && text.contains("\r\nretry-after: 1\r\n"));
        }
    }
    assert!(peak < 64 * 1024, "peak RSS {peak} kB; {statuses:?}");
    assert!(
        statuses.get(&401).is_some_and(|n| *n >= 100),
        "{statuses:?}"
    );
    assert!(statuses.get(&503).is_some_and(|n| *n >= 50), "{statuses:?}");
    assert!(retry_after >= 50, "{retry_after} {statuses:?}");
    drop(streams);
    // Once the flood is gone, calls are taken again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = post(&addr, "track", r#"{"userId":"u","event":"after"}"#, true);
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still {status}");
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn what_was_answered_200_is_in_the_recording_whole() {
    let env = CioEnv::new();
    let rec = env.path().join("rec.ndjson");
    // 16 blocks of 512 bytes; SIGXFSZ ignored, so a write past it fails with
    // EFBIG instead of killing the listener.
    let cmd = Listener::command(&env, &["-o", rec.to_str().unwrap()], &[]);
    let listener = Listener::spawn(through_sh(&cmd, r#"ulimit -S -f 16; trap "" XFSZ"#));
    let padding = "x".repeat(1500);
    let mut taken = BTreeSet::new();
    let mut refused = None;
    for n in 0..20 {
        let id = format!("m{n}");
        let call =
            json!({"userId": "u", "event": "e", "messageId": id, "properties": {"pad": padding}})
                .to_string();
        let (status, body) = post(&listener.addr(), "track", &call, true);
        match status {
            200 => {
                taken.insert(id);
            }
            500 => {
                refused = Some(body);
                break;
            }
            other => panic!("{other}: {body}"),
        }
    }
    let refused = refused.expect("the size limit was never reached");
    assert!(
        errors_of(&refused)[0].starts_with("cannot record to "),
        "{refused}"
    );
    // Room again: the next call is recorded on a line of its own.
    let raised = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &listener.child.id().to_string(),
            "--fsize=unlimited",
        ])
        .status()
        .unwrap();
    assert!(raised.success());
    let call = json!({"userId": "u", "event": "e", "messageId": "after"}).to_string();
    assert_eq!(post(&listener.addr(), "track", &call, true).0, 200);
    taken.insert("after".into());
    let (status, _, stderr) = listener.terminate();
    assert_eq!(status.code(), Some(12), "{stderr}");
    let recording = read_recording(&rec);
    assert_eq!(ids(&recording), taken);
    assert_eq!(recording.len(), taken.len());
}

#[test]
fn a_stop_waits_for_the_requests_in_flight_for_its_grace() {
    let env = CioEnv::new();
    // An upstream that answers after 6 s.
    let upstream = Listener::start(&env, &["--delay-ms", "6000"]);
    let vars = [
        ("CIO_ENDPOINT", upstream.url.as_str()),
        ("CIO_WRITE_KEY", TEST_KEY),
    ];
    let stop_while_forwarding = |grace: &str| {
        let front = Listener::start_with(&env, &["--forward", "--grace", grace], &vars);
        let mut track = cio_to(&env, &front);
        track
            .env("CIO_RETRIES", "0")
            .args(["track", "slow", "--user-id", "u"]);
        let track = track
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis(1000));
        let (status, _, stderr) = front.terminate();
        (status, stderr, track.wait_with_output().unwrap())
    };
    // Long enough: the call is answered and counted, the exit is 0.
    let (status, stderr, track) = stop_while_forwarding("20");
    assert_eq!(track.status.code(), Some(0), "{}", stderr_of(&track));
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with("forwarding accepted calls to "),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n1 call in 1 request (track 1); 0 invalid; 0 requests refused\n"),
        "{stderr}"
    );
    // Too short: the abandoned request is said, and the exit is 1.
    let (status, stderr, track) = stop_while_forwarding("1");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.ends_with("0 calls in 0 requests; 0 invalid; 0 requests refused\ncio: error: stopped with 1 request still in flight after --grace 1 s: its client got no answer\n"),
        "{stderr}"
    );
    assert_eq!(track.status.code(), Some(5), "{}", stderr_of(&track));
}

#[test]
fn gzip_members_are_all_read_and_what_follows_them_refused() {
    let env = CioEnv::new();
    let listener = Listener::start(&env, &[]);
    let gzip = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    let send = |body: &[u8]| {
        let head = format!("POST /v1/batch HTTP/1.1\nHost: x\n{}\nContent-Encoding: gzip\nX-Strict-Mode: 1\nContent-Length: {}\nConnection: close\n\n", auth(TEST_KEY), body.len());
        raw(&listener.addr(), &head, body)
    };
    // A batch in two members, as `cat a.gz b.gz` makes.
    let mut two = gzip(r#"{"batch":[{"type":"track","userId":"u","event":"first"},"#);
    two.extend(gzip(r#"{"type":"track","userId":"u","event":"second"}]}"#));
    assert_eq!(send(&two), (200, "{}".into()));
    // Bytes after the member that are no member.
    let mut garbage = gzip(r#"{"batch":[{"type":"track","userId":"u","event":"third"}]}"#);
    garbage.extend_from_slice(b"not gzip at all");
    let (status, body) = send(&garbage);
    assert_eq!(status, 400, "{body}");
    assert_eq!(errors_of(&body), ["the body is not valid gzip"]);
    let (_, stdout, stderr) = listener.terminate();
    assert!(stdout.contains("second"), "{stdout}");
    assert!(!stdout.contains("third"), "{stdout}");
    assert!(stderr.starts_with("2 calls in 2 requests"), "{stderr}");
}

#[test]
fn a_call_s_write_key_is_not_shown_recorded_or_forwarded() {
    let env = CioEnv::new();
    let upstream_rec = env.path().join("upstream.ndjson");
    let front_rec = env.path().join("front.ndjson");
    let upstream = Listener::start(&env, &["-v", "-o", upstream_rec.to_str().unwrap()]);
    let front = Listener::start_with(
        &env,
        &["-v", "--forward", "-o", front_rec.to_str().unwrap()],
        &[("CIO_ENDPOINT", &upstream.url), ("CIO_WRITE_KEY", TEST_KEY)],
    );
    let secret = "wk_live_in_the_body_0123456789";
    let call = json!({"userId": "u", "event": "e", "writeKey": secret}).to_string();
    assert_eq!(
        post(&front.addr(), "track", &call, true),
        (200, "{}".into())
    );
    let batch = json!({"batch": [{"type": "track", "userId": "u", "event": "e", "writeKey": secret}], "writeKey": secret}).to_string();
    assert_eq!(
        post(&front.addr(), "batch", &batch, true),
        (200, "{}".into())
    );
    let (_, front_out, front_err) = front.terminate();
    let (_, up_out, up_err) = upstream.terminate();
    for text in [&front_out, &front_err, &up_out, &up_err] {
        assert!(!text.contains(secret), "{text}");
    }
    for rec in [&front_rec, &upstream_rec] {
        let recording = read_recording(rec);
        assert_eq!(recording.len(), 2);
        assert!(
            recording.iter().all(|c| c.get("writeKey").is_none()),
            "{recording:?}"
        );
    }
}
