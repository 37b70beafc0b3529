//! Every kind of call cio sends satisfies Customer.io's published OpenAPI schema
//! (see tests/contract/README.md for how the schema is read).

use std::io::Write;

use cio::schema::Schema;
use serde_json::{json, Value};

/// The published schema as cio reads it for `batch --dry-run` (src/schema.rs:
/// each `oneOf` read as `anyOf`).
fn schema() -> &'static Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| Schema::load().expect("the schema loads"))
}

/// What the schema refuses in `call`, which must name its type.
fn refusal(call: &Value) -> Option<String> {
    // `check` passes a call of no known type; here each must have one.
    let types = ["track", "identify", "page", "screen", "group", "alias"];
    assert!(types.iter().any(|t| call["type"] == *t), "type: {call}");
    schema().check(call)
}

fn assert_valid(call: &Value) {
    if let Some(refused) = refusal(call) {
        panic!(
            "{} call breaks the contract:\n{call:#}\n{refused}",
            call["type"]
        );
    }
}

fn dry_run(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("cio")
        .unwrap()
        .env_clear()
        .env("XDG_CONFIG_HOME", dir.path())
        .env("HOME", dir.path())
        .args(args)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_contract_itself_refuses_a_broken_call() {
    // Guards the test: if the schema were read as accepting anything, nothing above would mean much.
    let bad = json!({"type": "track", "userId": "u"});
    assert!(refusal(&bad).is_some(), "track without event must fail");
    let bad = json!({"type": "identify", "userId": 5});
    assert!(refusal(&bad).is_some());
    // What archives carry and cio strips: the schema has the server's own fields read-only.
    let archived = json!({"type": "track", "userId": "u", "event": "e", "version": "1.1"});
    assert!(refusal(&archived).is_some());
}

#[test]
fn single_calls_satisfy_the_contract() {
    let calls = [
        dry_run(&[
            "track",
            "Product Added",
            "--user-id",
            "u1",
            "--prop",
            "price=139.99",
            "--prop",
            "products[0].sku=a",
            "--context",
            "ip=1.2.3.4",
            "--integration",
            "All=false",
        ]),
        dry_run(&["track", "login", "--anonymous-id", "a1", "--user-id", "u1"]),
        dry_run(&["track", "login"]),
        dry_run(&[
            "identify",
            "--user-id",
            "u1",
            "--trait",
            "email=ada@example.com",
            "--trait",
            "age=36",
        ]),
        dry_run(&["identify", "--anonymous-id", "a1"]),
        dry_run(&[
            "page",
            "Docs",
            "--category",
            "Help",
            "--user-id",
            "u1",
            "--prop",
            "url=https://example.com/a?b=1",
        ]),
        dry_run(&[
            "screen",
            "Settings",
            "--anonymous-id",
            "a1",
            "--prop",
            "tab=x",
        ]),
        dry_run(&[
            "group",
            "--group-id",
            "acme",
            "--user-id",
            "u1",
            "--trait",
            "plan=pro",
        ]),
        dry_run(&["alias", "--previous-id", "a1", "--user-id", "u1"]),
        dry_run(&[
            "track",
            "--file",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/course-started.json"),
        ]),
    ];
    for call in &calls {
        assert_valid(call);
    }
}

#[test]
fn replayed_lines_satisfy_the_contract() {
    use cio::batch::prepare::{prepare, Defaults, LineId};
    let lines = [
        r#"{"type":"track","event":"Order Completed","userId":"u","properties":{"products":[{"sku":"a","price":1.5}]},"timestamp":"2026-01-01T00:00:00Z"}"#,
        r#"{"type":"identify","anonymousId":"a","userId":null,"traits":{"email":"x@y.z"},"integrations":null}"#,
        r#"{"type":"page","userId":"u","name":"Home","properties":{"url":"https://e.com/"},"originalTimestamp":"2026-01-01T00:00:00.5+01:00","sentAt":"2026-01-01T00:00:01Z"}"#,
        r#"{"type":"screen","anonymousId":"a","name":"S"}"#,
        r#"{"type":"group","userId":"u","groupId":"g","traits":{"n":1}}"#,
        r#"{"type":"alias","userId":"u","previousId":"p"}"#,
    ];
    for (i, line) in lines.iter().enumerate() {
        let json = prepare(
            line.as_bytes(),
            LineId {
                run: uuid::Uuid::nil(),
                source: 0,
                line: i as u64 + 1,
            },
            &Defaults::default(),
            "2026-11-28T15:01:30.212Z",
        )
        .unwrap();
        let mut call: Value = serde_json::from_str(&json).unwrap();
        // The batch body carries sentAt; as a single call it goes on the call.
        call["sentAt"] = json!("2026-11-28T15:01:30.300Z");
        assert_valid(&call);
    }
}

/// Every call delivered from the real-world corpus (tests/corpus/), replayed by
/// the binary in every shape it comes in, satisfies the schema as received.
#[test]
fn the_replayed_corpus_satisfies_the_contract() {
    let env = crate::support::CioEnv::new();
    let server = crate::support::TestServer::start();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let archive = std::fs::read(format!("{dir}/segment-archive.ndjson")).unwrap();
    let zstd_file = env.path().join("archive");
    std::fs::write(&zstd_file, zstd::encode_all(&archive[..], 3).unwrap()).unwrap();
    let gz_file = env.path().join("archive.json.GZ");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&archive).unwrap();
    std::fs::write(&gz_file, gz.finish().unwrap()).unwrap();
    let mut cmd = env.cmd_for(&server);
    cmd.args(["batch", "-q", "--allow-old-timestamps"]);
    for name in [
        "kotlin-anonymous.ndjson",
        "batch-document.json",
        "jq-stream.json",
        "epochs.ndjson",
        "duplicates.ndjson",
        "delete-only.ndjson",
    ] {
        cmd.arg(format!("{dir}/{name}"));
    }
    let out = cmd.arg(&zstd_file).arg(&gz_file).output().unwrap();
    // Two lines of the corpus are refused on purpose (no identity, no event).
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut checked = 0;
    for request in server.requests() {
        let sent_at = request.json()["sentAt"].clone();
        for mut call in request.calls() {
            call["sentAt"] = sent_at.clone();
            assert_valid(&call);
            checked += 1;
        }
    }
    // 3 kotlin + 2 document + 3 jq + 9 epochs + 5 duplicates + 2 x 5 archive.
    assert_eq!(checked, 32);
}
