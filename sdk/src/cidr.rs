//! Address sets, judged as a whole: several CIDR blocks (or address ranges) that together cover
//! the whole IPv4 or IPv6 address space are as open as `0.0.0.0/0` or `::/0`.
//!
//! A firewall rule with sources `0.0.0.0/1` and `128.0.0.0/1`, or a database whose authorised
//! networks are `0.0.0.0/2`, `64.0.0.0/2`, `128.0.0.0/1`, admits everyone; judging each block on
//! its own would call it restricted.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 block or range as inclusive bounds.
pub type V4Range = (u32, u32);

/// An IPv6 block or range as inclusive bounds.
pub type V6Range = (u128, u128);

/// A parsed block: IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// IPv4 bounds.
    V4(V4Range),
    /// IPv6 bounds.
    V6(V6Range),
}

/// Parse `a.b.c.d/n`, `a.b.c.d` (one address), `x::y/n` or `x::y`. Host bits are ignored
/// (`10.0.0.1/8` is `10.0.0.0/8`), as the clouds normalise them. `None` for anything else.
pub fn parse(text: &str) -> Option<Block> {
    let text = text.trim();
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a.trim(), Some(l.trim().parse::<u32>().ok()?)),
        None => (text, None),
    };
    if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        let len = len.unwrap_or(32);
        if len > 32 {
            return None;
        }
        let host = if len == 32 { 0 } else { u32::MAX >> len };
        let start = u32::from(v4) & !host;
        return Some(Block::V4((start, start | host)));
    }
    if let Ok(v6) = addr.parse::<Ipv6Addr>() {
        let len = len.unwrap_or(128);
        if len > 128 {
            return None;
        }
        let host = if len == 128 { 0 } else { u128::MAX >> len };
        let start = u128::from(v6) & !host;
        return Some(Block::V6((start, start | host)));
    }
    None
}

/// Parse an IPv4 address as a number.
pub fn v4(text: &str) -> Option<u32> {
    text.trim().parse::<Ipv4Addr>().ok().map(u32::from)
}

/// Whether the inclusive IPv4 ranges together cover every address.
pub fn covers_all_v4(ranges: &[V4Range]) -> bool {
    covers(ranges, u32::MAX)
}

/// Whether the inclusive IPv6 ranges together cover every address.
pub fn covers_all_v6(ranges: &[V6Range]) -> bool {
    covers(ranges, u128::MAX)
}

fn covers<T: Copy + Ord + From<u8> + std::ops::Add<Output = T>>(ranges: &[(T, T)], max: T) -> bool {
    let mut sorted: Vec<(T, T)> = ranges.iter().copied().filter(|(a, b)| a <= b).collect();
    sorted.sort();
    let zero = T::from(0);
    let one = T::from(1);
    // `next`: the first address not yet covered.
    let mut next = zero;
    for (start, end) in sorted {
        if start > next {
            return false;
        }
        if end >= next {
            if end == max {
                return true;
            }
            next = end + one;
        }
    }
    false
}

/// Whether the blocks written in `texts` together cover the whole IPv4 or the whole IPv6
/// address space. Text that is not a block is ignored (callers judge keywords such as
/// `Internet` or `*` themselves).
pub fn covers_everything<'t>(texts: impl IntoIterator<Item = &'t str>) -> bool {
    let mut four = Vec::new();
    let mut six = Vec::new();
    for text in texts {
        match parse(text) {
            Some(Block::V4(r)) => four.push(r),
            Some(Block::V6(r)) => six.push(r),
            None => {}
        }
    }
    covers_all_v4(&four) || covers_all_v6(&six)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse_with_host_bits_ignored() {
        assert_eq!(parse("0.0.0.0/0"), Some(Block::V4((0, u32::MAX))));
        assert_eq!(
            parse("10.0.0.1/8"),
            Some(Block::V4((0x0a00_0000, 0x0aff_ffff)))
        );
        assert_eq!(
            parse(" 192.0.2.7 "),
            Some(Block::V4((0xc000_0207, 0xc000_0207)))
        );
        assert_eq!(parse("::/0"), Some(Block::V6((0, u128::MAX))));
        assert_eq!(parse("10.0.0.0/33"), None);
        assert_eq!(parse("Internet"), None);
        assert_eq!(parse("10.0.0.0/x"), None);
    }

    #[test]
    fn halves_and_quarters_cover_everything() {
        assert!(covers_everything(["0.0.0.0/1", "128.0.0.0/1"]));
        assert!(covers_everything([
            "128.0.0.0/1",
            "0.0.0.0/2",
            "64.0.0.0/3",
            "96.0.0.0/3",
            "10.0.0.0/8",
        ]));
        assert!(covers_everything(["::/1", "8000::/1"]));
        assert!(covers_everything(["0.0.0.0/0"]));
        // One half, or a hole, is not everything.
        assert!(!covers_everything(["0.0.0.0/1"]));
        assert!(!covers_everything([
            "0.0.0.0/1",
            "128.0.0.0/2",
            "224.0.0.0/3"
        ]));
        assert!(!covers_everything(["0.0.0.0/1", "::/1"]));
        assert!(!covers_everything(std::iter::empty()));
    }

    #[test]
    fn ranges_cover_everything_only_without_gaps() {
        assert!(covers_all_v4(&[(0, 0x7fff_ffff), (0x8000_0000, u32::MAX)]));
        assert!(covers_all_v4(&[(0x8000_0000, u32::MAX), (0, 0x8000_0000)]));
        assert!(!covers_all_v4(&[(0, 0x7fff_fffe), (0x8000_0000, u32::MAX)]));
        assert!(!covers_all_v4(&[(1, u32::MAX)]));
        assert!(!covers_all_v4(&[(5, 1)]));
        assert_eq!(v4("255.255.255.255"), Some(u32::MAX));
    }
}
