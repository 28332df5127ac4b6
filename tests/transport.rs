//! Transport: viewer TLS (generated and given certificates, SNI, ALPN,
//! HTTP/2 over TLS and h2c), HTTPS origins (test CA, failures → 502),
//! compression (spec §8) and range requests through the live proxy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod support;

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cfedge::config::Config;
use cfedge::pipeline::Edge;
use cfedge::server::{self, ListenerSettings, TlsListener};
use http::{Request, Version};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use support::{config_for, Origin, Proxy, Route};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------- helpers

/// A test CA and certificates it issues.
struct TestCa {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl TestCa {
    fn new() -> TestCa {
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "cfedge test CA");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        TestCa { cert, key }
    }

    /// A leaf for `names`: (cert PEM, key PEM, cert DER).
    fn leaf(&self, names: &[&str]) -> (String, String, CertificateDer<'static>) {
        let mut p =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().clone())
    }

    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn client_config(root: &CertificateDer<'static>, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    store.add(root.clone()).unwrap();
    let mut c = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(store)
    .with_no_client_auth();
    c.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(c)
}

/// A client that accepts any certificate and records what the server presented.
#[derive(Debug, Default)]
struct Capture(Mutex<Option<CertificateDer<'static>>>);

impl rustls::client::danger::ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.0.lock().unwrap() = Some(end_entity.clone().into_owned());
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The certificate the server presents for `sni`.
async fn presented(addr: SocketAddr, sni: &str) -> CertificateDer<'static> {
    let capture = Arc::new(Capture::default());
    let c = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(capture.clone())
    .with_no_client_auth();
    let _s = tls_connect(addr, sni, Arc::new(c)).await.unwrap();
    let cert = capture.0.lock().unwrap().clone().unwrap();
    cert
}

async fn tls_connect(
    addr: SocketAddr,
    sni: &str,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from(sni.to_owned()).unwrap();
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
}

