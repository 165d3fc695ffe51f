//! A real AWS API emulator for the live-scanning tests: moto's server (installed by
//! `scripts/setup-moto`), started on a free loopback port and stopped when dropped.
//!
//! `Moto::start()` finds the server at `DEMARC_MOTO_SERVER` or where `scripts/setup-moto` puts
//! it, and fails the test with what to run when it is not installed. `seed` runs a Python
//! script with the emulator's own interpreter (moto brings boto3), `AWS_ENDPOINT_URL` pointing
//! at this server, so accounts are seeded through the same AWS APIs a user's tooling calls.

#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pinned moto version; `scripts/setup-moto` installs it under `target/moto-VERSION`.
pub const MOTO_VERSION: &str = "5.2.6";

/// A running moto server on `127.0.0.1:port`.
pub struct Moto {
    pub port: u16,
    child: Child,
    python: PathBuf,
}

/// The `moto_server` executable: `DEMARC_MOTO_SERVER`, or `scripts/setup-moto`'s virtualenv.
pub fn server_path() -> PathBuf {
    if let Some(p) = std::env::var_os("DEMARC_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.join(format!("target/moto-{MOTO_VERSION}/bin/moto_server"))
}

impl Moto {
    /// Start a fresh server (empty state) and wait until it answers.
    pub fn start() -> Moto {
        let server = server_path();
        assert!(
            server.is_file(),
            "moto's server is not installed at {}: run `bash scripts/setup-moto` (the test \
             command does) or set DEMARC_MOTO_SERVER",
            server.display()
        );
        let python = server.with_file_name("python3");
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let mut moto = Moto {
            port,
            child,
            python,
        };
        moto.wait_ready();
        moto
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("moto's server exited before it answered: {status}");
            }
            if let Ok(body) = http_get(self.port, "/moto-api/data.json")
                && body.starts_with("HTTP/1.")
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "moto's server did not answer on port {} within 60 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Run `script` (Python, with boto3) against this server: `AWS_ENDPOINT_URL` points here and
    /// the credentials are the emulator's test ones. Panics with the script's output on failure.
    pub fn seed(&self, script: &str) -> String {
        let out = Command::new(&self.python)
            .arg("-c")
            .arg(script)
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.python.display()));
        assert!(
            out.status.success(),
            "seeding moto failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Forget everything seeded (moto's reset API).
    pub fn reset(&self) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "moto reset: {reply}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    Ok(reply)
}
