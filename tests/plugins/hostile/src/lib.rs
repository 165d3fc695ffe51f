//! A hostile plugin for the sandbox tests. What it does depends on the id of the target it is
//! asked to scan (the prefix before the first `.`):
//!
//! - `ok`: emits two valid findings.
//! - `loop`: spins forever.
//! - `bomb`: allocates until memory runs out.
//! - `escape`: tries to read files outside its snapshot and reports what it could read.
//! - `unknown-control` / `unknown-check` / `oversize`: emits one valid finding and one invalid.
//! - `declare`: declares during the scan a well-formed check (`hostile-learned`), one that
//!   collides with `hostile-check` of `describe`, one naming an unknown control and one citing
//!   an unknown benchmark, then emits one finding of each of them and one of `hostile-check`.
//! - `flood`: emits findings forever, ignoring the host's refusal.
//! - `polite-flood`: emits findings until the host refuses, then stops as it should.
//! - `panic`: panics.
//! - `sleep`: sleeps for two minutes (blocked in WASI, not running guest code).
//! - `fifo`: reads the file `fifo` of its snapshot (a FIFO nobody writes to, in the tests).
//! - `hoard`: opens `data.json` of its snapshot 20,000 times, keeping every handle.
//! - `hold.N`: holds N MiB of its memory, then emits two valid findings.
//! - `forge-log`: logs a message with a newline and a fake log line after it, then fails with a
//!   message holding a newline and a terminal escape.
//! - `stack`: recurses with a 64 KiB local buffer per call until its (shadow) stack runs out.
//! - `recurse`: recurses with tiny frames, a hundred million calls deep.
//! - `huge.N`: emits one valid finding, then one whose message is a single N MiB string.
//! - `tiny.N`: emits N tiny valid findings.
//! - `probe`: reads the clocks, the environment, its arguments and the random sources, and fails
//!   with a message saying what it saw (`probe: ...`).
//! - `write`: tries to change its read-only snapshot (overwrite, create, mkdir, delete, rename),
//!   then fails with a message saying what succeeded.
//! - `socket.PORT`: tries TCP and UDP to 127.0.0.1:PORT and a name lookup, then fails with a
//!   message saying what succeeded.
//! - `symlink`: reads `link` (a symbolic link to a file outside the snapshot, in the tests) and
//!   `linkdir/secret` (through a link to a directory outside), then fails with a message saying
//!   what it could read.
//! - `fetch`: sends the HTTP requests listed in `requests.txt` of its snapshot through
//!   `wasi:http`, one a line: `URL [follow] [host=VALUE] [header=NAME:VALUE]...` (`follow`: one
//!   redirect is followed; `host=`: tries to set the `Host` header), and emits one passing
//!   finding per line, resource `request-N`, whose message says what came back: `URL -> STATUS
//!   headers=[...] body=...` or `URL -> error ...`; a last finding, `environment`, lists the
//!   environment variables it can read.
//!
//! `describe` sleeps for two minutes when [`DESCRIBE_MARKER`] reads `describe:sleeps`: the tests
//! patch those bytes in a copy of the component to get a plugin whose `describe` never ends.

use demarc_sdk::{
    Actor, CONTRACT_VERSION, Check, CheckDef, Emitter, FindingBuilder, PluginInfo, Producer,
    Provider, Requirement, ScanError, ScanRequest, ScanSummary, Severity, Status,
};

/// The one check the plugin declares.
pub const CHECK: CheckDef = CheckDef {
    id: "hostile-check",
    title: "A check that exists",
    severity: Severity::Low,
    actor: Actor::Customer,
    rationale: "Used by the sandbox tests.",
    remediation: "None.",
    controls: &["asset-ownership-documented"],
    resource_types: &["Hostile::Thing"],
    requirements: &[],
};

/// Patched in a copy of the component by the tests; see the crate documentation.
pub static DESCRIBE_MARKER: [u8; 15] = *b"describe:awake!";

/// The hostile provider.
pub struct Hostile;

fn finding(n: u64) -> demarc_sdk::Finding {
    FindingBuilder::new(
        &CHECK,
        "000000000000",
        "global",
        "Hostile::Thing",
        &format!("thing-{n}"),
    )
    .pass("fine")
}

