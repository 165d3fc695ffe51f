//! Deterministic finding ids.
//!
//! A finding's id is a hash of what identifies "this check on this resource for this client":
//! tenant, provider, account, region, resource id and check id. The same resource scanned twice
//! for one tenant (two shards, two overlapping exports) gets the same id, which is what the
//! report deduplicates on; the same resource reported under two tenants gets two ids, so that
//! one tenant's export can never replace another tenant's finding.

use sha2::{Digest, Sha256};

/// The id of `tenant`'s finding of `check_id` on `resource_id`: 32 hex characters (128 bits of
/// sha256).
pub fn finding_id(
    tenant: &str,
    provider: &str,
    account: &str,
    region: &str,
    resource_id: &str,
    check_id: &str,
) -> String {
    hex32(finding_key(
        tenant,
        provider,
        account,
        region,
        resource_id,
        check_id,
    ))
}

/// `key` as 32 lowercase hex digits (one finding id per finding: written without the
/// formatting machinery).
fn hex32(key: u128) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (i, digit) in out.iter_mut().enumerate() {
        *digit = DIGITS[((key >> (124 - 4 * i)) & 0xf) as usize];
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// The same id as a number, for compact deduplication sets.
pub fn finding_key(
    tenant: &str,
    provider: &str,
    account: &str,
    region: &str,
    resource_id: &str,
    check_id: &str,
) -> u128 {
    let mut h = Sha256::new();
    for part in [tenant, provider, account, region, resource_id, check_id] {
        // Length-prefixed so that no two tuples hash the same bytes.
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

/// Parse an id produced by [`finding_id`] back into its key.
pub fn parse_key(id: &str) -> Option<u128> {
    u128::from_str_radix(id, 16).ok().filter(|_| id.len() == 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let a = finding_id("t", "aws", "1", "eu-west-1", "arn:x", "c");
        assert_eq!(a, finding_id("t", "aws", "1", "eu-west-1", "arn:x", "c"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, finding_id("t", "aws", "1", "eu-west-1", "arn:x", "d"));
        // Moving a boundary between parts changes the id.
        assert_ne!(
            finding_id("t", "aws", "12", "3", "r", "c"),
            finding_id("t", "aws", "1", "23", "r", "c")
        );
        assert_eq!(
            parse_key(&a),
            Some(finding_key("t", "aws", "1", "eu-west-1", "arn:x", "c"))
        );
        let key = finding_key("t", "aws", "1", "eu-west-1", "arn:x", "c");
        assert_eq!(a, format!("{key:032x}"));
        assert_eq!(
            hex32(0x0123_4567_89ab_cdef_0011_2233_4455_6677),
            "0123456789abcdef0011223344556677"
        );
        assert_eq!(hex32(1), "00000000000000000000000000000001");
    }

    #[test]
    fn the_same_resource_under_two_tenants_has_two_ids() {
        let a = finding_id("northwind", "aws", "1", "us-east-1", "sg-1", "open");
        let b = finding_id("fabrikam", "aws", "1", "us-east-1", "sg-1", "open");
        assert_ne!(a, b);
        assert_ne!(
            finding_id("ab", "c", "1", "r", "x", "k"),
            finding_id("a", "bc", "1", "r", "x", "k")
        );
    }
}
