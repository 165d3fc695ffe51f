//! MSSP benchmark: an estate of many client tenants, each with an AWS, an Azure and a Google
//! Cloud target, configured one file per tenant (`include = ["tenants/*.toml"]`), scanned in one
//! run by the release `demarc` binary (real sandboxes, real plugins, report written).
//!
//! Each tenant's exports are the demo's Northwind production exports (AWS Config snapshots and
//! credential report, Azure Resource Graph exports, Cloud Asset Inventory NDJSON) with that
//! tenant's own AWS account, Azure subscription and Google Cloud project written into every id,
//! so that tenants never share an account and the host's account checks hold.
//!
//! Then one tenant's AWS snapshot is cut in half (a truncated download) and the estate scanned
//! again: the run must exit 3, that tenant's AWS target must be a gap naming the file, and every
//! other target must be complete with the same findings as before. The benchmark fails (panics)
//! if it is not so.
//!
//! Run: `cargo bench -p demarc --bench mssp` (200 tenants; or pass a count: `-- 50`; `--keep
//! DIR` to leave the estate in DIR). Reports wall time, peak RSS of the scan process, targets,
//! resources and findings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../../../tests/support/mssp_estate.rs"]
mod mssp_estate;
use mssp_estate::generate;
#[path = "../../../tests/support/peak_rss.rs"]
mod peak_rss;
use peak_rss::wait_with_peak_rss;

struct Scan {
    code: Option<i32>,
    secs: f64,
    rss: f64,
    report: serde_json::Value,
}

fn scan(bin: &Path, config: &Path, out: &Path, cache: &Path) -> Scan {
    let start = Instant::now();
    let child = Command::new(bin)
        .args(["scan", "--quiet", "--format", "json,html", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .env("DEMARC_CACHE_DIR", cache)
        .env_remove("RUST_LOG")
        .spawn()
        .expect("start demarc");
    let (code, rss) = wait_with_peak_rss(child);
    let secs = start.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json written");
    Scan {
        code,
        secs,
        rss,
        report: serde_json::from_str(&text).unwrap(),
    }
}

/// Findings per target.
fn per_target(r: &serde_json::Value) -> BTreeMap<String, u64> {
    r["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["target"].as_str().unwrap().to_string(),
                t["findings"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tenants: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(200)
        .max(2);
    let keep = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);

    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "demarc", "--bin", "demarc"])
        .status()
        .unwrap();
    assert!(status.success());
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/demarc");

    let tmp = tempfile::tempdir().unwrap();
    let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let t0 = Instant::now();
    let config = generate(&dir, tenants);
    let bytes: u64 = walk(&dir.join("estate"))
        .iter()
        .map(|e| std::fs::metadata(e).unwrap().len())
        .sum();
    println!(
        "estate: {tenants} tenants x 3 clouds, {:.1} MiB of exports, generated in {:.1}s",
        bytes as f64 / (1 << 20) as f64,
        t0.elapsed().as_secs_f64()
    );
    let cache = dir.join(".cache");
    // Warm the compile cache, as every run after an MSSP's first does.
    scan(&bin, &config, &dir.join("warm"), &cache);

    let clean = scan(&bin, &config, &dir.join("clean"), &cache);
    let r = &clean.report;
    let findings = r["findings"].as_array().unwrap().len();
    let res: u64 = r["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["resources"].as_u64().unwrap())
        .sum();
    let targets = r["run"]["targets"].as_array().unwrap().len();
    println!(
        "clean scan: exit {:?}, {:.2}s wall, peak RSS {:.0} MiB, {targets} targets, {res} resources ({:.0} per tenant), {findings} findings, {} gaps",
        clean.code,
        clean.secs,
        clean.rss,
        res as f64 / tenants as f64,
        r["gaps"].as_array().unwrap().len()
    );
    assert_eq!(targets, tenants * 3);
    assert!(r["gaps"].as_array().unwrap().is_empty(), "{:#}", r["gaps"]);

    // One tenant's AWS snapshot, cut in half.
    let victim = format!("client{:03}", tenants / 2);
    let file = dir
        .join("estate")
        .join(&victim)
        .join("aws/config-snapshot.json");
    let text = std::fs::read(&file).unwrap();
    std::fs::write(&file, &text[..text.len() / 2]).unwrap();
    let broken = scan(&bin, &config, &dir.join("broken"), &cache);
    println!(
        "one tenant's snapshot truncated: exit {:?}, {:.2}s wall, peak RSS {:.0} MiB, {} gaps",
        broken.code,
        broken.secs,
        broken.rss,
        broken.report["gaps"].as_array().unwrap().len()
    );
    assert_eq!(broken.code, Some(3), "a lost target exits 3");
    let gaps = broken.report["gaps"].as_array().unwrap();
    assert!(
        !gaps.is_empty()
            && gaps.iter().all(|g| g["tenant"] == victim.as_str()
                && g["target"] == format!("{victim}-aws").as_str()),
        "{gaps:#?}"
    );
    assert!(
        gaps.iter()
            .any(|g| g.to_string().contains("config-snapshot.json")),
        "the gap names the file: {gaps:#?}"
    );
    let (before, after) = (per_target(&clean.report), per_target(&broken.report));
    let mut same = 0;
    for (target, n) in &before {
        if target != &format!("{victim}-aws") {
            assert_eq!(after.get(target), Some(n), "{target} lost findings");
            same += 1;
        }
    }
    let complete = broken.report["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] == "complete")
        .count();
    println!(
        "  the other {same} targets kept every finding; {complete} of {targets} complete; the gap: {}",
        gaps[0]["message"]
    );
    if let Some(k) = keep {
        println!("estate kept in {}", k.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
