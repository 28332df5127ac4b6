//! The `cloudfront` module's origin helpers (spec §4.3,
//! [DG:helper-functions-origin-modification]): what a function asked for,
//! and its translation into an [`OriginOverride`] for the pipeline.
//!
//! An invalid argument fails the invocation with a validation error (502),
//! as CloudFront answers "The CloudFront function returned an invalid value
//! for origin rewrite." (spec §4.8).

use std::time::Duration;

use http::{HeaderName, HeaderValue};
use serde_json::Value;

use super::FunctionError;
use crate::origin::{AdHocOrigin, OriginOverride};

/// A call to one of the origin helpers (the last call wins).
#[derive(Debug, Clone, PartialEq)]
pub enum OriginRequest {
    /// `cf.updateRequestOrigin(params)`.
    Update(Value),
    /// `cf.selectRequestOriginById(id, params)` as `{originId, options}`.
    Select(Value),
    /// `cf.createRequestOriginGroup(params)`.
    Group(Value),
}

fn invalid(msg: impl Into<String>) -> FunctionError {
    FunctionError::Validation(format!("invalid value for origin rewrite: {}", msg.into()))
}

fn opt_str(v: &Value, key: &str) -> Result<Option<String>, FunctionError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{key} must be a string"))),
    }
}

fn opt_secs(v: &Value, key: &str, min: u64, max: u64) -> Result<Option<Duration>, FunctionError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(n) => match n.as_u64() {
            Some(s) if (min..=max).contains(&s) => Ok(Some(Duration::from_secs(s))),
            _ => Err(invalid(format!(
                "{key} must be an integer from {min} to {max}"
            ))),
        },
    }
}

/// `updateRequestOrigin` parameters → settings (unset fields inherit).
pub fn ad_hoc(v: &Value) -> Result<AdHocOrigin, FunctionError> {
    let Some(obj) = v.as_object() else {
        return Err(invalid("the argument must be an object"));
    };
    let mut o = AdHocOrigin {
        domain_name: opt_str(v, "domainName")?,
        host_header: opt_str(v, "hostHeader")?,
        origin_path: opt_str(v, "originPath")?,
        ..AdHocOrigin::default()
    };
    if let Some(p) = &o.origin_path {
        if !p.is_empty() && (!p.starts_with('/') || p.ends_with('/')) {
            return Err(invalid(
                "originPath must start with '/' and not end with '/'",
            ));
        }
    }
    if let Some(d) = &o.domain_name {
        if d.is_empty() || d.contains('/') || d.contains(' ') {
            return Err(invalid(format!("domainName \"{d}\" is not a host name")));
        }
        // [DG:helper-functions-origin-modification]: a DNS name, without a
        // port (that is customOriginConfig.port). Use `localhost` for a
        // local origin.
        if d.contains(':') {
            return Err(invalid(format!(
                "domainName \"{d}\" can't include a colon (the port goes in customOriginConfig.port)"
            )));
        }
        if d.parse::<std::net::IpAddr>().is_ok() {
            return Err(invalid(format!(
                "domainName \"{d}\" can't be an IP address"
            )));
        }
    }
    if let Some(h) = obj.get("customHeaders") {
        let map = h
            .as_object()
            .ok_or_else(|| invalid("customHeaders must be an object"))?;
        let mut headers = Vec::with_capacity(map.len());
        for (k, val) in map {
            // Lowercase names, none CloudFront refuses as a custom header or
            // hides from functions (and none the request already has, which
            // `check_custom_headers` sees).
            if k.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(invalid(format!(
                    "custom header name \"{k}\" must be lowercase"
                )));
            }
            if crate::headers::is_forbidden_custom_header(k)
                || crate::headers::is_disallowed_for_functions(k)
            {
                return Err(invalid(format!(
                    "custom header \"{k}\" can't be added to origin requests"
                )));
            }
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| invalid(format!("invalid custom header name \"{k}\"")))?;
            let s = val
                .as_str()
                .ok_or_else(|| invalid(format!("custom header \"{k}\" must be a string")))?;
            let value = HeaderValue::from_str(s)
                .map_err(|_| invalid(format!("invalid value for custom header \"{k}\"")))?;
            headers.push((name, value));
        }
        o.custom_headers = Some(headers);
    }
    if let Some(n) = obj.get("connectionAttempts") {
        o.connection_attempts = Some(
            n.as_u64()
                .filter(|n| (1..=3).contains(n))
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| invalid("connectionAttempts must be 1, 2 or 3"))?,
        );
    }
    if let Some(t) = obj.get("timeouts") {
        o.read_timeout = opt_secs(t, "readTimeout", 1, 120)?;
        o.keepalive_timeout = opt_secs(t, "keepAliveTimeout", 1, 120)?;
        o.connection_timeout = opt_secs(t, "connectionTimeout", 1, 10)?;
    }
    if let Some(c) = obj.get("customOriginConfig") {
        if let Some(p) = c.get("port") {
            o.port = Some(
                p.as_u64()
                    .and_then(|p| u16::try_from(p).ok())
                    .filter(|p| *p > 0)
                    .ok_or_else(|| invalid("customOriginConfig.port must be 1-65535"))?,
            );
        }
        match c.get("protocol").and_then(Value::as_str) {
            Some("http") => o.https = Some(false),
            Some("https") => o.https = Some(true),
            None => {}
            Some(other) => {
                return Err(invalid(format!(
                    "customOriginConfig.protocol must be http or https, got \"{other}\""
                )))
            }
        }
    }
    Ok(o)
}

