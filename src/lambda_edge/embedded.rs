//! The `embedded` runtime's worker pool: std threads, each owning one
//! [`LambdaEngine`] (boa contexts are `!Send`) and running one invocation at
//! a time, answering through a tokio oneshot. Handlers with budgets of
//! seconds never run on the proxy's I/O threads.
//!
//! **Elastic, up to the concurrency limit.** CloudFront runs up to a
//! function's concurrency limit (default 1,000) at once, each in its own
//! execution environment (spec §5.3). An invocation that awaits a timer
//! keeps its engine (its promises and closures live there), so a fixed pool
//! would queue every other request behind a waiting hook. So: `min` threads
//! (the `workers` setting) are started at once and kept warm; an invocation
//! that finds no idle thread starts a new one, up to `max` (the concurrency
//! limit); a thread above `min` that stays idle for [`IDLE_TIMEOUT`] exits
//! and frees its engine. The alternative, interleaving waiting invocations on
//! one engine, would share the global object and the per-engine `console` and
//! timers between invocations, and one invocation stuck in a loop would stall
//! the others; one engine per running invocation keeps each invocation
//! isolated, as its own Lambda environment is. The price is memory: an extra
//! thread with a ready engine costs about 3 MB of RSS (measured: 32 extra
//! threads waiting on timers added 94 MB).
//!
//! **Hand-off.** Idle threads park LIFO: the most recently used thread gets
//! the next job, so extra threads really go idle and exit. A thread that
//! just answered counts as available before its caller hears back, so the
//! caller's next job neither wakes nor starts another thread; it then looks
//! for that job for [`SPIN`] before it parks, yielding the CPU between
//! looks. The caller does the same on its side for a quick function (its
//! recent invocations averaged under [`CALLER_SPIN`]): it looks for the
//! answer between its runtime's other tasks for up to that long before it
//! sleeps on the channel, when a CPU is spare for it (at most one spinning
//! caller per CPU beyond the first, so spinners never take the CPU from the
//! workers; none at all on one CPU). On a 2-vCPU virtual machine a futex
//! sleep and wake-up costs more than the invocation: bench medians 106–135 µs
//! with the worker's spin against 146–176 µs without (interleaved runs,
//! load 1.8), and 72–83 µs with the caller's spin too. A pure spin without
//! `yield_now` took the CPU from the caller on a saturated machine.
//!
//! **Timeouts.** A job's time runs from when a thread takes it: a job that
//! waits for a new thread to start and build its engine (Lambda's init
//! phase, as a `nodejs` cold start) still gets all of it; that wait is
//! bounded by [`INIT_TIMEOUT`]. A caller that times out abandons its job. If the job was
//! still queued it is removed; if it was running, its thread stops counting
//! against `max` (new invocations may start a thread in its place), finishes
//! (boa's loop limit or the job deadline stop it), drops its context and
//! exits instead of taking more work (architecture habit 11). At most
//! [`MAX_STUCK_THREADS`] such threads are discounted at once, so a function
//! that always hangs stops growing the process. Cancel-safety: dropping the
//! future of [`EmbeddedPool::invoke`] (the viewer went away) removes a queued
//! job; a running one finishes on its thread, which then serves on.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::js::lambda_runtime::{EngineInvocation, EngineOutcome, InvokeInfo, LambdaEngine};

/// Threads stuck past their deadline that stop counting against the limit;
/// beyond this, a function that always hangs stops growing the process.
const MAX_STUCK_THREADS: usize = 16;
/// How long a thread above the minimum stays idle before it exits.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a thread that just finished looks for the next job before it
/// parks, yielding the CPU between looks.
const SPIN: Duration = Duration::from_micros(50);
/// How long a job may wait for a thread to start and build its engine.
const INIT_TIMEOUT: Duration = super::nodejs::INIT_TIMEOUT;
/// How long a caller looks for the answer of a quick function before it sleeps.
const CALLER_SPIN: Duration = Duration::from_micros(200);

