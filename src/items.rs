//! The item syntax of `--prop`, `--trait`, `--context` and `--integration`:
//!
//! - `key=value`: a JSON number, `true`, `false` or `null` when the value is
//!   exactly such a literal in canonical form, otherwise a string;
//! - `key:=JSON`: raw JSON of any kind;
//! - nested keys `a.b`, `a[0].b`, `a[]` (append); a backslash escapes
//!   `.`, `[`, `]`, `=`, `:` or `\` in a key.

use std::str::FromStr;

use serde_json::{Map, Value};

/// Largest array index an item may name: `a[999999999]=1` must not allocate gigabytes.
pub const MAX_INDEX: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
    Append,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub path: Vec<PathSegment>,
    pub value: Value,
    /// The item as typed, for error messages.
    pub raw: String,
    /// True for the `key:=JSON` form.
    pub raw_json: bool,
}

/// Why an item is not usable; the message names the item as typed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("item '{}': {reason}", printable(item))]
pub struct ItemError {
    pub item: String,
    pub reason: String,
}

impl ItemError {
    fn new(item: &str, reason: impl Into<String>) -> Self {
        ItemError {
            item: item.to_string(),
            reason: reason.into(),
        }
    }
}

impl FromStr for Item {
    type Err = ItemError;

    fn from_str(raw: &str) -> Result<Self, ItemError> {
        let (key, value, raw_json) = split(raw)?;
        let path = parse_path(raw, &key)?;
        let value = if raw_json {
            serde_json::from_str(value).map_err(|e| {
                ItemError::new(
                    raw,
                    format!(
                        "invalid JSON after ':=' ({})",
                        crate::input::json_error_message(&e)
                    ),
                )
            })?
        } else {
            typed_value(value)
        };
        Ok(Item {
            path,
            value,
            raw: raw.to_string(),
            raw_json,
        })
    }
}

/// Splits at the first unescaped `=`; a `:` right before it makes it `:=`.
/// Returns the key with its escapes still in it.
fn split(raw: &str) -> Result<(String, &str, bool), ItemError> {
    let mut escaped = false;
    for (i, c) in raw.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '=' => {
                let key = &raw[..i];
                let value = &raw[i + 1..];
                // `:` before `=` counts only when not escaped itself.
                if key.ends_with(':') && !ends_with_escape(&key[..key.len() - 1]) {
                    return Ok((key[..key.len() - 1].to_string(), value, true));
                }
                return Ok((key.to_string(), value, false));
            }
            _ => {}
        }
    }
    Err(ItemError::new(
        raw,
        "has no '=': write key=value, or key:=JSON for raw JSON",
    ))
}

/// Control characters (a newline in a quoted argument) escaped, so the message stays one line.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `text` ends in an odd run of backslashes (its last character is escaped away).
fn ends_with_escape(text: &str) -> bool {
    text.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

fn parse_path(raw: &str, key: &str) -> Result<Vec<PathSegment>, ItemError> {
    let err = |reason: &str| ItemError::new(raw, reason.to_string());
    let mut path = Vec::new();
    let mut current = String::new();
    // Whether `current` is a key being read (as opposed to right after `]`).
    let mut in_key = true;
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('.' | '[' | ']' | '=' | ':' | '\\')) => {
                    current.push(next);
                    chars.next();
                }
                _ => current.push('\\'),
            },
            '.' => {
                if in_key {
                    if current.is_empty() {
                        return Err(err("empty key in the path"));
                    }
                    path.push(PathSegment::Key(std::mem::take(&mut current)));
                }
                in_key = true;
            }
            '[' => {
                if in_key {
                    if current.is_empty() {
                        return Err(err(if path.is_empty() {
                            "a path starts with a key, not an index"
                        } else {
                            "empty key in the path"
                        }));
                    }
                    path.push(PathSegment::Key(std::mem::take(&mut current)));
                }
                let mut index = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(d) => index.push(d),
                        None => return Err(err("unclosed '['")),
                    }
                }
                path.push(if index.is_empty() {
                    PathSegment::Append
                } else {
                    let n: usize = index
                        .parse()
                        .map_err(|_| err("an index in [...] must be a whole number"))?;
                    if n > MAX_INDEX {
                        return Err(ItemError::new(
                            raw,
                            format!("index {n} is over the limit of {MAX_INDEX}"),
                        ));
                    }
                    PathSegment::Index(n)
                });
                in_key = false;
                // After `]` comes `.`, `[`, or the end.
                if !matches!(chars.peek(), None | Some('.') | Some('[')) {
                    return Err(err("expected '.' or '[' after ']'"));
                }
            }
            ']' => return Err(err("unexpected ']'")),
            _ => {
                if !in_key {
                    return Err(err("expected '.' or '[' after ']'"));
                }
                current.push(c);
            }
        }
    }
    if in_key {
        if current.is_empty() {
            return Err(err("empty key"));
        }
        path.push(PathSegment::Key(current));
    }
    Ok(path)
}

