//! Origin request policies: what is forwarded to the origin beyond the cache
//! key (spec §2.1, §3.2). Everything in the cache key is forwarded anyway;
//! an origin request policy adds headers, cookies and query strings without
//! putting them in the key. AWS managed policies are usable by name or ID
//! (DG2023:using-managed-origin-request-policies.md).

use http::HeaderName;

use crate::config::ListBehavior;

/// Which viewer headers a policy forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderSelection {
    None,
    /// Every viewer header (`allViewer`).
    AllViewer,
    /// Every viewer header plus these CloudFront headers (`allViewerAndWhitelistCloudFront`).
    AllViewerAndCloudFront(Vec<HeaderName>),
    /// These headers (`whitelist`); may include CloudFront-* headers.
    Allow(Vec<HeaderName>),
    /// Every viewer header except these (`allExcept`).
    AllExcept(Vec<HeaderName>),
}

impl HeaderSelection {
    /// Whether a viewer header is forwarded.
    pub fn includes(&self, name: &HeaderName) -> bool {
        match self {
            HeaderSelection::None => false,
            HeaderSelection::AllViewer | HeaderSelection::AllViewerAndCloudFront(_) => {
                !name.as_str().starts_with("cloudfront-")
            }
            HeaderSelection::Allow(v) => v.contains(name),
            HeaderSelection::AllExcept(v) => {
                !v.contains(name) && !name.as_str().starts_with("cloudfront-")
            }
        }
    }

    /// Whether a CloudFront-generated header (`CloudFront-*`) is forwarded.
    pub fn includes_cloudfront(&self, name: &HeaderName) -> bool {
        match self {
            HeaderSelection::AllViewerAndCloudFront(v) | HeaderSelection::Allow(v) => {
                v.contains(name)
            }
            _ => false,
        }
    }
}

/// An origin request policy.
#[derive(Debug, Clone)]
pub struct OriginRequestPolicy {
    pub name: String,
    pub id: Option<String>,
    pub headers: HeaderSelection,
    pub cookies: ListBehavior,
    pub query_strings: ListBehavior,
}

/// The AWS managed origin request policies.
pub fn managed() -> Vec<OriginRequestPolicy> {
    let hs = |names: &[&'static str]| {
        names
            .iter()
            .map(|n| HeaderName::from_static(n))
            .collect::<Vec<_>>()
    };
    let p = |name: &str, id: &str, headers, cookies, query_strings| OriginRequestPolicy {
        name: name.to_owned(),
        id: Some(id.to_owned()),
        headers,
        cookies,
        query_strings,
    };
    vec![
        p(
            "AllViewer",
            "216adef6-5c7f-47e4-b989-5492eafa07d3",
            HeaderSelection::AllViewer,
            ListBehavior::All,
            ListBehavior::All,
        ),
        p(
            "AllViewerExceptHostHeader",
            "b689b0a8-53d0-40ab-baf2-68738e2966ac",
            HeaderSelection::AllExcept(hs(&["host"])),
            ListBehavior::All,
            ListBehavior::All,
        ),
        p(
            "AllViewerAndCloudFrontHeaders-2022-06",
            "33f36d7e-f396-46d9-90e0-52428a34d9dc",
            HeaderSelection::AllViewerAndCloudFront(hs(&[
                "cloudfront-viewer-address",
                "cloudfront-viewer-country",
                "cloudfront-forwarded-proto",
                "cloudfront-viewer-http-version",
                "cloudfront-is-desktop-viewer",
                "cloudfront-is-mobile-viewer",
                "cloudfront-is-tablet-viewer",
                "cloudfront-is-smarttv-viewer",
                "cloudfront-is-ios-viewer",
                "cloudfront-is-android-viewer",
            ])),
            ListBehavior::All,
            ListBehavior::All,
        ),
        p(
            "CORS-S3Origin",
            "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
            HeaderSelection::Allow(hs(&[
                "origin",
                "access-control-request-headers",
                "access-control-request-method",
            ])),
            ListBehavior::None,
            ListBehavior::None,
        ),
        p(
            "CORS-CustomOrigin",
            "59781a5b-3903-41f3-afcb-af62929ccde1",
            HeaderSelection::Allow(hs(&["origin"])),
            ListBehavior::None,
            ListBehavior::None,
        ),
        p(
            "UserAgentRefererHeaders",
            "acba4595-bd28-49b8-b9fe-13317c0390fa",
            HeaderSelection::Allow(hs(&["user-agent", "referer"])),
            ListBehavior::None,
            ListBehavior::None,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_viewer_forwards_viewer_headers_but_not_cloudfront_ones() {
        let all = &managed()[0];
        assert!(all.headers.includes(&HeaderName::from_static("x-anything")));
        assert!(!all
            .headers
            .includes(&HeaderName::from_static("cloudfront-viewer-country")));
        let except_host = &managed()[1];
        assert!(!except_host.headers.includes(&http::header::HOST));
        assert!(except_host.headers.includes(&http::header::ACCEPT));
    }
}
