//! The CloudFront Functions event and result, as plain Rust data (spec §4.4,
//! §4.5), and the translation between them and the HTTP request/response.
//!
//! The JS engine turns [`Event`] into a JS object and a returned JS object
//! into [`Output`]; everything about CloudFront's rules (hidden and
//! read-only headers, `multiValue` merging, cookies) lives here, in pure
//! functions that are unit- and property-tested without an engine.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Map, Value};

use super::FunctionError;
use crate::viewer::ViewerRequest;

/// `viewer-request` or `viewer-response`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    ViewerRequest,
    ViewerResponse,
}

impl EventType {
    /// The `context.eventType` string.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ViewerRequest => "viewer-request",
            EventType::ViewerResponse => "viewer-response",
        }
    }

    /// Parse `viewer-request` / `viewer-response`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer-request" => Some(EventType::ViewerRequest),
            "viewer-response" => Some(EventType::ViewerResponse),
            _ => None,
        }
    }
}

/// One query parameter, header or request cookie: `{value, multiValue?}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Field {
    pub value: String,
    /// Present only when the name occurred more than once (spec §4.4).
    pub multi_value: Option<Vec<String>>,
}

impl Field {
    /// A single value.
    pub fn single(value: impl Into<String>) -> Self {
        Field {
            value: value.into(),
            multi_value: None,
        }
    }

    /// All values, in order.
    pub fn values(&self) -> Vec<&str> {
        match &self.multi_value {
            Some(m) => m.iter().map(String::as_str).collect(),
            None => vec![self.value.as_str()],
        }
    }
}

/// Ordered `name → field` (order is kept as received).
pub type Fields = Vec<(String, Field)>;

/// One `Set-Cookie` value: `{value, attributes}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct CookieValue {
    pub value: String,
    /// `"Secure; Path=/; ..."`, as written after the first `;`.
    pub attributes: String,
}

/// A response cookie: `{value, attributes, multiValue?}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct ResponseCookie {
    pub value: String,
    pub attributes: String,
    pub multi_value: Option<Vec<CookieValue>>,
}

/// `event.context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContext {
    pub distribution_domain_name: String,
    pub distribution_id: String,
    pub event_type: EventType,
    pub request_id: String,
}

/// `event.request`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventRequest {
    pub method: String,
    pub uri: String,
    pub querystring: Fields,
    pub headers: Fields,
    pub cookies: Fields,
    /// The raw query string for `request.rawQueryString()` (`None`: no `?`).
    pub raw_query: Option<String>,
}

/// `event.response` (viewer-response only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventResponse {
    pub status_code: u16,
    pub status_description: Option<String>,
    pub headers: Fields,
    pub cookies: Vec<(String, ResponseCookie)>,
}

/// The whole event (spec §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub context: EventContext,
    pub viewer_ip: String,
    pub request: EventRequest,
    pub response: Option<EventResponse>,
}

/// `querystring` as returned: an object, or a string (spec §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Querystring {
    Fields(Fields),
    Raw(String),
}

/// A request returned by the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRequest {
    pub method: String,
    pub uri: String,
    pub querystring: Querystring,
    pub headers: Fields,
    pub cookies: Fields,
}

/// `response.body` as returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutBody {
    Text(String),
    Base64(String),
}

/// A response returned by the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutResponse {
    pub status_code: u16,
    pub status_description: Option<String>,
    pub headers: Fields,
    pub cookies: Vec<(String, ResponseCookie)>,
    pub body: Option<OutBody>,
}

/// What a handler returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Request(OutRequest),
    Response(OutResponse),
}

// === Headers functions can't see or touch (spec §3.3) ===

/// Disallowed headers: hidden from functions; adding one is a 502.
pub fn is_disallowed_header(name: &str) -> bool {
    crate::headers::is_disallowed_for_functions(name)
}

/// Read-only headers per event type (spec §3.3): changing one is a 502.
pub fn is_read_only_header(event: EventType, name: &str) -> bool {
    match event {
        EventType::ViewerRequest => matches!(
            name,
            "cdn-loop" | "content-length" | "host" | "transfer-encoding" | "via"
        ),
        EventType::ViewerResponse => matches!(name, "warning" | "via"),
    }
}

// === HTTP → event ===

/// Group a header map into event fields (lowercase names, `multiValue` for repeats),
/// leaving out `cookie`/`set-cookie` and the disallowed headers.
pub fn header_fields(headers: &HeaderMap) -> Fields {
    let mut out: Fields = Vec::with_capacity(headers.keys_len());
    // `iter` yields each name's values together, so one pass groups them.
    let mut last: Option<&HeaderName> = None;
    for (name, value) in headers {
        let n = name.as_str();
        if n == "cookie" || n == "set-cookie" || is_disallowed_header(n) {
            continue;
        }
        let text = header_text(value);
        match out.last_mut() {
            Some((_, field)) if last == Some(name) => field
                .multi_value
                .get_or_insert_with(|| vec![field.value.clone()])
                .push(text),
            _ => out.push((n.to_owned(), Field::single(text))),
        }
        last = Some(name);
    }
    out
}

