//! The `nodejs` runtime: real Node.js handlers, unmodified, in a pool of
//! long-lived `node` worker processes (warm between invocations like a
//! Lambda container). cfedge talks to each worker over JSON lines on
//! stdin/stdout (the bootstrap script is embedded in the binary and passed
//! with `node -e`); a worker runs one invocation at a time.
//!
//! **Elastic, like Lambda's execution environments** (spec §5.3): `min`
//! processes (the `workers` setting) stay warm; an invocation that finds no
//! idle process starts one (a cold start, whose init phase does not count
//! against the timeout), up to `max`; a process above `min` idle for
//! [`IDLE_TIMEOUT`] is stopped. A hook awaiting a slow call so holds only
//! its own process. `max` is the concurrency limit, capped at
//! [`MAX_PROCESSES`] (a process costs about 40 MB): past it, invocations
//! wait for a free process, and the wait counts against their timeout.
//!
//! A worker that crashes, answers garbage or overruns its timeout is killed
//! and dropped; the next invocation starts a fresh one. Cancel-safety:
//! dropping the future of [`NodePool::invoke`] drops the worker it was
//! using, which kills the process (`kill_on_drop`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

const BOOTSTRAP: &str = include_str!("node_bootstrap.js");
/// Marks protocol lines on the worker's stdout.
const MARK: &str = "\u{1e}cfedge:";
/// Time a new worker gets to start and load the handler module (Lambda's init phase).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most processes one function runs at once, whatever its concurrency limit.
pub const MAX_PROCESSES: usize = 64;
/// How long a process above the warm minimum stays idle before it is stopped.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The `node` binary: `$CFEDGE_NODE`, else `node` on `PATH`.
pub fn node_binary() -> PathBuf {
    std::env::var_os("CFEDGE_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("node"))
}

/// Check that `node` runs; returns its version.
pub fn check_node(node: &Path) -> Result<String, String> {
    match std::process::Command::new(node).arg("--version").output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
        Ok(out) => Err(format!(
            "`{} --version` failed: {}",
            node.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!(
            "cannot run `{}` ({e}); install Node.js or set CFEDGE_NODE",
            node.display()
        )),
    }
}

/// What a worker answered.
#[derive(Debug, Deserialize)]
struct Reply {
    id: u64,
    ok: bool,
    #[serde(default)]
    result: serde_json::Value,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    logs: Vec<String>,
}

/// How a Node.js invocation ended.
#[derive(Debug)]
pub enum NodeOutcome {
    Result(serde_json::Value, Vec<String>),
    Error(String, Vec<String>),
    TimedOut,
    /// The worker died or could not start (message says why).
    Crashed(String),
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: u64,
    /// The pool's count of live processes, which this one leaves on drop.
    live: Arc<AtomicUsize>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // `kill_on_drop`: the process goes with its handle.
        self.live.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An idle worker and since when.
struct Idle {
    worker: Worker,
    since: Instant,
}

/// What the pool and its idle reaper share.
struct Shared {
    /// Idle workers, most recently used last.
    idle: Mutex<Vec<Idle>>,
    /// Live processes, idle or busy.
    live: Arc<AtomicUsize>,
    min: usize,
}

impl Shared {
    /// Stop the processes above `min` idle for [`IDLE_TIMEOUT`] at `now`.
    fn reap(&self, now: Instant) {
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        // Oldest first; each removal drops (kills) one process.
        while self.live.load(Ordering::Acquire) > self.min
            && idle
                .first()
                .is_some_and(|w| now.saturating_duration_since(w.since) >= IDLE_TIMEOUT)
        {
            idle.remove(0);
        }
    }
}

/// The worker processes of one `nodejs` function.
pub struct NodePool {
    name: String,
    node: PathBuf,
    file: PathBuf,
    handler: String,
    shared: Arc<Shared>,
    /// Busy processes at most (`max`).
    slots: Semaphore,
    reaper_started: AtomicBool,
}

impl std::fmt::Debug for NodePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodePool")
            .field("name", &self.name)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl NodePool {
    /// A pool running `handler` from `file`: `min` processes kept warm once
    /// started, up to `max` (at most [`MAX_PROCESSES`]) while invocations wait.
    pub fn new(
        name: &str,
        node: PathBuf,
        file: PathBuf,
        handler: &str,
        min: usize,
        max: usize,
    ) -> Self {
        let min = min.max(1);
        let max = max.min(MAX_PROCESSES).max(min);
        NodePool {
            name: name.to_owned(),
            node,
            file,
            handler: handler.to_owned(),
            shared: Arc::new(Shared {
                idle: Mutex::new(Vec::new()),
                live: Arc::new(AtomicUsize::new(0)),
                min,
            }),
            slots: Semaphore::new(max),
            reaper_started: AtomicBool::new(false),
        }
    }

    /// Live `node` processes, idle or busy.
    pub fn processes(&self) -> usize {
        self.shared.live.load(Ordering::Acquire)
    }

    /// Stop the processes above the warm minimum that were idle for the idle
    /// timeout at `now` (the reaper task does this periodically).
    pub fn reap(&self, now: Instant) {
        self.shared.reap(now);
    }

    /// Start workers until `n` are warm (optional; invocations start them lazily).
    pub async fn warm(&self, n: usize) -> Result<(), String> {
        let have = self.shared.idle.lock().map(|v| v.len()).unwrap_or(0);
        for _ in have..n {
            let w = self.spawn().await?;
            self.put_back(w);
        }
        Ok(())
    }

    fn put_back(&self, worker: Worker) {
        if let Ok(mut idle) = self.shared.idle.lock() {
            idle.push(Idle {
                worker,
                since: Instant::now(),
            });
        }
    }

    /// Once processes above the minimum exist, stop them when they idle.
    fn start_reaper(&self) {
        if self.reaper_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        let every = IDLE_TIMEOUT / 2;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(shared) = shared.upgrade() else {
                    return; // The pool is gone.
                };
                shared.reap(Instant::now());
            }
        });
    }

    /// Run one invocation; `timeout` covers waiting for a free worker and the handler.
    pub async fn invoke(
        &self,
        event: &serde_json::Value,
        request_id: &str,
        timeout: Duration,
    ) -> NodeOutcome {
        let mut deadline = tokio::time::Instant::now() + timeout;
        let Ok(Ok(_slot)) = tokio::time::timeout_at(deadline, self.slots.acquire()).await else {
            return NodeOutcome::TimedOut;
        };
        let pooled = self
            .shared
            .idle
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .map(|i| i.worker);
        // A cold start's init phase does not count against the timeout.
        let cold = pooled.is_none();
        let mut worker = match pooled {
            Some(w) => w,
            None => match self.spawn().await {
                Ok(w) => w,
                Err(e) => return NodeOutcome::Crashed(e),
            },
        };
        if cold {
            deadline = tokio::time::Instant::now() + timeout;
        }
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout_at(
            deadline,
            worker.call(event, &self.name, request_id, remaining),
        )
        .await
        {
            Ok(Ok(reply)) => {
                self.put_back(worker);
                if reply.ok {
                    NodeOutcome::Result(reply.result, reply.logs)
                } else {
                    NodeOutcome::Error(
                        reply.error.unwrap_or_else(|| "unknown error".into()),
                        reply.logs,
                    )
                }
            }
            Ok(Err(e)) => {
                let status = worker.kill().await;
                NodeOutcome::Crashed(format!("{e}{status}"))
            }
            Err(_) => {
                worker.kill().await;
                NodeOutcome::TimedOut
            }
        }
    }

    async fn spawn(&self) -> Result<Worker, String> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        let mut child = Command::new(&self.node)
            .arg("-e")
            .arg(BOOTSTRAP)
            .env("CFEDGE_LAMBDA_FILE", &self.file)
            .env("CFEDGE_LAMBDA_HANDLER", &self.handler)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", self.node.display()))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("node worker pipes missing".into());
        };
        let name = self.name.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(lambda = %name, "{line}");
            }
        });
        self.shared.live.fetch_add(1, Ordering::AcqRel);
        if self.processes() > self.shared.min {
            self.start_reaper();
        }
        let mut worker = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            next_id: 1,
            live: self.shared.live.clone(),
        };
        match tokio::time::timeout(INIT_TIMEOUT, worker.read_reply(0)).await {
            Ok(Ok(r)) if r.ok => Ok(worker),
            Ok(Ok(r)) => {
                worker.kill().await;
                Err(format!(
                    "the handler failed to load: {}",
                    r.error.unwrap_or_default()
                ))
            }
            Ok(Err(e)) => {
                let status = worker.kill().await;
                Err(format!("the node worker failed to start: {e}{status}"))
            }
            Err(_) => {
                worker.kill().await;
                Err("the node worker did not load the handler within 10 s".into())
            }
        }
    }
}

