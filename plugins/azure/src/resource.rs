//! One Azure resource, read borrowed and shallow.
//!
//! A Resource Graph row and an ARM resource object are the same shape: `id`, `name`, `type`,
//! `location`, `tags`, `kind`, `sku`, `identity`, `properties`, and in Resource Graph also
//! `subscriptionId`, `resourceGroup` and `tenantId`. Resource Graph lowercases `type`
//! (`microsoft.storage/storageaccounts`) where ARM gives the canonical case
//! (`Microsoft.Storage/storageAccounts`); [`Resource::is`] compares types ignoring case.
//! [`Resource`] reads only the envelope: strings borrow from the input and `properties` and
//! `tags` stay raw JSON slices, so a resource whose type has no checks is never parsed past its
//! envelope. The check modules parse `properties` into small typed structs holding only the
//! fields they decide on.

use std::borrow::Cow;
use std::fmt;

use demarc_sdk::{CheckDef, FindingBuilder};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use demarc_sdk::json::FieldError;

use crate::json::{TagSet, Text, last_segment, management_group_of, subscription_of};

/// Fields that mark a JSON object as an Azure export other than resources (other clouds'
/// exports are named by the SDK's registry of fingerprints).
pub mod marks {
    /// `value` holding a list (an ARM list response).
    pub const ARM_LIST: u8 = 8;
    /// `columns` / `rows` (a Resource Graph table-format result).
    pub const TABLE: u8 = 32;
}

/// The envelope of one Azure resource.
#[derive(Debug, Default)]
pub struct Resource<'a> {
    /// `id`: the Azure resource id.
    pub id: Text<'a>,
    /// `name`.
    pub name: Text<'a>,
    /// `type`, lowercased by Resource Graph, canonical case from ARM.
    pub resource_type: Text<'a>,
    /// `location`.
    pub location: Text<'a>,
    /// `subscriptionId` (Resource Graph only; ARM objects carry it in `id`).
    pub subscription_id: Text<'a>,
    /// `tenantId` (Resource Graph only).
    pub tenant_id: Text<'a>,
    /// `kind`, e.g. `functionapp,linux` for a function app.
    pub kind: Text<'a>,
    /// `tags`.
    pub tags: Option<&'a RawValue>,
    /// `properties`: the ARM properties of the resource.
    pub properties: Option<&'a RawValue>,
    /// `nextLink` of an ARM list response (only meaningful with [`marks::ARM_LIST`]).
    pub next_link: Text<'a>,
    /// Which foreign-format fields the object has; see [`marks`].
    pub marks: u8,
    /// The whole item's JSON text (set by [`Resource::parse`]): the Azure CLI prints many
    /// resources with their properties lifted to the top level (`az sql server firewall-rule
    /// list`, `az role assignment list`), and then the item itself is read as the properties.
    pub item: &'a str,
}

/// The state of a resource that is being deleted or is gone; such items are skipped.
#[derive(Debug, Default, Deserialize)]
struct Lifecycle<'a> {
    #[serde(rename = "provisioningState", borrow, default)]
    provisioning_state: Text<'a>,
}

/// Provisioning states of resources that no longer exist (or are on their way out).
const GONE_STATES: [&str; 2] = ["Deleting", "Deleted"];

