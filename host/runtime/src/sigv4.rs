//! AWS Signature Version 4 on the host's copy of a plugin's request.
//!
//! A plugin sends unsigned requests; for an endpoint the grant marks as AWS (those derived from a
//! live AWS target's `regions`, and the endpoints an AWS target names), the host signs its own
//! copy with credentials the plugin never sees (see `egress.rs` for the order of the checks).
//!
//! The credential scope needs a service and a region:
//! - a host `SERVICE.REGION.amazonaws.com` (or `.amazonaws.com.cn`) names both; a global one
//!   (`iam.amazonaws.com`, `sts.amazonaws.com`, `s3.amazonaws.com`) is `us-east-1`
//!   (`cn-north-1` in the China partition);
//! - any other granted AWS endpoint (an emulator, a proxy) is read from the request the way the
//!   APIs tell their services apart: a JSON API's `X-Amz-Target` prefix (`TrentService.` is KMS),
//!   a Query API's `Version` (in the query or the form body: `2016-11-15` is EC2), Lambda's
//!   `/2015-03-31/` and `/2017-03-31/tags/` paths, and S3 otherwise; the region is the
//!   request's `X-Demarc-Aws-Region` header (one of the target's `regions` when it has any), or
//!   the target's first region, or
//!   `us-east-1`. A request whose service cannot be told is refused, never signed as a guess.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;

use crate::egress::Endpoint;

/// The request header with which a plugin names the region of a request to an AWS endpoint
/// whose host does not (an emulator). The host removes it before sending.
pub const REGION_HEADER: &str = "x-demarc-aws-region";

/// Headers a plugin may never send: they would carry a signature or credentials of its own.
/// The host removes them from every request, signed or not.
pub const STRIPPED_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-security-token",
    "x-amz-date",
    "x-amz-content-sha256",
];

/// The shortest secret the host looks for in responses. A real secret access key is 40
/// characters and a session token hundreds; a shorter one (an emulator's `testing`) is too
/// likely to occur in an ordinary response, which would be cut off for nothing.
pub const MIN_SCREENED_SECRET: usize = 16;

/// The largest request body the host signs (the body is hashed before sending): 16 MiB.
pub const MAX_SIGNED_BODY: u64 = 16 << 20;

/// Credentials still this far from expiry are used; nearer, they are loaded again.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// A future of loaded credentials, or why none could be loaded.
pub type CredentialFuture = Pin<Box<dyn Future<Output = Result<Credentials, String>> + Send>>;

/// Loads credentials (from the AWS credential chain, an assumed role, ...: see
/// [`crate::credentials`]).
pub type CredentialLoader = Arc<dyn Fn() -> CredentialFuture + Send + Sync>;

/// The credentials of one tenant or role, loaded on the first signed request and kept until
/// five minutes before they expire. A failure is kept too: a target without credentials sends
/// nothing, and the source is not asked again for every request.
pub struct CredentialCache {
    name: String,
    load: CredentialLoader,
    cached: tokio::sync::Mutex<Option<Result<Credentials, String>>>,
}

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CredentialCache {
    /// A cache over `load`; `name` says whose credentials they are, for messages.
    pub fn new(name: impl Into<String>, load: CredentialLoader) -> Arc<CredentialCache> {
        Arc::new(CredentialCache {
            name: name.into(),
            load,
            cached: tokio::sync::Mutex::new(None),
        })
    }

    /// Fixed credentials (tests, or keys the caller already holds).
    pub fn fixed(name: impl Into<String>, credentials: Credentials) -> Arc<CredentialCache> {
        CredentialCache::new(
            name,
            Arc::new(move || {
                let c = credentials.clone();
                Box::pin(async move { Ok(c) })
            }),
        )
    }

    /// Whose credentials these are.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The credentials, loaded once and again near their expiry.
    pub async fn get(&self) -> Result<Credentials, String> {
        let mut cached = self.cached.lock().await;
        match &*cached {
            Some(Err(e)) => return Err(e.clone()),
            Some(Ok(c))
                if c.expiry()
                    .is_none_or(|e| e > SystemTime::now() + REFRESH_BEFORE) =>
            {
                return Ok(c.clone());
            }
            _ => {}
        }
        let loaded = (self.load)()
            .await
            .map_err(|e| format!("no credentials for {}: {e}", self.name));
        *cached = Some(loaded.clone());
        loaded
    }
}

