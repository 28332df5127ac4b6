//! Lambda@Edge in the live proxy: where each hook runs in CloudFront's
//! pipeline (spec §6.1, §6.3, §1.3) and how its failures reach the viewer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

#[path = "support/mod.rs"]
mod support;

use support::{Origin, Proxy, Route};

const ALL_METHODS: &str =
    "allowed_methods = [\"GET\", \"HEAD\", \"OPTIONS\", \"PUT\", \"POST\", \"PATCH\", \"DELETE\"]";

/// Handler files in a temp dir; `lambdas` is `[(name, runtime, source)]`.
fn lambdas(dir: &tempfile::TempDir, list: &[(&str, &str, &str)]) -> String {
    let mut toml = String::new();
    for (name, runtime, src) in list {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("index.js"), src).unwrap();
        toml.push_str(&format!(
            "[lambdas.{name}]\nfile = {:?}\nruntime = \"{runtime}\"\n",
            d.display().to_string()
        ));
    }
    toml
}

fn config(origin: &str, lambdas: &str, behavior: &str) -> String {
    format!(
        "[origins.app]\nurl = \"{origin}\"\nconnection_attempts = 1\n{lambdas}\n[default_behavior]\ntarget_origin = \"app\"\n{behavior}\n"
    )
}

#[tokio::test]
async fn viewer_request_generated_response_is_answered_uncached() {
    let o = Origin::start().await;
    o.route(
        "/old",
        Route::ok("origin").header("cache-control", "max-age=60"),
    );
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[("vr", "embedded", "exports.handler = async () => ({ status: '302', headers: { location: [{ value: '/new' }] } });")],
    );
    let p = Proxy::start(&config(
        &o.url(),
        &l,
        "lambda_function_associations = { viewer_request = { function = \"vr\" } }",
    ))
    .await;
    for _ in 0..2 {
        let r = p.get("/old").await;
        assert_eq!(r.status, 302);
        assert_eq!(r.header("location"), Some("/new"));
        assert_eq!(r.x_cache(), "LambdaGeneratedResponse from cloudfront");
    }
    assert_eq!(o.hits("/old"), 0);
}

#[tokio::test]
async fn generated_status_description_is_the_reason_phrase() {
    let o = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[("vr", "embedded", "exports.handler = async () => ({ status: '403', statusDescription: 'Go Away', body: 'no' });")],
    );
    let p = Proxy::start(&config(
        &o.url(),
        &l,
        "lambda_function_associations = { viewer_request = { function = \"vr\" } }",
    ))
    .await;
    let raw = support::raw_exchange(
        p.addr,
        b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 403 Go Away\r\n"), "{raw}");
}

#[tokio::test]
async fn viewer_request_rewrite_reaches_the_origin() {
    let o = Origin::start().await;
    o.route("/new", Route::ok("new page"));
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[("vr", "embedded", "exports.handler = async (e) => { const r = e.Records[0].cf.request; r.uri = '/new'; return r; };")],
    );
    let p = Proxy::start(&config(
        &o.url(),
        &l,
        "lambda_function_associations = { viewer_request = { function = \"vr\" } }",
    ))
    .await;
    let r = p.get("/old").await;
    assert_eq!((r.status, r.text().as_str()), (200, "new page"));
    assert_eq!(o.hits("/new"), 1);
}

#[tokio::test]
async fn origin_hooks_do_not_run_on_cache_hits() {
    let o = Origin::start().await;
    o.route(
        "/c",
        Route::ok("cached").header("cache-control", "max-age=60"),
    );
    let dir = tempfile::tempdir().unwrap();
    // Node workers stay warm, so the counters count invocations.
    let l = lambdas(
        &dir,
        &[
            ("oreq", "nodejs", "let n = 0; exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers['x-oreq'] = [{ value: String(++n) }]; return r; };"),
            ("ores", "nodejs", "let n = 0; exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-ores'] = [{ value: String(++n) }]; return r; };"),
        ],
    );
    let p = Proxy::start(&config(
        &o.url(),
        &l,
        "lambda_function_associations = { origin_request = { function = \"oreq\" }, origin_response = { function = \"ores\" } }",
    ))
    .await;
    let first = p.get("/c").await;
    assert_eq!(first.x_cache(), "Miss from cloudfront");
    assert_eq!(first.header("x-ores"), Some("1"));
    assert_eq!(o.last("/c").headers["x-oreq"], "1");
    let second = p.get("/c").await;
    assert_eq!(second.x_cache(), "Hit from cloudfront");
    assert_eq!(
        second.header("x-ores"),
        Some("1"),
        "origin-response ran on a hit"
    );
    assert_eq!(o.hits("/c"), 1);
}

