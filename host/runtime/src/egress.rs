//! Outbound HTTP of plugins (`wasi:http`), denied unless the target's grant allows it.
//!
//! A plugin builds requests with `wasi:http/outgoing-handler`; the host sends them itself, never
//! wasmtime's own sender. For each request it checks, in this order: the request count of the
//! target, the scheme, the request's authority against the granted endpoints (the `Host` header
//! is never the plugin's: `wasi:http` forbids setting it and the host writes it from the
//! authority), then resolves the name itself and refuses metadata and link-local addresses
//! always, and loopback and private addresses unless the endpoint grants them. It connects to
//! the very address it checked (no second lookup a DNS answer could change), verifies TLS
//! against the web PKI roots, waits at most the request timeout for the response head, and
//! stops a response body at the size cap. Redirects are never followed by the host: a plugin
//! that follows one sends a new request, checked like the first. Every refusal is logged, fails
//! the request in the plugin with `HTTP-request-denied` (or the size or time error), and is
//! counted for the target's gap.
//!
//! Before sending, the host drops the headers a plugin could authenticate itself with
//! (`Authorization`, `X-Amz-Security-Token`, `X-Amz-Date`, `X-Amz-Content-Sha256`) from every
//! request, and signs its own copy of a request to an AWS endpoint of the grant with credentials
//! the plugin never sees (`sigv4.rs`); a response that carries the secret or the session token
//! back has that header dropped, or its body cut off, before the plugin reads it.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::Scheme;
use http::{HeaderName, HeaderValue};
use http_body::{Body, Frame};
use http_body_util::BodyExt as _;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{DEFAULT_FORBIDDEN_HEADERS, Error, RequestOptions, WasiBody};

use crate::sigv4;

/// One endpoint a grant allows: scheme, host and port, exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    /// `https` (true) or plain `http` (only for a loopback endpoint named in the configuration).
    pub https: bool,
    /// Host name (lower case, without a trailing dot) or IP address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Whether the endpoint may be reached at loopback and private addresses (an emulator on
    /// this machine or the local network, named explicitly). Link-local and metadata addresses
    /// are refused whatever the grant says.
    pub private: bool,
}

impl Endpoint {
    /// An endpoint named explicitly by URL (`https://host[:port]`, or `http://` for a loopback
    /// host: `localhost`, `127.0.0.1`, `[::1]`). Loopback and private IP literals, and
    /// `localhost`, may be reached at their (loopback or private) addresses.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(other) => return Err(format!("`{url}`: scheme `{other}` is not http or https")),
            None => return Err(format!("`{url}` has no scheme (https://...)")),
        };
        let host = uri
            .host()
            .map(normal_host)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("`{url}` has no host"))?;
        if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
            return Err(format!(
                "`{url}`: an endpoint is scheme, host and port only, without a path"
            ));
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(format!(
                "`{url}`: an endpoint carries no user name or password"
            ));
        }
        let ip = host.parse::<IpAddr>().ok();
        let loopback = host == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
        if let Some(ip) = ip {
            match classify(ip) {
                AddressClass::Metadata | AddressClass::LinkLocal => {
                    return Err(format!(
                        "`{url}`: a link-local or metadata address is never granted"
                    ));
                }
                AddressClass::Public | AddressClass::Private => {}
            }
        }
        if !https && !loopback {
            return Err(format!(
                "`{url}`: plain http is allowed only for a loopback endpoint (localhost, 127.0.0.1, [::1]); use https"
            ));
        }
        let private = loopback || ip.is_some_and(|ip| classify(ip) == AddressClass::Private);
        Ok(Endpoint {
            https,
            port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
            host,
            private,
        })
    }

    /// The endpoint as a URL (`https://host:port`).
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{}://{host}:{}",
            if self.https { "https" } else { "http" },
            self.port
        )
    }
}

/// The AWS services a live AWS scan calls, by their endpoint prefix.
pub const AWS_REGIONAL_SERVICES: &[&str] = &[
    "ec2",
    "s3",
    "rds",
    "kms",
    "cloudtrail",
    "lambda",
    "sts",
    "config",
];

