//! The text of one item: `key=value` or `key:=JSON`, with a key that is a path
//! (`product.sku`, `modules[0].moduleId`, `tags[]`) and backslash escapes. What
//! parsing checks is kept in private fields, so insertion can rely on it.

use std::fmt::{self, Write as _};
use std::iter::Peekable;
use std::str::{Chars, FromStr};

use serde_json::{Number, Value};

use super::ItemError;

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

/// Where an item's value goes: a first key, then any steps below it. Only the
/// parser builds one, so it always starts with a non-empty name, has at most
/// [`MAX_DEPTH`] segments and no index above [`MAX_INDEX`].
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    top: String,
    rest: Vec<PathSegment>,
}

impl Path {
    /// The key at the top level (e.g. "product" for `product.sku`).
    pub fn top(&self) -> &str {
        &self.top
    }

    /// The steps below the top key.
    pub fn rest(&self) -> &[PathSegment] {
        &self.rest
    }

    /// How many segments, the top key included.
    pub fn depth(&self) -> usize {
        1 + self.rest.len()
    }

    /// The top key and the first `steps` segments below it, written as typed
    /// (for messages that name where along the path something went wrong).
    pub fn render_upto(&self, steps: usize) -> String {
        let mut out = String::new();
        push_key(&mut out, &self.top);
        for segment in &self.rest[..steps.min(self.rest.len())] {
            match segment {
                PathSegment::Key(key) => {
                    out.push('.');
                    push_key(&mut out, key);
                }
                PathSegment::Index(n) => {
                    let _ = write!(out, "[{n}]");
                }
                PathSegment::Append => out.push_str("[]"),
            }
        }
        out
    }
}

/// Writes the path back the way it would be typed: `modules[0].moduleId`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_upto(self.rest.len()))
    }
}

