//! `demarc merge`: the shards of a run (`scan --shard I/N`) merged give the report of a single
//! run, whatever the order, grouping and repeats; reports of different runs are refused; a
//! shard left out is named.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::tenants::{fixture_items, harmless_copy, snapshot, target};
use crate::{demarc, describe, report, root, write_config};

const PIN: &str = "2026-11-02T00:00:00Z";

fn demo_config() -> PathBuf {
    root().join("examples/demo/demarc.toml")
}

/// `demarc scan` of `config` into `out` (`shard` like `2/4`), pinned unless `pin` is false.
fn scan(config: &Path, out: &Path, shard: Option<&str>, pin: bool) -> std::process::Output {
    let mut args = vec![
        "scan",
        "--quiet",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    if pin {
        args.extend(["--pin-time", PIN]);
    }
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    demarc(&args, out.parent().unwrap())
}

/// `demarc merge` of `inputs` (report.json files) into `out`.
fn merge(config: &Path, inputs: &[PathBuf], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "merge".to_string(),
        "--quiet".into(),
        "--config".into(),
        config.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    demarc(&args, out.parent().unwrap())
}

/// A single run and its `n` shards of `config`, in `dir`: (single, shards).
fn single_and_shards(config: &Path, dir: &Path, n: u32, pin: bool) -> (PathBuf, Vec<PathBuf>) {
    let single = dir.join("single");
    let o = scan(config, &single, None, pin);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", describe(&o));
    let mut shards = Vec::new();
    for i in 1..=n {
        let out = dir.join(format!("shard-{i}-of-{n}"));
        let o = scan(config, &out, Some(&format!("{i}/{n}")), pin);
        assert!(matches!(o.status.code(), Some(0 | 3)), "{}", describe(&o));
        shards.push(out.join("report.json"));
    }
    (single.join("report.json"), shards)
}

/// Where two JSON values first differ, as a path and both values (or None).
fn difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (u, v) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = difference(u, v, &format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| difference(u, v, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a:#}\n  vs {b:#}")),
    }
}

/// The two reports are the same byte for byte; where not, the first difference is shown.
fn same_report(got: &Path, want: &Path, what: &str) {
    let (g, w) = (read(got), read(want));
    if g != w {
        let d = difference(
            &serde_json::from_str(&g).unwrap(),
            &serde_json::from_str(&w).unwrap(),
            "",
        );
        panic!("{what}: the merged report differs from the single run's: {d:?}");
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// A report without what depends on when and how fast each process ran: `run.started` and
/// `run.finished` (each shard starts and ends on its own; the merge takes the earliest start
/// and the latest end) and `run.targets[].millis` (a target's scan time varies from one run to
/// the next, with the machine's load).
fn untimed(path: &Path) -> Value {
    let mut r: Value = serde_json::from_str(&read(path)).unwrap();
    let run = r["run"].as_object_mut().unwrap();
    run.remove("started");
    run.remove("finished");
    for t in run["targets"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("millis");
    }
    r
}

#[test]
fn the_demo_scanned_whole_and_as_four_merged_shards_gives_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let config = demo_config();
    let (single, shards) = single_and_shards(&config, tmp.path(), 4, false);
    let out = tmp.path().join("merged");
    let o = merge(&config, &shards, &out, &["--format", "all"]);
    let want = report(single.parent().unwrap());
    assert_eq!(
        o.status.code(),
        Some(if want["gaps"].as_array().unwrap().is_empty() {
            0
        } else {
            3
        }),
        "{}",
        describe(&o)
    );
    let merged = out.join("report.json");
    crate::schema::assert_valid(&report(&out));
    assert!(
        untimed(&merged) == untimed(&single),
        "the merged report differs from the single run's"
    );
    assert!(report(&out)["run"].get("shard").is_none());
    assert!(!want["findings"].as_array().unwrap().is_empty());
    // Every format is written, as by scan.
    for name in [
        "report.html",
        "report.sarif",
        "report.ocsf.json",
        "report.csv",
        "report.md",
    ] {
        assert!(out.join(name).is_file(), "{name} not written");
    }
}

/// An estate whose targets disagree and overlap across shards: two targets of one tenant that
/// report the same findings (duplicates), two of another tenant that disagree on one (a
/// conflict), and a third tenant's target holding the first one's account (an account clash).
///
/// (Not here: one finding reported by three targets of a tenant, two agreeing and one not,
/// spread over shards; see the README on `demarc merge`.)
fn tangled_estate(dir: &Path) -> PathBuf {
    let one = snapshot(dir, "one", fixture_items());
    let two = snapshot(dir, "two", fixture_items());
    let open = snapshot(dir, "open", fixture_items());
    let closed = snapshot(dir, "closed", vec![harmless_copy()]);
    let other = snapshot(dir, "other", fixture_items());
    write_config(
        dir,
        &format!(
            "name = \"tangled\"\nnow = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"acme\"\n{}{}\n[[tenant]]\nid = \"initech\"\n{}{}\n[[tenant]]\nid = \"globex\"\n{}",
            target("acme-one", &one, None),
            target("acme-two", &two, None),
            target("initech-open", &open, None),
            target("initech-closed", &closed, None),
            target("globex-main", &other, None),
        ),
    )
}

#[test]
fn duplicates_conflicts_and_clashes_across_shards_come_out_as_in_a_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tangled_estate(tmp.path());
    // Pairs of targets that some shard count puts in different shards.
    let mut apart = std::collections::BTreeSet::new();
    for n in [2, 3, 4, 5] {
        let dir = tmp.path().join(format!("n{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (single, shards) = single_and_shards(&config, &dir, n, true);
        let want = report(single.parent().unwrap());
        let kinds: Vec<&str> = want["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"conflict") && kinds.contains(&"account-clash"),
            "{kinds:?}"
        );
        assert!(want["summary"]["duplicates"].as_u64().unwrap() > 0);
        let out = dir.join("merged");
        let o = merge(&config, &shards, &out, &["--format", "json"]);
        assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
        same_report(&out.join("report.json"), &single, &format!("{n} shards"));
        let shard_of = |id: &str| {
            shards
                .iter()
                .position(|s| {
                    report(s.parent().unwrap())["run"]["targets"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t["target"] == id)
                })
                .unwrap()
        };
        for (a, b) in [("acme-one", "acme-two"), ("initech-open", "initech-closed")] {
            if shard_of(a) != shard_of(b) {
                apart.insert(a);
            }
        }
    }
    assert_eq!(apart.len(), 2, "no shard count split the pairs: {apart:?}");
}

#[test]
fn reports_of_different_runs_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let config = demo_config();
    let (_, shards) = single_and_shards(&config, tmp.path(), 4, true);
    let edit = |name: &str, change: &dyn Fn(&mut Value)| -> PathBuf {
        let mut r: Value = serde_json::from_str(&read(&shards[0])).unwrap();
        change(&mut r);
        let path = tmp.path().join(name);
        std::fs::write(&path, r.to_string()).unwrap();
        path
    };
    let refused = |inputs: &[PathBuf], name: &Path, want: &str| {
        let out = tmp.path().join("refused");
        let o = merge(&config, inputs, &out, &[]);
        assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&name.display().to_string()), "{err}");
        assert!(err.contains(want), "missing {want:?} in {err}");
        assert!(!out.join("report.json").exists());
    };
    let later = edit("later.json", &|r| {
        r["run"]["now"] = json!("2026-12-01T00:00:00Z")
    });
    refused(&[shards[1].clone(), later.clone()], &later, "run.now");
    let old = edit("old.json", &|r| r["schema"] = json!("demarc.report/0.1"));
    refused(&[old.clone(), shards[1].clone()], &old, "demarc.report/0.1");
    let three = edit("three.json", &|r| r["run"]["shard"] = json!("1/3"));
    refused(&[shards[1].clone(), three.clone()], &three, "do not add up");
    let changed = edit("changed.json", &|r| {
        let t = &mut r["run"]["targets"][0];
        t["resources"] = json!(t["resources"].as_u64().unwrap() + 1);
    });
    refused(
        &[shards[0].clone(), changed.clone()],
        &changed,
        "different content",
    );
    let other = edit("other.json", &|r| {
        r["run"]["estate"] = json!("another estate")
    });
    refused(std::slice::from_ref(&other), &other, "estate");
}

