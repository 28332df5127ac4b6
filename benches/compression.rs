//! Edge compression and range planning costs (spec §8).
//!
//! `cargo bench --bench compression -- --warm-up-time 1 --measurement-time 3`
//!
//! Compares the chosen levels with neighbours on 10 KB and 100 KB of real
//! text (this crate's sources), and prints the compressed sizes once.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench setup")]

/// The binary's allocator, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;

use bytes::Bytes;
use cfedge::compression::{self, Encoding};
use cfedge::range;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use http::{HeaderMap, HeaderValue};

/// Real text: this crate's own sources (about 110 KB), cut to `len`.
fn text(len: usize) -> Vec<u8> {
    const CORPUS: &[&str] = &[
        include_str!("../src/config/build.rs"),
        include_str!("../src/pipeline/mod.rs"),
        include_str!("../src/pipeline/cached.rs"),
        include_str!("../src/cache/key.rs"),
        include_str!("../src/cache/freshness.rs"),
        include_str!("../src/origin/mod.rs"),
    ];
    let all: Vec<u8> = CORPUS.iter().flat_map(|s| s.bytes()).collect();
    assert!(all.len() >= len, "corpus is {} bytes", all.len());
    all[..len].to_vec()
}

fn gzip(level: u32, data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(quality: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
        w.write_all(data).unwrap();
    }
    out
}

fn bench_compress(c: &mut Criterion) {
    for size in [10_000usize, 100_000] {
        let data = text(size);
        let sizes: Vec<String> = [1, 4, 6, 9]
            .iter()
            .map(|l| format!("gzip-{l}={}", gzip(*l, &data).len()))
            .chain(
                [1, 3, 4, 5, 6]
                    .iter()
                    .map(|q| format!("br-{q}={}", brotli(*q, &data).len())),
            )
            .collect();
        eprintln!("{size} bytes → {}", sizes.join(" "));

        let mut g = c.benchmark_group(format!("compress_{}k", size / 1000));
        g.throughput(Throughput::Bytes(size as u64));
        // What the edge runs: the chosen levels through the public API.
        g.bench_function("edge_gzip", |b| {
            b.iter(|| compression::compress(Encoding::Gzip, &data).unwrap())
        });
        g.bench_function("edge_brotli", |b| {
            b.iter(|| compression::compress(Encoding::Brotli, &data).unwrap())
        });
        for level in [1u32, 4, 6, 9] {
            g.bench_with_input(BenchmarkId::new("gzip", level), &level, |b, l| {
                b.iter(|| gzip(*l, &data))
            });
        }
        for q in [1u32, 3, 4, 5] {
            g.bench_with_input(BenchmarkId::new("brotli", q), &q, |b, q| {
                b.iter(|| brotli(*q, &data))
            });
        }
        g.finish();
    }
}

fn bench_apply(c: &mut Criterion) {
    // Plan + compress + header rewrite, as at cache-store time.
    let data = Bytes::from(text(10_000));
    let mut base = HeaderMap::new();
    base.insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    base.insert("content-length", HeaderValue::from(data.len()));
    base.insert("etag", HeaderValue::from_static("\"abc\""));
    let input = compression::PlanInput {
        behavior_compress: true,
        accept_encoding: cfedge::cache::key::AcceptEncoding::BrGzip,
        status: http::StatusCode::OK,
    };
    c.bench_function("plan_and_apply_brotli_10k", |b| {
        b.iter(|| {
            let mut h = base.clone();
            let enc = compression::plan(&input, &h, data.len()).unwrap();
            compression::apply(enc, &mut h, data.clone())
        })
    });
}

fn bench_range(c: &mut Criterion) {
    let body = Bytes::from(text(100_000));
    let len = body.len() as u64;
    let single = HeaderValue::from_static("bytes=1000-1999");
    let multi = HeaderValue::from_static("bytes=0-99,1000-1999,5000-5999,-100");
    let invalid = HeaderValue::from_static("bytes=500-900,100-200");
    c.bench_function("range_plan_single", |b| {
        b.iter(|| range::plan(Some(&single), len))
    });
    c.bench_function("range_plan_multi4", |b| {
        b.iter(|| range::plan(Some(&multi), len))
    });
    c.bench_function("range_plan_invalid", |b| {
        b.iter(|| range::plan(Some(&invalid), len))
    });
    c.bench_function("range_apply_single", |b| {
        let plan = range::plan(Some(&single), len);
        b.iter(|| {
            let mut h = HeaderMap::new();
            range::apply(&plan, &mut h, body.clone())
        })
    });
    c.bench_function("range_apply_multi4", |b| {
        let plan = range::plan(Some(&multi), len);
        b.iter(|| {
            let mut h = HeaderMap::new();
            h.insert("content-type", HeaderValue::from_static("text/html"));
            range::apply(&plan, &mut h, body.clone())
        })
    });
}

criterion_group!(benches, bench_compress, bench_apply, bench_range);
criterion_main!(benches);
