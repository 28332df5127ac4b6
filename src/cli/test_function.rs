//! `cfedge test-function`: run a CloudFront Function on a test event,
//! offline, and print the `TestResult` as the CloudFront API does
//! (spec §4.7). Exits non-zero when the function fails, or when the edge
//! would reject its result (which the test API does not always catch).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::cloudfront_functions::event::EventType;
use crate::cloudfront_functions::kvs::KeyValueStore;
use crate::cloudfront_functions::test::{self, TestResult};
use crate::cloudfront_functions::{CloudFrontFunction, DEFAULT_BUDGET, MAX_CODE_BYTES};
use crate::js::Dialect;

/// Event types accepted by `--event-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventTypeArg {
    ViewerRequest,
    ViewerResponse,
}

/// Arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The cfedge config that declares the function (with --function).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The function's name in [functions] (needs --config).
    #[arg(long, conflicts_with = "file")]
    pub function: Option<String>,
    /// A JavaScript file to test directly.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The test event (CloudFront console format).
    #[arg(long)]
    pub event: PathBuf,
    /// The event type; by default the event's context.eventType.
    #[arg(long, value_enum)]
    pub event_type: Option<EventTypeArg>,
    /// The runtime for --file: cloudfront-js-2.0 (default) or cloudfront-js-1.0.
    #[arg(long)]
    pub runtime: Option<String>,
    /// A key value store JSON file for --file.
    #[arg(long)]
    pub kvs: Option<PathBuf>,
}

/// Load the function and the event, run it, and return the result.
pub fn execute(args: &Args) -> Result<TestResult, String> {
    let func = load_function(args)?;
    let text = std::fs::read_to_string(&args.event)
        .map_err(|e| format!("cannot read {}: {e}", args.event.display()))?;
    let event_type = args.event_type.map(|t| match t {
        EventTypeArg::ViewerRequest => EventType::ViewerRequest,
        EventTypeArg::ViewerResponse => EventType::ViewerResponse,
    });
    let event = test::parse_event(&text, event_type)
        .map_err(|e| format!("{}: {e}", args.event.display()))?;
    // On a thread with the stack `serve` gives JavaScript (js::nesting docs),
    // so deep recursion ends here as it would at the edge.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("test-function".into())
            .stack_size(crate::js::JS_THREAD_STACK_BYTES)
            .spawn_scoped(scope, || {
                let result = test::run(&func, &event);
                crate::js::release_thread_engine();
                result
            })
            .map_err(|e| format!("cannot start the function's thread: {e}"))?
            .join()
            .map_err(|_| "the function's thread panicked".to_owned())
    })
}

fn load_function(args: &Args) -> Result<Arc<CloudFrontFunction>, String> {
    match (&args.config, &args.function, &args.file) {
        (Some(config), Some(name), None) => {
            let cfg = crate::config::Config::load(config).map_err(|e| e.to_string())?;
            cfg.features.functions.get(name).ok_or_else(|| {
                format!(
                    "{}: no function \"{name}\" in [functions]",
                    config.display()
                )
            })
        }
        (None, Some(_), _) => Err("--function needs --config".into()),
        (_, None, Some(file)) => {
            let dialect = match args.runtime.as_deref() {
                None => Dialect::CloudFrontJs2,
                Some(r) => Dialect::parse(r).ok_or_else(|| {
                    format!("unknown runtime \"{r}\" (cloudfront-js-1.0 or cloudfront-js-2.0)")
                })?,
            };
            let code = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            if code.len() > MAX_CODE_BYTES {
                return Err(format!(
                    "{} is {} bytes; CloudFront Functions are limited to {MAX_CODE_BYTES} bytes",
                    file.display(),
                    code.len()
                ));
            }
            let kvs = args.kvs.as_deref().map(load_kvs).transpose()?;
            let name = file.file_stem().map_or_else(
                || "function".to_owned(),
                |s| s.to_string_lossy().into_owned(),
            );
            CloudFrontFunction::from_code(&name, &code, dialect, kvs, DEFAULT_BUDGET)
                .map(Arc::new)
                .map_err(|e| {
                    let loc = match (e.line, e.column) {
                        (Some(l), Some(c)) => format!(":{l}:{c}"),
                        (Some(l), None) => format!(":{l}"),
                        _ => String::new(),
                    };
                    format!("{}{loc}: {}", file.display(), e.message)
                })
        }
        _ => Err("give either --config with --function, or --file".into()),
    }
}

fn load_kvs(path: &Path) -> Result<Arc<KeyValueStore>, String> {
    KeyValueStore::load("kvs", path, "--kvs")
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// Run the command.
pub fn run(args: Args) -> ExitCode {
    match execute(&args) {
        Ok(result) => {
            let text = serde_json::to_string_pretty(&result.to_json()).unwrap_or_default();
            println!("{text}");
            if let Some(e) = &result.edge_error {
                eprintln!(
                    "cfedge test-function: the test passes, but the edge rejects this result \
                     (502 FunctionValidationError): {e}"
                );
            }
            if result.succeeded() && result.edge_error.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("cfedge test-function: {e}");
            ExitCode::from(2)
        }
    }
}