/// The AWS endpoints of `regions`: each regional service's `https://SERVICE.REGION.amazonaws.com`
/// (`.amazonaws.com.cn` in the China partition), and the global IAM, STS and S3 endpoints.
pub fn aws_endpoints(regions: &[String]) -> Result<Vec<Endpoint>, String> {
    let mut out = Vec::new();
    let mut china = false;
    for region in regions {
        let valid = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !region.starts_with('-')
            && !region.ends_with('-');
        if !valid {
            return Err(format!(
                "`{region}` is not an AWS region name (such as `us-east-1`)"
            ));
        }
        let suffix = if region.starts_with("cn-") {
            china = true;
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        for service in AWS_REGIONAL_SERVICES {
            out.push(https(format!("{service}.{region}.{suffix}")));
        }
    }
    let suffix = if china {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    for global in ["iam", "sts", "s3"] {
        out.push(https(format!("{global}.{suffix}")));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn https(host: String) -> Endpoint {
    Endpoint {
        https: true,
        host,
        port: 443,
        private: false,
    }
}

/// Limits on one target's outbound HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EgressLimits {
    /// Requests the target may send. By default 10,000.
    pub max_requests: u64,
    /// Bytes of one response body. By default 64 MiB.
    pub max_response_bytes: u64,
    /// Time from sending a request to the response head (connection and TLS included). By
    /// default 30 seconds. The whole scan stays within the target's deadline.
    pub request_timeout: Duration,
}

impl Default for EgressLimits {
    fn default() -> Self {
        EgressLimits {
            max_requests: 10_000,
            max_response_bytes: 64 << 20,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Resolves a host name to socket addresses. The default is the system resolver; tests plug in
/// their own answers.
pub type Resolver = Arc<
    dyn Fn(String, u16) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>
        + Send
        + Sync,
>;

/// The system resolver.
pub fn system_resolver() -> Resolver {
    Arc::new(|host, port| {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    })
}

/// What a target may reach over HTTP.
#[derive(Clone)]
pub struct Grant {
    /// The endpoints, exactly (scheme, host, port).
    pub endpoints: Vec<Endpoint>,
    /// The target's regions (told to the plugin; the endpoints they derive are in
    /// `endpoints`).
    pub regions: Vec<String>,
    /// Limits.
    pub limits: EgressLimits,
    /// How names are resolved.
    pub resolver: Resolver,
    /// Signing of the requests to AWS endpoints, with the credentials the host holds; `None`:
    /// nothing is signed.
    pub aws: Option<crate::sigv4::AwsSigning>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("endpoints", &self.endpoints)
            .field("limits", &self.limits)
            .field("aws", &self.aws)
            .finish_non_exhaustive()
    }
}

impl Grant {
    /// A grant of `endpoints` with the default limits and the system resolver.
    pub fn new(endpoints: Vec<Endpoint>) -> Grant {
        Grant {
            endpoints,
            regions: Vec::new(),
            limits: EgressLimits::default(),
            resolver: system_resolver(),
            aws: None,
        }
    }
}

/// Why the host refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// The target has no grant at all.
    NoGrant,
    /// The request's scheme, host or port is not a granted endpoint.
    OutsideGrant,
    /// The name resolved (or the address is) a cloud metadata address.
    Metadata,
    /// A link-local address.
    LinkLocal,
    /// A loopback or private address the endpoint does not grant.
    Private,
    /// The plugin tried to set the `Host` header.
    ForgedHost,
    /// Past the target's request cap.
    TooManyRequests,
    /// A response body past the size cap.
    OversizeResponse,
    /// No response head within the request timeout.
    Timeout,
    /// A request to an AWS endpoint the host could not sign as it is.
    Unsignable,
    /// A request to an AWS endpoint while the target's credentials could not be loaded.
    NoCredentials,
    /// A response that carried the secret access key or session token back (an endpoint that
    /// echoes what it received): cut off before the plugin read it.
    CredentialEcho,
}

impl Refusal {
    /// What the refusal means, for the gap.
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::NoGrant => "to a target granted no outbound HTTP",
            Refusal::OutsideGrant => "outside the granted endpoints",
            Refusal::Metadata => "to a cloud metadata address",
            Refusal::LinkLocal => "to a link-local address",
            Refusal::Private => "to a loopback or private address not granted",
            Refusal::ForgedHost => "setting the Host header (the authority decides)",
            Refusal::TooManyRequests => "past the cap on requests",
            Refusal::OversizeResponse => "with a response past the size cap",
            Refusal::Timeout => "past the request timeout",
            Refusal::Unsignable => "to an AWS endpoint that the host could not sign",
            Refusal::NoCredentials => "to an AWS endpoint without credentials",
            Refusal::CredentialEcho => "whose response echoed credentials",
        }
    }
}

/// The AWS API action a signed request names: the operation of its `x-amz-target` header
/// (JSON protocols: `TrentService.ListKeys` is `ListKeys`), or the `Action` of its Query API
/// form body (`Action=DescribeInstances&Version=...`). `None` for a REST API request, and for
/// anything that is not an action name (letters and digits, at most 64).
pub(crate) fn aws_action(headers: &http::HeaderMap, body: &[u8]) -> Option<String> {
    let name = |s: &str| {
        (!s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| s.to_string())
    };
    if let Some(target) = headers.get("x-amz-target") {
        let target = target.to_str().ok()?;
        return name(target.rsplit('.').next().unwrap_or(target));
    }
    let form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return None;
    }
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .and_then(name)
}

/// One request the host sent: what it cost in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `METHOD https://host:port/path` (no query).
    pub request: String,
    /// The AWS API action of a signed request that names one (see [`aws_action`]).
    pub action: Option<String>,
    /// The response status.
    pub status: u16,
    /// Milliseconds from sending to the response head.
    pub millis: u64,
}

