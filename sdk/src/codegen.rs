//! Check metadata as data: a plugin's build script turns `checks/*.toml` into the `static`
//! [`CheckDef`](crate::CheckDef)s its check functions use, so that titles, rationales,
//! remediations, controls and benchmark citations are reviewed as data and the Rust holds only
//! the judgements.
//!
//! Enable the `codegen` feature for the build dependency:
//!
//! ```toml
//! [build-dependencies]
//! demarc-sdk = { version = "…", features = ["codegen"] }
//! ```
//!
//! ```no_run
//! // build.rs: fn main() { … }
//! demarc_sdk::codegen::checks("checks");
//! ```
//!
//! Each `checks/NAME.toml` holds `[[check]]` tables:
//!
//! ```toml
//! [[check]]
//! static = "PUBLIC_BUCKET"          # the name of the generated `static`
//! id = "tinycloud-bucket-public"
//! title = "Buckets are not readable by everyone"
//! severity = "high"                 # info, low, medium, high, critical
//! actor = "customer"                # customer or provider: who must act on a failure
//! rationale = "…"
//! remediation = "…"
//! controls = ["public-resource-access"]
//! resource_types = ["tinycloud.bucket"]
//! requirements = { "cis-tinycloud-1.0" = ["2.1"] }   # optional
//! ```
//!
//! and the module that judges those checks includes them with
//! [`include_checks!`](crate::include_checks!)`("NAME")`. Every problem of every file is reported
//! at once, naming the file, the table and the key; the build fails on any.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One `[[check]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckToml {
    #[serde(rename = "static")]
    name: String,
    id: String,
    title: String,
    severity: String,
    actor: String,
    rationale: String,
    remediation: String,
    controls: Vec<String>,
    resource_types: Vec<String>,
    #[serde(default)]
    requirements: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    check: Vec<CheckToml>,
}

