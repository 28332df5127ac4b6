//! CloudFront Functions through the live edge: the real server on an
//! ephemeral port in front of an in-process origin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use cfedge::body::EdgeBody;
use http::{Request, Version};
use support::{Origin, Proxy, Route};

/// A config with a viewer-request and/or viewer-response function (code written to `dir`).
fn config(origin: &Origin, dir: &Path, vreq: Option<&str>, vresp: Option<&str>) -> String {
    let mut functions = String::new();
    let mut assoc = Vec::new();
    for (name, code) in [("vreq", vreq), ("vresp", vresp)] {
        if let Some(code) = code {
            let file = dir.join(format!("{name}.js"));
            std::fs::write(&file, code).unwrap();
            functions.push_str(&format!(
                "[functions.{name}]\nfile = {:?}\nbudget_us = 200000\n",
                file.display().to_string()
            ));
            let event = if name == "vreq" {
                "viewer_request"
            } else {
                "viewer_response"
            };
            assoc.push(format!("{event} = \"{name}\""));
        }
    }
    format!(
        r#"
[origins.app]
url = "{}"
connection_attempts = 1

[default_behavior]
target_origin = "app"
function_associations = {{ {} }}

{functions}
"#,
        origin.url(),
        assoc.join(", ")
    )
}

const REWRITE: &str = "function handler(event) { var r = event.request; if (r.uri.endsWith('/')) { r.uri += 'index.html'; } return r; }";
const ADD_HEADER: &str = "function handler(event) { event.response.headers['x-function'] = {value: 'rewrite-v1'}; return event.response; }";

#[tokio::test]
async fn viewer_request_rewrite_and_viewer_response_header() {
    let origin = Origin::start().await;
    origin.route(
        "/docs/index.html",
        Route::ok("index").header("cache-control", "max-age=60"),
    );
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(&config(
        &origin,
        dir.path(),
        Some(REWRITE),
        Some(ADD_HEADER),
    ))
    .await;
    let got = proxy.get("/docs/").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.text(), "index");
    assert_eq!(got.header("x-function"), Some("rewrite-v1"));
    assert_eq!(got.x_cache(), "Miss from cloudfront");
    // The cache key is built from the rewritten request.
    let again = proxy.get("/docs/index.html").await;
    assert_eq!(again.x_cache(), "Hit from cloudfront");
    assert_eq!(again.header("x-function"), Some("rewrite-v1"));
    assert_eq!(origin.hits("/docs/index.html"), 1);
}

#[tokio::test]
async fn generated_responses_skip_cache_origin_and_viewer_response() {
    let origin = Origin::start().await;
    origin.route("/r", Route::ok("origin"));
    let dir = tempfile::tempdir().unwrap();
    let code = "function handler(e) { return {statusCode: 302, statusDescription: 'Found', headers: {location: {value: 'https://example.com/'}}, cookies: {s: {value: '1', attributes: 'Path=/'}}}; }";
    let proxy = Proxy::start(&config(&origin, dir.path(), Some(code), Some(ADD_HEADER))).await;
    for _ in 0..2 {
        let got = proxy.get("/r").await;
        assert_eq!(got.status, 302);
        assert_eq!(got.header("location"), Some("https://example.com/"));
        assert_eq!(got.header("set-cookie"), Some("s=1; Path=/"));
        assert_eq!(got.x_cache(), "FunctionGeneratedResponse from cloudfront");
        assert_eq!(got.header("x-function"), None);
    }
    assert_eq!(origin.hits("/r"), 0);
}

#[tokio::test]
async fn viewer_response_is_skipped_for_origin_errors() {
    let origin = Origin::start().await;
    origin.route("/missing", Route::status(404, "nope"));
    origin.route("/ok", Route::ok("fine"));
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(&config(&origin, dir.path(), None, Some(ADD_HEADER))).await;
    let got = proxy.get("/missing").await;
    assert_eq!(got.status, 404);
    assert_eq!(got.header("x-function"), None);
    assert_eq!(
        proxy.get("/ok").await.header("x-function"),
        Some("rewrite-v1")
    );
}

#[tokio::test]
async fn viewer_response_can_replace_status_and_body() {
    let origin = Origin::start().await;
    origin.route("/x", Route::ok("original body"));
    let dir = tempfile::tempdir().unwrap();
    let code = "function handler(e) { var r = e.response; r.statusCode = 201; r.body = {encoding: 'base64', data: 'aGk='}; return r; }";
    let proxy = Proxy::start(&config(&origin, dir.path(), None, Some(code))).await;
    let got = proxy.get("/x").await;
    assert_eq!(got.status, 201);
    assert_eq!(got.text(), "hi");
    assert_eq!(got.header("content-length"), Some("2"));
}

