//! The responsibility matrix and attribution.
//!
//! For each provider, data in `schemas/responsibility/<provider>.toml` gives the service model
//! of every native resource type and, for every service model and layer, the owner (provider,
//! customer, or shared) with the document that says so. [`Attributor::attribute`] turns a
//! finding's provider, resource type and primary control into a [`Responsibility`] with its
//! basis, after applying the tenant's contracts that hand layers or controls to a third party.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::catalog::Control;
use crate::{
    Actor, Basis, BasisKind, Catalog, DataError, DataErrors, Layer, MustAct, Owner, Party,
    Responsibility, ServiceModel, Sharing,
};

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Owner of the layer under the service model.
    pub owner: Owner,
    /// For shared cells, how the parts relate.
    pub sharing: Option<Sharing>,
    /// The source document (title and address).
    pub source: String,
}

/// A type's letters and digits in lower case, and those of its last word (after the last `/`,
/// `:` or `.`).
fn type_words(ty: &str) -> (String, String) {
    let word = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let last = ty.rsplit(['/', ':', '.']).next().unwrap_or(ty);
    (word(ty), word(last))
}

/// One provider's responsibility data.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Provider id.
    pub provider: String,
    /// Native type (lowercased) → service model.
    types: BTreeMap<String, ServiceModel>,
    /// Other tools' spellings of the native types: the letters and digits of a type
    /// (`awss3bucket` for `AWS::S3::Bucket` and `AwsS3Bucket`), then its last word (`bucket`
    /// for `storage.googleapis.com/Bucket`), each → the type, or `None` where two types share it.
    words: BTreeMap<String, Option<String>>,
    /// (service model, layer) → cell.
    cells: BTreeMap<(ServiceModel, Layer), Cell>,
    /// Control id → a plain-words warning about what teams assume the provider does.
    notes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMatrix {
    provider: String,
    #[serde(default)]
    sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    service_models: BTreeMap<String, String>,
    #[serde(default)]
    matrix: BTreeMap<String, BTreeMap<String, RawCell>>,
    #[serde(default)]
    misattribution: BTreeMap<String, String>,
    /// Other tools' names of a type that its letters do not give (`FirewallRule` for
    /// `compute.googleapis.com/Firewall`) → the type, as `service-models` spells it.
    #[serde(default)]
    spellings: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    title: String,
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCell {
    owner: String,
    #[serde(default)]
    sharing: Option<String>,
    source: String,
}

impl Matrix {
    /// Parse and validate one provider's file; every problem is reported with its key.
    pub fn load(file: &str, text: &str, catalog: &Catalog) -> Result<Matrix, DataErrors> {
        let raw: RawMatrix = toml::from_str(text)
            .map_err(|e| DataErrors(vec![DataError::new(file, "-", e.to_string().trim())]))?;
        let mut errors = Vec::new();
        let mut m = Matrix {
            provider: raw.provider.clone(),
            types: BTreeMap::new(),
            words: BTreeMap::new(),
            cells: BTreeMap::new(),
            notes: BTreeMap::new(),
        };
        for (ty, model) in &raw.service_models {
            match ServiceModel::parse(model) {
                Some(sm) => {
                    if m.types.insert(ty.to_ascii_lowercase(), sm).is_some() {
                        errors.push(DataError::new(
                            file,
                            format!("service-models.\"{ty}\""),
                            "type listed twice (types compare case-insensitively)",
                        ));
                    }
                }
                None => errors.push(DataError::new(
                    file,
                    format!("service-models.\"{ty}\""),
                    format!(
                        "unknown service model `{model}` (known: iaas, paas, faas, abstracted)"
                    ),
                )),
            }
        }
        let mut words: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut lasts: BTreeMap<String, Option<String>> = BTreeMap::new();
        for ty in m.types.keys() {
            let (full, last) = type_words(ty);
            for (map, w) in [(&mut words, full), (&mut lasts, last)] {
                map.entry(w)
                    .and_modify(|e| {
                        if e.as_deref() != Some(ty) {
                            *e = None
                        }
                    })
                    .or_insert_with(|| Some(ty.clone()));
            }
        }
        for (w, ty) in lasts {
            words.entry(w).or_insert(ty);
        }
        // Stated spellings come last: a stated name is placed even where the letters alone
        // would be ambiguous.
        for (spelling, ty) in &raw.spellings {
            let lower = ty.to_ascii_lowercase();
            let (full, _) = type_words(spelling);
            if !m.types.contains_key(&lower) {
                errors.push(DataError::new(
                    file,
                    format!("spellings.\"{spelling}\""),
                    format!("`{ty}` is not a type of [service-models]"),
                ));
            } else if full.is_empty() || m.types.contains_key(&spelling.to_ascii_lowercase()) {
                errors.push(DataError::new(
                    file,
                    format!("spellings.\"{spelling}\""),
                    "a spelling must have letters and must not be a type of [service-models]",
                ));
            } else {
                words.insert(full, Some(lower));
            }
        }
        m.words = words;
        let used_models: BTreeSet<ServiceModel> = m.types.values().copied().collect();
        for (model_name, layers) in &raw.matrix {
            let Some(model) = ServiceModel::parse(model_name) else {
                errors.push(DataError::new(
                    file,
                    format!("matrix.{model_name}"),
                    format!("unknown service model `{model_name}`"),
                ));
                continue;
            };
            for (layer_name, cell) in layers {
                let key = format!("matrix.{model_name}.{layer_name}");
                let Some(layer) = Layer::parse(layer_name) else {
                    errors.push(DataError::new(
                        file,
                        key,
                        format!("unknown layer `{layer_name}`"),
                    ));
                    continue;
                };
                let owner = match cell.owner.as_str() {
                    "provider" => Some(Owner::Provider),
                    "customer" => Some(Owner::Customer),
                    "shared" => Some(Owner::Shared),
                    other => {
                        errors.push(DataError::new(
                            file,
                            format!("{key}.owner"),
                            format!("unknown owner `{other}` (provider, customer or shared; third parties come from tenant contracts)"),
                        ));
                        None
                    }
                };
                let sharing = match (cell.sharing.as_deref(), owner) {
                    (None, Some(Owner::Shared)) => {
                        errors.push(DataError::new(
                            file,
                            format!("{key}.sharing"),
                            "a shared cell must say `independent` or `dependent`",
                        ));
                        None
                    }
                    (None, _) => None,
                    (Some(s), Some(Owner::Shared)) => match s {
                        "independent" => Some(Sharing::Independent),
                        "dependent" => Some(Sharing::Dependent),
                        other => {
                            errors.push(DataError::new(
                                file,
                                format!("{key}.sharing"),
                                format!("unknown sharing `{other}`"),
                            ));
                            None
                        }
                    },
                    (Some(_), _) => {
                        errors.push(DataError::new(
                            file,
                            format!("{key}.sharing"),
                            "only a shared cell has a sharing kind",
                        ));
                        None
                    }
                };
                let source = match raw.sources.get(&cell.source) {
                    Some(s) => format!("{} <{}>", s.title, s.url),
                    None => {
                        errors.push(DataError::new(
                            file,
                            format!("{key}.source"),
                            format!("unknown source `{}` (not in [sources])", cell.source),
                        ));
                        continue;
                    }
                };
                if let Some(owner) = owner {
                    m.cells.insert(
                        (model, layer),
                        Cell {
                            owner,
                            sharing,
                            source,
                        },
                    );
                }
            }
            // A service model in use must define every layer: no missed spots.
            if used_models.contains(&model) {
                for layer in Layer::ALL {
                    if !layers.contains_key(layer.as_str()) {
                        errors.push(DataError::new(
                            file,
                            format!("matrix.{model_name}"),
                            format!("layer `{}` has no owner", layer.as_str()),
                        ));
                    }
                }
            }
        }
        for model in &used_models {
            if !raw.matrix.contains_key(model.as_str()) {
                errors.push(DataError::new(
                    file,
                    format!("matrix.{}", model.as_str()),
                    "service model is used by a resource type but has no matrix",
                ));
            }
        }
        for (control, note) in raw.misattribution {
            if catalog.control(&control).is_none() {
                errors.push(DataError::new(
                    file,
                    format!("misattribution.{control}"),
                    format!("unknown control `{control}`"),
                ));
            } else {
                m.notes.insert(control, note);
            }
        }
        if errors.is_empty() {
            Ok(m)
        } else {
            Err(DataErrors(errors))
        }
    }

    /// The matrix's spelling (lower case) of a type another tool spells its own way:
    /// `AwsS3Bucket` (Security Hub, Prowler) is `aws::s3::bucket`; a bare last word (`Bucket`) is
    /// placed only when one type of the matrix ends in it. `None` when nothing matches or the
    /// spelling is ambiguous.
    pub fn spelling_of(&self, tool_type: &str) -> Option<&str> {
        let lower = tool_type.to_ascii_lowercase();
        if let Some((t, _)) = self.types.get_key_value(&lower) {
            return Some(t);
        }
        let (full, last) = type_words(&lower);
        let found = |w: &str| self.words.get(w).cloned().flatten();
        let hit = found(&full).or_else(|| found(&last))?;
        self.types.get_key_value(&hit).map(|(t, _)| t.as_str())
    }

    /// The service model of a native type (compared case-insensitively).
    pub fn service_model(&self, native_type: &str) -> Option<ServiceModel> {
        self.types.get(&native_type.to_ascii_lowercase()).copied()
    }

    /// The cell for a service model and layer.
    pub fn cell(&self, model: ServiceModel, layer: Layer) -> Option<&Cell> {
        self.cells.get(&(model, layer))
    }

    /// Every misattribution warning, by control id.
    pub fn notes(&self) -> &BTreeMap<String, String> {
        &self.notes
    }

    /// Every native type (lowercased) with its service model.
    pub fn types(&self) -> impl Iterator<Item = (&str, ServiceModel)> {
        self.types.iter().map(|(t, m)| (t.as_str(), *m))
    }

    /// Every defined cell.
    pub fn cells(&self) -> impl Iterator<Item = (&(ServiceModel, Layer), &Cell)> {
        self.cells.iter()
    }
}

/// A clause of a tenant's contract: a third party owns these layers or controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// The third party, e.g. `Bluefin Managed Security`.
    pub party: String,
    /// Layers handed over.
    pub layers: Vec<Layer>,
    /// Controls handed over (catalog ids).
    pub controls: Vec<String>,
    /// Providers the clause covers; empty means all.
    pub providers: Vec<String>,
    /// The contract reference (document, clause) recorded as the basis.
    pub reference: String,
}

