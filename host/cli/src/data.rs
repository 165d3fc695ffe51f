//! The data demarc reasons with: the control catalog and the responsibility matrices. The
//! files in `schemas/` are built into the binary; `--schemas DIR` reads a directory of the same
//! layout instead, so users can read, diff and override them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use demarc_core::attestation::{self, ProviderAttestation};
use demarc_core::benchmark::Benchmark;
use demarc_core::{Attributor, Catalog, DataError, DataErrors, Matrix};

const FRAMEWORKS: &str = include_str!("../../../schemas/catalog/frameworks.toml");
const CONTROLS: &str = include_str!("../../../schemas/catalog/controls.toml");
const MATRICES: &[(&str, &str)] = &[
    (
        "responsibility/aws.toml",
        include_str!("../../../schemas/responsibility/aws.toml"),
    ),
    (
        "responsibility/azure.toml",
        include_str!("../../../schemas/responsibility/azure.toml"),
    ),
    (
        "responsibility/gcp.toml",
        include_str!("../../../schemas/responsibility/gcp.toml"),
    ),
];
const ATTESTATIONS: &[(&str, &str)] = &[
    (
        "attestations/aws.toml",
        include_str!("../../../schemas/attestations/aws.toml"),
    ),
    (
        "attestations/azure.toml",
        include_str!("../../../schemas/attestations/azure.toml"),
    ),
    (
        "attestations/gcp.toml",
        include_str!("../../../schemas/attestations/gcp.toml"),
    ),
];

include!(concat!(env!("OUT_DIR"), "/builtin_benchmarks.rs"));

/// Catalog and attribution data, validated.
pub struct Data {
    /// The control catalog.
    pub catalog: Arc<Catalog>,
    /// The responsibility matrices.
    pub attributor: Arc<Attributor>,
    /// The providers' attestations.
    pub provider_attestations: Vec<ProviderAttestation>,
}

/// Read the `*.toml` files of `dir`, sorted by name.
fn read_dir_toml(dir: &Path, errors: &mut Vec<DataError>) -> Vec<(String, String)> {
    let mut files = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for p in paths {
                match std::fs::read_to_string(&p) {
                    Ok(t) => files.push((p.display().to_string(), t)),
                    Err(e) => {
                        errors.push(DataError::new(&p.display().to_string(), "-", e.to_string()))
                    }
                }
            }
        }
        Err(e) => errors.push(DataError::new(
            &dir.display().to_string(),
            "-",
            format!("cannot read: {e}"),
        )),
    }
    files
}

/// Load the built-in data, or the files under `dir`. Every problem in every file is reported.
pub fn load(dir: Option<&Path>) -> Result<Data, DataErrors> {
    let read = |rel: &str, builtin: &str| -> Result<(String, String), DataError> {
        match dir {
            None => Ok((format!("schemas/{rel}"), builtin.to_string())),
            Some(d) => {
                let p = d.join(rel);
                std::fs::read_to_string(&p)
                    .map(|t| (p.display().to_string(), t))
                    .map_err(|e| {
                        DataError::new(&p.display().to_string(), "-", format!("cannot read: {e}"))
                    })
            }
        }
    };
    let mut errors = Vec::new();
    let fw = read("catalog/frameworks.toml", FRAMEWORKS)
        .map_err(|e| errors.push(e))
        .ok();
    let ctl = read("catalog/controls.toml", CONTROLS)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(fw), Some(ctl)) = (fw, ctl) else {
        return Err(DataErrors(errors));
    };
    let mut catalog = Catalog::load((&fw.0, &fw.1), (&ctl.0, &ctl.1)).map_err(|e| {
        let mut all = errors.clone();
        all.extend(e.0);
        DataErrors(all)
    })?;
    let benchmark_files: Vec<(String, String)> = match dir {
        None => BENCHMARKS
            .iter()
            .map(|(n, t)| (format!("schemas/{n}"), t.to_string()))
            .collect(),
        Some(d) if d.join("benchmarks").is_dir() => {
            read_dir_toml(&d.join("benchmarks"), &mut errors)
        }
        // A schemas directory without benchmarks: the catalog's frameworks only.
        Some(_) => Vec::new(),
    };
    for (name, text) in &benchmark_files {
        match Benchmark::load(name, text, &catalog) {
            Ok(b) => {
                if let Err(e) = catalog.add_benchmark(b) {
                    errors.push(e);
                }
            }
            Err(e) => errors.extend(e.0),
        }
    }
    let mut matrices = Vec::new();
    type Files = Vec<(String, String)>;
    let (files, attestation_files): (Files, Files) = match dir {
        None => (
            MATRICES
                .iter()
                .map(|(n, t)| (format!("schemas/{n}"), t.to_string()))
                .collect(),
            ATTESTATIONS
                .iter()
                .map(|(n, t)| (format!("schemas/{n}"), t.to_string()))
                .collect(),
        ),
        Some(d) => (
            read_dir_toml(&d.join("responsibility"), &mut errors),
            read_dir_toml(&d.join("attestations"), &mut errors),
        ),
    };
    let mut provider_attestations = Vec::new();
    for (name, text) in &attestation_files {
        match attestation::load_provider(name, text, &catalog) {
            Ok(a) => provider_attestations.extend(a),
            Err(e) => errors.extend(e.0),
        }
    }
    for (name, text) in &files {
        match Matrix::load(name, text, &catalog) {
            Ok(m) => matrices.push(m),
            Err(e) => errors.extend(e.0),
        }
    }
    if !errors.is_empty() {
        return Err(DataErrors(errors));
    }
    Ok(Data {
        catalog: Arc::new(catalog),
        attributor: Arc::new(Attributor::new(matrices)),
        provider_attestations,
    })
}