/// A finding with the shortest fields a valid one can have.
fn tiny(n: u64) -> demarc_sdk::Finding {
    FindingBuilder::new(&CHECK, "0", "g", "Hostile::Thing", &n.to_string()).pass("")
}

/// The number after the `n`th `.` of a target id (0 when there is none).
fn number(target: &str, n: usize) -> usize {
    target
        .split('.')
        .nth(n)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Recurse with a 64 KiB buffer on the stack per call; never returns normally.
#[inline(never)]
fn stack_hog(n: u64) -> u64 {
    let mut buf = [0u8; 64 << 10];
    buf[(n % 1024) as usize] = n as u8;
    std::hint::black_box(&mut buf);
    if n == 0 {
        return u64::from(buf[0]);
    }
    1 + stack_hog(std::hint::black_box(n - 1)) + u64::from(buf[(n % 7) as usize])
}

/// Recurse `n` calls deep with a small frame.
#[inline(never)]
fn deep(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    1 + deep(std::hint::black_box(n - 1))
}

/// What the guest sees of the clocks, the environment, its arguments and the random sources.
fn probe() -> String {
    use std::collections::HashMap;
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos().to_string())
        .unwrap_or_else(|e| format!("before the epoch ({e})"));
    let before = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let slept = before.elapsed().as_nanos();
    let wall_after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos().to_string())
        .unwrap_or_default();
    let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let args: Vec<String> = std::env::args().collect();
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|e| format!("none ({e})"));
    // The order of a std `HashMap` comes from its random keys.
    let order: String = (0..16)
        .map(|i| (i, ()))
        .collect::<HashMap<u8, ()>>()
        .keys()
        .map(|k| format!("{k:x}"))
        .collect();
    #[cfg(target_arch = "wasm32")]
    let random = {
        let hex = |bytes: Vec<u8>| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
        let (a, b) = wasip2::random::insecure_seed::insecure_seed();
        format!(
            "{} insecure={} seed={a:x}.{b:x} monotonic={}",
            hex(wasip2::random::random::get_random_bytes(16)),
            hex(wasip2::random::insecure::get_insecure_random_bytes(16)),
            wasip2::clocks::monotonic_clock::now()
        )
    };
    #[cfg(not(target_arch = "wasm32"))]
    let random = String::new();
    format!(
        "probe: wall={wall} wall_after_sleep={wall_after} slept_ns={slept} env={env:?} \
         args={args:?} cwd={cwd} hashmap={order} random={random}"
    )
}

/// Try to change the snapshot in every way std offers.
fn write(root: &str) -> String {
    let attempts: [(&str, std::io::Result<()>); 6] = [
        (
            "overwrite data.json",
            std::fs::write(format!("{root}/data.json"), "{\"pwned\":true}"),
        ),
        (
            "append to data.json",
            std::fs::OpenOptions::new()
                .append(true)
                .open(format!("{root}/data.json"))
                .map(drop),
        ),
        (
            "create new.json",
            std::fs::write(format!("{root}/new.json"), "{}"),
        ),
        ("mkdir sub", std::fs::create_dir(format!("{root}/sub"))),
        (
            "delete data.json",
            std::fs::remove_file(format!("{root}/data.json")),
        ),
        (
            "rename data.json",
            std::fs::rename(format!("{root}/data.json"), format!("{root}/moved.json")),
        ),
    ];
    let (done, denied): (Vec<_>, Vec<_>) = attempts.into_iter().partition(|(_, r)| r.is_ok());
    let done: Vec<&str> = done.iter().map(|(what, _)| *what).collect();
    let denied: Vec<String> = denied
        .iter()
        .map(|(what, r)| format!("{what}: {}", r.as_ref().unwrap_err()))
        .collect();
    if done.is_empty() {
        format!("write: denied {}", denied.join("; "))
    } else {
        format!("write: WROTE {done:?}")
    }
}

