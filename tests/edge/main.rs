//! Integration tests of the core edge: the real server on an ephemeral port
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! in front of in-process origins.

#[path = "../support/mod.rs"]
mod support;

mod caching;
mod config_files;
mod errors;
mod origins;
mod viewer;
