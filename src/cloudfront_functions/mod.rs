//! CloudFront Functions: viewer-request and viewer-response JavaScript
//! (spec §4). STUB: the interface the pipeline calls; implementation pending.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::config::file::FileConfig;
use crate::config::{ConfigError, Distribution};
use crate::origin::OriginOverride;
use crate::responses::GeneratedResponse;
use crate::viewer::ViewerRequest;

/// All functions of the distribution, by name.
#[derive(Debug, Default)]
pub struct FunctionSet {
    functions: HashMap<String, Arc<CloudFrontFunction>>,
}

impl FunctionSet {
    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<CloudFrontFunction>> {
        self.functions.get(name).cloned()
    }
}

/// One compiled CloudFront Function.
#[derive(Debug)]
pub struct CloudFrontFunction {
    pub name: String,
}

/// Facts about the invocation that go into the event's `context`.
#[derive(Debug, Clone, Copy)]
pub struct InvocationContext<'a> {
    pub distribution: &'a Distribution,
    pub request_id: &'a str,
}

/// What a viewer-request function decided.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ViewerRequestOutcome {
    /// Continue with this (possibly changed) request, and maybe another origin.
    Continue(ViewerRequest, Option<OriginOverride>),
    /// Answer the viewer now (`FunctionGeneratedResponse`), uncached.
    Respond(GeneratedResponse),
}

/// What a viewer-response function returned.
#[derive(Debug)]
pub struct ResponseChange {
    pub status: StatusCode,
    pub status_description: Option<String>,
    pub headers: HeaderMap,
    /// `Some` when the function set a body (empty bytes remove it).
    pub body: Option<Bytes>,
}

/// How a function failed (spec §4.8).
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// Exception or runtime error: 503 `FunctionExecutionError`.
    #[error("function execution error: {0}")]
    Execution(String),
    /// Invalid result or forbidden header change: 502 `FunctionValidationError`.
    #[error("function validation error: {0}")]
    Validation(String),
    /// Over the time budget: 503 `FunctionThrottledError`.
    #[error("function throttled: {0}")]
    Throttled(String),
}

impl CloudFrontFunction {
    /// Run at viewer-request.
    pub fn viewer_request(
        &self,
        _cx: &InvocationContext<'_>,
        req: &ViewerRequest,
    ) -> Result<ViewerRequestOutcome, FunctionError> {
        Ok(ViewerRequestOutcome::Continue(req.clone(), None))
    }

    /// Run at viewer-response.
    pub fn viewer_response(
        &self,
        _cx: &InvocationContext<'_>,
        _req: &ViewerRequest,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<ResponseChange, FunctionError> {
        Ok(ResponseChange {
            status,
            status_description: None,
            headers: headers.clone(),
            body: None,
        })
    }
}

/// Build the functions declared in `[functions]`.
pub fn build(
    file: &FileConfig,
    _base: &Path,
    _distribution: &Distribution,
) -> Result<FunctionSet, ConfigError> {
    if let Some((name, _)) = file.functions.iter().next() {
        return Err(ConfigError::new(
            format!("functions.{name}"),
            "CloudFront Functions are not implemented yet",
        ));
    }
    Ok(FunctionSet::default())
}
