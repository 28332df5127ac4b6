//! The cache stage: lookup, request collapsing, revalidation (RefreshHit),
//! stale serving, and storing what the origin returned (spec §2).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Method, Response, StatusCode};
use http_body_util::BodyExt;
use tokio::time::Instant;

use super::origin_fetch::FetchSpec;
use super::{Answer, CacheStatus, Edge, RequestCtx};
use crate::body::EdgeBody;
use crate::cache::conditional;
use crate::cache::freshness::{self, Directives, NotStored, StoreDecision};
use crate::cache::key::{cache_key, normalize_accept_encoding, CacheKey};
use crate::cache::{wait_for_fill, CachedObject, FillGuard, FillRole, Lookup};
use crate::error::EdgeError;
use crate::headers::filter_origin_response;
use crate::origin::read_body_limited;
use crate::viewer::ViewerRequest;
use crate::{compression, range};

impl Edge {
    /// Serve from cache or origin (spec §6.1 steps 5–8).
    pub(crate) async fn fetch_through_cache(
        self: &Arc<Self>,
        ctx: &mut RequestCtx,
        request: &ViewerRequest,
        body: EdgeBody,
    ) -> Result<Answer, EdgeError> {
        let behavior = ctx.behavior.clone();
        let policy = &behavior.cache_policy;
        let accept_encoding = normalize_accept_encoding(policy, &request.headers, request.version);
        let cacheable =
            behavior.cached_methods.contains(&request.method) && !policy.caching_disabled();
        let spec = FetchSpec {
            request,
            accept_encoding,
            cacheable,
            validators: Vec::new(),
        };
        if !cacheable {
            // Never-cached methods and CachingDisabled go straight to the origin.
            let resp = Box::pin(self.fetch_origin(ctx, &spec, body)).await?;
            let (mut parts, body) = resp.into_parts();
            filter_origin_response(&mut parts.headers, &behavior);
            return Ok(origin_answer(Response::from_parts(parts, body), request));
        }
        let forwards_cookies = behavior.forwards_cookies();
        let answer = self.lookup_or_fill(ctx, spec).await?;
        Ok(viewer_conditional(request, forwards_cookies, answer))
    }

    /// The cacheable path: hit, collapsed wait, or fill (spec §2.6–§2.8).
    async fn lookup_or_fill(
        self: &Arc<Self>,
        ctx: &mut RequestCtx,
        spec: FetchSpec<'_>,
    ) -> Result<Answer, EdgeError> {
        let behavior = ctx.behavior.clone();
        let policy = &behavior.cache_policy;
        let request = spec.request;
        let accept_encoding = spec.accept_encoding;
        let key = cache_key(
            policy,
            &request.method,
            &request.uri,
            request.querystring.as_deref(),
            &request.headers,
            accept_encoding,
        );
        let mut waited = false;
        loop {
            let now = Instant::now();
            let stale = match self.cache.lookup(&key, now) {
                Lookup::Fresh(o) => return Ok(hit(&o, CacheStatus::Hit, request, now)),
                Lookup::Expired(o) => {
                    if o.in_stale_while_revalidate(now) {
                        self.revalidate_in_background(ctx, request, key.clone(), o.clone());
                        return Ok(hit(&o, CacheStatus::Hit, request, now));
                    }
                    Some(o)
                }
                Lookup::Miss => None,
            };
            if waited || self.cache.is_uncacheable(&key) {
                // The leader's response was not stored, or the origin said
                // this object is not to be cached: fetch on our own, without
                // collapsing (spec §2.8).
                return Box::pin(self.fill(ctx, spec, None, key, stale)).await;
            }
            match self.cache.fill(&key) {
                FillRole::Leader(guard) => {
                    return Box::pin(self.fill(ctx, spec, Some(guard), key, stale)).await
                }
                FillRole::Follower(rx) => {
                    let patience = self.lock_patience(ctx);
                    let _ = tokio::time::timeout(patience, wait_for_fill(rx)).await;
                    waited = true;
                }
            }
        }
    }

