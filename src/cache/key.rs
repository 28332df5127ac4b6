//! The cache key (spec §2.3) and what a cache policy forwards to the origin.
//!
//! Everything in the cache key is also forwarded to the origin (spec §2.1);
//! nothing else from the viewer's query string, headers or cookies is.

use http::{HeaderMap, HeaderValue, Method, Version};

use crate::config::{CachePolicy, ListBehavior};

/// An opaque cache key. Two requests share a cached object iff their keys are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// The key as text (for logs and tests).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The normalised `Accept-Encoding` (spec §2.3 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptEncoding {
    /// Not in the key, not forwarded (header absent, or normalisation off).
    Absent,
    /// The viewer accepts none of the enabled encodings: forward `identity`.
    Identity,
    Gzip,
    Br,
    /// Both enabled and both accepted.
    BrGzip,
}

impl AcceptEncoding {
    /// The value forwarded to the origin, if any.
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            AcceptEncoding::Absent => None,
            AcceptEncoding::Identity => Some("identity"),
            AcceptEncoding::Gzip => Some("gzip"),
            AcceptEncoding::Br => Some("br"),
            AcceptEncoding::BrGzip => Some("br,gzip"),
        }
    }

    /// The value that goes into the cache key (`identity` does not, spec §2.3).
    fn key_value(self) -> &'static str {
        match self {
            AcceptEncoding::Absent | AcceptEncoding::Identity => "",
            AcceptEncoding::Gzip => "gzip",
            AcceptEncoding::Br => "br",
            AcceptEncoding::BrGzip => "br,gzip",
        }
    }
}

/// Normalise the viewer's `Accept-Encoding` under a policy (spec §2.3; HTTP/1.0
/// requests have it removed, spec §8).
pub fn normalize_accept_encoding(
    policy: &CachePolicy,
    headers: &HeaderMap,
    version: Version,
) -> AcceptEncoding {
    if !(policy.accept_encoding_gzip || policy.accept_encoding_brotli)
        || version == Version::HTTP_10
    {
        return AcceptEncoding::Absent;
    }
    let mut present = false;
    let (mut gzip, mut br) = (false, false);
    for v in headers.get_all(http::header::ACCEPT_ENCODING) {
        present = true;
        let Ok(s) = v.to_str() else { continue };
        for token in s.split(',') {
            let mut parts = token.split(';');
            let coding = parts.next().unwrap_or("").trim();
            // A coding with q=0 is explicitly refused.
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            if refused {
                continue;
            }
            if coding.eq_ignore_ascii_case("gzip") {
                gzip = true;
            } else if coding.eq_ignore_ascii_case("br") {
                br = true;
            }
        }
    }
    if !present {
        return AcceptEncoding::Absent;
    }
    let gzip = gzip && policy.accept_encoding_gzip;
    let br = br && policy.accept_encoding_brotli;
    match (br, gzip) {
        (true, true) => AcceptEncoding::BrGzip,
        (true, false) => AcceptEncoding::Br,
        (false, true) => AcceptEncoding::Gzip,
        (false, false) => AcceptEncoding::Identity,
    }
}

/// The query string the policy selects: parameters in their original order,
/// names and values case-sensitive, `&` the only separator (spec §2.3).
pub fn selected_query(policy: &CachePolicy, query: Option<&str>) -> Option<String> {
    filter_query(query, |name| policy.query_strings.includes(name))
}

/// Keep the parameters whose (decoded) name satisfies `keep`, in order.
pub fn filter_query(query: Option<&str>, keep: impl Fn(&str) -> bool) -> Option<String> {
    let q = query?;
    let mut kept = String::with_capacity(q.len());
    for p in q.split('&').filter(|p| !p.is_empty()) {
        let name = p.split_once('=').map_or(p, |(n, _)| n);
        let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
        if keep(&decoded) {
            if !kept.is_empty() {
                kept.push('&');
            }
            kept.push_str(p);
        }
    }
    if kept.is_empty() {
        None
    } else {
        Some(kept)
    }
}

/// The cookies selected by `keep`, sorted by name (spec §2.3), as one
/// `Cookie` header value.
pub fn filter_cookies(headers: &HeaderMap, keep: impl Fn(&str) -> bool) -> Option<String> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for v in headers.get_all(http::header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for c in s.split(';') {
            let c = c.trim();
            let Some((name, value)) = c.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if !name.is_empty() && keep(name) {
                pairs.push((name, value.trim()));
            }
        }
    }
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    Some(out)
}

/// The cookies the policy selects, sorted by name (spec §2.3).
pub fn selected_cookies(policy: &CachePolicy, headers: &HeaderMap) -> Option<String> {
    if policy.cookies == ListBehavior::None {
        return None;
    }
    filter_cookies(headers, |name| policy.cookies.includes(name))
}

