//! The viewer request: what the viewer sent, as the pipeline and the edge
//! functions see and change it.
//!
//! The head is kept apart from the body: functions and rules work on the
//! head, and the body streams to the origin (or is read up to a limit when a
//! Lambda@Edge association asks for it with `include_body`).

use std::net::SocketAddr;

use http::{HeaderMap, Method, Version};

/// The viewer's request body failed while it streamed to the origin (a
/// malformed chunk, a connection cut mid-body): the viewer's fault, which
/// CloudFront answers with 400, not the origin's.
#[derive(Debug, thiserror::Error)]
#[error("the viewer's request body: {0}")]
pub struct ViewerBodyError(#[source] pub crate::body::BoxError);

impl ViewerBodyError {
    /// Whether `err` or one of its causes is a [`ViewerBodyError`].
    pub fn caused(err: &(dyn std::error::Error + 'static)) -> bool {
        let mut cur = Some(err);
        while let Some(e) = cur {
            if e.is::<ViewerBodyError>() {
                return true;
            }
            cur = e.source();
        }
        false
    }
}

/// The protocol the viewer used to reach the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerProtocol {
    Http,
    Https,
}

impl ViewerProtocol {
    /// `http` or `https`, as in `CloudFront-Forwarded-Proto`.
    pub fn as_str(self) -> &'static str {
        match self {
            ViewerProtocol::Http => "http",
            ViewerProtocol::Https => "https",
        }
    }
}

/// The head of a viewer request.
#[derive(Debug, Clone)]
pub struct ViewerRequest {
    pub method: Method,
    pub version: Version,
    pub protocol: ViewerProtocol,
    /// The path as received (still percent-encoded), starting with `/`.
    pub uri: String,
    /// The raw query string without the `?`; `None` when the URL had no `?`.
    pub querystring: Option<String>,
    /// Request headers, including `Cookie`.
    pub headers: HeaderMap,
    /// The viewer's TCP peer address (`viewer.ip` / `clientIp`).
    pub client_addr: SocketAddr,
}

impl ViewerRequest {
    /// The `Host` the viewer asked for (HTTP/2 `:authority` included), without the port.
    pub fn host(&self) -> Option<&str> {
        let h = self.headers.get(http::header::HOST)?.to_str().ok()?;
        // An IPv6 literal keeps its brackets and loses only the port after them.
        if let Some(rest) = h.strip_prefix('[') {
            return Some(rest.find(']').map_or(h, |i| &h[..i + 2]));
        }
        Some(match h.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => h,
        })
    }

    /// Path plus `?query` when there is one, as the origin receives it.
    pub fn path_and_query(&self) -> String {
        match &self.querystring {
            Some(q) => format!("{}?{}", self.uri, q),
            None => self.uri.clone(),
        }
    }
}
