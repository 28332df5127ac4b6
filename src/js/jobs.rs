//! The engines' job queue (boa's `JobExecutor`).
//!
//! A CloudFront Function runs its promise jobs twice per invocation (after
//! the handler returns, and after its result is read), a Lambda handler once
//! per await; boa's `SimpleJobExecutor` costs ~1.6k instructions per
//! `run_jobs` even when there is nothing to run.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use boa_engine::job::{Job, JobExecutor, PromiseJob, SimpleJobExecutor};
use boa_engine::{Context, JsResult};

/// The job queue of every context: promise jobs first in, first out, as
/// boa's `SimpleJobExecutor` runs them, without its per-run machinery
/// (futures, a clock read and timer-map split per round: ~4k instructions per
/// `run_jobs` for one promise job). The jobs handlers never make here
/// (timeouts, async and generic jobs, `FinalizationRegistry` clean-ups) are
/// handed to a `SimpleJobExecutor`, run once the promise jobs are done.
#[derive(Default)]
pub(super) struct PromiseJobs {
    promise: RefCell<VecDeque<PromiseJob>>,
    other: Rc<SimpleJobExecutor>,
    /// Whether `other` was given a job since it last ran.
    other_pending: Cell<bool>,
}

impl JobExecutor for PromiseJobs {
    fn enqueue_job(self: Rc<Self>, job: Job, ctx: &mut Context) {
        match job {
            Job::PromiseJob(job) => self.promise.borrow_mut().push_back(job),
            job => {
                self.other_pending.set(true);
                self.other.clone().enqueue_job(job, ctx);
            }
        }
    }

    fn run_jobs(self: Rc<Self>, ctx: &mut Context) -> JsResult<()> {
        loop {
            loop {
                let Some(job) = self.promise.borrow_mut().pop_front() else {
                    break;
                };
                if let Err(e) = job.call(ctx) {
                    self.promise.borrow_mut().clear();
                    return Err(e);
                }
            }
            ctx.clear_kept_objects();
            if !self.other_pending.replace(false) {
                return Ok(());
            }
            self.other.clone().run_jobs(ctx)?;
        }
    }
}
