//! Live mode: the AWS APIs read through the host, turned into the configuration items the
//! offline exports hold.
//!
//! A live target's plugin is granted endpoints (see [`demarc_sdk::http::live`]); it sends
//! unsigned requests and the host signs them with credentials the plugin never sees. This module
//! calls the read-only APIs behind every check and writes what they return as AWS Config
//! configuration items (the same envelope, `configuration` and `supplementaryConfiguration`
//! that AWS Config records for the resource), which the scan then reads exactly as it reads a
//! snapshot: one code path per check, two ways to fill its typed resource.
//!
//! | Resource | APIs |
//! |---|---|
//! | account | STS `GetCallerIdentity` |
//! | `AWS::EC2::SecurityGroup`, `Instance`, `Volume` | EC2 `DescribeSecurityGroups`, `DescribeInstances`, `DescribeVolumes` |
//! | `AWS::S3::Bucket` | S3 `ListBuckets`, `GetBucketLocation`, `GetBucketPolicy`, `GetPublicAccessBlock`, `GetBucketEncryption`, `GetBucketVersioning`, `GetBucketLogging`, `GetBucketAcl`, `GetBucketTagging` |
//! | `AWS::IAM::User`, `Role`, `Group`, `Policy` | IAM `GetAccountAuthorizationDetails` |
//! | IAM credential report | IAM `GenerateCredentialReport`, `GetCredentialReport` |
//! | `AWS::RDS::DBInstance`, `DBCluster` | RDS `DescribeDBInstances`, `DescribeDBClusters` |
//! | `AWS::KMS::Key` | KMS `ListKeys`, `DescribeKey`, `GetKeyRotationStatus`, `GetKeyPolicy`, `ListResourceTags` |
//! | `AWS::CloudTrail::Trail` | CloudTrail `DescribeTrails` |
//! | `AWS::Lambda::Function` | Lambda `ListFunctions`, `GetPolicy`, `ListTags` |
//!
//! Regional services are read in every region of the target (`DEMARC_LIVE_REGIONS`); IAM and
//! the bucket list once. Every list is paginated (`NextToken`, `Marker`, `NextMarker`,
//! `ContinuationToken`). Requests go one at a time through the SDK's [`Client`], which retries
//! throttled responses with back-off and jitter, so the account is never hit concurrently.
//!
//! Where a request goes: the granted endpoint of the service in the region
//! (`https://ec2.eu-west-1.amazonaws.com`, the global `iam` and `s3` endpoints), else the first
//! granted endpoint that is not an AWS one (an emulator or a proxy), with the region named in
//! the `X-Demarc-Aws-Region` header for the host's signature.
//!
//! What fails is said, never guessed: a call that is denied or fails leaves the resources it
//! would have described out (a `missing-input` problem naming the call, the region and the
//! error), or, for one of a bucket's settings, leaves that setting unrecorded so that its check
//! is `manual`; an answer that says a setting does not exist (`NoSuchBucketPolicy`) is recorded
//! as AWS Config records its absence.

use demarc_sdk::http::{Client, Live, Request, Response, Transport};
use roxmltree::{Document, Node};
use serde_json::{Map, Value, json};

/// The Query API versions of the services read.
const EC2: &str = "2016-11-15";
const IAM: &str = "2010-05-08";
const STS: &str = "2011-06-15";
const RDS: &str = "2014-10-31";

/// Pages read of one list before the reader stops (a token that never ends the list).
const MAX_PAGES: usize = 10_000;

/// How often the credential report's generation is polled, and how long between polls.
const REPORT_POLLS: u32 = 20;
const REPORT_POLL_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// One API call that failed: which, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// `SERVICE ACTION in REGION`.
    pub call: String,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// The AWS error code, when the response names one.
    pub code: Option<String>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed", self.call)?;
        match (self.status, &self.code) {
            (Some(s), Some(c)) => write!(f, " ({s} {c})")?,
            (Some(s), None) => write!(f, " (HTTP {s})")?,
            _ => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// The AWS APIs of one live target, over `transport`.
pub struct Api<T: Transport> {
    client: Client<T>,
    /// Granted endpoints, `scheme://host:port`.
    endpoints: Vec<String>,
    /// The first granted endpoint that is not an AWS one: every service is read there.
    other: Option<String>,
    /// The target's regions (`us-east-1` when it names none).
    pub regions: Vec<String>,
    /// Whether the target names its regions (else it names endpoints only, and buckets of every
    /// region are read there).
    named_regions: bool,
}

impl<T: Transport> Api<T> {
    /// The APIs `grant` reaches, over `client`.
    pub fn new(grant: &Live, client: Client<T>) -> Api<T> {
        let other = grant
            .endpoints
            .iter()
            .find(|e| !is_aws_endpoint(e))
            .cloned();
        let regions = if grant.regions.is_empty() {
            vec!["us-east-1".to_string()]
        } else {
            grant.regions.clone()
        };
        Api {
            client,
            endpoints: grant.endpoints.clone(),
            other,
            regions,
            named_regions: !grant.regions.is_empty(),
        }
    }

    /// The transport (tests read what was sent).
    #[cfg(test)]
    fn client_transport(&self) -> &T {
        self.client.transport()
    }

    /// Requests sent, retries included, and retries after throttling.
    pub fn sent(&self) -> (u64, u64) {
        (self.client.sent, self.client.retried)
    }

    /// The region global services are signed for: the target's first.
    pub fn home(&self) -> String {
        self.regions[0].clone()
    }

    /// The base URL of `service` in `region`, and the region header a non-AWS endpoint needs.
    fn base(&self, service: &str, region: &str) -> Option<(String, Option<String>)> {
        let hosts: Vec<String> = match service {
            "iam" => vec!["iam.amazonaws.com".into()],
            "s3" | "sts" => vec![
                format!("{service}.{region}.amazonaws.com"),
                format!("{service}.amazonaws.com"),
            ],
            _ => vec![format!("{service}.{region}.amazonaws.com")],
        };
        for host in hosts {
            for candidate in [
                format!("https://{host}:443"),
                format!("https://{host}.cn:443"),
            ] {
                if self.endpoints.contains(&candidate) {
                    return Some((candidate, None));
                }
            }
        }
        self.other
            .clone()
            .map(|base| (base, Some(region.to_string())))
    }

    fn send(&mut self, call: &str, request: Request) -> Result<Response, CallError> {
        self.client.send(&request).map_err(|e| CallError {
            call: call.to_string(),
            status: None,
            code: None,
            message: e.message,
        })
    }

    fn unreachable(call: &str, service: &str, region: &str) -> CallError {
        CallError {
            call: call.to_string(),
            status: None,
            code: None,
            message: format!(
                "no granted endpoint serves {service} in {region} (grant its region, or name an endpoint)"
            ),
        }
    }

    /// One Query API call (EC2, IAM, STS, RDS): the XML body of a 2xx response.
    pub fn query(
        &mut self,
        service: &str,
        region: &str,
        version: &str,
        action: &str,
        params: &[(&str, String)],
    ) -> Result<String, CallError> {
        let call = format!("{service} {action} in {region}");
        let Some((base, header)) = self.base(service, region) else {
            return Err(Self::unreachable(&call, service, region));
        };
        let mut body = format!("Action={action}&Version={version}");
        for (k, v) in params {
            body.push('&');
            body.push_str(&form(k));
            body.push('=');
            body.push_str(&form(v));
        }
        let mut request = Request::post(format!("{base}/"), body).header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        if let Some(region) = header {
            request = request.header(REGION_HEADER, &region);
        }
        let response = self.send(&call, request)?;
        checked(&call, response).map(|r| r.text().into_owned())
    }

    /// One JSON API call (KMS, CloudTrail): the parsed body of a 2xx response.
    pub fn json(
        &mut self,
        service: &str,
        region: &str,
        target: &str,
        body: &Value,
    ) -> Result<Value, CallError> {
        let action = target.rsplit('.').next().unwrap_or(target);
        let call = format!("{service} {action} in {region}");
        let Some((base, header)) = self.base(service, region) else {
            return Err(Self::unreachable(&call, service, region));
        };
        let mut request = Request::post(format!("{base}/"), body.to_string())
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", target);
        if let Some(region) = header {
            request = request.header(REGION_HEADER, &region);
        }
        let response = self.send(&call, request)?;
        let response = checked(&call, response)?;
        parse_json(&call, &response)
    }

    /// One REST call (S3, Lambda): the response whatever its status, for the caller to read a
    /// "not configured" answer from.
    pub fn rest(
        &mut self,
        service: &str,
        region: &str,
        action: &str,
        path: &str,
    ) -> Result<Response, (String, CallError)> {
        let call = format!("{service} {action} in {region}");
        let Some((base, header)) = self.base(service, region) else {
            return Err((call.clone(), Self::unreachable(&call, service, region)));
        };
        let mut request = Request::get(format!("{base}{path}"));
        if let Some(region) = header {
            request = request.header(REGION_HEADER, &region);
        }
        match self.send(&call, request) {
            Ok(r) => Ok(r),
            Err(e) => Err((call, e)),
        }
    }

    /// Wait between polls (through the transport: natively in tests, `wasi:clocks` live).
    fn wait(&mut self, duration: std::time::Duration) {
        self.client.sleep(duration);
    }
}

/// The header naming the region of a request to a non-AWS endpoint.
const REGION_HEADER: &str = "X-Demarc-Aws-Region";

/// Whether `endpoint` (`scheme://host:port`) is an AWS service endpoint.
fn is_aws_endpoint(endpoint: &str) -> bool {
    let host = endpoint
        .split("://")
        .nth(1)
        .unwrap_or(endpoint)
        .rsplit_once(':')
        .map_or(endpoint, |(h, _)| h);
    host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn form(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// The response if 2xx, else the error it names.
fn checked(call: &str, response: Response) -> Result<Response, CallError> {
    if response.is_success() {
        return Ok(response);
    }
    Err(error_of(call, &response))
}

/// The AWS error of a non-2xx response: its code and message from the XML or JSON body.
pub fn error_of(call: &str, response: &Response) -> CallError {
    let text = response.text();
    let (code, message) = if text.trim_start().starts_with('<') {
        match Document::parse(&text) {
            Ok(doc) => (
                find_text(doc.root(), "Code"),
                find_text(doc.root(), "Message"),
            ),
            Err(_) => (None, None),
        }
    } else {
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => (
                v.get("__type")
                    .or_else(|| v.get("code"))
                    .and_then(Value::as_str)
                    .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
                    .or_else(|| response.header("x-amzn-errortype").map(str::to_string)),
                v.get("message")
                    .or_else(|| v.get("Message"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            ),
            Err(_) => (None, None),
        }
    };
    let message = message.unwrap_or_else(|| {
        let snippet: String = text.chars().take(200).collect();
        if snippet.trim().is_empty() {
            "the response has no body".to_string()
        } else {
            snippet
        }
    });
    CallError {
        call: call.to_string(),
        status: Some(response.status),
        code,
        message,
    }
}

fn parse_json(call: &str, response: &Response) -> Result<Value, CallError> {
    serde_json::from_slice(&response.body).map_err(|e| CallError {
        call: call.to_string(),
        status: Some(response.status),
        code: None,
        message: format!("the response is not JSON: {e}"),
    })
}

fn parse_xml<'a>(call: &str, text: &'a str) -> Result<Document<'a>, CallError> {
    Document::parse(text).map_err(|e| CallError {
        call: call.to_string(),
        status: None,
        code: None,
        message: format!("the response is not XML: {e}"),
    })
}

// ---- XML helpers -------------------------------------------------------------------------

/// The first child element of `node` named `name`.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The text of the child `name`.
fn text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name).map(|c| c.text().unwrap_or(""))
}

