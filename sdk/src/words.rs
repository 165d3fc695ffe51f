//! Small helpers for the words of findings and problems.

/// `1 rule`, `2 rules`: a count with its noun, singular or plural.
pub fn count(n: impl Into<i128>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A list for messages: `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(0u32, "item", "items"), "0 items");
        assert_eq!(count(1u32, "item", "items"), "1 item");
        assert_eq!(count(2u64, "policy", "policies"), "2 policies");
        assert_eq!(count(-1i64, "day", "days"), "-1 days");
    }

    #[test]
    fn and_lists() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
