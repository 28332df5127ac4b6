//! Nesting bounds for the engine's natively recursive built-ins.
//!
//! boa's `JSON.parse` (its script parser), `JSON.stringify` and
//! `Array.prototype.join` (through each element's `toString`) recurse on the
//! thread's native stack, one or more frames per level of nesting, and a
//! native stack overflow aborts the whole process. No runtime limit of boa's
//! sees that recursion, so each runtime installs, in every realm,
//! `nesting.js`:
//!
//! - `JSON.parse` parses with serde_json (whose own limit is 128 levels) and
//!   then applies the runtime's depth limit; boa's parse only applies a
//!   reviver to a text this one accepted. It is also several times faster
//!   than boa's (about a tenth of a JWT check's time).
//! - `JSON.stringify` first walks the value's own data properties (no
//!   getter, proxy trap or `toJSON` runs) and refuses one nested past the
//!   limit, or cyclic, with the runtime's error. A value holding a getter, a
//!   proxy or a `toJSON`, or a call with a replacer function, whose nesting
//!   only shows while it is serialized, goes through `JSON.stringify` as
//!   ECMA-262 writes it, in JavaScript (`nesting.js`), whose recursion the
//!   engine's recursion limit bounds.
//! - `Array.prototype.toString` and `toLocaleString` get a JavaScript frame,
//!   so nested arrays count against boa's recursion limit (`RECURSION_LIMIT`
//!   of each runtime); `flat` refuses, with a RangeError, an array nested
//!   more than 5,000 levels when asked to flatten more than one.
//!
//! - Setting a prototype (`Object.setPrototypeOf`, `Reflect.setPrototypeOf`,
//!   `__proto__`) that leads back to the object through a proxy's target is
//!   refused, as an ordinary cycle is (boa's property lookup would follow it
//!   without end); the `Proxy` constructor remembers each proxy's target.
//!
//! Long prototype or proxy chains are not bounded (boa's property lookup
//! recurses along them); reaching the end of the stack through those takes
//! a hundred thousand links or more, built on purpose. The threads that run JavaScript get
//! [`JS_THREAD_STACK_BYTES`] of stack for that margin.

use boa_engine::object::builtins::JsArray;
use boa_engine::{
    js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsValue, NativeFunction, Source,
};

use super::json_value;

/// Stack for every thread that runs JavaScript (proxy workers, Lambda@Edge
/// workers): address space reserved, touched only as deep as code goes.
pub const JS_THREAD_STACK_BYTES: usize = 32 * 1024 * 1024;

/// The SyntaxError `JSON.parse` throws past a runtime's `max_depth`: njs's
/// text. Only CloudFront Functions' limit (31) is below serde_json's own
/// (128), whose message Lambda@Edge gets instead.
const PARSE_TOO_DEEP: &str = "Nested too deep";

/// A runtime's JSON rules.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Deepest nesting of arrays and objects `JSON.parse` and
    /// `JSON.stringify` accept.
    pub max_depth: usize,
    /// The error (constructor name, message) `JSON.stringify` throws past `max_depth`.
    pub stringify_too_deep: (&'static str, &'static str),
    /// The error `JSON.stringify` throws on a cycle.
    pub stringify_cycle: (&'static str, &'static str),
    /// Deepest nesting the written-out `JSON.stringify` (`nesting.js`, for
    /// values with getters, proxies, `toJSON` or a replacer function)
    /// accepts: its JavaScript recursion must stay under the runtime's
    /// recursion limit.
    pub written_out_depth: usize,
    /// Longest array (or array-like) `join` and `JSON.stringify` walk: a
    /// longer one could only make a string past the runtime's memory.
    pub max_length: usize,
}

/// CloudFront Functions: njs's `NJS_JSON_MAX_DEPTH` is 32 levels, one of
/// which its `JSON.stringify` spends on a wrapper object, so 31; njs's error
/// texts. It also keeps boa's JSON code far from the end of any stack.
pub const CLOUDFRONT: Rules = Rules {
    max_depth: 31,
    stringify_too_deep: ("TypeError", "Nested too deep or a cyclic structure"),
    stringify_cycle: ("TypeError", "Nested too deep or a cyclic structure"),
    written_out_depth: 31,
    // A function has 2 MB of memory (spec §4.6); each element takes a byte.
    max_length: 2 * 1024 * 1024,
};

/// Lambda@Edge (Node.js): V8 parses any depth (here serde_json's 128
/// levels) and stringifies until its stack runs out, with a RangeError;
/// 5,000 levels is within [`JS_THREAD_STACK_BYTES`] for boa.
pub const NODE: Rules = Rules {
    max_depth: 5_000,
    stringify_too_deep: ("RangeError", "Maximum call stack size exceeded"),
    stringify_cycle: ("TypeError", "Converting circular structure to JSON"),
    written_out_depth: 300,
    // V8's longest string is about 2^29 characters.
    max_length: 1 << 29,
};

