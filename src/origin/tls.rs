//! Origin-side TLS: the rustls client configuration for HTTPS custom
//! origins, a hyper-util connector that speaks HTTP or HTTPS by URI scheme,
//! and the classification of client errors into TLS vs connect failures.
//!
//! - Which scheme to use is the origin protocol policy (spec §1.2), decided
//!   by `OriginTarget::from_origin`; this connector follows the URI scheme.
//! - The origin certificate is verified against the Mozilla roots
//!   (webpki-roots) plus the origin's `ca_file`, for the origin's domain
//!   name, which is also the SNI. `insecure_skip_verify = true` accepts
//!   any certificate (handshake signatures are still checked) and is
//!   logged at warn level when the config is built.
//! - ALPN offers `http/1.1` only: CloudFront talks to custom origins over
//!   HTTP/1.1 (spec §1.2).
//! - A bad, self-signed, expired or mismatched certificate is a TLS failure
//!   ([`classify`] → [`OriginFailure::Tls`]), which the pipeline answers
//!   with 502 (`EdgeError::OriginTls`, spec §1.2).

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::uri::Scheme;
use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::config::{Config, ConfigError, CustomOrigin, OriginKind, OriginProtocolPolicy};

/// The rustls client configuration for one origin. `item` names the origin
/// in errors (e.g. `origins.app`); a relative `ca_file` resolves against
/// `base_dir` (the config file's directory).
pub fn client_config(
    origin: &CustomOrigin,
    item: &str,
    base_dir: &Path,
) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ConfigError::new(item, format!("TLS setup: {e}")))?;
    let mut config = if origin.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(ca) = &origin.ca_file {
            add_ca_file(&mut roots, &base_dir.join(ca), item)?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn add_ca_file(
    roots: &mut rustls::RootCertStore,
    path: &Path,
    item: &str,
) -> Result<(), ConfigError> {
    let err = |m: String| ConfigError::new(format!("{item}.ca_file"), m).in_file(path);
    let pem = std::fs::read(path).map_err(|e| err(format!("cannot read file: {e}")))?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(format!("invalid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(err("no PEM certificate found".into()));
    }
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| err(format!("not a usable CA certificate: {e}")))?;
    }
    Ok(())
}

/// The client TLS configurations of a distribution: one shared default
/// (public roots) plus one per origin with a `ca_file` or
/// `insecure_skip_verify`. Indexes are stable, for keying connection pools.
#[derive(Clone)]
pub struct TlsProfiles {
    configs: Vec<Arc<rustls::ClientConfig>>,
    by_origin: std::collections::HashMap<String, usize>,
}

impl std::fmt::Debug for TlsProfiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsProfiles")
            .field("profiles", &self.configs.len())
            .field("by_origin", &self.by_origin)
            .finish()
    }
}

impl TlsProfiles {
    /// Check every origin's TLS settings (start-up and `cfedge validate`).
    pub fn check(config: &Config) -> Result<(), ConfigError> {
        Self::build_inner(config, false).map(drop)
    }

    /// Build every origin's configuration; a bad `ca_file` is a [`ConfigError`].
    /// Each origin with `insecure_skip_verify` is logged at warn level.
    pub fn build(config: &Config) -> Result<TlsProfiles, ConfigError> {
        Self::build_inner(config, true)
    }

    fn build_inner(config: &Config, warn: bool) -> Result<TlsProfiles, ConfigError> {
        let default = CustomOrigin {
            domain_name: String::new(),
            protocol_policy: OriginProtocolPolicy::HttpsOnly,
            http_port: 80,
            https_port: 443,
            ca_file: None,
            insecure_skip_verify: false,
        };
        let base = config.base_dir();
        let mut configs = vec![client_config(&default, "origins", &base)?];
        let mut by_origin = std::collections::HashMap::new();
        for o in &config.origins {
            if let OriginKind::Custom(c) = &o.kind {
                if c.insecure_skip_verify && warn {
                    tracing::warn!(
                        origin = %o.id,
                        domain = %c.domain_name,
                        "insecure_skip_verify = true: the origin's TLS certificate is NOT verified; never use this outside development"
                    );
                }
                if c.ca_file.is_some() || c.insecure_skip_verify {
                    configs.push(client_config(c, &format!("origins.{}", o.id), &base)?);
                    by_origin.insert(o.id.clone(), configs.len() - 1);
                }
            }
        }
        Ok(TlsProfiles { configs, by_origin })
    }

    /// A profile set that refuses every origin certificate (empty root store),
    /// for when [`TlsProfiles::build`] failed and HTTPS must fail closed.
    pub fn refuse_all() -> TlsProfiles {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        });
        TlsProfiles {
            configs: config.map(Arc::new).into_iter().collect(),
            by_origin: Default::default(),
        }
    }

    /// The profile index and configuration for an origin (by id).
    pub fn for_origin(&self, origin_id: &str) -> Option<(usize, Arc<rustls::ClientConfig>)> {
        let i = self.by_origin.get(origin_id).copied().unwrap_or(0);
        self.configs.get(i).map(|c| (i, c.clone()))
    }
}

