//! Signed URLs and signed cookies with trusted key groups (spec §7.1).
//!
//! A behaviour with `trusted_key_groups` serves only requests that carry a
//! valid signed URL (query parameters) or, when the URL carries none, valid
//! signed cookies. Canned and custom policies, SHA1 (default) and SHA256
//! (`Hash-Algorithm`), CloudFront's URL-safe base64 (`+`→`-`, `=`→`_`,
//! `/`→`~`). Every rejection is a 403 with CloudFront's XML error body.
//!
//! Keys are RSA 2048 (PKCS#1 v1.5 signatures, the `rsa` crate, SHA1 or
//! SHA256) or ECDSA P-256 (ASN.1 signatures, `ring`, SHA256 only: an ECDSA
//! signature presented with SHA1 is refused).
//!
//! ```toml
//! [key_groups.media]
//! keys = [{ id = "K2JCJMDEHXQW5F", public_key_file = "keys/cf_public.pem" }]
//!
//! [[behaviors]]
//! path_pattern = "/private/*"
//! target_origin = "app"
//! trusted_key_groups = ["media"]
//! ```

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use http::{HeaderMap, HeaderValue, StatusCode};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use toml::Spanned;

use super::{RuleResponse, X_CACHE_ERROR};
use crate::config::ConfigError;
use crate::responses::GeneratedResponse;
use crate::viewer::ViewerRequest;

/// CloudFront's quota of public keys per key group.
pub const MAX_KEYS_PER_GROUP: usize = 5;
/// CloudFront's quota of key groups per behaviour.
pub const MAX_GROUPS_PER_BEHAVIOR: usize = 4;

/// Confirmed rejection message [KC:cloudfront-troubleshoot-signed-url-cookies].
pub const MSG_MISSING_KEY_PAIR_ID: &str = "Missing Key-Pair-Id query parameter or cookie value.";
/// Confirmed rejection message [KC:cloudfront-troubleshoot-signed-url-cookies].
pub const MSG_UNKNOWN_KEY: &str = "Unknown Key.";
/// Every other rejection (expired, bad signature, policy mismatch): spec §9 says
/// the real bodies are undocumented; cfedge uses CloudFront's generic message.
pub const MSG_ACCESS_DENIED: &str = "Access denied";

/// One public key with its CloudFront ID.
#[derive(Debug)]
pub struct PublicKey {
    pub id: String,
    key: VerifyKey,
}

/// The key material of a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum VerifyKey {
    Rsa(RsaPublicKey),
    /// The uncompressed P-256 point.
    EcdsaP256(Vec<u8>),
}

/// The DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1,
/// uncompressed point follows).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// One key group.
#[derive(Debug)]
pub struct KeyGroup {
    pub name: String,
    pub keys: Vec<Arc<PublicKey>>,
}

/// All key groups, by name.
#[derive(Debug, Default)]
pub struct KeyGroupSet {
    groups: HashMap<String, Arc<KeyGroup>>,
}

impl KeyGroupSet {
    /// The trusted key groups of a behaviour (at most 4, spec quota).
    pub fn trusted(&self, names: &[String], item: &str) -> Result<TrustedKeyGroups, ConfigError> {
        if names.len() > MAX_GROUPS_PER_BEHAVIOR {
            return Err(ConfigError::new(
                item,
                format!(
                    "{} trusted key groups exceed CloudFront's quota of {MAX_GROUPS_PER_BEHAVIOR} per behaviour",
                    names.len()
                ),
            ));
        }
        let mut keys = HashMap::new();
        for n in names {
            let g = self.groups.get(n).ok_or_else(|| {
                ConfigError::new(
                    item,
                    format!("key group \"{n}\" is not defined in [key_groups]"),
                )
            })?;
            for k in &g.keys {
                keys.insert(k.id.clone(), k.clone());
            }
        }
        Ok(TrustedKeyGroups {
            groups: names.to_vec(),
            keys: Arc::new(keys),
        })
    }

    /// All groups, sorted by name (for `cfedge validate`).
    pub fn iter(&self) -> impl Iterator<Item = &Arc<KeyGroup>> {
        let mut v: Vec<_> = self.groups.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.into_iter()
    }
}

