//! The CloudFront Functions event as a JS object, and the handler's result
//! read back into [`Output`] (spec §4.4, §4.5). Built and read with boa's
//! object API, never through JSON (js-engine-notes §3).

use boa_engine::object::builtins::JsArray;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::{js_string, Context, JsObject, JsResult, JsString, JsValue};

use crate::cloudfront_functions::event::{
    CookieValue, Event, EventType, Field, Fields, OutBody, OutRequest, OutResponse, Output,
    Querystring, ResponseCookie,
};

fn s(v: &str) -> JsValue {
    JsString::from(v).into()
}

fn obj(ctx: &Context) -> JsObject {
    JsObject::with_object_proto(ctx.intrinsics())
}

fn put(o: &JsObject, k: JsString, v: impl Into<JsValue>, ctx: &mut Context) -> JsResult<()> {
    o.create_data_property_or_throw(k, v, ctx).map(|_| ())
}

fn fields(f: &Fields, ctx: &mut Context) -> JsResult<JsObject> {
    let o = obj(ctx);
    for (name, field) in f {
        let fo = obj(ctx);
        put(&fo, js_string!("value"), s(&field.value), ctx)?;
        if let Some(mv) = &field.multi_value {
            let arr = JsArray::new(ctx)?;
            for v in mv {
                let e = obj(ctx);
                put(&e, js_string!("value"), s(v), ctx)?;
                arr.push(e, ctx)?;
            }
            put(&fo, js_string!("multiValue"), arr, ctx)?;
        }
        put(&o, JsString::from(name.as_str()), fo, ctx)?;
    }
    Ok(o)
}

fn response_cookies(c: &[(String, ResponseCookie)], ctx: &mut Context) -> JsResult<JsObject> {
    let o = obj(ctx);
    for (name, cookie) in c {
        let co = obj(ctx);
        put(&co, js_string!("value"), s(&cookie.value), ctx)?;
        put(&co, js_string!("attributes"), s(&cookie.attributes), ctx)?;
        if let Some(mv) = &cookie.multi_value {
            let arr = JsArray::new(ctx)?;
            for v in mv {
                let e = obj(ctx);
                put(&e, js_string!("value"), s(&v.value), ctx)?;
                put(&e, js_string!("attributes"), s(&v.attributes), ctx)?;
                arr.push(e, ctx)?;
            }
            put(&co, js_string!("multiValue"), arr, ctx)?;
        }
        put(&o, JsString::from(name.as_str()), co, ctx)?;
    }
    Ok(o)
}

/// Build the event object. `raw_qs` is the `rawQueryString` function (2.0).
pub fn build(ev: &Event, raw_qs: Option<&JsObject>, ctx: &mut Context) -> JsResult<JsObject> {
    let e = obj(ctx);
    put(&e, js_string!("version"), js_string!("1.0"), ctx)?;
    let c = obj(ctx);
    put(
        &c,
        js_string!("distributionDomainName"),
        s(&ev.context.distribution_domain_name),
        ctx,
    )?;
    put(
        &c,
        js_string!("distributionId"),
        s(&ev.context.distribution_id),
        ctx,
    )?;
    put(
        &c,
        js_string!("eventType"),
        s(ev.context.event_type.as_str()),
        ctx,
    )?;
    put(&c, js_string!("requestId"), s(&ev.context.request_id), ctx)?;
    put(&e, js_string!("context"), c, ctx)?;
    let v = obj(ctx);
    put(&v, js_string!("ip"), s(&ev.viewer_ip), ctx)?;
    put(&e, js_string!("viewer"), v, ctx)?;
    let r = obj(ctx);
    put(&r, js_string!("method"), s(&ev.request.method), ctx)?;
    put(&r, js_string!("uri"), s(&ev.request.uri), ctx)?;
    let q = fields(&ev.request.querystring, ctx)?;
    put(&r, js_string!("querystring"), q, ctx)?;
    let h = fields(&ev.request.headers, ctx)?;
    put(&r, js_string!("headers"), h, ctx)?;
    let ck = fields(&ev.request.cookies, ctx)?;
    put(&r, js_string!("cookies"), ck, ctx)?;
    if let Some(f) = raw_qs {
        r.define_property_or_throw(
            js_string!("rawQueryString"),
            PropertyDescriptor::builder()
                .value(f.clone())
                .writable(true)
                .enumerable(false)
                .configurable(true),
            ctx,
        )?;
    }
    put(&e, js_string!("request"), r, ctx)?;
    if let Some(resp) = &ev.response {
        let ro = obj(ctx);
        put(
            &ro,
            js_string!("statusCode"),
            f64::from(resp.status_code),
            ctx,
        )?;
        if let Some(d) = &resp.status_description {
            put(&ro, js_string!("statusDescription"), s(d), ctx)?;
        }
        let h = fields(&resp.headers, ctx)?;
        put(&ro, js_string!("headers"), h, ctx)?;
        let c = response_cookies(&resp.cookies, ctx)?;
        put(&ro, js_string!("cookies"), c, ctx)?;
        put(&e, js_string!("response"), ro, ctx)?;
    }
    Ok(e)
}

