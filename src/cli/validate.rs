//! `cfedge validate`: Check a config. STUB.

use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the command.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("cfedge validate: not implemented yet");
    ExitCode::FAILURE
}
