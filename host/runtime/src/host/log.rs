//! `demarc:provider/host.log`: plugin log lines go to the host's tracing log, tagged with the
//! plugin and target, truncated and rate-capped so that a plugin cannot flood the log.

use crate::bindings::demarc::provider::host::Level;

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
    let message = &message[..end];
    match level {
        Level::Debug => tracing::debug!(plugin, target, "{message}"),
        Level::Info => tracing::info!(plugin, target, "{message}"),
        Level::Warn => tracing::warn!(plugin, target, "{message}"),
        Level::Error => tracing::error!(plugin, target, "{message}"),
    }
}
