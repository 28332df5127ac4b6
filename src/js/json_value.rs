//! JSON values into JS and back with boa's object API (js-engine-notes §3):
//! the same values as boa's `JsValue::from_json` / `JsValue::to_json`, at a
//! fraction of the cost. Used for the Lambda@Edge event and result, and for
//! both runtimes' `JSON.parse` (`nesting`).
//!
//! - objects are created on the context's root *shared* shape and filled with
//!   `insert_property`, so every event of one shape reuses the same shape
//!   transitions (boa's `from_json` gives each object a unique shape, a
//!   hash table of its own);
//! - the keys every event carries (`key`, `value`, `headers`, ...) are static
//!   strings, not one allocation per occurrence;
//! - strings are read back with one bulk conversion instead of boa's
//!   escaping formatter, which writes one `char` at a time.
//!
//! A result is read as `JSON.stringify` reads it, which is how the Node.js
//! Lambda runtime hands a result to CloudFront. Plain data (ordinary objects
//! and arrays with data properties, strings, numbers, booleans, null) is
//! read directly: `undefined` properties dropped, holes and `undefined` in
//! arrays as `null`, symbol keys skipped, an error on cycles and BigInts.
//! Anything else (a getter, a `toJSON` such as a `Date`'s, a boxed
//! primitive, a typed array, a proxy, a function) sends the whole value
//! through the realm's `JSON.stringify`. One difference: a lone UTF-16
//! surrogate in a string becomes U+FFFD (as Node.js does when it serializes
//! a result); in a value that goes through `JSON.stringify`, it is an error.

use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::object::builtins::JsArray;
use boa_engine::object::ObjectInitializer;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::string::JsStrVariant;
use boa_engine::{
    js_string, Context, JsNativeError, JsObject, JsResult, JsString, JsValue, JsVariant,
};
use serde_json::{Map, Value};