/// The text of the first descendant named `name`.
fn find_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.descendants()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .map(|c| c.text().unwrap_or("").to_string())
}

/// The first descendant element named `name`.
fn find<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.descendants()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The element children of the child `list` (`item` of EC2, `member` of IAM, named ones of RDS).
fn entries<'a, 'i>(node: Node<'a, 'i>, list: &str) -> Vec<Node<'a, 'i>> {
    child(node, list)
        .map(|l| l.children().filter(|c| c.is_element()).collect())
        .unwrap_or_default()
}

/// A string value of the child `name`, or `null`.
fn s(node: Node<'_, '_>, name: &str) -> Value {
    text(node, name).map_or(Value::Null, |t| Value::String(t.to_string()))
}

/// A boolean value of the child `name` (`true`/`false`), or `null`.
fn b(node: Node<'_, '_>, name: &str) -> Value {
    match text(node, name).map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("true") => Value::Bool(true),
        Some(t) if t.eq_ignore_ascii_case("false") => Value::Bool(false),
        _ => Value::Null,
    }
}

/// An integer value of the child `name`, or `null`.
fn n(node: Node<'_, '_>, name: &str) -> Value {
    text(node, name)
        .and_then(|t| t.trim().parse::<i64>().ok())
        .map_or(Value::Null, Value::from)
}

/// EC2's `tagSet` / RDS's `TagList` as AWS Config's object of key → value and its list form.
fn tags(node: Node<'_, '_>, list: &str, key: &str, value: &str) -> (Map<String, Value>, Value) {
    let mut map = Map::new();
    let mut out = Vec::new();
    for tag in entries(node, list) {
        let k = text(tag, key).unwrap_or("").to_string();
        let v = text(tag, value).unwrap_or("").to_string();
        out.push(json!({"key": k, "value": v}));
        map.insert(k, Value::String(v));
    }
    (map, Value::Array(out))
}

/// A configuration item in AWS Config's envelope; `tags` is `None` when they could not be read
/// (recorded as `null`, so that the ownership check is manual, not failed).
#[allow(clippy::too_many_arguments)]
fn item(
    account: &str,
    region: &str,
    kind: &str,
    id: &str,
    name: Option<&str>,
    arn: Option<&str>,
    tags: Option<Map<String, Value>>,
    configuration: Value,
    supplementary: Value,
) -> Value {
    json!({
        "configurationItemStatus": "OK",
        "awsAccountId": account,
        "awsRegion": region,
        "resourceType": kind,
        "resourceId": id,
        "resourceName": name,
        "ARN": arn,
        "tags": tags,
        "relationships": [],
        "configuration": configuration,
        "supplementaryConfiguration": supplementary,
    })
}

/// What a reader made: the items, and the calls that failed (each a resource class or a
/// setting not read).
#[derive(Debug, Default)]
pub struct Read {
    /// Configuration items.
    pub items: Vec<Value>,
    /// Calls that failed, with what they leave out.
    pub failed: Vec<(CallError, String)>,
}

impl Read {
    fn fail(&mut self, e: CallError, lost: impl Into<String>) {
        self.failed.push((e, lost.into()));
    }
}

/// Follow a Query API list: `token_param` is sent with the value of `token_element` of the last
/// page until it is absent or empty (or, for IAM, `IsTruncated` is false).
#[allow(clippy::too_many_arguments)]
fn pages<T: Transport>(
    api: &mut Api<T>,
    service: &str,
    region: &str,
    version: &str,
    action: &str,
    params: &[(&str, String)],
    token: (&str, &str),
    mut each: impl FnMut(Node<'_, '_>),
) -> Result<(), CallError> {
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut p = params.to_vec();
        if let Some(t) = &next {
            p.push((token.0, t.clone()));
        }
        let body = api.query(service, region, version, action, &p)?;
        let call = format!("{service} {action} in {region}");
        let doc = parse_xml(&call, &body)?;
        each(doc.root_element());
        let truncated = find_text(doc.root(), "IsTruncated");
        let t = find_text(doc.root(), token.1).filter(|t| !t.trim().is_empty());
        match (truncated.as_deref(), t) {
            (Some("false"), _) | (_, None) => return Ok(()),
            (_, Some(t)) => {
                if next.as_deref() == Some(t.as_str()) {
                    return Err(CallError {
                        call,
                        status: None,
                        code: None,
                        message: format!("the API returned the same `{}` twice", token.1),
                    });
                }
                next = Some(t);
            }
        }
    }
    Err(CallError {
        call: format!("{service} {action} in {region}"),
        status: None,
        code: None,
        message: format!("more than {MAX_PAGES} pages"),
    })
}

