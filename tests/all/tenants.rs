//! Tenants are apart: one tenant's export cannot erase or replace another tenant's finding,
//! accounts are checked against the target that reports them, and two targets of one tenant
//! that disagree are a conflict, not settled silently by plan order.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{demarc, describe, gaps, report, root, write_config};

const VICTIM_ACCOUNT: &str = "123456789012";
const ATTACKER_ACCOUNT: &str = "210987654321";
const OPEN_SG: &str = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0d3297cc5de50b97e";
const ADMIN_PORT: &str = "aws-ec2-sg-admin-port-open";

/// The configuration items of the fixture snapshot (account 123456789012): `launch-wizard-1`
/// open on tcp 22 to the world, and `web-https`.
pub(crate) fn fixture_items() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("tests/fixtures/aws/minimal.json")).unwrap();
    let snapshot: Value = serde_json::from_str(&text).unwrap();
    snapshot["configurationItems"].as_array().unwrap().clone()
}

/// A copy of the open security group with its rules removed: it passes every check.
pub(crate) fn harmless_copy() -> Value {
    let mut sg = fixture_items()
        .into_iter()
        .find(|i| i["ARN"] == OPEN_SG)
        .unwrap();
    sg["configuration"]["ipPermissions"] = json!([]);
    sg
}

/// A security group of the attacker's own account, open on tcp 22 like the victim's.
fn own_item() -> Value {
    let mut sg = harmless_copy();
    let arn = OPEN_SG.replace(VICTIM_ACCOUNT, ATTACKER_ACCOUNT);
    sg["ARN"] = json!(arn);
    sg["awsAccountId"] = json!(ATTACKER_ACCOUNT);
    sg["configuration"]["ownerId"] = json!(ATTACKER_ACCOUNT);
    sg
}

/// Write `items` as an AWS Config snapshot `config-snapshot.json` in `dir/name`.
pub(crate) fn snapshot(dir: &Path, name: &str, items: Vec<Value>) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    let body = json!({
        "fileVersion": "1.0",
        "configSnapshotId": format!("snap-{name}"),
        "configurationItems": items,
    });
    std::fs::write(path.join("config-snapshot.json"), body.to_string()).unwrap();
    path
}

/// One `[[tenant.target]]` table; `accounts` is written as given (a TOML array) when set.
pub(crate) fn target(id: &str, snapshot: &Path, accounts: Option<&str>) -> String {
    let mut t = format!(
        "\n[[tenant.target]]\nid = \"{id}\"\nprovider = \"aws\"\nsnapshot = \"{}\"\ninputs = [\"config-snapshot.json\"]\n",
        snapshot.display()
    );
    if let Some(a) = accounts {
        t.push_str(&format!("accounts = {a}\n"));
    }
    t
}

fn scan(dir: &Path, config: &str) -> (std::process::Output, Value) {
    let cfg = write_config(dir, &format!("now = \"2026-11-01T00:00:00Z\"\n{config}"));
    let out_dir = dir.join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        dir,
    );
    let r = report(&out_dir);
    crate::schema::assert_valid(&r);
    (out, r)
}

fn findings<'a>(r: &'a Value, tenant: &str, resource: &str, check: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["tenant"] == tenant && f["resource"]["id"] == resource && f["check"]["id"] == check
        })
        .collect()
}

fn gaps_of(r: &Value, kind: &str) -> Vec<Value> {
    gaps(r).into_iter().filter(|g| g["kind"] == kind).collect()
}

fn run_target<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == id)
        .unwrap()
}

/// The victim's critical `fail` stays whatever the attacker's export carries.
fn assert_victim_fail_stands(r: &Value) {
    let victim = findings(r, "victim", OPEN_SG, ADMIN_PORT);
    assert_eq!(victim.len(), 1, "{victim:#?}");
    assert_eq!(victim[0]["status"], "fail");
    assert_eq!(victim[0]["target"], "victim-aws");
}

