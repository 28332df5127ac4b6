//! Edge compression, as CloudFront does it (spec §8).
//!
//! The pipeline calls two pure functions when it is about to store an
//! origin response in the cache:
//!
//! 1. [`plan`] decides whether the response gets compressed, and with which
//!    encoding (Brotli preferred over gzip when the viewer accepts both).
//! 2. [`apply`] (or [`apply_offloaded`] in async code) compresses the body
//!    and rewrites the headers
//!    (`Content-Encoding`, `Content-Length`, `ETag` made weak, `Vary:
//!    Accept-Encoding`).
//!
//! What gets cached is the compressed variant, under the cache key built
//! from the *normalised* `Accept-Encoding` (`cache::key::normalize_accept_encoding`),
//! so a later viewer with the same normalised value gets the same bytes.
//!
//! ```
//! use bytes::Bytes;
//! use cfedge::cache::key::AcceptEncoding;
//! use cfedge::compression::{self, Encoding, PlanInput};
//! use http::{HeaderMap, StatusCode};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("content-type", "text/html; charset=utf-8".parse().unwrap());
//! headers.insert("content-length", "2000".parse().unwrap());
//! let body = Bytes::from(vec![b'a'; 2000]);
//! let input = PlanInput {
//!     behavior_compress: true,
//!     accept_encoding: AcceptEncoding::BrGzip,
//!     status: StatusCode::OK,
//! };
//! let enc = compression::plan(&input, &headers, body.len());
//! assert_eq!(enc, Some(Encoding::Brotli));
//! let compressed = compression::apply(Encoding::Brotli, &mut headers, body);
//! assert!(compressed.len() < 2000);
//! assert_eq!(headers["content-encoding"], "br");
//! ```

use std::io::Write;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, VARY};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::cache::key::AcceptEncoding;

/// Smallest compressible `Content-Length` (spec §8).
pub const MIN_SIZE: u64 = 1_000;
/// Largest compressible `Content-Length` (spec §8).
pub const MAX_SIZE: u64 = 10_000_000;

/// gzip level 4: on real text within 1–3 % of level 6's size at half its
/// CPU (`benches/compression.rs`: 100 KB in 2.7 ms vs 6.1 ms).
pub const GZIP_LEVEL: u32 = 4;
/// Brotli quality 5: the lowest quality that beats gzip on size (qualities
/// 3–4 come out larger than gzip 4 on real text); about 2x gzip 4's CPU.
/// Objects are compressed once, when stored, and large ones off the I/O
/// threads ([`apply_offloaded`]).
pub const BROTLI_QUALITY: u32 = 5;
/// Bodies up to this size are compressed inline (well under a millisecond);
/// larger ones on tokio's blocking pool.
pub const INLINE_MAX: usize = 32 * 1024;
/// Brotli window (log2), the encoder's default.
const BROTLI_LGWIN: u32 = 22;

/// The media types CloudFront compresses (spec §8), sorted for binary search.
const COMPRESSIBLE: &[&str] = &[
    "application/dash+xml",
    "application/eot",
    "application/font",
    "application/font-sfnt",
    "application/javascript",
    "application/json",
    "application/opentype",
    "application/otf",
    "application/pdf",
    "application/pkcs7-mime",
    "application/protobuf",
    "application/rss+xml",
    "application/truetype",
    "application/ttf",
    "application/vnd.apple.mpegurl",
    "application/vnd.mapbox-vector-tile",
    "application/vnd.ms-fontobject",
    "application/wasm",
    "application/x-font-opentype",
    "application/x-font-truetype",
    "application/x-font-ttf",
    "application/x-httpd-cgi",
    "application/x-javascript",
    "application/x-mpegurl",
    "application/x-opentype",
    "application/x-otf",
    "application/x-perl",
    "application/x-ttf",
    "application/xhtml+xml",
    "application/xml",
    "font/eot",
    "font/opentype",
    "font/otf",
    "font/ttf",
    "image/svg+xml",
    "text/css",
    "text/csv",
    "text/html",
    "text/javascript",
    "text/js",
    "text/plain",
    "text/richtext",
    "text/tab-separated-values",
    "text/x-component",
    "text/x-java-source",
    "text/x-script",
    "text/xml",
    "vnd.apple.mpegurl",
];