#[test]
fn a_shard_left_out_is_named_and_its_targets_are_gaps() {
    let tmp = tempfile::tempdir().unwrap();
    let config = demo_config();
    let (single, shards) = single_and_shards(&config, tmp.path(), 4, true);
    let whole = report(single.parent().unwrap());
    // The shard with the most targets is left out.
    let (left_out, lost) = shards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i,
                report(s.parent().unwrap())["run"]["targets"]
                    .as_array()
                    .unwrap()
                    .len(),
            )
        })
        .max_by_key(|(_, n)| *n)
        .unwrap();
    assert!(lost > 0);
    let kept: Vec<PathBuf> = (0..4)
        .filter(|i| *i != left_out)
        .map(|i| shards[i].clone())
        .collect();
    let out = tmp.path().join("partial");
    let o = merge(&config, &kept, &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
    let r = report(&out);
    crate::schema::assert_valid(&r);
    let present: Vec<String> = (1..=4)
        .filter(|i| *i != left_out + 1)
        .map(|i| i.to_string())
        .collect();
    assert_eq!(r["run"]["shard"], json!(format!("{}/4", present.join(","))));
    let shard = format!("shard {}/4 is not in this merge", left_out + 1);
    let missing: Vec<&Value> = r["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["message"].as_str().unwrap().starts_with(&shard))
        .collect();
    assert!(missing.len() >= lost, "{missing:#?}");
    assert_eq!(
        r["run"]["targets"].as_array().unwrap().len() + lost,
        whole["run"]["targets"].as_array().unwrap().len()
    );
    // The left-out shard added later completes the run.
    let done = tmp.path().join("done");
    let o = merge(
        &config,
        &[out.join("report.json"), shards[left_out].clone()],
        &done,
        &[],
    );
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", describe(&o));
    assert_eq!(read(&done.join("report.json")), read(&single));
}

/// The demo's single run and shards, made once for every case of the property below.
struct Pool {
    _dir: tempfile::TempDir,
    single: PathBuf,
    shards: Vec<PathBuf>,
}

fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (single, shards) = single_and_shards(&demo_config(), dir.path(), 4, true);
        Pool {
            _dir: dir,
            single,
            shards,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    /// Merge is commutative, associative and idempotent: the shards split into two groups (in
    /// a random order, with repeats), each group merged, then the two merged reports merged
    /// with some shards again, give the single run's report byte for byte; each group merged
    /// in reverse gives the same report; and the result merged with itself is itself.
    #[test]
    fn any_grouping_order_and_repeats_of_the_shards_merge_into_the_single_run(
        order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
        split in 0usize..=4,
        repeats in proptest::collection::vec(0usize..4, 0..3),
    ) {
        let p = pool();
        let config = demo_config();
        let tmp = tempfile::tempdir().unwrap();
        let mut n = 0;
        let mut merged = |inputs: Vec<PathBuf>| -> PathBuf {
            n += 1;
            let out = tmp.path().join(format!("m{n}"));
            let o = merge(&config, &inputs, &out, &["--format", "json"]);
            assert!(matches!(o.status.code(), Some(0 | 3)), "{}", describe(&o));
            out.join("report.json")
        };
        let group = |ids: &[usize]| ids.iter().map(|&i| p.shards[i].clone()).collect::<Vec<_>>();
        let (a, b) = order.split_at(split);
        let mut b = b.to_vec();
        b.extend(&repeats);
        let mut last = Vec::new();
        for g in [a.to_vec(), b] {
            if g.is_empty() {
                continue;
            }
            let m = merged(group(&g));
            let mut rev = g.clone();
            rev.reverse();
            let r = merged(group(&rev));
            prop_assert_eq!(read(&m), read(&r));
            last.push(m);
        }
        last.reverse();
        last.extend(group(&repeats));
        let all = merged(last);
        prop_assert_eq!(read(&all), read(&p.single));
        let again = merged(vec![all.clone(), all.clone(), p.single.clone()]);
        prop_assert_eq!(read(&again), read(&p.single));
    }
}

#[test]
fn scripts_shard_merge_runs_the_shards_as_processes_and_merges_them() {
    let tmp = tempfile::tempdir().unwrap();
    let config = demo_config();
    let single = tmp.path().join("single");
    let o = scan(&config, &single, None, true);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = tmp.path().join("sharded");
    let o = {
        let _cpu = crate::shared_cpu();
        std::process::Command::new("bash")
            .arg(root().join("scripts/shard-merge"))
            .args([
                "-n",
                "3",
                "--demarc",
                env!("CARGO_BIN_EXE_demarc"),
                "--config",
            ])
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .args(["--format", "json,md", "--", "--pin-time", PIN])
            .current_dir(tmp.path())
            .env("DEMARC_CACHE_DIR", tmp.path().join(".cache"))
            .env_remove("DEMARC_REFERENCE_DATA")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    for i in 1..=3 {
        let shard = report(&out.join(format!("shards/{i}")));
        assert_eq!(shard["run"]["shard"], json!(format!("{i}/3")));
    }
    same_report(
        &out.join("report.json"),
        &single.join("report.json"),
        "shard-merge",
    );
    assert!(out.join("report.md").is_file());

    // A shard that cannot scan stops the script with its error, and nothing is merged.
    let bad = tmp.path().join("bad");
    let o = std::process::Command::new("bash")
        .arg(root().join("scripts/shard-merge"))
        .args([
            "-n",
            "2",
            "--demarc",
            env!("CARGO_BIN_EXE_demarc"),
            "--config",
        ])
        .arg(tmp.path().join("missing.toml"))
        .arg("--out")
        .arg(&bad)
        .env("DEMARC_CACHE_DIR", tmp.path().join(".cache"))
        .env_remove("DEMARC_REFERENCE_DATA")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("shard 1/2"),
        "{}",
        describe(&o)
    );
    assert!(!bad.join("report.json").exists());
}

/// Suppressions in force, expired (whose findings the approver must act on, as the finding's
/// message says) and stale: marked once by the shard that scanned the finding, counted again
/// over the merged run.
#[test]
fn suppressed_findings_merge_as_a_single_run_marks_them() {
    let tmp = tempfile::tempdir().unwrap();
    let config =
        crate::suppressions::estate(&tmp.path().join("estate"), crate::suppressions::MUTES);
    let (single, shards) = single_and_shards(&config, tmp.path(), 3, true);
    let want = report(single.parent().unwrap());
    let marks = want["run"]["suppressions"].as_array().unwrap();
    assert!(
        marks.iter().any(|s| s["expired"] == json!(true)),
        "{marks:#?}"
    );
    assert!(
        marks.iter().any(|s| s["matched"].as_u64() > Some(0)),
        "{marks:#?}"
    );
    let out = tmp.path().join("merged");
    let o = merge(&config, &shards, &out, &["--format", "json"]);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", describe(&o));
    same_report(&out.join("report.json"), &single, "suppressions");
}

/// The demo with its imports of other tools (`examples/demo/tools.toml`) in three shards: each
/// shard records the importers its targets use and the tool checks they declared there, so their
/// `run.plugins` differ; merged, they give the single run's report, fused findings included.
#[test]
fn shards_of_the_several_tool_demo_merge_into_the_single_runs_report() {
    let tmp = tempfile::tempdir().unwrap();
    let config = crate::root().join("examples/demo/tools.toml");
    let (single, shards) = single_and_shards(&config, tmp.path(), 3, true);
    let plugins: Vec<Value> = shards
        .iter()
        .map(|s| serde_json::from_str::<Value>(&read(s)).unwrap()["run"]["plugins"].clone())
        .collect();
    assert!(
        plugins.iter().any(|p| *p != plugins[0]),
        "the shards record the same plugins: nothing to unite"
    );
    let out = tmp.path().join("merged");
    let o = merge(&config, &shards, &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
    let merged = out.join("report.json");
    if let Some(d) = difference(&untimed(&merged), &untimed(&single), "") {
        panic!("the merged report differs from the single run's: {d}");
    }
    assert!(report(&out)["summary"]["fused"].as_u64().unwrap() > 0);
}
