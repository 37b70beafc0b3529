//! The first five minutes: every message names what went wrong, where, and the
//! fix. The real binary against a real server on 127.0.0.1; whole stderr asserted.

use crate::support::*;

fn run(env: &CioEnv, server: &TestServer, args: &[&str]) -> std::process::Output {
    env.cmd_for(server).args(args).output().unwrap()
}

fn write_config(env: &CioEnv, text: &str) -> String {
    std::fs::create_dir_all(env.config_dir()).unwrap();
    let path = env.config_dir().join("config.toml");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path.display().to_string()
}

#[test]
fn usage_errors_keep_clap_guidance_in_cios_style() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let cases: Vec<(&[&str], &str)> = vec![
        (
            &["trak", "e"],
            "cio: error: unrecognized subcommand 'trak'\n  tip: a similar subcommand exists: 'track'\n  usage: cio [OPTIONS] <COMMAND>\n  see 'cio --help'\n",
        ),
        (
            &["track", "e", "--propp", "a=1"],
            "cio: error: unexpected argument '--propp' found\n  tip: a similar argument exists: '--prop'\n  usage: cio track --prop <ITEM> <EVENT>\n  see 'cio track --help'\n",
        ),
        (
            &["track", "e", "--user_id", "u"],
            "cio: error: unexpected argument '--user_id' found\n  tip: a similar argument exists: '--user-id'\n  usage: cio track --user-id <ID> <EVENT>\n  see 'cio track --help'\n",
        ),
        (
            &["--region", "mars", "track", "e"],
            "cio: error: invalid value 'mars' for '--region <REGION>'\n  [possible values: us, eu]\n  see 'cio track --help'\n",
        ),
        (
            &["track", "Product", "Added", "--user-id", "u"],
            "cio: error: unexpected argument 'Added' found\n  tip: an event name with spaces must be quoted: cio track \"Product Added\"\n  usage: cio track [OPTIONS] [EVENT]\n  see 'cio track --help'\n",
        ),
        (
            &["page", "--user-id", "u", "Home", "Page", "Two"],
            "cio: error: unexpected argument 'Page' found\n  tip: a name with spaces must be quoted: cio page \"Home Page Two\"\n  usage: cio page [OPTIONS] [NAME]\n  see 'cio page --help'\n",
        ),
        (
            &["track", "e", "--prop", "a=1", "b=2"],
            "cio: error: unexpected argument 'b=2' found\n  tip: each item needs its own flag: --prop b=2 (or --trait, --context)\n  usage: cio track [OPTIONS] [EVENT]\n  see 'cio track --help'\n",
        ),
        (
            &["track", "e", "--prop", "platform"],
            "cio: error: invalid value 'platform' for '--prop <ITEM>': item 'platform': has no '=': write key=value, or key:=JSON for raw JSON\n  see 'cio track --help'\n",
        ),
        (
            &["config", "get"],
            "cio: error: the following required arguments were not provided: <KEY>\n  usage: cio config get <KEY>\n  see 'cio config get --help'\n",
        ),
    ];
    // A word after an option may be its value: no hint that would echo it.
    let out = run(
        &env,
        &server,
        &["track", "e", "--write-key", TEST_KEY, "extra"],
    );
    assert_eq!(
        stderr_of(&out),
        "cio: error: unexpected argument 'extra' found\n  usage: cio track [OPTIONS] [EVENT]\n  see 'cio track --help'\n"
    );
    for (args, expected) in cases {
        let out = run(&env, &server, args);
        assert_eq!(stderr_of(&out), expected, "{args:?}");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout_of(&out), "");
    }
    assert_eq!(server.request_count(), 0);
}

#[test]
fn a_404_at_an_endpoint_without_v1_suggests_it() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![Reply::status(404, "unknown path")]);
    let base = server.url("");
    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .args(["--endpoint", &base, "track", "e", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: the server at {base}/track refused the call (404): unknown path; the endpoint {base} (from --endpoint) has no /v1: try --endpoint {base}/v1\n")
    );
    assert_eq!(out.status.code(), Some(2));

    // With /v1 already there, the hint points at the setting without guessing.
    let server = TestServer::with_replies(vec![Reply::status(404, "")]);
    let out = run(&env, &server, &["track", "e", "--user-id", "u"]);
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: the server at {}/track refused the call (404): Not Found; check the endpoint (from CIO_ENDPOINT)\n",
            server.endpoint()
        )
    );
}

