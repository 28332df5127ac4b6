//! One long-lived boa engine per thread (js-engine-notes, design R3).
//!
//! - The `Context` lives in a `thread_local!` slot. It is created lazily,
//!   dropped explicitly by [`release_thread_engine`] (call it from the
//!   runtime's `on_thread_stop`), and *leaked* rather than dropped if the
//!   thread-local destructor ever sees it: boa dropped from a TLS destructor
//!   aborts the process (notes §6).
//! - One realm per runtime (1.0 and 2.0 differ in globals), each populated
//!   by `prelude.js` and then deep-frozen by `lockdown.js`.
//! - Each function is compiled once per thread into a factory
//!   `(function (require, __cfedge) { <code>; return handler; })`; every
//!   invocation calls the factory again, which gives the function a fresh
//!   top-level scope. Nothing mutable is shared between invocations.
//! - `eval` and `new Function` are refused by the host hooks (spec §4.2);
//!   `Date` is the invocation's start time (spec §4.1) through a clock that
//!   only moves between invocations.
//! - Runaways: boa's loop-iteration and recursion limits stop JS code that
//!   never yields (uncatchable by the function), and an instruction budget
//!   (boa's `fuzz` counter, see [`INVOCATION_INSTRUCTION_LIMIT`]) bounds all
//!   JS work, including loops and callbacks run from native functions such
//!   as `forEach` or `replace`, which the per-frame loop limit does not see.
//!   These map to `FunctionThrottledError`. An engine that hit a limit or
//!   panicked is retired and rebuilt on the next call. The time budget
//!   itself (compute utilization, throttling of functions that keep
//!   exceeding it) is `cloudfront_functions::budget`'s: the engine reports
//!   each invocation's time.
//!
//! The one thing that cannot be interrupted is a single long native call,
//! chiefly a backtracking regular expression: boa's regex engine (regress)
//! has no interrupt hook and its steps are not VM instructions. Such a call
//! runs to completion on the worker thread and counts as one overrun of the
//! budget (a function that keeps overrunning is throttled). Its inputs are
//! bounded by the request limits (URL ≤ 8 KB, headers ≤ 32 KB);
//! `tests/functions.rs` pins this.
//!
//! Memory: ArrayBuffers (and so `Buffer`s) are capped at CloudFront's 2 MB
//! function memory (spec §4.6) through the host hooks. boa has no heap
//! limit, so strings and arrays are not bounded: a function that builds
//! gigabytes (e.g. doubling a string 35 times) can exhaust the process.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use boa_engine::context::time::JsInstant;
use boa_engine::context::{Clock, ContextBuilder, HostHooks};
use boa_engine::error::EngineError;
use boa_engine::realm::Realm;
use boa_engine::{
    js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue,
    NativeFunction, Script, Source,
};

use super::{
    cf_event, field_map, for_in, natives, nesting, Dialect, EdgeLocation, FunctionCode,
    InvocationReport, InvokeOptions,
};
use crate::cloudfront_functions::event::{Event, EventType};
use crate::cloudfront_functions::kvs::KeyValueStore;
use crate::cloudfront_functions::origin::OriginRequest;
use crate::cloudfront_functions::FunctionError;

/// Loop iterations per call frame before an invocation is stopped (~1 ms of tight loop).
pub const LOOP_ITERATION_LIMIT: u64 = 100_000;
/// Nested calls before an invocation is stopped.
pub const RECURSION_LIMIT: usize = 256;
/// Most VM instructions one invocation may execute (default): a hard bound
/// on any JS work, including loops inside callbacks of native functions
/// (`forEach`, `replace`, `sort`...), which the per-frame loop limit does
/// not see. About 0.2 s of work in a release build.
///
/// boa's instruction counter only counts down over an engine's life and
/// cannot be reset, so the limit is enforced by giving each engine this many
/// instructions and replacing it before an invocation once fewer than a
/// quarter are left: every invocation may run at least a quarter of the
/// limit, and none more than the limit.
pub const INVOCATION_INSTRUCTION_LIMIT: usize = 16_000_000;

