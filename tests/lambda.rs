//! Lambda@Edge through its library API, in both runtimes: the four stages,
//! failures the CloudFront way (spec §5.4), time budgets, the concurrency
//! limit, crashed and hung workers, and config errors. These use real time
//! (handlers run on other threads and processes) with millisecond budgets;
//! no test waits on a sleep to observe something.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use cfedge::config::Config;
use cfedge::error::EdgeError;
use cfedge::lambda_edge::{
    EventConfig, EventOrigin, LambdaError, LambdaFunction, LambdaSpec, RequestOutcome, RuntimeKind,
};
use cfedge::origin::OriginOverride;
use cfedge::viewer::{ViewerProtocol, ViewerRequest};
use http::{HeaderMap, HeaderValue, StatusCode};

const RUNTIMES: [RuntimeKind; 2] = [RuntimeKind::Embedded, RuntimeKind::Nodejs];

fn handler_file(src: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.js");
    std::fs::write(&path, src).unwrap();
    (dir, path)
}

/// A function running `src`; keep the TempDir alive while it runs.
fn function(
    src: &str,
    runtime: RuntimeKind,
    f: impl FnOnce(&mut LambdaSpec),
) -> (tempfile::TempDir, LambdaFunction) {
    let (dir, path) = handler_file(src);
    let mut spec = LambdaSpec::new("t", path, runtime);
    spec.workers = 1;
    f(&mut spec);
    (dir, LambdaFunction::start(spec).unwrap())
}

fn cx() -> EventConfig<'static> {
    EventConfig {
        distribution_domain_name: "d1.cloudfront.net",
        distribution_id: "EDIST",
        request_id: "req-1",
    }
}

fn request() -> ViewerRequest {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("www.example.com"));
    headers.insert("x-latin", HeaderValue::from_bytes(b"caf\xe9").unwrap());
    headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    headers.insert("accept", HeaderValue::from_static("*/*"));
    ViewerRequest {
        method: http::Method::POST,
        version: http::Version::HTTP_11,
        protocol: ViewerProtocol::Https,
        uri: "/a".into(),
        querystring: Some("x=1".into()),
        headers,
        client_addr: "198.51.100.7:5000".parse().unwrap(),
    }
}

fn origin() -> EventOrigin {
    EventOrigin::Custom {
        domain_name: "origin.example.com".into(),
        port: 443,
        https: true,
        path: "".into(),
        read_timeout: Duration::from_secs(30),
        keepalive_timeout: Duration::from_secs(5),
        custom_headers: vec![],
    }
}

fn continued(o: Result<RequestOutcome, LambdaError>) -> cfedge::lambda_edge::ContinueRequest {
    match o {
        Ok(RequestOutcome::Continue(c)) => c,
        other => panic!("expected Continue, got {other:?}"),
    }
}

#[tokio::test]
async fn viewer_request_changes_are_applied() {
    let src = r#"exports.handler = async (event) => {
        const cf = event.Records[0].cf;
        const r = cf.request;
        if (cf.config.eventType !== 'viewer-request' || cf.config.distributionId !== 'EDIST'
            || cf.config.requestId !== 'req-1' || r.clientIp !== '198.51.100.7'
            || r.method !== 'POST' || r.querystring !== 'x=1' || r.headers['x-forwarded-proto']
            || r.headers['x-latin'][0].value !== 'café' || r.origin) throw new Error('bad event ' + JSON.stringify(cf));
        r.uri = '/b';
        r.querystring = 'y=2';
        r.headers['x-added'] = [{ value: 'yes' }];
        delete r.headers.accept;
        return r;
    };"#;
    for rt in RUNTIMES {
        let (_d, f) = function(src, rt, |_| {});
        let c = continued(f.viewer_request(&cx(), &request(), None).await);
        assert_eq!(c.request.uri, "/b", "{rt:?}");
        assert_eq!(c.request.querystring.as_deref(), Some("y=2"));
        assert_eq!(c.request.headers["x-added"], "yes");
        assert!(c.request.headers.get("accept").is_none());
        // Unchanged ISO-8859-1 values keep their original bytes; hidden headers stay.
        assert_eq!(c.request.headers["x-latin"].as_bytes(), b"caf\xe9");
        assert_eq!(c.request.headers["x-forwarded-proto"], "https");
        assert!(c.origin.is_none() && c.body.is_none());
    }
}