/// Install `nesting.js` in the current realm.
pub fn install(ctx: &mut Context, rules: Rules) -> JsResult<()> {
    let script = ctx.eval(Source::from_bytes(include_str!("nesting.js")))?;
    let script = script
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("nesting.js is not a function"))?;
    let parse = NativeFunction::from_copy_closure(move |_, args, ctx| parse(args, rules, ctx))
        .to_js_function(ctx.realm());
    let nesting = NativeFunction::from_copy_closure(move |_, args, ctx| {
        let value = args.first().cloned().unwrap_or_default();
        let depth = match args.get(1).and_then(JsValue::as_number) {
            Some(d) if d >= 1.0 => d as usize,
            _ => rules.max_depth,
        };
        Ok(JsValue::new(
            nesting(&value, depth, rules.max_length as u64, ctx)? as i32,
        ))
    })
    .to_js_function(ctx.realm());
    let global = ctx.global_object();
    let error = |(name, message): (&str, &str), ctx: &mut Context| -> JsResult<JsValue> {
        let ctor = global.get(js_string!(name), ctx)?;
        Ok(JsArray::from_iter([ctor, js_string!(message).into()], ctx).into())
    };
    let errors = JsObject::with_object_proto(ctx.intrinsics());
    let deep = error(rules.stringify_too_deep, ctx)?;
    errors.set(js_string!("deep"), deep, false, ctx)?;
    let cycle = error(rules.stringify_cycle, ctx)?;
    errors.set(js_string!("cycle"), cycle, false, ctx)?;
    errors.set(
        js_string!("depth"),
        JsValue::new(rules.written_out_depth as f64),
        false,
        ctx,
    )?;
    errors.set(
        js_string!("maxLength"),
        JsValue::new(rules.max_length as f64),
        false,
        ctx,
    )?;
    script.call(
        &JsValue::undefined(),
        &[parse.into(), nesting.into(), errors.into()],
        ctx,
    )?;
    Ok(())
}

fn syntax_error(message: String) -> JsError {
    JsNativeError::syntax().with_message(message).into()
}

/// `JSON.parse(text)` without a reviver. The SyntaxError texts are
/// serde_json's, as boa's are (boa validates with serde_json too). Not
/// JavaScript: a number beyond the f64 range (`1e400`) is refused where
/// JavaScript answers `Infinity`, as boa refuses it.
fn parse(args: &[JsValue], rules: Rules, ctx: &mut Context) -> JsResult<JsValue> {
    let text = args
        .first()
        .cloned()
        .unwrap_or_default()
        .to_string(ctx)?
        .to_std_string()
        .map_err(|e| syntax_error(e.to_string()))?;
    let value = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| syntax_error(e.to_string()))?;
    if json_value::depth(&value) > rules.max_depth {
        return Err(syntax_error(PARSE_TOO_DEEP.to_owned()));
    }
    Ok(json_value::to_js(&value, ctx))
}

/// 0 when `value` nests at most `max_depth` levels, 1 when deeper, 2 when
/// it is cyclic, 3 when it holds what only running code can tell (a proxy,
/// an accessor property, a `toJSON`), 4 when it holds an array longer than
/// `max_length`. Reads own data properties of ordinary
/// objects and arrays, runs no JavaScript and does not recurse.
fn nesting(value: &JsValue, max_depth: usize, max_length: u64, ctx: &mut Context) -> JsResult<u8> {
    let Some(root) = value.as_object() else {
        return Ok(0);
    };
    // Depth-first, keeping the path from the root: past `max_depth`, an
    // object met twice on it means a cycle.
    let mut path: Vec<JsObject> = Vec::new();
    let mut pending: Vec<(JsObject, usize)> = vec![(root.clone(), 1)];
    while let Some((o, depth)) = pending.pop() {
        if o.is_callable() {
            continue;
        }
        if o.is::<boa_engine::builtins::proxy::Proxy>()
            || o.has_property(js_string!("toJSON"), ctx)?
        {
            return Ok(3);
        }
        path.truncate(depth - 1);
        if o.is_array() && o.get(js_string!("length"), ctx)?.to_length(ctx)? > max_length {
            return Ok(4);
        }
        if depth > max_depth {
            let cyclic = path.iter().any(|p| JsObject::equals(p, &o))
                || path
                    .iter()
                    .enumerate()
                    .any(|(i, p)| path[i + 1..].iter().any(|q| JsObject::equals(p, q)));
            return Ok(if cyclic { 2 } else { 1 });
        }
        path.push(o.clone());
        for key in o.own_property_keys(ctx)? {
            let Some(desc) = o.borrow().properties().get(&key) else {
                continue;
            };
            if desc.is_accessor_descriptor() {
                return Ok(3);
            }
            if let Some(child) = desc.value().and_then(JsValue::as_object) {
                pending.push((child.clone(), depth + 1));
            }
        }
    }
    Ok(0)
}

/// How deeply `code` nests brackets (`(`, `[`, `{`), a bound on how deep
/// boa's parser will recurse on it (strings and comments are not told
/// apart: they can only make the figure larger).
pub fn bracket_depth(code: impl IntoIterator<Item = u16>) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in code {
        match c {
            0x28 | 0x5b | 0x7b => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            0x29 | 0x5d | 0x7d => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Deepest bracket nesting the engine parses: a function's file, and the
/// text of `eval` and `new Function` (Lambda@Edge; CloudFront Functions
/// refuse both). boa's parser recurses natively, some 25 KB of stack per
/// level in a release build, and a config loads on the main thread (8 MB):
/// deeper text is a syntax error at load, and the RangeError V8 gives when
/// its stack runs out in `eval`. Real code nests a few dozen levels.
pub const MAX_SOURCE_NESTING: usize = 200;
