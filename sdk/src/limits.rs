// The host's limits on one finding, in bytes unless said otherwise. This file is the single
// source of both sides: the SDK (`demarc_sdk::limits`) checks a plugin's findings against it in
// the author's own tests, and the host (`demarc-runtime`) includes it and enforces it on every
// finding a plugin emits. It holds constants only, so that both can include it.

/// Longest resource id or resource name.
pub const MAX_ID: usize = 2048;
/// Longest native resource type.
pub const MAX_NATIVE_TYPE: usize = 256;
/// Longest account (subscription, project) id.
pub const MAX_ACCOUNT: usize = 256;
/// Longest region.
pub const MAX_REGION: usize = 128;
/// Longest message, evidence value or tag value.
pub const MAX_TEXT: usize = 8192;
/// Longest evidence key or tag key.
pub const MAX_KEY: usize = 512;
/// Longest `observed-at` time.
pub const MAX_OBSERVED_AT: usize = 64;
/// Most evidence items, and most tags, on one finding.
pub const MAX_ITEMS: usize = 128;
