//! JWT rules: every algorithm, claim checks, algorithm confusion, failure
//! actions, claim forwarding and anti-forgery.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cfedge::rules::jwt::{build, JwtRule, JwtRuleSet};
use http::StatusCode;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use super::{file_config, fixtures, request};

const NOW: u64 = 1_800_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn rules(toml: &str) -> JwtRuleSet {
    build(&file_config(toml).jwt_rules, &fixtures()).unwrap()
}

fn rule(toml: &str) -> std::sync::Arc<JwtRule> {
    rules(toml).get("api").unwrap()
}

fn key(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("keys").join(name)).unwrap()
}

fn token(alg: Algorithm, key: &EncodingKey, claims: serde_json::Value) -> String {
    encode(&Header::new(alg), &claims, key).unwrap()
}

fn valid_claims() -> serde_json::Value {
    json!({"sub": "user-1", "exp": NOW + 60, "iss": "https://auth.example", "aud": "api", "role": "admin"})
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

fn check(rule: &JwtRule, t: &str) -> Result<(), Box<cfedge::rules::RuleResponse>> {
    let mut req = request("/api/x", &[("authorization", &bearer(t))]);
    rule.apply(&mut req, now())
}

#[test]
fn every_algorithm_verifies_and_rejects_a_tampered_signature() {
    let cases: Vec<(Algorithm, &str, EncodingKey)> = vec![
        (
            Algorithm::HS256,
            "secret = \"s3cr3t\"",
            EncodingKey::from_secret(b"s3cr3t"),
        ),
        (
            Algorithm::HS384,
            "secret = \"s3cr3t\"",
            EncodingKey::from_secret(b"s3cr3t"),
        ),
        (
            Algorithm::HS512,
            "secret = \"s3cr3t\"",
            EncodingKey::from_secret(b"s3cr3t"),
        ),
        (
            Algorithm::RS256,
            "public_key_file = \"keys/rsa_public.pem\"",
            EncodingKey::from_rsa_pem(&key("rsa_private.pem")).unwrap(),
        ),
        (
            Algorithm::RS384,
            "public_key_file = \"keys/rsa_public.pem\"",
            EncodingKey::from_rsa_pem(&key("rsa_private.pem")).unwrap(),
        ),
        (
            Algorithm::RS512,
            "public_key_file = \"keys/rsa_public.pem\"",
            EncodingKey::from_rsa_pem(&key("rsa_private.pem")).unwrap(),
        ),
        (
            Algorithm::PS256,
            "public_key_file = \"keys/rsa_public.pem\"",
            EncodingKey::from_rsa_pem(&key("rsa_private.pem")).unwrap(),
        ),
        (
            Algorithm::ES256,
            "public_key_file = \"keys/ec256_public.pem\"",
            EncodingKey::from_ec_pem(&key("ec256_private.pem")).unwrap(),
        ),
        (
            Algorithm::ES384,
            "public_key_file = \"keys/ec384_public.pem\"",
            EncodingKey::from_ec_pem(&key("ec384_private.pem")).unwrap(),
        ),
        (
            Algorithm::EdDSA,
            "public_key_file = \"keys/ed25519_public.pem\"",
            EncodingKey::from_ed_pem(&key("ed25519_private.pem")).unwrap(),
        ),
    ];
    for (alg, key_line, enc) in cases {
        let r = rule(&format!(
            "[jwt_rules.api]\nalgorithm = \"{alg:?}\"\n{key_line}\n"
        ));
        let t = token(alg, &enc, valid_claims());
        assert!(check(&r, &t).is_ok(), "{alg:?} should verify");
        // Flip one character of the signature.
        let (head, sig) = t.rsplit_once('.').unwrap();
        let mut sig: Vec<u8> = sig.bytes().collect();
        sig[2] = if sig[2] == b'A' { b'B' } else { b'A' };
        let tampered = format!("{head}.{}", String::from_utf8(sig).unwrap());
        let denied = check(&r, &tampered).unwrap_err();
        assert_eq!(denied.response.status, StatusCode::UNAUTHORIZED, "{alg:?}");
        // Tampered payload with the original signature.
        let (h, rest) = t.split_once('.').unwrap();
        let (_, s) = rest.split_once('.').unwrap();
        let forged = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "root", "exp": NOW + 60}),
            &EncodingKey::from_secret(b"x"),
        )
        .unwrap();
        let forged_payload = forged.split('.').nth(1).unwrap();
        assert!(
            check(&r, &format!("{h}.{forged_payload}.{s}")).is_err(),
            "{alg:?} payload swap"
        );
    }
}