/// The account the credentials belong to (STS `GetCallerIdentity`).
pub fn account<T: Transport>(api: &mut Api<T>) -> Result<String, CallError> {
    let region = api.home();
    let body = api.query("sts", &region, STS, "GetCallerIdentity", &[])?;
    let call = format!("sts GetCallerIdentity in {region}");
    let doc = parse_xml(&call, &body)?;
    find_text(doc.root(), "Account")
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .ok_or(CallError {
            call,
            status: None,
            code: None,
            message: "the response names no account".into(),
        })
}

// ---- EC2 ---------------------------------------------------------------------------------

/// Security groups, instances and volumes of `region`.
pub fn ec2<T: Transport>(api: &mut Api<T>, account: &str, region: &str) -> Read {
    let mut read = Read::default();
    let max = [("MaxResults", "1000".to_string())];
    let result = pages(
        api,
        "ec2",
        region,
        EC2,
        "DescribeSecurityGroups",
        &max,
        ("NextToken", "nextToken"),
        |root| {
            for sg in entries(root, "securityGroupInfo") {
                read.items.push(security_group(account, region, sg));
            }
        },
    );
    if let Err(e) = result {
        read.fail(e, format!("the security groups of {region}"));
    }
    let result = pages(
        api,
        "ec2",
        region,
        EC2,
        "DescribeInstances",
        &max,
        ("NextToken", "nextToken"),
        |root| {
            for reservation in entries(root, "reservationSet") {
                for instance in entries(reservation, "instancesSet") {
                    read.items.push(instance_item(account, region, instance));
                }
            }
        },
    );
    if let Err(e) = result {
        read.fail(e, format!("the EC2 instances of {region}"));
    }
    let max = [("MaxResults", "500".to_string())];
    let result = pages(
        api,
        "ec2",
        region,
        EC2,
        "DescribeVolumes",
        &max,
        ("NextToken", "nextToken"),
        |root| {
            for volume in entries(root, "volumeSet") {
                read.items.push(volume_item(account, region, volume));
            }
        },
    );
    if let Err(e) = result {
        read.fail(e, format!("the EBS volumes of {region}"));
    }
    read
}

fn permissions(node: Node<'_, '_>, list: &str) -> Value {
    let mut out = Vec::new();
    for p in entries(node, list) {
        let mut v4 = Vec::new();
        let mut flat = Vec::new();
        for r in entries(p, "ipRanges") {
            if let Some(cidr) = text(r, "cidrIp") {
                v4.push(json!({"cidrIp": cidr, "description": s(r, "description")}));
                flat.push(Value::String(cidr.to_string()));
            }
        }
        let v6: Vec<Value> = entries(p, "ipv6Ranges")
            .into_iter()
            .filter_map(|r| text(r, "cidrIpv6"))
            .map(|c| json!({"cidrIpv6": c}))
            .collect();
        let pairs: Vec<Value> = entries(p, "groups")
            .into_iter()
            .map(|g| json!({"groupId": s(g, "groupId"), "userId": s(g, "userId")}))
            .collect();
        let prefixes: Vec<Value> = entries(p, "prefixListIds")
            .into_iter()
            .map(|g| json!({"prefixListId": s(g, "prefixListId")}))
            .collect();
        out.push(json!({
            "fromPort": n(p, "fromPort"),
            "ipProtocol": s(p, "ipProtocol"),
            "ipv6Ranges": v6,
            "prefixListIds": prefixes,
            "toPort": n(p, "toPort"),
            "userIdGroupPairs": pairs,
            "ipv4Ranges": v4,
            "ipRanges": flat,
        }));
    }
    Value::Array(out)
}

fn security_group(account: &str, region: &str, sg: Node<'_, '_>) -> Value {
    let id = text(sg, "groupId").unwrap_or("");
    let name = text(sg, "groupName");
    let (tag_map, tag_list) = tags(sg, "tagSet", "key", "value");
    let arn = format!("arn:aws:ec2:{region}:{account}:security-group/{id}");
    item(
        account,
        region,
        "AWS::EC2::SecurityGroup",
        id,
        name,
        Some(&arn),
        Some(tag_map),
        json!({
            "description": s(sg, "groupDescription"),
            "groupName": name,
            "ipPermissions": permissions(sg, "ipPermissions"),
            "ownerId": s(sg, "ownerId"),
            "groupId": id,
            "ipPermissionsEgress": permissions(sg, "ipPermissionsEgress"),
            "tags": tag_list,
            "vpcId": s(sg, "vpcId"),
        }),
        json!({}),
    )
}

fn instance_item(account: &str, region: &str, i: Node<'_, '_>) -> Value {
    let id = text(i, "instanceId").unwrap_or("");
    let (tag_map, tag_list) = tags(i, "tagSet", "key", "value");
    let state = child(i, "instanceState").map_or(
        Value::Null,
        |st| json!({"code": n(st, "code"), "name": s(st, "name")}),
    );
    let metadata = child(i, "metadataOptions").map_or(Value::Null, |m| {
        json!({
            "state": s(m, "state"),
            "httpTokens": s(m, "httpTokens"),
            "httpPutResponseHopLimit": n(m, "httpPutResponseHopLimit"),
            "httpEndpoint": s(m, "httpEndpoint"),
        })
    });
    let arn = format!("arn:aws:ec2:{region}:{account}:instance/{id}");
    item(
        account,
        region,
        "AWS::EC2::Instance",
        id,
        None,
        Some(&arn),
        Some(tag_map),
        json!({
            "imageId": s(i, "imageId"),
            "instanceId": id,
            "instanceType": s(i, "instanceType"),
            "launchTime": s(i, "launchTime"),
            "privateIpAddress": s(i, "privateIpAddress"),
            "publicIpAddress": s(i, "ipAddress"),
            "state": state,
            "subnetId": s(i, "subnetId"),
            "vpcId": s(i, "vpcId"),
            "metadataOptions": metadata,
            "tags": tag_list,
        }),
        json!({}),
    )
}

fn volume_item(account: &str, region: &str, v: Node<'_, '_>) -> Value {
    let id = text(v, "volumeId").unwrap_or("");
    let (tag_map, tag_list) = tags(v, "tagSet", "key", "value");
    let arn = format!("arn:aws:ec2:{region}:{account}:volume/{id}");
    item(
        account,
        region,
        "AWS::EC2::Volume",
        id,
        None,
        Some(&arn),
        Some(tag_map),
        json!({
            "availabilityZone": s(v, "availabilityZone"),
            "createTime": s(v, "createTime"),
            "encrypted": b(v, "encrypted"),
            "kmsKeyId": s(v, "kmsKeyId"),
            "size": n(v, "size"),
            "snapshotId": s(v, "snapshotId"),
            "state": s(v, "status"),
            "volumeId": id,
            "volumeType": s(v, "volumeType"),
            "tags": tag_list,
        }),
        json!({}),
    )
}

// ---- RDS ---------------------------------------------------------------------------------

