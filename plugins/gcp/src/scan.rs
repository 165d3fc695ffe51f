//! The GCP plugin's scan: its formats, and what it does with each asset line and directory user.
//!
//! The SDK's driver ([`demarc_sdk::scan`]) opens the inputs, settles their formats, streams them
//! and turns every problem into a positioned one; this module configures it. Cloud Asset
//! Inventory assets are streamed one at a time (NDJSON as `gcloud asset export` writes it, a
//! JSON array as `gcloud asset list --format=json` prints it, or the `{"assets": [...]}`
//! response of `assets.list`), as are the users of an Admin SDK Directory export
//! (`{"users": [...]}`, an array or NDJSON). Each asset is dispatched on its type to the check
//! module of that type; assets of other types are read no further than their envelope. The
//! findings that need other lines are emitted by [`Estate::finish`] at the end.

use demarc_sdk::formats::{Format as Declared, Own, Sniffed};
use demarc_sdk::scan::{Driver, Flow, Opened, Scan, Stream, field_error, position};
use demarc_sdk::stream::Item;
use demarc_sdk::time::Timestamp;
use demarc_sdk::{Finding, InputError, ScanError};
use serde::Deserialize;

use crate::asset::{Asset, Kind};
use crate::checks::{
    self, Context, compute, firewall, functions, governance, iam, identity, kms, logging,
    service_account, sql, storage,
};
use crate::estate::Estate;
use crate::format::{self, Format};
use crate::iam::{AuditCoverage, Policy};
use crate::json::{FieldError, Labels, Text, parse_part};

/// How an `assets.list` response (or an asset array or NDJSON) is streamed.
const ASSETS: Stream<'static> = Stream {
    key: "assets",
    empty: "no Cloud Asset Inventory assets",
    not_an_array: None,
};
/// How a Directory API `users.list` response is streamed.
const USERS: Stream<'static> = Stream {
    key: "users",
    empty: "no directory users",
    not_an_array: None,
};

/// One scan of the GCP plugin.
pub struct GcpScan {
    ctx: Context,
    estate: Estate,
}

impl Driver for GcpScan {
    type Format = Format;
    const OWN: Own = format::OWN;
    const FORMATS: &'static [Declared<Format>] = &format::FORMATS;
    const NOT_OURS: &'static str = "not a Google Cloud export this plugin reads: it is ";

    fn sniff(body: &[u8]) -> Sniffed<Format> {
        format::sniff(body)
    }

    fn start(now: Timestamp) -> Self {
        GcpScan {
            ctx: Context { now },
            estate: Estate::default(),
        }
    }

    fn read(
        &mut self,
        scan: &mut Scan<'_, '_>,
        input: Opened<'_>,
        format: Format,
    ) -> Result<(), ScanError> {
        match format {
            Format::AssetInventory => self.assets(scan, input),
            Format::Directory => self.directory(scan, input),
        }
    }

    fn finish(self, scan: &mut Scan<'_, '_>) -> Result<(), ScanError> {
        let GcpScan { ctx, estate } = self;
        let resources = estate.finish(&ctx, |finding| scan.emit([finding]))?;
        scan.resources(resources);
        Ok(())
    }
}

/// What one asset line produced.
enum Outcome {
    /// Findings (possibly none) of an evaluated resource.
    Evaluated(Vec<Finding>),
    /// Findings of a line that only completed a join or fed the estate.
    Joined(Vec<Finding>),
    /// A deleted asset.
    Skipped,
}