/// A key with the characters that would end it escaped again.
fn push_key(out: &mut String, key: &str) {
    for c in key.chars() {
        if matches!(c, '.' | '[' | ']' | '=' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// One parsed `key=value` or `key:=JSON` item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    path: Path,
    value: Value,
    /// The item as typed, for error messages.
    raw: String,
    /// True for the `key:=JSON` form.
    raw_json: bool,
}

impl FromStr for Item {
    type Err = ItemError;

    fn from_str(raw: &str) -> Result<Self, ItemError> {
        let item = || raw.to_string();
        let (key, text, raw_json) =
            split(raw).ok_or_else(|| ItemError::NoSeparator { item: item() })?;
        let path = parse_path(raw, key)?;
        let value = if raw_json {
            let invalid = |reason| ItemError::InvalidJson {
                item: item(),
                reason,
            };
            let value = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
            // Numbers parse as written; one beyond a float is refused, as serde_json did.
            if let Some(number) = crate::numbers::out_of_range(text) {
                return Err(invalid(number.message()));
            }
            value
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
    /// Where the value goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The item as typed, for error messages.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// True for the `key:=JSON` form.
    pub fn is_raw_json(&self) -> bool {
        self.raw_json
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
    // ...and keeps every number as written (`arbitrary_precision`), so the
    // number is rebuilt from the 64-bit value it holds: one that no 64-bit
    // value holds exactly (`-0`, 30 digits) is not written back the same, and
    // stays a string. std's parser rounds floats exactly in every build.
    let number = if let Some(n) = number.as_u64() {
        Number::from(n)
    } else if let Some(n) = number.as_i64() {
        Number::from(n)
    } else if number.is_f64() {
        Number::from_f64(text.parse::<f64>().ok()?)?
    } else {
        return None;
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
fn parse_path(raw: &str, key: &str) -> Result<Path, ItemError> {
    let item = || raw.to_string();
    let mut chars = key.chars().peekable();
    let top = parse_name(&mut chars).ok_or_else(|| match chars.peek() {
        None => ItemError::EmptyKey { item: item() },
        Some('[') => ItemError::StartsWithIndex { item: item() },
        Some(']') => ItemError::UnopenedBracket { item: item() },
        _ => ItemError::EmptyName { item: item() },
    })?;
    let mut path = Path {
        top,
        rest: Vec::new(),
    };
    loop {
        // After a name: any number of `[...]`, then `.` and another name, or the end.
        loop {
            if path.depth() > MAX_DEPTH {
                return Err(ItemError::TooDeep { item: item() });
            }
            match chars.next() {
                None => return Ok(path),
                Some('.') => break,
                Some('[') => {
                    path.rest.push(parse_bracket(raw, &mut chars)?);
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
        let name = parse_name(&mut chars).ok_or_else(|| match chars.peek() {
            Some(']') => ItemError::UnopenedBracket { item: item() },
            _ => ItemError::EmptyName { item: item() },
        })?;
        path.rest.push(PathSegment::Key(name));
    }
}

/// A name: everything up to an unescaped `.`, `[`, `]` or the end, with its
/// escapes resolved. `None` when it is empty.
fn parse_name(chars: &mut Peekable<Chars>) -> Option<String> {
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
    (!name.is_empty()).then_some(name)
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

#[cfg(test)]
mod tests {
    use super::super::tests::{build, item, keys, parse_error, segments, value_of};
    use super::*;
    use serde_json::json;
    use PathSegment::{Append, Index, Key};

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
        // Only what a 64-bit number holds exactly becomes one, though
        // numbers are kept as written: these stay the text typed.
        assert_eq!(
            typed_value("123456789012345678901234567890"),
            json!("123456789012345678901234567890")
        );
        assert_eq!(typed_value("-0"), json!("-0"));
        assert_eq!(
            typed_value("0.10000000000000000001"),
            json!("0.10000000000000000001")
        );
        assert_eq!(
            typed_value("18446744073709551615"),
            json!(18446744073709551615u64)
        );
        assert_eq!(
            typed_value("-9223372036854775808"),
            json!(-9223372036854775808i64)
        );
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
        // Numbers are kept as written, not rounded to a float; serde_json
        // writes an exponent with its sign.
        assert_eq!(item("n:=1e5").value.to_string(), "1e+5");
        assert_eq!(
            item("n:=[123456789012345678901234567890,0.10000000000000000001]")
                .value
                .to_string(),
            "[123456789012345678901234567890,0.10000000000000000001]"
        );
        // Whitespace around JSON is fine, as in any JSON text.
        assert_eq!(
            item("o:= {\"a\": [true, null]}\n").value,
            json!({"a": [true, null]})
        );
        assert_eq!(segments(&item("o:={}")), keys(&["o"]));
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
        assert_eq!(segments(&it), keys(&["a"]));
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
        assert_eq!(segments(&it), keys(&["a"]));
        assert_eq!(it.value, json!("b=c"));
        // A colon anywhere else is part of the key.
        let it = item("a:b=1");
        assert!(!it.raw_json);
        assert_eq!(segments(&it), keys(&["a:b"]));
        assert_eq!(it.value, json!(1));
    }

    #[test]
    fn escaped_colon_is_not_raw_json() {
        let it = item(r"a\:=1");
        assert!(!it.raw_json);
        assert_eq!(segments(&it), keys(&["a:"]));
        assert_eq!(it.value, json!(1));
        // An escaped backslash doesn't escape the colon after it.
        let it = item(r#"a\\:="x""#);
        assert!(it.raw_json);
        assert_eq!(segments(&it), keys(&[r"a\"]));
        assert_eq!(it.value, json!("x"));
    }

    // --- escapes in keys ---

    #[test]
    fn escapes_make_literal_key_characters() {
        assert_eq!(segments(&item(r"a\.b=1")), keys(&["a.b"]));
        assert_eq!(segments(&item(r"url\=x=1")), keys(&["url=x"]));
        assert_eq!(segments(&item(r"a\[0\]=1")), keys(&["a[0]"]));
        assert_eq!(segments(&item(r"a\\b=1")), keys(&[r"a\b"]));
        // `\\.` is a backslash, then a real dot.
        assert_eq!(segments(&item(r"a\\.b=1")), keys(&[r"a\", "b"]));
        assert_eq!(build(&[r"a\.b=1"]), json!({"a.b": 1}));
    }

    #[test]
    fn backslash_before_other_characters_is_kept() {
        assert_eq!(segments(&item(r"a\xb=1")), keys(&[r"a\xb"]));
        assert_eq!(segments(&item(r"\n=1")), keys(&[r"\n"]));
        assert_eq!(segments(&item(r"é\é=1")), keys(&[r"é\é"]));
    }

    // --- paths ---

    #[test]
    fn paths_parse_into_segments() {
        assert_eq!(
            segments(&item("product.sku=abc")),
            keys(&["product", "sku"])
        );
        assert_eq!(
            segments(&item("modules[0].moduleId=x")),
            vec![Key("modules".into()), Index(0), Key("moduleId".into())]
        );
        assert_eq!(
            segments(&item("tags[]=x")),
            vec![Key("tags".into()), Append]
        );
        assert_eq!(
            segments(&item("m[2][0]=x")),
            vec![Key("m".into()), Index(2), Index(0)]
        );
        // Leading zeros in an index are harmless: it is a position, not a value.
        assert_eq!(segments(&item("a[007]=1")), vec![Key("a".into()), Index(7)]);
    }

    #[test]
    fn top_key_is_the_first_name() {
        assert_eq!(item("product.sku=abc").path.top(), "product");
        assert_eq!(item("modules[0].x=1").path.top(), "modules");
        assert_eq!(item(r"a\.b.c=1").path.top(), "a.b");
    }

    #[test]
    fn raw_keeps_the_item_as_typed() {
        let text = r"a\.b[0]:= [1] ";
        assert_eq!(item(text).raw, text);
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
        assert_eq!(item("a[10000]=1").path.rest()[0], Index(MAX_INDEX));
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
        assert_eq!(item(&ok).path.depth(), MAX_DEPTH);
        let too_deep = format!("a{}=1", ".a".repeat(MAX_DEPTH));
        assert_eq!(
            parse_error(&too_deep),
            format!("item '{too_deep}': the key has more than 64 parts")
        );
        assert!(
            parse_error(&format!("a{}=1", "[0]".repeat(MAX_DEPTH))).contains("more than 64 parts")
        );
    }
}
