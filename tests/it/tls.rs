//! The production path: HTTPS to a real local TLS server whose certificates
//! the test makes (a private CA, as behind a company's TLS-inspecting proxy),
//! trusted through `--ca-cert`, `CIO_CA_CERT`, a profile, `SSL_CERT_FILE` or
//! `SSL_CERT_DIR`, and refused without; expired and wrong-name certificates,
//! a plain-HTTP port; a real CONNECT proxy that must never see the key.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::*;
use serde_json::{json, Value};

/// A CA, a server presenting a leaf it signed for 127.0.0.1, and the CA's PEM file.
struct Tls {
    server: TestServer,
    ca_pem: PathBuf,
}

fn tls_server(env: &CioEnv, replies: Vec<Reply>) -> Tls {
    let ca = TestCa::new("cio test CA");
    let server = TestServer::https_with_replies(ca.leaf(&["127.0.0.1"]).server_config(), replies);
    Tls {
        server,
        ca_pem: ca.write_pem(env.path(), "ca.pem"),
    }
}

fn track(env: &CioEnv, server: &TestServer) -> assert_cmd::Command {
    let mut cmd = env.cmd_for(server);
    cmd.args(["track", "Signed Up", "--user-id", "u1"]);
    cmd
}

/// The host:port the messages name.
fn host(server: &TestServer) -> String {
    server.addr().to_string()
}

const FIX_TRUST: &str = "if a proxy inspects TLS or the server uses a private CA, pass that CA with --ca-cert FILE (or CIO_CA_CERT, or SSL_CERT_FILE)";

#[test]
fn a_private_ca_given_with_ca_cert_is_trusted() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    assert!(tls.server.endpoint().starts_with("https://127.0.0.1:"));
    let out = track(&env, &tls.server)
        .arg("--ca-cert")
        .arg(&tls.ca_pem)
        .arg("-v")
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_no_key(&stderr);
    assert!(
        stderr.contains(&format!("+ 1 from --ca-cert {}", tls.ca_pem.display())),
        "{stderr}"
    );
    let requests = tls.server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/track");
    assert_eq!(requests[0].basic_auth_user().as_deref(), Some(TEST_KEY));
    assert_eq!(requests[0].json()["event"], "Signed Up");
}

#[test]
fn the_ca_also_comes_from_the_environment_a_profile_or_ssl_cert_file_and_dir() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    // CIO_CA_CERT
    let out = track(&env, &tls.server)
        .env("CIO_CA_CERT", &tls.ca_pem)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // A profile's ca_cert, relative to the config file's directory.
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::copy(&tls.ca_pem, env.config_dir().join("corp-ca.pem")).unwrap();
    std::fs::write(
        env.config_dir().join("config.toml"),
        "[profiles.default]\nca_cert = \"corp-ca.pem\"\n",
    )
    .unwrap();
    let out = track(&env, &tls.server).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    std::fs::remove_file(env.config_dir().join("config.toml")).unwrap();
    // SSL_CERT_FILE, as OpenSSL-based tools read it (it replaces the system store).
    let out = track(&env, &tls.server)
        .env("SSL_CERT_FILE", &tls.ca_pem)
        .arg("-v")
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("cio: trusting 1 roots from SSL_CERT_FILE/SSL_CERT_DIR\n"),
        "{stderr}"
    );
    // SSL_CERT_DIR: a directory of PEM files (among other entries of the list).
    let dir = env.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&tls.ca_pem, dir.join("corp.pem")).unwrap();
    let out = track(&env, &tls.server)
        .env(
            "SSL_CERT_DIR",
            format!(
                "{}:{}",
                env.path().join("empty-dir-ok").display(),
                dir.display()
            ),
        )
        .output()
        .unwrap();
    // A missing entry of SSL_CERT_DIR is an error naming it...
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: SSL_CERT_DIR {}: no such file or directory; point it at a PEM bundle or unset it\n",
            env.path().join("empty-dir-ok").display()
        )
    );
    // ...and the directory alone works.
    let out = track(&env, &tls.server)
        .env("SSL_CERT_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(tls.server.request_count(), 4);
}

#[test]
fn an_unknown_ca_is_refused_in_one_line_that_says_what_to_do() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let out = track(&env, &tls.server).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to https://{url_host}/v1/track after 1 attempt: TLS: the certificate of {} is not signed by an authority cio trusts; {FIX_TRUST}\n",
            host(&tls.server),
            url_host = host(&tls.server),
        )
    );
    assert_eq!(tls.server.request_count(), 0, "nothing sent unverified");
    // SSL_CERT_FILE replaces the trust store: another CA there does not help.
    let other = TestCa::new("another CA").write_pem(env.path(), "other.pem");
    let out = track(&env, &tls.server)
        .env("SSL_CERT_FILE", &other)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let json: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("is not signed by an authority cio trusts"),
        "{json}"
    );
    assert_no_key(&stdout_of(&out));
    assert_no_key(&stderr_of(&out));
}