/// A content encoding the edge produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` token.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }
}

/// Everything [`plan`] needs besides the origin response headers.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput {
    /// The behaviour's `compress` switch.
    pub behavior_compress: bool,
    /// The viewer's `Accept-Encoding` normalised under the cache policy
    /// (`cache::key::normalize_accept_encoding`): it already holds only the
    /// encodings both the policy enables and the viewer accepts, and is
    /// `Absent` for HTTP/1.0 viewers (spec §8).
    pub accept_encoding: AcceptEncoding,
    /// The origin response status.
    pub status: StatusCode,
}

/// Whether to compress this origin response, and how (spec §8). All of:
/// behaviour `compress`, an encoding enabled in the cache policy and
/// accepted by the viewer (Brotli preferred), viewer not HTTP/1.0, no
/// `Content-Encoding` at all, a valid `Content-Length` in 1,000..=10,000,000
/// equal to the body length (`body_len`; a HEAD response has no body),
/// status 200/403/404, and a listed media type (parameters ignored).
pub fn plan(input: &PlanInput, headers: &HeaderMap, body_len: usize) -> Option<Encoding> {
    if !input.behavior_compress {
        return None;
    }
    let encoding = match input.accept_encoding {
        AcceptEncoding::Br | AcceptEncoding::BrGzip => Encoding::Brotli,
        AcceptEncoding::Gzip => Encoding::Gzip,
        AcceptEncoding::Absent | AcceptEncoding::Identity => return None,
    };
    if !matches!(input.status.as_u16(), 200 | 403 | 404) {
        return None;
    }
    if headers.contains_key(CONTENT_ENCODING) {
        return None;
    }
    let len = content_length(headers)?;
    if !(MIN_SIZE..=MAX_SIZE).contains(&len) || u64::try_from(body_len).ok() != Some(len) {
        return None;
    }
    let ct = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    is_compressible_type(ct).then_some(encoding)
}

/// One valid `Content-Length` (a single field of ASCII digits).
fn content_length(headers: &HeaderMap) -> Option<u64> {
    let mut values = headers.get_all(CONTENT_LENGTH).iter();
    let v = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let s = v.to_str().ok()?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Whether a `Content-Type` is in CloudFront's list, by media type only
/// (case-insensitive, parameters such as `charset` ignored: spec §8 leaves
/// this unstated; this is the safe reading).
pub fn is_compressible_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let lower = media.to_ascii_lowercase();
    COMPRESSIBLE.binary_search(&lower.as_str()).is_ok()
}

/// Compress `body` with `encoding` and rewrite `headers` to match:
/// `Content-Encoding`, `Content-Length`, `ETag` ([`weaken_etag`]) and
/// `Vary: Accept-Encoding` ([`add_vary_accept_encoding`]).
///
/// Compression into memory cannot fail; should the encoder ever report an
/// error, the body and headers are returned unchanged (CloudFront's
/// compression is best effort, spec §8).
pub fn apply(encoding: Encoding, headers: &mut HeaderMap, body: Bytes) -> Bytes {
    let compressed = compress(encoding, &body);
    finish(encoding, headers, body, compressed)
}

/// [`apply`], with bodies over [`INLINE_MAX`] compressed on tokio's blocking
/// pool so a large object never stalls the I/O threads.
pub async fn apply_offloaded(encoding: Encoding, headers: &mut HeaderMap, body: Bytes) -> Bytes {
    if body.len() <= INLINE_MAX {
        return apply(encoding, headers, body);
    }
    let input = body.clone();
    let result = tokio::task::spawn_blocking(move || compress(encoding, &input))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    finish(encoding, headers, body, result)
}

