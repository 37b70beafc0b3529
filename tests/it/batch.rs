//! `cio batch` against a real local server: delivery exactly once, streaming,
//! bad lines, refused batches split, retries, resume after kill -9, gzip input,
//! and files that never hold the key.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

fn track_line(n: usize) -> String {
    json!({"type": "track", "event": "Product Viewed", "userId": format!("u{}", n % 97), "messageId": format!("m-{n}"),
           "properties": {"product_id": format!("p-{n}"), "price": 9.99, "n": n}})
    .to_string()
}

fn write_lines(path: &Path, lines: impl IntoIterator<Item = String>) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for line in lines {
        writeln!(out, "{line}").unwrap();
    }
}

fn write_gz(path: &Path, lines: impl IntoIterator<Item = String>) {
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    for line in lines {
        writeln!(gz, "{line}").unwrap();
    }
    gz.finish().unwrap();
}

fn ids(range: std::ops::Range<usize>) -> HashSet<String> {
    range.map(|n| format!("m-{n}")).collect()
}

#[test]
fn several_files_plain_and_gzip_are_delivered_exactly_once() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let a = env.path().join("a.ndjson");
    let b = env.path().join("b.ndjson.gz");
    write_lines(&a, (0..3000).map(track_line));
    write_gz(&b, (3000..5000).map(track_line));
    let (_, s) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--max-batch-calls", "500"])
            .arg(&a)
            .arg(&b),
        0,
    );
    assert_counts(&s, &[("read", 5000), ("delivered", 5000), ("rejected", 0)]);
    assert_eq!(s["exit_code"], 0);
    let received = server.message_ids();
    assert_eq!(received.len(), 5000, "no duplicates");
    assert_eq!(
        received.iter().cloned().collect::<HashSet<_>>(),
        ids(0..5000)
    );
    for r in server.requests() {
        assert_eq!(r.path, "/v1/batch");
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.basic_auth_user().as_deref(), Some(TEST_KEY));
        assert_eq!(r.header("x-strict-mode"), Some("1"));
        assert!(r.calls().len() <= 500);
        assert!(r.json()["sentAt"].is_string(), "batch-level sentAt");
        assert!(r.body.len() <= 475_000);
    }
    assert_eq!(
        s["requests"].as_u64().unwrap() as usize,
        server.request_count()
    );
}

#[test]
fn a_finished_replay_run_again_sends_nothing_and_says_why() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let a = env.path().join("a.ndjson");
    let b = env.path().join("b.ndjson");
    write_lines(&a, (0..30).map(track_line));
    write_lines(&b, (30..50).map(track_line));
    let checkpoint = env.path().join("replay.ckpt");
    let run = || {
        env.cmd_for(&server)
            .arg("batch")
            .args([&a, &b])
            .arg("--checkpoint")
            .arg(&checkpoint)
            .output()
            .unwrap()
    };
    assert_eq!(run().status.code(), Some(0));
    assert_eq!(server.message_ids().len(), 50);

    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(server.message_ids().len(), 50, "nothing sent twice");
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("0 read, 0 delivered")
            // The last input is passed over line by line: it may have grown.
            && stderr.contains(", 20 lines and 1 whole input skipped as done by the checkpoint")
            && stderr.contains("nothing left to send: the checkpoint says every line is done"),
        "{stderr}"
    );
}

#[test]
fn batches_are_packed_by_bytes_under_the_limit() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("big.ndjson");
    // ~20 KB calls: 475,000-byte bodies hold 23 of them.
    let pad = "x".repeat(20_000);
    write_lines(&input, (0..100).map(|n| json!({"type": "identify", "userId": format!("u{n}"), "messageId": format!("m-{n}"), "traits": {"bio": pad}}).to_string()));
    batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--no-gzip"])
            .arg(&input),
        0,
    );
    let requests = server.requests();
    assert!(requests.len() >= 5, "{} requests", requests.len());
    for r in &requests {
        assert_eq!(r.header("content-encoding"), None, "--no-gzip");
        assert!(r.body.len() <= 475_000, "{}", r.body.len());
    }
    assert_eq!(server.message_ids().len(), 100);
}