impl<'a> Resource<'a> {
    /// Parse one item, keeping its text for CLI-flattened resources.
    pub fn parse(text: &'a str) -> Result<Resource<'a>, serde_json::Error> {
        let mut r: Resource<'a> = serde_json::from_str(text)?;
        r.item = text;
        Ok(r)
    }

    /// Whether the type equals `ty`, ignoring ASCII case.
    pub fn is(&self, ty: &str) -> bool {
        self.resource_type.eq_ignore_case(ty)
    }

    /// The resource type as given (empty when absent).
    pub fn kind_of(&self) -> &str {
        self.resource_type.get().map(str::trim).unwrap_or("")
    }

    /// The resource id (empty when absent).
    pub fn id(&self) -> &str {
        self.id.get().map(str::trim).unwrap_or("")
    }

    /// The account of findings: the subscription id, else the one in the resource id, else the
    /// management group (role assignments inherited from one), else the tenant, else `unknown`.
    pub fn account(&self) -> &str {
        self.subscription_id
            .non_empty()
            .or_else(|| subscription_of(self.id()))
            .or_else(|| management_group_of(self.id()))
            .or_else(|| self.tenant_id.non_empty())
            .unwrap_or("unknown")
    }

    /// The subscription the resource lives in, if it lives in one.
    pub fn subscription(&self) -> Option<&str> {
        self.subscription_id
            .non_empty()
            .or_else(|| subscription_of(self.id()))
    }

    /// The region: `location`, or `global` for resources without one.
    pub fn region(&self) -> &str {
        self.location.non_empty().unwrap_or("global")
    }

    /// A readable label: the name, else the last segment of the id.
    pub fn label(&self) -> &str {
        self.name
            .non_empty()
            .unwrap_or_else(|| last_segment(self.id()))
    }

    /// Whether `kind` names a function app (`functionapp`, `functionapp,linux`, …).
    pub fn is_function_app(&self) -> bool {
        self.kind
            .get()
            .is_some_and(|k| k.to_ascii_lowercase().contains("functionapp"))
    }

    /// The native type findings carry. Function apps are `Microsoft.Web/sites` of kind
    /// `functionapp`; they get `…/sites/functionapp` so the responsibility data can tell
    /// Functions (FaaS) from App Service (PaaS).
    pub fn native_type(&self) -> Cow<'_, str> {
        let ty = self.kind_of();
        if ty.eq_ignore_ascii_case(crate::checks::types::SITE) && self.is_function_app() {
            Cow::Owned(format!("{ty}/functionapp"))
        } else {
            Cow::Borrowed(ty)
        }
    }

    /// Parse `properties` into `T`. Without `properties` (a CLI-flattened resource) the whole
    /// item is read as the properties; `None` when there is neither.
    pub fn properties<T: Deserialize<'a>>(&self) -> Result<Option<T>, FieldError<'a>> {
        let at: &'a str = match self.properties {
            Some(raw) => raw.get(),
            None if !self.item.is_empty() => self.item,
            None => return Ok(None),
        };
        serde_json::from_str(at)
            .map(Some)
            .map_err(|error| FieldError {
                at,
                error,
                field: "properties",
            })
    }

    /// Whether the export records the resource's properties: a `properties` object, or (a
    /// CLI-flattened resource) any field besides the envelope every resource has. A Resource
    /// Graph projection of identity columns alone records none.
    pub fn properties_recorded(&self) -> bool {
        if let Some(raw) = self.properties {
            return raw.get().trim() != "null";
        }
        const ENVELOPE: [&str; 21] = [
            "id",
            "name",
            "type",
            "location",
            "subscriptionId",
            "tenantId",
            "resourceGroup",
            "kind",
            "tags",
            "properties",
            "sku",
            "identity",
            "zones",
            "plan",
            "managedBy",
            "etag",
            "extendedLocation",
            "apiVersion",
            "systemData",
            "nextLink",
            "resultTruncated",
        ];
        serde_json::from_str::<std::collections::BTreeMap<&str, serde::de::IgnoredAny>>(self.item)
            .map(|fields| {
                fields
                    .keys()
                    .any(|k| !ENVELOPE.iter().any(|e| e.eq_ignore_ascii_case(k)))
            })
            .unwrap_or(true)
    }

    /// Whether the resource is being deleted or is gone (`provisioningState` `Deleting` or
    /// `Deleted`): such items are skipped, never evaluated.
    pub fn is_gone(&self) -> Result<bool, FieldError<'a>> {
        // Most resources are not: a cheap look at the text first, which the parse then settles.
        let text = self.properties.map_or(self.item, RawValue::get);
        if !may_spell_gone(text.as_bytes()) {
            return Ok(false);
        }
        let life: Lifecycle<'_> = self.properties()?.unwrap_or_default();
        Ok(GONE_STATES
            .iter()
            .any(|s| life.provisioning_state.eq_ignore_case(s)))
    }

    /// The resource's tags. Tags that cannot be read are treated as none.
    pub fn tag_set(&self) -> TagSet<'a> {
        self.tags
            .and_then(|raw| serde_json::from_str::<TagSet<'a>>(raw.get()).ok())
            .unwrap_or_default()
    }

    /// The resource as findings describe it.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            account: Cow::Borrowed(self.account()),
            region: Cow::Borrowed(self.region()),
            native_type: self.native_type(),
            id: Cow::Borrowed(self.id()),
            name: self.name.non_empty().map(Cow::Borrowed),
            tags: self.tag_set(),
        }
    }
}