impl KeyGroup {
    /// One line for `cfedge validate`.
    pub fn describe(&self) -> String {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        format!(
            "key group {}: {} key(s) ({})",
            self.name,
            ids.len(),
            ids.join(", ")
        )
    }
}

/// The public keys a behaviour trusts.
#[derive(Debug, Clone)]
pub struct TrustedKeyGroups {
    groups: Vec<String>,
    keys: Arc<HashMap<String, Arc<PublicKey>>>,
}

/// `Hash-Algorithm` of a signed URL or cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha1,
    Sha256,
}

impl HashAlgorithm {
    fn parse(s: Option<&str>) -> Option<HashAlgorithm> {
        match s {
            None | Some("SHA1") => Some(HashAlgorithm::Sha1),
            Some("SHA256") => Some(HashAlgorithm::Sha256),
            Some(_) => None,
        }
    }

    fn digest(self, data: &[u8]) -> (Pkcs1v15Sign, Vec<u8>) {
        match self {
            HashAlgorithm::Sha1 => (Pkcs1v15Sign::new::<Sha1>(), Sha1::digest(data).to_vec()),
            HashAlgorithm::Sha256 => (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(data).to_vec()),
        }
    }
}

/// Query parameters (URLs) or cookie names (`CloudFront-` prefixed) of a signature.
#[derive(Debug, Default)]
struct SignatureParams<'a> {
    policy: Option<&'a str>,
    expires: Option<&'a str>,
    signature: Option<&'a str>,
    key_pair_id: Option<&'a str>,
    hash_algorithm: Option<&'a str>,
}

const URL_PARAMS: [&str; 5] = [
    "Policy",
    "Expires",
    "Signature",
    "Key-Pair-Id",
    "Hash-Algorithm",
];

impl TrustedKeyGroups {
    /// Check the request's signed URL, or its signed cookies when the URL
    /// carries no signature. `now` is when the request arrived (spec §7.1:
    /// expiry is checked then).
    pub fn verify(&self, req: &ViewerRequest, now: SystemTime) -> Result<(), Box<RuleResponse>> {
        self.check(req, now).map_err(|m| Box::new(access_denied(m)))
    }

    /// The rejection message, if the request is not allowed.
    pub fn check(&self, req: &ViewerRequest, now: SystemTime) -> Result<(), &'static str> {
        let query = req.querystring.as_deref().unwrap_or("");
        let mut url = SignatureParams::default();
        for (k, v) in super::query_pairs(query) {
            let slot = match k {
                "Policy" => &mut url.policy,
                "Expires" => &mut url.expires,
                "Signature" => &mut url.signature,
                "Key-Pair-Id" => &mut url.key_pair_id,
                "Hash-Algorithm" => &mut url.hash_algorithm,
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        let from_url = url.policy.is_some()
            || url.expires.is_some()
            || url.signature.is_some()
            || url.key_pair_id.is_some();
        let (params, resource_url) = if from_url {
            // The URL as signed: the signature parameters removed, the viewer's own kept in order.
            let own: Vec<&str> = query
                .split('&')
                .filter(|p| {
                    let name = p.split_once('=').map_or(*p, |(k, _)| k);
                    !p.is_empty() && !URL_PARAMS.contains(&name)
                })
                .collect();
            let mut u = super::base_url(req);
            if !own.is_empty() {
                u.push('?');
                u.push_str(&own.join("&"));
            }
            (url, u)
        } else {
            let c = |n| super::cookie(&req.headers, n);
            let p = SignatureParams {
                policy: c("CloudFront-Policy"),
                expires: c("CloudFront-Expires"),
                signature: c("CloudFront-Signature"),
                key_pair_id: c("CloudFront-Key-Pair-Id"),
                hash_algorithm: c("CloudFront-Hash-Algorithm"),
            };
            (p, super::full_url(req))
        };
        let key_id = params
            .key_pair_id
            .filter(|k| !k.is_empty())
            .ok_or(MSG_MISSING_KEY_PAIR_ID)?;
        let key = self.keys.get(key_id).ok_or(MSG_UNKNOWN_KEY)?;
        let hash = HashAlgorithm::parse(params.hash_algorithm).ok_or(MSG_ACCESS_DENIED)?;
        let signature = params
            .signature
            .and_then(cf_base64_decode)
            .ok_or(MSG_ACCESS_DENIED)?;
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        match (params.policy, params.expires) {
            (Some(p), _) => {
                let policy = cf_base64_decode(p).ok_or(MSG_ACCESS_DENIED)?;
                verify_signature(key, hash, &policy, &signature)?;
                check_custom_policy(&policy, &resource_url, req.client_addr.ip(), now)
            }
            (None, Some(expires)) => {
                let expires: u64 = expires.parse().map_err(|_| MSG_ACCESS_DENIED)?;
                let policy = canned_policy(&resource_url, expires);
                verify_signature(key, hash, policy.as_bytes(), &signature)?;
                if now < expires {
                    Ok(())
                } else {
                    Err(MSG_ACCESS_DENIED)
                }
            }
            (None, None) => Err(MSG_ACCESS_DENIED),
        }
    }

    /// One line for `cfedge validate`.
    pub fn describe(&self) -> String {
        format!(
            "trusted key groups {} ({} key(s))",
            self.groups.join(", "),
            self.keys.len()
        )
    }
}

/// CloudFront's 403 with its XML error body.
pub fn access_denied(message: &str) -> RuleResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml"),
    );
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"
    );
    RuleResponse {
        response: GeneratedResponse::new(StatusCode::FORBIDDEN, headers, body),
        x_cache: X_CACHE_ERROR,
    }
}

