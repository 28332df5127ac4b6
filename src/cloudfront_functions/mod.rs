//! CloudFront Functions: viewer-request and viewer-response JavaScript
//! (spec §4).
//!
//! - [`build`] loads `[functions.<name>]` and `[key_value_stores.<name>]`:
//!   it reads the code, enforces the 10 KB limit (spec §4.6; lifted by
//!   `[distribution] allow_oversized_functions = true`), checks syntax and
//!   the runtime's dialect (errors name file, line and column), and loads
//!   the associated store.
//! - [`CloudFrontFunction::viewer_request`] / [`CloudFrontFunction::viewer_response`]
//!   build the event (spec §4.4), run the handler on the thread's engine
//!   (`crate::js`), and turn the result back into HTTP, enforcing the
//!   validation rules of spec §3.3 and §4.4.
//! - Failures (spec §4.8): an exception is [`FunctionError::Execution`]
//!   (503), an invalid result [`FunctionError::Validation`] (502), a runaway
//!   run or a function that keeps exceeding its budget
//!   [`FunctionError::Throttled`] (503, see [`budget`]).
//! - At the edge, a deterministic invocation is replayed for an identical
//!   event instead of run again ([`memo`]).

pub mod budget;
pub mod event;
pub mod kvs;
pub mod memo;
pub mod origin;
pub mod test;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::config::file::FileConfig;
use crate::config::{ConfigError, Distribution};
use crate::js::{Dialect, EdgeLocation, FunctionCode, InvocationReport, InvokeOptions};
use crate::origin::OriginOverride;
use crate::responses::GeneratedResponse;
use crate::viewer::ViewerRequest;
pub use budget::BudgetMode;

use event::{Event, EventContext, EventType, Output};
use kvs::KeyValueStore;

/// Largest function code CloudFront accepts (spec §4.6).
pub const MAX_CODE_BYTES: usize = 10 * 1024;
/// Default time budget per invocation.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(1);

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

    /// Number of functions.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// Whether there are no functions.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }
}

/// One compiled CloudFront Function.
#[derive(Debug)]
pub struct CloudFrontFunction {
    pub name: String,
    code: FunctionCode,
    kvs: Option<Arc<KeyValueStore>>,
    budget: Duration,
    throttle: budget::Throttle,
    /// Replay deterministic invocations at the edge ([`memo`]).
    memoize: bool,
}

/// One invocation's report, with what the edge derives from it. Shared
/// with the memo, so that a replay skips the derivation as well as the run.
#[derive(Debug, Clone)]
pub struct Run {
    pub report: InvocationReport,
    /// The returned request's or response's headers as HTTP, before the
    /// hidden ones are added back (a function of the event and the result).
    headers: OnceCell<Result<HeaderMap, FunctionError>>,
}

impl Run {
    fn new(report: InvocationReport) -> Self {
        Run {
            report,
            headers: OnceCell::new(),
        }
    }
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
#[expect(
    clippy::large_enum_variant,
    reason = "built once per request and matched at once; boxing would add an allocation"
)]
pub enum ViewerRequestOutcome {
    /// Continue with this (possibly changed) request, and maybe another origin.
    Continue(ViewerRequest, Option<OriginOverride>),
    /// Answer the viewer now (`FunctionGeneratedResponse`), uncached.
    Respond(GeneratedResponse),
}

/// What a viewer-response function returned.
#[derive(Debug, Clone)]
pub struct ResponseChange {
    pub status: StatusCode,
    pub status_description: Option<String>,
    pub headers: HeaderMap,
    /// `Some` when the function set a body (empty bytes remove it).
    pub body: Option<Bytes>,
}

/// How a function failed (spec §4.8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

impl FunctionError {
    /// The pipeline's error for this failure.
    pub fn to_edge_error(&self) -> crate::error::EdgeError {
        use crate::error::EdgeError;
        match self {
            FunctionError::Execution(m) => EdgeError::FunctionExecution(m.clone()),
            FunctionError::Validation(m) => EdgeError::FunctionValidation(m.clone()),
            FunctionError::Throttled(m) => EdgeError::FunctionThrottled(m.clone()),
        }
    }
}

impl CloudFrontFunction {
    /// A function from code, outside any config (`cfedge test-function`, tests).
    pub fn from_code(
        name: &str,
        code: &str,
        dialect: Dialect,
        kvs: Option<Arc<KeyValueStore>>,
        budget: Duration,
    ) -> Result<Self, js_source::SourceError> {
        Ok(CloudFrontFunction {
            name: name.to_owned(),
            code: FunctionCode::new(name, code, dialect)?,
            kvs,
            budget,
            throttle: budget::Throttle::default(),
            memoize: true,
        })
    }

