//! `cfedge test-function`: Run a CloudFront Function offline. STUB.

use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the command.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("cfedge test-function: not implemented yet");
    ExitCode::FAILURE
}
