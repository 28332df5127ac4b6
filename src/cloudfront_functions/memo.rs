//! Replaying deterministic invocations: a cfedge optimisation that neither
//! viewers nor functions can observe.
//!
//! CloudFront runs every invocation in a fresh context (spec §4.1): nothing
//! survives from one invocation to the next. So what an invocation returns,
//! logs and changes is decided by its event, the function's code, its key
//! value store (read-only, loaded with the config) and `cf.edgeLocation()`
//! (fixed per config) — unless it read something else. The engine watches
//! the three other sources a function can read, the wall clock (`Date`),
//! `Math.random` and `event.context.requestId` (unique per request), and
//! reports whether any was read ([`crate::js::InvocationReport::deterministic`]).
//!
//! A deterministic invocation that succeeded within its budget is
//! remembered, per worker thread and function, by its event without the
//! request id. An identical event later gets the same report without
//! running the JavaScript: the same result and origin change, the same
//! `console.log` lines and custom log data (logged again under the new
//! request id), and the compute utilization of the run it replays (which
//! also feeds the throttling window, as if that run had happened again).
//!
//! Two indexes lead to a remembered run: the event, and at the edge the
//! HTTP [`Input`] the event was made from (method, path, query, headers,
//! viewer address, and the response's status and headers). Equal inputs
//! make equal events, so the edge looks up the input first and builds no
//! event at all for a replay; `run_event` callers, which have only an
//! event, use the event index.
//!
//! Identical events are the rule in a load test (one URL, the same
//! headers), where this makes a function cost a hash of its input instead
//! of a run; browsers send varied headers and replay less. Each function
//! keeps at most [`CAPACITY`] events per thread and starts over when full.
//! `[functions.<name>] memoize = false` runs every invocation.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use http::{HeaderMap, Method, StatusCode};
use rustc_hash::FxHasher;

use super::event::{Event, EventType, Field};
use super::{FunctionError, ResponseChange, Run};
use crate::viewer::ViewerRequest;

/// Events remembered per function and thread.
pub const CAPACITY: usize = 256;
/// Functions remembered per thread: more (only tests load that many) start over.
const FUNCTIONS: usize = 64;
/// Largest event remembered (its text, in bytes), so that a memo stays
/// within a few MB whatever the requests: a browser's is 1–2 KB.
pub const MAX_EVENT_BYTES: usize = 8 * 1024;

/// An event, the report of its run, and the HTTP input it was made from.
#[derive(Debug)]
pub struct Remembered {
    pub event: Rc<Event>,
    pub run: Rc<Run>,
    input: Option<OwnedInput>,
    /// What the run made of this very input (the request that goes on, or
    /// the response change), kept on its first replay: later replays of the
    /// same input clone it instead of deriving it again.
    pub applied: OnceCell<Result<Applied, FunctionError>>,
}

/// A run applied to its HTTP input.
#[derive(Debug, Clone)]
pub enum Applied {
    /// viewer-request, the request continues (the viewer's HTTP version,
    /// protocol and port are not part of the input: the caller sets them).
    Request(ViewerRequest),
    Response(ResponseChange),
}

/// One function's memo on one thread.
#[derive(Debug, Default)]
struct Memo {
    by_event: HashMap<u64, Rc<Remembered>>,
    by_input: HashMap<u64, Rc<Remembered>>,
}

thread_local! {
    /// function id → its memo.
    static MEMOS: RefCell<HashMap<u64, Memo>> = RefCell::new(HashMap::new());
}

/// What the edge makes an event from. Equal inputs give equal events
/// (but for the request id), whatever the distribution's other settings.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub event_type: EventType,
    pub request: &'a ViewerRequest,
    /// viewer-response: the status and headers the function will see.
    pub response: Option<(StatusCode, &'a HeaderMap)>,
}

/// An [`Input`], kept.
#[derive(Debug)]
struct OwnedInput {
    event_type: EventType,
    ip: std::net::IpAddr,
    method: Method,
    uri: String,
    querystring: Option<String>,
    headers: HeaderMap,
    response: Option<(StatusCode, HeaderMap)>,
}