/// Attributes findings to owners using the matrices of all providers.
#[derive(Debug, Clone, Default)]
pub struct Attributor {
    matrices: BTreeMap<String, Matrix>,
    /// Providers whose resources the configuration accepts to attribute by an assumed service
    /// model where no matrix entry covers them (`[providers.ID] assume_service_model`).
    assumed: BTreeMap<String, ServiceModel>,
}

impl Attributor {
    /// An attributor over the given matrices.
    pub fn new(matrices: impl IntoIterator<Item = Matrix>) -> Self {
        Attributor {
            matrices: matrices
                .into_iter()
                .map(|m| (m.provider.clone(), m))
                .collect(),
            assumed: BTreeMap::new(),
        }
    }

    /// Accept `model` as the service model of `provider`'s resources that no matrix entry
    /// covers: their findings are attributed by it, with basis `assumed`, and are not
    /// unattributed.
    pub fn accept_assumed(mut self, provider: &str, model: ServiceModel) -> Self {
        self.assumed.insert(provider.to_string(), model);
        self
    }

    /// The service model the configuration accepts for `provider`'s uncovered resources.
    pub fn accepted_assumption(&self, provider: &str) -> Option<ServiceModel> {
        self.assumed.get(provider).copied()
    }

    /// Every accepted assumption, by provider.
    pub fn accepted_assumptions(&self) -> &BTreeMap<String, ServiceModel> {
        &self.assumed
    }

