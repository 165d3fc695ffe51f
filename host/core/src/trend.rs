//! Posture over time: per tenant, what each recorded run found. The history database
//! (`demarc scan --history FILE`) computes it; the HTML report shows it for the quarterly review
//! an MSSP runs with each client.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The recorded runs, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Trend {
    /// One entry per recorded run, oldest first.
    pub runs: Vec<TrendRun>,
}

/// What one recorded run found, per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrendRun {
    /// The run's number in the history database.
    pub run: i64,
    /// When the run finished (RFC 3339).
    pub finished: String,
    /// Tenant id → its figures in that run. A tenant the run did not scan is absent.
    pub tenants: BTreeMap<String, TenantPoint>,
}

/// One tenant's figures in one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TenantPoint {
    /// Passing findings.
    pub pass: u64,
    /// Failing findings.
    pub fail: u64,
    /// Findings of any other status (manual, not applicable, error).
    pub other: u64,
    /// Failing findings by who must act (owner id → count).
    pub failing_by_owner: BTreeMap<String, u64>,
    /// Failing findings by severity (severity → count).
    pub failing_by_severity: BTreeMap<String, u64>,
}

impl TenantPoint {
    /// Passing findings as a share of the decided ones (pass + fail), `None` when none was
    /// decided.
    pub fn pass_rate(&self) -> Option<f64> {
        let decided = self.pass + self.fail;
        (decided > 0).then(|| self.pass as f64 / decided as f64)
    }
}

impl Trend {
    /// The tenants that appear in any run, sorted.
    pub fn tenants(&self) -> Vec<&str> {
        let mut t: Vec<&str> = self
            .runs
            .iter()
            .flat_map(|r| r.tenants.keys().map(String::as_str))
            .collect();
        t.sort_unstable();
        t.dedup();
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pass_rate_counts_only_decided_findings() {
        let p = TenantPoint {
            pass: 3,
            fail: 1,
            other: 10,
            ..Default::default()
        };
        assert_eq!(p.pass_rate(), Some(0.75));
        assert_eq!(TenantPoint::default().pass_rate(), None);
    }

    #[test]
    fn tenants_are_listed_once_in_order() {
        let run = |n: i64, ts: &[&str]| TrendRun {
            run: n,
            finished: String::new(),
            tenants: ts
                .iter()
                .map(|t| (t.to_string(), TenantPoint::default()))
                .collect(),
        };
        let t = Trend {
            runs: vec![run(1, &["b", "a"]), run(2, &["c", "a"])],
        };
        assert_eq!(t.tenants(), ["a", "b", "c"]);
    }
}