#[test]
fn connection_errors_name_host_and_port() {
    let env = CioEnv::new();
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
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: not delivered to http://127.0.0.1:{port}/v1/track after 1 attempt: cannot connect to 127.0.0.1:{port}: connection refused; check the endpoint (from CIO_ENDPOINT) and that the server is up\n")
    );
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn a_refused_redirect_says_where_it_pointed() {
    let env = CioEnv::new();
    let other = TestServer::start();
    let location = format!("{}/track", other.endpoint());
    let server = TestServer::with_replies(vec![Reply::status_with_headers(
        302,
        &[("Location", location.as_str())],
        "",
    )]);
    let out = run(&env, &server, &["track", "e", "--user-id", "u"]);
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to {}/track after 1 attempt: the server answered 302 with a redirect to {location}, which cio does not follow (the write key never follows a redirect); if that is the right place, use --endpoint {}\n",
            server.endpoint(),
            other.endpoint()
        )
    );
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(other.request_count(), 0);
}

#[test]
fn refused_keys_say_where_the_key_came_from_never_the_key() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![
        Reply::status(401, r#"{"message":"bad key"}"#),
        Reply::status(401, r#"{"message":"bad key"}"#),
        Reply::status(403, "nope"),
    ]);
    let path = write_config(
        &env,
        &format!(
            "default_profile = \"prod\"\n[profiles.prod]\nwrite_key = \"{TEST_KEY}\"\nendpoint = \"{}\"\n",
            server.endpoint()
        ),
    );
    let url = format!("{}/track", server.endpoint());
    let out = env
        .cmd()
        .args(["track", "e", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: the write key from profile 'prod' in {path} was refused (401) by {url}: bad key; check that it is the write key of a Data Pipelines source in the endpoint's region (us or eu)\n")
    );
    assert_eq!(out.status.code(), Some(3));

    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .args(["track", "e", "--user-id", "u"])
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: the write key from CIO_WRITE_KEY was refused (401) by {url}: bad key; check that it is the write key of a Data Pipelines source in the endpoint's region (us or eu)\n")
    );

    let out = env
        .cmd()
        .args(["track", "e", "--user-id", "u", "--write-key", TEST_KEY])
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(
        stderr,
        format!("cio: error: the write key from --write-key may not send to {url} (403 forbidden): nope; check that the source is enabled and that this is its write key\n")
    );
    assert_eq!(out.status.code(), Some(4));
    assert_no_key(&stderr);
}

#[test]
fn bad_endpoint_and_millisecond_timestamps_point_at_the_fix() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let out = run(
        &env,
        &server,
        &["--endpoint", "notaurl", "track", "e", "--user-id", "u"],
    );
    assert_eq!(
        stderr_of(&out),
        "cio: error: endpoint 'notaurl' (from --endpoint) is not a URL (relative URL without a base): give the whole base URL, like https://cdp.customer.io/v1\n"
    );
    assert_eq!(out.status.code(), Some(2));

    // Milliseconds are told from seconds by their size, so both mean the same time.
    for ts in ["1683250025123", "1683250025.123"] {
        let out = run(
            &env,
            &server,
            &[
                "track",
                "e",
                "--user-id",
                "u",
                "--timestamp",
                ts,
                "--dry-run",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        assert!(
            stdout_of(&out).contains(r#""timestamp":"2023-05-05T01:27:05.123Z""#),
            "{}",
            stdout_of(&out)
        );
    }
    assert_eq!(server.request_count(), 0);
}

#[test]
fn clashing_items_are_refused_in_either_order() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let cases: [(&[&str], &str); 2] = [
        (
            &["--prop", "a.b=1", "--prop", "a=2"],
            "cio: error: item 'a=2' conflicts with the earlier item 'a.b=1': 'a' would replace what the earlier item set inside it\n",
        ),
        (
            &["--prop", "a=2", "--prop", "a.b=1"],
            "cio: error: item 'a.b=1' conflicts with the earlier item 'a=2': 'a' is a number, not an object\n",
        ),
    ];
    for (items, expected) in cases {
        let mut args = vec!["track", "e", "--user-id", "u"];
        args.extend_from_slice(items);
        let out = run(&env, &server, &args);
        assert_eq!(stderr_of(&out), expected, "{items:?}");
        assert_eq!(out.status.code(), Some(2));
    }
    assert_eq!(server.request_count(), 0);
}

#[test]
fn config_messages_say_where_a_key_lives() {
    let env = CioEnv::new();
    let path = env.config_dir().join("config.toml");
    let out = env
        .cmd()
        .args(["config", "set", "default_profile", "prod"])
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out),
        format!("set default_profile in {}\n", path.display())
    );
    assert_eq!(out.status.code(), Some(0));
    let out = env
        .cmd()
        .args(["config", "get", "region"])
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: region is not set in profile 'prod' of {}\n",
            path.display()
        )
    );
    assert_eq!(out.status.code(), Some(9));
}

