//! A realistic, hand-built report for the renderers' tests: an MSSP estate with three tenants on
//! AWS, Azure and GCP, every owner (provider, customer, shared independent and dependent, a named
//! third party), every status and severity, findings from two plugins of one provider, gaps with
//! and without a plugin or a file position, and hostile strings where a cloud lets an attacker
//! choose them (resource names, ids, tags, messages).

use std::collections::BTreeMap;
use std::path::PathBuf;

use demarc_core::report::{CheckRecord, InputRecord, PluginRecord, Run, TargetRecord, TenantInfo};
use demarc_core::rollup::{ControlRow, RollupStatus};
use demarc_core::summary::Summary;
use demarc_core::{
    Basis, BasisKind, Catalog, CheckRef, Evidence, Finding, Gap, GapKind, Layer, MustAct, Owner,
    Party, Report, ResourceRef, Responsibility, ServiceModel, Severity, Sharing, Source, Status,
};

/// The resource name an attacker chose to break out of HTML.
pub const HOSTILE_NAME: &str = "<script>alert(\"pwned\")</script><img src=x onerror=alert(1)>";

/// A resource id with what a URI cannot carry as-is: spaces, `#`, `?`, `%`, non-ASCII.
pub const AWKWARD_ID: &str = "/subscriptions/0000-1111/resourceGroups/rg 1/providers/Microsoft.Storage/storageAccounts/st#1?x=%41&é";

/// A check-granular benchmark for the fixture's AWS checks, in the shipped data format.
pub const BENCHMARK: &str = r#"
id = "cis-aws-fixture-1.0"
title = "Fixture AWS benchmark v1.0"
provider = "aws"
source = "https://example.org/fixture-benchmark"

[[requirement]]
id = "2.1.4"
title = "Buckets block public access"
assessment = "automated"
profile = 1

[[requirement]]
id = "2.1.5"
title = "Bucket policies deny plain HTTP"
assessment = "automated"
profile = 2
not_covered = "the fixture has no such check"

[[requirement]]
id = "1.1"
title = "Contact details are current"
assessment = "manual"
profile = 1
"#;

/// The fixture check → the benchmark requirements it tests.
pub fn requirements(check: &str) -> BTreeMap<String, Vec<String>> {
    match check {
        "aws-s3-public-access" => {
            [("cis-aws-fixture-1.0".to_string(), vec!["2.1.4".to_string()])].into()
        }
        _ => BTreeMap::new(),
    }
}

/// The shipped control catalog, with the fixture's benchmark.
pub fn catalog() -> Catalog {
    let mut catalog = Catalog::load(
        (
            "frameworks.toml",
            include_str!("../../../schemas/catalog/frameworks.toml"),
        ),
        (
            "controls.toml",
            include_str!("../../../schemas/catalog/controls.toml"),
        ),
    )
    .expect("the shipped catalog loads");
    let b = demarc_core::benchmark::Benchmark::load("fixture-benchmark.toml", BENCHMARK, &catalog)
        .expect("the fixture benchmark loads");
    catalog.add_benchmark(b).expect("one fixture benchmark");
    catalog
}

#[path = "../../../tests/reference_data.rs"]
mod reference_data;

/// A file of the official reference data (see `tests/reference_data.rs` for where it is looked
/// for), its sha256 checked against the pinned list.
pub fn shared_data(path: &str) -> PathBuf {
    reference_data::find(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
        path,
    )
}

/// `target/test-artifacts` of the workspace, created on demand.
pub fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("target/test-artifacts can be created");
    dir
}

