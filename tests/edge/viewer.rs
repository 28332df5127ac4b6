//! Behaviour selection and viewer-side rules.

use crate::support::{Origin, Proxy, Route};

#[tokio::test]
async fn behaviours_are_matched_in_order_on_the_normalised_path() {
    let a = Origin::start().await;
    let b = Origin::start().await;
    for path in ["/api/x", "/a/b/..", "/images/x.jpg", "/other", "/a/"] {
        a.route(path, Route::ok("A"));
        b.route(path, Route::ok("B"));
    }
    let toml = format!(
        r#"
[origins.a]
url = "{}"
[origins.b]
url = "{}"
[[behaviors]]
path_pattern = "/api/*"
target_origin = "a"
[[behaviors]]
path_pattern = "/a/b*"
target_origin = "a"
[[behaviors]]
path_pattern = "*.jpg"
target_origin = "a"
[default_behavior]
target_origin = "b"
"#,
        a.url(),
        b.url()
    );
    let p = Proxy::start(&toml).await;
    assert_eq!(p.get("/api/x").await.text(), "A");
    assert_eq!(p.get("/images/x.jpg").await.text(), "A");
    assert_eq!(p.get("/other").await.text(), "B");
    // `/a/b/..` normalises to `/a/`, which does not match `/a/b*`; the raw path goes to the origin.
    assert_eq!(p.get("/a/b/..").await.text(), "B");
    assert_eq!(b.hits("/a/b/.."), 1);
}

#[tokio::test]
async fn default_root_object_applies_only_to_the_root() {
    let o = Origin::start().await;
    o.route("/index.html", Route::ok("root page"));
    o.route("/docs/", Route::ok("docs dir"));
    let toml = format!(
        "[distribution]\ndefault_root_object = \"index.html\"\n[origins.app]\nurl = \"{}\"\n[default_behavior]\ntarget_origin = \"app\"\n",
        o.url()
    );
    let p = Proxy::start(&toml).await;
    assert_eq!(p.get("/").await.text(), "root page");
    assert_eq!(p.get("/docs/").await.text(), "docs dir");
}

fn policy_config(origin: &str, policy: &str) -> String {
    format!(
        "[origins.app]\nurl = \"{origin}\"\n[default_behavior]\ntarget_origin = \"app\"\nviewer_protocol_policy = \"{policy}\"\nallowed_methods = [\"GET\", \"HEAD\", \"OPTIONS\", \"PUT\", \"POST\", \"PATCH\", \"DELETE\"]\n"
    )
}

#[tokio::test]
async fn redirect_to_https_answers_301_for_get_and_307_for_post() {
    let o = Origin::start().await;
    let p = Proxy::start(&policy_config(&o.url(), "redirect-to-https")).await;
    let r = p.get_with("/a?b=1", &[("host", "www.example.com")]).await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("https://www.example.com/a?b=1"));
    assert_eq!(r.x_cache(), "Redirect from cloudfront");
    assert_eq!(r.header("server"), Some("CloudFront"));
    let r = p
        .send(
            http::Request::post("/a")
                .header("host", "h")
                .body("x".into())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 307);
    assert_eq!(o.hits("/a"), 0);
}

#[tokio::test]
async fn redirect_to_https_names_the_tls_port_and_drops_the_viewer_port() {
    let o = Origin::start().await;
    // A TLS listener on a port other than 443: the Location can be followed locally.
    let tls = format!(
        "[server.tls]\nlisten = \"127.0.0.1:8443\"\n{}",
        policy_config(&o.url(), "redirect-to-https")
    );
    let p = Proxy::start(&tls).await;
    let r = p.get_with("/a?b=1", &[("host", "localhost:8080")]).await;
    assert_eq!(r.header("location"), Some("https://localhost:8443/a?b=1"));
    let r = p.get_with("/a", &[("host", "[::1]:8080")]).await;
    assert_eq!(r.header("location"), Some("https://[::1]:8443/a"));
    // Without a TLS listener (or on 443) the Location is CloudFront's: no port.
    let p = Proxy::start(&policy_config(&o.url(), "redirect-to-https")).await;
    let r = p.get_with("/a", &[("host", "[::1]:8080")]).await;
    assert_eq!(r.header("location"), Some("https://[::1]/a"));
    let r = p.get_with("/a", &[("host", "www.example.com:8080")]).await;
    assert_eq!(r.header("location"), Some("https://www.example.com/a"));
}

#[tokio::test]
async fn redirect_to_https_is_403_for_http_1_0_posts() {
    let o = Origin::start().await;
    let p = Proxy::start(&policy_config(&o.url(), "redirect-to-https")).await;
    let raw = crate::support::raw_exchange(
        p.addr,
        b"POST /a HTTP/1.0\r\nHost: h\r\nContent-Length: 1\r\n\r\nx",
    )
    .await;
    assert!(raw.starts_with("HTTP/1.0 403"), "{raw}");
}

#[tokio::test]
async fn https_only_is_403_over_http() {
    let o = Origin::start().await;
    let p = Proxy::start(&policy_config(&o.url(), "https-only")).await;
    assert_eq!(p.get("/a").await.status, 403);
}
