//! The write key never appears in anything cio writes: stdout, stderr at every
//! verbosity, error messages, rejects and checkpoint files, the config listing.

use std::io::Write;

use crate::support::*;

fn all_output(out: &std::process::Output) -> String {
    format!("{}{}", stdout_of(out), stderr_of(out))
}

#[test]
fn single_calls_at_every_verbosity_and_outcome() {
    let env = CioEnv::new();
    let replies = [
        Reply::ok(),
        Reply::status(
            400,
            &format!(r#"{{"meta":{{"errors":["bad key {TEST_KEY}"]}}}}"#),
        ),
        Reply::status(401, TEST_KEY),
        Reply::status(403, ""),
        Reply::status(500, ""),
        Reply::drop_connection(),
    ];
    for reply in replies {
        for flags in [
            &[][..],
            &["-v"],
            &["-vv"],
            &["-q"],
            &["--json"],
            &["--json", "-vv"],
        ] {
            let server = TestServer::with_handler({
                let reply = reply.clone();
                move |_| reply.clone()
            });
            let out = env
                .cmd_for(&server)
                .args(flags)
                .args([
                    "track",
                    "e",
                    "--user-id",
                    "u",
                    "--retries",
                    "1",
                    "--timeout",
                    "2",
                ])
                .output()
                .unwrap();
            assert_no_key(&all_output(&out));
            assert!(!stderr_of(&out).contains("panicked"));
        }
    }
}

#[test]
fn the_key_as_a_flag_is_not_echoed_even_in_usage_errors() {
    let env = CioEnv::new();
    for args in [
        &["track", "--write-key", TEST_KEY, "--bogus"][..],
        &["--write-key", TEST_KEY, "track", "e", "--prop", "bad"],
        &[
            "--write-key",
            TEST_KEY,
            "--endpoint",
            "http://example.com/v1",
            "track",
            "e",
            "--user-id",
            "u",
        ],
        &[
            "--write-key",
            TEST_KEY,
            "--endpoint",
            "not a url",
            "track",
            "e",
            "--user-id",
            "u",
        ],
        &[
            "--write-key",
            TEST_KEY,
            "-vv",
            "track",
            "e",
            "--user-id",
            "u",
            "--dry-run",
        ],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_no_key(&all_output(&out));
    }
}

#[test]
fn batch_outputs_rejects_and_checkpoints_hold_no_key() {
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    let mut f = std::fs::File::create(&input).unwrap();
    for n in 0..300 {
        writeln!(
            f,
            r#"{{"type":"track","event":"e","userId":"u","messageId":"m-{n}"}}"#
        )
        .unwrap();
        writeln!(f, "not json").unwrap();
    }
    drop(f);
    let rejects = env.path().join("rejects.ndjson");
    let checkpoint = env.path().join("cp.json");
    let handlers: Vec<Box<dyn Fn() -> TestServer>> = vec![
        Box::new(TestServer::start),
        Box::new(|| TestServer::with_handler(|_| Reply::status(400, &format!("echo {TEST_KEY}")))),
        Box::new(|| TestServer::with_handler(|_| Reply::status(401, ""))),
        Box::new(|| TestServer::with_faults(FaultProfile::mixed(), 9)),
    ];
    for make in handlers {
        let server = make();
        let _ = std::fs::remove_file(&checkpoint);
        let out = env
            .cmd_for(&server)
            .args([
                "batch",
                "-vv",
                "--retries",
                "3",
                "--timeout",
                "1",
                "--max-batch-calls",
                "50",
                "--rejects",
            ])
            .arg(&rejects)
            .arg("--checkpoint")
            .arg(&checkpoint)
            .arg(&input)
            .output()
            .unwrap();
        assert_no_key(&all_output(&out));
        assert_no_key(&std::fs::read_to_string(&rejects).unwrap());
        assert_no_key(&std::fs::read_to_string(&checkpoint).unwrap_or_default());
    }
}

#[test]
fn config_listing_and_errors_hold_no_key() {
    let env = CioEnv::new();
    let out = env
        .cmd()
        .args(["config", "set", "write_key"])
        .write_stdin(TEST_KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    for args in [
        &["config", "list"][..],
        &["config", "list", "--json"],
        &["config", "get", "write_key"],
        &["-vv", "track", "e", "-n"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_no_key(&all_output(&out));
    }
    // A broken config file around the key: the error quotes the position, not the text.
    let file = env.config_dir().join("config.toml");
    std::fs::write(
        &file,
        format!("[profiles.default]\nwrite_key = \"{TEST_KEY}\"\nwrite_key = \"{TEST_KEY}\"\n"),
    )
    .unwrap();
    let out = env.cmd().args(["track", "e", "-n"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_no_key(&all_output(&out));
}

#[test]
fn a_rejected_line_carrying_the_key_leaves_it_out_of_the_rejects_file() {
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    std::fs::write(
        &input,
        format!(
            "{{\"type\":\"bogus\",\"writeKey\":\"{TEST_KEY}\",\"userId\":\"u\"}}\n\
             not json, key {TEST_KEY}\n\
             {{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\",\"writeKey\":\"{TEST_KEY}\"}}\n"
        ),
    )
    .unwrap();
    let rejects = env.path().join("rejects.ndjson");
    let server = TestServer::with_handler(|_| Reply::status(400, "bad call"));
    let out = env
        .cmd_for(&server)
        .args(["batch", "--rejects"])
        .arg(&rejects)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert_no_key(&text);
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["invalid", "invalid", "refused"]);
    // The field dropped, the rest of the line as it was; elsewhere the key redacted.
    assert_eq!(records[0]["original"], r#"{"type":"bogus","userId":"u"}"#);
    assert_eq!(records[1]["original"], "not json, key REDACTED");
    assert_eq!(records[2]["call"].get("writeKey"), None);
    assert_eq!(records[2]["call"]["event"], "e");
}

#[test]
fn a_short_key_is_redacted_as_a_word_but_not_inside_other_words() {
    let env = CioEnv::new();
    let server = TestServer::with_handler(|_| {
        Reply::status(
            400,
            r#"{"meta":{"errors":["checktest HTTPS_PROXY: the key test is not latest"]}}"#,
        )
    });
    let out = env
        .cmd_for(&server)
        .env("CIO_WRITE_KEY", "test")
        .args(["track", "e", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: the server at {} refused the call (400): checktest HTTPS_PROXY: the key REDACTED is not latest\n",
            server.url("/v1/track")
        )
    );
}
