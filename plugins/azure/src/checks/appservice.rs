//! App Service and Azure Functions: HTTPS only, minimum TLS, and supported language runtimes.
//!
//! A site (`Microsoft.Web/sites`; `kind` containing `functionapp` for function apps) carries
//! `properties.httpsOnly`. Its configuration — `minTlsVersion`, `linuxFxVersion`
//! (`PYTHON|3.8`, `NODE|18-lts`, `DOCKER|…`), `netFrameworkVersion`, `phpVersion` — lives in the
//! `config/web` child resource (`Microsoft.Web/sites/config`); the site object repeats it in
//! `properties.siteConfig` (often with `null` values) and Resource Graph in
//! `properties.siteProperties.properties[{name: LinuxFxVersion, value}]`. The TLS and runtime
//! checks are therefore decided at the end of the scan, when every `config/web` item is known.
//!
//! App Service and Functions are platform services: Microsoft patches their operating system,
//! so no check here makes a guest-OS finding. The language runtime the app pins is the
//! customer's choice and is checked as such.

use demarc_sdk::{Finding, FindingBuilder};
use serde::Deserialize;

use super::{Context, governance, tls_at_least_1_2, types};
use crate::json::{Flag, List, Obj, Text, id_key};
use crate::resource::{Resource, Subject};
use demarc_sdk::json::FieldError;
use demarc_sdk::time::Timestamp;

demarc_sdk::include_checks!("appservice");

/// The configuration values the checks read, from wherever the export has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteConfigValues {
    /// `minTlsVersion`.
    pub min_tls: Option<String>,
    /// `linuxFxVersion`.
    pub linux_fx: Option<String>,
    /// `windowsFxVersion`.
    pub windows_fx: Option<String>,
    /// `netFrameworkVersion`.
    pub net_framework: Option<String>,
    /// `phpVersion`.
    pub php: Option<String>,
    /// `pythonVersion`.
    pub python: Option<String>,
}

impl SiteConfigValues {
    /// Fill what `self` lacks from `other`.
    pub fn or(mut self, other: &SiteConfigValues) -> SiteConfigValues {
        let fill = |a: &mut Option<String>, b: &Option<String>| {
            if a.is_none() {
                a.clone_from(b);
            }
        };
        fill(&mut self.min_tls, &other.min_tls);
        fill(&mut self.linux_fx, &other.linux_fx);
        fill(&mut self.windows_fx, &other.windows_fx);
        fill(&mut self.net_framework, &other.net_framework);
        fill(&mut self.php, &other.php);
        fill(&mut self.python, &other.python);
        self
    }
}

#[derive(Debug, Default, Deserialize)]
struct SiteConfig<'a> {
    #[serde(rename = "minTlsVersion", borrow, default)]
    min_tls: Text<'a>,
    #[serde(rename = "linuxFxVersion", borrow, default)]
    linux_fx: Text<'a>,
    #[serde(rename = "windowsFxVersion", borrow, default)]
    windows_fx: Text<'a>,
    #[serde(rename = "netFrameworkVersion", borrow, default)]
    net_framework: Text<'a>,
    #[serde(rename = "phpVersion", borrow, default)]
    php: Text<'a>,
    #[serde(rename = "pythonVersion", borrow, default)]
    python: Text<'a>,
}