/// The edge with both listeners on ephemeral ports.
struct TlsEdge {
    http: SocketAddr,
    https: SocketAddr,
    generated_ca: Option<PathBuf>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start_tls_edge(toml: &str) -> TlsEdge {
    let config = Config::from_toml(toml).unwrap_or_else(|e| panic!("config: {e}"));
    let vt = server::tls::from_config(&config)
        .unwrap()
        .expect("[server.tls] present");
    let settings = ListenerSettings::from_config(&config.server);
    let edge = Edge::new(Arc::new(config));
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (http, https) = (plain.local_addr().unwrap(), tls.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tls = TlsListener {
        listener: tls,
        acceptor: vt.acceptor(),
    };
    tokio::spawn(server::run_with_tls(
        edge,
        plain,
        Some(tls),
        settings,
        async move {
            let _ = rx.await;
        },
    ));
    TlsEdge {
        http,
        https,
        generated_ca: vt.generated.map(|g| g.ca_cert),
        _stop: tx,
    }
}

/// One response read whole.
struct Resp {
    status: u16,
    version: Version,
    headers: http::HeaderMap,
    body: Bytes,
}

/// Send GET `path` over an established stream, as HTTP/1.1 or HTTP/2.
async fn get_over<S>(stream: S, h2: bool, host: &str, path: &str) -> Resp
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let uri = format!("https://{host}{path}");
    let resp = if h2 {
        let (mut send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::get(uri)
            .version(Version::HTTP_2)
            .body(Full::<Bytes>::default())
            .unwrap();
        send.send_request(req).await.unwrap()
    } else {
        let (mut send, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn);
        let req = Request::get(path)
            .header("host", host)
            .body(Full::<Bytes>::default())
            .unwrap();
        send.send_request(req).await.unwrap()
    };
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Resp {
        status: parts.status.as_u16(),
        version: parts.version,
        headers: parts.headers,
        body,
    }
}

fn tls_toml(origin: &Origin, tls: &str, extra: &str) -> String {
    config_for(&origin.url(), &format!("{extra}\n{tls}"))
}

// ---------------------------------------------------------------- viewer TLS

#[tokio::test]
async fn generated_certificate_serves_https_h1_and_h2_and_is_reused() {
    let origin = Origin::start().await;
    origin.route("/hello", Route::ok("hello over tls"));
    let state = tempfile::tempdir().unwrap();
    let tls = format!(
        "[server]\nstate_dir = \"{}\"\n[server.tls]\nlisten = \"127.0.0.1:0\"\n",
        state.path().display()
    );
    let toml = tls_toml(
        &origin,
        &tls,
        "viewer_protocol_policy = \"https-only\"\n[distribution]\ndomain_name = \"d123.cloudfront.net\"\naliases = [\"www.example.test\"]\n",
    );
    let edge = start_tls_edge(&toml).await;
    let ca_path = edge.generated_ca.clone().unwrap();
    assert_eq!(ca_path, state.path().join("tls/ca.pem"));
    let ca_pem = std::fs::read(&ca_path).unwrap();
    let ca = rustls_pemfile::certs(&mut ca_pem.as_slice())
        .next()
        .unwrap()
        .unwrap();

    // The generated leaf verifies for every name, ALPN picks h2 or http/1.1.
    for name in [
        "localhost",
        "127.0.0.1",
        "d123.cloudfront.net",
        "www.example.test",
    ] {
        let s = tls_connect(edge.https, name, client_config(&ca, &[b"h2", b"http/1.1"]))
            .await
            .unwrap();
        assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "{name}");
    }
    let s = tls_connect(
        edge.https,
        "localhost",
        client_config(&ca, &[b"h2", b"http/1.1"]),
    )
    .await
    .unwrap();
    let r = get_over(s, true, "localhost", "/hello").await;
    assert_eq!((r.status, r.version), (200, Version::HTTP_2));
    assert_eq!(&r.body[..], b"hello over tls");
    // The pipeline sees HTTPS (https-only behaviour); plain HTTP gets 403 (spec §7.3).
    let plain = get_over(
        TcpStream::connect(edge.http).await.unwrap(),
        false,
        "localhost",
        "/hello",
    )
    .await;
    assert_eq!(plain.status, 403);

    let s = tls_connect(edge.https, "localhost", client_config(&ca, &[b"http/1.1"]))
        .await
        .unwrap();
    assert_eq!(s.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let r = get_over(s, false, "localhost", "/hello").await;
    assert_eq!((r.status, r.version), (200, Version::HTTP_11));
    assert_eq!(r.headers["x-cache"], "Hit from cloudfront");

    // Without ALPN the connection is HTTP/1.1.
    let s = tls_connect(edge.https, "localhost", client_config(&ca, &[]))
        .await
        .unwrap();
    assert_eq!(s.get_ref().1.alpn_protocol(), None);
    assert_eq!(get_over(s, false, "localhost", "/hello").await.status, 200);

    // A name outside the certificate does not verify.
    let err = tls_connect(edge.https, "elsewhere.test", client_config(&ca, &[])).await;
    assert!(err.is_err());

    // Reused on the next start: same CA, same leaf.
    let leaf_before = std::fs::read(state.path().join("tls/localhost.pem")).unwrap();
    let config = Config::from_toml(&toml).unwrap();
    let again = server::tls::from_config(&config).unwrap().unwrap();
    assert!(!again.generated.unwrap().created);
    assert_eq!(std::fs::read(&ca_path).unwrap(), ca_pem);
    assert_eq!(
        std::fs::read(state.path().join("tls/localhost.pem")).unwrap(),
        leaf_before
    );

    // New aliases: a new leaf from the same CA.
    let toml2 = tls_toml(
        &origin,
        &tls,
        "[distribution]\ndomain_name = \"d123.cloudfront.net\"\naliases = [\"new.example.test\"]\n",
    );
    let edge2 = start_tls_edge(&toml2).await;
    assert_eq!(std::fs::read(&ca_path).unwrap(), ca_pem, "CA kept");
    assert_ne!(
        std::fs::read(state.path().join("tls/localhost.pem")).unwrap(),
        leaf_before,
        "leaf re-issued"
    );
    tls_connect(edge2.https, "new.example.test", client_config(&ca, &[]))
        .await
        .unwrap();

    // An unreadable leaf is re-issued; an unreadable CA is replaced.
    std::fs::write(state.path().join("tls/localhost.pem"), "garbage").unwrap();
    let edge3 = start_tls_edge(&toml2).await;
    tls_connect(edge3.https, "localhost", client_config(&ca, &[]))
        .await
        .unwrap();
    std::fs::write(state.path().join("tls/ca.key.pem"), "garbage").unwrap();
    let edge4 = start_tls_edge(&toml2).await;
    assert_ne!(std::fs::read(&ca_path).unwrap(), ca_pem, "new CA");
    assert!(
        tls_connect(edge4.https, "localhost", client_config(&ca, &[]))
            .await
            .is_err(),
        "old CA no longer trusted"
    );
}

#[tokio::test]
async fn given_certificates_are_chosen_by_sni_with_wildcards_and_fallback() {
    let origin = Origin::start().await;
    origin.route("/", Route::ok("root"));
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let (c1, k1, der1) = ca.leaf(&["example.test"]);
    let (c2, k2, der2) = ca.leaf(&["*.other.test"]);
    let tls = format!(
        "[server.tls]\nlisten = \"127.0.0.1:0\"\ncert = \"{}\"\nkey = \"{}\"\n[[server.tls.certificates]]\ncert = \"{}\"\nkey = \"{}\"\n",
        write(dir.path(), "c1.pem", &c1).display(),
        write(dir.path(), "k1.pem", &k1).display(),
        write(dir.path(), "c2.pem", &c2).display(),
        write(dir.path(), "k2.pem", &k2).display(),
    );
    let edge = start_tls_edge(&tls_toml(&origin, &tls, "")).await;
    assert!(edge.generated_ca.is_none());
    assert_eq!(presented(edge.https, "example.test").await, der1);
    assert_eq!(presented(edge.https, "a.other.test").await, der2);
    assert_eq!(
        presented(edge.https, "other.test").await,
        der1,
        "wildcard covers one label only"
    );
    assert_eq!(
        presented(edge.https, "unknown.test").await,
        der1,
        "fallback to the first"
    );
    assert_eq!(
        presented(edge.https, "127.0.0.1").await,
        der1,
        "no SNI (IP address): the first"
    );
    // A verifying client succeeds with the matching certificate, over HTTP/2.
    let s = tls_connect(
        edge.https,
        "x.other.test",
        client_config(&ca.der(), &[b"h2"]),
    )
    .await
    .unwrap();
    let r = get_over(s, true, "x.other.test", "/").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"root"[..]));
}