/// What happened to one target's outbound HTTP.
#[derive(Debug, Default, Clone)]
pub struct EgressRecord {
    /// Requests sent (allowed by the grant).
    pub sent: u64,
    /// Refusals by reason: how many, and the first (`METHOD url: why`).
    pub refusals: BTreeMap<Refusal, (u64, String)>,
    /// Every request sent, in the order their responses arrived.
    pub calls: Vec<Call>,
}

impl EgressRecord {
    fn refuse(&mut self, why: Refusal, what: String) {
        tracing::warn!(refusal = ?why, request = %what, "outbound HTTP refused");
        let entry = self.refusals.entry(why).or_insert((0, what));
        entry.0 += 1;
    }

    /// Refusals of all kinds.
    pub fn refused(&self) -> u64 {
        self.refusals.values().map(|(n, _)| n).sum()
    }

    /// A gap message for the refusals, when there were any.
    pub fn refusal_message(&self) -> Option<String> {
        if self.refusals.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .refusals
            .iter()
            .map(|(why, (n, first))| format!("{n} {} (first: {first})", why.describe()))
            .collect();
        Some(format!(
            "the host refused {} of the plugin: {}",
            crate::host::count(self.refused(), "outbound request", "outbound requests"),
            crate::host::truncate_long(&parts.join("; "))
        ))
    }
}

/// The `wasi:http` hooks of one target's store.
pub(crate) struct Egress {
    pub(crate) grant: Option<Arc<Grant>>,
    pub(crate) record: Arc<Mutex<EgressRecord>>,
}

impl Egress {
    pub(crate) fn new(grant: Option<Grant>) -> Egress {
        Egress {
            grant: grant.map(Arc::new),
            record: Arc::default(),
        }
    }
}

fn lock(record: &Mutex<EgressRecord>) -> std::sync::MutexGuard<'_, EgressRecord> {
    record.lock().unwrap_or_else(|e| e.into_inner())
}

type SendResult = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
)>;

impl wasmtime_wasi_http::WasiHttpHooks for Egress {
    fn is_forbidden_header(&mut self, name: &HeaderName) -> bool {
        if *name == http::header::HOST {
            lock(&self.record).refuse(
                Refusal::ForgedHost,
                "a `Host` header set by the plugin".into(),
            );
        }
        DEFAULT_FORBIDDEN_HEADERS.contains(name)
    }

    fn forbidden_header_filter(&mut self) -> wasmtime_wasi_http::ForbiddenHeaderFilter {
        Arc::new(|name| DEFAULT_FORBIDDEN_HEADERS.contains(name))
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let grant = self.grant.clone();
        let record = self.record.clone();
        Box::new(send(grant, record, request, options))
    }
}

/// What a request is, for messages: method and URL without the query (which may be long).
fn describe_request(req: &http::Request<WasiBody>) -> String {
    let uri = req.uri();
    let what = format!(
        "{} {}://{}{}",
        req.method(),
        uri.scheme_str().unwrap_or("?"),
        uri.authority().map(|a| a.as_str()).unwrap_or(""),
        uri.path()
    );
    crate::host::truncate_id(&what)
}