#[test]
fn bad_lines_are_rejected_with_their_line_and_reason_and_the_rest_delivered() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("mixed.ndjson");
    let mut lines: Vec<String> = (0..10).map(track_line).collect();
    lines.insert(2, "{\"type\": \"track\", \"userId\": \"u\"".into()); // line 3: truncated
    lines.insert(4, "".into()); // line 5: blank
    lines.insert(5, "[1, 2]".into()); // line 6
    lines.insert(7, r#"{"type":"track","userId":"u"}"#.into()); // line 8: no event
    lines.insert(9, r#"{"type":"signup","userId":"u"}"#.into()); // line 10
    lines.insert(11, r#"{"type":"identify","traits":{}}"#.into()); // line 12: no identity
    lines.insert(
        12,
        format!(
            r#"{{"type":"identify","userId":"u","traits":{{"t":"{}"}}}}"#,
            "é".repeat(20_000)
        ),
    ); // line 13: 40 KB
    std::fs::write(&input, lines.join("\n")).unwrap();
    let mut bytes = std::fs::read(&input).unwrap();
    bytes.extend_from_slice(b"\n{\"type\":\"track\",\"event\":\"\xff\",\"userId\":\"u\"}\n"); // line 18: invalid UTF-8
    std::fs::write(&input, bytes).unwrap();
    let rejects = env.path().join("rejects.ndjson");
    let (out, s) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--rejects"])
            .arg(&rejects)
            .arg(&input),
        6,
    );
    assert_eq!(stderr_of(&out), "", "reasons go to the rejects file");
    assert_counts(&s, &[("delivered", 10), ("invalid", 7), ("blank", 1)]);
    assert_eq!(
        server.message_ids().into_iter().collect::<HashSet<_>>(),
        ids(0..10)
    );

    let records: Vec<Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, String)> = records
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let name = input.display().to_string();
    assert!(records.iter().all(|r| r["source"] == name.as_str()));
    let expect = [
        (3, "invalid JSON at column 31: EOF while parsing an object"),
        (6, "expected a JSON object (one call), found an array"),
        (8, "'event' is required for a track call"),
        (
            10,
            "unknown type 'signup' (expected track, identify, page, screen, group or alias)",
        ),
        (12, "an identify call needs 'userId' or 'anonymousId'"),
        (13, "the call is 40"),
        (18, "not valid UTF-8 (at byte 26)"),
    ];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for ((line, reason), (want_line, want_reason)) in got.iter().zip(expect) {
        assert_eq!(*line, want_line);
        assert!(reason.starts_with(want_reason), "line {line}: {reason}");
    }
    assert_eq!(records[1]["original"], "[1, 2]");
    assert_eq!(records[2]["field"], "event");

    // Without --rejects, the same reasons go to stderr, one line each.
    let out = env
        .cmd_for(&server)
        .args(["batch", "-q"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.lines().count(), 7, "{stderr}");
    assert!(
        stderr.starts_with(&format!("cio: {name}:3: invalid JSON")),
        "{stderr}"
    );
}

#[test]
fn a_batch_refused_for_one_call_delivers_all_the_others() {
    let env = CioEnv::new();
    // Strict-mode style: the whole batch is refused when any call in it is bad.
    let server = TestServer::with_handler(|r| {
        let bad = r.calls().iter().any(|c| c["properties"]["poison"] == true);
        if bad {
            Reply::status(
                400,
                r#"{"meta":{"errors":["properties.poison is not allowed"]}}"#,
            )
        } else {
            Reply::ok()
        }
    });
    let input = env.path().join("in.ndjson");
    let lines = (0..1000).map(|n| {
        if n == 123 || n == 777 {
            json!({"type": "track", "event": "e", "userId": "u", "messageId": format!("m-{n}"), "properties": {"poison": true}}).to_string()
        } else {
            track_line(n)
        }
    });
    write_lines(&input, lines);
    let rejects = env.path().join("rejects.ndjson");
    let (_, s) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--rejects"])
            .arg(&rejects)
            .arg(&input),
        6,
    );
    assert_counts(&s, &[("delivered", 998), ("refused", 2)]);
    let delivered: HashSet<String> = server.message_ids().into_iter().collect();
    let mut expected = ids(0..1000);
    expected.remove("m-123");
    expected.remove("m-777");
    assert_eq!(delivered, expected);
    assert_eq!(server.message_ids().len(), 998, "each delivered once");
    let records: Vec<Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Batches finish in any order, so their rejects do too.
    let mut lines: Vec<u64> = records
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    lines.sort();
    assert_eq!(lines, [124, 778]);
    assert!(records
        .iter()
        .all(|r| r["reason"] == "server refused (400): properties.poison is not allowed"));
}

