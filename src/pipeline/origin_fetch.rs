//! Sending the request to the origin: target resolution (with function
//! overrides), header rewriting (spec §3.2) and origin-group failover
//! (spec §1.3).

use std::sync::Arc;

use http::{HeaderName, HeaderValue, Method, Response};

use super::{Edge, RequestCtx};
use crate::body::EdgeBody;
use crate::cache::key::AcceptEncoding;
use crate::config::Target;
use crate::error::EdgeError;
use crate::headers::{origin_request_headers, OriginHeadersInput};
use crate::origin::{fails_over, OriginOverride, OriginRequest, OriginTarget};
use crate::viewer::ViewerRequest;

/// What the cache layer asks of the origin.
#[derive(Debug)]
pub(crate) struct FetchSpec<'a> {
    pub request: &'a ViewerRequest,
    pub accept_encoding: AcceptEncoding,
    /// A cache fill (HEAD becomes GET; viewer validators and ranges are dropped).
    pub cacheable: bool,
    /// Revalidation headers (`If-None-Match`, `If-Modified-Since`).
    pub validators: Vec<(HeaderName, HeaderValue)>,
}

/// The primary target, and the secondary with its failover statuses.
type Targets = (OriginTarget, Option<(OriginTarget, Vec<u16>)>);

impl Edge {
    /// The primary target, and the secondary with its failover codes for groups.
    fn targets(&self, ctx: &RequestCtx) -> Result<Targets, EdgeError> {
        let proto = ctx.conn.protocol;
        let origin_at = |id: crate::config::OriginId| {
            self.config
                .origins
                .get(id.0)
                .map(|o| OriginTarget::from_origin(o, proto))
        };
        let (mut primary, mut secondary) = match ctx.behavior.target {
            Target::Origin(id) => (origin_at(id), None),
            Target::Group(g) => match self.config.origin_groups.get(g) {
                Some(group) => (
                    origin_at(group.primary),
                    origin_at(group.secondary).map(|s| (s, group.failover_status_codes.clone())),
                ),
                None => (None, None),
            },
        };
        if let Some(ov) = &ctx.origin_override {
            self.apply_override(ov, &mut primary, &mut secondary, proto);
        }
        // A validated config always resolves the behaviour's target.
        let primary =
            primary.ok_or_else(|| EdgeError::Internal("behaviour target has no origin".into()))?;
        Ok((primary, secondary))
    }

    fn apply_override(
        &self,
        ov: &OriginOverride,
        primary: &mut Option<OriginTarget>,
        secondary: &mut Option<(OriginTarget, Vec<u16>)>,
        proto: crate::viewer::ViewerProtocol,
    ) {
        match ov {
            OriginOverride::ById {
                origin_id,
                host_header,
            } => {
                if let Some(o) = self.config.origins.iter().find(|o| &o.id == origin_id) {
                    let mut t = OriginTarget::from_origin(o, proto);
                    if let Some(h) = host_header {
                        t.apply(&crate::origin::AdHocOrigin {
                            host_header: Some(h.clone()),
                            ..Default::default()
                        });
                    }
                    *primary = Some(t);
                    *secondary = None;
                }
            }
            // Changes only the primary for an origin group (spec §4.3).
            OriginOverride::Custom(adhoc) => {
                if let Some(p) = primary {
                    p.apply(adhoc);
                }
            }
            OriginOverride::Group {
                members,
                failover_status_codes,
            } => {
                let [a, b] = members.as_ref();
                let mut p = primary.clone();
                let mut none = None;
                self.apply_override(a, &mut p, &mut none, proto);
                let mut s = primary.clone();
                self.apply_override(b, &mut s, &mut none, proto);
                *primary = p;
                *secondary = s.map(|s| (s, failover_status_codes.clone()));
            }
        }
    }

    /// Fetch from the behaviour's origin, failing over within an origin group
    /// for GET/HEAD/OPTIONS on the listed statuses, connection failures and
    /// timeouts (spec §1.3). Every request tries the primary first.
    pub(crate) async fn fetch_origin(
        self: &Arc<Self>,
        ctx: &RequestCtx,
        spec: &FetchSpec<'_>,
        body: EdgeBody,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        let (primary, secondary) = self.targets(ctx)?;
        // Lambda@Edge origin-request and origin-response run in each attempt,
        // so twice on failover (spec §1.3); failover is decided on the status
        // the origin sent. A response generated at origin-request never fails over.
        let (first, origin_status) = self.fetch_attempt(ctx, &primary, spec, body).await;
        let Some((secondary, codes)) = secondary else {
            return first;
        };
        let outcome = match (&first, origin_status) {
            (Ok(_), None) => return first,
            (Ok(_), Some(s)) => Ok(s),
            (Err(e), _) => Err(e),
        };
        if !fails_over(&spec.request.method, &codes, outcome) {
            return first;
        }
        tracing::debug!(request_id = %ctx.id, primary = %primary.origin.id, secondary = %secondary.origin.id, "failing over");
        // Failover only happens for GET/HEAD/OPTIONS, which carry no body.
        self.fetch_attempt(ctx, &secondary, spec, EdgeBody::empty())
            .await
            .0
    }