impl GcpScan {
    /// Stream the assets of one input.
    fn assets(&mut self, scan: &mut Scan<'_, '_>, input: Opened<'_>) -> Result<(), ScanError> {
        let file = input.name;
        let mut recognised = false;
        let mut legacy = false;
        let items = scan.json_items(file, input.reader, ASSETS, |scan, item, text| {
            let outer: Asset<'_> = match serde_json::from_str(text) {
                Ok(parsed) => parsed,
                Err(e) => {
                    if !recognised && item.bytes.trim_ascii_start().first() != Some(&b'{') {
                        return foreign(scan, file, item);
                    }
                    scan.item_parse_error(file, item, &e);
                    return Ok(Flow::Next);
                }
            };
            // A TemporalAsset (feeds, get-history): the asset is inside.
            let asset = match outer.temporal() {
                None => outer,
                Some(_) if outer.deleted.is_true() => {
                    recognised = true;
                    scan.skipped();
                    return Ok(Flow::Next);
                }
                Some(Ok(inner)) => inner,
                Some(Err(e)) => {
                    let offset = outer.asset.map_or(0, |raw| {
                        (raw.get().as_ptr() as usize).saturating_sub(item.bytes.as_ptr() as usize)
                    });
                    let (line, column) = position(item, offset);
                    let e = e.to_string();
                    let e = e.rfind(" at line ").map_or(e.as_str(), |i| &e[..i]);
                    scan.item_problem(InputError::at(
                        file,
                        line,
                        column,
                        format!(
                            "item {}: the `asset` of a temporal asset is not an asset: {e}",
                            item.index
                        ),
                    ));
                    return Ok(Flow::Next);
                }
            };
            if asset.type_name().is_empty() {
                if !recognised {
                    return foreign(scan, file, item);
                }
                scan.item_problem(InputError::at(
                    file,
                    item.line,
                    item.column,
                    format!(
                        "item {}: an asset without `asset_type`{}",
                        item.index,
                        asset
                            .name
                            .non_empty()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    ),
                ));
                return Ok(Flow::Next);
            }
            recognised = true;
            legacy |= Kind::is_legacy_name(asset.type_name());
            match self.evaluate(&asset) {
                Ok(Outcome::Evaluated(findings)) => {
                    scan.resources(1);
                    scan.emit(findings)?;
                }
                Ok(Outcome::Joined(findings)) => scan.emit(findings)?,
                Ok(Outcome::Skipped) => scan.skipped(),
                Err(e) => {
                    let what = format_args!("{} {}", asset.type_name(), asset.id());
                    scan.item_problem(field_error(file, item, &e, what, "Cloud Asset Inventory"));
                }
            }
            Ok(Flow::Next)
        })?;
        if let Some(items) = items {
            demarc_sdk::log::debug(&format!(
                "{file}: read {} ({:?} layout{})",
                checks::count(items.count(), "asset", "assets"),
                items.layout(),
                if legacy {
                    ", legacy asset type names"
                } else {
                    ""
                }
            ));
        }
        Ok(())
    }

    /// Evaluate one asset line: its resource content, its IAM policy content, or both.
    fn evaluate<'a>(&mut self, asset: &Asset<'a>) -> Result<Outcome, FieldError<'a>> {
        let kind = Kind::of(asset.type_name());
        self.estate
            .saw_ancestors(asset.ancestors.iter().filter_map(Text::non_empty));
        if !asset.has_resource() && asset.iam_policy.is_none() {
            let findings = checks::unrecorded(&asset.subject(kind, Labels::default()));
            return Ok(if findings.is_empty() {
                Outcome::Joined(findings)
            } else {
                Outcome::Evaluated(findings)
            });
        }
        let ctx = self.ctx;
        let mut findings = Vec::new();
        let mut evaluated = false;
        if asset.has_resource() {
            evaluated = true;
            match kind {
                Kind::Bucket => {
                    let e = storage::evaluate(asset)?;
                    findings = e.findings;
                    if let Some(name) = e.subject.name.as_deref() {
                        self.estate.bucket_retention(name, e.retention);
                    }
                    findings.extend(self.estate.bucket_resource(
                        asset.id(),
                        e.subject.into_owned(),
                        e.access,
                    ));
                }
                Kind::Instance => {
                    let project = compute::compute_project_id(asset.id())
                        .and_then(|p| self.estate.compute_project_metadata(p));
                    let outcome = compute::evaluate(asset, &ctx, project, self.estate.disks())?;
                    findings = outcome.findings;
                    if let Some(pending) = outcome.pending {
                        self.estate.pending_instance(pending);
                    }
                }
                Kind::Firewall => findings = firewall::evaluate(asset)?,
                Kind::SqlInstance => findings = sql::evaluate(asset)?,
                Kind::CryptoKey => findings = kms::evaluate(asset, &ctx)?,
                Kind::ServiceAccountKey => findings = service_account::evaluate(asset, &ctx)?,
                Kind::FunctionV1 | Kind::FunctionV2 => {
                    findings = functions::evaluate(asset, kind, &ctx)?;
                }
                Kind::RunService => findings = run_service(asset)?,
                Kind::LogSink => match logging::sink(asset)? {
                    Ok(finding) => findings.push(finding),
                    Err(record) => self.estate.log_sink(record),
                },
                Kind::Project => {
                    if !self.project_resource(asset)? {
                        return Ok(Outcome::Skipped);
                    }
                }
                Kind::ComputeProject => {
                    evaluated = false;
                    if let Some((id, meta)) = compute::project_metadata(asset)? {
                        self.estate.compute_project(id, meta);
                    }
                }
                Kind::Disk => {
                    evaluated = false;
                    if let Some((key, image)) = compute::disk_image(asset)? {
                        self.estate.disk(key, image);
                    }
                }
                Kind::Folder | Kind::Organization | Kind::KeyRing | Kind::Other => {
                    evaluated = false;
                }
            }
        }
        if let Some(raw) = asset.iam_policy {
            let policy: Policy<'a> = parse_part(Some(raw), "iam_policy")?.unwrap_or_default();
            match kind {
                Kind::Bucket => {
                    let members = storage::public_members(&policy);
                    findings.extend(self.estate.bucket_iam(
                        asset.id(),
                        || asset.subject(Kind::Bucket, Labels::default()).into_owned(),
                        members,
                    ));
                }
                Kind::Project => {
                    // Evaluated at the end, with the project id and labels of its resource line.
                    let number = project_number(asset);
                    self.estate
                        .project_iam(&number, AuditCoverage::of(&policy), raw.get());
                }
                Kind::Folder | Kind::Organization => {
                    let subject = asset.subject(kind, Labels::default());
                    findings.extend(iam::evaluate_policy(&subject, kind, &policy));
                    if let Some(key) = hierarchy_key(asset.id()) {
                        self.estate.hierarchy_iam(key, AuditCoverage::of(&policy));
                    }
                    evaluated = true;
                }
                Kind::CryptoKey | Kind::KeyRing => {
                    let subject = asset.subject(kind, Labels::default());
                    findings.extend(iam::evaluate_policy(&subject, kind, &policy));
                    evaluated |= kind == Kind::KeyRing;
                }
                _ => {
                    findings.push(iam::public_principal_of(asset, kind, &policy));
                    // Types whose resource lines are not evaluated count through this line.
                    evaluated |= matches!(kind, Kind::Other | Kind::Disk | Kind::ComputeProject);
                }
            }
        }
        Ok(if evaluated {
            Outcome::Evaluated(findings)
        } else {
            Outcome::Joined(findings)
        })
    }

    /// Record a project's resource line; `false` when the project is being deleted.
    fn project_resource<'a>(&mut self, asset: &Asset<'a>) -> Result<bool, FieldError<'a>> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct ProjectData<'a> {
            #[serde(borrow, default)]
            project_id: Text<'a>,
            #[serde(borrow, default)]
            lifecycle_state: Text<'a>,
            #[serde(borrow, default)]
            state: Text<'a>,
            #[serde(borrow, default)]
            labels: Labels<'a>,
        }
        let data: ProjectData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
        let deleted = [&data.lifecycle_state, &data.state].iter().any(|s| {
            s.eq_ignore_case("DELETE_REQUESTED") || s.eq_ignore_case("DELETE_IN_PROGRESS")
        });
        let mut subject = asset.subject(Kind::Project, data.labels.clone());
        if let Some(id) = data.project_id.non_empty() {
            subject.name = Some(id.to_string().into());
        }
        self.estate
            .project_resource(&project_number(asset), subject.into_owned(), deleted);
        Ok(!deleted)
    }

    /// Stream the users of an Admin SDK Directory export.
    fn directory(&mut self, scan: &mut Scan<'_, '_>, input: Opened<'_>) -> Result<(), ScanError> {
        let file = input.name;
        let mut recognised = false;
        scan.json_items(file, input.reader, USERS, |scan, item, text| {
            let user: identity::DirectoryUser<'_> = match serde_json::from_str(text) {
                Ok(user) => user,
                Err(e) => {
                    scan.item_parse_error(file, item, &e);
                    return Ok(Flow::Next);
                }
            };
            if !user.is_user() {
                if !recognised {
                    scan.unsupported(
                        file,
                        "valid JSON but not an Admin SDK Directory user list: its first user has no `primaryEmail`".to_string(),
                    )?;
                    return Ok(Flow::Stop);
                }
                scan.item_problem(InputError::at(
                    file,
                    item.line,
                    item.column,
                    format!("item {}: a directory user without `primaryEmail`", item.index),
                ));
                return Ok(Flow::Next);
            }
            if !recognised {
                recognised = true;
                self.estate.directory_read();
            }
            scan.resources(1);
            scan.emit([
                identity::user_finding(&user, None),
                identity::stale_finding(&user, self.ctx.now, None),
            ])?;
            Ok(Flow::Next)
        })?;
        Ok(())
    }
}