/// A header value as event text: visible ASCII as it is (nearly every
/// value, and the cheap check), anything else decoded as UTF-8, lossily.
fn header_text(value: &HeaderValue) -> String {
    match value.to_str() {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
    }
}

/// `ip` as the event's `viewer.ip`. IPv4 skips the formatting machinery,
/// which cost more than the rest of the event's `viewer` part.
pub fn ip_text(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let mut s = String::with_capacity(15);
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                if octet >= 100 {
                    s.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    s.push(char::from(b'0' + octet / 10 % 10));
                }
                s.push(char::from(b'0' + octet % 10));
            }
            s
        }
        std::net::IpAddr::V6(_) => ip.to_string(),
    }
}

/// Push `value` under `name`, keeping first-seen order.
fn push_value(fields: &mut Fields, name: &str, value: String) {
    if let Some((_, f)) = fields.iter_mut().find(|(n, _)| n == name) {
        let m = f.multi_value.get_or_insert_with(|| vec![f.value.clone()]);
        m.push(value);
    } else {
        fields.push((name.to_owned(), Field::single(value)));
    }
}

/// Parse a raw query string into fields (names and values as received,
/// still percent-encoded).
pub fn query_fields(raw: Option<&str>) -> Fields {
    let mut out = Fields::new();
    let Some(raw) = raw else { return out };
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        push_value(&mut out, k, v.to_owned());
    }
    out
}

/// Parse `Cookie` headers into fields.
pub fn cookie_fields(headers: &HeaderMap) -> Fields {
    let mut out = Fields::new();
    for h in headers.get_all(http::header::COOKIE) {
        let s = String::from_utf8_lossy(h.as_bytes());
        for part in s.split(';') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            push_value(&mut out, k.trim(), v.trim().to_owned());
        }
    }
    out
}

/// Parse `Set-Cookie` headers into response cookies.
pub fn set_cookie_fields(headers: &HeaderMap) -> Vec<(String, ResponseCookie)> {
    let mut out: Vec<(String, ResponseCookie)> = Vec::new();
    for h in headers.get_all(http::header::SET_COOKIE) {
        let s = String::from_utf8_lossy(h.as_bytes());
        let (pair, attributes) = match s.split_once(';') {
            Some((p, a)) => (p, a.trim().to_owned()),
            None => (&*s, String::new()),
        };
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let cv = CookieValue {
            value: value.trim().to_owned(),
            attributes,
        };
        let name = name.trim();
        if let Some((_, c)) = out.iter_mut().find(|(n, _)| n == name) {
            let m = c.multi_value.get_or_insert_with(|| {
                vec![CookieValue {
                    value: c.value.clone(),
                    attributes: c.attributes.clone(),
                }]
            });
            m.push(cv);
        } else {
            out.push((
                name.to_owned(),
                ResponseCookie {
                    value: cv.value,
                    attributes: cv.attributes,
                    multi_value: None,
                },
            ));
        }
    }
    out
}

/// The event's request part for a viewer request.
pub fn event_request(req: &ViewerRequest) -> EventRequest {
    EventRequest {
        method: req.method.as_str().to_owned(),
        uri: req.uri.clone(),
        querystring: query_fields(req.querystring.as_deref()),
        headers: header_fields(&req.headers),
        cookies: cookie_fields(&req.headers),
        raw_query: req.querystring.clone(),
    }
}

/// The event's response part for a viewer response.
pub fn event_response(status: StatusCode, headers: &HeaderMap) -> EventResponse {
    EventResponse {
        status_code: status.as_u16(),
        status_description: status.canonical_reason().map(str::to_owned),
        headers: header_fields(headers),
        cookies: set_cookie_fields(headers),
    }
}

// === output → HTTP ===

fn validation(msg: impl Into<String>) -> FunctionError {
    FunctionError::Validation(msg.into())
}

/// Apply the `multiValue` rule of spec §4.4: a changed `multiValue` wins;
/// otherwise the (maybe changed) `value` replaces the first value and the
/// later ones are kept.
pub fn merged_values(out: &Field, original: Option<&Field>) -> Vec<String> {
    let orig_multi = original.and_then(|o| o.multi_value.as_ref());
    match (&out.multi_value, orig_multi) {
        (Some(m), Some(o)) if m != o => m.clone(),
        (Some(m), None) => m.clone(),
        (_, Some(o)) => {
            let mut v = o.clone();
            if let Some(first) = v.first_mut() {
                first.clone_from(&out.value);
            }
            v
        }
        (None, None) => vec![out.value.clone()],
    }
}

fn find<'a, T>(fields: &'a [(String, T)], name: &str) -> Option<&'a T> {
    fields.iter().find(|(n, _)| n == name).map(|(_, f)| f)
}

fn read_only(event: EventType, name: &str) -> FunctionError {
    validation(format!(
        "header \"{name}\" is read-only at {}",
        event.as_str()
    ))
}

fn header_name(name: &str) -> Result<HeaderName, FunctionError> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(validation(format!(
            "header name \"{name}\" must be lowercase"
        )));
    }
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| validation(format!("invalid header name \"{name}\"")))
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, FunctionError> {
    HeaderValue::from_str(value)
        .map_err(|_| validation(format!("invalid value for header \"{name}\"")))
}

