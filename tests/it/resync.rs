//! A broken call costs only itself: in a stream of pretty-printed calls, a
//! call left open (a missing `}`) is refused at its own line and every call
//! after it is still read, sent and counted, in bounded memory.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

/// Writes `count` pretty-printed (`jq .`-like) track calls to `path`, the one
/// at index `broken` without its closing `}`; each call's `properties` hold
/// `padding` bytes. Returns the good messageIds and the first line of the
/// broken call and of the call after it.
fn write_stream(
    path: &Path,
    count: usize,
    broken: usize,
    padding: usize,
) -> (HashSet<String>, u64, u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut good = HashSet::new();
    let (mut line, mut broken_at, mut next_at) = (1u64, 0, 0);
    let pad = "p".repeat(padding);
    for i in 0..count {
        let id = format!("resync-{i}");
        let call = json!({"type": "track", "event": "ok", "userId": "u", "messageId": id,
            "properties": {"nested": {"i": i}, "pad": pad}});
        let mut text = serde_json::to_string_pretty(&call).unwrap();
        if i == broken {
            broken_at = line;
            text.pop(); // the closing brace
        } else {
            good.insert(id);
        }
        if i == broken + 1 {
            next_at = line;
        }
        text.push('\n');
        line += text.matches('\n').count() as u64;
        out.write_all(text.as_bytes()).unwrap();
    }
    out.flush().unwrap();
    (good, broken_at, next_at)
}

fn rejects_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_call_left_open_in_a_pretty_printed_stream_costs_only_itself() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("export.json");
    let (good, broken_at, next_at) = write_stream(&input, 20_001, 3, 0);
    let rejects = env.path().join("rejects.ndjson");
    let out = env
        .std_cmd_for(&server)
        .args(["batch", "--json", "--rejects"])
        .arg(&rejects)
        .arg(&input)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    let delivered: HashSet<String> = server.message_ids().into_iter().collect();
    assert_eq!(delivered.len(), 20_000);
    assert_eq!(delivered, good, "every good call delivered, nothing else");
    let reason = format!(
        "unfinished call: line {next_at} column 1 starts the next call before this one is closed (a missing '}}' or ']'?)"
    );
    let records = rejects_of(&rejects);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["line"].as_u64(), Some(broken_at));
    assert_eq!(records[0]["reason"], reason.as_str());
    let s = summary(&out);
    assert_eq!(
        (&s["read"], &s["delivered"], &s["invalid"]),
        (&json!(20_001), &json!(20_000), &json!(1))
    );
}

#[test]
fn a_large_broken_stream_is_read_in_bounded_memory() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("big.json");
    // About 110 MB: 4,000 calls of 27 KB, the second left open.
    let (good, broken_at, _) = write_stream(&input, 4_000, 1, 27_000);
    assert!(std::fs::metadata(&input).unwrap().len() > 100 << 20);
    let mut cmd = env.std_cmd_for(&server);
    cmd.args(["batch", "--json"]).arg(&input);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let peak_kb = peak_rss_kb(&mut child);
    let out = child.wait_with_output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cio: {}:{broken_at}: unfinished call",
            input.display()
        )),
        "{stderr}"
    );
    assert!(peak_kb < 64 * 1024, "peak RSS {peak_kb} KB");
    assert!(started.elapsed() < Duration::from_secs(60));
    let delivered: HashSet<String> = server.message_ids().into_iter().collect();
    assert_eq!(delivered, good);
}

#[test]
fn lint_names_the_open_call_once_and_nothing_after_it() {
    let env = CioEnv::new();
    let input = env.path().join("export.json");
    let (_, broken_at, next_at) = write_stream(&input, 50, 10, 0);
    let out = env.std_cmd().arg("lint").arg(&input).output().unwrap();
    let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(
        text.contains(&format!(
            "export.json:{broken_at}: invalid: error: unfinished call: line {next_at} column 1 starts the next call"
        )),
        "{text}"
    );
    assert!(text.contains("50 calls checked: 1 error"), "{text}");
}