#[tokio::test]
async fn generated_response_at_viewer_request() {
    let src = r#"exports.handler = (e, c, cb) => cb(null, { status: '302', statusDescription: 'Found',
        headers: { location: [{ key: 'Location', value: 'https://x.example/' }] } });"#;
    for rt in RUNTIMES {
        let (_d, f) = function(src, rt, |_| {});
        match f.viewer_request(&cx(), &request(), None).await {
            Ok(RequestOutcome::Respond(g)) => {
                assert_eq!(g.status, StatusCode::FOUND);
                assert_eq!(g.headers["location"], "https://x.example/");
                assert_eq!(g.status_description.as_deref(), Some("Found"));
            }
            other => panic!("{rt:?}: {other:?}"),
        }
    }
}

/// A result is read as `JSON.stringify` reads it (as the Node.js runtime
/// hands it over): getters are read, `toJSON` (a `Date`) applies, symbol keys
/// and non-enumerable properties are left out.
#[tokio::test]
async fn results_are_read_as_json_stringify_reads_them() {
    let src = r#"exports.handler = async () => {
        const r = { get status() { return '302'; }, [Symbol('trace')]: 1,
            headers: { location: [{ key: 'Location', value: 'https://x.example/' }],
                       expires: [{ key: 'Expires', value: new Date(0) }] } };
        Object.defineProperty(r, 'body', { value: 'hidden', enumerable: false });
        return r;
    };"#;
    for rt in RUNTIMES {
        let (_d, f) = function(src, rt, |_| {});
        match f.viewer_request(&cx(), &request(), None).await {
            Ok(RequestOutcome::Respond(g)) => {
                assert_eq!(g.status, StatusCode::FOUND, "{rt:?}");
                assert_eq!(g.headers["expires"], "1970-01-01T00:00:00.000Z", "{rt:?}");
                assert!(g.body.is_empty(), "{rt:?}");
            }
            other => panic!("{rt:?}: {other:?}"),
        }
    }
}

/// The custom origin an origin-request handler moved the request to.
async fn custom_override(src: &str, rt: RuntimeKind) -> cfedge::origin::AdHocOrigin {
    let (_d, f) = function(src, rt, |_| {});
    let c = continued(f.origin_request(&cx(), &request(), &origin(), None).await);
    let Some(OriginOverride::Custom(o)) = c.origin else {
        panic!("{rt:?}: no override")
    };
    o
}

#[tokio::test]
async fn origin_request_sees_the_origin_and_can_move_it() {
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        if (r.origin.custom.domainName !== 'origin.example.com') throw new Error('no origin');
        r.origin = { custom: { domainName: 'other.example.com', port: 8443, protocol: 'https',
            path: '/v2', sslProtocols: ['TLSv1.2'], readTimeout: 10, keepaliveTimeout: 5, customHeaders: {} } };
        r.headers.host = [{ key: 'Host', value: 'other.example.com' }];
        return r;
    };"#;
    for rt in RUNTIMES {
        let o = custom_override(src, rt).await;
        assert_eq!(o.domain_name.as_deref(), Some("other.example.com"));
        assert_eq!(o.host_header.as_deref(), Some("other.example.com"));
        assert_eq!((o.port, o.https), (Some(8443), Some(true)));
        assert_eq!(o.origin_path.as_deref(), Some("/v2"));
        assert_eq!(o.read_timeout, Some(Duration::from_secs(10)));
    }
}

#[tokio::test]
async fn computed_origin_numbers_read_as_whole_numbers_in_both_runtimes() {
    // Port and timeouts from string config, as handlers compute them (Number,
    // parseInt, Math.round): Node.js sends them as JSON integers.
    let src = r#"const cfg = { port: '8443', read: '12' };
    exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        r.origin.custom.port = Number(cfg.port);
        r.origin.custom.readTimeout = parseInt(cfg.read, 10);
        r.origin.custom.keepaliveTimeout = Math.round(4.6);
        r.origin.custom.domainName = 'other.example.com';
        return r;
    };"#;
    for rt in RUNTIMES {
        let o = custom_override(src, rt).await;
        assert_eq!(o.port, Some(8443), "{rt:?}");
        assert_eq!(o.read_timeout, Some(Duration::from_secs(12)), "{rt:?}");
        assert_eq!(o.keepalive_timeout, Some(Duration::from_secs(5)), "{rt:?}");
    }
}

