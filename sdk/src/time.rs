//! Timestamps as cloud exports write them, for age-based checks.
//!
//! One lenient reader for what AWS, Azure and Google Cloud exports write: ISO-8601 / RFC 3339
//! dates and date-times with any number of fractional digits (`.` or `,`), a `T`, `t` or space
//! separator, and `Z`, `±hh:mm`, `±hhmm`, `±hh` or no zone; also epoch seconds or milliseconds,
//! which some re-exports write. Every age is measured against the scan request's pinned `now`,
//! never the wall clock, so results are reproducible.

/// Seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

/// Seconds in a day.
pub const DAY: i64 = 86_400;

impl Timestamp {
    /// Parse an ISO-8601 date or date-time, or epoch seconds/milliseconds. `None` when the text
    /// is not a time (e.g. `N/A`, `no_information`).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let s = text.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() >= 9 {
            let n: i64 = s.parse().ok()?;
            // Milliseconds from 2001-09-09 onwards have 13 digits; seconds have at most 10.
            return Some(Timestamp(if s.len() > 11 { n / 1000 } else { n }));
        }
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let mut secs = days_from_civil(year, month, day) * DAY;
        let rest = &b[10..];
        if rest.is_empty() {
            return Some(Timestamp(secs));
        }
        if !(rest[0] == b'T' || rest[0] == b't' || rest[0] == b' ') || rest.len() < 6 {
            return None;
        }
        let hour = digits(&rest[1..3])?;
        if rest[3] != b':' {
            return None;
        }
        let minute = digits(&rest[4..6])?;
        let mut i = 6;
        let mut second = 0;
        if rest.len() >= 9 && rest[6] == b':' {
            second = digits(&rest[7..9])?;
            i = 9;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs += hour * 3600 + minute * 60 + second;
        // Fractional seconds are irrelevant at the granularity of these checks.
        if i < rest.len() && (rest[i] == b'.' || rest[i] == b',') {
            i += 1;
            while i < rest.len() && rest[i].is_ascii_digit() {
                i += 1;
            }
        }
        let zone = &rest[i..];
        let offset = match zone {
            [] | [b'Z'] | [b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
                let minutes = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
                if *sign == b'+' {
                    minutes * 60
                } else {
                    -minutes * 60
                }
            }
            [sign @ (b'+' | b'-'), h1, h2] => {
                let minutes = digits(&[*h1, *h2])? * 60;
                if *sign == b'+' {
                    minutes * 60
                } else {
                    -minutes * 60
                }
            }
            _ => return None,
        };
        Some(Timestamp(secs - offset))
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0).div_euclid(DAY)
    }

    /// Whether `self` lies more than `days` days before `now`.
    pub fn older_than(self, days: i64, now: Timestamp) -> bool {
        self.0 < now.0 - days * DAY
    }

    /// The date part, `YYYY-MM-DD`.
    pub fn date(self) -> String {
        let (y, m, d) = civil_from_days(self.0.div_euclid(DAY));
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// A calendar date, for tables of end-of-life dates.
    pub const fn ymd(y: i64, m: i64, d: i64) -> Timestamp {
        Timestamp(days_from_civil(y, m, d) * DAY)
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut n = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some(n)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

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
