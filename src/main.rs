//! The `cfedge` binary: parse the command line and hand over to `cfedge::cli`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// boa allocates every JS object and string on its own; see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A local Amazon CloudFront edge.
#[derive(Debug, Parser)]
#[command(name = "cfedge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the edge until SIGINT/SIGTERM, then drain in-flight requests.
    Serve(cfedge::cli::serve::Args),
    /// Load and check a config; print origins and behaviours in match order.
    Validate(cfedge::cli::validate::Args),
    /// Run a CloudFront Function against an event file, offline.
    TestFunction(cfedge::cli::test_function::Args),
    /// Invoke a Lambda@Edge handler with a CloudFront event file, offline.
    TestLambda(cfedge::cli::test_lambda::Args),
    /// Sign a URL with a CloudFront key pair (canned or custom policy).
    SignUrl(cfedge::cli::sign_url::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(a) => cfedge::cli::serve::run(a),
        Command::Validate(a) => cfedge::cli::validate::run(a),
        Command::TestFunction(a) => cfedge::cli::test_function::run(a),
        Command::TestLambda(a) => cfedge::cli::test_lambda::run(a),
        Command::SignUrl(a) => cfedge::cli::sign_url::run(a),
    }
}