/// Data files the configuration adds on top of the loaded set (`[data]`), paths resolved.
#[derive(Debug, Clone, Default)]
pub struct Additions {
    /// Catalog extensions (`controls.toml` layout): more controls.
    pub controls: Vec<PathBuf>,
    /// Responsibility matrices of providers that have none yet.
    pub responsibility: Vec<PathBuf>,
    /// Provider attestation files with ids not yet loaded.
    pub attestations: Vec<PathBuf>,
}

impl Additions {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.controls.is_empty() && self.responsibility.is_empty() && self.attestations.is_empty()
    }
}

/// Add the configuration's data files to `data`. An addition never replaces: a control id, a
/// provider's matrix or an attestation id that is already loaded is an error naming the file and
/// the key (replacing the built-in set is what `--schemas` is for). Every problem in every file
/// is reported.
pub fn extend(data: Data, add: &Additions) -> Result<Data, DataErrors> {
    if add.is_empty() {
        return Ok(data);
    }
    let mut errors = Vec::new();
    let read = |p: &Path, errors: &mut Vec<DataError>| -> Option<(String, String)> {
        let name = p.display().to_string();
        match std::fs::read_to_string(p) {
            Ok(t) => Some((name, t)),
            Err(e) => {
                errors.push(DataError::new(&name, "-", format!("cannot read: {e}")));
                None
            }
        }
    };
    let mut catalog = (*data.catalog).clone();
    for p in &add.controls {
        if let Some((name, text)) = read(p, &mut errors)
            && let Err(e) = catalog.extend(&name, &text)
        {
            errors.extend(e.0);
        }
    }
    // Matrices and attestations cite controls: they are read against the extended catalog.
    let mut matrices: Vec<(String, Matrix)> = data
        .attributor
        .matrices()
        .map(|m| (String::new(), m.clone()))
        .collect();
    for p in &add.responsibility {
        let Some((name, text)) = read(p, &mut errors) else {
            continue;
        };
        match Matrix::load(&name, &text, &catalog) {
            Ok(m) => match matrices.iter().find(|(_, o)| o.provider == m.provider) {
                Some((from, _)) => errors.push(DataError::new(
                    &name,
                    "provider",
                    format!(
                        "a responsibility matrix for provider `{}` is already loaded ({}): an \
                         addition cannot replace one (--schemas replaces the built-in data)",
                        m.provider,
                        if from.is_empty() {
                            "built in"
                        } else {
                            from.as_str()
                        }
                    ),
                )),
                None => matrices.push((name, m)),
            },
            Err(e) => errors.extend(e.0),
        }
    }
    let mut provider_attestations = data.provider_attestations.clone();
    for p in &add.attestations {
        let Some((name, text)) = read(p, &mut errors) else {
            continue;
        };
        match attestation::load_provider(&name, &text, &catalog) {
            Ok(list) => {
                for (i, a) in list.into_iter().enumerate() {
                    if provider_attestations.iter().any(|o| o.id == a.id) {
                        errors.push(DataError::new(
                            &name,
                            format!("attestation[{i}].id"),
                            format!(
                                "provider attestation `{}` is already loaded: an addition cannot \
                                 replace one (`provider_attestations` replaces by id)",
                                a.id
                            ),
                        ));
                    } else {
                        provider_attestations.push(a);
                    }
                }
            }
            Err(e) => errors.extend(e.0),
        }
    }
    if !errors.is_empty() {
        return Err(DataErrors(errors));
    }
    let mut attributor = Attributor::new(matrices.into_iter().map(|(_, m)| m));
    for (provider, model) in data.attributor.accepted_assumptions() {
        attributor = attributor.accept_assumed(provider, *model);
    }
    Ok(Data {
        catalog: Arc::new(catalog),
        attributor: Arc::new(attributor),
        provider_attestations,
    })
}