/// Read and parse a JSON file of the reference data.
pub fn shared_json(path: &str) -> serde_json::Value {
    let file = shared_data(path);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn src(plugin: &str, version: &str) -> Source {
    let sha256 = match plugin {
        "aws" => "c3775274e52a4975b31b457cf31de567e0625a42f4e89503f4ec8f825caf925b",
        "azure" => "0b1f8e3a7d4c2b9e6f5a8d7c3b2a1e0f9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a",
        "gcp" => "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d",
        _ => "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    };
    Source {
        plugin: plugin.into(),
        version: version.into(),
        sha256: sha256.into(),
    }
}

fn matrix(provider: &str, model: ServiceModel, layer: Layer) -> Basis {
    Basis {
        kind: BasisKind::Matrix,
        entry: format!("{provider}/{}/{}", model.as_str(), layer.as_str()),
        source: match provider {
            "aws" => "AWS Shared Responsibility Model <https://aws.amazon.com/compliance/shared-responsibility-model/>",
            "azure" => "Microsoft: Shared responsibility in the cloud <https://learn.microsoft.com/azure/security/fundamentals/shared-responsibility>",
            _ => "Google Cloud: Shared responsibilities and shared fate <https://cloud.google.com/architecture/framework/security/shared-responsibility-shared-fate>",
        }
        .into(),
    }
}

struct F<'a> {
    tenant: &'a str,
    target: &'a str,
    provider: &'a str,
    account: &'a str,
    region: &'a str,
    resource: (&'a str, &'a str, Option<&'a str>),
    check: (&'a str, &'a str, Severity),
    status: Status,
    message: &'a str,
    controls: &'a [&'a str],
    owner: Owner,
    model: ServiceModel,
    layer: Layer,
}

impl F<'_> {
    fn build(self) -> Finding {
        let (id, native_type, name) = self.resource;
        Finding {
            id: demarc_core::id::finding_id(
                self.tenant,
                self.provider,
                self.account,
                self.region,
                id,
                self.check.0,
            ),
            tenant: self.tenant.into(),
            target: self.target.into(),
            provider: self.provider.into(),
            account: self.account.into(),
            region: self.region.into(),
            resource: ResourceRef {
                id: id.into(),
                native_type: native_type.into(),
                name: name.map(Into::into),
                tags: vec![],
            },
            check: CheckRef {
                id: self.check.0.into(),
                title: self.check.1.into(),
                severity: self.check.2,
            },
            status: self.status,
            message: self.message.into(),
            controls: self.controls.iter().map(|c| c.to_string()).collect(),
            evidence: vec![],
            remediation: format!("Fix {} as its owner.", self.check.0),
            observed_at: Some("2026-10-29T05:48:11.364Z".into()),
            source: src(self.provider, "0.1.0"),
            responsibility: Responsibility {
                owner: self.owner,
                party: None,
                sharing: (self.owner == Owner::Shared).then_some(Sharing::Dependent),
                service_model: self.model,
                layer: self.layer,
                basis: matrix(self.provider, self.model, self.layer),
                note: None,
            },
            must_act: MustAct::customer(),
            suppression: None,
            verdicts: Vec::new(),
            contradiction: false,
        }
    }
}

fn ev(pairs: &[(&str, &str)]) -> Vec<Evidence> {
    pairs
        .iter()
        .map(|(k, v)| Evidence {
            key: k.to_string(),
            value: v.to_string(),
        })
        .collect()
}

const BLUEFIN: &str = "Bluefin Managed Security";

