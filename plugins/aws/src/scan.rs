//! The AWS plugin's scan: its formats, and what it does with each configuration item.
//!
//! The SDK's driver ([`demarc_sdk::scan`]) opens the inputs, settles their formats, streams them
//! and turns every problem into a positioned one; this module configures it. A configuration
//! item is parsed once (its envelope borrowed, its documents parsed by the checks that read
//! them) and dispatched on its resource type through [`checks::CATALOG`]; items of other types
//! are read no further than their envelope. AWS Config change notifications are read as their
//! items; an oversized one, which carries no configuration, is a `missing-input` gap. The IAM
//! credential report is read whole (it is small) and its rows evaluated. The findings that need
//! every input are emitted by [`Estate::finish`] at the end.

use demarc_sdk::dispatch::Dispatch;
use demarc_sdk::formats::{Format as Declared, Own, Sniffed};
use demarc_sdk::http::{Client, Live, Retry, Transport};
use demarc_sdk::json::FieldError;
use demarc_sdk::scan::{Driver, Flow, LIVE_INPUT, Opened, ProblemKind, Scan, Stream, field_error};
use demarc_sdk::stream::Item;
use demarc_sdk::time::Timestamp;
use demarc_sdk::{Finding, InputError, ScanError};

use crate::checks::{self, Context, Evaluate};
use crate::config_item::{ConfigItem, Notification};
use crate::credential_report;
use crate::estate::Estate;
use crate::format::{self, Format};
use crate::live;

/// Largest credential report read (a report of 10,000 users is about 3 MB).
const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// How AWS Config items are streamed.
const CONFIG: Stream<'static> = Stream {
    key: "configurationItems",
    empty: "no AWS Config items",
    not_an_array: None,
};

/// One scan of the AWS plugin.
pub struct AwsScan {
    ctx: Context,
    estate: Estate,
    dispatch: Dispatch<Evaluate>,
}

impl Driver for AwsScan {
    type Format = Format;
    const OWN: Own = format::OWN;
    const FORMATS: &'static [Declared<Format>] = &format::FORMATS;
    const NOT_OURS: &'static str = "not an AWS export this plugin reads: ";
    const GZIP_NOTE: Option<&'static str> = Some("AWS Config delivers snapshots gzipped");

    fn sniff(body: &[u8]) -> Sniffed<Format> {
        format::sniff(body)
    }

    fn start(now: Timestamp) -> Self {
        AwsScan {
            ctx: Context { now },
            estate: Estate::default(),
            dispatch: checks::CATALOG.dispatch(),
        }
    }

    fn read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        format: Format,
    ) -> Result<(), ScanError> {
        match format {
            Format::ConfigSnapshot => self.config(scan, input),
            Format::CredentialReport => {
                let name = input.name;
                match input.read_all(
                    MAX_REPORT_BYTES,
                    "larger than any IAM credential report (256 MiB)",
                ) {
                    Ok(bytes) => self.report(scan, name, &bytes),
                    Err(e) => scan.file_problem(ProblemKind::MalformedInput, e),
                }
            }
        }
    }

    fn live(&mut self, scan: &mut Scan<'_, '_>, grant: &Live) -> Result<(), ScanError> {
        let client = Client::new(demarc_sdk::http::Wasi, Retry::default());
        self.live_with(scan, live::Api::new(grant, client))
    }

    fn finish(self, scan: &mut Scan<'_, '_>) -> Result<(), ScanError> {
        self.estate.finish(|finding| scan.emit([finding]))
    }
}

