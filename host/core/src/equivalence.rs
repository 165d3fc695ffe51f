//! One split per control across clouds.
//!
//! `schemas/crosscloud/equivalence.toml` groups the resource types of every provider's
//! responsibility matrix into classes of the same kind of thing (object storage, managed SQL,
//! virtual machines, functions, keys, identities, audit logging, networks, ...), and lists the
//! differences between clouds that a provider's own documentation establishes, each with its
//! source. [`Equivalence::differences`] compares, for every class and every catalog control, the
//! split (owner and sharing kind) each cloud's matrix gives the class's types, and reports every
//! difference that is not documented, and every documented difference that the matrices no
//! longer show.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Attributor, BasisKind, Catalog, DataError, DataErrors, Owner, Sharing};

/// A class of equivalent resource types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// Kebab-case id, e.g. `object-storage`.
    pub id: String,
    /// What the class holds.
    pub title: String,
    /// Provider → its native types in the class (as written in the matrices).
    pub types: BTreeMap<String, Vec<String>>,
}

/// A documented difference between clouds for one class and control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Class id.
    pub class: String,
    /// Catalog control id.
    pub control: String,
    /// Provider → the split its matrix gives (`customer`, `shared/dependent`, ...).
    pub splits: BTreeMap<String, String>,
    /// Why the clouds differ.
    pub reason: String,
    /// The provider document that says so: title and address.
    pub source: String,
}

/// The validated equivalence data.
#[derive(Debug, Clone, Default)]
pub struct Equivalence {
    /// The file it was read from, for messages.
    file: String,
    /// Every class, in file order.
    pub classes: Vec<Class>,
    /// Every documented difference, in file order.
    pub differences: Vec<Difference>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    class: Vec<RawClass>,
    #[serde(default)]
    difference: Vec<RawDifference>,
}