#[test]
fn retryable_failures_are_retried_to_success_with_the_same_calls() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![
        Reply::status_with_headers(429, &[("Retry-After", "1")], ""),
        Reply::status(500, ""),
        Reply::drop_connection(),
        Reply::status(503, ""),
    ]);
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..200).map(track_line));
    let started = Instant::now();
    let (_, s) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--concurrency", "1"])
            .arg(&input),
        0,
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After was honoured"
    );
    assert_counts(&s, &[("delivered", 200), ("retried", 4), ("requests", 5)]);
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    let first: Vec<Value> = requests[0]
        .calls()
        .iter()
        .map(|c| c["messageId"].clone())
        .collect();
    for r in &requests {
        let these: Vec<Value> = r.calls().iter().map(|c| c["messageId"].clone()).collect();
        assert_eq!(
            these, first,
            "the same calls, with the same messageIds, on every attempt"
        );
    }
}

#[test]
fn auth_failure_stops_the_run_with_exit_3() {
    let env = CioEnv::new();
    let server = TestServer::with_handler(|_| Reply::status(401, r#"{"message":"invalid key"}"#));
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..100).map(track_line));
    let rejects = env.path().join("rejects.ndjson");
    let (out, _) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--rejects"])
            .arg(&rejects)
            .arg(&input),
        3,
    );
    assert_eq!(server.request_count(), 1, "401 is not retried");
    let stderr = stderr_of(&out);
    // Like a single call's: the URL, where the key came from, never the key.
    assert!(
        stderr.contains(&format!(
            "cio: error: the write key from CIO_WRITE_KEY was refused (401) by {}/batch: invalid key; check that",
            server.endpoint()
        )),
        "{stderr}"
    );
    assert_no_key(&stderr);
    assert_no_key(&std::fs::read_to_string(&rejects).unwrap());
}

#[test]
fn nothing_deliverable_exits_5() {
    let env = CioEnv::new();
    let server = TestServer::with_handler(|_| Reply::drop_connection());
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..10).map(track_line));
    let (_, s) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--retries", "1"])
            .arg(&input),
        5,
    );
    assert_counts(&s, &[("delivered", 0), ("undeliverable", 10)]);
}

#[test]
fn stdin_is_streamed_and_flushed_within_the_interval() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let mut child = env.std_cmd_for(&server);
    child.args(["batch", "-", "--flush-interval", "100", "--json"]);
    child
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = child.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", track_line(1)).unwrap();
    stdin.flush().unwrap();
    // The pipe stays open: the line must still arrive, within the flush interval (plus slack).
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.message_ids().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.message_ids(),
        ["m-1"],
        "delivered while stdin is still open"
    );
    writeln!(stdin, "{}", track_line(2)).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(server.message_ids(), ["m-1", "m-2"]);
}

#[test]
fn json_array_and_batch_documents_are_read_too() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let array = env.path().join("calls.json");
    std::fs::write(
        &array,
        format!("[\n  {},\n  {}\n]\n", track_line(1), track_line(2)),
    )
    .unwrap();
    let body = env.path().join("body.json");
    std::fs::write(
        &body,
        format!("{{\"batch\": [{}, {}]}}", track_line(3), track_line(4)),
    )
    .unwrap();
    batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json"])
            .arg(&array)
            .arg(&body),
        0,
    );
    let got: HashSet<String> = server.message_ids().into_iter().collect();
    assert_eq!(got, ids(1..5));
}

