//! The CloudFront Functions event as a JS object, and the handler's result
//! read back into [`Output`] (spec §4.4, §4.5). Built and read with boa's
//! object API, never through JSON (js-engine-notes §3). The field maps
//! (`querystring`, `headers`, `cookies`) are built lazily and handed back
//! without JS work where the function left them alone: see [`field_map`].

use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::object::builtins::JsArray;
use boa_engine::property::PropertyKey;
use boa_engine::{js_string, Context, JsObject, JsResult, JsString, JsValue};

use super::field_map::{obj, put, Entry, EventRequest, MapFunctions, MapValue, Part};

use crate::cloudfront_functions::event::{
    CookieValue, Event, EventType, Field, Fields, OutBody, OutRequest, OutResponse, Output,
    Querystring, ResponseCookie,
};

fn s(v: &str) -> JsValue {
    JsString::from(v).into()
}

/// Build the event object. `raw_qs` is the `rawQueryString` function (2.0).
pub fn build(
    ev: &Event,
    raw_qs: Option<&JsObject>,
    maps: &MapFunctions,
    ctx: &mut Context,
) -> JsResult<JsObject> {
    let e = obj(ctx);
    put(&e, js_string!("version"), js_string!("1.0"));
    let c = obj(ctx);
    let cx = &ev.context;
    put(
        &c,
        js_string!("distributionDomainName"),
        s(&cx.distribution_domain_name),
    );
    put(&c, js_string!("distributionId"), s(&cx.distribution_id));
    put(&c, js_string!("eventType"), s(cx.event_type.as_str()));
    maps.install_request_id(&c);
    put(&e, js_string!("context"), c.clone());
    let v = obj(ctx);
    put(&v, js_string!("ip"), s(&ev.viewer_ip));
    put(&e, js_string!("viewer"), v);
    // A viewer-response function rarely reads the request, which is not
    // part of its result: it is built on first read (see field_map.rs).
    let request = if ev.context.event_type == EventType::ViewerResponse {
        maps.install_request(&e);
        EventRequest::Later {
            method: ev.request.method.clone(),
            uri: ev.request.uri.clone(),
            raw_qs: raw_qs.cloned(),
        }
    } else {
        let r = super::field_map::request_object(
            &ev.request.method,
            &ev.request.uri,
            raw_qs,
            maps,
            ctx,
        );
        put(&e, js_string!("request"), r.clone());
        EventRequest::Built(r)
    };
    let mut response = None;
    if let Some(resp) = &ev.response {
        let ro = obj(ctx);
        put(&ro, js_string!("statusCode"), f64::from(resp.status_code));
        if let Some(d) = &resp.status_description {
            put(&ro, js_string!("statusDescription"), s(d));
        }
        maps.install(&ro, Part::ResponseHeaders);
        maps.install(&ro, Part::ResponseCookies);
        put(&e, js_string!("response"), ro.clone());
        response = Some(ro);
    }
    let objects = super::field_map::EventObjects {
        event: &e,
        context: &c,
        response: response.as_ref(),
    };
    super::field_map::own_event(ctx, objects, request)?;
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
    get_key(o, &PropertyKey::from(k), ctx)
}

/// A header/cookie/query value: strings as-is; numbers and booleans are
/// converted (choice: CloudFront's handling of non-strings is unverified).
fn scalar(
    v: &JsValue,
    what: impl std::fmt::Display,
    ctx: &mut Context,
) -> Result<String, ReadError> {
    if let Some(s) = v.as_string() {
        return Ok(super::rust_string(&s));
    }
    if v.as_number().is_some() || v.as_boolean().is_some() {
        return Ok(super::rust_string(&v.to_string(ctx)?));
    }
    invalid(format!("{what} must be a string"))
}