/// Every finding of the fixture, in plan order.
pub fn findings() -> Vec<Finding> {
    use Owner::*;
    use ServiceModel::*;
    use Severity::*;
    use Status::*;
    let mut out = Vec::new();

    // --- northwind, AWS -------------------------------------------------------------------
    let nw = |f: F<'static>| f.build();
    let mut f = nw(F {
        tenant: "northwind",
        target: "northwind-aws-prod",
        provider: "aws",
        account: "482913650271",
        region: "us-east-1",
        resource: (
            "arn:aws:ec2:us-east-1:482913650271:instance/i-0abc123def4567890",
            "AWS::EC2::Instance",
            Some("nw-legacy-erp"),
        ),
        check: (
            "aws-ec2-patch-compliance",
            "Instances have no missing critical OS patches",
            Critical,
        ),
        status: Fail,
        message: "Instance nw-legacy-erp is missing 14 critical patches (last patched 212 days ago).",
        controls: &["guest-patching"],
        owner: ThirdParty,
        model: Iaas,
        layer: Layer::GuestOs,
    });
    f.responsibility.party = Some(BLUEFIN.into());
    f.responsibility.basis = Basis {
        kind: BasisKind::Contract,
        entry: "contract:northwind/0".into(),
        source: "Northwind Traders managed services agreement 2026, schedule B, section 2".into(),
    };
    f.must_act = MustAct {
        party: Party::ThirdParty,
        name: Some(BLUEFIN.into()),
        basis: Some("contract:northwind/0".into()),
    };
    f.evidence = ev(&[
        ("patchState.missingCritical", "14"),
        ("patchState.lastPatched", "2026-04-03"),
    ]);
    f.remediation =
        "Bluefin Managed Security: apply the missing patches in the next maintenance window."
            .into();
    out.push(f);

    let mut f = nw(F {
        tenant: "northwind",
        target: "northwind-aws-prod",
        provider: "aws",
        account: "482913650271",
        region: "us-east-1",
        resource: (
            "arn:aws:s3:::nw-public-assets",
            "AWS::S3::Bucket",
            Some(HOSTILE_NAME),
        ),
        check: ("aws-s3-public-access", "Buckets block public access", High),
        status: Fail,
        message: "Bucket policy grants s3:GetObject to Principal \"*\" & public ACLs are allowed.",
        controls: &["public-resource-access", "iam-least-privilege"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Identity,
    });
    f.resource.tags = vec![
        ("env".into(), "prod".into()),
        (
            "cost-center".into(),
            "=HYPERLINK(\"http://evil.example/\",\"click\")".into(),
        ),
    ];
    f.evidence = ev(&[
        (
            "supplementaryConfiguration.PublicAccessBlockConfiguration.blockPublicPolicy",
            "false",
        ),
        ("configuration.policy.Statement[0].Principal", "\"*\""),
    ]);
    f.responsibility.note =
        Some("AWS secures the S3 service; who can read a bucket is the customer's setting.".into());
    out.push(f);

    out.push(nw(F {
        tenant: "northwind",
        target: "northwind-aws-prod",
        provider: "aws",
        account: "482913650271",
        region: "us-east-1",
        resource: (
            "arn:aws:ec2:us-east-1:482913650271:security-group/sg-0a1b2c3d",
            "AWS::EC2::SecurityGroup",
            Some("nw-bastion"),
        ),
        check: (
            "aws-ec2-sg-mgmt-ports",
            "Security groups do not open SSH or RDP to the internet",
            High,
        ),
        status: Pass,
        message: "Security group nw-bastion allows SSH only from 10.0.0.0/8.",
        controls: &["mgmt-port-exposure", "network-ingress-restriction"],
        owner: Customer,
        model: Iaas,
        layer: Layer::NetworkControls,
    }));

    let mut f = nw(F {
        tenant: "northwind",
        target: "northwind-aws-prod",
        provider: "aws",
        account: "482913650271",
        region: "eu-west-1",
        resource: (
            "arn:aws:rds:eu-west-1:482913650271:db:nw-orders",
            "AWS::RDS::DBInstance",
            Some("nw-orders"),
        ),
        check: (
            "aws-rds-public",
            "Database instances are not publicly accessible",
            Critical,
        ),
        status: Fail,
        message: "nw-orders is publicly accessible on 0.0.0.0/0:5432.",
        controls: &["db-public-access"],
        owner: Shared,
        model: Paas,
        layer: Layer::NetworkControls,
    });
    f.evidence = ev(&[("configuration.publiclyAccessible", "true")]);
    out.push(f);

    out.push(nw(F {
        tenant: "northwind",
        target: "northwind-aws-prod",
        provider: "aws",
        account: "482913650271",
        region: "global",
        resource: (
            "arn:aws:iam::482913650271:user/ops-admin",
            "AWS::IAM::User",
            Some("ops-admin"),
        ),
        check: (
            "aws-iam-user-console-mfa",
            "Console users have MFA enabled",
            Medium,
        ),
        status: Manual,
        message: "MFA cannot be decided without the IAM credential report; add credential-report.csv.",
        controls: &["mfa"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Identity,
    }));

    out.push(nw(F {
        tenant: "northwind",
        target: "northwind-aws-prod",
        provider: "aws",
        account: "482913650271",
        region: "us-east-1",
        resource: (
            "arn:aws:kms:us-east-1:482913650271:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "AWS::KMS::Key",
            None,
        ),
        check: (
            "aws-kms-key-rotation",
            "Customer-managed keys rotate yearly",
            Low,
        ),
        status: NotApplicable,
        message: "The key is AWS-managed; rotation is AWS's.",
        controls: &["key-rotation"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Data,
    }));

    // --- northwind, Azure -----------------------------------------------------------------
    let mut f = nw(F {
        tenant: "northwind",
        target: "northwind-azure-prod",
        provider: "azure",
        account: "0000-1111",
        region: "westeurope",
        resource: (
            AWKWARD_ID,
            "Microsoft.Storage/storageAccounts",
            Some("st#1"),
        ),
        check: (
            "azure-storage-https-only",
            "Storage accounts accept only HTTPS",
            Medium,
        ),
        status: Fail,
        message: "supportsHttpsTrafficOnly is false | minimumTlsVersion is TLS1_0.",
        controls: &["enc-in-transit"],
        owner: Shared,
        model: Abstracted,
        layer: Layer::Data,
    });
    f.responsibility.sharing = Some(Sharing::Independent);
    f.evidence = ev(&[
        ("properties.supportsHttpsTrafficOnly", "false"),
        ("properties.minimumTlsVersion", "TLS1_0"),
    ]);
    out.push(f);

    let mut f = nw(F {
        tenant: "northwind",
        target: "northwind-azure-prod",
        provider: "azure",
        account: "0000-1111",
        region: "westeurope",
        resource: (
            "/subscriptions/0000-1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app-01",
            "Microsoft.Compute/virtualMachines",
            Some("vm-app-01"),
        ),
        check: (
            "azure-vm-patch-assessment",
            "Virtual machines have no pending security updates",
            Medium,
        ),
        status: Error,
        message: "The patch assessment result is malformed: `lastAssessment` is not a date.",
        controls: &["guest-patching"],
        owner: ThirdParty,
        model: Iaas,
        layer: Layer::GuestOs,
    });
    f.responsibility.party = Some(BLUEFIN.into());
    f.responsibility.basis = Basis {
        kind: BasisKind::Contract,
        entry: "contract:northwind/0".into(),
        source: "Northwind Traders managed services agreement 2026, schedule B, section 2".into(),
    };
    f.must_act = MustAct {
        party: Party::ThirdParty,
        name: Some(BLUEFIN.into()),
        basis: Some("contract:northwind/0".into()),
    };
    out.push(f);

    out.push(nw(F {
        tenant: "northwind",
        target: "northwind-azure-prod",
        provider: "azure",
        account: "0000-1111",
        region: "westeurope",
        resource: (
            "/subscriptions/0000-1111",
            "Microsoft.Resources/subscriptions",
            Some("Northwind production"),
        ),
        check: (
            "azure-host-attestation",
            "The provider's host OS patching is covered by a current attestation",
            Info,
        ),
        status: Pass,
        message: "Microsoft's SOC 2 Type II report covers host OS patching until 2027-03-31.",
        controls: &["host-os-patching"],
        owner: Provider,
        model: Iaas,
        layer: Layer::HostOs,
    }));

    // --- contoso-health, GCP ---------------------------------------------------------------
    out.push(nw(F {
        tenant: "contoso-health",
        target: "contoso-gcp-prod",
        provider: "gcp",
        account: "contoso-phi-prod",
        region: "europe-west4",
        resource: (
            "//storage.googleapis.com/projects/_/buckets/contoso-phi|backups`x`",
            "storage.googleapis.com/Bucket",
            Some("contoso-phi|backups`x`"),
        ),
        check: (
            "gcp-storage-versioning",
            "Buckets keep object versions",
            Low,
        ),
        status: Fail,
        message: "Versioning is off on contoso-phi|backups`x` — *deleted* objects are gone.",
        controls: &["data-versioning", "backup-retention"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Resilience,
    }));

    out.push(nw(F {
        tenant: "contoso-health",
        target: "contoso-gcp-prod",
        provider: "gcp",
        account: "contoso-phi-prod",
        region: "global",
        resource: (
            "//cloudresourcemanager.googleapis.com/projects/contoso-phi-prod",
            "cloudresourcemanager.googleapis.com/Project",
            Some("contoso-phi-prod"),
        ),
        check: (
            "gcp-audit-logs-data-access",
            "Data access audit logs are on for every service",
            Medium,
        ),
        status: Pass,
        message: "DATA_READ and DATA_WRITE audit logs are on for allServices.",
        controls: &["audit-logging"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Logging,
    }));

    out.push(nw(F {
        tenant: "contoso-health",
        target: "contoso-gcp-prod",
        provider: "gcp",
        account: "contoso-phi-prod",
        region: "europe-west4",
        resource: (
            "//compute.googleapis.com/projects/contoso-phi-prod/zones/europe-west4-a/instances/dev-7",
            "compute.googleapis.com/Instance",
            Some("  "),
        ),
        check: (
            "gcp-compute-stale-exposed",
            "No idle non-production instance is exposed to the internet",
            High,
        ),
        status: Fail,
        message: "dev-7 has an external IP and has been idle for 143 days.\nIt still runs an SSH server.",
        controls: &["stale-exposed-resource"],
        owner: Customer,
        model: Iaas,
        layer: Layer::NetworkControls,
    }));

    let mut f = nw(F {
        tenant: "contoso-health",
        target: "contoso-gcp-prod",
        provider: "gcp",
        account: "contoso-phi-prod",
        region: "europe-west4",
        resource: (
            "//sqladmin.googleapis.com/projects/contoso-phi-prod/instances/phi-db",
            "sqladmin.googleapis.com/Instance",
            Some("phi-db"),
        ),
        check: (
            "gcp-sql-encryption-at-rest",
            "Database storage is encrypted at rest",
            High,
        ),
        status: Pass,
        message: "Cloud SQL encrypts phi-db's storage at rest by default.",
        controls: &["enc-at-rest"],
        owner: Provider,
        model: Paas,
        layer: Layer::Data,
    });
    f.responsibility.note = Some(
        "Default encryption uses Google-managed keys; customer-managed keys are the customer's."
            .into(),
    );
    out.push(f);

    out.push(nw(F {
        tenant: "contoso-health",
        target: "contoso-gcp-prod",
        provider: "gcp",
        account: "contoso-phi-prod",
        region: "global",
        resource: (
            "//cloudresourcemanager.googleapis.com/projects/contoso-phi-prod/iam/roles/owner",
            "iam.googleapis.com/Binding",
            Some("roles/owner @everyone"),
        ),
        check: (
            "gcp-iam-primitive-roles",
            "No user holds a primitive owner or editor role",
            Info,
        ),
        status: Fail,
        message: "2 users hold roles/owner: @alice, @bob.",
        controls: &["iam-least-privilege"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Identity,
    }));

    // --- fabrikam, AWS ---------------------------------------------------------------------
    let mut f = nw(F {
        tenant: "fabrikam",
        target: "fabrikam-aws-prod",
        provider: "aws",
        account: "120033445566",
        region: "us-west-2",
        resource: (
            "arn:aws:lambda:us-west-2:120033445566:function:café-☁-λ",
            "AWS::Lambda::Function",
            Some("café ☁ λ"),
        ),
        check: (
            "aws-lambda-runtime-supported",
            "Functions run a supported runtime",
            Medium,
        ),
        status: Fail,
        message: "=cmd|' /C calc'!A0 runs python3.7, end of life since 2023-12-04.",
        controls: &["runtime-supported"],
        owner: Customer,
        model: Faas,
        layer: Layer::Application,
    });
    f.evidence = ev(&[("configuration.runtime", "python3.7")]);
    out.push(f);

    out.push(nw(F {
        tenant: "fabrikam",
        target: "fabrikam-aws-prod",
        provider: "aws",
        account: "120033445566",
        region: "us-east-1",
        resource: (
            "arn:aws:cloudtrail:us-east-1:120033445566:trail/fab-org",
            "AWS::CloudTrail::Trail",
            Some("fab-org"),
        ),
        check: (
            "aws-cloudtrail-multi-region",
            "Every account has a multi-region CloudTrail trail",
            High,
        ),
        status: Pass,
        message: "Trail fab-org records every region.",
        controls: &["audit-logging", "x-control-not-in-catalog"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Logging,
    }));

    out.push(nw(F {
        tenant: "fabrikam",
        target: "fabrikam-aws-prod",
        provider: "aws",
        account: "120033445566",
        region: "global",
        resource: (
            "arn:aws:iam::120033445566:root",
            "AWS::::Account",
            Some("120033445566"),
        ),
        check: (
            "aws-account-owner-documented",
            "Every account has a documented owner",
            Medium,
        ),
        status: Manual,
        message: "Attest the account owner in demarc.toml.",
        controls: &["asset-ownership-documented"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Governance,
    }));

    // An imported tool's finding on the same provider: a second SARIF run.
    let mut f = nw(F {
        tenant: "fabrikam",
        target: "fabrikam-aws-prod",
        provider: "aws",
        account: "120033445566",
        region: "us-west-2",
        resource: (
            "arn:aws:s3:::fab-invoices",
            "AWS::S3::Bucket",
            Some("fab-invoices"),
        ),
        check: (
            "prowler-s3-bucket-default-encryption",
            "S3 buckets have default encryption with customer-managed keys",
            Medium,
        ),
        status: Fail,
        message: "Bucket fab-invoices uses SSE-S3, not SSE-KMS with a customer-managed key.",
        controls: &["enc-customer-managed-keys", "enc-at-rest"],
        owner: Customer,
        model: Abstracted,
        layer: Layer::Data,
    });
    f.source = src("import-prowler", "5.1.0");
    f.observed_at = None;
    out.push(f);

    out
}

/// The gaps of the fixture: a malformed input with a position, a deadline, and a target no
/// plugin covers.
pub fn gaps() -> Vec<Gap> {
    vec![
        Gap {
            kind: GapKind::MalformedInput,
            tenant: "northwind".into(),
            target: "northwind-azure-prod".into(),
            plugin: Some("azure".into()),
            file: Some("northwind/azure-prod/resources page 2.json".into()),
            line: Some(120),
            column: Some(7),
            message:
                "expected `,` or `}` at line 120 column 7; 41 resources after it were not assessed"
                    .into(),
        },
        Gap {
            kind: GapKind::Deadline,
            tenant: "contoso-health".into(),
            target: "contoso-gcp-prod".into(),
            plugin: Some("gcp".into()),
            file: None,
            line: None,
            column: None,
            message: "the plugin ran past its 300 s deadline and was stopped".into(),
        },
        Gap {
            kind: GapKind::NoPlugin,
            tenant: "fabrikam".into(),
            target: "fabrikam-oci".into(),
            plugin: None,
            file: None,
            line: None,
            column: None,
            message: "no plugin is configured for provider `oci` <b>bold?</b>".into(),
        },
    ]
}

/// The control roll-up of the fixture: every roll-up status, several frameworks, requirement
/// ids that are not OSCAL tokens (`3.5.1`, `164.312(a)(2)(iv)`, `AC-2(3)`).
pub fn controls() -> Vec<ControlRow> {
    use RollupStatus::*;
    let row = |tenant: &str,
               framework: &str,
               requirement: &str,
               controls: &[&str],
               owner: Owner,
               status: RollupStatus,
               evidence: &str,
               gap: Option<&str>| ControlRow {
        tenant: tenant.into(),
        framework: framework.into(),
        requirement: requirement.into(),
        controls: controls.iter().map(|c| c.to_string()).collect(),
        checks: vec![],
        owner,
        parties: if owner == Owner::ThirdParty {
            vec![BLUEFIN.into()]
        } else {
            vec![]
        },
        status,
        evidence: vec![evidence.into()],
        attestations: vec![],
        gap: gap.map(Into::into),
    };
    vec![
        row(
            "northwind",
            "nist-800-53-r5",
            "AC-3",
            &["public-resource-access", "db-public-access"],
            Owner::Shared,
            Failing,
            "public-resource-access: failing — aws-s3-public-access 1 fail",
            None,
        ),
        row(
            "northwind",
            "nist-800-53-r5",
            "AC-6(1)",
            &["iam-least-privilege"],
            Owner::Customer,
            Failing,
            "iam-least-privilege: failing — aws-s3-public-access 1 fail",
            None,
        ),
        row(
            "northwind",
            "nist-800-53-r5",
            "IA-2",
            &["mfa", "compute-credential-exposure"],
            Owner::Customer,
            Partial,
            "mfa: not-assessed — aws-iam-user-console-mfa 1 manual",
            Some("`mfa`: 1 finding(s) need data the exports do not hold (manual)"),
        ),
        row(
            "northwind",
            "nist-800-53-r5",
            "PE-3",
            &["physical-security"],
            Owner::Provider,
            Inherited,
            "physical-security: inherited from aws SOC 2 Type II report (valid until 2027-03-31)",
            None,
        ),
        row(
            "northwind",
            "nist-800-53-r5",
            "SI-2",
            &["guest-patching", "host-os-patching"],
            Owner::ThirdParty,
            Failing,
            "guest-patching: failing — aws-ec2-patch-compliance 1 fail",
            None,
        ),
        row(
            "northwind",
            "pci-dss-4.0",
            "12.6.1",
            &["security-awareness-training"],
            Owner::Customer,
            Attested,
            "security-awareness-training: attested — done 2026-01-10 by HR, next due 2027-01-10; evidence https://intranet.example/training",
            None,
        ),
        row(
            "northwind",
            "pci-dss-4.0",
            "4.2.1",
            &["enc-in-transit"],
            Owner::Shared,
            Failing,
            "enc-in-transit: failing — azure-storage-https-only 1 fail",
            None,
        ),
        row(
            "contoso-health",
            "hipaa-security",
            "164.312(a)(2)(iv)",
            &["enc-at-rest"],
            Owner::Provider,
            Satisfied,
            "enc-at-rest: satisfied — gcp-sql-encryption-at-rest 1 pass",
            None,
        ),
        row(
            "contoso-health",
            "hipaa-security",
            "164.308(a)(1)(ii)(A)",
            &["risk-assessment"],
            Owner::Customer,
            Overdue,
            "risk-assessment: overdue — last done 2025-01-10 by CISO, due 2026-01-10 (every 365 days); evidence https://intranet.example/risk",
            None,
        ),
        row(
            "contoso-health",
            "hipaa-security",
            "164.308(a)(7)(ii)(A)",
            &["backup-retention", "data-versioning"],
            Owner::Customer,
            Failing,
            "data-versioning: failing — gcp-storage-versioning 1 fail",
            None,
        ),
        row(
            "contoso-health",
            "iso-27001-2022",
            "A.8.16",
            &["audit-logging"],
            Owner::Customer,
            Satisfied,
            "audit-logging: satisfied — gcp-audit-logs-data-access 1 pass",
            None,
        ),
        // A benchmark requirement: only the check that tests it counts.
        ControlRow {
            checks: vec!["aws-s3-public-access".into()],
            ..row(
                "northwind",
                "cis-aws-fixture-1.0",
                "2.1.4",
                &["public-resource-access"],
                Owner::Customer,
                Failing,
                "aws-s3-public-access: failing — aws-s3-public-access 1 fail",
                None,
            )
        },
        row(
            "fabrikam",
            "pci-dss-4.0",
            "3.5.1",
            &["enc-at-rest"],
            Owner::Customer,
            Failing,
            "enc-at-rest: failing — prowler-s3-bucket-default-encryption 1 fail",
            None,
        ),
        row(
            "fabrikam",
            "pci-dss-4.0",
            "10.7.2",
            &["log-integrity"],
            Owner::Customer,
            NotAssessed,
            "log-integrity: no evidence (no check in the run covers it for this tenant's resources)",
            Some(
                "`log-integrity` has no evidence: no check in the run covers it for this tenant's resources",
            ),
        ),
    ]
}

fn run() -> Run {
    // The checks of each plugin are those its findings name (see `assemble`).
    let plugin = |name: &str, version: &str, provider: &str| PluginRecord {
        name: name.into(),
        version: version.into(),
        provider: provider.into(),
        sha256: src(name, version).sha256,
        contract: "0.3.0".into(),
        signed_by: None,
        producer: None,
        checks: vec![],
    };
    let target =
        |tenant: &str, target: &str, provider: &str, outcome: &str, findings| TargetRecord {
            tenant: tenant.into(),
            target: target.into(),
            provider: provider.into(),
            plugin: provider.into(),
            outcome: outcome.into(),
            resources: findings + 3,
            skipped: 1,
            findings,
            accounts: vec![],
            millis: 0,
            live: None,
        };
    Run {
        tool: "demarc 0.1.0".into(),
        estate: "Bluefin Managed Security: client estate".into(),
        started: "2026-11-02T00:00:00Z".into(),
        finished: "2026-11-02T00:00:07.250Z".into(),
        now: "2026-11-01T00:00:00Z".into(),
        shard: None,
        plugins: vec![
            plugin("aws", "0.1.0", "aws"),
            plugin("azure", "0.1.0", "azure"),
            plugin("gcp", "0.1.0", "gcp"),
            plugin("import-prowler", "5.1.0", "aws"),
        ],
        inputs: vec![
            InputRecord {
                tenant: "northwind".into(),
                target: "northwind-aws-prod".into(),
                path: "northwind/aws-prod/config-snapshot.json".into(),
                sha256: Some(
                    "dc8897ac47a621b691876b21278c184ce2b025a7df97f1bafacdf3028b7ff092".into(),
                ),
                bytes: Some(115_550),
            },
            InputRecord {
                tenant: "northwind".into(),
                target: "northwind-azure-prod".into(),
                path: "northwind/azure-prod/resources page 2.json".into(),
                sha256: None,
                bytes: None,
            },
        ],
        targets: vec![
            target("northwind", "northwind-aws-prod", "aws", "complete", 6),
            target("northwind", "northwind-azure-prod", "azure", "partial", 3),
            target("contoso-health", "contoso-gcp-prod", "gcp", "partial", 5),
            target("fabrikam", "fabrikam-aws-prod", "aws", "complete", 4),
            target("fabrikam", "fabrikam-oci", "oci", "failed", 0),
        ],
        bases: Default::default(),
        notes: Default::default(),
        provider_attestations: vec![],
        suppressions: vec![],
        assumed_service_models: BTreeMap::new(),
    }
}

fn tenants() -> Vec<TenantInfo> {
    vec![
        TenantInfo {
            id: "northwind".into(),
            name: "Northwind Traders".into(),
            providers: vec!["aws".into(), "azure".into()],
            targets: vec!["northwind-aws-prod".into(), "northwind-azure-prod".into()],
            third_parties: vec![BLUEFIN.into()],
            group: Some("retail".into()),
            labels: [("tier".to_string(), "gold".to_string())].into(),
        },
        TenantInfo {
            id: "contoso-health".into(),
            name: "Contoso Health".into(),
            providers: vec!["gcp".into()],
            targets: vec!["contoso-gcp-prod".into()],
            third_parties: vec![],
            group: None,
            labels: BTreeMap::new(),
        },
        TenantInfo {
            id: "fabrikam".into(),
            name: "Fabrikam, Inc. <\"R&D\">".into(),
            providers: vec!["aws".into(), "oci".into()],
            targets: vec!["fabrikam-aws-prod".into(), "fabrikam-oci".into()],
            third_parties: vec![],
            group: None,
            labels: BTreeMap::new(),
        },
    ]
}

/// Build a report from its parts, with the summary counted the way the CLI counts it and the
/// run's tables (each plugin's checks, the basis documents, the notes) taken from the findings.
pub fn assemble(
    mut run: Run,
    tenants: Vec<TenantInfo>,
    findings: Vec<Finding>,
    gaps: Vec<Gap>,
    controls: Vec<ControlRow>,
) -> Report {
    let mut summary = Summary::default();
    for f in &findings {
        summary.add(f);
    }
    for g in &gaps {
        summary.add_gap(g);
    }
    let mut failing: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.status == Status::Fail) {
        for c in &f.controls {
            *failing
                .entry(f.tenant.clone())
                .or_default()
                .entry(c.clone())
                .or_default() += 1;
        }
    }
    summary.portfolio = demarc_core::summary::Portfolio::build(
        &summary,
        &failing,
        run.targets
            .iter()
            .map(|t| (t.tenant.as_str(), t.outcome.as_str())),
        gaps.iter().map(|g| g.tenant.as_str()),
    );
    for f in &findings {
        if let Some(p) = run
            .plugins
            .iter_mut()
            .find(|p| p.name == f.source.plugin && p.version == f.source.version)
            && !p.checks.iter().any(|c| c.id == f.check.id)
        {
            p.checks.push(CheckRecord {
                id: f.check.id.clone(),
                title: f.check.title.clone(),
                severity: f.check.severity,
                actor: demarc_core::Actor::Customer,
                rationale: format!("Why {} matters.", f.check.id),
                remediation: f.remediation.clone(),
                controls: f.controls.clone(),
                resource_types: vec![f.resource.native_type.clone()],
                requirements: requirements(&f.check.id),
            });
        }
        let b = &f.responsibility.basis;
        if matches!(b.kind, BasisKind::Matrix | BasisKind::Contract) {
            run.bases.insert(b.entry.clone(), b.source.clone());
        }
        if let Some(n) = &f.responsibility.note {
            run.notes
                .entry(f.provider.clone())
                .or_default()
                .insert(f.controls[0].clone(), n.clone());
        }
    }
    Report {
        schema: demarc_core::report::REPORT_SCHEMA.into(),
        run,
        tenants,
        findings,
        gaps,
        unmapped: Vec::new(),
        controls,
        summary,
        trend: None,
    }
}

/// [`report`] with its first failing finding under a suppression in force and its second
/// under an expired one (whose approver must act).
pub fn suppressed_report() -> Report {
    let mut r = report();
    let mut failing = r
        .findings
        .iter_mut()
        .filter(|f| f.status == demarc_core::Status::Fail);
    let mark = |id: &str, expired: bool| demarc_core::SuppressionMark {
        id: id.into(),
        justification: "compensating control: <VPN only> & reviewed".into(),
        approved_by: "Dana Whitfield (CISO)".into(),
        expires: if expired { "2026-10-31" } else { "2027-03-31" }.into(),
        expired,
    };
    if let Some(f) = failing.next() {
        f.suppression = Some(mark("accepted-risk", false));
    }
    if let Some(f) = failing.next() {
        f.suppression = Some(mark("lapsed-risk", true));
        f.must_act.name = Some("Dana Whitfield (CISO)".into());
        f.must_act.basis = Some("suppression:lapsed-risk".into());
    }
    r
}

/// The whole fixture.
pub fn report() -> Report {
    assemble(run(), tenants(), findings(), gaps(), controls())
}

/// [`report`] with other tools' findings whose checks map to no control: a failing Prowler
/// finding (high) and a passing one of the same check, and a failing one of another check whose
/// message and resource carry what must be escaped.
pub fn unmapped_report() -> Report {
    let mut r = report();
    let one = |resource: &str,
               check: &str,
               tool_check: &str,
               status: Status,
               sev: Severity,
               message: &str| {
        demarc_core::UnmappedFinding {
            id: demarc_core::id::finding_id(
                "northwind",
                "aws",
                "111122223333",
                "us-east-1",
                resource,
                check,
            ),
            tenant: "northwind".into(),
            target: "nw-prowler".into(),
            provider: "aws".into(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            resource: demarc_core::ResourceRef {
                id: resource.into(),
                native_type: "AwsGuardDutyDetector".into(),
                name: None,
                tags: Vec::new(),
            },
            check: demarc_core::CheckRef {
                id: check.into(),
                title: format!("{tool_check} holds"),
                severity: sev,
            },
            status,
            message: message.into(),
            evidence: ev(&[
                ("tool", "prowler"),
                ("tool.version", "5.46.0"),
                ("tool.check", tool_check),
            ]),
            observed_at: Some("2026-11-01T08:00:00Z".into()),
            source: Source {
                plugin: "import-aws".into(),
                version: "0.1.0".into(),
                sha256: String::new(),
            },
        }
    };
    r.unmapped = vec![
        one(
            "arn:aws:guardduty:us-east-1:111122223333:detector/a1",
            "prowler-guardduty-is-enabled",
            "guardduty_is_enabled",
            Status::Fail,
            Severity::High,
            "GuardDuty is not enabled in us-east-1.",
        ),
        one(
            "arn:aws:guardduty:us-west-2:111122223333:detector/b2",
            "prowler-guardduty-is-enabled",
            "guardduty_is_enabled",
            Status::Pass,
            Severity::High,
            "GuardDuty is enabled.",
        ),
        one(
            "=cmd|' /C calc'!A0 <b>",
            "prowler-macie-is-enabled",
            "macie_is_enabled",
            Status::Fail,
            Severity::Medium,
            "Macie <script>alert(1)</script> | is off",
        ),
    ];
    for f in &r.unmapped {
        r.summary.add_unmapped(f);
    }
    r
}

/// A run that found nothing and lost nothing.
pub fn empty_report() -> Report {
    let mut run = run();
    run.plugins.clear();
    run.inputs.clear();
    run.targets.clear();
    assemble(run, vec![], vec![], vec![], vec![])
}

/// Path of the golden report of the demo estate, which the integration tests keep equal to
/// what `demarc scan --pin-time 2026-11-02T00:00:00Z` writes for `examples/demo`.
pub const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/golden/demo-report.json"
);

/// The real report of the demo estate (see [`SAMPLE`]), so that every renderer is also tested
/// on real scan output.
pub fn sample_report() -> Option<Report> {
    let text = std::fs::read_to_string(SAMPLE).expect("tests/golden/demo-report.json exists");
    let mut r: Report =
        serde_json::from_str(&text).expect("tests/golden/demo-report.json reads into the model");
    r.resolve();
    Some(r)
}

#[test]
fn the_fixture_covers_what_the_renderers_must_handle() {
    let r = report();
    for s in Status::ALL {
        assert!(r.findings.iter().any(|f| f.status == s), "no {s:?}");
    }
    for o in Owner::ALL {
        assert!(
            r.findings.iter().any(|f| f.responsibility.owner == o),
            "no {o:?}"
        );
    }
    for sev in Severity::ALL {
        assert!(
            r.findings
                .iter()
                .any(|f| f.check.severity == sev && f.status == Status::Fail),
            "no failing {sev:?}"
        );
    }
    let ids: std::collections::BTreeSet<_> = r.findings.iter().map(|f| &f.id).collect();
    assert_eq!(ids.len(), r.findings.len(), "finding ids are unique");
    assert_eq!(r.tenants.len(), 3);
    assert!(!r.gaps.is_empty());
}
