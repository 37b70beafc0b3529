//! Single calls (track, identify, page, screen, group, alias): the real binary
//! against a real HTTP server on 127.0.0.1, asserting on the decoded request,
//! stdout, the whole stderr and the exit code.

use crate::support::*;
use serde_json::{json, Value};

fn run(env: &CioEnv, server: &TestServer, args: &[&str]) -> std::process::Output {
    env.cmd_for(server).args(args).output().unwrap()
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Writes the private config file that `env` uses by default.
fn write_config(env: &CioEnv, text: &str) {
    std::fs::create_dir_all(env.config_dir()).unwrap();
    let path = env.config_dir().join("config.toml");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn only_call(server: &TestServer) -> Value {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests[0].json().clone()
}

fn assert_envelope(call: &Value, call_type: &str) {
    assert_eq!(call["type"], call_type);
    let id = call["messageId"].as_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "messageId {id} is a UUID"
    );
    for field in ["timestamp", "sentAt"] {
        let t = call[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} missing"));
        assert_eq!(t.len(), 24, "{field} = {t}: RFC 3339 UTC with milliseconds");
        assert!(
            t.ends_with('Z') && t.as_bytes()[19] == b'.',
            "{field} = {t}"
        );
    }
    assert_eq!(
        call["context"]["library"],
        json!({"name": "cio", "version": env!("CARGO_PKG_VERSION")})
    );
}

#[test]
fn track_sends_a_complete_typed_call_and_prints_its_message_id() {
    let server = TestServer::start();
    let env = CioEnv::new();
    let out = run(
        &env,
        &server,
        &[
            "track",
            "Product Added",
            "--user-id",
            "u1",
            "--prop",
            "price=139.99",
            "--prop",
            "quantity=1",
            "--prop",
            "finished=false",
            "--prop",
            "zip=02134",
            "--prop",
            "variant=1e",
            "--prop",
            "name=Cool Shoes",
            "--prop",
            "order_id:=\"123\"",
            "--prop",
            "product.sku=abc-123",
            "--prop",
            "modules[0].moduleId=cdp101-1",
            "--prop",
            "modules[1].moduleId=cdp101-2",
            "--context",
            "ip=1.2.3.4",
            "--integration",
            "All=false",
        ],
    );
    assert_eq!(stderr_of(&out), "");
    assert_eq!(out.status.code(), Some(0));
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/track");
    assert_eq!(request.basic_auth_user().as_deref(), Some(TEST_KEY));
    assert_eq!(
        request.header("authorization").unwrap(),
        format!("Basic {}", base64_of(&format!("{TEST_KEY}:")))
    );
    assert_eq!(request.header("x-strict-mode"), Some("1"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(request.header("user-agent").unwrap().starts_with("cio/"));
    let call = request.json();
    assert_envelope(call, "track");
    assert_eq!(call["event"], "Product Added");
    assert_eq!(call["userId"], "u1");
    assert_eq!(
        call["properties"],
        json!({
            "price": 139.99, "quantity": 1, "finished": false, "zip": "02134", "variant": "1e",
            "name": "Cool Shoes", "order_id": "123", "product": {"sku": "abc-123"},
            "modules": [{"moduleId": "cdp101-1"}, {"moduleId": "cdp101-2"}]
        })
    );
    assert_eq!(call["context"]["ip"], "1.2.3.4");
    assert_eq!(call["integrations"], json!({"All": false}));
    assert_eq!(
        stdout_of(&out),
        format!("{}\n", call["messageId"].as_str().unwrap())
    );
}

#[test]
fn each_call_type_goes_to_its_path_with_its_payload() {
    let server = TestServer::start();
    let env = CioEnv::new();
    let cases: Vec<(Vec<&str>, &str, Value)> = vec![
        (
            vec![
                "identify",
                "--user-id",
                "u1",
                "--trait",
                "email=ada@example.com",
                "--trait",
                "address.city=Paris",
            ],
            "identify",
            json!({"userId": "u1", "traits": {"email": "ada@example.com", "address": {"city": "Paris"}}}),
        ),
        (
            vec![
                "page",
                "Docs",
                "--category",
                "Help",
                "--anonymous-id",
                "a1",
                "--prop",
                "url=https://example.com/docs/a?q=1#x",
                "--prop",
                "title=Docs",
            ],
            "page",
            json!({"anonymousId": "a1", "name": "Docs", "category": "Help",
                        "properties": {"url": "https://example.com/docs/a?q=1#x", "title": "Docs", "path": "/docs/a", "search": "?q=1"}}),
        ),
        (
            vec![
                "screen",
                "Settings",
                "--user-id",
                "u1",
                "--prop",
                "tab=privacy",
            ],
            "screen",
            json!({"userId": "u1", "name": "Settings", "properties": {"tab": "privacy"}}),
        ),
        (
            vec![
                "group",
                "--group-id",
                "acme",
                "--user-id",
                "u1",
                "--trait",
                "plan=enterprise",
                "--trait",
                "seats=25",
            ],
            "group",
            json!({"userId": "u1", "groupId": "acme", "traits": {"plan": "enterprise", "seats": 25}}),
        ),
        (
            vec!["alias", "--previous-id", "anon-1", "--user-id", "u1"],
            "alias",
            json!({"userId": "u1", "previousId": "anon-1"}),
        ),
    ];
    for (i, (args, call_type, expected)) in cases.iter().enumerate() {
        let out = run(&env, &server, args);
        assert_eq!(stderr_of(&out), "", "{args:?}");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let request = &server.requests()[i];
        assert_eq!(request.path, format!("/v1/{call_type}"));
        let call = request.json();
        assert_envelope(call, call_type);
        for (key, value) in expected.as_object().unwrap() {
            assert_eq!(&call[key], value, "{call_type}.{key}");
        }
    }
}

#[test]
fn file_is_merged_under_flags_and_unknown_fields_pass_through() {
    let server = TestServer::start();
    let env = CioEnv::new();
    let file = env.path().join("call.json");
    std::fs::write(
        &file,
        r#"{"event": "From File", "userId": "file-user", "properties": {"a": 1, "keep": true},
            "context": {"locale": "fr-FR"}, "customField": {"x": [1, 2]}, "messageId": "file-id-1"}"#,
    )
    .unwrap();
    let out = run(
        &env,
        &server,
        &[
            "track",
            "--file",
            file.to_str().unwrap(),
            "--prop",
            "a=2",
            "--user-id",
            "flag-user",
        ],
    );
    assert_eq!(stderr_of(&out), "");
    assert_eq!(out.status.code(), Some(0));
    let call = only_call(&server);
    assert_eq!(call["event"], "From File");
    assert_eq!(call["userId"], "flag-user");
    assert_eq!(call["properties"], json!({"a": 2, "keep": true}));
    assert_eq!(call["context"]["locale"], "fr-FR");
    assert_eq!(call["context"]["library"]["name"], "cio");
    assert_eq!(call["customField"], json!({"x": [1, 2]}));
    assert_eq!(call["messageId"], "file-id-1");
    assert_eq!(stdout_of(&out), "file-id-1\n");
}

#[test]
fn file_from_stdin() {
    let server = TestServer::start();
    let env = CioEnv::new();
    let out = env
        .cmd_for(&server)
        .args(["identify", "--file", "-"])
        .write_stdin(r#"{"userId": "u9", "traits": {"plan": "pro"}}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let call = only_call(&server);
    assert_eq!(call["userId"], "u9");
    assert_eq!(call["traits"]["plan"], "pro");
}

#[test]
fn the_seed_documents_own_example_is_reported_with_line_and_column() {
    let server = TestServer::start();
    let env = CioEnv::new();
    let seed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed-course-started.json"
    );
    let out = run(&env, &server, &["track", "--file", seed]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: {seed}:18:13: invalid JSON: expected `,` or `}}`\n")
    );
    assert_eq!(server.request_count(), 0);

    // The repaired example goes through, keeping its own messageId and timestamp.
    let fixed = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/course-started.json");
    let out = run(&env, &server, &["track", "--file", fixed]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let call = only_call(&server);
    assert_eq!(call["messageId"], "ajs-f8ca1e4de5024d9430b3928bd8ac6b96");
    assert_eq!(call["timestamp"], "2015-12-12T19:11:01.249Z");
    assert!(call.get("originalTimestamp").is_none());
    assert!(
        call.get("integrations").is_none(),
        "null integrations are dropped"
    );
    assert_eq!(call["properties"]["modules"][1]["started"], true);
}

#[test]
fn bad_input_is_one_line_exit_2_and_nothing_is_sent() {
    let server = TestServer::start();
    let env = CioEnv::new();
    let file = env.path().join("array.json");
    std::fs::write(&file, "[1, 2]").unwrap();
    let array = file.to_str().unwrap().to_string();
    let dup_file = env.path().join("dup.json");
    std::fs::write(&dup_file, "{\"event\": \"a\",\n \"event\": \"b\"}").unwrap();
    let dup = dup_file.to_str().unwrap().to_string();
    let long_id = "x".repeat(101);
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["track", "--user-id", "u"], "cio: error: cannot send this track call: 'event' is required for a track call\n".into()),
        (vec!["group", "--user-id", "u"], "cio: error: cannot send this group call: 'groupId' is required for a group call\n".into()),
        (vec!["alias", "--user-id", "u"], "cio: error: cannot send this alias call: 'previousId' is required for an alias call\n".into()),
        (vec!["alias", "--previous-id", "p"], "cio: error: cannot send this alias call: 'userId' is required for an alias call\n".into()),
        (vec!["track", "e", "--user-id", "u", "--timestamp", "yesterday"],
         "cio: error: --timestamp: timestamp \"yesterday\" is neither RFC 3339 (2026-11-28T15:01:30Z) nor a Unix time\n".into()),
        (vec!["track", "e", "--user-id", "u", "--timestamp", "20230512"],
         "cio: error: --timestamp: timestamp \"20230512\" reads as 1970-08-23; if that is meant, pass --allow-old-timestamps\n".into()),
        (vec!["track", "e", "--user-id", "u", "--integration", "Amplitude=yes"],
         "cio: error: --integration 'Amplitude=yes': expected NAME=true or NAME=false\n".into()),
        (vec!["track", "--file", &array], format!("cio: error: {array}: expected a JSON object (one call), found an array\n")),
        (vec!["track", "--file", &dup, "--user-id", "u"], format!("cio: error: {dup}:2:8: duplicate key 'event'\n")),
        (vec!["track", "--file", "/nonexistent/call.json"], "cio: error: /nonexistent/call.json: no such file or directory\n".into()),
        (vec!["track", "e", "--user-id", "u", "--message-id", &long_id],
         "cio: error: cannot send this track call: 'messageId' is longer than 100 characters\n".into()),
    ];
    for (args, expected) in cases {
        let out = run(&env, &server, &args);
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&expected),
            "{args:?}:\n got: {stderr}\nwant: {expected}"
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert_eq!(stdout_of(&out), "");
    }
    assert_eq!(
        server.request_count(),
        0,
        "no invalid call leaves the machine"
    );
}