/// How deeply `json` nests arrays and objects (a scalar is 0).
pub fn depth(json: &Value) -> usize {
    match json {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Build the JS value of `json`.
pub fn to_js(json: &Value, ctx: &mut Context) -> JsValue {
    match json {
        Value::Null => JsValue::null(),
        Value::Bool(b) => JsValue::new(*b),
        Value::Number(n) => match n.as_i64().and_then(|i| i32::try_from(i).ok()) {
            Some(i) => JsValue::new(i),
            // serde_json numbers always have an f64 form (no arbitrary precision).
            None => JsValue::new(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => JsString::from(s.as_str()).into(),
        Value::Array(items) => {
            let values: Vec<JsValue> = items.iter().map(|v| to_js(v, ctx)).collect();
            JsArray::from_iter(values, ctx).into()
        }
        Value::Object(map) => {
            let o = ObjectInitializer::with_native_data(OrdinaryObject, ctx).build();
            for (k, v) in map {
                let v = to_js(v, ctx);
                o.insert_property(
                    key(k),
                    PropertyDescriptor::builder()
                        .value(v)
                        .writable(true)
                        .enumerable(true)
                        .configurable(true),
                );
            }
            o.into()
        }
    }
}

/// A property key, static for the names every Lambda@Edge event uses.
fn key(k: &str) -> JsString {
    match k {
        "key" => js_string!("key"),
        "value" => js_string!("value"),
        "headers" => js_string!("headers"),
        "Records" => js_string!("Records"),
        "cf" => js_string!("cf"),
        "config" => js_string!("config"),
        "request" => js_string!("request"),
        "response" => js_string!("response"),
        "clientIp" => js_string!("clientIp"),
        "method" => js_string!("method"),
        "uri" => js_string!("uri"),
        "querystring" => js_string!("querystring"),
        "origin" => js_string!("origin"),
        "body" => js_string!("body"),
        "status" => js_string!("status"),
        "statusDescription" => js_string!("statusDescription"),
        "distributionDomainName" => js_string!("distributionDomainName"),
        "distributionId" => js_string!("distributionId"),
        "eventType" => js_string!("eventType"),
        "requestId" => js_string!("requestId"),
        "host" => js_string!("host"),
        "user-agent" => js_string!("user-agent"),
        "accept" => js_string!("accept"),
        "accept-encoding" => js_string!("accept-encoding"),
        "accept-language" => js_string!("accept-language"),
        "cookie" => js_string!("cookie"),
        "content-type" => js_string!("content-type"),
        "content-length" => js_string!("content-length"),
        other => JsString::from(other),
    }
}

/// A JS string as Rust text: ASCII and Latin-1 copied in bulk, UTF-16
/// decoded with lone surrogates as U+FFFD.
pub fn rust_string(s: &JsString) -> String {
    match s.as_str().variant() {
        JsStrVariant::Latin1(bytes) => match std::str::from_utf8(bytes) {
            Ok(ascii) if bytes.is_ascii() => ascii.to_owned(),
            _ => bytes.iter().map(|&b| char::from(b)).collect(),
        },
        JsStrVariant::Utf16(units) => String::from_utf16_lossy(units),
    }
}

/// Read `value` back as JSON; `None` for `undefined`.
pub fn from_js(value: &JsValue, ctx: &mut Context) -> JsResult<Option<Value>> {
    let mut ancestors = Vec::new();
    match read(value, ctx, &mut ancestors)? {
        Read::Done(v) => Ok(v),
        Read::Stringify => via_stringify(value, ctx),
    }
}

/// What reading a value directly gave.
enum Read {
    Done(Option<Value>),
    /// Something only `JSON.stringify` reads faithfully.
    Stringify,
}

fn type_error(msg: &'static str) -> boa_engine::JsError {
    JsNativeError::typ().with_message(msg).into()
}

/// `value` through the realm's `JSON.stringify`, then serde_json.
fn via_stringify(value: &JsValue, ctx: &mut Context) -> JsResult<Option<Value>> {
    let json = ctx.intrinsics().objects().json();
    let stringify = json.get(js_string!("stringify"), ctx)?;
    let f = stringify
        .as_callable()
        .ok_or_else(|| type_error("JSON.stringify is not a function"))?;
    let text = f.call(&json.into(), std::slice::from_ref(value), ctx)?;
    let Some(text) = text.as_string() else {
        return Ok(None);
    };
    serde_json::from_str(&rust_string(&text))
        .map(Some)
        .map_err(|e| JsNativeError::typ().with_message(e.to_string()).into())
}

fn read(value: &JsValue, ctx: &mut Context, ancestors: &mut Vec<JsObject>) -> JsResult<Read> {
    Ok(Read::Done(Some(match value.variant() {
        JsVariant::Null => Value::Null,
        JsVariant::Undefined => return Ok(Read::Done(None)),
        JsVariant::Boolean(b) => Value::Bool(b),
        JsVariant::String(s) => Value::String(rust_string(&s)),
        JsVariant::Float64(f) => Value::from(f),
        JsVariant::Integer32(i) => Value::from(i),
        JsVariant::BigInt(_) => return Err(type_error("cannot convert bigint to JSON")),
        // A symbol value is dropped as a property and `null` in an array.
        JsVariant::Symbol(_) => return Ok(Read::Stringify),
        JsVariant::Object(obj) => {
            if ancestors.iter().any(|a| JsObject::equals(a, &obj)) {
                return Err(type_error("cyclic object value"));
            }
            // As deep as the runtime's JSON.stringify goes (js::nesting).
            if ancestors.len() >= super::nesting::NODE.max_depth {
                return Err(JsNativeError::range()
                    .with_message("Maximum call stack size exceeded")
                    .into());
            }
            ancestors.push(obj.clone());
            let out = read_object(&obj, ctx, ancestors);
            ancestors.pop();
            return out;
        }
    })))
}

fn read_object(obj: &JsObject, ctx: &mut Context, ancestors: &mut Vec<JsObject>) -> JsResult<Read> {
    let plain = (obj.is::<OrdinaryObject>() || obj.is_array()) && !obj.is_callable();
    if !plain || obj.has_property(js_string!("toJSON"), ctx)? {
        return Ok(Read::Stringify);
    }
    if obj.is_array() {
        let len = obj.get(js_string!("length"), ctx)?.to_length(ctx)?;
        // Each element takes a byte at least: a longer array cannot fit a
        // Lambda@Edge result (1 MB at most).
        if len > 1 << 20 {
            return Err(JsNativeError::range()
                .with_message("Invalid string length")
                .into());
        }
        let mut arr = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 16));
        for i in 0..u32::try_from(len).unwrap_or(u32::MAX) {
            let key = PropertyKey::from(i);
            let v = match super::own_data_value(obj, &key) {
                Some(v) => v,
                None if obj.has_own_property(key, ctx)? => return Ok(Read::Stringify),
                None => JsValue::null(),
            };
            match read(&v, ctx, ancestors)? {
                Read::Done(v) => arr.push(v.unwrap_or(Value::Null)),
                Read::Stringify => return Ok(Read::Stringify),
            }
        }
        return Ok(Read::Done(Some(Value::Array(arr))));
    }
    let keys = obj.own_property_keys(ctx)?;
    let mut map = Map::with_capacity(keys.len());
    for k in keys {
        let name = match &k {
            PropertyKey::String(s) => rust_string(s),
            PropertyKey::Index(i) => i.get().to_string(),
            PropertyKey::Symbol(_) => continue,
        };
        let Some(desc) = obj.borrow().properties().get(&k) else {
            continue;
        };
        if desc.is_accessor_descriptor() {
            return Ok(Read::Stringify);
        }
        if desc.enumerable() != Some(true) {
            continue;
        }
        let v = desc.value().cloned().unwrap_or_default();
        match read(&v, ctx, ancestors)? {
            Read::Done(Some(v)) => {
                map.insert(name, v);
            }
            Read::Done(None) => {}
            Read::Stringify => return Ok(Read::Stringify),
        }
    }
    Ok(Read::Done(Some(Value::Object(map))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use boa_engine::Source;
    use serde_json::json;

    fn eval(src: &str, ctx: &mut Context) -> JsValue {
        ctx.eval(Source::from_bytes(src)).unwrap()
    }

    /// Reading gives what boa's `to_json` gives (the validation rules'
    /// input must not change), for the shapes handlers return.
    #[test]
    fn reading_matches_json_stringify() {
        let mut ctx = crate::js::lambda_runtime::lambda_context().unwrap();
        for src in [
            "({ uri: '/a', headers: { host: [{ key: 'Host', value: 'x' }] }, n: 1, f: 1.5, b: true, z: null })",
            "({ u: undefined, arr: [1, undefined, , 'x'], nested: { a: { b: [] } } })",
            "({ 2: 'two', 1: 'one', name: 'n' })",
            "(() => { class R { constructor() { this.status = '200'; } get extra() { return 1; } } return new R(); })()",
            "(() => { const o = {}; Object.defineProperty(o, 'g', { get() { return 1; }, enumerable: true }); o.v = 'x'; return o; })()",
            "(() => { const o = { a: 1 }; Object.defineProperty(o, 'hidden', { value: 2, enumerable: false }); return o; })()",
            "({ e: new TypeError('boom'), u8: new Uint8Array([1, 2]) })",
            "({ fn: function named(a) {} })",
            "({ arrow: () => 1 })",
            "({ s: 'caf\\u00e9 \\u2713', empty: '' })",
            "[1, 'a', { b: 2 }]",
            "'text'",
            "42",
            "null",
            // Read through JSON.stringify: toJSON, getters, symbols, boxes.
            "({ expires: new Date(0), n: new Number(3), s: [Symbol('x')] })",
            "({ get status() { return '204'; }, [Symbol('trace')]: 1, ok: 'yes' })",
            "[{ toJSON() { return 'custom'; } }, () => 1]",
        ] {
            let v = eval(src, &mut ctx);
            let text = eval(&format!("JSON.stringify({src})"), &mut ctx);
            let expected = text
                .as_string()
                .map(|t| serde_json::from_str::<Value>(&t.to_std_string_escaped()).unwrap());
            assert_eq!(from_js(&v, &mut ctx).unwrap(), expected, "{src}");
        }
        let v = eval("undefined", &mut ctx);
        assert_eq!(from_js(&v, &mut ctx).unwrap(), None);
    }

    #[test]
    fn cycles_and_bigints_are_errors() {
        let mut ctx = crate::js::lambda_runtime::lambda_context().unwrap();
        for src in [
            "(() => { const o = { a: {} }; o.a.back = o; return o; })()",
            "({ big: 1n })",
        ] {
            let v = eval(src, &mut ctx);
            assert!(from_js(&v, &mut ctx).is_err(), "{src}");
        }
        // The same object twice, not in a cycle, is fine.
        let v = eval(
            "(() => { const h = [{ key: 'A', value: 'b' }]; return { x: h, y: h }; })()",
            &mut ctx,
        );
        assert_eq!(
            from_js(&v, &mut ctx).unwrap(),
            Some(json!({"x": [{"key": "A", "value": "b"}], "y": [{"key": "A", "value": "b"}]}))
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let mut ctx = crate::js::lambda_runtime::lambda_context().unwrap();
        let v = eval("'a\\ud800b'", &mut ctx);
        assert_eq!(from_js(&v, &mut ctx).unwrap(), Some(json!("a\u{fffd}b")));
    }

    /// Building gives the same JS values as boa's `from_json`, seen from JS.
    #[test]
    fn building_matches_boa_from_json() {
        let mut ctx = crate::js::lambda_runtime::lambda_context().unwrap();
        let event = json!({"Records": [{"cf": {
            "config": {"eventType": "viewer-request", "requestId": "r"},
            "request": {
                "clientIp": "203.0.113.9", "method": "GET", "uri": "/é", "querystring": "",
                "headers": {"host": [{"key": "Host", "value": "example.com"}],
                            "x-n": [{"key": "X-N", "value": "1"}, {"key": "X-N", "value": "2"}]},
                "body": {"inputTruncated": false, "data": ""},
            },
        }}], "n": 3_000_000_000u64, "i": -5, "f": 0.5, "t": true, "z": null, "7": "seven"});
        let probe = eval(
            "(e) => JSON.stringify([e, Object.keys(e), Object.keys(e.Records[0].cf.request), Array.isArray(e.Records), typeof e.n, Object.getPrototypeOf(e) === Object.prototype, Object.isExtensible(e), Object.getOwnPropertyDescriptor(e, 'i')])",
            &mut ctx,
        );
        let probe = probe.as_callable().unwrap();
        let ours = to_js(&event, &mut ctx);
        let boas = JsValue::from_json(&event, &mut ctx).unwrap();
        let a = probe
            .call(&JsValue::undefined(), &[ours], &mut ctx)
            .unwrap();
        let b = probe
            .call(&JsValue::undefined(), &[boas], &mut ctx)
            .unwrap();
        assert_eq!(
            a.to_string(&mut ctx).unwrap(),
            b.to_string(&mut ctx).unwrap()
        );
    }
}