fn normal_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

async fn send(
    grant: Option<Arc<Grant>>,
    record: Arc<Mutex<EgressRecord>>,
    mut req: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> SendResult {
    let what = describe_request(&req);
    let refuse = |why: Refusal, detail: &str| {
        lock(&record).refuse(why, format!("{what}{detail}"));
        Err(Error::HttpRequestDenied)
    };
    let Some(grant) = grant else {
        return refuse(Refusal::NoGrant, "");
    };
    {
        let r = lock(&record);
        if r.sent >= grant.limits.max_requests {
            drop(r);
            return refuse(
                Refusal::TooManyRequests,
                &format!(": the cap is {}", grant.limits.max_requests),
            );
        }
    }
    let uri = req.uri().clone();
    let https = match uri.scheme() {
        Some(s) if *s == Scheme::HTTPS => true,
        Some(s) if *s == Scheme::HTTP => false,
        _ => return refuse(Refusal::OutsideGrant, ": not http or https"),
    };
    let Some(authority) = uri.authority().cloned() else {
        return refuse(Refusal::OutsideGrant, ": no authority");
    };
    if authority.as_str().contains('@') {
        return refuse(Refusal::OutsideGrant, ": user information in the authority");
    }
    let host = normal_host(authority.host());
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let Some(endpoint) = grant
        .endpoints
        .iter()
        .find(|e| e.https == https && e.host == host && e.port == port)
    else {
        return refuse(Refusal::OutsideGrant, "");
    };
    // Resolve the name here, check every address, connect to a checked one.
    let addrs = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            match tokio::time::timeout(
                grant.limits.request_timeout,
                (grant.resolver)(host.clone(), port),
            )
            .await
            {
                Ok(Ok(a)) if !a.is_empty() => a,
                Ok(Ok(_)) => return Err(Error::DestinationNotFound),
                Ok(Err(e)) => {
                    return Err(Error::DnsError {
                        rcode: Some(e.to_string()),
                        info_code: None,
                    });
                }
                Err(_) => return Err(Error::DnsTimeout),
            }
        }
    };
    for addr in &addrs {
        let refusal = match classify(addr.ip()) {
            AddressClass::Metadata => Some(Refusal::Metadata),
            AddressClass::LinkLocal => Some(Refusal::LinkLocal),
            AddressClass::Private if !endpoint.private => Some(Refusal::Private),
            AddressClass::Private | AddressClass::Public => None,
        };
        if let Some(why) = refusal {
            // A name says what it resolved to; an address speaks for itself.
            let detail = if host.parse::<IpAddr>().is_ok() {
                String::new()
            } else {
                format!(" (`{host}` is {})", addr.ip())
            };
            return refuse(why, &detail);
        }
    }
    // The Host header is the authority's, whatever the request carried.
    let host_value =
        HeaderValue::from_str(authority.as_str()).map_err(|_| Error::HttpRequestUriInvalid)?;
    req.headers_mut().remove(http::header::HOST);
    req.headers_mut().insert(http::header::HOST, host_value);
    *req.uri_mut() = http::Uri::builder()
        .path_and_query(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    // A plugin never authenticates itself: headers that would carry a signature or credentials
    // of its own are dropped from every request, signed or not.
    for name in sigv4::STRIPPED_HEADERS {
        req.headers_mut().remove(*name);
    }
    let region_hint = req.headers_mut().remove(sigv4::REGION_HEADER);
    // The requests to an AWS endpoint of the grant are signed; to no other endpoint.
    let mut secrets = Vec::new();
    let mut action = None;
    if let Some(signing) = grant
        .aws
        .as_ref()
        .filter(|s| s.endpoints.contains(endpoint))
    {
        let (mut parts, body) = req.into_parts();
        let body = match collect(body, sigv4::MAX_SIGNED_BODY).await {
            Ok(b) => b,
            Err(e) => return refuse(Refusal::Unsignable, &format!(": {e}")),
        };
        action = aws_action(&parts.headers, &body);
        let hint = region_hint
            .as_ref()
            .map(|v| v.to_str().unwrap_or("(not ASCII)"));
        match sigv4::sign(signing, &host, &mut parts, hint, &body).await {
            Ok(s) => secrets = s,
            Err(sigv4::SignError::Credentials(e)) => {
                return refuse(Refusal::NoCredentials, &format!(": {e}"));
            }
            Err(sigv4::SignError::Request(e)) => {
                return refuse(Refusal::Unsignable, &format!(": {e}"));
            }
        }
        let body = http_body_util::Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync();
        req = http::Request::from_parts(parts, body);
    }
    lock(&record).sent += 1;

    let timeout = options
        .and_then(|o| o.first_byte_timeout)
        .map_or(grant.limits.request_timeout, |t| {
            t.min(grant.limits.request_timeout)
        });
    let started = Instant::now();
    let exchange = exchange(req, addrs[0], https, &host);
    let (response, conn) = match tokio::time::timeout(timeout, exchange).await {
        Ok(r) => r?,
        Err(_) => {
            lock(&record).refuse(
                Refusal::Timeout,
                format!("{what}: no response within {:.1} s", timeout.as_secs_f64()),
            );
            return Err(Error::ConnectionReadTimeout);
        }
    };
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    lock(&record).calls.push(Call {
        request: what.clone(),
        action,
        status: response.status().as_u16(),
        millis,
    });
    let max = grant.limits.max_response_bytes;
    let declared = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared
        && len > max
    {
        lock(&record).refuse(
            Refusal::OversizeResponse,
            format!("{what}: {len} bytes declared, the cap is {max}"),
        );
        return Err(Error::HttpResponseBodySize(Some(len)));
    }
    let mut response = response;
    // Nothing derived from the credentials goes back to the plugin: a response header that
    // carries the secret or the session token is dropped, and a body that does is cut off.
    let echoed: Vec<HeaderName> = response
        .headers()
        .iter()
        .filter(|(_, v)| secrets.iter().any(|s| find(v.as_bytes(), s)))
        .map(|(k, _)| k.clone())
        .collect();
    if !echoed.is_empty() {
        lock(&record).refuse(
            Refusal::CredentialEcho,
            format!("{what}: response header `{}` dropped", echoed[0]),
        );
        for name in echoed {
            response.headers_mut().remove(name);
        }
    }
    let response = response.map(|incoming| {
        CappedBody {
            inner: incoming,
            left: max,
            max,
            what: what.clone(),
            record: record.clone(),
            carry: Vec::new(),
            secrets,
        }
        .boxed_unsync()
    });
    Ok((response, Box::new(conn)))
}

