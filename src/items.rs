//! The item syntax shared by `--prop`, `--trait`, `--context` and `--integration`.
//!
//! - `key=value`: the value is a JSON number, `true`, `false` or `null` when the
//!   text is exactly such a literal in canonical form (see [`typed_value`]),
//!   otherwise a string. `key=` is the empty string.
//! - `key:=JSON`: the value is raw JSON of any kind (`n:=5`, `id:='"123"'`).
//! - The key is a path: `product.sku`, `modules[0].moduleId`, `tags[]` (append).
//!   Items with overlapping paths merge into one object; a later item for the
//!   same path overwrites the earlier value. An item that would replace what an
//!   earlier item set inside it (`a.b=1` then `a=2`) or run through an earlier
//!   scalar (`a=1` then `a.b=2`) is an error naming both, in either order.
//! - A backslash escapes `.`, `[`, `]`, `=`, `:` or `\` in the key (`a\.b` is the
//!   key "a.b"); before any other character it is kept as it is.
//! - The separator is the first unescaped `=`; with an unescaped `:` right before
//!   it, it is `:=`. The value is everything after it, taken literally.

use std::fmt::Write as _;
use std::str::FromStr;

use serde_json::{Map, Number, Value};

/// Largest array index an item may name, so `a[999999999]=1` can't allocate gigabytes.
pub const MAX_INDEX: usize = 10_000;

/// Most segments a key may have. Values nest as deep as their path and serde_json
/// drops, clones and prints them recursively, so depth must stay bounded.
pub const MAX_DEPTH: usize = 64;

/// The characters a backslash escapes in a key.
const ESCAPABLE: [char; 6] = ['.', '[', ']', '=', ':', '\\'];

/// One step of an item's path.
#[derive(Debug, Clone, PartialEq)]
pub enum PathSegment {
    /// An object member: `product` in `product.sku`.
    Key(String),
    /// An array element: `[0]`.
    Index(usize),
    /// A new element at the end of an array: `[]`.
    Append,
}

/// One parsed `key=value` or `key:=JSON` item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Where the value goes; parsing guarantees it is non-empty and starts with a key.
    pub path: Vec<PathSegment>,
    pub value: Value,
    /// The item as typed, for error messages.
    pub raw: String,
    /// True for the `key:=JSON` form.
    pub raw_json: bool,
}

/// Why an item can't be parsed or inserted. The message is one line that starts
/// with `item '<raw>': ` (control characters in it are shown escaped).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ItemError {
    #[error("item '{}': has no '=': write key=value, or key:=JSON for raw JSON", one_line(.item))]
    NoSeparator { item: String },

    #[error("item '{}': the key is empty", one_line(.item))]
    EmptyKey { item: String },

    #[error("item '{}': the key has an empty name (write '\\.' for a literal dot)", one_line(.item))]
    EmptyName { item: String },

    #[error("item '{}': the key must start with a name, not an index (the top level is an object)", one_line(.item))]
    StartsWithIndex { item: String },

    #[error("item '{}': '[' without a closing ']' in the key (write '\\[' for a literal bracket)", one_line(.item))]
    UnclosedBracket { item: String },

    #[error("item '{}': ']' without an opening '[' in the key (write '\\]' for a literal bracket)", one_line(.item))]
    UnopenedBracket { item: String },

    #[error("item '{}': expected '.' or '[' after ']', found '{}'", one_line(.item), one_line(.found))]
    AfterBracket { item: String, found: String },

    #[error("item '{}': '[{}]' is not an array index: write a number, or [] to append", one_line(.item), one_line(.index))]
    BadIndex { item: String, index: String },

    #[error("item '{}': index {} is too large (at most {MAX_INDEX})", one_line(.item), one_line(.index))]
    IndexTooLarge { item: String, index: String },

    #[error("item '{}': the key has more than {MAX_DEPTH} parts", one_line(.item))]
    TooDeep { item: String },

    #[error("item '{}': invalid JSON after ':=': {}", one_line(.item), one_line(.reason))]
    InvalidJson { item: String, reason: String },

    /// The path runs through a value of the wrong type, e.g. `a=1` then `a.b=2`.
    #[error("item '{}': '{}' is already {found}, not {wanted}", one_line(.item), one_line(.path))]
    Conflict {
        item: String,
        /// The path of the value in the way, written as in a key.
        path: String,
        found: &'static str,
        wanted: &'static str,
    },

    /// Two items of one list that cannot both hold: the later would replace the
    /// earlier's value or run through it. Which one was meant is the user's call.
    #[error("item '{}' conflicts with the earlier item '{}': {}", one_line(.item), one_line(.earlier), one_line(.why))]
    Clash {
        item: String,
        earlier: String,
        why: String,
    },
}

impl FromStr for Item {
    type Err = ItemError;

    fn from_str(raw: &str) -> Result<Self, ItemError> {
        let item = || raw.to_string();
        let (key, text, raw_json) =
            split(raw).ok_or_else(|| ItemError::NoSeparator { item: item() })?;
        let path = parse_path(raw, key)?;
        let value = if raw_json {
            serde_json::from_str(text).map_err(|e| ItemError::InvalidJson {
                item: item(),
                reason: e.to_string(),
            })?
        } else {
            typed_value(text)
        };
        Ok(Item {
            path,
            value,
            raw: item(),
            raw_json,
        })
    }
}

