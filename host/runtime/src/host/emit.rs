//! `demarc:provider/host` of every contract version, after conversion into the one model
//! (`crate::bindings` converts and calls in here): `emit` accepts batches of findings,
//! validates each one against the plugin's declared checks and the catalog, enforces the
//! target's caps and declared accounts, attributes every accepted finding and hands it to the
//! target's sink; `declare` (0.4.0) validates checks a plugin learns during its scan as
//! `describe`'s are validated; `log` writes the plugin's lines.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use demarc_core::{BasisKind, CheckRef, Finding, UnmappedFinding};

use crate::contract::{CheckDecl, Level, RawFinding, Refusal};
use crate::plugin::{CheckMeta, validate_check};
use crate::sandbox::HostState;
use crate::scan::{FindingSink, ScanContext};

/// The limits on one finding, shared with the SDK (which checks them in plugins' own tests).
mod limits {
    include!("../../../../sdk/src/limits.rs");
}
use limits::{
    MAX_ACCOUNT, MAX_ID, MAX_ITEMS, MAX_KEY, MAX_NATIVE_TYPE, MAX_OBSERVED_AT, MAX_REGION, MAX_TEXT,
};
/// Examples of rejected findings kept for the gap message.
const MAX_EXAMPLES: usize = 3;
/// Distinct accounts one target may report: room for the largest organization-wide exports (an
/// AWS Config aggregator, a Cloud Asset Inventory export of an organization's projects and
/// folders) in a few MiB. Findings for further accounts are rejected: the accounts are what
/// keeps tenants apart, so they are never dropped from the record.
pub(crate) const MAX_ACCOUNTS: usize = 1 << 16;
/// Distinct foreign accounts named in the gap message.
const MAX_FOREIGN_NAMED: usize = 8;
/// Checks one target may declare during its scan.
pub(crate) const MAX_DECLARED: usize = 4096;

/// Per-store state of the `host` interface.
pub struct EmitState {
    pub(crate) plugin: String,
    pub(crate) target: String,
    pub(crate) ctx: Option<Arc<ScanContext>>,
    pub(crate) sink: Option<Box<dyn FindingSink>>,
    pub(crate) max_findings: u64,
    pub(crate) max_bytes: u64,
    pub(crate) accepted: u64,
    pub(crate) bytes: u64,
    pub(crate) refused: Option<String>,
    pub(crate) invalid: u64,
    pub(crate) invalid_examples: Vec<String>,
    pub(crate) sink_error: Option<String>,
    pub(crate) trap: Option<String>,
    pub(crate) log_lines: u64,
    /// The accounts the target declares; `None` when it declares none.
    pub(crate) declared: Option<HashSet<String>>,
    /// Accounts of the findings accepted (at most [`MAX_ACCOUNTS`]).
    pub(crate) accounts: BTreeSet<String>,
    /// Findings rejected because the target does not hold their account, by account (the
    /// first [`MAX_FOREIGN_NAMED`] accounts), and in all.
    pub(crate) foreign: BTreeMap<String, u64>,
    pub(crate) foreign_total: u64,
    /// Findings accepted with an assumed owner that the configuration does not accept, by
    /// resource type (the first [`MAX_UNATTRIBUTED_NAMED`] types), and in all.
    pub(crate) unattributed: BTreeMap<String, u64>,
    pub(crate) unattributed_total: u64,
    /// Checks the plugin declared during this scan and the host accepted, by id.
    pub(crate) declared_checks: BTreeMap<String, CheckMeta>,
    /// Why each check declared during the scan was refused, or had a citation dropped.
    pub(crate) declare_problems: Vec<String>,
}

/// Distinct resource types named in the `unattributed` gap.
const MAX_UNATTRIBUTED_NAMED: usize = 16;

