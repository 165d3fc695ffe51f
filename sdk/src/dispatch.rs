//! A plugin's resource types and their checks as data: what drives both the plugin's declared
//! checks and the dispatch of each item to the functions that evaluate it.
//!
//! A plugin lists its [`Reader`]s once — the native types each reads, the checks it emits and
//! the function that evaluates one resource — and the checks only its cross-item joins decide
//! ([`Catalog::joins`]). [`Catalog::checks`] is then what `Provider::info` declares, and
//! [`Dispatch`] finds the readers of an item's type with one hash lookup: there is no second
//! hand-written `match` over types, and no array whose length must be kept in step.
//!
//! `E` is the plugin's evaluation function type (a plain `fn` pointer over its own typed
//! resource), so a call is direct code, never a trait object.

use std::collections::HashMap;

use crate::{Check, CheckDef};

/// The readers of some native resource types.
#[derive(Debug)]
pub struct Reader<E: 'static> {
    /// The native types it reads, as the export spells them (compared exactly; a plugin whose
    /// export spells types in any case lists them lowercased and looks up a lowercased type).
    pub types: &'static [&'static str],
    /// The checks it emits; empty for a reader that only feeds a join.
    pub checks: &'static [&'static CheckDef],
    /// Evaluate one resource.
    pub evaluate: E,
}

/// Everything a plugin evaluates.
#[derive(Debug)]
pub struct Catalog<E: 'static> {
    /// Per resource type, in the order their findings are emitted for one resource.
    pub readers: &'static [Reader<E>],
    /// Checks decided at the end of the scan (or from another export) rather than per item.
    pub joins: &'static [&'static CheckDef],
}

impl<E> Catalog<E> {
    /// Every check the plugin can emit, once each, in declaration order.
    pub fn defs(&self) -> Vec<&'static CheckDef> {
        let mut out: Vec<&'static CheckDef> = Vec::new();
        let all = self
            .readers
            .iter()
            .flat_map(|r| r.checks.iter())
            .chain(self.joins);
        for def in all {
            if !out.iter().any(|d| d.id == def.id) {
                out.push(def);
            }
        }
        out
    }

    /// Every check the plugin can emit, as the contract declares them.
    pub fn checks(&self) -> Vec<Check> {
        self.defs().into_iter().map(CheckDef::to_check).collect()
    }

    /// The index for dispatching items by type.
    pub fn dispatch(&'static self) -> Dispatch<E> {
        let mut index: HashMap<&'static str, Vec<&'static Reader<E>>> = HashMap::new();
        for reader in self.readers {
            for ty in reader.types {
                index.entry(ty).or_default().push(reader);
            }
        }
        Dispatch { index }
    }
}

/// The readers of each native type, found with one lookup per item.
#[derive(Debug)]
pub struct Dispatch<E: 'static> {
    index: HashMap<&'static str, Vec<&'static Reader<E>>>,
}

impl<E> Dispatch<E> {
    /// The readers of `native_type`, in declaration order; empty for a type without checks.
    pub fn readers(&self, native_type: &str) -> &[&'static Reader<E>] {
        self.index.get(native_type).map_or(&[], Vec::as_slice)
    }

    /// Whether any reader takes `native_type`.
    pub fn reads(&self, native_type: &str) -> bool {
        self.index.contains_key(native_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, Severity};

    const fn def(id: &'static str, types: &'static [&'static str]) -> CheckDef {
        CheckDef {
            id,
            title: "t",
            severity: Severity::Low,
            actor: Actor::Customer,
            rationale: "r",
            remediation: "m",
            controls: &["c"],
            resource_types: types,
            requirements: &[],
        }
    }

    static A: CheckDef = def("a", &["T::One"]);
    static B: CheckDef = def("b", &["T::One", "T::Two"]);
    static J: CheckDef = def("j", &["T::Account"]);

    static CATALOG: Catalog<fn(u32) -> u32> = Catalog {
        readers: &[
            Reader {
                types: &["T::One"],
                checks: &[&A],
                evaluate: |n| n + 1,
            },
            Reader {
                types: &["T::One", "T::Two"],
                checks: &[&B],
                evaluate: |n| n * 10,
            },
            Reader {
                types: &["T::Feed"],
                checks: &[],
                evaluate: |n| n,
            },
        ],
        joins: &[&J, &B],
    };

    #[test]
    fn declared_checks_come_from_the_catalog_once_each() {
        let ids: Vec<&str> = CATALOG.defs().iter().map(|d| d.id).collect();
        assert_eq!(ids, ["a", "b", "j"]);
        assert_eq!(CATALOG.checks().len(), 3);
    }

    #[test]
    fn dispatch_finds_every_reader_of_a_type_in_order() {
        let d = CATALOG.dispatch();
        let one: Vec<u32> = d
            .readers("T::One")
            .iter()
            .map(|r| (r.evaluate)(2))
            .collect();
        assert_eq!(one, [3, 20]);
        assert_eq!(d.readers("T::Two").len(), 1);
        assert!(d.reads("T::Feed") && d.readers("T::Feed")[0].checks.is_empty());
        assert!(d.readers("T::Other").is_empty() && !d.reads("T::Other"));
    }
}
