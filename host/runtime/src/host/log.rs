//! `demarc:provider/host.log`: plugin log lines go to the host's tracing log, tagged with the
//! plugin and target, truncated and rate-capped so that a plugin cannot flood the log, with
//! control characters escaped so that a plugin cannot forge a line of it.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::contract::Level;

/// Longest log line kept, in bytes.
const MAX_LINE: usize = 2048;
/// Log lines kept per target; later lines are counted, not written.
pub(crate) const MAX_LINES: u64 = 10_000;

pub(crate) fn write(plugin: &str, target: &str, level: Level, message: &str, seen: u64) {
    if seen == MAX_LINES {
        tracing::warn!(
            plugin,
            target,
            "plugin log cap of {MAX_LINES} lines reached; further lines dropped"
        );
    }
    if seen >= MAX_LINES {
        return;
    }
    let mut end = message.len().min(MAX_LINE);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let message = escape_controls(&message[..end]);
    match level {
        Level::Debug => tracing::debug!(plugin, target, "{message}"),
        Level::Info => tracing::info!(plugin, target, "{message}"),
        Level::Warn => tracing::warn!(plugin, target, "{message}"),
        Level::Error => tracing::error!(plugin, target, "{message}"),
    }
}

/// `s` with every control character (C0, DEL, C1) and the Unicode line and paragraph
/// separators escaped: `\n`, `\r`, `\t`, and `\u{1b}` for the others. What a plugin writes then
/// stays on one line of a text log and cannot move the terminal's cursor or colour it.
pub(crate) fn escape_controls(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape_controls("plain text, ünïcode"),
            "plain text, ünïcode"
        );
        assert_eq!(
            escape_controls("a\nWARN forged\r\t\u{1b}[31m\u{7f}\u{85}\u{2028}z"),
            "a\\nWARN forged\\r\\t\\u{1b}[31m\\u{7f}\\u{85}\\u{2028}z"
        );
        assert!(!escape_controls("x\ny").contains('\n'));
    }
}
