//! The snapshot's layout: which file holds which `doctl` (or `aws s3api`) export, told by its
//! name, and the parsing shared by the exports' types.
//!
//! `doctl ... -o json` writes bare arrays; the DigitalOcean API wraps the same objects in an
//! object (`{"droplets": [...]}`); both are read. The exports that name no resource of their own
//! carry it in the file name: a database cluster's trusted sources are
//! `database-firewall-CLUSTER_ID.json`, a Spaces bucket's ACL is `spaces-acl-REGION-BUCKET.json`.

use serde::{Deserialize, Deserializer};

/// What one input of the snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `account.json`: `doctl account get -o json`.
    Account,
    /// `droplets.json`: `doctl compute droplet list -o json`.
    Droplets,
    /// `firewalls.json`: `doctl compute firewall list -o json`.
    Firewalls,
    /// `databases.json`: `doctl databases list -o json`.
    Databases,
    /// `database-firewall-CLUSTER_ID.json`: `doctl databases firewalls list CLUSTER_ID -o json`.
    DatabaseFirewall {
        /// The cluster the rules belong to.
        cluster: String,
    },
    /// `spaces-acl-REGION-BUCKET.json`: `aws s3api get-bucket-acl --bucket BUCKET
    /// --endpoint-url https://REGION.digitaloceanspaces.com`.
    SpacesAcl {
        /// The Spaces region (`nyc3`, `fra1`).
        region: String,
        /// The bucket.
        bucket: String,
    },
}

/// The file names this plugin reads, for messages.
pub const NAMES: &str = "account.json, droplets.json, firewalls.json, databases.json, \
                         database-firewall-CLUSTER_ID.json, spaces-acl-REGION-BUCKET.json";

impl Kind {
    /// What the input named `name` (a path relative to the snapshot) holds, or why it is none
    /// of this plugin's exports.
    pub fn of(name: &str) -> Result<Kind, String> {
        let file = name.rsplit('/').next().unwrap_or(name);
        let Some(stem) = file.strip_suffix(".json") else {
            return Err(format!(
                "`{file}` is not a .json export; this plugin reads {NAMES}"
            ));
        };
        let kind = match stem {
            "account" => Kind::Account,
            "droplets" => Kind::Droplets,
            "firewalls" => Kind::Firewalls,
            "databases" => Kind::Databases,
            _ => {
                if let Some(cluster) = stem.strip_prefix("database-firewall-") {
                    if cluster.is_empty() {
                        return Err(format!("`{file}` names no database cluster id"));
                    }
                    Kind::DatabaseFirewall {
                        cluster: cluster.to_string(),
                    }
                } else if let Some(rest) = stem.strip_prefix("spaces-acl-") {
                    match rest.split_once('-') {
                        Some((region, bucket)) if !region.is_empty() && !bucket.is_empty() => {
                            Kind::SpacesAcl {
                                region: region.to_string(),
                                bucket: bucket.to_string(),
                            }
                        }
                        _ => {
                            return Err(format!(
                                "`{file}` does not name a region and a bucket \
                                 (spaces-acl-REGION-BUCKET.json)"
                            ));
                        }
                    }
                } else {
                    return Err(format!(
                        "`{file}` is not a file name this plugin reads ({NAMES})"
                    ));
                }
            }
        };
        Ok(kind)
    }
}

/// A field that `doctl` may write as `null` (Go's empty slices and maps) read as its default.
pub fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A small export read whole: an object, the API's wrapper `{KEY: object}`, or `doctl`'s array
/// of one object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum One<T> {
    /// `[object]`.
    Array(Vec<T>),
    /// `{KEY: object}` or the object itself.
    Object(T),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_what_they_hold() {
        assert_eq!(Kind::of("droplets.json"), Ok(Kind::Droplets));
        assert_eq!(Kind::of("sub/account.json"), Ok(Kind::Account));
        assert_eq!(
            Kind::of("database-firewall-9cc10173-e9ea-4176-9dbc-a4cee4c4ff30.json"),
            Ok(Kind::DatabaseFirewall {
                cluster: "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30".to_string()
            })
        );
        assert_eq!(
            Kind::of("spaces-acl-fra1-press-kit.assets.json"),
            Ok(Kind::SpacesAcl {
                region: "fra1".to_string(),
                bucket: "press-kit.assets".to_string()
            })
        );
        for bad in [
            "droplets.csv",
            "volumes.json",
            "database-firewall-.json",
            "spaces-acl-nyc3.json",
            "spaces-acl--bucket.json",
        ] {
            let e = Kind::of(bad).unwrap_err();
            assert!(e.contains('`'), "{bad}: {e}");
        }
    }
}
