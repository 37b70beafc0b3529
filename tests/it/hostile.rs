//! Hostile input: a generated corpus mixing good lines with every kind of bad
//! one. No panic, bounded memory, every good line delivered, every bad line
//! reported with its line number and a reason, exit 6.

use std::collections::HashSet;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

/// Bad lines, each with the start of the reason cio must give.
fn bad_lines() -> Vec<(Vec<u8>, &'static str)> {
    let nested = format!(
        r#"{{"type":"track","event":"e","userId":"u","properties":{{"deep":{}0{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let whole_nested = "[".repeat(10_000) + &"]".repeat(10_000);
    let big = format!(
        r#"{{"type":"track","event":"e","userId":"u","properties":{{"blob":"{}"}}}}"#,
        "x".repeat(40 * 1024)
    );
    vec![
        (
            br#"{"type":"track","event":"e","#.to_vec(),
            "invalid JSON at column",
        ),
        (
            br#"{"type":"track","event":"e","userId":"u","properties":{"a":"#.to_vec(),
            "invalid JSON at column",
        ),
        (
            br#"{"type":"track" "event":"e"}"#.to_vec(),
            "invalid JSON at column",
        ),
        (big.into_bytes(), "the call is 41"),
        (
            b"{\"type\":\"track\",\"event\":\"\xff\xfe\",\"userId\":\"u\"}".to_vec(),
            "not valid UTF-8 (at byte 26)",
        ),
        (
            b"{\"type\":\"track\",\"event\":\"a\0b\",\"userId\":\"u\"}".to_vec(),
            "invalid JSON at column",
        ),
        (b"\0\0\0".to_vec(), "invalid JSON at column 1"),
        (
            br#"[{"type":"track","event":"e","userId":"u"}]"#.to_vec(),
            "expected a JSON object (one call), found an array",
        ),
        (
            b"42".to_vec(),
            "expected a JSON object (one call), found a number",
        ),
        (
            br#""just a string""#.to_vec(),
            "expected a JSON object (one call), found a string",
        ),
        (
            b"null".to_vec(),
            "expected a JSON object (one call), found null",
        ),
        (
            br#"{"type":"track","event":"e"}"#.to_vec(),
            "a track call needs 'userId' or 'anonymousId'",
        ),
        (
            br#"{"type":"identify","userId":null,"anonymousId":null}"#.to_vec(),
            "an identify call needs 'userId' or 'anonymousId'",
        ),
        (
            br#"{"type":"track","userId":"u"}"#.to_vec(),
            "'event' is required for a track call",
        ),
        (
            br#"{"type":"purchase","userId":"u"}"#.to_vec(),
            "unknown type 'purchase'",
        ),
        (
            br#"{"userId":"u","event":"e"}"#.to_vec(),
            "'type' is missing",
        ),
        (
            nested.into_bytes(),
            "invalid JSON: nested deeper than 128 levels",
        ),
        (
            whole_nested.into_bytes(),
            "invalid JSON at column 128: recursion limit exceeded",
        ),
        (
            br#"{"type":"track","event":"e","userId":"u","properties":{"n":1e400}}"#.to_vec(),
            "invalid JSON: number out of range",
        ),
        (
            br#"{"type":"track","event":"e","userId":"u","timestamp":1e400}"#.to_vec(),
            "invalid JSON at column",
        ),
        (
            br#"{"type":"track","event":"e","userId":"u","userId":"v"}"#.to_vec(),
            "invalid JSON at column",
        ),
        (
            br#"{"type":"track","event":"e","userId":"u","properties":[1]}"#.to_vec(),
            "'properties' must be an object",
        ),
        (
            br#"{"type":"track","event":"e","userId":"u","timestamp":"last tuesday"}"#.to_vec(),
            "timestamp \"last tuesday\" is neither RFC 3339",
        ),
    ]
}

#[test]
fn every_good_line_is_delivered_and_every_bad_line_reported() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("hostile.ndjson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    let bad = bad_lines();
    let mut expected_bad: Vec<(u64, &str)> = Vec::new();
    let mut good = HashSet::new();
    let mut line = 0u64;
    // A BOM before the first line is not part of the call.
    out.write_all(b"\xEF\xBB\xBF").unwrap();
    for round in 0..3 {
        for (i, (bytes, reason)) in bad.iter().enumerate() {
            let id = format!("good-{round}-{i}");
            writeln!(
                out,
                "{}",
                json!({"type": "track", "event": "ok", "userId": "u", "messageId": id})
            )
            .unwrap();
            good.insert(id);
            line += 1;
            out.write_all(b"\n   \n").unwrap(); // blank lines are skipped, not rejected
            line += 2;
            out.write_all(bytes).unwrap();
            out.write_all(b"\n").unwrap();
            line += 1;
            expected_bad.push((line, reason));
        }
    }
    // Last: a 100 MB line with no newline.
    out.write_all(b"{\"type\":\"track\",\"event\":\"").unwrap();
    let chunk = vec![b'z'; 1 << 20];
    for _ in 0..100 {
        out.write_all(&chunk).unwrap();
    }
    drop(out);
    expected_bad.push((
        line + 1,
        "the line is 104857625 bytes, over the API's limit",
    ));

    let rejects = env.path().join("rejects.ndjson");
    let mut cmd = env.std_cmd_for(&server);
    cmd.args(["batch", "--json", "--rejects"])
        .arg(&rejects)
        .arg(&input);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let peak_kb = peak_rss_kb(&mut child);
    let output = child.wait_with_output().unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        peak_kb < 64 * 1024,
        "peak RSS {peak_kb} KB with a 100 MB line in the input"
    );
    assert!(started.elapsed() < Duration::from_secs(60));

    let delivered: HashSet<String> = server.message_ids().into_iter().collect();
    assert_eq!(delivered, good, "every good line delivered, nothing else");

    let records: Vec<Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        records.len(),
        expected_bad.len(),
        "every bad line reported once"
    );
    for (record, (want_line, want_reason)) in records.iter().zip(&expected_bad) {
        assert_eq!(record["line"].as_u64(), Some(*want_line), "{record}");
        let reason = record["reason"].as_str().unwrap();
        assert!(
            reason.starts_with(want_reason),
            "line {want_line}: {reason:?} should start with {want_reason:?}"
        );
        assert!(!reason.contains('\n'));
    }
    let summary: Value = serde_json::from_str(stdout_of(&output).trim()).unwrap();
    assert_eq!(summary["delivered"].as_u64(), Some(good.len() as u64));
    assert_eq!(summary["invalid"].as_u64(), Some(expected_bad.len() as u64));
    assert_eq!(summary["blank"].as_u64(), Some(2 * 3 * bad.len() as u64));
}

#[test]
fn a_file_of_only_garbage_exits_6_and_sends_nothing() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("garbage.bin");
    let mut rng = fastrand::Rng::with_seed(7);
    let bytes: Vec<u8> = (0..200_000).map(|_| rng.u8(..)).collect();
    std::fs::write(&input, bytes).unwrap();
    let out = env
        .cmd_for(&server)
        .args(["batch", "-q"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let stderr = stderr_of(&out);
    assert!(!stderr.contains("panicked"));
    assert!(
        stderr
            .lines()
            .all(|l| l.starts_with(&format!("cio: {}:", input.display()))),
        "{stderr}"
    );
    assert_eq!(server.request_count(), 0);
}
