//! Nothing silently lost in a replay: after an outage, a wrong key, a 403, a
//! wrong endpoint or a 429 storm, running the same command again delivers
//! every call exactly once by messageId; the rejects file says which records
//! are still owed and replays them with their first messageIds; messageIds
//! mean "the same event"; two Ctrl-Cs (or SIGTERMs) stop a replay at once.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

const PER_BATCH: usize = 100;

fn untimed_line(n: usize) -> String {
    json!({"type": "track", "event": "deploy", "userId": format!("u{n}"), "properties": {"n": n}})
        .to_string()
}

fn timed_line(n: usize) -> String {
    json!({"type": "track", "event": "deploy", "userId": format!("u{n}"),
           "timestamp": format!("2026-01-01T00:00:{:02}Z", n % 60), "properties": {"n": n}})
    .to_string()
}

fn write_lines(path: &Path, lines: impl IntoIterator<Item = String>) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for line in lines {
        writeln!(out, "{line}").unwrap();
    }
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A server that checks the key and the path like the API, and otherwise
/// answers as the test sets it: `None` for 200, or a scripted failure.
struct Api {
    server: TestServer,
    failure: Arc<Mutex<Option<Reply>>>,
}

impl Api {
    fn start() -> Api {
        let failure: Arc<Mutex<Option<Reply>>> = Arc::new(Mutex::new(None));
        let now = Arc::clone(&failure);
        let server = TestServer::with_handler(move |r| {
            if r.basic_auth_user().as_deref() != Some(TEST_KEY) {
                return Reply::status(401, r#"{"message":"invalid write key"}"#);
            }
            if r.path != "/v1/batch" {
                return Reply::status(404, "unknown path");
            }
            now.lock().unwrap().clone().unwrap_or_else(Reply::ok)
        });
        Api { server, failure }
    }

    fn fail_with(&self, reply: Option<Reply>) {
        *self.failure.lock().unwrap() = reply;
    }
}

/// A replay of `lines` lines through `cio batch` with a checkpoint and a rejects file.
struct Replay {
    env: CioEnv,
    api: Api,
    input: PathBuf,
    lines: usize,
}

impl Replay {
    fn new(lines: usize, line: fn(usize) -> String) -> Replay {
        let env = CioEnv::new();
        let input = env.path().join("in.ndjson");
        write_lines(&input, (0..lines).map(line));
        Replay {
            env,
            api: Api::start(),
            input,
            lines,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.env.path().join(name)
    }

    fn args(&self) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        vec![
            "batch".into(),
            "--json".into(),
            path(&self.input),
            "--checkpoint".into(),
            path(&self.file("ck")),
            "--rejects".into(),
            path(&self.file("rejects.ndjson")),
            "--concurrency".into(),
            "2".into(),
            "--max-batch-calls".into(),
            PER_BATCH.to_string(),
        ]
    }

    /// The command, pointed at the server with the right key and no retries.
    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = self.env.cmd_for(&self.api.server);
        cmd.env("CIO_RETRIES", "0").args(self.args());
        cmd
    }

    /// Runs the same command again against a healthy server and checks that
    /// every call arrived exactly once over both runs, but for `resent_at_most`.
    fn rerun_delivers_everything(&self, resent_at_most: usize) -> Value {
        self.api.fail_with(None);
        let out = self.cmd().output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let s = summary(&out);
        assert_eq!(s["owed"], 0, "{s}");
        assert_eq!(s["complete"], true, "{s}");
        let ids = self.api.server.message_ids();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), self.lines, "every call delivered");
        assert!(
            ids.len() - self.lines <= resent_at_most,
            "{} calls delivered twice",
            ids.len() - self.lines
        );
        // A third run has nothing left to send, and says so.
        let again = self.cmd().arg("-q").output().unwrap();
        assert_eq!(again.status.code(), Some(0));
        assert_eq!(summary(&again)["read"], 0);
        assert_eq!(self.api.server.message_ids().len(), ids.len());
        s
    }
}

