//! The offline spool: `cio track --spool` keeps what it cannot deliver (exit
//! 7), `cio flush` delivers it through the batch API exactly once by
//! messageId, survives `kill -9` and concurrent writers and flushes, and a
//! full spool refuses with exit 8. Calls refused on their merits never spool.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

/// A server that answers `down` while the flag it returns is set (at
/// first), and `up` once it is cleared.
fn server_with_switch(down: Reply, up: Reply) -> (TestServer, Arc<AtomicBool>) {
    let is_down = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&is_down);
    let server = TestServer::with_handler(move |_| match flag.load(Ordering::SeqCst) {
        true => down.clone(),
        false => up.clone(),
    });
    (server, is_down)
}

/// A server down (dropping connections) until the flag is cleared, then
/// answering 200 after `ms`: slow, so that a signal lands mid-flush.
fn down_then_slow(ms: u64) -> (TestServer, Arc<AtomicBool>) {
    let up = Reply::delay(Duration::from_millis(ms), Reply::ok());
    server_with_switch(Reply::drop_connection(), up)
}

/// `cio track` with the spool on (by the environment, as a CI job would set it).
fn spooled_track(env: &CioEnv, server: &TestServer, i: usize) -> std::process::Command {
    let mut cmd = env.std_cmd_for(server);
    cmd.env("CIO_SPOOL", "1").args([
        "track",
        "deploy",
        "--user-id",
        &format!("u{i}"),
        "--prop",
        &format!("n={i}"),
        "--retries",
        "0",
    ]);
    cmd
}