#[test]
fn defaults_fill_lines_but_never_overwrite_them_and_identity_is_required() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    write_lines(&input, [
        json!({"event": "a", "messageId": "m-1"}).to_string(),
        json!({"event": "b", "messageId": "m-2", "anonymousId": "own", "context": {"ip": "2.2.2.2"}}).to_string(),
        json!({"type": "identify", "messageId": "m-3", "integrations": {"All": true}}).to_string(),
    ]);
    let out = env
        .cmd_for(&server)
        .args([
            "batch",
            "--json",
            "--type",
            "track",
            "--user-id",
            "flag-user",
            "--context",
            "ip=1.1.1.1",
            "--context",
            "app.name=importer",
            "--integration",
            "All=false",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let calls: HashMap<String, Value> = server
        .accepted_calls()
        .into_iter()
        .map(|c| (c["messageId"].as_str().unwrap().to_string(), c))
        .collect();
    assert_eq!(calls["m-1"]["type"], "track");
    assert_eq!(calls["m-1"]["userId"], "flag-user");
    assert_eq!(calls["m-1"]["context"]["ip"], "1.1.1.1");
    assert_eq!(calls["m-1"]["context"]["app"]["name"], "importer");
    assert_eq!(calls["m-1"]["context"]["library"]["name"], "cio");
    assert_eq!(calls["m-2"]["anonymousId"], "own");
    assert!(
        calls["m-2"].get("userId").is_none(),
        "a line's own identity stands"
    );
    assert_eq!(calls["m-2"]["context"]["ip"], "2.2.2.2");
    assert_eq!(calls["m-3"]["type"], "identify");
    assert_eq!(calls["m-3"]["integrations"]["All"], true);

    // Without an identity flag, the machine's generated id is not used: the line is rejected.
    let server = TestServer::start();
    let (out, _) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--type", "track"])
            .arg(&input),
        6,
    );
    assert_eq!(server.message_ids(), ["m-2"]);
    assert!(
        stderr_of(&out).contains(":1: a track call needs 'userId' or 'anonymousId'"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn derived_message_ids_follow_the_timestamp() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    let same = r#"{"type":"track","event":"same","userId":"u","timestamp":"2026-01-01T00:00:00Z"}"#;
    write_lines(
        &input,
        [
            same.to_string(),
            same.to_string(),
            r#"{"type":"track","event":"untimed","userId":"u"}"#.into(),
        ],
    );
    for _ in 0..2 {
        let out = env
            .cmd_for(&server)
            .args(["batch", "-q"])
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
    }
    let ids = server.message_ids();
    assert_eq!(ids.len(), 6);
    assert_eq!(
        ids[..2],
        ids[3..5],
        "a replay of timestamped lines sends the same messageIds"
    );
    assert_ne!(ids[0], ids[1], "identical lines get different ids");
    assert_ne!(
        ids[2], ids[5],
        "a line without a timestamp is a new event in every run"
    );
}

/// The server's clock-skew correction, as the API documents it.
fn effective_timestamp(call: &Value, batch_sent_at: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;
    let parse = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
    let received = OffsetDateTime::now_utc() + time::Duration::hours(3); // a server clock far off
    match call.get("originalTimestamp").and_then(Value::as_str) {
        Some(original) => {
            let sent_at = call
                .get("sentAt")
                .and_then(Value::as_str)
                .unwrap_or(batch_sent_at);
            let corrected = received - (parse(sent_at) - parse(original));
            corrected.format(&Rfc3339).unwrap()
        }
        None => parse(call["timestamp"].as_str().unwrap())
            .format(&Rfc3339)
            .unwrap(),
    }
}

#[test]
fn replayed_events_land_at_their_own_time() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    write_lines(&input, [
        json!({"type": "track", "event": "old", "userId": "u", "messageId": "m-1", "timestamp": "2021-03-04T05:06:07.089Z"}).to_string(),
        // An export with all of the original timestamps.
        json!({"type": "track", "event": "old", "userId": "u", "messageId": "m-2", "timestamp": "2021-03-04T05:06:07.500Z",
               "originalTimestamp": "2021-03-04T05:06:07.100Z", "sentAt": "2021-03-04T05:06:08.000Z", "receivedAt": "2021-03-04T05:06:08.400Z"}).to_string(),
        json!({"type": "track", "event": "old", "userId": "u", "messageId": "m-3", "originalTimestamp": "2021-03-04T06:06:07+01:00"}).to_string(),
        json!({"type": "track", "event": "new", "userId": "u", "messageId": "m-4"}).to_string(),
    ]);
    let out = env
        .cmd_for(&server)
        .args(["batch", "-q"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let request = &server.requests()[0];
    let sent_at = request.json()["sentAt"].as_str().unwrap().to_string();
    let calls: HashMap<String, Value> = request
        .calls()
        .into_iter()
        .map(|c| (c["messageId"].as_str().unwrap().to_string(), c))
        .collect();
    assert_eq!(
        effective_timestamp(&calls["m-1"], &sent_at),
        "2021-03-04T05:06:07.089Z"
    );
    assert_eq!(
        effective_timestamp(&calls["m-2"], &sent_at),
        "2021-03-04T05:06:07.5Z"
    );
    assert_eq!(
        effective_timestamp(&calls["m-3"], &sent_at),
        "2021-03-04T05:06:07Z"
    );
    assert!(
        calls["m-2"].get("receivedAt").is_none(),
        "the server sets receivedAt itself"
    );
    // A line without a timestamp gets the time it was read.
    let read_at = calls["m-4"]["timestamp"].as_str().unwrap();
    assert!(
        read_at <= sent_at.as_str() && read_at.starts_with("20"),
        "{read_at} vs {sent_at}"
    );
}

#[test]
fn dry_run_validates_and_counts_without_sending() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    let mut lines: Vec<String> = (0..50).map(track_line).collect();
    lines.push("oops".into());
    write_lines(&input, lines);
    let (_, s) = batch_json(
        env.cmd()
            .env("CIO_ENDPOINT", server.endpoint())
            .args(["batch", "--dry-run", "--json", "--max-batch-calls", "20"])
            .arg(&input),
        6,
    );
    assert_eq!(s["dry_run"], true, "{s}");
    assert_counts(&s, &[("delivered", 50), ("invalid", 1), ("batches", 3)]);
    assert!(s["bytes"].as_u64().unwrap() > 50 * 100);

    // The same for a person: one line on stderr.
    let out = env
        .cmd()
        .env("CIO_ENDPOINT", server.endpoint())
        .args(["batch", "--dry-run", "--max-batch-calls", "50"])
        .arg(&input)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("51 read, 50 would deliver, 1 rejected (1 invalid, ")
            && stderr.contains(" in 1 batch, "),
        "{stderr}"
    );
    assert_eq!(server.request_count(), 0);
}

/// Runs `cio batch --checkpoint` and kills it with SIGKILL once the server has
/// acknowledged `kill_after` requests; returns when the process is gone.
fn run_and_kill(env: &CioEnv, server: &TestServer, args: &[&str], kill_after: usize) {
    let mut cmd = env.std_cmd_for(server);
    cmd.args(args);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.requests().iter().filter(|r| r.accepted).count() < kill_after {
        assert!(
            Instant::now() < deadline,
            "the server never got {kill_after} requests"
        );
        if child.try_wait().unwrap().is_some() {
            panic!("cio finished before it could be killed");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn a_killed_replay_resumes_from_its_checkpoint_without_loss() {
    let env = CioEnv::new();
    // Each request takes a while, so that the kill lands with requests in flight.
    let server = TestServer::with_handler(|_| Reply::delay(Duration::from_millis(20), Reply::ok()));
    let input = env.path().join("in.ndjson");
    let total = 20_000;
    write_lines(&input, (0..total).map(track_line));
    let checkpoint = env.path().join("replay.ckpt");
    let rejects = env.path().join("rejects.ndjson");
    let (concurrency, per_batch) = (3, 100);
    let args = [
        "batch",
        input.to_str().unwrap(),
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
        "--concurrency",
        "3",
        "--max-batch-calls",
        "100",
    ];
    run_and_kill(&env, &server, &args, 40);
    let before = server.message_ids();
    assert!(before.len() < total, "killed mid-run");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert!(saved["done"]["line"].as_u64().unwrap() > 0, "{saved}");
    assert_no_key(&std::fs::read_to_string(&checkpoint).unwrap());

    let (_, s) = batch_json(env.cmd_for(&server).args(args).arg("--json"), 0);
    let all = server.message_ids();
    let unique: HashSet<String> = all.iter().cloned().collect();
    assert_eq!(unique, ids(0..total), "every call delivered");
    let resent = all.len() - total;
    // Only what was in flight (or acknowledged after the last checkpoint write) is sent again.
    assert!(
        resent <= concurrency * per_batch,
        "{resent} calls sent twice"
    );
    assert!(s["resumed_past"].as_u64().unwrap() >= (before.len() - concurrency * per_batch) as u64);
    assert_no_key(&std::fs::read_to_string(&rejects).unwrap());
}

#[test]
fn a_huge_line_without_newline_is_rejected_in_bounded_memory() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("huge.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    writeln!(f, "{}", track_line(1)).unwrap();
    f.write_all(b"{\"type\":\"track\",\"event\":\"").unwrap();
    for _ in 0..(40 * 1024) {
        f.write_all(&[b'a'; 1024]).unwrap(); // 40 MB, no newline at the end
    }
    drop(f);
    let rejects = env.path().join("rejects.ndjson");
    batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--rejects"])
            .arg(&rejects)
            .arg(&input),
        6,
    );
    assert_eq!(server.message_ids(), ["m-1"]);
    let record: Value =
        serde_json::from_str(std::fs::read_to_string(&rejects).unwrap().trim()).unwrap();
    assert_eq!(record["line"], 2);
    assert!(
        record["reason"]
            .as_str()
            .unwrap()
            .starts_with("the line is 419430"),
        "{record}"
    );
    assert_eq!(
        record["original_truncated_from_bytes"].as_u64(),
        Some(40 * 1024 * 1024 + 25)
    );
}

#[test]
fn rate_caps_calls_per_second() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..1000).map(track_line));
    let started = std::time::Instant::now();
    let out = env
        .cmd_for(&server)
        .args(["batch", "-q", "--rate", "1000", "--max-batch-calls", "100"])
        .arg(&input)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let requests = server.requests();
    assert!(requests.len() >= 10, "{}", requests.len());
    assert!(requests.iter().all(|r| r.calls().len() <= 100));
    // At 1,000 calls/s a request starts once the calls before it have had
    // their time, so the last cannot start before 900 ms. (A lower bound: a
    // busy machine only adds to it.)
    assert!(took >= Duration::from_millis(900), "{took:?}");
}