impl Worker {
    async fn call(
        &mut self,
        event: &serde_json::Value,
        name: &str,
        request_id: &str,
        remaining: Duration,
    ) -> Result<Reply, String> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = serde_json::json!({
            "id": id,
            "event": event,
            "functionName": name,
            "requestId": request_id,
            "timeoutMs": remaining.as_millis() as u64,
        });
        let mut line = msg.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| format!("the node worker is gone ({e})"))?;
        self.stdin
            .flush()
            .await
            .map_err(|e| format!("the node worker is gone ({e})"))?;
        self.read_reply(id).await
    }

    /// Read stdout until the protocol line for `id`; other lines are logs.
    async fn read_reply(&mut self, id: u64) -> Result<Reply, String> {
        let mut stray = Vec::new();
        loop {
            let line = self
                .stdout
                .next_line()
                .await
                .map_err(|e| format!("reading from the node worker failed: {e}"))?
                .ok_or_else(|| "the node worker exited".to_owned())?;
            let Some(json) = line.strip_prefix(MARK) else {
                stray.push(format!("INFO\t{line}"));
                continue;
            };
            let mut reply: Reply = serde_json::from_str(json)
                .map_err(|e| format!("the node worker answered garbage: {e}"))?;
            if reply.id != id {
                continue; // A late answer from an invocation we gave up on.
            }
            if !stray.is_empty() {
                stray.append(&mut reply.logs);
                reply.logs = stray;
            }
            return Ok(reply);
        }
    }

    /// Kill the process; returns " (exit status ...)" when known.
    async fn kill(&mut self) -> String {
        let _ = self.child.start_kill();
        match tokio::time::timeout(Duration::from_secs(1), self.child.wait()).await {
            Ok(Ok(status)) => format!(" ({status})"),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // These need `node` on PATH, as the runtime does (`.ci/run` installs it).
    fn pool(dir: &tempfile::TempDir, src: &str, min: usize, max: usize) -> NodePool {
        let file = dir.path().join("index.js");
        std::fs::write(&file, src).unwrap();
        NodePool::new("t", node_binary(), file, "handler", min, max)
    }

    /// Each invocation arrives, then waits until `n` have: it can only end
    /// if all `n` run at once, each in a process of its own.
    const RENDEZVOUS: &str = r#"const fs = require('fs');
        exports.handler = async (event) => {
            fs.appendFileSync(event.file, 'x');
            while (fs.readFileSync(event.file, 'utf8').length < event.n) {
                await new Promise((r) => setTimeout(r, 5));
            }
            return 'met';
        };"#;

    #[tokio::test]
    async fn waiting_invocations_each_get_a_process_and_idle_ones_stop() {
        let dir = tempfile::tempdir().unwrap();
        let p = pool(&dir, RENDEZVOUS, 1, 4);
        let event = json!({ "file": dir.path().join("arrivals"), "n": 4 });
        let calls = (0..4).map(|_| p.invoke(&event, "r", Duration::from_secs(20)));
        for r in futures_util::future::join_all(calls).await {
            assert!(
                matches!(&r, NodeOutcome::Result(v, _) if v == "met"),
                "{r:?}"
            );
        }
        assert_eq!(p.processes(), 4);
        p.reap(Instant::now());
        assert_eq!(p.processes(), 4, "not idle long enough yet");
        p.reap(Instant::now() + IDLE_TIMEOUT);
        assert_eq!(p.processes(), 1, "back to the warm minimum");
    }

    #[tokio::test]
    async fn past_the_process_cap_invocations_wait_for_a_free_process() {
        let dir = tempfile::tempdir().unwrap();
        let src = "exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 30)); return e.n; };";
        let p = pool(&dir, src, 1, 2);
        let events: Vec<_> = (0..5).map(|n| json!({ "n": n })).collect();
        let calls = events
            .iter()
            .map(|e| p.invoke(e, "r", Duration::from_secs(20)));
        let results = futures_util::future::join_all(calls).await;
        for (n, r) in results.iter().enumerate() {
            assert!(
                matches!(r, NodeOutcome::Result(v, _) if *v == json!(n)),
                "{r:?}"
            );
        }
        assert!(p.processes() <= 2, "{} processes", p.processes());
    }

    #[test]
    fn the_cap_bounds_a_large_concurrency_limit() {
        let p = NodePool::new(
            "t",
            node_binary(),
            PathBuf::from("x.js"),
            "handler",
            2,
            1_000,
        );
        assert_eq!(p.slots.available_permits(), MAX_PROCESSES);
        let p = NodePool::new("t", node_binary(), PathBuf::from("x.js"), "handler", 2, 1);
        assert_eq!(
            p.slots.available_permits(),
            2,
            "never below the warm minimum"
        );
    }
}
