//! Exports of other tools replayed as they are (the corpus in tests/corpus/):
//! compressed archives whatever their name, SDK output, `{"batch": [...]}`
//! documents and `jq .` streams, asserted on what a real local server receives.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::support::*;
use serde_json::{json, Value};

/// The source system's write key in the corpus: it must never reach the server.
const FOREIGN_KEY: &str = "SRCwk0therSystemKey123";

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Every call the server took, by messageId.
fn received(server: &TestServer) -> HashMap<String, Value> {
    server
        .accepted_calls()
        .into_iter()
        .map(|c| (c["messageId"].as_str().unwrap().to_string(), c))
        .collect()
}

/// Runs `cio batch --json` on `args`, feeding `stdin` if given.
fn batch(env: &CioEnv, server: &TestServer, args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    let mut cmd = env.std_cmd_for(server);
    cmd.args(["batch", "--json"]).args(args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    child.wait_with_output().unwrap()
}

fn assert_nothing_foreign(server: &TestServer) {
    for r in server.requests() {
        let body = r.body_text();
        assert!(
            !body.contains(FOREIGN_KEY),
            "the source's write key reached the server: {body}"
        );
        for call in r.calls() {
            for field in ["writeKey", "receivedAt", "version", "projectId", "sentAt"] {
                assert!(call.get(field).is_none(), "{field} forwarded: {call}");
            }
        }
    }
}

#[test]
fn a_gzipped_segment_archive_in_two_members_piped_in_arrives_as_it_happened_without_the_source_fields(
) {
    let env = CioEnv::new();
    let server = TestServer::start();
    // Two gzip members, as `cat` of two archive parts gives.
    let text = std::fs::read_to_string(corpus("segment-archive.ndjson")).unwrap();
    let cut = text.match_indices('\n').nth(2).unwrap().0 + 1;
    let mut archive = gzip(&text.as_bytes()[..cut]);
    archive.extend(gzip(&text.as_bytes()[cut..]));
    let rejects = env.path().join("rejects.ndjson");
    let out = batch(
        &env,
        &server,
        &["-", "--rejects", rejects.to_str().unwrap()],
        Some(archive),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let s = summary(&out);
    assert_eq!(
        (&s["read"], &s["delivered"], &s["rejected"], &s["skipped"]),
        (&json!(6), &json!(5), &json!(0), &json!(1))
    );
    assert_eq!(
        s["stripped"],
        json!({"writeKey": 5, "receivedAt": 5, "version": 5, "projectId": 5})
    );
    assert_nothing_foreign(&server);

    let calls = received(&server);
    assert_eq!(calls.len(), 5);
    let track = &calls["ajs-next-0a1b2c3d4e5f60718293a4b5c6d7e8f9"];
    assert_eq!(track["type"], "track");
    assert_eq!(track["timestamp"], "2023-05-12T09:14:02.532Z");
    assert!(track.get("originalTimestamp").is_none());
    assert!(track.get("userId").is_none(), "null is absent: {track}");
    assert_eq!(track["anonymousId"], "3f0c2a9e-7b1d-4c55-9a0e-1d2f3a4b5c6d");
    assert_eq!(track["context"]["library"]["name"], "analytics.js");
    assert_eq!(track["properties"], json!({"plan": "team"}));
    // Fields cio has no reason to touch pass through.
    assert_eq!(track["_metadata"]["bundled"], json!(["Segment.io"]));
    // A replayed page keeps its properties exactly.
    let page = &calls["ajs-next-1b2c3d4e5f60718293a4b5c6d7e8f90a"];
    assert_eq!(page["properties"]["search"], "?plan=team");
    assert_eq!(page["properties"].as_object().unwrap().len(), 5);
    assert_eq!(
        calls["node-7d1e0c52-2b7e-4f0b-8d44-4a6c1f9e2b10"]["previousId"],
        "3f0c2a9e-7b1d-4c55-9a0e-1d2f3a4b5c6d"
    );
    assert_eq!(
        calls["node-9a3f6e1c-5d2b-4c8e-a1f0-3b7d9e2c4a61"]["timestamp"],
        "2023-05-12T09:16:00.187Z"
    );
    assert!(
        !calls.contains_key("api-del-5e7a1c90"),
        "a delete is not sent"
    );

    let records: Vec<Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["kind"], "skipped");
    assert_eq!(
        (&records[0]["source"], &records[0]["line"]),
        (&json!("<stdin>"), &json!(6))
    );
    assert!(records[0]["reason"].as_str().unwrap().contains("delete"));
}

#[test]
fn a_zstd_archive_without_an_extension_is_read_and_a_truncated_one_delivers_what_is_whole() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let plain = std::fs::read(corpus("segment-archive.ndjson")).unwrap();
    let packed = zstd::encode_all(&plain[..], 3).unwrap();
    let file = env.path().join("part-00000");
    std::fs::write(&file, &packed).unwrap();
    let out = batch(&env, &server, &[file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(summary(&out)["delivered"], 5);
    assert_eq!(received(&server).len(), 5);

    // Many lines, cut short mid-stream: every line whole before the cut arrives,
    // and the error names the input and where the stream ends.
    let server = TestServer::start();
    let lines: String = (0..4000)
        .map(|n| {
            format!(
                "{}\n",
                json!({"type": "track", "event": "e", "userId": format!("u{n}"), "messageId": format!("z-{n}"),
                       "timestamp": "2024-01-01T00:00:00Z", "properties": {"n": n, "pad": format!("{n:x}").repeat(n % 17)}})
            )
        })
        .collect();
    let packed = zstd::encode_all(lines.as_bytes(), 3).unwrap();
    let cut = packed.len() / 2;
    let file = env.path().join("cut");
    std::fs::write(&file, &packed[..cut]).unwrap();
    let out = batch(&env, &server, &[file.to_str().unwrap()], None);
    let stderr = stderr_of(&out);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    let expected = format!(
        "cio: error: {}: zstd stream truncated: the compressed input ends at byte {cut}",
        file.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    let got = received(&server);
    let delivered = summary(&out)["delivered"].as_u64().unwrap() as usize;
    assert!(delivered > 1000 && delivered < 4000, "{delivered}");
    assert_eq!(got.len(), delivered);
    // The first `delivered` lines, none missing: what decoded whole was sent.
    assert!((0..delivered).all(|n| got.contains_key(&format!("z-{n}"))));
}

#[test]
fn a_corrupt_gzip_stream_on_stdin_is_an_error_with_its_offset_after_the_lines_before_it() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let good: String = (0..50)
        .map(|n| format!("{}\n", json!({"type": "identify", "userId": format!("g{n}"), "messageId": format!("g-{n}")})))
        .collect();
    // A whole gzip member, then a second one whose deflate data is garbage.
    let mut bytes = gzip(good.as_bytes());
    let first = bytes.len();
    let mut second = gzip(b"{\"type\":\"identify\",\"userId\":\"late\"}\n");
    for b in &mut second[10..16] {
        *b = 0xff;
    }
    bytes.extend_from_slice(&second);
    let out = batch(&env, &server, &["-"], Some(bytes));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("cio: error: <stdin>: gzip stream corrupt at byte "),
        "{stderr}"
    );
    let at: usize = stderr
        .split("at byte ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(at > first && at <= first + second.len(), "{at} vs {first}");
    assert_eq!(
        received(&server).len(),
        50,
        "the whole first member is delivered"
    );
}

#[test]
fn analytics_kotlin_calls_before_login_keep_their_anonymous_id() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let out = batch(
        &env,
        &server,
        &[corpus("kotlin-anonymous.ndjson").to_str().unwrap()],
        None,
    );
    // The last line has only blank ids: refused, as a call with none is.
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    assert!(stderr_of(&out)
        .contains("kotlin-anonymous.ndjson:4: a track call needs 'userId' or 'anonymousId'"));
    let calls = received(&server);
    assert_eq!(calls.len(), 3);
    let screen = &calls["a0e6b3f2-7c41-4d89-b5e2-91f0c7d3a468"];
    assert!(screen.get("userId").is_none(), "{screen}");
    assert_eq!(
        screen["anonymousId"],
        "c1a4e8d2-51f3-4b07-9e6a-2d8b7f0c3e19"
    );
    assert_eq!(screen["context"]["device"]["model"], "Pixel 7");
    assert_eq!(screen["context"]["library"]["name"], "analytics-kotlin");
    assert!(calls["d7f2c9a1-3e58-4b60-8c14-5a9e0b7d2f83"]
        .get("userId")
        .is_none());
    assert_eq!(
        calls["e1b8a4d6-0c72-4f39-9d85-6f3a2c1e7b94"]["userId"],
        "sam-3101"
    );
}

#[test]
fn a_batch_document_gives_its_context_and_integrations_to_each_call_but_never_its_key() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let out = batch(
        &env,
        &server,
        &[corpus("batch-document.json").to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_nothing_foreign(&server);
    let calls = received(&server);
    assert_eq!(calls.len(), 2);
    let identify = &calls["go-0001"];
    assert_eq!(
        identify["context"],
        json!({"library": {"name": "analytics-go", "version": "3.3.0"}, "ip": "198.51.100.23", "locale": "fr-FR"})
    );
    assert_eq!(
        identify["integrations"],
        json!({"All": true, "Mixpanel": false})
    );
    // Key by key, the call's own values winning (its library whole, not mixed).
    let track = &calls["go-0002"];
    assert_eq!(
        track["context"],
        json!({"ip": "192.0.2.99", "library": {"name": "custom-worker"}, "locale": "fr-FR"})
    );
    assert_eq!(
        track["integrations"],
        json!({"Mixpanel": true, "All": true})
    );
    assert_eq!(track["timestamp"], "2024-06-01T12:00:01.000Z");
}

#[test]
fn a_jq_stream_is_split_into_calls_numbered_by_their_first_line() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let text = std::fs::read(corpus("jq-stream.json")).unwrap();
    let out = batch(&env, &server, &["-"], Some(text));
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    // The third call (lines 23-28) has no event.
    assert!(
        stderr_of(&out).contains("cio: <stdin>:23: 'event' is required for a track call"),
        "{}",
        stderr_of(&out)
    );
    let s = summary(&out);
    assert_eq!(
        (&s["read"], &s["delivered"], &s["invalid"]),
        (&json!(4), &json!(3), &json!(1))
    );
    let calls = received(&server);
    let page = &calls["jq-1"];
    assert_eq!(page["timestamp"], "2024-09-09T06:00:00.000Z");
    assert_eq!(
        page["properties"],
        json!({"url": "https://docs.example.com/guide/start?ref=nav", "title": "Getting started"}),
        "no path or search added on replay"
    );
    assert_eq!(
        calls["jq-2"]["properties"]["snippet"],
        "curl -d '{\"a\": [1, 2]}'"
    );
    assert_eq!(calls["jq-4"]["traits"], json!({"name": "Ari"}));
    // Sent as compact as NDJSON would be.
    for r in server.requests() {
        assert!(!r.body_text().contains("\n  "), "{}", r.body_text());
    }
}

#[test]
fn epoch_timestamps_in_either_unit_arrive_right_and_misreadable_ones_are_refused() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let rejects = env.path().join("rejects.ndjson");
    let file = corpus("epochs.ndjson");
    let out = batch(
        &env,
        &server,
        &[
            file.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let calls = received(&server);
    for (id, at) in [
        ("ep-1", "2023-05-12T09:14:02.000Z"),
        ("ep-2", "2023-05-12T09:14:02.118Z"),
        ("ep-3", "2023-05-12T09:14:02.000Z"),
        ("ep-4", "2023-05-12T09:14:02.118Z"),
        ("ep-5", "2023-05-12T09:14:02.118Z"),
    ] {
        assert_eq!(calls[id]["timestamp"], at, "{id}");
    }
    assert_eq!(calls.len(), 5);
    let reasons: Vec<(u64, String)> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            assert_eq!(r["field"], "timestamp");
            (
                r["line"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let flag = "if that is meant, pass --allow-old-timestamps";
    assert_eq!(
        reasons,
        vec![
            (6, format!("timestamp \"20230512\" reads as 1970-08-23; {flag}")),
            (7, format!("timestamp \"0\" reads as 1970-01-01; {flag}")),
            (8, format!("timestamp 0 reads as 1970-01-01; {flag}")),
            (9, format!("timestamp \"2100-01-01T00:00:00Z\" reads as 2100-01-01, more than a day ahead; {flag}")),
        ]
    );

    // The escape: every line goes, at the time it says.
    let server = TestServer::start();
    let out = batch(
        &env,
        &server,
        &[file.to_str().unwrap(), "--allow-old-timestamps"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let calls = received(&server);
    assert_eq!(calls["ep-6"]["timestamp"], "1970-08-23T03:35:12.000Z");
    assert_eq!(calls["ep-8"]["timestamp"], "1970-01-01T00:00:00.000Z");
    assert_eq!(calls["ep-9"]["timestamp"], "2100-01-01T00:00:00.000Z");
}

#[test]
fn duplicate_message_ids_in_a_run_are_counted_and_named() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let file = corpus("duplicates.ndjson");
    let out = batch(&env, &server, &[file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let name = file.display().to_string();
    let s = summary(&out);
    assert_eq!(s["delivered"], 5, "sent all the same: the server decides");
    assert_eq!(s["duplicate_message_ids"], 3);
    assert_eq!(
        s["duplicate_message_ids_at"],
        json!([
            format!("{name}:2"),
            format!("{name}:4"),
            format!("{name}:5")
        ])
    );
    assert!(stderr_of(&out).contains(&format!(
        "cio: warning: 3 calls repeat a messageId of an earlier call in this run, and the server keeps only one of each: {name}:2, {name}:4, {name}:5"
    )), "{}", stderr_of(&out));
    assert_eq!(server.message_ids().len(), 5);

    // The same id across two inputs of one run counts too; the human summary
    // says so. (A copy: the same file named twice is refused.)
    let server = TestServer::start();
    let copy = env.path().join("duplicates-copy.ndjson");
    std::fs::copy(&file, &copy).unwrap();
    let out = env
        .cmd_for(&server)
        .args(["batch"])
        .arg(&file)
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        stderr_of(&out).contains("cio: warning: 8 calls repeat a messageId"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_delete_alone_is_skipped_and_counted_without_failing_the_run() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let out = env
        .cmd_for(&server)
        .arg("batch")
        .arg(corpus("delete-only.ndjson"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("1 read, 0 delivered, 0 rejected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 skipped: delete calls (user deletion)"),
        "{stderr}"
    );
    assert_eq!(server.request_count(), 0);
    // An unknown type stays an invalid line.
    let file = env.path().join("odd.ndjson");
    std::fs::write(
        &file,
        "{\"type\":\"Delete\",\"userId\":\"u\"}\n{\"type\":\"identify\",\"userId\":\"u\"}\n",
    )
    .unwrap();
    let out = env
        .cmd_for(&server)
        .arg("batch")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("odd.ndjson:1: unknown type 'Delete'"));
}

#[test]
fn a_dry_run_names_the_line_whose_own_data_breaks_the_schema() {
    let env = CioEnv::new();
    let file = env.path().join("own-data.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"type":"track","event":"e","userId":"u","context":{"active":true}}"#,
            "\n",
            r#"{"type":"track","event":"e","userId":"u","context":{"active":{"since":"2024"}}}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = env
        .cmd()
        .args(["batch", "--dry-run", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(summary(&out)["schema_problems"], 1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!(
            "cio: {}:2: would not satisfy Customer.io's schema: 'context.active': {{\"since\":\"2024\"}} is not of type \"boolean\"",
            file.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(":1:"), "{stderr}");
}
