//! The Azure plugin's scan: its format, and what it does with each resource.
//!
//! The SDK's driver ([`demarc_sdk::scan`]) opens the inputs, settles their formats, streams them
//! and turns every problem into a positioned one; this module configures it. Each input is
//! streamed with `data` as the array key, which reads the Resource Graph REST and CLI wrappers,
//! a bare array and NDJSON alike; an ARM list response (`{value: [...]}`) is recognised from its
//! first item and read again with `value` as the key. Each resource is dispatched on its type
//! (lowercased: Resource Graph lowercases types, ARM does not) through [`checks::CATALOG`];
//! resources of other types are read no further than their envelope. Findings that need every
//! input are emitted by [`Estate::finish`] at the end.
//!
//! A Resource Graph result that says it is incomplete (`resultTruncated` `"true"`, a
//! `skipToken`, fewer rows than `totalRecords`, an ARM `nextLink`) is scanned as far as it goes
//! and reported as an `incomplete-input` gap.

use std::fs::File;
use std::io::{BufReader, Read};

use demarc_sdk::dispatch::Dispatch;
use demarc_sdk::formats::{Format as Declared, Own, Sniffed};
use demarc_sdk::json::{FieldError, Text};
use demarc_sdk::scan::{Driver, Flow, Opened, ProblemKind, Scan, Stream, field_error};
use demarc_sdk::stream::Item;
use demarc_sdk::time::Timestamp;
use demarc_sdk::{InputError, ScanError};

use crate::checks::{self, Context, Evaluate, Outcome};
use crate::estate::Estate;
use crate::format;
use crate::json::parent_key;
use crate::resource::{Resource, marks};

/// The array key of a Resource Graph result.
const DATA_KEY: &str = "data";
/// The array key of an ARM list response.
const VALUE_KEY: &str = "value";

/// How a Resource Graph result or ARM list is streamed, by its array key.
const fn stream(key: &'static str) -> Stream<'static> {
    Stream {
        key,
        empty: "no Azure resources",
        not_an_array: Some(
            "valid JSON but not rows of Azure resources: `data` is not an array (a Resource Graph result in table format?); run the query with `resultFormat` `objectArray`",
        ),
    }
}

/// One scan of the Azure plugin.
pub struct AzureScan {
    ctx: Context,
    estate: Estate,
    dispatch: Dispatch<Evaluate>,
}

impl Driver for AzureScan {
    type Format = ();
    const OWN: Own = format::OWN;
    const FORMATS: &'static [Declared<()>] = &format::FORMATS;
    const NOT_OURS: &'static str = "not an Azure export this plugin reads: ";

    fn sniff(body: &[u8]) -> Sniffed<()> {
        format::sniff(body)
    }

    fn start(now: Timestamp) -> Self {
        AzureScan {
            ctx: Context { now },
            estate: Estate::default(),
            dispatch: checks::CATALOG.dispatch(),
        }
    }

    fn read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        (): (),
    ) -> Result<(), ScanError> {
        let Opened { name, path, reader } = input;
        match self.stream(scan, name, reader, DATA_KEY)? {
            Some(Relist) => match File::open(&path) {
                // An ARM list response: read the file again with `value` as the array key.
                Ok(f) => self
                    .stream(scan, name, BufReader::new(f), VALUE_KEY)
                    .map(|_| ()),
                Err(e) => scan.file_problem(
                    ProblemKind::MissingInput,
                    InputError::file(name, format!("the input cannot be reopened: {e}")),
                ),
            },
            None => Ok(()),
        }
    }

    fn finish(self, scan: &mut Scan<'_, '_>) -> Result<(), ScanError> {
        let AzureScan { ctx, estate, .. } = self;
        let resources = estate.finish(&ctx, |finding| scan.emit([finding]))?;
        scan.resources(resources);
        Ok(())
    }
}

/// The input is an ARM list response, to be read with `value` as the key.
struct Relist;

