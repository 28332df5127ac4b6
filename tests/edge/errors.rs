//! Custom error responses and bad input.

use crate::support::{config_for, raw_exchange, Origin, Proxy, Route};

fn with_error_pages(origin_url: &str, extra: &str) -> String {
    format!(
        r#"
[origins.app]
url = "{origin_url}"
connection_attempts = 1
[origins.pages]
dir = "tests/fixtures/site"
[[behaviors]]
path_pattern = "/errors/*"
target_origin = "app"
[default_behavior]
target_origin = "app"
{extra}
"#
    )
}

#[tokio::test]
async fn custom_error_page_replaces_the_origin_error() {
    let o = Origin::start().await;
    o.route("/missing", Route::status(404, "origin 404"));
    o.route(
        "/errors/404.html",
        Route::ok("<h1>custom not found</h1>").header("cache-control", "max-age=300"),
    );
    let toml = with_error_pages(
        &o.url(),
        "[[custom_error_responses]]\nerror_code = 404\nresponse_page_path = \"/errors/404.html\"\nresponse_code = 200\n",
    );
    let p = Proxy::start(&toml).await;
    let r = p.get("/missing").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<h1>custom not found</h1>");
    assert_eq!(r.x_cache(), "Error from cloudfront");
    // The page is cached under its own behaviour.
    p.get("/missing").await;
    p.get("/other-missing").await;
    assert_eq!(o.hits("/errors/404.html"), 1);
}

#[tokio::test]
async fn unreachable_error_page_gives_the_page_fetch_status() {
    let o = Origin::start().await;
    o.route("/boom", Route::status(500, "origin 500"));
    let toml = with_error_pages(
        &o.url(),
        "[[custom_error_responses]]\nerror_code = 500\nresponse_page_path = \"/errors/500.html\"\nresponse_code = 503\n",
    );
    let p = Proxy::start(&toml).await;
    let r = p.get("/boom").await;
    assert_eq!(r.status, 404, "the error page origin answered 404");
}

#[tokio::test]
async fn custom_error_page_applies_to_edge_generated_502() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let toml = format!(
        r#"
[origins.app]
url = "{url}"
connection_attempts = 1
[origins.pages]
dir = "tests/fixtures/site"
[[behaviors]]
path_pattern = "/sub/*"
target_origin = "pages"
[default_behavior]
target_origin = "app"
[[custom_error_responses]]
error_code = 502
response_page_path = "/sub/page.txt"
response_code = 502
"#
    );
    let p = Proxy::start(&toml).await;
    let r = p.get("/x").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.text(), "sub page\n");
}

#[tokio::test]
async fn url_over_8192_bytes_is_414() {
    let p = Proxy::start(&config_for("http://127.0.0.1:9999", "")).await;
    let long = format!("/{}", "a".repeat(8200));
    let r = p.get(&long).await;
    assert_eq!(r.status, 414);
    if !crate::support::http2() {
        // HTTP/2 has no Connection header: the stream is simply answered.
        assert_eq!(r.header("connection"), Some("close"));
    }
}

#[tokio::test]
async fn request_headers_over_32768_bytes_are_494() {
    let p = Proxy::start(&config_for("http://127.0.0.1:9999", "")).await;
    let big = "v".repeat(8000);
    let r = p
        .get_with(
            "/",
            &[
                ("x-a", &big),
                ("x-b", &big),
                ("x-c", &big),
                ("x-d", &big),
                ("x-e", &big),
            ],
        )
        .await;
    assert_eq!(r.status, 494);
}

#[tokio::test]
async fn get_with_a_body_is_403() {
    let o = Origin::start().await;
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    let r = p
        .send(http::Request::get("/x").body("body".into()).unwrap())
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(o.hits("/x"), 0);
}

#[tokio::test]
async fn malformed_http_gets_400_and_the_server_survives() {
    let o = Origin::start().await;
    o.route("/ok", Route::ok("fine"));
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    let raw = raw_exchange(
        p.addr,
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    let raw = raw_exchange(p.addr, b"\x16\x03\x01garbage\r\n\r\n").await;
    assert!(raw.is_empty() || raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert_eq!(p.get("/ok").await.text(), "fine");
}

#[tokio::test]
async fn bad_request_targets_and_host_headers_get_400() {
    let o = Origin::start().await;
    o.route("/ok", Route::ok("fine"));
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    for req in [
        &b"GET /ok HTTP/1.1\r\n\r\n"[..],
        b"GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET ok HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    ] {
        let raw = raw_exchange(p.addr, req).await;
        let shown = String::from_utf8_lossy(req).into_owned();
        assert!(raw.starts_with("HTTP/1.1 400"), "{shown}: {raw}");
        assert!(
            raw.contains("X-Cache: Error from cloudfront"),
            "{shown}: {raw}"
        );
    }
    assert_eq!(o.hits("/ok"), 0);
    // HTTP/1.0 does not require Host; absolute-form carries the authority.
    let raw = raw_exchange(p.addr, b"GET /ok HTTP/1.0\r\n\r\n").await;
    assert!(
        raw.starts_with("HTTP/1.0 200") || raw.starts_with("HTTP/1.1 200"),
        "{raw}"
    );
    let raw = raw_exchange(
        p.addr,
        b"GET http://a/ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
}

#[tokio::test]
async fn method_outside_allowed_methods_is_403() {
    let o = Origin::start().await;
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    let r = p
        .send(http::Request::post("/x").body("b".into()).unwrap())
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.x_cache(), "Error from cloudfront");
    assert_eq!(o.hits("/x"), 0);
}

#[tokio::test(start_paused = true)]
async fn slow_clients_are_disconnected_after_the_header_read_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let o = Origin::start().await;
    let p = Proxy::start(&config_for(&o.url(), "[server]\nheader_read_timeout = 5\n")).await;
    let mut s = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = tokio::time::Instant::now();
    let mut buf = Vec::new();
    let n = s.read_to_end(&mut buf).await.unwrap_or(0);
    assert!(started.elapsed() >= std::time::Duration::from_secs(5));
    assert!(
        n == 0 || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    assert_eq!(o.hits("/"), 0);
}

/// A request body the viewer breaks (a malformed chunk) is the viewer's
/// fault: 400, as CloudFront answers, not the 502 of a failed origin.
#[tokio::test]
async fn a_malformed_request_body_gets_400() {
    let o = Origin::start().await;
    o.route("/api", Route::ok("fine"));
    let all = "[\"GET\", \"HEAD\", \"OPTIONS\", \"PUT\", \"POST\", \"PATCH\", \"DELETE\"]";
    let config = config_for(&o.url(), "").replacen(
        "target_origin = \"app\"",
        &format!(
            "target_origin = \"app\"\ncache_policy = \"CachingDisabled\"\nallowed_methods = {all}"
        ),
        1,
    );
    let p = Proxy::start(&config).await;
    let raw = raw_exchange(
        p.addr,
        b"POST /api HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nbroken\r\n0\r\n\r\n",
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(raw.contains("X-Cache: Error from cloudfront"), "{raw}");
    assert_eq!(p.get("/api").await.text(), "fine");
}
