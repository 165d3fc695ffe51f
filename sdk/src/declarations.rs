//! Validating what a plugin declares, natively, before any scan: the checks of `info()` against
//! the control catalog and the host's rules, and the findings a native scan emitted against the
//! checks and the host's limits. Re-exported by [`crate::testing`].
//!
//! The host applies the same rules when it loads the plugin and when the plugin emits: a check
//! it would drop, or a finding it would reject, is found here in the author's own `cargo test`.

use std::collections::BTreeMap;
use std::fmt;

use crate::limits::{
    MAX_ACCOUNT, MAX_ID, MAX_ITEMS, MAX_KEY, MAX_NATIVE_TYPE, MAX_OBSERVED_AT, MAX_REGION, MAX_TEXT,
};
use crate::{Finding, PluginInfo};

/// The control catalog built into the host, `schemas/catalog/controls.toml` of this source tree.
const BUILTIN_CONTROLS: &str = include_str!("../../schemas/catalog/controls.toml");

/// The control ids a plugin may name: the host's built-in catalog, plus the catalog extensions
/// (`[data] controls` of a configuration) the plugin's configuration adds.
///
/// Only the ids are read: the `id` key of every `[[control]]` table. The host validates the rest
/// of a catalog file when it loads it.
#[derive(Debug, Clone)]
pub struct Controls {
    /// Control id → where it is defined (`file:line`).
    ids: BTreeMap<String, String>,
}

impl Controls {
    /// The built-in catalog.
    pub fn builtin() -> Self {
        let mut controls = Controls {
            ids: BTreeMap::new(),
        };
        controls
            .add("controls.toml", BUILTIN_CONTROLS)
            .expect("the built-in catalog names each control once");
        controls
    }

    /// The built-in catalog and the extension `file` holding `text` (`controls.toml` layout). An
    /// extension that redefines a control, or a `[[control]]` without a quoted `id`, is an error
    /// naming the file and line of each problem.
    pub fn builtin_with(file: &str, text: &str) -> Result<Self, Vec<String>> {
        let mut controls = Self::builtin();
        controls.add(file, text)?;
        Ok(controls)
    }

    /// A catalog of exactly the controls of `file` (`controls.toml` layout).
    pub fn parse(file: &str, text: &str) -> Result<Self, Vec<String>> {
        let mut controls = Controls {
            ids: BTreeMap::new(),
        };
        controls.add(file, text)?;
        Ok(controls)
    }