impl Input<'_> {
    fn key(&self) -> u64 {
        fn headers(map: &HeaderMap, h: &mut FxHasher) {
            for (n, v) in map {
                n.as_str().hash(h);
                v.as_bytes().hash(h);
            }
        }
        let mut h = FxHasher::default();
        let r = self.request;
        self.event_type.hash(&mut h);
        r.client_addr.ip().hash(&mut h);
        r.method.as_str().hash(&mut h);
        r.uri.hash(&mut h);
        r.querystring.hash(&mut h);
        headers(&r.headers, &mut h);
        if let Some((status, map)) = self.response {
            status.as_u16().hash(&mut h);
            headers(map, &mut h);
        }
        h.finish()
    }

    /// Same values, and the headers in the same order (which the event keeps).
    fn is(&self, o: &OwnedInput) -> bool {
        fn same(a: &HeaderMap, b: &HeaderMap) -> bool {
            a.len() == b.len() && a.iter().eq(b.iter())
        }
        let r = self.request;
        self.event_type == o.event_type
            && r.client_addr.ip() == o.ip
            && r.method == o.method
            && r.uri == o.uri
            && r.querystring == o.querystring
            && same(&r.headers, &o.headers)
            && match (self.response, &o.response) {
                (Some((s, a)), Some((t, b))) => s == *t && same(a, b),
                (None, None) => true,
                _ => false,
            }
    }

    fn keep(self) -> OwnedInput {
        let r = self.request;
        OwnedInput {
            event_type: self.event_type,
            ip: r.client_addr.ip(),
            method: r.method.clone(),
            uri: r.uri.clone(),
            querystring: r.querystring.clone(),
            headers: r.headers.clone(),
            response: self.response.map(|(s, h)| (s, h.clone())),
        }
    }
}

/// The remembered run of `function` for an equal `input`, with its event.
pub fn replay_input(function: u64, input: &Input<'_>) -> Option<Rc<Remembered>> {
    let key = input.key();
    MEMOS.with(|m| {
        let memos = m.borrow();
        let r = memos.get(&function)?.by_input.get(&key)?;
        r.input
            .as_ref()
            .is_some_and(|o| input.is(o))
            .then(|| Rc::clone(r))
    })
}

/// Hash of everything the function sees of `ev`: all but the request id.
pub fn key(ev: &Event) -> u64 {
    let mut h = FxHasher::default();
    ev.context.distribution_domain_name.hash(&mut h);
    ev.context.distribution_id.hash(&mut h);
    ev.context.event_type.hash(&mut h);
    ev.viewer_ip.hash(&mut h);
    ev.request.hash(&mut h);
    ev.response.hash(&mut h);
    h.finish()
}

/// The text an event carries, in bytes (names and values).
fn event_bytes(ev: &Event) -> usize {
    let fields = |f: &[(String, Field)]| -> usize {
        f.iter()
            .map(|(n, f)| {
                n.len()
                    + f.value.len()
                    + f.multi_value
                        .iter()
                        .flatten()
                        .map(String::len)
                        .sum::<usize>()
            })
            .sum()
    };
    let r = &ev.request;
    let mut n = r.uri.len() + fields(&r.querystring) + fields(&r.headers) + fields(&r.cookies);
    if let Some(resp) = &ev.response {
        n += fields(&resp.headers);
        n += resp
            .cookies
            .iter()
            .map(|(name, c)| {
                name.len()
                    + c.value.len()
                    + c.attributes.len()
                    + c.multi_value
                        .iter()
                        .flatten()
                        .map(|v| v.value.len() + v.attributes.len())
                        .sum::<usize>()
            })
            .sum::<usize>();
    }
    n
}

/// Whether a function sees `a` and `b` as the same event.
fn same_input(a: &Event, b: &Event) -> bool {
    a.context.distribution_domain_name == b.context.distribution_domain_name
        && a.context.distribution_id == b.context.distribution_id
        && a.context.event_type == b.context.event_type
        && a.viewer_ip == b.viewer_ip
        && a.request == b.request
        && a.response == b.response
}

