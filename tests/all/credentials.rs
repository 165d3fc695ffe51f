//! Where a live AWS target's credentials come from: the AWS SDK's default chain, a named
//! profile, or a role the host assumes with an external id through STS, per target. Tested end
//! to end with the `demarc` binary against a real AWS API emulator (moto): the hostile plugin asks
//! STS `GetCallerIdentity` through its grant, and the identity it reads back is the one the host
//! signed with. A loopback recording proxy in front of the emulator shows which access key signed
//! each request and what `AssumeRole` carried. Nothing reaches beyond this machine: the SDK's
//! instance metadata lookups are disabled and its shared files are the test's own.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// The secret access key of the source credentials (environment or profile).
const SOURCE_SECRET: &str = "demarcSOURCEsecretKEY0123456789abcdefghij";
/// The secret access key of the `prod` profile.
const PROFILE_SECRET: &str = "demarcPROFILEsecretKEY0123456789abcdefghi";
/// An external id, which appears in no report, log line or message.
const EXTERNAL_ID: &str = "acme-ext-7f3a2c91";

/// One request that passed the proxy, and the response it got.
#[derive(Clone, Debug)]
struct Exchange {
    request: String,
    response: String,
}

/// A loopback HTTP/1.1 proxy in front of `upstream` (`127.0.0.1:PORT`): each request is sent
/// on, its response returned, and both kept. With no upstream, every request gets `reply`.
struct Proxy {
    port: u16,
    seen: Arc<Mutex<Vec<Exchange>>>,
}

impl Proxy {
    fn start(upstream: Option<u16>, reply: &'static str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = log.clone();
                std::thread::spawn(move || serve(stream, upstream, reply, &log));
            }
        });
        Proxy { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Exchange> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serve the one request of a connection (the client opens another for the next).
fn serve(stream: TcpStream, upstream: Option<u16>, reply: &str, log: &Mutex<Vec<Exchange>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    {
        let mut head = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
            let end = line == "\r\n";
            // The upstream closes the connection after its answer, so that it is read whole.
            if !line.to_ascii_lowercase().starts_with("connection:") {
                head.push(line);
            }
            if end {
                break;
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = format!("{}{}", head.concat(), String::from_utf8_lossy(&body));
        let response = match upstream {
            Some(port) => {
                let mut up = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let last = head.len() - 1;
                let mut forwarded = head[..last].concat();
                forwarded.push_str("Connection: close\r\n\r\n");
                up.write_all(forwarded.as_bytes()).unwrap();
                up.write_all(&body).unwrap();
                let mut answer = Vec::new();
                let _ = up.read_to_end(&mut answer);
                answer
            }
            None => format!(
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            )
            .into_bytes(),
        };
        log.lock().unwrap().push(Exchange {
            request,
            response: String::from_utf8_lossy(&response).into_owned(),
        });
        let _ = writer.write_all(&response);
        let _ = writer.flush();
    }
}

/// The Query API request of STS `GetCallerIdentity` at `base`, as the hostile plugin sends it.
fn caller_identity(base: &str) -> String {
    format!("{base}/?Action=GetCallerIdentity&Version=2011-06-15")
}

/// A configuration of live `aws` targets scanned by the hostile plugin's `fetch` behaviour: one
/// `[[tenant]]` per entry (tenant id, target keys), its target `fetch.TENANT` reading its
/// `requests.txt` from a directory named after the tenant.
fn config(dir: &Path, tenants: &[(&str, String, &[String])]) -> PathBuf {
    use sha2::Digest as _;
    let hostile = crate::wasm("demarc-test-hostile");
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(&hostile).unwrap()));
    let mut text = format!(
        "now = \"2026-11-01T00:00:00Z\"\n\n[[plugin]]\npath = \"{}\"\nsha256 = \"{digest}\"\n",
        hostile.display()
    );
    for (tenant, keys, requests) in tenants {
        std::fs::create_dir_all(dir.join(tenant)).unwrap();
        std::fs::write(dir.join(tenant).join("requests.txt"), requests.join("\n")).unwrap();
        text.push_str(&format!(
            "\n[[tenant]]\nid = \"{tenant}\"\n\n[[tenant.target]]\nid = \"fetch.{tenant}\"\n\
             provider = \"aws\"\nplugin = \"hostile\"\nsnapshot = \"{tenant}\"\nmode = \"live\"\n{keys}\n"
        ));
    }
    crate::write_config(dir, &text)
}

