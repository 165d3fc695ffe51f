//! Where the credentials of a live AWS target come from, loaded by the AWS SDK (`aws-config`).
//!
//! A target names its source in the configuration; the host loads it once per source, on the
//! first signed request, and keeps it in a [`CredentialCache`] (one per source, shared by the
//! targets that name the same one):
//!
//! - nothing named: the SDK's default credential chain, as the AWS CLI and SDKs load it — the
//!   `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` environment, then the
//!   shared `config` and `credentials` files (`AWS_PROFILE` or `default`: static keys, SSO,
//!   `credential_process`, a role the profile assumes), web identity
//!   (`AWS_WEB_IDENTITY_TOKEN_FILE`), the ECS container endpoint, and EC2 instance metadata;
//! - `profile`: that profile of the shared files, and only it (the environment's keys are not
//!   taken instead, as with the AWS CLI's `--profile`);
//! - `role_arn`: STS `AssumeRole` of that role with the credentials above as the source, with the
//!   target's `external_id` and a session name (by default `demarc-TENANT`), sent to the STS
//!   endpoint of the target's first region, or `sts_endpoint` (an emulator).
//!
//! What a source is, described for the report and messages, never holds a secret: the external
//! id is said to be set, never shown.

use std::sync::Arc;
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials as _;
use aws_smithy_http_client::tls;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::egress::Endpoint;
use crate::sigv4::{CredentialCache, Credentials};

/// The longest the host waits for one source's credentials (the whole chain, or the source and
/// AssumeRole).
const LOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// The region of STS and of the chain's own calls when neither the target nor the SDK's
/// configuration names one.
const FALLBACK_REGION: &str = "us-east-1";

/// The credential source of a live AWS target.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AwsCredentialSource {
    /// A named profile of the shared `config` / `credentials` files; `None`: the default chain.
    pub profile: Option<String>,
    /// A role assumed with the credentials of the profile or the chain.
    pub assume_role: Option<AssumeRole>,
    /// The region of STS and the chain's calls (the target's first region); `None`: the SDK's
    /// configuration (`AWS_REGION`, the profile's `region`), else `us-east-1`.
    pub region: Option<String>,
}

/// STS `AssumeRole` settings.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AssumeRole {
    /// The IAM role's ARN.
    pub role_arn: String,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// The role session name (it appears in the account's CloudTrail).
    pub session_name: String,
    /// Where `AssumeRole` is sent instead of the region's STS endpoint (an emulator).
    pub sts_endpoint: Option<Endpoint>,
}

impl std::fmt::Debug for AwsCredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl AssumeRole {
    fn describe(&self) -> String {
        let mut s = format!(
            "assumed role {} (session {}",
            self.role_arn, self.session_name
        );
        if self.external_id.is_some() {
            s.push_str(", with an external id");
        }
        if let Some(e) = &self.sts_endpoint {
            s.push_str(&format!(", STS at {}", e.url()));
        }
        s.push(')');
        s
    }
}

impl AwsCredentialSource {
    /// The default credential chain, nothing else.
    pub fn default_chain() -> AwsCredentialSource {
        AwsCredentialSource {
            profile: None,
            assume_role: None,
            region: None,
        }
    }

    /// What the source is, for the report and messages: `the default credential chain`,
    /// `profile prod`, `assumed role arn:aws:iam::111111111111:role/Audit (session
    /// demarc-acme, with an external id) from profile prod`. Never a secret.
    pub fn describe(&self) -> String {
        let base = match &self.profile {
            Some(p) => format!("profile {p}"),
            None => "the default credential chain".to_string(),
        };
        match &self.assume_role {
            Some(role) => format!("{} from {base}", role.describe()),
            None => base,
        }
    }

    /// A cache of this source's credentials, loaded on the first signed request.
    pub fn cache(&self) -> Arc<CredentialCache> {
        let source = self.clone();
        CredentialCache::new(
            self.describe(),
            Arc::new(move || {
                let source = source.clone();
                Box::pin(async move { source.load().await })
            }),
        )
    }

    /// Load the credentials now (within a minute), or say why they cannot be.
    pub async fn load(&self) -> Result<Credentials, String> {
        match tokio::time::timeout(LOAD_TIMEOUT, self.load_unbounded()).await {
            Ok(loaded) => loaded,
            Err(_) => Err(format!(
                "not loaded within {} seconds",
                LOAD_TIMEOUT.as_secs()
            )),
        }
    }

