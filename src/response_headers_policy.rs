//! Response headers policies (spec §3.1): remove headers, then add CORS,
//! security and custom headers, each with its origin-override switch; answer
//! CORS preflights at the edge; add `Server-Timing` when sampled or asked for
//! with `Pragma: server-timing`. The five AWS managed policies are usable by
//! name or ID (spec §2.1).
//!
//! ```toml
//! [response_headers_policies.web]
//! cors = { allow_origins = ["https://app.example.com"], allow_methods = ["GET", "POST"],
//!          allow_headers = ["*"], expose_headers = ["x-request-id"], allow_credentials = false,
//!          max_age = 600, origin_override = true }
//! security_headers.strict_transport_security = { max_age = 31536000, include_subdomains = true, preload = false, override = true }
//! security_headers.content_security_policy = { value = "default-src 'self'", override = true }
//! security_headers.content_type_options = { override = true }
//! security_headers.frame_options = { value = "DENY", override = true }
//! security_headers.referrer_policy = { value = "same-origin", override = false }
//! security_headers.xss_protection = { protection = true, mode_block = true, override = true }
//! custom_headers = [{ name = "x-env", value = "staging", override = true }]
//! remove_headers = ["x-powered-by"]
//! server_timing = { enabled = true, sampling_rate = 10.0 }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::Deserialize;
use toml::Spanned;

use crate::config::ConfigError;
use crate::responses::GeneratedResponse;
use crate::viewer::ViewerRequest;

/// Custom policies by name; managed ones are resolved by name or ID.
#[derive(Debug)]
pub struct ResponseHeadersPolicySet {
    custom: HashMap<String, Arc<ResponseHeadersPolicy>>,
    managed: Vec<Arc<ResponseHeadersPolicy>>,
}

impl Default for ResponseHeadersPolicySet {
    fn default() -> Self {
        ResponseHeadersPolicySet {
            custom: HashMap::new(),
            managed: managed_policies().into_iter().map(Arc::new).collect(),
        }
    }
}

impl ResponseHeadersPolicySet {
    /// Resolve a policy name (custom or managed) or a managed policy ID.
    pub fn resolve(
        &self,
        name: &str,
        item: &str,
    ) -> Result<Arc<ResponseHeadersPolicy>, ConfigError> {
        if let Some(p) = self.custom.get(name) {
            return Ok(p.clone());
        }
        self.managed
            .iter()
            .find(|p| p.name == name || p.id.as_deref() == Some(name))
            .cloned()
            .ok_or_else(|| {
                ConfigError::new(
                    item,
                    format!(
                        "response headers policy \"{name}\" is neither in [response_headers_policies] nor a managed policy name or ID"
                    ),
                )
            })
    }

    /// The custom policies, sorted by name (for `cfedge validate`).
    pub fn custom(&self) -> impl Iterator<Item = &Arc<ResponseHeadersPolicy>> {
        let mut v: Vec<_> = self.custom.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.into_iter()
    }
}

/// A header the policy adds, and whether it replaces the origin's.
#[derive(Debug, Clone)]
struct Added {
    name: HeaderName,
    value: HeaderValue,
    override_origin: bool,
}

impl Added {
    fn apply(&self, headers: &mut HeaderMap) {
        if self.override_origin || !headers.contains_key(&self.name) {
            headers.insert(self.name.clone(), self.value.clone());
        }
    }
}

/// An allowed CORS origin.
#[derive(Debug, Clone)]
enum AllowedOrigin {
    Any,
    Exact(String),
    /// `https://*.example.org`: prefix before the `*`, suffix after it.
    Wildcard(String, String),
}

impl AllowedOrigin {
    fn matches(&self, origin: &str) -> bool {
        match self {
            AllowedOrigin::Any => true,
            AllowedOrigin::Exact(o) => o.eq_ignore_ascii_case(origin),
            AllowedOrigin::Wildcard(pre, suf) => {
                let o = origin.to_ascii_lowercase();
                o.len() > pre.len() + suf.len()
                    && o.starts_with(pre.as_str())
                    && o.ends_with(suf.as_str())
                    && !o[pre.len()..o.len() - suf.len()].contains('/')
            }
        }
    }
}

