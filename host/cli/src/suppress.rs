//! Suppressions: failing findings a person has accepted, each with a justification, who
//! approved it and an expiry date.
//!
//! The configuration names files of suppressions (`suppressions = ["mutes/*.toml"]`); each holds
//! `[[suppression]]` tables. An entry selects findings by any combination of tenant, target,
//! check, control, resource id pattern and resource tag; every selector it names must match.
//! Every problem of every entry is reported at once, naming the file and the key.
//!
//! A suppression applies to failing findings only. While in force it marks the finding (which
//! stays failing, and is not counted toward `--fail-on`); once the run's reference day is past
//! its expiry it no longer suppresses: the finding is marked with the expired suppression and
//! its approver must act. A suppression that matched no failing finding is stale.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use demarc_core::catalog::is_kebab_id;
use demarc_core::report::SuppressionRecord;
use demarc_core::{Catalog, DataError, Finding, Status, SuppressionMark};

/// The keys a `[[suppression]]` table may hold.
const KEYS: &[&str] = &[
    "id",
    "tenant",
    "target",
    "check",
    "control",
    "resource",
    "tag",
    "justification",
    "approved_by",
    "expires",
];

/// The most suppressions a run holds (a finding records which one matched in 16 bits).
const MAX: usize = u16::MAX as usize - 1;

/// One `[[suppression]]` table as written, with where it was written.
#[derive(Debug, Clone)]
pub struct RawEntry {
    /// The file, as messages name it.
    pub file: String,
    /// Its position among the file's `[[suppression]]` tables.
    pub index: usize,
    /// The table.
    pub table: toml::Table,
}

/// What the run knows that suppressions refer to.
pub struct Known<'a> {
    /// Tenant ids of the configuration.
    pub tenants: BTreeSet<String>,
    /// Target id → its tenant's id.
    pub targets: BTreeMap<String, String>,
    /// Check ids of the loaded plugins; `None` when a plugin failed to load (its checks are
    /// unknown, so check ids are not verified).
    pub checks: Option<BTreeSet<String>>,
    /// The control catalog.
    pub catalog: &'a Catalog,
}

/// A resource id pattern: `*` matches any run of characters, `?` one character, `\` makes the
/// next character literal. `[`, `]`, `{` and `}` must be escaped: character classes and
/// alternatives are not supported, and a pattern that looks like one must not silently match
/// literally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    tokens: Vec<Tok>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    One,
    Any,
}

impl Glob {
    /// Parse a pattern, or say what is wrong with it.
    pub fn parse(text: &str) -> Result<Glob, String> {
        if text.is_empty() {
            return Err("an empty pattern matches no resource".into());
        }
        let mut tokens = Vec::new();
        let mut chars = text.chars().enumerate();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, n)) => tokens.push(Tok::Lit(n)),
                    None => {
                        return Err(format!(
                            "`{}` ends with `\\`, which escapes nothing",
                            text.escape_debug()
                        ));
                    }
                },
                '*' => {
                    if tokens.last() != Some(&Tok::Any) {
                        tokens.push(Tok::Any);
                    }
                }
                '?' => tokens.push(Tok::One),
                '[' | ']' | '{' | '}' => {
                    return Err(format!(
                        "`{}`: `{c}` at character {} is not supported (only `*` and `?`); write `\\{c}` to match it literally",
                        text.escape_debug(),
                        i + 1
                    ));
                }
                c if c.is_control() => {
                    return Err(format!(
                        "`{}` holds a control character at character {}",
                        text.escape_debug(),
                        i + 1
                    ));
                }
                c => tokens.push(Tok::Lit(c)),
            }
        }
        Ok(Glob {
            text: text.to_string(),
            tokens,
        })
    }

    /// Whether it matches every string.
    pub fn matches_all(&self) -> bool {
        self.tokens == [Tok::Any]
    }

    /// Whether `s` matches, whole.
    pub fn matches(&self, s: &str) -> bool {
        let p = &self.tokens;
        let n: Vec<char> = s.chars().collect();
        let (mut pi, mut ni) = (0, 0);
        let (mut star, mut mark) = (None, 0);
        while ni < n.len() {
            match p.get(pi) {
                Some(Tok::One) => {
                    pi += 1;
                    ni += 1;
                }
                Some(Tok::Lit(c)) if *c == n[ni] => {
                    pi += 1;
                    ni += 1;
                }
                Some(Tok::Any) => {
                    star = Some(pi);
                    mark = ni;
                    pi += 1;
                }
                _ => match star {
                    Some(sp) => {
                        pi = sp + 1;
                        mark += 1;
                        ni = mark;
                    }
                    None => return false,
                },
            }
        }
        while p.get(pi) == Some(&Tok::Any) {
            pi += 1;
        }
        pi == p.len()
    }
}

