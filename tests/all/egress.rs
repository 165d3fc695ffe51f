//! Outbound HTTP (`wasi:http`) from a hostile plugin: denied unless granted, and each refusal
//! counted in the target's gap. A loopback test server answers what the grant lets through and
//! records what reached it.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use demarc_core::{Finding, GapKind};
use demarc_runtime::egress::{EgressLimits, Endpoint, Grant, Refusal, aws_endpoints};
use demarc_runtime::schedule::scan_all;
use demarc_runtime::sigv4::{AwsSigning, CredentialCache, Credentials};
use demarc_runtime::{FindingSink, Limits, TargetOutcome};

use crate::sandbox::world;

/// A loopback HTTP/1.1 server: `/ok` says hello, `/echo` returns the request head it got,
/// `/say?TEXT` returns TEXT,
/// `/redirect?to=URL` redirects, `/big?n=N` sends N bytes with a `Content-Length`, `/stream?n=N`
/// sends N bytes without one (to the end of the connection). Every request head is kept.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        head.push_str(&line);
                        if line == "\r\n" {
                            break;
                        }
                    }
                    log.lock().unwrap().push(head.clone());
                    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                    let n: usize = query
                        .strip_prefix("n=")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    let reply = match path {
                        "/ok" => ok("hello"),
                        "/echo" => ok(&head),
                        "/say" => ok(query),
                        "/redirect" => format!(
                            "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            query.strip_prefix("to=").unwrap_or("/")
                        ),
                        "/big" => format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n{}",
                            "x".repeat(n)
                        ),
                        "/stream" => format!(
                            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{}",
                            "x".repeat(n)
                        ),
                        _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
                    };
                    let _ = stream.write_all(reply.as_bytes());
                    let _ = stream.flush();
                    let mut rest = [0u8; 1];
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(10)));
                    let _ = stream.read(&mut rest);
                });
            }
        });
        Server { port, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::parse(&format!("http://127.0.0.1:{}", self.port)).unwrap()
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A resolver that knows only `names`, each with its addresses (comma-separated, in order).
fn resolver(names: &[(&str, &str)]) -> demarc_runtime::egress::Resolver {
    let names: HashMap<String, Vec<IpAddr>> = names
        .iter()
        .map(|(n, ips)| {
            let ips = ips.split(',').map(|ip| ip.parse().unwrap()).collect();
            (n.to_string(), ips)
        })
        .collect();
    Arc::new(move |host, port| {
        let answer = names
            .get(&host)
            .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
            .ok_or_else(|| std::io::Error::other(format!("no such name {host}")));
        Box::pin(async move { answer })
    })
}

/// A sink that keeps the findings where the test can read them.
struct Keep(Arc<Mutex<Vec<Finding>>>);

impl FindingSink for Keep {
    fn accept(&mut self, finding: Finding) -> Result<(), String> {
        self.0.lock().unwrap().push(finding);
        Ok(())
    }

    fn accept_unmapped(&mut self, _: demarc_core::UnmappedFinding) -> Result<(), String> {
        Err("the hostile plugin's findings are all attributed".into())
    }
}

/// Run the hostile `fetch` behaviour over `requests` with `grant`; the outcome and, per
/// request line, what the plugin saw.
fn fetch(requests: &[String], grant: Option<Grant>) -> (TargetOutcome, Vec<String>) {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requests.txt"), requests.join("\n")).unwrap();
    let mut job = w.job(
        &w.hostile,
        "fetch",
        dir.path(),
        &["requests.txt"],
        Limits::default(),
    );
    job.spec.egress = grant;
    let kept = Arc::new(Mutex::new(Vec::new()));
    job.sink = Box::new(Keep(kept.clone()));
    let _cpu = crate::shared_cpu();
    let outcome =
        w.rt.block_on(scan_all(w.runtime.clone(), vec![job], 1))
            .pop()
            .unwrap();
    let findings = kept.lock().unwrap();
    let mut seen: Vec<(usize, String)> = findings
        .iter()
        .filter_map(|f| {
            let n = f.resource.id.strip_prefix("request-")?.parse().ok()?;
            Some((n, f.message.clone()))
        })
        .collect();
    seen.sort();
    assert_eq!(seen.len(), requests.len(), "{:?}", outcome.gaps);
    (outcome, seen.into_iter().map(|(_, m)| m).collect())
}

/// The plugin saw its request refused.
fn denied(seen: &str) -> bool {
    seen.contains("-> error") && seen.contains("HttpRequestDenied")
}

fn grant(endpoints: Vec<Endpoint>) -> Grant {
    Grant::new(endpoints)
}

/// The count of refusals of `why` in the outcome.
fn refused(o: &TargetOutcome, why: Refusal) -> u64 {
    o.egress.refusals.get(&why).map_or(0, |(n, _)| *n)
}

/// The refusal gap, which names every kind of refusal with its count.
fn refusal_gap(o: &TargetOutcome) -> String {
    let gaps: Vec<_> = o
        .gaps
        .iter()
        .filter(|g| g.message.contains("outbound request"))
        .collect();
    assert_eq!(gaps.len(), 1, "one refusal gap: {:#?}", o.gaps);
    assert_eq!(gaps[0].kind, GapKind::PluginError);
    gaps[0].message.clone()
}

#[test]
fn a_target_without_a_grant_reaches_nothing() {
    let server = Server::start();
    let (o, seen) = fetch(&[server.url("/ok")], None);
    assert!(o.completed, "{:?}", o.gaps);
    assert!(denied(&seen[0]), "{seen:?}");
    assert_eq!(refused(&o, Refusal::NoGrant), 1);
    assert!(server.seen().is_empty(), "the server was reached");
    assert!(refusal_gap(&o).contains("1 to a target granted no outbound HTTP"));
}

#[test]
fn a_host_outside_the_grant_is_refused_and_the_granted_one_answers() {
    let server = Server::start();
    let other = closed_port();
    let (o, seen) = fetch(
        &[
            server.url("/ok"),
            format!("http://127.0.0.1:{other}/ok"),
            "https://attacker.example/steal".into(),
            // The same host and port over the other scheme is another endpoint.
            format!("https://127.0.0.1:{}/ok", server.port),
            // `localhost` is not the `127.0.0.1` the grant names.
            format!("http://localhost:{}/ok", server.port),
        ],
        Some(grant(vec![server.endpoint()])),
    );
    assert!(
        seen[0].contains("-> 200") && seen[0].contains("body=hello"),
        "{seen:?}"
    );
    for s in &seen[1..5] {
        assert!(denied(s), "{s}");
    }
    assert_eq!(refused(&o, Refusal::OutsideGrant), 4);
    assert_eq!(o.egress.sent, 1);
    assert_eq!(server.seen().len(), 1);
    assert_eq!(o.egress.calls.len(), 1);
    assert_eq!(o.egress.calls[0].status, 200);
    assert!(
        o.egress.calls[0]
            .request
            .starts_with("GET http://127.0.0.1:")
    );
    let gap = refusal_gap(&o);
    assert!(
        gap.contains("4 outside the granted endpoints (first: GET http://127.0.0.1:"),
        "{gap}"
    );
}

#[test]
fn metadata_addresses_are_refused_by_name_and_by_address() {
    // Even a grant that names them (only possible by building one in code: the configuration
    // refuses such endpoints) does not reach a metadata or link-local address.
    let endpoints = vec![
        Endpoint {
            https: false,
            host: "169.254.169.254".into(),
            port: 80,
            private: true,
        },
        Endpoint {
            https: false,
            host: "fd00:ec2::254".into(),
            port: 80,
            private: true,
        },
        Endpoint {
            https: false,
            host: "metadata.test".into(),
            port: 80,
            private: true,
        },
        Endpoint {
            https: false,
            host: "linklocal.test".into(),
            port: 80,
            private: true,
        },
    ];
    let mut g = grant(endpoints);
    g.resolver = resolver(&[
        ("metadata.test", "169.254.169.254"),
        ("linklocal.test", "169.254.10.1"),
    ]);
    let (o, seen) = fetch(
        &[
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/".into(),
            "http://[fd00:ec2::254]/latest/api/token".into(),
            "http://metadata.test/latest/meta-data/".into(),
            "http://linklocal.test/".into(),
        ],
        Some(g),
    );
    for s in &seen[..4] {
        assert!(denied(s), "{s}");
    }
    assert_eq!(refused(&o, Refusal::Metadata), 3);
    assert_eq!(refused(&o, Refusal::LinkLocal), 1);
    assert_eq!(o.egress.sent, 0);
    let gap = refusal_gap(&o);
    assert!(
        gap.contains("3 to a cloud metadata address (first: GET http://169.254.169.254/latest/meta-data/iam/security-credentials/)"),
        "{gap}"
    );
    assert!(
        gap.contains("1 to a link-local address (first: GET http://linklocal.test/ (`linklocal.test` is 169.254.10.1))"),
        "{gap}"
    );
}

#[test]
fn a_granted_name_resolving_to_a_private_address_is_refused() {
    let server = Server::start();
    let mut endpoints = aws_endpoints(&["us-east-1".into()]).unwrap();
    // A granted name that resolves to this machine, where the test server listens.
    endpoints.push(Endpoint {
        https: false,
        host: "sneaky.test".into(),
        port: server.port,
        private: false,
    });
    let mut g = grant(endpoints);
    g.resolver = resolver(&[
        ("ec2.us-east-1.amazonaws.com", "10.0.0.5"),
        ("sneaky.test", "127.0.0.1"),
        // A public address first and a private one after it: one bad answer refuses the name.
        ("s3.us-east-1.amazonaws.com", "52.216.0.1,192.168.1.20"),
        // An IPv4-mapped IPv6 form of a private address.
        ("iam.amazonaws.com", "::ffff:10.1.2.3"),
    ]);
    let (o, seen) = fetch(
        &[
            "https://ec2.us-east-1.amazonaws.com/?Action=DescribeSecurityGroups".into(),
            format!("http://sneaky.test:{}/ok", server.port),
            "https://s3.us-east-1.amazonaws.com/".into(),
            "https://iam.amazonaws.com/?Action=ListUsers".into(),
        ],
        Some(g),
    );
    for s in &seen[..4] {
        assert!(denied(s), "{s}");
    }
    assert_eq!(refused(&o, Refusal::Private), 4);
    assert_eq!(o.egress.sent, 0);
    assert!(server.seen().is_empty(), "the server was reached");
    let gap = refusal_gap(&o);
    assert!(
        gap.contains("(`ec2.us-east-1.amazonaws.com` is 10.0.0.5)"),
        "{gap}"
    );
}

#[test]
fn a_redirect_out_of_the_grant_is_refused_when_followed() {
    let server = Server::start();
    let outside = format!("http://127.0.0.1:{}/ok", closed_port());
    let (o, seen) = fetch(
        &[format!(
            "{} follow",
            server.url(&format!("/redirect?to={outside}"))
        )],
        Some(grant(vec![server.endpoint()])),
    );
    let s = &seen[0];
    assert!(s.contains("-> 302"), "{s}");
    assert!(
        s.contains(&format!("{outside} -> error")) && denied(s),
        "{s}"
    );
    assert_eq!(refused(&o, Refusal::OutsideGrant), 1);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn the_authority_decides_never_a_host_header() {
    let server = Server::start();
    let granted = format!("127.0.0.1:{}", server.port);
    let (o, seen) = fetch(
        &[
            // Granted authority, forged Host: the Host that arrives is the authority's.
            format!("{} host=attacker.example", server.url("/echo")),
            // Authority outside the grant, Host naming the granted endpoint: refused.
            format!("http://127.0.0.1:{}/echo host={granted}", closed_port()),
        ],
        Some(grant(vec![server.endpoint()])),
    );
    assert!(
        seen[0].contains("setting host refused") && seen[0].contains("Forbidden"),
        "{seen:?}"
    );
    assert!(seen[0].contains("-> 200"), "{seen:?}");
    assert!(denied(&seen[1]), "{seen:?}");
    let heads = server.seen();
    assert_eq!(heads.len(), 1);
    let hosts: Vec<&str> = heads[0]
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("host:"))
        .collect();
    assert_eq!(
        hosts,
        vec![format!("host: {granted}").as_str()],
        "{}",
        heads[0]
    );
    assert!(!heads[0].contains("attacker.example"));
    assert_eq!(refused(&o, Refusal::ForgedHost), 2);
    assert_eq!(refused(&o, Refusal::OutsideGrant), 1);
    assert!(refusal_gap(&o).contains("2 setting the Host header"));
}

#[test]
fn an_oversize_response_is_cut_off() {
    let server = Server::start();
    let mut g = grant(vec![server.endpoint()]);
    g.limits = EgressLimits {
        max_response_bytes: 1000,
        ..EgressLimits::default()
    };
    let (o, seen) = fetch(
        &[
            server.url("/big?n=1000"),
            server.url("/big?n=5000"),
            server.url("/stream?n=500000"),
        ],
        Some(g),
    );
    assert!(seen[0].contains("-> 200"), "{seen:?}");
    assert!(
        seen[1].contains("-> error") && seen[1].contains("HttpResponseBodySize(Some(5000))"),
        "{seen:?}"
    );
    // Without a `Content-Length` the body is cut off while it streams.
    assert!(seen[2].contains("error reading the body after"), "{seen:?}");
    let after: usize = seen[2]
        .split("after ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(after <= 1000, "{after} bytes reached the plugin");
    assert_eq!(refused(&o, Refusal::OversizeResponse), 2);
    assert!(refusal_gap(&o).contains("2 with a response past the size cap"));
}

#[test]
fn requests_past_the_cap_are_refused() {
    let server = Server::start();
    let mut g = grant(vec![server.endpoint()]);
    g.limits = EgressLimits {
        max_requests: 2,
        ..EgressLimits::default()
    };
    let (o, seen) = fetch(&vec![server.url("/ok"); 5], Some(g));
    assert!(seen[..2].iter().all(|s| s.contains("-> 200")), "{seen:?}");
    assert!(seen[2..5].iter().all(|s| denied(s)), "{seen:?}");
    assert_eq!(server.seen().len(), 2);
    assert_eq!(refused(&o, Refusal::TooManyRequests), 3);
    assert!(refusal_gap(&o).contains("3 past the cap on requests (first: GET http://127.0.0.1:"));
}

/// `mode = "live"` in the configuration grants the target its endpoints; the report records the
/// target as live, with each request's cost and the refusals.
#[test]
fn a_live_target_of_the_configuration_reaches_its_endpoints_and_the_report_says_so() {
    use sha2::Digest as _;
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hostile = crate::wasm("demarc-test-hostile");
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(&hostile).unwrap()));
    std::fs::create_dir_all(dir.join("live")).unwrap();
    std::fs::write(
        dir.join("live/requests.txt"),
        format!("{}\nhttps://attacker.example/steal\n", server.url("/ok")),
    )
    .unwrap();
    let cfg = crate::write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n\n\
             [providers.hostile]\nassume_service_model = \"iaas\"\n\n\
             [[plugin]]\npath = \"{}\"\nsha256 = \"{digest}\"\n\n\
             [[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"fetch\"\nprovider = \"hostile\"\nsnapshot = \"live\"\n\
             mode = \"live\"\nendpoints = [\"http://127.0.0.1:{}\"]\n",
            hostile.display(),
            server.port
        ),
    );
    let out_dir = dir.join("out");
    let out = crate::demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--format",
            "json",
        ],
        dir,
    );
    // The refused request is a gap: the scan is incomplete.
    assert_eq!(out.status.code(), Some(3), "{}", crate::describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("outbound HTTP refused"),
        "the refusal is logged: {err}"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json")).unwrap()).unwrap();
    let live = &r["run"]["targets"][0]["live"];
    assert_eq!(
        live["endpoints"],
        serde_json::json!([format!("http://127.0.0.1:{}", server.port)])
    );
    assert_eq!(live["requests"], 1);
    assert_eq!(live["refused"], 1);
    assert_eq!(live["calls"][0]["status"], 200);
    assert_eq!(
        live["calls"][0]["request"],
        format!("GET http://127.0.0.1:{}/ok", server.port)
    );
    let gaps = crate::gaps(&r);
    assert!(
        gaps.iter().any(|g| g["message"].as_str().unwrap().contains(
            "1 outside the granted endpoints (first: GET https://attacker.example/steal)"
        )),
        "{gaps:#?}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn live_settings_are_checked_and_named_by_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("x")).unwrap();
    let cfg = crate::write_config(
        tmp.path(),
        r#"[limits]
http_requests = 0
http_response_mib = 5000
[[tenant]]
id = "acme"
[[tenant.target]]
id = "t1"
provider = "aws"
snapshot = "x"
regions = ["us-east-1"]
[[tenant.target]]
id = "t2"
provider = "aws"
snapshot = "x"
mode = "live"
[[tenant.target]]
id = "t3"
provider = "aws"
snapshot = "x"
mode = "live"
regions = ["us-east-1.attacker.example"]
endpoints = ["http://moto.example:5000", "https://169.254.169.254", "http://127.0.0.1:5000"]
[[tenant.target]]
id = "t4"
provider = "azure"
snapshot = "x"
mode = "online"
[[tenant.target]]
id = "t5"
provider = "azure"
snapshot = "x"
mode = "live"
regions = ["westeurope"]
"#,
    );
    let out = crate::demarc(&["scan", "--config", cfg.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", crate::describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "limits.http_requests: 0 is not between 1 and 10000000",
        "limits.http_response_mib: 5000 is not between 1 and 4096",
        "tenant[0].target[0].regions: applies to a live target only",
        "tenant[0].target[1].mode: a live target needs `regions` or `endpoints`",
        "tenant[0].target[2].regions: `us-east-1.attacker.example` is not an AWS region name",
        "tenant[0].target[2].endpoints[0]: `http://moto.example:5000`: plain http is allowed only for a loopback endpoint",
        "tenant[0].target[2].endpoints[1]: `https://169.254.169.254`: a link-local or metadata address is never granted",
        "tenant[0].target[3].mode: `online` is not a mode",
        "tenant[0].target[4].regions: endpoints are derived from regions for provider `aws` only",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    assert!(!err.contains("endpoints[2]"), "{err}");
}

/// The path a live scan takes, end to end against a real AWS API emulator: an account seeded
/// through boto3, and a sandboxed plugin granted only the emulator's loopback endpoint lists its
/// S3 buckets, and can reach nothing else. (The emulator routes an unsigned request to S3; other
/// services need the host's signature, whose credential scope names the service.)
#[test]
fn a_granted_plugin_reads_the_aws_emulator_and_nothing_else() {
    let moto = crate::moto::Moto::start();
    moto.seed(
        r#"
import boto3
s3 = boto3.client("s3", region_name="us-east-1")
s3.create_bucket(Bucket="demarc-live-logs")
s3.create_bucket(Bucket="demarc-live-site")
"#,
    );
    let base = moto.endpoint();
    let (o, seen) = fetch(
        &[format!("{base}/"), "https://s3.amazonaws.com/".to_string()],
        Some(grant(vec![Endpoint::parse(&base).unwrap()])),
    );
    assert!(o.completed, "{:?}", o.gaps);
    assert!(seen[0].contains("-> 200"), "{}", seen[0]);
    for bucket in ["demarc-live-logs", "demarc-live-site"] {
        assert!(
            seen[0].contains(&format!("<Name>{bucket}</Name>")),
            "{}",
            seen[0]
        );
    }
    assert!(denied(&seen[1]), "{}", seen[1]);
    assert_eq!(refused(&o, Refusal::OutsideGrant), 1);
    assert_eq!(o.egress.sent, 1);
}

/// A grant whose endpoints are all AWS endpoints, signed with fixed credentials.
fn signed_grant(endpoints: Vec<Endpoint>, regions: &[&str], credentials: Credentials) -> Grant {
    let mut g = grant(endpoints);
    g.aws = Some(AwsSigning {
        endpoints: g.endpoints.clone(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        credentials: CredentialCache::fixed("tenant `acme`", credentials),
    });
    g
}

/// The plugin's unsigned Query API request reaches the emulator's EC2 API only because the host
/// signs it: the credential scope names the service (`ec2`, from the request's `Version`) and the
/// region (the target's first, or the one the plugin names in `X-Demarc-Aws-Region`).
#[test]
fn a_signed_request_reaches_the_emulators_ec2_api() {
    let moto = crate::moto::Moto::start();
    let vpc = moto.seed(
        r#"
import boto3
ec2 = boto3.client("ec2", region_name="eu-west-1")
print(ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"])
"#,
    );
    let vpc = vpc.trim();
    assert!(vpc.starts_with("vpc-"), "{vpc}");
    let base = moto.endpoint();
    let describe = format!("{base}/?Action=DescribeVpcs&Version=2016-11-15");
    let requests = [
        describe.clone(),
        format!("{describe} header=x-demarc-aws-region:us-east-1"),
        format!("{describe} header=x-demarc-aws-region:ap-south-1"),
        // A signature of the plugin's own is dropped, and the host's replaces it.
        format!(
            "{describe} header=authorization:AWS4-HMAC-SHA256_forged header=x-amz-date:19700101T000000Z"
        ),
    ];
    let creds = Credentials::new("AKIDDEMARCSIGNING", SECRET, None, None, "test");
    let (o, seen) = fetch(
        &requests,
        Some(signed_grant(
            vec![Endpoint::parse(&base).unwrap()],
            &["eu-west-1", "us-east-1"],
            creds,
        )),
    );
    assert!(seen[0].contains("-> 200"), "{}", seen[0]);
    assert!(seen[0].contains("DescribeVpcsResponse"), "{}", seen[0]);
    assert!(seen[0].contains(vpc), "the VPC of eu-west-1: {}", seen[0]);
    assert!(seen[1].contains("DescribeVpcsResponse"), "{}", seen[1]);
    assert!(
        !seen[1].contains(vpc),
        "us-east-1 has not that VPC: {}",
        seen[1]
    );
    assert!(
        denied(&seen[2]),
        "a region outside the target's: {}",
        seen[2]
    );
    assert!(seen[3].contains(vpc), "{}", seen[3]);
    assert_eq!(refused(&o, Refusal::Unsignable), 1);
    assert_eq!(o.egress.sent, 3);
    for s in &seen {
        assert!(!s.contains(SECRET), "{s}");
    }
}

/// An unmistakable secret access key of the tests.
const SECRET: &str = "demarcSECRETaccessKEY0123456789abcdefghij";

/// A session token of the tests.
const TOKEN: &str = "demarcSESSIONtoken-FwoGZXIvYXdzEJr-0123456789";

/// The hostile plugin hunts for the credentials the host signs with: a loopback server granted as
/// an AWS endpoint echoes the signed request it received (a signature and token of the plugin's
/// own added), the metadata endpoints of AWS are tried by address, and an attacker's host by
/// name. (Reading the host's environment and files is covered by the sandbox tests: the plugin's
/// WASI context holds no environment variable and no file outside its snapshot.) The server (standing for the cloud) receives the
/// access key id and the signature by necessity; the plugin reads neither the secret access key
/// nor the session token anywhere: the echoed body is cut off and counted, and what the plugin
/// saw, its findings, and the refusal gap hold neither.
#[test]
fn the_plugin_never_reads_the_credentials_the_host_signs_with() {
    let server = Server::start();
    let creds = Credentials::new(
        "AKIDDEMARCHOSTILE",
        SECRET,
        Some(TOKEN.into()),
        None,
        "test",
    );
    let requests = [
        server.url("/echo"),
        server.url("/ok"),
        format!(
            "{} header=authorization:stolen header=x-amz-security-token:planted",
            server.url("/echo")
        ),
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_string(),
        "http://[fd00:ec2::254]/latest/api/token".to_string(),
        "http://169.254.170.2/v2/credentials".to_string(),
        "https://attacker.example/steal".to_string(),
    ];
    let (o, seen) = fetch(
        &requests,
        Some(signed_grant(vec![server.endpoint()], &["eu-west-1"], creds)),
    );
    // The echo is cut off before the plugin reads the token in it; a plain answer passes.
    assert!(seen[0].contains("-> error"), "{}", seen[0]);
    assert!(
        seen[1].contains("-> 200") && seen[1].contains("hello"),
        "{}",
        seen[1]
    );
    assert!(seen[2].contains("-> error"), "{}", seen[2]);
    for s in &seen[3..] {
        assert!(denied(s), "{s}");
    }
    assert_eq!(refused(&o, Refusal::CredentialEcho), 2);
    // Metadata addresses are outside the grant before their address is even looked at.
    assert_eq!(refused(&o, Refusal::OutsideGrant), 4);
    let gap = refusal_gap(&o);
    assert!(gap.contains("2 whose response echoed credentials"), "{gap}");
    for text in seen
        .iter()
        .chain([&gap])
        .chain(o.gaps.iter().map(|g| &g.message))
    {
        assert!(
            !text.contains(SECRET),
            "the secret reached the plugin: {text}"
        );
        assert!(
            !text.contains(TOKEN),
            "the token reached the plugin: {text}"
        );
    }
    // What reached the server: the host's signature, never the plugin's, never the secret.
    let heads = server.seen();
    assert_eq!(heads.len(), 3, "{heads:#?}");
    for head in &heads {
        let lower = head.to_ascii_lowercase();
        assert!(
            lower.contains("authorization: aws4-hmac-sha256 credential=akiddemarchostile/"),
            "{head}"
        );
        assert!(
            !lower.contains("stolen") && !lower.contains("planted"),
            "{head}"
        );
        assert!(!head.contains(SECRET), "{head}");
    }
}

/// Only a secret of a sane length is looked for in responses: with an emulator's short secret
/// (`testing`), an ordinary response that holds the word reaches the plugin whole; a real-length
/// secret in a response is cut off.
#[test]
fn a_short_emulator_secret_does_not_cut_ordinary_responses() {
    let server = Server::start();
    let short = Credentials::new("testing", "testing", Some("testing".into()), None, "test");
    let (o, seen) = fetch(
        &[server.url("/say?integration-testing-passed")],
        Some(signed_grant(vec![server.endpoint()], &[], short)),
    );
    assert!(
        seen[0].contains("-> 200") && seen[0].contains("body=integration-testing-passed"),
        "{}",
        seen[0]
    );
    assert_eq!(refused(&o, Refusal::CredentialEcho), 0);
    let long = Credentials::new("AKIDDEMARCSHORT", SECRET, None, None, "test");
    let (o, seen) = fetch(
        &[server.url(&format!("/say?before-{SECRET}-after"))],
        Some(signed_grant(vec![server.endpoint()], &[], long)),
    );
    // (The URL the plugin names holds the secret here; what came back holds none of it.)
    let answer = seen[0].split(" -> ").nth(1).unwrap_or_default();
    assert!(answer.starts_with("error"), "{}", seen[0]);
    assert!(!answer.contains(SECRET), "{}", seen[0]);
    assert_eq!(refused(&o, Refusal::CredentialEcho), 1);
}

/// The host signs for the AWS endpoints of the grant and no other: a granted endpoint that is
/// not marked AWS receives the plugin's request unsigned, without a signature the plugin wrote.
#[test]
fn an_endpoint_not_marked_aws_gets_no_signature() {
    let server = Server::start();
    let other = Server::start();
    let creds = Credentials::new(
        "AKIDDEMARCHOSTILE",
        SECRET,
        Some(TOKEN.into()),
        None,
        "test",
    );
    let mut g = signed_grant(vec![server.endpoint()], &[], creds);
    g.endpoints.push(other.endpoint());
    let (o, seen) = fetch(
        &[format!("{} header=authorization:mine", other.url("/echo"))],
        Some(g),
    );
    assert!(o.completed, "{:?}", o.gaps);
    assert!(seen[0].contains("-> 200"), "{}", seen[0]);
    let lower = seen[0].to_ascii_lowercase();
    assert!(!lower.contains("authorization"), "{}", seen[0]);
    assert!(!lower.contains("x-amz"), "{}", seen[0]);
    assert!(server.seen().is_empty());
}

/// A live `aws` target of the configuration is signed with the host's credentials from the AWS
/// SDK's default chain (here its environment): the endpoint receives the access key id, and
/// neither the report nor the log holds the secret; without credentials (no environment, no
/// shared files, no instance metadata) nothing is sent and the target's gap says why.
#[test]
fn a_live_aws_target_is_signed_with_the_hosts_credentials_and_none_leak() {
    use sha2::Digest as _;
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hostile = crate::wasm("demarc-test-hostile");
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(&hostile).unwrap()));
    std::fs::create_dir_all(dir.join("live")).unwrap();
    std::fs::write(dir.join("live/requests.txt"), server.url("/ok")).unwrap();
    let cfg = crate::write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n\n\
             [[plugin]]\npath = \"{}\"\nsha256 = \"{digest}\"\n\n\
             [[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"fetch\"\nprovider = \"aws\"\nplugin = \"hostile\"\n\
             snapshot = \"live\"\nmode = \"live\"\nendpoints = [\"http://127.0.0.1:{}\"]\n",
            hostile.display(),
            server.port
        ),
    );
    let run = |with_credentials: bool| {
        let out_dir = dir.join(if with_credentials { "out1" } else { "out2" });
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_demarc"));
        crate::isolate_aws(&mut cmd, dir)
            .args(["scan", "--config", cfg.to_str().unwrap(), "--out"])
            .arg(&out_dir)
            .args(["--format", "json"])
            .current_dir(dir)
            .env("DEMARC_CACHE_DIR", dir.join(".cache"))
            .env("RUST_LOG", "debug")
            .env_remove("BUILT_WASM_DIR")
            .env_remove("DEMARC_REFERENCE_DATA");
        if with_credentials {
            cmd.env("AWS_ACCESS_KEY_ID", "AKIDDEMARCCLI")
                .env("AWS_SECRET_ACCESS_KEY", SECRET);
        }
        let _cpu = crate::shared_cpu();
        let out = cmd.output().unwrap();
        let report = std::fs::read_to_string(out_dir.join("report.json")).unwrap_or_default();
        (out, report)
    };
    let (out, report) = run(true);
    let heads = server.seen();
    assert_eq!(heads.len(), 1, "{}", crate::describe(&out));
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("authorization: aws4-hmac-sha256 credential=akiddemarccli/"),
        "{}",
        heads[0]
    );
    for text in [
        report.as_str(),
        &String::from_utf8_lossy(&out.stderr),
        &String::from_utf8_lossy(&out.stdout),
    ] {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
    }
    let (out, report) = run(false);
    assert_eq!(server.seen().len(), 1, "nothing sent without credentials");
    assert_eq!(out.status.code(), Some(3), "{}", crate::describe(&out));
    assert!(
        report.contains("1 to an AWS endpoint without credentials (first: GET http://127.0.0.1:")
            && report.contains("no credentials for the default credential chain: "),
        "{report}"
    );
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        r["run"]["targets"][0]["live"]["credentials"],
        "the default credential chain"
    );
}