#[derive(Deserialize)]
struct RawClass {
    id: String,
    title: String,
    #[serde(flatten)]
    types: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDifference {
    class: String,
    control: String,
    splits: BTreeMap<String, String>,
    reason: String,
    source: RawSource,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    title: String,
    url: String,
}

/// The split a matrix gives, in the words of the data file.
pub fn split_name(owner: Owner, sharing: Option<Sharing>) -> String {
    match (owner, sharing) {
        (Owner::Shared, Some(Sharing::Dependent)) => "shared/dependent".into(),
        (Owner::Shared, Some(Sharing::Independent)) => "shared/independent".into(),
        (owner, _) => owner.as_str().into(),
    }
}

const SPLITS: [&str; 4] = [
    "provider",
    "customer",
    "shared/dependent",
    "shared/independent",
];

impl Equivalence {
    /// Parse and validate the file against the catalog and the matrices: every type must be one
    /// of its provider's matrix, every matrix type must be in exactly one class, every
    /// difference must name a class, a control, a split per cloud of the class and a source.
    /// Every problem is reported with its key.
    pub fn load(
        file: &str,
        text: &str,
        catalog: &Catalog,
        attributor: &Attributor,
    ) -> Result<Equivalence, DataErrors> {
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| DataErrors(vec![DataError::new(file, "-", e.to_string().trim())]))?;
        let mut errors = Vec::new();
        let mut eq = Equivalence {
            file: file.to_string(),
            ..Equivalence::default()
        };
        // Provider → lowercased type → the class that holds it.
        let mut owner_class: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut ids = BTreeSet::new();
        for (i, c) in raw.class.into_iter().enumerate() {
            let key = format!("class[{i}]");
            if !crate::catalog::is_kebab_id(&c.id) {
                errors.push(DataError::new(
                    file,
                    format!("{key}.id"),
                    format!("`{}` is not a kebab-case id", c.id),
                ));
            } else if !ids.insert(c.id.clone()) {
                errors.push(DataError::new(
                    file,
                    format!("{key}.id"),
                    format!("class `{}` is defined twice", c.id),
                ));
            }
            if c.types.is_empty() {
                errors.push(DataError::new(file, &key, "a class lists no type"));
            }
            for (provider, types) in &c.types {
                let Some(matrix) = attributor.matrix(provider) else {
                    errors.push(DataError::new(
                        file,
                        format!("{key}.{provider}"),
                        format!("no responsibility matrix for provider `{provider}`"),
                    ));
                    continue;
                };
                for (j, ty) in types.iter().enumerate() {
                    let tkey = format!("{key}.{provider}[{j}]");
                    if matrix.service_model(ty).is_none() {
                        errors.push(DataError::new(
                            file,
                            tkey,
                            format!("`{ty}` is not a type of the {provider} matrix"),
                        ));
                        continue;
                    }
                    if let Some(other) = owner_class
                        .entry(provider.clone())
                        .or_default()
                        .insert(ty.to_ascii_lowercase(), c.id.clone())
                    {
                        errors.push(DataError::new(
                            file,
                            tkey,
                            format!("`{ty}` is already in class `{other}`"),
                        ));
                    }
                }
            }
            eq.classes.push(Class {
                id: c.id,
                title: c.title,
                types: c.types,
            });
        }
        // Every type of every matrix is classified: a new type cannot escape the comparison.
        for matrix in attributor.matrices() {
            let provider = &matrix.provider;
            let classified = owner_class.get(provider);
            for (ty, _) in matrix.types() {
                if !classified.is_some_and(|c| c.contains_key(ty)) {
                    errors.push(DataError::new(
                        file,
                        "class",
                        format!("{provider} type `{ty}` is in no class"),
                    ));
                }
            }
        }
        for (i, d) in raw.difference.into_iter().enumerate() {
            let key = format!("difference[{i}]");
            let class = eq.classes.iter().find(|c| c.id == d.class);
            match class {
                None => errors.push(DataError::new(
                    file,
                    format!("{key}.class"),
                    format!("unknown class `{}`", d.class),
                )),
                Some(class) => {
                    let want: BTreeSet<&String> = class.types.keys().collect();
                    let got: BTreeSet<&String> = d.splits.keys().collect();
                    if want != got {
                        errors.push(DataError::new(
                            file,
                            format!("{key}.splits"),
                            format!(
                                "must give the split of every cloud of class `{}` ({}), not of {}",
                                class.id,
                                join(&want),
                                join(&got)
                            ),
                        ));
                    }
                }
            }
            if catalog.control(&d.control).is_none() {
                errors.push(DataError::new(
                    file,
                    format!("{key}.control"),
                    format!("unknown control `{}`", d.control),
                ));
            }
            for (p, s) in &d.splits {
                if !SPLITS.contains(&s.as_str()) {
                    errors.push(DataError::new(
                        file,
                        format!("{key}.splits.{p}"),
                        format!("unknown split `{s}` (known: {})", SPLITS.join(", ")),
                    ));
                }
            }
            if d.reason.trim().is_empty() {
                errors.push(DataError::new(
                    file,
                    format!("{key}.reason"),
                    "a difference must say why the clouds differ",
                ));
            }
            if d.source.title.trim().is_empty() || !d.source.url.starts_with("https://") {
                errors.push(DataError::new(
                    file,
                    format!("{key}.source"),
                    "a difference must cite the provider document (a title and an https:// address)",
                ));
            }
            eq.differences.push(Difference {
                class: d.class,
                control: d.control,
                splits: d.splits,
                reason: d.reason,
                source: format!("{} <{}>", d.source.title, d.source.url),
            });
        }
        if errors.is_empty() {
            Ok(eq)
        } else {
            Err(DataErrors(errors))
        }
    }

