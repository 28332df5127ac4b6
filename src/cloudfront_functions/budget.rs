//! Time budget, compute utilization and throttling (spec §4.6).
//!
//! - **Compute utilization** is the invocation's time (building the event,
//!   running the handler and its promise jobs, reading the result) as a
//!   percentage of the function's budget (default 1 ms, `budget_us`).
//!   CloudFront does not publish what it measures. Wall time is used: thread
//!   CPU time would need a system call per invocation (~1 µs here, a tenth of
//!   a simple function's cost), and the throttling rule below already keeps
//!   a preempted or collector-paused invocation from failing a request.
//! - **Throttling.** CloudFront throttles a function that *keeps* exceeding
//!   its limit (spec §4.6), not one invocation that ran long once. So each
//!   function remembers which of its last [`WINDOW`] invocations ran over
//!   their budget (shared by all threads), and an invocation is answered
//!   `FunctionThrottledError` when at least [`THROTTLE_AT`] of them, this
//!   one included, did. A function always over its budget is throttled from
//!   its fourth invocation on; a stray slow invocation among fast ones (a
//!   collector pause) never is; a function that becomes fast again recovers
//!   after five fast invocations.
//! - An invocation stopped by a runtime limit (instructions, loop
//!   iterations, recursion) has no result and is throttled at once. One
//!   that finishes, however late, counts as one overrun: a thread preempted
//!   for a scheduler time slice on a loaded machine takes 10–30 ms of wall
//!   time, and must not fail a request.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// What the budget does for one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetMode {
    /// The edge: a function over its budget is throttled (see the module docs).
    Enforce,
    /// `test-function`: the budget only scales the reported compute utilization.
    ReportOnly,
}

/// How many recent invocations the throttle looks at.
pub const WINDOW: u32 = 8;

/// Over-budget invocations in the window that throttle the function.
pub const THROTTLE_AT: u32 = 4;

/// Compute utilization of `used` against `budget`, in percent (not capped).
pub fn utilization(used: Duration, budget: Duration) -> u32 {
    let budget = budget.as_nanos().max(1);
    u32::try_from((used.as_nanos() * 100).div_ceil(budget)).unwrap_or(u32::MAX)
}

/// One function's recent history: bit *i* set when the *i*-th last
/// invocation ran over its budget.
#[derive(Debug, Default)]
pub struct Throttle {
    history: AtomicU32,
}

impl Throttle {
    /// Record an invocation's utilization; `true` if it is to be throttled.
    pub fn record(&self, utilization_percent: u32) -> bool {
        let over = u32::from(utilization_percent > 100);
        let mask = (1 << WINDOW) - 1;
        let previous = self
            .history
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
                Some(((h << 1) | over) & mask)
            })
            .unwrap_or_else(|h| h);
        let history = ((previous << 1) | over) & mask;
        history.count_ones() >= THROTTLE_AT
    }

    /// How many of the last [`WINDOW`] invocations ran over their budget.
    pub fn recent_overruns(&self) -> u32 {
        self.history.load(Ordering::Relaxed).count_ones()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &Throttle, samples: &[u32]) -> Vec<bool> {
        samples.iter().map(|&u| t.record(u)).collect()
    }

    #[test]
    fn utilization_is_time_over_budget() {
        let ms = Duration::from_millis(1);
        assert_eq!(utilization(Duration::from_micros(210), ms), 21);
        assert_eq!(utilization(Duration::from_micros(1), ms), 1);
        assert_eq!(utilization(Duration::ZERO, ms), 0);
        assert_eq!(utilization(Duration::from_millis(3), ms), 300);
        assert_eq!(
            utilization(Duration::from_secs(1), Duration::ZERO),
            u32::MAX
        );
    }

    #[test]
    fn stray_slow_invocations_among_fast_ones_are_not_throttled() {
        let t = Throttle::default();
        let mut samples = vec![5; 64];
        // Collector pauses and preempted threads (30 ms of wall time): never four in eight.
        for i in [3, 10, 12, 14, 30, 31, 32, 50] {
            samples[i] = 3000;
        }
        assert!(run(&t, &samples).iter().all(|&th| !th));
    }

    #[test]
    fn a_function_that_keeps_exceeding_is_throttled_and_recovers() {
        let t = Throttle::default();
        assert_eq!(
            run(&t, &[101, 300, 150, 500, 120, 999]),
            [false, false, false, true, true, true]
        );
        // Fast again: throttled while half the window is still over budget.
        assert_eq!(run(&t, &[5; 6]), [true, true, true, true, false, false]);
        assert_eq!(t.recent_overruns(), 2);
    }
}