#[test]
fn oversize_calls_are_refused_with_their_size_in_bytes() {
    let server = TestServer::start();
    let env = CioEnv::new();
    // 11,000 three-byte characters: 33,000 bytes but 11,000 characters.
    let big = format!("text={}", "€".repeat(11_000));
    let out = run(
        &env,
        &server,
        &["track", "e", "--user-id", "u", "--prop", &big],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with("cio: error: cannot send this track call: the call is 33"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("bytes, over the API's limit of 32768 bytes (32 KB)\n"),
        "{stderr}"
    );
    assert_eq!(server.request_count(), 0);
}

#[test]
fn dry_run_needs_no_key_and_no_network() {
    let env = CioEnv::new();
    let out = env
        .cmd()
        .args(["track", "login", "--prop", "platform=chrome", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(stderr_of(&out), "");
    assert_eq!(out.status.code(), Some(0));
    let stdout = stdout_of(&out);
    assert_eq!(
        stdout.lines().count(),
        1,
        "one line when stdout is not a terminal"
    );
    let call: Value = serde_json::from_str(&stdout).unwrap();
    assert_envelope(&call, "track");
    assert_eq!(call["properties"]["platform"], "chrome");
    // No identity given anywhere: the machine's generated anonymous id, the same next time.
    let anon = call["anonymousId"].as_str().unwrap().to_string();
    let again: Value = serde_json::from_str(&stdout_of(
        &env.cmd().args(["track", "x", "-n"]).output().unwrap(),
    ))
    .unwrap();
    assert_eq!(again["anonymousId"], anon.as_str());
    assert_eq!(
        std::fs::read_to_string(env.config_dir().join("anonymous_id")).unwrap(),
        anon
    );
}

#[test]
fn identity_falls_back_to_environment_then_profile() {
    let server = TestServer::start();
    let env = CioEnv::new();
    write_config(&env, "[profiles.default]\nuser_id = \"profile-user\"\n");
    run(&env, &server, &["track", "a"]);
    let out = env
        .cmd_for(&server)
        .env("CIO_USER_ID", "env-user")
        .args(["track", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    run(
        &env,
        &server,
        &["track", "c", "--anonymous-id", "flag-anon"],
    );
    let calls: Vec<Value> = server.requests().iter().map(|r| r.json().clone()).collect();
    assert_eq!(calls[0]["userId"], "profile-user");
    assert_eq!(calls[1]["userId"], "env-user");
    assert_eq!(calls[2]["anonymousId"], "flag-anon");
    assert!(
        calls[2].get("userId").is_none(),
        "a flag identity replaces the defaults"
    );
}

#[test]
fn settings_precedence_flag_over_env_over_profile() {
    let profile_server = TestServer::start();
    let env_server = TestServer::start();
    let flag_server = TestServer::start();
    let env = CioEnv::new();
    write_config(&env, &format!(
        "default_profile = \"main\"\n[profiles.main]\nwrite_key = \"profile-key\"\nendpoint = \"{}\"\n[profiles.other]\nwrite_key = \"other-key\"\nendpoint = \"{}\"\n",
        profile_server.endpoint(),
        flag_server.endpoint()
    ));
    // Profile only.
    let out = env
        .cmd()
        .args(["track", "a", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        profile_server.requests()[0].basic_auth_user().as_deref(),
        Some("profile-key")
    );
    // Environment over profile.
    let out = env
        .cmd()
        .env("CIO_ENDPOINT", env_server.endpoint())
        .env("CIO_WRITE_KEY", "env-key")
        .args(["track", "a", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        env_server.requests()[0].basic_auth_user().as_deref(),
        Some("env-key")
    );
    // Flags over environment.
    let out = env
        .cmd()
        .env("CIO_ENDPOINT", env_server.endpoint())
        .env("CIO_WRITE_KEY", "env-key")
        .args([
            "--endpoint",
            &flag_server.endpoint(),
            "track",
            "a",
            "--user-id",
            "u",
            "--write-key",
            "flag-key",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        flag_server.requests()[0].basic_auth_user().as_deref(),
        Some("flag-key")
    );
    // --profile selects another profile; CIO_PROFILE too.
    let out = env
        .cmd()
        .args(["track", "a", "--user-id", "u", "--profile", "other"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = env
        .cmd()
        .env("CIO_PROFILE", "other")
        .args(["track", "a", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let users: Vec<_> = flag_server
        .requests()
        .iter()
        .map(|r| r.basic_auth_user().unwrap())
        .collect();
    assert_eq!(users, ["flag-key", "other-key", "other-key"]);
    assert_eq!(profile_server.request_count(), 1);
    assert_eq!(env_server.request_count(), 1);
}

#[test]
fn server_answers_map_to_exit_codes_with_the_servers_message() {
    let env = CioEnv::new();
    let cases: Vec<(Reply, i32, &str)> = vec![
        (
            Reply::status(
                400,
                r#"{"meta":{"errors":["userId is \u001b[31minvalid"]}}"#,
            ),
            2,
            "cio: error: the server at URL refused the call (400): userId is [31minvalid\n",
        ),
        (
            Reply::status(
                401,
                r#"{"message":"bad key wk_test_9f8e7d6c5b4a3210SECRET"}"#,
            ),
            3,
            "cio: error: the write key from CIO_WRITE_KEY was refused (401) by URL: bad key REDACTED; check that it is the write key of a Data Pipelines source in the endpoint's region (us or eu)\n",
        ),
        (
            Reply::status(403, "nope"),
            4,
            "cio: error: the write key from CIO_WRITE_KEY may not send to URL (403 forbidden): nope; check that the source is enabled and that this is its write key\n",
        ),
        (
            Reply::status(404, ""),
            2,
            "cio: error: the server at URL refused the call (404): Not Found; check the endpoint (from CIO_ENDPOINT)\n",
        ),
        (
            Reply::status(501, "no"),
            5,
            "cio: error: not delivered to URL after 1 attempt: the server answered 501: no\n",
        ),
    ];
    for (reply, code, expected) in cases {
        let server = TestServer::with_replies(vec![reply]);
        let out = run(&env, &server, &["track", "e", "--user-id", "u"]);
        let expected = expected.replace("URL", &format!("{}/track", server.endpoint()));
        assert_eq!(stderr_of(&out), expected);
        assert_eq!(out.status.code(), Some(code));
        assert_eq!(stdout_of(&out), "");
        assert_eq!(server.request_count(), 1, "{expected}: not retried");
    }
}

#[test]
fn retryable_answers_are_retried_with_the_same_message_id() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![
        Reply::status(500, "oops"),
        Reply::status(503, ""),
        Reply::drop_connection(),
    ]);
    let out = run(&env, &server, &["track", "e", "--user-id", "u", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let ids: Vec<_> = requests
        .iter()
        .map(|r| r.json()["messageId"].clone())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    assert_eq!(stdout_of(&out).trim(), ids[0].as_str().unwrap());
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("retrying in").count(), 3, "{stderr}");
    assert_no_key(&stderr);
}

#[test]
fn retry_after_is_honoured_on_429() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![Reply::status_with_headers(
        429,
        &[("Retry-After", "1")],
        "slow down",
    )]);
    let started = std::time::Instant::now();
    let out = run(&env, &server, &["track", "e", "--user-id", "u"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(server.request_count(), 2);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(950),
        "waited for Retry-After"
    );
}

#[test]
fn retries_that_run_out_exit_5() {
    let env = CioEnv::new();
    let server = TestServer::with_handler(|_| Reply::drop_connection());
    let out = run(
        &env,
        &server,
        &["track", "e", "--user-id", "u", "--retries", "2"],
    );
    assert_eq!(out.status.code(), Some(5));
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with(&format!(
            "cio: error: not delivered to {}/track after 3 attempts: connection failed",
            server.endpoint()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
    assert_eq!(server.request_count(), 3);

    // Nothing listening at all.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .env("CIO_ENDPOINT", format!("http://127.0.0.1:{port}/v1"))
        .args(["track", "e", "--user-id", "u", "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr_of(&out).starts_with(&format!(
            "cio: error: not delivered to http://127.0.0.1:{port}/v1/track after 1 attempt: cannot connect to 127.0.0.1:{port}"
        )),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_slow_server_times_out_and_is_retried() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![Reply::delay(
        std::time::Duration::from_secs(3),
        Reply::ok(),
    )]);
    let out = run(
        &env,
        &server,
        &["track", "e", "--user-id", "u", "--timeout", "0.5"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(server.request_count(), 2);
}

#[test]
fn missing_key_exits_3_and_plain_http_elsewhere_is_refused() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let out = env
        .cmd()
        .env("CIO_ENDPOINT", server.endpoint())
        .args(["track", "e", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr_of(&out),
        "cio: error: no write key: run `cio config init` (asks for it), or set CIO_WRITE_KEY\n"
    );
    // A first run with no key leaves nothing behind (not even the anonymousId
    // a call without --user-id would have used).
    let out = env
        .cmd()
        .env("CIO_ENDPOINT", server.endpoint())
        .args(["track", "e"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!env.config_dir().exists(), "written before failing");

    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .args([
            "--endpoint",
            "http://example.com/v1",
            "track",
            "e",
            "--user-id",
            "u",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("refusing plain http to a non-loopback host")
            && stderr.contains("--allow-insecure-http"),
        "{stderr}"
    );
    assert_no_key(&stderr);
    assert_eq!(server.request_count(), 0);
}

#[test]
fn redirects_are_not_followed() {
    let env = CioEnv::new();
    let other = TestServer::start();
    let location = format!("{}/track", other.endpoint());
    let server = TestServer::with_replies(vec![Reply::status_with_headers(
        307,
        &[("Location", location.as_str())],
        "",
    )]);
    let out = run(&env, &server, &["track", "e", "--user-id", "u"]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(other.request_count(), 0, "the key never follows a redirect");
}

#[test]
fn json_output_for_scripts() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![Reply::status(500, ""), Reply::ok()]);
    let out = run(
        &env,
        &server,
        &[
            "--json",
            "track",
            "e",
            "--user-id",
            "u",
            "--message-id",
            "m-1",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let result: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(
        result,
        json!({"ok": true, "type": "track", "messageId": "m-1", "status": 200, "attempts": 2})
    );

    let server = TestServer::with_replies(vec![Reply::status(403, "")]);
    let out = run(&env, &server, &["track", "e", "--user-id", "u", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let result: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(result["ok"], false);
    assert_eq!(result["exit_code"], 4);
}

#[test]
fn verbose_shows_requests_but_never_the_key() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![Reply::status(429, "")]);
    let out = env
        .cmd_for(&server)
        .args([
            "-vv",
            "track",
            "e",
            "--user-id",
            "u",
            "--write-key",
            TEST_KEY,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!("POST {}/track -> 429", server.endpoint())),
        "{stderr}"
    );
    assert!(stderr.contains("-> 200 in"), "{stderr}");
    assert_no_key(&stderr);
    assert_no_key(&stdout_of(&out));
}

#[test]
fn timestamps_from_rfc3339_or_unix_seconds_or_millis() {
    let env = CioEnv::new();
    let server = TestServer::start();
    run(
        &env,
        &server,
        &[
            "track",
            "e",
            "--user-id",
            "u",
            "--timestamp",
            "2023-05-05T03:27:05+02:00",
        ],
    );
    run(
        &env,
        &server,
        &[
            "track",
            "e",
            "--user-id",
            "u",
            "--timestamp",
            "1683250025.5",
        ],
    );
    // Milliseconds are told from seconds by magnitude; the escape takes what is refused otherwise.
    run(
        &env,
        &server,
        &[
            "track",
            "e",
            "--user-id",
            "u",
            "--timestamp",
            "1683250025123",
        ],
    );
    run(
        &env,
        &server,
        &[
            "track",
            "e",
            "--user-id",
            "u",
            "--timestamp",
            "20230512",
            "--allow-old-timestamps",
        ],
    );
    let ts: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.json()["timestamp"].clone())
        .collect();
    assert_eq!(
        ts,
        [
            json!("2023-05-05T01:27:05.000Z"),
            json!("2023-05-05T01:27:05.500Z"),
            json!("2023-05-05T01:27:05.123Z"),
            json!("1970-08-23T03:35:12.000Z"),
        ]
    );
}

/// Ctrl-C stops a call in flight (exit 130), but not one started with SIGINT
/// ignored, as a script's background `cio track … &` is: the Ctrl-C meant for
/// the foreground must not lose its event.
#[test]
fn ctrl_c_spares_a_call_started_with_sigint_ignored() {
    for (ignored, code) in [(false, 130), (true, 0)] {
        let env = CioEnv::new();
        let server = TestServer::with_handler(|_| {
            Reply::delay(std::time::Duration::from_millis(1500), Reply::ok())
        });
        let mut cio = env.std_cmd_for(&server);
        cio.args(["track", "Signed Up", "--user-id", "u1"]);
        let mut cmd = if ignored {
            through_sh(&cio, r#"trap "" INT"#)
        } else {
            cio
        };
        let child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        assert!(server.wait_for_requests(1, std::time::Duration::from_secs(20)));
        let kill = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        // 130 at once, or 0 once the server's 200 came: delivered.
        assert_eq!(out.status.code(), Some(code), "{}", stderr_of(&out));
    }
}