/// Try the network: TCP, UDP and a name lookup.
fn socket(port: usize) -> String {
    use std::net::ToSocketAddrs;
    let addr = format!("127.0.0.1:{port}");
    let mut seen = Vec::new();
    seen.push(match std::net::TcpStream::connect(&addr) {
        Ok(_) => "tcp: CONNECTED".to_string(),
        Err(e) => format!("tcp: denied ({e})"),
    });
    seen.push(match std::net::UdpSocket::bind("0.0.0.0:0") {
        Ok(s) => match s.send_to(b"hostile", &addr) {
            Ok(n) => format!("udp: SENT {n} bytes"),
            Err(e) => format!("udp: send denied ({e})"),
        },
        Err(e) => format!("udp: denied ({e})"),
    });
    seen.push(match ("localhost", 80).to_socket_addrs() {
        Ok(a) => format!("dns: RESOLVED {:?}", a.collect::<Vec<_>>()),
        Err(e) => format!("dns: denied ({e})"),
    });
    format!("socket: {}", seen.join("; "))
}

impl Provider for Hostile {
    fn info() -> PluginInfo {
        // Read through an opaque reference so that the bytes stay in the data section.
        let marker: &[u8; 15] = std::hint::black_box(&DESCRIBE_MARKER);
        if marker == b"describe:sleeps" {
            std::thread::sleep(std::time::Duration::from_secs(120));
        }
        PluginInfo {
            name: "hostile".into(),
            version: "0.0.1".into(),
            provider: "hostile".into(),
            contract_version: CONTRACT_VERSION.into(),
            checks: vec![CHECK.to_check()],
            // As an importer of another tool's output would name that tool.
            producer: Some(Producer {
                name: "hostile-scanner".into(),
                version: "9.9".into(),
            }),
        }
    }