/// Connect to `addr` (TLS for `https`, verified for `host`), send `req` over HTTP/1.1 and wait
/// for the response head; the second value drives the connection to its end.
async fn exchange(
    req: http::Request<WasiBody>,
    addr: SocketAddr,
    https: bool,
    host: &str,
) -> wasmtime_wasi_http::Result<(
    http::Response<hyper::body::Incoming>,
    impl Future<Output = Result<(), Error>> + Send + 'static,
)> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(Error::Connect)?;
    let (mut sender, conn) = if https {
        let name = match host.parse::<IpAddr>() {
            Ok(ip) => rustls::pki_types::ServerName::from(ip),
            Err(_) => rustls::pki_types::ServerName::try_from(host.to_string())
                .map_err(|_| Error::HttpRequestUriInvalid)?,
        };
        let tls = tokio_rustls::TlsConnector::from(tls_config()?)
            .connect(name, tcp)
            .await
            .map_err(Error::Tls)?;
        let (s, c) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        (s, Conn::Tls(Box::new(c)))
    } else {
        let (s, c) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        (s, Conn::Plain(Box::new(c)))
    };
    let mut conn = Some(conn);
    let mut send = std::pin::pin!(sender.send_request(req));
    // Wait for the response while driving the connection.
    let response = std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = send.as_mut().poll(cx) {
            return Poll::Ready(r.map_err(Error::from));
        }
        if let Some(c) = conn.as_mut()
            && let Poll::Ready(r) = Pin::new(c).poll(cx)
        {
            conn = None;
            if let Err(e) = r {
                return Poll::Ready(Err(Error::from(e)));
            }
            return send.as_mut().poll(cx).map_err(Error::from);
        }
        Poll::Pending
    })
    .await?;
    Ok((response, async move {
        match conn {
            Some(c) => c.await.map_err(Error::from),
            None => Ok(()),
        }
    }))
}