/// Database instances and clusters of `region`.
pub fn rds<T: Transport>(api: &mut Api<T>, account: &str, region: &str) -> Read {
    let mut read = Read::default();
    let max = [("MaxRecords", "100".to_string())];
    let result = pages(
        api,
        "rds",
        region,
        RDS,
        "DescribeDBInstances",
        &max,
        ("Marker", "Marker"),
        |root| {
            if let Some(list) = find(root, "DBInstances") {
                for db in list.children().filter(|c| c.is_element()) {
                    read.items.push(database(account, region, db, false));
                }
            }
        },
    );
    if let Err(e) = result {
        read.fail(e, format!("the RDS database instances of {region}"));
    }
    let result = pages(
        api,
        "rds",
        region,
        RDS,
        "DescribeDBClusters",
        &max,
        ("Marker", "Marker"),
        |root| {
            if let Some(list) = find(root, "DBClusters") {
                for db in list.children().filter(|c| c.is_element()) {
                    read.items.push(database(account, region, db, true));
                }
            }
        },
    );
    if let Err(e) = result {
        read.fail(e, format!("the RDS database clusters of {region}"));
    }
    read
}

fn database(account: &str, region: &str, db: Node<'_, '_>, cluster: bool) -> Value {
    let (tag_map, tag_list) = tags(db, "TagList", "Key", "Value");
    let (kind, ident, resource_id, arn_key) = if cluster {
        (
            "AWS::RDS::DBCluster",
            "DBClusterIdentifier",
            "DbClusterResourceId",
            "DBClusterArn",
        )
    } else {
        (
            "AWS::RDS::DBInstance",
            "DBInstanceIdentifier",
            "DbiResourceId",
            "DBInstanceArn",
        )
    };
    let name = text(db, ident);
    let id = text(db, resource_id).or(name).unwrap_or("");
    let arn = text(db, arn_key);
    let mut configuration = json!({
        "engine": s(db, "Engine"),
        "engineVersion": s(db, "EngineVersion"),
        "masterUsername": s(db, "MasterUsername"),
        "publiclyAccessible": b(db, "PubliclyAccessible"),
        "storageEncrypted": b(db, "StorageEncrypted"),
        "kmsKeyId": s(db, "KmsKeyId"),
        "backupRetentionPeriod": n(db, "BackupRetentionPeriod"),
        "autoMinorVersionUpgrade": b(db, "AutoMinorVersionUpgrade"),
        "tagList": tag_list,
    });
    let map = configuration.as_object_mut().expect("an object");
    if cluster {
        map.insert("dBClusterIdentifier".into(), s(db, "DBClusterIdentifier"));
        map.insert("dbClusterResourceId".into(), s(db, "DbClusterResourceId"));
        map.insert("dBClusterArn".into(), s(db, "DBClusterArn"));
    } else {
        map.insert("dBInstanceIdentifier".into(), s(db, "DBInstanceIdentifier"));
        map.insert("dBInstanceClass".into(), s(db, "DBInstanceClass"));
        map.insert("dbiResourceId".into(), s(db, "DbiResourceId"));
        map.insert("dBInstanceArn".into(), s(db, "DBInstanceArn"));
        map.insert("dBClusterIdentifier".into(), s(db, "DBClusterIdentifier"));
    }
    item(
        account,
        region,
        kind,
        id,
        name,
        arn,
        Some(tag_map),
        configuration,
        json!({}),
    )
}

// ---- KMS ---------------------------------------------------------------------------------

/// KMS keys of `region` with their rotation status and key policy.
pub fn kms<T: Transport>(api: &mut Api<T>, account: &str, region: &str) -> Read {
    let mut read = Read::default();
    let mut keys = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut body = json!({"Limit": 1000});
        if let Some(m) = &marker {
            body["Marker"] = Value::String(m.clone());
        }
        match api.json("kms", region, "TrentService.ListKeys", &body) {
            Ok(page) => {
                for key in page["Keys"].as_array().into_iter().flatten() {
                    if let Some(id) = key["KeyId"].as_str() {
                        keys.push(id.to_string());
                    }
                }
                match (page["Truncated"].as_bool(), page["NextMarker"].as_str()) {
                    (Some(true), Some(m)) if marker.as_deref() != Some(m) => {
                        marker = Some(m.to_string());
                    }
                    _ => break,
                }
            }
            Err(e) => {
                read.fail(e, format!("the KMS keys of {region}"));
                return read;
            }
        }
    }
    for id in keys {
        let described = match api.json(
            "kms",
            region,
            "TrentService.DescribeKey",
            &json!({"KeyId": id}),
        ) {
            Ok(v) => v,
            Err(e) => {
                read.fail(e, format!("KMS key {id} in {region}"));
                continue;
            }
        };
        let meta = &described["KeyMetadata"];
        let mut supplementary = Map::new();
        let customer = meta["KeyManager"].as_str() == Some("CUSTOMER");
        let symmetric = meta["KeySpec"]
            .as_str()
            .or(meta["CustomerMasterKeySpec"].as_str())
            == Some("SYMMETRIC_DEFAULT");
        let live = meta["KeyState"].as_str() == Some("Enabled");
        if customer && symmetric && live {
            match api.json(
                "kms",
                region,
                "TrentService.GetKeyRotationStatus",
                &json!({"KeyId": id}),
            ) {
                Ok(v) => {
                    if let Some(on) = v["KeyRotationEnabled"].as_bool() {
                        supplementary.insert("KeyRotationStatus".into(), Value::Bool(on));
                    }
                }
                Err(e) => read.fail(
                    e,
                    format!(
                        "the rotation status of KMS key {id} in {region} (its check is manual)"
                    ),
                ),
            }
        }
        match api.json(
            "kms",
            region,
            "TrentService.GetKeyPolicy",
            &json!({"KeyId": id, "PolicyName": "default"}),
        ) {
            Ok(v) => {
                if let Some(p) = v["Policy"].as_str() {
                    supplementary.insert("KeyPolicy".into(), Value::String(p.to_string()));
                }
            }
            Err(e) => read.fail(
                e,
                format!("the key policy of KMS key {id} in {region} (its check is manual)"),
            ),
        }
        let mut tag_map = Map::new();
        let mut tags_read = true;
        if customer {
            match api.json(
                "kms",
                region,
                "TrentService.ListResourceTags",
                &json!({"KeyId": id}),
            ) {
                Ok(v) => {
                    for t in v["Tags"].as_array().into_iter().flatten() {
                        if let (Some(k), Some(val)) = (t["TagKey"].as_str(), t["TagValue"].as_str())
                        {
                            tag_map.insert(k.to_string(), Value::String(val.to_string()));
                        }
                    }
                }
                Err(e) => {
                    tags_read = false;
                    read.fail(e, format!("the tags of KMS key {id} in {region}"));
                }
            }
        }
        let arn = meta["Arn"].as_str().map(str::to_string);
        read.items.push(item(
            account,
            region,
            "AWS::KMS::Key",
            &id,
            None,
            arn.as_deref(),
            tags_read.then_some(tag_map),
            camel_object(meta),
            Value::Object(supplementary),
        ));
    }
    read
}

/// A JSON API object with its keys in AWS Config's spelling (`KeyState` → `keyState`,
/// `AWSAccountId` → `aWSAccountId`): the first letter lower-cased.
fn camel_object(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let mut c = k.chars();
                    let key = match c.next() {
                        Some(f) => f.to_lowercase().chain(c).collect(),
                        None => String::new(),
                    };
                    (key, camel_object(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(camel_object).collect()),
        other => other.clone(),
    }
}

// ---- CloudTrail --------------------------------------------------------------------------

