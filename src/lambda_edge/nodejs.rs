//! The `nodejs` runtime: real Node.js handlers, unmodified, in a pool of
//! long-lived `node` worker processes (warm between invocations like a
//! Lambda container). cfedge talks to each worker over JSON lines on
//! stdin/stdout (the bootstrap script is embedded in the binary and passed
//! with `node -e`); a worker runs one invocation at a time.
//!
//! A worker that crashes, answers garbage or overruns its timeout is killed
//! and dropped; the next invocation starts a fresh one. Cancel-safety:
//! dropping the future of [`NodePool::invoke`] drops the worker it was
//! using, which kills the process (`kill_on_drop`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

const BOOTSTRAP: &str = include_str!("node_bootstrap.js");
/// Marks protocol lines on the worker's stdout.
const MARK: &str = "\u{1e}cfedge:";
/// Time a new worker gets to start and load the handler module (Lambda's init phase).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

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
}

/// The worker processes of one `nodejs` function.
pub struct NodePool {
    name: String,
    node: PathBuf,
    file: PathBuf,
    handler: String,
    idle: Mutex<Vec<Worker>>,
    slots: Semaphore,
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
    /// A pool of up to `workers` processes running `handler` from `file`.
    pub fn new(name: &str, node: PathBuf, file: PathBuf, handler: &str, workers: usize) -> Self {
        NodePool {
            name: name.to_owned(),
            node,
            file,
            handler: handler.to_owned(),
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(workers.max(1)),
        }
    }

    /// Start workers until `n` are warm (optional; invocations start them lazily).
    pub async fn warm(&self, n: usize) -> Result<(), String> {
        let have = self.idle.lock().map(|v| v.len()).unwrap_or(0);
        for _ in have..n {
            let w = self.spawn().await?;
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(w);
            }
        }
        Ok(())
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
        let pooled = self.idle.lock().ok().and_then(|mut v| v.pop());
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
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(worker);
                }
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
        let mut worker = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            next_id: 1,
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