#[tokio::test]
async fn origin_request_generated_response_is_cached_and_skips_origin_response() {
    let o = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[
            ("oreq", "embedded", "exports.handler = async () => ({ status: '200', headers: { 'cache-control': [{ value: 'max-age=60' }], 'content-type': [{ value: 'text/plain' }] }, body: 'generated' });"),
            ("ores", "embedded", "exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-ores'] = [{ value: 'ran' }]; return r; };"),
        ],
    );
    let p = Proxy::start(&config(
        &o.url(),
        &l,
        "lambda_function_associations = { origin_request = { function = \"oreq\" }, origin_response = { function = \"ores\" } }",
    ))
    .await;
    let first = p.get("/g").await;
    assert_eq!((first.status, first.text().as_str()), (200, "generated"));
    assert_eq!(first.x_cache(), "LambdaGeneratedResponse from cloudfront");
    assert_eq!(first.header("x-ores"), None);
    let second = p.get("/g").await;
    assert_eq!(second.x_cache(), "Hit from cloudfront");
    assert_eq!(second.text(), "generated");
    assert_eq!(o.hits("/g"), 0);
}

#[tokio::test]
async fn viewer_response_runs_only_below_400() {
    let o = Origin::start().await;
    o.route("/ok", Route::ok("fine"));
    o.route("/missing", Route::status(404, "nope"));
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[("vres", "embedded", "exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-vres'] = [{ value: r.status }]; return r; };")],
    );
    let p = Proxy::start(&config(
        &o.url(),
        &l,
        "lambda_function_associations = { viewer_response = { function = \"vres\" } }",
    ))
    .await;
    assert_eq!(p.get("/ok").await.header("x-vres"), Some("200"));
    let r = p.get("/missing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-vres"), None);
}

#[tokio::test]
async fn failover_runs_the_origin_hooks_for_each_origin() {
    let a = Origin::start().await;
    let b = Origin::start().await;
    a.route("/x", Route::status(503, "down"));
    b.route("/x", Route::ok("from secondary"));
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[
            ("oreq", "embedded", "exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers['x-hook-origin'] = [{ value: r.origin.custom.domainName + ':' + r.origin.custom.port }]; return r; };"),
            ("ores", "nodejs", "let n = 0; exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-ores'] = [{ value: (++n) + ':' + r.status }]; return r; };"),
        ],
    );
    let toml = format!(
        "[origins.primary]\nurl = \"{}\"\nconnection_attempts = 1\n[origins.secondary]\nurl = \"{}\"\nconnection_attempts = 1\n[origin_groups.g]\nmembers = [\"primary\", \"secondary\"]\nfailover_status_codes = [503]\n{l}\n[default_behavior]\ntarget_origin = \"g\"\nlambda_function_associations = {{ origin_request = {{ function = \"oreq\" }}, origin_response = {{ function = \"ores\" }} }}\n",
        a.url(),
        b.url()
    );
    let p = Proxy::start(&toml).await;
    let r = p.get("/x").await;
    assert_eq!((r.status, r.text().as_str()), (200, "from secondary"));
    // origin-request ran for each origin with that origin in its event ...
    assert_eq!(
        a.last("/x").headers["x-hook-origin"],
        format!("127.0.0.1:{}", a.addr.port()).as_str()
    );
    assert_eq!(
        b.last("/x").headers["x-hook-origin"],
        format!("127.0.0.1:{}", b.addr.port()).as_str()
    );
    // ... and origin-response ran for the primary's 503, then the secondary's 200.
    assert_eq!(r.header("x-ores"), Some("2:200"));
}

#[tokio::test]
async fn origin_request_can_send_the_request_to_another_origin() {
    let a = Origin::start().await;
    let b = Origin::start().await;
    a.route("/r", Route::ok("from a"));
    b.route("/v2/r", Route::ok("from b"));
    let dir = tempfile::tempdir().unwrap();
    let src = format!(
        "exports.handler = async (e) => {{ const r = e.Records[0].cf.request; r.origin = {{ custom: {{ domainName: 'localhost', port: {}, protocol: 'http', path: '/v2', sslProtocols: ['TLSv1.2'], readTimeout: 5, keepaliveTimeout: 5, customHeaders: {{}} }} }}; return r; }};",
        b.addr.port()
    );
    let l = lambdas(&dir, &[("oreq", "embedded", &src)]);
    let p = Proxy::start(&config(
        &a.url(),
        &l,
        "lambda_function_associations = { origin_request = { function = \"oreq\" } }",
    ))
    .await;
    let r = p.get("/r").await;
    assert_eq!((r.status, r.text().as_str()), (200, "from b"));
    assert_eq!(a.hits("/r"), 0);
}

