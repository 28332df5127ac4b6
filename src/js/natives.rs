//! Native helpers behind the runtime modules of `prelude.js`: encodings
//! (utf8/hex/base64/base64url/latin1), hashes and HMACs (md5, sha1, sha256),
//! percent-decoding, console capture, key value store reads and the
//! `cloudfront` module's origin and logging helpers.

use std::cell::RefCell;
use std::rc::Rc;

use base64::Engine as _;
use boa_engine::object::builtins::{JsArray, JsArrayBuffer, JsTypedArray};
use boa_engine::object::ObjectInitializer;
use boa_engine::property::Attribute;
use boa_engine::{
    js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue,
    NativeFunction,
};
use hmac::Mac;
use sha2::Digest;

use super::engine::InvocationState;
use crate::cloudfront_functions::origin::OriginRequest;

type State = Rc<RefCell<InvocationState>>;

/// Most bytes of `console.log` output kept per invocation (spec §4.2).
pub const MAX_LOG_BYTES: usize = 10 * 1024;
/// Most bytes of `cf.logCustomData` kept (spec §4.3).
pub const MAX_CUSTOM_LOG_BYTES: usize = 800;

pub(super) fn state(ctx: &Context) -> JsResult<State> {
    ctx.get_data::<State>().cloned().ok_or_else(|| {
        JsNativeError::error()
            .with_message("no invocation in progress")
            .into()
    })
}

fn type_error(msg: impl Into<String>) -> JsError {
    JsNativeError::typ().with_message(msg.into()).into()
}

fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

fn string_arg(args: &[JsValue], i: usize) -> JsResult<JsString> {
    arg(args, i)
        .as_string()
        .ok_or_else(|| type_error("expected a string"))
}

/// Bytes of a TypedArray/ArrayBuffer value.
pub fn bytes_of(v: &JsValue, ctx: &mut Context) -> JsResult<Option<Vec<u8>>> {
    let Some(obj) = v.as_object() else {
        return Ok(None);
    };
    if let Ok(ta) = JsTypedArray::from_object(obj.clone()) {
        let off = ta.byte_offset(ctx)?;
        let len = ta.byte_length(ctx)?;
        let buf = ta.buffer(ctx)?;
        let Some(buf) = buf.as_object() else {
            return Ok(None);
        };
        let ab = JsArrayBuffer::from_object(buf)?;
        let data = ab.data();
        return Ok(data.and_then(|d| d.get(off..off + len).map(<[u8]>::to_vec)));
    }
    if let Ok(ab) = JsArrayBuffer::from_object(obj) {
        return Ok(ab.to_vec());
    }
    Ok(None)
}

/// A new ArrayBuffer holding `bytes`.
pub fn array_buffer(bytes: &[u8], ctx: &mut Context) -> JsResult<JsValue> {
    let ab = JsArrayBuffer::new(bytes.len(), ctx)?;
    if let Some(mut d) = ab.data_mut() {
        d.copy_from_slice(bytes);
    }
    Ok(ab.into())
}

fn encode_string(s: &JsString, enc: &str) -> JsResult<Vec<u8>> {
    let lossy = || super::rust_string(s);
    Ok(match enc {
        "utf8" => lossy().into_bytes(),
        "latin1" | "ascii" => s.iter().map(|u| (u & 0xff) as u8).collect(),
        "hex" => {
            let t = lossy();
            let t = t.as_bytes();
            // Node stops at the first invalid pair.
            let mut out = Vec::with_capacity(t.len() / 2);
            for pair in t.chunks_exact(2) {
                match hex::decode(pair) {
                    Ok(b) => out.extend(b),
                    Err(_) => break,
                }
            }
            out
        }
        "base64" => decode_base64_njs(&lossy(), false),
        "base64url" => decode_base64_njs(&lossy(), true),
        other => return Err(type_error(format!("Unknown encoding: {other}"))),
    })
}

