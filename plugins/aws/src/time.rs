//! Timestamps as AWS exports write them, for the age-based checks.
//!
//! AWS Config and the IAM credential report use ISO-8601 / RFC 3339 (`2024-03-01T10:00:00Z`,
//! `2024-03-01T10:00:00.000Z`, `2024-03-01T10:00:00+00:00`); some re-exports write epoch seconds
//! or milliseconds. Every age is measured against the scan request's pinned `now`, never the
//! wall clock, so results are reproducible.
//!
//! The reader itself is the SDK's, shared by every plugin.

pub use demarc_sdk::time::Timestamp;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_exports_use() {
        let base = Timestamp::parse("2024-03-01T10:00:00Z").unwrap();
        assert_eq!(base.0, 1_709_287_200);
        assert_eq!(Timestamp::parse("2024-03-01T10:00:00.000Z"), Some(base));
        assert_eq!(Timestamp::parse("2024-03-01T10:00:00+00:00"), Some(base));
        assert_eq!(Timestamp::parse("2024-03-01T11:00:00+01:00"), Some(base));
        assert_eq!(Timestamp::parse("2024-03-01T05:00:00-0500"), Some(base));
        assert_eq!(Timestamp::parse("2024-03-01 10:00:00"), Some(base));
        assert_eq!(Timestamp::parse("1709287200"), Some(base));
        assert_eq!(Timestamp::parse("1709287200000"), Some(base));
        assert_eq!(Timestamp::parse("2024-03-01").unwrap().0, 1_709_251_200);
        assert_eq!(Timestamp::parse("1970-01-01T00:00Z").unwrap().0, 0);
    }

    #[test]
    fn rejects_non_times() {
        for s in [
            "N/A",
            "no_information",
            "not_supported",
            "",
            "2024-13-01",
            "2024-03-01T25:00:00Z",
            "2024-03-01Tjunk",
        ] {
            assert_eq!(Timestamp::parse(s), None, "{s}");
        }
    }

    #[test]
    fn ages_and_dates() {
        let now = Timestamp::parse("2025-06-30T00:00:00Z").unwrap();
        let then = Timestamp::parse("2025-03-01T00:00:00Z").unwrap();
        assert_eq!(then.days_until(now), 121);
        assert!(then.older_than(90, now));
        assert!(!then.older_than(121, now));
        assert_eq!(then.date(), "2025-03-01");
        assert_eq!(Timestamp(-1).date(), "1969-12-31");
    }
}