#[tokio::test]
async fn tls12_and_tls13_are_both_accepted() {
    let origin = Origin::start().await;
    let state = tempfile::tempdir().unwrap();
    let tls = format!(
        "[server]\nstate_dir = \"{}\"\n[server.tls]\nlisten = \"127.0.0.1:0\"\n",
        state.path().display()
    );
    let edge = start_tls_edge(&tls_toml(&origin, &tls, "")).await;
    let ca_pem = std::fs::read(edge.generated_ca.as_ref().unwrap()).unwrap();
    let ca = rustls_pemfile::certs(&mut ca_pem.as_slice())
        .next()
        .unwrap()
        .unwrap();
    for (version, expect) in [
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
    ] {
        let mut store = rustls::RootCertStore::empty();
        store.add(ca.clone()).unwrap();
        let c = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
        let s = tls_connect(edge.https, "localhost", Arc::new(c))
            .await
            .unwrap();
        assert_eq!(s.get_ref().1.protocol_version(), Some(expect));
    }
}

#[test]
fn certificate_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let (c1, k1, _) = ca.leaf(&["example.test"]);
    let (_, k2, _) = ca.leaf(&["example.test"]);
    let cert = write(dir.path(), "cert.pem", &c1);
    let key = write(dir.path(), "key.pem", &k1);
    let other_key = write(dir.path(), "other-key.pem", &k2);
    let empty = write(dir.path(), "empty.pem", "nothing here\n");
    let missing = dir.path().join("missing.pem");
    let check = |cert: &Path, key: &Path| {
        let toml = config_for(
            "http://127.0.0.1:9999",
            &format!(
                "[server.tls]\ncert = \"{}\"\nkey = \"{}\"\n",
                cert.display(),
                key.display()
            ),
        );
        let config = Config::from_toml(&toml).unwrap();
        server::tls::check(&config).map_err(|e| (e.file.clone(), e.to_string()))
    };
    assert!(check(&cert, &key).is_ok());
    let (file, msg) = check(&missing, &key).unwrap_err();
    assert_eq!(file.as_deref(), Some(missing.as_path()));
    assert!(msg.contains("cannot read"), "{msg}");
    let (file, msg) = check(&empty, &key).unwrap_err();
    assert_eq!(file.as_deref(), Some(empty.as_path()));
    assert!(msg.contains("no certificate found"), "{msg}");
    let (file, msg) = check(&cert, &empty).unwrap_err();
    assert_eq!(file.as_deref(), Some(empty.as_path()));
    assert!(msg.contains("no private key"), "{msg}");
    let (file, msg) = check(&cert, &other_key).unwrap_err();
    assert_eq!(file.as_deref(), Some(other_key.as_path()));
    assert!(msg.contains("does not match"), "{msg}");
    // A certificate block that is not X.509.
    let bogus = write(
        dir.path(),
        "bogus.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let (file, msg) = check(&bogus, &key).unwrap_err();
    assert_eq!(file.as_deref(), Some(bogus.as_path()));
    assert!(msg.contains("not a valid X.509"), "{msg}");
}

