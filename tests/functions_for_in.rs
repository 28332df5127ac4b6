//! `for…in` loops are rewritten at load into loops over a native key
//! iterator (src/js/for_in.rs). Whatever a loop does must give what boa's
//! own `for…in` gives: every case here runs twice, rewritten and as
//! written (a file that mentions `__cfedge_` is never rewritten), and the
//! two results must match.
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
use cfedge::js::source::prepare;
use cfedge::js::Dialect;
use serde_json::json;

fn event() -> Event {
    Event::from_json(
        &json!({
            "version": "1.0",
            "context": {"eventType": "viewer-request", "requestId": "r1", "distributionId": "E1", "distributionDomainName": "d1.cloudfront.net"},
            "viewer": {"ip": "1.2.3.4"},
            "request": {
                "method": "GET", "uri": "/a",
                "querystring": {"q": {"value": "1"}, "2": {"value": "two"}},
                "headers": {"host": {"value": "example.com"}, "accept": {"value": "text/html"}},
                "cookies": {"sid": {"value": "abc"}}
            }
        }),
        None,
    )
    .unwrap()
}

/// The function for `body`: it leaves the JSON of `out` in header `x-out`.
fn code(body: &str, rewrite: bool) -> String {
    format!(
        "function handler(event) {{ var out = []; \
           try {{ (function () {{ {body} }})(); }} catch (e) {{ out.push('threw ' + e.name); }} \
           event.request.headers['x-out'] = {{value: JSON.stringify(out)}}; return event.request; }}{}",
        if rewrite { "" } else { "\n// __cfedge_" }
    )
}

fn run(body: &str, dialect: Dialect, rewrite: bool) -> TestResult {
    let code = code(body, rewrite);
    let prepared = prepare(&code, dialect).unwrap().code;
    if !rewrite {
        assert!(!prepared.contains("__cfedge_forin"), "{body}");
    }
    let f = CloudFrontFunction::from_code("t", &code, dialect, None, Duration::from_millis(200))
        .unwrap();
    test::run(&f, &event())
}

