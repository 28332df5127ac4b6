//! Configuration: `cfedge.toml` → [`file::FileConfig`] (serde mirror) →
//! [`Config`] (validated, immutable, shared behind an `Arc`).
//!
//! The split follows "parse, don't validate" (architecture habit 5): nothing
//! downstream ever sees a raw value. Every error names the item and, where
//! the TOML parser gives a span, the file line.

pub mod build;
pub mod defaults;
pub mod file;
pub mod managed;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::Method;

use crate::behavior::PathPattern;

/// A configuration error: which item, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the error is in (the main config or a file it references).
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The offending item, e.g. `behaviors[2] ("/api/*")` or `origins.app`.
    pub item: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl ConfigError {
    /// An error about `item`, without a location yet.
    pub fn new(item: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            file: None,
            line: None,
            column: None,
            item: item.into(),
            message: message.into(),
        }
    }

    /// Attach a file line (1-based).
    #[must_use]
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// Attach a file, unless one is already set (errors from referenced files keep theirs).
    #[must_use]
    pub fn in_file(mut self, file: &Path) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_path_buf());
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(col) = self.column {
                    write!(f, ":{col}")?;
                }
            }
            write!(f, ": ")?;
        } else if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if self.item.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.item, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// The validated distribution: everything the edge needs, built once.
#[derive(Debug)]
pub struct Config {
    /// Where the config was loaded from (relative paths in it resolve against its directory).
    pub source: Option<PathBuf>,
    pub server: ServerConfig,
    pub distribution: Distribution,
    pub cache: CacheConfig,
    /// Origins by index; `OriginId` indexes this.
    pub origins: Vec<Arc<Origin>>,
    /// Origin groups by index.
    pub origin_groups: Vec<OriginGroup>,
    /// Ordered `[[behaviors]]`, in match order.
    pub behaviors: Vec<Arc<Behavior>>,
    /// `[default_behavior]` (pattern `*`, matched last).
    pub default_behavior: Arc<Behavior>,
    /// Custom error responses keyed by error code.
    pub custom_error_responses: HashMap<u16, CustomErrorResponse>,
    /// Edge features built by their own modules.
    pub features: crate::features::Features,
}

impl Config {
    /// Load and validate a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new("", format!("cannot read config: {e}")).in_file(path))?;
        build::build(&text, Some(path)).map_err(|e| e.in_file(path))
    }

    /// Parse and validate config text; relative paths resolve against the current directory.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        build::build(text, None)
    }

    /// The directory relative paths in the config resolve against.
    pub fn base_dir(&self) -> PathBuf {
        base_dir_of(self.source.as_deref())
    }

    /// The behaviour a request path selects (first match, default last).
    pub fn select_behavior(&self, path: &str) -> &Arc<Behavior> {
        crate::behavior::select(&self.behaviors, &self.default_behavior, path)
    }
}

/// The directory a config file's relative paths resolve against.
pub(crate) fn base_dir_of(source: Option<&Path>) -> PathBuf {
    match source.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `[server]`, validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub drain_timeout: Duration,
    pub workers: Option<usize>,
    pub tls: Option<TlsConfig>,
    pub state_dir: PathBuf,
}

/// `[server.tls]`, validated (certificates are loaded by `server::tls`).
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub listen: SocketAddr,
    /// Certificate/key pairs; empty means "generate a self-signed one".
    pub certificates: Vec<(PathBuf, PathBuf)>,
}

/// `[distribution]`, validated.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub id: String,
    pub domain_name: String,
    pub aliases: Vec<String>,
    /// Without a leading `/`.
    pub default_root_object: Option<String>,
    pub pop: String,
    /// `Via` value: `1.1 <hash>.cloudfront.net (CloudFront)`.
    pub via: String,
    pub allow_oversized_functions: bool,
}

/// `[cache]`, validated.
#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    pub max_size_bytes: u64,
    pub max_object_size_bytes: u64,
}

/// Index into [`Config::origins`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OriginId(pub usize);

