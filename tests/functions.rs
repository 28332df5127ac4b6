//! CloudFront Functions: engine, modules, runtimes, isolation, budgets and
//! failures, through the public API (no process).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers"
)]

use std::sync::Arc;
use std::time::Duration;

use cfedge::cloudfront_functions::event::{Event, EventType};
use cfedge::cloudfront_functions::kvs::KeyValueStore;
use cfedge::cloudfront_functions::test::{self, TestResult, EXECUTION_ERROR};
use cfedge::cloudfront_functions::BudgetMode;
use cfedge::cloudfront_functions::{CloudFrontFunction, FunctionError};
use cfedge::js::Dialect;
use serde_json::{json, Value};

const BUDGET: Duration = Duration::from_millis(50);

fn func(code: &str, dialect: Dialect) -> CloudFrontFunction {
    CloudFrontFunction::from_code("t", code, dialect, None, BUDGET).unwrap()
}

fn request_event() -> Event {
    Event::from_json(
        &json!({
            "version": "1.0",
            "context": {"eventType": "viewer-request", "requestId": "req-1", "distributionId": "E1", "distributionDomainName": "d1.cloudfront.net"},
            "viewer": {"ip": "1.2.3.4"},
            "request": {
                "method": "GET", "uri": "/a/b",
                "querystring": {"q": {"value": "1"}, "r": {"value": "x", "multiValue": [{"value": "x"}, {"value": "y"}]}},
                "headers": {"host": {"value": "example.com"}, "accept": {"value": "text/html"}},
                "cookies": {"sid": {"value": "abc"}}
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
            "context": {"eventType": "viewer-response"},
            "viewer": {"ip": "1.2.3.4"},
            "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}},
            "response": {"statusCode": 200, "statusDescription": "OK", "headers": {"content-type": {"value": "text/html"}}, "cookies": {}}
        }),
        None,
    )
    .unwrap()
}

fn run2(code: &str) -> TestResult {
    test::run(&func(code, Dialect::CloudFrontJs2), &request_event())
}

/// Evaluate an expression in a 2.0 handler and return its JSON value (via a header).
fn eval2(expr: &str) -> Value {
    let code = format!(
        "function handler(event) {{ var v = ({expr}); return {{statusCode: 200, body: JSON.stringify(v === undefined ? null : v)}}; }}"
    );
    let r = run2(&code);
    assert!(r.succeeded(), "{expr}: {}", r.error_message);
    let body = r.output.unwrap()["response"]["body"]["data"]
        .as_str()
        .unwrap()
        .to_owned();
    serde_json::from_str(&body).unwrap()
}

fn eval1(expr: &str) -> Value {
    let code = format!(
        "function handler(event) {{ var v = ({expr}); return {{statusCode: 200, body: JSON.stringify(v === undefined ? null : v)}}; }}"
    );
    let r = test::run(&func(&code, Dialect::CloudFrontJs1), &request_event());
    assert!(r.succeeded(), "{expr}: {}", r.error_message);
    let body = r.output.unwrap()["response"]["body"]["data"]
        .as_str()
        .unwrap()
        .to_owned();
    serde_json::from_str(&body).unwrap()
}

#[test]
fn handler_sees_the_event_and_changes_the_request() {
    let r = run2(
        "function handler(event) { var r = event.request; r.uri = r.uri + '/index.html'; \
         r.headers['x-ip'] = {value: event.viewer.ip + ' ' + event.context.eventType}; return r; }",
    );
    assert!(r.succeeded(), "{}", r.error_message);
    let out = r.output.unwrap();
    assert_eq!(out["request"]["uri"], "/a/b/index.html");
    assert_eq!(
        out["request"]["headers"]["x-ip"]["value"],
        "1.2.3.4 viewer-request"
    );
    assert_eq!(
        out["request"]["querystring"]["r"]["multiValue"][1]["value"],
        "y"
    );
    assert_eq!(out["request"]["cookies"]["sid"]["value"], "abc");
}

#[test]
fn exceptions_are_execution_errors() {
    let r = run2("function handler(event) { throw new TypeError('boom'); }");
    assert_eq!(
        r.error_message,
        format!("{EXECUTION_ERROR} TypeError: boom")
    );
    let r = run2("function handler(event) { return event.nope.x; }");
    assert!(
        r.error_message
            .starts_with(&format!("{EXECUTION_ERROR} TypeError")),
        "{}",
        r.error_message
    );
    let r = run2("var x = 1;");
    assert!(
        r.error_message.contains("handler is not defined"),
        "{}",
        r.error_message
    );
}

#[test]
fn eval_and_new_function_are_refused() {
    let r = run2("function handler(event) { return eval('event.request'); }");
    assert!(
        r.error_message.starts_with(EXECUTION_ERROR),
        "{}",
        r.error_message
    );
    let r =
        run2("function handler(event) { return new Function('e', 'return e.request')(event); }");
    assert!(
        r.error_message.starts_with(EXECUTION_ERROR),
        "{}",
        r.error_message
    );
}

#[test]
fn no_timers_process_or_fs() {
    assert_eq!(eval2("typeof setTimeout"), "undefined");
    assert_eq!(eval2("typeof setImmediate"), "undefined");
    assert_eq!(eval2("typeof process"), "undefined");
    assert_eq!(eval2("typeof XMLHttpRequest"), "undefined");
    assert_eq!(eval2("typeof fetch"), "undefined");
    let r = run2("function handler(event) { require('fs'); return event.request; }");
    assert!(
        r.error_message.contains("Cannot find module"),
        "{}",
        r.error_message
    );
}

#[test]
fn date_is_fixed_for_the_invocation() {
    let v = eval2("(function(){ var a = Date.now(); var s = 0; for (var i = 0; i < 20000; i++) { s += i; } return [a === Date.now(), new Date().getTime() === a, Math.abs(a - 1700000000000) > 0]; })()");
    assert_eq!(v, json!([true, true, true]));
}

#[test]
fn console_log_is_captured_and_capped() {
    let r = run2("function handler(event) { console.log('hello'); console.log({a: 1}); console.log([1, 2]); console.log(3); return event.request; }");
    assert_eq!(
        r.logs,
        vec![
            "hello".to_owned(),
            "{\"a\":1}".to_owned(),
            "[1,2]".to_owned(),
            "3".to_owned()
        ]
    );
    let r = run2("function handler(event) { var s = 'x'.repeat(1000); for (var i = 0; i < 30; i++) console.log(s); return event.request; }");
    let total: usize = r.logs.iter().map(String::len).sum();
    assert!(total <= 10 * 1024 + 64, "{total}");
    assert!(r.logs.last().unwrap().contains("truncated"));
    // 2.0 logs only the first argument; 1.0 joins them.
    let r = run2("function handler(event) { console.log('a', 'b'); return event.request; }");
    assert_eq!(r.logs, vec!["a".to_owned()]);
    let r = test::run(
        &func(
            "function handler(event) { console.log('a', 'b'); return event.request; }",
            Dialect::CloudFrontJs1,
        ),
        &request_event(),
    );
    assert_eq!(r.logs, vec!["a b".to_owned()]);
}

#[test]
fn console_has_log_only() {
    // Deployed functions use `!console.error` to tell CloudFront from Node.js.
    for dialect in [Dialect::CloudFrontJs1, Dialect::CloudFrontJs2] {
        let r = test::run(
            &func(
                "function handler(event) { console.log(Object.keys(console).join() + ' ' + typeof console.error + ' ' + typeof console.warn + ' ' + typeof console.info + ' ' + typeof console.debug); return event.request; }",
                dialect,
            ),
            &request_event(),
        );
        assert_eq!(
            r.logs,
            vec!["log undefined undefined undefined undefined".to_owned()]
        );
    }
}

#[test]
fn console_log_of_event_objects_shows_their_fields() {
    // Logging the whole request (or one of its maps) is common when debugging;
    // the lazily built maps must show their entries, methods are left out.
    let r = run2(
        "function handler(event) { var req = event.request; console.log(req); \
         console.log(req.headers); console.log(req.cookies.sid); \
         var o = {}; o.self = o; console.log(o); return req; }",
    );
    assert!(r.succeeded(), "{}", r.error_message);
    let logged: Value = serde_json::from_str(&r.logs[0]).unwrap();
    assert_eq!(logged["headers"]["host"]["value"], "example.com");
    assert_eq!(logged["querystring"]["r"]["multiValue"][1]["value"], "y");
    assert_eq!(logged["cookies"]["sid"]["value"], "abc");
    assert!(logged.get("rawQueryString").is_none(), "{}", r.logs[0]);
    let headers: Value = serde_json::from_str(&r.logs[1]).unwrap();
    assert_eq!(headers["accept"]["value"], "text/html");
    assert_eq!(r.logs[2], "{\"value\":\"abc\"}");
    // A cycle is not an error: the value's string form is logged.
    assert_eq!(r.logs[3], "[object Object]");
    // Functions as njs shows them, not their source.
    let r = run2("function handler(event) { console.log(function named() { return 1; }); console.log(event.request.rawQueryString); console.log(Math.max); return event.request; }");
    assert_eq!(
        r.logs,
        vec![
            "[Function: named]".to_owned(),
            "[Function: rawQueryString]".to_owned(),
            "[Function: max]".to_owned()
        ]
    );
}

// === modules ===

#[test]
fn crypto_hashes_and_hmacs() {
    assert_eq!(
        eval2("require('crypto').createHash('md5').update('abc').digest('hex')"),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(
        eval2("require('crypto').createHash('sha1').update('abc').digest('hex')"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        eval2("require('crypto').createHash('sha256').update('a').update('bc').digest('hex')"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        eval2("require('crypto').createHash('sha256').update('abc').digest('base64')"),
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
    assert_eq!(
        eval2("require('crypto').createHash('sha256').update('abc').digest('base64url')"),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
    assert_eq!(
        eval2("require('crypto').createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex')"),
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
    assert_eq!(eval2("require('crypto').createHmac('md5', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex')"), "80070713463e7749b90c2dc24911e275");
    assert_eq!(eval2("require('crypto').createHmac('sha1', Buffer.from('key')).update(Buffer.from('The quick brown fox jumps over the lazy dog')).digest('hex')"), "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
    // 2.0: digest() without an encoding is a Buffer; 1.0: a byte string.
    assert_eq!(eval2("(function(){ var d = require('crypto').createHash('md5').update('abc').digest(); return [Buffer.isBuffer(d), d.length, d.toString('hex')]; })()"), json!([true, 16, "900150983cd24fb0d6963f7d28e17f72"]));
    assert_eq!(eval1("(function(){ var d = require('crypto').createHash('md5').update('abc').digest(); return [typeof d, d.length, d.charCodeAt(0)]; })()"), json!(["string", 16, 0x90]));
    // The Developer Guide's three digest encodings only.
    for enc in ["latin1", "binary", "utf8"] {
        let r = run2(&format!(
            "function handler(e) {{ require('crypto').createHash('md5').update('a').digest('{enc}'); return e.request; }}"
        ));
        assert!(
            r.error_message.contains("Unknown digest encoding"),
            "{enc}: {}",
            r.error_message
        );
    }
    let r =
        run2("function handler(e) { require('crypto').createHash('sha512'); return e.request; }");
    assert!(
        r.error_message.contains("not supported"),
        "{}",
        r.error_message
    );
}

#[test]
fn crypto_import_statement_is_bound() {
    let r = run2("import crypto from 'crypto';\nfunction handler(e) { e.request.headers['x-h'] = {value: crypto.createHash('sha1').update('abc').digest('hex')}; return e.request; }");
    assert!(r.succeeded(), "{}", r.error_message);
    assert_eq!(
        r.output.unwrap()["request"]["headers"]["x-h"]["value"],
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}

#[test]
fn querystring_module() {
    assert_eq!(
        eval2("require('querystring').parse('a=1&b=2&a=3&c&d=%E2%82%AC+x')"),
        json!({"a": ["1", "3"], "b": "2", "c": "", "d": "€ x"})
    );
    assert_eq!(
        eval2("require('querystring').decode('a:1;b:2', ';', ':')"),
        json!({"a": "1", "b": "2"})
    );
    assert_eq!(
        eval2("require('querystring').parse('a=1&b=2&c=3', null, null, {maxKeys: 2})"),
        json!({"a": "1", "b": "2"})
    );
    assert_eq!(
        eval2("require('querystring').parse('a=%FF')"),
        json!({"a": "\u{FFFD}"})
    );
    assert_eq!(
        eval2("require('querystring').stringify({a: [1, 2], b: 'x y', c: true, d: null})"),
        "a=1&a=2&b=x%20y&c=true&d="
    );
    assert_eq!(
        eval2("require('querystring').encode({a: 'b'}, ';', ':')"),
        "a:b"
    );
    assert_eq!(
        eval2("require('querystring').escape('a b&c/é')"),
        "a%20b%26c%2F%C3%A9"
    );
    assert_eq!(eval2("require('querystring').unescape('a%20b%2')"), "a b%2");
    assert_eq!(eval2("require('querystring').parse('x=1', null, null, {decodeURIComponent: function(s){ return s.toUpperCase(); }})"), json!({"X": "1"}));
}

#[test]
fn buffer_module() {
    assert_eq!(
        eval2("Buffer.from('héllo').toString('hex')"),
        "68c3a96c6c6f"
    );
    assert_eq!(
        eval2("Buffer.from('68c3a96c6c6f', 'hex').toString()"),
        "héllo"
    );
    assert_eq!(eval2("Buffer.from('hello').toString('base64')"), "aGVsbG8=");
    assert_eq!(
        eval2("Buffer.from('aGVsbG8', 'base64').toString('utf8')"),
        "hello"
    );
    assert_eq!(
        eval2("Buffer.from([0xfb, 0xff]).toString('base64url')"),
        "-_8"
    );
    assert_eq!(
        eval2("Buffer.from('-_8', 'base64url').toJSON()"),
        json!({"type": "Buffer", "data": [251, 255]})
    );
    assert_eq!(eval2("[Buffer.byteLength('é'), Buffer.byteLength('aGk=', 'base64'), Buffer.alloc(3, 1).length, Buffer.allocUnsafe(2).length]"), json!([2, 2, 3, 2]));
    assert_eq!(
        eval2("Buffer.concat([Buffer.from('a'), Buffer.from('bc')]).toString()"),
        "abc"
    );
    assert_eq!(eval2("[Buffer.compare(Buffer.from('a'), Buffer.from('b')), Buffer.from('x').equals(Buffer.from('x')), Buffer.isBuffer(Buffer.from('')), Buffer.isBuffer('x'), Buffer.isEncoding('hex'), Buffer.isEncoding('nope')]"), json!([-1, true, true, false, true, false]));
    assert_eq!(eval2("(function(){ var b = Buffer.alloc(8); b.writeUInt32BE(0xdeadbeef, 0); b.writeUInt16LE(0x1234, 4); return [b.readUInt32BE(0), b.readUInt16LE(4), b.readUInt8(0), b.readInt8(0), b.slice(0, 2).toString('hex'), b.indexOf(0x34), b.includes(Buffer.from([0xbe, 0xef]))]; })()"), json!([0xdeadbeef_u32, 0x1234, 0xde, -34, "dead", 4, true]));
    assert_eq!(eval2("(function(){ var b = Buffer.alloc(5); var n = b.write('hi', 1); return [n, b.toString('hex'), Buffer.from('abc').toString('utf8', 1, 2)]; })()"), json!([2, "0068690000", "b"]));
    assert_eq!(eval2("require('buffer').Buffer === Buffer"), json!(true));
}

#[test]
fn buffers_are_limited_to_the_function_memory() {
    // spec §4.6: 2 MB of memory per function; ArrayBuffers over it throw.
    assert_eq!(
        eval2("Buffer.alloc(1024 * 1024).length"),
        json!(1024 * 1024)
    );
    let r = run2("function handler(e) { new ArrayBuffer(3 * 1024 * 1024); return e.request; }");
    assert!(
        r.error_message.starts_with(EXECUTION_ERROR),
        "{}",
        r.error_message
    );
}

#[test]
fn text_encoding_and_base64_globals() {
    assert_eq!(
        eval2("Array.from(new TextEncoder().encode('é'))"),
        json!([195, 169])
    );
    assert_eq!(
        eval2("new TextDecoder().decode(new Uint8Array([104, 195, 169]))"),
        "hé"
    );
    assert_eq!(eval2("new TextEncoder().encoding"), "utf-8");
    assert_eq!(eval2("(function(){ try { new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([255])); return 'no'; } catch (e) { return 'threw'; } })()"), "threw");
    assert_eq!(eval2("btoa('hello')"), "aGVsbG8=");
    assert_eq!(eval2("atob('aGVsbG8=')"), "hello");
    assert_eq!(
        eval2("(function(){ try { btoa('€'); return 'no'; } catch (e) { return 'threw'; } })()"),
        "threw"
    );
}

#[test]
fn raw_query_string_helper() {
    assert_eq!(eval2("event.request.rawQueryString()"), "q=1&r=x&r=y");
    let mut ev = request_event();
    ev.request.raw_query = None;
    let r = test::run(&func("function handler(e) { return {statusCode: 200, body: String(e.request.rawQueryString())}; }", Dialect::CloudFrontJs2), &ev);
    assert_eq!(r.output.unwrap()["response"]["body"]["data"], "undefined");
    ev.request.raw_query = Some(String::new());
    let r = test::run(&func("function handler(e) { return {statusCode: 200, body: JSON.stringify(e.request.rawQueryString())}; }", Dialect::CloudFrontJs2), &ev);
    assert_eq!(r.output.unwrap()["response"]["body"]["data"], "\"\"");
    // Not enumerable: it does not show up in the returned request.
    let r = run2(
        "function handler(e) { return {statusCode: 200, body: Object.keys(e.request).join(',')}; }",
    );
    assert_eq!(
        r.output.unwrap()["response"]["body"]["data"],
        "method,uri,querystring,headers,cookies"
    );
}

// === runtimes ===

#[test]
fn runtime_1_0_dialect() {
    assert!(CloudFrontFunction::from_code(
        "t",
        "function handler(e) { let x = 1; return e.request; }",
        Dialect::CloudFrontJs1,
        None,
        BUDGET
    )
    .is_err());
    assert!(CloudFrontFunction::from_code(
        "t",
        "function handler(e) { const x = 1; return e.request; }",
        Dialect::CloudFrontJs2,
        None,
        BUDGET
    )
    .is_ok());
    assert_eq!(
        eval1("[typeof Buffer, typeof TextEncoder, typeof atob, typeof ''.replaceAll]"),
        json!(["undefined", "undefined", "undefined", "undefined"])
    );
    assert_eq!(eval2("[typeof Buffer, typeof TextEncoder, typeof atob, typeof ''.replaceAll, typeof ''.toUTF8]"), json!(["function", "function", "function", "function", "undefined"]));
    assert_eq!(eval1("['é'.toUTF8().length, 'é'.toUTF8().fromUTF8(), 'abc'.toBytes(), '€'.toBytes(), String.bytesFrom('6869', 'hex'), String.bytesFrom([104, 105]), 'aé'.fromBytes()]"), json!([2, "é", "abc", null, "hi", "hi", "aé"]));
    // Template literals and arrow functions are part of 1.0.
    assert_eq!(eval1("[1, 2].map(x => `${x}!`)"), json!(["1!", "2!"]));
    // njs's byte-string encoder (1.0 only).
    assert_eq!(
        eval1("['u:p'.toString('base64'), 'hi'.toString('hex'), '\\u00ff'.toString('base64url'), 'é€'.toString('hex'), 'abc'.toString(), 'é'.toUTF8().toString('hex'), String.bytesFrom('ff', 'hex').toString('hex')]"),
        json!(["dTpw", "6869", "w78", "c3a9e282ac", "abc", "c3a9", "ff"])
    );
    assert_eq!(eval2("'u:p'.toString('base64')"), json!("u:p"));
}

/// spec §4.1: the 1.0 runtime lists its built-ins; the engine's newer ones
/// that njs lacks as well are not there, in 1.0 only.
#[test]
fn runtime_1_0_has_only_its_built_ins() {
    let probe =
        "[typeof Map, typeof Set, typeof WeakMap, typeof Proxy, typeof Reflect, typeof BigInt, \
                 typeof Array.from, typeof [].flat, typeof [].at, typeof Object.fromEntries, \
                 typeof ''.matchAll, typeof ''.at, typeof {}.__defineGetter__]";
    assert_eq!(eval1(probe), json!(vec!["undefined"; 13]));
    let mut v2 = vec!["function"; 13];
    v2[4] = "object"; // Reflect
    assert_eq!(eval2(probe), json!(v2));
    // What the 1.0 list does name is there.
    assert_eq!(
        eval1("[Array.of(1, 2), [1, 2].includes(2), [3].find(function (x) { return x > 2; }), Object.entries({a: 1}), 'ab'.padStart(3, '-'), ' a'.trimStart(), typeof Symbol, typeof Promise.resolve, Object.assign({}, {b: 2})]"),
        json!([[1, 2], true, 3, [["a", 1]], "-ab", "a", "function", "function", {"b": 2}])
    );
}

/// Base64 as njs decodes it for `Buffer.from(s, 'base64')` and
/// `String.bytesFrom` (one alphabet per encoding, stopping at the first
/// character outside it: canarytokens' CloudFront Function relies on it with
/// URL-encoded padding), and as browsers and Node decode it for `atob` (the
/// WHATWG forgiving decode).
#[test]
fn base64_decoding_matches_njs() {
    assert_eq!(
        eval2("[Buffer.from('YR==', 'base64').toString('hex'), Buffer.from('aGV$sbG8', 'base64').toString(), \
               Buffer.from('aGVsbG8=extra', 'base64').toString(), Buffer.from('aGVsbG8', 'base64url').toString(), \
               Buffer.from('a', 'base64').length, Buffer.from(' aG Vs\\nbG8 ', 'base64').toString(), \
               Buffer.from('aGVsbG8%3D%3D', 'base64').toString(), Buffer.from('-_8', 'base64').length, \
               Buffer.from('-_8', 'base64url').toString('hex')]"),
        json!(["61", "he", "hello", "hello", 0, "", "hello", 0, "fbff"])
    );
    assert_eq!(
        eval1(
            "[String.bytesFrom('aGVsbG8%3D', 'base64'), String.bytesFrom('aGVsbG8', 'base64url')]"
        ),
        json!(["hello", "hello"])
    );
    assert_eq!(
        eval2("[atob('YR=='), atob(' aGVs bG8= '), atob(12), atob('aGVsbG8')]"),
        json!(["a", "hello", "\u{d7}", "hello"])
    );
    assert_eq!(
        eval2("['aGVsbG8==', 'a', 'aGV$', '=aGVs'].map(function (s) { try { atob(s); return 'ok'; } catch (e) { return e.name + ' ' + e.code; } })"),
        json!(vec!["InvalidCharacterError 5"; 4])
    );
    assert_eq!(
        eval2("[(function () { try { atob(); } catch (e) { return e.name; } })(), (function () { try { btoa('\u{20ac}'); } catch (e) { return e.name; } })()]"),
        json!(["TypeError", "InvalidCharacterError"])
    );
}

/// 1.0's byte strings (njs's) go into `crypto` as their bytes, text strings
/// as UTF-8 (njs 0.7.9's answers).
#[test]
fn runtime_1_0_byte_strings_hash_as_bytes() {
    let h = |expr: &str| {
        eval1(&format!(
            "require('crypto').createHash('md5').update({expr}).digest('hex')"
        ))
    };
    // 'é' as text is UTF-8 C3 A9; its toUTF8() byte string is the same two bytes.
    assert_eq!(h("'é'"), json!("66ddcd97cfdeabb2f6fb8a999b4bc76f"));
    assert_eq!(h("'é'.toUTF8()"), json!("66ddcd97cfdeabb2f6fb8a999b4bc76f"));
    // A raw digest fed to another hash: its 32 bytes, not their UTF-8.
    assert_eq!(
        eval1("(function () { var c = require('crypto'); var d = c.createHash('sha256').update('a').digest(); \
               return [c.createHash('sha256').update(d).digest('hex'), \
                       c.createHmac('sha256', d).update('x').digest('hex') === c.createHmac('sha256', String.bytesFrom(c.createHash('sha256').update('a').digest('hex'), 'hex')).update('x').digest('hex')]; })()"),
        json!(["bf5d3affb73efd2ec6c36ad3112dd933efed63c4e1cbffcfa88e2759c144f2d8", true])
    );
}

/// Buffer as Node has it (cases from a differential test against Node 20).
#[test]
fn buffer_matches_node() {
    let cases = [
        ("Buffer.from([0xff, 0xff, 0xfe]).readIntBE(0, 3)", json!(-2)),
        ("Buffer.from([0xfe, 0xff, 0xff]).readIntLE(0, 3)", json!(-2)),
        ("(function () { var b = Buffer.alloc(6); b.writeUIntBE(0x123456, 0, 3); b.writeIntLE(-2, 3, 3); return b.toString('hex'); })()", json!("123456feffff")),
        ("Buffer.from('hello').lastIndexOf('l')", json!(3)),
        ("Buffer.from('hello').lastIndexOf(Buffer.from('l'), 2)", json!(2)),
        ("Buffer.from('hello').lastIndexOf(108)", json!(3)),
        ("(function () { var b = Buffer.alloc(2); return [b.write('a\\u20ac'), Array.from(b)]; })()", json!([1, [97, 0]])),
        ("Array.from(Buffer.alloc(3).fill('4142', 1, 'hex'))", json!([0, 65, 66])),
        ("Array.from(Buffer.alloc(2).fill(true))", json!([1, 1])),
        ("Buffer.from('abcdef').compare(Buffer.from('cd'), 0, 2, 2, 4)", json!(0)),
        ("Array.from(Buffer.from(new Uint16Array([1, 256, 513])))", json!([1, 0, 1])),
        ("Array.from(Buffer.from({length: 2, 0: 5, 1: 6}))", json!([5, 6])),
        ("Buffer.from(new String('abc')).toString()", json!("abc")),
        ("Buffer.from('abc').copy(Buffer.alloc(2), 5)", json!(0)),
        ("(function () { try { Buffer.alloc(1).writeUInt8(256, 0); return 'no'; } catch (e) { return e.name; } })()", json!("RangeError")),
        ("(function () { try { Buffer.from([1]).readUIntBE(0, 2); return 'no'; } catch (e) { return e.name; } })()", json!("RangeError")),
        ("Buffer.alloc(2).writeUInt16BE(0xbeef)", json!(2)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval2(expr), want, "{expr}");
    }
}

/// spec §4.1: InternalError in both runtimes, MemoryError in 1.0, like the
/// built-in error types.
#[test]
fn njs_error_types() {
    let probe = "[new InternalError('x').name, InternalError('y').message, \
                 String(new InternalError('z')), new InternalError('x') instanceof Error, \
                 Object.prototype.toString.call(InternalError('x'))]";
    let want = json!([
        "InternalError",
        "y",
        "InternalError: z",
        true,
        "[object Error]"
    ]);
    assert_eq!(eval2(probe), want);
    assert_eq!(eval1(probe), want);
    assert_eq!(eval2("typeof MemoryError"), json!("undefined"));
    assert_eq!(eval1("new MemoryError('m').name"), json!("MemoryError"));
    // Thrown and uncaught: an execution error naming the type.
    let r = run2("function handler(e) { throw new InternalError('boom'); }");
    assert_eq!(
        r.error_message,
        format!("{EXECUTION_ERROR} InternalError: boom")
    );
}

#[test]
fn substr_is_available_in_both_runtimes() {
    // On CloudFront's list of supported ES 5.1 string methods.
    let expr = "['abcdef'.substr(2), 'abcdef'.substr(-3, 2), 'abcdef'.substr(1, 0), 'abc'.substr(5), \
                'abc'.substr(-9, 2), 'abc'.substr(NaN, Infinity), 'abc'.substr(1, -1), String.prototype.substr.call(123, 1)]";
    let want = json!(["cdef", "de", "", "", "ab", "abc", "", "23"]);
    assert_eq!(eval1(expr), want);
    assert_eq!(eval2(expr), want);
}

#[test]
fn async_handlers_are_settled() {
    let r = run2("async function handler(e) { var v = await Promise.resolve('/x'); e.request.uri = v; return e.request; }");
    assert!(r.succeeded(), "{}", r.error_message);
    assert_eq!(r.output.unwrap()["request"]["uri"], "/x");
    let r = run2("async function handler(e) { await null; throw new Error('late'); }");
    assert_eq!(r.error_message, format!("{EXECUTION_ERROR} Error: late"));
    let r = run2("function handler(e) { return new Promise(function(){}); }");
    assert!(
        r.error_message.contains("never settled"),
        "{}",
        r.error_message
    );
}

// === isolation ===

#[test]
fn invocations_are_isolated() {
    let probe = r#"
var topLevel = 0; var held = {n: 0};
function handler(event) {
  var seen = [];
  topLevel++; held.n++;
  if (topLevel > 1) seen.push('top-level var');
  if (held.n > 1) seen.push('top-level object');
  try { if (globalThis.leak) seen.push('globalThis'); globalThis.leak = 1; } catch (e) {}
  try { if (Object.prototype.leak) seen.push('Object.prototype'); Object.prototype.leak = 1; } catch (e) {}
  try { if (JSON.parse.leak) seen.push('JSON.parse'); JSON.parse.leak = 1; } catch (e) {}
  try { if (String.prototype.trim.call(' a ') !== 'a') seen.push('String.prototype.trim'); String.prototype.trim = function () { return 'x'; }; } catch (e) {}
  try { var ip = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())); if (ip.leak) seen.push('%IteratorPrototype%'); ip.leak = 1; } catch (e) {}
  try { var c = require('crypto'); if (c.leak) seen.push('crypto'); c.leak = 1; } catch (e) {}
  try { var hp = Object.getPrototypeOf(require('crypto').createHash('md5')); if (hp.leak) seen.push('Hash.prototype'); hp.leak = 1; } catch (e) {}
  try { if (Array.prototype.leak) seen.push('Array.prototype'); Array.prototype.leak = 1; } catch (e) {}
  try { if (Math.leak) seen.push('Math'); Math.leak = 1; } catch (e) {}
  try { if (Buffer.leak) seen.push('Buffer'); Buffer.leak = 1; } catch (e) {}
  try { if (console.leak) seen.push('console'); console.leak = 1; } catch (e) {}
  try { implicitGlobal = 1; } catch (e) {}
  return {statusCode: 200, body: seen.join(',')};
}"#;
    let f = func(probe, Dialect::CloudFrontJs2);
    for _ in 0..3 {
        let r = test::run(&f, &request_event());
        assert!(r.succeeded(), "{}", r.error_message);
        assert_eq!(
            r.output.unwrap()["response"]["body"]["data"],
            "",
            "state leaked between invocations"
        );
    }
}

#[test]
fn overriding_inherited_methods_still_works() {
    // The "override mistake" is tamed: own properties shadow frozen prototypes.
    assert_eq!(eval2("(function(){ var o = {}; o.toString = function(){ return 'mine'; }; var e = new Error('m'); e.name = 'Custom'; return [String(o), e.name, String(e)]; })()"), json!(["mine", "Custom", "Custom: m"]));
}

// === budgets ===

#[test]
fn runaway_loops_and_recursion_are_throttled_and_the_engine_recovers() {
    // A small instruction limit keeps this quick in debug builds; the rule is the same.
    cfedge::js::set_thread_instruction_limit(1_000_000);
    for code in [
        "function handler(e) { while (true) {} }",
        "function handler(e) { try { while (true) {} } catch (x) { return e.request; } }",
        "function handler(e) { function f(n) { return f(n + 1) + 1; } return f(0); }",
        "function handler(e) { function f() { try { return f(); } catch (x) { return f(); } } return f(); }",
        // Callbacks run by native functions: each frame's loop counter stays
        // low, the instruction budget stops it.
        "function handler(e) { var a = new Array(5000).fill(0); a.forEach(function () { a.forEach(function () {}); }); return e.request; }",
        "function handler(e) { var s = 'a'.repeat(5000); while (true) { s.replace(/a/g, function () { return 'b'; }); } }",
    ] {
        let r = run2(code);
        assert!(r.error_message.starts_with("function throttled"), "{code}: {}", r.error_message);
        let ok = run2("function handler(e) { return e.request; }");
        assert!(ok.succeeded(), "engine unusable after {code}: {}", ok.error_message);
    }
    // Legitimate work well under the limit is not stopped, however many times it runs.
    for _ in 0..200 {
        assert!(run2("function handler(e) { var s = 0; for (var i = 0; i < 1000; i++) { s += i; } return e.request; }").succeeded());
    }
    cfedge::js::set_thread_instruction_limit(cfedge::js::INVOCATION_INSTRUCTION_LIMIT);
}

/// Run `code` at the edge with `budget`: a function that keeps running over
/// its budget is served three times, then throttled (4 of the last 8 over).
fn assert_throttled(code: &str, budget: Duration) {
    let f =
        CloudFrontFunction::from_code("slow", code, Dialect::CloudFrontJs2, None, budget).unwrap();
    for i in 0..3 {
        let r = f.run_event(&request_event(), None, BudgetMode::Enforce);
        assert!(r.result.is_ok(), "invocation {i}: {:?}", r.result);
    }
    let r = f.run_event(&request_event(), None, BudgetMode::Enforce);
    assert!(
        matches!(r.result, Err(FunctionError::Throttled(_))),
        "{:?}",
        r.result
    );
}

#[test]
fn over_budget_invocations_are_throttled_at_the_edge_and_reported_by_the_test_api() {
    // Work that the loop limit does not stop (a loop per callback frame) but
    // that runs far over a 1 ms budget.
    let code = "function handler(e) { var s = 0; for (var j = 0; j < 20; j++) { [1].forEach(function () { for (var i = 0; i < 20000; i++) { s += i; } }); } return e.request; }";
    assert_throttled(code, Duration::from_millis(1));
    let f = CloudFrontFunction::from_code(
        "slow",
        code,
        Dialect::CloudFrontJs2,
        None,
        Duration::from_millis(1),
    )
    .unwrap();
    let r = test::run(&f, &request_event());
    assert!(r.succeeded(), "{}", r.error_message);
    assert_eq!(r.compute_utilization, 100);
}

#[test]
fn a_long_native_regex_call_finishes_and_is_throttled() {
    // Documented limit: a single native call (backtracking regex) cannot be
    // interrupted; it runs to completion and counts as an overrun.
    assert_throttled(
        "function handler(e) { /^(a+)+$/.test('a'.repeat(18) + 'b'); return e.request; }",
        Duration::from_micros(100),
    );
    assert!(run2("function handler(e) { return e.request; }").succeeded());
}

#[test]
fn compute_utilization_is_reported() {
    let f = CloudFrontFunction::from_code(
        "t",
        "function handler(e) { return e.request; }",
        Dialect::CloudFrontJs2,
        None,
        Duration::from_secs(10),
    )
    .unwrap();
    let r = test::run(&f, &request_event());
    assert!(r.compute_utilization <= 1, "{}", r.compute_utilization);
    let j = r.to_json();
    assert!(j["TestResult"]["ComputeUtilization"].is_string());
    assert!(j["TestResult"]["FunctionOutput"].is_string());
    assert_eq!(j["TestResult"]["FunctionErrorMessage"], "");
}

// === key value stores and the cloudfront module ===

fn kvs_func(code: &str) -> CloudFrontFunction {
    let kvs =
        KeyValueStore::parse("s", r#"{"a": "1", "j": "{\"x\": [1, 2]}", "t": "héllo"}"#).unwrap();
    CloudFrontFunction::from_code(
        "k",
        code,
        Dialect::CloudFrontJs2,
        Some(Arc::new(kvs)),
        BUDGET,
    )
    .unwrap()
}

#[test]
fn kvs_reads() {
    let code = r#"import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const out = [];
  out.push(await kvs.get('a'));
  out.push((await kvs.get('j', {format: 'json'})).x[1]);
  out.push((await kvs.get('t', {format: 'bytes'})).length);
  out.push(await kvs.exists('a'));
  out.push(await kvs.exists('nope'));
  out.push((await kvs.meta()).keyCount);
  try { await kvs.get('nope'); out.push('found'); } catch (e) { out.push('missing'); }
  return {statusCode: 200, body: JSON.stringify(out)};
}"#;
    let r = test::run(&kvs_func(code), &request_event());
    assert!(r.succeeded(), "{}", r.error_message);
    let body = r.output.unwrap()["response"]["body"]["data"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!(["1", 2, 6, true, false, 3, "missing"])
    );
    // Without an associated store, cf.kvs() throws.
    let r =
        run2("import cf from 'cloudfront';\nfunction handler(e) { cf.kvs(); return e.request; }");
    assert!(
        r.error_message.contains("key value store"),
        "{}",
        r.error_message
    );
}

#[test]
fn cloudfront_module_helpers() {
    let code = r#"import cf from 'cloudfront';
function handler(event) {
  cf.logCustomData('a b&c');
  cf.updateRequestOrigin({domainName: 'api.example.com', originPath: '/v1'});
  return {statusCode: 200, body: cf.edgeLocation.name + ':' + typeof cf.edgeLocation.serverIp};
}"#;
    let f = func(code, Dialect::CloudFrontJs2);
    let rep = f.run_event(
        &request_event(),
        Some(cfedge::js::EdgeLocation {
            name: "LHR".into(),
            server_ip: "1.1.1.1".into(),
            region: "eu".into(),
        }),
        BudgetMode::Enforce,
    );
    assert!(rep.result.is_ok(), "{:?}", rep.result);
    assert_eq!(rep.custom_log_data.as_deref(), Some("a%20b%26c"));
    assert!(matches!(
        rep.origin,
        Some(cfedge::cloudfront_functions::origin::OriginRequest::Update(
            _
        ))
    ));
    // Origin helpers are viewer-request only; edgeLocation is empty at viewer-response.
    let r = test::run(&f, &response_event());
    assert!(
        r.error_message.starts_with(EXECUTION_ERROR),
        "{}",
        r.error_message
    );
    let r = test::run(&func("import cf from 'cloudfront';\nfunction handler(e) { e.response.statusDescription = JSON.stringify(cf.edgeLocation); return e.response; }", Dialect::CloudFrontJs2), &response_event());
    assert_eq!(r.output.unwrap()["response"]["statusDescription"], "{}");
}

// === results and failures ===

#[test]
fn invalid_results_are_validation_errors() {
    for code in [
        "function handler(e) { return 'x'; }",
        "function handler(e) { return; }",
        "function handler(e) { return {statusCode: '200'}; }",
        "function handler(e) { return {statusCode: 700}; }",
        "function handler(e) { return {statusCode: 200, body: {encoding: 'gzip', data: ''}}; }",
        "function handler(e) { e.request.headers.x = 'notanobject'; return e.request; }",
        "function handler(e) { e.request.uri = 5; return e.request; }",
    ] {
        let r = run2(code);
        assert!(
            r.error_message.starts_with("function validation error"),
            "{code}: {}",
            r.error_message
        );
    }
    let r = test::run(
        &func(
            "function handler(e) { return e.request; }",
            Dialect::CloudFrontJs2,
        ),
        &response_event(),
    );
    assert!(
        r.error_message.starts_with("function validation error"),
        "{}",
        r.error_message
    );
    let r = run2(
        "function handler(e) { return {statusCode: 200, body: {encoding: 'base64', data: '!!'}}; }",
    );
    assert!(
        r.error_message.starts_with("function validation error"),
        "{}",
        r.error_message
    );
}

#[test]
fn failure_kinds_map_to_cloudfront_statuses() {
    use cfedge::error::EdgeError;
    let cases = [
        (
            FunctionError::Execution("x".into()),
            503,
            "FunctionExecutionError from cloudfront",
        ),
        (
            FunctionError::Validation("x".into()),
            502,
            "FunctionValidationError from cloudfront",
        ),
        (
            FunctionError::Throttled("x".into()),
            503,
            "FunctionThrottledError from cloudfront",
        ),
    ];
    for (e, status, x_cache) in cases {
        let a: EdgeError = e.to_edge_error();
        assert_eq!(a.answer().status.as_u16(), status);
        assert_eq!(a.answer().x_cache, x_cache);
    }
}

#[test]
fn test_events_without_event_type_need_the_flag() {
    let ev = json!({"request": {"method": "GET", "uri": "/"}});
    assert!(Event::from_json(&ev, None).is_err());
    assert_eq!(
        Event::from_json(&ev, Some(EventType::ViewerRequest))
            .unwrap()
            .context
            .event_type,
        EventType::ViewerRequest
    );
}

// === config ===

fn config_with(
    dir: &std::path::Path,
    files: &[(&str, &str)],
    extra: &str,
) -> Result<cfedge::config::Config, cfedge::config::ConfigError> {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let toml = format!(
        "[origins.app]\nurl = \"http://127.0.0.1:8080\"\n\n[default_behavior]\ntarget_origin = \"app\"\n{extra}"
    );
    let path = dir.join("cfedge.toml");
    std::fs::write(&path, toml).unwrap();
    cfedge::config::Config::load(&path)
}

#[test]
fn config_loads_functions_with_kvs_and_associations() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with(
        dir.path(),
        &[("f.js", "import cf from 'cloudfront';\nasync function handler(e) { return e.request; }"), ("s.json", r#"{"a": "b"}"#)],
        "function_associations = { viewer_request = \"f\" }\n[functions.f]\nfile = \"f.js\"\nkey_value_store = \"s\"\n[key_value_stores.s]\nfile = \"s.json\"\n",
    )
    .unwrap();
    assert!(cfg
        .default_behavior
        .features
        .viewer_request_function
        .is_some());
    assert_eq!(
        cfg.features.functions.get("f").unwrap().dialect(),
        Dialect::CloudFrontJs2
    );
}

#[test]
fn config_errors_name_the_item_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let e = config_with(
        dir.path(),
        &[("f.js", "function handler(e) {\n  var x = ;\n}")],
        "[functions.f]\nfile = \"f.js\"\n",
    )
    .unwrap_err();
    assert_eq!(e.item, "functions.f");
    assert_eq!(e.line, Some(2));
    assert!(e.column.is_some());
    assert!(e.to_string().contains("f.js:2:"), "{e}");

    let e = config_with(
        dir.path(),
        &[(
            "f.js",
            "function handler(e) { let x = 1; return e.request; }",
        )],
        "[functions.f]\nfile = \"f.js\"\nruntime = \"cloudfront-js-1.0\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("'let'"), "{e}");

    let e = config_with(
        dir.path(),
        &[("f.js", "function handler(e) { return e.request; }")],
        "[functions.f]\nfile = \"f.js\"\nruntime = \"nodejs\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("nodejs"), "{e}");

    let e = config_with(
        dir.path(),
        &[("f.js", "function handler(e) { return e.request; }")],
        "[functions.f]\nfile = \"f.js\"\nkey_value_store = \"nope\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("nope"), "{e}");

    let e = config_with(dir.path(), &[], "[functions.f]\nfile = \"missing.js\"\n").unwrap_err();
    assert!(e.message.contains("missing.js"), "{e}");

    let e = config_with(
        dir.path(),
        &[("f.js", "function handler(e) { return e.request; }")],
        "function_associations = { viewer_request = \"g\" }\n[functions.f]\nfile = \"f.js\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("\"g\""), "{e}");

    let big = format!(
        "function handler(e) {{ return e.request; }}\n//{}",
        "x".repeat(10 * 1024)
    );
    let e = config_with(
        dir.path(),
        &[("big.js", &big)],
        "[functions.f]\nfile = \"big.js\"\n",
    )
    .unwrap_err();
    assert!(e.message.contains("10240"), "{e}");
    let ok = config_with(
        dir.path(),
        &[("big.js", &big)],
        "[functions.f]\nfile = \"big.js\"\n[distribution]\nallow_oversized_functions = true\n",
    );
    assert!(ok.is_ok(), "{:?}", ok.err());

    let e = config_with(
        dir.path(),
        &[("s.json", &format!(r#"{{"k": "{}"}}"#, "v".repeat(2000)))],
        "[key_value_stores.s]\nfile = \"s.json\"\n",
    )
    .unwrap_err();
    assert_eq!(e.item, "key_value_stores.s");
    assert!(e.message.contains("1024"), "{e}");
}

#[test]
fn origin_group_and_select_calls_are_recorded() {
    use cfedge::cloudfront_functions::origin::OriginRequest;
    let f = func(
        "import cf from 'cloudfront';\nfunction handler(e) { cf.createRequestOriginGroup({originIds: [{originId: 'a'}, {originId: 'b'}], failoverCriteria: {statusCodes: [503]}}); return e.request; }",
        Dialect::CloudFrontJs2,
    );
    let rep = f.run_event(&request_event(), None, BudgetMode::Enforce);
    assert!(
        matches!(rep.origin, Some(OriginRequest::Group(_))),
        "{:?}",
        rep.origin
    );
    let f = func(
        "import cf from 'cloudfront';\nfunction handler(e) { cf.updateRequestOrigin({domainName: 'x.example'}); cf.selectRequestOriginById('b', {hostHeader: 'h'}); return e.request; }",
        Dialect::CloudFrontJs2,
    );
    let rep = f.run_event(&request_event(), None, BudgetMode::Enforce);
    // The last call wins.
    assert_eq!(
        rep.origin,
        Some(OriginRequest::Select(
            json!({"originId": "b", "options": {"hostHeader": "h"}})
        ))
    );
}

#[test]
fn json_parse_matches_javascript() {
    // JSON.parse has a native fast path; these are JavaScript's answers.
    let cases = [
        // Numbers parse to the nearest double (found by a differential
        // test against Node: 1 in 6 random doubles came back 1 ulp off).
        (
            "[JSON.parse('0.09946342755232945') === 0.09946342755232945, \
              JSON.parse('[2.2250738585072014e-308]')[0] === 2.2250738585072014e-308, \
              (function () { for (var i = 1; i < 2000; i++) { var x = i / 7919 + i * 1e-13; \
                if (JSON.parse(JSON.stringify(x)) !== x) return x; } return true; })()]",
            json!([true, true, true]),
        ),
        (
            r#"JSON.stringify(JSON.parse('{"a":1,"b":[1,2,{"c":null}],"d":"é\u2028"}'))"#,
            json!("{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":\"é\u{2028}\"}"),
        ),
        (
            r#"Object.keys(JSON.parse('{"b":1,"1":2,"a":3,"0":4}'))"#,
            json!(["0", "1", "b", "a"]),
        ),
        (
            r#"(function () { var o = JSON.parse('{"a":1,"b":2,"a":3}'); return [Object.keys(o), o.a]; })()"#,
            json!([["a", "b"], 3]),
        ),
        (r#"Object.is(JSON.parse('-0'), -0)"#, json!(true)),
        (
            r#"JSON.parse('[-0.5, -0e2, 0.25]').map(String)"#,
            json!(["-0.5", "0", "0.25"]),
        ),
        (
            r#"JSON.parse('123456789012345678901234567890')"#,
            json!(1.2345678901234568e29),
        ),
        (
            r#"(function () { var o = JSON.parse('{"__proto__": 1}'); return [Object.keys(o), Object.getPrototypeOf(o) === Object.prototype]; })()"#,
            json!([["__proto__"], true]),
        ),
        (
            r#"[JSON.parse(' true '), JSON.parse('null'), JSON.parse('"s"'), JSON.parse(' [ ] ').length]"#,
            json!([true, null, "s", 0]),
        ),
        (
            r#"JSON.parse('{"a":[1,2]}', function (k, v) { return typeof v === 'number' ? v * 10 : v; }).a"#,
            json!([10, 20]),
        ),
        (
            r#"JSON.parse({ toString: function () { return '[7]'; } })[0]"#,
            json!(7),
        ),
        (
            r#"[JSON.parse.name, JSON.parse.length]"#,
            json!(["parse", 2]),
        ),
        (
            r#"(function () { var out = []; ['', '{', '{"a":1,}', '[1,]', "{'a':1}", 'undefined', '01'].forEach(function (t) { try { JSON.parse(t); out.push('ok'); } catch (e) { out.push(e.name); } }); return out; })()"#,
            json!([
                "SyntaxError",
                "SyntaxError",
                "SyntaxError",
                "SyntaxError",
                "SyntaxError",
                "SyntaxError",
                "SyntaxError"
            ]),
        ),
        (
            r#"(function () { try { new JSON.parse('1'); return 'constructed'; } catch (e) { return e.name; } })()"#,
            json!("TypeError"),
        ),
    ];
    for (expr, want) in cases {
        assert_eq!(eval2(expr), want, "{expr}");
        assert_eq!(
            eval1(&expr.replace(
                "Object.is(JSON.parse('-0'), -0)",
                "1/JSON.parse('-0') === -Infinity"
            )),
            want,
            "1.0: {expr}"
        );
    }
}

#[test]
fn runtime_2_accepts_syntax_beyond_the_documented_list() {
    // Pinned choice (README fidelity table): no 2.0 syntax is refused beyond
    // what the engine cannot parse, even where CloudFront's list is shorter.
    let v = eval2(
        "(function () { class P { constructor(x) { this.x = x; } get twice() { return this.x * 2; } } \
         var out = []; for (var n of [1, 2]) { out.push(new P(n).twice); } \
         var { a, ...rest } = { a: 1, b: 2 }; var o = null; \
         return [out, a, rest, o?.deep, o ?? 'd', [...'ab']]; })()",
    );
    assert_eq!(v, json!([[2, 4], 1, {"b": 2}, null, "d", ["a", "b"]]));
    // Not provided: undocumented APIs.
    assert_eq!(
        eval2("[typeof crypto, typeof escape, typeof unescape]"),
        json!(["undefined", "undefined", "undefined"])
    );
}

/// The engine reports whether an invocation read anything besides its
/// event: the clock, `Math.random` or the request id (memo.rs).
#[test]
fn invocations_that_read_the_clock_randomness_or_request_id_are_not_deterministic() {
    let deterministic = |body: &str| {
        let code = format!("function handler(e) {{ {body}; return e.request; }}");
        let r = func(&code, Dialect::CloudFrontJs2).run_event(
            &request_event(),
            None,
            BudgetMode::ReportOnly,
        );
        assert!(r.result.is_ok(), "{body}: {:?}", r.result);
        r.deterministic
    };
    for body in [
        "",
        "e.request.uri += 'x'",
        "new Date(0).toISOString()",
        "Date.UTC(2020, 1, 1)",
        "Object.keys(e.context)",
        "e.context.eventType + e.context.distributionId",
        "e.context.requestId = 'mine'",
        "require('crypto').createHash('sha256').update('x').digest('hex')",
    ] {
        assert!(deterministic(body), "{body:?} should be deterministic");
    }
    for body in [
        "Date.now()",
        "new Date()",
        "Date()",
        "Math.random()",
        "e.context.requestId",
        "JSON.stringify(e)",
        "Object.values(e.context)",
        "var c = Object.assign({}, e.context)",
    ] {
        assert!(!deterministic(body), "{body:?} should not be deterministic");
    }
    // The accessor still answers, and assignments still work.
    let r = run2("function handler(e) { var a = e.context.requestId; e.context.requestId = 'x'; \
                  return {statusCode: 200, headers: {'x-a': {value: a}, 'x-b': {value: e.context.requestId}}}; }");
    let out = serde_json::to_string(&r.output).unwrap();
    assert!(out.contains("req-1") && out.contains("\"x\""), "{out}");
    // Math.random is still the engine's.
    let r = run2("function handler(e) { var x = Math.random(); if (!(x >= 0 && x < 1) || Math.random.name !== 'random') throw new Error('bad'); return e.request; }");
    assert!(r.succeeded(), "{}", r.error_message);
}

/// At the edge a deterministic invocation is replayed for an identical
/// event (same report, down to its measured time); a nondeterministic one,
/// a changed event, or `memoize = false` runs again.
#[test]
fn deterministic_invocations_are_replayed_at_the_edge() {
    let other_request = |uri: &str, id: &str| {
        let mut ev = request_event();
        ev.request.uri = uri.into();
        ev.context.request_id = id.into();
        ev
    };
    let run = |f: &CloudFrontFunction, ev: &Event| f.run_event(ev, None, BudgetMode::Enforce);
    let logging = func(
        "function handler(e) { console.log('saw ' + e.request.uri); return e.request; }",
        Dialect::CloudFrontJs2,
    );
    let first = run(&logging, &other_request("/a", "r1"));
    let again = run(&logging, &other_request("/a", "r2"));
    assert_eq!(again.elapsed, first.elapsed, "replayed");
    assert_eq!(again.logs, vec!["saw /a".to_owned()]);
    assert_eq!(again.result, first.result);
    let other = run(&logging, &other_request("/b", "r3"));
    assert_eq!(other.logs, vec!["saw /b".to_owned()]);
    // Reading the request id: runs every time, and sees its own id.
    let ids = func(
        "function handler(e) { console.log(e.context.requestId); return e.request; }",
        Dialect::CloudFrontJs2,
    );
    assert_eq!(run(&ids, &other_request("/a", "r1")).logs, vec!["r1"]);
    assert_eq!(run(&ids, &other_request("/a", "r2")).logs, vec!["r2"]);
    // Switched off: every invocation runs.
    let off = func(
        "function handler(e) { return e.request; }",
        Dialect::CloudFrontJs2,
    )
    .with_memoize(false);
    let times: Vec<_> = (0..5)
        .map(|_| run(&off, &other_request("/a", "r")).elapsed)
        .collect();
    assert!(times.windows(2).any(|w| w[0] != w[1]), "{times:?}");
    // TestFunction never replays.
    let first = logging.run_event(&other_request("/a", "r1"), None, BudgetMode::ReportOnly);
    let again = logging.run_event(&other_request("/a", "r1"), None, BudgetMode::ReportOnly);
    assert_ne!(first.elapsed, again.elapsed);
}

/// `TestFunction` only fails on what the test API catches (spec §4.7: not
/// a changed read-only header); every other result the edge answers with a
/// 502 is reported beside it, as `edge_error`.
#[test]
fn test_results_report_what_the_edge_would_reject() {
    // (change to the request, whether the edge rejects it)
    let cases = [
        ("r.headers['X-Custom'] = {value: '1'};", true),
        ("r.headers['x-cache'] = {value: 'x'};", true),
        ("r.method = 'POST';", true),
        ("r.uri = 'index.html';", true),
        ("r.headers.host = {value: 'other.example'};", true),
        ("delete r.headers.host;", true),
        ("r.querystring = 'a=1#frag';", true),
        ("r.headers['x-ok'] = {value: 'bad\\nvalue'};", true),
        // More header lines than any request can hold: a 502, not a panic.
        (
            "for (var i = 0; i < 9000; i++) r.headers['x-' + i] = {value: 'v'};",
            true,
        ),
        ("r.headers['x-custom'] = {value: '1'};", false),
        ("r.uri = '/index.html';", false),
        ("r.querystring = 'a=1&b=2';", false),
        ("r.cookies.n = {value: 'v'};", false),
        // The origin helpers' arguments, as the edge checks them.
        ("cf.updateRequestOrigin({domainName: '127.0.0.1'});", true),
        (
            "cf.updateRequestOrigin({domainName: 'o.example', customHeaders: {'X-Up': '1'}});",
            true,
        ),
        (
            "cf.updateRequestOrigin({domainName: 'o.example', customHeaders: {accept: '1'}});",
            true,
        ),
        (
            "cf.updateRequestOrigin({domainName: 'o.example', customHeaders: {'x-mine': '1'}});",
            false,
        ),
    ];
    for (change, rejected) in cases {
        let r = run2(&format!(
            "import cf from 'cloudfront';\nfunction handler(event) {{ var r = event.request; {change} return r; }}"
        ));
        assert!(r.succeeded(), "{change}: {}", r.error_message);
        assert_eq!(
            r.edge_error.is_some(),
            rejected,
            "{change}: {:?}",
            r.edge_error
        );
    }
    // viewer-response: the response's read-only headers; a request is no answer.
    let f = func(
        "function handler(event) { var r = event.response; r.headers.via = {value: '1.1 me'}; return r; }",
        Dialect::CloudFrontJs2,
    );
    assert!(test::run(&f, &response_event()).edge_error.is_some());
    let f = func(
        "function handler(event) { return event.request; }",
        Dialect::CloudFrontJs2,
    );
    let r = test::run(&f, &response_event());
    assert!(!r.succeeded(), "{r:?}");
}

/// The edge hides disallowed headers from functions (spec §3.3); a test
/// event may still carry one, and passing it back unchanged is no addition.
#[test]
fn a_disallowed_header_in_a_test_event_may_pass_through_unchanged() {
    let event = Event::from_json(
        &json!({
            "version": "1.0",
            "context": {"eventType": "viewer-request"},
            "viewer": {"ip": "1.2.3.4"},
            "request": {"method": "GET", "uri": "/ws", "querystring": {}, "cookies": {},
                        "headers": {"host": {"value": "example.com"}, "upgrade": {"value": "websocket"}}}
        }),
        None,
    )
    .unwrap();
    let f = func(
        "function handler(event) { return event.request; }",
        Dialect::CloudFrontJs2,
    );
    let r = test::run(&f, &event);
    assert!(r.succeeded() && r.edge_error.is_none(), "{r:?}");
    let f = func(
        "function handler(event) { event.request.headers.upgrade = {value: 'h2c'}; return event.request; }",
        Dialect::CloudFrontJs2,
    );
    let r = test::run(&f, &event);
    assert!(r.edge_error.is_some(), "{r:?}");
}

/// JSON nests at most 31 levels, as njs's (its NJS_JSON_MAX_DEPTH of 32
/// includes a wrapper); deeper values, cycles and deeply nested arrays get
/// an error, never a native stack overflow (which would abort the process).
/// Run on a thread with the proxy workers' stack.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    std::thread::Builder::new()
        .stack_size(cfedge::js::JS_THREAD_STACK_BYTES)
        .spawn(|| {
            let probe = "(function () {
                function text(n) { return '['.repeat(n) + ']'.repeat(n); }
                function deep(n) { var v = []; for (var i = 0; i < n; i++) v = [v]; return v; } // n + 1 levels
                function t(f) { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } }
                var cyc = {a: [1]}; cyc.a.push(cyc);
                return [t(function () { JSON.parse(text(31)); }), t(function () { JSON.parse(text(32)); }),
                        t(function () { JSON.parse(text(1000)); }),
                        t(function () { JSON.stringify(deep(30)); }), t(function () { JSON.stringify(deep(31)); }),
                        t(function () { JSON.stringify(deep(30000)); }), t(function () { JSON.stringify(cyc); }),
                        Object.is(JSON.parse('-0'), -0), JSON.parse('{\"a\":[1,{\"b\":2}]}', function (k, v) { return v === 2 ? 3 : v; }).a[1].b];
            })()";
            let too_deep = "TypeError: Nested too deep or a cyclic structure";
            for v in [eval2(probe), eval1(probe)] {
                assert_eq!(v[0], "ok");
                assert_eq!(v[1], "SyntaxError: Nested too deep");
                assert!(v[2].as_str().unwrap().starts_with("SyntaxError"), "{v}");
                assert_eq!(v[3], "ok");
                assert_eq!(v[4], too_deep);
                assert_eq!(v[5], too_deep);
                assert_eq!(v[6], too_deep);
                assert_eq!(v[7], true);
                assert_eq!(v[8], 3);
            }
            // Values whose nesting only shows while serialized (toJSON, getters,
            // proxies, a replacer) are serialized in JavaScript: the same text
            // as the engine's own, and the same bound.
            let same = "(function () {
                var values = [{a: [1, 'x', null, true, {b: undefined, c: function () {}}], d: new Date(0)},
                              [undefined, function () {}, Symbol('s'), NaN, -0, 1e21],
                              {s: new String('s'), n: new Number(2), t: new Boolean(false), e: {}, f: []},
                              {get g() { return {h: [1, 2]}; }, i: {toJSON: function (k) { return 'key ' + k; }}},
                              new Proxy({p: [1, {q: 2}]}, {})];
                var ok = [];
                for (var i = 0; i < values.length; i++) {
                    [undefined, 2, '--', '0123456789abc'].forEach(function (space) {
                        ok.push(JSON.stringify(values[i], function (k, v) { return v; }, space)
                            === JSON.stringify(values[i], null, space));
                    });
                }
                var deep = {toJSON: function () { var v = []; for (var j = 0; j < 30000; j++) v = [v]; return v; }};
                var cyc = {get self() { return cyc; }};
                function t(f) { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } }
                return [ok.every(Boolean), JSON.stringify({a: [1, 2]}, ['a']), t(function () { JSON.stringify(deep); }),
                        t(function () { JSON.stringify(cyc); })];
            })()";
            for v in [eval2(same), eval1(same.replace("new Proxy({p: [1, {q: 2}]}, {})", "{}").as_str())] {
                assert_eq!(v[0], true, "{v}");
                assert_eq!(v[1], "{\"a\":[1,2]}");
                assert_eq!(v[2], too_deep);
                assert_eq!(v[3], too_deep);
            }
            // console.log of such a value logs its string form.
            let r = run2("function handler(event) { var v = {}; for (var i = 0; i < 30000; i++) v = {a: v}; console.log(v); return event.request; }");
            assert_eq!(r.logs, vec!["[object Object]".to_owned()], "{r:?}");
            // Nested arrays joined by recursion: stopped, and the next invocation runs.
            let f = func(
                "function handler(event) { var v = []; for (var i = 0; i < 30000; i++) v = [v]; return {statusCode: 200, body: String(v)}; }",
                Dialect::CloudFrontJs2,
            );
            assert!(!test::run(&f, &request_event()).succeeded());
            let f = func(
                "function handler(event) { var v = []; for (var i = 0; i < 30000; i++) v = [v]; return {statusCode: 200, body: v.toLocaleString() + v.flat(Infinity).length}; }",
                Dialect::CloudFrontJs2,
            );
            assert!(!test::run(&f, &request_event()).succeeded());
            assert_eq!(eval2("String([[1, [2]], 3])"), "1,2,3");
            assert_eq!(eval2("[[1, [2]], 3].toLocaleString()"), "1,2,3");
            assert_eq!(eval2("[[1, [2, [3]]], 4].flat(Infinity)"), json!([1, 2, 3, 4]));
            // Arrays whose own toString is join, and absurd lengths: errors.
            let f = func(
                "function handler(event) { var v = []; for (var i = 0; i < 30000; i++) { v = [v]; v.toString = Array.prototype.join; } return {statusCode: 200, body: String(v)}; }",
                Dialect::CloudFrontJs2,
            );
            assert!(!test::run(&f, &request_event()).succeeded());
            let huge = "(function () { var a = []; a.length = 4294967295; function t(f) { try { f(); return 'ok'; } catch (e) { return e.name; } }
                return [t(function () { a.join(); }), t(function () { JSON.stringify(a); }), t(function () { JSON.stringify({a: a}, function (k, v) { return v; }); }),
                        t(function () { Array.prototype.join.call({length: 1e15}); }), [1, 2].join('-')]; })()";
            assert_eq!(eval2(huge), json!(["RangeError", "RangeError", "RangeError", "RangeError", "1-2"]));
            // Source nested deeper than the parser can take: a load error.
            let nested = format!("function handler(event) {{ return {}1{}; }}", "(".repeat(300), ")".repeat(300));
            let e = CloudFrontFunction::from_code("t", &nested, Dialect::CloudFrontJs2, None, BUDGET)
                .expect_err("nested");
            assert!(e.to_string().contains("nested more than"), "{e}");
            // A prototype cycle through a proxy: refused when it is made.
            assert_eq!(
                eval2("(function () { var o = {}, out = [];
                    function t(f) { try { return String(f()); } catch (e) { return e.name; } }
                    out.push(t(function () { Object.setPrototypeOf(o, new Proxy(o, {})); return o.y; }));
                    out.push(t(function () { o.__proto__ = new Proxy(o, {}); return o.y; }));
                    out.push(t(function () { Reflect.setPrototypeOf(o, Proxy.revocable(o, {}).proxy); return o.y; }));
                    out.push(t(function () { return Object.create(new Proxy({x: 1}, {})).x; }));
                    out.push(t(function () { return Proxy({}, {}); }));
                    out.push([Proxy.name, Proxy.length, 'prototype' in Proxy].join());
                    return out; })()"),
                json!(["TypeError", "TypeError", "TypeError", "1", "TypeError", "Proxy,2,false"])
            );
            // boa 0.22 panics on this one; the engine is spared.
            assert_eq!(
                eval2("['abc'.at(-1e20), 'abc'.at(-1), 'abc'.at(1e20), 'abc'.at(), String.prototype.at.length, String.prototype.at.name]"),
                json!([null, "c", null, "a", 1, "at"])
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

/// A name declared twice in one function body is a load error (ECMA-262's
/// early error, which njs and Node.js apply and boa 0.22 does not in
/// function bodies), with the line of the second declaration; what the
/// language allows still loads.
#[test]
fn redeclarations_in_a_function_body_are_syntax_errors() {
    let load = |body: &str| {
        CloudFrontFunction::from_code(
            "t",
            &format!("function handler(event) {{\n  {body}\n  return event.request;\n}}"),
            Dialect::CloudFrontJs2,
            None,
            BUDGET,
        )
    };
    for body in [
        "const r = 1;\n  const r = 2;",
        "let r = 1;\n  var r = 2;",
        "var r = 1;\n  let r = 2;",
        "let r;\n  function r() {}",
        "const r = 1;\n  if (r) { var r = 2; }",
    ] {
        let e = load(body).expect_err(body).to_string();
        assert!(
            e.contains("'r' has already been declared") && e.contains("line 3"),
            "{body}: {e}"
        );
    }
    for body in [
        "var r = 1;\n  var r = 2;",
        "function r() {}\n  var r;",
        "let r = 1;\n  { let r = 2; }",
        "let r = 1;\n  function g() { let r = 2; return r; }",
        "try { throw 1; } catch (e) { var e; }",
    ] {
        assert!(load(body).is_ok(), "{body}");
    }
}

/// A generated response cannot carry framing or other read-only headers,
/// nor an interim (1xx) status: the edge's 502, never a broken connection.
#[test]
fn generated_responses_with_framing_headers_or_interim_statuses_are_rejected() {
    for result in [
        "{statusCode: 200, headers: {'transfer-encoding': {value: 'chunked'}}}",
        "{statusCode: 200, headers: {'content-length': {value: '3'}}, body: 'abc'}",
        "{statusCode: 100}",
        "{statusCode: 302, headers: {location: {value: '/x'}}}",
    ] {
        let r = run2(&format!("function handler(event) {{ return {result}; }}"));
        let rejected = !r.succeeded() || r.edge_error.is_some();
        assert_eq!(rejected, !result.contains("302"), "{result}: {r:?}");
    }
}