/// Build a header map from returned header fields, checking names and the
/// disallowed/read-only rules against the original fields.
fn headers_from_fields(
    event: EventType,
    out: &Fields,
    original: &Fields,
) -> Result<HeaderMap, FunctionError> {
    let lines: usize = out
        .iter()
        .map(|(_, f)| f.multi_value.as_ref().map_or(1, Vec::len))
        .sum();
    if lines > crate::headers::MAX_FUNCTION_HEADER_LINES {
        return Err(validation(format!(
            "the result has {lines} header lines, more than {}",
            crate::headers::MAX_FUNCTION_HEADER_LINES
        )));
    }
    let mut map = HeaderMap::with_capacity(out.len());
    for (name, field) in out {
        let hn = header_name(name)?;
        if hn == http::header::COOKIE || hn == http::header::SET_COOKIE {
            return Err(validation(format!(
                "header \"{name}\" must be set through cookies, not headers"
            )));
        }
        let orig = find(original, name);
        // The edge never shows these to a function (see `header_fields`); one
        // that a test event carries may be passed back unchanged.
        if is_disallowed_header(name) && orig != Some(field) {
            return Err(validation(format!(
                "header \"{name}\" cannot be added or changed by a function"
            )));
        }
        if field.multi_value.is_none() && orig.is_none_or(|o| o.multi_value.is_none()) {
            // One value, the common case: no list to build.
            if is_read_only_header(event, name) && orig.map(|o| &o.value) != Some(&field.value) {
                return Err(read_only(event, name));
            }
            map.append(hn, header_value(name, &field.value)?);
            continue;
        }
        let values = merged_values(field, orig);
        if is_read_only_header(event, name)
            && orig.map(Field::values) != Some(values.iter().map(String::as_str).collect())
        {
            return Err(read_only(event, name));
        }
        for v in &values {
            map.append(hn.clone(), header_value(name, v)?);
        }
    }
    if let Some((name, _)) = original
        .iter()
        .find(|(n, _)| is_read_only_header(event, n) && find(out, n).is_none())
    {
        return Err(validation(format!(
            "header \"{name}\" is read-only at {} and cannot be removed",
            event.as_str()
        )));
    }
    Ok(map)
}