/// A validated suppression.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// Its id.
    pub id: String,
    /// The file that holds it.
    pub file: String,
    /// Selectors; every one given must match.
    pub tenant: Option<String>,
    /// Target id.
    pub target: Option<String>,
    /// Check id.
    pub check: Option<String>,
    /// Catalog control id (any of the finding's controls).
    pub control: Option<String>,
    /// Resource id pattern.
    pub resource: Option<Glob>,
    /// Resource tag.
    pub tag: Option<(String, String)>,
    /// Why.
    pub justification: String,
    /// Who approved it.
    pub approved_by: String,
    /// Last day in force.
    pub expires: time::Date,
}

impl Suppression {
    fn matches(&self, f: &Finding) -> bool {
        self.tenant.as_ref().is_none_or(|t| *t == f.tenant)
            && self.target.as_ref().is_none_or(|t| *t == f.target)
            && self.check.as_ref().is_none_or(|c| *c == f.check.id)
            && self
                .control
                .as_ref()
                .is_none_or(|c| f.controls.iter().any(|x| x == c))
            && self
                .resource
                .as_ref()
                .is_none_or(|g| g.matches(&f.resource.id))
            && self
                .tag
                .as_ref()
                .is_none_or(|(k, v)| f.resource.tags.iter().any(|(a, b)| a == k && b == v))
    }

    fn expires_text(&self) -> String {
        self.expires
            .format(DATE)
            .unwrap_or_else(|_| self.expires.to_string())
    }
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The run's suppressions, with the reference day that decides which have expired.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    list: Vec<Suppression>,
    /// Per suppression: past its expiry on the run's reference day.
    expired: Vec<bool>,
}

