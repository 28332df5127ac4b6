//! `cfedge test-lambda`: Invoke a Lambda@Edge handler offline. STUB.

use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the command.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("cfedge test-lambda: not implemented yet");
    ExitCode::FAILURE
}
