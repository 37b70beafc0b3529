//! Crash and resume: `cio batch --checkpoint` killed with SIGKILL early, in the
//! middle, and while it waits to retry, then run again; and stopped with SIGINT.
//! The union of what the server received holds every call, and what was sent
//! twice is bounded by what was in flight.

use std::collections::HashSet;
use std::io::Write;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::json;

const CALLS: usize = 20_000;
const CONCURRENCY: usize = 3;
const PER_BATCH: usize = 100;

struct Replay {
    env: CioEnv,
    server: TestServer,
    /// While set, the server answers 500 to everything.
    failing: Arc<AtomicBool>,
    args: Vec<String>,
}

impl Replay {
    /// Each request takes a moment, so that a kill lands with requests in flight.
    fn new() -> Replay {
        Replay::answering(|_| Reply::delay(Duration::from_millis(15), Reply::ok()))
    }

    /// A replay whose server answers with `reply` while not failing.
    fn answering(reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Replay {
        let env = CioEnv::new();
        let input = env.path().join("in.ndjson");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for n in 0..CALLS {
            // No messageId in the input: the resumed run must derive the same ones.
            writeln!(out, "{}", json!({"type": "track", "event": "e", "userId": format!("u{n}"), "properties": {"n": n}})).unwrap();
        }
        drop(out);
        let failing = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&failing);
        let server = TestServer::with_handler(move |request| {
            if flag.load(Ordering::SeqCst) {
                Reply::status(500, "down")
            } else {
                reply(request)
            }
        });
        let path = |name: &str| env.path().join(name).display().to_string();
        let args = vec![
            "batch".into(),
            path("in.ndjson"),
            "--checkpoint".into(),
            path("replay.ckpt"),
            "--rejects".into(),
            path("rejects.ndjson"),
            "--concurrency".into(),
            CONCURRENCY.to_string(),
            "--max-batch-calls".into(),
            PER_BATCH.to_string(),
        ];
        Replay {
            env,
            server,
            failing,
            args,
        }
    }

    fn accepted_requests(&self) -> usize {
        self.server.requests().iter().filter(|r| r.accepted).count()
    }

    /// Starts the replay, waits until `ready`, then sends `signal`; returns the output.
    fn interrupt(&self, signal: &str, ready: impl Fn(&Replay) -> bool) -> std::process::Output {
        let mut cmd = self.env.std_cmd_for(&self.server);
        cmd.args(&self.args);
        self.interrupt_run(cmd, signal, ready)
    }

    /// `interrupt` with the replay started by `cmd`.
    fn interrupt_run(
        &self,
        mut cmd: std::process::Command,
        signal: &str,
        ready: impl Fn(&Replay) -> bool,
    ) -> std::process::Output {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready(self) {
            assert!(
                Instant::now() < deadline,
                "never reached the point to interrupt at"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let status = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        child.wait_with_output().unwrap()
    }

    /// Runs the same command again to the end and checks the promise.
    fn resume_and_check(&self) {
        self.failing.store(false, Ordering::SeqCst);
        let before = self.server.message_ids().len();
        assert!(before < CALLS, "the first run was stopped before the end");
        let out = self
            .env
            .cmd_for(&self.server)
            .args(&self.args)
            .arg("--json")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let all = self.server.message_ids();
        let unique: HashSet<&String> = all.iter().collect();
        assert_eq!(
            unique.len(),
            CALLS,
            "every call delivered across the two runs"
        );
        let resent = all.len() - CALLS;
        assert!(
            resent <= CONCURRENCY * PER_BATCH,
            "{resent} calls sent twice; at most {} were in flight",
            CONCURRENCY * PER_BATCH
        );
        for file in ["replay.ckpt", "rejects.ndjson"] {
            assert_no_key(&std::fs::read_to_string(self.env.path().join(file)).unwrap_or_default());
        }
    }
}

#[test]
fn killed_early() {
    let replay = Replay::new();
    let out = replay.interrupt("-KILL", |r| r.accepted_requests() >= 1);
    assert_eq!(out.status.code(), None, "killed by a signal");
    replay.resume_and_check();
}

#[test]
fn killed_in_the_middle() {
    let replay = Replay::new();
    replay.interrupt("-KILL", |r| r.accepted_requests() >= CALLS / PER_BATCH / 2);
    replay.resume_and_check();
}

#[test]
fn killed_while_an_early_batch_is_slow() {
    // The first batch hangs while later ones are acknowledged: the checkpoint
    // must record those beyond its watermark, or a resume would send them again.
    let stalled = AtomicBool::new(false);
    let replay = Replay::answering(move |request| {
        let first = request
            .json_opt()
            .is_some_and(|body| body["batch"][0]["properties"]["n"] == 0);
        if first && !stalled.swap(true, Ordering::SeqCst) {
            Reply::delay(Duration::from_secs(5), Reply::ok())
        } else {
            Reply::delay(Duration::from_millis(5), Reply::ok())
        }
    });
    replay.interrupt("-KILL", |r| r.accepted_requests() >= 20);
    replay.resume_and_check();
}

#[test]
fn killed_while_waiting_to_retry() {
    let replay = Replay::new();
    let failing = Arc::clone(&replay.failing);
    replay.interrupt("-KILL", move |r| {
        if r.accepted_requests() >= 30 {
            failing.store(true, Ordering::SeqCst);
        }
        r.server
            .requests()
            .iter()
            .filter(|q| q.status == Some(500))
            .count()
            >= CONCURRENCY
    });
    replay.resume_and_check();
}

#[test]
fn ctrl_c_stops_saves_the_checkpoint_and_prints_the_summary() {
    stops_saves_the_checkpoint_and_prints_the_summary("-INT");
}

/// A closed terminal or a dropped ssh session: its default would kill the run.
#[test]
fn a_hangup_stops_like_ctrl_c() {
    stops_saves_the_checkpoint_and_prints_the_summary("-HUP");
}

/// `nohup cio batch …` must outlive its terminal, and a script's background
/// command is not stopped by the Ctrl-C meant for the foreground: a signal
/// ignored when cio starts stays ignored (`trap ""` is how both ignore).
#[test]
fn signals_ignored_at_start_stay_ignored() {
    for signal in ["-HUP", "-INT"] {
        let replay = Replay::new();
        let mut cio = replay.env.std_cmd_for(&replay.server);
        cio.args(&replay.args);
        let cmd = through_sh(&cio, r#"trap "" HUP INT"#);
        let out = replay.interrupt_run(cmd, signal, |r| r.accepted_requests() >= 20);
        assert_eq!(out.status.code(), Some(0), "{signal}: {}", stderr_of(&out));
        let delivered: HashSet<String> = replay.server.message_ids().into_iter().collect();
        assert_eq!(
            delivered.len(),
            CALLS,
            "{signal}: the run went on to the end"
        );
    }
}

fn stops_saves_the_checkpoint_and_prints_the_summary(signal: &str) {
    let replay = Replay::new();
    let out = replay.interrupt(signal, |r| r.accepted_requests() >= 20);
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(" read, ") && stderr.contains(" delivered, "),
        "summary printed: {stderr}"
    );
    assert!(
        stderr.contains("stopped; everything from ") && stderr.contains("in.ndjson:"),
        "{stderr}"
    );
    let checkpoint: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(replay.env.path().join("replay.ckpt")).unwrap(),
    )
    .unwrap();
    // After Ctrl-C the requests in flight finish, so the checkpoint covers all that was delivered.
    let done = lines_done(&checkpoint) as usize;
    assert_eq!(done, replay.server.message_ids().len(), "{checkpoint}");
    replay.resume_and_check();
}
