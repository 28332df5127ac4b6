//! Range requests served from a full cached object, as CloudFront does it
//! (spec §8, "Range GETs").
//!
//! - One satisfiable range: **206** with `Content-Range: bytes a-b/len`.
//! - Several ranges, ascending and not overlapping: **206** with a
//!   `multipart/byteranges` body, one part per range.
//! - Nothing satisfiable (every range starts at or beyond the end, or a
//!   `-0` suffix): **416** with `Content-Range: bytes */len` and no body.
//! - Syntax errors, overlapping or non-ascending ranges, other units:
//!   **200** with the full object (spec §8: "Range headers that aren't
//!   ascending, overlap, or are invalid get 200 with the full object").
//!
//! Two pure steps: [`plan`] reads the header against the object length,
//! [`apply`] builds the status, headers and body.
//!
//! ```
//! use bytes::Bytes;
//! use cfedge::range;
//! use http::{HeaderMap, StatusCode};
//!
//! let mut headers = HeaderMap::new();
//! let body = Bytes::from_static(b"0123456789");
//! let plan = range::plan(Some(&"bytes=2-4".parse().unwrap()), body.len() as u64);
//! let (status, out) = range::apply(&plan, &mut headers, body);
//! assert_eq!(status, StatusCode::PARTIAL_CONTENT);
//! assert_eq!(&out[..], b"234");
//! assert_eq!(headers["content-range"], "bytes 2-4/10");
//! ```

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};

/// One resolved byte range, both ends inclusive (`start <= end < len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Never true: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What to answer to a request on an object of a given length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangePlan {
    /// 200 with the whole object (no `Range`, or one CloudFront ignores).
    Full,
    /// 206 with one range.
    Single(ByteRange),
    /// 206 `multipart/byteranges`, ranges ascending and disjoint (two or more).
    Multi(Vec<ByteRange>),
    /// 416, `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// A range-spec as written, before it meets the object length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `a-b` or `a-` (`None` end).
    From(u64, Option<u64>),
    /// `-n`: the last n bytes.
    Suffix(u64),
}

