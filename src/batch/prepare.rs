//! One input line → one call ready to send, or the reason it cannot be sent.
//! Each line is checked exactly like a single call (`envelope::complete`).

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::rejects;
use crate::envelope::{
    self, Fill, BLANK_MEANS_ABSENT, ENVELOPE_FIELDS, FOREIGN_FIELDS, PAYLOAD_OBJECTS,
};
use crate::input::{json_error_message, json_kind};

/// What flags give every line that lacks it. A line's own values always win.
#[derive(Debug, Default, Clone)]
pub struct Defaults {
    pub call_type: Option<String>,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// `context` and `integrations` built from `--context` / `--integration` items.
    pub extras: Map<String, Value>,
    /// `--allow-old-timestamps`
    pub allow_old_timestamps: bool,
    /// The semantic-event linter, when `--strict` or `cio lint` asks for it.
    pub lint: Option<std::sync::Arc<crate::lint::Hook>>,
}

/// A line made ready: a call to send, or one cio leaves out on purpose.
#[derive(Debug, Clone, PartialEq)]
pub enum Ready {
    Call(Call),
    /// A call of a known type the API has no endpoint for (Segment's `delete`): the reason.
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub json: String,
    pub message_id: String,
    /// Which of `envelope::FOREIGN_FIELDS` the line had and cio dropped.
    pub stripped: Stripped,
    /// What Customer.io's schema refuses in it, when checked (dry runs).
    pub schema_problem: Option<String>,
}

/// A set of `envelope::FOREIGN_FIELDS`, by index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stripped(u8);

impl Stripped {
    fn add(&mut self, index: usize) {
        self.0 |= 1 << index;
    }

    /// The fields, by their index in `FOREIGN_FIELDS`.
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..FOREIGN_FIELDS.len()).filter(move |i| self.0 & (1 << i) != 0)
    }
}

/// Call types of other tools that the API has no endpoint for, and why they are skipped.
const SKIPPED_TYPES: [(&str, &str); 1] = [(
    "\"delete\"",
    "a delete call (user deletion) has no endpoint in the batch API",
)];

/// Why a line was not sent, and the field at fault when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    pub reason: String,
    pub field: Option<String>,
}

impl LineError {
    fn new(reason: impl Into<String>) -> Self {
        LineError {
            reason: reason.into(),
            field: None,
        }
    }
}

// Stable namespace for the messageIds cio derives from input lines.
const NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_0c4e_3a1b_4f0e_9d7a_2b8c_5e6f_7a10);

/// Where a line sits: what a derived messageId is made of, besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct LineId {
    /// This run's id: random for a fresh run, the checkpoint's on a resume.
    pub run: Uuid,
    /// The input's index on the command line.
    pub source: usize,
    /// 1-based line (or item) number in that input.
    pub line: u64,
}

/// The messageId of a line that has none.
///
/// A line with its own timestamp is an event that happened once: its id comes
/// from its line number and bytes alone, so the same archive replayed under any
/// path, a renamed copy or stdin gets the same ids and the server deduplicates
/// a re-run. A line without a timestamp is a new event each time it is read
/// (it is stamped with the time it was read): its id also depends on the run,
/// so only a resume of the same run (same checkpoint) gives it the same id.
pub fn derived_message_id(at: LineId, timestamped: bool, bytes: &[u8]) -> String {
    let mut key = Vec::with_capacity(bytes.len() + 64);
    if !timestamped {
        key.extend_from_slice(at.run.as_bytes());
        key.extend_from_slice(&(at.source as u64).to_le_bytes());
    }
    key.extend_from_slice(&at.line.to_le_bytes());
    key.extend_from_slice(bytes);
    Uuid::new_v5(&NAMESPACE, &key).to_string()
}

/// Turns the bytes of one line into the serialized call.
pub fn prepare(
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
) -> Result<String, LineError> {
    match prepare_line(bytes, at, defaults, now)? {
        Ready::Call(call) => Ok(call.json),
        Ready::Skipped(reason) => Err(LineError::new(reason)),
    }
}

