//! JWT rules: verify a bearer token at viewer-request, before any function.
//!
//! The only module that imports `jsonwebtoken`. cfedge uses it for the
//! signature primitives only, and checks the claims itself against the
//! request's clock (`now`), so tests can pin time.
//!
//! Security rules encoded here:
//! - the algorithm is pinned per rule; a token whose header names another
//!   algorithm is rejected, and the signature is always checked with the
//!   pinned algorithm and a key built for it (no `alg: none`, no HMAC keyed
//!   with an RSA public key);
//! - headers that carry forwarded claims are removed from the viewer's
//!   request before anything else, so a viewer cannot forge them.
//!
//! Forwarded claim headers then travel like any viewer header: the origin
//! gets them only when the behaviour's cache policy or origin request policy
//! lists them, exactly as a header added by a viewer-request CloudFront
//! Function [SAMPLES:add-true-client-ip-header/README.md]. Listing them in the
//! cache policy also keys the cache per claim value, so one user's cached
//! answer never reaches another.
//!
//! ```toml
//! [jwt_rules.api]
//! algorithm = "RS256"
//! public_key_file = "keys/jwt.pem"     # or secret = "...", or jwks_file = "jwks.json"
//! cookie = "session"                   # token sources after Authorization: Bearer
//! query_parameter = "token"
//! issuer = "https://auth.example.com"  # string or list
//! audience = ["api"]
//! leeway = 30
//! required_claims = ["sub"]
//! claim_values = { role = ["admin", "editor"] }
//! forward_claims = { sub = "x-user-id" }
//! on_failure = "redirect"              # "unauthorized" (default) | "forbidden" | "redirect"
//! login_url = "https://login.example.com/"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::{AnswerAs, RuleResponse, X_CACHE_FUNCTION, X_CACHE_JWT_RULE};
use crate::config::ConfigError;
use crate::responses::GeneratedResponse;
use crate::viewer::ViewerRequest;

/// All `[jwt_rules.<name>]` entries, by name.
#[derive(Debug, Default)]
pub struct JwtRuleSet {
    entries: HashMap<String, Arc<JwtRule>>,
}

impl JwtRuleSet {
    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<JwtRule>> {
        self.entries.get(name).cloned()
    }

    /// All rules, sorted by name (for `cfedge validate`).
    pub fn iter(&self) -> impl Iterator<Item = &Arc<JwtRule>> {
        let mut v: Vec<_> = self.entries.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.into_iter()
    }
}

/// The raw `[jwt_rules.<name>]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JwtRuleToml {
    algorithm: String,
    secret: Option<String>,
    public_key_file: Option<String>,
    jwks_file: Option<String>,
    #[serde(default = "yes")]
    authorization_header: bool,
    cookie: Option<String>,
    query_parameter: Option<String>,
    issuer: Option<OneOrMany>,
    audience: Option<OneOrMany>,
    #[serde(default)]
    leeway: u64,
    #[serde(default = "yes")]
    require_exp: bool,
    #[serde(default)]
    required_claims: Vec<String>,
    #[serde(default)]
    claim_values: BTreeMap<String, toml::Value>,
    #[serde(default)]
    forward_claims: BTreeMap<String, String>,
    #[serde(default)]
    on_failure: FailureActionToml,
    login_url: Option<String>,
    redirect_parameter: Option<String>,
    realm: Option<String>,
    #[serde(default)]
    as_function: AnswerAs,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum FailureActionToml {
    #[default]
    Unauthorized,
    Forbidden,
    Redirect,
}

/// What a failed check answers.
#[derive(Debug, Clone)]
pub enum FailureAction {
    /// 401 with `WWW-Authenticate: Bearer realm="<realm>"` (RFC 6750).
    Unauthorized { realm: String },
    /// 403.
    Forbidden,
    /// 302 to `login_url` with the original URL in query parameter `parameter`.
    Redirect {
        login_url: String,
        parameter: String,
    },
}

/// Where the verification keys come from.
enum Keys {
    /// One key (inline secret or PEM file).
    Single(DecodingKey),
    /// A JWKS file: keys selected by `kid`; a token without `kid` is accepted only when the set has one key.
    Set(HashMap<String, DecodingKey>, Option<DecodingKey>),
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keys::Single(_) => f.write_str("Keys::Single(..)"),
            Keys::Set(m, _) => write!(f, "Keys::Set({} keys)", m.len()),
        }
    }
}

