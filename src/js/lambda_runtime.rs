//! The embedded Lambda@Edge runtime: one boa [`Context`] running a
//! CommonJS-style Node.js handler (`exports.handler = async (event, context) => ...`
//! or the callback style), with the Node.js built-ins edge code commonly
//! requires (`buffer`, `crypto` hashes and HMACs, `querystring`, `url`,
//! `path`, `util`), `console` captured per invocation, and timers driven by
//! the calling thread.
//!
//! A [`LambdaEngine`] is `!Send` (boa contexts are): the Lambda@Edge worker
//! pool (`lambda_edge::embedded`) creates one per worker thread. The module
//! source is compiled once per engine as a factory
//! `(function (require, module, exports, console, ...) { <source> })` and the
//! factory is called again for every invocation, so each invocation gets a
//! fresh top-level scope and fresh `module.exports` (no state leaks through
//! top-level variables; see js-engine-notes §4). Globals an invocation adds
//! (`globalThis.x = ...`, sloppy-mode implicit globals) are removed before
//! the next one; changes to built-in prototypes are not undone (the realm is
//! not frozen, so ordinary code that assigns `this.name` on errors keeps
//! working). ES module syntax (`import ... from`, `export ...`) is rewritten
//! to CommonJS line for line by [`esm_to_commonjs`].
//!
//! Bounds: boa's [`RuntimeLimits`](boa_engine::context::RuntimeLimits) stop
//! tight loops and deep recursion (uncatchable by JS); timers never run past
//! the invocation deadline. The wall-clock timeout itself is enforced by the
//! caller, which abandons a stuck engine (js-engine-notes §5).

use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::builtins::promise::PromiseState;
use boa_engine::job::{Job, PromiseJob};
use boa_engine::object::builtins::{JsArray, JsArrayBuffer, JsPromise, JsUint8Array};
use boa_engine::object::ObjectInitializer;
use boa_engine::property::Attribute;
use boa_engine::{
    js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsSymbol, JsValue,
    NativeFunction, Source,
};
use hmac::{Hmac, Mac};
use sha1::Digest;

use super::json_value as value;
use super::own_data_value;

/// The JavaScript half of the runtime (Buffer, querystring, url, util, ...).
const PRELUDE: &str = include_str!("lambda_prelude.js");

/// Built-in modules compiled on their first `require` in an engine, so that
/// starting an engine (a new worker thread) parses only the core prelude.
/// Each source is a function of the prelude's shared helpers returning the module.
const LAZY_MODULES: &[(&str, &str)] = &[
    ("crypto", include_str!("lambda_crypto.js")),
    ("path", include_str!("lambda_path.js")),
    ("zlib", include_str!("lambda_zlib.js")),
];

/// The parameters the module factory receives: `module`, `exports` and
/// `process` per invocation, the others from the prelude's `scope`.
const FACTORY_PARAMS: &str = "require, module, exports, console, setTimeout, clearTimeout, \
setInterval, clearInterval, setImmediate, Buffer, URL, URLSearchParams, TextEncoder, TextDecoder, \
atob, btoa, process, global, queueMicrotask, __dirname, __filename";

/// Loop iterations per call frame before boa stops the script (uncatchable).
/// About 0.1–1 s of a tight loop: generous for real work, bounded for `while(true){}`.
pub const LOOP_ITERATION_LIMIT: u64 = 100_000_000;
/// Maximum JS call depth.
pub const RECURSION_LIMIT: usize = 1_024;

/// A syntax (or module evaluation) error in a handler source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// 1-based line in the handler file, when boa reports one.
    pub line: Option<usize>,
    /// 1-based column, when boa reports one.
    pub column: Option<usize>,
    pub message: String,
}

impl From<super::source::SourceError> for SourceError {
    fn from(e: super::source::SourceError) -> Self {
        SourceError {
            line: e.line.map(|l| l as usize),
            column: e.column.map(|c| c as usize),
            message: e.message,
        }
    }
}

/// Per-invocation facts exposed to the handler through its `context` object.
#[derive(Debug, Clone)]
pub struct InvokeInfo {
    pub function_name: String,
    pub request_id: String,
}

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineOutcome {
    /// The handler produced a result (`null` when it produced none).
    Result(serde_json::Value),
    /// The handler threw, rejected, called `callback(err)`, or hit a runtime limit.
    Error(String),
    /// A timer was still pending when the deadline passed.
    Timeout,
}

/// One invocation's outcome and the lines it logged.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineInvocation {
    pub outcome: EngineOutcome,
    pub logs: Vec<String>,
}

/// Slots of the per-invocation state array (the prelude's `DONE`, `RESULT`,
/// `ERROR`, `LOGS`, `TIMERS` and `SEQ`). An array because boa creates one
/// without a shape transition per field: half the instructions of the object
/// literal it replaced.
mod slot {
    pub const DONE: u32 = 0;
    pub const RESULT: u32 = 1;
    pub const ERROR: u32 = 2;
    pub const LOGS: u32 = 3;
}

/// The prelude's pieces an invocation is driven with, and the built-ins
/// whose being untouched lets [`Runtime::follow`] skip `then`.
struct Runtime {
    begin: JsObject,
    start: JsObject,
    /// The module factory's arguments, in [`FACTORY_PARAMS`] order, with
    /// `undefined` where `module`, `exports` and `process` go per invocation.
    factory_args: Vec<JsValue>,
    /// Where those three go in `factory_args`.
    per_invocation: [usize; 3],
    follow: JsObject,
    fail: JsObject,
    next_timer: JsObject,
    fire_timer: JsObject,
    reset_globals: JsObject,
    context_proto: JsObject,
    st_key: JsSymbol,
    deadline_key: JsSymbol,
    promise_proto: JsObject,
    promise_ctor: JsObject,
    /// `Promise.prototype.then` and the `Promise[Symbol.species]` getter as
    /// the realm made them.
    then: JsObject,
    species: JsObject,
}

impl Runtime {
    /// Take the pieces out of the prelude's result (before any handler code runs).
    fn new(prelude: &JsValue, ctx: &mut Context) -> JsResult<Self> {
        let bad = || JsNativeError::typ().with_message("bad prelude");
        let p = prelude.as_object().ok_or_else(bad)?;
        let mut object = |name: &'static str| -> JsResult<JsObject> {
            p.get(JsString::from(name), ctx)?
                .as_object()
                .ok_or_else(|| bad().into())
        };
        let (begin, start, scope) = (object("begin")?, object("start")?, object("scope")?);
        let (follow, fail) = (object("follow")?, object("fail")?);
        let (next_timer, fire_timer) = (object("nextTimer")?, object("fireTimer")?);
        let (reset_globals, context_proto) = (object("resetGlobals")?, object("ContextProto")?);
        let mut symbol = |name: &'static str| -> JsResult<JsSymbol> {
            p.get(JsString::from(name), ctx)?
                .as_symbol()
                .ok_or_else(|| bad().into())
        };
        let (st_key, deadline_key) = (symbol("ST")?, symbol("DEADLINE")?);
        let names: Vec<&str> = FACTORY_PARAMS.split(", ").collect();
        let at = |name| names.iter().position(|n| *n == name).ok_or_else(bad);
        let per_invocation = [at("module")?, at("exports")?, at("process")?];
        let factory_args = names
            .iter()
            .map(|&name| match name {
                "module" | "exports" | "process" => Ok(JsValue::undefined()),
                _ => scope.get(JsString::from(name), ctx),
            })
            .collect::<JsResult<Vec<_>>>()?;
        let promise = ctx.intrinsics().constructors().promise();
        let (promise_proto, promise_ctor) = (promise.prototype(), promise.constructor());
        let then = own_data_value(&promise_proto, &js_string!("then").into())
            .and_then(|v| v.as_object())
            .ok_or_else(bad)?;
        let species = promise_ctor
            .borrow()
            .properties()
            .get(&JsSymbol::species().into())
            .and_then(|d| d.get().and_then(JsValue::as_object))
            .ok_or_else(bad)?;
        Ok(Runtime {
            begin,
            start,
            factory_args,
            per_invocation,
            follow,
            fail,
            next_timer,
            fire_timer,
            reset_globals,
            context_proto,
            st_key,
            deadline_key,
            promise_proto,
            promise_ctor,
            then,
            species,
        })
    }

    /// Follow the thenable `r` the handler returned: the first of it and
    /// the handler's callback to settle wins. A native promise that has
    /// already settled (an `async` handler that awaited nothing) whose
    /// `then` and species lookups would find the built-ins gets, instead of
    /// the `then` call (a derived promise and two closures, ~20k
    /// instructions), a job doing what `then`'s reaction would, queued where
    /// that reaction would be. Anything else goes through the prelude's
    /// `follow`, which calls `r.then`.
    fn follow(&self, st: &JsObject, r: &JsObject, ctx: &mut Context) -> JsResult<()> {
        let settled = JsPromise::from_object(r.clone())
            .ok()
            .map(|p| p.state())
            .filter(|s| !matches!(s, PromiseState::Pending));
        let Some(state) = settled.filter(|_| self.then_is_builtin(r)) else {
            let args = [st.clone().into(), r.clone().into()];
            return self
                .follow
                .call(&JsValue::undefined(), &args, ctx)
                .map(drop);
        };
        let st = st.clone();
        let fail = self.fail.clone();
        let job = PromiseJob::new(move |ctx| match state {
            // The prelude's `succeed(st, v === undefined ? null : v)`.
            PromiseState::Fulfilled(v) => {
                if !slot_value(&st, slot::DONE).to_boolean() {
                    let v = if v.is_undefined() { JsValue::null() } else { v };
                    st.set(slot::DONE, true, true, ctx)?;
                    st.set(slot::RESULT, v, true, ctx)?;
                }
                Ok(JsValue::undefined())
            }
            PromiseState::Rejected(e) => fail.call(&JsValue::undefined(), &[st.into(), e], ctx),
            // Not queued: a pending promise goes through `follow`.
            PromiseState::Pending => Ok(JsValue::undefined()),
        });
        ctx.enqueue_job(Job::PromiseJob(job));
        Ok(())
    }

    /// Whether `r.then(...)` would call the built-in `then` and take the
    /// built-in species, with no user code on the way (no getter, no
    /// override on `r`, `Promise.prototype` or `Promise`).
    fn then_is_builtin(&self, r: &JsObject) -> bool {
        let own = |o: &JsObject, key: JsString| o.borrow().properties().get(&key.into());
        let is = |v: Option<JsValue>, o: &JsObject| {
            v.and_then(|v| v.as_object())
                .is_some_and(|v| JsObject::equals(&v, o))
        };
        r.prototype()
            .is_some_and(|p| JsObject::equals(&p, &self.promise_proto))
            && own(r, js_string!("then")).is_none()
            && own(r, js_string!("constructor")).is_none()
            && is(
                own_data_value(&self.promise_proto, &js_string!("then").into()),
                &self.then,
            )
            && is(
                own_data_value(&self.promise_proto, &js_string!("constructor").into()),
                &self.promise_ctor,
            )
            && is(
                self.promise_ctor
                    .borrow()
                    .properties()
                    .get(&JsSymbol::species().into())
                    .and_then(|d| d.get().cloned()),
                &self.species,
            )
    }
}

