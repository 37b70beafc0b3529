//! What the API would make of a request body: the calls in it, each checked
//! with the rules cio applies before it sends (`envelope::validate`), and the
//! answer the API gives in strict mode.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::envelope::{self, CallType, InvalidCall, ENVELOPE_FIELDS, PAYLOAD_OBJECTS};
use crate::input::{json_error_message, json_kind};
use crate::numbers;
use crate::timestamp;

/// One batch request's limit, in bytes after decompression: the API's 500 KB,
/// read as cio's `--max-batch-bytes` reads it (at most 500,000).
pub const MAX_BATCH_BYTES: usize = 500_000;

/// The paths the listener serves under `/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Single(CallType),
    Batch,
}

impl Route {
    /// `/v1/track` → `Single(Track)`; anything else under no route → None.
    pub fn from_path(path: &str) -> Option<Route> {
        let name = path.strip_prefix("/v1/")?.trim_end_matches('/');
        if name == "batch" {
            return Some(Route::Batch);
        }
        name.parse().ok().map(Route::Single)
    }

    /// The largest body this path takes, in bytes after decompression.
    pub fn limit(self) -> usize {
        match self {
            Route::Single(_) => envelope::MAX_CALL_BYTES,
            Route::Batch => MAX_BATCH_BYTES,
        }
    }
}

/// One call as it arrived, and what is wrong with it, if anything.
#[derive(Debug, Clone)]
pub struct Received {
    /// The call as sent (for a single call, with the `type` its path implies).
    pub call: Map<String, Value>,
    /// Its serialized size as it arrived.
    pub bytes: usize,
    /// Its place in a batch, for error messages.
    pub index: Option<usize>,
    pub problem: Option<InvalidCall>,
}

impl Received {
    pub fn call_type(&self) -> &str {
        self.call.get("type").and_then(Value::as_str).unwrap_or("?")
    }

    /// The text of the strict-mode error for this call.
    pub fn error_text(&self) -> Option<String> {
        let problem = self.problem.as_ref()?;
        Some(match self.index {
            Some(i) => format!("batch[{i}]: {}", problem.message),
            None => problem.message.clone(),
        })
    }
}

#[derive(Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Option<Vec<&'a RawValue>>,
}

/// The calls of a request, or why the request as a whole is malformed.
pub fn parse(route: Route, body: &[u8]) -> Result<Vec<Received>, String> {
    let text = std::str::from_utf8(body)
        .map_err(|e| format!("body is not valid UTF-8 (at byte {})", e.valid_up_to() + 1))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let invalid = |e: serde_json::Error| {
        format!(
            "invalid JSON at line {} column {}: {}",
            e.line(),
            e.column(),
            json_error_message(&e)
        )
    };
    match route {
        Route::Single(call_type) => match parse_value(text).map_err(|e| {
            format!(
                "invalid JSON at line {} column {}: {}",
                e.line, e.column, e.message
            )
        })? {
            Value::Object(sent) => Ok(vec![single(call_type, text, sent)]),
            other => Err(not_an_object(&other)),
        },
        Route::Batch => {
            // The items are parsed one by one below; the whole body only as raw JSON.
            let raw: &RawValue = serde_json::from_str(text).map_err(invalid)?;
            if !raw.get().starts_with('{') {
                let value: Value = serde_json::from_str(raw.get()).map_err(invalid)?;
                return Err(not_an_object(&value));
            }
            let items = serde_json::from_str::<BatchBody>(text)
                .ok()
                .and_then(|b| b.batch)
                .ok_or_else(|| "'batch' must be an array of calls".to_string())?;
            Ok(items
                .into_iter()
                .enumerate()
                .map(|(i, raw)| batch_item(i, raw))
                .collect())
        }
    }
}

/// Why a text is not JSON cio takes, and where.
struct JsonError {
    line: usize,
    column: usize,
    message: String,
}

/// `text` parsed, its numbers as written; one beyond a float is refused, as
/// serde_json did before it kept them as written.
fn parse_value(text: &str) -> Result<Value, JsonError> {
    let value = serde_json::from_str(text).map_err(|e| JsonError {
        line: e.line(),
        column: e.column(),
        message: json_error_message(&e),
    })?;
    match numbers::out_of_range(text) {
        Some(number) => Err(JsonError {
            line: number.line,
            column: number.column,
            message: "number out of range".into(),
        }),
        None => Ok(value),
    }
}

fn not_an_object(value: &Value) -> String {
    format!("expected a JSON object, found {}", json_kind(value))
}

fn single(call_type: CallType, text: &str, sent: Map<String, Value>) -> Received {
    // The path says the type; the call's own, if any, must agree.
    let mut call = Map::with_capacity(sent.len() + 1);
    let mut problem = None;
    match sent.get("type") {
        None | Some(Value::Null) => {
            call.insert("type".into(), Value::String(call_type.as_str().into()));
        }
        Some(Value::String(t)) if t == call_type.as_str() => {}
        Some(other) => {
            problem = Some(InvalidCall::new(
                "type",
                format!("'type' is {other} but the call came to /v1/{call_type}"),
            ))
        }
    }
    call.extend(sent);
    let problem = problem.or_else(|| check(text, &call).err());
    Received {
        call,
        bytes: text.trim().len(),
        index: None,
        problem,
    }
}

