//! AWS live mode against a real AWS API emulator: the findings of a live scan equal, finding by
//! finding, those of the AWS Config snapshot the same resources are recorded as; a throttling
//! proxy in front of the emulator costs retries, not findings.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::moto::Moto;
use crate::{describe, report, root};

/// A secret of AWS's length: the emulator accepts any credentials.
const KEY_ID: &str = "AKIAIOSFODNN7LIVETEST";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLIVETESTKEY";

/// Run `demarc` with credentials in its environment and nothing else of the AWS kind.
fn demarc_live(args: &[&str], cwd: &Path) -> Output {
    crate::demarc_with(
        args,
        cwd,
        &[
            ("AWS_ACCESS_KEY_ID", KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ],
    )
}

/// Seed the emulator with the live estate and write its AWS Config snapshot and credential
/// report into `snapshot` (both made by boto3, independently of demarc's readers).
fn seed_and_export(moto: &Moto, snapshot: &Path) {
    let script = root().join("tests/support/aws_live_estate.py");
    let run = |args: &str| {
        format!(
            "import runpy, sys\nsys.argv = [{script:?}, {args}]\nrunpy.run_path({script:?}, run_name='__main__')\n",
            script = script.to_str().unwrap()
        )
    };
    moto.seed(&run("'seed'"));
    std::fs::create_dir_all(snapshot).unwrap();
    let snap = snapshot.join("config-snapshot.json");
    let csv = snapshot.join("credential-report.csv");
    let account = moto.seed(&run(&format!(
        "'export', {:?}, {:?}",
        snap.to_str().unwrap(),
        csv.to_str().unwrap()
    )));
    assert_eq!(account.trim(), "123456789012", "{account}");
}

fn config(dir: &Path, target: &str) -> std::path::PathBuf {
    let path = dir.join("demarc.toml");
    std::fs::write(
        &path,
        format!(
            "[[tenant]]\nid = \"acme\"\nname = \"Acme\"\n\n[[tenant.target]]\nid = \"acme-aws\"\nprovider = \"aws\"\n{target}\n"
        ),
    )
    .unwrap();
    path
}

fn scan(dir: &Path) -> (Output, serde_json::Value) {
    let out = demarc_live(
        &[
            "scan",
            "--config",
            "demarc.toml",
            "--out",
            "out",
            "--pin-time",
            "2026-12-01T00:00:00Z",
            "--quiet",
        ],
        dir,
    );
    let report = report(&dir.join("out"));
    (out, report)
}

/// Check, resource id, status, message and resource name of every finding, sorted.
type Verdict = (String, String, String, String, String);

fn verdicts(report: &serde_json::Value) -> Vec<Verdict> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["check"]["id"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["resource"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The status of `check` on the resource whose id ends with `resource` or whose name it is.
fn status_of<'a>(verdicts: &'a [Verdict], check: &str, resource: &str) -> &'a str {
    verdicts
        .iter()
        .find(|(c, r, _, _, name)| c == check && (r.ends_with(resource) || name == resource))
        .map(|(_, _, s, _, _)| s.as_str())
        .unwrap_or_else(|| panic!("no {check} finding for {resource}"))
}

/// The scan of the live account and the scan of its AWS Config snapshot give the same findings,
/// one by one, and every failure class of the estate is failed live next to its clean
/// counterpart passing.
#[test]
fn live_findings_equal_the_findings_of_the_same_resources_config_snapshot() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let offline = tmp.path().join("offline");
    seed_and_export(&moto, &offline.join("snap"));
    config(&offline, "snapshot = \"snap\"");
    let live = tmp.path().join("live");
    std::fs::create_dir_all(live.join("snap")).unwrap();
    config(
        &live,
        &format!(
            "snapshot = \"snap\"\nmode = \"live\"\nendpoints = [\"{}\"]",
            moto.endpoint()
        ),
    );

    let (out, offline_report) = scan(&offline);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let (out, live_report) = scan(&live);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        crate::gaps(&live_report).is_empty(),
        "{:#?}",
        crate::gaps(&live_report)
    );

    let want = verdicts(&offline_report);
    let got = verdicts(&live_report);
    assert!(want.len() > 90, "{} findings offline", want.len());
    let missing: Vec<_> = want.iter().filter(|f| !got.contains(f)).collect();
    let extra: Vec<_> = got.iter().filter(|f| !want.contains(f)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "offline only: {missing:#?}\nlive only: {extra:#?}"
    );

    // Every failure class of the seeded account, and its clean counterpart.
    for (check, failing, passing) in [
        ("aws-ec2-sg-admin-port-open", "open-ssh", "internal-ssh"),
        ("aws-ec2-sg-all-ports-open", "all-ports", "icmp-only"),
        ("aws-s3-bucket-public-policy", "live-open", "live-clean"),
        (
            "aws-s3-bucket-public-access-block",
            "live-bare",
            "live-clean",
        ),
        ("aws-s3-bucket-cmk-encryption", "live-bare", "live-clean"),
        ("aws-s3-bucket-versioning", "live-bare", "live-clean"),
        ("aws-s3-bucket-access-logging", "live-bare", "live-clean"),
        ("aws-s3-bucket-secure-transport", "live-bare", "live-clean"),
        ("aws-iam-policy-admin-wildcard", "user/alice", "user/bob"),
        (
            "aws-iam-role-public-trust",
            "role/anyone-may-assume",
            "role/lambda-exec",
        ),
        (
            "aws-rds-publicly-accessible",
            "db:public-db",
            "db:private-db",
        ),
        ("aws-rds-storage-encrypted", "db:public-db", "db:private-db"),
        (
            "aws-rds-default-admin-username",
            "db:public-db",
            "db:private-db",
        ),
        ("aws-rds-backup-retention", "db:public-db", "db:private-db"),
        (
            "aws-lambda-runtime-supported",
            "function:old-runtime",
            "function:current-runtime",
        ),
        (
            "aws-resource-policy-public",
            "function:old-runtime",
            "function:current-runtime",
        ),
    ] {
        assert_eq!(status_of(&got, check, failing), "fail", "{check} {failing}");
        assert_eq!(status_of(&got, check, passing), "pass", "{check} {passing}");
    }
    let rotation: Vec<_> = got
        .iter()
        .filter(|(c, ..)| c == "aws-kms-key-rotation")
        .map(|(_, _, s, _, _)| s.as_str())
        .collect();
    assert!(
        rotation.contains(&"fail") && rotation.contains(&"pass"),
        "{rotation:?}"
    );
    assert_eq!(
        status_of(&got, "aws-iam-user-console-mfa", "user/bob"),
        "fail"
    );

    // The report says the target was live and what its calls were.
    let target = &live_report["run"]["targets"][0];
    let calls = target["live"]["calls"].as_array().unwrap();
    assert!(calls.len() > 40, "{} calls", calls.len());
    assert!(calls.iter().all(|c| c["status"].as_u64().is_some()));
    // Each Query or JSON API call names its action; a REST call (S3, Lambda) its path.
    let actions: std::collections::BTreeSet<&str> =
        calls.iter().filter_map(|c| c["action"].as_str()).collect();
    for action in [
        "GetCallerIdentity",
        "GetAccountAuthorizationDetails",
        "DescribeSecurityGroups",
        "DescribeDBInstances",
        "ListKeys",
        "DescribeTrails",
    ] {
        assert!(actions.contains(action), "{action}: {actions:?}");
    }
    assert!(
        calls.iter().any(
            |c| c.get("action").is_none() && c["request"].as_str().unwrap().starts_with("GET ")
        ),
        "no REST call without an action"
    );
    assert_eq!(target["live"]["refused"], 0);
    assert!(offline_report["run"]["targets"][0].get("live").is_none());
}