#[test]
fn a_wrong_endpoint_stops_the_run_instead_of_splitting_every_batch() {
    let env = CioEnv::new();
    let server = TestServer::with_handler(|_| Reply::status(404, "no such route"));
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..2000).map(track_line));
    let (out, s) = batch_json(
        env.cmd_for(&server)
            .args([
                "batch",
                "--json",
                "--concurrency",
                "1",
                "--max-batch-calls",
                "500",
            ])
            .arg(&input),
        2,
    );
    assert_eq!(server.request_count(), 1, "no splitting on 404");
    assert!(
        stderr_of(&out).contains(&format!(
            "the server at {}/batch refused the call (404): no such route; check the endpoint (from",
            server.endpoint()
        )),
        "{}",
        stderr_of(&out)
    );
    let (first, last, calls) = line_span(&server.requests()[0]);
    assert!(
        stderr_of(&out).contains(&format!(
            "in.ndjson:{first}-{last}: {calls} calls not delivered: server refused (404): no such route"
        )),
        "one line for the whole batch: {}",
        stderr_of(&out)
    );
    // Not the calls' fault: undeliverable, and owed with everything read after them.
    assert_counts(&s, &[("undeliverable", calls as u64), ("refused", 0)]);
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(n("read"), n("owed"), "{s}");
    assert_eq!(n("delivered"), 0);
    assert!(
        s["resume_from"].as_str().unwrap().ends_with("in.ndjson:1"),
        "{s}"
    );
}