/// A JSON file whose first item is not a Cloud Asset Inventory asset.
fn foreign(scan: &mut Scan<'_, '_>, file: &str, item: &Item<'_>) -> Result<Flow, ScanError> {
    let what = format::describe_foreign(item.bytes);
    scan.unsupported(
        file,
        format!("valid JSON but not a Cloud Asset Inventory export: it looks like {what}"),
    )?;
    Ok(Flow::Stop)
}

/// Findings of a Cloud Run service: ownership only (Cloud Run is PaaS: Google runs the OS).
fn run_service<'a>(asset: &Asset<'a>) -> Result<Vec<Finding>, FieldError<'a>> {
    #[derive(Deserialize, Default)]
    struct ServiceData<'a> {
        #[serde(borrow, default)]
        metadata: Option<ServiceMetadata<'a>>,
        #[serde(borrow, default)]
        labels: Labels<'a>,
    }
    #[derive(Deserialize, Default)]
    struct ServiceMetadata<'a> {
        #[serde(borrow, default)]
        labels: Labels<'a>,
    }
    let data: ServiceData<'a> = parse_part(asset.data(), "resource.data")?.unwrap_or_default();
    let labels = match data.metadata {
        Some(m) if !m.labels.0.is_empty() => m.labels,
        _ => data.labels,
    };
    let subject = asset.subject(Kind::RunService, labels);
    Ok(vec![governance::owner_label(&subject)])
}

