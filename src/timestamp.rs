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

/// The earliest time cio takes without `--allow-old-timestamps`: earlier
/// values are nearly always a misread (a date read as seconds, a zero).
const EARLIEST: &str = "2000-01-01T00:00:00.000Z";
/// Epochs from here up are milliseconds: as seconds they would be past the
/// year 5000, as milliseconds they are after 1973.
const MILLIS_FROM: f64 = 1e11;

/// A `timestamp` as found in a call (a string or a number) in the API form.
/// `now` is `now()`'s text; `any_time` lets through times outside the
/// plausible window (2000-01-01 up to a day from now).
pub fn from_json(value: &serde_json::Value, now: &str, any_time: bool) -> Result<String, String> {
    use serde_json::Value;
    match value {
        Value::String(s) => from_text(s, now, any_time),
        Value::Number(n) => {
            let shown = || n.to_string();
            let t = match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => from_epoch(i as f64, Some(i128::from(i))),
                (None, Some(f)) => from_epoch(f, None),
                _ => None,
            }
            .ok_or_else(|| format!("timestamp {} is out of range", shown()))?;
            in_window(format(t), &shown, now, any_time)
        }
        _ => {
            Err("'timestamp' must be RFC 3339 text or a Unix time (seconds or milliseconds)".into())
        }
    }
}

/// A time given as text: RFC 3339 with any offset, or a Unix time as digits
/// (seconds or milliseconds, told apart by magnitude), in the API form.
pub fn from_text(text: &str, now: &str, any_time: bool) -> Result<String, String> {
    // Only errors show the text: quoting it for every call would cost an allocation each.
    let shown = || serde_json::Value::String(text.to_string()).to_string();
    let t = if is_api_form(text) {
        text.to_string()
    } else if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        format(t)
    } else {
        match parse_unix_text(text) {
            Some(Some(t)) => format(t),
            Some(None) => return Err(format!("timestamp {} is out of range", shown())),
            None => {
                return Err(format!(
                    "timestamp {} is neither RFC 3339 (2026-11-28T15:01:30Z) nor a Unix time",
                    shown()
                ))
            }
        }
    };
    in_window(t, &shown, now, any_time)
}

/// Whether `from_text` would give `text` back unchanged: already in the API
/// form and inside the window (not later than `now`). Most replayed lines are,
/// and this answers without allocating.
pub fn is_sendable_as_is(text: &str, now: &str, any_time: bool) -> bool {
    is_api_form(text) && (any_time || (EARLIEST..=now).contains(&text))
}

/// Refuses a time before 2000 or more than a day after `now`, unless `any_time`.
fn in_window(
    t: String,
    shown: &dyn Fn() -> String,
    now: &str,
    any_time: bool,
) -> Result<String, String> {
    if any_time {
        return Ok(t);
    }
    let date = &t[..t.len().min(10)];
    // Both are in the API form, so text order is time order.
    if t.as_str() < EARLIEST {
        return Err(format!(
            "timestamp {} reads as {date}; if that is meant, pass --allow-old-timestamps",
            shown()
        ));
    }
    if t.as_str() > now {
        let latest = OffsetDateTime::parse(now, &Rfc3339)
            .map(|n| format(n + time::Duration::DAY))
            .unwrap_or_default();
        if t > latest {
            return Err(format!(
                "timestamp {} reads as {date}, more than a day ahead; if that is meant, pass --allow-old-timestamps",
                shown()
            ));
        }
    }
    Ok(t)
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
    // The shape is right; a plainly valid date and time needs no parser, and
    // anything else (February 30th, a leap second) is left to it.
    shaped && (plainly_valid(b) || OffsetDateTime::parse(text, &Rfc3339).is_ok())
}