fn batch_item(index: usize, raw: &RawValue) -> Received {
    let text = raw.get();
    let bytes = text.len();
    let (call, problem) = match parse_value(text) {
        Ok(Value::Object(call)) => {
            let problem = envelope::check_size(bytes)
                .err()
                .or_else(|| check(text, &call).err());
            (call, problem)
        }
        Ok(other) => (
            Map::new(),
            Some(InvalidCall::new(
                "type",
                format!(
                    "expected a JSON object (one call), found {}",
                    json_kind(&other)
                ),
            )),
        ),
        Err(e) => (Map::new(), Some(InvalidCall::new("json", e.message))),
    };
    Received {
        call,
        bytes,
        index: Some(index),
        problem,
    }
}

/// The checks of `envelope::complete` that do not fill anything in: nulls in
/// envelope fields mean "not given", a key given twice is refused, required
/// fields and types as `validate` has them, and timestamps must parse.
pub fn check(text: &str, call: &Map<String, Value>) -> Result<CallType, InvalidCall> {
    envelope::top_level_fields(text)
        .map_err(|e| InvalidCall::new("json", json_error_message(&e)))?;
    let absent = |k: &String, v: &Value| {
        v.is_null()
            && k != "type"
            && (ENVELOPE_FIELDS.contains(&k.as_str()) || PAYLOAD_OBJECTS.contains(&k.as_str()))
    };
    // Most calls have no such null: copy the call only for those that do.
    let stripped;
    let call = if call.iter().any(|(k, v)| absent(k, v)) {
        let mut copy = call.clone();
        copy.retain(|k, v| !absent(k, v));
        stripped = copy;
        &stripped
    } else {
        call
    };
    let call_type = envelope::validate(call)?;
    // One clock reading for all of the call's time fields.
    let now = timestamp::now();
    for field in ["timestamp", "originalTimestamp", "sentAt"] {
        match call.get(field) {
            None => {}
            Some(Value::String(s)) if timestamp::from_text(s, &now, true).is_ok() => {}
            Some(Value::String(s)) => {
                return Err(InvalidCall::new(
                    field,
                    format!("'{field}' is not RFC 3339: '{s}'"),
                ))
            }
            Some(_) => {
                return Err(InvalidCall::new(
                    field,
                    format!("'{field}' must be a string"),
                ))
            }
        }
    }
    Ok(call_type)
}

/// The body of an error answer, in the API's shape: `{"meta":{"errors":[...]}}`.
pub fn error_body(errors: &[String]) -> String {
    json!({"meta": {"errors": errors}}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            Route::from_path("/v1/track"),
            Some(Route::Single(CallType::Track))
        );
        assert_eq!(Route::from_path("/v1/batch"), Some(Route::Batch));
        assert_eq!(Route::from_path("/v1/nope"), None);
        assert_eq!(Route::from_path("/track"), None);
    }

    #[test]
    fn single_calls_take_their_type_from_the_path() {
        let calls = parse(
            Route::Single(CallType::Track),
            br#"{"event":"e","userId":"u"}"#,
        )
        .unwrap();
        assert_eq!(calls[0].call["type"], "track");
        assert!(calls[0].problem.is_none());
        let calls = parse(
            Route::Single(CallType::Track),
            br#"{"type":"identify","userId":"u"}"#,
        )
        .unwrap();
        assert_eq!(calls[0].problem.as_ref().unwrap().field, "type");
    }

    #[test]
    fn batch_items_are_checked_one_by_one() {
        let body = br#"{"batch":[{"type":"track","event":"e","userId":"u"},{"type":"track","userId":"u"},3,{"type":"identify","userId":null,"anonymousId":"a","timestamp":"yesterday"}]}"#;
        let calls = parse(Route::Batch, body).unwrap();
        assert!(calls[0].problem.is_none());
        assert_eq!(
            calls[1].error_text().unwrap(),
            "batch[1]: 'event' is required for a track call"
        );
        assert!(calls[2].problem.is_some());
        assert_eq!(calls[3].problem.as_ref().unwrap().field, "timestamp");
        assert!(parse(Route::Batch, br#"{"batch":{}}"#).is_err());
        assert!(parse(Route::Batch, b"[1]").is_err());
        assert!(parse(Route::Batch, b"{\"batch\":[").is_err());
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let calls = parse(
            Route::Single(CallType::Identify),
            br#"{"userId":"a","userId":"b"}"#,
        )
        .unwrap();
        assert!(calls[0]
            .problem
            .as_ref()
            .unwrap()
            .message
            .contains("duplicate key"));
    }
}