    /// How long a follower waits for the leader's fetch before fetching itself.
    /// The leader's own worst case is connect + read timeout per attempt, on
    /// the primary and (for groups) the secondary; followers wait that long.
    fn lock_patience(&self, ctx: &RequestCtx) -> Duration {
        let worst = |id: crate::config::OriginId| {
            self.config.origins.get(id.0).map_or(Duration::ZERO, |o| {
                (o.connection_timeout + o.read_timeout) * o.connection_attempts
            })
        };
        match ctx.behavior.target {
            crate::config::Target::Origin(id) => worst(id),
            crate::config::Target::Group(g) => self
                .config
                .origin_groups
                .get(g)
                .map_or(Duration::ZERO, |g| worst(g.primary) + worst(g.secondary)),
        }
    }

    fn revalidate_in_background(
        self: &Arc<Self>,
        ctx: &RequestCtx,
        request: &ViewerRequest,
        key: CacheKey,
        stale: Arc<CachedObject>,
    ) {
        let FillRole::Leader(guard) = self.cache.fill(&key) else {
            return; // someone is already refreshing it
        };
        let edge = self.clone();
        let mut bg_ctx = RequestCtx {
            id: ctx.id.clone(),
            conn: ctx.conn,
            behavior: ctx.behavior.clone(),
            origin_override: ctx.origin_override.clone(),
            viewer_country: ctx.viewer_country,
        };
        let request = request.clone();
        tokio::spawn(async move {
            let policy = bg_ctx.behavior.cache_policy.clone();
            let spec = FetchSpec {
                request: &request,
                accept_encoding: normalize_accept_encoding(
                    &policy,
                    &request.headers,
                    request.version,
                ),
                cacheable: true,
                validators: Vec::new(),
            };
            let ctx = &mut bg_ctx;
            if let Ok(a) = edge.fill(ctx, spec, Some(guard), key, Some(stale)).await {
                // Drain the body so a streamed (uncached) answer does not hold the origin connection.
                let _ = a.resp.into_body().collect().await;
            }
        });
    }