#[test]
fn ping_shows_the_setup_and_proves_the_key_with_an_empty_batch() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let out = run(&env, &server, &["ping"]);
    assert_eq!(stderr_of(&out), "");
    assert_eq!(out.status.code(), Some(0));
    let stdout = stdout_of(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    let config = env.config_dir().join("config.toml");
    assert_eq!(lines.len(), 6, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "profile   default in {} (not created yet)",
            config.display()
        )
    );
    assert_eq!(
        lines[1],
        format!("endpoint  {} (from CIO_ENDPOINT)", server.endpoint())
    );
    assert_eq!(lines[2], "key       ****CRET (from CIO_WRITE_KEY)");
    assert!(
        lines[3].starts_with("resolve   127.0.0.1 -> 127.0.0.1 ("),
        "{stdout}"
    );
    assert!(
        lines[4].starts_with(&format!("connect   {} (", server.addr())),
        "{stdout}"
    );
    assert!(
        lines[5].starts_with(&format!(
            "answer    accepted: POST {}/batch {{\"batch\":[]}} answered 200 (",
            server.endpoint()
        )) && lines[5].ends_with("); nothing was recorded"),
        "{stdout}"
    );
    assert_no_key(&stdout);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one request, and no call in it");
    assert_eq!(requests[0].path, "/v1/batch");
    assert_eq!(requests[0].body_text(), r#"{"batch":[]}"#);
    assert_eq!(requests[0].basic_auth_user().as_deref(), Some(TEST_KEY));
    assert_eq!(requests[0].header("x-strict-mode"), Some("1"));

    // --json: one object; --send-event: one real track call too.
    let out = run(&env, &server, &["ping", "--json", "--send-event"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["checks"]["key"],
        serde_json::json!({"ok": true, "ms": null, "message": "****CRET (from CIO_WRITE_KEY)"})
    );
    for timed in ["resolve", "connect", "answer", "event"] {
        let check = &report["checks"][timed];
        assert!(
            check["ok"] == true && check["ms"].is_f64(),
            "{timed}: {check}"
        );
    }
    assert!(report["checks"]["event"]["message"]
        .as_str()
        .unwrap()
        .starts_with("delivered: track 'cio ping' (anonymousId cio-ping, messageId "));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].path, "/v1/track");
    let call = requests[2].json();
    assert_eq!(call["event"], "cio ping");
    assert_eq!(call["anonymousId"], "cio-ping");
}

