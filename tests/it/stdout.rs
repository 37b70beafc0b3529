//! Writing output is part of the work: output that cannot be written (a
//! full disk, `> /dev/full`) is an error of its own and a non-zero exit,
//! whichever command wrote it; a reader that went away (`| head -1`) is not.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::*;

const LOST: &str = "cio: error: cannot write to stdout: No space left on device\n";

fn to_dev_full(mut cmd: Command) -> std::process::Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    cmd.stdout(full).output().unwrap()
}

/// `n` valid calls in `in.ndjson`.
fn calls(env: &CioEnv, n: usize) -> std::path::PathBuf {
    let input = env.path().join("in.ndjson");
    let line = "{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\"}\n";
    std::fs::write(&input, line.repeat(n)).unwrap();
    input
}

#[test]
fn every_stdout_writer_fails_on_a_full_disk() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = calls(&env, 3);
    let input = input.to_str().unwrap();
    let offline: &[&[&str]] = &[
        &["batch", "--dry-run", "--print", input],
        &["batch", "--dry-run", "--json", input],
        &["track", "--dry-run", "--user-id", "u", "e"],
        &["identify", "--dry-run", "--user-id", "u"],
        &["lint", "--json", input],
        &["completions", "bash"],
        &["man"],
        &["config", "path"],
        &["events"],
        &["--help"],
        &["batch", "--help"],
        &["--version"],
    ];
    let online: &[&[&str]] = &[
        &["batch", "--json", input],
        &["track", "--user-id", "u", "e"],
        &["track", "--json", "--user-id", "u", "e"],
        &["ping"],
    ];
    let runs = offline
        .iter()
        .map(|args| (args, env.std_cmd()))
        .chain(online.iter().map(|args| (args, env.std_cmd_for(&server))));
    for (args, mut cmd) in runs {
        cmd.args(*args);
        let out = to_dev_full(cmd);
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.ends_with(LOST), "{args:?}: {stderr}");
        assert_eq!(
            stderr.matches("cio: error:").count(),
            1,
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_dry_run_to_a_full_disk_says_so_after_its_summary() {
    let env = CioEnv::new();
    let input = calls(&env, 2);
    let mut cmd = env.std_cmd();
    cmd.args(["batch", "--dry-run", "--print"]).arg(&input);
    let out = to_dev_full(cmd);
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    let (summary, error) = stderr.split_once('\n').unwrap();
    assert!(summary.starts_with("2 read, 2 would deliver"), "{stderr}");
    assert_eq!(error, LOST);
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    let env = CioEnv::new();
    let input = calls(&env, 5000);
    let input = input.to_str().unwrap();
    for args in [
        &["batch", "--dry-run", "--print", "-q", input][..],
        &["completions", "bash"],
        &["man"],
    ] {
        let mut child = env
            .std_cmd()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -1`: one line read, then the pipe closed.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        assert_eq!(stderr_of(&out), "", "{args:?}");
    }
}