    pub(super) async fn fetch_one(
        &self,
        ctx: &RequestCtx,
        target: &OriginTarget,
        spec: &FetchSpec<'_>,
        body: EdgeBody,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        let headers = self.origin_headers(ctx, target, spec, &target.custom_headers);
        let query = forwarded_query(&ctx.behavior, spec.request.querystring.as_deref());
        self.send_to_origin(target, spec, headers, query, body)
            .await
    }

    /// The headers the origin gets for `spec.request` (spec §3.2), with
    /// `custom_headers` (the origin's) applied on top.
    pub(super) fn origin_headers(
        &self,
        ctx: &RequestCtx,
        target: &OriginTarget,
        spec: &FetchSpec<'_>,
        custom_headers: &[(HeaderName, HeaderValue)],
    ) -> http::HeaderMap {
        let req = spec.request;
        let origin_host = target.host_header();
        let mut cloudfront_headers = vec![(
            HeaderName::from_static("cloudfront-forwarded-proto"),
            HeaderValue::from_static(ctx.conn.protocol.as_str()),
        )];
        if let Some(c) = ctx.viewer_country {
            if let Ok(v) = HeaderValue::from_str(c.as_str()) {
                cloudfront_headers.push((HeaderName::from_static("cloudfront-viewer-country"), v));
            }
        }
        let mut headers = origin_request_headers(&OriginHeadersInput {
            viewer_headers: &req.headers,
            method: &req.method,
            behavior: &ctx.behavior,
            client_ip: ctx.conn.client_addr.ip(),
            origin_host: &origin_host,
            accept_encoding: spec.accept_encoding,
            cacheable: spec.cacheable,
            via: &via_for(&self.config.distribution.via, req.version),
            request_id: &ctx.id,
            cloudfront_headers: &cloudfront_headers,
            custom_headers,
        });
        for (n, v) in &spec.validators {
            headers.insert(n.clone(), v.clone());
        }
        headers
    }

    /// Send `spec.request` with exactly `headers` and `query` to `target`.
    pub(super) async fn send_to_origin(
        &self,
        target: &OriginTarget,
        spec: &FetchSpec<'_>,
        headers: http::HeaderMap,
        query: Option<String>,
        body: EdgeBody,
    ) -> Result<Response<EdgeBody>, EdgeError> {
        let req = spec.request;
        let method = if spec.cacheable && req.method == Method::HEAD {
            Method::GET
        } else {
            req.method.clone()
        };
        let mut path_and_query =
            String::with_capacity(target.origin_path.len() + req.uri.len() + 16);
        path_and_query.push_str(&target.origin_path);
        path_and_query.push_str(&req.uri);
        if let Some(q) = query {
            path_and_query.push('?');
            path_and_query.push_str(&q);
        }
        let body_empty = http_body::Body::is_end_stream(&body);
        self.origins
            .fetch(
                target,
                OriginRequest {
                    method,
                    path_and_query,
                    headers,
                    body,
                    body_empty,
                },
            )
            .await
    }
}

/// The query string the origin gets: everything in the cache key, plus what
/// the origin request policy adds.
pub(super) fn forwarded_query(
    behavior: &crate::config::Behavior,
    querystring: Option<&str>,
) -> Option<String> {
    let orp = behavior.origin_request_policy.as_deref();
    crate::cache::key::filter_query(querystring, |n| {
        behavior.cache_policy.query_strings.includes(n)
            || orp.is_some_and(|o| o.query_strings.includes(n))
    })
}

/// `Via` toward the origin names the viewer's protocol: an HTTP/2 viewer's
/// request arrives as `Via: 2.0 …` (spec §3.3, the Lambda@Edge event example).
/// The configured value is the HTTP/1.1 form.
fn via_for(via: &str, viewer: http::Version) -> std::borrow::Cow<'_, str> {
    match (viewer, via.strip_prefix("1.1 ")) {
        (http::Version::HTTP_2, Some(rest)) => format!("2.0 {rest}").into(),
        _ => via.into(),
    }
}