    /// Fetch for the cache: conditional when a stale copy exists, then
    /// store, refresh or serve stale as CloudFront would.
    async fn fill(
        self: &Arc<Self>,
        ctx: &mut RequestCtx,
        mut spec: FetchSpec<'_>,
        guard: Option<FillGuard>,
        key: CacheKey,
        stale: Option<Arc<CachedObject>>,
    ) -> Result<Answer, EdgeError> {
        let policy = ctx.behavior.cache_policy.clone();
        // Spec §2.6: conditional requests are not used when cookies are forwarded.
        if let Some(old) = &stale {
            if !ctx.behavior.forwards_cookies() {
                spec.validators = validators(&old.headers);
            }
        }
        let result = Box::pin(self.fetch_origin(ctx, &spec, EdgeBody::empty())).await;
        let now = Instant::now();
        let resp = match result {
            Ok(r) => r,
            Err(e) => {
                if let Some(old) = stale.filter(|o| o.usable_on_error(now)) {
                    let status = e.answer().status;
                    return Ok(self.serve_stale(key, &old, status, spec.request, now));
                }
                // Spec §2.4: no response is a 5xx from the origin (502 when it
                // cannot be reached, 504 when it does not answer), cached like one.
                if let Some(obj) = self.origin_failure_object(&e, &ctx.id, &policy, now) {
                    self.cache.insert(key, obj);
                }
                drop(guard);
                return Err(e);
            }
        };
        let status = resp.status();
        if let Some(old) = &stale {
            if status == StatusCode::NOT_MODIFIED && !spec.validators.is_empty() {
                let refreshed = self.refresh(old, resp.headers(), &policy, now);
                let answer = hit(&refreshed, CacheStatus::RefreshHit, spec.request, now);
                self.cache.insert(key, refreshed);
                return Ok(answer);
            }
            // Spec §2.4: expired object + origin 5xx → serve the stale object.
            if status.is_server_error() && old.usable_on_error(now) {
                return Ok(self.serve_stale(key, old, status, spec.request, now));
            }
        }
        let (mut parts, body) = resp.into_parts();
        filter_origin_response(&mut parts.headers, &ctx.behavior);
        let decision = freshness::decide(
            &policy,
            status,
            &parts.headers,
            SystemTime::now(),
            self.error_caching_min_ttl(status),
        );
        let StoreDecision::Store(fresh) = decision else {
            tracing::debug!(request_id = %ctx.id, ?decision, "not stored");
            if let StoreDecision::DoNotStore(
                NotStored::OriginDirective | NotStored::ZeroTtl | NotStored::VaryStar,
            ) = decision
            {
                // Spec §2.8: objects the origin marks uncacheable (MinTTL 0 with
                // no-store/no-cache/private/max-age=0) are not collapsed.
                self.cache.mark_uncacheable(&key);
            }
            drop(guard);
            return Ok(origin_answer(
                Response::from_parts(parts, body),
                spec.request,
            ));
        };
        // Buffer up to the object size limit; larger objects stream through uncached.
        let limit = self.cache.max_object_size();
        let declared = content_length(&parts.headers);
        if declared.is_some_and(|l| l > limit) {
            drop(guard);
            return Ok(origin_answer(
                Response::from_parts(parts, body),
                spec.request,
            ));
        }
        match read_body_limited(body, limit).await {
            Ok(Ok(bytes)) => {
                // Spec §2.4: a body shorter or longer than Content-Length is not cached.
                let complete = declared.is_none_or(|l| l == bytes.len() as u64)
                    || spec.request.method == Method::HEAD && bytes.is_empty();
                // Spec §8: compression happens on the way into the cache; the
                // compressed variant is stored under the normalised Accept-Encoding key.
                let bytes = match compression::plan(
                    &compression::PlanInput {
                        behavior_compress: ctx.behavior.compress,
                        accept_encoding: spec.accept_encoding,
                        status,
                    },
                    &parts.headers,
                    bytes.len(),
                ) {
                    Some(enc) if complete => {
                        compression::apply_offloaded(enc, &mut parts.headers, bytes).await
                    }
                    _ => bytes,
                };
                let mut viewer_headers = parts.headers.clone();
                if complete {
                    let mut stored_headers = parts.headers.clone();
                    if Directives::parse(&stored_headers).no_cache_set_cookie {
                        stored_headers.remove(header::SET_COOKIE);
                    }
                    self.cache.insert(
                        key,
                        CachedObject {
                            status,
                            headers: stored_headers,
                            body: bytes.clone(),
                            stored_at: now,
                            freshness: fresh,
                            hold_until: None,
                            stored_wall: SystemTime::now(),
                        },
                    );
                } else {
                    tracing::warn!(request_id = %ctx.id, "origin body length does not match Content-Length; not cached");
                }
                viewer_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                let (range_status, bytes) =
                    ranged(spec.request, status, &mut viewer_headers, bytes);
                parts.status = range_status;
                parts.headers = viewer_headers;
                drop(guard);
                Ok(origin_answer(
                    Response::from_parts(parts, EdgeBody::full(bytes)),
                    spec.request,
                ))
            }
            Ok(Err((prefix, rest))) => {
                drop(guard);
                let body = PrefixedBody::new(prefix, rest);
                Ok(origin_answer(
                    Response::from_parts(parts, EdgeBody::stream(body)),
                    spec.request,
                ))
            }
            Err(e) => {
                drop(guard);
                tracing::warn!(request_id = %ctx.id, error = %e, "origin body failed; not cached");
                if e.downcast_ref::<crate::origin::timeouts::BetweenBytesTimeout>()
                    .is_some()
                {
                    Err(EdgeError::OriginTimeout)
                } else {
                    Err(EdgeError::OriginInvalidResponse(e.to_string()))
                }
            }
        }
    }