impl AwsScan {
    /// Read a live target's APIs through `api` (see [`live`]) and evaluate what they return as
    /// configuration items, region by region, then the credential report.
    pub fn live_with<T: Transport>(
        &mut self,
        scan: &mut Scan<'_, '_>,
        mut api: live::Api<T>,
    ) -> Result<(), ScanError> {
        let account = match live::account(&mut api) {
            Ok(account) => account,
            Err(e) => {
                // Every item names its account: without it nothing is read.
                scan.record(
                    ProblemKind::MissingInput,
                    InputError::file(
                        LIVE_INPUT,
                        format!("{e}; without the account nothing of the target was read"),
                    ),
                );
                return Ok(());
            }
        };
        self.estate.saw_account(&account);
        let regions = api.regions.clone();
        let mut reads: Vec<(String, live::Read)> = Vec::new();
        let mut outside = Vec::new();
        reads.push(("live/global/iam.json".into(), live::iam(&mut api, &account)));
        reads.push((
            "live/global/s3.json".into(),
            live::s3(&mut api, &account, &mut outside),
        ));
        for (name, read) in reads.drain(..) {
            self.live_read(scan, &name, read)?;
        }
        let mut trails = std::collections::BTreeSet::new();
        for region in &regions {
            let batches = [
                ("ec2", live::ec2(&mut api, &account, region)),
                ("rds", live::rds(&mut api, &account, region)),
                ("kms", live::kms(&mut api, &account, region)),
                (
                    "cloudtrail",
                    live::cloudtrail(&mut api, &account, region, &mut trails),
                ),
                ("lambda", live::lambda(&mut api, &account, region)),
            ];
            for (service, read) in batches {
                if service == "cloudtrail" && !read.failed.is_empty() {
                    // The region's trails are unknown: the account-level trail finding must not
                    // conclude there are none.
                    self.estate.trail(&account, None);
                }
                self.live_read(scan, &format!("live/{region}/{service}.json"), read)?;
            }
        }
        if !outside.is_empty() {
            scan.record(
                ProblemKind::MissingInput,
                InputError::file(
                    "live/global/s3.json",
                    format!(
                        "{} in regions outside the target's ({}) not read: {}; add their regions to read them",
                        checks::count(outside.len() as u64, "bucket", "buckets"),
                        regions.join(", "),
                        outside.join(", ")
                    ),
                ),
            );
        }
        match live::credential_report(&mut api) {
            Ok(content) => self.report(
                scan,
                "live/global/credential-report.csv",
                content.as_bytes(),
            )?,
            Err(e) => scan.record(
                ProblemKind::MissingInput,
                InputError::file(
                    "live/global/credential-report.csv",
                    format!(
                        "{e}; MFA, password and access-key checks fall back to what IAM items say"
                    ),
                ),
            ),
        }
        let (sent, retried) = api.sent();
        demarc_sdk::log::info(&format!(
            "live: account {account}, {} region(s): {sent} requests, {retried} retried after throttling",
            regions.len()
        ));
        Ok(())
    }