/// Base64 that decodes every complete group and keeps what a last partial
/// group holds, whatever its unused low bits (as Node and browsers do).
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
);

/// njs's base64 decoding (`Buffer.from(s, 'base64')`, `String.bytesFrom`,
/// as CloudFront runs them): each encoding has its one alphabet, decoding
/// stops at the first character outside it (`=` included), and a last lone
/// character gives nothing. (Node.js takes both alphabets and skips what is
/// outside them; njs's `njs_decode_base64_length_core` stops.)
fn decode_base64_njs(s: &str, url: bool) -> Vec<u8> {
    let (c62, c63) = if url { ('-', '_') } else { ('+', '/') };
    let mut clean: String = s
        .chars()
        .take_while(|&c| c.is_ascii_alphanumeric() || c == c62 || c == c63)
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    LENIENT_BASE64.decode(clean).unwrap_or_default()
}

fn decode_bytes(b: &[u8], enc: &str) -> JsResult<JsString> {
    Ok(match enc {
        "utf8" => JsString::from(String::from_utf8_lossy(b).as_ref()),
        "latin1" => {
            let u: Vec<u16> = b.iter().map(|&x| u16::from(x)).collect();
            JsString::from(&u[..])
        }
        "ascii" => {
            let u: Vec<u16> = b.iter().map(|&x| u16::from(x & 0x7f)).collect();
            JsString::from(&u[..])
        }
        "hex" => JsString::from(hex::encode(b).as_str()),
        "base64" => JsString::from(base64::engine::general_purpose::STANDARD.encode(b).as_str()),
        "base64url" => JsString::from(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(b)
                .as_str(),
        ),
        other => return Err(type_error(format!("Unknown encoding: {other}"))),
    })
}

fn n_encode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let s = string_arg(args, 0)?;
    let enc = super::rust_string(&string_arg(args, 1)?);
    let bytes = encode_string(&s, &enc)?;
    array_buffer(&bytes, ctx)
}

fn n_byte_length(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let s = string_arg(args, 0)?;
    let enc = super::rust_string(&string_arg(args, 1)?);
    let n = match enc.as_str() {
        "utf8" => super::rust_string(&s).len(),
        _ => encode_string(&s, &enc)?.len(),
    };
    Ok(JsValue::from(n as f64))
}

fn n_decode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let b = bytes_of(&arg(args, 0), ctx)?.ok_or_else(|| type_error("expected bytes"))?;
    let enc = super::rust_string(&string_arg(args, 1)?);
    Ok(decode_bytes(&b, &enc)?.into())
}

/// The 1.0 runtime's byte strings (njs's): strings that stand for bytes,
/// made by `digest()`, `toUTF8()`, `toBytes()` and `String.bytesFrom()`.
/// njs marks them, and `crypto` takes their bytes where it takes a text
/// string's UTF-8. Here they are plain strings, so the invocation keeps the
/// ones it made (those with a character above 0x7F: for the others both
/// readings agree), up to a bound, and `crypto` recognises them by content.
#[derive(Debug, Default)]
pub struct ByteStrings {
    kept: Vec<JsString>,
    units: usize,
}

impl ByteStrings {
    /// Strings kept per invocation, in UTF-16 units (digests and keys are small).
    const MAX_UNITS: usize = 64 * 1024;

    fn keep(&mut self, s: &JsString) {
        let len = s.len();
        if self.units + len > Self::MAX_UNITS || s.iter().all(|u| u < 0x80) {
            return;
        }
        self.units += len;
        self.kept.push(s.clone());
    }

    /// The bytes `s` stands for, when it is one of the invocation's byte strings.
    fn bytes_of(&self, s: &JsString) -> Option<Vec<u8>> {
        if self.kept.is_empty() {
            return None;
        }
        self.kept
            .iter()
            .any(|k| k == s)
            .then(|| s.iter().filter_map(|u| u8::try_from(u).ok()).collect())
    }
}