thread_local! {
    static INSTRUCTION_LIMIT: Cell<usize> = const { Cell::new(INVOCATION_INSTRUCTION_LIMIT) };
}

/// Set the instruction limit for engines created on this thread from now on
/// (tests use a small one; the default is [`INVOCATION_INSTRUCTION_LIMIT`]).
/// The current engine is replaced at its next invocation.
pub fn set_thread_instruction_limit(limit: usize) {
    INSTRUCTION_LIMIT.with(|l| l.set(limit.max(1000)));
    release_thread_engine();
}

/// Largest ArrayBuffer a function may create: CloudFront's 2 MB function memory (spec §4.6).
pub const MAX_BUFFER_BYTES: u64 = 2 * 1024 * 1024;

/// Per-invocation facts the native helpers read and write.
#[derive(Debug, Default)]
pub struct InvocationState {
    pub logs: Vec<String>,
    log_bytes: usize,
    log_truncated: bool,
    pub kvs: Option<Arc<KeyValueStore>>,
    pub origin: Option<OriginRequest>,
    pub custom_log_data: Option<String>,
    pub edge_location: Option<EdgeLocation>,
    pub raw_query: Option<String>,
    pub viewer_request: bool,
    /// The event's field maps (see [`field_map`]).
    pub maps: field_map::Maps,
    /// The current realm's map accessors and proxy handler.
    pub map_functions: Option<Rc<field_map::MapFunctions>>,
    /// `context.requestId`, for its accessor.
    pub request_id: String,
    /// What the function assigned to `context.requestId`.
    pub request_id_value: Option<JsValue>,
    /// 1.0's byte strings made this invocation (see `natives::n_byte_string`).
    pub byte_strings: natives::ByteStrings,
    /// The function read something besides its event: `Math.random` or
    /// `context.requestId` (the clock is tracked by [`InvocationClock`]).
    pub nondeterministic: bool,
}

impl InvocationState {
    /// Keep a console line, up to 10 KB per invocation (spec §4.2).
    pub fn log(&mut self, line: String) {
        if self.log_truncated {
            return;
        }
        let room = natives::MAX_LOG_BYTES.saturating_sub(self.log_bytes);
        if line.len() <= room {
            self.log_bytes += line.len();
            self.logs.push(line);
        } else {
            let mut end = room;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            self.logs
                .push(format!("{}...(logs truncated at 10 KB)", &line[..end]));
            self.log_bytes = natives::MAX_LOG_BYTES;
            self.log_truncated = true;
        }
    }
}

/// The clock boa reads for `Date`: fixed for the whole invocation.
#[derive(Debug)]
struct InvocationClock {
    epoch: Instant,
    now_ms: Cell<i64>,
    /// `Date` read the wall clock during this invocation (`now()` is boa's
    /// job scheduler's, never the function's).
    read: Cell<bool>,
}

impl Clock for InvocationClock {
    fn now(&self) -> JsInstant {
        let d = self.epoch.elapsed();
        JsInstant::new(d.as_secs(), d.subsec_nanos())
    }

    fn system_time_millis(&self) -> i64 {
        self.read.set(true);
        self.now_ms.get()
    }
}

/// Host hooks: no code from strings (spec §4.2), UTC time zone.
#[derive(Debug)]
struct Hooks;

impl HostHooks for Hooks {
    fn ensure_can_compile_strings(
        &self,
        _realm: Realm,
        _parameters: &[JsString],
        _body: &JsString,
        _direct: bool,
        _context: &mut Context,
    ) -> JsResult<()> {
        Err(JsNativeError::eval()
            .with_message("Code generation from strings is not allowed in CloudFront Functions")
            .into())
    }

    fn local_timezone_offset_seconds(&self, _unix_time_seconds: i64) -> i32 {
        0
    }