#[test]
fn ping_fails_with_the_usual_exit_codes_and_says_why() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![Reply::status(401, "bad key")]);
    let out = run(&env, &server, &["ping"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: the write key from CIO_WRITE_KEY was refused (401) by {}/batch: bad key; check that it is the write key of a Data Pipelines source in the endpoint's region (us or eu)\n", server.endpoint())
    );

    // An empty batch refused as invalid: the endpoint answers, the key is unproven.
    let server = TestServer::with_replies(vec![Reply::status(400, r#"{"message":"empty"}"#)]);
    let out = run(&env, &server, &["ping", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_of(&out), "");
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: the server at {}/batch answered 400 to an empty batch: empty; it answers, but the key is not proven: `cio ping --send-event` proves it with one track call (that records an event)\n", server.endpoint())
    );

    // Nothing listening: the connect step fails, naming the address.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .args([
            "ping",
            "-q",
            "--endpoint",
            &format!("http://127.0.0.1:{port}/v1"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: cannot connect to 127.0.0.1:{port}: connection refused; check the endpoint (from --endpoint) and that the server is up\n")
    );

    // No key: the setup is shown, then the usual exit 3, before anything
    // goes on the network (nothing listens there: it would have been 5).
    let out = env
        .cmd()
        .env("CIO_ENDPOINT", format!("http://127.0.0.1:{port}/v1"))
        .args(["ping"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout_of(&out).contains("key       none\n"),
        "{}",
        stdout_of(&out)
    );
    assert_eq!(
        stderr_of(&out),
        "cio: error: no write key: run `cio config init` (asks for it), or set CIO_WRITE_KEY\n"
    );
    // --json: every check done, the failed one last, with its message.
    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .args([
            "ping",
            "--json",
            "--endpoint",
            &format!("http://127.0.0.1:{port}/v1"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let report: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(report["ok"], false);
    assert!(report["checks"]["resolve"]["ms"].is_f64(), "{report}");
    assert_eq!(
        report["checks"]["connect"],
        serde_json::json!({"ok": false, "ms": null, "message": format!("cannot connect to 127.0.0.1:{port}: connection refused; check the endpoint (from --endpoint) and that the server is up")})
    );
}

fn help(args: &[&str]) -> String {
    let env = CioEnv::new();
    let out = env.cmd().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
    stdout_of(&out)
}

#[test]
fn help_shows_own_options_first_then_global_ones_then_examples() {
    for command in [
        "track", "identify", "page", "screen", "group", "alias", "batch", "ping",
    ] {
        for flag in ["-h", "--help"] {
            let text = help(&[command, flag]);
            let own = text
                .find("\nOptions:\n")
                .unwrap_or_else(|| panic!("{command}: {text}"));
            let global = text
                .find("\nGlobal options:\n")
                .unwrap_or_else(|| panic!("{command}: {text}"));
            let examples = text
                .find("\nExamples:\n  cio ")
                .unwrap_or_else(|| panic!("{command} {flag}: {text}"));
            assert!(
                own < global && global < examples,
                "{command} {flag}:\n{text}"
            );
            // The global options are under their heading only.
            assert!(text[global..].contains("--write-key <KEY>"), "{command}");
            assert!(!text[own..global].contains("--write-key"), "{command}");
            // No placeholder is just the option's name in capitals.
            for lazy in ["<CONCURRENCY>", "<RATE>", "<PREVIOUS_ID>", "<GROUP_ID>"] {
                assert!(!text.contains(lazy), "{command}: {lazy}");
            }
        }
    }
    // Every call with items explains them in --help, alias included.
    for command in ["track", "identify", "page", "screen", "group", "alias"] {
        let text = help(&[command, "--help"]);
        assert!(
            text.contains("Items (--prop, --trait, --context, --integration):"),
            "{command}"
        );
    }
    assert!(help(&["batch", "--help"]).contains("--concurrency <N>"));
}

#[test]
fn help_shows_only_what_applies() {
    for command in ["completions", "man"] {
        let text = help(&[command, "--help"]);
        for flag in [
            "--write-key",
            "--endpoint",
            "--region",
            "--timeout",
            "--retries",
            "Global options",
        ] {
            assert!(
                !text.contains(flag),
                "{command} --help shows {flag}:\n{text}"
            );
        }
        assert!(text.contains("Examples:\n  cio "), "{command}");
    }
    let text = help(&["completions", "--help"]);
    assert!(text.contains("<SHELL>  The shell to complete for [possible values: bash, elvish, fish, powershell, zsh]"), "{text}");

    let text = help(&["config", "get", "--help"]);
    assert!(text.contains("exit code 9 when it is not set"), "{text}");
    assert!(
        text.contains(
            "<KEY>  The setting: default_profile is top-level, the others belong to the profile"
        ),
        "{text}"
    );
    assert!(
        !text.contains("--write-key") && !text.contains("--endpoint"),
        "{text}"
    );
    assert!(text.contains("--profile <NAME>"), "{text}");
    // init writes region, endpoint, timeout and retries into the profile.
    let text = help(&["config", "init", "--help"]);
    assert!(
        text.contains("--region <REGION>") && !text.contains("--write-key"),
        "{text}"
    );
}

#[test]
fn more_verbosity_shows_headers_then_the_body_never_the_key() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let url = format!("{}/track", server.endpoint());
    let out = run(
        &env,
        &server,
        &[
            "-vv",
            "track",
            "e",
            "--user-id",
            "u",
            "--prop",
            &format!("oops={TEST_KEY}"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = stderr_of(&out);
    let sent = server.requests()[0].body.len();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..5],
        [
            format!("cio: POST {url} ({sent} bytes, sentAt set at each attempt)").as_str(),
            &format!("cio:   user-agent: cio/{}", env!("CARGO_PKG_VERSION")),
            "cio:   authorization: Basic REDACTED",
            "cio:   content-type: application/json",
            "cio:   x-strict-mode: 1",
        ],
        "{stderr}"
    );
    assert!(
        lines[5].starts_with(&format!("cio: POST {url} -> 200 in ")),
        "{stderr}"
    );
    assert!(!stderr.contains("body:"), "-vv shows no body");
    assert_no_key(&stderr);

    let out = run(
        &env,
        &server,
        &[
            "-vvv",
            "track",
            "e",
            "--user-id",
            "u",
            "--prop",
            &format!("oops={TEST_KEY}"),
        ],
    );
    let stderr = stderr_of(&out);
    let body = stderr
        .lines()
        .find_map(|l| l.strip_prefix("cio:   body: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    let shown: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(shown["event"], "e");
    assert_eq!(shown["properties"]["oops"], "REDACTED");
    assert_no_key(&stderr);
}

/// `ExitCode` is the one table of exit codes: `cio --help` lists exactly its
/// rows, and the README's table has the same codes in the same order, each
/// row opening with the same word as the help's line.
#[test]
fn help_and_readme_list_the_exit_codes_of_the_one_table() {
    use cio::error::ExitCode;
    let env = CioEnv::new();
    let out = env.cmd().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = stdout_of(&out);
    let listed = help
        .split_once("Exit codes:\n")
        .expect("--help lists the exit codes")
        .1;
    let want: Vec<String> = ExitCode::ALL
        .iter()
        .map(|c| format!("  {:<5}{}", c.code(), c.meaning()))
        .collect();
    let got: Vec<&str> = listed.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(got, want, "--help's exit codes");

    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split_once("\n## Exit codes\n")
        .expect("README has an Exit codes section")
        .1;
    let rows: Vec<(i32, String)> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 2, "{row}");
            (cells[0].parse().expect(row), cells[1].to_string())
        })
        .collect();
    let first_word = |text: &str| {
        text.split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(|c: char| c == '`' || c == ':')
            .to_string()
    };
    assert_eq!(rows.len(), ExitCode::ALL.len(), "README rows: {rows:?}");
    for ((code, meaning), expected) in rows.iter().zip(ExitCode::ALL) {
        assert_eq!(*code, expected.code(), "README row {code} out of order");
        assert_eq!(
            first_word(meaning),
            first_word(expected.meaning()),
            "README row {code}: {meaning}"
        );
    }
}

#[test]
fn version_says_the_commit_and_the_target_as_version_does() {
    let env = CioEnv::new();
    let version = env.cmd().arg("version").output().unwrap();
    let flag = env.cmd().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(stdout_of(&version), stdout_of(&flag));
    let text = stdout_of(&version);
    let inner = text
        .strip_prefix(concat!("cio ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|t| t.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{text}"));
    let (commit, target) = inner.split_once(", ").unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    assert!(target.contains('-') && !target.contains(' '), "{target}");
}

#[test]
fn no_input_on_a_terminal_names_the_command_to_pipe_into() {
    let env = CioEnv::new();
    for command in ["batch", "lint"] {
        // `script` gives the command a terminal for stdin, as a person has.
        let cio = env.std_cmd();
        let line = format!("{} {command}", env!("CARGO_BIN_EXE_cio"));
        let out = std::process::Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env_clear()
            .envs(cio.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
            format!(
                "cio: error: no input: name NDJSON files, or pipe calls on stdin (cio {command} -)\n"
            )
        );
    }
}

#[test]
fn an_endpoint_hint_is_the_next_command_verbatim() {
    let env = CioEnv::new();
    // No scheme: http to loopback, https elsewhere; nothing is sent.
    for (given, meant) in [
        ("localhost:8765/v1", "http://localhost:8765/v1"),
        ("127.0.0.1:8765/v1", "http://127.0.0.1:8765/v1"),
        ("[::1]:8765/v1", "http://[::1]:8765/v1"),
        ("cdp-eu.customer.io/v1", "https://cdp-eu.customer.io/v1"),
    ] {
        let out = env
            .cmd()
            .env("CIO_WRITE_KEY", TEST_KEY)
            .args(["--endpoint", given, "track", "e", "--user-id", "u"])
            .output()
            .unwrap();
        assert_refused(
            &out,
            &format!("endpoint '{given}' (from --endpoint) has no scheme: try --endpoint {meant}"),
        );
    }
    // A call's own URL given as the endpoint: the base it belongs to.
    let server = TestServer::with_replies(vec![Reply::status(404, "unknown path")]);
    let base = server.url("/v1");
    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .args([
            "--endpoint",
            &format!("{base}/track"),
            "track",
            "e",
            "--user-id",
            "u",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        format!("cio: error: the server at {base}/track/track refused the call (404): unknown path; the endpoint {base}/track (from --endpoint) ends in a call's path: try --endpoint {base}\n")
    );
}

#[test]
fn a_usage_error_under_json_is_one_object_on_stdout_too() {
    let env = CioEnv::new();
    let out = env.cmd().args(["--json", "trak"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout_of(&out),
        "{\"ok\":false,\"error\":\"unrecognized subcommand 'trak'\",\"exit_code\":2}\n"
    );
    assert!(stderr_of(&out).starts_with("cio: error: unrecognized subcommand 'trak'\n"));
    // Without --json, stdout stays empty.
    let out = env.cmd().arg("trak").output().unwrap();
    assert_eq!(
        (out.status.code(), stdout_of(&out)),
        (Some(2), String::new())
    );
}