impl Item {
    /// The first key of the path (e.g. "product" for `product.sku=abc`).
    pub fn top_key(&self) -> &str {
        match self.path.first() {
            Some(PathSegment::Key(key)) => key,
            // Only reachable for an Item built by hand with a bad path.
            _ => "",
        }
    }

    /// Writes the value into `target` at the item's path, creating objects and
    /// arrays on the way. A `null` on the way counts as empty and is replaced, so
    /// padding from `a[1]=x` can be filled in later by `a[0].b=y`. On error the
    /// target is left unchanged.
    pub fn insert_into(&self, target: &mut Map<String, Value>) -> Result<(), ItemError> {
        let item = || self.raw.clone();
        // The fields are public, so re-check what parsing guarantees instead of panicking.
        let (first, rest) = match self.path.split_first() {
            Some((PathSegment::Key(first), rest)) => (first, rest),
            Some(_) => return Err(ItemError::StartsWithIndex { item: item() }),
            None => return Err(ItemError::EmptyKey { item: item() }),
        };
        if self.path.len() > MAX_DEPTH {
            return Err(ItemError::TooDeep { item: item() });
        }
        // Check every segment before touching the target, so errors change nothing.
        // (Conflicts can only happen on values that already existed, so they also
        // come before any change: what descend creates is always fresh.)
        for segment in rest {
            if let PathSegment::Index(i) = segment {
                if *i > MAX_INDEX {
                    return Err(ItemError::IndexTooLarge {
                        item: item(),
                        index: i.to_string(),
                    });
                }
            }
        }
        // Only ever add the top key once its subtree is known to fit.
        if let Some(existing) = target.get(first) {
            check_fits(existing, rest).map_err(|(depth, found, wanted)| ItemError::Conflict {
                item: item(),
                path: render_path(&self.path[..=depth]),
                found,
                wanted,
            })?;
        }
        let mut slot = target.entry(first.clone()).or_insert(Value::Null);
        for segment in rest {
            slot = descend(slot, segment);
        }
        *slot = self.value.clone();
        Ok(())
    }
}

/// Parse and insert many items in order into a fresh object.
pub fn build_object<'a>(
    items: impl IntoIterator<Item = &'a Item>,
) -> Result<Map<String, Value>, ItemError> {
    let items: Vec<&Item> = items.into_iter().collect();
    let mut object = Map::new();
    insert_all(&items, &mut object)?;
    Ok(object)
}

/// Inserts `items` in order into `target`, refusing an item that clashes with
/// an earlier one of the same list, whichever of the two came first: a silent
/// last-wins would drop a value the user typed. Values already in `target`
/// (from a `--file`) are merged over as before.
pub fn insert_all(items: &[&Item], target: &mut Map<String, Value>) -> Result<(), ItemError> {
    for (i, item) in items.iter().enumerate() {
        for earlier in &items[..i] {
            if let Some(why) = clash(earlier, item) {
                return Err(ItemError::Clash {
                    item: item.raw.clone(),
                    earlier: earlier.raw.clone(),
                    why,
                });
            }
        }
        item.insert_into(target)?;
    }
    Ok(())
}

/// Why `later` cannot go in after `earlier`, if it cannot.
fn clash(earlier: &Item, later: &Item) -> Option<String> {
    // `[]` appends a new element each time, so it never names the same place twice.
    let same = |a: &PathSegment, b: &PathSegment| a == b && *a != PathSegment::Append;
    let common = earlier
        .path
        .iter()
        .zip(&later.path)
        .take_while(|(a, b)| same(a, b))
        .count();
    if common < later.path.len() && common < earlier.path.len() {
        return None; // different places
    }
    if later.path.len() == earlier.path.len() {
        return None; // the same place: the later value wins, as documented
    }
    if later.path.len() < earlier.path.len() {
        // Above it: the later value would silently drop the earlier one.
        let at = render_path(&later.path);
        return Some(format!(
            "'{at}' would replace what the earlier item set inside it"
        ));
    }
    // The later item goes inside the earlier's value: fine when that is an object
    // or array it can extend (or null, an empty slot), a clash for anything else.
    let inner = &later.path[common..];
    match check_fits(&earlier.value, inner) {
        Ok(()) => None,
        Err((depth, found, wanted)) => {
            let path = render_path(&later.path[..common + depth]);
            Some(format!("'{path}' is {found}, not {wanted}"))
        }
    }
}

/// Canonical-literal typing used by `key=value`: `true`, `false`, `null` and
/// numbers that serde_json writes back as exactly the same text become JSON
/// values; everything else (`02134`, `1e5`, `1.50`, `+1`, `True`, ` 1`, numbers
/// that would lose precision, the empty string) stays a string.
pub fn typed_value(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => match canonical_number(text) {
            Some(number) => Value::Number(number),
            None => Value::String(text.to_string()),
        },
    }
}