/// Callers spinning for an answer, over all functions.
static SPINNERS: AtomicUsize = AtomicUsize::new(0);

/// CPUs beyond the first available to this process (its affinity mask and
/// quota): how many callers may spin at once.
fn spare_cpus() -> usize {
    static SPARE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SPARE.get_or_init(|| std::thread::available_parallelism().map_or(0, |n| n.get() - 1))
}

/// Where a job is: the caller and the worker move it on under the pool lock.
const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;
const ABANDONED: u8 = 3;

struct Job {
    event: Arc<serde_json::Value>,
    info: InvokeInfo,
    timeout: Duration,
    /// When a thread took the job: its time runs from then.
    taken: Arc<OnceLock<Instant>>,
    reply: oneshot::Sender<EngineInvocation>,
    state: Arc<AtomicU8>,
}

/// A parked idle thread.
struct Parked {
    thread: Thread,
    woken: AtomicBool,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Parked threads, most recently used last.
    idle: Vec<Arc<Parked>>,
    /// Threads that take jobs (abandoned ones excluded).
    threads: usize,
    /// Threads that will look at the queue before they park: starting,
    /// just finished (their caller may be about to submit the next job) or
    /// spinning. A job they can take needs no wake-up and no new thread.
    looking: usize,
    /// Abandoned threads still finishing their invocation.
    stuck: usize,
}

struct Shared {
    name: String,
    source: Arc<str>,
    handler: String,
    min: usize,
    max: usize,
    idle_timeout: Duration,
    state: Mutex<State>,
    /// Jobs in the queue, readable without the lock by spinning threads.
    queued: AtomicUsize,
    closed: AtomicBool,
    /// Recent invocation time, µs (an exponential moving average).
    recent_micros: AtomicU64,
}

impl Shared {
    fn lock(&self) -> Option<MutexGuard<'_, State>> {
        self.state.lock().ok()
    }

    /// Whether this function's recent invocations ended within [`CALLER_SPIN`].
    fn quick(&self) -> bool {
        self.recent_micros.load(Ordering::Relaxed) < CALLER_SPIN.as_micros() as u64
    }

    /// Fold one invocation's duration into the recent average (weight 1/8).
    fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.recent_micros.load(Ordering::Relaxed);
        let new = old - old / 8 + took / 8;
        self.recent_micros.store(new, Ordering::Relaxed);
    }
}

/// How an embedded invocation ended, seen from the caller.
#[derive(Debug)]
pub enum PoolOutcome {
    Done(EngineInvocation),
    TimedOut,
    /// More jobs waiting than the concurrency limit.
    Busy,
    /// The worker died (a bug in the engine); already logged.
    Crashed,
}

/// The worker threads of one embedded function.
pub struct EmbeddedPool {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EmbeddedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedPool")
            .field("name", &self.shared.name)
            .finish_non_exhaustive()
    }
}

impl EmbeddedPool {
    /// Start `min` threads for `source`; the pool grows to `max` threads
    /// while invocations wait, and shrinks back after [`IDLE_TIMEOUT`].
    pub fn start(
        name: &str,
        source: Arc<str>,
        handler: &str,
        min: usize,
        max: usize,
    ) -> std::io::Result<Self> {
        Self::start_with_idle_timeout(name, source, handler, min, max, IDLE_TIMEOUT)
    }

