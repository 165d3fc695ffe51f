//! Resource identity across tools: the same resource meets itself whatever tool named it.
//!
//! demarc's plugins name resources the way the cloud's own inventory does: AWS ARNs, Azure
//! resource ids, Google Cloud full resource names (`//service.googleapis.com/...`). Other
//! tools name the same resources differently: bare AWS ids (`i-0abc…`, a bucket name, an
//! account number), Security Hub's `AWS::::Account:123456789012`, Azure ids in any casing or
//! with a Defender assessment appended, Google Cloud self links (`https://www.googleapis.com/
//! compute/v1/projects/…`), `gs://` URLs and Cloud Storage's newer `projects/_/buckets/NAME`
//! form. [`resource_key`] turns each into one canonical key; two names of one resource give the
//! same key, and the key of a demarc resource id is the id itself (or, for Azure, its lower
//! case), so imported findings line up with native ones.
//!
//! A name that cannot be placed without more context (a bare EC2 instance id without account or
//! region, a bare Google Cloud instance name) gives `None`: the caller keeps the tool's own name
//! and says the resource was not matched, rather than guessing.

/// What the tool said about the resource besides its name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hint<'a> {
    /// The tool's resource type, in any of the spellings tools use: CloudFormation
    /// (`AWS::S3::Bucket`), Security Hub (`AwsS3Bucket`), Prowler (`AwsS3Bucket`, `s3`), Cloud
    /// Asset Inventory (`storage.googleapis.com/Bucket`), Azure (`Microsoft.Storage/...`).
    pub kind: Option<&'a str>,
    /// The AWS account, Azure subscription or Google Cloud project the finding is about.
    pub account: Option<&'a str>,
    /// The region (AWS) or location.
    pub region: Option<&'a str>,
}

/// The canonical key of the resource `name` on `provider` (`aws`, `azure`, `gcp`), or `None`
/// when the name cannot be placed without guessing.
pub fn resource_key(provider: &str, name: &str, hint: &Hint<'_>) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    match provider {
        "aws" => aws(name, hint),
        "azure" => azure(name),
        "gcp" => gcp(name, hint),
        _ => Some(name.to_string()),
    }
}

fn aws(name: &str, hint: &Hint<'_>) -> Option<String> {
    if let Some(rest) = name.strip_prefix("arn:") {
        // arn:partition:service:region:account:resource — kept, except that an account's
        // canonical ARN is its root.
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if parts.len() < 5 || parts[0].is_empty() || parts[1].is_empty() {
            return None;
        }
        return Some(name.to_string());
    }
    // Security Hub names an account `AWS::::Account:123456789012`.
    if let Some(account) = name.strip_prefix("AWS::::Account:") {
        return account_arn(account);
    }
    if name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit()) {
        return account_arn(name);
    }
    let kind = hint.kind.map(kind_word).unwrap_or_default();
    let partition = "aws";
    match kind.as_str() {
        "s3bucket" | "s3" => {
            let bucket = name
                .strip_prefix("s3://")
                .unwrap_or(name)
                .trim_end_matches('/');
            return Some(format!("arn:{partition}:s3:::{bucket}"));
        }
        "iamuser" | "iamrole" | "iamgroup" | "iampolicy" => {
            let account = hint.account?;
            let what = &kind[3..];
            return Some(format!("arn:{partition}:iam::{account}:{what}/{name}"));
        }
        // Regional resources named by their name or id: placed by account and region.
        "rdsdbinstance" | "rdsinstance" | "rds" | "rdsdbcluster" | "lambdafunction" | "lambda"
        | "kmskey" | "kms" | "cloudtrailtrail" | "cloudtrail" => {
            let (account, region) = (hint.account?, hint.region?);
            if name.contains([':', '/']) {
                return None;
            }
            let (service, what) = match kind.as_str() {
                "rdsdbcluster" => ("rds", "cluster:"),
                "rdsdbinstance" | "rdsinstance" | "rds" => ("rds", "db:"),
                "lambdafunction" | "lambda" => ("lambda", "function:"),
                "kmskey" | "kms" => ("kms", "key/"),
                _ => ("cloudtrail", "trail/"),
            };
            return Some(format!(
                "arn:{partition}:{service}:{region}:{account}:{what}{name}"
            ));
        }
        _ => {}
    }
    // Bare EC2 ids carry their type in their prefix.
    let ec2 = [
        ("i-", "instance"),
        ("sg-", "security-group"),
        ("vol-", "volume"),
        ("vpc-", "vpc"),
        ("subnet-", "subnet"),
        ("eni-", "network-interface"),
        ("snap-", "snapshot"),
        ("ami-", "image"),
        ("igw-", "internet-gateway"),
        ("rtb-", "route-table"),
        ("acl-", "network-acl"),
    ];
    let (prefix, what) = ec2.iter().find(|(p, _)| name.starts_with(p))?;
    let id_part = &name[prefix.len()..];
    if id_part.is_empty() || !id_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (account, region) = (hint.account?, hint.region?);
    let account = if *what == "image" || *what == "snapshot" {
        // Public images and snapshots live in their owner's account; the finding's account is
        // the one that uses them, so they are named without it.
        ""
    } else {
        account
    };
    Some(format!(
        "arn:{partition}:ec2:{region}:{account}:{what}/{name}"
    ))
}