/// `key=value` typing: a JSON number, boolean or null only when the text is
/// exactly that literal as serde_json writes it; `02134`, `1e5`, `1.50` stay strings.
pub fn typed_value(text: &str) -> Value {
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    let first = text.as_bytes().first();
    if matches!(first, Some(b'-' | b'0'..=b'9')) {
        if let Ok(n @ Value::Number(_)) = serde_json::from_str::<Value>(text) {
            if n.to_string().as_str() == text {
                return n;
            }
        }
    }
    Value::String(text.to_string())
}

impl Item {
    /// The first key of the path (`product` for `product.sku=abc`).
    pub fn top_key(&self) -> &str {
        match self.path.first() {
            Some(PathSegment::Key(k)) => k,
            _ => "",
        }
    }

    /// Writes the value at the item's path, creating objects and arrays on the way.
    pub fn insert_into(&self, target: &mut Map<String, Value>) -> Result<(), ItemError> {
        let Some((PathSegment::Key(first), rest)) = self.path.split_first() else {
            return Err(ItemError::new(&self.raw, "a path starts with a key"));
        };
        let slot = target.entry(first.clone()).or_insert(Value::Null);
        self.insert_at(slot, rest, first)
    }

    fn insert_at(
        &self,
        slot: &mut Value,
        rest: &[PathSegment],
        name: &str,
    ) -> Result<(), ItemError> {
        let Some((segment, rest)) = rest.split_first() else {
            *slot = self.value.clone();
            return Ok(());
        };
        let conflict = |slot: &Value, wanted: &str| {
            ItemError::new(
                &self.raw,
                format!("'{name}' is already {}, not {wanted}", kind(slot)),
            )
        };
        match segment {
            PathSegment::Key(key) => {
                if slot.is_null() {
                    *slot = Value::Object(Map::new());
                }
                let Value::Object(map) = slot else {
                    return Err(conflict(slot, "an object"));
                };
                let next = map.entry(key.clone()).or_insert(Value::Null);
                self.insert_at(next, rest, key)
            }
            PathSegment::Index(_) | PathSegment::Append => {
                if slot.is_null() {
                    *slot = Value::Array(Vec::new());
                }
                let Value::Array(items) = slot else {
                    return Err(conflict(slot, "an array"));
                };
                let index = match segment {
                    PathSegment::Index(i) => *i,
                    _ => items.len(),
                };
                if index > MAX_INDEX {
                    return Err(ItemError::new(
                        &self.raw,
                        format!("index {index} is over the limit of {MAX_INDEX}"),
                    ));
                }
                if items.len() <= index {
                    items.resize(index + 1, Value::Null);
                }
                let label = format!("{name}[{index}]");
                self.insert_at(&mut items[index], rest, &label)
            }
        }
    }
}

fn kind(v: &Value) -> &'static str {
    crate::input::json_kind(v)
}

