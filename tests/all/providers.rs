//! A new provider is data, not a fork: responsibility matrices, provider attestations and
//! controls added from the configuration (`[data]`), and no finding silently attributed. The
//! hostile test plugin stands in for a provider demarc ships no data for (`hostile`).

use std::path::Path;

use crate::{demarc, describe, gaps, report, root, wasm, write_config};

/// A configuration scanning the hostile plugin's `ok` target (two passing findings of type
/// `Hostile::Thing`) beside a small AWS target, with `extra` appended to its top level.
fn config(dir: &Path, extra: &str) -> std::path::PathBuf {
    use sha2::Digest;
    let plugin = wasm("demarc-test-hostile");
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(&plugin).unwrap()));
    let snap = dir.join("snap");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::write(snap.join("data.json"), "[]").unwrap();
    let fx = root().join("tests/fixtures/aws");
    write_config(
        dir,
        &format!(
            "now = \"2026-11-01T00:00:00Z\"\n{extra}\n\n\
             [[plugin]]\npath = \"{}\"\nsha256 = \"{digest}\"\n\n\
             [[tenant]]\nid = \"acme\"\n\n\
             [[tenant.target]]\nid = \"good-aws\"\nprovider = \"aws\"\nsnapshot = \"{}\"\n\
             inputs = [\"minimal.json\", \"credential-report.csv\"]\n\n\
             [[tenant.target]]\nid = \"ok\"\nprovider = \"hostile\"\nsnapshot = \"snap\"\n\
             inputs = [\"data.json\"]\n",
            plugin.display(),
            fx.display()
        ),
    )
}

/// The built-in AWS matrix, rewritten for provider `provider` with `Hostile::Thing` as IaaS.
fn matrix_for(provider: &str) -> String {
    let aws = std::fs::read_to_string(root().join("schemas/responsibility/aws.toml")).unwrap();
    let start = aws.find("[service-models]").unwrap();
    let end = aws.find("[matrix.iaas]").unwrap();
    format!(
        "{}[service-models]\n\"Hostile::Thing\" = \"iaas\"\n\n{}",
        &aws[..start],
        &aws[end..]
    )
    .replace("provider = \"aws\"", &format!("provider = \"{provider}\""))
}

fn scan(dir: &Path, cfg: &Path) -> (std::process::Output, std::path::PathBuf) {
    let out_dir = dir.join("out");
    let out = demarc(
        &[
            "scan",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--format",
            "json,html,md",
        ],
        dir,
    );
    (out, out_dir)
}

/// The findings of target `ok`.
fn hostile_findings(r: &serde_json::Value) -> Vec<serde_json::Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["target"] == "ok")
        .cloned()
        .collect()
}

#[test]
fn a_provider_without_a_matrix_is_an_unattributed_gap_and_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "");
    let (out, out_dir) = scan(tmp.path(), &cfg);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let r = report(&out_dir);
    let gaps = gaps(&r);
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    let g = &gaps[0];
    assert_eq!(g["kind"], "unattributed", "{g}");
    assert_eq!(g["target"], "ok");
    let msg = g["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "2 findings of provider `hostile` could not be attributed: no responsibility matrix \
             for provider `hostile`; resource types: `Hostile::Thing` (2)."
        ),
        "{msg}"
    );
    assert!(msg.contains("assume_service_model"), "{msg}");
    // The findings are still in the report, their owner marked as assumed.
    let found = hostile_findings(&r);
    assert_eq!(found.len(), 2);
    for f in &found {
        assert_eq!(f["responsibility"]["basis"]["kind"], "assumed", "{f}");
    }
    // Nothing says the coverage is complete.
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(!html.contains("Coverage complete"));
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(!md.contains("Coverage complete"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("coverage: INCOMPLETE"),
        "{}",
        describe(&out)
    );
    // The AWS target beside it is attributed from its matrix, with no gap of its own.
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["target"] == "good-aws")
            .all(|f| f["responsibility"]["basis"]["kind"] != "assumed")
    );
}

#[test]
fn a_matrix_added_from_the_configuration_attributes_the_new_provider() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("matrices")).unwrap();
    std::fs::write(
        tmp.path().join("matrices/hostile.toml"),
        matrix_for("hostile"),
    )
    .unwrap();
    let cfg = config(
        tmp.path(),
        "\n[data]\nresponsibility = [\"matrices/hostile.toml\"]\n",
    );
    let (out, out_dir) = scan(tmp.path(), &cfg);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    assert!(gaps(&r).is_empty(), "{:#?}", gaps(&r));
    let found = hostile_findings(&r);
    assert_eq!(found.len(), 2);
    for f in &found {
        let basis = &f["responsibility"]["basis"];
        // `report.json` leaves out the kind of a matrix basis: the entry names the cell.
        assert!(basis["kind"].is_null(), "{f}");
        assert!(
            basis["entry"]
                .as_str()
                .unwrap()
                .starts_with("hostile/iaas/"),
            "{f}"
        );
    }
    // The built-in matrices are still there: the AWS target is attributed as before.
    assert!(
        r["run"]["bases"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("aws/"))
    );
}

