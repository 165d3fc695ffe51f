//! The import speed and memory of Prowler JSON-OCSF, against a native `serde_json` parse of the
//! same file. Each mode runs in its own process so that its peak memory is its own:
//!
//! ```text
//! cargo run --release -p demarc-plugin-import --example bench_prowler -- gen FILE 1000000
//! cargo run --release -p demarc-plugin-import --example bench_prowler -- serde FILE
//! cargo run --release -p demarc-plugin-import --example bench_prowler -- import FILE
//! ```
//!
//! `serde` parses the whole file into the importer's own borrowed types (the fastest a whole-file
//! parse gets); `import` runs the importer's scan natively (streaming, mapping, declaring,
//! building findings) with a sink that drops the findings. Both print seconds, MB/s and findings
//! per second, and the process's peak resident memory (`VmHWM`). `scripts/bench-import` runs the
//! three and compares.

use std::io::Write;
use std::time::Instant;

use demarc_plugin_import::prowler::OcsfFinding;
use demarc_plugin_import::{Cloud, Importer};
use demarc_sdk::bindings::demarc::provider::types::EmitError;
use demarc_sdk::{Emitter, Finding, Input, Provider, ScanRequest};

struct Aws;
impl Cloud for Aws {
    const PROVIDER: &'static str = "aws";
    const PLUGIN: &'static str = "import-aws";
}

const CHECKS: &[(&str, &str, &str)] = &[
    (
        "s3_bucket_secure_transport_policy",
        "AwsS3Bucket",
        r#"{"CIS-7.0":["3.1.1"]}"#,
    ),
    (
        "s3_bucket_default_encryption",
        "AwsS3Bucket",
        r#"{"CIS-7.0":["3.2.1"]}"#,
    ),
    ("s3_bucket_level_public_access_block", "AwsS3Bucket", "{}"),
    (
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
        "AwsEc2SecurityGroup",
        r#"{"CIS-3.0":["5.2"]}"#,
    ),
    (
        "iam_user_accesskey_unused",
        "AwsIamUser",
        r#"{"CIS-7.0":["2.11"]}"#,
    ),
    ("rds_instance_no_public_access", "AwsRdsDbInstance", "{}"),
    (
        "kms_cmk_rotation_enabled",
        "AwsKmsKey",
        r#"{"CIS-7.0":["4.6"]}"#,
    ),
    ("guardduty_is_enabled", "AwsGuardDutyDetector", "{}"),
];

fn generate(path: &str, n: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"[\n").unwrap();
    for i in 0..n {
        let (code, kind, compliance) = CHECKS[(i % CHECKS.len() as u64) as usize];
        let status = ["PASS", "FAIL", "PASS", "MANUAL"][(i % 4) as usize];
        let region = ["eu-west-1", "us-east-1", "eu-central-1"][(i % 3) as usize];
        let uid = format!("arn:aws:s3:::nw-bucket-{i:08}");
        if i > 0 {
            out.write_all(b",\n").unwrap();
        }
        write!(
            out,
            r#"{{"message":"Resource nw-bucket-{i:08} was evaluated by {code}.","metadata":{{"event_code":"{code}","product":{{"name":"Prowler","uid":"prowler","vendor_name":"Prowler","version":"5.14.1"}},"profiles":["cloud","datetime"],"tenant_uid":"","version":"1.5.0"}},"severity_id":3,"severity":"Medium","status":"New","status_code":"{status}","status_detail":"Resource nw-bucket-{i:08} was evaluated by {code}.","status_id":1,"unmapped":{{"related_url":"","categories":["encryption"],"depends_on":[],"related_to":[],"additional_urls":["https://docs.example.org/{code}"],"notes":"","compliance":{compliance}}},"activity_name":"Create","activity_id":1,"finding_info":{{"created_time":1793520000,"created_time_dt":"2026-11-01T08:00:00.000000+00:00","desc":"Checks {code}.","product_uid":"prowler","title":"Check {code}.","types":[],"uid":"prowler-aws-{code}-482913650271-{region}-{i}"}},"resources":[{{"cloud_partition":"aws","region":"{region}","data":{{"details":"","metadata":{{"name":"nw-bucket-{i:08}"}}}},"group":{{"name":"s3"}},"labels":[],"name":"nw-bucket-{i:08}","type":"{kind}","uid":"{uid}"}}],"category_name":"Findings","category_uid":2,"class_name":"Detection Finding","class_uid":2004,"cloud":{{"account":{{"name":"","type":"AWS Account","type_id":10,"uid":"482913650271","labels":[]}},"org":{{"name":"","uid":""}},"provider":"aws","region":"{region}"}},"remediation":{{"desc":"Follow the remediation of {code}.","references":[]}},"risk_details":"Weakens the estate.","time":1793520000,"time_dt":"2026-11-01T08:00:00Z","type_uid":200401,"type_name":"Detection Finding: Create"}}"#
        )
        .unwrap();
    }
    out.write_all(b"\n]\n").unwrap();
}

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn report(mode: &str, path: &str, secs: f64, items: u64) {
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64;
    println!(
        "{mode}: {items} findings in {secs:.2} s: {:.0} MB/s, {:.0} findings/s, peak RSS {:.0} MiB",
        bytes / secs / 1e6,
        items as f64 / secs,
        peak_mib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, path) = (args.get(1).map(String::as_str), args.get(2));
    match (mode, path) {
        (Some("gen"), Some(path)) => {
            let n = args
                .get(3)
                .and_then(|n| n.parse().ok())
                .unwrap_or(1_000_000);
            generate(path, n);
        }
        (Some("serde"), Some(path)) => {
            let start = Instant::now();
            let bytes = std::fs::read(path).unwrap();
            let items: Vec<OcsfFinding<'_>> = serde_json::from_slice(&bytes).unwrap();
            let n = items.len() as u64;
            report("serde_json", path, start.elapsed().as_secs_f64(), n);
        }
        (Some("import"), Some(path)) => {
            let file = std::path::Path::new(path);
            let request = ScanRequest {
                tenant: "bench".into(),
                target: "bench".into(),
                snapshot_root: file.parent().unwrap().to_string_lossy().into_owned(),
                inputs: vec![Input {
                    path: file.file_name().unwrap().to_string_lossy().into_owned(),
                    format: Some("prowler-ocsf".into()),
                }],
                now: "2026-11-01T12:00:00Z".into(),
            };
            let start = Instant::now();
            let mut count = 0u64;
            let mut sink = |batch: &[Finding]| -> Result<(), EmitError> {
                count += batch.len() as u64;
                Ok(())
            };
            let (summary, unmapped) = {
                let mut out = Emitter::new(&mut sink);
                let summary = Importer::<Aws>::scan(&request, &mut out).unwrap();
                out.flush().unwrap();
                // Checks declared with no control: the report keeps their findings as unmapped.
                let unmapped = out
                    .declared()
                    .iter()
                    .filter(|c| c.controls.is_empty())
                    .count();
                (summary, unmapped)
            };
            let secs = start.elapsed().as_secs_f64();
            report("import", path, secs, summary.resources);
            println!(
                "import: {count} findings emitted ({unmapped} checks that map to no control among \
                 their checks), {} problems",
                summary.problems.len()
            );
        }
        _ => {
            eprintln!("usage: bench_prowler gen FILE [N] | serde FILE | import FILE");
            std::process::exit(2);
        }
    }
}