/// Scan `cfg` with `env` on top of an environment kept off this machine's AWS settings, the
/// SDK's trace events asked for; the run, the report's text, and the report.
fn scan(dir: &Path, cfg: &Path, env: &[(&str, &str)]) -> (Output, String, serde_json::Value) {
    let out_dir = dir.join("out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_demarc"));
    crate::isolate_aws(&mut cmd, dir)
        .args(["scan", "--config", cfg.to_str().unwrap(), "--out"])
        .arg(&out_dir)
        .args(["--format", "json"])
        .current_dir(dir)
        .env("DEMARC_CACHE_DIR", dir.join(".cache"))
        // The SDK's own trace events asked for (they are never written), the host's debug ones.
        .env(
            "RUST_LOG",
            "warn,demarc=debug,demarc_runtime=debug,aws_config=trace,aws_smithy_runtime=trace,\
             aws_sdk_sts=trace,aws_smithy_http_client=trace",
        )
        .env_remove("BUILT_WASM_DIR")
        .env_remove("DEMARC_REFERENCE_DATA");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = {
        let _cpu = crate::shared_cpu();
        cmd.output().unwrap()
    };
    let text = std::fs::read_to_string(out_dir.join("report.json")).unwrap_or_default();
    let report = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("no report ({e}): {}", crate::describe(&out)));
    (out, text, report)
}

/// What the plugin of `tenant`'s target saw of its request `n`.
fn seen(report: &serde_json::Value, tenant: &str, n: usize) -> String {
    let id = format!("request-{n}");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["id"] == id.as_str() && f["tenant"] == tenant)
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no finding {id} of tenant {tenant}"))
}

/// The `run.targets[]` record of `target`.
fn target_record<'a>(report: &'a serde_json::Value, target: &str) -> &'a serde_json::Value {
    report["run"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == target)
        .unwrap_or_else(|| panic!("no target {target}"))
}

/// The text between `<tag>` and `</tag>` in `xml`.
fn element(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}

/// `text` holds none of `secrets`.
fn holds_none(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{what} holds a secret ({s}):\n{text}");
    }
}