    /// Add the controls of an extension `file`; every problem is returned at once.
    pub fn add(&mut self, file: &str, text: &str) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        // The `[[control]]` table being read: its line and whether it had an id.
        let mut open: Option<(usize, bool)> = None;
        let mut found = Vec::new();
        let close = |open: Option<(usize, bool)>, problems: &mut Vec<String>| {
            if let Some((line, false)) = open {
                problems.push(format!(
                    "{file}:{line}: a [[control]] table without an `id`"
                ));
            }
        };
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if line.starts_with('[') {
                close(open.take(), &mut problems);
                let header = line.split('#').next().unwrap_or("").trim();
                if header == "[[control]]" {
                    open = Some((line_no, false));
                }
                continue;
            }
            let Some((table_line, has_id)) = open.as_mut() else {
                continue;
            };
            let Some(rest) = line.strip_prefix("id") else {
                continue;
            };
            let Some(value) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            if *has_id {
                problems.push(format!(
                    "{file}:{line_no}: a second `id` in the [[control]] table of line {table_line}"
                ));
                continue;
            }
            *has_id = true;
            let value = value.split(" #").next().unwrap_or("").trim();
            match value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .filter(|v| !v.is_empty() && !v.contains(['"', '\\']))
            {
                Some(id) => found.push((id.to_string(), line_no)),
                None => problems.push(format!(
                    "{file}:{line_no}: control id {value} is not a quoted, non-empty string"
                )),
            }
        }
        close(open.take(), &mut problems);
        for (id, line) in found {
            match self.ids.get(&id) {
                Some(at) => problems.push(format!(
                    "{file}:{line}: control `{id}` already exists (at {at}): an extension adds \
                     controls, it cannot redefine one"
                )),
                None => {
                    self.ids.insert(id, format!("{file}:{line}"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Whether the catalog defines `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// How many controls it holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Every problem [`validate_declarations`] found, one sentence each.
#[derive(Clone, PartialEq, Eq)]
pub struct DeclarationProblems(pub Vec<String>);

impl fmt::Display for DeclarationProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} problem(s) with the plugin's declarations:",
            self.0.len()
        )?;
        for p in &self.0 {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

// `unwrap()` and `expect()` print the list as it reads, not as a vector of strings.
impl fmt::Debug for DeclarationProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for DeclarationProblems {}

/// A stable kebab-case id as the host requires of plugin names, providers and check ids:
/// lowercase ASCII letters, digits, `-` and `.`, not starting or ending with `-`.
pub fn is_kebab_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Validate a plugin's declarations as the host will, natively and before any scan.
///
/// - `info` (what `Provider::info()` returns): the plugin's name and provider are kebab-case
///   ids, its contract version is this SDK's, and it declares at least one check; every check
///   is declared once, with a kebab-case id, a title, a rationale, a remediation, at least one
///   control, each of which `controls` defines, and at least one resource type within the
///   host's size limit. (Severities and actors are enums of the contract: a plugin cannot
///   declare an invalid one.)
/// - `findings` (those of native scans, e.g. [`crate::testing::scan_dir`] over the plugin's
///   sample snapshots; may be empty): each one's check is declared, its resource id is not
///   empty, every field is within the host's limits ([`crate::limits`]), and every extra
///   control it names exists.
///
/// Returns every problem at once.
pub fn validate_declarations(
    info: &PluginInfo,
    controls: &Controls,
    findings: &[Finding],
) -> Result<(), DeclarationProblems> {
    let mut problems = Vec::new();
    if !is_kebab_id(&info.name) {
        problems.push(format!(
            "plugin name `{}` is not a kebab-case id (lowercase letters, digits, `-`, `.`)",
            info.name
        ));
    }
    if !is_kebab_id(&info.provider) {
        problems.push(format!(
            "provider `{}` is not a kebab-case id (lowercase letters, digits, `-`, `.`)",
            info.provider
        ));
    }
    if info.version.trim().is_empty() {
        problems.push("the plugin has no version".to_string());
    }
    if info.contract_version != crate::CONTRACT_VERSION {
        problems.push(format!(
            "contract version `{}` is not this SDK's ({}): report demarc_sdk::CONTRACT_VERSION",
            info.contract_version,
            crate::CONTRACT_VERSION
        ));
    }
    if info.checks.is_empty() {
        problems.push("the plugin declares no check".to_string());
    }
    let mut declared: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &info.checks {
        *declared.entry(c.id.as_str()).or_default() += 1;
    }
    for (id, n) in &declared {
        if *n > 1 {
            problems.push(format!("check `{id}` is declared {n} times"));
        }
    }
    for c in &info.checks {
        let id = &c.id;
        if !is_kebab_id(id) {
            problems.push(format!(
                "check `{id}`: the id is not kebab-case (lowercase letters, digits, `-`, `.`)"
            ));
        }
        for (field, value) in [
            ("title", &c.title),
            ("rationale", &c.rationale),
            ("remediation", &c.remediation),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("check `{id}`: the {field} is empty"));
            }
        }
        if c.controls.is_empty() {
            problems.push(format!("check `{id}`: it names no control"));
        }
        for control in &c.controls {
            if !controls.contains(control) {
                problems.push(format!(
                    "check `{id}`: unknown control `{control}` (not in the built-in catalog or \
                     the extensions given)"
                ));
            }
        }
        if c.resource_types.is_empty() {
            problems.push(format!("check `{id}`: it names no resource type"));
        }
        for ty in &c.resource_types {
            if ty.is_empty() || ty.len() > MAX_NATIVE_TYPE {
                problems.push(format!(
                    "check `{id}`: resource type `{}` is {} bytes (1 to {MAX_NATIVE_TYPE})",
                    short(ty),
                    ty.len()
                ));
            }
        }
        for r in &c.requirements {
            if !is_kebab_id(&r.benchmark) || r.id.trim().is_empty() {
                problems.push(format!(
                    "check `{id}`: requirement `{} {}` needs a kebab-case benchmark id and a \
                     requirement id",
                    r.benchmark, r.id
                ));
            }
        }
    }
    for (i, f) in findings.iter().enumerate() {
        let at = format!(
            "finding {i} (check `{}`, resource `{}`)",
            short(&f.check_id),
            short(&f.resource.id)
        );
        if !declared.contains_key(f.check_id.as_str()) {
            problems.push(format!("{at}: check `{}` is not declared", f.check_id));
        }
        if f.resource.id.is_empty() {
            problems.push(format!("{at}: the resource id is empty"));
        }
        let mut sizes = vec![
            ("resource id", f.resource.id.as_str(), MAX_ID),
            (
                "resource type",
                f.resource.native_type.as_str(),
                MAX_NATIVE_TYPE,
            ),
            ("account", f.account.as_str(), MAX_ACCOUNT),
            ("region", f.region.as_str(), MAX_REGION),
            ("message", f.message.as_str(), MAX_TEXT),
        ];
        if let Some(name) = &f.resource.name {
            sizes.push(("resource name", name, MAX_ID));
        }
        if let Some(t) = &f.observed_at {
            sizes.push(("observed-at", t, MAX_OBSERVED_AT));
        }
        for e in &f.evidence {
            sizes.push(("evidence key", &e.key, MAX_KEY));
            sizes.push(("evidence value", &e.value, MAX_TEXT));
        }
        for t in &f.resource.tags {
            sizes.push(("tag key", &t.key, MAX_KEY));
            sizes.push(("tag value", &t.value, MAX_TEXT));
        }
        for (what, value, max) in sizes {
            if value.len() > max {
                problems.push(format!(
                    "{at}: {what} is {} bytes (the host's limit is {max})",
                    value.len()
                ));
            }
        }
        if f.evidence.len() > MAX_ITEMS {
            problems.push(format!(
                "{at}: {} evidence items (the host's limit is {MAX_ITEMS})",
                f.evidence.len()
            ));
        }
        if f.resource.tags.len() > MAX_ITEMS {
            problems.push(format!(
                "{at}: {} tags (the host's limit is {MAX_ITEMS})",
                f.resource.tags.len()
            ));
        }
        for control in &f.extra_controls {
            if !controls.contains(control) {
                problems.push(format!("{at}: unknown extra control `{}`", short(control)));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DeclarationProblems(problems))
    }
}

/// `s`, cut to 80 bytes for a message.
fn short(s: &str) -> String {
    if s.len() <= 80 {
        return s.to_string();
    }
    let mut end = 80;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, CheckDef, Evidence, FindingBuilder, Severity, Status};

    static GOOD: CheckDef = CheckDef {
        id: "t-good",
        title: "Good",
        severity: Severity::High,
        actor: Actor::Customer,
        rationale: "r",
        remediation: "m",
        controls: &["enc-at-rest"],
        resource_types: &["T::Disk"],
        requirements: &[],
    };

    fn info(checks: &[&CheckDef]) -> PluginInfo {
        PluginInfo {
            name: "tiny".into(),
            version: "0.1.0".into(),
            provider: "tinycloud".into(),
            contract_version: crate::CONTRACT_VERSION.into(),
            producer: None,
            checks: checks.iter().map(|c| c.to_check()).collect(),
        }
    }

    fn finding(check: &CheckDef) -> Finding {
        FindingBuilder::new(check, "acct", "eu", "T::Disk", "r1").status(Status::Pass, "fine")
    }

    #[test]
    fn the_builtin_catalog_is_read_whole() {
        let c = Controls::builtin();
        assert!(c.contains("enc-at-rest") && c.contains("key-rotation"));
        let tables = BUILTIN_CONTROLS
            .lines()
            .filter(|l| l.trim() == "[[control]]")
            .count();
        assert_eq!(c.len(), tables);
    }

    #[test]
    fn a_valid_plugin_passes() {
        let f = finding(&GOOD);
        validate_declarations(&info(&[&GOOD]), &Controls::builtin(), &[f]).unwrap();
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        static DUP: CheckDef = CheckDef {
            title: " ",
            controls: &["enc-at-rest", "no-such-control"],
            ..GOOD
        };
        static BAD_ID: CheckDef = CheckDef {
            id: "Bad_Id",
            controls: &[],
            resource_types: &[],
            ..GOOD
        };
        let mut i = info(&[&GOOD, &DUP, &BAD_ID]);
        i.provider = "Tiny Cloud".into();
        i.contract_version = "0.0.1".into();
        let mut big = finding(&GOOD);
        big.message = "x".repeat(MAX_TEXT + 1);
        big.resource.id = String::new();
        big.evidence = (0..=MAX_ITEMS)
            .map(|n| Evidence {
                key: n.to_string(),
                value: "v".into(),
            })
            .collect();
        big.extra_controls = vec!["made-up".into()];
        let mut stray = finding(&GOOD);
        stray.check_id = "t-undeclared".into();
        let e = validate_declarations(&i, &Controls::builtin(), &[big, stray]).unwrap_err();
        let text = e.to_string();
        for expected in [
            "provider `Tiny Cloud` is not a kebab-case id",
            "contract version `0.0.1` is not this SDK's",
            "check `t-good` is declared 2 times",
            "check `t-good`: the title is empty",
            "check `t-good`: unknown control `no-such-control`",
            "check `Bad_Id`: the id is not kebab-case",
            "check `Bad_Id`: it names no control",
            "check `Bad_Id`: it names no resource type",
            "finding 0 (check `t-good`, resource ``): the resource id is empty",
            "finding 0 (check `t-good`, resource ``): message is 8193 bytes (the host's limit is 8192)",
            "finding 0 (check `t-good`, resource ``): 129 evidence items",
            "unknown extra control `made-up`",
            "finding 1 (check `t-undeclared`, resource `r1`): check `t-undeclared` is not declared",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert_eq!(e.0.len(), 13, "{text}");
    }

    #[test]
    fn an_extension_adds_controls_and_names_its_problems() {
        let ext = "# tinycloud\n[[control]]\nid = \"tiny-snapshots-private\"\ntitle = \"t\"\n\n\
                   [[control]]\ntitle = \"no id\"\n[[control]]\nid = \"enc-at-rest\"\n";
        let e = Controls::builtin_with("ext/controls.toml", ext).unwrap_err();
        assert_eq!(
            e,
            [
                "ext/controls.toml:6: a [[control]] table without an `id`",
                "ext/controls.toml:9: control `enc-at-rest` already exists (at controls.toml:20): \
                 an extension adds controls, it cannot redefine one"
            ]
        );
        let ok = "[[control]]\nid = \"tiny-snapshots-private\" # ours\nlayer = \"data\"\n";
        let c = Controls::builtin_with("ext/controls.toml", ok).unwrap();
        assert!(c.contains("tiny-snapshots-private") && c.contains("enc-at-rest"));
        static OURS: CheckDef = CheckDef {
            controls: &["tiny-snapshots-private"],
            ..GOOD
        };
        validate_declarations(&info(&[&OURS]), &c, &[]).unwrap();
        let e = validate_declarations(&info(&[&OURS]), &Controls::builtin(), &[]).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
    }
}