/// The TLS client configuration, built once: the web PKI roots, *ring* (the provider of
/// wasmtime-wasi-http's own sender), safe protocol versions, no client certificate.
fn tls_config() -> wasmtime_wasi_http::Result<Arc<rustls::ClientConfig>> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            // The provider is named rather than taken from the process default, which panics
            // when several providers are compiled in.
            #[allow(deprecated)]
            let provider = rustls::crypto::ring::default_provider();
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(|e| Error::InternalError(Some(e)))
}

type TlsStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// The connection of one request, over TLS or not.
enum Conn {
    Tls(Box<hyper::client::conn::http1::Connection<TokioIo<TlsStream>, WasiBody>>),
    Plain(Box<hyper::client::conn::http1::Connection<TokioIo<tokio::net::TcpStream>, WasiBody>>),
}

impl Future for Conn {
    type Output = hyper::Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Conn::Tls(c) => Pin::new(c.as_mut()).poll(cx),
            Conn::Plain(c) => Pin::new(c.as_mut()).poll(cx),
        }
    }
}

/// A response body stopped at the size cap.
struct CappedBody {
    inner: hyper::body::Incoming,
    left: u64,
    max: u64,
    what: String,
    record: Arc<Mutex<EgressRecord>>,
    /// The secret access key and session token the request was signed with (none when it was
    /// not signed): a body that carries one is cut off.
    secrets: Vec<Vec<u8>>,
    /// The end of the body so far, long enough to find a secret split across frames.
    carry: Vec<u8>,
}

impl CappedBody {
    /// What of `data` the plugin may read now, or `None` when it completes a secret with what
    /// came before. The last bytes (one fewer than the longest secret) are held back until the
    /// next frame or the end, so that no part of a secret split across frames is delivered.
    fn screen(&mut self, data: &Bytes) -> Option<Bytes> {
        let Some(longest) = self.secrets.iter().map(Vec::len).max() else {
            return Some(data.clone());
        };
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(data);
        if self.secrets.iter().any(|s| find(&window, s)) {
            return None;
        }
        let keep = window.len().min(longest.saturating_sub(1));
        self.carry = window.split_off(window.len() - keep);
        Some(Bytes::from(window))
    }
}

/// Whether `needle` (not empty) occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The whole body of a request, at most `max` bytes.
async fn collect(mut body: WasiBody, max: u64) -> Result<Bytes, String> {
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("the request body failed: {e}"))?;
        if let Some(data) = frame.data_ref() {
            if (out.len() + data.len()) as u64 > max {
                return Err(format!("a request body past {max} bytes is not signed"));
            }
            out.extend_from_slice(data);
        }
    }
    Ok(out.freeze())
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > this.left {
                        this.left = 0;
                        lock(&this.record).refuse(
                            Refusal::OversizeResponse,
                            format!(
                                "{}: the body passed the cap of {} bytes",
                                this.what, this.max
                            ),
                        );
                        return Poll::Ready(Some(Err(Error::HttpResponseBodySize(None))));
                    }
                    this.left -= len;
                    let Some(clean) = this.screen(data) else {
                        this.left = 0;
                        this.carry.clear();
                        lock(&this.record).refuse(
                            Refusal::CredentialEcho,
                            format!("{}: the body carried them", this.what),
                        );
                        return Poll::Ready(Some(Err(Error::HttpRequestDenied)));
                    };
                    return Poll::Ready(Some(Ok(Frame::data(clean))));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::from(e)))),
            // What was held back goes out at the end.
            Poll::Ready(None) if !this.carry.is_empty() => Poll::Ready(Some(Ok(Frame::data(
                Bytes::from(std::mem::take(&mut this.carry)),
            )))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.carry.is_empty() && self.inner.is_end_stream()
    }
}

/// What kind of address an IP is, for the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressClass {
    /// A cloud instance metadata address (AWS, Azure and GCP use 169.254.169.254; AWS also
    /// fd00:ec2::254 and 169.254.170.2 for containers).
    Metadata,
    /// Link-local (169.254.0.0/16, fe80::/10).
    LinkLocal,
    /// Loopback, private, shared (carrier-grade NAT), unique-local, unspecified, multicast,
    /// broadcast and other addresses that are not on the public internet.
    Private,
    /// Anything else.
    Public,
}