#[tokio::test]
async fn each_failure_gets_its_status_and_x_cache() {
    let origin = Origin::start().await;
    origin.route("/x", Route::ok("fine"));
    let cases = [
        (Some("function handler(e) { throw new Error('boom'); }"), None, 503, "FunctionExecutionError from cloudfront"),
        (Some("function handler(e) { e.request.headers.host = {value: 'evil'}; return e.request; }"), None, 502, "FunctionValidationError from cloudfront"),
        (Some("function handler(e) { e.request.headers['x-amz-cf-id'] = {value: 'x'}; return e.request; }"), None, 502, "FunctionValidationError from cloudfront"),
        (Some("function handler(e) { e.request.method = 'POST'; return e.request; }"), None, 502, "FunctionValidationError from cloudfront"),
        (Some("function handler(e) { while (true) {} }"), None, 503, "FunctionThrottledError from cloudfront"),
        (None, Some("function handler(e) { throw new Error('late'); }"), 503, "FunctionExecutionError from cloudfront"),
        (None, Some("function handler(e) { e.response.headers.via = {value: 'x'}; return e.response; }"), 502, "FunctionValidationError from cloudfront"),
        // X-Edge-* is disallowed for functions (spec §3.3), at viewer-response too.
        (None, Some("function handler(e) { e.response.headers['x-edge-function'] = {value: 'x'}; return e.response; }"), 502, "FunctionValidationError from cloudfront"),
    ];
    for (vreq, vresp, status, x_cache) in cases {
        let dir = tempfile::tempdir().unwrap();
        let proxy = Proxy::start(&config(&origin, dir.path(), vreq, vresp)).await;
        let got = proxy.get("/x").await;
        assert_eq!(got.status, status, "{vreq:?} {vresp:?}");
        assert_eq!(got.x_cache(), x_cache, "{vreq:?} {vresp:?}");
        assert!(
            got.text().contains("CloudFront"),
            "CloudFront-like HTML error body"
        );
        // The edge keeps serving after a failing function.
        drop(proxy);
    }
}

