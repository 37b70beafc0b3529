//! Shared test support: a real HTTP server on 127.0.0.1 that records what it
//! receives and answers as the test scripts it (faults included), and a
//! builder that runs the real `cio` binary in a private environment.
//!
//! The suites of the one test binary (`tests/it/main.rs`) share it.

mod faults;
mod proxy;
mod server;
mod tls;
pub mod turns;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

pub use faults::{Fault, FaultProfile};
pub use proxy::{ProxyMode, TestProxy};
pub use server::{Recorded, Reply, TestServer};
pub use tls::TestCa;

/// The write key every test uses, so outputs can be searched for it.
pub const TEST_KEY: &str = "wk_test_9f8e7d6c5b4a3210SECRET";

/// A private environment for the binary: its own HOME and XDG_CONFIG_HOME in
/// a temp dir (removed on drop), and no inherited variable but PATH.
pub struct CioEnv {
    dir: tempfile::TempDir,
    /// This test's turn on the machine (see `turns`), held as long as the env.
    _turn: Option<turns::Shared>,
}

impl Default for CioEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl CioEnv {
    pub fn new() -> CioEnv {
        CioEnv {
            _turn: turns::shared(),
            dir: tempfile::Builder::new()
                .prefix("cio-test-")
                .tempdir()
                .expect("create temp dir"),
        }
    }

    /// The temp dir; also HOME.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<tmp>/xdg`, the XDG_CONFIG_HOME given to the binary.
    pub fn xdg_config_home(&self) -> PathBuf {
        self.dir.path().join("xdg")
    }

    /// `<tmp>/xdg/cio`, where cio keeps its config (not created here).
    pub fn config_dir(&self) -> PathBuf {
        self.xdg_config_home().join("cio")
    }

    /// The binary with a cleared environment plus PATH, HOME, XDG_CONFIG_HOME and NO_COLOR=1.
    pub fn std_cmd(&self) -> std::process::Command {
        // env! is filled in by cargo for integration tests, whatever its version or build dir.
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cio"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.xdg_config_home())
            .env("NO_COLOR", "1");
        cmd
    }

    /// `std_cmd()` pointed at `server` with `TEST_KEY`, for tests that need the child process.
    pub fn std_cmd_for(&self, server: &TestServer) -> std::process::Command {
        let mut cmd = self.std_cmd();
        cmd.env("CIO_ENDPOINT", server.endpoint())
            .env("CIO_WRITE_KEY", TEST_KEY);
        cmd
    }

    /// `std_cmd()` as an `assert_cmd::Command`.
    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// `cmd()` pointed at `server` (CIO_ENDPOINT) with `TEST_KEY` (CIO_WRITE_KEY).
    pub fn cmd_for(&self, server: &TestServer) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd_for(server))
    }

    /// The `peers/` directories replays met in (under `~/.local/state`), and
    /// the files left in them.
    pub fn peer_dirs_and_files(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let state = walk(&self.path().join(".local/state"));
        let dirs: Vec<PathBuf> = state
            .iter()
            .filter(|p| p.ends_with("peers"))
            .cloned()
            .collect();
        let files = state
            .into_iter()
            .filter(|p| p.is_file() && dirs.iter().any(|d| p.starts_with(d)))
            .collect();
        (dirs, files)
    }
}

/// Every file and directory under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

/// The JSON summary `cio batch --json` prints on stdout.
pub fn summary(out: &Output) -> Value {
    serde_json::from_str(stdout_of(out).trim())
        .unwrap_or_else(|_| panic!("no JSON summary: {}\n{}", stdout_of(out), stderr_of(out)))
}

/// Runs `cmd`, a `cio batch --json ...`, checks that it exits with `code`
/// (showing its stderr if not) and returns its output and JSON summary.
pub fn batch_json(cmd: &mut assert_cmd::Command, code: i32) -> (Output, Value) {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{}", stderr_of(&out));
    let summary = summary(&out);
    (out, summary)
}

/// Checks counts of a batch summary by name, all at once, showing the whole
/// summary when one differs.
pub fn assert_counts(summary: &Value, expected: &[(&str, u64)]) {
    let found: Vec<(&str, Option<u64>)> = expected
        .iter()
        .map(|&(name, _)| (name, summary[name].as_u64()))
        .collect();
    let wanted: Vec<(&str, Option<u64>)> = expected
        .iter()
        .map(|&(name, count)| (name, Some(count)))
        .collect();
    assert_eq!(found, wanted, "summary: {summary}");
}

/// Checks that cio refused at once: exit 2 and `cio: error: {message}` alone on stderr.
pub fn assert_refused(out: &Output, message: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(out));
    assert_eq!(stderr_of(out), format!("cio: error: {message}\n"));
}

/// `cmd` started through `sh`, which first runs `setup`: `trap "" HUP` ignores
/// a signal as `nohup` does, `ulimit -S -f 16` caps the size of files written;
/// either outlives the exec.
pub fn through_sh(cmd: &std::process::Command, setup: &str) -> std::process::Command {
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg(format!(r#"{setup}; exec "$0" "$@""#))
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
    sh
}

pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails if `TEST_KEY` appears in `text`, plainly, as Basic-auth base64, or in part.
pub fn assert_no_key(text: &str) {
    assert!(!text.contains(TEST_KEY), "the write key leaked:\n{text}");
    // base64("KEY:") without its last group, which covers base64("KEY") and
    // unpadded forms too (the key is 30 bytes, a whole number of 3-byte groups).
    let encoded = base64_encode(format!("{TEST_KEY}:").as_bytes());
    let stem = &encoded[..40];
    assert!(
        !text.contains(stem),
        "the write key leaked in base64 ({encoded}):\n{text}"
    );
    assert!(
        !text.contains("9f8e7d6c5b4a3210"),
        "part of the write key leaked:\n{text}"
    );
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        // A chunk of n bytes gives n + 1 digits, then padding up to 4.
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(group >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64, padding optional; None on any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let digit = BASE64.iter().position(|&d| d == c)? as u32;
        acc = (acc << 6) | digit;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Samples the peak resident memory of `child` (VmHWM) until it ends, in KB.
pub fn peak_rss_kb(child: &mut std::process::Child) -> u64 {
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                peak = peak.max(kb);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    peak
}

/// How many lines a checkpoint of one input counts done: every line up to
/// `done`, and those of the ranges past it (a replay sends each user's calls
/// in order, but different users' batches finish in any order).
pub fn lines_done(checkpoint: &Value) -> u64 {
    let line = |at: &Value| at["line"].as_u64().unwrap();
    let ranges = checkpoint["also_done"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    line(&checkpoint["done"])
        + ranges
            .iter()
            .map(|r| line(&r[1]) - line(&r[0]) + 1)
            .sum::<u64>()
}

/// The input lines of the calls in `request`, whose `properties.n` is their
/// 0-based line number: the first, the last and how many, as cio names
/// them in `file:first-last: N calls not delivered`.
pub fn line_span(request: &Recorded) -> (u64, u64, usize) {
    let lines: Vec<u64> = (request.calls().iter())
        .map(|c| c["properties"]["n"].as_u64().unwrap() + 1)
        .collect();
    let (first, last) = (lines.iter().min().unwrap(), lines.iter().max().unwrap());
    (*first, *last, lines.len())
}
