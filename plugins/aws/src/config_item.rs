//! One AWS Config configuration item, read borrowed and shallow.
//!
//! A configuration item is the same shape in a delivered snapshot, a history file, an NDJSON
//! re-export and the `get-resource-config-history` API (which spells `ARN` as `arn` and
//! `awsAccountId` as `accountId`). [`ConfigItem`] reads only the envelope: the strings borrow
//! from the input, and `configuration`, `supplementaryConfiguration`, `tags` and
//! `relationships` stay raw JSON slices. An item whose type has no checks is therefore never
//! parsed past its envelope; the check modules parse `configuration` into small typed structs
//! holding only the fields they decide on.
//!
//! AWS Config's change notifications (to SNS, EventBridge, or saved from either) are read as the
//! item they carry: `{"messageType": "ConfigurationItemChangeNotification", "configurationItem":
//! {...}, "configurationItemDiff": {...}}`. An item too large for a notification arrives as
//! `OversizedConfigurationItemChangeNotification` with only a `configurationItemSummary` (the
//! envelope, no `configuration`) and the S3 location of the full item in `s3DeliverySummary`:
//! it is read as its summary and marked [`Notification::Oversized`], so that the scan reports
//! the missing configuration instead of judging an empty one. Other messages (delivery and
//! compliance notifications) carry no item and are marked [`Notification::Other`].

use std::borrow::Cow;
use std::fmt;

use demarc_sdk::{CheckDef, FindingBuilder};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use demarc_sdk::json::{FieldError, Text, parse_embedded};

/// The envelope of one configuration item.
#[derive(Debug, Default)]
pub struct ConfigItem<'a> {
    /// `configurationItemStatus`: `OK`, `ResourceDiscovered`, `ResourceNotRecorded`,
    /// `ResourceDeleted`, `ResourceDeletedNotRecorded`.
    pub status: Text<'a>,
    /// `configurationItemCaptureTime`.
    pub capture_time: Text<'a>,
    /// `awsAccountId` (API form: `accountId`).
    pub account_id: Text<'a>,
    /// `awsRegion`.
    pub region: Text<'a>,
    /// `resourceType`, e.g. `AWS::EC2::SecurityGroup`.
    pub resource_type: Text<'a>,
    /// `resourceId`.
    pub resource_id: Text<'a>,
    /// `resourceName`.
    pub resource_name: Text<'a>,
    /// `ARN` (API form: `arn`).
    pub arn: Text<'a>,
    /// `tags`: an object of key → value (older items and re-exports: a list of `{key, value}`).
    pub tags: Option<&'a RawValue>,
    /// `configuration`: the service's own describe output (API form: a JSON string of it).
    pub configuration: Option<&'a RawValue>,
    /// `supplementaryConfiguration`: per-type extras (API form: values are JSON strings).
    pub supplementary: Option<&'a RawValue>,
    /// `relationships`.
    pub relationships: Option<&'a RawValue>,
    /// What notification, if any, this item came in.
    pub notification: Notification,
}

/// The notification an item was read from.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Notification {
    /// A plain configuration item, or a `ConfigurationItemChangeNotification`'s item.
    #[default]
    None,
    /// An `OversizedConfigurationItemChangeNotification`: the item is only its summary; the full
    /// item was delivered to this S3 location (when the message says).
    Oversized(Option<String>),
    /// A notification of this `messageType` that carries no configuration item.
    Other(String),
}

/// `messageType`s whose message is (or summarises) a configuration item.
const ITEM_MESSAGES: [&str; 2] = [
    "ConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeNotification",
];

/// The statuses of items that describe no live, recorded resource; they are skipped.
pub const SKIPPED_STATUSES: [&str; 3] = [
    "ResourceDeleted",
    "ResourceDeletedNotRecorded",
    "ResourceNotRecorded",
];

impl<'a> ConfigItem<'a> {
    /// Whether the item describes a deleted or unrecorded resource (never evaluated).
    pub fn is_skipped(&self) -> bool {
        self.status.get().is_some_and(|s| {
            SKIPPED_STATUSES
                .iter()
                .any(|k| s.trim().eq_ignore_ascii_case(k))
        })
    }

    /// The account id, or `unknown` when the item does not say.
    pub fn account(&self) -> &str {
        self.account_id.non_empty().unwrap_or("unknown")
    }