/// The trails `region` sees, its own and the shadows of multi-region and organization trails
/// homed elsewhere, each recorded once (in `seen`) and in its home region, as AWS Config
/// records it.
pub fn cloudtrail<T: Transport>(
    api: &mut Api<T>,
    account: &str,
    region: &str,
    seen: &mut std::collections::BTreeSet<String>,
) -> Read {
    let mut read = Read::default();
    let target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails";
    match api.json(
        "cloudtrail",
        region,
        target,
        &json!({"includeShadowTrails": true}),
    ) {
        Ok(v) => {
            for trail in v["trailList"].as_array().into_iter().flatten() {
                let name = trail["Name"].as_str().unwrap_or("");
                let arn = trail["TrailARN"].as_str().unwrap_or(name);
                if !seen.insert(arn.to_string()) {
                    continue;
                }
                let home = trail["HomeRegion"].as_str().unwrap_or(region);
                read.items.push(item(
                    account,
                    home,
                    "AWS::CloudTrail::Trail",
                    name,
                    Some(name),
                    Some(arn),
                    Some(Map::new()),
                    camel_object(trail),
                    json!({}),
                ));
            }
        }
        Err(e) => read.fail(e, format!("the CloudTrail trails of {region}")),
    }
    read
}

// ---- Lambda ------------------------------------------------------------------------------

/// Lambda functions of `region` with their resource policy and tags.
pub fn lambda<T: Transport>(api: &mut Api<T>, account: &str, region: &str) -> Read {
    let mut read = Read::default();
    let mut functions = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let path = match &marker {
            Some(m) => format!("/2015-03-31/functions/?MaxItems=50&Marker={}", form(m)),
            None => "/2015-03-31/functions/?MaxItems=50".to_string(),
        };
        let page = match api.rest("lambda", region, "ListFunctions", &path) {
            Ok(r) => checked(&format!("lambda ListFunctions in {region}"), r)
                .and_then(|r| parse_json(&format!("lambda ListFunctions in {region}"), &r)),
            Err((_, e)) => Err(e),
        };
        match page {
            Ok(page) => {
                functions.extend(page["Functions"].as_array().into_iter().flatten().cloned());
                match page["NextMarker"].as_str() {
                    Some(m) if !m.is_empty() && marker.as_deref() != Some(m) => {
                        marker = Some(m.to_string());
                    }
                    _ => break,
                }
            }
            Err(e) => {
                read.fail(e, format!("the Lambda functions of {region}"));
                return read;
            }
        }
    }
    for function in functions {
        let name = function["FunctionName"].as_str().unwrap_or("").to_string();
        let arn = function["FunctionArn"].as_str().unwrap_or("").to_string();
        let mut supplementary = Map::new();
        let mut recorded = true;
        let path = format!("/2015-03-31/functions/{}/policy", form(&name));
        match api.rest("lambda", region, "GetPolicy", &path) {
            Ok(r) if r.is_success() => {
                let call = format!("lambda GetPolicy in {region}");
                match parse_json(&call, &r) {
                    Ok(v) => {
                        if let Some(p) = v["Policy"].as_str() {
                            supplementary.insert("Policy".into(), Value::String(p.to_string()));
                        }
                    }
                    Err(e) => {
                        recorded = false;
                        read.fail(
                            e,
                            format!("the policy of function {name} (its check is manual)"),
                        );
                    }
                }
            }
            // No policy: the function is recorded without one.
            Ok(r) if r.status == 404 => {}
            Ok(r) => {
                recorded = false;
                read.fail(
                    error_of(&format!("lambda GetPolicy in {region}"), &r),
                    format!("the policy of function {name} (its check is manual)"),
                );
            }
            Err((_, e)) => {
                recorded = false;
                read.fail(
                    e,
                    format!("the policy of function {name} (its check is manual)"),
                );
            }
        }
        let mut tag_map = Map::new();
        let mut tags_read = true;
        let path = format!("/2017-03-31/tags/{}", form(&arn));
        match api.rest("lambda", region, "ListTags", &path) {
            Ok(r) if r.is_success() => {
                if let Ok(v) = parse_json("", &r)
                    && let Some(t) = v["Tags"].as_object()
                {
                    tag_map = t.clone();
                }
            }
            Ok(r) => {
                tags_read = false;
                read.fail(
                    error_of(&format!("lambda ListTags in {region}"), &r),
                    format!("the tags of function {name}"),
                );
            }
            Err((_, e)) => {
                tags_read = false;
                read.fail(e, format!("the tags of function {name}"));
            }
        }
        read.items.push(item(
            account,
            region,
            "AWS::Lambda::Function",
            &name,
            Some(&name),
            Some(&arn),
            tags_read.then_some(tag_map),
            camel_object(&function),
            if recorded {
                Value::Object(supplementary)
            } else {
                Value::Null
            },
        ));
    }
    read
}

// ---- IAM ---------------------------------------------------------------------------------

/// IAM users, groups, roles and customer-managed policies (`GetAccountAuthorizationDetails`).
pub fn iam<T: Transport>(api: &mut Api<T>, account: &str) -> Read {
    let mut read = Read::default();
    let region = api.home();
    let params = [
        ("Filter.member.1", "User".to_string()),
        ("Filter.member.2", "Role".to_string()),
        ("Filter.member.3", "Group".to_string()),
        ("Filter.member.4", "LocalManagedPolicy".to_string()),
        ("MaxItems", "1000".to_string()),
    ];
    let result = pages(
        api,
        "iam",
        &region,
        IAM,
        "GetAccountAuthorizationDetails",
        &params,
        ("Marker", "Marker"),
        |root| {
            let Some(result) = find(root, "GetAccountAuthorizationDetailsResult") else {
                return;
            };
            for u in entries(result, "UserDetailList") {
                read.items.push(iam_user(account, u));
            }
            for g in entries(result, "GroupDetailList") {
                read.items.push(iam_group(account, g));
            }
            for r in entries(result, "RoleDetailList") {
                read.items.push(iam_role(account, r));
            }
            for p in entries(result, "Policies") {
                read.items.push(iam_policy(account, p));
            }
        },
    );
    if let Err(e) = result {
        read.fail(e, "the IAM users, groups, roles and policies");
    }
    read
}

fn inline(node: Node<'_, '_>, list: &str) -> Value {
    Value::Array(
        entries(node, list)
            .into_iter()
            .map(|p| json!({"policyName": s(p, "PolicyName"), "policyDocument": s(p, "PolicyDocument")}))
            .collect(),
    )
}

fn attached(node: Node<'_, '_>) -> Value {
    Value::Array(
        entries(node, "AttachedManagedPolicies")
            .into_iter()
            .map(|p| json!({"policyName": s(p, "PolicyName"), "policyArn": s(p, "PolicyArn")}))
            .collect(),
    )
}

fn iam_tags(node: Node<'_, '_>) -> (Map<String, Value>, Value) {
    tags(node, "Tags", "Key", "Value")
}

fn iam_user(account: &str, u: Node<'_, '_>) -> Value {
    let (tag_map, tag_list) = iam_tags(u);
    let groups: Vec<Value> = entries(u, "GroupList")
        .into_iter()
        .map(|g| Value::String(g.text().unwrap_or("").to_string()))
        .collect();
    item(
        account,
        "global",
        "AWS::IAM::User",
        text(u, "UserId").unwrap_or(""),
        text(u, "UserName"),
        text(u, "Arn"),
        Some(tag_map),
        json!({
            "path": s(u, "Path"),
            "userName": s(u, "UserName"),
            "userId": s(u, "UserId"),
            "arn": s(u, "Arn"),
            "createDate": s(u, "CreateDate"),
            "userPolicyList": inline(u, "UserPolicyList"),
            "groupList": groups,
            "attachedManagedPolicies": attached(u),
            "tags": tag_list,
        }),
        json!({}),
    )
}

fn iam_group(account: &str, g: Node<'_, '_>) -> Value {
    item(
        account,
        "global",
        "AWS::IAM::Group",
        text(g, "GroupId").unwrap_or(""),
        text(g, "GroupName"),
        text(g, "Arn"),
        Some(Map::new()),
        json!({
            "path": s(g, "Path"),
            "groupName": s(g, "GroupName"),
            "groupId": s(g, "GroupId"),
            "arn": s(g, "Arn"),
            "createDate": s(g, "CreateDate"),
            "groupPolicyList": inline(g, "GroupPolicyList"),
            "attachedManagedPolicies": attached(g),
        }),
        json!({}),
    )
}

