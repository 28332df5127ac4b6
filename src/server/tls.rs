//! Viewer-side TLS: the rustls server configuration for the `[server.tls]`
//! listener.
//!
//! - TLS 1.2 and 1.3 (ring provider), ALPN `h2` then `http/1.1`; hyper-util's
//!   auto builder then speaks whichever protocol the viewer chose.
//! - Certificates come from `[server.tls] cert/key` and `[[server.tls.certificates]]`
//!   (PEM, full chain). The certificate is chosen by SNI among all of them
//!   (wildcards included, as webpki matches them), falling back to the first
//!   one when no certificate names the requested host or the viewer sent no SNI.
//! - With no certificate configured, a local CA and a leaf certificate for
//!   `localhost`, `127.0.0.1`, `::1`, the distribution's domain name and its
//!   aliases are generated under `<state_dir>/tls/` and reused on later runs;
//!   the leaf is re-issued (by the same CA) when the names change or a file
//!   is unreadable, so the CA has to be trusted only once.
//! - Every certificate or key problem is a [`ConfigError`] naming the file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::config::{Config, ConfigError, Distribution, TlsConfig};

/// ALPN protocols offered to viewers, in preference order.
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Sub-directory of the state dir holding generated certificates.
const TLS_DIR: &str = "tls";
const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca.key.pem";
const LEAF_CERT: &str = "localhost.pem";
const LEAF_KEY: &str = "localhost.key.pem";
const LEAF_NAMES: &str = "localhost.names";
const CA_COMMON_NAME: &str = "cfedge local development CA";

/// The viewer TLS setup, ready for a `tokio_rustls::TlsAcceptor`.
#[derive(Clone)]
pub struct ViewerTls {
    pub config: Arc<rustls::ServerConfig>,
    /// Set when certificates were generated: the CA file to trust, and
    /// whether it was created on this run.
    pub generated: Option<GeneratedCa>,
}

impl std::fmt::Debug for ViewerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewerTls")
            .field("generated", &self.generated)
            .finish_non_exhaustive()
    }
}

/// Where the generated local CA lives (for the start-up log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedCa {
    pub ca_cert: PathBuf,
    /// `true` when the CA was created on this run (the user must trust it).
    pub created: bool,
}