#[test]
fn jwks_file_selects_the_key_by_kid() {
    let r = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\njwks_file = \"jwks.json\"\n");
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("k2".into());
    let t = encode(
        &h,
        &valid_claims(),
        &EncodingKey::from_secret(b"second-secret"),
    )
    .unwrap();
    assert!(check(&r, &t).is_ok());
    // The right secret under the wrong kid fails.
    h.kid = Some("k1".into());
    let t = encode(
        &h,
        &valid_claims(),
        &EncodingKey::from_secret(b"second-secret"),
    )
    .unwrap();
    assert!(check(&r, &t).is_err());
    // Unknown kid and missing kid (two usable keys) fail.
    h.kid = Some("nope".into());
    let t = encode(
        &h,
        &valid_claims(),
        &EncodingKey::from_secret(b"second-secret"),
    )
    .unwrap();
    assert!(check(&r, &t).is_err());
    let t = token(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"second-secret"),
        valid_claims(),
    );
    assert!(check(&r, &t).is_err());
}

#[test]
fn expiry_and_not_before_honour_the_leeway() {
    let enc = EncodingKey::from_secret(b"k");
    let strict = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\n");
    let lenient = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\nleeway = 30\n");
    let expired = token(Algorithm::HS256, &enc, json!({"exp": NOW - 10}));
    let at_exp = token(Algorithm::HS256, &enc, json!({"exp": NOW}));
    let future = token(
        Algorithm::HS256,
        &enc,
        json!({"exp": NOW + 100, "nbf": NOW + 10}),
    );
    let no_exp = token(Algorithm::HS256, &enc, json!({"sub": "x"}));
    let desc = |r: &JwtRule, t: &str| {
        let e = check(r, t).unwrap_err();
        e.response.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert!(desc(&strict, &expired).contains("expired"));
    assert!(desc(&strict, &at_exp).contains("expired"));
    assert!(check(&lenient, &expired).is_ok());
    assert!(desc(&strict, &future).contains("not valid yet"));
    assert!(check(&lenient, &future).is_ok());
    assert!(desc(&strict, &no_exp).contains("no exp"));
    let optional =
        rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\nrequire_exp = false\n");
    assert!(check(&optional, &no_exp).is_ok());
}

#[test]
fn issuer_audience_required_claims_and_values_are_checked() {
    let enc = EncodingKey::from_secret(b"k");
    let r = rule(
        r#"[jwt_rules.api]
algorithm = "HS256"
secret = "k"
issuer = ["https://auth.example", "https://other.example"]
audience = "api"
required_claims = ["sub"]
claim_values = { role = ["admin", "editor"] }
"#,
    );
    let with = |patch: serde_json::Value| {
        let mut c = valid_claims();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        token(Algorithm::HS256, &enc, c)
    };
    assert!(check(&r, &with(json!({}))).is_ok());
    assert!(check(&r, &with(json!({"iss": "https://other.example"}))).is_ok());
    assert!(check(&r, &with(json!({"iss": "https://evil.example"}))).is_err());
    assert!(check(&r, &with(json!({"iss": null}))).is_err());
    assert!(check(&r, &with(json!({"aud": ["x", "api"]}))).is_ok());
    assert!(check(&r, &with(json!({"aud": "web"}))).is_err());
    assert!(check(&r, &with(json!({"aud": null}))).is_err());
    assert!(check(&r, &with(json!({"sub": null}))).is_err());
    assert!(check(&r, &with(json!({"role": "editor"}))).is_ok());
    assert!(check(&r, &with(json!({"role": ["viewer", "admin"]}))).is_ok());
    assert!(check(&r, &with(json!({"role": "viewer"}))).is_err());
    assert!(check(&r, &with(json!({"role": null}))).is_err());
}

#[test]
fn alg_none_and_algorithm_confusion_are_rejected() {
    let rs =
        rule("[jwt_rules.api]\nalgorithm = \"RS256\"\npublic_key_file = \"keys/rsa_public.pem\"\n");
    // alg: none, empty signature.
    let b64 = |v: serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(valid_claims())
    );
    assert!(check(&rs, &none).is_err());
    // HS256 keyed with the RSA public key's bytes (PEM text and DER both tried).
    let pem = key("rsa_public.pem");
    for secret in [
        pem.clone(),
        pem.iter().copied().filter(|b| *b != b'\n').collect(),
    ] {
        let t = token(
            Algorithm::HS256,
            &EncodingKey::from_secret(&secret),
            valid_claims(),
        );
        let e = check(&rs, &t).unwrap_err();
        assert!(e.response.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("algorithm"));
    }
    // An RS256 token against an HS256 rule.
    let hs = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\n");
    let t = token(
        Algorithm::RS256,
        &EncodingKey::from_rsa_pem(&key("rsa_private.pem")).unwrap(),
        valid_claims(),
    );
    assert!(check(&hs, &t).is_err());
    // A token signed by another RSA key.
    let t = token(
        Algorithm::RS256,
        &EncodingKey::from_rsa_pem(&key("rsa2_private.pem")).unwrap(),
        valid_claims(),
    );
    assert!(check(&rs, &t).is_err());
    // Config: alg none, and mismatched key kinds, are refused at load.
    for bad in [
        "algorithm = \"none\"\nsecret = \"k\"",
        "algorithm = \"RS256\"\nsecret = \"k\"",
        "algorithm = \"HS256\"\npublic_key_file = \"keys/rsa_public.pem\"",
        "algorithm = \"ES256\"\npublic_key_file = \"keys/rsa_public.pem\"",
        "algorithm = \"RS256\"",
        "algorithm = \"HS256\"\nsecret = \"k\"\ntypo = 1",
    ] {
        let err = build(
            &file_config(&format!("[jwt_rules.api]\n{bad}\n")).jwt_rules,
            &fixtures(),
        )
        .unwrap_err();
        assert_eq!(err.item, "jwt_rules.api", "{bad}");
    }
}