impl SiteConfig<'_> {
    fn values(&self) -> SiteConfigValues {
        let own = |t: &Text<'_>| t.non_empty().map(str::to_string);
        SiteConfigValues {
            min_tls: own(&self.min_tls),
            linux_fx: own(&self.linux_fx),
            windows_fx: own(&self.windows_fx),
            net_framework: own(&self.net_framework),
            php: own(&self.php),
            python: own(&self.python),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SiteProperties<'a> {
    #[serde(rename = "httpsOnly", default)]
    https_only: Flag,
    #[serde(rename = "siteConfig", borrow, default)]
    site_config: Obj<SiteConfig<'a>>,
    #[serde(rename = "siteProperties", borrow, default)]
    site_properties: Obj<NamedValues<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct NamedValues<'a> {
    #[serde(borrow, default)]
    properties: List<NamedValue<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct NamedValue<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    value: Text<'a>,
}

/// What the TLS and runtime checks need about an app at the end of the scan.
#[derive(Debug, Clone)]
pub struct SiteRecord {
    /// The app as findings describe it.
    pub subject: Subject<'static>,
    /// Join key of its id.
    pub key: String,
    /// Configuration values found on the site object itself.
    pub config: SiteConfigValues,
}

/// The findings of an app made now, and its record for the end of the scan.
#[derive(Debug)]
pub struct SiteOutcome {
    /// HTTPS-only and owner-tag findings.
    pub findings: Vec<Finding>,
    /// The record for the TLS and runtime checks.
    pub record: SiteRecord,
}

/// Evaluate an App Service or function app.
pub fn evaluate_site<'a>(resource: &Resource<'a>) -> Result<SiteOutcome, FieldError<'a>> {
    let props: SiteProperties<'_> = resource.properties()?.unwrap_or_default();
    let subject = resource.subject();
    let label = subject.label();
    let what = app_kind(&subject);
    let builder = subject
        .finding(&HTTPS_ONLY)
        .evidence("properties.httpsOnly", props.https_only.describe());
    let https = if props.https_only.is_true() {
        builder.pass(format!("{what} {label} redirects HTTP to HTTPS."))
    } else {
        builder.fail(format!(
            "{what} {label} answers plain HTTP: HTTPS Only is off."
        ))
    };
    let mut config = props
        .site_config
        .get()
        .map(SiteConfig::values)
        .unwrap_or_default();
    if let Some(named) = props.site_properties.get() {
        for nv in named.properties.iter() {
            let value = nv.value.non_empty().map(str::to_string);
            if nv.name.eq_ignore_case("LinuxFxVersion") && config.linux_fx.is_none() {
                config.linux_fx = value;
            } else if nv.name.eq_ignore_case("WindowsFxVersion") && config.windows_fx.is_none() {
                config.windows_fx = value;
            }
        }
    }
    let findings = vec![https, governance::owner_tag(&subject)];
    let record = SiteRecord {
        key: id_key(&subject.id),
        config,
        subject: subject.into_owned(),
    };
    Ok(SiteOutcome { findings, record })
}

/// Read a `Microsoft.Web/sites/config` item: the app it belongs to (join key) and its values.
/// Only `config/web` carries the site configuration; other config items give `None`.
pub fn config_item<'a>(
    resource: &Resource<'a>,
) -> Result<Option<(String, SiteConfigValues)>, FieldError<'a>> {
    if !resource.label().eq_ignore_ascii_case("web")
        && !resource.id().to_ascii_lowercase().ends_with("/config/web")
    {
        return Ok(None);
    }
    let props: SiteConfig<'_> = resource.properties()?.unwrap_or_default();
    Ok(Some((
        crate::json::parent_key(resource.id()),
        props.values(),
    )))
}

