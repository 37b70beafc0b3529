//! Checks the test support itself, with reqwest as the client.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> reqwest::Result<(u16, String)> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

fn batch(ids: &[&str]) -> Value {
    let items: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": "track", "event": "e", "userId": "u", "messageId": id}))
        .collect();
    json!({ "batch": items })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn replies_come_in_order_then_200() {
    let server = TestServer::with_replies(vec![
        Reply::status(201, r#"{"n":1}"#),
        Reply::status_with_headers(429, &[("Retry-After", "1")], ""),
        Reply::status(500, "oops"),
    ]);
    let endpoint = server.endpoint();
    assert_eq!(
        endpoint,
        format!("http://127.0.0.1:{}/v1", server.addr().port())
    );
    let client = client();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let response = client
            .post(format!("{endpoint}/track"))
            .header("content-type", "application/json")
            .body(json!({"i": i}).to_string())
            .send()
            .await
            .unwrap();
        if i == 1 {
            assert_eq!(response.headers()["retry-after"], "1");
        }
        statuses.push(response.status().as_u16());
        let text = response.text().await.unwrap();
        match i {
            0 => assert_eq!(text, r#"{"n":1}"#),
            2 => assert_eq!(text, "oops"),
            3 => assert_eq!(text, "{}"),
            _ => {}
        }
    }
    assert_eq!(statuses, [201, 429, 500, 200]);

    let requests = server.requests();
    assert_eq!(server.request_count(), 4);
    for (i, r) in requests.iter().enumerate() {
        assert_eq!(r.index, i);
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/v1/track");
        assert_eq!(r.json()["i"], i);
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.status, Some(statuses[i]));
        assert_eq!(r.accepted, statuses[i] < 300);
    }
    let counts = server.fault_counts();
    assert_eq!(counts["none"], 4);
    assert_eq!(counts.values().sum::<u64>(), 4);
}

#[tokio::test]
async fn handler_decides_and_only_accepted_ids_count() {
    // A 400 for any batch that holds the messageId "bad".
    let server = TestServer::with_handler(|r| {
        let bad = r.path.ends_with("/batch") && r.calls().iter().any(|c| c["messageId"] == "bad");
        if bad {
            Reply::status(400, r#"{"error":"bad"}"#)
        } else {
            Reply::ok()
        }
    });
    let client = client();
    let url = format!("{}/batch", server.endpoint());
    assert_eq!(
        post(&client, &url, &batch(&["a", "b"])).await.unwrap().0,
        200
    );
    assert_eq!(
        post(&client, &url, &batch(&["c", "bad"])).await.unwrap().0,
        400
    );
    assert_eq!(post(&client, &url, &batch(&["d"])).await.unwrap().0, 200);
    let single = json!({"type": "identify", "userId": "u", "messageId": "e"});
    let track_url = format!("{}/identify", server.endpoint());
    assert_eq!(post(&client, &track_url, &single).await.unwrap().0, 200);

    assert_eq!(server.message_ids(), ["a", "b", "d", "e"]);
    let requests = server.requests();
    assert_eq!(requests[1].status, Some(400));
    assert!(!requests[1].accepted);
    assert_eq!(requests[1].calls().len(), 2);
    assert_eq!(requests[3].calls(), vec![single]);
    assert_eq!(server.accepted_calls().len(), 4);
}

#[tokio::test]
async fn gzip_bodies_are_decoded() {
    let server = TestServer::start();
    let body = batch(&["x", "y", "z"]).to_string();
    let compressed = gzip(body.as_bytes());
    let response = client()
        .post(format!("{}/batch", server.endpoint()))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(compressed.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let r = &server.requests()[0];
    assert!(r.gzipped);
    assert_eq!(r.wire_len, compressed.len());
    assert_eq!(r.body_text(), body);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(server.message_ids(), ["x", "y", "z"]);
}

#[tokio::test]
async fn non_json_bodies_are_kept_as_text() {
    let server = TestServer::start();
    client()
        .post(format!("{}/track", server.endpoint()))
        .body("not json")
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert!(r.json_opt().is_none());
    assert_eq!(r.body_text(), "not json");
    assert!(server.message_ids().is_empty());
    let panic = std::panic::catch_unwind(|| r.json().clone()).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("not json"), "{message}");
}

#[tokio::test]
async fn basic_auth_is_decoded() {
    assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
    assert_eq!(base64_encode(b"fooba"), "Zm9vYmE=");
    assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
    assert_eq!(base64_decode("Zm9vYmE").unwrap(), b"fooba");
    assert!(base64_decode("Zm9v*").is_none());

    let server = TestServer::start();
    let client = client();
    let url = format!("{}/track", server.endpoint());
    client
        .post(&url)
        .basic_auth(TEST_KEY, None::<&str>)
        .body("{}")
        .send()
        .await
        .unwrap();
    client
        .post(&url)
        .basic_auth("user", Some("pass:word"))
        .body("{}")
        .send()
        .await
        .unwrap();
    client.post(&url).body("{}").send().await.unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].basic_auth_user().as_deref(), Some(TEST_KEY));
    assert_eq!(requests[1].basic_auth_user(), None); // a password is set
    assert_eq!(
        requests[1].basic_auth(),
        Some(("user".to_string(), "pass:word".to_string()))
    );
    assert_eq!(requests[2].basic_auth_user(), None);

    // The header as reqwest sent it is exactly what assert_no_key looks for.
    let header = requests[0].header("authorization").unwrap().to_string();
    assert_eq!(
        header,
        format!("Basic {}", base64_encode(format!("{TEST_KEY}:").as_bytes()))
    );
    assert_no_key("nothing to see");
    for leak in [header.as_str(), TEST_KEY, "key 9f8e7d6c5b4a3210"] {
        let leak = leak.to_string();
        assert!(std::panic::catch_unwind(move || assert_no_key(&leak)).is_err());
    }
}

