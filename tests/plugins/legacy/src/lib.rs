//! A provider plugin built against the frozen contract `demarc:provider@0.3.0` with wit-bindgen
//! directly, as a plugin built before 0.4.0 was: `describe` and `scan` exported as bare
//! functions, a problem's kind a string.
//!
//! It scans provider `legacy`: for each input (one line per resource, `id,state`) it emits one
//! finding of `legacy-thing-enabled` per line, passing when the state is `on`. A line without a
//! comma is a problem of kind `malformed-input`; an input it cannot read is a
//! `missing-input` problem.

#![allow(missing_docs)]

mod bindings {
    #![allow(missing_docs, clippy::too_many_arguments)]
    wit_bindgen::generate!({
        path: "../../../sdk/wit/0.3.0/provider.wit",
        world: "provider",
    });
}

use bindings::demarc::provider::types::{
    Actor, Check, Evidence, Finding, InputError, PluginInfo, Problem, Resource, ScanError,
    ScanRequest, ScanSummary, Severity, Status,
};

/// The contract this plugin is built against.
pub const CONTRACT_VERSION: &str = "0.3.0";

/// The one check.
pub const CHECK_ID: &str = "legacy-thing-enabled";

struct Legacy;

fn info() -> PluginInfo {
    PluginInfo {
        name: "legacy".into(),
        version: "0.3.9".into(),
        provider: "legacy".into(),
        contract_version: CONTRACT_VERSION.into(),
        checks: vec![Check {
            id: CHECK_ID.into(),
            title: "Legacy things are enabled".into(),
            severity: Severity::Medium,
            actor: Actor::Customer,
            rationale: "A plugin of the previous contract version still reports.".into(),
            remediation: "Turn the thing on.".into(),
            controls: vec!["audit-logging".into()],
            resource_types: vec!["Legacy::Thing".into()],
            requirements: vec![],
        }],
    }
}

/// The findings and problems of one input's text.
pub fn judge(file: &str, text: &str) -> (Vec<Finding>, Vec<Problem>) {
    let mut findings = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((id, state)) = line.split_once(',') else {
            problems.push(Problem {
                error: InputError {
                    file: file.into(),
                    line: Some(n as u32 + 1),
                    column: Some(1),
                    message: "a line is `id,state`".into(),
                },
                kind: "malformed-input".into(),
            });
            continue;
        };
        let on = state.trim() == "on";
        findings.push(Finding {
            check_id: CHECK_ID.into(),
            account: "legacy-account".into(),
            region: "global".into(),
            resource: Resource {
                id: id.trim().into(),
                native_type: "Legacy::Thing".into(),
                name: None,
                tags: vec![],
            },
            status: if on { Status::Pass } else { Status::Fail },
            message: if on {
                format!("{} is on", id.trim())
            } else {
                format!("{} is off", id.trim())
            },
            evidence: vec![Evidence {
                key: "state".into(),
                value: state.trim().into(),
            }],
            extra_controls: vec![],
            observed_at: None,
        });
    }
    (findings, problems)
}

impl bindings::Guest for Legacy {
    fn describe() -> PluginInfo {
        info()
    }

    fn scan(request: ScanRequest) -> Result<ScanSummary, ScanError> {
        let mut resources = 0;
        let mut problems = Vec::new();
        for input in &request.inputs {
            let path = format!("{}/{}", request.snapshot_root, input.path);
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(Problem {
                        error: InputError {
                            file: input.path.clone(),
                            line: None,
                            column: None,
                            message: format!("cannot read it: {e}"),
                        },
                        kind: "missing-input".into(),
                    });
                    continue;
                }
            };
            let (findings, mut found) = judge(&input.path, &text);
            resources += findings.len() as u64;
            problems.append(&mut found);
            bindings::demarc::provider::host::emit(&findings)
                .map_err(|e| ScanError::EmitRefused(format!("{e:?}")))?;
        }
        Ok(ScanSummary {
            resources,
            skipped: 0,
            problems,
        })
    }
}

bindings::export!(Legacy with_types_in bindings);

#[cfg(test)]
mod tests {
    #[test]
    fn each_line_is_a_finding_and_a_line_without_a_comma_a_problem() {
        let (findings, problems) = super::judge("things.csv", "a,on\nb,off\n\nbroken\n");
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.resource.id.as_str(), f.status))
            .collect();
        assert_eq!(
            got,
            [("a", super::Status::Pass), ("b", super::Status::Fail)]
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, "malformed-input");
        assert_eq!(problems[0].error.line, Some(4));
    }
}
