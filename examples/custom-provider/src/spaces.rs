//! Spaces buckets: their ACL as the S3-compatible `GetBucketAcl` returns it (`aws s3api
//! get-bucket-acl --bucket BUCKET --endpoint-url https://REGION.digitaloceanspaces.com`), one
//! file per bucket, `spaces-acl-REGION-BUCKET.json`.

use demarc_sdk::{Actor, CheckDef, Finding, FindingBuilder, Severity};
use serde::Deserialize;

use crate::Ctx;
use crate::export::nullable;

/// The native type of a Spaces bucket.
pub const BUCKET: &str = "digitalocean/spaces-bucket";

/// A bucket's ACL grants nothing to everyone.
pub static SPACES_PUBLIC_ACL: CheckDef = CheckDef {
    id: "digitalocean-spaces-public-acl",
    title: "Spaces buckets grant no access to everyone",
    severity: Severity::High,
    actor: Actor::Customer,
    rationale: "A bucket ACL that grants the AllUsers group READ lists every object to anyone; \
                WRITE or FULL_CONTROL lets anyone add, overwrite or delete them.",
    remediation: "Set the bucket's ACL to private (`aws s3api put-bucket-acl --acl private \
                  --endpoint-url https://REGION.digitaloceanspaces.com`) and share objects with \
                  presigned URLs or the CDN.",
    controls: &["public-resource-access"],
    resource_types: &[BUCKET],
    requirements: &[],
};

/// The group URIs that mean "everyone".
const EVERYONE: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

/// A bucket ACL.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Acl {
    /// The bucket's owner.
    #[serde(default)]
    pub owner: Option<Owner>,
    /// Its grants.
    #[serde(default, deserialize_with = "nullable")]
    pub grants: Vec<Grant>,
}

/// The owner of a bucket.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    /// The owner's id.
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
}

/// One grant.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grant {
    /// Who is granted.
    pub grantee: Grantee,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`.
    pub permission: String,
}

/// A grantee.
#[derive(Debug, Deserialize)]
pub struct Grantee {
    /// `CanonicalUser` or `Group`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// A group's URI.
    #[serde(rename = "URI", default)]
    pub uri: Option<String>,
    /// A user's id.
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
}

/// A bucket and its ACL, as one file of the snapshot holds it.
#[derive(Debug)]
pub struct Bucket {
    /// The bucket's name (from the file name).
    pub name: String,
    /// Its region (from the file name).
    pub region: String,
    /// Its ACL.
    pub acl: Acl,
}

impl Grant {
    fn to_everyone(&self) -> bool {
        self.grantee.kind == "Group"
            && self
                .grantee
                .uri
                .as_deref()
                .is_some_and(|u| EVERYONE.contains(&u))
    }
}

/// Judge one bucket's ACL.
pub fn spaces_public_acl(b: &Bucket, ctx: &Ctx<'_>) -> Finding {
    let f = FindingBuilder::new(
        &SPACES_PUBLIC_ACL,
        ctx.account,
        &b.region,
        BUCKET,
        &format!("do:space:{}", b.name),
    )
    .name(Some(&b.name))
    .evidence("grants", b.acl.grants.len());
    let public: Vec<&str> = b
        .acl
        .grants
        .iter()
        .filter(|g| g.to_everyone())
        .map(|g| g.permission.as_str())
        .collect();
    if public.is_empty() {
        return f.pass("the bucket's ACL grants nothing to everyone");
    }
    let writable = public
        .iter()
        .any(|p| matches!(*p, "WRITE" | "WRITE_ACP" | "FULL_CONTROL"));
    f.evidence("public_permissions", public.join(", "))
        .fail(if writable {
            "the bucket's ACL lets everyone write to it"
        } else {
            "the bucket's ACL lets everyone read it"
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use demarc_sdk::Status;
    use demarc_sdk::testing;

    const CTX: Ctx<'static> = Ctx {
        account: "team-1",
        now: demarc_sdk::time::Timestamp(0),
    };

    const OWNER: &str = r#"{"Grantee": {"DisplayName": "8301944", "ID": "8301944", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}"#;

    fn bucket(grants: &str) -> Bucket {
        Bucket {
            name: "press-kit".to_string(),
            region: "fra1".to_string(),
            acl: serde_json::from_str(&format!(
                r#"{{"Owner": {{"DisplayName": "8301944", "ID": "8301944"}}, "Grants": [{grants}]}}"#
            ))
            .expect("a test ACL parses"),
        }
    }

    #[test]
    fn a_private_bucket_passes() {
        let f = spaces_public_acl(&bucket(OWNER), &CTX);
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.resource.id, "do:space:press-kit");
        assert_eq!(f.region, "fra1");
    }

    #[test]
    fn everyone_reading_or_writing_fails() {
        let read = format!(
            r#"{OWNER}, {{"Grantee": {{"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}}, "Permission": "READ"}}"#
        );
        let f = spaces_public_acl(&bucket(&read), &CTX);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("read"), "{}", f.message);
        assert_eq!(testing::evidence(&f, "public_permissions"), Some("READ"));
        let write = format!(
            r#"{OWNER}, {{"Grantee": {{"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}}, "Permission": "WRITE"}}"#
        );
        let f = spaces_public_acl(&bucket(&write), &CTX);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("write"), "{}", f.message);
        // A group that is not everyone (the log delivery group) is not public.
        let logs = format!(
            r#"{OWNER}, {{"Grantee": {{"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}}, "Permission": "WRITE"}}"#
        );
        assert_eq!(spaces_public_acl(&bucket(&logs), &CTX).status, Status::Pass);
    }
}