const SEVERITIES: [(&str, &str); 5] = [
    ("info", "Info"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
];
const ACTORS: [(&str, &str); 2] = [("customer", "Customer"), ("provider", "Provider")];

/// Generate the checks of every `DIR/*.toml` (relative to the crate's manifest directory) into
/// `OUT_DIR/checks/NAME.rs`, and tell cargo to rerun when any of them changes. Panics, listing
/// every problem, when a file cannot be read or a table is invalid; for a build script.
pub fn checks(dir: &str) {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR is set");
    let out = std::env::var_os("OUT_DIR").expect("OUT_DIR is set");
    let dir = Path::new(&manifest).join(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    let generated = match generate(&dir) {
        Ok(generated) => generated,
        Err(problems) => panic!("invalid check metadata:\n  {}", problems.join("\n  ")),
    };
    let out = PathBuf::from(out).join("checks");
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    for (stem, code) in generated {
        let path = out.join(format!("{stem}.rs"));
        std::fs::write(&path, code).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// The Rust source of every `*.toml` in `dir`, by file stem; or every problem found.
pub fn generate(dir: &Path) -> Result<BTreeMap<String, String>, Vec<String>> {
    let mut problems = Vec::new();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect(),
        Err(e) => return Err(vec![format!("{}: {e}", dir.display())]),
    };
    files.sort();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for path in files {
        let shown = path
            .file_name()
            .map(|n| format!("{}/{}", dir_name(dir), n.to_string_lossy()))
            .unwrap_or_default();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let parsed: FileToml = match toml::from_str(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                problems.push(format!("{shown}: {}", e.to_string().trim_end()));
                continue;
            }
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut code = format!(
            "// Generated from `{shown}` by `demarc_sdk::codegen`; edit the TOML, not this file.\n"
        );
        for (i, check) in parsed.check.iter().enumerate() {
            let at = format!("{shown}: check[{i}] (`{}`)", check.id);
            let before = problems.len();
            validate(check, &at, &mut problems);
            if let Some(first) = ids.insert(check.id.clone(), at.clone()) {
                problems.push(format!("{at}: id: declared again (first in {first})"));
            }
            if problems.len() == before {
                emit(&mut code, check);
            }
        }
        out.insert(stem, code);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn validate(check: &CheckToml, at: &str, problems: &mut Vec<String>) {
    let mut bad = |key: &str, why: &str| problems.push(format!("{at}: {key}: {why}"));
    let ident = check
        .name
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && check.name.starts_with(|c: char| c.is_ascii_uppercase());
    if !ident {
        bad(
            "static",
            "must be an upper-case Rust identifier (`PUBLIC_BUCKET`)",
        );
    }
    if !crate::declarations::is_kebab_id(&check.id) {
        bad("id", "must be kebab-case (`tinycloud-bucket-public`)");
    }
    for (key, value) in [
        ("title", &check.title),
        ("rationale", &check.rationale),
        ("remediation", &check.remediation),
    ] {
        if value.trim().is_empty() {
            bad(key, "must not be empty");
        }
    }
    if !SEVERITIES.iter().any(|(s, _)| *s == check.severity) {
        bad("severity", "must be info, low, medium, high or critical");
    }
    if !ACTORS.iter().any(|(a, _)| *a == check.actor) {
        bad("actor", "must be customer or provider");
    }
    if check.controls.is_empty() {
        bad("controls", "must name at least one catalog control");
    }
    if check.resource_types.is_empty() {
        bad("resource_types", "must name at least one native type");
    }
}

fn emit(code: &mut String, check: &CheckToml) {
    let variant = |table: &[(&str, &'static str)], key: &str| {
        table
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or_default()
    };
    let list = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
        format!("&[{}]", quoted.join(", "))
    };
    let requirements: Vec<String> = check
        .requirements
        .iter()
        .map(|(benchmark, ids)| format!("({benchmark:?}, {})", list(ids)))
        .collect();
    let _ = write!(
        code,
        "\n/// `{id}`: {title}\npub static {name}: demarc_sdk::CheckDef = demarc_sdk::CheckDef {{\n    \
         id: {id:?},\n    title: {title:?},\n    severity: demarc_sdk::Severity::{severity},\n    \
         actor: demarc_sdk::Actor::{actor},\n    rationale: {rationale:?},\n    \
         remediation: {remediation:?},\n    controls: {controls},\n    \
         resource_types: {types},\n    requirements: &[{requirements}],\n}};\n",
        id = check.id,
        title = check.title,
        name = check.name,
        severity = variant(&SEVERITIES, &check.severity),
        actor = variant(&ACTORS, &check.actor),
        rationale = check.rationale,
        remediation = check.remediation,
        controls = list(&check.controls),
        types = list(&check.resource_types),
        requirements = requirements.join(", "),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "demarc-codegen-{}-{}",
            std::process::id(),
            files.len()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("checks")).unwrap();
        for (name, text) in files {
            std::fs::write(d.join("checks").join(name), text).unwrap();
        }
        d.join("checks")
    }

    const GOOD: &str = r#"
[[check]]
static = "PUBLIC_BUCKET"
id = "tiny-bucket-public"
title = "Buckets are not \"public\""
severity = "high"
actor = "customer"
rationale = "Anyone can read it."
remediation = "Make it private — now."
controls = ["public-resource-access"]
resource_types = ["tiny.bucket"]
requirements = { "cis-tiny-1.0" = ["2.1", "2.2"] }
"#;

    #[test]
    fn generates_statics_with_escaped_text() {
        let d = dir(&[("bucket.toml", GOOD)]);
        let out = generate(&d).unwrap();
        let code = &out["bucket"];
        assert!(code.contains("pub static PUBLIC_BUCKET: demarc_sdk::CheckDef"));
        assert!(code.contains(r#"title: "Buckets are not \"public\"","#));
        assert!(code.contains("severity: demarc_sdk::Severity::High,"));
        assert!(code.contains(r#"requirements: &[("cis-tiny-1.0", &["2.1", "2.2"])],"#));
        assert!(code.contains("Make it private — now."));
    }

    #[test]
    fn every_problem_is_named_with_file_table_and_key() {
        let bad = GOOD
            .replace("\"high\"", "\"severe\"")
            .replace("PUBLIC_BUCKET", "publicBucket");
        let d = dir(&[
            ("a.toml", GOOD),
            ("b.toml", &bad),
            ("c.toml", "[[check]]\nid = 3\n"),
        ]);
        let problems = generate(&d).unwrap_err();
        let all = problems.join("\n");
        assert!(
            all.contains("checks/b.toml: check[0] (`tiny-bucket-public`): static:"),
            "{all}"
        );
        assert!(all.contains("b.toml: check[0] (`tiny-bucket-public`): severity:"));
        assert!(all.contains("id: declared again (first in checks/a.toml"));
        assert!(all.contains("checks/c.toml:"), "{all}");
        assert_eq!(problems.len(), 4, "{all}");
    }
}
