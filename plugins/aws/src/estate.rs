//! What a scan learns across its inputs, and the findings only the whole picture decides.
//!
//! A target's inputs arrive in any order (one snapshot per region, history files, the credential
//! report), so some checks wait for the end of the scan: whether an account has any CloudTrail
//! trail, the patch state of each running instance (joined with `AWS::SSM::PatchCompliance`
//! items that may come before or after it), and whether an IAM user's account is covered by a
//! credential report or needs the manual fallback. [`Estate`] keeps exactly that state, small
//! compared with the items streamed past it, and [`Estate::finish`] emits the deferred findings
//! in a deterministic order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use demarc_sdk::{Finding, ScanError};

use crate::checks::cloudtrail::{self, TrailTally};
use crate::checks::credentials::{self, ConfigUser};
use crate::checks::ec2::{self, PatchRecord, RunningInstance};

/// Cross-input state of one scan.
#[derive(Debug, Default)]
pub struct Estate {
    /// Accounts of every configuration item read.
    accounts: BTreeSet<String>,
    /// The account of the previous item, to skip the set lookup for runs of one account.
    last_account: String,
    /// Trails per account.
    trails: HashMap<String, TrailTally>,
    /// Running instances awaiting the patch join.
    running: Vec<RunningInstance>,
    /// Patch state per instance id (the latest item wins).
    patches: HashMap<String, PatchRecord>,
    /// IAM users seen in AWS Config, by resource id.
    users: BTreeMap<String, ConfigUser>,
    /// Accounts covered by a credential report.
    reported: BTreeSet<String>,
}

impl Estate {
    /// Note the account of a configuration item.
    pub fn saw_account(&mut self, account: &str) {
        if account == self.last_account || account == "unknown" {
            return;
        }
        if !self.accounts.contains(account) {
            self.accounts.insert(account.to_string());
        }
        self.last_account.clear();
        self.last_account.push_str(account);
    }

    /// Note a trail of `account`, and whether it is multi-region with global service events.
    pub fn trail(&mut self, account: &str, multi_region: Option<bool>) {
        let tally = self.trails.entry(account.to_string()).or_default();
        tally.trails += 1;
        match multi_region {
            Some(true) => tally.multi_region += 1,
            Some(false) => {}
            None => tally.undecided += 1,
        }
    }

    /// Keep a running instance for the patch join.
    pub fn running_instance(&mut self, instance: RunningInstance) {
        self.running.push(instance);
    }

    /// Record the patch state of an instance.
    pub fn patch(&mut self, instance_id: String, record: PatchRecord) {
        self.patches.insert(instance_id, record);
    }

    /// Keep an IAM user seen in AWS Config (the last item of a user wins).
    pub fn config_user(&mut self, id: &str, user: ConfigUser) {
        self.users.insert(id.to_string(), user);
    }

    /// Note that a credential report covers `account`.
    pub fn reported(&mut self, account: &str) {
        if !self.reported.contains(account) {
            self.reported.insert(account.to_string());
        }
    }