fn app_kind(subject: &Subject<'_>) -> &'static str {
    if subject
        .native_type
        .eq_ignore_ascii_case(types::FUNCTION_APP)
    {
        "Function app"
    } else {
        "App Service app"
    }
}

/// The TLS finding of an app, with the configuration known at the end of the scan.
pub fn tls_finding(site: &SiteRecord, config: &SiteConfigValues) -> Finding {
    let label = site.subject.label();
    let what = app_kind(&site.subject);
    let builder = site.subject.finding(&MIN_TLS);
    let Some(tls) = config.min_tls.as_deref() else {
        return builder.evidence("siteConfig.minTlsVersion", "(absent)").manual(format!(
            "The export does not record the minimum TLS version of {what} {label}; its config/web resource (`az webapp config show`, ARM Microsoft.Web/sites/config) decides it."
        ));
    };
    let builder = builder.evidence("siteConfig.minTlsVersion", tls);
    match tls_at_least_1_2(tls) {
        Some(true) => builder.pass(format!("{what} {label} requires TLS {tls} or newer.")),
        _ => builder.fail(format!(
            "{what} {label} accepts TLS {tls}, a deprecated version."
        )),
    }
}

/// One end-of-life runtime.
struct Runtime {
    stack: &'static str,
    version: &'static str,
    label: &'static str,
    end: Timestamp,
}

const fn rt(
    stack: &'static str,
    version: &'static str,
    label: &'static str,
    end: Timestamp,
) -> Runtime {
    Runtime {
        stack,
        version,
        label,
        end,
    }
}

/// Runtimes and the end of their support on App Service (the language's own end of life).
const RUNTIMES: [Runtime; 30] = [
    rt("python", "2.7", "Python 2.7", Timestamp::ymd(2020, 1, 1)),
    rt("python", "3.6", "Python 3.6", Timestamp::ymd(2021, 12, 23)),
    rt("python", "3.7", "Python 3.7", Timestamp::ymd(2023, 6, 27)),
    rt("python", "3.8", "Python 3.8", Timestamp::ymd(2024, 10, 7)),
    rt("python", "3.9", "Python 3.9", Timestamp::ymd(2025, 10, 31)),
    rt("node", "8", "Node.js 8", Timestamp::ymd(2019, 12, 31)),
    rt("node", "10", "Node.js 10", Timestamp::ymd(2021, 4, 30)),
    rt("node", "12", "Node.js 12", Timestamp::ymd(2022, 4, 30)),
    rt("node", "14", "Node.js 14", Timestamp::ymd(2023, 4, 30)),
    rt("node", "16", "Node.js 16", Timestamp::ymd(2023, 9, 11)),
    rt("node", "18", "Node.js 18", Timestamp::ymd(2025, 4, 30)),
    rt("node", "20", "Node.js 20", Timestamp::ymd(2026, 4, 30)),
    rt("php", "5.6", "PHP 5.6", Timestamp::ymd(2018, 12, 31)),
    rt("php", "7.2", "PHP 7.2", Timestamp::ymd(2020, 11, 30)),
    rt("php", "7.3", "PHP 7.3", Timestamp::ymd(2021, 12, 6)),
    rt("php", "7.4", "PHP 7.4", Timestamp::ymd(2022, 11, 28)),
    rt("php", "8.0", "PHP 8.0", Timestamp::ymd(2023, 11, 26)),
    rt("php", "8.1", "PHP 8.1", Timestamp::ymd(2025, 12, 31)),
    rt(
        "dotnetcore",
        "2.1",
        ".NET Core 2.1",
        Timestamp::ymd(2021, 8, 21),
    ),
    rt(
        "dotnetcore",
        "3.1",
        ".NET Core 3.1",
        Timestamp::ymd(2022, 12, 13),
    ),
    rt("dotnetcore", "5.0", ".NET 5", Timestamp::ymd(2022, 5, 10)),
    rt("dotnet", "5.0", ".NET 5", Timestamp::ymd(2022, 5, 10)),
    rt("dotnet", "6.0", ".NET 6", Timestamp::ymd(2024, 11, 12)),
    rt("dotnet", "7.0", ".NET 7", Timestamp::ymd(2024, 5, 14)),
    rt(
        "dotnet-isolated",
        "6.0",
        ".NET 6 (isolated)",
        Timestamp::ymd(2024, 11, 12),
    ),
    rt(
        "dotnet-isolated",
        "7.0",
        ".NET 7 (isolated)",
        Timestamp::ymd(2024, 5, 14),
    ),
    rt("ruby", "2.6", "Ruby 2.6", Timestamp::ymd(2022, 3, 31)),
    rt("ruby", "2.7", "Ruby 2.7", Timestamp::ymd(2023, 3, 31)),
    rt("java", "7", "Java 7", Timestamp::ymd(2022, 7, 31)),
    rt("tomcat", "8.0", "Tomcat 8.0", Timestamp::ymd(2018, 6, 30)),
];

/// Whether `version` is `want` or starts with it followed by a non-digit (`16-lts`, `3.8.12`).
fn version_matches(version: &str, want: &str) -> bool {
    let v = version.trim().trim_start_matches(['v', 'V']);
    v.len() >= want.len()
        && v[..want.len()].eq_ignore_ascii_case(want)
        && v[want.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_digit())
}

/// The runtime of one `STACK|VERSION` (or a Windows setting's stack and version): `Some(label,
/// end)` when it is in the table.
fn lookup(stack: &str, version: &str) -> Option<(&'static str, Timestamp)> {
    RUNTIMES
        .iter()
        .find(|r| r.stack.eq_ignore_ascii_case(stack.trim()) && version_matches(version, r.version))
        .map(|r| (r.label, r.end))
}

/// The runtime finding of an app, with the configuration known at the end of the scan.
pub fn runtime_finding(site: &SiteRecord, config: &SiteConfigValues, ctx: &Context) -> Finding {
    let label = site.subject.label();
    let what = app_kind(&site.subject);
    let mut builder: FindingBuilder = site.subject.finding(&RUNTIME_SUPPORTED);
    // (evidence key, stack, version) of every runtime setting present.
    let mut settings: Vec<(&str, String, String)> = Vec::new();
    for (key, fx) in [
        ("siteConfig.linuxFxVersion", &config.linux_fx),
        ("siteConfig.windowsFxVersion", &config.windows_fx),
    ] {
        let Some(fx) = fx.as_deref() else { continue };
        let Some((stack, version)) = fx.split_once('|') else {
            continue;
        };
        if ["docker", "compose", "kube"]
            .iter()
            .any(|c| stack.trim().eq_ignore_ascii_case(c))
        {
            return builder.evidence(key, fx).not_applicable(format!(
                "{what} {label} runs a custom container ({fx}); the runtime inside the image is checked by container image scanning, not here."
            ));
        }
        settings.push((key, stack.to_string(), version.to_string()));
    }
    if settings.is_empty() {
        if let Some(v) = config.net_framework.as_deref() {
            // v4.0 is .NET Framework 4.x (supported with Windows); v5.0 and later are .NET.
            let stack = if version_matches(v, "4") || version_matches(v, "2") {
                "netfx"
            } else {
                "dotnet"
            };
            settings.push((
                "siteConfig.netFrameworkVersion",
                stack.to_string(),
                v.to_string(),
            ));
        }
        for (key, stack, value) in [
            ("siteConfig.phpVersion", "php", &config.php),
            ("siteConfig.pythonVersion", "python", &config.python),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.eq_ignore_ascii_case("off")) {
                settings.push((key, stack.to_string(), v.to_string()));
            }
        }
    }
    if settings.is_empty() {
        return builder.manual(format!(
            "The export does not record the language runtime of {what} {label}; its config/web resource (linuxFxVersion, netFrameworkVersion, phpVersion: `az webapp config show`) decides it."
        ));
    }
    let mut expired: Vec<String> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for (key, stack, version) in &settings {
        builder = builder.evidence(*key, format!("{stack}|{version}"));
        match lookup(stack, version) {
            Some((runtime, end)) if end <= ctx.now => {
                expired.push(format!("{runtime} (end of support {})", end.date()));
            }
            Some((runtime, end)) => {
                current.push(format!("{runtime} (supported until {})", end.date()))
            }
            None => current.push(format!("{stack} {version}")),
        }
    }
    if expired.is_empty() {
        builder.pass(format!(
            "{what} {label} runs {}, not an end-of-life runtime.",
            current.join(" and ")
        ))
    } else {
        builder.fail(format!(
            "{what} {label} is pinned to {}: it gets no more security fixes.",
            expired.join(" and ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, evidence, resource, status};
    use demarc_sdk::Status;

    fn site(kind: &str, props: &str) -> String {
        format!(
            r#"{{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app1","name":"app1","type":"microsoft.web/sites","kind":"{kind}","location":"westeurope","tags":{{"owner":"web"}},"properties":{props}}}"#
        )
    }

    fn outcome(json: &str) -> SiteOutcome {
        let r = resource(json);
        evaluate_site(&r).unwrap()
    }

    #[test]
    fn https_only_and_the_function_app_type() {
        let o = outcome(&site(
            "app,linux",
            r#"{"httpsOnly":true,"siteConfig":{"minTlsVersion":"1.2","linuxFxVersion":"PYTHON|3.12"}}"#,
        ));
        assert_eq!(status(&o.findings, HTTPS_ONLY.id), Status::Pass);
        assert_eq!(o.findings[0].resource.native_type, "microsoft.web/sites");
        assert_eq!(
            tls_finding(&o.record, &o.record.config).status,
            Status::Pass
        );
        assert_eq!(
            runtime_finding(&o.record, &o.record.config, &ctx()).status,
            Status::Pass
        );
        let f = outcome(&site("functionapp,linux", r#"{"httpsOnly":false}"#));
        assert_eq!(status(&f.findings, HTTPS_ONLY.id), Status::Fail);
        assert_eq!(
            f.findings[0].resource.native_type,
            "microsoft.web/sites/functionapp"
        );
        assert!(f.findings[0].message.starts_with("Function app"));
    }

    #[test]
    fn resource_graph_site_properties_and_config_items() {
        let o = outcome(&site(
            "app,linux",
            r#"{"httpsOnly":true,"siteConfig":{"minTlsVersion":null,"linuxFxVersion":null},
            "siteProperties":{"metadata":null,"properties":[{"name":"LinuxFxVersion","value":"NODE|16-lts"},{"name":"WindowsFxVersion","value":null}],"appSettings":null}}"#,
        ));
        assert_eq!(o.record.config.linux_fx.as_deref(), Some("NODE|16-lts"));
        let f = runtime_finding(&o.record, &o.record.config, &ctx());
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("Node.js 16"), "{}", f.message);
        assert_eq!(
            tls_finding(&o.record, &o.record.config).status,
            Status::Manual
        );
        let cfg = resource(
            r#"{"id":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/app1/config/web","name":"web","type":"Microsoft.Web/sites/config","properties":{"minTlsVersion":"1.0","ftpsState":"AllAllowed"}}"#,
        );
        let (key, values) = config_item(&cfg).unwrap().unwrap();
        assert_eq!(key, o.record.key);
        let merged = values.or(&o.record.config);
        let t = tls_finding(&o.record, &merged);
        assert_eq!(t.status, Status::Fail);
        assert_eq!(evidence(&t, "siteConfig.minTlsVersion"), Some("1.0"));
        let other = resource(
            r#"{"id":"/subscriptions/s1/x/sites/app1/config/appsettings","name":"appsettings","type":"Microsoft.Web/sites/config","properties":{}}"#,
        );
        assert!(config_item(&other).unwrap().is_none());
    }

    #[test]
    fn runtimes_in_every_spelling() {
        let check = |config: SiteConfigValues| {
            let o = outcome(&site("app", "{}"));
            runtime_finding(&o.record, &config, &ctx()).status
        };
        let fx = |s: &str| SiteConfigValues {
            linux_fx: Some(s.into()),
            ..Default::default()
        };
        assert_eq!(check(fx("PYTHON|3.8")), Status::Fail);
        assert_eq!(check(fx("Python|3.11")), Status::Pass);
        assert_eq!(check(fx("DOTNETCORE|3.1")), Status::Fail);
        assert_eq!(check(fx("DOTNET|8.0")), Status::Pass);
        assert_eq!(check(fx("DOTNET-ISOLATED|6.0")), Status::Fail);
        assert_eq!(check(fx("PHP|8.1")), Status::Fail);
        assert_eq!(check(fx("PHP|8.3")), Status::Pass);
        assert_eq!(check(fx("NODE|20-lts")), Status::Fail);
        assert_eq!(check(fx("NODE|22-lts")), Status::Pass);
        assert_eq!(check(fx("DOCKER|nginx:1.27")), Status::NotApplicable);
        let win = |v: &str| SiteConfigValues {
            net_framework: Some(v.into()),
            php: Some("Off".into()),
            ..Default::default()
        };
        assert_eq!(check(win("v4.0")), Status::Pass);
        assert_eq!(check(win("v6.0")), Status::Fail);
        let php = SiteConfigValues {
            net_framework: Some("v4.0".into()),
            php: Some("7.4".into()),
            ..Default::default()
        };
        assert_eq!(check(php), Status::Fail);
        assert_eq!(check(SiteConfigValues::default()), Status::Manual);
        assert!(
            version_matches("3.8", "3.8")
                && !version_matches("3.10", "3.1")
                && version_matches("v6.0", "6.0")
        );
    }
}
