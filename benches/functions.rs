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
//!
//! Your own function: `BENCH_FUNCTION=path/to/index.js BENCH_EVENT=path/to/event.json`
//! (an event in the test-function format; `BENCH_RUNTIME=cloudfront-js-1.0`
//! for 1.0) adds the case `custom/<event file name>` after the examples;
//! `cargo bench --bench functions -- custom` runs it alone.

#![allow(clippy::expect_used, clippy::print_stdout, reason = "bench harness")]

/// The binary's allocator, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
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
    let examples = [
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
    let mut cases: Vec<Case> = examples
        .into_iter()
        .map(|(name, case)| {
            let dir = root.join(name);
            Case {
                label: format!("{name}/{case}"),
                code: dir.join("index.js"),
                kvs: Some(dir.join("kvs.json")).filter(|k| k.is_file()),
                event: match case.strip_prefix("fixture:") {
                    Some(fixture) => Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("benches/fixtures/events")
                        .join(format!("{fixture}.json")),
                    None => dir.join("events").join(format!("{case}.json")),
                },
                dialect: Dialect::CloudFrontJs2,
            }
        })
        .collect();
    if let (Ok(code), Ok(event)) = (
        std::env::var("BENCH_FUNCTION"),
        std::env::var("BENCH_EVENT"),
    ) {
        let event = PathBuf::from(event);
        let stem = event
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        cases.push(Case {
            label: format!("custom/{stem}"),
            code: code.into(),
            kvs: None,
            event,
            dialect: std::env::var("BENCH_RUNTIME").map_or(Dialect::CloudFrontJs2, |r| {
                Dialect::parse(&r).expect("BENCH_RUNTIME is cloudfront-js-1.0 or cloudfront-js-2.0")
            }),
        });
    }
    let count: Option<(usize, String)> = std::env::var("COUNT")
        .ok()
        .map(|n| n.parse().expect("COUNT is a number"))
        .zip(std::env::var("COUNT_CASE").ok());
    let mut group = c.benchmark_group("invoke");
    for case in cases {
        let code = std::fs::read_to_string(&case.code).expect("the function's code");
        let kvs = case
            .kvs
            .map(|k| Arc::new(KeyValueStore::load("kvs", &k, "kvs").expect("kvs.json")));
        let f = CloudFrontFunction::from_code(
            &case.label,
            &code,
            case.dialect,
            kvs,
            Duration::from_secs(1),
        )
        .expect("function compiles");
        let label = case.label;
        let text = std::fs::read_to_string(&case.event).expect("event");
        let event = parse_event(&text, None).expect("event parses");
        // Warm the engine (realm lockdown and compilation happen once per thread).
        let warm = f.run_event(&event, None, BudgetMode::ReportOnly);
        assert!(warm.result.is_ok(), "{label}: {:?}", warm.result.err());
        if let Some((n, wanted)) = &count {
            if *wanted == label {
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
            "{label}: median {:.1} µs, p99 {:.1} µs",
            samples[samples.len() / 2].as_secs_f64() * 1e6,
            samples[samples.len() * 99 / 100].as_secs_f64() * 1e6
        );
        group.bench_function(&label, |b| {
            b.iter(|| f.run_event(&event, None, BudgetMode::ReportOnly));
        });
    }
    group.finish();
}

/// A function, its event and its runtime.
struct Case {
    label: String,
    code: PathBuf,
    kvs: Option<PathBuf>,
    event: PathBuf,
    dialect: Dialect,
}

criterion_group!(benches, bench);
criterion_main!(benches);