#[test]
fn dry_run_print_writes_the_calls_exactly_as_a_real_run_sends_them() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    write_lines(
        &input,
        (0..300)
            .map(|n| {
                json!({"type": "track", "event": "e", "userId": format!("u{n}"), "messageId": format!("m-{n}"),
                       "timestamp": "2026-01-01T00:00:00Z", "properties": {"n": n}})
                .to_string()
            })
            .chain([r#"{"event":"no type"}"#.to_string()]),
    );
    let printed = env
        .cmd()
        .args(["batch", "--dry-run", "--print", "--context", "ip=1.2.3.4"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(printed.status.code(), Some(6), "{}", stderr_of(&printed));
    let printed: Vec<Value> = stdout_of(&printed)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let out = env
        .cmd_for(&server)
        .args(["batch", "-q", "--context", "ip=1.2.3.4"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(printed.len(), 300);
    assert_eq!(
        printed,
        server.accepted_calls(),
        "in input order, field for field"
    );
    assert_eq!(printed[0]["context"]["ip"], "1.2.3.4");
}

#[test]
fn verbose_twice_shows_each_batch_request_and_three_times_its_first_calls() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..5).map(track_line));
    let out = env
        .cmd_for(&server)
        .args(["batch", "-vv"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    let size = server.requests()[0].body.len();
    assert!(
        stderr.contains(&format!(
            "cio: POST {} (5 calls, {size} bytes before gzip)\n",
            server.url("/v1/batch")
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("cio:   authorization: Basic REDACTED\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cio:   content-encoding: gzip\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("body: "), "{stderr}");
    assert_no_key(&stderr);
    let out = env
        .cmd_for(&server)
        .args(["batch", "-vvv"])
        .arg(&input)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("cio:   body: {\"type\":\"track\"") && stderr.contains("... and 2 more\n"),
        "{stderr}"
    );
    assert_no_key(&stderr);
}

#[test]
fn a_rejects_file_or_checkpoint_that_is_an_input_under_any_name_is_refused_and_kept() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("export.ndjson");
    write_lines(&input, (0..5).map(track_line));
    let before = std::fs::read(&input).unwrap();
    // Another path to the same file, as a retry loop might name it; a hard
    // link; and stdin redirected from it (`cio batch - --rejects retry.ndjson < export.ndjson`).
    // The rejects file would empty it; the checkpoint would be read from it,
    // refused as damaged, and the input named for removal.
    let other_path = env.path().join(".").join("export.ndjson");
    let link = env.path().join("retry.ndjson");
    std::fs::hard_link(&input, &link).unwrap();
    for (flag, what) in [
        ("--rejects", "the rejects file"),
        ("--checkpoint", "the checkpoint"),
    ] {
        for (output, from_stdin) in [(&other_path, false), (&link, false), (&link, true)] {
            let mut cmd = env.std_cmd_for(&server);
            cmd.args(["batch", flag]).arg(output);
            if from_stdin {
                cmd.arg("-").stdin(std::fs::File::open(&input).unwrap());
            } else {
                cmd.arg(&input);
            }
            assert_refused(
                &cmd.output().unwrap(),
                &format!(
                    "{}: {what} is also an input; give {flag} another file",
                    output.display()
                ),
            );
            assert_eq!(std::fs::read(&input).unwrap(), before, "not emptied");
        }
    }
    // Refused before the checkpoint's lock was taken.
    let locks = ["export.ndjson.lock", "retry.ndjson.lock"];
    assert!(locks.iter().all(|l| !env.path().join(l).exists()));
    assert!(server.message_ids().is_empty());
}

/// Last run's records fixed on the way and sent again under the same
/// `--rejects`: the new run's empty rejects file must not cut off the reader.
#[test]
fn rejects_piped_back_under_the_same_name_are_all_read() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let rejects = env.path().join("rejects.ndjson");
    // Well over what a pipe holds, so `cat` is still reading when cio opens its rejects file.
    let calls = 4000;
    write_lines(&rejects, (0..calls).map(track_line));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(&rejects, private).unwrap();
    }
    let mut cat = std::process::Command::new("cat")
        .arg(&rejects)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = env
        .std_cmd_for(&server)
        .args(["batch", "-", "--rejects"])
        .arg(&rejects)
        .stdin(cat.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(cat.wait().unwrap().success());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let delivered: HashSet<String> = server.message_ids().into_iter().collect();
    assert_eq!(delivered.len(), calls, "every record read and delivered");
    assert_eq!(
        std::fs::read(&rejects).unwrap(),
        b"",
        "this run's rejects: none"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&rejects).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the replaced file's permissions kept");
    }
}

#[test]
fn an_input_named_twice_is_refused_before_anything_goes() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("a.ndjson");
    write_lines(&input, (0..3).map(track_line));
    let link = env.path().join("b.ndjson");
    std::fs::hard_link(&input, &link).unwrap();
    let other_path = env.path().join(".").join("a.ndjson");
    // Read twice, lines without a timestamp would go twice, as other events.
    for (second, from_stdin) in [(&other_path, false), (&link, false), (&input, true)] {
        let mut cmd = env.std_cmd_for(&server);
        cmd.arg("batch").arg(&input);
        let named = if from_stdin {
            cmd.arg("-").stdin(std::fs::File::open(&input).unwrap());
            "<stdin>".to_string()
        } else {
            cmd.arg(second);
            second.display().to_string()
        };
        assert_refused(
            &cmd.output().unwrap(),
            &format!(
                "{} and {named} are the same input; name each input once",
                input.display()
            ),
        );
    }
    assert!(server.message_ids().is_empty());
}

#[test]
fn one_file_as_both_rejects_and_checkpoint_is_refused_before_anything_goes() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..3).map(track_line));
    let file = env.path().join("state.json");
    // Not there yet, and then there: either way the two would overwrite each other.
    for exists in [false, true] {
        if exists {
            std::fs::write(&file, "kept").unwrap();
        }
        let out = env
            .cmd_for(&server)
            .arg("batch")
            .arg(&input)
            .arg("--rejects")
            .arg(env.path().join(".").join("state.json"))
            .arg("--checkpoint")
            .arg(&file)
            .output()
            .unwrap();
        assert_refused(
            &out,
            "--rejects and --checkpoint name the same file; give each its own",
        );
        assert_eq!(std::fs::read(&file).ok(), exists.then(|| b"kept".to_vec()));
    }
    assert!(server.message_ids().is_empty());
}