impl Suppressions {
    /// `list`, judged on `day` (the run's reference day: `now` of the configuration, or the
    /// pinned or actual start of the run).
    pub fn new(list: Vec<Suppression>, day: time::Date) -> Suppressions {
        let expired = list.iter().map(|s| day > s.expires).collect();
        Suppressions { list, expired }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the suppression numbered `n` (from 1, as [`Suppressions::apply`] returns) has
    /// expired.
    pub fn is_expired(&self, n: u16) -> bool {
        self.expired
            .get(usize::from(n).wrapping_sub(1))
            .copied()
            .unwrap_or(false)
    }

    /// The number (as [`Suppressions::apply`] returns it) of the suppression a finding is
    /// already marked with, or 0.
    pub fn number_of(&self, f: &Finding) -> u16 {
        let Some(mark) = &f.suppression else {
            return 0;
        };
        self.list
            .iter()
            .position(|s| s.id == mark.id)
            .map_or(0, |i| i as u16 + 1)
    }

    /// Mark a failing finding with the suppression that matches it: the first in force, or else
    /// the first expired one, whose approver then must act (the finding says so). Returns the
    /// suppression's number plus one, or 0 when none matched.
    pub fn apply(&self, f: &mut Finding) -> u16 {
        if self.list.is_empty() || f.status != Status::Fail {
            return 0;
        }
        let mut expired_match = None;
        for (i, s) in self.list.iter().enumerate() {
            if !s.matches(f) {
                continue;
            }
            if !self.expired[i] {
                f.suppression = Some(self.mark(i));
                return i as u16 + 1;
            }
            expired_match.get_or_insert(i);
        }
        let Some(i) = expired_match else {
            return 0;
        };
        let s = &self.list[i];
        let expires = s.expires_text();
        f.suppression = Some(self.mark(i));
        f.must_act.name = Some(s.approved_by.clone());
        f.must_act.basis = Some(format!("suppression:{}", s.id));
        f.message = format!(
            "{} Suppression `{}` expired on {expires}: {} approved it and must renew it or have this fixed.",
            f.message, s.id, s.approved_by
        );
        i as u16 + 1
    }

    fn mark(&self, i: usize) -> SuppressionMark {
        let s = &self.list[i];
        SuppressionMark {
            id: s.id.clone(),
            justification: s.justification.clone(),
            approved_by: s.approved_by.clone(),
            expires: s.expires_text(),
            expired: self.expired[i],
        }
    }

    /// The report's records of them, given how many failing findings each matched, per tenant
    /// (`matched[i]` for the suppression numbered `i + 1` by [`Suppressions::apply`]).
    pub fn records(&self, matched: &[BTreeMap<String, u64>]) -> Vec<SuppressionRecord> {
        self.list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let by_tenant = matched.get(i).cloned().unwrap_or_default();
                SuppressionRecord {
                    id: s.id.clone(),
                    file: s.file.clone(),
                    tenant: s.tenant.clone(),
                    target: s.target.clone(),
                    check: s.check.clone(),
                    control: s.control.clone(),
                    resource: s.resource.as_ref().map(|g| g.text.clone()),
                    tag: s.tag.as_ref().map(|(k, v)| format!("{k}={v}")),
                    justification: s.justification.clone(),
                    approved_by: s.approved_by.clone(),
                    expires: s.expires_text(),
                    expired: self.expired[i],
                    matched: by_tenant.values().sum(),
                    by_tenant,
                }
            })
            .collect()
    }
}

/// Read the `[[suppression]]` tables of the files `patterns` name (relative to `base`; `*` and
/// `?` within the file name). A pattern that matches no file is an error: accepted risks must
/// not drop out silently, and neither must their expiry.
pub fn read(
    base: &Path,
    patterns: &[String],
    config_file: &str,
) -> (Vec<RawEntry>, Vec<DataError>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (pi, pattern) in patterns.iter().enumerate() {
        let key = format!("suppressions[{pi}]");
        let files = match crate::config::expand(base, pattern) {
            Ok(files) if files.is_empty() => {
                errors.push(DataError::new(
                    config_file,
                    key,
                    format!("`{pattern}` matches no file of suppressions"),
                ));
                continue;
            }
            Ok(files) => files,
            Err(message) => {
                errors.push(DataError::new(config_file, key, message));
                continue;
            }
        };
        for f in files {
            let name = f.display().to_string();
            let text = match std::fs::read_to_string(&f) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(DataError::new(&name, "-", format!("cannot read: {e}")));
                    continue;
                }
            };
            let table = match toml::from_str::<toml::Table>(&text) {
                Ok(t) => t,
                Err(e) => {
                    let (key, message) = crate::config::toml_problem(&text, &e);
                    errors.push(DataError::new(&name, key, message));
                    continue;
                }
            };
            for k in table.keys().filter(|k| *k != "suppression") {
                errors.push(DataError::new(
                    &name,
                    k.clone(),
                    "unknown key: a file of suppressions holds [[suppression]] tables only",
                ));
            }
            match table.get("suppression") {
                None => errors.push(DataError::new(
                    &name,
                    "suppression",
                    "the file holds no [[suppression]]",
                )),
                Some(toml::Value::Array(list)) => {
                    for (index, v) in list.iter().enumerate() {
                        match v {
                            toml::Value::Table(t) => entries.push(RawEntry {
                                file: name.clone(),
                                index,
                                table: t.clone(),
                            }),
                            _ => errors.push(DataError::new(
                                &name,
                                format!("suppression[{index}]"),
                                "must be a table ([[suppression]])",
                            )),
                        }
                    }
                }
                Some(_) => errors.push(DataError::new(
                    &name,
                    "suppression",
                    "must be an array of tables ([[suppression]])",
                )),
            }
        }
    }
    (entries, errors)
}