/// Whether `text` holds `elet` in any mix of cases, as every spelling of `Deleting` and
/// `Deleted` does. It runs over every resource of a type with checks, so it looks at eight
/// positions at once: where an `l` is followed by an `e`, the two letters around are compared.
fn may_spell_gone(text: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Letters only: `| 0x20` folds upper case onto lower case and maps no other byte onto
    // `e`, `l` or `t`.
    const FOLD: u64 = ONES * 0x20;
    let fold = |b: u8| b | 0x20;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&text[i..i + 8]);
        u64::from_le_bytes(w) | FOLD
    };
    // The high bit of every byte of `v` that is zero (and, rarely, of one above such a byte:
    // every hit is compared in full).
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    // Whether the `l` at `p` starts `let` after an `e`.
    let at = |p: usize| {
        p >= 1
            && p + 2 < text.len()
            && fold(text[p - 1]) == b'e'
            && fold(text[p]) == b'l'
            && fold(text[p + 1]) == b'e'
            && fold(text[p + 2]) == b't'
    };
    let mut i = 0;
    while i + 9 <= text.len() {
        let mut hits = zeros(word(i) ^ (ONES * u64::from(b'l')))
            & zeros(word(i + 1) ^ (ONES * u64::from(b'e')));
        while hits != 0 {
            if at(i + (hits.trailing_zeros() / 8) as usize) {
                return true;
            }
            hits &= hits - 1;
        }
        i += 8;
    }
    (i..text.len()).any(at)
}

/// What a finding needs to know about its resource. Borrowed while streaming; owned
/// ([`Subject::into_owned`]) for the findings decided at the end of the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject<'a> {
    /// Subscription (or tenant) id.
    pub account: Cow<'a, str>,
    /// Location, or `global`.
    pub region: Cow<'a, str>,
    /// Native type, see [`Resource::native_type`].
    pub native_type: Cow<'a, str>,
    /// Azure resource id.
    pub id: Cow<'a, str>,
    /// Name.
    pub name: Option<Cow<'a, str>>,
    /// Tags.
    pub tags: TagSet<'a>,
}

impl Subject<'_> {
    /// A readable label: the name, else the last segment of the id.
    pub fn label(&self) -> &str {
        self.name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| last_segment(&self.id))
    }

    /// Start a finding of `check` about this resource.
    pub fn finding(&self, check: &CheckDef) -> FindingBuilder {
        FindingBuilder::new(
            check,
            &self.account,
            &self.region,
            &self.native_type,
            &self.id,
        )
        .name(self.name.as_deref())
        .tags(self.tags.iter())
    }

    /// An owned copy.
    pub fn into_owned(self) -> Subject<'static> {
        Subject {
            account: Cow::Owned(self.account.into_owned()),
            region: Cow::Owned(self.region.into_owned()),
            native_type: Cow::Owned(self.native_type.into_owned()),
            id: Cow::Owned(self.id.into_owned()),
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            tags: self.tags.into_owned(),
        }
    }
}

