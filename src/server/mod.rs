//! The viewer side: accept loop, HTTP/1.1 and HTTP/2 (h2c prior knowledge)
//! on the plain listener, per-connection tasks, header-read and idle limits,
//! graceful drain on shutdown. Requests reach the pipeline only through
//! [`Edge::handle`].

pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::body::EdgeBody;
use crate::pipeline::{ConnInfo, Edge};
use crate::viewer::ViewerProtocol;

/// A running listener's settings.
#[derive(Debug, Clone, Copy)]
pub struct ListenerSettings {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub drain_timeout: Duration,
}

impl ListenerSettings {
    /// From the validated config.
    pub fn from_config(c: &crate::config::ServerConfig) -> Self {
        ListenerSettings {
            header_read_timeout: c.header_read_timeout,
            idle_timeout: c.idle_timeout,
            drain_timeout: c.drain_timeout,
        }
    }
}

/// The HTTP/1.1 + HTTP/2 connection builder the listeners share.
fn builder(s: &ListenerSettings) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        // CloudFront capitalises each hyphen-separated word of header names
        // on HTTP/1.1 (spec §4.4); HTTP/2 names are lowercase by definition.
        .title_case_headers(true)
        .timer(TokioTimer::new())
        .header_read_timeout(s.header_read_timeout)
        .keep_alive(true)
        .max_buf_size(256 * 1024);
    b.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(s.idle_timeout))
        .keep_alive_timeout(Duration::from_secs(20))
        .max_concurrent_streams(256)
        // Let heads up to the HTTP/1 buffer size through, so the pipeline can
        // answer CloudFront's 494 for heads over 32,768 bytes (spec §1.7)
        // instead of the HTTP/2 layer's 431.
        .max_header_list_size(256 * 1024);
    b
}

/// Call the pipeline; a panic inside one request becomes a 500 for that
/// request only, and the process carries on.
async fn handle_guarded(
    edge: Arc<Edge>,
    req: Request<Incoming>,
    conn: ConnInfo,
) -> Response<EdgeBody> {
    let req = req.map(|b| {
        if http_body::Body::is_end_stream(&b) {
            EdgeBody::empty()
        } else {
            EdgeBody::stream(http_body_util::BodyExt::map_err(b, |e| {
                Box::new(crate::viewer::ViewerBodyError(Box::new(e))) as crate::body::BoxError
            }))
        }
    });
    // Boxed: the pipeline's future is several KB, and hyper moves the
    // service's future a few times per request.
    match AssertUnwindSafe(Box::pin(edge.handle(req, conn)))
        .catch_unwind()
        .await
    {
        Ok(r) => r,
        Err(_) => {
            tracing::error!(client = %conn.client_addr, "request handler panicked");
            let mut r = Response::new(EdgeBody::full("Internal error"));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

/// Accept viewers on `listener` until `shutdown` resolves, then drain.
pub async fn run<F>(edge: Arc<Edge>, listener: TcpListener, settings: ListenerSettings, shutdown: F)
where
    F: Future<Output = ()>,
{
    run_with_tls(edge, listener, None, settings, shutdown).await;
}

/// The `[server.tls]` listener and its acceptor (see [`tls`]).
pub struct TlsListener {
    pub listener: TcpListener,
    pub acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

/// Accept a connection, or wait forever when there is no TLS listener.
async fn accept_tls(
    tls: Option<&TlsListener>,
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match tls {
        Some(t) => t.listener.accept().await,
        None => std::future::pending().await,
    }
}

/// Like [`run`], also accepting HTTPS viewers on `tls`: the handshake runs in
/// the connection's task (bounded by the header read timeout), ALPN picks
/// `h2` or `http/1.1`, and the request is served with `ViewerProtocol::Https`.
pub async fn run_with_tls<F>(
    edge: Arc<Edge>,
    listener: TcpListener,
    tls: Option<TlsListener>,
    settings: ListenerSettings,
    shutdown: F,
) where
    F: Future<Output = ()>,
{
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (accepted, protocol) = tokio::select! {
            a = listener.accept() => (a, ViewerProtocol::Http),
            a = accept_tls(tls.as_ref()) => (a, ViewerProtocol::Https),
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Transient (e.g. out of file descriptors): keep serving.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let edge = edge.clone();
        let conn = ConnInfo {
            client_addr: peer,
            protocol,
        };
        let watcher = graceful.watcher();
        match (protocol, &tls) {
            (ViewerProtocol::Https, Some(t)) => {
                let acceptor = t.acceptor.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(settings.header_read_timeout, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(tls_stream)) => {
                            serve_watched(edge, tls_stream, conn, settings, watcher).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(client = %peer, error = %e, "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(client = %peer, "TLS handshake timed out"),
                    }
                });
            }
            _ => {
                tokio::spawn(async move {
                    serve_watched(edge, stream, conn, settings, watcher).await;
                });
            }
        }
    }
    drop(listener);
    drop(tls);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections drained"),
        () = tokio::time::sleep(settings.drain_timeout) => tracing::warn!("drain timeout; closing remaining connections"),
    }
}

/// Serve one accepted connection (plain TCP or TLS) until it closes or the
/// graceful shutdown drains it.
pub async fn serve_watched<IO>(
    edge: Arc<Edge>,
    stream: IO,
    conn: ConnInfo,
    settings: ListenerSettings,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let edge = edge.clone();
        async move { Ok::<_, std::convert::Infallible>(handle_guarded(edge, req, conn).await) }
    });
    let b = builder(&settings);
    let fut = b.serve_connection_with_upgrades(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(fut).await {
        tracing::debug!(client = %conn.client_addr, error = %e, "viewer connection ended with an error");
    }
}

/// Bind the plain HTTP listener.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