#[tokio::test]
async fn drop_connection_is_a_client_error() {
    let server = TestServer::with_replies(vec![Reply::drop_connection()]);
    let client = client();
    let url = format!("{}/track", server.endpoint());
    let err = post(&client, &url, &json!({"messageId": "m1"}))
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    // The next request gets a fresh connection and the default 200.
    assert_eq!(
        post(&client, &url, &json!({"messageId": "m2"}))
            .await
            .unwrap()
            .0,
        200
    );
    let requests = server.requests();
    assert_eq!(requests[0].status, None);
    assert!(!requests[0].accepted);
    assert_eq!(server.message_ids(), ["m2"]);
}

#[tokio::test]
async fn delay_can_exceed_a_client_timeout() {
    let server = TestServer::with_replies(vec![
        Reply::delay(Duration::from_secs(2), Reply::ok()),
        Reply::delay(Duration::from_millis(100), Reply::status(202, "{}")),
    ]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let url = format!("{}/track", server.endpoint());
    let err = post(&client, &url, &json!({})).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let started = Instant::now();
    assert_eq!(post(&client, &url, &json!({})).await.unwrap().0, 202);
    assert!(started.elapsed() >= Duration::from_millis(100));
    let delays: Vec<Duration> = server.requests().iter().map(|r| r.delay).collect();
    assert_eq!(delays, [Duration::from_secs(2), Duration::from_millis(100)]);
}

#[tokio::test]
async fn accept_then_fail_counts_the_calls_and_answers_500() {
    let server = TestServer::with_replies(vec![Reply::status(503, ""), Reply::accept_then_fail()]);
    let client = client();
    let url = format!("{}/batch", server.endpoint());
    let body = batch(&["a", "b"]);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(post(&client, &url, &body).await.unwrap().0);
    }
    assert_eq!(statuses, [503, 500, 200]);
    // Refused once, accepted twice: the retry delivered them again.
    assert_eq!(server.message_ids(), ["a", "b", "a", "b"]);
    let requests = server.requests();
    assert_eq!(requests[1].status, Some(500));
    assert!(requests[1].accepted);
}

