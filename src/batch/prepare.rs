//! One input line → one call ready to send, or the reason it cannot be sent.
//! Each line is checked exactly like a single call (`envelope::complete`).

use std::hash::BuildHasher;
use std::ops::Range;
use std::sync::LazyLock;

use memchr::memmem;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::rejects;
use super::scan::{self, Member};
use crate::envelope::{
    self, CallType, Fill, BLANK_MEANS_ABSENT, ENVELOPE_FIELDS, FOREIGN_FIELDS, MAX_CALL_BYTES,
    MAX_MESSAGE_ID_CHARS, PAYLOAD_OBJECTS,
};
use crate::input::{json_error_message, json_kind};
use crate::timestamp;

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
    /// Where the serialized call is in the buffer given to `prepare_line`:
    /// a run's calls share one buffer, not a string each.
    pub json: Range<usize>,
    /// `id_hash` of its messageId, to find duplicates.
    pub id_hash: u64,
    /// `id_hash` of whose call it is (`order_key`): the replay sends one
    /// user's calls in input order, never two requests of theirs at once.
    pub order_key: u64,
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
    derived_uuid(at, timestamped, bytes).to_string()
}

fn derived_uuid(at: LineId, timestamped: bool, bytes: &[u8]) -> Uuid {
    let mut key = Vec::with_capacity(bytes.len() + 64);
    if !timestamped {
        key.extend_from_slice(at.run.as_bytes());
        key.extend_from_slice(&(at.source as u64).to_le_bytes());
    }
    key.extend_from_slice(&at.line.to_le_bytes());
    key.extend_from_slice(bytes);
    Uuid::new_v5(&NAMESPACE, &key)
}

/// A messageId's hash (64 bits: a false match among millions of ids is about
/// one in a million), which is all the search for duplicates keeps of it.
/// foldhash, not std's SipHash: no key to guard against chosen collisions
/// (one would only add to a warning's count), at a fraction of the CPU.
pub fn id_hash(id: &str) -> u64 {
    foldhash::quality::FixedState::with_seed(0).hash_one(id)
}

/// Whose call it is, for keeping each one's calls in order: its userId,
/// else its anonymousId, else (no identity to keep in order) its messageId;
/// as `id_hash` has the text. Sharding by user needs the same key.
pub fn order_key(user_id: Option<&str>, anonymous_id: Option<&str>, message_id: &str) -> u64 {
    id_hash(user_id.or(anonymous_id).unwrap_or(message_id))
}

/// Turns the bytes of one line into the serialized call.
pub fn prepare(
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
) -> Result<String, LineError> {
    let mut out = String::new();
    match prepare_line(bytes, at, defaults, now, &mut out)? {
        Ready::Call(call) => {
            out.truncate(call.json.end);
            Ok(out.split_off(call.json.start))
        }
        Ready::Skipped(reason) => Err(LineError::new(reason)),
    }
}

/// Turns the bytes of one line into the call to send, or says why it is left out.
///
/// Only the envelope is parsed: the payload (`properties`, `traits`, and
/// fields cio does not know) is checked to be well-formed JSON and passed
/// through as the bytes it came as, which is most of what makes a replay fast.
/// The call is appended to `out` (`Call::json` says where).
pub fn prepare_line(
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
    out: &mut String,
) -> Result<Ready, LineError> {
    let start = out.len();
    match quick_call(bytes, at, defaults, now, out) {
        Some(call) => Ok(Ready::Call(call)),
        None => {
            out.truncate(start);
            prepare_full(bytes, at, defaults, now, out)
        }
    }
}

