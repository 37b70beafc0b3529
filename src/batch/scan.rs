//! A strict JSON scanner for the quick path: it finds a line's top-level
//! members (keys borrowed, values as raw text) and checks the whole line is
//! well-formed, in one pass. It is sure or it says no: keys with escapes,
//! numbers with an exponent or over 20 characters, and nesting deeper than 64
//! are left to the full path (serde_json), which has the words for errors.

use std::ops::Range;

/// One top-level member as the line has it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Member<'a> {
    /// Without its quotes (it has no escapes).
    pub key: &'a str,
    /// The value's raw text.
    pub value: &'a str,
    /// Whether any string in the value has an escape (`\n`, `\"`, ...).
    pub escaped: bool,
    /// Where its key's opening quote is in the line.
    start: usize,
    /// Where its value ends.
    end: usize,
}

impl Member<'_> {
    /// Where `"key":value` is in the line.
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Whether the line has it as `"key":value`, nothing between: then its
    /// bytes are exactly what writing the key and the value would give.
    pub fn is_tight(&self) -> bool {
        self.end - self.start == self.key.len() + 3 + self.value.len()
    }
}

/// Bytes of a JSON text; `None` from any method means "not sure it is valid".
/// Each member goes to `member` as it is found, which may say no.
pub fn members<'a>(text: &'a str, mut member: impl FnMut(Member<'a>) -> Option<()>) -> Option<()> {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let key_start = i;
            let (end, escaped) = string(b, i)?;
            if escaped {
                return None;
            }
            let key = &text[i + 1..end - 1];
            i = ws(b, end);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = ws(b, i + 1);
            let start = i;
            let mut escaped = false;
            i = value(b, i, 1, &mut escaped)?;
            member(Member {
                key,
                value: &text[start..i],
                escaped,
                start: key_start,
                end: i,
            })?;
            i = ws(b, i);
            match b.get(i) {
                Some(b',') => i = ws(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (ws(b, i) == b.len()).then_some(())
}

const MAX_DEPTH: usize = 64;

/// The first byte at or after `i` that is not whitespace (or the end).
#[inline(always)]
fn ws(b: &[u8], i: usize) -> usize {
    // Lines from exports seldom have any: one look at a byte above the space.
    if b.get(i).is_some_and(|&c| c > b' ') {
        return i;
    }
    spaces(b, i)
}

fn spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end of the value at `i`, after checking it; `escaped` is set when
/// any string in it (keys too) has an escape.
fn value(b: &[u8], i: usize, depth: usize, escaped: &mut bool) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_noting(b, i, escaped),
        b'{' | b'[' if depth >= MAX_DEPTH => None,
        b'{' => {
            let mut i = ws(b, i + 1);
            if b.get(i) == Some(&b'}') {
                return Some(i + 1);
            }
            loop {
                i = ws(b, string_noting(b, i, escaped)?);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                let at = ws(b, i + 1);
                // Most values are strings: no call through `value` for them.
                let end = if b.get(at) == Some(&b'"') {
                    string_noting(b, at, escaped)?
                } else {
                    value(b, at, depth + 1, escaped)?
                };
                i = ws(b, end);
                match b.get(i)? {
                    b',' => i = ws(b, i + 1),
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'[' => {
            let mut i = ws(b, i + 1);
            if b.get(i) == Some(&b']') {
                return Some(i + 1);
            }
            loop {
                i = ws(b, value(b, i, depth + 1, escaped)?);
                match b.get(i)? {
                    b',' => i = ws(b, i + 1),
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b't' => b[i..].starts_with(b"true").then_some(i + 4),
        b'f' => b[i..].starts_with(b"false").then_some(i + 5),
        b'n' => b[i..].starts_with(b"null").then_some(i + 4),
        b'-' | b'0'..=b'9' => number(b, i),
        _ => None,
    }
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

fn number(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + usize::from(b[start] == b'-');
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    // Exponents (which may overflow) and long numbers: serde_json's call.
    (!matches!(b.get(i), Some(b'e' | b'E')) && i - start <= 20).then_some(i)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of 8 that are a quote, a backslash or a control character,
/// as their high bits. Borrows can only mark bytes above a marked one, so
/// the lowest mark is exact.
fn special(w: u64) -> u64 {
    // Flipping bit 1 turns a quote (0x22) into 0x20 and leaves control
    // characters below 0x20, so one test of "below 0x21" finds both.
    let v = w ^ (ONES * 0x02);
    let quote_or_control = v.wrapping_sub(ONES * 0x21) & !v;
    let b = w ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (quote_or_control | backslash) & HIGHS
}

/// The end of the string opening at `i` (after its closing quote), and
/// whether it has escapes.
#[inline(always)]
fn string(b: &[u8], i: usize) -> Option<(usize, bool)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        j = to_special(b, j);
        match *b.get(j)? {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                escaped = true;
                j += match *b.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' if b.get(j + 2..j + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                    _ => return None,
                };
            }
            _ => return None,
        }
    }
}

/// The end of the string opening at `i`; `escaped` is set when it has escapes.
#[inline(always)]
fn string_noting(b: &[u8], i: usize, escaped: &mut bool) -> Option<usize> {
    let (end, escapes) = string(b, i)?;
    *escaped |= escapes;
    Some(end)
}

/// The first quote, backslash or control character at or after `j` (or the end).
#[inline(always)]
fn to_special(b: &[u8], mut j: usize) -> usize {
    // Sixteen bytes a step: one step for most strings of a common call.
    while let Some(chunk) = b.get(j..j + 16) {
        let (low, high) = chunk.split_at(8);
        let (low, high) = (special(word(low)), special(word(high)));
        if low != 0 {
            return j + (low.trailing_zeros() / 8) as usize;
        }
        if high != 0 {
            return j + 8 + (high.trailing_zeros() / 8) as usize;
        }
        j += 16;
    }
    if let Some(chunk) = b.get(j..j + 8) {
        let marks = special(word(chunk));
        if marks != 0 {
            return j + (marks.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while b
        .get(j)
        .is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20)
    {
        j += 1;
    }
    j
}

/// Eight bytes as a little-endian word (`bytes` is eight long).
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().unwrap_or_default())
}