#[test]
fn an_accepted_assumption_is_attributed_as_assumed_and_the_report_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "\n[providers.hostile]\nassume_service_model = \"paas\"\n",
    );
    let (out, out_dir) = scan(tmp.path(), &cfg);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = report(&out_dir);
    assert!(gaps(&r).is_empty(), "{:#?}", gaps(&r));
    assert_eq!(
        r["run"]["assumed_service_models"],
        serde_json::json!({"hostile": "paas"})
    );
    for f in &hostile_findings(&r) {
        let basis = &f["responsibility"]["basis"];
        assert_eq!(basis["kind"], "assumed", "{f}");
        assert_eq!(basis["entry"], "hostile/paas/governance", "{f}");
        assert!(
            basis["source"]
                .as_str()
                .unwrap()
                .contains("as the configuration accepts (providers.hostile.assume_service_model)"),
            "{f}"
        );
    }
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>Attribution assumed</h2>")
            && html.contains("<code>hostile</code> (paas)"),
        "the HTML report does not say so"
    );
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(
        md.contains("**Attribution assumed:**") && md.contains("`hostile` (paas)"),
        "the Markdown report does not say so"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("attribution: ASSUMED for `hostile` (paas)"),
        "{}",
        describe(&out)
    );

    // An unknown service model is a configuration error naming the key.
    let cfg = config(
        tmp.path(),
        "\n[providers.hostile]\nassume_service_model = \"saas\"\n",
    );
    let (out, _) = scan(tmp.path(), &cfg);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "providers.hostile.assume_service_model: unknown service model `saas` (known: iaas, paas, faas, abstracted)"
        ),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_conflicting_addition_is_a_configuration_error_naming_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    // A second matrix for a built-in provider.
    std::fs::write(tmp.path().join("aws-again.toml"), matrix_for("aws")).unwrap();
    // A control id that exists already.
    std::fs::write(
        tmp.path().join("controls.toml"),
        "[[control]]\nid = \"enc-at-rest\"\ntitle = \"Again\"\nlayer = \"data\"\nclass = 1\n",
    )
    .unwrap();
    // A provider attestation id that exists already.
    let aws_att = std::fs::read_to_string(root().join("schemas/attestations/aws.toml")).unwrap();
    std::fs::write(tmp.path().join("attest.toml"), aws_att).unwrap();
    let cfg = config(
        tmp.path(),
        "\n[data]\nresponsibility = [\"aws-again.toml\"]\ncontrols = [\"controls.toml\"]\n\
         attestations = [\"attest.toml\"]\n",
    );
    let (out, _) = scan(tmp.path(), &cfg);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let dir = tmp.path().display().to_string();
    for needle in [
        format!(
            "{dir}/aws-again.toml: provider: a responsibility matrix for provider `aws` is already loaded (built in)"
        ),
        format!(
            "{dir}/controls.toml: control[0].id: control `enc-at-rest` already exists (in schemas/catalog/controls.toml)"
        ),
        format!(
            "{dir}/attest.toml: attestation[0].id: provider attestation `aws-soc2-type2` is already loaded"
        ),
    ] {
        assert!(
            stderr.contains(&needle),
            "no {needle:?}\n{}",
            describe(&out)
        );
    }
}

#[test]
fn not_applicable_may_name_a_provider_the_loaded_data_knows() {
    let tmp = tempfile::tempdir().unwrap();
    let control = |cloud: &str| {
        format!(
            "[[control]]\nid = \"thing-documented\"\ntitle = \"Things are documented\"\n\
             layer = \"governance\"\nclass = 10\nnot_applicable = {{ {cloud} = \"no such data\" }}\n"
        )
    };
    // `hostile` is the provider of a configured plugin: known.
    std::fs::write(tmp.path().join("controls.toml"), control("hostile")).unwrap();
    let cfg = config(
        tmp.path(),
        "\n[data]\ncontrols = [\"controls.toml\"]\n\n[providers.hostile]\nassume_service_model = \"iaas\"\n",
    );
    let (out, _) = scan(tmp.path(), &cfg);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // `oracle` is neither a plugin's nor a matrix's provider.
    std::fs::write(tmp.path().join("controls.toml"), control("oracle")).unwrap();
    let (out, _) = scan(tmp.path(), &cfg);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}/controls.toml: control[0].not_applicable.oracle: unknown provider `oracle` (known: aws, azure, gcp, hostile)",
            tmp.path().display()
        )),
        "{}",
        describe(&out)
    );
}