/// Inserts parsed items in order into a fresh object.
pub fn build_object<'a>(
    items: impl IntoIterator<Item = &'a Item>,
) -> Result<Map<String, Value>, ItemError> {
    let mut out = Map::new();
    for item in items {
        item.insert_into(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(items: &[&str]) -> Result<Value, String> {
        let parsed: Vec<Item> = items
            .iter()
            .map(|s| s.parse::<Item>())
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        build_object(&parsed)
            .map(Value::Object)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn canonical_literals_are_typed_and_everything_else_is_a_string() {
        for (text, want) in [
            ("139.99", json!(139.99)),
            ("1", json!(1)),
            ("-3", json!(-3)),
            ("0.5", json!(0.5)),
            ("0", json!(0)),
            ("false", json!(false)),
            ("true", json!(true)),
            ("null", json!(null)),
        ] {
            assert_eq!(typed_value(text), want, "{text}");
        }
        for text in [
            "02134",
            "1e",
            "1e5",
            "1.50",
            "+1",
            "chrome",
            "True",
            " 1",
            "1 ",
            "12345678901234567890123",
            "",
            "-0",
            ".5",
            "NaN",
            "0x10",
        ] {
            assert_eq!(typed_value(text), json!(text), "{text:?} stays a string");
        }
    }

    #[test]
    fn seed_examples_come_out_typed() {
        assert_eq!(
            build(&[
                "price=139.99",
                "quantity=1",
                "finished=false",
                "platform=chrome",
                "zip=02134"
            ])
            .unwrap(),
            json!({"price": 139.99, "quantity": 1, "finished": false, "platform": "chrome", "zip": "02134"})
        );
    }

    #[test]
    fn raw_json_and_literal_values() {
        assert_eq!(
            build(&[
                r#"modules:=[{"moduleId":"cdp101-1"}]"#,
                r#"order_id:="123""#,
                "n:=5",
                "a=b=c",
                "empty=",
                "u=名前",
                "emoji=🎉"
            ])
            .unwrap(),
            json!({"modules": [{"moduleId": "cdp101-1"}], "order_id": "123", "n": 5, "a": "b=c", "empty": "", "u": "名前", "emoji": "🎉"})
        );
    }

    #[test]
    fn nested_paths_build_objects_and_arrays_and_merge() {
        assert_eq!(
            build(&[
                "product.sku=abc",
                "modules[0].moduleId=a",
                "modules[0].started:=false",
                "modules[1].moduleId=b",
                "tags[]=x",
                "tags[]=y",
                "pad[1]=z"
            ])
            .unwrap(),
            json!({
                "product": {"sku": "abc"},
                "modules": [{"moduleId": "a", "started": false}, {"moduleId": "b"}],
                "tags": ["x", "y"],
                "pad": [null, "z"]
            })
        );
        assert_eq!(
            build(&["a=1", "a=2"]).unwrap(),
            json!({"a": 2}),
            "later items overwrite"
        );
        assert_eq!(build(&["m[0][1]=x"]).unwrap(), json!({"m": [[null, "x"]]}));
    }

    #[test]
    fn escapes_make_literal_keys() {
        assert_eq!(
            build(&[
                r"a\.b=1",
                r"url\=x=2",
                r"k\[0\]=3",
                r"c\:=4",
                r"back\\slash=5",
                r"w\x=6"
            ])
            .unwrap(),
            json!({"a.b": 1, "url=x": 2, "k[0]": 3, "c:": 4, "back\\slash": 5, "w\\x": 6})
        );
    }

    #[test]
    fn errors_name_the_item_on_one_line() {
        let err = |items: &[&str]| build(items).unwrap_err();
        assert_eq!(
            err(&["platform"]),
            "item 'platform': has no '=': write key=value, or key:=JSON for raw JSON"
        );
        assert_eq!(err(&["=1"]), "item '=1': empty key");
        assert_eq!(err(&["a..b=1"]), "item 'a..b=1': empty key in the path");
        assert_eq!(err(&[".a=1"]), "item '.a=1': empty key in the path");
        assert_eq!(
            err(&["[0]=1"]),
            "item '[0]=1': a path starts with a key, not an index"
        );
        assert_eq!(
            err(&["a[x]=1"]),
            "item 'a[x]=1': an index in [...] must be a whole number"
        );
        assert_eq!(err(&["a[1=2"]), "item 'a[1=2': unclosed '['");
        assert_eq!(
            err(&["a[999999999]=1"]),
            "item 'a[999999999]=1': index 999999999 is over the limit of 10000"
        );
        assert_eq!(
            err(&["a[0]b=1"]),
            "item 'a[0]b=1': expected '.' or '[' after ']'"
        );
        assert_eq!(
            err(&["tags:=[1,"]),
            "item 'tags:=[1,': invalid JSON after ':=' (EOF while parsing a value)"
        );
        assert_eq!(
            err(&["a=1", "a.b=2"]),
            "item 'a.b=2': 'a' is already a number, not an object"
        );
        assert_eq!(
            err(&["a.b=1", "a[0]=2"]),
            "item 'a[0]=2': 'a' is already an object, not an array"
        );
        assert_eq!(
            err(&["a[0]=1", "a[0].b=2"]),
            "item 'a[0].b=2': 'a[0]' is already a number, not an object"
        );
        for e in [err(&["tags:={\n"]), err(&["x"])] {
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn top_key() {
        assert_eq!(
            "product.sku=1".parse::<Item>().unwrap().top_key(),
            "product"
        );
    }
}