fn finish(
    encoding: Encoding,
    headers: &mut HeaderMap,
    original: Bytes,
    compressed: std::io::Result<Vec<u8>>,
) -> Bytes {
    let compressed = match compressed {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "compression failed; serving uncompressed");
            return original;
        }
    };
    headers.insert(
        CONTENT_ENCODING,
        HeaderValue::from_static(encoding.as_str()),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(compressed.len()));
    weaken_etag(headers);
    add_vary_accept_encoding(headers);
    Bytes::from(compressed)
}

/// Compress a body with the levels above.
pub fn compress(encoding: Encoding, body: &[u8]) -> std::io::Result<Vec<u8>> {
    match encoding {
        Encoding::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 3 + 64),
                flate2::Compression::new(GZIP_LEVEL),
            );
            enc.write_all(body)?;
            enc.finish()
        }
        Encoding::Brotli => {
            let mut out = Vec::with_capacity(body.len() / 3 + 64);
            {
                let mut w =
                    brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_LGWIN);
                w.write_all(body)?;
                w.flush()?;
            }
            Ok(out)
        }
    }
}

/// ETag conversion on compression (spec §8): a strong `"…"` becomes weak
/// `W/"…"`, a weak one is kept, anything else is removed.
pub fn weaken_etag(headers: &mut HeaderMap) {
    let Some(v) = headers.get(ETAG) else {
        return;
    };
    let bytes = v.as_bytes();
    if bytes.starts_with(b"W/") {
        return;
    }
    if bytes.starts_with(b"\"") {
        let mut weak = Vec::with_capacity(bytes.len() + 2);
        weak.extend_from_slice(b"W/");
        weak.extend_from_slice(bytes);
        match HeaderValue::from_bytes(&weak) {
            Ok(w) => {
                headers.insert(ETAG, w);
            }
            Err(_) => {
                headers.remove(ETAG);
            }
        }
    } else {
        headers.remove(ETAG);
    }
}

