//! Fetching from origins: custom (HTTP/HTTPS) origins through a pooled
//! hyper client, and local directories served like S3.

pub mod tls;

use std::time::Duration;

use http::{HeaderName, HeaderValue};

/// Where one attempt's connection stands, so that the response timeout
/// runs from the moment the request can be sent (spec §1.2: the response
/// timeout is how long CloudFront waits after sending the request), not
/// from the start of a connection that took a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnectPhase {
    /// No new connection seen: a pooled one, or none started yet.
    Unknown,
    /// A new connection is being made (bounded by the connection timeout).
    Connecting,
    /// A new connection was ready at this instant.
    Connected(tokio::time::Instant),
}

tokio::task_local! {
    /// The current attempt's [`ConnectPhase`], set by the connector
    /// ([`tls::OriginConnector`]) when it connects within the attempt's task.
    static CONNECT_PHASE: Arc<Mutex<ConnectPhase>>;
}

/// Record `phase` for the attempt this task is making, if any.
fn note_connect_phase(phase: ConnectPhase) {
    let _ = CONNECT_PHASE.try_with(|p| {
        if let Ok(mut p) = p.lock() {
            *p = phase;
        }
    });
}

/// An origin change requested by an edge function for one request
/// (CloudFront Functions `updateRequestOrigin` / `selectRequestOriginById` /
/// `createRequestOriginGroup`, Lambda@Edge `request.origin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginOverride {
    /// Switch to an origin defined in the distribution.
    ById {
        origin_id: String,
        host_header: Option<String>,
    },
    /// Change settings of the assigned origin, or point at any HTTP endpoint;
    /// unset fields are inherited from the assigned origin.
    Custom(AdHocOrigin),
    /// An ad-hoc origin group (exactly two members, the first is the primary).
    Group {
        members: Box<[OriginOverride; 2]>,
        failover_status_codes: Vec<u16>,
    },
}

impl OriginOverride {
    /// The first origin id this change names that `known` does not accept:
    /// `selectRequestOriginById` and `createRequestOriginGroup` only take
    /// origins defined in the distribution ([DG:helper-functions-origin-modification]).
    pub fn unknown_origin_id(&self, known: &dyn Fn(&str) -> bool) -> Option<&str> {
        match self {
            OriginOverride::ById { origin_id, .. } => {
                (!known(origin_id)).then_some(origin_id.as_str())
            }
            OriginOverride::Custom(_) => None,
            OriginOverride::Group { members, .. } => {
                members.iter().find_map(|m| m.unknown_origin_id(known))
            }
        }
    }
}

/// A one-line summary, for `test-lambda`: `origin "b"`, `https://x.example:443/base`
/// (inherited parts as `…`), `group [<a>, <b>] failing over on 500, 502`.
impl std::fmt::Display for OriginOverride {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OriginOverride::ById { origin_id, .. } => write!(f, "origin \"{origin_id}\""),
            OriginOverride::Custom(o) => {
                let scheme = match o.https {
                    Some(true) => "https",
                    Some(false) => "http",
                    None => "…",
                };
                write!(f, "{scheme}://{}", o.domain_name.as_deref().unwrap_or("…"))?;
                if let Some(port) = o.port {
                    write!(f, ":{port}")?;
                }
                write!(f, "{}", o.origin_path.as_deref().unwrap_or(""))
            }
            OriginOverride::Group {
                members,
                failover_status_codes,
            } => {
                let codes: Vec<String> = failover_status_codes.iter().map(u16::to_string).collect();
                write!(
                    f,
                    "group [{}, {}] failing over on {}",
                    members[0],
                    members[1],
                    codes.join(", ")
                )
            }
        }
    }
}

/// Origin settings given by a function; `None` inherits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdHocOrigin {
    pub domain_name: Option<String>,
    pub host_header: Option<String>,
    pub origin_path: Option<String>,
    /// `Some(vec![])` clears the configured custom headers.
    pub custom_headers: Option<Vec<(HeaderName, HeaderValue)>>,
    pub connection_attempts: Option<u32>,
    pub connection_timeout: Option<Duration>,
    pub read_timeout: Option<Duration>,
    pub keepalive_timeout: Option<Duration>,
    pub port: Option<u16>,
    /// `true` for https.
    pub https: Option<bool>,
}

pub mod dir;
pub mod timeouts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::body::EdgeBody;
use crate::config::{Config, Origin, OriginKind, OriginProtocolPolicy};
use crate::error::EdgeError;
use crate::viewer::ViewerProtocol;