/// A rejects file that could not be written for a while (a full disk, freed
/// again) must not lose records without a word: records that failed to go in
/// stop the run with the error, even once later writes succeed. The file size
/// limit (`ulimit -f`, raised again with `prlimit`) stands in for the disk.
#[test]
fn a_rejects_file_that_failed_for_a_while_is_an_error_not_a_gap() {
    let env = CioEnv::new();
    // Slow answers keep the run going while the limit is raised.
    let server =
        TestServer::with_handler(|_| Reply::delay(Duration::from_millis(1500), Reply::ok()));
    let input = env.path().join("in.ndjson");
    let invalid = 300;
    let lines = (0..invalid)
        .map(|n| json!({"type": "track", "userId": format!("u{n}")}).to_string())
        .chain((0..150).map(track_line));
    write_lines(&input, lines);
    let rejects = env.path().join("rejects.ndjson");
    let mut cio = env.std_cmd_for(&server);
    cio.arg("batch")
        .arg(&input)
        .arg("--rejects")
        .arg(&rejects)
        .args(["--max-batch-calls", "50", "--concurrency", "1"]);
    // 16 blocks of 512 bytes, well under the 300 records; SIGXFSZ ignored, so
    // a write past it fails with EFBIG instead of killing cio.
    let child = through_sh(&cio, r#"ulimit -S -f 16; trap "" XFSZ"#)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The records written in the first moments fill the file to the limit.
    let size = || std::fs::metadata(&rejects).map_or(0, |m| m.len());
    let deadline = Instant::now() + Duration::from_secs(20);
    while size() < 8192 {
        assert!(
            Instant::now() < deadline,
            "the rejects file never reached the limit"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    let raised = std::process::Command::new("prlimit")
        .args(["--pid", &child.id().to_string(), "--fsize=unlimited"])
        .status()
        .unwrap();
    assert!(raised.success());
    // Before the first answer: the next writes and flushes get through.
    let out = child.wait_with_output().unwrap();
    let records = std::fs::read_to_string(&rejects).unwrap();
    let whole = records
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).is_ok_and(|r| r["kind"] == "invalid"))
        .count();
    assert!(whole < invalid, "the limit cut the file: {whole} records");
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.ends_with("cio: error: cannot write the rejects file: File too large\n"),
        "{stderr}"
    );
}