    /// Whether deterministic invocations are replayed at the edge ([`memo`]).
    pub fn with_memoize(mut self, memoize: bool) -> Self {
        self.memoize = memoize;
        self
    }

    /// The runtime.
    pub fn dialect(&self) -> Dialect {
        self.code.dialect
    }

    /// The time budget per invocation.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Run the handler on an event (no HTTP translation). `budget_mode`
    /// says whether a function that keeps running over its budget is
    /// throttled (the edge) or the budget only shows in the compute
    /// utilization (`TestFunction`); see [`budget`]. With the budget
    /// enforced, a deterministic run may be replayed instead ([`memo`]).
    pub fn run_event(
        &self,
        event: &Event,
        edge_location: Option<EdgeLocation>,
        budget_mode: BudgetMode,
    ) -> InvocationReport {
        let event = Rc::new(event.clone());
        let (run, _) = self.run_shared(&event, None, || edge_location, budget_mode);
        Rc::unwrap_or_clone(run).report
    }

    /// [`Self::run_event`], with the run shared with the memo (`input`: what
    /// the edge made the event from), and whether it was replayed.
    fn run_shared(
        &self,
        event: &Rc<Event>,
        input: Option<&memo::Input<'_>>,
        edge_location: impl FnOnce() -> Option<EdgeLocation>,
        budget_mode: BudgetMode,
    ) -> (Rc<Run>, bool) {
        let memo_key =
            (self.memoize && budget_mode == BudgetMode::Enforce).then(|| memo::key(event));
        let replayed = memo_key.and_then(|key| memo::replay(self.code.id(), key, event));
        let was_replayed = replayed.is_some();
        let run = match replayed {
            Some(run) => run,
            None => {
                let run = Rc::new(Run::new(crate::js::invoke(
                    &self.code,
                    event,
                    &InvokeOptions {
                        kvs: self.kvs.clone(),
                        edge_location: edge_location(),
                    },
                )));
                if let Some(key) = memo_key {
                    if self.compute_utilization(&run.report) <= 100 {
                        memo::remember(self.code.id(), key, event, input, &run);
                    }
                }
                run
            }
        };
        (self.enforce_budget(run, budget_mode), was_replayed)
    }

    /// Record the run's compute utilization; throttle a function that keeps
    /// running over its budget (see [`budget`]).
    fn enforce_budget(&self, mut run: Rc<Run>, budget_mode: BudgetMode) -> Rc<Run> {
        if budget_mode == BudgetMode::Enforce {
            let utilization = self.compute_utilization(&run.report);
            if self.throttle.record(utilization) && run.report.result.is_ok() {
                Rc::make_mut(&mut run).report.result = Err(FunctionError::Throttled(format!(
                    "compute utilization {utilization}% of the {} µs budget; {} of the last {} invocations ran over it",
                    self.budget.as_micros(),
                    self.throttle.recent_overruns(),
                    budget::WINDOW
                )));
            }
        }
        run
    }

    /// An invocation's compute utilization in percent (over 100 when it ran
    /// past the budget).
    pub fn compute_utilization(&self, report: &InvocationReport) -> u32 {
        budget::utilization(report.elapsed, self.budget)
    }

    /// Run at the edge, logged: the run remembered for an equal `input`
    /// ([`memo`]), or a run of the event `make_event` builds from it. The
    /// event returned is the one the result applies to (a remembered one
    /// carries its first request's id, which nothing reads); the remembered
    /// entry comes back too when its run is the one returned, for what the
    /// caller derives from the input.
    fn run_logged(
        &self,
        cx: &InvocationContext<'_>,
        input: memo::Input<'_>,
        make_event: impl FnOnce() -> Event,
    ) -> (Rc<Run>, Rc<Event>, Option<Rc<memo::Remembered>>) {
        let edge = || EdgeLocation {
            name: cx
                .distribution
                .pop
                .split('-')
                .next()
                .unwrap_or_default()
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect(),
            server_ip: "127.0.0.1".to_owned(),
            region: "local".to_owned(),
        };
        let remembered = if self.memoize {
            memo::replay_input(self.code.id(), &input)
        } else {
            None
        };
        let (run, event, replayed) = match &remembered {
            Some(r) => (
                self.enforce_budget(Rc::clone(&r.run), BudgetMode::Enforce),
                Rc::clone(&r.event),
                true,
            ),
            None => {
                let event = Rc::new(make_event());
                let (run, replayed) =
                    self.run_shared(&event, Some(&input), || Some(edge()), BudgetMode::Enforce);
                (run, event, replayed)
            }
        };
        let report = &run.report;
        let utilization = self.compute_utilization(report);
        if utilization > 100 {
            tracing::warn!(function = %self.name, request_id = %cx.request_id, utilization, "CloudFront Function over its time budget");
        } else if replayed {
            tracing::debug!(function = %self.name, request_id = %cx.request_id, utilization, "CloudFront Function replayed (deterministic, identical event)");
        } else {
            tracing::debug!(function = %self.name, request_id = %cx.request_id, utilization, "CloudFront Function ran");
        }
        for line in &report.logs {
            tracing::info!(target: "cfedge::function", function = %self.name, request_id = %cx.request_id, "{line}");
        }
        if let Some(data) = &report.custom_log_data {
            // The `viewer-request-log-data` / `viewer-response-log-data` log field (spec §4.3).
            tracing::info!(
                target: "cfedge::function",
                function = %self.name,
                request_id = %cx.request_id,
                event_type = input.event_type.as_str(),
                log_data = %data,
                "custom log data"
            );
        }
        if let Err(e) = &report.result {
            tracing::warn!(function = %self.name, request_id = %cx.request_id, error = %e, "CloudFront Function failed");
        }
        // A throttled replay is not the remembered run.
        let remembered = remembered.filter(|r| Rc::ptr_eq(&r.run, &run));
        (run, event, remembered)
    }

