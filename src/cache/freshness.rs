//! Whether and for how long a response is cached (spec §2.2, §2.4, §2.7).
//! Pure functions of the policy, the response head and an explicit `now`.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::config::CachePolicy;

/// The `Cache-Control` directives CloudFront acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directives {
    pub no_cache: bool,
    pub no_store: bool,
    pub private: bool,
    pub max_age: Option<u64>,
    pub s_maxage: Option<u64>,
    pub stale_while_revalidate: Option<u64>,
    pub stale_if_error: Option<u64>,
    /// `no-cache="Set-Cookie"`: cache the object but not its `Set-Cookie`.
    pub no_cache_set_cookie: bool,
}

impl Directives {
    /// Parse every `Cache-Control` header of a response.
    pub fn parse(headers: &HeaderMap) -> Directives {
        let mut d = Directives::default();
        for v in headers.get_all(http::header::CACHE_CONTROL) {
            let Ok(s) = v.to_str() else { continue };
            for part in split_directives(s) {
                let (name, value) = match part.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                    None => (part.trim(), None),
                };
                let secs = || value.and_then(|v| v.parse::<u64>().ok());
                match name.to_ascii_lowercase().as_str() {
                    "no-cache" => match value {
                        Some(fields) if !fields.is_empty() => {
                            if fields
                                .split(',')
                                .any(|f| f.trim().eq_ignore_ascii_case("set-cookie"))
                            {
                                d.no_cache_set_cookie = true;
                            }
                        }
                        _ => d.no_cache = true,
                    },
                    "no-store" => d.no_store = true,
                    "private" => d.private = true,
                    "max-age" => d.max_age = secs().or(d.max_age).or(Some(0)),
                    "s-maxage" => d.s_maxage = secs().or(d.s_maxage).or(Some(0)),
                    "stale-while-revalidate" => d.stale_while_revalidate = secs(),
                    "stale-if-error" => d.stale_if_error = secs(),
                    _ => {}
                }
            }
        }
        d
    }
}

/// Split on commas that are not inside quotes (`no-cache="a, b"`).
fn split_directives(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// How a stored object may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// Served without contacting the origin for this long.
    pub ttl: Duration,
    /// Served stale while revalidating in the background, after `ttl` (spec §2.7).
    pub stale_while_revalidate: Duration,
    /// Served stale when the origin fails, after `ttl`. `None`: CloudFront's
    /// default (stale served on 5xx/unreachable, never past MaxTTL, spec §2.4).
    pub stale_if_error: Option<Duration>,
    /// Stale content is never served past this age (MaxTTL, spec §2.7).
    pub max_stale_age: Duration,
    /// `no-cache`/`private`/`no-store` overridden by MinTTL: stored, but the
    /// origin is still asked on every request (spec §2.2 warning).
    pub revalidate_always: bool,
}

/// Why a response is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// The method is not cached by this behaviour.
    Method,
    /// The policy disables caching (`CachingDisabled`).
    PolicyDisabled,
    /// The status is never cached, or only with `max-age`/`s-maxage` (spec §2.4).
    Status,
    /// `no-cache`/`no-store`/`private` with MinTTL 0 (spec §2.2).
    OriginDirective,
    /// The computed TTL is zero.
    ZeroTtl,
    /// `Vary: *` with MinTTL 0 (spec §2.2).
    VaryStar,
}

/// The store decision for one origin response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreDecision {
    Store(Freshness),
    DoNotStore(NotStored),
}

/// Statuses cached even without caching headers (spec §2.4).
const ALWAYS_CACHED_ERRORS: &[u16] = &[404, 414, 500, 501, 502, 503, 504];
/// Statuses cached only with `max-age`/`s-maxage` (spec §2.4).
const CACHED_WITH_MAX_AGE: &[u16] = &[400, 403, 405, 412, 415];

/// The TTL the origin's headers ask for (`s-maxage` > `max-age` > `Expires`),
/// before clamping; `None` when the origin sent none of them.
fn header_ttl(d: &Directives, headers: &HeaderMap, now: SystemTime) -> Option<u64> {
    if let Some(s) = d.s_maxage {
        return Some(s);
    }
    if let Some(m) = d.max_age {
        return Some(m);
    }
    let expires = headers.get(http::header::EXPIRES)?;
    // An invalid Expires (such as "0") means "already expired" (RFC 9111 §5.3).
    let at = expires
        .to_str()
        .ok()
        .and_then(|s| httpdate::parse_http_date(s).ok());
    Some(match at {
        Some(at) => at.duration_since(now).map_or(0, |d| d.as_secs()),
        None => 0,
    })
}

