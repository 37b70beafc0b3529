//! `cio lint`, `cio events`, `--strict` and event-name completion: each rule
//! with a failing and a passing call, every input shape batch reads, the
//! seed document's examples clean, exit codes, and --strict turning a lint
//! error into exit 2 (single call, nothing sent) or a reject (batch).

use std::io::Write;
use std::path::Path;
use std::process::Output;

use crate::support::*;
use serde_json::{json, Value};

fn write_lines(path: &Path, lines: &[Value]) {
    let mut out = std::fs::File::create(path).unwrap();
    for line in lines {
        writeln!(out, "{line}").unwrap();
    }
}

fn track(event: &str, props: Value) -> Value {
    json!({"type": "track", "event": event, "userId": "u1", "properties": props})
}

fn lint(env: &CioEnv, args: &[&str]) -> Output {
    env.cmd().arg("lint").args(args).output().unwrap()
}

/// (line, rule) of each finding printed, from `file:line: rule: ...`.
fn findings(out: &Output) -> Vec<(u64, String)> {
    stdout_of(out)
        .lines()
        .map(|l| {
            let mut parts = l.splitn(4, ": ");
            let at = parts.next().unwrap();
            let line = at.rsplit(':').next().unwrap().parse().unwrap();
            (line, parts.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn each_rule_fails_on_its_bad_call_and_passes_its_good_one() {
    let env = CioEnv::new();
    let file = env.path().join("events.ndjson");
    let lines = [
        // 1-2 event-name: a near miss, and the right name
        track(
            "product added",
            json!({"product_id": "p1", "price": 139.99}),
        ),
        track(
            "Product Added",
            json!({"product_id": "p1", "price": 139.99}),
        ),
        // 3-4 property-type
        track(
            "Product Viewed",
            json!({"product_id": "p1", "price": "139.99"}),
        ),
        track(
            "Product Viewed",
            json!({"product_id": "p1", "price": 139.99}),
        ),
        // 5-6 missing-property
        track("Order Completed", json!({"revenue": 10.5})),
        track(
            "Order Completed",
            json!({"order_id": "o1", "revenue": 10.5}),
        ),
        // 7-8 product-id, in products[]
        track(
            "Order Completed",
            json!({"order_id": "o1", "products": [{"name": "x"}]}),
        ),
        track(
            "Order Completed",
            json!({"order_id": "o1", "products": [{"sku": "s1"}]}),
        ),
        // 9-10 cio-requirement
        json!({"type": "track", "event": "Device Created or Updated", "userId": "u1"}),
        json!({"type": "track", "event": "Device Created or Updated", "userId": "u1",
               "context": {"device": {"token": "tok"}}}),
        // 11-12 invalid (what batch rejects), and a custom event with odd properties
        json!({"type": "track", "userId": "u1"}),
        track("login", json!({"price": "free", "order_id": 5})),
    ];
    write_lines(&file, &lines);
    let out = lint(&env, &[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(11), "{}", stderr_of(&out));
    assert_eq!(
        findings(&out),
        vec![
            (1, "event-name".into()),
            (3, "property-type".into()),
            (5, "missing-property".into()),
            (7, "product-id".into()),
            (9, "cio-requirement".into()),
            (11, "invalid".into()),
        ]
    );
    let text = stdout_of(&out);
    let name = file.display().to_string();
    assert!(text.contains(&format!(
        "{name}:1: event-name: warning: \"product added\" is not a semantic event name, but looks like an Ecommerce (v2) event \"Product Added\"; name it \"Product Added\""
    )), "{text}");
    assert!(text.contains(&format!(
        "{name}:3: property-type: error: properties.price is the string \"139.99\", but Product Viewed expects a number; send the number 139.99"
    )), "{text}");
    assert!(
        text.contains("properties.products[0] has neither 'product_id' nor 'sku'"),
        "{text}"
    );
    assert!(
        text.contains("Device Created or Updated needs context.device.token"),
        "{text}"
    );
    assert_eq!(
        stderr_of(&out).trim(),
        "12 calls checked: 3 errors, 3 warnings in 6 calls (invalid 1, event-name 1, property-type 1, missing-property 1, product-id 1, cio-requirement 1)"
    );
}

#[test]
fn invalid_lines_give_the_reason_batch_gives() {
    let env = CioEnv::new();
    let file = env.path().join("bad.ndjson");
    std::fs::write(
        &file,
        "{\"type\":\"track\",\"event\":\"e\"}\n[1]\n{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\",\"userId\":\"v\"}\n{\"type\":\n",
    )
    .unwrap();
    let name = file.to_str().unwrap();
    let batch = env
        .cmd()
        .args(["batch", "--dry-run", name])
        .output()
        .unwrap();
    let reasons: Vec<String> = stderr_of(&batch)
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("cio: {name}:")).map(str::to_string))
        .collect();
    assert_eq!(reasons.len(), 4, "{}", stderr_of(&batch));
    let out = lint(&env, &[name]);
    assert_eq!(out.status.code(), Some(11));
    let linted: Vec<String> = stdout_of(&out)
        .lines()
        .map(|l| {
            let rest = l.strip_prefix(&format!("{name}:")).unwrap();
            rest.replacen(": invalid: error: ", ": ", 1)
        })
        .collect();
    assert_eq!(linted, reasons);
}

#[test]
fn exit_codes_tell_clean_warnings_and_errors_apart() {
    let env = CioEnv::new();
    let clean = env.path().join("clean.ndjson");
    let warn = env.path().join("warn.ndjson");
    let error = env.path().join("error.ndjson");
    write_lines(
        &clean,
        &[
            track("Product Added", json!({"sku": "s"})),
            track("login", json!({})),
        ],
    );
    write_lines(&warn, &[track("Products Added", json!({"sku": "s"}))]);
    write_lines(&error, &[track("Product Added", json!({"sku": 5}))]);
    let out = lint(&env, &[clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_of(&out), "");
    assert_eq!(stderr_of(&out).trim(), "2 calls checked: no findings");
    assert_eq!(
        lint(&env, &[warn.to_str().unwrap()]).status.code(),
        Some(10)
    );
    // --strict fails only on what `batch --strict` would reject.
    let out = lint(&env, &["--strict", warn.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout_of(&out).contains("event-name: warning"));
    assert_eq!(
        lint(&env, &[error.to_str().unwrap()]).status.code(),
        Some(11)
    );
    assert_eq!(
        lint(&env, &["--strict", error.to_str().unwrap()])
            .status
            .code(),
        Some(11)
    );
}

#[test]
fn json_output_is_one_finding_per_line_then_a_summary() {
    let env = CioEnv::new();
    let file = env.path().join("e.ndjson");
    write_lines(
        &file,
        &[
            track("Product Added", json!({"product_id": "p", "quantity": "2"})),
            track("experiment viewed", json!({})),
        ],
    );
    let out = lint(&env, &["--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(11));
    let lines: Vec<Value> = stdout_of(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["rule"], "property-type");
    assert_eq!(lines[0]["severity"], "error");
    assert_eq!(lines[0]["field"], "properties.quantity");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["rule"], "event-name");
    assert_eq!(lines[1]["severity"], "warning");
    let summary = &lines[2]["summary"];
    assert_eq!(summary["calls"], 2);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["warnings"], 1);
    assert_eq!(
        summary["rules"],
        json!({"event-name": 1, "property-type": 1})
    );
    assert_eq!(summary["exit_code"], 11);
}

#[test]
fn family_limits_the_check() {
    let env = CioEnv::new();
    let file = env.path().join("e.ndjson");
    write_lines(
        &file,
        &[
            track("Product Added", json!({"sku": "s", "price": "1"})),
            track("Video Playback Started", json!({"position": "3"})),
        ],
    );
    let name = file.to_str().unwrap();
    let out = lint(&env, &["--family", "video", name]);
    assert_eq!(findings(&out), vec![(2, "property-type".into())]);
    let out = lint(&env, &["--family", "ecommerce,mobile", name]);
    assert_eq!(findings(&out), vec![(1, "property-type".into())]);
    let out = lint(&env, &["--family", "nope", name]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn reads_every_input_shape_batch_reads() {
    let env = CioEnv::new();
    let bad = track("Product Added", json!({"sku": "s", "price": "1"}));
    let good = track("Product Added", json!({"sku": "s", "price": 1}));
    // gzip
    let gz = env.path().join("e.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    writeln!(enc, "{good}\n\n{bad}").unwrap();
    enc.finish().unwrap();
    let out = lint(&env, &[gz.to_str().unwrap()]);
    assert_eq!(findings(&out), vec![(3, "property-type".into())]);
    // a JSON array document over several lines: items are numbered
    let doc = env.path().join("doc.json");
    std::fs::write(
        &doc,
        serde_json::to_string_pretty(&json!([good, bad])).unwrap(),
    )
    .unwrap();
    let out = lint(&env, &[doc.to_str().unwrap()]);
    assert_eq!(findings(&out), vec![(2, "property-type".into())]);
    // {"batch": [...]} on stdin
    let out = env
        .cmd()
        .args(["lint", "-"])
        .write_stdin(json!({"batch": [bad, good]}).to_string())
        .output()
        .unwrap();
    assert_eq!(findings(&out), vec![(1, "property-type".into())]);
    assert!(stdout_of(&out).starts_with("<stdin>:1: "));
    // defaults as batch takes them: --type and --user-id fill what lines lack
    let out = env
        .cmd()
        .args(["lint", "--type", "track", "--user-id", "u", "-"])
        .write_stdin("{\"event\":\"Order Completed\",\"properties\":{\"order_id\":\"o\"}}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
}

/// The seed document's examples, sent the way the README shows.
const SEED_CALLS: &[&[&str]] = &[
    &[
        "track",
        "Product Added",
        "--user-id",
        "u1",
        "--prop",
        "product_id=coolshoes-123",
        "--prop",
        "sku=abc-123-xyz",
        "--prop",
        "category=shoes",
        "--prop",
        "name=Cool Shoes",
        "--prop",
        "brand=A Shoe Brand",
        "--prop",
        "variant=red",
        "--prop",
        "price=139.99",
        "--prop",
        "quantity=1",
        "--prop",
        "coupon=NEWUSER20",
        "--prop",
        "position=3",
        "--prop",
        "url=https://www.example.com/product/123",
        "--prop",
        "image_url=https://www.example.com/product/123.jpg",
        "--prop",
        "cart_id=usercart-789",
    ],
    &[
        "track",
        "Product Viewed",
        "--user-id",
        "u1",
        "--prop",
        "product_id=coolshoes-123",
        "--prop",
        "sku=abc-123-xyz",
        "--prop",
        "category=shoes",
        "--prop",
        "name=Cool Shoes",
        "--prop",
        "brand=A Shoe Brand",
        "--prop",
        "variant=red",
        "--prop",
        "price=139.99",
        "--prop",
        "quantity=1",
        "--prop",
        "coupon=NEWUSER20",
        "--prop",
        "position=3",
        "--prop",
        "url=https://www.example.com/product/123",
        "--prop",
        "image_url=https://www.example.com/product/123.jpg",
        "--prop",
        "currency=USD",
        "--prop",
        "value=119.99",
    ],
    &["track", "--file", "examples/course-started.json"],
    &[
        "track",
        "login",
        "--user-id",
        "u1",
        "--prop",
        "username=cool.person",
        "--prop",
        "session_started=1683250025",
        "--prop",
        "platform=chrome",
    ],
    &[
        "track",
        "video_watched",
        "--user-id",
        "u1",
        "--prop",
        "video_name=Cool New Video",
        "--prop",
        "length=1.56",
        "--prop",
        "speed=1.25",
        "--prop",
        "finished=false",
    ],
];

#[test]
fn the_seed_documents_examples_lint_clean() {
    let env = CioEnv::new();
    let mut calls = Vec::new();
    for args in SEED_CALLS {
        let out = env
            .cmd()
            .args(*args)
            .args(["--dry-run", "--strict"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        assert_eq!(stderr_of(&out), "", "{args:?}: no warning either");
        calls.push(serde_json::from_str::<Value>(stdout_of(&out).trim()).unwrap());
    }
    // The same calls, replayed from a file, lint clean too.
    let file = env.path().join("seed.ndjson");
    write_lines(&file, &calls);
    let out = lint(&env, &[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
    assert_eq!(stdout_of(&out), "");
}

#[test]
fn strict_single_call_exits_2_before_sending() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let out = env
        .cmd_for(&server)
        .args([
            "track",
            "Product Added",
            "--user-id",
            "u1",
            "--prop",
            "product_id=p1",
        ])
        .args(["--prop", "price=$139.99", "--strict"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: cannot send this track call (--strict): property-type: properties.price is the string \"$139.99\", but Product Added expects a number\n"
    );
    assert_eq!(server.request_count(), 0, "nothing sent");
    // Customer.io's requirement: a device token.
    let out = env
        .cmd_for(&server)
        .args([
            "track",
            "Device Created or Updated",
            "--user-id",
            "u1",
            "--strict",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("cio-requirement: Device Created or Updated needs context.device.token; add context.device.token (with cio: --context device.token=TOKEN)"), "{}", stderr_of(&out));
    assert_eq!(server.request_count(), 0);
    // A warning is printed and does not block.
    let out = env
        .cmd_for(&server)
        .args(["track", "Products Added", "--user-id", "u1", "--strict"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).starts_with("cio: warning: event-name: \"Products Added\""));
    assert_eq!(server.request_count(), 1);
    // Without --strict the same bad call goes out as it is.
    let out = env
        .cmd_for(&server)
        .args([
            "track",
            "Product Added",
            "--user-id",
            "u1",
            "--prop",
            "price=$1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(server.request_count(), 2);
}

#[test]
fn strict_batch_makes_lint_errors_rejects_and_sends_the_rest() {
    let env = CioEnv::new();
    let server = TestServer::start();
    let file = env.path().join("in.ndjson");
    let rejects = env.path().join("rejects.ndjson");
    let mut lines = vec![
        track("Product Added", json!({"sku": "s", "price": 1})),
        track("Product Added", json!({"sku": "s", "price": "1"})),
        track("product added", json!({"sku": "s"})),
        json!({"type": "track", "event": "User Deleted", "anonymousId": "a"}),
    ];
    for line in &mut lines {
        line["messageId"] = json!(format!("m-{}", line.to_string().len()));
    }
    write_lines(&file, &lines);
    let out = env
        .cmd_for(&server)
        .args(["batch", "--strict", "--rejects"])
        .arg(&rejects)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let name = file.display().to_string();
    assert!(
        stderr_of(&out).contains(&format!("cio: warning: {name}:3: event-name: ")),
        "{}",
        stderr_of(&out)
    );
    let sent: Vec<String> = server
        .accepted_calls()
        .iter()
        .map(|c| c["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent, vec!["Product Added", "product added"]);
    let records: Vec<Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["kind"], "invalid");
    assert_eq!(records[0]["line"], 2);
    assert_eq!(
        records[0]["reason"],
        "lint property-type: properties.price is the string \"1\", but Product Added expects a number"
    );
    assert_eq!(records[0]["field"], "properties.price");
    assert_eq!(records[1]["line"], 4);
    assert!(records[1]["reason"]
        .as_str()
        .unwrap()
        .starts_with("lint cio-requirement: User Deleted needs 'userId'"));
    // Without --strict every line goes.
    let server = TestServer::start();
    let out = env
        .cmd_for(&server)
        .arg("batch")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(server.accepted_calls().len(), 4);
}

#[test]
fn events_lists_and_shows_the_specs() {
    let env = CioEnv::new();
    let out = env.cmd().arg("events").output().unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    for family in [
        "Ecommerce (v2)",
        "Mobile",
        "Video",
        "Email",
        "Live Chat",
        "A/B testing",
        "Customer.io actions",
    ] {
        assert!(
            text.contains(&format!("{family} (https://docs.customer.io/")),
            "{family}"
        );
    }
    assert!(text.contains("\n  Order Completed\n"));
    let out = env
        .cmd()
        .args(["events", "Product Added"])
        .output()
        .unwrap();
    assert!(
        stdout_of(&out).contains("  price       number\n"),
        "{}",
        stdout_of(&out)
    );
    let out = env
        .cmd()
        .args(["events", "Order Completed", "--json"])
        .output()
        .unwrap();
    let spec: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(spec["family"], "ecommerce");
    let props = spec["properties"].as_array().unwrap();
    assert!(props.contains(&json!({"name": "order_id", "type": "string", "expected": true})));
    assert!(props.contains(&json!({"name": "revenue", "type": "number", "expected": false})));
    let out = env
        .cmd()
        .args(["events", "Device Created or Updated", "--json"])
        .output()
        .unwrap();
    let spec: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(spec["requires"], json!(["userId", "context.device.token"]));
    // A name as people type it, in any case, is the event itself.
    let exact = env
        .cmd()
        .args(["events", "Product Added"])
        .output()
        .unwrap();
    let typed = env
        .cmd()
        .args(["events", "product added"])
        .output()
        .unwrap();
    assert_eq!(typed.status.code(), Some(0), "{}", stderr_of(&typed));
    assert_eq!(stdout_of(&typed), stdout_of(&exact));
    let out = env
        .cmd()
        .args(["events", "order_completed"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_of(&out),
        "cio: error: \"order_completed\" is not a semantic event; did you mean \"Order Completed\"?\n"
    );
    let out = env
        .cmd()
        .args(["events", "--names", "--family", "ab-testing"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out), "Experiment Viewed\n");
}

#[test]
fn bash_completes_event_names_quoted() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cio")).parent().unwrap();
    // The committed script, in a real bash, as a TAB after each of these words calls it.
    let script = r#"
source completions/cio.bash
COMP_TYPE=9
complete_at() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _clap_complete_cio cio "${@: -1}" "${@: -2:1}"; printf '%s\n' "${COMPREPLY[@]}"; echo --; }
complete_at cio track "Product A"
complete_at cio track '"Product A'
complete_at cio track 'Product\ A'
complete_at cio events Experiment
"#;
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&out),
        "Product\\ Added\nProduct\\ Added\\ to\\ Wishlist\n--\n\"Product Added\"\n\"Product Added to Wishlist\"\n--\nProduct\\ Added\nProduct\\ Added\\ to\\ Wishlist\n--\nExperiment\\ Viewed\n--\n",
        "{}",
        stderr_of(&out)
    );
}
