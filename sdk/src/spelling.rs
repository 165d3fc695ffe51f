//! Objects whose fields real exports spell in more than one way, sometimes all at once.
//!
//! Serde's `#[serde(alias = "...")]` treats every spelling of a field as the same field, so an
//! object that carries two spellings (a Compute Engine firewall entry recorded with both
//! `IPProtocol` and `ipProtocol`, an AWS Config item with `kmsKeyId` and `KmsKeyId`) fails with
//! "duplicate field" and the whole resource is lost as malformed. [`spelled_struct!`] declares a
//! struct whose fields each list their spellings, best first: any one of them is read, several
//! together are accepted, and when several are present the first-listed spelling wins whatever
//! the order in the object (a spelling repeated verbatim keeps its first value). Unknown keys are
//! ignored, as with a derived `Deserialize`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// An object key, borrowed from the input when it has no escapes.
#[doc(hidden)]
pub struct Key<'de>(pub Cow<'de, str>);

impl<'de> Key<'de> {
    /// The position of this key in `spellings`, if it is one of them.
    pub fn rank(&self, spellings: &[&str]) -> Option<usize> {
        spellings.iter().position(|s| *s == self.0)
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Declare a struct whose fields are read from any of several spellings, which may appear
/// together in one object (see the [module documentation](self)).
///
/// Every field type must implement `Default` (an absent field reads as its default) and
/// `Deserialize`; the struct gets `Default` and `Deserialize` from the macro, other derives from
/// the attributes written on it.
///
/// ```
/// demarc_sdk::spelled_struct! {
///     #[derive(Debug)]
///     pub struct Allowed {
///         pub protocol: Option<String> = ["IPProtocol", "ipProtocol"],
///         pub ports: Vec<String> = ["ports"],
///     }
/// }
/// let a: Allowed =
///     serde_json::from_str(r#"{"ipProtocol":"udp","IPProtocol":"tcp","ports":["53"]}"#).unwrap();
/// assert_eq!(a.protocol.as_deref(), Some("tcp"));
/// ```
#[macro_export]
macro_rules! spelled_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(<$lt:lifetime>)? {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty = [$($key:literal),+ $(,)?]
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Default)]
        $vis struct $name $(<$lt>)? {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
        }

        impl $(<$lt>)? $crate::spelling::Spellings for $name $(<$lt>)? {
            const SPELLINGS: &'static [&'static [&'static str]] = &[$(&[$($key),+]),*];
        }

        const _: () = {
            struct StructVisitor<T>(::std::marker::PhantomData<fn() -> T>);

            impl<'de $(: $lt, $lt)?> ::serde::de::Visitor<'de> for StructVisitor<$name $(<$lt>)?> {
                type Value = $name $(<$lt>)?;

                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(concat!("an object (", stringify!($name), ")"))
                }

                fn visit_map<A: ::serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> ::std::result::Result<Self::Value, A::Error> {
                    const FIELDS: usize = [$(stringify!($field)),*].len();
                    let mut out = <$name $(<$lt>)? as ::std::default::Default>::default();
                    // The rank of the spelling each field was read from (`usize::MAX`: unread).
                    let mut ranks = [usize::MAX; FIELDS];
                    while let Some(key) = map.next_key::<$crate::spelling::Key<'de>>()? {
                        let mut index = 0usize;
                        let mut matched = false;
                        $(
                            if !matched {
                                if let Some(rank) = key.rank(&[$($key),+]) {
                                    matched = true;
                                    if rank < ranks[index] {
                                        out.$field = map.next_value::<$ty>()?;
                                        ranks[index] = rank;
                                    } else {
                                        map.next_value::<::serde::de::IgnoredAny>()?;
                                    }
                                }
                                index += 1;
                            }
                        )*
                        let _ = index;
                        if !matched {
                            map.next_value::<::serde::de::IgnoredAny>()?;
                        }
                    }
                    Ok(out)
                }
            }

            impl<'de $(: $lt, $lt)?> ::serde::Deserialize<'de> for $name $(<$lt>)? {
                fn deserialize<D: ::serde::Deserializer<'de>>(
                    d: D,
                ) -> ::std::result::Result<Self, D::Error> {
                    d.deserialize_map(StructVisitor::<$name $(<$lt>)?>(::std::marker::PhantomData))
                }
            }
        };
    };
}