/// Slot `i` of the state array (`undefined` when missing).
fn slot_value(st: &JsObject, i: u32) -> JsValue {
    own_data_value(st, &i.into()).unwrap_or_default()
}

/// The `context` names derived from the function name.
struct Names {
    function_name: String,
    name: JsString,
    arn: JsString,
    group: JsString,
}

/// A boa context with the runtime installed and one handler compiled.
pub struct LambdaEngine {
    context: Context,
    runtime: Runtime,
    /// Own properties of the global object once the runtime is installed.
    globals: usize,
    /// Whether [`Self::tidy`] has run since the last invocation.
    tidy: bool,
    factory: JsObject,
    handler: JsString,
    /// Cached for the function name last seen (one function per engine).
    names: Option<Names>,
}

impl std::fmt::Debug for LambdaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaEngine").finish_non_exhaustive()
    }
}

impl LambdaEngine {
    /// Build a context, install the runtime and compile `source`; `handler`
    /// is the export to call (`handler` for `index.handler`).
    pub fn new(source: &str, handler: &str) -> Result<Self, SourceError> {
        let mut context = lambda_context()?;
        context
            .runtime_limits_mut()
            .set_loop_iteration_limit(LOOP_ITERATION_LIMIT);
        context
            .runtime_limits_mut()
            .set_recursion_limit(RECURSION_LIMIT);
        let natives = natives(&mut context);
        let runtime = super::nesting::install(&mut context, super::nesting::NODE)
            .and_then(|()| context.eval(Source::from_bytes(PRELUDE)))
            .and_then(|p| call_fn(&p, &[natives.into()], &mut context))
            .and_then(|p| Runtime::new(&p, &mut context))
            .map_err(|e| SourceError {
                line: None,
                column: None,
                message: format!("embedded runtime failed to start: {e}"),
            })?;
        let factory = compile_factory(source, &mut context)?;
        let globals = global_count(&mut context);
        Ok(LambdaEngine {
            context,
            runtime,
            globals,
            tidy: true,
            factory,
            handler: JsString::from(handler),
            names: None,
        })
    }

    /// Change the loop iteration limit (default [`LOOP_ITERATION_LIMIT`]).
    pub fn set_loop_iteration_limit(&mut self, limit: u64) {
        self.context
            .runtime_limits_mut()
            .set_loop_iteration_limit(limit);
    }

    /// Remove the globals the last invocation created (see the module docs),
    /// which [`Self::invoke`] otherwise does first. The worker pool calls this
    /// after sending the answer, off the caller's path: boa lists the global
    /// object's ~100 keys to count them (~5.6k instructions). A failure is
    /// left for the next invocation to meet and report.
    pub fn tidy(&mut self) {
        if !self.tidy {
            self.tidy = reset_globals(&self.runtime, self.globals, &mut self.context).is_ok();
        }
    }

    /// Run the handler on `event`, driving promises and timers until it
    /// settles, the event loop empties (result `null`) or `deadline` passes.
    pub fn invoke(
        &mut self,
        event: &serde_json::Value,
        info: &InvokeInfo,
        deadline: Instant,
    ) -> EngineInvocation {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let deadline_ms = SystemTime::now()
            .checked_add(remaining)
            .unwrap_or_else(SystemTime::now)
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64);
        let names = match self.names.take() {
            Some(n) if n.function_name == info.function_name => n,
            _ => Names::new(&info.function_name),
        };
        let rt = &self.runtime;
        let ctx = &mut self.context;
        let tidy = std::mem::replace(&mut self.tidy, false);
        let state = (|| -> JsResult<JsObject> {
            if !tidy {
                reset_globals(rt, self.globals, ctx)?;
            }
            let event = value::to_js(event, ctx);
            // [done, result, error, logs, timers, seq]
            let st: JsObject = JsArray::from_iter(
                [
                    false.into(),
                    JsValue::undefined(),
                    JsValue::undefined(),
                    JsValue::null(),
                    JsValue::null(),
                    0.into(),
                ],
                ctx,
            )
            .into();
            let context = new_context(rt, &names, &st, info, deadline_ms, ctx);
            let process = rt.begin.call(
                &JsValue::undefined(),
                &[st.clone().into(), names.name.clone().into()],
                ctx,
            )?;
            // `{ exports: {} }`, on shared shapes as a JS literal's.
            let exports = ObjectInitializer::with_native_data(OrdinaryObject, ctx).build();
            let module = ObjectInitializer::with_native_data(OrdinaryObject, ctx)
                .property(js_string!("exports"), exports.clone(), Attribute::all())
                .build();
            let mut args = rt.factory_args.clone();
            let values = [module.clone().into(), exports.into(), process];
            for (&i, v) in rt.per_invocation.iter().zip(values) {
                if let Some(arg) = args.get_mut(i) {
                    *arg = v;
                }
            }
            // As a JS `try` around the call would: a thrown value fails the
            // invocation, a runtime limit (uncatchable) ends it.
            if let Err(e) = self.factory.call(&JsValue::undefined(), &args, ctx) {
                let thrown = e.into_opaque(ctx)?;
                rt.fail
                    .call(&JsValue::undefined(), &[st.clone().into(), thrown], ctx)?;
                return Ok(st);
            }
            let r = rt.start.call(
                &JsValue::undefined(),
                &[
                    module.into(),
                    self.handler.clone().into(),
                    event,
                    st.clone().into(),
                    context.into(),
                    names.name.clone().into(),
                ],
                ctx,
            )?;
            if let Some(r) = r.as_object() {
                rt.follow(&st, &r, ctx)?;
            }
            Ok(st)
        })();
        self.names = Some(names);
        let state = match state {
            Ok(s) => s,
            Err(e) => {
                return EngineInvocation {
                    outcome: EngineOutcome::Error(describe(&e, ctx)),
                    logs: Vec::new(),
                }
            }
        };
        let outcome = drive(rt, &state, ctx, deadline);
        let logs = read_logs(&state, ctx);
        EngineInvocation { outcome, logs }
    }
}

impl Names {
    fn new(function_name: &str) -> Self {
        Names {
            function_name: function_name.to_owned(),
            name: JsString::from(function_name),
            arn: JsString::from(format!(
                "arn:aws:lambda:us-east-1:123456789012:function:{function_name}:1"
            )),
            group: JsString::from(format!("/aws/lambda/us-east-1.{function_name}")),
        }
    }
}

