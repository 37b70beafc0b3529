//! A JSON document of calls (an array, or `{"batch": [...]}`) that does not
//! parse whole, split into its items so that a broken call costs only
//! itself: each item is parsed alone, and one that does not parse is refused
//! with its line and column in the file while the others go.
//!
//! Items are told apart by the array's commas and brackets, strings skipped.
//! A call left open (a missing `}`) would swallow every item after it, so
//! the split resynchronises as a stream of pretty-printed calls does: a line
//! whose first character is `{` in the column the items start in, met inside
//! an object, starts the next item, and the open one is refused as
//! unfinished. Items written side by side on one line, or in no column of
//! their own, are split by the brackets alone.

use std::ops::Range;

use serde_json::Value;

use crate::input::json_error_message;
use crate::numbers::string_end;

/// One item of the document's array.
#[derive(Debug)]
pub struct Item {
    /// Its bytes in the document.
    pub text: Range<usize>,
    /// The call, or why it cannot be one (with its place in the file).
    pub parsed: Result<Value, String>,
}

/// A broken document's items, and for a `{"batch": ...}` document, the
/// document with its array of calls emptied (what it says of all of them:
/// its `context` and `integrations`), when that parses.
pub struct Split {
    pub items: Vec<Item>,
    /// `None` for an array; for a batch document, `Some(None)` when its top
    /// level cannot be read (its calls cannot go without it).
    pub rest: Option<Option<Value>>,
}

/// Splits `text`, a document that did not parse whole and starts on line
/// `first_line` of its file; `None` when no array of calls is found in it
/// (then the document is refused whole).
pub fn split(text: &[u8], first_line: u64) -> Option<Split> {
    let (open, depth) = calls_array(text)?;
    let mut places = Places::new(text, first_line);
    let mut items = Vec::new();
    let mut scan = Scan::new(text, open + 1);
    while let Some((range, unfinished_at)) = scan.next_item() {
        let (line, column) = places.at(range.start);
        let item = &text[range.clone()];
        let parsed = match unfinished_at {
            Some(next) => Err(format!(
                "unfinished call at line {line}: line {} starts the next call before this one is closed (a missing '}}' or ']'?)",
                places.at(next).0
            )),
            None => serde_json::from_slice(item).map_err(|e| {
                // serde counts from the item's first byte, which is at `column`.
                let at_column = match e.line() {
                    1 => column + e.column() - 1,
                    _ => e.column(),
                };
                let at_line = line + e.line() as u64 - 1;
                format!(
                    "invalid JSON at line {at_line} column {at_column}: {}",
                    json_error_message(&e)
                )
            }),
        };
        items.push(Item {
            text: range,
            parsed,
        });
    }
    let close = scan.at.min(text.len());
    let rest = (depth == 2).then(|| {
        let mut emptied = text[..=open].to_vec();
        emptied.extend_from_slice(b"]");
        emptied.extend_from_slice(text.get(close + 1..).unwrap_or_default());
        serde_json::from_slice(&emptied).ok()
    });
    Some(Split { items, rest })
}

/// Where the array of calls opens, and the depth of its items: 1 in an
/// array, 2 in a `{"batch": [...]}` document.
fn calls_array(text: &[u8]) -> Option<(usize, usize)> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    match text[start] {
        b'[' => Some((start, 1)),
        b'{' => {
            // The `"batch"` member of the top-level object.
            let mut i = start + 1;
            let mut depth = 1;
            let mut key: Option<&[u8]> = None;
            while i < text.len() {
                match text[i] {
                    b'"' => {
                        let end = string_end(text, i + 1)?;
                        key = (depth == 1).then(|| &text[i + 1..end - 1]);
                        i = end;
                        continue;
                    }
                    b'[' if depth == 1 && key == Some(b"batch") => return Some((i, 2)),
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth -= 1,
                    b':' | b',' if depth == 1 => {}
                    b if b.is_ascii_whitespace() => {}
                    _ => key = None,
                }
                if depth == 0 {
                    return None;
                }
                i += 1;
            }
            None
        }
        _ => None,
    }
}

/// Walks the items of the array.
struct Scan<'a> {
    text: &'a [u8],
    at: usize,
    /// The column the items start in, once the first one shows it.
    column: Option<usize>,
    done: bool,
}

impl<'a> Scan<'a> {
    fn new(text: &'a [u8], at: usize) -> Self {
        Scan {
            text,
            at,
            column: None,
            done: false,
        }
    }