/// The number `text` spells, if serde_json prints it back as exactly `text`.
fn canonical_number(text: &str) -> Option<Number> {
    // A JSON number starts with '-' or a digit; this keeps prose off the parser.
    let first = *text.as_bytes().first()?;
    if first != b'-' && !first.is_ascii_digit() {
        return None;
    }
    // serde_json checks the JSON grammar (no "+1", "1.", ".5", "inf", "NaN")...
    let Value::Number(number) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    // ...but rounds floats exactly only with its `float_roundtrip` feature, which
    // some builds get through other crates. std's parser always rounds exactly, so
    // use it for floats to make the result the same in every build.
    let number = if number.is_f64() {
        Number::from_f64(text.parse::<f64>().ok()?)?
    } else {
        number
    };
    let back = serde_json::to_string(&number).ok()?;
    (back == text).then_some(number)
}

/// Splits an item at the first unescaped `=` into (key with its escapes still in
/// it, value, whether it is the `:=` form). `None` when there is no such `=`.
fn split(raw: &str) -> Option<(&str, &str, bool)> {
    let mut chars = raw.char_indices();
    // Whether the previous character was a `:` that no backslash escaped.
    let mut after_colon = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                // Skip the escaped character so an escaped `=` or `:` doesn't count.
                let mut ahead = chars.clone();
                if matches!(ahead.next(), Some((_, next)) if ESCAPABLE.contains(&next)) {
                    chars = ahead;
                }
                after_colon = false;
            }
            // `=` and `:` are one byte, so these indices are char boundaries.
            '=' if after_colon => return Some((&raw[..i - 1], &raw[i + 1..], true)),
            '=' => return Some((&raw[..i], &raw[i + 1..], false)),
            ':' => after_colon = true,
            _ => after_colon = false,
        }
    }
    None
}

/// Parses a key (escapes still in it) into a path. `raw` is for error messages.
fn parse_path(raw: &str, key: &str) -> Result<Vec<PathSegment>, ItemError> {
    let item = || raw.to_string();
    let mut chars = key.chars().peekable();
    let mut path = Vec::new();
    loop {
        // A name: everything up to an unescaped `.`, `[`, `]` or the end.
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            match c {
                '.' | '[' | ']' => break,
                '\\' => {
                    chars.next();
                    match chars.peek() {
                        Some(&next) if ESCAPABLE.contains(&next) => {
                            name.push(next);
                            chars.next();
                        }
                        // Not an escape: the backslash is literal.
                        _ => name.push('\\'),
                    }
                }
                _ => {
                    name.push(c);
                    chars.next();
                }
            }
        }
        if name.is_empty() {
            return Err(match chars.peek() {
                None if path.is_empty() => ItemError::EmptyKey { item: item() },
                Some('[') if path.is_empty() => ItemError::StartsWithIndex { item: item() },
                Some(']') => ItemError::UnopenedBracket { item: item() },
                _ => ItemError::EmptyName { item: item() },
            });
        }
        path.push(PathSegment::Key(name));

        // After a name: any number of `[...]`, then `.` and another name, or the end.
        loop {
            if path.len() > MAX_DEPTH {
                return Err(ItemError::TooDeep { item: item() });
            }
            match chars.next() {
                None => return Ok(path),
                Some('.') => break,
                Some('[') => {
                    path.push(parse_bracket(raw, &mut chars)?);
                    // Only `.`, `[` or the end may follow `]`.
                    match chars.peek() {
                        None | Some('.') | Some('[') => {}
                        Some(&c) => {
                            return Err(ItemError::AfterBracket {
                                item: item(),
                                found: c.to_string(),
                            })
                        }
                    }
                }
                // The name loop stops only at `.`, `[`, `]` or the end, so this is `]`.
                Some(_) => return Err(ItemError::UnopenedBracket { item: item() }),
            }
        }
    }
}

/// Parses what follows a `[` up to and including its `]`: `[]` or `[digits]`.
fn parse_bracket(
    raw: &str,
    chars: &mut impl Iterator<Item = char>,
) -> Result<PathSegment, ItemError> {
    let item = || raw.to_string();
    let mut inside = String::new();
    loop {
        match chars.next() {
            None => return Err(ItemError::UnclosedBracket { item: item() }),
            Some(']') => break,
            Some(c) => inside.push(c),
        }
    }
    if inside.is_empty() {
        return Ok(PathSegment::Append);
    }
    if !inside.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ItemError::BadIndex {
            item: item(),
            index: inside,
        });
    }
    // Saturating, so a 30-digit index is "too large" rather than an overflow.
    let index = inside.bytes().fold(0usize, |n, b| {
        n.saturating_mul(10).saturating_add(usize::from(b - b'0'))
    });
    if index > MAX_INDEX {
        return Err(ItemError::IndexTooLarge {
            item: item(),
            index: inside,
        });
    }
    Ok(PathSegment::Index(index))
}