impl EmitState {
    pub(crate) fn new(plugin: &str, target: &str) -> Self {
        EmitState {
            plugin: plugin.to_string(),
            target: target.to_string(),
            ctx: None,
            sink: None,
            max_findings: 0,
            max_bytes: 0,
            accepted: 0,
            bytes: 0,
            refused: None,
            invalid: 0,
            invalid_examples: Vec::new(),
            sink_error: None,
            trap: None,
            log_lines: 0,
            declared: None,
            accounts: BTreeSet::new(),
            foreign: BTreeMap::new(),
            foreign_total: 0,
            unattributed: BTreeMap::new(),
            unattributed_total: 0,
            declared_checks: BTreeMap::new(),
            declare_problems: Vec::new(),
        }
    }

    /// Whether a finding for `account` may be accepted: the target declares the account, or
    /// declares none and the account is known or there is room to learn it. Foreign findings
    /// are counted for the gap; an account past the cap is a rejection with a reason.
    fn admit_account(&mut self, account: &str) -> Result<bool, String> {
        if let Some(declared) = &self.declared {
            if declared.contains(account) {
                if !self.accounts.contains(account) {
                    self.accounts.insert(account.to_string());
                }
                return Ok(true);
            }
            self.foreign_total += 1;
            if let Some(n) = self.foreign.get_mut(account) {
                *n += 1;
            } else if self.foreign.len() < MAX_FOREIGN_NAMED {
                self.foreign.insert(account.to_string(), 1);
            }
            return Ok(false);
        }
        if self.accounts.contains(account) {
            return Ok(true);
        }
        if self.accounts.len() >= MAX_ACCOUNTS {
            return Err(format!(
                "finding for account `{}` past the limit of {MAX_ACCOUNTS} accounts in one target \
                 (declare the target's `accounts`, or split it)",
                truncate(account)
            ));
        }
        self.accounts.insert(account.to_string());
        Ok(true)
    }

