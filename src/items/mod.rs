//! Items: the values of `--prop`, `--trait`, `--context` and `--integration`, from
//! the text typed to the JSON they build.
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
//!
//! - `syntax`: the text of one item into an [`Item`] (a checked [`Path`] and a value)
//! - `insert`: items written into a JSON object, merged, clashes refused
//! - `apply`: items applied to a call (`properties`, `traits`, `context`, `integrations`)

mod apply;
mod insert;
mod syntax;

use std::fmt::Write as _;

pub use apply::{apply_extras, check_integration_items, insert_items};
pub use insert::{build_object, insert_all};
pub use syntax::{typed_value, Item, Path, PathSegment, MAX_DEPTH, MAX_INDEX};

/// Why an item can't be parsed or inserted. The message is one line that starts
/// with `item '<raw>': ` (control characters in it are shown escaped).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ItemError {
    #[error("item '{}': has no '=': write key=value, or key:=JSON for raw JSON", escape_controls(.item))]
    NoSeparator { item: String },

    #[error("item '{}': the key is empty", escape_controls(.item))]
    EmptyKey { item: String },

    #[error("item '{}': the key has an empty name (write '\\.' for a literal dot)", escape_controls(.item))]
    EmptyName { item: String },

    #[error("item '{}': the key must start with a name, not an index (the top level is an object)", escape_controls(.item))]
    StartsWithIndex { item: String },

    #[error("item '{}': '[' without a closing ']' in the key (write '\\[' for a literal bracket)", escape_controls(.item))]
    UnclosedBracket { item: String },

    #[error("item '{}': ']' without an opening '[' in the key (write '\\]' for a literal bracket)", escape_controls(.item))]
    UnopenedBracket { item: String },

    #[error("item '{}': expected '.' or '[' after ']', found '{}'", escape_controls(.item), escape_controls(.found))]
    AfterBracket { item: String, found: String },

    #[error("item '{}': '[{}]' is not an array index: write a number, or [] to append", escape_controls(.item), escape_controls(.index))]
    BadIndex { item: String, index: String },

    #[error("item '{}': index {} is too large (at most {MAX_INDEX})", escape_controls(.item), escape_controls(.index))]
    IndexTooLarge { item: String, index: String },

    #[error("item '{}': the key has more than {MAX_DEPTH} parts", escape_controls(.item))]
    TooDeep { item: String },

    #[error("item '{}': invalid JSON after ':=': {}", escape_controls(.item), escape_controls(.reason))]
    InvalidJson { item: String, reason: String },

    /// The path runs through a value of the wrong type, e.g. `a=1` then `a.b=2`.
    #[error("item '{}': '{}' is already {found}, not {wanted}", escape_controls(.item), escape_controls(.path))]
    Conflict {
        item: String,
        /// The path of the value in the way, written as in a key.
        path: String,
        found: &'static str,
        wanted: &'static str,
    },

    /// Two items of one list that cannot both hold: the later would replace the
    /// earlier's value or run through it. Which one was meant is the user's call.
    #[error("item '{}' conflicts with the earlier item '{}': {}", escape_controls(.item), escape_controls(.earlier), escape_controls(.why))]
    Clash {
        item: String,
        earlier: String,
        why: String,
    },
}

/// Escapes control characters (and Unicode line/paragraph separators) so an
/// error message stays on one line whatever the user typed.
fn escape_controls(text: &str) -> String {
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
    //! Helpers for the tests of every part, and the tests of parsing and
    //! inserting together.
    use super::*;
    use serde_json::{Map, Value};
    use PathSegment::Key;

    pub(super) fn item(text: &str) -> Item {
        text.parse()
            .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
    }

    /// The value `key=<text>` gets.
    pub(super) fn value_of(text: &str) -> Value {
        item(&format!("k={text}")).value().clone()
    }

    /// Parses and inserts all items in order.
    pub(super) fn build(items: &[&str]) -> Value {
        let parsed: Vec<Item> = items.iter().map(|t| item(t)).collect();
        Value::Object(build_object(&parsed).unwrap_or_else(|e| panic!("{items:?}: {e}")))
    }

    /// The message for an item that doesn't parse.
    pub(super) fn parse_error(text: &str) -> String {
        match text.parse::<Item>() {
            Ok(item) => panic!("{text:?} should not parse, got {item:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// The message for the first item of `items` that can't be inserted.
    pub(super) fn insert_error(items: &[&str]) -> String {
        // One by one, as over a --file's values: the type check of insert_into itself.
        let mut object = Map::new();
        for text in items {
            if let Err(e) = item(text).insert_into(&mut object) {
                return e.to_string();
            }
        }
        panic!("{items:?} should conflict, got {object:?}")
    }

    pub(super) fn keys(names: &[&str]) -> Vec<PathSegment> {
        names.iter().map(|n| Key(n.to_string())).collect()
    }

    /// The whole path of an item as segments, the top key first.
    pub(super) fn segments(it: &Item) -> Vec<PathSegment> {
        let path = it.path();
        std::iter::once(Key(path.top().to_string()))
            .chain(path.rest().iter().cloned())
            .collect()
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
                    assert!(!it.path().top().is_empty(), "{text:?}");
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
