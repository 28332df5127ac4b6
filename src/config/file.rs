//! The configuration file format: a serde mirror of `cfedge.toml`, with no logic.
//!
//! Every struct rejects unknown keys (`deny_unknown_fields`), so a typo in a
//! behaviour fails start-up with the file line instead of being ignored
//! (architecture habit 5). Values are kept raw here; `config::build` turns
//! them into the validated, immutable [`crate::config::Config`].
//!
//! Table entries that users write by name (origins, behaviours, policies...)
//! are wrapped in [`toml::Spanned`] so validation errors can cite the line.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub server: ServerFile,
    #[serde(default)]
    pub distribution: DistributionFile,
    #[serde(default)]
    pub cache: CacheFile,
    #[serde(default)]
    pub origins: BTreeMap<String, Spanned<OriginFile>>,
    #[serde(default)]
    pub origin_groups: BTreeMap<String, Spanned<OriginGroupFile>>,
    #[serde(default)]
    pub cache_policies: BTreeMap<String, Spanned<CachePolicyFile>>,
    #[serde(default)]
    pub origin_request_policies: BTreeMap<String, Spanned<OriginRequestPolicyFile>>,
    pub default_behavior: Option<Spanned<BehaviorFile>>,
    #[serde(default)]
    pub behaviors: Vec<Spanned<BehaviorFile>>,
    #[serde(default)]
    pub custom_error_responses: Vec<Spanned<CustomErrorResponseFile>>,
    /// CloudFront Functions (issue: CloudFront Functions).
    #[serde(default)]
    pub functions: BTreeMap<String, Spanned<FunctionFile>>,
    /// Key value stores for CloudFront Functions.
    #[serde(default)]
    pub key_value_stores: BTreeMap<String, Spanned<KeyValueStoreFile>>,
    /// Lambda@Edge functions.
    #[serde(default)]
    pub lambdas: BTreeMap<String, Spanned<LambdaFile>>,
    /// Native JWT rules, attached to behaviours by name.
    #[serde(default)]
    pub jwt_rules: BTreeMap<String, Spanned<JwtRuleFile>>,
    /// Native redirect tables, attached to behaviours by name.
    #[serde(default)]
    pub redirect_rules: BTreeMap<String, Spanned<RedirectTableFile>>,
    /// Trusted key groups for signed URLs and cookies.
    #[serde(default)]
    pub key_groups: BTreeMap<String, Spanned<KeyGroupFile>>,
    /// Response headers policies (custom; managed ones are usable by name or ID).
    #[serde(default)]
    pub response_headers_policies: BTreeMap<String, Spanned<ResponseHeadersPolicyFile>>,
    /// Geo restriction for the whole distribution.
    pub geo_restriction: Option<Spanned<GeoRestrictionFile>>,
}

/// `[server]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    /// Plain HTTP listener, `"127.0.0.1:8080"` by default.
    pub listen: Option<String>,
    /// Seconds a viewer may take to send its request headers (default 10).
    pub header_read_timeout: Option<u64>,
    /// Seconds an idle keep-alive viewer connection stays open (default 60).
    pub idle_timeout: Option<u64>,
    /// Seconds in-flight requests get to finish on shutdown (default 30).
    pub drain_timeout: Option<u64>,
    /// Tokio worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Viewer TLS listener.
    pub tls: Option<Spanned<TlsFile>>,
    /// Directory for generated state (self-signed certificates); default `.cfedge`.
    pub state_dir: Option<PathBuf>,
}

/// `[server.tls]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    pub listen: Option<String>,
    /// PEM certificate chain.
    pub cert: Option<PathBuf>,
    /// PEM private key.
    pub key: Option<PathBuf>,
    /// Extra certificates selected by SNI.
    #[serde(default)]
    pub certificates: Vec<TlsCertificateFile>,
}

/// One extra SNI certificate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsCertificateFile {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// `[distribution]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionFile {
    pub id: Option<String>,
    pub domain_name: Option<String>,
    /// Alternate domain names (CNAMEs).
    #[serde(default)]
    pub aliases: Vec<String>,
    pub default_root_object: Option<String>,
    /// The `X-Amz-Cf-Pop` value, e.g. `"LOCAL50-C1"`.
    pub pop: Option<String>,
    /// Allow CloudFront Function code over 10 KB (off by default, as CloudFront).
    pub allow_oversized_functions: Option<bool>,
}

/// `[cache]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheFile {
    pub max_size_mb: Option<u64>,
    pub max_object_size_mb: Option<u64>,
}

/// `[origins.<id>]`: either `url` (custom origin) or `dir` (S3-like directory).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginFile {
    pub url: Option<String>,
    pub dir: Option<PathBuf>,
    pub origin_path: Option<String>,
    pub connection_attempts: Option<u32>,
    pub connection_timeout: Option<u64>,
    pub read_timeout: Option<u64>,
    pub keepalive_timeout: Option<u64>,
    pub response_completion_timeout: Option<u64>,
    /// `http-only`, `https-only` or `match-viewer`.
    pub origin_protocol_policy: Option<String>,
    pub http_port: Option<u16>,
    pub https_port: Option<u16>,
    /// Extra PEM CA bundle trusted for this HTTPS origin.
    pub ca_file: Option<PathBuf>,
    /// Skip certificate verification (self-signed dev origins). Logged loudly.
    pub insecure_skip_verify: Option<bool>,
    #[serde(default)]
    pub custom_headers: BTreeMap<String, String>,
}

/// `[origin_groups.<id>]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginGroupFile {
    pub members: Vec<String>,
    pub failover_status_codes: Vec<u16>,
}