/// The values of the policy's headers, joined per header (names are
/// case-insensitive, values case-sensitive, order irrelevant: spec §2.3).
fn selected_headers<'a>(
    policy: &'a CachePolicy,
    headers: &'a HeaderMap,
) -> impl Iterator<Item = (&'a str, Vec<&'a HeaderValue>)> {
    // Policy header names are stored sorted by config order; sort for a stable key.
    let mut names: Vec<&http::HeaderName> = policy.headers.iter().collect();
    names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    names
        .into_iter()
        .map(move |n| (n.as_str(), headers.get_all(n).iter().collect::<Vec<_>>()))
}

/// Build the cache key for a request after viewer-request processing.
///
/// Default key: distribution domain + path, plus the method for `OPTIONS`
/// (spec §2.3). The domain is constant per distribution, so it is implied.
pub fn cache_key(
    policy: &CachePolicy,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    accept_encoding: AcceptEncoding,
) -> CacheKey {
    let mut k = String::with_capacity(path.len() + 16);
    if method == Method::OPTIONS {
        k.push_str("OPTIONS ");
    }
    k.push_str(path);
    if let Some(q) = selected_query(policy, query) {
        k.push('?');
        k.push_str(&q);
    }
    for (name, values) in selected_headers(policy, headers) {
        k.push('\n');
        k.push_str(name);
        k.push(':');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                k.push(',');
            }
            k.push_str(&String::from_utf8_lossy(v.as_bytes()));
        }
    }
    if let Some(c) = selected_cookies(policy, headers) {
        k.push_str("\ncookie:");
        k.push_str(&c);
    }
    let ae = accept_encoding.key_value();
    if !ae.is_empty() {
        k.push_str("\naccept-encoding:");
        k.push_str(ae);
    }
    CacheKey(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::managed;
    use proptest::prelude::*;

    fn policy(name: &str) -> CachePolicy {
        managed::cache_policies()
            .into_iter()
            .find(|p| p.name == name)
            .unwrap()
    }

    fn custom(qs: ListBehavior, headers: &[&'static str], cookies: ListBehavior) -> CachePolicy {
        CachePolicy {
            query_strings: qs,
            headers: headers
                .iter()
                .map(|h| http::HeaderName::from_static(h))
                .collect(),
            cookies,
            ..policy("CachingOptimized")
        }
    }

    fn hm(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_static(v));
        }
        h
    }

    fn key(p: &CachePolicy, m: Method, path: &str, q: Option<&str>, h: &HeaderMap) -> CacheKey {
        let ae = normalize_accept_encoding(p, h, Version::HTTP_11);
        cache_key(p, &m, path, q, h, ae)
    }

    #[test]
    fn default_key_ignores_query_headers_and_cookies() {
        let p = policy("CachingOptimizedForUncompressedObjects");
        let a = key(
            &p,
            Method::GET,
            "/a",
            Some("x=1"),
            &hm(&[("cookie", "a=1"), ("x-h", "1")]),
        );
        let b = key(&p, Method::GET, "/a", None, &HeaderMap::new());
        assert_eq!(a, b);
    }

    #[test]
    fn options_is_keyed_separately() {
        let p = policy("CachingOptimized");
        assert_ne!(
            key(&p, Method::OPTIONS, "/a", None, &HeaderMap::new()),
            key(&p, Method::GET, "/a", None, &HeaderMap::new())
        );
        assert_eq!(
            key(&p, Method::HEAD, "/a", None, &HeaderMap::new()),
            key(&p, Method::GET, "/a", None, &HeaderMap::new())
        );
    }

    #[test]
    fn query_order_and_case_matter() {
        let p = custom(ListBehavior::All, &[], ListBehavior::None);
        let h = HeaderMap::new();
        assert_ne!(
            key(&p, Method::GET, "/", Some("a=1&b=2"), &h),
            key(&p, Method::GET, "/", Some("b=2&a=1"), &h)
        );
        assert_ne!(
            key(&p, Method::GET, "/", Some("a=1"), &h),
            key(&p, Method::GET, "/", Some("A=1"), &h)
        );
        assert_ne!(
            key(&p, Method::GET, "/", Some("a=x"), &h),
            key(&p, Method::GET, "/", Some("a=X"), &h)
        );
    }

    #[test]
    fn allow_and_all_except_select_parameters_keeping_order() {
        let allow = custom(
            ListBehavior::Allow(vec!["b".into(), "a".into()]),
            &[],
            ListBehavior::None,
        );
        assert_eq!(
            selected_query(&allow, Some("c=3&a=1&b=2")).as_deref(),
            Some("a=1&b=2")
        );
        let except = custom(
            ListBehavior::AllExcept(vec!["utm".into()]),
            &[],
            ListBehavior::None,
        );
        assert_eq!(
            selected_query(&except, Some("utm=x&a=1")).as_deref(),
            Some("a=1")
        );
        // ';' is part of the value, not a separator.
        assert_eq!(
            selected_query(&allow, Some("a=1;b=2")).as_deref(),
            Some("a=1;b=2")
        );
    }

    #[test]
    fn header_names_are_case_insensitive_values_case_sensitive() {
        let p = custom(ListBehavior::None, &["x-lang"], ListBehavior::None);
        let a = key(&p, Method::GET, "/", None, &hm(&[("x-lang", "en")]));
        let b = key(&p, Method::GET, "/", None, &hm(&[("X-Lang", "en")]));
        let c = key(&p, Method::GET, "/", None, &hm(&[("x-lang", "EN")]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Headers outside the policy do not matter.
        let d = key(
            &p,
            Method::GET,
            "/",
            None,
            &hm(&[("x-lang", "en"), ("x-other", "1")]),
        );
        assert_eq!(a, d);
    }

    #[test]
    fn cookies_are_sorted_by_name() {
        let p = custom(ListBehavior::None, &[], ListBehavior::All);
        assert_eq!(
            selected_cookies(&p, &hm(&[("cookie", "b=2; a=1")])).as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(
            key(&p, Method::GET, "/", None, &hm(&[("cookie", "b=2; a=1")])),
            key(&p, Method::GET, "/", None, &hm(&[("cookie", "a=1; b=2")]))
        );
        let allow = custom(
            ListBehavior::None,
            &[],
            ListBehavior::Allow(vec!["session".into()]),
        );
        assert_eq!(
            selected_cookies(&allow, &hm(&[("cookie", "x=1; session=s")])).as_deref(),
            Some("session=s")
        );
    }

    #[test]
    fn accept_encoding_is_normalised_as_the_spec_table() {
        let both = policy("CachingOptimized");
        let n = |p: &CachePolicy, v: Option<&'static str>| {
            let h = v.map_or_else(HeaderMap::new, |v| hm(&[("accept-encoding", v)]));
            normalize_accept_encoding(p, &h, Version::HTTP_11)
        };
        assert_eq!(n(&both, Some("gzip, deflate, br")), AcceptEncoding::BrGzip);
        assert_eq!(n(&both, Some("gzip")), AcceptEncoding::Gzip);
        assert_eq!(n(&both, Some("br")), AcceptEncoding::Br);
        assert_eq!(n(&both, Some("deflate")), AcceptEncoding::Identity);
        assert_eq!(n(&both, None), AcceptEncoding::Absent);
        let gzip_only = CachePolicy {
            accept_encoding_brotli: false,
            ..both.clone()
        };
        assert_eq!(n(&gzip_only, Some("br, gzip")), AcceptEncoding::Gzip);
        assert_eq!(n(&gzip_only, Some("br")), AcceptEncoding::Identity);
        let off = policy("CachingOptimizedForUncompressedObjects");
        assert_eq!(n(&off, Some("gzip")), AcceptEncoding::Absent);
        let h = hm(&[("accept-encoding", "gzip")]);
        assert_eq!(
            normalize_accept_encoding(&both, &h, Version::HTTP_10),
            AcceptEncoding::Absent
        );
        assert_eq!(n(&both, Some("gzip;q=0, br")), AcceptEncoding::Br);
    }

    #[test]
    fn identity_is_not_part_of_the_key() {
        let p = policy("CachingOptimized");
        assert_eq!(
            key(
                &p,
                Method::GET,
                "/",
                None,
                &hm(&[("accept-encoding", "deflate")])
            ),
            key(&p, Method::GET, "/", None, &HeaderMap::new())
        );
        assert_ne!(
            key(
                &p,
                Method::GET,
                "/",
                None,
                &hm(&[("accept-encoding", "gzip")])
            ),
            key(&p, Method::GET, "/", None, &HeaderMap::new())
        );
    }

    proptest! {
        #[test]
        fn cookie_order_never_changes_the_key(names in proptest::collection::btree_set("[a-z]{1,5}", 1..5)) {
            let p = custom(ListBehavior::None, &[], ListBehavior::All);
            let pairs: Vec<String> = names.iter().map(|n| format!("{n}=v{n}")).collect();
            let fwd = pairs.join("; ");
            let rev = pairs.iter().rev().cloned().collect::<Vec<_>>().join("; ");
            let mut a = HeaderMap::new();
            a.insert("cookie", HeaderValue::from_str(&fwd).unwrap());
            let mut b = HeaderMap::new();
            b.insert("cookie", HeaderValue::from_str(&rev).unwrap());
            prop_assert_eq!(key(&p, Method::GET, "/", None, &a), key(&p, Method::GET, "/", None, &b));
        }

        #[test]
        fn distinct_paths_give_distinct_keys(a in "/[a-z/]{0,12}", b in "/[a-z/]{0,12}") {
            let p = policy("CachingOptimized");
            let h = HeaderMap::new();
            prop_assert_eq!(key(&p, Method::GET, &a, None, &h) == key(&p, Method::GET, &b, None, &h), a == b);
        }
    }
}