/// The CORS part of a policy.
#[derive(Debug, Clone)]
struct Cors {
    allow_origins: Vec<AllowedOrigin>,
    allow_credentials: bool,
    /// `None`: the policy does not answer preflights.
    allow_methods: Option<HeaderValue>,
    allow_headers: Option<HeaderValue>,
    expose_headers: Option<HeaderValue>,
    max_age: Option<u64>,
    origin_override: bool,
}

/// The cache outcome reported in `Server-Timing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTimingCache {
    Hit,
    Miss,
    Refresh,
    /// Generated at the edge (no cache involved).
    None,
}

/// What the pipeline knows for `Server-Timing` (spec §3.1).
#[derive(Debug, Clone, Copy)]
pub struct ServerTimingInfo<'a> {
    pub cache: ServerTimingCache,
    pub pop: &'a str,
    pub request_id: &'a str,
    /// Origin first-byte latency, on a miss or refresh.
    pub upstream_fbl_ms: Option<u64>,
    pub downstream_fbl_ms: u64,
}

/// One response headers policy.
#[derive(Debug)]
pub struct ResponseHeadersPolicy {
    pub name: String,
    /// The AWS ID of a managed policy.
    pub id: Option<String>,
    cors: Option<Cors>,
    /// Security headers then custom headers, in the order they are added.
    added: Vec<Added>,
    remove: Vec<HeaderName>,
    /// Sampling rate 0–100, when `Server-Timing` is enabled.
    server_timing: Option<f64>,
}

impl ResponseHeadersPolicy {
    /// A CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`) answered at the edge: 200, no body,
    /// the policy's headers. `None` when the policy defines no allowed
    /// methods or the origin is not allowed (the request then goes on).
    pub fn preflight(&self, req: &ViewerRequest) -> Option<GeneratedResponse> {
        let cors = self.cors.as_ref()?;
        cors.allow_methods.as_ref()?;
        if !is_preflight(req) {
            return None;
        }
        let origin = req.headers.get(http::header::ORIGIN)?.to_str().ok()?;
        if !cors.allow_origins.iter().any(|o| o.matches(origin)) {
            return None;
        }
        let mut headers = HeaderMap::new();
        self.apply(req, &mut headers);
        Some(GeneratedResponse::new(StatusCode::OK, headers, ""))
    }

