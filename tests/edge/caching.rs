//! Cache behaviour: X-Cache, Age, TTLs, revalidation, stale content, collapsing.

use std::time::Duration;

use crate::support::{config_for, config_policy, Origin, Proxy, Route};

#[tokio::test(start_paused = true)]
async fn miss_then_hit_with_cloudfront_headers() {
    let o = Origin::start().await;
    o.route(
        "/a",
        Route::ok("hello").header("cache-control", "max-age=60"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    let first = p.get("/a").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.text(), "hello");
    assert_eq!(first.x_cache(), "Miss from cloudfront");
    assert!(first
        .header("via")
        .unwrap()
        .ends_with(".cloudfront.net (CloudFront)"));
    assert_eq!(first.header("x-amz-cf-pop"), Some("LOCAL50-C1"));
    assert!(first.header("age").is_none(), "Age is omitted on a miss");
    tokio::time::advance(Duration::from_secs(5)).await;
    let second = p.get("/a").await;
    assert_eq!(second.x_cache(), "Hit from cloudfront");
    assert_eq!(second.text(), "hello");
    assert_eq!(second.header("age"), Some("5"));
    assert_eq!(
        second.header("cache-control"),
        Some("max-age=60"),
        "viewer Cache-Control is untouched"
    );
    assert_ne!(first.header("x-amz-cf-id"), second.header("x-amz-cf-id"));
    assert_eq!(o.hits("/a"), 1);
}

#[tokio::test(start_paused = true)]
async fn objects_expire_after_their_ttl() {
    let o = Origin::start().await;
    o.route("/a", Route::ok("v").header("cache-control", "max-age=10"));
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    p.get("/a").await;
    tokio::time::advance(Duration::from_secs(9)).await;
    assert_eq!(p.get("/a").await.x_cache(), "Hit from cloudfront");
    tokio::time::advance(Duration::from_secs(2)).await;
    let r = p.get("/a").await;
    assert_eq!(r.x_cache(), "Miss from cloudfront");
    assert_eq!(o.hits("/a"), 2);
}

#[tokio::test(start_paused = true)]
async fn min_ttl_raises_a_short_max_age() {
    let o = Origin::start().await;
    o.route("/a", Route::ok("v").header("cache-control", "max-age=1"));
    let p = Proxy::start(&config_policy(
        &o.url(),
        "p",
        "[cache_policies.p]\nmin_ttl = 100\n",
    ))
    .await;
    p.get("/a").await;
    tokio::time::advance(Duration::from_secs(50)).await;
    assert_eq!(p.get("/a").await.x_cache(), "Hit from cloudfront");
    assert_eq!(o.hits("/a"), 1);
}

#[tokio::test(start_paused = true)]
async fn no_store_is_respected_with_min_ttl_zero() {
    let o = Origin::start().await;
    o.route("/d", Route::ok("dyn").header("cache-control", "no-store"));
    let toml = config_policy(&o.url(), "UseOriginCacheControlHeaders", "");
    let p = Proxy::start(&toml).await;
    assert_eq!(p.get("/d").await.x_cache(), "Miss from cloudfront");
    assert_eq!(p.get("/d").await.x_cache(), "Miss from cloudfront");
    assert_eq!(o.hits("/d"), 2);
}

#[tokio::test(start_paused = true)]
async fn expired_objects_are_revalidated_and_304_is_a_refresh_hit() {
    let o = Origin::start().await;
    o.route_fn("/r", |seen| {
        if seen
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            == Some("\"v1\"")
        {
            Route::status(304, "")
        } else {
            Route::ok("body")
                .header("etag", "\"v1\"")
                .header("cache-control", "max-age=10")
        }
    });
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    assert_eq!(p.get("/r").await.x_cache(), "Miss from cloudfront");
    tokio::time::advance(Duration::from_secs(11)).await;
    let r = p.get("/r").await;
    assert_eq!(r.x_cache(), "RefreshHit from cloudfront");
    assert_eq!(r.text(), "body");
    assert_eq!(o.last("/r").headers.get("if-none-match").unwrap(), "\"v1\"");
    // The refresh restarted the TTL.
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(p.get("/r").await.x_cache(), "Hit from cloudfront");
    assert_eq!(o.hits("/r"), 2);
}

#[tokio::test(start_paused = true)]
async fn viewer_conditional_requests_get_304_from_the_edge() {
    const LM: &str = "Mon, 01 Jan 2024 00:00:00 GMT";
    let o = Origin::start().await;
    o.route(
        "/c",
        Route::ok("body")
            .header("etag", "\"v1\"")
            .header("last-modified", LM)
            .header("cache-control", "max-age=60"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    // A miss that matches is a 304 too: the fill fetched the whole object.
    let r = p.get_with("/c", &[("if-none-match", "\"v1\"")]).await;
    assert_eq!(r.status, 304);
    assert_eq!(r.text(), "");
    assert_eq!(r.header("etag"), Some("\"v1\""));
    assert_eq!(r.x_cache(), "Miss from cloudfront");
    assert!(o.last("/c").headers.get("if-none-match").is_none());
    let r = p.get_with("/c", &[("if-none-match", "W/\"v1\"")]).await;
    assert_eq!(r.status, 304);
    assert_eq!(r.x_cache(), "Hit from cloudfront");
    let r = p.get_with("/c", &[("if-modified-since", LM)]).await;
    assert_eq!(r.status, 304);
    // Validators that do not match get the object.
    let r = p.get_with("/c", &[("if-none-match", "\"v0\"")]).await;
    assert_eq!((r.status, r.text().as_str()), (200, "body"));
    let r = p
        .get_with(
            "/c",
            &[("if-modified-since", "Sun, 31 Dec 2023 00:00:00 GMT")],
        )
        .await;
    assert_eq!((r.status, r.text().as_str()), (200, "body"));
    assert_eq!(o.hits("/c"), 1);
}

#[tokio::test(start_paused = true)]
async fn stale_object_is_served_when_the_origin_fails_with_5xx() {
    let o = Origin::start().await;
    o.route(
        "/s",
        Route::ok("good").header("cache-control", "max-age=10"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    p.get("/s").await;
    tokio::time::advance(Duration::from_secs(20)).await;
    o.route("/s", Route::status(503, "down"));
    let r = p.get("/s").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "good");
    // Held for the error caching minimum TTL: no new origin request.
    let before = o.hits("/s");
    let r = p.get("/s").await;
    assert_eq!(r.text(), "good");
    assert_eq!(o.hits("/s"), before);
}

#[tokio::test(start_paused = true)]
async fn stale_if_error_zero_gives_the_viewer_the_error() {
    let o = Origin::start().await;
    o.route(
        "/s",
        Route::ok("good").header("cache-control", "max-age=10, stale-if-error=0"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    p.get("/s").await;
    tokio::time::advance(Duration::from_secs(20)).await;
    o.route("/s", Route::status(503, "down"));
    let r = p.get("/s").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.x_cache(), "Error from cloudfront");
}

#[tokio::test(start_paused = true)]
async fn expired_object_and_origin_4xx_gives_the_4xx() {
    let o = Origin::start().await;
    o.route(
        "/g",
        Route::ok("good").header("cache-control", "max-age=10"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    p.get("/g").await;
    tokio::time::advance(Duration::from_secs(20)).await;
    o.route("/g", Route::status(404, "gone"));
    assert_eq!(p.get("/g").await.status, 404);
}

#[tokio::test(start_paused = true)]
async fn stale_while_revalidate_serves_stale_and_refreshes_in_background() {
    let o = Origin::start().await;
    o.route(
        "/w",
        Route::ok("v1").header("cache-control", "max-age=10, stale-while-revalidate=60"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    p.get("/w").await;
    tokio::time::advance(Duration::from_secs(15)).await;
    o.route(
        "/w",
        Route::ok("v2").header("cache-control", "max-age=10, stale-while-revalidate=60"),
    );
    let r = p.get("/w").await;
    assert_eq!(r.text(), "v1", "stale copy served at once");
    // Let the background refresh finish.
    for _ in 0..50 {
        tokio::task::yield_now().await;
        if o.hits("/w") == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(p.get("/w").await.text(), "v2");
    assert_eq!(o.hits("/w"), 2);
}

#[tokio::test(start_paused = true)]
async fn errors_are_cached_for_ten_seconds_by_default() {
    let o = Origin::start().await;
    o.route("/missing", Route::status(404, "nope"));
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    let r = p.get("/missing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.x_cache(), "Error from cloudfront");
    tokio::time::advance(Duration::from_secs(9)).await;
    assert_eq!(p.get("/missing").await.status, 404);
    assert_eq!(o.hits("/missing"), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    p.get("/missing").await;
    assert_eq!(o.hits("/missing"), 2);
}

#[tokio::test(start_paused = true)]
async fn error_caching_min_ttl_is_configurable() {
    let o = Origin::start().await;
    o.route("/missing", Route::status(404, "nope"));
    let p = Proxy::start(&config_for(
        &o.url(),
        "[[custom_error_responses]]\nerror_code = 404\nerror_caching_min_ttl = 60\n",
    ))
    .await;
    p.get("/missing").await;
    tokio::time::advance(Duration::from_secs(30)).await;
    p.get("/missing").await;
    assert_eq!(o.hits("/missing"), 1);
}

#[tokio::test(start_paused = true)]
async fn status_403_is_cached_only_with_max_age_and_416_never() {
    let o = Origin::start().await;
    o.route("/f", Route::status(403, "no"));
    o.route(
        "/fm",
        Route::status(403, "no").header("cache-control", "max-age=60"),
    );
    o.route(
        "/r",
        Route::status(416, "no").header("cache-control", "max-age=60"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    for path in ["/f", "/fm", "/r"] {
        p.get(path).await;
        p.get(path).await;
    }
    assert_eq!(o.hits("/f"), 2);
    assert_eq!(o.hits("/fm"), 1);
    assert_eq!(o.hits("/r"), 2);
}

#[tokio::test(start_paused = true)]
async fn concurrent_misses_on_one_key_make_one_origin_request() {
    let o = Origin::start().await;
    o.route(
        "/c",
        Route::ok("shared")
            .header("cache-control", "max-age=60")
            .delay(Duration::from_millis(200)),
    );
    let p = std::sync::Arc::new(Proxy::start(&config_for(&o.url(), "")).await);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move { p.get("/c").await }));
    }
    let mut misses = 0;
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.text(), "shared");
        if r.x_cache() == "Miss from cloudfront" {
            misses += 1;
        }
    }
    assert_eq!(o.hits("/c"), 1);
    assert_eq!(misses, 1, "the first request is the Miss, the others Hits");
}

#[tokio::test(start_paused = true)]
async fn uncacheable_responses_release_waiting_requests() {
    let o = Origin::start().await;
    o.route(
        "/u",
        Route::ok("x")
            .header("cache-control", "no-store")
            .delay(Duration::from_millis(100)),
    );
    let toml = config_policy(&o.url(), "UseOriginCacheControlHeaders", "");
    let p = std::sync::Arc::new(Proxy::start(&toml).await);
    let (a, b) = tokio::join!(p.get("/u"), p.get("/u"));
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(o.hits("/u"), 2);
}

#[tokio::test]
async fn options_responses_are_keyed_separately() {
    let o = Origin::start().await;
    o.route_fn("/o", |s| {
        Route::ok(&format!("method {}", s.method)).header("cache-control", "max-age=60")
    });
    let toml = config_for(&o.url(), "").replace(
        "target_origin = \"app\"",
        "target_origin = \"app\"\nallowed_methods = [\"GET\", \"HEAD\", \"OPTIONS\"]\ncached_methods = [\"GET\", \"HEAD\", \"OPTIONS\"]",
    );
    let p = Proxy::start(&toml).await;
    assert_eq!(p.get("/o").await.text(), "method GET");
    let opt = p
        .send(
            http::Request::builder()
                .method("OPTIONS")
                .uri("/o")
                .body(Default::default())
                .unwrap(),
        )
        .await;
    assert_eq!(opt.text(), "method OPTIONS");
    assert_eq!(o.hits("/o"), 2);
}

#[tokio::test]
async fn head_is_served_from_a_cached_get() {
    let o = Origin::start().await;
    o.route(
        "/h",
        Route::ok("0123456789").header("cache-control", "max-age=60"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    p.get("/h").await;
    let head = p
        .send(http::Request::head("/h").body(Default::default()).unwrap())
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.x_cache(), "Hit from cloudfront");
    assert_eq!(head.header("content-length"), Some("10"));
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn query_strings_follow_the_cache_policy() {
    let o = Origin::start().await;
    o.route_fn("/q", |s| {
        Route::ok(&s.path_and_query).header("cache-control", "max-age=60")
    });
    let extra = "[cache_policies.q]\nquery_strings = { allow = [\"a\"] }\n";
    let toml = config_policy(&o.url(), "q", extra);
    let p = Proxy::start(&toml).await;
    assert_eq!(
        p.get("/q?b=2&a=1").await.text(),
        "/q?a=1",
        "only keyed parameters reach the origin"
    );
    assert_eq!(p.get("/q?a=1&c=3").await.x_cache(), "Hit from cloudfront");
    assert_eq!(p.get("/q?a=2").await.x_cache(), "Miss from cloudfront");
    // The default policy forwards no query string at all.
    let p2 = Proxy::start(&config_for(&o.url(), "")).await;
    assert_eq!(p2.get("/q?x=1").await.text(), "/q");
}

#[tokio::test]
async fn objects_over_the_size_limit_stream_through_uncached() {
    let o = Origin::start().await;
    let big = "x".repeat(3 * 1024 * 1024);
    o.route(
        "/big",
        Route::ok(&big).header("cache-control", "max-age=60"),
    );
    let p = Proxy::start(&config_for(
        &o.url(),
        "[cache]\nmax_size_mb = 8\nmax_object_size_mb = 1\n",
    ))
    .await;
    let r = p.get("/big").await;
    assert_eq!(r.body.len(), big.len());
    p.get("/big").await;
    assert_eq!(o.hits("/big"), 2);
}

#[tokio::test]
async fn incomplete_bodies_are_never_cached() {
    let o = Origin::start().await;
    o.route(
        "/cut",
        Route::ok("partial")
            .header("cache-control", "max-age=60")
            .truncated(),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    let r = p.get("/cut").await;
    assert_eq!(r.status, 502);
    p.get("/cut").await;
    assert_eq!(o.hits("/cut"), 2);
}

#[tokio::test]
async fn set_cookie_is_dropped_unless_cookies_are_forwarded() {
    let o = Origin::start().await;
    o.route(
        "/c",
        Route::ok("x")
            .header("set-cookie", "a=1")
            .header("cache-control", "max-age=60"),
    );
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    assert!(p.get("/c").await.header("set-cookie").is_none());
    let extra = "[cache_policies.ck]\ncookies = \"all\"\n";
    let toml = config_policy(&o.url(), "ck", extra);
    let p = Proxy::start(&toml).await;
    assert_eq!(p.get("/c").await.header("set-cookie"), Some("a=1"));
    // Cookies forwarded by the origin request policy alone (the usual
    // CachingDisabled + AllViewer pair for a dynamic app) count too.
    let toml = config_policy(&o.url(), "CachingDisabled", "").replacen(
        "cache_policy = \"CachingDisabled\"",
        "cache_policy = \"CachingDisabled\"\norigin_request_policy = \"AllViewer\"",
        1,
    );
    let p = Proxy::start(&toml).await;
    assert_eq!(p.get("/c").await.header("set-cookie"), Some("a=1"));
    // Cached with the object when the key leaves cookies out (spec §2.2).
    let toml = config_policy(&o.url(), "CachingOptimized", "").replacen(
        "cache_policy = \"CachingOptimized\"",
        "cache_policy = \"CachingOptimized\"\norigin_request_policy = \"AllViewer\"",
        1,
    );
    let p = Proxy::start(&toml).await;
    assert_eq!(p.get("/c").await.header("set-cookie"), Some("a=1"));
    let hit = p.get("/c").await;
    assert_eq!(hit.header("x-cache"), Some("Hit from cloudfront"));
    assert_eq!(hit.header("set-cookie"), Some("a=1"));
}

#[tokio::test]
async fn accept_encoding_variants_are_cached_separately() {
    let o = Origin::start().await;
    o.route_fn("/e", |s| {
        let ae = s
            .headers
            .get("accept-encoding")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Route::ok(&format!("ae={ae}")).header("cache-control", "max-age=60")
    });
    let p = Proxy::start(&config_for(&o.url(), "")).await;
    assert_eq!(
        p.get_with("/e", &[("accept-encoding", "gzip, deflate, br")])
            .await
            .text(),
        "ae=br,gzip"
    );
    assert_eq!(
        p.get_with("/e", &[("accept-encoding", "deflate")])
            .await
            .text(),
        "ae=identity"
    );
    assert_eq!(
        p.get("/e").await.x_cache(),
        "Hit from cloudfront",
        "identity and absent share a key"
    );
    assert_eq!(
        p.get_with("/e", &[("accept-encoding", "br, gzip")])
            .await
            .x_cache(),
        "Hit from cloudfront"
    );
}

#[tokio::test(start_paused = true)]
async fn objects_the_origin_marks_uncacheable_are_not_collapsed() {
    let o = Origin::start().await;
    o.route(
        "/u",
        Route::ok("x")
            .header("cache-control", "no-store")
            .delay(Duration::from_millis(100)),
    );
    let toml = config_policy(&o.url(), "UseOriginCacheControlHeaders", "");
    let p = std::sync::Arc::new(Proxy::start(&toml).await);
    // The first response teaches the edge that /u is uncacheable.
    p.get("/u").await;
    let started = tokio::time::Instant::now();
    let (a, b) = tokio::join!(p.get("/u"), p.get("/u"));
    assert_eq!((a.status, b.status), (200, 200));
    // Both went to the origin at once: one origin delay, not two in a row.
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.hits("/u"), 3);
}
