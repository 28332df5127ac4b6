//! Header rewriting CloudFront does toward the origin (spec §3.2) and toward
//! the viewer (spec §3.1). Pure functions over `HeaderMap`.

use std::net::IpAddr;

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Method};

use crate::cache::key::{filter_cookies, AcceptEncoding};
use crate::config::{Behavior, CachePolicy, ListBehavior};

/// Viewer headers CloudFront passes to the origin under a cache policy
/// without being asked (spec §3.2 "Passed through").
static PASSED_THROUGH: [HeaderName; 11] = [
    header::CACHE_CONTROL,
    header::CONTENT_LENGTH,
    HeaderName::from_static("content-md5"),
    header::CONTENT_TYPE,
    header::DATE,
    header::FROM,
    header::MAX_FORWARDS,
    header::ORIGIN,
    header::PRAGMA,
    header::TRANSFER_ENCODING,
    header::WARNING,
];

/// Conditional and range headers: passed through for uncached requests; for
/// cache fills CloudFront fetches the whole object and revalidates with its
/// own validators, so the viewer's are not forwarded.
static CONDITIONAL: [HeaderName; 7] = [
    header::IF_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_NONE_MATCH,
    header::IF_RANGE,
    header::IF_UNMODIFIED_SINCE,
    header::RANGE,
    HeaderName::from_static("request-range"),
];

/// Everything needed to build the origin request head.
#[derive(Debug)]
pub struct OriginHeadersInput<'a> {
    pub viewer_headers: &'a HeaderMap,
    pub method: &'a Method,
    pub behavior: &'a Behavior,
    pub client_ip: IpAddr,
    /// The `Host` the origin gets when the policy does not forward the viewer's.
    pub origin_host: &'a str,
    pub accept_encoding: AcceptEncoding,
    /// Whether this is a cache fill (conditional and range headers are dropped).
    pub cacheable: bool,
    pub via: &'a str,
    pub request_id: &'a str,
    /// Extra CloudFront-* headers the edge computed (e.g. `CloudFront-Forwarded-Proto`),
    /// forwarded when the cache policy lists them.
    pub cloudfront_headers: &'a [(HeaderName, HeaderValue)],
    pub custom_headers: &'a [(HeaderName, HeaderValue)],
}

/// Headers that can't be origin custom headers (spec §1.2).
const FORBIDDEN_CUSTOM_HEADERS: &[&str] = &[
    "cache-control",
    "connection",
    "content-length",
    "cookie",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "pragma",
    "proxy-authorization",
    "proxy-connection",
    "range",
    "request-range",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-real-ip",
];

/// Whether `lower` (a lowercase name) can't be an origin custom header, in
/// the origin's settings or from a function's `updateRequestOrigin` (spec §1.2).
pub fn is_forbidden_custom_header(lower: &str) -> bool {
    FORBIDDEN_CUSTOM_HEADERS.contains(&lower)
        || lower.starts_with("x-amz-")
        || lower.starts_with("x-edge-")
}

/// Most header lines an edge function's result may carry (values of all
/// names together, `Set-Cookie` included); more is a 502 validation error.
/// CloudFront's 32 KB request limit (spec §2) holds a few thousand header
/// lines at most; its answer to a result past it is unpublished. The bound
/// also keeps results inside what an `http::HeaderMap` can hold (32,768).
pub const MAX_FUNCTION_HEADER_LINES: usize = 8_192;

/// Headers CloudFront hides from every edge function (CloudFront Functions and
/// Lambda@Edge) and refuses from them with a 502 (spec §3.3 "Disallowed").
pub fn is_disallowed_for_functions(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
        "upgrade",
        "x-accel-buffering",
        "x-accel-charset",
        "x-accel-limit-rate",
        "x-accel-redirect",
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
        "x-forwarded-proto",
        "x-real-ip",
        "cloudfront-viewer-cert-pem",
        "client-cert",
        "client-cert-chain",
    ];
    EXACT.contains(&name) || name.starts_with("x-amz-cf-") || name.starts_with("x-edge-")
}

/// Viewer headers never forwarded, whatever a policy says: hop-by-hop
/// headers, ones the edge rewrites itself, and CloudFront's internal ones.
fn never_forwarded(n: &HeaderName) -> bool {
    let s = n.as_str();
    matches!(
        s,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authorization"
            | "proxy-authenticate"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "expect"
            | "via"
            | "x-forwarded-for"
            | "x-forwarded-proto"
            | "x-real-ip"
            | "content-length"
            | "accept-encoding"
            | "cookie"
    ) || s.starts_with("x-edge-")
        || s.starts_with("x-amz-cf-")
}