#[tokio::test]
async fn include_body_truncates_and_replace_sends_the_new_body() {
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        const len = Buffer.from(r.body.data, 'base64').length;
        r.body.action = 'replace';
        r.body.encoding = 'text';
        r.body.data = r.body.inputTruncated + ':' + len;
        return r;
    };"#;
    let big = Bytes::from(vec![b'a'; 50_000]);
    for rt in RUNTIMES {
        let (_d, f) = function(src, rt, |_| {});
        let c = continued(f.viewer_request(&cx(), &request(), Some(&big)).await);
        assert_eq!(c.body.as_deref(), Some(&b"true:40960"[..]), "{rt:?}");
        let c = continued(
            f.origin_request(&cx(), &request(), &origin(), Some(&big))
                .await,
        );
        assert_eq!(c.body.as_deref(), Some(&b"false:50000"[..]), "{rt:?}");
    }
}

#[tokio::test]
async fn origin_response_changes_status_headers_and_body() {
    let src = r#"exports.handler = async (event) => {
        const res = event.Records[0].cf.response;
        if (res.status !== '404' || res.statusDescription !== 'Not Found') throw new Error(JSON.stringify(res));
        res.status = '200';
        res.statusDescription = 'OK';
        res.headers['cache-control'] = [{ key: 'Cache-Control', value: 'max-age=10' }];
        res.body = 'replaced';
        return res;
    };"#;
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("text/plain"));
    for rt in RUNTIMES {
        let (_d, f) = function(src, rt, |_| {});
        let r = f
            .origin_response(
                &cx(),
                &request(),
                Some(&origin()),
                StatusCode::NOT_FOUND,
                &headers,
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::OK, "{rt:?}");
        assert_eq!(r.headers["cache-control"], "max-age=10");
        assert_eq!(r.headers["content-type"], "text/plain");
        assert_eq!(r.body.as_deref(), Some(&b"replaced"[..]));
    }
}

#[tokio::test]
async fn viewer_response_may_add_headers_but_not_change_the_status() {
    let ok = r#"exports.handler = async (event) => {
        const res = event.Records[0].cf.response;
        res.headers['x-frame-options'] = [{ key: 'X-Frame-Options', value: 'DENY' }];
        return res;
    };"#;
    let bad = r#"exports.handler = async (event) => {
        const res = event.Records[0].cf.response;
        res.status = '500';
        return res;
    };"#;
    for rt in RUNTIMES {
        let (_d, f) = function(ok, rt, |_| {});
        let r = f
            .viewer_response(&cx(), &request(), StatusCode::OK, &HeaderMap::new())
            .await
            .unwrap();
        assert_eq!(r.headers["x-frame-options"], "DENY");
        let (_d, f) = function(bad, rt, |_| {});
        let e = f
            .viewer_response(&cx(), &request(), StatusCode::OK, &HeaderMap::new())
            .await
            .unwrap_err();
        assert!(matches!(e, LambdaError::Validation(_)), "{rt:?}: {e}");
    }
}

#[tokio::test]
async fn failures_map_to_cloudfront_statuses() {
    let cases = [
        ("exports.handler = async () => { throw new Error('boom'); };", 503, "LambdaExecutionError from cloudfront"),
        ("exports.handler = (e, c, cb) => cb(new Error('nope'));", 503, "LambdaExecutionError from cloudfront"),
        ("exports.handler = () => Promise.reject('why');", 503, "LambdaExecutionError from cloudfront"),
        ("exports.handler = async () => ({ status: '700' });", 502, "LambdaValidationError from cloudfront"),
        ("exports.handler = async () => 'not an object';", 502, "LambdaValidationError from cloudfront"),
        ("exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers['x-cache'] = [{value: 'Hit'}]; return r; };", 502, "LambdaValidationError from cloudfront"),
        // A non-async handler that never calls back: Node.js answers null, which CloudFront rejects.
        ("exports.handler = (e) => e.Records[0].cf.request;", 502, "LambdaValidationError from cloudfront"),
        ("exports.notTheHandler = async () => 1;", 503, "LambdaExecutionError from cloudfront"),
    ];
    for rt in RUNTIMES {
        for (src, status, x_cache) in cases {
            let (_d, f) = function(src, rt, |_| {});
            let e = f.viewer_request(&cx(), &request(), None).await.unwrap_err();
            let a = EdgeError::from(e.clone()).answer();
            assert_eq!(
                (a.status.as_u16(), a.x_cache),
                (status, x_cache),
                "{rt:?} {src}: {e}"
            );
        }
    }
}