#[test]
fn a_line_without_timestamp_is_a_new_event_in_every_run() {
    let env = CioEnv::new();
    let api = Api::start();
    let deploy = r#"{"type":"track","event":"deploy","userId":"ci"}"#;
    for _ in 0..2 {
        let mut cmd = env.cmd_for(&api.server);
        cmd.args(["batch", "-q", "-"])
            .write_stdin(format!("{deploy}\n"));
        assert_eq!(cmd.output().unwrap().status.code(), Some(0));
    }
    let ids = api.server.message_ids();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "two deploys are two events");
}

#[test]
fn a_timestamped_archive_gets_the_same_ids_under_any_name() {
    let env = CioEnv::new();
    let api = Api::start();
    let archive = env.path().join("x.ndjson");
    write_lines(&archive, (0..50).map(timed_line));
    let copy = env.path().join("renamed.ndjson");
    std::fs::copy(&archive, &copy).unwrap();
    let mut sets = Vec::new();
    let spellings: [&dyn Fn(&mut assert_cmd::Command); 5] = [
        &|c| {
            c.current_dir(env.path()).arg("x.ndjson");
        },
        &|c| {
            c.current_dir(env.path()).arg("./x.ndjson");
        },
        &|c| {
            c.arg(&archive);
        },
        &|c| {
            c.arg(&copy);
        },
        &|c| {
            c.arg("-").write_stdin(std::fs::read(&archive).unwrap());
        },
    ];
    for spell in spellings {
        let before = api.server.message_ids().len();
        let mut cmd = env.cmd_for(&api.server);
        cmd.args(["batch", "-q"]);
        spell(&mut cmd);
        assert_eq!(cmd.output().unwrap().status.code(), Some(0));
        let ids: Vec<String> = api.server.message_ids()[before..].to_vec();
        assert_eq!(ids.len(), 50);
        sets.push(ids.into_iter().collect::<HashSet<_>>());
    }
    assert_eq!(sets[0].len(), 50, "different lines, different ids");
    for set in &sets[1..] {
        assert_eq!(set, &sets[0], "the same archive, the same ids");
    }
}

#[test]
fn after_an_outage_the_same_command_delivers_what_is_owed() {
    let replay = Replay::new(3_000, untimed_line);
    replay
        .api
        .fail_with(Some(Reply::status(500, "internal error")));
    let out = replay.cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let s = summary(&out);
    assert_eq!(s["delivered"], 0);
    assert_eq!(s["complete"], false);
    assert_eq!(s["owed"], s["read"], "{s}");
    assert!(s["resume_from"].as_str().unwrap().ends_with("in.ndjson:1"));
    // Three batches in a row failed (the run then stops): each is one stderr line.
    let stderr = stderr_of(&out);
    assert!(stderr.lines().count() <= 6, "{stderr}");
    let (first, last, calls) = line_span(&replay.api.server.requests()[0]);
    assert!(
        stderr.contains(&format!(
            "in.ndjson:{first}-{last}: {calls} calls not delivered: 500 internal error"
        )),
        "{stderr}"
    );
    // The untried lines are owed, not rejects.
    let rejects = records(&replay.file("rejects.ndjson"));
    assert_eq!(rejects.len() as u64, s["undeliverable"].as_u64().unwrap());
    assert!(rejects.len() < 3_000 && !rejects.is_empty());
    assert!(rejects.iter().all(|r| r["kind"] == "undeliverable"));
    replay.rerun_delivers_everything(0);
}

