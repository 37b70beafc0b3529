//! The call envelope: what every call carries, the fields cio fills in, the
//! checks that keep a call the API would refuse from leaving the machine, and
//! its size in bytes. Single calls and `batch` both go through here.

use std::fmt;
use std::str::FromStr;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::timestamp;

/// One call's limit, in serialized UTF-8 bytes.
pub const MAX_CALL_BYTES: usize = 32 * 1024;
pub const MAX_MESSAGE_ID_CHARS: usize = 100;
/// What the `sentAt` added at each attempt costs a single call's body.
pub const SENT_AT_BYTES: usize = r#","sentAt":"2026-11-28T15:01:30.212Z""#.len();

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallType {
    Track,
    Identify,
    Page,
    Screen,
    Group,
    Alias,
}

impl CallType {
    pub const ALL: [CallType; 6] = [
        CallType::Track,
        CallType::Identify,
        CallType::Page,
        CallType::Screen,
        CallType::Group,
        CallType::Alias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Track => "track",
            CallType::Identify => "identify",
            CallType::Page => "page",
            CallType::Screen => "screen",
            CallType::Group => "group",
            CallType::Alias => "alias",
        }
    }
}

impl fmt::Display for CallType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallType {
    type Err = InvalidCall;
    fn from_str(s: &str) -> Result<Self, InvalidCall> {
        CallType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                InvalidCall::new(
                    "type",
                    format!("unknown type '{s}' (expected track, identify, page, screen, group or alias)"),
                )
            })
    }
}

/// Why a call cannot be sent, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidCall {
    pub field: String,
    pub message: String,
}