#[test]
fn wrong_name_and_expired_certificates_are_refused_and_named() {
    let env = CioEnv::new();
    let ca = TestCa::new("cio test CA");
    let ca_pem = ca.write_pem(env.path(), "ca.pem");

    let wrong = TestServer::https(ca.leaf(&["api.example.test"]).server_config(), |_| {
        Reply::ok()
    });
    let out = track(&env, &wrong)
        .arg("--ca-cert")
        .arg(&ca_pem)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to https://{url_host}/v1/track after 1 attempt: TLS: the certificate presented by {} is for api.example.test, not {}; check the endpoint, or {FIX_TRUST}\n",
            host(&wrong),
            host(&wrong),
            url_host = host(&wrong),
        )
    );
    assert_eq!(wrong.request_count(), 0);

    let leaf = ca.expired_leaf(&["127.0.0.1"]);
    let expired = TestServer::https(leaf.server_config(), |_| Reply::ok());
    let out = track(&env, &expired)
        .arg("--ca-cert")
        .arg(&ca_pem)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let day = |d: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::days(d))
            .date()
            .to_string()
    };
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to https://{url_host}/v1/track after 1 attempt: TLS: the certificate of {} expired on {} (now {}); check this machine's clock, or tell whoever runs {}\n",
            host(&expired),
            day(-1),
            day(0),
            host(&expired),
            url_host = host(&expired),
        )
    );
    assert_eq!(expired.request_count(), 0);
}

#[test]
fn https_to_a_plain_http_port_says_so() {
    let env = CioEnv::new();
    let plain = TestServer::start();
    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .env(
            "CIO_ENDPOINT",
            plain.endpoint().replace("http://", "https://"),
        )
        .args(["track", "x", "--user-id", "u1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to https://{url_host}/v1/track after 1 attempt: TLS: {} did not answer in TLS; is that a plain-HTTP port? Use an http:// endpoint for a local plain server\n",
            plain.addr(),
            url_host = plain.addr(),
        )
    );
}

#[test]
fn unusable_ca_files_are_usage_errors_naming_the_file() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let missing = env.path().join("nope.pem");
    let out = track(&env, &tls.server)
        .arg("--ca-cert")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: --ca-cert {}: no such file or directory\n",
            missing.display()
        )
    );
    let not_pem = env.path().join("key.txt");
    std::fs::write(&not_pem, "just text\n").unwrap();
    let out = track(&env, &tls.server)
        .env("CIO_CA_CERT", &not_pem)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: CIO_CA_CERT {}: no certificate in it (expected PEM blocks '-----BEGIN CERTIFICATE-----')\n",
            not_pem.display()
        )
    );
    let out = track(&env, &tls.server)
        .env("SSL_CERT_FILE", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: SSL_CERT_FILE {}: no such file or directory; point it at a PEM bundle or unset it\n",
            missing.display()
        )
    );
    assert_eq!(tls.server.request_count(), 0);
}

fn track_line(n: usize) -> String {
    json!({"type": "track", "event": "Product Viewed", "userId": format!("u{}", n % 7),
           "messageId": format!("m-{n}"), "properties": {"n": n}})
    .to_string()
}

fn write_lines(path: &Path, range: std::ops::Range<usize>) {
    let mut out = std::fs::File::create(path).unwrap();
    for n in range {
        writeln!(out, "{}", track_line(n)).unwrap();
    }
}

#[test]
fn batch_over_tls_gzips_retries_and_checkpoints() {
    let env = CioEnv::new();
    let tls = tls_server(
        &env,
        vec![Reply::status(503, "{}"), Reply::drop_connection()],
    );
    let input = env.path().join("calls.ndjson");
    write_lines(&input, 0..3000);
    let checkpoint = env.path().join("replay.ckpt");
    let run = || {
        env.cmd_for(&tls.server)
            .env("CIO_CA_CERT", &tls.ca_pem)
            .args([
                "batch",
                "--json",
                "--concurrency",
                "2",
                "--max-batch-calls",
                "500",
            ])
            .arg(&input)
            .arg("--checkpoint")
            .arg(&checkpoint)
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let summary: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(summary["delivered"], 3000);
    assert_eq!(summary["retried"], 2);
    let ids = tls.server.message_ids();
    assert_eq!(ids.len(), 3000, "no duplicates");
    assert_eq!(
        ids.into_iter().collect::<HashSet<_>>(),
        (0..3000).map(|n| format!("m-{n}")).collect::<HashSet<_>>()
    );
    for r in tls.server.requests() {
        assert_eq!(r.path, "/v1/batch");
        assert!(r.gzipped, "gzip over TLS too");
        assert_eq!(r.basic_auth_user().as_deref(), Some(TEST_KEY));
    }
    assert_no_key(&std::fs::read_to_string(&checkpoint).unwrap());
    // Run again: the checkpoint says it is all done; nothing is sent.
    let before = tls.server.request_count();
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(tls.server.request_count(), before);
}

#[test]
fn batch_over_tls_without_trust_stops_at_once_with_the_reason() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let input = env.path().join("calls.ndjson");
    write_lines(&input, 0..100);
    let out = env
        .cmd_for(&tls.server)
        .args(["batch", "--max-batch-calls", "10"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!(
            "TLS: the certificate of {} is not signed by an authority cio trusts; {FIX_TRUST}",
            host(&tls.server)
        )),
        "{stderr}"
    );
    assert_eq!(tls.server.request_count(), 0);
}

