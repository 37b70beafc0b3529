//! Timestamps as the API wants them: RFC 3339, UTC, milliseconds, `Z`.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The current time, formatted for the API.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

pub fn format(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// Parses RFC 3339 (any offset) or Unix seconds (`1683250025`, `1683250025.5`)
/// and returns the API form. `None` when the text is neither.
pub fn normalize(text: &str) -> Option<String> {
    if is_api_form(text) {
        return Some(text.to_string());
    }
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(format(t));
    }
    parse_unix_seconds(text).map(format)
}

/// Already `YYYY-MM-DDTHH:MM:SS.mmmZ` with a valid date and time: most replayed
/// lines are, and checking is far cheaper than parsing and formatting again.
fn is_api_form(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z';
    // The shape is right; whether the date exists (no February 30th) is left to the parser.
    shaped && OffsetDateTime::parse(text, &Rfc3339).is_ok()
}

fn parse_unix_seconds(text: &str) -> Option<OffsetDateTime> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !(frac.is_empty() || digits(frac)) || int.len() > 12 {
        return None;
    }
    let secs: i128 = int.parse().ok()?;
    // Up to nanosecond precision; further digits are ignored.
    let frac9: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos: i128 = frac9.parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(secs * 1_000_000_000 + nanos).ok()
}

/// `1683250025000` → `1683250025` (and `1683250025123` → `1683250025.123`):
/// JavaScript and Java hand out milliseconds, which cio would read as a date
/// 50,000 years away. Only for 13 digits, the milliseconds of 2001 to 2286.
pub fn seconds_from_millis(text: &str) -> Option<String> {
    if text.len() != 13 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (secs, millis) = text.split_at(10);
    Some(if millis == "000" {
        secs.to_string()
    } else {
        format!("{secs}.{millis}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_rfc3339_and_unix_seconds() {
        assert_eq!(
            normalize("2015-12-12T19:11:01.249Z").as_deref(),
            Some("2015-12-12T19:11:01.249Z")
        );
        assert_eq!(
            normalize("2015-12-12T20:11:01+01:00").as_deref(),
            Some("2015-12-12T19:11:01.000Z")
        );
        assert_eq!(
            normalize("1683250025").as_deref(),
            Some("2023-05-05T01:27:05.000Z")
        );
        assert_eq!(
            normalize("1683250025.25").as_deref(),
            Some("2023-05-05T01:27:05.250Z")
        );
        for bad in [
            "",
            "yesterday",
            "2015-12-12",
            "-5",
            "1.2.3",
            "99999999999999",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn now_has_millisecond_precision_and_z() {
        let t = now();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z'));
    }
}