    /// Evaluate one live read's items, and record the calls that failed.
    fn live_read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        name: &str,
        read: live::Read,
    ) -> Result<(), ScanError> {
        for (error, lost) in read.failed {
            scan.record(
                ProblemKind::MissingInput,
                InputError::file(name, format!("{error}; not evaluated: {lost}")),
            );
        }
        if read.items.is_empty() {
            return Ok(());
        }
        let body = serde_json::json!({ "configurationItems": read.items }).to_string();
        self.config_items(scan, name, body.as_bytes())
    }

    /// Stream the configuration items of one input.
    fn config(&mut self, scan: &mut Scan<'_, '_>, input: Opened<'_>) -> Result<(), ScanError> {
        self.config_items(scan, input.name, input.reader)
    }

    /// Stream the configuration items of `reader`, named `file` in messages.
    fn config_items(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        reader: impl std::io::Read,
    ) -> Result<(), ScanError> {
        let mut recognised = false;
        let items = scan.json_items(file, reader, CONFIG, |scan, item, text| {
            let parsed: ConfigItem<'_> = match serde_json::from_str(text) {
                Ok(parsed) => parsed,
                Err(e) => {
                    if !recognised && item.bytes.trim_ascii_start().first() != Some(&b'{') {
                        return foreign(scan, file, item);
                    }
                    scan.item_parse_error(file, item, &e);
                    return Ok(Flow::Next);
                }
            };
            match &parsed.notification {
                Notification::None => {}
                Notification::Other(kind) => {
                    // A delivery or compliance message in a saved notification stream.
                    recognised = true;
                    demarc_sdk::log::debug(&format!(
                        "{file}: item {}: a {kind} message carries no configuration item",
                        item.index
                    ));
                    return Ok(Flow::Next);
                }
                Notification::Oversized(location) => {
                    recognised = true;
                    scan.record(
                        ProblemKind::MissingInput,
                        InputError::at(
                            file,
                            item.line,
                            item.column,
                            format!(
                                "item {}: an oversized configuration item change notification for {} {}: the notification carries no configuration, so its checks are not evaluated; the full item was delivered to {}",
                                item.index,
                                parsed.kind(),
                                parsed.label(),
                                location.as_deref().unwrap_or("Amazon S3 (no location given)")
                            ),
                        ),
                    );
                    return Ok(Flow::Next);
                }
            }
            if parsed.resource_type.non_empty().is_none() {
                if !recognised {
                    return foreign(scan, file, item);
                }
                scan.item_problem(InputError::at(
                    file,
                    item.line,
                    item.column,
                    format!(
                        "item {}: a configuration item without `resourceType`",
                        item.index
                    ),
                ));
                return Ok(Flow::Next);
            }
            recognised = true;
            match self.evaluate(scan, &parsed) {
                Ok(Some(findings)) => {
                    scan.resources(1);
                    scan.emit(findings)?;
                }
                Ok(None) => {}
                Err(e) => {
                    let what = format_args!("{} {}", parsed.kind(), parsed.id());
                    scan.item_problem(field_error(file, item, &e, what, "AWS Config"));
                }
            }
            Ok(Flow::Next)
        })?;
        if let Some(items) = items {
            demarc_sdk::log::debug(&format!(
                "{file}: read {} ({:?} layout)",
                checks::count(items.count(), "configuration item", "configuration items"),
                items.layout()
            ));
        }
        Ok(())
    }

    /// The findings of one configuration item; `None` for items that are skipped, of a type
    /// without checks, or (patch compliance) only kept for the join.
    fn evaluate<'a>(
        &mut self,
        scan: &mut Scan<'_, '_>,
        item: &ConfigItem<'a>,
    ) -> Result<Option<Vec<Finding>>, FieldError<'a>> {
        self.estate.saw_account(item.account());
        if item.is_skipped() {
            scan.skipped();
            return Ok(None);
        }
        let mut findings = Vec::new();
        let mut evaluated = false;
        for reader in self.dispatch.readers(item.kind()) {
            let more = (reader.evaluate)(item, &mut self.estate, &self.ctx)?;
            // The first reader's findings are taken as they are: no copy per item.
            if findings.is_empty() {
                findings = more;
            } else {
                findings.extend(more);
            }
            evaluated |= !reader.checks.is_empty();
        }
        Ok(evaluated.then_some(findings))
    }

    /// Read a credential report and emit the findings of its rows.
    fn report(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        bytes: &[u8],
    ) -> Result<(), ScanError> {
        let text = match credential_report::decode(bytes) {
            Ok(text) => text,
            Err(e) => {
                return scan.file_problem(
                    ProblemKind::MalformedInput,
                    InputError::file(file, format!("not a readable IAM credential report: {e}")),
                );
            }
        };
        let report = match credential_report::parse(&text) {
            Ok(report) => report,
            Err(e) => {
                return scan.file_problem(
                    ProblemKind::MalformedInput,
                    InputError {
                        file: file.to_string(),
                        line: e.line.map(demarc_sdk::scan::clamp),
                        column: None,
                        message: format!("not a readable IAM credential report: {}", e.message),
                    },
                );
            }
        };
        for bad in report.bad_rows {
            scan.item_problem(InputError {
                file: file.to_string(),
                line: bad.line.map(demarc_sdk::scan::clamp),
                column: None,
                message: format!("credential report row skipped: {}", bad.message),
            });
        }
        for row in &report.rows {
            self.estate.reported(row.account());
            scan.resources(1);
            scan.emit(checks::credentials::row_findings(row, self.ctx.now))?;
        }
        Ok(())
    }
}