    /// Serve a stale copy after an origin failure and hold it for the error
    /// caching minimum TTL before asking the origin again (spec §2.4).
    fn serve_stale(
        &self,
        key: CacheKey,
        old: &Arc<CachedObject>,
        error: StatusCode,
        request: &ViewerRequest,
        now: Instant,
    ) -> Answer {
        let mut held = (**old).clone();
        held.hold_until = Some(now + self.error_caching_min_ttl(error));
        let answer = hit(&held, CacheStatus::Hit, request, now);
        self.cache.insert(key, held);
        answer
    }

    /// The error CloudFront answers for an origin it could not reach or that
    /// did not answer, as a cache object held for the error caching minimum
    /// TTL (spec §2.4: 502 and 504 are always cached); `None` for other
    /// failures (an incomplete or invalid response is not cached) or a zero TTL.
    fn origin_failure_object(
        &self,
        e: &EdgeError,
        request_id: &str,
        policy: &crate::config::CachePolicy,
        now: Instant,
    ) -> Option<CachedObject> {
        if !matches!(
            e,
            EdgeError::OriginConnect(_) | EdgeError::OriginTls(_) | EdgeError::OriginTimeout
        ) {
            return None;
        }
        let a = e.answer();
        let ttl = self.error_caching_min_ttl(a.status);
        if ttl.is_zero() || policy.caching_disabled() {
            return None;
        }
        let page = crate::responses::error_page(a.status, a.detail, request_id);
        let mut headers = page.headers;
        headers.insert(header::SERVER, HeaderValue::from_static("CloudFront"));
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())) {
            headers.insert(header::DATE, v);
        }
        Some(CachedObject {
            status: a.status,
            headers,
            body: page.body,
            stored_at: now,
            freshness: freshness::Freshness {
                ttl,
                stale_while_revalidate: Duration::ZERO,
                stale_if_error: Some(Duration::ZERO),
                max_stale_age: Duration::from_secs(policy.max_ttl),
                revalidate_always: false,
            },
            hold_until: None,
            stored_wall: SystemTime::now(),
        })
    }

    /// Apply a 304's headers to the stored object and restart its freshness.
    fn refresh(
        &self,
        old: &CachedObject,
        fresh_headers: &http::HeaderMap,
        policy: &crate::config::CachePolicy,
        now: Instant,
    ) -> CachedObject {
        let mut headers = old.headers.clone();
        for name in [
            header::CACHE_CONTROL,
            header::EXPIRES,
            header::ETAG,
            header::LAST_MODIFIED,
            header::DATE,
        ] {
            if let Some(v) = fresh_headers.get(&name) {
                headers.insert(name, v.clone());
            }
        }
        // An object the edge compressed keeps a weak ETag (spec §8).
        if old.headers.contains_key(header::CONTENT_ENCODING)
            && old
                .headers
                .get(header::ETAG)
                .is_some_and(|e| e.as_bytes().starts_with(b"W/"))
        {
            compression::weaken_etag(&mut headers);
        }
        let freshness = match freshness::decide(
            policy,
            old.status,
            &headers,
            SystemTime::now(),
            self.error_caching_min_ttl(old.status),
        ) {
            StoreDecision::Store(f) => f,
            StoreDecision::DoNotStore(_) => old.freshness,
        };
        CachedObject {
            status: old.status,
            headers,
            body: old.body.clone(),
            stored_at: now,
            freshness,
            hold_until: None,
            stored_wall: SystemTime::now(),
        }
    }
}

