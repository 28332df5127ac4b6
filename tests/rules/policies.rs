//! Response headers policies (spec §3.1): removal then addition, override
//! flags, CORS and preflight, security headers, Server-Timing, managed policies.

use cfedge::response_headers_policy::{
    build, ResponseHeadersPolicy, ResponseHeadersPolicySet, ServerTimingCache, ServerTimingInfo,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::{file_config, request};

fn policies(toml: &str) -> ResponseHeadersPolicySet {
    build(&file_config(toml).response_headers_policies).unwrap()
}

fn policy(toml: &str) -> std::sync::Arc<ResponseHeadersPolicy> {
    policies(toml).resolve("p", "behaviors[0]").unwrap()
}

fn origin_headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_static(v));
    }
    h
}

#[test]
fn removal_happens_before_addition_and_override_is_honoured() {
    let p = policy(
        r#"
[response_headers_policies.p]
remove_headers = ["X-Powered-By", "x-both", "server"]
custom_headers = [
  { name = "x-both", value = "policy" },
  { name = "x-keep", value = "policy" },
  { name = "x-replace", value = "policy", override = true },
  { name = "x-empty" },
]
"#,
    );
    let mut h = origin_headers(&[
        ("x-powered-by", "php"),
        ("x-both", "origin"),
        ("x-keep", "origin"),
        ("x-replace", "origin"),
        ("server", "nginx"),
    ]);
    p.apply(&request("/", &[]), &mut h);
    assert!(!h.contains_key("x-powered-by"));
    assert_eq!(h["x-both"], "policy", "removed then added ends up present");
    assert_eq!(h["x-keep"], "origin");
    assert_eq!(h["x-replace"], "policy");
    assert_eq!(h["x-empty"], "");
    assert_eq!(h["server"], "CloudFront");
}

#[test]
fn unremovable_headers_are_rejected_at_load() {
    for h in [
        "Content-Length",
        "X-Amz-Cf-Id",
        "x-amz-cf-pop",
        "X-Edge-Location",
        "X-Cache",
        "Via",
        "Transfer-Encoding",
    ] {
        let err = build(
            &file_config(&format!(
                "[response_headers_policies.p]\nremove_headers = [\"{h}\"]\n"
            ))
            .response_headers_policies,
        )
        .unwrap_err();
        assert_eq!(err.item, "response_headers_policies.p");
        assert!(err.message.contains("cannot be removed"), "{h}: {err}");
    }
}

#[test]
fn security_headers_with_override_flags() {
    let p = policy(
        r#"
[response_headers_policies.p]
security_headers.strict_transport_security = { max_age = 63072000, include_subdomains = true, preload = true, override = true }
security_headers.content_security_policy = { value = "default-src 'self'" }
security_headers.content_type_options = { override = true }
security_headers.frame_options = { value = "DENY", override = true }
security_headers.referrer_policy = { value = "same-origin" }
security_headers.xss_protection = { protection = true, report_uri = "https://r.example/x" }
"#,
    );
    let mut h = origin_headers(&[
        ("strict-transport-security", "max-age=1"),
        ("content-security-policy", "origin-csp"),
        ("x-frame-options", "SAMEORIGIN"),
    ]);
    p.apply(&request("/", &[]), &mut h);
    assert_eq!(
        h["strict-transport-security"],
        "max-age=63072000; includeSubDomains; preload"
    );
    assert_eq!(h["content-security-policy"], "origin-csp");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["x-xss-protection"], "1; report=https://r.example/x");
    for bad in [
        "security_headers.frame_options = { value = \"ALLOW\" }",
        "security_headers.referrer_policy = { value = \"nope\" }",
        "security_headers.xss_protection = { protection = true, mode_block = true, report_uri = \"x\" }",
        "cors = { allow_origins = [\"https://a.*.example.org\"] }",
        "cors = { allow_origins = [\"*\"], allow_methods = [\"TRACE\"] }",
        "server_timing = { enabled = true, sampling_rate = 101.0 }",
        "unknown = 1",
    ] {
        let err = build(&file_config(&format!("[response_headers_policies.p]\n{bad}\n")).response_headers_policies).unwrap_err();
        assert_eq!(err.item, "response_headers_policies.p", "{bad}");
    }
}

const CORS: &str = r#"
[response_headers_policies.p]
cors = { allow_origins = ["https://app.example.com", "https://*.example.org"], allow_methods = ["GET", "POST"], allow_headers = ["x-a", "x-b"], expose_headers = ["x-request-id"], allow_credentials = true, max_age = 600 }
"#;

#[test]
fn cors_headers_only_for_allowed_origins() {
    let p = policy(CORS);
    let mut h = HeaderMap::new();
    p.apply(
        &request("/", &[("origin", "https://app.example.com")]),
        &mut h,
    );
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(h["access-control-expose-headers"], "x-request-id");
    assert!(!h.contains_key("access-control-allow-methods"));
    let mut h = HeaderMap::new();
    p.apply(
        &request("/", &[("origin", "https://eu.shop.example.org")]),
        &mut h,
    );
    assert_eq!(
        h["access-control-allow-origin"],
        "https://eu.shop.example.org"
    );
    for denied in [
        "https://evil.example",
        "https://example.org",
        "http://app.example.com",
    ] {
        let mut h = HeaderMap::new();
        p.apply(&request("/", &[("origin", denied)]), &mut h);
        assert!(!h.contains_key("access-control-allow-origin"), "{denied}");
    }
    let mut h = HeaderMap::new();
    p.apply(&request("/", &[]), &mut h);
    assert!(h.is_empty(), "no Origin, no CORS headers");
    // origin_override = false (default): the origin's CORS header wins.
    let mut h = origin_headers(&[("access-control-allow-origin", "https://origin.example")]);
    p.apply(
        &request("/", &[("origin", "https://app.example.com")]),
        &mut h,
    );
    assert_eq!(h["access-control-allow-origin"], "https://origin.example");
}

