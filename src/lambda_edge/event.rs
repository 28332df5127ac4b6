//! The Lambda@Edge event (spec §5.1): `{"Records":[{"cf":{config, request, response?}}]}`,
//! built from the pipeline's request and response heads.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use super::EventType;
use crate::config::{Origin, OriginKind, OriginProtocolPolicy};
use crate::origin::{Endpoint, OriginTarget};
use crate::viewer::{ViewerProtocol, ViewerRequest};

/// Distribution facts every event carries in `Records[0].cf.config`.
#[derive(Debug, Clone, Copy)]
pub struct EventConfig<'a> {
    pub distribution_domain_name: &'a str,
    pub distribution_id: &'a str,
    /// The `x-edge-request-id` / `X-Amz-Cf-Id` of the request.
    pub request_id: &'a str,
}

/// The origin a request is going to, as origin events describe it (spec §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOrigin {
    Custom {
        domain_name: String,
        port: u16,
        https: bool,
        /// `""` or `/path` without a trailing slash.
        path: String,
        read_timeout: Duration,
        keepalive_timeout: Duration,
        custom_headers: Vec<(http::HeaderName, HeaderValue)>,
    },
    S3 {
        domain_name: String,
        path: String,
        region: String,
        custom_headers: Vec<(http::HeaderName, HeaderValue)>,
    },
}

impl EventOrigin {
    /// Describe a configured origin for a request that arrived over `viewer`.
    /// A local-directory origin is presented as an S3 origin named after its id.
    pub fn from_config(origin: &Origin, viewer: ViewerProtocol) -> Self {
        match &origin.kind {
            OriginKind::Custom(c) => {
                let https = match c.protocol_policy {
                    OriginProtocolPolicy::HttpOnly => false,
                    OriginProtocolPolicy::HttpsOnly => true,
                    OriginProtocolPolicy::MatchViewer => viewer == ViewerProtocol::Https,
                };
                EventOrigin::Custom {
                    domain_name: c.domain_name.clone(),
                    port: if https { c.https_port } else { c.http_port },
                    https,
                    path: origin.origin_path.clone(),
                    read_timeout: origin.read_timeout,
                    keepalive_timeout: origin.keepalive_timeout,
                    custom_headers: origin.custom_headers.clone(),
                }
            }
            OriginKind::Dir(_) => EventOrigin::S3 {
                domain_name: format!("{}.s3.amazonaws.com", origin.id.to_ascii_lowercase()),
                path: origin.origin_path.clone(),
                region: "us-east-1".into(),
                custom_headers: origin.custom_headers.clone(),
            },
        }
    }

    /// Describe the target a request is about to be sent to (after any
    /// CloudFront Function origin change).
    pub fn from_target(target: &OriginTarget) -> Self {
        match &target.endpoint {
            Endpoint::Http {
                domain_name,
                port,
                https,
                ..
            } => EventOrigin::Custom {
                domain_name: domain_name.clone(),
                port: *port,
                https: *https,
                path: target.origin_path.clone(),
                read_timeout: target.read_timeout,
                keepalive_timeout: target.keepalive_timeout,
                custom_headers: target.custom_headers.clone(),
            },
            Endpoint::Dir(_) => EventOrigin::S3 {
                domain_name: format!("{}.s3.amazonaws.com", target.origin.id.to_ascii_lowercase()),
                path: target.origin_path.clone(),
                region: "us-east-1".into(),
                custom_headers: target.custom_headers.clone(),
            },
        }
    }

    /// The `origin` object of the event.
    pub fn to_json(&self) -> Value {
        match self {
            EventOrigin::Custom {
                domain_name,
                port,
                https,
                path,
                read_timeout,
                keepalive_timeout,
                custom_headers,
            } => object([(
                "custom",
                object([
                    (
                        "customHeaders",
                        headers_json(custom_headers.iter().map(|(n, v)| (n, v))),
                    ),
                    ("domainName", Value::String(domain_name.clone())),
                    ("keepaliveTimeout", keepalive_timeout.as_secs().into()),
                    ("path", Value::String(path.clone())),
                    ("port", (*port).into()),
                    ("protocol", (if *https { "https" } else { "http" }).into()),
                    ("readTimeout", read_timeout.as_secs().into()),
                    ("sslProtocols", Value::Array(vec!["TLSv1.2".into()])),
                ]),
            )]),
            EventOrigin::S3 {
                domain_name,
                path,
                region,
                custom_headers,
            } => object([(
                "s3",
                object([
                    ("authMethod", "none".into()),
                    (
                        "customHeaders",
                        headers_json(custom_headers.iter().map(|(n, v)| (n, v))),
                    ),
                    ("domainName", Value::String(domain_name.clone())),
                    ("path", Value::String(path.clone())),
                    ("region", Value::String(region.clone())),
                ]),
            )]),
        }
    }
}