/// What each of `n` sequential requests got from a faulty server.
async fn fault_run(
    profile: FaultProfile,
    seed: u64,
    n: usize,
) -> (
    Vec<(Option<u16>, Option<Fault>)>,
    HashMap<&'static str, u64>,
) {
    let server = TestServer::with_faults(profile, seed);
    let client = client();
    let url = format!("{}/track", server.endpoint());
    for i in 0..n {
        let got = post(&client, &url, &json!({"messageId": i.to_string()})).await;
        let r = &server.requests()[i];
        match got {
            Ok((status, _)) => assert_eq!(Some(status), r.status),
            Err(_) => assert_eq!(r.fault, Some(Fault::Drop)),
        }
    }
    let seen = server
        .requests()
        .iter()
        .map(|r| (r.status, r.fault))
        .collect();
    (seen, server.fault_counts())
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    let profile = FaultProfile {
        slow_for: Duration::from_millis(1),
        ..FaultProfile::mixed()
    };
    let (first, counts) = fault_run(profile, 7, 150).await;
    let (again, counts_again) = fault_run(profile, 7, 150).await;
    let (other, _) = fault_run(profile, 8, 150).await;
    assert_eq!(first, again);
    assert_eq!(counts, counts_again);
    assert_ne!(first, other);
    assert_eq!(counts.values().sum::<u64>(), 150);
    // Every kind shows up in 150 draws of the mixed profile with this seed.
    for fault in Fault::ALL {
        assert!(counts[fault.name()] > 0, "{counts:?}");
    }
    let faulty = first.iter().filter(|(_, f)| f.is_some()).count() as u64;
    assert_eq!(faulty, 150 - counts["none"]);
    let drops = first.iter().filter(|(s, _)| s.is_none()).count() as u64;
    assert_eq!(drops, counts["drop"]);

    let (clean, clean_counts) = fault_run(FaultProfile::none(), 7, 20).await;
    assert!(clean.iter().all(|&(s, f)| s == Some(200) && f.is_none()));
    assert_eq!(clean_counts["none"], 20);
    assert_eq!(clean_counts["drop"], 0);
}

#[test]
fn fault_profiles_pick_by_band() {
    let p = FaultProfile::errors_500(0.25);
    assert_eq!(p.pick(0.1), Some(Fault::Status500));
    assert_eq!(p.pick(0.3), None);
    let r = FaultProfile::rate_limited(0.5);
    assert_eq!(r.pick(0.1), Some(Fault::Status429));
    assert_eq!(r.pick(0.4), Some(Fault::Status429RetryAfter));
    assert_eq!(FaultProfile::drops(1.0).pick(0.99), Some(Fault::Drop));
    let slow = FaultProfile::slow(1.0, Duration::from_secs(3));
    assert_eq!(slow.pick(0.5), Some(Fault::Slow));
    assert_eq!(
        FaultProfile::accept_then_500(1.0).pick(0.0),
        Some(Fault::AcceptThen500)
    );
    assert_eq!(FaultProfile::none().pick(0.0), None);
    let too_much = FaultProfile {
        p_500: 0.7,
        p_drop: 0.7,
        ..FaultProfile::none()
    };
    assert!(std::panic::catch_unwind(|| TestServer::with_faults(too_much, 1)).is_err());
}

#[test]
fn server_stops_when_dropped() {
    let server = TestServer::start();
    let addr = server.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn message_ids_skip_odd_shapes() {
    let server = TestServer::start();
    let client = client();
    let batch_url = format!("{}/batch", server.endpoint());
    let odd = json!({"batch": [{"messageId": "a"}, {"messageId": 5}, {}, {"messageId": "b"}]});
    post(&client, &batch_url, &odd).await.unwrap();
    post(&client, &batch_url, &json!([1, 2])).await.unwrap();
    post(
        &client,
        &batch_url,
        &json!({"batch": [1, {"messageId": "c"}]}),
    )
    .await
    .unwrap();
    let track_url = format!("{}/track", server.endpoint());
    post(&client, &track_url, &json!({"messageId": "t"}))
        .await
        .unwrap();
    let expected = ["a", "b", "c", "t"];
    assert_eq!(server.message_ids(), expected);
    // The same once the bodies are parsed in full (and cached).
    for r in server.requests() {
        r.json();
    }
    assert_eq!(server.message_ids(), expected);
    assert!(server.wait_for_requests(4, Duration::from_millis(10)));
    assert!(!server.wait_for_requests(5, Duration::from_millis(50)));
}