/// A call too long to hold in a rejects record, in `text`: the record keeps
/// where it is (`lines`, `bytes`), so it can be cut out of the input whole.
fn assert_cut_out(text: &[u8], name: &str, record: &Value, big: &[u8], first: u64, last: u64) {
    assert_eq!(record["lines"], json!([first, last]), "{name}");
    let [start, end] = [0, 1].map(|i| record["bytes"][i].as_u64().unwrap() as usize);
    assert!(text[start..end] == *big, "{name}: bytes {start}..{end}");
    let held = record["original"].as_str().unwrap().len();
    assert_eq!(
        record["original_cut"],
        format!(
            "too long to hold here: 'original' is its first {held} bytes; the whole of it is bytes {start}..{end} of {name} (lines {first}-{last})"
        )
    );
}

#[test]
fn a_call_too_long_to_hold_is_kept_as_where_it_is_in_the_input() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let long = "z".repeat(2 << 20);
    let one_line = serde_json::to_string(&json!({"type": "track", "event": "ok", "userId": "u",
        "properties": {"long": long}}))
    .unwrap();
    let pretty =
        serde_json::to_string_pretty(&json!({"type": "track", "event": "ok", "userId": "u",
        "properties": {"long": long}}))
        .unwrap();
    let good = |id: &str| {
        serde_json::to_string_pretty(
            &json!({"type": "track", "event": "ok", "userId": "u", "messageId": id}),
        )
        .unwrap()
    };
    // NDJSON with CRLF line ends, and a `jq .` stream after a BOM.
    let ndjson = format!(
        "{}\r\n{one_line}\r\n{}\r\n",
        good("n1").replace('\n', ""),
        good("n2").replace('\n', "")
    );
    let stream = format!("\u{feff}{}\n{pretty}\n{}\n", good("s1"), good("s2"));
    let pretty_lines = pretty.matches('\n').count() as u64;
    for (name, text, big, first, last) in [
        ("in.ndjson", ndjson, &one_line, 2, 2),
        ("in.json", stream, &pretty, 7, 7 + pretty_lines),
    ] {
        let input = env.path().join(name);
        std::fs::write(&input, &text).unwrap();
        let rejects = env.path().join(format!("{name}.rejects"));
        let out = env
            .std_cmd_for(&server)
            .args(["batch", "--json", "--rejects"])
            .arg(&rejects)
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
        let records = rejects_of(&rejects);
        assert_eq!(records.len(), 1, "{records:?}");
        let source = input.display().to_string();
        assert_eq!(records[0]["source"], source.as_str());
        assert_cut_out(
            text.as_bytes(),
            &source,
            &records[0],
            big.as_bytes(),
            first,
            last,
        );
    }
    let mut ids = server.message_ids();
    ids.sort();
    assert_eq!(ids, ["n1", "n2", "s1", "s2"]);
}

#[test]
fn an_error_inside_a_pretty_printed_call_is_placed_in_the_file_by_batch_and_lint() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("export.json");
    let mut text = String::new();
    for i in 0..4 {
        let call = json!({"type": "track", "event": "E", "userId": "u", "messageId": format!("c{i}"),
            "properties": {"a": {"b": i}}});
        let mut pretty = serde_json::to_string_pretty(&call).unwrap();
        if i == 1 {
            // Line 12 opens it; line 16, `  "messageId": "c1"`, lost its comma.
            pretty = pretty.replace("\"c1\",", "\"c1\"");
        }
        text.push_str(&pretty);
        text.push('\n');
    }
    assert!(text.lines().nth(15).unwrap().ends_with("\"c1\""), "{text}");
    std::fs::write(&input, &text).unwrap();
    let reason = "invalid JSON at line 17 column 3: expected `,` or `}`";
    let name = input.display();
    let out = env
        .std_cmd_for(&server)
        .args(["batch", "--json"])
        .arg(&input)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!("cio: {name}:12: {reason}\n")),
        "{stderr}"
    );
    let mut ids = server.message_ids();
    ids.sort();
    assert_eq!(ids, ["c0", "c2", "c3"]);
    let out = env.std_cmd().arg("lint").arg(&input).output().unwrap();
    assert_eq!(
        stdout_of(&out),
        format!("{name}:12: invalid: error: {reason}\n")
    );
    assert_eq!(
        stderr_of(&out),
        "4 calls checked: 1 error, 0 warnings in 1 call (invalid 1)\n"
    );
}