fn verify_signature(
    key: &PublicKey,
    hash: HashAlgorithm,
    policy: &[u8],
    signature: &[u8],
) -> Result<(), &'static str> {
    match &key.key {
        VerifyKey::Rsa(k) => {
            let (scheme, digest) = hash.digest(policy);
            k.verify(scheme, &digest, signature)
                .map_err(|_| MSG_ACCESS_DENIED)
        }
        VerifyKey::EcdsaP256(point) if hash == HashAlgorithm::Sha256 => {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, point)
                .verify(policy, signature)
                .map_err(|_| MSG_ACCESS_DENIED)
        }
        VerifyKey::EcdsaP256(_) => Err(MSG_ACCESS_DENIED),
    }
}

/// The canned policy CloudFront rebuilds from the URL and `Expires` (spec §7.1).
pub fn canned_policy(resource: &str, expires: u64) -> String {
    format!(
        "{{\"Statement\":[{{\"Resource\":\"{resource}\",\"Condition\":{{\"DateLessThan\":{{\"AWS:EpochTime\":{expires}}}}}}}]}}"
    )
}

/// The custom-policy `Resource` for exactly `url`: the `?` that starts the
/// query string is escaped as `\?` (spec §7.1), since an unescaped `?` is the
/// one-character wildcard and would leave the query section empty.
pub fn resource_for_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => format!("{base}\\?{query}"),
        None => url.to_owned(),
    }
}

/// A whitespace-free custom policy.
pub fn custom_policy(
    resource: Option<&str>,
    date_less_than: u64,
    date_greater_than: Option<u64>,
    source_ip: Option<&str>,
) -> String {
    let mut condition = serde_json::Map::new();
    condition.insert(
        "DateLessThan".into(),
        serde_json::json!({ "AWS:EpochTime": date_less_than }),
    );
    if let Some(t) = date_greater_than {
        condition.insert(
            "DateGreaterThan".into(),
            serde_json::json!({ "AWS:EpochTime": t }),
        );
    }
    if let Some(ip) = source_ip {
        condition.insert(
            "IpAddress".into(),
            serde_json::json!({ "AWS:SourceIp": ip }),
        );
    }
    let mut statement = serde_json::Map::new();
    if let Some(r) = resource {
        statement.insert("Resource".into(), r.into());
    }
    statement.insert("Condition".into(), condition.into());
    serde_json::json!({ "Statement": [statement] }).to_string()
}

#[derive(Debug, Deserialize)]
struct PolicyDoc {
    #[serde(rename = "Statement")]
    statement: Vec<Statement>,
}

#[derive(Debug, Deserialize)]
struct Statement {
    #[serde(rename = "Resource")]
    resource: Option<String>,
    #[serde(rename = "Condition")]
    condition: Condition,
}

#[derive(Debug, Deserialize)]
struct Condition {
    #[serde(rename = "DateLessThan")]
    date_less_than: Option<EpochTime>,
    #[serde(rename = "DateGreaterThan")]
    date_greater_than: Option<EpochTime>,
    #[serde(rename = "IpAddress")]
    ip_address: Option<SourceIp>,
}

