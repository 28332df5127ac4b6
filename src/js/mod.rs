//! The JavaScript engine (boa_engine): the only module that imports boa.
//!
//! It runs CloudFront Functions handlers on one long-lived, locked-down
//! engine per thread (see [`engine`] for the isolation and time-limit
//! design, and `shared/design/js-engine-notes.md` for the measurements it
//! follows). Callers hand it plain Rust data ([`FunctionCode`], an
//! [`Event`]) and get plain Rust data back ([`InvocationReport`]); no boa
//! type crosses this module's boundary.

mod cf_event;
mod engine;
mod field_map;
mod for_in;
mod jobs;
mod json_value;
pub mod lambda_runtime;
mod natives;
mod nesting;
pub mod source;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use engine::{
    release_thread_engine, set_thread_instruction_limit, INVOCATION_INSTRUCTION_LIMIT,
    LOOP_ITERATION_LIMIT, RECURSION_LIMIT,
};
pub use natives::MAX_LOG_BYTES;
pub use nesting::JS_THREAD_STACK_BYTES;

use crate::cloudfront_functions::event::{Event, Output};
use crate::cloudfront_functions::kvs::KeyValueStore;
use crate::cloudfront_functions::origin::OriginRequest;
use crate::cloudfront_functions::FunctionError;

/// A JS string as a Rust string, unpaired surrogates replaced by U+FFFD.
/// boa's own `to_std_string_lossy` formats char by char; this copies Latin-1
/// strings (nearly every header, URI and value) in one pass.
fn rust_string(s: &boa_engine::JsString) -> String {
    match s.as_str().variant() {
        boa_engine::string::JsStrVariant::Latin1(bytes) => match std::str::from_utf8(bytes) {
            Ok(ascii) if bytes.is_ascii() => ascii.to_owned(),
            _ => bytes.iter().map(|&b| char::from(b)).collect(),
        },
        boa_engine::string::JsStrVariant::Utf16(units) => String::from_utf16_lossy(units),
    }
}

/// The value of `o`'s own data property `key`, read straight from the
/// object's storage; `None` for accessors, inherited or missing properties
/// and exotic objects (proxies keep nothing there), which need `[[Get]]`.
fn own_data_value(
    o: &boa_engine::JsObject,
    key: &boa_engine::property::PropertyKey,
) -> Option<boa_engine::JsValue> {
    o.borrow()
        .properties()
        .get(key)
        .and_then(|d| d.value().cloned())
}

/// The JavaScript dialect a function is written in (spec §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// `cloudfront-js-1.0`: ES5.1 plus a few later features, njs byte strings.
    CloudFrontJs1,
    /// `cloudfront-js-2.0`: ES2021-ish, `Buffer`, async handlers, `cloudfront` module.
    CloudFrontJs2,
}

impl Dialect {
    /// The CloudFront runtime name.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::CloudFrontJs1 => "cloudfront-js-1.0",
            Dialect::CloudFrontJs2 => "cloudfront-js-2.0",
        }
    }

    /// Parse a runtime name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cloudfront-js-1.0" => Some(Dialect::CloudFrontJs1),
            "cloudfront-js-2.0" => Some(Dialect::CloudFrontJs2),
            _ => None,
        }
    }
}

/// A function's code, checked and ready to compile (once per thread).
#[derive(Debug)]
pub struct FunctionCode {
    /// Unique per loaded function: engines cache the compiled factory by it.
    id: u64,
    pub name: String,
    pub dialect: Dialect,
    prepared: source::PreparedSource,
}

impl FunctionCode {
    /// The id unique to this loaded function.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Check `code` (syntax, imports, runtime dialect) and prepare it.
    pub fn new(name: &str, code: &str, dialect: Dialect) -> Result<Self, source::SourceError> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let prepared = source::prepare(code, dialect)?;
        Ok(FunctionCode {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: name.to_owned(),
            dialect,
            prepared,
        })
    }
}

/// `cf.edgeLocation` (spec §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeLocation {
    pub name: String,
    pub server_ip: String,
    pub region: String,
}

/// What an invocation may use.
#[derive(Debug, Clone)]
pub struct InvokeOptions {
    /// The associated key value store.
    pub kvs: Option<Arc<KeyValueStore>>,
    /// `cf.edgeLocation` (viewer-request only).
    pub edge_location: Option<EdgeLocation>,
}

/// The outcome of one invocation.
#[derive(Debug, Clone)]
pub struct InvocationReport {
    pub result: Result<Output, FunctionError>,
    /// `console.log` lines (at most 10 KB in all).
    pub logs: Vec<String>,
    /// Wall time of the invocation (factory + handler + promise jobs + result read).
    pub elapsed: Duration,
    /// The last origin helper call, if any.
    pub origin: Option<OriginRequest>,
    /// `cf.logCustomData`, URL-encoded and capped at 800 bytes.
    pub custom_log_data: Option<String>,
    /// The function read nothing but its event, its code's constants, its
    /// key value store and `cf.edgeLocation()`: not the clock (`Date`),
    /// `Math.random` nor `context.requestId`. Its report is then a function
    /// of the event (`cloudfront_functions::memo`).
    pub deterministic: bool,
}

/// Run `code` on `event` on this thread's engine.
pub fn invoke(code: &FunctionCode, event: &Event, opts: &InvokeOptions) -> InvocationReport {
    engine::invoke(code, event, opts)
}
