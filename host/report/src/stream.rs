//! Reading `report.json` without holding it whole.
//!
//! A report can hold millions of findings, so the renderers never see it as one [`Report`]:
//! [`read_frame`] reads everything but the findings (schema, tenants, run, gaps, control roll-up,
//! summary; a fast skip over the findings, which only counts them) and [`for_each_finding`] then
//! hands the findings over one at a time. Both accept any layout and member order a JSON parser
//! would (the scan's own layout puts the findings before the run) and refuse what
//! deserializing into [`Report`] refuses: unknown, repeated and missing members name the member,
//! malformed JSON names the line and column.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use demarc_core::Finding;
use demarc_core::Report;

const FIELDS: &[&str] = &[
    "schema", "tenants", "findings", "run", "gaps", "unmapped", "controls", "summary",
];

/// What can go wrong while reading a report.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The input is not a demarc report (or not JSON).
    #[error("not a demarc report: {0}")]
    Invalid(#[source] serde_json::Error),
    /// Reading the input failed.
    #[error("cannot read the report: {0}")]
    Io(#[source] std::io::Error),
    /// The consumer of the findings stopped with an error.
    #[error(transparent)]
    Render(#[from] crate::Error),
}

fn classify(e: serde_json::Error) -> ReadError {
    if e.is_io() {
        ReadError::Io(e.into())
    } else {
        ReadError::Invalid(e)
    }
}

/// The report without its findings, and how many findings it holds.
///
/// The returned report's `findings` is empty.
pub fn read_frame(input: impl Read) -> Result<(Report, u64), ReadError> {
    let mut de = serde_json::Deserializer::from_reader(input);
    let frame = serde::Deserializer::deserialize_map(&mut de, FrameVisitor).map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(frame)
}

/// Call `each` with every finding of the report, in order; stops at the first error `each`
/// returns and returns it.
pub fn for_each_finding(
    input: impl Read,
    mut each: impl FnMut(Finding) -> Result<(), crate::Error>,
) -> Result<u64, ReadError> {
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_reader(input);
    let visitor = FindingsVisitor {
        each: &mut each,
        failed: &mut failed,
    };
    let result = serde::Deserializer::deserialize_map(&mut de, visitor).and_then(|n| {
        de.end()?;
        Ok(n)
    });
    if let Some(e) = failed {
        return Err(ReadError::Render(e));
    }
    result.map_err(classify)
}

fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

struct FrameVisitor;

impl<'de> Visitor<'de> for FrameVisitor {
    type Value = (Report, u64);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a demarc report object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut schema, mut tenants, mut count, mut run) = (None, None, None, None);
        let (mut gaps, mut controls, mut summary, mut unmapped) = (None, None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "schema" => {
                    let v: String = map.next_value()?;
                    if schema.is_some() {
                        return Err(de::Error::duplicate_field("schema"));
                    }
                    if v != demarc_core::report::REPORT_SCHEMA {
                        return Err(de::Error::custom(format!(
                            "its format is `{}`, and this demarc reads `{}`: scan again, or render it with the demarc that wrote it",
                            v.chars()
                                .take(40)
                                .flat_map(char::escape_debug)
                                .collect::<String>(),
                            demarc_core::report::REPORT_SCHEMA
                        )));
                    }
                    schema = Some(v);
                }
                "tenants" => once(&mut tenants, map.next_value()?, "tenants")?,
                "findings" => once(&mut count, map.next_value_seed(Count)?, "findings")?,
                "run" => once(&mut run, map.next_value()?, "run")?,
                "gaps" => once(&mut gaps, map.next_value()?, "gaps")?,
                "unmapped" => once(&mut unmapped, map.next_value()?, "unmapped")?,
                "controls" => once(&mut controls, map.next_value()?, "controls")?,
                "summary" => once(&mut summary, map.next_value()?, "summary")?,
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        let report = Report {
            schema: schema.ok_or_else(|| de::Error::missing_field("schema"))?,
            tenants: tenants.ok_or_else(|| de::Error::missing_field("tenants"))?,
            findings: Vec::new(),
            run: run.ok_or_else(|| de::Error::missing_field("run"))?,
            gaps: gaps.ok_or_else(|| de::Error::missing_field("gaps"))?,
            unmapped: unmapped.unwrap_or_default(),
            controls: controls.ok_or_else(|| de::Error::missing_field("controls"))?,
            summary: summary.ok_or_else(|| de::Error::missing_field("summary"))?,
            trend: None,
        };
        let count = count.ok_or_else(|| de::Error::missing_field("findings"))?;
        Ok((report, count))
    }
}

/// Skips an array of findings, checking each is a finding only as far as being a JSON value.
struct Count;

impl<'de> DeserializeSeed<'de> for Count {
    type Value = u64;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Count {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of findings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

type Each<'a> = &'a mut dyn FnMut(Finding) -> Result<(), crate::Error>;

struct FindingsVisitor<'a> {
    each: Each<'a>,
    failed: &'a mut Option<crate::Error>,
}

impl<'de> Visitor<'de> for FindingsVisitor<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a demarc report object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut count = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "findings" {
                let seed = Findings {
                    each: &mut *self.each,
                    failed: &mut *self.failed,
                };
                once(&mut count, map.next_value_seed(seed)?, "findings")?;
            } else if FIELDS.contains(&key.as_str()) {
                map.next_value::<IgnoredAny>()?;
            } else {
                return Err(de::Error::unknown_field(&key, FIELDS));
            }
        }
        count.ok_or_else(|| de::Error::missing_field("findings"))
    }
}