    /// [`Self::start`] with another idle timeout (tests).
    pub fn start_with_idle_timeout(
        name: &str,
        source: Arc<str>,
        handler: &str,
        min: usize,
        max: usize,
        idle_timeout: Duration,
    ) -> std::io::Result<Self> {
        let min = min.max(1);
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            source,
            handler: handler.to_owned(),
            min,
            max: max.max(min),
            idle_timeout,
            state: Mutex::new(State {
                threads: min,
                looking: min,
                ..State::default()
            }),
            queued: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            recent_micros: AtomicU64::new(0),
        });
        for _ in 0..min {
            spawn_worker(&shared)?;
        }
        Ok(EmbeddedPool { shared })
    }

    /// Threads that take jobs now (idle, busy or starting).
    pub fn threads(&self) -> usize {
        self.shared.lock().map_or(0, |st| st.threads)
    }

    /// Run one invocation with a wall-clock `timeout`.
    pub async fn invoke(
        &self,
        event: Arc<serde_json::Value>,
        info: InvokeInfo,
        timeout: Duration,
    ) -> PoolOutcome {
        let (reply, rx) = oneshot::channel();
        let state = Arc::new(AtomicU8::new(QUEUED));
        let taken = Arc::new(OnceLock::new());
        let submitted = Instant::now();
        let job = Job {
            event,
            info,
            timeout,
            taken: taken.clone(),
            reply,
            state: state.clone(),
        };
        if let Err(refused) = self.submit(job) {
            return refused;
        }
        let mut guard = Abandon {
            shared: &self.shared,
            state,
            timed_out: false,
            armed: true,
        };
        let mut rx = rx;
        let quick = self.shared.quick();
        let answer = match spin_for(&mut rx, quick, &SPINNERS, spare_cpus()).await {
            Some(answered) => Some(answered.map_err(|_| ())),
            None => wait_for(rx, &taken, submitted, timeout).await,
        };
        match answer {
            Some(Ok(done)) => {
                guard.armed = false;
                PoolOutcome::Done(done)
            }
            Some(Err(())) => {
                guard.armed = false;
                PoolOutcome::Crashed
            }
            None => {
                guard.timed_out = true;
                PoolOutcome::TimedOut // `guard` abandons the job.
            }
        }
    }

    fn submit(&self, job: Job) -> Result<(), PoolOutcome> {
        let sh = &self.shared;
        let mut st = sh.lock().ok_or(PoolOutcome::Crashed)?;
        if st.queue.len() >= sh.max {
            return Err(PoolOutcome::Busy);
        }
        st.queue.push_back(job);
        sh.queued.store(st.queue.len(), Ordering::Release);
        if st.looking >= st.queue.len() {
            return Ok(()); // A thread between two jobs takes it.
        }
        if let Some(p) = st.idle.pop() {
            p.woken.store(true, Ordering::Release);
            drop(st);
            p.thread.unpark();
            return Ok(());
        }
        let grow = st.queue.len() > st.looking
            && st.threads < sh.max
            && st.threads + st.stuck < sh.max + MAX_STUCK_THREADS;
        if grow {
            st.threads += 1;
            st.looking += 1;
            drop(st);
            if let Err(e) = spawn_worker(sh) {
                tracing::error!(lambda = %sh.name, "cannot start a worker thread: {e}");
                let mut st = sh.lock().ok_or(PoolOutcome::Crashed)?;
                st.threads = st.threads.saturating_sub(1);
                st.looking = st.looking.saturating_sub(1);
                if st.threads == 0 {
                    return Err(PoolOutcome::Crashed);
                }
            }
        }
        Ok(())
    }
}

impl Drop for EmbeddedPool {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        if let Some(mut st) = self.shared.lock() {
            for p in st.idle.drain(..) {
                p.woken.store(true, Ordering::Release);
                p.thread.unpark();
            }
        }
    }
}

/// Abandons a job whose caller timed out or went away (see the module docs).
struct Abandon<'a> {
    shared: &'a Shared,
    state: Arc<AtomicU8>,
    /// Timed out (the thread is stuck) rather than dropped (the client left:
    /// a running job just ends normally).
    timed_out: bool,
    armed: bool,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Some(mut st) = self.shared.lock() else {
            return;
        };
        let queued = self
            .state
            .compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if queued {
            st.queue.retain(|j| !Arc::ptr_eq(&j.state, &self.state));
            self.shared.queued.store(st.queue.len(), Ordering::Release);
            return;
        }
        if !self.timed_out {
            return;
        }
        match self.state.swap(ABANDONED, Ordering::AcqRel) {
            RUNNING if st.stuck < MAX_STUCK_THREADS => {
                st.threads = st.threads.saturating_sub(1);
                st.stuck += 1;
            }
            RUNNING => {
                // Too many stuck threads: this one keeps its place until it ends.
                self.state.store(RUNNING, Ordering::Release);
                tracing::warn!(lambda = %self.shared.name, "too many stuck workers; not replacing");
            }
            _ => {}
        }
    }
}

