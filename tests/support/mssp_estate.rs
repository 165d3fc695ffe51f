//! A generated MSSP estate: many client tenants, each with an AWS, an Azure and a Google Cloud
//! target, configured one file per tenant (`include = ["tenants/*.toml"]`). Shared by the MSSP
//! benchmark and the integration tests.
//!
//! Each tenant's exports are the demo's Northwind production exports with that tenant's own AWS
//! account, Azure subscription and Google Cloud project written into every id, so that tenants
//! never share an account and the host's account checks hold.

use std::path::{Path, PathBuf};

/// The Northwind production files each tenant gets, by target.
const TARGETS: [(&str, &str, &[&str]); 3] = [
    (
        "aws",
        "northwind/aws-prod",
        &[
            "config-snapshot.json",
            "config-snapshot-eu-west-1.json",
            "credential-report.csv",
        ],
    ),
    (
        "azure",
        "northwind/azure-prod",
        &[
            "resources.json",
            "authorizationresources.json",
            "securityresources.json",
            "recoveryservicesresources.json",
            "sql-firewall-rules.json",
            "keyvault-keys.ndjson",
            "webapp-config.json",
            "diagnostic-settings.json",
        ],
    ),
    (
        "gcp",
        "northwind/gcp-prod",
        &["resources.ndjson", "iam-policies.ndjson"],
    ),
];

/// Northwind's account ids in those files, and how each tenant's own are made.
const AWS_ACCOUNT: &str = "482913650271";
const AZURE_SUBSCRIPTION: &str = "5f1c3a8e-7b2d-4e90-a1c4-3d8e6f9b2a71";
const GCP_PROJECT_NUMBER: &str = "418203957711";
const GCP_PROJECT_ID: &str = "nw-retail-prod";
const AZURE_MANAGEMENT_GROUP: &str = "mg-northwind-prod";
const GCP_FOLDER: &str = "3308124461";
const GCP_ORGANIZATION: &str = "5581920374";

/// Tenant `t`'s own ids, in place of each of Northwind's.
fn ids(t: usize) -> [(&'static str, String); 7] {
    [
        (
            AWS_ACCOUNT,
            format!("{:012}", 700_000_000_000u64 + t as u64),
        ),
        (
            AZURE_SUBSCRIPTION,
            format!(
                "5f1c3a8e-7b2d-4e90-a1c4-{:012x}",
                0xa0_0000_0000u64 + t as u64
            ),
        ),
        (
            GCP_PROJECT_NUMBER,
            format!("{:012}", 900_000_000_000u64 + t as u64),
        ),
        (GCP_PROJECT_ID, format!("client{t:03}-prod")),
        (AZURE_MANAGEMENT_GROUP, format!("mg-client{t:03}")),
        (GCP_FOLDER, format!("{}", 6_000_000_000u64 + t as u64)),
        (GCP_ORGANIZATION, format!("{}", 8_000_000_000u64 + t as u64)),
    ]
}

fn demo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/demo")
        .join(path)
}

/// Write the estate of `tenants` tenants (`client000`, `client001`, …) into `dir`; returns the
/// configuration's path. Tenant `clientNNN`'s exports are under `estate/clientNNN/{aws,azure,gcp}`.
pub fn generate(dir: &Path, tenants: usize) -> PathBuf {
    let sources: Vec<(String, String)> = TARGETS
        .iter()
        .flat_map(|(_, d, files)| {
            files.iter().map(move |f| {
                let p = format!("{d}/{f}");
                let text = std::fs::read_to_string(demo(&p)).unwrap();
                (p, text)
            })
        })
        .collect();
    std::fs::create_dir_all(dir.join("tenants")).unwrap();
    for t in 0..tenants {
        let ids = ids(t);
        let own = |theirs: &str| ids.iter().find(|(n, _)| *n == theirs).unwrap().1.clone();
        let id = format!("client{t:03}");
        let mut cfg = format!(
            "[[tenant]]\nid = \"{id}\"\nname = \"Client {t:03}\"\ngroup = \"{}\"\nlabels = {{ tier = \"{}\" }}\n",
            ["retail", "health", "finance", "public"][t % 4],
            ["gold", "silver", "bronze"][t % 3]
        );
        for (provider, d, files) in TARGETS {
            let snap = dir.join("estate").join(&id).join(provider);
            std::fs::create_dir_all(&snap).unwrap();
            for f in files {
                let p = format!("{d}/{f}");
                let text = &sources.iter().find(|(q, _)| *q == p).unwrap().1;
                let text = ids.iter().fold(text.clone(), |text, (theirs, mine)| {
                    text.replace(theirs, mine)
                });
                std::fs::write(snap.join(f), text).unwrap();
            }
            let accounts = match provider {
                "aws" => format!("[\"{}\"]", own(AWS_ACCOUNT)),
                "azure" => format!(
                    "[\"{}\", \"{}\"]",
                    own(AZURE_SUBSCRIPTION),
                    own(AZURE_MANAGEMENT_GROUP)
                ),
                _ => format!(
                    "[\"{}\", \"folders/{}\", \"organizations/{}\"]",
                    own(GCP_PROJECT_NUMBER),
                    own(GCP_FOLDER),
                    own(GCP_ORGANIZATION)
                ),
            };
            cfg.push_str(&format!(
                "\n[[tenant.target]]\nid = \"{id}-{provider}\"\nprovider = \"{provider}\"\nsnapshot = \"../estate/{id}/{provider}\"\naccounts = {accounts}\n"
            ));
        }
        std::fs::write(dir.join(format!("tenants/{id}.toml")), cfg).unwrap();
    }
    let config = dir.join("demarc.toml");
    std::fs::write(
        &config,
        "name = \"MSSP benchmark estate\"\nnow = \"2026-11-01T00:00:00Z\"\ninclude = [\"tenants/*.toml\"]\n",
    )
    .unwrap();
    config
}