#[tokio::test]
async fn h2c_prior_knowledge_on_the_plain_listener() {
    let origin = Origin::start().await;
    origin.route("/x", Route::ok("plain h2"));
    let state = tempfile::tempdir().unwrap();
    let tls = format!(
        "[server]\nstate_dir = \"{}\"\n[server.tls]\nlisten = \"127.0.0.1:0\"\n",
        state.path().display()
    );
    let edge = start_tls_edge(&tls_toml(&origin, &tls, "")).await;
    let s = TcpStream::connect(edge.http).await.unwrap();
    let r = get_over(s, true, "localhost", "/x").await;
    assert_eq!(
        (r.status, r.version, &r.body[..]),
        (200, Version::HTTP_2, &b"plain h2"[..])
    );
}

// ---------------------------------------------------------------- HTTPS origins

/// An HTTPS origin on 127.0.0.1 presenting `cert`/`key`; records the SNI it saw.
struct TlsOrigin {
    port: u16,
    sni: Arc<Mutex<Vec<Option<String>>>>,
}

async fn start_tls_origin(cert_pem: &str, key_pem: &str) -> TlsOrigin {
    let chain = rustls_pemfile::certs(&mut cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .unwrap()
        .unwrap();
    let mut sc = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(sc));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sni = Arc::new(Mutex::new(Vec::new()));
    let seen = sni.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                seen.lock()
                    .unwrap()
                    .push(tls.get_ref().1.server_name().map(str::to_owned));
                let svc = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let body = format!("secure {}", req.uri().path());
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from(
                        body,
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    TlsOrigin { port, sni }
}

fn https_origin_toml(port: u16, origin_extra: &str) -> String {
    format!(
        "[origins.app]\nurl = \"https://localhost:{port}\"\nconnection_attempts = 1\n{origin_extra}\n\n[default_behavior]\ntarget_origin = \"app\"\n"
    )
}

#[tokio::test]
async fn https_origin_verified_with_ca_file_and_sni() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let (cert, key, _) = ca.leaf(&["localhost"]);
    let origin = start_tls_origin(&cert, &key).await;
    let ca_file = write(dir.path(), "ca.pem", &ca.cert.pem());
    let proxy = Proxy::start(&https_origin_toml(
        origin.port,
        &format!("ca_file = \"{}\"", ca_file.display()),
    ))
    .await;
    let got = proxy.get("/page").await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.text(), "secure /page");
    assert_eq!(
        origin
            .sni
            .lock()
            .unwrap()
            .first()
            .cloned()
            .flatten()
            .as_deref(),
        Some("localhost")
    );
}

