//! The core integration tests again, with the test client speaking HTTP/2
//! (h2c prior knowledge) to the edge: the pipeline must behave the same over
//! both protocols. Tests that are about HTTP/1 itself (raw sockets,
//! `Connection: close`) check the protocol with `support::http2()`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

#[path = "../support/mod.rs"]
mod support;

#[path = "../edge/caching.rs"]
mod caching;
#[path = "../edge/errors.rs"]
mod errors;
#[path = "../edge/origins.rs"]
mod origins;
#[path = "../edge/viewer.rs"]
mod viewer;

#[tokio::test]
async fn the_client_really_speaks_http2() {
    let o = support::Origin::start().await;
    o.route("/v", support::Route::ok("v"));
    let p = support::Proxy::start(&support::config_for(&o.url(), "")).await;
    let r = p.get("/v").await;
    assert_eq!(r.version, http::Version::HTTP_2);
    assert_eq!(r.x_cache(), "Miss from cloudfront");
}