impl AzureScan {
    /// Stream the resources of one input, with `key` as the wrapper's array key.
    fn stream(
        &mut self,
        scan: &mut Scan<'_, '_>,
        file: &str,
        reader: impl Read,
        key: &'static str,
    ) -> Result<Option<Relist>, ScanError> {
        let mut recognised = false;
        let mut relist = None;
        let items = scan.json_items(file, reader, stream(key), |scan, item, text| {
            let parsed = match Resource::parse(text) {
                Ok(parsed) => parsed,
                Err(e) => {
                    if !recognised && item.bytes.trim_ascii_start().first() != Some(&b'{') {
                        return foreign(scan, file, item, 0);
                    }
                    scan.item_parse_error(file, item, &e);
                    return Ok(Flow::Next);
                }
            };
            if !recognised
                && key == DATA_KEY
                && item.index == 0
                && parsed.marks & marks::ARM_LIST != 0
                && parsed.resource_type.non_empty().is_none()
            {
                relist = Some(Relist);
                return Ok(Flow::Stop);
            }
            let missing = match (parsed.resource_type.non_empty(), parsed.id.non_empty()) {
                (Some(_), Some(_)) => None,
                (None, _) => Some("`type`"),
                (Some(_), None) => Some("`id`"),
            };
            if let Some(missing) = missing {
                if !recognised {
                    return foreign(scan, file, item, parsed.marks);
                }
                scan.item_problem(InputError::at(
                    file,
                    item.line,
                    item.column,
                    format!("item {}: an Azure resource without {missing}", item.index),
                ));
                return Ok(Flow::Next);
            }
            recognised = true;
            match self.evaluate(&parsed) {
                Ok(Outcome::Evaluated(findings)) => {
                    scan.resources(1);
                    scan.emit(findings)?;
                }
                Ok(Outcome::Skipped) => scan.skipped(),
                Ok(Outcome::Other) => {}
                Err(e) => {
                    let what = format_args!("{} {}", parsed.kind_of(), parsed.id());
                    scan.item_problem(field_error(file, item, &e, what, "Azure"));
                }
            }
            Ok(Flow::Next)
        })?;
        let Some(items) = items else {
            return Ok(relist);
        };
        let count = items.count();
        demarc_sdk::log::debug(&format!(
            "{file}: read {} ({:?} layout)",
            checks::count(count, "Azure resource", "Azure resources"),
            items.layout()
        ));
        if let Some(reasons) = incompleteness(items.fields(), key, count) {
            scan.file_problem(
                ProblemKind::IncompleteInput,
                InputError::file(
                    file,
                    format!(
                        "incomplete coverage: {reasons}; the {} present {} scanned, the rest were not. Export every page (follow the skip token / nextLink) or narrow the query.",
                        checks::count(count, "resource", "resources"),
                        if count == 1 { "was" } else { "were" }
                    ),
                ),
            )?;
        }
        Ok(None)
    }

    /// Evaluate one resource, or keep what later findings need from it.
    fn evaluate<'a>(&mut self, r: &Resource<'a>) -> Result<Outcome, FieldError<'a>> {
        self.estate.saw_subscription(r.subscription());
        let ty = r.kind_of().to_ascii_lowercase();
        let readers = self.dispatch.readers(&ty);
        if readers.is_empty() {
            return Ok(Outcome::Other);
        }
        // The state is compared without regard to case: some exports spell it in lower or
        // upper case.
        if r.is_gone()? {
            return Ok(Outcome::Skipped);
        }
        if ty != "microsoft.resources/subscriptions" && !r.properties_recorded() {
            // A row of identity columns alone: its own checks are manual, and it joins nothing
            // (a key still shows that its vault holds keys).
            if ty == "microsoft.keyvault/vaults/keys" {
                self.estate.vault_key(parent_key(r.id()));
            }
            let tags = r.tags.is_some_and(|t| t.get().trim() != "null");
            let of_type = readers
                .iter()
                .flat_map(|reader| reader.checks.iter().copied());
            let findings = checks::unrecorded(&r.subject(), of_type, tags);
            return Ok(if findings.is_empty() {
                Outcome::Other
            } else {
                Outcome::Evaluated(findings)
            });
        }
        let mut outcome = Outcome::Other;
        for reader in readers {
            match (
                (reader.evaluate)(r, &mut self.estate, &self.ctx)?,
                &mut outcome,
            ) {
                (Outcome::Evaluated(more), Outcome::Evaluated(findings)) => findings.extend(more),
                (Outcome::Other, _) => {}
                (next, _) => outcome = next,
            }
        }
        Ok(outcome)
    }
}