#[derive(Debug, Deserialize)]
struct EpochTime {
    #[serde(rename = "AWS:EpochTime")]
    epoch: u64,
}

#[derive(Debug, Deserialize)]
struct SourceIp {
    #[serde(rename = "AWS:SourceIp")]
    cidr: String,
}

fn check_custom_policy(
    policy: &[u8],
    url: &str,
    client: IpAddr,
    now: u64,
) -> Result<(), &'static str> {
    let doc: PolicyDoc = serde_json::from_slice(policy).map_err(|_| MSG_ACCESS_DENIED)?;
    let [statement] = doc.statement.as_slice() else {
        return Err(MSG_ACCESS_DENIED);
    };
    let c = &statement.condition;
    // DateLessThan is required (spec §7.1).
    let dlt = c.date_less_than.as_ref().ok_or(MSG_ACCESS_DENIED)?;
    if now >= dlt.epoch {
        return Err(MSG_ACCESS_DENIED);
    }
    if c.date_greater_than.as_ref().is_some_and(|d| now < d.epoch) {
        return Err(MSG_ACCESS_DENIED);
    }
    if let Some(ip) = &c.ip_address {
        // IPv4 CIDR only (spec §7.1); an IPv6 viewer never matches.
        let net: ipnet::Ipv4Net = ip.cidr.parse().map_err(|_| MSG_ACCESS_DENIED)?;
        let v4 = match client {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(v6) => v6.to_ipv4_mapped(),
        };
        if !v4.is_some_and(|a| net.contains(&a)) {
            return Err(MSG_ACCESS_DENIED);
        }
    }
    match &statement.resource {
        Some(r) if !resource_matches(r, url) => Err(MSG_ACCESS_DENIED),
        _ => Ok(()),
    }
}

/// Whether a policy `Resource` matches `url`, section by section (spec §7.1):
/// protocol, domain, path and `\?` query; `*` is 0+ characters and `?` one,
/// never across sections. A trailing `*` in the path implies `\?*`; a
/// trailing `*` in the domain implies `/*\?*`; `*` alone matches any URL.
pub fn resource_matches(resource: &str, url: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let Some((proto_p, rest_p)) = resource.split_once("://") else {
        return false;
    };
    if !matches!(proto_p, "http" | "https" | "*") {
        return false;
    }
    let Some((proto, rest)) = url.split_once("://") else {
        return false;
    };
    let (domain, path_query) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let (domain_p, path_query_p) = match rest_p.find('/') {
        Some(i) => rest_p.split_at(i),
        None if rest_p.ends_with('*') => (rest_p, "/*\\?*"),
        None => (rest_p, ""),
    };
    let (path_p, query_p) = match path_query_p.split_once("\\?") {
        Some((p, q)) => (p, q),
        None if path_query_p.ends_with('*') => (path_query_p, "*"),
        None => (path_query_p, ""),
    };
    glob(proto_p, proto) && glob(domain_p, domain) && glob(path_p, path) && glob(query_p, query)
}

/// `*` (any run) and `?` (one character) glob, iterative with one backtrack point.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// CloudFront's URL-safe base64: standard base64 with `+`→`-`, `=`→`_`, `/`→`~`.
pub fn cf_base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            c => c,
        })
        .collect()
}