    /// spec §4.6: a function has 2 MB of memory; no single buffer may be larger.
    fn max_buffer_size(&self, _context: &mut Context) -> u64 {
        MAX_BUFFER_BYTES
    }
}

/// A locked-down realm for one runtime.
struct RuntimeRealm {
    realm: Realm,
    require: JsObject,
    cf: JsObject,
    raw_query_string: Option<JsObject>,
    /// The iterator of rewritten `for…in` loops (see [`for_in`]).
    for_in: JsObject,
    maps: Rc<field_map::MapFunctions>,
}

/// The per-thread engine.
struct Engine {
    ctx: Context,
    realms: HashMap<Dialect, RuntimeRealm>,
    factories: HashMap<u64, JsObject>,
    state: Rc<RefCell<InvocationState>>,
    clock: Rc<InvocationClock>,
}

/// How one invocation ended inside the engine.
enum Ended {
    Ok(crate::cloudfront_functions::event::Output),
    Failed(FunctionError),
    /// A runtime limit stopped the code: the engine is retired.
    Runaway(String),
}

impl Engine {
    fn new() -> JsResult<Engine> {
        let clock = Rc::new(InvocationClock {
            epoch: Instant::now(),
            now_ms: Cell::new(0),
            read: Cell::new(false),
        });
        let mut ctx = ContextBuilder::new()
            .host_hooks(Rc::new(Hooks))
            .clock(clock.clone())
            .job_executor(Rc::new(super::jobs::PromiseJobs::default()))
            .instructions_remaining(INSTRUCTION_LIMIT.with(Cell::get))
            .build()?;
        let limits = ctx.runtime_limits_mut();
        limits.set_loop_iteration_limit(LOOP_ITERATION_LIMIT);
        limits.set_recursion_limit(RECURSION_LIMIT);
        let state = Rc::new(RefCell::new(InvocationState::default()));
        ctx.insert_data(state.clone());

        Ok(Engine {
            ctx,
            realms: HashMap::new(),
            factories: HashMap::new(),
            state,
            clock,
        })
    }

    /// The realm for `dialect`, built and locked down on first use.
    fn realm(&mut self, dialect: Dialect) -> JsResult<&RuntimeRealm> {
        if !self.realms.contains_key(&dialect) {
            let rt = self.build_realm(dialect)?;
            self.realms.insert(dialect, rt);
        }
        self.realms
            .get(&dialect)
            .ok_or_else(|| JsNativeError::error().with_message("realm missing").into())
    }

    fn build_realm(&mut self, dialect: Dialect) -> JsResult<RuntimeRealm> {
        let realm = self.ctx.create_realm()?;
        let previous = self.ctx.enter_realm(realm.clone());
        let result = (|| -> JsResult<RuntimeRealm> {
            let ctx = &mut self.ctx;
            // Lockdown needs unlimited loops; the limits apply to functions only.
            ctx.runtime_limits_mut().set_loop_iteration_limit(u64::MAX);
            nesting::install(ctx, nesting::CLOUDFRONT)?;
            let helpers = natives::helpers(ctx);
            let prelude = ctx.eval(Source::from_bytes(include_str!("prelude.js")))?;
            let prelude = prelude
                .as_callable()
                .ok_or_else(|| JsNativeError::typ().with_message("prelude is not a function"))?;
            let v2 = dialect == Dialect::CloudFrontJs2;
            let rt = prelude.call(
                &JsValue::undefined(),
                &[helpers.clone().into(), v2.into()],
                ctx,
            )?;
            let rt = rt
                .as_object()
                .ok_or_else(|| JsNativeError::typ().with_message("prelude returned nothing"))?;
            let require = rt
                .get(js_string!("require"), ctx)?
                .as_object()
                .ok_or_else(|| JsNativeError::typ().with_message("no require"))?;
            let cf = rt
                .get(js_string!("cf"), ctx)?
                .as_object()
                .ok_or_else(|| JsNativeError::typ().with_message("no cloudfront module"))?;
            let raw_query_string = v2.then(|| {
                boa_engine::object::FunctionObjectBuilder::new(
                    ctx.realm(),
                    NativeFunction::from_fn_ptr(natives::raw_query_string),
                )
                .name(js_string!("rawQueryString"))
                .length(0)
                .build()
                .into()
            });
            let lockdown = ctx.eval(Source::from_bytes(include_str!("lockdown.js")))?;
            let lockdown = lockdown
                .as_callable()
                .ok_or_else(|| JsNativeError::typ().with_message("lockdown is not a function"))?;
            let maps = field_map::MapFunctions::new(ctx);
            let mut roots = vec![JsValue::from(rt.clone()), helpers.into()];
            roots.extend(maps.roots().map(|f| JsValue::from(f.clone())));
            if let Some(f) = &raw_query_string {
                roots.push(JsValue::from(JsObject::clone(f)));
            }
            let for_in = for_in::iterator_function(ctx);
            roots.push(for_in.clone().into());
            let roots = boa_engine::object::builtins::JsArray::from_iter(roots, ctx);
            let retired = rt.get(js_string!("retired"), ctx)?;
            lockdown.call(&JsValue::undefined(), &[roots.into(), retired], ctx)?;
            ctx.runtime_limits_mut()
                .set_loop_iteration_limit(LOOP_ITERATION_LIMIT);
            Ok(RuntimeRealm {
                realm: realm.clone(),
                require,
                cf,
                raw_query_string,
                for_in,
                maps: Rc::new(maps),
            })
        })();
        self.ctx.enter_realm(previous);
        result
    }