/// `prepare_line` through the envelope as a `Map`: every line the quick path
/// leaves, and so every error text, comes from here.
fn prepare_full(
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
    out: &mut String,
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
        return prepare_line(inner.as_bytes(), at, defaults, now, out);
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
            // Numbers parse as written: one beyond a float is refused in the
            // words and at the column serde_json gave before.
            if let Some(number) = crate::numbers::out_of_range(value.get()) {
                return Err(LineError::new(format!(
                    "invalid JSON at column {}: number out of range",
                    number.column
                )));
            }
            let blank = parsed.as_str().is_some_and(|s| s.trim().is_empty());
            // Absent, so that a default identity can fill it.
            if !(blank && BLANK_MEANS_ABSENT.contains(&key.as_str())) {
                call.insert(key, parsed);
            }
        }
    }
    let json = complete_call(&mut call, bytes, at, defaults, now, &raw)?;
    let id = match call.get("messageId") {
        Some(Value::String(id)) => id.as_str(),
        _ => "",
    };
    // An identity that is not a string (a number) counts as its JSON text.
    let identity = |key: &str| match call.get(key) {
        Some(Value::String(s)) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Some(Value::Null) | None => None,
        Some(other) => Some(std::borrow::Cow::Owned(other.to_string())),
    };
    let order_key = order_key(
        identity("userId").as_deref(),
        identity("anonymousId").as_deref(),
        id,
    );
    let start = out.len();
    out.push_str(&json);
    Ok(Ready::Call(Call {
        json: start..out.len(),
        id_hash: id_hash(id),
        order_key,
        stripped,
        schema_problem: None,
    }))
}

/// Finds the text `"library"`, made once: building a searcher costs more
/// than a search through a context.
static LIBRARY_KEY: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"\"library\""));

/// `envelope::library()` as serde_json writes it.
const LIBRARY: &str = concat!(
    r#"{"name":"cio","version":""#,
    env!("CARGO_PKG_VERSION"),
    r#""}"#
);

/// The content of a member's value when it is a JSON string without escapes
/// (`None` for anything else): then the raw bytes are exactly what
/// serde_json would write for it.
fn plain_str<'a>(member: &Member<'a>) -> Option<&'a str> {
    if member.escaped {
        return None;
    }
    member.value.strip_prefix('"')?.strip_suffix('"')
}

/// Whether `s` is empty or whitespace (`str::trim`'s), at a glance for the
/// common text that starts with a visible ASCII character.
fn is_blank(s: &str) -> bool {
    !s.as_bytes().first().is_some_and(u8::is_ascii_graphic) && s.trim().is_empty()
}