/// Whether the digits of an API-form time name a real date and a time before
/// second 60: every such time the parser takes, without parsing.
fn plainly_valid(b: &[u8]) -> bool {
    let n = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (n(0..4), n(5..7), n(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    (1..=days).contains(&day) && n(11..13) < 24 && n(14..16) < 60 && n(17..19) < 60
}

/// Digits, perhaps with a fraction: `Some` of the time (`None` when out of
/// range); `None` when the text is not a number.
fn parse_unix_text(text: &str) -> Option<Option<OffsetDateTime>> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !(frac.is_empty() || digits(frac)) {
        return None;
    }
    if int.len() > 18 {
        return Some(None);
    }
    let whole: i128 = int.parse().ok()?;
    let value: f64 = text.parse().ok()?;
    Some(from_epoch(value, frac.is_empty().then_some(whole)))
}

/// A Unix time in seconds or milliseconds, told apart by magnitude; `exact`
/// is the value when it is a whole number (kept exact, as floats are not).
fn from_epoch(value: f64, exact: Option<i128>) -> Option<OffsetDateTime> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let nanos = match exact {
        Some(whole) if value >= MILLIS_FROM => whole.checked_mul(1_000_000)?,
        Some(whole) => whole.checked_mul(1_000_000_000)?,
        // Fractions are kept to the millisecond, all the API form holds.
        None if value >= MILLIS_FROM => value.round() as i128 * 1_000_000,
        None => (value * 1e3).round() as i128 * 1_000_000,
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
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

    const NOW: &str = "2026-11-28T15:01:30.212Z";

    fn text(t: &str) -> Result<String, String> {
        from_text(t, NOW, false)
    }

    #[test]
    fn reads_rfc3339_any_offset_and_unix_seconds_or_millis() {
        let ok = |t: &str| text(t).unwrap();
        assert_eq!(ok("2015-12-12T19:11:01.249Z"), "2015-12-12T19:11:01.249Z");
        assert_eq!(ok("2015-12-12T20:11:01+01:00"), "2015-12-12T19:11:01.000Z");
        assert_eq!(
            ok("2015-12-12T14:11:01.5-05:00"),
            "2015-12-12T19:11:01.500Z"
        );
        assert_eq!(ok("1683250025"), "2023-05-05T01:27:05.000Z");
        assert_eq!(ok("1683250025.25"), "2023-05-05T01:27:05.250Z");
        assert_eq!(ok("1683250025123"), "2023-05-05T01:27:05.123Z");
        let json = |v: serde_json::Value| from_json(&v, NOW, false);
        assert_eq!(
            json(serde_json::json!(1683250025)).unwrap(),
            "2023-05-05T01:27:05.000Z"
        );
        assert_eq!(
            json(serde_json::json!(1683250025123u64)).unwrap(),
            "2023-05-05T01:27:05.123Z"
        );
        assert_eq!(
            json(serde_json::json!(1683250025.5)).unwrap(),
            "2023-05-05T01:27:05.500Z"
        );
        assert!(json(serde_json::json!(true))
            .unwrap_err()
            .contains("must be RFC 3339"));
    }

    #[test]
    fn sendable_as_is_only_when_from_text_gives_it_back() {
        for t in [
            "2015-12-12T19:11:01.249Z",
            "1999-12-31T23:59:59.999Z",
            "2000-01-01T00:00:00.000Z",
            NOW,
            "2026-11-28T15:01:30.213Z",
            "2023-02-29T00:00:00.000Z",
            "2015-12-12T19:11:01Z",
            "1683250025",
        ] {
            for any_time in [false, true] {
                if is_sendable_as_is(t, NOW, any_time) {
                    assert_eq!(from_text(t, NOW, any_time).as_deref(), Ok(t));
                }
            }
        }
        assert!(is_sendable_as_is("2015-12-12T19:11:01.249Z", NOW, false));
        assert!(!is_sendable_as_is("1999-12-31T23:59:59.999Z", NOW, false));
        assert!(is_sendable_as_is("1999-12-31T23:59:59.999Z", NOW, true));
    }

    #[test]
    fn misreadable_times_are_refused_with_what_they_read_as() {
        assert_eq!(
            text("20230512").unwrap_err(),
            r#"timestamp "20230512" reads as 1970-08-23; if that is meant, pass --allow-old-timestamps"#
        );
        assert_eq!(
            from_json(&serde_json::json!(0), NOW, false).unwrap_err(),
            "timestamp 0 reads as 1970-01-01; if that is meant, pass --allow-old-timestamps"
        );
        assert_eq!(
            text("1999-12-31T23:59:59Z").unwrap_err(),
            r#"timestamp "1999-12-31T23:59:59Z" reads as 1999-12-31; if that is meant, pass --allow-old-timestamps"#
        );
        assert!(
            text("2026-11-29T15:01:30.212Z").is_ok(),
            "a day ahead is fine"
        );
        assert!(text("2026-11-29T15:01:30.213Z")
            .unwrap_err()
            .contains("reads as 2026-11-29, more than a day ahead"));
        // Microseconds read as milliseconds land past the year 9999: refused, not misread.
        assert!(text("1683250025123456")
            .unwrap_err()
            .contains("out of range"));
        assert!(text("4102444800000")
            .unwrap_err()
            .contains("reads as 2100-01-01, more than a day ahead"));
        assert_eq!(
            from_text("0", NOW, true).unwrap(),
            "1970-01-01T00:00:00.000Z"
        );
        for bad in ["", "yesterday", "2015-12-12", "-5", "1.2.3"] {
            assert!(text(bad).unwrap_err().contains("neither RFC 3339"), "{bad}");
        }
        assert!(text("99999999999999999999")
            .unwrap_err()
            .contains("out of range"));
    }

    #[test]
    fn the_quick_check_agrees_with_the_parser() {
        let years = ["0000", "1900", "2000", "2023", "2024", "2100", "9999"];
        for year in years {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for time in ["00:00:00", "23:59:59", "23:59:60", "24:00:00", "12:60:00"] {
                        let text = format!("{year}-{month:02}-{day:02}T{time}.123Z");
                        assert_eq!(
                            is_api_form(&text),
                            OffsetDateTime::parse(&text, &Rfc3339).is_ok(),
                            "{text}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn now_has_millisecond_precision_and_z() {
        let t = now();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z'));
    }
}
