//! Attestations: the evidence for controls that scanning cannot see.
//!
//! *Provider attestations* (`schemas/attestations/<provider>.toml`) say which certifications
//! (SOC 2 Type II, ISO/IEC 27001, PCI DSS, HIPAA, FedRAMP) cover which layers and controls of a
//! provider, for which period, and until when they may be relied on. A provider-owned control is
//! *inherited* only while such an attestation is valid; an expired or missing one is a gap.
//!
//! *Customer attestations* (one file per tenant) record manual and process controls — training,
//! risk assessments, access reviews, incident drills, restore tests, documentation — with an
//! owner, the date performed, an evidence link and a review interval. Past the interval, the
//! control is *overdue*.

use serde::Deserialize;
use time::Date;

use crate::{Catalog, DataError, DataErrors, Layer};

/// One certification of a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAttestation {
    /// Provider id.
    pub provider: String,
    /// Stable id, e.g. `aws-soc2-type2-2026`.
    pub id: String,
    /// Certification, e.g. `SOC 2 Type II`.
    pub title: String,
    /// Start of the period the report covers.
    pub period_start: Date,
    /// End of the period the report covers.
    pub period_end: Date,
    /// Last day the attestation may be relied on.
    pub expires: Date,
    /// Frameworks that may rely on it; empty means all.
    pub frameworks: Vec<String>,
    /// Layers it covers.
    pub layers: Vec<Layer>,
    /// Controls it covers beyond its layers.
    pub controls: Vec<String>,
    /// Where the report can be obtained.
    pub source: String,
}

impl ProviderAttestation {
    /// Whether it covers `control` (in `layer`) for `framework` and is valid on `day`.
    pub fn covers(&self, control: &str, layer: Layer, framework: &str, day: Date) -> bool {
        day <= self.expires
            && (self.frameworks.is_empty() || self.frameworks.iter().any(|f| f == framework))
            && (self.layers.contains(&layer) || self.controls.iter().any(|c| c == control))
    }
}

/// One customer attestation of a manual control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAttestation {
    /// Tenant id.
    pub tenant: String,
    /// Catalog control id.
    pub control: String,
    /// Who performed it and answers for it.
    pub owner: String,
    /// The third party that performed it, when not the customer.
    pub party: Option<String>,
    /// When it was last performed.
    pub date: Date,
    /// Days until it must be performed again.
    pub interval_days: u32,
    /// Link to the evidence.
    pub evidence: String,
}

impl CustomerAttestation {
    /// The day it becomes overdue.
    pub fn due(&self) -> Date {
        self.date
            .saturating_add(time::Duration::days(i64::from(self.interval_days)))
    }