impl ViewerTls {
    /// A TLS acceptor for the listener.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

/// Build the viewer TLS setup for a loaded config, or `None` without
/// `[server.tls]`. Relative certificate paths resolve against the config
/// file's directory; the state dir is used as given.
pub fn from_config(config: &Config) -> Result<Option<ViewerTls>, ConfigError> {
    let Some(tls) = &config.server.tls else {
        return Ok(None);
    };
    let base = config.base_dir();
    let resolved = TlsConfig {
        listen: tls.listen,
        certificates: tls
            .certificates
            .iter()
            .map(|(c, k)| (base.join(c), base.join(k)))
            .collect(),
    };
    load(&resolved, &config.distribution, &config.server.state_dir).map(Some)
}

/// Check the configured certificates without generating anything (for
/// `cfedge validate`).
pub fn check(config: &Config) -> Result<(), ConfigError> {
    match &config.server.tls {
        Some(tls) if !tls.certificates.is_empty() => from_config(config).map(drop),
        _ => Ok(()),
    }
}

/// The rustls server configuration for `tls` (see the module docs).
pub fn server_config(
    tls: &TlsConfig,
    dist: &Distribution,
    state_dir: &Path,
) -> Result<Arc<rustls::ServerConfig>, ConfigError> {
    load(tls, dist, state_dir).map(|t| t.config)
}

/// Where the generated CA certificate is (or would be) written.
pub fn generated_ca_path(state_dir: &Path) -> PathBuf {
    state_dir.join(TLS_DIR).join(CA_CERT)
}

/// Like [`server_config`], also telling where a generated CA lives.
pub fn load(
    tls: &TlsConfig,
    dist: &Distribution,
    state_dir: &Path,
) -> Result<ViewerTls, ConfigError> {
    let provider = provider();
    let (keys, generated) = if tls.certificates.is_empty() {
        let (key, ca) = generated_certificate(dist, state_dir, &provider)?;
        (vec![Arc::new(key)], Some(ca))
    } else {
        let keys = tls
            .certificates
            .iter()
            .map(|(cert, key)| load_pair(cert, key, &provider).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        (keys, None)
    };
    let resolver = SniResolver::new(keys);
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ConfigError::new("server.tls", format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    // Session tickets make resumed handshakes cheap under load tests.
    if let Ok(ticketer) = rustls::crypto::ring::Ticketer::new() {
        config.ticketer = ticketer;
    }
    Ok(ViewerTls {
        config: Arc::new(config),
        generated,
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Picks a certificate by SNI: the first whose names cover the requested
/// host (webpki's rules, wildcards included), else the first certificate.
#[derive(Debug)]
struct SniResolver {
    keys: Vec<Arc<CertifiedKey>>,
}

impl SniResolver {
    fn new(keys: Vec<Arc<CertifiedKey>>) -> Self {
        SniResolver { keys }
    }

    fn pick(&self, sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if self.keys.len() > 1 {
            if let Some(name) = sni.and_then(|s| ServerName::try_from(s).ok()) {
                for key in &self.keys {
                    if covers(key, &name) {
                        return Some(key.clone());
                    }
                }
            }
        }
        self.keys.first().cloned()
    }
}

fn covers(key: &CertifiedKey, name: &ServerName<'_>) -> bool {
    let Some(cert) = key.cert.first() else {
        return false;
    };
    webpki::EndEntityCert::try_from(cert)
        .map(|ee| ee.verify_is_valid_for_subject_name(name).is_ok())
        .unwrap_or(false)
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.pick(hello.server_name())
    }
}

/// Load one PEM certificate chain and its key; errors name the file.
fn load_pair(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, ConfigError> {
    let chain = read_chain(cert)?;
    let key_der = read_key(key)?;
    if let Err(e) = webpki::EndEntityCert::try_from(&chain[0]) {
        return Err(cert_error(
            cert,
            format!("not a valid X.509 certificate: {e:?}"),
        ));
    }
    CertifiedKey::from_der(chain, key_der, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => cert_error(
            key,
            format!(
                "private key does not match the certificate in {}",
                cert.display()
            ),
        ),
        other => cert_error(key, format!("unusable private key: {other}")),
    })
}

fn cert_error(file: &Path, message: String) -> ConfigError {
    ConfigError::new("server.tls", message).in_file(file)
}

fn read_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    fs::read(path).map_err(|e| cert_error(path, format!("cannot read file: {e}")))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let pem = read_file(path)?;
    let chain = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(path, format!("invalid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(cert_error(
            path,
            "no certificate found (expected PEM \"-----BEGIN CERTIFICATE-----\" blocks, leaf first)"
                .into(),
        ));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    let pem = read_file(path)?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| cert_error(path, format!("invalid PEM: {e}")))?
        .ok_or_else(|| {
            cert_error(
                path,
                "no private key found (expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)"
                    .into(),
            )
        })
}

/// The names the generated certificate covers, in a stable order.
fn generated_names(dist: &Distribution) -> Vec<String> {
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for n in std::iter::once(&dist.domain_name).chain(&dist.aliases) {
        let n = n.trim().to_ascii_lowercase();
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

fn state_error(path: &Path, message: String) -> ConfigError {
    ConfigError::new("server.state_dir", message).in_file(path)
}

/// Reuse or create the local CA and the leaf certificate.
fn generated_certificate(
    dist: &Distribution,
    state_dir: &Path,
    provider: &CryptoProvider,
) -> Result<(CertifiedKey, GeneratedCa), ConfigError> {
    let dir = state_dir.join(TLS_DIR);
    fs::create_dir_all(&dir)
        .map_err(|e| state_error(&dir, format!("cannot create directory: {e}")))?;
    let names = generated_names(dist);
    let names_text = names.join("\n");

    let (ca_key, created) = match existing_ca(&dir) {
        Some(k) => (k, false),
        None => (create_ca(&dir)?, true),
    };
    if !created {
        if let Some(key) = existing_leaf(&dir, &names_text, provider) {
            return Ok((
                key,
                GeneratedCa {
                    ca_cert: dir.join(CA_CERT),
                    created,
                },
            ));
        }
    }
    let key = create_leaf(&dir, &names, &names_text, &ca_key, provider)?;
    Ok((
        key,
        GeneratedCa {
            ca_cert: dir.join(CA_CERT),
            created,
        },
    ))
}

/// The CA parameters; deterministic, so the CA can sign again from its key.
fn ca_params() -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, CA_COMMON_NAME);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "cfedge");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    p
}

fn existing_ca(dir: &Path) -> Option<rcgen::KeyPair> {
    let key_pem = fs::read_to_string(dir.join(CA_KEY)).ok()?;
    let cert_pem = fs::read(dir.join(CA_CERT)).ok()?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let cert = certs.first()?;
    let key = rcgen::KeyPair::from_pem(&key_pem).ok()?;
    // The CA file must hold the public half of this key.
    let rebuilt = ca_params().self_signed(&key).ok()?;
    same_public_key(cert, rebuilt.der()).then_some(key)
}

/// Whether two certificates carry the same public key.
fn same_public_key(a: &CertificateDer<'_>, b: &CertificateDer<'_>) -> bool {
    spki(a).is_some() && spki(a) == spki(b)
}

/// The SubjectPublicKeyInfo of a certificate, via rustls' parser.
fn spki(cert: &CertificateDer<'_>) -> Option<Vec<u8>> {
    rustls::server::ParsedCertificate::try_from(cert)
        .ok()
        .map(|p| p.subject_public_key_info().as_ref().to_vec())
}

fn create_ca(dir: &Path) -> Result<rcgen::KeyPair, ConfigError> {
    let gen_err = |e: rcgen::Error| state_error(dir, format!("cannot generate the local CA: {e}"));
    let key = rcgen::KeyPair::generate().map_err(gen_err)?;
    let cert = ca_params().self_signed(&key).map_err(gen_err)?;
    write_private(&dir.join(CA_KEY), key.serialize_pem().as_bytes())?;
    write_file(&dir.join(CA_CERT), cert.pem().as_bytes())?;
    tracing::info!(ca = %dir.join(CA_CERT).display(), "generated a local CA for viewer TLS");
    Ok(key)
}

fn existing_leaf(dir: &Path, names_text: &str, provider: &CryptoProvider) -> Option<CertifiedKey> {
    let stored = fs::read_to_string(dir.join(LEAF_NAMES)).ok()?;
    if stored != names_text {
        return None;
    }
    load_pair(&dir.join(LEAF_CERT), &dir.join(LEAF_KEY), provider).ok()
}

fn create_leaf(
    dir: &Path,
    names: &[String],
    names_text: &str,
    ca_key: &rcgen::KeyPair,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, ConfigError> {
    let gen_err = |e: rcgen::Error| {
        state_error(
            dir,
            format!("cannot generate the localhost certificate: {e}"),
        )
    };
    let ca = ca_params().self_signed(ca_key).map_err(gen_err)?;
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(|e| {
        ConfigError::new(
            "distribution",
            format!("domain_name/aliases cannot go in a certificate: {e}"),
        )
    })?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "cfedge localhost");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = rcgen::KeyPair::generate().map_err(gen_err)?;
    let cert = params.signed_by(&key, &ca, ca_key).map_err(gen_err)?;
    write_private(&dir.join(LEAF_KEY), key.serialize_pem().as_bytes())?;
    write_file(&dir.join(LEAF_CERT), cert.pem().as_bytes())?;
    write_file(&dir.join(LEAF_NAMES), names_text.as_bytes())?;
    let chain = vec![cert.der().clone()];
    let key_der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| state_error(dir, format!("generated key: {e}")))?;
    CertifiedKey::from_der(chain, key_der, provider)
        .map_err(|e| state_error(dir, format!("generated certificate: {e}")))
}

fn write_file(path: &Path, data: &[u8]) -> Result<(), ConfigError> {
    fs::write(path, data).map_err(|e| state_error(path, format!("cannot write: {e}")))
}

/// Write a private key readable by the owner only.
fn write_private(path: &Path, data: &[u8]) -> Result<(), ConfigError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|mut f| f.write_all(data))
        .map_err(|e| state_error(path, format!("cannot write: {e}")))
}