fn account_arn(account: &str) -> Option<String> {
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("arn:aws:iam::{account}:root"))
}

/// A resource type in any tool's spelling, reduced to lower-case letters and digits without the
/// cloud's prefix: `AWS::S3::Bucket`, `AwsS3Bucket` and `aws_s3_bucket` all give `s3bucket`.
fn kind_word(kind: &str) -> String {
    let lower: String = kind
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    lower.strip_prefix("aws").unwrap_or(&lower).to_string()
}

fn azure(name: &str) -> Option<String> {
    let mut id = name.trim_end_matches('/').to_ascii_lowercase();
    if !id.starts_with('/') {
        if id.starts_with("subscriptions/") || id.starts_with("providers/") {
            id.insert(0, '/');
        } else {
            return None;
        }
    }
    // Defender for Cloud names an assessment as its resource's id followed by
    // `/providers/Microsoft.Security/assessments/KEY`; sub-assessments go one level deeper.
    if let Some(at) = id.find("/providers/microsoft.security/assessments/") {
        id.truncate(at);
        if id.is_empty() {
            return None;
        }
    }
    Some(id)
}

fn gcp(name: &str, hint: &Hint<'_>) -> Option<String> {
    if let Some(rest) = name.strip_prefix("//") {
        let (service, path) = rest.split_once('/')?;
        // Cloud Storage's newer name form, `projects/_/buckets/NAME`.
        if service == "storage.googleapis.com"
            && let Some(bucket) = path.strip_prefix("projects/_/buckets/")
        {
            return Some(format!("//storage.googleapis.com/{bucket}"));
        }
        return Some(format!("//{service}/{path}"));
    }
    if let Some(bucket) = name.strip_prefix("gs://") {
        return Some(format!(
            "//storage.googleapis.com/{}",
            bucket.trim_end_matches('/')
        ));
    }
    if let Some(rest) = name
        .strip_prefix("https://")
        .or_else(|| name.strip_prefix("http://"))
    {
        return self_link(rest);
    }
    // A bare name: a bucket is placed by its name alone (bucket names are global); a compute
    // resource or a Cloud SQL instance by its project and, for zonal ones, its zone.
    let kind = hint.kind.unwrap_or_default().to_ascii_lowercase();
    if name.contains('/') {
        return None;
    }
    if kind.contains("bucket") {
        return Some(format!("//storage.googleapis.com/{name}"));
    }
    let kind = kind.rsplit(['/', '.']).next().unwrap_or_default();
    let project = hint.account.filter(|p| !p.is_empty() && !p.contains('/'))?;
    let compute = |path: &str| {
        Some(format!(
            "//compute.googleapis.com/projects/{project}/{path}"
        ))
    };
    match kind {
        "instance" | "computeinstance" | "disk" | "computedisk" => {
            // A zone is `<region>-<letter>`; a region alone does not place a zonal resource.
            let zone = hint.region.filter(|z| is_zone(z))?;
            let what = if kind.ends_with("disk") {
                "disks"
            } else {
                "instances"
            };
            compute(&format!("zones/{zone}/{what}/{name}"))
        }
        "firewall" | "computefirewall" | "firewallrule" => {
            compute(&format!("global/firewalls/{name}"))
        }
        "network" | "computenetwork" | "vpcnetwork" => compute(&format!("global/networks/{name}")),
        "sqlinstance" | "cloudsqlinstance" | "databaseinstance" => Some(format!(
            "//cloudsql.googleapis.com/projects/{project}/instances/{name}"
        )),
        _ => None,
    }
}