/// Build the headers sent to the origin (spec §3.2): what the cache policy
/// keys on, what the origin request policy adds, and the passed-through set.
pub fn origin_request_headers(i: &OriginHeadersInput<'_>) -> HeaderMap {
    let policy: &CachePolicy = &i.behavior.cache_policy;
    let orp = i.behavior.origin_request_policy.as_deref();
    let mut out = HeaderMap::with_capacity(16);
    let in_policy = |n: &HeaderName| {
        policy.headers.iter().any(|h| h == n)
            || orp.is_some_and(|o| o.headers.includes(n) || o.headers.includes_cloudfront(n))
    };
    if let Some(o) = orp {
        for (n, v) in i.viewer_headers {
            if o.headers.includes(n)
                && !never_forwarded(n)
                && !n.as_str().starts_with("cloudfront-")
            {
                out.append(n.clone(), v.clone());
            }
        }
    }

    for n in &PASSED_THROUGH {
        for v in i.viewer_headers.get_all(n) {
            out.append(n.clone(), v.clone());
        }
    }
    if !i.cacheable {
        for n in &CONDITIONAL {
            for v in i.viewer_headers.get_all(n) {
                out.append(n.clone(), v.clone());
            }
        }
    }
    for n in &policy.headers {
        if n.as_str().starts_with("cloudfront-") || out.contains_key(n) {
            continue;
        }
        for v in i.viewer_headers.get_all(n) {
            out.append(n.clone(), v.clone());
        }
    }
    for (n, v) in i.cloudfront_headers {
        if in_policy(n) {
            out.insert(n.clone(), v.clone());
        }
    }
    // Host: the origin's, unless a policy forwards the viewer's.
    if !in_policy(&header::HOST) || !i.viewer_headers.contains_key(header::HOST) {
        if let Ok(v) = HeaderValue::from_str(i.origin_host) {
            out.insert(header::HOST, v);
        }
    }
    if !in_policy(&header::USER_AGENT) || !i.viewer_headers.contains_key(header::USER_AGENT) {
        out.insert(
            header::USER_AGENT,
            HeaderValue::from_static("Amazon CloudFront"),
        );
    }
    // Authorization: dropped for GET/HEAD (and cached OPTIONS) unless in the key.
    let drop_auth = (*i.method == Method::GET
        || *i.method == Method::HEAD
        || (*i.method == Method::OPTIONS && i.behavior.cached_methods.contains(&Method::OPTIONS)))
        && !in_policy(&header::AUTHORIZATION);
    if drop_auth {
        out.remove(header::AUTHORIZATION);
    } else if !out.contains_key(header::AUTHORIZATION) {
        for v in i.viewer_headers.get_all(header::AUTHORIZATION) {
            out.append(header::AUTHORIZATION, v.clone());
        }
    }
    let orp_cookies = orp.map_or(&ListBehavior::None, |o| &o.cookies);
    if policy.cookies != ListBehavior::None || *orp_cookies != ListBehavior::None {
        let c = filter_cookies(i.viewer_headers, |n| {
            policy.cookies.includes(n) || orp_cookies.includes(n)
        });
        if let Some(v) = c.and_then(|c| HeaderValue::from_str(&c).ok()) {
            out.insert(header::COOKIE, v);
        }
    }
    out.remove(header::ACCEPT_ENCODING);
    if let Some(ae) = i.accept_encoding.header_value() {
        out.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(ae));
    }
    // X-Forwarded-For: the viewer's value with the client IP appended after a
    // bare comma (`192.0.2.4,192.0.2.3,192.0.2.2`, spec §3.2).
    let client = i.client_ip.to_string();
    let prev = list_values(
        i.viewer_headers,
        &HeaderName::from_static("x-forwarded-for"),
    );
    let xff = if prev.is_empty() {
        client
    } else {
        format!("{},{client}", prev.join(","))
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        out.insert("x-forwarded-for", v);
    }
    // Via: CloudFront forwards the viewer's and adds its own hop at the end
    // (RFC 9110 §7.6.3; the Developer Guide lists Via as forwarded).
    let mut via = list_values(i.viewer_headers, &header::VIA);
    via.push(i.via);
    if let Ok(v) = HeaderValue::from_str(&via.join(", ")) {
        out.insert(header::VIA, v);
    }
    if let Ok(v) = HeaderValue::from_str(i.request_id) {
        out.insert("x-amz-cf-id", v);
    }
    out.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    // Origin custom headers overwrite viewer headers of the same name (spec §1.2).
    for (n, v) in i.custom_headers {
        out.insert(n.clone(), v.clone());
    }
    out
}