fn iam_role(account: &str, r: Node<'_, '_>) -> Value {
    let (tag_map, tag_list) = iam_tags(r);
    item(
        account,
        "global",
        "AWS::IAM::Role",
        text(r, "RoleId").unwrap_or(""),
        text(r, "RoleName"),
        text(r, "Arn"),
        Some(tag_map),
        json!({
            "path": s(r, "Path"),
            "roleName": s(r, "RoleName"),
            "roleId": s(r, "RoleId"),
            "arn": s(r, "Arn"),
            "createDate": s(r, "CreateDate"),
            "assumeRolePolicyDocument": s(r, "AssumeRolePolicyDocument"),
            "rolePolicyList": inline(r, "RolePolicyList"),
            "attachedManagedPolicies": attached(r),
            "tags": tag_list,
        }),
        json!({}),
    )
}

fn iam_policy(account: &str, p: Node<'_, '_>) -> Value {
    let versions: Vec<Value> = entries(p, "PolicyVersionList")
        .into_iter()
        .map(|v| {
            json!({
                "document": s(v, "Document"),
                "versionId": s(v, "VersionId"),
                "isDefaultVersion": b(v, "IsDefaultVersion"),
                "createDate": s(v, "CreateDate"),
            })
        })
        .collect();
    item(
        account,
        "global",
        "AWS::IAM::Policy",
        text(p, "PolicyId").unwrap_or(""),
        text(p, "PolicyName"),
        text(p, "Arn"),
        Some(Map::new()),
        json!({
            "policyName": s(p, "PolicyName"),
            "policyId": s(p, "PolicyId"),
            "arn": s(p, "Arn"),
            "path": s(p, "Path"),
            "defaultVersionId": s(p, "DefaultVersionId"),
            "attachmentCount": n(p, "AttachmentCount"),
            "isAttachable": b(p, "IsAttachable"),
            "createDate": s(p, "CreateDate"),
            "updateDate": s(p, "UpdateDate"),
            "policyVersionList": versions,
        }),
        json!({}),
    )
}

/// The IAM credential report's base64 `Content`, generated first if need be.
pub fn credential_report<T: Transport>(api: &mut Api<T>) -> Result<String, CallError> {
    let region = api.home();
    for _ in 0..REPORT_POLLS {
        let body = api.query("iam", &region, IAM, "GenerateCredentialReport", &[])?;
        let call = format!("iam GenerateCredentialReport in {region}");
        let doc = parse_xml(&call, &body)?;
        if find_text(doc.root(), "State").as_deref() == Some("COMPLETE") {
            let body = api.query("iam", &region, IAM, "GetCredentialReport", &[])?;
            let call = format!("iam GetCredentialReport in {region}");
            let doc = parse_xml(&call, &body)?;
            return find_text(doc.root(), "Content")
                .filter(|c| !c.trim().is_empty())
                .ok_or(CallError {
                    call,
                    status: None,
                    code: None,
                    message: "the response has no `Content`".into(),
                });
        }
        api.wait(REPORT_POLL_WAIT);
    }
    Err(CallError {
        call: format!("iam GenerateCredentialReport in {region}"),
        status: None,
        code: None,
        message: format!(
            "the report was not complete after {REPORT_POLLS} polls {} ms apart",
            REPORT_POLL_WAIT.as_millis()
        ),
    })
}

// ---- S3 ----------------------------------------------------------------------------------

/// The S3 buckets of the account whose region is one of the target's, each with the settings
/// AWS Config records in its supplementary configuration. Buckets of other regions are named
/// in `outside`.
pub fn s3<T: Transport>(api: &mut Api<T>, account: &str, outside: &mut Vec<String>) -> Read {
    let mut read = Read::default();
    let home = api.home();
    let mut buckets: Vec<(String, Option<String>)> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let path = match &token {
            Some(t) => format!("/?max-buckets=1000&continuation-token={}", form(t)),
            None => "/".to_string(),
        };
        let call = format!("s3 ListBuckets in {home}");
        let page = match api.rest("s3", &home, "ListBuckets", &path) {
            Ok(r) => checked(&call, r),
            Err((_, e)) => Err(e),
        };
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                read.fail(e, "the S3 buckets");
                return read;
            }
        };
        let text = page.text().into_owned();
        let doc = match parse_xml(&call, &text) {
            Ok(d) => d,
            Err(e) => {
                read.fail(e, "the S3 buckets");
                return read;
            }
        };
        for bucket in doc
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "Bucket")
        {
            if let Some(name) = text_of(bucket, "Name") {
                buckets.push((name, text_of(bucket, "CreationDate")));
            }
        }
        match find_text(doc.root(), "ContinuationToken").filter(|t| !t.is_empty()) {
            Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => break,
        }
    }
    for (name, created) in buckets {
        let region = match bucket_region(api, &home, &name) {
            Ok(r) => r,
            Err(e) => {
                read.fail(e, format!("bucket {name} (its region is unknown)"));
                continue;
            }
        };
        if api.named_regions && !api.regions.contains(&region) {
            outside.push(format!("{name} ({region})"));
            continue;
        }
        read.items.push(bucket(
            api,
            account,
            &region,
            &name,
            created,
            &mut read.failed,
        ));
    }
    read
}

fn text_of(node: Node<'_, '_>, name: &str) -> Option<String> {
    text(node, name).map(str::to_string)
}

/// A bucket's region (`GetBucketLocation`: empty is `us-east-1`, `EU` is `eu-west-1`).
fn bucket_region<T: Transport>(
    api: &mut Api<T>,
    home: &str,
    name: &str,
) -> Result<String, CallError> {
    let call = format!("s3 GetBucketLocation in {home}");
    let r = match api.rest(
        "s3",
        home,
        "GetBucketLocation",
        &format!("/{name}?location"),
    ) {
        Ok(r) => checked(&call, r)?,
        Err((_, e)) => return Err(e),
    };
    let text = r.text().into_owned();
    let doc = parse_xml(&call, &text)?;
    let location = doc.root_element().text().unwrap_or("").trim().to_string();
    Ok(match location.as_str() {
        "" => "us-east-1".to_string(),
        "EU" => "eu-west-1".to_string(),
        other => other.to_string(),
    })
}

/// One S3 sub-resource: `Ok(Some(xml))`, `Ok(None)` when the bucket has none (`absent` is the
/// error code that says so), `Err` when it could not be read.
fn sub<T: Transport>(
    api: &mut Api<T>,
    region: &str,
    bucket: &str,
    action: &str,
    query: &str,
    absent: &[&str],
) -> Result<Option<String>, CallError> {
    let call = format!("s3 {action} in {region}");
    let r = match api.rest("s3", region, action, &format!("/{bucket}?{query}")) {
        Ok(r) => r,
        Err((_, e)) => return Err(e),
    };
    if r.is_success() {
        return Ok(Some(r.text().into_owned()));
    }
    let e = error_of(&call, &r);
    if r.status == 404 && e.code.as_deref().is_some_and(|c| absent.contains(&c)) {
        return Ok(None);
    }
    Err(e)
}