/// A Compute Engine zone name, `europe-west1-b`: a region and a one-letter suffix.
fn is_zone(z: &str) -> bool {
    z.rsplit_once('-')
        .is_some_and(|(region, letter)| region.contains('-') && letter.len() == 1)
}

/// Whether `a` and `b` name the same resource on `provider`: both place to one key. Names that
/// cannot be placed never meet anything, not even themselves under another spelling.
pub fn same_resource(provider: &str, a: &str, b: &str, hint: &Hint<'_>) -> bool {
    match (
        resource_key(provider, a, hint),
        resource_key(provider, b, hint),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// A REST self link (without its scheme) as a full resource name.
fn self_link(rest: &str) -> Option<String> {
    let (host, path) = rest.split_once('/')?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // Strip `<api>/<version>/` (or `sql/v1beta4`, `storage/v1`) to the resource path.
    let strip_api = |api: &str| -> Option<Vec<&str>> {
        let at = segs.iter().position(|s| *s == api)?;
        let version = segs.get(at + 1)?;
        (version.starts_with('v') || *version == "beta" || *version == "alpha")
            .then(|| segs[at + 2..].to_vec())
    };
    match host {
        "www.googleapis.com"
        | "compute.googleapis.com"
        | "storage.googleapis.com"
        | "sqladmin.googleapis.com" => {
            if let Some(p) = strip_api("compute") {
                return Some(format!("//compute.googleapis.com/{}", p.join("/")));
            }
            if let Some(p) = strip_api("storage") {
                // `storage/v1/b/NAME[/o/OBJECT]`.
                return match p.as_slice() {
                    ["b", bucket] => Some(format!("//storage.googleapis.com/{bucket}")),
                    _ => None,
                };
            }
            if let Some(p) = strip_api("sql") {
                return Some(format!("//cloudsql.googleapis.com/{}", p.join("/")));
            }
            None
        }
        // `https://<service>.googleapis.com/v1/projects/...` for the REST APIs named by host.
        other if other.ends_with(".googleapis.com") => {
            let p = match segs.first() {
                Some(v) if v.starts_with('v') => &segs[1..],
                _ => &segs[..],
            };
            (!p.is_empty()).then(|| format!("//{other}/{}", p.join("/")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(provider: &str, name: &str, hint: Hint<'_>) -> Option<String> {
        resource_key(provider, name, &hint)
    }

    /// Each row: a name a tool writes, what it said besides, and the key (demarc's own id).
    #[test]
    fn aws_names_meet_the_arn() {
        let acct = Hint {
            account: Some("482913650271"),
            region: Some("us-east-1"),
            ..Hint::default()
        };
        let with = |kind| Hint {
            kind: Some(kind),
            ..acct
        };
        let table: &[(&str, Hint<'_>, Option<&str>)] = &[
            // The ARN is the key.
            (
                "arn:aws:ec2:us-east-1:482913650271:instance/i-021d0b8c24fd85a9a",
                Hint::default(),
                Some("arn:aws:ec2:us-east-1:482913650271:instance/i-021d0b8c24fd85a9a"),
            ),
            // Bare EC2 ids, placed by account and region.
            (
                "i-021d0b8c24fd85a9a",
                acct,
                Some("arn:aws:ec2:us-east-1:482913650271:instance/i-021d0b8c24fd85a9a"),
            ),
            (
                "sg-008ca03b945b7677f",
                acct,
                Some("arn:aws:ec2:us-east-1:482913650271:security-group/sg-008ca03b945b7677f"),
            ),
            (
                "vol-05c06a4ee104a113a",
                acct,
                Some("arn:aws:ec2:us-east-1:482913650271:volume/vol-05c06a4ee104a113a"),
            ),
            // Without a region a bare id is not guessed.
            (
                "i-021d0b8c24fd85a9a",
                Hint {
                    account: Some("482913650271"),
                    ..Hint::default()
                },
                None,
            ),
            // Buckets by name in every type spelling, and as an s3:// URL.
            (
                "nw-prod-assets-482913650271",
                with("AWS::S3::Bucket"),
                Some("arn:aws:s3:::nw-prod-assets-482913650271"),
            ),
            (
                "nw-prod-assets-482913650271",
                with("AwsS3Bucket"),
                Some("arn:aws:s3:::nw-prod-assets-482913650271"),
            ),
            (
                "s3://nw-prod-assets-482913650271/",
                with("aws_s3_bucket"),
                Some("arn:aws:s3:::nw-prod-assets-482913650271"),
            ),
            // IAM by name.
            (
                "raj.kumar",
                with("AwsIamUser"),
                Some("arn:aws:iam::482913650271:user/raj.kumar"),
            ),
            (
                "nw-prod-ec2-app",
                with("AWS::IAM::Role"),
                Some("arn:aws:iam::482913650271:role/nw-prod-ec2-app"),
            ),
            // Accounts: bare, and as Security Hub writes them.
            (
                "482913650271",
                Hint::default(),
                Some("arn:aws:iam::482913650271:root"),
            ),
            (
                "AWS::::Account:482913650271",
                Hint::default(),
                Some("arn:aws:iam::482913650271:root"),
            ),
            // Regional resources by name, as Prowler and Security Hub name some of them.
            (
                "nw-orders",
                with("AwsRdsDbInstance"),
                Some("arn:aws:rds:us-east-1:482913650271:db:nw-orders"),
            ),
            (
                "nw-ledger",
                with("AWS::RDS::DBCluster"),
                Some("arn:aws:rds:us-east-1:482913650271:cluster:nw-ledger"),
            ),
            (
                "nw-thumbnailer",
                with("AwsLambdaFunction"),
                Some("arn:aws:lambda:us-east-1:482913650271:function:nw-thumbnailer"),
            ),
            (
                "1db4f204-cb5a-4c9c-9254-7556403ce51c",
                with("AWS::KMS::Key"),
                Some("arn:aws:kms:us-east-1:482913650271:key/1db4f204-cb5a-4c9c-9254-7556403ce51c"),
            ),
            // A regional resource without its region is not guessed.
            (
                "nw-orders",
                Hint {
                    kind: Some("AwsRdsDbInstance"),
                    account: Some("482913650271"),
                    region: None,
                },
                None,
            ),
            // Not AWS names.
            ("i-not-hex", acct, None),
            ("arn:aws", Hint::default(), None),
            ("", acct, None),
        ];
        for (name, hint, want) in table {
            assert_eq!(key("aws", name, *hint).as_deref(), *want, "{name} {hint:?}");
        }
    }

    #[test]
    fn azure_ids_meet_whatever_their_casing() {
        let ours = "/subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourceGroups/RG-NW-WEB/providers/Microsoft.Compute/disks/nw-web-01_OsDisk_1";
        let want = Some(ours.to_ascii_lowercase());
        for name in [
            ours,
            "/subscriptions/5F1C3A8E-7B2D-4E90-A1C4-3D8E6F9B2A71/resourcegroups/rg-nw-web/providers/microsoft.compute/disks/NW-WEB-01_OSDISK_1",
            "subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourceGroups/rg-nw-web/providers/Microsoft.Compute/disks/nw-web-01_OsDisk_1/",
            // A Defender assessment of the disk.
            "/subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourceGroups/rg-nw-web/providers/Microsoft.Compute/disks/nw-web-01_OsDisk_1/providers/Microsoft.Security/assessments/1db4f204-cb5a-4c9c-9254-7556403ce51c",
        ] {
            assert_eq!(key("azure", name, Hint::default()), want, "{name}");
        }
        assert_eq!(
            key(
                "azure",
                "/providers/Microsoft.Management/managementGroups/mg-contoso-health",
                Hint::default()
            )
            .as_deref(),
            Some("/providers/microsoft.management/managementgroups/mg-contoso-health")
        );
        assert_eq!(key("azure", "nw-web-01", Hint::default()), None);
    }

    #[test]
    fn google_cloud_names_self_links_and_bare_names_meet_the_full_resource_name() {
        let bucket = Hint {
            kind: Some("storage.googleapis.com/Bucket"),
            ..Hint::default()
        };
        let table: &[(&str, Hint<'_>, Option<&str>)] = &[
            (
                "//compute.googleapis.com/projects/nw-retail-prod/zones/europe-west1-b/instances/nw-web-1",
                Hint::default(),
                Some(
                    "//compute.googleapis.com/projects/nw-retail-prod/zones/europe-west1-b/instances/nw-web-1",
                ),
            ),
            (
                "https://www.googleapis.com/compute/v1/projects/nw-retail-prod/zones/europe-west1-b/instances/nw-web-1",
                Hint::default(),
                Some(
                    "//compute.googleapis.com/projects/nw-retail-prod/zones/europe-west1-b/instances/nw-web-1",
                ),
            ),
            (
                "https://compute.googleapis.com/compute/beta/projects/nw-retail-prod/global/firewalls/default-allow-ssh",
                Hint::default(),
                Some(
                    "//compute.googleapis.com/projects/nw-retail-prod/global/firewalls/default-allow-ssh",
                ),
            ),
            (
                "https://sqladmin.googleapis.com/sql/v1beta4/projects/nw-retail-prod/instances/nw-orders-pg",
                Hint::default(),
                Some("//cloudsql.googleapis.com/projects/nw-retail-prod/instances/nw-orders-pg"),
            ),
            (
                "https://www.googleapis.com/storage/v1/b/nw-retail-prod-web-assets",
                Hint::default(),
                Some("//storage.googleapis.com/nw-retail-prod-web-assets"),
            ),
            (
                "//storage.googleapis.com/projects/_/buckets/nw-retail-prod-web-assets",
                Hint::default(),
                Some("//storage.googleapis.com/nw-retail-prod-web-assets"),
            ),
            (
                "gs://nw-retail-prod-web-assets/",
                Hint::default(),
                Some("//storage.googleapis.com/nw-retail-prod-web-assets"),
            ),
            (
                "nw-retail-prod-web-assets",
                bucket,
                Some("//storage.googleapis.com/nw-retail-prod-web-assets"),
            ),
            (
                "https://cloudkms.googleapis.com/v1/projects/nw-retail-prod/locations/europe-west1/keyRings/nw-retail/cryptoKeys/nw-invoices-cmek",
                Hint::default(),
                Some(
                    "//cloudkms.googleapis.com/projects/nw-retail-prod/locations/europe-west1/keyRings/nw-retail/cryptoKeys/nw-invoices-cmek",
                ),
            ),
            // A bare instance name cannot be placed.
            (
                "nw-web-1",
                Hint {
                    kind: Some("compute.googleapis.com/Instance"),
                    ..Hint::default()
                },
                None,
            ),
            // Bare names placed by project (the finding's account) and zone.
            (
                "nw-web-1",
                Hint {
                    kind: Some("compute.googleapis.com/Instance"),
                    account: Some("nw-retail-prod"),
                    region: Some("europe-west1-b"),
                },
                Some(
                    "//compute.googleapis.com/projects/nw-retail-prod/zones/europe-west1-b/instances/nw-web-1",
                ),
            ),
            (
                "nw-web-1",
                Hint {
                    kind: Some("ComputeInstance"),
                    account: Some("nw-retail-prod"),
                    region: Some("europe-west1"),
                },
                // A region is not a zone: not placed.
                None,
            ),
            (
                "default-allow-ssh",
                Hint {
                    kind: Some("Firewall"),
                    account: Some("nw-retail-prod"),
                    region: Some("global"),
                },
                Some(
                    "//compute.googleapis.com/projects/nw-retail-prod/global/firewalls/default-allow-ssh",
                ),
            ),
            (
                "nw-orders-pg",
                Hint {
                    kind: Some("sqladmin.googleapis.com/Instance"),
                    account: Some("nw-retail-prod"),
                    region: Some("europe-west1"),
                },
                // `sqladmin…/Instance` ends in `Instance`, a zonal compute kind: not placed
                // without a zone rather than placed as a VM.
                None,
            ),
            (
                "nw-orders-pg",
                Hint {
                    kind: Some("DatabaseInstance"),
                    account: Some("nw-retail-prod"),
                    region: Some("europe-west1"),
                },
                Some("//cloudsql.googleapis.com/projects/nw-retail-prod/instances/nw-orders-pg"),
            ),
            (
                "https://example.com/compute/v1/projects/p",
                Hint::default(),
                None,
            ),
        ];
        for (name, hint, want) in table {
            assert_eq!(key("gcp", name, *hint).as_deref(), *want, "{name}");
        }
    }

    /// Pairs of names different tools give one resource, and pairs that must not meet.
    #[test]
    fn names_of_one_resource_meet_and_others_do_not() {
        let aws = Hint {
            kind: Some("AwsS3Bucket"),
            account: Some("482913650271"),
            region: Some("eu-west-1"),
        };
        let ec2 = Hint {
            kind: Some("AwsEc2SecurityGroup"),
            ..aws
        };
        let gcp = Hint {
            kind: Some("Bucket"),
            account: Some("nw-retail-prod"),
            region: Some("europe-west1"),
        };
        let same: &[(&str, &str, &str, Hint<'_>)] = &[
            ("aws", "arn:aws:s3:::nw-logs", "nw-logs", aws),
            (
                "aws",
                "sg-0a1b2c3d4e5f60718",
                "arn:aws:ec2:eu-west-1:482913650271:security-group/sg-0a1b2c3d4e5f60718",
                ec2,
            ),
            (
                "azure",
                "/subscriptions/5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71/resourceGroups/RG/providers/Microsoft.Sql/servers/SQL-1",
                "subscriptions/5F1C3A8E-7B2D-4E90-A1C4-3D8E6F9B2A71/resourcegroups/rg/providers/microsoft.sql/servers/sql-1",
                Hint::default(),
            ),
            (
                "gcp",
                "//storage.googleapis.com/nw-web",
                "https://www.googleapis.com/storage/v1/b/nw-web",
                gcp,
            ),
            ("gcp", "nw-web", "gs://nw-web", gcp),
        ];
        for (provider, a, b, hint) in same {
            assert!(same_resource(provider, a, b, hint), "{a} = {b}");
            assert!(same_resource(provider, b, a, hint), "{b} = {a}");
        }
        let different: &[(&str, &str, &str, Hint<'_>)] = &[
            ("aws", "arn:aws:s3:::nw-logs", "nw-logs-2", aws),
            // The same group id in another region is another group.
            (
                "aws",
                "sg-0a1b2c3d4e5f60718",
                "arn:aws:ec2:us-east-1:482913650271:security-group/sg-0a1b2c3d4e5f60718",
                ec2,
            ),
            // Names that cannot be placed meet nothing.
            ("azure", "sql-1", "sql-1", Hint::default()),
            ("gcp", "nw-web-1", "nw-web-1", Hint::default()),
        ];
        for (provider, a, b, hint) in different {
            assert!(!same_resource(provider, a, b, hint), "{a} != {b}");
        }
    }

    #[test]
    fn another_cloud_keeps_its_own_name() {
        assert_eq!(
            key("digitalocean", " droplet:1234 ", Hint::default()).as_deref(),
            Some("droplet:1234")
        );
    }
}