#[test]
fn the_same_input_under_another_spelling_resumes() {
    let replay = Replay::new(1_000, untimed_line);
    replay
        .api
        .fail_with(Some(Reply::status(500, "internal error")));
    let out = replay.cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    replay.api.fail_with(None);
    std::os::unix::fs::symlink(&replay.input, replay.file("link.ndjson")).unwrap();
    // The checkpoint names the input by its absolute path; these name the same file.
    let run_as = |name: &str| {
        let input = replay.input.display().to_string();
        let args = (replay.args().into_iter()).map(|a| if a == input { name.into() } else { a });
        let mut cmd = replay.env.cmd_for(&replay.api.server);
        cmd.current_dir(replay.env.path())
            .env("CIO_RETRIES", "0")
            .args(args.collect::<Vec<String>>());
        cmd.output().unwrap()
    };
    let out = run_as("link.ndjson");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = run_as("./in.ndjson");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        summary(&out)["read"],
        0,
        "nothing left: {}",
        stderr_of(&out)
    );
    let ids = replay.api.server.message_ids();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!((unique.len(), ids.len()), (1_000, 1_000), "each call once");
}

#[test]
fn an_outage_halfway_re_sends_only_what_is_owed() {
    // The server takes the first ten batches, then goes down.
    let replay = Replay::new(3_000, untimed_line);
    let failure = Arc::clone(&replay.api.failure);
    let handler_failure = Arc::clone(&failure);
    let served = Arc::new(Mutex::new(0usize));
    let api = Api {
        server: TestServer::with_handler(move |_| {
            let mut n = served.lock().unwrap();
            *n += 1;
            if *n == 11 {
                *handler_failure.lock().unwrap() = Some(Reply::status(503, "down"));
            }
            handler_failure
                .lock()
                .unwrap()
                .clone()
                .unwrap_or_else(Reply::ok)
        }),
        failure,
    };
    let replay = Replay { api, ..replay };
    let out = replay.cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let s = summary(&out);
    let delivered = replay.api.server.message_ids().len() as u64;
    assert!(delivered >= 900, "ten batches of up to 100: {s}");
    assert_eq!(s["delivered"], delivered, "{s}");
    assert!(s["owed"].as_u64().unwrap() > 0);
    // The rerun never re-sends what was delivered: nothing was in flight at a crash.
    let s = replay.rerun_delivers_everything(0);
    assert_eq!(s["delivered"].as_u64().unwrap() + delivered, 3_000);
}

/// What a rerun over an export written anew under the same name says: the
/// lines the checkpoint has done are other lines now.
fn refused_as_written_anew(replay: &Replay) {
    refused_for(replay, "its first line differs");
}

/// `refused_as_written_anew`, for the reason given.
fn refused_for(replay: &Replay, why: &str) {
    refused_unsent(replay, replay.cmd(), &written_anew(replay, why));
}

/// `cmd` refused at once with `message`, nothing sent.
fn refused_unsent(replay: &Replay, mut cmd: assert_cmd::Command, message: &str) {
    let sent = replay.api.server.message_ids().len();
    assert_refused(&cmd.output().unwrap(), message);
    assert_eq!(replay.api.server.message_ids().len(), sent, "nothing sent");
}

/// The refusal of the replay's input as not the one its checkpoint was written for.
fn written_anew(replay: &Replay, why: &str) -> String {
    format!(
        "{}: not the input checkpoint {} was written for ({why}); remove the checkpoint to send it anew",
        replay.input.display(),
        replay.file("ck").display()
    )
}

#[test]
fn a_checkpoint_refuses_an_input_written_anew_after_an_outage() {
    // The server takes three batches, then goes down.
    let replay = Replay::new(1_000, untimed_line);
    let served = Arc::new(Mutex::new(0usize));
    let failure = Arc::clone(&replay.api.failure);
    let api = Api {
        server: TestServer::with_handler(move |_| {
            let mut n = served.lock().unwrap();
            *n += 1;
            let mut failure = failure.lock().unwrap();
            if *n == 4 && failure.is_none() {
                *failure = Some(Reply::status(503, "down"));
            }
            failure.clone().unwrap_or_else(Reply::ok)
        }),
        failure: Arc::clone(&replay.api.failure),
    };
    let replay = Replay { api, ..replay };
    let out = replay.cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let delivered = replay.api.server.message_ids().len();
    assert!(delivered > 0);
    assert_eq!(summary(&out)["delivered"], delivered);
    // The export is made again before the rerun: other calls, same name.
    write_lines(&replay.input, (5_000..6_000).map(untimed_line));
    replay.api.fail_with(None);
    refused_as_written_anew(&replay);
}