/// An origin.
#[derive(Debug)]
pub struct Origin {
    pub id: String,
    pub kind: OriginKind,
    /// Starts with `/`, no trailing `/`; empty when unset.
    pub origin_path: String,
    pub connection_attempts: u32,
    pub connection_timeout: Duration,
    pub read_timeout: Duration,
    pub keepalive_timeout: Duration,
    pub response_completion_timeout: Option<Duration>,
    /// Header name → value, overwriting viewer headers of the same name.
    pub custom_headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

/// What kind of origin, and where it is.
#[derive(Debug, Clone)]
pub enum OriginKind {
    /// A custom (HTTP) origin.
    Custom(CustomOrigin),
    /// A local directory served like an S3 bucket.
    Dir(PathBuf),
}

/// A custom origin's address and protocol settings.
#[derive(Debug, Clone)]
pub struct CustomOrigin {
    /// Host name or IP literal, as written (the `Host` CloudFront sends).
    pub domain_name: String,
    pub protocol_policy: OriginProtocolPolicy,
    pub http_port: u16,
    pub https_port: u16,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

/// `origin_protocol_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginProtocolPolicy {
    HttpOnly,
    HttpsOnly,
    MatchViewer,
}

/// An origin group: primary, secondary and the statuses that fail over.
#[derive(Debug, Clone)]
pub struct OriginGroup {
    pub id: String,
    pub primary: OriginId,
    pub secondary: OriginId,
    pub failover_status_codes: Vec<u16>,
}

/// Where a behaviour sends its misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Origin(OriginId),
    /// Index into [`Config::origin_groups`].
    Group(usize),
}

/// `viewer_protocol_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerProtocolPolicy {
    AllowAll,
    RedirectToHttps,
    HttpsOnly,
}

/// A cache behaviour, validated.
#[derive(Debug)]
pub struct Behavior {
    /// Index in match order (the default behaviour has the last index).
    pub index: usize,
    /// `None` for the default behaviour (`*`).
    pub path_pattern: Option<PathPattern>,
    pub target: Target,
    pub cache_policy: Arc<CachePolicy>,
    pub origin_request_policy: Option<Arc<crate::origin_request_policy::OriginRequestPolicy>>,
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    pub allowed_methods: Vec<Method>,
    pub cached_methods: Vec<Method>,
    pub compress: bool,
    /// Per-behaviour edge features (functions, rules, policies).
    pub features: crate::features::BehaviorFeatures,
}

impl Behavior {
    /// The pattern as written, `*` for the default behaviour.
    pub fn pattern_str(&self) -> &str {
        self.path_pattern.as_ref().map_or("*", PathPattern::as_str)
    }

    /// Whether viewer cookies reach the origin: through the cache policy
    /// (in the cache key) or the origin request policy (spec §3.1, §2.6).
    pub fn forwards_cookies(&self) -> bool {
        self.cache_policy.cookies != ListBehavior::None
            || self
                .origin_request_policy
                .as_ref()
                .is_some_and(|o| o.cookies != ListBehavior::None)
    }
}

/// Which members of a list (query strings, cookies) a cache policy selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListBehavior {
    None,
    All,
    Allow(Vec<String>),
    AllExcept(Vec<String>),
}

impl ListBehavior {
    /// Whether `name` is selected (names are case-sensitive, as CloudFront).
    pub fn includes(&self, name: &str) -> bool {
        match self {
            ListBehavior::None => false,
            ListBehavior::All => true,
            ListBehavior::Allow(names) => names.iter().any(|n| n == name),
            ListBehavior::AllExcept(names) => !names.iter().any(|n| n == name),
        }
    }
}

/// A cache policy (spec §2.1).
#[derive(Debug, Clone)]
pub struct CachePolicy {
    pub name: String,
    pub id: Option<String>,
    pub min_ttl: u64,
    pub default_ttl: u64,
    pub max_ttl: u64,
    pub query_strings: ListBehavior,
    /// Lowercase header names in the cache key.
    pub headers: Vec<http::HeaderName>,
    pub cookies: ListBehavior,
    pub accept_encoding_gzip: bool,
    pub accept_encoding_brotli: bool,
}

impl CachePolicy {
    /// `CachingDisabled` and any policy with all TTLs at 0 never store anything.
    pub fn caching_disabled(&self) -> bool {
        self.max_ttl == 0
    }
}

/// `[[custom_error_responses]]`, validated.
#[derive(Debug, Clone)]
pub struct CustomErrorResponse {
    pub error_code: u16,
    pub response_page_path: Option<String>,
    pub response_code: Option<u16>,
    pub error_caching_min_ttl: Duration,
}
