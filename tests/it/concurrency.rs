//! Many cio processes at once on one machine: the state cio keeps on disk is
//! shared safely. Concurrent first calls share one generated anonymous id,
//! concurrent `config set` calls all land, and a checkpoint is held by one
//! run at a time (and a run killed with SIGKILL never blocks the next).

use std::collections::HashSet;
use std::io::Write;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use crate::support::*;
use serde_json::{json, Value};

/// Starts every command before waiting for any, so they really run together.
fn run_together(commands: Vec<std::process::Command>) -> Vec<Output> {
    let children: Vec<Child> = commands
        .into_iter()
        .map(|mut c| {
            c.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn cio")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait for cio"))
        .collect()
}

fn first_calls_share_one_anonymous_id(n: usize) {
    let env = CioEnv::new();
    let server = TestServer::start();
    assert!(!env.config_dir().exists(), "a fresh machine");
    let outputs = run_together(
        (0..n)
            .map(|i| {
                let mut cmd = env.std_cmd_for(&server);
                cmd.args(["track", &format!("first-{i}")]);
                cmd
            })
            .collect(),
    );
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr_of(out));
        assert_eq!(stderr_of(out), "", "no warning expected");
    }
    let ids: HashSet<String> = server
        .accepted_calls()
        .iter()
        .map(|c| c["anonymousId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(server.accepted_calls().len(), n);
    let kept = std::fs::read_to_string(env.config_dir().join("anonymous_id")).unwrap();
    assert_eq!(
        ids,
        HashSet::from([kept.trim().to_string()]),
        "{n} first calls"
    );
}

#[test]
fn eight_concurrent_first_calls_share_one_anonymous_id() {
    first_calls_share_one_anonymous_id(8);
}

#[test]
fn fifty_concurrent_first_calls_share_one_anonymous_id() {
    first_calls_share_one_anonymous_id(50);
}

#[test]
fn fifty_concurrent_config_sets_all_land() {
    let env = CioEnv::new();
    let outputs = run_together(
        (0..50)
            .map(|i| {
                let mut cmd = env.std_cmd();
                let region = if i % 2 == 0 { "eu" } else { "us" };
                cmd.args([
                    "config",
                    "set",
                    "--profile",
                    &format!("p{i}"),
                    "region",
                    region,
                ]);
                cmd
            })
            .collect(),
    );
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr_of(out));
    }
    let out = env
        .cmd()
        .args(["config", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let profiles = listed["profiles"].as_object().unwrap();
    assert_eq!(profiles.len(), 50, "{listed}");
    for i in 0..50 {
        let region = if i % 2 == 0 { "eu" } else { "us" };
        assert_eq!(profiles[&format!("p{i}")]["region"], region, "p{i}");
    }
    // Still private, and no temporary file left behind.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let config = env.config_dir().join("config.toml");
        let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let leftovers: Vec<String> = std::fs::read_dir(env.config_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// An input of `n` track calls, and the replay command over it with a checkpoint.
fn replay(env: &CioEnv, server: &TestServer, n: usize) -> (std::process::Command, String) {
    let input = env.path().join("in.ndjson");
    let mut file = std::fs::File::create(&input).unwrap();
    for i in 0..n {
        writeln!(
            file,
            "{}",
            json!({"type": "track", "event": "e", "userId": format!("u{i}")})
        )
        .unwrap();
    }
    let checkpoint = env.path().join("replay.ckpt").display().to_string();
    let mut cmd = env.std_cmd_for(server);
    cmd.args([
        "batch",
        &input.display().to_string(),
        "--checkpoint",
        &checkpoint,
        "--max-batch-calls",
        "10",
        "--concurrency",
        "1",
    ]);
    (cmd, checkpoint)
}

#[test]
fn a_held_checkpoint_refuses_a_second_run_and_a_killed_holder_frees_it_at_once() {
    let env = CioEnv::new();
    // Slow answers keep the first run going while the second one starts.
    let server =
        TestServer::with_handler(|_| Reply::delay(Duration::from_millis(200), Reply::ok()));
    let (mut first, checkpoint) = replay(&env, &server, 100);
    let mut first = first
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(server.wait_for_requests(1, Duration::from_secs(20)));

    let (mut second, _) = replay(&env, &server, 100);
    let out = second.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: {checkpoint}: checkpoint in use by process {} (another cio batch with the same --checkpoint); wait for it to finish\n",
            first.id()
        )
    );

    // Killed with SIGKILL while holding it: the next run gets it at once.
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut third, _) = replay(&env, &server, 100);
    let out = third.output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let ids: HashSet<String> = server.message_ids().into_iter().collect();
    assert_eq!(ids.len(), 100, "every call delivered across the runs");
}

#[test]
fn a_rejects_file_in_use_refuses_a_second_run_and_keeps_the_first_runs_records() {
    let env = CioEnv::new();
    let server =
        TestServer::with_handler(|_| Reply::delay(Duration::from_millis(200), Reply::ok()));
    let input = env.path().join("in.ndjson");
    let mut file = std::fs::File::create(&input).unwrap();
    writeln!(file, r#"{{"type": "track", "userId": "u0"}}"#).unwrap(); // no event: invalid
    for i in 1..100 {
        writeln!(
            file,
            r#"{{"type": "track", "event": "e", "userId": "u{i}"}}"#
        )
        .unwrap();
    }
    let rejects = env.path().join("rejects.ndjson");
    // An earlier run's records, which the first run replaces with its own.
    std::fs::write(&rejects, "{\"kind\": \"invalid\", \"line\": 7}\n").unwrap();
    let run = || {
        let mut cmd = env.std_cmd_for(&server);
        cmd.arg("batch")
            .arg(&input)
            .arg("--rejects")
            .arg(&rejects)
            .args(["--max-batch-calls", "10", "--concurrency", "1"]);
        cmd
    };
    // Slow answers keep the first run going while the second one starts.
    let first = run()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(server.wait_for_requests(1, Duration::from_secs(20)));

    let out = run().output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "cio: error: {}: rejects file in use by another cio batch; give each run its own --rejects\n",
            rejects.display()
        )
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(6), "partial: one line rejected");
    let records = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<Value> = records
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{records}");
    assert_eq!(lines[0]["kind"], "invalid");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(
        server.message_ids().len(),
        99,
        "the second run sent nothing"
    );
}