/// Make sure `Vary` names `Accept-Encoding` on a compressed response, keeping
/// what the origin listed (choice: CloudFront's compressed responses carry
/// `Vary: Accept-Encoding`; the docs do not spell out the merge). `Vary: *`
/// is left alone.
pub fn add_vary_accept_encoding(headers: &mut HeaderMap) {
    let mut present = false;
    for v in headers.get_all(VARY) {
        let Ok(s) = v.to_str() else { continue };
        for token in s.split(',') {
            let t = token.trim();
            if t == "*" || t.eq_ignore_ascii_case("accept-encoding") {
                present = true;
            }
        }
    }
    if !present {
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    fn input() -> PlanInput {
        PlanInput {
            behavior_compress: true,
            accept_encoding: AcceptEncoding::BrGzip,
            status: StatusCode::OK,
        }
    }

    fn policy(gzip: bool, br: bool) -> crate::config::CachePolicy {
        crate::config::CachePolicy {
            name: "test".into(),
            id: None,
            min_ttl: 0,
            default_ttl: 86400,
            max_ttl: 31536000,
            query_strings: crate::config::ListBehavior::None,
            headers: vec![],
            cookies: crate::config::ListBehavior::None,
            accept_encoding_gzip: gzip,
            accept_encoding_brotli: br,
        }
    }

    /// The plan for a viewer `Accept-Encoding`, through the cache key's normalisation.
    fn plan_for(
        gzip: bool,
        br: bool,
        version: http::Version,
        ae: Option<&str>,
    ) -> Option<Encoding> {
        let mut viewer = HeaderMap::new();
        if let Some(v) = ae {
            viewer.insert(http::header::ACCEPT_ENCODING, hv(v));
        }
        let accept_encoding =
            crate::cache::key::normalize_accept_encoding(&policy(gzip, br), &viewer, version);
        let i = PlanInput {
            accept_encoding,
            ..input()
        };
        plan(&i, &headers("text/html", 5000), 5000)
    }

    fn headers(ct: &str, len: usize) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, hv(ct));
        h.insert(CONTENT_LENGTH, HeaderValue::from(len));
        h
    }

    #[test]
    fn list_is_sorted_for_binary_search() {
        let mut sorted = COMPRESSIBLE.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, COMPRESSIBLE);
        assert_eq!(COMPRESSIBLE.len(), 48);
    }

    #[test]
    fn brotli_preferred_when_both() {
        assert_eq!(
            plan_for(
                true,
                true,
                http::Version::HTTP_11,
                Some("gzip, deflate, br")
            ),
            Some(Encoding::Brotli)
        );
        assert_eq!(
            plan_for(true, true, http::Version::HTTP_11, Some("br")),
            Some(Encoding::Brotli)
        );
    }

    #[test]
    fn gzip_when_viewer_only_gzip_or_policy_only_gzip() {
        assert_eq!(
            plan_for(true, true, http::Version::HTTP_11, Some("gzip, deflate")),
            Some(Encoding::Gzip)
        );
        assert_eq!(
            plan_for(true, false, http::Version::HTTP_11, Some("gzip, br")),
            Some(Encoding::Gzip)
        );
    }

    #[test]
    fn nothing_when_no_common_encoding() {
        assert_eq!(
            plan_for(
                true,
                true,
                http::Version::HTTP_11,
                Some("deflate, identity")
            ),
            None
        );
        assert_eq!(plan_for(true, true, http::Version::HTTP_11, None), None);
        assert_eq!(
            plan_for(false, false, http::Version::HTTP_11, Some("gzip, br")),
            None
        );
        assert_eq!(
            plan_for(true, false, http::Version::HTTP_11, Some("br")),
            None
        );
        assert_eq!(
            plan_for(true, true, http::Version::HTTP_11, Some("gzip;q=0")),
            None
        );
    }

    #[test]
    fn behaviour_switch_off_means_no_compression() {
        let mut i = input();
        i.behavior_compress = false;
        assert_eq!(plan(&i, &headers("text/html", 5000), 5000), None);
    }

    #[test]
    fn http10_viewer_never() {
        assert_eq!(
            plan_for(true, true, http::Version::HTTP_10, Some("gzip, br")),
            None
        );
        assert_eq!(
            plan_for(true, true, http::Version::HTTP_2, Some("gzip, br")),
            Some(Encoding::Brotli)
        );
    }

    #[test]
    fn any_content_encoding_blocks() {
        for ce in ["gzip", "identity", "", "br"] {
            let mut h = headers("text/html", 5000);
            h.insert(CONTENT_ENCODING, hv(ce));
            assert_eq!(plan(&input(), &h, 5000), None, "{ce:?}");
        }
    }

    #[test]
    fn size_bounds_inclusive() {
        for (len, expect) in [
            (999, false),
            (1_000, true),
            (10_000_000, true),
            (10_000_001, false),
        ] {
            assert_eq!(
                plan(&input(), &headers("text/plain", len), len).is_some(),
                expect,
                "{len}"
            );
        }
    }

    #[test]
    fn content_length_must_be_valid_and_match_body() {
        let mut h = headers("text/plain", 5000);
        h.remove(CONTENT_LENGTH);
        assert_eq!(plan(&input(), &h, 5000), None, "missing");
        for bad in ["abc", "-5000", "+5000", " ", "5000.0"] {
            h.insert(CONTENT_LENGTH, hv(bad));
            assert_eq!(plan(&input(), &h, 5000), None, "{bad:?}");
        }
        let mut h = headers("text/plain", 5000);
        h.append(CONTENT_LENGTH, hv("5000"));
        assert_eq!(plan(&input(), &h, 5000), None, "repeated");
        // A HEAD response: Content-Length but no body.
        assert_eq!(plan(&input(), &headers("text/plain", 5000), 0), None);
    }

    #[test]
    fn statuses() {
        for (code, expect) in [
            (200, true),
            (403, true),
            (404, true),
            (206, false),
            (301, false),
            (500, false),
            (203, false),
        ] {
            let mut i = input();
            i.status = StatusCode::from_u16(code).unwrap();
            assert_eq!(
                plan(&i, &headers("text/html", 5000), 5000).is_some(),
                expect,
                "{code}"
            );
        }
    }

    #[test]
    fn content_types_by_media_type() {
        for ct in [
            "text/html; charset=utf-8",
            "TEXT/HTML",
            "application/json",
            "application/wasm",
            "application/pdf",
            "image/svg+xml",
            "vnd.apple.mpegurl",
            " text/css ; charset=x",
        ] {
            assert!(is_compressible_type(ct), "{ct}");
        }
        for ct in [
            "image/png",
            "text/htmlx",
            "application/octet-stream",
            "",
            "application/json-seq",
            "video/mp4",
        ] {
            assert!(!is_compressible_type(ct), "{ct}");
        }
        let mut h = headers("text/html", 5000);
        h.remove(CONTENT_TYPE);
        assert_eq!(plan(&input(), &h, 5000), None, "no content type");
    }

    #[test]
    fn etag_conversion() {
        let run = |e: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(e) = e {
                h.insert(ETAG, hv(e));
            }
            weaken_etag(&mut h);
            h.get(ETAG).map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(run(Some("\"abc\"")).as_deref(), Some("W/\"abc\""));
        assert_eq!(run(Some("W/\"abc\"")).as_deref(), Some("W/\"abc\""));
        assert_eq!(run(Some("abc")), None);
        assert_eq!(run(Some("w/\"abc\"")), None);
        assert_eq!(run(None), None);
    }

    #[test]
    fn vary_merge() {
        let run = |vals: &[&str]| {
            let mut h = HeaderMap::new();
            for v in vals {
                h.append(VARY, hv(v));
            }
            add_vary_accept_encoding(&mut h);
            h.get_all(VARY)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(&[]), ["Accept-Encoding"]);
        assert_eq!(run(&["Origin"]), ["Origin", "Accept-Encoding"]);
        assert_eq!(
            run(&["origin, accept-encoding"]),
            ["origin, accept-encoding"]
        );
        assert_eq!(run(&["*"]), ["*"]);
    }

    fn gunzip(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(b)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn unbrotli(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(b, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn apply_round_trips_and_rewrites_headers() {
        let text: Vec<u8> = (0..4000u32)
            .flat_map(|i| format!("line {i} of text\n").into_bytes())
            .collect();
        for enc in [Encoding::Gzip, Encoding::Brotli] {
            let mut h = headers("text/plain", text.len());
            h.insert(ETAG, hv("\"v1\""));
            let out = apply(enc, &mut h, Bytes::from(text.clone()));
            assert!(out.len() < text.len() / 3);
            let back = match enc {
                Encoding::Gzip => gunzip(&out),
                Encoding::Brotli => unbrotli(&out),
            };
            assert_eq!(back, text);
            assert_eq!(h[CONTENT_ENCODING], enc.as_str());
            assert_eq!(h[CONTENT_LENGTH], out.len().to_string().as_str());
            assert_eq!(h[ETAG], "W/\"v1\"");
            assert_eq!(h[VARY], "Accept-Encoding");
        }
    }

    #[tokio::test]
    async fn large_bodies_are_compressed_off_thread_with_the_same_result() {
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("row {i}\n").into_bytes())
            .collect();
        assert!(text.len() > INLINE_MAX);
        let mut h1 = headers("text/plain", text.len());
        let mut h2 = h1.clone();
        let inline = apply(Encoding::Brotli, &mut h1, Bytes::from(text.clone()));
        let offloaded = apply_offloaded(Encoding::Brotli, &mut h2, Bytes::from(text.clone())).await;
        assert_eq!(inline, offloaded);
        assert_eq!(h1, h2);
        assert_eq!(unbrotli(&offloaded), text);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn compress_round_trips(data in proptest::collection::vec(any::<u8>(), 0..5000)) {
                prop_assert_eq!(gunzip(&compress(Encoding::Gzip, &data).unwrap()), data.clone());
                prop_assert_eq!(unbrotli(&compress(Encoding::Brotli, &data).unwrap()), data);
            }

        }
    }
}
