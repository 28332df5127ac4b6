//! CloudFront Functions invocation latency on a warm engine: event build,
//! handler call and result read, for each example in `functions/`.
//! Targets: simple functions ≤ 20 µs median (p99 ≤ 100 µs), HS256 JWT ≤ 60 µs.
//!
//! `cargo bench --bench functions -- --warm-up-time 1 --measurement-time 3`
//!
//! Counting mode, for instruction counts that do not move with the machine's
//! load: with `COUNT=N COUNT_CASE=<name>/<case>` the bench only runs that
//! case N times, untimed. Under callgrind, the difference between two counts
//! (say N = 1,000 and 5,000) divided by 4,000 is the cost of one invocation:
//!
//! ```sh
//! BIN=$(cargo bench --bench functions --no-run 2>&1 | grep -o 'target/release/deps/functions-[0-9a-f]*')
//! for n in 1000 5000; do COUNT=$n COUNT_CASE=cache-key-normalize/sorted-and-filtered \
//!   valgrind --tool=callgrind --child-silent-after-fork=yes --callgrind-out-file=/dev/null \
//!   $BIN --bench 2>&1 | grep refs; done
//! ```

#![allow(clippy::expect_used, clippy::print_stdout, reason = "bench harness")]

/// The binary's allocator, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cfedge::cloudfront_functions::kvs::KeyValueStore;
use cfedge::cloudfront_functions::test::parse_event;
use cfedge::cloudfront_functions::BudgetMode;
use cfedge::cloudfront_functions::CloudFrontFunction;
use cfedge::js::Dialect;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("functions");
    // A case is a function and an event: `functions/<name>/events/<case>.json`,
    // or a path under `benches/fixtures/events/` (realistic browser headers and
    // a cache hit's response headers, as the load test sees them).
    let cases = [
        ("rewrite-index", "fixture:browser-request"),
        ("rewrite-index", "fixture:cache-hit-response"),
        ("security-headers", "fixture:cache-hit-response"),
        ("spa-rewrite", "directory"),
        ("rewrite-index", "request-dir"),
        ("rewrite-index", "response-header"),
        ("security-headers", "adds-headers"),
        ("redirect-by-country", "germany-redirects"),
        ("cache-key-normalize", "sorted-and-filtered"),
        ("ab-test-cookie", "assigned-by-ip"),
        ("kvs-redirects", "permanent"),
        ("jwt-hs256", "valid-bearer"),
        ("jwt-hs256", "forged"),
    ];
    let count: Option<(usize, String)> = std::env::var("COUNT")
        .ok()
        .map(|n| n.parse().expect("COUNT is a number"))
        .zip(std::env::var("COUNT_CASE").ok());
    let mut group = c.benchmark_group("invoke");
    for (name, case) in cases {
        let dir = root.join(name);
        let code = std::fs::read_to_string(dir.join("index.js")).expect("index.js");
        let kvs = dir.join("kvs.json");
        let kvs = kvs
            .is_file()
            .then(|| Arc::new(KeyValueStore::load("kvs", &kvs, "kvs").expect("kvs.json")));
        let f = CloudFrontFunction::from_code(
            name,
            &code,
            Dialect::CloudFrontJs2,
            kvs,
            Duration::from_secs(1),
        )
        .expect("function compiles");
        let event_file = match case.strip_prefix("fixture:") {
            Some(fixture) => Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("benches/fixtures/events")
                .join(format!("{fixture}.json")),
            None => dir.join("events").join(format!("{case}.json")),
        };
        let text = std::fs::read_to_string(event_file).expect("event");
        let event = parse_event(&text, None).expect("event parses");
        // Warm the engine (realm lockdown and compilation happen once per thread).
        assert!(f
            .run_event(&event, None, BudgetMode::ReportOnly)
            .result
            .is_ok());
        if let Some((n, wanted)) = &count {
            if *wanted == format!("{name}/{case}") {
                for _ in 0..*n {
                    std::hint::black_box(f.run_event(&event, None, BudgetMode::ReportOnly));
                }
            }
            continue;
        }
        // Median and p99 from individually timed calls (criterion reports the median only).
        let mut samples: Vec<Duration> = (0..5000)
            .map(|_| {
                let t = Instant::now();
                let r = f.run_event(&event, None, BudgetMode::ReportOnly);
                let d = t.elapsed();
                std::hint::black_box(r);
                d
            })
            .collect();
        samples.sort();
        println!(
            "{name}/{case}: median {:.1} µs, p99 {:.1} µs",
            samples[samples.len() / 2].as_secs_f64() * 1e6,
            samples[samples.len() * 99 / 100].as_secs_f64() * 1e6
        );
        group.bench_function(format!("{name}/{case}"), |b| {
            b.iter(|| f.run_event(&event, None, BudgetMode::ReportOnly));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