    /// Emit the findings that needed every input: patch compliance of running instances, the
    /// account-level CloudTrail finding, and the credential fallbacks for accounts without a
    /// report.
    pub fn finish(
        self,
        mut emit: impl FnMut(Finding) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        let Estate {
            accounts,
            trails,
            running,
            patches,
            users,
            reported,
            ..
        } = self;
        for instance in &running {
            let record = patches.get(instance.instance_id());
            emit(ec2::patch_finding(instance, record))?;
        }
        for account in &accounts {
            emit(cloudtrail::account_finding(
                account,
                trails.get(account).copied(),
            ))?;
        }
        for user in users.into_values() {
            if !reported.contains(&user.account) {
                for finding in credentials::user_fallback(user) {
                    emit(finding)?;
                }
            }
        }
        for account in accounts.iter().filter(|a| !reported.contains(*a)) {
            for finding in credentials::root_fallback(account) {
                emit(finding)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::item;
    use demarc_sdk::Status;

    fn finish(estate: Estate) -> Vec<Finding> {
        let mut out = Vec::new();
        estate
            .finish(|f| {
                out.push(f);
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn accounts_without_trails_or_reports_get_account_findings() {
        let mut estate = Estate::default();
        estate.saw_account("1");
        estate.saw_account("1");
        estate.saw_account("2");
        estate.saw_account("unknown");
        estate.trail("2", Some(true));
        estate.reported("2");
        let out = finish(estate);
        let trail: Vec<_> = out
            .iter()
            .filter(|f| f.check_id == cloudtrail::MULTI_REGION.id)
            .collect();
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[0].account, "1");
        assert_eq!(trail[0].status, Status::Manual);
        assert_eq!(trail[1].status, Status::Pass);
        let root: Vec<_> = out
            .iter()
            .filter(|f| f.check_id == credentials::ROOT_MFA.id)
            .collect();
        assert_eq!(root.len(), 1);
        assert_eq!(root[0].account, "1");
        assert_eq!(root[0].status, Status::Manual);
    }

    #[test]
    fn users_fall_back_only_where_no_report_covers_them() {
        let mut estate = Estate::default();
        for (account, name) in [("1", "a"), ("2", "b")] {
            let json = format!(
                r#"{{"resourceType":"AWS::IAM::User","resourceName":"{name}","awsAccountId":"{account}","ARN":"arn:aws:iam::{account}:user/{name}"}}"#
            );
            let i = item(&json);
            estate.config_user(i.id(), ConfigUser::new(&i.subject()));
        }
        estate.reported("2");
        let out = finish(estate);
        let manual: Vec<_> = out
            .iter()
            .filter(|f| f.check_id == credentials::CONSOLE_MFA.id)
            .collect();
        assert_eq!(manual.len(), 1);
        assert_eq!(manual[0].resource.id, "arn:aws:iam::1:user/a");
    }

    #[test]
    fn patch_records_join_regardless_of_order() {
        let mut estate = Estate::default();
        estate.patch(
            "i-1".into(),
            PatchRecord {
                status: Some("NON_COMPLIANT".into()),
                evidence: vec![],
            },
        );
        let json = r#"{"resourceType":"AWS::EC2::Instance","resourceId":"i-1","configuration":{"instanceId":"i-1","state":{"name":"running"}}}"#;
        let i = item(json);
        let outcome = ec2::evaluate_instance(&i, &crate::checks::test_support::ctx()).unwrap();
        estate.running_instance(outcome.running.unwrap());
        let out = finish(estate);
        let patch = out
            .iter()
            .find(|f| f.check_id == ec2::PATCH_COMPLIANCE.id)
            .unwrap();
        assert_eq!(patch.status, Status::Fail);
    }

    #[test]
    fn an_instance_is_judged_by_its_own_patch_record_only() {
        let mut estate = Estate::default();
        for id in ["i-1", "i-2"] {
            let json = format!(
                r#"{{"resourceType":"AWS::EC2::Instance","resourceId":"{id}","awsAccountId":"1","configuration":{{"instanceId":"{id}","state":{{"name":"running"}}}}}}"#
            );
            let i = item(&json);
            let outcome = ec2::evaluate_instance(&i, &crate::checks::test_support::ctx()).unwrap();
            estate.running_instance(outcome.running.unwrap());
        }
        estate.patch(
            "i-1".into(),
            PatchRecord {
                status: Some("COMPLIANT".into()),
                evidence: vec![],
            },
        );
        let out = finish(estate);
        let patch: Vec<(&str, Status)> = out
            .iter()
            .filter(|f| f.check_id == ec2::PATCH_COMPLIANCE.id)
            .map(|f| (f.resource.id.as_str(), f.status))
            .collect();
        assert_eq!(
            patch,
            vec![("i-1", Status::Pass), ("i-2", Status::Manual)],
            "i-1's patch record does not decide i-2"
        );
    }

    #[test]
    fn an_account_is_judged_by_its_own_trails_and_report_only() {
        let mut estate = Estate::default();
        estate.saw_account("1");
        estate.saw_account("2");
        estate.trail("1", Some(true));
        estate.reported("1");
        let out = finish(estate);
        let of = |check: &str| -> Vec<(String, Status)> {
            out.iter()
                .filter(|f| f.check_id == check)
                .map(|f| (f.account.clone(), f.status))
                .collect()
        };
        assert_eq!(
            of(cloudtrail::MULTI_REGION.id),
            vec![("1".into(), Status::Pass), ("2".into(), Status::Manual)]
        );
        // Account 1's credential report replaces its fallbacks; account 2 keeps them.
        assert_eq!(
            of(credentials::ROOT_MFA.id),
            vec![("2".into(), Status::Manual)]
        );
    }
}