// === reading the result ===

/// Why a result could not be read: a validation problem, or a JS exception
/// thrown by a getter while reading.
pub enum ReadError {
    Invalid(String),
    Js(boa_engine::JsError),
}

impl From<boa_engine::JsError> for ReadError {
    fn from(e: boa_engine::JsError) -> Self {
        ReadError::Js(e)
    }
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError::Invalid(msg.into()))
}

fn get(o: &JsObject, k: JsString, ctx: &mut Context) -> Result<JsValue, ReadError> {
    Ok(o.get(k, ctx)?)
}

/// A header/cookie/query value: strings as-is; numbers and booleans are
/// converted (choice: CloudFront's handling of non-strings is unverified).
fn scalar(v: &JsValue, what: &str, ctx: &mut Context) -> Result<String, ReadError> {
    if let Some(s) = v.as_string() {
        return Ok(s.to_std_string_lossy());
    }
    if v.as_number().is_some() || v.as_boolean().is_some() {
        return Ok(v.to_string(ctx)?.to_std_string_lossy());
    }
    invalid(format!("{what} must be a string"))
}

fn keys(o: &JsObject, ctx: &mut Context) -> Result<Vec<String>, ReadError> {
    let mut out = Vec::new();
    for k in o.own_property_keys(ctx)? {
        match k {
            PropertyKey::String(s) => out.push(s.to_std_string_lossy()),
            PropertyKey::Index(i) => out.push(i.get().to_string()),
            PropertyKey::Symbol(_) => {}
        }
    }
    Ok(out)
}

fn read_fields(v: &JsValue, what: &str, ctx: &mut Context) -> Result<Fields, ReadError> {
    if v.is_null_or_undefined() {
        return Ok(Fields::new());
    }
    let Some(o) = v.as_object() else {
        return invalid(format!("{what} must be an object"));
    };
    let mut out = Fields::new();
    for name in keys(&o, ctx)? {
        let fv = get(&o, JsString::from(name.as_str()), ctx)?;
        let Some(fo) = fv.as_object() else {
            return invalid(format!("{what}.{name} must be an object with a value"));
        };
        let value = get(&fo, js_string!("value"), ctx)?;
        let mv = get(&fo, js_string!("multiValue"), ctx)?;
        let multi = if mv.is_null_or_undefined() {
            None
        } else {
            let Some(arr) = mv.as_object().and_then(|a| JsArray::from_object(a).ok()) else {
                return invalid(format!("{what}.{name}.multiValue must be an array"));
            };
            let n = arr.length(ctx)?;
            let mut list = Vec::with_capacity(n as usize);
            for i in 0..n {
                let item = arr.get(i, ctx)?;
                let Some(io) = item.as_object() else {
                    return invalid(format!("{what}.{name}.multiValue[{i}] must be an object"));
                };
                let iv = get(&io, js_string!("value"), ctx)?;
                list.push(scalar(
                    &iv,
                    &format!("{what}.{name}.multiValue[{i}].value"),
                    ctx,
                )?);
            }
            Some(list)
        };
        let value = if value.is_undefined() {
            match &multi {
                Some(m) => m.first().cloned().unwrap_or_default(),
                None => return invalid(format!("{what}.{name}.value is missing")),
            }
        } else {
            scalar(&value, &format!("{what}.{name}.value"), ctx)?
        };
        out.push((
            name,
            Field {
                value,
                multi_value: multi,
            },
        ));
    }
    Ok(out)
}

fn read_response_cookies(
    v: &JsValue,
    ctx: &mut Context,
) -> Result<Vec<(String, ResponseCookie)>, ReadError> {
    if v.is_null_or_undefined() {
        return Ok(Vec::new());
    }
    let Some(o) = v.as_object() else {
        return invalid("response.cookies must be an object");
    };
    let mut out = Vec::new();
    for name in keys(&o, ctx)? {
        let cv = get(&o, JsString::from(name.as_str()), ctx)?;
        let Some(co) = cv.as_object() else {
            return invalid(format!("response.cookies.{name} must be an object"));
        };
        let read_pair =
            |co: &JsObject, what: &str, ctx: &mut Context| -> Result<CookieValue, ReadError> {
                let value = get(co, js_string!("value"), ctx)?;
                let attrs = get(co, js_string!("attributes"), ctx)?;
                Ok(CookieValue {
                    value: if value.is_undefined() {
                        String::new()
                    } else {
                        scalar(&value, what, ctx)?
                    },
                    attributes: if attrs.is_null_or_undefined() {
                        String::new()
                    } else {
                        scalar(&attrs, what, ctx)?
                    },
                })
            };
        let first = read_pair(&co, &format!("response.cookies.{name}"), ctx)?;
        let mv = get(&co, js_string!("multiValue"), ctx)?;
        let multi = if mv.is_null_or_undefined() {
            None
        } else {
            let Some(arr) = mv.as_object().and_then(|a| JsArray::from_object(a).ok()) else {
                return invalid(format!(
                    "response.cookies.{name}.multiValue must be an array"
                ));
            };
            let n = arr.length(ctx)?;
            let mut list = Vec::with_capacity(n as usize);
            for i in 0..n {
                let item = arr.get(i, ctx)?;
                let Some(io) = item.as_object() else {
                    return invalid(format!(
                        "response.cookies.{name}.multiValue[{i}] must be an object"
                    ));
                };
                list.push(read_pair(
                    &io,
                    &format!("response.cookies.{name}.multiValue[{i}]"),
                    ctx,
                )?);
            }
            Some(list)
        };
        out.push((
            name,
            ResponseCookie {
                value: first.value,
                attributes: first.attributes,
                multi_value: multi,
            },
        ));
    }
    Ok(out)
}

