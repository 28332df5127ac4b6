//! The rules wired into the real edge: served over a socket in front of an
//! in-process origin.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cfedge::rules::signed_url::{sign_url, HashAlgorithm, Policy, SigningKey};
use http::Request;
use http_body_util::Full;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use super::fixtures;
use super::support::{config_for, Origin, Proxy, Route};

fn keys_dir() -> String {
    fixtures().join("keys").display().to_string()
}

async fn setup(extra: &str) -> (Origin, Proxy) {
    let origin = Origin::start().await;
    for p in ["/", "/api/data", "/private/a.txt", "/page"] {
        origin.route(p, Route::ok("from origin"));
    }
    let proxy = Proxy::start(&config_for(&origin.url(), extra)).await;
    (origin, proxy)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn jwt_rule_guards_a_behaviour_and_forwards_claims() {
    let (origin, proxy) = setup(
        r#"
[jwt_rules.api]
algorithm = "HS256"
secret = "live-secret"
forward_claims = { sub = "x-user-id" }

# Forwarded claim headers follow the cache policy like any viewer header;
# keying on them also keeps one user's cached answer from another.
[cache_policies.per_user]
headers = ["x-user-id"]

[[behaviors]]
path_pattern = "/api/*"
target_origin = "app"
cache_policy = "per_user"
jwt_rules = ["api"]
"#,
    )
    .await;
    let denied = proxy.get("/api/data").await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.x_cache(), "JwtRule from cfedge");
    assert_eq!(
        denied.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
    assert_eq!(denied.header("server"), Some("CloudFront"));
    assert_eq!(origin.hits("/api/data"), 0);

    let token = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "alice", "exp": now_secs() + 300}),
        &EncodingKey::from_secret(b"live-secret"),
    )
    .unwrap();
    let ok = proxy
        .get_with(
            "/api/data",
            &[
                ("authorization", &format!("Bearer {token}")),
                ("x-user-id", "mallory"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.text(), "from origin");
    let seen = origin.last("/api/data");
    assert_eq!(seen.headers.get("x-user-id").unwrap(), "alice");
    assert_eq!(seen.headers.get_all("x-user-id").iter().count(), 1);
    // Other behaviours are not guarded.
    assert_eq!(proxy.get("/page").await.status, 200);
    let summary = cfedge::cli::validate::describe(proxy.edge.config());
    assert!(
        summary.contains("edge rules:\n  jwt api: HS256"),
        "{summary}"
    );
}

#[tokio::test]
async fn redirect_table_answers_before_the_origin() {
    let origin = Origin::start().await;
    origin.route("/page", Route::ok("from origin"));
    let proxy = Proxy::start(&config_for(
        &origin.url(),
        r#"
[redirect_rules.legacy]
rules = [
  { from = "/old", to = "/page" },
  { from = "^/blog/(\\d+)$", to = "https://blog.example.com/p/$1", match = "regex", status = 302 },
]
[redirect_rules.fn]
as_function = true
rules = [{ from = "/fn", to = "/page", status = 307 }]

[[behaviors]]
path_pattern = "/*"
target_origin = "app"
redirect_rules = ["legacy", "fn"]
"#,
    ))
    .await;
    let r = proxy.get("/old?utm=1").await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/page?utm=1"));
    assert_eq!(r.x_cache(), "RedirectRule from cfedge");
    let r = proxy.get("/blog/42").await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("https://blog.example.com/p/42"));
    let r = proxy.get("/fn").await;
    assert_eq!(r.status, 307);
    assert_eq!(r.x_cache(), "FunctionGeneratedResponse from cloudfront");
    assert_eq!(proxy.get("/page").await.text(), "from origin");
    assert_eq!(
        origin.hits("/old") + origin.hits("/blog/42") + origin.hits("/fn"),
        0
    );
}