/// Turns the bytes of one line into the call to send, or says why it is left out.
///
/// Only the envelope is parsed: the payload (`properties`, `traits`, and
/// fields cio does not know) is checked to be well-formed JSON and passed
/// through as the bytes it came as, which is most of what makes a replay fast.
pub fn prepare_line(
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
) -> Result<Ready, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        LineError::new(format!("not valid UTF-8 (at byte {})", e.valid_up_to() + 1))
    })?;
    let invalid = |e: serde_json::Error| {
        LineError::new(format!(
            "invalid JSON at column {}: {}",
            e.column(),
            json_error_message(&e)
        ))
    };
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        let value: Value = serde_json::from_str(text).map_err(invalid)?;
        return Err(LineError::new(format!(
            "expected a JSON object (one call), found {}",
            json_kind(&value)
        )));
    }
    let fields = envelope::top_level_fields(text).map_err(invalid)?;
    if let Some(inner) = rejects::replayable(&fields).map_err(LineError::new)? {
        // A record of cio's own rejects file: replay the call it holds.
        return prepare_line(inner.as_bytes(), at, defaults, now);
    }
    let call_type = fields
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.get());
    if let Some((_, reason)) = SKIPPED_TYPES.iter().find(|(t, _)| Some(*t) == call_type) {
        return Ok(Ready::Skipped(reason.to_string()));
    }

    let mut call = Map::new();
    let mut raw: Vec<(String, &RawValue)> = Vec::new();
    let mut stripped = Stripped::default();
    for (key, value) in fields {
        if let Some(i) = FOREIGN_FIELDS.iter().position(|f| *f == key) {
            stripped.add(i);
            continue;
        }
        let payload = PAYLOAD_OBJECTS.contains(&key.as_str());
        let passthrough =
            !ENVELOPE_FIELDS.contains(&key.as_str()) && !PAYLOAD_OBJECTS.contains(&key.as_str());
        if (payload && value.get().starts_with('{')) || passthrough {
            check_payload(value.get())?;
            // A placeholder lets the envelope checks see that the object is there.
            if payload {
                call.insert(key.clone(), Value::Object(Map::new()));
            }
            raw.push((key, value));
        } else {
            let parsed: Value = serde_json::from_str(value.get()).map_err(invalid)?;
            let blank = parsed.as_str().is_some_and(|s| s.trim().is_empty());
            // Absent, so that a default identity can fill it.
            if !(blank && BLANK_MEANS_ABSENT.contains(&key.as_str())) {
                call.insert(key, parsed);
            }
        }
    }
    let json = complete_call(&mut call, bytes, at, defaults, now, &raw)?;
    let message_id = match call.remove("messageId") {
        Some(Value::String(id)) => id,
        _ => String::new(),
    };
    Ok(Ready::Call(Call {
        json,
        message_id,
        stripped,
        schema_problem: None,
    }))
}

/// The nesting serde_json allows when it parses a value (single calls parse everything).
const MAX_DEPTH: usize = 128;

