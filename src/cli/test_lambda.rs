//! `cfedge test-lambda`: invoke one Lambda@Edge handler offline with a
//! CloudFront event file (the shape `sam local generate-event cloudfront`
//! produces: `{"Records":[{"cf":{...}}]}`), then print its result, logs,
//! duration and any validation error. Exits non-zero when the invocation
//! fails or the result would be rejected by CloudFront.
//!
//! The core is [`run_event`], which tests call in-process.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::config::Config;
use crate::lambda_edge::result::{request_result, response_result, RequestResult};
use crate::lambda_edge::{EventType, LambdaError, LambdaFunction, LambdaSpec, RuntimeKind};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A config file declaring the function (with --lambda).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// The `[lambdas.<name>]` to invoke (needs --config).
    #[arg(long, conflicts_with = "file")]
    pub lambda: Option<String>,
    /// The handler file (or package directory), without a config.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Module and export, as in Lambda.
    #[arg(long, default_value = "index.handler")]
    pub handler: String,
    /// `embedded` or `nodejs`.
    #[arg(long, default_value = "embedded")]
    pub runtime: String,
    /// Timeout in seconds with --file (default: 5 for viewer events, 30 for origin events).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// The event file.
    #[arg(long, short = 'e')]
    pub event: PathBuf,
}

/// What a test invocation produced.
#[derive(Debug, Clone)]
pub struct Report {
    pub event_type: EventType,
    /// The handler's result, or why the invocation failed.
    pub result: Result<Value, LambdaError>,
    /// CloudFront's verdict on the result (`Ok` with a one-line summary).
    pub verdict: Result<String, LambdaError>,
    pub logs: Vec<String>,
    pub duration: Duration,
}

impl Report {
    /// The error CloudFront would answer with, if any.
    pub fn error(&self) -> Option<&LambdaError> {
        self.result.as_ref().err().or(self.verdict.as_ref().err())
    }
}

/// Invoke `function` with a CloudFront event and validate the result the
/// way the edge would. `Err` means the event itself is unusable.
pub async fn run_event(function: &LambdaFunction, event: &Value) -> Result<Report, String> {
    let cf = event
        .pointer("/Records/0/cf")
        .ok_or("the event has no Records[0].cf")?;
    let event_type = cf
        .pointer("/config/eventType")
        .and_then(Value::as_str)
        .and_then(EventType::parse)
        .ok_or("Records[0].cf.config.eventType must be viewer-request, origin-request, origin-response or viewer-response")?;
    let request = cf
        .get("request")
        .ok_or("the event has no Records[0].cf.request")?;
    let response = if event_type.is_request() {
        None
    } else {
        Some(
            cf.get("response")
                .ok_or("a response event needs Records[0].cf.response")?,
        )
    };
    let request_id = cf
        .pointer("/config/requestId")
        .and_then(Value::as_str)
        .unwrap_or("cfedge-test-lambda");
    let inv = function
        .invoke(event_type, std::sync::Arc::new(event.clone()), request_id)
        .await;
    let verdict = match &inv.result {
        Err(e) => Err(e.clone()),
        Ok(value) => match response {
            None => request_result(event_type, request, value).map(|r| match r {
                RequestResult::Respond(g) => {
                    format!(
                        "generated response {} ({} body bytes)",
                        g.status.as_u16(),
                        g.body.len()
                    )
                }
                RequestResult::Continue(c) => {
                    let mut s = format!(
                        "request continues to {}{}{}",
                        c.uri,
                        if c.querystring.is_empty() { "" } else { "?" },
                        c.querystring
                    );
                    if let Some(o) = &c.origin {
                        s.push_str(&format!("; origin changed to {o}"));
                    }
                    if let Some(b) = &c.body {
                        s.push_str(&format!("; body replaced ({} bytes)", b.len()));
                    }
                    s
                }
            }),
            Some(original) => response_result(event_type, original, value)
                .map(|r| format!("response {}", r.status.as_u16())),
        },
    };
    Ok(Report {
        event_type,
        result: inv.result,
        verdict,
        logs: inv.logs,
        duration: inv.duration,
    })
}

/// Build the function the arguments name.
pub fn function_from_args(args: &Args) -> Result<Arc<LambdaFunction>, String> {
    if let Some(name) = &args.lambda {
        let path = args.config.as_ref().ok_or("--lambda needs --config")?;
        let config = Config::load(path).map_err(|e| e.to_string())?;
        return config
            .features
            .lambdas
            .get(name)
            .ok_or_else(|| format!("{} declares no [lambdas.{name}]", path.display()));
    }
    let file = args
        .file
        .as_ref()
        .ok_or("give --file (and --handler, --runtime) or --config with --lambda")?;
    let runtime = RuntimeKind::parse(&args.runtime)
        .ok_or_else(|| format!("--runtime \"{}\" must be embedded or nodejs", args.runtime))?;
    let mut spec = LambdaSpec::new("test-lambda", file, runtime);
    spec.handler = args.handler.clone();
    spec.timeout = args.timeout.map(Duration::from_secs);
    spec.workers = 1;
    LambdaFunction::start(spec)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// Run the command.
pub fn run(args: Args) -> ExitCode {
    let event = match std::fs::read_to_string(&args.event)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "cfedge test-lambda: cannot read {}: {e}",
                args.event.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cfedge test-lambda: {e}");
            return ExitCode::FAILURE;
        }
    };
    let function = match function_from_args(&args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cfedge test-lambda: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = match rt.block_on(run_event(&function, &event)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cfedge test-lambda: {}: {e}", args.event.display());
            return ExitCode::FAILURE;
        }
    };
    println!("Event: {}", report.event_type.as_str());
    if let Ok(v) = &report.result {
        println!("Result:");
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }
    println!("Logs:");
    for line in &report.logs {
        println!("  {line}");
    }
    println!("Duration: {:.3} ms", report.duration.as_secs_f64() * 1000.0);
    match report.error() {
        None => {
            if let Ok(summary) = &report.verdict {
                println!("Valid: {summary}");
            }
            ExitCode::SUCCESS
        }
        Some(e) => {
            let status = crate::error::EdgeError::from(e.clone()).answer();
            println!("Error: {e}");
            println!(
                "CloudFront would answer {} ({})",
                status.status.as_u16(),
                status.x_cache
            );
            ExitCode::FAILURE
        }
    }
}