/// Wait for the answer until the job's time is up, `None` then. The time runs
/// from when a thread took the job: one that waited for a thread to start and
/// build its engine (Lambda's init phase) still gets all of it, as a nodejs
/// cold start does; that wait is bounded by [`INIT_TIMEOUT`].
async fn wait_for(
    mut rx: oneshot::Receiver<EngineInvocation>,
    taken: &OnceLock<Instant>,
    submitted: Instant,
    timeout: Duration,
) -> Option<Result<EngineInvocation, ()>> {
    let now = tokio::time::Instant::now();
    let start = now.checked_sub(submitted.elapsed()).unwrap_or(now);
    let mut deadline = start + timeout;
    loop {
        if let Ok(answered) = tokio::time::timeout_at(deadline, &mut rx).await {
            return Some(answered.map_err(|_| ()));
        }
        let end = match taken.get() {
            Some(t) => start + t.saturating_duration_since(submitted) + timeout,
            None => start + INIT_TIMEOUT,
        };
        if end <= deadline {
            return None;
        }
        deadline = end;
    }
}

/// Look for the answer for up to [`CALLER_SPIN`], between other tasks, when
/// it is expected within that time (`quick`) and a CPU is free for the spin:
/// at most `spare` callers spin at once (counted in `spinners`), so spinners
/// never take the CPU from the workers they wait for. `None`: no answer yet.
async fn spin_for(
    rx: &mut oneshot::Receiver<EngineInvocation>,
    quick: bool,
    spinners: &AtomicUsize,
    spare: usize,
) -> Option<Result<EngineInvocation, oneshot::error::TryRecvError>> {
    if !quick {
        return None;
    }
    if spinners.fetch_add(1, Ordering::AcqRel) >= spare {
        spinners.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    struct Spinning<'a>(&'a AtomicUsize);
    impl Drop for Spinning<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::AcqRel);
        }
    }
    let _spinning = Spinning(spinners);
    let until = Instant::now() + CALLER_SPIN;
    loop {
        match rx.try_recv() {
            Err(oneshot::error::TryRecvError::Empty) if Instant::now() < until => {
                tokio::task::yield_now().await;
            }
            Err(oneshot::error::TryRecvError::Empty) => return None,
            answered => return Some(answered),
        }
    }
}

fn spawn_worker(shared: &Arc<Shared>) -> std::io::Result<()> {
    let shared = shared.clone();
    std::thread::Builder::new()
        .name(format!("lambda-{}", shared.name))
        .stack_size(crate::js::JS_THREAD_STACK_BYTES)
        .spawn(move || worker(&shared))
        .map(|_| ())
}

fn new_engine(shared: &Shared) -> Option<LambdaEngine> {
    LambdaEngine::new(&shared.source, &shared.handler)
        .map_err(|e| tracing::error!(lambda = %shared.name, "engine start failed: {}", e.message))
        .ok()
}

/// The next job to run, skipping abandoned ones.
fn next_job(sh: &Shared, st: &mut State) -> Option<Job> {
    while let Some(job) = st.queue.pop_front() {
        sh.queued.store(st.queue.len(), Ordering::Release);
        if job.reply.is_closed() {
            continue;
        }
        if job
            .state
            .compare_exchange(QUEUED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let _ = job.taken.set(Instant::now());
            return Some(job);
        }
    }
    None
}

