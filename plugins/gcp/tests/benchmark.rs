//! The CIS Google Cloud benchmark data (`schemas/benchmarks/cis-gcp-5.0.toml`) against the checks
//! of this plugin: every requirement a check cites exists in that version, every automated
//! requirement is tested by a check or says why not, and the (check, requirement) pairs are
//! exactly the reviewed table below. A renumbered benchmark, a check that starts or stops citing
//! a requirement, or a retitled requirement fails here until the table is reviewed again.

use std::collections::{BTreeMap, BTreeSet};

use demarc_core::Catalog;
use demarc_core::benchmark::{Assessment, Benchmark};
use demarc_plugin_gcp::checks;

const FILE: &str = "schemas/benchmarks/cis-gcp-5.0.toml";
const BENCHMARK: &str = "cis-gcp-5.0";

fn catalog() -> Catalog {
    Catalog::load(
        (
            "frameworks.toml",
            include_str!("../../../schemas/catalog/frameworks.toml"),
        ),
        (
            "controls.toml",
            include_str!("../../../schemas/catalog/controls.toml"),
        ),
    )
    .expect("the catalog loads")
}

fn benchmark() -> Benchmark {
    Benchmark::load(
        FILE,
        include_str!("../../../schemas/benchmarks/cis-gcp-5.0.toml"),
        &catalog(),
    )
    .unwrap_or_else(|e| panic!("{FILE} does not load:\n{e}"))
}

/// Every (check, requirement) pair the checks state, in check order.
fn cited() -> Vec<(&'static str, &'static str, &'static str)> {
    checks::ALL
        .iter()
        .flat_map(|c| {
            c.requirements
                .iter()
                .flat_map(move |(b, ids)| ids.iter().map(move |id| (c.id, *b, *id)))
        })
        .collect()
}

/// The reviewed table: each check with the requirements of CIS Google Cloud 5.0 it tests and the
/// title demarc gives each. A check missing here cites nothing.
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "gcp-kms-key-rotation",
        "1.11",
        "Cloud KMS keys rotate at least every 90 days, with the next rotation within 90 days",
    ),
    (
        "gcp-compute-instance-os-login",
        "4.4",
        "OS Login is on for the project and no instance turns it off",
    ),
    (
        "gcp-compute-instance-serial-port",
        "4.5",
        "Instances do not allow connections to their serial ports",
    ),
    (
        "gcp-compute-instance-project-ssh-keys",
        "4.3",
        "Instances do not accept project-wide SSH keys",
    ),
    (
        "gcp-compute-instance-default-service-account",
        "4.1",
        "Instances do not run as the default Compute Engine service account",
    ),
    (
        "gcp-sql-instance-public-access",
        "6.5",
        "Cloud SQL instances do not authorize connections from 0.0.0.0/0",
    ),
    (
        "gcp-sql-instance-public-ip",
        "6.7",
        "Cloud SQL instances have no public IP address",
    ),
    (
        "gcp-compute-instance-default-sa-full-access",
        "4.2",
        "Instances do not run as the default service account with access to all Cloud APIs",
    ),
    (
        "gcp-storage-bucket-public-access",
        "5.1",
        "Cloud Storage buckets are not readable by allUsers or allAuthenticatedUsers",
    ),
    (
        "gcp-storage-bucket-uniform-access",
        "5.2",
        "Cloud Storage buckets use uniform bucket-level access",
    ),
    (
        "gcp-compute-instance-shielded-vm",
        "4.8",
        "Instances run as Shielded VMs with vTPM and integrity monitoring on",
    ),
    (
        "gcp-identity-user-2sv",
        "1.3",
        "Every account that is not a service account signs in with multi-factor authentication",
    ),
    (
        "gcp-iam-sa-key-rotation",
        "1.8",
        "User-managed service account keys are rotated at least every 90 days",
    ),
    (
        "gcp-iam-audit-logging",
        "2.1",
        "Audit logs record admin reads, data reads and data writes of all services, no one exempted",
    ),
    (
        "gcp-logging-sink-bucket-locked",
        "2.4",
        "Cloud Storage buckets that receive exported logs have a locked retention policy",
    ),
    (
        "gcp-sql-instance-ssl-required",
        "6.4",
        "Cloud SQL instances accept only encrypted connections",
    ),
];

#[test]
fn the_benchmark_file_is_cis_google_cloud_5_0_in_full() {
    let b = benchmark();
    assert_eq!(b.id, BENCHMARK);
    assert_eq!(b.provider, "gcp");
    assert_eq!(b.requirements.len(), 93);
    let manual = b
        .requirements
        .iter()
        .filter(|r| r.assessment == Assessment::Manual)
        .count();
    assert_eq!((93 - manual, manual), (71, 22), "(automated, manual)");
    // Sections 1 to 8, in the benchmark's order: ids ascend number by number.
    let key = |id: &str| -> Vec<u32> { id.split('.').map(|p| p.parse().unwrap()).collect() };
    for pair in b.requirements.windows(2) {
        assert!(
            key(&pair[0].id) < key(&pair[1].id),
            "{} is listed before {}",
            pair[0].id,
            pair[1].id
        );
    }
    let sections: BTreeSet<&str> = b
        .requirements
        .iter()
        .map(|r| r.id.split('.').next().unwrap())
        .collect();
    assert_eq!(
        sections,
        ["1", "2", "3", "4", "5", "6", "7", "8"]
            .into_iter()
            .collect()
    );
    for r in &b.requirements {
        assert!(
            r.title.chars().count() <= 90,
            "{}: title longer than 90 characters",
            r.id
        );
        assert!(
            !r.title.starts_with("Ensure"),
            "{}: titles are demarc's own words, stating the desired state",
            r.id
        );
    }
}