/// An MSSP tenant whose target names a role and an external id: the host assumes the role
/// through the emulator's STS with the source credentials of its environment, and the plugin's
/// request is signed with the assumed credentials (STS answers with the assumed role's ARN in
/// the role's account). Another tenant in the same run, naming nothing, signs with the default
/// chain (the environment) and is answered as the emulator's default account. `AssumeRole`
/// carried the external id and the session name; the external id, the source secret and the
/// assumed secret and session token appear in no report, log line (at trace level) or finding.
#[test]
fn an_assumed_role_tenant_signs_with_the_assumed_credentials() {
    let moto = crate::moto::Moto::start();
    let sts = Proxy::start(Some(moto.port), "");
    let api = Proxy::start(Some(moto.port), "");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cfg = config(
        dir,
        &[
            (
                "acme",
                format!(
                    "endpoints = [\"{}\"]\nrole_arn = \"arn:aws:iam::111111111111:role/Audit\"\n\
                     external_id = \"{EXTERNAL_ID}\"\nsts_endpoint = \"{}\"\n",
                    api.url(),
                    sts.url()
                ),
                &[caller_identity(&api.url())],
            ),
            (
                "globex",
                format!("endpoints = [\"{}\"]\n", moto.endpoint()),
                &[caller_identity(&moto.endpoint())],
            ),
        ],
    );
    let (out, text, report) = scan(
        dir,
        &cfg,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDDEMARCSOURCE"),
            ("AWS_SECRET_ACCESS_KEY", SOURCE_SECRET),
        ],
    );
    let acme = seen(&report, "acme", 0);
    assert!(
        acme.contains("<Arn>arn:aws:sts::111111111111:assumed-role/Audit/demarc-acme</Arn>")
            && acme.contains("<Account>111111111111</Account>"),
        "the assumed role answered: {acme}\n{}",
        crate::describe(&out)
    );
    let globex = seen(&report, "globex", 0);
    assert!(
        globex.contains("GetCallerIdentityResponse") && !globex.contains("111111111111"),
        "{globex}"
    );

    // AssumeRole: sent once, signed by the source key, with the external id and session name.
    let assumed: Vec<Exchange> = sts
        .seen()
        .into_iter()
        .filter(|e| e.request.contains("Action=AssumeRole"))
        .collect();
    assert_eq!(assumed.len(), 1, "{assumed:#?}");
    let call = &assumed[0].request;
    assert!(call.starts_with("POST / HTTP/1.1"), "{call}");
    assert!(
        call.to_ascii_lowercase()
            .contains("credential=akiddemarcsource/"),
        "{call}"
    );
    for part in [
        "RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FAudit",
        &format!("ExternalId={EXTERNAL_ID}"),
        "RoleSessionName=demarc-acme",
    ] {
        assert!(call.contains(part), "missing {part} in {call}");
    }
    let response = &assumed[0].response;
    let key_id = element(response, "AccessKeyId").expect("AssumeRole answered");
    let secret = element(response, "SecretAccessKey").unwrap();
    let token = element(response, "SessionToken").unwrap();
    assert!(secret.len() >= 16 && token.len() >= 16, "{response}");

    // The plugin's request reached the API signed with the assumed key.
    let calls = api.seen();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let head = calls[0].request.to_ascii_lowercase();
    assert!(
        head.contains(&format!("credential={}/", key_id.to_ascii_lowercase())),
        "{}",
        calls[0].request
    );
    assert!(head.contains("/sts/aws4_request"), "{}", calls[0].request);

    // The report says where each target's credentials came from, and nothing secret.
    assert_eq!(
        target_record(&report, "fetch.acme")["live"]["credentials"],
        format!(
            "assumed role arn:aws:iam::111111111111:role/Audit (session demarc-acme, with an \
             external id, STS at {}) from the default credential chain",
            sts.url()
        )
    );
    assert_eq!(
        target_record(&report, "fetch.globex")["live"]["credentials"],
        "the default credential chain"
    );
    let secrets = [SOURCE_SECRET, secret.as_str(), token.as_str(), EXTERNAL_ID];
    holds_none("the report", &text, &secrets);
    holds_none("the log", &String::from_utf8_lossy(&out.stderr), &secrets);
    holds_none(
        "the output",
        &String::from_utf8_lossy(&out.stdout),
        &secrets,
    );
    assert!(
        !text.contains("without credentials"),
        "{}",
        crate::describe(&out)
    );
}