fn read_response(o: &JsObject, ctx: &mut Context) -> Result<OutResponse, ReadError> {
    let sc = get(o, js_string!("statusCode"), ctx)?;
    let Some(n) = sc.as_number() else {
        return invalid("response.statusCode must be an integer");
    };
    if n.fract() != 0.0 || !(100.0..=599.0).contains(&n) {
        return invalid(format!("invalid response.statusCode {n}"));
    }
    let sd = get(o, js_string!("statusDescription"), ctx)?;
    let status_description = if sd.is_null_or_undefined() {
        None
    } else {
        Some(scalar(&sd, "response.statusDescription", ctx)?)
    };
    let hv = get(o, js_string!("headers"), ctx)?;
    let headers = read_fields(&hv, "response.headers", ctx)?;
    let cv = get(o, js_string!("cookies"), ctx)?;
    let cookies = read_response_cookies(&cv, ctx)?;
    let bv = get(o, js_string!("body"), ctx)?;
    let body = if bv.is_undefined() {
        None
    } else if let Some(s) = bv.as_string() {
        Some(OutBody::Text(s.to_std_string_lossy()))
    } else if let Some(bo) = bv.as_object() {
        let enc = get(&bo, js_string!("encoding"), ctx)?;
        let data = get(&bo, js_string!("data"), ctx)?;
        let data = if data.is_undefined() {
            String::new()
        } else {
            scalar(&data, "response.body.data", ctx)?
        };
        match enc.as_string().map(|e| e.to_std_string_lossy()).as_deref() {
            None | Some("text") => Some(OutBody::Text(data)),
            Some("base64") => Some(OutBody::Base64(data)),
            Some(other) => return invalid(format!("invalid response.body.encoding \"{other}\"")),
        }
    } else {
        return invalid("response.body must be a string or {encoding, data}");
    };
    Ok(OutResponse {
        status_code: n as u16,
        status_description,
        headers,
        cookies,
        body,
    })
}

fn read_request(o: &JsObject, ctx: &mut Context) -> Result<OutRequest, ReadError> {
    let m = get(o, js_string!("method"), ctx)?;
    let method = if m.is_undefined() {
        String::new()
    } else {
        scalar(&m, "request.method", ctx)?
    };
    let u = get(o, js_string!("uri"), ctx)?;
    let Some(uri) = u.as_string() else {
        return invalid("request.uri must be a string");
    };
    let qv = get(o, js_string!("querystring"), ctx)?;
    let querystring = if let Some(q) = qv.as_string() {
        Querystring::Raw(q.to_std_string_lossy())
    } else {
        Querystring::Fields(read_fields(&qv, "request.querystring", ctx)?)
    };
    let hv = get(o, js_string!("headers"), ctx)?;
    let headers = read_fields(&hv, "request.headers", ctx)?;
    let cv = get(o, js_string!("cookies"), ctx)?;
    let cookies = read_fields(&cv, "request.cookies", ctx)?;
    Ok(OutRequest {
        method,
        uri: uri.to_std_string_lossy(),
        querystring,
        headers,
        cookies,
    })
}

/// Read the handler's result for `event_type` (spec §4.5).
pub fn read(v: &JsValue, event_type: EventType, ctx: &mut Context) -> Result<Output, ReadError> {
    let Some(o) = v.as_object() else {
        return invalid(format!(
            "the function must return a {} object",
            match event_type {
                EventType::ViewerRequest => "request or response",
                EventType::ViewerResponse => "response",
            }
        ));
    };
    let is_response = !get(&o, js_string!("statusCode"), ctx)?.is_undefined();
    match (event_type, is_response) {
        (_, true) => Ok(Output::Response(read_response(&o, ctx)?)),
        (EventType::ViewerRequest, false) => Ok(Output::Request(read_request(&o, ctx)?)),
        (EventType::ViewerResponse, false) => {
            invalid("a viewer-response function must return a response object with a statusCode")
        }
    }
}