/// One validated JWT rule.
#[derive(Debug)]
pub struct JwtRule {
    pub name: String,
    algorithm: Algorithm,
    keys: Keys,
    authorization_header: bool,
    cookie: Option<String>,
    query_parameter: Option<String>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    leeway: u64,
    require_exp: bool,
    required_claims: Vec<String>,
    claim_values: Vec<(String, Vec<Value>)>,
    forward_claims: Vec<(String, HeaderName)>,
    on_failure: FailureAction,
    answer_as: AnswerAs,
    /// Tokens whose signature this rule already verified, with their claims.
    /// A repeat token skips the signature check; its claims (exp, nbf, iss,
    /// aud, ...) are still checked on every request.
    verified: Mutex<HashMap<String, serde_json::Map<String, Value>>>,
}

/// How many verified tokens a rule remembers before starting afresh.
const VERIFIED_TOKENS: usize = 10_000;

/// Why a token was rejected (the `error_description` of `WWW-Authenticate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtFailure {
    MissingToken,
    Malformed,
    AlgorithmMismatch,
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid,
    MissingExp,
    BadIssuer,
    BadAudience,
    MissingClaim,
    ClaimValue,
}

impl JwtFailure {
    /// A short sentence for `error_description`.
    pub fn description(self) -> &'static str {
        match self {
            JwtFailure::MissingToken => "no token",
            JwtFailure::Malformed => "the token is malformed",
            JwtFailure::AlgorithmMismatch => "the token's algorithm is not accepted",
            JwtFailure::UnknownKey => "the token's key is unknown",
            JwtFailure::BadSignature => "the token signature is invalid",
            JwtFailure::Expired => "the token has expired",
            JwtFailure::NotYetValid => "the token is not valid yet",
            JwtFailure::MissingExp => "the token has no exp claim",
            JwtFailure::BadIssuer => "the token issuer is not accepted",
            JwtFailure::BadAudience => "the token audience is not accepted",
            JwtFailure::MissingClaim => "a required claim is missing",
            JwtFailure::ClaimValue => "a claim has a value that is not accepted",
        }
    }
}

#[derive(Debug, Deserialize)]
struct TokenHeader {
    alg: String,
    kid: Option<String>,
}

impl JwtRule {
    /// Check the viewer's token; on success forward the selected claims as
    /// request headers. The forwarded header names are always removed from
    /// the viewer's request first, so they cannot be forged.
    pub fn apply(&self, req: &mut ViewerRequest, now: SystemTime) -> Result<(), Box<RuleResponse>> {
        for (_, h) in &self.forward_claims {
            req.headers.remove(h);
        }
        match self.verify(req, now) {
            Ok(claims) => {
                for (claim, header) in &self.forward_claims {
                    if let Some(v) = claims.get(claim).and_then(claim_header_value) {
                        req.headers.insert(header.clone(), v);
                    }
                }
                Ok(())
            }
            Err(failure) => Err(Box::new(self.failure_response(req, failure))),
        }
    }

    /// Verify the token of `req` and return its claims.
    pub fn verify(
        &self,
        req: &ViewerRequest,
        now: SystemTime,
    ) -> Result<serde_json::Map<String, Value>, JwtFailure> {
        let token = self.token(req).ok_or(JwtFailure::MissingToken)?;
        let cached = self.verified_tokens().get(token).cloned();
        let claims = match cached {
            Some(claims) => claims,
            None => {
                let claims = self.verify_token(token)?;
                let mut verified = self.verified_tokens();
                if verified.len() >= VERIFIED_TOKENS {
                    verified.clear();
                }
                verified.insert(token.to_owned(), claims.clone());
                claims
            }
        };
        self.check_claims(&claims, now)?;
        Ok(claims)
    }