/// A JSON file whose first item is not an Azure resource.
fn foreign(
    scan: &mut Scan<'_, '_>,
    file: &str,
    item: &Item<'_>,
    found: u8,
) -> Result<Flow, ScanError> {
    let export = "an Azure Resource Graph or ARM export";
    if found & marks::TABLE != 0 {
        scan.unsupported(
            file,
            format!("valid JSON but not {export}: it looks like a Resource Graph result in table format (`columns`, `rows`); run the query with `resultFormat` `objectArray`"),
        )?;
    } else {
        scan.foreign_json(file, item.bytes, &format::OWN, export)?;
    }
    Ok(Flow::Stop)
}

/// Why a wrapper says it holds only part of the result, if it does.
fn incompleteness(fields: &[(String, String)], key: &str, count: u64) -> Option<String> {
    let text = |name: &str| -> Option<String> {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, raw)| serde_json::from_str::<Text<'_>>(raw).ok())
            .and_then(|t| t.non_empty().map(str::to_string))
    };
    let mut reasons = Vec::new();
    if key == DATA_KEY {
        if let Some(t) = text("resultTruncated").filter(|t| t.eq_ignore_ascii_case("true")) {
            reasons.push(format!(
                "the Resource Graph result is truncated (resultTruncated \"{t}\")"
            ));
        }
        for token in ["skipToken", "skip_token", "$skipToken"] {
            if text(token).is_some() {
                reasons.push(format!("more pages follow (`{token}` is set)"));
            }
        }
        for total in ["totalRecords", "total_records"] {
            if let Some(n) = text(total).and_then(|t| t.parse::<u64>().ok())
                && n > count
            {
                reasons.push(format!(
                    "{total} is {n} but the file holds {}",
                    checks::count(count, "row", "rows")
                ));
            }
        }
    } else if let Some(link) = text("nextLink").or_else(|| text("@odata.nextLink")) {
        reasons.push(format!("the ARM list response has a nextLink ({link})"));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;

    use demarc_sdk::testing::{self, NativeScan};
    use demarc_sdk::{Input, Provider, ScanError, Status};

    use crate::Azure;
    use crate::checks::{self, identity, keyvault, monitor, network, rbac, storage, vm};

    const NOW: &str = "2026-11-01T00:00:00Z";

    fn dir(files: &[(&str, &str)]) -> PathBuf {
        testing::temp_dir(files)
    }

    fn scan(files: &[(&str, &str)], inputs: &[&str]) -> NativeScan {
        testing::scan_inputs::<Azure>(files, inputs, NOW)
    }

    fn statuses(scan: &NativeScan, check: &str) -> Vec<Status> {
        scan.of_check(check).map(|f| f.status).collect()
    }

    const NSG_OPEN: &str = r#"{"id":"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-ssh","name":"nsg-ssh","type":"microsoft.network/networksecuritygroups","tenantId":"t","kind":"","location":"westeurope","resourceGroup":"rg-net","subscriptionId":"11111111-2222-3333-4444-555555555555","managedBy":"","sku":null,"plan":null,"properties":{"securityRules":[{"name":"ssh","properties":{"access":"Allow","direction":"Inbound","protocol":"Tcp","sourceAddressPrefix":"*","destinationPortRange":"22","priority":100}}]},"tags":{},"identity":null,"zones":null,"extendedLocation":null}"#;
    const STORAGE: &str = r#"{"id":"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stdata","name":"stdata","type":"microsoft.storage/storageaccounts","location":"westeurope","subscriptionId":"11111111-2222-3333-4444-555555555555","properties":{"supportsHttpsTrafficOnly":true,"minimumTlsVersion":"TLS1_2","allowBlobPublicAccess":false,"encryption":{"keySource":"Microsoft.Storage"}},"tags":{"owner":"data"}}"#;
    const DELETING: &str = r#"{"id":"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stgone","name":"stgone","type":"microsoft.storage/storageaccounts","location":"westeurope","properties":{"provisioningState":"Deleting","allowBlobPublicAccess":true}}"#;
    const VNET: &str = r#"{"id":"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1","name":"vnet1","type":"microsoft.network/virtualnetworks","location":"westeurope","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"deeply":{"nested":[1,2,{"x":"y"}]}}}"#;

    fn rest(rows: &[&str], truncated: &str) -> String {
        format!(
            "{{\"totalRecords\": {n}, \"count\": {n}, \"data\": [\n{}\n], \"facets\": [], \"resultTruncated\": \"{truncated}\"}}",
            rows.join(",\n"),
            n = rows.len()
        )
    }

    fn by_check(s: &NativeScan) -> BTreeMap<String, Vec<Status>> {
        s.findings
            .iter()
            .map(|f| (f.check_id.clone(), statuses(s, &f.check_id)))
            .collect()
    }

    #[test]
    fn describe_lists_every_check() {
        let info = Azure::info();
        assert_eq!(
            (info.name.as_str(), info.provider.as_str()),
            ("azure", "azure")
        );
        assert_eq!(info.contract_version, demarc_sdk::CONTRACT_VERSION);
        assert_eq!(info.checks.len(), checks::CATALOG.defs().len());
        assert!(info.checks.len() >= 20);
    }

    #[test]
    fn every_layout_gives_the_same_findings() {
        let rows = [NSG_OPEN, STORAGE, DELETING, VNET];
        let layouts = [
            rest(&rows, "false"),
            format!(
                "{{\"count\": 4, \"data\": [{}], \"skip_token\": null, \"total_records\": 4}}",
                rows.join(",")
            ),
            format!("[{}]", rows.join(",")),
            rows.join("\n"),
            format!("{{\"value\": [{}]}}", rows.join(",")),
        ];
        let mut results = Vec::new();
        for text in &layouts {
            let s = scan(&[("rg.json", text)], &["rg.json"]);
            let summary = s.result.as_ref().expect("scan succeeds");
            assert_eq!(summary.skipped, 1, "{text}");
            assert_eq!(
                summary.resources, 3,
                "2 resources and 1 subscription: {text}"
            );
            assert!(summary.problems.is_empty(), "{:?}", summary.problems);
            results.push(by_check(&s));
        }
        for r in &results[1..] {
            assert_eq!(&results[0], r);
        }
        let first = &results[0];
        assert_eq!(first[network::ADMIN_PORT_OPEN.id], vec![Status::Fail]);
        assert_eq!(first[storage::CMK_ENCRYPTION.id], vec![Status::Fail]);
        assert_eq!(
            first[storage::BLOB_PUBLIC_ACCESS.id],
            vec![Status::Pass],
            "the deleting account is skipped"
        );
        assert_eq!(
            first[monitor::ACTIVITY_LOG_EXPORTED.id],
            vec![Status::Manual]
        );
        assert_eq!(first[identity::MFA_PRIVILEGED.id], vec![Status::Manual]);
    }

    #[test]
    fn a_deleting_resource_is_skipped_in_any_spelling_of_its_state() {
        for state in ["Deleting", "deleting", "DELETED", "Deleted"] {
            let row = DELETING.replace("\"Deleting\"", &format!("\"{state}\""));
            let s = scan(&[("rg.json", &row)], &["rg.json"]);
            let summary = s.result.as_ref().expect("scan succeeds");
            assert_eq!(summary.skipped, 1, "{state}");
            assert!(
                statuses(&s, storage::BLOB_PUBLIC_ACCESS.id).is_empty(),
                "{state}: the account going away is not judged"
            );
        }
    }

    #[test]
    fn a_single_arm_object_and_canonical_types() {
        let arm = r#"{"id":"/subscriptions/22222222-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-app","name":"kv-app","type":"Microsoft.KeyVault/vaults","location":"northeurope","tags":{"team":"app"},"properties":{"tenantId":"t","sku":{"family":"A","name":"standard"},"enableSoftDelete":true,"enablePurgeProtection":true,"enableRbacAuthorization":true}}"#;
        let s = scan(&[("kv.json", arm)], &["kv.json"]);
        s.result.as_ref().unwrap();
        let f = s.of_check(keyvault::RECOVERABLE.id).next().unwrap();
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.account, "22222222-2222-3333-4444-555555555555");
        assert_eq!(f.region, "northeurope");
        assert_eq!(f.resource.native_type, "Microsoft.KeyVault/vaults");
        assert_eq!(f.resource.name.as_deref(), Some("kv-app"));
        assert_eq!(
            statuses(&s, keyvault::KEY_ROTATION.id),
            vec![Status::Manual]
        );
        for f in &s.findings {
            assert!(
                checks::CATALOG.defs().iter().any(|c| c.id == f.check_id),
                "undeclared {}",
                f.check_id
            );
            assert!(
                !f.message.is_empty() && !f.evidence.is_empty() || f.status == Status::Manual,
                "{f:?}"
            );
        }
    }

    #[test]
    fn a_truncated_result_is_scanned_and_reported_as_incomplete() {
        let text = rest(&[NSG_OPEN, STORAGE], "true");
        let s = scan(&[("rg.json", &text)], &["rg.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1);
        let p = &summary.problems[0];
        assert_eq!(p.kind.as_str(), "incomplete-input");
        assert_eq!(p.error.file, "rg.json");
        assert!(
            p.error.message.contains("resultTruncated"),
            "{}",
            p.error.message
        );
        assert_eq!(s.of_check(network::ADMIN_PORT_OPEN.id).count(), 1);

        let paged = format!(
            "{{\"totalRecords\": 5000, \"count\": 1, \"skipToken\": \"ew0KICAiJGlkIjogIjEiLA0K\", \"data\": [{NSG_OPEN}], \"resultTruncated\": \"false\"}}"
        );
        let s = scan(&[("p.json", &paged)], &["p.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems[0].kind.as_str(), "incomplete-input");
        assert!(summary.problems[0].error.message.contains("5000"));
        let cli = format!(
            "{{\"count\": 1, \"data\": [{NSG_OPEN}], \"skip_token\": \"abc\", \"total_records\": 1}}"
        );
        let s = scan(&[("c.json", &cli)], &["c.json"]);
        assert!(
            s.result.as_ref().unwrap().problems[0]
                .error
                .message
                .contains("skip_token")
        );
        let list = format!(
            "{{\"value\": [{NSG_OPEN}], \"nextLink\": \"https://management.azure.com/subscriptions/x/resources?$skiptoken=abc\"}}"
        );
        let s = scan(&[("l.json", &list)], &["l.json"]);
        assert!(
            s.result.as_ref().unwrap().problems[0]
                .error
                .message
                .contains("nextLink")
        );
    }

    #[test]
    fn the_sdk_input_policy_holds_for_this_format() {
        let truncated = format!(
            "{{\"totalRecords\": 3, \"data\": [\n{NSG_OPEN},\n{{\"id\": \"/subscriptions/x\", \"ty"
        );
        testing::assert_input_policy::<Azure>(
            testing::PolicyCase {
                file: NSG_OPEN,
                check: network::ADMIN_PORT_OPEN.id,
                truncated: &truncated,
            },
            NOW,
        );
    }

    #[test]
    fn a_malformed_item_is_a_positioned_problem_and_the_scan_continues() {
        let text = format!(
            "{NSG_OPEN}\n{{\"id\": \"/subscriptions/x/y\", \"type\": \"microsoft.compute/disks\", \"properties\": {{\"encryption\": tru}}}}\n{STORAGE}\n{{\"name\": \"no-type\", \"id\": \"/subscriptions/x/z\"}}\n"
        );
        let s = scan(&[("n.json", &text)], &["n.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 2, "{:?}", summary.problems);
        assert_eq!(summary.problems[0].kind.as_str(), "malformed-input");
        assert_eq!(summary.problems[0].error.line, Some(2));
        assert!(summary.problems[1].error.message.contains("without `type`"));
        assert_eq!(summary.problems[1].error.line, Some(4));
        assert_eq!(s.of_check(storage::CMK_ENCRYPTION.id).count(), 1);
        assert_eq!(s.of_check(network::ADMIN_PORT_OPEN.id).count(), 1);
    }

    #[test]
    fn properties_of_the_wrong_shape_point_into_the_item() {
        let bad = "{\"id\":\"/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/bad\",\"type\":\"microsoft.network/networksecuritygroups\",\n  \"properties\":{\"securityRules\":[{\"name\":\"x\",\n  \"properties\":42}]}}";
        let text = format!("[{bad},\n{STORAGE}]");
        let s = scan(&[("w.json", &text)], &["w.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1, "{:?}", summary.problems);
        let e = &summary.problems[0].error;
        assert_eq!(e.line, Some(3), "{e}");
        assert!(
            e.message
                .contains("microsoft.network/networksecuritygroups"),
            "{e}"
        );
        assert!(e.message.contains("`properties`"), "{e}");
        // The storage account and the two subscriptions seen.
        assert_eq!(summary.resources, 3);
    }

    #[test]
    fn other_clouds_and_formats_are_unsupported_and_say_what_they_are() {
        let aws = r#"{"fileVersion":"1.0","configSnapshotId":"abc","configurationItems":[{"resourceType":"AWS::S3::Bucket","resourceId":"b"}]}"#;
        let s = scan(&[("snap.json", aws)], &["snap.json"]);
        match &s.result {
            Err(ScanError::UnsupportedFormat(e)) => {
                assert_eq!(e.file, "snap.json");
                assert!(e.message.contains("AWS Config snapshot"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let gcp = r#"{"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket","resource":{"data":{}}}"#;
        let s = scan(
            &[("cai.json", gcp), ("a.json", NSG_OPEN)],
            &["cai.json", "a.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems[0].kind.as_str(), "unsupported-format");
        assert!(summary.problems[0].error.message.contains("gcp plugin"));
        let table = r#"{"totalRecords":1,"count":1,"data":{"columns":[{"name":"id","type":"string"}],"rows":[["/subscriptions/x"]]},"facets":[],"resultTruncated":"false"}"#;
        let s = scan(&[("t.json", table)], &["t.json"]);
        match &s.result {
            Err(ScanError::UnsupportedFormat(e)) => {
                assert!(e.message.contains("objectArray"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        let projected = r#"[{"name":"vm1","location":"westeurope"}]"#;
        let s = scan(&[("p.json", projected)], &["p.json"]);
        match &s.result {
            Err(ScanError::UnsupportedFormat(e)) => {
                assert!(e.message.contains("keys: location, name"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        for (name, text) in [
            ("x.csv", "name,type\na,b\n"),
            ("strings.json", "[\"a\",\"b\"]"),
        ] {
            let s = scan(&[(name, text)], &[name]);
            assert!(
                matches!(s.result, Err(ScanError::UnsupportedFormat(_))),
                "{name}: {:?}",
                s.result
            );
        }
    }

    #[test]
    fn declared_formats_and_archives() {
        let d = dir(&[("rg.json", NSG_OPEN)]);
        let mut request = testing::request(&d.to_string_lossy(), &["rg.json"], NOW);
        request.inputs = vec![Input {
            path: "rg.json".into(),
            format: Some("azure-resource-graph".into()),
        }];
        assert!(testing::scan::<Azure>(&request).result.is_ok());
        request.inputs[0].format = Some("aws-config-snapshot".into());
        assert!(matches!(
            testing::scan::<Azure>(&request).result,
            Err(ScanError::UnsupportedFormat(_))
        ));
        std::fs::write(d.join("rg.json.gz"), [0x1f, 0x8b, 8, 0, 0]).unwrap();
        let gz = testing::request(&d.to_string_lossy(), &["rg.json.gz"], NOW);
        match testing::scan::<Azure>(&gz).result {
            Err(ScanError::UnsupportedFormat(e)) => assert!(e.message.contains("gzip"), "{e}"),
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn joins_work_across_files_in_any_order() {
        let sub = "33333333-2222-3333-4444-555555555555";
        let vm = format!(
            r#"{{"id":"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/dev-box","name":"dev-box","type":"microsoft.compute/virtualmachines","location":"westeurope","subscriptionId":"{sub}","tags":{{"Environment":"Test"}},
            "properties":{{"timeCreated":"2025-02-01T08:00:00.0000000+00:00","osProfile":{{"adminUsername":"u","linuxConfiguration":{{"disablePasswordAuthentication":true,"patchSettings":{{"patchMode":"AutomaticByPlatform"}}}}}},
            "networkProfile":{{"networkInterfaces":[{{"id":"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/dev-box-nic"}}]}},
            "extended":{{"instanceView":{{"powerState":{{"code":"PowerState/running"}},"osName":"ubuntu","osVersion":"22.04"}}}}}}}}"#
        );
        let nic = format!(
            r#"{{"id":"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/dev-box-nic","name":"dev-box-nic","type":"microsoft.network/networkinterfaces","properties":{{"ipConfigurations":[{{"name":"ipconfig1","properties":{{"publicIPAddress":{{"id":"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/dev-box-ip"}}}}}}]}}}}"#
        );
        let ip = format!(
            r#"{{"id":"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/dev-box-ip","name":"dev-box-ip","type":"microsoft.network/publicipaddresses","properties":{{"ipAddress":"51.105.1.2"}}}}"#
        );
        let sub_row = format!(
            r#"{{"id":"/subscriptions/{sub}","name":"Dev subscription","type":"microsoft.resources/subscriptions","subscriptionId":"{sub}","properties":{{"state":"Enabled"}}}}"#
        );
        let mfa = format!(
            r#"{{"id":"/subscriptions/{sub}/providers/Microsoft.Security/assessments/6240402e-f77c-46fa-9060-a7ce53997754","name":"6240402e-f77c-46fa-9060-a7ce53997754","type":"microsoft.security/assessments","subscriptionId":"{sub}","properties":{{"displayName":"Accounts with owner permissions on Azure resources should be MFA enabled","status":{{"code":"Unhealthy"}}}}}}"#
        );
        let owner = format!(
            r#"{{"id":"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/a1","name":"a1","type":"microsoft.authorization/roleassignments","subscriptionId":"{sub}","properties":{{"roleDefinitionId":"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635","principalId":"p1","principalType":"User","scope":"/subscriptions/{sub}"}}}}"#
        );
        let s = scan(
            &[
                ("vms.json", &format!("[{ip},{vm}]")),
                ("net.ndjson", &format!("{nic}\n{sub_row}\n")),
                ("auth.json", &rest(&[&owner, &mfa], "false")),
            ],
            &["vms.json", "net.ndjson", "auth.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        assert_eq!(statuses(&s, vm::STALE_PUBLIC_DEV.id), vec![Status::Fail]);
        assert_eq!(
            statuses(&s, rbac::PRIVILEGED_ROLE_USER.id),
            vec![Status::Fail]
        );
        let mfa = s.of_check(identity::MFA_PRIVILEGED.id).next().unwrap();
        assert_eq!(mfa.status, Status::Fail);
        assert_eq!(mfa.resource.name.as_deref(), Some("Dev subscription"));
        assert_eq!(mfa.resource.id, format!("/subscriptions/{sub}"));
    }

    #[test]
    fn disabled_subscriptions_are_skipped() {
        let row = r#"{"id":"/subscriptions/44444444-2222-3333-4444-555555555555","name":"Closed","type":"microsoft.resources/subscriptions","subscriptionId":"44444444-2222-3333-4444-555555555555","properties":{"state":"Disabled"}}"#;
        let s = scan(&[("rc.json", row)], &["rc.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.skipped, 1);
        assert!(s.findings.is_empty(), "{:?}", s.findings);
    }

    #[test]
    fn an_unreadable_now_is_an_internal_error() {
        let d = dir(&[]);
        let s = testing::scan_dir::<Azure>(&d, &[], "yesterday");
        assert!(matches!(s.result, Err(ScanError::Internal(_))));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// The bundled demo estate: every Azure target scans without gaps, and the failing
    /// (check, resource) pairs are exactly those of `expected-failures-azure.json`.
    #[test]
    fn demo_estate_matches_expected() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
        let targets: toml::Value =
            toml::from_str(&std::fs::read_to_string(root.join("azure-targets.toml")).unwrap())
                .unwrap();
        let expected: BTreeMap<String, Vec<String>> = serde_json::from_str(
            &std::fs::read_to_string(root.join("expected-failures-azure.json")).unwrap(),
        )
        .unwrap();
        let expected: BTreeSet<(String, String)> = expected
            .into_iter()
            .flat_map(|(check, ids)| ids.into_iter().map(move |id| (check.clone(), id)))
            .collect();
        let mut actual = BTreeSet::new();
        let mut passed = BTreeSet::new();
        let mut tenants = BTreeSet::new();
        for target in targets["target"].as_array().unwrap() {
            assert_eq!(target["provider"].as_str(), Some("azure"));
            tenants.insert(target["tenant"].as_str().unwrap().to_string());
            let dir = root.join(target["snapshot"].as_str().unwrap());
            let inputs: Vec<&str> = target["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap())
                .collect();
            let s = testing::scan_dir::<Azure>(&dir, &inputs, NOW);
            let summary = s
                .result
                .as_ref()
                .unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()));
            assert!(
                summary.problems.is_empty(),
                "{}: {:?}",
                dir.display(),
                summary.problems
            );
            for f in &s.findings {
                assert!(
                    !f.resource.id.ends_with("/nwprodoldexports")
                        && !f.resource.id.ends_with("/ch-old-pacs"),
                    "a resource being deleted was evaluated: {f:?}"
                );
                match f.status {
                    Status::Fail => {
                        actual.insert((f.check_id.clone(), f.resource.id.clone()));
                    }
                    Status::Pass => {
                        passed.insert(f.check_id.clone());
                    }
                    _ => {}
                }
            }
        }
        assert_eq!(tenants.len(), 3, "every tenant has an Azure target");
        let missed: Vec<_> = expected.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&expected).collect();
        assert!(
            missed.is_empty() && extra.is_empty(),
            "planted failures not found: {missed:#?}\nclean resources flagged: {extra:#?}"
        );
        for check in checks::CATALOG.defs() {
            assert!(
                expected.iter().any(|(c, _)| c == check.id),
                "no planted failure for {}",
                check.id
            );
            assert!(
                passed.contains(check.id),
                "no passing resource for {}",
                check.id
            );
        }
    }
}