// ---- proxies ----

#[test]
fn https_proxy_carries_the_call_in_a_tunnel_and_never_sees_the_key() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let proxy = TestProxy::start(ProxyMode::Open);
    let out = track(&env, &tls.server)
        .env("CIO_CA_CERT", &tls.ca_pem)
        .env("HTTPS_PROXY", proxy.url())
        .arg("-v")
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with(&format!("cio: proxy {} (from HTTPS_PROXY)\n", proxy.url())),
        "{stderr}"
    );
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1);
    assert_eq!(
        tunnels[0].request_line,
        format!("CONNECT {} HTTP/1.1", host(&tls.server))
    );
    assert_eq!(tunnels[0].status, 200);
    assert!(
        tunnels[0].from_client.len() > 500,
        "the request went through the tunnel ({} bytes)",
        tunnels[0].from_client.len()
    );
    // Everything the proxy got: the CONNECT head, then TLS records only.
    assert_no_key(&String::from_utf8_lossy(&tunnels[0].from_client));
    assert!(!String::from_utf8_lossy(&tunnels[0].from_client).contains("Signed Up"));
    // ...while the server behind it got the call with its key.
    let requests = tls.server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].basic_auth_user().as_deref(), Some(TEST_KEY));
}

#[test]
fn proxy_variables_are_read_as_curl_reads_them() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let proxy = TestProxy::start(ProxyMode::Open);
    let dead = "http://127.0.0.1:9";
    let run = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = track(&env, &tls.server);
        cmd.env("CIO_CA_CERT", &tls.ca_pem)
            .args(["-v", "--retries", "0"])
            .args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (out.status.code(), stderr_of(&out))
    };
    let url = proxy.url();
    // Lower case before upper case; scheme-specific before ALL_PROXY; http_proxy is not for https.
    for (vars, from) in [
        (
            vec![("https_proxy", url.as_str()), ("HTTPS_PROXY", dead)],
            "https_proxy",
        ),
        (
            vec![("ALL_PROXY", url.as_str()), ("http_proxy", dead)],
            "ALL_PROXY",
        ),
        (vec![("all_proxy", url.as_str())], "all_proxy"),
        (vec![("HTTPS_PROXY", dead)], "--proxy"),
    ] {
        let args: &[&str] = if from == "--proxy" {
            &["--proxy", &url]
        } else {
            &[]
        };
        let (code, stderr) = run(&vars, args);
        assert_eq!(code, Some(0), "{vars:?}: {stderr}");
        assert!(
            stderr.contains(&format!("proxy {url} (from {from})")),
            "{stderr}"
        );
    }
    assert_eq!(proxy.tunnels().len(), 4);
    // NO_PROXY (and no_proxy, and --proxy "") send it direct: the proxy sees nothing.
    for (vars, args, why) in [
        (
            vec![
                ("HTTPS_PROXY", url.as_str()),
                ("NO_PROXY", "example.com, 127.0.0.1"),
            ],
            vec![],
            "NO_PROXY matches 127.0.0.1",
        ),
        (
            vec![("HTTPS_PROXY", url.as_str()), ("no_proxy", "127.0.0.0/8")],
            vec![],
            "no_proxy matches 127.0.0.1",
        ),
        (
            vec![("HTTPS_PROXY", url.as_str())],
            vec!["--proxy", ""],
            "--proxy is empty",
        ),
    ] {
        let (code, stderr) = run(&vars, &args);
        assert_eq!(code, Some(0), "{vars:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("cio: no proxy: {why}\n")),
            "{stderr}"
        );
    }
    assert_eq!(proxy.tunnels().len(), 4, "NO_PROXY bypassed the proxy");
    assert_eq!(tls.server.request_count(), 7);
}

