//! The `embedded` runtime's worker pool: a few std threads, each owning one
//! [`LambdaEngine`] (boa contexts are `!Send`), fed through a bounded channel
//! and answering through a tokio oneshot. Handlers with budgets of seconds
//! never run on the proxy's I/O threads.
//!
//! A caller that times out marks its job *retired* and starts a replacement
//! thread at once, so the pool keeps its size; the stuck thread finishes
//! (boa's loop limit or the job deadline stop it), drops its context and
//! exits instead of taking more work (architecture habit 11). Cancel-safety:
//! dropping the future of [`EmbeddedPool::invoke`] abandons the job; the
//! worker skips jobs whose caller has gone.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::js::lambda_runtime::{EngineInvocation, EngineOutcome, InvokeInfo, LambdaEngine};

/// Threads stuck past their deadline that may be replaced at once; beyond
/// this, a function that always hangs stops growing the process.
const MAX_STUCK_THREADS: usize = 16;

struct Job {
    event: serde_json::Value,
    info: InvokeInfo,
    deadline: Instant,
    reply: oneshot::Sender<EngineInvocation>,
    retired: Arc<AtomicBool>,
}

struct Shared {
    name: String,
    source: Arc<str>,
    handler: String,
    jobs: Mutex<Receiver<Job>>,
    stuck: AtomicUsize,
}

/// How an embedded invocation ended, seen from the caller.
#[derive(Debug)]
pub enum PoolOutcome {
    Done(EngineInvocation),
    TimedOut,
    /// The queue is full (more jobs waiting than the concurrency limit).
    Busy,
    /// The worker died (a bug in the engine); already logged.
    Crashed,
}

/// The worker threads of one embedded function.
pub struct EmbeddedPool {
    shared: Arc<Shared>,
    jobs: SyncSender<Job>,
}

impl std::fmt::Debug for EmbeddedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedPool")
            .field("name", &self.shared.name)
            .finish_non_exhaustive()
    }
}

impl EmbeddedPool {
    /// Start `workers` threads for `source`; `queue` bounds waiting jobs.
    pub fn start(
        name: &str,
        source: Arc<str>,
        handler: &str,
        workers: usize,
        queue: usize,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(queue.max(1));
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            source,
            handler: handler.to_owned(),
            jobs: Mutex::new(rx),
            stuck: AtomicUsize::new(0),
        });
        for _ in 0..workers.max(1) {
            spawn_worker(&shared)?;
        }
        Ok(EmbeddedPool { shared, jobs: tx })
    }

    /// Run one invocation with a wall-clock `timeout`.
    pub async fn invoke(
        &self,
        event: serde_json::Value,
        info: InvokeInfo,
        timeout: Duration,
    ) -> PoolOutcome {
        let (reply, rx) = oneshot::channel();
        let retired = Arc::new(AtomicBool::new(false));
        let job = Job {
            event,
            info,
            deadline: Instant::now() + timeout,
            reply,
            retired: retired.clone(),
        };
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return PoolOutcome::Busy,
            Err(TrySendError::Disconnected(_)) => return PoolOutcome::Crashed,
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(done)) => PoolOutcome::Done(done),
            Ok(Err(_)) => PoolOutcome::Crashed,
            Err(_) => {
                retired.store(true, Ordering::SeqCst);
                if self.shared.stuck.fetch_add(1, Ordering::SeqCst) < MAX_STUCK_THREADS {
                    if let Err(e) = spawn_worker(&self.shared) {
                        tracing::error!(lambda = %self.shared.name, "cannot start a replacement worker: {e}");
                    }
                } else {
                    tracing::warn!(lambda = %self.shared.name, "too many stuck workers; not replacing");
                }
                PoolOutcome::TimedOut
            }
        }
    }
}

fn spawn_worker(shared: &Arc<Shared>) -> std::io::Result<()> {
    let shared = shared.clone();
    std::thread::Builder::new()
        .name(format!("lambda-{}", shared.name))
        .spawn(move || worker(&shared))
        .map(|_| ())
}

fn worker(shared: &Shared) {
    let mut engine: Option<LambdaEngine> = None;
    loop {
        if engine.is_none() {
            engine = LambdaEngine::new(&shared.source, &shared.handler)
                .map_err(|e| tracing::error!(lambda = %shared.name, "engine start failed: {}", e.message))
                .ok();
        }
        let job = match shared.jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return; // The function was dropped.
        };
        if job.reply.is_closed() {
            if job.retired.load(Ordering::SeqCst) {
                // Timed out while queued: its replacement already exists.
                shared.stuck.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            continue;
        }
        let outcome = match engine.as_mut() {
            Some(e) => std::panic::catch_unwind(AssertUnwindSafe(|| {
                e.invoke(&job.event, &job.info, job.deadline)
            }))
            .unwrap_or_else(|_| {
                tracing::error!(lambda = %shared.name, "the JS engine panicked; discarding it");
                EngineInvocation {
                    outcome: EngineOutcome::Error("internal runtime error".into()),
                    logs: Vec::new(),
                }
            }),
            None => EngineInvocation {
                outcome: EngineOutcome::Error("the embedded runtime could not start".into()),
                logs: Vec::new(),
            },
        };
        if job.retired.load(Ordering::SeqCst) {
            // Our caller gave up and replaced us: leave with the context.
            drop(engine.take());
            shared.stuck.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let overran = Instant::now() > job.deadline;
        let failed = matches!(outcome.outcome, EngineOutcome::Error(ref m) if m.starts_with("runtime limit") || m == "internal runtime error");
        let _ = job.reply.send(outcome);
        if overran || failed {
            // Never reuse a context in an unknown state.
            drop(engine.take());
        }
    }
}
