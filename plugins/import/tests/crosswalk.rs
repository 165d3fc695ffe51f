//! `schemas/mappings/crosswalk.toml` is generated from the first-party plugins' checks (the
//! controls behind each benchmark requirement they test) and must stay so; `BLESS=1` rewrites
//! it. Every control of every mapping file must be in the catalog.

use std::collections::BTreeMap;

use demarc_plugin_import::mapping::{CROSSWALK, TOOLS, ToolMapping};
use demarc_sdk::{Check, Provider};

fn generated() -> String {
    let mut walk: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let checks: Vec<Check> = [
        demarc_plugin_aws::Aws::info().checks,
        demarc_plugin_azure::Azure::info().checks,
        demarc_plugin_gcp::Gcp::info().checks,
    ]
    .concat();
    for check in checks {
        for r in &check.requirements {
            let controls = walk
                .entry(r.benchmark.clone())
                .or_default()
                .entry(r.id.clone())
                .or_default();
            for c in &check.controls {
                if !controls.contains(c) {
                    controls.push(c.clone());
                }
            }
        }
    }
    let mut out = String::from(
        "# Generated from the first-party plugins' checks by plugins/import/tests/crosswalk.rs\n\
         # (`BLESS=1 cargo test -p demarc-plugin-import --test crosswalk`): for each benchmark\n\
         # requirement demarc's checks test, the catalog controls of those checks. Importers map a\n\
         # tool's citation of a requirement through it.\n",
    );
    for (benchmark, requirements) in &walk {
        out.push_str(&format!("\n[{benchmark:?}]\n"));
        let mut ids: Vec<&String> = requirements.keys().collect();
        ids.sort_by_key(|id| {
            id.split('.')
                .map(|n| n.parse::<u32>().unwrap_or(u32::MAX))
                .collect::<Vec<_>>()
        });
        for id in ids {
            let controls: Vec<String> = requirements[id].iter().map(|c| format!("{c:?}")).collect();
            out.push_str(&format!("{id:?} = [{}]\n", controls.join(", ")));
        }
    }
    out
}

#[test]
fn the_crosswalk_is_the_first_party_checks() {
    let want = generated();
    if std::env::var_os("BLESS").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/mappings/crosswalk.toml");
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert_eq!(
        CROSSWALK, want,
        "schemas/mappings/crosswalk.toml is stale: BLESS=1 cargo test -p demarc-plugin-import --test crosswalk"
    );
}

#[test]
fn every_mapped_control_is_in_the_catalog_and_every_framework_is_a_benchmark() {
    let controls: toml::Table =
        toml::from_str(include_str!("../../../schemas/catalog/controls.toml")).unwrap();
    let known: Vec<&str> = controls["control"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let walk: toml::Table = toml::from_str(CROSSWALK).unwrap();
    for (tool, text) in TOOLS {
        let mapping: ToolMapping = toml::from_str(text).unwrap();
        assert_eq!(&mapping.tool, tool);
        for (provider, table) in &mapping.checks {
            assert!(["aws", "azure", "gcp"].contains(&provider.as_str()));
            for (check, controls) in table {
                assert!(
                    !controls.is_empty(),
                    "{tool} {provider} {check} maps to nothing"
                );
                for c in controls {
                    assert!(
                        known.contains(&c.as_str()),
                        "{tool} {provider} {check}: unknown control {c}"
                    );
                }
            }
        }
        for f in &mapping.framework {
            let benchmark = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../../schemas/benchmarks/{}.toml", f.benchmark));
            assert!(
                benchmark.exists(),
                "{tool}: framework {} names no benchmark",
                f.name
            );
            assert!(
                walk.contains_key(&f.benchmark),
                "{} not in the crosswalk",
                f.benchmark
            );
        }
    }
    for requirements in walk.values() {
        for controls in requirements.as_table().unwrap().values() {
            for c in controls.as_array().unwrap() {
                assert!(known.contains(&c.as_str().unwrap()));
            }
        }
    }
}
