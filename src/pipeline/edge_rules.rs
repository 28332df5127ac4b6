//! The native edge rules stage (viewer-request, before any function) and
//! the response headers policy stage (spec §6.1 steps 4 and 10).
//!
//! Order at viewer-request (spec §6.1 leaves it undocumented; cfedge's choice):
//! 1. geo restriction (403 `Error`, custom error page allowed; spec §7.2);
//! 2. CORS preflight answered by the response headers policy (before any
//!    auth: browsers send preflights without credentials);
//! 3. signed URL / signed cookies (403 XML `Error`, custom error page allowed; spec §7.1);
//! 4. redirect tables, in the behaviour's order;
//! 5. JWT rules, in the behaviour's order.

use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderValue;
use tokio::time::Instant;

use super::{Answer, CacheStatus, Edge, RequestCtx};
use crate::error::EdgeError;
use crate::response_headers_policy::{ServerTimingCache, ServerTimingInfo};
use crate::rules::geo::GeoDecision;
use crate::rules::{RuleResponse, X_CACHE_ERROR, X_CACHE_FUNCTION};
use crate::viewer::ViewerRequest;

/// `X-Cache` of a CORS preflight answered at the edge.
pub const X_CACHE_PREFLIGHT: &str = "CorsPreflight from cfedge";

/// `CloudFront-Viewer-Country`, set from the geo source (spec §3.2).
const VIEWER_COUNTRY: &str = "cloudfront-viewer-country";

impl Edge {
    /// Run the rules; `Err` is the answer to send now.
    pub(crate) async fn viewer_rules(
        self: &Arc<Self>,
        ctx: &mut RequestCtx,
        request: &mut ViewerRequest,
    ) -> Result<(), Answer> {
        let behavior = ctx.behavior.clone();
        let features = &behavior.features;
        if let Some(geo) = &self.config.features.geo {
            let decision = geo.check(request);
            // The resolved country replaces whatever the viewer sent (spec §3.2).
            request.headers.remove(VIEWER_COUNTRY);
            if let Some(c) = decision.country() {
                if let Ok(v) = HeaderValue::from_str(c.as_str()) {
                    request.headers.insert(VIEWER_COUNTRY, v);
                }
            }
            ctx.viewer_country = decision.country();
            if let GeoDecision::Blocked(_) = decision {
                let a = self
                    .error_answer(&ctx.id, EdgeError::GeoBlocked, Some(&behavior))
                    .await;
                return Err(self.apply_custom_error(ctx, request, a).await);
            }
        }
        if let Some(policy) = &features.response_headers_policy {
            if let Some(g) = policy.preflight(request) {
                return Err(Answer::generated(g, CacheStatus::Custom(X_CACHE_PREFLIGHT)));
            }
        }
        let now = SystemTime::now();
        if let Some(trusted) = &features.trusted_key_groups {
            if let Err(r) = trusted.verify(request, now) {
                let mut a = rule_answer(*r);
                // A real CloudFront 403: custom error pages apply (spec §1.5).
                a.skip_viewer_response = true;
                return Err(self.apply_custom_error(ctx, request, a).await);
            }
        }
        for table in &features.redirect_tables {
            if let Some(r) = table.lookup(request) {
                return Err(final_answer(rule_answer(r)));
            }
        }
        for rule in &features.jwt_rules {
            rule.apply(request, now)
                .map_err(|r| final_answer(rule_answer(*r)))?;
        }
        Ok(())
    }

    /// Spec §6.1 step 10: the behaviour's response headers policy, on every response.
    pub(crate) fn response_policy(
        &self,
        ctx: &RequestCtx,
        request: &ViewerRequest,
        started: Instant,
        mut answer: Answer,
    ) -> Answer {
        let Some(policy) = &ctx.behavior.features.response_headers_policy else {
            return answer;
        };
        policy.apply(request, answer.resp.headers_mut());
        let cache = match answer.cache_status {
            CacheStatus::Hit => ServerTimingCache::Hit,
            CacheStatus::RefreshHit => ServerTimingCache::Refresh,
            CacheStatus::Miss => ServerTimingCache::Miss,
            _ => ServerTimingCache::None,
        };
        let info = ServerTimingInfo {
            cache,
            pop: &self.config.distribution.pop,
            request_id: &ctx.id,
            upstream_fbl_ms: None,
            downstream_fbl_ms: started.elapsed().as_millis() as u64,
        };
        policy.add_server_timing(request, answer.resp.headers_mut(), &info);
        answer
    }
}

/// A rule's response as an answer with its `X-Cache`.
fn rule_answer(r: RuleResponse) -> Answer {
    let status = match r.x_cache {
        X_CACHE_ERROR => CacheStatus::Error,
        X_CACHE_FUNCTION => CacheStatus::FunctionGenerated,
        other => CacheStatus::Custom(other),
    };
    Answer::generated(r.response, status)
}

/// No custom error page replaces it (function-like responses, spec §1.5).
fn final_answer(mut a: Answer) -> Answer {
    a.origin_status = http::StatusCode::OK;
    a
}