/// Refuses raw payload that a parsed call could not hold: nesting deeper than
/// serde_json allows, or a number out of range (`1e400`). The JSON is already
/// known to be well-formed, so a byte scan is enough.
fn check_payload(json: &str) -> Result<(), LineError> {
    let bytes = json.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        match b {
            // Strings are most of a payload: jump from quote or backslash to the next.
            b'"' => loop {
                let rest = bytes.get(i..).unwrap_or_default();
                match memchr::memchr2(b'"', b'\\', rest) {
                    Some(at) if bytes[i + at] == b'\\' => i += at + 2,
                    Some(at) => {
                        i += at + 1;
                        break;
                    }
                    None => return Ok(()),
                }
            },
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(LineError::new(format!(
                        "invalid JSON: nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let start = i - 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                let number = &json[start..i];
                if number.contains(['e', 'E']) && number.parse::<f64>().is_ok_and(f64::is_infinite)
                {
                    return Err(LineError::new(format!(
                        "invalid JSON: number out of range ({number})"
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Fills and checks the envelope, then writes the call with the raw payload spliced in.
fn complete_call(
    call: &mut Map<String, Value>,
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
    raw: &[(String, &RawValue)],
) -> Result<String, LineError> {
    apply_defaults(call, defaults);
    let present = |k: &str| call.get(k).is_some_and(|v| !v.is_null());
    let timestamped = present("timestamp") || present("originalTimestamp");
    let mut derive = || derived_message_id(at, timestamped, bytes);
    let mut fill = Fill {
        now,
        message_id: &mut derive,
        force_library: false,
        page_from_url: false,
        any_time: defaults.allow_old_timestamps,
    };
    envelope::complete(call, &mut fill).map_err(|e| LineError {
        reason: e.message,
        field: Some(e.field),
    })?;
    for (key, _) in raw {
        call.remove(key);
    }
    // Sized once for the whole call: the line plus what cio adds (timestamp,
    // messageId, library), so the payload is copied in without regrowing.
    let mut out = Vec::with_capacity(bytes.len() + 256);
    let unwritable = |e: serde_json::Error| LineError::new(e.to_string());
    serde_json::to_writer(&mut out, &*call).map_err(unwritable)?;
    if !raw.is_empty() {
        out.pop(); // the closing brace
        for (key, value) in raw {
            out.push(b',');
            serde_json::to_writer(&mut out, key).map_err(unwritable)?;
            out.push(b':');
            out.extend_from_slice(value.get().as_bytes());
        }
        out.push(b'}');
    }
    // serde_json writes UTF-8, and the raw parts are slices of a `str`.
    let json = String::from_utf8(out).map_err(|e| LineError::new(e.to_string()))?;
    envelope::check_size(json.len()).map_err(|e| LineError {
        reason: e.message,
        field: Some(e.field),
    })?;
    Ok(json)
}

fn apply_defaults(call: &mut Map<String, Value>, defaults: &Defaults) {
    let absent = |c: &Map<String, Value>, k: &str| c.get(k).is_none_or(Value::is_null);
    if let Some(t) = &defaults.call_type {
        if absent(call, "type") {
            call.insert("type".into(), Value::String(t.clone()));
        }
    }
    if absent(call, "userId") && absent(call, "anonymousId") {
        if let Some(id) = &defaults.user_id {
            call.insert("userId".into(), Value::String(id.clone()));
        }
        if let Some(id) = &defaults.anonymous_id {
            call.insert("anonymousId".into(), Value::String(id.clone()));
        }
    }
    merge_under(call, &defaults.extras);
}

/// Adds what `defaults` has and `target` lacks, recursing into objects both have.
pub fn merge_under(target: &mut Map<String, Value>, defaults: &Map<String, Value>) {
    for (key, default) in defaults {
        match target.get_mut(key) {
            None | Some(Value::Null) => {
                target.insert(key.clone(), default.clone());
            }
            Some(Value::Object(inner)) => {
                if let Value::Object(d) = default {
                    merge_under(inner, d);
                }
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: &str = "2026-11-28T15:01:30.212Z";
    const RUN: Uuid = Uuid::from_u128(1);

    fn at(line: u64) -> LineId {
        LineId {
            run: RUN,
            source: 0,
            line,
        }
    }

    fn ok(line: &str, defaults: &Defaults) -> Value {
        serde_json::from_str(&prepare(line.as_bytes(), at(1), defaults, NOW).unwrap()).unwrap()
    }

    fn err(line: &[u8]) -> String {
        prepare(line, at(1), &Defaults::default(), NOW)
            .unwrap_err()
            .reason
    }

    #[test]
    fn derived_ids_follow_the_timestamp_rule() {
        let other_run = LineId {
            run: Uuid::from_u128(2),
            ..at(1)
        };
        let other_source = LineId { source: 1, ..at(1) };
        // A timestamped line: the same id whatever the run or the input's place.
        let a = derived_message_id(at(1), true, b"{}");
        assert_eq!(a, derived_message_id(other_run, true, b"{}"));
        assert_eq!(a, derived_message_id(other_source, true, b"{}"));
        assert_ne!(a, derived_message_id(at(2), true, b"{}"));
        assert_ne!(a, derived_message_id(at(1), true, b"{ }"));
        // A line without one: a new event in every run.
        let b = derived_message_id(at(1), false, b"{}");
        assert_eq!(b, derived_message_id(at(1), false, b"{}"));
        assert_ne!(b, derived_message_id(other_run, false, b"{}"));
        assert_ne!(b, derived_message_id(other_source, false, b"{}"));
        assert_ne!(a, b);

        let line = r#"{"type":"track","event":"e","userId":"u"}"#;
        let call = ok(line, &Defaults::default());
        assert_eq!(
            call["messageId"],
            derived_message_id(at(1), false, line.as_bytes())
        );
        let line = r#"{"type":"track","event":"e","userId":"u","originalTimestamp":"2020-01-01T00:00:00Z"}"#;
        let call = ok(line, &Defaults::default());
        assert_eq!(
            call["messageId"],
            derived_message_id(at(1), true, line.as_bytes())
        );
        let given = ok(
            r#"{"type":"track","event":"e","userId":"u","messageId":"mine"}"#,
            &Defaults::default(),
        );
        assert_eq!(given["messageId"], "mine");
    }

    #[test]
    fn a_rejects_record_replays_its_call() {
        let sent = r#"{"type":"track","event":"e","userId":"u","messageId":"m1","timestamp":"2020-01-01T00:00:00.000Z"}"#;
        let record = format!(
            r#"{{"kind":"undeliverable","source":"in.ndjson","line":7,"reason":"not delivered: 500","field":null,"original":"{{}}","call":{sent}}}"#
        );
        let call = ok(&record, &Defaults::default());
        assert_eq!(call["messageId"], "m1");
        assert_eq!(call["timestamp"], "2020-01-01T00:00:00.000Z");
        assert!(call.get("kind").is_none() && call.get("original").is_none());
        // An invalid line's record holds only the original, perhaps fixed by hand.
        let fixed = r#"{"kind":"invalid","source":"in.ndjson","line":3,"reason":"x","field":"event","original":"{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\"}"}"#;
        let call = ok(fixed, &Defaults::default());
        assert_eq!(call["event"], "e");
        // Anything else with a `kind` is an ordinary (invalid) call.
        assert_eq!(err(br#"{"kind":"x","original":"{}"}"#), "'type' is missing");
    }

    #[test]
    fn defaults_fill_but_never_overwrite() {
        let d = Defaults {
            call_type: Some("track".into()),
            user_id: Some("flag-user".into()),
            anonymous_id: None,
            extras: json!({"context": {"ip": "1.1.1.1", "app": {"name": "x"}}, "integrations": {"All": false}})
                .as_object().unwrap().clone(),
            ..Defaults::default()
        };
        let call = ok(
            r#"{"event":"e","context":{"ip":"2.2.2.2","app":{"version":"1"}}}"#,
            &d,
        );
        assert_eq!(call["type"], "track");
        assert_eq!(call["userId"], "flag-user");
        assert_eq!(call["context"]["ip"], "2.2.2.2");
        assert_eq!(call["context"]["app"], json!({"version": "1", "name": "x"}));
        assert_eq!(call["integrations"]["All"], false);
        let call = ok(r#"{"type":"identify","anonymousId":"a"}"#, &d);
        assert_eq!(call["type"], "identify");
        assert!(
            call.get("userId").is_none(),
            "a line's own identity is kept alone"
        );
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(
            err(b"{\"type\":"),
            "invalid JSON at column 8: EOF while parsing a value"
        );
        assert_eq!(
            err(b"[1]"),
            "expected a JSON object (one call), found an array"
        );
        assert_eq!(
            err(b"{\"type\":\"track\",\"userId\":\"u\"}"),
            "'event' is required for a track call"
        );
        assert_eq!(
            err(b"{\"type\":\"track\",\"event\":\"e\"}"),
            "a track call needs 'userId' or 'anonymousId'"
        );
        assert_eq!(err(b"\xff{}"), "not valid UTF-8 (at byte 1)");
        let big = format!(
            r#"{{"type":"track","event":"e","userId":"u","properties":{{"x":"{}"}}}}"#,
            "é".repeat(17_000)
        );
        assert!(
            err(big.as_bytes()).starts_with("the call is 34"),
            "{}",
            err(big.as_bytes())
        );
        let deep_payload = format!(
            r#"{{"type":"track","event":"e","userId":"u","properties":{{"a":{}1{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(
            err(deep_payload.as_bytes()),
            "invalid JSON: nested deeper than 128 levels"
        );
        let huge =
            br#"{"type":"track","event":"e","userId":"u","properties":{"n":1e400,"ok":"1e400"}}"#;
        assert_eq!(err(huge), "invalid JSON: number out of range (1e400)");
        assert!(prepare(
            br#"{"type":"track","event":"e","userId":"u","properties":{"n":-1.5e300,"s":"1e999"}}"#,
            at(1),
            &Defaults::default(),
            NOW
        )
        .is_ok());
        // Brackets, quotes and numbers inside strings are text, not structure.
        let in_strings = format!(
            r#"{{"type":"track","event":"e","userId":"u","properties":{{"s":"{}\\\"{} 1e400","t\\\\":"\\\\"}}}}"#,
            "[".repeat(200),
            "{".repeat(200)
        );
        assert!(
            prepare(in_strings.as_bytes(), at(1), &Defaults::default(), NOW).is_ok(),
            "{in_strings}"
        );
        let dup = br#"{"type":"track","event":"e","userId":"u","userId":"v"}"#;
        assert!(err(dup).contains("duplicate key 'userId'"), "{}", err(dup));
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(
            err(deep.as_bytes()).contains("recursion limit"),
            "{}",
            err(deep.as_bytes())
        );
    }

    #[test]
    fn blank_identities_are_absent_and_foreign_fields_are_dropped() {
        let line = br#"{"type":"track","event":"e","userId":"","anonymousId":"a-1","writeKey":"other","receivedAt":"2023-05-05T01:27:05Z","version":"1.1","projectId":"p","_metadata":{"bundled":[]}}"#;
        let Ready::Call(call) = prepare_line(line, at(1), &Defaults::default(), NOW).unwrap()
        else {
            panic!("not a call");
        };
        let sent: Value = serde_json::from_str(&call.json).unwrap();
        assert!(sent.get("userId").is_none(), "{sent}");
        assert_eq!(sent["anonymousId"], "a-1");
        for field in FOREIGN_FIELDS {
            assert!(sent.get(field).is_none(), "{field} in {sent}");
        }
        assert_eq!(
            sent["_metadata"],
            json!({"bundled": []}),
            "the rest passes through"
        );
        assert_eq!(
            call.stripped.indices().collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(call.message_id, sent["messageId"]);

        let d = Defaults {
            user_id: Some("flag-user".into()),
            ..Defaults::default()
        };
        let call = ok(r#"{"type":"identify","userId":"  ","anonymousId":""}"#, &d);
        assert_eq!(call["userId"], "flag-user");
        assert_eq!(
            err(br#"{"type":"identify","userId":" ","anonymousId":""}"#),
            "an identify call needs 'userId' or 'anonymousId'"
        );
    }

    #[test]
    fn deletes_are_skipped_and_replayed_pages_keep_their_properties() {
        let line = br#"{"type":"delete","userId":"u","messageId":"d-1"}"#;
        assert!(matches!(
            prepare_line(line, at(1), &Defaults::default(), NOW),
            Ok(Ready::Skipped(reason)) if reason.contains("delete")
        ));
        assert!(err(br#"{"type":"Delete","userId":"u"}"#).contains("unknown type"));
        let page = ok(
            r#"{"type":"page","userId":"u","properties":{"url":"https://e.com/a?b=1"}}"#,
            &Defaults::default(),
        );
        assert_eq!(page["properties"], json!({"url": "https://e.com/a?b=1"}));
    }
}