/// Checks that `rest` can be walked from `value` without meeting a value of the
/// wrong type. On a conflict returns (index in the full path of the value in the
/// way, what it is, what was needed).
fn check_fits(
    mut value: &Value,
    rest: &[PathSegment],
) -> Result<(), (usize, &'static str, &'static str)> {
    for (i, segment) in rest.iter().enumerate() {
        let next = match (segment, value) {
            // Null is an empty slot: from here on everything gets created fresh.
            (_, Value::Null) => return Ok(()),
            (PathSegment::Key(key), Value::Object(map)) => map.get(key),
            (PathSegment::Index(n), Value::Array(array)) => array.get(*n),
            (PathSegment::Append, Value::Array(_)) => None,
            (PathSegment::Key(_), other) => {
                return Err((i, crate::input::json_kind(other), "an object"))
            }
            (_, other) => return Err((i, crate::input::json_kind(other), "an array")),
        };
        match next {
            Some(next) => value = next,
            // Missing from here on: nothing can conflict.
            None => return Ok(()),
        }
    }
    Ok(())
}

/// One step down from `slot`, turning a null slot into the container the
/// segment needs. Callers check with [`check_fits`] first; if a value is still
/// of the wrong type it is replaced rather than panicking.
fn descend<'v>(slot: &'v mut Value, segment: &PathSegment) -> &'v mut Value {
    match segment {
        PathSegment::Key(key) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(map) => map.entry(key.clone()).or_insert(Value::Null),
                _ => slot,
            }
        }
        PathSegment::Index(_) | PathSegment::Append => {
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(array) = slot else {
                return slot;
            };
            // Pad with nulls up to the index, or add one for append.
            let at = match segment {
                PathSegment::Index(n) => *n,
                _ => array.len(),
            };
            if array.len() <= at {
                array.resize(at + 1, Value::Null);
            }
            &mut array[at]
        }
    }
}