/// Own property names, in JS order (integer keys first), each with its key.
fn keys(o: &JsObject, ctx: &mut Context) -> Result<Vec<(String, PropertyKey)>, ReadError> {
    let mut out = Vec::new();
    for k in o.own_property_keys(ctx)? {
        let name = match &k {
            PropertyKey::String(s) => super::rust_string(s),
            PropertyKey::Index(i) => i.get().to_string(),
            PropertyKey::Symbol(_) => continue,
        };
        out.push((name, k));
    }
    Ok(out)
}

/// `o[key]`: an own data property straight from the object's storage (the
/// usual case: plain objects), anything else (accessors, inherited values,
/// exotic objects such as proxies) through the full `[[Get]]`.
fn get_key(o: &JsObject, key: &PropertyKey, ctx: &mut Context) -> Result<JsValue, ReadError> {
    if let Some(v) = super::own_data_value(o, key) {
        return Ok(v);
    }
    // A missing key (an entry without `multiValue`, a response without
    // `statusDescription`) of a plain object inheriting straight from
    // `Object.prototype`, which the lockdown froze without any of the keys
    // a result is read by: `[[Get]]` would walk there to answer `undefined`.
    let plain = o.is::<OrdinaryObject>()
        && o.borrow().properties().get(key).is_none()
        && o.prototype().is_some_and(|p| {
            JsObject::equals(&p, &ctx.intrinsics().constructors().object().prototype())
        });
    if plain {
        return Ok(JsValue::undefined());
    }
    Ok(o.get(key.clone(), ctx)?)
}

