//! The `TestFunction` API, offline (spec §4.7): run a function on a test
//! event and report a `TestResult` (`FunctionSummary`, `ComputeUtilization`
//! as a string, `FunctionExecutionLogs`, `FunctionErrorMessage`,
//! `FunctionOutput` as a JSON string). Used by `cfedge test-function` and by
//! the tests that run every example in `functions/`.

use serde_json::{json, Value};

use super::event::{Event, EventType};
use super::BudgetMode;
use super::CloudFrontFunction;
use crate::js::EdgeLocation;

/// The result of one test run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub function_name: String,
    pub runtime: &'static str,
    /// 0–100: wall time as a percentage of the budget (capped at 100).
    pub compute_utilization: u32,
    pub logs: Vec<String>,
    /// Empty on success.
    pub error_message: String,
    /// The returned object (empty when the function failed).
    pub output: Option<Value>,
    /// Why the edge would reject a result the test accepts (a changed
    /// read-only header, a disallowed header...): not part of `TestResult`,
    /// which does not report it (spec §4.7), but a 502 in production.
    pub edge_error: Option<String>,
}

impl TestResult {
    /// Whether the function ran and returned a valid object.
    pub fn succeeded(&self) -> bool {
        self.error_message.is_empty()
    }

    /// `{"TestResult": {...}}` as the CloudFront API prints it.
    pub fn to_json(&self) -> Value {
        json!({ "TestResult": {
            "FunctionSummary": {
                "Name": self.function_name,
                "Status": "UNASSOCIATED",
                "FunctionConfig": { "Comment": "", "Runtime": self.runtime },
                "FunctionMetadata": { "Stage": "DEVELOPMENT" },
            },
            "ComputeUtilization": self.compute_utilization.to_string(),
            "FunctionExecutionLogs": self.logs,
            "FunctionErrorMessage": self.error_message,
            "FunctionOutput": self.output.as_ref().map(Value::to_string).unwrap_or_default(),
        }})
    }
}

/// Parse a test event file: the CloudFront console format, or an object
/// with the event under `"event"` (the `functions/*/events/*.json` cases).
pub fn parse_event(text: &str, event_type: Option<EventType>) -> Result<Event, String> {
    let v = super::event::parse_json(text)?;
    let ev = v.get("event").filter(|e| e.is_object()).unwrap_or(&v);
    Event::from_json(ev, event_type)
}

/// Run `func` on `event` as `TestFunction` does. Origin changes are not
/// checked, only that the code runs (spec §4.3). The `TestResult` only
/// fails on what the test API catches (the status code and the body; a
/// changed read-only header is not caught, spec §4.7); everything else the
/// edge would answer with a 502 is in [`TestResult::edge_error`].
pub fn run(func: &CloudFrontFunction, event: &Event) -> TestResult {
    let edge = (event.context.event_type == EventType::ViewerRequest).then(|| EdgeLocation {
        name: "LOCAL".to_owned(),
        server_ip: "127.0.0.1".to_owned(),
        region: "local".to_owned(),
    });
    // TestFunction reports the utilization; throttling is an edge matter.
    let report = func.run_event(event, edge, BudgetMode::ReportOnly);
    let util = func.compute_utilization(&report).min(100);
    let (output, error_message, edge_error) = match &report.result {
        Ok(out) => match validate(out) {
            Ok(()) => (
                Some(out.to_json()),
                String::new(),
                super::event::check_at_edge(event, out)
                    .and_then(|()| check_origin(event, out, report.origin.as_ref()))
                    .err()
                    .map(|e| e.to_string()),
            ),
            Err(e) => (None, e.to_string(), None),
        },
        Err(e) => (None, error_message(e), None),
    };
    TestResult {
        function_name: func.name.clone(),
        runtime: func.dialect().name(),
        compute_utilization: util,
        logs: report.logs,
        error_message,
        output,
        edge_error,
    }
}

/// The origin helpers' arguments, checked as the edge checks them (the test
/// API itself does not run origin changes, spec §4.3).
fn check_origin(
    event: &Event,
    out: &super::event::Output,
    origin: Option<&super::origin::OriginRequest>,
) -> Result<(), super::FunctionError> {
    let Some(origin) = origin else {
        return Ok(());
    };
    let change = super::origin::to_override(origin)?;
    if let super::event::Output::Request(r) = out {
        let headers = super::event::request_headers(&event.request, r)?;
        super::origin::check_custom_headers(&change, &headers)?;
    }
    Ok(())
}

/// What the test API says of a failed run. An exception reads as the
/// console shows it, CloudFront's sentence and then the error (choice: the
/// engine's own wording of the error, boa's, differs from CloudFront's).
fn error_message(e: &super::FunctionError) -> String {
    match e {
        super::FunctionError::Execution(m) => format!("{EXECUTION_ERROR} {m}"),
        other => other.to_string(),
    }
}

/// How `FunctionErrorMessage` starts for an exception.
pub const EXECUTION_ERROR: &str =
    "The CloudFront function associated with the CloudFront distribution is invalid or could not run.";

/// The checks the test API does make on a returned object.
fn validate(out: &super::event::Output) -> Result<(), super::FunctionError> {
    use super::event::{body_bytes, status_code, Output};
    if let Output::Response(r) = out {
        status_code(r.status_code)?;
        if let Some(b) = &r.body {
            body_bytes(b)?;
        }
    }
    Ok(())
}
