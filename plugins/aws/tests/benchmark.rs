//! The CIS AWS Foundations Benchmark data and the requirements each check cites agree.
//!
//! `schemas/benchmarks/cis-aws-7.0.toml` lists every recommendation of the benchmark version;
//! each check of `checks::CATALOG.defs()` states the ones it tests. These tests load the file the way the
//! host does and fail when a check cites an unknown benchmark or id, cites an id twice, or when
//! an automated recommendation is neither tested nor given a reason (or is both), so the data and
//! the checks cannot drift apart. The exact pairs below were reviewed against the benchmark.

use std::collections::{BTreeMap, BTreeSet};

use demarc_core::Catalog;
use demarc_core::benchmark::{Assessment, Benchmark};
use demarc_plugin_aws::checks;

const FILE: &str = "schemas/benchmarks/cis-aws-7.0.toml";
const TEXT: &str = include_str!("../../../schemas/benchmarks/cis-aws-7.0.toml");
const ID: &str = "cis-aws-7.0";

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
    Benchmark::load(FILE, TEXT, &catalog()).unwrap_or_else(|e| {
        panic!(
            "{FILE} does not load:\n{}",
            e.0.iter()
                .map(|d| format!("{}: {}: {}", d.file, d.key, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Check id → the ids it cites of `ID`.
fn citations() -> BTreeMap<&'static str, Vec<&'static str>> {
    checks::CATALOG
        .defs()
        .iter()
        .map(|c| {
            let ids: Vec<&str> = c
                .requirements
                .iter()
                .filter(|(b, _)| *b == ID)
                .flat_map(|(_, ids)| ids.iter().copied())
                .collect();
            (c.id, ids)
        })
        .collect()
}

#[test]
fn the_benchmark_file_is_valid_and_complete() {
    let b = benchmark();
    assert_eq!(b.id, ID);
    assert_eq!(b.provider, "aws");
    assert_eq!(b.requirements.len(), 70, "v7.0.0 has 70 recommendations");
    let automated = b
        .requirements
        .iter()
        .filter(|r| r.assessment == Assessment::Automated)
        .count();
    assert_eq!((automated, b.requirements.len() - automated), (34, 36));
    for r in &b.requirements {
        assert!(
            r.title.chars().count() <= 90,
            "{}: title longer than 90 characters",
            r.id
        );
    }
    // The benchmark's order: sections 2 to 6, numbers ascending within each.
    let keys: Vec<Vec<u32>> = b
        .requirements
        .iter()
        .map(|r| r.id.split('.').map(|p| p.parse().unwrap()).collect())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "ids out of order");
    assert_eq!(keys.first().map(|k| k[0]), Some(2));
    assert_eq!(keys.last().map(|k| k[0]), Some(6));
}

#[test]
fn every_citation_names_this_benchmark_and_an_id_it_has_once() {
    let b = benchmark();
    for check in checks::CATALOG.defs() {
        let mut seen = BTreeSet::new();
        for (benchmark, ids) in check.requirements {
            assert_eq!(
                *benchmark, ID,
                "{} cites benchmark {benchmark}, not {ID}",
                check.id
            );
            for id in *ids {
                assert!(
                    b.requirement(id).is_some(),
                    "{} cites {ID} {id}, which {FILE} does not list",
                    check.id
                );
                assert!(seen.insert(*id), "{} cites {ID} {id} twice", check.id);
            }
        }
    }
}

#[test]
fn every_automated_requirement_is_tested_or_says_why_not() {
    let b = benchmark();
    let tested: BTreeSet<String> = citations()
        .into_values()
        .flatten()
        .map(str::to_string)
        .collect();
    let errors = b.check_coverage(&tested);
    assert!(
        errors.is_empty(),
        "coverage drift:\n{}",
        errors
            .iter()
            .map(|e| format!("{}: {}: {}", e.file, e.key, e.message))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn reviewed_pairs() {
    let cites = citations();
    let of = |check: &str| -> Vec<&str> {
        cites
            .get(check)
            .unwrap_or_else(|| panic!("no check {check}"))
            .clone()
    };
    // One verdict over four ports and both address families: citing 6.3 and 6.4 would read an
    // IPv6-only or Telnet-only opening as a failure of the IPv4 SSH/RDP requirement.
    assert!(of("aws-ec2-sg-admin-port-open").is_empty());
    // Every port open is no recommendation of its own; a pass would not mean 6.3 holds.
    assert!(of("aws-ec2-sg-all-ports-open").is_empty());
    // Customer-managed keys on S3 are not the RDS and EBS encryption recommendations.
    assert!(of("aws-s3-bucket-cmk-encryption").is_empty());
    assert!(of("aws-ebs-volume-encrypted").is_empty());
    assert_eq!(of("aws-rds-storage-encrypted"), ["3.2.1"]);
    assert_eq!(of("aws-rds-auto-minor-version-upgrade"), ["3.2.2"]);
    assert_eq!(of("aws-rds-publicly-accessible"), ["3.2.3"]);
    // The root user's MFA and its keys are two recommendations, one per check.
    assert_eq!(of("aws-iam-root-mfa"), ["2.5"]);
    assert_eq!(of("aws-iam-root-access-keys"), ["2.4"]);
    assert_eq!(of("aws-iam-user-console-mfa"), ["2.10"]);
    assert_eq!(of("aws-iam-unused-credentials"), ["2.11"]);
    assert_eq!(of("aws-iam-access-key-rotation"), ["2.12"]);
    assert_eq!(of("aws-cloudtrail-log-validation"), ["4.2"]);
    assert_eq!(of("aws-cloudtrail-kms-encryption"), ["4.5"]);
    assert_eq!(of("aws-kms-key-rotation"), ["4.6"]);
    assert_eq!(of("aws-s3-bucket-secure-transport"), ["3.1.1"]);
    assert_eq!(of("aws-ec2-imdsv2-required"), ["6.7"]);
    // Every bucket's access logging is not the CloudTrail bucket's (4.4).
    assert!(of("aws-s3-bucket-access-logging").is_empty());
}