    /// The next item's bytes, and where the next one starts when this one
    /// was cut there unfinished; `None` after the array's end.
    fn next_item(&mut self) -> Option<(Range<usize>, Option<usize>)> {
        let text = self.text;
        if self.done {
            return None;
        }
        // The item's first byte.
        while self.at < text.len() && (text[self.at].is_ascii_whitespace() || text[self.at] == b',')
        {
            self.at += 1;
        }
        if self.at >= text.len() || text[self.at] == b']' {
            self.done = true;
            return None;
        }
        let start = self.at;
        let own_column = column_if_first(text, start);
        if self.column.is_none() {
            self.column = own_column;
        }
        // Opened brackets, innermost last: only an object's may end at a
        // line of its own ('[' inside a call never does).
        let mut open: Vec<u8> = Vec::new();
        let mut i = start;
        while i < text.len() {
            match text[i] {
                b'"' => {
                    i = string_end(text, i + 1).unwrap_or(text.len());
                    continue;
                }
                b'{' | b'[' => {
                    if i > start
                        && text[i] == b'{'
                        && open.last() == Some(&b'{')
                        && self.column.is_some()
                        && column_if_first(text, i) == self.column
                    {
                        self.at = i;
                        return Some((start..trim_end(text, start, i), Some(i)));
                    }
                    open.push(text[i]);
                }
                // Every closing bracket pops one (in the guard); with none
                // open, it is the array's own ']': the item ended before it.
                b'}' | b']' if open.pop().is_none() => {
                    self.at = i;
                    self.done = true;
                    return Some((start..trim_end(text, start, i), None));
                }
                b',' if open.is_empty() => {
                    self.at = i + 1;
                    return Some((start..trim_end(text, start, i), None));
                }
                _ => {}
            }
            i += 1;
        }
        self.at = text.len();
        self.done = true;
        Some((start..trim_end(text, start, text.len()), None))
    }
}

/// The 1-based column of the byte at `at` when it is the first non-blank
/// character of its line.
fn column_if_first(text: &[u8], at: usize) -> Option<usize> {
    let line_start = text[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    text[line_start..at]
        .iter()
        .all(|b| *b == b' ' || *b == b'\t')
        .then_some(at - line_start + 1)
}

/// The end of `text[start..end]` without trailing white space.
fn trim_end(text: &[u8], start: usize, end: usize) -> usize {
    let kept = text[start..end].trim_ascii_end().len();
    start + kept
}

/// Line and column of byte offsets met in increasing order.
struct Places<'a> {
    text: &'a [u8],
    /// The last offset asked for, its line, and where that line starts.
    at: usize,
    line: u64,
    line_start: usize,
}

impl<'a> Places<'a> {
    fn new(text: &'a [u8], first_line: u64) -> Self {
        Places {
            text,
            at: 0,
            line: first_line,
            line_start: 0,
        }
    }

    /// The 1-based line and column of `offset` (not before the last asked).
    fn at(&mut self, offset: usize) -> (u64, usize) {
        let offset = offset.max(self.at);
        for p in memchr::memchr_iter(b'\n', &self.text[self.at..offset]) {
            self.line += 1;
            self.line_start = self.at + p + 1;
        }
        self.at = offset;
        (self.line, offset - self.line_start + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each item's first line, and its `n` or why it is refused.
    fn reasons(text: &str) -> Vec<(usize, Result<String, String>)> {
        let split = split(text.as_bytes(), 1).unwrap();
        let line = |at: usize| text[..at].matches('\n').count() + 1;
        (split.items.into_iter())
            .map(|i| (line(i.text.start), i.parsed.map(|v| v["n"].to_string())))
            .collect()
    }

    #[test]
    fn a_call_left_open_costs_only_itself() {
        let text = "[\n  {\n    \"n\": 1\n  },\n  {\n    \"n\": 2,\n    \"p\": {\"a\": 1\n  },\n  {\n    \"n\": 3\n  }\n]\n";
        assert_eq!(
            reasons(text),
            vec![
                (2, Ok("1".into())),
                (
                    5,
                    Err("unfinished call at line 5: line 9 starts the next call before this one is closed (a missing '}' or ']'?)".into())
                ),
                (9, Ok("3".into())),
            ]
        );
    }

    #[test]
    fn a_syntax_error_is_placed_in_the_file_and_the_rest_go() {
        let text = "{\"context\": {\"ip\": \"1.2.3.4\"}, \"batch\": [\n{\"n\": 1},\n{\"n\": 2 \"x\": 1},\n{\"n\": 3}\n]}\n";
        assert_eq!(
            reasons(text),
            vec![
                (2, Ok("1".into())),
                (
                    3,
                    Err("invalid JSON at line 3 column 9: expected `,` or `}`".into())
                ),
                (4, Ok("3".into())),
            ]
        );
        let split = split(text.as_bytes(), 1).unwrap();
        assert_eq!(
            split.rest.unwrap().unwrap()["context"]["ip"],
            "1.2.3.4",
            "what the document says of all its calls"
        );
    }

    #[test]
    fn a_document_without_an_array_of_calls_is_not_split() {
        assert!(split(b"{\"type\": \"track\",", 1).is_none());
        assert!(split(b"\"text\"", 1).is_none());
    }
}