    /// Apply the policy to a response to `req`: remove, then add (spec §3.1).
    pub fn apply(&self, req: &ViewerRequest, headers: &mut HeaderMap) {
        for h in &self.remove {
            headers.remove(h);
        }
        // Removing Server or Date makes CloudFront add its own (spec §3.1).
        if self.remove.contains(&http::header::SERVER) {
            headers.insert(http::header::SERVER, HeaderValue::from_static("CloudFront"));
        }
        if self.remove.contains(&http::header::DATE) {
            if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())) {
                headers.insert(http::header::DATE, v);
            }
        }
        if let Some(cors) = &self.cors {
            apply_cors(cors, req, headers);
        }
        for a in &self.added {
            a.apply(headers);
        }
    }

    /// Add `Server-Timing` when enabled and the response is sampled or the
    /// request carries `Pragma: server-timing` (spec §3.1). An origin's own
    /// `Server-Timing` (already in `headers` on a miss) is kept after
    /// CloudFront's metrics.
    pub fn add_server_timing(
        &self,
        req: &ViewerRequest,
        headers: &mut HeaderMap,
        info: &ServerTimingInfo<'_>,
    ) {
        let Some(rate) = self.server_timing else {
            return;
        };
        let asked = req
            .headers
            .get_all(http::header::PRAGMA)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case("server-timing"));
        if !(asked || rate >= 100.0 || rand::random::<f64>() * 100.0 < rate) {
            return;
        }
        let mut metrics = Vec::new();
        match info.cache {
            ServerTimingCache::Hit => {
                metrics.push("cdn-cache-hit".to_owned());
            }
            ServerTimingCache::Miss | ServerTimingCache::Refresh => {
                metrics.push("cdn-upstream-layer;desc=\"EDGE\"".to_owned());
                if let Some(fbl) = info.upstream_fbl_ms {
                    metrics.push(format!("cdn-upstream-fbl;dur={fbl}"));
                }
                metrics.push(if info.cache == ServerTimingCache::Miss {
                    "cdn-cache-miss".to_owned()
                } else {
                    "cdn-cache-refresh".to_owned()
                });
            }
            ServerTimingCache::None => {}
        }
        metrics.push(format!("cdn-pop;desc=\"{}\"", info.pop));
        metrics.push(format!("cdn-rid;desc=\"{}\"", info.request_id));
        if info.cache == ServerTimingCache::Hit {
            metrics.push("cdn-hit-layer;desc=\"EDGE\"".to_owned());
        }
        metrics.push(format!("cdn-downstream-fbl;dur={}", info.downstream_fbl_ms));
        let origin = match info.cache {
            ServerTimingCache::Hit => None,
            _ => headers
                .get(SERVER_TIMING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        let mut value = metrics.join(",");
        if let Some(o) = origin.filter(|o| !o.is_empty()) {
            value = format!("{value},{o}");
        }
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(SERVER_TIMING, v);
        }
    }

    /// One line for `cfedge validate`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.cors {
            parts.push(if c.allow_methods.is_some() {
                "CORS with preflight".to_owned()
            } else {
                "CORS".to_owned()
            });
        }
        if !self.added.is_empty() {
            let names: Vec<&str> = self.added.iter().map(|a| a.name.as_str()).collect();
            parts.push(format!("adds {}", names.join(", ")));
        }
        if !self.remove.is_empty() {
            let names: Vec<&str> = self.remove.iter().map(HeaderName::as_str).collect();
            parts.push(format!("removes {}", names.join(", ")));
        }
        if let Some(r) = self.server_timing {
            parts.push(format!("Server-Timing at {r}%"));
        }
        format!(
            "response headers policy {}{}: {}",
            self.name,
            self.id
                .as_ref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default(),
            if parts.is_empty() {
                "nothing".to_owned()
            } else {
                parts.join("; ")
            }
        )
    }
}

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

