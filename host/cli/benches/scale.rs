//! Scale benchmark: synthetic estates of 100k and 1M resources split across the three clouds —
//! an AWS Config snapshot, an Azure Resource Graph export and a Google Cloud Asset Inventory
//! NDJSON export, a third each — scanned end to end by the release `demarc` binary (real
//! sandboxes, real plugins, report written), and compared in the same run with plain native
//! `serde_json` parsing of the same files.
//!
//! AWS items come from a generator with a realistic type mix; Azure rows and GCP assets are the
//! demo estate's own exports replicated with fresh ids, so every shape the plugins read is one
//! they also read in the tests.
//!
//! Run: `cargo bench -p demarc --bench scale` (or pass item counts: `-- 100000 1000000`; add
//! `--runs R` to time everything R times and report medians; `--split K` to write each cloud's
//! third as K exports, one target each, as in an estate of many accounts; `--keep DIR` to leave
//! the estates in DIR for profiling; `--format LIST` to scan with `--format LIST`, e.g. `all`,
//! instead of `json`, and then time `demarc report` on the scan's report.json once per format,
//! each with its own peak RSS).
//! Reports items per second, peak RSS of the scan process, and the ratio of end-to-end time to
//! native parsing (into `serde_json::Value`, the plain parse; and, for reference, a skip-only
//! parse with `IgnoredAny`, the lower bound of any JSON reader).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "../../../tests/support/peak_rss.rs"]
mod peak_rss;
use peak_rss::wait_with_peak_rss;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let counts: Vec<u64> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || (args[i - 1] != "--split" && args[i - 1] != "--runs"))
        .filter_map(|(_, a)| a.parse().ok())
        .collect();
    // `--keep DIR` generates the estates into DIR and leaves them there, for profiling.
    let keep = args
        .iter()
        .position(|a| a == "--keep")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    // `--runs R` times each measurement R times and reports the medians.
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    // `--format LIST` scans with these formats and then renders each format on its own.
    let formats = args
        .iter()
        .position(|a| a == "--format")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "json".to_string());
    // `--split K` writes each cloud's third as K exports, K targets per cloud.
    let split: u64 = args
        .iter()
        .position(|a| a == "--split")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let counts = if counts.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        counts
    };
    let temp = tempfile::tempdir().expect("temp dir");
    let root = keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let cache = root.join("cache");
    println!(
        "{:>9} {:>9} {:>9} {:>11} {:>9} {:>10} {:>9} {:>9} {:>11}",
        "items",
        "file MiB",
        "e2e s",
        "items/s",
        "RSS MiB",
        "Value s",
        "ratio",
        "skip s",
        "ratio skip"
    );
    println!("(scan with --format {formats})");
    for n in counts {
        let snap = root.join(format!("estate-{n}-x{split}"));
        std::fs::create_dir_all(&snap).unwrap();
        let (aws_n, azure_n) = (n / 3, n / 3);
        let gcp_n = n - aws_n - azure_n;
        // Each cloud's third as `split` exports (accounts, subscriptions, projects), each one
        // target of its own.
        let part = |total: u64, k: u64| (total * k / split)..(total * (k + 1) / split);
        let mut files = Vec::new();
        let mut targets = String::new();
        for k in 0..split {
            let aws = snap.join(format!("aws-config-snapshot-{k}.json"));
            let azure = snap.join(format!("azure-resources-{k}.json"));
            let gcp = snap.join(format!("gcp-assets-{k}.ndjson"));
            generate(&aws, part(aws_n, k));
            generate_azure(&azure, part(azure_n, k));
            generate_gcp(&gcp, part(gcp_n, k));
            for (provider, file) in [("aws", &aws), ("azure", &azure), ("gcp", &gcp)] {
                targets.push_str(&format!(
                    "[[tenant.target]]\nid = \"bench-{provider}-{k}\"\nprovider = \"{provider}\"\n\
                     snapshot = \"{}\"\ninputs = [\"{}\"]\n",
                    snap.file_name().unwrap().to_string_lossy(),
                    file.file_name().unwrap().to_string_lossy()
                ));
            }
            files.extend([aws, azure, gcp]);
        }
        let size: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum();

        // Plain native parse: every item of every file into a serde_json::Value, one item at a
        // time (a whole 1M-item document as one Value would not fit in this machine's memory).
        let native_parse = || {
            let t = Instant::now();
            let mut parsed = 0u64;
            for f in &files {
                let bytes = std::fs::read(f).unwrap();
                let mut de = serde_json::Deserializer::from_slice(&bytes);
                loop {
                    match serde::de::DeserializeSeed::deserialize(ValueItems(&mut parsed), &mut de)
                    {
                        Ok(()) => {}
                        Err(e) if e.is_eof() => break,
                        Err(e) => panic!("{}: {e}", f.display()),
                    }
                }
            }
            assert_eq!(parsed, n);
            t.elapsed().as_secs_f64()
        };
        // Skip-only parse: validates and walks every byte, builds nothing.
        let skip_parse = || {
            let t = Instant::now();
            for f in &files {
                let bytes = std::fs::read(f).unwrap();
                for v in serde_json::Deserializer::from_slice(&bytes)
                    .into_iter::<serde::de::IgnoredAny>()
                {
                    v.unwrap();
                }
            }
            t.elapsed().as_secs_f64()
        };

        // Beside the snapshot, not in it: a snapshot may not hold the configuration or output.
        let config = snap.with_extension("toml");
        std::fs::write(
            &config,
            format!("now = \"2026-11-01T00:00:00Z\"\n[[tenant]]\nid = \"bench\"\n{targets}"),
        )
        .unwrap();
        let out = snap.with_extension("out");
        // Warm the compile cache with a scan of the demo estate, so that compiling the plugins
        // (once per plugin digest and engine) is not timed.
        let warm = Command::new(env!("CARGO_BIN_EXE_demarc"))
            .args(["scan", "--quiet", "--format", "json", "--config"])
            .arg(demo("demarc.toml"))
            .arg("--out")
            .arg(root.join("warm"))
            .arg("--cache-dir")
            .arg(&cache)
            .status()
            .unwrap();
        assert!(warm.success(), "warm-up scan failed: {warm:?}");
        let scan = || {
            let _ = std::fs::remove_dir_all(&out);
            let t = Instant::now();
            let child = Command::new(env!("CARGO_BIN_EXE_demarc"))
                .arg("scan")
                .arg("--quiet")
                .args(["--format", &formats])
                .arg("--config")
                .arg(&config)
                .arg("--out")
                .arg(&out)
                .arg("--cache-dir")
                .arg(&cache)
                .spawn()
                .unwrap();
            let (status, rss) = wait_with_peak_rss(child);
            let e2e = t.elapsed().as_secs_f64();
            // Write the report's dirty pages back now, untimed, so that the kernel's writeback
            // does not run during the next native parse.
            // SAFETY: sync(2) takes no arguments and cannot fail.
            unsafe { libc::sync() };
            (e2e, status, rss)
        };
        // The machine's speed drifts from minute to minute, so the scan and the native parse
        // are timed in turns, `runs` times, and each ratio is of a scan and the parse next to it.
        let mut rows = Vec::new();
        for _ in 0..runs {
            let native = native_parse();
            let (e2e, status, rss) = scan();
            let skip = skip_parse();
            rows.push((e2e, status, rss, native, skip));
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let e2e = median(rows.iter().map(|r| r.0).collect());
        let native = median(rows.iter().map(|r| r.3).collect());
        let skip = median(rows.iter().map(|r| r.4).collect());
        let ratio = median(rows.iter().map(|r| r.0 / r.3).collect());
        let ratio_skip = median(rows.iter().map(|r| r.0 / r.4).collect());
        let rss = rows.iter().map(|r| r.2).fold(0.0, f64::max);
        let status = rows
            .iter()
            .map(|r| r.1)
            .find(|s| *s != Some(0))
            .unwrap_or(Some(0));
        let report = report_tail(&out.join("report.json"));
        let gaps = report["gaps"].as_array().map_or(0, Vec::len);
        let findings = report["summary"]["findings"]["total"].as_u64().unwrap_or(0);
        let report_size = std::fs::metadata(out.join("report.json"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "{:>9} {:>9.0} {:>9.2} {:>11.0} {:>9.0} {:>10.2} {:>9.2} {:>9.2} {:>11.2}   (exit {:?}, {} targets, {} findings, {} gaps, report.json {:.0} MiB)",
            n,
            size as f64 / 1048576.0,
            e2e,
            n as f64 / e2e,
            rss,
            native,
            ratio,
            skip,
            ratio_skip,
            status,
            3 * split,
            findings,
            gaps,
            report_size as f64 / 1048576.0
        );
        if runs > 1 {
            let each: Vec<String> = rows
                .iter()
                .map(|r| format!("{:.2}/{:.2}={:.2}", r.0, r.3, r.0 / r.3))
                .collect();
            println!("    runs (e2e/native=ratio): {}", each.join("  "));
        }
        for g in report["gaps"].as_array().into_iter().flatten().take(5) {
            println!("    gap: {}", g["message"]);
        }
        if formats != "json" {
            // Each format on its own from the report.json just written: `demarc report` reads
            // the report as a stream (a skip over the findings, then one pass).
            for format in [
                "json", "html", "sarif", "ocsf", "oscal", "csv", "md", "jsonl",
            ] {
                let dir = snap.join(format!("render-{format}"));
                let t = Instant::now();
                let child = Command::new(env!("CARGO_BIN_EXE_demarc"))
                    .arg("report")
                    .arg("--in")
                    .arg(out.join("report.json"))
                    .args(["--format", format])
                    .arg("--out")
                    .arg(&dir)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                let (status, rss) = wait_with_peak_rss(child);
                let secs = t.elapsed().as_secs_f64();
                let size: u64 = std::fs::read_dir(&dir)
                    .map(|d| {
                        d.flatten()
                            .filter_map(|e| e.metadata().ok())
                            .map(|m| m.len())
                            .sum()
                    })
                    .unwrap_or(0);
                println!(
                    "    demarc report --format {format:<6} {secs:>7.2} s  peak RSS {rss:>6.0} MiB  output {:>7.0} MiB  (exit {status:?})",
                    size as f64 / 1048576.0
                );
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
        if keep.is_none() {
            let _ = std::fs::remove_dir_all(&snap);
        }
    }
}

/// Parses one top-level JSON value: an array's elements, or the array under any key of an
/// object, are each parsed into a `serde_json::Value` and counted; an object without an array
/// (an NDJSON line) is one item.
struct ValueItems<'a>(&'a mut u64);

impl<'de> serde::de::DeserializeSeed<'de> for ValueItems<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ValueItems<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON export")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            std::hint::black_box(&v);
            *self.0 += 1;
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut wrapper = false;
        let mut item = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "configurationItems" || key == "data" {
                wrapper = true;
                map.next_value_seed(ValueItems(&mut *self.0))?;
            } else {
                item.insert(key, map.next_value()?);
            }
        }
        if !wrapper {
            std::hint::black_box(&item);
            *self.0 += 1;
        }
        Ok(())
    }
}