/// The attack: a copy of the victim's open security group, without its rules, in another
/// tenant's export, with that tenant first in plan order. Before tenants were part of a
/// finding's id, the copy's `pass` replaced the victim's `fail` and the run exited 0. Now both
/// stand, each under its tenant, and the account they share is a gap naming both tenants.
#[test]
fn a_copied_resource_in_another_tenants_export_cannot_replace_its_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let attacker = snapshot(tmp.path(), "attacker", vec![harmless_copy(), own_item()]);
    let victim = snapshot(tmp.path(), "victim", fixture_items());
    let config = format!(
        "[[tenant]]\nid = \"attacker\"\n{}\n[[tenant]]\nid = \"victim\"\n{}",
        target("attacker-aws", &attacker, None),
        target("victim-aws", &victim, None)
    );
    let (out, r) = scan(tmp.path(), &config);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));

    assert_victim_fail_stands(&r);
    let copy = findings(&r, "attacker", OPEN_SG, ADMIN_PORT);
    assert_eq!(copy.len(), 1, "the attacker's pass is its own finding");
    assert_eq!(copy[0]["status"], "pass");
    assert_ne!(
        copy[0]["id"],
        findings(&r, "victim", OPEN_SG, ADMIN_PORT)[0]["id"]
    );
    assert_eq!(r["summary"]["duplicates"], 0, "nothing crossed tenants");

    // The host learned each target's accounts and recorded them.
    assert_eq!(
        run_target(&r, "attacker-aws")["accounts"],
        json!([VICTIM_ACCOUNT, ATTACKER_ACCOUNT])
    );
    assert_eq!(
        run_target(&r, "victim-aws")["accounts"],
        json!([VICTIM_ACCOUNT])
    );

    let clash = gaps_of(&r, "account-clash");
    assert_eq!(clash.len(), 1, "{:#?}", gaps(&r));
    let g = &clash[0];
    assert_eq!(
        (&g["tenant"], &g["target"]),
        (&json!("victim"), &json!("victim-aws"))
    );
    let msg = g["message"].as_str().unwrap();
    for want in [
        "aws account `123456789012`",
        "tenant `attacker` (target `attacker-aws`)",
        "tenant `victim` (target `victim-aws`)",
    ] {
        assert!(msg.contains(want), "missing {want:?} in {msg}");
    }
    assert_eq!(gaps(&r).len(), 1, "{:#?}", gaps(&r));
    assert_eq!(run_target(&r, "victim-aws")["outcome"], "partial");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("coverage: INCOMPLETE"), "{stdout}");
}

/// The same attack on a target that declares its account: the copy is rejected by the host,
/// never written, and one `foreign-account` gap names the account and counts the findings.
#[test]
fn a_target_that_declares_its_accounts_rejects_findings_for_others() {
    let tmp = tempfile::tempdir().unwrap();
    let attacker = snapshot(tmp.path(), "attacker", vec![harmless_copy(), own_item()]);
    let victim = snapshot(tmp.path(), "victim", fixture_items());
    let config = format!(
        "[[tenant]]\nid = \"attacker\"\n{}\n[[tenant]]\nid = \"victim\"\n{}",
        target(
            "attacker-aws",
            &attacker,
            Some(&format!("[\"{ATTACKER_ACCOUNT}\"]"))
        ),
        target(
            "victim-aws",
            &victim,
            Some(&format!("[\"{VICTIM_ACCOUNT}\"]"))
        )
    );
    let (out, r) = scan(tmp.path(), &config);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));

    assert_victim_fail_stands(&r);
    let attacker_findings: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["tenant"] == "attacker")
        .collect();
    assert!(!attacker_findings.is_empty());
    assert!(
        attacker_findings
            .iter()
            .all(|f| f["account"] == ATTACKER_ACCOUNT),
        "no finding of the foreign account is written: {attacker_findings:#?}"
    );
    let rejected = findings(&r, "attacker", OPEN_SG, ADMIN_PORT);
    assert!(rejected.is_empty(), "{rejected:#?}");

    let all = gaps(&r);
    assert_eq!(all.len(), 1, "one gap, and no account clash: {all:#?}");
    let g = &all[0];
    assert_eq!(g["kind"], "foreign-account");
    assert_eq!(
        (&g["tenant"], &g["target"]),
        (&json!("attacker"), &json!("attacker-aws"))
    );
    let msg = g["message"].as_str().unwrap();
    // Every finding the plugin made of the copy (the group's checks, the account's) is counted.
    let n: u64 = msg
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {msg}"));
    assert!(n >= 2, "{msg}");
    assert!(
        msg.starts_with(&format!(
            "{n} findings rejected for accounts the target does not declare: `{VICTIM_ACCOUNT}` ({n})"
        )),
        "{msg}"
    );
    assert!(
        msg.ends_with(&format!("the target holds `{ATTACKER_ACCOUNT}`")),
        "{msg}"
    );
    assert_eq!(
        run_target(&r, "attacker-aws")["accounts"],
        json!([ATTACKER_ACCOUNT])
    );
    assert_eq!(run_target(&r, "attacker-aws")["outcome"], "partial");
    assert_eq!(run_target(&r, "victim-aws")["outcome"], "complete");
}