/// The Lambda `context` of one invocation: Node.js's data properties in its
/// order on the prelude's `ContextProto`, the state and deadline under its
/// symbols. Built here rather than as a JS object literal: boa's literal
/// defines each property through the full `[[DefineOwnProperty]]`, about
/// twice the instructions of inserting it.
fn new_context(
    rt: &Runtime,
    names: &Names,
    st: &JsObject,
    info: &InvokeInfo,
    deadline_ms: f64,
    ctx: &mut Context,
) -> JsObject {
    let all = Attribute::all();
    ObjectInitializer::with_native_data_and_proto(OrdinaryObject, rt.context_proto.clone(), ctx)
        .property(js_string!("functionName"), names.name.clone(), all)
        .property(js_string!("functionVersion"), js_string!("1"), all)
        .property(js_string!("invokedFunctionArn"), names.arn.clone(), all)
        .property(js_string!("memoryLimitInMB"), js_string!("128"), all)
        .property(
            js_string!("awsRequestId"),
            JsString::from(info.request_id.as_str()),
            all,
        )
        .property(js_string!("logGroupName"), names.group.clone(), all)
        .property(js_string!("logStreamName"), js_string!("cfedge"), all)
        .property(js_string!("callbackWaitsForEmptyEventLoop"), true, all)
        .property(rt.st_key.clone(), st.clone(), all)
        .property(rt.deadline_key.clone(), deadline_ms, all)
        .build()
}

/// Remove the globals an invocation created, when the global object grew
/// past the `globals` properties the runtime installed.
fn reset_globals(rt: &Runtime, globals: usize, ctx: &mut Context) -> JsResult<()> {
    if global_count(ctx) != globals {
        rt.reset_globals.call(&JsValue::undefined(), &[], ctx)?;
    }
    Ok(())
}

/// How many own properties the global object has (a cheap leak check).
fn global_count(ctx: &mut Context) -> usize {
    let global = ctx.global_object();
    global.own_property_keys(ctx).map_or(0, |k| k.len())
}

/// A context for Lambda@Edge handlers. boa's instruction counter (enabled
/// for CloudFront Functions' hard budget) counts over a context's whole
/// life; Lambda contexts are long-lived and bounded by the wall-clock
/// timeout and loop limits instead, so their counter is set out of reach.
pub(super) fn lambda_context() -> Result<Context, SourceError> {
    boa_engine::context::ContextBuilder::new()
        .instructions_remaining(usize::MAX)
        .host_hooks(Rc::new(LambdaHooks))
        .job_executor(Rc::new(super::jobs::PromiseJobs::default()))
        .build()
        .map_err(|e| SourceError {
            line: None,
            column: None,
            message: format!("embedded runtime failed to start: {e}"),
        })
}

/// `eval` and `new Function` run, as in Node.js, on text nested no deeper
/// than [`super::nesting::MAX_SOURCE_NESTING`].
struct LambdaHooks;

impl boa_engine::context::HostHooks for LambdaHooks {
    fn ensure_can_compile_strings(
        &self,
        _realm: boa_engine::realm::Realm,
        parameters: &[JsString],
        body: &JsString,
        _direct: bool,
        _context: &mut Context,
    ) -> JsResult<()> {
        let depth = parameters
            .iter()
            .chain(std::iter::once(body))
            .map(|s| super::nesting::bracket_depth(s.as_str().iter()))
            .max()
            .unwrap_or(0);
        if depth > super::nesting::MAX_SOURCE_NESTING {
            return Err(JsNativeError::range()
                .with_message("Maximum call stack size exceeded")
                .into());
        }
        Ok(())
    }
}

/// Check that `source` compiles as a handler module (used at config load,
/// so a syntax error is a config error with its line and column).
pub fn check_source(source: &str) -> Result<(), SourceError> {
    let mut context = lambda_context()?;
    compile_factory(source, &mut context).map(|_| ())
}

/// Rewrite the ES module forms Lambda handlers use (`import ... from`,
/// `export const|let|var|function|async function|default|{ ... }`) into
/// CommonJS, line for line, so `index.mjs`-style handlers run in the embedded
/// runtime with their own line numbers (a statement's trailing `;` is
/// optional, its line end is kept). Anything else is left alone.
pub fn esm_to_commonjs(source: &str) -> std::borrow::Cow<'_, str> {
    static PATTERNS: std::sync::OnceLock<Option<[regex::Regex; 7]>> = std::sync::OnceLock::new();
    let Some(p) = PATTERNS.get_or_init(|| {
        let r = |s: &str| regex::Regex::new(s).ok();
        Some([
            // import * as X from 'm'
            r(r#"(?m)^(\s*)import\s+\*\s+as\s+([\w$]+)\s+from\s+(['"][^'"]+['"])[ \t]*;?"#)?,
            // import X, { a, b as c } from 'm'   /   import { a, b as c } from 'm'
            r(r#"(?m)^(\s*)import\s+(?:([\w$]+)\s*,\s*)?\{([^}]*)\}\s*from\s+(['"][^'"]+['"])[ \t]*;?"#)?,
            // import X from 'm'
            r(r#"(?m)^(\s*)import\s+([\w$]+)\s+from\s+(['"][^'"]+['"])[ \t]*;?"#)?,
            // export const|let|var NAME
            r(r"(?m)^(\s*)export\s+(const|let|var)\s+([\w$]+)")?,
            // export [async] function NAME
            r(r"(?m)^(\s*)export\s+((?:async\s+)?function\s*\*?\s*([\w$]+))")?,
            // export default
            r(r"(?m)^(\s*)export\s+default\s+")?,
            // export { a, b as c };
            r(r"(?m)^(\s*)export\s*\{([^}]*)\}[ \t]*;?")?,
        ])
    }) else {
        return std::borrow::Cow::Borrowed(source);
    };
    if !p.iter().any(|re| re.is_match(source)) {
        return std::borrow::Cow::Borrowed(source);
    }
    let named = |list: &str, sep: &str| -> String {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.split_once(" as ") {
                Some((a, b)) => format!("{}{sep}{}", a.trim(), b.trim()),
                None => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut trailer = Vec::new();
    let s = p[0].replace_all(source, "${1}const ${2} = require(${3});");
    let s = p[1].replace_all(&s, |c: &regex::Captures<'_>| {
        let module = &c[4];
        let default = c
            .get(2)
            .map(|d| {
                format!(
                    "const {} = __cfedge_default(require({module})); ",
                    d.as_str()
                )
            })
            .unwrap_or_default();
        format!(
            "{}{default}const {{ {} }} = require({module});",
            &c[1],
            named(&c[3], ": ")
        )
    });
    let s = p[2].replace_all(&s, "${1}const ${2} = __cfedge_default(require(${3}));");
    let s = p[3].replace_all(&s, "${1}${2} ${3} = exports.${3}");
    let s = p[4].replace_all(&s, |c: &regex::Captures<'_>| {
        trailer.push(format!("exports.{0} = {0};", &c[3]));
        format!("{}{}", &c[1], &c[2])
    });
    let s = p[5].replace_all(&s, "${1}module.exports.default = ");
    let s = p[6].replace_all(&s, |c: &regex::Captures<'_>| {
        let pairs: Vec<String> = c[2]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.split_once(" as ") {
                Some((local, exported)) => format!("{}: {}", exported.trim(), local.trim()),
                None => s.to_owned(),
            })
            .collect();
        format!(
            "{}Object.assign(exports, {{ {} }});",
            &c[1],
            pairs.join(", ")
        )
    });
    let mut out = String::from(
        "const __cfedge_default = (m) => (m && m.default !== undefined ? m.default : m); ",
    );
    out.push_str(&s);
    for t in trailer {
        out.push('\n');
        out.push_str(&t);
    }
    std::borrow::Cow::Owned(out)
}

/// The parameters of Node.js's CommonJS module wrapper: the only names a
/// module's own top-level `const`/`let` may not redeclare.
const MODULE_PARAMS: &str = "exports, require, module, __filename, __dirname";

/// Compile the module factory. The module runs in a function of its own
/// with Node.js's module wrapper parameters, inside the factory that takes
/// [`FACTORY_PARAMS`]: so the module may declare `const Buffer` or
/// `const { URL } = require('url')` as in Node.js, where those are globals.
/// The header sits on the first line of the source, so line numbers in
/// errors are the file's own.
fn compile_factory(source: &str, ctx: &mut Context) -> Result<JsObject, SourceError> {
    super::source::check_nesting(source)?;
    let source = esm_to_commonjs(source);
    let header = format!("(function ({FACTORY_PARAMS}) {{ return (function ({MODULE_PARAMS}) {{");
    let wrapped = format!("{header}{source}\n}})({MODULE_PARAMS}); }})");
    // A column on line 1 counts from the end of the header.
    let column = |line: Option<usize>, column: usize| {
        if line == Some(1) {
            column.saturating_sub(header.len()).max(1)
        } else {
            column
        }
    };
    super::source::check_declarations(&wrapped).map_err(|e| {
        let mut error = SourceError::from(e);
        error.column = error.column.map(|c| column(error.line, c));
        error
    })?;
    let value = ctx
        .eval(Source::from_bytes(wrapped.as_bytes()))
        .map_err(|e| {
            let mut error = source_error(&e, ctx);
            error.column = error.column.map(|c| column(error.line, c));
            error
        })?;
    value.as_callable().ok_or_else(|| SourceError {
        line: None,
        column: None,
        message: "the handler source does not compile to a module".into(),
    })
}