    /// The gap message for the findings rejected as foreign, if any.
    pub(crate) fn foreign_message(&self) -> Option<String> {
        if self.foreign_total == 0 {
            return None;
        }
        let named: Vec<String> = self
            .foreign
            .iter()
            .map(|(a, n)| format!("`{}` ({n})", excerpt(a)))
            .collect();
        let named_total: u64 = self.foreign.values().sum();
        let more = if named_total < self.foreign_total {
            format!(
                " and {} for further accounts",
                count(
                    self.foreign_total - named_total,
                    "more finding",
                    "more findings"
                )
            )
        } else {
            String::new()
        };
        let mut declared: Vec<&str> = self.declared.iter().flatten().map(String::as_str).collect();
        declared.sort_unstable();
        Some(format!(
            "{} rejected for accounts the target does not declare: {}{more}; \
             the target holds {}",
            count(self.foreign_total, "finding", "findings"),
            named.join(", "),
            declared
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    fn reject(&mut self, reason: String) {
        self.invalid += 1;
        if self.invalid_examples.len() < MAX_EXAMPLES {
            self.invalid_examples.push(reason);
        }
    }
}

impl HostState {
    /// `host.log`, any version.
    pub(crate) fn log_line(&mut self, level: Level, message: &str) {
        let e = &mut self.emit;
        super::log::write(&e.plugin, &e.target, level, message, e.log_lines);
        e.log_lines += 1;
    }

    /// `host.emit`, any version: validate, attribute and store each finding of the batch.
    pub(crate) fn emit_findings(
        &mut self,
        batch: impl Iterator<Item = RawFinding>,
    ) -> wasmtime::Result<Result<(), Refusal>> {
        let e = &mut self.emit;
        let (Some(ctx), true) = (e.ctx.clone(), e.sink.is_some()) else {
            let msg = "emit called outside scan".to_string();
            e.trap = Some(msg.clone());
            return Err(wasmtime::Error::msg(msg));
        };
        if let Some(reason) = &e.refused {
            // The plugin was told to stop and did not: stop it.
            let msg = format!("emitted again after the host refused further findings ({reason})");
            e.trap = Some(msg.clone());
            return Err(wasmtime::Error::msg(msg));
        }
        let mut rejected_here = 0u64;
        for f in batch {
            if e.accepted >= e.max_findings {
                let reason = format!("cap of {} findings for this target reached", e.max_findings);
                e.refused = Some(reason.clone());
                return Ok(Err(Refusal::CapExceeded(reason)));
            }
            let size = finding_bytes(&f);
            if e.bytes + size > e.max_bytes {
                let reason = format!(
                    "cap of {} bytes of findings for this target reached",
                    e.max_bytes
                );
                e.refused = Some(reason.clone());
                return Ok(Err(Refusal::CapExceeded(reason)));
            }
            let converted = ctx
                .convert(f, &e.declared_checks)
                .and_then(|finding| Ok(e.admit_account(finding.account())?.then_some(finding)));
            match converted {
                // For an account the target does not hold: counted for the gap, not written.
                Ok(None) => {}
                Ok(Some(Converted::Unmapped(finding))) => {
                    e.bytes += size;
                    e.accepted += 1;
                    if let Some(sink) = e.sink.as_mut()
                        && let Err(err) = sink.accept_unmapped(finding)
                    {
                        let msg = format!("the host could not store findings: {err}");
                        e.sink_error = Some(msg.clone());
                        return Err(wasmtime::Error::msg(msg));
                    }
                }
                Ok(Some(Converted::Finding(finding))) => {
                    if finding.responsibility.basis.kind == BasisKind::Assumed
                        && ctx.attributor.accepted_assumption(&ctx.provider).is_none()
                    {
                        e.record_unattributed(&finding.resource.native_type);
                    }
                    e.bytes += size;
                    e.accepted += 1;
                    if let Some(sink) = e.sink.as_mut()
                        && let Err(err) = sink.accept(finding)
                    {
                        let msg = format!("the host could not store findings: {err}");
                        e.sink_error = Some(msg.clone());
                        return Err(wasmtime::Error::msg(msg));
                    }
                }
                Err(reason) => {
                    rejected_here += 1;
                    e.reject(reason);
                }
            }
        }
        if rejected_here > 0 {
            let first = e.invalid_examples.last().cloned().unwrap_or_default();
            return Ok(Err(Refusal::Invalid(format!(
                "{} rejected, e.g. {first}",
                count(rejected_here, "finding", "findings")
            ))));
        }
        Ok(Ok(()))
    }

    /// `host.declare` (0.4.0): validate checks the plugin learned during its scan exactly as
    /// the checks of `describe` are validated, against those and the ones declared before in
    /// this scan. The valid ones hold for the rest of the scan; each refused one is named in the
    /// answer and recorded for the target's gaps.
    pub(crate) fn declare_checks(
        &mut self,
        checks: impl Iterator<Item = CheckDecl>,
    ) -> wasmtime::Result<Result<(), Refusal>> {
        let e = &mut self.emit;
        let Some(ctx) = e.ctx.clone() else {
            let msg = "declare called outside scan".to_string();
            e.trap = Some(msg.clone());
            return Err(wasmtime::Error::msg(msg));
        };
        let plugin = &ctx.plugin;
        let mut refused = Vec::new();
        for c in checks {
            if e.declared_checks.len() >= MAX_DECLARED {
                refused.push(format!(
                    "plugin `{}` check `{}` dropped: more than {MAX_DECLARED} checks declared during one scan",
                    truncate(&plugin.name),
                    truncate(&c.id)
                ));
                continue;
            }
            if plugin.checks.contains_key(&c.id) {
                refused.push(format!(
                    "plugin `{}` check `{}` dropped: it collides with a check of the same id declared by describe",
                    truncate(&plugin.name),
                    truncate(&c.id)
                ));
                continue;
            }
            let mut warnings = Vec::new();
            match validate_check(
                c,
                (&plugin.name, plugin.producer.is_some()),
                &plugin.provider,
                &ctx.catalog,
                &e.declared_checks,
                &mut warnings,
            ) {
                Ok(meta) => {
                    e.declared_checks.insert(meta.id.clone(), meta);
                }
                Err(dropped) => refused.push(dropped),
            }
            e.declare_problems.extend(warnings);
        }
        if refused.is_empty() {
            return Ok(Ok(()));
        }
        let answer = format!(
            "{} refused: {}",
            count(refused.len() as u64, "declared check", "declared checks"),
            refused.first().cloned().unwrap_or_default()
        );
        for r in refused {
            if e.declare_problems.len() < MAX_DECLARED {
                e.declare_problems.push(r);
            }
        }
        Ok(Err(Refusal::Invalid(answer)))
    }
}

fn finding_bytes(f: &RawFinding) -> u64 {
    let mut n = f.check_id.len()
        + f.account.len()
        + f.region.len()
        + f.resource.id.len()
        + f.resource.native_type.len()
        + f.resource.name.as_ref().map_or(0, String::len)
        + f.message.len()
        + f.observed_at.as_ref().map_or(0, String::len);
    n += f
        .resource
        .tags
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>();
    n += f
        .evidence
        .iter()
        .map(|e| e.key.len() + e.value.len())
        .sum::<usize>();
    n += f.extra_controls.iter().map(String::len).sum::<usize>();
    n as u64
}

fn check_len(what: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("{what} is {} bytes (limit {max})", value.len()));
    }
    Ok(())
}

impl EmitState {
    fn record_unattributed(&mut self, native_type: &str) {
        self.unattributed_total += 1;
        if let Some(n) = self.unattributed.get_mut(native_type) {
            *n += 1;
        } else if self.unattributed.len() < MAX_UNATTRIBUTED_NAMED {
            self.unattributed.insert(truncate(native_type), 1);
        }
    }

