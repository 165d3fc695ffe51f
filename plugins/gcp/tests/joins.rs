//! Joins are per resource: a finding that depends on related assets (a bucket and its IAM
//! policy, an instance and its project's metadata or its boot disk, a project and its IAM
//! policy) uses only the related assets of that resource. Each test has two resources where
//! only the other one has the related asset.

use demarc_plugin_gcp::{Gcp, checks};
use demarc_sdk::Status;
use demarc_sdk::testing::{self, NativeScan};

const NOW: &str = "2026-11-01T00:00:00Z";

fn line(asset_type: &str, name: &str, project: &str, data: &str) -> String {
    format!(
        r#"{{"name":"{name}","asset_type":"{asset_type}","resource":{{"version":"v1","discovery_name":"x","parent":"//cloudresourcemanager.googleapis.com/projects/{project}","data":{data},"location":"europe-west1"}},"ancestors":["projects/{project}","organizations/9"],"update_time":"2026-10-30T00:00:00Z"}}"#
    )
}

fn iam_line(asset_type: &str, name: &str, project: &str, bindings: &str) -> String {
    format!(
        r#"{{"name":"{name}","asset_type":"{asset_type}","iam_policy":{{"version":1,"etag":"BwX=","bindings":{bindings}}},"ancestors":["projects/{project}","organizations/9"],"update_time":"2026-10-30T00:00:00Z"}}"#
    )
}

fn scan(resources: &[String], iam: &[String]) -> NativeScan {
    let resources = resources.join("\n");
    let iam = iam.join("\n");
    let mut files = vec![("resources.json", resources.as_str())];
    if !iam.is_empty() {
        files.push(("iam.json", iam.as_str()));
    }
    let s = testing::scan_files::<Gcp>(&files, NOW);
    let summary = s.result.as_ref().expect("scan succeeds");
    assert!(summary.problems.is_empty(), "{:?}", summary.problems);
    s
}

fn status_of(s: &NativeScan, check: &str, resource_suffix: &str) -> Status {
    let mut of = s
        .of_check(check)
        .filter(|f| f.resource.id.ends_with(resource_suffix));
    let f = of
        .next()
        .unwrap_or_else(|| panic!("no {check} finding of {resource_suffix}: {:#?}", s.findings));
    assert!(
        of.next().is_none(),
        "two {check} findings of {resource_suffix}"
    );
    f.status
}

#[test]
fn a_bucket_is_judged_by_its_own_iam_policy_only() {
    let bucket = |name: &str| {
        line(
            "storage.googleapis.com/Bucket",
            &format!("//storage.googleapis.com/{name}"),
            "111",
            &format!(
                r#"{{"name":"{name}","iamConfiguration":{{"publicAccessPrevention":"inherited","uniformBucketLevelAccess":{{"enabled":true}}}},"labels":{{"owner":"data"}}}}"#
            ),
        )
    };
    let s = scan(
        &[bucket("b1"), bucket("b2")],
        &[iam_line(
            "storage.googleapis.com/Bucket",
            "//storage.googleapis.com/b1",
            "111",
            r#"[{"role":"roles/storage.objectViewer","members":["projectViewer:p"]}]"#,
        )],
    );
    let check = checks::storage::PUBLIC_ACCESS.id;
    assert_eq!(status_of(&s, check, "/b1"), Status::Pass);
    assert_eq!(
        status_of(&s, check, "/b2"),
        Status::Manual,
        "b1's IAM policy does not decide b2"
    );
}

fn instance(project: &str, name: &str) -> String {
    line(
        "compute.googleapis.com/Instance",
        &format!(
            "//compute.googleapis.com/projects/{project}/zones/europe-west1-b/instances/{name}"
        ),
        "111",
        &format!(
            r#"{{"name":"{name}","status":"RUNNING","labels":{{"owner":"ops"}},"metadata":{{"items":[{{"key":"serial-port-enable","value":"FALSE"}}]}},"disks":[{{"boot":true,"source":"https://www.googleapis.com/compute/v1/projects/{project}/zones/europe-west1-b/disks/{name}"}}]}}"#
        ),
    )
}

#[test]
fn an_instance_is_judged_by_its_own_project_metadata_only() {
    let project = line(
        "compute.googleapis.com/Project",
        "//compute.googleapis.com/projects/p-a",
        "111",
        r#"{"name":"p-a","commonInstanceMetadata":{"items":[{"key":"enable-oslogin","value":"TRUE"}]}}"#,
    );
    let s = scan(
        &[instance("p-a", "vm-a"), instance("p-b", "vm-b"), project],
        &[],
    );
    let check = checks::compute::OS_LOGIN.id;
    assert_eq!(status_of(&s, check, "/vm-a"), Status::Pass);
    assert_eq!(
        status_of(&s, check, "/vm-b"),
        Status::Manual,
        "project p-a's metadata does not decide an instance of p-b"
    );
}

#[test]
fn an_instance_is_judged_by_its_own_boot_disk_only() {
    let disk = line(
        "compute.googleapis.com/Disk",
        "//compute.googleapis.com/projects/p-a/zones/europe-west1-b/disks/vm-a",
        "111",
        r#"{"name":"vm-a","sourceImage":"https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/ubuntu-minimal-1804-bionic-v20230130"}"#,
    );
    let s = scan(
        &[instance("p-a", "vm-a"), instance("p-a", "vm-b"), disk],
        &[],
    );
    let check = checks::compute::OS_IMAGE_EOL.id;
    assert_eq!(status_of(&s, check, "/vm-a"), Status::Fail);
    assert_eq!(
        status_of(&s, check, "/vm-b"),
        Status::Manual,
        "vm-a's boot disk does not decide vm-b"
    );
}

#[test]
fn a_project_is_judged_by_its_own_iam_policy_only() {
    let project = |number: &str, id: &str| {
        line(
            "cloudresourcemanager.googleapis.com/Project",
            &format!("//cloudresourcemanager.googleapis.com/projects/{number}"),
            number,
            &format!(
                r#"{{"projectNumber":"{number}","projectId":"{id}","lifecycleState":"ACTIVE"}}"#
            ),
        )
    };
    let s = scan(
        &[project("111", "p-a"), project("222", "p-b")],
        &[iam_line(
            "cloudresourcemanager.googleapis.com/Project",
            "//cloudresourcemanager.googleapis.com/projects/111",
            "111",
            r#"[{"role":"roles/viewer","members":["group:ops@example.com"]}]"#,
        )],
    );
    for check in [
        checks::iam::PRIMITIVE_ROLE_HUMAN.id,
        checks::iam::SERVICE_ACCOUNT_ADMIN.id,
        checks::iam::PUBLIC_PRINCIPAL.id,
    ] {
        assert_eq!(status_of(&s, check, "/111"), Status::Pass, "{check}");
        assert_eq!(
            status_of(&s, check, "/222"),
            Status::Manual,
            "{check}: project 111's policy does not decide project 222"
        );
    }
}
