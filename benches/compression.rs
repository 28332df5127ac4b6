//! Edge compression and range planning costs (spec §8).
//!
//! `cargo bench --bench compression -- --warm-up-time 1 --measurement-time 3`
//!
//! Compares the chosen levels (gzip 6, Brotli 4) with neighbours on 10 KB and
//! 100 KB of HTML-like text, and prints the compressed sizes once.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench setup")]

use std::io::Write;

use bytes::Bytes;
use cfedge::compression::{self, Encoding};
use cfedge::range;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use http::{HeaderMap, HeaderValue};

/// Deterministic HTML-like text: tags and words drawn by a small LCG.
fn text(len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "edge",
        "cache",
        "origin",
        "viewer",
        "request",
        "response",
        "header",
        "policy",
        "distribution",
        "behavior",
        "function",
        "lambda",
        "compress",
        "range",
        "the",
        "a",
        "of",
        "and",
        "to",
        "in",
        "is",
        "for",
        "with",
        "on",
        "value",
        "key",
        "time",
        "status",
    ];
    let mut out = Vec::with_capacity(len + 64);
    let mut x: u32 = 12345;
    while out.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let w = WORDS[(x >> 16) as usize % WORDS.len()];
        match (x >> 8) % 16 {
            0 => out.extend_from_slice(b"\n<p class=\"body\">"),
            1 => out.extend_from_slice(b"</p>\n"),
            2 => write!(out, " <a href=\"/{w}/{}\">{w}</a>", x % 1000).unwrap(),
            _ => {
                out.push(b' ');
                out.extend_from_slice(w.as_bytes());
            }
        }
    }
    out.truncate(len);
    out
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
        let sizes: Vec<String> = [1, 6, 9]
            .iter()
            .map(|l| format!("gzip-{l}={}", gzip(*l, &data).len()))
            .chain(
                [1, 4, 5, 6]
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
        for level in [1u32, 9] {
            g.bench_with_input(BenchmarkId::new("gzip", level), &level, |b, l| {
                b.iter(|| gzip(*l, &data))
            });
        }
        for q in [1u32, 5, 6] {
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