#[tokio::test]
async fn embedded_busy_loop_past_its_budget_times_out_and_the_worker_is_replaced() {
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        if (r.uri === '/hang') { const end = Date.now() + 30000; while (Date.now() < end) {} }
        return r;
    };"#;
    // The replacement thread starts its engine inside the next request's
    // budget: a few ms in release, but a debug build on a loaded machine
    // needs a good part of a second.
    let (_d, f) = function(src, RuntimeKind::Embedded, |s| {
        s.timeout = Some(Duration::from_millis(1_000))
    });
    let mut hang = request();
    hang.uri = "/hang".into();
    let e = f.viewer_request(&cx(), &hang, None).await.unwrap_err();
    assert!(
        matches!(&e, LambdaError::Execution(m) if m.contains("timed out")),
        "{e}"
    );
    // The only worker is stuck in the loop; its replacement serves the next request.
    continued(f.viewer_request(&cx(), &request(), None).await);
}

#[tokio::test]
async fn embedded_infinite_loop_is_bounded() {
    let (_d, f) = function(
        "exports.handler = async () => { for (;;) {} };",
        RuntimeKind::Embedded,
        |s| s.timeout = Some(Duration::from_millis(500)),
    );
    let e = f.viewer_request(&cx(), &request(), None).await.unwrap_err();
    assert!(matches!(e, LambdaError::Execution(_)), "{e}");
}

#[tokio::test]
async fn a_node_worker_stuck_in_a_loop_is_killed_and_replaced() {
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        if (r.uri === '/spin') for (;;) {}
        return r;
    };"#;
    let (_d, f) = function(src, RuntimeKind::Nodejs, |s| {
        s.timeout = Some(Duration::from_millis(300))
    });
    f.warm().await.unwrap();
    let mut spin = request();
    spin.uri = "/spin".into();
    let e = f.viewer_request(&cx(), &spin, None).await.unwrap_err();
    assert!(
        matches!(&e, LambdaError::Execution(m) if m.contains("timed out")),
        "{e}"
    );
    continued(f.viewer_request(&cx(), &request(), None).await);
}

#[tokio::test]
async fn timers_past_the_budget_time_out_in_both_runtimes() {
    let src = r#"exports.handler = (e, c, cb) => {
        const r = e.Records[0].cf.request;
        if (r.uri === '/slow') setTimeout(() => cb(null, r), 20000); else cb(null, r);
    };"#;
    for rt in RUNTIMES {
        // 1 s: the next request may need a new embedded thread, whose engine
        // start counts against its budget (slow in a debug build under load).
        let (_d, f) = function(src, rt, |s| s.timeout = Some(Duration::from_millis(1_000)));
        f.warm().await.unwrap();
        let mut slow = request();
        slow.uri = "/slow".into();
        let e = f.viewer_request(&cx(), &slow, None).await.unwrap_err();
        assert!(
            matches!(&e, LambdaError::Execution(m) if m.contains("timed out")),
            "{rt:?}: {e}"
        );
        continued(f.viewer_request(&cx(), &request(), None).await);
    }
}

#[tokio::test]
async fn crashed_node_worker_fails_its_request_and_is_replaced() {
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        if (r.uri === '/crash') process.exit(3);
        return r;
    };"#;
    let (_d, f) = function(src, RuntimeKind::Nodejs, |_| {});
    let mut crash = request();
    crash.uri = "/crash".into();
    let e = f.viewer_request(&cx(), &crash, None).await.unwrap_err();
    assert!(
        matches!(&e, LambdaError::Execution(m) if m.contains("exit")),
        "{e}"
    );
    continued(f.viewer_request(&cx(), &request(), None).await);
}