/// Turn a boa syntax error into a [`SourceError`], pulling "line X, col Y"
/// out of boa's message.
fn source_error(e: &JsError, ctx: &mut Context) -> SourceError {
    let message = describe(e, ctx);
    let (mut line, mut column) = (None, None);
    if let Some(i) = message.find("line ") {
        let rest = &message[i + 5..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        line = digits.parse::<usize>().ok();
        if let Some(j) = rest.find("col") {
            let rest = rest[j..].trim_start_matches(|c: char| !c.is_ascii_digit());
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            column = digits.parse::<usize>().ok();
        }
    }
    SourceError {
        line,
        column,
        message,
    }
}

/// Drive the job queue and timers until the invocation settles.
fn drive(rt: &Runtime, state: &JsObject, ctx: &mut Context, deadline: Instant) -> EngineOutcome {
    let st: JsValue = state.clone().into();
    loop {
        if let Err(e) = ctx.run_jobs() {
            return EngineOutcome::Error(describe(&e, ctx));
        }
        match settled(state, ctx) {
            Ok(Some(outcome)) => return outcome,
            Ok(None) => {}
            Err(e) => return EngineOutcome::Error(describe(&e, ctx)),
        }
        let next = rt
            .next_timer
            .call(&JsValue::undefined(), std::slice::from_ref(&st), ctx)
            .and_then(|v| v.to_number(ctx));
        let next = match next {
            Ok(n) => n,
            Err(e) => return EngineOutcome::Error(describe(&e, ctx)),
        };
        if next < 0.0 {
            // The event loop is empty and nothing was returned: Node.js
            // Lambda answers `null` (a non-async handler's return value is ignored).
            return EngineOutcome::Result(serde_json::Value::Null);
        }
        let wait = Duration::from_millis(next as u64);
        let now = Instant::now();
        if now + wait >= deadline {
            std::thread::sleep(deadline.saturating_duration_since(now));
            return EngineOutcome::Timeout;
        }
        std::thread::sleep(wait);
        if let Err(e) = rt
            .fire_timer
            .call(&JsValue::undefined(), std::slice::from_ref(&st), ctx)
        {
            return EngineOutcome::Error(describe(&e, ctx));
        }
    }
}

/// The outcome once `done` is set.
fn settled(state: &JsObject, ctx: &mut Context) -> JsResult<Option<EngineOutcome>> {
    if !slot_value(state, slot::DONE).to_boolean() {
        return Ok(None);
    }
    let error = slot_value(state, slot::ERROR);
    if !error.is_undefined() {
        return Ok(Some(EngineOutcome::Error(
            error.to_string(ctx)?.to_std_string_escaped(),
        )));
    }
    let result = slot_value(state, slot::RESULT);
    let mut json = value::from_js(&result, ctx)?.unwrap_or(serde_json::Value::Null);
    whole_numbers_as_integers(&mut json);
    Ok(Some(EngineOutcome::Result(json)))
}

/// Lambda serializes a Node.js result as JSON text, where a whole number is
/// an integer (`8443`, never `8443.0`) however the engine stored it; boa keeps
/// many (`Number('8443')`, `parseInt`, `Math.round`, typed-array reads) as
/// doubles. Rewrite those so `port: Number(p)` reads as CloudFront reads it.
fn whole_numbers_as_integers(v: &mut serde_json::Value) {
    /// Largest integer a double holds exactly (2^53).
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match v {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT) {
                // Exact: |f| <= 2^53. JSON.stringify(-0) is "0".
                let i = f as i64;
                *n = serde_json::Number::from(i);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

fn read_logs(state: &JsObject, ctx: &mut Context) -> Vec<String> {
    match value::from_js(&slot_value(state, slot::LOGS), ctx) {
        Ok(Some(serde_json::Value::Array(a))) => a
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A readable message for an error that escaped JS (including runtime limits).
fn describe(e: &JsError, ctx: &mut Context) -> String {
    if let Some(engine) = e.as_engine() {
        return format!("runtime limit exceeded: {engine}");
    }
    match e.try_native(ctx) {
        Ok(native) => {
            let kind = native.kind().to_string();
            format!("{kind}: {}", native.message())
        }
        Err(_) => e.to_string(),
    }
}

fn call_fn(f: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let f = f
        .as_callable()
        .ok_or_else(|| JsNativeError::typ().with_message("not a function"))?;
    f.call(&JsValue::undefined(), args, ctx)
}

// === natives ===

/// The native helpers the prelude builds `Buffer` and `crypto` on.
fn natives(ctx: &mut Context) -> JsObject {
    type Native = fn(&JsValue, &[JsValue], &mut Context) -> JsResult<JsValue>;
    const NATIVES: &[(Native, &str, usize)] = &[
        (utf8_encode, "utf8Encode", 1),
        (utf8_decode, "utf8Decode", 1),
        (latin1_encode, "latin1Encode", 1),
        (latin1_decode, "latin1Decode", 1),
        (hex_encode, "hexEncode", 1),
        (hex_decode, "hexDecode", 1),
        (base64_encode, "base64Encode", 2),
        (base64_decode, "base64Decode", 1),
        (digest, "digest", 2),
        (hmac, "hmac", 3),
        (rsa_verify, "rsaVerify", 4),
        (random_bytes, "randomBytes", 1),
        (zlib, "zlib", 3),
        (load_module, "loadModule", 2),
    ];
    let mut o = ObjectInitializer::new(ctx);
    for &(f, name, len) in NATIVES {
        o.function(NativeFunction::from_fn_ptr(f), JsString::from(name), len);
    }
    o.build()
}

fn arg_string(args: &[JsValue], i: usize, ctx: &mut Context) -> JsResult<String> {
    Ok(args
        .get(i)
        .cloned()
        .unwrap_or_default()
        .to_string(ctx)?
        .to_std_string_escaped())
}

/// The bytes of a typed array or ArrayBuffer argument.
fn arg_bytes(args: &[JsValue], i: usize, ctx: &mut Context) -> JsResult<Vec<u8>> {
    let not_bytes = || JsNativeError::typ().with_message("expected a Buffer or Uint8Array");
    let obj = args
        .get(i)
        .and_then(JsValue::as_object)
        .ok_or_else(not_bytes)?;
    if let Ok(ab) = JsArrayBuffer::from_object(obj.clone()) {
        return ab.to_vec().ok_or_else(|| not_bytes().into());
    }
    let arr = JsUint8Array::from_object(obj)?;
    let offset = arr.byte_offset(ctx)?;
    let len = arr.byte_length(ctx)?;
    let buffer = arr.buffer(ctx)?.as_object().ok_or_else(not_bytes)?;
    let data = JsArrayBuffer::from_object(buffer)?
        .to_vec()
        .ok_or_else(not_bytes)?;
    data.get(offset..offset + len)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| not_bytes().into())
}

fn bytes_value(bytes: Vec<u8>, ctx: &mut Context) -> JsResult<JsValue> {
    Ok(JsUint8Array::from_iter(bytes, ctx)?.into())
}

fn utf8_encode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let s = args.first().cloned().unwrap_or_default().to_string(ctx)?;
    // Lone surrogates become U+FFFD, as Node.js does.
    let s = String::from_utf16_lossy(&s.to_vec());
    bytes_value(s.into_bytes(), ctx)
}

fn utf8_decode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let b = arg_bytes(args, 0, ctx)?;
    Ok(JsString::from(String::from_utf8_lossy(&b).as_ref()).into())
}

fn latin1_encode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let s = args.first().cloned().unwrap_or_default().to_string(ctx)?;
    let bytes = s.to_vec().into_iter().map(|u| u as u8).collect();
    bytes_value(bytes, ctx)
}

fn latin1_decode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let b = arg_bytes(args, 0, ctx)?;
    let units: Vec<u16> = b.into_iter().map(u16::from).collect();
    Ok(JsString::from(&units[..]).into())
}

fn hex_encode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let b = arg_bytes(args, 0, ctx)?;
    Ok(JsString::from(hex::encode(b).as_str()).into())
}

fn hex_decode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    // Node.js decodes hex up to the first invalid pair.
    let s = arg_string(args, 0, ctx)?;
    let mut out = Vec::with_capacity(s.len() / 2);
    for pair in s.as_bytes().chunks_exact(2) {
        match hex::decode(pair) {
            Ok(b) => out.extend(b),
            Err(_) => break,
        }
    }
    bytes_value(out, ctx)
}

fn base64_encode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let b = arg_bytes(args, 0, ctx)?;
    let url = args.get(1).is_some_and(JsValue::to_boolean);
    let s = if url {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    } else {
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    Ok(JsString::from(s.as_str()).into())
}