/// Decode CloudFront's URL-safe base64 (spaces, as a decoded `+`, are tolerated).
pub fn cf_base64_decode(s: &str) -> Option<Vec<u8>> {
    let std: String = s
        .chars()
        .map(|c| match c {
            '-' | ' ' => '+',
            '_' => '=',
            '~' => '/',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::STANDARD.decode(std).ok()
}

/// A private key for signing (the `sign-url` command and tests).
#[derive(Debug)]
pub enum SigningKey {
    Rsa(RsaPrivateKey),
    EcdsaP256(ring::signature::EcdsaKeyPair),
}

impl SigningKey {
    /// An RSA private key in PEM (PKCS#8 or PKCS#1), or an ECDSA P-256 key in PKCS#8 PEM.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        if let Ok(k) =
            RsaPrivateKey::from_pkcs8_pem(pem).or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        {
            return Ok(SigningKey::Rsa(k));
        }
        let not_a_key = || {
            "not an RSA private key (PKCS#8 or PKCS#1 PEM) nor an ECDSA P-256 private key (PKCS#8 PEM)"
                .to_owned()
        };
        match rustls_pemfile::read_one(&mut pem.as_bytes()) {
            Ok(Some(rustls_pemfile::Item::Pkcs8Key(der))) => {
                ring::signature::EcdsaKeyPair::from_pkcs8(
                    &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    der.secret_pkcs8_der(),
                    &ring::rand::SystemRandom::new(),
                )
                .map(SigningKey::EcdsaP256)
                .map_err(|_| not_a_key())
            }
            _ => Err(not_a_key()),
        }
    }

    /// Sign a policy; CloudFront base64.
    pub fn sign(&self, policy: &[u8], hash: HashAlgorithm) -> Result<String, String> {
        match self {
            SigningKey::Rsa(k) => {
                let (scheme, digest) = hash.digest(policy);
                k.sign(scheme, &digest)
                    .map(|s| cf_base64_encode(&s))
                    .map_err(|e| format!("signing failed: {e}"))
            }
            SigningKey::EcdsaP256(_) if hash != HashAlgorithm::Sha256 => {
                Err("an ECDSA key signs with SHA256: use --hash sha256".into())
            }
            SigningKey::EcdsaP256(kp) => kp
                .sign(&ring::rand::SystemRandom::new(), policy)
                .map(|s| cf_base64_encode(s.as_ref()))
                .map_err(|_| "signing failed".to_owned()),
        }
    }
}

/// The policy of a signature.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Canned: expires at this epoch second.
    Canned { expires: u64 },
    /// Custom: this policy document (whitespace is removed before signing).
    Custom(String),
}

impl Policy {
    fn text(&self, url: &str) -> String {
        match self {
            Policy::Canned { expires } => canned_policy(url, *expires),
            Policy::Custom(p) => p.chars().filter(|c| !c.is_whitespace()).collect(),
        }
    }
}

/// Sign `url`: append `Expires` or `Policy`, `Signature`, `Key-Pair-Id` and,
/// for SHA256, `Hash-Algorithm` (spec §7.1).
pub fn sign_url(
    url: &str,
    key: &SigningKey,
    key_pair_id: &str,
    policy: &Policy,
    hash: HashAlgorithm,
) -> Result<String, String> {
    let text = policy.text(url);
    let signature = key.sign(text.as_bytes(), hash)?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut out = match policy {
        Policy::Canned { expires } => format!("{url}{sep}Expires={expires}"),
        Policy::Custom(_) => format!("{url}{sep}Policy={}", cf_base64_encode(text.as_bytes())),
    };
    out.push_str(&format!("&Signature={signature}&Key-Pair-Id={key_pair_id}"));
    if hash == HashAlgorithm::Sha256 {
        out.push_str("&Hash-Algorithm=SHA256");
    }
    Ok(out)
}