    /// The factory of `code`, compiled on first use in this thread.
    fn factory(&mut self, code: &FunctionCode) -> Result<JsObject, FunctionError> {
        if let Some(f) = self.factories.get(&code.id) {
            return Ok(f.clone());
        }
        let realm = self
            .realm(code.dialect)
            .map_err(|e| FunctionError::Execution(format!("engine start-up failed: {e}")))?
            .realm
            .clone();
        let mut src = String::with_capacity(code.prepared.code.len() + 200);
        src.push_str("(function (require, __cfedge, ");
        src.push_str(super::for_in::ITERATOR);
        src.push_str(") {'use strict';");
        for (binding, module) in &code.prepared.imports {
            if module == "cloudfront" {
                src.push_str(&format!("var {binding} = __cfedge;"));
            } else {
                src.push_str(&format!("var {binding} = require('{module}');"));
            }
        }
        src.push('\n');
        src.push_str(&code.prepared.code);
        src.push_str("\n;return typeof handler === 'function' ? handler : undefined;})");
        let previous = self.ctx.enter_realm(realm.clone());
        let compiled = Script::parse(
            Source::from_bytes(src.as_bytes()),
            Some(realm),
            &mut self.ctx,
        )
        .and_then(|s| s.evaluate(&mut self.ctx));
        self.ctx.enter_realm(previous);
        let f = compiled
            .map_err(|e| FunctionError::Execution(format!("cannot compile {}: {e}", code.name)))?
            .as_object()
            .ok_or_else(|| FunctionError::Execution("factory is not a function".into()))?;
        self.factories.insert(code.id, f.clone());
        Ok(f)
    }

