//! Per-invocation overhead of the two Lambda@Edge runtimes for a trivial
//! viewer-request handler that returns the request unchanged: build the
//! event, hand it to the runtime (a boa worker thread, or a warm `node`
//! process over JSON lines), read the result back and validate it.
//! Targets: embedded median ≤ 50 µs, nodejs round trip median ≤ 300 µs.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench setup")]

/// The binary's allocator, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cfedge::js::lambda_runtime::{InvokeInfo, LambdaEngine};
use cfedge::lambda_edge::{event, EventConfig, EventType, LambdaFunction, LambdaSpec, RuntimeKind};
use cfedge::viewer::{ViewerProtocol, ViewerRequest};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue};

const HANDLER: &str = "exports.handler = async (event) => event.Records[0].cf.request;\n";

fn request() -> ViewerRequest {
    let mut headers = HeaderMap::new();
    for (n, v) in [
        ("host", "www.example.com"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0",
        ),
        ("accept", "text/html,application/xhtml+xml"),
        ("accept-language", "en-US,en;q=0.5"),
        ("accept-encoding", "gzip, deflate, br"),
        ("cookie", "session=abc123; theme=dark"),
    ] {
        headers.insert(n, HeaderValue::from_static(v));
    }
    ViewerRequest {
        method: http::Method::GET,
        version: http::Version::HTTP_11,
        protocol: ViewerProtocol::Https,
        uri: "/index.html".into(),
        querystring: Some("a=1&b=2".into()),
        headers,
        client_addr: "203.0.113.9:50000".parse().unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("index.js");
    std::fs::write(&file, HANDLER).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cx = EventConfig {
        distribution_domain_name: "d1.cloudfront.net",
        distribution_id: "EDIST",
        request_id: "bench",
    };
    let req = request();
    let mut group = c.benchmark_group("lambda_viewer_request_passthrough");
    for runtime in [RuntimeKind::Embedded, RuntimeKind::Nodejs] {
        let mut spec = LambdaSpec::new("bench", &file, runtime);
        spec.workers = 1;
        let f = LambdaFunction::start(spec).unwrap();
        rt.block_on(f.warm()).unwrap();
        // First call builds the engine / loads the module.
        rt.block_on(f.viewer_request(&cx, &req, None)).unwrap();
        group.bench_function(runtime.as_str(), |b| {
            b.iter(|| black_box(rt.block_on(f.viewer_request(&cx, &req, None)).unwrap()))
        });
    }
    group.finish();

    // The boa engine alone on a ready event (no event building, thread
    // hand-off or validation): what the embedded runtime's overhead is made of.
    let mut engine = LambdaEngine::new(HANDLER, "handler").unwrap();
    let request = event::request_json(EventType::ViewerRequest, &req, None, None);
    let ev = event::event_json(EventType::ViewerRequest, &cx, request, None);
    let info = InvokeInfo {
        function_name: "bench".into(),
        request_id: "bench".into(),
    };
    c.bench_function("lambda_embedded_engine_only", |b| {
        b.iter(|| {
            let deadline = Instant::now() + Duration::from_secs(5);
            black_box(engine.invoke(&ev, &info, deadline))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