#[test]
fn manual_requirements_name_only_manual_controls() {
    let catalog = catalog();
    for r in benchmark().requirements {
        for c in &r.controls {
            assert_eq!(
                r.assessment,
                Assessment::Manual,
                "{}: controls on an automated requirement",
                r.id
            );
            assert!(
                catalog.control(c).is_some_and(|c| c.manual),
                "{}: {c} is not a manual control",
                r.id
            );
        }
    }
}

#[test]
fn every_citation_exists_in_the_benchmark_once() {
    let b = benchmark();
    for check in checks::ALL {
        let mut seen = BTreeSet::new();
        for (bench, ids) in check.requirements {
            assert_eq!(
                *bench, BENCHMARK,
                "{} cites unknown benchmark {bench}",
                check.id
            );
            for id in *ids {
                assert!(
                    b.requirement(id).is_some(),
                    "{} cites {id}, which {BENCHMARK} does not have",
                    check.id
                );
                assert!(seen.insert(*id), "{} cites {id} twice", check.id);
            }
        }
    }
}

#[test]
fn every_automated_requirement_is_tested_or_says_why_not() {
    let b = benchmark();
    let tested: BTreeSet<String> = cited().iter().map(|(_, _, id)| id.to_string()).collect();
    let errors = b.check_coverage(&tested);
    assert!(
        errors.is_empty(),
        "{}",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // 15 automated requirements and one manual one (1.3) are tested.
    assert_eq!(tested.len(), 16);
}

#[test]
fn coverage_drift_is_caught() {
    let b = benchmark();
    let tested: BTreeSet<String> = cited().iter().map(|(_, _, id)| id.to_string()).collect();
    // A check that stops citing 4.4 leaves an automated requirement without a test or a reason.
    let mut fewer = tested.clone();
    fewer.remove("4.4");
    let errors: Vec<String> = b
        .check_coverage(&fewer)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("cis-gcp-5.0 4.4 is automated but no check tests it"));
    // A check that starts citing 6.8 contradicts its not_covered reason.
    let mut more = tested;
    more.insert("6.8".to_string());
    let errors: Vec<String> = b
        .check_coverage(&more)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("cis-gcp-5.0 6.8 is tested by a check"));
}

#[test]
fn the_pairs_are_the_reviewed_table() {
    let b = benchmark();
    let actual: BTreeMap<(&str, &str), ()> = cited()
        .into_iter()
        .map(|(check, bench, id)| {
            assert_eq!(bench, BENCHMARK);
            ((check, id), ())
        })
        .collect();
    let expected: BTreeMap<(&str, &str), ()> = PAIRS
        .iter()
        .map(|(check, id, _)| ((*check, *id), ()))
        .collect();
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !actual.contains_key(k))
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|k| !expected.contains_key(k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "pairs differ from the reviewed table: missing {missing:?}, not reviewed {extra:?}"
    );
    assert_eq!(cited().len(), PAIRS.len(), "a pair is stated twice");
    for (check, id, title) in PAIRS {
        assert_eq!(
            b.requirement(id).map(|r| r.title.as_str()),
            Some(*title),
            "{check} cites {id}: its title changed, review the pair again"
        );
    }
    // The reviewed pairs of the checks that test several things or more than a requirement asks:
    // they cite nothing, and the requirements they come close to say why.
    for check in [
        "gcp-compute-firewall-admin-port-open",
        "gcp-compute-firewall-all-ports-open",
        "gcp-iam-public-principal",
        "gcp-iam-service-account-admin",
        "gcp-iam-primitive-role-human",
        "gcp-sql-instance-backups",
        "gcp-storage-bucket-cmek",
        "gcp-sql-instance-cmek",
        "gcp-functions-https-only",
        "gcp-compute-instance-stale-public",
    ] {
        let def = checks::ALL
            .iter()
            .find(|c| c.id == check)
            .unwrap_or_else(|| panic!("no check {check}"));
        assert!(
            def.requirements.is_empty(),
            "{check} cites {:?}",
            def.requirements
        );
    }
}

#[test]
fn not_covered_reasons_name_checks_that_exist() {
    let ids: BTreeSet<&str> = checks::ALL.iter().map(|c| c.id).collect();
    let mut named = 0;
    for r in benchmark().requirements {
        let Some(why) = &r.not_covered else { continue };
        for word in why.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if word.starts_with("gcp-") {
                assert!(
                    ids.contains(word),
                    "{}: reason names unknown check {word}",
                    r.id
                );
                named += 1;
            }
        }
    }
    // 1.5, 1.6, 1.10, 3.6, 3.7, 4.9, 6.8 and 7.1 say which check comes close and why it is not cited.
    assert_eq!(named, 8);
}
