//! The replay finds the API's pace by itself: more requests in flight under a
//! fast server, fewer on 429s and when the server slows down, and memory
//! bounded by bytes whatever the concurrency. The server side counts how many
//! requests were in flight when each one arrived.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

fn write_calls(path: &Path, n: usize, padding: usize) {
    write_calls_numbered(path, 0..n, padding);
}

/// Calls numbered from `ids` (userId and messageId), so that several inputs
/// to one server have ids of their own.
fn write_calls_numbered(path: &Path, ids: std::ops::Range<usize>, padding: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let pad = "x".repeat(padding);
    for i in ids {
        let line = json!({"type": "track", "event": "e", "userId": format!("u{i}"),
                          "messageId": format!("m-{i}"), "properties": {"pad": pad}});
        writeln!(out, "{line}").unwrap();
    }
}

/// A server whose answer to the i-th request (in order of arrival) comes from
/// `answer(i, in_flight)`, and which records how many requests were in flight
/// at each arrival (by the time it scheduled each answer).
struct Paced {
    server: TestServer,
    /// Per request: requests in flight when it arrived (itself included).
    in_flight_at_arrival: Arc<Mutex<Vec<usize>>>,
}

impl Paced {
    fn start(answer: impl Fn(usize, usize) -> Reply + Send + Sync + 'static) -> Paced {
        let ends: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
        let record = Arc::clone(&seen);
        let server = TestServer::with_handler(move |_| {
            let now = Instant::now();
            let mut ends = ends.lock().unwrap();
            ends.retain(|end| *end > now);
            let mut seen = record.lock().unwrap();
            let index = seen.len();
            let reply = answer(index, ends.len() + 1);
            seen.push(ends.len() + 1);
            if reply.accepts() {
                ends.push(now + reply.pause());
            }
            reply
        });
        Paced {
            server,
            in_flight_at_arrival: seen,
        }
    }

    fn in_flight(&self) -> Vec<usize> {
        self.in_flight_at_arrival.lock().unwrap().clone()
    }
}

/// Each replay alone: round trips measured while another test's replay
/// loads the same two cores would be about the machine, not the server.
fn serial() -> turns::Alone {
    turns::alone()
}