/// Headers CloudFront hides from every edge function and refuses from them
/// (spec §3.3 "Disallowed").
pub fn is_disallowed(name: &str) -> bool {
    crate::headers::is_disallowed_for_functions(name)
}

/// Headers a function at `event` may read but not change (spec §3.3 "Read-only").
pub fn is_read_only(event: EventType, name: &str) -> bool {
    let list: &[&str] = match event {
        EventType::ViewerRequest => &[
            "cdn-loop",
            "content-length",
            "host",
            "transfer-encoding",
            "via",
        ],
        EventType::OriginRequest => &[
            "accept-encoding",
            "cdn-loop",
            "content-length",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "transfer-encoding",
            "via",
        ],
        EventType::OriginResponse => &["transfer-encoding", "via"],
        EventType::ViewerResponse => &[
            "warning",
            "via",
            "content-length",
            "content-encoding",
            "transfer-encoding",
        ],
    };
    list.contains(&name)
}

/// `Content-Type` → `Content-Type`, `x-amz-meta` → `X-Amz-Meta`: the key
/// CloudFront generates when a function leaves `key` out (spec §5.1).
pub fn canonical_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut word_start = true;
    for c in name.chars() {
        out.push(if word_start {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        word_start = c == '-';
    }
    out
}

/// A header value as functions see it: UTF-8, with ISO-8859-1 bytes converted (spec §5.2).
pub fn value_text(v: &HeaderValue) -> String {
    match std::str::from_utf8(v.as_bytes()) {
        Ok(s) => s.to_owned(),
        Err(_) => v.as_bytes().iter().map(|&b| char::from(b)).collect(),
    }
}

/// Whether `v` reads as `text` to a function ([`value_text`] without the copy).
pub fn value_is(v: &HeaderValue, text: &str) -> bool {
    match std::str::from_utf8(v.as_bytes()) {
        Ok(s) => s == text,
        Err(_) => v.as_bytes().iter().map(|&b| char::from(b)).eq(text.chars()),
    }
}

/// The header list a function is shown for `headers`: what
/// [`super::result::parse_headers`] reads back from [`headers_json`], made
/// straight from the map (the pipeline validates results against it).
pub fn header_list(headers: &HeaderMap) -> super::result::HeaderList {
    headers
        .iter()
        .filter(|(name, _)| !is_disallowed(name.as_str()))
        .map(|(name, v)| (name.clone(), value_text(v)))
        .collect()
}

/// `{ "<lowercase>": [{key, value}, ...] }` from header pairs, skipping disallowed names.
pub fn headers_json<'a>(
    headers: impl IntoIterator<Item = (&'a http::HeaderName, &'a HeaderValue)>,
) -> Value {
    let mut map = Map::new();
    for (name, value) in headers {
        if is_disallowed(name.as_str()) {
            continue;
        }
        let entry = map
            .entry(name.as_str().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(object([
                ("key", Value::String(canonical_key(name.as_str()))),
                ("value", Value::String(value_text(value))),
            ]));
        }
    }
    Value::Object(map)
}

/// The request body as an `include_body` association shows it (spec §5.3):
/// base64, truncated at the event's limit with `inputTruncated`.
pub fn body_json(body: &Bytes, limit: usize) -> Value {
    let truncated = body.len() > limit;
    let shown = if truncated { &body[..limit] } else { &body[..] };
    object([
        ("inputTruncated", truncated.into()),
        ("action", "read-only".into()),
        ("encoding", "base64".into()),
        (
            "data",
            Value::String(base64::engine::general_purpose::STANDARD.encode(shown)),
        ),
    ])
}

/// The `request` object of an event.
pub fn request_json(
    event: EventType,
    req: &ViewerRequest,
    origin: Option<&EventOrigin>,
    body: Option<&Bytes>,
) -> Value {
    let mut m = Map::with_capacity(7);
    if let (Some(body), Some(limit)) = (body, event.body_limit()) {
        m.insert("body".into(), body_json(body, limit));
    }
    m.insert(
        "clientIp".into(),
        Value::String(req.client_addr.ip().to_string()),
    );
    m.insert("headers".into(), headers_json(req.headers.iter()));
    m.insert("method".into(), req.method.as_str().into());
    if let Some(origin) = origin {
        m.insert("origin".into(), origin.to_json());
    }
    m.insert(
        "querystring".into(),
        req.querystring.as_deref().unwrap_or("").into(),
    );
    m.insert("uri".into(), Value::String(req.uri.clone()));
    Value::Object(m)
}

