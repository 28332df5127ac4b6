//! `cfedge sign-url`: Sign a URL. STUB.

use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the command.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("cfedge sign-url: not implemented yet");
    ExitCode::FAILURE
}
