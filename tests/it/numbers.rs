//! Numbers as written: the same call sent through every shape of input and
//! every path (flags, `--file`, NDJSON, a JSON array, a `{"batch": …}`
//! document, a pretty stream, `cio listen`'s display, recording and
//! forwarding) reaches the server with its number tokens byte for byte; and
//! a number beyond a float (`1e400`) is refused the same way on each.

use std::path::Path;

use crate::listen::{errors_of, post, Listener};
use crate::support::*;

/// (key, token as written): beyond 64 bits, a decimal beyond a double, an exponent.
const NUMBERS: [(&str, &str); 5] = [
    ("big", "123456789012345678901234567890"),
    ("neg", "-98765432109876543210987654321"),
    ("dec", "0.10000000000000000001"),
    ("exp", "1.5e+300"),
    (
        "list",
        "[123456789012345678901234567890,0.10000000000000000001]",
    ),
];

/// The call's `properties` as JSON text, as each input shape has it.
fn properties() -> String {
    let members: Vec<String> = NUMBERS
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    format!("{{{}}}", members.join(","))
}

fn call(message_id: &str) -> String {
    format!(
        r#"{{"type":"track","event":"n","userId":"u","messageId":"{message_id}","properties":{}}}"#,
        properties()
    )
}

/// The call spread over lines, as `jq .` writes it.
fn pretty(message_id: &str) -> String {
    let members: Vec<String> = NUMBERS
        .iter()
        .map(|(k, v)| format!("    \"{k}\": {v}"))
        .collect();
    format!(
        "{{\n  \"type\": \"track\",\n  \"event\": \"n\",\n  \"userId\": \"u\",\n  \"messageId\": \"{message_id}\",\n  \"properties\": {{\n{}\n  }}\n}}",
        members.join(",\n")
    )
}

/// The token after each of `NUMBERS`' keys in `text` (whitespace taken out
/// of a list), as the bytes there are.
fn tokens(text: &str) -> Vec<(&'static str, String)> {
    NUMBERS
        .iter()
        .map(|(key, _)| {
            let marker = format!("\"{key}\":");
            let at = text
                .find(&marker)
                .unwrap_or_else(|| panic!("no {marker} in {text}"));
            let rest = text[at + marker.len()..].trim_start();
            let token = if rest.starts_with('[') {
                let end = rest.find(']').unwrap();
                rest[..=end].split_whitespace().collect::<String>()
            } else {
                let end = rest
                    .find(|c: char| matches!(c, ',' | '}' | ']') || c.is_whitespace())
                    .unwrap_or(rest.len());
                rest[..end].to_string()
            };
            (*key, token)
        })
        .collect()
}