/// Accepts any certificate; handshake signatures are still verified so the
/// connection is at least encrypted to the key the origin presented.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A hyper-util connector for one origin: plain TCP for `http://` URIs,
/// TCP + TLS (SNI = the URI host) for `https://` URIs.
///
/// ```no_run
/// # fn f(origin: &cfedge::config::CustomOrigin) -> Result<(), cfedge::config::ConfigError> {
/// use cfedge::origin::tls::{client_config, OriginConnector};
/// let tls = client_config(origin, "origins.app", std::path::Path::new("."))?;
/// let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
///     .build::<_, http_body_util::Full<bytes::Bytes>>(OriginConnector::new(tls));
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct OriginConnector {
    http: HttpConnector,
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for OriginConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OriginConnector").finish_non_exhaustive()
    }
}

impl OriginConnector {
    /// A connector with a default `HttpConnector` (`TCP_NODELAY` on).
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        Self::with_http(http, tls)
    }

    /// A connector around a configured `HttpConnector` (connect timeout,
    /// keep-alive...). `enforce_http` is switched off so `https` URIs pass.
    pub fn with_http(mut http: HttpConnector, tls: Arc<rustls::ClientConfig>) -> Self {
        http.enforce_http(false);
        OriginConnector {
            http,
            tls: tokio_rustls::TlsConnector::from(tls),
        }
    }
}

/// Why connecting to an origin failed (the source of hyper-util's error).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// TCP connect failed (refused, unreachable, DNS, timeout).
    #[error("connect failed: {0}")]
    Connect(#[source] Box<dyn StdError + Send + Sync>),
    /// The TLS handshake failed (certificate, protocol).
    #[error("TLS handshake failed: {0}")]
    Tls(#[source] io::Error),
    /// The URI host cannot be a TLS server name.
    #[error("invalid origin host for TLS: {0:?}")]
    InvalidHost(String),
}

/// What kind of origin failure a client error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginFailure {
    /// Certificate or handshake failure: 502 (spec §1.2).
    Tls,
    /// TCP connect failure (refused, unreachable, DNS): 502.
    Connect,
    /// Anything else (the connection broke, bad HTTP...).
    Other,
}

/// Classify an error from hyper-util's client by walking its sources:
/// a `rustls::Error` (directly or inside an `io::Error`) or our
/// [`ConnectError::Tls`] is [`OriginFailure::Tls`]; a connect failure is
/// [`OriginFailure::Connect`].
pub fn classify(err: &(dyn StdError + 'static)) -> OriginFailure {
    let mut connect = false;
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<rustls::Error>() {
            return OriginFailure::Tls;
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
            {
                return OriginFailure::Tls;
            }
        }
        match e.downcast_ref::<ConnectError>() {
            Some(ConnectError::Tls(_) | ConnectError::InvalidHost(_)) => return OriginFailure::Tls,
            Some(ConnectError::Connect(_)) => connect = true,
            None => {}
        }
        if let Some(h) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
            connect |= h.is_connect();
        }
        cur = e.source();
    }
    if connect {
        OriginFailure::Connect
    } else {
        OriginFailure::Other
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tower_service::Service<Uri> for OriginConnector {
    type Response = TokioIo<OriginStream>;
    type Error = ConnectError;
    type Future = BoxFuture<Result<Self::Response, ConnectError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower_service::Service::<Uri>::poll_ready(&mut self.http, cx)
            .map_err(|e| ConnectError::Connect(Box::new(e)))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        let host = uri
            .host()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let connecting = tower_service::Service::<Uri>::call(&mut self.http, uri);
        let tls = self.tls.clone();
        super::note_connect_phase(super::ConnectPhase::Connecting);
        Box::pin(async move {
            let tcp = connecting
                .await
                .map_err(|e| ConnectError::Connect(Box::new(e)))?
                .into_inner();
            if !https {
                super::note_connect_phase(super::ConnectPhase::Connected(
                    tokio::time::Instant::now(),
                ));
                return Ok(TokioIo::new(OriginStream::Plain(tcp)));
            }
            let name =
                ServerName::try_from(host.clone()).map_err(|_| ConnectError::InvalidHost(host))?;
            let stream = tls.connect(name, tcp).await.map_err(ConnectError::Tls)?;
            super::note_connect_phase(super::ConnectPhase::Connected(tokio::time::Instant::now()));
            Ok(TokioIo::new(OriginStream::Tls(Box::new(stream))))
        })
    }
}

/// A connection to an origin, plain or TLS.
#[derive(Debug)]
pub enum OriginStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Connection for OriginStream {
    fn connected(&self) -> Connected {
        match self {
            OriginStream::Plain(s) => s.connected(),
            OriginStream::Tls(s) => s.get_ref().0.connected(),
        }
    }
}

impl AsyncRead for OriginStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            OriginStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            OriginStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for OriginStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            OriginStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            OriginStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            OriginStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            OriginStream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            OriginStream::Plain(s) => s.is_write_vectored(),
            OriginStream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            OriginStream::Plain(s) => Pin::new(s).poll_flush(cx),
            OriginStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            OriginStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            OriginStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
