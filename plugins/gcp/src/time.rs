//! Times and durations as Google Cloud exports write them, for the age-based checks.
//!
//! Google APIs write RFC 3339 timestamps with any number of fractional digits and either `Z`
//! or an offset (Compute Engine: `2024-03-01T10:00:00.000-08:00`; Cloud Asset Inventory:
//! `2026-10-30T07:12:40.551234Z`); the Workspace directory writes `…T…Z` too, and
//! `1970-01-01T00:00:00.000Z` for "never". Durations are protobuf `Duration` strings
//! (`"7776000s"`, `"7776000.5s"`). Every age is measured against the scan request's pinned
//! `now`, never the wall clock.
//!
//! The reader itself is the SDK's, shared by every plugin.

pub use demarc_sdk::time::{DAY, Timestamp};

/// Parse a protobuf `Duration` string (`"7776000s"`, `"86400.5s"`) into whole seconds. A bare
/// number is accepted as seconds. `None` for anything else.
pub fn parse_duration(text: &str) -> Option<i64> {
    let s = text.trim();
    let s = s.strip_suffix('s').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let seconds: f64 = s.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then_some(seconds as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_google_apis_use() {
        let base = Timestamp::parse("2024-03-01T10:00:00Z").unwrap();
        assert_eq!(base.0, 1_709_287_200);
        assert_eq!(Timestamp::parse("2024-03-01T10:00:00.551234Z"), Some(base));
        assert_eq!(
            Timestamp::parse("2024-03-01T02:00:00.000-08:00"),
            Some(base)
        );
        assert_eq!(Timestamp::parse("2024-03-01T11:00:00+0100"), Some(base));
        assert_eq!(Timestamp::parse("2024-03-01").unwrap().0, 1_709_251_200);
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00.000Z").unwrap().0, 0);
    }

    #[test]
    fn rejects_non_times() {
        for s in [
            "",
            "never",
            "2024-13-01",
            "2024-03-01T25:00:00Z",
            "2024-03-01Tjunk",
            "2024-03-01T10:00:00 PST",
        ] {
            assert_eq!(Timestamp::parse(s), None, "{s}");
        }
    }

    #[test]
    fn ages_and_dates() {
        let now = Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
        let then = Timestamp::parse("2026-08-02T00:00:00Z").unwrap();
        assert_eq!(then.days_until(now), 91);
        assert!(then.older_than(90, now));
        assert!(!then.older_than(91, now));
        assert_eq!(then.date(), "2026-08-02");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7776000s"), Some(7_776_000));
        assert_eq!(parse_duration("86400.5s"), Some(86_400));
        assert_eq!(parse_duration("3600"), Some(3600));
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("-5s"), None);
        assert_eq!(parse_duration("90d"), None);
    }
}