#[tokio::test]
async fn untrusted_or_mismatched_origin_certificates_give_502() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let ca_file = write(dir.path(), "ca.pem", &ca.cert.pem());
    // Unknown CA (not in the public roots, no ca_file).
    let (cert, key, _) = ca.leaf(&["localhost"]);
    let good = start_tls_origin(&cert, &key).await;
    let proxy = Proxy::start(&https_origin_toml(good.port, "")).await;
    let got = proxy.get("/a").await;
    assert_eq!(got.status, 502);
    assert_eq!(got.x_cache(), "Error from cloudfront");
    // Name mismatch, even with the CA trusted.
    let (cert, key, _) = ca.leaf(&["wrong.test"]);
    let wrong = start_tls_origin(&cert, &key).await;
    let proxy = Proxy::start(&https_origin_toml(
        wrong.port,
        &format!("ca_file = \"{}\"", ca_file.display()),
    ))
    .await;
    let got = proxy.get("/b").await;
    assert_eq!(got.status, 502);
    assert_eq!(got.x_cache(), "Error from cloudfront");
    // Expired certificate.
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    p.not_before = rcgen::date_time_ymd(2000, 1, 1);
    p.not_after = rcgen::date_time_ymd(2001, 1, 1);
    let k = rcgen::KeyPair::generate().unwrap();
    let expired = p.signed_by(&k, &ca.cert, &ca.key).unwrap();
    let old = start_tls_origin(&expired.pem(), &k.serialize_pem()).await;
    let proxy = Proxy::start(&https_origin_toml(
        old.port,
        &format!("ca_file = \"{}\"", ca_file.display()),
    ))
    .await;
    assert_eq!(proxy.get("/c").await.status, 502);
}

#[tokio::test]
async fn insecure_skip_verify_accepts_a_self_signed_origin() {
    let ca = TestCa::new();
    let (cert, key, _) = ca.leaf(&["wrong.test"]);
    let origin = start_tls_origin(&cert, &key).await;
    let proxy = Proxy::start(&https_origin_toml(
        origin.port,
        "insecure_skip_verify = true",
    ))
    .await;
    let got = proxy.get("/d").await;
    assert_eq!((got.status, got.text().as_str()), (200, "secure /d"));
}

#[tokio::test]
async fn tls_failures_are_told_apart_from_connect_failures() {
    use cfedge::origin::tls::{classify, client_config, OriginConnector, OriginFailure};
    let ca = TestCa::new();
    let (cert, key, _) = ca.leaf(&["localhost"]);
    let origin = start_tls_origin(&cert, &key).await;
    let toml = https_origin_toml(origin.port, "");
    let config = Config::from_toml(&toml).unwrap();
    let cfedge::config::OriginKind::Custom(custom) = &config.origins[0].kind else {
        panic!()
    };
    let tls = client_config(custom, "origins.app", Path::new(".")).unwrap();
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build::<_, Full<Bytes>>(OriginConnector::new(tls));
    let err = client
        .get(
            format!("https://localhost:{}/", origin.port)
                .parse()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(classify(&err), OriginFailure::Tls, "{err:?}");
    // Nothing listens on this port.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = client
        .get(format!("https://127.0.0.1:{port}/").parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(classify(&err), OriginFailure::Connect, "{err:?}");
}

#[tokio::test]
async fn match_viewer_uses_https_for_https_viewers() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let (cert, key, _) = ca.leaf(&["localhost"]);
    let secure = start_tls_origin(&cert, &key).await;
    let plain = Origin::start().await;
    plain.route("/mv", Route::ok("plain /mv"));
    let ca_file = write(dir.path(), "ca.pem", &ca.cert.pem());
    let state = tempfile::tempdir().unwrap();
    let toml = format!(
        "[server]\nstate_dir = \"{}\"\n[server.tls]\nlisten = \"127.0.0.1:0\"\n\n[origins.app]\nurl = \"http://localhost\"\norigin_protocol_policy = \"match-viewer\"\nhttp_port = {}\nhttps_port = {}\nca_file = \"{}\"\nconnection_attempts = 1\n\n[default_behavior]\ntarget_origin = \"app\"\ncache_policy = \"CachingDisabled\"\n",
        state.path().display(),
        plain.addr.port(),
        secure.port,
        ca_file.display()
    );
    let edge = start_tls_edge(&toml).await;
    let s = TcpStream::connect(edge.http).await.unwrap();
    assert_eq!(
        &get_over(s, false, "localhost", "/mv").await.body[..],
        b"plain /mv"
    );
    let ca_pem = std::fs::read(edge.generated_ca.as_ref().unwrap()).unwrap();
    let viewer_ca = rustls_pemfile::certs(&mut ca_pem.as_slice())
        .next()
        .unwrap()
        .unwrap();
    let s = tls_connect(edge.https, "localhost", client_config(&viewer_ca, &[b"h2"]))
        .await
        .unwrap();
    assert_eq!(
        &get_over(s, true, "localhost", "/mv").await.body[..],
        b"secure /mv"
    );
}

#[test]
fn bad_ca_file_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.pem", "no certs");
    let toml = https_origin_toml(8443, &format!("ca_file = \"{}\"", empty.display()));
    let config = Config::from_toml(&toml).unwrap();
    let err = cfedge::origin::tls::TlsProfiles::build(&config).unwrap_err();
    assert_eq!(err.item, "origins.app.ca_file");
    assert_eq!(err.file.as_deref(), Some(empty.as_path()));
}

