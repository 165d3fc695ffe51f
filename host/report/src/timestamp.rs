//! Timestamps as the machine formats need them. The report carries RFC 3339 text; SARIF wants
//! UTC date-times, OCSF milliseconds since the epoch, OSCAL date-times with a time zone inside
//! a narrower pattern. Text that does not parse is never guessed at: callers fall back to a
//! run timestamp or leave the field out, and say so in their docs.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parse RFC 3339 text.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// Milliseconds since the Unix epoch.
pub fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// UTC, `YYYY-MM-DDTHH:MM:SS[.fff]Z` (milliseconds only when non-zero). Years outside
/// 0000-9999 give `None`.
pub fn utc(t: OffsetDateTime) -> Option<String> {
    let t = t.to_offset(time::UtcOffset::UTC);
    if !(0..=9999).contains(&t.year()) {
        return None;
    }
    let ms = t.millisecond();
    let frac = if ms == 0 {
        String::new()
    } else {
        format!(".{ms:03}")
    };
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

/// Parse RFC 3339 text and normalize it to [`utc`].
pub fn normalize(s: &str) -> Option<String> {
    parse(s).and_then(utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_to_utc_with_milliseconds_when_present() {
        assert_eq!(
            normalize("2026-11-02T01:30:00+01:30").as_deref(),
            Some("2026-11-02T00:00:00Z")
        );
        assert_eq!(
            normalize("2026-10-29T05:48:11.364Z").as_deref(),
            Some("2026-10-29T05:48:11.364Z")
        );
        assert_eq!(normalize("yesterday"), None);
        assert_eq!(millis(parse("1970-01-01T00:00:01.5Z").unwrap()), 1500);
    }
}