/// Where and how one request reaches its origin, after any function changed it.
#[derive(Debug, Clone)]
pub struct OriginTarget {
    /// The configured origin this derives from (for IDs in logs and events).
    pub origin: Arc<Origin>,
    pub endpoint: Endpoint,
    pub origin_path: String,
    pub custom_headers: Vec<(HeaderName, HeaderValue)>,
    pub connection_attempts: u32,
    pub connection_timeout: Duration,
    pub read_timeout: Duration,
    pub keepalive_timeout: Duration,
}

/// The network (or directory) end of an origin.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Http {
        /// Name or IP to connect to.
        domain_name: String,
        /// The `Host` header value sent.
        host_header: String,
        port: u16,
        https: bool,
    },
    Dir(std::path::PathBuf),
}

impl OriginTarget {
    /// The target for a configured origin and the viewer's protocol.
    pub fn from_origin(origin: &Arc<Origin>, viewer: ViewerProtocol) -> OriginTarget {
        let endpoint = match &origin.kind {
            OriginKind::Dir(p) => Endpoint::Dir(p.clone()),
            OriginKind::Custom(c) => {
                let https = match c.protocol_policy {
                    OriginProtocolPolicy::HttpOnly => false,
                    OriginProtocolPolicy::HttpsOnly => true,
                    OriginProtocolPolicy::MatchViewer => viewer == ViewerProtocol::Https,
                };
                let port = if https { c.https_port } else { c.http_port };
                Endpoint::Http {
                    domain_name: c.domain_name.clone(),
                    host_header: c.domain_name.clone(),
                    port,
                    https,
                }
            }
        };
        OriginTarget {
            origin: origin.clone(),
            endpoint,
            origin_path: origin.origin_path.clone(),
            custom_headers: origin.custom_headers.clone(),
            connection_attempts: origin.connection_attempts,
            connection_timeout: origin.connection_timeout,
            read_timeout: origin.read_timeout,
            keepalive_timeout: origin.keepalive_timeout,
        }
    }

    /// Apply a function's ad-hoc settings (unset fields are inherited).
    pub fn apply(&mut self, o: &AdHocOrigin) {
        if let Some(p) = &o.origin_path {
            self.origin_path = p.clone();
        }
        if let Some(h) = &o.custom_headers {
            self.custom_headers = h.clone();
        }
        if let Some(a) = o.connection_attempts {
            self.connection_attempts = a;
        }
        if let Some(t) = o.connection_timeout {
            self.connection_timeout = t;
        }
        if let Some(t) = o.read_timeout {
            self.read_timeout = t;
        }
        if let Some(t) = o.keepalive_timeout {
            self.keepalive_timeout = t;
        }
        if o.domain_name.is_some()
            || o.port.is_some()
            || o.https.is_some()
            || o.host_header.is_some()
        {
            let (mut domain, mut host, mut port, mut https) = match &self.endpoint {
                Endpoint::Http {
                    domain_name,
                    host_header,
                    port,
                    https,
                } => (domain_name.clone(), host_header.clone(), *port, *https),
                Endpoint::Dir(_) => (String::new(), String::new(), 80, false),
            };
            if let Some(d) = &o.domain_name {
                domain = d.clone();
                host = d.clone();
            }
            if let Some(s) = o.https {
                if s != https && o.port.is_none() {
                    port = if s { 443 } else { 80 };
                }
                https = s;
            }
            if let Some(p) = o.port {
                port = p;
            }
            if let Some(h) = &o.host_header {
                host = h.clone();
            }
            self.endpoint = Endpoint::Http {
                domain_name: domain,
                host_header: host,
                port,
                https,
            };
        }
    }

    /// The `Host` header value for this target.
    pub fn host_header(&self) -> String {
        match &self.endpoint {
            Endpoint::Http {
                host_header,
                port,
                https,
                ..
            } => {
                if (*https && *port == 443) || (!*https && *port == 80) {
                    host_header.clone()
                } else {
                    format!("{host_header}:{port}")
                }
            }
            Endpoint::Dir(_) => String::from("s3.localhost"),
        }
    }
}

/// A request on its way to an origin.
#[derive(Debug)]
pub struct OriginRequest {
    pub method: Method,
    /// Path and query as the origin receives them (origin path prefixed).
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: EdgeBody,
    /// Whether the body is empty (requests with a body are never retried).
    pub body_empty: bool,
}

type HttpClient = Client<tls::OriginConnector, EdgeBody>;