    /// Whether it is overdue on `day`.
    pub fn overdue(&self, day: Date) -> bool {
        day > self.due()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProviderFile {
    provider: String,
    #[serde(default)]
    attestation: Vec<RawProvider>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    id: String,
    title: String,
    period_start: String,
    period_end: String,
    expires: String,
    #[serde(default)]
    frameworks: Vec<String>,
    #[serde(default)]
    layers: Vec<String>,
    #[serde(default)]
    controls: Vec<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomerFile {
    tenant: String,
    #[serde(default)]
    attestation: Vec<RawCustomer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomer {
    control: String,
    owner: String,
    #[serde(default)]
    party: Option<String>,
    date: String,
    interval_days: u32,
    evidence: String,
}

const DATE: &[time::format_description::FormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn date(file: &str, key: String, s: &str, errors: &mut Vec<DataError>) -> Option<Date> {
    match Date::parse(s, DATE) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(DataError::new(
                file,
                key,
                format!("`{s}` is not a date (YYYY-MM-DD)"),
            ));
            None
        }
    }
}

/// Parse and validate a provider attestation file.
pub fn load_provider(
    file: &str,
    text: &str,
    catalog: &Catalog,
) -> Result<Vec<ProviderAttestation>, DataErrors> {
    let raw: RawProviderFile = toml::from_str(text)
        .map_err(|e| DataErrors(vec![DataError::new(file, "-", e.to_string().trim())]))?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, a) in raw.attestation.into_iter().enumerate() {
        let at = |k: &str| format!("attestation[{i}].{k}");
        let start = date(file, at("period_start"), &a.period_start, &mut errors);
        let end = date(file, at("period_end"), &a.period_end, &mut errors);
        let expires = date(file, at("expires"), &a.expires, &mut errors);
        let mut layers = Vec::new();
        for (li, l) in a.layers.iter().enumerate() {
            match Layer::parse(l) {
                Some(l) => layers.push(l),
                None => errors.push(DataError::new(
                    file,
                    at(&format!("layers[{li}]")),
                    format!("unknown layer `{l}`"),
                )),
            }
        }
        for (fi, f) in a.frameworks.iter().enumerate() {
            if !catalog.frameworks().iter().any(|x| &x.id == f) {
                errors.push(DataError::new(
                    file,
                    at(&format!("frameworks[{fi}]")),
                    format!("unknown framework `{f}`"),
                ));
            }
        }
        for (ci, c) in a.controls.iter().enumerate() {
            if catalog.control(c).is_none() {
                errors.push(DataError::new(
                    file,
                    at(&format!("controls[{ci}]")),
                    format!("unknown control `{c}`"),
                ));
            }
        }
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            errors.push(DataError::new(
                file,
                at("period_end"),
                "the period ends before it starts",
            ));
        }
        if let (Some(period_start), Some(period_end), Some(expires)) = (start, end, expires) {
            out.push(ProviderAttestation {
                provider: raw.provider.clone(),
                id: a.id,
                title: a.title,
                period_start,
                period_end,
                expires,
                frameworks: a.frameworks,
                layers,
                controls: a.controls,
                source: a.source,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DataErrors(errors))
    }
}

/// Parse and validate a tenant's attestation file. A control attested twice is an error: one
/// control has one owner.
pub fn load_customer(
    file: &str,
    text: &str,
    catalog: &Catalog,
) -> Result<Vec<CustomerAttestation>, DataErrors> {
    let raw: RawCustomerFile = toml::from_str(text)
        .map_err(|e| DataErrors(vec![DataError::new(file, "-", e.to_string().trim())]))?;
    let mut errors = Vec::new();
    let mut out: Vec<CustomerAttestation> = Vec::new();
    for (i, a) in raw.attestation.into_iter().enumerate() {
        let at = |k: &str| format!("attestation[{i}].{k}");
        match catalog.control(&a.control) {
            None => errors.push(DataError::new(
                file,
                at("control"),
                format!("unknown control `{}`", a.control),
            )),
            Some(c) if !c.manual => errors.push(DataError::new(
                file,
                at("control"),
                format!(
                    "control `{}` is assessed by scanning, not by attestation",
                    a.control
                ),
            )),
            Some(_) => {}
        }
        if let Some(prev) = out.iter().find(|p| p.control == a.control) {
            errors.push(DataError::new(
                file,
                at("control"),
                format!(
                    "control `{}` is attested twice (owners `{}` and `{}`)",
                    a.control, prev.owner, a.owner
                ),
            ));
        }
        if a.interval_days == 0 {
            errors.push(DataError::new(
                file,
                at("interval_days"),
                "must be at least 1",
            ));
        }
        if let Some(d) = date(file, at("date"), &a.date, &mut errors) {
            out.push(CustomerAttestation {
                tenant: raw.tenant.clone(),
                control: a.control,
                owner: a.owner,
                party: a.party,
                date: d,
                interval_days: a.interval_days,
                evidence: a.evidence,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DataErrors(errors))
    }
}

/// Parse a `YYYY-MM-DD` date or the date part of an RFC 3339 time.
pub fn day_of(s: &str) -> Option<Date> {
    Date::parse(s.get(..10)?, DATE).ok()
}