fn worker(sh: &Shared) {
    let mut engine = new_engine(sh);
    let me = Arc::new(Parked {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    // Invariant at the top of the loop: the lock is held and this thread is
    // counted in `looking`.
    let Some(mut st) = sh.lock() else { return };
    loop {
        if let Some(job) = next_job(sh, &mut st) {
            st.looking = st.looking.saturating_sub(1);
            drop(st);
            let started = job.taken.get().copied().unwrap_or_else(Instant::now);
            let deadline = started + job.timeout;
            let (outcome, keep_engine) =
                run(sh, &mut engine, job.event.as_ref(), &job.info, deadline);
            sh.record(started.elapsed());
            if !keep_engine {
                // Never reuse a context in an unknown state.
                drop(engine.take());
            }
            let Some(mut s) = sh.lock() else { return };
            if job.state.swap(DONE, Ordering::AcqRel) == ABANDONED {
                // Our caller gave up and no longer counts us: leave.
                s.stuck = s.stuck.saturating_sub(1);
                return;
            }
            // Counted as looking before the caller hears back, so its next
            // job neither wakes another thread nor starts one.
            s.looking += 1;
            drop(s);
            let _ = job.reply.send(outcome);
            match engine.as_mut() {
                // Between invocations, while the caller reads the answer.
                Some(e) => e.tidy(),
                None => engine = new_engine(sh),
            }
            let Some(s) = sh.lock() else { return };
            st = s;
            continue;
        }
        if sh.closed.load(Ordering::Acquire) {
            st.looking = st.looking.saturating_sub(1);
            st.threads = st.threads.saturating_sub(1);
            st.idle.retain(|p| !Arc::ptr_eq(p, &me));
            return;
        }
        // Look for a follow-up job a little before parking (see the module docs).
        drop(st);
        let until = Instant::now() + SPIN;
        while sh.queued.load(Ordering::Acquire) == 0 && Instant::now() < until {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
            std::thread::yield_now();
        }
        let Some(s) = sh.lock() else { return };
        st = s;
        if !st.queue.is_empty() {
            continue;
        }
        st.looking = st.looking.saturating_sub(1);
        me.woken.store(false, Ordering::Release);
        st.idle.push(me.clone());
        drop(st);
        let mut since = Instant::now();
        loop {
            std::thread::park_timeout(sh.idle_timeout.saturating_sub(since.elapsed()));
            if me.woken.load(Ordering::Acquire) || sh.closed.load(Ordering::Acquire) {
                break;
            }
            if since.elapsed() < sh.idle_timeout {
                continue; // Spurious wake-up.
            }
            let Some(mut s) = sh.lock() else { return };
            if me.woken.load(Ordering::Acquire) {
                break;
            }
            if s.threads > sh.min {
                s.idle.retain(|p| !Arc::ptr_eq(p, &me));
                s.threads = s.threads.saturating_sub(1);
                return;
            }
            since = Instant::now();
        }
        let Some(s) = sh.lock() else { return };
        st = s;
        st.looking += 1;
    }
}

/// Run one job: its outcome, and whether the engine may be reused.
fn run(
    sh: &Shared,
    engine: &mut Option<LambdaEngine>,
    event: &serde_json::Value,
    info: &InvokeInfo,
    deadline: Instant,
) -> (EngineInvocation, bool) {
    let Some(e) = engine.as_mut() else {
        let outcome = EngineInvocation {
            outcome: EngineOutcome::Error("the embedded runtime could not start".into()),
            logs: Vec::new(),
        };
        return (outcome, false);
    };
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| e.invoke(event, info, deadline)))
        .unwrap_or_else(|_| {
            tracing::error!(lambda = %sh.name, "the JS engine panicked; discarding it");
            EngineInvocation {
                outcome: EngineOutcome::Error("internal runtime error".into()),
                logs: Vec::new(),
            }
        });
    let overran = Instant::now() > deadline;
    let failed = matches!(outcome.outcome, EngineOutcome::Error(ref m) if m.starts_with("runtime limit") || m == "internal runtime error");
    (outcome, !(overran || failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAITING: &str = "exports.handler = async (e) => { \
        await new Promise((r) => setTimeout(r, 30)); return e.n; };";

    fn info() -> InvokeInfo {
        InvokeInfo {
            function_name: "t".into(),
            request_id: "r".into(),
        }
    }

    async fn call(pool: &EmbeddedPool, n: u64) -> PoolOutcome {
        let event = Arc::new(serde_json::json!({ "n": n }));
        pool.invoke(event, info(), Duration::from_secs(10)).await
    }

    /// Invocations that wait on timers each get a thread of their own, up
    /// to the limit, instead of queueing behind one another.
    #[tokio::test]
    async fn waiting_invocations_run_at_once_up_to_the_limit() {
        let pool = EmbeddedPool::start("t", Arc::from(WAITING), "handler", 1, 8).unwrap();
        assert_eq!(pool.threads(), 1);
        let results = futures_util::future::join_all((0..8).map(|n| call(&pool, n))).await;
        for (n, r) in results.into_iter().enumerate() {
            match r {
                PoolOutcome::Done(EngineInvocation {
                    outcome: EngineOutcome::Result(v),
                    ..
                }) => assert_eq!(v, serde_json::json!(n)),
                other => panic!("{n}: {other:?}"),
            }
        }
        // All eight were submitted while the others waited: eight threads.
        assert_eq!(pool.threads(), 8);
    }

    /// A thread that just answered counts as available before its caller
    /// hears back, so back-to-back invocations never start threads.
    #[tokio::test]
    async fn sequential_invocations_keep_one_thread() {
        let src = "exports.handler = async (e) => e.n;";
        let pool = EmbeddedPool::start("t", Arc::from(src), "handler", 1, 8).unwrap();
        for n in 0..50 {
            assert!(matches!(call(&pool, n).await, PoolOutcome::Done(_)));
        }
        assert_eq!(pool.threads(), 1);
    }

    /// A job that waits for its thread to start and compile the handler (a
    /// cold start) still gets its whole timeout from when the thread takes it.
    #[tokio::test]
    async fn a_cold_start_does_not_count_against_the_timeout() {
        // Compiling this takes far longer than the timeout; running it does not.
        let mut src = String::from("function unused() {\n");
        for i in 0..2_000 {
            src.push_str(&format!("var v{i} = {i} * 2;\n"));
        }
        src.push_str("}\nexports.handler = async (e) => e.n;\n");
        let t = Instant::now();
        LambdaEngine::new(&src, "handler").unwrap();
        let timeout = t.elapsed() / 4;
        let pool = EmbeddedPool::start("t", Arc::from(src), "handler", 1, 1).unwrap();
        let out = pool
            .invoke(Arc::new(serde_json::json!({ "n": 1 })), info(), timeout)
            .await;
        assert!(matches!(out, PoolOutcome::Done(_)), "{out:?}");
    }

    fn answer() -> EngineInvocation {
        EngineInvocation {
            outcome: EngineOutcome::Result(serde_json::Value::Null),
            logs: Vec::new(),
        }
    }

    /// A quick function's caller takes an answer that arrives while it spins.
    #[tokio::test]
    async fn a_caller_spins_for_a_quick_answer() {
        let spinners = AtomicUsize::new(0);
        let (tx, mut rx) = oneshot::channel();
        let worker = std::thread::spawn(move || tx.send(answer()).is_ok());
        // The sender may answer before or during the spin; either way the
        // spin returns it without sleeping on the channel.
        let got = loop {
            if let Some(got) = spin_for(&mut rx, true, &spinners, 1).await {
                break got;
            }
        };
        assert!(got.is_ok());
        assert!(worker.join().unwrap());
        assert_eq!(
            spinners.load(Ordering::Acquire),
            0,
            "the spinner is uncounted"
        );
    }

    /// No spin for a slow function, nor when every spare CPU has a spinner;
    /// a spin that finds nothing gives up after the window.
    #[tokio::test]
    async fn spinning_is_bounded() {
        let spinners = AtomicUsize::new(0);
        let (_tx, mut rx) = oneshot::channel::<EngineInvocation>();
        let t = Instant::now();
        assert!(spin_for(&mut rx, false, &spinners, 1).await.is_none());
        assert!(spin_for(&mut rx, true, &spinners, 0).await.is_none());
        spinners.store(1, Ordering::Release);
        assert!(spin_for(&mut rx, true, &spinners, 1).await.is_none());
        assert!(t.elapsed() < CALLER_SPIN, "refused spins return at once");
        assert_eq!(spinners.load(Ordering::Acquire), 1);
        spinners.store(0, Ordering::Release);
        let t = Instant::now();
        assert!(spin_for(&mut rx, true, &spinners, 1).await.is_none());
        assert!(t.elapsed() >= CALLER_SPIN);
        assert_eq!(spinners.load(Ordering::Acquire), 0);
    }

    /// The recent-time average decides whether callers spin.
    #[test]
    fn a_function_is_quick_while_its_recent_invocations_are() {
        let pool = EmbeddedPool::start(
            "t",
            Arc::from("exports.handler = () => 1;"),
            "handler",
            0,
            1,
        )
        .unwrap();
        let sh = &pool.shared;
        assert!(sh.quick(), "a new function is presumed quick");
        sh.record(Duration::from_secs(2));
        assert!(!sh.quick(), "one 2-second invocation ends the spinning");
        // The 2 s fades by 1/8 per invocation: about 55 to fall under the window.
        for _ in 0..60 {
            sh.record(Duration::from_micros(30));
        }
        assert!(sh.quick(), "quick again after a run of quick invocations");
    }

    #[tokio::test]
    async fn the_pool_never_grows_past_the_limit() {
        let pool = EmbeddedPool::start("t", Arc::from(WAITING), "handler", 1, 3).unwrap();
        let results = futures_util::future::join_all((0..6).map(|n| call(&pool, n))).await;
        // The excess waits in the queue or is refused (the caller's
        // semaphore keeps it from coming in production).
        let done = results
            .iter()
            .filter(|r| matches!(r, PoolOutcome::Done(_)))
            .count();
        assert!(done >= 3, "{results:?}");
        assert!(results
            .iter()
            .all(|r| matches!(r, PoolOutcome::Done(_) | PoolOutcome::Busy)));
        assert_eq!(pool.threads(), 3);
    }

    #[tokio::test]
    async fn idle_threads_above_the_minimum_exit() {
        let pool = EmbeddedPool::start_with_idle_timeout(
            "t",
            Arc::from(WAITING),
            "handler",
            2,
            6,
            Duration::from_millis(10),
        )
        .unwrap();
        futures_util::future::join_all((0..6).map(|n| call(&pool, n))).await;
        let until = Instant::now() + Duration::from_secs(10);
        while pool.threads() > 2 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(pool.threads(), 2);
        // The remaining threads still serve.
        assert!(matches!(call(&pool, 1).await, PoolOutcome::Done(_)));
    }

    #[tokio::test]
    async fn a_timed_out_thread_is_replaced() {
        // Busy for 300 ms: still running when its 50 ms budget ends.
        let src = "exports.handler = async (e) => { \
            const t = Date.now(); while (e.n === 0 && Date.now() - t < 300) {} return e.n; };";
        let pool = EmbeddedPool::start("t", Arc::from(src), "handler", 1, 1).unwrap();
        assert!(matches!(call(&pool, 1).await, PoolOutcome::Done(_)));
        let event = Arc::new(serde_json::json!({ "n": 0 }));
        let r = pool.invoke(event, info(), Duration::from_millis(50)).await;
        assert!(matches!(r, PoolOutcome::TimedOut), "{r:?}");
        assert_eq!(pool.threads(), 0);
        // The stuck thread no longer counts: a new one serves the next call.
        let r = call(&pool, 1).await;
        assert!(matches!(r, PoolOutcome::Done(_)), "{r:?}");
    }
}
