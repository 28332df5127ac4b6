//! The event's field maps (`querystring`, `headers`, `cookies`) are built
//! lazily and proxied (src/js/field_map.rs). Whatever a function does with
//! them must give the same result as with plain objects: every case here
//! runs twice, once on the event as given and once after the function has
//! replaced every map by a plain deep copy, and the two results must match.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers"
)]

use std::time::Duration;

use cfedge::cloudfront_functions::event::Event;
use cfedge::cloudfront_functions::test::{self, TestResult};
use cfedge::cloudfront_functions::CloudFrontFunction;
use cfedge::js::Dialect;
use serde_json::json;

fn request_event() -> Event {
    Event::from_json(
        &json!({
            "version": "1.0",
            "context": {"eventType": "viewer-request", "requestId": "r1", "distributionId": "E1", "distributionDomainName": "d1.cloudfront.net"},
            "viewer": {"ip": "1.2.3.4"},
            "request": {
                "method": "GET", "uri": "/a",
                "querystring": {"q": {"value": "1"}, "2": {"value": "two"}, "r": {"value": "x", "multiValue": [{"value": "x"}, {"value": "y"}]}, "1": {"value": "one"}},
                "headers": {"host": {"value": "example.com"}, "accept": {"value": "text/html"}, "x-multi": {"value": "a", "multiValue": [{"value": "a"}, {"value": "b"}]}},
                "cookies": {"sid": {"value": "abc"}, "theme": {"value": "dark"}}
            }
        }),
        None,
    )
    .unwrap()
}

fn response_event() -> Event {
    Event::from_json(
        &json!({
            "version": "1.0",
            "context": {"eventType": "viewer-response", "requestId": "r1", "distributionId": "E1", "distributionDomainName": "d1.cloudfront.net"},
            "viewer": {"ip": "1.2.3.4"},
            "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {"host": {"value": "example.com"}}, "cookies": {}},
            "response": {
                "statusCode": 200, "statusDescription": "OK",
                "headers": {"content-type": {"value": "text/html"}, "server": {"value": "AmazonS3"}, "etag": {"value": "\"e1\""}},
                "cookies": {"sid": {"value": "abc", "attributes": "Secure; Path=/"}, "pref": {"value": "1", "attributes": "", "multiValue": [{"value": "1", "attributes": ""}, {"value": "2", "attributes": "Path=/x"}]}}
            }
        }),
        None,
    )
    .unwrap()
}

/// Replaces every map of the event by a plain deep copy (and a
/// viewer-response event's request, built on first read, by a plain object).
const PLAIN: &str = "
  function plain(o) { return JSON.parse(JSON.stringify(o)); }
  if (event.response) Object.defineProperty(event, 'request', {value: plain(event.request), writable: true, enumerable: true, configurable: true});
  event.request.querystring = plain(event.request.querystring);
  event.request.headers = plain(event.request.headers);
  event.request.cookies = plain(event.request.cookies);
  if (event.response) {
    event.response.headers = plain(event.response.headers);
    event.response.cookies = plain(event.response.cookies);
  }
";

fn compile(name: &str, code: &str) -> CloudFrontFunction {
    CloudFrontFunction::from_code(
        name,
        code,
        Dialect::CloudFrontJs2,
        None,
        Duration::from_millis(100),
    )
    .unwrap()
}

fn run(body: &str, event: &Event, plain: bool) -> TestResult {
    let code = format!(
        "function handler(event) {{ {} {body} }}",
        if plain { PLAIN } else { "" }
    );
    let f = compile("maps", &code);
    test::run(&f, event)
}

/// Run `body` on the proxied and on the plain maps; the results must match.
/// Returns the result for further checks.
fn same(body: &str, event: &Event) -> TestResult {
    let lazy = run(body, event, false);
    let plain = run(body, event, true);
    assert_eq!(
        (lazy.output.clone(), lazy.error_message.clone()),
        (plain.output.clone(), plain.error_message.clone()),
        "case: {body}"
    );
    lazy
}

/// Put `expr`'s JSON as a header of the returned request.
fn probe(expr: &str) -> String {
    format!(
        "var r = event.request, h = r.headers, q = r.querystring, c = r.cookies; \
         var v = ({expr}); r.headers['x-probe'] = {{value: JSON.stringify(v === undefined ? null : v)}}; return r;"
    )
}