impl InvalidCall {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        InvalidCall {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// What `complete` fills into a call that lacks it.
pub struct Fill<'a> {
    /// The `timestamp` of a call that has none (RFC 3339, as `timestamp::now()` gives).
    pub now: &'a str,
    /// Makes the `messageId` of a call that has none.
    pub message_id: &'a mut dyn FnMut() -> String,
    /// Single calls always name cio as their library; a replayed line keeps its own.
    pub force_library: bool,
    /// Single page calls get `path` and `search` from their URL; a replayed one is kept as it was.
    pub page_from_url: bool,
    /// Take timestamps before 2000 or more than a day ahead (`--allow-old-timestamps`).
    pub any_time: bool,
}

/// Fields another system put on its calls, never forwarded: the source's
/// write key (a credential), fields the server sets itself (read-only in
/// Customer.io's schema), and a project id that means nothing here.
pub const FOREIGN_FIELDS: [&str; 4] = ["writeKey", "receivedAt", "version", "projectId"];

/// Identities that are there but say nothing (`""`, blanks) count as absent,
/// like `null`: SDKs send `"userId": ""` for every event before a login.
pub const BLANK_MEANS_ABSENT: [&str; 2] = ["userId", "anonymousId"];

/// The fields cio reads and checks; everything else in a call is payload it
/// passes through (`properties`, `traits`, and fields it does not know).
pub const ENVELOPE_FIELDS: [&str; 14] = [
    "type",
    "userId",
    "anonymousId",
    "groupId",
    "previousId",
    "event",
    "name",
    "category",
    "messageId",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "context",
    "integrations",
];

/// The payload objects every call type may carry.
pub const PAYLOAD_OBJECTS: [&str; 2] = ["properties", "traits"];

/// Whether `null` in this field means "not given": exports from other tools are
/// full of them (`"userId": null` on anonymous events, the seed's `"integrations": null`).
fn null_means_absent(field: &str) -> bool {
    field != "type" && (ENVELOPE_FIELDS.contains(&field) || PAYLOAD_OBJECTS.contains(&field))
}

/// Fills in what the API expects and cio owns, then validates.
///
/// Timestamps: the server corrects clock skew as
/// `timestamp = receivedAt − (sentAt − originalTimestamp)`. A replayed call must
/// land at its own time, so cio sends its time as `timestamp` alone and never
/// sends `originalTimestamp` or a stale `sentAt`; the sender adds a fresh
/// `sentAt` at each attempt.
pub fn complete(call: &mut Map<String, Value>, fill: &mut Fill) -> Result<CallType, InvalidCall> {
    call.retain(|k, v| {
        !(v.is_null() && null_means_absent(k)
            || BLANK_MEANS_ABSENT.contains(&k.as_str())
                && v.as_str().is_some_and(|s| s.trim().is_empty())
            || FOREIGN_FIELDS.contains(&k.as_str()))
    });
    let call_type = call_type_of(call)?;

    let original = call.remove("originalTimestamp");
    call.remove("sentAt");
    let ts = match call.get("timestamp").or(original.as_ref()) {
        Some(given) => timestamp::from_json(given, fill.now, fill.any_time)
            .map_err(|reason| InvalidCall::new("timestamp", reason))?,
        None => fill.now.to_string(),
    };
    call.insert("timestamp".into(), Value::String(ts));

    if !call.contains_key("messageId") {
        call.insert("messageId".into(), Value::String((fill.message_id)()));
    }

    let context = call
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(context) = context else {
        return Err(InvalidCall::new("context", "'context' must be an object"));
    };
    if fill.force_library || !context.contains_key("library") {
        context.insert("library".into(), library());
    }

    if call_type == CallType::Page && fill.page_from_url {
        fill_page_properties(call);
    }
    validate(call)?;
    Ok(call_type)
}

/// `{"name": "cio", "version": <crate version>}`
pub fn library() -> Value {
    json!({"name": "cio", "version": env!("CARGO_PKG_VERSION")})
}

fn call_type_of(call: &Map<String, Value>) -> Result<CallType, InvalidCall> {
    match call.get("type") {
        Some(Value::String(t)) => t.parse(),
        Some(_) => Err(InvalidCall::new("type", "'type' must be a string")),
        None => Err(InvalidCall::new("type", "'type' is missing")),
    }
}

/// Checks what the API checks, so that a call it would refuse never leaves.
pub fn validate(call: &Map<String, Value>) -> Result<CallType, InvalidCall> {
    let call_type = call_type_of(call)?;
    for field in ["userId", "anonymousId", "groupId", "previousId", "event"] {
        if let Some(v) = call.get(field) {
            match v {
                Value::String(s) if s.trim().is_empty() => {
                    return Err(InvalidCall::new(field, format!("'{field}' is empty")))
                }
                Value::String(_) => {}
                _ => {
                    return Err(InvalidCall::new(
                        field,
                        format!("'{field}' must be a string"),
                    ))
                }
            }
        }
    }
    for field in ["name", "category"] {
        if call.get(field).is_some_and(|v| !v.is_string()) {
            return Err(InvalidCall::new(
                field,
                format!("'{field}' must be a string"),
            ));
        }
    }
    for field in ["properties", "traits", "context", "integrations"] {
        if call.get(field).is_some_and(|v| !v.is_object()) {
            return Err(InvalidCall::new(
                field,
                format!("'{field}' must be an object"),
            ));
        }
    }
    if let Some(Value::Object(integrations)) = call.get("integrations") {
        if let Some((name, _)) = integrations
            .iter()
            .find(|(_, v)| !(v.is_boolean() || v.is_object()))
        {
            return Err(InvalidCall::new(
                "integrations",
                format!("'integrations.{name}' must be true, false or an object"),
            ));
        }
    }
    match call.get("messageId") {
        Some(Value::String(id)) if id.is_empty() => {
            return Err(InvalidCall::new("messageId", "'messageId' is empty"))
        }
        Some(Value::String(id)) if id.chars().count() > MAX_MESSAGE_ID_CHARS => {
            return Err(InvalidCall::new(
                "messageId",
                format!("'messageId' is longer than {MAX_MESSAGE_ID_CHARS} characters"),
            ))
        }
        Some(Value::String(_)) | None => {}
        Some(_) => {
            return Err(InvalidCall::new(
                "messageId",
                "'messageId' must be a string",
            ))
        }
    }

    let has = |field: &str| call.contains_key(field);
    let needs_identity = || {
        if has("userId") || has("anonymousId") {
            Ok(())
        } else {
            Err(InvalidCall::new(
                "userId",
                format!(
                    "{} call needs 'userId' or 'anonymousId'",
                    crate::output::a(call_type)
                ),
            ))
        }
    };
    let needs = |field: &str| {
        if has(field) {
            Ok(())
        } else {
            Err(InvalidCall::new(
                field,
                format!(
                    "'{field}' is required for {} call",
                    crate::output::a(call_type)
                ),
            ))
        }
    };
    match call_type {
        CallType::Track => {
            needs("event")?;
            needs_identity()?
        }
        CallType::Identify | CallType::Page | CallType::Screen => needs_identity()?,
        CallType::Group => {
            needs("groupId")?;
            needs_identity()?
        }
        CallType::Alias => {
            needs("previousId")?;
            needs("userId")?
        }
    }
    Ok(call_type)
}

/// Refuses a call over the API's limit, saying how big it is.
pub fn check_size(bytes: usize) -> Result<(), InvalidCall> {
    if bytes > MAX_CALL_BYTES {
        Err(InvalidCall::new(
            "size",
            format!(
                "the call is {bytes} bytes, over the API's limit of {MAX_CALL_BYTES} bytes (32 KB)"
            ),
        ))
    } else {
        Ok(())
    }
}

/// From `properties.url`, fills the spec's `path` and `search` unless given.
fn fill_page_properties(call: &mut Map<String, Value>) {
    let Some(Value::Object(props)) = call.get_mut("properties") else {
        return;
    };
    let Some(url) = props
        .get("url")
        .and_then(Value::as_str)
        .and_then(|u| reqwest::Url::parse(u).ok())
    else {
        return;
    };
    if !props.contains_key("path") {
        props.insert("path".into(), Value::String(url.path().to_string()));
    }
    if !props.contains_key("search") {
        let search = url.query().map(|q| format!("?{q}")).unwrap_or_default();
        props.insert("search".into(), Value::String(search));
    }
}

/// The top-level fields of a call, values left as raw JSON; a key given twice is an error
/// (which of the two would the server take?).
pub struct TopLevel<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields: Vec<(String, &'de RawValue)> = Vec::with_capacity(12);
                while let Some(key) = map.next_key::<String>()? {
                    if fields.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format!("duplicate key '{key}'")));
                    }
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key, value));
                }
                Ok(TopLevel(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The top-level fields of a call as raw JSON, refusing a key given twice.
pub fn top_level_fields(text: &str) -> serde_json::Result<Vec<(String, &RawValue)>> {
    serde_json::from_str::<TopLevel>(text).map(|t| t.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn complete_with(v: Value) -> Result<(CallType, Map<String, Value>), InvalidCall> {
        let mut call = obj(v);
        let mut next = || "generated-id".to_string();
        let mut fill = Fill {
            now: "2026-11-28T15:01:30.212Z",
            message_id: &mut next,
            force_library: false,
            page_from_url: true,
            any_time: false,
        };
        complete(&mut call, &mut fill).map(|t| (t, call))
    }

    #[test]
    fn fills_message_id_timestamp_and_library() {
        let (t, call) =
            complete_with(json!({"type": "track", "event": "login", "userId": "u1"})).unwrap();
        assert_eq!(t, CallType::Track);
        assert_eq!(call["messageId"], "generated-id");
        assert_eq!(call["timestamp"], "2026-11-28T15:01:30.212Z");
        assert_eq!(call["context"]["library"]["name"], "cio");
    }

    #[test]
    fn keeps_own_library_unless_forced_and_merges_context() {
        let (_, call) = complete_with(json!({"type": "identify", "userId": "u", "context": {"ip": "1.2.3.4", "library": {"name": "analytics.js"}}})).unwrap();
        assert_eq!(call["context"]["library"]["name"], "analytics.js");
        assert_eq!(call["context"]["ip"], "1.2.3.4");
    }

    #[test]
    fn replayed_timestamp_is_pinned() {
        let (_, call) = complete_with(json!({"type": "track", "event": "e", "userId": "u",
            "timestamp": "2015-12-12T19:11:01.249Z", "originalTimestamp": "2015-12-12T19:11:01.152Z",
            "sentAt": "2015-12-12T19:11:01.169Z"})).unwrap();
        assert_eq!(call["timestamp"], "2015-12-12T19:11:01.249Z");
        assert!(!call.contains_key("originalTimestamp"));
        assert!(!call.contains_key("sentAt"));
        let (_, call) = complete_with(json!({"type": "track", "event": "e", "userId": "u",
            "originalTimestamp": "2015-12-12T19:11:01+00:00"}))
        .unwrap();
        assert_eq!(call["timestamp"], "2015-12-12T19:11:01.000Z");
    }

    #[test]
    fn required_fields_per_type() {
        let err = |v: Value| complete_with(v).unwrap_err();
        assert_eq!(
            err(json!({"type": "track", "userId": "u"})).message,
            "'event' is required for a track call"
        );
        assert_eq!(
            err(json!({"type": "track", "event": "e"})).message,
            "a track call needs 'userId' or 'anonymousId'"
        );
        assert_eq!(
            err(json!({"type": "group", "userId": "u"})).field,
            "groupId"
        );
        assert_eq!(
            err(json!({"type": "alias", "userId": "u"})).field,
            "previousId"
        );
        assert_eq!(
            err(json!({"type": "alias", "previousId": "p", "anonymousId": "a"})).field,
            "userId"
        );
        assert_eq!(err(json!({"type": "bogus"})).field, "type");
        assert_eq!(err(json!({"event": "e"})).message, "'type' is missing");
        assert_eq!(
            err(json!({"type": "identify", "userId": 5})).message,
            "'userId' must be a string"
        );
        assert_eq!(
            err(json!({"type": "identify", "userId": "u", "traits": []})).message,
            "'traits' must be an object"
        );
        assert_eq!(
            err(json!({"type": "identify", "userId": "u", "timestamp": "yesterday"})).field,
            "timestamp"
        );
        assert_eq!(
            err(json!({"type": "identify", "userId": "u", "messageId": "x".repeat(101)})).field,
            "messageId"
        );
        assert_eq!(
            err(json!({"type": "identify", "userId": "u", "integrations": {"A": 1}})).field,
            "integrations"
        );
        assert!(complete_with(
            json!({"type": "identify", "userId": null, "anonymousId": "a", "integrations": null})
        )
        .is_ok());
    }

    #[test]
    fn page_url_fills_path_and_search() {
        let (_, call) = complete_with(json!({"type": "page", "userId": "u",
            "properties": {"url": "https://example.com/docs/a?q=1#top"}}))
        .unwrap();
        assert_eq!(call["properties"]["path"], "/docs/a");
        assert_eq!(call["properties"]["search"], "?q=1");
        let (_, call) = complete_with(json!({"type": "page", "userId": "u",
            "properties": {"url": "https://example.com/", "path": "/given"}}))
        .unwrap();
        assert_eq!(call["properties"]["path"], "/given");
        assert_eq!(call["properties"]["search"], "");
    }

    #[test]
    fn size_limit_is_in_bytes() {
        assert!(check_size(MAX_CALL_BYTES).is_ok());
        let e = check_size(MAX_CALL_BYTES + 1).unwrap_err();
        assert_eq!(
            e.message,
            "the call is 32769 bytes, over the API's limit of 32768 bytes (32 KB)"
        );
    }
}