    fn verified_tokens(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, serde_json::Map<String, Value>>> {
        match self.verified.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The token, from `Authorization: Bearer`, the cookie, then the query parameter.
    fn token<'a>(&self, req: &'a ViewerRequest) -> Option<&'a str> {
        if self.authorization_header {
            let bearer = req
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    let (scheme, rest) = v.trim().split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
                })
                .filter(|t| !t.is_empty());
            if bearer.is_some() {
                return bearer;
            }
        }
        if let Some(name) = &self.cookie {
            if let Some(t) = super::cookie(&req.headers, name).filter(|t| !t.is_empty()) {
                return Some(t);
            }
        }
        let name = self.query_parameter.as_deref()?;
        super::query_param(req.querystring.as_deref(), name).filter(|t| !t.is_empty())
    }

    /// Check the header and signature with the pinned algorithm; decode the claims.
    fn verify_token(&self, token: &str) -> Result<serde_json::Map<String, Value>, JwtFailure> {
        let (message, signature) = token.rsplit_once('.').ok_or(JwtFailure::Malformed)?;
        let (header_b64, payload_b64) = message.split_once('.').ok_or(JwtFailure::Malformed)?;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header_json = b64.decode(header_b64).map_err(|_| JwtFailure::Malformed)?;
        let header: TokenHeader =
            serde_json::from_slice(&header_json).map_err(|_| JwtFailure::Malformed)?;
        if header.alg != algorithm_name(self.algorithm) {
            return Err(JwtFailure::AlgorithmMismatch);
        }
        let key = match &self.keys {
            Keys::Single(k) => k,
            Keys::Set(by_kid, only) => match &header.kid {
                Some(kid) => by_kid.get(kid).ok_or(JwtFailure::UnknownKey)?,
                None => only.as_ref().ok_or(JwtFailure::UnknownKey)?,
            },
        };
        match jsonwebtoken::crypto::verify(signature, message.as_bytes(), key, self.algorithm) {
            Ok(true) => {}
            Ok(false) | Err(_) => return Err(JwtFailure::BadSignature),
        }
        let payload = b64.decode(payload_b64).map_err(|_| JwtFailure::Malformed)?;
        serde_json::from_slice(&payload).map_err(|_| JwtFailure::Malformed)
    }

    /// exp/nbf (with leeway), iss, aud, required claims, claim values.
    fn check_claims(
        &self,
        claims: &serde_json::Map<String, Value>,
        now: SystemTime,
    ) -> Result<(), JwtFailure> {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let leeway = self.leeway as f64;
        match claims.get("exp") {
            Some(exp) => {
                let exp = exp.as_f64().ok_or(JwtFailure::Malformed)?;
                // RFC 7519 §4.1.4: the current time must be before exp.
                if now >= exp + leeway {
                    return Err(JwtFailure::Expired);
                }
            }
            None if self.require_exp => return Err(JwtFailure::MissingExp),
            None => {}
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = nbf.as_f64().ok_or(JwtFailure::Malformed)?;
            if now + leeway < nbf {
                return Err(JwtFailure::NotYetValid);
            }
        }
        if !self.issuers.is_empty() {
            let iss = claims.get("iss").and_then(Value::as_str);
            if !iss.is_some_and(|i| self.issuers.iter().any(|a| a == i)) {
                return Err(JwtFailure::BadIssuer);
            }
        }
        if !self.audiences.is_empty() {
            let ok = match claims.get("aud") {
                Some(Value::String(a)) => self.audiences.contains(a),
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|a| self.audiences.iter().any(|x| x == a)),
                _ => false,
            };
            if !ok {
                return Err(JwtFailure::BadAudience);
            }
        }
        if self
            .required_claims
            .iter()
            .any(|c| claims.get(c).is_none_or(Value::is_null))
        {
            return Err(JwtFailure::MissingClaim);
        }
        for (name, accepted) in &self.claim_values {
            let ok = match claims.get(name) {
                None => false,
                Some(Value::Array(items)) => items.iter().any(|i| accepted.contains(i)),
                Some(v) => accepted.contains(v),
            };
            if !ok {
                return Err(JwtFailure::ClaimValue);
            }
        }
        Ok(())
    }

    fn failure_response(&self, req: &ViewerRequest, failure: JwtFailure) -> RuleResponse {
        let mut headers = HeaderMap::new();
        let status = match &self.on_failure {
            FailureAction::Unauthorized { realm } => {
                // RFC 6750 §3: no error code when the request had no token.
                let value = if failure == JwtFailure::MissingToken {
                    format!("Bearer realm=\"{realm}\"")
                } else {
                    format!(
                        "Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"{}\"",
                        failure.description()
                    )
                };
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(http::header::WWW_AUTHENTICATE, v);
                }
                StatusCode::UNAUTHORIZED
            }
            FailureAction::Forbidden => StatusCode::FORBIDDEN,
            FailureAction::Redirect {
                login_url,
                parameter,
            } => {
                let original = super::full_url(req);
                let sep = if login_url.contains('?') { '&' } else { '?' };
                let location = format!(
                    "{login_url}{sep}{parameter}={}",
                    percent_encoding::utf8_percent_encode(
                        &original,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                );
                let response = match self.answer_as {
                    AnswerAs::Rule => GeneratedResponse::redirect(StatusCode::FOUND, &location),
                    AnswerAs::Function => {
                        let mut h = HeaderMap::new();
                        if let Ok(v) = HeaderValue::from_str(&location) {
                            h.insert(http::header::LOCATION, v);
                        }
                        GeneratedResponse::new(StatusCode::FOUND, h, "")
                    }
                };
                return RuleResponse {
                    response,
                    x_cache: self.x_cache(),
                };
            }
        };
        let body = match self.answer_as {
            AnswerAs::Rule => {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain"),
                );
                format!(
                    "{} {}: {}\n",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    failure.description()
                )
            }
            AnswerAs::Function => String::new(),
        };
        RuleResponse {
            response: GeneratedResponse::new(status, headers, body),
            x_cache: self.x_cache(),
        }
    }

    fn x_cache(&self) -> &'static str {
        match self.answer_as {
            AnswerAs::Rule => X_CACHE_JWT_RULE,
            AnswerAs::Function => X_CACHE_FUNCTION,
        }
    }

    /// One line for `cfedge validate`.
    pub fn describe(&self) -> String {
        let keys = match &self.keys {
            Keys::Single(_) => "1 key".to_owned(),
            Keys::Set(m, _) => format!("JWKS with {} key(s)", m.len()),
        };
        let mut sources = Vec::new();
        if self.authorization_header {
            sources.push("Authorization: Bearer".to_owned());
        }
        if let Some(c) = &self.cookie {
            sources.push(format!("cookie {c}"));
        }
        if let Some(q) = &self.query_parameter {
            sources.push(format!("query {q}"));
        }
        let failure = match &self.on_failure {
            FailureAction::Unauthorized { .. } => "401".to_owned(),
            FailureAction::Forbidden => "403".to_owned(),
            FailureAction::Redirect { login_url, .. } => format!("302 to {login_url}"),
        };
        format!(
            "jwt {}: {} ({keys}), token from {}, leeway {}s, on failure {failure}, forwards {} claim(s)",
            self.name,
            algorithm_name(self.algorithm),
            sources.join(" / "),
            self.leeway,
            self.forward_claims.len()
        )
    }
}