/// A target naming a profile signs with that profile of the shared files alone, even though the
/// environment holds other keys; a target naming the profile and a role assumes the role with
/// the profile's keys.
#[test]
fn a_profile_signs_and_sources_an_assumed_role() {
    let moto = crate::moto::Moto::start();
    let sts = Proxy::start(Some(moto.port), "");
    let api = Proxy::start(Some(moto.port), "");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join(".aws-credentials"),
        format!(
            "[prod]\naws_access_key_id = AKIDDEMARCPROFILE\naws_secret_access_key = {PROFILE_SECRET}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join(".aws-config"),
        "[profile prod]\nregion = eu-west-1\n",
    )
    .unwrap();
    let cfg = config(
        dir,
        &[
            (
                "initech",
                format!("endpoints = [\"{}\"]\nprofile = \"prod\"\n", api.url()),
                &[caller_identity(&api.url())],
            ),
            (
                "umbrella",
                format!(
                    "endpoints = [\"{}\"]\nprofile = \"prod\"\n\
                     role_arn = \"arn:aws:iam::222222222222:role/ops/Reader\"\n\
                     role_session_name = \"umbrella-audit\"\nsts_endpoint = \"{}\"\n",
                    moto.endpoint(),
                    sts.url()
                ),
                &[caller_identity(&moto.endpoint())],
            ),
        ],
    );
    let (out, text, report) = scan(
        dir,
        &cfg,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDDEMARCENVIRONMENT"),
            ("AWS_SECRET_ACCESS_KEY", SOURCE_SECRET),
        ],
    );
    let calls = api.seen();
    assert_eq!(calls.len(), 1, "{calls:#?}\n{}", crate::describe(&out));
    let head = calls[0].request.to_ascii_lowercase();
    assert!(
        head.contains("credential=akiddemarcprofile/"),
        "the profile's key signed: {}",
        calls[0].request
    );
    assert!(seen(&report, "initech", 0).contains("GetCallerIdentityResponse"));
    let umbrella = seen(&report, "umbrella", 0);
    assert!(
        umbrella
            .contains("<Arn>arn:aws:sts::222222222222:assumed-role/Reader/umbrella-audit</Arn>"),
        "{umbrella}"
    );
    let assumed = sts.seen();
    assert_eq!(assumed.len(), 1, "{assumed:#?}");
    assert!(
        assumed[0]
            .request
            .to_ascii_lowercase()
            .contains("credential=akiddemarcprofile/"),
        "{}",
        assumed[0].request
    );
    // The profile's region is STS's when the target names none.
    assert!(
        assumed[0].request.contains("/eu-west-1/sts/aws4_request"),
        "{}",
        assumed[0].request
    );
    assert!(!assumed[0].request.contains("ExternalId"));
    assert_eq!(
        target_record(&report, "fetch.initech")["live"]["credentials"],
        "profile prod"
    );
    let secret = element(&assumed[0].response, "SecretAccessKey").unwrap();
    let secrets = [PROFILE_SECRET, SOURCE_SECRET, secret.as_str()];
    holds_none("the report", &text, &secrets);
    holds_none("the log", &String::from_utf8_lossy(&out.stderr), &secrets);
}