/// What `out` held: the same rewritten and as written.
fn same(body: &str, dialect: Dialect) -> serde_json::Value {
    let rewritten = run(body, dialect, true);
    let written = run(body, dialect, false);
    assert_eq!(
        (rewritten.output.clone(), rewritten.error_message.clone()),
        (written.output.clone(), written.error_message.clone()),
        "case: {body}"
    );
    assert!(rewritten.succeeded(), "{body}: {}", rewritten.error_message);
    let out = rewritten.output.unwrap()["request"]["headers"]["x-out"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    serde_json::from_str(&out).unwrap()
}

fn rewritten(body: &str) -> bool {
    prepare(&code(body, true), Dialect::CloudFrontJs2)
        .unwrap()
        .code
        .contains("__cfedge_forin")
}

#[test]
fn loops_give_what_boa_gives() {
    let cases = [
        // Order: integer keys first, ascending, then insertion order.
        ("var o = {b: 1, 2: 1, a: 1, 1: 1}; for (var k in o) out.push(k);", json!(["1", "2", "b", "a"])),
        ("for (let k in {x: 1, y: 2}) out.push(k);", json!(["x", "y"])),
        ("for (const k in {x: 1, y: 2}) out.push(k);", json!(["x", "y"])),
        ("var k; for (k in {x: 1, y: 2}); out.push(k);", json!(["y"])),
        // The variable keeps the last key after the loop, or the one it broke on.
        ("for (var k in {x: 1, y: 2}); out.push(k);", json!(["y"])),
        ("for (var k in {x: 1, y: 2}) break; out.push(k);", json!(["x"])),
        ("var k = 'before'; for (k in {}); out.push(k);", json!(["before"])),
        // Arrays, strings, other primitives, null and undefined.
        ("var a = ['p', 'q']; a.extra = 1; for (var i in a) out.push(i);", json!(["0", "1", "extra"])),
        ("for (var i in 'ab') out.push(i);", json!(["0", "1"])),
        ("for (var i in new String('ab')) out.push(i);", json!(["0", "1"])),
        ("for (var i in 42) out.push(i); for (var j in true) out.push(j);", json!([])),
        ("for (var i in null) out.push(i); for (var j in undefined) out.push(j);", json!([])),
        ("for (var i in new Uint8Array(2)) out.push(i);", json!(["0", "1"])),
        ("function f() {} f.p = 1; for (var i in f) out.push(i);", json!(["p"])),
        ("for (var i in Object.create(null, {a: {value: 1, enumerable: true}, b: {value: 2}})) out.push(i);", json!(["a"])),
        // The prototype chain: its enumerable keys after the object's own,
        // each name once, shadowed by an own key even when not enumerable.
        ("var p = {inh: 1, sh: 1, hid: 1}; var o = Object.create(p); o.own = 1; o.sh = 2; \
          Object.defineProperty(o, 'hid', {value: 1, enumerable: false}); for (var k in o) out.push(k);",
         json!(["own", "sh", "inh"])),
        ("var p = Object.create({deep: 1}); p.mid = 1; var o = Object.create(p); o.top = 1; for (var k in o) out.push(k);",
         json!(["top", "mid", "deep"])),
        ("class A { m() {} } var a = new A(); a.f = 1; for (var k in a) out.push(k);", json!(["f"])),
        // Changes during the loop: a key deleted before its turn is skipped,
        // a key added is not visited, a prototype changed is followed.
        ("var o = {a: 1, b: 1, c: 1}; for (var k in o) { out.push(k); delete o.b; }", json!(["a", "c"])),
        ("var o = {a: 1}; for (var k in o) { out.push(k); o.z = 1; }", json!(["a"])),
        ("var o = {a: 1, b: 1}; for (var k in o) { out.push(k); if (k === 'a') Object.setPrototypeOf(o, {fromNew: 1}); }",
         json!(["a", "b", "fromNew"])),
        ("var o = {a: 1, b: 1}; for (var k in o) { out.push(k); if (k === 'a') { delete o.b; o.b = 2; } }", json!(["a", "b"])),
        ("var o = {a: 1, b: 1}; for (var k in o) { out.push(k); Object.defineProperty(o, 'b', {enumerable: false}); }", json!(["a"])),
        // Control flow.
        ("for (var k in {a: 1, b: 1, c: 1}) { if (k === 'b') continue; out.push(k); }", json!(["a", "c"])),
        ("outer: for (var i in {a: 1, b: 1}) { for (var j in {x: 1, y: 1}) { if (j === 'y') continue outer; out.push(i + j); } }",
         json!(["ax", "bx"])),
        ("outer: for (var i in {a: 1, b: 1}) { for (var j in {x: 1, y: 1}) { out.push(i + j); break outer; } }", json!(["ax"])),
        ("function f(o) { for (var k in o) { if (k === 'b') return k; } } out.push(f({a: 1, b: 1, c: 1}));", json!(["b"])),
        ("for (var k in {a: 1}) { try { throw new Error(k); } catch (e) { out.push(e.message); } finally { out.push('f'); } }",
         json!(["a", "f"])),
        // One binding per iteration for let and const, one for var.
        ("var fs = []; for (let k in {a: 1, b: 1}) fs.push(function () { return k; }); fs.forEach(function (f) { out.push(f()); });",
         json!(["a", "b"])),
        ("var fs = []; for (const k in {a: 1, b: 1}) { fs.push(() => k); } fs.forEach(f => out.push(f()));", json!(["a", "b"])),
        ("var fs = []; for (var k in {a: 1, b: 1}) fs.push(function () { return k; }); fs.forEach(function (f) { out.push(f()); });",
         json!(["b", "b"])),
        // Left as boa runs them, with the same results: a const assigned to,
        // a lexical name used by its own expression, destructuring, a
        // property as the target.
        ("for (const k in {a: 1}) { k = 'x'; }", json!(["threw TypeError"])),
        ("for (let k in k) out.push(k);", json!(["threw ReferenceError"])),
        ("for (var [a, b] in {xy: 1}) out.push(a + '|' + b);", json!(["x|y"])),
        ("var t = {}; for (t.k in {a: 1, b: 1}) out.push(t.k);", json!(["a", "b"])),
        // Loop heads written in unusual ways.
        ("for (var k in (function () { var r = {}; for (var j in {a: 1}) r[j + j] = 1; return r; })()) out.push(k);",
         json!(["aa"])),
        ("for (var k in {a: 1}, {b: 1}) out.push(k);", json!(["b"])),
        ("for ( var\n k\n in\n {a: 1}\n ) out.push(k);", json!(["a"])),
        ("for (var k /* c */ in {a: 1}) out.push(k);", json!(["a"])),
        ("var é = {ü: 1}; for (var ñ in é) out.push(ñ);", json!(["ü"])),
        ("var k; for (k in {a: 1}) for (var l in {b: 1}) out.push(k + l);", json!(["ab"])),
        // Generators and async functions.
        ("function* g(o) { for (var k in o) yield k; } for (var v of g({a: 1, b: 1})) out.push(v);", json!(["a", "b"])),
        // Proxies: traps run, in the spec's order.
        ("var log = []; var p = new Proxy({a: 1, b: 2}, { ownKeys: function (t) { log.push('keys'); return Reflect.ownKeys(t); }, \
          getOwnPropertyDescriptor: function (t, k) { log.push('desc ' + k); return Reflect.getOwnPropertyDescriptor(t, k); } }); \
          for (var k in p) log.push(k); out.push(log.join(','));",
         json!(["keys,desc a,a,desc b,b"])),
        ("var p = new Proxy({}, { ownKeys: function () { throw new RangeError('no'); } }); for (var k in p) out.push(k);",
         json!(["threw RangeError"])),
        // A loop in the loop's own expression and the iterator's function.
        ("var o = {a: 1}; for (var k in o) { for (var k2 in o) out.push(k + k2); }", json!(["aa"])),
    ];
    for (body, want) in cases {
        assert_eq!(same(body, Dialect::CloudFrontJs2), want, "{body}");
    }
}

#[test]
fn the_plain_forms_are_rewritten_and_the_others_left_alone() {
    for body in [
        "for (var k in {}) ;",
        "for (let k in {}) ;",
        "for (const k in {}) ;",
        "var k; for (k in {}) ;",
        "for (var k in ({})) ;",
    ] {
        assert!(rewritten(body), "{body}");
    }
    for body in [
        "for (const k in {}) { k = 1; }",
        "for (const k in {}) { [k] = [1]; }",
        "for (const k in {}) { k++; }",
        "for (let k in k) ;",
        "for (var [a] in {}) ;",
        "var t = {}; for (t.k in {}) ;",
        "for (var k of []) ;",
    ] {
        assert!(!rewritten(body), "{body}");
    }
}

#[test]
fn the_event_and_its_maps_are_listed_as_before() {
    for body in [
        "for (var k in event) out.push(k);",
        "for (var k in event.request) out.push(k);",
        "var h = event.request.headers; for (var k in h) out.push(k + '=' + h[k].value);",
        "var q = event.request.querystring; for (var k in q) { out.push(k); delete q[k]; } for (var j in q) out.push('left ' + j);",
        "for (var k in event.request.cookies) out.push(k);",
    ] {
        same(body, Dialect::CloudFrontJs2);
    }
}

#[test]
fn runtime_1_0_loops_are_rewritten_too() {
    let body =
        "var o = {b: 1, a: 1}; for (var k in o) out.push(k); var j; for (j in o) out.push(j);";
    assert_eq!(
        same(body, Dialect::CloudFrontJs1),
        json!(["b", "a", "b", "a"])
    );
}

#[test]
fn lines_stay_where_they_were() {
    let code =
        "function handler(event) {\n  for (var k in {a: 1}) {}\n  return event.request;\n}\n";
    let prepared = prepare(code, Dialect::CloudFrontJs2).unwrap().code;
    assert!(prepared.contains("__cfedge_forin"));
    assert_eq!(prepared.lines().count(), code.lines().count());
    assert_eq!(prepared.lines().nth(2), code.lines().nth(2));
}