struct Findings<'a> {
    each: Each<'a>,
    failed: &'a mut Option<crate::Error>,
}

impl<'de> DeserializeSeed<'de> for Findings<'_> {
    type Value = u64;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Findings<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of findings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while let Some(f) = seq.next_element::<Finding>()? {
            n += 1;
            if let Err(e) = (self.each)(f) {
                *self.failed = Some(e);
                return Err(de::Error::custom("rendering stopped"));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    fn json(r: &Report) -> Vec<u8> {
        let mut v = Vec::new();
        crate::render(r, &fixture::catalog(), crate::Format::Json, &mut v).unwrap();
        v
    }

    #[test]
    fn the_frame_and_the_findings_make_the_report_again() {
        let r = fixture::report();
        let bytes = json(&r);
        let (mut frame, n) = read_frame(&bytes[..]).unwrap();
        assert_eq!(n, r.findings.len() as u64);
        assert!(frame.findings.is_empty());
        let seen = for_each_finding(&bytes[..], |f| {
            frame.findings.push(f);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, n);
        // The findings leave to the run's tables what those hold...
        assert!(frame.findings.iter().all(|f| f.remediation.is_empty()));
        assert!(
            frame
                .findings
                .iter()
                .any(|f| f.responsibility.note.is_none())
        );
        // ...and the tables give it back.
        frame.resolve();
        assert_eq!(frame, r);
    }

    #[test]
    fn any_member_order_and_layout_is_read() {
        let r = fixture::report();
        // serde's own order (findings second... and pretty-printed) is read as well.
        let mut value = serde_json::to_value(&r).unwrap();
        let obj = value.as_object_mut().unwrap();
        let findings = obj.shift_remove("findings").unwrap();
        obj.insert("findings".into(), findings);
        let bytes = serde_json::to_vec_pretty(&value).unwrap();
        let (frame, n) = read_frame(&bytes[..]).unwrap();
        assert_eq!(n, r.findings.len() as u64);
        assert_eq!(frame.run, r.run);
        let mut ids = Vec::new();
        for_each_finding(&bytes[..], |f| {
            ids.push(f.id);
            Ok(())
        })
        .unwrap();
        let want: Vec<String> = r.findings.iter().map(|f| f.id.clone()).collect();
        assert_eq!(ids, want);
    }

    #[test]
    fn bad_reports_name_the_member_or_the_position() {
        let r = fixture::report();
        let text = String::from_utf8(json(&r)).unwrap();
        let cases = [
            (
                text.replacen("\"gaps\":", "\"gapz\":", 1),
                "unknown field `gapz`",
            ),
            (
                text.replacen(",\n\"summary\":", ",\n\"schema\":\"x\",\n\"summary\":", 1),
                "duplicate field `schema`",
            ),
            (
                text.replacen("{\"schema\":\"demarc.report/0.2\",", "{", 1),
                "missing field `schema`",
            ),
            (
                text.replacen("demarc.report/0.2", "demarc.report/0.1", 1),
                "its format is `demarc.report/0.1`, and this demarc reads `demarc.report/0.2`",
            ),
            (text[..text.len() / 2].to_string(), "EOF while parsing"),
            (format!("{text} trailing"), "trailing characters"),
        ];
        for (input, want) in cases {
            let err = read_frame(input.as_bytes()).unwrap_err().to_string();
            assert!(
                err.contains("not a demarc report") && err.contains(want),
                "{want}: {err}"
            );
        }
        // A malformed finding is caught when the findings are read, with its position.
        let broken = text.replacen("\"status\":\"fail\"", "\"status\":\"broken\"", 1);
        let err = for_each_finding(broken.as_bytes(), |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variant `broken`") && err.contains("line "),
            "{err}"
        );
    }

    #[test]
    fn an_error_of_the_consumer_stops_the_reading_and_is_returned() {
        let bytes = json(&fixture::report());
        let mut seen = 0;
        let err = for_each_finding(&bytes[..], |_| {
            seen += 1;
            Err(crate::Error::Io {
                format: crate::Format::Csv,
                source: std::io::Error::other("disk full"),
            })
        })
        .unwrap_err();
        assert_eq!(seen, 1);
        assert!(err.to_string().contains("csv report: disk full"), "{err}");
    }
}