#[test]
fn token_sources_in_order_and_missing_token() {
    let enc = EncodingKey::from_secret(b"k");
    let good = token(Algorithm::HS256, &enc, valid_claims());
    let bad = token(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"other"),
        valid_claims(),
    );
    let r = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\ncookie = \"jwt\"\nquery_parameter = \"token\"\n");
    let run = |path: &str, headers: &[(&str, &str)]| {
        let mut req = request(path, headers);
        r.apply(&mut req, now())
    };
    assert!(run("/", &[("cookie", &format!("a=b; jwt={good}"))]).is_ok());
    assert!(run(&format!("/?x=1&token={good}"), &[]).is_ok());
    // The header wins over the cookie, the cookie over the query.
    assert!(run(
        "/",
        &[
            ("authorization", &bearer(&bad)),
            ("cookie", &format!("jwt={good}"))
        ]
    )
    .is_err());
    assert!(run(
        &format!("/?token={good}"),
        &[("cookie", &format!("jwt={bad}"))]
    )
    .is_err());
    let missing = run("/", &[]).unwrap_err();
    assert_eq!(missing.response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.response.headers["www-authenticate"],
        "Bearer realm=\"api\""
    );
    assert_eq!(missing.x_cache, "JwtRule from cfedge");
    // With the header source switched off, a bearer token is ignored.
    let no_header = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\nauthorization_header = false\ncookie = \"jwt\"\n");
    let mut req = request("/", &[("authorization", &bearer(&good))]);
    assert!(no_header.apply(&mut req, now()).is_err());
}