    /// Every difference between clouds that the data does not document, and every documented
    /// difference the matrices no longer show; empty when each control has one split per class
    /// on every cloud, save for the documented exceptions.
    pub fn problems(&self, catalog: &Catalog, attributor: &Attributor) -> Vec<String> {
        let mut problems = Vec::new();
        let mut used = vec![false; self.differences.len()];
        for class in &self.classes {
            for control in catalog.controls() {
                // Provider → split → the types that get it.
                let mut splits: BTreeMap<&str, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
                for (provider, types) in &class.types {
                    for ty in types {
                        let r = attributor.attribute(provider, ty, control, "-", &[]);
                        if r.basis.kind != BasisKind::Matrix {
                            problems.push(format!(
                                "{}: class `{}`: {provider} type `{ty}` has no matrix cell for `{}`",
                                self.file, class.id, control.id
                            ));
                            continue;
                        }
                        splits
                            .entry(provider)
                            .or_default()
                            .entry(split_name(r.owner, r.sharing))
                            .or_default()
                            .push(ty);
                    }
                }
                // Within one cloud, the types of a class must agree.
                let mut per_cloud: BTreeMap<String, String> = BTreeMap::new();
                for (provider, by_split) in &splits {
                    if by_split.len() > 1 {
                        problems.push(format!(
                            "{}: class `{}`, control `{}`: {provider}'s own types disagree ({})",
                            self.file,
                            class.id,
                            control.id,
                            by_split
                                .iter()
                                .map(|(s, tys)| format!("{} {s}", tys.join(", ")))
                                .collect::<Vec<_>>()
                                .join("; ")
                        ));
                    } else if let Some(s) = by_split.keys().next() {
                        per_cloud.insert(provider.to_string(), s.clone());
                    }
                }
                let distinct: BTreeSet<&String> = per_cloud.values().collect();
                let documented = self
                    .differences
                    .iter()
                    .position(|d| d.class == class.id && d.control == control.id);
                match (distinct.len() > 1, documented) {
                    (true, Some(i)) if self.differences[i].splits == per_cloud => used[i] = true,
                    (true, Some(i)) => {
                        used[i] = true;
                        problems.push(format!(
                            "{}: difference[{i}] (class `{}`, control `{}`) documents {} but the matrices give {}",
                            self.file,
                            class.id,
                            control.id,
                            show(&self.differences[i].splits),
                            show(&per_cloud)
                        ));
                    }
                    (true, None) => problems.push(format!(
                        "{}: class `{}` ({}), control `{}`: the clouds differ ({}) and no [[difference]] cites a provider source for it",
                        self.file,
                        class.id,
                        class.title,
                        control.id,
                        show(&per_cloud)
                    )),
                    (false, _) => {}
                }
            }
        }
        for (i, d) in self.differences.iter().enumerate() {
            if !used[i] {
                problems.push(format!(
                    "{}: difference[{i}] (class `{}`, control `{}`): the matrices give one split on every cloud; remove the entry",
                    self.file, d.class, d.control
                ));
            }
        }
        problems
    }
}