/// `[cache_policies.<name>]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachePolicyFile {
    pub min_ttl: Option<u64>,
    pub default_ttl: Option<u64>,
    pub max_ttl: Option<u64>,
    pub query_strings: Option<ListBehaviorFile>,
    #[serde(default)]
    pub headers: Vec<String>,
    pub cookies: Option<ListBehaviorFile>,
    pub enable_accept_encoding_gzip: Option<bool>,
    pub enable_accept_encoding_brotli: Option<bool>,
}

/// `[origin_request_policies.<name>]`: what is forwarded beyond the cache key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginRequestPolicyFile {
    /// `"none"`, `"all_viewer"`, `{ allow = [...] }`, `{ all_except = [...] }`,
    /// or `{ all_viewer_and_cloudfront = [...] }`.
    pub headers: Option<HeaderSelectionFile>,
    pub cookies: Option<ListBehaviorFile>,
    pub query_strings: Option<ListBehaviorFile>,
}

/// Header selection of an origin request policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HeaderSelectionFile {
    Keyword(String),
    Allow {
        allow: Vec<String>,
    },
    AllExcept {
        all_except: Vec<String>,
    },
    AllViewerAndCloudFront {
        all_viewer_and_cloudfront: Vec<String>,
    },
}

/// `"none"`, `"all"`, `{ allow = [...] }` or `{ all_except = [...] }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ListBehaviorFile {
    Keyword(String),
    Allow { allow: Vec<String> },
    AllExcept { all_except: Vec<String> },
}

/// `[default_behavior]` and `[[behaviors]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviorFile {
    /// Required on `[[behaviors]]`, forbidden on `[default_behavior]`.
    pub path_pattern: Option<String>,
    pub target_origin: String,
    /// Name or ID of a custom or managed cache policy (default `CachingOptimized`).
    pub cache_policy: Option<String>,
    pub viewer_protocol_policy: Option<String>,
    pub allowed_methods: Option<Vec<String>>,
    pub cached_methods: Option<Vec<String>>,
    pub compress: Option<bool>,
    /// Name or ID of an origin request policy (custom or AWS managed).
    pub origin_request_policy: Option<String>,
    /// Name or ID of a response headers policy.
    pub response_headers_policy: Option<String>,
    pub function_associations: Option<FunctionAssociationsFile>,
    pub lambda_function_associations: Option<LambdaAssociationsFile>,
    /// Names of `[jwt_rules.<name>]` applied in order at viewer-request.
    #[serde(default)]
    pub jwt_rules: Vec<String>,
    /// Names of `[redirect_rules.<name>]` applied in order at viewer-request.
    #[serde(default)]
    pub redirect_rules: Vec<String>,
    #[serde(default)]
    pub trusted_key_groups: Vec<String>,
}

/// `function_associations = { viewer_request = "...", viewer_response = "..." }`
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionAssociationsFile {
    pub viewer_request: Option<String>,
    pub viewer_response: Option<String>,
}

/// `lambda_function_associations = { origin_request = { function = "...", include_body = true }, ... }`
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaAssociationsFile {
    pub viewer_request: Option<LambdaAssociationFile>,
    pub origin_request: Option<LambdaAssociationFile>,
    pub origin_response: Option<LambdaAssociationFile>,
    pub viewer_response: Option<LambdaAssociationFile>,
}

/// One Lambda@Edge association.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaAssociationFile {
    pub function: String,
    #[serde(default)]
    pub include_body: bool,
}

/// `[[custom_error_responses]]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomErrorResponseFile {
    pub error_code: u16,
    pub response_page_path: Option<String>,
    pub response_code: Option<u16>,
    pub error_caching_min_ttl: Option<u64>,
}

/// `[functions.<name>]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionFile {
    pub file: PathBuf,
    /// `cloudfront-js-2.0` (default) or `cloudfront-js-1.0`.
    pub runtime: Option<String>,
    pub key_value_store: Option<String>,
    /// Execution budget in microseconds (default 1000).
    pub budget_us: Option<u64>,
    /// Replay deterministic invocations (default true; see
    /// `cloudfront_functions::memo`).
    pub memoize: Option<bool>,
}

/// `[key_value_stores.<name>]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyValueStoreFile {
    pub file: PathBuf,
}

/// `[lambdas.<name>]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaFile {
    pub file: PathBuf,
    /// `"index.handler"` style; default `"index.handler"`.
    pub handler: Option<String>,
    /// `embedded` (default) or `nodejs`.
    pub runtime: Option<String>,
    /// Seconds; default 5 for viewer events and 30 for origin events.
    pub timeout: Option<u64>,
    /// Concurrent executions (default 1000).
    pub concurrency: Option<usize>,
    /// Warm workers (default 2): embedded threads kept ready (more start, up
    /// to `concurrency`, while invocations wait) or long-lived node processes.
    pub workers: Option<usize>,
}

/// `[jwt_rules.<name>]`: fields are owned and validated by `rules::jwt`.
pub type JwtRuleFile = toml::Table;
/// `[redirect_rules.<name>]`: fields are owned and validated by `rules::redirect`.
pub type RedirectTableFile = toml::Table;
/// `[key_groups.<name>]`: fields are owned and validated by `rules::signed_url`.
pub type KeyGroupFile = toml::Table;
/// `[response_headers_policies.<name>]`: owned by `response_headers_policy`.
pub type ResponseHeadersPolicyFile = toml::Table;
/// `[geo_restriction]`: owned by `rules::geo`.
pub type GeoRestrictionFile = toml::Table;
