//! Each user's calls reach the server in input order: one user's calls are
//! never in two requests out at once, whatever the concurrency, the answers'
//! order, the retries and the splits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

/// Call `n` of user `n % users`, numbered so the server can tell input order.
fn call(n: usize, users: usize) -> String {
    json!({"type": "track", "event": "Step", "userId": format!("u{}", n % users),
           "messageId": format!("m-{n}"), "properties": {"n": n}})
    .to_string()
}

/// What the server saw of one user so far.
#[derive(Default)]
struct Seen {
    /// The input number of their last call taken.
    last: Option<u64>,
    /// Until when a request of theirs is being answered.
    busy_until: Option<Instant>,
}

/// The violations found: a call taken after a later one of its user, and a
/// request arriving while another of its user's was still being answered.
#[derive(Default)]
struct Violations {
    out_of_order: Vec<String>,
    overlapping: Vec<String>,
    /// Until when each request is being answered, and the most at once.
    out: Vec<Instant>,
    most_out: usize,
}

/// A server that answers each request after a pause drawn from `pauses`
/// (so that answers come back in another order than requests went out),
/// refuses `refused` of them with 503 (retried), and checks every user's
/// calls as they come.
fn ordering_server(
    pauses: std::ops::Range<u64>,
    refused: f64,
) -> (TestServer, Arc<Mutex<Violations>>) {
    let users: Arc<Mutex<HashMap<String, Seen>>> = Arc::default();
    let violations: Arc<Mutex<Violations>> = Arc::default();
    let found = Arc::clone(&violations);
    let rng = Mutex::new(fastrand::Rng::with_seed(7));
    let server = TestServer::with_handler(move |r| {
        let (pause, accept) = {
            let mut rng = rng.lock().unwrap();
            (
                Duration::from_millis(rng.u64(pauses.clone())),
                rng.f64() >= refused,
            )
        };
        let calls: Vec<(String, u64)> = (r.calls().iter())
            .map(|c| {
                let user = c["userId"].as_str().unwrap().to_string();
                (user, c["properties"]["n"].as_u64().unwrap())
            })
            .collect();
        let now = Instant::now();
        let mut users = users.lock().unwrap();
        let mut found = found.lock().unwrap();
        found.out.retain(|&until| until > now);
        found.out.push(now + pause);
        found.most_out = found.most_out.max(found.out.len());
        for (user, n) in &calls {
            let seen = users.entry(user.clone()).or_default();
            if seen.busy_until.is_some_and(|until| now < until) {
                found.overlapping.push(format!("{user} at call {n}"));
            }
            if accept {
                if seen.last.is_some_and(|last| last >= *n) {
                    found
                        .out_of_order
                        .push(format!("{user}: {n} after {:?}", seen.last));
                }
                seen.last = Some(*n);
            }
        }
        // Every user of this request is busy until it is answered.
        for (user, _) in &calls {
            users.get_mut(user).unwrap().busy_until = Some(now + pause);
        }
        let reply = if accept {
            Reply::ok()
        } else {
            Reply::status(503, "{}")
        };
        Reply::delay(pause, reply)
    });
    (server, violations)
}

fn assert_in_order(violations: &Mutex<Violations>) {
    let v = violations.lock().unwrap();
    assert!(
        v.out_of_order.is_empty() && v.overlapping.is_empty(),
        "{} calls out of order (first: {:?}); {} calls sent while their user had a request out (first: {:?})",
        v.out_of_order.len(),
        v.out_of_order.first(),
        v.overlapping.len(),
        v.overlapping.first()
    );
}

#[test]
fn each_users_calls_arrive_in_input_order_at_any_concurrency() {
    let env = CioEnv::new();
    let (server, violations) = ordering_server(20..80, 0.0);
    let input = env.path().join("calls.ndjson");
    let lines: Vec<String> = (0..120_000).map(|n| call(n, 4_000)).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let (_, s) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--max-batch-calls", "500"])
            .arg(&input),
        0,
    );
    assert_counts(&s, &[("read", 120_000), ("delivered", 120_000)]);
    assert_eq!(server.message_ids().len(), 120_000);
    let most_out = violations.lock().unwrap().most_out;
    // Requests did overlap (else the order would hold trivially); how many
    // depends on how busy the machine is (8 or more alone, fewer under the
    // whole suite's load).
    assert!(
        most_out >= 2,
        "requests went side by side: {most_out} at most"
    );
    assert_in_order(&violations);
}

#[test]
fn retries_and_splits_keep_each_users_order() {
    let env = CioEnv::new();
    // A fifth of the requests answered 503 and retried.
    let (server, violations) = ordering_server(0..15, 0.2);
    let input = env.path().join("calls.ndjson");
    let lines: Vec<String> = (0..20_000).map(|n| call(n, 500)).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let (_, s) = batch_json(
        env.cmd_for(&server)
            .args(["batch", "--json", "--max-batch-calls", "200"])
            .args(["--concurrency", "16"])
            .arg(&input),
        0,
    );
    assert_counts(&s, &[("read", 20_000), ("delivered", 20_000)]);
    assert!(s["retried"].as_u64().unwrap() > 0, "{s}");
    assert_in_order(&violations);
}

#[test]
fn a_small_input_of_many_users_is_still_one_request() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let input = env.path().join("calls.ndjson");
    let lines: Vec<String> = (0..300).map(|n| call(n, 300)).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let (_, s) = batch_json(
        env.cmd_for(&server).args(["batch", "--json"]).arg(&input),
        0,
    );
    assert_counts(&s, &[("delivered", 300)]);
    assert_eq!(server.request_count(), 1);
    let sent: Vec<u64> = server.requests()[0]
        .calls()
        .iter()
        .map(|c: &Value| c["properties"]["n"].as_u64().unwrap())
        .collect();
    assert_eq!(sent, (0..300).collect::<Vec<_>>(), "in input order");
}
