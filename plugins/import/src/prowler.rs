//! Prowler's JSON-OCSF output (`prowler <provider> -M json-ocsf`): a JSON array of OCSF
//! Detection Finding objects (class 2004), one per check and resource.
//!
//! The fields read: `class_uid`; `metadata.event_code` (the Prowler check id) and
//! `metadata.product.name`/`.version`; `status_code` (`PASS`, `FAIL`, `MANUAL`) and
//! `status_detail`; `severity`; `finding_info.title`; `message`; `resources[]` (`uid`, `type`,
//! `name`, `region`); `cloud.provider`, `cloud.account.uid`, `cloud.region`;
//! `unmapped.compliance` (framework → requirement ids); `remediation.desc`; `risk_details`;
//! `time_dt`. Everything else is skipped unread.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

/// The OCSF class of a Detection Finding.
pub const DETECTION_FINDING: u64 = 2004;

/// One OCSF Detection Finding as Prowler writes it, with the strings borrowed from the input.
#[derive(Debug, Deserialize)]
pub struct OcsfFinding<'a> {
    /// OCSF class.
    #[serde(default)]
    pub class_uid: Option<u64>,
    /// OCSF class name (for messages about other classes).
    #[serde(borrow, default)]
    pub class_name: Option<Cow<'a, str>>,
    /// Event metadata: the check id and the product.
    #[serde(borrow, default)]
    pub metadata: Option<Metadata<'a>>,
    /// `PASS`, `FAIL` or `MANUAL`.
    #[serde(borrow, default)]
    pub status_code: Option<Cow<'a, str>>,
    /// Why, in Prowler's words.
    #[serde(borrow, default)]
    pub status_detail: Option<Cow<'a, str>>,
    /// `Informational`, `Low`, `Medium`, `High`, `Critical`.
    #[serde(borrow, default)]
    pub severity: Option<Cow<'a, str>>,
    /// The finding's sentence.
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    /// The check's title.
    #[serde(borrow, default)]
    pub finding_info: Option<FindingInfo<'a>>,
    /// The resources the finding is about (Prowler writes one).
    #[serde(borrow, default)]
    pub resources: Option<Vec<OcsfResource<'a>>>,
    /// The cloud, account and region.
    #[serde(borrow, default)]
    pub cloud: Option<Cloud<'a>>,
    /// Prowler's own fields, among them the compliance mapping.
    #[serde(borrow, default)]
    pub unmapped: Option<Unmapped<'a>>,
    /// How to fix it.
    #[serde(borrow, default)]
    pub remediation: Option<Remediation<'a>>,
    /// Why it matters.
    #[serde(borrow, default)]
    pub risk_details: Option<Cow<'a, str>>,
    /// When Prowler observed it (RFC 3339).
    #[serde(borrow, default)]
    pub time_dt: Option<Cow<'a, str>>,
}

/// `metadata`.
#[derive(Debug, Deserialize)]
pub struct Metadata<'a> {
    /// The Prowler check id.
    #[serde(borrow, default)]
    pub event_code: Option<Cow<'a, str>>,
    /// The product that wrote it.
    #[serde(borrow, default)]
    pub product: Option<Product<'a>>,
}

/// `metadata.product`.
#[derive(Debug, Deserialize)]
pub struct Product<'a> {
    /// `Prowler`.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// Its version.
    #[serde(borrow, default)]
    pub version: Option<Cow<'a, str>>,
}

/// `finding_info`.
#[derive(Debug, Deserialize)]
pub struct FindingInfo<'a> {
    /// The check's title.
    #[serde(borrow, default)]
    pub title: Option<Cow<'a, str>>,
}

/// One of `resources[]`.
#[derive(Debug, Deserialize)]
pub struct OcsfResource<'a> {
    /// The resource's id (an ARN, an Azure resource id, a Google Cloud name).
    #[serde(borrow, default)]
    pub uid: Option<Cow<'a, str>>,
    /// Its name.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// Prowler's type name (`AwsS3Bucket`).
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    /// Its region or location.
    #[serde(borrow, default)]
    pub region: Option<Cow<'a, str>>,
}

/// `cloud`.
#[derive(Debug, Deserialize)]
pub struct Cloud<'a> {
    /// `aws`, `azure`, `gcp`, `kubernetes`, ...
    #[serde(borrow, default)]
    pub provider: Option<Cow<'a, str>>,
    /// The account (subscription, project).
    #[serde(borrow, default)]
    pub account: Option<Account<'a>>,
    /// The region.
    #[serde(borrow, default)]
    pub region: Option<Cow<'a, str>>,
}

/// `cloud.account`.
#[derive(Debug, Deserialize)]
pub struct Account<'a> {
    /// The account id.
    #[serde(borrow, default)]
    pub uid: Option<Cow<'a, str>>,
}

/// `unmapped`.
#[derive(Debug, Deserialize)]
pub struct Unmapped<'a> {
    /// Framework name → requirement ids (`{"CIS-7.0": ["3.1.1"]}`).
    #[serde(borrow, default)]
    pub compliance: Option<BTreeMap<Cow<'a, str>, Vec<String>>>,
}

/// `remediation`.
#[derive(Debug, Deserialize)]
pub struct Remediation<'a> {
    /// What to do.
    #[serde(borrow, default)]
    pub desc: Option<Cow<'a, str>>,
}

/// The non-empty text of an optional field.
pub fn text<'s>(v: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