/// The run, gaps, controls and summary of a report, read from its end: the findings before them
/// can be gigabytes.
fn report_tail(path: &Path) -> serde_json::Value {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return serde_json::Value::Null;
    };
    let len = f.metadata().unwrap().len();
    let start = len.saturating_sub(32 << 20);
    f.seek(SeekFrom::Start(start)).unwrap();
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).unwrap();
    let tail = String::from_utf8_lossy(&tail);
    let marker = "\n],\n\"run\":";
    let at = tail
        .rfind(marker)
        .expect("report.json ends with the run, gaps, controls and summary");
    serde_json::from_str(&format!("{{\"run\":{}", &tail[at + marker.len()..])).unwrap()
}

fn demo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/demo")
        .join(path)
}

/// Append `-b{batch}` to a string field, so replicated resources get fresh ids.
fn suffix(v: &mut serde_json::Value, key: &str, batch: u64) {
    if let Some(serde_json::Value::String(s)) = v.get_mut(key) {
        s.push_str(&format!("-b{batch}"));
    }
}

/// An Azure Resource Graph REST response of `n` rows: the demo's rows, replicated.
fn generate_azure(path: &Path, range: std::ops::Range<u64>) {
    let n = range.end - range.start;
    let text = std::fs::read_to_string(demo("northwind/azure-prod/resources.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = doc["data"].as_array().unwrap().clone();
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    write!(w, "{{\"totalRecords\":{n},\"count\":{n},\"resultTruncated\":\"false\",\"facets\":[],\"data\":[").unwrap();
    for i in range.clone() {
        let mut row = rows[(i % rows.len() as u64) as usize].clone();
        let batch = i / rows.len() as u64;
        suffix(&mut row, "id", batch);
        suffix(&mut row, "name", batch);
        if i > range.start {
            w.write_all(b",").unwrap();
        }
        serde_json::to_writer(&mut w, &row).unwrap();
    }
    w.write_all(b"]}").unwrap();
    w.flush().unwrap();
}

/// A Cloud Asset Inventory NDJSON export of `n` lines: the demo's resource and IAM-policy lines,
/// replicated (a resource and its policy keep one name, so they still join).
fn generate_gcp(path: &Path, range: std::ops::Range<u64>) {
    let mut lines: Vec<serde_json::Value> = Vec::new();
    for f in [
        "northwind/gcp-prod/resources.ndjson",
        "northwind/gcp-prod/iam-policies.ndjson",
    ] {
        let text = std::fs::read_to_string(demo(f)).unwrap();
        lines.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()),
        );
    }
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    for i in range {
        let mut line = lines[(i % lines.len() as u64) as usize].clone();
        suffix(&mut line, "name", i / lines.len() as u64);
        serde_json::to_writer(&mut w, &line).unwrap();
        w.write_all(b"\n").unwrap();
    }
    w.flush().unwrap();
}