fn is_preflight(req: &ViewerRequest) -> bool {
    req.method == Method::OPTIONS
        && req.headers.contains_key(http::header::ORIGIN)
        && req
            .headers
            .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn apply_cors(cors: &Cors, req: &ViewerRequest, headers: &mut HeaderMap) {
    // CORS headers go only on responses to CORS requests (with an allowed Origin).
    let Some(origin) = req
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let Some(allowed) = cors.allow_origins.iter().find(|o| o.matches(origin)) else {
        return;
    };
    let allow_origin = match allowed {
        AllowedOrigin::Any if !cors.allow_credentials => HeaderValue::from_static("*"),
        _ => match HeaderValue::from_str(origin) {
            Ok(v) => v,
            Err(_) => return,
        },
    };
    let set = |headers: &mut HeaderMap, name: HeaderName, value: HeaderValue| {
        if cors.origin_override || !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    };
    set(
        headers,
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        allow_origin,
    );
    if cors.allow_credentials {
        set(
            headers,
            http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    if is_preflight(req) && cors.allow_methods.is_some() {
        if let Some(m) = &cors.allow_methods {
            set(
                headers,
                http::header::ACCESS_CONTROL_ALLOW_METHODS,
                m.clone(),
            );
        }
        if let Some(h) = &cors.allow_headers {
            set(
                headers,
                http::header::ACCESS_CONTROL_ALLOW_HEADERS,
                h.clone(),
            );
        }
        if let Some(age) = cors.max_age {
            set(
                headers,
                http::header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(age),
            );
        }
    } else if let Some(e) = &cors.expose_headers {
        set(
            headers,
            http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
            e.clone(),
        );
    }
}

// ---- configuration ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyToml {
    comment: Option<String>,
    cors: Option<CorsToml>,
    #[serde(default)]
    security_headers: SecurityToml,
    #[serde(default)]
    custom_headers: Vec<CustomHeaderToml>,
    #[serde(default)]
    remove_headers: Vec<String>,
    server_timing: Option<ServerTimingToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorsToml {
    allow_origins: Vec<String>,
    #[serde(default)]
    allow_methods: Vec<String>,
    #[serde(default)]
    allow_headers: Vec<String>,
    #[serde(default)]
    expose_headers: Vec<String>,
    #[serde(default)]
    allow_credentials: bool,
    max_age: Option<u64>,
    #[serde(default)]
    origin_override: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecurityToml {
    strict_transport_security: Option<HstsToml>,
    content_security_policy: Option<ValueToml>,
    content_type_options: Option<OverrideToml>,
    frame_options: Option<ValueToml>,
    referrer_policy: Option<ValueToml>,
    xss_protection: Option<XssToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HstsToml {
    max_age: u64,
    #[serde(default)]
    include_subdomains: bool,
    #[serde(default)]
    preload: bool,
    #[serde(default, rename = "override")]
    override_origin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueToml {
    value: String,
    #[serde(default, rename = "override")]
    override_origin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideToml {
    #[serde(default, rename = "override")]
    override_origin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct XssToml {
    protection: bool,
    #[serde(default)]
    mode_block: bool,
    report_uri: Option<String>,
    #[serde(default, rename = "override")]
    override_origin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomHeaderToml {
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default, rename = "override")]
    override_origin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerTimingToml {
    enabled: bool,
    #[serde(default)]
    sampling_rate: f64,
}

/// Headers a policy cannot remove (spec §3.1); `*` ends a prefix.
const UNREMOVABLE: &[&str] = &[
    "connection",
    "content-encoding",
    "content-length",
    "expect",
    "host",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "warning",
    "x-accel-buffering",
    "x-accel-charset",
    "x-accel-limit-rate",
    "x-accel-redirect",
    "x-amz-cf-*",
    "x-amzn-auth",
    "x-amzn-cf-billing",
    "x-amzn-cf-id",
    "x-amzn-cf-xff",
    "x-amzn-errortype",
    "x-amzn-fle-profile",
    "x-amzn-header-count",
    "x-amzn-header-order",
    "x-amzn-lambda-integration-tag",
    "x-amzn-requestid",
    "x-cache",
    "x-edge-*",
    "x-forwarded-proto",
    "x-real-ip",
];

const REFERRER_POLICIES: &[&str] = &[
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

const ALL_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

/// Build `[response_headers_policies.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
) -> Result<ResponseHeadersPolicySet, ConfigError> {
    let mut set = ResponseHeadersPolicySet::default();
    let managed_names: Vec<String> = set.managed.iter().map(|p| p.name.clone()).collect();
    set.custom = crate::rules::build_named(
        file,
        "response_headers_policies",
        |name, raw: PolicyToml| {
            if managed_names.iter().any(|m| m == name) {
                return Err(format!(
                    "\"{name}\" is the name of a managed policy: choose another name"
                ));
            }
            build_policy(name, raw)
        },
    )?;
    Ok(set)
}

fn header_value(what: &str, v: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(v).map_err(|_| format!("{what}: \"{v}\" is not a valid header value"))
}

fn list_value(what: &str, items: &[String]) -> Result<Option<HeaderValue>, String> {
    if items.is_empty() {
        return Ok(None);
    }
    header_value(what, &items.join(", ")).map(Some)
}

fn build_policy(name: &str, raw: PolicyToml) -> Result<ResponseHeadersPolicy, String> {
    let _ = raw.comment;
    let cors = raw.cors.map(build_cors).transpose()?;
    let mut added = Vec::new();
    let s = raw.security_headers;
    if let Some(h) = s.strict_transport_security {
        let mut v = format!("max-age={}", h.max_age);
        if h.include_subdomains {
            v.push_str("; includeSubDomains");
        }
        if h.preload {
            v.push_str("; preload");
        }
        added.push(added_header(
            http::header::STRICT_TRANSPORT_SECURITY,
            header_value("strict_transport_security", &v)?,
            h.override_origin,
        ));
    }
    if let Some(c) = s.content_security_policy {
        if c.value.len() > 1783 {
            return Err(
                "content_security_policy is longer than CloudFront's 1783 characters".into(),
            );
        }
        added.push(added_header(
            http::header::CONTENT_SECURITY_POLICY,
            header_value("content_security_policy", &c.value)?,
            c.override_origin,
        ));
    }
    if let Some(c) = s.content_type_options {
        added.push(added_header(
            http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
            c.override_origin,
        ));
    }
    if let Some(f) = s.frame_options {
        let v = f.value.to_ascii_uppercase();
        if v != "DENY" && v != "SAMEORIGIN" {
            return Err(format!(
                "frame_options \"{}\" is not DENY or SAMEORIGIN",
                f.value
            ));
        }
        added.push(added_header(
            http::header::X_FRAME_OPTIONS,
            header_value("frame_options", &v)?,
            f.override_origin,
        ));
    }
    if let Some(r) = s.referrer_policy {
        if !REFERRER_POLICIES.contains(&r.value.as_str()) {
            return Err(format!(
                "referrer_policy \"{}\" is not one of {}",
                r.value,
                REFERRER_POLICIES.join(", ")
            ));
        }
        added.push(added_header(
            http::header::REFERRER_POLICY,
            header_value("referrer_policy", &r.value)?,
            r.override_origin,
        ));
    }
    if let Some(x) = s.xss_protection {
        let v = match (x.protection, x.mode_block, &x.report_uri) {
            (_, true, Some(_)) => {
                return Err("xss_protection: mode_block and report_uri cannot both be set".into())
            }
            (false, false, None) => "0".to_owned(),
            (false, _, _) => {
                return Err(
                    "xss_protection: mode_block and report_uri need protection = true".into(),
                )
            }
            (true, true, None) => "1; mode=block".to_owned(),
            (true, false, Some(u)) => format!("1; report={u}"),
            (true, false, None) => "1".to_owned(),
        };
        added.push(added_header(
            HeaderName::from_static("x-xss-protection"),
            header_value("xss_protection", &v)?,
            x.override_origin,
        ));
    }
    for (i, c) in raw.custom_headers.into_iter().enumerate() {
        let n = HeaderName::from_bytes(c.name.as_bytes())
            .map_err(|_| format!("custom_headers[{i}]: \"{}\" is not a header name", c.name))?;
        if added.iter().any(|a| a.name == n) {
            return Err(format!(
                "custom_headers[{i}]: {} is already added by this policy",
                c.name
            ));
        }
        added.push(added_header(
            n,
            header_value(&format!("custom_headers[{i}]"), &c.value)?,
            c.override_origin,
        ));
    }
    let mut remove = Vec::new();
    for r in raw.remove_headers {
        let lower = r.to_ascii_lowercase();
        let forbidden = UNREMOVABLE.iter().any(|u| match u.strip_suffix('*') {
            Some(prefix) => lower.starts_with(prefix),
            None => lower == *u,
        });
        if forbidden {
            return Err(format!(
                "remove_headers: {r} cannot be removed by a response headers policy (CloudFront rejects it)"
            ));
        }
        remove.push(
            HeaderName::from_bytes(lower.as_bytes())
                .map_err(|_| format!("remove_headers: \"{r}\" is not a header name"))?,
        );
    }
    let server_timing = match raw.server_timing {
        Some(t) if t.enabled => {
            if !(0.0..=100.0).contains(&t.sampling_rate) {
                return Err(format!(
                    "server_timing.sampling_rate {} is not between 0 and 100",
                    t.sampling_rate
                ));
            }
            Some(t.sampling_rate)
        }
        _ => None,
    };
    Ok(ResponseHeadersPolicy {
        name: name.to_owned(),
        id: None,
        cors,
        added,
        remove,
        server_timing,
    })
}

fn added_header(name: HeaderName, value: HeaderValue, override_origin: bool) -> Added {
    Added {
        name,
        value,
        override_origin,
    }
}

fn build_cors(raw: CorsToml) -> Result<Cors, String> {
    if raw.allow_origins.is_empty() {
        return Err("cors.allow_origins is empty".into());
    }
    let allow_origins = raw
        .allow_origins
        .iter()
        .map(|o| parse_origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    let methods = if raw.allow_methods.iter().any(|m| m == "ALL") {
        vec![ALL_METHODS.to_owned()]
    } else {
        for m in &raw.allow_methods {
            if !["GET", "DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"].contains(&m.as_str()) {
                return Err(format!(
                    "cors.allow_methods: \"{m}\" is not GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT or ALL"
                ));
            }
        }
        raw.allow_methods
    };
    Ok(Cors {
        allow_origins,
        allow_credentials: raw.allow_credentials,
        allow_methods: list_value("cors.allow_methods", &methods)?,
        allow_headers: list_value("cors.allow_headers", &raw.allow_headers)?,
        expose_headers: list_value("cors.expose_headers", &raw.expose_headers)?,
        max_age: raw.max_age,
        origin_override: raw.origin_override,
    })
}

/// `*`, an origin, or `scheme://*.domain` (the wildcard only leftmost in the domain).
fn parse_origin(o: &str) -> Result<AllowedOrigin, String> {
    if o == "*" {
        return Ok(AllowedOrigin::Any);
    }
    let lower = o.to_ascii_lowercase();
    match lower.find('*') {
        None => Ok(AllowedOrigin::Exact(lower)),
        Some(i) => {
            let (pre, suf) = (&lower[..i], &lower[i + 1..]);
            let leftmost = pre.is_empty() || pre.ends_with("://");
            if !leftmost
                || !suf.starts_with('.')
                || suf.contains('*')
                || suf[1..].split('.').count() < 2
            {
                return Err(format!(
                    "cors.allow_origins: \"{o}\": the wildcard is allowed only as the leftmost part of the domain (*.example.org)"
                ));
            }
            Ok(AllowedOrigin::Wildcard(pre.to_owned(), suf.to_owned()))
        }
    }
}

/// The AWS managed response headers policies (spec §2.1,
/// DG2023:using-managed-response-headers-policies.md).
fn managed_policies() -> Vec<ResponseHeadersPolicy> {
    let simple_cors = Cors {
        allow_origins: vec![AllowedOrigin::Any],
        allow_credentials: false,
        allow_methods: None,
        allow_headers: None,
        expose_headers: None,
        max_age: None,
        origin_override: false,
    };
    let preflight_cors = Cors {
        allow_methods: Some(HeaderValue::from_static(ALL_METHODS)),
        allow_headers: Some(HeaderValue::from_static("*")),
        expose_headers: Some(HeaderValue::from_static("*")),
        ..simple_cors.clone()
    };
    let security = vec![
        added_header(
            http::header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
            false,
        ),
        added_header(
            http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
            false,
        ),
        added_header(
            http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
            true,
        ),
        added_header(
            http::header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
            false,
        ),
        added_header(
            HeaderName::from_static("x-xss-protection"),
            HeaderValue::from_static("1; mode=block"),
            false,
        ),
    ];
    let p = |name: &str, id: &str, cors: Option<&Cors>, added: &[Added]| ResponseHeadersPolicy {
        name: name.to_owned(),
        id: Some(id.to_owned()),
        cors: cors.cloned(),
        added: added.to_vec(),
        remove: Vec::new(),
        server_timing: None,
    };
    vec![
        p(
            "SimpleCORS",
            "60669652-455b-4ae9-85a4-c4c02393f86c",
            Some(&simple_cors),
            &[],
        ),
        p(
            "SecurityHeadersPolicy",
            "67f7725c-6f97-4210-82d7-5512b31e9d03",
            None,
            &security,
        ),
        p(
            "CORS-With-Preflight",
            "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
            Some(&preflight_cors),
            &[],
        ),
        p(
            "CORS-and-SecurityHeadersPolicy",
            "e61eb60c-9c35-4d20-a928-2b84e02af89c",
            Some(&simple_cors),
            &security,
        ),
        p(
            "CORS-with-preflight-and-SecurityHeadersPolicy",
            "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
            Some(&preflight_cors),
            &security,
        ),
    ]
}
