//! Core benches: behaviour matching, cache key, TTL decision, and the whole
//! in-process pipeline for a cache hit (no sockets).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "bench setup"
)]

/// The binary's allocator, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cfedge::body::EdgeBody;
use cfedge::cache::freshness;
use cfedge::cache::key::{cache_key, normalize_accept_encoding};
use cfedge::config::Config;
use cfedge::pipeline::{ConnInfo, Edge};
use cfedge::viewer::ViewerProtocol;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Version};

fn config_with_behaviours(n: usize) -> Config {
    let mut s = String::from("[origins.site]\ndir = \"tests/fixtures/site\"\n");
    for i in 0..n {
        s.push_str(&format!(
            "[[behaviors]]\npath_pattern = \"/section{i}/*.jpg\"\ntarget_origin = \"site\"\n"
        ));
    }
    s.push_str("[default_behavior]\ntarget_origin = \"site\"\n");
    Config::from_toml(&s).unwrap()
}

fn behaviour_matching(c: &mut Criterion) {
    let cfg = config_with_behaviours(75);
    c.bench_function("behaviour/75 patterns, default match", |b| {
        b.iter(|| cfg.select_behavior(black_box("/assets/app/main.css")).index)
    });
    c.bench_function("behaviour/75 patterns, first match", |b| {
        b.iter(|| cfg.select_behavior(black_box("/section0/a/b.jpg")).index)
    });
    c.bench_function("behaviour/normalised path", |b| {
        b.iter(|| {
            cfg.select_behavior(black_box("/section40/x/../y//z.jpg"))
                .index
        })
    });
}

fn key_and_ttl(c: &mut Criterion) {
    let cfg = config_with_behaviours(0);
    let policy = &cfg.default_behavior.cache_policy;
    let mut h = HeaderMap::new();
    h.insert(
        "accept-encoding",
        HeaderValue::from_static("gzip, deflate, br"),
    );
    h.insert(
        "cookie",
        HeaderValue::from_static("session=abc; theme=dark"),
    );
    h.insert("user-agent", HeaderValue::from_static("Mozilla/5.0"));
    c.bench_function("cache key/CachingOptimized", |b| {
        b.iter(|| {
            let ae = normalize_accept_encoding(policy, &h, Version::HTTP_11);
            cache_key(
                policy,
                &Method::GET,
                black_box("/static/app.js"),
                Some("v=3"),
                &h,
                ae,
            )
        })
    });
    let mut resp = HeaderMap::new();
    resp.insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=3600, stale-while-revalidate=60"),
    );
    let now = SystemTime::now();
    c.bench_function("ttl/decide max-age", |b| {
        b.iter(|| {
            freshness::decide(
                policy,
                StatusCode::OK,
                black_box(&resp),
                now,
                Duration::from_secs(10),
            )
        })
    });
}

fn pipeline_hit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let edge = Edge::new(Arc::new(config_with_behaviours(10)));
    let conn = ConnInfo {
        client_addr: "127.0.0.1:5000".parse().unwrap(),
        protocol: ViewerProtocol::Http,
    };
    let req = || {
        Request::get("/index.html")
            .header("host", "localhost")
            .body(EdgeBody::empty())
            .unwrap()
    };
    rt.block_on(edge.handle(req(), conn));
    c.bench_function("pipeline/in-process cache hit", |b| {
        b.iter(|| rt.block_on(edge.handle(req(), conn)))
    });
}

criterion_group!(benches, behaviour_matching, key_and_ttl, pipeline_hit);
criterion_main!(benches);