/// How a target's requests to AWS endpoints are signed.
#[derive(Debug, Clone)]
pub struct AwsSigning {
    /// The granted endpoints that are AWS: the host signs requests to these, and to no other.
    pub endpoints: Vec<Endpoint>,
    /// The target's regions: the default region of a request to an endpoint whose host names
    /// none (the first), and the regions such a request may name.
    pub regions: Vec<String>,
    /// The credentials.
    pub credentials: Arc<CredentialCache>,
}

/// Why a request to an AWS endpoint was not signed.
#[derive(Debug)]
pub(crate) enum SignError {
    /// No credentials could be loaded.
    Credentials(String),
    /// The request cannot be signed as it is (service unknown, region refused, body too big).
    Request(String),
}

/// Whether `region` is spelled like an AWS region.
pub fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region.contains('-')
        && region.bytes().any(|b| b.is_ascii_digit())
}

/// The Query API versions of the services a scan calls, to their signing names.
const QUERY_VERSIONS: &[(&str, &str)] = &[
    ("2016-11-15", "ec2"),
    ("2010-05-08", "iam"),
    ("2011-06-15", "sts"),
    ("2014-10-31", "rds"),
    ("2014-09-01", "rds"),
    ("2010-05-15", "cloudformation"),
    ("2010-03-31", "sns"),
    ("2012-11-05", "sqs"),
    ("2015-12-01", "elasticloadbalancing"),
    ("2012-06-01", "elasticloadbalancing"),
    ("2011-01-01", "autoscaling"),
    ("2010-08-01", "monitoring"),
];

/// The `X-Amz-Target` prefixes (before the first `.`) of JSON APIs, to their signing names.
const JSON_TARGETS: &[(&str, &str)] = &[
    ("TrentService", "kms"),
    ("com", "cloudtrail"),
    ("StarlingDoveService", "config"),
    ("DynamoDB_20120810", "dynamodb"),
    ("secretsmanager", "secretsmanager"),
    ("Logs_20140328", "logs"),
    ("AmazonSSM", "ssm"),
    ("AWSIdentityManagementV20100508", "iam"),
    ("AWSSecurityTokenServiceV20110615", "sts"),
    ("AmazonEC2ContainerRegistry_V20150921", "ecr"),
    ("AWSOrganizationsV20161128", "organizations"),
];

/// The service and region of the host name of an AWS endpoint, when it names them.
fn from_host(host: &str) -> Option<Result<(String, String), String>> {
    let (rest, china) = if let Some(r) = host.strip_suffix(".amazonaws.com") {
        (r, false)
    } else {
        (host.strip_suffix(".amazonaws.com.cn")?, true)
    };
    let labels: Vec<&str> = rest.split('.').collect();
    Some(match labels.as_slice() {
        [.., service, region] if is_region(region) => Ok((service.to_string(), region.to_string())),
        [service] => Ok((
            service.to_string(),
            if china { "cn-north-1" } else { "us-east-1" }.to_string(),
        )),
        _ => Err(format!(
            "`{host}` names no AWS service and region (SERVICE.REGION.amazonaws.com)"
        )),
    })
}