#[test]
fn a_finished_checkpoint_refuses_an_input_written_anew_and_resumes_one_that_grew() {
    let replay = Replay::new(300, untimed_line);
    let first = replay.cmd().output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    // Grown: the 300 lines as they were, and 50 more, which alone go.
    write_lines(&replay.input, (0..350).map(untimed_line));
    let grown = replay.cmd().output().unwrap();
    assert_eq!(grown.status.code(), Some(0), "{}", stderr_of(&grown));
    assert_eq!(summary(&grown)["delivered"], 50);
    assert_eq!(replay.api.server.message_ids().len(), 350);
    // Tomorrow's export under today's name (a cron job keeping its
    // checkpoint): not "every line is done".
    write_lines(&replay.input, (1_000..1_300).map(untimed_line));
    refused_as_written_anew(&replay);
}

/// Appends `text` to the file at `path`, as a writer still at work would.
fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// The userIds of the calls the server accepted, sorted (requests in
/// flight together arrive in any order).
fn user_ids(api: &Api) -> Vec<String> {
    let mut ids: Vec<String> = (api.server.requests().iter())
        .filter(|r| r.accepted)
        .flat_map(|r| r.json()["batch"].as_array().cloned().unwrap_or_default())
        .map(|call| call["userId"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_last_line_still_being_written_is_left_for_the_next_run() {
    // A log whose writer is halfway through line 301 when cron runs.
    let replay = Replay::new(300, untimed_line);
    let line_301 = untimed_line(300);
    let (half, rest) = line_301.split_at(line_301.len() / 2);
    append(&replay.input, half);
    let (first, s) = batch_json(&mut replay.cmd(), 0);
    let at = format!("{}:301", replay.input.display());
    assert_counts(&s, &[("delivered", 300), ("rejected", 0), ("owed", 0)]);
    assert_eq!(s["unfinished"], at.as_str(), "{s}");
    assert!(
        stderr_of(&first).contains(&format!("cio: warning: {at}: no newline at its end and not whole JSON, so perhaps still being written: left for the next run, which reads it whole")),
        "{}",
        stderr_of(&first)
    );
    assert!(records(&replay.file("rejects.ndjson")).is_empty());
    // The writer finishes it and writes two more: line 301 goes whole, once.
    append(
        &replay.input,
        &format!("{rest}\n{}\n{}\n", untimed_line(301), untimed_line(302)),
    );
    let (_, s) = batch_json(&mut replay.cmd(), 0);
    assert_counts(
        &s,
        &[("delivered", 3), ("rejected", 0), ("resumed_past", 300)],
    );
    assert_eq!(s["unfinished"], Value::Null, "{s}");
    let mut expected: Vec<String> = (0..303).map(|n| format!("u{n}")).collect();
    expected.sort();
    assert_eq!(user_ids(&replay.api), expected, "each call once, 301 whole");
}

#[test]
fn a_first_line_still_being_written_is_left_and_then_sent() {
    let replay = Replay::new(0, untimed_line);
    let line = untimed_line(0);
    let (half, rest) = line.split_at(20);
    append(&replay.input, half);
    let (_, s) = batch_json(&mut replay.cmd(), 0);
    assert_counts(&s, &[("read", 0), ("delivered", 0), ("rejected", 0)]);
    assert_eq!(
        s["unfinished"],
        format!("{}:1", replay.input.display()).as_str()
    );
    // Its first line is known only once it is whole: no "written anew" refusal.
    append(&replay.input, &format!("{rest}\n"));
    let (_, s) = batch_json(&mut replay.cmd(), 0);
    assert_counts(&s, &[("delivered", 1), ("rejected", 0)]);
    assert_eq!(user_ids(&replay.api), ["u0"]);
}

#[test]
fn a_log_emptied_since_the_checkpoint_is_refused_with_the_error_alone() {
    // logrotate's copytruncate: the lines the checkpoint counted are gone.
    let replay = Replay::new(5, untimed_line);
    batch_json(&mut replay.cmd(), 0);
    std::fs::write(&replay.input, "").unwrap();
    let human: Vec<String> = (replay.args().into_iter())
        .filter(|a| a != "--json")
        .collect();
    let out = (replay.env.cmd_for(&replay.api.server))
        .args(human)
        .output()
        .unwrap();
    // No summary telling to run the same command again: it would refuse again.
    assert_refused(&out, &written_anew(&replay, "its first line differs"));
}

#[test]
fn an_unfinished_last_line_is_invalid_where_no_run_reads_on() {
    // Without a checkpoint, or from a pipe (whose end is the end): the line
    // is reported, not left.
    let env = CioEnv::new();
    let api = Api::start();
    let input = env.path().join("in.ndjson");
    write_lines(&input, (0..2).map(untimed_line));
    append(&input, "{\"type\":\"track\",\"ev");
    let mut without_checkpoint = env.cmd_for(&api.server);
    without_checkpoint.args(["batch", "--json"]).arg(&input);
    let mut from_stdin = env.cmd_for(&api.server);
    (from_stdin.args(["batch", "--json", "-", "--checkpoint"]))
        .arg(env.path().join("ck"))
        .write_stdin(std::fs::read(&input).unwrap());
    for (name, mut cmd) in [("no checkpoint", without_checkpoint), ("stdin", from_stdin)] {
        let (_, s) = batch_json(&mut cmd, 6);
        assert_counts(&s, &[("delivered", 2), ("invalid", 1)]);
        assert_eq!(s["unfinished"], Value::Null, "{name}");
    }
}

#[test]
fn a_finished_checkpoint_refuses_an_export_written_anew_that_starts_alike() {
    // A daily export sorted the same way: the same first call, other calls after it.
    let replay = Replay::new(300, untimed_line);
    batch_json(&mut replay.cmd(), 0);
    let anew = |lines: usize| {
        let rest = (1_000..1_000 + lines - 1).map(untimed_line);
        write_lines(&replay.input, std::iter::once(untimed_line(0)).chain(rest));
    };
    anew(400);
    refused_for(&replay, "its line 300 differs");
    // Shorter than the lines the checkpoint has done: not one that grew either.
    anew(200);
    refused_for(&replay, "its line 300 differs");
    // The export as it was, and grown: its new lines go.
    write_lines(&replay.input, (0..310).map(untimed_line));
    let (_, s) = batch_json(&mut replay.cmd(), 0);
    assert_counts(&s, &[("delivered", 10), ("resumed_past", 300)]);
}

/// The refusal of `input`, done as a whole, which was `then` bytes long.
fn grew_since(replay: &Replay, input: &Path, then: u64) -> String {
    format!(
        "{}: grew since checkpoint {} was written ({then} bytes then, {} now); only the last input of lines is read on from where it ended: give it a run of its own, or remove the checkpoint to send everything anew",
        input.display(),
        replay.file("ck").display(),
        std::fs::metadata(input).unwrap().len()
    )
}

#[test]
fn a_json_document_written_anew_is_refused_though_it_starts_alike() {
    // Another tool's pretty-printed array: every export's first line is `[`.
    let replay = Replay::new(0, untimed_line);
    let document = |calls: std::ops::Range<usize>| {
        let calls: Vec<Value> = calls
            .map(|n| serde_json::from_str(&untimed_line(n)).unwrap())
            .collect();
        std::fs::write(&replay.input, serde_json::to_string_pretty(&calls).unwrap()).unwrap();
    };
    document(0..50);
    let (_, s) = batch_json(&mut replay.cmd(), 0);
    assert_counts(&s, &[("delivered", 50)]);
    let then = std::fs::metadata(&replay.input).unwrap().len();
    document(100..160);
    refused_unsent(
        &replay,
        replay.cmd(),
        &grew_since(&replay, &replay.input, then),
    );
}

#[test]
fn only_the_last_input_grows_and_one_before_it_that_grew_is_refused() {
    let replay = Replay::new(100, untimed_line);
    let before = replay.file("before.ndjson");
    write_lines(&before, (500..600).map(untimed_line));
    // `before.ndjson` first, then the replay's input (and its flags).
    let cmd = || {
        let mut cmd = replay.env.cmd_for(&replay.api.server);
        let args = replay.args();
        (cmd.env("CIO_RETRIES", "0"))
            .args(&args[..2])
            .arg(&before)
            .args(&args[2..]);
        cmd
    };
    batch_json(&mut cmd(), 0);
    // The last input grew: its new lines go.
    write_lines(&replay.input, (0..110).map(untimed_line));
    let (_, s) = batch_json(&mut cmd(), 0);
    assert_counts(&s, &[("delivered", 10), ("resumed_inputs", 1)]);
    // The one before it grew: refused, not passed over as done.
    let then = std::fs::metadata(&before).unwrap().len();
    write_lines(&before, (500..610).map(untimed_line));
    refused_unsent(&replay, cmd(), &grew_since(&replay, &before, then));
}

#[test]
fn after_a_wrong_key_the_right_key_delivers_everything() {
    let replay = Replay::new(1_000, untimed_line);
    let out = replay
        .cmd()
        .env("CIO_WRITE_KEY", "wk_wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert_eq!(summary(&out)["complete"], false);
    replay.rerun_delivers_everything(0);
}

#[test]
fn after_a_403_the_rerun_delivers_everything() {
    let replay = Replay::new(1_000, untimed_line);
    replay
        .api
        .fail_with(Some(Reply::status(403, "source disabled")));
    let out = replay.cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    replay.rerun_delivers_everything(0);
}

#[test]
fn after_a_wrong_endpoint_the_right_one_delivers_everything() {
    let replay = Replay::new(5_000, untimed_line);
    let out = replay
        .cmd()
        .env("CIO_ENDPOINT", replay.api.server.url("/wrong"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    // Every batch is refused alike: a handful of lines, not one per call.
    let stderr = stderr_of(&out);
    assert!(stderr.lines().count() <= 4, "{stderr}");
    assert!(
        stderr.contains("calls not delivered: server refused (404): unknown path"),
        "{stderr}"
    );
    replay.rerun_delivers_everything(0);
}

#[test]
fn after_a_429_storm_longer_than_the_retries_the_rerun_delivers_everything() {
    let replay = Replay::new(1_000, untimed_line);
    replay.api.fail_with(Some(Reply::status_with_headers(
        429,
        &[("Retry-After", "0")],
        "slow down",
    )));
    let out = replay.cmd().env("CIO_RETRIES", "2").output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    replay.rerun_delivers_everything(0);
}

#[test]
fn the_rejects_file_replays_undeliverable_calls_with_their_first_ids() {
    let env = CioEnv::new();
    let api = Api::start();
    let input = env.path().join("in.ndjson");
    // 250 lines without messageId or timestamp: their ids are the run's own.
    let mut lines: Vec<String> = (0..250).map(untimed_line).collect();
    lines.insert(10, r#"{"type":"track","userId":"u"}"#.into());
    write_lines(&input, lines);
    let rejects = env.path().join("rejects.ndjson");
    api.fail_with(Some(Reply::status(500, "down")));
    let out = env
        .cmd_for(&api.server)
        .env("CIO_RETRIES", "0")
        .args([
            "batch",
            "--json",
            "--max-batch-calls",
            "100",
            "--concurrency",
            "1",
        ])
        .arg(&input)
        .arg("--rejects")
        .arg(&rejects)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let first_ids: HashSet<String> = api
        .server
        .requests()
        .iter()
        .flat_map(|r| r.message_ids())
        .collect();
    assert_eq!(first_ids.len(), 250);

    let kept = records(&rejects);
    assert_eq!(kept.len(), 251);
    let invalid: Vec<&Value> = kept.iter().filter(|r| r["kind"] == "invalid").collect();
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0]["line"], 11);
    assert_eq!(invalid[0]["field"], "event");
    let undeliverable: Vec<&Value> = kept
        .iter()
        .filter(|r| r["kind"] == "undeliverable")
        .collect();
    assert_eq!(undeliverable.len(), 250);
    assert!(undeliverable
        .iter()
        .all(|r| r["call"]["messageId"].is_string() && r["reason"] == "500 down"));

    // Replayed as it is: the calls go with the ids and timestamps they were first sent with.
    api.fail_with(None);
    let sent_before = api.server.requests().len();
    let out = env
        .cmd_for(&api.server)
        .args(["batch", "--json"])
        .arg(&rejects)
        .output()
        .unwrap();
    let s = summary(&out);
    assert_eq!(s["delivered"], 250, "{s}");
    assert_eq!(s["invalid"], 1, "the invalid line is still invalid");
    let replayed: Vec<Value> = api.server.requests()[sent_before..]
        .iter()
        .flat_map(|r| r.calls())
        .collect();
    let replayed_ids: HashSet<String> = replayed
        .iter()
        .map(|c| c["messageId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(replayed_ids, first_ids);
    for call in &replayed {
        let record = undeliverable
            .iter()
            .find(|r| r["call"]["messageId"] == call["messageId"])
            .unwrap();
        assert_eq!(call["timestamp"], record["call"]["timestamp"]);
        assert!(call.get("kind").is_none() && call.get("original").is_none());
    }
}

#[test]
fn many_invalid_lines_without_a_rejects_file_are_counted_not_listed() {
    let env = CioEnv::new();
    let api = Api::start();
    let input = env.path().join("in.ndjson");
    let bad = r#"{"type":"track","userId":"u"}"#.to_string();
    write_lines(
        &input,
        std::iter::repeat_n(bad, 50).chain([untimed_line(1)]),
    );
    let out = env
        .cmd_for(&api.server)
        .args(["batch"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let stderr = stderr_of(&out);
    let listed = stderr
        .lines()
        .filter(|l| l.contains("'event' is required"))
        .count();
    assert_eq!(listed, 20, "{stderr}");
    assert!(
        stderr.contains(
            "cio: warning: 30 more rejected lines not shown; add --rejects FILE to keep every one"
        ),
        "{stderr}"
    );
    assert_eq!(api.server.message_ids().len(), 1);
}

/// Two interrupts 300 ms apart while every request hangs for 10 s.
fn interrupted_twice(signal: &str) {
    let replay = Replay::new(2_000, untimed_line);
    replay
        .api
        .fail_with(Some(Reply::delay(Duration::from_secs(10), Reply::ok())));
    let mut cmd = replay.env.std_cmd_for(&replay.api.server);
    cmd.env("CIO_RETRIES", "0")
        .args(replay.args())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    assert!(replay
        .api
        .server
        .wait_for_requests(2, Duration::from_secs(20)));
    let kill = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    };
    kill(signal);
    let requests_at_first = replay.api.server.request_count();
    std::thread::sleep(Duration::from_millis(300));
    kill(signal);
    let second = Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = second.elapsed();
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    // The server answers after 10 s: exiting well before that means it did not wait.
    assert!(
        took < Duration::from_secs(2),
        "exited {took:?} after the second"
    );
    assert_eq!(
        replay.api.server.request_count(),
        requests_at_first,
        "no request started after the first interrupt"
    );
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("cio: finishing 2 requests in flight; Ctrl-C again to stop now"),
        "{stderr}"
    );
    let s = summary(&out);
    assert_eq!(s["delivered"], 0);
    assert_eq!(s["owed"], s["read"], "{s}");
    // Stopped at once, the replay still left the others its part of the quota.
    let (dirs, left) = replay.env.peer_dirs_and_files();
    assert_eq!(dirs.len(), 1, "the replay met the others: {dirs:?}");
    assert!(left.is_empty(), "left behind: {left:?}");
    let checkpoint: Value =
        serde_json::from_str(&std::fs::read_to_string(replay.file("ck")).unwrap()).unwrap();
    assert_eq!(checkpoint["done"]["line"], 0, "{checkpoint}");
    // The requests cut off were taken by the server after all: at most those are sent twice.
    replay.rerun_delivers_everything(2 * PER_BATCH);
}

#[test]
fn two_ctrl_cs_stop_at_once_and_the_rerun_delivers_everything() {
    interrupted_twice("-INT");
}

#[test]
fn two_sigterms_stop_at_once_and_the_rerun_delivers_everything() {
    interrupted_twice("-TERM");
}

#[test]
fn one_ctrl_c_finishes_what_is_in_flight_and_starts_nothing_new() {
    let replay = Replay::new(2_000, untimed_line);
    replay.api.fail_with(Some(Reply::delay(
        Duration::from_millis(1_500),
        Reply::ok(),
    )));
    let mut cmd = replay.env.std_cmd_for(&replay.api.server);
    cmd.args(replay.args())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    assert!(replay
        .api
        .server
        .wait_for_requests(2, Duration::from_secs(20)));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let requests_at_first = replay.api.server.request_count();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    assert_eq!(replay.api.server.request_count(), requests_at_first);
    let s = summary(&out);
    // The answers in flight were waited for: what they carried is delivered and in the checkpoint.
    let carried: usize = (replay.api.server.requests().iter())
        .map(|r| r.calls().len())
        .sum();
    assert_eq!(s["delivered"].as_u64().unwrap() as usize, carried);
    let checkpoint: Value =
        serde_json::from_str(&std::fs::read_to_string(replay.file("ck")).unwrap()).unwrap();
    assert_eq!(lines_done(&checkpoint) as usize, carried);
    replay.rerun_delivers_everything(0);
}

#[test]
fn a_single_call_says_when_it_waits_to_retry_on_a_terminal() {
    let env = CioEnv::new();
    let server = TestServer::with_replies(vec![Reply::status_with_headers(
        503,
        &[("Retry-After", "2")],
        "busy",
    )]);
    // `script` gives cio a terminal, as a person at a shell has; it runs with
    // the same private environment as the other tests.
    let mut script = std::process::Command::new("script");
    script.env_clear();
    for (k, v) in env.std_cmd_for(&server).get_envs() {
        if let Some(v) = v {
            script.env(k, v);
        }
    }
    let cio = env!("CARGO_BIN_EXE_cio");
    let out = script
        .args([
            "-qec",
            &format!("{cio} track deploy --user-id u1"),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let screen = stdout_of(&out);
    assert!(out.status.success(), "{screen}{}", stderr_of(&out));
    assert!(screen.contains("cio: retrying in 2 s (503)"), "{screen}");
    // Nothing listening: said at once, with the cause, on every notice.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let started = std::time::Instant::now();
    let out = std::process::Command::new("script")
        .env_clear()
        .envs(env.std_cmd().get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("CIO_WRITE_KEY", TEST_KEY)
        .env("CIO_ENDPOINT", format!("http://127.0.0.1:{port}/v1"))
        .env("CIO_RETRIES", "1")
        .args([
            "-qec",
            &format!("{cio} track deploy --user-id u1"),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let screen = stdout_of(&out);
    let notices: Vec<&str> = screen.lines().filter(|l| l.contains("retrying")).collect();
    assert_eq!(notices.len(), 1, "{screen}");
    assert!(
        notices[0].starts_with("cio: retrying in 0.")
            && notices[0].ends_with(" s (connection refused)"),
        "{screen:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.message_ids().len(), 1);
    // Piped (no terminal), it stays quiet.
    let out = env
        .cmd_for(&server)
        .args(["track", "deploy", "--user-id", "u1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!stderr_of(&out).contains("retrying"));
}