fn bucket<T: Transport>(
    api: &mut Api<T>,
    account: &str,
    region: &str,
    name: &str,
    created: Option<String>,
    failed: &mut Vec<(CallError, String)>,
) -> Value {
    let mut supp = Map::new();
    let mut tag_map = Map::new();
    let mut tags_read = true;
    let lost = |what: &str| format!("the {what} of bucket {name} (its check is manual)");
    match sub(
        api,
        region,
        name,
        "GetBucketPolicy",
        "policy",
        &["NoSuchBucketPolicy"],
    ) {
        Ok(policy) => {
            supp.insert(
                "BucketPolicy".into(),
                json!({"policyText": policy.map_or(Value::Null, Value::String)}),
            );
        }
        Err(e) => failed.push((e, lost("policy"))),
    }
    match sub(
        api,
        region,
        name,
        "GetPublicAccessBlock",
        "publicAccessBlock",
        &["NoSuchPublicAccessBlockConfiguration"],
    ) {
        Ok(Some(xml)) => {
            if let Ok(doc) = Document::parse(&xml) {
                let c = doc.root_element();
                supp.insert(
                    "PublicAccessBlockConfiguration".into(),
                    json!({
                        "blockPublicAcls": b(c, "BlockPublicAcls"),
                        "ignorePublicAcls": b(c, "IgnorePublicAcls"),
                        "blockPublicPolicy": b(c, "BlockPublicPolicy"),
                        "restrictPublicBuckets": b(c, "RestrictPublicBuckets"),
                    }),
                );
            }
        }
        // No configuration: AWS Config records no entry.
        Ok(None) => {}
        Err(e) => failed.push((e, lost("public access block"))),
    }
    match sub(
        api,
        region,
        name,
        "GetBucketEncryption",
        "encryption",
        &["ServerSideEncryptionConfigurationNotFoundError"],
    ) {
        Ok(Some(xml)) => {
            if let Ok(doc) = Document::parse(&xml) {
                let rules: Vec<Value> = doc
                    .descendants()
                    .filter(|n| n.is_element() && n.tag_name().name() == "Rule")
                    .map(|rule| {
                        let d = child(rule, "ApplyServerSideEncryptionByDefault");
                        json!({
                            "applyServerSideEncryptionByDefault": d.map(|d| json!({
                                "sseAlgorithm": s(d, "SSEAlgorithm"),
                                "kmsMasterKeyID": s(d, "KMSMasterKeyID"),
                            })),
                            "bucketKeyEnabled": b(rule, "BucketKeyEnabled"),
                        })
                    })
                    .collect();
                supp.insert(
                    "ServerSideEncryptionConfiguration".into(),
                    json!({ "rules": rules }),
                );
            }
        }
        Ok(None) => {}
        Err(e) => failed.push((e, lost("default encryption"))),
    }
    match sub(api, region, name, "GetBucketVersioning", "versioning", &[]) {
        Ok(Some(xml)) => {
            let status = Document::parse(&xml)
                .ok()
                .and_then(|d| find_text(d.root(), "Status"))
                .unwrap_or_else(|| "Off".to_string());
            let mfa = Document::parse(&xml)
                .ok()
                .and_then(|d| find_text(d.root(), "MfaDelete"))
                .map(|m| Value::Bool(m == "Enabled"))
                .unwrap_or(Value::Null);
            supp.insert(
                "BucketVersioningConfiguration".into(),
                json!({"status": status, "isMfaDeleteEnabled": mfa}),
            );
        }
        Ok(None) => {}
        Err(e) => failed.push((e, lost("versioning"))),
    }
    match sub(api, region, name, "GetBucketLogging", "logging", &[]) {
        Ok(Some(xml)) => {
            let doc = Document::parse(&xml).ok();
            let target = doc
                .as_ref()
                .and_then(|d| find_text(d.root(), "TargetBucket"));
            let prefix = doc
                .as_ref()
                .and_then(|d| find_text(d.root(), "TargetPrefix"));
            supp.insert(
                "BucketLoggingConfiguration".into(),
                json!({"destinationBucketName": target, "logFilePrefix": prefix}),
            );
        }
        Ok(None) => {}
        Err(e) => failed.push((e, lost("access logging"))),
    }
    match sub(api, region, name, "GetBucketAcl", "acl", &[]) {
        Ok(Some(xml)) => {
            if let Ok(doc) = Document::parse(&xml) {
                let grants: Vec<Value> = doc
                    .descendants()
                    .filter(|n| n.is_element() && n.tag_name().name() == "Grant")
                    .map(|g| {
                        let grantee = child(g, "Grantee");
                        let uri = grantee.and_then(|e| text(e, "URI"));
                        let who = match uri {
                            Some(u) if u.ends_with("/global/AllUsers") => json!("AllUsers"),
                            Some(u) if u.ends_with("/global/AuthenticatedUsers") => {
                                json!("AuthenticatedUsers")
                            }
                            Some(u) if u.ends_with("/s3/LogDelivery") => json!("LogDelivery"),
                            _ => json!({
                                "id": grantee.map_or(Value::Null, |e| s(e, "ID")),
                                "displayName": grantee.map_or(Value::Null, |e| s(e, "DisplayName")),
                            }),
                        };
                        json!({"grantee": who, "permission": acl_permission(text(g, "Permission").unwrap_or(""))})
                    })
                    .collect();
                let owner = find(doc.root(), "Owner");
                supp.insert(
                    "AccessControlList".into(),
                    Value::String(
                        json!({
                            "grantSet": null,
                            "grantList": grants,
                            "owner": {
                                "displayName": owner.map_or(Value::Null, |o| s(o, "DisplayName")),
                                "id": owner.map_or(Value::Null, |o| s(o, "ID")),
                            },
                            "isRequesterCharged": false,
                        })
                        .to_string(),
                    ),
                );
            }
        }
        Ok(None) => {}
        Err(e) => failed.push((e, lost("access control list"))),
    }
    match sub(
        api,
        region,
        name,
        "GetBucketTagging",
        "tagging",
        &["NoSuchTagSet"],
    ) {
        Ok(Some(xml)) => {
            if let Ok(doc) = Document::parse(&xml) {
                for tag in doc
                    .descendants()
                    .filter(|n| n.is_element() && n.tag_name().name() == "Tag")
                {
                    if let Some(k) = text(tag, "Key") {
                        tag_map.insert(
                            k.to_string(),
                            Value::String(text(tag, "Value").unwrap_or("").to_string()),
                        );
                    }
                }
                supp.insert(
                    "BucketTaggingConfiguration".into(),
                    json!({"tagSets": [{"tags": tag_map.clone()}]}),
                );
            }
        }
        Ok(None) => {}
        Err(e) => {
            tags_read = false;
            failed.push((e, format!("the tags of bucket {name}")));
        }
    }
    item(
        account,
        region,
        "AWS::S3::Bucket",
        name,
        Some(name),
        Some(&format!("arn:aws:s3:::{name}")),
        tags_read.then_some(tag_map),
        json!({"name": name, "creationDate": created}),
        Value::Object(supp),
    )
}