    /// The region, or `global` for global resources (IAM) and items without one.
    pub fn region(&self) -> &str {
        self.region.non_empty().unwrap_or("global")
    }

    /// The resource's id for findings: the ARN, else the resourceId.
    pub fn id(&self) -> &str {
        self.arn
            .non_empty()
            .or_else(|| self.resource_id.non_empty())
            .unwrap_or("unknown")
    }

    /// The resource type (empty when absent).
    pub fn kind(&self) -> &str {
        self.resource_type.get().unwrap_or("")
    }

    /// A readable label for messages: the name, else the resource id.
    pub fn label(&self) -> &str {
        self.resource_name
            .non_empty()
            .or_else(|| self.resource_id.non_empty())
            .unwrap_or_else(|| self.id())
    }

    /// Parse `configuration` into `T`; `None` when absent or `null`. A document held in a string
    /// is decoded into `buf`.
    pub fn configuration<'b, T: Deserialize<'b>>(
        &self,
        buf: &'b mut Option<String>,
    ) -> Result<Option<T>, FieldError<'a>>
    where
        'a: 'b,
    {
        parse_embedded(self.configuration, "configuration", buf)
    }

    /// Parse `supplementaryConfiguration` into `T`; `None` when absent or `null`.
    pub fn supplementary<'b, T: Deserialize<'b>>(
        &self,
        buf: &'b mut Option<String>,
    ) -> Result<Option<T>, FieldError<'a>>
    where
        'a: 'b,
    {
        parse_embedded(self.supplementary, "supplementaryConfiguration", buf)
    }

    /// The item's tags. Tags that cannot be read are treated as none.
    pub fn tag_set(&self) -> TagSet<'a> {
        self.tags
            .and_then(|raw| serde_json::from_str::<TagSet<'a>>(raw.get()).ok())
            .unwrap_or_default()
    }

    /// The resource as findings describe it, with the item's own tags.
    pub fn subject(&self) -> Subject<'_, 'a> {
        Subject {
            item: self,
            tags: self.tag_set(),
        }
    }
}

/// A configuration item together with its parsed tags: what a finding needs about its resource.
#[derive(Debug)]
pub struct Subject<'i, 'a> {
    /// The item.
    pub item: &'i ConfigItem<'a>,
    /// Its tags.
    pub tags: TagSet<'a>,
}

impl<'a> Subject<'_, 'a> {
    /// Use `fallback` (tags recorded inside `configuration` by older items) when the item has no
    /// top-level tags.
    pub fn with_fallback_tags(mut self, fallback: TagSet<'a>) -> Self {
        if self.tags.0.is_empty() {
            self.tags = fallback;
        }
        self
    }

    /// A readable label for messages: the resource name, else the `Name` tag with the resource
    /// id (`web-1 (i-0abc…)`), else the resource id.
    pub fn label(&self) -> Cow<'_, str> {
        let item = self.item;
        if let Some(name) = item.resource_name.non_empty() {
            return Cow::Borrowed(name);
        }
        let id = item.resource_id.non_empty().unwrap_or_else(|| item.id());
        match self.tags.find_any(&["Name"]) {
            Some((_, name)) if name.trim() != id => Cow::Owned(format!("{} ({id})", name.trim())),
            _ => Cow::Borrowed(id),
        }
    }

    /// Start a finding of `check` about this resource.
    pub fn finding(&self, check: &CheckDef) -> FindingBuilder {
        let item = self.item;
        FindingBuilder::new(check, item.account(), item.region(), item.kind(), item.id())
            .name(item.resource_name.non_empty())
            .tags(self.tags.iter())
            .observed_at(item.capture_time.non_empty())
    }
}

/// Tags, as the SDK reads them: an object of key → value, or a list of `{key, value}` /
/// `{Key, Value}` objects.
pub use demarc_sdk::json::Tags as TagSet;