fn unique_ids(server: &TestServer) -> usize {
    server
        .message_ids()
        .into_iter()
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// `cio batch --json` in requests of 100 calls against `paced`: its summary,
/// after checking that it exited 0.
fn replay(env: &CioEnv, paced: &Paced, input: &Path) -> Value {
    let mut cmd = env.cmd_for(&paced.server);
    cmd.args(["batch", "--json", "--max-batch-calls", "100"])
        .arg(input);
    batch_json(&mut cmd, 0).1
}

#[test]
fn more_requests_go_in_flight_under_a_fast_server() {
    let _serial = serial();
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    write_calls(&input, 20_000, 10);
    let paced = Paced::start(|_, _| Reply::delay(Duration::from_millis(200), Reply::ok()));
    let s = replay(&env, &paced, &input);
    assert_eq!(s["delivered"], 20_000);
    let peak = *paced.in_flight().iter().max().unwrap();
    // It starts at 16: more means it grew.
    assert!(
        peak >= 32,
        "at most {peak} requests in flight against a 200 ms server"
    );
    assert!(s["concurrency_peak"].as_u64().unwrap() >= 32, "{s}");
    let latency = s["latency_ms"].as_f64().unwrap();
    assert!(latency >= 200.0, "{s}");
    // A fixed setting is kept as it is.
    let fixed = Paced::start(|_, _| Reply::delay(Duration::from_millis(20), Reply::ok()));
    let out = env
        .cmd_for(&fixed.server)
        .args([
            "batch",
            "-q",
            "--max-batch-calls",
            "100",
            "--concurrency",
            "3",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(*fixed.in_flight().iter().max().unwrap(), 3);
}

#[test]
fn fewer_requests_go_when_the_server_answers_429() {
    let _serial = serial();
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    write_calls(&input, 20_000, 10);
    // The server takes four requests at a time and refuses the fifth.
    let paced = Paced::start(|_, in_flight| {
        if in_flight > 4 {
            Reply::status_with_headers(429, &[("Retry-After", "0")], "slow down")
        } else {
            Reply::delay(Duration::from_millis(50), Reply::ok())
        }
    });
    replay(&env, &paced, &input);
    assert_eq!(unique_ids(&paced.server), 20_000);
    let requests = paced.server.requests();
    let refused = requests.iter().filter(|r| r.status == Some(429)).count();
    assert!(
        refused * 3 < requests.len(),
        "{refused} of {} requests refused: it kept pushing",
        requests.len()
    );
}

/// A server that takes `per_window` requests per one-second window and
/// refuses the rest with `Retry-After: 1`, answering after 50 ms; and the
/// windows in which it refused, one entry per 429.
fn windowed_quota(per_window: usize) -> (Paced, Arc<Mutex<Vec<u64>>>) {
    let windows: Arc<Mutex<(Option<Instant>, u64, usize)>> = Arc::default();
    let refused_in: Arc<Mutex<Vec<u64>>> = Arc::default();
    let seen = Arc::clone(&refused_in);
    let paced = Paced::start(move |_, _| {
        let mut w = windows.lock().unwrap();
        let started = *w.0.get_or_insert_with(Instant::now);
        let window = started.elapsed().as_secs();
        if window != w.1 {
            (w.1, w.2) = (window, 0);
        }
        if w.2 >= per_window {
            seen.lock().unwrap().push(window);
            return Reply::status_with_headers(429, &[("Retry-After", "1")], "quota");
        }
        w.2 += 1;
        Reply::delay(Duration::from_millis(50), Reply::ok())
    });
    (paced, refused_in)
}

#[test]
fn a_quota_learned_from_429s_sets_the_pace() {
    let _serial = serial();
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    write_calls(&input, 24_000, 10);
    // 40 requests per one-second window, the rest refused with a whole-second
    // Retry-After, as the API does: 240 requests take six windows at best.
    let (paced, refused_in) = windowed_quota(40);
    let mut cmd = env.cmd_for(&paced.server);
    cmd.args(["batch", "--json", "-v", "--max-batch-calls", "100"])
        .arg(&input);
    let (out, s) = batch_json(&mut cmd, 0);
    assert_eq!(unique_ids(&paced.server), 24_000);
    // -v's pace line, every 2 s, says the pace once it is learned.
    assert!(
        stderr_of(&out).contains("requests/s (quota)"),
        "{}",
        stderr_of(&out)
    );
    let pace = paced_rate(&s);
    assert!(
        (30.0..=60.0).contains(&pace),
        "paced to {pace} requests/s: {s}"
    );
    // Once the pace is learned the windows are not overrun again: the
    // refusals come in the first overrun (and at most one more, when a
    // window's edge falls inside a round trip), not once per window.
    let mut windows_refused = refused_in.lock().unwrap().clone();
    windows_refused.dedup();
    assert!(
        windows_refused.len() <= 2,
        "429s in windows {windows_refused:?}"
    );
}

#[test]
fn fewer_requests_go_when_the_server_slows_down() {
    let _serial = serial();
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    write_calls(&input, 35_000, 10);
    // 40 ms for the first 60 requests, 400 ms for the next 6 s, then 40 ms
    // again. The slow stretch is timed rather than counted: the limit may
    // still grow on the fast answers that come in after it starts (to the
    // 64 most), and coming down from there takes about ten round trips.
    const SLOW_FOR: Duration = Duration::from_secs(6);
    const LATE: Duration = Duration::from_millis(1500);
    let slow_since: Arc<OnceLock<Instant>> = Arc::default();
    let late: Arc<Mutex<Vec<usize>>> = Arc::default();
    let (since, late_ones) = (Arc::clone(&slow_since), Arc::clone(&late));
    let paced = Paced::start(move |i, _| {
        let slow = i >= 60 && {
            let elapsed = since.get_or_init(Instant::now).elapsed();
            if (SLOW_FOR - LATE..SLOW_FOR).contains(&elapsed) {
                late_ones.lock().unwrap().push(i);
            }
            elapsed < SLOW_FOR
        };
        let ms = if slow { 400 } else { 40 };
        Reply::delay(Duration::from_millis(ms), Reply::ok())
    });
    let s = replay(&env, &paced, &input);
    assert_eq!(s["retried"], 0, "no timeouts cascade");
    let in_flight = paced.in_flight();
    let late = late.lock().unwrap().clone();
    assert!(
        late.len() >= 2,
        "requests late in the slow stretch: {late:?}"
    );
    let peak = *in_flight[..late[0]].iter().max().unwrap();
    // Cut by a third per round trip, the limit is down to one or two by the
    // end of the slow stretch, whatever it had reached before it.
    let late_average = late.iter().map(|&i| in_flight[i]).sum::<usize>() as f64 / late.len() as f64;
    assert!(
        late_average < peak as f64 && late_average <= 2.5,
        "{late_average:.1} in flight late in the slow stretch, {peak} before it: {in_flight:?}"
    );
}

#[test]
fn requests_in_flight_are_bounded_by_bytes_whatever_the_concurrency() {
    let _serial = serial();
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    // 1,000 calls of 20 KB, in batches of up to 475 KB: 20 MB against room
    // for 1 MB of calls in flight and 64 requests allowed.
    write_calls(&input, 1_000, 20_000);
    // The most requests, and the most bytes of bodies, the server had to
    // answer at once (each is answered after 500 ms).
    let peak_in_flight = |gzip: &[&str]| {
        let out: Arc<Mutex<Vec<(Instant, usize)>>> = Arc::default();
        let peak = Arc::new(Mutex::new((0usize, 0usize)));
        let (seen, most) = (Arc::clone(&out), Arc::clone(&peak));
        let server = TestServer::with_handler(move |r| {
            let now = Instant::now();
            let mut out = seen.lock().unwrap();
            out.retain(|(end, _)| *end > now);
            out.push((now + Duration::from_millis(500), r.body.len()));
            let bytes = out.iter().map(|(_, b)| b).sum::<usize>();
            let mut most = most.lock().unwrap();
            *most = (most.0.max(out.len()), most.1.max(bytes));
            Reply::delay(Duration::from_millis(500), Reply::ok())
        });
        let run = env
            .cmd_for(&server)
            .args(["batch", "-q", "--concurrency", "64"])
            .args(["--max-bytes-in-flight", "1000000"])
            .args(gzip)
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
        assert_eq!(unique_ids(&server), 1_000);
        let peak = *peak.lock().unwrap();
        peak
    };
    let (plain, plain_bytes) = peak_in_flight(&["--no-gzip"]);
    assert!(
        plain > 1 && plain_bytes <= 1_000_000,
        "{plain} requests of {plain_bytes} bytes in flight with room for 1 MB of calls"
    );
    // Gzipped, a request holds its calls compressed (this padding shrinks
    // to almost nothing), and the room left goes to more requests.
    let (gzipped, _) = peak_in_flight(&[]);
    assert!(
        gzipped > plain,
        "{gzipped} in flight with gzip, {plain} without"
    );
}

#[test]
fn memory_stays_under_64_mb_with_64_requests_allowed() {
    let _serial = serial();
    let env = CioEnv::new();
    let input = env.path().join("in.ndjson");
    // 2,000 calls of 20 KB: 40 MB in batches of about 475 KB, against a slow
    // server, with 64 requests allowed: the bytes in flight bound the memory.
    write_calls(&input, 2_000, 20_000);
    let paced = Paced::start(|_, _| Reply::delay(Duration::from_millis(1_000), Reply::ok()));
    let mut child = env
        .std_cmd_for(&paced.server)
        .args([
            "batch",
            "-q",
            "--concurrency",
            "64",
            "--max-bytes-in-flight",
            "4000000",
        ])
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let peak_kb = peak_rss_kb(&mut child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(unique_ids(&paced.server), 2_000);
    assert!(peak_kb < 64 * 1024, "peak RSS {peak_kb} KB");
}

#[test]
fn replays_sharing_a_quota_split_it_and_the_last_takes_it_whole() {
    let _serial = serial();
    let env = CioEnv::new();
    // Two replays to one destination with a quota of 40 requests a second:
    // a long one (200 requests) and a short one (40).
    let (long, short) = (
        env.path().join("long.ndjson"),
        env.path().join("short.ndjson"),
    );
    write_calls_numbered(&long, 0..20_000, 10);
    write_calls_numbered(&short, 20_000..24_000, 10);
    let (paced, _) = windowed_quota(40);
    let replay = |input: &Path| spawn_quota_replay(&env, &paced, input, &[]);
    let (long, short) = (replay(&long), replay(&short));
    let (short, long) = (succeeded(short), succeeded(long));
    assert_eq!(unique_ids(&paced.server), 24_000);
    // While both ran, each kept to a part of the quota; once the short one
    // ended, the long one took its part (alone, it would have kept its own
    // part for half a minute).
    let (short, long) = (paced_rate(&summary(&short)), paced_rate(&summary(&long)));
    assert!(
        (10.0..=28.0).contains(&short),
        "short replay paced to {short}"
    );
    assert!((30.0..=60.0).contains(&long), "long replay paced to {long}");
    // They met in the destination's state directory, and each replay's file
    // went with it.
    let (dirs, left) = env.peer_dirs_and_files();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_replay_using_less_than_its_part_of_a_quota_leaves_the_rest_to_the_other() {
    let _serial = serial();
    let env = CioEnv::new();
    // A quota of 40 requests a second, shared by a full replay (200 requests)
    // and one held to 5 requests a second by --rate that outlasts it.
    let (full, slow) = (
        env.path().join("full.ndjson"),
        env.path().join("slow.ndjson"),
    );
    write_calls_numbered(&full, 0..20_000, 10);
    write_calls_numbered(&slow, 20_000..25_000, 10);
    let (paced, _) = windowed_quota(40);
    let slow = spawn_quota_replay(&env, &paced, &slow, &["--rate", "500"]);
    let full = spawn_quota_replay(&env, &paced, &full, &[]);
    let full = succeeded(full);
    let slow_running = paced.server.message_ids().len() < 25_000;
    succeeded(slow);
    assert!(slow_running, "the slow replay outlasted the full one");
    assert_eq!(unique_ids(&paced.server), 25_000);
    // The full replay kept to what the slow one left (about 39 - 5 a
    // second), not to half the quota (19.6).
    let pace = paced_rate(&summary(&full));
    assert!((28.0..=45.0).contains(&pace), "full replay paced to {pace}");
}

/// The pace a replay kept at its end, from its `--json` summary.
fn paced_rate(summary: &serde_json::Value) -> f64 {
    (summary["paced_requests_per_s"].as_f64()).unwrap_or_else(|| panic!("no pace: {summary}"))
}

/// What a spawned replay wrote, once it has exited 0.
fn succeeded(child: std::process::Child) -> std::process::Output {
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    out
}

/// A replay of `input` in requests of 100 calls, its summary on stdout.
fn spawn_quota_replay(
    env: &CioEnv,
    paced: &Paced,
    input: &Path,
    extra: &[&str],
) -> std::process::Child {
    env.std_cmd_for(&paced.server)
        .args(["batch", "--json", "-q", "--max-batch-calls", "100"])
        .args(extra)
        .arg(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}
