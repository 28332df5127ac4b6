//! Tests of the native edge rules (JWT, redirects, signed URLs, geo) and
//! response headers policies, through their public APIs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/mod.rs"]
mod support;

mod geo;
mod jwt;
mod live;
mod policies;
mod redirect;
mod signed_url;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use cfedge::config::file::FileConfig;
use cfedge::viewer::{ViewerProtocol, ViewerRequest};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};

/// `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Parse a config fragment (only the rule sections matter here).
pub fn file_config(text: &str) -> FileConfig {
    toml::from_str(text).unwrap()
}

/// A GET request for `https://d111.cloudfront.net<path_and_query>` from 192.0.2.10.
pub fn request(path_and_query: &str, headers: &[(&str, &str)]) -> ViewerRequest {
    let (uri, querystring) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path_and_query.to_owned(), None),
    };
    let mut map = HeaderMap::new();
    map.insert(
        http::header::HOST,
        HeaderValue::from_static("d111.cloudfront.net"),
    );
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes()).unwrap();
        if name == http::header::HOST {
            map.remove(&name);
        }
        map.append(name, HeaderValue::from_str(v).unwrap());
    }
    ViewerRequest {
        method: Method::GET,
        version: Version::HTTP_11,
        protocol: ViewerProtocol::Https,
        uri,
        querystring,
        headers: map,
        client_addr: SocketAddr::from(([192, 0, 2, 10], 50000)),
    }
}