fn join(set: &BTreeSet<&String>) -> String {
    set.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn show(splits: &BTreeMap<String, String>) -> String {
    splits
        .iter()
        .map(|(p, s)| format!("{p} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Matrix;

    const EQUIVALENCE: &str = include_str!("../../../schemas/crosscloud/equivalence.toml");
    const AWS: &str = include_str!("../../../schemas/responsibility/aws.toml");
    const AZURE: &str = include_str!("../../../schemas/responsibility/azure.toml");
    const GCP: &str = include_str!("../../../schemas/responsibility/gcp.toml");

    fn catalog() -> Catalog {
        Catalog::load(
            (
                "frameworks.toml",
                include_str!("../../../schemas/catalog/frameworks.toml"),
            ),
            (
                "controls.toml",
                include_str!("../../../schemas/catalog/controls.toml"),
            ),
        )
        .unwrap()
    }

    fn attributor(cat: &Catalog, aws: &str, azure: &str, gcp: &str) -> Attributor {
        Attributor::new([
            Matrix::load("aws.toml", aws, cat).unwrap(),
            Matrix::load("azure.toml", azure, cat).unwrap(),
            Matrix::load("gcp.toml", gcp, cat).unwrap(),
        ])
    }

    fn problems(aws: &str, azure: &str, gcp: &str, equivalence: &str) -> Vec<String> {
        let cat = catalog();
        let attr = attributor(&cat, aws, azure, gcp);
        let eq = Equivalence::load("equivalence.toml", equivalence, &cat, &attr).unwrap();
        eq.problems(&cat, &attr)
    }

    /// The shipped data: every control has one split per class of equivalent resource types on
    /// every cloud, save for documented, sourced differences.
    #[test]
    fn every_control_has_one_split_per_class_across_clouds() {
        let p = problems(AWS, AZURE, GCP, EQUIVALENCE);
        assert!(p.is_empty(), "{}", p.join("\n"));
        // The comparison is not vacuous: the main classes hold a type of every cloud.
        let cat = catalog();
        let attr = attributor(&cat, AWS, AZURE, GCP);
        let eq = Equivalence::load("equivalence.toml", EQUIVALENCE, &cat, &attr).unwrap();
        for id in [
            "object-storage",
            "managed-sql",
            "virtual-machines",
            "functions",
            "keys",
            "audit-logging",
            "network-firewalls",
            "networks",
            "accounts",
        ] {
            let class = eq.classes.iter().find(|c| c.id == id).unwrap();
            assert_eq!(
                class.types.keys().collect::<Vec<_>>(),
                ["aws", "azure", "gcp"],
                "{id}"
            );
        }
    }

    /// The split the issue found: customer-managed keys on object storage were `shared` on AWS
    /// and Google Cloud but `customer` on Azure, with no source saying the clouds differ.
    #[test]
    fn an_undocumented_difference_fails_and_names_class_control_and_splits() {
        let old = AZURE.replace(
            r#"data = { owner = "shared", sharing = "dependent", source = "azure-storage-encryption" }"#,
            r#"data = { owner = "customer", source = "azure-srm" }"#,
        );
        assert_ne!(old, AZURE, "the Azure abstracted data cell moved");
        let p = problems(AWS, &old, GCP, EQUIVALENCE);
        let want = "class `object-storage` (Object storage (buckets, storage accounts)), control `enc-customer-managed-keys`: the clouds differ (aws shared/dependent, azure customer, gcp shared/dependent) and no [[difference]] cites a provider source for it";
        assert!(
            p.iter().any(|m| m.ends_with(want)),
            "missing {want:?} in\n{}",
            p.join("\n")
        );
        // The same cell decides every data-layer control of every abstracted class.
        for (class, control) in [
            ("keys", "key-rotation"),
            ("object-storage", "enc-in-transit"),
            ("object-storage", "enc-at-rest"),
        ] {
            assert!(
                p.iter().any(|m| m.contains(&format!("class `{class}`"))
                    && m.contains(&format!("control `{control}`"))),
                "{class} {control}: {}",
                p.join("\n")
            );
        }

        // Documented with its source, the same difference passes; documented wrongly, it fails.
        let mut documented = EQUIVALENCE.to_string();
        let mut wrong = EQUIVALENCE.to_string();
        for control in [
            "enc-at-rest",
            "enc-customer-managed-keys",
            "key-rotation",
            "enc-in-transit",
        ] {
            // Every class with an abstracted Azure type next to another cloud's.
            for (class, gcp) in [
                ("object-storage", true),
                ("keys", true),
                ("audit-logging", true),
                ("accounts", true),
                ("access-policies", false),
            ] {
                let entry = |azure: &str| {
                    let gcp = if gcp {
                        ", gcp = \"shared/dependent\""
                    } else {
                        ""
                    };
                    format!(
                        "\n[[difference]]\nclass = \"{class}\"\ncontrol = \"{control}\"\nsplits = {{ aws = \"shared/dependent\", azure = \"{azure}\"{gcp} }}\nreason = \"test\"\nsource = {{ title = \"Doc\", url = \"https://example.com/doc\" }}\n"
                    )
                };
                documented.push_str(&entry("customer"));
                wrong.push_str(&entry("provider"));
            }
        }
        let p = problems(AWS, &old, GCP, &documented);
        assert!(p.is_empty(), "{}", p.join("\n"));
        let p = problems(AWS, &old, GCP, &wrong);
        assert!(
            p.iter().any(|m| m.contains(
                "documents aws shared/dependent, azure provider, gcp shared/dependent but the matrices give aws shared/dependent, azure customer, gcp shared/dependent"
            )),
            "{}",
            p.join("\n")
        );
        // A documented difference that the matrices no longer show is stale and fails.
        let p = problems(AWS, AZURE, GCP, &documented);
        assert!(
            p.iter()
                .any(|m| m.contains("the matrices give one split on every cloud; remove the entry")),
            "{}",
            p.join("\n")
        );
    }

    /// A resource type whose service model differs from its class on another cloud (functions
    /// mapped as PaaS on one cloud) is caught too, as is a disagreement inside one cloud.
    #[test]
    fn a_service_model_that_differs_across_clouds_is_caught() {
        let gcp = GCP.replace(
            r#""cloudfunctions.googleapis.com/Function" = "faas""#,
            r#""cloudfunctions.googleapis.com/Function" = "paas""#,
        );
        assert_ne!(gcp, GCP);
        let p = problems(AWS, AZURE, &gcp, EQUIVALENCE);
        assert!(
            p.iter().any(|m| m.contains("class `functions`")
                && m.contains("control `runtime-supported`")
                && m.contains("gcp's own types disagree")),
            "{}",
            p.join("\n")
        );
        let gcp = GCP.replace(
            r#""cloudfunctions.googleapis.com/CloudFunction" = "faas"
"cloudfunctions.googleapis.com/Function" = "faas""#,
            r#""cloudfunctions.googleapis.com/CloudFunction" = "paas"
"cloudfunctions.googleapis.com/Function" = "paas""#,
        );
        assert_ne!(gcp, GCP);
        let p = problems(AWS, AZURE, &gcp, EQUIVALENCE);
        assert!(
            p.iter().any(|m| m.contains("class `functions`")
                && m.contains("control `runtime-supported`")
                && m.contains("(aws customer, azure customer, gcp shared/dependent)")),
            "{}",
            p.join("\n")
        );
    }

    #[test]
    fn invalid_equivalence_data_lists_every_problem() {
        let cat = catalog();
        let attr = attributor(&cat, AWS, AZURE, GCP);
        // A type left out of every class, a type that no matrix knows, a type in two classes,
        // an unknown provider, and a difference without a source or a split per cloud.
        let text = EQUIVALENCE
            .replace(
                r#"aws = ["AWS::S3::Bucket"]"#,
                r#"aws = ["AWS::S3::Buckett"]"#,
            )
            .replace(
                r#"gcp = ["compute.googleapis.com/Project"]"#,
                r#"gcp = ["compute.googleapis.com/Instance"]
oci = ["oci.Instance"]"#,
            )
            + r#"
[[difference]]
class = "object-storage"
control = "enc-at-rest"
splits = { aws = "customer", azure = "mine" }
reason = ""
source = { title = "Blog", url = "http://example.com" }

[[difference]]
class = "attic"
control = "no-such-control"
splits = {}
reason = "x"
source = { title = "Doc", url = "https://example.com" }
"#;
        let err = Equivalence::load("equivalence.toml", &text, &cat, &attr)
            .unwrap_err()
            .to_string();
        for want in [
            "equivalence.toml: class: aws type `aws::s3::bucket` is in no class",
            "equivalence.toml: class: gcp type `compute.googleapis.com/project` is in no class",
            "class[10].aws[0]: `AWS::S3::Buckett` is not a type of the aws matrix",
            "class[1].gcp[0]: `compute.googleapis.com/Instance` is already in class `virtual-machines`",
            "class[1].oci: no responsibility matrix for provider `oci`",
            "difference[0].splits: must give the split of every cloud of class `object-storage` (aws, azure, gcp), not of aws, azure",
            "difference[0].splits.azure: unknown split `mine`",
            "difference[0].reason: a difference must say why the clouds differ",
            "difference[0].source: a difference must cite the provider document",
            "difference[1].class: unknown class `attic`",
            "difference[1].control: unknown control `no-such-control`",
        ] {
            assert!(err.contains(want), "missing {want:?} in\n{err}");
        }
    }
}
