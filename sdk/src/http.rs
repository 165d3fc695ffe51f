//! Outbound HTTP for plugins of live targets, over `wasi:http`.
//!
//! A live target's plugin may send HTTP requests to the endpoints its target was granted; the
//! host checks, sends (and, for a cloud's own endpoints, signs) each request, and refuses the
//! rest. This module is a small blocking client over `wasi:http/outgoing-handler`:
//!
//! - [`Request`] (`GET` or `POST` with a body and headers) and [`Response`] (status, headers,
//!   body bytes);
//! - [`Client`], which sends requests **one at a time** (a plugin's requests to one account are
//!   never concurrent, so no concurrency cap is needed) and retries a throttled request
//!   ([`throttled`]: HTTP 429 or 503, or the AWS error codes `Throttling`,
//!   `ThrottlingException`, `RequestLimitExceeded`, `TooManyRequestsException`, `SlowDown`)
//!   with exponential back-off and full jitter, honouring a `Retry-After` header of
//!   delta-seconds;
//! - [`live`], what the host granted the target (the endpoints and regions), from the
//!   environment the host gives a live target's plugin: `DEMARC_LIVE_ENDPOINTS` and
//!   `DEMARC_LIVE_REGIONS`, space-separated. A snapshot target's plugin has neither.
//!
//! The sending and the sleeping go through a [`Transport`], so that a plugin's readers and the
//! retry policy are tested natively with a scripted transport; [`Wasi`] is the real one (in the
//! sandbox only: natively every request fails). Sleeping uses a `wasi:clocks` monotonic-clock
//! pollable; the jitter uses `wasi:random`'s insecure source, which the host seeds per target.
//!
//! A refused request (outside the grant, over the request cap, too large, timed out) is an
//! [`Error`] naming the request and the `wasi:http` error code; the host has already recorded
//! it as a gap, so a plugin reports it as lost coverage and goes on.

use std::time::Duration;