/// An S3 ACL permission in AWS Config's spelling (`FULL_CONTROL` → `FullControl`).
fn acl_permission(p: &str) -> &'static str {
    match p {
        "FULL_CONTROL" => "FullControl",
        "READ" => "Read",
        "WRITE" => "Write",
        "READ_ACP" => "ReadAcp",
        "WRITE_ACP" => "WriteAcp",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_sdk::http::{Error as HttpError, Retry};
    use std::time::Duration;

    /// A transport that answers from a function of the request, and keeps what was sent.
    struct Scripted<F: FnMut(&Request) -> Response> {
        answer: F,
        sent: Vec<Request>,
    }

    impl<F: FnMut(&Request) -> Response> Transport for Scripted<F> {
        fn send(&mut self, request: &Request) -> Result<Response, HttpError> {
            self.sent.push(request.clone());
            Ok((self.answer)(request))
        }
        fn sleep(&mut self, _: Duration) {}
        fn random(&mut self) -> u64 {
            7
        }
    }

    fn reply(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn api<F: FnMut(&Request) -> Response>(
        endpoints: &str,
        regions: &str,
        answer: F,
    ) -> Api<Scripted<F>> {
        let client = Client::new(
            Scripted {
                answer,
                sent: Vec::new(),
            },
            Retry::default(),
        );
        Api::new(&Live::parse(endpoints, regions), client)
    }

    fn body(r: &Request) -> String {
        String::from_utf8_lossy(&r.body).into_owned()
    }

    #[test]
    fn requests_go_to_the_services_endpoint_or_the_named_one_with_the_region() {
        let a = api(
            "https://ec2.eu-west-1.amazonaws.com:443 https://iam.amazonaws.com:443 https://s3.amazonaws.com:443",
            "eu-west-1",
            |_| reply(200, ""),
        );
        assert_eq!(
            a.base("ec2", "eu-west-1"),
            Some(("https://ec2.eu-west-1.amazonaws.com:443".into(), None))
        );
        assert_eq!(
            a.base("iam", "eu-west-1"),
            Some(("https://iam.amazonaws.com:443".into(), None))
        );
        assert_eq!(
            a.base("s3", "eu-west-1"),
            Some(("https://s3.amazonaws.com:443".into(), None))
        );
        assert_eq!(a.base("rds", "eu-west-1"), None);
        let e = api("http://127.0.0.1:5000", "", |_| reply(200, ""));
        assert_eq!(e.regions, ["us-east-1"]);
        assert_eq!(
            e.base("rds", "ap-south-1"),
            Some(("http://127.0.0.1:5000".into(), Some("ap-south-1".into())))
        );
    }

    const SG_PAGE_1: &str = r#"<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><securityGroupInfo><item><ownerId>111122223333</ownerId><groupId>sg-1</groupId><groupName>web</groupName><groupDescription>web</groupDescription><vpcId>vpc-1</vpcId><ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item></ipPermissions><ipPermissionsEgress/><tagSet><item><key>owner</key><value>web-team</value></item></tagSet></item></securityGroupInfo><nextToken>page-2</nextToken></DescribeSecurityGroupsResponse>"#;
    const SG_PAGE_2: &str = r#"<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><securityGroupInfo><item><groupId>sg-2</groupId><groupName>db</groupName><ipPermissions><item><ipProtocol>-1</ipProtocol><ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges></item></ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>"#;
    const EMPTY_EC2: &str = r#"<R><reservationSet/><volumeSet/></R>"#;

    #[test]
    fn ec2_lists_are_followed_page_by_page_into_config_items() {
        let mut a = api("http://127.0.0.1:5000", "", |r| {
            let b = body(r);
            if b.contains("DescribeSecurityGroups") {
                reply(
                    200,
                    if b.contains("NextToken=page-2") {
                        SG_PAGE_2
                    } else {
                        SG_PAGE_1
                    },
                )
            } else {
                reply(200, EMPTY_EC2)
            }
        });
        let read = ec2(&mut a, "111122223333", "us-east-1");
        assert!(read.failed.is_empty(), "{:?}", read.failed);
        assert_eq!(read.items.len(), 2);
        let web = &read.items[0];
        assert_eq!(web["resourceType"], "AWS::EC2::SecurityGroup");
        assert_eq!(
            web["ARN"],
            "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"
        );
        assert_eq!(web["tags"]["owner"], "web-team");
        let rule = &web["configuration"]["ipPermissions"][0];
        assert_eq!(rule["fromPort"], 22);
        assert_eq!(rule["ipv4Ranges"][0]["cidrIp"], "0.0.0.0/0");
        assert_eq!(rule["ipRanges"][0], "0.0.0.0/0");
        assert_eq!(
            read.items[1]["configuration"]["ipPermissions"][0]["ipv6Ranges"][0]["cidrIpv6"],
            "::/0"
        );
        let sent = &a.client_transport().sent;
        assert!(sent.iter().all(|r| {
            r.headers
                .iter()
                .any(|(k, v)| k == REGION_HEADER && v == "us-east-1")
        }));
        assert_eq!(
            sent.iter()
                .filter(|r| body(r).contains("DescribeSecurityGroups"))
                .count(),
            2
        );
    }

    #[test]
    fn a_denied_list_is_a_failure_naming_the_call_and_what_is_lost() {
        let mut a = api("http://127.0.0.1:5000", "", |_| {
            reply(
                403,
                "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors></Response>",
            )
        });
        let read = ec2(&mut a, "1", "us-east-1");
        assert!(read.items.is_empty());
        assert_eq!(read.failed.len(), 3);
        let (e, lost) = &read.failed[0];
        assert_eq!(
            e.to_string(),
            "ec2 DescribeSecurityGroups in us-east-1 failed (403 UnauthorizedOperation): You are not authorized to perform this operation."
        );
        assert_eq!(lost, "the security groups of us-east-1");
    }

    #[test]
    fn a_bucket_setting_that_is_absent_is_recorded_and_one_that_is_denied_is_left_out() {
        let mut a = api("http://127.0.0.1:5000", "", |r| {
            let url = r.url.as_str();
            let (status, body) = if url.ends_with("/") {
                (
                    200,
                    "<ListAllMyBucketsResult><Buckets><Bucket><Name>b1</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>",
                )
            } else if url.ends_with("?location") {
                (200, "<LocationConstraint>eu-west-1</LocationConstraint>")
            } else if url.ends_with("?policy") {
                (
                    404,
                    "<Error><Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message></Error>",
                )
            } else if url.ends_with("?publicAccessBlock") || url.ends_with("?tagging") {
                (
                    403,
                    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                )
            } else if url.ends_with("?versioning") {
                (200, "<VersioningConfiguration/>")
            } else {
                (
                    404,
                    "<Error><Code>ServerSideEncryptionConfigurationNotFoundError</Code><Message>none</Message></Error>",
                )
            };
            reply(status, body)
        });
        let mut outside = Vec::new();
        let read = s3(&mut a, "1", &mut outside);
        assert!(outside.is_empty());
        assert_eq!(read.items.len(), 1);
        let bucket = &read.items[0];
        assert_eq!(bucket["awsRegion"], "eu-west-1");
        let supp = &bucket["supplementaryConfiguration"];
        assert_eq!(supp["BucketPolicy"]["policyText"], Value::Null);
        assert_eq!(supp["BucketVersioningConfiguration"]["status"], "Off");
        assert!(supp.get("PublicAccessBlockConfiguration").is_none());
        // Tags that could not be read are `null`: the ownership check is manual, not failed.
        assert_eq!(bucket["tags"], Value::Null);
        let lost: Vec<&str> = read.failed.iter().map(|(_, l)| l.as_str()).collect();
        assert!(
            lost.contains(&"the public access block of bucket b1 (its check is manual)"),
            "{lost:?}"
        );
        assert!(lost.contains(&"the tags of bucket b1"), "{lost:?}");
    }

    #[test]
    fn buckets_outside_the_targets_regions_are_named_not_read() {
        let mut a = api("https://s3.amazonaws.com:443", "us-east-1", |r| {
            if r.url.ends_with("?location") {
                reply(200, "<LocationConstraint>EU</LocationConstraint>")
            } else {
                reply(
                    200,
                    "<ListAllMyBucketsResult><Buckets><Bucket><Name>far</Name></Bucket></Buckets></ListAllMyBucketsResult>",
                )
            }
        });
        let mut outside = Vec::new();
        let read = s3(&mut a, "1", &mut outside);
        assert!(read.items.is_empty());
        assert_eq!(outside, ["far (eu-west-1)"]);
    }

    #[test]
    fn errors_are_read_from_xml_and_json_bodies() {
        let e = error_of(
            "kms ListKeys in us-east-1",
            &reply(
                400,
                r#"{"__type":"com.amazonaws.kms#AccessDeniedException","message":"no"}"#,
            ),
        );
        assert_eq!(e.code.as_deref(), Some("AccessDeniedException"));
        assert_eq!(e.message, "no");
        let e = error_of("x", &reply(500, ""));
        assert_eq!(e.message, "the response has no body");
    }
}