#[test]
fn each_failure_action() {
    let forbidden = rule(
        "[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\non_failure = \"forbidden\"\n",
    );
    let mut req = request("/x", &[]);
    let e = forbidden.apply(&mut req, now()).unwrap_err();
    assert_eq!(e.response.status, StatusCode::FORBIDDEN);
    assert!(!e.response.headers.contains_key("www-authenticate"));

    let unauth =
        rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\nrealm = \"example\"\n");
    let t = token(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"k"),
        json!({"exp": NOW - 1}),
    );
    let e = check(&unauth, &t).unwrap_err();
    assert_eq!(e.response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        e.response.headers["www-authenticate"],
        "Bearer realm=\"example\", error=\"invalid_token\", error_description=\"the token has expired\""
    );

    let redirect = rule(
        "[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\non_failure = \"redirect\"\nlogin_url = \"https://login.example/start?app=1\"\nredirect_parameter = \"next\"\n",
    );
    let mut req = request("/private/a b?x=1&y=2", &[]);
    req.uri = "/private/a%20b".into();
    let e = redirect.apply(&mut req, now()).unwrap_err();
    assert_eq!(e.response.status, StatusCode::FOUND);
    assert_eq!(
        e.response.headers["location"],
        "https://login.example/start?app=1&next=https%3A%2F%2Fd111%2Ecloudfront%2Enet%2Fprivate%2Fa%2520b%3Fx%3D1%26y%3D2"
    );
    let as_fn = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\non_failure = \"forbidden\"\nas_function = true\n");
    let mut req = request("/x", &[]);
    let e = as_fn.apply(&mut req, now()).unwrap_err();
    assert_eq!(e.x_cache, "FunctionGeneratedResponse from cloudfront");
    assert!(e.response.body.is_empty());
    let err = build(
        &file_config(
            "[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\non_failure = \"redirect\"\n",
        )
        .jwt_rules,
        &fixtures(),
    )
    .unwrap_err();
    assert!(err.message.contains("login_url"), "{err}");
}

#[test]
fn claims_are_forwarded_and_viewer_copies_stripped() {
    let r = rule(
        "[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\nforward_claims = { sub = \"x-user-id\", role = \"x-user-role\", exp = \"x-exp\", missing = \"x-missing\" }\n",
    );
    let t = token(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"k"),
        valid_claims(),
    );
    let mut req = request(
        "/",
        &[
            ("authorization", &bearer(&t)),
            ("x-user-id", "forged"),
            ("x-missing", "forged"),
        ],
    );
    r.apply(&mut req, now()).unwrap();
    assert_eq!(req.headers["x-user-id"], "user-1");
    assert_eq!(req.headers["x-user-role"], "admin");
    assert_eq!(req.headers["x-exp"], (NOW + 60).to_string().as_str());
    assert_eq!(req.headers.get_all("x-user-id").iter().count(), 1);
    assert!(!req.headers.contains_key("x-missing"));
    // On failure the forged headers are gone too.
    let mut req = request("/", &[("x-user-id", "forged")]);
    assert!(r.apply(&mut req, now()).is_err());
    assert!(!req.headers.contains_key("x-user-id"));
}

#[test]
fn describe_names_the_rule() {
    let r = rule("[jwt_rules.api]\nalgorithm = \"RS256\"\npublic_key_file = \"keys/rsa_public.pem\"\ncookie = \"c\"\n");
    let d = r.describe();
    assert!(
        d.contains("api") && d.contains("RS256") && d.contains("cookie c"),
        "{d}"
    );
}

#[test]
fn a_remembered_token_still_has_its_claims_checked_on_every_request() {
    let enc = EncodingKey::from_secret(b"k");
    let r = rule("[jwt_rules.api]\nalgorithm = \"HS256\"\nsecret = \"k\"\n");
    let t = token(Algorithm::HS256, &enc, json!({"exp": NOW + 30}));
    // First use verifies the signature and remembers the token.
    assert!(check(&r, &t).is_ok());
    assert!(check(&r, &t).is_ok());
    // Later, the same (remembered) token has expired.
    let mut req = request("/api/x", &[("authorization", &bearer(&t))]);
    let later = now() + Duration::from_secs(60);
    assert!(r.apply(&mut req, later).is_err());
    // A token with a forged signature is never accepted, remembered or not.
    let last = if t.ends_with('x') { 'y' } else { 'x' };
    let forged = format!("{}{last}", &t[..t.len() - 1]);
    assert!(check(&r, &forged).is_err());
}