    /// The message of the target's `unattributed` gap, if any finding was.
    pub(crate) fn unattributed_message(&self, ctx: &ScanContext) -> Option<String> {
        if self.unattributed_total == 0 {
            return None;
        }
        let provider = &ctx.provider;
        let why = self
            .unattributed
            .keys()
            .find_map(|t| ctx.attributor.uncovered(provider, t))
            .unwrap_or_else(|| format!("no responsibility matrix covers provider `{provider}`"));
        let named: u64 = self.unattributed.values().sum();
        let mut types: Vec<String> = self
            .unattributed
            .iter()
            .map(|(t, n)| format!("`{t}` ({n})"))
            .collect();
        if named < self.unattributed_total {
            types.push(format!("other types ({})", self.unattributed_total - named));
        }
        Some(format!(
            "{} of provider `{provider}` could not be attributed: {why}; resource types: {}. \
             Their owner is only assumed (the customer, under IaaS): add a responsibility \
             matrix for `{provider}` (`[data] responsibility`), or accept the assumption \
             (`[providers.{provider}] assume_service_model`)",
            count(self.unattributed_total, "finding", "findings"),
            types.join(", ")
        ))
    }
}

impl ScanContext {
    /// Validate a plugin's finding and turn it into an attributed report finding. `declared`
    /// holds the checks the plugin declared during this scan.
    pub(crate) fn convert(
        &self,
        mut f: RawFinding,
        declared: &BTreeMap<String, CheckMeta>,
    ) -> Result<Converted, String> {
        let Some(check) = self
            .plugin
            .checks
            .get(&f.check_id)
            .or_else(|| declared.get(&f.check_id))
        else {
            return Err(format!(
                "unknown check `{}` (not declared by describe or during the scan)",
                truncate(&f.check_id)
            ));
        };
        if f.resource.id.is_empty() {
            return Err(format!(
                "finding of `{}` has an empty resource id",
                check.id
            ));
        }
        check_len("resource id", &f.resource.id, MAX_ID)?;
        check_len("resource type", &f.resource.native_type, MAX_NATIVE_TYPE)?;
        check_len("account", &f.account, MAX_ACCOUNT)?;
        check_len("region", &f.region, MAX_REGION)?;
        check_len("message", &f.message, MAX_TEXT)?;
        if let Some(name) = &f.resource.name {
            check_len("resource name", name, MAX_ID)?;
        }
        if let Some(at) = &f.observed_at {
            check_len("observed-at", at, MAX_OBSERVED_AT)?;
        }
        if f.evidence.len() > MAX_ITEMS || f.resource.tags.len() > MAX_ITEMS {
            return Err(format!("more than {MAX_ITEMS} evidence items or tags"));
        }
        for ev in &f.evidence {
            check_len("evidence key", &ev.key, MAX_KEY)?;
            check_len("evidence value", &ev.value, MAX_TEXT)?;
        }
        for (key, value) in &f.resource.tags {
            check_len("tag key", key, MAX_KEY)?;
            check_len("tag value", value, MAX_TEXT)?;
        }
        let mut controls = check.controls.clone();
        for extra in f.extra_controls {
            if self.catalog.control(&extra).is_none() {
                return Err(format!(
                    "finding of `{}` names unknown control `{}`",
                    check.id,
                    truncate(&extra)
                ));
            }
            if !controls.contains(&extra) {
                controls.push(extra);
            }
        }
        if self.plugin.producer.is_some() {
            // Another tool's name of the resource, as demarc names it, so that imported findings
            // meet the native findings (and other tools' findings) of the same resource. The
            // tool's own name is kept as evidence.
            let hint = demarc_core::identity::Hint {
                kind: Some(&f.resource.native_type),
                account: Some(&f.account),
                region: Some(&f.region),
            };
            if let Some(key) =
                demarc_core::identity::resource_key(&self.provider, &f.resource.id, &hint)
                && key != f.resource.id
            {
                check_len("resource id", &key, MAX_ID)?;
                let named = std::mem::replace(&mut f.resource.id, key);
                if f.evidence.len() < MAX_ITEMS {
                    f.evidence.push(demarc_core::Evidence {
                        key: "tool.resource".into(),
                        value: named,
                    });
                }
            }
        }
        let id = demarc_core::id::finding_id(
            &self.tenant,
            &self.provider,
            &f.account,
            &f.region,
            &f.resource.id,
            &check.id,
        );
        let source = demarc_core::Source {
            plugin: self.plugin.name.clone(),
            version: self.plugin.version.clone(),
            sha256: String::new(),
        };
        let Some(primary) = controls.first() else {
            // Another tool's check that maps to no control: kept as the tool reported it.
            return Ok(Converted::Unmapped(UnmappedFinding {
                id,
                tenant: self.tenant.clone(),
                target: self.target.clone(),
                provider: self.provider.clone(),
                account: f.account,
                region: f.region,
                resource: f.resource,
                check: CheckRef {
                    id: check.id.clone(),
                    title: check.title.clone(),
                    severity: check.severity,
                },
                status: f.status,
                message: f.message,
                evidence: f.evidence,
                observed_at: f.observed_at,
                source,
            }));
        };
        let primary = self
            .catalog
            .control(primary)
            .ok_or_else(|| format!("check `{}` has no known primary control", check.id))?;
        // What the run's tables state once (the check's title and remediation, the plugin's
        // sha256, the basis documents and notes) is not copied into every finding.
        // Another tool spells resource types its own way (`AwsS3Bucket`); the matrix is looked
        // up by its own spelling of the same type. The finding keeps the tool's.
        let matrix_type = match self.plugin.producer {
            Some(_) => self
                .attributor
                .matrix(&self.provider)
                .and_then(|m| m.spelling_of(&f.resource.native_type))
                .unwrap_or(&f.resource.native_type),
            None => &f.resource.native_type,
        };
        let responsibility = self.attributor.attribute_by_reference(
            &self.provider,
            matrix_type,
            primary,
            &self.tenant,
            &self.contracts,
        );
        let must_act = self.attributor.must_act(
            check.actor,
            &self.provider,
            primary,
            &self.tenant,
            &self.contracts,
        );
        Ok(Converted::Finding(Finding {
            id,
            tenant: self.tenant.clone(),
            target: self.target.clone(),
            provider: self.provider.clone(),
            account: f.account,
            region: f.region,
            resource: f.resource,
            check: CheckRef {
                id: check.id.clone(),
                title: String::new(),
                severity: check.severity,
            },
            status: f.status,
            message: f.message,
            controls,
            evidence: f.evidence,
            remediation: String::new(),
            observed_at: f.observed_at,
            source,
            responsibility,
            must_act,
            suppression: None,
            verdicts: Vec::new(),
            contradiction: false,
        }))
    }
}

/// A plugin's finding, validated: attributed, or another tool's finding that maps to no
/// control.
// Moved once per finding; boxing the attributed finding would allocate once per finding on
// the hottest path of a scan.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Converted {
    Finding(Finding),
    Unmapped(UnmappedFinding),
}