/// An HTTP method a plugin may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request: method, absolute URL (`scheme://host[:port]/path?query`), headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers, in order (`Host` is the host's to write; setting it fails).
    pub headers: Vec<(String, String)>,
    /// Body (empty for `GET`).
    pub body: Vec<u8>,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Request {
        Request {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` of `body` to `url`.
    pub fn post(url: impl Into<String>, body: impl Into<Vec<u8>>) -> Request {
        Request {
            method: Method::Post,
            url: url.into(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The request with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// `METHOD URL`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method.as_str(), self.url)
    }
}

/// A response: status, headers and the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A request that got no response: refused by the host or failed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// `METHOD URL` of the request.
    pub request: String,
    /// What went wrong (the `wasi:http` error code when there is one).
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.request, self.message)
    }
}

impl std::error::Error for Error {}

/// How requests are sent and how the client waits between attempts.
pub trait Transport {
    /// Send one request and read its whole response.
    fn send(&mut self, request: &Request) -> Result<Response, Error>;
    /// Wait `duration`.
    fn sleep(&mut self, duration: Duration);
    /// A random number, for jitter.
    fn random(&mut self) -> u64;
}

/// The retry policy of a [`Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts of one request, the first included.
    pub attempts: u32,
    /// The back-off ceiling of the first retry; it doubles per retry.
    pub base: Duration,
    /// The longest wait between attempts (a longer `Retry-After` is cut to it).
    pub cap: Duration,
}

impl Default for Retry {
    /// Five attempts, waits of at most 0.1 s, 0.2 s, 0.4 s, 0.8 s, never longer than 20 s.
    fn default() -> Retry {
        Retry {
            attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(20),
        }
    }
}

/// A sequential HTTP client with retries on throttling.
pub struct Client<T: Transport> {
    transport: T,
    retry: Retry,
    /// Requests sent, retries included.
    pub sent: u64,
    /// Retries after a throttled response.
    pub retried: u64,
}

impl<T: Transport> Client<T> {
    /// A client over `transport` with `retry`.
    pub fn new(transport: T, retry: Retry) -> Client<T> {
        Client {
            transport,
            retry,
            sent: 0,
            retried: 0,
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Wait `duration` (between polls of an API that prepares an answer), through the
    /// transport.
    pub fn sleep(&mut self, duration: Duration) {
        self.transport.sleep(duration);
    }

    /// Send `request`, retrying while the response is [`throttled`] and attempts remain. The
    /// last response is returned as it is, throttled or not: the caller decides what a
    /// non-2xx status means.
    pub fn send(&mut self, request: &Request) -> Result<Response, Error> {
        let mut attempt = 0u32;
        loop {
            self.sent += 1;
            let response = self.transport.send(request)?;
            attempt += 1;
            if attempt >= self.retry.attempts.max(1) || !throttled(&response) {
                return Ok(response);
            }
            let wait = match retry_after(&response) {
                Some(wait) => wait.min(self.retry.cap),
                None => {
                    // Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].
                    let ceiling = self
                        .retry
                        .base
                        .saturating_mul(1u32 << (attempt - 1).min(16))
                        .min(self.retry.cap);
                    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
                    Duration::from_nanos(match nanos {
                        0 => 0,
                        n => self.transport.random() % (n + 1),
                    })
                }
            };
            crate::log::debug(&format!(
                "{}: throttled ({}), attempt {attempt} of {}; waiting {} ms",
                request.describe(),
                response.status,
                self.retry.attempts,
                wait.as_millis()
            ));
            self.retried += 1;
            self.transport.sleep(wait);
        }
    }
}

/// AWS error codes that mean "slow down".
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "ProvisionedThroughputExceededException",
];

/// Whether a response asks the client to slow down: HTTP 429 or 503, or a 4xx whose body is an
/// AWS error with a throttling code (`<Code>Throttling</Code>` in XML, `"__type":
/// "…#ThrottlingException"` or `"code"` in JSON).
pub fn throttled(response: &Response) -> bool {
    if matches!(response.status, 429 | 503) {
        return true;
    }
    if !(400..500).contains(&response.status) {
        return false;
    }
    let body = response.text();
    THROTTLING_CODES.iter().any(|code| {
        body.contains(&format!("<Code>{code}</Code>"))
            || body.contains(&format!("#{code}\""))
            || body.contains(&format!("\"{code}\""))
    }) || response
        .header("x-amzn-errortype")
        .is_some_and(|t| THROTTLING_CODES.iter().any(|c| t.starts_with(c)))
}

/// The wait a `Retry-After` header asks for, when it is delta-seconds (an HTTP date is not
/// read: the guest's wall clock is pinned to the scan's reference time).
pub fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.header("retry-after")?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

/// What the host granted a live target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    /// The endpoints, `scheme://host[:port]`.
    pub endpoints: Vec<String>,
    /// The regions named (may be empty when the target names endpoints only).
    pub regions: Vec<String>,
}

/// What the host granted this target, or `None` for a snapshot target.
pub fn live() -> Option<Live> {
    let endpoints = std::env::var("DEMARC_LIVE_ENDPOINTS").ok()?;
    let regions = std::env::var("DEMARC_LIVE_REGIONS").unwrap_or_default();
    Some(Live::parse(&endpoints, &regions))
}

impl Live {
    /// The grant from the two variables' values.
    pub fn parse(endpoints: &str, regions: &str) -> Live {
        Live {
            endpoints: endpoints.split_whitespace().map(str::to_string).collect(),
            regions: regions.split_whitespace().map(str::to_string).collect(),
        }
    }
}

/// The real transport: `wasi:http` in the sandbox. Natively, every request fails.
#[derive(Debug, Default)]
pub struct Wasi;

#[cfg(target_arch = "wasm32")]
impl Transport for Wasi {
    fn send(&mut self, request: &Request) -> Result<Response, Error> {
        wasi_send(request).map_err(|message| Error {
            request: request.describe(),
            message,
        })
    }

    fn sleep(&mut self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        wasip2::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }

    fn random(&mut self) -> u64 {
        wasip2::random::insecure::get_insecure_random_u64()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Transport for Wasi {
    fn send(&mut self, request: &Request) -> Result<Response, Error> {
        Err(Error {
            request: request.describe(),
            message: "outbound HTTP exists only in the sandbox".into(),
        })
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn random(&mut self) -> u64 {
        0
    }
}

#[cfg(target_arch = "wasm32")]
fn wasi_send(request: &Request) -> Result<Response, String> {
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{
        Fields, Method as WasiMethod, OutgoingBody, OutgoingRequest, Scheme,
    };
    use wasip2::io::streams::StreamError;

    let (scheme, rest) = request
        .url
        .split_once("://")
        .ok_or("the URL has no scheme")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let fields = Fields::new();
    for (k, v) in &request.headers {
        fields
            .append(k, v.as_bytes())
            .map_err(|e| format!("header `{k}` refused: {e:?}"))?;
    }
    if !request.body.is_empty() {
        fields
            .set(
                "content-length",
                &[request.body.len().to_string().into_bytes()],
            )
            .map_err(|e| format!("content-length refused: {e:?}"))?;
    }
    let outgoing = OutgoingRequest::new(fields);
    outgoing
        .set_method(&match request.method {
            Method::Get => WasiMethod::Get,
            Method::Post => WasiMethod::Post,
        })
        .map_err(|_| "the method is refused")?;
    outgoing
        .set_scheme(Some(&match scheme {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            other => return Err(format!("unsupported scheme `{other}`")),
        }))
        .map_err(|_| "the scheme is refused")?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|_| format!("the authority `{authority}` is refused"))?;
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|_| format!("the path `{path}` is refused"))?;
    let body = outgoing.body().map_err(|_| "no request body")?;
    let future = outgoing_handler::handle(outgoing, None).map_err(|e| format!("{e:?}"))?;
    {
        let stream = body.write().map_err(|_| "no request body stream")?;
        for chunk in request.body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("writing the request body: {e:?}"))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| format!("finishing the request body: {e:?}"))?;
    future.subscribe().block();
    let response = future
        .get()
        .ok_or("no response")?
        .map_err(|_| "the response was taken twice")?
        .map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = response.consume().map_err(|_| "no response body")?;
    let stream = incoming.stream().map_err(|_| "no response body stream")?;
    let mut data = Vec::new();
    loop {
        match stream.blocking_read(64 << 10) {
            Ok(chunk) => data.extend(chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                let code = wasip2::http::types::http_error_code(&e);
                return Err(format!(
                    "reading the response body after {} bytes: {code:?}",
                    data.len()
                ));
            }
        }
    }
    drop(stream);
    Ok(Response {
        status,
        headers,
        body: data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Answers from a script; records the waits.
    struct Scripted {
        answers: VecDeque<Result<Response, Error>>,
        slept: Vec<Duration>,
        asked: usize,
    }

    impl Transport for Scripted {
        fn send(&mut self, _: &Request) -> Result<Response, Error> {
            self.asked += 1;
            self.answers.pop_front().expect("a scripted answer")
        }
        fn sleep(&mut self, d: Duration) {
            self.slept.push(d);
        }
        fn random(&mut self) -> u64 {
            u64::MAX - 7
        }
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Result<Response, Error> {
        Ok(Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        })
    }

    fn client(answers: Vec<Result<Response, Error>>) -> Client<Scripted> {
        Client::new(
            Scripted {
                answers: answers.into(),
                slept: Vec::new(),
                asked: 0,
            },
            Retry::default(),
        )
    }

    const QUERY_THROTTLED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>";
    const EC2_THROTTLED: &str = "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>1</RequestID></Response>";
    const JSON_THROTTLED: &str =
        "{\"__type\":\"com.amazonaws.kms#ThrottlingException\",\"message\":\"Rate exceeded\"}";

    #[test]
    fn throttling_is_recognised_in_every_aws_error_shape() {
        for (status, body) in [
            (400, QUERY_THROTTLED),
            (503, ""),
            (429, ""),
            (400, EC2_THROTTLED),
            (400, JSON_THROTTLED),
        ] {
            let r = answer(status, &[], body).unwrap();
            assert!(throttled(&r), "{status} {body}");
        }
        for (status, body) in [
            (200, QUERY_THROTTLED),
            (400, "<Error><Code>AccessDenied</Code></Error>"),
            (404, "<Error><Code>NoSuchBucketPolicy</Code></Error>"),
            (500, ""),
        ] {
            let r = answer(status, &[], body).unwrap();
            assert!(!throttled(&r), "{status} {body}");
        }
    }

    #[test]
    fn a_throttled_request_is_retried_with_jittered_back_off() {
        let mut c = client(vec![
            answer(400, &[], QUERY_THROTTLED),
            answer(400, &[], EC2_THROTTLED),
            answer(200, &[], "ok"),
        ]);
        let r = c.send(&Request::get("http://127.0.0.1:1/")).unwrap();
        assert_eq!((r.status, r.text().as_ref()), (200, "ok"));
        assert_eq!((c.sent, c.retried), (3, 2));
        // random() % (ceiling + 1): within the doubling ceilings 100 ms, 200 ms.
        let slept = &c.transport.slept;
        assert_eq!(slept.len(), 2);
        assert!(slept[0] <= Duration::from_millis(100) && slept[0] > Duration::ZERO);
        assert!(slept[1] <= Duration::from_millis(200) && slept[1] > slept[0]);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let mut c = client(vec![
            answer(503, &[("Retry-After", "2")], ""),
            answer(429, &[("retry-after", "3600")], ""),
            answer(200, &[], ""),
        ]);
        c.send(&Request::get("http://127.0.0.1:1/")).unwrap();
        assert_eq!(
            c.transport.slept,
            vec![Duration::from_secs(2), Duration::from_secs(20)]
        );
    }

    #[test]
    fn attempts_run_out_and_the_last_response_is_returned() {
        let mut c = client((0..5).map(|_| answer(503, &[], "busy")).collect());
        let r = c.send(&Request::get("http://127.0.0.1:1/")).unwrap();
        assert_eq!(r.status, 503);
        assert_eq!((c.transport.asked, c.retried), (5, 4));
    }

    #[test]
    fn a_refused_request_is_not_retried() {
        let refused = Error {
            request: "GET http://x/".into(),
            message: "HTTP-request-denied".into(),
        };
        let mut c = client(vec![Err(refused.clone())]);
        assert_eq!(c.send(&Request::get("http://x/")), Err(refused));
        assert_eq!(c.transport.asked, 1);
    }

    #[test]
    fn the_grant_is_read_from_its_two_variables() {
        let live = Live::parse(
            "http://127.0.0.1:5000  https://ec2.eu-west-1.amazonaws.com",
            "",
        );
        assert_eq!(
            live.endpoints,
            [
                "http://127.0.0.1:5000",
                "https://ec2.eu-west-1.amazonaws.com"
            ]
        );
        assert!(live.regions.is_empty());
        assert_eq!(Live::parse("", " eu-west-1 us-east-1").regions.len(), 2);
    }
}