    fn invoke(
        &mut self,
        code: &FunctionCode,
        event: &Event,
        opts: &InvokeOptions,
    ) -> (InvocationReport, bool) {
        let mut report = InvocationReport {
            result: Err(FunctionError::Execution(String::new())),
            logs: Vec::new(),
            elapsed: Duration::ZERO,
            origin: None,
            custom_log_data: None,
            deterministic: false,
        };
        let factory = match self.factory(code) {
            Ok(f) => f,
            Err(e) => {
                report.result = Err(e);
                return (report, false);
            }
        };
        let (realm, require, cf, raw_qs, for_in, lazy) = match self.realms.get(&code.dialect) {
            Some(r) => (
                r.realm.clone(),
                r.require.clone(),
                r.cf.clone(),
                r.raw_query_string.clone(),
                r.for_in.clone(),
                r.maps.clone(),
            ),
            None => {
                report.result = Err(FunctionError::Execution("realm missing".into()));
                return (report, false);
            }
        };
        {
            let mut st = self.state.borrow_mut();
            *st = InvocationState {
                kvs: opts.kvs.clone(),
                edge_location: match event.context.event_type {
                    EventType::ViewerRequest => opts.edge_location.clone(),
                    EventType::ViewerResponse => None,
                },
                raw_query: event.request.raw_query.clone(),
                viewer_request: event.context.event_type == EventType::ViewerRequest,
                maps: field_map::Maps::of(event),
                map_functions: Some(lazy.clone()),
                request_id: event.context.request_id.clone(),
                ..InvocationState::default()
            };
        }
        let now_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.clock.now_ms.set(now_ms);
        self.clock.read.set(false);
        let previous = self.ctx.enter_realm(realm);
        let start = Instant::now();
        let globals = [require.into(), cf.into(), for_in.into()];
        let ended = self.run(&factory, &globals, raw_qs.as_ref(), &lazy, event);
        report.elapsed = start.elapsed();
        self.ctx.enter_realm(previous);
        let mut retire = false;
        report.result = match ended {
            Ended::Ok(out) => Ok(out),
            Ended::Failed(e) => Err(e),
            Ended::Runaway(msg) => {
                retire = true;
                Err(FunctionError::Throttled(msg))
            }
        };
        let mut st = self.state.borrow_mut();
        report.logs = std::mem::take(&mut st.logs);
        report.origin = st.origin.take();
        report.custom_log_data = st.custom_log_data.take();
        report.deterministic = !st.nondeterministic && !self.clock.read.get();
        st.kvs = None;
        st.maps = field_map::Maps::default();
        st.map_functions = None;
        (report, retire)
    }

    fn run(
        &mut self,
        factory: &JsObject,
        globals: &[JsValue; 3],
        raw_qs: Option<&JsObject>,
        lazy: &field_map::MapFunctions,
        event: &Event,
    ) -> Ended {
        let ctx = &mut self.ctx;
        let handler = match factory.call(&JsValue::undefined(), globals, ctx) {
            Ok(h) => h,
            Err(e) => return failure(e, ctx),
        };
        let Some(handler) = handler.as_callable() else {
            return Ended::Failed(FunctionError::Execution(
                "ReferenceError: handler is not defined (the code must declare function handler(event))"
                    .into(),
            ));
        };
        let ev = match cf_event::build(event, raw_qs, lazy, ctx) {
            Ok(e) => e,
            Err(e) => return failure(e, ctx),
        };
        let mut result = match handler.call(&JsValue::undefined(), &[ev.into()], ctx) {
            Ok(v) => v,
            Err(e) => return failure(e, ctx),
        };
        // Settle promises: async handlers (2.0) and kvs reads.
        if let Err(e) = ctx.run_jobs() {
            return failure(e, ctx);
        }
        if let Some(p) = result.as_promise() {
            match p.state() {
                boa_engine::builtins::promise::PromiseState::Fulfilled(v) => result = v,
                boa_engine::builtins::promise::PromiseState::Rejected(e) => {
                    return failure(JsError::from_opaque(e), ctx)
                }
                boa_engine::builtins::promise::PromiseState::Pending => {
                    return Ended::Failed(FunctionError::Execution(
                        "the handler's promise never settled".into(),
                    ))
                }
            }
        }
        let ended = match cf_event::read(&result, event.context.event_type, lazy, ctx) {
            Ok(out) => Ended::Ok(out),
            Err(cf_event::ReadError::Invalid(m)) => Ended::Failed(FunctionError::Validation(m)),
            Err(cf_event::ReadError::Js(e)) => failure(e, ctx),
        };
        // Jobs queued while the result was read (by a getter on it) run now,
        // inside this invocation: they cannot change its result, and must
        // not run, or fail, in the next one.
        let _ = ctx.run_jobs();
        ended
    }
}