/// One `{value, multiValue?}` entry named `name` of map `what`.
fn read_field(name: &str, fv: &JsValue, what: &str, ctx: &mut Context) -> Result<Field, ReadError> {
    let Some(fo) = fv.as_object() else {
        return invalid(format!("{what}.{name} must be an object with a value"));
    };
    let value_key = PropertyKey::from(js_string!("value"));
    let value = get_key(&fo, &value_key, ctx)?;
    let mv = get_key(&fo, &PropertyKey::from(js_string!("multiValue")), ctx)?;
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
            let iv = get_key(&io, &value_key, ctx)?;
            list.push(scalar(
                &iv,
                format_args!("{what}.{name}.multiValue[{i}].value"),
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
        scalar(&value, format_args!("{what}.{name}.value"), ctx)?
    };
    Ok(Field {
        value,
        multi_value: multi,
    })
}

/// One `{value, attributes, multiValue?}` response cookie named `name`.
fn read_cookie(name: &str, cv: &JsValue, ctx: &mut Context) -> Result<ResponseCookie, ReadError> {
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
    Ok(ResponseCookie {
        value: first.value,
        attributes: first.attributes,
        multi_value: multi,
    })
}

/// Every entry of a map the function built or replaced, read with `entry`.
fn read_object<T>(
    v: &JsValue,
    what: &str,
    ctx: &mut Context,
    entry: impl Fn(&str, &JsValue, &mut Context) -> Result<T, ReadError>,
) -> Result<Vec<(String, T)>, ReadError> {
    if v.is_null_or_undefined() {
        return Ok(Vec::new());
    }
    let Some(o) = v.as_object() else {
        return invalid(format!("{what} must be an object"));
    };
    let mut out = Vec::new();
    for (name, key) in keys(&o, ctx)? {
        let ev = get_key(&o, &key, ctx)?;
        let value = entry(&name, &ev, ctx)?;
        out.push((name, value));
    }
    Ok(out)
}

/// Map `part` of the result: the input's entries where the function left
/// them alone, the others read from JS.
fn read_map<T>(
    value: MapValue,
    what: &str,
    ctx: &mut Context,
    entry: impl Fn(&str, &JsValue, &mut Context) -> Result<T, ReadError>,
    from_input: impl Fn(Entry) -> Option<T>,
) -> Result<Vec<(String, T)>, ReadError> {
    match value {
        MapValue::Js(v) => read_object(&v, what, ctx, entry),
        MapValue::Entries(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (name, e) in entries {
                let value = match e {
                    Entry::Js(v) => entry(&name, &v, ctx)?,
                    // An entry of another kind of map (a request header
                    // moved into response cookies): read it as JS.
                    other => match from_input(other) {
                        Some(t) => t,
                        None => return invalid(format!("{what}.{name} has the wrong shape")),
                    },
                };
                out.push((name, value));
            }
            Ok(out)
        }
    }
}

fn read_fields_map(value: MapValue, what: &str, ctx: &mut Context) -> Result<Fields, ReadError> {
    read_map(
        value,
        what,
        ctx,
        |name, v, ctx| read_field(name, v, what, ctx),
        |e| match e {
            Entry::Field(f) => Some(f),
            Entry::Cookie(c) => Some(Field {
                value: c.value,
                multi_value: c
                    .multi_value
                    .map(|m| m.into_iter().map(|v| v.value).collect()),
            }),
            Entry::Js(_) => None,
        },
    )
}

fn read_response(
    o: &JsObject,
    maps: &MapFunctions,
    ctx: &mut Context,
) -> Result<OutResponse, ReadError> {
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
    let hv = maps.value(o, Part::ResponseHeaders, ctx)?;
    let headers = read_fields_map(hv, "response.headers", ctx)?;
    let cv = maps.value(o, Part::ResponseCookies, ctx)?;
    let cookies = read_map(cv, "response.cookies", ctx, read_cookie, |e| match e {
        Entry::Cookie(c) => Some(c),
        Entry::Field(f) => Some(ResponseCookie {
            value: f.value,
            attributes: String::new(),
            multi_value: f.multi_value.map(|m| {
                m.into_iter()
                    .map(|value| CookieValue {
                        value,
                        attributes: String::new(),
                    })
                    .collect()
            }),
        }),
        Entry::Js(_) => None,
    })?;
    let bv = get(o, js_string!("body"), ctx)?;
    let body = if bv.is_undefined() {
        None
    } else if let Some(s) = bv.as_string() {
        Some(OutBody::Text(super::rust_string(&s)))
    } else if let Some(bo) = bv.as_object() {
        let enc = get(&bo, js_string!("encoding"), ctx)?;
        let data = get(&bo, js_string!("data"), ctx)?;
        let data = if data.is_undefined() {
            String::new()
        } else {
            scalar(&data, "response.body.data", ctx)?
        };
        match enc.as_string().map(|e| super::rust_string(&e)).as_deref() {
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

fn read_request(
    o: &JsObject,
    maps: &MapFunctions,
    ctx: &mut Context,
) -> Result<OutRequest, ReadError> {
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
    // A string querystring is kept as written (spec §4.5).
    let querystring = match maps.value(o, Part::RequestQuerystring, ctx)? {
        MapValue::Js(q) if q.is_string() => Querystring::Raw(
            q.as_string()
                .map(|q| super::rust_string(&q))
                .unwrap_or_default(),
        ),
        qv => Querystring::Fields(read_fields_map(qv, "request.querystring", ctx)?),
    };
    let hv = maps.value(o, Part::RequestHeaders, ctx)?;
    let headers = read_fields_map(hv, "request.headers", ctx)?;
    let cv = maps.value(o, Part::RequestCookies, ctx)?;
    let cookies = read_fields_map(cv, "request.cookies", ctx)?;
    Ok(OutRequest {
        method,
        uri: super::rust_string(&uri),
        querystring,
        headers,
        cookies,
    })
}

/// Read the handler's result for `event_type` (spec §4.5).
pub fn read(
    v: &JsValue,
    event_type: EventType,
    maps: &MapFunctions,
    ctx: &mut Context,
) -> Result<Output, ReadError> {
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
        (_, true) => Ok(Output::Response(read_response(&o, maps, ctx)?)),
        (EventType::ViewerRequest, false) => Ok(Output::Request(read_request(&o, maps, ctx)?)),
        (EventType::ViewerResponse, false) => {
            invalid("a viewer-response function must return a response object with a statusCode")
        }
    }
}