/// The number of a project asset: from `ancestors`, else its name.
fn project_number(asset: &Asset<'_>) -> String {
    asset
        .project_number()
        .map(str::to_string)
        .or_else(|| {
            asset
                .id()
                .rsplit_once("projects/")
                .map(|(_, n)| n.trim_end_matches('/').to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// `folders/N` or `organizations/N` from a folder's or organization's resource name.
fn hierarchy_key(name: &str) -> Option<&str> {
    ["folders/", "organizations/"]
        .iter()
        .find_map(|scope| name.find(scope).map(|i| &name[i..]))
        .map(|k| k.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use demarc_sdk::testing::{self, NativeScan};
    use demarc_sdk::{Input, Provider, ScanError, Status};

    use crate::Gcp;
    use crate::checks::{self, compute, firewall, iam, identity, storage};

    const NOW: &str = "2026-11-01T00:00:00Z";

    fn dir(files: &[(&str, &str)]) -> PathBuf {
        testing::temp_dir(files)
    }

    fn scan(files: &[(&str, &str)], inputs: &[&str]) -> NativeScan {
        testing::scan_inputs::<Gcp>(files, inputs, NOW)
    }

    fn statuses(scan: &NativeScan, check: &str) -> Vec<Status> {
        scan.of_check(check).map(|f| f.status).collect()
    }

    fn by_check(scan: &NativeScan) -> BTreeMap<String, Vec<(String, Status)>> {
        let mut out: BTreeMap<String, Vec<(String, Status)>> = BTreeMap::new();
        for f in &scan.findings {
            out.entry(f.check_id.clone())
                .or_default()
                .push((f.resource.id.clone(), f.status));
        }
        for v in out.values_mut() {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        out
    }

    const FIREWALL: &str = r#"{"name":"//compute.googleapis.com/projects/nw-prod/global/firewalls/default-allow-ssh","asset_type":"compute.googleapis.com/Firewall","resource":{"version":"v1","discovery_document_uri":"https://www.googleapis.com/discovery/v1/apis/compute/v1/rest","discovery_name":"Firewall","parent":"//cloudresourcemanager.googleapis.com/projects/418203957711","data":{"name":"default-allow-ssh","direction":"INGRESS","sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"tcp","ports":["22"]}]},"location":"global"},"ancestors":["projects/418203957711","organizations/5581920374"],"update_time":"2026-10-30T07:12:40.551234Z"}"#;
    const BUCKET: &str = r#"{"name":"//storage.googleapis.com/nw-assets","asset_type":"storage.googleapis.com/Bucket","resource":{"version":"v1","parent":"//cloudresourcemanager.googleapis.com/projects/418203957711","data":{"name":"nw-assets","iamConfiguration":{"uniformBucketLevelAccess":{"enabled":true},"publicAccessPrevention":"inherited"},"labels":{"owner":"web"}},"location":"eu"},"ancestors":["projects/418203957711","organizations/5581920374"],"update_time":"2026-10-30T07:12:40Z"}"#;
    const BUCKET_IAM: &str = r#"{"name":"//storage.googleapis.com/nw-assets","asset_type":"storage.googleapis.com/Bucket","iam_policy":{"version":1,"bindings":[{"role":"roles/storage.objectViewer","members":["allUsers"]}],"etag":"BwX1"},"ancestors":["projects/418203957711","organizations/5581920374"],"update_time":"2026-10-30T07:12:40Z"}"#;
    const NETWORK: &str = r#"{"name":"//compute.googleapis.com/projects/nw-prod/global/networks/default","asset_type":"compute.googleapis.com/Network","resource":{"data":{"name":"default","autoCreateSubnetworks":true,"deeply":{"nested":[1,{"x":"y"}]}},"location":"global"},"ancestors":["projects/418203957711","organizations/5581920374"]}"#;

    #[test]
    fn describe_lists_every_check() {
        let info = Gcp::info();
        assert_eq!(info.name, "gcp");
        assert_eq!(info.provider, "gcp");
        assert_eq!(info.contract_version, demarc_sdk::CONTRACT_VERSION);
        assert_eq!(info.checks.len(), 32);
        assert_eq!(info.checks.len(), checks::ALL.len());
    }

    #[test]
    fn ndjson_array_and_wrapper_layouts_give_the_same_findings() {
        let items = [FIREWALL, BUCKET, NETWORK, BUCKET_IAM];
        let layouts = [
            items.join("\n"),
            format!("[\n{}\n]", items.join(",\n")),
            format!(
                "{{\"readTime\":\"2026-10-30T08:00:00Z\",\"assets\":[{}],\"nextPageToken\":\"\"}}",
                items.join(",")
            ),
        ];
        let mut results = Vec::new();
        for text in &layouts {
            let s = scan(&[("assets.json", text)], &["assets.json"]);
            let summary = s.result.as_ref().expect("scan succeeds");
            assert!(summary.problems.is_empty(), "{:?}", summary.problems);
            assert_eq!(
                summary.resources, 3,
                "firewall, bucket, project 418203957711"
            );
            results.push(by_check(&s));
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0], results[2]);
        let first = &results[0];
        assert_eq!(first[firewall::ADMIN_PORT_OPEN.id][0].1, Status::Fail);
        assert_eq!(first[storage::PUBLIC_ACCESS.id][0].1, Status::Fail);
        // The project seen only in ancestors: manual audit logging and 2SV.
        assert_eq!(first[iam::AUDIT_LOGGING.id][0].1, Status::Manual);
        assert_eq!(
            first[identity::TWO_STEP_VERIFICATION.id][0].0,
            "//cloudresourcemanager.googleapis.com/projects/418203957711"
        );
    }

    /// The IAM-policy line of `asset_type` named `name`, granting `role` to `member`.
    fn iam_line(asset_type: &str, name: &str, role: &str, member: &str) -> String {
        format!(
            r#"{{"name":"{name}","asset_type":"{asset_type}","iam_policy":{{"version":1,"bindings":[{{"role":"{role}","members":["{member}"]}}],"etag":"BwYx"}},"ancestors":["projects/418203957711","organizations/5581920374"],"update_time":"2026-10-30T07:12:40Z"}}"#
        )
    }

    #[test]
    fn public_principals_fail_on_the_iam_policy_of_any_asset_type() {
        let public = [
            (
                "bigquery.googleapis.com/Dataset",
                "//bigquery.googleapis.com/projects/nw-prod/datasets/sales",
                "roles/bigquery.dataViewer",
                "allAuthenticatedUsers",
            ),
            (
                "pubsub.googleapis.com/Topic",
                "//pubsub.googleapis.com/projects/nw-prod/topics/orders",
                "roles/pubsub.publisher",
                "allUsers",
            ),
            (
                "pubsub.googleapis.com/Subscription",
                "//pubsub.googleapis.com/projects/nw-prod/subscriptions/orders-sub",
                "roles/pubsub.subscriber",
                "allUsers",
            ),
            (
                "cloudfunctions.googleapis.com/CloudFunction",
                "//cloudfunctions.googleapis.com/projects/nw-prod/locations/europe-west1/functions/hook",
                "roles/cloudfunctions.invoker",
                "allUsers",
            ),
            (
                "run.googleapis.com/Service",
                "//run.googleapis.com/projects/nw-prod/locations/europe-west1/services/api",
                "roles/run.invoker",
                "allUsers",
            ),
            (
                "secretmanager.googleapis.com/Secret",
                "//secretmanager.googleapis.com/projects/418203957711/secrets/db-password",
                "roles/secretmanager.secretAccessor",
                "allAuthenticatedUsers",
            ),
            (
                "iam.googleapis.com/ServiceAccount",
                "//iam.googleapis.com/projects/nw-prod/serviceAccounts/deployer@nw-prod.iam.gserviceaccount.com",
                "roles/iam.serviceAccountTokenCreator",
                "allUsers",
            ),
            (
                "artifactregistry.googleapis.com/Repository",
                "//artifactregistry.googleapis.com/projects/nw-prod/locations/europe/repositories/images",
                "roles/artifactregistry.reader",
                "allUsers",
            ),
            // A type the plugin has no name for is judged too, under the type its line names.
            (
                "spanner.googleapis.com/Instance",
                "//spanner.googleapis.com/projects/nw-prod/instances/ledger",
                "roles/spanner.databaseReader",
                "allUsers",
            ),
        ];
        let mut lines: Vec<String> = public
            .iter()
            .map(|(t, n, r, m)| iam_line(t, n, r, m))
            .collect();
        lines.push(iam_line(
            "pubsub.googleapis.com/Topic",
            "//pubsub.googleapis.com/projects/nw-prod/topics/internal",
            "roles/pubsub.publisher",
            "serviceAccount:orders@nw-prod.iam.gserviceaccount.com",
        ));
        let text = lines.join("\n");
        let s = scan(&[("iam.json", &text)], &["iam.json"]);
        let summary = s.result.as_ref().expect("scan succeeds");
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        // The project itself has no IAM-policy line in this export: undecided, not a pass.
        let (project, findings): (Vec<_>, Vec<_>) = s
            .of_check(iam::PUBLIC_PRINCIPAL.id)
            .partition(|f| f.resource.native_type == "cloudresourcemanager.googleapis.com/Project");
        assert!(
            project.iter().all(|f| f.status == Status::Manual),
            "{project:?}"
        );
        assert_eq!(findings.len(), public.len() + 1);
        for (asset_type, name, role, member) in public {
            let f = findings
                .iter()
                .find(|f| f.resource.id == name)
                .unwrap_or_else(|| panic!("no finding for {name}"));
            assert_eq!(f.status, Status::Fail, "{name}");
            assert_eq!(f.resource.native_type, asset_type);
            assert!(
                f.message.contains(&format!("{role} to {member}")),
                "{}",
                f.message
            );
        }
        let internal = findings
            .iter()
            .find(|f| f.resource.id.ends_with("/topics/internal"))
            .unwrap();
        assert_eq!(internal.status, Status::Pass);
        assert!(
            internal
                .message
                .starts_with("Pub/Sub topic internal grants nothing")
        );
    }

    #[test]
    fn json_names_and_legacy_types_read_like_the_export() {
        let camel = r#"[{"name":"//compute.googleapis.com/projects/nw-prod/global/firewalls/default-allow-ssh","assetType":"google.compute.Firewall","resource":{"version":"v1","discoveryDocumentUri":"https://www.googleapis.com/discovery/v1/apis/compute/v1/rest","discoveryName":"Firewall","parent":"//cloudresourcemanager.googleapis.com/projects/418203957711","data":{"name":"default-allow-ssh","direction":"INGRESS","sourceRanges":["0.0.0.0/0"],"allowed":[{"ipProtocol":"tcp","ports":["22"]}]},"location":"global"},"ancestors":["projects/418203957711","organizations/5581920374"],"updateTime":"2026-10-30T07:12:40.551234Z"}]"#;
        let a = scan(&[("a.json", camel)], &["a.json"]);
        let b = scan(&[("b.json", FIREWALL)], &["b.json"]);
        assert_eq!(by_check(&a), by_check(&b));
        let fw = a.of_check(firewall::ADMIN_PORT_OPEN.id).next().unwrap();
        assert_eq!(fw.resource.native_type, "compute.googleapis.com/Firewall");
        assert_eq!(fw.account, "418203957711");
        assert_eq!(fw.region, "global");
        assert_eq!(fw.resource.name.as_deref(), Some("default-allow-ssh"));
        assert_eq!(
            fw.observed_at.as_deref(),
            Some("2026-10-30T07:12:40.551234Z")
        );
        for f in &a.findings {
            assert!(
                checks::ALL.iter().any(|c| c.id == f.check_id),
                "undeclared {}",
                f.check_id
            );
        }
    }

    #[test]
    fn resource_and_iam_lines_join_across_files_in_any_order() {
        let project = r#"{"name":"//cloudresourcemanager.googleapis.com/projects/418203957711","asset_type":"cloudresourcemanager.googleapis.com/Project","resource":{"data":{"projectNumber":"418203957711","projectId":"nw-retail-prod","lifecycleState":"ACTIVE","labels":{"owner":"platform"}}},"ancestors":["projects/418203957711","organizations/5581920374"]}"#;
        let project_iam = r#"{"name":"//cloudresourcemanager.googleapis.com/projects/418203957711","asset_type":"cloudresourcemanager.googleapis.com/Project","iam_policy":{"bindings":[{"role":"roles/owner","members":["user:dana@northwind-traders.com"]}],"audit_configs":[{"service":"allServices","audit_log_configs":[{"log_type":"ADMIN_READ"}]}]},"ancestors":["projects/418203957711","organizations/5581920374"]}"#;
        let org_iam = r#"{"name":"//cloudresourcemanager.googleapis.com/organizations/5581920374","asset_type":"cloudresourcemanager.googleapis.com/Organization","iam_policy":{"bindings":[{"role":"roles/resourcemanager.organizationAdmin","members":["group:gcp-admins@northwind-traders.com"]}],"auditConfigs":[{"service":"allServices","auditLogConfigs":[{"logType":"DATA_READ"},{"logType":"DATA_WRITE"}]}]},"ancestors":["organizations/5581920374"]}"#;
        let iam_file = format!("{BUCKET_IAM}\n{project_iam}\n{org_iam}\n");
        let resource_file = format!("{BUCKET}\n{project}\n");
        for order in [["iam.json", "resource.json"], ["resource.json", "iam.json"]] {
            let s = scan(
                &[("iam.json", &iam_file), ("resource.json", &resource_file)],
                &order,
            );
            let summary = s.result.as_ref().unwrap();
            assert!(summary.problems.is_empty(), "{:?}", summary.problems);
            assert_eq!(statuses(&s, storage::PUBLIC_ACCESS.id), vec![Status::Fail]);
            // Org and project together turn on all three log types.
            let audit: Vec<_> = s.of_check(iam::AUDIT_LOGGING.id).collect();
            assert_eq!(audit.len(), 1);
            assert_eq!(audit[0].status, Status::Pass, "{}", audit[0].message);
            assert_eq!(audit[0].resource.name.as_deref(), Some("nw-retail-prod"));
            let owners: Vec<_> = s
                .of_check(iam::PRIMITIVE_ROLE_HUMAN.id)
                .map(|f| (f.resource.native_type.as_str(), f.status))
                .collect();
            assert!(
                owners.contains(&("cloudresourcemanager.googleapis.com/Project", Status::Fail))
            );
            assert!(owners.contains(&(
                "cloudresourcemanager.googleapis.com/Organization",
                Status::Pass
            )));
        }
    }

    #[test]
    fn instances_wait_for_their_project_metadata_and_boot_disk() {
        let instance = r#"{"name":"//compute.googleapis.com/projects/nw-prod/zones/europe-west1-b/instances/web-1","asset_type":"compute.googleapis.com/Instance","resource":{"data":{"name":"web-1","status":"RUNNING","labels":{"owner":"web"},"disks":[{"boot":true,"source":"https://www.googleapis.com/compute/v1/projects/nw-prod/zones/europe-west1-b/disks/web-1"}],"shieldedInstanceConfig":{"enableVtpm":true,"enableIntegrityMonitoring":true}},"location":"europe-west1-b"},"ancestors":["projects/418203957711"]}"#;
        let project = r#"{"name":"//compute.googleapis.com/projects/nw-prod","asset_type":"compute.googleapis.com/Project","resource":{"data":{"name":"nw-prod","commonInstanceMetadata":{"items":[{"key":"enable-oslogin","value":"TRUE"}]}},"location":"global"},"ancestors":["projects/418203957711"]}"#;
        let disk = r#"{"name":"//compute.googleapis.com/projects/nw-prod/zones/europe-west1-b/disks/web-1","asset_type":"compute.googleapis.com/Disk","resource":{"data":{"name":"web-1","sourceImage":"https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-10-buster-v20240312"},"location":"europe-west1-b"},"ancestors":["projects/418203957711"]}"#;
        let s = scan(
            &[("a.json", &format!("{instance}\n{project}\n{disk}"))],
            &["a.json"],
        );
        s.result.as_ref().unwrap();
        assert_eq!(statuses(&s, compute::OS_LOGIN.id), vec![Status::Pass]);
        assert_eq!(
            statuses(&s, compute::PROJECT_SSH_KEYS.id),
            vec![Status::Pass]
        );
        assert_eq!(statuses(&s, compute::SERIAL_PORT.id), vec![Status::Pass]);
        assert_eq!(statuses(&s, compute::OS_IMAGE_EOL.id), vec![Status::Fail]);
        // Without them: manual, naming the missing asset.
        let s = scan(&[("a.json", instance)], &["a.json"]);
        assert_eq!(statuses(&s, compute::OS_LOGIN.id), vec![Status::Manual]);
        assert_eq!(statuses(&s, compute::OS_IMAGE_EOL.id), vec![Status::Manual]);
    }

    #[test]
    fn log_sinks_join_legacy_named_buckets_across_files_and_ignore_deleted_ones() {
        let sink = |name: &str, destination: &str| {
            format!(
                r#"{{"name":"//logging.googleapis.com/projects/418203957711/sinks/{name}","asset_type":"logging.googleapis.com/LogSink","resource":{{"version":"v2","discovery_document_uri":"https://logging.googleapis.com/$discovery/rest","discovery_name":"LogSink","parent":"//cloudresourcemanager.googleapis.com/projects/418203957711","data":{{"name":"{name}","destination":"{destination}","writerIdentity":"serviceAccount:service-418203957711@gcp-sa-logging.iam.gserviceaccount.com"}},"location":"global"}},"ancestors":["projects/418203957711","organizations/5581920374"],"update_time":"2026-10-30T07:12:40Z"}}"#
            )
        };
        let bucket = |name: &str, policy: &str| {
            format!(
                r#"{{"name":"//storage.googleapis.com/{name}","asset_type":"google.cloud.storage.Bucket","resource":{{"data":{{"name":"{name}","retentionPolicy":{policy},"labels":{{"owner":"secops"}}}},"location":"eu"}},"ancestors":["projects/418203957711"]}}"#
            )
        };
        let sinks = [
            sink("locked", "storage.googleapis.com/nw-audit-locked"),
            sink("unlocked", "storage.googleapis.com/nw-audit-open"),
            sink("gone", "storage.googleapis.com/nw-audit-gone"),
            sink(
                "to-bq",
                "bigquery.googleapis.com/projects/nw-retail-prod/datasets/audit",
            ),
        ]
        .join("\n");
        let deleted = format!(
            r#"{{"window":{{"startTime":"2026-10-01T00:00:00Z"}},"deleted":true,"asset":{}}}"#,
            bucket(
                "nw-audit-gone",
                r#"{"retentionPeriod":"86400","isLocked":true}"#
            )
        );
        let buckets = [
            bucket(
                "nw-audit-locked",
                r#"{"retentionPeriod":"34560000","isLocked":"true"}"#,
            ),
            bucket(
                "nw-audit-open",
                r#"{"retentionPeriod":"34560000","isLocked":false}"#,
            ),
            deleted,
        ]
        .join("\n");
        for order in [["s.json", "b.json"], ["b.json", "s.json"]] {
            let s = scan(&[("s.json", &sinks), ("b.json", &buckets)], &order);
            let summary = s.result.as_ref().unwrap();
            assert!(summary.problems.is_empty(), "{:?}", summary.problems);
            assert_eq!(summary.skipped, 1);
            let got: BTreeMap<String, Status> = s
                .of_check(checks::logging::SINK_BUCKET_LOCKED.id)
                .map(|f| (f.resource.name.clone().unwrap(), f.status))
                .collect();
            let want: BTreeMap<String, Status> = [
                ("locked", Status::Pass),
                ("unlocked", Status::Fail),
                ("gone", Status::Manual),
                ("to-bq", Status::NotApplicable),
            ]
            .into_iter()
            .map(|(n, st)| (n.to_string(), st))
            .collect();
            assert_eq!(got, want, "{order:?}");
        }
    }

    #[test]
    fn deleted_assets_are_skipped_and_counted() {
        let temporal = format!(
            r#"{{"window":{{"startTime":"2026-10-01T00:00:00Z","endTime":"2026-10-02T00:00:00Z"}},"deleted":true,"asset":{FIREWALL}}}"#
        );
        let live =
            format!(r#"{{"window":{{"startTime":"2026-10-01T00:00:00Z"}},"asset":{BUCKET}}}"#);
        let doomed = r#"{"name":"//cloudresourcemanager.googleapis.com/projects/777","asset_type":"cloudresourcemanager.googleapis.com/Project","resource":{"data":{"projectNumber":"777","projectId":"old-poc","lifecycleState":"DELETE_REQUESTED"}},"ancestors":["projects/777"]}"#;
        let doomed_iam = r#"{"name":"//cloudresourcemanager.googleapis.com/projects/777","asset_type":"cloudresourcemanager.googleapis.com/Project","iam_policy":{"bindings":[{"role":"roles/owner","members":["allUsers"]}]},"ancestors":["projects/777"]}"#;
        let s = scan(
            &[(
                "h.json",
                &format!("{temporal}\n{live}\n{doomed_iam}\n{doomed}\n"),
            )],
            &["h.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.skipped, 2);
        assert_eq!(s.of_check(firewall::ADMIN_PORT_OPEN.id).count(), 0);
        assert_eq!(s.of_check(storage::CMEK.id).count(), 1);
        assert!(
            s.findings
                .iter()
                .all(|f| !f.resource.id.ends_with("/projects/777")),
            "a project being deleted gets no finding"
        );
    }

    #[test]
    fn the_sdk_input_policy_holds_for_this_format() {
        let truncated = format!("[\n{FIREWALL},\n{{\"name\":\"//x\",\"asset_type\":");
        testing::assert_input_policy::<Gcp>(
            testing::PolicyCase {
                file: FIREWALL,
                check: firewall::ADMIN_PORT_OPEN.id,
                truncated: &truncated,
            },
            NOW,
        );
    }

    #[test]
    fn a_malformed_asset_is_a_positioned_problem_and_the_scan_continues() {
        let text = format!(
            "{FIREWALL}\n{{\"name\":\"//storage.googleapis.com/b\",\"asset_type\": \"storage.googleapis.com/Bucket\", \"resource\": {{\"data\": tru}}}}\n{BUCKET}\n{{\"name\":\"//x\"}}\n"
        );
        let s = scan(&[("n.json", &text)], &["n.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 2, "{:?}", summary.problems);
        let p = &summary.problems[0];
        assert_eq!(p.kind.as_str(), "malformed-input");
        assert_eq!(p.error.line, Some(2));
        assert!(
            summary.problems[1]
                .error
                .message
                .contains("without `asset_type` (//x)")
        );
        assert_eq!(summary.problems[1].error.line, Some(4));
        assert_eq!(s.of_check(storage::CMEK.id).count(), 1);
        assert_eq!(s.of_check(firewall::ADMIN_PORT_OPEN.id).count(), 1);
    }

    #[test]
    fn data_of_the_wrong_shape_points_into_the_asset() {
        let bad = "{\"name\":\"//compute.googleapis.com/projects/p/global/firewalls/f\",\"asset_type\":\"compute.googleapis.com/Firewall\",\n  \"resource\":{\"data\":{\"direction\":\"INGRESS\",\n  \"sourceRanges\":\"0.0.0.0/0\"}}}";
        let s = scan(&[("w.json", &format!("{bad}\n{BUCKET}"))], &["w.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1);
        let e = &summary.problems[0].error;
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.column.unwrap() > 3, "{e}");
        assert!(e.message.contains("compute.googleapis.com/Firewall //compute.googleapis.com/projects/p/global/firewalls/f"), "{e}");
        assert!(e.message.contains("`resource.data`"), "{e}");
        assert_eq!(summary.resources, 2, "bucket and its project");
        let iam = "{\"name\":\"//storage.googleapis.com/b\",\"asset_type\":\"storage.googleapis.com/Bucket\",\"iam_policy\":{\"bindings\":{\"role\":\"roles/viewer\",\"members\":\"allUsers\"}}}";
        let s = scan(&[("i.json", &format!("{BUCKET}\n{iam}"))], &["i.json"]);
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1);
        assert!(summary.problems[0].error.message.contains("`iam_policy`"));
    }

    #[test]
    fn other_exports_are_unsupported_and_say_what_they_are() {
        let aws = r#"{"fileVersion":"1.0","configSnapshotId":"abc","configurationItems":[{"configurationItemStatus":"OK","resourceType":"AWS::S3::Bucket","resourceId":"b"}]}"#;
        let s = scan(&[("config.json", aws)], &["config.json"]);
        match &s.result {
            Err(ScanError::UnsupportedFormat(e)) => {
                assert_eq!(e.file, "config.json");
                assert!(e.message.contains("AWS Config snapshot"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let aws_items =
            r#"{"resourceType":"AWS::EC2::Volume","awsRegion":"eu-west-1","resourceId":"vol-1"}"#;
        let rows = r#"[{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v","name":"v","type":"microsoft.compute/virtualmachines","subscriptionId":"s"}]"#;
        let s = scan(
            &[
                ("items.ndjson", aws_items),
                ("rows.json", rows),
                ("ok.json", FIREWALL),
            ],
            &["items.ndjson", "rows.json", "ok.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 2);
        assert!(
            summary
                .problems
                .iter()
                .all(|p| p.kind.as_str() == "unsupported-format")
        );
        assert!(summary.problems[0].error.message.contains("aws plugin"));
        assert!(summary.problems[1].error.message.contains("azure plugin"));
        let csv = scan(&[("x.csv", "user,arn,user_creation_time\n")], &["x.csv"]);
        assert!(
            matches!(csv.result, Err(ScanError::UnsupportedFormat(ref e)) if e.message.contains("credential report"))
        );
    }

    #[test]
    fn declared_formats_and_archives() {
        let d = dir(&[("a.txt", FIREWALL)]);
        let mut request = testing::request(&d.to_string_lossy(), &["a.txt"], NOW);
        request.inputs = vec![Input {
            path: "a.txt".into(),
            format: Some("gcp-cloud-asset-inventory".into()),
        }];
        assert!(testing::scan::<Gcp>(&request).result.is_ok());
        request.inputs[0].format = Some("aws-config-snapshot".into());
        assert!(matches!(
            testing::scan::<Gcp>(&request).result,
            Err(ScanError::UnsupportedFormat(_))
        ));
        std::fs::write(d.join("a.gz"), [0x1f, 0x8b, 8, 0, 0]).unwrap();
        let mut gz = testing::request(&d.to_string_lossy(), &["a.gz"], NOW);
        gz.inputs[0].format = Some("gcp-cloud-asset-inventory".into());
        match testing::scan::<Gcp>(&gz).result {
            Err(ScanError::UnsupportedFormat(e)) => assert!(e.message.contains("gzip"), "{e}"),
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_directory_export_decides_2sv_and_replaces_the_project_fallback() {
        let users = r#"{"kind":"admin#directory#users","etag":"\"x\"","users":[
            {"kind":"admin#directory#user","id":"1","primaryEmail":"a@northwind-traders.com","customerId":"C01","isEnrolledIn2Sv":true,"isEnforcedIn2Sv":true},
            {"kind":"admin#directory#user","id":"2","primaryEmail":"b@northwind-traders.com","customerId":"C01","isEnrolledIn2Sv":false,"isEnforcedIn2Sv":false},
            {"kind":"admin#directory#user","id":"3","customerId":"C01"}]}"#;
        let s = scan(
            &[("users.json", users), ("a.json", FIREWALL)],
            &["users.json", "a.json"],
        );
        let summary = s.result.as_ref().unwrap();
        assert_eq!(summary.problems.len(), 1, "the user without an email");
        assert_eq!(
            statuses(&s, identity::TWO_STEP_VERIFICATION.id),
            vec![Status::Pass, Status::Fail]
        );
        let not_users = r#"[{"kind":"admin#directory#group","email":"g@x.com"}]"#;
        let s = scan(&[("g.json", not_users)], &["g.json"]);
        assert!(
            matches!(s.result, Err(ScanError::UnsupportedFormat(_))),
            "{:?}",
            s.result
        );
        let mut request = testing::request("/nonexistent", &["u.json"], NOW);
        request.inputs[0].format = Some("google-workspace-users".into());
        assert!(matches!(
            testing::scan::<Gcp>(&request).result,
            Err(ScanError::MissingInput(_))
        ));
    }

    /// The demo estate's GCP targets, scanned natively: the failing (check, resource) pairs are
    /// exactly those of `examples/demo/expected-failures-gcp.json`, every check passes and fails
    /// somewhere, and no guest-OS finding lands on a PaaS or FaaS resource.
    #[test]
    fn demo_estate_matches_expected() {
        use std::collections::BTreeSet;
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo");
        let targets: toml::Value =
            toml::from_str(&std::fs::read_to_string(demo.join("gcp-targets.toml")).unwrap())
                .unwrap();
        let expected: BTreeMap<String, Vec<String>> = serde_json::from_str(
            &std::fs::read_to_string(demo.join("expected-failures-gcp.json")).unwrap(),
        )
        .unwrap();
        let expected: BTreeSet<(String, String)> = expected
            .into_iter()
            .flat_map(|(check, ids)| ids.into_iter().map(move |id| (check.clone(), id)))
            .collect();
        let mut findings = Vec::new();
        let mut tenants = BTreeSet::new();
        let mut skipped = 0;
        for target in targets["target"].as_array().unwrap() {
            assert_eq!(target["provider"].as_str(), Some("gcp"));
            tenants.insert(target["tenant"].as_str().unwrap().to_string());
            let inputs: Vec<&str> = target["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap())
                .collect();
            let snapshot = demo.join(target["snapshot"].as_str().unwrap());
            let s = testing::scan_dir::<Gcp>(&snapshot, &inputs, NOW);
            let summary = s
                .result
                .as_ref()
                .unwrap_or_else(|e| panic!("{snapshot:?}: {e:?}"));
            assert!(
                summary.problems.is_empty(),
                "{snapshot:?}: {:?}",
                summary.problems
            );
            assert!(summary.resources > 0);
            skipped += summary.skipped;
            findings.extend(s.findings);
        }
        assert_eq!(
            tenants,
            ["contoso-health", "fabrikam", "northwind"]
                .map(String::from)
                .into()
        );
        // The retired proof-of-concept project (DELETE_REQUESTED) is skipped, IAM line and all.
        assert_eq!(skipped, 1);
        assert!(
            findings
                .iter()
                .all(|f| f.resource.id
                    != "//cloudresourcemanager.googleapis.com/projects/418203977310"),
            "a project being deleted has findings"
        );
        let actual: BTreeSet<(String, String)> = findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| (f.check_id.clone(), f.resource.id.clone()))
            .collect();
        let missed: Vec<_> = expected.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&expected).collect();
        assert!(
            missed.is_empty() && extra.is_empty(),
            "planted failures not found: {missed:#?}\nclean resources flagged: {extra:#?}"
        );
        for check in checks::ALL {
            for status in [Status::Pass, Status::Fail] {
                assert!(
                    findings
                        .iter()
                        .any(|f| f.check_id == check.id && f.status == status),
                    "{}: no {status:?} in the demo estate",
                    check.id
                );
            }
        }
        // Attribution: every native type has a service model, and guest-OS controls appear
        // only on IaaS resources.
        let catalog = demarc_core::Catalog::load(
            (
                "frameworks.toml",
                include_str!("../../../schemas/catalog/frameworks.toml"),
            ),
            (
                "controls.toml",
                include_str!("../../../schemas/catalog/controls.toml"),
            ),
        )
        .unwrap();
        let matrix = demarc_core::Matrix::load(
            "gcp.toml",
            include_str!("../../../schemas/responsibility/gcp.toml"),
            &catalog,
        )
        .unwrap();
        for f in &findings {
            let model = matrix
                .service_model(&f.resource.native_type)
                .unwrap_or_else(|| panic!("no service model for {}", f.resource.native_type));
            let check = checks::ALL.iter().find(|c| c.id == f.check_id).unwrap();
            let layer = catalog.control(check.controls[0]).unwrap().layer;
            if layer == demarc_core::Layer::GuestOs {
                assert_eq!(
                    model,
                    demarc_core::ServiceModel::Iaas,
                    "guest-OS finding {} on {}",
                    f.check_id,
                    f.resource.native_type
                );
            }
        }
    }

    #[test]
    fn the_responsibility_data_covers_every_type_the_checks_read() {
        let catalog = demarc_core::Catalog::load(
            (
                "frameworks.toml",
                include_str!("../../../schemas/catalog/frameworks.toml"),
            ),
            (
                "controls.toml",
                include_str!("../../../schemas/catalog/controls.toml"),
            ),
        )
        .unwrap();
        let matrix = demarc_core::Matrix::load(
            "gcp.toml",
            include_str!("../../../schemas/responsibility/gcp.toml"),
            &catalog,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(matrix.provider, "gcp");
        for check in checks::ALL {
            for ty in check.resource_types {
                let model = matrix
                    .service_model(ty)
                    .unwrap_or_else(|| panic!("{}: {ty} has no service model", check.id));
                let layer = catalog.control(check.controls[0]).unwrap().layer;
                assert!(
                    layer != demarc_core::Layer::GuestOs
                        || model == demarc_core::ServiceModel::Iaas,
                    "{} is a guest-OS check on {ty}",
                    check.id
                );
            }
        }
        for (ty, want) in [
            (
                "run.googleapis.com/Service",
                demarc_core::ServiceModel::Paas,
            ),
            (
                "appengine.googleapis.com/Application",
                demarc_core::ServiceModel::Paas,
            ),
            (
                "sqladmin.googleapis.com/Instance",
                demarc_core::ServiceModel::Paas,
            ),
            (
                "cloudfunctions.googleapis.com/Function",
                demarc_core::ServiceModel::Faas,
            ),
            (
                "compute.googleapis.com/Instance",
                demarc_core::ServiceModel::Iaas,
            ),
        ] {
            assert_eq!(matrix.service_model(ty), Some(want), "{ty}");
        }
    }

    #[test]
    fn an_unreadable_now_is_an_internal_error() {
        let d = dir(&[]);
        let s = testing::scan_dir::<Gcp>(&d, &[], "yesterday");
        assert!(matches!(s.result, Err(ScanError::Internal(_))));
        let _ = std::fs::remove_dir_all(&d);
    }
}