/// A claim as a header value: strings as-is, other JSON values serialized;
/// bytes not allowed in a header value are percent-encoded.
fn claim_header_value(v: &Value) -> Option<HeaderValue> {
    let s = match v {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    HeaderValue::from_str(&s).ok().or_else(|| {
        HeaderValue::from_str(
            &percent_encoding::utf8_percent_encode(&s, percent_encoding::CONTROLS).to_string(),
        )
        .ok()
    })
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
    }
}

/// Key families; a key only ever verifies its own family's algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

fn family(a: Algorithm) -> Family {
    match a {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => Family::Rsa,
        Algorithm::ES256 | Algorithm::ES384 => Family::Ec,
        Algorithm::EdDSA => Family::Ed,
    }
}

const ALGORITHMS: &[Algorithm] = &[
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Build `[jwt_rules.<name>]`.
pub fn build(
    file: &BTreeMap<String, Spanned<toml::Table>>,
    base: &Path,
) -> Result<JwtRuleSet, ConfigError> {
    let entries = super::build_named(file, "jwt_rules", |name, raw: JwtRuleToml| {
        build_rule(name, raw, base)
    })?;
    Ok(JwtRuleSet { entries })
}

fn build_rule(name: &str, raw: JwtRuleToml, base: &Path) -> Result<JwtRule, String> {
    let algorithm = ALGORITHMS
        .iter()
        .copied()
        .find(|a| algorithm_name(*a) == raw.algorithm)
        .ok_or_else(|| {
            format!(
                "algorithm \"{}\" is not supported (use one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA; \"none\" is never accepted)",
                raw.algorithm
            )
        })?;
    let fam = family(algorithm);
    let keys = match (&raw.secret, &raw.public_key_file, &raw.jwks_file) {
        (Some(secret), None, None) => {
            if fam != Family::Hmac {
                return Err(format!(
                    "secret is for HS256/384/512; {} needs public_key_file or jwks_file",
                    raw.algorithm
                ));
            }
            if secret.is_empty() {
                return Err("secret is empty".into());
            }
            Keys::Single(DecodingKey::from_secret(secret.as_bytes()))
        }
        (None, Some(file), None) => {
            if fam == Family::Hmac {
                return Err(format!(
                    "{} uses a shared secret: set secret, not public_key_file",
                    raw.algorithm
                ));
            }
            let path = base.join(file);
            let pem = std::fs::read(&path)
                .map_err(|e| format!("cannot read public_key_file {}: {e}", path.display()))?;
            let key = match fam {
                Family::Rsa => DecodingKey::from_rsa_pem(&pem),
                Family::Ec => DecodingKey::from_ec_pem(&pem),
                Family::Ed => DecodingKey::from_ed_pem(&pem),
                Family::Hmac => return Err("unreachable key family".into()),
            }
            .map_err(|e| {
                format!(
                    "public_key_file {} is not a {} public key in PEM: {e}",
                    path.display(),
                    raw.algorithm
                )
            })?;
            Keys::Single(key)
        }
        (None, None, Some(file)) => load_jwks(&base.join(file), algorithm)?,
        (None, None, None) => {
            return Err("needs a key: one of secret, public_key_file or jwks_file".into())
        }
        _ => return Err("set only one of secret, public_key_file and jwks_file".into()),
    };
    if !raw.authorization_header && raw.cookie.is_none() && raw.query_parameter.is_none() {
        return Err(
            "no token source: authorization_header is false and neither cookie nor query_parameter is set"
                .into(),
        );
    }
    let claim_values = raw
        .claim_values
        .into_iter()
        .map(|(claim, v)| {
            let accepted = match v {
                toml::Value::Array(items) => items,
                one => vec![one],
            };
            let accepted = accepted
                .into_iter()
                .map(|v| serde_json::to_value(&v).map_err(|e| format!("claim_values.{claim}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            if accepted.is_empty() {
                return Err(format!("claim_values.{claim} accepts no value"));
            }
            Ok((claim, accepted))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let forward_claims = raw
        .forward_claims
        .into_iter()
        .map(|(claim, header)| {
            let h = HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
                format!("forward_claims.{claim}: \"{header}\" is not a header name")
            })?;
            Ok((claim, h))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let on_failure = match raw.on_failure {
        FailureActionToml::Unauthorized => FailureAction::Unauthorized {
            realm: raw.realm.unwrap_or_else(|| name.to_owned()),
        },
        FailureActionToml::Forbidden => FailureAction::Forbidden,
        FailureActionToml::Redirect => {
            let login_url = raw
                .login_url
                .ok_or("on_failure = \"redirect\" needs login_url")?;
            if !(login_url.starts_with("https://")
                || login_url.starts_with("http://")
                || login_url.starts_with('/'))
            {
                return Err(format!(
                    "login_url \"{login_url}\" must be an absolute http(s) URL or a path"
                ));
            }
            FailureAction::Redirect {
                login_url,
                parameter: raw
                    .redirect_parameter
                    .unwrap_or_else(|| "redirect_uri".to_owned()),
            }
        }
    };
    Ok(JwtRule {
        name: name.to_owned(),
        algorithm,
        keys,
        authorization_header: raw.authorization_header,
        cookie: raw.cookie,
        query_parameter: raw.query_parameter,
        issuers: raw.issuer.map(OneOrMany::into_vec).unwrap_or_default(),
        audiences: raw.audience.map(OneOrMany::into_vec).unwrap_or_default(),
        leeway: raw.leeway,
        require_exp: raw.require_exp,
        required_claims: raw.required_claims,
        claim_values,
        forward_claims,
        on_failure,
        answer_as: raw.as_function,
        verified: Mutex::new(HashMap::new()),
    })
}

/// Keys of a JWKS file usable with `algorithm`, by `kid`.
fn load_jwks(path: &Path, algorithm: Algorithm) -> Result<Keys, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read jwks_file {}: {e}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text)
        .map_err(|e| format!("jwks_file {} is not a JWK set: {e}", path.display()))?;
    let want = family(algorithm);
    let mut by_kid = HashMap::new();
    let mut usable = Vec::new();
    for jwk in &set.keys {
        let fam = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Family::Rsa,
            AlgorithmParameters::EllipticCurve(_) => Family::Ec,
            AlgorithmParameters::OctetKeyPair(_) => Family::Ed,
            AlgorithmParameters::OctetKey(_) => Family::Hmac,
        };
        let alg_ok = jwk.common.key_algorithm.is_none_or(|ka| {
            serde_json::to_value(ka)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                == Some(algorithm_name(algorithm).to_owned())
        });
        if fam != want || !alg_ok {
            continue;
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|e| {
            format!(
                "jwks_file {}: key {:?} is invalid: {e}",
                path.display(),
                jwk.common.key_id
            )
        })?;
        if let Some(kid) = &jwk.common.key_id {
            by_kid.insert(kid.clone(), key.clone());
        }
        usable.push(key);
    }
    if usable.is_empty() {
        return Err(format!(
            "jwks_file {} has no key usable with {}",
            path.display(),
            algorithm_name(algorithm)
        ));
    }
    let only = if usable.len() == 1 {
        usable.pop()
    } else {
        None
    };
    Ok(Keys::Set(by_kid, only))
}
