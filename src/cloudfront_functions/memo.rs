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
//! reports whether any was read ([`InvocationReport::deterministic`]).
//!
//! A deterministic invocation that succeeded within its budget is
//! remembered, per worker thread and function, by its event without the
//! request id. An identical event later gets the same report without
//! running the JavaScript: the same result and origin change, the same
//! `console.log` lines and custom log data (logged again under the new
//! request id), and the compute utilization of the run it replays (which
//! also feeds the throttling window, as if that run had happened again).
//!
//! Identical events are the rule in a load test (one URL, the same
//! headers), where this makes a function cost a hash of its event instead
//! of a run; browsers send varied headers and replay less. Each function
//! keeps at most [`CAPACITY`] events per thread and starts over when full.
//! `[functions.<name>] memoize = false` runs every invocation.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use rustc_hash::FxHasher;

use super::event::{Event, Field};
use super::Run;

/// Events remembered per function and thread.
pub const CAPACITY: usize = 256;
/// Functions remembered per thread: more (only tests load that many) start over.
const FUNCTIONS: usize = 64;
/// Largest event remembered (its text, in bytes), so that a memo stays
/// within a few MB whatever the requests: a browser's is 1–2 KB.
pub const MAX_EVENT_BYTES: usize = 8 * 1024;

/// An event and the report of its run.
#[derive(Debug)]
struct Remembered {
    event: Event,
    run: Rc<Run>,
}

thread_local! {
    /// function id → event hash → remembered run.
    static MEMOS: RefCell<HashMap<u64, HashMap<u64, Remembered>>> = RefCell::new(HashMap::new());
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
        let r = memos.get(&function)?.get(&key)?;
        same_input(&r.event, ev).then(|| r.run.clone())
    })
}

/// Remember `run`, the run of `function` on `ev`, if it may be replayed
/// (deterministic and successful) and `ev` is not larger than [`MAX_EVENT_BYTES`].
pub fn remember(function: u64, key: u64, ev: &Event, run: &Rc<Run>) {
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
        if memo.len() >= CAPACITY {
            memo.clear();
        }
        memo.insert(
            key,
            Remembered {
                event: ev.clone(),
                run: Rc::clone(run),
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront_functions::event::{EventContext, EventRequest, EventType};
    use crate::cloudfront_functions::event::{OutRequest, Output, Querystring};
    use crate::js::InvocationReport;
    use std::time::Duration;

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
        remember(901, key(&ev), &ev, &report(true));
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
        remember(903, key(&ev), &ev, &report(false));
        assert!(replay(903, key(&ev), &ev).is_none());
        let mut failed = report(true);
        Rc::make_mut(&mut failed).report.result =
            Err(super::super::FunctionError::Execution("boom".into()));
        remember(903, key(&ev), &ev, &failed);
        assert!(replay(903, key(&ev), &ev).is_none());
    }

    #[test]
    fn large_events_are_not_remembered() {
        let mut ev = event("a", "/");
        ev.request.headers.push((
            "cookie-ish".into(),
            Field::single("x".repeat(MAX_EVENT_BYTES)),
        ));
        remember(906, key(&ev), &ev, &report(true));
        assert!(replay(906, key(&ev), &ev).is_none());
        ev.request.headers.pop();
        remember(906, key(&ev), &ev, &report(true));
        assert!(replay(906, key(&ev), &ev).is_some());
    }

    #[test]
    fn a_hash_collision_is_not_a_replay() {
        let ev = event("a", "/");
        remember(904, 42, &ev, &report(true));
        let other = event("a", "/other");
        assert!(replay(904, 42, &other).is_none());
        assert!(replay(904, 42, &ev).is_some());
    }

    #[test]
    fn a_full_memo_starts_over() {
        for i in 0..CAPACITY {
            let ev = event("a", &format!("/{i}"));
            remember(905, key(&ev), &ev, &report(true));
        }
        let first = event("a", "/0");
        assert!(replay(905, key(&first), &first).is_some());
        let ev = event("a", "/new");
        remember(905, key(&ev), &ev, &report(true));
        assert!(replay(905, key(&first), &first).is_none());
        assert!(replay(905, key(&ev), &ev).is_some());
    }
}