#[test]
fn preflight_is_answered_at_the_edge() {
    let p = policy(CORS);
    let mut req = request(
        "/api",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "POST"),
        ],
    );
    req.method = Method::OPTIONS;
    let r = p.preflight(&req).unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    assert_eq!(r.headers["access-control-allow-methods"], "GET, POST");
    assert_eq!(r.headers["access-control-allow-headers"], "x-a, x-b");
    assert_eq!(r.headers["access-control-max-age"], "600");
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    // Not a preflight: no Access-Control-Request-Method, or not OPTIONS, or a foreign origin.
    let mut plain = request("/api", &[("origin", "https://app.example.com")]);
    plain.method = Method::OPTIONS;
    assert!(p.preflight(&plain).is_none());
    let mut get = req.clone();
    get.method = Method::GET;
    assert!(p.preflight(&get).is_none());
    let mut foreign = req.clone();
    foreign
        .headers
        .insert("origin", HeaderValue::from_static("https://evil.example"));
    assert!(p.preflight(&foreign).is_none());
}

#[test]
fn managed_policies_by_name_and_id_with_aws_values() {
    let set = policies("");
    let by_id = set
        .resolve("eaab4381-ed33-4a86-88ca-d9558dc6cd63", "b")
        .unwrap();
    assert_eq!(by_id.name, "CORS-with-preflight-and-SecurityHeadersPolicy");
    for (name, id) in [
        ("SimpleCORS", "60669652-455b-4ae9-85a4-c4c02393f86c"),
        (
            "SecurityHeadersPolicy",
            "67f7725c-6f97-4210-82d7-5512b31e9d03",
        ),
        (
            "CORS-With-Preflight",
            "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
        ),
        (
            "CORS-and-SecurityHeadersPolicy",
            "e61eb60c-9c35-4d20-a928-2b84e02af89c",
        ),
    ] {
        assert_eq!(set.resolve(name, "b").unwrap().id.as_deref(), Some(id));
        assert_eq!(set.resolve(id, "b").unwrap().name, name);
    }
    assert!(set.resolve("Nope", "b").is_err());

    let sec = set.resolve("SecurityHeadersPolicy", "b").unwrap();
    let mut h = origin_headers(&[
        ("x-content-type-options", "origin"),
        ("x-frame-options", "DENY"),
    ]);
    sec.apply(&request("/", &[]), &mut h);
    assert_eq!(
        h["x-content-type-options"], "nosniff",
        "the one header the managed policy overrides"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["strict-transport-security"], "max-age=31536000");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert_eq!(h["x-xss-protection"], "1; mode=block");

    let simple = set.resolve("SimpleCORS", "b").unwrap();
    let mut h = HeaderMap::new();
    simple.apply(&request("/", &[("origin", "https://x.example")]), &mut h);
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h.len(), 1);
    let mut pre = request(
        "/",
        &[
            ("origin", "https://x.example"),
            ("access-control-request-method", "PUT"),
        ],
    );
    pre.method = Method::OPTIONS;
    assert!(
        simple.preflight(&pre).is_none(),
        "SimpleCORS does not answer preflights"
    );
    let r = set
        .resolve("CORS-With-Preflight", "b")
        .unwrap()
        .preflight(&pre)
        .unwrap();
    assert_eq!(
        r.headers["access-control-allow-methods"],
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    );
    assert_eq!(r.headers["access-control-allow-origin"], "*");

    let err =
        build(&file_config("[response_headers_policies.SimpleCORS]\n").response_headers_policies)
            .unwrap_err();
    assert!(err.message.contains("managed"), "{err}");
}

#[test]
fn server_timing_sampling_and_pragma() {
    let info = ServerTimingInfo {
        cache: ServerTimingCache::Miss,
        pop: "LOCAL50-C1",
        request_id: "rid-1",
        upstream_fbl_ms: Some(12),
        downstream_fbl_ms: 20,
    };
    let never = policy(
        "[response_headers_policies.p]\nserver_timing = { enabled = true, sampling_rate = 0.0 }\n",
    );
    let mut h = HeaderMap::new();
    never.add_server_timing(&request("/", &[]), &mut h, &info);
    assert!(!h.contains_key("server-timing"));
    let mut h = origin_headers(&[("server-timing", "app;dur=5")]);
    never.add_server_timing(
        &request("/", &[("pragma", "no-cache, server-timing")]),
        &mut h,
        &info,
    );
    assert_eq!(
        h["server-timing"],
        "cdn-upstream-layer;desc=\"EDGE\",cdn-upstream-fbl;dur=12,cdn-cache-miss,cdn-pop;desc=\"LOCAL50-C1\",cdn-rid;desc=\"rid-1\",cdn-downstream-fbl;dur=20,app;dur=5"
    );
    let always = policy("[response_headers_policies.p]\nserver_timing = { enabled = true, sampling_rate = 100.0 }\n");
    let mut h = origin_headers(&[("server-timing", "app;dur=5")]);
    always.add_server_timing(
        &request("/", &[]),
        &mut h,
        &ServerTimingInfo {
            cache: ServerTimingCache::Hit,
            ..info
        },
    );
    let v = h["server-timing"].to_str().unwrap();
    assert!(
        v.starts_with("cdn-cache-hit,") && !v.contains("app;dur"),
        "{v}"
    );
    let off = policy("[response_headers_policies.p]\nserver_timing = { enabled = false }\n");
    let mut h = HeaderMap::new();
    off.add_server_timing(&request("/", &[("pragma", "server-timing")]), &mut h, &info);
    assert!(h.is_empty());
}