/// The signed cookies (name, value) for `url` (the canned policy's resource).
pub fn signed_cookies(
    url: &str,
    key: &SigningKey,
    key_pair_id: &str,
    policy: &Policy,
    hash: HashAlgorithm,
) -> Result<Vec<(String, String)>, String> {
    let text = policy.text(url);
    let mut cookies = vec![match policy {
        Policy::Canned { expires } => ("CloudFront-Expires".to_owned(), expires.to_string()),
        Policy::Custom(_) => (
            "CloudFront-Policy".to_owned(),
            cf_base64_encode(text.as_bytes()),
        ),
    }];
    cookies.push((
        "CloudFront-Signature".into(),
        key.sign(text.as_bytes(), hash)?,
    ));
    cookies.push(("CloudFront-Key-Pair-Id".into(), key_pair_id.to_owned()));
    if hash == HashAlgorithm::Sha256 {
        cookies.push(("CloudFront-Hash-Algorithm".into(), "SHA256".into()));
    }
    Ok(cookies)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyGroupToml {
    keys: Vec<KeyToml>,
    comment: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyToml {
    id: String,
    public_key_file: Option<String>,
    public_key: Option<String>,
}

/// Build `[key_groups.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
    base: &Path,
) -> Result<KeyGroupSet, ConfigError> {
    let mut seen: HashMap<String, (String, VerifyKey)> = HashMap::new();
    let groups = super::build_named(file, "key_groups", |name, raw: KeyGroupToml| {
        let _ = raw.comment;
        if raw.keys.is_empty() {
            return Err("a key group needs at least one key".into());
        }
        if raw.keys.len() > MAX_KEYS_PER_GROUP {
            return Err(format!(
                "{} keys exceed CloudFront's quota of {MAX_KEYS_PER_GROUP} per key group",
                raw.keys.len()
            ));
        }
        let mut keys = Vec::new();
        for (i, k) in raw.keys.into_iter().enumerate() {
            let at = format!("keys[{i}] ({})", k.id);
            if k.id.is_empty() || !k.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("{at}: the ID must be non-empty and alphanumeric"));
            }
            let pem = match (k.public_key_file, k.public_key) {
                (Some(f), None) => {
                    let path = base.join(&f);
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("{at}: cannot read {}: {e}", path.display()))?
                }
                (None, Some(pem)) => pem,
                _ => return Err(format!("{at}: set one of public_key_file or public_key")),
            };
            let key = parse_public_key(&pem).map_err(|e| format!("{at}: {e}"))?;
            if let Some((group, other)) = seen.get(&k.id) {
                if *other != key {
                    return Err(format!(
                        "{at}: key ID {} is already used for another key in key group {group}",
                        k.id
                    ));
                }
            }
            seen.insert(k.id.clone(), (name.to_owned(), key.clone()));
            keys.push(Arc::new(PublicKey { id: k.id, key }));
        }
        Ok(KeyGroup {
            name: name.to_owned(),
            keys,
        })
    })?;
    Ok(KeyGroupSet { groups })
}

fn parse_public_key(pem: &str) -> Result<VerifyKey, String> {
    if let Ok(k) =
        RsaPublicKey::from_public_key_pem(pem).or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
    {
        return Ok(VerifyKey::Rsa(k));
    }
    if let Ok(Some(rustls_pemfile::Item::SubjectPublicKeyInfo(der))) =
        rustls_pemfile::read_one(&mut pem.as_bytes())
    {
        if let Some(point) = der.as_ref().strip_prefix(&P256_SPKI_PREFIX[..]) {
            if point.len() == 65 && point[0] == 0x04 {
                return Ok(VerifyKey::EcdsaP256(point.to_vec()));
            }
        }
    }
    Err("not an RSA or ECDSA P-256 public key in PEM (CloudFront accepts RSA 2048 and ECDSA 256 keys)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cf_base64_round_trips_and_uses_the_safe_alphabet() {
        let bytes: Vec<u8> = (0..=255).collect();
        let e = cf_base64_encode(&bytes);
        assert!(!e.contains(['+', '=', '/']));
        assert!(e.contains('~') && e.contains('-') && e.ends_with('_'));
        assert_eq!(cf_base64_decode(&e).unwrap(), bytes);
    }

    #[test]
    fn resource_wildcards_match_per_section() {
        let u = "https://d111.cloudfront.net/videos/a.mp4?size=large";
        assert!(resource_matches("*", u));
        assert!(resource_matches("https://d111.cloudfront.net/videos/*", u));
        assert!(resource_matches("*://d111.cloudfront.net/videos/*", u));
        assert!(resource_matches("https://*.cloudfront.net/*", u));
        assert!(resource_matches("https://d111.cloudfront.net*", u));
        assert!(resource_matches(
            "https://d111.cloudfront.net/videos/a.mp4\\?size=*",
            u
        ));
        assert!(resource_matches(
            "https://d111.cloudfront.net/videos/?.mp4\\?size=large",
            u
        ));
        assert!(!resource_matches(
            "https://d111.cloudfront.net/videos/a.mp4",
            u
        ));
        assert!(!resource_matches("http://d111.cloudfront.net/videos/*", u));
        assert!(!resource_matches("ftp://d111.cloudfront.net/videos/*", u));
        assert!(!resource_matches("https://d111.cloudfront.net/images/*", u));
        // `*` never crosses from the domain into the path.
        assert!(!resource_matches("https://d111*mp4", u));
        assert!(!resource_matches(
            "https://d111.cloudfront.net/videos/a.mp4\\?size=small",
            u
        ));
    }

    #[test]
    fn glob_backtracks() {
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b?c", "abc"));
        assert!(glob("", ""));
        assert!(!glob("", "x"));
    }
}
