//! The plugins' format sniffers on arbitrary bytes: none panics, and input that `serde_json`
//! reads as a JSON object or array (without another cloud's markers) reaches the JSON reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let aws = demarc_plugin_aws::format::sniff(data);
    let azure = demarc_plugin_azure::format::sniff(data);
    let gcp = demarc_plugin_gcp::format::sniff(data);

    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let is_document =
        serde_json::from_slice::<Value>(body).is_ok_and(|v| v.is_object() || v.is_array());
    if !is_document {
        return;
    }
    let has = |needle: &str| data.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert_eq!(azure, None, "azure refused a JSON document");
    if !has("\"Content\"") {
        assert_eq!(
            aws,
            demarc_plugin_aws::format::Sniffed::Format(
                demarc_plugin_aws::format::Format::ConfigSnapshot
            ),
            "aws refused a JSON document"
        );
    }
    let foreign = [
        "\"primaryEmail\"",
        "admin#directory#user",
        "\"configurationItems\"",
        "\"configurationItemCaptureTime\"",
        "\"resultTruncated\"",
        "\"totalRecords\"",
    ];
    if !foreign.iter().any(|m| has(m)) {
        assert_eq!(
            gcp,
            demarc_plugin_gcp::format::Sniffed::Format(
                demarc_plugin_gcp::format::Format::AssetInventory
            ),
            "gcp refused a JSON document"
        );
    }
});
