//! The write key: a type that cannot be printed by accident.
//!
//! It has no `Display`, its `Debug` is redacted, and `expose()` marks the few
//! places (the Authorization header, the config file) that need the raw value.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct WriteKey(String);

impl WriteKey {
    /// Trims surrounding whitespace (a key pasted with a newline is still the key).
    /// Returns `None` for an empty key.
    pub fn new(raw: &str) -> Option<Self> {
        let key = raw.trim();
        (!key.is_empty()).then(|| WriteKey(key.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A form safe to show: the last four characters of a long key, nothing of a short one.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() >= 16 {
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("****{tail}")
        } else {
            "****".to_string()
        }
    }

    /// Removes every occurrence of the key (and of its Basic-auth encoding) from text
    /// that came from outside, such as a server's error message: wherever it
    /// stands as a token of its own (in a header, a URL, a JSON string, a word),
    /// but not inside a longer word, so that a short key such as `test` does
    /// not garble "checktest" or "latest".
    pub fn redact(&self, text: &str) -> String {
        let basic = basic_auth_token(self);
        // A key as long as a real one is the key wherever it stands, inside
        // a longer word too: only a short one could be a word's part.
        if self.0.chars().count() >= LONG_KEY_CHARS {
            return text
                .replace(&self.0, "REDACTED")
                .replace(&basic, "REDACTED");
        }
        let text = replace_tokens(text, &self.0, "REDACTED");
        replace_tokens(&text, &basic, "REDACTED")
    }
}

/// From this length on a key is redacted wherever it appears (real
/// write keys are long random strings; a short one is a test key).
const LONG_KEY_CHARS: usize = 16;

/// Letters, digits, `_` and `-`: what keys and ordinary words are made of. A
/// match with one of them on either side is part of a longer word.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// `text` with each occurrence of `token` that is not part of a longer word replaced by `with`.
fn replace_tokens(text: &str, token: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(token) {
        let before = text[..at].chars().next_back();
        let after = text[at + token.len()..].chars().next();
        if before.is_some_and(is_word_char) || after.is_some_and(is_word_char) {
            continue;
        }
        out.push_str(&text[copied..at]);
        out.push_str(with);
        copied = at + token.len();
    }
    out.push_str(&text[copied..]);
    out
}

impl fmt::Debug for WriteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteKey(REDACTED)")
    }
}

/// `base64("KEY:")`, the credentials part of the Basic Authorization header.
pub fn basic_auth_token(key: &WriteKey) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{}:", key.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_mask_hide_the_key() {
        let key = WriteKey::new(" wk_live_abcdefghijkl1234\n").unwrap();
        assert_eq!(key.expose(), "wk_live_abcdefghijkl1234");
        assert_eq!(format!("{key:?}"), "WriteKey(REDACTED)");
        assert_eq!(key.masked(), "****1234");
        assert_eq!(WriteKey::new("short").unwrap().masked(), "****");
        assert!(WriteKey::new("  ").is_none());
    }

    #[test]
    fn redact_removes_raw_and_encoded_key() {
        let key = WriteKey::new("secret-key").unwrap();
        let token = basic_auth_token(&key);
        assert_eq!(token, "c2VjcmV0LWtleTo=");
        let text = format!("bad key secret-key (Basic {token})");
        assert_eq!(key.redact(&text), "bad key REDACTED (Basic REDACTED)");
    }

    #[test]
    fn a_short_key_is_redacted_as_a_token_only() {
        let key = WriteKey::new("test").unwrap();
        let token = basic_auth_token(&key);
        let text = format!(
            "checktest HTTPS_PROXY latest test_data; test, \"test\" ?writeKey=test&a=1 Basic {token}"
        );
        assert_eq!(
            key.redact(&text),
            "checktest HTTPS_PROXY latest test_data; REDACTED, \"REDACTED\" ?writeKey=REDACTED&a=1 Basic REDACTED"
        );
        assert_eq!(key.redact("testtest test"), "testtest REDACTED");
        let long = WriteKey::new("wk_0123456789abcdef").unwrap();
        assert_eq!(
            long.redact("key xwk_0123456789abcdefx"),
            "key xREDACTEDx",
            "a real key is redacted inside a word too"
        );
    }
}