// ---------------------------------------------------------------- compression

fn text_body(n: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < n {
        s.push_str(&format!("<p>paragraph {i} of a compressible page</p>\n"));
        i += 1;
    }
    s.truncate(n);
    s
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

#[tokio::test]
async fn compressed_variant_is_cached_per_normalised_accept_encoding() {
    let origin = Origin::start().await;
    let page = text_body(5000);
    origin.route(
        "/page.html",
        Route::ok(&page)
            .header("content-type", "text/html; charset=utf-8")
            .header("etag", "\"abc\""),
    );
    let proxy = Proxy::start(&config_for(&origin.url(), "compress = true")).await;

    let br = proxy
        .get_with("/page.html", &[("accept-encoding", "gzip, deflate, br")])
        .await;
    assert_eq!(br.status, 200);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("etag"), Some("W/\"abc\""));
    assert_eq!(br.header("vary"), Some("Accept-Encoding"));
    assert_eq!(
        br.header("content-length"),
        Some(br.body.len().to_string().as_str())
    );
    assert_eq!(unbrotli(&br.body), page.as_bytes());
    assert_eq!(br.x_cache(), "Miss from cloudfront");

    let again = proxy
        .get_with("/page.html", &[("accept-encoding", "br, gzip")])
        .await;
    assert_eq!(again.x_cache(), "Hit from cloudfront");
    assert_eq!(again.body, br.body);

    let gz = proxy
        .get_with("/page.html", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&gz.body), page.as_bytes());

    let plain = proxy.get("/page.html").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.text(), page);
    assert_eq!(plain.header("etag"), Some("\"abc\""));
    assert_eq!(
        origin.hits("/page.html"),
        3,
        "one fetch per normalised Accept-Encoding"
    );
}

#[tokio::test]
async fn compression_rules_end_to_end() {
    let origin = Origin::start().await;
    let page = text_body(5000);
    origin.route(
        "/small.txt",
        Route::ok(&text_body(999)).header("content-type", "text/plain"),
    );
    origin.route(
        "/image.png",
        Route::ok(&page).header("content-type", "image/png"),
    );
    origin.route(
        "/already",
        Route::ok(&page)
            .header("content-type", "text/plain")
            .header("content-encoding", "identity"),
    );
    origin.route(
        "/missing",
        Route::status(404, &page).header("content-type", "text/html"),
    );
    origin.route(
        "/error",
        Route::status(500, &page).header("content-type", "text/html"),
    );
    origin.route(
        "/bad-etag",
        Route::ok(&page)
            .header("content-type", "text/css")
            .header("etag", "no-quotes"),
    );
    let proxy = Proxy::start(&config_for(&origin.url(), "compress = true")).await;
    let ae = [("accept-encoding", "gzip")];
    for (path, compressed) in [
        ("/small.txt", false),
        ("/image.png", false),
        ("/already", false),
        ("/missing", true),
        ("/error", false),
        ("/bad-etag", true),
    ] {
        let got = proxy.get_with(path, &ae).await;
        assert_eq!(
            got.header("content-encoding") == Some("gzip"),
            compressed,
            "{path}"
        );
    }
    assert_eq!(
        proxy.get_with("/bad-etag", &ae).await.header("etag"),
        None,
        "invalid ETag removed"
    );

    // compress = false on the behaviour: never.
    let off = Proxy::start(&config_for(&origin.url(), "")).await;
    assert_eq!(
        off.get_with("/missing", &ae)
            .await
            .header("content-encoding"),
        None
    );
}