#[tokio::test]
async fn origin_helpers_switch_the_origin() {
    let a = Origin::start().await;
    let b = Origin::start().await;
    a.route("/x", Route::ok("from a"));
    b.route("/x", Route::ok("from b"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sel.js");
    std::fs::write(
        &file,
        "import cf from 'cloudfront';\nfunction handler(e) { var h = e.request.headers;\n\
         if (h['x-pick-b']) { cf.selectRequestOriginById('b'); }\n\
         if (h['x-pick']) { cf.selectRequestOriginById(h['x-pick'].value); }\n\
         if (h['x-group']) { cf.createRequestOriginGroup({originIds: ['a', h['x-group'].value], failoverCriteria: {statusCodes: [503]}}); }\n\
         return e.request; }",
    )
    .unwrap();
    let toml = format!(
        r#"
[origins.a]
url = "{}"
[origins.b]
url = "{}"
[default_behavior]
target_origin = "a"
cache_policy = "CachingDisabled"
function_associations = {{ viewer_request = "sel" }}
[functions.sel]
file = {:?}
budget_us = 200000
"#,
        a.url(),
        b.url(),
        file.display().to_string()
    );
    let proxy = Proxy::start(&toml).await;
    assert_eq!(proxy.get("/x").await.text(), "from a");
    assert_eq!(
        proxy.get_with("/x", &[("x-pick-b", "1")]).await.text(),
        "from b"
    );
    // An id the distribution does not define is an invalid origin rewrite,
    // never a silent fall-back to the behaviour's origin.
    for header in ["x-pick", "x-group"] {
        let got = proxy.get_with("/x", &[(header, "not-defined")]).await;
        assert_eq!(got.status, 502, "{header}");
        assert_eq!(
            got.x_cache(),
            "FunctionValidationError from cloudfront",
            "{header}"
        );
    }
    assert_eq!(
        proxy.get_with("/x", &[("x-group", "b")]).await.text(),
        "from a"
    );
}

/// Replaying deterministic invocations (memo.rs) is invisible: a function
/// that reads `Math.random` or the request id still runs for every request,
/// and `memoize = false` is accepted.
#[tokio::test]
async fn nondeterministic_functions_run_for_every_request() {
    let origin = Origin::start().await;
    origin.route(
        "/index.html",
        Route::ok("home").header("cache-control", "max-age=60"),
    );
    let dir = tempfile::tempdir().unwrap();
    let vresp = "function handler(event) { var h = event.response.headers; \
                 h['x-rand'] = {value: String(Math.random())}; \
                 h['x-id'] = {value: event.context.requestId}; return event.response; }";
    for memoize in ["", "memoize = false\n"] {
        let cfg = config(&origin, dir.path(), Some(REWRITE), Some(vresp)).replace(
            "[functions.vreq]\n",
            &format!("[functions.vreq]\n{memoize}"),
        );
        let proxy = Proxy::start(&cfg).await;
        let mut seen = Vec::new();
        for _ in 0..3 {
            let got = proxy.get("/").await;
            assert_eq!(got.text(), "home");
            let id = got.header("x-amz-cf-id").unwrap().to_owned();
            assert_eq!(got.header("x-id"), Some(id.as_str()), "{memoize}");
            seen.push(got.header("x-rand").unwrap().to_owned());
        }
        seen.dedup();
        assert_eq!(seen.len(), 3, "{memoize}: {seen:?}");
    }
}

/// A replayed viewer-request result is the remembered request with what
/// the function's input leaves out taken from the current viewer: the same
/// request over HTTP/1.1 and HTTP/2 reaches the origin with its own `Via`.
#[tokio::test]
async fn replayed_requests_keep_their_own_http_version() {
    let origin = Origin::start().await;
    origin.route("/index.html", Route::ok("home"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&origin, dir.path(), Some(REWRITE), None).replace(
        "target_origin = \"app\"",
        "target_origin = \"app\"\ncache_policy = \"CachingDisabled\"",
    );
    let proxy = Proxy::start(&cfg).await;
    let versions = [
        Version::HTTP_11,
        Version::HTTP_2,
        Version::HTTP_2,
        Version::HTTP_11,
    ];
    for version in versions {
        let req = Request::builder()
            .version(version)
            .uri("/")
            .header("host", "www.example.com")
            .body(EdgeBody::empty())
            .unwrap();
        assert_eq!(proxy.handle(req).await.status(), 200);
    }
    let vias: Vec<String> = origin
        .seen("/index.html")
        .iter()
        .map(|s| s.headers["via"].to_str().unwrap()[..3].to_owned())
        .collect();
    assert_eq!(vias, ["1.1", "2.0", "2.0", "1.1"]);
}

/// Header names reach an HTTP/1.1 origin capitalised, as CloudFront writes
/// them when it turns the event back into a request
/// ([DG:functions-event-structure]): seen on the wire, by a raw origin.
#[tokio::test]
async fn header_names_reach_the_origin_capitalised() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed before the head");
            head.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncache-control: no-store\r\n\r\nok")
            .await
            .unwrap();
        let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vreq.js");
    std::fs::write(
        &file,
        "function handler(event) { event.request.headers['true-client-ip'] = {value: event.viewer.ip}; return event.request; }",
    )
    .unwrap();
    let cfg = format!(
        "[origins.app]\nurl = \"http://{addr}\"\n\n[functions.vreq]\nfile = {:?}\n\n\
         [default_behavior]\ntarget_origin = \"app\"\ncache_policy = \"CachingDisabled\"\n\
         origin_request_policy = \"AllViewer\"\nfunction_associations = {{ viewer_request = \"vreq\" }}\n",
        file.display().to_string()
    );
    let proxy = Proxy::start(&cfg).await;
    let got = proxy.get_with("/x", &[("x-viewer-mixed", "1")]).await;
    assert_eq!(got.text(), "ok");
    let head = rx.await.unwrap();
    assert!(head.contains("\r\nTrue-Client-Ip: 127.0.0.1\r\n"), "{head}");
    assert!(head.contains("\r\nX-Viewer-Mixed: 1\r\n"), "{head}");
}

/// A function's `statusDescription` is the HTTP/1.1 reason phrase, for a
/// response generated at viewer-request and for one changed at viewer-response.
#[tokio::test]
async fn status_descriptions_are_reason_phrases() {
    let origin = Origin::start().await;
    origin.route("/ok", Route::ok("fine").header("cache-control", "no-store"));
    let dir = tempfile::tempdir().unwrap();
    let vreq = "function handler(event) { if (event.request.uri === '/tea') { return {statusCode: 418, statusDescription: 'Short And Stout'}; } return event.request; }";
    let vresp = "function handler(event) { var r = event.response; r.statusCode = 299; r.statusDescription = 'Changed By Function'; return r; }";
    let proxy = Proxy::start(&config(&origin, dir.path(), Some(vreq), Some(vresp))).await;
    let raw = support::raw_exchange(
        proxy.addr,
        b"GET /tea HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 418 Short And Stout\r\n"), "{raw}");
    let raw = support::raw_exchange(
        proxy.addr,
        b"GET /ok HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        raw.starts_with("HTTP/1.1 299 Changed By Function\r\n"),
        "{raw}"
    );
}