/// The remembered run of `function` for an event identical to `ev`
/// (`key` is [`key`]`(ev)`).
pub fn replay(function: u64, key: u64, ev: &Event) -> Option<Rc<Run>> {
    MEMOS.with(|m| {
        let memos = m.borrow();
        let r = memos.get(&function)?.by_event.get(&key)?;
        same_input(&r.event, ev).then(|| r.run.clone())
    })
}

/// Remember `run`, the run of `function` on `ev` (made from `input`, at
/// the edge), if it may be replayed (deterministic and successful) and `ev`
/// is not larger than [`MAX_EVENT_BYTES`].
pub fn remember(function: u64, key: u64, ev: &Rc<Event>, input: Option<&Input<'_>>, run: &Rc<Run>) {
    if !run.report.deterministic || run.report.result.is_err() || event_bytes(ev) > MAX_EVENT_BYTES
    {
        return;
    }
    MEMOS.with(|m| {
        let mut memos = m.borrow_mut();
        if memos.len() >= FUNCTIONS && !memos.contains_key(&function) {
            memos.clear();
        }
        let memo = memos.entry(function).or_default();
        if memo.by_event.len() >= CAPACITY || memo.by_input.len() >= CAPACITY {
            *memo = Memo::default();
        }
        let remembered = Rc::new(Remembered {
            event: Rc::clone(ev),
            run: Rc::clone(run),
            input: input.map(|i| i.keep()),
            applied: OnceCell::new(),
        });
        if let Some(i) = input {
            memo.by_input.insert(i.key(), Rc::clone(&remembered));
        }
        memo.by_event.insert(key, remembered);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront_functions::event::{EventContext, EventRequest, EventType};
    use crate::cloudfront_functions::event::{OutRequest, Output, Querystring};
    use crate::js::InvocationReport;
    use std::time::Duration;

    fn rc(ev: &Event) -> Rc<Event> {
        Rc::new(ev.clone())
    }

    fn event(request_id: &str, uri: &str) -> Event {
        Event {
            context: EventContext {
                distribution_domain_name: "d.cloudfront.net".into(),
                distribution_id: "E1".into(),
                event_type: EventType::ViewerRequest,
                request_id: request_id.into(),
            },
            viewer_ip: "203.0.113.9".into(),
            request: EventRequest {
                method: "GET".into(),
                uri: uri.into(),
                querystring: vec![],
                headers: vec![("host".into(), Field::single("a.example"))],
                cookies: vec![],
                raw_query: None,
            },
            response: None,
        }
    }

    fn report(deterministic: bool) -> Rc<Run> {
        Rc::new(Run::new(InvocationReport {
            result: Ok(Output::Request(OutRequest {
                method: "GET".into(),
                uri: "/x".into(),
                querystring: Querystring::Fields(vec![]),
                headers: vec![],
                cookies: vec![],
            })),
            logs: vec!["line".into()],
            elapsed: Duration::from_micros(7),
            origin: None,
            custom_log_data: None,
            deterministic,
        }))
    }

    #[test]
    fn the_request_id_is_not_part_of_the_key_but_everything_else_is() {
        assert_eq!(key(&event("a", "/")), key(&event("b", "/")));
        assert_ne!(key(&event("a", "/")), key(&event("a", "/x")));
        let mut other_ip = event("a", "/");
        other_ip.viewer_ip = "198.51.100.1".into();
        assert!(!same_input(&event("a", "/"), &other_ip));
        assert!(same_input(&event("a", "/"), &event("b", "/")));
    }

    #[test]
    fn deterministic_successes_replay_with_their_logs_and_time() {
        let ev = event("a", "/");
        remember(901, key(&ev), &rc(&ev), None, &report(true));
        let again = event("b", "/");
        let r = &replay(901, key(&again), &again).expect("replayed").report;
        assert_eq!(r.logs, vec!["line".to_owned()]);
        assert_eq!(r.elapsed, Duration::from_micros(7));
        assert_eq!(r.result, report(true).report.result);
        // Another function, or another event, does not see it.
        assert!(replay(902, key(&again), &again).is_none());
        let other = event("b", "/other");
        assert!(replay(901, key(&other), &other).is_none());
    }

    #[test]
    fn nondeterministic_or_failed_runs_are_not_remembered() {
        let ev = event("a", "/");
        remember(903, key(&ev), &rc(&ev), None, &report(false));
        assert!(replay(903, key(&ev), &ev).is_none());
        let mut failed = report(true);
        Rc::make_mut(&mut failed).report.result =
            Err(super::super::FunctionError::Execution("boom".into()));
        remember(903, key(&ev), &rc(&ev), None, &failed);
        assert!(replay(903, key(&ev), &ev).is_none());
    }

    fn viewer(headers: &[(&'static str, &'static str)], ip: &str) -> ViewerRequest {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            h.append(*n, http::HeaderValue::from_static(v));
        }
        ViewerRequest {
            method: Method::GET,
            version: http::Version::HTTP_11,
            protocol: crate::viewer::ViewerProtocol::Http,
            uri: "/".into(),
            querystring: Some("a=1".into()),
            headers: h,
            client_addr: format!("{ip}:4000").parse().unwrap(),
        }
    }

    #[test]
    fn the_input_index_needs_the_same_request_headers_in_order_and_address() {
        let ev = rc(&event("a", "/"));
        let req = viewer(&[("host", "a.example"), ("accept", "*/*")], "203.0.113.9");
        let input = Input {
            event_type: EventType::ViewerRequest,
            request: &req,
            response: None,
        };
        remember(907, key(&ev), &ev, Some(&input), &report(true));
        let lookup = |request: &ViewerRequest| replay_input(907, &Input { request, ..input });
        let same = viewer(&[("host", "a.example"), ("accept", "*/*")], "203.0.113.9");
        let hit = lookup(&same).expect("hit");
        assert!(Rc::ptr_eq(&hit.event, &ev));
        // Another port of the same address is the same viewer.ip.
        let mut port = viewer(&[("host", "a.example"), ("accept", "*/*")], "203.0.113.9");
        port.client_addr.set_port(5000);
        assert!(lookup(&port).is_some());
        for other in [
            viewer(&[("accept", "*/*"), ("host", "a.example")], "203.0.113.9"),
            viewer(&[("host", "a.example")], "203.0.113.9"),
            viewer(&[("host", "a.example"), ("accept", "*/*")], "203.0.113.10"),
        ] {
            assert!(lookup(&other).is_none());
        }
        let mut query = viewer(&[("host", "a.example"), ("accept", "*/*")], "203.0.113.9");
        query.querystring = None;
        assert!(lookup(&query).is_none());
        // A response input differs from a request input.
        let h = HeaderMap::new();
        let resp = Input {
            event_type: EventType::ViewerResponse,
            request: &same,
            response: Some((StatusCode::OK, &h)),
        };
        assert!(replay_input(907, &resp).is_none());
    }

    #[test]
    fn large_events_are_not_remembered() {
        let mut ev = event("a", "/");
        ev.request.headers.push((
            "cookie-ish".into(),
            Field::single("x".repeat(MAX_EVENT_BYTES)),
        ));
        remember(906, key(&ev), &rc(&ev), None, &report(true));
        assert!(replay(906, key(&ev), &ev).is_none());
        ev.request.headers.pop();
        remember(906, key(&ev), &rc(&ev), None, &report(true));
        assert!(replay(906, key(&ev), &ev).is_some());
    }

    #[test]
    fn a_hash_collision_is_not_a_replay() {
        let ev = event("a", "/");
        remember(904, 42, &rc(&ev), None, &report(true));
        let other = event("a", "/other");
        assert!(replay(904, 42, &other).is_none());
        assert!(replay(904, 42, &ev).is_some());
    }

    #[test]
    fn a_full_memo_starts_over() {
        for i in 0..CAPACITY {
            let ev = event("a", &format!("/{i}"));
            remember(905, key(&ev), &rc(&ev), None, &report(true));
        }
        let first = event("a", "/0");
        assert!(replay(905, key(&first), &first).is_some());
        let ev = event("a", "/new");
        remember(905, key(&ev), &rc(&ev), None, &report(true));
        assert!(replay(905, key(&first), &first).is_none());
        assert!(replay(905, key(&ev), &ev).is_some());
    }
}