/// Headers never passed from the origin to the viewer (hop-by-hop, spec §3.1).
/// The non-empty values of a list header that may be repeated, in order.
fn list_values<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

static HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    header::TRAILER,
    header::UPGRADE,
    header::TRANSFER_ENCODING,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
];

/// Filter an origin response's headers as CloudFront does before caching and
/// before the viewer sees them (spec §3.1): hop-by-hop headers and `Via` go;
/// `Set-Cookie` goes unless the behaviour forwards cookies (by its cache
/// policy or its origin request policy, [`Behavior::forwards_cookies`]);
/// `Vary` keeps the names of headers that are keyed or forwarded to the origin.
pub fn filter_origin_response(headers: &mut HeaderMap, behavior: &Behavior) {
    let orp = behavior.origin_request_policy.as_deref();
    let forwarded = |n: &HeaderName| {
        orp.is_some_and(|o| o.headers.includes(n) || o.headers.includes_cloudfront(n))
            && !never_forwarded(n)
    };
    filter_response(
        headers,
        &behavior.cache_policy,
        behavior.forwards_cookies(),
        &forwarded,
    );
}

fn filter_response(
    headers: &mut HeaderMap,
    policy: &CachePolicy,
    forwards_cookies: bool,
    forwarded: &dyn Fn(&HeaderName) -> bool,
) {
    for n in &HOP_BY_HOP {
        headers.remove(n);
    }
    if !forwards_cookies {
        headers.remove(header::SET_COOKIE);
    }
    headers.remove(header::VIA);
    filter_vary(headers, policy, forwarded);
}

/// Keep `Accept-Encoding`, `Cookie`, keyed or forwarded header names and `*` in `Vary`.
fn filter_vary(
    headers: &mut HeaderMap,
    policy: &CachePolicy,
    forwarded: &dyn Fn(&HeaderName) -> bool,
) {
    if !headers.contains_key(header::VARY) {
        return;
    }
    let forwarded_is_viewer_device = policy
        .headers
        .iter()
        .any(|h| h.as_str().starts_with("cloudfront-is-") && h.as_str().ends_with("-viewer"));
    let mut kept: Vec<String> = Vec::new();
    for v in headers.get_all(header::VARY) {
        let Ok(s) = v.to_str() else { continue };
        for t in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let lower = t.to_ascii_lowercase();
            let keep = t == "*"
                || lower == "accept-encoding"
                || lower == "cookie"
                || (lower == "user-agent" && forwarded_is_viewer_device)
                || policy.headers.iter().any(|h| h.as_str() == lower)
                || HeaderName::from_bytes(lower.as_bytes()).is_ok_and(|n| forwarded(&n));
            if keep && !kept.iter().any(|k| k.eq_ignore_ascii_case(t)) {
                kept.push(t.to_owned());
            }
        }
    }
    headers.remove(header::VARY);
    if !kept.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&kept.join(", ")) {
            headers.insert(header::VARY, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::managed;

    fn policy() -> CachePolicy {
        managed::cache_policies().remove(0)
    }

    #[test]
    fn vary_keeps_only_what_cloudfront_keeps() {
        let mut p = policy();
        p.headers = vec![HeaderName::from_static("x-lang")];
        let mut h = HeaderMap::new();
        h.insert(
            header::VARY,
            HeaderValue::from_static("Accept-Encoding, User-Agent, X-Lang, Origin"),
        );
        filter_response(&mut h, &p, p.cookies != ListBehavior::None, &|_| false);
        assert_eq!(h.get(header::VARY).unwrap(), "Accept-Encoding, X-Lang");
    }

    #[test]
    fn set_cookie_is_dropped_unless_cookies_are_forwarded() {
        let mut h = HeaderMap::new();
        h.insert(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        filter_response(&mut h, &policy(), false, &|_| false);
        assert!(!h.contains_key(header::SET_COOKIE));
        let mut p = policy();
        p.cookies = ListBehavior::All;
        let mut h = HeaderMap::new();
        h.insert(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        filter_response(&mut h, &p, p.cookies != ListBehavior::None, &|_| false);
        assert!(h.contains_key(header::SET_COOKIE));
    }

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut h = HeaderMap::new();
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        h.insert(header::TRAILER, HeaderValue::from_static("x"));
        h.insert(header::VIA, HeaderValue::from_static("1.1 origin"));
        filter_response(&mut h, &policy(), false, &|_| false);
        assert!(h.is_empty());
    }
}