/// The envelope fields, identified without allocating.
enum Field {
    Id,
    Name,
    Type,
    Location,
    Subscription,
    Tenant,
    Kind,
    Tags,
    Properties,
    NextLink,
    Value,
    Mark(u8),
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
                    "id" => Field::Id,
                    "name" => Field::Name,
                    "type" => Field::Type,
                    "location" => Field::Location,
                    "subscriptionId" => Field::Subscription,
                    "tenantId" => Field::Tenant,
                    "kind" => Field::Kind,
                    "tags" => Field::Tags,
                    "properties" => Field::Properties,
                    "nextLink" | "@odata.nextLink" => Field::NextLink,
                    "value" => Field::Value,
                    "columns" | "rows" => Field::Mark(marks::TABLE),
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Resource<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Resource<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Azure resource (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // The first occurrence of a field wins.
                use demarc_sdk::json::{first_raw as raw, first_text as text};
                let mut r = Resource::default();
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Id => text(&mut map, &mut r.id)?,
                        Field::Name => text(&mut map, &mut r.name)?,
                        Field::Type => text(&mut map, &mut r.resource_type)?,
                        Field::Location => text(&mut map, &mut r.location)?,
                        Field::Subscription => text(&mut map, &mut r.subscription_id)?,
                        Field::Tenant => text(&mut map, &mut r.tenant_id)?,
                        Field::Kind => text(&mut map, &mut r.kind)?,
                        Field::NextLink => text(&mut map, &mut r.next_link)?,
                        Field::Tags => raw(&mut map, &mut r.tags)?,
                        Field::Properties => raw(&mut map, &mut r.properties)?,
                        Field::Value => {
                            let value: &'de RawValue = map.next_value()?;
                            if value.get().starts_with('[') {
                                r.marks |= marks::ARM_LIST;
                            }
                        }
                        Field::Mark(mark) => {
                            r.marks |= mark;
                            map.next_value::<IgnoredAny>()?;
                        }
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_recorded_inline_or_flattened_but_not_by_identity_columns() {
        let recorded = |json: &str| Resource::parse(json).unwrap().properties_recorded();
        let id = r#""id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/q/firewallRules/r","name":"r","type":"Microsoft.Sql/servers/firewallRules""#;
        assert!(recorded(&format!(
            r#"{{{id},"properties":{{"startIpAddress":"1.2.3.4"}}}}"#
        )));
        // `az sql server firewall-rule list` lifts the properties to the top level.
        assert!(recorded(&format!(
            r#"{{{id},"resourceGroup":"rg","startIpAddress":"1.2.3.4","endIpAddress":"1.2.3.4"}}"#
        )));
        // A Resource Graph projection of identity columns, or `properties` null.
        assert!(!recorded(&format!(
            r#"{{{id},"location":"westeurope","subscriptionId":"s","resourceGroup":"rg","tags":{{}}}}"#
        )));
        assert!(!recorded(&format!(r#"{{{id},"properties":null}}"#)));
    }

    #[test]
    fn reads_a_resource_graph_row_borrowed() {
        let json = r#"{"id":"/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1",
            "name":"st1","type":"microsoft.storage/storageaccounts","tenantId":"t","kind":"StorageV2",
            "location":"westeurope","resourceGroup":"rg","subscriptionId":"1111","managedBy":"",
            "sku":{"name":"Standard_LRS"},"plan":null,"properties":{"supportsHttpsTrafficOnly":true},
            "tags":{"owner":"data"},"identity":null,"zones":null,"extendedLocation":null}"#;
        let r: Resource<'_> = serde_json::from_str(json).unwrap();
        assert!(r.is("Microsoft.Storage/storageAccounts"));
        assert!(matches!(r.id.0, Some(Cow::Borrowed(_))));
        assert_eq!(r.account(), "1111");
        assert_eq!(r.region(), "westeurope");
        assert_eq!(r.label(), "st1");
        assert_eq!(r.marks, 0);
        let s = r.subject();
        assert_eq!(s.tags.find_any(&["owner"]), Some(("owner", "data")));
        assert_eq!(s.native_type, "microsoft.storage/storageaccounts");
        assert!(!r.is_gone().unwrap());
    }

    #[test]
    fn the_deleted_states_are_spotted_in_any_case_and_place() {
        for text in [
            "Deleting",
            "deleted",
            "DELETING",
            "DeLeTeD",
            "{\"provisioningState\":\"Deleting\"}",
            "xelet",
            "elet",
            "aaelet",
            "eleelet",
            "llelet",
        ] {
            assert!(may_spell_gone(text.as_bytes()), "{text}");
        }
        for text in [
            "",
            "ele",
            "Succeeded",
            "elev",
            "e-l-e-t",
            "Delta",
            "eletE"[..3].as_ref(),
        ] {
            assert!(!may_spell_gone(text.as_bytes()), "{text}");
        }
        // Against the plain search, over texts of letters that make near misses, at every
        // length across the eight-byte steps.
        let alphabet = b"eElLtTx\"";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in 0..2000 {
            let text: Vec<u8> = (0..n % 41)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let plain = text.to_ascii_lowercase().windows(4).any(|w| w == b"elet");
            assert_eq!(
                may_spell_gone(&text),
                plain,
                "{}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn arm_objects_take_the_subscription_from_the_id() {
        let json = r#"{"id":"/subscriptions/2222/resourceGroups/rg/providers/Microsoft.Web/sites/fn",
            "name":"fn","type":"Microsoft.Web/sites","kind":"functionapp,linux","location":"East US",
            "properties":{"provisioningState":"Deleting"}}"#;
        let r = Resource::parse(json).unwrap();
        assert_eq!(r.account(), "2222");
        assert_eq!(r.native_type(), "Microsoft.Web/sites/functionapp");
        assert!(r.is_gone().unwrap());
        let owned = r.subject().into_owned();
        assert_eq!(owned.label(), "fn");
    }

    #[test]
    fn tenant_scope_items_and_marks() {
        let json = r#"{"id":"/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/roleAssignments/x",
            "type":"microsoft.authorization/roleassignments","tenantId":"tttt","subscriptionId":"","location":""}"#;
        let r: Resource<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(r.account(), "mg");
        let tenant: Resource<'_> = serde_json::from_str(
            r#"{"id":"/providers/Microsoft.Authorization/roleAssignments/x","tenantId":"tttt"}"#,
        )
        .unwrap();
        assert_eq!(tenant.account(), "tttt");
        assert_eq!(r.region(), "global");
        assert_eq!(r.subscription(), None);
        let table: Resource<'_> = serde_json::from_str(r#"{"columns":[],"rows":[[1]]}"#).unwrap();
        assert_eq!(table.marks, marks::TABLE);
        let list: Resource<'_> =
            serde_json::from_str(r#"{"value":[],"nextLink":"https://x"}"#).unwrap();
        assert_eq!(list.marks, marks::ARM_LIST);
        assert_eq!(list.next_link.get(), Some("https://x"));
    }

    #[test]
    fn properties_of_the_wrong_shape_are_located() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct P {
            n: u32,
        }
        let json = r#"{"id":"x","type":"t","properties":{"n":"seven"}}"#;
        let r: Resource<'_> = serde_json::from_str(json).unwrap();
        let e = r.properties::<P>().unwrap_err();
        assert_eq!(e.field, "properties");
        assert!(e.at.starts_with("{\"n\""));
    }

    #[test]
    fn cli_flattened_resources_are_read_whole() {
        #[derive(Debug, Default, Deserialize)]
        struct P<'a> {
            #[serde(rename = "startIpAddress", borrow, default)]
            start: Text<'a>,
        }
        let json = r#"{"endIpAddress":"0.0.0.0","id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/firewallRules/AllowAllWindowsAzureIps","name":"AllowAllWindowsAzureIps","resourceGroup":"rg","startIpAddress":"0.0.0.0","type":"Microsoft.Sql/servers/firewallRules"}"#;
        let r = Resource::parse(json).unwrap();
        let p: P<'_> = r.properties().unwrap().unwrap();
        assert_eq!(p.start.get(), Some("0.0.0.0"));
        let bare: Resource<'_> = serde_json::from_str(json).unwrap();
        assert!(bare.properties::<P<'_>>().unwrap().is_none());
    }
}
