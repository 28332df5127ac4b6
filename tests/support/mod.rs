//! Test support shared by the integration test binaries: an in-process
//! origin with a small route DSL, and the real edge on an ephemeral port.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cfedge::body::EdgeBody;
use cfedge::config::Config;
use cfedge::pipeline::Edge;
use cfedge::server::{self, ListenerSettings};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Whether this test binary talks HTTP/2 (h2c prior knowledge) to the edge:
/// `tests/edge_h2` runs the `tests/edge` modules again over HTTP/2.
pub fn http2() -> bool {
    module_path!().starts_with("edge_h2")
}

/// What an origin route answers.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Wait before sending the response head.
    pub delay: Duration,
    /// Declare a Content-Length larger than the body sent, then close (a cut body).
    pub truncate: bool,
}

impl Route {
    pub fn ok(body: &str) -> Route {
        Route {
            status: 200,
            headers: vec![],
            body: Bytes::from(body.to_owned()),
            delay: Duration::ZERO,
            truncate: false,
        }
    }
    pub fn status(status: u16, body: &str) -> Route {
        Route {
            status,
            ..Route::ok(body)
        }
    }
    pub fn header(mut self, n: &str, v: &str) -> Route {
        self.headers.push((n.to_owned(), v.to_owned()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Route {
        self.delay = d;
        self
    }
    pub fn truncated(mut self) -> Route {
        self.truncate = true;
        self
    }
}

/// A request the origin received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

type Handler = Arc<dyn Fn(&Seen) -> Route + Send + Sync>;

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Handler>>,
    seen: Mutex<Vec<Seen>>,
}

/// An in-process origin on 127.0.0.1:<ephemeral>.
#[derive(Clone)]
pub struct Origin {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Origin {
    pub async fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(answer(st, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Origin { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answer `path` (without query) with a fixed route.
    pub fn route(&self, path: &str, r: Route) -> &Self {
        self.route_fn(path, move |_| r.clone())
    }

    /// Answer `path` with a route computed per request.
    pub fn route_fn(
        &self,
        path: &str,
        f: impl Fn(&Seen) -> Route + Send + Sync + 'static,
    ) -> &Self {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), Arc::new(f));
        self
    }

    /// Requests seen for `path` (without query).
    pub fn hits(&self, path: &str) -> usize {
        self.seen(path).len()
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path_and_query.split('?').next() == Some(path))
            .cloned()
            .collect()
    }

    pub fn last(&self, path: &str) -> Seen {
        self.seen(path)
            .pop()
            .expect("origin saw no request for this path")
    }
}

async fn answer(
    st: Arc<State>,
    req: Request<Incoming>,
) -> Response<http_body_util::combinators::BoxBody<Bytes, std::io::Error>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts.headers,
        body,
    };
    st.seen.lock().unwrap().push(seen.clone());
    let path = seen
        .path_and_query
        .split('?')
        .next()
        .unwrap_or("/")
        .to_owned();
    let handler = st.routes.lock().unwrap().get(&path).cloned();
    let route = match handler {
        Some(h) => h(&seen),
        None => Route::status(404, "no route"),
    };
    if !route.delay.is_zero() {
        tokio::time::sleep(route.delay).await;
    }
    let mut resp = if route.truncate {
        // Claim more bytes than we send; hyper then fails the body.
        let stream = futures_util::stream::iter(vec![
            Ok::<_, std::io::Error>(http_body::Frame::data(route.body.clone())),
            Err(std::io::Error::other("cut")),
        ]);
        let mut r = Response::new(http_body_util::StreamBody::new(stream).boxed());
        r.headers_mut()
            .insert("content-length", (route.body.len() + 100).into());
        r
    } else {
        Response::new(
            Full::new(route.body.clone())
                .map_err(|e| match e {})
                .boxed(),
        )
    };
    *resp.status_mut() = StatusCode::from_u16(route.status).unwrap();
    for (n, v) in &route.headers {
        resp.headers_mut().append(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    resp
}

/// The real edge, serving on 127.0.0.1:<ephemeral>.
pub struct Proxy {
    pub addr: SocketAddr,
    pub edge: Arc<Edge>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

/// A response read whole.
#[derive(Debug)]
pub struct Got {
    pub version: http::Version,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Got {
    pub fn header(&self, n: &str) -> Option<&str> {
        self.headers.get(n).and_then(|v| v.to_str().ok())
    }
    pub fn x_cache(&self) -> &str {
        self.header("x-cache").unwrap_or("")
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Proxy {
    /// Start the edge for a config text (relative paths resolve against the crate root).
    pub async fn start(toml: &str) -> Proxy {
        let config = Config::from_toml(toml).unwrap_or_else(|e| panic!("config: {e}"));
        Proxy::start_config(config).await
    }

    pub async fn start_config(config: Config) -> Proxy {
        let settings = ListenerSettings::from_config(&config.server);
        let edge = Edge::new(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(edge.clone(), listener, settings, async move {
            let _ = rx.await;
        }));
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .http2_only(http2())
            .build_http();
        Proxy {
            addr,
            edge,
            stop: Some(tx),
            client,
        }
    }

    pub async fn get(&self, path: &str) -> Got {
        self.send(Request::get(path).body(Full::default()).unwrap())
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Got {
        let mut b = Request::get(path);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        self.send(b.body(Full::default()).unwrap()).await
    }

    /// Send a request (`uri` is a path; the proxy address is filled in).
    pub async fn send(&self, mut req: Request<Full<Bytes>>) -> Got {
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into());
        *req.uri_mut() = format!("http://{}{}", self.addr, pq).parse().unwrap();
        let resp = self
            .client
            .request(req)
            .await
            .expect("request to the edge failed");
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        Got {
            version: parts.version,
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// Call the pipeline in process (no socket), for cheap tests.
    pub async fn handle(&self, req: Request<EdgeBody>) -> Response<EdgeBody> {
        let conn = cfedge::pipeline::ConnInfo {
            client_addr: "127.0.0.1:40000".parse().unwrap(),
            protocol: cfedge::viewer::ViewerProtocol::Http,
        };
        self.edge.handle(req, conn).await
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A minimal config fronting one origin URL with the given extra TOML.
pub fn config_for(origin_url: &str, extra: &str) -> String {
    format!(
        r#"
[origins.app]
url = "{origin_url}"
connection_attempts = 1

[default_behavior]
target_origin = "app"

{extra}
"#
    )
}

/// Like [`config_for`], with the default behaviour using cache policy `policy`.
pub fn config_policy(origin_url: &str, policy: &str, extra: &str) -> String {
    config_for(origin_url, extra).replacen(
        "target_origin = \"app\"",
        &format!("target_origin = \"app\"\ncache_policy = \"{policy}\""),
        1,
    )
}

/// Read raw bytes from a TCP exchange (for malformed-request tests).
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}