#[tokio::test]
async fn hook_failures_get_cloudfront_errors() {
    let o = Origin::start().await;
    o.route("/x", Route::ok("x"));
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[
            (
                "throws",
                "embedded",
                "exports.handler = async () => { throw new Error('boom'); };",
            ),
            (
                "invalid",
                "embedded",
                "exports.handler = async () => ({ status: '99' });",
            ),
        ],
    );
    for (f, status, x_cache) in [
        ("throws", 503, "LambdaExecutionError from cloudfront"),
        ("invalid", 502, "LambdaValidationError from cloudfront"),
    ] {
        let p = Proxy::start(&config(
            &o.url(),
            &l,
            &format!(
                "lambda_function_associations = {{ viewer_request = {{ function = \"{f}\" }} }}"
            ),
        ))
        .await;
        let r = p.get("/x").await;
        assert_eq!((r.status, r.x_cache()), (status, x_cache), "{f}");
        assert!(r.text().contains("Lambda function"), "{}", r.text());
    }
    assert_eq!(o.hits("/x"), 0);
}

#[tokio::test]
async fn include_body_lets_a_viewer_request_hook_replace_the_body() {
    let o = Origin::start().await;
    o.route("/api/orders", Route::ok("stored"));
    let toml = config(
        &o.url(),
        "[lambdas.inspect]\nfile = \"functions/lambda-body-inspect\"\n",
        &format!("{ALL_METHODS}\nlambda_function_associations = {{ viewer_request = {{ function = \"inspect\", include_body = true }} }}"),
    );
    let p = Proxy::start(&toml).await;
    let r = p
        .send(
            http::Request::post("/api/orders")
                .header("content-type", "application/json")
                .header("x-request-time", "T1")
                .body(r#"{"item":"pen"}"#.into())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 200);
    let seen = o.last("/api/orders");
    assert_eq!(&seen.body[..], br#"{"item":"pen","receivedAt":"T1"}"#);
    let r = p
        .send(
            http::Request::post("/api/orders")
                .body(format!("{{\"item\":\"{}\"}}", "x".repeat(50_000)).into())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (r.status, r.x_cache()),
        (413, "LambdaGeneratedResponse from cloudfront")
    );
    assert_eq!(o.hits("/api/orders"), 1);
}

#[tokio::test]
async fn include_body_at_origin_request_replaces_the_body_sent_to_the_origin() {
    let o = Origin::start().await;
    o.route("/submit", Route::ok("ok"));
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[("oreq", "nodejs", "exports.handler = async (e) => { const r = e.Records[0].cf.request; const b = Buffer.from(r.body.data, 'base64').toString(); r.body.action = 'replace'; r.body.encoding = 'text'; r.body.data = b.toUpperCase() + ':' + r.body.inputTruncated; return r; };")],
    );
    let p = Proxy::start(&config(
        &o.url(),
        &l,
        &format!("{ALL_METHODS}\nlambda_function_associations = {{ origin_request = {{ function = \"oreq\", include_body = true }} }}"),
    ))
    .await;
    let r = p
        .send(http::Request::post("/submit").body("hello".into()).unwrap())
        .await;
    assert_eq!(r.status, 200);
    let seen = o.last("/submit");
    assert_eq!(&seen.body[..], b"HELLO:false");
    assert_eq!(seen.headers["content-length"], "11");
}

/// An origin-response hook's `statusDescription` is the reason phrase the
/// viewer gets, on the miss as on later hits; the origin's own phrase does
/// not survive a changed status.
#[tokio::test]
async fn origin_response_status_description_is_the_reason_phrase() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // An origin with a non-standard reason phrase, as python's http.server sends.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = s
                    .write_all(b"HTTP/1.1 404 File not found\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnope")
                    .await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let l = lambdas(
        &dir,
        &[(
            "ores",
            "embedded",
            "exports.handler = async (e) => { const r = e.Records[0].cf.response; if (r.status >= 400) { r.status = 200; r.statusDescription = 'OK'; r.body = 'fine'; } return r; };",
        )],
    );
    let p = Proxy::start(&config(
        &format!("http://{addr}"),
        &l,
        "lambda_function_associations = { origin_response = { function = \"ores\" } }",
    ))
    .await;
    for _ in 0..2 {
        let raw = support::raw_exchange(
            p.addr,
            b"GET /missing HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
        assert!(raw.ends_with("fine"), "{raw}");
    }
}