    fn event(cx: &InvocationContext<'_>, req: &ViewerRequest, event_type: EventType) -> Event {
        Event {
            context: EventContext {
                distribution_domain_name: cx.distribution.domain_name.clone(),
                distribution_id: cx.distribution.id.clone(),
                event_type,
                request_id: cx.request_id.to_owned(),
            },
            viewer_ip: event::ip_text(req.client_addr.ip()),
            request: event::event_request(req),
            response: None,
        }
    }

    /// Run at viewer-request.
    pub fn viewer_request(
        &self,
        cx: &InvocationContext<'_>,
        req: &ViewerRequest,
    ) -> Result<ViewerRequestOutcome, FunctionError> {
        let input = memo::Input {
            event_type: EventType::ViewerRequest,
            request: req,
            response: None,
        };
        let (run, ev, remembered) =
            self.run_logged(cx, input, || Self::event(cx, req, EventType::ViewerRequest));
        let report = &run.report;
        match &report.result {
            Err(e) => Err(e.clone()),
            Ok(Output::Request(out)) => {
                let apply = || {
                    event::apply_request_with(req, &ev.request, out, || {
                        run.headers
                            .get_or_init(|| event::request_headers(&ev.request, out))
                            .clone()
                    })
                };
                let new_req = match &remembered {
                    // The same input as the remembered one: the same request
                    // goes on, but for what the input leaves out.
                    Some(r) => match r
                        .applied
                        .get_or_init(|| apply().map(memo::Applied::Request))
                    {
                        Ok(memo::Applied::Request(kept)) => ViewerRequest {
                            version: req.version,
                            protocol: req.protocol,
                            client_addr: req.client_addr,
                            ..kept.clone()
                        },
                        Ok(memo::Applied::Response(_)) => apply()?,
                        Err(e) => return Err(e.clone()),
                    },
                    None => apply()?,
                };
                let origin = report
                    .origin
                    .as_ref()
                    .map(origin::to_override)
                    .transpose()?;
                if let Some(o) = &origin {
                    origin::check_custom_headers(o, &new_req.headers)?;
                }
                Ok(ViewerRequestOutcome::Continue(new_req, origin))
            }
            Ok(Output::Response(out)) => {
                let status = event::status_code(out.status_code)?;
                let headers = event::response_headers(EventType::ViewerRequest, out, None)?;
                let body = match &out.body {
                    Some(b) => event::body_bytes(b)?,
                    None => Bytes::new(),
                };
                Ok(ViewerRequestOutcome::Respond(GeneratedResponse {
                    status,
                    status_description: out.status_description.clone(),
                    headers,
                    body,
                }))
            }
        }
    }