#[tokio::test]
async fn node_runtime_runs_unmodified_node_code() {
    let (dir, path) = handler_file(
        r#"const os = require('os'); const helper = require('./helper');
        exports.handler = async (event) => ({ status: '200', body: helper.greet(typeof os.hostname()) });"#,
    );
    std::fs::write(
        dir.path().join("helper.js"),
        "exports.greet = (s) => 'hello ' + s;",
    )
    .unwrap();
    let f = LambdaFunction::start(LambdaSpec::new("n", path, RuntimeKind::Nodejs)).unwrap();
    match f.viewer_request(&cx(), &request(), None).await {
        Ok(RequestOutcome::Respond(g)) => assert_eq!(&g.body[..], b"hello string"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_package_directory_given_as_a_relative_path_loads_in_node() {
    // `file` relative to the working directory, naming a directory: Node.js
    // must get an absolute path (a bare `dir/index.js` is a package name to it).
    let spec = LambdaSpec::new(
        "rel",
        PathBuf::from("functions/lambda-redirect"),
        RuntimeKind::Nodejs,
    );
    let f = LambdaFunction::start(spec).unwrap();
    assert!(f.file.is_absolute(), "{}", f.file.display());
    continued(f.viewer_request(&cx(), &request(), None).await);
}

#[tokio::test]
async fn warm_node_workers_keep_module_state_between_invocations() {
    let src = "let n = 0; exports.handler = async () => ({ status: '200', body: String(++n) });";
    let (_d, f) = function(src, RuntimeKind::Nodejs, |_| {});
    for expected in ["1", "2"] {
        match f.viewer_request(&cx(), &request(), None).await {
            Ok(RequestOutcome::Respond(g)) => assert_eq!(&g.body[..], expected.as_bytes()),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn over_the_concurrency_limit_is_lambda_limit_exceeded() {
    let src = r#"exports.handler = (e, c, cb) => {
        const r = e.Records[0].cf.request;
        if (r.uri === '/slow') setTimeout(() => cb(null, r), 1500); else cb(null, r);
    };"#;
    for rt in RUNTIMES {
        let (_d, f) = function(src, rt, |s| s.concurrency = 1);
        let f = std::sync::Arc::new(f);
        let mut slow = request();
        slow.uri = "/slow".into();
        let first = {
            let f = f.clone();
            tokio::spawn(async move { f.viewer_request(&cx(), &slow, None).await.map(|_| ()) })
        };
        while f.in_flight() == 0 {
            tokio::task::yield_now().await;
        }
        let e = f.viewer_request(&cx(), &request(), None).await.unwrap_err();
        assert!(matches!(e, LambdaError::LimitExceeded(_)), "{rt:?}: {e}");
        let a = EdgeError::from(e).answer();
        assert_eq!(
            (a.status.as_u16(), a.x_cache),
            (503, "LambdaLimitExceeded from cloudfront")
        );
        first.await.unwrap().unwrap();
        continued(f.viewer_request(&cx(), &request(), None).await);
    }
}

/// Hooks that wait on timers run side by side, as CloudFront runs up to the
/// concurrency limit at once (spec §5.3): with one warm embedded thread,
/// eight 40 ms waits all complete on eight threads, and a ninth invocation
/// over the limit is still rejected.
#[tokio::test]
async fn waiting_embedded_hooks_run_at_once_up_to_the_concurrency_limit() {
    let src = r#"exports.handler = async (e) => {
        await new Promise((resolve) => setTimeout(resolve, 40));
        return e.Records[0].cf.request;
    };"#;
    let (_d, f) = function(src, RuntimeKind::Embedded, |s| {
        s.concurrency = 8;
        s.timeout = Some(Duration::from_secs(20));
    });
    assert_eq!(f.embedded_threads(), Some(1));
    let f = std::sync::Arc::new(f);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.viewer_request(&cx(), &request(), None).await })
        })
        .collect();
    while f.in_flight() < 8 {
        tokio::task::yield_now().await;
    }
    let e = f.viewer_request(&cx(), &request(), None).await.unwrap_err();
    assert!(matches!(e, LambdaError::LimitExceeded(_)), "{e}");
    for c in calls {
        continued(c.await.unwrap());
    }
    assert_eq!(f.embedded_threads(), Some(8));
}

#[test]
fn default_budgets_are_5_s_for_viewer_and_30_s_for_origin_events() {
    use cfedge::lambda_edge::EventType;
    let (_d, f) = function(
        "exports.handler = async () => 1;",
        RuntimeKind::Embedded,
        |_| {},
    );
    assert_eq!(
        f.timeout_for(EventType::ViewerRequest),
        Duration::from_secs(5)
    );
    assert_eq!(
        f.timeout_for(EventType::ViewerResponse),
        Duration::from_secs(5)
    );
    assert_eq!(
        f.timeout_for(EventType::OriginRequest),
        Duration::from_secs(30)
    );
    assert_eq!(
        f.timeout_for(EventType::OriginResponse),
        Duration::from_secs(30)
    );
    let (_d, f) = function(
        "exports.handler = async () => 1;",
        RuntimeKind::Embedded,
        |s| s.timeout = Some(Duration::from_secs(2)),
    );
    assert_eq!(
        f.timeout_for(EventType::OriginRequest),
        Duration::from_secs(2)
    );
}