#[test]
fn proxy_credentials_come_from_the_url_and_are_never_shown() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let proxy = TestProxy::start(ProxyMode::RequireAuth {
        user: "alice".into(),
        password: "pr0xy-s3cret".into(),
    });
    let out = track(&env, &tls.server)
        .env("CIO_CA_CERT", &tls.ca_pem)
        .env(
            "HTTPS_PROXY",
            proxy.url_with_credentials("alice", "pr0xy-s3cret"),
        )
        .arg("-vv")
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let port = proxy.url().rsplit(':').next().unwrap().to_string();
    assert!(
        stderr.contains(&format!(
            "cio: proxy http://***@127.0.0.1:{port} (from HTTPS_PROXY)"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("pr0xy-s3cret") && !stderr.contains("alice"),
        "{stderr}"
    );
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1);
    assert_eq!(tunnels[0].status, 200);
    assert!(tunnels[0].header("proxy-authorization").is_some());
    assert_eq!(tls.server.request_count(), 1);

    // Without them: a 407, said once, not retried.
    let out = track(&env, &tls.server)
        .env("CIO_CA_CERT", &tls.ca_pem)
        .arg("--proxy")
        .arg(proxy.url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to https://{url_host}/v1/track after 1 attempt: proxy {} asks for credentials (407); put them in the proxy URL (--proxy: http://user:password@host:port)\n",
            proxy.url(),
            url_host = host(&tls.server),
        )
    );
    assert_eq!(proxy.tunnels().len(), 2);
    assert_eq!(tls.server.request_count(), 1);
}

#[test]
fn a_proxy_that_refuses_connect_or_is_not_there_is_named_with_the_fix() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let proxy = TestProxy::start(ProxyMode::Refuse(403));
    let out = track(&env, &tls.server)
        .env("CIO_CA_CERT", &tls.ca_pem)
        .env("HTTPS_PROXY", proxy.url())
        .args(["--retries", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let host = host(&tls.server);
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to https://{url_host}/v1/track after 2 attempts: proxy {} refused to open a tunnel (CONNECT) to {host}; ask its administrator to allow {host}, or list 127.0.0.1 in NO_PROXY to go direct\n",
            proxy.url(),
            url_host = host,
        )
    );
    assert_eq!(proxy.tunnels().len(), 2, "retried once");

    let out = track(&env, &tls.server)
        .env("CIO_CA_CERT", &tls.ca_pem)
        .env("https_proxy", "127.0.0.1:9")
        .args(["--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: not delivered to https://{url_host}/v1/track after 1 attempt: cannot connect to proxy http://127.0.0.1:9 (from https_proxy): Connection refused; check https_proxy, or list 127.0.0.1 in NO_PROXY to go direct\n",
            url_host = host,
        )
    );
    assert_eq!(tls.server.request_count(), 0);
}

#[test]
fn bad_proxy_settings_are_usage_errors_without_credentials() {
    let env = CioEnv::new();
    let tls = tls_server(&env, vec![]);
    let out = track(&env, &tls.server)
        .env("ALL_PROXY", "socks5://bob:hunter2@127.0.0.1:1080")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: ALL_PROXY 'socks5://***@127.0.0.1:1080': SOCKS proxies are not supported; use an HTTP proxy (http://host:port)\n"
    );
    // A plain-http endpoint that is not loopback would hand the proxy the key.
    let out = env
        .cmd()
        .env("CIO_WRITE_KEY", TEST_KEY)
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .args([
            "--endpoint",
            "http://api.example.test/v1",
            "--allow-insecure-http",
        ])
        .args(["track", "x", "--user-id", "u1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: endpoint 'http://api.example.test/v1' is plain http and HTTP_PROXY names a proxy: the proxy would see the write key in clear; use https, or list api.example.test in NO_PROXY\n"
    );
    assert_eq!(tls.server.request_count(), 0);
}

#[test]
fn a_profile_proxy_keeps_its_password_out_of_config_get_and_list() {
    let env = CioEnv::new();
    let set = env
        .cmd()
        .args([
            "config",
            "set",
            "proxy",
            "http://alice:pr0xy-s3cret@proxy.corp:3128",
        ])
        .output()
        .unwrap();
    assert_eq!(set.status.code(), Some(0), "{}", stderr_of(&set));
    let get = env.cmd().args(["config", "get", "proxy"]).output().unwrap();
    assert_eq!(stdout_of(&get), "http://***@proxy.corp:3128\n");
    let list = env.cmd().args(["config", "list"]).output().unwrap();
    assert!(
        stdout_of(&list).contains("  proxy = http://***@proxy.corp:3128\n"),
        "{}",
        stdout_of(&list)
    );
    let file = std::fs::read_to_string(env.config_dir().join("config.toml")).unwrap();
    assert!(
        file.contains("proxy = \"http://alice:pr0xy-s3cret@proxy.corp:3128\""),
        "{file}"
    );
}