/// The envelope fields, identified without allocating.
enum Field {
    Status,
    CaptureTime,
    Account,
    Region,
    ResourceType,
    ResourceId,
    ResourceName,
    Arn,
    Tags,
    Configuration,
    Supplementary,
    Relationships,
    MessageType,
    Item,
    Summary,
    S3Delivery,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "configurationItemStatus" => Field::Status,
                    "configurationItemCaptureTime" => Field::CaptureTime,
                    "awsAccountId" | "accountId" => Field::Account,
                    "awsRegion" => Field::Region,
                    "resourceType" => Field::ResourceType,
                    "resourceId" => Field::ResourceId,
                    "resourceName" => Field::ResourceName,
                    "ARN" | "arn" => Field::Arn,
                    "tags" => Field::Tags,
                    "configuration" => Field::Configuration,
                    "supplementaryConfiguration" => Field::Supplementary,
                    "relationships" => Field::Relationships,
                    "messageType" => Field::MessageType,
                    "configurationItem" => Field::Item,
                    "configurationItemSummary" => Field::Summary,
                    "s3DeliverySummary" => Field::S3Delivery,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ConfigItem<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConfigItem<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AWS Config configuration item (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // The first occurrence of a field wins, so an item carrying both `ARN` and `arn`
                // (or both account spellings) still reads.
                use demarc_sdk::json::{first_raw as raw, first_text as text};
                #[derive(Deserialize)]
                struct S3Delivery<'a> {
                    #[serde(rename = "s3BucketLocation", borrow, default)]
                    location: Text<'a>,
                }
                let mut item = ConfigItem::default();
                let mut message_type = Text::default();
                let mut carried: Option<ConfigItem<'de>> = None;
                let mut summary: Option<ConfigItem<'de>> = None;
                let mut s3: Option<String> = None;
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Status => text(&mut map, &mut item.status)?,
                        Field::CaptureTime => text(&mut map, &mut item.capture_time)?,
                        Field::Account => text(&mut map, &mut item.account_id)?,
                        Field::Region => text(&mut map, &mut item.region)?,
                        Field::ResourceType => text(&mut map, &mut item.resource_type)?,
                        Field::ResourceId => text(&mut map, &mut item.resource_id)?,
                        Field::ResourceName => text(&mut map, &mut item.resource_name)?,
                        Field::Arn => text(&mut map, &mut item.arn)?,
                        Field::Tags => raw(&mut map, &mut item.tags)?,
                        Field::Configuration => raw(&mut map, &mut item.configuration)?,
                        Field::Supplementary => raw(&mut map, &mut item.supplementary)?,
                        Field::Relationships => raw(&mut map, &mut item.relationships)?,
                        Field::MessageType => text(&mut map, &mut message_type)?,
                        Field::Item if carried.is_none() => {
                            carried = map.next_value::<Option<ConfigItem<'de>>>()?;
                        }
                        Field::Summary if summary.is_none() => {
                            summary = map.next_value::<Option<ConfigItem<'de>>>()?;
                        }
                        Field::S3Delivery if s3.is_none() => {
                            s3 = map
                                .next_value::<Option<S3Delivery<'de>>>()?
                                .and_then(|d| d.location.non_empty().map(str::to_string));
                        }
                        Field::Item | Field::Summary | Field::S3Delivery | Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let Some(kind) = message_type.non_empty() else {
                    return Ok(item);
                };
                if !ITEM_MESSAGES.contains(&kind) {
                    return Ok(ConfigItem {
                        notification: Notification::Other(kind.to_string()),
                        ..item
                    });
                }
                // The carried item is the item; a summary stands in for an oversized one.
                Ok(match (carried, summary) {
                    (Some(inner), _) => inner,
                    (None, Some(summary)) => ConfigItem {
                        notification: Notification::Oversized(s3),
                        configuration: None,
                        supplementary: None,
                        ..summary
                    },
                    (None, None) => ConfigItem {
                        notification: Notification::Oversized(s3),
                        ..item
                    },
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// One entry of `relationships`.
#[derive(Debug, Deserialize)]
pub struct Relationship<'a> {
    /// Related resource type.
    #[serde(rename = "resourceType", borrow, default)]
    pub resource_type: Text<'a>,
    /// Related resource id.
    #[serde(rename = "resourceId", borrow, default)]
    pub resource_id: Text<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_snapshot_envelope_borrowed() {
        let json = r#"{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2025-01-02T03:04:05.000Z",
            "configurationItemStatus":"OK","awsAccountId":"111122223333","resourceType":"AWS::EC2::Volume",
            "resourceId":"vol-1","resourceName":"data","ARN":"arn:aws:ec2:eu-west-1:111122223333:volume/vol-1",
            "awsRegion":"eu-west-1","tags":{"Owner":"ops"},"relationships":[],"configuration":{"encrypted":true},
            "supplementaryConfiguration":{}}"#;
        let item: ConfigItem<'_> = serde_json::from_str(json).unwrap();
        assert!(matches!(
            item.resource_type.0,
            Some(Cow::Borrowed("AWS::EC2::Volume"))
        ));
        assert_eq!(item.account(), "111122223333");
        assert_eq!(item.id(), "arn:aws:ec2:eu-west-1:111122223333:volume/vol-1");
        assert_eq!(item.configuration.unwrap().get(), r#"{"encrypted":true}"#);
        assert_eq!(item.tag_set().find_any(&["owner"]), Some(("Owner", "ops")));
        assert!(!item.is_skipped());
    }

    #[test]
    fn labels_prefer_the_name_then_the_name_tag() {
        let named = r#"{"resourceId":"sg-1","resourceName":"web"}"#;
        let item: ConfigItem<'_> = serde_json::from_str(named).unwrap();
        assert_eq!(item.subject().label(), "web");
        let tagged = r#"{"resourceId":"i-1","tags":{"Name":"bastion"}}"#;
        let item: ConfigItem<'_> = serde_json::from_str(tagged).unwrap();
        assert_eq!(item.subject().label(), "bastion (i-1)");
        let bare = r#"{"resourceId":"i-2"}"#;
        let item: ConfigItem<'_> = serde_json::from_str(bare).unwrap();
        assert_eq!(item.subject().label(), "i-2");
    }

    #[test]
    fn reads_the_api_casing_and_falls_back_to_resource_id() {
        let json = r#"{"accountId":"444455556666","arn":"arn:aws:s3:::b","resourceType":"AWS::S3::Bucket",
            "resourceId":"b","configuration":"{\"name\":\"b\"}"}"#;
        let item: ConfigItem<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(item.account(), "444455556666");
        assert_eq!(item.id(), "arn:aws:s3:::b");
        assert_eq!(item.region(), "global");

        let no_arn: ConfigItem<'_> =
            serde_json::from_str(r#"{"resourceType":"AWS::IAM::User","resourceId":"AIDA1"}"#)
                .unwrap();
        assert_eq!(no_arn.id(), "AIDA1");
        assert_eq!(no_arn.account(), "unknown");
    }

    #[test]
    fn duplicate_spellings_do_not_fail_the_item() {
        let json = r#"{"ARN":"arn:first","arn":"arn:second","awsAccountId":"1","accountId":"2"}"#;
        let item: ConfigItem<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(item.id(), "arn:first");
        assert_eq!(item.account(), "1");
    }

    #[test]
    fn deleted_and_unrecorded_items_are_skipped() {
        for status in [
            "ResourceDeleted",
            "ResourceDeletedNotRecorded",
            "ResourceNotRecorded",
        ] {
            let json = format!(
                r#"{{"configurationItemStatus":"{status}","resourceType":"AWS::S3::Bucket"}}"#
            );
            let item: ConfigItem<'_> = serde_json::from_str(&json).unwrap();
            assert!(item.is_skipped(), "{status}");
        }
    }

    #[test]
    fn tags_as_object_or_list() {
        let list: TagSet<'_> =
            serde_json::from_str(r#"[{"key":"team","value":"data"},{"Key":"Env","Value":"prod"}]"#)
                .unwrap();
        assert_eq!(list.0.len(), 2);
        assert_eq!(list.find_any(&["ENV"]), Some(("Env", "prod")));
        let empty_value: TagSet<'_> = serde_json::from_str(r#"{"owner":""}"#).unwrap();
        assert_eq!(empty_value.find_any(&["owner"]), None);
        // Both spellings in one pair: read, not rejected as a duplicate field.
        let both: TagSet<'_> =
            serde_json::from_str(r#"[{"Key":"Env","key":"Env","Value":"prod","value":"prod"}]"#)
                .unwrap();
        assert_eq!(both.find_any(&["env"]), Some(("Env", "prod")));
    }

    #[test]
    fn configuration_as_a_string_is_decoded() {
        #[derive(Deserialize)]
        struct Volume {
            encrypted: demarc_sdk::json::Flag,
        }
        let json =
            r#"{"resourceType":"AWS::EC2::Volume","configuration":"{\"encrypted\":\"true\"}"}"#;
        let item: ConfigItem<'_> = serde_json::from_str(json).unwrap();
        let mut buf = None;
        let v: Volume = item.configuration(&mut buf).unwrap().unwrap();
        assert!(v.encrypted.is_true());
    }
}