/// The spellings of every field of a [`spelled_struct!`] type, best first, in field order.
pub trait Spellings {
    /// One list per field.
    const SPELLINGS: &'static [&'static [&'static str]];
}

/// Rewrite the JSON object `sample` so that every key of it that has other spellings in
/// `groups` appears in every spelling at once, each with the sample's value: the object an
/// export that writes both spellings produces. Panics (this is for tests) when `sample` is not
/// an object or leaves out a field that has several spellings, so that a test written with it
/// covers every such field.
pub fn with_every_spelling(sample: &str, groups: &[&[&str]]) -> String {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(sample).expect("the sample is a JSON object");
    for group in groups.iter().filter(|g| g.len() > 1) {
        assert!(
            group.iter().any(|k| object.contains_key(*k)),
            "the sample leaves out the field spelled {group:?}"
        );
    }
    let mut parts = Vec::new();
    for (key, value) in &object {
        let value = value.to_string();
        match groups.iter().find(|g| g.contains(&key.as_str())) {
            Some(group) => {
                for spelling in group.iter().rev() {
                    parts.push(format!("{}:{value}", serde_json::Value::from(*spelling)));
                }
            }
            None => parts.push(format!("{}:{value}", serde_json::Value::from(key.as_str()))),
        }
    }
    format!("{{{}}}", parts.join(","))
}

/// Assert that a [`spelled_struct!`] type reads `sample` (a JSON object covering every field
/// with several spellings) the same when every spelling of each field is present at once.
#[macro_export]
macro_rules! assert_every_spelling {
    ($ty:ty, $sample:expr) => {{
        let sample: &str = $sample;
        let every = $crate::spelling::with_every_spelling(
            sample,
            <$ty as $crate::spelling::Spellings>::SPELLINGS,
        );
        let one: $ty = ::serde_json::from_str(sample)
            .unwrap_or_else(|e| panic!("{} does not read {sample}: {e}", stringify!($ty)));
        let all: $ty = ::serde_json::from_str(&every)
            .unwrap_or_else(|e| panic!("{} does not read {every}: {e}", stringify!($ty)));
        assert_eq!(
            format!("{one:?}"),
            format!("{all:?}"),
            "{} reads every spelling at once differently: {every}",
            stringify!($ty)
        );
    }};
}

#[cfg(test)]
mod tests {
    crate::spelled_struct! {
        #[derive(Debug, PartialEq)]
        struct Entry<'a> {
            protocol: Option<&'a str> = ["IPProtocol", "ipProtocol"],
            ports: Vec<String> = ["ports"],
            count: u32 = ["count", "Count"],
        }
    }

    fn entry(json: &str) -> Entry<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_spelling_is_read_and_both_together_are_accepted() {
        assert_eq!(entry(r#"{"IPProtocol":"tcp"}"#).protocol.unwrap(), "tcp");
        assert_eq!(entry(r#"{"ipProtocol":"tcp"}"#).protocol.unwrap(), "tcp");
        // The first-listed spelling wins, in either order.
        let both = entry(r#"{"IPProtocol":"tcp","ipProtocol":"udp","count":1,"Count":2}"#);
        assert_eq!(both.protocol.unwrap(), "tcp");
        assert_eq!(both.count, 1);
        let both = entry(r#"{"Count":2,"ipProtocol":"udp","IPProtocol":"tcp","count":1}"#);
        assert_eq!(both.protocol.unwrap(), "tcp");
        assert_eq!(both.count, 1);
    }

    #[test]
    fn absent_fields_default_unknown_keys_are_ignored_and_bad_values_are_errors() {
        let e = entry(r#"{"other":{"deep":[1,2]},"ports":["22","80"]}"#);
        assert_eq!(
            e,
            Entry {
                protocol: None,
                ports: vec!["22".into(), "80".into()],
                count: 0
            }
        );
        let err = serde_json::from_str::<Entry<'_>>(r#"{"count":"many"}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        let err = serde_json::from_str::<Entry<'_>>(r#"["tcp"]"#).unwrap_err();
        assert!(err.to_string().contains("an object (Entry)"), "{err}");
    }

    #[test]
    fn every_spelling_at_once_is_written_and_read() {
        let every = super::with_every_spelling(
            r#"{"IPProtocol":"tcp","ports":["22"],"Count":3,"other":1}"#,
            <Entry<'_> as super::Spellings>::SPELLINGS,
        );
        assert_eq!(
            every,
            r#"{"ipProtocol":"tcp","IPProtocol":"tcp","ports":["22"],"Count":3,"count":3,"other":1}"#
        );
        crate::assert_every_spelling!(Entry<'_>, r#"{"IPProtocol":"tcp","count":3}"#);
    }

    #[test]
    #[should_panic(expected = "leaves out the field spelled")]
    fn a_sample_must_cover_every_field_with_several_spellings() {
        crate::assert_every_spelling!(Entry<'_>, r#"{"IPProtocol":"tcp"}"#);
    }

    #[test]
    fn values_borrow_from_the_input() {
        let json = String::from(r#"{"ipProtocol":"tcp"}"#);
        let e = entry(&json);
        let tcp = e.protocol.unwrap();
        assert!(json.as_bytes().as_ptr_range().contains(&tcp.as_ptr()));
    }
}