/// STS refuses a tenant's AssumeRole, and another tenant names a profile that does not exist:
/// each of their targets sends nothing to the AWS endpoints and gets a gap saying why (exit 3),
/// while a third tenant in the same run is signed and answered as usual.
#[test]
fn a_refused_role_or_missing_profile_costs_only_its_target() {
    let moto = crate::moto::Moto::start();
    let denied = Proxy::start(
        None,
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/mssp is not \
         authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/Audit\
         </Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>",
    );
    let api = Proxy::start(Some(moto.port), "");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cfg = config(
        dir,
        &[
            (
                "hooli",
                format!(
                    "endpoints = [\"{}\"]\nrole_arn = \"arn:aws:iam::333333333333:role/Audit\"\n\
                     external_id = \"{EXTERNAL_ID}\"\nsts_endpoint = \"{}\"\n",
                    api.url(),
                    denied.url()
                ),
                &[caller_identity(&api.url())],
            ),
            (
                "pied-piper",
                format!("endpoints = [\"{}\"]\nprofile = \"nope\"\n", api.url()),
                &[caller_identity(&api.url())],
            ),
            (
                "wayne",
                format!("endpoints = [\"{}\"]\n", moto.endpoint()),
                &[caller_identity(&moto.endpoint())],
            ),
        ],
    );
    let (out, text, report) = scan(
        dir,
        &cfg,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDDEMARCSOURCE"),
            ("AWS_SECRET_ACCESS_KEY", SOURCE_SECRET),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", crate::describe(&out));
    assert!(
        api.seen().is_empty(),
        "nothing sent without credentials: {:#?}",
        api.seen()
    );
    assert_eq!(denied.seen().len(), 1, "AssumeRole was asked once");
    let gaps = crate::gaps(&report);
    let gap_of = |target: &str| -> String {
        gaps.iter()
            .filter(|g| g["target"] == target)
            .map(|g| g["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let hooli = gap_of("fetch.hooli");
    for want in [
        "1 to an AWS endpoint without credentials",
        "no credentials for assumed role arn:aws:iam::333333333333:role/Audit",
        "AccessDenied",
    ] {
        assert!(hooli.contains(want), "missing {want:?} in {hooli}");
    }
    let piper = gap_of("fetch.pied-piper");
    assert!(
        piper.contains("1 to an AWS endpoint without credentials")
            && piper.contains("no credentials for profile nope")
            && piper.contains("nope"),
        "{piper}"
    );
    assert!(seen(&report, "hooli", 0).contains("HttpRequestDenied"));
    let wayne = gap_of("fetch.wayne");
    assert!(
        !wayne.contains("refused") && !wayne.contains("credentials"),
        "{wayne}"
    );
    assert!(seen(&report, "wayne", 0).contains("GetCallerIdentityResponse"));
    let secrets = [SOURCE_SECRET, EXTERNAL_ID];
    holds_none("the report", &text, &secrets);
    holds_none("the log", &String::from_utf8_lossy(&out.stderr), &secrets);
}

/// The credential keys are checked and named by key; no message shows the external id.
#[test]
fn credential_settings_are_checked_and_named_by_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("x")).unwrap();
    let cfg = crate::write_config(
        tmp.path(),
        &format!(
            r#"[[tenant]]
id = "acme"
[[tenant.target]]
id = "t1"
provider = "aws"
snapshot = "x"
role_arn = "arn:aws:iam::111111111111:role/Audit"
profile = "prod"
[[tenant.target]]
id = "t2"
provider = "azure"
snapshot = "x"
mode = "live"
endpoints = ["https://management.azure.com"]
role_arn = "arn:aws:iam::111111111111:role/Audit"
[[tenant.target]]
id = "t3"
provider = "aws"
snapshot = "x"
mode = "live"
regions = ["eu-west-1"]
role_arn = "arn:aws:iam::111111111111:user/Audit"
external_id = "{EXTERNAL_ID} has spaces"
role_session_name = "a/b"
sts_endpoint = "http://sts.example.com"
[[tenant.target]]
id = "t4"
provider = "aws"
snapshot = "x"
mode = "live"
regions = ["eu-west-1"]
external_id = "{EXTERNAL_ID}"
sts_endpoint = "http://127.0.0.1:5000"
profile = "has space"
"#
        ),
    );
    let out = crate::demarc(&["scan", "--config", cfg.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", crate::describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "tenant[0].target[0].role_arn: applies to a live target only",
        "tenant[0].target[0].profile: applies to a live target only",
        "tenant[0].target[1].role_arn: applies to a live `aws` target only",
        "tenant[0].target[2].role_arn: `arn:aws:iam::111111111111:user/Audit` is not an IAM role ARN",
        "tenant[0].target[2].external_id: is not a valid external id",
        "tenant[0].target[2].role_session_name: `a/b` is not a role session name",
        "tenant[0].target[2].sts_endpoint: `http://sts.example.com`: plain http is allowed only for a loopback endpoint",
        "tenant[0].target[3].external_id: applies with `role_arn` only",
        "tenant[0].target[3].sts_endpoint: applies with `role_arn` only",
        "tenant[0].target[3].profile: `has space` is not a profile name",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    assert!(!err.contains(EXTERNAL_ID), "{err}");
}