/// Decide whether and how long to cache a response (spec §2.2, §2.4).
///
/// `error_caching_min_ttl` is the custom error response's value for this
/// status, or the 10 s default.
pub fn decide(
    policy: &CachePolicy,
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
    error_caching_min_ttl: Duration,
) -> StoreDecision {
    if policy.caching_disabled() {
        return StoreDecision::DoNotStore(NotStored::PolicyDisabled);
    }
    let d = Directives::parse(headers);
    let code = status.as_u16();
    let stale = |ttl: Duration, revalidate_always: bool| Freshness {
        ttl,
        stale_while_revalidate: Duration::from_secs(
            d.stale_while_revalidate.unwrap_or(0).min(policy.max_ttl),
        ),
        stale_if_error: d
            .stale_if_error
            .map(|s| Duration::from_secs(s.min(policy.max_ttl))),
        max_stale_age: Duration::from_secs(policy.max_ttl),
        revalidate_always,
    };

    if code == 416 {
        return StoreDecision::DoNotStore(NotStored::Status);
    }
    let always = ALWAYS_CACHED_ERRORS.contains(&code);
    let with_max_age = CACHED_WITH_MAX_AGE.contains(&code);
    if always || with_max_age {
        if with_max_age && d.max_age.is_none() && d.s_maxage.is_none() {
            return StoreDecision::DoNotStore(NotStored::Status);
        }
        // Spec §2.4: max(ErrorCachingMinTTL, origin max-age/s-maxage/Expires
        // capped by MaxTTL); exactly ErrorCachingMinTTL otherwise.
        let from_headers = if d.no_cache || d.no_store || d.private {
            None
        } else {
            header_ttl(&d, headers, now).map(|t| t.min(policy.max_ttl))
        };
        let ttl = Duration::from_secs(from_headers.unwrap_or(0)).max(error_caching_min_ttl);
        if ttl.is_zero() {
            return StoreDecision::DoNotStore(NotStored::ZeroTtl);
        }
        return StoreDecision::Store(stale(ttl, false));
    }
    if status.is_client_error() || status.is_server_error() || status.is_informational() {
        return StoreDecision::DoNotStore(NotStored::Status);
    }
    if code == 304 || code == 206 {
        return StoreDecision::DoNotStore(NotStored::Status);
    }
    if policy.min_ttl == 0 && vary_star(headers) {
        return StoreDecision::DoNotStore(NotStored::VaryStar);
    }

    // Spec §2.2 pseudocode.
    let ttl = if d.no_cache || d.no_store || d.private {
        if policy.min_ttl == 0 {
            return StoreDecision::DoNotStore(NotStored::OriginDirective);
        }
        return StoreDecision::Store(stale(Duration::from_secs(policy.min_ttl), true));
    } else if let Some(t) = header_ttl(&d, headers, now) {
        t.clamp(policy.min_ttl, policy.max_ttl)
    } else {
        policy.min_ttl.max(policy.default_ttl)
    };
    if ttl == 0 {
        return StoreDecision::DoNotStore(NotStored::ZeroTtl);
    }
    StoreDecision::Store(stale(Duration::from_secs(ttl), false))
}

