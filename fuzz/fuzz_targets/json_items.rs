//! The chunked JSON item scanner against `serde_json` on arbitrary bytes: the first byte picks
//! the chunk size (1 to 64) and the wrapper key, the rest is the input. Any disagreement (the
//! reader accepts what `serde_json` refuses, refuses what it accepts, or finds other items) or
//! any panic is a failure.
#![no_main]

use demarc_sdk::stream::JsonItems;
use libfuzzer_sys::fuzz_target;

#[path = "../../sdk/src/stream_oracle.rs"]
mod oracle;

const KEYS: [&str; 4] = ["configurationItems", "data", "assets", "value"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let chunk = u64::from(selector % 64) + 1;
    let key = KEYS[usize::from(selector >> 6)];
    oracle::agree(input, key, chunk);
});