    /// Run at viewer-response.
    pub fn viewer_response(
        &self,
        cx: &InvocationContext<'_>,
        req: &ViewerRequest,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<ResponseChange, FunctionError> {
        let input = memo::Input {
            event_type: EventType::ViewerResponse,
            request: req,
            response: Some((status, headers)),
        };
        let (run, ev, remembered) = self.run_logged(cx, input, || {
            let mut ev = Self::event(cx, req, EventType::ViewerResponse);
            ev.response = Some(event::event_response(status, headers));
            ev
        });
        let apply = || Self::response_change(&run, &ev, headers);
        match &remembered {
            // The same input as the remembered one: the same change.
            Some(r) => match r
                .applied
                .get_or_init(|| apply().map(memo::Applied::Response))
            {
                Ok(memo::Applied::Response(change)) => Ok(change.clone()),
                Ok(memo::Applied::Request(_)) => apply(),
                Err(e) => Err(e.clone()),
            },
            None => apply(),
        }
    }

    /// The response change a viewer-response run made of `headers`.
    fn response_change(
        run: &Run,
        ev: &Event,
        headers: &HeaderMap,
    ) -> Result<ResponseChange, FunctionError> {
        let Output::Response(out) = run.report.result.as_ref().map_err(Clone::clone)? else {
            return Err(FunctionError::Validation(
                "a viewer-response function must return a response".into(),
            ));
        };
        let status = event::status_code(out.status_code)?;
        let mut new_headers = run
            .headers
            .get_or_init(|| {
                event::response_headers(EventType::ViewerResponse, out, ev.response.as_ref())
            })
            .clone()?;
        // Hidden headers the function never saw travel on unchanged.
        for (name, value) in headers {
            if event::is_disallowed_header(name.as_str()) {
                new_headers.append(name.clone(), value.clone());
            }
        }
        let body = out.body.as_ref().map(event::body_bytes).transpose()?;
        Ok(ResponseChange {
            status,
            status_description: out.status_description.clone(),
            headers: new_headers,
            body,
        })
    }
}

use crate::js::source as js_source;

/// `[functions.<name>]`, validated.
fn load_function(
    name: &str,
    f: &crate::config::file::FunctionFile,
    base: &Path,
    distribution: &Distribution,
    stores: &HashMap<String, Arc<KeyValueStore>>,
) -> Result<CloudFrontFunction, ConfigError> {
    let item = format!("functions.{name}");
    let dialect = match f.runtime.as_deref() {
        None => Dialect::CloudFrontJs2,
        Some(r) => Dialect::parse(r).ok_or_else(|| {
            ConfigError::new(
                &item,
                format!("runtime \"{r}\" is not cloudfront-js-1.0 or cloudfront-js-2.0"),
            )
        })?,
    };
    let path = base.join(&f.file);
    let code = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::new(&item, format!("cannot read {}: {e}", path.display())))?;
    if code.len() > MAX_CODE_BYTES && !distribution.allow_oversized_functions {
        return Err(ConfigError::new(
            &item,
            format!(
                "{} is {} bytes; CloudFront Functions are limited to {MAX_CODE_BYTES} bytes \
                 (set [distribution] allow_oversized_functions = true to run it anyway)",
                path.display(),
                code.len()
            ),
        ));
    }
    let budget = match f.budget_us {
        None => DEFAULT_BUDGET,
        Some(0) => return Err(ConfigError::new(&item, "budget_us must be at least 1")),
        Some(us) => Duration::from_micros(us),
    };
    let kvs = match &f.key_value_store {
        None => None,
        Some(k) => Some(stores.get(k).cloned().ok_or_else(|| {
            ConfigError::new(
                &item,
                format!("key value store \"{k}\" is not defined in [key_value_stores]"),
            )
        })?),
    };
    if kvs.is_some() && dialect == Dialect::CloudFrontJs1 {
        return Err(ConfigError::new(
            &item,
            "key value stores need the cloudfront-js-2.0 runtime",
        ));
    }
    let code = FunctionCode::new(name, &code, dialect).map_err(|e| {
        let mut err = ConfigError::new(&item, e.message.clone()).in_file(&path);
        err.line = e.line.map(|l| l as usize);
        err.column = e.column.map(|c| c as usize);
        err
    })?;
    Ok(CloudFrontFunction {
        name: name.to_owned(),
        code,
        kvs,
        budget,
        throttle: budget::Throttle::default(),
        memoize: f.memoize.unwrap_or(true),
    })
}

/// Build the functions declared in `[functions]` (and their key value stores).
pub fn build(
    file: &FileConfig,
    base: &Path,
    distribution: &Distribution,
) -> Result<FunctionSet, ConfigError> {
    let mut stores = HashMap::new();
    for (name, k) in &file.key_value_stores {
        let item = format!("key_value_stores.{name}");
        let store = KeyValueStore::load(name, &base.join(&k.get_ref().file), &item)?;
        stores.insert(name.clone(), Arc::new(store));
    }
    let mut functions = HashMap::new();
    for (name, f) in &file.functions {
        let func = load_function(name, f.get_ref(), base, distribution, &stores)?;
        functions.insert(name.clone(), Arc::new(func));
    }
    Ok(FunctionSet { functions })
}