// === config ===

fn config(lambda: &str, assoc: &str) -> Result<Config, String> {
    Config::from_toml(&format!(
        "[origins.app]\nurl = \"http://127.0.0.1:9000\"\n{lambda}\n[default_behavior]\ntarget_origin = \"app\"\n{assoc}\n"
    ))
    .map_err(|e| e.to_string())
}

#[test]
fn lambdas_and_associations_load_from_config() {
    let (_d, path) = handler_file("exports.handler = async (e) => e.Records[0].cf.request;");
    let c = config(
        &format!("[lambdas.route]\nfile = {:?}\ntimeout = 2\nconcurrency = 5\n", path),
        "lambda_function_associations = { origin_request = { function = \"route\", include_body = true } }",
    )
    .unwrap();
    let a = c
        .default_behavior
        .features
        .lambdas
        .origin_request
        .as_ref()
        .unwrap();
    assert!(a.include_body);
    assert_eq!(
        a.function
            .timeout_for(cfedge::lambda_edge::EventType::OriginRequest),
        Duration::from_secs(2)
    );
}

#[test]
fn config_errors_name_the_item() {
    let (_d, path) = handler_file("exports.handler = async (e) => {\n  return 1 +;\n};");
    let e = config(&format!("[lambdas.bad]\nfile = {:?}\n", path), "").unwrap_err();
    assert!(e.contains("lambdas.bad") && e.contains(":2"), "{e}");
    let (_d, path) = handler_file("exports.handler = async () => 1;");
    for (lambda, assoc, needle) in [
        (format!("[lambdas.x]\nfile = {path:?}\ntimeout = 0\n"), "", "timeout"),
        (format!("[lambdas.x]\nfile = {path:?}\ntimeout = 31\n"), "", "timeout"),
        (format!("[lambdas.x]\nfile = {path:?}\nruntime = \"python\"\n"), "", "runtime"),
        (format!("[lambdas.x]\nfile = {path:?}\nhandler = \"nodot\"\n"), "", "handler"),
        (format!("[lambdas.x]\nfile = {path:?}\nconcurrency = 0\n"), "", "concurrency"),
        ("[lambdas.x]\nfile = \"/nonexistent/index.js\"\n".to_owned(), "", "does not exist"),
        (
            format!("[lambdas.x]\nfile = {path:?}\n"),
            "lambda_function_associations = { viewer_response = { function = \"x\", include_body = true } }",
            "include_body",
        ),
        (
            format!("[lambdas.x]\nfile = {path:?}\n"),
            "lambda_function_associations = { viewer_request = { function = \"y\" } }",
            "not defined",
        ),
    ] {
        let e = config(&lambda, assoc).unwrap_err();
        assert!(e.contains(needle), "{needle}: {e}");
    }
}

#[test]
fn a_missing_node_binary_is_a_config_error() {
    let (_d, path) = handler_file("exports.handler = async () => 1;");
    let mut spec = LambdaSpec::new("n", path, RuntimeKind::Nodejs);
    spec.node = Some(PathBuf::from("/nonexistent/bin/node"));
    let e = LambdaFunction::start(spec).unwrap_err().to_string();
    assert!(e.contains("lambdas.n") && e.contains("Node.js"), "{e}");
}

/// Run `src`, which reports in the `x-out` request header (percent-encoded
/// where it is not ASCII), in both runtimes, and require `expected` from
/// each: the `nodejs` runtime checks the expectation against Node.js itself.
async fn assert_x_out_in_both_runtimes(src: &str, expected: &str) {
    for rt in RUNTIMES {
        let (_d, f) = function(src, rt, |_| {});
        let c = continued(f.viewer_request(&cx(), &request(), None).await);
        let out = c.request.headers["x-out"].to_str().unwrap();
        let out = percent_encoding::percent_decode_str(out)
            .decode_utf8()
            .unwrap();
        assert_eq!(out, expected, "{rt:?}");
    }
}