/// The `response` object of an origin-response or viewer-response event.
pub fn response_json(status: StatusCode, headers: &HeaderMap) -> Value {
    object([
        ("headers", headers_json(headers.iter())),
        ("status", status.as_str().into()),
        (
            "statusDescription",
            status.canonical_reason().unwrap_or("").into(),
        ),
    ])
}

/// The whole event.
pub fn event_json(
    event: EventType,
    cx: &EventConfig<'_>,
    request: Value,
    response: Option<Value>,
) -> Value {
    let mut cf = Map::with_capacity(3);
    cf.insert(
        "config".into(),
        object([
            ("distributionDomainName", cx.distribution_domain_name.into()),
            ("distributionId", cx.distribution_id.into()),
            ("eventType", event.as_str().into()),
            ("requestId", cx.request_id.into()),
        ]),
    );
    cf.insert("request".into(), request);
    if let Some(r) = response {
        cf.insert("response".into(), r);
    }
    object([(
        "Records",
        Value::Array(vec![object([("cf", Value::Object(cf))])]),
    )])
}

/// An object of `pairs`, in order. Built by hand rather than with `json!`,
/// which serializes every `Value` and `String` it is given into a copy (the
/// whole request, for the event's outer levels).
fn object<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut m = Map::with_capacity(N);
    for (k, v) in pairs {
        m.insert(k.to_owned(), v);
    }
    Value::Object(m)
}