/// A JSON file whose first item is not an AWS Config item.
fn foreign(scan: &mut Scan<'_, '_>, file: &str, item: &Item<'_>) -> Result<Flow, ScanError> {
    scan.foreign_json(file, item.bytes, &format::OWN, "an AWS Config snapshot")?;
    Ok(Flow::Stop)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use demarc_sdk::testing::{self, NativeScan};
    use demarc_sdk::{Input, Provider, ScanError, Status};

    use crate::Aws;
    use crate::checks::{self, cloudtrail, credentials, ec2, s3, security_group};
    use crate::credential_report::tests::{HEADER, sample};

    const NOW: &str = "2025-06-30T00:00:00Z";

    fn dir(files: &[(&str, &str)]) -> PathBuf {
        testing::temp_dir(files)
    }

    fn scan(files: &[(&str, &str)], inputs: &[&str]) -> NativeScan {
        testing::scan_inputs::<Aws>(files, inputs, NOW)
    }

    fn statuses(scan: &NativeScan, check: &str) -> Vec<Status> {
        scan.of_check(check).map(|f| f.status).collect()
    }

    const SG_OPEN: &str = r#"{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2025-06-29T12:00:00.000Z","configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-1","resourceName":"ssh-open","ARN":"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1","awsRegion":"eu-west-1","tags":{},"relationships":[],"configuration":{"groupId":"sg-1","ipPermissions":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}],"ipRanges":["0.0.0.0/0"]}]},"supplementaryConfiguration":{}}"#;
    const VOLUME: &str = r#"{"configurationItemStatus":"ResourceDiscovered","accountId":"111122223333","resourceType":"AWS::EC2::Volume","resourceId":"vol-1","arn":"arn:aws:ec2:eu-west-1:111122223333:volume/vol-1","awsRegion":"eu-west-1","configuration":{"encrypted":false}}"#;
    const DELETED: &str = r#"{"configurationItemStatus":"ResourceDeleted","awsAccountId":"111122223333","resourceType":"AWS::S3::Bucket","resourceId":"gone","awsRegion":"eu-west-1","configuration":null}"#;
    const VPC: &str = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::EC2::VPC","resourceId":"vpc-1","awsRegion":"eu-west-1","configuration":{"cidrBlock":"10.0.0.0/16","deeply":{"nested":[1,2,{"x":"y"}]}}}"#;

    fn wrapped(items: &[&str]) -> String {
        format!(
            "{{\"fileVersion\":\"1.0\",\"configSnapshotId\":\"abc\",\"configurationItems\":[\n{}\n]}}",
            items.join(",\n")
        )
    }

    #[test]
    fn describe_lists_every_check() {
        let info = Aws::info();
        assert_eq!(info.name, "aws");
        assert_eq!(info.provider, "aws");
        assert_eq!(info.contract_version, demarc_sdk::CONTRACT_VERSION);
        assert_eq!(info.checks.len(), 31);
        assert_eq!(info.checks.len(), checks::CATALOG.defs().len());
    }

    #[test]
    fn wrapper_array_and_ndjson_layouts_give_the_same_findings() {
        let items = [SG_OPEN, VOLUME, DELETED, VPC];
        let layouts = [
            wrapped(&items),
            format!("[{}]", items.join(",")),
            items.join("\n"),
        ];
        let mut results = Vec::new();
        for text in &layouts {
            let s = scan(&[("config.json", text)], &["config.json"]);
            let summary = s.result.as_ref().expect("scan succeeds");
            assert_eq!(summary.skipped, 1);
            assert_eq!(summary.resources, 2);
            assert!(summary.problems.is_empty(), "{:?}", summary.problems);
            let by_check: BTreeMap<String, Vec<Status>> = s
                .findings
                .iter()
                .map(|f| (f.check_id.clone(), statuses(&s, &f.check_id)))
                .collect();
            results.push(by_check);
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0], results[2]);
        let first = &results[0];
        assert_eq!(
            first[security_group::ADMIN_PORT_OPEN.id],
            vec![Status::Fail]
        );
        assert_eq!(first[ec2::EBS_ENCRYPTED.id], vec![Status::Fail]);
        // No trail or report in the account: manual account-level findings.
        assert_eq!(first[cloudtrail::MULTI_REGION.id], vec![Status::Manual]);
        assert_eq!(first[credentials::ROOT_MFA.id], vec![Status::Manual]);
        assert!(
            !first.contains_key(s3::CMK_ENCRYPTION.id),
            "deleted bucket was evaluated"
        );
    }

    #[test]
    fn findings_carry_the_resource_as_config_recorded_it() {
        let s = scan(&[("c.json", &wrapped(&[SG_OPEN, VOLUME]))], &["c.json"]);
        let sg = s
            .of_check(security_group::ADMIN_PORT_OPEN.id)
            .next()
            .unwrap();
        assert_eq!(sg.account, "111122223333");
        assert_eq!(sg.region, "eu-west-1");
        assert_eq!(
            sg.resource.id,
            "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"
        );
        assert_eq!(sg.resource.native_type, "AWS::EC2::SecurityGroup");
        assert_eq!(sg.resource.name.as_deref(), Some("ssh-open"));
        assert_eq!(sg.observed_at.as_deref(), Some("2025-06-29T12:00:00.000Z"));
        assert!(!sg.message.is_empty() && !sg.evidence.is_empty());
        let vol = s.of_check(ec2::EBS_ENCRYPTED.id).next().unwrap();
        assert_eq!(vol.account, "111122223333", "accountId casing");
        assert_eq!(
            vol.resource.id, "arn:aws:ec2:eu-west-1:111122223333:volume/vol-1",
            "arn casing"
        );
        for f in &s.findings {
            assert!(
                checks::CATALOG.defs().iter().any(|c| c.id == f.check_id),
                "undeclared {}",
                f.check_id
            );
        }
    }

    #[test]
    fn the_sdk_input_policy_holds_for_this_format() {
        let truncated = format!(
            "{{\"configurationItems\":[\n{SG_OPEN},\n{{\"configurationItemStatus\":\"OK\","
        );
        testing::assert_input_policy::<Aws>(
            testing::PolicyCase {
                file: SG_OPEN,
                check: security_group::ADMIN_PORT_OPEN.id,
                truncated: &truncated,
            },
            NOW,
        );
    }

    #[test]
    fn a_malformed_item_is_a_positioned_problem_and_the_scan_continues() {
        let text = format!(
            "{SG_OPEN}\n{{\"resourceType\": \"AWS::EC2::Volume\", \"configuration\": {{\"encrypted\": tru}}}}\n{VOLUME}\n"
        );
        let s = scan(&[("n.json", &text)], &["n.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1, "{:?}", summary.problems);
        let p = &summary.problems[0];
        assert_eq!(p.kind.as_str(), "malformed-input");
        assert_eq!(p.error.line, Some(2));
        assert_eq!(s.of_check(ec2::EBS_ENCRYPTED.id).count(), 1);
        assert_eq!(s.of_check(security_group::ADMIN_PORT_OPEN.id).count(), 1);
    }

    #[test]
    fn a_configuration_of_the_wrong_shape_points_into_the_item() {
        let bad = "{\"resourceType\":\"AWS::EC2::SecurityGroup\",\"resourceId\":\"sg-9\",\n  \"configuration\":{\"ipPermissions\":[{\"ipProtocol\":\"tcp\",\n  \"ipv4Ranges\":7}]}}";
        let text = format!("{bad}\n{VOLUME}");
        let s = scan(&[("w.json", &text)], &["w.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1);
        let e = &summary.problems[0].error;
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("AWS::EC2::SecurityGroup sg-9"), "{e}");
        assert!(e.message.contains("`configuration`"), "{e}");
        assert_eq!(summary.resources, 1);
    }

    #[test]
    fn json_that_is_not_aws_config_is_unsupported_and_says_what_it_is() {
        let azure = r#"{"totalRecords":1,"count":1,"data":[{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a","name":"a","type":"microsoft.storage/storageaccounts"}],"facets":[],"resultTruncated":"false"}"#;
        let s = scan(&[("rg.json", azure)], &["rg.json"]);
        match &s.result {
            Err(ScanError::UnsupportedFormat(e)) => {
                assert_eq!(e.file, "rg.json");
                assert!(e.message.contains("Azure Resource Graph export"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let rows = r#"[{"id":"/subscriptions/s/x","name":"a","type":"microsoft.compute/virtualmachines","location":"westeurope"}]"#;
        let s = scan(
            &[("rows.json", rows), ("c.json", SG_OPEN)],
            &["rows.json", "c.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems[0].kind.as_str(), "unsupported-format");
        assert!(
            summary.problems[0]
                .error
                .message
                .contains("Azure Resource Graph rows")
        );
        let csv = scan(&[("x.csv", "name,type\na,b\n")], &["x.csv"]);
        assert!(matches!(csv.result, Err(ScanError::UnsupportedFormat(_))));
    }

    #[test]
    fn the_credential_report_is_sniffed_and_replaces_the_fallbacks_of_its_account() {
        let user = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::IAM::User","resourceId":"AIDA1","resourceName":"alice","ARN":"arn:aws:iam::111122223333:user/alice","awsRegion":"global","configuration":{"userName":"alice","userPolicyList":[]}}"#;
        let other = r#"{"configurationItemStatus":"OK","awsAccountId":"444455556666","resourceType":"AWS::IAM::User","resourceId":"AIDA2","resourceName":"bob","ARN":"arn:aws:iam::444455556666:user/bob","awsRegion":"global","configuration":{}}"#;
        let config = format!("{user}\n{other}\n");
        let report = sample();
        let s = scan(
            &[("report.csv", &report), ("config.json", &config)],
            &["report.csv", "config.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        // alice's account is covered by the report: her findings come from the row.
        let mfa: Vec<_> = s.of_check(credentials::CONSOLE_MFA.id).collect();
        assert_eq!(mfa.len(), 2);
        let alice = mfa.iter().find(|f| f.account == "111122223333").unwrap();
        assert_eq!(alice.status, Status::Fail);
        let bob = mfa.iter().find(|f| f.account == "444455556666").unwrap();
        assert_eq!(bob.status, Status::Manual);
        // Root: from the report for one account, manual for the other.
        let root: BTreeMap<String, Status> = s
            .of_check(credentials::ROOT_MFA.id)
            .map(|f| (f.account.clone(), f.status))
            .collect();
        assert_eq!(root["111122223333"], Status::Fail);
        assert_eq!(root["444455556666"], Status::Manual);
    }

    #[test]
    fn declared_formats_and_report_problems() {
        let d = dir(&[("r.txt", &sample())]);
        let mut request = testing::request(&d.to_string_lossy(), &["r.txt"], NOW);
        request.inputs = vec![Input {
            path: "r.txt".into(),
            format: Some("aws-credential-report".into()),
        }];
        let s = testing::scan::<Aws>(&request);
        assert!(s.result.is_ok());
        assert_eq!(s.of_check(credentials::ROOT_ACCESS_KEYS.id).count(), 1);
        std::fs::write(d.join("r.gz"), [0x1f, 0x8b, 8, 0, 0]).unwrap();
        let mut gz = testing::request(&d.to_string_lossy(), &["r.gz"], NOW);
        gz.inputs[0].format = Some("aws-config-snapshot".into());
        match testing::scan::<Aws>(&gz).result {
            Err(ScanError::UnsupportedFormat(e)) => assert!(e.message.contains("gzip"), "{e}"),
            other => panic!("{other:?}"),
        }
        request.inputs[0].format = Some("azure-resource-graph".into());
        let s = testing::scan::<Aws>(&request);
        assert!(matches!(s.result, Err(ScanError::UnsupportedFormat(_))));
        let _ = std::fs::remove_dir_all(&d);

        let bad_row = format!("{HEADER}\nbob,arn:aws:iam::1:user/bob,short\n");
        let s = scan(
            &[("r.csv", &bad_row), ("c.json", SG_OPEN)],
            &["r.csv", "c.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1);
        assert_eq!(summary.problems[0].error.line, Some(2));
    }

    #[test]
    fn patch_compliance_joins_across_files_and_trails_count_per_account() {
        let instance = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::EC2::Instance","resourceId":"i-0abc","awsRegion":"eu-west-1","configuration":{"instanceId":"i-0abc","state":{"code":16,"name":"running"},"metadataOptions":{"httpTokens":"required"}}}"#;
        let patch = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::SSM::PatchCompliance","resourceId":"AWS::SSM::ManagedInstanceInventory/i-0abc","awsRegion":"eu-west-1","configuration":{"AWS:ComplianceItem":{"ComplianceType":"Patch","Content":{"Patch":{"ComplianceSummary":{"Status":"COMPLIANT"}}}}}}"#;
        let trail = r#"{"configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::CloudTrail::Trail","resourceId":"main","awsRegion":"us-east-1","configuration":{"isMultiRegionTrail":true,"includeGlobalServiceEvents":true,"logFileValidationEnabled":true,"kmsKeyId":"k"}}"#;
        let s = scan(
            &[
                ("a.json", instance),
                ("b.json", &format!("[{patch},{trail}]")),
            ],
            &["a.json", "b.json"],
        );
        s.result.as_ref().unwrap();
        assert_eq!(statuses(&s, ec2::PATCH_COMPLIANCE.id), vec![Status::Pass]);
        // One per trail, one for the account.
        assert_eq!(
            statuses(&s, cloudtrail::MULTI_REGION.id),
            vec![Status::Pass, Status::Pass]
        );
    }

    #[test]
    fn an_unreadable_now_is_an_internal_error() {
        let d = dir(&[]);
        let s = testing::scan_dir::<Aws>(&d, &[], "yesterday");
        assert!(matches!(s.result, Err(ScanError::Internal(_))));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn change_notifications_are_read_as_their_items() {
        // As AWS Config publishes it (and EventBridge's `detail` holds it): pretty-printed.
        let notification = format!(
            "{{\n  \"configurationItemDiff\": {{\"changedProperties\": {{}}, \"changeType\": \"CREATE\"}},\n  \"configurationItem\": {SG_OPEN},\n  \"notificationCreationTime\": \"2025-06-29T12:00:05.123Z\",\n  \"messageType\": \"ConfigurationItemChangeNotification\",\n  \"recordVersion\": \"1.3\"\n}}\n"
        );
        let one = scan(&[("n.json", &notification)], &["n.json"]);
        let summary = one.result.as_ref().expect("scan succeeds");
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        assert_eq!(summary.resources, 1);
        let sg = one
            .of_check(security_group::ADMIN_PORT_OPEN.id)
            .next()
            .unwrap();
        assert_eq!(sg.status, Status::Fail);
        assert_eq!(
            sg.resource.id,
            "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"
        );

        // A saved stream: change, oversized change and delivery messages, one per line.
        let oversized = r#"{"configurationItemSummary":{"changeType":"UPDATE","configurationItemVersion":"1.3","configurationItemCaptureTime":"2025-06-29T12:00:00.000Z","configurationStateId":1719662400000,"awsAccountId":"111122223333","configurationItemStatus":"OK","resourceType":"AWS::S3::Bucket","resourceId":"big-bucket","resourceName":"big-bucket","ARN":"arn:aws:s3:::big-bucket","awsRegion":"eu-west-1","availabilityZone":"Regional","configurationStateMd5Hash":"","resourceCreationTime":"2024-01-01T00:00:00.000Z"},"s3DeliverySummary":{"s3BucketLocation":"config-bucket/AWSLogs/111122223333/Config/eu-west-1/2025/6/29/OversizedChangeNotification/AWS::S3::Bucket/big-bucket/111122223333_Config_eu-west-1_ChangeNotification_AWS::S3::Bucket_big-bucket_20250629T120000Z_1719662400000.json.gz","errorCode":null,"errorMessage":null},"notificationCreationTime":"2025-06-29T12:00:06.000Z","messageType":"OversizedConfigurationItemChangeNotification","recordVersion":"1.0"}"#;
        let delivered = r#"{"configSnapshotId":"0b8e0e9b-1111-2222-3333-444455556666","s3ObjectKey":"AWSLogs/111122223333/Config/eu-west-1/2025/6/29/ConfigSnapshot/x.json.gz","s3Bucket":"config-bucket","notificationCreationTime":"2025-06-29T13:00:00.000Z","messageType":"ConfigurationSnapshotDeliveryCompleted","recordVersion":"1.1"}"#;
        let change = format!(
            r#"{{"configurationItem":{VOLUME},"messageType":"ConfigurationItemChangeNotification","recordVersion":"1.3"}}"#
        );
        let stream = [delivered, &change, oversized].join("\n");
        let s = scan(&[("stream.json", &stream)], &["stream.json"]);
        let summary = s.result.as_ref().expect("scan succeeds");
        assert_eq!(summary.resources, 1, "the volume");
        assert_eq!(
            s.of_check(ec2::EBS_ENCRYPTED.id).next().unwrap().status,
            Status::Fail
        );
        // The oversized item is a gap naming where its configuration is, never a judged bucket.
        assert!(
            s.findings
                .iter()
                .all(|f| f.resource.native_type != "AWS::S3::Bucket")
        );
        assert_eq!(summary.problems.len(), 1, "{:?}", summary.problems);
        let p = &summary.problems[0];
        assert_eq!(p.kind.as_str(), "missing-input");
        assert_eq!(p.error.line, Some(3));
        assert!(
            p.error.message.contains("AWS::S3::Bucket big-bucket"),
            "{}",
            p.error.message
        );
        assert!(
            p.error
                .message
                .contains("OversizedChangeNotification/AWS::S3::Bucket"),
            "{}",
            p.error.message
        );
    }
}