// ---------------------------------------------------------------- ranges

#[tokio::test]
async fn ranges_are_served_from_the_cached_object() {
    let origin = Origin::start().await;
    origin.route(
        "/file.bin",
        Route::ok("0123456789abcdefghij").header("content-type", "application/octet-stream"),
    );
    let proxy = Proxy::start(&config_for(&origin.url(), "")).await;

    let got = proxy.get_with("/file.bin", &[("range", "bytes=2-5")]).await;
    assert_eq!(got.status, 206);
    assert_eq!(got.text(), "2345");
    assert_eq!(got.header("content-range"), Some("bytes 2-5/20"));
    assert!(
        origin.last("/file.bin").headers.get("range").is_none(),
        "the whole object is fetched"
    );

    let hit = proxy.get_with("/file.bin", &[("range", "bytes=-3")]).await;
    assert_eq!((hit.status, hit.text().as_str()), (206, "hij"));
    assert_eq!(hit.x_cache(), "Hit from cloudfront");

    let multi = proxy
        .get_with("/file.bin", &[("range", "bytes=0-1,10-11")])
        .await;
    assert_eq!(multi.status, 206);
    assert!(multi
        .header("content-type")
        .unwrap()
        .starts_with("multipart/byteranges; boundary="));
    let text = multi.text();
    assert!(
        text.contains("Content-Range: bytes 0-1/20\r\n\r\n01"),
        "{text}"
    );
    assert!(
        text.contains("Content-Range: bytes 10-11/20\r\n\r\nab"),
        "{text}"
    );

    let unsat = proxy.get_with("/file.bin", &[("range", "bytes=20-")]).await;
    assert_eq!(unsat.status, 416);
    assert_eq!(unsat.header("content-range"), Some("bytes */20"));

    for ignored in ["bytes=5-1", "bytes=0-5,3-8", "bytes=8-9,0-1", "lines=1-2"] {
        let full = proxy.get_with("/file.bin", &[("range", ignored)]).await;
        assert_eq!(
            (full.status, full.text().as_str()),
            (200, "0123456789abcdefghij"),
            "{ignored}"
        );
    }
    assert_eq!(origin.hits("/file.bin"), 1);
}

#[tokio::test(start_paused = true)]
async fn revalidated_compressed_object_keeps_its_weak_etag() {
    let origin = Origin::start().await;
    let page = text_body(3000);
    let body = page.clone();
    origin.route_fn("/r.js", move |seen| {
        if seen.headers.get("if-none-match").is_some() {
            Route::status(304, "").header("etag", "\"v1\"")
        } else {
            Route::ok(&body)
                .header("content-type", "application/javascript")
                .header("etag", "\"v1\"")
                .header("cache-control", "max-age=10")
        }
    });
    let proxy = Proxy::start(&config_for(&origin.url(), "compress = true")).await;
    let ae = [("accept-encoding", "br")];
    assert_eq!(
        proxy.get_with("/r.js", &ae).await.header("etag"),
        Some("W/\"v1\"")
    );
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    let r = proxy.get_with("/r.js", &ae).await;
    assert_eq!(r.x_cache(), "RefreshHit from cloudfront");
    assert_eq!(origin.last("/r.js").headers["if-none-match"], "W/\"v1\"");
    assert_eq!(r.header("etag"), Some("W/\"v1\""));
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(unbrotli(&r.body), page.as_bytes());
}

#[tokio::test]
async fn if_range_must_match_the_cached_object() {
    let origin = Origin::start().await;
    origin.route("/tagged", Route::ok("0123456789").header("etag", "\"t1\""));
    let proxy = Proxy::start(&config_for(&origin.url(), "")).await;
    let matching = proxy
        .get_with("/tagged", &[("range", "bytes=0-1"), ("if-range", "\"t1\"")])
        .await;
    assert_eq!((matching.status, matching.text().as_str()), (206, "01"));
    let stale = proxy
        .get_with("/tagged", &[("range", "bytes=0-1"), ("if-range", "\"t0\"")])
        .await;
    assert_eq!((stale.status, stale.text().as_str()), (200, "0123456789"));
}
