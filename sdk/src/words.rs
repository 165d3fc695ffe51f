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

/// The entries of a two-column text table (a plugin's data file, usually `include_str!`ed): one
/// entry a line, a key and a value separated by white space; blank lines and lines starting
/// with `#` are comments. A line without a value is skipped.
pub fn entries(table: &str) -> impl Iterator<Item = (&str, &str)> {
    table.lines().filter_map(|line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let (key, value) = line.split_once(char::is_whitespace)?;
        Some((key, value.trim())).filter(|(_, v)| !v.is_empty())
    })
}

/// The value of `key` (compared ignoring ASCII case and surrounding white space) in a table of
/// [`entries`].
pub fn lookup<'t>(table: &'t str, key: &str) -> Option<&'t str> {
    let key = key.trim();
    entries(table)
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn two_column_tables_with_comments() {
        let table = "# runtimes\n\nnodejs6   2019-04-17\n  Go111 2020-08-05  \nlonely\n";
        assert_eq!(
            entries(table).collect::<Vec<_>>(),
            [("nodejs6", "2019-04-17"), ("Go111", "2020-08-05")]
        );
        assert_eq!(lookup(table, " GO111 "), Some("2020-08-05"));
        assert_eq!(lookup(table, "lonely"), None);
        assert_eq!(lookup(table, "# runtimes"), None);
    }
}