/// Two targets of one tenant disagree on the open security group: the first in plan order is
/// kept, and a `conflict` gap names both targets, the resource, the check and both statuses.
#[test]
fn two_targets_of_one_tenant_that_disagree_are_a_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let one = snapshot(tmp.path(), "one", fixture_items());
    let two = snapshot(tmp.path(), "two", vec![harmless_copy()]);
    let config = format!(
        "[[tenant]]\nid = \"acme\"\n{}{}",
        target("acme-one", &one, None),
        target("acme-two", &two, None)
    );
    let (out, r) = scan(tmp.path(), &config);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let kept = findings(&r, "acme", OPEN_SG, ADMIN_PORT);
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (&kept[0]["status"], &kept[0]["target"]),
        (&json!("fail"), &json!("acme-one"))
    );

    let all = gaps(&r);
    assert_eq!(all.len(), 1, "{all:#?}");
    let g = &all[0];
    assert_eq!(g["kind"], "conflict");
    assert_eq!(
        (&g["tenant"], &g["target"]),
        (&json!("acme"), &json!("acme-two"))
    );
    let msg = g["message"].as_str().unwrap();
    for want in [
        "targets `acme-one` and `acme-two` of tenant `acme`",
        &format!(
            "resource `{OPEN_SG}`, check `{ADMIN_PORT}`: `fail` in `acme-one`, `pass` in `acme-two`"
        ),
    ] {
        assert!(msg.contains(want), "missing {want:?} in {msg}");
    }
    assert_eq!(r["summary"]["gaps"]["conflict"], 1);
    assert_eq!(run_target(&r, "acme-two")["outcome"], "partial");
}

/// Two targets of one tenant that agree (overlapping exports) are plain duplicates: dropped,
/// counted, no gap, exit 0.
#[test]
fn two_targets_of_one_tenant_that_agree_are_plain_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let one = snapshot(tmp.path(), "one", fixture_items());
    let two = snapshot(tmp.path(), "two", fixture_items());
    let config = format!(
        "[[tenant]]\nid = \"acme\"\n{}{}",
        target("acme-one", &one, Some(&format!("[\"{VICTIM_ACCOUNT}\"]"))),
        target("acme-two", &two, None)
    );
    let (out, r) = scan(tmp.path(), &config);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(gaps(&r).is_empty(), "{:#?}", gaps(&r));
    let written = r["findings"].as_array().unwrap();
    assert!(written.iter().all(|f| f["target"] == "acme-one"));
    assert_eq!(r["summary"]["duplicates"], json!(written.len()));
    assert_eq!(run_target(&r, "acme-two")["findings"], json!(written.len()));
}

/// `accounts` is checked like every other key: an empty list, an empty id, and one account
/// declared by two tenants are configuration errors naming the key.
#[test]
fn bad_or_shared_declared_accounts_are_configuration_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = snapshot(tmp.path(), "s", fixture_items());
    let config = format!(
        "[[tenant]]\nid = \"a\"\n{}{}\n[[tenant]]\nid = \"b\"\n{}",
        target("a-one", &snap, Some("[]")),
        target("a-two", &snap, Some("[\"111122223333\", \" \"]")),
        target("b-one", &snap, Some("[\"111122223333\"]"))
    );
    let cfg = write_config(tmp.path(), &config);
    let out = demarc(&["scan", "--config", cfg.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "demarc.toml: tenant[0].target[0].accounts: lists no account",
        "demarc.toml: tenant[0].target[1].accounts[1]: \" \" is not an account id",
        "demarc.toml: tenant[1].target[0].accounts[0]: aws account `111122223333` is already declared by tenant `a` (tenant[0].target[1].accounts[0])",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
}
