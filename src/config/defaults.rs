//! Every default, typed, with its unit and CloudFront source (architecture habit 6).

use std::time::Duration;

/// Viewer listener when `[server] listen` is unset.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Viewer TLS listener when `[server.tls] listen` is unset.
pub const DEFAULT_TLS_LISTEN: &str = "127.0.0.1:8443";
/// Time a viewer may take to send its request head (10 s; cfedge's choice).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle keep-alive time for viewer connections (60 s; cfedge's choice).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Time in-flight requests get to finish on SIGINT/SIGTERM (30 s).
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Directory for generated state such as self-signed certificates.
pub const DEFAULT_STATE_DIR: &str = ".cfedge";

/// Distribution ID when unset.
pub const DEFAULT_DISTRIBUTION_ID: &str = "ELOCALCFEDGE1";
/// Distribution domain name when unset.
pub const DEFAULT_DOMAIN_NAME: &str = "d111111abcdef8.cloudfront.net";
/// `X-Amz-Cf-Pop` when unset (spec §3.1 shape `<IATA+digits>-<suffix>`).
pub const DEFAULT_POP: &str = "LOCAL50-C1";

/// Cache capacity (256 MB; cfedge's choice).
pub const DEFAULT_CACHE_MAX_SIZE_MB: u64 = 256;
/// Largest object stored (16 MB; CloudFront's own limit is 50 GB, spec §1.7).
pub const DEFAULT_MAX_OBJECT_SIZE_MB: u64 = 16;

/// Connection attempts per origin (3; range 1–3, spec §1.2).
pub const DEFAULT_CONNECTION_ATTEMPTS: u32 = 3;
/// Connection timeout (10 s; range 1–10 s, spec §1.2).
pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// Origin read (response) timeout (30 s; range 1–120 s, spec §1.2).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Origin keep-alive timeout (5 s; range 1–120 s, spec §1.2).
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default origin ports (spec §1.2).
pub const DEFAULT_HTTP_PORT: u16 = 80;
/// Default origin HTTPS port (spec §1.2).
pub const DEFAULT_HTTPS_PORT: u16 = 443;

/// Cache policy used when a behaviour names none.
pub const DEFAULT_CACHE_POLICY: &str = "CachingOptimized";
/// `DefaultTTL` when a custom policy omits it (86400 s; spec §2.1).
pub const DEFAULT_TTL: u64 = 86_400;
/// `MaxTTL` when a custom policy omits it (31536000 s; spec §2.1).
pub const DEFAULT_MAX_TTL: u64 = 31_536_000;
/// `ErrorCachingMinTTL` (10 s; spec §1.5).
pub const DEFAULT_ERROR_CACHING_MIN_TTL: Duration = Duration::from_secs(10);

/// Quotas (spec §1.7, §2.1, DG:cloudfront-limits).
pub const MAX_BEHAVIORS: usize = 75;
/// Origins per distribution.
pub const MAX_ORIGINS: usize = 100;
/// Origin groups per distribution.
pub const MAX_ORIGIN_GROUPS: usize = 10;
/// Custom headers per origin.
pub const MAX_ORIGIN_CUSTOM_HEADERS: usize = 30;
/// Headers, cookies or query strings named in one cache policy.
pub const MAX_POLICY_NAMES: usize = 10;
/// Longest URL (path and query) CloudFront accepts: longer gets 414 (spec §1.7).
pub const MAX_URL_BYTES: usize = 8_192;
/// Largest request head (URL and headers): larger gets 494 (spec §1.7).
pub const MAX_REQUEST_HEAD_BYTES: usize = 32_768;
