//! One input line → one call ready to send, or the reason it cannot be sent.
//! Each line is checked exactly like a single call (`envelope::complete`).

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::envelope::{self, Fill};
use crate::input::{json_error_message, json_kind};

/// What flags give every line that lacks it. A line's own values always win.
#[derive(Debug, Default, Clone)]
pub struct Defaults {
    pub call_type: Option<String>,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// `context` and `integrations` built from `--context` / `--integration` items.
    pub extras: Map<String, Value>,
}

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

/// The messageId of a line that has none: the same for the same source name,
/// line number and content on every replay, different for different lines.
pub fn derived_message_id(source: &str, line: u64, bytes: &[u8]) -> String {
    let mut key = Vec::with_capacity(source.len() + bytes.len() + 24);
    key.extend_from_slice(source.as_bytes());
    key.push(0);
    key.extend_from_slice(line.to_string().as_bytes());
    key.push(0);
    key.extend_from_slice(bytes);
    Uuid::new_v5(&NAMESPACE, &key).to_string()
}

/// Turns the bytes of one line into the serialized call.
pub fn prepare(
    bytes: &[u8],
    source: &str,
    line: u64,
    defaults: &Defaults,
    now: &str,
) -> Result<String, LineError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        LineError::new(format!("not valid UTF-8 (at byte {})", e.valid_up_to() + 1))
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        LineError::new(format!(
            "invalid JSON at column {}: {}",
            e.column(),
            json_error_message(&e)
        ))
    })?;
    let Value::Object(call) = value else {
        return Err(LineError::new(format!(
            "expected a JSON object (one call), found {}",
            json_kind(&value)
        )));
    };
    prepare_call(call, bytes, source, line, defaults, now)
}

/// The part of `prepare` after parsing, also used for the items of a JSON array document.
pub fn prepare_call(
    mut call: Map<String, Value>,
    bytes: &[u8],
    source: &str,
    line: u64,
    defaults: &Defaults,
    now: &str,
) -> Result<String, LineError> {
    apply_defaults(&mut call, defaults);
    let mut derive = || derived_message_id(source, line, bytes);
    let mut fill = Fill {
        now,
        message_id: &mut derive,
        force_library: false,
    };
    envelope::complete(&mut call, &mut fill).map_err(|e| LineError {
        reason: e.message,
        field: Some(e.field),
    })?;
    let json = serde_json::to_string(&call).map_err(|e| LineError::new(e.to_string()))?;
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

    fn ok(line: &str, defaults: &Defaults) -> Value {
        serde_json::from_str(&prepare(line.as_bytes(), "in.ndjson", 1, defaults, NOW).unwrap())
            .unwrap()
    }

    fn err(line: &[u8]) -> String {
        prepare(line, "in.ndjson", 1, &Defaults::default(), NOW)
            .unwrap_err()
            .reason
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derived_message_id("f", 1, b"{}");
        assert_eq!(a, derived_message_id("f", 1, b"{}"));
        assert_ne!(a, derived_message_id("f", 2, b"{}"));
        assert_ne!(a, derived_message_id("g", 1, b"{}"));
        assert_ne!(a, derived_message_id("f", 1, b"{ }"));
        let call = ok(
            r#"{"type":"track","event":"e","userId":"u"}"#,
            &Defaults::default(),
        );
        assert_eq!(
            call["messageId"],
            derived_message_id(
                "in.ndjson",
                1,
                br#"{"type":"track","event":"e","userId":"u"}"#
            )
        );
    }

    #[test]
    fn defaults_fill_but_never_overwrite() {
        let d = Defaults {
            call_type: Some("track".into()),
            user_id: Some("flag-user".into()),
            anonymous_id: None,
            extras: json!({"context": {"ip": "1.1.1.1", "app": {"name": "x"}}, "integrations": {"All": false}})
                .as_object().unwrap().clone(),
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
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(
            err(deep.as_bytes()).contains("recursion limit"),
            "{}",
            err(deep.as_bytes())
        );
    }
}
