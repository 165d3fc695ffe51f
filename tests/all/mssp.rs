//! A generated MSSP estate of many tenants, one configuration file per tenant: one tenant's
//! broken export costs that target alone.

use std::collections::BTreeMap;

use crate::{demarc, describe, report};

#[path = "../support/mssp_estate.rs"]
mod mssp_estate;

#[test]
fn one_tenants_truncated_export_is_a_named_gap_and_every_other_target_is_complete() {
    const TENANTS: usize = 12;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let config = mssp_estate::generate(dir, TENANTS);
    let victim = "client005";
    let file = dir
        .join("estate")
        .join(victim)
        .join("aws/config-snapshot.json");
    let text = std::fs::read(&file).unwrap();
    std::fs::write(&file, &text[..text.len() / 2]).unwrap();

    let out = dir.join("out");
    let o = demarc(
        &[
            "scan",
            "--quiet",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
    let r = report(&out);

    // The gap names the tenant, the target and the file; nothing else is a gap.
    let gaps = r["gaps"].as_array().unwrap();
    assert!(!gaps.is_empty());
    for g in gaps {
        assert_eq!(g["tenant"], victim, "{g:#}");
        assert_eq!(g["target"], format!("{victim}-aws"), "{g:#}");
    }
    assert!(
        gaps.iter().any(|g| g["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("config-snapshot.json"))),
        "{gaps:#?}"
    );

    // Every tenant is the same estate under its own ids, so every other target holds exactly
    // the findings of its counterpart in the first tenant.
    let targets = r["run"]["targets"].as_array().unwrap();
    assert_eq!(targets.len(), TENANTS * 3);
    let by_target: BTreeMap<&str, (&str, u64)> = targets
        .iter()
        .map(|t| {
            (
                t["target"].as_str().unwrap(),
                (
                    t["outcome"].as_str().unwrap(),
                    t["findings"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    for (target, (outcome, findings)) in &by_target {
        if *target == format!("{victim}-aws") {
            assert_ne!(*outcome, "complete");
            continue;
        }
        let cloud = target.rsplit('-').next().unwrap();
        let reference = by_target[format!("client000-{cloud}").as_str()];
        assert_eq!(*outcome, "complete", "{target}");
        assert_eq!(*findings, reference.1, "{target} lost findings");
        assert!(*findings > 0, "{target}");
    }
    // The portfolio lists every tenant, and only the victim's coverage is incomplete.
    let portfolio = r["summary"]["portfolio"]["tenants"].as_array().unwrap();
    assert_eq!(portfolio.len(), TENANTS);
    for t in portfolio {
        let complete = t["complete"].as_u64().unwrap();
        if t["tenant"] == victim {
            assert_eq!(complete, 2, "{t:#}");
        } else {
            assert_eq!(complete, 3, "{t:#}");
        }
    }
}
