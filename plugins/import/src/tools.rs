//! Which tool's output a JSON file is, from its first item, so that a file read as one tool's
//! output that is another's says so ("this is a SARIF log, not AWS Security Hub findings").

use serde_json::Value;

use crate::ImportFormat;

/// What the first item of a file is, and the importer format that reads it when there is one.
pub fn identify(first_item: &[u8]) -> Option<(&'static str, Option<ImportFormat>)> {
    let item: Value = serde_json::from_slice(first_item).ok()?;
    let o = item.as_object()?;
    let has = |k: &str| o.contains_key(k);
    if has("class_uid") || has("category_uid") {
        return Some((
            "OCSF findings (Prowler's JSON-OCSF output)",
            Some(ImportFormat::ProwlerOcsf),
        ));
    }
    if has("Findings") || (has("SchemaVersion") && (has("GeneratorId") || has("ProductArn"))) {
        return Some(("AWS Security Hub findings (ASFF)", Some(ImportFormat::Asff)));
    }
    if has("runs") && (has("version") || has("$schema")) {
        return Some(("a SARIF log", Some(ImportFormat::Sarif)));
    }
    if o.get("finding")
        .and_then(Value::as_object)
        .is_some_and(|f| f.contains_key("category") || f.contains_key("resourceName"))
    {
        return Some((
            "Google Security Command Center findings",
            Some(ImportFormat::Scc),
        ));
    }
    let row = o
        .get("data")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(Value::as_object)
        .unwrap_or(o);
    if row
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("microsoft.security/assessments"))
    {
        return Some((
            "Microsoft Defender for Cloud assessments",
            Some(ImportFormat::Defender),
        ));
    }
    None
}

/// The message for a file read as `expected` whose first item is another tool's output (or
/// `None` when it is no tool's output demarc knows).
pub fn another_tools(first_item: &[u8], expected: ImportFormat) -> Option<String> {
    let (what, format) = identify(first_item)?;
    if format == Some(expected) {
        return None;
    }
    let advice = match format {
        Some(f) => format!("; import it with `importer = \"{}\"`", f.name()),
        None => "; demarc does not import it yet".to_string(),
    };
    Some(format!(
        "valid JSON but not {}: this is {what}, not {}{advice}",
        expected.describe(),
        expected.short()
    ))
}