#[tokio::test]
async fn signed_urls_guard_private_content() {
    let (origin, proxy) = setup(&format!(
        r#"
[key_groups.media]
keys = [{{ id = "KLIVE", public_key_file = "{}/rsa_public.pem" }}]

[[behaviors]]
path_pattern = "/private/*"
target_origin = "app"
trusted_key_groups = ["media"]
"#,
        keys_dir()
    ))
    .await;
    let denied = proxy.get("/private/a.txt").await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.x_cache(), "Error from cloudfront");
    assert!(denied.text().contains("<Code>AccessDenied</Code><Message>Missing Key-Pair-Id query parameter or cookie value.</Message>"));
    assert_eq!(origin.hits("/private/a.txt"), 0);

    let key = SigningKey::from_pem(
        &std::fs::read_to_string(fixtures().join("keys/rsa_private.pem")).unwrap(),
    )
    .unwrap();
    let url = format!("http://{}/private/a.txt?v=2", proxy.addr);
    let signed = sign_url(
        &url,
        &key,
        "KLIVE",
        &Policy::Canned {
            expires: now_secs() + 60,
        },
        HashAlgorithm::Sha256,
    )
    .unwrap();
    let path = signed
        .strip_prefix(&format!("http://{}", proxy.addr))
        .unwrap();
    let ok = proxy.get(path).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.text(), "from origin");
    let tampered = proxy.get(&format!("{path}&extra=1")).await;
    assert_eq!(tampered.status, 403);
    assert!(tampered.text().contains("<Message>Access denied</Message>"));
}

#[tokio::test]
async fn geo_restriction_blocks_and_exposes_the_country() {
    let (origin, proxy) = setup(
        r#"
[geo_restriction]
restriction_type = "blacklist"
countries = ["KP"]

[[behaviors]]
path_pattern = "/page"
target_origin = "app"
cache_policy = "Amplify"
"#,
    )
    .await;
    let blocked = proxy
        .get_with("/page", &[("cloudfront-viewer-country", "KP")])
        .await;
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.x_cache(), "Error from cloudfront");
    assert!(blocked.text().contains(
        "The Amazon CloudFront distribution is configured to block access from your country."
    ));
    assert_eq!(origin.hits("/page"), 0);
    let ok = proxy
        .get_with("/page", &[("cloudfront-viewer-country", "us")])
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        origin
            .last("/page")
            .headers
            .get("cloudfront-viewer-country")
            .unwrap(),
        "US"
    );
}

#[tokio::test]
async fn response_headers_policy_and_edge_preflight() {
    let (origin, proxy) = setup(
        r#"
[jwt_rules.api]
algorithm = "HS256"
secret = "k"

[response_headers_policies.web]
cors = { allow_origins = ["https://app.example.com"], allow_methods = ["GET", "POST"], allow_headers = ["authorization"], max_age = 300 }
custom_headers = [{ name = "x-env", value = "test" }]
remove_headers = ["x-powered-by"]

[[behaviors]]
path_pattern = "/api/*"
target_origin = "app"
allowed_methods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
response_headers_policy = "web"
jwt_rules = ["api"]

[[behaviors]]
path_pattern = "/page"
target_origin = "app"
response_headers_policy = "67f7725c-6f97-4210-82d7-5512b31e9d03"
"#,
    )
    .await;
    origin.route(
        "/page",
        Route::ok("from origin").header("x-powered-by", "php"),
    );
    let page = proxy.get("/page").await;
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        page.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert_eq!(
        page.header("x-powered-by"),
        Some("php"),
        "the managed policy removes nothing"
    );

    // A preflight is answered at the edge, before the JWT rule, without the origin.
    let pre = proxy
        .send(
            Request::options("/api/data")
                .header("origin", "https://app.example.com")
                .header("access-control-request-method", "POST")
                .body(Full::<Bytes>::default())
                .unwrap(),
        )
        .await;
    assert_eq!(pre.status, 200);
    assert_eq!(pre.x_cache(), "CorsPreflight from cfedge");
    assert_eq!(
        pre.header("access-control-allow-methods"),
        Some("GET, POST")
    );
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(pre.header("access-control-max-age"), Some("300"));
    assert_eq!(origin.hits("/api/data"), 0);

    // The policy also applies to the JWT rule's own answer.
    let denied = proxy
        .get_with("/api/data", &[("origin", "https://app.example.com")])
        .await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("x-env"), Some("test"));
    assert_eq!(
        denied.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
}