fn push_key(out: &mut String, key: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

/// `obj` (a JSON object) with `"library"` added as its last member.
fn push_with_library(out: &mut String, obj: &str) -> Option<()> {
    let open = obj.strip_suffix('}')?;
    out.push_str(open);
    // A member, not just whitespace, after the brace (its first byte tells).
    if open.bytes().skip(1).any(|b| !b.is_ascii_whitespace()) {
        out.push(',');
    }
    out.push_str("\"library\":");
    out.push_str(LIBRARY);
    out.push('}');
    Some(())
}

/// Calls `f(key, first byte of the value)` for each member of `obj`, a
/// well-formed JSON object without backslashes, until `f` says stop; `false`
/// when it did.
fn each_member(obj: &str, mut f: impl FnMut(&str, u8) -> bool) -> bool {
    let b = obj.as_bytes();
    let (mut i, mut depth, mut key_next) = (0, 0usize, false);
    while i < b.len() {
        match b[i] {
            b'"' => {
                let Some(len) = memchr::memchr(b'"', &b[i + 1..]) else {
                    return true;
                };
                let end = i + 1 + len;
                i = end + 1;
                if depth == 1 && key_next {
                    key_next = false;
                    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | b':') {
                        i += 1;
                    }
                    if !f(&obj[end - len..end], b.get(i).copied().unwrap_or(0)) {
                        return false;
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                key_next = depth == 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b',' => {
                key_next = depth == 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    true
}

/// Members of a line that go out as the line has them, gathered while they
/// sit side by side (`"a":1,"b":2`), so that a run of them is one copy.
#[derive(Default)]
struct Verbatim(Range<usize>);

impl Verbatim {
    /// Writes `member` as `"key":value,`, now or with the run it continues.
    fn add(&mut self, member: &Member, line: &str, out: &mut String) {
        let span = member.span();
        if !member.is_tight() {
            self.flush(line, out);
            push_key(out, member.key);
            out.push_str(member.value);
            out.push(',');
        } else if !self.0.is_empty()
            && span.start == self.0.end + 1
            && line.as_bytes().get(self.0.end) == Some(&b',')
        {
            self.0.end = span.end;
        } else {
            self.flush(line, out);
            self.0 = span;
        }
    }

    /// Writes the run gathered so far.
    fn flush(&mut self, line: &str, out: &mut String) {
        if !self.0.is_empty() {
            out.push_str(&line[self.0.clone()]);
            out.push(',');
            self.0 = 0..0;
        }
    }
}

/// The most top-level members the quick path takes (a common call has about 8).
const QUICK_MEMBERS: usize = 32;

/// The common line, made ready without a tree: the top level is parsed with
/// borrowed keys and raw values, checked, and the call written straight from
/// the line's bytes plus what cio adds. `None` for anything out of the common
/// (every error included): the full path then decides, so what it refuses
/// and the words it says stay exactly its own. Where this returns a call, the
/// full path returns the same call (tests below compare them).
fn quick_call(
    bytes: &[u8],
    at: LineId,
    defaults: &Defaults,
    now: &str,
    out: &mut String,
) -> Option<Call> {
    // SIMD validation: 160 instructions an event here against std's 380.
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    // On the stack: no allocation per line. More members: the full path.
    let mut members = [Member::default(); QUICK_MEMBERS];
    let mut count = 0;
    scan::members(text, |member| {
        *members.get_mut(count)? = member;
        count += 1;
        Some(())
    })?;
    let fields = &members[..count];
    if (1..fields.len()).any(|i| fields[..i].iter().any(|m| m.key == fields[i].key)) {
        return None;
    }
    if defaults
        .extras
        .keys()
        .any(|k| k != "context" && k != "integrations")
    {
        return None;
    }
    let start = out.len();
    out.reserve(bytes.len() + 192);
    out.push('{');
    let mut stripped = Stripped::default();
    let mut call_type = None;
    let (mut user, mut anonymous, mut event, mut group, mut previous) =
        (false, false, false, false, false);
    let (mut user_id, mut anonymous_id) = (None, None);
    let (mut kind, mut context, mut integrations) = (false, false, false);
    let mut message_id = None;
    let (mut given_ts, mut original_ts) = (None, None);
    // Bytes the full path would parse and write again (numbers may grow).
    let mut rewritten = 0;
    // Members passed on as they are, side by side in the line: copied at once.
    let mut verbatim = Verbatim::default();
    for member in fields {
        let (key, raw) = (member.key, member.value);
        let null = raw == "null";
        if let Some(i) = FOREIGN_FIELDS.iter().position(|f| *f == key) {
            stripped.add(i);
            continue;
        }
        match key {
            "type" => call_type = Some(plain_str(member)?.parse::<CallType>().ok()?),
            "userId" | "anonymousId" | "groupId" | "previousId" | "event" => {
                if null {
                    continue;
                }
                let value = plain_str(member)?;
                if is_blank(value) {
                    if BLANK_MEANS_ABSENT.contains(&key) {
                        continue;
                    }
                    return None;
                }
                match key {
                    "userId" => user_id = Some(value),
                    "anonymousId" => anonymous_id = Some(value),
                    _ => {}
                }
                *match key {
                    "userId" => &mut user,
                    "anonymousId" => &mut anonymous,
                    "groupId" => &mut group,
                    "previousId" => &mut previous,
                    _ => &mut event,
                } = true;
            }
            "name" | "category" if null => continue,
            "name" | "category" => _ = plain_str(member)?,
            "messageId" if null => continue,
            "messageId" => {
                let id = plain_str(member)?;
                // No more characters than bytes: most ids need no count.
                if id.is_empty()
                    || (id.len() > MAX_MESSAGE_ID_CHARS
                        && id.chars().count() > MAX_MESSAGE_ID_CHARS)
                {
                    return None;
                }
                message_id = Some(id);
            }
            "timestamp" | "originalTimestamp" | "sentAt" => {
                if !null {
                    match key {
                        "timestamp" => given_ts = Some(member),
                        "originalTimestamp" => original_ts = Some(member),
                        _ => {}
                    }
                }
                continue;
            }
            "context" | "integrations" if null => continue,
            "context" | "integrations" => {
                if !raw.starts_with('{') || member.escaped || defaults.extras.contains_key(key) {
                    return None;
                }
                rewritten += raw.len();
                verbatim.flush(text, out);
                push_key(out, key);
                if key == "integrations" {
                    if !each_member(raw, |_, first| matches!(first, b't' | b'f' | b'{')) {
                        return None;
                    }
                    integrations = true;
                    out.push_str(raw);
                } else {
                    context = true;
                    // Without the text `"library"` it has no such key (no
                    // escapes here); with it, the members tell.
                    let library = LIBRARY_KEY.find(raw.as_bytes()).is_some();
                    if !library || each_member(raw, |k, _| k != "library") {
                        push_with_library(out, raw)?;
                    } else {
                        out.push_str(raw);
                    }
                }
                out.push(',');
                continue;
            }
            "properties" | "traits" if null => continue,
            "properties" | "traits" if !raw.starts_with('{') => return None,
            _ => kind |= key == "kind",
        }
        verbatim.add(member, text, out);
    }
    verbatim.flush(text, out);
    let call_type = match call_type {
        Some(t) => t,
        // With a `kind`, the line may be a rejects record: the full path knows.
        None if kind || fields.iter().any(|m| m.key == "type") => return None,
        None => {
            let t = defaults.call_type.as_deref()?;
            push_key(out, "type");
            out.push_str(&serde_json::to_string(t).ok()?);
            out.push(',');
            t.parse().ok()?
        }
    };
    if !user && !anonymous {
        for (key, id, has, given) in [
            ("userId", &defaults.user_id, &mut user, &mut user_id),
            (
                "anonymousId",
                &defaults.anonymous_id,
                &mut anonymous,
                &mut anonymous_id,
            ),
        ] {
            if let Some(id) = id {
                if id.trim().is_empty() {
                    return None;
                }
                push_key(out, key);
                out.push_str(&serde_json::to_string(id).ok()?);
                out.push(',');
                *has = true;
                *given = Some(id.as_str());
            }
        }
    }
    let identity = user || anonymous;
    let complete = match call_type {
        CallType::Track => event && identity,
        CallType::Identify | CallType::Page | CallType::Screen => identity,
        CallType::Group => group && identity,
        CallType::Alias => previous && user,
    };
    if !complete {
        return None;
    }

    let timestamped = given_ts.is_some() || original_ts.is_some();
    push_key(out, "timestamp");
    out.push('"');
    match given_ts.or(original_ts) {
        None => out.push_str(now),
        Some(member) => {
            let given = plain_str(member)?;
            if timestamp::is_sendable_as_is(given, now, defaults.allow_old_timestamps) {
                out.push_str(given);
            } else {
                let t = timestamp::from_text(given, now, defaults.allow_old_timestamps).ok()?;
                out.push_str(&t);
            }
        }
    }
    out.push_str("\",");
    let mut text = Uuid::encode_buffer();
    let message_id = match message_id {
        Some(id) => id,
        None => {
            let id = derived_uuid(at, timestamped, bytes)
                .hyphenated()
                .encode_lower(&mut text);
            push_key(out, "messageId");
            out.push('"');
            out.push_str(id);
            out.push_str("\",");
            id
        }
    };
    let id_hash = self::id_hash(message_id);
    let order_key = match user_id.or(anonymous_id) {
        Some(who) => self::id_hash(who),
        None => id_hash,
    };
    if !context {
        push_key(out, "context");
        match defaults.extras.get("context") {
            None => {
                out.push_str("{\"library\":");
                out.push_str(LIBRARY);
                out.push('}');
            }
            Some(Value::Object(given)) => {
                let json = serde_json::to_string(given).ok()?;
                if given.contains_key("library") {
                    out.push_str(&json);
                } else {
                    push_with_library(out, &json)?;
                }
            }
            Some(_) => return None,
        }
        out.push(',');
    }
    if !integrations {
        match defaults.extras.get("integrations") {
            None => {}
            Some(Value::Object(given))
                if given.values().all(|v| v.is_boolean() || v.is_object()) =>
            {
                push_key(out, "integrations");
                out.push_str(&serde_json::to_string(given).ok()?);
                out.push(',');
            }
            Some(_) => return None,
        }
    }
    out.pop();
    out.push('}');
    // Near the limit, the full path measures its own writing of the call.
    if out.len() - start + 4 * rewritten > MAX_CALL_BYTES {
        return None;
    }
    Some(Call {
        json: start..out.len(),
        id_hash,
        order_key,
        stripped,
        schema_problem: None,
    })
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
            b'"' => match crate::numbers::string_end(bytes, i) {
                Some(end) => i = end,
                None => return Ok(()),
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
                if crate::numbers::too_large(number) {
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

    /// The quick path's call for `line`, checked against the full path's:
    /// the same JSON (as values), messageId and stripped fields.
    fn quick(line: &str, d: &Defaults) -> Option<Value> {
        // Calls go after what the buffers hold already.
        let mut out = String::from("[earlier calls]");
        let call = quick_call(line.as_bytes(), at(3), d, NOW, &mut out)?;
        let mut full_out = String::from("[other calls]");
        let Ok(Ready::Call(full)) = prepare_full(line.as_bytes(), at(3), d, NOW, &mut full_out)
        else {
            panic!("the full path refuses what the quick path takes: {line}");
        };
        assert!(out.starts_with("[earlier calls]") && call.json.end == out.len());
        let json: Value = serde_json::from_str(&out[call.json.clone()]).unwrap();
        let full_json: Value = serde_json::from_str(&full_out[full.json]).unwrap();
        assert_eq!(json, full_json, "{line}");
        // Each member written once (a parsed map would hide a repeated one).
        let mut written = Vec::new();
        collect(&out[call.json.clone()], &mut written).unwrap();
        assert_eq!(written.len(), json.as_object().unwrap().len(), "{line}");
        assert_eq!(call.id_hash, id_hash(json["messageId"].as_str().unwrap()));
        assert_eq!(call.id_hash, full.id_hash, "{line}");
        assert_eq!(call.stripped, full.stripped, "{line}");
        let who = ["userId", "anonymousId", "messageId"]
            .iter()
            .find_map(|k| json[*k].as_str())
            .unwrap();
        assert_eq!(call.order_key, id_hash(who), "{line}");
        assert_eq!(call.order_key, full.order_key, "{line}");
        Some(json)
    }

    #[test]
    fn the_quick_path_makes_the_full_paths_call() {
        let none = Defaults::default();
        let taken = [
            r#"{"type":"identify","traits":{"email":"a@example.com","logins":3,"address":{"city":"Berlin"}},"userId":"user-1","messageId":"bench-0","timestamp":"2026-03-14T00:00:00.912Z","context":{"ip":"81.47.111.60","locale":"es-ES"}}"#,
            r#"{"type":"track","event":"Order Completed","properties":{"total":737.64,"products":[{"sku":"b","price":29.0}]},"anonymousId":"anon-1","messageId":"bench-1","timestamp":"2026-03-14T00:00:04.537Z"}"#,
            r#" { "type" : "page", "name": "Home", "category": null, "userId": "u", "properties": {"url": "https://e.com/?a=1"} } "#,
            r#"{"type":"track","event":"e","userId":"u"}"#,
            // Members side by side, spaced, skipped and rewritten, mixed.
            r#"{"type":"track", "event":"e","userId":"u","x":null,"properties":{"a":1},"timestamp":"2026-03-14T00:00:00.912Z","y" :2,"z":[3],"context":{"ip":"1.2.3.4"},"w":"v"}"#,
            r#"{"type":"track","event":"e","userId":"u","originalTimestamp":"2020-01-01T00:00:00+02:00","sentAt":"2020-01-01T00:00:01Z"}"#,
            r#"{"type":"track","event":"e","userId":"u","timestamp":"2026-11-28T15:01:31Z","originalTimestamp":"bad"}"#,
            r#"{"type":"track","event":"e","userId":null,"anonymousId":"a","timestamp":null,"context":{}}"#,
            r#"{"type":"track","event":"e","userId":"","anonymousId":"a","context":{"library":{"name":"analytics.js"},"x":[1,{"library":2}]}}"#,
            r#"{"type":"track","event":"e","userId":"u","context":{"note":"library","x":{"library":1}}}"#,
            r#"{"type":"track","event":" e","userId":" u","anonymousId":" ","messageId":"ééé"}"#,
            r#"{"type":"screen","userId":"u","context":{ "a" : { } , "b":"}{," },"integrations":{"All":false,"X":{"k":[1]},"Y":true}}"#,
            r#"{"type":"group","groupId":"g","anonymousId":"a","traits":null,"properties":null,"integrations":null,"context":null}"#,
            r#"{"type":"alias","previousId":"p","userId":"u","writeKey":"secret","receivedAt":"x","version":2,"projectId":"p","_metadata":{"b":[]},"extra":null,"n":1.5}"#,
            r#"{"type":"identify","userId":"ü ☃","messageId":"ü","traits":{"s":"\"\\\u00e9"}}"#,
        ];
        for line in taken {
            assert!(quick(line, &none).is_some(), "not taken: {line}");
        }
        let sent = quick(
            r#"{"type":"track","event":"e","userId":"u","context":{}}"#,
            &none,
        )
        .unwrap();
        assert_eq!(
            sent["context"],
            json!({"library": {"name": "cio", "version": env!("CARGO_PKG_VERSION")}})
        );

        let flags = Defaults {
            call_type: Some("track".into()),
            user_id: Some("flag \"user\"".into()),
            anonymous_id: Some("flag-anon".into()),
            extras: json!({"context": {"ip": "1.1.1.1"}, "integrations": {"All": false}})
                .as_object()
                .unwrap()
                .clone(),
            allow_old_timestamps: true,
            lint: None,
        };
        for line in [
            r#"{"event":"e"}"#,
            r#"{"event":"e","userId":"own","context":null,"timestamp":"1990-01-01T00:00:00.000Z"}"#,
            r#"{"type":"identify","anonymousId":"a","integrations":null}"#,
        ] {
            assert!(quick(line, &flags).is_some(), "not taken: {line}");
        }
        let with_library = Defaults {
            extras: json!({"context": {"library": {"name": "x"}}})
                .as_object()
                .unwrap()
                .clone(),
            ..Defaults::default()
        };
        assert!(quick(
            r#"{"type":"track","event":"e","userId":"u"}"#,
            &with_library
        )
        .is_some());

        let left = [
            "",
            "[1]",
            "{\"type\":",
            "\u{feff}{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u\"}",
            r#"{"type":"track","event":"e","userId":"u","userId":"v"}"#,
            r#"{"type":"track","event":"e","userId":"u\u0041"}"#,
            r#"{"type":"track","event":"e","us\u0065rId":"u"}"#,
            r#"{"type":"delete","userId":"u"}"#,
            r#"{"type":"Track","event":"e","userId":"u"}"#,
            r#"{"type":null,"event":"e","userId":"u"}"#,
            r#"{"event":"e","userId":"u"}"#,
            r#"{"type":"track","userId":"u"}"#,
            r#"{"type":"track","event":" ","userId":"u"}"#,
            r#"{"type":"track","event":"e","userId":5}"#,
            r#"{"type":"track","event":"e","userId":" ","anonymousId":""}"#,
            r#"{"type":"group","userId":"u"}"#,
            r#"{"type":"alias","previousId":"p","anonymousId":"a"}"#,
            r#"{"type":"track","event":"e","userId":"u","name":1}"#,
            r#"{"type":"track","event":"e","userId":"u","messageId":""}"#,
            r#"{"type":"track","event":"e","userId":"u","timestamp":1700000000}"#,
            r#"{"type":"track","event":"e","userId":"u","timestamp":"1999-12-31T23:59:59.999Z"}"#,
            r#"{"type":"track","event":"e","userId":"u","timestamp":"soon"}"#,
            r#"{"type":"track","event":"e","userId":"u","context":[]}"#,
            r#"{"type":"track","event":"e","userId":"u","context":{"a":"\n"}}"#,
            r#"{"type":"track","event":"e","userId":"u","integrations":{"A":1}}"#,
            r#"{"type":"track","event":"e","userId":"u","integrations":{"A":null}}"#,
            r#"{"type":"track","event":"e","userId":"u","properties":[]}"#,
            r#"{"type":"track","event":"e","userId":"u","properties":{"n":1e400}}"#,
            r#"{"type":"track","event":"e","userId":"u","properties":{"n":1e5}}"#,
            r#"{"kind":"invalid","original":"{}"}"#,
        ];
        for line in left {
            assert!(quick(line, &none).is_none(), "taken: {line}");
        }
        let long_id = format!(
            r#"{{"type":"track","event":"e","userId":"u","messageId":"{}"}}"#,
            "é".repeat(101)
        );
        assert!(quick(&long_id, &none).is_none());
        assert!(quick(&long_id.replace(&"é".repeat(101), &"é".repeat(100)), &none).is_some());
        // Near the size limit the full path measures the call itself.
        let big = format!(
            r#"{{"type":"track","event":"e","userId":"u","properties":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_CALL_BYTES)
        );
        assert!(quick(&big, &none).is_none());
        let wide_context = format!(
            r#"{{"type":"track","event":"e","userId":"u","context":{{"x":"{}"}},"properties":{{"x":"{}"}}}}"#,
            "a".repeat(8_000),
            "a".repeat(20_000)
        );
        assert!(quick(&wide_context, &none).is_none());
        let fits = format!(
            r#"{{"type":"track","event":"e","userId":"u","properties":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_CALL_BYTES - 300)
        );
        assert!(quick(&fits, &none).is_some());
        // A line's context merges with --context's: the full path does that.
        let line = r#"{"type":"track","event":"e","userId":"u","context":{"ip":"2.2.2.2"}}"#;
        assert!(quick(line, &flags).is_none());
    }

    /// The scanner's members of `text`, pushed onto `fields`.
    fn collect<'a>(text: &'a str, fields: &mut Vec<(&'a str, &'a str)>) -> Option<()> {
        scan::members(text, |member| {
            fields.push((member.key, member.value));
            Some(())
        })
    }

    /// Whether `text` is JSON to serde_json, and its top level as it sees it.
    fn serde_top(text: &str) -> Option<Vec<(String, String)>> {
        serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
        let fields = envelope::top_level_fields(text).ok()?;
        Some(
            fields
                .into_iter()
                .map(|(k, v)| (k, v.get().to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_scanner_says_which_values_have_escapes_at_any_depth() {
        let line = r#"{"a":"x","b":"x\ny","c":{"k":["v",{"d\"e":1}]},"d":{"k":["v",{"e":"\u00e9"}]},"e":[1,{"f":null}],"g":"\\"}"#;
        let mut escaped = Vec::new();
        scan::members(line, |m| {
            escaped.push((m.key, m.escaped));
            Some(())
        })
        .unwrap();
        assert_eq!(
            escaped,
            [
                ("a", false),
                ("b", true),
                ("c", true),
                ("d", true),
                ("e", false),
                ("g", true)
            ]
        );
        // What the quick path does with it: a plain string is taken, an
        // escaped one (in an identity, or anywhere in a context) goes to the full path.
        let none = Defaults::default();
        assert!(quick(r#"{"type":"track","event":"e","userId":"u"}"#, &none).is_some());
        for line in [
            r#"{"type":"track","event":"e","userId":"u\u0041"}"#,
            r#"{"type":"track","event":"e\n","userId":"u"}"#,
            r#"{"type":"track","event":"e","userId":"u","context":{"k":{"a\"b":1}}}"#,
            r#"{"type":"track","event":"e","userId":"u","timestamp":"2026-03-14T00:00:00\u002e912Z"}"#,
        ] {
            assert!(quick(line, &none).is_none(), "{line}");
        }
    }

    #[test]
    fn the_scanner_takes_only_what_serde_json_takes() {
        let seeds = [
            r#"{"type":"track","event":"Order Completed","properties":{"total":737.64,"n":-0,"z":0.5,"products":[{"sku":"b","price":29.0,"ok":true,"no":false,"x":null}],"empty":{},"list":[]},"anonymousId":"anon-1","messageId":"bench-1","timestamp":"2026-03-14T00:00:04.537Z"}"#,
            r#" { "a" : [ 1 , 2 ] , "b" : { "c" : "d\"\\\/\b\f\n\r\t\u00e9" } , "ü" : "☃" } "#,
            "{}",
            // Tabs and line ends as whitespace.
            "{\t\"a\":\t\"b\\u00e9\",\r\n\"c\":[1,\"d\"]}\t",
        ];
        for seed in seeds {
            let mut fields = Vec::new();
            assert!(collect(seed, &mut fields).is_some(), "{seed}");
            let ours: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(Some(ours), serde_top(seed));
        }
        for refused in [
            r#"{"a":1e5}"#,
            r#"{"a":123456789012345678901}"#,
            r#"{"k\u0065y":1}"#,
            &format!(r#"{{"a":{}1{}}}"#, "[".repeat(64), "]".repeat(64)),
        ] {
            assert!(serde_top(refused).is_some());
            assert!(collect(refused, &mut Vec::new()).is_none(), "{refused}");
        }
        // Every byte of the seeds changed, dropped or doubled: what the scanner
        // takes, serde_json takes, with the same top level.
        let alphabet = b"{}[]\":,\\ 0123456789-.eEtrufalsn\x01\x1fa\xc3";
        let mut rng = fastrand::Rng::with_seed(12);
        for seed in seeds {
            let bytes = seed.as_bytes();
            for round in 0..20_000 {
                let mut m = bytes.to_vec();
                for _ in 0..1 + round % 3 {
                    if m.is_empty() {
                        break;
                    }
                    let at = rng.usize(..m.len());
                    match rng.u8(..3) {
                        0 => m[at] = alphabet[rng.usize(..alphabet.len())],
                        1 => _ = m.remove(at),
                        _ => m.insert(at, m[at]),
                    }
                }
                let Ok(text) = std::str::from_utf8(&m) else {
                    continue;
                };
                let mut fields = Vec::new();
                if collect(text, &mut fields).is_some() {
                    assert!(
                        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok(),
                        "{text}"
                    );
                    // A key given twice: the quick path leaves the line.
                    if (1..fields.len()).any(|i| fields[..i].iter().any(|f| f.0 == fields[i].0)) {
                        continue;
                    }
                    let ours: Vec<(String, String)> = fields
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    assert_eq!(Some(ours), serde_top(text), "{text}");
                    // In valid JSON a backslash is always an escape in a string;
                    // a tight member's span is exactly its key and value.
                    scan::members(text, |m| {
                        assert_eq!(m.escaped, m.value.contains('\\'), "{text}");
                        let written = format!("\"{}\":{}", m.key, m.value);
                        assert_eq!(m.is_tight(), text[m.span()] == written, "{text}");
                        assert!(text[m.span()].ends_with(m.value), "{text}");
                        Some(())
                    })
                    .unwrap();
                }
            }
        }
    }

    #[test]
    fn members_of_an_object() {
        let mut seen = Vec::new();
        each_member(
            r#"{ "a" : 1, "b":{"c":2,"d":[3,{"e":4}]} ,"f":"g,\"h","i":true}"#
                .replace("\\\"", "'")
                .as_str(),
            |k, first| {
                seen.push(format!("{k}={}", first as char));
                true
            },
        );
        assert_eq!(seen, ["a=1", "b={", "f=\"", "i=t"]);
        assert!(!each_member(
            r#"{"a":{"library":1},"library":2}"#,
            |k, _| k != "library"
        ));
        assert!(each_member(r#"{"a":{"library":1}}"#, |k, _| k != "library"));
        assert!(each_member("{}", |_, _| false));
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
        // In an envelope field, parsed (numbers as written), as serde_json said it.
        let huge = br#"{"type":"track","event":"e","userId":"u","context":{"n":1E+400}}"#;
        assert_eq!(err(huge), "invalid JSON at column 11: number out of range");
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
        let mut out = String::new();
        let Ready::Call(call) =
            prepare_line(line, at(1), &Defaults::default(), NOW, &mut out).unwrap()
        else {
            panic!("not a call");
        };
        let sent: Value = serde_json::from_str(&out[call.json.clone()]).unwrap();
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
        assert_eq!(call.id_hash, id_hash(sent["messageId"].as_str().unwrap()));

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
            prepare_line(line, at(1), &Defaults::default(), NOW, &mut String::new()),
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