    fn scan(req: &ScanRequest, out: &mut Emitter<'_>) -> Result<ScanSummary, ScanError> {
        let behaviour = req.target.split('.').next().unwrap_or_default();
        let done = |n| {
            Ok(ScanSummary {
                resources: n,
                skipped: 0,
                problems: vec![],
            })
        };
        match behaviour {
            "ok" => {
                out.emit(finding(1))?;
                out.emit(finding(2))?;
                done(2)
            }
            "loop" => {
                let mut x = 0u64;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "bomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "escape" => {
                let mut read = Vec::new();
                let mut denied = Vec::new();
                for path in [
                    "/etc/passwd",
                    "/snapshot/../../../../etc/passwd",
                    "/proc/self/environ",
                    "/",
                ] {
                    match std::fs::read_to_string(path) {
                        Ok(text) => read.push(format!(
                            "{path}: {}",
                            text.chars().take(40).collect::<String>()
                        )),
                        Err(e) => denied.push(format!("{path}: {e}")),
                    }
                }
                let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                if !read.is_empty() || !env.is_empty() {
                    return Err(ScanError::Internal(format!(
                        "ESCAPED read={read:?} env={env:?}"
                    )));
                }
                Err(ScanError::Internal(format!(
                    "sandbox held: {}",
                    denied.join("; ")
                )))
            }
            "unknown-control" => {
                out.emit(finding(1))?;
                let mut bad = finding(2);
                bad.extra_controls = vec!["no-such-control".into()];
                out.emit(bad)?;
                done(2)
            }
            "declare" => {
                let learned = |id: &str, controls: &[&str], requirements: Vec<Requirement>| Check {
                    id: id.into(),
                    title: format!("A rule `{id}` of the data read"),
                    severity: Severity::High,
                    actor: Actor::Customer,
                    rationale: "Learned from the input.".into(),
                    remediation: "Follow the input's advice.".into(),
                    controls: controls.iter().map(|c| c.to_string()).collect(),
                    resource_types: vec!["Hostile::Thing".into()],
                    requirements,
                };
                out.declare(&[
                    learned("hostile-learned", &["mfa"], vec![]),
                    learned("hostile-check", &["mfa"], vec![]),
                    learned("hostile-unknown-control", &["no-such-control"], vec![]),
                    learned(
                        "hostile-cites",
                        &["mfa"],
                        vec![Requirement {
                            benchmark: "no-such-benchmark".into(),
                            id: "1.1".into(),
                        }],
                    ),
                ])?;
                out.emit(finding(1))?;
                for (n, id) in [
                    (2, "hostile-learned"),
                    (3, "hostile-unknown-control"),
                    (4, "hostile-cites"),
                ] {
                    let mut f = finding(n);
                    f.check_id = id.into();
                    f.status = Status::Fail;
                    out.emit(f)?;
                }
                done(4)
            }
            "unknown-check" => {
                out.emit(finding(1))?;
                let mut bad = finding(2);
                bad.check_id = "never-declared".into();
                out.emit(bad)?;
                done(2)
            }
            "oversize" => {
                out.emit(finding(1))?;
                let mut bad = finding(2);
                bad.message = "x".repeat(1 << 20);
                out.emit(bad)?;
                done(2)
            }
            "flood" => {
                #[cfg(target_arch = "wasm32")]
                {
                    let mut n = 0;
                    loop {
                        let batch: Vec<_> = (0..100).map(|i| finding(n + i)).collect();
                        // Ignore the host's refusal on purpose.
                        let _ = demarc_sdk::bindings::demarc::provider::host::emit(&batch);
                        n += 100;
                    }
                }
                #[cfg(not(target_arch = "wasm32"))]
                done(0)
            }
            "polite-flood" => {
                let mut n = 0;
                loop {
                    out.emit(finding(n))?;
                    n += 1;
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(120));
                done(0)
            }
            "fifo" => match std::fs::read(format!("{}/fifo", req.snapshot_root)) {
                Ok(bytes) => Err(ScanError::Internal(format!(
                    "read {} bytes from the FIFO",
                    bytes.len()
                ))),
                Err(e) => Err(ScanError::Internal(format!("cannot read the FIFO: {e}"))),
            },
            "hoard" => {
                let path = format!("{}/data.json", req.snapshot_root);
                let mut held = Vec::new();
                while held.len() < 20_000 {
                    match std::fs::File::open(&path) {
                        Ok(f) => held.push(f),
                        Err(e) => {
                            return Err(ScanError::Internal(format!(
                                "held {} open files, then: {e}",
                                held.len()
                            )));
                        }
                    }
                }
                Err(ScanError::Internal(format!(
                    "held {} open files",
                    held.len()
                )))
            }
            "hold" => {
                let mib: usize = req
                    .target
                    .split('.')
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                let held = vec![7u8; mib << 20];
                std::hint::black_box(&held);
                out.emit(finding(1))?;
                out.emit(finding(2))?;
                done(2)
            }
            "forge-log" => {
                demarc_sdk::log::warn(
                    "harmless\n2026-11-01T00:00:00.000000Z ERROR demarc: FORGED host line",
                );
                Err(ScanError::Internal(
                    "first\nFORGED gap line\u{1b}[2K".into(),
                ))
            }
            "stack" => {
                let depth = stack_hog(std::hint::black_box(u64::MAX));
                Err(ScanError::Internal(format!("survived {depth} calls")))
            }
            "recurse" => {
                let depth = deep(std::hint::black_box(100_000_000));
                Err(ScanError::Internal(format!("survived {depth} calls")))
            }
            "huge" => {
                let mib = number(&req.target, 1);
                out.emit(finding(1))?;
                let mut big = finding(2);
                big.message = "x".repeat(mib << 20);
                out.emit(big)?;
                done(2)
            }
            "tiny" => {
                let n = number(&req.target, 1) as u64;
                for i in 0..n {
                    out.emit(tiny(i))?;
                }
                done(n)
            }
            "probe" => Err(ScanError::Internal(probe())),
            "fetch" => {
                let list = std::fs::read_to_string(format!("{}/requests.txt", req.snapshot_root))
                    .map_err(|e| ScanError::Internal(format!("no requests.txt: {e}")))?;
                let mut n = 0;
                for (i, line) in list.lines().filter(|l| !l.trim().is_empty()).enumerate() {
                    let seen = fetch::run(line);
                    out.emit(
                        FindingBuilder::new(
                            &CHECK,
                            "000000000000",
                            "global",
                            "Hostile::Thing",
                            &format!("request-{i}"),
                        )
                        .pass(clip(&seen, 7000)),
                    )?;
                    n += 1;
                }
                let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
                out.emit(
                    FindingBuilder::new(
                        &CHECK,
                        "000000000000",
                        "global",
                        "Hostile::Thing",
                        "environment",
                    )
                    .pass(clip(&format!("env={env:?}"), 7000)),
                )?;
                done(n + 1)
            }
            "write" => Err(ScanError::Internal(write(&req.snapshot_root))),
            "socket" => Err(ScanError::Internal(socket(number(&req.target, 0)))),
            "symlink" => {
                let mut seen = Vec::new();
                for path in ["link", "linkdir/secret"] {
                    let full = format!("{}/{path}", req.snapshot_root);
                    seen.push(match std::fs::read_to_string(&full) {
                        Ok(text) => format!("{path}: READ {text:?}"),
                        Err(e) => format!("{path}: denied ({e})"),
                    });
                }
                Err(ScanError::Internal(format!("symlink: {}", seen.join("; "))))
            }
            other => Err(ScanError::Internal(format!("unknown behaviour `{other}`"))),
        }
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Outbound HTTP through `wasi:http`.
mod fetch {
    /// Run one line of `requests.txt`; say what came back.
    pub fn run(line: &str) -> String {
        let mut words = line.split_whitespace();
        let Some(url) = words.next() else {
            return "empty line".into();
        };
        let mut follow = false;
        let mut host = None;
        let mut headers = Vec::new();
        for w in words {
            if w == "follow" {
                follow = true;
            } else if let Some(h) = w.strip_prefix("host=") {
                host = Some(h.to_string());
            } else if let Some(h) = w.strip_prefix("header=")
                && let Some((k, v)) = h.split_once(':')
            {
                headers.push((k.to_string(), v.to_string()));
            }
        }
        let mut url = url.to_string();
        let mut said = Vec::new();
        for hop in 0..2 {
            match get(&url, host.as_deref(), &headers) {
                Ok((status, hdrs, body, notes)) => {
                    let location = hdrs
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                        .map(|(_, v)| v.clone());
                    said.push(format!(
                        "{url} -> {status}{notes} headers={hdrs:?} body={body}"
                    ));
                    match location {
                        Some(next) if follow && hop == 0 && (300..400).contains(&status) => {
                            url = next;
                        }
                        _ => break,
                    }
                }
                Err(e) => {
                    said.push(format!("{url} -> error {e}"));
                    break;
                }
            }
        }
        said.join(" | ")
    }

    #[cfg(target_arch = "wasm32")]
    #[allow(clippy::type_complexity)]
    fn get(
        url: &str,
        host: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<(u16, Vec<(String, String)>, String, String), String> {
        use wasip2::http::outgoing_handler;
        use wasip2::http::types::{Fields, OutgoingRequest, Scheme};
        use wasip2::io::streams::StreamError;

        let (scheme, rest) = url.split_once("://").ok_or("no scheme")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let mut notes = String::new();
        let fields = Fields::new();
        if let Some(h) = host
            && let Err(e) = fields.set("host", &[h.as_bytes().to_vec()])
        {
            notes.push_str(&format!(" (setting host refused: {e:?})"));
        }
        for (k, v) in extra {
            if let Err(e) = fields.set(k, &[v.as_bytes().to_vec()]) {
                notes.push_str(&format!(" (setting {k} refused: {e:?})"));
            }
        }
        let request = OutgoingRequest::new(fields);
        let scheme = if scheme == "https" {
            Scheme::Https
        } else {
            Scheme::Http
        };
        request
            .set_scheme(Some(&scheme))
            .map_err(|_| "bad scheme")?;
        request
            .set_authority(Some(authority))
            .map_err(|_| "bad authority")?;
        request
            .set_path_with_query(Some(path))
            .map_err(|_| "bad path")?;
        let future = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
        future.subscribe().block();
        let response = future
            .get()
            .ok_or("no response")?
            .map_err(|_| "response taken twice")?
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let body = response.consume().map_err(|_| "no body")?;
        let stream = body.stream().map_err(|_| "no body stream")?;
        let mut data = Vec::new();
        loop {
            match stream.blocking_read(64 << 10) {
                Ok(chunk) => data.extend(chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    let code = wasip2::http::types::http_error_code(&e);
                    return Err(format!(
                        "reading the body after {} bytes: {code:?}",
                        data.len()
                    ));
                }
            }
        }
        drop(stream);
        Ok((
            status,
            headers,
            String::from_utf8_lossy(&data).into_owned(),
            notes,
        ))
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::type_complexity)]
    fn get(
        _url: &str,
        _host: Option<&str>,
        _extra: &[(String, String)],
    ) -> Result<(u16, Vec<(String, String)>, String, String), String> {
        Err("outbound HTTP exists only in the sandbox".into())
    }
}

#[cfg(target_arch = "wasm32")]
demarc_sdk::export_provider!(Hostile);
