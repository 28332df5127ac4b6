//! Viewer conditional requests answered at the edge (spec §2.6): a `GET` or
//! `HEAD` whose `If-None-Match` / `If-Modified-Since` matches the object
//! CloudFront serves gets `304 Not Modified` without a body.

use http::{header, HeaderMap, Method};

/// Whether the viewer's validators say its copy of the object is current
/// (RFC 9110 §13.1.2 and §13.1.3: `If-None-Match` with weak comparison takes
/// precedence; `If-Modified-Since` only applies without it).
pub fn not_modified(method: &Method, request: &HeaderMap, object: &HeaderMap) -> bool {
    if method != Method::GET && method != Method::HEAD {
        return false;
    }
    let inm: Vec<&str> = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !inm.is_empty() {
        let Some(etag) = object.get(header::ETAG).and_then(|e| e.to_str().ok()) else {
            return false;
        };
        let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
        let current = opaque(etag);
        return inm
            .iter()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim() == "*" || opaque(t) == current);
    }
    let Some(since) = request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| httpdate::parse_http_date(s).ok())
    else {
        // Most requests: no validator, nothing to parse.
        return false;
    };
    object
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| httpdate::parse_http_date(s).ok())
        .is_some_and(|m| m <= since)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (n, v) in pairs {
            m.append(*n, HeaderValue::from_static(v));
        }
        m
    }

    const LM: &str = "Mon, 01 Jan 2024 00:00:00 GMT";

    #[test]
    fn if_none_match_uses_weak_comparison_and_wins_over_if_modified_since() {
        let obj = h(&[("etag", "\"v1\""), ("last-modified", LM)]);
        assert!(not_modified(
            &Method::GET,
            &h(&[("if-none-match", "\"v1\"")]),
            &obj
        ));
        assert!(not_modified(
            &Method::HEAD,
            &h(&[("if-none-match", "W/\"v1\"")]),
            &obj
        ));
        assert!(not_modified(
            &Method::GET,
            &h(&[("if-none-match", "\"a\", \"v1\"")]),
            &obj
        ));
        assert!(not_modified(
            &Method::GET,
            &h(&[("if-none-match", "*")]),
            &obj
        ));
        let stale_tag = h(&[("if-none-match", "\"v0\""), ("if-modified-since", LM)]);
        assert!(!not_modified(&Method::GET, &stale_tag, &obj));
        assert!(!not_modified(
            &Method::POST,
            &h(&[("if-none-match", "\"v1\"")]),
            &obj
        ));
        assert!(!not_modified(
            &Method::GET,
            &h(&[("if-none-match", "\"v1\"")]),
            &h(&[])
        ));
    }

    #[test]
    fn if_modified_since_compares_with_last_modified() {
        let obj = h(&[("last-modified", LM)]);
        assert!(not_modified(
            &Method::GET,
            &h(&[("if-modified-since", LM)]),
            &obj
        ));
        let later = h(&[("if-modified-since", "Tue, 02 Jan 2024 00:00:00 GMT")]);
        assert!(not_modified(&Method::GET, &later, &obj));
        let earlier = h(&[("if-modified-since", "Sun, 31 Dec 2023 00:00:00 GMT")]);
        assert!(!not_modified(&Method::GET, &earlier, &obj));
        assert!(!not_modified(
            &Method::GET,
            &h(&[("if-modified-since", "junk")]),
            &obj
        ));
        assert!(!not_modified(
            &Method::GET,
            &h(&[("if-modified-since", LM)]),
            &h(&[])
        ));
    }
}
