//! Per-request cost of the native edge rules.
//!
//! Targets (median, release): HS256 ≤ 5 µs, RS256 ≤ 60 µs per request;
//! redirect lookup in a 50,000-entry table ≤ 1 µs for exact and prefix hits.
//!
//! `cargo bench --bench rules -- --warm-up-time 1 --measurement-time 3`

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "bench setup fails loudly"
)]

/// The binary's allocator, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use cfedge::config::file::FileConfig;
use cfedge::viewer::{ViewerProtocol, ViewerRequest};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue, Method, Version};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

fn request(path: &str, authorization: Option<&str>) -> ViewerRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::HOST,
        HeaderValue::from_static("d111.cloudfront.net"),
    );
    if let Some(a) = authorization {
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(a).unwrap(),
        );
    }
    ViewerRequest {
        method: Method::GET,
        version: Version::HTTP_11,
        protocol: ViewerProtocol::Https,
        uri: path.to_owned(),
        querystring: Some("a=1".into()),
        headers,
        client_addr: SocketAddr::from(([192, 0, 2, 1], 4000)),
    }
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn jwt(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let claims = serde_json::json!({"sub": "user-1", "exp": 1_800_000_600u64, "iss": "https://auth.example", "aud": "api"});
    let rsa = std::fs::read(fixtures().join("keys/rsa_private.pem")).unwrap();
    let cases = [
        (
            "hs256",
            "algorithm = \"HS256\"\nsecret = \"bench-secret\"",
            Algorithm::HS256,
            EncodingKey::from_secret(b"bench-secret"),
        ),
        (
            "rs256",
            "algorithm = \"RS256\"\npublic_key_file = \"keys/rsa_public.pem\"",
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(&rsa).unwrap(),
        ),
    ];
    for (name, key_toml, alg, enc) in cases {
        let toml = format!(
            "[jwt_rules.b]\n{key_toml}\nissuer = \"https://auth.example\"\naudience = \"api\"\nforward_claims = {{ sub = \"x-user-id\" }}\n"
        );
        let file: FileConfig = toml::from_str(&toml).unwrap();
        let rule = cfedge::rules::jwt::build(&file.jwt_rules, &fixtures())
            .unwrap()
            .get("b")
            .unwrap();
        let token = encode(&Header::new(alg), &claims, &enc).unwrap();
        let req = request("/api/x", Some(&format!("Bearer {token}")));
        assert!(rule.apply(&mut req.clone(), now).is_ok());
        c.bench_function(&format!("jwt_{name}_verify_request"), |b| {
            b.iter_batched_ref(
                || req.clone(),
                |r| black_box(rule.apply(r, black_box(now)).is_ok()),
                criterion::BatchSize::SmallInput,
            )
        });
    }
}

fn redirects(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("from,to,match\n");
    for i in 0..25_000 {
        csv.push_str(&format!("/old/catalogue/page-{i},/new/page-{i},exact\n"));
        csv.push_str(&format!("/section-{i}/,/s/{i}/,prefix\n"));
    }
    std::fs::write(dir.path().join("big.csv"), csv).unwrap();
    let file: FileConfig = toml::from_str("[redirect_rules.t]\nfile = \"big.csv\"\n").unwrap();
    let table = cfedge::rules::redirect::build(&file.redirect_rules, dir.path())
        .unwrap()
        .get("t")
        .unwrap();
    for (name, path) in [
        ("exact", "/old/catalogue/page-17321"),
        ("prefix", "/section-17321/deep/path/to/a/page.html"),
        ("miss", "/not/in/the/table/at/all.html"),
    ] {
        let req = request(path, None);
        assert_eq!(table.lookup(&req).is_some(), name != "miss");
        c.bench_function(&format!("redirect_50k_{name}"), |b| {
            b.iter(|| black_box(table.lookup(black_box(&req)).is_some()))
        });
    }
}

criterion_group!(benches, jwt, redirects);
criterion_main!(benches);