/// Deep JSON and nested arrays, which boa handles by recursion on the native
/// stack (a stack overflow would abort the process): Node.js's answers in
/// both runtimes, and the worker survives what it cannot answer.
#[tokio::test]
async fn deep_nesting_gets_node_answers_not_a_crash() {
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        const text = (n) => '['.repeat(n) + ']'.repeat(n);
        const deep = (n) => { let v = []; for (let i = 0; i < n; i++) v = [v]; return v; };
        const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.name; } };
        const cyc = { a: [1] }; cyc.a.push(cyc);
        const out = [t(() => JSON.parse(text(127))), t(() => JSON.stringify(deep(1000))),
                     t(() => JSON.stringify(deep(100000))), t(() => JSON.stringify(cyc)),
                     t(() => JSON.stringify({ x: { toJSON() { return deep(20000); } } })),
                     t(() => JSON.stringify({ get g() { return deep(20000); } }))];
        r.headers['x-out'] = [{ value: out.join() }];
        return r;
    };"#;
    assert_x_out_in_both_runtimes(src, "ok,ok,RangeError,TypeError,RangeError,RangeError").await;
    // eval of deeply nested text, flat of a deep array, a deep result:
    // errors as in Node.js (each RangeError there too), never a crash.
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        const deep = (n) => { let v = []; for (let i = 0; i < n; i++) v = [v]; return v; };
        const t = (f) => { try { f(); return 'ok'; } catch (e) { return e.name; } };
        const out = [t(() => eval('[' + '['.repeat(100000) + ']'.repeat(100000) + ']')),
                     t(() => new Function('return ' + '('.repeat(100000) + '1' + ')'.repeat(100000))),
                     t(() => deep(20000).flat(Infinity)), t(() => eval('[[[1]]]')), t(() => deep(20).flat(Infinity))];
        r.headers['x-out'] = [{ value: out.join() }];
        return r;
    };"#;
    assert_x_out_in_both_runtimes(src, "RangeError,RangeError,RangeError,ok,ok").await;
    let src = r#"exports.handler = async () => {
        let v = {}; for (let i = 0; i < 20000; i++) v = { v };
        return { status: '200', headers: { 'x-deep': [{ value: 'v', extra: v }] } };
    };"#;
    let (_d, f) = function(src, RuntimeKind::Embedded, |_| {});
    assert!(f.viewer_request(&cx(), &request(), None).await.is_err());
    // A result holding an absurdly long sparse array: an error, not 4 billion nulls.
    let src = r#"exports.handler = async () => {
        const a = []; a[2 ** 32 - 2] = 1;
        return { status: '200', headers: { 'x-a': [{ value: 'v', extra: a }] } };
    };"#;
    let (_d, f) = function(src, RuntimeKind::Embedded, |_| {});
    assert!(f.viewer_request(&cx(), &request(), None).await.is_err());
    // A handler file nested deeper than the parser can take: a load error.
    let (dir, path) = handler_file(&format!(
        "exports.handler = async (e) => {}e{};",
        "(".repeat(300),
        ")".repeat(300)
    ));
    let e = LambdaFunction::start(LambdaSpec::new("t", path, RuntimeKind::Embedded))
        .expect_err("nested")
        .to_string();
    assert!(e.contains("nested more than"), "{e}");
    drop(dir);
    // Nested arrays joined by recursion: an error for this invocation only.
    let src = r#"exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        let v = [];
        if (r.uri.startsWith('/deep')) for (let i = 0; i < 100000; i++) v = [v];
        const text = r.uri === '/deep-locale' ? v.toLocaleString() : String(v);
        r.headers['x-out'] = [{ value: text.length + '' }];
        return r;
    };"#;
    let (_d, f) = function(src, RuntimeKind::Embedded, |_| {});
    for uri in ["/deep", "/deep-locale"] {
        let mut deep = request();
        deep.uri = uri.into();
        assert!(f.viewer_request(&cx(), &deep, None).await.is_err(), "{uri}");
    }
    let c = continued(f.viewer_request(&cx(), &request(), None).await);
    assert_eq!(c.request.headers["x-out"], "0");
}