fn as_written() -> Vec<(&'static str, String)> {
    NUMBERS.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Every body `server` received, one after another.
fn bodies(server: &TestServer) -> String {
    let requests = server.requests();
    assert!(!requests.is_empty(), "nothing reached the server");
    requests
        .iter()
        .map(|r| r.body_text())
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(cmd: &mut std::process::Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `cio track` with the numbers as `--prop key:=token`.
fn track_with_flags(cmd: &mut std::process::Command, message_id: &str) {
    cmd.args(["track", "n", "--user-id", "u", "--message-id", message_id]);
    for (key, token) in NUMBERS {
        cmd.arg("--prop").arg(format!("{key}:={token}"));
    }
}

#[test]
fn every_shape_and_path_sends_numbers_as_written() {
    let env = CioEnv::new();
    let dir = env.path();
    let mut sent: Vec<(&str, String)> = Vec::new();

    let server = TestServer::start();
    let mut cmd = env.std_cmd_for(&server);
    track_with_flags(&mut cmd, "flags");
    run(&mut cmd);
    sent.push(("flags", bodies(&server)));

    let server = TestServer::start();
    let file = write(dir, "call.json", &pretty("file"));
    run(env
        .std_cmd_for(&server)
        .arg("track")
        .arg("--file")
        .arg(&file));
    sent.push(("--file", bodies(&server)));

    let shapes = [
        ("ndjson", format!("{}\n", call("ndjson"))),
        (
            "array",
            format!("[\n{},\n{}\n]\n", pretty("a1"), call("a2")),
        ),
        (
            "batch document",
            format!("{{\"batch\": [\n{}\n]}}\n", pretty("d1")),
        ),
        (
            "pretty stream",
            format!("{}\n{}\n", pretty("s1"), pretty("s2")),
        ),
    ];
    for (shape, text) in &shapes {
        let server = TestServer::start();
        let input = write(dir, "in.json", text);
        run(env
            .std_cmd_for(&server)
            .args(["batch", "--no-gzip"])
            .arg(&input));
        let body = bodies(&server);
        // Each call of the input, in the order sent.
        for (i, call) in body.split("\"type\":\"track\"").skip(1).enumerate() {
            assert_eq!(
                tokens(call),
                as_written(),
                "{shape}, call {}: {body}",
                i + 1
            );
        }
        sent.push((shape, body));
    }

    // cio listen shows (-v), records (-o) and forwards what it received.
    let upstream = TestServer::start();
    let recording = dir.join("rec.ndjson");
    let listener = Listener::start_with(
        &env,
        &[
            "--forward",
            "-v",
            "--exit-after",
            "1",
            "-o",
            recording.to_str().unwrap(),
        ],
        &[
            ("CIO_ENDPOINT", &upstream.endpoint()),
            ("CIO_WRITE_KEY", TEST_KEY),
        ],
    );
    let mut cmd = env.std_cmd();
    cmd.env("CIO_ENDPOINT", &listener.url)
        .env("CIO_WRITE_KEY", TEST_KEY);
    track_with_flags(&mut cmd, "listen");
    run(&mut cmd);
    let (status, shown, stderr) = listener.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    sent.push(("listen's display", shown));
    sent.push((
        "listen's recording",
        std::fs::read_to_string(&recording).unwrap(),
    ));
    sent.push(("listen's forwarding", bodies(&upstream)));

    for (path, text) in &sent {
        assert_eq!(tokens(text), as_written(), "{path}: {text}");
    }
}

/// What the NDJSON replay has always done with `1e400` (a float cannot hold
/// it), every path does: flags and `--file` refuse the call, a replay of any
/// shape refuses the one call and sends the others, `cio listen` answers 400.
#[test]
fn a_number_beyond_a_float_is_refused_on_every_path() {
    let env = CioEnv::new();
    let dir = env.path();
    let server = TestServer::start();

    let out = env
        .std_cmd_for(&server)
        .args(["track", "n", "--user-id", "u", "--prop", "x:=[1,1e400]"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        "cio: error: invalid value 'x:=[1,1e400]' for '--prop <ITEM>': item 'x:=[1,1e400]': \
         invalid JSON after ':=': number out of range at line 1 column 8\n  see 'cio track --help'\n"
    );

    let file = write(dir, "call.json", "{\"type\": \"track\", \"event\": \"n\",\n \"userId\": \"u\", \"properties\": {\"x\": 1E400}}");
    let out = env
        .std_cmd_for(&server)
        .args(["track", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: {}:2:41: invalid JSON: number out of range\n",
            file.display()
        )
    );
    assert_eq!(server.request_count(), 0);

    let bad =
        r#"{"type":"track","event":"n","userId":"u","messageId":"bad","properties":{"x":1e400}}"#;
    let good = call("good");
    for (shape, text) in [
        ("ndjson", format!("{bad}\n{good}\n")),
        ("array", format!("[\n{bad},\n{good}\n]\n")),
        (
            "batch document",
            format!("{{\"batch\": [\n{bad},\n{good}\n]}}\n"),
        ),
    ] {
        let server = TestServer::start();
        let input = write(dir, "in.json", &text);
        let rejects = dir.join("rejects.ndjson");
        let _ = std::fs::remove_file(&rejects);
        let out = env
            .std_cmd_for(&server)
            .args(["batch", "--no-gzip", "--rejects"])
            .arg(&rejects)
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(
            server.message_ids(),
            ["good"],
            "{shape}: {}",
            stderr_of(&out)
        );
        let record = std::fs::read_to_string(&rejects).unwrap();
        assert!(
            record.contains("invalid JSON: number out of range (1e"),
            "{shape}: {record}"
        );
    }

    let listener = Listener::start(&env, &[]);
    let single = r#"{"event":"n","userId":"u","properties":{"x":1e400}}"#;
    let (status, body) = post(&listener.addr(), "track", single, true);
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        errors_of(&body),
        ["invalid JSON at line 1 column 49: number out of range"]
    );
    let batch = format!("{{\"batch\":[{bad},{good}]}}");
    let (status, body) = post(&listener.addr(), "batch", &batch, true);
    assert_eq!(status, 400, "{body}");
    assert_eq!(errors_of(&body), ["batch[0]: number out of range"]);
}