    async fn load_unbounded(&self) -> Result<Credentials, String> {
        // The SDK's HTTPS client over rustls with *ring*, the host's TLS provider; one per load,
        // so that no pooled connection outlives the runtime that made it.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_timeout(Duration::from_secs(30))
            .build();
        let region = self.region.clone().map(Region::new);
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http.clone())
            .timeout_config(timeouts.clone());
        if let Some(r) = &region {
            loader = loader.region(r.clone());
        }
        if let Some(profile) = &self.profile {
            // The named profile alone: the environment's keys never stand in for it.
            let provider_config = ProviderConfig::without_region()
                .with_http_client(http.clone())
                .with_timeout_config(timeouts)
                .with_region(region.clone());
            loader = loader.profile_name(profile).credentials_provider(
                ProfileFileCredentialsProvider::builder()
                    .configure(&provider_config)
                    .profile_name(profile)
                    .build(),
            );
        }
        let mut conf = loader.load().await;
        if conf.region().is_none() {
            conf = conf
                .into_builder()
                .region(Region::from_static(FALLBACK_REGION))
                .build();
        }
        let Some(role) = &self.assume_role else {
            let provider = conf
                .credentials_provider()
                .ok_or_else(|| "the AWS SDK configured no credential provider".to_string())?;
            return provider
                .provide_credentials()
                .await
                .map_err(|e| crate::host::truncate_long(&DisplayErrorContext(&e).to_string()));
        };
        let mut sts = conf.into_builder();
        if let Some(endpoint) = &role.sts_endpoint {
            sts = sts.endpoint_url(endpoint.url());
        }
        let sts = sts.build();
        let mut builder = AssumeRoleProvider::builder(role.role_arn.clone())
            .configure(&sts)
            .session_name(role.session_name.clone());
        if let Some(id) = &role.external_id {
            builder = builder.external_id(id.clone());
        }
        let provider = builder.build().await;
        provider.provide_credentials().await.map_err(|e| {
            format!(
                "AssumeRole of {} failed: {}",
                role.role_arn,
                crate::host::truncate_long(&DisplayErrorContext(&e).to_string())
            )
        })
    }
}

/// Whether `arn` is an IAM role's ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
pub fn is_role_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let partition_ok = partition.starts_with("aws")
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-');
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let Some(path_and_name) = resource.strip_prefix("role/") else {
        return false;
    };
    let name = path_and_name.rsplit('/').next().unwrap_or("");
    let name_ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    let path_ok = path_and_name.len() <= 512
        && path_and_name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b':');
    partition_ok && account_ok && name_ok && path_ok
}

/// Whether `id` is a valid STS external id: 2 to 1224 of letters, digits and `+=,.@:/-_`.
pub fn is_external_id(id: &str) -> bool {
    (2..=1224).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b))
}

/// Whether `name` is a valid role session name: 2 to 64 of letters, digits and `+=,.@-_`.
pub fn is_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@-_".contains(&b))
}

/// The default role session name of a tenant: `demarc-TENANT`, cut to the 64 characters STS
/// accepts.
pub fn default_session_name(tenant: &str) -> String {
    let mut name = format!("demarc-{tenant}");
    name.truncate(64);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_are_checked() {
        for good in [
            "arn:aws:iam::111111111111:role/Audit",
            "arn:aws:iam::111111111111:role/service-role/demarc.audit@x",
            "arn:aws-cn:iam::111111111111:role/Audit",
            "arn:aws-us-gov:iam::111111111111:role/a/b/c/Audit",
        ] {
            assert!(is_role_arn(good), "{good}");
        }
        for bad in [
            "",
            "Audit",
            "arn:aws:iam::111111111111:user/Audit",
            "arn:aws:iam::11111111111:role/Audit",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:sts::111111111111:role/Audit",
            "arn:aws:iam:us-east-1:111111111111:role/Audit",
            "arn:gcp:iam::111111111111:role/Audit",
            "arn:aws:iam::111111111111:role/Au dit",
            "arn:aws:iam::111111111111:role/Audit:x",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }

    #[test]
    fn external_ids_and_session_names_are_checked() {
        assert!(is_external_id("acme-7f3a:2026/x"));
        assert!(!is_external_id("x"));
        assert!(!is_external_id("has space"));
        assert!(!is_external_id(&"x".repeat(1225)));
        assert!(is_session_name("demarc-acme"));
        assert!(!is_session_name("a/b"));
        assert!(!is_session_name(&"x".repeat(65)));
        let long = default_session_name(&"t".repeat(100));
        assert_eq!(long.len(), 64);
        assert!(is_session_name(&long));
        assert_eq!(default_session_name("acme"), "demarc-acme");
    }

    #[test]
    fn a_source_is_described_without_its_external_id() {
        let source = AwsCredentialSource {
            profile: Some("prod".into()),
            assume_role: Some(AssumeRole {
                role_arn: "arn:aws:iam::111111111111:role/Audit".into(),
                external_id: Some("very-private-external-id".into()),
                session_name: "demarc-acme".into(),
                sts_endpoint: Some(Endpoint::parse("http://127.0.0.1:5000").unwrap()),
            }),
            region: None,
        };
        let said = source.describe();
        assert_eq!(
            said,
            "assumed role arn:aws:iam::111111111111:role/Audit (session demarc-acme, with an \
             external id, STS at http://127.0.0.1:5000) from profile prod"
        );
        assert!(!format!("{source:?}").contains("very-private"));
        assert_eq!(
            AwsCredentialSource::default_chain().describe(),
            "the default credential chain"
        );
    }
}