/// Writes a path back the way it would be typed: `modules[0].moduleId`.
fn render_path(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for (i, segment) in path.iter().enumerate() {
        match segment {
            PathSegment::Key(key) => {
                if i > 0 {
                    out.push('.');
                }
                for c in key.chars() {
                    if matches!(c, '.' | '[' | ']' | '=' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            PathSegment::Index(n) => {
                let _ = write!(out, "[{n}]");
            }
            PathSegment::Append => out.push_str("[]"),
        }
    }
    out
}

/// Escapes control characters (and Unicode line/paragraph separators) so an
/// error message stays on one line whatever the user typed.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use PathSegment::{Append, Index, Key};

    fn item(text: &str) -> Item {
        text.parse()
            .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    /// The value `key=<text>` gets.
    fn value_of(text: &str) -> Value {
        item(&format!("k={text}")).value
    }

    /// Parses and inserts all items in order.
    fn build(items: &[&str]) -> Value {
        let parsed: Vec<Item> = items.iter().map(|t| item(t)).collect();
        Value::Object(build_object(&parsed).unwrap_or_else(|e| panic!("{items:?}: {e}")))
    }

    /// The message for an item that doesn't parse.
    fn parse_error(text: &str) -> String {
        match text.parse::<Item>() {
            Ok(item) => panic!("{text:?} should not parse, got {item:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// The message for the first item of `items` that can't be inserted.
    fn insert_error(items: &[&str]) -> String {
        // One by one, as over a --file's values: the type check of insert_into itself.
        let mut object = Map::new();
        for text in items {
            if let Err(e) = item(text).insert_into(&mut object) {
                return e.to_string();
            }
        }
        panic!("{items:?} should conflict, got {object:?}")
    }

    fn keys(names: &[&str]) -> Vec<PathSegment> {
        names.iter().map(|n| Key(n.to_string())).collect()
    }

    // --- typing of key=value ---

    #[test]
    fn seed_document_values_are_typed() {
        assert_eq!(value_of("139.99"), json!(139.99));
        assert_eq!(value_of("1"), json!(1));
        assert_eq!(value_of("false"), json!(false));
    }

    #[test]
    fn canonical_literals_become_json() {
        assert_eq!(value_of("-3"), json!(-3));
        assert_eq!(value_of("0"), json!(0));
        assert_eq!(value_of("0.5"), json!(0.5));
        assert_eq!(value_of("true"), json!(true));
        assert_eq!(value_of("null"), Value::Null);
        // Both ends of the 64-bit integers serde_json keeps exactly.
        assert_eq!(value_of("18446744073709551615"), json!(u64::MAX));
        assert_eq!(value_of("-9223372036854775808"), json!(i64::MIN));
        // Floats that print back as typed.
        assert_eq!(value_of("1.0"), json!(1.0));
        assert_eq!(value_of("0.1"), json!(0.1));
        assert_eq!(value_of("0.3"), json!(0.3));
        // Without float_roundtrip serde_json reads this one a bit off, so it
        // would not print back the same; std's exact parse keeps it a number.
        assert_eq!(
            value_of("4.000887762015429e-14"),
            json!(4.000887762015429e-14)
        );
        assert_eq!(
            value_of("2.2250738585072014e-308"),
            json!(2.2250738585072014e-308)
        );
    }

    #[test]
    fn non_canonical_text_stays_a_string() {
        for text in [
            "02134",
            "1e",
            "1e5",
            "1E5",
            "1.50",
            "+1",
            "-0",
            "1.",
            ".5",
            "-",
            "chrome",
            "True",
            "FALSE",
            "Null",
            " 1",
            "1 ",
            "NaN",
            "inf",
            "1e400",
            "0x10",
            "12345678901234567890123",
            "18446744073709551616",
            // Other JSON that parses and prints back the same is still a string:
            // only `:=` makes strings, arrays and objects.
            "\"quoted\"",
            "[1]",
            "{}",
            "",
        ] {
            assert_eq!(value_of(text), Value::String(text.to_string()), "{text:?}");
        }
    }

    #[test]
    fn empty_value_is_the_empty_string() {
        let it = item("key=");
        assert_eq!(it.value, json!(""));
        assert!(!it.raw_json);
    }

    #[test]
    fn typed_value_is_public_and_matches_items() {
        assert_eq!(typed_value("139.99"), json!(139.99));
        assert_eq!(typed_value("02134"), json!("02134"));
    }

    // --- key:=JSON ---

    #[test]
    fn raw_json_values() {
        let it = item(r#"modules:=[{"moduleId":"cdp101-1"}]"#);
        assert!(it.raw_json);
        assert_eq!(it.value, json!([{"moduleId": "cdp101-1"}]));
        // Quotes force a string even for digits.
        assert_eq!(item(r#"order_id:="123""#).value, json!("123"));
        assert_eq!(item("n:=5").value, json!(5));
        assert_eq!(item("n:=1e5").value, json!(100000.0));
        // Whitespace around JSON is fine, as in any JSON text.
        assert_eq!(
            item("o:= {\"a\": [true, null]}\n").value,
            json!({"a": [true, null]})
        );
        assert_eq!(item("o:={}").path, keys(&["o"]));
    }

    #[test]
    fn invalid_json_names_the_item_and_why() {
        assert_eq!(
            parse_error("tags:=[1,"),
            "item 'tags:=[1,': invalid JSON after ':=': EOF while parsing a value at line 1 column 3"
        );
        assert_eq!(
            parse_error("x:="),
            "item 'x:=': invalid JSON after ':=': EOF while parsing a value at line 1 column 0"
        );
        assert_eq!(
            parse_error("x:=chrome"),
            "item 'x:=chrome': invalid JSON after ':=': expected value at line 1 column 1"
        );
    }

    #[test]
    fn deeply_nested_raw_json_is_an_error_not_a_crash() {
        let deep = format!("x:={}", "[".repeat(100_000));
        assert!(parse_error(&deep).contains("recursion limit exceeded"));
    }

    // --- where the separator is ---

    #[test]
    fn separator_is_the_first_unescaped_equals() {
        let it = item("a=b=c");
        assert_eq!(it.path, keys(&["a"]));
        assert_eq!(it.value, json!("b=c"));
        // `:=` later in the value is just text.
        assert_eq!(item("a=:=1").value, json!(":=1"));
        // The value is literal: no escapes are processed in it.
        assert_eq!(item(r"a=x\.y\\").value, json!(r"x\.y\\"));
    }

    #[test]
    fn colon_before_equals_selects_raw_json() {
        let it = item(r#"a:="b=c""#);
        assert!(it.raw_json);
        assert_eq!(it.path, keys(&["a"]));
        assert_eq!(it.value, json!("b=c"));
        // A colon anywhere else is part of the key.
        let it = item("a:b=1");
        assert!(!it.raw_json);
        assert_eq!(it.path, keys(&["a:b"]));
        assert_eq!(it.value, json!(1));
    }

    #[test]
    fn escaped_colon_is_not_raw_json() {
        let it = item(r"a\:=1");
        assert!(!it.raw_json);
        assert_eq!(it.path, keys(&["a:"]));
        assert_eq!(it.value, json!(1));
        // An escaped backslash doesn't escape the colon after it.
        let it = item(r#"a\\:="x""#);
        assert!(it.raw_json);
        assert_eq!(it.path, keys(&[r"a\"]));
        assert_eq!(it.value, json!("x"));
    }

    // --- escapes in keys ---

    #[test]
    fn escapes_make_literal_key_characters() {
        assert_eq!(item(r"a\.b=1").path, keys(&["a.b"]));
        assert_eq!(item(r"url\=x=1").path, keys(&["url=x"]));
        assert_eq!(item(r"a\[0\]=1").path, keys(&["a[0]"]));
        assert_eq!(item(r"a\\b=1").path, keys(&[r"a\b"]));
        // `\\.` is a backslash, then a real dot.
        assert_eq!(item(r"a\\.b=1").path, keys(&[r"a\", "b"]));
        assert_eq!(build(&[r"a\.b=1"]), json!({"a.b": 1}));
    }

    #[test]
    fn backslash_before_other_characters_is_kept() {
        assert_eq!(item(r"a\xb=1").path, keys(&[r"a\xb"]));
        assert_eq!(item(r"\n=1").path, keys(&[r"\n"]));
        assert_eq!(item(r"é\é=1").path, keys(&[r"é\é"]));
    }

    // --- paths ---

    #[test]
    fn paths_parse_into_segments() {
        assert_eq!(item("product.sku=abc").path, keys(&["product", "sku"]));
        assert_eq!(
            item("modules[0].moduleId=x").path,
            vec![Key("modules".into()), Index(0), Key("moduleId".into())]
        );
        assert_eq!(item("tags[]=x").path, vec![Key("tags".into()), Append]);
        assert_eq!(
            item("m[2][0]=x").path,
            vec![Key("m".into()), Index(2), Index(0)]
        );
        // Leading zeros in an index are harmless: it is a position, not a value.
        assert_eq!(item("a[007]=1").path, vec![Key("a".into()), Index(7)]);
    }

    #[test]
    fn top_key_is_the_first_name() {
        assert_eq!(item("product.sku=abc").top_key(), "product");
        assert_eq!(item("modules[0].x=1").top_key(), "modules");
        assert_eq!(item(r"a\.b.c=1").top_key(), "a.b");
    }

    #[test]
    fn raw_keeps_the_item_as_typed() {
        let text = r"a\.b[0]:= [1] ";
        assert_eq!(item(text).raw, text);
    }

    // --- building objects ---

    #[test]
    fn nested_keys_build_objects_and_arrays() {
        assert_eq!(
            build(&["product.sku=abc"]),
            json!({"product": {"sku": "abc"}})
        );
        assert_eq!(
            build(&["modules[0].moduleId=x"]),
            json!({"modules": [{"moduleId": "x"}]})
        );
    }

    #[test]
    fn index_past_the_end_pads_with_null() {
        assert_eq!(build(&["a[1]=y"]), json!({"a": [null, "y"]}));
        assert_eq!(
            build(&["a[0]=x", "a[3]=y"]),
            json!({"a": ["x", null, null, "y"]})
        );
    }

    #[test]
    fn padding_can_be_filled_later() {
        // Items in reverse order: the null padding at 0 becomes an object.
        assert_eq!(
            build(&["modules[1].id=b", "modules[0].id=a"]),
            json!({"modules": [{"id": "a"}, {"id": "b"}]})
        );
    }

    #[test]
    fn append_adds_to_the_end() {
        assert_eq!(
            build(&["tags[]=x", "tags[]=y"]),
            json!({"tags": ["x", "y"]})
        );
        assert_eq!(
            build(&["t[0]=a", "t[]=b", "t[].name=c"]),
            json!({"t": ["a", "b", {"name": "c"}]})
        );
        assert_eq!(build(&["m[][]=1"]), json!({"m": [[1]]}));
    }

    #[test]
    fn items_merge_into_one_object() {
        let built = build(&[
            "modules[0].moduleId=a",
            "modules[0].started:=false",
            "modules[1].moduleId=b",
            "price=139.99",
        ]);
        assert_eq!(
            built,
            json!({
                "modules": [{"moduleId": "a", "started": false}, {"moduleId": "b"}],
                "price": 139.99
            })
        );
    }

    #[test]
    fn keys_keep_the_order_they_were_given_in() {
        let built = build(&["z=1", "a=2", "m.y=3", "m.b=4"]);
        assert_eq!(built.to_string(), r#"{"z":1,"a":2,"m":{"y":3,"b":4}}"#);
    }

    #[test]
    fn later_items_overwrite_earlier_ones() {
        assert_eq!(build(&["a=1", "a=2"]), json!({"a": 2}));
        assert_eq!(
            build(&["p.sku=x", "p.sku:=[1]"]),
            json!({"p": {"sku": [1]}})
        );
        assert_eq!(build(&["t[0]=x", "t[0]=y"]), json!({"t": ["y"]}));
        // Overwriting keeps the key's place.
        assert_eq!(
            build(&["a=1", "b=2", "a=3"]).to_string(),
            r#"{"a":3,"b":2}"#
        );
    }

    #[test]
    fn null_on_the_way_is_an_empty_slot() {
        assert_eq!(build(&["a=null", "a.b=1"]), json!({"a": {"b": 1}}));
        assert_eq!(build(&["a:=null", "a[1]=x"]), json!({"a": [null, "x"]}));
    }

    #[test]
    fn items_go_into_existing_raw_json() {
        assert_eq!(
            build(&["ctx:={\"ip\":\"1.2.3.4\"}", "ctx.locale=en"]),
            json!({"ctx": {"ip": "1.2.3.4", "locale": "en"}})
        );
    }

    #[test]
    fn insert_into_keeps_what_the_target_had() {
        let mut target = Map::new();
        target.insert("userId".into(), json!("u1"));
        item("p.x=1").insert_into(&mut target).unwrap();
        assert_eq!(
            Value::Object(target),
            json!({"userId": "u1", "p": {"x": 1}})
        );
    }

    #[test]
    fn unicode_keys_and_values() {
        assert_eq!(
            build(&["名前=値", "emoji=🎉"]),
            json!({"名前": "値", "emoji": "🎉"})
        );
        assert_eq!(build(&["🎉.ü[0]=ß"]), json!({"🎉": {"ü": ["ß"]}}));
        assert_eq!(build(&["k:=\"日本\""]), json!({"k": "日本"}));
        // Multi-byte characters right next to the separator and escapes.
        assert_eq!(build(&[r"é\.é:=1"]), json!({"é.é": 1}));
        assert_eq!(
            parse_error("名前"),
            "item '名前': has no '=': write key=value, or key:=JSON for raw JSON"
        );
    }

    // --- syntax errors ---

    #[test]
    fn missing_separator() {
        assert_eq!(
            parse_error("platform"),
            "item 'platform': has no '=': write key=value, or key:=JSON for raw JSON"
        );
        // An escaped `=` is part of the key, so this has no separator either.
        assert!(parse_error(r"a\=1").contains("has no '='"));
        assert!(parse_error("").contains("has no '='"));
    }

    #[test]
    fn empty_keys_and_names() {
        assert_eq!(parse_error("=1"), "item '=1': the key is empty");
        assert_eq!(parse_error(":=1"), "item ':=1': the key is empty");
        for text in ["a..b=1", ".a=1", "a.=1", "a[0].=1", "a.[0]=1"] {
            assert_eq!(
                parse_error(text),
                format!("item '{text}': the key has an empty name (write '\\.' for a literal dot)")
            );
        }
    }

    #[test]
    fn path_must_start_with_a_key() {
        for text in ["[0]=1", "[]=1", "[0].a=1"] {
            assert_eq!(
                parse_error(text),
                format!("item '{text}': the key must start with a name, not an index (the top level is an object)")
            );
        }
    }

    #[test]
    fn bracket_errors() {
        assert_eq!(
            parse_error("a[1=2"),
            "item 'a[1=2': '[' without a closing ']' in the key (write '\\[' for a literal bracket)"
        );
        assert_eq!(
            parse_error("a]=1"),
            "item 'a]=1': ']' without an opening '[' in the key (write '\\]' for a literal bracket)"
        );
        assert!(parse_error("]a=1").contains("']' without an opening '['"));
        assert_eq!(
            parse_error("a[0]b=1"),
            "item 'a[0]b=1': expected '.' or '[' after ']', found 'b'"
        );
        assert!(parse_error("a[0]]=1").contains("found ']'"));
    }

    #[test]
    fn non_numeric_index() {
        assert_eq!(
            parse_error("a[x]=1"),
            "item 'a[x]=1': '[x]' is not an array index: write a number, or [] to append"
        );
        for text in ["a[-1]=1", "a[ 1]=1", "a[1.5]=1", "a[١]=1"] {
            assert!(
                parse_error(text).contains("is not an array index"),
                "{text}"
            );
        }
    }

    #[test]
    fn index_is_capped() {
        assert_eq!(item("a[10000]=1").path[1], Index(MAX_INDEX));
        assert_eq!(
            parse_error("a[999999999]=1"),
            "item 'a[999999999]=1': index 999999999 is too large (at most 10000)"
        );
        assert!(parse_error("a[10001]=1").contains("index 10001 is too large"));
        // Far past usize: still "too large", not an overflow.
        assert!(parse_error("a[99999999999999999999999999]=1").contains("too large"));
    }

    #[test]
    fn path_depth_is_capped() {
        let ok = format!("a{}=1", ".a".repeat(MAX_DEPTH - 1));
        assert_eq!(item(&ok).path.len(), MAX_DEPTH);
        let too_deep = format!("a{}=1", ".a".repeat(MAX_DEPTH));
        assert_eq!(
            parse_error(&too_deep),
            format!("item '{too_deep}': the key has more than 64 parts")
        );
        assert!(
            parse_error(&format!("a{}=1", "[0]".repeat(MAX_DEPTH))).contains("more than 64 parts")
        );
    }

    // --- type conflicts ---

    #[test]
    fn conflicts_name_the_value_in_the_way() {
        assert_eq!(
            insert_error(&["a=1", "a.b=2"]),
            "item 'a.b=2': 'a' is already a number, not an object"
        );
        assert_eq!(
            insert_error(&["a.b=1", "a[0]=2"]),
            "item 'a[0]=2': 'a' is already an object, not an array"
        );
        assert_eq!(
            insert_error(&["a[0]=1", "a.b=2"]),
            "item 'a.b=2': 'a' is already an array, not an object"
        );
        assert_eq!(
            insert_error(&["a=x", "a[]=2"]),
            "item 'a[]=2': 'a' is already a string, not an array"
        );
        assert_eq!(
            insert_error(&["m[0].ok=true", "m[0].ok.x=1"]),
            "item 'm[0].ok.x=1': 'm[0].ok' is already a boolean, not an object"
        );
        // Escapes come back in the path, so it reads as the user would type it.
        assert_eq!(
            insert_error(&[r"a\.b=1", r"a\.b.c=2"]),
            r"item 'a\.b.c=2': 'a\.b' is already a number, not an object"
        );
    }

    #[test]
    fn clashes_are_errors_in_either_order_naming_both() {
        let parsed = |texts: &[&str]| -> Vec<Item> { texts.iter().map(|t| item(t)).collect() };
        let err = |texts: &[&str]| build_object(&parsed(texts)).unwrap_err().to_string();
        assert_eq!(
            err(&["a.b=1", "a=2"]),
            "item 'a=2' conflicts with the earlier item 'a.b=1': 'a' would replace what the earlier item set inside it"
        );
        assert_eq!(
            err(&["a=2", "a.b=1"]),
            "item 'a.b=1' conflicts with the earlier item 'a=2': 'a' is a number, not an object"
        );
        assert_eq!(
            err(&["a.b=1", "x=0", "a:={\"c\":2}"]),
            "item 'a:={\"c\":2}' conflicts with the earlier item 'a.b=1': 'a' would replace what the earlier item set inside it"
        );
        assert_eq!(
            err(&["m[0].ok=true", "m[0].ok.x=1"]),
            "item 'm[0].ok.x=1' conflicts with the earlier item 'm[0].ok=true': 'm[0].ok' is a boolean, not an object"
        );
        // Merging, appending and filling an empty slot stay allowed.
        for ok in [
            &["a.b=1", "a.c=2"][..],
            &["t[]=1", "t[]=2"],
            &["a:={\"x\":1}", "a.y=2"],
            &["a=null", "a.b=1"],
            &["m[1]=x", "m[0].b=y"],
        ] {
            assert!(build_object(&parsed(ok)).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn a_conflict_changes_nothing() {
        let mut target = Map::new();
        item("a.b=1").insert_into(&mut target).unwrap();
        let before = target.clone();
        assert!(item("a.b.c[3].d=1").insert_into(&mut target).is_err());
        assert!(item("a[0]=1").insert_into(&mut target).is_err());
        assert_eq!(target, before);
    }

    #[test]
    fn build_object_stops_at_the_first_error() {
        let parsed: Vec<Item> = ["a=1", "a.b=2", "a.c=3"].iter().map(|t| item(t)).collect();
        let err = build_object(&parsed).unwrap_err();
        assert!(matches!(&err, ItemError::Clash { item, .. } if item == "a.b=2"));
    }

    // --- robustness ---

    #[test]
    fn hand_built_items_are_checked_not_trusted() {
        let mut target = Map::new();
        let mut it = item("a=1");
        it.path = vec![];
        assert_eq!(it.top_key(), "");
        assert!(matches!(
            it.insert_into(&mut target),
            Err(ItemError::EmptyKey { .. })
        ));
        it.path = vec![Index(0)];
        assert!(matches!(
            it.insert_into(&mut target),
            Err(ItemError::StartsWithIndex { .. })
        ));
        it.path = vec![Key("a".into()), Index(usize::MAX)];
        assert!(matches!(
            it.insert_into(&mut target),
            Err(ItemError::IndexTooLarge { .. })
        ));
        it.path = vec![Key("a".into()); MAX_DEPTH + 1];
        assert!(matches!(
            it.insert_into(&mut target),
            Err(ItemError::TooDeep { .. })
        ));
        assert!(target.is_empty());
    }

    #[test]
    fn messages_stay_on_one_line() {
        assert_eq!(
            parse_error("a\nb"),
            "item 'a\\nb': has no '=': write key=value, or key:=JSON for raw JSON"
        );
        let message = parse_error("x:={\n\"a\":\u{2028}");
        assert!(
            !message.contains('\n') && !message.contains('\u{2028}'),
            "{message}"
        );
        assert!(
            message.starts_with("item 'x:={\\n\"a\":\\u{2028}': invalid JSON"),
            "{message}"
        );
        let message = parse_error("a[\r]=1");
        assert_eq!(
            message,
            "item 'a[\\r]=1': '[\\r]' is not an array index: write a number, or [] to append"
        );
        let message = insert_error(&["a\tb=1", "a\tb.c=1"]);
        assert_eq!(
            message,
            "item 'a\\tb.c=1': 'a\\tb' is already a number, not an object"
        );
    }

    /// Every error, from parsing or inserting, names the item on one line; every
    /// parsed item has a path that starts with a key. A small deterministic fuzz
    /// over the characters the syntax cares about.
    #[test]
    fn arbitrary_input_never_panics() {
        const PIECES: [&str; 18] = [
            "a", "b", ".", "[", "]", "=", ":", "\\", "0", "1", "9999999", "é", "🎉", " ", "\n",
            "\"", "{", "}",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            // xorshift64: reproducible without a dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut parsed = 0;
        for _ in 0..20_000 {
            let mut target = Map::new();
            for _ in 0..4 {
                let len = next() % 12;
                let text: String = (0..len)
                    .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                    .collect();
                let result = text.parse::<Item>().and_then(|it| {
                    assert!(
                        matches!(it.path.first(), Some(Key(k)) if !k.is_empty()),
                        "{text:?}"
                    );
                    it.insert_into(&mut target)
                });
                match result {
                    Ok(()) => parsed += 1,
                    Err(e) => {
                        let message = e.to_string();
                        assert!(message.starts_with("item '"), "{message}");
                        assert!(!message.contains('\n'), "{message}");
                    }
                }
            }
        }
        // Make sure the generator actually reaches the success path too.
        assert!(parsed > 1000, "only {parsed} items parsed");
    }
}