impl Converted {
    fn account(&self) -> &str {
        match self {
            Converted::Finding(f) => &f.account,
            Converted::Unmapped(f) => &f.account,
        }
    }
}

/// At most 80 characters of a plugin-supplied string, control characters escaped, for a
/// message that quotes it.
fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(80).flat_map(char::escape_debug).collect();
    if s.chars().nth(80).is_some() {
        out.push('…');
    }
    out
}

/// At most 80 bytes of a plugin-supplied string, for messages, control characters escaped.
pub(crate) fn truncate(s: &str) -> String {
    if s.len() <= 80 {
        return super::log::escape_controls(s).into_owned();
    }
    let mut end = 80;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… ({} bytes)",
        super::log::escape_controls(&s[..end]),
        s.len()
    )
}

/// `1 finding`, `2 findings`: a count with its noun in the number it needs.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// At most 1000 bytes of a plugin-supplied message, control characters escaped.
pub(crate) fn truncate_long(s: &str) -> String {
    if s.len() <= 1000 {
        return super::log::escape_controls(s).into_owned();
    }
    let mut end = 1000;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… ({} bytes)",
        super::log::escape_controls(&s[..end]),
        s.len()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(super::count(1, "finding", "findings"), "1 finding");
        assert_eq!(super::count(0, "finding", "findings"), "0 findings");
        assert_eq!(super::count(12, "open", "opens"), "12 opens");
    }

    use super::*;

    #[test]
    fn declared_accounts_admit_only_themselves_and_the_gap_names_the_rest() {
        let mut e = EmitState::new("aws", "t-aws");
        e.declared = Some(["111111111111".to_string()].into_iter().collect());
        assert_eq!(e.admit_account("111111111111"), Ok(true));
        assert_eq!(e.admit_account("222222222222"), Ok(false));
        assert_eq!(e.admit_account("222222222222"), Ok(false));
        assert_eq!(e.admit_account(""), Ok(false));
        assert_eq!(e.admit_account("9\nforged log line"), Ok(false));
        assert_eq!(e.foreign_total, 4);
        assert_eq!(e.accounts.iter().collect::<Vec<_>>(), ["111111111111"]);
        let msg = e.foreign_message().unwrap();
        assert!(
            msg.starts_with("4 findings rejected for accounts the target does not declare:"),
            "{msg}"
        );
        assert!(msg.contains("`222222222222` (2)"), "{msg}");
        assert!(msg.contains("`` (1)"), "{msg}");
        assert!(msg.contains("`9\\nforged log line` (1)"), "{msg}");
        assert!(msg.ends_with("the target holds `111111111111`"), "{msg}");
    }

    #[test]
    fn undeclared_accounts_are_learned_up_to_a_limit() {
        let mut e = EmitState::new("aws", "t-aws");
        assert_eq!(e.foreign_message(), None);
        for i in 0..MAX_ACCOUNTS {
            assert_eq!(e.admit_account(&i.to_string()), Ok(true));
        }
        // Known accounts still pass; a new one past the limit is refused with a reason.
        assert_eq!(e.admit_account("7"), Ok(true));
        let err = e.admit_account("one-too-many").unwrap_err();
        assert!(err.contains("`one-too-many`"), "{err}");
        assert_eq!(e.accounts.len(), MAX_ACCOUNTS);
        assert_eq!(e.foreign_message(), None);
    }

    #[test]
    fn many_foreign_accounts_are_counted_but_only_some_named() {
        let mut e = EmitState::new("aws", "t-aws");
        e.declared = Some(HashSet::new());
        for i in 0..20 {
            assert_eq!(e.admit_account(&format!("acct-{i:02}")), Ok(false));
        }
        let msg = e.foreign_message().unwrap();
        assert!(msg.starts_with("20 findings"), "{msg}");
        assert!(msg.contains("`acct-07` (1)"), "{msg}");
        assert!(!msg.contains("acct-08"), "{msg}");
        assert!(
            msg.contains("and 12 more findings for further accounts"),
            "{msg}"
        );
    }
}