/// An `updateRequestOrigin` custom header may not also be a header of the
/// request going to the origin.
pub fn check_custom_headers(
    o: &OriginOverride,
    request: &http::HeaderMap,
) -> Result<(), FunctionError> {
    if let OriginOverride::Custom(AdHocOrigin {
        custom_headers: Some(headers),
        ..
    }) = o
    {
        if let Some((name, _)) = headers.iter().find(|(n, _)| request.contains_key(n)) {
            return Err(invalid(format!(
                "custom header \"{name}\" is already in the request"
            )));
        }
    }
    Ok(())
}

/// Translate a helper call into the pipeline's [`OriginOverride`].
pub fn to_override(req: &OriginRequest) -> Result<OriginOverride, FunctionError> {
    match req {
        OriginRequest::Update(v) => Ok(OriginOverride::Custom(ad_hoc(v)?)),
        OriginRequest::Select(v) => {
            let id = v
                .get("originId")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid("selectRequestOriginById needs an origin id"))?;
            let host_header = match v.get("options") {
                Some(o) if o.is_object() => opt_str(o, "hostHeader")?,
                _ => None,
            };
            Ok(OriginOverride::ById {
                origin_id: id.to_owned(),
                host_header,
            })
        }
        OriginRequest::Group(v) => {
            let ids = v
                .get("originIds")
                .and_then(Value::as_array)
                .filter(|a| a.len() == 2)
                .ok_or_else(|| invalid("createRequestOriginGroup needs exactly two originIds"))?;
            let member = |m: &Value| -> Result<OriginOverride, FunctionError> {
                let id = m
                    .get("originId")
                    .and_then(Value::as_str)
                    .or_else(|| m.as_str())
                    .ok_or_else(|| invalid("each originIds entry needs an originId"))?;
                let host_header = match m.get("originOverrides") {
                    Some(o) if o.is_object() => opt_str(o, "hostHeader")?,
                    _ => None,
                };
                Ok(OriginOverride::ById {
                    origin_id: id.to_owned(),
                    host_header,
                })
            };
            let codes = v
                .get("failoverCriteria")
                .and_then(|f| f.get("statusCodes"))
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("failoverCriteria.statusCodes is required"))?
                .iter()
                .map(|c| {
                    // The statuses an origin group may fail over on, as in
                    // the distribution's own groups (spec §1.3).
                    use crate::config::build::FAILOVER_CODES;
                    c.as_u64()
                        .and_then(|c| u16::try_from(c).ok())
                        .filter(|c| FAILOVER_CODES.contains(c))
                        .ok_or_else(|| {
                            invalid(format!(
                                "failover status code {c} is not one of {FAILOVER_CODES:?}"
                            ))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(OriginOverride::Group {
                members: Box::new([member(&ids[0])?, member(&ids[1])?]),
                failover_status_codes: codes,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_request_origin_fields() {
        let o = to_override(&OriginRequest::Update(json!({
            "domainName": "api.example.com",
            "originPath": "/v2",
            "customHeaders": {"x-a": "1"},
            "connectionAttempts": 2,
            "timeouts": {"readTimeout": 30, "connectionTimeout": 5},
            "customOriginConfig": {"port": 8443, "protocol": "https"}
        })))
        .unwrap();
        let OriginOverride::Custom(a) = o else {
            panic!()
        };
        assert_eq!(a.domain_name.as_deref(), Some("api.example.com"));
        assert_eq!(a.origin_path.as_deref(), Some("/v2"));
        assert_eq!(a.custom_headers.unwrap().len(), 1);
        assert_eq!(a.connection_attempts, Some(2));
        assert_eq!(a.read_timeout, Some(Duration::from_secs(30)));
        assert_eq!(a.port, Some(8443));
        assert_eq!(a.https, Some(true));
    }

    #[test]
    fn invalid_origin_values_are_validation_errors() {
        for bad in [
            json!({"connectionAttempts": 4}),
            json!({"timeouts": {"connectionTimeout": 11}}),
            json!({"originPath": "v2"}),
            json!({"customHeaders": {"x": 1}}),
            json!("x"),
            // [DG:helper-functions-origin-modification]
            json!({"domainName": "127.0.0.1"}),
            json!({"domainName": "::1"}),
            json!({"domainName": "localhost:8080"}),
            json!({"customHeaders": {"X-Secret": "1"}}),
            json!({"customHeaders": {"x-cache": "1"}}),
            json!({"customHeaders": {"host": "a"}}),
            json!({"customHeaders": {"x-amz-date": "1"}}),
        ] {
            assert!(
                matches!(
                    to_override(&OriginRequest::Update(bad.clone())),
                    Err(FunctionError::Validation(_))
                ),
                "{bad}"
            );
        }
        let ok = to_override(&OriginRequest::Update(
            json!({"domainName": "localhost", "customHeaders": {"x-secret": "1"}}),
        ))
        .unwrap();
        let mut request = http::HeaderMap::new();
        request.insert("user-agent", http::HeaderValue::from_static("t"));
        assert!(check_custom_headers(&ok, &request).is_ok());
        request.insert("x-secret", http::HeaderValue::from_static("mine"));
        assert!(matches!(
            check_custom_headers(&ok, &request),
            Err(FunctionError::Validation(_))
        ));
        assert!(to_override(&OriginRequest::Group(json!({"originIds": ["a"]}))).is_err());
        // Only the statuses a distribution's own groups may fail over on.
        let group = |codes: serde_json::Value| {
            to_override(&OriginRequest::Group(json!({
                "originIds": ["a", "b"],
                "failoverCriteria": {"statusCodes": codes}
            })))
        };
        assert!(group(json!([500, 503, 404])).is_ok());
        assert!(matches!(
            group(json!([429])),
            Err(FunctionError::Validation(_))
        ));
        assert!(matches!(
            group(json!([501])),
            Err(FunctionError::Validation(_))
        ));
    }

    #[test]
    fn select_and_group() {
        let o = to_override(&OriginRequest::Select(
            json!({"originId": "b", "options": {"hostHeader": "h"}}),
        ))
        .unwrap();
        assert_eq!(
            o,
            OriginOverride::ById {
                origin_id: "b".into(),
                host_header: Some("h".into())
            }
        );
        let g = to_override(&OriginRequest::Group(json!({
            "originIds": [{"originId": "a"}, {"originId": "b"}],
            "failoverCriteria": {"statusCodes": [500, 503]}
        })))
        .unwrap();
        let OriginOverride::Group {
            failover_status_codes,
            ..
        } = g
        else {
            panic!()
        };
        assert_eq!(failover_status_codes, vec![500, 503]);
    }
}