/// Node.js-lenient base64: both alphabets, padding optional, other characters skipped.
pub fn lenient_base64_decode(s: &str) -> Vec<u8> {
    let mut clean: Vec<u8> = s
        .bytes()
        .take_while(|&b| b != b'=')
        .filter_map(|b| match b {
            b'-' => Some(b'+'),
            b'_' => Some(b'/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => Some(b),
            _ => None,
        })
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&clean)
        .unwrap_or_default()
}

fn base64_decode(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let s = arg_string(args, 0, ctx)?;
    bytes_value(lenient_base64_decode(&s), ctx)
}

fn hash_bytes<D: Digest>(data: &[u8]) -> Vec<u8> {
    D::digest(data).to_vec()
}

fn hmac_bytes<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    match <M as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// `loadModule(name, lib)`: compile one of [`LAZY_MODULES`] and build it.
fn load_module(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let name = arg_string(args, 0, ctx)?;
    let source = LAZY_MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| JsNativeError::typ().with_message(format!("no built-in module {name}")))?;
    let build = ctx.eval(Source::from_bytes(source))?;
    call_fn(&build, &[args.get(1).cloned().unwrap_or_default()], ctx)
}

/// Largest output a `zlib` call may produce (Lambda@Edge functions have 128 MB).
const ZLIB_MAX_OUTPUT: u64 = 64 << 20;

/// `zlib(op, bytes, level)`: the one-shot compressors and decompressors behind
/// `require('zlib')` (`gzip`, `gunzip`, `deflate`, `inflate`, `deflateRaw`,
/// `inflateRaw`, `unzip`, `brotliCompress`, `brotliDecompress`). `level` is
/// -1 for the default.
fn zlib(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use std::io::{Read, Write};
    let op = arg_string(args, 0, ctx)?;
    let data = arg_bytes(args, 1, ctx)?;
    let level = args.get(2).cloned().unwrap_or_default().to_i32(ctx)?;
    let level = |default: u32, max: u32| {
        u32::try_from(level)
            .ok()
            .filter(|l| *l <= max)
            .unwrap_or(default)
    };
    let deflate_level = flate2::Compression::new(level(6, 9));
    let fail = |e: std::io::Error| -> JsError {
        let msg = match e.kind() {
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
                "incorrect header check".to_owned()
            }
            std::io::ErrorKind::UnexpectedEof => "unexpected end of file".to_owned(),
            _ => e.to_string(),
        };
        JsNativeError::error().with_message(msg).into()
    };
    // Decompression output is bounded (a small bomb must not exhaust memory).
    let inflate = |r: &mut dyn Read| -> JsResult<Vec<u8>> {
        let mut out = Vec::new();
        r.take(ZLIB_MAX_OUTPUT + 1)
            .read_to_end(&mut out)
            .map_err(fail)?;
        if out.len() as u64 > ZLIB_MAX_OUTPUT {
            return Err(JsNativeError::range()
                .with_message("Cannot create a Buffer larger than the output limit (64 MB)")
                .into());
        }
        Ok(out)
    };
    let out = match op.as_str() {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), deflate_level);
            e.write_all(&data).and_then(|()| e.finish()).map_err(fail)?
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), deflate_level);
            e.write_all(&data).and_then(|()| e.finish()).map_err(fail)?
        }
        "deflateRaw" => {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), deflate_level);
            e.write_all(&data).and_then(|()| e.finish()).map_err(fail)?
        }
        "gunzip" if data.len() >= 2 && !data.starts_with(&[0x1f, 0x8b]) => {
            return Err(fail(std::io::ErrorKind::InvalidData.into()))
        }
        "gunzip" => inflate(&mut flate2::read::MultiGzDecoder::new(&data[..]))?,
        "inflate" => inflate(&mut flate2::read::ZlibDecoder::new(&data[..]))?,
        "inflateRaw" => inflate(&mut flate2::read::DeflateDecoder::new(&data[..]))?,
        // `unzip` detects gzip or zlib framing, as Node.js does.
        "unzip" if data.starts_with(&[0x1f, 0x8b]) => {
            inflate(&mut flate2::read::MultiGzDecoder::new(&data[..]))?
        }
        "unzip" => inflate(&mut flate2::read::ZlibDecoder::new(&data[..]))?,
        "brotliCompress" => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, level(11, 11), 22);
                w.write_all(&data).map_err(fail)?;
            }
            out
        }
        "brotliDecompress" => inflate(&mut brotli::Decompressor::new(&data[..], 4096))?,
        _ => {
            return Err(JsNativeError::typ()
                .with_message(format!("unknown zlib operation {op}"))
                .into())
        }
    };
    bytes_value(out, ctx)
}

fn digest(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let alg = arg_string(args, 0, ctx)?;
    let data = arg_bytes(args, 1, ctx)?;
    let out = match alg.as_str() {
        "md5" => hash_bytes::<md5::Md5>(&data),
        "sha1" => hash_bytes::<sha1::Sha1>(&data),
        "sha224" => hash_bytes::<sha2::Sha224>(&data),
        "sha256" => hash_bytes::<sha2::Sha256>(&data),
        "sha384" => hash_bytes::<sha2::Sha384>(&data),
        "sha512" => hash_bytes::<sha2::Sha512>(&data),
        _ => {
            return Err(JsNativeError::error()
                .with_message(format!("Digest method not supported: {alg}"))
                .into())
        }
    };
    bytes_value(out, ctx)
}

fn hmac(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let alg = arg_string(args, 0, ctx)?;
    let key = arg_bytes(args, 1, ctx)?;
    let data = arg_bytes(args, 2, ctx)?;
    let out = match alg.as_str() {
        "md5" => hmac_bytes::<Hmac<md5::Md5>>(&key, &data),
        "sha1" => hmac_bytes::<Hmac<sha1::Sha1>>(&key, &data),
        "sha224" => hmac_bytes::<Hmac<sha2::Sha224>>(&key, &data),
        "sha256" => hmac_bytes::<Hmac<sha2::Sha256>>(&key, &data),
        "sha384" => hmac_bytes::<Hmac<sha2::Sha384>>(&key, &data),
        "sha512" => hmac_bytes::<Hmac<sha2::Sha512>>(&key, &data),
        _ => {
            return Err(JsNativeError::error()
                .with_message(format!("Invalid digest: {alg}"))
                .into())
        }
    };
    bytes_value(out, ctx)
}

/// `rsaVerify(alg, pem, data, signature)`: RSASSA-PKCS1-v1_5 with an SPKI
/// (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM key.
fn rsa_verify(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let alg = arg_string(args, 0, ctx)?;
    let pem = arg_string(args, 1, ctx)?;
    let data = arg_bytes(args, 2, ctx)?;
    let sig = arg_bytes(args, 3, ctx)?;
    let key = rsa::RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .map_err(|_| {
            JsNativeError::error()
                .with_message("unsupported key: expected an RSA public key in PEM form")
        })?;
    let Ok(sig) = rsa::pkcs1v15::Signature::try_from(sig.as_slice()) else {
        return Ok(false.into());
    };
    fn check<D>(key: rsa::RsaPublicKey, data: &[u8], sig: &rsa::pkcs1v15::Signature) -> bool
    where
        D: Digest + rsa::pkcs8::AssociatedOid,
    {
        rsa::pkcs1v15::VerifyingKey::<D>::new(key)
            .verify(data, sig)
            .is_ok()
    }
    let ok = match alg.as_str() {
        "sha1" => check::<sha1::Sha1>(key, &data, &sig),
        "sha224" => check::<sha2::Sha224>(key, &data, &sig),
        "sha256" => check::<sha2::Sha256>(key, &data, &sig),
        "sha384" => check::<sha2::Sha384>(key, &data, &sig),
        "sha512" => check::<sha2::Sha512>(key, &data, &sig),
        _ => {
            return Err(JsNativeError::error()
                .with_message(format!("Invalid digest: {alg}"))
                .into())
        }
    };
    Ok(ok.into())
}

