//! Fetching from origins: custom (HTTP/HTTPS) origins through a pooled
//! hyper client, and local directories served like S3.

pub mod tls;

use std::time::Duration;

use http::{HeaderName, HeaderValue};

/// An origin change requested by an edge function for one request
/// (CloudFront Functions `updateRequestOrigin` / `selectRequestOriginById` /
/// `createRequestOriginGroup`, Lambda@Edge `request.origin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginOverride {
    /// Switch to an origin defined in the distribution.
    ById {
        origin_id: String,
        host_header: Option<String>,
    },
    /// Change settings of the assigned origin, or point at any HTTP endpoint;
    /// unset fields are inherited from the assigned origin.
    Custom(AdHocOrigin),
    /// An ad-hoc origin group (exactly two members, the first is the primary).
    Group {
        members: Box<[OriginOverride; 2]>,
        failover_status_codes: Vec<u16>,
    },
}

/// Origin settings given by a function; `None` inherits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdHocOrigin {
    pub domain_name: Option<String>,
    pub host_header: Option<String>,
    pub origin_path: Option<String>,
    /// `Some(vec![])` clears the configured custom headers.
    pub custom_headers: Option<Vec<(HeaderName, HeaderValue)>>,
    pub connection_attempts: Option<u32>,
    pub connection_timeout: Option<Duration>,
    pub read_timeout: Option<Duration>,
    pub keepalive_timeout: Option<Duration>,
    pub port: Option<u16>,
    /// `true` for https.
    pub https: Option<bool>,
}
