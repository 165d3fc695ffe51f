//! Times and durations as Google Cloud exports write them, for the age-based checks.
//!
//! Google APIs write RFC 3339 timestamps with any number of fractional digits and either `Z`
//! or an offset (Compute Engine: `2024-03-01T10:00:00.000-08:00`; Cloud Asset Inventory:
//! `2026-10-30T07:12:40.551234Z`); the Workspace directory writes `…T…Z` too, and
//! `1970-01-01T00:00:00.000Z` for "never". Durations are protobuf `Duration` strings
//! (`"7776000s"`, `"7776000.5s"`). Every age is measured against the scan request's pinned
//! `now`, never the wall clock.

/// Seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

/// Seconds in a day.
pub const DAY: i64 = 86_400;

impl Timestamp {
    /// Parse an RFC 3339 date-time or a bare `YYYY-MM-DD` date; `None` for anything else.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.trim().as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let mut secs = days_from_civil(year, month, day) * DAY;
        let rest = &b[10..];
        if rest.is_empty() {
            return Some(Timestamp(secs));
        }
        if !matches!(rest[0], b'T' | b't' | b' ') || rest.len() < 6 || rest[3] != b':' {
            return None;
        }
        let (hour, minute) = (digits(&rest[1..3])?, digits(&rest[4..6])?);
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
        if i < rest.len() && rest[i] == b'.' {
            i += 1;
            while i < rest.len() && rest[i].is_ascii_digit() {
                i += 1;
            }
        }
        let offset = match &rest[i..] {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
                let minutes = digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?;
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

    /// Whole days from `self` to `later`.
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
}

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

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
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
    (yoe + era * 400 + i64::from(m <= 2), m, d)
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