fn random_bytes(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let n = args.first().cloned().unwrap_or_default().to_u32(ctx)? as usize;
    if n > 65_536 {
        return Err(JsNativeError::range()
            .with_message("randomBytes: size too large")
            .into());
    }
    let mut out = vec![0u8; n];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut out);
    bytes_value(out, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(src: &str, event: serde_json::Value) -> EngineInvocation {
        let mut e = LambdaEngine::new(src, "handler").unwrap();
        let info = InvokeInfo {
            function_name: "f".into(),
            request_id: "r1".into(),
        };
        e.invoke(&event, &info, Instant::now() + Duration::from_secs(5))
    }

    /// One more invocation of `e` on `{}`.
    fn call(e: &mut LambdaEngine) -> EngineInvocation {
        let info = InvokeInfo {
            function_name: "f".into(),
            request_id: "r".into(),
        };
        e.invoke(&json!({}), &info, Instant::now() + Duration::from_secs(1))
    }

    fn result(src: &str) -> serde_json::Value {
        match run(src, json!({})).outcome {
            EngineOutcome::Result(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn async_handler_result() {
        let r = run(
            "exports.handler = async (event) => ({ uri: event.uri + '!' });",
            json!({"uri": "/a"}),
        );
        assert_eq!(r.outcome, EngineOutcome::Result(json!({"uri": "/a!"})));
    }

    #[test]
    fn callback_and_module_exports_styles() {
        assert_eq!(
            result("module.exports.handler = (e, c, cb) => { cb(null, {ok: 1}); };"),
            json!({"ok": 1})
        );
        assert_eq!(
            result("module.exports = { handler(e, c, cb) { setTimeout(() => cb(null, 'late'), 5); } };"),
            json!("late")
        );
    }

    #[test]
    fn sync_return_without_callback_is_null_as_in_node() {
        assert_eq!(
            result("exports.handler = () => ({ a: 1 });"),
            serde_json::Value::Null
        );
    }

    #[test]
    fn errors_of_every_style() {
        for src in [
            "exports.handler = () => { throw new TypeError('boom'); };",
            "exports.handler = async () => { throw new TypeError('boom'); };",
            "exports.handler = (e, c, cb) => cb(new TypeError('boom'));",
            "exports.handler = () => Promise.reject(new TypeError('boom'));",
        ] {
            match run(src, json!({})).outcome {
                EngineOutcome::Error(m) => assert_eq!(m, "TypeError: boom", "{src}"),
                other => panic!("{src}: {other:?}"),
            }
        }
    }

    /// The first of `callback` and the returned promise to settle wins, in
    /// job-queue order: the promise's reaction is queued when the handler
    /// returns, after the jobs the handler queued itself.
    #[test]
    fn callback_and_returned_promise_settle_in_job_order() {
        for (src, expected) in [
            (
                "exports.handler = async (e, c, cb) => { cb(null, 'cb'); return 'ret'; };",
                "cb",
            ),
            (
                "exports.handler = async (e, c, cb) => { Promise.resolve().then(() => cb(null, 'cb')); return 'ret'; };",
                "cb",
            ),
            (
                "exports.handler = (e, c, cb) => { Promise.resolve().then(() => 0).then(() => cb(null, 'cb')); return Promise.resolve('ret'); };",
                "ret",
            ),
            (
                "exports.handler = async (e, c, cb) => { await null; Promise.resolve().then(() => cb(null, 'cb')); return 'ret'; };",
                "cb",
            ),
            (
                "exports.handler = async (e, c, cb) => { await null; Promise.resolve().then(() => 0).then(() => cb(null, 'cb')); return 'ret'; };",
                "ret",
            ),
            (
                "exports.handler = async (e, c, cb) => { await null; cb(null, 'cb'); return 'ret'; };",
                "cb",
            ),
            (
                "exports.handler = (e, c, cb) => { Promise.resolve().then(() => cb(null, 'cb')); return Promise.reject(new Error('no')); };",
                "cb",
            ),
        ] {
            assert_eq!(result(src), json!(expected), "{src}");
        }
    }

    /// The returned promise is followed through its observable `then` (and
    /// the species lookup `then` makes), as Node.js's runtime does.
    #[test]
    fn the_returned_promise_is_followed_through_its_then() {
        assert_eq!(
            result(
                "const then = Promise.prototype.then; \
                 Promise.prototype.then = function (f, r) { return then.call(this, (v) => f(v + '!'), r); }; \
                 exports.handler = async () => 'x';"
            ),
            json!("x!")
        );
        assert_eq!(
            result(
                "exports.handler = () => { const p = Promise.resolve('a'); p.then = (f) => f('own'); return p; };"
            ),
            json!("own")
        );
        assert_eq!(
            result(
                "class P extends Promise { then(f, r) { return super.then((v) => f(v + '?'), r); } } \
                 exports.handler = () => P.resolve('s');"
            ),
            json!("s?")
        );
        let r = run(
            "Object.defineProperty(Promise, Symbol.species, { configurable: true, get() { console.log('species'); return Promise; } }); \
             exports.handler = async () => 1;",
            json!({}),
        );
        assert_eq!(r.outcome, EngineOutcome::Result(json!(1)));
        assert_eq!(r.logs, ["INFO\tspecies"]);
        let r = run(
            "Object.defineProperty(Promise.prototype, 'constructor', { configurable: true, get() { console.log('ctor'); return Promise; } }); \
             exports.handler = async () => 2;",
            json!({}),
        );
        assert_eq!(r.outcome, EngineOutcome::Result(json!(2)));
        assert_eq!(r.logs, ["INFO\tctor"]);
    }

    /// An `async` handler's promise takes the job path of `Runtime::follow`
    /// until user code touches what `then` would look up.
    #[test]
    fn only_untouched_promises_skip_then() {
        let mut e = LambdaEngine::new("exports.handler = async () => 1;", "handler").unwrap();
        let mut promise = |src: &str| {
            let v = e.context.eval(Source::from_bytes(src)).unwrap();
            let r = v.as_object().unwrap();
            e.runtime.then_is_builtin(&r)
        };
        assert!(promise("(async () => 1)()"));
        assert!(promise("Promise.reject(new Error('x'))"));
        assert!(!promise(
            "(() => { const p = Promise.resolve(1); p.then = () => {}; return p; })()"
        ));
        assert!(!promise("class P extends Promise {}; P.resolve(1)"));
        assert!(!promise(
            "Object.defineProperty(Promise, Symbol.species, { get() { return Promise; } }); Promise.resolve(1)"
        ));
        let mut e = LambdaEngine::new("exports.handler = async () => 1;", "handler").unwrap();
        let v = e
            .context
            .eval(Source::from_bytes(
                "Promise.prototype.then = function () {}; Promise.resolve(1)",
            ))
            .unwrap();
        assert!(!e.runtime.then_is_builtin(&v.as_object().unwrap()));
    }

    /// The module's top level runs in each invocation, as that invocation:
    /// its logs and its exceptions are the invocation's.
    #[test]
    fn the_module_top_level_belongs_to_each_invocation() {
        let mut e = LambdaEngine::new(
            "console.log('loading', typeof module, typeof exports, typeof process, global === globalThis); \
             exports.handler = async () => 1;",
            "handler",
        )
        .unwrap();
        for _ in 0..2 {
            let r = call(&mut e);
            assert_eq!(r.outcome, EngineOutcome::Result(json!(1)));
            assert_eq!(r.logs, ["INFO\tloading object object object true"]);
        }
        match run("throw new RangeError('at load');", json!({})).outcome {
            EngineOutcome::Error(m) => assert_eq!(m, "RangeError: at load"),
            other => panic!("{other:?}"),
        }
        match run("throw 'plain';", json!({})).outcome {
            EngineOutcome::Error(m) => assert_eq!(m, "plain"),
            other => panic!("{other:?}"),
        }
    }

    /// Jobs other than promise jobs still run (`import()` settles through an
    /// async job).
    #[test]
    fn non_promise_jobs_run() {
        assert_eq!(
            result(
                "exports.handler = async () => { try { await import('fs'); return 'loaded'; } catch (e) { return 'rejected'; } };"
            ),
            json!("rejected")
        );
    }

    #[test]
    fn missing_handler_is_an_error() {
        match run("exports.other = () => 1;", json!({})).outcome {
            EngineOutcome::Error(m) => assert!(m.contains("HandlerNotFound"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    /// In the handler or at the module's top level, where a `try` cannot
    /// catch it either.
    #[test]
    fn runaway_loop_is_stopped_by_runtime_limits() {
        for src in [
            "exports.handler = () => { while (true) {} };",
            "try { while (true) {} } catch (e) {} exports.handler = () => 1;",
        ] {
            let mut e = LambdaEngine::new(src, "handler").unwrap();
            e.set_loop_iteration_limit(1_000_000);
            let info = InvokeInfo {
                function_name: "f".into(),
                request_id: "r".into(),
            };
            match e
                .invoke(&json!({}), &info, Instant::now() + Duration::from_secs(60))
                .outcome
            {
                EngineOutcome::Error(m) => assert!(m.contains("runtime limit"), "{src}: {m}"),
                other => panic!("{src}: {other:?}"),
            }
        }
    }

    #[test]
    fn timers_past_the_deadline_time_out() {
        let mut e = LambdaEngine::new(
            "exports.handler = (e, c, cb) => { setTimeout(() => cb(null, 1), 10000); };",
            "handler",
        )
        .unwrap();
        let info = InvokeInfo {
            function_name: "f".into(),
            request_id: "r".into(),
        };
        let r = e.invoke(
            &json!({}),
            &info,
            Instant::now() + Duration::from_millis(20),
        );
        assert_eq!(r.outcome, EngineOutcome::Timeout);
    }

    #[test]
    fn top_level_state_does_not_leak_between_invocations() {
        let mut e = LambdaEngine::new(
            "let n = 0; exports.handler = async () => { n += 1; return n; };",
            "handler",
        )
        .unwrap();
        for _ in 0..3 {
            let r = call(&mut e);
            assert_eq!(r.outcome, EngineOutcome::Result(json!(1)));
        }
    }

    #[test]
    fn globals_do_not_leak_between_invocations() {
        let mut e = LambdaEngine::new(
            "exports.handler = async () => { globalThis.n = (globalThis.n || 0) + 1; leaked = (typeof leaked === 'undefined' ? 0 : leaked) + 1; return [globalThis.n, leaked]; };",
            "handler",
        )
        .unwrap();
        for _ in 0..3 {
            let r = call(&mut e);
            assert_eq!(r.outcome, EngineOutcome::Result(json!([1, 1])));
        }
    }

    /// `tidy` removes the last invocation's globals (the pool calls it
    /// between invocations, and `invoke` then skips its own check).
    #[test]
    fn tidy_removes_leaked_globals() {
        let mut e = LambdaEngine::new(
            "exports.handler = async () => { const seen = typeof leaked; globalThis.leaked = 1; return seen; };",
            "handler",
        )
        .unwrap();
        for _ in 0..3 {
            let r = call(&mut e);
            assert_eq!(r.outcome, EngineOutcome::Result(json!("undefined")));
            e.tidy();
            e.tidy();
        }
    }

    #[test]
    fn console_is_captured() {
        let r = run(
            "exports.handler = async () => { console.log('a %s', 'b', {c: 1}); console.error(new Error('x')); return 1; };",
            json!({}),
        );
        assert_eq!(r.logs[0], "INFO\ta b {\"c\":1}");
        assert!(r.logs[1].starts_with("ERROR\t"), "{:?}", r.logs);
    }

    #[test]
    fn context_object() {
        assert_eq!(
            result("exports.handler = async (e, ctx) => [ctx.functionName, ctx.awsRequestId, ctx.getRemainingTimeInMillis() > 1000];"),
            json!(["f", "r1", true])
        );
    }

    #[test]
    fn context_methods_and_own_properties() {
        assert_eq!(
            result("exports.handler = (e, ctx) => { ctx.succeed('s'); };"),
            json!("s")
        );
        assert_eq!(
            result("exports.handler = (e, ctx) => { ctx.done(null, 'd'); };"),
            json!("d")
        );
        match run(
            "exports.handler = (e, ctx) => { ctx.fail(new Error('f')); };",
            json!({}),
        )
        .outcome
        {
            EngineOutcome::Error(m) => assert_eq!(m, "Error: f"),
            other => panic!("{other:?}"),
        }
        // Node.js's data properties, in its order; nothing internal serialized.
        assert_eq!(
            result("exports.handler = async (e, ctx) => [Object.keys(ctx), Object.keys(JSON.parse(JSON.stringify(ctx))).length, ctx.invokedFunctionArn, ctx.logGroupName];"),
            json!([
                ["functionName", "functionVersion", "invokedFunctionArn", "memoryLimitInMB", "awsRequestId", "logGroupName", "logStreamName", "callbackWaitsForEmptyEventLoop"],
                8,
                "arn:aws:lambda:us-east-1:123456789012:function:f:1",
                "/aws/lambda/us-east-1.f"
            ])
        );
    }

    #[test]
    fn timers_can_be_cleared_and_repeat() {
        assert_eq!(
            result(
                r#"exports.handler = (e, c, cb) => {
                const seen = [];
                const t = setTimeout(() => seen.push('cleared'), 1);
                clearTimeout(t);
                let n = 0;
                const i = setInterval(() => { seen.push(++n); if (n === 3) { clearInterval(i); cb(null, seen); } }, 1);
            };"#
            ),
            json!([1, 2, 3])
        );
    }

    #[test]
    fn crypto_hashes_and_hmacs_match_node() {
        assert_eq!(
            result(
                r#"const c = require('crypto'); exports.handler = async () => [
                c.createHash('md5').update('abc').digest('hex'),
                c.createHash('sha1').update('abc').digest('hex'),
                c.createHash('sha256').update('a').update('bc').digest('base64'),
                c.createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex'),
                require('node:crypto').createHash('sha256').update(Buffer.from('abc')).digest().length,
            ];"#
            ),
            json!([
                "900150983cd24fb0d6963f7d28e17f72",
                "a9993e364706816aba3e25717850c26c9cd0d89d",
                "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
                "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
                32
            ])
        );
    }

    #[test]
    fn rs256_signatures_verify_with_node_crypto_api() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/functions/lambda-jwt-rs256");
        let pem = std::fs::read_to_string(format!("{dir}/public-key.pem")).unwrap();
        let tokens: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/tokens.json")).unwrap())
                .unwrap();
        let src = format!(
            r#"const crypto = require('crypto');
            const PEM = {pem};
            const check = (t) => {{ const [h, p, s] = t.split('.');
                return [crypto.verify('RSA-SHA256', Buffer.from(h + '.' + p), crypto.createPublicKey(PEM), Buffer.from(s, 'base64url')),
                        crypto.createVerify('RSA-SHA256').update(h + '.' + p).verify(PEM, s, 'base64url')]; }};
            exports.handler = async () => [check({valid}), check({bad})];"#,
            pem = serde_json::to_string(&pem).unwrap(),
            valid = tokens["valid"],
            bad = tokens["bad"],
        );
        assert_eq!(result(&src), json!([[true, true], [false, false]]));
    }

    #[test]
    fn buffer_basics() {
        assert_eq!(
            result(
                r#"exports.handler = async () => [
                Buffer.from('héllo').toString('base64'),
                Buffer.from('aGVsbG8gd29ybGQ', 'base64').toString(),
                Buffer.from('eyJhIjoxfQ', 'base64url').toString('utf8'),
                String(Buffer.from('ff00', 'hex')[0]),
                Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString(),
                Buffer.from('abc').slice(1).toString(),
                Buffer.isBuffer(Buffer.alloc(2)),
                Buffer.byteLength('é'),
                Buffer.from([104, 105]).toString('latin1'),
                atob(btoa('hi')),
                new TextDecoder().decode(new TextEncoder().encode('ok')),
            ];"#
            ),
            json!([
                "aMOpbGxv",
                "hello world",
                "{\"a\":1}",
                "255",
                "ab",
                "bc",
                true,
                2,
                "hi",
                "hi",
                "ok"
            ])
        );
    }

    #[test]
    fn querystring_and_url() {
        assert_eq!(
            result(
                r#"const qs = require('querystring'); const url = require('url');
            exports.handler = async () => {
                const p = qs.parse('a=1&b=x%20y&a=2&c');
                const u = new URL('https://Example.com:443/a/../b?x=1&y=2#h');
                u.searchParams.set('x', '3');
                const s = new URLSearchParams({ q: 'a b', r: '&' });
                const legacy = url.parse('/path/to?k=v', true);
                return [p.a, p.b, p.c, qs.stringify({ z: ['1', '2'], w: 'a b' }),
                        u.href, u.host, u.pathname, s.toString(), s.get('r'),
                        legacy.pathname, legacy.query.k];
            };"#
            ),
            json!([
                ["1", "2"],
                "x y",
                "",
                "z=1&z=2&w=a%20b",
                "https://example.com/b?x=3&y=2#h",
                "example.com",
                "/b",
                "q=a+b&r=%26",
                "&",
                "/path/to",
                "v"
            ])
        );
    }

    #[test]
    fn annex_b_string_and_date_methods_exist_as_in_node() {
        // Legacy (ECMAScript Annex B) built-ins that Node.js has and edge code uses.
        assert_eq!(
            result(
                r#"exports.handler = async () => [
                '/docs/'.substr(-1), 'abcdef'.substr(2, 3), '  x '.trimLeft(), ' x  '.trimRight(),
                escape('a b/ü'), unescape('%u00FC%20'), new Date(0).toGMTString()];"#
            ),
            json!([
                "/",
                "cde",
                "x ",
                " x",
                "a%20b/%FC",
                "ü ",
                "Thu, 01 Jan 1970 00:00:00 GMT"
            ])
        );
    }

    #[test]
    fn buffer_legacy_constructor_forms_work_as_in_node() {
        // `new Buffer(x)` and `Buffer(x)` are deprecated in Node.js but still run.
        assert_eq!(
            result(
                r#"exports.handler = async () => [
                new Buffer('user:pw').toString('base64'), Buffer('user:pw').toString('hex'),
                new Buffer(3).length, Buffer([1, 2]).length, new Buffer('aGk=', 'base64').toString(),
                new Buffer('x') instanceof Buffer, Buffer.from('x') instanceof Uint8Array,
                Buffer.from('abc').map((b) => b + 1) instanceof Buffer];"#
            ),
            json!([
                "dXNlcjpwdw==",
                "757365723a7077",
                3,
                2,
                "hi",
                true,
                true,
                true
            ])
        );
    }

    #[test]
    fn buffer_reads_writes_searches_and_encodings_match_node() {
        assert_eq!(
            result(
                r#"exports.handler = async () => {
                const b = Buffer.alloc(8);
                b.writeUInt16LE(0x0102, 0); b.writeInt32BE(-2, 2); b.writeUInt8(255, 6);
                const h = Buffer.from('hello world');
                const ab = new ArrayBuffer(4); const shared = Buffer.from(ab, 1, 2); shared[0] = 7;
                const c = Buffer.alloc(5, 'ab'); const t = Buffer.alloc(3); h.copy(t, 0, 6);
                return [b.toString('hex'), b.readUInt16LE(0), b.readInt32BE(2), b.readUint8(6),
                        Buffer.from([0, 1]).readUInt16BE(0), Buffer.from([1, 0, 0, 0]).readUInt32LE(0),
                        h.indexOf('o'), h.lastIndexOf('o'), h.includes('wor'), h.indexOf(Buffer.from('xyz')),
                        h.indexOf(111, 5), new Uint8Array(ab)[1], c.toString(), t.toString(),
                        Buffer.from('hé', 'utf16le').toString('hex'), Buffer.from('6800e900', 'hex').toString('ucs2'),
                        Buffer.from([0xe9]).toString('ascii'), h.toString('utf8', 0, 5),
                        Buffer.from(new Uint16Array([256, 1])).toString('hex'),
                        (() => { try { b.readUInt32BE(6); return 'no error'; } catch (e) { return e.name; } })()];
            };"#
            ),
            json!([
                "0201fffffffeff00",
                258,
                -2,
                255,
                1,
                1,
                4,
                7,
                true,
                -1,
                7,
                7,
                "ababa",
                "wor",
                "6800e900",
                "hé",
                "i",
                "hello",
                "0001",
                "RangeError"
            ])
        );
    }

    #[test]
    fn path_parse_format_resolve_and_relative_match_node() {
        assert_eq!(
            result(
                r#"const path = require('path');
                exports.handler = async () => [
                path.parse('/blog/post.html'), path.parse('/docs/guide/'), path.parse('/'),
                path.format({ dir: '/a', base: 'b.txt' }), path.format({ root: '/', name: 'x', ext: '.js' }),
                path.resolve('/a/b', '../c', 'd/'), path.resolve('/x', '/y', 'z'), path.relative('/a/b/c', '/a/d'),
                path.join('/docs', 'guide', 'index.html'), path.dirname('/a/b/'), path.normalize('/a//b/../c/'),
                path.posix.basename('/a/b.js', '.js')];"#
            ),
            json!([
                {"root": "/", "dir": "/blog", "base": "post.html", "ext": ".html", "name": "post"},
                {"root": "/", "dir": "/docs", "base": "guide", "ext": "", "name": "guide"},
                {"root": "/", "dir": "/", "base": "", "ext": "", "name": ""},
                "/a/b.txt",
                "/x.js",
                "/a/c/d",
                "/y/z",
                "../../d",
                "/docs/guide/index.html",
                "/a",
                "/a/c/",
                "b"
            ])
        );
    }

    #[test]
    fn zlib_compresses_and_reads_node_output() {
        // Inputs made by Node.js's / Python's zlib; outputs are read back here.
        let r = result(
            r#"const zlib = require('zlib'); const util = require('util');
            exports.handler = async () => {
                const gz = zlib.gzipSync('<p>hi</p>');
                const viaCallback = await util.promisify(zlib.gunzip)(gz);
                let bad; try { zlib.gunzipSync(Buffer.from('not gzip')); } catch (e) { bad = e.code; }
                return [gz.toString('base64'), viaCallback.toString(),
                  zlib.gunzipSync(Buffer.from('H4sIAAAAAAACA0tNSU9VSMpPqVRIHdIsAERlg8jIAAAA', 'base64')).toString().length,
                  zlib.inflateSync(Buffer.from('eJyryslMUkgrSsxNTQEAGbkEQQ==', 'base64')).toString(),
                  zlib.unzipSync(Buffer.from('eJyryslMUkgrSsxNTQEAGbkEQQ==', 'base64')).toString(),
                  zlib.inflateRawSync(Buffer.from('K0osBwA=', 'base64')).toString(),
                  zlib.brotliDecompressSync(Buffer.from('iwKAYnJvdGxpAw==', 'base64')).toString(),
                  zlib.inflateSync(zlib.deflateSync('round trip', { level: 9 })).toString(),
                  zlib.brotliDecompressSync(zlib.brotliCompressSync('br')).toString(), bad];
            };"#,
        );
        let gz = base64::engine::general_purpose::STANDARD
            .decode(r[0].as_str().unwrap())
            .unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
            .unwrap();
        assert_eq!(text, "<p>hi</p>");
        assert_eq!(
            r.as_array().unwrap()[1..],
            json!([
                "<p>hi</p>",
                200,
                "zlib framed",
                "zlib framed",
                "raw",
                "brotli",
                "round trip",
                "br",
                "Z_DATA_ERROR"
            ])
            .as_array()
            .unwrap()[..]
        );
    }

    #[test]
    fn node_globals_edge_code_reaches_for() {
        let r = run(
            r#"const util = require('util');
            function Base() {} Base.prototype.hi = function () { return 'hi'; };
            function Child() {} util.inherits(Child, Base);
            exports.handler = async () => {
                let micro = false; queueMicrotask(() => { micro = true; });
                await null;
                console.time('t'); console.timeEnd('t'); console.dir({ a: 1 });
                const t = process.hrtime(); const d = process.hrtime(t);
                return [global === globalThis, micro, new Child().hi(), Child.super_ === Base,
                        Array.isArray(t) && t.length === 2, d[0] >= 0, typeof process.hrtime.bigint(),
                        typeof process.uptime(), typeof new util.TextEncoder().encode, util.types.isDate(new Date())];
            };"#,
            json!({}),
        );
        assert_eq!(
            r.outcome,
            EngineOutcome::Result(json!([
                true, true, "hi", true, true, true, "bigint", "number", "function", true
            ]))
        );
        assert!(
            r.logs.iter().any(|l| l.starts_with("INFO\tt: ")),
            "{:?}",
            r.logs
        );
        assert!(
            r.logs.contains(&"INFO\t{\"a\":1}".to_owned()),
            "{:?}",
            r.logs
        );
    }

    #[test]
    fn whole_numbers_are_read_as_node_serializes_them() {
        // JSON.stringify in Node.js prints 8443, not 8443.0, whatever the number's origin.
        let r = result(
            "exports.handler = async () => ({ a: Number('8443'), b: parseInt('30', 10), \
             c: Math.round(4.6), d: 1.5, e: -0, f: [2 ** 60, 7 / 1] });",
        );
        assert_eq!(
            r.to_string(),
            r#"{"a":8443,"b":30,"c":5,"d":1.5,"e":0,"f":[1.152921504606847e+18,7]}"#
        );
    }

    #[test]
    fn unknown_module_is_a_clear_error() {
        match run(
            "const fs = require('fs'); exports.handler = async () => 1;",
            json!({}),
        )
        .outcome
        {
            EngineOutcome::Error(m) => assert!(m.contains("Cannot find module 'fs'"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn es_module_handlers_run() {
        for src in [
            "import crypto from 'crypto';\nexport const handler = async (e) => crypto.createHash('md5').update('abc').digest('hex');",
            "import { createHash as h } from 'node:crypto';\nexport async function handler(e) { return h('md5').update('abc').digest('hex'); }",
            "import * as c from 'crypto';\nconst handler = async () => c.createHash('md5').update('abc').digest('hex');\nexport { handler };",
            "import * as c from \"crypto\"\nimport { createHash } from 'crypto'\nexport const handler = async () => createHash('md5').update('abc').digest('hex')\nexport { c }",
            "import qs from 'querystring';\nexport default { handler: async () => require('crypto').createHash('md5').update('abc').digest('hex') };",
        ] {
            match run(src, json!({})).outcome {
                EngineOutcome::Result(v) => assert_eq!(v, json!("900150983cd24fb0d6963f7d28e17f72"), "{src}"),
                other => panic!("{src}: {other:?}"),
            }
        }
    }

    #[test]
    fn syntax_errors_carry_the_file_line() {
        let e = check_source("exports.handler = async () => {\n  return 1 +;\n};").unwrap_err();
        assert_eq!(e.line, Some(2), "{e:?}");
        // A name declared twice in a function body, which boa's parser lets through.
        let e = check_source(
            "exports.handler = async (event) => {\n  const r = 1;\n  const r = 2;\n  return r;\n};",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (Some(3), Some(3)), "{e:?}");
        assert!(e.message.contains("'r' has already been declared"), "{e:?}");
        let e =
            check_source("const a = 1;\nlet a = 2;\nexports.handler = async () => a;").unwrap_err();
        assert_eq!(e.line, Some(2), "{e:?}");
    }
}