/// Node.js built-ins that real handlers lean on, answered as Node.js does
/// (the `nodejs` runtime checks the expectation against Node itself).
#[tokio::test]
async fn querystring_url_and_module_globals_match_node() {
    let src = r#"const qs = require('querystring'); const url = require('url');
    exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        const out = [qs.stringify({ q: "don't!", s: '(p)*~', u: 'é ü' }),
                     JSON.stringify(qs.parse('q=%E0%A4%A&r=%zz%41+b&s=%C3%A9')),
                     url.format({ pathname: '/p', search: 'a=1' }), url.format({ pathname: '/p', search: '?b=2' }),
                     typeof __dirname, typeof __filename];
        r.headers['x-out'] = [{ value: encodeURIComponent(out.join(' | ')) }];
        return r;
    };"#;
    assert_x_out_in_both_runtimes(
        src,
        "q=don't!&s=(p)*~&u=%C3%A9%20%C3%BC | {\"q\":\"\u{fffd}%A\",\"r\":\"%zzA b\",\"s\":\"é\"} | /p?a=1 | /p?b=2 | string | string",
    )
    .await;
}

/// Less common Node.js APIs that edge code uses, as Node.js answers them.
#[tokio::test]
async fn url_resolve_and_random_int_match_node() {
    let src = r#"const url = require('url'); const crypto = require('crypto');
    exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        const ints = Array.from({ length: 200 }, () => crypto.randomInt(3, 6));
        const out = [url.resolve('/one/two/three', 'four'), url.resolve('http://a.example/b/c', '../d?x=1'),
                     url.resolve('/a/', '/z'), ints.every((n) => n >= 3 && n < 6 && Number.isInteger(n)),
                     new Set(ints).size, typeof crypto.randomInt(10)];
        r.headers['x-out'] = [{ value: out.join(' ') }];
        return r;
    };"#;
    assert_x_out_in_both_runtimes(src, "/one/two/four http://a.example/d?x=1 /z true 3 number")
        .await;
}

/// boa does not name what it could not call: the message points at the
/// likely cause, a Node.js API the embedded runtime lacks.
#[tokio::test]
async fn a_missing_node_api_is_named_as_the_likely_cause() {
    let src = "exports.handler = async () => require('crypto').createDecipheriv('aes-128-cbc', 'k', 'iv');";
    let (_d, f) = function(src, RuntimeKind::Embedded, |_| {});
    match f.viewer_request(&cx(), &request(), None).await {
        Err(LambdaError::Execution(m)) => assert!(
            m.contains("not a callable function") && m.contains("runtime = \"nodejs\""),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
}

/// A module may declare names Node.js has as globals (`const Buffer`,
/// `const { URL } = require('url')`, `const process = require('process')`)
/// but not its module wrapper's parameters; a name declared twice in one
/// function body is a load error, as in Node.js.
#[tokio::test]
async fn module_scope_declarations_follow_node() {
    let src = r#"const { URL, URLSearchParams } = require('url');
    const Buffer = require('buffer').Buffer;
    const process = require('process');
    exports.handler = async (event) => {
        const r = event.Records[0].cf.request;
        r.headers['x-out'] = [{ value: [new URL('https://a.example/p').host, Buffer.from('hi').toString('hex'),
                                        typeof process.env, typeof URLSearchParams].join(' ') }];
        return r;
    };"#;
    assert_x_out_in_both_runtimes(src, "a.example 6869 object function").await;
    for src in [
        "const require = 1;\nexports.handler = async (e) => e.Records[0].cf.request;",
        "exports.handler = async (e) => {\n  const r = 1;\n  const r = 2;\n  return e.Records[0].cf.request;\n};",
    ] {
        let (dir, path) = handler_file(src);
        let spec = LambdaSpec::new("t", path, RuntimeKind::Embedded);
        let e = LambdaFunction::start(spec).expect_err(src).to_string();
        assert!(e.contains("SyntaxError") && e.contains("declared"), "{src}: {e}");
        drop(dir);
    }
}

/// More header lines than any request can hold is a validation error (502),
/// not a panic of the header map.
#[tokio::test]
async fn too_many_header_lines_are_a_validation_error() {
    let src = "exports.handler = async (e) => { const r = e.Records[0].cf.request; \
               for (let i = 0; i < 9000; i++) r.headers['x-' + i] = [{ value: 'v' }]; return r; };";
    let (_d, f) = function(src, RuntimeKind::Embedded, |_| {});
    match f.viewer_request(&cx(), &request(), None).await {
        Err(LambdaError::Validation(m)) => assert!(m.contains("header lines"), "{m}"),
        other => panic!("{other:?}"),
    }
}