/// A proxy in front of the emulator that answers `throttle` of the first requests it sees with
/// `400 Throttling` or `503` with `Retry-After: 0`, and forwards every other request.
struct Throttler {
    port: u16,
    seen: Arc<AtomicUsize>,
}

impl Throttler {
    fn start(upstream: u16, throttle: usize) -> Throttler {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, upstream, &counter, throttle);
                });
            }
        });
        Throttler { port, seen }
    }
}

/// Serve requests of one client connection until it closes.
fn serve(
    client: TcpStream,
    upstream: u16,
    counter: &AtomicUsize,
    throttle: usize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    loop {
        let mut head = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if let Some(v) = line
                .to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(str::trim)
            {
                length = v.parse().unwrap_or(0);
            }
            let end = line == "\r\n";
            head.extend_from_slice(line.as_bytes());
            if end {
                break;
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        // Every other request of the first `2 * throttle` is throttled, so that each throttled
        // request succeeds when it is retried.
        let n = counter.fetch_add(1, Ordering::SeqCst);
        if n < 2 * throttle && n.is_multiple_of(2) {
            let reply = if (n / 2).is_multiple_of(2) {
                let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
                format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n"
                    .to_string()
            };
            client.write_all(reply.as_bytes())?;
            continue;
        }
        // Forward on a fresh connection that the emulator closes after its answer.
        let text =
            String::from_utf8_lossy(&head).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
        let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
        up.write_all(text.as_bytes())?;
        up.write_all(&body)?;
        let mut answer = Vec::new();
        up.read_to_end(&mut answer)?;
        // The answer's own framing stays; the client connection goes on.
        client.write_all(&answer)?;
    }
}

/// Throttled answers (an AWS `Throttling` error and a `503` with `Retry-After`) are retried with
/// back-off: the scan loses nothing, and the report's calls show the throttled attempts.
#[test]
fn throttled_requests_are_retried_and_lose_no_finding() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let offline = tmp.path().join("offline");
    seed_and_export(&moto, &offline.join("snap"));
    config(&offline, "snapshot = \"snap\"");
    let proxy = Throttler::start(moto.port, 6);
    let live = tmp.path().join("live");
    std::fs::create_dir_all(live.join("snap")).unwrap();
    config(
        &live,
        &format!(
            "snapshot = \"snap\"\nmode = \"live\"\nendpoints = [\"http://127.0.0.1:{}\"]",
            proxy.port
        ),
    );
    let (out, offline_report) = scan(&offline);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let (out, live_report) = scan(&live);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(verdicts(&live_report), verdicts(&offline_report));
    let calls = live_report["run"]["targets"][0]["live"]["calls"]
        .as_array()
        .unwrap();
    let throttled = calls
        .iter()
        .filter(|c| c["status"] == 400 || c["status"] == 503)
        .count();
    assert!(
        throttled >= 6,
        "{throttled} throttled calls of {}",
        calls.len()
    );
    assert!(proxy.seen.load(Ordering::SeqCst) > 12);
}