/// The signing name of the service a request to an endpoint that is not `*.amazonaws.com` is
/// for, from the request itself.
pub(crate) fn service_of_request(
    path: &str,
    query: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<String, String> {
    if let Some(target) = headers.get("x-amz-target") {
        let target = target.to_str().unwrap_or("");
        let prefix = target.split('.').next().unwrap_or("");
        // CloudTrail's targets are `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.X`.
        let known = JSON_TARGETS
            .iter()
            .find(|(p, _)| *p == prefix)
            .filter(|_| prefix != "com" || target.starts_with("com.amazonaws.cloudtrail."));
        return match known {
            Some((_, service)) => Ok(service.to_string()),
            None => Err(format!(
                "the host cannot tell the AWS service of `X-Amz-Target: {}`",
                crate::host::truncate_id(target)
            )),
        };
    }
    let form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body_text = if form {
        std::str::from_utf8(body).unwrap_or("")
    } else {
        ""
    };
    let version = [query.unwrap_or(""), body_text]
        .into_iter()
        .flat_map(|s| s.split('&'))
        .find_map(|pair| pair.strip_prefix("Version="));
    if let Some(version) = version {
        return match QUERY_VERSIONS.iter().find(|(v, _)| *v == version) {
            Some((_, service)) => Ok(service.to_string()),
            None => Err(format!(
                "the host cannot tell the AWS service of Query API version `{}`",
                crate::host::truncate_id(version)
            )),
        };
    }
    // Lambda's API is dated 2015-03-31, but for its tagging operations (`ListTags`, `TagResource`,
    // `UntagResource`) under `/2017-03-31/tags/`.
    if path.starts_with("/2015-03-31/") || path.starts_with("/2017-03-31/tags/") {
        return Ok("lambda".into());
    }
    Ok("s3".into())
}

/// The service and region to sign a request to `host` for.
fn scope(
    signing: &AwsSigning,
    host: &str,
    parts: &http::request::Parts,
    region_hint: Option<&str>,
    body: &[u8],
) -> Result<(String, String), String> {
    if let Some(named) = from_host(host) {
        return named;
    }
    let service = service_of_request(parts.uri.path(), parts.uri.query(), &parts.headers, body)?;
    let region = match region_hint {
        Some(r) if !is_region(r) => {
            return Err(format!(
                "`{}` in {REGION_HEADER} is not an AWS region name",
                crate::host::truncate_id(r)
            ));
        }
        Some(r) if !signing.regions.is_empty() && !signing.regions.iter().any(|g| g == r) => {
            return Err(format!(
                "region `{r}` in {REGION_HEADER} is not one of the target's regions ({})",
                signing.regions.join(", ")
            ));
        }
        Some(r) => r.to_string(),
        None => signing
            .regions
            .first()
            .cloned()
            .unwrap_or_else(|| "us-east-1".into()),
    };
    Ok((service, region))
}

/// Sign `parts` (whose `Host` header and path-only URI are already the ones sent) with `body`.
/// Returns the secrets the signature used (secret access key, session token) of at least
/// [`MIN_SCREENED_SECRET`] bytes, which the host keeps out of everything the plugin reads back.
pub(crate) async fn sign(
    signing: &AwsSigning,
    host: &str,
    parts: &mut http::request::Parts,
    region_hint: Option<&str>,
    body: &Bytes,
) -> Result<Vec<Vec<u8>>, SignError> {
    let (service, region) =
        scope(signing, host, parts, region_hint, body).map_err(SignError::Request)?;
    let credentials = signing
        .credentials
        .get()
        .await
        .map_err(SignError::Credentials)?;
    let mut settings = SigningSettings::default();
    if service == "s3" {
        // S3 signs the path as sent and requires the body's hash in a header.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let mut secrets = vec![credentials.secret_access_key().as_bytes().to_vec()];
    if let Some(token) = credentials.session_token() {
        secrets.push(token.as_bytes().to_vec());
    }
    secrets.retain(|s| s.len() >= MIN_SCREENED_SECRET);
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name(&service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| SignError::Request(e.to_string()))?
        .into();
    let mut headers = Vec::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        let value = value.to_str().map_err(|_| {
            SignError::Request(format!(
                "header `{name}` is not visible ASCII, which a signature cannot cover"
            ))
        })?;
        headers.push((name.as_str(), value));
    }
    let uri = parts.uri.to_string();
    let signable = SignableRequest::new(
        parts.method.as_str(),
        uri.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| SignError::Request(format!("cannot sign: {e}")))?;
    let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|e| SignError::Request(format!("cannot sign: {e}")))?
        .into_parts();
    let mut carrier = http::Request::new(());
    *carrier.headers_mut() = std::mem::take(&mut parts.headers);
    instructions.apply_to_request_http1x(&mut carrier);
    parts.headers = std::mem::take(carrier.headers_mut());
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    http::HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn hosts_name_their_service_and_region() {
        let s = |h: &str| from_host(h).map(|r| r.unwrap());
        assert_eq!(
            s("ec2.eu-west-1.amazonaws.com"),
            Some(("ec2".into(), "eu-west-1".into()))
        );
        assert_eq!(
            s("iam.amazonaws.com"),
            Some(("iam".into(), "us-east-1".into()))
        );
        assert_eq!(
            s("s3.amazonaws.com.cn"),
            Some(("s3".into(), "cn-north-1".into()))
        );
        assert_eq!(
            s("s3.cn-northwest-1.amazonaws.com.cn"),
            Some(("s3".into(), "cn-northwest-1".into()))
        );
        assert_eq!(s("127.0.0.1"), None);
        assert!(from_host("a.b.amazonaws.com").unwrap().is_err());
    }

    #[test]
    fn requests_name_their_service() {
        let none = http::HeaderMap::new();
        let svc = |path, query, headers: &http::HeaderMap, body: &str| {
            service_of_request(path, query, headers, body.as_bytes())
        };
        assert_eq!(
            svc(
                "/",
                Some("Action=DescribeInstances&Version=2016-11-15"),
                &none,
                ""
            )
            .unwrap(),
            "ec2"
        );
        let form = head(&[("content-type", "application/x-www-form-urlencoded")]);
        assert_eq!(
            svc("/", None, &form, "Action=ListUsers&Version=2010-05-08").unwrap(),
            "iam"
        );
        // A form version is read from a form body only.
        assert_eq!(
            svc("/", None, &none, "Action=ListUsers&Version=2010-05-08").unwrap(),
            "s3"
        );
        let kms = head(&[("x-amz-target", "TrentService.ListKeys")]);
        assert_eq!(svc("/", None, &kms, "{}").unwrap(), "kms");
        let trail = head(&[(
            "x-amz-target",
            "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails",
        )]);
        assert_eq!(svc("/", None, &trail, "{}").unwrap(), "cloudtrail");
        let odd = head(&[("x-amz-target", "com.example.Steal")]);
        assert!(svc("/", None, &odd, "{}").is_err());
        assert!(svc("/", Some("Version=1999-01-01"), &none, "").is_err());
        assert_eq!(
            svc("/2015-03-31/functions/", None, &none, "").unwrap(),
            "lambda"
        );
        // Lambda's `ListTags` (and tagging) lives under another API date.
        assert_eq!(
            svc(
                "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aeu-west-1%3A111111111111%3Afunction%3Af",
                None,
                &none,
                ""
            )
            .unwrap(),
            "lambda"
        );
        assert_eq!(svc("/2017-03-31/other", None, &none, "").unwrap(), "s3");
        assert_eq!(svc("/bucket/key", None, &none, "").unwrap(), "s3");
    }

    #[test]
    fn region_names_are_checked() {
        for good in ["us-east-1", "eu-west-2", "cn-north-1", "us-gov-west-1"] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "",
            "us",
            "us-east-1.evil.com",
            "US-EAST-1",
            "-us-1",
            "x".repeat(40).as_str(),
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_signed_request_carries_the_key_id_and_never_the_secret() {
        let signing = AwsSigning {
            endpoints: vec![],
            regions: vec!["eu-west-1".into()],
            credentials: CredentialCache::fixed(
                "test",
                Credentials::new(
                    "AKIDEXAMPLE",
                    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                    Some("TOKEN-0123456789abcdef".into()),
                    None,
                    "test",
                ),
            ),
        };
        let (mut parts, ()) = http::Request::get("/?Action=DescribeVpcs&Version=2016-11-15")
            .header("host", "127.0.0.1:5000")
            .body(())
            .unwrap()
            .into_parts();
        let secrets = sign(&signing, "127.0.0.1", &mut parts, None, &Bytes::new())
            .await
            .unwrap();
        let auth = parts.headers["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(auth.contains("/eu-west-1/ec2/aws4_request"), "{auth}");
        assert_eq!(
            parts.headers["x-amz-security-token"],
            "TOKEN-0123456789abcdef"
        );
        assert!(parts.headers.contains_key("x-amz-date"));
        assert!(!parts.headers.contains_key("x-amz-content-sha256"));
        for (_, v) in &parts.headers {
            assert!(!v.to_str().unwrap().contains("wJalrXUtnFEMI"));
        }
        assert_eq!(secrets.len(), 2);

        // S3: the body's hash goes in a header; a region outside the target's is refused.
        let (mut parts, ()) = http::Request::put("/bucket/key")
            .header("host", "127.0.0.1:5000")
            .body(())
            .unwrap()
            .into_parts();
        sign(
            &signing,
            "127.0.0.1",
            &mut parts,
            Some("eu-west-1"),
            &Bytes::from_static(b"abc"),
        )
        .await
        .unwrap();
        assert_eq!(
            parts.headers["x-amz-content-sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(
            parts.headers["authorization"]
                .to_str()
                .unwrap()
                .contains("/eu-west-1/s3/")
        );
        assert!(matches!(
            sign(
                &signing,
                "127.0.0.1",
                &mut parts,
                Some("us-east-1"),
                &Bytes::new()
            )
            .await,
            Err(SignError::Request(_))
        ));
    }

    /// Secrets shorter than [`MIN_SCREENED_SECRET`] (an emulator's `testing`) are not screened
    /// for, so ordinary responses that happen to hold such a word are not cut off; real ones are.
    #[tokio::test]
    async fn only_secrets_of_a_sane_length_are_screened_for() {
        async fn screened(secret: &str, token: Option<&str>) -> Vec<Vec<u8>> {
            let signing = AwsSigning {
                endpoints: vec![],
                regions: vec![],
                credentials: CredentialCache::fixed(
                    "test",
                    Credentials::new("AKID", secret, token.map(String::from), None, "test"),
                ),
            };
            let (mut parts, ()) = http::Request::get("/?Action=DescribeVpcs&Version=2016-11-15")
                .header("host", "127.0.0.1:5000")
                .body(())
                .unwrap()
                .into_parts();
            sign(&signing, "127.0.0.1", &mut parts, None, &Bytes::new())
                .await
                .unwrap()
        }
        assert!(screened("testing", Some("testing")).await.is_empty());
        let at_minimum = "s".repeat(MIN_SCREENED_SECRET);
        assert_eq!(
            screened(&at_minimum, Some("short")).await,
            vec![at_minimum.as_bytes().to_vec()]
        );
        assert_eq!(
            screened(&"s".repeat(MIN_SCREENED_SECRET - 1), None)
                .await
                .len(),
            0
        );
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let token = "FwoGZXIvYXdzEJr//////////wEaDOEXAMPLETOKEN";
        assert_eq!(
            screened(secret, Some(token)).await,
            vec![secret.as_bytes().to_vec(), token.as_bytes().to_vec()]
        );
    }

    #[tokio::test]
    async fn a_failure_to_load_credentials_is_kept() {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = calls.clone();
        let cache = CredentialCache::new(
            "tenant `acme`",
            Arc::new(move || {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Box::pin(async { Err("no profile `x`".to_string()) })
            }),
        );
        for _ in 0..3 {
            let e = cache.get().await.unwrap_err();
            assert_eq!(e, "no credentials for tenant `acme`: no profile `x`");
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