/// `Records[0].cf.<part>` of an event (`Null` when absent).
pub fn cf_part<'a>(event: &'a Value, part: &str) -> &'a Value {
    &event["Records"][0]["cf"][part]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req() -> ViewerRequest {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.com"));
        headers.append("cookie", HeaderValue::from_static("a=1"));
        headers.append("cookie", HeaderValue::from_static("b=2"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert("x-latin", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        ViewerRequest {
            method: http::Method::GET,
            version: http::Version::HTTP_11,
            protocol: ViewerProtocol::Https,
            uri: "/a/b.html".into(),
            querystring: None,
            headers,
            client_addr: "203.0.113.9:4000".parse().unwrap(),
        }
    }

    #[test]
    fn viewer_request_event_has_the_documented_shape() {
        let cx = EventConfig {
            distribution_domain_name: "d1.cloudfront.net",
            distribution_id: "EDFDVBD6EXAMPLE",
            request_id: "rid",
        };
        let e = event_json(
            EventType::ViewerRequest,
            &cx,
            request_json(EventType::ViewerRequest, &req(), None, None),
            None,
        );
        let cf = &e["Records"][0]["cf"];
        assert_eq!(cf["config"]["eventType"], "viewer-request");
        assert_eq!(cf["config"]["distributionId"], "EDFDVBD6EXAMPLE");
        assert_eq!(cf["config"]["requestId"], "rid");
        assert_eq!(cf["request"]["clientIp"], "203.0.113.9");
        assert_eq!(cf["request"]["querystring"], "");
        assert_eq!(cf["request"]["method"], "GET");
        assert_eq!(
            cf["request"]["headers"]["cookie"],
            json!([{"key": "Cookie", "value": "a=1"}, {"key": "Cookie", "value": "b=2"}])
        );
        // Disallowed headers are hidden; ISO-8859-1 is shown as UTF-8.
        assert!(cf["request"]["headers"].get("x-forwarded-proto").is_none());
        assert_eq!(cf["request"]["headers"]["x-latin"][0]["value"], "café");
        assert!(cf["request"].get("origin").is_none());
        assert!(cf["request"].get("body").is_none());
        assert!(cf.get("response").is_none());
    }

    #[test]
    fn body_is_base64_and_truncated_at_the_limit() {
        let body = Bytes::from(vec![b'x'; 50_000]);
        let j = request_json(EventType::ViewerRequest, &req(), None, Some(&body));
        assert_eq!(j["body"]["inputTruncated"], true);
        assert_eq!(j["body"]["action"], "read-only");
        assert_eq!(j["body"]["encoding"], "base64");
        let data = base64::engine::general_purpose::STANDARD
            .decode(j["body"]["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(data.len(), 40 * 1024);
        let j = request_json(EventType::OriginRequest, &req(), None, Some(&body));
        assert_eq!(j["body"]["inputTruncated"], false);
    }

    /// The events' exact text, key order included (handlers see the order
    /// through `Object.keys` and `JSON.stringify`; spec §5.1).
    #[test]
    fn events_serialize_in_the_documented_key_order() {
        let cx = EventConfig {
            distribution_domain_name: "d1.cloudfront.net",
            distribution_id: "EDIST",
            request_id: "rid",
        };
        let custom = EventOrigin::Custom {
            domain_name: "origin.example.com".into(),
            port: 443,
            https: true,
            path: "/p".into(),
            read_timeout: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(5),
            custom_headers: vec![(
                http::HeaderName::from_static("x-o"),
                HeaderValue::from_static("1"),
            )],
        };
        let s3 = EventOrigin::S3 {
            domain_name: "b.s3.amazonaws.com".into(),
            path: String::new(),
            region: "us-east-1".into(),
            custom_headers: Vec::new(),
        };
        let body = Bytes::from_static(b"hi");
        let request = request_json(EventType::OriginRequest, &req(), Some(&custom), Some(&body));
        let e = event_json(EventType::OriginRequest, &cx, request, None);
        assert_eq!(
            e.to_string(),
            r#"{"Records":[{"cf":{"config":{"distributionDomainName":"d1.cloudfront.net","distributionId":"EDIST","eventType":"origin-request","requestId":"rid"},"request":{"body":{"inputTruncated":false,"action":"read-only","encoding":"base64","data":"aGk="},"clientIp":"203.0.113.9","headers":{"host":[{"key":"Host","value":"example.com"}],"cookie":[{"key":"Cookie","value":"a=1"},{"key":"Cookie","value":"b=2"}],"x-latin":[{"key":"X-Latin","value":"café"}]},"method":"GET","origin":{"custom":{"customHeaders":{"x-o":[{"key":"X-O","value":"1"}]},"domainName":"origin.example.com","keepaliveTimeout":5,"path":"/p","port":443,"protocol":"https","readTimeout":30,"sslProtocols":["TLSv1.2"]}},"querystring":"","uri":"/a/b.html"}}}]}"#
        );
        let request = request_json(EventType::OriginResponse, &req(), Some(&s3), None);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/html"));
        let response = response_json(StatusCode::OK, &headers);
        let e = event_json(EventType::OriginResponse, &cx, request, Some(response));
        assert_eq!(
            e.to_string(),
            r#"{"Records":[{"cf":{"config":{"distributionDomainName":"d1.cloudfront.net","distributionId":"EDIST","eventType":"origin-response","requestId":"rid"},"request":{"clientIp":"203.0.113.9","headers":{"host":[{"key":"Host","value":"example.com"}],"cookie":[{"key":"Cookie","value":"a=1"},{"key":"Cookie","value":"b=2"}],"x-latin":[{"key":"X-Latin","value":"café"}]},"method":"GET","origin":{"s3":{"authMethod":"none","customHeaders":{},"domainName":"b.s3.amazonaws.com","path":"","region":"us-east-1"}},"querystring":"","uri":"/a/b.html"},"response":{"headers":{"content-type":[{"key":"Content-Type","value":"text/html"}]},"status":"200","statusDescription":"OK"}}}]}"#
        );
    }

    /// The list the pipeline validates against is the one the event shows.
    #[test]
    fn header_list_is_what_the_event_shows() {
        let mut headers = req().headers;
        headers.append("x-latin", HeaderValue::from_bytes(b"na\xefve").unwrap());
        headers.insert("connection", HeaderValue::from_static("close"));
        let list = header_list(&headers);
        assert_eq!(
            list,
            crate::lambda_edge::result::parse_headers(&headers_json(headers.iter()), "h").unwrap()
        );
        assert_eq!(list.len(), 5, "{list:?}");
        for (name, v) in &headers {
            assert!(value_is(v, &value_text(v)), "{name}");
            assert!(!value_is(v, "other"), "{name}");
        }
        assert!(!value_is(
            &HeaderValue::from_bytes(b"caf\xe9").unwrap(),
            "cafe"
        ));
    }

    #[test]
    fn canonical_keys() {
        assert_eq!(canonical_key("content-type"), "Content-Type");
        assert_eq!(canonical_key("x-amz-META"), "X-Amz-Meta");
    }

    #[test]
    fn response_status_is_a_string() {
        let j = response_json(StatusCode::NOT_FOUND, &HeaderMap::new());
        assert_eq!(j["status"], "404");
        assert_eq!(j["statusDescription"], "Not Found");
    }
}
