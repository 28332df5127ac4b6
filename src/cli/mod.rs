//! Subcommands of the `cfedge` binary, one file each. They print to the
//! terminal, so this is the only module allowed to use `println!`.

pub mod serve;
pub mod sign_url;
pub mod test_function;
pub mod test_lambda;
pub mod validate;