/// Map a JS error: runtime limits are runaways, everything else an exception.
fn failure(e: JsError, ctx: &mut Context) -> Ended {
    if let Some(EngineError::RuntimeLimit(l)) = e.as_engine() {
        return Ended::Runaway(format!("the function was stopped: {l}"));
    }
    if e.as_engine().is_some() {
        return Ended::Runaway(format!("the function was stopped: {e}"));
    }
    let msg = match e.clone().into_opaque(ctx).unwrap_or_default() {
        v if v.is_object() => v
            .to_string(ctx)
            .map(|s| super::rust_string(&s))
            .unwrap_or_else(|_| e.to_string()),
        v => match v.to_string(ctx) {
            Ok(s) => format!("Uncaught {}", super::rust_string(&s)),
            Err(_) => e.to_string(),
        },
    };
    Ended::Failed(FunctionError::Execution(msg))
}

/// The thread's engine slot. Its destructor leaks rather than drops a live
/// engine (see the module docs).
struct Slot(Option<Engine>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(engine) = self.0.take() {
            std::mem::forget(engine);
        }
    }
}

thread_local! {
    static ENGINE: RefCell<Slot> = const { RefCell::new(Slot(None)) };
}

/// Drop this thread's engine. Call before a thread that ran functions exits
/// (e.g. tokio's `on_thread_stop`); otherwise the engine is leaked at exit.
pub fn release_thread_engine() {
    let engine = ENGINE.with(|slot| slot.try_borrow_mut().ok().and_then(|mut s| s.0.take()));
    drop(engine);
}

/// Drop an engine and collect its heap now, so that the collection is not
/// paid (and timed) inside a later invocation.
fn retire(engine: Option<Engine>) {
    if engine.is_some() {
        drop(engine);
        boa_gc::force_collect();
    }
}

/// Run one invocation on this thread's engine.
pub fn invoke(code: &FunctionCode, event: &Event, opts: &InvokeOptions) -> InvocationReport {
    let failed = |e: FunctionError| InvocationReport {
        result: Err(e),
        logs: Vec::new(),
        elapsed: Duration::ZERO,
        origin: None,
        custom_log_data: None,
        deterministic: false,
    };
    ENGINE.with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else {
            return failed(FunctionError::Execution(
                "a function cannot be invoked from inside another function".into(),
            ));
        };
        if slot.0.is_none() {
            match catch_unwind(Engine::new) {
                Ok(Ok(e)) => slot.0 = Some(e),
                Ok(Err(e)) => return failed(FunctionError::Execution(format!("engine start-up failed: {e}"))),
                Err(_) => return failed(FunctionError::Execution("engine start-up panicked".into())),
            }
        }
        // An engine whose instruction budget could run out mid-invocation is
        // replaced first, so every invocation gets at least the full limit.
        if slot
            .0
            .as_ref()
            .is_some_and(|e| e.ctx.instructions_remaining() < INSTRUCTION_LIMIT.with(Cell::get) / 4)
        {
            retire(slot.0.take());
            match catch_unwind(Engine::new) {
                Ok(Ok(e)) => slot.0 = Some(e),
                _ => return failed(FunctionError::Execution("engine start-up failed".into())),
            }
        }
        let Some(engine) = slot.0.as_mut() else {
            return failed(FunctionError::Execution("no engine".into()));
        };
        match catch_unwind(AssertUnwindSafe(|| engine.invoke(code, event, opts))) {
            Ok((report, retire_engine)) => {
                if retire_engine {
                    retire(slot.0.take());
                }
                report
            }
            Err(_) => {
                // The engine may be in any state: never reuse it, never run its destructor.
                if let Some(e) = slot.0.take() {
                    std::mem::forget(e);
                }
                tracing::error!(function = %code.name, "the JavaScript engine panicked; engine retired");
                failed(FunctionError::Execution("the JavaScript engine failed".into()))
            }
        }
    })
}