/// Pooled keep-alive clients toward origins, one per (connect timeout,
/// keep-alive, TLS profile) so each origin's connector honours its own values.
#[derive(Debug)]
pub struct OriginClient {
    clients: Mutex<HashMap<(Duration, Duration, usize), HttpClient>>,
    tls: tls::TlsProfiles,
}

impl OriginClient {
    /// Pre-build the clients the configured origins use. A `ca_file` that
    /// cannot be loaded is reported by `serve`/`validate` at start-up
    /// (`tls::TlsProfiles::build`); here HTTPS then fails closed (502).
    pub fn new(config: &Config) -> OriginClient {
        let tls = tls::TlsProfiles::build(config).unwrap_or_else(|e| {
            tracing::error!(error = %e, "origin TLS setup failed; HTTPS origins will fail");
            tls::TlsProfiles::refuse_all()
        });
        let c = OriginClient {
            clients: Mutex::default(),
            tls,
        };
        for o in &config.origins {
            let _ = c.client(o.connection_timeout, o.keepalive_timeout, &o.id);
        }
        c
    }

    fn client(
        &self,
        connect: Duration,
        keepalive: Duration,
        origin_id: &str,
    ) -> Option<HttpClient> {
        let (profile, tls_config) = self.tls.for_origin(origin_id)?;
        let mut map = match self.clients.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let client = map
            .entry((connect, keepalive, profile))
            .or_insert_with(|| {
                let mut conn = HttpConnector::new();
                conn.set_connect_timeout(Some(connect));
                conn.set_nodelay(true);
                let conn = tls::OriginConnector::with_http(conn, tls_config);
                Client::builder(TokioExecutor::new())
                    // CloudFront capitalises each word of a header name when
                    // it turns a request back into HTTP ([DG:functions-event-structure]);
                    // HTTP/2 origins get lowercase names by definition.
                    .http1_title_case_headers(true)
                    .pool_idle_timeout(keepalive)
                    .pool_max_idle_per_host(256)
                    .pool_timer(hyper_util::rt::TokioTimer::new())
                    .timer(hyper_util::rt::TokioTimer::new())
                    .build(conn)
            })
            .clone();
        Some(client)
    }

    /// Send a request to an origin: connection attempts, connect timeout,
    /// read timeout for the response head, and a between-bytes read timeout
    /// on the body (spec §1.2). Refused/unreachable → 502, no answer in time → 504.
    pub async fn fetch(
        &self,
        target: &OriginTarget,
        req: OriginRequest,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        let (domain, port, https) = match &target.endpoint {
            Endpoint::Dir(root) => return dir::serve(root, req).await,
            Endpoint::Http {
                domain_name,
                port,
                https,
                ..
            } => (domain_name, *port, *https),
        };
        let client = self
            .client(
                target.connection_timeout,
                target.keepalive_timeout,
                &target.origin.id,
            )
            .ok_or_else(|| EdgeError::OriginTls("no TLS configuration for this origin".into()))?;
        let authority = if domain.contains(':') {
            format!("[{domain}]:{port}")
        } else {
            format!("{domain}:{port}")
        };
        // HTTPS per the origin protocol policy; the connector verifies the
        // certificate for `domain` (also the SNI).
        let scheme = if https { "https" } else { "http" };
        let uri: Uri = format!("{scheme}://{authority}{}", req.path_and_query)
            .parse()
            .map_err(|e| EdgeError::BadRequest(format!("origin URL: {e}")))?;
        let idempotent = req.method == Method::GET || req.method == Method::HEAD;
        let retriable = req.body_empty;
        let mut body = Some(req.body);
        let mut last = EdgeError::OriginConnect("no attempt made".into());
        for attempt in 1..=target.connection_attempts.max(1) {
            let b = match body.take() {
                Some(b) => b,
                None if retriable => EdgeBody::empty(),
                None => break,
            };
            let mut r = Request::new(b);
            *r.method_mut() = req.method.clone();
            *r.uri_mut() = uri.clone();
            *r.headers_mut() = req.headers.clone();
            match head_within(
                client.request(r),
                target.connection_timeout,
                target.read_timeout,
            )
            .await
            {
                Ok(Ok(resp)) => {
                    let (parts, incoming) = resp.into_parts();
                    let body = timeouts::ReadTimeoutBody::new(incoming, target.read_timeout);
                    return Ok(Response::from_parts(parts, EdgeBody::stream(body)));
                }
                // A bad, self-signed, expired or mismatched certificate: 502,
                // not retried (spec §1.2).
                Ok(Err(e)) if tls::classify(&e) == tls::OriginFailure::Tls => {
                    tracing::debug!(attempt, error = %e, origin = %target.origin.id, "origin TLS failed");
                    return Err(EdgeError::OriginTls(error_chain(&e)));
                }
                Ok(Err(e)) if e.is_connect() => {
                    tracing::debug!(attempt, error = %e, origin = %target.origin.id, "origin connect failed");
                    last = EdgeError::OriginConnect(error_chain(&e));
                    if !retriable {
                        break;
                    }
                }
                Ok(Err(e)) if crate::viewer::ViewerBodyError::caused(&e) => {
                    return Err(EdgeError::BadRequest(error_chain(&e)));
                }
                Ok(Err(e)) => {
                    return Err(EdgeError::OriginInvalidResponse(error_chain(&e)));
                }
                Err(_) => {
                    tracing::debug!(attempt, origin = %target.origin.id, "origin read timeout");
                    last = EdgeError::OriginTimeout;
                    // Spec §1.2: GET/HEAD are retried on timeout, other methods are not.
                    if !(idempotent && retriable) {
                        break;
                    }
                }
            }
        }
        Err(last)
    }
}