/// Write a snapshot of `n` configuration items with the mix of a real estate: many items of
/// types without checks (network plumbing), and the checked types with realistic fields.
fn generate(path: &Path, range: std::ops::Range<u64>) {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    write!(
        w,
        "{{\"fileVersion\":\"1.0\",\"configSnapshotId\":\"bench-{}\",\"configurationItems\":[",
        range.start
    )
    .unwrap();
    for i in range.clone() {
        if i > range.start {
            w.write_all(b",").unwrap();
        }
        item(&mut w, i);
    }
    w.write_all(b"]}").unwrap();
    w.flush().unwrap();
}

fn item(w: &mut impl Write, i: u64) {
    let account = format!("{:012}", 100_000_000_000u64 + i % 7);
    let region = ["us-east-1", "eu-west-1", "ap-southeast-2"][(i % 3) as usize];
    let (ty, id, arn, configuration, supplementary) = match i % 20 {
        0..=5 => {
            let id = format!("eni-{i:017x}");
            (
                "AWS::EC2::NetworkInterface",
                id.clone(),
                format!("arn:aws:ec2:{region}:{account}:network-interface/{id}"),
                format!(
                    r#"{{"networkInterfaceId":"{id}","subnetId":"subnet-{i:017x}","vpcId":"vpc-{:017x}","availabilityZone":"{region}a","description":"Primary network interface","ownerId":"{account}","privateIpAddress":"10.{}.{}.{}","status":"in-use","sourceDestCheck":true,"interfaceType":"interface","groups":[{{"groupId":"sg-{i:017x}","groupName":"default"}}],"privateIpAddresses":[{{"primary":true,"privateIpAddress":"10.0.0.1"}}],"ipv6Addresses":[],"tagSet":[]}}"#,
                    i % 50,
                    i % 256,
                    (i / 256) % 256,
                    i % 200
                ),
                "{}".to_string(),
            )
        }
        6..=8 => {
            let id = format!("sg-{i:017x}");
            let cidr = if i.is_multiple_of(9) {
                "0.0.0.0/0"
            } else {
                "10.0.0.0/8"
            };
            (
                "AWS::EC2::SecurityGroup",
                id.clone(),
                format!("arn:aws:ec2:{region}:{account}:security-group/{id}"),
                format!(
                    r#"{{"description":"app tier","groupName":"app-{i}","ipPermissions":[{{"fromPort":22,"ipProtocol":"tcp","ipv6Ranges":[],"prefixListIds":[],"toPort":22,"userIdGroupPairs":[],"ipv4Ranges":[{{"cidrIp":"{cidr}"}}],"ipRanges":["{cidr}"]}},{{"fromPort":443,"ipProtocol":"tcp","ipv6Ranges":[{{"cidrIpv6":"::/0"}}],"prefixListIds":[],"toPort":443,"userIdGroupPairs":[],"ipv4Ranges":[{{"cidrIp":"0.0.0.0/0"}}],"ipRanges":["0.0.0.0/0"]}}],"ownerId":"{account}","groupId":"{id}","ipPermissionsEgress":[{{"ipProtocol":"-1","ipv6Ranges":[],"prefixListIds":[],"userIdGroupPairs":[],"ipv4Ranges":[{{"cidrIp":"0.0.0.0/0"}}],"ipRanges":["0.0.0.0/0"]}}],"tags":[],"vpcId":"vpc-{:017x}"}}"#,
                    i % 50
                ),
                "{}".to_string(),
            )
        }
        9..=11 => {
            let id = format!("i-{i:017x}");
            let tokens = if i.is_multiple_of(2) {
                "required"
            } else {
                "optional"
            };
            (
                "AWS::EC2::Instance",
                id.clone(),
                format!("arn:aws:ec2:{region}:{account}:instance/{id}"),
                format!(
                    r#"{{"amiLaunchIndex":0,"imageId":"ami-0abcdef1234567890","instanceId":"{id}","instanceType":"t3.medium","keyName":"ops","launchTime":"2026-0{}-15T10:00:00.000Z","monitoring":{{"state":"disabled"}},"placement":{{"availabilityZone":"{region}a","groupName":"","tenancy":"default"}},"privateDnsName":"ip-10-0-0-1.ec2.internal","privateIpAddress":"10.0.0.1","productCodes":[],"publicDnsName":"","state":{{"code":16,"name":"running"}},"subnetId":"subnet-{i:017x}","vpcId":"vpc-{:017x}","architecture":"x86_64","blockDeviceMappings":[{{"deviceName":"/dev/xvda","ebs":{{"attachTime":"2026-01-15T10:00:01.000Z","deleteOnTermination":true,"status":"attached","volumeId":"vol-{i:017x}"}}}}],"ebsOptimized":false,"enaSupport":true,"hypervisor":"xen","networkInterfaces":[],"rootDeviceName":"/dev/xvda","rootDeviceType":"ebs","securityGroups":[{{"groupName":"app-{i}","groupId":"sg-{i:017x}"}}],"sourceDestCheck":true,"virtualizationType":"hvm","metadataOptions":{{"state":"applied","httpTokens":"{tokens}","httpPutResponseHopLimit":1,"httpEndpoint":"enabled"}},"platformDetails":"Linux/UNIX"}}"#,
                    1 + i % 9,
                    i % 50
                ),
                "{}".to_string(),
            )
        }
        12..=13 => {
            let id = format!("vol-{i:017x}");
            (
                "AWS::EC2::Volume",
                id.clone(),
                format!("arn:aws:ec2:{region}:{account}:volume/{id}"),
                format!(
                    r#"{{"attachments":[{{"attachTime":"2026-01-15T10:00:01.000Z","device":"/dev/xvda","instanceId":"i-{i:017x}","state":"attached","volumeId":"{id}","deleteOnTermination":true}}],"availabilityZone":"{region}a","createTime":"2026-01-15T10:00:00.000Z","encrypted":{},"size":20,"snapshotId":"snap-0123456789abcdef0","state":"in-use","volumeId":"{id}","iops":3000,"volumeType":"gp3","multiAttachEnabled":false,"throughput":125}}"#,
                    !i.is_multiple_of(4)
                ),
                "{}".to_string(),
            )
        }
        14..=15 => {
            let name = format!("bench-bucket-{i}");
            let sse = if i.is_multiple_of(3) {
                "aws:kms"
            } else {
                "AES256"
            };
            (
                "AWS::S3::Bucket",
                name.clone(),
                format!("arn:aws:s3:::{name}"),
                format!(
                    r#"{{"name":"{name}","owner":{{"displayName":null,"id":"abc{i}"}},"creationDate":"2026-01-15T10:00:00.000Z"}}"#
                ),
                format!(
                    r#"{{"AccessControlList":"{{\"grantSet\":null,\"grantList\":[{{\"grantee\":{{\"id\":\"abc{i}\",\"displayName\":null}},\"permission\":\"FullControl\"}}],\"owner\":{{\"displayName\":null,\"id\":\"abc{i}\"}},\"isRequesterCharged\":false}}","BucketAccelerateConfiguration":{{"status":null}},"BucketLoggingConfiguration":{{"destinationBucketName":null,"logFilePrefix":null}},"BucketPolicy":{{"policyText":null}},"BucketVersioningConfiguration":{{"status":"Enabled","isMfaDeleteEnabled":null}},"IsRequesterPaysEnabled":false,"PublicAccessBlockConfiguration":{{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":true,"restrictPublicBuckets":true}},"ServerSideEncryptionConfiguration":{{"rules":[{{"applyServerSideEncryptionByDefault":{{"sseAlgorithm":"{sse}","kmsMasterKeyID":"arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},"bucketKeyEnabled":true}}]}}}}"#
                ),
            )
        }
        16 => {
            let id = format!("db-{i}");
            (
                "AWS::RDS::DBInstance",
                id.clone(),
                format!("arn:aws:rds:{region}:{account}:db:{id}"),
                format!(
                    r#"{{"dBInstanceIdentifier":"{id}","dBInstanceClass":"db.t3.medium","engine":"postgres","engineVersion":"16.4","dBInstanceStatus":"available","masterUsername":"app_owner","allocatedStorage":100,"preferredBackupWindow":"03:00-04:00","backupRetentionPeriod":{},"vpcSecurityGroups":[{{"vpcSecurityGroupId":"sg-{i:017x}","status":"active"}}],"availabilityZone":"{region}a","multiAZ":false,"autoMinorVersionUpgrade":true,"publiclyAccessible":{},"storageType":"gp3","storageEncrypted":true,"kmsKeyId":"arn:aws:kms:{region}:{account}:key/1234abcd","dbiResourceId":"db-ABCDEFGHIJKLMNOP","iAMDatabaseAuthenticationEnabled":false,"deletionProtection":true}}"#,
                    i % 14,
                    i.is_multiple_of(5)
                ),
                "{}".to_string(),
            )
        }
        17 => {
            let name = format!("app-role-{i}");
            (
                "AWS::IAM::Role",
                format!("AROA{i:016X}"),
                format!("arn:aws:iam::{account}:role/{name}"),
                format!(
                    r#"{{"path":"/","roleName":"{name}","roleId":"AROA{i:016X}","arn":"arn:aws:iam::{account}:role/{name}","createDate":"2026-01-15T10:00:00.000Z","assumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D","instanceProfileList":[],"rolePolicyList":[{{"policyName":"inline","policyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22s3%3AGetObject%22%5D%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Abucket%2F%2A%22%7D%5D%7D"}}],"attachedManagedPolicies":[],"permissionsBoundary":null,"tags":[]}}"#
                ),
                "{}".to_string(),
            )
        }
        18 => {
            let name = format!("fn-{i}");
            let runtime = ["python3.12", "nodejs20.x", "python3.8"][(i % 3) as usize];
            (
                "AWS::Lambda::Function",
                name.clone(),
                format!("arn:aws:lambda:{region}:{account}:function:{name}"),
                format!(
                    r#"{{"functionName":"{name}","functionArn":"arn:aws:lambda:{region}:{account}:function:{name}","runtime":"{runtime}","role":"arn:aws:iam::{account}:role/fn","handler":"app.handler","codeSize":1024,"description":"","timeout":30,"memorySize":128,"lastModified":"2026-01-15T10:00:00.000+0000","codeSha256":"abc=","version":"$LATEST","tracingConfig":{{"mode":"PassThrough"}},"packageType":"Zip","architectures":["x86_64"]}}"#
                ),
                "{}".to_string(),
            )
        }
        _ => {
            let id = format!("subnet-{i:017x}");
            (
                "AWS::EC2::Subnet",
                id.clone(),
                format!("arn:aws:ec2:{region}:{account}:subnet/{id}"),
                format!(
                    r#"{{"availabilityZone":"{region}a","availableIpAddressCount":250,"cidrBlock":"10.{}.{}.0/24","defaultForAz":false,"mapPublicIpOnLaunch":false,"state":"available","subnetId":"{id}","vpcId":"vpc-{:017x}","ownerId":"{account}","assignIpv6AddressOnCreation":false,"ipv6CidrBlockAssociationSet":[],"tags":[],"subnetArn":"arn:aws:ec2:{region}:{account}:subnet/{id}"}}"#,
                    i % 256,
                    (i / 256) % 256,
                    i % 50
                ),
                "{}".to_string(),
            )
        }
    };
    let owner = if i.is_multiple_of(4) {
        ""
    } else {
        r#""Owner":"platform-team","#
    };
    write!(
        w,
        r#"{{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2026-10-30T12:00:00.000Z","configurationStateId":{},"awsAccountId":"{account}","configurationItemStatus":"OK","resourceType":"{ty}","resourceId":"{id}","resourceName":"{id}","ARN":"{arn}","awsRegion":"{region}","availabilityZone":"{region}a","configurationStateMd5Hash":"","resourceCreationTime":"2026-01-15T10:00:00.000Z","tags":{{{owner}"Environment":"prod"}},"relatedEvents":[],"relationships":[{{"resourceId":"vpc-{:017x}","resourceType":"AWS::EC2::VPC","name":"Is contained in Vpc"}}],"configuration":{configuration},"supplementaryConfiguration":{supplementary}}}"#,
        1_700_000_000_000u64 + i,
        i % 50
    )
    .unwrap();
}