/// Runs `commands` all at once, at most `width` at a time.
fn run_together(commands: Vec<std::process::Command>, width: usize) -> Vec<Output> {
    let mut outputs = Vec::new();
    let mut commands = commands.into_iter().peekable();
    while commands.peek().is_some() {
        let children: Vec<Child> = commands
            .by_ref()
            .take(width)
            .map(|mut c| {
                c.stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        outputs.extend(children.into_iter().map(|c| c.wait_with_output().unwrap()));
    }
    outputs
}

/// Spools `range` calls while the server is down; returns their messageIds.
fn spool_calls(
    env: &CioEnv,
    server: &TestServer,
    range: std::ops::Range<usize>,
    width: usize,
) -> Vec<String> {
    let outputs = run_together(
        range.map(|i| spooled_track(env, server, i)).collect(),
        width,
    );
    outputs
        .iter()
        .map(|out| {
            assert_eq!(out.status.code(), Some(7), "{}", stderr_of(out));
            let stderr = stderr_of(out);
            assert!(
                stderr.starts_with("cio: warning: not delivered to http://127.0.0.1:")
                    && stderr.contains("/v1/track after 1 attempt: "),
                "{stderr}"
            );
            assert!(stderr.contains("; kept in the spool "), "{stderr}");
            assert!(stderr.ends_with(" (`cio flush` delivers it)\n"), "{stderr}");
            assert_no_key(&stderr);
            let id = stdout_of(out).trim().to_string();
            assert_eq!(id.len(), 36, "{id}");
            id
        })
        .collect()
}

fn status(env: &CioEnv, server: &TestServer) -> Value {
    let out = env
        .cmd_for(server)
        .args(["spool", "status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The lines waiting in the spool, by messageId.
fn spooled_lines(env: &CioEnv, server: &TestServer) -> HashMap<String, Value> {
    let dir = status(env, server)["spool"].as_str().unwrap().to_string();
    let mut lines = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ndjson") && !path.ends_with("rejected.ndjson") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let call: Value = serde_json::from_str(line).unwrap();
                lines.insert(call["messageId"].as_str().unwrap().to_string(), call);
            }
        }
    }
    lines
}

fn counts(ids: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for id in ids {
        *counts.entry(id.clone()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn two_hundred_concurrent_spooled_calls_are_delivered_exactly_once_by_flush() {
    let env = CioEnv::new();
    let (server, down) = server_with_switch(Reply::drop_connection(), Reply::ok());
    let ids = spool_calls(&env, &server, 0..200, 200);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 200);
    assert_eq!(
        server.message_ids().len(),
        0,
        "nothing delivered while down"
    );

    let waiting = status(&env, &server);
    assert_eq!(waiting["calls"], 200, "{waiting}");
    assert!(waiting["bytes"].as_u64().unwrap() > 200 * 100, "{waiting}");
    assert!(
        waiting["oldest"].as_str().unwrap().ends_with('Z'),
        "{waiting}"
    );
    let spooled = spooled_lines(&env, &server);
    assert_eq!(spooled.keys().collect::<HashSet<_>>(), ids.iter().collect());
    // Under the state directory, owner-only, and the key in none of its files.
    let dir = std::path::PathBuf::from(waiting["spool"].as_str().unwrap());
    assert!(
        dir.starts_with(env.path().join(".local/state/cio/spool")),
        "{dir:?}"
    );
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_no_key(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{path:?}");
        }
    }

    down.store(false, Ordering::SeqCst);
    let out = env.cmd_for(&server).arg("flush").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with("flush: 200 delivered, 0 kept in the spool (not delivered), 0 refused by the server; 0 calls waiting in "),
        "{stderr}"
    );

    // Exactly once each, through /batch, with the messageId and timestamp of the original call.
    let delivered = server.message_ids();
    assert_eq!(delivered.len(), 200);
    assert_eq!(
        delivered.iter().collect::<HashSet<_>>(),
        ids.iter().collect()
    );
    for call in server.accepted_calls() {
        let original = &spooled[call["messageId"].as_str().unwrap()];
        assert_eq!(call["timestamp"], original["timestamp"]);
        assert_eq!(call["properties"], original["properties"]);
        assert_eq!(call["type"], "track");
    }
    assert!(server
        .requests()
        .iter()
        .filter(|r| r.accepted)
        .all(|r| r.path == "/v1/batch"));

    assert_eq!(status(&env, &server)["calls"], 0);
    // A second flush has nothing to send.
    let before = server.request_count();
    let out = env
        .cmd_for(&server)
        .args(["flush", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["delivered"], 0, "{summary}");
    assert_eq!(server.request_count(), before);
}

#[test]
fn a_flush_while_the_server_is_still_down_keeps_every_call() {
    let env = CioEnv::new();
    let (server, down) = server_with_switch(Reply::drop_connection(), Reply::ok());
    let ids = spool_calls(&env, &server, 0..20, 20);
    let out = env
        .cmd_for(&server)
        .args(["flush", "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    assert_eq!(status(&env, &server)["calls"], 20);

    down.store(false, Ordering::SeqCst);
    let out = env.cmd_for(&server).arg("flush").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let delivered = server.message_ids();
    assert_eq!(
        delivered.iter().collect::<HashSet<_>>(),
        ids.iter().collect()
    );
    assert_eq!(delivered.len(), 20);
}

#[test]
fn kill_9_during_a_flush_then_flush_again_loses_nothing() {
    const CALLS: usize = 300;
    const CONCURRENCY: usize = 2;
    const PER_BATCH: usize = 10;
    let env = CioEnv::new();
    // Slow batches, so that the kill lands with requests in flight.
    let (server, down) = down_then_slow(60);
    let ids = spool_calls(&env, &server, 0..CALLS, 50);
    down.store(false, Ordering::SeqCst);

    let flush = |env: &CioEnv| {
        let mut cmd = env.std_cmd_for(&server);
        cmd.args([
            "flush",
            "--concurrency",
            &CONCURRENCY.to_string(),
            "--max-batch-calls",
            &PER_BATCH.to_string(),
        ]);
        cmd
    };
    let mut child = flush(&env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let batches = || {
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/batch"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while batches() < 6 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before_resume = server.message_ids().len();
    assert!(
        (4 * PER_BATCH..CALLS).contains(&before_resume),
        "the kill landed mid-flush: {before_resume}"
    );

    let out = flush(&env).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let delivered = server.message_ids();
    let counts = counts(&delivered);
    assert_eq!(
        counts.keys().collect::<HashSet<_>>(),
        ids.iter().collect(),
        "nothing lost"
    );
    let resent = delivered.len() - CALLS;
    assert!(
        resent <= CONCURRENCY * PER_BATCH,
        "re-sent {resent} calls, more than the {} in flight",
        CONCURRENCY * PER_BATCH
    );
    assert_eq!(status(&env, &server)["calls"], 0);
}

#[test]
fn flushes_while_writers_keep_spooling_lose_nothing() {
    let env = CioEnv::new();
    // Single calls (/track) cannot get through; the flush's batches (/batch) can.
    let server = TestServer::with_handler(|request| {
        if request.path.ends_with("/track") {
            Reply::drop_connection()
        } else {
            Reply::ok()
        }
    });
    let writing = Arc::new(AtomicBool::new(true));
    let ids = std::thread::scope(|scope| {
        let writers = scope.spawn(|| {
            let ids = spool_calls(&env, &server, 0..150, 10);
            writing.store(false, Ordering::SeqCst);
            ids
        });
        // Two flushes at a time, over and over, while the writers spool.
        let started = Instant::now();
        while writing.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(120) {
            let outputs = run_together(
                (0..2)
                    .map(|_| {
                        let mut cmd = env.std_cmd_for(&server);
                        cmd.arg("flush");
                        cmd
                    })
                    .collect(),
                2,
            );
            for out in outputs {
                assert!(out.status.success(), "{}", stderr_of(&out));
            }
        }
        writers.join().unwrap()
    });
    let out = env.cmd_for(&server).arg("flush").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let delivered = server.message_ids();
    assert_eq!(
        delivered.iter().collect::<HashSet<_>>(),
        ids.iter().collect()
    );
    assert_eq!(delivered.len(), 150, "each exactly once");
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/batch"))
            .count()
            >= 2
    );
}

#[test]
fn a_full_spool_refuses_with_exit_8_and_keeps_what_it_had() {
    let env = CioEnv::new();
    let (server, _down) = server_with_switch(Reply::drop_connection(), Reply::ok());
    let mut kept = Vec::new();
    let mut refused = None;
    for i in 0..20 {
        let out = spooled_track(&env, &server, i)
            .args(["--spool-max-bytes", "2000"])
            .output()
            .unwrap();
        match out.status.code() {
            Some(7) => kept.push(stdout_of(&out).trim().to_string()),
            Some(8) => {
                refused = Some(out);
                break;
            }
            other => panic!("exit {other:?}: {}", stderr_of(&out)),
        }
    }
    let out = refused.expect("the spool filled up");
    assert!(kept.len() >= 3, "{}", kept.len());
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with("cio: error: not delivered to http://127.0.0.1:")
            && stderr.contains("/v1/track after 1 attempt: "),
        "{stderr}"
    );
    assert!(
        stderr.contains(" of 2000 bytes), so the call was not kept: run `cio flush`, or raise --spool-max-bytes\n"),
        "{stderr}"
    );
    assert_eq!(stdout_of(&out), "");
    let waiting = status(&env, &server);
    assert_eq!(waiting["calls"], kept.len() as u64, "{waiting}");
    assert!(waiting["bytes"].as_u64().unwrap() <= 2000, "{waiting}");
    let spooled = spooled_lines(&env, &server);
    assert_eq!(
        spooled.keys().collect::<HashSet<_>>(),
        kept.iter().collect()
    );
}

#[test]
fn calls_refused_on_their_merits_are_never_spooled() {
    for (status_code, exit) in [(400, 2), (401, 3), (403, 4)] {
        let env = CioEnv::new();
        let server =
            TestServer::with_handler(move |_| Reply::status(status_code, r#"{"message":"no"}"#));
        let out = spooled_track(&env, &server, 1).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(exit),
            "{status_code}: {}",
            stderr_of(&out)
        );
        assert!(!stderr_of(&out).contains("spool"), "{}", stderr_of(&out));
        assert_eq!(status(&env, &server)["calls"], 0, "{status_code}");
    }
}

#[test]
fn a_flush_keeps_refused_calls_apart_and_exits_6() {
    let env = CioEnv::new();
    // Down at first; then it refuses (400) any batch holding the call named here.
    let refuse = Arc::new(std::sync::Mutex::new(None::<String>));
    let rule = Arc::clone(&refuse);
    let server = TestServer::with_handler(move |request| match &*rule.lock().unwrap() {
        None => Reply::drop_connection(),
        Some(id) if request.body_text().contains(id.as_str()) => {
            Reply::status(400, r#"{"message":"bad call"}"#)
        }
        Some(_) => Reply::ok(),
    });
    let ids = spool_calls(&env, &server, 0..4, 4);
    *refuse.lock().unwrap() = Some(ids[1].clone());

    let out = env
        .cmd_for(&server)
        .args(["flush", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["delivered"], 3, "{summary}");
    assert_eq!(summary["refused"], 1, "{summary}");
    assert_eq!(summary["kept"], 0, "{summary}");
    assert_eq!(summary["waiting"], 0, "{summary}");
    let delivered: HashSet<String> = server.message_ids().into_iter().collect();
    let expected: HashSet<String> = ids.iter().filter(|id| **id != ids[1]).cloned().collect();
    assert_eq!(delivered, expected);

    // The refused call is kept apart, with the server's reason, and not sent again.
    let waiting = status(&env, &server);
    assert_eq!(waiting["rejected"], 1, "{waiting}");
    let dir = waiting["spool"].as_str().unwrap();
    let record: Value = serde_json::from_str(
        std::fs::read_to_string(format!("{dir}/rejected.ndjson"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(record["reason"], "server refused (400): bad call");
    assert_eq!(record["kind"], "refused");
    assert_eq!(record["call"]["messageId"], ids[1].as_str());
    let before = server.request_count();
    let out = env.cmd_for(&server).arg("flush").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(server.request_count(), before);
}

#[test]
fn a_flush_refused_the_key_exits_3_and_keeps_every_call() {
    let env = CioEnv::new();
    // 0: down, 1: the key refused, 2: up.
    let mode = Arc::new(std::sync::atomic::AtomicU8::new(0));
    let now = Arc::clone(&mode);
    let server = TestServer::with_handler(move |_| match now.load(Ordering::SeqCst) {
        0 => Reply::drop_connection(),
        1 => Reply::status(401, r#"{"message":"bad key"}"#),
        _ => Reply::ok(),
    });
    let ids = spool_calls(&env, &server, 0..30, 30);
    mode.store(1, Ordering::SeqCst);
    let out = env
        .cmd_for(&server)
        .args(["flush", "--max-batch-calls", "10", "--concurrency", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains(&format!(
            "cio: error: the write key from CIO_WRITE_KEY was refused (401) by {}/batch: bad key",
            server.endpoint()
        )),
        "{}",
        stderr_of(&out)
    );
    assert_no_key(&stderr_of(&out));
    assert_eq!(status(&env, &server)["calls"], 30);

    mode.store(2, Ordering::SeqCst);
    let out = env.cmd_for(&server).arg("flush").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let delivered = server.message_ids();
    assert_eq!(delivered.len(), 30);
    assert_eq!(
        delivered.iter().collect::<HashSet<_>>(),
        ids.iter().collect()
    );
    assert_eq!(status(&env, &server)["calls"], 0);
}

/// `cio flush --json`, with its exit code checked; returns its summary.
fn flush_json(env: &CioEnv, server: &TestServer, code: i32) -> Value {
    let out = env
        .std_cmd_for(server)
        .args(["flush", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{}", stderr_of(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The messageIds of the calls the server got in `/batch` requests.
fn batched_ids(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/batch"))
        .flat_map(|r| r.json()["batch"].as_array().unwrap().clone())
        .map(|c| c["messageId"].as_str().unwrap().to_string())
        .collect()
}

/// Ctrl-C or SIGTERM while a `--spool` call waits to retry: the call is kept
/// in the spool (exit 130, its messageId printed), and a flush delivers it
/// with that messageId.
#[test]
fn a_signal_during_the_retry_wait_spools_the_call() {
    for signal in ["-INT", "-TERM", "-HUP"] {
        let env = CioEnv::new();
        let (server, down) = server_with_switch(Reply::status(500, "{}"), Reply::ok());
        let mut cmd = env.std_cmd_for(&server);
        cmd.env("CIO_SPOOL", "1")
            .args(["track", "deploy", "--user-id", "u1", "--retries", "5"]);
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The second answer came: cio now waits about a second to retry.
        assert!(server.wait_for_requests(2, Duration::from_secs(20)));
        let kill = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(130),
            "{signal}: {}",
            stderr_of(&out)
        );
        let dir = status(&env, &server)["spool"].as_str().unwrap().to_string();
        assert_eq!(
            stderr_of(&out),
            format!(
                "cio: warning: interrupted; kept in the spool {dir} (`cio flush` delivers it)\n"
            )
        );
        let id = stdout_of(&out).trim().to_string();
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(status(&env, &server)["calls"], 1);

        down.store(false, Ordering::SeqCst);
        let summary = flush_json(&env, &server, 0);
        assert_eq!(summary["delivered"], 1, "{summary}");
        assert_eq!(batched_ids(&server), [id]);
    }
}

/// A call spooled with --allow-old-timestamps is delivered by a flush as it
/// was accepted, not refused for its timestamp.
#[test]
fn a_call_spooled_with_an_old_timestamp_allowed_is_flushed() {
    let env = CioEnv::new();
    let (server, down) = server_with_switch(Reply::drop_connection(), Reply::ok());
    let out = env
        .std_cmd_for(&server)
        .env("CIO_SPOOL", "1")
        .args(["track", "deploy", "--user-id", "u1", "--retries", "0"])
        .args([
            "--timestamp",
            "1990-01-02T03:04:05Z",
            "--allow-old-timestamps",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    let id = stdout_of(&out).trim().to_string();

    down.store(false, Ordering::SeqCst);
    let summary = flush_json(&env, &server, 0);
    assert_eq!(
        (&summary["delivered"], &summary["refused"]),
        (&Value::from(1), &Value::from(0)),
        "{summary}"
    );
    let sent: Vec<Value> = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/batch"))
        .flat_map(|r| r.json()["batch"].as_array().unwrap().clone())
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["messageId"], id.as_str());
    assert_eq!(sent[0]["timestamp"], "1990-01-02T03:04:05.000Z");
}

/// A spool write cut short by a full disk (here a file-size limit) leaves the
/// spool as it was: the next flush delivers what was whole and refuses nothing.
#[test]
fn a_failed_spool_write_leaves_no_torn_line() {
    let env = CioEnv::new();
    let (server, down) = server_with_switch(Reply::drop_connection(), Reply::ok());
    let long = "x".repeat(150);
    let track = |n: usize| {
        let mut cmd = env.std_cmd_for(&server);
        cmd.env("CIO_SPOOL", "1").args([
            "track",
            "deploy",
            "--user-id",
            &format!("u{n}"),
            "--prop",
            &format!("note={long}"),
            "--retries",
            "0",
        ]);
        cmd
    };
    let first = track(1).output().unwrap();
    assert_eq!(first.status.code(), Some(7), "{}", stderr_of(&first));
    let id = stdout_of(&first).trim().to_string();
    let dir = status(&env, &server)["spool"].as_str().unwrap().to_string();
    let active = std::path::Path::new(&dir).join("active.ndjson");
    let whole = std::fs::read(&active).unwrap();
    assert!((300..512).contains(&whole.len()), "{}", whole.len());

    // One block of 512 bytes: the second line passes it halfway.
    let second = through_sh(&track(2), r#"ulimit -S -f 1; trap "" XFSZ"#)
        .output()
        .unwrap();
    let stderr = stderr_of(&second);
    assert_eq!(second.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "; and it could not be spooled: cannot write to the spool {}: File too large; not delivered, messageId ",
            active.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&long),
        "the call itself is on stderr: {stderr}"
    );
    assert_eq!(std::fs::read(&active).unwrap(), whole);

    down.store(false, Ordering::SeqCst);
    let summary = flush_json(&env, &server, 0);
    assert_eq!(
        (&summary["delivered"], &summary["refused"]),
        (&Value::from(1), &Value::from(0)),
        "{summary}"
    );
    assert_eq!(batched_ids(&server), [id]);
}

/// A flush interrupted (Ctrl-C) halfway, then another: each one's figures are
/// what it sent and the server accepted, together every call once.
#[test]
fn the_figures_of_an_interrupted_flush_and_the_next_are_what_each_sent() {
    const CALLS: usize = 60;
    let env = CioEnv::new();
    // Slow batches, so that the Ctrl-C lands with most calls still to send.
    let (server, down) = down_then_slow(150);
    let ids = spool_calls(&env, &server, 0..CALLS, 20);
    down.store(false, Ordering::SeqCst);
    let flush = || {
        let mut cmd = env.std_cmd_for(&server);
        cmd.args([
            "flush",
            "--json",
            "--concurrency",
            "1",
            "--max-batch-calls",
            "5",
        ]);
        cmd
    };
    let child = flush()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while batched_ids(&server).len() < 10 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sent_first = batched_ids(&server).len();
    assert!((10..CALLS).contains(&sent_first), "{sent_first}");
    assert_eq!(first["delivered"], sent_first, "{first}");
    assert_eq!(first["kept"], CALLS - sent_first, "{first}");
    assert_eq!(first["refused"], 0, "{first}");

    let out = flush().output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let second: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sent = batched_ids(&server);
    assert_eq!(second["delivered"], sent.len() - sent_first, "{second}");
    assert_eq!(second["kept"], 0, "{second}");
    assert_eq!(second["refused"], 0, "{second}");
    assert_eq!(sent.len(), CALLS, "every call once");
    assert_eq!(
        sent.into_iter().collect::<HashSet<_>>(),
        ids.into_iter().collect()
    );
}

/// A line in the spool that cio cannot read (a disk error, a hand edit) is
/// named as damaged, kept apart, and not counted as refused by the server.
#[test]
fn a_damaged_spool_line_is_not_called_refused_by_the_server() {
    let env = CioEnv::new();
    let (server, down) = server_with_switch(Reply::drop_connection(), Reply::ok());
    let ids = spool_calls(&env, &server, 0..1, 1);
    let dir = status(&env, &server)["spool"].as_str().unwrap().to_string();
    let active = std::path::Path::new(&dir).join("active.ndjson");
    let mut text = std::fs::read_to_string(&active).unwrap();
    text.push_str("{\"type\":\"track\",\"ev\n");
    std::fs::write(&active, text).unwrap();

    down.store(false, Ordering::SeqCst);
    let out = env.std_cmd_for(&server).arg("flush").output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "flush: 1 delivered, 0 kept in the spool (not delivered), 0 refused by the server, \
             1 damaged (not sendable) (in {dir}/rejected.ndjson); 0 calls waiting in {dir}\n"
        )
    );
    assert_eq!(batched_ids(&server), ids);
}

/// A flush killed while it reached the spool through a symbolic link, then a
/// flush through the real path: the claimed file is the same file however it
/// is spelled, so the flush resumes it, goes on to the next, and exits 0.
#[test]
fn a_flush_through_another_path_after_kill_9_delivers_everything() {
    let env = CioEnv::new();
    let (server, down) = down_then_slow(60);
    let mut ids = spool_calls(&env, &server, 0..60, 20);
    let root = env.path().join(".local/state/cio/spool");
    let link = env.path().join("spool-link");
    std::os::unix::fs::symlink(&root, &link).unwrap();
    down.store(false, Ordering::SeqCst);

    let mut child = env
        .std_cmd_for(&server)
        .env("CIO_SPOOL_DIR", &link)
        .args(["flush", "--concurrency", "1", "--max-batch-calls", "5"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while batched_ids(&server).len() < 10 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(batched_ids(&server).len() < 60, "the kill landed mid-flush");

    // More calls spooled meanwhile: a second file for the next flush to claim.
    down.store(true, Ordering::SeqCst);
    ids.extend(spool_calls(&env, &server, 60..65, 5));
    down.store(false, Ordering::SeqCst);

    let out = env.std_cmd_for(&server).arg("flush").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        batched_ids(&server).into_iter().collect::<HashSet<_>>(),
        ids.into_iter().collect()
    );
    assert_eq!(status(&env, &server)["calls"], 0);
}