/// `count` track calls as a pretty-printed JSON array (`jq -s .` writes
/// them so), the one at index `broken` without its closing `}`, optionally
/// inside a `{"batch": [...]}` document with a shared context. Returns the
/// text, the good messageIds, and the broken call's line and the next one's.
fn document(count: usize, broken: usize, batch: bool) -> (String, HashSet<String>, usize, usize) {
    let calls: Vec<String> = (0..count)
        .map(|i| {
            let call = json!({"type": "track", "event": "ok", "userId": format!("u{i}"),
                "messageId": format!("doc-{i}"), "properties": {"i": i}});
            let mut text = serde_json::to_string_pretty(&call).unwrap();
            if i == broken {
                text.pop();
            }
            // Indented two spaces as the array's items.
            text.lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let body = calls.join(",\n");
    let text = match batch {
        true => format!("{{\"context\": {{\"ip\": \"10.0.0.1\"}}, \"batch\": [\n{body}\n]}}\n"),
        false => format!("[\n{body}\n]\n"),
    };
    let line_of = |i: usize| {
        let at = text.find(&format!("\"doc-{i}\"")).unwrap();
        // The call's `{` is a few lines above its messageId.
        let lines: Vec<&str> = text[..at].lines().collect();
        lines.iter().rposition(|l| l.trim_start() == "{").unwrap() + 1
    };
    let good = (0..count)
        .filter(|&i| i != broken)
        .map(|i| format!("doc-{i}"))
        .collect();
    let (broken_at, next_at) = (line_of(broken), line_of(broken + 1));
    (text, good, broken_at, next_at)
}

#[test]
fn a_call_left_open_in_an_array_or_a_batch_document_costs_only_itself() {
    for batch in [false, true] {
        let env = CioEnv::new();
        let server = TestServer::start();
        let input = env.path().join("export.json");
        let (text, good, broken_at, next_at) = document(5_000, 7, batch);
        std::fs::write(&input, text).unwrap();
        let rejects = env.path().join("rejects.ndjson");
        let (_, s) = batch_json(
            env.cmd_for(&server)
                .args(["batch", "--json", "--rejects"])
                .arg(&rejects)
                .arg(&input),
            6,
        );
        assert_counts(&s, &[("read", 5_000), ("delivered", 4_999), ("invalid", 1)]);
        let ids: HashSet<String> = server.message_ids().into_iter().collect();
        assert_eq!(ids, good, "every good call, once");
        let records = rejects_of(&rejects);
        assert_eq!(records.len(), 1);
        assert_eq!(
            records[0]["line"], 8,
            "numbered as the document's eighth item"
        );
        assert_eq!(
            records[0]["reason"],
            format!("unfinished call at line {broken_at}: line {next_at} starts the next call before this one is closed (a missing '}}' or ']'?)")
        );
        if batch {
            // What the document says of all its calls still reaches each.
            let request = &server.requests()[0];
            assert!(request
                .calls()
                .iter()
                .all(|c| c["context"]["ip"] == "10.0.0.1"));
        }
    }
}

#[test]
fn a_syntax_error_in_a_document_rejects_its_call_at_the_files_line_and_column() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("export.json");
    std::fs::write(
        &input,
        "[\n  {\"type\": \"track\", \"event\": \"a\", \"userId\": \"u\"},\n  {\"type\": \"track\" \"event\": \"b\", \"userId\": \"u\"},\n  {\"type\": \"track\", \"event\": \"c\", \"userId\": \"u\"}\n]\n",
    )
    .unwrap();
    let out = env
        .cmd_for(&server)
        .args(["batch", "-q"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: {}:2: invalid JSON at line 3 column 20: expected `,` or `}}`\n",
            input.display()
        )
    );
    let events: Vec<Value> = (server.requests().iter())
        .flat_map(|r| r.calls())
        .map(|c| c["event"].clone())
        .collect();
    assert_eq!(events, [json!("a"), json!("c")]);
}