fn cookie_header(out: &Fields, original: &Fields) -> Result<Option<HeaderValue>, FunctionError> {
    let mut parts = Vec::new();
    for (name, field) in out {
        for v in merged_values(field, find(original, name)) {
            parts.push(format!("{name}={v}"));
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    header_value("cookie", &parts.join("; ")).map(Some)
}

fn set_cookie_values(
    out: &[(String, ResponseCookie)],
    original: &[(String, ResponseCookie)],
) -> Result<Vec<HeaderValue>, FunctionError> {
    let mut vals = Vec::new();
    for (name, c) in out {
        let orig = find(original, name);
        let list: Vec<CookieValue> =
            match (&c.multi_value, orig.and_then(|o| o.multi_value.as_ref())) {
                (Some(m), Some(o)) if m != o => m.clone(),
                (Some(m), None) => m.clone(),
                (_, Some(o)) => {
                    let mut v = o.clone();
                    if let Some(first) = v.first_mut() {
                        first.value.clone_from(&c.value);
                        first.attributes.clone_from(&c.attributes);
                    }
                    v
                }
                (None, None) => vec![CookieValue {
                    value: c.value.clone(),
                    attributes: c.attributes.clone(),
                }],
            };
        for cv in list {
            let s = if cv.attributes.trim().is_empty() {
                format!("{name}={}", cv.value)
            } else {
                format!("{name}={}; {}", cv.value, cv.attributes.trim())
            };
            vals.push(header_value("set-cookie", &s)?);
        }
    }
    Ok(vals)
}

/// Serialise returned query fields (names and values are already encoded).
pub fn query_string(q: &Querystring, original: &Fields) -> Option<String> {
    match q {
        Querystring::Raw(s) => {
            let s = s.strip_prefix('?').unwrap_or(s);
            (!s.is_empty()).then(|| s.to_owned())
        }
        Querystring::Fields(f) => {
            let mut parts = Vec::new();
            for (name, field) in f {
                for v in merged_values(field, find(original, name)) {
                    if v.is_empty() {
                        parts.push(name.clone());
                    } else {
                        parts.push(format!("{name}={v}"));
                    }
                }
            }
            (!parts.is_empty()).then(|| parts.join("&"))
        }
    }
}

/// Apply a returned request to the viewer request (viewer-request).
pub fn apply_request(
    orig: &ViewerRequest,
    event: &EventRequest,
    out: &OutRequest,
) -> Result<ViewerRequest, FunctionError> {
    apply_request_with(orig, event, out, || request_headers(event, out))
}

/// The returned request's visible headers as HTTP (a function of the event
/// and the result alone, so a replayed run reuses it).
pub fn request_headers(event: &EventRequest, out: &OutRequest) -> Result<HeaderMap, FunctionError> {
    headers_from_fields(EventType::ViewerRequest, &out.headers, &event.headers)
}

/// [`apply_request`], with the visible headers from `headers` ([`request_headers`]).
pub fn apply_request_with(
    orig: &ViewerRequest,
    event: &EventRequest,
    out: &OutRequest,
    headers: impl FnOnce() -> Result<HeaderMap, FunctionError>,
) -> Result<ViewerRequest, FunctionError> {
    check_request_line(event, out)?;
    let mut headers = headers()?;
    if out.cookies == event.cookies {
        // Unchanged cookies travel exactly as the viewer sent them.
        for v in orig.headers.get_all(http::header::COOKIE) {
            headers.append(http::header::COOKIE, v.clone());
        }
    } else if let Some(c) = cookie_header(&out.cookies, &event.cookies)? {
        headers.insert(http::header::COOKIE, c);
    }
    // Hidden headers the function never saw travel on unchanged.
    for (name, value) in &orig.headers {
        if is_disallowed_header(name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    let querystring = match &out.querystring {
        // An unchanged query string is forwarded byte for byte.
        Querystring::Fields(f) if *f == event.querystring => orig.querystring.clone(),
        q => query_string(q, &event.querystring),
    };
    check_querystring(querystring.as_deref())?;
    Ok(ViewerRequest {
        method: orig.method.clone(),
        version: orig.version,
        protocol: orig.protocol,
        uri: out.uri.clone(),
        querystring,
        headers,
        client_addr: orig.client_addr,
    })
}

/// The method is read-only; the URI must be a path (spec §4.5, §4.8).
fn check_request_line(event: &EventRequest, out: &OutRequest) -> Result<(), FunctionError> {
    if out.method != event.method {
        return Err(validation("request.method is read-only"));
    }
    if !out.uri.starts_with('/') {
        return Err(validation(format!(
            "request.uri must start with '/', got \"{}\"",
            out.uri
        )));
    }
    if out.uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(validation("request.uri contains invalid characters"));
    }
    Ok(())
}

fn check_querystring(q: Option<&str>) -> Result<(), FunctionError> {
    if q.is_some_and(|q| q.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'#')) {
        return Err(validation(
            "request.querystring contains invalid characters",
        ));
    }
    Ok(())
}

/// Every check the edge makes on a function's result for `event`, without
/// an HTTP request to apply it to (what `test-function` reports besides
/// `TestResult`): the same failures the edge answers with a 502.
pub fn check_at_edge(event: &Event, out: &Output) -> Result<(), FunctionError> {
    let event_type = event.context.event_type;
    match out {
        Output::Request(r) => {
            if event_type == EventType::ViewerResponse {
                return Err(validation(
                    "a viewer-response function must return a response",
                ));
            }
            let e = &event.request;
            check_request_line(e, r)?;
            request_headers(e, r)?;
            // As in `apply_request_with`: what the function left alone is
            // forwarded as the viewer sent it.
            if r.cookies != e.cookies {
                cookie_header(&r.cookies, &e.cookies)?;
            }
            match &r.querystring {
                Querystring::Fields(f) if *f == e.querystring => Ok(()),
                q => check_querystring(query_string(q, &e.querystring).as_deref()),
            }
        }
        Output::Response(r) => {
            status_code(r.status_code)?;
            let original = match event_type {
                EventType::ViewerRequest => None,
                EventType::ViewerResponse => event.response.as_ref(),
            };
            response_headers(event_type, r, original)?;
            r.body.as_ref().map(body_bytes).transpose().map(drop)
        }
    }
}

/// A status code a function may return.
pub fn status_code(code: u16) -> Result<StatusCode, FunctionError> {
    // A 1xx is an interim answer, never a response a function can give.
    if !(200..=599).contains(&code) {
        return Err(validation(format!("invalid statusCode {code}")));
    }
    StatusCode::from_u16(code).map_err(|_| validation(format!("invalid statusCode {code}")))
}

/// Decode a returned body.
pub fn body_bytes(body: &OutBody) -> Result<bytes::Bytes, FunctionError> {
    use base64::Engine as _;
    match body {
        OutBody::Text(s) => Ok(bytes::Bytes::copy_from_slice(s.as_bytes())),
        OutBody::Base64(s) => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map(bytes::Bytes::from)
            .map_err(|_| validation("response.body.data is not valid base64")),
    }
}

/// Headers of a returned response: `event` says which read-only rules apply;
/// `original` is the event's response (viewer-response) or empty (generated).
pub fn response_headers(
    event: EventType,
    out: &OutResponse,
    original: Option<&EventResponse>,
) -> Result<HeaderMap, FunctionError> {
    let empty = Fields::new();
    let (orig_headers, orig_cookies) = match original {
        Some(o) => (&o.headers, o.cookies.as_slice()),
        None => (&empty, &[][..]),
    };
    // A generated response has nothing to compare against: the request's
    // read-only headers (`Content-Length`, `Transfer-Encoding`...) count as
    // added, as Lambda@Edge's do (the edge frames the body itself).
    let mut headers = match original {
        Some(_) => headers_from_fields(event, &out.headers, orig_headers)?,
        None => headers_from_fields(EventType::ViewerRequest, &out.headers, &empty)?,
    };
    let cookies = set_cookie_values(&out.cookies, orig_cookies)?;
    if headers.len() + cookies.len() > crate::headers::MAX_FUNCTION_HEADER_LINES {
        return Err(validation(format!(
            "the response has more than {} header lines with its cookies",
            crate::headers::MAX_FUNCTION_HEADER_LINES
        )));
    }
    for v in cookies {
        headers.append(http::header::SET_COOKIE, v);
    }
    Ok(headers)
}

// === JSON (test events and TestResult output) ===

fn fields_json(f: &Fields) -> Value {
    let mut m = Map::new();
    for (name, field) in f {
        let mut o = Map::new();
        o.insert("value".into(), Value::String(field.value.clone()));
        if let Some(mv) = &field.multi_value {
            o.insert(
                "multiValue".into(),
                Value::Array(mv.iter().map(|v| json!({ "value": v })).collect()),
            );
        }
        m.insert(name.clone(), Value::Object(o));
    }
    Value::Object(m)
}

fn response_cookies_json(c: &[(String, ResponseCookie)]) -> Value {
    let mut m = Map::new();
    for (name, cookie) in c {
        let mut o = Map::new();
        o.insert("value".into(), Value::String(cookie.value.clone()));
        o.insert(
            "attributes".into(),
            Value::String(cookie.attributes.clone()),
        );
        if let Some(mv) = &cookie.multi_value {
            o.insert(
                "multiValue".into(),
                Value::Array(
                    mv.iter()
                        .map(|v| json!({ "value": v.value, "attributes": v.attributes }))
                        .collect(),
                ),
            );
        }
        m.insert(name.clone(), Value::Object(o));
    }
    Value::Object(m)
}

impl Output {
    /// The returned object as JSON, in the event's shape (TestResult `FunctionOutput`).
    pub fn to_json(&self) -> Value {
        match self {
            Output::Request(r) => json!({ "request": {
                "method": r.method,
                "uri": r.uri,
                "querystring": match &r.querystring {
                    Querystring::Fields(f) => fields_json(f),
                    Querystring::Raw(s) => Value::String(s.clone()),
                },
                "headers": fields_json(&r.headers),
                "cookies": fields_json(&r.cookies),
            }}),
            Output::Response(r) => {
                let mut o = Map::new();
                o.insert("statusCode".into(), json!(r.status_code));
                if let Some(d) = &r.status_description {
                    o.insert("statusDescription".into(), json!(d));
                }
                o.insert("headers".into(), fields_json(&r.headers));
                o.insert("cookies".into(), response_cookies_json(&r.cookies));
                match &r.body {
                    Some(OutBody::Text(s)) => {
                        o.insert("body".into(), json!({ "encoding": "text", "data": s }));
                    }
                    Some(OutBody::Base64(s)) => {
                        o.insert("body".into(), json!({ "encoding": "base64", "data": s }));
                    }
                    None => {}
                }
                json!({ "response": Value::Object(o) })
            }
        }
    }
}

impl Event {
    /// The event as JSON (CloudFront's shape).
    pub fn to_json(&self) -> Value {
        let mut ev = json!({
            "version": "1.0",
            "context": {
                "distributionDomainName": self.context.distribution_domain_name,
                "distributionId": self.context.distribution_id,
                "eventType": self.context.event_type.as_str(),
                "requestId": self.context.request_id,
            },
            "viewer": { "ip": self.viewer_ip },
            "request": {
                "method": self.request.method,
                "uri": self.request.uri,
                "querystring": fields_json(&self.request.querystring),
                "headers": fields_json(&self.request.headers),
                "cookies": fields_json(&self.request.cookies),
            },
        });
        if let (Some(r), Some(o)) = (&self.response, ev.as_object_mut()) {
            let mut resp = Map::new();
            resp.insert("statusCode".into(), json!(r.status_code));
            if let Some(d) = &r.status_description {
                resp.insert("statusDescription".into(), json!(d));
            }
            resp.insert("headers".into(), fields_json(&r.headers));
            resp.insert("cookies".into(), response_cookies_json(&r.cookies));
            o.insert("response".into(), Value::Object(resp));
        }
        ev
    }

    /// Read a test event (the CloudFront console / `TestFunction` format).
    /// Missing context IDs are allowed (spec §4.4); `event_type` overrides
    /// `context.eventType`.
    pub fn from_json(v: &Value, event_type: Option<EventType>) -> Result<Event, String> {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let ctx = v.get("context");
        let event_type = match event_type {
            Some(t) => t,
            None => {
                let t = s(ctx.and_then(|c| c.get("eventType")));
                EventType::parse(&t).ok_or_else(|| {
                    "the event has no context.eventType (viewer-request or viewer-response); \
                     pass --event-type"
                        .to_owned()
                })?
            }
        };
        let req = v.get("request").ok_or("the event has no request object")?;
        let request = EventRequest {
            method: match req.get("method").and_then(Value::as_str) {
                Some(m) => m.to_owned(),
                None => "GET".to_owned(),
            },
            uri: match req.get("uri").and_then(Value::as_str) {
                Some(u) => u.to_owned(),
                None => "/".to_owned(),
            },
            querystring: fields_from_json(req.get("querystring"), "request.querystring")?,
            headers: fields_from_json(req.get("headers"), "request.headers")?,
            cookies: fields_from_json(req.get("cookies"), "request.cookies")?,
            raw_query: None,
        };
        let request = EventRequest {
            raw_query: query_string(
                &Querystring::Fields(request.querystring.clone()),
                &Fields::new(),
            ),
            ..request
        };
        let response = match (event_type, v.get("response")) {
            (EventType::ViewerResponse, Some(r)) => Some(EventResponse {
                status_code: r
                    .get("statusCode")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or("response.statusCode must be an integer")?,
                status_description: r
                    .get("statusDescription")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                headers: fields_from_json(r.get("headers"), "response.headers")?,
                cookies: response_cookies_from_json(r.get("cookies"))?,
            }),
            (EventType::ViewerResponse, None) => {
                return Err("a viewer-response event needs a response object".to_owned())
            }
            (EventType::ViewerRequest, _) => None,
        };
        Ok(Event {
            context: EventContext {
                distribution_domain_name: s(ctx.and_then(|c| c.get("distributionDomainName"))),
                distribution_id: s(ctx.and_then(|c| c.get("distributionId"))),
                event_type,
                request_id: s(ctx.and_then(|c| c.get("requestId"))),
            },
            viewer_ip: s(v.get("viewer").and_then(|x| x.get("ip"))),
            request,
            response,
        })
    }
}

fn fields_from_json(v: Option<&Value>, what: &str) -> Result<Fields, String> {
    let mut out = Fields::new();
    let Some(v) = v else { return Ok(out) };
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{what} must be an object"))?;
    for (name, f) in obj {
        let value = f.get("value").and_then(Value::as_str).map(str::to_owned);
        let multi = match f.get("multiValue").and_then(Value::as_array) {
            Some(a) => Some(
                a.iter()
                    .map(|x| {
                        x.get("value")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| format!("{what}.{name}.multiValue entries need a value"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let value = match (value, &multi) {
            (Some(v), _) => v,
            (None, Some(m)) => m.first().cloned().unwrap_or_default(),
            (None, None) => return Err(format!("{what}.{name} needs a value")),
        };
        out.push((
            name.clone(),
            Field {
                value,
                multi_value: multi,
            },
        ));
    }
    Ok(out)
}

fn response_cookies_from_json(v: Option<&Value>) -> Result<Vec<(String, ResponseCookie)>, String> {
    let mut out = Vec::new();
    let Some(v) = v else { return Ok(out) };
    let obj = v.as_object().ok_or("response.cookies must be an object")?;
    let sv = |x: &Value, k: &str| {
        x.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    for (name, c) in obj {
        let multi = c.get("multiValue").and_then(Value::as_array).map(|a| {
            a.iter()
                .map(|x| CookieValue {
                    value: sv(x, "value"),
                    attributes: sv(x, "attributes"),
                })
                .collect::<Vec<_>>()
        });
        out.push((
            name.clone(),
            ResponseCookie {
                value: sv(c, "value"),
                attributes: sv(c, "attributes"),
                multi_value: multi,
            },
        ));
    }
    Ok(out)
}

/// Parse JSON text, naming the line and column of a syntax error.
pub fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })
}

/// Re-capitalise a header name for display: `example-header-name` →
/// `Example-Header-Name` (spec §4.4).
pub fn capitalize_header_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
    out
}

/// Whether the method of a request is one a function may see (all are).
pub fn method_of(s: &str) -> Option<Method> {
    Method::from_bytes(s.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::SocketAddr;

    fn viewer(headers: &[(&str, &str)], query: Option<&str>) -> ViewerRequest {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        ViewerRequest {
            method: Method::GET,
            version: http::Version::HTTP_11,
            protocol: crate::viewer::ViewerProtocol::Http,
            uri: "/a".into(),
            querystring: query.map(str::to_owned),
            headers: h,
            client_addr: SocketAddr::from(([127, 0, 0, 1], 1)),
        }
    }

    fn echo(ev: &EventRequest) -> OutRequest {
        OutRequest {
            method: ev.method.clone(),
            uri: ev.uri.clone(),
            querystring: Querystring::Fields(ev.querystring.clone()),
            headers: ev.headers.clone(),
            cookies: ev.cookies.clone(),
        }
    }

    #[test]
    fn repeated_names_get_multi_value_with_first_copied() {
        // Interleaved: the values of one name are still grouped.
        let v = viewer(
            &[("accept", "a"), ("x", "1, 2"), ("accept", "b")],
            Some("k=1&k=2&z"),
        );
        let ev = event_request(&v);
        let accept = find(&ev.headers, "accept").unwrap();
        assert_eq!(accept.value, "a");
        assert_eq!(
            accept.multi_value.as_deref(),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        // A single comma-joined header has no multiValue.
        assert_eq!(find(&ev.headers, "x").unwrap().multi_value, None);
        assert_eq!(find(&ev.querystring, "k").unwrap().values(), vec!["1", "2"]);
        assert_eq!(find(&ev.querystring, "z").unwrap().value, "");
    }

    #[test]
    fn header_values_beyond_visible_ascii_are_decoded_as_utf8() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-utf8",
            HeaderValue::from_bytes("café".as_bytes()).unwrap(),
        );
        h.insert("x-tab", HeaderValue::from_bytes(b"a\tb").unwrap());
        h.insert("x-latin1", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let f = header_fields(&h);
        assert_eq!(find(&f, "x-utf8").unwrap().value, "café");
        assert_eq!(find(&f, "x-tab").unwrap().value, "a\tb");
        assert_eq!(find(&f, "x-latin1").unwrap().value, "caf\u{fffd}");
    }

    #[test]
    fn viewer_ip_text_is_the_standard_notation() {
        for ip in [
            "0.0.0.0",
            "9.10.99.100",
            "203.0.113.255",
            "127.0.0.1",
            "::1",
            "2001:db8::7",
        ] {
            let addr: std::net::IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(addr), ip);
        }
        for n in (0..=u32::MAX).step_by(65_537) {
            let addr = std::net::IpAddr::from(std::net::Ipv4Addr::from(n));
            assert_eq!(ip_text(addr), addr.to_string());
        }
    }

    #[test]
    fn cookie_and_disallowed_headers_are_hidden() {
        let v = viewer(
            &[
                ("cookie", "a=1; b=2"),
                ("x-amz-cf-id", "x"),
                ("connection", "close"),
                ("host", "h"),
            ],
            None,
        );
        let ev = event_request(&v);
        assert!(find(&ev.headers, "cookie").is_none());
        assert!(find(&ev.headers, "x-amz-cf-id").is_none());
        assert!(find(&ev.headers, "connection").is_none());
        assert_eq!(find(&ev.cookies, "b").unwrap().value, "2");
        // Hidden headers travel on unchanged.
        let out = apply_request(&v, &ev, &echo(&ev)).unwrap();
        assert_eq!(out.headers.get("x-amz-cf-id").unwrap(), "x");
        assert_eq!(out.headers.get("cookie").unwrap(), "a=1; b=2");
    }

    #[test]
    fn changed_value_replaces_first_and_keeps_the_rest() {
        let orig = Field {
            value: "a".into(),
            multi_value: Some(vec!["a".into(), "b".into()]),
        };
        let out = Field {
            value: "z".into(),
            ..orig.clone()
        };
        assert_eq!(merged_values(&out, Some(&orig)), vec!["z", "b"]);
        let out = Field {
            value: "ignored".into(),
            multi_value: Some(vec!["x".into()]),
        };
        assert_eq!(merged_values(&out, Some(&orig)), vec!["x"]);
    }

    #[test]
    fn method_is_read_only() {
        let v = viewer(&[], None);
        let ev = event_request(&v);
        let mut out = echo(&ev);
        out.method = "POST".into();
        assert!(matches!(
            apply_request(&v, &ev, &out),
            Err(FunctionError::Validation(_))
        ));
    }

    #[test]
    fn read_only_headers_at_viewer_request() {
        let v = viewer(&[("host", "example.com")], None);
        let ev = event_request(&v);
        for (name, value) in [
            ("host", "evil"),
            ("via", "x"),
            ("content-length", "1"),
            ("transfer-encoding", "chunked"),
            ("cdn-loop", "x"),
        ] {
            let mut out = echo(&ev);
            out.headers.retain(|(n, _)| n != name);
            out.headers.push((name.into(), Field::single(value)));
            let e = apply_request(&v, &ev, &out).unwrap_err();
            assert!(matches!(e, FunctionError::Validation(_)), "{name}");
        }
        let mut out = echo(&ev);
        out.headers.clear();
        assert!(
            apply_request(&v, &ev, &out).is_err(),
            "removing host is a change"
        );
    }

    #[test]
    fn disallowed_and_uppercase_headers_are_rejected() {
        let v = viewer(&[], None);
        let ev = event_request(&v);
        for name in [
            "x-amz-cf-foo",
            "x-edge-foo",
            "connection",
            "x-cache",
            "X-Upper",
        ] {
            let mut out = echo(&ev);
            out.headers.push((name.into(), Field::single("1")));
            assert!(
                matches!(
                    apply_request(&v, &ev, &out),
                    Err(FunctionError::Validation(_))
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn querystring_may_be_returned_as_a_string() {
        let v = viewer(&[], Some("b=2&a=1"));
        let ev = event_request(&v);
        let mut out = echo(&ev);
        out.querystring = Querystring::Raw("a=1&b=2".into());
        assert_eq!(
            apply_request(&v, &ev, &out).unwrap().querystring.as_deref(),
            Some("a=1&b=2")
        );
        out.querystring = Querystring::Raw(String::new());
        assert_eq!(apply_request(&v, &ev, &out).unwrap().querystring, None);
    }

    #[test]
    fn set_cookie_round_trip_with_attributes() {
        let mut h = HeaderMap::new();
        h.append(
            "set-cookie",
            HeaderValue::from_static("id=1; Secure; Path=/"),
        );
        h.append("set-cookie", HeaderValue::from_static("id=2"));
        h.append("set-cookie", HeaderValue::from_static("x=y"));
        let c = set_cookie_fields(&h);
        assert_eq!(c[0].1.attributes, "Secure; Path=/");
        assert_eq!(c[0].1.multi_value.as_ref().unwrap().len(), 2);
        let resp = EventResponse {
            status_code: 200,
            status_description: None,
            headers: vec![],
            cookies: c.clone(),
        };
        let out = OutResponse {
            status_code: 200,
            status_description: None,
            headers: vec![],
            cookies: c,
            body: None,
        };
        let back = response_headers(EventType::ViewerResponse, &out, Some(&resp)).unwrap();
        let vals: Vec<_> = back
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(vals, vec!["id=1; Secure; Path=/", "id=2", "x=y"]);
    }

    #[test]
    fn invalid_status_and_body_are_validation_errors() {
        assert!(status_code(99).is_err());
        assert!(status_code(600).is_err());
        assert!(status_code(302).is_ok());
        assert!(body_bytes(&OutBody::Base64("!!!".into())).is_err());
        assert_eq!(
            &body_bytes(&OutBody::Base64("aGk=".into())).unwrap()[..],
            b"hi"
        );
    }

    #[test]
    fn header_names_are_capitalised_for_output() {
        assert_eq!(
            capitalize_header_name("example-header-name"),
            "Example-Header-Name"
        );
        assert_eq!(capitalize_header_name("x-edge-function"), "X-Edge-Function");
    }

    #[test]
    fn json_event_round_trip() {
        let v = viewer(
            &[("accept", "a"), ("accept", "b"), ("cookie", "s=1")],
            Some("q=1&q=2"),
        );
        let ev = Event {
            context: EventContext {
                distribution_domain_name: "d.cloudfront.net".into(),
                distribution_id: "E1".into(),
                event_type: EventType::ViewerRequest,
                request_id: "r".into(),
            },
            viewer_ip: "127.0.0.1".into(),
            request: event_request(&v),
            response: None,
        };
        let back = Event::from_json(&ev.to_json(), None).unwrap();
        assert_eq!(back, ev);
    }

    fn token() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9-]{0,8}"
    }
    fn hvalue() -> impl Strategy<Value = String> {
        "[ -~&&[^;=,]]{0,12}".prop_map(|s| s.trim().to_owned())
    }

    proptest! {
        /// HTTP → event → unchanged output → HTTP keeps every header, cookie and query value.
        #[test]
        fn unchanged_event_round_trips(
            headers in proptest::collection::vec((token(), hvalue()), 0..8),
            cookies in proptest::collection::vec(("[a-z]{1,5}", "[a-zA-Z0-9]{0,6}"), 0..5),
            query in proptest::collection::vec(("[a-z]{1,5}", "[a-zA-Z0-9%]{0,6}"), 0..5),
        ) {
            let headers: Vec<_> = headers.into_iter()
                .filter(|(n, _)| !is_disallowed_header(n) && n != "cookie" && n != "set-cookie")
                .collect();
            let mut pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let cookie = cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ");
            if !cookie.is_empty() { pairs.push(("cookie", &cookie)); }
            let q = query.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&");
            let v = viewer(&pairs, (!q.is_empty()).then_some(q.as_str()));
            let ev = event_request(&v);
            let out = apply_request(&v, &ev, &echo(&ev)).unwrap();
            for (n, _) in &headers {
                let a: Vec<_> = v.headers.get_all(n.as_str()).iter().collect();
                let b: Vec<_> = out.headers.get_all(n.as_str()).iter().collect();
                prop_assert_eq!(a, b);
            }
            prop_assert_eq!(cookie_fields(&out.headers), cookie_fields(&v.headers));
            prop_assert_eq!(&out.querystring, &v.querystring);
            // A changed value is re-serialised and parses back to the same fields.
            let mut changed = echo(&ev);
            if let Querystring::Fields(f) = &mut changed.querystring {
                f.push(("z_z".into(), Field::single("1")));
            }
            let out2 = apply_request(&v, &ev, &changed).unwrap();
            let mut want = ev.querystring.clone();
            want.push(("z_z".into(), Field::single("1")));
            prop_assert_eq!(query_fields(out2.querystring.as_deref()), want);
        }

        /// The JSON form of an event reads back to the same event.
        #[test]
        fn json_round_trip(
            headers in proptest::collection::vec((token(), hvalue()), 0..8),
            status in 200u16..599,
        ) {
            let mut h = HeaderMap::new();
            for (n, val) in &headers {
                h.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(val).unwrap());
            }
            let v = viewer(&[], None);
            let ev = Event {
                context: EventContext {
                    distribution_domain_name: String::new(),
                    distribution_id: String::new(),
                    event_type: EventType::ViewerResponse,
                    request_id: String::new(),
                },
                viewer_ip: "1.2.3.4".into(),
                request: event_request(&v),
                response: Some(event_response(StatusCode::from_u16(status).unwrap(), &h)),
            };
            prop_assert_eq!(Event::from_json(&ev.to_json(), None).unwrap(), ev);
        }
    }
}