/// Parse `bytes=…` into range-specs; `None` when the header is invalid.
fn parse(value: &str) -> Option<Vec<Spec>> {
    let (unit, set) = value.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for item in set.split(',') {
        let item = item.trim_matches(|c| c == ' ' || c == '\t');
        if item.is_empty() {
            // RFC 9110 §5.6.1: empty list elements are ignored.
            continue;
        }
        let (first, last) = item.split_once('-')?;
        let spec = if first.is_empty() {
            Spec::Suffix(digits(last)?)
        } else {
            let start = digits(first)?;
            let end = if last.is_empty() {
                None
            } else {
                Some(digits(last)?)
            };
            if end.is_some_and(|e| e < start) {
                return None;
            }
            Spec::From(start, end)
        };
        specs.push(spec);
    }
    (!specs.is_empty()).then_some(specs)
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Decide the answer for `Range` (the request header, if any) on an object
/// of `len` bytes. An empty object is always served whole (choice: a range
/// of nothing cannot be expressed in `Content-Range`).
pub fn plan(range: Option<&HeaderValue>, len: u64) -> RangePlan {
    let Some(specs) = range.and_then(|v| v.to_str().ok()).and_then(parse) else {
        return RangePlan::Full;
    };
    if len == 0 {
        return RangePlan::Full;
    }
    // Resolve against the length; `None` marks an unsatisfiable spec.
    let resolved: Vec<Option<ByteRange>> = specs
        .iter()
        .map(|s| match *s {
            Spec::From(start, _) if start >= len => None,
            Spec::From(start, end) => Some(ByteRange {
                start,
                end: end.map_or(len - 1, |e| e.min(len - 1)),
            }),
            Spec::Suffix(0) => None,
            Spec::Suffix(n) => Some(ByteRange {
                start: len - n.min(len),
                end: len - 1,
            }),
        })
        .collect();
    // Ascending and disjoint, judged on the ranges as written (start
    // positions; a suffix starts where it resolves, or at the end).
    let starts_ends: Vec<(u64, u64)> = specs
        .iter()
        .zip(&resolved)
        .map(|(s, r)| match (s, r) {
            (_, Some(r)) => (r.start, r.end),
            (Spec::From(start, end), None) => (*start, end.unwrap_or(u64::MAX)),
            (Spec::Suffix(_), None) => (len, len),
        })
        .collect();
    if starts_ends.windows(2).any(|w| w[1].0 <= w[0].1) {
        return RangePlan::Full;
    }
    let mut ranges: Vec<ByteRange> = resolved.into_iter().flatten().collect();
    match ranges.len() {
        0 => RangePlan::Unsatisfiable,
        1 => RangePlan::Single(ranges.remove(0)),
        _ => RangePlan::Multi(ranges),
    }
}

/// Build the response for `plan` from the full object: returns the status
/// and the body, and rewrites `headers` (the full object's headers:
/// `Content-Length`, `Content-Range`, and `Content-Type` for multipart).
pub fn apply(plan: &RangePlan, headers: &mut HeaderMap, body: Bytes) -> (StatusCode, Bytes) {
    let len = body.len() as u64;
    match plan {
        RangePlan::Full => (StatusCode::OK, body),
        RangePlan::Unsatisfiable => {
            headers.insert(CONTENT_RANGE, header(&format!("bytes */{len}")));
            headers.insert(CONTENT_LENGTH, HeaderValue::from(0u32));
            headers.remove(CONTENT_TYPE);
            (StatusCode::RANGE_NOT_SATISFIABLE, Bytes::new())
        }
        RangePlan::Single(r) => {
            let Some(part) = slice(&body, *r) else {
                return (StatusCode::OK, body);
            };
            headers.insert(CONTENT_RANGE, content_range(*r, len));
            headers.insert(CONTENT_LENGTH, HeaderValue::from(part.len()));
            (StatusCode::PARTIAL_CONTENT, part)
        }
        RangePlan::Multi(ranges) => {
            let boundary = boundary();
            let part_type = headers.get(CONTENT_TYPE).cloned();
            let total: u64 = ranges.iter().map(ByteRange::len).sum();
            let mut out = BytesMut::with_capacity(total as usize + ranges.len() * 96 + 64);
            for r in ranges {
                let Some(part) = slice(&body, *r) else {
                    return (StatusCode::OK, body);
                };
                out.extend_from_slice(b"\r\n--");
                out.extend_from_slice(boundary.as_bytes());
                out.extend_from_slice(b"\r\n");
                if let Some(ct) = &part_type {
                    out.extend_from_slice(b"Content-Type: ");
                    out.extend_from_slice(ct.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(
                    format!("Content-Range: bytes {}-{}/{len}\r\n\r\n", r.start, r.end).as_bytes(),
                );
                out.extend_from_slice(&part);
            }
            out.extend_from_slice(b"\r\n--");
            out.extend_from_slice(boundary.as_bytes());
            out.extend_from_slice(b"--\r\n");
            headers.remove(CONTENT_RANGE);
            headers.insert(
                CONTENT_TYPE,
                header(&format!("multipart/byteranges; boundary={boundary}")),
            );
            headers.insert(CONTENT_LENGTH, HeaderValue::from(out.len()));
            (StatusCode::PARTIAL_CONTENT, out.freeze())
        }
    }
}

/// `If-Range` (RFC 9110 §13.1.5): the range is served only when the
/// validator matches the object: an entity tag by strong comparison, or a
/// date equal to `Last-Modified`. Otherwise the full object is served.
/// No `If-Range` always allows the range.
pub fn if_range_allows(if_range: Option<&HeaderValue>, object: &HeaderMap) -> bool {
    let Some(v) = if_range else {
        return true;
    };
    let v = v.as_bytes();
    if v.starts_with(b"\"") {
        // Strong comparison: neither may be weak.
        return object
            .get(http::header::ETAG)
            .is_some_and(|e| e.as_bytes() == v);
    }
    if v.starts_with(b"W/") {
        return false;
    }
    let (Ok(date), Some(lm)) = (
        std::str::from_utf8(v).map(httpdate::parse_http_date),
        object.get(http::header::LAST_MODIFIED),
    ) else {
        return false;
    };
    let lm = lm.to_str().ok().map(httpdate::parse_http_date);
    matches!((date, lm), (Ok(d), Some(Ok(l))) if d == l)
}

fn slice(body: &Bytes, r: ByteRange) -> Option<Bytes> {
    let start = usize::try_from(r.start).ok()?;
    let end = usize::try_from(r.end).ok()?.checked_add(1)?;
    (start < end && end <= body.len()).then(|| body.slice(start..end))
}

fn content_range(r: ByteRange, len: u64) -> HeaderValue {
    header(&format!("bytes {}-{}/{len}", r.start, r.end))
}

/// Values built from digits and ASCII are always valid header values.
fn header(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A multipart boundary that cannot occur by chance in the body.
fn boundary() -> String {
    let n: u128 = rand::random();
    format!("CloudFront-{n:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(range: &str, len: u64) -> RangePlan {
        plan(Some(&HeaderValue::from_str(range).unwrap()), len)
    }

    fn r(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    #[test]
    fn single_ranges() {
        assert_eq!(p("bytes=0-0", 10), RangePlan::Single(r(0, 0)));
        assert_eq!(p("bytes=2-4", 10), RangePlan::Single(r(2, 4)));
        assert_eq!(p("bytes=5-", 10), RangePlan::Single(r(5, 9)));
        assert_eq!(
            p("bytes=5-100", 10),
            RangePlan::Single(r(5, 9)),
            "end clamped"
        );
        assert_eq!(p("bytes=-3", 10), RangePlan::Single(r(7, 9)));
        assert_eq!(
            p("bytes=-30", 10),
            RangePlan::Single(r(0, 9)),
            "suffix clamped"
        );
        assert_eq!(p("BYTES = 1-2", 10), RangePlan::Single(r(1, 2)));
        assert_eq!(
            p("bytes=1-2,", 10),
            RangePlan::Single(r(1, 2)),
            "empty element"
        );
    }

    #[test]
    fn multiple_ascending_disjoint_ranges() {
        assert_eq!(
            p("bytes=0-1, 3-4,-2", 10),
            RangePlan::Multi(vec![r(0, 1), r(3, 4), r(8, 9)])
        );
        assert_eq!(
            p("bytes=0-1,2-3", 10),
            RangePlan::Multi(vec![r(0, 1), r(2, 3)]),
            "adjacent"
        );
    }

    #[test]
    fn invalid_overlapping_or_descending_give_full() {
        for h in [
            "bytes=4-2",
            "bytes=abc",
            "bytes=1-2-3",
            "bytes=",
            "bytes=-",
            "items=0-1",
            "0-1",
            "bytes=+1-2",
            "bytes=1 -2",
            "bytes=99999999999999999999999-",
            "bytes=0-4,3-6",
            "bytes=5-6,0-1",
            "bytes=0-,2-3",
            "bytes=-5,0-1",
            "bytes=0-1,0-1",
        ] {
            assert_eq!(p(h, 10), RangePlan::Full, "{h}");
        }
        assert_eq!(plan(None, 10), RangePlan::Full);
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(p("bytes=10-", 10), RangePlan::Unsatisfiable);
        assert_eq!(p("bytes=10-20", 10), RangePlan::Unsatisfiable);
        assert_eq!(p("bytes=-0", 10), RangePlan::Unsatisfiable);
        assert_eq!(p("bytes=10-11,20-30", 10), RangePlan::Unsatisfiable);
        // One satisfiable range among unsatisfiable ones is served.
        assert_eq!(p("bytes=2-3,20-30", 10), RangePlan::Single(r(2, 3)));
        // Empty object: served whole.
        assert_eq!(p("bytes=0-1", 0), RangePlan::Full);
    }

    #[test]
    fn if_range_rules() {
        let mut obj = HeaderMap::new();
        obj.insert(http::header::ETAG, HeaderValue::from_static("\"v1\""));
        obj.insert(
            http::header::LAST_MODIFIED,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        let ok = |v: &str| if_range_allows(Some(&HeaderValue::from_str(v).unwrap()), &obj);
        assert!(if_range_allows(None, &obj));
        assert!(ok("\"v1\""));
        assert!(!ok("\"v2\""));
        assert!(!ok("W/\"v1\""), "weak tags never match");
        assert!(ok("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert!(!ok("Wed, 21 Oct 2015 07:28:01 GMT"));
        assert!(!ok("garbage"));
        let mut weak = HeaderMap::new();
        weak.insert(http::header::ETAG, HeaderValue::from_static("W/\"v1\""));
        assert!(!if_range_allows(
            Some(&HeaderValue::from_static("W/\"v1\"")),
            &weak
        ));
    }

    #[test]
    fn apply_single_and_416() {
        let body = Bytes::from_static(b"0123456789");
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        h.insert(CONTENT_LENGTH, HeaderValue::from(10u32));
        let (s, out) = apply(&p("bytes=-3", 10), &mut h, body.clone());
        assert_eq!(s, StatusCode::PARTIAL_CONTENT);
        assert_eq!(&out[..], b"789");
        assert_eq!(h[CONTENT_RANGE], "bytes 7-9/10");
        assert_eq!(h[CONTENT_LENGTH], "3");
        assert_eq!(h[CONTENT_TYPE], "text/plain");

        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let (s, out) = apply(&p("bytes=20-", 10), &mut h, body.clone());
        assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);
        assert!(out.is_empty());
        assert_eq!(h[CONTENT_RANGE], "bytes */10");
        assert_eq!(h[CONTENT_LENGTH], "0");

        let mut h = HeaderMap::new();
        let (s, out) = apply(&RangePlan::Full, &mut h, body.clone());
        assert_eq!((s, out), (StatusCode::OK, body));
        assert!(h.is_empty());
    }

    /// Parse a multipart/byteranges body back into (content-range, bytes).
    fn parse_multipart(h: &HeaderMap, body: &[u8]) -> Vec<(String, Vec<u8>)> {
        let ct = h[CONTENT_TYPE].to_str().unwrap();
        let boundary = ct.split("boundary=").nth(1).unwrap();
        let delim = format!("\r\n--{boundary}");
        let text = body.to_vec();
        let mut parts = Vec::new();
        let s = String::from_utf8_lossy(&text).into_owned();
        let mut chunks: Vec<&str> = s.split(delim.as_str()).collect();
        assert_eq!(chunks.remove(0), "", "body starts with a delimiter");
        assert_eq!(chunks.pop(), Some("--\r\n"), "closing delimiter");
        for c in chunks {
            let (head, data) = c.split_once("\r\n\r\n").unwrap();
            let cr = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Range: "))
                .unwrap()
                .to_owned();
            parts.push((cr, data.as_bytes().to_vec()));
        }
        parts
    }

    #[test]
    fn apply_multipart() {
        let body = Bytes::from_static(b"0123456789");
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let (s, out) = apply(&p("bytes=0-1,5-6", 10), &mut h, body);
        assert_eq!(s, StatusCode::PARTIAL_CONTENT);
        assert!(h[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("multipart/byteranges; boundary="));
        assert_eq!(h[CONTENT_LENGTH], out.len().to_string().as_str());
        assert!(!h.contains_key(CONTENT_RANGE));
        let parts = parse_multipart(&h, &out);
        assert_eq!(
            parts,
            vec![
                ("bytes 0-1/10".to_owned(), b"01".to_vec()),
                ("bytes 5-6/10".to_owned(), b"56".to_vec())
            ]
        );
        assert!(String::from_utf8_lossy(&out).contains("Content-Type: text/plain\r\n"));
    }

    proptest! {
        /// A single range always returns exactly the bytes it names.
        #[test]
        fn single_range_slices(len in 1u64..200, a in 0u64..250, b in 0u64..250) {
            let body = Bytes::from((0..len).map(|i| i as u8).collect::<Vec<_>>());
            let (lo, hi) = (a.min(b), a.max(b));
            let plan = p(&format!("bytes={lo}-{hi}"), len);
            let mut h = HeaderMap::new();
            let (s, out) = apply(&plan, &mut h, body.clone());
            if lo >= len {
                prop_assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE);
                let expected = format!("bytes */{len}");
                prop_assert_eq!(h[CONTENT_RANGE].to_str().unwrap(), expected.as_str());
            } else {
                let end = hi.min(len - 1);
                prop_assert_eq!(s, StatusCode::PARTIAL_CONTENT);
                prop_assert_eq!(&out[..], &body[lo as usize..=end as usize]);
                let expected = format!("bytes {lo}-{end}/{len}");
                prop_assert_eq!(h[CONTENT_RANGE].to_str().unwrap(), expected.as_str());
            }
        }

        /// Every plan respects the invariants: ranges inside the object,
        /// ascending and disjoint; and unparseable input never panics.
        #[test]
        fn plans_are_well_formed(len in 0u64..100, header in "bytes=[0-9, -]{0,20}") {
            match p(&header, len) {
                RangePlan::Full | RangePlan::Unsatisfiable => {}
                RangePlan::Single(r) => prop_assert!(r.start <= r.end && r.end < len),
                RangePlan::Multi(rs) => {
                    prop_assert!(rs.len() >= 2);
                    for r in &rs {
                        prop_assert!(r.start <= r.end && r.end < len);
                    }
                    for w in rs.windows(2) {
                        prop_assert!(w[0].end < w[1].start);
                    }
                }
            }
        }

        /// Multipart bodies carry each requested range intact.
        #[test]
        fn multipart_round_trips(len in 4u64..200, cut in proptest::collection::btree_set(0u64..200, 4..8)) {
            let cut: Vec<u64> = cut.into_iter().filter(|c| *c < len).collect();
            prop_assume!(cut.len() >= 4);
            let pairs: Vec<(u64, u64)> = cut.chunks_exact(2).map(|c| (c[0], c[1])).collect();
            let spec = pairs.iter().map(|(a, b)| format!("{a}-{b}")).collect::<Vec<_>>().join(",");
            let body = Bytes::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>());
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            let (s, out) = apply(&p(&format!("bytes={spec}"), len), &mut h, body.clone());
            prop_assert_eq!(s, StatusCode::PARTIAL_CONTENT);
            // Bytes are arbitrary: split on the delimiter in raw bytes.
            let ct = h[CONTENT_TYPE].to_str().unwrap().to_owned();
            let boundary = ct.split("boundary=").nth(1).unwrap();
            let delim = format!("\r\n--{boundary}");
            let mut rest: &[u8] = &out;
            for (a, b) in &pairs {
                prop_assert!(rest.starts_with(delim.as_bytes()));
                rest = &rest[delim.len()..];
                let head_end = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                let head = String::from_utf8(rest[..head_end].to_vec()).unwrap();
                let expected = format!("Content-Range: bytes {a}-{b}/{len}");
                prop_assert!(head.contains(&expected));
                rest = &rest[head_end + 4..];
                let n = (b - a + 1) as usize;
                prop_assert_eq!(&rest[..n], &body[*a as usize..=*b as usize]);
                rest = &rest[n..];
            }
            let closing = format!("{delim}--\r\n");
            prop_assert_eq!(rest, closing.as_bytes());
        }
    }
}