/// The full cause chain of an error, for logs.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Read a whole body, up to `limit` bytes. `Ok(Err(prefix))` when the body
/// is larger than the limit (the prefix read so far and the rest unread).
pub async fn read_body_limited(
    mut body: EdgeBody,
    limit: u64,
) -> Result<Result<Bytes, (Vec<Bytes>, EdgeBody)>, crate::body::BoxError> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        if let Ok(data) = frame.into_data() {
            total += data.len() as u64;
            chunks.push(data);
            if total > limit {
                return Ok(Err((chunks, body)));
            }
        }
    }
    Ok(Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut v = Vec::with_capacity(total as usize);
            for c in chunks {
                v.extend_from_slice(&c);
            }
            Bytes::from(v)
        }
    }))
}

/// Whether a status from the primary fails over (spec §1.3).
pub fn fails_over(method: &Method, codes: &[u16], outcome: Result<StatusCode, &EdgeError>) -> bool {
    if !(method == Method::GET || method == Method::HEAD || method == Method::OPTIONS) {
        return false;
    }
    match outcome {
        Ok(s) => codes.contains(&s.as_u16()),
        Err(EdgeError::OriginConnect(_) | EdgeError::OriginTimeout | EdgeError::OriginTls(_)) => {
            true
        }
        Err(_) => false,
    }
}

/// Await an attempt's response head: the read timeout runs from when the
/// request could be sent, that is from the start on a pooled connection, or
/// from the moment a new connection was ready (which the connection timeout
/// bounds). `Err(())` when it runs out.
async fn head_within<F: std::future::Future>(
    request: F,
    connection_timeout: Duration,
    read_timeout: Duration,
) -> Result<F::Output, ()> {
    let phase = Arc::new(Mutex::new(ConnectPhase::Unknown));
    let started = tokio::time::Instant::now();
    let request = CONNECT_PHASE.scope(Arc::clone(&phase), request);
    tokio::pin!(request);
    loop {
        let now_phase = phase.lock().map_or(ConnectPhase::Connecting, |p| *p);
        let deadline = match now_phase {
            ConnectPhase::Unknown => started + read_timeout,
            ConnectPhase::Connecting => started + connection_timeout + read_timeout,
            ConnectPhase::Connected(at) => at + read_timeout,
        };
        tokio::select! {
            out = &mut request => return Ok(out),
            () = tokio::time::sleep_until(deadline) => {
                // The phase may have moved on while we slept.
                if phase.lock().map_or(ConnectPhase::Connecting, |p| *p) == now_phase {
                    return Err(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_changes_read_as_one_line() {
        let custom = OriginOverride::Custom(AdHocOrigin {
            domain_name: Some("b.example".into()),
            port: Some(8443),
            https: Some(true),
            origin_path: Some("/v2".into()),
            ..AdHocOrigin::default()
        });
        assert_eq!(custom.to_string(), "https://b.example:8443/v2");
        let by_id = OriginOverride::ById {
            origin_id: "a".into(),
            host_header: None,
        };
        let group = OriginOverride::Group {
            members: Box::new([by_id, custom]),
            failover_status_codes: vec![500, 502],
        };
        assert_eq!(
            group.to_string(),
            "group [origin \"a\", https://b.example:8443/v2] failing over on 500, 502"
        );
        let inherited = OriginOverride::Custom(AdHocOrigin::default());
        assert_eq!(inherited.to_string(), "…://…");
    }
}
