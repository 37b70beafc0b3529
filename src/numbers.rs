//! Numbers too large for a float, found in JSON text.
//!
//! cio keeps every number as written (serde_json's `arbitrary_precision`:
//! `123456789012345678901234567890` and `0.10000000000000000001` go out with
//! every digit). The one number it refuses is an exponent beyond a float's
//! range (`1e400`), which the API could not read as a number: the replay of
//! NDJSON has always refused it, and this finds it for the paths that parse
//! their input whole (flags, `--file`, `cio listen`), where serde_json no
//! longer does.

/// A number in a JSON text that a float cannot hold, and where it ends
/// (1-based line and column of its last byte, as serde_json placed the error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfRange<'a> {
    pub token: &'a str,
    pub line: usize,
    pub column: usize,
}

impl OutOfRange<'_> {
    /// serde_json's own words for it, which cio said before numbers were kept as written.
    pub fn message(&self) -> String {
        format!(
            "number out of range at line {} column {}",
            self.line, self.column
        )
    }
}

/// Whether a JSON number token is beyond a float's range: only an exponent
/// takes it there (a long integer is kept as its digits).
pub fn too_large(token: &str) -> bool {
    token.contains(['e', 'E']) && token.parse::<f64>().is_ok_and(f64::is_infinite)
}

/// Where a JSON string whose opening quote is just before `i` ends (past its
/// closing quote); `None` when it does not end. Strings are most of a
/// payload: this jumps from quote or backslash to the next.
pub fn string_end(bytes: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let at = memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i + at] == b'\\' {
            i += at + 2;
        } else {
            return Some(i + at + 1);
        }
    }
}

/// The first number in `text` (JSON, well-formed or not) that a float cannot hold.
pub fn out_of_range(text: &str) -> Option<OutOfRange<'_>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        match b {
            // Skip strings: digits in them are not numbers.
            b'"' => i = string_end(bytes, i)?,
            b'-' | b'0'..=b'9' => {
                let start = i - 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                let token = &text[start..i];
                if too_large(token) {
                    let before = &bytes[..i];
                    let line = 1 + memchr::memchr_iter(b'\n', before).count();
                    let line_start = memchr::memrchr(b'\n', before).map_or(0, |n| n + 1);
                    return Some(OutOfRange {
                        token,
                        line,
                        column: i - line_start,
                    });
                }
            }
            // Letters of `true`, `e` in a key's word... only numbers start with these.
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Option<(&str, usize, usize)> {
        out_of_range(text).map(|o| (o.token, o.line, o.column))
    }

    #[test]
    fn finds_an_exponent_beyond_a_float_where_serde_json_placed_it() {
        // Lines and columns are serde_json's (without arbitrary_precision) for the same texts.
        assert_eq!(found("1e400"), Some(("1e400", 1, 5)));
        assert_eq!(found(r#"{"a": 1e400}"#), Some(("1e400", 1, 11)));
        assert_eq!(
            found("{\"a\":\n  [1, -2.5E+400]}"),
            Some(("-2.5E+400", 2, 15))
        );
        assert_eq!(found("[1e400,2]"), Some(("1e400", 1, 6)));
        assert_eq!(
            out_of_range("[1e400]").unwrap().message(),
            "number out of range at line 1 column 6"
        );
    }

    #[test]
    fn leaves_numbers_a_float_holds_or_that_are_kept_as_digits() {
        assert_eq!(found("1.5e308"), None);
        // Underflow is a float (0), as serde_json read it.
        assert_eq!(found("0.1e-400"), None);
        assert_eq!(found(&format!("[1{}]", "0".repeat(400))), None);
        assert_eq!(
            found(r#"{"k":"1e400","e\"1e400":0.10000000000000000001}"#),
            None
        );
    }
}