/// A viewer's conditional `GET`/`HEAD` that matches the object served gets
/// `304 Not Modified` from the edge (spec §2.6). Not when cookies are
/// forwarded: CloudFront does not support conditional requests then.
fn viewer_conditional(request: &ViewerRequest, forwards_cookies: bool, mut a: Answer) -> Answer {
    let status = a.resp.status();
    if forwards_cookies
        || a.origin_status != StatusCode::OK
        || !(status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT)
        || !conditional::not_modified(&request.method, &request.headers, a.resp.headers())
    {
        return a;
    }
    *a.resp.status_mut() = StatusCode::NOT_MODIFIED;
    *a.resp.body_mut() = EdgeBody::empty();
    let h = a.resp.headers_mut();
    for name in [
        header::CONTENT_LENGTH,
        header::CONTENT_RANGE,
        header::TRANSFER_ENCODING,
    ] {
        h.remove(name);
    }
    a
}

/// `If-None-Match` / `If-Modified-Since` from a stored object (spec §2.6).
fn validators(stored: &http::HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let mut v = Vec::new();
    if let Some(etag) = stored.get(header::ETAG) {
        v.push((header::IF_NONE_MATCH, etag.clone()));
    }
    if let Some(lm) = stored.get(header::LAST_MODIFIED) {
        v.push((header::IF_MODIFIED_SINCE, lm.clone()));
    }
    v
}

fn content_length(h: &http::HeaderMap) -> Option<u64> {
    h.get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A response from a stored object.
fn hit(o: &CachedObject, status: CacheStatus, request: &ViewerRequest, now: Instant) -> Answer {
    let mut headers = o.headers.clone();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(o.body.len()));
    let (http_status, body) = ranged(request, o.status, &mut headers, o.body.clone());
    let mut resp = Response::new(if request.method == Method::HEAD {
        EdgeBody::empty()
    } else {
        EdgeBody::full(body)
    });
    *resp.status_mut() = http_status;
    *resp.headers_mut() = headers;
    let cache_status = if o.status.as_u16() >= 400 {
        CacheStatus::Error
    } else {
        status
    };
    Answer {
        resp,
        cache_status,
        age: Some(o.age(now).as_secs()),
        generated: false,
        close: false,
        origin_status: o.status,
        skip_viewer_response: o.status.as_u16() >= 400,
    }
}

/// A viewer `Range` on a GET is served from the full object (spec §8):
/// 206 (single or multipart), 416, or 200 when the header is ignored or
/// `If-Range` does not match.
fn ranged(
    request: &ViewerRequest,
    status: StatusCode,
    headers: &mut http::HeaderMap,
    body: Bytes,
) -> (StatusCode, Bytes) {
    let range = match request.headers.get(header::RANGE) {
        Some(r) if request.method == Method::GET && status == StatusCode::OK => r,
        _ => return (status, body),
    };
    if !range::if_range_allows(request.headers.get(header::IF_RANGE), headers) {
        return (status, body);
    }
    let plan = range::plan(Some(range), body.len() as u64);
    range::apply(&plan, headers, body)
}

/// A response fetched from the origin on a miss.
fn origin_answer(mut resp: Response<EdgeBody>, request: &ViewerRequest) -> Answer {
    if request.method == Method::HEAD {
        *resp.body_mut() = EdgeBody::empty();
    }
    let status = resp.status();
    let cache_status = super::lambda::miss_status(resp.extensions(), status);
    Answer {
        resp,
        cache_status,
        age: None,
        generated: cache_status == CacheStatus::LambdaGenerated,
        close: false,
        origin_status: status,
        skip_viewer_response: status.as_u16() >= 400,
    }
}

/// The buffered prefix of an over-size body, then the rest of the stream.
pub(super) struct PrefixedBody {
    prefix: std::collections::VecDeque<Bytes>,
    rest: EdgeBody,
}

impl PrefixedBody {
    pub(super) fn new(prefix: Vec<Bytes>, rest: EdgeBody) -> Self {
        PrefixedBody {
            prefix: prefix.into(),
            rest,
        }
    }
}

impl http_body::Body for PrefixedBody {
    type Data = Bytes;
    type Error = crate::body::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(b) = self.prefix.pop_front() {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(b))));
        }
        std::pin::Pin::new(&mut self.rest).poll_frame(cx)
    }
}
