//! AWS managed cache policies, usable by name or ID (spec §2.1,
//! DG2023:using-managed-cache-policies.md).

use http::HeaderName;

use super::{CachePolicy, ListBehavior};

/// All managed cache policies.
pub fn cache_policies() -> Vec<CachePolicy> {
    let p = |name: &str,
             id: &str,
             (min_ttl, default_ttl, max_ttl): (u64, u64, u64),
             query_strings: ListBehavior,
             headers: &[&'static str],
             cookies: ListBehavior,
             encodings: bool| CachePolicy {
        name: name.to_owned(),
        id: Some(id.to_owned()),
        min_ttl,
        default_ttl,
        max_ttl,
        query_strings,
        headers: headers.iter().map(|h| HeaderName::from_static(h)).collect(),
        cookies,
        accept_encoding_gzip: encodings,
        accept_encoding_brotli: encodings,
    };
    use ListBehavior::{All, None};
    vec![
        p(
            "CachingOptimized",
            "658327ea-f89d-4fab-a63d-7e88639e58f6",
            (1, 86_400, 31_536_000),
            None,
            &[],
            None,
            true,
        ),
        p(
            "CachingOptimizedForUncompressedObjects",
            "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
            (1, 86_400, 31_536_000),
            None,
            &[],
            None,
            false,
        ),
        p(
            "CachingDisabled",
            "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            (0, 0, 0),
            None,
            &[],
            None,
            false,
        ),
        p(
            "Amplify",
            "2e54312d-136d-493c-8eb9-b001f22f67d2",
            (2, 2, 600),
            All,
            &["authorization", "cloudfront-viewer-country", "host"],
            All,
            true,
        ),
        p(
            "Elemental-MediaPackage",
            "08627262-05a9-4f76-9ded-b50ca2e3a84f",
            (0, 86_400, 31_536_000),
            ListBehavior::Allow(vec![
                "aws.manifestfilter".into(),
                "start".into(),
                "end".into(),
                "m".into(),
            ]),
            &["origin"],
            None,
            true,
        ),
        p(
            "UseOriginCacheControlHeaders",
            "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
            (0, 0, 31_536_000),
            None,
            &[
                "host",
                "origin",
                "x-http-method-override",
                "x-http-method",
                "x-method-override",
            ],
            All,
            true,
        ),
        p(
            "UseOriginCacheControlHeaders-QueryStrings",
            "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
            (0, 0, 31_536_000),
            All,
            &[
                "host",
                "origin",
                "x-http-method-override",
                "x-http-method",
                "x-method-override",
            ],
            All,
            true,
        ),
    ]
}