fn probe_value(expr: &str) -> serde_json::Value {
    let r = same(&probe(expr), &request_event());
    assert!(r.succeeded(), "{expr}: {}", r.error_message);
    let v = r.output.unwrap()["request"]["headers"]["x-probe"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    serde_json::from_str(&v).unwrap()
}

#[test]
fn reading_maps_matches_plain_objects() {
    let cases = [
        ("h.host.value", json!("example.com")),
        (
            "h['x-multi'].multiValue.map(function (m) { return m.value; })",
            json!(["a", "b"]),
        ),
        ("h.missing", json!(null)),
        ("'host' in h", json!(true)),
        ("'toString' in h", json!(true)),
        ("'nope' in h", json!(false)),
        ("h.hasOwnProperty('accept')", json!(true)),
        (
            "Object.prototype.hasOwnProperty.call(h, 'toString')",
            json!(false),
        ),
        ("Object.keys(h)", json!(["host", "accept", "x-multi"])),
        ("Object.getOwnPropertyNames(c)", json!(["sid", "theme"])),
        // Integer-like keys come first, ascending, as on any object.
        ("Object.keys(q)", json!(["1", "2", "q", "r"])),
        (
            "Object.entries(c).map(function (e) { return e[0] + '=' + e[1].value; })",
            json!(["sid=abc", "theme=dark"]),
        ),
        (
            "JSON.stringify(c)",
            json!("{\"sid\":{\"value\":\"abc\"},\"theme\":{\"value\":\"dark\"}}"),
        ),
        (
            "(function () { var k = []; for (var n in c) k.push(n); return k; })()",
            json!(["sid", "theme"]),
        ),
        ("Object.assign({}, c).theme.value", json!("dark")),
        (
            "Object.keys(Object.assign({}, h, {extra: 1}))",
            json!(["host", "accept", "x-multi", "extra"]),
        ),
        ("String(c)", json!("[object Object]")),
        ("typeof h", json!("object")),
        ("Array.isArray(h)", json!(false)),
        ("h.constructor === Object", json!(true)),
        ("Object.getPrototypeOf(h) === Object.prototype", json!(true)),
        (
            "Object.getOwnPropertyDescriptor(h, 'host').value.value",
            json!("example.com"),
        ),
        (
            "Object.getOwnPropertyDescriptor(h, 'host').enumerable",
            json!(true),
        ),
        (
            "Object.getOwnPropertyDescriptor(h, 'nope') === undefined",
            json!(true),
        ),
        // What would show an accessor sees the data property a plain
        // object has.
        (
            "Object.getOwnPropertyDescriptor(q, '1').value.value",
            json!("one"),
        ),
        (
            "'get' in Object.getOwnPropertyDescriptor(h, 'host')",
            json!(false),
        ),
        ("Object.getOwnPropertyDescriptors(h).host.writable", json!(true)),
        (
            "Reflect.getOwnPropertyDescriptor(c, 'sid').value.value",
            json!("abc"),
        ),
        ("h.__lookupGetter__('host') === undefined", json!(true)),
        (
            "Object.create(h).__lookupSetter__('accept') === undefined",
            json!(true),
        ),
        ("Object.isFrozen(Object.freeze(q))", json!(true)),
        ("Object.isSealed(Object.seal(c))", json!(true)),
        (
            "(function () { try { Object.freeze(c); c.sid = {value: 'x'}; } catch (e) { return e.name; } })()",
            json!("TypeError"),
        ),
        ("h.host === h.host", json!(true)),
        ("h[Symbol.iterator] === undefined", json!(true)),
        ("Object.isFrozen(h)", json!(false)),
        ("Object.isExtensible(h)", json!(true)),
        ("r.headers === h", json!(true)),
        (
            "Object.keys(r)",
            json!(["method", "uri", "querystring", "headers", "cookies"]),
        ),
        (
            "JSON.stringify(event.request.cookies)",
            json!("{\"sid\":{\"value\":\"abc\"},\"theme\":{\"value\":\"dark\"}}"),
        ),
    ];
    for (expr, want) in cases {
        assert_eq!(probe_value(expr), want, "{expr}");
    }
}

#[test]
fn changing_maps_matches_plain_objects() {
    let ev = request_event();
    for body in [
        "event.request.headers['x-new'] = {value: '1'}; return event.request;",
        "delete event.request.headers.accept; return event.request;",
        "event.request.headers.host.value = 'other.example'; return event.request;",
        "var h = event.request.headers; h.accept = {value: 'a', multiValue: [{value: 'a'}, {value: 'b'}]}; return event.request;",
        "var h = event.request.headers; h.zz = {value: '1'}; h.aa = {value: '2'}; delete h.zz; h.zz = {value: '3'}; return event.request;",
        "var q = event.request.querystring; q['0'] = {value: 'zero'}; q.z = {value: 'z'}; delete q['2']; return event.request;",
        "event.request.cookies.sid.value = 'changed'; delete event.request.cookies.theme; return event.request;",
        "var r = event.request; r.headers = Object.assign({}, r.headers, {'x-copy': {value: 'c'}}); return r;",
        "var r = event.request; var h = {...r.headers}; h.host = {value: 'spread'}; r.headers = h; return r;",
        "var r = event.request; Object.defineProperty(r.headers, 'x-def', {value: {value: 'd'}, enumerable: true, configurable: true, writable: true}); return r;",
        "var r = event.request; Object.defineProperty(r.headers, 'x-hidden', {value: {value: 'h'}, enumerable: false}); return r;",
        "var r = event.request; r.headers[Symbol('s')] = 1; r.headers['x-after'] = {value: 'a'}; return r;",
        "var r = event.request; Object.freeze(r.headers); return r;",
        "var r = event.request; Object.freeze(r.headers); r.headers['x-late'] = {value: 'l'}; return r;",
        "var r = event.request; Object.seal(r.cookies); delete r.cookies.sid; return r;",
        "var r = event.request; Object.preventExtensions(r.querystring); r.querystring.q.value = '9'; return r;",
        "var r = event.request; r.cookies = r.headers; return r;",
        "var r = event.request; r.querystring = 'a=1&b=2'; return r;",
        "var r = event.request; r.querystring = r.headers; r.headers = {}; return r;",
        "var r = event.request; return {method: r.method, uri: '/b', querystring: r.querystring, headers: r.headers, cookies: r.cookies};",
        "var r = event.request; return Object.assign({}, r, {uri: '/c'});",
        "var r = event.request; return {statusCode: 200, headers: r.headers, cookies: r.cookies};",
        "var r = event.request; r.headers.host = 'not an object'; return r;",
        "var r = event.request; r.headers['x-u'] = undefined; return r;",
        "var r = event.request; r.headers = null; return r;",
        "var r = event.request; delete r.headers; return r;",
        "var r = event.request; var h = r.headers; r.headers = {}; h['x-lost'] = {value: '1'}; return r;",
        // Listing a map's keys makes it a plain object behind the proxy;
        // what the function does next must still land in the result.
        "var r = event.request, h = r.headers; for (var n in h) { if (n !== 'host') delete h[n]; } h['x-after'] = {value: 'a'}; return r;",
        "var r = event.request, q = r.querystring; Object.keys(q).forEach(function (k) { q[k.toUpperCase()] = q[k]; delete q[k]; }); return r;",
        "var r = event.request; Object.keys(r.cookies); r.cookies.sid.value = 'x'; r.cookies.n = {value: 'n'}; return r;",
        "var r = event.request; JSON.stringify(r.headers); r.cookies = r.headers; return r;",
        "var r = event.request; var k = Object.keys(r.headers); Object.defineProperty(r.headers, 'x-def', {value: {value: String(k.length)}, enumerable: true}); return r;",
        "var r = event.request; for (var n in r.headers) {} Object.freeze(r.headers); r.headers.zz = {value: 'z'}; return r;",
        "var r = event.request; Object.defineProperty(r.headers, 'host', {writable: false}); return r;",
        "var r = event.request; Object.defineProperty(r.headers, 'accept', {enumerable: false}); r.headers.accept.value = 'x'; return r;",
        "var r = event.request; Object.defineProperties(r.querystring, {'1': {value: {value: 'uno'}}}); return r;",
        "var r = event.request; Reflect.defineProperty(r.cookies, 'sid', {value: {value: 'reflect'}}); return r;",
        "var r = event.request; Object.preventExtensions(r.headers); r.headers.host = {value: 'still'}; return r;",
        "var r = event.request; Reflect.preventExtensions(r.headers); r.headers.host.value = 'inner'; return r;",
        "var r = event.request; r.headers.__defineGetter__('host', function () { return {value: 'g'}; }); return r;",
        "var r = event.request; r.headers.__defineSetter__('accept', function () {}); r.headers.accept = {value: 'lost'}; return r;",
        "var r = event.request; var q = r.querystring; q['2'] = {value: 'deux'}; delete q.q; return r;",
        "var r = event.request; var h = Object.create(r.headers); h.host = {value: 'child'}; r.headers.accept = h.host; return r;",
        "var r = event.request; var h = Object.create(r.headers); h['x-new'] = {value: 'n'}; r.headers.accept = h['x-new']; return r;",
        "var r = event.request; var h = Object.create(r.headers); Object.freeze(h); h.host = {value: 'no'}; return r;",
    ] {
        same(body, &ev);
    }
}

#[test]
fn response_maps_match_plain_objects() {
    let ev = response_event();
    for body in [
        "return event.response;",
        "var res = event.response; res.headers['x-function'] = {value: 'v1'}; return res;",
        "var res = event.response; delete res.headers.server; res.headers.etag.value = '\"e2\"'; return res;",
        "var res = event.response; res.cookies.sid.attributes = 'Secure'; res.cookies.n = {value: 'v', attributes: 'Path=/'}; return res;",
        "var res = event.response; delete res.cookies.pref; return res;",
        "var res = event.response; res.cookies.pref.multiValue.push({value: '3', attributes: ''}); return res;",
        "var res = event.response; return {statusCode: 302, statusDescription: 'Found', headers: res.headers, cookies: res.cookies};",
        "var res = event.response; res.headers = event.request.headers; return res;",
        "var res = event.response; res.cookies = event.request.headers; return res;",
        "var res = event.response; Object.keys(res.headers).forEach(function (k) { res.headers[k].value = res.headers[k].value.toUpperCase(); }); return res;",
        "var res = event.response; res.headers['x-json'] = {value: JSON.stringify(res.cookies)}; return res;",
        // The request, built on first read at viewer-response.
        "var res = event.response, r = event.request; res.headers['x-req'] = {value: r.method + ' ' + r.uri + ' ' + r.headers.host.value}; return res;",
        "var res = event.response; res.headers['x-keys'] = {value: Object.keys(event).join() + '|' + Object.keys(event.request).join()}; return res;",
        "var res = event.response; res.headers['x-json'] = {value: JSON.stringify(event)}; return res;",
        "var res = event.response; res.headers['x-same'] = {value: String(event.request === event.request)}; return res;",
        "var res = event.response; event.request = {uri: '/x'}; res.headers['x-r'] = {value: event.request.uri}; return res;",
        "var res = event.response; event.request.uri = '/y'; event.request.headers.host.value = 'h'; res.headers['x-r'] = {value: event.request.uri + event.request.headers.host.value}; return res;",
        "var res = event.response; var child = Object.create(event); child.request = 1; res.headers['x-r'] = {value: String(child.request) + typeof event.request}; return res;",
        "var res = event.response; Object.freeze(event); try { event.request = 1; } catch (e) { res.headers['x-e'] = {value: e.name}; } return res;",
        "var res = event.response; delete event.request; res.headers['x-r'] = {value: typeof event.request}; return res;",
        "var res = event.response; res.headers = event.request.headers; return res;",
    ] {
        same(body, &ev);
    }
}

/// An entry's `value` and `multiValue` are read as `[[Get]]` reads them:
/// inherited from a prototype other than `Object.prototype`, or through a
/// getter (the result reader skips the walk only for plain literals).
#[test]
fn entry_fields_are_read_through_prototypes_and_getters() {
    let r = same(
        "var h = event.request.headers; \
         var e = Object.create({multiValue: [{value: 'p1'}, {value: 'p2'}]}); e.value = 'p1'; h['x-proto'] = e; \
         h['x-get'] = {get value() { return 'g'; }}; \
         h['x-plain'] = {value: 'v'}; \
         return event.request;",
        &request_event(),
    );
    let headers = &r.output.unwrap()["request"]["headers"];
    assert_eq!(
        headers["x-proto"],
        json!({"value": "p1", "multiValue": [{"value": "p1"}, {"value": "p2"}]})
    );
    assert_eq!(headers["x-get"], json!({"value": "g"}));
    assert_eq!(headers["x-plain"], json!({"value": "v"}));
    // The result's own fields too.
    let r = run(
        "var res = Object.create({statusCode: 302, statusDescription: 'Found'}); \
         res.headers = {location: {value: '/x'}}; return res;",
        &request_event(),
        false,
    );
    let out = r.output.unwrap();
    assert_eq!(out["response"]["statusCode"], json!(302), "{out}");
    assert_eq!(
        out["response"]["statusDescription"],
        json!("Found"),
        "{out}"
    );
}

/// The one documented difference (README, CloudFront Functions fidelity):
/// a map's property on the request is an accessor (enumerable, answering
/// the same map on every read, keeping what is assigned).
#[test]
fn a_map_property_is_an_accessor() {
    let r = run(
        "var before = Object.getOwnPropertyDescriptor(event.request, 'cookies'); \
         var read = event.request.cookies; \
         var after = Object.getOwnPropertyDescriptor(event.request, 'cookies'); \
         var same = event.request.cookies === read; \
         event.request.cookies = {a: {value: '1'}}; \
         var assigned = event.request.cookies.a.value; \
         event.request.headers['x-probe'] = {value: [typeof before.get, before.enumerable, \
           typeof after.get, same, assigned].join()}; return event.request;",
        &request_event(),
        false,
    );
    assert!(r.succeeded(), "{}", r.error_message);
    let out = r.output.unwrap();
    assert_eq!(
        out["request"]["headers"]["x-probe"]["value"],
        "function,true,function,true,1"
    );
    assert_eq!(out["request"]["cookies"], json!({"a": {"value": "1"}}));
    // As on a plain object: an object inheriting the request gets its own
    // property, and a frozen request refuses the assignment.
    same(
        "var r = event.request; var child = Object.create(r); child.headers = {}; return r;",
        &request_event(),
    );
    let r = same(
        "var r = event.request; Object.freeze(r); r.headers = {}; return r;",
        &request_event(),
    );
    assert!(!r.succeeded());
    same(
        "var r = event.request; Object.seal(r); r.querystring = 'a=1'; return r;",
        &request_event(),
    );
}

#[test]
fn maps_do_not_leak_between_invocations() {
    // A map kept from one invocation is not reachable from the next (fresh
    // top-level scope); the next invocation sees its own event.
    let f = compile("keep", "var kept; function handler(event) { if (kept) { event.request.headers['x-old'] = {value: String(kept.host && kept.host.value)}; } kept = event.request.headers; return event.request; }");
    for _ in 0..3 {
        let r = test::run(&f, &request_event());
        assert!(r.succeeded(), "{}", r.error_message);
        assert!(r.output.unwrap()["request"]["headers"]
            .get("x-old")
            .is_none());
    }
}

/// The same code, run on events that take different paths through it, must
/// give each event the result it gives alone: nothing a previous invocation
/// did to the engine (its shapes, its caches) may change the next one.
#[test]
fn earlier_invocations_do_not_change_later_ones() {
    let code = "function handler(event) {\n\
        var request = event.request;\n\
        if (request.querystring.read) { var host = request.headers.host.value; }\n\
        if ('x-debug' in request.headers) { request.headers['x-debug-seen'] = { value: '1' }; }\n\
        return request;\n\
    }";
    let f = compile("paths", code);
    let event = |qs: serde_json::Value| {
        Event::from_json(
            &json!({
                "version": "1.0",
                "context": {"eventType": "viewer-request"},
                "viewer": {"ip": "1.2.3.4"},
                "request": {"method": "GET", "uri": "/a", "querystring": qs, "headers": {"host": {"value": "example.com"}}, "cookies": {}}
            }),
            None,
        )
        .unwrap()
    };
    let plain = event(json!({}));
    let read = event(json!({"read": {"value": "1"}}));
    for ev in [&plain, &plain, &read, &read, &plain, &read] {
        let r = test::run(&f, ev);
        assert!(r.succeeded(), "{}", r.error_message);
    }
    let code = "function handler(event) {\n\
        var res = event.response;\n\
        if (event.request.uri === '/a') { res.headers.server = { value: 'mine' }; }\n\
        res.headers['x-b'] = { value: '2' };\n\
        return res;\n\
    }";
    let f = compile("paths2", code);
    let mut a = response_event();
    a.request.uri = "/a".into();
    let b = response_event();
    for ev in [&a, &b, &a, &b, &b, &a] {
        let r = test::run(&f, ev);
        assert!(r.succeeded(), "{}", r.error_message);
    }
}

/// Nothing of one invocation reaches the next: a promise job queued while
/// the result is read runs within its own invocation, and an earlier
/// event's objects find nothing through the (shared) map accessors.
#[test]
fn an_earlier_event_cannot_reach_a_later_one() {
    let f = compile(
        "late",
        "function handler(event) { var r = event.request; \
           if (r.uri === '/a') { \
             Object.defineProperty(r, 'uri', { enumerable: true, configurable: true, get: function () { \
               Promise.resolve().then(function () { r.headers['x-leak'] = {value: 'leak'}; r.querystring = 'leak=1'; }); \
               return '/a'; } }); } \
           return r; }",
    );
    let mut a = request_event();
    a.request.uri = "/a".into();
    let b = request_event();
    for ev in [&a, &b, &a, &b] {
        let r = test::run(&f, ev);
        assert!(r.succeeded(), "{}", r.error_message);
        let out = r.output.unwrap();
        assert!(out["request"]["headers"].get("x-leak").is_none(), "{out}");
        assert_ne!(out["request"]["querystring"], json!("leak=1"), "{out}");
    }
}
