//! Nothing is lost under faults: 10,000 calls replayed through servers that
//! answer 500, 429 (with and without Retry-After), drop connections, answer
//! past the client's timeout, or accept a batch and then answer 500.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::time::Duration;

use crate::support::*;
use serde_json::{json, Value};

const CALLS: usize = 10_000;

fn corpus(env: &CioEnv) -> std::path::PathBuf {
    let path = env.path().join("corpus.ndjson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for n in 0..CALLS {
        let call = match n % 3 {
            0 => {
                json!({"type": "track", "event": "Order Completed", "userId": format!("u{n}"), "messageId": format!("m-{n}"),
                        "properties": {"order_id": format!("o-{n}"), "total": 19.99, "products": [{"sku": "a", "price": 9.99}]}})
            }
            1 => {
                json!({"type": "identify", "userId": format!("u{n}"), "messageId": format!("m-{n}"), "traits": {"plan": "pro"}})
            }
            _ => {
                json!({"type": "page", "anonymousId": format!("a{n}"), "messageId": format!("m-{n}"), "name": "Home"})
            }
        };
        writeln!(out, "{call}").unwrap();
    }
    path
}

/// Replays the corpus through `server` and checks the delivery promise.
fn replay_and_check(server: &TestServer, timeout: &str) -> Value {
    let env = CioEnv::new();
    let input = corpus(&env);
    let out = env
        .cmd_for(server)
        .args([
            "batch",
            "--json",
            "--max-batch-calls",
            "100",
            "--concurrency",
            "4",
            "--retries",
            "12",
            "--timeout",
            timeout,
        ])
        .arg(&input)
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_no_key(&stderr);
    let summary: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();

    // Every input messageId arrived at least once.
    let received = server.message_ids();
    let unique: HashSet<&String> = received.iter().collect();
    assert_eq!(unique.len(), CALLS, "every call delivered");
    assert!((0..CALLS).all(|n| unique.contains(&format!("m-{n}"))));

    // Duplicates only for calls the server took without the client hearing so.
    let requests = server.requests();
    let unacknowledged: HashSet<String> = requests
        .iter()
        .filter(|r| r.accepted && (r.status != Some(200) || r.delay >= Duration::from_millis(1000)))
        .flat_map(|r| r.calls())
        .map(|c| c["messageId"].as_str().unwrap().to_string())
        .collect();
    let mut counts: HashMap<&String, usize> = HashMap::new();
    for id in &received {
        *counts.entry(id).or_default() += 1;
    }
    for (id, n) in &counts {
        if *n > 1 {
            assert!(
                unacknowledged.contains(*id),
                "{id} arrived {n} times, but no accepting request of it failed"
            );
        }
    }

    // The summary says what happened.
    let failed_attempts = requests
        .iter()
        .filter(|r| r.status != Some(200) || r.delay >= Duration::from_millis(1000))
        .count();
    assert_eq!(summary["delivered"], CALLS);
    assert_eq!(summary["rejected"], 0);
    assert_eq!(
        summary["requests"].as_u64().unwrap() as usize,
        requests.len()
    );
    assert_eq!(
        summary["retried"].as_u64().unwrap() as usize,
        failed_attempts
    );
    summary
}

#[test]
fn server_errors() {
    let server = TestServer::with_faults(FaultProfile::errors_500(0.25), 1);
    replay_and_check(&server, "5");
    assert!(
        server.fault_counts()["500"] > 10,
        "{:?}",
        server.fault_counts()
    );
}

#[test]
fn rate_limiting_with_and_without_retry_after() {
    let server = TestServer::with_faults(FaultProfile::rate_limited(0.2), 2);
    replay_and_check(&server, "5");
    let faults = server.fault_counts();
    assert!(
        faults["429"] > 3 && faults["429+retry-after"] > 3,
        "{faults:?}"
    );
}

#[test]
fn dropped_connections() {
    let server = TestServer::with_faults(FaultProfile::drops(0.25), 3);
    replay_and_check(&server, "5");
    assert!(server.fault_counts()["drop"] > 10);
}

#[test]
fn answers_slower_than_the_timeout() {
    let server = TestServer::with_faults(FaultProfile::slow(0.1, Duration::from_millis(1500)), 4);
    replay_and_check(&server, "1");
    assert!(server.fault_counts()["slow"] > 3);
}

#[test]
fn accepted_then_failed_batches_come_twice_with_the_same_message_ids() {
    let server = TestServer::with_faults(FaultProfile::accept_then_500(0.2), 5);
    replay_and_check(&server, "5");
    let received = server.message_ids();
    assert!(received.len() > CALLS, "the retried batches arrived twice");
    assert!(server.fault_counts()["accept-then-500"] > 5);
}

#[test]
fn all_faults_mixed() {
    let server = TestServer::with_faults(FaultProfile::mixed(), 6);
    replay_and_check(&server, "1");
    let faults = server.fault_counts();
    for kind in [
        "500",
        "429",
        "429+retry-after",
        "drop",
        "slow",
        "accept-then-500",
    ] {
        assert!(
            faults.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never injected: {faults:?}"
        );
    }
}