/// `N.isByteString(s)`: whether `s` is one of the invocation's byte strings.
fn n_is_byte_string(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let s = string_arg(args, 0)?;
    Ok(state(ctx)?
        .borrow()
        .byte_strings
        .bytes_of(&s)
        .is_some()
        .into())
}

/// `N.byteString(bytes | string)`: a 1.0 byte string, kept (see [`ByteStrings`]).
fn n_byte_string(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let v = arg(args, 0);
    let s = match v.as_string() {
        Some(s) => s,
        None => {
            let b = bytes_of(&v, ctx)?.ok_or_else(|| type_error("expected bytes"))?;
            decode_bytes(&b, "latin1")?
        }
    };
    state(ctx)?.borrow_mut().byte_strings.keep(&s);
    Ok(s.into())
}

fn n_decode_fatal(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let b = bytes_of(&arg(args, 0), ctx)?.ok_or_else(|| type_error("expected bytes"))?;
    let s = std::str::from_utf8(&b)
        .map_err(|_| type_error("The encoded data was not valid for encoding utf-8"))?;
    Ok(JsString::from(s).into())
}

fn n_compare(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let a = bytes_of(&arg(args, 0), ctx)?.ok_or_else(|| type_error("expected a Buffer"))?;
    let b = bytes_of(&arg(args, 1), ctx)?.ok_or_else(|| type_error("expected a Buffer"))?;
    Ok(JsValue::from(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

fn n_index_of(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let hay = bytes_of(&arg(args, 0), ctx)?.ok_or_else(|| type_error("expected a Buffer"))?;
    let needle = bytes_of(&arg(args, 1), ctx)?.ok_or_else(|| type_error("expected a Buffer"))?;
    let from = arg(args, 2).as_number().unwrap_or(0.0);
    let from = if from < 0.0 {
        hay.len().saturating_sub((-from) as usize)
    } else {
        from as usize
    };
    if needle.is_empty() {
        return Ok(JsValue::from(from.min(hay.len()) as f64));
    }
    let pos = hay
        .get(from..)
        .and_then(|h| h.windows(needle.len()).position(|w| w == needle.as_slice()));
    Ok(JsValue::from(pos.map_or(-1.0, |p| (p + from) as f64)))
}

fn n_hash_supported(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let alg = super::rust_string(&string_arg(args, 0)?);
    Ok(JsValue::from(matches!(
        alg.as_str(),
        "md5" | "sha1" | "sha256"
    )))
}

fn chunk_bytes(v: &JsValue, ctx: &mut Context) -> JsResult<Vec<u8>> {
    if let Some(s) = v.as_string() {
        if let Some(bytes) = state(ctx)?.borrow().byte_strings.bytes_of(&s) {
            return Ok(bytes);
        }
        return Ok(super::rust_string(&s).into_bytes());
    }
    bytes_of(v, ctx)?.ok_or_else(|| type_error("data must be a string or a Buffer"))
}

fn mac_of<M: Mac + hmac::digest::KeyInit>(key: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <M as hmac::digest::KeyInit>::new(&Default::default()));
    for c in chunks {
        m.update(c);
    }
    m.finalize().into_bytes().to_vec()
}

fn hash_of<D: Digest>(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut d = D::new();
    for c in chunks {
        d.update(c);
    }
    d.finalize().to_vec()
}

fn n_digest(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let alg = super::rust_string(&string_arg(args, 0)?);
    let key = arg(args, 1);
    let key = if key.is_undefined() {
        None
    } else {
        Some(chunk_bytes(&key, ctx)?)
    };
    let list = arg(args, 2)
        .as_object()
        .ok_or_else(|| type_error("expected a list of chunks"))?;
    let list = JsArray::from_object(list)?;
    let n = list.length(ctx)?;
    let mut chunks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let v = list.get(i, ctx)?;
        chunks.push(chunk_bytes(&v, ctx)?);
    }
    let out = match (alg.as_str(), key) {
        ("md5", None) => hash_of::<md5::Md5>(&chunks),
        ("sha1", None) => hash_of::<sha1::Sha1>(&chunks),
        ("sha256", None) => hash_of::<sha2::Sha256>(&chunks),
        ("md5", Some(k)) => mac_of::<hmac::Hmac<md5::Md5>>(&k, &chunks),
        ("sha1", Some(k)) => mac_of::<hmac::Hmac<sha1::Sha1>>(&k, &chunks),
        ("sha256", Some(k)) => mac_of::<hmac::Hmac<sha2::Sha256>>(&k, &chunks),
        (other, _) => return Err(type_error(format!("Digest method not supported: {other}"))),
    };
    array_buffer(&out, ctx)
}

/// `querystring.unescape`: percent-decoding; invalid UTF-8 becomes U+FFFD (spec §4.3).
fn n_unescape(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let s = arg(args, 0).as_string().unwrap_or_default();
    let s = super::rust_string(&s);
    if !s.contains('%') {
        return Ok(JsString::from(s.as_str()).into());
    }
    let decoded = percent_encoding::percent_decode_str(&s).decode_utf8_lossy();
    Ok(JsString::from(decoded.as_ref()).into())
}

fn n_btoa(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let s = string_arg(args, 0)?;
    let mut bytes = Vec::with_capacity(s.len());
    for u in s.iter() {
        let b = u8::try_from(u).map_err(|_| {
            JsError::from(JsNativeError::error().with_message(
                "InvalidCharacterError: The string contains characters outside of the Latin1 range",
            ))
        })?;
        bytes.push(b);
    }
    Ok(JsString::from(
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .as_str(),
    )
    .into())
}

/// `atob`: the WHATWG "forgiving-base64 decode" (ASCII whitespace removed;
/// one or two `=` only where they complete a group of four; a length of 1
/// modulo 4 or a character outside the alphabet is an error; unused low
/// bits are ignored).
fn n_atob(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let s = super::rust_string(&string_arg(args, 0)?);
    let mut clean: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r'))
        .collect();
    if clean.len() % 4 == 0 {
        for _ in 0..2 {
            if clean.ends_with('=') {
                clean.pop();
            }
        }
    }
    let valid = clean.len() % 4 != 1
        && clean
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/');
    let bytes = valid
        .then(|| LENIENT_BASE64.decode(&clean).ok())
        .flatten()
        .ok_or_else(|| {
            JsError::from(JsNativeError::error().with_message(
                "InvalidCharacterError: The string to be decoded is not correctly encoded",
            ))
        })?;
    let u: Vec<u16> = bytes.iter().map(|&b| u16::from(b)).collect();
    Ok(JsString::from(&u[..]).into())
}

fn n_log(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    // The arguments to show, as an array: 2.0 passes only the first (spec §4.1),
    // 1.0 all of them, joined with spaces.
    let list = arg(args, 0)
        .as_object()
        .and_then(|o| JsArray::from_object(o).ok())
        .ok_or_else(|| type_error("expected a list of values"))?;
    let n = list.length(ctx)?;
    let mut parts = Vec::with_capacity(n as usize);
    for i in 0..n {
        parts.push(display(&list.get(i, ctx)?, ctx)?);
    }
    let line = parts.join(" ");
    let st = state(ctx)?;
    st.borrow_mut().log(line);
    Ok(JsValue::undefined())
}

/// How console.log shows a value: strings as-is, functions as njs shows them
/// (`[Function: name]`, not their source), objects as JSON.
///
/// Objects go through the realm's own `JSON.stringify` (frozen, so the
/// function's code cannot replace it), not boa's `to_json`: that one reads
/// the object's storage directly, so the event's lazily built field maps
/// (proxies, accessors before first read) came out as `{}` or `null`, and
/// methods such as `request.rawQueryString` as `{"length":0,...}`.
fn display(v: &JsValue, ctx: &mut Context) -> JsResult<String> {
    if let Some(s) = v.as_string() {
        return Ok(super::rust_string(&s));
    }
    if let Some(f) = v.as_callable() {
        let name = super::own_data_value(&f, &js_string!("name").into())
            .and_then(|n| n.as_string())
            .map(|n| super::rust_string(&n))
            .unwrap_or_default();
        return Ok(if name.is_empty() {
            "[Function]".to_owned()
        } else {
            format!("[Function: {name}]")
        });
    }
    if let Some(o) = v.as_object() {
        if o.is::<boa_engine::builtins::error::Error>() {
            return Ok(super::rust_string(&v.to_string(ctx)?));
        }
        let json = ctx.intrinsics().objects().json();
        let stringify = json.get(js_string!("stringify"), ctx)?;
        if let Some(f) = stringify.as_callable() {
            // A cycle, a BigInt or a throwing getter: show the value's string form.
            if let Ok(s) = f.call(&json.clone().into(), std::slice::from_ref(v), ctx) {
                if let Some(s) = s.as_string() {
                    return Ok(super::rust_string(&s));
                }
            }
        }
    }
    Ok(super::rust_string(&v.to_string(ctx)?))
}

fn no_kvs() -> JsError {
    JsNativeError::error()
        .with_message("No key value store is associated with this function")
        .into()
}

fn n_kvs_check(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    if state(ctx)?.borrow().kvs.is_none() {
        return Err(no_kvs());
    }
    Ok(JsValue::undefined())
}

fn n_kvs_get(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let key = super::rust_string(&string_arg(args, 0)?);
    let fmt = super::rust_string(&string_arg(args, 1)?);
    let st = state(ctx)?;
    let value = {
        let st = st.borrow();
        let kvs = st.kvs.as_ref().ok_or_else(no_kvs)?;
        kvs.get(&key).map(str::to_owned)
    };
    let Some(value) = value else {
        return Err(JsNativeError::error()
            .with_message(format!("Key \"{key}\" does not exist"))
            .into());
    };
    match fmt.as_str() {
        "string" => Ok(JsString::from(value.as_str()).into()),
        "json" => {
            let j: serde_json::Value = serde_json::from_str(&value).map_err(|e| {
                JsError::from(
                    JsNativeError::syntax()
                        .with_message(format!("value of key \"{key}\" is not valid JSON: {e}")),
                )
            })?;
            JsValue::from_json(&j, ctx)
        }
        "bytes" => array_buffer(value.as_bytes(), ctx),
        other => Err(type_error(format!("Unknown format: {other}"))),
    }
}

fn n_kvs_exists(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let key = super::rust_string(&string_arg(args, 0)?);
    let st = state(ctx)?;
    let st = st.borrow();
    let kvs = st.kvs.as_ref().ok_or_else(no_kvs)?;
    Ok(JsValue::from(kvs.get(&key).is_some()))
}

fn n_kvs_meta(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let (created, updated, count) = {
        let st = st.borrow();
        let kvs = st.kvs.as_ref().ok_or_else(no_kvs)?;
        let (c, u) = kvs.times();
        (c, u, kvs.len())
    };
    let obj = ObjectInitializer::new(ctx)
        .property(
            js_string!("creationDateTime"),
            JsString::from(created.as_str()),
            Attribute::all(),
        )
        .property(
            js_string!("lastUpdatedDateTime"),
            JsString::from(updated.as_str()),
            Attribute::all(),
        )
        .property(js_string!("keyCount"), count as f64, Attribute::all())
        .build();
    Ok(obj.into())
}

fn n_origin(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let kind = super::rust_string(&string_arg(args, 0)?);
    let value = arg(args, 1)
        .to_json(ctx)?
        .unwrap_or(serde_json::Value::Null);
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    if !st.viewer_request {
        return Err(JsNativeError::error()
            .with_message("origin modification is only available in viewer-request functions")
            .into());
    }
    st.origin = Some(match kind.as_str() {
        "update" => OriginRequest::Update(value),
        "select" => OriginRequest::Select(value),
        _ => OriginRequest::Group(value),
    });
    Ok(JsValue::undefined())
}

/// `Math.random` was called: the invocation depends on more than its event.
fn n_nondeterministic(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    state(ctx)?.borrow_mut().nondeterministic = true;
    Ok(JsValue::undefined())
}

fn n_log_custom_data(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let s = super::rust_string(&string_arg(args, 0)?);
    let encoded: String =
        percent_encoding::utf8_percent_encode(&s, percent_encoding::NON_ALPHANUMERIC).collect();
    let mut end = encoded.len().min(MAX_CUSTOM_LOG_BYTES);
    while !encoded.is_char_boundary(end) {
        end -= 1;
    }
    state(ctx)?.borrow_mut().custom_log_data = Some(encoded[..end].to_owned());
    Ok(JsValue::undefined())
}

fn n_edge_location(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let loc = st.borrow().edge_location.clone();
    let mut init = ObjectInitializer::new(ctx);
    if let Some(loc) = loc {
        init.property(
            js_string!("name"),
            JsString::from(loc.name.as_str()),
            Attribute::all(),
        )
        .property(
            js_string!("serverIp"),
            JsString::from(loc.server_ip.as_str()),
            Attribute::all(),
        )
        .property(
            js_string!("region"),
            JsString::from(loc.region.as_str()),
            Attribute::all(),
        );
    }
    Ok(init.build().into())
}

/// `request.rawQueryString()` (spec §4.3): `undefined` without a `?`.
pub fn raw_query_string(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let st = state(ctx)?;
    let raw = st.borrow().raw_query.clone();
    Ok(match raw {
        Some(q) => JsString::from(q.as_str()).into(),
        None => JsValue::undefined(),
    })
}

/// The native helper object handed to `prelude.js`.
pub fn helpers(ctx: &mut Context) -> JsObject {
    type F = fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>;
    let list: &[(&str, F, usize)] = &[
        ("encode", n_encode, 2),
        ("decode", n_decode, 2),
        ("decodeFatal", n_decode_fatal, 1),
        ("byteString", n_byte_string, 1),
        ("isByteString", n_is_byte_string, 1),
        ("byteLength", n_byte_length, 2),
        ("compare", n_compare, 2),
        ("indexOf", n_index_of, 3),
        ("hashSupported", n_hash_supported, 1),
        ("digest", n_digest, 3),
        ("unescape", n_unescape, 1),
        ("atob", n_atob, 1),
        ("btoa", n_btoa, 1),
        ("log", n_log, 1),
        ("kvsCheck", n_kvs_check, 0),
        ("kvsGet", n_kvs_get, 2),
        ("kvsExists", n_kvs_exists, 1),
        ("kvsMeta", n_kvs_meta, 0),
        ("origin", n_origin, 2),
        ("logCustomData", n_log_custom_data, 1),
        ("nondeterministic", n_nondeterministic, 0),
        ("edgeLocation", n_edge_location, 0),
    ];
    let mut init = ObjectInitializer::new(ctx);
    for (name, f, len) in list {
        init.function(NativeFunction::from_fn_ptr(*f), JsString::from(*name), *len);
    }
    init.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_as_njs_does() {
        assert_eq!(decode_base64_njs("aGk", false), b"hi");
        assert_eq!(decode_base64_njs("aGk=", false), b"hi");
        assert_eq!(decode_base64_njs("+/8=", false), vec![0xfb, 0xff]);
        assert_eq!(decode_base64_njs("-_8", true), vec![0xfb, 0xff]);
        // Decoding stops at the first character outside the encoding's alphabet.
        assert_eq!(decode_base64_njs("-_8", false), b"");
        assert_eq!(decode_base64_njs("+/8", true), b"");
        assert_eq!(decode_base64_njs("aGk%3D%3D", false), b"hi");
        assert_eq!(decode_base64_njs("aGVs bG8=", false), b"hel");
        assert_eq!(decode_base64_njs("aGVsb", false), b"hel");
    }
}