fn vary_star(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim() == "*"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::managed;
    use http::HeaderValue;
    use proptest::prelude::*;

    const TEN: Duration = Duration::from_secs(10);

    fn pol(min: u64, default: u64, max: u64) -> CachePolicy {
        CachePolicy {
            min_ttl: min,
            default_ttl: default,
            max_ttl: max,
            ..managed::cache_policies().remove(0)
        }
    }

    fn hdrs(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ttl(p: &CachePolicy, status: u16, h: &[(&'static str, &str)]) -> Option<u64> {
        match decide(
            p,
            StatusCode::from_u16(status).unwrap(),
            &hdrs(h),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000),
            TEN,
        ) {
            StoreDecision::Store(f) => Some(f.ttl.as_secs()),
            StoreDecision::DoNotStore(_) => None,
        }
    }

    #[test]
    fn default_ttl_applies_only_without_caching_headers() {
        let p = pol(0, 100, 1000);
        assert_eq!(ttl(&p, 200, &[]), Some(100));
        assert_eq!(ttl(&p, 200, &[("cache-control", "max-age=50")]), Some(50));
    }

    #[test]
    fn min_ttl_raises_default_ttl() {
        assert_eq!(ttl(&pol(200, 100, 1000), 200, &[]), Some(200));
    }

    #[test]
    fn max_age_is_clamped_between_min_and_max() {
        let p = pol(10, 100, 1000);
        assert_eq!(ttl(&p, 200, &[("cache-control", "max-age=5")]), Some(10));
        assert_eq!(
            ttl(&p, 200, &[("cache-control", "max-age=5000")]),
            Some(1000)
        );
    }

    #[test]
    fn s_maxage_wins_over_max_age_and_max_age_over_expires() {
        let p = pol(0, 100, 10_000);
        assert_eq!(
            ttl(&p, 200, &[("cache-control", "max-age=50, s-maxage=70")]),
            Some(70)
        );
        let expires =
            httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_300));
        assert_eq!(
            ttl(
                &p,
                200,
                &[("cache-control", "max-age=50"), ("expires", &expires)]
            ),
            Some(50)
        );
        assert_eq!(ttl(&p, 200, &[("expires", &expires)]), Some(300));
        assert_eq!(ttl(&p, 200, &[("expires", "0")]), None);
    }

    #[test]
    fn no_cache_no_store_private_are_respected_with_min_ttl_zero() {
        let p = pol(0, 100, 1000);
        for cc in ["no-cache", "no-store", "private", "private, max-age=60"] {
            assert_eq!(ttl(&p, 200, &[("cache-control", cc)]), None, "{cc}");
        }
    }

    #[test]
    fn min_ttl_overrides_no_cache_but_revalidates() {
        let p = pol(30, 100, 1000);
        let d = decide(
            &p,
            StatusCode::OK,
            &hdrs(&[("cache-control", "no-store")]),
            SystemTime::now(),
            TEN,
        );
        match d {
            StoreDecision::Store(f) => {
                assert_eq!(f.ttl, Duration::from_secs(30));
                assert!(f.revalidate_always);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn caching_disabled_stores_nothing() {
        let p = managed::cache_policies()
            .into_iter()
            .find(|p| p.name == "CachingDisabled")
            .unwrap();
        assert_eq!(ttl(&p, 200, &[("cache-control", "max-age=60")]), None);
        assert_eq!(ttl(&p, 404, &[]), None);
    }

    #[test]
    fn errors_are_cached_for_the_error_caching_min_ttl() {
        let p = pol(0, 100, 1000);
        for s in [404, 414, 500, 501, 502, 503, 504] {
            assert_eq!(ttl(&p, s, &[]), Some(10), "{s}");
            assert_eq!(
                ttl(&p, s, &[("cache-control", "no-store")]),
                Some(10),
                "{s}"
            );
        }
        assert_eq!(ttl(&p, 404, &[("cache-control", "max-age=60")]), Some(60));
        assert_eq!(ttl(&p, 404, &[("cache-control", "max-age=5")]), Some(10));
        assert_eq!(
            ttl(&pol(0, 100, 30), 404, &[("cache-control", "max-age=60")]),
            Some(30)
        );
    }

    #[test]
    fn some_4xx_are_cached_only_with_max_age() {
        let p = pol(0, 100, 1000);
        for s in [400, 403, 405, 412, 415] {
            assert_eq!(ttl(&p, s, &[]), None, "{s}");
            assert_eq!(
                ttl(&p, s, &[("cache-control", "max-age=60")]),
                Some(60),
                "{s}"
            );
        }
    }

    #[test]
    fn status_416_and_others_are_never_cached() {
        let p = pol(0, 100, 1000);
        assert_eq!(ttl(&p, 416, &[("cache-control", "max-age=60")]), None);
        assert_eq!(ttl(&p, 401, &[("cache-control", "max-age=60")]), None);
        assert_eq!(ttl(&p, 429, &[]), None);
    }

    #[test]
    fn redirects_are_cached() {
        let p = pol(0, 100, 1000);
        assert_eq!(ttl(&p, 301, &[]), Some(100));
        assert_eq!(ttl(&p, 302, &[("cache-control", "max-age=5")]), Some(5));
    }

    #[test]
    fn vary_star_with_min_ttl_zero_is_not_stored() {
        assert_eq!(ttl(&pol(0, 100, 1000), 200, &[("vary", "*")]), None);
        assert_eq!(ttl(&pol(5, 100, 1000), 200, &[("vary", "*")]), Some(100));
    }

    #[test]
    fn stale_directives_are_capped_by_max_ttl() {
        let p = pol(0, 100, 500);
        let d = decide(
            &p,
            StatusCode::OK,
            &hdrs(&[(
                "cache-control",
                "max-age=60, stale-while-revalidate=600, stale-if-error=900",
            )]),
            SystemTime::now(),
            TEN,
        );
        let StoreDecision::Store(f) = d else { panic!() };
        assert_eq!(f.stale_while_revalidate, Duration::from_secs(500));
        assert_eq!(f.stale_if_error, Some(Duration::from_secs(500)));
    }

    #[test]
    fn directive_parsing_handles_quotes_and_case() {
        let d = Directives::parse(&hdrs(&[(
            "cache-control",
            "No-Cache=\"Set-Cookie, X\", Max-Age=30",
        )]));
        assert!(d.no_cache_set_cookie);
        assert!(!d.no_cache);
        assert_eq!(d.max_age, Some(30));
    }

    proptest! {
        #[test]
        fn ttl_is_always_within_policy_bounds(min in 0u64..1000, extra in 0u64..1000, extra2 in 0u64..1000, age in 0u64..u64::MAX) {
            let p = pol(min, min + extra, min + extra + extra2);
            let cc = format!("max-age={age}");
            if let Some(t) = ttl(&p, 200, &[("cache-control", &cc)]) {
                prop_assert!(t >= p.min_ttl && t <= p.max_ttl);
            }
        }
    }
}