pub(crate) fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify_v4(v4);
            }
            let metadata: Ipv6Addr = "fd00:ec2::254".parse().expect("an IPv6 address");
            let seg = v6.segments();
            if v6 == metadata {
                AddressClass::Metadata
            } else if seg[0] & 0xffc0 == 0xfe80 {
                AddressClass::LinkLocal
            } else if v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || seg[0] & 0xfe00 == 0xfc00
                // IPv4-compatible (deprecated), NAT64 and 6to4 embed IPv4 addresses of any kind.
                || (seg[0] == 0 && seg[1] == 0 && seg[2] == 0 && seg[3] == 0 && seg[4] == 0 && seg[5] == 0)
                || (seg[0] == 0x64 && seg[1] == 0xff9b)
                || seg[0] == 0x2002
                // Documentation.
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
            {
                AddressClass::Private
            } else {
                AddressClass::Public
            }
        }
    }
}

fn classify_v4(v4: Ipv4Addr) -> AddressClass {
    let o = v4.octets();
    if v4 == Ipv4Addr::new(169, 254, 169, 254) || v4 == Ipv4Addr::new(169, 254, 170, 2) {
        AddressClass::Metadata
    } else if v4.is_link_local() {
        AddressClass::LinkLocal
    } else if v4.is_private()
        || v4.is_loopback()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        || o[0] >= 240
    {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_of_a_signed_request_is_named_from_its_target_or_form() {
        let mut h = http::HeaderMap::new();
        h.insert("x-amz-target", "TrentService.ListKeys".parse().unwrap());
        assert_eq!(aws_action(&h, b"{}").as_deref(), Some("ListKeys"));
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            aws_action(
                &h,
                b"Version=2016-11-15&Action=DescribeInstances&NextToken=a%3D"
            )
            .as_deref(),
            Some("DescribeInstances")
        );
        // Not an action name, a REST request, a body that is no form: none.
        assert_eq!(aws_action(&h, b"Action=Describe%0AInstances"), None);
        assert_eq!(aws_action(&h, &[0xff, 0xfe]), None);
        assert_eq!(aws_action(&http::HeaderMap::new(), b"Action=X"), None);
        let mut h = http::HeaderMap::new();
        h.insert("x-amz-target", "a.b c".parse().unwrap());
        assert_eq!(aws_action(&h, b""), None);
    }

    fn class(s: &str) -> AddressClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn addresses_are_classified() {
        assert_eq!(class("169.254.169.254"), AddressClass::Metadata);
        assert_eq!(class("fd00:ec2::254"), AddressClass::Metadata);
        assert_eq!(class("::ffff:169.254.169.254"), AddressClass::Metadata);
        assert_eq!(class("169.254.1.1"), AddressClass::LinkLocal);
        assert_eq!(class("fe80::1"), AddressClass::LinkLocal);
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "224.0.0.1",
        ] {
            assert_eq!(class(private), AddressClass::Private, "{private}");
        }
        assert_eq!(class("52.94.0.1"), AddressClass::Public);
        assert_eq!(class("2600:1f18::1"), AddressClass::Public);
    }

    #[test]
    fn endpoints_parse_and_refuse() {
        let e = Endpoint::parse("http://127.0.0.1:5000").unwrap();
        assert!(!e.https && e.private && e.port == 5000 && e.host == "127.0.0.1");
        let e = Endpoint::parse("https://Example.COM.").unwrap();
        assert!(e.https && !e.private && e.port == 443 && e.host == "example.com");
        assert!(Endpoint::parse("http://[::1]:9").unwrap().private);
        for bad in [
            "http://example.com",
            "ftp://example.com",
            "https://169.254.169.254",
            "http://[fd00:ec2::254]",
            "https://example.com/path",
            "https://user:pw@example.com",
            "example.com",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn aws_endpoints_cover_the_regions() {
        let e = aws_endpoints(&["eu-west-1".into()]).unwrap();
        let hosts: Vec<_> = e.iter().map(|e| e.host.as_str()).collect();
        assert!(hosts.contains(&"ec2.eu-west-1.amazonaws.com"));
        assert!(hosts.contains(&"iam.amazonaws.com"));
        assert!(e.iter().all(|e| e.https && e.port == 443 && !e.private));
        assert!(aws_endpoints(&["eu-west-1.evil.com/".into()]).is_err());
        assert!(aws_endpoints(&["".into()]).is_err());
    }
}
