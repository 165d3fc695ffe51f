//! Timestamps as Azure exports write them, for the age-based checks.
//!
//! ARM and Resource Graph write ISO-8601 / RFC 3339 times with up to seven fractional digits
//! and an offset (`2024-03-01T10:00:00.1234567+00:00`, `2024-03-01T10:00:00Z`); some re-exports
//! drop the `T` or the zone. Every age is measured against the scan request's pinned `now`,
//! never the wall clock, so results are reproducible.
//!
//! The reader itself is the SDK's, shared by every plugin.

pub use demarc_sdk::time::Timestamp;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_azure_uses() {
        let base = Timestamp::parse("2024-03-01T10:00:00Z").unwrap();
        assert_eq!(base.0, 1_709_287_200);
        for s in [
            "2024-03-01T10:00:00.1234567+00:00",
            "2024-03-01T10:00:00.000Z",
            "2024-03-01T11:00:00+01:00",
            "2024-03-01T05:00:00-0500",
            "2024-03-01 10:00:00",
            "2024-03-01T10:00Z",
        ] {
            assert_eq!(Timestamp::parse(s), Some(base), "{s}");
        }
        assert_eq!(Timestamp::parse("2024-03-01").unwrap().0, 1_709_251_200);
        assert_eq!(Timestamp::ymd(2024, 3, 1).0, 1_709_251_200);
    }

    #[test]
    fn rejects_non_times() {
        for s in [
            "",
            "N/A",
            "2024-13-01",
            "2024-03-01T25:00:00Z",
            "2024-03-01Tjunk",
        ] {
            assert_eq!(Timestamp::parse(s), None, "{s}");
        }
    }

    #[test]
    fn ages_and_dates() {
        let now = Timestamp::parse("2026-11-01T00:00:00Z").unwrap();
        let then = Timestamp::parse("2026-07-04T00:00:00Z").unwrap();
        assert_eq!(then.days_until(now), 120);
        assert!(then.older_than(90, now));
        assert!(!then.older_than(120, now));
        assert_eq!(then.date(), "2026-07-04");
    }
}