/// Validate every entry; every problem of every entry is reported, naming its file and key.
pub fn validate(
    entries: Vec<RawEntry>,
    known: &Known<'_>,
) -> Result<Vec<Suppression>, Vec<DataError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    // id → where it was first defined.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    if entries.len() > MAX {
        errors.push(DataError::new(
            &entries[MAX].file,
            format!("suppression[{}]", entries[MAX].index),
            format!("a run holds at most {MAX} suppressions"),
        ));
    }
    for e in entries.iter().take(MAX) {
        let at = |k: &str| format!("suppression[{}].{k}", e.index);
        let mut err = |key: String, message: String| {
            errors.push(DataError::new(&e.file, key, message));
        };
        for k in e.table.keys().filter(|k| !KEYS.contains(&k.as_str())) {
            err(
                at(k),
                format!("unknown key (a suppression holds {})", KEYS.join(", ")),
            );
        }
        // A string of 1 to 1024 characters without control characters, or None (reported).
        let mut text = |k: &str, required: bool| -> Option<String> {
            match e.table.get(k) {
                None if required => {
                    err(at(k), "is required".into());
                    None
                }
                None => None,
                Some(toml::Value::String(s))
                    if s.trim().is_empty() || s.len() > 1024 || s.chars().any(char::is_control) =>
                {
                    err(
                        at(k),
                        "must have 1 to 1024 characters, not only spaces, and no control characters"
                            .into(),
                    );
                    None
                }
                Some(toml::Value::String(s)) => Some(s.clone()),
                Some(v) => {
                    err(at(k), format!("must be a string, not {}", v.type_str()));
                    None
                }
            }
        };
        let id = text("id", true);
        let tenant = text("tenant", false);
        let target = text("target", false);
        let check = text("check", false);
        let control = text("control", false);
        let resource = text("resource", false);
        let tag = text("tag", false);
        let justification = text("justification", true);
        let approved_by = text("approved_by", true);
        let expires = match e.table.get("expires") {
            None => {
                err(
                    at("expires"),
                    "is required: every suppression expires".into(),
                );
                None
            }
            Some(v) => {
                let s = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Datetime(d) => d.to_string(),
                    v => v.to_string(),
                };
                match time::Date::parse(&s, DATE) {
                    Ok(d) if s.len() == 10 => Some(d),
                    _ => {
                        err(
                            at("expires"),
                            format!(
                                "`{}` is not a date: write the last day the suppression is in force as YYYY-MM-DD (e.g. 2027-03-31)",
                                s.chars().take(80).collect::<String>().escape_debug()
                            ),
                        );
                        None
                    }
                }
            }
        };
        if let Some(id) = &id {
            if !is_kebab_id(id) {
                err(
                    at("id"),
                    format!("`{}` is not a kebab-case id", id.escape_debug()),
                );
            } else if let Some(first) = ids.get(id) {
                err(
                    at("id"),
                    format!(
                        "suppression `{id}` is already defined ({first}); ids are unique in a run"
                    ),
                );
            } else {
                ids.insert(id.clone(), format!("{} {}", e.file, at("id")));
            }
        }
        if let Some(t) = &tenant
            && !known.tenants.contains(t)
        {
            err(
                at("tenant"),
                format!("no tenant `{}` in the configuration", t.escape_debug()),
            );
        }
        if let Some(g) = &target {
            match known.targets.get(g) {
                None => err(
                    at("target"),
                    format!("no target `{}` in the configuration", g.escape_debug()),
                ),
                Some(owner) if tenant.as_ref().is_some_and(|t| t != owner) => err(
                    at("target"),
                    format!(
                        "target `{g}` belongs to tenant `{owner}`, not `{}`; the suppression would match nothing",
                        tenant.as_deref().unwrap_or_default()
                    ),
                ),
                Some(_) => {}
            }
        }
        if let (Some(c), Some(checks)) = (&check, &known.checks)
            && !checks.contains(c)
        {
            err(
                at("check"),
                format!(
                    "no loaded plugin has check `{}` (`demarc plugin list` lists them)",
                    c.escape_debug()
                ),
            );
        }
        if let Some(c) = &control
            && known.catalog.control(c).is_none()
        {
            err(
                at("control"),
                format!("unknown control `{}`", c.escape_debug()),
            );
        }
        let glob = match resource.as_deref().map(Glob::parse) {
            Some(Ok(g)) => Some(g),
            Some(Err(m)) => {
                err(at("resource"), m);
                None
            }
            None => None,
        };
        let tag = match tag.as_deref().map(|t| t.split_once('=')) {
            Some(Some((k, v))) if !k.trim().is_empty() => Some((k.to_string(), v.to_string())),
            Some(_) => {
                err(
                    at("tag"),
                    format!(
                        "`{}` is not `key=value`",
                        tag.as_deref().unwrap_or_default().escape_debug()
                    ),
                );
                None
            }
            None => None,
        };
        let selects = tenant.is_some()
            || target.is_some()
            || check.is_some()
            || control.is_some()
            || tag.is_some()
            || glob.as_ref().is_some_and(|g| !g.matches_all());
        let selector_problem =
            resource.is_some() && glob.is_none() || e.table.contains_key("tag") && tag.is_none();
        if !selects && !selector_problem {
            err(
                format!("suppression[{}]", e.index),
                "selects every failing finding: name at least one of tenant, target, check, control, resource (other than `*`) or tag".into(),
            );
        }
        if let (Some(id), Some(justification), Some(approved_by), Some(expires)) =
            (id, justification, approved_by, expires)
        {
            out.push(Suppression {
                id,
                file: e.file.clone(),
                tenant,
                target,
                check,
                control,
                resource: glob,
                tag,
                justification,
                approved_by,
                expires,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glob_matches_whole_ids_with_star_and_question_mark() {
        let g = Glob::parse("arn:aws:s3:::legacy-*").unwrap();
        assert!(g.matches("arn:aws:s3:::legacy-ftp"));
        assert!(g.matches("arn:aws:s3:::legacy-"));
        assert!(!g.matches("arn:aws:s3:::new-legacy-ftp"));
        let g = Glob::parse("vm-?1").unwrap();
        assert!(g.matches("vm-a1"));
        assert!(!g.matches("vm-ab1"));
        let g = Glob::parse("a*b*c").unwrap();
        assert!(g.matches("abc") && g.matches("aXbYbZc"));
        assert!(!g.matches("aXbY"));
        let g = Glob::parse(r"name\[1\]\*").unwrap();
        assert!(g.matches("name[1]*"));
        assert!(!g.matches("name[1]x"));
        assert!(Glob::parse("*").unwrap().matches_all());
        assert!(!Glob::parse("*x").unwrap().matches_all());
    }

    #[test]
    fn a_glob_that_would_silently_match_literally_is_an_error() {
        let e = Glob::parse("vm-[0-9]").unwrap_err();
        assert!(e.contains("`[` at character 4 is not supported"), "{e}");
        let e = Glob::parse("{a,b}").unwrap_err();
        assert!(e.contains("`{`"), "{e}");
        assert!(Glob::parse("x\\").unwrap_err().contains("escapes nothing"));
        assert!(Glob::parse("").is_err());
        assert!(
            Glob::parse("a\tb")
                .unwrap_err()
                .contains("control character")
        );
    }
}