    /// Why a resource of `native_type` on `provider` has no matrix entry, or `None` when one
    /// covers it.
    pub fn uncovered(&self, provider: &str, native_type: &str) -> Option<String> {
        match self.matrices.get(provider) {
            None => Some(format!(
                "no responsibility matrix for provider `{provider}`"
            )),
            Some(m) if m.service_model(native_type).is_none() => Some(format!(
                "no entry of the `{provider}` responsibility matrix covers their resource types"
            )),
            Some(_) => None,
        }
    }

    /// Every matrix, by provider id.
    pub fn matrices(&self) -> impl Iterator<Item = &Matrix> {
        self.matrices.values()
    }

    /// The matrix of a provider.
    pub fn matrix(&self, provider: &str) -> Option<&Matrix> {
        self.matrices.get(provider)
    }

    /// The documents behind every basis entry the matrices and `contracts` (by tenant) can
    /// give a finding, by entry: what findings in `report.json` name by entry alone.
    pub fn bases<'c>(
        &self,
        contracts: impl IntoIterator<Item = (&'c str, &'c [Contract])>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for m in self.matrices.values() {
            for ((model, layer), cell) in m.cells() {
                out.insert(
                    format!("{}/{}/{}", m.provider, model.as_str(), layer.as_str()),
                    cell.source.clone(),
                );
            }
        }
        for (tenant, clauses) in contracts {
            for (i, c) in clauses.iter().enumerate() {
                out.insert(format!("contract:{tenant}/{i}"), c.reference.clone());
            }
        }
        out
    }

    /// Every misattribution warning, by provider and control id.
    pub fn notes(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.matrices
            .values()
            .filter(|m| !m.notes.is_empty())
            .map(|m| (m.provider.clone(), m.notes.clone()))
            .collect()
    }

    /// Who owns `control` for a resource of `native_type` on `provider`, given the tenant's
    /// `contracts` (the first matching clause wins).
    pub fn attribute(
        &self,
        provider: &str,
        native_type: &str,
        control: &Control,
        tenant: &str,
        contracts: &[Contract],
    ) -> Responsibility {
        self.attribute_with(provider, native_type, control, tenant, contracts, true)
    }

    /// [`Attributor::attribute`] without the documents that the run's tables state once
    /// ([`Attributor::bases`], [`Attributor::notes`]): the basis `source` of a matrix cell or a
    /// contract clause is left empty and the note out, as `report.json` writes them. An assumed
    /// basis keeps its source, which no table holds.
    pub fn attribute_by_reference(
        &self,
        provider: &str,
        native_type: &str,
        control: &Control,
        tenant: &str,
        contracts: &[Contract],
    ) -> Responsibility {
        self.attribute_with(provider, native_type, control, tenant, contracts, false)
    }

    fn attribute_with(
        &self,
        provider: &str,
        native_type: &str,
        control: &Control,
        tenant: &str,
        contracts: &[Contract],
        documents: bool,
    ) -> Responsibility {
        let layer = control.layer;
        let matrix = self.matrices.get(provider);
        let accepted = self.assumed.get(provider).copied();
        let (model, assumed) = match matrix.and_then(|m| m.service_model(native_type)) {
            Some(model) => (model, false),
            None => (accepted.unwrap_or(ServiceModel::Iaas), true),
        };
        let cell = matrix.and_then(|m| m.cell(model, layer));
        let note = if documents {
            matrix.and_then(|m| m.notes.get(&control.id)).cloned()
        } else {
            None
        };
        let mut resp = match (cell, assumed) {
            (Some(cell), false) => Responsibility {
                owner: cell.owner,
                party: None,
                sharing: cell.sharing,
                service_model: model,
                layer,
                basis: Basis {
                    kind: BasisKind::Matrix,
                    entry: format!("{provider}/{}/{}", model.as_str(), layer.as_str()),
                    source: if documents {
                        cell.source.clone()
                    } else {
                        String::new()
                    },
                },
                note,
            },
            (cell, _) => {
                // No data for this type (or provider): assume the most customer-heavy model and
                // say so, rather than guess that someone else covers it.
                let owner = cell.map(|c| c.owner).unwrap_or(Owner::Customer);
                let why = match matrix {
                    None => format!("no responsibility matrix for provider `{provider}`"),
                    Some(_) => format!("no service model for resource type `{native_type}`"),
                };
                Responsibility {
                    owner,
                    party: None,
                    sharing: cell.and_then(|c| c.sharing),
                    service_model: model,
                    layer,
                    basis: Basis {
                        kind: BasisKind::Assumed,
                        entry: format!("{provider}/{}/{}", model.as_str(), layer.as_str()),
                        source: match accepted {
                            Some(m) => format!(
                                "{why}; {} ownership assumed, as the configuration accepts \
                                 (providers.{provider}.assume_service_model)",
                                m.as_str()
                            ),
                            None => format!("{why}; IaaS ownership assumed"),
                        },
                    },
                    note,
                }
            }
        };
        if resp.owner != Owner::Provider {
            let clause = contracts.iter().enumerate().find(|(_, c)| {
                (c.providers.is_empty() || c.providers.iter().any(|p| p == provider))
                    && (c.layers.contains(&layer) || c.controls.contains(&control.id))
            });
            if let Some((i, c)) = clause {
                resp.owner = Owner::ThirdParty;
                resp.party = Some(c.party.clone());
                resp.sharing = None;
                resp.basis = Basis {
                    kind: BasisKind::Contract,
                    entry: format!("contract:{tenant}/{i}"),
                    source: if documents {
                        c.reference.clone()
                    } else {
                        String::new()
                    },
                };
            }
        }
        resp
    }

    /// Who must act on a finding of a check whose declared `actor` controls the setting it
    /// decided on: the provider for the provider's own evidence; for a customer setting, the
    /// customer, unless the tenant's `contracts` hand the control or its layer to a third party
    /// on this provider (the first matching clause wins, as in [`Attributor::attribute`]).
    ///
    /// Unlike the control's owner, this never depends on the matrix: a customer setting on a
    /// shared or even provider-owned control is still the customer's to change.
    pub fn must_act(
        &self,
        actor: Actor,
        provider: &str,
        control: &Control,
        tenant: &str,
        contracts: &[Contract],
    ) -> MustAct {
        match actor {
            Actor::Provider => MustAct {
                party: Party::Provider,
                name: None,
                basis: None,
            },
            Actor::Customer => {
                let clause = contracts.iter().enumerate().find(|(_, c)| {
                    (c.providers.is_empty() || c.providers.iter().any(|p| p == provider))
                        && (c.layers.contains(&control.layer) || c.controls.contains(&control.id))
                });
                match clause {
                    Some((i, c)) => MustAct {
                        party: Party::ThirdParty,
                        name: Some(c.party.clone()),
                        basis: Some(format!("contract:{tenant}/{i}")),
                    },
                    None => MustAct::customer(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn aws(cat: &Catalog) -> Matrix {
        Matrix::load(
            "aws.toml",
            include_str!("../../../schemas/responsibility/aws.toml"),
            cat,
        )
        .unwrap()
    }

    const MATRICES: [(&str, &str); 3] = [
        (
            "aws",
            include_str!("../../../schemas/responsibility/aws.toml"),
        ),
        (
            "azure",
            include_str!("../../../schemas/responsibility/azure.toml"),
        ),
        (
            "gcp",
            include_str!("../../../schemas/responsibility/gcp.toml"),
        ),
    ];

    /// Other tools' spellings of a type meet the matrix's; an ambiguous or unknown one does not.
    #[test]
    fn other_tools_type_spellings_meet_the_matrix_spelling() {
        let cat = catalog();
        let m = aws(&cat);
        for (tool, want) in [
            ("AWS::S3::Bucket", Some("aws::s3::bucket")),
            ("AwsS3Bucket", Some("aws::s3::bucket")),
            ("AwsEc2SecurityGroup", Some("aws::ec2::securitygroup")),
            ("AwsRdsDbInstance", Some("aws::rds::dbinstance")),
            ("AwsIamUser", Some("aws::iam::user")),
            ("AwsNoSuchThing", None),
            ("", None),
        ] {
            assert_eq!(m.spelling_of(tool), want, "{tool}");
        }
        let gcp = Matrix::load("gcp.toml", MATRICES[2].1, &cat).unwrap();
        assert_eq!(
            gcp.spelling_of("Bucket"),
            Some("storage.googleapis.com/bucket")
        );
        // Compute and Cloud SQL both have an `Instance`: a bare `Instance` is not placed.
        assert_eq!(gcp.spelling_of("Instance"), None);
        // Spellings the matrix states: Prowler's firewall rule, the Cloud SQL Admin API's
        // database instance.
        assert_eq!(
            gcp.spelling_of("FirewallRule"),
            Some("compute.googleapis.com/firewall")
        );
        assert_eq!(
            gcp.spelling_of("DatabaseInstance"),
            Some("sqladmin.googleapis.com/instance")
        );
    }

    #[test]
    fn a_stated_spelling_must_name_a_type_and_must_not_be_one() {
        let cat = catalog();
        let base = MATRICES[2].1;
        for (table, key) in [
            (
                "\"FwRule\" = \"compute.googleapis.com/NoSuchType\"",
                "FwRule",
            ),
            (
                "\"compute.googleapis.com/Disk\" = \"compute.googleapis.com/Firewall\"",
                "compute.googleapis.com/Disk",
            ),
            ("\"::\" = \"compute.googleapis.com/Firewall\"", "::"),
        ] {
            let text = base.replace("[spellings]", &format!("[spellings]\n{table}"));
            let err = Matrix::load("gcp.toml", &text, &cat)
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("spellings.\"{key}\"")), "{err}");
        }
    }

    #[test]
    fn every_cell_of_every_matrix_attributes_as_its_data_says() {
        let cat = catalog();
        for (provider, text) in MATRICES {
            let m = Matrix::load(&format!("{provider}.toml"), text, &cat).unwrap();
            assert_eq!(m.provider, provider);
            let attr = Attributor::new([m.clone()]);
            let mut checked = 0;
            for ((model, layer), cell) in m.cells() {
                // Every resource type of this service model, every layer, every control in it.
                for (ty, _) in m.types.iter().filter(|(_, sm)| *sm == model) {
                    for control in cat.controls().filter(|c| c.layer == *layer) {
                        let r = attr.attribute(provider, ty, control, "t", &[]);
                        assert_eq!(
                            r.owner, cell.owner,
                            "{provider} {ty} {layer:?} {}",
                            control.id
                        );
                        assert_eq!(r.sharing, cell.sharing);
                        assert_eq!(r.service_model, *model);
                        assert_eq!(r.basis.kind, BasisKind::Matrix);
                        assert_eq!(
                            r.basis.entry,
                            format!("{provider}/{}/{}", model.as_str(), layer.as_str())
                        );
                        assert_eq!(r.basis.source, cell.source);
                        checked += 1;
                    }
                }
            }
            assert!(checked > 0, "{provider}: no cell checked");
            // Physical security is the provider's under every model it uses.
            for model in m.types.values() {
                assert_eq!(
                    m.cell(*model, Layer::Physical).map(|c| c.owner),
                    Some(Owner::Provider),
                    "{provider}"
                );
            }
        }
    }

    #[test]
    fn guest_os_is_customer_on_iaas_and_provider_on_paas() {
        let cat = catalog();
        let attr = Attributor::new([aws(&cat)]);
        let guest = cat.control("guest-patching").unwrap();
        let ec2 = attr.attribute("aws", "AWS::EC2::Instance", guest, "t", &[]);
        assert_eq!(
            (ec2.owner, ec2.service_model),
            (Owner::Customer, ServiceModel::Iaas)
        );
        let rds = attr.attribute("aws", "aws::rds::dbinstance", guest, "t", &[]);
        assert_eq!(
            (rds.owner, rds.service_model),
            (Owner::Provider, ServiceModel::Paas)
        );
    }

    #[test]
    fn a_contract_hands_a_layer_to_a_third_party_and_is_the_basis() {
        let cat = catalog();
        let attr = Attributor::new([aws(&cat)]);
        let guest = cat.control("guest-patching").unwrap();
        let contracts = [Contract {
            party: "Bluefin".into(),
            layers: vec![Layer::GuestOs],
            controls: vec![],
            providers: vec!["aws".into()],
            reference: "MSA 2026 schedule B".into(),
        }];
        let r = attr.attribute("aws", "AWS::EC2::Instance", guest, "northwind", &contracts);
        assert_eq!(r.owner, Owner::ThirdParty);
        assert_eq!(r.party.as_deref(), Some("Bluefin"));
        assert_eq!(r.basis.kind, BasisKind::Contract);
        assert_eq!(r.basis.entry, "contract:northwind/0");
        // A provider-owned cell is not handed over by a customer's contract.
        let rds = attr.attribute(
            "aws",
            "AWS::RDS::DBInstance",
            guest,
            "northwind",
            &contracts,
        );
        assert_eq!(rds.owner, Owner::Provider);
    }

    /// The misunderstanding the model exists to prevent: a failing customer setting on a shared
    /// control reads as "shared with the provider". The control stays shared; the finding is
    /// the customer's to fix.
    #[test]
    fn a_customer_setting_on_a_shared_control_is_the_customers_to_fix() {
        let cat = catalog();
        let attr = Attributor::new([aws(&cat)]);
        let exposure = cat.control("db-public-access").unwrap();
        let r = attr.attribute("aws", "AWS::RDS::DBInstance", exposure, "t", &[]);
        assert_eq!(r.owner, Owner::Shared);
        let who = attr.must_act(Actor::Customer, "aws", exposure, "t", &[]);
        assert_eq!(who, MustAct::customer());
        assert_eq!(who.label(), "customer");
        // Only the provider's own evidence is the provider's to act on.
        let who = attr.must_act(Actor::Provider, "aws", exposure, "t", &[]);
        assert_eq!(who.party, Party::Provider);
    }

    /// A contract hands the customer's settings of a layer to the third party, on the providers
    /// it names, even where the control itself is the provider's (a managed database's guest
    /// OS): the clause is the basis.
    #[test]
    fn a_contract_makes_the_third_party_act_on_the_customers_settings() {
        let cat = catalog();
        let attr = Attributor::new([aws(&cat)]);
        let guest = cat.control("guest-patching").unwrap();
        let contracts = [
            Contract {
                party: "Elsewhere".into(),
                layers: vec![Layer::GuestOs],
                controls: vec![],
                providers: vec!["azure".into()],
                reference: "other cloud".into(),
            },
            Contract {
                party: "Bluefin".into(),
                layers: vec![Layer::GuestOs],
                controls: vec![],
                providers: vec!["aws".into()],
                reference: "MSA".into(),
            },
        ];
        let who = attr.must_act(Actor::Customer, "aws", guest, "northwind", &contracts);
        assert_eq!(who.party, Party::ThirdParty);
        assert_eq!(who.label(), "Bluefin");
        assert_eq!(who.basis.as_deref(), Some("contract:northwind/1"));
        let who = attr.must_act(Actor::Customer, "gcp", guest, "northwind", &contracts);
        assert_eq!(who, MustAct::customer());
        // The provider's evidence is never handed over by the customer's contract.
        let who = attr.must_act(Actor::Provider, "aws", guest, "northwind", &contracts);
        assert_eq!(who.party, Party::Provider);
    }

    /// What the tables state once is left out by reference and nothing else: the tables give
    /// back the full attribution.
    #[test]
    fn attribution_by_reference_leaves_out_only_what_the_tables_hold() {
        let cat = catalog();
        let attr = Attributor::new([aws(&cat)]);
        let contracts = [Contract {
            party: "Bluefin".into(),
            layers: vec![Layer::GuestOs],
            controls: vec![],
            providers: vec![],
            reference: "MSA".into(),
        }];
        let bases = attr.bases([("t", &contracts[..])]);
        let notes = attr.notes();
        for (ty, control) in [
            ("AWS::RDS::DBInstance", "db-public-access"),
            ("AWS::EC2::Instance", "guest-patching"),
            ("AWS::S3::Bucket", "enc-customer-managed-keys"),
            ("AWS::Made::Up", "mgmt-port-exposure"),
        ] {
            let c = cat.control(control).unwrap();
            let full = attr.attribute("aws", ty, c, "t", &contracts);
            let mut lean = attr.attribute_by_reference("aws", ty, c, "t", &contracts);
            assert_eq!(lean.note, None);
            if lean.basis.kind == BasisKind::Assumed {
                // No table holds an assumption's words: they stay.
                assert_eq!(lean.basis, full.basis);
            } else {
                assert!(lean.basis.source.is_empty());
                lean.basis.source = bases[&lean.basis.entry].clone();
            }
            lean.note = notes.get("aws").and_then(|n| n.get(control)).cloned();
            assert_eq!(lean, full, "{ty} {control}");
        }
    }

    #[test]
    fn unknown_types_and_providers_are_assumed_customer_and_say_so() {
        let cat = catalog();
        let attr = Attributor::new([aws(&cat)]);
        let c = cat.control("mgmt-port-exposure").unwrap();
        let r = attr.attribute("aws", "AWS::Made::Up", c, "t", &[]);
        assert_eq!(r.basis.kind, BasisKind::Assumed);
        assert!(r.basis.source.contains("AWS::Made::Up"));
        let r = attr.attribute("tinycloud", "vm", c, "t", &[]);
        assert_eq!(r.owner, Owner::Customer);
        assert!(r.basis.source.contains("tinycloud"));
    }

    #[test]
    fn invalid_matrix_data_lists_every_problem() {
        let cat = catalog();
        let text = r#"
provider = "x"
[sources]
doc = { title = "Doc", url = "https://example.com" }
[service-models]
"X::VM" = "iaas"
"X::Fn" = "lambda"
[matrix.iaas]
physical = { owner = "provider", source = "doc" }
guest-os = { owner = "nobody", source = "doc" }
roof = { owner = "customer", source = "doc" }
data = { owner = "shared", source = "missing" }
[misattribution]
no-such-control = "x"
"#;
        let err = Matrix::load("x.toml", text, &cat).unwrap_err();
        let s = err.to_string();
        for want in [
            "service-models.\"X::Fn\": unknown service model `lambda`",
            "matrix.iaas.guest-os.owner: unknown owner `nobody`",
            "matrix.iaas.roof: unknown layer `roof`",
            "matrix.iaas.data.source: unknown source `missing`",
            "matrix.iaas: layer `logging` has no owner",
            "misattribution.no-such-control: unknown control",
        ] {
            assert!(s.contains(want), "missing {want:?} in\n{s}");
        }
    }
}
